"""The compliance projection: every control the note applied (its events), as the audit trail
(`compliance_actions`) and as the state it left: frozen participants and pieces, frozen value, rolling
limits. Caps and voucher pauses are the vouchers projection's state; the ledger's pause is read from the
chain (`paused()`); both are recorded here as actions too.

Registered after the notes and vouchers projections: a piece minted and frozen in one range is written
by them before this flushes. Moves of value by a forced transfer or a recovery are the notes
projection's (Transfer, NoteSplit, TransferValue): the actions here only say who forced them and why.

A reorganisation needs no chain read: the actions after the fork point go, and the state is replayed
from the actions kept (each event carries the absolute state it set, and a recovery's move of rolling
limits is replayed in its place).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import Connection, delete, insert, select, update

from service.db.models import (
    ComplianceAction,
    Note,
    Operation,
    Participant,
    TransferLimit,
    ValueMovement,
    Voucher,
)
from service.domain.compliance import ActionKind
from service.domain.identity import decode_reason
from service.domain.money import decode_currency, fetch_currency, format_minor
from service.index.attribution import fetch_request_operations
from service.index.projection import IndexedEvent, ProjectionBatch

Row = dict[str, Any]
_EVENTS = (
    "AddressFrozen",
    "TokenFrozen",
    "ValueFrozen",
    "ValueUnfrozen",
    "ForcedTransfer",
    "RecoverySuccess",
    "TransferCapSet",
    "TransferLimitSet",
    "VoucherPaused",
    "VoucherUnpaused",
    "Paused",
    "Unpaused",
)
# Events without a reason argument: the service keeps the reason of the request that asked for them.
_UNREASONED = frozenset({"VoucherPaused", "VoucherUnpaused", "Paused", "Unpaused"})


class ComplianceProjection:
    name: ClassVar[str] = "compliance"
    subscriptions: ClassVar[frozenset[tuple[str, str]] | None] = frozenset(("note", name) for name in _EVENTS)

    def prepare(self, batch: ProjectionBatch, events: Sequence[IndexedEvent]) -> None:
        pass

    def apply(self, batch: ProjectionBatch, event: IndexedEvent) -> None:
        events: list[IndexedEvent] = batch.buffer(self.name, list)
        events.append(event)

    def flush(self, batch: ProjectionBatch) -> None:
        events: list[IndexedEvent] = batch.state.get(self.name, [])
        if not events:
            return
        connection = batch.connection
        operations = fetch_request_operations(connection, events)
        payloads = _fetch_payloads(connection, set(operations.values()))
        lookup = _Lookup(connection)
        rows = []
        for event in events:
            operation_id = operations.get(event.request) if event.request else None
            row = _action_row(lookup, event, payloads.get(operation_id) if operation_id else None)
            row.update(
                operation_id=operation_id,
                transaction_hash=event.transaction_hash,
                log_index=event.log_index,
                block_number=event.block_number,
                occurred_at=batch.block_time(event.block_number),
            )
            rows.append(row)
        connection.execute(insert(ComplianceAction), rows)
        for row in rows:
            _apply_state(connection, row)

    def roll_back(self, connection: Connection, fork_point: int, chain: Any = None) -> None:
        connection.execute(delete(ComplianceAction).where(ComplianceAction.block_number > fork_point))
        replay_actions(connection)

    def reset(self, connection: Connection) -> None:
        connection.execute(delete(ComplianceAction))
        _clear_state(connection)


def _fetch_payloads(connection: Connection, operation_ids: set[int]) -> dict[int, dict[str, Any]]:
    if not operation_ids:
        return {}
    rows = connection.execute(
        select(Operation.id, Operation.payload).where(Operation.id.in_(sorted(operation_ids)))
    ).all()
    return {int(row.id): dict(row.payload or {}) for row in rows}


class _Lookup:
    """Participants, pieces and vouchers the events name, read once each."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self._participants: dict[str, int | None] = {}
        self._notes: dict[int, tuple[int, str] | None] = {}
        self._vouchers: dict[int, str | None] = {}

    def participant_id(self, address: str) -> int | None:
        if address not in self._participants:
            self._participants[address] = self.connection.execute(
                select(Participant.id).where(Participant.address == address)
            ).scalar()
        return self._participants[address]

    def currency_of_voucher(self, voucher_id: int) -> str | None:
        if voucher_id not in self._vouchers:
            self._vouchers[voucher_id] = self.connection.execute(
                select(Voucher.currency).where(Voucher.id == voucher_id)
            ).scalar()
        return self._vouchers[voucher_id]

    def piece(self, token_id: int) -> tuple[int, str] | None:
        """(voucher id, currency) of a piece."""
        if token_id not in self._notes:
            voucher_id = self.connection.execute(
                select(Note.voucher_id).where(Note.token_id == token_id)
            ).scalar()
            currency = self.currency_of_voucher(int(voucher_id)) if voucher_id is not None else None
            self._notes[token_id] = (
                (int(voucher_id), currency) if voucher_id is not None and currency else None
            )
        return self._notes[token_id]


def _amount(value: int, currency: str | None) -> str:
    """Minor units as the API says them (a decimal string; plain minor units if the currency is unknown,
    which only a piece the index never saw could cause)."""
    return format_minor(value, fetch_currency(currency)) if currency else str(value)


def _action_row(lookup: _Lookup, event: IndexedEvent, payload: dict[str, Any] | None) -> Row:
    args, name = event.args, event.name
    reason = (payload or {}).get("reason") if name in _UNREASONED else decode_reason(args["reason"])
    row: Row = {
        "account_address": None,
        "token_id": None,
        "voucher_id": None,
        "agent_address": str(args.get("agent") or args.get("account")),
        "reason": reason,
        "details": {},
    }
    if name == "AddressFrozen":
        frozen = bool(args["isFrozen"])
        row.update(
            kind=ActionKind.PARTICIPANT_FREEZE if frozen else ActionKind.PARTICIPANT_UNFREEZE,
            account_address=str(args["account"]),
            details={"frozen": frozen},
        )
    elif name == "TokenFrozen":
        token_id, frozen = int(args["tokenId"]), bool(args["isFrozen"])
        piece = lookup.piece(token_id)
        row.update(
            kind=ActionKind.NOTE_FREEZE if frozen else ActionKind.NOTE_UNFREEZE,
            token_id=token_id,
            voucher_id=piece[0] if piece else None,
            details={"frozen": frozen},
        )
    elif name in ("ValueFrozen", "ValueUnfrozen"):
        token_id = int(args["tokenId"])
        piece = lookup.piece(token_id)
        currency = piece[1] if piece else None
        row.update(
            kind=ActionKind.VALUE_FREEZE if name == "ValueFrozen" else ActionKind.VALUE_UNFREEZE,
            token_id=token_id,
            voucher_id=piece[0] if piece else None,
            details={
                "amount": _amount(int(args["value"]), currency),
                "frozen_value": _amount(int(args["frozenValue"]), currency),
                "currency": currency,
            },
        )
    elif name == "ForcedTransfer":
        token_id = int(args["fromTokenId"])
        piece = lookup.piece(token_id)
        currency = piece[1] if piece else None
        row.update(
            kind=ActionKind.FORCED_TRANSFER,
            account_address=str(args["from"]),
            token_id=token_id,
            voucher_id=piece[0] if piece else None,
            details={
                "to_token_id": int(args["toTokenId"]),
                "from_participant_id": lookup.participant_id(str(args["from"])),
                "to_participant_id": lookup.participant_id(str(args["to"])),
                "amount": _amount(int(args["value"]), currency),
                "currency": currency,
            },
        )
    elif name == "RecoverySuccess":
        lost, new = str(args["lostWallet"]), str(args["newWallet"])
        row.update(
            kind=ActionKind.RECOVERY,
            account_address=lost,
            details={
                "lost_participant_id": lookup.participant_id(lost),
                "new_participant_id": lookup.participant_id(new),
                "new_address": new,
                "piece_count": int(args["tokenCount"]),
                "token_ids": _recovered_tokens(lookup, event, lost, new),
            },
        )
    elif name == "TransferCapSet":
        voucher_id, cap = int(args["slot"]), int(args["cap"])
        currency = lookup.currency_of_voucher(voucher_id)
        row.update(
            kind=ActionKind.TRANSFER_CAP,
            voucher_id=voucher_id,
            details={"transfer_cap": _amount(cap, currency) if cap else None, "currency": currency},
        )
    elif name == "TransferLimitSet":
        currency = decode_currency(args["currency"])
        limit = int(args["limit"])
        row.update(
            kind=ActionKind.TRANSFER_LIMIT,
            account_address=str(args["account"]),
            details={
                "currency": currency,
                "limit": _amount(limit, currency) if limit else None,
                "window_seconds": int(args["windowSeconds"]) or None,
            },
        )
    elif name in ("VoucherPaused", "VoucherUnpaused"):
        row.update(
            kind=ActionKind.VOUCHER_PAUSE if name == "VoucherPaused" else ActionKind.VOUCHER_UNPAUSE,
            voucher_id=int(args["slot"]),
            details={"paused": name == "VoucherPaused"},
        )
    else:
        row.update(
            kind=ActionKind.LEDGER_PAUSE if name == "Paused" else ActionKind.LEDGER_UNPAUSE,
            details={"paused": name == "Paused"},
        )
    return row


def _recovered_tokens(lookup: _Lookup, event: IndexedEvent, lost: str, new: str) -> list[int]:
    """The pieces the recovery handed over: its transaction's whole-token moves from the lost wallet to
    the new one (the notes projection, flushed before, recorded them)."""
    rows = lookup.connection.execute(
        select(ValueMovement.to_token_id)
        .where(
            ValueMovement.transaction_hash == event.transaction_hash,
            ValueMovement.kind == "token_transfer",
            ValueMovement.from_address == lost,
            ValueMovement.to_address == new,
            ValueMovement.log_index < event.log_index,
        )
        .order_by(ValueMovement.log_index)
    ).scalars()
    return [int(token_id) for token_id in rows if token_id is not None]


def _to_minor(text: str | None) -> int:
    """A stored amount (API units, two decimals) back to minor units."""
    return int(Decimal(text).scaleb(2)) if text else 0


def _apply_state(connection: Connection, row: Row) -> None:
    """What the action leaves behind, beyond its record."""
    kind, details = row["kind"], row["details"]
    if kind in (ActionKind.PARTICIPANT_FREEZE, ActionKind.PARTICIPANT_UNFREEZE):
        connection.execute(
            update(Participant)
            .where(Participant.address == row["account_address"])
            .values(frozen=bool(details["frozen"]))
        )
    elif kind in (ActionKind.NOTE_FREEZE, ActionKind.NOTE_UNFREEZE):
        connection.execute(
            update(Note).where(Note.token_id == row["token_id"]).values(frozen=bool(details["frozen"]))
        )
    elif kind in (ActionKind.VALUE_FREEZE, ActionKind.VALUE_UNFREEZE):
        connection.execute(
            update(Note)
            .where(Note.token_id == row["token_id"])
            .values(frozen_value_minor=_to_minor(details["frozen_value"]))
        )
    elif kind == ActionKind.TRANSFER_LIMIT:
        account, currency = row["account_address"], details["currency"]
        connection.execute(
            delete(TransferLimit).where(
                TransferLimit.account_address == account, TransferLimit.currency == currency
            )
        )
        if details["limit"] is not None:
            connection.execute(
                insert(TransferLimit),
                {
                    "account_address": account,
                    "currency": currency,
                    "limit_minor": _to_minor(details["limit"]),
                    "window_seconds": int(details["window_seconds"]),
                    "block_number": row["block_number"],
                },
            )
    elif kind == ActionKind.RECOVERY:
        # The new wallet takes over the lost wallet's limits (with what they counted); it had none.
        connection.execute(
            update(TransferLimit)
            .where(TransferLimit.account_address == row["account_address"])
            .values(account_address=details["new_address"])
        )


def _clear_state(connection: Connection) -> None:
    connection.execute(delete(TransferLimit))
    connection.execute(update(Participant).where(Participant.frozen.is_(True)).values(frozen=False))
    connection.execute(
        update(Note)
        .where((Note.frozen.is_(True)) | (Note.frozen_value_minor != 0))
        .values(frozen=False, frozen_value_minor=0)
    )


def replay_actions(connection: Connection) -> None:
    """The state every kept action left, applied again in chain order from none."""
    _clear_state(connection)
    rows = connection.execute(
        select(ComplianceAction.__table__).order_by(ComplianceAction.block_number, ComplianceAction.log_index)
    ).mappings()
    for row in rows.all():
        _apply_state(connection, dict(row))
