"""Paying a voucher at maturity: the obligor funds, the ledger pays every holder of every piece."""

from __future__ import annotations

import csv
import io
from datetime import UTC

from sqlalchemy.orm import Session

from service.api.auth import Caller
from service.api.common import participant_ref
from service.api.pagination import PageRequest
from service.api.relay import relay_as
from service.chain.abi import encode_call
from service.db.models import Voucher
from service.domain.money import fetch_currency, format_minor, parse_amount_minor
from service.errors import Forbidden, NotObligor, SettlementNotMatured
from service.ledger.clock import fetch_ledger_now
from service.notes import repository as notes_repository
from service.notes.service import load_held_note
from service.participants import repository as participants_repository
from service.runtime import Runtime
from service.settlement import repository
from service.settlement.schemas import (
    ClaimOut,
    FundingCreate,
    PayoutRun,
    PayoutRunOut,
    ReportRow,
    SettlementOut,
    SettlementReport,
)
from service.vouchers.service import require_visible_voucher, sees_whole_tree, voucher_status

# Gas of one payout transaction: a fixed part plus what paying one piece costs at most.
PAYOUT_BASE_GAS = 200_000
PAYOUT_GAS_PER_PIECE = 90_000


def _vault(runtime: Runtime) -> str:
    return runtime.chain.deployment.addresses["vault"]


# ISettlementVault.SlotAccount: cashToken, round, roundOpen, funded, paidOut, withdrawn, and the open
# round's available, outstanding and token mark.
SLOT_ACCOUNT = "(address,uint64,bool,uint256,uint256,uint256,uint256,uint256,uint256)"


def to_out(runtime: Runtime, voucher: Voucher) -> SettlementOut:
    currency = fetch_currency(voucher.currency)
    # The vault's whole account in one call, so that the three figures are of one block.
    account = runtime.chain.read(_vault(runtime), "accountOf(uint256)", [voucher.id], [SLOT_ACCOUNT])
    funded, paid_out, withdrawn = (int(account[field]) for field in (3, 4, 5))
    available = funded - paid_out - withdrawn  # as the vault's `available` computes it
    return SettlementOut(
        voucher_id=voucher.id,
        currency=voucher.currency,
        status=voucher_status(runtime.settings, voucher, fetch_ledger_now(runtime)),
        due_at=voucher.due_at.replace(tzinfo=UTC),
        face_value=format_minor(voucher.face_value_minor, currency),
        outstanding=format_minor(voucher.face_value_minor - voucher.redeemed_minor, currency),
        funded=format_minor(funded, currency),
        paid_out=format_minor(paid_out, currency),
        available=format_minor(available, currency),
    )


def read_settlement(session: Session, runtime: Runtime, caller: Caller, voucher_id: int) -> SettlementOut:
    voucher = require_visible_voucher(session, caller, voucher_id)
    return to_out(runtime, voucher)


def fund(
    session: Session, runtime: Runtime, caller: Caller, voucher_id: int, body: FundingCreate
) -> SettlementOut:
    """The obligor pays cash into the voucher's settlement, at once or in parts, early or late."""
    voucher = require_visible_voucher(session, caller, voucher_id)
    if voucher.obligor_address != caller.address:
        raise NotObligor("only the voucher's obligor funds its settlement", voucher_id=voucher_id)
    obligor = participants_repository.fetch_participant(session, caller.participant_id)
    assert obligor is not None
    amount_minor = parse_amount_minor(body.amount, fetch_currency(voucher.currency))
    session.commit()
    relay_as(
        runtime,
        obligor,
        "settlement.fund",
        _vault(runtime),
        encode_call("fund(uint256,uint256)", [voucher_id, amount_minor]),
    )
    session.refresh(voucher)
    return to_out(runtime, voucher)


def run_payouts(
    session: Session, runtime: Runtime, caller: Caller, voucher_id: int, body: PayoutRun
) -> PayoutRunOut:
    """Pays every piece with value, in batches, from the cash available (pro rata if partly funded)."""
    voucher = require_visible_voucher(session, caller, voucher_id)
    if not caller.is_admin and voucher.obligor_address != caller.address:
        raise Forbidden("settlement is run by an admin or the voucher's obligor")
    due_at = voucher.due_at.replace(tzinfo=UTC)
    now = fetch_ledger_now(runtime)
    if now < due_at:
        raise SettlementNotMatured(
            f"voucher {voucher_id} matures on {due_at.isoformat()}", due_at=due_at.isoformat()
        )
    token_ids = notes_repository.fetch_token_ids_with_value(session, voucher_id)
    session.commit()
    hashes: list[str] = []
    paid = pieces = 0
    for start in range(0, len(token_ids), body.batch_size):
        batch = token_ids[start : start + body.batch_size]
        receipt = runtime.submitter.submit_operator_call(
            "settlement.payout",
            caller.participant_id,
            _vault(runtime),
            encode_call("payout(uint256,uint256[])", [voucher_id, batch]),
            gas=PAYOUT_BASE_GAS + PAYOUT_GAS_PER_PIECE * len(batch),
        )
        hashes.append(receipt.transaction_hash)
        for event in receipt.events_named("SettlementPaid"):
            paid += int(event.args["amount"])
            pieces += 1
    session.refresh(voucher)
    return PayoutRunOut(
        batches=len(hashes),
        pieces_paid=pieces,
        paid=format_minor(paid, fetch_currency(voucher.currency)),
        transaction_hashes=hashes,
        settlement=to_out(runtime, voucher),
    )


def claim(session: Session, runtime: Runtime, caller: Caller, token_id: int) -> ClaimOut:
    """A holder collects its own piece's payment without waiting for the batch run."""
    note, voucher = load_held_note(session, caller, token_id)
    holder = participants_repository.fetch_participant(session, caller.participant_id)
    assert holder is not None
    session.commit()
    receipt = relay_as(
        runtime, holder, "settlement.claim", _vault(runtime), encode_call("claim(uint256)", [token_id])
    )
    [paid] = receipt.events_named("SettlementPaid")
    session.refresh(note)
    currency = fetch_currency(voucher.currency)
    return ClaimOut(
        token_id=token_id,
        amount=format_minor(int(paid.args["amount"]), currency),
        remaining_value=format_minor(note.value_minor, currency),
        transaction_hash=receipt.transaction_hash,
    )


def build_report(
    session: Session, runtime: Runtime, caller: Caller, voucher_id: int, page: PageRequest
) -> SettlementReport:
    """The voucher's totals, and one page of its payment rows in chain order."""
    voucher = require_visible_voucher(session, caller, voucher_id)
    currency = fetch_currency(voucher.currency)
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
            party=participant_ref(party, known) if (party := m.payee_address or m.payer_address) else None,
            cash=format_minor(m.cash_minor, currency),
            value_redeemed=format_minor(m.value_minor, currency),
            transaction_hash=m.transaction_hash,
            block_number=m.block_number,
            occurred_at=m.occurred_at.replace(tzinfo=UTC),
        )
        for m in movements
    ]
    return SettlementReport(
        voucher_id=voucher_id,
        currency=voucher.currency,
        face_value=format_minor(voucher.face_value_minor, currency),
        status=voucher_status(runtime.settings, voucher, fetch_ledger_now(runtime)),
        funded=format_minor(totals.get("settlement_funding", 0), currency),
        paid_at_maturity=format_minor(totals.get("settlement_payment", 0), currency),
        paid_early=format_minor(totals.get("early_payment", 0), currency),
        outstanding=format_minor(voucher.face_value_minor - voucher.redeemed_minor, currency),
        rows=rows,
        next_cursor=next_cursor,
    )


# A cell a spreadsheet would read as a formula (OWASP, CSV injection): these first characters start one.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: object) -> object:
    """A text cell that would start a formula gets a leading apostrophe, so it is shown as text."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


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
            "value_redeemed",
            "currency",
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
                row.value_redeemed,
                report.currency,
                row.transaction_hash,
                row.block_number,
                row.occurred_at.isoformat(),
            ]
        )
    return buffer.getvalue()
