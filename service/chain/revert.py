"""Solidity custom errors → `LedgerError`s of the same meaning.

Every custom error in the compiled ABIs has an entry here; a test fails when a new one is added to
the contracts without one, so clients never see a bare "execution reverted".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from service import errors
from service.chain.abi import ErrorCatalog

ErrorFactory = Callable[[str, dict[str, Any]], errors.LedgerError]


def _as(kind: type[errors.LedgerError], message: str) -> ErrorFactory:
    def build(name: str, args: dict[str, Any]) -> errors.LedgerError:
        return kind(message.format(**args), error=name, **{k: v for k, v in args.items() if k != "error"})

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
    "NoteInvalidFaceValue": _as(errors.InvalidAmount, "face value {faceValue} is invalid for unit {unit}"),
    "NoteInvalidUnit": _as(errors.InvalidAmount, "minimum split unit {unit} is invalid"),
    "NoteUnknownVoucher": _as(errors.VoucherNotFound, "voucher {slot} does not exist"),
    "NoteVoucherNotActive": _as(errors.VoucherNotActive, "voucher {slot} no longer moves"),
    "NoteLineageTooDeep": _as(
        errors.InvalidRequest, "note {tokenId} cannot be split further (depth {depth})"
    ),
    # ParticipantRegistry
    "RegistryZeroAddress": _as(errors.InvalidRequest, "the zero address cannot be a participant"),
    "RegistryAlreadyVerified": _as(errors.ParticipantAlreadyExists, "{account} is verified already"),
    "RegistryNotVerified": _as(errors.ParticipantNotVerified, "{account} is not verified"),
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


def decode_revert(catalog: ErrorCatalog, data: bytes) -> errors.LedgerError:
    decoded = catalog.decode(data) if data else None
    if decoded is None:
        return errors.ChainRejected("the chain rejected the transaction", revert_data=data)
    name, args = decoded
    meaning = REVERT_MEANINGS.get(name)
    if meaning is None:
        return errors.ChainRejected(f"the chain rejected the transaction: {name}", error=name, **args)
    return meaning(name, args)
