"""Cross-border payment monitoring for the regulator (model 3: SAFE's cross-border payment monitoring):
every payment that converted currencies or crossed between countries, and per cross-border voucher how
much of its value was paid onshore in CNY."""

from __future__ import annotations

import csv
import io
from datetime import UTC
from decimal import ROUND_DOWN, Decimal
from typing import Any

from sqlalchemy.orm import Session

from service.api.csv_pages import neutralise_cell
from service.api.pagination import PageRequest
from service.db.models import Participant
from service.domain.fx import format_rate
from service.domain.money import fetch_currency, format_minor
from service.monitoring import repository
from service.monitoring.repository import ONSHORE_CURRENCY, PAYMENT_KINDS
from service.monitoring.schemas import (
    CrossBorderPaymentOut,
    CrossBorderPaymentsPage,
    CrossBorderSummaryOut,
    CrossBorderSummaryPage,
    PartyOut,
)
from service.participants import repository as participants_repository

SHARE_QUANTUM = Decimal("0.0001")


def _party(address: str | None, country: str | None, known: dict[str, Participant]) -> PartyOut:
    participant = known.get(address or "")
    return PartyOut(
        participant_id=participant.id if participant else None,
        name=participant.name if participant else None,
        address=address or "",
        country=country,
    )


def list_payments(session: Session, voucher_id: int | None, page: PageRequest) -> CrossBorderPaymentsPage:
    fetched = repository.fetch_cross_border_payments(session, voucher_id, page.after, page.limit + 1)
    rows, next_cursor = page.page(fetched, lambda row: (row[0].block_number, row[0].log_index))
    addresses = {address for row in rows for address in (row.payer_address, row[0].payee_address) if address}
    known = participants_repository.fetch_participants_by_addresses(session, addresses)
    return CrossBorderPaymentsPage(items=[_payment(row, known) for row in rows], next_cursor=next_cursor)


def _payment(row: Any, known: dict[str, Participant]) -> CrossBorderPaymentOut:
    movement = row[0]
    currency = fetch_currency(row.currency)
    cash_currency = fetch_currency(movement.cash_currency or row.currency)
    converted = movement.fx_rate is not None
    return CrossBorderPaymentOut(
        kind=PAYMENT_KINDS[movement.kind],  # type: ignore[arg-type]
        voucher_id=movement.voucher_id,
        token_id=movement.token_id,
        value=format_minor(movement.value_minor, currency),
        currency=currency.code,
        cash=format_minor(movement.cash_minor, cash_currency),
        cash_currency=cash_currency.code,
        rate=format_rate(int(movement.fx_rate), int(movement.fx_rate_decimals or 0)) if converted else None,
        round_id=str(int(movement.fx_round_id)) if converted and movement.fx_round_id is not None else None,
        rate_as_of=movement.fx_updated_at.replace(tzinfo=UTC) if movement.fx_updated_at else None,
        conversion=converted,
        countries_differ=(row.payer_country or "") != (row.payee_country or ""),
        payer=_party(row.payer_address, row.payer_country, known),
        payee=_party(movement.payee_address, row.payee_country, known),
        transfer_cap=format_minor(int(row.cap_minor), currency) if row.cap_minor else None,
        transaction_hash=movement.transaction_hash,
        block_number=movement.block_number,
        occurred_at=movement.occurred_at.replace(tzinfo=UTC),
    )


CSV_COLUMNS = (
    "kind",
    "voucher_id",
    "token_id",
    "value",
    "currency",
    "cash",
    "cash_currency",
    "rate",
    "round_id",
    "rate_as_of",
    "conversion",
    "countries_differ",
    "payer_participant_id",
    "payer_name",
    "payer_address",
    "payer_country",
    "payee_participant_id",
    "payee_name",
    "payee_address",
    "payee_country",
    "transfer_cap",
    "transaction_hash",
    "block_number",
    "occurred_at",
)


def _text(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def render_payments_csv(page: CrossBorderPaymentsPage) -> str:
    """The page as CSV; a text cell that a spreadsheet would read as a formula is neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for item in page.items:
        cells = [
            item.kind,
            item.voucher_id,
            item.token_id,
            item.value,
            item.currency,
            item.cash,
            item.cash_currency,
            item.rate,
            item.round_id,
            item.rate_as_of.isoformat() if item.rate_as_of else None,
            item.conversion,
            item.countries_differ,
            item.payer.participant_id,
            item.payer.name,
            item.payer.address,
            item.payer.country,
            item.payee.participant_id,
            item.payee.name,
            item.payee.address,
            item.payee.country,
            item.transfer_cap,
            item.transaction_hash,
            item.block_number,
            item.occurred_at.isoformat(),
        ]
        writer.writerow(neutralise_cell(_text(cell)) for cell in cells)
    return buffer.getvalue()


def list_summaries(session: Session, page: PageRequest) -> CrossBorderSummaryPage:
    fetched = repository.fetch_cross_border_vouchers(session, page.after_id, page.limit + 1)
    vouchers, next_cursor = page.page(fetched, lambda voucher: (voucher.id,))
    totals = repository.fetch_payment_totals(session, {voucher.id for voucher in vouchers})
    items = []
    for voucher in vouchers:
        currency, cash = fetch_currency(voucher.currency), fetch_currency(voucher.settlement_currency)
        onshore = fetch_currency(ONSHORE_CURRENCY)
        mine = totals.get(voucher.id, {})
        settled = [
            mine.get((kind, ONSHORE_CURRENCY), (0, 0, 0)) for kind in ("settlement_payment", "early_payment")
        ]
        settled_value, settled_cash = sum(t[0] for t in settled), sum(t[1] for t in settled)
        financed = [figures for (kind, _cash), figures in mine.items() if kind == "financing"]
        share = (Decimal(settled_value) / Decimal(voucher.face_value_minor)).quantize(
            SHARE_QUANTUM, ROUND_DOWN
        )
        items.append(
            CrossBorderSummaryOut(
                voucher_id=voucher.id,
                currency=currency.code,
                settlement_currency=cash.code,
                face_value=format_minor(voucher.face_value_minor, currency),
                outstanding=format_minor(voucher.face_value_minor - voucher.redeemed_minor, currency),
                transfer_cap=format_minor(voucher.transfer_cap_minor, currency)
                if voucher.transfer_cap_minor
                else None,
                settled_onshore_value=format_minor(settled_value, currency),
                settled_onshore_cash=format_minor(settled_cash, onshore),
                onshore_share=str(share),
                financed_value=format_minor(sum(t[0] for t in financed), currency),
                financed_cash=format_minor(sum(t[1] for t in financed), cash),
                payments=sum(figures[2] for figures in mine.values()),
            )
        )
    return CrossBorderSummaryPage(items=items, next_cursor=next_cursor)
