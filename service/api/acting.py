"""Acting on chain: as a participant (its managed key, or a request it signed with its own wallet), or
as one of the service's role accounts. Each becomes an `OperationIntent` for the chain writer."""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy import select

from service.chain.abi import checksum_address
from service.chain.forwarder import FORWARDED_CALL_GAS, ForwardRequest
from service.db.models import ServiceAccount
from service.errors import InvalidRequest, InvalidSignature, RequestExpired, SignatureRequired, StaleRequest
from service.runtime import Runtime
from service.writer.outbox import OperationIntent, SignedForward, Signer, fetch_next_wallet_nonce


class Actor(Protocol):
    """A participant as acting needs it (a `Participant` row, or a plan's `Account`)."""

    @property
    def id(self) -> int: ...

    @property
    def address(self) -> str: ...

    @property
    def encrypted_private_key(self) -> str | None: ...


def act_as(
    runtime: Runtime,
    participant: Actor,
    kind: str,
    target: str,
    calldata: bytes,
    *,
    signed: SignedForward | None = None,
    gas: int = FORWARDED_CALL_GAS,
    payload: dict[str, Any] | None = None,
) -> OperationIntent:
    """The participant's call. With a managed key the chain writer signs it; a participant with its
    own wallet must send the request it signed (see `signing_request`), checked here before it is
    accepted: a request that could never run is refused now, not after it was recorded."""
    signer = Signer(checksum_address(participant.address), participant_id=participant.id)
    if participant.encrypted_private_key is not None and signed is not None:
        raise InvalidRequest(
            "the ledger keeps this participant's key and signs for it: send no signed_request",
            field="signed_request",
        )
    if participant.encrypted_private_key is None:
        if signed is None:
            raise SignatureRequired(
                "you sign with your own wallet: fetch the request to sign from this action's "
                "signing-request endpoint and send it back as signed_request"
            )
        _check_signed(runtime, signer.address, target, calldata, gas, signed)
        signer = Signer(signer.address)
    return OperationIntent(
        kind, signer, checksum_address(target), calldata, gas=gas, payload=payload, signed=signed
    )


def act_as_service(
    runtime: Runtime,
    account: str,
    kind: str,
    target: str,
    calldata: bytes,
    *,
    gas: int = FORWARDED_CALL_GAS,
    payload: dict[str, Any] | None = None,
) -> OperationIntent:
    """A call by one of the service's role accounts (issuer, compliance, oracle, pauser, minter,
    settlement)."""
    address = service_account_address(runtime, account)
    return OperationIntent(
        kind, Signer(address, account=account), checksum_address(target), calldata, gas=gas, payload=payload
    )


# The service's role accounts by (database, chain): they change only with a new deployment.
_SERVICE_ACCOUNTS: dict[tuple[str, int], dict[str, str]] = {}


def service_account_address(runtime: Runtime, account: str) -> str:
    key = (runtime.database.url, runtime.chain.chain_id)
    accounts = _SERVICE_ACCOUNTS.get(key)
    if accounts is None or account not in accounts:
        with runtime.database.engine.connect() as connection:
            rows = connection.execute(
                select(ServiceAccount.name, ServiceAccount.address).where(
                    ServiceAccount.chain_id == runtime.chain.chain_id
                )
            ).all()
        accounts = _SERVICE_ACCOUNTS[key] = {name: address for name, address in rows}
    return accounts[account]


def signing_request(
    runtime: Runtime, participant: Actor, target: str, calldata: bytes, gas: int = FORWARDED_CALL_GAS
) -> dict[str, Any]:
    """The EIP-712 forward request a participant with its own wallet signs for this call: its next
    nonce (after every request of its the service still carries) and a deadline."""
    sender = checksum_address(participant.address)
    with runtime.database.engine.connect() as connection:
        nonce = fetch_next_wallet_nonce(connection, sender, runtime.chain.fetch_forwarder_nonce(sender))
    request = ForwardRequest(
        sender=sender,
        target=checksum_address(target),
        gas=gas,
        nonce=nonce,
        deadline=runtime.chain.fetch_time() + runtime.settings.forward_request_ttl_seconds,
        data=calldata,
    )
    typed = request.typed_data(runtime.chain.chain_id, runtime.chain.deployment.forwarder)
    return {"typed_data": typed, "nonce": request.nonce, "deadline": request.deadline}


def _check_signed(
    runtime: Runtime, sender: str, target: str, calldata: bytes, gas: int, signed: SignedForward
) -> None:
    request = ForwardRequest(
        sender=sender,
        target=checksum_address(target),
        gas=gas,
        nonce=signed.nonce,
        deadline=signed.deadline,
        data=calldata,
    )
    signer = request.recover_signer(
        signed.signature, runtime.chain.chain_id, runtime.chain.deployment.forwarder
    )
    if signer is None or signer.lower() != sender.lower():
        raise InvalidSignature(
            "the forward request is not signed by the participant's key for this call", signer=signer
        )
    with runtime.database.engine.connect() as connection:
        expected = fetch_next_wallet_nonce(connection, sender, runtime.chain.fetch_forwarder_nonce(sender))
    if signed.nonce != expected:
        raise StaleRequest(
            f"the request was signed for nonce {signed.nonce}; your next is {expected}",
            nonce=signed.nonce,
            expected_nonce=expected,
        )
    if signed.deadline <= runtime.chain.fetch_time():
        raise RequestExpired("the signed request's deadline has passed", deadline=signed.deadline)


def signed_forward(body: Any) -> SignedForward | None:
    """A body's `signed_request` (nonce, deadline, signature) as the outbox takes it."""
    signed = getattr(body, "signed_request", None)
    if signed is None:
        return None
    return SignedForward(signed.nonce, signed.deadline, bytes.fromhex(signed.signature[2:]))
