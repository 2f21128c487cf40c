"""Compliance controls on the note, sent by the service's own role accounts: the compliance account for
freezes, forced transfers, recovery, caps and rolling limits; the pauser account for voucher pauses. Every
control carries a reason code on chain (the audit trail's why) and a free-text note kept with the
request; the projection records each as a compliance action. The dry run asks the note's own
`checkTransfer` for every reason a transfer would be refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from sqlalchemy.orm import Session

from service.api.acting import act_as_service
from service.api.answers import Answer, responds_to
from service.api.auth import Caller
from service.api.common import participant_ref
from service.api.pagination import Page, PageRequest
from service.api.submit import carry_out
from service.chain.forwarder import FORWARDED_CALL_GAS
from service.compliance import repository
from service.compliance.schemas import (
    ComplianceActionOut,
    ForcedTransferCreate,
    ForcedTransferOut,
    FrozenValueChange,
    NoteControlOut,
    ParticipantControlOut,
    PauseBody,
    ReasonBody,
    RecoveredPiece,
    RecoveryCreate,
    RecoveryOut,
    TransferCapOut,
    TransferCapUpdate,
    TransferCheckCreate,
    TransferCheckOut,
    TransferCheckReason,
    TransferLimitOut,
    TransferLimitUpdate,
    VoucherPauseOut,
)
from service.db.models import Note, Participant, Voucher
from service.domain.compliance import (
    CHECK_ERRORS,
    MAX_RECOVERY_PIECES,
    RECIPIENT_CHECKS,
    TransferCheck,
    compute_recovery_gas,
    decode_checks,
)
from service.domain.identity import ComplianceReason, encode_reason, is_staff
from service.domain.money import (
    Currency,
    encode_currency,
    fetch_currency,
    format_minor,
    format_money,
    parse_amount_minor,
    require_unit_multiple,
)
from service.errors import (
    Forbidden,
    InsufficientValue,
    InvalidRequest,
    NoteNotFound,
    ParticipantNotFound,
    ParticipantNotVerified,
    SelfTransfer,
    VoucherAlreadyPaused,
    VoucherNotActive,
    VoucherNotFound,
    VoucherNotPaused,
    WalletInUse,
)
from service.notes import repository as notes_repository
from service.notes.service import refuse_not_held
from service.participants import repository as participants_repository
from service.participants.service import load_ledger_participant
from service.runtime import Runtime
from service.vouchers import repository as vouchers_repository
from service.vouchers.service import can_view_voucher
from service.writer.outbox import OperationIntent, OperationView

PARTICIPANT_FREEZE_KIND = "compliance.participant_freeze"
NOTE_FREEZE_KIND = "compliance.note_freeze"
FROZEN_VALUE_KIND = "compliance.frozen_value"
FORCED_TRANSFER_KIND = "compliance.forced_transfer"
RECOVERY_KIND = "compliance.recovery"
TRANSFER_CAP_KIND = "compliance.transfer_cap"
TRANSFER_LIMIT_KIND = "compliance.transfer_limit"
VOUCHER_PAUSE_KIND = "compliance.voucher_pause"
COMPLIANCE_AGENT = "compliance_agent"
# A stand-in recipient for a dry run to a participant that does not exist: its own screening bits are
# dropped (the service answers participant_not_found instead), the rest (cap, limits) still apply.
_NOBODY = "0x000000000000000000000000000000000000dEaD"


def _payload(reason: ComplianceReason | None, note: str | None, **fields: Any) -> dict[str, Any]:
    return {"reason": reason.value if reason else None, "note": note, **fields}


def _note_call(
    runtime: Runtime,
    account: str,
    kind: str,
    function: str,
    *args: Any,
    payload: dict[str, Any],
    gas: int = FORWARDED_CALL_GAS,
) -> OperationIntent:
    note = runtime.chain.contracts.note
    return act_as_service(
        runtime, account, kind, note.address, note.calldata(function, *args), gas=gas, payload=payload
    )


def _carry_one(session: Session, runtime: Runtime, intent: OperationIntent, by: int) -> OperationView:
    [done] = carry_out(runtime, [intent], participant_id=by, session=session)
    session.expire_all()
    return done


def _mined(operation: OperationView) -> tuple[str, int]:
    assert operation.transaction_hash is not None and operation.block_number is not None
    return operation.transaction_hash, operation.block_number


def load_piece(session: Session, token_id: int) -> tuple[Note, Voucher]:
    found = notes_repository.fetch_note_with_voucher(session, token_id)
    if found is None:
        raise NoteNotFound(f"note {token_id} does not exist", token_id=token_id)
    return found


def load_voucher(session: Session, voucher_id: int) -> Voucher:
    voucher = vouchers_repository.fetch_voucher(session, voucher_id)
    if voucher is None:
        raise VoucherNotFound(f"voucher {voucher_id} does not exist", voucher_id=voucher_id)
    return voucher


# ------------------------------------------------------------------------------- participant freeze


def set_participant_frozen(
    session: Session, runtime: Runtime, participant_id: int, frozen: bool, body: ReasonBody, by: int
) -> ParticipantControlOut:
    """Freezes (or unfreezes) a participant's account on the note: it then sends, receives and is paid
    nothing. Asking again for the state it is in is recorded again (a second reason is an audit fact)."""
    participant = load_ledger_participant(session, participant_id)
    payload = _payload(body.reason, body.note, participant_id=participant_id, frozen=frozen)
    intent = _note_call(
        runtime,
        "compliance",
        PARTICIPANT_FREEZE_KIND,
        "setAddressFrozen",
        participant.address,
        frozen,
        encode_reason(body.reason),
        payload=payload,
    )
    return build_participant_control(session, _carry_one(session, runtime, intent, by))


def build_participant_control(session: Session, operation: OperationView) -> ParticipantControlOut:
    payload = operation.payload or {}
    transaction_hash, block_number = _mined(operation)
    return ParticipantControlOut(
        participant_id=int(payload["participant_id"]),
        frozen=bool(payload["frozen"]),
        reason=ComplianceReason(payload["reason"]),
        transaction_hash=transaction_hash,
        block_number=block_number,
    )


@responds_to(PARTICIPANT_FREEZE_KIND)
def answer_participant_freeze(
    _runtime: Runtime, session: Session, operations: Sequence[OperationView]
) -> Answer:
    return 200, build_participant_control(session, operations[0]).model_dump(mode="json")


# ------------------------------------------------------------------------------- piece freezes


def set_note_frozen(
    session: Session, runtime: Runtime, token_id: int, frozen: bool, body: ReasonBody, by: int
) -> NoteControlOut:
    """Freezes (or unfreezes) a whole piece: no value in or out, and it does not change hands."""
    load_piece(session, token_id)
    payload = _payload(body.reason, body.note, token_id=token_id)
    intent = _note_call(
        runtime,
        "compliance",
        NOTE_FREEZE_KIND,
        "setTokenFrozen",
        token_id,
        frozen,
        encode_reason(body.reason),
        payload=payload,
    )
    return build_note_control(session, _carry_one(session, runtime, intent, by))


def change_frozen_value(
    session: Session, runtime: Runtime, token_id: int, body: FrozenValueChange, by: int
) -> NoteControlOut:
    """Freezes part of a piece's value (the rest still moves), or unfreezes some of it: a positive unit
    multiple within what is unfrozen (freeze) or frozen (unfreeze)."""
    note, voucher = load_piece(session, token_id)
    currency = fetch_currency(voucher.currency)
    amount_minor = parse_amount_minor(body.amount, currency)
    require_unit_multiple(amount_minor, voucher.unit_minor, currency)
    if body.action == "freeze":
        unfrozen = note.value_minor - note.frozen_value_minor
        if amount_minor > unfrozen:
            raise InsufficientValue(
                f"note {token_id} has {format_money(unfrozen, currency)} not frozen, less than the "
                f"{format_money(amount_minor, currency)} to freeze",
                token_id=token_id,
                unfrozen_value=format_minor(unfrozen, currency),
                currency=currency.code,
            )
        function = "freezePartialValue"
    else:
        if amount_minor > note.frozen_value_minor:
            raise InsufficientValue(
                f"note {token_id} has {format_money(note.frozen_value_minor, currency)} frozen, less than "
                f"the {format_money(amount_minor, currency)} to unfreeze",
                token_id=token_id,
                frozen_value=format_minor(note.frozen_value_minor, currency),
                currency=currency.code,
            )
        function = "unfreezePartialValue"
    payload = _payload(body.reason, body.note, token_id=token_id, action=body.action)
    intent = _note_call(
        runtime,
        "compliance",
        FROZEN_VALUE_KIND,
        function,
        token_id,
        amount_minor,
        encode_reason(body.reason),
        payload=payload,
    )
    return build_note_control(session, _carry_one(session, runtime, intent, by))


def build_note_control(session: Session, operation: OperationView) -> NoteControlOut:
    payload = operation.payload or {}
    note, voucher = load_piece(session, int(payload["token_id"]))
    currency = fetch_currency(voucher.currency)
    transaction_hash, block_number = _mined(operation)
    movable = 0 if note.frozen else note.value_minor - note.frozen_value_minor
    return NoteControlOut(
        token_id=note.token_id,
        voucher_id=voucher.id,
        currency=currency.code,
        frozen=note.frozen,
        value=format_minor(note.value_minor, currency),
        frozen_value=format_minor(note.frozen_value_minor, currency),
        movable_value=format_minor(movable, currency),
        reason=ComplianceReason(payload["reason"]),
        transaction_hash=transaction_hash,
        block_number=block_number,
    )


@responds_to(NOTE_FREEZE_KIND, FROZEN_VALUE_KIND)
def answer_note_control(_runtime: Runtime, session: Session, operations: Sequence[OperationView]) -> Answer:
    return 200, build_note_control(session, operations[0]).model_dump(mode="json")


# ------------------------------------------------------------------------------- forced transfer


def forced_transfer(
    session: Session, runtime: Runtime, token_id: int, body: ForcedTransferCreate, by: int
) -> ForcedTransferOut:
    """Moves value of any piece into a new piece of the recipient (a child in the lineage), whatever the
    freezes, pauses, cap and limits; what frozen value it needs is unfrozen first. The recipient must be
    verified with a current KYC (the chain checks it), and the voucher not yet fully redeemed."""
    note, voucher = load_piece(session, token_id)
    recipient = participants_repository.fetch_participant(session, body.to_participant_id)
    if recipient is None:
        raise ParticipantNotFound(
            f"participant {body.to_participant_id} does not exist", participant_id=body.to_participant_id
        )
    if is_staff(recipient.role) or not recipient.verified:
        raise ParticipantNotVerified(
            f"participant {recipient.id} is not a verified participant and cannot hold notes",
            participant_id=recipient.id,
        )
    if recipient.address == note.holder_address:
        raise SelfTransfer(f"participant {recipient.id} holds note {token_id} already")
    if voucher.status != "active":
        raise VoucherNotActive(f"voucher {voucher.id} no longer moves", voucher_id=voucher.id)
    currency = fetch_currency(voucher.currency)
    amount_minor = parse_amount_minor(body.amount, currency)
    require_unit_multiple(amount_minor, voucher.unit_minor, currency)
    if amount_minor > note.value_minor:
        raise InsufficientValue(
            f"note {token_id} holds {format_money(note.value_minor, currency)}, less than "
            f"{format_money(amount_minor, currency)}",
            token_id=token_id,
            balance=format_minor(note.value_minor, currency),
            needed=format_minor(amount_minor, currency),
            currency=currency.code,
        )
    holder = participants_repository.fetch_participant_by_address(session, note.holder_address)
    payload = _payload(
        body.reason,
        body.note,
        token_id=token_id,
        voucher_id=voucher.id,
        currency=currency.code,
        from_participant_id=holder.id if holder else None,
        to_participant_id=recipient.id,
    )
    intent = _note_call(
        runtime,
        "compliance",
        FORCED_TRANSFER_KIND,
        "forcedTransfer",
        token_id,
        recipient.address,
        amount_minor,
        encode_reason(body.reason),
        payload=payload,
    )
    return build_forced_transfer(session, _carry_one(session, runtime, intent, by))


def build_forced_transfer(session: Session, operation: OperationView) -> ForcedTransferOut:
    payload = operation.payload or {}
    [forced] = operation.events("ForcedTransfer")
    args = forced["args"]
    currency = fetch_currency(payload["currency"])
    from_token_id = int(args["fromTokenId"])
    released = sum(
        int(event["args"]["value"])
        for event in operation.events("ValueUnfrozen")
        if int(event["args"]["tokenId"]) == from_token_id
    )
    transaction_hash, block_number = _mined(operation)
    remaining = notes_repository.compute_value_after_block(session, from_token_id, block_number)
    return ForcedTransferOut(
        token_id=int(args["toTokenId"]),
        from_token_id=from_token_id,
        voucher_id=int(payload["voucher_id"]),
        currency=currency.code,
        amount=format_minor(int(args["value"]), currency),
        remaining=format_minor(remaining, currency),
        released_frozen_value=format_minor(released, currency),
        from_participant_id=payload.get("from_participant_id"),
        to_participant_id=int(payload["to_participant_id"]),
        reason=ComplianceReason(payload["reason"]),
        transaction_hash=transaction_hash,
        block_number=block_number,
    )


@responds_to(FORCED_TRANSFER_KIND)
def answer_forced_transfer(
    _runtime: Runtime, session: Session, operations: Sequence[OperationView]
) -> Answer:
    return 201, build_forced_transfer(session, operations[0]).model_dump(mode="json")


# ------------------------------------------------------------------------------- recovery


def recover(
    session: Session, runtime: Runtime, participant_id: int, body: RecoveryCreate, by: int
) -> RecoveryOut:
    """Moves every piece of a participant whose wallet is lost to the participant registered for its new
    wallet (a participant is one wallet: its id, address and history stay as they were). Pieces keep
    their ids and lineage; the new wallet takes over the lost wallet's rolling limits and any freeze;
    the lost wallet ends frozen (its key is compromised)."""
    lost = load_ledger_participant(session, participant_id)
    new = load_ledger_participant(session, body.new_participant_id)
    if new.id == lost.id:
        raise InvalidRequest("a recovery moves the pieces to another participant", field="new_participant_id")
    if new.role != lost.role:
        raise InvalidRequest(
            f"participant {new.id} is a {new.role}, participant {lost.id} a {lost.role}: a recovery moves "
            "pieces to the same party's new wallet",
            field="new_participant_id",
        )
    if not new.verified:
        raise ParticipantNotVerified(
            f"participant {new.id} is not a verified participant and cannot hold notes", participant_id=new.id
        )
    if repository.count_pieces_of(session, new.address) or repository.has_transfer_limits(
        session, new.address
    ):
        raise WalletInUse(
            f"participant {new.id} holds pieces or has rolling limits of its own: a recovery never merges "
            "two participants",
            participant_id=new.id,
        )
    pieces = repository.fetch_all_pieces_of(session, lost.address)
    if len(pieces) > MAX_RECOVERY_PIECES:
        raise InvalidRequest(
            f"participant {lost.id} holds {len(pieces)} pieces; one recovery moves at most "
            f"{MAX_RECOVERY_PIECES} (a recovery must move all of them in one transaction)",
            piece_count=len(pieces),
        )
    token_ids = [note.token_id for note, _voucher in pieces]
    payload = _payload(
        body.reason,
        body.note,
        participant_id=lost.id,
        new_participant_id=new.id,
        token_ids=token_ids,
    )
    intent = _note_call(
        runtime,
        "compliance",
        RECOVERY_KIND,
        "recoveryAddress",
        lost.address,
        new.address,
        token_ids,
        encode_reason(body.reason),
        payload=payload,
        gas=compute_recovery_gas(len(token_ids)),
    )
    return build_recovery(session, _carry_one(session, runtime, intent, by))


def build_recovery(session: Session, operation: OperationView) -> RecoveryOut:
    payload = operation.payload or {}
    transaction_hash, block_number = _mined(operation)
    [success] = operation.events("RecoverySuccess")
    lost_wallet, new_wallet = str(success["args"]["lostWallet"]), str(success["args"]["newWallet"])
    frozen = {str(event["args"]["account"]) for event in operation.events("AddressFrozen")}
    pieces = []
    for token_id in payload["token_ids"]:
        note, voucher = load_piece(session, int(token_id))
        currency = fetch_currency(voucher.currency)
        pieces.append(
            RecoveredPiece(
                token_id=note.token_id,
                voucher_id=voucher.id,
                currency=currency.code,
                value=format_minor(note.value_minor, currency),
            )
        )
    return RecoveryOut(
        lost_participant_id=int(payload["participant_id"]),
        new_participant_id=int(payload["new_participant_id"]),
        pieces=pieces,
        lost_wallet_frozen=lost_wallet in frozen,
        new_wallet_frozen=new_wallet in frozen,
        reason=ComplianceReason(payload["reason"]),
        transaction_hash=transaction_hash,
        block_number=block_number,
    )


@responds_to(RECOVERY_KIND)
def answer_recovery(_runtime: Runtime, session: Session, operations: Sequence[OperationView]) -> Answer:
    return 201, build_recovery(session, operations[0]).model_dump(mode="json")


# ------------------------------------------------------------------------------- transfer cap


def set_transfer_cap(
    session: Session, runtime: Runtime, voucher_id: int, body: TransferCapUpdate, by: int
) -> TransferCapOut:
    """Sets (or, with a null amount, removes) a voucher's per-transaction cap on value moving between two
    holders."""
    voucher = load_voucher(session, voucher_id)
    currency = fetch_currency(voucher.currency)
    cap_minor = 0 if body.amount is None else parse_amount_minor(body.amount, currency)
    payload = _payload(body.reason, body.note, voucher_id=voucher_id)
    intent = _note_call(
        runtime,
        "compliance",
        TRANSFER_CAP_KIND,
        "setTransferCap",
        voucher_id,
        cap_minor,
        encode_reason(body.reason),
        payload=payload,
    )
    done = _carry_one(session, runtime, intent, by)
    return build_transfer_cap(session, voucher_id, done.transaction_hash)


def read_transfer_cap(session: Session, caller: Caller, voucher_id: int) -> TransferCapOut:
    voucher = vouchers_repository.fetch_voucher(session, voucher_id)
    if voucher is None or not (caller.role == COMPLIANCE_AGENT or can_view_voucher(session, caller, voucher)):
        raise VoucherNotFound(f"voucher {voucher_id} does not exist", voucher_id=voucher_id)
    return build_transfer_cap(session, voucher_id, None)


def build_transfer_cap(session: Session, voucher_id: int, transaction_hash: str | None) -> TransferCapOut:
    voucher = load_voucher(session, voucher_id)
    currency = fetch_currency(voucher.currency)
    cap = voucher.transfer_cap_minor
    return TransferCapOut(
        voucher_id=voucher.id,
        currency=currency.code,
        transfer_cap=format_minor(cap, currency) if cap else None,
        transaction_hash=transaction_hash,
    )


@responds_to(TRANSFER_CAP_KIND)
def answer_transfer_cap(_runtime: Runtime, session: Session, operations: Sequence[OperationView]) -> Answer:
    voucher_id = int((operations[0].payload or {})["voucher_id"])
    return 200, build_transfer_cap(session, voucher_id, operations[0].transaction_hash).model_dump(
        mode="json"
    )


# ------------------------------------------------------------------------------- rolling limits


def set_transfer_limit(
    session: Session, runtime: Runtime, participant_id: int, code: str, body: TransferLimitUpdate, by: int
) -> TransferLimitOut:
    """Sets a participant's rolling limit on what it sends in vouchers denominated in `code` (null limit
    and window: removes it). Counted on chain, per sender, over transfers to other holders."""
    participant = load_ledger_participant(session, participant_id)
    currency = fetch_currency(code)
    if body.limit is None:
        if body.window_seconds is not None:
            raise InvalidRequest(
                "removing a limit (limit null) takes no window_seconds", field="window_seconds"
            )
        limit_minor, window = 0, 0
    else:
        if body.window_seconds is None:
            raise InvalidRequest("a limit needs its window_seconds", field="window_seconds")
        limit_minor, window = parse_amount_minor(body.limit, currency, field="limit"), body.window_seconds
    payload = _payload(body.reason, body.note, participant_id=participant_id, currency=currency.code)
    intent = _note_call(
        runtime,
        "compliance",
        TRANSFER_LIMIT_KIND,
        "setTransferLimit",
        participant.address,
        encode_currency(currency.code),
        limit_minor,
        window,
        encode_reason(body.reason),
        payload=payload,
    )
    done = _carry_one(session, runtime, intent, by)
    return build_transfer_limit(session, runtime, participant, currency, done.transaction_hash)


def read_transfer_limit(
    session: Session, runtime: Runtime, caller: Caller, participant_id: int, code: str
) -> TransferLimitOut:
    """A participant's limit and what it sent in its window: for compliance agents, administrators and
    the participant itself (they are its own figures)."""
    if caller.role not in (COMPLIANCE_AGENT, "admin") and caller.participant_id != participant_id:
        raise Forbidden(
            "a participant's rolling limits are its own, a compliance agent's and the administrators'"
        )
    participant = load_ledger_participant(session, participant_id)
    return build_transfer_limit(session, runtime, participant, fetch_currency(code), None)


def build_transfer_limit(
    session: Session,
    runtime: Runtime,
    participant: Participant,
    currency: Currency,
    transaction_hash: str | None,
) -> TransferLimitOut:
    row = repository.fetch_transfer_limit(session, participant.address, currency.code)
    note = runtime.chain.contracts.note
    limit, window, sent = runtime.chain.read(
        note.call("transferLimitOf", participant.address, encode_currency(currency.code))
    )
    limit_minor = row.limit_minor if row is not None else int(limit)
    return TransferLimitOut(
        participant_id=participant.id,
        currency=currency.code,
        limit=format_minor(limit_minor, currency) if limit_minor else None,
        window_seconds=(row.window_seconds if row is not None else int(window)) or None,
        sent_in_window=format_minor(int(sent), currency),
        available=format_minor(max(limit_minor - int(sent), 0), currency) if limit_minor else None,
        transaction_hash=transaction_hash,
    )


@responds_to(TRANSFER_LIMIT_KIND)
def answer_transfer_limit(runtime: Runtime, session: Session, operations: Sequence[OperationView]) -> Answer:
    payload = operations[0].payload or {}
    participant = load_ledger_participant(session, int(payload["participant_id"]))
    out = build_transfer_limit(
        session, runtime, participant, fetch_currency(payload["currency"]), operations[0].transaction_hash
    )
    return 200, out.model_dump(mode="json")


# ------------------------------------------------------------------------------- voucher pause


def set_voucher_paused(
    session: Session, runtime: Runtime, voucher_id: int, paused: bool, body: PauseBody | None, by: int
) -> VoucherPauseOut:
    """Pauses (or resumes) every movement and payment of one voucher, as the service's pauser account;
    asking for the state it is in already is a 409, as for the ledger's pause."""
    load_voucher(session, voucher_id)
    note = runtime.chain.contracts.note
    is_paused = bool(runtime.chain.read(note.call("voucherOf", voucher_id))[4])
    if is_paused == paused:
        if paused:
            raise VoucherAlreadyPaused(f"voucher {voucher_id} is paused already", voucher_id=voucher_id)
        raise VoucherNotPaused(f"voucher {voucher_id} is not paused", voucher_id=voucher_id)
    body = body or PauseBody()
    payload = _payload(body.reason, body.note, voucher_id=voucher_id, paused=paused)
    function = "pauseVoucher" if paused else "unpauseVoucher"
    intent = _note_call(runtime, "pauser", VOUCHER_PAUSE_KIND, function, voucher_id, payload=payload)
    return build_voucher_pause(_carry_one(session, runtime, intent, by))


def build_voucher_pause(operation: OperationView) -> VoucherPauseOut:
    payload = operation.payload or {}
    transaction_hash, _block = _mined(operation)
    return VoucherPauseOut(
        voucher_id=int(payload["voucher_id"]),
        paused=bool(payload["paused"]),
        transaction_hash=transaction_hash,
    )


@responds_to(VOUCHER_PAUSE_KIND)
def answer_voucher_pause(_runtime: Runtime, _session: Session, operations: Sequence[OperationView]) -> Answer:
    return 200, build_voucher_pause(operations[0]).model_dump(mode="json")


# ------------------------------------------------------------------------------- dry run


@dataclass(frozen=True)
class _CheckContext:
    note: Note
    voucher: Voucher
    currency: Currency
    amount_minor: int
    sender: Participant | None
    recipient: Participant | None
    into: Note | None
    caller: Caller
    limit: tuple[int, int, int]  # the sender's rolling limit, window and what it sent in it


def check_transfer(
    session: Session, runtime: Runtime, caller: Caller, token_id: int, body: TransferCheckCreate
) -> TransferCheckOut:
    """Every reason the transfer would be refused now, each with the code a real refusal answers: the
    note's own `checkTransfer` (one eth_call, the rules the transaction runs) and the service's checks
    the chain does not make (an unknown recipient, a merge into a piece that is not the recipient's, a
    split to oneself). Nothing is signed or recorded. The holder asks for its own piece (anyone else
    is answered as for a transfer: 404 or 403); a compliance agent may ask for any piece."""
    note, voucher = load_piece(session, token_id)
    if caller.role != COMPLIANCE_AGENT and note.holder_address != caller.address:
        refuse_not_held(session, caller, note, voucher)
    currency = fetch_currency(voucher.currency)
    amount_minor = parse_amount_minor(body.amount, currency)
    recipient = participants_repository.fetch_participant(session, body.to_participant_id)
    sender = participants_repository.fetch_participant_by_address(session, note.holder_address)
    reasons: list[TransferCheckReason] = []
    if recipient is None:
        reasons.append(
            _service_reason(
                ParticipantNotFound, f"participant {body.to_participant_id} does not exist (the recipient)"
            )
        )
    into = (
        notes_repository.fetch_note(session, body.into_token_id) if body.into_token_id is not None else None
    )
    if body.into_token_id is not None and (
        into is None
        or into.voucher_id != note.voucher_id
        or recipient is None
        or into.holder_address != recipient.address
    ):
        reasons.append(
            _service_reason(
                NoteNotFound,
                f"note {body.into_token_id} is not a piece of voucher {voucher.id} held by participant "
                f"{body.to_participant_id}",
            )
        )
        into = None
    if recipient is not None and into is None and recipient.address == note.holder_address:
        reasons.append(_service_reason(SelfTransfer, "a participant cannot transfer a piece to itself"))
    contract = runtime.chain.contracts.note
    target: str | int = into.token_id if into is not None else (recipient.address if recipient else _NOBODY)
    mask, limit = runtime.chain.read_many(
        [
            contract.call("checkTransfer", note.holder_address, token_id, target, amount_minor),
            contract.call("transferLimitOf", note.holder_address, encode_currency(currency.code)),
        ]
    )
    context = _CheckContext(
        note,
        voucher,
        currency,
        amount_minor,
        sender,
        recipient,
        into,
        caller,
        tuple(int(x) for x in limit),  # type: ignore[arg-type]
    )
    for check in decode_checks(int(mask)):
        if recipient is None and check in RECIPIENT_CHECKS:
            continue  # the recipient does not exist: said once, above
        reasons.append(
            TransferCheckReason(
                code=CHECK_ERRORS[check].code, message=_message(check, context), check=check.name
            )
        )
    return TransferCheckOut(would_pass=not reasons, reasons=reasons)


def _service_reason(error: type[Any], message: str) -> TransferCheckReason:
    return TransferCheckReason(code=error.code, message=message, check="service")


def _who(participant: Participant | None, role: str) -> str:
    return f"participant {participant.id} ({role})" if participant is not None else f"the {role}"


def _kyc_date(participant: Participant | None) -> str | None:
    if participant is None or participant.kyc_expires_at is None:
        return None
    moment = participant.kyc_expires_at
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.date().isoformat()


def _message(check: TransferCheck, c: _CheckContext) -> str:
    """The reason in the API's words: amounts with their currency, participants by id, dates in ISO form.
    The recipient's KYC date is its own: told to a compliance agent only."""
    money = lambda minor: format_money(minor, c.currency)  # noqa: E731
    sender, recipient = _who(c.sender, "the sender"), _who(c.recipient, "the recipient")
    token_id, voucher = c.note.token_id, c.voucher
    if check is TransferCheck.SENDER_KYC_EXPIRED:
        expired = _kyc_date(c.sender)
        return f"the KYC of {sender} expired" + (f" on {expired}" if expired else "")
    if check is TransferCheck.RECIPIENT_KYC_EXPIRED:
        expired = _kyc_date(c.recipient) if c.caller.role == COMPLIANCE_AGENT else None
        return f"the KYC of {recipient} has expired" + (f" (on {expired})" if expired else "")
    if check is TransferCheck.TOKEN_FROZEN:
        frozen = c.into.token_id if c.into is not None and c.into.frozen and not c.note.frozen else token_id
        return f"note {frozen} is frozen"
    if check is TransferCheck.VALUE_ABOVE_UNFROZEN:
        unfrozen = max(c.note.value_minor - c.note.frozen_value_minor, 0)
        return f"only {money(unfrozen)} of note {token_id} is not frozen: {money(c.amount_minor)} cannot move"
    if check is TransferCheck.CAP_EXCEEDED:
        return (
            f"{money(c.amount_minor)} exceeds voucher {voucher.id}'s cap of "
            f"{money(voucher.transfer_cap_minor)} per transfer"
        )
    if check is TransferCheck.ROLLING_LIMIT_EXCEEDED:
        limit, window, sent = c.limit
        return (
            f"{sender} sent {money(sent)} within its rolling window of {window} seconds: "
            f"{money(c.amount_minor)} more exceeds its limit of {money(limit)}"
        )
    if check is TransferCheck.INSUFFICIENT_VALUE:
        return f"note {token_id} holds {money(c.note.value_minor)}, less than {money(c.amount_minor)}"
    if check is TransferCheck.NOT_UNIT_MULTIPLE:
        return (
            f"amount {money(c.amount_minor)} is not a whole multiple of the voucher's minimum split unit "
            f"{money(voucher.unit_minor)}"
        )
    if check is TransferCheck.VOUCHER_MATURED:
        due = voucher.due_at if voucher.due_at.tzinfo else voucher.due_at.replace(tzinfo=UTC)
        return f"voucher {voucher.id} matured on {due.date().isoformat()}: its pieces no longer move"
    fixed = {
        TransferCheck.UNKNOWN_TOKEN: f"note {c.into.token_id if c.into else token_id} does not exist",
        TransferCheck.SENDER_NOT_VERIFIED: f"{sender} is not a verified participant",
        TransferCheck.SENDER_FROZEN: f"{sender} is frozen: it sends and receives nothing",
        TransferCheck.RECIPIENT_NOT_VERIFIED: f"{recipient} is not a verified participant",
        TransferCheck.RECIPIENT_FROZEN: f"{recipient} is frozen: it sends and receives nothing",
        TransferCheck.LEDGER_PAUSED: "the ledger is paused",
        TransferCheck.VOUCHER_PAUSED: f"voucher {voucher.id} is paused",
        TransferCheck.VOUCHER_NOT_ACTIVE: f"voucher {voucher.id} no longer moves",
        TransferCheck.SLOT_MISMATCH: f"note {c.into.token_id if c.into else ''} belongs to another voucher",
        TransferCheck.OPERATOR_NOT_APPROVED: f"{sender} neither holds nor may move note {token_id}",
        TransferCheck.LINEAGE_TOO_DEEP: f"note {token_id} cannot be split further",
        TransferCheck.RECIPIENT_ZERO_ADDRESS: "the zero address is not an account",
        TransferCheck.SAME_TOKEN: f"note {token_id} cannot transfer value into itself",
    }
    return fixed[check]


# ------------------------------------------------------------------------------- the audit trail


def list_actions(
    session: Session,
    page: PageRequest,
    *,
    participant_id: int | None,
    voucher_id: int | None,
    kind: str | None,
    token_id: int | None,
) -> Page[ComplianceActionOut]:
    address = None
    if participant_id is not None:
        participant = participants_repository.fetch_participant(session, participant_id)
        if participant is None:
            raise ParticipantNotFound(
                f"participant {participant_id} does not exist", participant_id=participant_id
            )
        address = participant.address
    fetched = repository.fetch_actions(
        session,
        after_id=page.after_id,
        limit=page.limit + 1,
        address=address,
        voucher_id=voucher_id,
        kind=kind,
        token_id=token_id,
    )
    rows, next_cursor = page.page(fetched, lambda row: (row[0].id,))
    known = participants_repository.fetch_participants_by_addresses(
        session, {action.account_address for action, _operation in rows if action.account_address}
    )
    items = []
    for action, operation in rows:
        account = action.account_address
        items.append(
            ComplianceActionOut(
                id=action.id,
                kind=action.kind,  # type: ignore[arg-type]
                participant=None if account is None else participant_ref(account, known),
                token_id=action.token_id,
                voucher_id=action.voucher_id,
                reason=action.reason,
                note=(operation.payload or {}).get("note") if operation else None,
                details=dict(action.details or {}),
                agent_address=action.agent_address,
                requested_by_participant_id=operation.participant_id if operation else None,
                transaction_hash=action.transaction_hash,
                block_number=action.block_number,
                log_index=action.log_index,
                occurred_at=action.occurred_at,
            )
        )
    return Page(items=items, next_cursor=next_cursor)
