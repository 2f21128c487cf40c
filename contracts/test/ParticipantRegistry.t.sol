// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {
    IAccessControlDefaultAdminRules
} from "@openzeppelin/contracts/access/extensions/IAccessControlDefaultAdminRules.sol";
import {ParticipantRegistry} from "../src/ParticipantRegistry.sol";
import {CascadeForwarder} from "../src/CascadeForwarder.sol";
import {IIdentityRegistry} from "../src/interfaces/IIdentityRegistry.sol";
import {CascadeTest} from "./helpers/CascadeTest.sol";

contract ParticipantRegistryTest is CascadeTest {
    uint48 internal constant DELAY = 2 days;

    /// @dev ISO 3166-1 alpha-2 as of ISO/TC 46 N1108 (2023-04-05), from tzdata's iso3166.tab.
    string internal constant ISO_CODES =
        "ADAEAFAGAIALAMAOAQARASATAUAWAXAZBABBBDBEBFBGBHBIBJBLBMBNBOBQBRBSBTBVBWBYBZCACCCDCFCGCHCICKCLCMCNCOCRCUCVCWCXCYCZDEDJDKDMDODZECEEEGEHERESETFIFJFKFMFOFRGAGBGDGEGFGGGHGIGLGMGNGPGQGRGSGTGUGWGYHKHMHNHRHTHUIDIEILIMINIOIQIRISITJEJMJOJPKEKGKHKIKMKNKPKRKWKYKZLALBLCLILKLRLSLTLULVLYMAMCMDMEMFMGMHMKMLMMMNMOMPMQMRMSMTMUMVMWMXMYMZNANCNENFNGNINLNONPNRNUNZOMPAPEPFPGPHPKPLPMPNPRPSPTPWPYQARERORSRURWSASBSCSDSESGSHSISJSKSLSMSNSOSRSSSTSVSXSYSZTCTDTFTGTHTJTKTLTMTNTOTRTTTVTWTZUAUGUMUSUYUZVAVCVEVGVIVNVUWFWSYEYTZAZMZW";

    ParticipantRegistry internal registry;
    address internal admin = makeAddr("admin");
    address internal agent;
    uint256 internal agentKey;
    address internal alice = makeAddr("alice");
    address internal stranger = makeAddr("stranger");

    function setUp() public {
        vm.warp(1_700_000_000);
        (agent, agentKey) = makeAddrAndKey("agent");
        forwarder = new CascadeForwarder();
        registry = new ParticipantRegistry(address(forwarder), admin, DELAY);
        vm.prank(admin);
        registry.grantRole(COMPLIANCE_AGENT_ROLE, agent);
    }

    function _set(address account, bool verified, uint256 expiresAt, bytes2 country, uint8 role) internal {
        vm.prank(agent);
        registry.setIdentity(account, verified, expiresAt, country, role, REASON);
    }

    // ------------------------------------------------------------ constructor and roles

    function test_Constructor_GrantsOnlyTheAdminWithItsDelay() public {
        ParticipantRegistry fresh = new ParticipantRegistry(address(forwarder), admin, DELAY);
        assertTrue(fresh.hasRole(DEFAULT_ADMIN_ROLE, admin));
        assertFalse(fresh.hasRole(COMPLIANCE_AGENT_ROLE, admin));
        assertEq(fresh.defaultAdmin(), admin);
        assertEq(fresh.defaultAdminDelay(), DELAY);
        assertEq(fresh.COMPLIANCE_AGENT_ROLE(), COMPLIANCE_AGENT_ROLE);
        assertTrue(fresh.isTrustedForwarder(address(forwarder)));
        // The admin is an operator key, not a participant.
        assertFalse(fresh.isVerified(admin));
    }

    function test_RevertWhen_ConstructorAdminIsZero() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControlDefaultAdminRules.AccessControlInvalidDefaultAdmin.selector, address(0)
            )
        );
        new ParticipantRegistry(address(forwarder), address(0), DELAY);
    }

    function test_RoleCodes() public view {
        assertEq(registry.ROLE_OBLIGOR(), 1);
        assertEq(registry.ROLE_SUPPLIER(), 2);
        assertEq(registry.ROLE_FINANCIER(), 3);
        assertEq(registry.ROLE_INVESTOR(), 4);
        assertEq(registry.ROLE_PLATFORM_CONTRACT(), 5);
    }

    // ------------------------------------------------------------ setIdentity

    function test_SetIdentity_StoresTheRecordAndEmitsTheAuditTrail() public {
        uint256 expiresAt = block.timestamp + 365 days;
        vm.expectEmit(address(registry));
        emit IIdentityRegistry.IdentityUpdated(alice, true, uint40(expiresAt), bytes2("SG"), 2, agent, REASON);
        _set(alice, true, expiresAt, bytes2("SG"), 2);

        IIdentityRegistry.Identity memory identity = registry.identityOf(alice);
        assertTrue(identity.verified);
        assertEq(identity.kycExpiresAt, expiresAt);
        assertEq(identity.country, bytes2("SG"));
        assertEq(identity.role, 2);
        assertTrue(registry.isVerified(alice));
        assertFalse(registry.isKycExpired(alice));
        assertEq(registry.investorCountry(alice), bytes2("SG"));
        assertFalse(registry.isVerified(stranger));
    }

    function test_SetIdentity_RevokeKeepsCountryAndRole() public {
        _set(alice, true, block.timestamp + 1 days, bytes2("US"), 4);
        _set(alice, false, 0, bytes2("US"), 4);
        assertFalse(registry.isVerified(alice));
        assertFalse(registry.isKycExpired(alice));
        assertEq(registry.investorCountry(alice), bytes2("US"));
    }

    function test_SetIdentity_UnverifiedRecordMayBeBlank() public {
        _set(alice, false, 0, bytes2(0), 0);
        assertEq(registry.identityOf(alice).country, bytes2(0));
    }

    function test_IsVerified_FalseOnceTheKycExpires() public {
        uint256 expiresAt = block.timestamp + 30 days;
        _set(alice, true, expiresAt, bytes2("CN"), 2);
        vm.warp(expiresAt - 1);
        assertTrue(registry.isVerified(alice));
        assertFalse(registry.isKycExpired(alice));
        vm.warp(expiresAt);
        assertFalse(registry.isVerified(alice));
        assertTrue(registry.isKycExpired(alice));
    }

    function test_SetIdentity_RenewsAnExpiredKyc() public {
        _set(alice, true, block.timestamp + 1, bytes2("CN"), 2);
        vm.warp(block.timestamp + 2);
        assertFalse(registry.isVerified(alice));
        _set(alice, true, block.timestamp + 365 days, bytes2("CN"), 2);
        assertTrue(registry.isVerified(alice));
    }

    function test_SetIdentity_ThroughForwarderNamesTheAgent() public {
        bytes memory data = abi.encodeCall(
            IIdentityRegistry.setIdentity, (alice, true, block.timestamp + 1 days, bytes2("HK"), uint8(3), REASON)
        );
        vm.expectEmit(address(registry));
        emit IIdentityRegistry.IdentityUpdated(
            alice, true, uint40(block.timestamp + 1 days), bytes2("HK"), 3, agent, REASON
        );
        _relay(agentKey, address(registry), data);
        assertTrue(registry.isVerified(alice));
    }

    function test_RevertWhen_SetIdentityCallerNotAgent() public {
        vm.prank(admin);
        vm.expectRevert(_unauthorized(admin, COMPLIANCE_AGENT_ROLE));
        registry.setIdentity(alice, true, block.timestamp + 1 days, bytes2("CN"), 2, REASON);
    }

    function test_RevertWhen_SetIdentityZeroAddress() public {
        vm.prank(agent);
        vm.expectRevert(IIdentityRegistry.RegistryZeroAddress.selector);
        registry.setIdentity(address(0), true, block.timestamp + 1 days, bytes2("CN"), 2, REASON);
    }

    function test_RevertWhen_SetIdentityWithoutReason() public {
        vm.prank(agent);
        vm.expectRevert(IIdentityRegistry.RegistryMissingReason.selector);
        registry.setIdentity(alice, true, block.timestamp + 1 days, bytes2("CN"), 2, bytes32(0));
    }

    function test_RevertWhen_SetIdentityVerifiedWithExpiredKyc() public {
        vm.prank(agent);
        vm.expectRevert(
            abi.encodeWithSelector(
                IIdentityRegistry.RegistryInvalidKycExpiry.selector, block.timestamp, block.timestamp
            )
        );
        registry.setIdentity(alice, true, block.timestamp, bytes2("CN"), 2, REASON);
    }

    function test_RevertWhen_SetIdentityKycExpiryAboveUint40() public {
        uint256 far = uint256(type(uint40).max) + 1;
        vm.prank(agent);
        vm.expectRevert(
            abi.encodeWithSelector(IIdentityRegistry.RegistryInvalidKycExpiry.selector, far, block.timestamp)
        );
        registry.setIdentity(alice, false, far, bytes2(0), 0, REASON);
    }

    function test_RevertWhen_SetIdentityCountryNotIso() public {
        bytes2[6] memory bad = [bytes2("ZZ"), bytes2("XK"), bytes2("cn"), bytes2("C1"), bytes2(0), bytes2("UK")];
        for (uint256 i; i < bad.length; ++i) {
            vm.prank(agent);
            vm.expectRevert(abi.encodeWithSelector(IIdentityRegistry.RegistryInvalidCountry.selector, bad[i]));
            registry.setIdentity(alice, true, block.timestamp + 1 days, bad[i], 2, REASON);
        }
    }

    function test_RevertWhen_SetIdentityUnverifiedWithInvalidCountry() public {
        vm.prank(agent);
        vm.expectRevert(abi.encodeWithSelector(IIdentityRegistry.RegistryInvalidCountry.selector, bytes2("QQ")));
        registry.setIdentity(alice, false, 0, bytes2("QQ"), 0, REASON);
    }

    function test_RevertWhen_SetIdentityRoleInvalid() public {
        vm.prank(agent);
        vm.expectRevert(abi.encodeWithSelector(IIdentityRegistry.RegistryInvalidRole.selector, 6));
        registry.setIdentity(alice, true, block.timestamp + 1 days, bytes2("CN"), 6, REASON);
        vm.prank(agent);
        vm.expectRevert(abi.encodeWithSelector(IIdentityRegistry.RegistryInvalidRole.selector, 0));
        registry.setIdentity(alice, true, block.timestamp + 1 days, bytes2("CN"), 0, REASON);
    }

    // ------------------------------------------------------------ country codes

    function test_IsCountryCode_AcceptsEveryAssignedCode() public view {
        bytes memory codes = bytes(ISO_CODES);
        assertEq(codes.length, 249 * 2);
        for (uint256 i; i < codes.length; i += 2) {
            bytes2 code = bytes2(abi.encodePacked(codes[i], codes[i + 1]));
            assertTrue(registry.isCountryCode(code), string(abi.encodePacked(code)));
        }
    }

    function testFuzz_IsCountryCode_ExactlyTheAssignedCodes(bytes2 code) public view {
        bytes memory codes = bytes(ISO_CODES);
        bool assigned;
        for (uint256 i; i < codes.length; i += 2) {
            if (codes[i] == code[0] && codes[i + 1] == code[1]) assigned = true;
        }
        assertEq(registry.isCountryCode(code), assigned);
    }

    function test_IsCountryCode_AllTwoLetterCombinations() public view {
        bytes memory codes = bytes(ISO_CODES);
        uint256 accepted;
        for (uint8 a = 0x41; a <= 0x5a; ++a) {
            for (uint8 b = 0x41; b <= 0x5a; ++b) {
                if (registry.isCountryCode(bytes2(abi.encodePacked(a, b)))) accepted += 1;
            }
        }
        assertEq(accepted, codes.length / 2);
    }

    // ------------------------------------------------------------ roles and introspection

    function test_RevertWhen_GrantAgentCallerNotAdmin() public {
        vm.prank(stranger);
        vm.expectRevert(_unauthorized(stranger, DEFAULT_ADMIN_ROLE));
        registry.grantRole(COMPLIANCE_AGENT_ROLE, stranger);
    }

    function test_SupportsInterface() public view {
        assertTrue(registry.supportsInterface(type(IAccessControl).interfaceId));
        assertTrue(registry.supportsInterface(type(IAccessControlDefaultAdminRules).interfaceId));
        assertTrue(registry.supportsInterface(0x01ffc9a7));
        assertFalse(registry.supportsInterface(0xffffffff));
    }

    // ------------------------------------------------------------ fuzz

    function testFuzz_SetIdentityAnyAccount(address account, uint40 lifetime) public {
        vm.assume(account != address(0));
        uint256 expiresAt = block.timestamp + bound(lifetime, 1, 10 * 365 days);
        _set(account, true, expiresAt, bytes2("DE"), 3);
        assertTrue(registry.isVerified(account));
        _set(account, false, expiresAt, bytes2("DE"), 3);
        assertFalse(registry.isVerified(account));
    }

    function testFuzz_RevertWhen_NonAgentSetsIdentity(address caller, address account) public {
        vm.assume(caller != agent && caller != address(forwarder));
        vm.prank(caller);
        vm.expectRevert(_unauthorized(caller, COMPLIANCE_AGENT_ROLE));
        registry.setIdentity(account, true, block.timestamp + 1 days, bytes2("CN"), 2, REASON);
    }
}
