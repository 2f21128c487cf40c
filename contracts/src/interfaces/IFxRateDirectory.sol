// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AggregatorV3Interface} from "./AggregatorV3Interface.sol";

/// @title Which price feed converts one currency into another, and how old its answer may be
/// @notice The admin points each currency pair (base, quote), e.g. (USD, CNY), at a Chainlink
///         AggregatorV3Interface feed whose answer is the quote currency's minor units per base minor
///         unit with the feed's decimals, and sets the pair's maximum answer age. Every payment of a
///         cross-border voucher (settlement, early payment, financing) reads its rate here:
///         a stale (older than the maximum age), non-positive or missing answer is refused, never used.
///         A pair of one currency with itself is the identity: answer 1, decimals 0, round 0, `updatedAt`
///         the current block time, so domestic and cross-border payments record the same fields.
interface IFxRateDirectory {
    /// @notice A validated rate: `answer / 10**decimals` quote minor units per base minor unit.
    struct FxRate {
        uint256 answer;
        uint8 decimals;
        uint80 roundId;
        uint256 updatedAt;
    }

    /// @notice Emitted after the admin pointed (`base`, `quote`) at `feed` (zero: no feed) with `maxAgeSeconds`.
    event FxFeedSet(bytes8 indexed base, bytes8 indexed quote, address indexed feed, uint256 maxAgeSeconds);

    /// @dev A currency code is zero, or a pair of one currency with itself was configured.
    error FxInvalidPair(bytes8 base, bytes8 quote);
    /// @dev `feed` has no code or more than 18 decimals.
    error FxInvalidFeed(address feed);
    /// @dev The maximum age must be positive.
    error FxInvalidMaxAge(uint256 maxAgeSeconds);
    /// @dev No feed is configured for (`base`, `quote`).
    error FxFeedNotSet(bytes8 base, bytes8 quote);
    /// @dev The feed of (`base`, `quote`) answered `answer` in round `roundId`: not a positive rate.
    error FxRateNotPositive(bytes8 base, bytes8 quote, uint80 roundId, int256 answer);
    /// @dev The feed's latest answer (round `roundId`, `updatedAt`) is older than `maxAgeSeconds` at `nowAt`.
    error FxRateStale(
        bytes8 base, bytes8 quote, uint80 roundId, uint256 updatedAt, uint256 maxAgeSeconds, uint256 nowAt
    );

    /// @notice Points (`base`, `quote`) at `feed` with a maximum answer age; the zero feed removes it.
    /// @dev DEFAULT_ADMIN_ROLE only. The feed's decimals are read once here (Chainlink's never change).
    function setFeed(bytes8 base, bytes8 quote, AggregatorV3Interface feed, uint256 maxAgeSeconds) external;

    /// @notice The feed, its decimals and maximum age configured for (`base`, `quote`) (zeros if none).
    function feedOf(bytes8 base, bytes8 quote)
        external
        view
        returns (AggregatorV3Interface feed, uint8 decimals, uint256 maxAgeSeconds);

    /// @notice The latest usable rate of (`base`, `quote`); reverts if missing, stale or not positive.
    function rateOf(bytes8 base, bytes8 quote) external view returns (FxRate memory);
}
