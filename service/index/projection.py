"""What the indexer hands to the projections of chain events, and what a projection must do.

Each feature owns the projection of the events that concern it (`service/<feature>/projection.py`);
the composition root (`service.runtime`) gives the indexer the list, in order, and the indexer
dispatches every event to the projections subscribed to its (contract, event) pair. A range of blocks
is applied in one database transaction, together with the checkpoint, so a crash re-applies nothing
and skips nothing; each projection buffers what the range changes and writes it in `flush`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar, Protocol

from sqlalchemy import Connection

from service.chain.abi import DecodedEvent

Subscription = tuple[str, str]  # (contract deployment name, event name)
# The forward request an event belongs to: (signer, forwarder nonce), or None for a direct call.
RequestKey = tuple[str, int]


@dataclass(frozen=True)
class IndexedEvent:
    """A decoded event, with the deployment name of the contract that logged it and the forward
    request whose call emitted it (the forwarder logs `ExecutedForwardRequest` right after each call,
    so every event of a relayed call is attributed to its request)."""

    event: DecodedEvent
    contract: str
    request: RequestKey | None

    @property
    def name(self) -> str:
        return self.event.name

    @property
    def args(self) -> dict[str, Any]:
        return self.event.args

    @property
    def block_number(self) -> int:
        return self.event.block_number

    @property
    def transaction_hash(self) -> str:
        return self.event.transaction_hash

    @property
    def log_index(self) -> int:
        return self.event.log_index


class ProjectionBatch:
    """One range of blocks being applied: the transaction's connection, block times, and a place for
    each projection to keep what it buffers until `flush`."""

    def __init__(
        self, connection: Connection, fetch_block_time: Callable[[int], int], chain: Any = None
    ) -> None:
        self.connection = connection
        self.chain = chain
        self._fetch_block_time = fetch_block_time
        self._block_times: dict[int, datetime] = {}
        self.state: dict[str, Any] = {}
        self.notifications: list[str] = []

    def block_time(self, block_number: int) -> datetime:
        if block_number not in self._block_times:
            self._block_times[block_number] = datetime.fromtimestamp(
                self._fetch_block_time(block_number), UTC
            )
        return self._block_times[block_number]

    def buffer(self, projection: str, factory: Callable[[], Any]) -> Any:
        """The projection's own buffer for this range, made on first use."""
        if projection not in self.state:
            self.state[projection] = factory()
        return self.state[projection]


class Projection(Protocol):
    """A feature's projection of chain events into its tables."""

    name: ClassVar[str]
    # The (contract, event) pairs it handles; None: every event (the outbox's outcome projection).
    subscriptions: ClassVar[frozenset[Subscription] | None]

    def prepare(self, batch: ProjectionBatch, events: Sequence[IndexedEvent]) -> None:
        """Sees the whole range first (e.g. to load every row it will touch in one query)."""

    def apply(self, batch: ProjectionBatch, event: IndexedEvent) -> None:
        """Takes one event, in chain order, into the range's buffer."""

    def flush(self, batch: ProjectionBatch) -> None:
        """Writes what the range changed (in registration order: later projections see earlier ones')."""

    def roll_back(self, connection: Connection, fork_point: int, chain: Any) -> None:
        """Forgets what blocks after `fork_point` did (a reorganisation): the blocks are applied again."""

    def reset(self, connection: Connection) -> None:
        """Forgets everything (the chain no longer has any block the index knows)."""

    # Optional, for contracts created after the deployment (the indexer looks them up with getattr):
    #   discover_contracts(chain, events: Sequence[DecodedEvent]) -> Mapping[address, name]: the contracts
    #     a range's events create, whose events (of that range too) the indexer then reads, named `name`;
    #   watched_contracts(connection) -> Mapping[address, name]: those learnt of before (on start-up).


def subscribed(projection: Projection, event: IndexedEvent) -> bool:
    subscriptions = projection.subscriptions
    return subscriptions is None or (event.contract, event.name) in subscriptions
