"""Listings answered as JSON or, on request, as a CSV page: one spelling of the media type, the header
that carries the next page's cursor, the OpenAPI description of both, and the neutralising of cells a
spreadsheet would run as formulas. Features render their own rows."""

from __future__ import annotations

from typing import Any

from fastapi.responses import PlainTextResponse

CSV_MEDIA_TYPE = "text/csv"
NEXT_CURSOR_HEADER = "Next-Cursor"

# `responses=` of a route whose 200 may also be a CSV page.
CSV_PAGE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {CSV_MEDIA_TYPE: {"schema": {"type": "string"}}},
        "headers": {
            NEXT_CURSOR_HEADER: {
                "description": "CSV only: the cursor of the next page of rows, absent on the last.",
                "schema": {"type": "string"},
            }
        },
    }
}

# A cell a spreadsheet would read as a formula (OWASP, CSV injection): these first characters start one.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: object) -> object:
    """A text cell that would start a formula gets a leading apostrophe, so it is shown as text."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_page(text: str, next_cursor: str | None) -> PlainTextResponse:
    """A rendered CSV page, its next page's cursor in `Next-Cursor` (absent on the last page)."""
    headers = {NEXT_CURSOR_HEADER: next_cursor} if next_cursor else None
    return PlainTextResponse(text, media_type=CSV_MEDIA_TYPE, headers=headers)
