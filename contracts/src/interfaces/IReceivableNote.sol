// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Cascade receivable notes: the voucher (slot) and lineage layer on top of ERC-3525
/// @notice One slot per e-debt voucher issued by an obligor; a token's value is an amount of the
///         voucher's currency in minor units. Every token created by a split remembers its parent,
///         the voucher's root token and its depth, so any piece traces back to the issuance.
interface IReceivableNote {
    /// @notice Lifecycle of a voucher. Only `Active` vouchers move.
    enum VoucherStatus {
        None,
        Active,
        Redeemed
    }

    /// @notice A voucher as stored on chain. Amounts are minor units of `currency`.
    struct Voucher {
        address obligor;
        uint40 issuedAt;
        uint40 maturityAt;
        VoucherStatus status;
        uint96 faceValue;
        uint96 unit;
        bytes8 currency;
        uint96 redeemedValue;
        bytes32 documentHash;
    }

    /// @notice Emitted after a voucher was issued as slot `slot` with its whole face value in `tokenId`.
    event VoucherIssued(
        uint256 indexed slot,
        address indexed obligor,
        address indexed holder,
        uint256 tokenId,
        bytes8 currency,
        uint256 faceValue,
        uint256 unit,
        uint256 maturityAt,
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
    /// @dev `operator` may move only `allowance` of `tokenId`, less than `needed`.
    error NoteInsufficientAllowance(uint256 tokenId, address operator, uint256 allowance, uint256 needed);
    /// @dev `operator` is neither the holder of `tokenId` nor approved for it.
    error NoteUnauthorized(address operator, uint256 tokenId);
    /// @dev A value movement of zero was requested.
    error NoteZeroValue();
    /// @dev `value` is not a whole multiple of the voucher's minimum split unit `unit`.
    error NoteValueNotUnitMultiple(uint256 slot, uint256 value, uint256 unit);
    /// @dev Value can move only between tokens of one slot.
    error NoteSlotMismatch(uint256 fromSlot, uint256 toSlot);
    /// @dev A token cannot send value to itself.
    error NoteSameToken(uint256 tokenId);
    /// @dev `account` is not a verified participant.
    error NoteParticipantNotVerified(address account);
    /// @dev `account` already holds the token; a new piece for oneself would be a no-op split.
    error NoteSelfTransfer(address account);
    /// @dev The receiving contract `receiver` rejected the token or value.
    error NoteInvalidReceiver(address receiver);
    /// @dev The zero address was given where an account is needed.
    error NoteZeroAddress();
    /// @dev `from` is not the holder `owner` of the token.
    error NoteWrongHolder(address from, address owner);
    /// @dev An approval to the holder itself.
    error NoteApprovalToHolder(address holder);
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
    /// @dev No voucher was issued as `slot`.
    error NoteUnknownVoucher(uint256 slot);
    /// @dev The voucher `slot` is not active (status `status`).
    error NoteVoucherNotActive(uint256 slot, VoucherStatus status);
    /// @dev The voucher `slot` matured at `maturityAt`: its pieces no longer move, they are paid.
    error NoteVoucherMatured(uint256 slot, uint256 maturityAt, uint256 nowAt);
    /// @dev A split would exceed the deepest lineage the token layout stores.
    error NoteLineageTooDeep(uint256 tokenId, uint256 depth);

    /// @notice Issues a voucher of `faceValue` minor units owed by `obligor`, all of it held by `holder`.
    /// @dev Issuer role only. Both accounts must be verified; maturity must lie in the future.
    /// @return slot the new voucher's slot
    /// @return tokenId the root token holding the whole face value
    function issue(
        address obligor,
        address holder,
        bytes8 currency,
        uint256 faceValue,
        uint256 unit,
        uint256 maturityAt,
        bytes32 documentHash
    ) external returns (uint256 slot, uint256 tokenId);

    /// @notice Burns `value` of `tokenId` because the voucher paid it (settlement or early payment).
    /// @dev Redeemer role only: the settlement contracts that pay the holder in the same transaction.
    function redeem(uint256 tokenId, uint256 value) external;

    /// @notice The voucher stored as `slot`.
    function voucherOf(uint256 slot) external view returns (Voucher memory);

    /// @notice Value of `slot` not yet redeemed: the sum of all its tokens' values.
    function outstandingValueOf(uint256 slot) external view returns (uint256);

    /// @notice Lineage of `tokenId`: its parent (0 for a root), the voucher's root token and its depth.
    function lineageOf(uint256 tokenId) external view returns (uint256 parentTokenId, uint256 rootTokenId, uint256 depth);

    /// @notice Whether `tokenId` exists (minted and not burned).
    function exists(uint256 tokenId) external view returns (bool);

    /// @notice Number of vouchers issued so far; slots run from 1 to this number.
    function voucherCount() external view returns (uint256);

    /// @notice Number of tokens minted so far; token ids run from 1 to this number.
    function tokenCount() external view returns (uint256);
}
