// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Clones} from "@openzeppelin/contracts/proxy/Clones.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";
import {CascadeAccess} from "../access/CascadeAccess.sol";
import {CashTokenDirectory} from "../CashTokenDirectory.sol";
import {ICascadeNote} from "../interfaces/ICascadeNote.sol";
import {IIdentityRegistry} from "../interfaces/IIdentityRegistry.sol";
import {IOfferingVault} from "../interfaces/IOfferingVault.sol";
import {IReceivableNote} from "../interfaces/IReceivableNote.sol";
import {IYieldToken} from "../interfaces/IYieldToken.sol";
import {ISettlementVault} from "../interfaces/ISettlementVault.sol";
import {DiscountMath} from "../libraries/DiscountMath.sol";
import {YieldToken} from "./YieldToken.sol";

/// @title Cascade offering vault: one vault for every offering of dynamic-discount yield tokens
/// @notice See IOfferingVault. The vault holds one note piece per offering (the backing) and the unsold
///         tokens; it never holds purchase cash (investors pay sellers directly), only settlement cash
///         received for its pieces and not yet redeemed. Its admin registers the cash token of each
///         settlement currency (CashTokenDirectory), as for the other financing contracts.
/// @dev Tokens are EIP-1167 clones of one YieldToken implementation (about 45 bytes each and no token
///      creation code in this contract, which keeps it under EIP-170). The implementation's immutables
///      (note, registry, decimals, forwarder) are shared by every clone; the vault initialises each clone
///      and so becomes its only minter and burner.
contract OfferingVault is IOfferingVault, CashTokenDirectory, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @notice Highest annual rate an offering or listing may carry (100%).
    uint256 public constant MAX_RATE_BPS = 10_000;

    ICascadeNote private immutable _note;
    IIdentityRegistry private immutable _registry;
    ISettlementVault private immutable _settlement;
    address private immutable _tokenImplementation;

    uint256 private _offeringCount;
    uint256 private _listingCount;
    mapping(uint256 offeringId => Offering) private _offerings;
    mapping(uint256 listingId => Listing) private _listings;
    /// @dev Settlement cash the vault holds on behalf of offerings (received, not yet redeemed), per
    ///      cash token: what is above it in the vault's balance has not been accounted to an offering yet.
    mapping(address cashToken => uint256) private _accountedCash;

    constructor(
        ICascadeNote note_,
        ISettlementVault settlement_,
        YieldToken tokenImplementation_,
        address trustedForwarder_,
        address admin,
        uint48 adminTransferDelay
    ) CascadeAccess(trustedForwarder_, admin, adminTransferDelay) {
        if (
            address(note_) == address(0) || address(settlement_) == address(0)
                || address(tokenImplementation_) == address(0)
        ) revert OfferingZeroAddress();
        if (tokenImplementation_.note() != note_ || !tokenImplementation_.isTrustedForwarder(trustedForwarder_)) {
            revert OfferingImplementationMismatch(address(tokenImplementation_));
        }
        _note = note_;
        _registry = note_.registry();
        _settlement = settlement_;
        _tokenImplementation = address(tokenImplementation_);
    }

    // ---------------------------------------------------------------- primary market

    /// @inheritdoc IOfferingVault
    function openOffering(
        uint256 fromTokenId,
        uint256 value,
        uint256 rateBps,
        uint256 dayCount,
        uint256 minSubscription,
        uint256 closesAt,
        bytes2[] calldata allowedCountries
    ) external nonReentrant returns (uint256 offeringId) {
        if (value == 0) revert OfferingZeroAmount();
        if (minSubscription > value) revert OfferingInvalidMinimum(minSubscription, value);
        offeringId = ++_offeringCount;
        Offering storage o = _offerings[offeringId];
        _setUpOffering(o, fromTokenId, closesAt);
        _requireRate(rateBps, dayCount, DiscountMath.daysUntil(block.timestamp, o.maturityAt));
        o.rateBps = rateBps;
        o.dayCount = dayCount;
        o.minSubscription = minSubscription;
        o.noteValue = value;
        o.unsold = value;
        o.token = _cloneToken(offeringId, allowedCountries);
        // The note screens the move (the seller's approval of the vault, freezes, cap, limits, the vault's
        // registration as a platform contract) and reverts with its own error.
        o.vaultTokenId = _note.transferFrom(fromTokenId, address(this), value);
        YieldToken(o.token).mint(address(this), value);
        emit OfferingOpened(
            offeringId,
            o.seller,
            o.slot,
            o.vaultTokenId,
            o.token,
            value,
            rateBps,
            dayCount,
            minSubscription,
            closesAt
        );
    }

    /// @dev The seller (the caller, holding `fromTokenId`), the voucher (active, domestic), the closing
    ///      time (after now, at most the maturity) and the purchase cash token.
    function _setUpOffering(Offering storage o, uint256 fromTokenId, uint256 closesAt) private {
        address seller = _msgSender();
        address holder = _note.ownerOf(fromTokenId);
        if (holder != seller) revert OfferingCallerNotHolder(seller, fromTokenId, holder);
        uint256 slot = _note.slotOf(fromTokenId);
        IReceivableNote.Voucher memory voucher = _note.voucherOf(slot);
        if (voucher.status != IReceivableNote.VoucherStatus.Active) revert OfferingVoucherNotActive(slot);
        if (voucher.currency != voucher.settlementCurrency) {
            revert OfferingCrossBorderVoucher(slot, voucher.currency, voucher.settlementCurrency);
        }
        if (closesAt <= block.timestamp || closesAt > voucher.maturityAt) {
            revert OfferingInvalidClose(closesAt, block.timestamp, voucher.maturityAt);
        }
        o.seller = seller;
        o.slot = slot;
        o.maturityAt = voucher.maturityAt;
        o.closesAt = closesAt;
        o.cashToken = address(_requireCashToken(voucher.settlementCurrency));
    }

    /// @dev A fresh clone of the token implementation, initialised by this vault (its minter).
    function _cloneToken(uint256 offeringId, bytes2[] calldata allowedCountries) private returns (address token) {
        token = Clones.clone(_tokenImplementation);
        string memory id = Strings.toString(offeringId);
        YieldToken(token).initialize(
            offeringId, string.concat("Cascade Yield Token ", id), string.concat("CYT-", id), allowedCountries
        );
    }

    /// @inheritdoc IOfferingVault
    function subscribe(uint256 offeringId, uint256 amount, uint256 maxCash)
        external
        nonReentrant
        returns (uint256 cash)
    {
        Offering storage o = _requireOffering(offeringId);
        address investor = _msgSender();
        if (!_isOpen(o)) revert OfferingNotOpen(offeringId, o.closesAt);
        if (investor == o.seller) revert OfferingSelfDealing(investor);
        if (amount == 0) revert OfferingZeroAmount();
        uint256 unsold = o.unsold;
        if (amount > unsold) revert OfferingInsufficientSupply(offeringId, unsold, amount);
        uint256 minimum = Math.min(o.minSubscription, unsold);
        if (amount < minimum) revert OfferingBelowMinimum(offeringId, amount, minimum);
        uint256 days_ = DiscountMath.daysUntil(block.timestamp, o.maturityAt);
        cash = _price(amount, o.rateBps, days_, o.dayCount, maxCash);

        // unchecked: amount <= unsold; the sums are bounded by the offered value and the cash supply.
        unchecked {
            o.unsold = unsold - amount;
            o.sold += amount;
            o.cashRaised += cash;
        }
        // The token screens the investor (verified, KYC current, allowed country, not frozen, not paused).
        YieldToken(o.token).transfer(investor, amount);
        IERC20(o.cashToken).safeTransferFrom(investor, o.seller, cash);
        emit Subscribed(offeringId, investor, amount, cash, o.rateBps, days_);
    }

    /// @inheritdoc IOfferingVault
    function withdraw(uint256 offeringId, uint256 amount) external nonReentrant returns (uint256 tokenId) {
        Offering storage o = _requireOffering(offeringId);
        address seller = _requireSeller(o);
        if (block.timestamp >= o.maturityAt) revert OfferingMatured(offeringId, o.maturityAt, block.timestamp);
        if (amount == 0) revert OfferingZeroAmount();
        uint256 unsold = o.unsold;
        if (amount > unsold) revert OfferingInsufficientSupply(offeringId, unsold, amount);
        // unchecked: amount <= unsold <= noteValue (the supply equals the backing until maturity).
        unchecked {
            o.unsold = unsold - amount;
            o.noteValue -= amount;
        }
        YieldToken(o.token).burn(address(this), amount);
        // The note checks the unit multiple (and every other rule of a transfer) itself.
        tokenId = _note.transferFrom(o.vaultTokenId, seller, amount);
        emit OfferingWithdrawn(offeringId, seller, amount, tokenId);
    }

    /// @inheritdoc IOfferingVault
    function closeOffering(uint256 offeringId) external {
        Offering storage o = _requireOffering(offeringId);
        address seller = _requireSeller(o);
        if (!_isOpen(o)) revert OfferingNotOpen(offeringId, o.closesAt);
        o.closed = true;
        emit OfferingClosed(offeringId, seller, o.unsold);
    }

    // ---------------------------------------------------------------- secondary market

    /// @inheritdoc IOfferingVault
    function listForSale(uint256 offeringId, uint256 amount, uint256 rateBps) external returns (uint256 listingId) {
        Offering storage o = _requireOffering(offeringId);
        if (block.timestamp >= o.maturityAt) revert OfferingMatured(offeringId, o.maturityAt, block.timestamp);
        if (amount == 0) revert OfferingZeroAmount();
        _requireRate(rateBps, o.dayCount, DiscountMath.daysUntil(block.timestamp, o.maturityAt));
        address seller = _msgSender();
        uint256 balance = YieldToken(o.token).balanceOf(seller);
        if (balance < amount) revert OfferingInsufficientTokens(seller, balance, amount);
        listingId = ++_listingCount;
        _listings[listingId] = Listing({offeringId: offeringId, seller: seller, amount: amount, rateBps: rateBps, active: true});
        emit ListingCreated(listingId, offeringId, seller, amount, rateBps);
    }

    /// @inheritdoc IOfferingVault
    function buyListing(uint256 listingId, uint256 amount, uint256 maxCash)
        external
        nonReentrant
        returns (uint256 cash)
    {
        Listing storage l = _requireListing(listingId);
        if (!l.active) revert OfferingListingInactive(listingId);
        uint256 offeringId = l.offeringId;
        Offering storage o = _offerings[offeringId];
        if (block.timestamp >= o.maturityAt) revert OfferingMatured(offeringId, o.maturityAt, block.timestamp);
        address buyer = _msgSender();
        address seller = l.seller;
        if (buyer == seller) revert OfferingSelfDealing(buyer);
        if (amount == 0) revert OfferingZeroAmount();
        uint256 remaining = l.amount;
        if (amount > remaining) revert OfferingListingInsufficient(listingId, remaining, amount);
        uint256 days_ = DiscountMath.daysUntil(block.timestamp, o.maturityAt);
        cash = _price(amount, l.rateBps, days_, o.dayCount, maxCash);

        // unchecked: amount <= remaining was just checked.
        unchecked {
            remaining -= amount;
        }
        l.amount = remaining;
        if (remaining == 0) l.active = false;
        // The token screens both sides and spends the lister's allowance to the vault.
        YieldToken(o.token).transferFrom(seller, buyer, amount);
        IERC20(o.cashToken).safeTransferFrom(buyer, seller, cash);
        emit ListingFilled(listingId, offeringId, buyer, seller, amount, cash, remaining, days_);
    }

    /// @inheritdoc IOfferingVault
    function cancelListing(uint256 listingId) external {
        Listing storage l = _requireListing(listingId);
        address caller = _msgSender();
        if (caller != l.seller) revert OfferingCallerNotLister(caller, l.seller);
        if (!l.active) revert OfferingListingInactive(listingId);
        uint256 remaining = l.amount;
        l.active = false;
        l.amount = 0;
        emit ListingCancelled(listingId, l.offeringId, caller, remaining);
    }

    // ---------------------------------------------------------------- maturity and redemption

    /// @inheritdoc IOfferingVault
    function collect(uint256 offeringId) external nonReentrant returns (uint256 received) {
        Offering storage o = _requireOffering(offeringId);
        _requireMatured(offeringId, o);
        received = _collect(offeringId, o);
    }

    /// @inheritdoc IOfferingVault
    function redeem(uint256 offeringId) external nonReentrant returns (uint256 cash) {
        Offering storage o = _requireOffering(offeringId);
        _requireMatured(offeringId, o);
        _collect(offeringId, o);
        address holder = _msgSender();
        if (!_registry.isVerified(holder)) revert OfferingHolderNotVerified(holder);
        if (YieldToken(o.token).isFrozen(holder)) revert IYieldToken.YieldTokenFrozen(holder);
        cash = _redeem(offeringId, o, holder);
        if (cash == 0) revert OfferingNothingToRedeem(offeringId, holder);
    }

    /// @inheritdoc IOfferingVault
    function redeemFor(uint256 offeringId, address[] calldata holders)
        external
        nonReentrant
        returns (uint256 total)
    {
        Offering storage o = _requireOffering(offeringId);
        _requireMatured(offeringId, o);
        _collect(offeringId, o);
        if (o.noteValue != 0) revert OfferingNotSettled(offeringId, o.noteValue);
        YieldToken token = YieldToken(o.token);
        for (uint256 i; i < holders.length; ++i) {
            address holder = holders[i];
            if (token.isFrozen(holder) || !_registry.isVerified(holder)) {
                emit RedemptionWithheld(offeringId, holder);
                continue;
            }
            total += _redeem(offeringId, o, holder);
        }
    }

    /// @inheritdoc IOfferingVault
    function sweepResidual(uint256 offeringId) external nonReentrant returns (uint256 amount) {
        Offering storage o = _requireOffering(offeringId);
        address seller = _requireSeller(o);
        _requireMatured(offeringId, o);
        _collect(offeringId, o);
        amount = o.cashReceived - o.cashRedeemed;
        if (amount == 0 || YieldToken(o.token).totalSupply() != 0) revert OfferingNoResidual(offeringId);
        o.cashRedeemed += amount;
        _accountedCash[o.redemptionCash] -= amount;
        IERC20(o.redemptionCash).safeTransfer(seller, amount);
        emit ResidualSwept(offeringId, seller, amount);
    }

    /// @dev Burns what `holder` may redeem and pays its share; 0 (nothing done) if it has nothing to
    ///      redeem or no cash is there for it yet.
    function _redeem(uint256 offeringId, Offering storage o, address holder) private returns (uint256 cash) {
        YieldToken token = YieldToken(o.token);
        (uint256 own, uint256 unsold) = _redeemable(o, token, holder);
        uint256 tokens = own + unsold;
        cash = _shareOf(o, tokens, token.totalSupply());
        if (cash == 0) return 0;
        // unchecked: the share never exceeds the cash received and not yet redeemed.
        unchecked {
            o.cashRedeemed += cash;
            o.tokensRedeemed += tokens;
            _accountedCash[o.redemptionCash] -= cash;
        }
        if (unsold != 0) {
            o.unsold = 0;
            token.burn(address(this), unsold);
        }
        if (own != 0) token.burn(holder, own);
        IERC20(o.redemptionCash).safeTransfer(holder, cash);
        emit Redeemed(offeringId, holder, tokens, cash);
    }

    /// @dev The holder's unfrozen tokens (none if frozen) and, for the seller, the unsold ones.
    function _redeemable(Offering storage o, YieldToken token, address holder)
        private
        view
        returns (uint256 own, uint256 unsold)
    {
        if (!token.isFrozen(holder)) {
            uint256 balance = token.balanceOf(holder);
            uint256 frozen = token.getFrozenTokens(holder);
            own = balance > frozen ? balance - frozen : 0;
        }
        if (holder == o.seller) unsold = o.unsold;
    }

    /// @dev The redemption rule: floor(tokens * cashLeft / outstanding); the last outstanding tokens take
    ///      all that is left (the rounding remainder), so the redemptions add up to the cash received.
    function _shareOf(Offering storage o, uint256 tokens, uint256 outstanding) private view returns (uint256) {
        uint256 cashLeft = o.cashReceived - o.cashRedeemed;
        if (tokens == 0 || cashLeft == 0) return 0;
        if (tokens == outstanding) return cashLeft;
        return Math.mulDiv(tokens, cashLeft, outstanding);
    }

    /// @dev Claims the vault's piece if the SettlementVault has a payment for it now, then accounts what
    ///      the piece received (by this claim or by payouts others ran).
    function _collect(uint256 offeringId, Offering storage o) private returns (uint256) {
        uint256 vaultTokenId = o.vaultTokenId;
        if (_settlement.quotePayout(vaultTokenId) != 0) _settlement.claim(vaultTokenId);
        return _sync(offeringId, o);
    }

    /// @dev Accounts the backing value paid on the note since the last look as cash received: for a
    ///      domestic voucher the SettlementVault pays one cash unit per unit of value. Credited at most
    ///      the cash the vault holds beyond what it already owes to offerings, so value that left the
    ///      piece without payment (e.g. a forced transfer by the compliance agent) is never paid twice.
    function _sync(uint256 offeringId, Offering storage o) private returns (uint256 credited) {
        uint256 current = _note.balanceOf(o.vaultTokenId);
        uint256 previous = o.noteValue;
        if (current >= previous) return 0;
        address cashToken = o.redemptionCash;
        if (cashToken == address(0)) {
            cashToken = _settlement.accountOf(o.slot).cashToken;
            if (cashToken == address(0)) return 0;
            o.redemptionCash = cashToken;
        }
        uint256 unaccounted = IERC20(cashToken).balanceOf(address(this)) - _accountedCash[cashToken];
        // unchecked: current < previous was checked above.
        unchecked {
            credited = Math.min(previous - current, unaccounted);
        }
        o.noteValue = current;
        if (credited == 0) return 0;
        o.cashReceived += credited;
        _accountedCash[cashToken] += credited;
        emit OfferingCashReceived(offeringId, credited, o.cashReceived, current);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IOfferingVault
    function priceOf(uint256 offeringId, uint256 amount) external view returns (uint256) {
        Offering storage o = _requireOffering(offeringId);
        return DiscountMath.discountPriceDown(
            amount, o.rateBps, DiscountMath.daysUntil(block.timestamp, o.maturityAt), o.dayCount
        );
    }

    /// @inheritdoc IOfferingVault
    function listingPriceOf(uint256 listingId, uint256 amount) external view returns (uint256) {
        Listing storage l = _requireListing(listingId);
        Offering storage o = _offerings[l.offeringId];
        return DiscountMath.discountPriceDown(
            amount, l.rateBps, DiscountMath.daysUntil(block.timestamp, o.maturityAt), o.dayCount
        );
    }

    /// @inheritdoc IOfferingVault
    function daysToMaturity(uint256 offeringId) external view returns (uint256) {
        return DiscountMath.daysUntil(block.timestamp, _requireOffering(offeringId).maturityAt);
    }

    /// @inheritdoc IOfferingVault
    function isOpen(uint256 offeringId) external view returns (bool) {
        return _isOpen(_requireOffering(offeringId));
    }

    /// @inheritdoc IOfferingVault
    function offering(uint256 offeringId) external view returns (Offering memory) {
        return _requireOffering(offeringId);
    }

    /// @inheritdoc IOfferingVault
    function listing(uint256 listingId) external view returns (Listing memory) {
        return _requireListing(listingId);
    }

    /// @inheritdoc IOfferingVault
    function offeringCount() external view returns (uint256) {
        return _offeringCount;
    }

    /// @inheritdoc IOfferingVault
    function listingCount() external view returns (uint256) {
        return _listingCount;
    }

    /// @inheritdoc IOfferingVault
    function outstandingTokens(uint256 offeringId) external view returns (uint256) {
        return YieldToken(_requireOffering(offeringId).token).totalSupply();
    }

    /// @inheritdoc IOfferingVault
    function redemptionStatus(uint256 offeringId)
        external
        view
        returns (
            ISettlementVault.SettlementStatus status,
            uint256 noteValueUnpaid,
            uint256 cashReceived,
            uint256 cashAvailable,
            uint256 tokensOutstanding
        )
    {
        Offering storage o = _requireOffering(offeringId);
        status = _settlement.statusOf(o.slot);
        noteValueUnpaid = _note.balanceOf(o.vaultTokenId);
        uint256 pending = _pendingCash(o, noteValueUnpaid);
        cashReceived = o.cashReceived + pending;
        cashAvailable = cashReceived - o.cashRedeemed;
        tokensOutstanding = YieldToken(o.token).totalSupply();
    }

    /// @inheritdoc IOfferingVault
    function redemptionQuote(uint256 offeringId, address holder) external view returns (uint256 tokens, uint256 cash) {
        Offering storage o = _requireOffering(offeringId);
        if (block.timestamp < o.maturityAt || !_registry.isVerified(holder)) return (0, 0);
        YieldToken token = YieldToken(o.token);
        (uint256 own, uint256 unsold) = _redeemable(o, token, holder);
        tokens = own + unsold;
        uint256 cashLeft = o.cashReceived + _pendingCash(o, _note.balanceOf(o.vaultTokenId)) - o.cashRedeemed;
        uint256 outstanding = token.totalSupply();
        if (tokens == 0 || cashLeft == 0) return (tokens, 0);
        cash = tokens == outstanding ? cashLeft : Math.mulDiv(tokens, cashLeft, outstanding);
    }

    /// @notice The note whose pieces back the offerings.
    function note() external view returns (ICascadeNote) {
        return _note;
    }

    /// @notice The settlement vault that pays the backing pieces at maturity.
    function settlementVault() external view returns (ISettlementVault) {
        return _settlement;
    }

    /// @notice The YieldToken implementation every offering's token is a clone of.
    function tokenImplementation() external view returns (address) {
        return _tokenImplementation;
    }

    // ---------------------------------------------------------------- internals

    /// @dev What `_sync` would credit now (a view of the same rule).
    function _pendingCash(Offering storage o, uint256 current) private view returns (uint256) {
        if (current >= o.noteValue) return 0;
        address cashToken = o.redemptionCash;
        if (cashToken == address(0)) cashToken = _settlement.accountOf(o.slot).cashToken;
        if (cashToken == address(0)) return 0;
        uint256 unaccounted = IERC20(cashToken).balanceOf(address(this)) - _accountedCash[cashToken];
        return Math.min(o.noteValue - current, unaccounted);
    }

    function _isOpen(Offering storage o) private view returns (bool) {
        return !o.closed && block.timestamp < o.closesAt;
    }

    /// @dev The price of `amount` (see the pricing rule), positive and at most `maxCash`.
    function _price(uint256 amount, uint256 rateBps, uint256 days_, uint256 dayCount, uint256 maxCash)
        private
        pure
        returns (uint256 cash)
    {
        cash = DiscountMath.discountPriceDown(amount, rateBps, days_, dayCount);
        if (cash == 0) revert OfferingZeroPrice(amount);
        if (cash > maxCash) revert OfferingPriceAboveMax(cash, maxCash);
    }

    /// @dev A rate within MAX_RATE_BPS under a valid day count whose discount leaves a positive price for
    ///      `days_` days (and so for any later, shorter term).
    function _requireRate(uint256 rateBps, uint256 dayCount, uint256 days_) private pure {
        DiscountMath.requireBasis(dayCount);
        if (rateBps > MAX_RATE_BPS) revert OfferingInvalidRate(rateBps, MAX_RATE_BPS);
        if (rateBps * days_ >= DiscountMath.BPS * dayCount) revert OfferingRateTooHigh(rateBps, days_, dayCount);
    }

    function _requireOffering(uint256 offeringId) private view returns (Offering storage o) {
        o = _offerings[offeringId];
        if (o.seller == address(0)) revert OfferingUnknown(offeringId);
    }

    function _requireListing(uint256 listingId) private view returns (Listing storage l) {
        l = _listings[listingId];
        if (l.seller == address(0)) revert OfferingUnknownListing(listingId);
    }

    function _requireSeller(Offering storage o) private view returns (address seller) {
        seller = o.seller;
        address caller = _msgSender();
        if (caller != seller) revert OfferingCallerNotSeller(caller, seller);
    }

    function _requireMatured(uint256 offeringId, Offering storage o) private view {
        if (block.timestamp < o.maturityAt) revert OfferingNotMatured(offeringId, o.maturityAt, block.timestamp);
    }

    function _requiredCashDecimals() internal view override returns (uint8) {
        return _note.valueDecimals();
    }
}
