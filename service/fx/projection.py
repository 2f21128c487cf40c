"""The FX projection: which feed gives each currency pair's rate (the rate directory's FxFeedSet) and every
answer an oracle submitted to the ledger's own feeds (FxAnswerSubmitted).

External feeds (a Chainlink aggregator a pair points at) log events of their own, which the ledger does
not follow: their latest answer is read from the chain when asked (service.fx.service).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import Connection, delete, insert, select

from service.chain.abi import checksum_address
from service.chain.deploy import FX_PAIRS, feed_name
from service.db.models import FxAnswer, FxFeed
from service.domain.money import decode_currency, encode_currency
from service.index.projection import IndexedEvent, ProjectionBatch

ZERO_ADDRESS = "0x" + "0" * 40
FEED_SET = "FxFeedSet"
ANSWER_SUBMITTED = "FxAnswerSubmitted"


class _Buffer:
    def __init__(self) -> None:
        # (base, quote) -> the pair's row (None: its feed was removed), in chain order
        self.feeds: dict[tuple[str, str], dict[str, Any] | None] = {}
        self.answers: list[dict[str, Any]] = []


class FxProjection:
    name: ClassVar[str] = "fx"
    # The ledger's own feeds are deployed for FX_PAIRS only; a pair the operator points elsewhere answers
    # through a feed whose events are not the ledger's.
    subscriptions: ClassVar[frozenset[tuple[str, str]] | None] = frozenset(
        {("fx", FEED_SET), *((feed_name(base, quote), ANSWER_SUBMITTED) for base, quote in FX_PAIRS)}
    )

    def prepare(self, batch: ProjectionBatch, events: Sequence[IndexedEvent]) -> None:
        pass

    def apply(self, batch: ProjectionBatch, event: IndexedEvent) -> None:
        buffer: _Buffer = batch.buffer(self.name, _Buffer)
        args = event.args
        if event.name == FEED_SET:
            pair = (decode_currency(args["base"]), decode_currency(args["quote"]))
            feed = str(args["feed"])
            buffer.feeds[pair] = (
                None
                if int(feed, 16) == 0
                else {
                    "base": pair[0],
                    "quote": pair[1],
                    "feed_address": feed,
                    "max_age_seconds": int(args["maxAgeSeconds"]),
                    "block_number": event.block_number,
                }
            )
            return
        buffer.answers.append(
            {
                "feed_address": event.event.address,
                "round_id": int(args["roundId"]),
                "answer": int(args["answer"]),
                "updated_at": datetime.fromtimestamp(int(args["updatedAt"]), UTC),
                "oracle_address": str(args["oracle"]),
                "transaction_hash": event.transaction_hash,
                "log_index": event.log_index,
                "block_number": event.block_number,
            }
        )

    def flush(self, batch: ProjectionBatch) -> None:
        buffer: _Buffer | None = batch.state.get(self.name)
        if buffer is None:
            return
        connection = batch.connection
        for (base, quote), row in buffer.feeds.items():
            connection.execute(delete(FxFeed).where(FxFeed.base == base, FxFeed.quote == quote))
            if row is not None:
                connection.execute(insert(FxFeed), row)
        if buffer.answers:
            connection.execute(insert(FxAnswer), buffer.answers)

    def roll_back(self, connection: Connection, fork_point: int, chain: Any = None) -> None:
        """Answers after the fork go; a pair configured after it is read afresh from the directory (the
        blocks after the fork point are applied again after this)."""
        connection.execute(delete(FxAnswer).where(FxAnswer.block_number > fork_point))
        changed = connection.execute(
            select(FxFeed.base, FxFeed.quote).where(FxFeed.block_number > fork_point)
        ).all()
        connection.execute(delete(FxFeed).where(FxFeed.block_number > fork_point))
        if chain is None:
            return
        for base, quote in changed:
            call = chain.contracts.fx.call("feedOf", encode_currency(base), encode_currency(quote))
            feed, _decimals, max_age = chain.read(call)
            if int(str(feed), 16) != 0:
                connection.execute(
                    insert(FxFeed),
                    {
                        "base": base,
                        "quote": quote,
                        "feed_address": checksum_address(str(feed)),
                        "max_age_seconds": int(max_age),
                        "block_number": fork_point,
                    },
                )

    def reset(self, connection: Connection) -> None:
        connection.execute(delete(FxAnswer))
        connection.execute(delete(FxFeed))
