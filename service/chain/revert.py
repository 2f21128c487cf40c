"""Solidity custom errors → `LedgerError`s of the same meaning.

Every custom error in the compiled ABIs has an entry here; a test fails when a new one is added to
the contracts without one, so clients never see a bare "execution reverted".
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from service import errors
from service.chain.abi import ErrorCatalog

ErrorFactory = Callable[[str, dict[str, Any]], errors.LedgerError]


def _as(kind: type[errors.LedgerError], message: str) -> ErrorFactory:
    def build(name: str, args: dict[str, Any]) -> errors.LedgerError:
        text = message.format_map(defaultdict(lambda: "?", args))
        return kind(text, error=name, **{k: v for k, v in args.items() if k != "error"})

    return build


REVERT_MEANINGS: dict[str, ErrorFactory] = {
    # ReceivableNote
    "NoteNonexistentToken": _as(errors.NoteNotFound, "note {tokenId} does not exist"),
    "NoteInsufficientValue": _as(
        errors.InsufficientValue, "note {tokenId} holds {balance}, needs {needed} (minor units)"
    ),
    # Without an allowance the caller is simply not the holder: same code as the API's own check.
    "NoteInsufficientAllowance": _as(
        errors.NotHolder, "{operator} does not hold note {tokenId} and may move only {allowance} of it"
    ),
    "NoteUnauthorized": _as(errors.NotHolder, "{operator} neither holds nor is approved for note {tokenId}"),
    "NoteZeroValue": _as(errors.AmountNotPositive, "amount must be greater than zero"),
    "NoteValueNotUnitMultiple": _as(
        errors.AmountNotUnitMultiple,
        "{value} is not a multiple of voucher {slot}'s unit {unit} (minor units)",
    ),
    "NoteSlotMismatch": _as(
        errors.SlotMismatch, "value cannot move from voucher {fromSlot} to voucher {toSlot}"
    ),
    "NoteSameToken": _as(errors.SelfTransfer, "note {tokenId} cannot transfer value into itself"),
    "NoteParticipantNotVerified": _as(
        errors.ParticipantNotVerified, "{account} is not a verified participant"
    ),
    "NoteSelfTransfer": _as(errors.SelfTransfer, "{account} already holds the note"),
    "NoteInvalidReceiver": _as(errors.ParticipantNotEligible, "{receiver} does not accept notes"),
    "NoteZeroAddress": _as(errors.InvalidRequest, "the zero address is not an account"),
    "NoteWrongHolder": _as(errors.NotHolder, "{from} is not the holder {owner}"),
    "NoteApprovalToHolder": _as(errors.InvalidRequest, "{holder} cannot approve itself"),
    "NoteEtherNotAccepted": _as(errors.InvalidRequest, "notes accept no ether"),
    "NoteMaturityInPast": _as(errors.MaturityInPast, "maturity {maturityAt} is not after {nowAt}"),
    "NoteMaturityTooFar": _as(errors.MaturityTooFar, "maturity {maturityAt} is after {latestAt}"),
    "NoteInvalidFaceValue": _as(errors.InvalidAmount, "face value {faceValue} is invalid for unit {unit}"),
    "NoteInvalidUnit": _as(errors.InvalidAmount, "minimum split unit {unit} is invalid"),
    "NoteUnknownVoucher": _as(errors.VoucherNotFound, "voucher {slot} does not exist"),
    "NoteVoucherNotActive": _as(errors.VoucherNotActive, "voucher {slot} no longer moves"),
    "NoteLineageTooDeep": _as(
        errors.InvalidRequest, "note {tokenId} cannot be split further (depth {depth})"
    ),
    "NoteVoucherMatured": _as(
        errors.VoucherMatured, "voucher {slot} matured at {maturityAt}: its pieces no longer move"
    ),
    # ParticipantRegistry
    "RegistryZeroAddress": _as(errors.InvalidRequest, "the zero address cannot be a participant"),
    "RegistryAlreadyVerified": _as(errors.ParticipantAlreadyExists, "{account} is verified already"),
    "RegistryNotVerified": _as(errors.ParticipantNotVerified, "{account} is not verified"),
    # Settlement cash and its directory
    "CashZeroAddress": _as(errors.InvalidRequest, "the zero address is not an account"),
    "CashZeroAmount": _as(errors.AmountNotPositive, "amount must be greater than zero"),
    "CashInvalidCurrency": _as(errors.WrongCurrency, "the currency code is empty"),
    "CashInvalidToken": _as(errors.WrongCurrency, "{token} is not a settlement token"),
    "CashDecimalsMismatch": _as(
        errors.WrongCurrency, "{token} has {tokenDecimals} decimals, notes {noteDecimals}"
    ),
    "CashTokenNotRegistered": _as(errors.WrongCurrency, "no settlement cash is registered for the currency"),
    "DiscountMathInvalidBasis": _as(
        errors.InvalidRequest, "day-count basis {basisDays} is neither 360 nor 365"
    ),
    "DiscountMathDiscountExceedsValue": _as(
        errors.InvalidAmount, "the discount {discount} exceeds the value {value}"
    ),
    # FinancingDesk
    "FinancingZeroAddress": _as(errors.InvalidRequest, "the zero address is not an account"),
    "FinancingCallerNotSeller": _as(errors.Forbidden, "{caller} is not the quote's seller {seller}"),
    "FinancingSellerNotHolder": _as(errors.NotHolder, "{seller} does not hold note {tokenId}"),
    "FinancingInvalidSignature": _as(
        errors.InvalidSignature, "the quote is not signed by financier {financier}"
    ),
    "FinancingQuoteExpired": _as(errors.QuoteExpired, "the quote expired at {expiry}"),
    "FinancingNonceUsed": _as(errors.QuoteAlreadyUsed, "quote nonce {nonce} of {financier} was used already"),
    "FinancingCashTokenMismatch": _as(
        errors.WrongCurrency, "the quote pays in {given}, the voucher in {expected}"
    ),
    "FinancingVoucherNotActive": _as(errors.VoucherNotActive, "voucher {slot} no longer moves"),
    "FinancingVoucherMatured": _as(
        errors.VoucherMatured, "voucher {slot} matured at {maturityAt}: it cannot be financed"
    ),
    "FinancingInvalidPrice": _as(
        errors.InvalidAmount, "price {price} is not between 1 and the value {value}"
    ),
    # EarlyPaymentProgram
    "EarlyPaymentZeroAddress": _as(errors.InvalidRequest, "the zero address is not an account"),
    "EarlyPaymentCallerNotObligor": _as(errors.NotObligor, "{caller} is not the voucher's obligor {obligor}"),
    "EarlyPaymentVoucherNotActive": _as(errors.VoucherNotActive, "voucher {slot} no longer moves"),
    "EarlyPaymentInvalidCutoff": _as(
        errors.InvalidCutoff, "cut-off {cutoffAt} must lie between now and maturity"
    ),
    "EarlyPaymentInvalidRate": _as(errors.InvalidRequest, "rate {rateBps} bps is outside 1..10000"),
    "EarlyPaymentInvalidQuoting": _as(
        errors.InvalidRequest, "quoting {quoting} is neither discount nor yield"
    ),
    "EarlyPaymentZeroBudget": _as(errors.AmountNotPositive, "the budget must be greater than zero"),
    "EarlyPaymentUnknownProgramme": _as(errors.ProgrammeNotFound, "programme {programmeId} does not exist"),
    "EarlyPaymentProgrammeNotOpen": _as(errors.ProgrammeClosed, "programme {programmeId} is closed"),
    "EarlyPaymentCutoffPassed": _as(
        errors.ProgrammeCutoffPassed, "the programme's cut-off {cutoffAt} has passed"
    ),
    "EarlyPaymentCallerNotHolder": _as(errors.NotHolder, "{caller} does not hold note {tokenId}"),
    "EarlyPaymentHolderNotVerified": _as(
        errors.ParticipantNotVerified, "{holder} is not a verified participant"
    ),
    "EarlyPaymentSlotMismatch": _as(errors.SlotMismatch, "note {tokenId} belongs to another voucher"),
    "EarlyPaymentInvalidValue": _as(
        errors.AmountNotUnitMultiple, "{value} is not a positive multiple of {unit}"
    ),
    "EarlyPaymentInsufficientValue": _as(
        errors.InsufficientValue, "note {tokenId} holds {balance}, needs {value}"
    ),
    "EarlyPaymentZeroPrice": _as(errors.InvalidAmount, "{value} would be paid nothing after {days_} days"),
    "EarlyPaymentBudgetExceeded": _as(
        errors.BudgetExceeded, "the programme has {remaining} left, needs {needed}"
    ),
    # SettlementVault
    "SettlementZeroAddress": _as(errors.InvalidRequest, "the zero address is not an account"),
    "SettlementInvalidTerms": _as(
        errors.InvalidRequest, "grace {graceSeconds}s must precede default {defaultAfterSeconds}s"
    ),
    "SettlementUnknownVoucher": _as(errors.VoucherNotFound, "voucher {slot} does not exist"),
    "SettlementUnknownToken": _as(errors.NoteNotFound, "note {tokenId} does not exist"),
    "SettlementCallerNotObligor": _as(errors.NotObligor, "{caller} is not the voucher's obligor {obligor}"),
    "SettlementCallerNotHolder": _as(errors.NotHolder, "{caller} does not hold note {tokenId}"),
    "SettlementHolderNotVerified": _as(
        errors.ParticipantNotVerified, "{holder} is not a verified participant"
    ),
    "SettlementZeroAmount": _as(errors.AmountNotPositive, "amount must be greater than zero"),
    "SettlementVoucherSettled": _as(errors.VoucherNotActive, "voucher {slot} is settled already"),
    "SettlementOverfunded": _as(
        errors.SettlementOverfunded, "funding would exceed the outstanding {outstanding}"
    ),
    "SettlementNotMatured": _as(
        errors.SettlementNotMatured, "the voucher matures at {maturityAt}; now is {nowAt}"
    ),
    "SettlementNotFunded": _as(errors.SettlementNotFunded, "voucher {slot} has no settlement cash available"),
    "SettlementSlotMismatch": _as(
        errors.SlotMismatch, "note {tokenId} belongs to voucher {tokenSlot}, not {slot}"
    ),
    "SettlementAlreadyPaidInRound": _as(
        errors.NothingToClaim, "note {tokenId} was paid in round {round} already"
    ),
    "SettlementTokenNewerThanRound": _as(errors.NothingToClaim, "note {tokenId} waits for the next round"),
    "SettlementNoOpenRound": _as(errors.Conflict, "voucher {slot} has no open distribution round"),
    "SettlementNothingToClaim": _as(errors.NothingToClaim, "note {tokenId} has nothing to be paid"),
    "SettlementNoExcess": _as(errors.Conflict, "voucher {slot} holds no excess settlement cash"),
    # OpenZeppelin tokens
    "ERC20InsufficientBalance": _as(errors.InsufficientCash, "{sender} holds {balance} cash, needs {needed}"),
    "ERC20InsufficientAllowance": _as(
        errors.Forbidden, "{spender} may take {allowance} cash, needs {needed}"
    ),
    "ERC20InvalidSender": _as(errors.InvalidRequest, "{sender} cannot send cash"),
    "ERC20InvalidReceiver": _as(errors.InvalidRequest, "{receiver} cannot receive cash"),
    "ERC20InvalidApprover": _as(errors.InvalidRequest, "{approver} cannot approve"),
    "ERC20InvalidSpender": _as(errors.InvalidRequest, "{spender} cannot be approved"),
    "SafeERC20FailedOperation": _as(errors.ChainRejected, "cash token {token} refused the transfer"),
    "SafeERC20FailedDecreaseAllowance": _as(
        errors.ChainRejected, "allowance of {spender} cannot go below {currentAllowance}"
    ),
    # OpenZeppelin
    "EnforcedPause": _as(errors.LedgerPaused, "the ledger is paused"),
    "ExpectedPause": _as(errors.Conflict, "the ledger is not paused"),
    "AccessControlUnauthorizedAccount": _as(errors.Forbidden, "{account} lacks role {neededRole}"),
    "AccessControlBadConfirmation": _as(
        errors.Forbidden, "role renouncement must be confirmed by the caller"
    ),
    "ERC2771ForwarderInvalidSigner": _as(
        errors.InvalidSignature, "request signed by {signer}, not by {from}"
    ),
    "ERC2771ForwarderExpiredRequest": _as(errors.RequestExpired, "signed request expired at {deadline}"),
    "ERC2771ForwarderMismatchedValue": _as(
        errors.InvalidRequest, "request value {requestedValue} != {msgValue}"
    ),
    "ERC2771ForwarderNoRefundReceiver": _as(errors.InvalidRequest, "batch needs a refund receiver"),
    "ERC2771UntrustfulTarget": _as(errors.InvalidRequest, "{target} does not trust forwarder {forwarder}"),
    "InvalidAccountNonce": _as(errors.StaleRequest, "nonce {currentNonce} of {account} was used already"),
    "FailedCall": _as(errors.ChainRejected, "the forwarded call failed"),
    "ECDSAInvalidSignature": _as(errors.InvalidSignature, "invalid signature"),
    "ECDSAInvalidSignatureLength": _as(errors.InvalidSignature, "invalid signature length {length}"),
    "ECDSAInvalidSignatureS": _as(errors.InvalidSignature, "invalid signature s value"),
    "ReentrancyGuardReentrantCall": _as(errors.ChainRejected, "reentrant call"),
}

# Errors of libraries that only guard internal invariants: reaching one is a bug, but the caller still
# deserves a 4xx naming it rather than a 500.
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
}
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


def decode_revert(catalog: ErrorCatalog, data: bytes) -> errors.LedgerError:
    decoded = catalog.decode(data) if data else None
    if decoded is None:
        return errors.ChainRejected("the chain rejected the transaction", revert_data=data)
    name, args = decoded
    meaning = REVERT_MEANINGS.get(name)
    if meaning is None:
        return errors.ChainRejected(f"the chain rejected the transaction: {name}", error=name, **args)
    return meaning(name, args)
