// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {CascadeAccess} from "./access/CascadeAccess.sol";
import {ICashTokenDirectory} from "./interfaces/ICashTokenDirectory.sol";

/// @title Currency to settlement-cash mapping, kept by the admin of each financing contract
/// @notice Inherited by FinancingDesk, EarlyPaymentProgram and SettlementVault, which pass CascadeAccess
///         its constructor arguments. A voucher's payments use the cash of its settlement currency.
abstract contract CashTokenDirectory is ICashTokenDirectory, CascadeAccess {
    mapping(bytes8 currency => IERC20) private _cashTokens;

    /// @dev Decimals every cash token must have: the note's value decimals.
    function _requiredCashDecimals() internal view virtual returns (uint8);

    /// @inheritdoc ICashTokenDirectory
    function setCashToken(bytes8 currency, IERC20 token) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (currency == bytes8(0)) revert CashInvalidCurrency();
        if (address(token) != address(0)) {
            if (address(token).code.length == 0) revert CashInvalidToken(address(token));
            uint8 tokenDecimals = IERC20Metadata(address(token)).decimals();
            uint8 noteDecimals = _requiredCashDecimals();
            if (tokenDecimals != noteDecimals) {
                revert CashDecimalsMismatch(address(token), tokenDecimals, noteDecimals);
            }
        }
        IERC20 previous = _cashTokens[currency];
        _cashTokens[currency] = token;
        emit CashTokenSet(currency, address(token), address(previous));
    }

    /// @inheritdoc ICashTokenDirectory
    function cashTokenOf(bytes8 currency) external view returns (IERC20) {
        return _cashTokens[currency];
    }

    /// @dev The cash token of `currency`; reverts if none is registered.
    function _requireCashToken(bytes8 currency) internal view returns (IERC20 token) {
        token = _cashTokens[currency];
        if (address(token) == address(0)) revert CashTokenNotRegistered(currency);
    }
}
