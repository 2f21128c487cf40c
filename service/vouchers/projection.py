"""The vouchers' projection: issuance, redemption totals, the voucher's controls (transfer cap, pause)
and logistics milestone, and the link from each voucher to the documents its issuing operation carried
(invoice references), from the note's and the logistics oracle's events."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import Connection, bindparam, delete, func, insert, select, update

from service.db.models import Operation, ValueMovement, Voucher, VoucherDocument
from service.domain.money import decode_currency
from service.domain.operations import OperationState
from service.index.projection import IndexedEvent, ProjectionBatch

Row = dict[str, Any]
# The columns events change after issuance.
_STATE = ("redeemed_minor", "status", "transfer_cap_minor", "paused", "milestone")
_UPDATE_VOUCHER = (
    update(Voucher)
    .where(Voucher.id == bindparam("row_key"))
    .values(**{column: bindparam(column) for column in _STATE})
)


class _Buffer:
    def __init__(self) -> None:
        self.vouchers: dict[int, Row] = {}
        self.created: set[int] = set()
        self.changed: set[int] = set()
        # voucher id -> (transaction hash, signer, nonce) of the request that issued it
        self.issued_by: dict[int, tuple[str, str, int]] = {}


class VouchersProjection:
    name: ClassVar[str] = "vouchers"
    subscriptions: ClassVar[frozenset[tuple[str, str]] | None] = frozenset(
        {
            ("note", "VoucherIssued"),
            ("note", "NoteRedeemed"),
            ("note", "VoucherRedeemed"),
            ("note", "TransferCapSet"),
            ("note", "VoucherPaused"),
            ("note", "VoucherUnpaused"),
            ("logistics", "MilestoneAttested"),
        }
    )

    def prepare(self, batch: ProjectionBatch, events: Sequence[IndexedEvent]) -> None:
        pass

    def _buffer(self, batch: ProjectionBatch) -> _Buffer:
        buffer: _Buffer = batch.buffer(self.name, _Buffer)
        return buffer

    def _voucher(self, buffer: _Buffer, batch: ProjectionBatch, slot: int) -> Row | None:
        if slot not in buffer.vouchers:
            found = (
                batch.connection.execute(select(Voucher.__table__).where(Voucher.id == slot))
                .mappings()
                .one_or_none()
            )
            if found is None:
                return None
            buffer.vouchers[slot] = dict(found)
        return buffer.vouchers[slot]

    def apply(self, batch: ProjectionBatch, event: IndexedEvent) -> None:
        buffer = self._buffer(batch)
        args = event.args
        if event.name == "VoucherIssued":
            slot = int(args["slot"])
            buffer.vouchers[slot] = {
                "id": slot,
                "obligor_address": args["obligor"],
                "initial_holder_address": args["holder"],
                "currency": decode_currency(args["currency"]),
                "settlement_currency": decode_currency(args["settlementCurrency"]),
                "face_value_minor": int(args["faceValue"]),
                "unit_minor": int(args["unit"]),
                "redeemed_minor": 0,
                "root_token_id": int(args["tokenId"]),
                "issued_at": batch.block_time(event.block_number),
                "due_at": datetime.fromtimestamp(int(args["maturityAt"]), UTC),
                "document_hash": args["documentHash"],
                "status": "active",
                "transfer_cap_minor": int(args["transferCap"]),
                "paused": False,
                "milestone": 0,
                "issue_transaction_hash": event.transaction_hash,
                "issue_block_number": event.block_number,
            }
            buffer.created.add(slot)
            if event.request is not None:
                buffer.issued_by[slot] = (event.transaction_hash, event.request[0], event.request[1])
            return
        voucher = self._voucher(buffer, batch, int(args["slot"]))
        if voucher is None:
            return
        if event.name == "NoteRedeemed":
            voucher["redeemed_minor"] += int(args["value"])
        elif event.name == "VoucherRedeemed":
            voucher["status"] = "redeemed"
        elif event.name == "TransferCapSet":
            voucher["transfer_cap_minor"] = int(args["cap"])
        elif event.name == "MilestoneAttested":
            voucher["milestone"] = max(voucher["milestone"], int(args["milestone"]))
        else:
            voucher["paused"] = event.name == "VoucherPaused"
        buffer.changed.add(voucher["id"])

    def flush(self, batch: ProjectionBatch) -> None:
        buffer: _Buffer | None = batch.state.get(self.name)
        if buffer is None:
            return
        connection = batch.connection
        if buffer.created:
            connection.execute(insert(Voucher), [buffer.vouchers[slot] for slot in sorted(buffer.created)])
        updated = sorted(buffer.changed - buffer.created)
        if updated:
            connection.execute(
                _UPDATE_VOUCHER,
                [
                    {"row_key": slot, **{column: buffer.vouchers[slot][column] for column in _STATE}}
                    for slot in updated
                ],
            )
        for slot, (transaction_hash, signer, nonce) in buffer.issued_by.items():
            # The issuing operation: already marked executed by the outcome projection (flushed first).
            operation_id = connection.execute(
                select(Operation.id).where(
                    Operation.transaction_hash == transaction_hash,
                    Operation.signer_address == signer,
                    Operation.nonce == nonce,
                    Operation.state == OperationState.EXECUTED,
                )
            ).scalar()
            if operation_id is not None:
                connection.execute(
                    update(VoucherDocument)
                    .where(VoucherDocument.operation_id == operation_id)
                    .values(voucher_id=slot)
                )

    def roll_back(self, connection: Connection, fork_point: int, chain: Any = None) -> None:
        """Vouchers issued after the fork go (their documents wait, unlinked, for the issuance to run
        again); redemption totals are recomputed from the movements the notes' projection kept."""
        lost = select(Voucher.id).where(Voucher.issue_block_number > fork_point).scalar_subquery()
        connection.execute(
            update(VoucherDocument)
            .where(VoucherDocument.voucher_id.in_(lost), VoucherDocument.operation_id.is_not(None))
            .values(voucher_id=None)
        )
        connection.execute(delete(Voucher).where(Voucher.issue_block_number > fork_point))
        redeemed = dict(
            connection.execute(
                select(ValueMovement.voucher_id, func.sum(ValueMovement.value_minor))
                .where(ValueMovement.kind == "redeem")
                .group_by(ValueMovement.voucher_id)
            ).all()
        )
        rows = connection.execute(select(Voucher.id, Voucher.face_value_minor)).all()
        controls = _read_controls(chain, [row.id for row in rows])
        for row in rows:
            total = int(redeemed.get(row.id, 0))
            connection.execute(
                update(Voucher)
                .where(Voucher.id == row.id)
                .values(
                    redeemed_minor=total,
                    status="redeemed" if total == row.face_value_minor else "active",
                    **controls.get(row.id, {}),
                )
            )

    def reset(self, connection: Connection) -> None:
        connection.execute(
            update(VoucherDocument).where(VoucherDocument.operation_id.is_not(None)).values(voucher_id=None)
        )
        connection.execute(delete(Voucher))


def _read_controls(chain: Any, voucher_ids: list[int]) -> dict[int, dict[str, Any]]:
    """A voucher's cap, pause and milestone are flags, not a history: read afresh from the chain after a
    reorganisation (the blocks after the fork point are applied again after this)."""
    if chain is None or not voucher_ids:
        return {}
    contracts = chain.contracts
    calls = [contracts.note.call("voucherOf", slot) for slot in voucher_ids]
    calls += [contracts.logistics.call("milestoneOf", slot) for slot in voucher_ids]
    answers = chain.read_many(calls)
    vouchers, milestones = answers[: len(voucher_ids)], answers[len(voucher_ids) :]
    return {
        slot: {"transfer_cap_minor": int(voucher[9]), "paused": bool(voucher[4]), "milestone": int(milestone)}
        for slot, voucher, milestone in zip(voucher_ids, vouchers, milestones, strict=True)
    }
