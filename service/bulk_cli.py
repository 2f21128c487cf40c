"""`cascade vouchers issue-batch` and `cascade notes transfer-batch`: month-end files through the API.

Both are resumable without doing anything twice: every request carries an Idempotency-Key derived from
what it sends (a row's content and how many identical rows came before it; a chunk's content), so
running the file again after an interruption, or after correcting a refused row, replays what was done
(the service answers it from its store) and does only what was not. A summary of every row's outcome
is written next to the input (or where `--summary` says).
"""

from __future__ import annotations

import csv
import hashlib
import json
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

console = Console(stderr=True)
# How long a row waits for an answer that is still being carried out (503 operation_pending) in all.
PENDING_PATIENCE_SECONDS = 600.0
TRANSFER_CHUNK = 1_000
ISSUE_COLUMNS = (
    "obligor_participant_id",
    "holder_participant_id",
    "currency",
    "face_value",
    "minimum_unit",
    "due_date",
    "invoice_references",
    "document_hash",
)
OPTIONAL_ISSUE_COLUMNS = ("settlement_currency", "transfer_cap")
TRANSFER_COLUMNS = ("from_token_id", "to_participant_id", "amount")


class RowError(Exception):
    """A row the file itself gets wrong (a missing column, a non-integer id): nothing is sent for it."""


@dataclass(frozen=True)
class Outcome:
    row: int
    status: int
    answer: Any


def content_key(prefix: str, content: Any, seen: dict[str, int]) -> str:
    """The request's Idempotency-Key: what it sends, and the how-manieth such request of the file it is."""
    digest = hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:32]
    seen[digest] = seen.get(digest, 0) + 1
    return f"{prefix}-{digest}-{seen[digest]}"


def read_rows(path: Path, required: tuple[str, ...]) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [column for column in required if column not in (reader.fieldnames or [])]
        if missing:
            raise RowError(f"{path.name} lacks the column(s) {', '.join(missing)}")
        return [{key: (value or "").strip() for key, value in row.items() if key} for row in reader]


def issue_body(row: dict[str, str]) -> dict[str, Any]:
    """A voucher's POST body from a CSV row; invoice references are separated by `;`."""
    try:
        body: dict[str, Any] = {
            "obligor_participant_id": int(row["obligor_participant_id"]),
            "holder_participant_id": int(row["holder_participant_id"]),
        }
    except ValueError as error:
        raise RowError(f"participant ids must be integers: {error}") from error
    body |= {
        name: row[name] for name in ("currency", "face_value", "minimum_unit", "due_date", "document_hash")
    }
    body["invoice_references"] = [
        part.strip() for part in row["invoice_references"].split(";") if part.strip()
    ]
    body |= {name: row[name] for name in OPTIONAL_ISSUE_COLUMNS if row.get(name)}
    return body


def transfer_item(row: dict[str, str]) -> dict[str, Any]:
    try:
        item: dict[str, Any] = {
            "from_token_id": int(row["from_token_id"]),
            "to_participant_id": int(row["to_participant_id"]),
            "amount": row["amount"],
        }
        if row.get("into_token_id"):
            item["into_token_id"] = int(row["into_token_id"])
    except ValueError as error:
        raise RowError(f"token and participant ids must be integers: {error}") from error
    return item


def post_until_decided(client: httpx.Client, path: str, body: Any, key: str) -> tuple[int, Any]:
    """POSTs with the key; while the service says the request is still being carried out, asks again
    with the same key (it answers the outcome once the chain decided it)."""
    deadline = time.monotonic() + PENDING_PATIENCE_SECONDS
    delay = 0.5
    while True:
        try:
            response = client.post(path, json=body, headers={"Idempotency-Key": key})
        except httpx.TransportError:
            response = None
        pending = response is None or (response.status_code in (409, 503) and _still_running(response))
        if not pending:
            assert response is not None
            return response.status_code, _json_or_text(response)
        if time.monotonic() > deadline:
            return (response.status_code, _json_or_text(response)) if response else (0, "unreachable")
        time.sleep(delay)
        delay = min(delay * 2, 5.0)


def _still_running(response: httpx.Response) -> bool:
    code = _json_or_text(response)
    return isinstance(code, dict) and code.get("code") in (
        "operation_pending",
        "idempotency_request_in_progress",
        "chain_unavailable",
    )


def _json_or_text(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text


def progress_bar() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


def run_issue_batch(
    client_factory: Callable[[], httpx.Client], path: Path, summary: Path, concurrency: int
) -> list[Outcome]:
    """Issues every row (at most `concurrency` in flight) and writes the summary; returns the outcomes."""
    rows = read_rows(path, ISSUE_COLUMNS)
    seen: dict[str, int] = {}
    keys = [content_key("issue", row, seen) for row in rows]
    outcomes: list[Outcome] = []
    with progress_bar() as progress, ThreadPoolExecutor(max_workers=concurrency) as pool:
        task = progress.add_task(f"issuing {len(rows)} vouchers", total=len(rows))
        with client_factory() as client:
            futures = {
                pool.submit(_issue_row, client, number, row, key): number
                for number, (row, key) in enumerate(zip(rows, keys, strict=True), start=1)
            }
            for future in as_completed(futures):
                outcomes.append(future.result())
                progress.advance(task)
    outcomes.sort(key=lambda outcome: outcome.row)
    _write_issue_summary(summary, outcomes)
    return outcomes


def _issue_row(client: httpx.Client, number: int, row: dict[str, str], key: str) -> Outcome:
    try:
        body = issue_body(row)
    except RowError as error:
        return Outcome(number, 0, {"code": "invalid_row", "message": str(error)})
    status, answer = post_until_decided(client, "/v1/vouchers", body, key)
    return Outcome(number, status, answer)


def _write_issue_summary(summary: Path, outcomes: list[Outcome]) -> None:
    with summary.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["row", "state", "voucher_id", "root_token_id", "code", "message"])
        for outcome in outcomes:
            answer = outcome.answer if isinstance(outcome.answer, dict) else {"message": str(outcome.answer)}
            issued = outcome.status == 201
            writer.writerow(
                [
                    outcome.row,
                    "issued" if issued else "failed",
                    answer.get("id", "") if issued else "",
                    answer.get("root_token_id", "") if issued else "",
                    "" if issued else answer.get("code", outcome.status),
                    "" if issued else answer.get("message", ""),
                ]
            )


def chunks(items: list[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def run_transfer_batch(
    client_factory: Callable[[], httpx.Client], path: Path, summary: Path
) -> list[Outcome]:
    """Sends the file's transfers in requests of up to 1,000 items (each validated as a whole)."""
    items = [transfer_item(row) for row in read_rows(path, TRANSFER_COLUMNS)]
    seen: dict[str, int] = {}
    outcomes = []
    with progress_bar() as progress, client_factory() as client:
        task = progress.add_task(f"transferring {len(items)} items", total=len(items))
        for number, chunk in enumerate(chunks(items, TRANSFER_CHUNK), start=1):
            key = content_key("transfers", chunk, seen)
            status, answer = post_until_decided(client, "/v1/transfer-batches", {"items": chunk}, key)
            outcomes.append(Outcome(number, status, answer))
            progress.advance(task, len(chunk))
            if status != 201:
                break  # a refused chunk stops the file: later rows may depend on it
    summary.write_text(json.dumps([outcome.__dict__ for outcome in outcomes], indent=2))
    return outcomes


SummaryOption = Annotated[
    Path | None, typer.Option(help="Where to write the summary (default: next to the file).")
]


def issue_batch_command(client_factory: Callable[[], httpx.Client]) -> Callable[..., None]:
    def issue_batch(
        file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV of vouchers.")],
        summary: SummaryOption = None,
        concurrency: Annotated[int, typer.Option(min=1, max=64, help="Requests in flight.")] = 16,
    ) -> None:
        """Issues a CSV file of vouchers (columns: obligor_participant_id, holder_participant_id,
        currency, face_value, minimum_unit, due_date, invoice_references (';'-separated), document_hash,
        and optionally settlement_currency, transfer_cap). Safe to run again after an interruption:
        nothing is issued twice."""
        target = summary or file.with_suffix(".issued.csv")
        try:
            outcomes = run_issue_batch(client_factory, file, target, concurrency)
        except RowError as error:
            console.print(f"[red]{error}[/red]")
            raise typer.Exit(1) from error
        failed = sum(1 for outcome in outcomes if outcome.status != 201)
        console.print(f"{len(outcomes) - failed} issued, {failed} failed; summary in {target}")
        if failed:
            raise typer.Exit(1)

    return issue_batch


def transfer_batch_command(client_factory: Callable[[], httpx.Client]) -> Callable[..., None]:
    def transfer_batch(
        file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV of transfers.")],
        summary: SummaryOption = None,
    ) -> None:
        """Sends a CSV file of transfers from the caller's pieces (columns: from_token_id,
        to_participant_id, amount, and optionally into_token_id), 1,000 per request, each request
        all or nothing. Safe to run again after an interruption: nothing is sent twice."""
        target = summary or file.with_suffix(".transferred.json")
        try:
            outcomes = run_transfer_batch(client_factory, file, target)
        except RowError as error:
            console.print(f"[red]{error}[/red]")
            raise typer.Exit(1) from error
        refused = [outcome for outcome in outcomes if outcome.status != 201]
        done = sum(outcome.answer.get("executed", 0) for outcome in outcomes if outcome.status == 201)
        console.print(f"{done} transfers executed; summary in {target}")
        if refused:
            console.print(f"[red]{refused[0].status}[/red] {json.dumps(refused[0].answer)[:2000]}")
            raise typer.Exit(1)

    return transfer_batch
