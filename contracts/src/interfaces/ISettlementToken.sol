// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";

/// @title Settlement cash: one ERC-20 deployment per currency
/// @notice Amounts are minor units (the token's decimals equal the note's value decimals, 2), so one
///         unit of note value is paid with one unit of cash. Holders may act through the trusted
///         ERC-2771 forwarder (e.g. `approve` without holding ether).
interface ISettlementToken is IERC20Metadata {
    /// @dev The zero address was given where an account is needed.
    error CashZeroAddress();
    /// @dev A mint of zero was requested.
    error CashZeroAmount();

    /// @notice Creates `amount` minor units for `to`; emits the ERC-20 `Transfer(0, to, amount)`.
    /// @dev MINTER_ROLE only (the operator credits cash on the local chain).
    function mint(address to, uint256 amount) external;
}
