"""The compliance controls' vocabulary: the note's dry-run bits and the API's codes for them, and the kinds
of compliance action the ledger records.

`checkTransfer` answers a bitmask with one bit per reason a transfer would be refused
(contracts/src/interfaces/INoteCompliance.sol, library TransferCheck; a forge test pins the numbers).
Each bit reads as the very error code the API answers when a real transfer is refused for that reason,
so a dry run and a refusal speak alike.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum

from service import errors


class TransferCheck(IntEnum):
    """Bit numbers of `checkTransfer`'s answer (TransferCheck in INoteCompliance.sol)."""

    UNKNOWN_TOKEN = 0
    SENDER_NOT_VERIFIED = 1
    SENDER_KYC_EXPIRED = 2
    SENDER_FROZEN = 3
    RECIPIENT_NOT_VERIFIED = 4
    RECIPIENT_KYC_EXPIRED = 5
    RECIPIENT_FROZEN = 6
    TOKEN_FROZEN = 7
    VALUE_ABOVE_UNFROZEN = 8
    INSUFFICIENT_VALUE = 9
    NOT_UNIT_MULTIPLE = 10
    CAP_EXCEEDED = 11
    ROLLING_LIMIT_EXCEEDED = 12
    LEDGER_PAUSED = 13
    VOUCHER_PAUSED = 14
    VOUCHER_MATURED = 15
    VOUCHER_NOT_ACTIVE = 16
    SLOT_MISMATCH = 17
    OPERATOR_NOT_APPROVED = 18
    LINEAGE_TOO_DEEP = 19
    RECIPIENT_ZERO_ADDRESS = 20
    SAME_TOKEN = 21


# The error each bit is refused with by a real transfer (the revert meanings of service.chain.revert).
CHECK_ERRORS: dict[TransferCheck, type[errors.LedgerError]] = {
    TransferCheck.UNKNOWN_TOKEN: errors.NoteNotFound,
    TransferCheck.SENDER_NOT_VERIFIED: errors.ParticipantNotVerified,
    TransferCheck.SENDER_KYC_EXPIRED: errors.KycExpired,
    TransferCheck.SENDER_FROZEN: errors.ParticipantFrozen,
    TransferCheck.RECIPIENT_NOT_VERIFIED: errors.ParticipantNotVerified,
    TransferCheck.RECIPIENT_KYC_EXPIRED: errors.KycExpired,
    TransferCheck.RECIPIENT_FROZEN: errors.ParticipantFrozen,
    TransferCheck.TOKEN_FROZEN: errors.NoteFrozen,
    TransferCheck.VALUE_ABOVE_UNFROZEN: errors.ValueFrozen,
    TransferCheck.INSUFFICIENT_VALUE: errors.InsufficientValue,
    TransferCheck.NOT_UNIT_MULTIPLE: errors.AmountNotUnitMultiple,
    TransferCheck.CAP_EXCEEDED: errors.TransferCapExceeded,
    TransferCheck.ROLLING_LIMIT_EXCEEDED: errors.RollingLimitExceeded,
    TransferCheck.LEDGER_PAUSED: errors.LedgerPaused,
    TransferCheck.VOUCHER_PAUSED: errors.VoucherPaused,
    TransferCheck.VOUCHER_MATURED: errors.VoucherMatured,
    TransferCheck.VOUCHER_NOT_ACTIVE: errors.VoucherNotActive,
    TransferCheck.SLOT_MISMATCH: errors.SlotMismatch,
    TransferCheck.OPERATOR_NOT_APPROVED: errors.NotHolder,
    TransferCheck.LINEAGE_TOO_DEEP: errors.InvalidRequest,
    TransferCheck.RECIPIENT_ZERO_ADDRESS: errors.InvalidRequest,
    TransferCheck.SAME_TOKEN: errors.SelfTransfer,
}
RECIPIENT_CHECKS = frozenset(
    {
        TransferCheck.RECIPIENT_NOT_VERIFIED,
        TransferCheck.RECIPIENT_KYC_EXPIRED,
        TransferCheck.RECIPIENT_FROZEN,
        TransferCheck.RECIPIENT_ZERO_ADDRESS,
    }
)


def decode_checks(mask: int) -> list[TransferCheck]:
    """Every reason set in a `checkTransfer` answer, by bit number; a bit the service does not know
    (a newer contract) is an error rather than a reason silently dropped."""
    if mask < 0:
        raise ValueError("a TransferCheck mask is never negative")
    found = [check for check in TransferCheck if mask & (1 << check)]
    unknown = mask & ~sum(1 << check for check in TransferCheck)
    if unknown:
        raise ValueError(f"checkTransfer answered bits the service does not know: {unknown:#x}")
    return found


class ActionKind(StrEnum):
    """What a recorded compliance action did (compliance_actions.kind), one per note event and sense."""

    PARTICIPANT_FREEZE = "participant_freeze"
    PARTICIPANT_UNFREEZE = "participant_unfreeze"
    NOTE_FREEZE = "note_freeze"
    NOTE_UNFREEZE = "note_unfreeze"
    VALUE_FREEZE = "value_freeze"
    VALUE_UNFREEZE = "value_unfreeze"
    FORCED_TRANSFER = "forced_transfer"
    RECOVERY = "recovery"
    TRANSFER_CAP = "transfer_cap"
    TRANSFER_LIMIT = "transfer_limit"
    VOUCHER_PAUSE = "voucher_pause"
    VOUCHER_UNPAUSE = "voucher_unpause"
    LEDGER_PAUSE = "ledger_pause"
    LEDGER_UNPAUSE = "ledger_unpause"


# A rolling limit's window, as the note bounds it (ReceivableNoteExtension: 1 hour to 366 days).
MIN_LIMIT_WINDOW_SECONDS = 3_600
MAX_LIMIT_WINDOW_SECONDS = 366 * 86_400
# Pieces one recovery moves in its single transaction (the contract refuses a partial recovery): each
# hand-over costs some 30,000 gas, so this stays well inside a relayed transaction's gas.
MAX_RECOVERY_PIECES = 400
RECOVERY_BASE_GAS = 250_000
RECOVERY_GAS_PER_PIECE = 45_000


def compute_recovery_gas(piece_count: int) -> int:
    return RECOVERY_BASE_GAS + RECOVERY_GAS_PER_PIECE * piece_count
