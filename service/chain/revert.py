"""Solidity custom errors → `LedgerError`s of the same meaning, in the API's units.

Every custom error in the compiled ABIs has an entry in `REVERT_MEANINGS` (a test fails when one is
missing) or is listed in `INTERNAL_ERRORS` (no client can cause it). An entry declares the kind of each
argument: an amount of note value (minor units of the voucher's denomination currency) or of cash
(minor units of its settlement currency: a cross-border voucher counts value in USD and pays in CNY),
an account, a time, a token or voucher id, a currency or country code, a logistics milestone, a plain
number. Rendering turns each into what the API speaks: a decimal string with its currency
("80000000.00 CNY"), a participant id (or the ledger contract's name), an ISO-8601 time, a code's
letters, a milestone's name; never wei, epoch seconds, a raw rate or a raw address.

A figure that belongs to another party than the caller (a financier's cash balance, told to the seller
whose trade it failed; a recipient's KYC expiry, told to the sender) is withheld: the entry names whose
it is, and the message then reads without it.

Rendering takes a `RevertContext` (the request's currencies, who an address is, who is asking), so a
revert decoded once can be rendered again later: `decode_revert` keeps the raw (error name, arguments)
on the error (`LedgerError.revert`, a `RawRevert`), and `render_revert(raw, context)` renders it anew.
The API renders every revert it answers with the request's context (`service.api.reverts`); the raw
form is what a journal stores (`RawRevert.to_json` / `from_json`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from service import errors
from service.chain.abi import ErrorCatalog
from service.domain.money import CURRENCIES, NOTE_VALUE_DECIMALS, Currency, format_minor


class Kind(StrEnum):
    """What a Solidity error's argument means, which says how the API shows it."""

    VALUE = "value"  # note value: minor units of the voucher's (denomination) currency
    CASH = "cash"  # cash: minor units of the voucher's settlement currency (cash has the notes' decimals)
    ACCOUNT = "account"  # an address: a participant, or one of the ledger's own contracts
    TIME = "time"  # a point in time, epoch seconds
    SECONDS = "seconds"  # a duration
    TOKEN = "token"  # a note's token id
    VOUCHER = "voucher"  # a voucher id (the note's slot)
    NUMBER = "number"  # a plain count or code: days, depth, round, rate in bps, decimals, a status
    CURRENCY = "currency"  # a currency code (bytes8)
    COUNTRY = "country"  # an ISO 3166-1 alpha-2 country code (bytes2)
    MILESTONE = "milestone"  # a logistics milestone: 0 none, 1 shipped, 2 customs cleared, 3 delivered
    ROLE = "role"  # an access-control role (bytes32)
    HIDDEN = "hidden"  # means nothing to a client (a forwarder nonce, a signature's s): never shown


AMOUNTS = (Kind.VALUE, Kind.CASH)
# What may belong to one party, and be withheld from the others: its amounts and its dates.
FIGURES = (*AMOUNTS, Kind.TIME)

# Logistics milestones by their number on chain, named as the API names them.
MILESTONES = {1: "shipped", 2: "customs_cleared", 3: "delivered"}


@dataclass(frozen=True)
class RawRevert:
    """A decoded revert before rendering: the Solidity error's name and its arguments as decoded
    (ints, checksummed addresses, 0x-hex bytes), all JSON values."""

    name: str
    args: Mapping[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"error": self.name, "args": dict(self.args)}

    @classmethod
    def from_json(cls, stored: Mapping[str, Any]) -> RawRevert:
        return cls(str(stored["error"]), dict(stored["args"]))


def _unknown_account(_address: str) -> str | int | None:
    return None


def _unknown_holder(_token_id: int) -> str | None:
    return None


@dataclass(frozen=True)
class RevertContext:
    """What rendering needs to know beyond the error itself.

    `currency`: the code of the currency note value counts in (the voucher's denomination; VALUE
    amounts are shown with it; without it, as plain decimal strings). `cash_currency`: the currency
    cash moves in (the voucher's settlement currency; CASH amounts are shown with it); None: the same
    as `currency`, as for a domestic voucher. `account`: who an address is, a participant id or a
    contract's name (None: an account outside the ledger). `holder_of`: the address holding a token, to
    tell whose a note's figures are. `caller`: the asking participant's address; figures of any other
    party are withheld (and all of them when it is None). `roles`: role names by their bytes32 id.
    """

    currency: str | None = None
    account: Callable[[str], str | int | None] = _unknown_account
    holder_of: Callable[[int], str | None] = _unknown_holder
    caller: str | None = None
    roles: Mapping[str, str] = field(default_factory=dict)
    cash_currency: str | None = None

    def currency_of(self, kind: Kind) -> str | None:
        """The currency of an amount of `kind` (VALUE or CASH)."""
        return (self.cash_currency or self.currency) if kind is Kind.CASH else self.currency


@dataclass(frozen=True)
class RevertMeaning:
    """A Solidity error's meaning: the `LedgerError` it is, its message, the kind of each argument and,
    for a figure of one party (an amount or a date), whose it is (an ACCOUNT argument, or a TOKEN one:
    its holder's; None: some party not named, so always withheld) and the message to give instead when
    it is withheld."""

    error: type[errors.LedgerError]
    message: str
    kinds: Mapping[str, Kind] = field(default_factory=dict)
    owners: Mapping[str, str | None] = field(default_factory=dict)
    withheld_message: str | None = None

    def arguments(self) -> set[str]:
        return set(re.findall(r"{(\w+)}", self.message)) | set(
            re.findall(r"{(\w+)}", self.withheld_message or "")
        )


def _m(
    error: type[errors.LedgerError],
    message: str,
    withheld: str | None = None,
    owners: Mapping[str, str | None] | None = None,
    /,
    **kinds: Kind,
) -> RevertMeaning:
    return RevertMeaning(error, message, kinds, owners or {}, withheld)


A, V, C, T, S = Kind.ACCOUNT, Kind.VALUE, Kind.CASH, Kind.TIME, Kind.SECONDS
TOK, VOU, N, H = Kind.TOKEN, Kind.VOUCHER, Kind.NUMBER, Kind.HIDDEN
CUR, MIL = Kind.CURRENCY, Kind.MILESTONE

# Meanings several contracts' errors share.
_ZERO_ADDRESS = _m(errors.InvalidRequest, "the zero address is not an account")
_ZERO_AMOUNT = _m(errors.AmountNotPositive, "amount must be greater than zero")
_VOUCHER_STILL = _m(errors.VoucherNotActive, "voucher {slot} no longer moves", slot=VOU, status=H)
_CALLER_NOT_HOLDER = _m(
    errors.NotHolder, "{caller} does not hold note {tokenId}", caller=A, tokenId=TOK, holder=H
)
_CALLER_NOT_OBLIGOR = _m(
    errors.NotObligor, "{caller} is not the voucher's obligor {obligor}", caller=A, obligor=A
)
_HOLDER_NOT_VERIFIED = _m(errors.ParticipantNotVerified, "{holder} is not a verified participant", holder=A)
_HOLDER_FROZEN = _m(
    errors.ParticipantFrozen, "{holder} is frozen: it is paid nothing until unfrozen", holder=A
)
_NOTE_FROZEN = _m(errors.NoteFrozen, "note {tokenId} is frozen", tokenId=TOK)
_UNKNOWN_VOUCHER = _m(errors.VoucherNotFound, "voucher {slot} does not exist", slot=VOU)
_UNKNOWN_TOKEN = _m(errors.NoteNotFound, "note {tokenId} does not exist", tokenId=TOK)

REVERT_MEANINGS: dict[str, RevertMeaning] = {
    # ReceivableNote (both code halves)
    "NoteNonexistentToken": _UNKNOWN_TOKEN,
    "NoteInsufficientValue": _m(
        errors.InsufficientValue,
        "note {tokenId} holds {balance}, needs {needed}",
        "note {tokenId} holds less than {needed}",
        {"balance": "tokenId"},
        tokenId=TOK,
        balance=V,
        needed=V,
    ),
    # Without an allowance the caller is simply not the holder: same code as the API's own check.
    "NoteInsufficientAllowance": _m(
        errors.NotHolder,
        "{operator} does not hold note {tokenId} and may move only {allowance} of it, not {needed}",
        "{operator} does not hold note {tokenId} and may not move {needed} of it",
        {"allowance": "operator"},
        tokenId=TOK,
        operator=A,
        allowance=V,
        needed=V,
    ),
    "NoteUnauthorized": _m(
        errors.NotHolder, "{operator} neither holds nor may move note {tokenId}", operator=A, tokenId=TOK
    ),
    "NoteSlotApprovalUnauthorized": _m(
        errors.Forbidden,
        "{caller} may not approve operators for the pieces of {owner}",
        caller=A,
        owner=A,
    ),
    "NoteZeroValue": _ZERO_AMOUNT,
    "NoteValueNotUnitMultiple": _m(
        errors.AmountNotUnitMultiple,
        "{value} is not a whole multiple of voucher {slot}'s minimum split unit {unit}",
        slot=VOU,
        value=V,
        unit=V,
    ),
    "NoteSlotMismatch": _m(
        errors.SlotMismatch,
        "value cannot move from voucher {fromSlot} to voucher {toSlot}",
        fromSlot=VOU,
        toSlot=VOU,
    ),
    "NoteSameToken": _m(errors.SelfTransfer, "note {tokenId} cannot transfer value into itself", tokenId=TOK),
    "NoteParticipantNotVerified": _m(
        errors.ParticipantNotVerified, "{account} is not a verified participant", account=A
    ),
    # The expiry date is the participant's own: a sender refused for its recipient learns only that.
    "NoteParticipantKycExpired": _m(
        errors.KycExpired,
        "the KYC of {account} expired at {kycExpiresAt}",
        "the KYC of {account} has expired",
        {"kycExpiresAt": "account"},
        account=A,
        kycExpiresAt=T,
    ),
    "NoteAddressFrozen": _m(
        errors.ParticipantFrozen, "{account} is frozen: it sends and receives nothing", account=A
    ),
    "NoteTokenFrozen": _NOTE_FROZEN,
    "NoteValueFrozen": _m(
        errors.ValueFrozen,
        "only {unfrozenValue} of note {tokenId} is not frozen: {needed} cannot move",
        "part of note {tokenId} is frozen: {needed} cannot move",
        {"unfrozenValue": "tokenId"},
        tokenId=TOK,
        unfrozenValue=V,
        needed=V,
    ),
    # Freezing and unfreezing are the compliance agent's alone, and it sees every piece: no withholding.
    "NoteFreezeExceedsValue": _m(
        errors.InsufficientValue,
        "note {tokenId} has {unfrozenValue} not frozen, less than the {value} to freeze",
        tokenId=TOK,
        unfrozenValue=V,
        value=V,
    ),
    "NoteUnfreezeExceedsFrozen": _m(
        errors.InsufficientValue,
        "note {tokenId} has {frozenValue} frozen, less than the {value} to unfreeze",
        tokenId=TOK,
        frozenValue=V,
        value=V,
    ),
    # The cap is a term of the voucher, public to whoever sees it.
    "NoteTransferCapExceeded": _m(
        errors.TransferCapExceeded,
        "{value} exceeds voucher {slot}'s cap of {cap} per transfer",
        slot=VOU,
        value=V,
        cap=V,
    ),
    # The limit and what was sent are the sender's (`account`, the piece's holder) figures.
    "NoteRollingLimitExceeded": _m(
        errors.RollingLimitExceeded,
        "{account} sent {sentInWindow} within its rolling window: {value} more exceeds its limit of {limit}",
        "{value} more exceeds the rolling limit of {account}",
        {"sentInWindow": "account", "limit": "account"},
        account=A,
        currency=CUR,
        sentInWindow=V,
        value=V,
        limit=V,
    ),
    "NoteInvalidTransferCap": _m(
        errors.InvalidAmount, "the cap {cap} exceeds the largest amount the note stores", cap=V
    ),
    "NoteInvalidTransferLimit": _m(
        errors.InvalidRequest,
        "a rolling limit must be positive, at most the largest amount the note stores, over a window of "
        "1 hour to 366 days (both zero remove it), not {limit} over {windowSeconds}",
        limit=V,
        windowSeconds=S,
    ),
    "NoteTooManyTransferLimits": _m(
        errors.Conflict,
        "{account} has rolling limits in {max} currencies already, the most one account may have",
        account=A,
        max=N,
    ),
    "NoteVoucherPaused": _m(errors.VoucherPaused, "voucher {slot} is paused", slot=VOU),
    "NoteVoucherNotPaused": _m(errors.VoucherNotPaused, "voucher {slot} is not paused", slot=VOU),
    "NoteRecoveryIncomplete": _m(
        errors.RecoveryIncomplete,
        "{lostWallet} would still hold {remaining} pieces: a recovery moves every piece",
        lostWallet=A,
        remaining=N,
    ),
    "NoteRecoveryWalletInUse": _m(
        errors.WalletInUse,
        "{newWallet} cannot take over a lost wallet: it holds pieces, has rolling limits or is that wallet",
        newWallet=A,
    ),
    "NoteMissingReason": _m(errors.MissingReason, "a compliance action needs a reason code"),
    "NoteSelfTransfer": _m(errors.SelfTransfer, "{account} already holds the note", account=A),
    "NoteInvalidReceiver": _m(errors.ParticipantNotEligible, "{receiver} does not accept notes", receiver=A),
    "NoteZeroAddress": _ZERO_ADDRESS,
    "NoteWrongHolder": _m(
        errors.NotHolder, "{from} is not the holder, {owner} is", **{"from": A, "owner": A}
    ),
    "NoteApprovalToHolder": _m(errors.InvalidRequest, "{holder} cannot approve itself", holder=A),
    "NoteEtherNotAccepted": _m(errors.InvalidRequest, "notes accept no ether", amount=H),
    "NoteRedeemerNotContract": _m(
        errors.InvalidRequest,
        "{account} is not a contract: only settlement contracts, which pay as they redeem, may redeem notes",
        account=A,
    ),
    "NoteMaturityInPast": _m(
        errors.MaturityInPast, "maturity {maturityAt} is not after {nowAt}", maturityAt=T, nowAt=T
    ),
    "NoteMaturityTooFar": _m(
        errors.MaturityTooFar, "maturity {maturityAt} is after {latestAt}", maturityAt=T, latestAt=T
    ),
    "NoteInvalidFaceValue": _m(
        errors.InvalidAmount,
        "face value {faceValue} is not a positive multiple of the unit {unit}",
        faceValue=V,
        unit=V,
    ),
    "NoteInvalidUnit": _m(errors.InvalidAmount, "minimum split unit {unit} is invalid", unit=V),
    "NoteInvalidCurrency": _m(
        errors.UnsupportedCurrency, "a currency code is empty", currency=CUR, settlementCurrency=CUR
    ),
    "NoteUnknownVoucher": _UNKNOWN_VOUCHER,
    "NoteVoucherNotActive": _VOUCHER_STILL,
    "NoteLineageTooDeep": _m(
        errors.InvalidRequest, "note {tokenId} cannot be split further (depth {depth})", tokenId=TOK, depth=N
    ),
    "NoteVoucherMatured": _m(
        errors.VoucherMatured,
        "voucher {slot} matured at {maturityAt}: its pieces no longer move",
        slot=VOU,
        maturityAt=T,
        nowAt=T,
    ),
    # ParticipantRegistry
    "RegistryZeroAddress": _m(errors.InvalidRequest, "the zero address cannot be a participant"),
    "RegistryMissingReason": _m(errors.MissingReason, "an identity update needs a reason code"),
    "RegistryInvalidCountry": _m(
        errors.InvalidCountry,
        "{country} is not an assigned ISO 3166-1 alpha-2 country code",
        country=Kind.COUNTRY,
    ),
    "RegistryInvalidRole": _m(
        errors.InvalidRequest,
        "role code {role} is none of 1 obligor, 2 supplier, 3 financier, 4 investor, 5 platform contract "
        "(a verified participant needs one)",
        role=N,
    ),
    "RegistryInvalidKycExpiry": _m(
        errors.InvalidRequest,
        "a verified participant's KYC expiry {kycExpiresAt} must lie after {nowAt}",
        kycExpiresAt=T,
        nowAt=T,
    ),
    # Settlement cash and its directory
    "CashZeroAddress": _ZERO_ADDRESS,
    "CashZeroAmount": _ZERO_AMOUNT,
    "CashInvalidCurrency": _m(errors.UnsupportedCurrency, "the currency code is empty"),
    "CashInvalidToken": _m(errors.WrongCurrency, "{token} is not a settlement token", token=A),
    "CashDecimalsMismatch": _m(
        errors.WrongCurrency,
        "{token} has {tokenDecimals} decimals, notes {noteDecimals}",
        token=A,
        tokenDecimals=N,
        noteDecimals=N,
    ),
    "CashTokenNotRegistered": _m(
        errors.WrongCurrency, "no settlement cash is registered for {currency}", currency=CUR
    ),
    # A discount is taken from value, before conversion to the settlement currency.
    "DiscountMathInvalidBasis": _m(
        errors.InvalidRequest, "day-count basis {basisDays} is neither 360 nor 365", basisDays=N
    ),
    "DiscountMathDiscountExceedsValue": _m(
        errors.InvalidAmount, "the discount {discount} exceeds the value {value}", value=V, discount=V
    ),
    # Exchange rates: an unusable rate is the oracle's to fix, so the payment is answered as unavailable.
    "FxInvalidPair": _m(
        errors.InvalidRequest, "{base}/{quote} is not a pair of two currencies", base=CUR, quote=CUR
    ),
    "FxInvalidFeed": _m(
        errors.InvalidRequest, "{feed} is not a price feed (no code, or more than 18 decimals)", feed=A
    ),
    "FxInvalidMaxAge": _m(
        errors.InvalidRequest,
        "a rate's maximum age must lie between 1 and 4294967295 seconds, not {maxAgeSeconds}",
        maxAgeSeconds=S,
    ),
    "FxFeedNotSet": _m(
        errors.FxRateUnavailable,
        "no feed is configured for the {base}/{quote} exchange rate",
        base=CUR,
        quote=CUR,
    ),
    "FxRateNotPositive": _m(
        errors.FxRateUnavailable,
        "the latest answer for the {base}/{quote} exchange rate is not a positive rate",
        base=CUR,
        quote=CUR,
        roundId=H,
        answer=H,
    ),
    "FxRateStale": _m(
        errors.FxRateStale,
        "the {base}/{quote} exchange rate was last updated at {updatedAt}, not within {maxAgeSeconds} "
        "before {nowAt}",
        base=CUR,
        quote=CUR,
        roundId=H,
        updatedAt=T,
        maxAgeSeconds=S,
        nowAt=T,
    ),
    # A feed's own errors: answers come from the oracle, and a payment reading a feed without rounds
    # meets FxFeedNoRound.
    "FxFeedNoRound": _m(errors.FxRateUnavailable, "the exchange-rate feed has no answer yet", roundId=H),
    "FxFeedInvalidAnswer": _m(
        errors.InvalidRequest, "a rate must be positive and within the feed's range", answer=H
    ),
    "FxFeedInvalidDecimals": _m(
        errors.InvalidRequest, "a feed has at most 18 decimals, not {decimals}", decimals=N
    ),
    # LogisticsOracle
    "LogisticsZeroAddress": _ZERO_ADDRESS,
    "LogisticsUnknownVoucher": _UNKNOWN_VOUCHER,
    "LogisticsInvalidMilestone": _m(
        errors.InvalidRequest,
        "milestone {milestone} is not 1 (shipped), 2 (customs_cleared) or 3 (delivered)",
        milestone=N,
    ),
    "LogisticsMilestoneNotForward": _m(
        errors.Conflict,
        "voucher {slot} has reached {current} already: milestones only move forward, not to {milestone}",
        slot=VOU,
        current=MIL,
        milestone=MIL,
    ),
    "LogisticsMissingEvidence": _m(errors.InvalidRequest, "an attestation needs the hash of its evidence"),
    # FinancingDesk (a quote's price is in value units; its cash is the price converted, rounded up)
    "FinancingZeroAddress": _ZERO_ADDRESS,
    "FinancingSelfDealing": _m(
        errors.SelfTransfer, "{account} is both the quote's financier and its seller", account=A
    ),
    "FinancingCallerNotSeller": _m(
        errors.Forbidden, "{caller} is not the quote's seller {seller}", caller=A, seller=A
    ),
    "FinancingSellerNotHolder": _m(
        errors.NotHolder, "{seller} does not hold note {tokenId}", tokenId=TOK, seller=A, holder=H
    ),
    "FinancingInvalidSignature": _m(
        errors.InvalidSignature, "the quote is not signed by financier {financier}", financier=A, recovered=H
    ),
    "FinancingQuoteExpired": _m(errors.QuoteExpired, "the quote expired at {expiry}", expiry=T, nowAt=T),
    "FinancingNonceUsed": _m(errors.QuoteAlreadyUsed, "the quote was used already", financier=A, nonce=H),
    "FinancingCashTokenMismatch": _m(
        errors.WrongCurrency,
        "the quote pays in {given}, the voucher in {expected} ({currency})",
        currency=CUR,
        expected=A,
        given=A,
    ),
    "FinancingVoucherNotActive": _VOUCHER_STILL,
    "FinancingVoucherMatured": _m(
        errors.VoucherMatured,
        "voucher {slot} matured at {maturityAt}: it cannot be financed",
        slot=VOU,
        maturityAt=T,
        nowAt=T,
    ),
    "FinancingInvalidPrice": _m(
        errors.InvalidAmount, "price {price} is not positive or exceeds the value {value}", price=V, value=V
    ),
    "FinancingInvalidLogisticsTerms": _m(
        errors.InvalidRequest,
        "the quote requires milestone {requiredMilestone} and caps the financed share at "
        "{maxFinancedShareBps} bps: at most 3 (delivered) and 10000 bps",
        requiredMilestone=N,
        maxFinancedShareBps=N,
    ),
    "FinancingMilestoneNotReached": _m(
        errors.MilestoneNotReached,
        "voucher {slot} has reached {current}; the quote requires {required}",
        slot=VOU,
        required=MIL,
        current=MIL,
    ),
    # What others financed of the voucher is theirs: the seller learns only its quote's cap.
    "FinancingShareCapExceeded": _m(
        errors.FinancedShareExceeded,
        "financing {value} more of voucher {slot}, {financed} financed already, exceeds the quote's cap "
        "of {cap} before delivery",
        "financing {value} more of voucher {slot} exceeds the quote's cap of {cap} before delivery",
        {"financed": None},
        slot=VOU,
        financed=V,
        value=V,
        cap=V,
    ),
    # EarlyPaymentProgram (a price is in value units; budgets and payments in cash)
    "EarlyPaymentZeroAddress": _ZERO_ADDRESS,
    "EarlyPaymentCallerNotObligor": _CALLER_NOT_OBLIGOR,
    "EarlyPaymentVoucherNotActive": _VOUCHER_STILL,
    "EarlyPaymentInvalidCutoff": _m(
        errors.InvalidCutoff,
        "the cut-off {cutoffAt} must lie after {nowAt} and no later than maturity {maturityAt}",
        cutoffAt=T,
        nowAt=T,
        maturityAt=T,
    ),
    "EarlyPaymentInvalidRate": _m(errors.InvalidRequest, "rate {rateBps} bps is outside 1..10000", rateBps=N),
    "EarlyPaymentInvalidQuoting": _m(
        errors.InvalidRequest, "quoting {quoting} is neither discount (0) nor yield (1)", quoting=N
    ),
    "EarlyPaymentZeroBudget": _m(errors.AmountNotPositive, "the budget must be greater than zero"),
    "EarlyPaymentUnknownProgramme": _m(
        errors.ProgrammeNotFound, "programme {programmeId} does not exist", programmeId=N
    ),
    "EarlyPaymentProgrammeNotOpen": _m(
        errors.ProgrammeClosed, "programme {programmeId} is closed", programmeId=N
    ),
    "EarlyPaymentCutoffPassed": _m(
        errors.ProgrammeCutoffPassed, "the programme's cut-off {cutoffAt} has passed", cutoffAt=T, nowAt=T
    ),
    "EarlyPaymentCallerNotHolder": _CALLER_NOT_HOLDER,
    "EarlyPaymentHolderNotVerified": _HOLDER_NOT_VERIFIED,
    "EarlyPaymentHolderFrozen": _HOLDER_FROZEN,
    "EarlyPaymentSlotMismatch": _m(
        errors.SlotMismatch,
        "note {tokenId} belongs to voucher {tokenSlot}, the programme to voucher {programmeSlot}",
        tokenId=TOK,
        tokenSlot=VOU,
        programmeSlot=VOU,
    ),
    "EarlyPaymentInvalidValue": _m(
        errors.AmountNotUnitMultiple, "{value} is not a positive multiple of {unit}", value=V, unit=V
    ),
    "EarlyPaymentInsufficientValue": _m(
        errors.InsufficientValue,
        "note {tokenId} holds {balance}, needs {value}",
        "note {tokenId} holds less than {value}",
        {"balance": "tokenId"},
        tokenId=TOK,
        balance=V,
        value=V,
    ),
    "EarlyPaymentZeroPrice": _m(
        errors.InvalidAmount, "{value} would be paid nothing after {days_} days", value=V, days_=N
    ),
    "EarlyPaymentBudgetExceeded": _m(
        errors.BudgetExceeded,
        "programme {programmeId} has {remaining} left, needs {needed}",
        programmeId=N,
        remaining=C,
        needed=C,
    ),
    # SettlementVault (what is owed is converted to cash at the round's rate)
    "SettlementZeroAddress": _ZERO_ADDRESS,
    "SettlementInvalidTerms": _m(
        errors.InvalidRequest,
        "the grace period {graceSeconds} must be shorter than the default period {defaultAfterSeconds}",
        graceSeconds=S,
        defaultAfterSeconds=S,
    ),
    "SettlementUnknownVoucher": _UNKNOWN_VOUCHER,
    "SettlementUnknownToken": _UNKNOWN_TOKEN,
    "SettlementCallerNotObligor": _CALLER_NOT_OBLIGOR,
    "SettlementCallerNotHolder": _CALLER_NOT_HOLDER,
    "SettlementHolderNotVerified": _HOLDER_NOT_VERIFIED,
    "SettlementHolderFrozen": _HOLDER_FROZEN,
    "SettlementPieceFrozen": _NOTE_FROZEN,
    "SettlementZeroAmount": _ZERO_AMOUNT,
    "SettlementVoucherSettled": _m(errors.VoucherNotActive, "voucher {slot} is settled already", slot=VOU),
    "SettlementOverfunded": _m(
        errors.SettlementOverfunded,
        "funding voucher {slot} would leave {availableAfter} to pay, more than the {outstandingCash} it owes",
        slot=VOU,
        outstandingCash=C,
        availableAfter=C,
    ),
    "SettlementNotMatured": _m(
        errors.SettlementNotMatured,
        "the voucher matures at {maturityAt}; now is {nowAt}",
        maturityAt=T,
        nowAt=T,
    ),
    "SettlementNotFunded": _m(
        errors.SettlementNotFunded, "voucher {slot} has no settlement cash available", slot=VOU
    ),
    "SettlementSlotMismatch": _m(
        errors.SlotMismatch,
        "note {tokenId} belongs to voucher {tokenSlot}, not {slot}",
        tokenId=TOK,
        tokenSlot=VOU,
        slot=VOU,
    ),
    "SettlementAlreadyPaidInRound": _m(
        errors.NothingToClaim, "note {tokenId} was paid in round {round} already", tokenId=TOK, round=N
    ),
    "SettlementTokenNewerThanRound": _m(
        errors.NothingToClaim, "note {tokenId} waits for the next round", tokenId=TOK, round=N
    ),
    "SettlementNoOpenRound": _m(errors.Conflict, "voucher {slot} has no open distribution round", slot=VOU),
    "SettlementNothingToClaim": _m(
        errors.NothingToClaim, "note {tokenId} has nothing to be paid", tokenId=TOK, value=H
    ),
    "SettlementNoExcess": _m(errors.Conflict, "voucher {slot} holds no excess settlement cash", slot=VOU),
    # YieldToken (one per offering; a token is one minor unit of the voucher's face value: VALUE)
    "YieldTokenAlreadyInitialized": _m(errors.Conflict, "the yield token is set up already"),
    "YieldTokenCallerNotVault": _m(
        errors.Forbidden,
        "{caller} is not the offering vault, which alone mints and burns yield tokens",
        caller=A,
    ),
    "YieldTokenZeroAddress": _ZERO_ADDRESS,
    "YieldTokenZeroAmount": _ZERO_AMOUNT,
    "YieldTokenFrozen": _m(
        errors.ParticipantFrozen,
        "{account} is frozen on the yield token: it sends and receives nothing",
        account=A,
    ),
    "YieldTokenInsufficientUnfrozen": _m(
        errors.ValueFrozen,
        "{account} holds only {unfrozen} of yield tokens that are not frozen: {amount} cannot move",
        "{account} does not hold {amount} of yield tokens that are not frozen",
        {"unfrozen": "account"},
        account=A,
        unfrozen=V,
        amount=V,
    ),
    # Freezing and unfreezing are the compliance agent's alone, and it sees every holding: no withholding.
    "YieldTokenFreezeExceedsBalance": _m(
        errors.InsufficientValue,
        "{account} holds {unfrozen} of yield tokens not frozen, less than the {amount} to freeze",
        account=A,
        unfrozen=V,
        amount=V,
    ),
    "YieldTokenUnfreezeExceedsFrozen": _m(
        errors.InsufficientValue,
        "{account} has {frozen} of yield tokens frozen, less than the {amount} to unfreeze",
        account=A,
        frozen=V,
        amount=V,
    ),
    "YieldTokenNotVerified": _m(
        errors.ParticipantNotVerified, "{account} is not a verified participant", account=A
    ),
    "YieldTokenKycExpired": _m(
        errors.KycExpired,
        "the KYC of {account} expired at {kycExpiresAt}",
        "the KYC of {account} has expired",
        {"kycExpiresAt": "account"},
        account=A,
        kycExpiresAt=T,
    ),
    "YieldTokenCountryNotAllowed": _m(
        errors.CountryNotAllowed,
        "{account} is in {country}, not among the investor countries the offering allows",
        account=A,
        country=Kind.COUNTRY,
    ),
    "YieldTokenVaultNotRecipient": _m(
        errors.InvalidRequest,
        "yield tokens return to the offering only by withdrawal or redemption, never by transfer to {vault}",
        vault=A,
    ),
    "YieldTokenVaultAccount": _m(
        errors.InvalidRequest,
        "the offering's unsold tokens are controlled through the note piece backing them, not on the token",
        vault=A,
    ),
    "YieldTokenBatchLengthMismatch": _m(errors.InvalidRequest, "the batch's lists differ in length"),
    "YieldTokenRecoveryWalletInUse": _m(
        errors.WalletInUse,
        "{newWallet} cannot take over a lost wallet: it holds yield tokens, is that wallet or the "
        "offering vault",
        newWallet=A,
    ),
    "YieldTokenInvalidCountry": _m(
        errors.InvalidCountry,
        "{country} is not an assigned ISO 3166-1 alpha-2 country code, or is listed twice",
        country=Kind.COUNTRY,
    ),
    "YieldTokenTooManyCountries": _m(
        errors.InvalidRequest,
        "an offering allows at most {max} investor countries, not {count}",
        count=N,
        max=N,
    ),
    # OfferingVault (token amounts are face value, VALUE; prices and redemptions are cash, CASH)
    "OfferingZeroAddress": _ZERO_ADDRESS,
    "OfferingImplementationMismatch": _m(
        errors.InvalidRequest,
        "{implementation} is not a yield token of this note and forwarder",
        implementation=A,
    ),
    "OfferingUnknown": _m(errors.OfferingNotFound, "offering {offeringId} does not exist", offeringId=N),
    "OfferingUnknownListing": _m(errors.ListingNotFound, "listing {listingId} does not exist", listingId=N),
    "OfferingCallerNotHolder": _CALLER_NOT_HOLDER,
    "OfferingCallerNotSeller": _m(
        errors.Forbidden, "{caller} is not the offering's seller {seller}", caller=A, seller=A
    ),
    "OfferingCallerNotLister": _m(
        errors.Forbidden, "{caller} did not create the listing: {seller} did", caller=A, seller=A
    ),
    "OfferingSelfDealing": _m(errors.SelfTransfer, "{account} cannot buy its own tokens", account=A),
    "OfferingZeroAmount": _ZERO_AMOUNT,
    "OfferingCrossBorderVoucher": _m(
        errors.WrongCurrency,
        "voucher {slot} is denominated in {currency} and settled in {settlementCurrency}: "
        "only domestic vouchers can be offered",
        slot=VOU,
        currency=CUR,
        settlementCurrency=CUR,
    ),
    "OfferingVoucherNotActive": _m(errors.VoucherNotActive, "voucher {slot} no longer moves", slot=VOU),
    "OfferingMatured": _m(
        errors.VoucherMatured,
        "the voucher of offering {offeringId} matured at {maturityAt}: its tokens are only redeemed now",
        offeringId=N,
        maturityAt=T,
        nowAt=T,
    ),
    "OfferingNotMatured": _m(
        errors.SettlementNotMatured,
        "offering {offeringId} redeems from its voucher's maturity at {maturityAt}",
        offeringId=N,
        maturityAt=T,
        nowAt=T,
    ),
    "OfferingInvalidRate": _m(
        errors.InvalidRequest,
        "a rate of {rateBps} basis points exceeds the highest, {maxRateBps}",
        rateBps=N,
        maxRateBps=N,
    ),
    "OfferingRateTooHigh": _m(
        errors.InvalidRequest,
        "at {rateBps} basis points for {daysToMaturity} days (ACT/{dayCount}) the discount would take "
        "the whole value",
        rateBps=N,
        daysToMaturity=N,
        dayCount=N,
    ),
    "OfferingInvalidClose": _m(
        errors.InvalidCutoff,
        "an offering must close after {nowAt} and no later than its voucher's maturity {maturityAt}, "
        "not at {closesAt}",
        closesAt=T,
        nowAt=T,
        maturityAt=T,
    ),
    "OfferingInvalidMinimum": _m(
        errors.InvalidAmount,
        "the minimum subscription {minSubscription} exceeds the {value} offered",
        minSubscription=V,
        value=V,
    ),
    "OfferingNotOpen": _m(
        errors.OfferingNotOpen,
        "offering {offeringId} takes no subscriptions (closed by its seller, or since {closesAt})",
        offeringId=N,
        closesAt=T,
    ),
    "OfferingInsufficientSupply": _m(
        errors.InsufficientValue,
        "offering {offeringId} has {unsold} unsold, less than {amount}",
        offeringId=N,
        unsold=V,
        amount=V,
    ),
    "OfferingBelowMinimum": _m(
        errors.BelowMinimumSubscription,
        "{amount} is below offering {offeringId}'s minimum subscription of {minimum}",
        offeringId=N,
        amount=V,
        minimum=V,
    ),
    "OfferingZeroPrice": _m(
        errors.InvalidAmount, "{amount} is too small: its price rounds to zero", amount=V
    ),
    "OfferingPriceAboveMax": _m(
        errors.PriceAboveLimit, "the price is {cash}, above the limit of {maxCash}", cash=C, maxCash=C
    ),
    "OfferingInsufficientTokens": _m(
        errors.InsufficientValue,
        "{holder} holds {balance} of yield tokens, less than the {amount} listed",
        "{holder} does not hold the {amount} of yield tokens listed",
        {"balance": "holder"},
        holder=A,
        balance=V,
        amount=V,
    ),
    "OfferingListingInactive": _m(
        errors.ListingInactive, "listing {listingId} is filled or cancelled", listingId=N
    ),
    "OfferingListingInsufficient": _m(
        errors.InsufficientValue,
        "listing {listingId} has {remaining} left, less than {amount}",
        listingId=N,
        remaining=V,
        amount=V,
    ),
    "OfferingNothingToRedeem": _m(
        errors.NothingToClaim,
        "{holder} has nothing to redeem in offering {offeringId} now",
        offeringId=N,
        holder=A,
    ),
    "OfferingHolderNotVerified": _HOLDER_NOT_VERIFIED,
    "OfferingNotSettled": _m(
        errors.OfferingNotSettled,
        "offering {offeringId} still waits for {noteValue} of its backing to be paid",
        offeringId=N,
        noteValue=V,
    ),
    "OfferingNoResidual": _m(
        errors.Conflict, "offering {offeringId} has no cash left over to sweep", offeringId=N
    ),
    # OpenZeppelin tokens
    "ERC20InsufficientBalance": _m(
        errors.InsufficientCash,
        "{sender} holds {balance} of cash, needs {needed}",
        "{sender} does not hold the {needed} of cash this needs",
        {"balance": "sender"},
        sender=A,
        balance=C,
        needed=C,
    ),
    "ERC20InsufficientAllowance": _m(
        errors.Forbidden,
        "{spender} may take only {allowance} of cash, needs {needed}",
        "{spender} may not take the {needed} of cash this needs",
        {"allowance": None},
        spender=A,
        allowance=C,
        needed=C,
    ),
    "ERC20InvalidSender": _m(errors.InvalidRequest, "{sender} cannot send cash", sender=A),
    "ERC20InvalidReceiver": _m(errors.InvalidRequest, "{receiver} cannot receive cash", receiver=A),
    "ERC20InvalidApprover": _m(errors.InvalidRequest, "{approver} cannot approve", approver=A),
    "ERC20InvalidSpender": _m(errors.InvalidRequest, "{spender} cannot be approved", spender=A),
    "SafeERC20FailedOperation": _m(errors.ChainRejected, "cash token {token} refused the transfer", token=A),
    "SafeERC20FailedDecreaseAllowance": _m(
        errors.ChainRejected,
        "the allowance of {spender} cannot go below zero",
        spender=A,
        currentAllowance=H,
        requestedDecrease=H,
    ),
    # OpenZeppelin
    "EnforcedPause": _m(errors.LedgerPaused, "the ledger is paused"),
    "ExpectedPause": _m(errors.LedgerNotPaused, "the ledger is not paused"),
    "AccessControlUnauthorizedAccount": _m(
        errors.Forbidden, "{account} lacks the role {neededRole}", account=A, neededRole=Kind.ROLE
    ),
    "AccessControlBadConfirmation": _m(
        errors.Forbidden, "renouncing a role must be confirmed by the account itself"
    ),
    "AccessControlEnforcedDefaultAdminDelay": _m(
        errors.Conflict, "the administrator role moves only after its delay, at {schedule}", schedule=T
    ),
    "AccessControlEnforcedDefaultAdminRules": _m(
        errors.Forbidden, "the administrator role moves only by its two-step, delayed transfer"
    ),
    "AccessControlInvalidDefaultAdmin": _m(
        errors.InvalidRequest, "{defaultAdmin} cannot become the administrator", defaultAdmin=A
    ),
    "ERC2771ForwarderInvalidSigner": _m(
        errors.InvalidSignature, "the request is not signed by {from}", **{"signer": H, "from": A}
    ),
    "ERC2771ForwarderExpiredRequest": _m(
        errors.RequestExpired, "the signed request expired at {deadline}", deadline=T
    ),
    "ERC2771ForwarderMismatchedValue": _m(
        errors.InvalidRequest, "the request's ether value does not match", requestedValue=H, msgValue=H
    ),
    "ERC2771ForwarderNoRefundReceiver": _m(errors.InvalidRequest, "a batch needs a refund receiver"),
    "ERC2771UntrustfulTarget": _m(
        errors.InvalidRequest, "{target} does not trust the forwarder {forwarder}", target=A, forwarder=A
    ),
    "InvalidAccountNonce": _m(
        errors.StaleRequest, "the signed request of {account} was used already", account=A, currentNonce=H
    ),
    "FailedCall": _m(errors.ChainRejected, "the forwarded call failed"),
    "ECDSAInvalidSignature": _m(errors.InvalidSignature, "invalid signature"),
    "ECDSAInvalidSignatureLength": _m(errors.InvalidSignature, "invalid signature length {length}", length=N),
    "ECDSAInvalidSignatureS": _m(errors.InvalidSignature, "invalid signature s value", s=H),
    "ReentrancyGuardReentrantCall": _m(errors.ChainRejected, "reentrant call"),
}

# Errors of libraries that only guard internal invariants: reaching one is a bug, but the caller still
# deserves a 4xx naming it rather than a 500 (without its arguments, which mean nothing to a client).
INTERNAL_ERRORS = {
    "Error",
    "Panic",
    "StringsInsufficientHexLength",
    "StringsInvalidChar",
    "StringsInvalidAddressFormat",
    "SafeCastOverflowedUintDowncast",
    "SafeCastOverflowedIntDowncast",
    "SafeCastOverflowedIntToUint",
    "SafeCastOverflowedUintToInt",
    "InvalidShortString",
    "StringTooLong",
    "InsufficientBalance",
    "FailedDeployment",
    "MissingPrecompile",
    "AddressEmptyCode",
    "EmptyArray",
    "ERC5267ExtensionsNotSupported",
    # OpenZeppelin Clones, as the market's vault clones each offering's yield token.
    "CloneArgumentsTooLong",
    "Create2EmptyBytecode",
}
# The contracts' own wiring: only the deployment meets these (a mismatched note extension, the extension
# or the limit module called by anyone but the note), never a request.
INTERNAL_ERRORS |= {"NoteExtensionMismatch", "NoteExtensionDirectCall", "LimitModuleCallerNotNote"}
# OpenZeppelin's IERC6093 declares ERC-721 and ERC-1155 errors next to the ERC-20 ones; Cascade's
# contracts never raise them (the note has its own errors), so they only need a generic meaning.
INTERNAL_ERRORS |= {
    "ERC721IncorrectOwner",
    "ERC721InsufficientApproval",
    "ERC721InvalidApprover",
    "ERC721InvalidOperator",
    "ERC721InvalidOwner",
    "ERC721InvalidReceiver",
    "ERC721InvalidSender",
    "ERC721NonexistentToken",
    "ERC1155InsufficientBalance",
    "ERC1155InvalidApprover",
    "ERC1155InvalidArrayLength",
    "ERC1155InvalidOperator",
    "ERC1155InvalidReceiver",
    "ERC1155InvalidSender",
    "ERC1155MissingApprovalForAll",
}


def decode_revert(
    catalog: ErrorCatalog, data: bytes, context: RevertContext | None = None
) -> errors.LedgerError:
    """The error of a revert's data, rendered with `context` (by default: no currency code, no
    participant ids, every party's figures withheld), carrying its raw form to render again."""
    decoded = catalog.decode(data) if data else None
    if decoded is None:
        return errors.ChainRejected("the chain rejected the transaction")
    name, args = decoded
    return render_revert(RawRevert(name, args), context or RevertContext(roles=catalog.role_names))


def render_revert(raw: RawRevert, context: RevertContext) -> errors.LedgerError:
    meaning = REVERT_MEANINGS.get(raw.name)
    if meaning is None:
        error: errors.LedgerError = errors.ChainRejected(
            f"the chain rejected the transaction: {raw.name}", error=raw.name
        )
    else:
        error = _render(meaning, raw, context)
    error.revert = raw
    return error


def _render(meaning: RevertMeaning, raw: RawRevert, context: RevertContext) -> errors.LedgerError:
    withheld = {
        figure for figure, owner in meaning.owners.items() if not _owned_by_caller(owner, raw, context)
    }
    template = meaning.withheld_message if withheld and meaning.withheld_message else meaning.message
    shown = {
        name: _show(kind, raw.args[name], context)
        for name, kind in meaning.kinds.items()
        if kind is not Kind.HIDDEN and name not in withheld and name in raw.args
    }
    words = {name: text for name, (text, _detail) in shown.items()}
    details: dict[str, Any] = {name: detail for name, (_text, detail) in shown.items()}
    amounts = {meaning.kinds[name] for name in shown if meaning.kinds[name] in AMOUNTS}
    for key, code in _currency_details(amounts, context).items():
        details.setdefault(key, code)  # an error's own `currency` argument says it already
    message = template.format_map(_Missing(words))
    return meaning.error(message, error=raw.name, **details)


def _currency_details(amounts: set[Kind], context: RevertContext) -> dict[str, str]:
    """The currency of the amounts an error shows, as `details` names it: `currency` when they share
    one; else `currency` for the value and `cash_currency` for the cash."""
    if not amounts:
        return {}
    codes = {context.currency_of(kind) for kind in amounts}
    if len(codes) == 1:
        code = codes.pop()
        return {"currency": code} if code else {}
    named = {"currency": context.currency_of(Kind.VALUE), "cash_currency": context.currency_of(Kind.CASH)}
    return {key: code for key, code in named.items() if code}


class _Missing(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "?"


def _owned_by_caller(owner: str | None, raw: RawRevert, context: RevertContext) -> bool:
    if owner is None or context.caller is None:
        return False
    value = raw.args.get(owner)
    address = context.holder_of(int(value)) if isinstance(value, int) else value
    return isinstance(address, str) and address.lower() == context.caller.lower()


def _show(kind: Kind, value: Any, context: RevertContext) -> tuple[str, Any]:
    """A value as the message says it, and as `details` carries it."""
    if kind in AMOUNTS:
        currency = CURRENCIES.get(context.currency_of(kind) or "", Currency("", NOTE_VALUE_DECIMALS))
        amount = format_minor(int(value), currency)
        return (f"{amount} {currency.code}" if currency.code else amount), amount
    if kind is Kind.ACCOUNT:
        who = context.account(str(value))
        if isinstance(who, int):
            return f"participant {who}", who
        return (who or "an account outside the ledger"), who
    if kind is Kind.TIME:
        stamp = _iso(int(value))
        return stamp, stamp
    if kind is Kind.SECONDS:
        return f"{int(value)} seconds", int(value)
    if kind in (Kind.CURRENCY, Kind.COUNTRY):
        code = bytes_text(str(value))
        if code is None:
            return "an unreadable code", None
        return (code or "an empty code"), code
    if kind is Kind.MILESTONE:
        return _milestone(int(value))
    if kind is Kind.ROLE:
        role = context.roles.get(str(value).lower(), "a role")
        return role, role
    return str(int(value)), int(value)


def bytes_text(value: str) -> str | None:
    """The text of a fixed-size bytes value (0x-hex) holding ASCII right-padded with NULs, as currency
    codes (bytes8), countries (bytes2) and reason codes (bytes32) are: b"sanctions" -> "sanctions".
    None if it holds anything else (a hash, control characters)."""
    try:
        text = bytes.fromhex(value.removeprefix("0x")).rstrip(b"\0")
    except ValueError:
        return None
    return text.decode() if all(0x20 <= byte < 0x7F for byte in text) else None


def _milestone(number: int) -> tuple[str, str | int | None]:
    if number == 0:
        return "no milestone", None
    name = MILESTONES.get(number)
    return (name, name) if name else (f"milestone {number}", number)


def _iso(seconds: int) -> str:
    try:
        return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")
    except (OverflowError, OSError, ValueError):  # beyond what a date can say (the year 10000 and on)
        return "a time beyond the year 9999"
