// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {Context} from "@openzeppelin/contracts/utils/Context.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {CascadeAccess} from "./access/CascadeAccess.sol";
import {CascadeRoles} from "./access/CascadeRoles.sol";
import {ISettlementToken} from "./interfaces/ISettlementToken.sol";

/// @title Settlement cash of one currency (e.g. "Cascade CNY", 2 decimals)
/// @notice A plain ERC-20 whose holders may act through the trusted ERC-2771 forwarder, so
///         participants approve the financing contracts without holding ether. Minted by the cash
///         issuer's account (MINTER_ROLE, granted by the admin after deployment) on the local chain.
contract SettlementToken is ISettlementToken, ERC20, CascadeAccess {
    bytes32 public constant MINTER_ROLE = CascadeRoles.MINTER_ROLE;

    uint8 private immutable _decimals;

    constructor(
        string memory name_,
        string memory symbol_,
        uint8 decimals_,
        address trustedForwarder_,
        address admin,
        uint48 adminTransferDelay
    ) ERC20(name_, symbol_) CascadeAccess(trustedForwarder_, admin, adminTransferDelay) {
        _decimals = decimals_;
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

    // ---------------------------------------------------------------- ERC-2771 context
    // ERC20 also derives from Context, so the compiler needs the choice spelled out: CascadeAccess's.

    function _msgSender() internal view override(Context, CascadeAccess) returns (address) {
        return CascadeAccess._msgSender();
    }

    function _msgData() internal view override(Context, CascadeAccess) returns (bytes calldata) {
        return CascadeAccess._msgData();
    }

    function _contextSuffixLength() internal view override(Context, CascadeAccess) returns (uint256) {
        return CascadeAccess._contextSuffixLength();
    }
}
