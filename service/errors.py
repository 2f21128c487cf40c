"""Every failure a client can see: one tree, one status code and one machine-readable code each.

Solidity custom errors are decoded into these same classes (see `service.chain.revert`), so a
reverted transaction and a request rejected up front read alike.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from service.chain.revert import RawRevert


class LedgerError(Exception):
    status_code: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"
    # A decoded revert's raw form (error name and arguments), to render it again with a request's context.
    revert: RawRevert | None = None

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def to_body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            body["details"] = {key: _jsonable(value) for key, value in self.details.items()}
        return body


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, int | str | bool | float) or value is None:
        return value
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    return str(value)


# --- 400 / 422: the request itself is wrong --------------------------------------------------------


class MalformedRequest(LedgerError):
    status_code = 400
    code = "malformed_request"


class InvalidRequest(LedgerError):
    status_code = 422
    code = "invalid_request"


class InvalidCursor(InvalidRequest):
    code = "invalid_cursor"


class InvalidAmount(LedgerError):
    status_code = 422
    code = "invalid_amount"


class AmountNotPositive(InvalidAmount):
    code = "amount_not_positive"


class AmountTooPrecise(InvalidAmount):
    code = "amount_too_precise"


class AmountNotUnitMultiple(InvalidAmount):
    code = "amount_not_unit_multiple"


class AmountTooLarge(InvalidAmount):
    code = "amount_too_large"


class InsufficientValue(LedgerError):
    status_code = 422
    code = "insufficient_value"


class UnsupportedCurrency(LedgerError):
    status_code = 422
    code = "unsupported_currency"


class MaturityInPast(LedgerError):
    status_code = 422
    code = "maturity_in_past"


class MaturityTooFar(LedgerError):
    status_code = 422
    code = "maturity_too_far"


class InvalidCutoff(LedgerError):
    status_code = 422
    code = "invalid_cutoff"


class SelfTransfer(LedgerError):
    status_code = 422
    code = "self_transfer"


class ParticipantNotVerified(LedgerError):
    status_code = 422
    code = "participant_not_verified"


class ParticipantNotEligible(LedgerError):
    status_code = 422
    code = "participant_not_eligible"


class SlotMismatch(LedgerError):
    status_code = 422
    code = "note_slot_mismatch"


class InvalidSignature(LedgerError):
    status_code = 422
    code = "invalid_signature"


class SignatureRequired(LedgerError):
    status_code = 422
    code = "signature_required"


class RequestExpired(LedgerError):
    status_code = 422
    code = "request_expired"


class WrongCurrency(LedgerError):
    status_code = 422
    code = "wrong_currency"


class QuoteExpired(LedgerError):
    status_code = 422
    code = "quote_expired"


class BudgetExceeded(LedgerError):
    status_code = 422
    code = "budget_exceeded"


class InsufficientCash(LedgerError):
    status_code = 422
    code = "insufficient_cash"


class SettlementOverfunded(LedgerError):
    status_code = 422
    code = "settlement_overfunded"


class NotEligible(LedgerError):
    status_code = 422
    code = "not_eligible"


class ChainRejected(LedgerError):
    """A revert with no more specific meaning; `details.error` names the Solidity error."""

    status_code = 422
    code = "chain_rejected"


# --- 401 / 403: who is asking -----------------------------------------------------------------------


class Unauthenticated(LedgerError):
    status_code = 401
    code = "unauthenticated"


class Forbidden(LedgerError):
    status_code = 403
    code = "forbidden"


class NotHolder(Forbidden):
    code = "not_holder"


class NotObligor(Forbidden):
    code = "not_obligor"


class TestCashUnavailable(Forbidden):
    code = "test_cash_unavailable"


# --- 404: unknown things ------------------------------------------------------------------------------


class NotFound(LedgerError):
    status_code = 404
    code = "not_found"


class ParticipantNotFound(NotFound):
    code = "participant_not_found"


class VoucherNotFound(NotFound):
    code = "voucher_not_found"


class NoteNotFound(NotFound):
    code = "note_not_found"


class TermsNotFound(NotFound):
    code = "financing_terms_not_found"


class QuoteNotFound(NotFound):
    code = "quote_not_found"


class ProgrammeNotFound(NotFound):
    code = "programme_not_found"


# --- 409 / 423: the ledger's state forbids it now --------------------------------------------------


class Conflict(LedgerError):
    status_code = 409
    code = "conflict"


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"


class IdempotencyRequestInProgress(Conflict):
    code = "idempotency_request_in_progress"


class IdempotencyRequestRecovered(Conflict):
    code = "idempotency_request_recovered"


class ParticipantAlreadyExists(Conflict):
    code = "participant_already_exists"


class VoucherNotActive(Conflict):
    code = "voucher_not_active"


class StaleRequest(Conflict):
    code = "stale_request"


class VoucherMatured(Conflict):
    code = "voucher_matured"


class SettlementNotMatured(Conflict):
    code = "settlement_not_matured"


class SettlementNotFunded(Conflict):
    code = "settlement_not_funded"


class QuoteAlreadyUsed(Conflict):
    code = "quote_already_used"


class TermsWithdrawn(Conflict):
    code = "financing_terms_withdrawn"


class ProgrammeClosed(Conflict):
    code = "programme_closed"


class ProgrammeCutoffPassed(Conflict):
    code = "programme_cutoff_passed"


class NothingToClaim(Conflict):
    code = "nothing_to_claim"


class LedgerNotPaused(Conflict):
    code = "ledger_not_paused"


class LedgerPaused(LedgerError):
    status_code = 423
    code = "ledger_paused"


class BodyTooLarge(LedgerError):
    status_code = 413
    code = "body_too_large"


# --- 5xx: the ledger's own infrastructure, never the caller's input ---------------------------------


class InternalError(LedgerError):
    status_code = 500
    code = "internal_error"


class ChainUnavailable(LedgerError):
    status_code = 503
    code = "chain_unavailable"
