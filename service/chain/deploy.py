"""Deploys the Cascade contracts and wires their roles, with web3.py contract objects.

The deployer (OPERATOR_PRIVATE_KEY, or Anvil's first dev key on the local chain) keeps only the admin
role. Each other role goes to its own service account (`ServiceRoles`), which the chain writer signs
forward requests with; none of them holds ether or another role. Redeeming is granted to the
settlement contracts only.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from web3 import Web3

from service.chain.abi import checksum_address
from service.chain.client import Deployment
from service.chain.compiler import Artifact
from service.chain.contracts import CASH_PREFIX, ContractHandle
from service.chain.rpc import JsonRpc
from service.chain.transactions import AccountKey

NOTE_NAME = "Cascade Receivable Note"
NOTE_SYMBOL = "CRN"
NOTE_VALUE_DECIMALS = 2
# Settlement cash the local deployment creates; on a real chain the operator registers its own tokens.
CASH_CURRENCIES = ("CNY", "USD")
REQUIRED_CONTRACTS = ("registry", "forwarder", "note", "desk", "programme", "vault")
DEPLOY_GAS = 8_000_000
CALL_GAS = 500_000
RECEIPT_WAIT_SECONDS = 120.0
_OFFLINE = Web3()


@dataclass(frozen=True)
class SettlementTerms:
    """How long after maturity an unpaid voucher turns overdue, then defaulted."""

    grace_seconds: int = 7 * 86_400
    default_after_seconds: int = 30 * 86_400


@dataclass(frozen=True)
class ServiceRoles:
    """The addresses of the service's role accounts (one role each)."""

    issuer: str
    registrar: str
    pauser: str
    minter: str
    settlement: str

    def as_dict(self) -> dict[str, str]:
        return {
            "issuer": self.issuer,
            "registrar": self.registrar,
            "pauser": self.pauser,
            "minter": self.minter,
            "settlement": self.settlement,
        }


SERVICE_ACCOUNT_NAMES = ("issuer", "registrar", "pauser", "minter", "settlement")


def cash_name(currency: str) -> str:
    return f"{CASH_PREFIX}{currency}"


def currency_code(currency: str) -> bytes:
    return currency.encode().ljust(8, b"\0")


Progress = Callable[[str], None]


class _Deployer:
    """Sends the deployer's transactions one at a time and waits for each receipt (deployment is rare
    and linear; nothing here is on a hot path)."""

    def __init__(self, rpc: JsonRpc, key: AccountKey) -> None:
        self._rpc = rpc
        self._key = key
        self._nonce = int(rpc.request("eth_getTransactionCount", [key.address, "pending"]), 16)

    def _send(self, to: str, data: bytes, gas: int) -> dict[str, Any]:
        fee = int(self._rpc.request("eth_gasPrice"), 16) * 2 + 1
        signed = self._key.sign(
            nonce=self._nonce, to=to, data=data, gas=gas, max_fee_per_gas=fee, max_priority_fee_per_gas=1
        )
        self._rpc.request("eth_sendRawTransaction", ["0x" + signed.raw.hex()])
        self._nonce += 1
        deadline = time.monotonic() + RECEIPT_WAIT_SECONDS
        while time.monotonic() < deadline:
            receipt = self._rpc.request("eth_getTransactionReceipt", [signed.hash])
            if receipt is not None:
                if int(receipt["status"], 16) != 1:
                    raise RuntimeError(f"deployment transaction {signed.hash} reverted")
                return dict(receipt)
            time.sleep(0.05)
        raise RuntimeError(
            f"deployment transaction {signed.hash} was not mined within {RECEIPT_WAIT_SECONDS}s"
        )

    def deploy(self, artifact: Artifact, *args: Any) -> tuple[str, int]:
        factory = _OFFLINE.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
        data = bytes.fromhex(factory.constructor(*args).data_in_transaction[2:])
        receipt = self._send("", data, DEPLOY_GAS)
        return checksum_address(receipt["contractAddress"]), int(receipt["blockNumber"], 16)

    def transact(self, handle: ContractHandle, function: str, *args: Any) -> None:
        self._send(handle.address, handle.calldata(function, *args), CALL_GAS)

    def role(self, handle: ContractHandle, name: str) -> bytes:
        """A role's id, as the contract itself defines it (its public constant)."""
        call = handle.call(name)
        result = self._rpc.request("eth_call", [{"to": call.to, "data": "0x" + call.data.hex()}, "latest"])
        return bytes.fromhex(result[2:])


def deploy_cascade(
    rpc: JsonRpc,
    chain_id: int,
    deployer_key: AccountKey,
    artifacts: dict[str, Artifact],
    roles: ServiceRoles,
    progress: Progress = lambda _message: None,
    terms: SettlementTerms | None = None,
    external_cash: Mapping[str, str] | None = None,
) -> Deployment:
    """Deploys everything; settlement cash is `external_cash` (currency -> token address, e.g. the
    operator's stablecoins) when given, else test tokens for CASH_CURRENCIES the minter can mint."""
    terms = terms or SettlementTerms()
    deployer = _Deployer(rpc, deployer_key)
    admin = deployer_key.address
    progress("deploying CascadeForwarder")
    forwarder, first_block = deployer.deploy(artifacts["CascadeForwarder"])
    progress("deploying ParticipantRegistry")
    registry, _ = deployer.deploy(artifacts["ParticipantRegistry"], admin, forwarder)
    progress("deploying ReceivableNote")
    note, _ = deployer.deploy(
        artifacts["ReceivableNote"], NOTE_NAME, NOTE_SYMBOL, NOTE_VALUE_DECIMALS, registry, forwarder, admin
    )
    addresses = {"registry": registry, "forwarder": forwarder, "note": note}
    for name, contract in (("desk", "FinancingDesk"), ("programme", "EarlyPaymentProgram")):
        progress(f"deploying {contract}")
        addresses[name], _ = deployer.deploy(artifacts[contract], note, forwarder, admin)
    progress("deploying SettlementVault")
    addresses["vault"], _ = deployer.deploy(
        artifacts["SettlementVault"], note, forwarder, admin, terms.grace_seconds, terms.default_after_seconds
    )
    cash_tokens = {currency: checksum_address(token) for currency, token in (external_cash or {}).items()}
    deployed_cash = []
    for currency in CASH_CURRENCIES if not cash_tokens else ():
        progress(f"deploying settlement cash {currency}")
        cash_tokens[currency], _ = deployer.deploy(
            artifacts["SettlementToken"],
            f"Cascade {currency}",
            currency,
            NOTE_VALUE_DECIMALS,
            forwarder,
            admin,
        )
        deployed_cash.append(currency)
    handles = {
        name: ContractHandle(name, address, artifacts[artifact].abi)
        for name, address, artifact in (
            ("registry", registry, "ParticipantRegistry"),
            ("note", note, "ReceivableNote"),
            ("desk", addresses["desk"], "FinancingDesk"),
            ("programme", addresses["programme"], "EarlyPaymentProgram"),
            ("vault", addresses["vault"], "SettlementVault"),
        )
    }
    for currency, cash in cash_tokens.items():
        progress(f"registering settlement cash {currency} at {cash}")
        addresses[cash_name(currency)] = cash
        for user in ("desk", "programme", "vault"):
            deployer.transact(handles[user], "setCashToken", currency_code(currency), cash)
    progress("granting each role to its own account")
    _grant_roles(
        deployer,
        handles,
        roles,
        admin,
        {
            currency: ContractHandle(
                cash_name(currency), cash_tokens[currency], artifacts["SettlementToken"].abi
            )
            for currency in deployed_cash
        },
    )
    return Deployment(chain_id=chain_id, block_number=first_block, addresses=addresses)


def _grant_roles(
    deployer: _Deployer,
    handles: dict[str, ContractHandle],
    roles: ServiceRoles,
    admin: str,
    test_cash: dict[str, ContractHandle],
) -> None:
    """Issuer, pauser, registrar and minter each to their account; redeeming to the settlement
    contracts; the deployer renounces every role but the admin's."""
    note, registry = handles["note"], handles["registry"]
    grants: list[tuple[ContractHandle, str, str]] = [
        (note, "ISSUER_ROLE", roles.issuer),
        (note, "PAUSER_ROLE", roles.pauser),
        (note, "REDEEMER_ROLE", handles["programme"].address),
        (note, "REDEEMER_ROLE", handles["vault"].address),
        (registry, "REGISTRAR_ROLE", roles.registrar),
    ]
    grants += [(cash, "MINTER_ROLE", roles.minter) for cash in test_cash.values()]
    for handle, role_name, account in grants:
        deployer.transact(handle, "grantRole", deployer.role(handle, role_name), account)
    renounced = [(note, "ISSUER_ROLE", roles.issuer), (note, "PAUSER_ROLE", roles.pauser)]
    renounced += [(registry, "REGISTRAR_ROLE", roles.registrar)]
    renounced += [(cash, "MINTER_ROLE", roles.minter) for cash in test_cash.values()]
    for handle, role_name, holder in renounced:
        if holder != admin:  # a deployment that names the deployer itself for a role (a benchmark) keeps it
            deployer.transact(handle, "renounceRole", deployer.role(handle, role_name), admin)
