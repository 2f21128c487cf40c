// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AggregatorV3Interface} from "../../src/interfaces/AggregatorV3Interface.sol";

/// @dev Stands in for a third-party Chainlink feed, which may report what FxPriceFeed refuses to record
///      (a zero or negative answer, a round stamped in the future or never updated): the consumer's
///      checks are tested against it.
contract AggregatorMock is AggregatorV3Interface {
    uint8 public immutable decimals;
    uint80 internal _roundId;
    int256 internal _answer;
    uint256 internal _updatedAt;

    constructor(uint8 decimals_) {
        decimals = decimals_;
    }

    function set(uint80 roundId_, int256 answer_, uint256 updatedAt_) external {
        _roundId = roundId_;
        _answer = answer_;
        _updatedAt = updatedAt_;
    }

    function description() external pure returns (string memory) {
        return "mock";
    }

    function version() external pure returns (uint256) {
        return 4;
    }

    function getRoundData(uint80) external view returns (uint80, int256, uint256, uint256, uint80) {
        return (_roundId, _answer, _updatedAt, _updatedAt, _roundId);
    }

    function latestRoundData() external view returns (uint80, int256, uint256, uint256, uint80) {
        return (_roundId, _answer, _updatedAt, _updatedAt, _roundId);
    }
}
