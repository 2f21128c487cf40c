// SPDX-License-Identifier: MIT
pragma solidity ^0.8.0;

/// @title Chainlink's price feed interface, with Chainlink's exact signatures
/// @notice Written out here because the Chainlink package is not installed (see TOOLCHAIN.md): a
///         production deployment points a currency pair at a real Chainlink feed by address, and the
///         local chain uses FxPriceFeed, which implements the same interface.
interface AggregatorV3Interface {
    function decimals() external view returns (uint8);

    function description() external view returns (string memory);

    function version() external view returns (uint256);

    function getRoundData(uint80 _roundId)
        external
        view
        returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound);

    function latestRoundData()
        external
        view
        returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound);
}
