"""`cascade`: run the service and administer the ledger.

`serve`, `deploy`, `reconcile` and `admin-key` work on the ledger directly; `participants` and
`vouchers` are clients of a running service (its URL and an admin API key).
"""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console

from service.bulk_cli import issue_batch_command, progress_bar, transfer_batch_command
from service.cross_border_cli import add_cross_border_commands
from service.market_cli import add_market_commands
from service.private_files import ensure_private_directory, open_private
from service.settings import Settings

app = typer.Typer(help="Cascade tokenised-receivables ledger.", no_args_is_help=True)
participants_app = typer.Typer(help="Participants (through a running service).", no_args_is_help=True)
vouchers_app = typer.Typer(help="Vouchers (through a running service).", no_args_is_help=True)
app.add_typer(participants_app, name="participants")
app.add_typer(vouchers_app, name="vouchers")
cash_app = typer.Typer(help="Settlement cash (through a running service).", no_args_is_help=True)
financing_app = typer.Typer(
    help="Financing terms and quotes (through a running service).", no_args_is_help=True
)
early_payment_app = typer.Typer(
    help="Early-payment programmes (through a running service).", no_args_is_help=True
)
settlement_app = typer.Typer(help="Settlement at maturity (through a running service).", no_args_is_help=True)
app.add_typer(cash_app, name="cash")
app.add_typer(financing_app, name="financing")
app.add_typer(early_payment_app, name="early-payment")
app.add_typer(settlement_app, name="settlement")
notes_app = typer.Typer(help="Pieces (through a running service).", no_args_is_help=True)
app.add_typer(notes_app, name="notes")
# soft_wrap: Rich breaks no line itself (it did at 80 columns, mid-sentence, when not on a terminal or
# on a narrow one); a terminal wraps what is wider than it at its edge.
console = Console(stderr=True, soft_wrap=True)

BOOTSTRAP_ADMIN_NAME = "Cascade admin"


def _progress(message: str) -> None:
    console.print(f"[cyan]•[/cyan] {message}")


def _write_secret(path: Path, secret: str) -> None:
    ensure_private_directory(path.parent)
    descriptor = open_private(path, os.O_WRONLY | os.O_TRUNC)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(secret + "\n")


def _bootstrap_admin(settings: Settings) -> None:
    """First start only: an administrator and its key, written to the data directory once."""
    from service.db.session import Database
    from service.participants.repository import count_admins_on
    from service.participants.service import create_admin
    from service.runtime import master_key_vault

    database = Database(settings.resolved_database_url)
    try:
        with database.connection_transaction() as connection:
            if count_admins_on(connection) > 0:
                return
            address, _ = master_key_vault(settings).create_account()
            _participant, secret = create_admin(connection, BOOTSTRAP_ADMIN_NAME, address)
    finally:
        database.dispose()
    _write_secret(settings.admin_key_path, secret)
    console.print("[green]The administrator's API key[/green], shown once:")
    console.print(secret, highlight=False)
    console.print(f"It is also saved (mode 600) in {settings.admin_key_path}.")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="HTTP port (also PORT).", envvar="PORT")] = 8000,
    workers: Annotated[
        int | None, typer.Option(min=1, max=16, help="API processes (default: WORKERS, else 2).")
    ] = None,
) -> None:
    """Starts the ledger: its own Anvil chain (unless CHAIN_RPC_URL is set), the chain writer and the API,
    each a process of its own, restarted if it dies."""
    from service.runtime import prepare_ledger
    from service.supervisor import Supervisor

    settings = Settings()
    count = workers or settings.workers
    try:
        prepared = prepare_ledger(settings, _progress)
        # The children reach the chain the parent prepared: its Anvil, which only they may mine on.
        os.environ["CHAIN_RPC_URL"] = prepared.rpc_url
        if prepared.anvil is not None:
            os.environ["CASCADE_EMBEDDED_CHAIN"] = "1"
        _bootstrap_admin(settings)
        console.print(f"[green]Cascade is up[/green] on http://{host}:{port} ({_workers(count)})")
        console.print(f"API docs: http://{host}:{port}/docs. Ctrl-C stops it.")
        Supervisor(Settings(), host, port, count, prepared.anvil, _progress).run()
    except RuntimeError as error:
        console.print(f"[red]{error}[/red]", soft_wrap=True)
        raise typer.Exit(1) from error
    except KeyboardInterrupt:  # Ctrl-C while starting, before the web server took the signal over
        console.print("[yellow]Cascade stopped while starting[/yellow]: nothing is served.")
        raise typer.Exit(130) from None
    console.print(_stopped(settings, host, port, count))


def _attach(settings: Settings) -> Settings:
    """Settings that name the chain: CHAIN_RPC_URL, or the one the service recorded last."""
    if settings.chain_rpc_url:
        return settings
    from service.db.session import Database
    from service.runtime import fetch_recorded_endpoint

    database = Database(settings.resolved_database_url)
    try:
        endpoint = fetch_recorded_endpoint(database)
    finally:
        database.dispose()
    if endpoint is None:
        console.print("[red]no chain:[/red] set CHAIN_RPC_URL, or start the ledger once with `cascade serve`")
        raise typer.Exit(2)
    overrides = {"CHAIN_RPC_URL": endpoint.rpc_url}
    if endpoint.embedded:
        overrides["CASCADE_EMBEDDED_CHAIN"] = "1"
    return Settings(**overrides)  # type: ignore[arg-type]


@app.command()
def writer() -> None:
    """Runs the chain writer alone (for a deployment whose API runs elsewhere, e.g. `cascade api` on other
    hosts). On PostgreSQL a second writer stands by and takes over when the leader dies."""
    from service.supervisor import run_writer_child

    settings = _attach(Settings())
    os.environ["CHAIN_RPC_URL"] = settings.chain_rpc_url or ""
    run_writer_child()


@app.command()
def api(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="HTTP port (also PORT).", envvar="PORT")] = 8000,
    workers: Annotated[
        int | None, typer.Option(min=1, max=16, help="API processes (default: WORKERS).")
    ] = None,
) -> None:
    """Runs an API replica alone: stateless, it reads the shared database and chain and hands writes to
    the chain writer (`cascade writer`) through the outbox."""
    from service.supervisor import run_api_child

    settings = _attach(Settings())
    os.environ["CHAIN_RPC_URL"] = settings.chain_rpc_url or ""
    run_api_child(host, port, workers or settings.workers)


def _stopped(settings: Settings, host: str, port: int, count: int) -> str:
    """What Ctrl-C (or SIGTERM) stopped, once it has."""
    lines = [f"[yellow]Cascade stopped[/yellow]: the API on http://{host}:{port} ({_workers(count)})."]
    if settings.chain_rpc_url is None:
        lines.append(f"The embedded Anvil stopped; its chain is saved in {settings.anvil_state_path}.")
    else:
        lines.append(f"The chain at {settings.chain_rpc_url} runs on; nothing of it was stopped.")
    lines.append(f"Everything else is in {settings.data_dir}: `make run` starts it all again.")
    return "\n".join(lines)


def _workers(count: int) -> str:
    processes = "1 API process" if count == 1 else f"{count} API processes"
    return f"{processes} and the chain writer"


@app.command()
def deploy() -> None:
    """Migrates the database and deploys the contracts (if not deployed on this chain yet); prints their
    addresses."""
    from service.runtime import prepare_ledger

    prepared = prepare_ledger(Settings(), _progress)
    try:
        print(json.dumps({"chain_id": prepared.chain_id, **prepared.deployment.addresses}, indent=2))
    finally:
        if prepared.anvil is not None:
            prepared.anvil.stop()


@app.command()
def reconcile() -> None:
    """Compares every indexed piece, voucher, operation and quote with the chain; exits 1 listing the
    differences, 2 when no comparison could be made. Beside a running service it uses its chain."""
    from service.errors import LedgerError
    from service.ledger.reconcile import reconcile as run_reconcile
    from service.runtime import start_runtime

    runtime = start_runtime(_attach(Settings()))
    try:
        report = run_reconcile(runtime)
    except LedgerError as error:  # no comparison was made: neither agreement nor differences
        console.print(f"[red]{error.code}[/red]: {error.message}", soft_wrap=True)
        raise typer.Exit(2) from None
    finally:
        runtime.close()
    console.print(
        f"block {report.block_number}: {report.tokens_checked} pieces, {report.vouchers_checked} vouchers, "
        f"{report.operations_checked} operations, {report.quotes_checked} quotes checked",
        soft_wrap=True,
    )
    for difference in report.differences:
        console.print(f"[red]✗[/red] {difference}", soft_wrap=True)
    if report.differing_token_ids:
        console.print(
            f"pieces that differ: {', '.join(map(str, report.differing_token_ids))}", soft_wrap=True
        )
    if not report.clean:
        raise typer.Exit(1)
    console.print("[green]database and chain agree[/green]")


@app.command()
def errors(
    output: Annotated[Path | None, typer.Option(help="Write the table here (docs/errors.md).")] = None,
) -> None:
    """Prints (or writes) the table of every error code: docs/errors.md, from the error classes."""
    from service.errors_doc import render_error_codes

    table = render_error_codes()
    if output is None:
        sys.stdout.write(table)
    else:
        output.write_text(table)
        console.print(f"wrote {output}")


@app.command("admin-key")
def admin_key(name: Annotated[str, typer.Option(help="Administrator name.")] = BOOTSTRAP_ADMIN_NAME) -> None:
    """Creates an administrator (if needed) and prints a new API key for it."""
    from service.db.session import Database
    from service.participants.service import create_admin
    from service.runtime import master_key_vault

    settings = Settings()
    ensure_private_directory(settings.data_dir)
    database = Database(settings.resolved_database_url)
    database.migrate()
    with database.connection_transaction() as connection:
        address, _ = master_key_vault(settings).create_account()
        _participant, secret = create_admin(connection, name, address)
    database.dispose()
    print(secret)


# ------------------------------------------------------------------------------- service clients


def _client() -> httpx.Client:
    settings = Settings()
    url = os.environ.get("CASCADE_URL", "http://127.0.0.1:8000")
    key = os.environ.get("CASCADE_API_KEY")
    if not key and settings.admin_key_path.exists():
        key = settings.admin_key_path.read_text().strip()
    if not key:
        console.print("[red]no API key:[/red] set CASCADE_API_KEY (the admin key printed by `cascade serve`)")
        raise typer.Exit(2)
    return httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=120)


def _request(
    method: str,
    path: str,
    body: dict[str, Any] | None = None,
    idempotency_key: str | None = None,
    params: dict[str, str] | None = None,
) -> httpx.Response:
    headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
    with _client() as client:
        try:
            response = client.request(method, path, json=body, headers=headers, params=params)
        except httpx.HTTPError as error:
            console.print(f"[red]cannot reach the service:[/red] {error}")
            raise typer.Exit(2) from error
    if response.status_code >= 400:
        console.print(f"[red]{response.status_code}[/red] {response.text}")
        raise typer.Exit(1)
    return response


def _post(path: str, body: dict[str, Any], idempotency_key: str | None) -> Any:
    return _request("POST", path, body, idempotency_key).json()


def _print(result: Any) -> None:
    json.dump(result, sys.stdout, indent=2)
    print()


@participants_app.command("register")
def register_participant(
    name: Annotated[str, typer.Option(help="Display name, unique.")],
    role: Annotated[
        str,
        typer.Option(help="admin, compliance_agent, oracle, obligor, supplier, financier or investor."),
    ],
    country: Annotated[
        str | None, typer.Option(help="ISO 3166-1 alpha-2 (every role but the staff's), e.g. CN.")
    ] = None,
    kyc_expires_on: Annotated[
        str | None, typer.Option(help="When its KYC lapses, YYYY-MM-DD (default: a year from today).")
    ] = None,
    address: Annotated[str | None, typer.Option(help="Own wallet address; omit for a managed key.")] = None,
    idempotency_key: Annotated[str | None, typer.Option(help="Makes a retry safe.")] = None,
) -> None:
    """Registers a participant and prints it with its API key (shown once) as JSON."""
    body: dict[str, Any] = {"name": name, "role": role}
    for field, value in (("country", country), ("kyc_expires_on", kyc_expires_on), ("address", address)):
        if value:
            body[field] = value
    with console.status(f"registering {name} on chain"):
        _print(_post("/v1/participants", body, idempotency_key))


@vouchers_app.command("issue")
def issue_voucher(
    obligor: Annotated[int, typer.Option(help="Obligor participant id.")],
    holder: Annotated[int, typer.Option(help="Tier-1 holder participant id.")],
    face_value: Annotated[str, typer.Option(help="Major units, e.g. 100000000.00.")],
    minimum_unit: Annotated[str, typer.Option(help="Minimum split unit, e.g. 1000000.00.")],
    due_date: Annotated[str, typer.Option(help="Maturity date, YYYY-MM-DD.")],
    document_hash: Annotated[str, typer.Option(help="0x + 64 hex digits.")],
    invoice: Annotated[list[str], typer.Option(help="Invoice reference (repeatable).")],
    currency: Annotated[str, typer.Option()] = "CNY",
    settlement_currency: Annotated[
        str | None, typer.Option(help="What it is paid in (a cross-border voucher: e.g. CNY for USD).")
    ] = None,
    transfer_cap: Annotated[
        str | None, typer.Option(help="The most one transfer between holders may move, e.g. 500000.00.")
    ] = None,
    idempotency_key: Annotated[str | None, typer.Option(help="Makes a retry safe.")] = None,
) -> None:
    """Issues a voucher on the obligor's behalf and prints it as JSON."""
    date.fromisoformat(due_date)
    body: dict[str, Any] = {
        "obligor_participant_id": obligor,
        "holder_participant_id": holder,
        "currency": currency,
        "face_value": face_value,
        "minimum_unit": minimum_unit,
        "due_date": due_date,
        "invoice_references": invoice,
        "document_hash": document_hash,
    }
    for field, value in (("settlement_currency", settlement_currency), ("transfer_cap", transfer_cap)):
        if value:
            body[field] = value
    with console.status("issuing voucher on chain"):
        _print(_post("/v1/vouchers", body, idempotency_key))


IdempotencyOption = Annotated[str | None, typer.Option(help="Makes a retry safe.")]


@cash_app.command("credit")
def credit_cash(
    participant: Annotated[int, typer.Option(help="Participant id.")],
    amount: Annotated[str, typer.Option(help="Major units, e.g. 1000000.00.")],
    currency: Annotated[str, typer.Option()] = "CNY",
    idempotency_key: IdempotencyOption = None,
) -> None:
    """Credits test settlement cash to a participant (admin key; local chain only)."""
    body = {"participant_id": participant, "currency": currency, "amount": amount}
    _print(_post("/v1/cash/credits", body, idempotency_key))


@cash_app.command("balances")
def cash_balances() -> None:
    """The key holder's settlement-cash balances."""
    _print(_request("GET", "/v1/cash").json())


@financing_app.command("publish-terms")
def publish_terms(
    rate_bps: Annotated[int, typer.Option(help="Annual rate in basis points (600 = 6%).")],
    budget: Annotated[str, typer.Option(help="Total cash the offer may pay out.")],
    min_amount: Annotated[str, typer.Option()] = "0.01",
    max_amount: Annotated[str, typer.Option()] = "1000000000.00",
    currency: Annotated[str, typer.Option()] = "CNY",
    quote_basis: Annotated[str, typer.Option(help="discount or yield.")] = "discount",
    day_count: Annotated[str, typer.Option(help="ACT/360 or ACT/365F.")] = "ACT/360",
    obligor: Annotated[
        list[int] | None, typer.Option(help="Eligible obligor id (repeatable; none: any).")
    ] = None,
    idempotency_key: IdempotencyOption = None,
) -> None:
    """Publishes financing terms (financier key)."""
    body = {
        "currency": currency,
        "rate_bps": rate_bps,
        "quote_basis": quote_basis,
        "day_count": day_count,
        "eligible_obligor_ids": obligor or [],
        "min_amount": min_amount,
        "max_amount": max_amount,
        "budget": budget,
    }
    _print(_post("/v1/financing/terms", body, idempotency_key))


@financing_app.command("quote")
def request_quote(
    token: Annotated[int, typer.Option(help="Your note's token id.")],
    terms: Annotated[int, typer.Option(help="Financing terms id.")],
    amount: Annotated[str, typer.Option(help="Face value to sell.")],
) -> None:
    """Asks for a signed quote on (part of) a piece (holder key)."""
    _print(_post(f"/v1/notes/{token}/financing-quotes", {"terms_id": terms, "amount": amount}, None))


@financing_app.command("execute")
def execute_quote(
    quote: Annotated[int, typer.Option(help="Quote id.")], idempotency_key: IdempotencyOption = None
) -> None:
    """Executes a quote: note value for cash in one transaction (holder key)."""
    with console.status("trading on chain"):
        _print(_post(f"/v1/financing-quotes/{quote}/execution", {}, idempotency_key))


@early_payment_app.command("open")
def open_programme(
    voucher: Annotated[int, typer.Option(help="Voucher id.")],
    rate_bps: Annotated[int, typer.Option(help="Annual rate in basis points (800 = 8%).")],
    budget: Annotated[str, typer.Option(help="Cash escrowed for early payments.")],
    cutoff_date: Annotated[str, typer.Option(help="Last day for early payment, YYYY-MM-DD.")],
    quote_basis: Annotated[str, typer.Option()] = "discount",
    day_count: Annotated[str, typer.Option()] = "ACT/360",
    idempotency_key: IdempotencyOption = None,
) -> None:
    """Opens an early-payment programme on a voucher (obligor key)."""
    date.fromisoformat(cutoff_date)
    body = {
        "rate_bps": rate_bps,
        "budget": budget,
        "cutoff_date": cutoff_date,
        "quote_basis": quote_basis,
        "day_count": day_count,
    }
    _print(_post(f"/v1/vouchers/{voucher}/early-payment-programmes", body, idempotency_key))


@settlement_app.command("fund")
def fund_settlement(
    voucher: Annotated[int, typer.Option(help="Voucher id.")],
    amount: Annotated[str, typer.Option(help="Cash to pay in, major units.")],
    idempotency_key: IdempotencyOption = None,
) -> None:
    """Pays cash into a voucher's settlement (obligor key)."""
    _print(_post(f"/v1/vouchers/{voucher}/settlement/fundings", {"amount": amount}, idempotency_key))


@settlement_app.command("run")
def run_settlement(
    voucher: Annotated[int, typer.Option(help="Voucher id.")],
    batch_size: Annotated[int | None, typer.Option(help="Pieces per operation (default: by gas).")] = None,
    wait: Annotated[bool, typer.Option(help="Follow the job until it ends.")] = True,
) -> None:
    """Starts the job that pays every holder of every piece from the funded cash (admin or obligor key),
    and follows its progress."""
    body = {"batch_size": batch_size} if batch_size else {}
    job = _post(f"/v1/vouchers/{voucher}/settlement/payouts", body, None)
    if wait:
        with progress_bar() as progress:
            task = progress.add_task("paying holders", total=job["pieces_total"] or None)
            while job["state"] in ("queued", "running"):
                progress.update(task, completed=job["pieces_paid"])
                time.sleep(0.5)
                job = _request("GET", f"/v1/jobs/{job['id']}").json()
            progress.update(task, completed=job["pieces_paid"])
    _print(job)


@settlement_app.command("status")
def settlement_status(voucher: Annotated[int, typer.Option(help="Voucher id.")]) -> None:
    """Status, funded, paid and available cash of a voucher."""
    _print(_request("GET", f"/v1/vouchers/{voucher}/settlement").json())


@settlement_app.command("report")
def settlement_report(
    voucher: Annotated[int, typer.Option(help="Voucher id.")],
    csv: Annotated[bool, typer.Option("--csv", help="CSV instead of JSON.")] = False,
) -> None:
    """Who was paid what and when, with transaction hashes."""
    response = _request(
        "GET", f"/v1/vouchers/{voucher}/settlement/report", params={"format": "csv" if csv else "json"}
    )
    if csv:
        sys.stdout.write(response.text)
    else:
        _print(response.json())


vouchers_app.command("issue-batch")(issue_batch_command(_client))
notes_app.command("transfer-batch")(transfer_batch_command(_client))
add_cross_border_commands(app, _client)
add_market_commands(app, _client)


def _compliance_app() -> typer.Typer:
    from service.compliance.cli import build_compliance_app

    return build_compliance_app(_request)


app.add_typer(_compliance_app(), name="compliance")


if __name__ == "__main__":
    app()
