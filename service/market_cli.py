"""`cascade market`: model 2's offerings, purchases, secondary sales, redemption, portfolio and figures,
through a running service (CASCADE_URL, CASCADE_API_KEY) like the other clients."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console

console = Console(stderr=True, soft_wrap=True)
ClientFactory = Callable[[], httpx.Client]
PAGE_SIZE = 200
KeyOption = Annotated[str | None, typer.Option(help="Makes a retry safe (Idempotency-Key).")]


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


def add_market_commands(app: typer.Typer, client_factory: ClientFactory) -> None:
    market_app = typer.Typer(
        help="Yield-token offerings and their market, model 2 (through a running service).",
        no_args_is_help=True,
    )
    app.add_typer(market_app, name="market")

    def post(path: str, body: dict[str, Any] | None, key: str | None, status: str) -> None:
        headers = {"Idempotency-Key": key} if key else {}
        with client_factory() as client, console.status(status):
            _print(_call(client, "POST", path, json=body, headers=headers).json())

    def get(path: str, params: dict[str, Any]) -> httpx.Response:
        with client_factory() as client:
            return _call(client, "GET", path, params=params)

    @market_app.command("open")
    def open_offering(
        note: Annotated[int, typer.Option(help="The piece (token id) to offer from.")],
        amount: Annotated[str, typer.Option(help="Face value to offer, e.g. 20000000.00.")],
        rate_bps: Annotated[int, typer.Option(help="Annual discount rate in basis points (600 = 6%).")],
        min_subscription: Annotated[str, typer.Option(help="Least face value per purchase.")],
        closes_on: Annotated[str, typer.Option(help="Closing date, YYYY-MM-DD (at most the maturity).")],
        day_count: Annotated[str, typer.Option(help="ACT/360 or ACT/365F.")] = "ACT/360",
        country: Annotated[
            list[str] | None, typer.Option(help="An allowed investor country (repeat; none: any).")
        ] = None,
        idempotency_key: KeyOption = None,
    ) -> None:
        """Offers part or all of a piece as yield tokens (the holder's key)."""
        body = {
            "amount": amount,
            "rate_bps": rate_bps,
            "day_count": day_count,
            "min_subscription": min_subscription,
            "closes_on": closes_on,
            "allowed_countries": country or [],
        }
        post(f"/v1/notes/{note}/offerings", body, idempotency_key, "opening the offering on chain")

    @market_app.command("offerings")
    def offerings(voucher: Annotated[int | None, typer.Option(help="Only this voucher's.")] = None) -> None:
        """Offerings with their price of 1.00 of face now, days left and tokens available (one page)."""
        params: dict[str, Any] = {"limit": PAGE_SIZE}
        if voucher is not None:
            params["voucher_id"] = voucher
        _print(get("/v1/offerings", params).json())

    @market_app.command("price")
    def price(
        offering: Annotated[int, typer.Option(help="Offering id.")],
        amount: Annotated[str, typer.Option(help="Face value to price.")],
    ) -> None:
        """What `amount` of the offering's tokens costs now."""
        _print(get(f"/v1/offerings/{offering}/price", {"amount": amount}).json())

    @market_app.command("subscribe")
    def subscribe(
        offering: Annotated[int, typer.Option(help="Offering id.")],
        amount: Annotated[str, typer.Option(help="Face value to buy.")],
        max_cash: Annotated[str, typer.Option(help="Most cash to pay.")],
        idempotency_key: KeyOption = None,
    ) -> None:
        """Buys tokens of an offering: cash to the seller, tokens to you, at once (investor key)."""
        body = {"amount": amount, "max_cash": max_cash}
        post(f"/v1/offerings/{offering}/subscriptions", body, idempotency_key, "buying on chain")

    @market_app.command("withdraw")
    def withdraw(
        offering: Annotated[int, typer.Option(help="Offering id.")],
        amount: Annotated[str, typer.Option(help="Unsold face value to take back.")],
        idempotency_key: KeyOption = None,
    ) -> None:
        """Takes unsold tokens back as a note piece (the seller's key)."""
        body = {"amount": amount}
        post(f"/v1/offerings/{offering}/withdrawal", body, idempotency_key, "withdrawing on chain")

    @market_app.command("close")
    def close(
        offering: Annotated[int, typer.Option(help="Offering id.")], idempotency_key: KeyOption = None
    ) -> None:
        """Stops subscriptions (the seller's key)."""
        post(f"/v1/offerings/{offering}/closure", None, idempotency_key, "closing on chain")

    @market_app.command("list")
    def list_for_sale(
        offering: Annotated[int, typer.Option(help="Offering id.")],
        amount: Annotated[str, typer.Option(help="Face value of your tokens to sell.")],
        rate_bps: Annotated[int, typer.Option(help="Your annual discount rate in basis points.")],
        idempotency_key: KeyOption = None,
    ) -> None:
        """Lists tokens you hold for other investors (token holder's key)."""
        body = {"amount": amount, "rate_bps": rate_bps}
        post(f"/v1/offerings/{offering}/listings", body, idempotency_key, "listing on chain")

    @market_app.command("listings")
    def listings(offering: Annotated[int, typer.Option(help="Offering id.")]) -> None:
        """An offering's listings with their price of 1.00 of face now (one page)."""
        _print(get(f"/v1/offerings/{offering}/listings", {"limit": PAGE_SIZE}).json())

    @market_app.command("buy")
    def buy(
        listing: Annotated[int, typer.Option(help="Listing id.")],
        amount: Annotated[str, typer.Option(help="Face value to buy.")],
        max_cash: Annotated[str, typer.Option(help="Most cash to pay.")],
        idempotency_key: KeyOption = None,
    ) -> None:
        """Buys listed tokens at the listing's rate: delivery versus payment (investor key)."""
        body = {"amount": amount, "max_cash": max_cash}
        post(f"/v1/listings/{listing}/purchases", body, idempotency_key, "buying on chain")

    @market_app.command("cancel")
    def cancel(
        listing: Annotated[int, typer.Option(help="Listing id.")], idempotency_key: KeyOption = None
    ) -> None:
        """Withdraws what is left of your listing."""
        post(f"/v1/listings/{listing}/cancellation", None, idempotency_key, "cancelling on chain")

    @market_app.command("collect")
    def collect(
        offering: Annotated[int, typer.Option(help="Offering id.")], idempotency_key: KeyOption = None
    ) -> None:
        """From maturity: the vault claims its piece's settlement cash (any key)."""
        post(f"/v1/offerings/{offering}/collection", None, idempotency_key, "collecting on chain")

    @market_app.command("redeem")
    def redeem(
        offering: Annotated[int, typer.Option(help="Offering id.")], idempotency_key: KeyOption = None
    ) -> None:
        """Burns your tokens for your share of the cash the offering received (token holder's key)."""
        post(f"/v1/offerings/{offering}/redemptions", None, idempotency_key, "redeeming on chain")

    @market_app.command("portfolio")
    def portfolio() -> None:
        """Your tokens per offering: cost, face, yield to maturity, discount accrued, payment date."""
        _print(get("/v1/portfolio", {"limit": PAGE_SIZE}).json())

    @market_app.command("figures")
    def figures(
        since: Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD.")],
        until: Annotated[str, typer.Option("--to", help="Last day, YYYY-MM-DD.")],
        offering: Annotated[int | None, typer.Option(help="Only this offering.")] = None,
        format: Annotated[str, typer.Option("--format", help="json or csv.")] = "json",
    ) -> None:
        """Per day: volume traded (primary, secondary), trades, average discount rate, premium to face."""
        if format not in ("csv", "json"):
            console.print(f"[red]--format is csv or json, not {format}[/red]")
            raise typer.Exit(2)
        rows: list[Any] = []
        text_pages: list[str] = []
        cursor: str | None = None
        with client_factory() as client:
            while True:
                params: dict[str, Any] = {"from": since, "to": until, "limit": PAGE_SIZE, "format": format}
                if offering is not None:
                    params["offering_id"] = offering
                if cursor:
                    params["cursor"] = cursor
                response = _call(client, "GET", "/v1/market/figures", params=params)
                if format == "csv":
                    lines = response.text.splitlines(keepends=True)
                    text_pages.append("".join(lines if not text_pages else lines[1:]))
                    cursor = response.headers.get("Next-Cursor")
                else:
                    rows += response.json()["rows"]
                    cursor = response.json()["next_cursor"]
                if cursor is None:
                    break
        if format == "csv":
            sys.stdout.write("".join(text_pages))
        else:
            _print({"rows": rows})
