// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Vm} from "forge-std/Vm.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {Errors} from "@openzeppelin/contracts/utils/Errors.sol";
import {ERC2771Forwarder} from "@openzeppelin/contracts/metatx/ERC2771Forwarder.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IERC721} from "@solvprotocol/erc-3525/IERC721.sol";
import {IERC3525} from "@solvprotocol/erc-3525/IERC3525.sol";
import {IERC721Metadata} from "@solvprotocol/erc-3525/extensions/IERC721Metadata.sol";
import {IERC3525Metadata} from "@solvprotocol/erc-3525/extensions/IERC3525Metadata.sol";
import {NoteTestBase} from "./NoteTestBase.sol";
import {ReceivableNote} from "../src/ReceivableNote.sol";
import {IReceivableNote} from "../src/interfaces/IReceivableNote.sol";
import {IIdentityRegistry} from "../src/interfaces/IIdentityRegistry.sol";
import {ICascadeNote} from "../src/interfaces/ICascadeNote.sol";
import {ReceivableNoteExtension} from "../src/note/ReceivableNoteExtension.sol";
import {
    IAccessControlDefaultAdminRules
} from "@openzeppelin/contracts/access/extensions/IAccessControlDefaultAdminRules.sol";
import {IERC3525SlotApprovable} from "@solvprotocol/erc-3525/extensions/IERC3525SlotApprovable.sol";
import {ERC3525ReceiverMock, ERC165OnlyHolder, ERC721ReceiverMock, NoInterfaceHolder} from "./mocks/ReceiverMocks.sol";

contract ReceivableNoteTest is NoteTestBase {
    // ================================================================ constructor and roles

    function test_Constructor_SetsMetadataRegistryForwarderAndHalves() public view {
        assertEq(note.name(), NAME);
        assertEq(note.symbol(), SYMBOL);
        assertEq(note.valueDecimals(), DECIMALS);
        assertEq(address(note.registry()), address(registry));
        assertTrue(note.isTrustedForwarder(address(forwarder)));
        assertEq(note.trustedForwarder(), address(forwarder));
        assertEq(note.voucherCount(), 0);
        assertEq(note.tokenCount(), 0);
        assertTrue(note.extension() != address(0));
        assertTrue(note.limitModule() != address(0));
        assertEq(note.defaultAdminDelay(), ADMIN_DELAY);
    }

    function test_Constructor_GrantsOnlyTheAdmin() public {
        ICascadeNote fresh = _deployNote(registry);
        assertTrue(fresh.hasRole(DEFAULT_ADMIN_ROLE, admin));
        assertEq(fresh.defaultAdmin(), admin);
        // Each role goes to its own account at deployment; redemption only ever to contracts.
        assertFalse(fresh.hasRole(ISSUER_ROLE, admin));
        assertFalse(fresh.hasRole(COMPLIANCE_AGENT_ROLE, admin));
        assertFalse(fresh.hasRole(PAUSER_ROLE, admin));
        assertFalse(fresh.hasRole(REDEEMER_ROLE, admin));
        assertEq(fresh.ISSUER_ROLE(), ISSUER_ROLE);
        assertEq(fresh.COMPLIANCE_AGENT_ROLE(), COMPLIANCE_AGENT_ROLE);
        assertEq(fresh.PAUSER_ROLE(), PAUSER_ROLE);
        assertEq(fresh.REDEEMER_ROLE(), REDEEMER_ROLE);
    }

    function test_RevertWhen_ConstructorAdminIsZero() public {
        ReceivableNoteExtension extension = new ReceivableNoteExtension(registry, DECIMALS, address(forwarder));
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControlDefaultAdminRules.AccessControlInvalidDefaultAdmin.selector, address(0)
            )
        );
        new ReceivableNote(NAME, SYMBOL, DECIMALS, registry, address(forwarder), address(0), ADMIN_DELAY, extension);
    }

    function test_RevertWhen_ConstructorRegistryIsZero() public {
        vm.expectRevert(IReceivableNote.NoteZeroAddress.selector);
        new ReceivableNoteExtension(IIdentityRegistry(address(0)), DECIMALS, address(forwarder));
    }

    function test_RevertWhen_ConstructorExtensionBuiltForAnotherNote() public {
        ReceivableNoteExtension otherForwarder = new ReceivableNoteExtension(registry, DECIMALS, makeAddr("forwarder2"));
        ReceivableNoteExtension otherDecimals = new ReceivableNoteExtension(registry, 6, address(forwarder));
        ReceivableNoteExtension otherRegistry =
            new ReceivableNoteExtension(IIdentityRegistry(makeAddr("registry2")), DECIMALS, address(forwarder));
        ReceivableNoteExtension[4] memory wrong =
            [otherForwarder, otherDecimals, otherRegistry, ReceivableNoteExtension(makeAddr("no code"))];
        for (uint256 i; i < wrong.length; ++i) {
            vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteExtensionMismatch.selector, address(wrong[i])));
            new ReceivableNote(NAME, SYMBOL, DECIMALS, registry, address(forwarder), admin, ADMIN_DELAY, wrong[i]);
        }
    }

    function test_RevertWhen_ExtensionCalledDirectly() public {
        ReceivableNoteExtension extension = ReceivableNoteExtension(note.extension());
        vm.prank(issuer);
        vm.expectRevert(IReceivableNote.NoteExtensionDirectCall.selector);
        extension.issue(obligor, alice, CURRENCY, CURRENCY, FACE, UNIT, maturity, 0, DOC_HASH);
        vm.prank(pauser);
        vm.expectRevert(IReceivableNote.NoteExtensionDirectCall.selector);
        extension.pause();
    }

    function test_Extension_SharesTheNotesStorage() public {
        // Written by the extension (issuance, a freeze), read by the note's own code and raw storage.
        (uint256 slot, uint256 rootId) = _issueToAlice();
        vm.prank(agent);
        note.setAddressFrozen(bob, true, REASON);
        assertEq(note.voucherOf(slot).faceValue, FACE);
        assertEq(note.ownerOf(rootId), alice);
        assertTrue(note.isFrozen(bob));
        assertEq(uint256(vm.load(address(note), bytes32(uint256(7)))), 1, "_tokenCount slot");
        assertEq(uint256(vm.load(address(note), bytes32(uint256(8)))), 1, "_voucherCount slot");
        assertEq(address(uint160(uint256(vm.load(address(note), bytes32(uint256(9)))))), note.limitModule());
    }

    // ================================================================ issue

    function test_Issue_StoresVoucherAndRootToken() public {
        vm.expectEmit(address(note));
        emit IERC721.Transfer(address(0), alice, 1);
        vm.expectEmit(address(note));
        emit IERC3525.SlotChanged(1, 0, 1);
        vm.expectEmit(address(note));
        emit IERC3525.TransferValue(0, 1, FACE);
        vm.expectEmit(address(note));
        emit IReceivableNote.VoucherIssued(1, obligor, alice, 1, CURRENCY, CURRENCY, FACE, UNIT, maturity, 0, DOC_HASH);
        (uint256 slot, uint256 tokenId) = _issueToAlice();

        assertEq(slot, 1);
        assertEq(tokenId, 1);
        IReceivableNote.Voucher memory v = note.voucherOf(slot);
        assertEq(v.obligor, obligor);
        assertEq(v.issuedAt, block.timestamp);
        assertEq(v.maturityAt, maturity);
        assertEq(uint8(v.status), uint8(IReceivableNote.VoucherStatus.Active));
        assertEq(v.faceValue, FACE);
        assertEq(v.unit, UNIT);
        assertEq(v.currency, CURRENCY);
        assertEq(v.redeemedValue, 0);
        assertEq(v.documentHash, DOC_HASH);

        assertEq(note.ownerOf(tokenId), alice);
        assertEq(note.balanceOf(tokenId), FACE);
        assertEq(note.slotOf(tokenId), slot);
        assertEq(note.balanceOf(alice), 1);
        assertTrue(note.exists(tokenId));
        assertEq(note.outstandingValueOf(slot), FACE);
        assertEq(note.voucherCount(), 1);
        assertEq(note.tokenCount(), 1);
        (uint256 parent, uint256 root, uint256 depth) = note.lineageOf(tokenId);
        assertEq(parent, 0);
        assertEq(root, tokenId);
        assertEq(depth, 0);
    }

    function test_Issue_SlotsAndTokenIdsAreSequentialAcrossSplits() public {
        (, uint256 first) = _issueToAlice();
        _split(alice, first, bob, UNIT);
        (uint256 slot, uint256 tokenId) = _issue(bob, 5 * UNIT, UNIT);
        assertEq(slot, 2);
        assertEq(tokenId, 3);
        assertEq(note.voucherCount(), 2);
        assertEq(note.tokenCount(), 3);
        (, uint256 root,) = note.lineageOf(tokenId);
        assertEq(root, tokenId);
    }

    function test_Issue_ByGrantedIssuer() public {
        vm.prank(admin);
        note.grantRole(ISSUER_ROLE, carol);
        vm.prank(carol);
        (uint256 slot,) = note.issue(obligor, bob, CURRENCY, CURRENCY, FACE, UNIT, maturity, 0, DOC_HASH);
        assertEq(note.voucherOf(slot).obligor, obligor);
    }

    function test_Issue_AcceptsLargestFaceValueAndMaturity() public {
        vm.prank(issuer);
        (, uint256 tokenId) =
            note.issue(obligor, alice, CURRENCY, CURRENCY, type(uint96).max, 1, type(uint40).max, 0, DOC_HASH);
        assertEq(note.balanceOf(tokenId), type(uint96).max);
        assertEq(note.voucherOf(1).maturityAt, type(uint40).max);
    }

    function test_Issue_UnitEqualToFaceValue() public {
        (, uint256 tokenId) = _issue(alice, FACE, FACE);
        // The only movable amount is the whole value.
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteValueNotUnitMultiple.selector, 1, FACE / 2, FACE));
        note.transferFrom(tokenId, bob, FACE / 2);
        _split(alice, tokenId, bob, FACE);
        assertEq(note.balanceOf(tokenId), 0);
    }

    function test_RevertWhen_IssueUnitIsZero() public {
        vm.prank(issuer);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteInvalidUnit.selector, 0));
        note.issue(obligor, alice, CURRENCY, CURRENCY, FACE, 0, maturity, 0, DOC_HASH);
    }

    function test_RevertWhen_IssueUnitAboveUint96() public {
        uint256 unit = uint256(type(uint96).max) + 1;
        vm.prank(issuer);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteInvalidUnit.selector, unit));
        note.issue(obligor, alice, CURRENCY, CURRENCY, unit, unit, maturity, 0, DOC_HASH);
    }

    function test_RevertWhen_IssueFaceValueIsZero() public {
        vm.prank(issuer);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteInvalidFaceValue.selector, 0, UNIT));
        note.issue(obligor, alice, CURRENCY, CURRENCY, 0, UNIT, maturity, 0, DOC_HASH);
    }

    function test_RevertWhen_IssueFaceValueNotUnitMultiple() public {
        vm.prank(issuer);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteInvalidFaceValue.selector, FACE + 1, UNIT));
        note.issue(obligor, alice, CURRENCY, CURRENCY, FACE + 1, UNIT, maturity, 0, DOC_HASH);
    }

    function test_RevertWhen_IssueFaceValueBelowUnit() public {
        vm.prank(issuer);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteInvalidFaceValue.selector, UNIT - 1, UNIT));
        note.issue(obligor, alice, CURRENCY, CURRENCY, UNIT - 1, UNIT, maturity, 0, DOC_HASH);
    }

    function test_RevertWhen_IssueFaceValueAboveUint96() public {
        uint256 face = uint256(type(uint96).max) + 1;
        vm.prank(issuer);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteInvalidFaceValue.selector, face, 1));
        note.issue(obligor, alice, CURRENCY, CURRENCY, face, 1, maturity, 0, DOC_HASH);
    }

    function test_RevertWhen_IssueMaturityInPast() public {
        uint256 past = block.timestamp - 1;
        vm.prank(issuer);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteMaturityInPast.selector, past, block.timestamp));
        note.issue(obligor, alice, CURRENCY, CURRENCY, FACE, UNIT, past, 0, DOC_HASH);
    }

    function test_RevertWhen_IssueMaturityIsNow() public {
        vm.prank(issuer);
        vm.expectRevert(
            abi.encodeWithSelector(IReceivableNote.NoteMaturityInPast.selector, block.timestamp, block.timestamp)
        );
        note.issue(obligor, alice, CURRENCY, CURRENCY, FACE, UNIT, block.timestamp, 0, DOC_HASH);
    }

    function test_RevertWhen_IssueMaturityAboveUint40() public {
        uint256 far = uint256(type(uint40).max) + 1;
        vm.prank(issuer);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteMaturityTooFar.selector, far, type(uint40).max));
        note.issue(obligor, alice, CURRENCY, CURRENCY, FACE, UNIT, far, 0, DOC_HASH);
    }

    function test_RevertWhen_IssueObligorNotVerified() public {
        vm.prank(issuer);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteParticipantNotVerified.selector, outsider));
        note.issue(outsider, alice, CURRENCY, CURRENCY, FACE, UNIT, maturity, 0, DOC_HASH);
    }

    function test_RevertWhen_IssueHolderNotVerified() public {
        vm.prank(issuer);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteParticipantNotVerified.selector, outsider));
        note.issue(obligor, outsider, CURRENCY, CURRENCY, FACE, UNIT, maturity, 0, DOC_HASH);
    }

    function test_RevertWhen_IssueCallerNotIssuer() public {
        vm.prank(bob);
        vm.expectRevert(_unauthorized(bob, ISSUER_ROLE));
        note.issue(obligor, alice, CURRENCY, CURRENCY, FACE, UNIT, maturity, 0, DOC_HASH);
    }

    function test_RevertWhen_IssuePaused() public {
        _pause();
        vm.prank(issuer);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        note.issue(obligor, alice, CURRENCY, CURRENCY, FACE, UNIT, maturity, 0, DOC_HASH);
    }

    // ================================================================ split: transferFrom(uint256,address,uint256)

    function test_Split_ToNewHolderRecordsLineageAndEmits() public {
        (uint256 slot, uint256 rootId) = _issueToAlice();
        uint256 value = 2500 * UNIT;

        vm.expectEmit(address(note));
        emit IERC721.Transfer(address(0), bob, 2);
        vm.expectEmit(address(note));
        emit IERC3525.SlotChanged(2, 0, slot);
        vm.expectEmit(address(note));
        emit IReceivableNote.NoteSplit(rootId, 2, rootId, 1);
        vm.expectEmit(address(note));
        emit IERC3525.TransferValue(rootId, 2, value);
        uint256 newId = _split(alice, rootId, bob, value);

        assertEq(newId, 2);
        assertEq(note.ownerOf(newId), bob);
        assertEq(note.balanceOf(newId), value);
        assertEq(note.balanceOf(rootId), FACE - value);
        assertEq(note.slotOf(newId), slot);
        assertEq(note.balanceOf(bob), 1);
        assertEq(note.balanceOf(alice), 1);
        assertEq(note.tokenCount(), 2);
        assertEq(note.outstandingValueOf(slot), FACE);
        (uint256 parent, uint256 root, uint256 depth) = note.lineageOf(newId);
        assertEq(parent, rootId);
        assertEq(root, rootId);
        assertEq(depth, 1);
        assertEq(note.getApproved(newId), address(0));
    }

    function test_Split_OfSplitIncrementsDepthAndKeepsRoot() public {
        (, uint256 rootId) = _issueToAlice();
        uint256 a = _split(alice, rootId, bob, 600 * UNIT);
        uint256 b = _split(bob, a, carol, 200 * UNIT);

        vm.expectEmit(address(note));
        emit IReceivableNote.NoteSplit(b, 4, rootId, 3);
        uint256 c = _split(carol, b, alice, 50 * UNIT);

        (uint256 parent, uint256 root, uint256 depth) = note.lineageOf(c);
        assertEq(parent, b);
        assertEq(root, rootId);
        assertEq(depth, 3);
        (parent, root, depth) = note.lineageOf(b);
        assertEq(parent, a);
        assertEq(root, rootId);
        assertEq(depth, 2);
        assertEq(note.balanceOf(rootId) + note.balanceOf(a) + note.balanceOf(b) + note.balanceOf(c), FACE);
    }

    function test_Split_WholeBalanceLeavesEmptyToken() public {
        (, uint256 rootId) = _issueToAlice();
        uint256 newId = _split(alice, rootId, bob, FACE);
        assertEq(note.balanceOf(rootId), 0);
        assertEq(note.balanceOf(newId), FACE);
        // The emptied token keeps existing and keeps its holder.
        assertTrue(note.exists(rootId));
        assertEq(note.ownerOf(rootId), alice);
    }

    function test_Split_HolderCanSplitToSameRecipientTwice() public {
        (, uint256 rootId) = _issueToAlice();
        uint256 first = _split(alice, rootId, bob, UNIT);
        uint256 second = _split(alice, rootId, bob, UNIT);
        assertEq(second, first + 1);
        assertEq(note.balanceOf(bob), 2);
    }

    function test_Split_ByOperatorForAllNeedsNoAllowance() public {
        (, uint256 rootId) = _issueToAlice();
        vm.prank(alice);
        note.setApprovalForAll(carol, true);
        uint256 newId = _split(carol, rootId, bob, 10 * UNIT);
        assertEq(note.ownerOf(newId), bob);
        assertEq(note.allowance(rootId, carol), 0);
    }

    function test_Split_ByTokenApprovedAddressNeedsNoAllowance() public {
        (, uint256 rootId) = _issueToAlice();
        vm.prank(alice);
        note.approve(carol, rootId);
        uint256 newId = _split(carol, rootId, carol, 10 * UNIT);
        assertEq(note.ownerOf(newId), carol);
    }

    function test_Split_OperatorMayBeUnverified() public {
        // Only holders and recipients are screened; an approved operator merely acts for a verified holder.
        (, uint256 rootId) = _issueToAlice();
        vm.prank(alice);
        note.setApprovalForAll(outsider, true);
        uint256 newId = _split(outsider, rootId, bob, UNIT);
        assertEq(note.ownerOf(newId), bob);
    }

    function test_RevertWhen_SplitToZeroAddress() public {
        (, uint256 rootId) = _issueToAlice();
        vm.prank(alice);
        vm.expectRevert(IReceivableNote.NoteZeroAddress.selector);
        note.transferFrom(rootId, address(0), UNIT);
    }

    function test_RevertWhen_SplitFromNonexistentToken() public {
        _issueToAlice();
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteNonexistentToken.selector, 2));
        note.transferFrom(uint256(2), bob, UNIT);
    }

    function test_RevertWhen_SplitFromTokenZero() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteNonexistentToken.selector, 0));
        note.transferFrom(uint256(0), bob, UNIT);
    }

    function test_Split_ToHolderItselfMakesANewPiece() public {
        // ERC-3525 allows a value transfer from an address to itself (and specifies its receiver call).
        (uint256 slot, uint256 rootId) = _issueToAlice();
        vm.expectEmit(address(note));
        emit IReceivableNote.NoteSplit(rootId, 2, rootId, 1);
        uint256 newId = _split(alice, rootId, alice, 3 * UNIT);
        assertEq(note.ownerOf(newId), alice);
        assertEq(note.balanceOf(newId), 3 * UNIT);
        assertEq(note.balanceOf(rootId), FACE - 3 * UNIT);
        assertEq(note.balanceOf(alice), 2);
        assertEq(note.outstandingValueOf(slot), FACE);
    }

    function test_Split_ZeroValueMakesAnEmptyPiece() public {
        (uint256 slot, uint256 rootId) = _issueToAlice();
        vm.recordLogs();
        uint256 newId = _split(alice, rootId, bob, 0);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(logs.length, 4); // Transfer, SlotChanged, NoteSplit, TransferValue(root, new, 0)
        assertEq(logs[3].topics[0], IERC3525.TransferValue.selector);
        assertEq(abi.decode(logs[3].data, (uint256)), 0);
        assertEq(note.ownerOf(newId), bob);
        assertEq(note.balanceOf(newId), 0);
        assertEq(note.slotOf(newId), slot);
        assertEq(note.balanceOf(rootId), FACE);
    }

    function test_RevertWhen_SplitValueNotUnitMultiple() public {
        (uint256 slot, uint256 rootId) = _issueToAlice();
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteValueNotUnitMultiple.selector, slot, UNIT + 1, UNIT));
        note.transferFrom(rootId, bob, UNIT + 1);
    }

    function test_RevertWhen_SplitValueBelowUnit() public {
        (uint256 slot, uint256 rootId) = _issueToAlice();
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteValueNotUnitMultiple.selector, slot, 1, UNIT));
        note.transferFrom(rootId, bob, 1);
    }

    function test_RevertWhen_SplitInsufficientValue() public {
        (, uint256 rootId) = _issueToAlice();
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(IReceivableNote.NoteInsufficientValue.selector, rootId, FACE, FACE + UNIT)
        );
        note.transferFrom(rootId, bob, FACE + UNIT);
    }

    function test_RevertWhen_SplitHolderRevoked() public {
        (, uint256 rootId) = _issueToAlice();
        _revoke(alice);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteParticipantNotVerified.selector, alice));
        note.transferFrom(rootId, bob, UNIT);
    }

    function test_RevertWhen_SplitByOperatorOfRevokedHolder() public {
        // A revoked holder is frozen even for operators acting on its behalf.
        (, uint256 rootId) = _issueToAlice();
        vm.prank(alice);
        note.setApprovalForAll(carol, true);
        _revoke(alice);
        vm.prank(carol);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteParticipantNotVerified.selector, alice));
        note.transferFrom(rootId, bob, UNIT);
    }

    function test_RevertWhen_SplitReceiverNotVerified() public {
        (, uint256 rootId) = _issueToAlice();
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteParticipantNotVerified.selector, outsider));
        note.transferFrom(rootId, outsider, UNIT);
    }

    function test_RevertWhen_SplitReceiverRevoked() public {
        (, uint256 rootId) = _issueToAlice();
        _revoke(bob);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteParticipantNotVerified.selector, bob));
        note.transferFrom(rootId, bob, UNIT);
    }

    function test_RevertWhen_SplitByStrangerWithoutAllowance() public {
        (, uint256 rootId) = _issueToAlice();
        vm.prank(bob);
        vm.expectRevert(
            abi.encodeWithSelector(IReceivableNote.NoteInsufficientAllowance.selector, rootId, bob, 0, UNIT)
        );
        note.transferFrom(rootId, bob, UNIT);
    }

    function test_RevertWhen_SplitPaused() public {
        (, uint256 rootId) = _issueToAlice();
        _pause();
        vm.prank(alice);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        note.transferFrom(rootId, bob, UNIT);
    }

    function test_RevertWhen_SplitLineageTooDeep() public {
        (, uint256 rootId) = _issueToAlice();
        _setDepth(rootId, type(uint16).max);
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(IReceivableNote.NoteLineageTooDeep.selector, rootId, uint256(type(uint16).max) + 1)
        );
        note.transferFrom(rootId, bob, UNIT);
    }

    function test_Split_AtDeepestStorableDepth() public {
        (, uint256 rootId) = _issueToAlice();
        _setDepth(rootId, type(uint16).max - 1);
        uint256 newId = _split(alice, rootId, bob, UNIT);
        (,, uint256 depth) = note.lineageOf(newId);
        assertEq(depth, type(uint16).max);
    }

    /// @dev Writes a token's depth straight into storage: reaching 65535 by real splits is too slow
    ///      for a unit test. Word 0 of a token is owner(160) | slot(48) | depth(16) | epoch(32).
    function _setDepth(uint256 tokenId, uint256 depth) internal {
        bytes32 key = keccak256(abi.encode(tokenId, TOKENS_MAPPING_SLOT));
        uint256 word = uint256(vm.load(address(note), key));
        assertEq(address(uint160(word)), note.ownerOf(tokenId), "token storage layout moved");
        word = (word & ~(uint256(0xffff) << 208)) | (depth << 208);
        vm.store(address(note), key, bytes32(word));
        (,, uint256 stored) = note.lineageOf(tokenId);
        assertEq(stored, depth, "token storage layout moved");
    }

    // ================================================================ merge: transferFrom(uint256,uint256,uint256)

    function test_Merge_MovesValueBetweenTokensOfOneSlot() public {
        (uint256 slot, uint256 rootId) = _issueToAlice();
        uint256 bobId = _split(alice, rootId, bob, 100 * UNIT);

        vm.recordLogs();
        _merge(alice, rootId, bobId, 300 * UNIT);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        // A merge creates nothing: exactly one TransferValue and no Transfer or NoteSplit.
        assertEq(logs.length, 1);
        assertEq(logs[0].topics[0], IERC3525.TransferValue.selector);
        assertEq(uint256(logs[0].topics[1]), rootId);
        assertEq(uint256(logs[0].topics[2]), bobId);
        assertEq(abi.decode(logs[0].data, (uint256)), 300 * UNIT);

        assertEq(note.balanceOf(bobId), 400 * UNIT);
        assertEq(note.balanceOf(rootId), FACE - 400 * UNIT);
        assertEq(note.tokenCount(), 2);
        assertEq(note.outstandingValueOf(slot), FACE);
        // Lineage describes how a token was created, so merges leave it alone.
        (uint256 parent,, uint256 depth) = note.lineageOf(bobId);
        assertEq(parent, rootId);
        assertEq(depth, 1);
    }

    function test_Merge_BackIntoParent() public {
        (, uint256 rootId) = _issueToAlice();
        uint256 child = _split(alice, rootId, bob, 100 * UNIT);
        _merge(bob, child, rootId, 100 * UNIT);
        assertEq(note.balanceOf(rootId), FACE);
        assertEq(note.balanceOf(child), 0);
    }

    function test_Merge_BetweenOwnTokens() public {
        (, uint256 rootId) = _issueToAlice();
        uint256 child = _split(alice, rootId, bob, 100 * UNIT);
        uint256 grandchild = _split(bob, child, alice, 40 * UNIT);
        _merge(alice, grandchild, rootId, 40 * UNIT);
        assertEq(note.balanceOf(rootId), FACE - 60 * UNIT);
    }

    function test_RevertWhen_MergeSameToken() public {
        (, uint256 rootId) = _issueToAlice();
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteSameToken.selector, rootId));
        note.transferFrom(rootId, rootId, UNIT);
    }

    function test_RevertWhen_MergeFromNonexistentToken() public {
        (, uint256 rootId) = _issueToAlice();
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteNonexistentToken.selector, 9));
        note.transferFrom(9, rootId, UNIT);
    }

    function test_RevertWhen_MergeToNonexistentToken() public {
        (, uint256 rootId) = _issueToAlice();
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteNonexistentToken.selector, 9));
        note.transferFrom(rootId, 9, UNIT);
    }

    function test_RevertWhen_MergeSlotMismatch() public {
        (uint256 slotA, uint256 tokenA) = _issueToAlice();
        (uint256 slotB, uint256 tokenB) = _issue(bob, FACE, UNIT);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteSlotMismatch.selector, slotA, slotB));
        note.transferFrom(tokenA, tokenB, UNIT);
    }

    function test_Merge_ZeroValueOnlyEmitsTransferValue() public {
        (, uint256 rootId) = _issueToAlice();
        uint256 child = _split(alice, rootId, bob, UNIT);
        vm.recordLogs();
        _merge(alice, rootId, child, 0);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(logs.length, 1);
        assertEq(logs[0].topics[0], IERC3525.TransferValue.selector);
        assertEq(abi.decode(logs[0].data, (uint256)), 0);
        assertEq(note.balanceOf(child), UNIT);
        assertEq(note.balanceOf(rootId), FACE - UNIT);
    }

    function test_RevertWhen_MergeValueNotUnitMultiple() public {
        (uint256 slot, uint256 rootId) = _issueToAlice();
        uint256 child = _split(alice, rootId, bob, UNIT);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteValueNotUnitMultiple.selector, slot, UNIT / 2, UNIT));
        note.transferFrom(rootId, child, UNIT / 2);
    }

    function test_RevertWhen_MergeInsufficientValue() public {
        (, uint256 rootId) = _issueToAlice();
        uint256 child = _split(alice, rootId, bob, UNIT);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteInsufficientValue.selector, child, UNIT, 2 * UNIT));
        note.transferFrom(child, rootId, 2 * UNIT);
    }

    function test_RevertWhen_MergeSenderRevoked() public {
        (, uint256 rootId) = _issueToAlice();
        uint256 child = _split(alice, rootId, bob, UNIT);
        _revoke(alice);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteParticipantNotVerified.selector, alice));
        note.transferFrom(rootId, child, UNIT);
    }

    function test_RevertWhen_MergeReceiverRevoked() public {
        (, uint256 rootId) = _issueToAlice();
        uint256 child = _split(alice, rootId, bob, UNIT);
        _revoke(bob);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteParticipantNotVerified.selector, bob));
        note.transferFrom(rootId, child, UNIT);
    }

    function test_RevertWhen_MergeByStrangerWithoutAllowance() public {
        (, uint256 rootId) = _issueToAlice();
        uint256 child = _split(alice, rootId, bob, UNIT);
        vm.prank(bob);
        vm.expectRevert(
            abi.encodeWithSelector(IReceivableNote.NoteInsufficientAllowance.selector, rootId, bob, 0, UNIT)
        );
        note.transferFrom(rootId, child, UNIT);
    }

    function test_RevertWhen_MergePaused() public {
        (, uint256 rootId) = _issueToAlice();
        uint256 child = _split(alice, rootId, bob, UNIT);
        _pause();
        vm.prank(alice);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        note.transferFrom(rootId, child, UNIT);
    }

    // ================================================================ ERC-721 whole-token transfers

    function test_TransferToken_ByHolder() public {
        (, uint256 rootId) = _issueToAlice();
        vm.expectEmit(address(note));
        emit IERC721.Transfer(alice, bob, rootId);
        vm.prank(alice);
        note.transferFrom(alice, bob, rootId);

        assertEq(note.ownerOf(rootId), bob);
        assertEq(note.balanceOf(alice), 0);
        assertEq(note.balanceOf(bob), 1);
        assertEq(note.balanceOf(rootId), FACE);
        (uint256 parent, uint256 root, uint256 depth) = note.lineageOf(rootId);
        assertEq(parent, 0);
        assertEq(root, rootId);
        assertEq(depth, 0);
    }

    function test_TransferToken_ByApprovedClearsApproval() public {
        (, uint256 rootId) = _issueToAlice();
        vm.prank(alice);
        note.approve(carol, rootId);
        assertEq(note.getApproved(rootId), carol);

        vm.prank(carol);
        note.transferFrom(alice, bob, rootId);
        assertEq(note.ownerOf(rootId), bob);
        assertEq(note.getApproved(rootId), address(0));

        // The approval belonged to the previous holder's token and must not survive it.
        vm.prank(carol);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteUnauthorized.selector, carol, rootId));
        note.transferFrom(bob, carol, rootId);
    }

    function test_TransferToken_ByOperatorForAll() public {
        (, uint256 rootId) = _issueToAlice();
        vm.prank(alice);
        note.setApprovalForAll(carol, true);
        vm.prank(carol);
        note.transferFrom(alice, bob, rootId);
        assertEq(note.ownerOf(rootId), bob);
        // Operator approval is per holder, so it stays with alice and does not cover bob's tokens.
        assertTrue(note.isApprovedForAll(alice, carol));
        vm.prank(carol);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteUnauthorized.selector, carol, rootId));
        note.transferFrom(bob, carol, rootId);
    }

    function test_TransferToken_EmptyTokenOfActiveVoucher() public {
        (, uint256 rootId) = _issueToAlice();
        _split(alice, rootId, bob, FACE);
        vm.prank(alice);
        note.transferFrom(alice, carol, rootId);
        assertEq(note.ownerOf(rootId), carol);
    }

    function test_TransferToken_ToContractWithoutReceiverHook() public {
        // Plain transferFrom is the unchecked ERC-721 path: the caller vouches for the recipient.
        (, uint256 rootId) = _issueToAlice();
        NoInterfaceHolder holder = new NoInterfaceHolder();
        _verify(address(holder));
        vm.prank(alice);
        note.transferFrom(alice, address(holder), rootId);
        assertEq(note.ownerOf(rootId), address(holder));
    }

    function test_RevertWhen_TransferTokenToZeroAddress() public {
        (, uint256 rootId) = _issueToAlice();
        vm.prank(alice);
        vm.expectRevert(IReceivableNote.NoteZeroAddress.selector);
        note.transferFrom(alice, address(0), rootId);
    }

    function test_RevertWhen_TransferTokenNonexistent() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteNonexistentToken.selector, 1));
        note.transferFrom(alice, bob, 1);
    }

    function test_RevertWhen_TransferTokenFromWrongHolder() public {
        (, uint256 rootId) = _issueToAlice();
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteWrongHolder.selector, bob, alice));
        note.transferFrom(bob, carol, rootId);
    }

    function test_RevertWhen_TransferTokenToSelf() public {
        (, uint256 rootId) = _issueToAlice();
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteSelfTransfer.selector, alice));
        note.transferFrom(alice, alice, rootId);
    }

    function test_RevertWhen_TransferTokenByStranger() public {
        (, uint256 rootId) = _issueToAlice();
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteUnauthorized.selector, bob, rootId));
        note.transferFrom(alice, bob, rootId);
    }

    function test_RevertWhen_TransferTokenByValueSpender() public {
        // A value allowance, however large, never lets its holder take the whole token.
        (, uint256 rootId) = _issueToAlice();
        vm.prank(alice);
        note.approve(rootId, bob, type(uint256).max);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteUnauthorized.selector, bob, rootId));
        note.transferFrom(alice, bob, rootId);
    }

    function test_RevertWhen_TransferTokenHolderRevoked() public {
        (, uint256 rootId) = _issueToAlice();
        _revoke(alice);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteParticipantNotVerified.selector, alice));
        note.transferFrom(alice, bob, rootId);
    }

    function test_RevertWhen_TransferTokenReceiverNotVerified() public {
        (, uint256 rootId) = _issueToAlice();
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteParticipantNotVerified.selector, outsider));
        note.transferFrom(alice, outsider, rootId);
    }

    function test_RevertWhen_TransferTokenPaused() public {
        (, uint256 rootId) = _issueToAlice();
        _pause();
        vm.prank(alice);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        note.transferFrom(alice, bob, rootId);
    }

    // ================================================================ safeTransferFrom and ERC-721 receivers

    function test_SafeTransferFrom_ToEOA() public {
        (, uint256 rootId) = _issueToAlice();
        vm.prank(alice);
        note.safeTransferFrom(alice, bob, rootId);
        assertEq(note.ownerOf(rootId), bob);
        vm.prank(bob);
        note.safeTransferFrom(bob, carol, rootId, "memo");
        assertEq(note.ownerOf(rootId), carol);
    }

    function test_SafeTransferFrom_ToAcceptingReceiver() public {
        (, uint256 rootId) = _issueToAlice();
        ERC721ReceiverMock receiver = new ERC721ReceiverMock();
        _verify(address(receiver));
        vm.prank(alice);
        note.setApprovalForAll(carol, true);

        vm.prank(carol);
        note.safeTransferFrom(alice, address(receiver), rootId, "invoice-42");
        assertEq(note.ownerOf(rootId), address(receiver));
        assertEq(receiver.calls(), 1);
        assertEq(receiver.lastOperator(), carol);
        assertEq(receiver.lastFrom(), alice);
        assertEq(receiver.lastTokenId(), rootId);
        assertEq(receiver.lastData(), bytes("invoice-42"));
    }

    function test_SafeTransferFrom_ThreeArgsToAcceptingReceiverPassesEmptyData() public {
        (, uint256 rootId) = _issueToAlice();
        ERC721ReceiverMock receiver = new ERC721ReceiverMock();
        _verify(address(receiver));
        vm.prank(alice);
        note.safeTransferFrom(alice, address(receiver), rootId);
        assertEq(receiver.calls(), 1);
        assertEq(receiver.lastOperator(), alice);
        assertEq(receiver.lastData().length, 0);
    }

    function test_RevertWhen_SafeTransferFromReceiverReturnsWrongValue() public {
        (, uint256 rootId) = _issueToAlice();
        ERC721ReceiverMock receiver = new ERC721ReceiverMock();
        receiver.setMode(ERC721ReceiverMock.Mode.WrongValue);
        _verify(address(receiver));
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteInvalidReceiver.selector, address(receiver)));
        note.safeTransferFrom(alice, address(receiver), rootId);
    }

    function test_RevertWhen_SafeTransferFromReceiverReverts() public {
        (, uint256 rootId) = _issueToAlice();
        ERC721ReceiverMock receiver = new ERC721ReceiverMock();
        receiver.setMode(ERC721ReceiverMock.Mode.Revert);
        _verify(address(receiver));
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteInvalidReceiver.selector, address(receiver)));
        note.safeTransferFrom(alice, address(receiver), rootId, "x");
    }

    function test_RevertWhen_SafeTransferFromToContractWithoutInterface() public {
        (, uint256 rootId) = _issueToAlice();
        NoInterfaceHolder holder = new NoInterfaceHolder();
        _verify(address(holder));
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteInvalidReceiver.selector, address(holder)));
        note.safeTransferFrom(alice, address(holder), rootId);
    }

    function test_RevertWhen_SafeTransferFromToERC3525OnlyReceiver() public {
        (, uint256 rootId) = _issueToAlice();
        ERC3525ReceiverMock receiver = new ERC3525ReceiverMock();
        _verify(address(receiver));
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteInvalidReceiver.selector, address(receiver)));
        note.safeTransferFrom(alice, address(receiver), rootId);
    }

    function test_RevertWhen_SafeTransferFromWrongHolder() public {
        (, uint256 rootId) = _issueToAlice();
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteWrongHolder.selector, bob, alice));
        note.safeTransferFrom(bob, carol, rootId);
    }

    function test_RevertWhen_SafeTransferFromPaused() public {
        (, uint256 rootId) = _issueToAlice();
        _pause();
        vm.prank(alice);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        note.safeTransferFrom(alice, bob, rootId, "");
    }

    // ================================================================ ERC-3525 receivers on value transfers

    function test_Split_ToAcceptingERC3525Receiver() public {
        (, uint256 rootId) = _issueToAlice();
        ERC3525ReceiverMock receiver = new ERC3525ReceiverMock();
        _verify(address(receiver));
        vm.prank(alice);
        note.approve(rootId, carol, 10 * UNIT);

        uint256 newId = _split(carol, rootId, address(receiver), 10 * UNIT);
        assertEq(note.ownerOf(newId), address(receiver));
        assertEq(receiver.calls(), 1);
        assertEq(receiver.lastOperator(), carol);
        assertEq(receiver.lastFromTokenId(), rootId);
        assertEq(receiver.lastToTokenId(), newId);
        assertEq(receiver.lastValue(), 10 * UNIT);
    }

    function test_RevertWhen_SplitToERC3525ReceiverReturningWrongValue() public {
        (, uint256 rootId) = _issueToAlice();
        ERC3525ReceiverMock receiver = new ERC3525ReceiverMock();
        receiver.setMode(ERC3525ReceiverMock.Mode.WrongValue);
        _verify(address(receiver));
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteInvalidReceiver.selector, address(receiver)));
        note.transferFrom(rootId, address(receiver), UNIT);
        assertEq(note.tokenCount(), 1);
        assertEq(note.balanceOf(rootId), FACE);
    }

    function test_RevertWhen_SplitToERC3525ReceiverThatReverts() public {
        (, uint256 rootId) = _issueToAlice();
        ERC3525ReceiverMock receiver = new ERC3525ReceiverMock();
        receiver.setMode(ERC3525ReceiverMock.Mode.Revert);
        _verify(address(receiver));
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteInvalidReceiver.selector, address(receiver)));
        note.transferFrom(rootId, address(receiver), UNIT);
    }

    function test_Split_ToContractWithoutInterfaceIsAccepted() public {
        // ERC-3525 calls the hook only on contracts that declare it; anything else receives silently.
        (, uint256 rootId) = _issueToAlice();
        NoInterfaceHolder holder = new NoInterfaceHolder();
        _verify(address(holder));
        uint256 newId = _split(alice, rootId, address(holder), UNIT);
        assertEq(note.ownerOf(newId), address(holder));
    }

    function test_Split_ToERC165ContractNotDeclaringHookSkipsIt() public {
        (, uint256 rootId) = _issueToAlice();
        ERC165OnlyHolder holder = new ERC165OnlyHolder();
        _verify(address(holder));
        // The holder's onERC3525Received reverts, so success proves the note never called it.
        uint256 newId = _split(alice, rootId, address(holder), UNIT);
        assertEq(note.ownerOf(newId), address(holder));
    }

    function test_Merge_IntoTokenOfAcceptingERC3525Receiver() public {
        (, uint256 rootId) = _issueToAlice();
        ERC3525ReceiverMock receiver = new ERC3525ReceiverMock();
        _verify(address(receiver));
        uint256 receiverToken = _split(alice, rootId, address(receiver), UNIT);
        _merge(alice, rootId, receiverToken, 5 * UNIT);
        assertEq(receiver.calls(), 2);
        assertEq(receiver.lastOperator(), alice);
        assertEq(receiver.lastFromTokenId(), rootId);
        assertEq(receiver.lastToTokenId(), receiverToken);
        assertEq(receiver.lastValue(), 5 * UNIT);
        assertEq(note.balanceOf(receiverToken), 6 * UNIT);
    }

    function test_RevertWhen_MergeIntoTokenOfRejectingERC3525Receiver() public {
        (, uint256 rootId) = _issueToAlice();
        ERC3525ReceiverMock receiver = new ERC3525ReceiverMock();
        _verify(address(receiver));
        uint256 receiverToken = _split(alice, rootId, address(receiver), UNIT);
        receiver.setMode(ERC3525ReceiverMock.Mode.WrongValue);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteInvalidReceiver.selector, address(receiver)));
        note.transferFrom(rootId, receiverToken, UNIT);
    }

    // ================================================================ ERC-721 approvals

    function test_ApproveToken_ByHolder() public {
        (, uint256 rootId) = _issueToAlice();
        vm.expectEmit(address(note));
        emit IERC721.Approval(alice, carol, rootId);
        vm.prank(alice);
        note.approve(carol, rootId);
        assertEq(note.getApproved(rootId), carol);
    }

    function test_ApproveToken_ByOperatorForAll() public {
        (, uint256 rootId) = _issueToAlice();
        vm.prank(alice);
        note.setApprovalForAll(carol, true);
        vm.expectEmit(address(note));
        emit IERC721.Approval(alice, bob, rootId);
        vm.prank(carol);
        note.approve(bob, rootId);
        assertEq(note.getApproved(rootId), bob);
    }

    function test_ApproveToken_ZeroAddressClearsApproval() public {
        (, uint256 rootId) = _issueToAlice();
        vm.startPrank(alice);
        note.approve(carol, rootId);
        note.approve(address(0), rootId);
        vm.stopPrank();
        assertEq(note.getApproved(rootId), address(0));
    }

    function test_RevertWhen_ApproveTokenNonexistent() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteNonexistentToken.selector, 1));
        note.approve(carol, 1);
    }

    function test_RevertWhen_ApproveTokenToHolder() public {
        (, uint256 rootId) = _issueToAlice();
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteApprovalToHolder.selector, alice));
        note.approve(alice, rootId);
    }

    function test_RevertWhen_ApproveTokenByStranger() public {
        (, uint256 rootId) = _issueToAlice();
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteUnauthorized.selector, bob, rootId));
        note.approve(carol, rootId);
    }

    function test_RevertWhen_ApproveTokenByApprovedAddress() public {
        // ERC-721: only the holder or an operator may set the approved address, not the approved address itself.
        (, uint256 rootId) = _issueToAlice();
        vm.prank(alice);
        note.approve(carol, rootId);
        vm.prank(carol);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteUnauthorized.selector, carol, rootId));
        note.approve(bob, rootId);
    }

    function test_SetApprovalForAll_SetsAndClears() public {
        vm.expectEmit(address(note));
        emit IERC721.ApprovalForAll(alice, carol, true);
        vm.prank(alice);
        note.setApprovalForAll(carol, true);
        assertTrue(note.isApprovedForAll(alice, carol));
        assertFalse(note.isApprovedForAll(carol, alice));

        vm.expectEmit(address(note));
        emit IERC721.ApprovalForAll(alice, carol, false);
        vm.prank(alice);
        note.setApprovalForAll(carol, false);
        assertFalse(note.isApprovedForAll(alice, carol));
    }

    function test_SetApprovalForAll_WorksWithoutTokens() public {
        vm.prank(outsider);
        note.setApprovalForAll(carol, true);
        assertTrue(note.isApprovedForAll(outsider, carol));
    }

    function test_RevertWhen_SetApprovalForAllToSelf() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteApprovalToHolder.selector, alice));
        note.setApprovalForAll(alice, true);
    }

    function test_RevertWhen_GetApprovedNonexistent() public {
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteNonexistentToken.selector, 1));
        note.getApproved(1);
    }

    // ================================================================ ERC-3525 value approvals

    function test_ApproveValue_SetsAllowanceAndEmits() public {
        (, uint256 rootId) = _issueToAlice();
        vm.expectEmit(address(note));
        emit IERC3525.ApprovalValue(rootId, carol, 50 * UNIT);
        vm.prank(alice);
        note.approve(rootId, carol, 50 * UNIT);
        assertEq(note.allowance(rootId, carol), 50 * UNIT);
        assertEq(note.allowance(rootId, bob), 0);

        // A new approval replaces rather than adds.
        vm.prank(alice);
        note.approve(rootId, carol, 7 * UNIT);
        assertEq(note.allowance(rootId, carol), 7 * UNIT);
    }

    function test_ApproveValue_ByOperatorForAll() public {
        (, uint256 rootId) = _issueToAlice();
        vm.prank(alice);
        note.setApprovalForAll(bob, true);
        vm.prank(bob);
        note.approve(rootId, carol, UNIT);
        assertEq(note.allowance(rootId, carol), UNIT);
    }

    function test_ApproveValue_ByTokenApprovedAddress() public {
        // ERC-3525: "MUST revert unless caller is the current owner, an authorized operator, or the
        // approved address for _tokenId"; the approved address may therefore delegate value.
        (, uint256 rootId) = _issueToAlice();
        vm.prank(alice);
        note.approve(bob, rootId);
        vm.prank(bob);
        note.approve(rootId, carol, 5 * UNIT);
        assertEq(note.allowance(rootId, carol), 5 * UNIT);
        _split(carol, rootId, carol, 5 * UNIT);
        assertEq(note.allowance(rootId, carol), 0);
    }

    function test_ApproveValue_SpendingDecreasesAllowanceAndEmits() public {
        (, uint256 rootId) = _issueToAlice();
        vm.prank(alice);
        note.approve(rootId, carol, 50 * UNIT);

        vm.expectEmit(address(note));
        emit IERC3525.ApprovalValue(rootId, carol, 30 * UNIT);
        uint256 newId = _split(carol, rootId, bob, 20 * UNIT);
        assertEq(note.ownerOf(newId), bob);
        assertEq(note.allowance(rootId, carol), 30 * UNIT);

        uint256 bobToken = newId;
        vm.expectEmit(address(note));
        emit IERC3525.ApprovalValue(rootId, carol, 0);
        _merge(carol, rootId, bobToken, 30 * UNIT);
        assertEq(note.allowance(rootId, carol), 0);
        assertEq(note.balanceOf(bobToken), 50 * UNIT);
    }

    function test_RevertWhen_SplitExceedsAllowance() public {
        (, uint256 rootId) = _issueToAlice();
        vm.prank(alice);
        note.approve(rootId, carol, 5 * UNIT);
        vm.prank(carol);
        vm.expectRevert(
            abi.encodeWithSelector(
                IReceivableNote.NoteInsufficientAllowance.selector, rootId, carol, 5 * UNIT, 6 * UNIT
            )
        );
        note.transferFrom(rootId, bob, 6 * UNIT);
    }

    function test_RevertWhen_MergeExceedsAllowance() public {
        (, uint256 rootId) = _issueToAlice();
        uint256 bobToken = _split(alice, rootId, bob, UNIT);
        vm.prank(alice);
        note.approve(rootId, carol, 5 * UNIT);
        vm.prank(carol);
        vm.expectRevert(
            abi.encodeWithSelector(
                IReceivableNote.NoteInsufficientAllowance.selector, rootId, carol, 5 * UNIT, 6 * UNIT
            )
        );
        note.transferFrom(rootId, bobToken, 6 * UNIT);
    }

    function test_ApproveValue_MaxAllowanceIsNotDecreased() public {
        (, uint256 rootId) = _issueToAlice();
        vm.prank(alice);
        note.approve(rootId, carol, type(uint256).max);

        vm.recordLogs();
        _split(carol, rootId, bob, 20 * UNIT);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i; i < logs.length; ++i) {
            assertTrue(logs[i].topics[0] != IERC3525.ApprovalValue.selector, "infinite allowance was rewritten");
        }
        assertEq(note.allowance(rootId, carol), type(uint256).max);
    }

    function test_ApproveValue_LapsesAfterWholeTokenTransfer() public {
        (, uint256 rootId) = _issueToAlice();
        vm.prank(alice);
        note.approve(rootId, carol, 50 * UNIT);
        vm.prank(alice);
        note.transferFrom(alice, bob, rootId);

        assertEq(note.allowance(rootId, carol), 0);
        vm.prank(carol);
        vm.expectRevert(
            abi.encodeWithSelector(IReceivableNote.NoteInsufficientAllowance.selector, rootId, carol, 0, UNIT)
        );
        note.transferFrom(rootId, carol, UNIT);

        // Returning the token to the former holder must not revive the old grant either.
        vm.prank(bob);
        note.transferFrom(bob, alice, rootId);
        assertEq(note.allowance(rootId, carol), 0);

        // A grant made by the new holder works as usual.
        vm.prank(alice);
        note.approve(rootId, carol, UNIT);
        assertEq(note.allowance(rootId, carol), UNIT);
    }

    function test_ApproveValue_OnSplitTokenStartsEmpty() public {
        (, uint256 rootId) = _issueToAlice();
        vm.prank(alice);
        note.approve(rootId, carol, 50 * UNIT);
        uint256 child = _split(alice, rootId, bob, UNIT);
        assertEq(note.allowance(child, carol), 0);
        assertEq(note.allowance(rootId, carol), 50 * UNIT);
    }

    function test_ApproveValue_WorksWhilePaused() public {
        // Pausing freezes movements only; holders may still prepare approvals.
        (, uint256 rootId) = _issueToAlice();
        _pause();
        vm.startPrank(alice);
        note.approve(rootId, carol, UNIT);
        note.approve(bob, rootId);
        note.setApprovalForAll(carol, true);
        vm.stopPrank();
        assertEq(note.allowance(rootId, carol), UNIT);
        assertEq(note.getApproved(rootId), bob);
    }

    function test_RevertWhen_ApproveValueNonexistentToken() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteNonexistentToken.selector, 1));
        note.approve(1, carol, UNIT);
    }

    function test_RevertWhen_ApproveValueToHolder() public {
        (, uint256 rootId) = _issueToAlice();
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteApprovalToHolder.selector, alice));
        note.approve(rootId, alice, UNIT);
    }

    function test_RevertWhen_ApproveValueByStranger() public {
        (, uint256 rootId) = _issueToAlice();
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteUnauthorized.selector, bob, rootId));
        note.approve(rootId, carol, UNIT);
    }

    function test_RevertWhen_ApproveValueBySpenderOfAllowance() public {
        // A value allowance must not let its holder hand out further allowances.
        (, uint256 rootId) = _issueToAlice();
        vm.prank(alice);
        note.approve(rootId, bob, 10 * UNIT);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteUnauthorized.selector, bob, rootId));
        note.approve(rootId, carol, UNIT);
    }

    function test_RevertWhen_AllowanceOfNonexistentToken() public {
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteNonexistentToken.selector, 3));
        note.allowance(3, carol);
    }

    // ================================================================ ether rejection

    function test_RevertWhen_EtherSentWithSplit() public {
        (, uint256 rootId) = _issueToAlice();
        vm.deal(alice, 1 ether);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteEtherNotAccepted.selector, 1 wei));
        note.transferFrom{value: 1 wei}(rootId, bob, UNIT);
    }

    function test_RevertWhen_EtherSentWithMerge() public {
        (, uint256 rootId) = _issueToAlice();
        uint256 bobToken = _split(alice, rootId, bob, UNIT);
        vm.deal(alice, 1 ether);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteEtherNotAccepted.selector, 1 ether));
        note.transferFrom{value: 1 ether}(rootId, bobToken, UNIT);
    }

    function test_RevertWhen_EtherSentWithTokenTransfer() public {
        (, uint256 rootId) = _issueToAlice();
        vm.deal(alice, 1 ether);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteEtherNotAccepted.selector, 2 wei));
        note.transferFrom{value: 2 wei}(alice, bob, rootId);
    }

    function test_RevertWhen_EtherSentWithSafeTransferFrom() public {
        (, uint256 rootId) = _issueToAlice();
        vm.deal(alice, 1 ether);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteEtherNotAccepted.selector, 3 wei));
        note.safeTransferFrom{value: 3 wei}(alice, bob, rootId);
    }

    function test_RevertWhen_EtherSentWithSafeTransferFromWithData() public {
        (, uint256 rootId) = _issueToAlice();
        vm.deal(alice, 1 ether);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteEtherNotAccepted.selector, 4 wei));
        note.safeTransferFrom{value: 4 wei}(alice, bob, rootId, "data");
    }

    function test_RevertWhen_EtherSentWithTokenApproval() public {
        (, uint256 rootId) = _issueToAlice();
        vm.deal(alice, 1 ether);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteEtherNotAccepted.selector, 5 wei));
        note.approve{value: 5 wei}(carol, rootId);
    }

    function test_RevertWhen_EtherSentWithValueApproval() public {
        (, uint256 rootId) = _issueToAlice();
        vm.deal(alice, 1 ether);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteEtherNotAccepted.selector, 6 wei));
        note.approve{value: 6 wei}(rootId, carol, UNIT);
    }

    function test_RevertWhen_PlainEtherSent() public {
        vm.deal(alice, 1 ether);
        vm.prank(alice);
        (bool ok,) = address(note).call{value: 1 wei}("");
        assertFalse(ok);
        assertEq(address(note).balance, 0);
    }

    // ================================================================ redeem

    function test_Redeem_PartialBurnsValue() public {
        (uint256 slot, uint256 rootId) = _issueToAlice();
        vm.expectEmit(address(note));
        emit IERC3525.TransferValue(rootId, 0, 300 * UNIT);
        vm.expectEmit(address(note));
        emit IReceivableNote.NoteRedeemed(slot, rootId, redeemer, 300 * UNIT);
        vm.prank(redeemer);
        note.redeem(rootId, 300 * UNIT);

        assertEq(note.balanceOf(rootId), FACE - 300 * UNIT);
        assertEq(note.outstandingValueOf(slot), FACE - 300 * UNIT);
        IReceivableNote.Voucher memory v = note.voucherOf(slot);
        assertEq(v.redeemedValue, 300 * UNIT);
        assertEq(uint8(v.status), uint8(IReceivableNote.VoucherStatus.Active));
        assertEq(note.ownerOf(rootId), alice);
    }

    function test_Redeem_DoesNotRequireVerifiedHolder() public {
        // Settlement pays out even a frozen holder; freezing blocks trading, not payment.
        (uint256 slot, uint256 rootId) = _issueToAlice();
        _revoke(alice);
        vm.prank(redeemer);
        note.redeem(rootId, UNIT);
        assertEq(note.outstandingValueOf(slot), FACE - UNIT);
    }

    function test_Redeem_FullyRedeemedVoucherStopsMoving() public {
        (uint256 slot, uint256 rootId) = _issueToAlice();
        uint256 bobToken = _split(alice, rootId, bob, 400 * UNIT);

        vm.prank(redeemer);
        note.redeem(bobToken, 400 * UNIT);
        assertEq(uint8(note.voucherOf(slot).status), uint8(IReceivableNote.VoucherStatus.Active));

        vm.expectEmit(address(note));
        emit IReceivableNote.NoteRedeemed(slot, rootId, redeemer, FACE - 400 * UNIT);
        vm.expectEmit(address(note));
        emit IReceivableNote.VoucherRedeemed(slot);
        vm.prank(redeemer);
        note.redeem(rootId, FACE - 400 * UNIT);

        IReceivableNote.Voucher memory v = note.voucherOf(slot);
        assertEq(uint8(v.status), uint8(IReceivableNote.VoucherStatus.Redeemed));
        assertEq(v.redeemedValue, FACE);
        assertEq(note.outstandingValueOf(slot), 0);
        // Emptied tokens stay as a record of who held what.
        assertTrue(note.exists(rootId));
        assertEq(note.ownerOf(bobToken), bob);
        assertEq(note.balanceOf(bobToken), 0);

        bytes memory notActive = abi.encodeWithSelector(
            IReceivableNote.NoteVoucherNotActive.selector, slot, IReceivableNote.VoucherStatus.Redeemed
        );
        vm.prank(alice);
        vm.expectRevert(notActive);
        note.transferFrom(rootId, bob, UNIT);

        vm.prank(alice);
        vm.expectRevert(notActive);
        note.transferFrom(rootId, bobToken, UNIT);

        vm.prank(alice);
        vm.expectRevert(notActive);
        note.transferFrom(alice, carol, rootId);

        vm.prank(alice);
        vm.expectRevert(notActive);
        note.safeTransferFrom(alice, carol, rootId);

        vm.prank(redeemer);
        vm.expectRevert(notActive);
        note.redeem(rootId, UNIT);
    }

    function test_RevertWhen_RedeemCallerNotRedeemer() public {
        (, uint256 rootId) = _issueToAlice();
        vm.prank(alice);
        vm.expectRevert(_unauthorized(alice, REDEEMER_ROLE));
        note.redeem(rootId, UNIT);
        // Issuing does not imply redeeming.
        vm.prank(issuer);
        vm.expectRevert(_unauthorized(issuer, REDEEMER_ROLE));
        note.redeem(rootId, UNIT);
    }

    function test_RevertWhen_RedeemPaused() public {
        (, uint256 rootId) = _issueToAlice();
        _pause();
        vm.prank(redeemer);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        note.redeem(rootId, UNIT);
    }

    function test_RevertWhen_RedeemNonexistentToken() public {
        vm.prank(redeemer);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteNonexistentToken.selector, 1));
        note.redeem(1, UNIT);
    }

    function test_RevertWhen_RedeemZeroValue() public {
        (, uint256 rootId) = _issueToAlice();
        vm.prank(redeemer);
        vm.expectRevert(IReceivableNote.NoteZeroValue.selector);
        note.redeem(rootId, 0);
    }

    function test_RevertWhen_RedeemValueNotUnitMultiple() public {
        (uint256 slot, uint256 rootId) = _issueToAlice();
        vm.prank(redeemer);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteValueNotUnitMultiple.selector, slot, 150, UNIT));
        note.redeem(rootId, 150);
    }

    function test_RevertWhen_RedeemExceedsTokenValue() public {
        (, uint256 rootId) = _issueToAlice();
        uint256 bobToken = _split(alice, rootId, bob, UNIT);
        vm.prank(redeemer);
        vm.expectRevert(
            abi.encodeWithSelector(IReceivableNote.NoteInsufficientValue.selector, bobToken, UNIT, 2 * UNIT)
        );
        note.redeem(bobToken, 2 * UNIT);
    }

    // ================================================================ pause

    function test_PauseAndUnpause() public {
        vm.expectEmit(address(note));
        emit Pausable.Paused(pauser);
        vm.prank(pauser);
        note.pause();
        assertTrue(note.paused());

        vm.expectEmit(address(note));
        emit Pausable.Unpaused(pauser);
        vm.prank(pauser);
        note.unpause();
        assertFalse(note.paused());

        (, uint256 rootId) = _issueToAlice();
        _split(alice, rootId, bob, UNIT);
    }

    function test_Pause_ByGrantedPauser() public {
        vm.prank(admin);
        note.grantRole(PAUSER_ROLE, carol);
        vm.prank(carol);
        note.pause();
        assertTrue(note.paused());
    }

    function test_RevertWhen_PauseCallerNotPauser() public {
        vm.prank(bob);
        vm.expectRevert(_unauthorized(bob, PAUSER_ROLE));
        note.pause();
    }

    function test_RevertWhen_UnpauseCallerNotPauser() public {
        _pause();
        vm.prank(bob);
        vm.expectRevert(_unauthorized(bob, PAUSER_ROLE));
        note.unpause();
    }

    function test_RevertWhen_PauseTwice() public {
        _pause();
        vm.prank(pauser);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        note.pause();
    }

    function test_RevertWhen_UnpauseNotPaused() public {
        vm.prank(pauser);
        vm.expectRevert(Pausable.ExpectedPause.selector);
        note.unpause();
    }

    // ================================================================ views

    function test_VoucherOf_And_OutstandingValueOf() public {
        (uint256 slot1,) = _issueToAlice();
        vm.prank(issuer);
        (uint256 slot2,) =
            note.issue(alice, bob, bytes8("USD"), bytes8("USD"), 50_000, 1, maturity + 1, 0, bytes32(uint256(7)));
        IReceivableNote.Voucher memory v2 = note.voucherOf(slot2);
        assertEq(v2.obligor, alice);
        assertEq(v2.currency, bytes8("USD"));
        assertEq(v2.unit, 1);
        assertEq(v2.maturityAt, maturity + 1);
        assertEq(v2.documentHash, bytes32(uint256(7)));
        assertEq(note.outstandingValueOf(slot1), FACE);
        assertEq(note.outstandingValueOf(slot2), 50_000);
    }

    function test_RevertWhen_VoucherOfUnknownSlot() public {
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteUnknownVoucher.selector, 1));
        note.voucherOf(1);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteUnknownVoucher.selector, 0));
        note.voucherOf(0);
    }

    function test_RevertWhen_OutstandingValueOfUnknownSlot() public {
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteUnknownVoucher.selector, 1));
        note.outstandingValueOf(1);
    }

    function test_RevertWhen_LineageOfNonexistentToken() public {
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteNonexistentToken.selector, 1));
        note.lineageOf(1);
    }

    function test_Exists() public {
        assertFalse(note.exists(0));
        assertFalse(note.exists(1));
        (, uint256 rootId) = _issueToAlice();
        assertTrue(note.exists(rootId));
        assertFalse(note.exists(rootId + 1));
    }

    function test_Counts() public {
        assertEq(note.voucherCount(), 0);
        assertEq(note.tokenCount(), 0);
        (, uint256 rootId) = _issueToAlice();
        _split(alice, rootId, bob, UNIT);
        _split(alice, rootId, carol, UNIT);
        _issue(bob, FACE, UNIT);
        assertEq(note.voucherCount(), 2);
        assertEq(note.tokenCount(), 4);
    }

    function test_BalanceOfAddress_CountsTokens() public {
        assertEq(note.balanceOf(alice), 0);
        (, uint256 rootId) = _issueToAlice();
        _split(alice, rootId, bob, UNIT);
        _split(alice, rootId, bob, UNIT);
        assertEq(note.balanceOf(alice), 1);
        assertEq(note.balanceOf(bob), 2);
        vm.prank(alice);
        note.transferFrom(alice, bob, rootId);
        assertEq(note.balanceOf(alice), 0);
        assertEq(note.balanceOf(bob), 3);
    }

    function test_RevertWhen_BalanceOfZeroAddress() public {
        vm.expectRevert(IReceivableNote.NoteZeroAddress.selector);
        note.balanceOf(address(0));
    }

    function test_RevertWhen_BalanceOfNonexistentToken() public {
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteNonexistentToken.selector, 1));
        note.balanceOf(uint256(1));
    }

    function test_RevertWhen_OwnerOfNonexistentToken() public {
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteNonexistentToken.selector, 1));
        note.ownerOf(1);
    }

    function test_RevertWhen_SlotOfNonexistentToken() public {
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteNonexistentToken.selector, 1));
        note.slotOf(1);
    }

    function test_ValueDecimals() public view {
        assertEq(note.valueDecimals(), 2);
    }

    function test_URIs_EmptyWithoutBaseURI() public {
        (uint256 slot, uint256 rootId) = _issueToAlice();
        assertEq(note.tokenURI(rootId), "");
        assertEq(note.slotURI(slot), "");
        assertEq(note.contractURI(), "");
    }

    function test_URIs_WithBaseURI() public {
        (uint256 slot, uint256 rootId) = _issueToAlice();
        uint256 child = _split(alice, rootId, bob, UNIT);
        vm.prank(admin);
        note.setBaseURI("https://cascade.example/meta/");
        assertEq(note.tokenURI(rootId), "https://cascade.example/meta/token/1");
        assertEq(note.tokenURI(child), "https://cascade.example/meta/token/2");
        assertEq(note.slotURI(slot), "https://cascade.example/meta/voucher/1");
        assertEq(note.contractURI(), "https://cascade.example/meta/");

        vm.prank(admin);
        note.setBaseURI("");
        assertEq(note.tokenURI(rootId), "");
    }

    function test_RevertWhen_SetBaseURICallerNotAdmin() public {
        vm.prank(alice);
        vm.expectRevert(_unauthorized(alice, DEFAULT_ADMIN_ROLE));
        note.setBaseURI("https://evil.example/");
    }

    function test_RevertWhen_TokenURINonexistentToken() public {
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteNonexistentToken.selector, 1));
        note.tokenURI(1);
    }

    function test_RevertWhen_SlotURIUnknownVoucher() public {
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteUnknownVoucher.selector, 1));
        note.slotURI(1);
    }

    function test_SupportsInterface() public view {
        assertTrue(note.supportsInterface(0x01ffc9a7)); // IERC165
        assertTrue(note.supportsInterface(0x80ac58cd)); // IERC721
        assertTrue(note.supportsInterface(0xd5358140)); // IERC3525
        assertTrue(note.supportsInterface(0x5b5e139f)); // IERC721Metadata
        assertTrue(note.supportsInterface(0xe1600902)); // IERC3525Metadata
        assertTrue(note.supportsInterface(0xb688be58)); // IERC3525SlotApprovable
        assertTrue(note.supportsInterface(type(IAccessControlDefaultAdminRules).interfaceId));
        assertTrue(note.supportsInterface(type(IAccessControl).interfaceId));
        assertFalse(note.supportsInterface(0xffffffff));
        assertFalse(note.supportsInterface(0x780e9d63)); // IERC721Enumerable is not implemented
    }

    function test_SupportsInterface_IdsMatchTheStandard() public pure {
        // Guards against the solidity interfaces drifting from the ids the standards publish.
        assertEq(type(IERC165).interfaceId, bytes4(0x01ffc9a7));
        assertEq(type(IERC721).interfaceId, bytes4(0x80ac58cd));
        assertEq(type(IERC3525).interfaceId, bytes4(0xd5358140));
        assertEq(type(IERC721Metadata).interfaceId, bytes4(0x5b5e139f));
        assertEq(type(IERC3525Metadata).interfaceId, bytes4(0xe1600902));
        assertEq(type(IERC3525SlotApprovable).interfaceId, bytes4(0xb688be58));
    }

    // ================================================================ ERC-2771 forwarding

    function test_Forwarder_DomainMatchesSigningCode() public view {
        (, string memory name_, string memory version,, address verifyingContract,,) = forwarder.eip712Domain();
        assertEq(name_, "CascadeForwarder");
        assertEq(version, "1");
        assertEq(verifyingContract, address(forwarder));
    }

    function test_Forwarder_RelayedSplitActsAsSigner() public {
        (, uint256 rootId) = _issueToAlice();
        bytes memory data = abi.encodeWithSignature("transferFrom(uint256,address,uint256)", rootId, bob, 25 * UNIT);
        ERC2771Forwarder.ForwardRequestData memory request = _signedRequest(aliceKey, alice, address(note), data);
        assertTrue(forwarder.verify(request));

        vm.expectEmit(address(note));
        emit IReceivableNote.NoteSplit(rootId, 2, rootId, 1);
        vm.expectEmit(address(forwarder));
        emit ERC2771Forwarder.ExecutedForwardRequest(alice, 0, true);
        vm.prank(relayer);
        forwarder.execute(request);

        assertEq(note.ownerOf(2), bob);
        assertEq(note.balanceOf(uint256(2)), 25 * UNIT);
        assertEq(note.balanceOf(rootId), FACE - 25 * UNIT);
        assertEq(note.balanceOf(relayer), 0);
        assertEq(forwarder.nonces(alice), 1);

        // The consumed nonce makes the same signed request useless a second time.
        assertFalse(forwarder.verify(request));
    }

    function test_Forwarder_RelayedApprovalIsGrantedBySigner() public {
        (, uint256 rootId) = _issueToAlice();
        bytes memory data = abi.encodeWithSignature("approve(uint256,address,uint256)", rootId, carol, 3 * UNIT);
        ERC2771Forwarder.ForwardRequestData memory request = _signedRequest(aliceKey, alice, address(note), data);
        vm.prank(relayer);
        forwarder.execute(request);
        assertEq(note.allowance(rootId, carol), 3 * UNIT);
    }

    function test_RevertWhen_ForwardedSplitOfTokenSignerDoesNotHold() public {
        (, uint256 aliceToken) = _issueToAlice();
        uint256 bobToken = _split(alice, aliceToken, bob, 100 * UNIT);
        bytes memory data =
            abi.encodeWithSignature("transferFrom(uint256,address,uint256)", bobToken, alice, 100 * UNIT);
        ERC2771Forwarder.ForwardRequestData memory request = _signedRequest(aliceKey, alice, address(note), data);

        // The note sees alice, who has no claim on bob's token, so the inner call fails.
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(IReceivableNote.NoteInsufficientAllowance.selector, bobToken, alice, 0, 100 * UNIT)
        );
        note.transferFrom(bobToken, alice, 100 * UNIT);

        vm.prank(relayer);
        vm.expectRevert(Errors.FailedCall.selector);
        forwarder.execute(request);

        assertEq(note.balanceOf(bobToken), 100 * UNIT);
        assertEq(note.tokenCount(), 2);
        assertEq(forwarder.nonces(alice), 0);
    }

    function test_RevertWhen_ForwardedWholeTransferOfTokenSignerDoesNotHold() public {
        (, uint256 aliceToken) = _issueToAlice();
        uint256 bobToken = _split(alice, aliceToken, bob, 100 * UNIT);
        bytes memory data = abi.encodeWithSignature("transferFrom(address,address,uint256)", bob, alice, bobToken);
        ERC2771Forwarder.ForwardRequestData memory request = _signedRequest(aliceKey, alice, address(note), data);
        vm.prank(relayer);
        vm.expectRevert(Errors.FailedCall.selector);
        forwarder.execute(request);
        assertEq(note.ownerOf(bobToken), bob);
    }

    function test_RevertWhen_ForwardedRequestClaimsAnotherSigner() public {
        // A relayer cannot reattribute alice's signature to bob to move bob's token.
        (, uint256 aliceToken) = _issueToAlice();
        uint256 bobToken = _split(alice, aliceToken, bob, 100 * UNIT);
        bytes memory data = abi.encodeWithSignature("transferFrom(uint256,address,uint256)", bobToken, carol, UNIT);
        ERC2771Forwarder.ForwardRequestData memory request = _signedRequest(aliceKey, bob, address(note), data);
        vm.prank(relayer);
        vm.expectRevert(abi.encodeWithSelector(ERC2771Forwarder.ERC2771ForwarderInvalidSigner.selector, alice, bob));
        forwarder.execute(request);
    }

    function test_RevertWhen_RelayerCallsNoteDirectly() public {
        (, uint256 rootId) = _issueToAlice();
        vm.prank(relayer);
        vm.expectRevert(
            abi.encodeWithSelector(IReceivableNote.NoteInsufficientAllowance.selector, rootId, relayer, 0, UNIT)
        );
        note.transferFrom(rootId, bob, UNIT);
    }

    // ---------------------------------------------------------------- maturity freezes movement

    function test_RevertWhen_SplitAtOrAfterMaturity() public {
        (uint256 slot, uint256 rootId) = _issueToAlice();
        vm.warp(maturity);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteVoucherMatured.selector, slot, maturity, maturity));
        _split(alice, rootId, bob, UNIT);
    }

    function test_RevertWhen_MergeAfterMaturity() public {
        (uint256 slot, uint256 rootId) = _issueToAlice();
        uint256 bobToken = _split(alice, rootId, bob, UNIT);
        vm.warp(maturity + 1);
        vm.expectRevert(
            abi.encodeWithSelector(IReceivableNote.NoteVoucherMatured.selector, slot, maturity, maturity + 1)
        );
        _merge(alice, rootId, bobToken, UNIT);
    }

    function test_RevertWhen_WholeTokenTransferAfterMaturity() public {
        (uint256 slot, uint256 rootId) = _issueToAlice();
        vm.warp(maturity + 1 days);
        vm.expectRevert(
            abi.encodeWithSelector(IReceivableNote.NoteVoucherMatured.selector, slot, maturity, maturity + 1 days)
        );
        vm.prank(alice);
        note.transferFrom(alice, bob, rootId);
    }

    function test_Redeem_StillWorksAfterMaturity() public {
        (uint256 slot, uint256 rootId) = _issueToAlice();
        vm.warp(maturity + 30 days);
        vm.prank(redeemer);
        note.redeem(rootId, FACE);
        assertEq(note.outstandingValueOf(slot), 0);
    }
}
