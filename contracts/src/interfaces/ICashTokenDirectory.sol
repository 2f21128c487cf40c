// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @title Currency to settlement-cash mapping kept by each financing and settlement contract
/// @notice A voucher names its currency as a bytes8 code (e.g. `bytes8("CNY")`); the admin registers
///         the ERC-20 settlement token that carries that currency. Contracts that hold escrow remember
///         the token they took in, so changing the mapping never strands escrowed cash.
interface ICashTokenDirectory {
    /// @notice Emitted after the cash token of `currency` changed from `previous` to `token` (zero: none).
    event CashTokenSet(bytes8 indexed currency, address indexed token, address previous);

    /// @dev The zero currency code was given.
    error CashInvalidCurrency();
    /// @dev `token` has no code, so it cannot be an ERC-20 token.
    error CashInvalidToken(address token);
    /// @dev `token` has `tokenDecimals` decimals but note values use `noteDecimals`: one value unit
    ///      must equal one cash unit.
    error CashDecimalsMismatch(address token, uint256 tokenDecimals, uint256 noteDecimals);
    /// @dev No cash token is registered for `currency`.
    error CashTokenNotRegistered(bytes8 currency);

    /// @notice Registers `token` as the settlement cash of `currency`; the zero address unregisters it.
    /// @dev DEFAULT_ADMIN_ROLE only. The token's decimals must equal the note's value decimals.
    function setCashToken(bytes8 currency, IERC20 token) external;

    /// @notice The cash token registered for `currency`, or the zero address.
    function cashTokenOf(bytes8 currency) external view returns (IERC20);
}
