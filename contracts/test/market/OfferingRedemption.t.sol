// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IOfferingVault} from "../../src/interfaces/IOfferingVault.sol";
import {ISettlementVault} from "../../src/interfaces/ISettlementVault.sol";
import {IYieldToken} from "../../src/interfaces/IYieldToken.sol";
import {YieldToken} from "../../src/market/YieldToken.sol";
import {MarketTestBase} from "./MarketTestBase.sol";

/// @dev Maturity: the vault's piece paid by the SettlementVault (payout job or `collect`), then holders
///      redeem their tokens for exactly the cash the piece received.
contract OfferingRedemptionTest is MarketTestBase {
    uint256 internal id;
    YieldToken internal token;

    function setUp() public override {
        super.setUp();
        id = _open(60_000_000, RATE);
        token = _token(id);
        _subscribe(investorA, id, 30_000_000);
        _subscribe(investorB, id, 20_000_000);
        // 10,000,000 stay unsold (the seller's); 40,000,000 of the voucher stay with supplier A directly.
    }

    function _redeem(address holder) internal returns (uint256) {
        vm.prank(holder);
        return market.redeem(id);
    }

    function test_Redeem_BeforeMaturityRefused() public {
        vm.prank(investorA);
        vm.expectRevert(
            abi.encodeWithSelector(IOfferingVault.OfferingNotMatured.selector, id, maturityAt, block.timestamp)
        );
        market.redeem(id);
        vm.expectRevert(
            abi.encodeWithSelector(IOfferingVault.OfferingNotMatured.selector, id, maturityAt, block.timestamp)
        );
        market.collect(id);
    }

    function test_FullPayment_ByThePayoutJob_OneCashUnitPerToken() public {
        _fund(FACE);
        vm.warp(maturityAt);
        // The service's payout job pays every piece, the vault's among them.
        assertEq(_payoutPiece(_vaultPiece(id)), 60_000_000);
        assertEq(cny.balanceOf(address(market)), 60_000_000);
        (ISettlementVault.SettlementStatus status, uint256 unpaid, uint256 received, uint256 available, uint256 outstanding)
        = market.redemptionStatus(id);
        assertEq(uint256(status), uint256(ISettlementVault.SettlementStatus.Matured));
        assertEq(unpaid, 0);
        assertEq(received, 60_000_000, "the view includes payouts not yet accounted");
        assertEq(available, 60_000_000);
        assertEq(outstanding, 60_000_000);
        (uint256 quoteTokens, uint256 quoteCash) = market.redemptionQuote(id, investorA);
        assertEq(quoteTokens, 30_000_000);
        assertEq(quoteCash, 30_000_000);

        vm.expectEmit(address(market));
        emit IOfferingVault.OfferingCashReceived(id, 60_000_000, 60_000_000, 0);
        vm.expectEmit(address(market));
        emit IOfferingVault.Redeemed(id, investorA, 30_000_000, 30_000_000);
        assertEq(_redeem(investorA), 30_000_000);
        assertEq(_redeem(investorB), 20_000_000);
        assertEq(_redeem(supplierA), 10_000_000, "the seller redeems its unsold tokens");
        assertEq(cny.balanceOf(address(market)), 0);
        assertEq(token.totalSupply(), 0);
        IOfferingVault.Offering memory o = _offering(id);
        assertEq(o.cashReceived, 60_000_000);
        assertEq(o.cashRedeemed, 60_000_000);
        assertEq(o.tokensRedeemed, 60_000_000);
        assertEq(o.unsold, 0);
        assertEq(o.noteValue, 0);

        vm.prank(investorA);
        vm.expectRevert(abi.encodeWithSelector(IOfferingVault.OfferingNothingToRedeem.selector, id, investorA));
        market.redeem(id);
    }

    function test_Collect_ClaimsTheVaultsPiece() public {
        _fund(FACE);
        vm.warp(maturityAt + 1 days);
        vm.expectEmit(address(market));
        emit IOfferingVault.OfferingCashReceived(id, 60_000_000, 60_000_000, 0);
        assertEq(market.collect(id), 60_000_000);
        assertEq(market.collect(id), 0, "nothing more to collect");
        assertEq(_offering(id).cashReceived, 60_000_000);
    }

    function test_Collect_WithoutFunding_ReceivesNothing_AndRedeemWaits() public {
        vm.warp(maturityAt);
        assertEq(market.collect(id), 0);
        vm.prank(investorA);
        vm.expectRevert(abi.encodeWithSelector(IOfferingVault.OfferingNothingToRedeem.selector, id, investorA));
        market.redeem(id);
        assertEq(token.balanceOf(investorA), 30_000_000, "no tokens burned for nothing");
    }

    function test_RedeemFor_BatchesOnceSettled_PassingOverFrozenAndUnverified() public {
        _fund(FACE);
        vm.warp(maturityAt);
        vm.prank(agent);
        token.setAddressFrozen(investorB, true);
        address[] memory holders = new address[](4);
        (holders[0], holders[1], holders[2], holders[3]) = (investorA, investorB, supplierA, outsider);
        uint256 before = cny.balanceOf(investorA);
        vm.expectEmit(address(market));
        emit IOfferingVault.RedemptionWithheld(id, investorB);
        uint256 total = market.redeemFor(id, holders);
        assertEq(total, 40_000_000);
        assertEq(cny.balanceOf(investorA), before + 30_000_000);
        assertEq(token.balanceOf(investorA), 0);
        assertEq(token.balanceOf(investorB), 20_000_000, "the frozen holder keeps its tokens and its claim");
        vm.prank(investorB);
        vm.expectRevert(abi.encodeWithSelector(IYieldToken.YieldTokenFrozen.selector, investorB));
        market.redeem(id);
        vm.prank(agent);
        token.setAddressFrozen(investorB, false);
        assertEq(_redeem(investorB), 20_000_000);
    }

    function test_Redeem_UnverifiedHolderWaits() public {
        _fund(FACE);
        vm.warp(maturityAt);
        _revoke(investorA);
        vm.prank(investorA);
        vm.expectRevert(abi.encodeWithSelector(IOfferingVault.OfferingHolderNotVerified.selector, investorA));
        market.redeem(id);
    }

    function test_Redeem_FrozenTokensStay_TheRestIsPaid() public {
        _fund(FACE);
        vm.warp(maturityAt);
        vm.prank(agent);
        token.freezePartialTokens(investorA, 10_000_000);
        assertEq(_redeem(investorA), 20_000_000);
        assertEq(token.balanceOf(investorA), 10_000_000);
        vm.prank(agent);
        token.unfreezePartialTokens(investorA, 10_000_000);
        assertEq(_redeem(investorA), 10_000_000);
    }

    /// @dev Partial funding, then default: redemption reflects what the piece actually received; a holder
    ///      redeeming early takes its share of the cash so far; the last redeemer takes the remainder.
    function test_PartialPayment_Default_RedemptionsAddUpToCashReceived() public {
        // 40% of the voucher funded: the vault's piece gets 40% of its value.
        _fund(40_000_000);
        vm.warp(maturityAt + DEFAULT_AFTER);
        assertEq(market.collect(id), 24_000_000);
        (ISettlementVault.SettlementStatus status, uint256 unpaid, uint256 received,, uint256 outstanding) =
            market.redemptionStatus(id);
        assertEq(uint256(status), uint256(ISettlementVault.SettlementStatus.Defaulted));
        assertEq(unpaid, 36_000_000);
        assertEq(received, 24_000_000);
        assertEq(outstanding, 60_000_000);

        address[] memory holders = new address[](1);
        holders[0] = investorA;
        vm.expectRevert(abi.encodeWithSelector(IOfferingVault.OfferingNotSettled.selector, id, 36_000_000));
        market.redeemFor(id, holders);

        // Investor B chooses to take its share now: 20/60 of 24,000,000.
        assertEq(_redeem(investorB), 8_000_000);
        // A late recovery: the obligor pays 10,000,000 more; the vault's piece gets its share next round.
        _fund(10_000_000);
        uint256 more = market.collect(id);
        assertGt(more, 0);
        IOfferingVault.Offering memory o = _offering(id);
        uint256 left = o.cashReceived - o.cashRedeemed;
        // Investor A holds 30 of the 40 million outstanding tokens.
        uint256 a = _redeem(investorA);
        assertEq(a, left * 30_000_000 / 40_000_000);
        uint256 s = _redeem(supplierA);
        o = _offering(id);
        assertEq(o.cashRedeemed, o.cashReceived, "the last redeemer takes exactly what is left");
        assertEq(8_000_000 + a + s, o.cashReceived);
        assertEq(cny.balanceOf(address(market)), 0);
    }

    /// @dev Each redemption is floored against the cash still in the pool, so rounding remainders stay with
    ///      the holders still in it, and the last redeemer takes exactly what is left.
    function test_Remainder_StaysInThePool_LastRedeemerTakesWhatIsLeft() public {
        // Three holders of 100 tokens each; the piece receives 200 cash units (a partial payment).
        (uint256 smallSlot, uint256 small) = _issue(supplierB, 300, 1, maturityAt);
        uint256 sid = _openAs(supplierB, small, 300, 0, 360, 0, maturityAt, new bytes2[](0));
        _subscribe(investorA, sid, 100);
        _subscribe(investorB, sid, 100);
        _subscribe(investorUS, sid, 100);
        _mint(cny, obligor, 200);
        _approve(cny, obligor, address(vault), 200);
        vm.prank(obligor);
        vault.fund(smallSlot, 200);
        vm.warp(maturityAt);
        assertEq(market.collect(sid), 200);
        uint256[3] memory expected = [uint256(66), 67, 67]; // floor(100*200/300), floor(100*134/200), the rest
        address[3] memory holders = [investorA, investorB, investorUS];
        uint256 paid;
        for (uint256 k; k < 3; ++k) {
            vm.prank(holders[k]);
            uint256 cash = market.redeem(sid);
            assertEq(cash, expected[k]);
            paid += cash;
        }
        assertEq(paid, 200);
        assertEq(_token(sid).totalSupply(), 0);
    }

    function test_SweepResidual_OnlyOnceEveryTokenIsRedeemed() public {
        _fund(30_000_000);
        vm.warp(maturityAt + DEFAULT_AFTER);
        market.collect(id);
        vm.prank(supplierA);
        vm.expectRevert(abi.encodeWithSelector(IOfferingVault.OfferingNoResidual.selector, id));
        market.sweepResidual(id);
        _redeem(investorA);
        _redeem(investorB);
        _redeem(supplierA);
        assertEq(token.totalSupply(), 0);
        // A recovery arrives after every holder took its share.
        _fund(5_000_000);
        uint256 late = market.collect(id);
        assertGt(late, 0);
        vm.prank(investorA);
        vm.expectRevert(abi.encodeWithSelector(IOfferingVault.OfferingCallerNotSeller.selector, investorA, supplierA));
        market.sweepResidual(id);
        uint256 before = cny.balanceOf(supplierA);
        vm.prank(supplierA);
        assertEq(market.sweepResidual(id), late);
        assertEq(cny.balanceOf(supplierA), before + late);
        assertEq(cny.balanceOf(address(market)), 0);
    }

    /// @dev Two offerings on one voucher: payouts to both pieces are accounted to each, never crossed.
    function test_TwoOfferings_CashAccountedPerPiece() public {
        uint256 id2 = _open(40_000_000, 300);
        _subscribe(investorUS, id2, 40_000_000);
        _fund(FACE);
        vm.warp(maturityAt);
        uint256[] memory ids = new uint256[](2);
        (ids[0], ids[1]) = (_vaultPiece(id2), _vaultPiece(id));
        vault.payout(slot, ids);
        vm.prank(investorUS);
        assertEq(market.redeem(id2), 40_000_000);
        assertEq(_offering(id2).cashReceived, 40_000_000);
        assertEq(market.collect(id), 60_000_000);
    }

    function testFuzz_Redemption_PaysExactlyWhatTheVaultReceived(uint256 funding, uint256 buyA, uint256 buyB, uint8 order)
        public
    {
        funding = bound(funding, 1_000_000, FACE);
        buyA = bound(buyA, 100_000, 4_900_000);
        buyB = bound(buyB, 100_000, 4_900_000);
        _subscribe(investorA, id, buyA);
        _subscribe(investorB, id, buyB);
        _fund(funding);
        vm.warp(maturityAt);
        market.collect(id);
        uint256 received = _offering(id).cashReceived;
        assertEq(received, 60_000_000 - note.balanceOf(_vaultPiece(id)), "one cash unit per unit of value paid");
        address[3] memory holders = [investorA, investorB, supplierA];
        uint256 paid;
        for (uint256 k; k < 3; ++k) {
            address h = holders[(k + order) % 3];
            (, uint256 quoted) = market.redemptionQuote(id, h);
            vm.prank(h);
            uint256 cash = market.redeem(id);
            assertEq(cash, quoted, "the quote is what redeem pays");
            paid += cash;
        }
        assertEq(_token(id).totalSupply(), 0);
        assertEq(paid, received, "sum of redemptions == cash received");
        assertEq(cny.balanceOf(address(market)), 0);
    }
}
