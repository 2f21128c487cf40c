// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ERC2771Context} from "@openzeppelin/contracts/metatx/ERC2771Context.sol";
import {Context} from "@openzeppelin/contracts/utils/Context.sol";
import {IParticipantRegistry} from "./interfaces/IParticipantRegistry.sol";

/// @title On-chain list of verified Cascade participants
/// @notice The registrar acts through the trusted forwarder like every account of the service: its
///         calls arrive as forward requests relayed by the chain writer.
contract ParticipantRegistry is IParticipantRegistry, AccessControl, ERC2771Context {
    bytes32 public constant REGISTRAR_ROLE = keccak256("REGISTRAR_ROLE");

    mapping(address account => bool) private _verified;

    constructor(address admin, address trustedForwarder_) ERC2771Context(trustedForwarder_) {
        if (admin == address(0)) revert RegistryZeroAddress();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(REGISTRAR_ROLE, admin);
    }

    /// @inheritdoc IParticipantRegistry
    function verify(address account) external onlyRole(REGISTRAR_ROLE) {
        if (account == address(0)) revert RegistryZeroAddress();
        if (_verified[account]) revert RegistryAlreadyVerified(account);
        _verified[account] = true;
        emit ParticipantVerified(account, _msgSender());
    }

    /// @inheritdoc IParticipantRegistry
    function revoke(address account) external onlyRole(REGISTRAR_ROLE) {
        if (!_verified[account]) revert RegistryNotVerified(account);
        _verified[account] = false;
        emit ParticipantRevoked(account, _msgSender());
    }

    /// @inheritdoc IParticipantRegistry
    function isVerified(address account) external view returns (bool) {
        return _verified[account];
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
