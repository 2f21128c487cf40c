"""Registering participants: an on-chain verification plus an off-chain record and API key."""

from __future__ import annotations

from collections.abc import Sequence

from eth_utils import to_checksum_address
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from service.api.acting import act_as, act_as_service
from service.api.answers import Answer, responds_to, withhold
from service.api.auth import new_api_key
from service.api.submit import carry_out, record_answer
from service.db.models import Participant
from service.errors import ParticipantAlreadyExists, ParticipantNotFound
from service.participants import repository
from service.participants.schemas import (
    API_KEY_NOT_REPEATED,
    API_KEY_SHOWN_ONCE,
    ParticipantCreate,
    ParticipantCreated,
    ParticipantOut,
)
from service.runtime import Runtime
from service.writer.outbox import OperationIntent, OperationView

REGISTER_KIND = "participant.register"
VERIFY_KIND = "participant.verify"
REVOKE_KIND = "participant.revoke"
APPROVE_KIND = "participant.approve"
MAX_ALLOWANCE = 2**256 - 1
withhold("api_key", "api_key_note", API_KEY_NOT_REPEATED)


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
    return bool(runtime.chain.read(runtime.chain.contracts.registry.call("isVerified", address)))


def register_participant(
    session: Session, runtime: Runtime, body: ParticipantCreate, registered_by: int
) -> ParticipantCreated:
    """The participant's record and key, and (but for admins) its verification on chain and, when the
    ledger keeps its key, the market approvals: all recorded in one transaction with the operations,
    answered once the chain has run them."""
    # load: refuse duplicates before anything is recorded
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
    needs_verification = body.role != "admin" and not fetch_is_verified(runtime, address)
    secret, key_hash, prefix = new_api_key()
    created: list[Participant] = []

    def record(connection: Connection) -> list[OperationIntent]:
        participant = repository.insert_participant(
            connection, name=body.name, role=body.role, address=address, encrypted_private_key=encrypted_key
        )
        repository.insert_api_key(connection, participant.id, key_hash, prefix)
        created.append(participant)
        if body.role == "admin":
            return []
        intents = []
        if needs_verification:
            registry = runtime.chain.contracts.registry
            intents.append(
                act_as_service(
                    runtime,
                    "registrar",
                    REGISTER_KIND,
                    registry.address,
                    registry.calldata("verify", address),
                    payload={"participant_id": participant.id},
                )
            )
        if encrypted_key is not None:
            intents += market_approvals(runtime, participant)
        return intents

    if body.role == "admin" or (not needs_verification and encrypted_key is None):
        with runtime.database.connection_transaction() as connection:
            record(connection)
            out = ParticipantCreated(
                **to_out(created[0]).model_dump(), api_key=secret, registration_transaction_hash=None
            )
            record_answer(connection, 201, out.model_dump(mode="json"))
        return out
    operations = carry_out(runtime, record, participant_id=registered_by, session=session)
    return build_created(session, operations, secret)


def build_created(
    session: Session, operations: Sequence[OperationView], secret: str | None
) -> ParticipantCreated:
    registration = next((op for op in operations if op.kind == REGISTER_KIND), None)
    participant_id = (registration or operations[0]).payload["participant_id"]  # type: ignore[index]
    session.expire_all()
    participant = repository.fetch_participant(session, participant_id)
    assert participant is not None
    return ParticipantCreated(
        **to_out(participant).model_dump(),
        api_key=secret,
        api_key_note=API_KEY_SHOWN_ONCE,
        registration_transaction_hash=registration.transaction_hash if registration else None,
    )


@responds_to(REGISTER_KIND, APPROVE_KIND)
def answer_registration(_runtime: Runtime, session: Session, operations: Sequence[OperationView]) -> Answer:
    """Rebuilt after a crash: the API key was shown to nobody and is not kept; an admin issues a new one."""
    return 201, build_created(session, operations, None).model_dump(mode="json")


def market_approvals(runtime: Runtime, participant: Participant) -> list[OperationIntent]:
    """Lets the market contracts move what a trade needs, and nothing they are not asked to by a signed call.

    The financing desk moves a seller's note value only inside `executeQuote` called by that seller,
    and a financier's cash only against a quote that financier signed; the early-payment programme
    and the settlement vault pull an obligor's cash only when the obligor funds them.
    """
    contracts = runtime.chain.contracts
    addresses = runtime.chain.deployment.addresses
    payload = {"participant_id": participant.id}
    intents = [
        act_as(
            runtime,
            participant,
            APPROVE_KIND,
            contracts.note.address,
            contracts.note.calldata("setApprovalForAll", contracts.desk.address, True),
            payload=payload,
        )
    ]
    spenders = {"financier": ("desk",), "obligor": ("programme", "vault")}.get(participant.role, ())
    for name in sorted(addresses):
        if not name.startswith("cash:"):
            continue
        cash = contracts[name]
        for spender in spenders:
            calldata = cash.calldata("approve", contracts[spender].address, MAX_ALLOWANCE)
            intents.append(
                act_as(runtime, participant, APPROVE_KIND, cash.address, calldata, payload=payload)
            )
    return intents


def set_verification(
    session: Session, runtime: Runtime, participant_id: int, verified: bool, by: int
) -> Participant:
    participant = repository.fetch_participant(session, participant_id)
    if participant is None:
        raise ParticipantNotFound(
            f"participant {participant_id} does not exist", participant_id=participant_id
        )
    registry = runtime.chain.contracts.registry
    intent = act_as_service(
        runtime,
        "registrar",
        VERIFY_KIND if verified else REVOKE_KIND,
        registry.address,
        registry.calldata("verify" if verified else "revoke", participant.address),
        payload={"participant_id": participant_id},
    )
    carry_out(runtime, [intent], participant_id=by, session=session)
    session.expire_all()
    refreshed = repository.fetch_participant(session, participant_id)
    assert refreshed is not None
    return refreshed


@responds_to(VERIFY_KIND, REVOKE_KIND)
def answer_verification(_runtime: Runtime, session: Session, operations: Sequence[OperationView]) -> Answer:
    participant = repository.fetch_participant(session, int(operations[0].payload["participant_id"]))  # type: ignore[index]
    assert participant is not None
    return 200, to_out(participant).model_dump(mode="json")


def create_admin(connection: Connection, name: str, address: str) -> tuple[Participant, str]:
    """A local administrator (bootstrap or CLI); it holds no notes, so nothing goes on chain."""
    participant = repository.fetch_participant_by_name_on(connection, name)
    if participant is None:
        participant = repository.insert_participant(
            connection, name=name, role="admin", address=address, encrypted_private_key=None
        )
    secret, key_hash, prefix = new_api_key()
    repository.insert_api_key(connection, participant.id, key_hash, prefix)
    return participant, secret
