"""Registering participants (a record, an API key, and for every ledger role an identity record on
chain), and their identity's changes by a compliance agent."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from eth_utils import to_checksum_address
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from service.api.acting import act_as, act_as_service
from service.api.answers import Answer, responds_to, withhold
from service.api.auth import new_api_key
from service.api.pagination import Page, PageRequest
from service.api.submit import carry_out, record_answer
from service.db.models import Participant
from service.domain.identity import (
    ComplianceReason,
    compute_default_kyc_expiry,
    compute_kyc_expires_at,
    encode_country,
    encode_reason,
    is_kyc_expired,
    is_staff,
    registry_role_code,
)
from service.errors import InvalidCountry, InvalidRequest, ParticipantAlreadyExists, ParticipantNotFound
from service.ledger.clock import fetch_ledger_now
from service.participants import repository
from service.participants.schemas import (
    API_KEY_NOT_REPEATED,
    API_KEY_SHOWN_ONCE,
    IdentityChangeOut,
    IdentityUpdate,
    ParticipantCreate,
    ParticipantCreated,
    ParticipantOut,
)
from service.runtime import Runtime
from service.writer.outbox import OperationIntent, OperationView

REGISTER_KIND = "participant.register"
IDENTITY_KIND = "participant.identity"
APPROVE_KIND = "participant.approve"
MAX_ALLOWANCE = 2**256 - 1
withhold("api_key", "api_key_note", API_KEY_NOT_REPEATED)


def to_out(participant: Participant, now: datetime) -> ParticipantOut:
    return ParticipantOut(
        id=participant.id,
        name=participant.name,
        role=participant.role,  # type: ignore[arg-type]
        address=participant.address,
        verified=participant.verified,
        kyc_expires_at=participant.kyc_expires_at,
        kyc_expired=is_kyc_expired(participant.kyc_expires_at, now),
        country=participant.country,
        frozen=participant.frozen,
        managed_key=participant.encrypted_private_key is not None,
        created_at=participant.created_at,
    )


def _utc(moment: datetime | None) -> datetime | None:
    """Stored timestamps are UTC; SQLite hands them back without their offset."""
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def require_country(runtime: Runtime, country: str) -> None:
    """An assigned ISO 3166-1 code, as the registry itself judges it (its own list), before anything is
    recorded: a refusal on chain would leave the participant behind without its identity."""
    registry = runtime.chain.contracts.registry
    if not runtime.chain.read(registry.call("isCountryCode", encode_country(country))):
        raise InvalidCountry(f"{country} is not an assigned ISO 3166-1 country code", country=country)


def require_future_expiry(kyc_expires_at: datetime, now: datetime) -> None:
    if kyc_expires_at <= now:
        raise InvalidRequest(
            f"a KYC expiry of {kyc_expires_at.date().isoformat()} is not in the future",
            field="kyc_expires_on",
        )


def set_identity_intent(
    runtime: Runtime,
    kind: str,
    participant: Participant,
    identity: tuple[bool, datetime | None, str | None],
    reason: ComplianceReason,
    payload: dict[str, Any],
) -> OperationIntent:
    """The registry's `setIdentity`, signed by the service's compliance account."""
    verified, kyc_expires_at, country = identity
    registry = runtime.chain.contracts.registry
    return act_as_service(
        runtime,
        "compliance",
        kind,
        registry.address,
        registry.calldata(
            "setIdentity",
            participant.address,
            verified,
            int(kyc_expires_at.timestamp()) if kyc_expires_at else 0,
            encode_country(country) if country else b"\0\0",
            registry_role_code(participant.role),
            encode_reason(reason),
        ),
        payload=payload,
    )


def _check_registration(runtime: Runtime, body: ParticipantCreate, now: datetime) -> datetime | None:
    """The KYC expiry of a new ledger participant (None for staff), after every check of its identity."""
    if is_staff(body.role):
        if body.country is not None or body.kyc_expires_on is not None:
            raise InvalidRequest(f"role {body.role} has no identity record: no country or KYC expiry")
        return None
    if body.country is None:
        raise InvalidRequest(f"role {body.role} needs a country (ISO 3166-1 alpha-2)", field="country")
    require_country(runtime, body.country)
    expires_on = body.kyc_expires_on or compute_default_kyc_expiry(now, runtime.settings.kyc_validity_days)
    kyc_expires_at = compute_kyc_expires_at(expires_on)
    require_future_expiry(kyc_expires_at, now)
    return kyc_expires_at


def _require_new(session: Session, body: ParticipantCreate) -> None:
    if repository.fetch_participant_by_name(session, body.name) is not None:
        raise ParticipantAlreadyExists(f"a participant named {body.name!r} exists already", name=body.name)
    if body.address is not None:
        holder = repository.fetch_participant_by_address(session, str(to_checksum_address(body.address)))
        if holder is not None:
            raise ParticipantAlreadyExists(
                f"the address belongs to participant {holder.id} already", participant_id=holder.id
            )


def register_participant(
    session: Session, runtime: Runtime, body: ParticipantCreate, registered_by: int
) -> ParticipantCreated:
    """The participant's record and key, and (but for staff) its identity on chain and, when the ledger
    keeps its key, the market approvals: all recorded in one transaction with the operations, answered
    once the chain has run them."""
    # load and check everything before anything is recorded
    now = fetch_ledger_now(runtime)
    _require_new(session, body)
    kyc_expires_at = _check_registration(runtime, body, now)
    if body.address is not None:
        address, encrypted_key = str(to_checksum_address(body.address)), None
    else:
        address, encrypted_key = runtime.key_vault.create_account()
    secret, key_hash, prefix = new_api_key()
    created: list[Participant] = []

    def record(connection: Connection) -> list[OperationIntent]:
        participant = repository.insert_participant(
            connection, name=body.name, role=body.role, address=address, encrypted_private_key=encrypted_key
        )
        repository.insert_api_key(connection, participant.id, key_hash, prefix)
        created.append(participant)
        if kyc_expires_at is None:
            return []
        identity = (True, kyc_expires_at, body.country)
        payload = {"participant_id": participant.id}
        intents = [
            set_identity_intent(
                runtime, REGISTER_KIND, participant, identity, ComplianceReason.ONBOARDING, payload
            )
        ]
        if encrypted_key is not None:
            intents += market_approvals(runtime, participant)
        return intents

    if kyc_expires_at is None:
        with runtime.database.connection_transaction() as connection:
            record(connection)
            out = ParticipantCreated(
                **to_out(created[0], now).model_dump(),
                api_key=secret,
                api_key_note=API_KEY_SHOWN_ONCE,
                registration_transaction_hash=None,
            )
            record_answer(connection, 201, out.model_dump(mode="json"))
        return out
    operations = carry_out(runtime, record, participant_id=registered_by, session=session)
    return build_created(session, runtime, operations, secret)


def build_created(
    session: Session, runtime: Runtime, operations: Sequence[OperationView], secret: str | None
) -> ParticipantCreated:
    registration = next((op for op in operations if op.kind == REGISTER_KIND), None)
    participant_id = (registration or operations[0]).payload["participant_id"]  # type: ignore[index]
    session.expire_all()
    participant = repository.fetch_participant(session, participant_id)
    assert participant is not None
    return ParticipantCreated(
        **to_out(participant, fetch_ledger_now(runtime)).model_dump(),
        api_key=secret,
        api_key_note=API_KEY_SHOWN_ONCE,
        registration_transaction_hash=registration.transaction_hash if registration else None,
    )


@responds_to(REGISTER_KIND, APPROVE_KIND)
def answer_registration(runtime: Runtime, session: Session, operations: Sequence[OperationView]) -> Answer:
    """Rebuilt after a crash: the API key was shown to nobody and is not kept; an admin issues a new one."""
    return 201, build_created(session, runtime, operations, None).model_dump(mode="json")


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


def load_ledger_participant(session: Session, participant_id: int) -> Participant:
    participant = repository.fetch_participant(session, participant_id)
    if participant is None:
        raise ParticipantNotFound(
            f"participant {participant_id} does not exist", participant_id=participant_id
        )
    if is_staff(participant.role):
        raise InvalidRequest(
            f"participant {participant_id} is a {participant.role}: it has no identity record",
            participant_id=participant_id,
        )
    return participant


def update_identity(
    session: Session, runtime: Runtime, participant_id: int, update: IdentityUpdate, by: int
) -> ParticipantOut:
    """A compliance agent's change of an identity record (what the update omits stays as recorded)."""
    participant = load_ledger_participant(session, participant_id)
    now = fetch_ledger_now(runtime)
    verified = participant.verified if update.verified is None else update.verified
    kyc_expires_at = _utc(participant.kyc_expires_at)
    if update.kyc_expires_on is not None:
        kyc_expires_at = compute_kyc_expires_at(update.kyc_expires_on)
        require_future_expiry(kyc_expires_at, now)
    country = update.country or participant.country
    if update.country is not None:
        require_country(runtime, update.country)
    if verified and (kyc_expires_at is None or country is None):
        raise InvalidRequest(
            "a verified identity needs a KYC expiry and a country", participant_id=participant_id
        )
    if verified and kyc_expires_at is not None and kyc_expires_at <= now:
        raise InvalidRequest(
            "its KYC has lapsed: verifying it again needs a new kyc_expires_on", field="kyc_expires_on"
        )
    payload = {"participant_id": participant_id, "note": update.note}
    identity = (verified, kyc_expires_at, country)
    intent = set_identity_intent(runtime, IDENTITY_KIND, participant, identity, update.reason, payload)
    [done] = carry_out(runtime, [intent], participant_id=by, session=session)
    return build_identity_out(session, runtime, done)


def build_identity_out(session: Session, runtime: Runtime, operation: OperationView) -> ParticipantOut:
    session.expire_all()
    participant = repository.fetch_participant(session, int(operation.payload["participant_id"]))  # type: ignore[index]
    assert participant is not None
    return to_out(participant, fetch_ledger_now(runtime))


@responds_to(IDENTITY_KIND)
def answer_identity(runtime: Runtime, session: Session, operations: Sequence[OperationView]) -> Answer:
    return 200, build_identity_out(session, runtime, operations[0]).model_dump(mode="json")


def list_identity_changes(
    session: Session, participant_id: int, page: PageRequest
) -> Page[IdentityChangeOut]:
    """The participant's identity record as it changed, oldest first (the registry's events)."""
    participant = load_ledger_participant(session, participant_id)
    fetched = repository.fetch_identity_changes(session, participant.address, page.after, page.limit + 1)
    rows, next_cursor = page.page(fetched, lambda row: (row[0].block_number, row[0].log_index))
    items = [
        IdentityChangeOut(
            participant_id=participant_id,
            verified=change.verified,
            kyc_expires_at=change.kyc_expires_at,
            country=change.country,
            reason=change.reason,
            note=(operation.payload or {}).get("note") if operation else None,
            requested_by_participant_id=operation.participant_id if operation else None,
            transaction_hash=change.transaction_hash,
            block_number=change.block_number,
            occurred_at=change.occurred_at,
        )
        for change, operation in rows
    ]
    return Page(items=items, next_cursor=next_cursor)


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
