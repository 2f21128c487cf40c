// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Vm} from "forge-std/Vm.sol";
import {IERC721} from "@solvprotocol/erc-3525/IERC721.sol";
import {IERC3525} from "@solvprotocol/erc-3525/IERC3525.sol";
import {IERC3525SlotApprovable} from "@solvprotocol/erc-3525/extensions/IERC3525SlotApprovable.sol";
import {NoteTestBase} from "./NoteTestBase.sol";
import {IReceivableNote} from "../src/interfaces/IReceivableNote.sol";
import {ERC3525ReceiverMock} from "./mocks/ReceiverMocks.sol";

/// @dev Cases of the ERC-3525 reference implementation's own test suite (Solv's ERC3525 and
///      ERC3525SlotApprovable behaviours) that the note failed before: value transfers to the holder
///      itself, zero-value transfers, and slot approvals; plus the EIP's MUSTs around them.
contract ERC3525ConformanceTest is NoteTestBase {
    uint256 internal slot;
    uint256 internal rootId;
    uint256 internal otherSlot;
    uint256 internal otherRootId;

    function setUp() public override {
        super.setUp();
        (slot, rootId) = _issueToAlice();
        (otherSlot, otherRootId) = _issue(alice, FACE, UNIT);
    }

    // ================================================================ transferFrom(tokenId, ownerOf(tokenId), value)

    function test_TransferValueToTheOwnerItself_ByOwner() public {
        uint256 newId = _split(alice, rootId, alice, 10 * UNIT);
        assertEq(note.ownerOf(newId), alice);
        assertEq(note.slotOf(newId), slot);
        assertEq(note.balanceOf(newId), 10 * UNIT);
        assertEq(note.balanceOf(rootId), FACE - 10 * UNIT);
    }

    function test_TransferValueToTheOwnerItself_ByValueSpenderConsumesAllowance() public {
        vm.prank(alice);
        note.approve(rootId, carol, 10 * UNIT);
        vm.expectEmit(address(note));
        emit IERC3525.ApprovalValue(rootId, carol, 4 * UNIT);
        uint256 newId = _split(carol, rootId, alice, 6 * UNIT);
        assertEq(note.ownerOf(newId), alice);
        assertEq(note.allowance(rootId, carol), 4 * UNIT);
    }

    function test_TransferValueToTheOwnerItself_RunsTheReceiverHook() public {
        ERC3525ReceiverMock holder = new ERC3525ReceiverMock();
        _verify(address(holder));
        uint256 held = _split(alice, rootId, address(holder), 10 * UNIT);
        vm.prank(address(holder));
        uint256 newId = note.transferFrom(held, address(holder), 4 * UNIT);
        assertEq(holder.calls(), 2);
        assertEq(holder.lastFromTokenId(), held);
        assertEq(holder.lastToTokenId(), newId);
        assertEq(holder.lastValue(), 4 * UNIT);
        assertEq(holder.lastOperator(), address(holder));
    }

    function test_RevertWhen_TransferToTheOwnerItselfByWholeToken() public {
        // ERC-721 still refuses handing a token to its own holder; only the value form creates a piece.
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteSelfTransfer.selector, alice));
        note.transferFrom(alice, alice, rootId);
    }

    // ================================================================ zero-value transfers

    function test_ZeroValue_TokenToTokenEmitsOnlyTransferValue() public {
        uint256 bobId = _split(alice, rootId, bob, UNIT);
        vm.recordLogs();
        _merge(alice, rootId, bobId, 0);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(logs.length, 1);
        assertEq(logs[0].topics[0], IERC3525.TransferValue.selector);
        assertEq(uint256(logs[0].topics[1]), rootId);
        assertEq(uint256(logs[0].topics[2]), bobId);
    }

    function test_ZeroValue_TokenToTokenBySpenderLeavesTheAllowance() public {
        uint256 bobId = _split(alice, rootId, bob, UNIT);
        vm.prank(alice);
        note.approve(rootId, carol, 5);
        vm.recordLogs();
        _merge(carol, rootId, bobId, 0);
        assertEq(vm.getRecordedLogs().length, 1, "no ApprovalValue");
        assertEq(note.allowance(rootId, carol), 5);
    }

    function test_ZeroValue_ToAddressCreatesAnEmptyPieceWithTheEvents() public {
        uint256 expectedId = note.tokenCount() + 1;
        vm.expectEmit(address(note));
        emit IERC721.Transfer(address(0), bob, expectedId);
        vm.expectEmit(address(note));
        emit IERC3525.SlotChanged(expectedId, 0, slot);
        vm.expectEmit(address(note));
        emit IReceivableNote.NoteSplit(rootId, expectedId, rootId, 1);
        vm.expectEmit(address(note));
        emit IERC3525.TransferValue(rootId, expectedId, 0);
        uint256 newId = _split(alice, rootId, bob, 0);
        assertEq(newId, expectedId);
        assertEq(note.balanceOf(newId), 0);
    }

    function test_ZeroValue_RunsTheReceiverHook() public {
        ERC3525ReceiverMock receiver = new ERC3525ReceiverMock();
        _verify(address(receiver));
        uint256 received = _split(alice, rootId, address(receiver), UNIT);
        _merge(alice, rootId, received, 0);
        assertEq(receiver.calls(), 2);
        assertEq(receiver.lastValue(), 0);
    }

    function test_RevertWhen_ZeroValueByAStrangerWithoutAGrant() public {
        // An outsider must not mint empty pieces out of someone else's token.
        vm.prank(carol);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteInsufficientAllowance.selector, rootId, carol, 0, 0));
        note.transferFrom(rootId, carol, 0);
    }

    function test_RevertWhen_ZeroValueStillChecksTheRules() public {
        _revoke(bob);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteParticipantNotVerified.selector, bob));
        note.transferFrom(rootId, bob, 0);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteSlotMismatch.selector, slot, otherSlot));
        note.transferFrom(rootId, otherRootId, 0);
    }

    // ================================================================ EIP-3525 MUSTs of the value transfers

    function test_RevertWhen_ValueTransferFromTokenZero() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteNonexistentToken.selector, 0));
        note.transferFrom(0, bob, UNIT);
    }

    function test_RevertWhen_ValueTransferExceedsTheAllowance() public {
        vm.prank(alice);
        note.approve(rootId, carol, UNIT);
        vm.prank(carol);
        vm.expectRevert(
            abi.encodeWithSelector(IReceivableNote.NoteInsufficientAllowance.selector, rootId, carol, UNIT, 2 * UNIT)
        );
        note.transferFrom(rootId, carol, 2 * UNIT);
    }

    function test_ValueTransferToAddress_EmitsTransferAndTransferValue() public {
        vm.recordLogs();
        uint256 newId = _split(alice, rootId, bob, UNIT);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        bool transfer;
        bool transferValue;
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].topics[0] == IERC721.Transfer.selector && uint256(logs[i].topics[3]) == newId) transfer = true;
            if (logs[i].topics[0] == IERC3525.TransferValue.selector) transferValue = true;
        }
        assertTrue(transfer && transferValue);
    }

    // ================================================================ slot approvals (IERC3525SlotApprovable)

    function test_SetApprovalForSlot_ByOwnerEmitsAndReports() public {
        vm.expectEmit(address(note));
        emit IERC3525SlotApprovable.ApprovalForSlot(alice, slot, carol, true);
        vm.prank(alice);
        note.setApprovalForSlot(alice, slot, carol, true);
        assertTrue(note.isApprovedForSlot(alice, slot, carol));
        assertFalse(note.isApprovedForSlot(alice, otherSlot, carol));
        assertFalse(note.isApprovedForSlot(bob, slot, carol));
    }

    function test_SetApprovalForSlot_ByOperatorForAll() public {
        vm.prank(alice);
        note.setApprovalForAll(bob, true);
        vm.prank(bob);
        note.setApprovalForSlot(alice, slot, carol, true);
        assertTrue(note.isApprovedForSlot(alice, slot, carol));
    }

    function test_SlotOperator_MovesValueOfEveryPieceOfThatVoucher() public {
        uint256 second = _split(alice, rootId, alice, 10 * UNIT);
        vm.prank(alice);
        note.setApprovalForSlot(alice, slot, carol, true);
        _split(carol, rootId, bob, 3 * UNIT);
        _split(carol, second, bob, 3 * UNIT);
        // Pieces created after the approval are covered too.
        uint256 later = _split(alice, rootId, alice, UNIT);
        _split(carol, later, bob, UNIT);
        assertEq(note.allowance(rootId, carol), 0, "no allowance was needed or spent");
    }

    function test_SlotOperator_HandsOverWholePiecesAndApproves() public {
        vm.prank(alice);
        note.setApprovalForSlot(alice, slot, carol, true);
        vm.prank(carol);
        note.approve(bob, rootId);
        assertEq(note.getApproved(rootId), bob);
        vm.prank(carol);
        note.approve(rootId, bob, UNIT);
        assertEq(note.allowance(rootId, bob), UNIT);
        vm.prank(carol);
        note.transferFrom(alice, bob, rootId);
        assertEq(note.ownerOf(rootId), bob);
    }

    function test_RevertWhen_SlotOperatorTouchesAnotherVoucher() public {
        vm.prank(alice);
        note.setApprovalForSlot(alice, slot, carol, true);
        vm.prank(carol);
        vm.expectRevert(
            abi.encodeWithSelector(IReceivableNote.NoteInsufficientAllowance.selector, otherRootId, carol, 0, UNIT)
        );
        note.transferFrom(otherRootId, carol, UNIT);
        vm.prank(carol);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteUnauthorized.selector, carol, otherRootId));
        note.transferFrom(alice, carol, otherRootId);
    }

    function test_RevertWhen_SlotOperatorActsAfterRevocationOrForAnotherOwner() public {
        uint256 bobId = _split(alice, rootId, bob, UNIT);
        vm.startPrank(alice);
        note.setApprovalForSlot(alice, slot, carol, true);
        note.setApprovalForSlot(alice, slot, carol, false);
        vm.stopPrank();
        vm.prank(carol);
        vm.expectRevert(
            abi.encodeWithSelector(IReceivableNote.NoteInsufficientAllowance.selector, rootId, carol, 0, UNIT)
        );
        note.transferFrom(rootId, carol, UNIT);
        vm.prank(carol);
        vm.expectRevert(
            abi.encodeWithSelector(IReceivableNote.NoteInsufficientAllowance.selector, bobId, carol, 0, UNIT)
        );
        note.transferFrom(bobId, carol, UNIT);
    }

    function test_SlotApproval_StaysWithTheOwnerNotThePiece() public {
        vm.prank(alice);
        note.setApprovalForSlot(alice, slot, carol, true);
        vm.prank(alice);
        note.transferFrom(alice, bob, rootId);
        vm.prank(carol);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteUnauthorized.selector, carol, rootId));
        note.transferFrom(bob, carol, rootId);
    }

    function test_RevertWhen_SetApprovalForSlotByNeitherOwnerNorOperator() public {
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteSlotApprovalUnauthorized.selector, bob, alice));
        note.setApprovalForSlot(alice, slot, bob, true);
    }

    function test_RevertWhen_SetApprovalForSlotToTheOwner() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteApprovalToHolder.selector, alice));
        note.setApprovalForSlot(alice, slot, alice, true);
    }

    function test_RevertWhen_SetApprovalForSlotWithEther() public {
        vm.deal(alice, 1 ether);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteEtherNotAccepted.selector, 1));
        note.setApprovalForSlot{value: 1}(alice, slot, carol, true);
    }

    function test_SetApprovalForSlot_ThroughTheForwarder() public {
        _relay(
            aliceKey,
            address(note),
            abi.encodeCall(IERC3525SlotApprovable.setApprovalForSlot, (alice, slot, carol, true))
        );
        assertTrue(note.isApprovedForSlot(alice, slot, carol));
    }

    function test_SupportsInterface_SlotApprovable() public view {
        assertEq(type(IERC3525SlotApprovable).interfaceId, bytes4(0xb688be58));
        assertTrue(note.supportsInterface(type(IERC3525SlotApprovable).interfaceId));
    }
}
