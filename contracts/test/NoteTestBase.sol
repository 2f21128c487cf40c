// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ReceivableNote} from "../src/ReceivableNote.sol";
import {ReceivableNoteExtension} from "../src/note/ReceivableNoteExtension.sol";
import {ParticipantRegistry} from "../src/ParticipantRegistry.sol";
import {CascadeForwarder} from "../src/CascadeForwarder.sol";
import {ICascadeNote} from "../src/interfaces/ICascadeNote.sol";
import {IIdentityRegistry} from "../src/interfaces/IIdentityRegistry.sol";
import {IReceivableNote} from "../src/interfaces/IReceivableNote.sol";
import {NoInterfaceHolder} from "./mocks/ReceiverMocks.sol";
import {CascadeTest} from "./helpers/CascadeTest.sol";

/// @dev Deploys the identity registry and the note the way production wires them (forwarder first,
///      because both trust it in their constructors; the note's extension before the note), gives each
///      role to its own account, and registers a fixed cast of participants.
abstract contract NoteTestBase is CascadeTest {
    string internal constant NAME = "Cascade Receivable Note";
    string internal constant SYMBOL = "CRN";
    uint8 internal constant DECIMALS = 2;
    bytes8 internal constant CURRENCY = bytes8("EUR");
    bytes32 internal constant DOC_HASH = keccak256("invoice 2024-0001");
    uint256 internal constant FACE = 1_000_000; // 10,000.00 EUR in cents
    uint256 internal constant UNIT = 100; // splits in whole euros only
    uint8 internal constant ROLE_SUPPLIER = 2;

    /// @dev The note's `_tokens` mapping slot (AccessControl._roles 0, AccessControlDefaultAdminRules
    ///      1-2, Pausable._paused 3, _name 4, _symbol 5, _baseTokenURI 6, _tokenCount 7, _voucherCount 8,
    ///      _limits 9); checked by a test through the token layout.
    uint256 internal constant TOKENS_MAPPING_SLOT = 10;

    ParticipantRegistry internal registry;
    /// @dev The note at its address, typed with its whole interface (both code halves).
    ICascadeNote internal note;

    address internal admin = makeAddr("admin");
    address internal issuer = makeAddr("issuer");
    address internal agent = makeAddr("agent");
    address internal pauser = makeAddr("pauser");
    /// @dev REDEEMER_ROLE only goes to contracts: a code-bearing stand-in for a settlement contract.
    address internal redeemer;
    address internal obligor = makeAddr("obligor");
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
        registry = new ParticipantRegistry(address(forwarder), admin, ADMIN_DELAY);
        note = _deployNote(registry);
        redeemer = address(new NoInterfaceHolder());

        vm.startPrank(admin);
        note.grantRole(ISSUER_ROLE, issuer);
        note.grantRole(COMPLIANCE_AGENT_ROLE, agent);
        note.grantRole(PAUSER_ROLE, pauser);
        note.grantRole(REDEEMER_ROLE, redeemer);
        registry.grantRole(COMPLIANCE_AGENT_ROLE, agent);
        vm.stopPrank();

        _verify(obligor);
        _verify(alice);
        _verify(bob);
        _verify(carol);
    }

    function _deployNote(IIdentityRegistry registry_) internal returns (ICascadeNote) {
        ReceivableNoteExtension extension = new ReceivableNoteExtension(registry_, DECIMALS, address(forwarder));
        return ICascadeNote(
            payable(address(
                    new ReceivableNote(
                        NAME, SYMBOL, DECIMALS, registry_, address(forwarder), admin, ADMIN_DELAY, extension
                    )
                ))
        );
    }

    // ------------------------------------------------------------ helpers

    /// @dev Registers `account` as a verified supplier in China with a KYC valid for a year.
    function _verify(address account) internal {
        _setIdentity(account, true, block.timestamp + 365 days);
    }

    function _revoke(address account) internal {
        _setIdentity(account, false, 0);
    }

    function _setIdentity(address account, bool verified, uint256 kycExpiresAt) internal {
        vm.prank(agent);
        registry.setIdentity(account, verified, kycExpiresAt, bytes2("CN"), ROLE_SUPPLIER, REASON);
    }

    function _issue(address holder, uint256 face, uint256 unit) internal returns (uint256 slot, uint256 tokenId) {
        vm.prank(issuer);
        return note.issue(obligor, holder, CURRENCY, CURRENCY, face, unit, maturity, 0, DOC_HASH);
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
        vm.prank(pauser);
        note.pause();
    }
}

/// @dev Tests that start from two pieces of the default voucher: alice's root and bob's 100 units.
abstract contract TwoPiecesTestBase is NoteTestBase {
    uint256 internal slot;
    uint256 internal rootId;
    uint256 internal bobId;

    function setUp() public virtual override {
        super.setUp();
        (slot, rootId) = _issueToAlice();
        bobId = _split(alice, rootId, bob, 100 * UNIT);
    }
}
