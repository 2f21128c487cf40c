"""Gas of the finance contracts' operations, called directly (no forwarder), on a fresh deployment.

DvP financing (`FinancingDesk.executeQuote`: value to a new piece of the financier, cash to the
seller), early payment (`EarlyPaymentProgram.takeEarlyPayment`) and settlement payout per piece
(`SettlementVault.payout`, marginal gas of one more piece in a batch). The ERC-3525 reference has no
such operations. Each measurement stands alone: if the contracts' interface moved on, that one is
reported as null with the reason, and the rest of the benchmark still runs.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data

from benchmarks.common import BENCH_BALANCE_WEI, CNY, SET_IDENTITY, bench_key, identity
from service.chain.abi import encode_call
from service.chain.compiler import Artifact
from service.chain.deploy import deploy_cascade
from service.chain.rpc import JsonRpc
from service.financing.service import QUOTE_TYPE
from service.settings import ANVIL_CHAIN_ID, ANVIL_DEV_KEYS

ISSUE = "issue(address,address,bytes8,bytes8,uint256,uint256,uint256,uint256,bytes32)"
QUOTE_TUPLE = "(" + ",".join(field["type"] for field in QUOTE_TYPE) + ")"
PAYOUT_BATCH = 10
FACE_VALUE = 1_000_000
UNIT = 100
Transact = Callable[..., dict[str, Any]]


def _gas(receipt: dict[str, Any]) -> int:
    return int(receipt["gasUsed"], 16)


def measure_finance(
    rpc: JsonRpc, transact: Transact, artifacts: dict[str, Artifact]
) -> tuple[dict[str, int | None], dict[str, Any]]:
    """Returns ({operation: gas or None}, details including the reason for each None)."""
    operator, _relayer, seller_key = ANVIL_DEV_KEYS[0], ANVIL_DEV_KEYS[1], ANVIL_DEV_KEYS[2]
    from benchmarks.gas import all_roles_to

    deployer, roles = all_roles_to(operator)
    deployment = deploy_cascade(rpc, ANVIL_CHAIN_ID, deployer, artifacts, roles)
    addresses = deployment.addresses
    note, registry = deployment.note, deployment.registry
    keys = {
        name: "0x" + bench_key("finance", index).hex() for index, name in enumerate(("obligor", "financier"))
    }
    holders = ["0x" + bench_key("finance-holder", index).hex() for index in range(PAYOUT_BATCH + 1)]
    accounts = {name: Account.from_key(key).address for name, key in keys.items()}
    seller = Account.from_key(seller_key).address
    for address in (*accounts.values(), *(Account.from_key(key).address for key in holders)):
        rpc.request("anvil_setBalance", [address, hex(BENCH_BALANCE_WEI)])
    for address in (seller, *accounts.values(), *(Account.from_key(key).address for key in holders)):
        transact(operator, registry, encode_call(SET_IDENTITY, identity(address)))
    cash = addresses.get("cash:CNY")
    now = int(rpc.request("eth_getBlockByNumber", ["latest", False])["timestamp"], 16)
    due = int((datetime.fromtimestamp(now, UTC) + timedelta(days=180)).timestamp())

    def issue(maturity: int) -> int:
        receipt = transact(
            operator,
            note,
            encode_call(
                ISSUE,
                [
                    accounts["obligor"],
                    seller,
                    CNY,
                    CNY,
                    FACE_VALUE,
                    UNIT,
                    maturity,
                    0,
                    b"\x22" * 32,
                ],
            ),
        )
        # Transfer(0, holder, tokenId) is the first log of an issuance.
        return int(receipt["logs"][0]["topics"][3], 16)

    def mint_cash(to_key: str, spender: str, amount: int) -> None:
        assert cash is not None
        to = Account.from_key(to_key).address
        transact(operator, cash, encode_call("mint(address,uint256)", [to, amount]))
        transact(to_key, cash, encode_call("approve(address,uint256)", [spender, amount]))

    results: dict[str, int | None] = {}
    details: dict[str, Any] = {}

    def attempt(name: str, measure: Callable[[], int]) -> None:
        try:
            results[name] = measure()
        except Exception as error:  # a moved interface must not sink the whole benchmark
            results[name] = None
            details[f"{name}_error"] = f"{type(error).__name__}: {error}"[:300]

    def dvp() -> int:
        desk = addresses["desk"]
        token = issue(due)
        mint_cash(keys["financier"], desk, 10_000_000)
        transact(seller_key, note, encode_call("setApprovalForAll(address,bool)", [desk, True]))
        quote = {
            "financier": accounts["financier"],
            "seller": seller,
            "tokenId": token,
            "value": 10_000,
            "price": 9_800,
            "cashToken": cash,
            "expiry": now + 86_400,
            "nonce": 1,
            "requiredMilestone": 0,
            "maxFinancedShareBps": 10_000,
        }
        typed = {
            "types": {
                "EIP712Domain": [
                    {"name": "name", "type": "string"},
                    {"name": "version", "type": "string"},
                    {"name": "chainId", "type": "uint256"},
                    {"name": "verifyingContract", "type": "address"},
                ],
                "Quote": QUOTE_TYPE,
            },
            "primaryType": "Quote",
            "domain": {
                "name": "CascadeFinancingDesk",
                "version": "1",
                "chainId": ANVIL_CHAIN_ID,
                "verifyingContract": desk,
            },
            "message": quote,
        }
        signature = Account.sign_message(encode_typed_data(full_message=typed), keys["financier"]).signature
        receipt = transact(
            seller_key,
            desk,
            encode_call(
                f"executeQuote({QUOTE_TUPLE},bytes)",
                [tuple(quote[field["name"]] for field in QUOTE_TYPE), bytes(signature)],
            ),
        )
        return _gas(receipt)

    def early_payment() -> int:
        programme = addresses["programme"]
        token = issue(due)
        budget = 500_000
        mint_cash(keys["obligor"], programme, budget)
        transact(
            keys["obligor"],
            programme,
            encode_call(
                "openProgramme(uint256,uint256,uint256,uint8,uint256,uint256)",
                [_slot_of(rpc, note, token), 500, 365, 0, budget, due - 86_400],
            ),
        )
        receipt = transact(
            seller_key,
            programme,
            encode_call("takeEarlyPayment(uint256,uint256,uint256)", [1, token, 10_000]),
        )
        return _gas(receipt)

    def settlement() -> int:
        vault = addresses["vault"]
        token = issue(now + 2 * 86_400)
        slot = _slot_of(rpc, note, token)
        pieces = []
        for key in holders:
            receipt = transact(
                seller_key,
                note,
                encode_call(
                    "transferFrom(uint256,address,uint256)", [token, Account.from_key(key).address, 1_000]
                ),
            )
            pieces.append(int(receipt["logs"][0]["topics"][3], 16))
        rpc.request("evm_increaseTime", [3 * 86_400])
        rpc.request("evm_mine")
        mint_cash(keys["obligor"], vault, FACE_VALUE)
        transact(keys["obligor"], vault, encode_call("fund(uint256,uint256)", [slot, FACE_VALUE]))
        payout = "payout(uint256,uint256[])"
        transact(operator, vault, encode_call(payout, [slot, [token]]))  # first payout: one-time set-up costs
        single = _gas(transact(operator, vault, encode_call(payout, [slot, pieces[:1]])))
        batch = _gas(transact(operator, vault, encode_call(payout, [slot, pieces[1:]]), 3_000_000))
        details["settlement_payout_single"] = single
        details[f"settlement_payout_batch_{PAYOUT_BATCH}"] = batch
        return round((batch - single) / (PAYOUT_BATCH - 1))

    if cash is None or not {"desk", "programme", "vault"} <= set(addresses):
        reason = "the service's deployment has no finance contracts"
        for name in ("dvp_financing", "early_payment", "settlement_payout_per_piece"):
            results[name] = None
            details[f"{name}_error"] = reason
        return results, details
    attempt("dvp_financing", dvp)
    attempt("early_payment", early_payment)
    attempt("settlement_payout_per_piece", settlement)  # last: it moves the chain's clock forward
    return results, details


def _slot_of(rpc: JsonRpc, note: str, token: int) -> int:
    result = rpc.request(
        "eth_call", [{"to": note, "data": "0x" + encode_call("slotOf(uint256)", [token]).hex()}, "latest"]
    )
    return int(result, 16)
