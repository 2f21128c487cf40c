// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Registry of participants allowed to hold Cascade notes
/// @notice Kept by accounts holding the registrar role (the operator's admin key). Holding, sending
///         and receiving notes all require the account to be verified here, so a revoked account is frozen.
interface IParticipantRegistry {
    /// @notice Emitted after `account` became verified.
    event ParticipantVerified(address indexed account, address indexed registrar);
    /// @notice Emitted after `account` lost its verification.
    event ParticipantRevoked(address indexed account, address indexed registrar);

    /// @dev The zero address can never be a participant.
    error RegistryZeroAddress();
    /// @dev `account` is verified already.
    error RegistryAlreadyVerified(address account);
    /// @dev `account` is not verified.
    error RegistryNotVerified(address account);

    /// @notice Marks `account` as a verified participant. Registrar role only.
    function verify(address account) external;

    /// @notice Removes the verification of `account`. Registrar role only.
    function revoke(address account) external;

    /// @notice Whether `account` may hold, send and receive notes.
    function isVerified(address account) external view returns (bool);
}
