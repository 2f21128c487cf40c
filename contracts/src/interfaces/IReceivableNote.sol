// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Cascade receivable notes: the voucher (slot) and lineage layer on top of ERC-3525
/// @dev The vocabulary (types, events, errors); the note's functions are declared in ICascadeNote.
/// @notice One slot per e-debt voucher issued by an obligor; a token's value is an amount of the
///         voucher's denomination currency in minor units. Every token created by a split remembers
///         its parent, the voucher's root token and its depth, so any piece traces back to the issuance.
///         A voucher is *cross-border* when its settlement currency differs from its denomination
///         currency (model 3: denominated in USD, settled in e-CNY at an oracle's rate); payments of a
///         domestic voucher are made in the denomination currency itself.
interface IReceivableNote {
    /// @notice Lifecycle of a voucher. Only `Active` vouchers move.
    enum VoucherStatus {
        None,
        Active,
        Redeemed
    }

    /// @notice A voucher as stored on chain (four storage words). Amounts are minor units of `currency`.
    ///         `paused`: the pauser stopped every movement of this voucher; `transferCap`: the largest
    ///         value one transfer between two holders may carry (0: no cap); `settlementCurrency`: the
    ///         currency its payments are made in (equal to `currency` for a domestic voucher).
    struct Voucher {
        address obligor;
        uint40 issuedAt;
        uint40 maturityAt;
        VoucherStatus status;
        bool paused;
        uint96 faceValue;
        uint96 unit;
        bytes8 currency;
        uint96 redeemedValue;
        uint96 transferCap;
        bytes8 settlementCurrency;
        bytes32 documentHash;
    }

    /// @notice Emitted after a voucher was issued as slot `slot` with its whole face value in `tokenId`.
    event VoucherIssued(
        uint256 indexed slot,
        address indexed obligor,
        address indexed holder,
        uint256 tokenId,
        bytes8 currency,
        bytes8 settlementCurrency,
        uint256 faceValue,
        uint256 unit,
        uint256 maturityAt,
        uint256 transferCap,
        bytes32 documentHash
    );

    /// @notice Emitted after `tokenId` was split off `parentTokenId`; `depth` counts splits since the root.
    event NoteSplit(uint256 indexed parentTokenId, uint256 indexed tokenId, uint256 rootTokenId, uint256 depth);

    /// @notice Emitted after `value` of `tokenId` was redeemed (paid out or discounted) and burned.
    event NoteRedeemed(uint256 indexed slot, uint256 indexed tokenId, address indexed redeemer, uint256 value);

    /// @notice Emitted after every unit of a voucher has been redeemed.
    event VoucherRedeemed(uint256 indexed slot);

    /// @dev `tokenId` was never minted, or has been burned.
    error NoteNonexistentToken(uint256 tokenId);
    /// @dev `tokenId` holds `balance`, less than the `needed` value.
    error NoteInsufficientValue(uint256 tokenId, uint256 balance, uint256 needed);
    /// @dev `operator` may move only `allowance` of `tokenId`, less than `needed` (a zero-value move by a
    ///      spender needs a non-zero allowance).
    error NoteInsufficientAllowance(uint256 tokenId, address operator, uint256 allowance, uint256 needed);
    /// @dev `operator` is neither the holder of `tokenId` nor approved for it.
    error NoteUnauthorized(address operator, uint256 tokenId);
    /// @dev A redemption, forced transfer or freeze of zero value was requested.
    error NoteZeroValue();
    /// @dev `value` is not a whole multiple of the voucher's minimum split unit `unit`.
    error NoteValueNotUnitMultiple(uint256 slot, uint256 value, uint256 unit);
    /// @dev Value can move only between tokens of one slot.
    error NoteSlotMismatch(uint256 fromSlot, uint256 toSlot);
    /// @dev A token cannot send value to itself.
    error NoteSameToken(uint256 tokenId);
    /// @dev `account` is not a verified participant (no record, or its record is not verified).
    error NoteParticipantNotVerified(address account);
    /// @dev `account`'s record is verified but its KYC expired at `kycExpiresAt`.
    error NoteParticipantKycExpired(address account, uint256 kycExpiresAt);
    /// @dev `account` already holds the token (whole-token transfer to its own holder).
    error NoteSelfTransfer(address account);
    /// @dev The receiving contract `receiver` rejected the token or value.
    error NoteInvalidReceiver(address receiver);
    /// @dev The zero address was given where an account is needed.
    error NoteZeroAddress();
    /// @dev `from` is not the holder `owner` of the token.
    error NoteWrongHolder(address from, address owner);
    /// @dev An approval to the holder itself.
    error NoteApprovalToHolder(address holder);
    /// @dev `caller` is neither `owner` nor an operator for all of `owner`'s tokens.
    error NoteSlotApprovalUnauthorized(address caller, address owner);
    /// @dev Ether was sent to a function that never needs it.
    error NoteEtherNotAccepted(uint256 amount);
    /// @dev The maturity `maturityAt` is not after the current time `nowAt`.
    error NoteMaturityInPast(uint256 maturityAt, uint256 nowAt);
    /// @dev The maturity `maturityAt` is beyond `latestAt`, the last second a voucher stores (uint40).
    error NoteMaturityTooFar(uint256 maturityAt, uint256 latestAt);
    /// @dev The face value is zero, above the supported maximum, or not a multiple of the unit.
    error NoteInvalidFaceValue(uint256 faceValue, uint256 unit);
    /// @dev The minimum split unit is zero.
    error NoteInvalidUnit(uint256 unit);
    /// @dev A currency code is zero.
    error NoteInvalidCurrency(bytes8 currency, bytes8 settlementCurrency);
    /// @dev No voucher was issued as `slot`.
    error NoteUnknownVoucher(uint256 slot);
    /// @dev The voucher `slot` is not active (status `status`).
    error NoteVoucherNotActive(uint256 slot, VoucherStatus status);
    /// @dev The voucher `slot` matured at `maturityAt`: its pieces no longer move, they are paid.
    error NoteVoucherMatured(uint256 slot, uint256 maturityAt, uint256 nowAt);
    /// @dev A split would exceed the deepest lineage the token layout stores.
    error NoteLineageTooDeep(uint256 tokenId, uint256 depth);
    /// @dev `extension` is not a ReceivableNoteExtension built with this note's registry, value decimals
    ///      and forwarder.
    error NoteExtensionMismatch(address extension);
    /// @dev The extension was called directly instead of through its note.
    error NoteExtensionDirectCall();
    /// @dev REDEEMER_ROLE (burning value) is for settlement contracts only, never for `account`, which has no code.
    error NoteRedeemerNotContract(address account);
}
