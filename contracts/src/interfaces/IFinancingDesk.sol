// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IReceivableNote} from "./IReceivableNote.sol";

/// @title Cascade financing desk: factoring of receivable notes, delivery versus payment
/// @notice A financier signs an EIP-712 `Quote` off chain offering `price` of cash for `value` of one
///         note token; the seller (the token's holder) executes it, usually through the ERC-2771
///         forwarder. In one transaction `value` moves from the seller's token into a new token for
///         the financier and `price` of cash moves from the financier to the seller: both or nothing.
///
///         EIP-712 domain: name "CascadeFinancingDesk", version "1", the chain id, this contract.
///         Primary type and the exact type string signed (eth-account `encode_typed_data`):
///         `Quote(address financier,address seller,uint256 tokenId,uint256 value,uint256 price,address cashToken,uint256 expiry,uint256 nonce)`
///
///         Before a trade the seller must have made the desk an operator on the note
///         (`note.setApprovalForAll(desk, true)`, or a value allowance on the token) and the
///         financier must have approved the desk for `price` of the cash token.
interface IFinancingDesk {
    /// @notice A financier's firm offer. Amounts are minor units; `expiry` is a unix time (inclusive).
    struct Quote {
        address financier;
        address seller;
        uint256 tokenId;
        uint256 value;
        uint256 price;
        address cashToken;
        uint256 expiry;
        uint256 nonce;
    }

    /// @notice Emitted after a quote was executed: `value` of `tokenId` now sits in the financier's new
    ///         token `financierTokenId` and `price` of `cashToken` went from the financier to the seller.
    event QuoteExecuted(
        address indexed financier,
        address indexed seller,
        uint256 indexed tokenId,
        uint256 financierTokenId,
        uint256 value,
        uint256 price,
        address cashToken,
        uint256 nonce
    );

    /// @notice Emitted after `financier` cancelled its quote nonce `nonce` before anyone executed it.
    event QuoteNonceCancelled(address indexed financier, uint256 indexed nonce);

    /// @dev The zero address was given where an account or contract is needed.
    error FinancingZeroAddress();
    /// @dev `caller` executed a quote made out to `seller`.
    error FinancingCallerNotSeller(address caller, address seller);
    /// @dev `seller` does not hold `tokenId`; `holder` does.
    error FinancingSellerNotHolder(uint256 tokenId, address seller, address holder);
    /// @dev The signature does not come from `financier` (it recovers to `recovered`, zero if malformed).
    error FinancingInvalidSignature(address financier, address recovered);
    /// @dev The quote expired at `expiry`; it is now `nowAt`.
    error FinancingQuoteExpired(uint256 expiry, uint256 nowAt);
    /// @dev `financier` has used or cancelled `nonce` already.
    error FinancingNonceUsed(address financier, uint256 nonce);
    /// @dev The quote pays in `given` but `currency` settles in `expected`.
    error FinancingCashTokenMismatch(bytes8 currency, address expected, address given);
    /// @dev The voucher `slot` is not active (status `status`).
    error FinancingVoucherNotActive(uint256 slot, IReceivableNote.VoucherStatus status);
    /// @dev The voucher `slot` matured at `maturityAt` (now `nowAt`): due pieces are settled, not financed.
    error FinancingVoucherMatured(uint256 slot, uint256 maturityAt, uint256 nowAt);
    /// @dev `price` is zero or above the `value` it buys.
    error FinancingInvalidPrice(uint256 price, uint256 value);

    /// @notice Executes `quote`: the caller must be `quote.seller` and hold `quote.tokenId`.
    /// @dev Checks, in order: caller is the seller; quote not expired (`block.timestamp <= expiry`);
    ///      0 < price <= value; nonce unused; signature by the financier; seller holds the token; the
    ///      voucher is Active and not matured (`block.timestamp < maturityAt`); `cashToken` is the one
    ///      registered for the voucher's currency. Then marks the nonce used, moves the value (note
    ///      `transferFrom(tokenId, financier, value)`) and the cash (`transferFrom(financier, seller, price)`).
    /// @param quote the financier's offer
    /// @param financierSignature 65-byte ECDSA signature of `hashQuote(quote)` by `quote.financier`
    /// @return financierTokenId the new note token holding the financed value for the financier
    function executeQuote(Quote calldata quote, bytes calldata financierSignature)
        external
        returns (uint256 financierTokenId);

    /// @notice Cancels the caller's quote nonce `nonce` so that no quote signed with it can be executed.
    function cancelNonce(uint256 nonce) external;

    /// @notice Whether `financier`'s quote nonce `nonce` was executed or cancelled.
    function isNonceUsed(address financier, uint256 nonce) external view returns (bool);

    /// @notice The EIP-712 digest of `quote` under this desk's domain: what the financier signs.
    function hashQuote(Quote calldata quote) external view returns (bytes32);

    /// @notice The EIP-712 domain separator of this desk.
    function domainSeparator() external view returns (bytes32);
}
