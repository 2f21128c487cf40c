"""Gas per operation: Cascade's ReceivableNote against the ERC-3525 reference implementation.

Both are called directly by the holder (no forwarder), on a fresh Anvil, with the same compiler and
optimizer settings, and every measured call is the first of its kind for its accounts (cold storage,
recipient holding nothing yet), so the two columns are like for like. The reference is Solv's
`ERC3525BaseMock` compiled in this run from `@solvprotocol/erc-3525` against its own OpenZeppelin 4.9.6.
"""

from __future__ import annotations

import hashlib
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from eth_abi import encode as abi_encode
from eth_account import Account

from benchmarks.common import CNY, SET_IDENTITY, BenchAnvil, BenchError, free_port, identity
from benchmarks.finance_gas import measure_finance
from service.chain.abi import encode_call
from service.chain.compiler import COMPILER_SETTINGS, Artifact, compile_standard_json
from service.chain.deploy import SERVICE_ACCOUNT_NAMES, ServiceRoles, deploy_cascade
from service.chain.forwarder import FORWARDED_CALL_GAS, BatchEncoder, ForwardRequest
from service.chain.rpc import JsonRpc
from service.chain.transactions import AccountKey
from service.settings import ANVIL_CHAIN_ID, ANVIL_DEV_KEYS, PROJECT_ROOT

REFERENCE_PACKAGE = "@solvprotocol/erc-3525"
REFERENCE_ROOT = PROJECT_ROOT / "node_modules" / "@solvprotocol" / "erc-3525"
REFERENCE_MOCK = f"{REFERENCE_PACKAGE}/mocks/ERC3525BaseMock.sol"
REFERENCE_REMAPPINGS = [
    # The reference is written against OpenZeppelin 4.x and ships its own copy of it.
    f"@openzeppelin/contracts/={REFERENCE_ROOT.relative_to(PROJECT_ROOT)}/node_modules/@openzeppelin/contracts/",
    f"{REFERENCE_PACKAGE}/={REFERENCE_ROOT.relative_to(PROJECT_ROOT)}/",
]
REFERENCE_TOKEN_ID = 1_000_001  # minted explicitly; derived ids count up from 1, so no collision
CALL_GAS = 1_000_000

# Operations of the finance contracts (benchmarks/finance_gas.py); the reference has none of them.
FINANCE_OPERATIONS = ("dvp_financing", "early_payment", "settlement_payout_per_piece")


def _reference_settings() -> dict[str, Any]:
    return {**COMPILER_SETTINGS, "remappings": REFERENCE_REMAPPINGS}


def compile_reference(cache_dir: Path) -> tuple[Artifact, float, bool]:
    """Compiles the reference mock (cached by the hash of every file it could import)."""
    digest = hashlib.sha256(json.dumps(_reference_settings(), sort_keys=True).encode())
    digest.update((PROJECT_ROOT / "node_modules" / "solc" / "package.json").read_bytes())
    for path in sorted(REFERENCE_ROOT.rglob("*.sol")):
        digest.update(str(path.relative_to(REFERENCE_ROOT)).encode())
        digest.update(path.read_bytes())
    cache_path = cache_dir / f"erc3525-reference-{digest.hexdigest()[:16]}.json"
    started = time.perf_counter()
    cached = cache_path.exists()
    if not cached:
        mock_path = REFERENCE_ROOT / "mocks" / "ERC3525BaseMock.sol"
        try:
            contracts = compile_standard_json({REFERENCE_MOCK: mock_path.read_text()}, _reference_settings())
        except RuntimeError as error:
            raise BenchError(f"reference compilation failed: {error}") from error
        cache_dir.mkdir(parents=True, exist_ok=True)
        cache_path.write_text(json.dumps(contracts["ERC3525BaseMock"]))
    data = json.loads(cache_path.read_text())
    return Artifact("ERC3525BaseMock", data["abi"], data["bytecode"]), time.perf_counter() - started, cached


def all_roles_to(key: str | bytes) -> tuple[AccountKey, ServiceRoles]:
    """A deployment in which one account holds every role, so the benchmark can call each function
    directly and measure its own gas (the service itself gives each role its own account)."""
    account = AccountKey(key, ANVIL_CHAIN_ID)
    address = account.address
    return account, ServiceRoles(**dict.fromkeys(SERVICE_ACCOUNT_NAMES, address))


class _Chain:
    def __init__(self, rpc: JsonRpc) -> None:
        self.rpc = rpc

    def transact(self, key: str | bytes, to: str, data: bytes, gas: int = CALL_GAS) -> dict[str, Any]:
        account = AccountKey(key, ANVIL_CHAIN_ID)
        nonce = int(self.rpc.request("eth_getTransactionCount", [account.address, "pending"]), 16)
        fee = int(self.rpc.request("eth_gasPrice"), 16) * 2 + 1
        signed = account.sign(
            nonce=nonce, to=to, data=data, gas=gas, max_fee_per_gas=fee, max_priority_fee_per_gas=1
        )
        self.rpc.request("eth_sendRawTransaction", ["0x" + signed.raw.hex()])
        deadline = time.monotonic() + 30
        while (receipt := self.rpc.request("eth_getTransactionReceipt", [signed.hash])) is None:
            if time.monotonic() > deadline:
                raise BenchError(f"gas benchmark transaction {signed.hash} was not mined")
            time.sleep(0.01)
        if int(receipt["status"], 16) != 1:
            raise BenchError(f"gas benchmark transaction reverted: {signed.hash} to {to}")
        return dict(receipt)

    def deploy(self, key: str, artifact: Artifact, types: list[str], args: list[Any]) -> str:
        receipt = self.transact(
            key, "", bytes.fromhex(artifact.bytecode) + abi_encode(types, args), 8_000_000
        )
        return str(receipt["contractAddress"])


def _gas(receipt: dict[str, Any]) -> int:
    return int(receipt["gasUsed"], 16)


def _measure_cascade(chain: _Chain, artifacts: dict[str, Artifact]) -> tuple[dict[str, int], dict[str, str]]:
    operator, relayer, holder_a, holder_b, holder_c = ANVIL_DEV_KEYS
    deployment = deploy_cascade(
        chain.rpc, ANVIL_CHAIN_ID, *all_roles_to(operator)[:1], artifacts, all_roles_to(operator)[1]
    )
    note, registry = deployment.note, deployment.registry
    obligor = Account.create().address
    new_holder = Account.create().address  # receives the forwarded split
    addresses = {name: Account.from_key(key).address for name, key in (("a", holder_a), ("b", holder_b))}
    addresses["c"] = Account.from_key(holder_c).address
    for account in (obligor, new_holder, *addresses.values()):
        chain.transact(operator, registry, encode_call(SET_IDENTITY, identity(account)))

    maturity = int((datetime.now(UTC) + timedelta(days=180)).timestamp())
    issue = chain.transact(
        operator,
        note,
        encode_call(
            "issue(address,address,bytes8,bytes8,uint256,uint256,uint256,uint256,bytes32)",
            [obligor, addresses["a"], CNY, CNY, 100_000_000, 100, maturity, 0, b"\x11" * 32],
        ),
    )
    root = 1
    split = chain.transact(
        holder_a, note, encode_call("transferFrom(uint256,address,uint256)", [root, addresses["b"], 1_000])
    )
    piece_b = 2
    merge = chain.transact(
        holder_a, note, encode_call("transferFrom(uint256,uint256,uint256)", [root, piece_b, 1_000])
    )
    whole = chain.transact(
        holder_b,
        note,
        encode_call("transferFrom(address,address,uint256)", [addresses["b"], addresses["c"], piece_b]),
    )
    # The same split as above, as the service sends it: signed by the holder, relayed through the forwarder.
    block = chain.rpc.request("eth_getBlockByNumber", ["latest", False])
    nonce = int.from_bytes(
        bytes.fromhex(
            chain.rpc.request(
                "eth_call",
                [
                    {
                        "to": deployment.forwarder,
                        "data": "0x" + encode_call("nonces(address)", [addresses["a"]]).hex(),
                    },
                    "latest",
                ],
            )[2:]
        ),
        "big",
    )
    request = ForwardRequest(
        sender=addresses["a"],
        target=note,
        gas=FORWARDED_CALL_GAS,
        nonce=nonce,
        deadline=int(block["timestamp"], 16) + 3600,
        data=encode_call("transferFrom(uint256,address,uint256)", [root, new_holder, 1_000]),
    )
    signature = request.sign(bytes.fromhex(holder_a[2:]), ANVIL_CHAIN_ID, deployment.forwarder)
    relayer_address = AccountKey(relayer, ANVIL_CHAIN_ID).address
    batch = BatchEncoder(artifacts["CascadeForwarder"].abi).encode([(request, signature)], relayer_address)
    forwarded = chain.transact(relayer, deployment.forwarder, batch, 700_000)
    if (
        chain.rpc.request(
            "eth_call", [{"to": note, "data": "0x" + encode_call("tokenCount()", []).hex()}, "latest"]
        )
        != "0x" + (3).to_bytes(32, "big").hex()
    ):
        raise BenchError("the forwarded split did not create a note (forwarded call failed inside execute)")
    return (
        {
            "issue": _gas(issue),
            "split": _gas(split),
            "merge": _gas(merge),
            "whole_transfer": _gas(whole),
            "split_via_forwarder": _gas(forwarded),
        },
        dict(deployment.addresses),
    )


def _measure_reference(chain: _Chain, artifact: Artifact) -> dict[str, int]:
    operator, _relayer, holder_a, holder_b, holder_c = ANVIL_DEV_KEYS
    a, b, c = (Account.from_key(key).address for key in (holder_a, holder_b, holder_c))
    token = chain.deploy(operator, artifact, ["string", "string", "uint8"], ["Reference", "REF", 2])
    mint = chain.transact(
        operator,
        token,
        encode_call("mint(address,uint256,uint256,uint256)", [a, REFERENCE_TOKEN_ID, 1, 100_000_000]),
    )
    split = chain.transact(
        holder_a, token, encode_call("transferFrom(uint256,address,uint256)", [REFERENCE_TOKEN_ID, b, 1_000])
    )
    piece_b = 1  # the reference's first derived token id
    merge = chain.transact(
        holder_a,
        token,
        encode_call("transferFrom(uint256,uint256,uint256)", [REFERENCE_TOKEN_ID, piece_b, 1_000]),
    )
    whole = chain.transact(
        holder_b, token, encode_call("transferFrom(address,address,uint256)", [b, c, piece_b])
    )
    return {"issue": _gas(mint), "split": _gas(split), "merge": _gas(merge), "whole_transfer": _gas(whole)}


def run_gas(artifacts: dict[str, Artifact], cache_dir: Path, log_dir: Path) -> dict[str, Any]:
    reference, compile_seconds, cached = compile_reference(cache_dir)
    anvil = BenchAnvil(free_port(), log_path=log_dir / "anvil-gas.log")
    anvil.start()
    rpc = JsonRpc(anvil.rpc_url)
    try:
        chain = _Chain(rpc)
        cascade, addresses = _measure_cascade(chain, artifacts)
        reference_gas = _measure_reference(chain, reference)
        finance, finance_details = measure_finance(rpc, chain.transact, artifacts)
    finally:
        rpc.close()
        anvil.stop()
    table: dict[str, dict[str, int | None]] = {
        operation: {"cascade": cascade[operation], "reference": reference_gas.get(operation)}
        for operation in ("issue", "split", "merge", "whole_transfer")
    }
    table["split_via_forwarder"] = {"cascade": cascade["split_via_forwarder"], "reference": None}
    for operation in FINANCE_OPERATIONS:
        table[operation] = {"cascade": finance.get(operation), "reference": None}
    return {
        "table": table,
        "split_ratio": cascade["split"] / reference_gas["split"],
        "reference_compile_seconds": compile_seconds,
        "reference_compile_cached": cached,
        "finance_contracts_deployed": sorted(set(addresses) - {"registry", "forwarder", "note"}),
        "finance_details": finance_details,
    }
