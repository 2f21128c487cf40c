"""Deploys the Cascade contracts and wires their roles."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from eth_utils import keccak, to_checksum_address

from service.chain.abi import encode_call, encode_values
from service.chain.client import Deployment
from service.chain.compiler import Artifact
from service.chain.rpc import JsonRpc
from service.chain.transactions import TransactionSender

NOTE_NAME = "Cascade Receivable Note"
NOTE_SYMBOL = "CRN"
NOTE_VALUE_DECIMALS = 2
# Settlement cash the local deployment creates; on a real chain the operator registers its own tokens.
CASH_CURRENCIES = ("CNY", "USD")
REDEEMER_ROLE = keccak(text="REDEEMER_ROLE")
REQUIRED_CONTRACTS = ("registry", "forwarder", "note", "desk", "programme", "vault")


@dataclass(frozen=True)
class SettlementTerms:
    """How long after maturity an unpaid voucher turns overdue, then defaulted."""

    grace_seconds: int = 7 * 86_400
    default_after_seconds: int = 30 * 86_400


def cash_name(currency: str) -> str:
    return f"cash:{currency}"


def currency_code(currency: str) -> bytes:
    return currency.encode().ljust(8, b"\0")


Progress = Callable[[str], None]


def _deploy(
    rpc: JsonRpc, sender: TransactionSender, artifact: Artifact, types: list[str], args: list[object]
) -> tuple[str, int]:
    data = bytes.fromhex(artifact.bytecode) + encode_values(types, args)
    with sender.hold():
        signed = sender.sign("", data, 8_000_000)
        sender.send(signed)
        receipt = sender.wait_for_receipt(signed.hash)
    if int(receipt["status"], 16) != 1:
        raise RuntimeError(f"deploying {artifact.name} reverted")
    return to_checksum_address(receipt["contractAddress"]), int(receipt["blockNumber"], 16)


def _transact(rpc: JsonRpc, sender: TransactionSender, to: str, signature: str, args: list[object]) -> None:
    with sender.hold():
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
    terms: SettlementTerms | None = None,
    external_cash: Mapping[str, str] | None = None,
) -> Deployment:
    """Deploys everything; settlement cash is `external_cash` (currency -> token address, e.g. the
    operator's stablecoins) when given, else test tokens for CASH_CURRENCIES that admins can mint."""
    terms = terms or SettlementTerms()
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
    addresses = {"registry": registry, "forwarder": forwarder, "note": note}
    for name, contract in (("desk", "FinancingDesk"), ("programme", "EarlyPaymentProgram")):
        progress(f"deploying {contract}")
        addresses[name], _ = _deploy(
            rpc, operator, artifacts[contract], ["address"] * 3, [note, forwarder, admin]
        )
    progress("deploying SettlementVault")
    addresses["vault"], _ = _deploy(
        rpc,
        operator,
        artifacts["SettlementVault"],
        ["address", "address", "address", "uint256", "uint256"],
        [note, forwarder, admin, terms.grace_seconds, terms.default_after_seconds],
    )
    cash_tokens = dict(external_cash or {})
    for currency in CASH_CURRENCIES if not cash_tokens else ():
        progress(f"deploying settlement cash {currency}")
        cash_tokens[currency], _ = _deploy(
            rpc,
            operator,
            artifacts["SettlementToken"],
            ["string", "string", "uint8", "address", "address"],
            [f"Cascade {currency}", currency, NOTE_VALUE_DECIMALS, forwarder, admin],
        )
    for currency, cash in cash_tokens.items():
        progress(f"registering settlement cash {currency} at {cash}")
        addresses[cash_name(currency)] = to_checksum_address(cash)
        for user in ("desk", "programme", "vault"):
            _transact(
                rpc,
                operator,
                addresses[user],
                "setCashToken(bytes8,address)",
                [currency_code(currency), to_checksum_address(cash)],
            )
    progress("granting roles")
    for redeemer in ("programme", "vault"):
        _transact(rpc, operator, note, "grantRole(bytes32,address)", [REDEEMER_ROLE, addresses[redeemer]])
    return Deployment(chain_id=chain_id, block_number=first_block, addresses=addresses)
