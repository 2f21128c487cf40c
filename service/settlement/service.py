"""Paying a voucher at maturity: the obligor funds, the ledger pays every holder of every piece."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import UTC
from typing import Any, ClassVar

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from service.api.acting import act_as, act_as_service, signed_forward, signing_request
from service.api.answers import Answer, responds_to
from service.api.auth import Caller
from service.api.common import participant_ref
from service.api.csv_pages import neutralise_cell
from service.api.pagination import PageRequest
from service.api.submit import carry_out, record_answer
from service.db.models import CashMovement, Job, Voucher
from service.domain.fx import format_rate
from service.domain.money import fetch_currency, format_minor, parse_amount_minor
from service.domain.operations import JobState
from service.errors import Forbidden, NotObligor, SettlementNotFunded, SettlementNotMatured
from service.fx.schemas import FxRateOut, fx_rate_out
from service.ledger.clock import fetch_ledger_now
from service.notes import repository as notes_repository
from service.notes.service import load_held_note
from service.participants import repository as participants_repository
from service.runtime import Runtime
from service.settlement import repository
from service.settlement.schemas import (
    ClaimOut,
    FundingCreate,
    JobOut,
    PayoutRun,
    ReportRow,
    SettlementOut,
    SettlementReport,
)
from service.vouchers import repository as vouchers_repository
from service.vouchers.service import require_visible_voucher, sees_whole_tree, voucher_status
from service.writer.jobs import create_job
from service.writer.outbox import OperationIntent, OperationView

# Gas of one payout operation: a fixed part plus what paying one piece costs at most. The fixed part
# covers a partly funded voucher's first payout of a round (about 330,000 gas for one piece, measured in
# tests/test_market.py's overdue test: 200,000 left a two-piece batch out of gas).
PAYOUT_BASE_GAS = 400_000
PAYOUT_GAS_PER_PIECE = 90_000
FUND_KIND = "settlement.fund"
CLAIM_KIND = "settlement.claim"
PAYOUT_KIND = "settlement.payout"
PAYOUT_JOB = "settlement.payout"


def to_out(session: Session, runtime: Runtime, voucher: Voucher) -> SettlementOut:
    """From the index: what was funded, paid and withdrawn, as the vault's events said."""
    currency, cash = fetch_currency(voucher.currency), fetch_currency(voucher.settlement_currency)
    totals = repository.fetch_cash_totals(session, voucher.id)
    funded, paid_out = totals.get("settlement_funding", 0), totals.get("settlement_payment", 0)
    available = funded - paid_out - totals.get("settlement_withdrawal", 0)  # as the vault computes it
    return SettlementOut(
        voucher_id=voucher.id,
        currency=voucher.currency,
        cash_currency=cash.code,
        status=voucher_status(runtime.settings, voucher, fetch_ledger_now(runtime)),
        due_at=voucher.due_at.replace(tzinfo=UTC),
        face_value=format_minor(voucher.face_value_minor, currency),
        outstanding=format_minor(voucher.face_value_minor - voucher.redeemed_minor, currency),
        funded=format_minor(funded, cash),
        paid_out=format_minor(paid_out, cash),
        available=format_minor(available, cash),
    )


def read_settlement(session: Session, runtime: Runtime, caller: Caller, voucher_id: int) -> SettlementOut:
    return to_out(session, runtime, require_visible_voucher(session, caller, voucher_id))


def plan_funding(
    session: Session, runtime: Runtime, caller: Caller, voucher_id: int, body: Any
) -> tuple[Any, bytes]:
    voucher = require_visible_voucher(session, caller, voucher_id)
    if voucher.obligor_address != caller.address:
        raise NotObligor("only the voucher's obligor funds its settlement", voucher_id=voucher_id)
    obligor = participants_repository.fetch_participant(session, caller.participant_id)
    amount_minor = parse_amount_minor(body.amount, fetch_currency(voucher.settlement_currency))
    return obligor, runtime.chain.contracts.vault.calldata("fund", voucher_id, amount_minor)


def fund(
    session: Session, runtime: Runtime, caller: Caller, voucher_id: int, body: FundingCreate
) -> SettlementOut:
    """The obligor pays cash into the voucher's settlement, at once or in parts, early or late."""
    obligor, calldata = plan_funding(session, runtime, caller, voucher_id, body)
    intent = act_as(
        runtime,
        obligor,
        FUND_KIND,
        runtime.chain.contracts.vault.address,
        calldata,
        signed=signed_forward(body),
        payload={"voucher_id": voucher_id},
    )
    [done] = carry_out(runtime, [intent], participant_id=caller.participant_id, session=session)
    return _settlement_of(session, runtime, done)


def _settlement_of(session: Session, runtime: Runtime, operation: OperationView) -> SettlementOut:
    voucher = vouchers_repository.fetch_voucher(session, int(operation.payload["voucher_id"]))  # type: ignore[index]
    assert voucher is not None
    return to_out(session, runtime, voucher)


@responds_to(FUND_KIND)
def answer_funding(runtime: Runtime, session: Session, operations: Sequence[OperationView]) -> Answer:
    return 201, _settlement_of(session, runtime, operations[0]).model_dump(mode="json")


def start_payouts(
    session: Session, runtime: Runtime, caller: Caller, voucher_id: int, body: PayoutRun
) -> JobOut:
    """On or after maturity, a job pays every piece with value, in batches sized to the block's gas,
    from the cash available (pro rata if partly funded); answered at once with the job to follow."""
    voucher = require_visible_voucher(session, caller, voucher_id)
    if not caller.is_admin and voucher.obligor_address != caller.address:
        raise Forbidden("settlement is run by an admin or the voucher's obligor")
    due_at = voucher.due_at.replace(tzinfo=UTC)
    if fetch_ledger_now(runtime) < due_at:
        raise SettlementNotMatured(
            f"voucher {voucher_id} matures on {due_at.isoformat()}", due_at=due_at.isoformat()
        )
    totals = repository.fetch_cash_totals(session, voucher_id)
    available = (
        totals.get("settlement_funding", 0)
        - totals.get("settlement_payment", 0)
        - totals.get("settlement_withdrawal", 0)
    )
    if available <= 0:
        raise SettlementNotFunded(
            f"voucher {voucher_id} has no settlement cash available", voucher_id=voucher_id
        )
    batch_size = body.batch_size or max(
        1,
        min(
            MAX_PAYOUT_BATCH,
            (runtime.settings.max_relay_gas - 2 * PAYOUT_BASE_GAS) // (2 * PAYOUT_GAS_PER_PIECE),
        ),
    )
    session.rollback()
    with runtime.database.transaction() as writing:
        job_id = create_job(
            writing.connection(),
            PAYOUT_JOB,
            {"voucher_id": voucher_id, "batch_size": batch_size, "currency": voucher.settlement_currency},
            participant_id=caller.participant_id,
            request_key=None,
            progress=new_progress(notes_repository.count_pieces_with_value(writing.connection(), voucher_id)),
        )
        job = writing.get(Job, job_id)
        assert job is not None
        out = job_out(job)
        record_answer(writing.connection(), 202, out.model_dump(mode="json"))
    runtime.wake_writer()
    return out


MAX_PAYOUT_BATCH = 200


def new_progress(pieces_total: int) -> dict[str, Any]:
    return {
        "cursor": 0,
        "pieces_total": pieces_total,
        "pieces_paid": 0,
        "paid_minor": 0,
        "batches": 0,
        "transaction_hashes": [],
    }


def job_out(job: Job) -> JobOut:
    progress = job.progress or {}
    currency = fetch_currency(job.params["currency"])
    return JobOut(
        id=job.id,
        kind=job.kind,
        state=JobState(job.state),
        voucher_id=int(job.params["voucher_id"]),
        currency=currency.code,
        pieces_total=int(progress.get("pieces_total", 0)),
        pieces_paid=int(progress.get("pieces_paid", 0)),
        paid=format_minor(int(progress.get("paid_minor", 0)), currency),
        batches=int(progress.get("batches", 0)),
        transaction_hashes=list(progress.get("transaction_hashes", [])),
        error=job.error,
        created_at=job.created_at,
        updated_at=job.updated_at,
    )


class PayoutJob:
    """The steps of a payout job: the next pieces with value after the cursor, paid in one operation
    signed by the service's settlement account (payouts need no role: the vault pays holders only)."""

    kind: ClassVar[str] = PAYOUT_JOB

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime

    def next_step(self, connection: Connection, job: Job) -> OperationIntent | None:
        voucher_id, batch_size = int(job.params["voucher_id"]), int(job.params["batch_size"])
        token_ids = notes_repository.fetch_token_ids_with_value_after(
            connection, voucher_id, int(job.progress.get("cursor", 0)), batch_size
        )
        if not token_ids:
            return None
        vault = self._runtime.chain.contracts.vault
        return act_as_service(
            self._runtime,
            "settlement",
            PAYOUT_KIND,
            vault.address,
            vault.calldata("payout", voucher_id, token_ids),
            gas=PAYOUT_BASE_GAS + PAYOUT_GAS_PER_PIECE * len(token_ids),
            payload={"voucher_id": voucher_id, "token_ids": token_ids},
        )

    def record_step(self, connection: Connection, job: Job, step: OperationView) -> dict[str, Any]:
        progress = dict(job.progress or new_progress(0))
        paid = step.events("SettlementPaid")
        progress["cursor"] = max(int(token) for token in (step.payload or {})["token_ids"])
        progress["pieces_paid"] = int(progress.get("pieces_paid", 0)) + len(paid)
        progress["paid_minor"] = int(progress.get("paid_minor", 0)) + sum(
            int(event["args"]["amount"]) for event in paid
        )
        progress["batches"] = int(progress.get("batches", 0)) + 1
        progress["transaction_hashes"] = [*progress.get("transaction_hashes", []), step.transaction_hash]
        return progress


def plan_claim(
    session: Session, runtime: Runtime, caller: Caller, token_id: int
) -> tuple[Any, bytes, dict[str, Any]]:
    _note, voucher = load_held_note(session, caller, token_id)
    holder = participants_repository.fetch_participant(session, caller.participant_id)
    calldata = runtime.chain.contracts.vault.calldata("claim", token_id)
    payload = {
        "token_id": token_id,
        "currency": voucher.currency,
        "cash_currency": voucher.settlement_currency,
    }
    return holder, calldata, payload


def claim(session: Session, runtime: Runtime, caller: Caller, token_id: int, body: Any = None) -> ClaimOut:
    """A holder collects its own piece's payment without waiting for the batch run."""
    holder, calldata, payload = plan_claim(session, runtime, caller, token_id)
    intent = act_as(
        runtime,
        holder,
        CLAIM_KIND,
        runtime.chain.contracts.vault.address,
        calldata,
        signed=signed_forward(body),
        payload=payload,
    )
    [done] = carry_out(runtime, [intent], participant_id=caller.participant_id, session=session)
    return build_claim_out(session, done)


def build_claim_out(session: Session, operation: OperationView) -> ClaimOut:
    payload = operation.payload or {}
    currency = fetch_currency(payload["currency"])
    [paid] = operation.events("SettlementPaid")
    assert operation.block_number is not None and operation.transaction_hash is not None
    remaining = notes_repository.compute_value_after_block(
        session, int(payload["token_id"]), operation.block_number
    )
    cash_currency = str(payload.get("cash_currency", currency.code))
    return ClaimOut(
        token_id=int(payload["token_id"]),
        value_redeemed=format_minor(int(paid["args"]["value"]), currency),
        amount=format_minor(int(paid["args"]["amount"]), fetch_currency(cash_currency)),
        cash_currency=cash_currency,
        fx=fx_rate_out(currency.code, cash_currency, paid["args"]),
        remaining_value=format_minor(remaining, currency),
        transaction_hash=operation.transaction_hash,
    )


@responds_to(CLAIM_KIND)
def answer_claim(_runtime: Runtime, session: Session, operations: Sequence[OperationView]) -> Answer:
    return 201, build_claim_out(session, operations[0]).model_dump(mode="json")


def signing_request_for(
    session: Session, runtime: Runtime, caller: Caller, action: str, target_id: int, body: Any = None
) -> dict[str, Any]:
    vault = runtime.chain.contracts.vault.address
    if action == "fund":
        actor, calldata = plan_funding(session, runtime, caller, target_id, body)
    else:
        actor, calldata, _payload = plan_claim(session, runtime, caller, target_id)
    return signing_request(runtime, actor, vault, calldata)


def build_report(
    session: Session, runtime: Runtime, caller: Caller, voucher_id: int, page: PageRequest
) -> SettlementReport:
    """The voucher's totals, and one page of its payment rows in chain order."""
    voucher = require_visible_voucher(session, caller, voucher_id)
    currency, cash = fetch_currency(voucher.currency), fetch_currency(voucher.settlement_currency)
    totals = repository.fetch_report_totals(session, voucher_id)
    # Its own payments for a holder, every payment for the obligor and administrators (docs/visibility.md).
    party = None if sees_whole_tree(caller, voucher) else caller.address
    fetched = repository.fetch_report_rows(session, voucher_id, party, page.after, page.limit + 1)
    movements, next_cursor = page.page(fetched, lambda row: (row.block_number, row.log_index))
    addresses = {m.payee_address or m.payer_address for m in movements}
    known = participants_repository.fetch_participants_by_addresses(session, {a for a in addresses if a})
    rows = [
        ReportRow(
            kind=m.kind,
            token_id=m.token_id,
            party=participant_ref(other, known) if (other := m.payee_address or m.payer_address) else None,
            cash=format_minor(m.cash_minor, cash),
            value_redeemed=format_minor(m.value_minor, currency),
            fx=recorded_rate(voucher, m),
            transaction_hash=m.transaction_hash,
            block_number=m.block_number,
            occurred_at=m.occurred_at.replace(tzinfo=UTC),
        )
        for m in movements
    ]
    return SettlementReport(
        voucher_id=voucher_id,
        currency=voucher.currency,
        cash_currency=cash.code,
        face_value=format_minor(voucher.face_value_minor, currency),
        status=voucher_status(runtime.settings, voucher, fetch_ledger_now(runtime)),
        funded=format_minor(totals.get("settlement_funding", 0), cash),
        paid_at_maturity=format_minor(totals.get("settlement_payment", 0), cash),
        paid_early=format_minor(totals.get("early_payment", 0), cash),
        outstanding=format_minor(voucher.face_value_minor - voucher.redeemed_minor, currency),
        rows=rows,
        next_cursor=next_cursor,
    )


def recorded_rate(voucher: Voucher, movement: CashMovement) -> FxRateOut | None:
    """The FX rate a payment recorded (none for domestic payments and for fundings)."""
    if movement.fx_rate is None or movement.fx_updated_at is None:
        return None
    return FxRateOut(
        base=voucher.currency,
        quote=voucher.settlement_currency,
        rate=format_rate(int(movement.fx_rate), int(movement.fx_rate_decimals or 0)),
        round_id=str(int(movement.fx_round_id or 0)),
        as_of=movement.fx_updated_at.replace(tzinfo=UTC),
    )


def render_report_csv(report: SettlementReport) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        [
            "voucher_id",
            "kind",
            "token_id",
            "participant_id",
            "participant",
            "address",
            "cash",
            "cash_currency",
            "value_redeemed",
            "currency",
            "fx_rate",
            "fx_round_id",
            "fx_as_of",
            "transaction_hash",
            "block_number",
            "occurred_at",
        ]
    )
    for row in report.rows:
        writer.writerow(
            neutralise_cell(cell)
            for cell in [
                report.voucher_id,
                row.kind,
                row.token_id if row.token_id is not None else "",
                row.party.participant_id if row.party and row.party.participant_id is not None else "",
                row.party.name if row.party and row.party.name else "",
                row.party.address if row.party else "",
                row.cash,
                report.cash_currency,
                row.value_redeemed,
                report.currency,
                row.fx.rate if row.fx else "",
                row.fx.round_id if row.fx else "",
                row.fx.as_of.isoformat() if row.fx else "",
                row.transaction_hash,
                row.block_number,
                row.occurred_at.isoformat(),
            ]
        )
    return buffer.getvalue()
