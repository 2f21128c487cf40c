"""The composition root: which features the ledger is made of, and how its parts are wired together.

Infrastructure (the indexer, the chain writer, the idempotency layer) never imports a feature; this
module hands each the features' parts: the routers, the projections of chain events (in the order
they are applied: a projection sees what earlier ones wrote in the same range), the answers of
requests, and the job handlers.
"""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter

from service.chain.abi import checksum_address
from service.errors import LedgerError
from service.index.indexer import Indexer
from service.index.projection import Projection
from service.runtime import Runtime, relayer_keys
from service.writer.jobs import JobHandler, JobRunner
from service.writer.keys import SigningKeys
from service.writer.outbox import OutcomeProjection
from service.writer.relayer import Relayer
from service.writer.writer import ChainWriter, WriterConfig, WriterHooks


def routers() -> list[APIRouter]:
    from service.cash.endpoints import router as cash
    from service.compliance.endpoints import router as compliance
    from service.early_payment.endpoints import router as early_payment
    from service.financing.endpoints import router as financing
    from service.fx.endpoints import router as fx
    from service.ledger.endpoints import router as ledger
    from service.logistics.endpoints import router as logistics
    from service.market.endpoints import router as market
    from service.monitoring.endpoints import router as monitoring
    from service.notes.endpoints import batches as transfer_batches
    from service.notes.endpoints import router as notes
    from service.participants.endpoints import router as participants
    from service.settlement.endpoints import router as settlement
    from service.vouchers.endpoints import router as vouchers

    return [
        participants,
        vouchers,
        notes,
        transfer_batches,
        cash,
        financing,
        early_payment,
        settlement,
        fx,
        logistics,
        monitoring,
        ledger,
        compliance,
        market,
    ]


def projections(runtime: Runtime) -> list[Projection]:
    from service.compliance.projection import ComplianceProjection
    from service.early_payment.projection import EarlyPaymentProjection
    from service.financing.projection import FinancingProjection
    from service.fx.projection import FxProjection
    from service.logistics.projection import LogisticsProjection
    from service.market.projection import MarketProjection
    from service.monitoring.projection import TransferCapHistoryProjection
    from service.notes.projection import NotesProjection
    from service.participants.projection import ParticipantsProjection
    from service.settlement.projection import SettlementProjection
    from service.vouchers.projection import VouchersProjection

    chain = runtime.chain

    def explain(signer: str, target: str, calldata: bytes) -> LedgerError:
        return chain.explain_failure(signer, target, calldata)

    def carried_elsewhere(transaction_hash: str, signer: str, nonce: int, signature: str) -> bool:
        """Whether a transaction the service did not send carries this very signed request (a
        participant that relayed its own signed request elsewhere)."""
        transaction = chain.rpc.request("eth_getTransactionByHash", [transaction_hash])
        if (
            transaction is None
            or checksum_address(transaction.get("to") or "0x" + "0" * 40) != chain.deployment.forwarder
        ):
            return False
        try:
            _function, arguments = chain.contracts.forwarder.contract.decode_function_input(
                transaction["input"]
            )
        except ValueError:
            return False
        requests = arguments.get("requests") or [arguments.get("request")]
        wanted = bytes.fromhex(signature[2:])
        return any(
            request is not None
            and checksum_address(request["from"]) == checksum_address(signer)
            and bytes(request["signature"]) == wanted
            for request in requests
        )

    return [
        OutcomeProjection(explain=explain, carried_elsewhere=carried_elsewhere),
        ParticipantsProjection(),
        VouchersProjection(),
        NotesProjection(),
        FinancingProjection(),
        EarlyPaymentProjection(),
        SettlementProjection(),
        # after the notes and vouchers: a piece minted and frozen in one range is theirs to write first
        ComplianceProjection(),
        FxProjection(),
        LogisticsProjection(),
        TransferCapHistoryProjection(),
        MarketProjection(),
    ]


def job_handlers(runtime: Runtime) -> Sequence[JobHandler]:
    from service.market.service import RedemptionJob
    from service.settlement.service import PayoutJob

    return [PayoutJob(runtime), RedemptionJob(runtime)]


def register_answers() -> None:
    """Imports every feature's service module, whose answers register themselves."""
    import service.cash.service
    import service.compliance.service
    import service.early_payment.service
    import service.financing.service
    import service.fx.service
    import service.ledger.service
    import service.logistics.service
    import service.market.service
    import service.notes.bulk
    import service.notes.service
    import service.participants.service
    import service.settlement.service
    import service.vouchers.service  # noqa: F401


def build_writer(runtime: Runtime) -> ChainWriter:
    from service.api.answers import refresh_answers

    register_answers()
    settings = runtime.settings
    chain = runtime.chain
    indexer = Indexer(runtime.database, chain, projections(runtime))
    relayers = [
        Relayer(chain.rpc, key, embedded=chain.embedded) for key in relayer_keys(settings, chain.chain_id)
    ]
    hooks = WriterHooks(
        on_finished=[runtime.waiter.notify], refresh_answers=lambda ids: refresh_answers(runtime, ids)
    )
    config = WriterConfig(
        forward_ttl_seconds=settings.forward_request_ttl_seconds,
        max_relay_gas=settings.max_relay_gas,
        sweep_seconds=settings.indexer_poll_seconds,
    )
    return ChainWriter(
        runtime.database,
        chain,
        indexer,
        SigningKeys(runtime.database, runtime.key_vault, chain.chain_id),
        relayers,
        JobRunner(runtime.database, job_handlers(runtime)),
        config,
        hooks,
    )
