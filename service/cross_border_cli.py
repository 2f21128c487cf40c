"""`cascade fx`, `cascade logistics` and `cascade monitoring`: model 3's rates, milestones and the
regulator's export, through a running service (CASCADE_URL, CASCADE_API_KEY) like the other clients."""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console

console = Console(stderr=True, soft_wrap=True)
ClientFactory = Callable[[], httpx.Client]
PAYMENTS_PATH = "/v1/monitoring/cross-border-payments"
PAGE_SIZE = 200


def _call(client: httpx.Client, method: str, path: str, **kwargs: Any) -> httpx.Response:
    try:
        response = client.request(method, path, **kwargs)
    except httpx.HTTPError as error:
        console.print(f"[red]cannot reach the service:[/red] {error}")
        raise typer.Exit(2) from error
    if response.status_code >= 400:
        console.print(f"[red]{response.status_code}[/red] {response.text}")
        raise typer.Exit(1)
    return response


def _print(result: Any) -> None:
    json.dump(result, sys.stdout, indent=2)
    print()


def fetch_every_payment(client: httpx.Client, voucher: int | None) -> list[dict[str, Any]]:
    """Every page of the JSON export, in chain order."""
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": PAGE_SIZE}
        if cursor:
            params["cursor"] = cursor
        if voucher is not None:
            params["voucher_id"] = voucher
        page = _call(client, "GET", PAYMENTS_PATH, params=params).json()
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


def fetch_every_csv_page(client: httpx.Client, voucher: int | None) -> str:
    """Every page of the CSV export as one CSV (one header row), following `Next-Cursor`."""
    header: list[str] | None = None
    rows: list[list[str]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": PAGE_SIZE, "format": "csv"}
        if cursor:
            params["cursor"] = cursor
        if voucher is not None:
            params["voucher_id"] = voucher
        response = _call(client, "GET", PAYMENTS_PATH, params=params)
        page = list(csv.reader(io.StringIO(response.text)))
        header = header or page[0]
        rows += page[1:]
        cursor = response.headers.get("Next-Cursor")
        if cursor is None:
            break
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)  # cells are as the service neutralised them
    return buffer.getvalue()


def add_cross_border_commands(app: typer.Typer, client_factory: ClientFactory) -> None:
    fx_app = typer.Typer(help="Exchange rates (through a running service).", no_args_is_help=True)
    logistics_app = typer.Typer(
        help="Logistics milestones (through a running service).", no_args_is_help=True
    )
    monitoring_app = typer.Typer(
        help="Cross-border payment monitoring (through a running service).", no_args_is_help=True
    )
    app.add_typer(fx_app, name="fx")
    app.add_typer(logistics_app, name="logistics")
    app.add_typer(monitoring_app, name="monitoring")

    @fx_app.command("rates")
    def rates(
        history: Annotated[
            str | None, typer.Option(help="A pair's answers, newest first, e.g. USD/CNY (one page).")
        ] = None,
    ) -> None:
        """Every pair's latest rate, round, time and whether it is stale (or one pair's history)."""
        path = "/v1/fx/rates" if history is None else f"/v1/fx/rates/{history.strip('/')}/history"
        with client_factory() as client:
            _print(_call(client, "GET", path, params={"limit": PAGE_SIZE}).json())

    @fx_app.command("set-rate")
    def set_rate(
        rate: Annotated[str, typer.Option(help="Quote units per base unit, e.g. 7.12345678.")],
        base: Annotated[str, typer.Option()] = "USD",
        quote: Annotated[str, typer.Option()] = "CNY",
        idempotency_key: Annotated[str | None, typer.Option(help="Makes a retry safe.")] = None,
    ) -> None:
        """Submits a new rate to the ledger's own feed of the pair (oracle key)."""
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        with client_factory() as client, console.status("submitting the rate on chain"):
            _print(
                _call(
                    client, "POST", f"/v1/fx/rates/{base}/{quote}", json={"rate": rate}, headers=headers
                ).json()
            )

    @logistics_app.command("attest")
    def attest(
        voucher: Annotated[int, typer.Option(help="Voucher id.")],
        milestone: Annotated[str, typer.Option(help="shipped, customs_cleared or delivered.")],
        evidence: Annotated[
            str | None, typer.Option(help="Evidence text (its SHA-256 goes on chain).")
        ] = None,
        evidence_hash: Annotated[
            str | None, typer.Option(help="Or the evidence's hash, 0x + 64 hex.")
        ] = None,
        idempotency_key: Annotated[str | None, typer.Option(help="Makes a retry safe.")] = None,
    ) -> None:
        """Attests that a voucher's goods reached a milestone (oracle key)."""
        body: dict[str, Any] = {"milestone": milestone}
        if evidence is not None:
            body["evidence"] = evidence
        if evidence_hash is not None:
            body["evidence_hash"] = evidence_hash
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        with client_factory() as client, console.status("attesting on chain"):
            _print(
                _call(client, "POST", f"/v1/vouchers/{voucher}/milestones", json=body, headers=headers).json()
            )

    @logistics_app.command("list")
    def list_milestones(voucher: Annotated[int, typer.Option(help="Voucher id.")]) -> None:
        """A voucher's milestone and its attestations, oldest first."""
        with client_factory() as client:
            _print(
                _call(client, "GET", f"/v1/vouchers/{voucher}/milestones", params={"limit": PAGE_SIZE}).json()
            )

    @monitoring_app.command("export")
    def export(
        format: Annotated[str, typer.Option("--format", help="csv or json.")] = "json",
        voucher: Annotated[int | None, typer.Option(help="Only this voucher's payments.")] = None,
        output: Annotated[Path | None, typer.Option(help="Write here instead of to standard output.")] = None,
    ) -> None:
        """Every cross-border payment, all pages (admin or compliance agent key)."""
        if format not in ("csv", "json"):
            console.print(f"[red]--format is csv or json, not {format}[/red]")
            raise typer.Exit(2)
        with client_factory() as client:
            if format == "csv":
                text = fetch_every_csv_page(client, voucher)
            else:
                text = json.dumps(fetch_every_payment(client, voucher), indent=2) + "\n"
        if output is None:
            sys.stdout.write(text)
        else:
            output.write_text(text, encoding="utf-8")
            console.print(f"wrote {output}")

    @monitoring_app.command("summary")
    def summary() -> None:
        """Per cross-border voucher: value paid onshore in CNY and its share of the face value."""
        with client_factory() as client:
            _print(
                _call(
                    client, "GET", "/v1/monitoring/cross-border-summary", params={"limit": PAGE_SIZE}
                ).json()
            )
