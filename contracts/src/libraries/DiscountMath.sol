// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title Discount and yield pricing of receivables, in integer minor units
/// @notice Shared by the financing contracts and mirrored exactly by the Python service; every
///         operation is an exact integer operation on unbounded-width products (OpenZeppelin
///         `Math.mulDiv`), so Python's `//` on ints gives the same results:
///           days_until(at, m)   = (m - at) // 86400 if at < m else 0
///           discount            = value * rate_bps * days // (10000 * basis)
///           discount_price      = value - discount
///           yield_price         = -(-(value * 10000 * basis) // (10000 * basis + rate_bps * days))
///         Rounding never favours the party that sets the price: the discount is rounded down and
///         the yield price up, so the holder receives the exact price or up to one minor unit more.
///         Where the seller sets the rate (the OfferingVault's yield tokens), the mirror image applies:
///           discount_price_down = value - (-(-(value * rate_bps * days) // (10000 * basis)))
///         (discount rounded up, price down), so the buyer pays the exact price or up to one minor
///         unit less.
library DiscountMath {
    /// @notice Seconds in a day.
    uint256 internal constant SECONDS_PER_DAY = 86_400;
    /// @notice Basis points in one (100%).
    uint256 internal constant BPS = 10_000;
    /// @notice ACT/360 day count: actual days over a 360-day year.
    uint256 internal constant ACT_360 = 360;
    /// @notice ACT/365F day count: actual days over a fixed 365-day year.
    uint256 internal constant ACT_365 = 365;

    /// @dev `basisDays` is neither 360 (ACT/360) nor 365 (ACT/365F).
    error DiscountMathInvalidBasis(uint256 basisDays);
    /// @dev The discount `discount` exceeds the `value` it is taken from (rate times term above 100%).
    error DiscountMathDiscountExceedsValue(uint256 value, uint256 discount);

    /// @notice Whole days from `at` until `maturityAt`, rounded down; 0 once `at >= maturityAt`.
    function daysUntil(uint256 at, uint256 maturityAt) internal pure returns (uint256) {
        if (at >= maturityAt) return 0;
        // unchecked: at < maturityAt was just checked.
        unchecked {
            return (maturityAt - at) / SECONDS_PER_DAY;
        }
    }

    /// @notice Reverts unless `basisDays` is 360 or 365.
    function requireBasis(uint256 basisDays) internal pure {
        if (basisDays != ACT_360 && basisDays != ACT_365) revert DiscountMathInvalidBasis(basisDays);
    }

    /// @notice Discount-rate (bank discount) price: `value - floor(value * rateBps * days / (10000 * basisDays))`.
    /// @dev Reverts if the discount would exceed the value. A zero-day or zero-rate price is `value`.
    function discountPrice(uint256 value, uint256 rateBps, uint256 days_, uint256 basisDays)
        internal
        pure
        returns (uint256)
    {
        requireBasis(basisDays);
        uint256 discount = Math.mulDiv(value, rateBps * days_, BPS * basisDays);
        if (discount > value) revert DiscountMathDiscountExceedsValue(value, discount);
        // unchecked: discount <= value was just checked.
        unchecked {
            return value - discount;
        }
    }

    /// @notice Discount-rate price rounded in the buyer's favour, for rates the seller sets:
    ///         `value - ceil(value * rateBps * days / (10000 * basisDays))`.
    /// @dev Reverts if the discount would exceed the value. A zero-day or zero-rate price is `value`.
    function discountPriceDown(uint256 value, uint256 rateBps, uint256 days_, uint256 basisDays)
        internal
        pure
        returns (uint256)
    {
        requireBasis(basisDays);
        uint256 discount = Math.mulDiv(value, rateBps * days_, BPS * basisDays, Math.Rounding.Ceil);
        if (discount > value) revert DiscountMathDiscountExceedsValue(value, discount);
        // unchecked: discount <= value was just checked.
        unchecked {
            return value - discount;
        }
    }

    /// @notice Yield (simple interest) price: `ceil(value * 10000 * basisDays / (10000 * basisDays + rateBps * days))`.
    /// @dev Never exceeds `value` and is positive for a positive value.
    function yieldPrice(uint256 value, uint256 rateBps, uint256 days_, uint256 basisDays)
        internal
        pure
        returns (uint256)
    {
        requireBasis(basisDays);
        uint256 scale = BPS * basisDays;
        return Math.mulDiv(value, scale, scale + rateBps * days_, Math.Rounding.Ceil);
    }
}
