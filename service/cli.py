"""`cascade`: run the service and administer the ledger.

`serve`, `deploy`, `reconcile` and `admin-key` work on the ledger directly; `participants` and
`vouchers` are clients of a running service (its URL and an admin API key).
"""

from __future__ import annotations

import json
import os
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import httpx
import typer
from rich.console import Console

from service.settings import Settings

if TYPE_CHECKING:
    from service.runtime import Runtime

app = typer.Typer(help="Cascade tokenised-receivables ledger.", no_args_is_help=True)
participants_app = typer.Typer(help="Participants (through a running service).", no_args_is_help=True)
vouchers_app = typer.Typer(help="Vouchers (through a running service).", no_args_is_help=True)
app.add_typer(participants_app, name="participants")
app.add_typer(vouchers_app, name="vouchers")
console = Console(stderr=True)

BOOTSTRAP_ADMIN_NAME = "Cascade admin"


def _progress(message: str) -> None:
    console.print(f"[cyan]•[/cyan] {message}")


def _write_secret(path: Path, secret: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(secret + "\n")


def _bootstrap_admin(settings: Settings, runtime: Runtime) -> None:
    """First start only: an administrator and its key, written to the data directory once."""
    from service.participants.repository import count_admins
    from service.participants.service import create_admin

    with runtime.database.transaction() as session:
        if count_admins(session) > 0:
            return
        address, _ = runtime.key_vault.create_account()
        _participant, secret = create_admin(session, BOOTSTRAP_ADMIN_NAME, address)
    _write_secret(settings.admin_key_path, secret)
    console.print(f"[green]admin API key[/green] (shown once, also saved to {settings.admin_key_path}):")
    console.print(secret, highlight=False)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="HTTP port.")] = 8000,
) -> None:
    """Starts the API (and, unless CHAIN_RPC_URL is set, its own Anvil chain)."""
    import uvicorn

    from service.main import create_app
    from service.runtime import start_runtime

    settings = Settings()
    runtime = start_runtime(settings, _progress)
    try:
        _bootstrap_admin(settings, runtime)
        console.print(
            f"[green]Cascade is up:[/green] http://{host}:{port}  (API docs: http://{host}:{port}/docs)"
        )
        uvicorn.run(create_app(runtime), host=host, port=port, log_level="warning")
    finally:
        runtime.close()


@app.command()
def deploy() -> None:
    """Compiles and deploys the contracts (if not deployed on this chain yet) and prints their addresses."""
    from service.runtime import start_runtime

    runtime = start_runtime(Settings(), _progress, background_indexer=False)
    try:
        print(
            json.dumps({"chain_id": runtime.chain.chain_id, **runtime.chain.deployment.addresses}, indent=2)
        )
    finally:
        runtime.close()


@app.command()
def reconcile() -> None:
    """Compares every indexed token and voucher with the chain; exits 1 listing differences."""
    from service.ledger.reconcile import reconcile as run_reconcile
    from service.runtime import start_runtime

    runtime = start_runtime(Settings(), _progress, background_indexer=False)
    try:
        report = run_reconcile(runtime)
    finally:
        runtime.close()
    console.print(
        f"block {report.block_number}: {report.tokens_checked} tokens, "
        f"{report.vouchers_checked} vouchers checked"
    )
    for difference in report.differences:
        console.print(f"[red]✗[/red] {difference}")
    if not report.clean:
        raise typer.Exit(1)
    console.print("[green]database and chain agree[/green]")


@app.command("admin-key")
def admin_key(name: Annotated[str, typer.Option(help="Administrator name.")] = BOOTSTRAP_ADMIN_NAME) -> None:
    """Creates an administrator (if needed) and prints a new API key for it."""
    from service.chain.keys import KeyVault, load_or_create_master_key
    from service.db.session import Database
    from service.participants.service import create_admin

    settings = Settings()
    database = Database(settings.resolved_database_url)
    database.migrate()
    vault = KeyVault(
        load_or_create_master_key(
            settings.master_key.get_secret_value() if settings.master_key else None, settings.master_key_path
        )
    )
    with database.transaction() as session:
        address, _ = vault.create_account()
        _participant, secret = create_admin(session, name, address)
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


def _post(path: str, body: dict[str, Any], idempotency_key: str | None) -> dict[str, Any]:
    headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
    with _client() as client:
        try:
            response = client.post(path, json=body, headers=headers)
        except httpx.HTTPError as error:
            console.print(f"[red]cannot reach the service:[/red] {error}")
            raise typer.Exit(2) from error
    if response.status_code >= 400:
        console.print(f"[red]{response.status_code}[/red] {response.text}")
        raise typer.Exit(1)
    result: dict[str, Any] = response.json()
    return result


@participants_app.command("register")
def register_participant(
    name: Annotated[str, typer.Option(help="Display name, unique.")],
    role: Annotated[str, typer.Option(help="admin, obligor, supplier or financier.")],
    address: Annotated[str | None, typer.Option(help="Own wallet address; omit for a managed key.")] = None,
    idempotency_key: Annotated[str | None, typer.Option(help="Makes a retry safe.")] = None,
) -> None:
    """Registers a participant and prints it with its API key (shown once) as JSON."""
    body: dict[str, Any] = {"name": name, "role": role}
    if address:
        body["address"] = address
    with console.status(f"registering {name} on chain"):
        result = _post("/v1/participants", body, idempotency_key)
    json.dump(result, sys.stdout, indent=2)
    print()


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
    idempotency_key: Annotated[str | None, typer.Option(help="Makes a retry safe.")] = None,
) -> None:
    """Issues a voucher on the obligor's behalf and prints it as JSON."""
    date.fromisoformat(due_date)
    body = {
        "obligor_participant_id": obligor,
        "holder_participant_id": holder,
        "currency": currency,
        "face_value": face_value,
        "minimum_unit": minimum_unit,
        "due_date": due_date,
        "invoice_references": invoice,
        "document_hash": document_hash,
    }
    with console.status("issuing voucher on chain"):
        result = _post("/v1/vouchers", body, idempotency_key)
    json.dump(result, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    app()
