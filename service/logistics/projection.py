"""The logistics projection: every milestone an oracle attested (the LogisticsOracle's MilestoneAttested),
with its evidence hash. The voucher's latest milestone is the vouchers projection's."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from sqlalchemy import Connection, delete, insert

from service.db.models import MilestoneAttestation
from service.index.projection import IndexedEvent, ProjectionBatch


class LogisticsProjection:
    name: ClassVar[str] = "logistics"
    subscriptions: ClassVar[frozenset[tuple[str, str]] | None] = frozenset(
        {("logistics", "MilestoneAttested")}
    )

    def prepare(self, batch: ProjectionBatch, events: Sequence[IndexedEvent]) -> None:
        pass

    def apply(self, batch: ProjectionBatch, event: IndexedEvent) -> None:
        rows: list[dict[str, Any]] = batch.buffer(self.name, list)
        args = event.args
        evidence = args["evidenceHash"]
        rows.append(
            {
                "voucher_id": int(args["slot"]),
                "milestone": int(args["milestone"]),
                "evidence_hash": evidence if isinstance(evidence, str) else "0x" + bytes(evidence).hex(),
                "oracle_address": str(args["oracle"]),
                "transaction_hash": event.transaction_hash,
                "log_index": event.log_index,
                "block_number": event.block_number,
                "occurred_at": batch.block_time(event.block_number),
            }
        )

    def flush(self, batch: ProjectionBatch) -> None:
        rows: list[dict[str, Any]] = batch.state.get(self.name, [])
        if rows:
            batch.connection.execute(insert(MilestoneAttestation), rows)

    def roll_back(self, connection: Connection, fork_point: int, chain: Any = None) -> None:
        connection.execute(delete(MilestoneAttestation).where(MilestoneAttestation.block_number > fork_point))

    def reset(self, connection: Connection) -> None:
        connection.execute(delete(MilestoneAttestation))
