// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {ParticipantRegistry} from "../src/ParticipantRegistry.sol";
import {IParticipantRegistry} from "../src/interfaces/IParticipantRegistry.sol";

contract ParticipantRegistryTest is Test {
    bytes32 internal constant DEFAULT_ADMIN_ROLE = 0x00;
    bytes32 internal constant REGISTRAR_ROLE = keccak256("REGISTRAR_ROLE");

    ParticipantRegistry internal registry;
    address internal admin = makeAddr("admin");
    address internal registrar = makeAddr("registrar");
    address internal alice = makeAddr("alice");
    address internal stranger = makeAddr("stranger");

    function setUp() public {
        registry = new ParticipantRegistry(admin, makeAddr("forwarder"));
    }

    function _unauthorized(address account, bytes32 role) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, account, role);
    }

    // ------------------------------------------------------------ constructor

    function test_Constructor_GrantsAdminAndRegistrarRoles() public view {
        assertTrue(registry.hasRole(DEFAULT_ADMIN_ROLE, admin));
        assertTrue(registry.hasRole(REGISTRAR_ROLE, admin));
        assertEq(registry.REGISTRAR_ROLE(), REGISTRAR_ROLE);
        assertEq(registry.getRoleAdmin(REGISTRAR_ROLE), DEFAULT_ADMIN_ROLE);
        // The admin is an operator key, not a participant.
        assertFalse(registry.isVerified(admin));
    }

    function test_RevertWhen_ConstructorAdminIsZero() public {
        vm.expectRevert(IParticipantRegistry.RegistryZeroAddress.selector);
        new ParticipantRegistry(address(0), address(0));
    }

    // ------------------------------------------------------------ verify

    function test_Verify_MarksAccountAndEmits() public {
        assertFalse(registry.isVerified(alice));
        vm.expectEmit(address(registry));
        emit IParticipantRegistry.ParticipantVerified(alice, admin);
        vm.prank(admin);
        registry.verify(alice);
        assertTrue(registry.isVerified(alice));
        assertFalse(registry.isVerified(stranger));
    }

    function test_Verify_ByGrantedRegistrar() public {
        vm.prank(admin);
        registry.grantRole(REGISTRAR_ROLE, registrar);
        vm.expectEmit(address(registry));
        emit IParticipantRegistry.ParticipantVerified(alice, registrar);
        vm.prank(registrar);
        registry.verify(alice);
        assertTrue(registry.isVerified(alice));
    }

    function test_RevertWhen_VerifyCallerNotRegistrar() public {
        vm.prank(stranger);
        vm.expectRevert(_unauthorized(stranger, REGISTRAR_ROLE));
        registry.verify(alice);
    }

    function test_RevertWhen_VerifyAfterRegistrarRoleRevoked() public {
        vm.startPrank(admin);
        registry.grantRole(REGISTRAR_ROLE, registrar);
        registry.revokeRole(REGISTRAR_ROLE, registrar);
        vm.stopPrank();
        vm.prank(registrar);
        vm.expectRevert(_unauthorized(registrar, REGISTRAR_ROLE));
        registry.verify(alice);
    }

    function test_RevertWhen_VerifyZeroAddress() public {
        vm.prank(admin);
        vm.expectRevert(IParticipantRegistry.RegistryZeroAddress.selector);
        registry.verify(address(0));
    }

    function test_RevertWhen_VerifyAlreadyVerified() public {
        vm.startPrank(admin);
        registry.verify(alice);
        vm.expectRevert(abi.encodeWithSelector(IParticipantRegistry.RegistryAlreadyVerified.selector, alice));
        registry.verify(alice);
        vm.stopPrank();
    }

    // ------------------------------------------------------------ revoke

    function test_Revoke_ClearsAccountAndEmits() public {
        vm.prank(admin);
        registry.verify(alice);
        vm.expectEmit(address(registry));
        emit IParticipantRegistry.ParticipantRevoked(alice, admin);
        vm.prank(admin);
        registry.revoke(alice);
        assertFalse(registry.isVerified(alice));
    }

    function test_Revoke_ThenVerifyAgain() public {
        vm.startPrank(admin);
        registry.verify(alice);
        registry.revoke(alice);
        registry.verify(alice);
        vm.stopPrank();
        assertTrue(registry.isVerified(alice));
    }

    function test_RevertWhen_RevokeCallerNotRegistrar() public {
        vm.prank(admin);
        registry.verify(alice);
        vm.prank(stranger);
        vm.expectRevert(_unauthorized(stranger, REGISTRAR_ROLE));
        registry.revoke(alice);
    }

    function test_RevertWhen_RevokeNotVerified() public {
        vm.prank(admin);
        vm.expectRevert(abi.encodeWithSelector(IParticipantRegistry.RegistryNotVerified.selector, alice));
        registry.revoke(alice);
    }

    function test_RevertWhen_RevokeTwice() public {
        vm.startPrank(admin);
        registry.verify(alice);
        registry.revoke(alice);
        vm.expectRevert(abi.encodeWithSelector(IParticipantRegistry.RegistryNotVerified.selector, alice));
        registry.revoke(alice);
        vm.stopPrank();
    }

    function test_RevertWhen_RevokeZeroAddress() public {
        // The zero address can never be verified, so revoking it reports "not verified".
        vm.prank(admin);
        vm.expectRevert(abi.encodeWithSelector(IParticipantRegistry.RegistryNotVerified.selector, address(0)));
        registry.revoke(address(0));
    }

    // ------------------------------------------------------------ roles and introspection

    function test_RevertWhen_GrantRegistrarCallerNotAdmin() public {
        vm.prank(stranger);
        vm.expectRevert(_unauthorized(stranger, DEFAULT_ADMIN_ROLE));
        registry.grantRole(REGISTRAR_ROLE, stranger);
    }

    function test_SupportsInterface() public view {
        assertTrue(registry.supportsInterface(type(IAccessControl).interfaceId));
        assertTrue(registry.supportsInterface(0x01ffc9a7));
        assertFalse(registry.supportsInterface(0xffffffff));
    }

    // ------------------------------------------------------------ fuzz

    function testFuzz_VerifyAndRevokeAnyAccount(address account) public {
        vm.assume(account != address(0));
        vm.startPrank(admin);
        registry.verify(account);
        assertTrue(registry.isVerified(account));
        registry.revoke(account);
        assertFalse(registry.isVerified(account));
        vm.stopPrank();
    }

    function testFuzz_RevertWhen_NonRegistrarVerifies(address caller, address account) public {
        vm.assume(caller != admin);
        vm.prank(caller);
        vm.expectRevert(_unauthorized(caller, REGISTRAR_ROLE));
        registry.verify(account);
    }
}
