"""Bulk transfers: up to `MAX_BATCH_ITEMS` transfers from one holder's pieces to many recipients in one
request, validated as a whole and carried in as few relay transactions as the block's gas allows.

Every item is checked before anything is recorded, against the pieces' values as the earlier items of
the batch leave them (two items drawing on one piece must fit in it together); if any item would be
refused, the answer lists every refused item with its reason and nothing is sent. Otherwise each item
is one operation (a forward request signed with the holder's managed key) and all are submitted in one
database transaction: the chain writer packs them into `executeBatch` relay transactions up to its gas
limit. A crash anywhere loses nothing and sends nothing twice (the outbox), and a retry with the
request's Idempotency-Key answers the same batch. An item can still fail on chain when something
changed between the check and the block (a recipient revoked meanwhile, a rolling limit reached): the
answer then says which items ran and which failed, and why.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.api.acting import act_as
from service.api.answers import Answer, responds_to
from service.api.auth import Caller
from service.api.reverts import render_failure
from service.api.submit import await_outcome, submit
from service.db.models import Note, Participant, Voucher
from service.domain.identity import is_kyc_expired
from service.domain.money import fetch_currency, format_minor, parse_amount_minor
from service.domain.notes import check_transfer
from service.errors import (
    BatchInvalid,
    KycExpired,
    LedgerError,
    NoteNotFound,
    NotHolder,
    ParticipantNotFound,
    ParticipantNotVerified,
    SignatureRequired,
)
from service.ledger.clock import fetch_ledger_now
from service.notes import repository
from service.notes.schemas import BulkItemOut, BulkTransferCreate, BulkTransferItem, BulkTransferOut
from service.participants import repository as participants_repository
from service.runtime import Runtime
from service.writer.outbox import OperationIntent, OperationView

BULK_TRANSFER_KIND = "note.bulk_transfer"
# Gas handed to each item's forwarded call: a split through the forwarder uses about 176,000 (the gas
# benchmark, cold recipient), a merge less; the default for a single request (400,000) would fit a
# third fewer items into each relay transaction for nothing. An item that ran out would fail on its
# own, visibly, and the batch's other items still run.
BULK_ITEM_GAS = 280_000


@dataclass
class _Loaded:
    """Everything the items refer to, read once for the whole batch."""

    pieces: dict[int, tuple[Note, Voucher]]
    recipients: dict[int, Participant]


def _load(session: Session, body: BulkTransferCreate) -> _Loaded:
    token_ids = {item.from_token_id for item in body.items} | {
        item.into_token_id for item in body.items if item.into_token_id is not None
    }
    rows = session.execute(
        select(Note, Voucher).join(Voucher, Voucher.id == Note.voucher_id).where(Note.token_id.in_(token_ids))
    ).all()
    recipients = participants_repository.fetch_participants_by_ids(
        session, {item.to_participant_id for item in body.items}
    )
    return _Loaded({note.token_id: (note, voucher) for note, voucher in rows}, recipients)


def plan_bulk_transfer(
    session: Session, runtime: Runtime, caller: Caller, body: BulkTransferCreate
) -> list[OperationIntent]:
    """One operation per item, once every item passed; else every refused item with its reason."""
    sender = participants_repository.fetch_participant(session, caller.participant_id)
    assert sender is not None
    if sender.encrypted_private_key is None:
        raise SignatureRequired("a bulk transfer is signed with the ledger's managed key of the holder")
    loaded = _load(session, body)
    now = fetch_ledger_now(runtime)
    left: dict[int, int] = {}  # each piece's value as the batch's earlier items leave it
    intents, refused = [], []
    for index, item in enumerate(body.items):
        try:
            intents.append(_plan_item(session, runtime, caller, sender, loaded, left, index, item, now))
        except LedgerError as error:
            refused.append({"index": index, **error.to_body()})
    if refused:
        raise BatchInvalid(
            f"{len(refused)} of {len(body.items)} transfers would be refused: nothing was sent",
            items=refused,
        )
    return intents


def _plan_item(
    session: Session,
    runtime: Runtime,
    caller: Caller,
    sender: Participant,
    loaded: _Loaded,
    left: dict[int, int],
    index: int,
    item: BulkTransferItem,
    now: datetime,
) -> OperationIntent:
    found = loaded.pieces.get(item.from_token_id)
    if found is None or found[0].holder_address != caller.address:
        _refuse_piece(session, caller, item.from_token_id, found)
    note, voucher = found  # type: ignore[misc]
    recipient = loaded.recipients.get(item.to_participant_id)
    if recipient is None:
        raise ParticipantNotFound(
            f"participant {item.to_participant_id} does not exist", participant_id=item.to_participant_id
        )
    if not recipient.verified:
        raise ParticipantNotVerified(
            f"participant {recipient.id} is not a verified participant", participant_id=recipient.id
        )
    if is_kyc_expired(recipient.kyc_expires_at, now):
        raise KycExpired(f"participant {recipient.id}'s KYC has lapsed", participant_id=recipient.id)
    currency = fetch_currency(voucher.currency)
    amount_minor = parse_amount_minor(item.amount, currency)
    into = loaded.pieces.get(item.into_token_id) if item.into_token_id is not None else None
    if item.into_token_id is not None and (
        into is None or into[0].voucher_id != voucher.id or into[0].holder_address != recipient.address
    ):
        raise NoteNotFound(
            f"note {item.into_token_id} is not a piece of voucher {voucher.id} held by participant "
            f"{recipient.id}",
            token_id=item.into_token_id,
        )
    piece = replace(repository.to_piece(note), value_minor=left.get(note.token_id, note.value_minor))
    check_transfer(
        piece,
        sender_address=sender.address,
        recipient_address=recipient.address,
        amount_minor=amount_minor,
        unit_minor=voucher.unit_minor,
        currency=currency,
        voucher_active=voucher.status == "active",
        into_piece=repository.to_piece(into[0]) if into else None,
    )
    left[note.token_id] = piece.value_minor - amount_minor
    contract = runtime.chain.contracts.note
    target = into[0].token_id if into else recipient.address
    payload = {
        "index": index,
        "from_token_id": note.token_id,
        "to_participant_id": recipient.id,
        "voucher_id": voucher.id,
        "currency": currency.code,
    }
    calldata = contract.calldata("transferFrom", note.token_id, target, amount_minor)
    return act_as(
        runtime, sender, BULK_TRANSFER_KIND, contract.address, calldata, gas=BULK_ITEM_GAS, payload=payload
    )


def _refuse_piece(
    session: Session, caller: Caller, token_id: int, found: tuple[Note, Voucher] | None
) -> None:
    """A piece the caller does not hold: 404 if it may not even see it (ids reveal nothing)."""
    if found is not None and repository.is_seen_by_holder(session, found[0], caller.address):
        raise NotHolder(f"note {token_id} is not held by you", token_id=token_id)
    raise NoteNotFound(f"note {token_id} does not exist", token_id=token_id)


def bulk_transfer(
    session: Session, runtime: Runtime, caller: Caller, body: BulkTransferCreate
) -> BulkTransferOut:
    intents = plan_bulk_transfer(session, runtime, caller, body)
    # Not `carry_out`: an item that failed on chain is part of the answer, not the request's error.
    done = await_outcome(
        runtime, submit(runtime, intents, participant_id=caller.participant_id, session=session)
    )
    return build_bulk_out(runtime, done)


def build_bulk_out(runtime: Runtime, operations: Sequence[OperationView]) -> BulkTransferOut:
    """Each item's outcome in the batch's order, from its operation's events."""
    items = [_item_out(runtime, operation) for operation in operations]
    executed = sum(1 for item in items if item.state == "executed")
    hashes = sorted({item.transaction_hash for item in items if item.transaction_hash}, key=_first_use(items))
    return BulkTransferOut(items=items, transactions=hashes, executed=executed, failed=len(items) - executed)


def _first_use(items: list[BulkItemOut]) -> Any:
    order = {item.transaction_hash: item.index for item in reversed(items)}
    return lambda transaction_hash: order[transaction_hash]


def _item_out(runtime: Runtime, operation: OperationView) -> BulkItemOut:
    payload = operation.payload or {}
    currency = fetch_currency(payload["currency"])
    common: dict[str, Any] = {
        "index": int(payload["index"]),
        "from_token_id": int(payload["from_token_id"]),
        "to_participant_id": int(payload["to_participant_id"]),
        "voucher_id": int(payload["voucher_id"]),
    }
    failure = render_failure(runtime, operation)
    if failure is not None:
        return BulkItemOut(**common, state="failed", error=failure.to_body())
    [moved] = operation.events("TransferValue")
    args = moved["args"]
    return BulkItemOut(
        **common,
        state="executed",
        kind="split" if operation.events("NoteSplit") else "merge",
        token_id=int(args["_toTokenId"]),
        amount=format_minor(int(args["_value"]), currency),
        transaction_hash=operation.transaction_hash,
        block_number=operation.block_number,
    )


@responds_to(BULK_TRANSFER_KIND, failures_answered=True)
def answer_bulk_transfer(runtime: Runtime, _session: Session, operations: Sequence[OperationView]) -> Answer:
    return 201, build_bulk_out(runtime, operations).model_dump(mode="json")
