// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ISettlementVault} from "./ISettlementVault.sol";

/// @title Cascade offering vault: dynamic-discount yield tokens investors buy (the seed article's model 2)
/// @notice A note holder (the seller) offers value of a domestic voucher to investors. The vault takes
///         the value into a note piece of its own (the offering's backing) and clones a YieldToken for the
///         offering with one token per minor unit of that value, which it holds until sold.
///
///         Price. An investor buying `amount` tokens pays now, in the voucher's settlement cash,
///             price = amount - ceil(amount * rateBps * days / (10000 * dayCount))
///         with `days` = whole days from now to the voucher's maturity (rounded down) and `dayCount` 360
///         (ACT/360) or 365 (ACT/365F): DiscountMath.discountPriceDown. The seller sets the rate, so the
///         rounding goes the buyer's way (discount up, price down, by less than one minor unit). The
///         earlier the purchase, the larger the discount: the same amount costs more (never less) as
///         maturity nears, and exactly its face value from maturity on.
///
///         Primary market: `subscribe` moves cash from the investor to the seller and tokens from the vault
///         to the investor in one transaction (delivery versus payment), while the offering is open (not
///         closed by the seller, before `closesAt`, which is at most the maturity). The seller may take
///         unsold tokens back as note value (`withdraw`, before maturity) and close the offering.
///         Secondary market: a holder lists tokens at its own rate (`listForSale`, approving the vault
///         as spender on the token); `buyListing` prices them at that rate for the days left and moves
///         cash to the lister and tokens to the buyer in one transaction.
///
///         Maturity. The vault's piece is paid by the SettlementVault like any holder's: by the service's
///         payout job or by `collect`, which claims it. For a domestic voucher every unit of value paid
///         brings exactly one unit of cash, so the cash received equals the backing value burned on the
///         note. A holder's `redeem` burns its tokens for its share of the cash received and not yet paid
///         to redeemers:
///             cash = floor(tokens * (cashReceived - cashRedeemed) / tokensOutstanding)
///         Each redemption is floored against the cash still in the pool, so a rounding remainder stays
///         with the holders still in it, and the holder redeeming the last outstanding tokens receives
///         exactly what is left: the redemptions of an offering add up to the cash it received, to the
///         minor unit. Paid in full, a token redeems for exactly one cash minor unit and there is no
///         remainder at all. The seller redeems its unsold tokens the same way. `redeem`, `redeemFor` and
///         `sweepResidual` collect first (claim the piece if a payment is due), so no separate call is needed.
///         Overdue or defaulted vouchers: redemption reflects what was actually received. A holder may
///         redeem early (before the backing is paid in full) for its share of the cash received so far,
///         giving up its claim on later recoveries; `redeemFor` (anyone, in batches) waits until the
///         backing is paid in full, so no one is redeemed short on another's initiative. Cash received
///         after every token was redeemed (only possible after early redemptions) has no holder left:
///         the seller may sweep it (`sweepResidual`).
///
///         Cross-border vouchers (denominated in one currency, settled in another) are refused: their
///         price would need an FX rate and their settlement cash is not one-to-one with value.
///         The vault must be registered in the participant registry as a platform contract (role 5) so
///         the note lets it hold pieces; every holder-side call works through the ERC-2771 forwarder.
interface IOfferingVault {
    /// @notice An offering as stored. Token amounts are yield tokens (= minor units of note value); cash
    ///         amounts are minor units of the voucher's settlement currency.
    /// @param noteValue value of the vault's piece `vaultTokenId` as last accounted (the offering's
    ///        backing: equal to the token supply until maturity, then shrinking as it is paid)
    /// @param unsold tokens held by the vault, the seller's
    /// @param redemptionCash the cash token the settlement paid in (zero until the first collection)
    /// @param cashReceived settlement cash received for the vault's piece
    /// @param cashRedeemed cash paid to redeeming holders (and swept by the seller)
    struct Offering {
        address seller;
        address token;
        address cashToken;
        uint256 slot;
        uint256 vaultTokenId;
        uint256 rateBps;
        uint256 dayCount;
        uint256 minSubscription;
        uint256 closesAt;
        uint256 maturityAt;
        bool closed;
        uint256 noteValue;
        uint256 unsold;
        uint256 sold;
        uint256 cashRaised;
        address redemptionCash;
        uint256 cashReceived;
        uint256 cashRedeemed;
        uint256 tokensRedeemed;
    }

    /// @notice A secondary-market listing; `amount` is what is left to buy (0 once filled or cancelled).
    struct Listing {
        uint256 offeringId;
        address seller;
        uint256 amount;
        uint256 rateBps;
        bool active;
    }

    /// @notice Emitted after `seller` opened offering `offeringId`: `value` of voucher `slot` moved into the
    ///         vault's piece `vaultTokenId` and `value` tokens of `token` were minted to the vault.
    event OfferingOpened(
        uint256 indexed offeringId,
        address indexed seller,
        uint256 indexed slot,
        uint256 vaultTokenId,
        address token,
        uint256 value,
        uint256 rateBps,
        uint256 dayCount,
        uint256 minSubscription,
        uint256 closesAt
    );
    /// @notice Emitted after `investor` bought `amount` tokens for `cash`, `daysToMaturity` days before
    ///         maturity at `rateBps` (the price details: see the pricing rule).
    event Subscribed(
        uint256 indexed offeringId,
        address indexed investor,
        uint256 amount,
        uint256 cash,
        uint256 rateBps,
        uint256 daysToMaturity
    );
    /// @notice Emitted after the seller took `amount` unsold tokens back as the new note piece `tokenId`.
    event OfferingWithdrawn(uint256 indexed offeringId, address indexed seller, uint256 amount, uint256 tokenId);
    /// @notice Emitted after the seller closed the offering to subscriptions, `unsold` tokens unsold.
    event OfferingClosed(uint256 indexed offeringId, address indexed seller, uint256 unsold);
    /// @notice Emitted after `seller` listed `amount` tokens of the offering at `rateBps`.
    event ListingCreated(
        uint256 indexed listingId, uint256 indexed offeringId, address indexed seller, uint256 amount, uint256 rateBps
    );
    /// @notice Emitted after `buyer` bought `amount` tokens of the listing for `cash`, `daysToMaturity` days
    ///         before maturity; `remaining` tokens stay listed.
    event ListingFilled(
        uint256 indexed listingId,
        uint256 indexed offeringId,
        address indexed buyer,
        address seller,
        uint256 amount,
        uint256 cash,
        uint256 remaining,
        uint256 daysToMaturity
    );
    /// @notice Emitted after the lister cancelled the listing with `remaining` tokens unsold.
    event ListingCancelled(uint256 indexed listingId, uint256 indexed offeringId, address indexed seller, uint256 remaining);
    /// @notice Emitted when the offering accounted `amount` more settlement cash for its piece (the backing
    ///         value paid), `cashReceived` in all, `noteValue` of backing still unpaid.
    event OfferingCashReceived(uint256 indexed offeringId, uint256 amount, uint256 cashReceived, uint256 noteValue);
    /// @notice Emitted after `holder` redeemed `tokens` (burned) for `cash`.
    event Redeemed(uint256 indexed offeringId, address indexed holder, uint256 tokens, uint256 cash);
    /// @notice Emitted when `redeemFor` passed over `holder` (frozen, or not verified); it redeems later.
    event RedemptionWithheld(uint256 indexed offeringId, address indexed holder);
    /// @notice Emitted after the seller swept `amount` of cash received after every token was redeemed.
    event ResidualSwept(uint256 indexed offeringId, address indexed seller, uint256 amount);

    /// @dev The zero address was given where a contract is needed.
    error OfferingZeroAddress();
    /// @dev The token implementation does not belong to this vault's note and forwarder.
    error OfferingImplementationMismatch(address implementation);
    /// @dev No offering has id `offeringId`.
    error OfferingUnknown(uint256 offeringId);
    /// @dev No listing has id `listingId`.
    error OfferingUnknownListing(uint256 listingId);
    /// @dev `caller` is not the holder `holder` of note `tokenId`.
    error OfferingCallerNotHolder(address caller, uint256 tokenId, address holder);
    /// @dev `caller` is not the offering's seller `seller`.
    error OfferingCallerNotSeller(address caller, address seller);
    /// @dev `caller` is not the listing's seller `seller`.
    error OfferingCallerNotLister(address caller, address seller);
    /// @dev A seller cannot buy its own tokens (`account`).
    error OfferingSelfDealing(address account);
    /// @dev A zero amount was given.
    error OfferingZeroAmount();
    /// @dev Voucher `slot` is denominated in `currency` but settled in `settlementCurrency`: offerings take
    ///      domestic vouchers only.
    error OfferingCrossBorderVoucher(uint256 slot, bytes8 currency, bytes8 settlementCurrency);
    /// @dev Voucher `slot` is not active (settled, or not issued).
    error OfferingVoucherNotActive(uint256 slot);
    /// @dev The voucher matured at `maturityAt`; it is now `nowAt`.
    error OfferingMatured(uint256 offeringId, uint256 maturityAt, uint256 nowAt);
    /// @dev The voucher matures at `maturityAt`; it is now `nowAt` (redemption waits for maturity).
    error OfferingNotMatured(uint256 offeringId, uint256 maturityAt, uint256 nowAt);
    /// @dev A rate above MAX_RATE_BPS.
    error OfferingInvalidRate(uint256 rateBps, uint256 maxRateBps);
    /// @dev At `rateBps` for `daysToMaturity` days the discount would take the whole value.
    error OfferingRateTooHigh(uint256 rateBps, uint256 daysToMaturity, uint256 dayCount);
    /// @dev `closesAt` must lie after now (`nowAt`) and no later than the maturity `maturityAt`.
    error OfferingInvalidClose(uint256 closesAt, uint256 nowAt, uint256 maturityAt);
    /// @dev The minimum subscription `minSubscription` exceeds the offered `value`.
    error OfferingInvalidMinimum(uint256 minSubscription, uint256 value);
    /// @dev The offering takes no subscriptions (closed by the seller, or `closesAt` passed).
    error OfferingNotOpen(uint256 offeringId, uint256 closesAt);
    /// @dev Only `unsold` tokens are left; `amount` was asked.
    error OfferingInsufficientSupply(uint256 offeringId, uint256 unsold, uint256 amount);
    /// @dev `amount` is below the offering's minimum `minimum` (its minimum subscription, or what is left).
    error OfferingBelowMinimum(uint256 offeringId, uint256 amount, uint256 minimum);
    /// @dev The price of `amount` rounds to zero cash.
    error OfferingZeroPrice(uint256 amount);
    /// @dev The price `cash` exceeds the buyer's limit `maxCash`.
    error OfferingPriceAboveMax(uint256 cash, uint256 maxCash);
    /// @dev `holder` holds `balance` tokens, fewer than the `amount` it lists.
    error OfferingInsufficientTokens(address holder, uint256 balance, uint256 amount);
    /// @dev The listing `listingId` is filled or cancelled.
    error OfferingListingInactive(uint256 listingId);
    /// @dev Only `remaining` tokens are listed; `amount` was asked.
    error OfferingListingInsufficient(uint256 listingId, uint256 remaining, uint256 amount);
    /// @dev `holder` has nothing to redeem (no unfrozen tokens, or no cash to pay for them yet).
    error OfferingNothingToRedeem(uint256 offeringId, address holder);
    /// @dev `holder` is not a verified participant (or its KYC expired); its redemption waits.
    error OfferingHolderNotVerified(address holder);
    /// @dev The offering's backing is not paid in full (`noteValue` still unpaid): batch redemption waits.
    error OfferingNotSettled(uint256 offeringId, uint256 noteValue);
    /// @dev Tokens are still outstanding, or no cash is left: nothing to sweep.
    error OfferingNoResidual(uint256 offeringId);

    /// @notice Opens an offering of `value` of note `fromTokenId` (held by the caller, who approved the
    ///         vault on the note) at `rateBps` a year under `dayCount` (360 or 365), each subscription at
    ///         least `minSubscription` tokens (or what is left), open until `closesAt` (at most the
    ///         maturity), to investors of `allowedCountries` (empty: any country).
    /// @return offeringId the new offering (ids run from 1)
    function openOffering(
        uint256 fromTokenId,
        uint256 value,
        uint256 rateBps,
        uint256 dayCount,
        uint256 minSubscription,
        uint256 closesAt,
        bytes2[] calldata allowedCountries
    ) external returns (uint256 offeringId);

    /// @notice Buys `amount` tokens of an open offering for at most `maxCash`: the caller pays the price
    ///         (its cash allowance to the vault) to the seller and receives the tokens, atomically.
    /// @return cash the price paid
    function subscribe(uint256 offeringId, uint256 amount, uint256 maxCash) external returns (uint256 cash);

    /// @notice The seller takes `amount` unsold tokens back as note value (a new piece, a unit multiple)
    ///         before maturity; the tokens are burned.
    /// @return tokenId the seller's new note piece
    function withdraw(uint256 offeringId, uint256 amount) external returns (uint256 tokenId);

    /// @notice The seller closes the offering to subscriptions (it closes by itself at `closesAt`).
    function closeOffering(uint256 offeringId) external;

    /// @notice Lists `amount` of the caller's tokens at `rateBps` (the caller approves the vault on the
    ///         token for what it lists; balance and allowance are checked at purchase).
    /// @return listingId the new listing (ids run from 1)
    function listForSale(uint256 offeringId, uint256 amount, uint256 rateBps) external returns (uint256 listingId);

    /// @notice Buys `amount` tokens of listing `listingId` for at most `maxCash`, priced at the listing's
    ///         rate for the days left: cash to the lister, tokens to the caller, atomically. Before maturity.
    /// @return cash the price paid
    function buyListing(uint256 listingId, uint256 amount, uint256 maxCash) external returns (uint256 cash);

    /// @notice The lister withdraws what is left of listing `listingId`.
    function cancelListing(uint256 listingId) external;

    /// @notice Claims the vault's piece from the SettlementVault if it has a payment due, and accounts the
    ///         cash the piece has received (also by payouts others ran). Anyone, from maturity on.
    /// @return received cash newly accounted for the offering
    function collect(uint256 offeringId) external returns (uint256 received);

    /// @notice Burns the caller's unfrozen tokens (and, for the seller, the unsold ones) for its share of
    ///         the cash received (see the redemption rule). From maturity on; the caller verified, not frozen.
    /// @return cash paid
    function redeem(uint256 offeringId) external returns (uint256 cash);

    /// @notice Redeems `holders` as `redeem` would, once the backing is paid in full. Anyone (a batch job).
    ///         Holders with nothing to redeem are passed over; frozen or unverified ones with RedemptionWithheld.
    /// @return total cash paid
    function redeemFor(uint256 offeringId, address[] calldata holders) external returns (uint256 total);

    /// @notice The seller takes cash received after every token was redeemed. Seller only.
    /// @return amount cash swept
    function sweepResidual(uint256 offeringId) external returns (uint256 amount);

    /// @notice The cash `amount` tokens of the offering cost now (the pricing rule at its rate).
    function priceOf(uint256 offeringId, uint256 amount) external view returns (uint256 cash);

    /// @notice The cash `amount` tokens of listing `listingId` cost now (the pricing rule at its rate).
    function listingPriceOf(uint256 listingId, uint256 amount) external view returns (uint256 cash);

    /// @notice Whole days from now until the offering's voucher matures (0 from maturity on).
    function daysToMaturity(uint256 offeringId) external view returns (uint256);

    /// @notice Whether the offering takes subscriptions now.
    function isOpen(uint256 offeringId) external view returns (bool);

    /// @notice The offering as stored.
    function offering(uint256 offeringId) external view returns (Offering memory);

    /// @notice The listing as stored.
    function listing(uint256 listingId) external view returns (Listing memory);

    /// @notice Number of offerings so far.
    function offeringCount() external view returns (uint256);

    /// @notice Number of listings so far.
    function listingCount() external view returns (uint256);

    /// @notice Tokens of the offering not yet redeemed (its token's supply, unsold ones included).
    function outstandingTokens(uint256 offeringId) external view returns (uint256);

    /// @notice Redemption now: the settlement status of the voucher, backing value still unpaid on the
    ///         note, cash received (including payouts not yet accounted), cash not yet redeemed, and tokens
    ///         outstanding. Overdue or Defaulted with value unpaid: redemption is partial.
    function redemptionStatus(uint256 offeringId)
        external
        view
        returns (
            ISettlementVault.SettlementStatus status,
            uint256 noteValueUnpaid,
            uint256 cashReceived,
            uint256 cashAvailable,
            uint256 tokensOutstanding
        );

    /// @notice What `redeem` would pay `holder` now: the tokens it would burn and the cash.
    function redemptionQuote(uint256 offeringId, address holder) external view returns (uint256 tokens, uint256 cash);
}
