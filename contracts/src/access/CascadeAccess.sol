// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {AccessControlDefaultAdminRules} from
    "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {ERC2771Context} from "@openzeppelin/contracts/metatx/ERC2771Context.sol";
import {Context} from "@openzeppelin/contracts/utils/Context.sol";

/// @title Shared plumbing of every Cascade contract: roles with a delayed admin, and ERC-2771
/// @notice Every write to a Cascade contract arrives as an EIP-712 forward request relayed by the
///         service's chain writer through the trusted `CascadeForwarder`, so `_msgSender()` is the
///         signer (a participant, or one of the service's role accounts), never the gas-paying relayer.
///         The admin role (`DEFAULT_ADMIN_ROLE`) can only change hands through OpenZeppelin's two-step,
///         delayed transfer (`beginDefaultAdminTransfer`, wait `defaultAdminDelay`, then
///         `acceptDefaultAdminTransfer`); every other role is granted by that admin, one role per key.
abstract contract CascadeAccess is AccessControlDefaultAdminRules, ERC2771Context {
    constructor(address trustedForwarder_, address admin, uint48 adminTransferDelay)
        AccessControlDefaultAdminRules(adminTransferDelay, admin)
        ERC2771Context(trustedForwarder_)
    {}

    function _msgSender() internal view virtual override(Context, ERC2771Context) returns (address) {
        return ERC2771Context._msgSender();
    }

    function _msgData() internal view virtual override(Context, ERC2771Context) returns (bytes calldata) {
        return ERC2771Context._msgData();
    }

    function _contextSuffixLength() internal view virtual override(Context, ERC2771Context) returns (uint256) {
        return ERC2771Context._contextSuffixLength();
    }

    /// @dev Both bases declare it; AccessControlDefaultAdminRules adds its interface id.
    function supportsInterface(bytes4 interfaceId) public view virtual override(AccessControlDefaultAdminRules)
        returns (bool)
    {
        return AccessControlDefaultAdminRules.supportsInterface(interfaceId);
    }
}
