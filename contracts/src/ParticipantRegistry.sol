// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IParticipantRegistry} from "./interfaces/IParticipantRegistry.sol";

/// @title On-chain list of verified Cascade participants
contract ParticipantRegistry is IParticipantRegistry, AccessControl {
    bytes32 public constant REGISTRAR_ROLE = keccak256("REGISTRAR_ROLE");

    mapping(address account => bool) private _verified;

    constructor(address admin) {
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
}
