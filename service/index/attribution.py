"""Which operation of the outbox an indexed event came from: its forward request (signer, nonce)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, select, tuple_

from service.db.models import Operation
from service.domain.operations import OperationState
from service.index.projection import IndexedEvent, RequestKey


def fetch_request_operations(connection: Connection, events: Sequence[IndexedEvent]) -> dict[RequestKey, int]:
    """The operations (by id) whose forward requests emitted these events (the outcome projection,
    flushed first, has marked them executed); events of requests the service did not relay have none."""
    requests = {event.request for event in events if event.request is not None}
    if not requests:
        return {}
    rows = connection.execute(
        select(Operation.id, Operation.signer_address, Operation.nonce).where(
            tuple_(Operation.signer_address, Operation.nonce).in_(sorted(requests)),
            # a nonce an expired request left unused is signed again for another: the one that ran
            Operation.state == OperationState.EXECUTED,
        )
    ).all()
    return {(row.signer_address, int(row.nonce)): int(row.id) for row in rows}
