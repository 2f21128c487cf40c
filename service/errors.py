"""Every failure a client can see: one tree, one status code and one machine-readable code each.

Solidity custom errors are decoded into these same classes (see `service.chain.revert`), so a
reverted transaction and a request rejected up front read alike.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from service.chain.revert import RawRevert


class LedgerError(Exception):
    """The root of the tree: every error answer is one of its subclasses (docs/errors.md lists them)."""

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
    """The body is not a JSON object: not JSON, not UTF-8, nested deeper than 32 levels, another JSON value
    than an object, or not sent as application/json."""

    status_code = 400
    code = "malformed_request"


class InvalidRequest(LedgerError):
    """The request does not fit the operation's schema (a field missing, of the wrong type or out of its
    bounds), or asks for something the ledger does not do."""

    status_code = 422
    code = "invalid_request"


class InvalidCursor(InvalidRequest):
    """The `cursor` is not one this listing handed out."""

    code = "invalid_cursor"


class BatchInvalid(LedgerError):
    """Items of a batch would be refused: `details.items` lists every one with its code and message, and
    nothing of the batch was done."""

    status_code = 422
    code = "batch_invalid"


class InvalidAmount(LedgerError):
    """An amount is not a decimal string of ASCII digits with an optional `.`, or is not a valid amount for
    its purpose."""

    status_code = 422
    code = "invalid_amount"


class AmountNotPositive(InvalidAmount):
    """An amount is zero."""

    code = "amount_not_positive"


class AmountTooPrecise(InvalidAmount):
    """An amount has more decimals than its currency."""

    code = "amount_too_precise"


class AmountNotUnitMultiple(InvalidAmount):
    """An amount is not a whole multiple of the voucher's minimum split unit."""

    code = "amount_not_unit_multiple"


class AmountTooLarge(InvalidAmount):
    """An amount exceeds the largest the ledger stores (92,233,720,368,547,758.07 in a two-decimal
    currency)."""

    code = "amount_too_large"


class InvalidRate(LedgerError):
    """An exchange rate must be a positive decimal string with at most the feed's decimals, within the
    feed's range."""

    status_code = 422
    code = "invalid_rate"


class TransferCapExceeded(InvalidAmount):
    """The amount exceeds the voucher's per-transaction cap on value moving between two holders (a term
    of the voucher; moves between one holder's own pieces, forced transfers and redemptions are exempt)."""

    code = "transfer_cap_exceeded"


class BelowMinimumSubscription(InvalidAmount):
    """The amount is below the offering's minimum subscription (or, near the end, below what is left of it:
    the remainder is bought whole)."""

    code = "below_minimum_subscription"


class InsufficientValue(LedgerError):
    """A piece holds less than the amount asked of it."""

    status_code = 422
    code = "insufficient_value"


class UnsupportedCurrency(LedgerError):
    """The currency is not one the ledger supports."""

    status_code = 422
    code = "unsupported_currency"


class MaturityInPast(LedgerError):
    """The maturity date is not after today by the ledger's clock."""

    status_code = 422
    code = "maturity_in_past"


class MaturityTooFar(LedgerError):
    """The maturity is later than the chain can carry."""

    status_code = 422
    code = "maturity_too_far"


class InvalidCutoff(LedgerError):
    """An early-payment programme's cut-off is not after now or is after the voucher's maturity."""

    status_code = 422
    code = "invalid_cutoff"


class SelfTransfer(LedgerError):
    """A transfer to its own sender, a merge of a piece into itself, or a financing quote whose financier
    is its seller."""

    status_code = 422
    code = "self_transfer"


class ParticipantNotVerified(LedgerError):
    """A participant is not verified on chain (never verified, revoked, an administrator, or its KYC
    expired: `kyc_expired` where the ledger tells it apart) and can neither send nor receive notes."""

    status_code = 422
    code = "participant_not_verified"


class KycExpired(ParticipantNotVerified):
    """A participant's KYC has expired: it is refused as an unverified participant is, until the
    compliance agent renews its record."""

    code = "kyc_expired"


class ParticipantNotEligible(LedgerError):
    """The receiving account cannot hold notes."""

    status_code = 422
    code = "participant_not_eligible"


class CountryNotAllowed(ParticipantNotEligible):
    """The receiving account's country is not among the investor countries the offering allows."""

    code = "country_not_allowed"


class SlotMismatch(LedgerError):
    """Value cannot move between pieces of different vouchers."""

    status_code = 422
    code = "note_slot_mismatch"


class InvalidCountry(LedgerError):
    """The country is not an assigned ISO 3166-1 alpha-2 code in upper case (a verified participant needs
    one)."""

    status_code = 422
    code = "invalid_country"


class MissingReason(LedgerError):
    """A compliance action or an identity update needs a reason code: the audit trail's why."""

    status_code = 422
    code = "missing_reason"


class InvalidSignature(LedgerError):
    """A signature (of a signed request or a quote) is not the expected signer's."""

    status_code = 422
    code = "invalid_signature"


class SignatureRequired(LedgerError):
    """A participant with its own wallet must send the signed request for this action."""

    status_code = 422
    code = "signature_required"


class RequestExpired(LedgerError):
    """A signed request's deadline has passed."""

    status_code = 422
    code = "request_expired"


class WrongCurrency(LedgerError):
    """The currency does not match (terms, voucher, cash), or no settlement cash is configured for it."""

    status_code = 422
    code = "wrong_currency"


class QuoteExpired(LedgerError):
    """The financing quote's expiry has passed."""

    status_code = 422
    code = "quote_expired"


class BudgetExceeded(LedgerError):
    """The financing terms' or early-payment programme's remaining budget does not cover the price."""

    status_code = 422
    code = "budget_exceeded"


class InsufficientCash(LedgerError):
    """An account does not hold the settlement cash the action needs."""

    status_code = 422
    code = "insufficient_cash"


class SettlementOverfunded(LedgerError):
    """A funding would put more cash into a voucher's settlement than it owes."""

    status_code = 422
    code = "settlement_overfunded"


class NotEligible(LedgerError):
    """The piece, amount or parties are not eligible under the financing terms."""

    status_code = 422
    code = "not_eligible"


class ChainRejected(LedgerError):
    """The chain refused the transaction for a reason with no more specific code; `details.error` names the
    Solidity error."""

    status_code = 422
    code = "chain_rejected"


# --- 401 / 403: who is asking -----------------------------------------------------------------------


class Unauthenticated(LedgerError):
    """No API key, or not a valid one."""

    status_code = 401
    code = "unauthenticated"


class Forbidden(LedgerError):
    """The API key's role or party may not do this."""

    status_code = 403
    code = "forbidden"


class NotHolder(Forbidden):
    """The caller may see the piece but does not hold it."""

    code = "not_holder"


class NotObligor(Forbidden):
    """Only the voucher's obligor may do this."""

    code = "not_obligor"


class TestCashUnavailable(Forbidden):
    """Test cash is credited only on the local development chain."""

    code = "test_cash_unavailable"


class FxFeedExternal(Forbidden):
    """The currency pair's rate comes from an external feed (e.g. Chainlink): the ledger's oracle account
    cannot submit answers to it."""

    code = "fx_feed_external"


# --- 404: unknown things ------------------------------------------------------------------------------


class NotFound(LedgerError):
    """No such route, or no such resource for the caller."""

    status_code = 404
    code = "not_found"


class MethodNotAllowed(LedgerError):
    """The route exists, but not with this HTTP method."""

    status_code = 405
    code = "method_not_allowed"


class HttpError(LedgerError):
    """Any other refusal by the HTTP layer, with its status (none is known to occur)."""

    code = "http_error"


class ParticipantNotFound(NotFound):
    """No participant has this id."""

    code = "participant_not_found"


class VoucherNotFound(NotFound):
    """No voucher the caller may see has this id."""

    code = "voucher_not_found"


class NoteNotFound(NotFound):
    """No piece the caller may see has this token id (one it may not see answers alike)."""

    code = "note_not_found"


class TermsNotFound(NotFound):
    """No financing terms the caller may see have this id."""

    code = "financing_terms_not_found"


class QuoteNotFound(NotFound):
    """No financing quote the caller is a party to has this id."""

    code = "quote_not_found"


class ProgrammeNotFound(NotFound):
    """No early-payment programme of a voucher the caller may see has this id."""

    code = "programme_not_found"


class ListingNotFound(NotFound):
    """No secondary-market listing of yield tokens has this id."""

    code = "listing_not_found"


class FxPairNotFound(NotFound):
    """No exchange-rate feed is configured for this currency pair."""

    code = "fx_pair_not_found"


class JobNotFound(NotFound):
    """No job the caller may see has this id."""

    code = "job_not_found"


class OfferingNotFound(NotFound):
    """No yield-token offering has this id."""

    code = "offering_not_found"


class Conflict(LedgerError):
    """The ledger's state does not allow this now."""

    status_code = 409
    code = "conflict"


class IdempotencyKeyReused(Conflict):
    """This Idempotency-Key was used with a different request."""

    code = "idempotency_key_reused"


class IdempotencyRequestInProgress(Conflict):
    """A request with this Idempotency-Key is still running."""

    code = "idempotency_request_in_progress"


class IdempotencyRequestRecovered(Conflict):
    """The request with this Idempotency-Key was interrupted after it reached the chain; it is not run
    again."""

    code = "idempotency_request_recovered"


class ParticipantAlreadyExists(Conflict):
    """A participant with this name or address exists already."""

    code = "participant_already_exists"


class VoucherNotActive(Conflict):
    """The voucher's pieces no longer move (it was settled)."""

    code = "voucher_not_active"


class StaleRequest(Conflict):
    """A signed request's nonce was used already."""

    code = "stale_request"


class VoucherMatured(Conflict):
    """The voucher has matured: its pieces are paid, not moved or financed."""

    code = "voucher_matured"


class SettlementNotMatured(Conflict):
    """The voucher has not matured yet."""

    code = "settlement_not_matured"


class SettlementNotFunded(Conflict):
    """The voucher's settlement holds no cash to pay out."""

    code = "settlement_not_funded"


class QuoteAlreadyUsed(Conflict):
    """The financing quote was executed already or is being executed."""

    code = "quote_already_used"


class TermsWithdrawn(Conflict):
    """The financing terms were withdrawn."""

    code = "financing_terms_withdrawn"


class ProgrammeClosed(Conflict):
    """The early-payment programme is closed."""

    code = "programme_closed"


class ProgrammeCutoffPassed(Conflict):
    """The early-payment programme's cut-off has passed."""

    code = "programme_cutoff_passed"


class NothingToClaim(Conflict):
    """The piece has nothing to be paid now."""

    code = "nothing_to_claim"


class OfferingNotOpen(Conflict):
    """The offering takes no subscriptions: its seller closed it or its closing time has passed."""

    code = "offering_not_open"


class ListingInactive(Conflict):
    """The listing is filled or cancelled."""

    code = "listing_inactive"


class OfferingNotSettled(Conflict):
    """The note value backing the offering is not paid in full yet: batch redemption waits for it."""

    code = "offering_not_settled"


class PriceAboveLimit(Conflict):
    """The price now (it rises day by day towards maturity) exceeds the most the buyer said it would pay."""

    code = "price_above_limit"


class RollingLimitExceeded(Conflict):
    """What the sender sent within its rolling window, plus this amount, would exceed its limit in the
    voucher's currency; it may send again as the window moves on."""

    code = "rolling_limit_exceeded"


class MilestoneNotReached(Conflict):
    """The voucher has not reached the logistics milestone (shipped, customs cleared, delivered) the
    quote requires."""

    code = "milestone_not_reached"


class FinancedShareExceeded(Conflict):
    """Before delivery, the voucher's value financed so far plus this quote's would exceed the quote's
    share of the face value."""

    code = "financed_share_exceeded"


class RecoveryIncomplete(Conflict):
    """A recovery must move every piece of the lost wallet, and the lost wallet would still hold some."""

    code = "recovery_incomplete"


class WalletInUse(Conflict):
    """A recovery's new wallet holds pieces or has rolling limits of its own (two participants are never
    merged)."""

    code = "wallet_in_use"


class VoucherNotPaused(Conflict):
    """Resuming a voucher that is not paused."""

    code = "voucher_not_paused"


class VoucherAlreadyPaused(Conflict):
    """Pausing a voucher that is paused already."""

    code = "voucher_already_paused"


class LedgerAlreadyPaused(Conflict):
    """Pausing a ledger that is paused already."""

    code = "ledger_already_paused"


class LedgerNotPaused(Conflict):
    """Unpausing a ledger that is not paused."""

    code = "ledger_not_paused"


class LedgerPaused(LedgerError):
    """The ledger is paused: nothing is issued or moves until it is unpaused."""

    status_code = 423
    code = "ledger_paused"


class VoucherPaused(LedgerError):
    """The voucher is paused: none of its pieces moves or is redeemed (nor, hence, paid) until it is
    resumed."""

    status_code = 423
    code = "voucher_paused"


class ParticipantFrozen(LedgerError):
    """The compliance agent froze the participant: it sends, receives and is paid nothing until
    unfrozen."""

    status_code = 423
    code = "participant_frozen"


class NoteFrozen(LedgerError):
    """The compliance agent froze the piece: no value moves in or out, it does not change hands and it is
    not paid until unfrozen."""

    status_code = 423
    code = "note_frozen"


class ValueFrozen(LedgerError):
    """Part of the piece's value is frozen: only the unfrozen part may move, and the piece does not change
    hands whole."""

    status_code = 423
    code = "value_frozen"


class BodyTooLarge(LedgerError):
    """The request body is larger than 65,536 bytes; it was not read."""

    status_code = 413
    code = "body_too_large"


# --- 5xx: the ledger's own infrastructure, never the caller's input ---------------------------------


class InternalError(LedgerError):
    """An unexpected error (a bug). The connection stays usable; retrying with the same Idempotency-Key is
    safe."""

    status_code = 500
    code = "internal_error"


class ChainUnavailable(LedgerError):
    """The chain node cannot be reached, or cannot answer for the block asked; retry later."""

    status_code = 503
    code = "chain_unavailable"


class OperationPending(ChainUnavailable):
    """The request was accepted and its operation is on its way, but its outcome is not known yet: a
    retry with the same Idempotency-Key answers with the outcome once the chain has decided it."""

    code = "operation_pending"


class FxRateUnavailable(LedgerError):
    """No usable exchange rate for a cross-border voucher's currencies: no feed is configured, the feed
    has no answer yet, or its answer is not a positive rate. Nothing was paid; retry once the oracle has
    answered."""

    status_code = 503
    code = "fx_rate_unavailable"


class FxRateStale(FxRateUnavailable):
    """The exchange rate's latest answer is older than the pair's maximum age (or stamped in the future).
    Nothing was paid; retry once the oracle has updated it."""

    code = "fx_rate_stale"


class RequestSuperseded(Conflict):
    """A signed request that never ran: its signer's nonce went to another request."""

    code = "request_superseded"


def all_error_classes() -> list[type[LedgerError]]:
    """Every class of the tree, depth first from `LedgerError`."""
    found: list[type[LedgerError]] = []
    pending: list[type[LedgerError]] = [LedgerError]
    while pending:
        kind = pending.pop()
        found.append(kind)
        pending.extend(reversed(kind.__subclasses__()))
    return found


def error_class_for(code: str) -> type[LedgerError]:
    """The class of a machine-readable code (the most general one if several share it)."""
    for kind in all_error_classes():
        if kind.code == code:
            return kind
    return LedgerError


def store_error(error: LedgerError) -> dict[str, Any]:
    """A LedgerError as a JSON document (kept with an operation that did not take effect), with the raw
    revert it was decoded from, if any, so that it can be rendered again in a request's terms."""
    stored = {"status": error.status_code, **error.to_body()}
    if error.revert is not None:
        stored["revert"] = error.revert.to_json()
    return stored


def load_error(stored: dict[str, Any]) -> LedgerError:
    """The LedgerError a stored document describes, of the same class, code and status."""
    kind = error_class_for(str(stored.get("code", "")))
    error = kind(str(stored.get("message", "")), **(stored.get("details") or {}))
    if error.code != stored.get("code") or error.status_code != stored.get("status", error.status_code):
        # An unknown or retired code: keep what was stored rather than a different meaning.
        error = _StoredError(str(stored.get("message", "")), **(stored.get("details") or {}))
        error.code = str(stored.get("code", "bad_request"))  # type: ignore[misc]
        error.status_code = int(stored.get("status", 422))  # type: ignore[misc]
    if stored.get("revert"):
        from service.chain.revert import RawRevert

        error.revert = RawRevert.from_json(stored["revert"])
    return error


class _StoredError(LedgerError):
    """A stored error whose code no class carries any more (rendered as stored)."""
