// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {DiscountMath} from "../src/libraries/DiscountMath.sol";

/// @dev External wrappers so that reverts of the internal library functions can be expected.
contract DiscountMathHarness {
    function daysUntil(uint256 at, uint256 maturityAt) external pure returns (uint256) {
        return DiscountMath.daysUntil(at, maturityAt);
    }

    function requireBasis(uint256 basisDays) external pure {
        DiscountMath.requireBasis(basisDays);
    }

    function discountPrice(uint256 value, uint256 rateBps, uint256 days_, uint256 basisDays)
        external
        pure
        returns (uint256)
    {
        return DiscountMath.discountPrice(value, rateBps, days_, basisDays);
    }

    function yieldPrice(uint256 value, uint256 rateBps, uint256 days_, uint256 basisDays)
        external
        pure
        returns (uint256)
    {
        return DiscountMath.yieldPrice(value, rateBps, days_, basisDays);
    }
}

contract FinancingDiscountMathTest is Test {
    uint256 internal constant MAX_VALUE = type(uint96).max; // the note stores values as uint96
    uint256 internal constant MAX_RATE = 10_000;
    uint256 internal constant MAX_DAYS = 3_650;

    DiscountMathHarness internal math;

    function setUp() public {
        math = new DiscountMathHarness();
    }

    function _basis(bool act365) internal pure returns (uint256) {
        return act365 ? 365 : 360;
    }

    // ------------------------------------------------------------ daysUntil

    function test_DaysUntil_FloorsWholeDays() public view {
        assertEq(math.daysUntil(0, 86_399), 0);
        assertEq(math.daysUntil(0, 86_400), 1);
        assertEq(math.daysUntil(1_700_000_000, 1_700_000_000 + 180 days + 23 hours), 180);
        assertEq(math.daysUntil(1_700_000_000, 1_700_000_000 + 180 days), 180);
        assertEq(math.daysUntil(1_700_000_001, 1_700_000_000 + 180 days), 179);
    }

    function test_DaysUntil_ZeroAtOrAfterMaturity() public view {
        assertEq(math.daysUntil(1_700_000_000, 1_700_000_000), 0);
        assertEq(math.daysUntil(1_700_000_001, 1_700_000_000), 0);
        assertEq(math.daysUntil(type(uint256).max, 0), 0);
    }

    function testFuzz_DaysUntil_MatchesFloorDivision(uint256 at, uint256 maturityAt) public view {
        uint256 expected = at >= maturityAt ? 0 : (maturityAt - at) / 86_400;
        assertEq(math.daysUntil(at, maturityAt), expected);
    }

    // ------------------------------------------------------------ known figures

    function test_DiscountPrice_SeedFigures() public view {
        // CNY 10,000,000.00 with 180 days left, ACT/360.
        assertEq(math.discountPrice(1_000_000_000, 600, 180, 360), 970_000_000);
        assertEq(math.discountPrice(1_000_000_000, 1_200, 180, 360), 940_000_000);
    }

    function test_DiscountPrice_Act365() public view {
        // discount = floor(1e9 * 600 * 180 / 3,650,000) = floor(29,589,041.09...) = 29,589,041
        assertEq(math.discountPrice(1_000_000_000, 600, 180, 365), 970_410_959);
    }

    function test_DiscountPrice_RoundsDiscountDown() public view {
        assertEq(math.discountPrice(1, 600, 180, 360), 1); // discount 0.03 -> 0
        assertEq(math.discountPrice(101, 600, 180, 360), 98); // discount 3.03 -> 3
        assertEq(math.discountPrice(199, 600, 180, 360), 194); // discount 5.97 -> 5
    }

    function test_DiscountPrice_WholeValueDiscountedIsZero() public view {
        assertEq(math.discountPrice(1_000, 10_000, 360, 360), 0);
    }

    function test_YieldPrice_KnownFigures() public view {
        // 1e9 / 1.03 = 970,873,786.4... -> rounded up
        assertEq(math.yieldPrice(1_000_000_000, 600, 180, 360), 970_873_787);
        // 1e9 / 1.06 = 943,396,226.4... -> rounded up
        assertEq(math.yieldPrice(1_000_000_000, 1_200, 180, 360), 943_396_227);
        // exact division stays exact: 1,030 / 1.03 = 1,000
        assertEq(math.yieldPrice(1_030, 600, 180, 360), 1_000);
    }

    function test_YieldPrice_RoundsUp() public view {
        assertEq(math.yieldPrice(1, 10_000, 3_650, 365), 1); // 1/11 -> 1
        assertEq(math.yieldPrice(0, 600, 180, 360), 0);
    }

    // ------------------------------------------------------------ reverts

    function test_RevertWhen_BasisIsNot360Or365() public {
        uint256[4] memory bad = [uint256(0), 364, 366, 30];
        for (uint256 i; i < bad.length; ++i) {
            vm.expectRevert(abi.encodeWithSelector(DiscountMath.DiscountMathInvalidBasis.selector, bad[i]));
            math.requireBasis(bad[i]);
            vm.expectRevert(abi.encodeWithSelector(DiscountMath.DiscountMathInvalidBasis.selector, bad[i]));
            math.discountPrice(1_000, 600, 180, bad[i]);
            vm.expectRevert(abi.encodeWithSelector(DiscountMath.DiscountMathInvalidBasis.selector, bad[i]));
            math.yieldPrice(1_000, 600, 180, bad[i]);
        }
        math.requireBasis(360);
        math.requireBasis(365);
    }

    function test_RevertWhen_DiscountExceedsValue() public {
        // 100% a year over 361 days of ACT/360: discount 1,002 on 1,000
        vm.expectRevert(abi.encodeWithSelector(DiscountMath.DiscountMathDiscountExceedsValue.selector, 1_000, 1_002));
        math.discountPrice(1_000, 10_000, 361, 360);
    }

    // ------------------------------------------------------------ fuzz: bounds and monotonicity

    function testFuzz_PriceNeverAboveValue(uint256 value, uint256 rateBps, uint256 days_, bool act365) public view {
        value = bound(value, 0, MAX_VALUE);
        rateBps = bound(rateBps, 0, MAX_RATE);
        uint256 basis = _basis(act365);
        days_ = bound(days_, 0, basis); // discount quoting stays defined up to one year at 100%
        assertLe(math.discountPrice(value, rateBps, days_, basis), value);
        days_ = bound(days_, 0, MAX_DAYS);
        assertLe(math.yieldPrice(value, rateBps, days_, basis), value);
    }

    function testFuzz_ParAtZeroDaysOrZeroRate(uint256 value, uint256 rateBps, uint256 days_, bool act365) public view {
        value = bound(value, 0, MAX_VALUE);
        rateBps = bound(rateBps, 0, MAX_RATE);
        days_ = bound(days_, 0, MAX_DAYS);
        uint256 basis = _basis(act365);
        assertEq(math.discountPrice(value, rateBps, 0, basis), value);
        assertEq(math.yieldPrice(value, rateBps, 0, basis), value);
        assertEq(math.discountPrice(value, 0, days_, basis), value);
        assertEq(math.yieldPrice(value, 0, days_, basis), value);
    }

    function testFuzz_NonIncreasingInDays(uint256 value, uint256 rateBps, uint256 d1, uint256 d2, bool act365)
        public
        view
    {
        value = bound(value, 0, MAX_VALUE);
        rateBps = bound(rateBps, 0, MAX_RATE);
        uint256 basis = _basis(act365);
        d1 = bound(d1, 0, basis);
        d2 = bound(d2, d1, basis);
        assertGe(math.discountPrice(value, rateBps, d1, basis), math.discountPrice(value, rateBps, d2, basis));
        assertGe(math.yieldPrice(value, rateBps, d1, basis), math.yieldPrice(value, rateBps, d2, basis));
    }

    function testFuzz_NonIncreasingInRate(uint256 value, uint256 r1, uint256 r2, uint256 days_, bool act365)
        public
        view
    {
        value = bound(value, 0, MAX_VALUE);
        uint256 basis = _basis(act365);
        days_ = bound(days_, 0, basis);
        r1 = bound(r1, 0, MAX_RATE);
        r2 = bound(r2, r1, MAX_RATE);
        assertGe(math.discountPrice(value, r1, days_, basis), math.discountPrice(value, r2, days_, basis));
        assertGe(math.yieldPrice(value, r1, days_, basis), math.yieldPrice(value, r2, days_, basis));
    }

    // ------------------------------------------------------------ fuzz: rounding against exact rationals

    /// @dev exact discount price = value * (S - r*d) / S with S = 10000 * basis; the integer price is at
    ///      most one minor unit above it and never below it.
    function testFuzz_DiscountPriceWithinOneUnitAboveExact(uint256 value, uint256 rateBps, uint256 days_, bool act365)
        public
        view
    {
        value = bound(value, 0, MAX_VALUE);
        rateBps = bound(rateBps, 0, MAX_RATE);
        uint256 basis = _basis(act365);
        days_ = bound(days_, 0, basis);
        uint256 scale = 10_000 * basis;
        uint256 price = math.discountPrice(value, rateBps, days_, basis);
        uint256 exactNumerator = value * (scale - rateBps * days_); // exact price * scale
        assertGe(price * scale, exactNumerator, "price below exact");
        assertLt(price * scale - exactNumerator, scale, "price a whole unit or more above exact");
    }

    /// @dev exact yield price = value * S / (S + r*d); the integer price is at most one unit above it.
    function testFuzz_YieldPriceWithinOneUnitAboveExact(uint256 value, uint256 rateBps, uint256 days_, bool act365)
        public
        view
    {
        value = bound(value, 0, MAX_VALUE);
        rateBps = bound(rateBps, 0, MAX_RATE);
        days_ = bound(days_, 0, MAX_DAYS);
        uint256 basis = _basis(act365);
        uint256 scale = 10_000 * basis;
        uint256 denominator = scale + rateBps * days_;
        uint256 price = math.yieldPrice(value, rateBps, days_, basis);
        assertGe(price * denominator, value * scale, "price below exact");
        assertLt(price * denominator - value * scale, denominator, "price a whole unit or more above exact");
    }

    // ------------------------------------------------------------ fuzz: yield versus discount quoting

    /// @dev At the same rate and term 1/(1+x) >= 1-x, and the gap is exactly value * x^2 / (1+x) with
    ///      x = r*d/S; the integer prices keep that order and differ from the gap by less than a unit.
    function testFuzz_YieldPriceAboveDiscountPriceByTheConvexityGap(
        uint256 value,
        uint256 rateBps,
        uint256 days_,
        bool act365
    ) public view {
        value = bound(value, 0, MAX_VALUE);
        rateBps = bound(rateBps, 0, MAX_RATE);
        uint256 basis = _basis(act365);
        days_ = bound(days_, 0, basis);
        uint256 scale = 10_000 * basis;
        uint256 rd = rateBps * days_;
        uint256 yieldP = math.yieldPrice(value, rateBps, days_, basis);
        uint256 discountP = math.discountPrice(value, rateBps, days_, basis);
        assertGe(yieldP, discountP);
        // (yieldP - discountP) < value * rd^2 / (S * (S + rd)) + 1
        assertLt((yieldP - discountP) * scale * (scale + rd), value * rd * rd + scale * (scale + rd));
    }

    /// @dev A discount rate d is equivalent to the yield rate y* = d / (1 - d*t). With y* bracketed by
    ///      whole basis points, yieldPrice(ceil y*) <= discountPrice(d) <= yieldPrice(floor y*).
    function testFuzz_DiscountRateConvertsToBracketingYieldRates(
        uint256 value,
        uint256 discountBps,
        uint256 days_,
        bool act365
    ) public view {
        value = bound(value, 0, MAX_VALUE);
        uint256 basis = _basis(act365);
        uint256 scale = 10_000 * basis;
        days_ = bound(days_, 1, basis);
        discountBps = bound(discountBps, 1, (scale - 1) / days_); // d*t < 1
        uint256 numerator = discountBps * scale;
        uint256 denominator = scale - discountBps * days_;
        uint256 yieldLo = numerator / denominator;
        uint256 yieldHi = (numerator + denominator - 1) / denominator;
        uint256 discountP = math.discountPrice(value, discountBps, days_, basis);
        assertLe(math.yieldPrice(value, yieldHi, days_, basis), discountP);
        assertGe(math.yieldPrice(value, yieldLo, days_, basis), discountP);
    }

    /// @dev A yield rate y is equivalent to the discount rate d* = y / (1 + y*t); bracketing d* by whole
    ///      basis points brackets the yield price: discountPrice(ceil d*) <= yieldPrice(y) <= discountPrice(floor d*).
    function testFuzz_YieldRateConvertsToBracketingDiscountRates(
        uint256 value,
        uint256 yieldBps,
        uint256 days_,
        bool act365
    ) public view {
        value = bound(value, 0, MAX_VALUE);
        yieldBps = bound(yieldBps, 1, MAX_RATE);
        uint256 basis = _basis(act365);
        days_ = bound(days_, 1, MAX_DAYS);
        uint256 scale = 10_000 * basis;
        uint256 numerator = yieldBps * scale;
        uint256 denominator = scale + yieldBps * days_;
        uint256 discountLo = numerator / denominator;
        uint256 discountHi = (numerator + denominator - 1) / denominator;
        uint256 yieldP = math.yieldPrice(value, yieldBps, days_, basis);
        assertLe(math.discountPrice(value, discountHi, days_, basis), yieldP);
        assertGe(math.discountPrice(value, discountLo, days_, basis), yieldP);
    }
}
