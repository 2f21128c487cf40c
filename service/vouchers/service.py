"""Issuing vouchers and reading them back, with their lineage."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from service.api.acting import act_as_service
from service.api.answers import Answer, responds_to
from service.api.auth import Caller
from service.api.common import participant_ref
from service.api.pagination import Page, PageRequest
from service.api.submit import await_outcome, require_effect, submit
from service.db.models import Note, Participant, ValueMovement, Voucher, VoucherDocument
from service.domain.identity import is_kyc_expired
from service.domain.logistics import milestone_of
from service.domain.money import Currency, encode_currency, fetch_currency, format_minor, parse_amount_minor
from service.domain.notes import PieceView, compute_piece_view
from service.domain.vouchers import VoucherStatus, compute_issuance_terms, compute_voucher_status
from service.errors import (
    Forbidden,
    InvalidRequest,
    KycExpired,
    ParticipantNotFound,
    ParticipantNotVerified,
    VoucherNotFound,
)
from service.ledger.clock import fetch_ledger_now
from service.notes import repository as notes_repository
from service.notes.repository import Creation
from service.participants import repository as participants_repository
from service.runtime import Runtime
from service.settings import Settings
from service.vouchers import repository
from service.vouchers.schemas import (
    MAX_INFLOWS_SHOWN,
    LineageInflow,
    LineageOut,
    LineagePieceOut,
    VoucherCreate,
    VoucherOut,
)
from service.writer.outbox import OperationView

ISSUE_KIND = "voucher.issue"


def _require_participant(session: Session, participant_id: int, field: str, now: datetime) -> Participant:
    participant = participants_repository.fetch_participant(session, participant_id)
    if participant is None:
        raise ParticipantNotFound(
            f"{field} {participant_id} does not exist", field=field, participant_id=participant_id
        )
    if not participant.verified:
        raise ParticipantNotVerified(f"{field} {participant_id} is not a verified participant", field=field)
    if is_kyc_expired(participant.kyc_expires_at, now):
        raise KycExpired(
            f"{field} {participant_id}'s KYC has lapsed", field=field, participant_id=participant_id
        )
    return participant


def issue_voucher(session: Session, runtime: Runtime, caller: Caller, body: VoucherCreate) -> int:
    """Issues the voucher on chain (as the service's issuer account); returns its id (the slot). Its
    invoice references are recorded with the operation and tied to the voucher by the projection of
    the issuance event."""
    # load
    if caller.is_admin:
        if body.obligor_participant_id is None:
            raise InvalidRequest(
                "an admin must name the obligor_participant_id", field="obligor_participant_id"
            )
        obligor_id = body.obligor_participant_id
    else:
        if body.obligor_participant_id not in (None, caller.participant_id):
            raise Forbidden("an obligor issues vouchers only on its own behalf")
        obligor_id = caller.participant_id
    now = fetch_ledger_now(runtime)
    obligor = _require_participant(session, obligor_id, "obligor_participant_id", now)
    if obligor.role != "obligor":
        raise InvalidRequest(f"participant {obligor_id} has role {obligor.role}, not obligor")
    holder = _require_participant(session, body.holder_participant_id, "holder_participant_id", now)
    if holder.id == obligor.id:
        raise InvalidRequest("an obligor cannot issue a voucher to itself")

    # compute
    currency = fetch_currency(body.currency)
    settlement_currency = fetch_currency(body.settlement_currency or body.currency)
    if settlement_currency.code != currency.code:
        require_fx_pair(runtime, currency.code, settlement_currency.code)
    transfer_cap_minor = (
        parse_amount_minor(body.transfer_cap, currency, field="transfer_cap") if body.transfer_cap else 0
    )
    terms = compute_issuance_terms(
        currency,
        parse_amount_minor(body.face_value, currency, field="face_value"),
        parse_amount_minor(body.minimum_unit, currency, field="minimum_unit"),
        body.due_date,
        now,
    )
    calldata = runtime.chain.contracts.note.calldata(
        "issue",
        obligor.address,
        holder.address,
        encode_currency(currency.code),
        encode_currency(settlement_currency.code),
        terms.face_value_minor,
        terms.unit_minor,
        int(terms.due_at.timestamp()),
        transfer_cap_minor,
        bytes.fromhex(body.document_hash[2:]),
    )
    intent = act_as_service(runtime, "issuer", ISSUE_KIND, runtime.chain.deployment.note, calldata)
    references = list(body.invoice_references)

    def record_documents(connection: Connection, operation_ids: list[int]) -> None:
        repository.add_document(connection, operation_ids[0], references, caller.participant_id)

    # submit: the documents are written with the operation, in the same transaction
    operation_ids = submit(
        runtime, [intent], participant_id=caller.participant_id, session=session, also=record_documents
    )
    operations = await_outcome(runtime, operation_ids)
    require_effect(runtime, operations)
    return voucher_of(operations[0])


def require_fx_pair(runtime: Runtime, currency: str, settlement_currency: str) -> None:
    """A cross-border voucher needs a rate to settle at: a feed for the pair in the rate directory."""
    fx = runtime.chain.contracts.fx
    feed, _decimals, _max_age = runtime.chain.read(
        fx.call("feedOf", encode_currency(currency), encode_currency(settlement_currency))
    )
    if int(feed, 16) == 0:
        raise InvalidRequest(
            f"no FX feed gives the {currency}/{settlement_currency} rate: the voucher could not be settled",
            currency=currency,
            settlement_currency=settlement_currency,
        )


def voucher_of(operation: OperationView) -> int:
    [issued] = operation.events("VoucherIssued")
    return int(issued["args"]["slot"])


@responds_to(ISSUE_KIND)
def answer_issue(runtime: Runtime, session: Session, operations: Sequence[OperationView]) -> Answer:
    voucher = repository.fetch_voucher(session, voucher_of(operations[0]))
    assert voucher is not None
    [out] = to_outs(session, runtime, [voucher])
    return 201, out.model_dump(mode="json")


def require_visible_voucher(session: Session, caller: Caller, voucher_id: int) -> Voucher:
    voucher = repository.fetch_voucher(session, voucher_id)
    if voucher is None or not can_view_voucher(session, caller, voucher):
        # Invisible and unknown vouchers look the same, so ids leak nothing.
        raise VoucherNotFound(f"voucher {voucher_id} does not exist", voucher_id=voucher_id)
    return voucher


def can_view_voucher(session: Session, caller: Caller, voucher: Voucher) -> bool:
    """Admins, compliance agents, the obligor and anyone who holds or has held a piece of the voucher."""
    if caller.supervises or caller.address == voucher.obligor_address:
        return True
    return notes_repository.holds_piece_of(session, caller.address, voucher.id)


def voucher_status(settings: Settings, voucher: Voucher, now: datetime) -> VoucherStatus:
    """The voucher's lifecycle status by the ledger's clock, as its notes and settlement show it too."""
    return compute_voucher_status(
        voucher.due_at.replace(tzinfo=UTC),
        now,
        timedelta(seconds=settings.settlement_grace_seconds),
        timedelta(seconds=settings.settlement_default_after_seconds),
        voucher.face_value_minor - voucher.redeemed_minor,
    )


def to_outs(session: Session, runtime: Runtime, vouchers: Sequence[Voucher]) -> list[VoucherOut]:
    """The vouchers' answers, with their documents and parties read once for all of them."""
    documents = repository.fetch_documents(session, {voucher.id for voucher in vouchers})
    known = participants_repository.fetch_participants_by_addresses(
        session,
        {
            address
            for voucher in vouchers
            for address in (voucher.obligor_address, voucher.initial_holder_address)
        },
    )
    now = fetch_ledger_now(runtime)
    return [
        to_out(voucher, documents.get(voucher.id), known, voucher_status(runtime.settings, voucher, now))
        for voucher in vouchers
    ]


def to_out(
    voucher: Voucher, document: VoucherDocument | None, known: dict[str, Participant], status: VoucherStatus
) -> VoucherOut:
    currency = fetch_currency(voucher.currency)
    # Face less redeemed equals the sum of the pieces (the contract's invariant; `reconcile` checks it).
    outstanding = voucher.face_value_minor - voucher.redeemed_minor
    return VoucherOut(
        id=voucher.id,
        obligor=participant_ref(voucher.obligor_address, known),
        initial_holder=participant_ref(voucher.initial_holder_address, known),
        currency=voucher.currency,
        settlement_currency=voucher.settlement_currency,
        cross_border=voucher.settlement_currency != voucher.currency,
        transfer_cap=format_minor(voucher.transfer_cap_minor, currency)
        if voucher.transfer_cap_minor
        else None,
        paused=voucher.paused,
        milestone=milestone_of(voucher.milestone),
        face_value=format_minor(voucher.face_value_minor, currency),
        minimum_unit=format_minor(voucher.unit_minor, currency),
        unit_count=voucher.face_value_minor // voucher.unit_minor,
        outstanding=format_minor(outstanding, currency),
        redeemed=format_minor(voucher.redeemed_minor, currency),
        status=status,
        issued_at=voucher.issued_at,
        due_at=voucher.due_at,
        document_hash=voucher.document_hash,
        invoice_references=list(document.invoice_references) if document else [],
        root_token_id=voucher.root_token_id,
        issue_transaction_hash=voucher.issue_transaction_hash,
    )


def read_voucher(session: Session, runtime: Runtime, caller: Caller, voucher_id: int) -> VoucherOut:
    [out] = to_outs(session, runtime, [require_visible_voucher(session, caller, voucher_id)])
    return out


def list_vouchers(session: Session, runtime: Runtime, caller: Caller, page: PageRequest) -> Page[VoucherOut]:
    viewer = None if caller.supervises else caller.address
    fetched = repository.fetch_visible_vouchers(session, viewer, page.after_id, page.limit + 1)
    vouchers, next_cursor = page.page(fetched, lambda voucher: (voucher.id,))
    return Page(items=to_outs(session, runtime, vouchers), next_cursor=next_cursor)


def sees_whole_tree(caller: Caller, voucher: Voucher) -> bool:
    """Administrators, compliance agents and the voucher's obligor see every piece of it
    (docs/visibility.md)."""
    return caller.supervises or caller.address == voucher.obligor_address


def read_lineage(session: Session, caller: Caller, voucher_id: int, page: PageRequest) -> LineageOut:
    """The pieces the caller may see (docs/visibility.md), a page at a time."""
    voucher = require_visible_voucher(session, caller, voucher_id)
    currency = fetch_currency(voucher.currency)
    whole_tree = sees_whole_tree(caller, voucher)
    total_held_minor, piece_count = notes_repository.fetch_voucher_totals(session, voucher_id)
    viewer = None if whole_tree else caller.address
    fetched = notes_repository.fetch_notes_of_voucher(
        session, voucher_id, viewer, page.after_id, page.limit + 1
    )
    notes, next_cursor = page.page(fetched, lambda note: (note.token_id,))
    token_ids = {note.token_id for note in notes}
    creations = notes_repository.fetch_creations(session, token_ids)
    merges = notes_repository.fetch_merges_into(session, token_ids, MAX_INFLOWS_SHOWN)
    addresses = {note.holder_address for note in notes} | {made.holder_address for made in creations.values()}
    known = participants_repository.fetch_participants_by_addresses(session, addresses)
    pieces = []
    for note in notes:
        view = compute_piece_view(
            sees_whole_tree=whole_tree, holder_address=note.holder_address, viewer_address=caller.address
        )
        created = creations.get(note.token_id, Creation(0, note.holder_address))
        pieces.append(
            _lineage_piece(note, view, created, merges.get(note.token_id, ([], 0)), known, currency)
        )
    return LineageOut(
        voucher_id=voucher.id,
        currency=voucher.currency,
        face_value=format_minor(voucher.face_value_minor, currency),
        outstanding=format_minor(voucher.face_value_minor - voucher.redeemed_minor, currency),
        total_held=format_minor(total_held_minor, currency),
        piece_count=piece_count if whole_tree else None,
        pieces=pieces,
        next_cursor=next_cursor,
    )


def _lineage_piece(
    note: Note,
    view: PieceView,
    created: Creation,
    merges: tuple[list[ValueMovement], int],
    known: dict[str, Participant],
    currency: Currency,
) -> LineagePieceOut:
    """A piece as `view` shows it: as it is now (full), or as it was created (provenance)."""
    full = view is PieceView.FULL
    merged_in, merged_in_count = merges
    return LineagePieceOut(
        token_id=note.token_id,
        view=view,
        holder=participant_ref(note.holder_address if full else created.holder_address, known),
        value=format_minor(note.value_minor, currency) if full else None,
        depth=note.depth,
        parent_token_id=note.parent_token_id,
        created_transaction_hash=note.created_transaction_hash,
        created_block_number=note.created_block_number,
        received=format_minor(created.value_minor, currency),
        merged_in=[
            LineageInflow(
                from_token_id=movement.from_token_id or 0,
                amount=format_minor(movement.value_minor, currency),
                transaction_hash=movement.transaction_hash,
            )
            for movement in (merged_in if full else [])
        ],
        merged_in_count=merged_in_count if full else None,
    )
