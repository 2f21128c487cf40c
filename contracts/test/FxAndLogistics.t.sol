// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {FxPriceFeed} from "../src/fx/FxPriceFeed.sol";
import {FxMath} from "../src/fx/FxMath.sol";
import {AggregatorV3Interface} from "../src/interfaces/AggregatorV3Interface.sol";
import {ICascadeNote} from "../src/interfaces/ICascadeNote.sol";
import {IFxPriceFeed} from "../src/interfaces/IFxPriceFeed.sol";
import {IFxRateDirectory} from "../src/interfaces/IFxRateDirectory.sol";
import {ILogisticsOracle} from "../src/interfaces/ILogisticsOracle.sol";
import {LogisticsOracle} from "../src/LogisticsOracle.sol";
import {AggregatorMock} from "./mocks/AggregatorMock.sol";
import {SettlementTestBase} from "./SettlementTestBase.sol";

/// @dev The FX price feed (AggregatorV3Interface), the directory that validates its answers, the
///      conversions' rounding, and the logistics oracle.
contract FxAndLogisticsTest is SettlementTestBase {
    // ================================================================ FxPriceFeed

    function test_Feed_DescribesItselfLikeAChainlinkFeed() public view {
        assertEq(usdCnyFeed.decimals(), FX_DECIMALS);
        assertEq(usdCnyFeed.description(), "USD / CNY");
        assertEq(usdCnyFeed.version(), 1);
    }

    function test_Feed_EverySubmissionIsANewRound() public {
        vm.warp(block.timestamp + 10);
        vm.expectEmit(address(usdCnyFeed));
        emit IFxPriceFeed.FxAnswerSubmitted(2, 700_000_000, block.timestamp, oracle);
        uint80 second = _submitRate(700_000_000);
        assertEq(second, 2);
        (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound) =
            usdCnyFeed.latestRoundData();
        assertEq(roundId, 2);
        assertEq(answer, 700_000_000);
        assertEq(startedAt, block.timestamp);
        assertEq(updatedAt, block.timestamp);
        assertEq(answeredInRound, 2);
        (roundId, answer,, updatedAt,) = usdCnyFeed.getRoundData(1);
        assertEq(roundId, 1);
        assertEq(answer, USD_CNY);
        assertEq(updatedAt, block.timestamp - 10);
    }

    function test_RevertWhen_FeedHasNoSuchRound() public {
        FxPriceFeed empty = new FxPriceFeed(8, "EUR / CNY", address(forwarder), admin, ADMIN_DELAY);
        vm.expectRevert(abi.encodeWithSelector(IFxPriceFeed.FxFeedNoRound.selector, 0));
        empty.latestRoundData();
        vm.expectRevert(abi.encodeWithSelector(IFxPriceFeed.FxFeedNoRound.selector, 2));
        usdCnyFeed.getRoundData(2);
        vm.expectRevert(abi.encodeWithSelector(IFxPriceFeed.FxFeedNoRound.selector, 0));
        usdCnyFeed.getRoundData(0);
    }

    function test_RevertWhen_FeedAnswerNotPositiveOrTooLarge() public {
        int256[3] memory bad = [int256(0), -1, int256(type(int192).max) + 1];
        for (uint256 i; i < bad.length; ++i) {
            vm.prank(oracle);
            vm.expectRevert(abi.encodeWithSelector(IFxPriceFeed.FxFeedInvalidAnswer.selector, bad[i]));
            usdCnyFeed.submitAnswer(bad[i]);
        }
    }

    function test_RevertWhen_FeedAnswerByNonOracle() public {
        vm.prank(admin);
        vm.expectRevert(_unauthorized(admin, ORACLE_ROLE));
        usdCnyFeed.submitAnswer(1);
    }

    function test_RevertWhen_FeedDecimalsAbove18() public {
        vm.expectRevert(abi.encodeWithSelector(IFxPriceFeed.FxFeedInvalidDecimals.selector, 19));
        new FxPriceFeed(19, "x", address(forwarder), admin, ADMIN_DELAY);
    }

    // ================================================================ FxRateDirectory

    function test_RateOf_TheFeedsLatestAnswer() public view {
        IFxRateDirectory.FxRate memory rate = fx.rateOf(USD, CNY);
        assertEq(rate.answer, uint256(USD_CNY));
        assertEq(rate.decimals, FX_DECIMALS);
        assertEq(rate.roundId, 1);
        assertEq(rate.updatedAt, block.timestamp);
    }

    function test_RateOf_OneCurrencyWithItselfIsTheIdentity() public view {
        IFxRateDirectory.FxRate memory rate = fx.rateOf(CNY, CNY);
        assertEq(rate.answer, 1);
        assertEq(rate.decimals, 0);
        assertEq(rate.roundId, 0);
        assertEq(rate.updatedAt, block.timestamp);
    }

    function test_RateOf_UpToTheMaximumAgeAndNotBeyond() public {
        vm.warp(block.timestamp + FX_MAX_AGE);
        assertEq(fx.rateOf(USD, CNY).roundId, 1);
        vm.warp(block.timestamp + 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                IFxRateDirectory.FxRateStale.selector, USD, CNY, 1, START, FX_MAX_AGE, block.timestamp
            )
        );
        fx.rateOf(USD, CNY);
        _submitRate(700_000_000);
        assertEq(fx.rateOf(USD, CNY).answer, 700_000_000);
    }

    function test_RevertWhen_RateNotPositive() public {
        AggregatorMock mock = _mockFeed();
        mock.set(7, 0, block.timestamp);
        vm.expectRevert(abi.encodeWithSelector(IFxRateDirectory.FxRateNotPositive.selector, bytes8("EUR"), CNY, 7, 0));
        fx.rateOf(bytes8("EUR"), CNY);
        mock.set(8, -5, block.timestamp);
        vm.expectRevert(abi.encodeWithSelector(IFxRateDirectory.FxRateNotPositive.selector, bytes8("EUR"), CNY, 8, -5));
        fx.rateOf(bytes8("EUR"), CNY);
    }

    function test_RevertWhen_RateNeverUpdatedOrStampedInTheFuture() public {
        AggregatorMock mock = _mockFeed();
        mock.set(1, 100, 0);
        vm.expectRevert(
            abi.encodeWithSelector(IFxRateDirectory.FxRateStale.selector, bytes8("EUR"), CNY, 1, 0, 60, block.timestamp)
        );
        fx.rateOf(bytes8("EUR"), CNY);
        mock.set(2, 100, block.timestamp + 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                IFxRateDirectory.FxRateStale.selector, bytes8("EUR"), CNY, 2, block.timestamp + 1, 60, block.timestamp
            )
        );
        fx.rateOf(bytes8("EUR"), CNY);
    }

    function test_RevertWhen_NoFeedForThePair() public {
        vm.expectRevert(abi.encodeWithSelector(IFxRateDirectory.FxFeedNotSet.selector, CNY, USD));
        fx.rateOf(CNY, USD);
    }

    function test_SetFeed_PointsAPairAtARealFeedByAddressAndRemovesIt() public {
        AggregatorMock mock = new AggregatorMock(6);
        vm.expectEmit(address(fx));
        emit IFxRateDirectory.FxFeedSet(USD, CNY, address(mock), 300);
        vm.prank(admin);
        fx.setFeed(USD, CNY, mock, 300);
        (AggregatorV3Interface feed, uint8 decimals, uint256 maxAge) = fx.feedOf(USD, CNY);
        assertEq(address(feed), address(mock));
        assertEq(decimals, 6);
        assertEq(maxAge, 300);
        vm.prank(admin);
        fx.setFeed(USD, CNY, AggregatorV3Interface(address(0)), 0);
        (feed,,) = fx.feedOf(USD, CNY);
        assertEq(address(feed), address(0));
    }

    function test_RevertWhen_SetFeedInvalid() public {
        vm.startPrank(admin);
        vm.expectRevert(abi.encodeWithSelector(IFxRateDirectory.FxInvalidPair.selector, USD, USD));
        fx.setFeed(USD, USD, usdCnyFeed, 60);
        vm.expectRevert(abi.encodeWithSelector(IFxRateDirectory.FxInvalidPair.selector, bytes8(0), CNY));
        fx.setFeed(bytes8(0), CNY, usdCnyFeed, 60);
        vm.expectRevert(abi.encodeWithSelector(IFxRateDirectory.FxInvalidFeed.selector, outsider));
        fx.setFeed(USD, CNY, AggregatorV3Interface(outsider), 60);
        AggregatorMock tooPrecise = new AggregatorMock(19);
        vm.expectRevert(abi.encodeWithSelector(IFxRateDirectory.FxInvalidFeed.selector, address(tooPrecise)));
        fx.setFeed(USD, CNY, tooPrecise, 60);
        vm.expectRevert(abi.encodeWithSelector(IFxRateDirectory.FxInvalidMaxAge.selector, 0));
        fx.setFeed(USD, CNY, usdCnyFeed, 0);
        vm.expectRevert(
            abi.encodeWithSelector(IFxRateDirectory.FxInvalidMaxAge.selector, uint256(type(uint32).max) + 1)
        );
        fx.setFeed(USD, CNY, usdCnyFeed, uint256(type(uint32).max) + 1);
        vm.stopPrank();
    }

    function test_RevertWhen_SetFeedByNonAdmin() public {
        vm.prank(oracle);
        vm.expectRevert(_unauthorized(oracle, DEFAULT_ADMIN_ROLE));
        fx.setFeed(USD, CNY, usdCnyFeed, 60);
    }

    function _mockFeed() internal returns (AggregatorMock mock) {
        mock = new AggregatorMock(8);
        vm.prank(admin);
        fx.setFeed(bytes8("EUR"), CNY, mock, 60);
    }

    // ================================================================ FxMath rounding

    function test_FxMath_NamedRoundings() public pure {
        IFxRateDirectory.FxRate memory rate = IFxRateDirectory.FxRate(712_345_678, 8, 1, 0);
        // 1 minor unit of USD = 7.12345678 minor units of CNY.
        assertEq(FxMath.toSettlement(1, rate, Math.Rounding.Floor), 7);
        assertEq(FxMath.toSettlement(1, rate, Math.Rounding.Ceil), 8);
        // 50,000,000 (USD 500,000.00) = 356,172,839 fen exactly, either way.
        assertEq(FxMath.toSettlement(50_000_000, rate, Math.Rounding.Floor), 356_172_839);
        assertEq(FxMath.toSettlement(50_000_000, rate, Math.Rounding.Ceil), 356_172_839);
        assertEq(FxMath.toDenomination(8, rate, Math.Rounding.Floor), 1);
        IFxRateDirectory.FxRate memory identity = IFxRateDirectory.FxRate(1, 0, 0, 0);
        assertEq(FxMath.toSettlement(123, identity, Math.Rounding.Floor), 123);
        assertEq(FxMath.toSettlement(123, identity, Math.Rounding.Ceil), 123);
    }

    function testFuzz_FxMath_FloorAndCeilBracketTheExactValue(uint96 value, uint64 answer, uint8 decimals) public pure {
        decimals = uint8(bound(decimals, 0, 18));
        answer = uint64(bound(answer, 1, type(uint64).max));
        IFxRateDirectory.FxRate memory rate = IFxRateDirectory.FxRate(answer, decimals, 1, 0);
        uint256 floor = FxMath.toSettlement(value, rate, Math.Rounding.Floor);
        uint256 ceil = FxMath.toSettlement(value, rate, Math.Rounding.Ceil);
        uint256 product = uint256(value) * answer;
        uint256 scale = 10 ** decimals;
        assertEq(floor, product / scale);
        assertEq(ceil, (product + scale - 1) / scale);
        assertLe(floor * scale, product);
        assertGe(ceil * scale, product);
        assertLe(ceil - floor, 1);
        // Converting back what the floor paid never yields more value than was converted.
        assertLe(FxMath.toDenomination(floor, rate, Math.Rounding.Floor), value);
    }

    // ================================================================ LogisticsOracle

    function test_Attest_MovesForwardWithEvidence() public {
        (uint256 slot,) = _issue(supplierA, 1_000, 100, block.timestamp + 30 days);
        assertEq(logistics.milestoneOf(slot), 0);
        vm.expectEmit(address(logistics));
        emit ILogisticsOracle.MilestoneAttested(slot, 1, keccak256("bill of lading"), oracle);
        _attest(slot, 1, keccak256("bill of lading"));
        vm.warp(block.timestamp + 1 days);
        _attest(slot, 3, keccak256("proof of delivery")); // delivered goods were shipped: a step may be skipped
        assertEq(logistics.milestoneOf(slot), 3);
        (bytes32 evidence, uint256 attestedAt) = logistics.attestationOf(slot, 3);
        assertEq(evidence, keccak256("proof of delivery"));
        assertEq(attestedAt, block.timestamp);
        (evidence, attestedAt) = logistics.attestationOf(slot, 2);
        assertEq(evidence, bytes32(0));
        assertEq(attestedAt, 0);
        assertEq(logistics.SHIPPED(), 1);
        assertEq(logistics.CUSTOMS_CLEARED(), 2);
        assertEq(logistics.DELIVERED(), 3);
    }

    function test_RevertWhen_AttestBackwardsOrTwice() public {
        (uint256 slot,) = _issue(supplierA, 1_000, 100, block.timestamp + 30 days);
        _attest(slot, 2, keccak256("customs"));
        vm.startPrank(oracle);
        vm.expectRevert(abi.encodeWithSelector(ILogisticsOracle.LogisticsMilestoneNotForward.selector, slot, 2, 1));
        logistics.attest(slot, 1, keccak256("late bill"));
        vm.expectRevert(abi.encodeWithSelector(ILogisticsOracle.LogisticsMilestoneNotForward.selector, slot, 2, 2));
        logistics.attest(slot, 2, keccak256("again"));
        vm.stopPrank();
    }

    function test_RevertWhen_AttestInvalid() public {
        (uint256 slot,) = _issue(supplierA, 1_000, 100, block.timestamp + 30 days);
        vm.startPrank(oracle);
        vm.expectRevert(abi.encodeWithSelector(ILogisticsOracle.LogisticsInvalidMilestone.selector, 4));
        logistics.attest(slot, 4, keccak256("x"));
        vm.expectRevert(abi.encodeWithSelector(ILogisticsOracle.LogisticsInvalidMilestone.selector, 0));
        logistics.attest(slot, 0, keccak256("x"));
        vm.expectRevert(abi.encodeWithSelector(ILogisticsOracle.LogisticsUnknownVoucher.selector, slot + 1));
        logistics.attest(slot + 1, 1, keccak256("x"));
        vm.expectRevert(abi.encodeWithSelector(ILogisticsOracle.LogisticsUnknownVoucher.selector, 0));
        logistics.attest(0, 1, keccak256("x"));
        vm.expectRevert(ILogisticsOracle.LogisticsMissingEvidence.selector);
        logistics.attest(slot, 1, bytes32(0));
        vm.stopPrank();
    }

    function test_RevertWhen_AttestByNonOracle() public {
        (uint256 slot,) = _issue(supplierA, 1_000, 100, block.timestamp + 30 days);
        vm.prank(supplierA);
        vm.expectRevert(_unauthorized(supplierA, ORACLE_ROLE));
        logistics.attest(slot, 1, keccak256("x"));
    }

    function test_RevertWhen_LogisticsWithoutANote() public {
        vm.expectRevert(ILogisticsOracle.LogisticsZeroAddress.selector);
        new LogisticsOracle(ICascadeNote(address(0)), address(forwarder), admin, ADMIN_DELAY);
    }

    function _attest(uint256 slot, uint8 milestone, bytes32 evidence) internal {
        vm.prank(oracle);
        logistics.attest(slot, milestone, evidence);
    }
}
