// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {ReceivableNote} from "../src/ReceivableNote.sol";
import {ParticipantRegistry} from "../src/ParticipantRegistry.sol";
import {CascadeForwarder} from "../src/CascadeForwarder.sol";
import {IReceivableNote} from "../src/interfaces/IReceivableNote.sol";
import {IParticipantRegistry} from "../src/interfaces/IParticipantRegistry.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";

/// @dev Deploys the Cascade contracts the way production wires them (forwarder first, because the
///      note trusts it in its constructor) and verifies a fixed cast of participants.
abstract contract NoteTestBase is Test {
    string internal constant NAME = "Cascade Receivable Note";
    string internal constant SYMBOL = "CRN";
    uint8 internal constant DECIMALS = 2;
    bytes8 internal constant CURRENCY = bytes8("EUR");
    bytes32 internal constant DOC_HASH = keccak256("invoice 2024-0001");
    uint256 internal constant FACE = 1_000_000; // 10,000.00 EUR in cents
    uint256 internal constant UNIT = 100; // splits in whole euros only

    /// @dev ReceivableNote's `_tokens` mapping slot (AccessControl._roles = 0, Pausable._paused = 1,
    ///      _name 2, _symbol 3, _baseTokenURI 4, _tokenCount 5, _voucherCount 6); checked by a test.
    uint256 internal constant TOKENS_MAPPING_SLOT = 7;

    bytes32 internal constant DEFAULT_ADMIN_ROLE = 0x00;
    bytes32 internal constant ISSUER_ROLE = keccak256("ISSUER_ROLE");
    bytes32 internal constant PAUSER_ROLE = keccak256("PAUSER_ROLE");
    bytes32 internal constant REDEEMER_ROLE = keccak256("REDEEMER_ROLE");
    bytes32 internal constant REGISTRAR_ROLE = keccak256("REGISTRAR_ROLE");

    ParticipantRegistry internal registry;
    CascadeForwarder internal forwarder;
    ReceivableNote internal note;

    address internal admin = makeAddr("admin");
    address internal obligor = makeAddr("obligor");
    address internal redeemer = makeAddr("redeemer");
    address internal relayer = makeAddr("relayer");
    address internal bob = makeAddr("bob");
    address internal carol = makeAddr("carol");
    address internal outsider = makeAddr("outsider");
    address internal alice;
    uint256 internal aliceKey;

    uint256 internal maturity;

    function setUp() public virtual {
        (alice, aliceKey) = makeAddrAndKey("alice");
        // forge starts at timestamp 1; a realistic clock keeps "maturity in the past" cases meaningful.
        vm.warp(1_700_000_000);
        maturity = block.timestamp + 90 days;

        forwarder = new CascadeForwarder();
        registry = new ParticipantRegistry(admin, address(forwarder));
        note = new ReceivableNote(NAME, SYMBOL, DECIMALS, registry, address(forwarder), admin);

        vm.startPrank(admin);
        note.grantRole(REDEEMER_ROLE, redeemer);
        registry.verify(obligor);
        registry.verify(alice);
        registry.verify(bob);
        registry.verify(carol);
        vm.stopPrank();
    }

    // ------------------------------------------------------------ helpers

    function _verify(address account) internal {
        vm.prank(admin);
        registry.verify(account);
    }

    function _revoke(address account) internal {
        vm.prank(admin);
        registry.revoke(account);
    }

    function _issue(address holder, uint256 face, uint256 unit) internal returns (uint256 slot, uint256 tokenId) {
        vm.prank(admin);
        return note.issue(obligor, holder, CURRENCY, face, unit, maturity, DOC_HASH);
    }

    /// @dev The default voucher: FACE held by alice, split in UNIT steps.
    function _issueToAlice() internal returns (uint256 slot, uint256 tokenId) {
        return _issue(alice, FACE, UNIT);
    }

    function _split(address caller, uint256 fromTokenId, address to, uint256 value) internal returns (uint256) {
        vm.prank(caller);
        return note.transferFrom(fromTokenId, to, value);
    }

    function _merge(address caller, uint256 fromTokenId, uint256 toTokenId, uint256 value) internal {
        vm.prank(caller);
        note.transferFrom(fromTokenId, toTokenId, value);
    }

    function _pause() internal {
        vm.prank(admin);
        note.pause();
    }

    function _unauthorized(address account, bytes32 role) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, account, role);
    }
}
