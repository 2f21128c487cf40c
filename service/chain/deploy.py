"""Deploys the Cascade contracts and wires their roles."""

from __future__ import annotations

from collections.abc import Callable

from eth_abi import encode as abi_encode
from eth_utils import to_checksum_address

from service.chain.abi import encode_call
from service.chain.client import Deployment
from service.chain.compiler import Artifact
from service.chain.rpc import JsonRpc
from service.chain.transactions import TransactionSender

NOTE_NAME = "Cascade Receivable Note"
NOTE_SYMBOL = "CRN"
NOTE_VALUE_DECIMALS = 2

Progress = Callable[[str], None]


def _deploy(
    rpc: JsonRpc, sender: TransactionSender, artifact: Artifact, types: list[str], args: list[object]
) -> tuple[str, int]:
    data = bytes.fromhex(artifact.bytecode) + abi_encode(types, args)
    with sender.lock:
        signed = sender.sign("", data, 8_000_000)
        sender.send(signed)
        receipt = sender.wait_for_receipt(signed.hash)
    if int(receipt["status"], 16) != 1:
        raise RuntimeError(f"deploying {artifact.name} reverted")
    return to_checksum_address(receipt["contractAddress"]), int(receipt["blockNumber"], 16)


def _transact(rpc: JsonRpc, sender: TransactionSender, to: str, signature: str, args: list[object]) -> None:
    with sender.lock:
        signed = sender.sign(to, encode_call(signature, args), 500_000)
        sender.send(signed)
        receipt = sender.wait_for_receipt(signed.hash)
    if int(receipt["status"], 16) != 1:
        raise RuntimeError(f"{signature} on {to} reverted")


def deploy_cascade(
    rpc: JsonRpc,
    chain_id: int,
    operator: TransactionSender,
    artifacts: dict[str, Artifact],
    progress: Progress = lambda _message: None,
) -> Deployment:
    admin = operator.address
    progress("deploying ParticipantRegistry")
    registry, first_block = _deploy(rpc, operator, artifacts["ParticipantRegistry"], ["address"], [admin])
    progress("deploying CascadeForwarder")
    forwarder, _ = _deploy(rpc, operator, artifacts["CascadeForwarder"], [], [])
    progress("deploying ReceivableNote")
    note, _ = _deploy(
        rpc,
        operator,
        artifacts["ReceivableNote"],
        ["string", "string", "uint8", "address", "address", "address"],
        [NOTE_NAME, NOTE_SYMBOL, NOTE_VALUE_DECIMALS, registry, forwarder, admin],
    )
    return Deployment(
        chain_id=chain_id,
        block_number=first_block,
        addresses={"registry": registry, "forwarder": forwarder, "note": note},
    )
