"""Reading pieces and transferring value between participants."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NoReturn

from sqlalchemy.orm import Session

from service.api.acting import act_as, signed_forward, signing_request
from service.api.answers import Answer, responds_to
from service.api.auth import Caller
from service.api.common import SigningRequestOut, participant_ref
from service.api.pagination import Page, PageRequest
from service.api.submit import carry_out
from service.db.models import Note, Participant, Voucher
from service.domain.money import Currency, fetch_currency, format_minor, parse_amount_minor
from service.domain.notes import PieceView, check_transfer
from service.domain.vouchers import VoucherStatus
from service.errors import (
    NoteNotFound,
    NotHolder,
    ParticipantNotFound,
    ParticipantNotVerified,
)
from service.fx import service as fx_service
from service.ledger.clock import fetch_ledger_now
from service.notes import repository
from service.notes.repository import Account, Creation
from service.notes.schemas import NoteOut, TransferCreate, TransferIntent, TransferOut
from service.participants import repository as participants_repository
from service.runtime import Runtime
from service.vouchers import repository as vouchers_repository
from service.vouchers.service import sees_whole_tree, voucher_status
from service.writer.outbox import OperationView

TRANSFER_KIND = "note.transfer"


def to_outs(session: Session, runtime: Runtime, notes: Sequence[tuple[Note, Voucher]]) -> list[NoteOut]:
    """The pieces' answers, with their holders and obligors read once for all of them (and, for pieces of
    cross-border vouchers, their pairs' latest rates)."""
    known = participants_repository.fetch_participants_by_addresses(
        session,
        {address for note, voucher in notes for address in (note.holder_address, voucher.obligor_address)},
    )
    now = fetch_ledger_now(runtime)
    statuses = {voucher.id: voucher_status(runtime.settings, voucher, now) for _note, voucher in notes}
    pairs = {
        (voucher.currency, voucher.settlement_currency)
        for _note, voucher in notes
        if voucher.settlement_currency != voucher.currency
    }
    rates = fx_service.fetch_rate_statuses_of_pairs(session, runtime, pairs, now) if pairs else {}
    outs = []
    for note, voucher in notes:
        out = to_out(note, voucher, known, statuses[voucher.id])
        if voucher.settlement_currency != voucher.currency:
            rate = rates.get((voucher.currency, voucher.settlement_currency))
            value, why = fx_service.settlement_value(note.value_minor, voucher, rate)
            out.settlement_value, out.settlement_value_unavailable = value, why  # type: ignore[assignment]
        outs.append(out)
    return outs


def to_out(
    note: Note,
    voucher: Voucher,
    known: dict[str, Participant],
    status: VoucherStatus,
    created: Creation | None = None,
) -> NoteOut:
    """The piece in full, or as it was `created` (the provenance view)."""
    return NoteOut(
        token_id=note.token_id,
        view=PieceView.FULL if created is None else PieceView.PROVENANCE,
        voucher_id=note.voucher_id,
        currency=voucher.currency,
        value=format_minor(note.value_minor, fetch_currency(voucher.currency)) if created is None else None,
        holder=participant_ref(note.holder_address if created is None else created.holder_address, known),
        obligor=participant_ref(voucher.obligor_address, known),
        parent_token_id=note.parent_token_id,
        root_token_id=note.root_token_id,
        depth=note.depth,
        due_at=voucher.due_at,
        voucher_status=status,
        created_transaction_hash=note.created_transaction_hash,
    )


def list_holdings(
    session: Session, runtime: Runtime, caller: Caller, include_empty: bool, page: PageRequest
) -> Page[NoteOut]:
    fetched = repository.fetch_notes_of_holder(
        session, caller.address, include_empty, page.after_id, page.limit + 1
    )
    notes, next_cursor = page.page(fetched, lambda note: (note.token_id,))
    if not notes:
        return Page(items=[], next_cursor=None)
    vouchers = {
        voucher.id: voucher
        for voucher in vouchers_repository.fetch_vouchers(session, {note.voucher_id for note in notes})
    }
    pairs = [(note, vouchers[note.voucher_id]) for note in notes if note.voucher_id in vouchers]
    return Page(items=to_outs(session, runtime, pairs), next_cursor=next_cursor)


def load_note(session: Session, caller: Caller, token_id: int) -> tuple[Note, Voucher]:
    found = repository.fetch_note_with_voucher(session, token_id)
    if found is None:
        raise NoteNotFound(f"note {token_id} does not exist", token_id=token_id)
    return found


def load_held_note(session: Session, caller: Caller, token_id: int) -> tuple[Note, Voucher]:
    """A piece the caller holds, to act on. One it may not see answers as one that does not exist (404
    note_not_found), so that ids reveal nothing; one it sees but does not hold, 403 not_holder."""
    note, voucher = load_note(session, caller, token_id)
    if note.holder_address != caller.address:
        refuse_not_held(session, caller, note, voucher)
    return note, voucher


def refuse_not_held(session: Session, caller: Caller, note: Note, voucher: Voucher) -> NoReturn:
    if fetch_piece_view(session, caller, note, voucher) is None:
        raise NoteNotFound(f"note {note.token_id} does not exist", token_id=note.token_id)
    raise NotHolder(f"note {note.token_id} is not held by you", token_id=note.token_id)


def fetch_piece_view(session: Session, caller: Caller, note: Note, voucher: Voucher) -> PieceView | None:
    """How much of the piece the caller sees; None: nothing (docs/visibility.md)."""
    whole_tree = sees_whole_tree(caller, voucher)
    if whole_tree or note.holder_address == caller.address:
        return PieceView.FULL
    if repository.is_seen_by_holder(session, note, caller.address):
        return PieceView.PROVENANCE
    return None


def read_note(session: Session, runtime: Runtime, caller: Caller, token_id: int) -> NoteOut:
    note, voucher = load_note(session, caller, token_id)
    view = fetch_piece_view(session, caller, note, voucher)
    if view is None:
        raise NoteNotFound(f"note {token_id} does not exist", token_id=token_id)
    if view is PieceView.FULL:
        [out] = to_outs(session, runtime, [(note, voucher)])
        return out
    created = repository.fetch_creations(session, {token_id})[token_id]
    known = participants_repository.fetch_participants_by_addresses(
        session, {created.holder_address, voucher.obligor_address}
    )
    status = voucher_status(runtime.settings, voucher, fetch_ledger_now(runtime))
    return to_out(note, voucher, known, status, created)


@dataclass(frozen=True)
class PlannedTransfer:
    sender: Account
    recipient: Account
    currency: Currency
    amount_minor: int
    from_token_id: int
    into_token_id: int | None
    calldata: bytes
    voucher_id: int


def plan_transfer(
    session: Session, runtime: Runtime, caller: Caller, token_id: int, body: TransferIntent
) -> PlannedTransfer:
    """Loads and checks everything; the contract re-checks it all, this just fails earlier and clearer."""
    context = repository.fetch_transfer_context(
        session, token_id, caller.participant_id, body.to_participant_id
    )
    if context is None:
        raise NoteNotFound(f"note {token_id} does not exist", token_id=token_id)
    piece = context.piece
    if piece.holder_address != caller.address:
        refuse_not_held(session, caller, *load_note(session, caller, token_id))
    sender, recipient = context.sender, context.recipient
    if recipient is None:
        raise ParticipantNotFound(
            f"participant {body.to_participant_id} does not exist", participant_id=body.to_participant_id
        )
    if not recipient.verified or recipient.role == "admin":
        raise ParticipantNotVerified(
            f"participant {recipient.id} is not a verified participant and cannot hold notes",
            participant_id=recipient.id,
        )
    assert sender is not None
    currency = fetch_currency(context.currency)
    amount_minor = parse_amount_minor(body.amount, currency)
    into = repository.fetch_note(session, body.into_token_id) if body.into_token_id is not None else None
    if body.into_token_id is not None and (
        into is None or into.voucher_id != piece.voucher_id or into.holder_address != recipient.address
    ):
        # One answer whether it does not exist or is someone else's: ids of pieces reveal nothing.
        raise NoteNotFound(
            f"note {body.into_token_id} is not a piece of voucher {piece.voucher_id} held by participant "
            f"{recipient.id}",
            token_id=body.into_token_id,
        )
    check_transfer(
        piece,
        sender_address=sender.address,
        recipient_address=recipient.address,
        amount_minor=amount_minor,
        unit_minor=context.unit_minor,
        currency=currency,
        # the chain's own state of the voucher, as indexed: its pieces still move (not all redeemed)
        voucher_active=context.voucher_status == "active",
        into_piece=repository.to_piece(into) if into else None,
    )
    note = runtime.chain.contracts.note
    if into is not None:
        calldata = note.calldata("transferFrom", token_id, into.token_id, amount_minor)
    else:
        calldata = note.calldata("transferFrom", token_id, recipient.address, amount_minor)
    return PlannedTransfer(
        sender, recipient, currency, amount_minor, token_id, body.into_token_id, calldata, piece.voucher_id
    )


def prepare_signing_request(
    session: Session, runtime: Runtime, caller: Caller, token_id: int, body: TransferIntent
) -> SigningRequestOut:
    plan = plan_transfer(session, runtime, caller, token_id, body)
    return SigningRequestOut(
        **signing_request(runtime, plan.sender, runtime.chain.deployment.note, plan.calldata)
    )


def transfer(
    session: Session, runtime: Runtime, caller: Caller, token_id: int, body: TransferCreate
) -> TransferOut:
    intent = TransferIntent(
        to_participant_id=body.to_participant_id, amount=body.amount, into_token_id=body.into_token_id
    )
    plan = plan_transfer(session, runtime, caller, token_id, intent)
    operation = act_as(
        runtime,
        plan.sender,
        TRANSFER_KIND,
        runtime.chain.deployment.note,
        plan.calldata,
        signed=signed_forward(body),
        payload={
            "currency": plan.currency.code,
            "to_participant_id": plan.recipient.id,
            "voucher_id": plan.voucher_id,
        },
    )
    [done] = carry_out(runtime, [operation], participant_id=caller.participant_id, session=session)
    return build_transfer_out(session, done)


def build_transfer_out(session: Session, operation: OperationView) -> TransferOut:
    """A transfer's answer, from its own events and the index as of its block."""
    payload = operation.payload or {}
    [moved] = operation.events("TransferValue")
    args = moved["args"]
    from_token_id = int(args["_fromTokenId"])
    currency = fetch_currency(payload["currency"])
    assert operation.block_number is not None and operation.transaction_hash is not None
    remaining_minor = repository.compute_value_after_block(session, from_token_id, operation.block_number)
    return TransferOut(
        kind="split" if operation.events("NoteSplit") else "merge",
        token_id=int(args["_toTokenId"]),
        from_token_id=from_token_id,
        voucher_id=int(payload["voucher_id"]),
        amount=format_minor(int(args["_value"]), currency),
        remaining=format_minor(remaining_minor, currency),
        to_participant_id=int(payload["to_participant_id"]),
        transaction_hash=operation.transaction_hash,
        block_number=operation.block_number,
    )


@responds_to(TRANSFER_KIND)
def answer_transfer(_runtime: Runtime, session: Session, operations: Sequence[OperationView]) -> Answer:
    return 201, build_transfer_out(session, operations[0]).model_dump(mode="json")
