// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {
    IAccessControlDefaultAdminRules
} from "@openzeppelin/contracts/access/extensions/IAccessControlDefaultAdminRules.sol";
import {IERC3525Metadata} from "@solvprotocol/erc-3525/extensions/IERC3525Metadata.sol";
import {IERC3525SlotApprovable} from "@solvprotocol/erc-3525/extensions/IERC3525SlotApprovable.sol";
import {IIdentityRegistry} from "./IIdentityRegistry.sol";
import {INoteCompliance} from "./INoteCompliance.sol";
import {IReceivableNote} from "./IReceivableNote.sol";

/// @title Every function of the Cascade receivable note
/// @notice The note (ReceivableNote with its extension, one address) implements all of it: the voucher
///         layer (vocabulary in IReceivableNote), the compliance controls (vocabulary in INoteCompliance),
///         ERC-3525 with metadata and slot approvals (which bring ERC-721), its roles (OpenZeppelin's
///         AccessControlDefaultAdminRules) and the identity registry it consults. Its ABI is the note's
///         whole ABI. The financing and settlement contracts depend on it, not on the note's code.
interface ICascadeNote is
    IReceivableNote,
    INoteCompliance,
    IERC3525Metadata,
    IERC3525SlotApprovable,
    IAccessControlDefaultAdminRules
{
    // ---------------------------------------------------------------- voucher layer

    /// @notice Issues a voucher of `faceValue` minor units of `currency` owed by `obligor`, all of it held
    ///         by `holder`, paid in `settlementCurrency` (equal to `currency` for a domestic voucher), with
    ///         `transferCap` the largest value one transfer between holders may carry (0: none).
    /// @dev Issuer role only. Both accounts must be verified and not frozen; maturity must lie in the future.
    /// @return slot the new voucher's slot
    /// @return tokenId the root token holding the whole face value
    function issue(
        address obligor,
        address holder,
        bytes8 currency,
        bytes8 settlementCurrency,
        uint256 faceValue,
        uint256 unit,
        uint256 maturityAt,
        uint256 transferCap,
        bytes32 documentHash
    ) external returns (uint256 slot, uint256 tokenId);

    /// @notice Burns `value` of `tokenId` because the voucher paid it (settlement or early payment).
    /// @dev Redeemer role only (contracts that pay the holder in the same transaction). Refused while the
    ///      ledger or the voucher is paused, for a frozen piece or holder, and beyond the unfrozen value.
    function redeem(uint256 tokenId, uint256 value) external;

    /// @notice The voucher stored as `slot`.
    function voucherOf(uint256 slot) external view returns (Voucher memory);

    /// @notice Value of `slot` not yet redeemed: the sum of all its tokens' values.
    function outstandingValueOf(uint256 slot) external view returns (uint256);

    /// @notice Lineage of `tokenId`: its parent (0 for a root), the voucher's root token and its depth.
    function lineageOf(uint256 tokenId)
        external
        view
        returns (uint256 parentTokenId, uint256 rootTokenId, uint256 depth);

    /// @notice Whether `tokenId` exists (minted and not burned).
    function exists(uint256 tokenId) external view returns (bool);

    /// @notice Number of vouchers issued so far; slots run from 1 to this number.
    function voucherCount() external view returns (uint256);

    /// @notice Number of tokens minted so far; token ids run from 1 to this number.
    function tokenCount() external view returns (uint256);

    /// @notice The identity registry the note consults on every movement.
    function registry() external view returns (IIdentityRegistry);

    // ---------------------------------------------------------------- compliance controls

    /// @notice Freezes (`frozen`) or unfreezes `account` for `reason`. COMPLIANCE_AGENT_ROLE only.
    function setAddressFrozen(address account, bool frozen, bytes32 reason) external;

    /// @notice Freezes or unfreezes the whole piece `tokenId` for `reason`. COMPLIANCE_AGENT_ROLE only.
    function setTokenFrozen(uint256 tokenId, bool frozen, bytes32 reason) external;

    /// @notice Freezes `value` (a unit multiple) more of `tokenId`, at most its unfrozen value.
    /// @dev COMPLIANCE_AGENT_ROLE only.
    function freezePartialValue(uint256 tokenId, uint256 value, bytes32 reason) external;

    /// @notice Unfreezes `value` of `tokenId`, at most its frozen value. COMPLIANCE_AGENT_ROLE only.
    function unfreezePartialValue(uint256 tokenId, uint256 value, bytes32 reason) external;

    /// @notice Moves `value` of `fromTokenId` into a new piece for `to` (verified, KYC current), whatever
    ///         the freezes, pauses, cap and limits; unfreezes what frozen value the move needs.
    /// @dev COMPLIANCE_AGENT_ROLE only. The voucher must be Active; `value` a positive unit multiple within
    ///      the piece's value. The new piece is a child of `fromTokenId` in the lineage.
    /// @return toTokenId the new piece
    function forcedTransfer(uint256 fromTokenId, address to, uint256 value, bytes32 reason)
        external
        returns (uint256 toTokenId);

    /// @notice Moves the pieces `tokenIds` of `lostWallet` whole to `newWallet` (verified, KYC current,
    ///         holding no piece, without limits); reverts unless `lostWallet` holds nothing afterwards.
    ///         `newWallet` takes over the lost wallet's address freeze and rolling limits (with what was
    ///         already sent in their windows); `lostWallet` ends frozen, its key being compromised.
    /// @dev COMPLIANCE_AGENT_ROLE only. Works on any piece (paused, matured, redeemed vouchers alike).
    function recoveryAddress(address lostWallet, address newWallet, uint256[] calldata tokenIds, bytes32 reason)
        external;

    /// @notice Sets voucher `slot`'s per-transaction cap (0: none). COMPLIANCE_AGENT_ROLE only.
    function setTransferCap(uint256 slot, uint256 cap, bytes32 reason) external;

    /// @notice Sets `account`'s rolling limit: at most `limit` minor units of vouchers denominated in
    ///         `currency` sent in any `windowSeconds` (both 0: removes it). COMPLIANCE_AGENT_ROLE only.
    /// @dev Counted conservatively in four buckets per window (see TransferLimitModule): the sum over any
    ///      window of that length never exceeds the limit; a send can be refused up to a quarter window
    ///      earlier than an exact count would. On a window change, what the old window counted is carried.
    function setTransferLimit(address account, bytes8 currency, uint256 limit, uint256 windowSeconds, bytes32 reason)
        external;

    /// @notice Stops every movement (transfers, redemptions) of voucher `slot`. PAUSER_ROLE only.
    function pauseVoucher(uint256 slot) external;

    /// @notice Resumes voucher `slot`. PAUSER_ROLE only.
    function unpauseVoucher(uint256 slot) external;

    /// @notice Every reason (TransferCheck bits) why `operator` calling `transferFrom(fromTokenId, to, value)`
    ///         (a split into a new piece for `to`) would fail now; 0 if it would pass.
    function checkTransfer(address operator, uint256 fromTokenId, address to, uint256 value)
        external
        view
        returns (uint256 reasons);

    /// @notice Every reason why `operator` calling `transferFrom(fromTokenId, toTokenId, value)` (a merge)
    ///         would fail now; 0 if it would pass.
    function checkTransfer(address operator, uint256 fromTokenId, uint256 toTokenId, uint256 value)
        external
        view
        returns (uint256 reasons);

    /// @notice ERC-3643's name: whether `account` is frozen.
    function isFrozen(address account) external view returns (bool);

    /// @notice Whether the whole piece `tokenId` is frozen.
    function isTokenFrozen(uint256 tokenId) external view returns (bool);

    /// @notice Value of `tokenId` frozen by `freezePartialValue`.
    function frozenValueOf(uint256 tokenId) external view returns (uint256);

    /// @notice `account`'s rolling limit in `currency`, its window and what it sent in the current window
    ///         as the limit counts it (the conservative bucket sum); zeros without a limit.
    function transferLimitOf(address account, bytes8 currency)
        external
        view
        returns (uint256 limit, uint256 windowSeconds, uint256 sentInWindow);

    // ---------------------------------------------------------------- pauses and metadata

    /// @notice Stops issuance, transfers and redemption on the whole ledger. PAUSER_ROLE only.
    function pause() external;

    /// @notice Resumes a paused ledger. PAUSER_ROLE only.
    function unpause() external;

    /// @notice Whether the whole ledger is paused.
    function paused() external view returns (bool);

    /// @notice Sets the base of token, slot and contract URIs. DEFAULT_ADMIN_ROLE only.
    function setBaseURI(string calldata baseURI) external;

    // ---------------------------------------------------------------- roles, forwarder, code halves

    /// @notice Role that issues vouchers.
    function ISSUER_ROLE() external view returns (bytes32);

    /// @notice Role that keeps the compliance controls.
    function COMPLIANCE_AGENT_ROLE() external view returns (bytes32);

    /// @notice Role that pauses the ledger or a voucher.
    function PAUSER_ROLE() external view returns (bytes32);

    /// @notice Role that burns paid value (contracts only).
    function REDEEMER_ROLE() external view returns (bytes32);

    /// @notice ERC-2771: whether `forwarder` is the trusted forwarder.
    function isTrustedForwarder(address forwarder) external view returns (bool);

    /// @notice ERC-2771: the trusted forwarder.
    function trustedForwarder() external view returns (address);

    /// @notice The code half serving issuance, metadata, compliance administration and pauses.
    function extension() external view returns (address);

    /// @notice The module counting rolling limits (deployed by the note; only the note writes to it).
    function limitModule() external view returns (address);
}
