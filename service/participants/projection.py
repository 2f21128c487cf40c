"""The participants' projection: each identity record and its history, from the registry's events.

`identity_changes` keeps every IdentityUpdated event (the audit trail: who, when, what, why); a
participant's `verified`, `country` and `kyc_expires_at` are its latest change, so a reorganisation
needs no chain read: the changes after the fork point go, and each participant takes its latest
remaining one again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import Connection, delete, func, insert, select, update

from service.db.models import IdentityChange, Participant
from service.domain.identity import STAFF_ROLES, decode_country, decode_reason
from service.index.attribution import fetch_request_operations
from service.index.projection import IndexedEvent, ProjectionBatch


class ParticipantsProjection:
    name: ClassVar[str] = "participants"
    subscriptions: ClassVar[frozenset[tuple[str, str]] | None] = frozenset({("registry", "IdentityUpdated")})

    def prepare(self, batch: ProjectionBatch, events: Sequence[IndexedEvent]) -> None:
        pass

    def apply(self, batch: ProjectionBatch, event: IndexedEvent) -> None:
        changes: list[tuple[IndexedEvent, dict[str, Any]]] = batch.buffer(self.name, list)
        args = event.args
        kyc_expires_at = int(args["kycExpiresAt"])
        changes.append(
            (
                event,
                {
                    "account_address": str(args["account"]),
                    "verified": bool(args["verified"]),
                    "kyc_expires_at": datetime.fromtimestamp(kyc_expires_at, UTC) if kyc_expires_at else None,
                    "country": decode_country(args["country"]),
                    "role_code": int(args["role"]),
                    "agent_address": str(args["agent"]),
                    "reason": decode_reason(args["reason"]),
                    "transaction_hash": event.transaction_hash,
                    "log_index": event.log_index,
                    "block_number": event.block_number,
                    "occurred_at": batch.block_time(event.block_number),
                },
            )
        )

    def flush(self, batch: ProjectionBatch) -> None:
        changes: list[tuple[IndexedEvent, dict[str, Any]]] = batch.state.get(self.name, [])
        if not changes:
            return
        operations = fetch_request_operations(batch.connection, [event for event, _row in changes])
        rows = [
            {**row, "operation_id": operations.get(event.request) if event.request else None}
            for event, row in changes
        ]
        batch.connection.execute(insert(IdentityChange), rows)
        latest = {row["account_address"]: row for row in rows}
        for address, row in latest.items():
            _set_identity(batch.connection, address, row)

    def roll_back(self, connection: Connection, fork_point: int, chain: Any = None) -> None:
        lost = (
            connection.execute(
                select(IdentityChange.account_address)
                .where(IdentityChange.block_number > fork_point)
                .distinct()
            )
            .scalars()
            .all()
        )
        connection.execute(delete(IdentityChange).where(IdentityChange.block_number > fork_point))
        for address in lost:
            _set_identity(connection, address, _latest_change(connection, address))

    def reset(self, connection: Connection) -> None:
        connection.execute(delete(IdentityChange))
        connection.execute(
            update(Participant)
            .where(Participant.role.not_in([role.value for role in STAFF_ROLES]))
            .values(verified=False, country=None, kyc_expires_at=None)
        )


def _latest_change(connection: Connection, address: str) -> dict[str, Any] | None:
    newest = (
        select(func.max(IdentityChange.id)).where(IdentityChange.account_address == address).scalar_subquery()
    )
    row = connection.execute(select(IdentityChange.__table__).where(IdentityChange.id == newest)).mappings()
    found = row.one_or_none()
    return dict(found) if found is not None else None


def _set_identity(connection: Connection, address: str, change: dict[str, Any] | None) -> None:
    """The participant's record as `change` says (none: as if never registered on chain)."""
    values = (
        {
            "verified": change["verified"],
            "country": change["country"],
            "kyc_expires_at": change["kyc_expires_at"],
        }
        if change is not None
        else {"verified": False, "country": None, "kyc_expires_at": None}
    )
    connection.execute(update(Participant).where(Participant.address == address).values(**values))
