// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {CascadeAccess} from "../access/CascadeAccess.sol";
import {AggregatorV3Interface} from "../interfaces/AggregatorV3Interface.sol";
import {IFxRateDirectory} from "../interfaces/IFxRateDirectory.sol";

/// @title The currency pairs' price feeds and their maximum answer ages, kept by the admin
/// @notice See IFxRateDirectory. One directory serves the settlement vault, the early payment
///         programmes and the financing desk, so every payment of a voucher converts under one policy.
contract FxRateDirectory is IFxRateDirectory, CascadeAccess {
    /// @dev One word per pair: the feed, its decimals (cached) and the maximum age.
    struct FeedConfig {
        AggregatorV3Interface feed;
        uint8 decimals;
        uint32 maxAgeSeconds;
    }

    mapping(bytes8 base => mapping(bytes8 quote => FeedConfig)) private _feeds;

    constructor(address trustedForwarder_, address admin, uint48 adminTransferDelay)
        CascadeAccess(trustedForwarder_, admin, adminTransferDelay)
    {}

    /// @inheritdoc IFxRateDirectory
    function setFeed(bytes8 base, bytes8 quote, AggregatorV3Interface feed, uint256 maxAgeSeconds)
        external
        onlyRole(DEFAULT_ADMIN_ROLE)
    {
        if (base == bytes8(0) || quote == bytes8(0) || base == quote) revert FxInvalidPair(base, quote);
        if (address(feed) == address(0)) {
            delete _feeds[base][quote];
            emit FxFeedSet(base, quote, address(0), 0);
            return;
        }
        if (address(feed).code.length == 0) revert FxInvalidFeed(address(feed));
        uint8 feedDecimals = feed.decimals();
        if (feedDecimals > 18) revert FxInvalidFeed(address(feed));
        if (maxAgeSeconds == 0 || maxAgeSeconds > type(uint32).max) revert FxInvalidMaxAge(maxAgeSeconds);
        // cast: maxAgeSeconds <= uint32 max was just checked.
        _feeds[base][quote] = FeedConfig({feed: feed, decimals: feedDecimals, maxAgeSeconds: uint32(maxAgeSeconds)});
        emit FxFeedSet(base, quote, address(feed), maxAgeSeconds);
    }

    /// @inheritdoc IFxRateDirectory
    function feedOf(bytes8 base, bytes8 quote)
        external
        view
        returns (AggregatorV3Interface feed, uint8 decimals, uint256 maxAgeSeconds)
    {
        FeedConfig storage config = _feeds[base][quote];
        return (config.feed, config.decimals, config.maxAgeSeconds);
    }

    /// @inheritdoc IFxRateDirectory
    function rateOf(bytes8 base, bytes8 quote) external view returns (FxRate memory rate) {
        if (base == quote) return FxRate({answer: 1, decimals: 0, roundId: 0, updatedAt: block.timestamp});
        FeedConfig memory config = _feeds[base][quote];
        if (address(config.feed) == address(0)) revert FxFeedNotSet(base, quote);
        (uint80 roundId, int256 answer,, uint256 updatedAt,) = config.feed.latestRoundData();
        if (answer <= 0) revert FxRateNotPositive(base, quote, roundId, answer);
        // A round not yet updated (0) or stamped in the future is as unusable as an old one.
        if (updatedAt == 0 || updatedAt > block.timestamp || block.timestamp - updatedAt > config.maxAgeSeconds) {
            revert FxRateStale(base, quote, roundId, updatedAt, config.maxAgeSeconds, block.timestamp);
        }
        // cast: answer > 0 was just checked.
        return FxRate({answer: uint256(answer), decimals: config.decimals, roundId: roundId, updatedAt: updatedAt});
    }
}
