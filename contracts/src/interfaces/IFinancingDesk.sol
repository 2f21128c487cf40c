// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IReceivableNote} from "./IReceivableNote.sol";

/// @title Cascade financing desk: factoring of receivable notes, delivery versus payment
/// @notice A financier signs an EIP-712 `Quote` off chain offering `price` (minor units of the voucher's
///         denomination currency) for `value` of one note token; the seller (the token's holder) executes
///         it, usually through the ERC-2771 forwarder. In one transaction `value` moves from the seller's
///         token into a new token for the financier and the price in settlement cash moves from the
///         financier to the seller: both or nothing. The cash amount is `price` for a domestic voucher;
///         for a cross-border one it is `ceil(price * R)` at the FX directory's latest rate R (refused if
///         stale or not positive), rounded up, never in favour of the financier who sets the price; the
///         financier bounds its outlay with its cash allowance to the desk. QuoteExecuted records the
///         rate, its round id and its time.
///
///         Logistics terms, checked at execution against the logistics oracle: the voucher must have
///         reached `requiredMilestone` (0 none, 1 Shipped, 2 CustomsCleared, 3 Delivered), and before
///         Delivered the value financed through this desk for the voucher may not exceed
///         `maxFinancedShareBps` of its face value, rounded down. Financed value is cumulative over every
///         executed quote whose seller is not a financier or investor (registry role 3 or 4): money
///         advanced to the supply chain against the goods; resales between financiers neither count nor
///         are capped.
///
///         EIP-712 domain: name "CascadeFinancingDesk", version "1", the chain id, this contract.
///         Primary type and the exact type string signed (eth-account `encode_typed_data`):
///         `Quote(address financier,address seller,uint256 tokenId,uint256 value,uint256 price,address cashToken,uint256 expiry,uint256 nonce,uint8 requiredMilestone,uint16 maxFinancedShareBps)`
///
///         Before a trade the seller must have made the desk an operator on the note
///         (`note.setApprovalForAll(desk, true)`, a slot approval, or a value allowance on the token) and
///         the financier must have approved the desk for the cash amount of the settlement cash token.
interface IFinancingDesk {
    /// @notice A financier's firm offer. `value` and `price` are denomination minor units; `cashToken` is
    ///         the settlement currency's cash; `expiry` is a unix time (inclusive).
    struct Quote {
        address financier;
        address seller;
        uint256 tokenId;
        uint256 value;
        uint256 price;
        address cashToken;
        uint256 expiry;
        uint256 nonce;
        uint8 requiredMilestone;
        uint16 maxFinancedShareBps;
    }

    /// @notice Emitted after a quote was executed: `value` of `tokenId` now sits in the financier's new
    ///         token `financierTokenId` and `amount` of `cashToken` (the `price` converted at the rate
    ///         `fxRate / 10**fxRateDecimals` of feed round `fxRoundId`, updated at `fxUpdatedAt`; a domestic
    ///         voucher records rate 1, decimals 0, round 0 and the trade's time) went from the financier to
    ///         the seller.
    event QuoteExecuted(
        address indexed financier,
        address indexed seller,
        uint256 indexed tokenId,
        uint256 financierTokenId,
        uint256 value,
        uint256 price,
        address cashToken,
        uint256 nonce,
        uint256 amount,
        uint256 fxRate,
        uint8 fxRateDecimals,
        uint80 fxRoundId,
        uint256 fxUpdatedAt
    );

    /// @notice Emitted after `financier` cancelled its quote nonce `nonce` before anyone executed it.
    event QuoteNonceCancelled(address indexed financier, uint256 indexed nonce);

    /// @dev The zero address was given where an account or contract is needed.
    error FinancingZeroAddress();
    /// @dev The quote's financier is its seller `account`: a trade with oneself finances nothing.
    error FinancingSelfDealing(address account);
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
    /// @dev The quote's logistics terms are out of range (milestone above 3, share above 10000 bps).
    error FinancingInvalidLogisticsTerms(uint256 requiredMilestone, uint256 maxFinancedShareBps);
    /// @dev Voucher `slot` is at logistics milestone `current`; the quote requires `required`.
    error FinancingMilestoneNotReached(uint256 slot, uint256 required, uint256 current);
    /// @dev Before delivery, financing `value` more of voucher `slot` (already `financed`) exceeds the
    ///      quote's cap `cap` (its share of the face value).
    error FinancingShareCapExceeded(uint256 slot, uint256 financed, uint256 value, uint256 cap);

    /// @notice Executes `quote`: the caller must be `quote.seller` and hold `quote.tokenId`.
    /// @dev Checks, in order: caller is the seller; financier is not the seller; quote not expired (`block.timestamp <= expiry`);
    ///      0 < price <= value; logistics terms in range; nonce unused; signature by the financier; seller
    ///      holds the token; the voucher is Active and not matured (`block.timestamp < maturityAt`);
    ///      `cashToken` is the one registered for the voucher's settlement currency; the milestone is
    ///      reached; the pre-delivery share cap holds; the rate is fresh. Then marks the nonce used, counts
    ///      the financed value, moves the value (note `transferFrom(tokenId, financier, value)`, which
    ///      applies every note control: freezes, cap, rolling limits, pauses) and the cash
    ///      (`transferFrom(financier, seller, amount)`).
    /// @param quote the financier's offer
    /// @param financierSignature 65-byte ECDSA signature of `hashQuote(quote)` by `quote.financier`
    /// @return financierTokenId the new note token holding the financed value for the financier
    function executeQuote(Quote calldata quote, bytes calldata financierSignature)
        external
        returns (uint256 financierTokenId);

    /// @notice Cancels the caller's quote nonce `nonce` so that no quote signed with it can be executed.
    function cancelNonce(uint256 nonce) external;

    /// @notice Value of voucher `slot` financed through this desk so far (quotes sold by the supply chain).
    function financedValueOf(uint256 slot) external view returns (uint256);

    /// @notice Whether `financier`'s quote nonce `nonce` was executed or cancelled.
    function isNonceUsed(address financier, uint256 nonce) external view returns (bool);

    /// @notice The EIP-712 digest of `quote` under this desk's domain: what the financier signs.
    function hashQuote(Quote calldata quote) external view returns (bytes32);

    /// @notice The EIP-712 domain separator of this desk.
    function domainSeparator() external view returns (bytes32);
}
