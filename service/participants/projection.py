"""The participants' projection: whether each is verified on chain, from the registry's events."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from sqlalchemy import Connection, select, update

from service.db.models import Participant
from service.index.projection import IndexedEvent, ProjectionBatch


class ParticipantsProjection:
    name: ClassVar[str] = "participants"
    subscriptions: ClassVar[frozenset[tuple[str, str]] | None] = frozenset(
        {("registry", "ParticipantVerified"), ("registry", "ParticipantRevoked")}
    )

    def prepare(self, batch: ProjectionBatch, events: Sequence[IndexedEvent]) -> None:
        pass

    def apply(self, batch: ProjectionBatch, event: IndexedEvent) -> None:
        verified: dict[str, bool] = batch.buffer(self.name, dict)
        verified[str(event.args["account"])] = event.name == "ParticipantVerified"

    def flush(self, batch: ProjectionBatch) -> None:
        for address, verified in batch.state.get(self.name, {}).items():
            batch.connection.execute(
                update(Participant).where(Participant.address == address).values(verified=verified)
            )

    def roll_back(self, connection: Connection, fork_point: int, chain: Any = None) -> None:
        """Verification is a flag, not a history: read afresh from the registry (the blocks after the
        fork point are applied again after this, so the latest reading is overwritten where they say so)."""
        rows = connection.execute(
            select(Participant.id, Participant.address).where(Participant.role != "admin")
        ).all()
        if not rows or chain is None:
            return
        registry = chain.contracts.registry
        flags = chain.read_many([registry.call("isVerified", row.address) for row in rows])
        for row, flag in zip(rows, flags, strict=True):
            connection.execute(
                update(Participant).where(Participant.id == row.id).values(verified=bool(flag))
            )

    def reset(self, connection: Connection) -> None:
        connection.execute(update(Participant).where(Participant.role != "admin").values(verified=False))
