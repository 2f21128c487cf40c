// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {IFxRateDirectory} from "../interfaces/IFxRateDirectory.sol";

/// @title Conversions between a voucher's denomination and settlement currencies, exact in minor units
/// @notice `rate.answer / 10**rate.decimals` settlement minor units per denomination minor unit (both
///         currencies have the note's value decimals, so no further scaling). Each caller names the
///         rounding direction; the Python service mirrors these with integer `//` and ceiling division:
///           to_settlement(v, Floor) = v * answer // 10**d        to_settlement(v, Ceil) = -(-(v * answer) // 10**d)
///           to_denomination(c, Floor) = c * 10**d // answer
library FxMath {
    /// @notice `value` denomination minor units in settlement minor units, rounded as `rounding` says.
    function toSettlement(uint256 value, IFxRateDirectory.FxRate memory rate, Math.Rounding rounding)
        internal
        pure
        returns (uint256)
    {
        return Math.mulDiv(value, rate.answer, 10 ** rate.decimals, rounding);
    }

    /// @notice `amount` settlement minor units in denomination minor units, rounded as `rounding` says.
    function toDenomination(uint256 amount, IFxRateDirectory.FxRate memory rate, Math.Rounding rounding)
        internal
        pure
        returns (uint256)
    {
        return Math.mulDiv(amount, 10 ** rate.decimals, rate.answer, rounding);
    }
}
