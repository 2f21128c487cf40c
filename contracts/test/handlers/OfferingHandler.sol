// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {CommonBase} from "forge-std/Base.sol";
import {StdCheats} from "forge-std/StdCheats.sol";
import {StdUtils} from "forge-std/StdUtils.sol";
import {ICascadeNote} from "../../src/interfaces/ICascadeNote.sol";
import {IOfferingVault} from "../../src/interfaces/IOfferingVault.sol";
import {OfferingVault} from "../../src/market/OfferingVault.sol";
import {YieldToken} from "../../src/market/YieldToken.sol";
import {SettlementToken} from "../../src/SettlementToken.sol";
import {SettlementVault} from "../../src/SettlementVault.sol";

/// @dev Drives one offering through random subscriptions, withdrawals, token transfers, listings and
///      purchases, time, partial and full fundings, payouts of the vault's piece, collections and
///      redemptions, keeping ghost sums of what moved.
contract OfferingHandler is CommonBase, StdCheats, StdUtils {
    OfferingVault internal immutable market;
    SettlementVault internal immutable settlement;
    ICascadeNote internal immutable note;
    SettlementToken internal immutable cash;
    YieldToken internal immutable token;
    address internal immutable obligor;
    address internal immutable minter;
    address internal immutable seller;
    uint256 public immutable offeringId;
    uint256 internal immutable slot;
    uint256 internal immutable maturityAt;

    address[] internal investors;

    uint256 public ghostPrimaryCash;
    uint256 public ghostWithdrawn;
    uint256 public ghostRedeemedCash;
    uint256 public ghostRedeemedTokens;
    uint256 public ghostSecondaryCashPaid;
    uint256 public ghostSecondaryCashReceived;
    /// @dev Set if the redemption that burned the last token did not pay out exactly the pool.
    bool public ghostLastRedemptionInexact;
    uint256 public ghostCalls;
    uint256 public ghostRedemptions;
    uint256 public ghostSales;

    constructor(
        OfferingVault market_,
        SettlementVault settlement_,
        SettlementToken cash_,
        address obligor_,
        address minter_,
        uint256 offeringId_,
        address[] memory investors_
    ) {
        market = market_;
        settlement = settlement_;
        note = market_.note();
        cash = cash_;
        obligor = obligor_;
        minter = minter_;
        offeringId = offeringId_;
        IOfferingVault.Offering memory o = market_.offering(offeringId_);
        token = YieldToken(o.token);
        seller = o.seller;
        slot = o.slot;
        maturityAt = o.maturityAt;
        investors = investors_;
    }

    function _investor(uint256 seed) internal view returns (address) {
        return investors[seed % investors.length];
    }

    function subscribe(uint256 who, uint256 amount) external {
        ++ghostCalls;
        uint256 unsold = market.offering(offeringId).unsold;
        if (unsold == 0 || !market.isOpen(offeringId)) return;
        amount = bound(amount, 1, unsold);
        vm.prank(_investor(who));
        try market.subscribe(offeringId, amount, type(uint256).max) returns (uint256 paid) {
            ghostPrimaryCash += paid;
        } catch {}
    }

    function withdraw(uint256 amount) external {
        ++ghostCalls;
        uint256 unsold = market.offering(offeringId).unsold;
        if (unsold == 0 || block.timestamp >= maturityAt) return;
        amount = bound(amount, 1, unsold);
        vm.prank(seller);
        try market.withdraw(offeringId, amount) {
            ghostWithdrawn += amount;
        } catch {}
    }

    function transfer(uint256 from, uint256 to, uint256 amount) external {
        ++ghostCalls;
        address a = _investor(from);
        address b = _investor(to);
        uint256 balance = token.balanceOf(a);
        if (balance == 0 || a == b) return;
        amount = bound(amount, 1, balance);
        vm.prank(a);
        token.transfer(b, amount);
    }

    function listAndBuy(uint256 from, uint256 to, uint256 amount, uint256 rate) external {
        ++ghostCalls;
        address a = _investor(from);
        address b = _investor(to);
        uint256 balance = token.balanceOf(a);
        if (balance == 0 || a == b || block.timestamp >= maturityAt) return;
        amount = bound(amount, 1, balance);
        rate = bound(rate, 0, 5_000);
        vm.startPrank(a);
        token.approve(address(market), amount);
        uint256 listingId = market.listForSale(offeringId, amount, rate);
        vm.stopPrank();
        uint256 before = cash.balanceOf(a);
        vm.prank(b);
        try market.buyListing(listingId, amount, type(uint256).max) returns (uint256 paid) {
            ghostSecondaryCashPaid += paid;
            ++ghostSales;
            ghostSecondaryCashReceived += cash.balanceOf(a) - before;
        } catch {}
    }

    function warp(uint256 seconds_) external {
        ++ghostCalls;
        vm.warp(block.timestamp + bound(seconds_, 1 hours, 20 days));
    }

    /// @dev Jumps to maturity (or up to 40 days past it), so that runs reach redemption.
    function mature(uint256 late) external {
        ++ghostCalls;
        if (block.timestamp < maturityAt) vm.warp(maturityAt + bound(late, 0, 40 days));
    }

    function fund(uint256 amount) external {
        ++ghostCalls;
        uint256 left = settlement.accountOf(slot).funded - settlement.accountOf(slot).paidOut;
        uint256 outstanding = note.outstandingValueOf(slot);
        if (outstanding <= left) return;
        amount = bound(amount, 1, outstanding - left);
        vm.prank(minter);
        cash.mint(obligor, amount);
        vm.startPrank(obligor);
        cash.approve(address(settlement), amount);
        settlement.fund(slot, amount);
        vm.stopPrank();
    }

    function payoutPiece() external {
        ++ghostCalls;
        if (block.timestamp < maturityAt) return;
        uint256[] memory ids = new uint256[](1);
        ids[0] = market.offering(offeringId).vaultTokenId;
        try settlement.payout(slot, ids) {} catch {}
    }

    function collect() external {
        ++ghostCalls;
        if (block.timestamp < maturityAt) return;
        market.collect(offeringId);
    }

    function redeem(uint256 who) external {
        ++ghostCalls;
        if (block.timestamp < maturityAt) return;
        address holder = who % (investors.length + 1) == investors.length ? seller : _investor(who);
        (uint256 tokens,) = market.redemptionQuote(offeringId, holder);
        vm.prank(holder);
        try market.redeem(offeringId) returns (uint256 paid) {
            ghostRedeemedCash += paid;
            ++ghostRedemptions;
            ghostRedeemedTokens += tokens;
            IOfferingVault.Offering memory o = market.offering(offeringId);
            if (token.totalSupply() == 0 && o.cashRedeemed != o.cashReceived) ghostLastRedemptionInexact = true;
        } catch {}
    }
}
