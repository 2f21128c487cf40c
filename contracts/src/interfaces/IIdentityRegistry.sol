// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Identities of the accounts allowed to hold Cascade instruments (notes and yield tokens)
/// @notice The eligibility half of ERC-3643's identity registry, without ONCHAINID claims: one record
///         per account, kept by the compliance agent. An account is *verified* only while its record
///         says so and its KYC has not expired; an expired KYC blocks sending and receiving exactly like
///         a missing or revoked verification.
///         Role codes: 1 obligor, 2 supplier, 3 financier, 4 investor, 5 platform contract (0: none,
///         only on an unverified record). Countries are ISO 3166-1 alpha-2 codes in ASCII
///         (e.g. bytes2("CN")), checked against the 249 codes assigned as of ISO/TC 46 N1108 (2023-04-05).
interface IIdentityRegistry {
    /// @notice What the platform knows of an account. `country` is the ISO-3166 alpha-2 code in ASCII
    ///         (e.g. bytes2("CN")); `role` is the platform role code (see above).
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

    /// @dev The zero address can never be a participant.
    error RegistryZeroAddress();
    /// @dev Every update needs a reason code (the audit trail's "why").
    error RegistryMissingReason();
    /// @dev `country` is not an assigned ISO 3166-1 alpha-2 code in upper-case ASCII (zero is allowed
    ///      only on an unverified record).
    error RegistryInvalidCountry(bytes2 country);
    /// @dev `role` is not a role code (1 to 5; zero only on an unverified record).
    error RegistryInvalidRole(uint256 role);
    /// @dev A verified record needs a KYC expiry after now (`nowAt`) that fits uint40.
    error RegistryInvalidKycExpiry(uint256 kycExpiresAt, uint256 nowAt);

    /// @notice Sets `account`'s whole record (verification, KYC expiry, country, role), for `reason`.
    /// @dev COMPLIANCE_AGENT_ROLE only; the one way a record changes (registering, renewing a KYC,
    ///      revoking: `verified` false). Emits IdentityUpdated with the caller as the agent.
    function setIdentity(
        address account,
        bool verified,
        uint256 kycExpiresAt,
        bytes2 country,
        uint8 role,
        bytes32 reason
    ) external;

    /// @notice `account`'s record (all zero if never registered).
    function identityOf(address account) external view returns (Identity memory);

    /// @notice Whether `account` may hold, send and receive: registered, verified, KYC not expired.
    function isVerified(address account) external view returns (bool);

    /// @notice Whether `account`'s record is verified but its KYC has expired (then `isVerified` is false).
    function isKycExpired(address account) external view returns (bool);

    /// @notice ERC-3643's name for the account's country (zero if never registered).
    function investorCountry(address account) external view returns (bytes2);

    /// @notice Whether `country` is an assigned ISO 3166-1 alpha-2 code in upper-case ASCII.
    function isCountryCode(bytes2 country) external pure returns (bool);
}
