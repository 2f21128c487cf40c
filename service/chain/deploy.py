"""Deploys the Cascade contracts and wires their roles, with web3.py contract objects.

The deployer (OPERATOR_PRIVATE_KEY, or Anvil's first dev key on the local chain) holds only the admin
role, which changes hands only after a delay (AccessControlDefaultAdminRules). Each other role goes to
its own service account (`ServiceRoles`), which the chain writer signs forward requests with; none of
them holds ether or another role. Redeeming is granted to the payment contracts only (the note refuses
it to an account without code). Order: forwarder, registry, the note's extension then the note, the FX
rate directory, logistics, the payment contracts, the market (the YieldToken implementation, then the
OfferingVault that clones it: no account holds a mint role on yield tokens, the vault is their only
minter), cash and feeds (docs/decisions/0001, 0002-market-contracts). The market's vault holds note
pieces, so the compliance account registers it in the registry as a platform contract (role 5), by a
forward request the deployer relays.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from web3 import Web3

from service.chain.abi import checksum_address
from service.chain.accounts import address_of
from service.chain.client import Deployment
from service.chain.compiler import Artifact
from service.chain.contracts import CASH_PREFIX, ContractHandle, artifact_name_of
from service.chain.forwarder import ForwardRequest
from service.chain.rpc import JsonRpc
from service.chain.transactions import AccountKey
from service.domain.identity import ComplianceReason, encode_country, encode_reason
from service.domain.money import encode_currency

NOTE_NAME = "Cascade Receivable Note"
NOTE_SYMBOL = "CRN"
NOTE_VALUE_DECIMALS = 2
# Settlement cash the local deployment creates; on a real chain the operator registers its own tokens.
CASH_CURRENCIES = ("CNY", "USD")
# Currency pairs the local deployment gives a feed of its own (answers submitted by the oracle account);
# on a real chain the operator points each pair at a Chainlink feed (FX_FEEDS).
FX_PAIRS = (("USD", "CNY"),)
FX_FEED_DECIMALS = 8
REQUIRED_CONTRACTS = (
    "registry",
    "forwarder",
    "note",
    "note_extension",
    "fx",
    "logistics",
    "desk",
    "programme",
    "vault",
    "yield_token",
    "market",
)
# Contracts that pay in a settlement currency: each gets the currency's cash token registered.
CASH_USERS = ("desk", "programme", "vault", "market")
# The market's vault is registered as a platform contract (registry role 5) of the ledger's home
# jurisdiction, with a record that does not lapse in practice (2100-01-01T00:00Z: a date the service's
# projections can still store, unlike the largest expiry the registry takes).
PLATFORM_CONTRACT_ROLE = 5
PLATFORM_COUNTRY = "CN"
PLATFORM_KYC_EXPIRES_AT = 4_102_444_800
PLATFORM_REGISTRATION_GAS = 200_000
DEPLOY_GAS = 12_000_000
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
    """The addresses of the service's role accounts, one role each: issuing vouchers, compliance
    (identities, freezes, forced transfers, recovery, caps, limits), the oracle (FX answers, logistics
    milestones), pausing, minting test cash, and running settlement payouts (which needs no role)."""

    issuer: str
    compliance: str
    oracle: str
    pauser: str
    minter: str
    settlement: str

    def as_dict(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in SERVICE_ACCOUNT_NAMES}


SERVICE_ACCOUNT_NAMES = ("issuer", "compliance", "oracle", "pauser", "minter", "settlement")


@dataclass(frozen=True)
class DeploymentOptions:
    """What a deployment is given besides the artifacts and the accounts."""

    terms: SettlementTerms = SettlementTerms()
    # currency -> the operator's own settlement token; empty: test tokens the minter can mint
    external_cash: Mapping[str, str] = field(default_factory=dict)
    # (base, quote) -> a Chainlink-style feed; pairs of FX_PAIRS not given get a feed of the ledger's own
    external_feeds: Mapping[tuple[str, str], str] = field(default_factory=dict)
    fx_max_age_seconds: int = 86_400
    admin_transfer_delay_seconds: int = 2 * 86_400


def cash_name(currency: str) -> str:
    return f"{CASH_PREFIX}{currency}"


Progress = Callable[[str], None]


class _Deployer:
    """Sends the deployer's transactions one at a time and waits for each receipt (deployment is rare
    and linear; nothing here is on a hot path)."""

    def __init__(self, rpc: JsonRpc, key: AccountKey) -> None:
        self._rpc = rpc
        self._key = key
        self.address = key.address
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


def feed_name(base: str, quote: str) -> str:
    return f"feed:{base}/{quote}"


def deploy_cascade(
    rpc: JsonRpc,
    chain_id: int,
    deployer_key: AccountKey,
    artifacts: dict[str, Artifact],
    roles: ServiceRoles,
    progress: Progress = lambda _message: None,
    options: DeploymentOptions | None = None,
    compliance_key: bytes | None = None,
) -> Deployment:
    """Deploys everything in dependency order, registers cash and feeds, and gives each role to its own
    account; the deployer keeps only the (delayed-transfer) admin role. With the compliance account's
    key (`roles.compliance`'s), that account registers the market's vault as a platform contract;
    without it the vault cannot hold note pieces until the compliance account registers it."""
    options = options or DeploymentOptions()
    deployer = _Deployer(rpc, deployer_key)
    admin, delay = deployer_key.address, options.admin_transfer_delay_seconds

    def deploy(name: str, artifact: str, *args: Any) -> str:
        progress(f"deploying {artifact}")
        addresses[name], block = deployer.deploy(artifacts[artifact], *args)
        blocks.append(block)
        return addresses[name]

    addresses: dict[str, str] = {}
    blocks: list[int] = []
    forwarder = deploy("forwarder", "CascadeForwarder")
    registry = deploy("registry", "ParticipantRegistry", forwarder, admin, delay)
    extension = deploy("note_extension", "ReceivableNoteExtension", registry, NOTE_VALUE_DECIMALS, forwarder)
    note = deploy(
        "note",
        "ReceivableNote",
        NOTE_NAME,
        NOTE_SYMBOL,
        NOTE_VALUE_DECIMALS,
        registry,
        forwarder,
        admin,
        delay,
        extension,
    )
    fx = deploy("fx", "FxRateDirectory", forwarder, admin, delay)
    logistics = deploy("logistics", "LogisticsOracle", note, forwarder, admin, delay)
    deploy("desk", "FinancingDesk", note, fx, logistics, forwarder, admin, delay)
    deploy("programme", "EarlyPaymentProgram", note, fx, forwarder, admin, delay)
    terms = options.terms
    deploy(
        "vault",
        "SettlementVault",
        note,
        fx,
        forwarder,
        admin,
        delay,
        terms.grace_seconds,
        terms.default_after_seconds,
    )
    yield_token = deploy("yield_token", "YieldToken", note, forwarder)
    deploy("market", "OfferingVault", note, addresses["vault"], yield_token, forwarder, admin, delay)
    handles = _handles(addresses, artifacts)
    addresses["limits"] = checksum_address(_read(rpc, handles["note"].call("limitModule")))
    test_cash = _register_cash(deployer, deploy, handles, addresses, options)
    own_feeds = _register_feeds(deployer, deploy, handles, addresses, artifacts, options)
    progress("granting each role to its own account")
    _grant_roles(deployer, handles, roles, admin, test_cash, own_feeds, artifacts)
    if compliance_key is not None:
        progress("registering the market's vault as a platform contract")
        _register_platform_contract(deployer, rpc, chain_id, handles, roles, compliance_key)
    return Deployment(chain_id=chain_id, block_number=min(blocks), addresses=addresses)


def _read(rpc: JsonRpc, call: Any) -> Any:
    raw = rpc.request("eth_call", [{"to": call.to, "data": "0x" + call.data.hex()}, "latest"])
    [value] = _OFFLINE.codec.decode(list(call.output_types), bytes.fromhex(raw[2:]))
    return value


def _handles(addresses: dict[str, str], artifacts: dict[str, Artifact]) -> dict[str, ContractHandle]:
    return {
        name: ContractHandle(name, addresses[name], artifacts[artifact_name_of(name)].abi)
        for name in _HANDLED
    }


_HANDLED = ("forwarder", "registry", "note", "fx", "logistics", "desk", "programme", "vault", "market")


DeployStep = Callable[..., str]


def _register_cash(
    deployer: _Deployer,
    deploy: DeployStep,
    handles: dict[str, ContractHandle],
    addresses: dict[str, str],
    options: DeploymentOptions,
) -> list[str]:
    """Registers each currency's settlement cash with the payment contracts; deploys test tokens when
    the operator gave none. Returns the addresses of the test tokens (the minter mints them)."""
    cash_tokens = {currency: checksum_address(token) for currency, token in options.external_cash.items()}
    test_cash = []
    for currency in CASH_CURRENCIES if not cash_tokens else ():
        token = deploy(
            cash_name(currency),
            "SettlementToken",
            f"Cascade {currency}",
            currency,
            NOTE_VALUE_DECIMALS,
            addresses["forwarder"],
            deployer.address,
            options.admin_transfer_delay_seconds,
        )
        cash_tokens[currency] = token
        test_cash.append(token)
    for currency, cash in cash_tokens.items():
        addresses[cash_name(currency)] = cash
        for user in CASH_USERS:
            deployer.transact(handles[user], "setCashToken", encode_currency(currency), cash)
    return test_cash


def _register_feeds(
    deployer: _Deployer,
    deploy: DeployStep,
    handles: dict[str, ContractHandle],
    addresses: dict[str, str],
    artifacts: dict[str, Artifact],
    options: DeploymentOptions,
) -> list[str]:
    """Points each currency pair at its feed in the rate directory: the operator's (FX_FEEDS), else one
    of the ledger's own. Returns the own feeds' addresses (the oracle account answers on them)."""
    own = []
    for base, quote in sorted(set(FX_PAIRS) | set(options.external_feeds)):
        name = feed_name(base, quote)
        external = options.external_feeds.get((base, quote))
        if external is not None:
            addresses[name] = checksum_address(external)
        else:
            description = f"{base} / {quote}"
            own.append(
                deploy(
                    name,
                    "FxPriceFeed",
                    FX_FEED_DECIMALS,
                    description,
                    addresses["forwarder"],
                    deployer.address,
                    options.admin_transfer_delay_seconds,
                )
            )
        deployer.transact(
            handles["fx"],
            "setFeed",
            encode_currency(base),
            encode_currency(quote),
            addresses[name],
            options.fx_max_age_seconds,
        )
    return own


def _grant_roles(
    deployer: _Deployer,
    handles: dict[str, ContractHandle],
    roles: ServiceRoles,
    admin: str,
    test_cash: list[str],
    own_feeds: list[str],
    artifacts: dict[str, Artifact],
) -> None:
    """Each role to its own account, redeeming to the payment contracts only. The deployer was granted
    nothing but the admin role (the contracts' constructors grant only that), so nothing is renounced."""
    note, registry, logistics = handles["note"], handles["registry"], handles["logistics"]
    grants: list[tuple[ContractHandle, str, str]] = [
        (note, "ISSUER_ROLE", roles.issuer),
        (note, "COMPLIANCE_AGENT_ROLE", roles.compliance),
        (note, "PAUSER_ROLE", roles.pauser),
        (note, "REDEEMER_ROLE", handles["programme"].address),
        (note, "REDEEMER_ROLE", handles["vault"].address),
        (registry, "COMPLIANCE_AGENT_ROLE", roles.compliance),
        (logistics, "ORACLE_ROLE", roles.oracle),
    ]
    grants += [
        (ContractHandle("feed", feed, artifacts["FxPriceFeed"].abi), "ORACLE_ROLE", roles.oracle)
        for feed in own_feeds
    ]
    grants += [
        (ContractHandle("cash", cash, artifacts["SettlementToken"].abi), "MINTER_ROLE", roles.minter)
        for cash in test_cash
    ]
    for handle, role_name, account in grants:
        deployer.transact(handle, "grantRole", deployer.role(handle, role_name), account)


def _register_platform_contract(
    deployer: _Deployer,
    rpc: JsonRpc,
    chain_id: int,
    handles: dict[str, ContractHandle],
    roles: ServiceRoles,
    compliance_key: bytes,
) -> None:
    """The compliance account (holding no ether) signs `setIdentity(market, verified, ..., role 5)` as a
    forward request; the deployer relays it. Identity records are the compliance agent's alone, so the
    deployer never holds that role, not even for a moment."""
    if address_of(compliance_key).lower() != roles.compliance.lower():
        raise ValueError("the compliance key given does not belong to the compliance account")
    registry, forwarder = handles["registry"], handles["forwarder"]
    data = registry.calldata(
        "setIdentity",
        handles["market"].address,
        True,
        PLATFORM_KYC_EXPIRES_AT,
        encode_country(PLATFORM_COUNTRY),
        PLATFORM_CONTRACT_ROLE,
        encode_reason(ComplianceReason.ONBOARDING),
    )
    latest = rpc.request("eth_getBlockByNumber", ["latest", False])
    request = ForwardRequest(
        sender=roles.compliance,
        target=registry.address,
        gas=PLATFORM_REGISTRATION_GAS,
        nonce=int(_read(rpc, forwarder.call("nonces", roles.compliance))),
        deadline=int(latest["timestamp"], 16) + 3_600,
        data=data,
    )
    signature = request.sign(compliance_key, chain_id, forwarder.address)
    deployer.transact(forwarder, "execute", request.as_tuple(signature))
