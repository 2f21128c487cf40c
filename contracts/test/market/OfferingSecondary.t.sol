// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {IOfferingVault} from "../../src/interfaces/IOfferingVault.sol";
import {IYieldToken} from "../../src/interfaces/IYieldToken.sol";
import {YieldToken} from "../../src/market/YieldToken.sol";
import {MarketTestBase} from "./MarketTestBase.sol";

/// @dev Secondary sales: a holder lists tokens at its own rate, a buyer pays the lister and receives the
///      tokens in one transaction.
contract OfferingSecondaryTest is MarketTestBase {
    uint256 internal id;
    YieldToken internal token;

    function setUp() public override {
        super.setUp();
        id = _open(FACE, RATE);
        token = _token(id);
        _subscribe(investorA, id, 40_000_000);
        vm.warp(block.timestamp + 60 days);
    }

    function _list(uint256 amount, uint256 rate) internal returns (uint256 listingId) {
        vm.startPrank(investorA);
        token.approve(address(market), amount);
        listingId = market.listForSale(id, amount, rate);
        vm.stopPrank();
    }

    function test_List_Event_AndStoredListing() public {
        vm.prank(investorA);
        vm.expectEmit(address(market));
        emit IOfferingVault.ListingCreated(1, id, investorA, 10_000_000, 450);
        uint256 listingId = market.listForSale(id, 10_000_000, 450);
        IOfferingVault.Listing memory l = market.listing(listingId);
        assertEq(l.offeringId, id);
        assertEq(l.seller, investorA);
        assertEq(l.amount, 10_000_000);
        assertEq(l.rateBps, 450);
        assertTrue(l.active);
        assertEq(market.listingCount(), 1);
        assertEq(token.balanceOf(investorA), 40_000_000, "tokens stay with the lister until bought");
    }

    function test_List_Refusals() public {
        vm.startPrank(investorA);
        vm.expectRevert(
            abi.encodeWithSelector(IOfferingVault.OfferingInsufficientTokens.selector, investorA, 40_000_000, 40_000_001)
        );
        market.listForSale(id, 40_000_001, 450);
        vm.expectRevert(IOfferingVault.OfferingZeroAmount.selector);
        market.listForSale(id, 0, 450);
        vm.expectRevert(abi.encodeWithSelector(IOfferingVault.OfferingInvalidRate.selector, 10_001, 10_000));
        market.listForSale(id, 1, 10_001);
        vm.expectRevert(abi.encodeWithSelector(IOfferingVault.OfferingUnknown.selector, 5));
        market.listForSale(5, 1, 450);
        vm.stopPrank();
        vm.warp(maturityAt);
        vm.prank(investorA);
        vm.expectRevert(abi.encodeWithSelector(IOfferingVault.OfferingMatured.selector, id, maturityAt, maturityAt));
        market.listForSale(id, 1, 450);
    }

    function test_Buy_Atomic_PricedAtTheListingsRateForTheDaysLeft() public {
        uint256 listingId = _list(10_000_000, 450);
        vm.warp(block.timestamp + 20 days); // 100 days left
        uint256 expected = _expectedPrice(4_000_000, 450, 100, 360);
        assertEq(expected, 3_950_000);
        assertEq(market.listingPriceOf(listingId, 4_000_000), expected);
        uint256 sellerCash = cny.balanceOf(investorA);
        uint256 buyerCash = cny.balanceOf(investorB);
        vm.expectEmit(address(market));
        emit IOfferingVault.ListingFilled(listingId, id, investorB, investorA, 4_000_000, expected, 6_000_000, 100);
        vm.prank(investorB);
        assertEq(market.buyListing(listingId, 4_000_000, expected), expected);
        assertEq(cny.balanceOf(investorA), sellerCash + expected);
        assertEq(cny.balanceOf(investorB), buyerCash - expected);
        assertEq(cny.balanceOf(address(market)), 0);
        assertEq(token.balanceOf(investorB), 4_000_000);
        assertEq(token.balanceOf(investorA), 36_000_000);
        assertEq(market.listing(listingId).amount, 6_000_000);

        vm.prank(investorB);
        market.buyListing(listingId, 6_000_000, type(uint256).max);
        assertFalse(market.listing(listingId).active, "a filled listing closes");
        vm.prank(investorB);
        vm.expectRevert(abi.encodeWithSelector(IOfferingVault.OfferingListingInactive.selector, listingId));
        market.buyListing(listingId, 1, type(uint256).max);
    }

    function test_Buy_ThroughTheForwarder() public {
        uint256 listingId = _list(1_000, 450);
        _relay(investorBKey, address(market), abi.encodeCall(market.buyListing, (listingId, 1_000, 1_000)));
        assertEq(token.balanceOf(investorB), 1_000);
    }

    function test_Buy_WithoutTheListersAllowance_NothingMoves() public {
        vm.prank(investorA);
        uint256 listingId = market.listForSale(id, 1_000, 450);
        uint256 buyerCash = cny.balanceOf(investorB);
        vm.prank(investorB);
        vm.expectRevert(
            abi.encodeWithSelector(IERC20Errors.ERC20InsufficientAllowance.selector, address(market), 0, 1_000)
        );
        market.buyListing(listingId, 1_000, type(uint256).max);
        assertEq(cny.balanceOf(investorB), buyerCash);
        assertEq(market.listing(listingId).amount, 1_000);
    }

    function test_Buy_WithoutTheBuyersCash_NothingMoves() public {
        uint256 listingId = _list(1_000, 450);
        _approve(cny, investorB, address(market), 0);
        vm.prank(investorB);
        vm.expectRevert(); // the cash token's allowance error
        market.buyListing(listingId, 1_000, type(uint256).max);
        assertEq(token.balanceOf(investorB), 0);
        assertEq(token.balanceOf(investorA), 40_000_000);
    }

    function test_Buy_Refusals() public {
        uint256 listingId = _list(1_000, 450);
        vm.prank(investorA);
        vm.expectRevert(abi.encodeWithSelector(IOfferingVault.OfferingSelfDealing.selector, investorA));
        market.buyListing(listingId, 1, type(uint256).max);
        vm.prank(investorB);
        vm.expectRevert(abi.encodeWithSelector(IOfferingVault.OfferingListingInsufficient.selector, listingId, 1_000, 1_001));
        market.buyListing(listingId, 1_001, type(uint256).max);
        uint256 price = market.listingPriceOf(listingId, 1_000);
        vm.prank(investorB);
        vm.expectRevert(abi.encodeWithSelector(IOfferingVault.OfferingPriceAboveMax.selector, price, price - 1));
        market.buyListing(listingId, 1_000, price - 1);
        vm.prank(investorUS);
        // An offering without a country list: the US investor may buy; unverified may not.
        market.buyListing(listingId, 100, type(uint256).max);
        _mint(cny, outsider, CASH);
        _approve(cny, outsider, address(market), CASH);
        vm.prank(outsider);
        vm.expectRevert(abi.encodeWithSelector(IYieldToken.YieldTokenNotVerified.selector, outsider));
        market.buyListing(listingId, 100, type(uint256).max);
        vm.prank(investorB);
        vm.expectRevert(abi.encodeWithSelector(IOfferingVault.OfferingUnknownListing.selector, 99));
        market.buyListing(99, 1, 1);
        vm.warp(maturityAt);
        vm.prank(investorB);
        vm.expectRevert(abi.encodeWithSelector(IOfferingVault.OfferingMatured.selector, id, maturityAt, maturityAt));
        market.buyListing(listingId, 1, type(uint256).max);
    }

    function test_Buy_FrozenListerTokensDoNotMove() public {
        uint256 listingId = _list(10_000, 450);
        vm.prank(agent);
        token.freezePartialTokens(investorA, 39_995_000);
        vm.prank(investorB);
        vm.expectRevert(
            abi.encodeWithSelector(IYieldToken.YieldTokenInsufficientUnfrozen.selector, investorA, 5_000, 10_000)
        );
        market.buyListing(listingId, 10_000, type(uint256).max);
        vm.prank(investorB);
        market.buyListing(listingId, 5_000, type(uint256).max);
        assertEq(token.balanceOf(investorA), 39_995_000);
    }

    function test_Cancel_ByTheListerOnly() public {
        uint256 listingId = _list(1_000, 450);
        vm.prank(investorB);
        vm.expectRevert(abi.encodeWithSelector(IOfferingVault.OfferingCallerNotLister.selector, investorB, investorA));
        market.cancelListing(listingId);
        vm.prank(investorA);
        vm.expectEmit(address(market));
        emit IOfferingVault.ListingCancelled(listingId, id, investorA, 1_000);
        market.cancelListing(listingId);
        assertFalse(market.listing(listingId).active);
        vm.prank(investorB);
        vm.expectRevert(abi.encodeWithSelector(IOfferingVault.OfferingListingInactive.selector, listingId));
        market.buyListing(listingId, 1, type(uint256).max);
        vm.prank(investorA);
        vm.expectRevert(abi.encodeWithSelector(IOfferingVault.OfferingListingInactive.selector, listingId));
        market.cancelListing(listingId);
    }

    function testFuzz_Buy_CashAndTokensConserved(uint256 amount, uint256 rate, uint256 wait) public {
        amount = bound(amount, 1_000, 40_000_000);
        rate = bound(rate, 0, 5_000);
        uint256 listingId = _list(amount, rate);
        vm.warp(block.timestamp + bound(wait, 0, 119 days));
        uint256 cashBefore = cny.balanceOf(investorA) + cny.balanceOf(investorB);
        uint256 price = market.listingPriceOf(listingId, amount);
        vm.prank(investorB);
        uint256 cash = market.buyListing(listingId, amount, type(uint256).max);
        assertEq(cash, price);
        assertEq(cash, _expectedPrice(amount, rate, _daysLeft(), 360));
        assertEq(cny.balanceOf(investorA) + cny.balanceOf(investorB), cashBefore);
        assertEq(token.balanceOf(investorA) + token.balanceOf(investorB), 40_000_000);
        assertEq(token.totalSupply(), note.balanceOf(_vaultPiece(id)));
    }
}
