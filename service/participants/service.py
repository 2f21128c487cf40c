"""Registering participants: an on-chain verification plus an off-chain record and API key."""

from __future__ import annotations

from eth_utils import to_checksum_address
from sqlalchemy.orm import Session

from service.api.auth import new_api_key
from service.api.relay import relay_as
from service.chain.abi import encode_call
from service.db.models import Participant
from service.errors import ParticipantAlreadyExists, ParticipantNotFound
from service.participants import repository
from service.participants.schemas import (
    API_KEY_SHOWN_ONCE,
    ParticipantCreate,
    ParticipantCreated,
    ParticipantOut,
)
from service.runtime import Runtime


def to_out(participant: Participant) -> ParticipantOut:
    return ParticipantOut(
        id=participant.id,
        name=participant.name,
        role=participant.role,  # type: ignore[arg-type]
        address=participant.address,
        verified=participant.verified,
        managed_key=participant.encrypted_private_key is not None,
        created_at=participant.created_at,
    )


def fetch_is_verified(runtime: Runtime, address: str) -> bool:
    registry = runtime.chain.deployment.registry
    return bool(runtime.chain.read(registry, "isVerified(address)", [address], ["bool"]))


def register_participant(
    session: Session, runtime: Runtime, body: ParticipantCreate, registered_by: int | None
) -> ParticipantCreated:
    # load: refuse duplicates before anything reaches the chain
    if repository.fetch_participant_by_name(session, body.name) is not None:
        raise ParticipantAlreadyExists(f"a participant named {body.name!r} exists already", name=body.name)
    if body.address is not None:
        address, encrypted_key = str(to_checksum_address(body.address)), None
        holder = repository.fetch_participant_by_address(session, address)
        if holder is not None:
            raise ParticipantAlreadyExists(
                f"the address belongs to participant {holder.id} already", participant_id=holder.id
            )
    else:
        address, encrypted_key = runtime.key_vault.create_account()
    session.commit()  # end the read phase: hold no database lock while the chain works

    participant = Participant(
        name=body.name,
        role=body.role,
        address=address,
        encrypted_private_key=encrypted_key,
        verified=body.role != "admin",
    )

    # submit: administrators hold no notes, everybody else is verified on chain and, when the ledger
    # keeps its key, approves the market contracts. All chain work comes before any database write:
    # the journal and the indexer write through their own connections.
    transaction_hash = None
    if body.role != "admin":
        if not fetch_is_verified(runtime, address):
            receipt = runtime.submitter.submit_operator_call(
                "participant.verify",
                registered_by,
                runtime.chain.deployment.registry,
                encode_call("verify(address)", [address]),
            )
            transaction_hash = receipt.transaction_hash
        if encrypted_key is not None:
            grant_market_approvals(runtime, participant)

    # persist
    repository.add_participant(session, participant)
    secret, key_hash, prefix = new_api_key()
    repository.add_api_key(session, participant.id, key_hash, prefix)
    out = to_out(participant)
    return ParticipantCreated(
        **out.model_dump(),
        api_key=secret,
        api_key_note=API_KEY_SHOWN_ONCE,
        registration_transaction_hash=transaction_hash,
    )


MAX_ALLOWANCE = 2**256 - 1


def grant_market_approvals(runtime: Runtime, participant: Participant) -> None:
    """Lets the market contracts move what a trade needs, and nothing they are not asked to by a signed call.

    The financing desk moves a seller's note value only inside `executeQuote` called by that seller,
    and a financier's cash only against a quote that financier signed; the early-payment programme
    and the settlement vault pull an obligor's cash only when the obligor funds them.
    """
    addresses = runtime.chain.deployment.addresses
    calls: list[tuple[str, str, bytes]] = [
        (
            "participant.approve_desk",
            addresses["note"],
            encode_call("setApprovalForAll(address,bool)", [addresses["desk"], True]),
        )
    ]
    spenders = {"financier": ("desk",), "obligor": ("programme", "vault")}.get(participant.role, ())
    for name, cash in addresses.items():
        if not name.startswith("cash:"):
            continue
        for spender in spenders:
            data = encode_call("approve(address,uint256)", [addresses[spender], MAX_ALLOWANCE])
            calls.append((f"participant.approve_{spender}", cash, data))
    for kind, target, data in calls:
        relay_as(runtime, participant, kind, target, data)


def set_verification(
    session: Session, runtime: Runtime, participant_id: int, verified: bool, by: int
) -> Participant:
    participant = repository.fetch_participant(session, participant_id)
    if participant is None:
        raise ParticipantNotFound(
            f"participant {participant_id} does not exist", participant_id=participant_id
        )
    address = participant.address
    session.commit()
    signature = "verify(address)" if verified else "revoke(address)"
    runtime.submitter.submit_operator_call(
        f"participant.{'verify' if verified else 'revoke'}",
        by,
        runtime.chain.deployment.registry,
        encode_call(signature, [address]),
    )
    session.expire_all()
    refreshed = repository.fetch_participant(session, participant_id)
    assert refreshed is not None
    return refreshed


def create_admin(session: Session, name: str, address: str) -> tuple[Participant, str]:
    """A local administrator (bootstrap or CLI); it holds no notes, so nothing goes on chain."""
    participant = repository.fetch_participant_by_name(session, name)
    if participant is None:
        participant = repository.add_participant(
            session, Participant(name=name, role="admin", address=address, verified=False)
        )
    secret, key_hash, prefix = new_api_key()
    repository.add_api_key(session, participant.id, key_hash, prefix)
    return participant, secret
