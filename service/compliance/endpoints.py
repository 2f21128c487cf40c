"""Compliance controls: /v1/participants/{id}/{freeze,unfreeze,recovery,transfer-limits},
/v1/notes/{id}/{freeze,unfreeze,frozen-value,forced-transfers,transfers:check},
/v1/vouchers/{id}/{transfer-cap,pause,unpause} and /v1/compliance/actions.

Roles: the controls are the compliance agent's alone (sent by the service's compliance account); pausing
a voucher is an emergency brake either staff role may pull, the administrator (who runs the ledger) or the
compliance agent (who may have to stop a voucher at a regulator's request), sent by the service's pauser
account; the audit trail is read by both. The dry run is the holder's (or a compliance agent's).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query
from pydantic import BeforeValidator

from service.api.auth import Caller, CallerDep, RuntimeDep, SessionDep, require_roles
from service.api.common import ID_LIMIT, IdPath, plain_digits
from service.api.pagination import Page, PageDep
from service.api.routing import LedgerRouter
from service.compliance import service
from service.compliance.schemas import (
    ComplianceActionOut,
    ForcedTransferCreate,
    ForcedTransferOut,
    FrozenValueChange,
    NoteControlOut,
    ParticipantControlOut,
    PauseBody,
    ReasonBody,
    RecoveryCreate,
    RecoveryOut,
    TransferCapOut,
    TransferCapUpdate,
    TransferCheckCreate,
    TransferCheckOut,
    TransferLimitOut,
    TransferLimitUpdate,
    VoucherPauseOut,
)
from service.domain.compliance import ActionKind

router = LedgerRouter(prefix="/v1", tags=["compliance"])
ComplianceDep = Annotated[Caller, require_roles("compliance_agent")]
StaffDep = Annotated[Caller, require_roles("admin", "compliance_agent")]
CurrencyPath = Annotated[str, Path(min_length=3, max_length=3, pattern=r"^[A-Z]{3}$", examples=["USD"])]
QueryId = Annotated[int | None, Query(ge=1, lt=ID_LIMIT), BeforeValidator(plain_digits)]


# ------------------------------------------------------------------------------- participants


@router.post("/participants/{participant_id}/freeze", response_model=ParticipantControlOut)
def freeze_participant(
    participant_id: IdPath, body: ReasonBody, caller: ComplianceDep, session: SessionDep, runtime: RuntimeDep
) -> ParticipantControlOut:
    """Freezes the participant on chain: it sends, receives and is paid nothing until unfrozen."""
    return service.set_participant_frozen(session, runtime, participant_id, True, body, caller.participant_id)


@router.post("/participants/{participant_id}/unfreeze", response_model=ParticipantControlOut)
def unfreeze_participant(
    participant_id: IdPath, body: ReasonBody, caller: ComplianceDep, session: SessionDep, runtime: RuntimeDep
) -> ParticipantControlOut:
    return service.set_participant_frozen(
        session, runtime, participant_id, False, body, caller.participant_id
    )


@router.post("/participants/{participant_id}/recovery", status_code=201, response_model=RecoveryOut)
def recover_participant(
    participant_id: IdPath,
    body: RecoveryCreate,
    caller: ComplianceDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> RecoveryOut:
    """Moves every piece of a participant whose wallet is lost, whole (ids and lineage kept), to the
    participant registered for its new wallet, in one transaction; the lost wallet ends frozen."""
    return service.recover(session, runtime, participant_id, body, caller.participant_id)


@router.put("/participants/{participant_id}/transfer-limits/{currency}", response_model=TransferLimitOut)
def put_transfer_limit(
    participant_id: IdPath,
    currency: CurrencyPath,
    body: TransferLimitUpdate,
    caller: ComplianceDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> TransferLimitOut:
    """Sets the participant's rolling limit on what it sends in vouchers of `currency` (null limit:
    removes it). Counted on chain over transfers to other holders."""
    return service.set_transfer_limit(session, runtime, participant_id, currency, body, caller.participant_id)


@router.get("/participants/{participant_id}/transfer-limits/{currency}", response_model=TransferLimitOut)
def get_transfer_limit(
    participant_id: IdPath,
    currency: CurrencyPath,
    caller: CallerDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> TransferLimitOut:
    """The limit and what the participant sent in its current window (the participant itself, compliance
    agents and administrators)."""
    return service.read_transfer_limit(session, runtime, caller, participant_id, currency)


# ------------------------------------------------------------------------------- pieces


@router.post("/notes/{token_id}/freeze", response_model=NoteControlOut)
def freeze_note(
    token_id: IdPath, body: ReasonBody, caller: ComplianceDep, session: SessionDep, runtime: RuntimeDep
) -> NoteControlOut:
    """Freezes the whole piece: no value in or out, it does not change hands and is not paid."""
    return service.set_note_frozen(session, runtime, token_id, True, body, caller.participant_id)


@router.post("/notes/{token_id}/unfreeze", response_model=NoteControlOut)
def unfreeze_note(
    token_id: IdPath, body: ReasonBody, caller: ComplianceDep, session: SessionDep, runtime: RuntimeDep
) -> NoteControlOut:
    return service.set_note_frozen(session, runtime, token_id, False, body, caller.participant_id)


@router.post("/notes/{token_id}/frozen-value", response_model=NoteControlOut)
def change_frozen_value(
    token_id: IdPath, body: FrozenValueChange, caller: ComplianceDep, session: SessionDep, runtime: RuntimeDep
) -> NoteControlOut:
    """Freezes part of the piece's value (the rest still moves), or unfreezes some of it."""
    return service.change_frozen_value(session, runtime, token_id, body, caller.participant_id)


@router.post("/notes/{token_id}/forced-transfers", status_code=201, response_model=ForcedTransferOut)
def forced_transfer(
    token_id: IdPath,
    body: ForcedTransferCreate,
    caller: ComplianceDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> ForcedTransferOut:
    """Moves value of the piece into a new piece of the recipient (lineage kept), overriding freezes,
    pauses, the cap and limits (e.g. on a court order)."""
    return service.forced_transfer(session, runtime, token_id, body, caller.participant_id)


@router.post("/notes/{token_id}/transfers:check", response_model=TransferCheckOut)
def check_transfer(
    token_id: IdPath, body: TransferCheckCreate, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> TransferCheckOut:
    """Dry run of a transfer: every reason it would be refused now, each with the code a real refusal
    answers. Signs and records nothing."""
    return service.check_transfer(session, runtime, caller, token_id, body)


# ------------------------------------------------------------------------------- vouchers


@router.put("/vouchers/{voucher_id}/transfer-cap", response_model=TransferCapOut)
def put_transfer_cap(
    voucher_id: IdPath,
    body: TransferCapUpdate,
    caller: ComplianceDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> TransferCapOut:
    """Sets the voucher's per-transfer cap on value moving between two holders (null: none)."""
    return service.set_transfer_cap(session, runtime, voucher_id, body, caller.participant_id)


@router.get("/vouchers/{voucher_id}/transfer-cap", response_model=TransferCapOut)
def get_transfer_cap(voucher_id: IdPath, caller: CallerDep, session: SessionDep) -> TransferCapOut:
    """The voucher's cap (whoever may see the voucher, and compliance agents)."""
    return service.read_transfer_cap(session, caller, voucher_id)


@router.post("/vouchers/{voucher_id}/pause", response_model=VoucherPauseOut)
def pause_voucher(
    voucher_id: IdPath,
    caller: StaffDep,
    session: SessionDep,
    runtime: RuntimeDep,
    body: PauseBody | None = None,
) -> VoucherPauseOut:
    """Stops every movement and payment of the voucher's pieces until resumed (administrators and
    compliance agents)."""
    return service.set_voucher_paused(session, runtime, voucher_id, True, body, caller.participant_id)


@router.post("/vouchers/{voucher_id}/unpause", response_model=VoucherPauseOut)
def unpause_voucher(
    voucher_id: IdPath,
    caller: StaffDep,
    session: SessionDep,
    runtime: RuntimeDep,
    body: PauseBody | None = None,
) -> VoucherPauseOut:
    return service.set_voucher_paused(session, runtime, voucher_id, False, body, caller.participant_id)


# ------------------------------------------------------------------------------- the audit trail


@router.get("/compliance/actions", response_model=Page[ComplianceActionOut])
def list_actions(
    caller: StaffDep,
    session: SessionDep,
    page: PageDep,
    participant_id: QueryId = None,
    voucher_id: QueryId = None,
    token_id: QueryId = None,
    kind: Annotated[ActionKind | None, Query()] = None,
) -> Page[ComplianceActionOut]:
    """Every compliance action applied on chain (freezes, forced transfers, recoveries, caps, limits,
    pauses), oldest first: who signed it, who asked, why, what it set."""
    return service.list_actions(
        session,
        page,
        participant_id=participant_id,
        voucher_id=voucher_id,
        kind=kind.value if kind else None,
        token_id=token_id,
    )
