// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AggregatorV3Interface} from "./AggregatorV3Interface.sol";

/// @title A Chainlink-compatible FX price feed whose answers an oracle account submits
/// @notice One feed per currency pair (e.g. "USD / CNY": minor units of CNY per minor unit of USD, with
///         `decimals()` decimals). Every submission opens a new round (ids 1, 2, ...) whose `startedAt`
///         and `updatedAt` are the block time and whose `answeredInRound` is its own id, as Chainlink's
///         aggregators report them.
interface IFxPriceFeed is AggregatorV3Interface {
    /// @notice Emitted after `oracle` submitted `answer` as round `roundId` at `updatedAt`.
    event FxAnswerSubmitted(uint80 indexed roundId, int256 answer, uint256 updatedAt, address indexed oracle);

    /// @dev An answer must be positive (a price of zero or below is an oracle fault).
    error FxFeedInvalidAnswer(int256 answer);
    /// @dev The feed has no round `roundId` (none yet, or beyond the latest).
    error FxFeedNoRound(uint80 roundId);
    /// @dev `decimals` above 18 would overflow conversions of large amounts.
    error FxFeedInvalidDecimals(uint8 decimals);

    /// @notice Records `answer` as a new round. ORACLE_ROLE only.
    /// @return roundId the new round's id
    function submitAnswer(int256 answer) external returns (uint80 roundId);
}
