// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {CascadeAccess} from "../access/CascadeAccess.sol";
import {CascadeRoles} from "../access/CascadeRoles.sol";
import {AggregatorV3Interface} from "../interfaces/AggregatorV3Interface.sol";
import {IFxPriceFeed} from "../interfaces/IFxPriceFeed.sol";

/// @title FX price feed for the local chain (production points the pair at a real Chainlink feed)
/// @notice See IFxPriceFeed. The oracle role submits; everyone reads through AggregatorV3Interface.
contract FxPriceFeed is IFxPriceFeed, CascadeAccess {
    /// @notice The role allowed to submit answers.
    bytes32 public constant ORACLE_ROLE = CascadeRoles.ORACLE_ROLE;

    /// @dev One storage word per round: an answer fits int192 (Chainlink stores int192 too).
    struct Round {
        int192 answer;
        uint64 updatedAt;
    }

    uint8 private immutable _decimals;
    string private _description;
    uint80 private _latestRound;
    mapping(uint80 roundId => Round) private _rounds;

    constructor(
        uint8 decimals_,
        string memory description_,
        address trustedForwarder_,
        address admin,
        uint48 adminTransferDelay
    ) CascadeAccess(trustedForwarder_, admin, adminTransferDelay) {
        if (decimals_ > 18) revert FxFeedInvalidDecimals(decimals_);
        _decimals = decimals_;
        _description = description_;
    }

    /// @inheritdoc IFxPriceFeed
    function submitAnswer(int256 answer) external onlyRole(ORACLE_ROLE) returns (uint80 roundId) {
        if (answer <= 0 || answer > type(int192).max) revert FxFeedInvalidAnswer(answer);
        roundId = ++_latestRound;
        // casts: 0 < answer <= int192 max was checked; block times fit uint64 for billions of years.
        _rounds[roundId] = Round({answer: int192(answer), updatedAt: uint64(block.timestamp)});
        emit FxAnswerSubmitted(roundId, answer, block.timestamp, _msgSender());
    }

    /// @inheritdoc AggregatorV3Interface
    function decimals() external view returns (uint8) {
        return _decimals;
    }

    /// @inheritdoc AggregatorV3Interface
    function description() external view returns (string memory) {
        return _description;
    }

    /// @inheritdoc AggregatorV3Interface
    function version() external pure returns (uint256) {
        return 1;
    }

    /// @inheritdoc AggregatorV3Interface
    function getRoundData(uint80 roundId_)
        external
        view
        returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)
    {
        return _round(roundId_);
    }

    /// @inheritdoc AggregatorV3Interface
    function latestRoundData()
        external
        view
        returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)
    {
        return _round(_latestRound);
    }

    function _round(uint80 roundId)
        private
        view
        returns (uint80, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)
    {
        if (roundId == 0 || roundId > _latestRound) revert FxFeedNoRound(roundId);
        Round storage round = _rounds[roundId];
        return (roundId, round.answer, round.updatedAt, round.updatedAt, roundId);
    }
}
