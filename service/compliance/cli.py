"""`cascade compliance ...`: the compliance controls through a running service (CASCADE_URL, and the
compliance agent's key in CASCADE_API_KEY; pauses also take an administrator's key). Each command prints
the service's answer as JSON; a refusal prints its status and body and exits 1."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Annotated, Any

import httpx
import typer

from service.domain.compliance import ActionKind
from service.domain.identity import ComplianceReason

Request = Callable[..., httpx.Response]
ReasonOption = Annotated[
    ComplianceReason, typer.Option(help="Reason code recorded on chain, e.g. court_order, sanctions.")
]
NoteOption = Annotated[str | None, typer.Option(help="Free text kept with the audit trail.")]
IdempotencyOption = Annotated[str | None, typer.Option(help="Makes a retry safe.")]


def _print(result: Any) -> None:
    json.dump(result, sys.stdout, indent=2)
    print()


def _why(reason: ComplianceReason | None, note: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if reason is not None:
        body["reason"] = reason.value
    if note:
        body["note"] = note
    return body


def build_compliance_app(request: Request) -> typer.Typer:
    """The `compliance` command group, talking to the API with the CLI's `request(method, path, body,
    idempotency_key, params)`."""
    app = typer.Typer(help="Compliance controls (through a running service).", no_args_is_help=True)

    def post(path: str, body: dict[str, Any], key: str | None = None) -> None:
        _print(request("POST", path, body, key).json())

    @app.command("freeze")
    def freeze(
        reason: ReasonOption,
        participant: Annotated[int | None, typer.Option(help="Participant id to freeze.")] = None,
        token: Annotated[int | None, typer.Option(help="Piece (token id) to freeze whole.")] = None,
        amount: Annotated[str | None, typer.Option(help="With --token: freeze only this much of it.")] = None,
        note: NoteOption = None,
        idempotency_key: IdempotencyOption = None,
    ) -> None:
        """Freezes a participant, a whole piece, or part of a piece's value."""
        post(*_freeze_target("freeze", participant, token, amount, _why(reason, note)), idempotency_key)

    @app.command("unfreeze")
    def unfreeze(
        reason: ReasonOption,
        participant: Annotated[int | None, typer.Option(help="Participant id to unfreeze.")] = None,
        token: Annotated[int | None, typer.Option(help="Piece (token id) to unfreeze.")] = None,
        amount: Annotated[
            str | None, typer.Option(help="With --token: unfreeze this much of its value.")
        ] = None,
        note: NoteOption = None,
        idempotency_key: IdempotencyOption = None,
    ) -> None:
        """Unfreezes a participant, a whole piece, or part of a piece's frozen value."""
        post(*_freeze_target("unfreeze", participant, token, amount, _why(reason, note)), idempotency_key)

    @app.command("forced-transfer")
    def forced_transfer(
        token: Annotated[int, typer.Option(help="The piece to move value out of.")],
        to: Annotated[int, typer.Option(help="Recipient participant id.")],
        amount: Annotated[str, typer.Option(help="Major units, e.g. 1000000.00.")],
        reason: ReasonOption,
        note: NoteOption = None,
        idempotency_key: IdempotencyOption = None,
    ) -> None:
        """Moves value of any piece into a new piece of the recipient, overriding freezes and limits."""
        body = {"to_participant_id": to, "amount": amount, **_why(reason, note)}
        post(f"/v1/notes/{token}/forced-transfers", body, idempotency_key)

    @app.command("recover")
    def recover(
        participant: Annotated[int, typer.Option(help="The participant whose wallet is lost.")],
        new_participant: Annotated[int, typer.Option(help="The participant registered for the new wallet.")],
        reason: ReasonOption = ComplianceReason.LOST_KEY,
        note: NoteOption = None,
        idempotency_key: IdempotencyOption = None,
    ) -> None:
        """Moves every piece of a lost wallet to the participant of its new wallet."""
        body = {"new_participant_id": new_participant, **_why(reason, note)}
        post(f"/v1/participants/{participant}/recovery", body, idempotency_key)

    @app.command("cap")
    def cap(
        voucher: Annotated[int, typer.Option(help="Voucher id.")],
        reason: ReasonOption,
        amount: Annotated[str | None, typer.Option(help="Per-transfer cap; omit with --remove.")] = None,
        remove: Annotated[bool, typer.Option("--remove", help="Removes the cap.")] = False,
        note: NoteOption = None,
    ) -> None:
        """Sets (or removes) a voucher's per-transfer cap."""
        if (amount is None) != remove:
            raise typer.BadParameter("give --amount, or --remove")
        body = {"amount": amount, **_why(reason, note)}
        _print(request("PUT", f"/v1/vouchers/{voucher}/transfer-cap", body).json())

    @app.command("limit")
    def limit(
        participant: Annotated[int, typer.Option(help="Participant id.")],
        currency: Annotated[str, typer.Option(help="Denomination currency of the vouchers it counts.")],
        reason: ReasonOption,
        amount: Annotated[str | None, typer.Option(help="The most it may send in any window.")] = None,
        window_seconds: Annotated[int | None, typer.Option(help="3600 to 31622400.")] = None,
        remove: Annotated[bool, typer.Option("--remove", help="Removes the limit.")] = False,
        note: NoteOption = None,
    ) -> None:
        """Sets (or removes) a participant's rolling limit in one currency."""
        if (amount is None) != remove:
            raise typer.BadParameter("give --amount and --window-seconds, or --remove")
        body = {"limit": amount, "window_seconds": window_seconds, **_why(reason, note)}
        path = f"/v1/participants/{participant}/transfer-limits/{currency}"
        _print(request("PUT", path, body).json())

    @app.command("pause")
    def pause(
        voucher: Annotated[
            int | None, typer.Option(help="Pause this voucher; omit for the whole ledger.")
        ] = None,
        reason: Annotated[ComplianceReason | None, typer.Option(help="Kept with the action.")] = None,
        note: NoteOption = None,
    ) -> None:
        """Pauses one voucher, or the whole ledger (administrator or compliance agent)."""
        post(f"/v1/vouchers/{voucher}/pause" if voucher else "/v1/ledger/pause", _why(reason, note))

    @app.command("unpause")
    def unpause(
        voucher: Annotated[
            int | None, typer.Option(help="Resume this voucher; omit for the whole ledger.")
        ] = None,
        reason: Annotated[ComplianceReason | None, typer.Option(help="Kept with the action.")] = None,
        note: NoteOption = None,
    ) -> None:
        """Resumes one voucher, or the whole ledger."""
        post(f"/v1/vouchers/{voucher}/unpause" if voucher else "/v1/ledger/unpause", _why(reason, note))

    @app.command("check")
    def check(
        token: Annotated[int, typer.Option(help="The piece to transfer from.")],
        to: Annotated[int, typer.Option(help="Recipient participant id.")],
        amount: Annotated[str, typer.Option(help="Major units.")],
        into: Annotated[int | None, typer.Option(help="Merge into this piece of the recipient.")] = None,
    ) -> None:
        """Dry run of a transfer: every reason it would be refused (exit 3 if it would not pass)."""
        body: dict[str, Any] = {"to_participant_id": to, "amount": amount}
        if into is not None:
            body["into_token_id"] = into
        answer = request("POST", f"/v1/notes/{token}/transfers:check", body).json()
        _print(answer)
        if not answer["would_pass"]:
            raise typer.Exit(3)

    @app.command("actions")
    def actions(
        participant: Annotated[int | None, typer.Option(help="Only actions on this participant.")] = None,
        voucher: Annotated[int | None, typer.Option(help="Only actions on this voucher.")] = None,
        kind: Annotated[ActionKind | None, typer.Option(help="Only actions of this kind.")] = None,
        limit: Annotated[int, typer.Option(help="Per page.")] = 200,
    ) -> None:
        """The audit trail of compliance actions, every page, as one JSON list."""
        params: dict[str, str] = {"limit": str(limit)}
        for name, value in (("participant_id", participant), ("voucher_id", voucher)):
            if value is not None:
                params[name] = str(value)
        if kind is not None:
            params["kind"] = kind.value
        items: list[Any] = []
        while True:
            page = request("GET", "/v1/compliance/actions", params=params).json()
            items += page["items"]
            if page["next_cursor"] is None:
                break
            params["cursor"] = page["next_cursor"]
        _print(items)

    return app


def _freeze_target(
    action: str, participant: int | None, token: int | None, amount: str | None, why: dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    if (participant is None) == (token is None):
        raise typer.BadParameter("give one of --participant or --token")
    if participant is not None:
        if amount is not None:
            raise typer.BadParameter("--amount goes with --token")
        return f"/v1/participants/{participant}/{action}", why
    if amount is not None:
        return f"/v1/notes/{token}/frozen-value", {"amount": amount, "action": action, **why}
    return f"/v1/notes/{token}/{action}", why
