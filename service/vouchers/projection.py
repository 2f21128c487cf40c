"""The vouchers' projection: issuance, redemption totals, and the link from each voucher to the
documents its issuing operation carried (invoice references), all from the note contract's events."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import Connection, bindparam, delete, func, insert, select, update

from service.db.models import Operation, ValueMovement, Voucher, VoucherDocument
from service.domain.operations import OperationState
from service.index.projection import IndexedEvent, ProjectionBatch

Row = dict[str, Any]
_UPDATE_VOUCHER = (
    update(Voucher)
    .where(Voucher.id == bindparam("row_key"))
    .values(redeemed_minor=bindparam("redeemed_minor"), status=bindparam("status"))
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
        {("note", "VoucherIssued"), ("note", "NoteRedeemed"), ("note", "VoucherRedeemed")}
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
                "currency": bytes.fromhex(args["currency"][2:]).rstrip(b"\0").decode(),
                "face_value_minor": int(args["faceValue"]),
                "unit_minor": int(args["unit"]),
                "redeemed_minor": 0,
                "root_token_id": int(args["tokenId"]),
                "issued_at": batch.block_time(event.block_number),
                "due_at": datetime.fromtimestamp(int(args["maturityAt"]), UTC),
                "document_hash": args["documentHash"],
                "status": "active",
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
        else:
            voucher["status"] = "redeemed"
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
                    {
                        "row_key": slot,
                        "redeemed_minor": buffer.vouchers[slot]["redeemed_minor"],
                        "status": buffer.vouchers[slot]["status"],
                    }
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
        for row in connection.execute(select(Voucher.id, Voucher.face_value_minor)).all():
            total = int(redeemed.get(row.id, 0))
            connection.execute(
                update(Voucher)
                .where(Voucher.id == row.id)
                .values(
                    redeemed_minor=total, status="redeemed" if total == row.face_value_minor else "active"
                )
            )

    def reset(self, connection: Connection) -> None:
        connection.execute(
            update(VoucherDocument).where(VoucherDocument.operation_id.is_not(None)).values(voucher_id=None)
        )
        connection.execute(delete(Voucher))
