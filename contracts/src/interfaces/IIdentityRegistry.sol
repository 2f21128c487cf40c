// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Identities of the accounts allowed to hold Cascade instruments (notes and yield tokens)
/// @notice The eligibility half of ERC-3643's identity registry, without ONCHAINID claims: one record
///         per account, kept by the compliance agent. An account is *verified* only while its record
///         says so and its KYC has not expired; an expired KYC blocks sending and receiving exactly like
///         a missing or revoked verification.
interface IIdentityRegistry {
    /// @notice What the platform knows of an account. `country` is the ISO-3166 alpha-2 code in ASCII
    ///         (e.g. bytes2("CN")); `role` is the platform role code (see the implementing contract).
    struct Identity {
        bool verified;
        uint40 kycExpiresAt;
        bytes2 country;
        uint8 role;
    }

    /// @notice Emitted after the compliance agent `agent` set `account`'s record, for reason `reason`
    ///         (a short code, e.g. bytes32("KYC_RENEWED")): the audit trail of every update.
    event IdentityUpdated(
        address indexed account,
        bool verified,
        uint40 kycExpiresAt,
        bytes2 country,
        uint8 role,
        address indexed agent,
        bytes32 reason
    );

    /// @notice `account`'s record (all zero if never registered).
    function identityOf(address account) external view returns (Identity memory);

    /// @notice Whether `account` may hold, send and receive: registered, verified, KYC not expired.
    function isVerified(address account) external view returns (bool);

    /// @notice ERC-3643's name for the account's country (zero if never registered).
    function investorCountry(address account) external view returns (bytes2);
}
