// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {CascadeAccess} from "./access/CascadeAccess.sol";
import {CascadeRoles} from "./access/CascadeRoles.sol";
import {IIdentityRegistry} from "./interfaces/IIdentityRegistry.sol";

/// @title On-chain identity records of Cascade participants (ERC-3643 style identity registry)
/// @notice See IIdentityRegistry. The compliance agent keeps the records; the note, the settlement
///         vault and the early payment programmes consult `isVerified` on every movement and payment.
contract ParticipantRegistry is IIdentityRegistry, CascadeAccess {
    /// @notice The role allowed to set identity records.
    bytes32 public constant COMPLIANCE_AGENT_ROLE = CascadeRoles.COMPLIANCE_AGENT_ROLE;

    /// @notice Participant role codes.
    uint8 public constant ROLE_OBLIGOR = 1;
    uint8 public constant ROLE_SUPPLIER = 2;
    uint8 public constant ROLE_FINANCIER = 3;
    uint8 public constant ROLE_INVESTOR = 4;
    uint8 public constant ROLE_PLATFORM_CONTRACT = 5;

    /// @dev The 676 two-letter codes AA..ZZ as bits (code index = 26 * (first - 'A') + (second - 'A')),
    ///      set for the 249 assigned ISO 3166-1 alpha-2 codes (ISO/TC 46 N1108, 2023-04-05; generated
    ///      from tzdata's iso3166.tab). A newly assigned code needs a new registry deployment.
    uint256 private constant _COUNTRIES_0 = 0x0340400f7818068d0015fb9fb0095c000e00d48015843f27deddbdefeedf5978;
    uint256 private constant _COUNTRIES_1 = 0x9fbb3ae7fdf1510040000001538f3c400100084b25d7fffcfd4f8141f42b1d00;
    uint256 private constant _COUNTRIES_2 = 0x000000000000000000000001004004080010000000004002004085570410419a;

    mapping(address account => Identity) private _identities;

    constructor(address trustedForwarder_, address admin, uint48 adminTransferDelay)
        CascadeAccess(trustedForwarder_, admin, adminTransferDelay)
    {}

    /// @inheritdoc IIdentityRegistry
    function setIdentity(
        address account,
        bool verified,
        uint256 kycExpiresAt,
        bytes2 country,
        uint8 role,
        bytes32 reason
    ) external onlyRole(COMPLIANCE_AGENT_ROLE) {
        if (account == address(0)) revert RegistryZeroAddress();
        if (reason == bytes32(0)) revert RegistryMissingReason();
        if (kycExpiresAt > type(uint40).max || (verified && kycExpiresAt <= block.timestamp)) {
            revert RegistryInvalidKycExpiry(kycExpiresAt, block.timestamp);
        }
        if (verified ? !isCountryCode(country) : (country != bytes2(0) && !isCountryCode(country))) {
            revert RegistryInvalidCountry(country);
        }
        if (role > ROLE_PLATFORM_CONTRACT || (verified && role == 0)) revert RegistryInvalidRole(role);
        // cast: kycExpiresAt <= uint40 max was checked above.
        _identities[account] =
            Identity({verified: verified, kycExpiresAt: uint40(kycExpiresAt), country: country, role: role});
        emit IdentityUpdated(account, verified, uint40(kycExpiresAt), country, role, _msgSender(), reason);
    }

    /// @inheritdoc IIdentityRegistry
    function identityOf(address account) external view returns (Identity memory) {
        return _identities[account];
    }

    /// @inheritdoc IIdentityRegistry
    function isVerified(address account) external view returns (bool) {
        Identity storage identity = _identities[account];
        return identity.verified && block.timestamp < identity.kycExpiresAt;
    }

    /// @inheritdoc IIdentityRegistry
    function isKycExpired(address account) external view returns (bool) {
        Identity storage identity = _identities[account];
        return identity.verified && block.timestamp >= identity.kycExpiresAt;
    }

    /// @inheritdoc IIdentityRegistry
    function investorCountry(address account) external view returns (bytes2) {
        return _identities[account].country;
    }

    /// @inheritdoc IIdentityRegistry
    function isCountryCode(bytes2 country) public pure returns (bool) {
        uint8 first = uint8(country[0]);
        uint8 second = uint8(country[1]);
        if (first < 0x41 || first > 0x5a || second < 0x41 || second > 0x5a) return false;
        // unchecked: both letters are within 'A'..'Z', so the index is below 676.
        unchecked {
            uint256 index = uint256(first - 0x41) * 26 + (second - 0x41);
            uint256 word = index < 256 ? _COUNTRIES_0 : index < 512 ? _COUNTRIES_1 : _COUNTRIES_2;
            return (word >> (index & 255)) & 1 == 1;
        }
    }
}
