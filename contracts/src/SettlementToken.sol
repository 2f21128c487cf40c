// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {Context} from "@openzeppelin/contracts/utils/Context.sol";
import {ERC2771Context} from "@openzeppelin/contracts/metatx/ERC2771Context.sol";
import {ISettlementToken} from "./interfaces/ISettlementToken.sol";

/// @title Settlement cash of one currency (e.g. "Cascade CNY", 2 decimals)
/// @notice A plain ERC-20 whose holders may act through the trusted ERC-2771 forwarder, so
///         participants approve the financing contracts without holding ether. Minted by the
///         operator (MINTER_ROLE) to credit cash on the local chain.
contract SettlementToken is ISettlementToken, ERC20, AccessControl, ERC2771Context {
    bytes32 public constant MINTER_ROLE = keccak256("MINTER_ROLE");

    uint8 private immutable _decimals;

    constructor(string memory name_, string memory symbol_, uint8 decimals_, address trustedForwarder_, address admin)
        ERC20(name_, symbol_)
        ERC2771Context(trustedForwarder_)
    {
        if (admin == address(0)) revert CashZeroAddress();
        _decimals = decimals_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(MINTER_ROLE, admin);
    }

    /// @inheritdoc ISettlementToken
    function mint(address to, uint256 amount) external onlyRole(MINTER_ROLE) {
        if (to == address(0)) revert CashZeroAddress();
        if (amount == 0) revert CashZeroAmount();
        _mint(to, amount);
    }

    /// @inheritdoc IERC20Metadata
    function decimals() public view override(ERC20, IERC20Metadata) returns (uint8) {
        return _decimals;
    }

    // ---------------------------------------------------------------- ERC-2771 plumbing

    function _msgSender() internal view override(Context, ERC2771Context) returns (address) {
        return ERC2771Context._msgSender();
    }

    function _msgData() internal view override(Context, ERC2771Context) returns (bytes calldata) {
        return ERC2771Context._msgData();
    }

    function _contextSuffixLength() internal view override(Context, ERC2771Context) returns (uint256) {
        return ERC2771Context._contextSuffixLength();
    }
}
