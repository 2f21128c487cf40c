"""The market contracts as the deployment wires them (docs/decisions/0002-market-contracts.md): the
OfferingVault registered as a platform contract by the compliance account, its cash registered, the
YieldToken implementation locked, and no account holding a power over yield tokens but the vault."""

from __future__ import annotations

from typing import Any

from web3 import Web3

from service.chain.abi import checksum_address
from service.chain.anvil import AnvilProcess
from service.chain.client import Deployment
from service.chain.compiler import Artifact
from service.chain.contracts import ContractHandle, artifact_name_of
from service.chain.deploy import PLATFORM_CONTRACT_ROLE, PLATFORM_KYC_EXPIRES_AT
from service.chain.rpc import JsonRpc
from service.domain.money import encode_currency

_OFFLINE = Web3()


def _read(rpc: JsonRpc, handle: ContractHandle, function: str, *args: Any) -> Any:
    call = handle.call(function, *args)
    raw = rpc.request("eth_call", [{"to": call.to, "data": "0x" + call.data.hex()}, "latest"])
    decoded = _OFFLINE.codec.decode(list(call.output_types), bytes.fromhex(raw[2:]))
    values = [
        checksum_address(value) if output == "address" else value
        for output, value in zip(call.output_types, decoded, strict=True)
    ]
    return values[0] if len(values) == 1 else values


def _handle(deployment: Deployment, artifacts: dict[str, Artifact], name: str) -> ContractHandle:
    return ContractHandle(name, deployment.addresses[name], artifacts[artifact_name_of(name)].abi)


def test_the_market_is_deployed_registered_and_wired(
    anvil: AnvilProcess,
    deployment: Deployment,
    artifacts: dict[str, Artifact],
    service_accounts: dict[str, tuple[str, str]],
) -> None:
    rpc = JsonRpc(anvil.rpc_url)
    try:
        market = _handle(deployment, artifacts, "market")
        implementation = _handle(deployment, artifacts, "yield_token")
        registry = _handle(deployment, artifacts, "registry")
        addresses = deployment.addresses

        verified, kyc_expires_at, country, role = _read(rpc, registry, "identityOf", market.address)
        assert (verified, kyc_expires_at, country, role) == (
            True,
            PLATFORM_KYC_EXPIRES_AT,
            b"CN",
            PLATFORM_CONTRACT_ROLE,
        )
        assert _read(rpc, registry, "isVerified", market.address) is True

        assert _read(rpc, market, "note") == addresses["note"]
        assert _read(rpc, market, "settlementVault") == addresses["vault"]
        assert _read(rpc, market, "tokenImplementation") == addresses["yield_token"]
        assert _read(rpc, market, "trustedForwarder") == addresses["forwarder"]
        for currency in ("CNY", "USD"):
            cash = _read(rpc, market, "cashTokenOf", encode_currency(currency))
            assert cash == addresses[f"cash:{currency}"]
        assert _read(rpc, market, "offeringCount") == 0

        # The implementation serves the clones' code only: it is its own "vault", so nobody can
        # initialise it and mint with it; the note's role holders govern it.
        assert _read(rpc, implementation, "vault") == implementation.address
        assert _read(rpc, implementation, "note") == addresses["note"]
        assert _read(rpc, implementation, "decimals") == 2

        # Least privilege: the market grants no role but the deployer's delayed admin; the compliance
        # account signed the registration but holds nothing on the market.
        compliance = service_accounts["compliance"][0]
        admin_role = b"\0" * 32
        assert _read(rpc, market, "hasRole", admin_role, compliance) is False
        assert _read(rpc, market, "defaultAdmin") not in (compliance, market.address)
    finally:
        rpc.close()
