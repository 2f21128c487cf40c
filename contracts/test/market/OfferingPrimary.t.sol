// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {IOfferingVault} from "../../src/interfaces/IOfferingVault.sol";
import {IYieldToken} from "../../src/interfaces/IYieldToken.sol";
import {IReceivableNote} from "../../src/interfaces/IReceivableNote.sol";
import {DiscountMath} from "../../src/libraries/DiscountMath.sol";
import {OfferingVault} from "../../src/market/OfferingVault.sol";
import {YieldToken} from "../../src/market/YieldToken.sol";
import {MarketTestBase} from "./MarketTestBase.sol";

/// @dev Opening, pricing, subscribing, withdrawing and closing offerings.
contract OfferingPrimaryTest is MarketTestBase {
    // ------------------------------------------------------------ opening

    function test_Open_MovesValueIntoTheVaultsPiece_AndMintsOneTokenPerMinorUnit() public {
        uint256 closesAt = block.timestamp + 30 days;
        vm.startPrank(supplierA);
        note.approve(rootToken, address(market), 40_000_000);
        vm.expectEmit(false, false, false, false, address(market));
        emit IOfferingVault.OfferingOpened(1, supplierA, slot, 0, address(0), 40_000_000, RATE, 365, 1_000, closesAt);
        uint256 offeringId = market.openOffering(rootToken, 40_000_000, RATE, 365, 1_000, closesAt, _cn());
        vm.stopPrank();

        assertEq(offeringId, 1);
        IOfferingVault.Offering memory o = market.offering(offeringId);
        assertEq(o.seller, supplierA);
        assertEq(o.slot, slot);
        assertEq(o.cashToken, address(cny));
        assertEq(o.rateBps, RATE);
        assertEq(o.dayCount, 365);
        assertEq(o.minSubscription, 1_000);
        assertEq(o.closesAt, closesAt);
        assertEq(o.maturityAt, maturityAt);
        assertEq(o.noteValue, 40_000_000);
        assertEq(o.unsold, 40_000_000);
        assertEq(note.ownerOf(o.vaultTokenId), address(market));
        assertEq(note.balanceOf(o.vaultTokenId), 40_000_000);
        assertEq(note.balanceOf(rootToken), FACE - 40_000_000);

        YieldToken token = YieldToken(o.token);
        assertEq(token.totalSupply(), 40_000_000);
        assertEq(token.balanceOf(address(market)), 40_000_000);
        assertEq(token.decimals(), 2);
        assertEq(token.vault(), address(market));
        assertEq(token.offeringId(), 1);
        assertEq(token.name(), "Cascade Yield Token 1");
        assertEq(token.symbol(), "CYT-1");
        assertTrue(token.isCountryAllowed("CN"));
        assertFalse(token.isCountryAllowed("US"));
        assertEq(market.outstandingTokens(1), 40_000_000);
        assertTrue(market.isOpen(1));
        assertEq(market.offeringCount(), 1);
    }

    function test_Open_ThroughTheForwarder_TheSignerIsTheSeller() public {
        vm.prank(supplierA);
        note.approve(rootToken, address(market), 1_000);
        _relay(
            supplierAKey,
            address(market),
            abi.encodeCall(market.openOffering, (rootToken, 1_000, RATE, 360, 0, maturityAt, new bytes2[](0)))
        );
        assertEq(market.offering(1).seller, supplierA);
    }

    function test_Open_Refusals() public {
        vm.prank(supplierA);
        note.approve(rootToken, address(market), FACE);
        bytes2[] memory none = new bytes2[](0);

        vm.prank(supplierB);
        vm.expectRevert(
            abi.encodeWithSelector(IOfferingVault.OfferingCallerNotHolder.selector, supplierB, rootToken, supplierA)
        );
        market.openOffering(rootToken, 1, RATE, 360, 0, maturityAt, none);

        vm.startPrank(supplierA);
        vm.expectRevert(IOfferingVault.OfferingZeroAmount.selector);
        market.openOffering(rootToken, 0, RATE, 360, 0, maturityAt, none);
        vm.expectRevert(abi.encodeWithSelector(IOfferingVault.OfferingInvalidMinimum.selector, 11, 10));
        market.openOffering(rootToken, 10, RATE, 360, 11, maturityAt, none);
        vm.expectRevert(
            abi.encodeWithSelector(
                IOfferingVault.OfferingInvalidClose.selector, maturityAt + 1, block.timestamp, maturityAt
            )
        );
        market.openOffering(rootToken, 10, RATE, 360, 0, maturityAt + 1, none);
        vm.expectRevert(
            abi.encodeWithSelector(
                IOfferingVault.OfferingInvalidClose.selector, block.timestamp, block.timestamp, maturityAt
            )
        );
        market.openOffering(rootToken, 10, RATE, 360, 0, block.timestamp, none);
        vm.expectRevert(abi.encodeWithSelector(DiscountMath.DiscountMathInvalidBasis.selector, 364));
        market.openOffering(rootToken, 10, RATE, 364, 0, maturityAt, none);
        vm.expectRevert(abi.encodeWithSelector(IOfferingVault.OfferingInvalidRate.selector, 10_001, 10_000));
        market.openOffering(rootToken, 10, 10_001, 360, 0, maturityAt, none);
        vm.expectRevert(
            abi.encodeWithSelector(IYieldToken.YieldTokenInvalidCountry.selector, bytes2("ZZ"))
        );
        bytes2[] memory bad = new bytes2[](1);
        bad[0] = "ZZ";
        market.openOffering(rootToken, 10, RATE, 360, 0, maturityAt, bad);
        vm.stopPrank();
    }

    function test_Open_RefusesARateThatEatsTheWholeValue() public {
        // 180 days at 100%/360: 50% discount, fine; a voucher 400 days out at 100% is refused.
        uint256 farMaturity = block.timestamp + 400 days;
        (, uint256 far) = _issue(supplierB, 1_000, 1, farMaturity);
        vm.startPrank(supplierB);
        note.approve(far, address(market), 1_000);
        vm.expectRevert(abi.encodeWithSelector(IOfferingVault.OfferingRateTooHigh.selector, 10_000, 400, 365));
        market.openOffering(far, 1_000, 10_000, 365, 0, farMaturity, new bytes2[](0));
        vm.stopPrank();
    }

    function test_Open_RefusesCrossBorderVouchers() public {
        (uint256 usdSlot, uint256 usdToken) = _issueCrossBorder(supplierB, 1_000, 1, maturityAt, 0);
        vm.startPrank(supplierB);
        note.approve(usdToken, address(market), 1_000);
        vm.expectRevert(
            abi.encodeWithSelector(IOfferingVault.OfferingCrossBorderVoucher.selector, usdSlot, USD, CNY)
        );
        market.openOffering(usdToken, 1_000, RATE, 360, 0, maturityAt, new bytes2[](0));
        vm.stopPrank();
    }

    function test_Open_NeedsTheVaultRegisteredAsAPlatformContract() public {
        vm.prank(agent);
        registry.setIdentity(address(market), false, 0, bytes2(0), 0, REASON);
        vm.startPrank(supplierA);
        note.approve(rootToken, address(market), 1_000);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteParticipantNotVerified.selector, address(market)));
        market.openOffering(rootToken, 1_000, RATE, 360, 0, maturityAt, new bytes2[](0));
        vm.stopPrank();
    }

    function test_Open_NeedsTheSellersApprovalOnTheNote() public {
        vm.prank(supplierA);
        vm.expectRevert(
            abi.encodeWithSelector(IReceivableNote.NoteInsufficientAllowance.selector, rootToken, address(market), 0, 1_000)
        );
        market.openOffering(rootToken, 1_000, RATE, 360, 0, maturityAt, new bytes2[](0));
    }

    function test_Constructor_RefusesAForeignImplementation() public {
        YieldToken foreign = new YieldToken(note, address(0xF00));
        vm.expectRevert(
            abi.encodeWithSelector(IOfferingVault.OfferingImplementationMismatch.selector, address(foreign))
        );
        new OfferingVault(note, vault, foreign, address(forwarder), admin, ADMIN_DELAY);
    }

    // ------------------------------------------------------------ pricing

    function test_PriceOf_WorkedExamples() public {
        uint256 id = _open(FACE, 500);
        // 180 days at 5.00% ACT/360: discount exactly 2.5% of 1,000,000.00.
        assertEq(market.priceOf(id, FACE), 97_500_000);
        assertEq(market.daysToMaturity(id), 180);
        // 333 tokens: discount 333 * 500 * 180 / 3,600,000 = 8.325, rounded up to 9.
        assertEq(market.priceOf(id, 333), 324);
        vm.warp(maturityAt - 90 days);
        assertEq(market.priceOf(id, FACE), 98_750_000);
        vm.warp(maturityAt - 1);
        assertEq(market.daysToMaturity(id), 0);
        assertEq(market.priceOf(id, FACE), FACE, "under a whole day left: face value");
    }

    function testFuzz_PriceOf_RoundsTheDiscountUp(uint256 amount, uint256 rate, uint256 elapsed, bool act365) public {
        amount = bound(amount, 1, FACE);
        rate = bound(rate, 0, 10_000);
        uint256 basis = act365 ? 365 : 360;
        uint256 id = _openAs(supplierA, rootToken, FACE, rate, basis, 0, maturityAt, new bytes2[](0));
        vm.warp(block.timestamp + bound(elapsed, 0, TERM + 10 days));
        uint256 days_ = _daysLeft();
        uint256 price = market.priceOf(id, amount);
        assertEq(price, _expectedPrice(amount, rate, days_, basis));
        // price <= exact price < price + 1, i.e. the buyer pays at most the exact price, less than 1 below.
        uint256 scale = 10_000 * basis;
        assertLe(price * scale, amount * (scale - rate * days_));
        assertGt((price + 1) * scale, amount * (scale - rate * days_));
    }

    function testFuzz_PriceOf_LaterPurchasePaysNoLessPerToken(uint256 amount, uint256 t1, uint256 t2) public {
        amount = bound(amount, 1, FACE);
        uint256 id = _open(FACE, RATE);
        t1 = bound(t1, block.timestamp, maturityAt + 1 days);
        t2 = bound(t2, t1, maturityAt + 1 days);
        vm.warp(t1);
        uint256 early = market.priceOf(id, amount);
        vm.warp(t2);
        uint256 later = market.priceOf(id, amount);
        assertGe(later, early);
        assertLe(later, amount);
    }

    function test_PriceOf_StrictlyMoreAsMaturityNears() public {
        uint256 id = _open(FACE, RATE);
        uint256 previous = market.priceOf(id, FACE);
        for (uint256 d = 1; d <= 180; ++d) {
            vm.warp(maturityAt - (180 - d) * 1 days);
            uint256 price = market.priceOf(id, FACE);
            assertGt(price, previous, "one day later, one day's discount less");
            previous = price;
        }
        assertEq(previous, FACE);
    }

    // ------------------------------------------------------------ subscribing

    function test_Subscribe_DeliveryVersusPayment() public {
        uint256 id = _open(FACE, RATE);
        vm.warp(block.timestamp + 30 days);
        uint256 expected = _expectedPrice(10_000_000, RATE, 150, 360);
        assertEq(expected, 9_750_000);
        vm.expectEmit(address(market));
        emit IOfferingVault.Subscribed(id, investorA, 10_000_000, expected, RATE, 150);
        uint256 cash = _subscribe(investorA, id, 10_000_000);
        assertEq(cash, expected);
        assertEq(cny.balanceOf(investorA), CASH - expected);
        assertEq(cny.balanceOf(supplierA), expected);
        assertEq(cny.balanceOf(address(market)), 0, "the vault never holds purchase cash");
        YieldToken token = _token(id);
        assertEq(token.balanceOf(investorA), 10_000_000);
        assertEq(token.balanceOf(address(market)), FACE - 10_000_000);
        IOfferingVault.Offering memory o = _offering(id);
        assertEq(o.unsold, FACE - 10_000_000);
        assertEq(o.sold, 10_000_000);
        assertEq(o.cashRaised, expected);
        assertEq(o.noteValue, FACE, "the backing does not move on a sale");
    }

    function test_Subscribe_ThroughTheForwarder() public {
        uint256 id = _open(FACE, RATE);
        _relay(investorAKey, address(market), abi.encodeCall(market.subscribe, (id, 1_000, 1_000)));
        assertEq(_token(id).balanceOf(investorA), 1_000);
    }

    function testFuzz_Subscribe_CashConserved_LaterPaysMore(uint256 amount, uint256 gap) public {
        amount = bound(amount, 1_000, FACE / 2);
        gap = bound(gap, 1 days, TERM - 1 days);
        uint256 id = _open(FACE, RATE);
        uint256 total = cny.totalSupply();
        uint256 first = _subscribe(investorA, id, amount);
        vm.warp(block.timestamp + gap);
        uint256 second = _subscribe(investorB, id, amount);
        assertGe(second, first, "the later purchase pays no less for the same amount");
        assertEq(cny.balanceOf(investorA) + cny.balanceOf(investorB) + cny.balanceOf(supplierA), 2 * CASH);
        assertEq(cny.balanceOf(supplierA), first + second);
        assertEq(cny.totalSupply(), total);
        assertEq(_token(id).totalSupply(), note.balanceOf(_vaultPiece(id)));
    }

    function test_Subscribe_RefusesUnverifiedBuyer() public {
        uint256 id = _open(FACE, RATE);
        _mint(cny, outsider, CASH);
        _approve(cny, outsider, address(market), CASH);
        vm.prank(outsider);
        vm.expectRevert(abi.encodeWithSelector(IYieldToken.YieldTokenNotVerified.selector, outsider));
        market.subscribe(id, 1_000, type(uint256).max);
    }

    function test_Subscribe_RefusesKycExpiredBuyer() public {
        uint256 id = _open(FACE, RATE);
        uint256 expiry = block.timestamp + 10 days;
        vm.prank(agent);
        registry.setIdentity(investorA, true, expiry, bytes2("CN"), 4, REASON);
        vm.warp(expiry);
        vm.prank(investorA);
        vm.expectRevert(abi.encodeWithSelector(IYieldToken.YieldTokenKycExpired.selector, investorA, expiry));
        market.subscribe(id, 1_000, type(uint256).max);
        assertEq(cny.balanceOf(investorA), CASH, "nothing moved");
    }

    function test_Subscribe_RefusesCountryOutsideTheOffering() public {
        uint256 id = _openAs(supplierA, rootToken, FACE, RATE, 360, 0, maturityAt, _cn());
        vm.prank(investorUS);
        vm.expectRevert(
            abi.encodeWithSelector(IYieldToken.YieldTokenCountryNotAllowed.selector, investorUS, bytes2("US"))
        );
        market.subscribe(id, 1_000, type(uint256).max);
        _subscribe(investorA, id, 1_000);
    }

    function test_Subscribe_RefusesFrozenBuyer() public {
        uint256 id = _open(FACE, RATE);
        _subscribe(investorA, id, 1_000);
        YieldToken token = _token(id);
        vm.prank(agent);
        token.setAddressFrozen(investorA, true);
        vm.prank(investorA);
        vm.expectRevert(abi.encodeWithSelector(IYieldToken.YieldTokenFrozen.selector, investorA));
        market.subscribe(id, 1_000, type(uint256).max);
    }

    function test_Subscribe_Limits() public {
        uint256 id = _openAs(supplierA, rootToken, 10_000, RATE, 360, 3_000, maturityAt, new bytes2[](0));
        vm.startPrank(investorA);
        vm.expectRevert(abi.encodeWithSelector(IOfferingVault.OfferingBelowMinimum.selector, id, 2_999, 3_000));
        market.subscribe(id, 2_999, type(uint256).max);
        vm.expectRevert(abi.encodeWithSelector(IOfferingVault.OfferingInsufficientSupply.selector, id, 10_000, 10_001));
        market.subscribe(id, 10_001, type(uint256).max);
        vm.expectRevert(IOfferingVault.OfferingZeroAmount.selector);
        market.subscribe(id, 0, type(uint256).max);
        uint256 price = market.priceOf(id, 8_000);
        vm.expectRevert(abi.encodeWithSelector(IOfferingVault.OfferingPriceAboveMax.selector, price, price - 1));
        market.subscribe(id, 8_000, price - 1);
        market.subscribe(id, 8_000, price);
        // What is left (2,000) is below the minimum: it may be bought whole.
        vm.expectRevert(abi.encodeWithSelector(IOfferingVault.OfferingBelowMinimum.selector, id, 1_999, 2_000));
        market.subscribe(id, 1_999, type(uint256).max);
        market.subscribe(id, 2_000, type(uint256).max);
        vm.stopPrank();
        vm.prank(supplierA);
        vm.expectRevert(abi.encodeWithSelector(IOfferingVault.OfferingSelfDealing.selector, supplierA));
        market.subscribe(id, 1, type(uint256).max);
        vm.expectRevert(abi.encodeWithSelector(IOfferingVault.OfferingUnknown.selector, 9));
        market.subscribe(9, 1, 1);
    }

    function test_Subscribe_RefusesAZeroPrice() public {
        // One token at 100%/360 for 180 days: discount ceil(0.5) = 1, price 0.
        uint256 id = _open(FACE, 10_000);
        vm.prank(investorA);
        vm.expectRevert(abi.encodeWithSelector(IOfferingVault.OfferingZeroPrice.selector, 1));
        market.subscribe(id, 1, type(uint256).max);
    }

    function test_Subscribe_NeedsTheCashAllowance() public {
        uint256 id = _open(FACE, RATE);
        _approve(cny, investorA, address(market), 0);
        uint256 price = market.priceOf(id, 1_000);
        vm.prank(investorA);
        vm.expectRevert(
            abi.encodeWithSelector(IERC20Errors.ERC20InsufficientAllowance.selector, address(market), 0, price)
        );
        market.subscribe(id, 1_000, type(uint256).max);
        assertEq(_token(id).balanceOf(investorA), 0, "no tokens without the cash");
    }

    function test_Subscribe_RefusedOnceClosedOrPastClosesAt() public {
        uint256 closesAt = block.timestamp + 10 days;
        uint256 id = _openAs(supplierA, rootToken, 1_000_000, RATE, 360, 0, closesAt, new bytes2[](0));
        vm.warp(closesAt);
        assertFalse(market.isOpen(id));
        vm.prank(investorA);
        vm.expectRevert(abi.encodeWithSelector(IOfferingVault.OfferingNotOpen.selector, id, closesAt));
        market.subscribe(id, 1_000, type(uint256).max);

        uint256 id2 = _openAs(supplierA, rootToken, 1_000, RATE, 360, 0, maturityAt, new bytes2[](0));
        vm.prank(supplierB);
        vm.expectRevert(abi.encodeWithSelector(IOfferingVault.OfferingCallerNotSeller.selector, supplierB, supplierA));
        market.closeOffering(id2);
        vm.prank(supplierA);
        vm.expectEmit(address(market));
        emit IOfferingVault.OfferingClosed(id2, supplierA, 1_000);
        market.closeOffering(id2);
        vm.prank(investorA);
        vm.expectRevert(abi.encodeWithSelector(IOfferingVault.OfferingNotOpen.selector, id2, maturityAt));
        market.subscribe(id2, 1_000, type(uint256).max);
        vm.prank(supplierA);
        vm.expectRevert(abi.encodeWithSelector(IOfferingVault.OfferingNotOpen.selector, id2, maturityAt));
        market.closeOffering(id2);
    }

    function test_Subscribe_RefusedWhileTheTokenIsPaused() public {
        uint256 id = _open(FACE, RATE);
        YieldToken token = _token(id);
        vm.prank(pauser);
        token.pause();
        vm.prank(investorA);
        vm.expectRevert(bytes4(keccak256("EnforcedPause()")));
        market.subscribe(id, 1_000, type(uint256).max);
    }

    // ------------------------------------------------------------ withdrawing

    function test_Withdraw_BurnsUnsoldAndReturnsNoteValue() public {
        uint256 id = _open(FACE, RATE);
        _subscribe(investorA, id, 30_000_000);
        vm.prank(supplierA);
        uint256 back = market.withdraw(id, 50_000_000);
        assertEq(note.ownerOf(back), supplierA);
        assertEq(note.balanceOf(back), 50_000_000);
        IOfferingVault.Offering memory o = _offering(id);
        assertEq(o.unsold, 20_000_000);
        assertEq(o.noteValue, 50_000_000);
        assertEq(note.balanceOf(o.vaultTokenId), 50_000_000);
        assertEq(_token(id).totalSupply(), 50_000_000);
        assertEq(_token(id).balanceOf(address(market)), 20_000_000);

        vm.startPrank(supplierA);
        vm.expectRevert(
            abi.encodeWithSelector(IOfferingVault.OfferingInsufficientSupply.selector, id, 20_000_000, 20_000_001)
        );
        market.withdraw(id, 20_000_001);
        vm.stopPrank();
        vm.prank(investorA);
        vm.expectRevert(abi.encodeWithSelector(IOfferingVault.OfferingCallerNotSeller.selector, investorA, supplierA));
        market.withdraw(id, 1);
        vm.warp(maturityAt);
        vm.prank(supplierA);
        vm.expectRevert(abi.encodeWithSelector(IOfferingVault.OfferingMatured.selector, id, maturityAt, maturityAt));
        market.withdraw(id, 1);
    }

    function test_Withdraw_RespectsTheVoucherUnit() public {
        (, uint256 unitToken) = _issue(supplierB, 1_000_000, 1_000, maturityAt);
        uint256 id = _openAs(supplierB, unitToken, 100_000, RATE, 360, 0, maturityAt, new bytes2[](0));
        _subscribe(investorA, id, 1_500);
        vm.startPrank(supplierB);
        vm.expectRevert(
            abi.encodeWithSelector(IReceivableNote.NoteValueNotUnitMultiple.selector, slot + 1, 98_500, 1_000)
        );
        market.withdraw(id, 98_500);
        market.withdraw(id, 98_000);
        vm.stopPrank();
        assertEq(_token(id).totalSupply(), 2_000);
        assertEq(note.balanceOf(_vaultPiece(id)), 2_000);
    }
}
