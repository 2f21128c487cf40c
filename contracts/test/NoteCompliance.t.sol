// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Vm} from "forge-std/Vm.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {IERC721} from "@solvprotocol/erc-3525/IERC721.sol";
import {IERC3525} from "@solvprotocol/erc-3525/IERC3525.sol";
import {TwoPiecesTestBase} from "./NoteTestBase.sol";
import {IReceivableNote} from "../src/interfaces/IReceivableNote.sol";
import {INoteCompliance} from "../src/interfaces/INoteCompliance.sol";
import {TransferLimitModule} from "../src/compliance/TransferLimitModule.sol";

/// @dev Freezes, forced transfers, recovery, caps, rolling limits and voucher pauses on the note:
///      what each control allows, what it refuses (each with its own error) and the audit events.
contract NoteComplianceTest is TwoPiecesTestBase {
    // ------------------------------------------------------------ helpers

    function _freezeAddress(address account, bool frozen) internal {
        vm.prank(agent);
        note.setAddressFrozen(account, frozen, REASON);
    }

    function _freezeToken(uint256 tokenId, bool frozen) internal {
        vm.prank(agent);
        note.setTokenFrozen(tokenId, frozen, REASON);
    }

    function _freezeValue(uint256 tokenId, uint256 value) internal {
        vm.prank(agent);
        note.freezePartialValue(tokenId, value, REASON);
    }

    function _limit(address account, uint256 limit, uint256 window) internal {
        vm.prank(agent);
        note.setTransferLimit(account, CURRENCY, limit, window, REASON);
    }

    function _cap(uint256 cap) internal {
        vm.prank(agent);
        note.setTransferCap(slot, cap, REASON);
    }

    function _forced(uint256 fromTokenId, address to, uint256 value) internal returns (uint256) {
        vm.prank(agent);
        return note.forcedTransfer(fromTokenId, to, value, REASON);
    }

    function _recover(address lost, address fresh, uint256[] memory ids) internal {
        vm.prank(agent);
        note.recoveryAddress(lost, fresh, ids, REASON);
    }

    function _one(uint256 id) internal pure returns (uint256[] memory ids) {
        ids = new uint256[](1);
        ids[0] = id;
    }

    function _frozenError(address account) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(INoteCompliance.NoteAddressFrozen.selector, account);
    }

    // ================================================================ address freeze

    function test_SetAddressFrozen_EmitsTheAuditTrail() public {
        vm.expectEmit(address(note));
        emit INoteCompliance.AddressFrozen(bob, true, agent, REASON);
        _freezeAddress(bob, true);
        assertTrue(note.isFrozen(bob));
        vm.expectEmit(address(note));
        emit INoteCompliance.AddressFrozen(bob, false, agent, REASON);
        _freezeAddress(bob, false);
        assertFalse(note.isFrozen(bob));
    }

    function test_RevertWhen_FrozenSenderSplits() public {
        _freezeAddress(alice, true);
        vm.prank(alice);
        vm.expectRevert(_frozenError(alice));
        note.transferFrom(rootId, carol, UNIT);
    }

    function test_RevertWhen_SplitToFrozenRecipient() public {
        _freezeAddress(carol, true);
        vm.prank(alice);
        vm.expectRevert(_frozenError(carol));
        note.transferFrom(rootId, carol, UNIT);
    }

    function test_RevertWhen_MergeIntoPieceOfFrozenHolder() public {
        _freezeAddress(bob, true);
        vm.prank(alice);
        vm.expectRevert(_frozenError(bob));
        note.transferFrom(rootId, bobId, UNIT);
    }

    function test_RevertWhen_FrozenHolderHandsOverAWholePiece() public {
        _freezeAddress(bob, true);
        vm.prank(bob);
        vm.expectRevert(_frozenError(bob));
        note.transferFrom(bob, carol, bobId);
    }

    function test_RevertWhen_WholePieceToFrozenRecipient() public {
        _freezeAddress(carol, true);
        vm.prank(bob);
        vm.expectRevert(_frozenError(carol));
        note.safeTransferFrom(bob, carol, bobId);
    }

    function test_RevertWhen_RedeemFromFrozenHolder() public {
        _freezeAddress(bob, true);
        vm.prank(redeemer);
        vm.expectRevert(_frozenError(bob));
        note.redeem(bobId, UNIT);
    }

    function test_RevertWhen_IssueToFrozenHolderOrObligor() public {
        _freezeAddress(carol, true);
        vm.prank(issuer);
        vm.expectRevert(_frozenError(carol));
        note.issue(obligor, carol, CURRENCY, CURRENCY, FACE, UNIT, maturity, 0, DOC_HASH);
        vm.prank(issuer);
        vm.expectRevert(_frozenError(carol));
        note.issue(carol, alice, CURRENCY, CURRENCY, FACE, UNIT, maturity, 0, DOC_HASH);
    }

    function test_AddressFreeze_ByOperatorActingForFrozenHolderIsRefusedToo() public {
        vm.prank(alice);
        note.setApprovalForAll(carol, true);
        _freezeAddress(alice, true);
        vm.prank(carol);
        vm.expectRevert(_frozenError(alice));
        note.transferFrom(rootId, carol, UNIT);
    }

    function test_AddressFreeze_UnfrozenHolderMovesAgain() public {
        _freezeAddress(alice, true);
        _freezeAddress(alice, false);
        uint256 newId = _split(alice, rootId, carol, UNIT);
        assertEq(note.balanceOf(newId), UNIT);
    }

    function test_RevertWhen_SetAddressFrozenByNonAgent() public {
        vm.prank(admin);
        vm.expectRevert(_unauthorized(admin, COMPLIANCE_AGENT_ROLE));
        note.setAddressFrozen(bob, true, REASON);
    }

    function test_RevertWhen_SetAddressFrozenWithoutReason() public {
        vm.prank(agent);
        vm.expectRevert(INoteCompliance.NoteMissingReason.selector);
        note.setAddressFrozen(bob, true, bytes32(0));
    }

    function test_RevertWhen_SetAddressFrozenZeroAddress() public {
        vm.prank(agent);
        vm.expectRevert(IReceivableNote.NoteZeroAddress.selector);
        note.setAddressFrozen(address(0), true, REASON);
    }

    // ================================================================ piece freeze

    function test_SetTokenFrozen_EmitsAndReports() public {
        vm.expectEmit(address(note));
        emit INoteCompliance.TokenFrozen(bobId, true, agent, REASON);
        _freezeToken(bobId, true);
        assertTrue(note.isTokenFrozen(bobId));
        assertFalse(note.isTokenFrozen(rootId));
        _freezeToken(bobId, false);
        assertFalse(note.isTokenFrozen(bobId));
    }

    function test_TokenFreeze_OtherPiecesOfTheHolderStillMove() public {
        uint256 second = _split(alice, rootId, bob, UNIT);
        _freezeToken(bobId, true);
        _split(bob, second, carol, UNIT);
        assertEq(note.balanceOf(second), 0);
    }

    function test_RevertWhen_ValueLeavesAFrozenPiece() public {
        _freezeToken(bobId, true);
        bytes memory err = abi.encodeWithSelector(INoteCompliance.NoteTokenFrozen.selector, bobId);
        vm.startPrank(bob);
        vm.expectRevert(err);
        note.transferFrom(bobId, carol, UNIT);
        vm.expectRevert(err);
        note.transferFrom(bobId, rootId, UNIT);
        vm.expectRevert(err);
        note.transferFrom(bob, carol, bobId);
        vm.stopPrank();
        vm.prank(redeemer);
        vm.expectRevert(err);
        note.redeem(bobId, UNIT);
    }

    function test_RevertWhen_ValueEntersAFrozenPiece() public {
        _freezeToken(bobId, true);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(INoteCompliance.NoteTokenFrozen.selector, bobId));
        note.transferFrom(rootId, bobId, UNIT);
    }

    function test_RevertWhen_SetTokenFrozenOnUnknownToken() public {
        vm.prank(agent);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteNonexistentToken.selector, 99));
        note.setTokenFrozen(99, true, REASON);
    }

    function test_RevertWhen_SetTokenFrozenByNonAgent() public {
        vm.prank(bob);
        vm.expectRevert(_unauthorized(bob, COMPLIANCE_AGENT_ROLE));
        note.setTokenFrozen(bobId, true, REASON);
    }

    // ================================================================ partial freeze

    function test_FreezePartialValue_TheRestStillMoves() public {
        vm.expectEmit(address(note));
        emit INoteCompliance.ValueFrozen(bobId, 60 * UNIT, 60 * UNIT, agent, REASON);
        _freezeValue(bobId, 60 * UNIT);
        assertEq(note.frozenValueOf(bobId), 60 * UNIT);
        uint256 newId = _split(bob, bobId, carol, 40 * UNIT);
        assertEq(note.balanceOf(newId), 40 * UNIT);
        assertEq(note.balanceOf(bobId), 60 * UNIT);
    }

    function test_RevertWhen_MoveExceedsUnfrozenValue() public {
        _freezeValue(bobId, 60 * UNIT);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(INoteCompliance.NoteValueFrozen.selector, bobId, 40 * UNIT, 41 * UNIT));
        note.transferFrom(bobId, carol, 41 * UNIT);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(INoteCompliance.NoteValueFrozen.selector, bobId, 40 * UNIT, 41 * UNIT));
        note.transferFrom(bobId, rootId, 41 * UNIT);
    }

    function test_RevertWhen_PieceWithFrozenValueChangesHands() public {
        _freezeValue(bobId, UNIT);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(INoteCompliance.NoteValueFrozen.selector, bobId, 99 * UNIT, 100 * UNIT));
        note.transferFrom(bob, carol, bobId);
    }

    function test_RevertWhen_RedeemBeyondUnfrozenValue() public {
        _freezeValue(bobId, 60 * UNIT);
        vm.prank(redeemer);
        vm.expectRevert(abi.encodeWithSelector(INoteCompliance.NoteValueFrozen.selector, bobId, 40 * UNIT, 50 * UNIT));
        note.redeem(bobId, 50 * UNIT);
        vm.prank(redeemer);
        note.redeem(bobId, 40 * UNIT);
        assertEq(note.balanceOf(bobId), 60 * UNIT);
    }

    function test_FreezePartialValue_MergingInKeepsTheFrozenPart() public {
        _freezeValue(bobId, 100 * UNIT);
        _merge(alice, rootId, bobId, 10 * UNIT);
        assertEq(note.balanceOf(bobId), 110 * UNIT);
        _split(bob, bobId, carol, 10 * UNIT);
        assertEq(note.frozenValueOf(bobId), 100 * UNIT);
    }

    function test_UnfreezePartialValue_ReleasesAndClears() public {
        _freezeValue(bobId, 60 * UNIT);
        vm.expectEmit(address(note));
        emit INoteCompliance.ValueUnfrozen(bobId, 60 * UNIT, 0, agent, REASON);
        vm.prank(agent);
        note.unfreezePartialValue(bobId, 60 * UNIT, REASON);
        assertEq(note.frozenValueOf(bobId), 0);
        // With no frozen value left, the whole piece may change hands again.
        vm.prank(bob);
        note.transferFrom(bob, carol, bobId);
        assertEq(note.ownerOf(bobId), carol);
    }

    function test_RevertWhen_FreezeMoreThanTheUnfrozenValue() public {
        _freezeValue(bobId, 60 * UNIT);
        vm.prank(agent);
        vm.expectRevert(
            abi.encodeWithSelector(INoteCompliance.NoteFreezeExceedsValue.selector, bobId, 40 * UNIT, 41 * UNIT)
        );
        note.freezePartialValue(bobId, 41 * UNIT, REASON);
    }

    function test_RevertWhen_UnfreezeMoreThanFrozen() public {
        _freezeValue(bobId, 6 * UNIT);
        vm.prank(agent);
        vm.expectRevert(
            abi.encodeWithSelector(INoteCompliance.NoteUnfreezeExceedsFrozen.selector, bobId, 6 * UNIT, 7 * UNIT)
        );
        note.unfreezePartialValue(bobId, 7 * UNIT, REASON);
    }

    function test_RevertWhen_FreezeValueNotUnitMultipleOrZero() public {
        vm.startPrank(agent);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteValueNotUnitMultiple.selector, slot, 150, UNIT));
        note.freezePartialValue(bobId, 150, REASON);
        vm.expectRevert(IReceivableNote.NoteZeroValue.selector);
        note.freezePartialValue(bobId, 0, REASON);
        vm.expectRevert(IReceivableNote.NoteZeroValue.selector);
        note.unfreezePartialValue(bobId, 0, REASON);
        vm.stopPrank();
    }

    function test_RevertWhen_FreezePartialValueByNonAgentOrWithoutReason() public {
        vm.prank(bob);
        vm.expectRevert(_unauthorized(bob, COMPLIANCE_AGENT_ROLE));
        note.freezePartialValue(bobId, UNIT, REASON);
        vm.prank(agent);
        vm.expectRevert(INoteCompliance.NoteMissingReason.selector);
        note.unfreezePartialValue(bobId, UNIT, bytes32(0));
    }

    function testFuzz_FrozenValueNeverLeaves(uint256 frozenUnits, uint256 moveUnits, bool merge) public {
        uint256 units = note.balanceOf(bobId) / UNIT;
        frozenUnits = bound(frozenUnits, 1, units);
        moveUnits = bound(moveUnits, 1, units);
        _freezeValue(bobId, frozenUnits * UNIT);
        vm.prank(bob);
        if (moveUnits > units - frozenUnits) vm.expectRevert();
        if (merge) note.transferFrom(bobId, rootId, moveUnits * UNIT);
        else note.transferFrom(bobId, carol, moveUnits * UNIT);
        assertGe(note.balanceOf(bobId), frozenUnits * UNIT);
        assertEq(note.frozenValueOf(bobId), frozenUnits * UNIT);
    }

    // ================================================================ forced transfer

    function test_ForcedTransfer_MovesValueIntoANewPieceAndKeepsLineage() public {
        uint256 expectedId = note.tokenCount() + 1;
        vm.expectEmit(address(note));
        emit IReceivableNote.NoteSplit(bobId, expectedId, rootId, 2);
        vm.expectEmit(address(note));
        emit IERC3525.TransferValue(bobId, expectedId, 30 * UNIT);
        vm.expectEmit(address(note));
        emit INoteCompliance.ForcedTransfer(bobId, expectedId, agent, bob, carol, 30 * UNIT, REASON);
        uint256 newId = _forced(bobId, carol, 30 * UNIT);

        assertEq(newId, expectedId);
        assertEq(note.ownerOf(newId), carol);
        assertEq(note.balanceOf(newId), 30 * UNIT);
        assertEq(note.balanceOf(bobId), 70 * UNIT);
        assertEq(note.outstandingValueOf(slot), FACE);
        (uint256 parent, uint256 root, uint256 depth) = note.lineageOf(newId);
        assertEq(parent, bobId);
        assertEq(root, rootId);
        assertEq(depth, 2);
    }

    function test_ForcedTransfer_OverridesEveryFreeze() public {
        _freezeAddress(bob, true);
        _freezeAddress(carol, true);
        _freezeToken(bobId, true);
        _freezeValue(bobId, 90 * UNIT);
        // 10 units are unfrozen; the forced transfer of 30 releases the 20 more it needs.
        vm.expectEmit(address(note));
        emit INoteCompliance.ValueUnfrozen(bobId, 20 * UNIT, 70 * UNIT, agent, REASON);
        uint256 newId = _forced(bobId, carol, 30 * UNIT);
        assertEq(note.balanceOf(newId), 30 * UNIT);
        assertEq(note.frozenValueOf(bobId), 70 * UNIT);
        assertEq(note.balanceOf(bobId), 70 * UNIT);
        // The freezes themselves stay: the rest of the piece is still frozen, the new piece is not.
        assertTrue(note.isTokenFrozen(bobId));
        assertFalse(note.isTokenFrozen(newId));
        assertTrue(note.isFrozen(bob));
    }

    function test_ForcedTransfer_WholeFrozenValue() public {
        _freezeValue(bobId, 100 * UNIT);
        _forced(bobId, carol, 100 * UNIT);
        assertEq(note.frozenValueOf(bobId), 0);
        assertFalse(note.isTokenFrozen(bobId));
    }

    function test_ForcedTransfer_WorksPausedMaturedAndAboveTheCapWithoutCountingLimits() public {
        _cap(UNIT);
        _limit(bob, UNIT, 1 days);
        vm.prank(pauser);
        note.pauseVoucher(slot);
        _pause();
        vm.warp(maturity + 1);
        uint256 newId = _forced(bobId, carol, 50 * UNIT);
        assertEq(note.balanceOf(newId), 50 * UNIT);
        (,, uint256 sent) = note.transferLimitOf(bob, CURRENCY);
        assertEq(sent, 0);
    }

    function test_RevertWhen_ForcedTransferToUnverifiedOrExpiredRecipient() public {
        vm.prank(agent);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteParticipantNotVerified.selector, outsider));
        note.forcedTransfer(bobId, outsider, UNIT, REASON);
        _setIdentity(carol, true, block.timestamp + 1);
        vm.warp(block.timestamp + 1);
        vm.prank(agent);
        vm.expectRevert(
            abi.encodeWithSelector(IReceivableNote.NoteParticipantKycExpired.selector, carol, block.timestamp)
        );
        note.forcedTransfer(bobId, carol, UNIT, REASON);
    }

    function test_RevertWhen_ForcedTransferInvalidAmounts() public {
        vm.startPrank(agent);
        vm.expectRevert(IReceivableNote.NoteZeroValue.selector);
        note.forcedTransfer(bobId, carol, 0, REASON);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteValueNotUnitMultiple.selector, slot, 50, UNIT));
        note.forcedTransfer(bobId, carol, 50, REASON);
        vm.expectRevert(
            abi.encodeWithSelector(IReceivableNote.NoteInsufficientValue.selector, bobId, 100 * UNIT, 101 * UNIT)
        );
        note.forcedTransfer(bobId, carol, 101 * UNIT, REASON);
        vm.expectRevert(IReceivableNote.NoteZeroAddress.selector);
        note.forcedTransfer(bobId, address(0), UNIT, REASON);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteNonexistentToken.selector, 77));
        note.forcedTransfer(77, carol, UNIT, REASON);
        vm.stopPrank();
    }

    function test_RevertWhen_ForcedTransferOfARedeemedVoucher() public {
        vm.startPrank(redeemer);
        note.redeem(bobId, 100 * UNIT);
        note.redeem(rootId, FACE - 100 * UNIT);
        vm.stopPrank();
        vm.prank(agent);
        vm.expectRevert(
            abi.encodeWithSelector(
                IReceivableNote.NoteVoucherNotActive.selector, slot, IReceivableNote.VoucherStatus.Redeemed
            )
        );
        note.forcedTransfer(bobId, carol, UNIT, REASON);
    }

    function test_RevertWhen_ForcedTransferByNonAgentOrWithoutReason() public {
        vm.prank(alice);
        vm.expectRevert(_unauthorized(alice, COMPLIANCE_AGENT_ROLE));
        note.forcedTransfer(bobId, alice, UNIT, REASON);
        vm.prank(agent);
        vm.expectRevert(INoteCompliance.NoteMissingReason.selector);
        note.forcedTransfer(bobId, alice, UNIT, bytes32(0));
    }

    function testFuzz_ForcedTransferConservesValue(uint256 units, uint256 frozenUnits, bool frozenHolder) public {
        uint256 balanceUnits = note.balanceOf(bobId) / UNIT;
        units = bound(units, 1, balanceUnits);
        frozenUnits = bound(frozenUnits, 0, balanceUnits);
        if (frozenUnits != 0) _freezeValue(bobId, frozenUnits * UNIT);
        if (frozenHolder) _freezeAddress(bob, true);
        uint256 newId = _forced(bobId, carol, units * UNIT);
        assertEq(note.balanceOf(bobId) + note.balanceOf(newId), balanceUnits * UNIT);
        assertEq(note.balanceOf(rootId) + note.balanceOf(bobId) + note.balanceOf(newId), FACE);
        assertLe(note.frozenValueOf(bobId), note.balanceOf(bobId));
        (uint256 parent,,) = note.lineageOf(newId);
        assertEq(parent, bobId);
    }

    // ================================================================ recovery

    function test_RecoveryAddress_MovesEveryPieceWholeAndKeepsIdsAndLineage() public {
        uint256 second = _split(alice, rootId, bob, 5 * UNIT);
        address fresh = makeAddr("bob's new wallet");
        _verify(fresh);
        vm.prank(bob);
        note.approve(carol, bobId);
        (uint256 parentBefore, uint256 rootBefore, uint256 depthBefore) = note.lineageOf(second);

        uint256[] memory ids = new uint256[](2);
        ids[0] = bobId;
        ids[1] = second;
        vm.expectEmit(address(note));
        emit IERC721.Transfer(bob, fresh, bobId);
        vm.expectEmit(address(note));
        emit IERC721.Transfer(bob, fresh, second);
        vm.expectEmit(address(note));
        emit INoteCompliance.AddressFrozen(bob, true, agent, REASON);
        vm.expectEmit(address(note));
        emit INoteCompliance.RecoverySuccess(bob, fresh, agent, 2, REASON);
        _recover(bob, fresh, ids);

        assertEq(note.ownerOf(bobId), fresh);
        assertEq(note.ownerOf(second), fresh);
        assertEq(note.balanceOf(bob), 0);
        assertEq(note.balanceOf(fresh), 2);
        assertEq(note.balanceOf(bobId), 100 * UNIT);
        assertEq(note.getApproved(bobId), address(0), "approvals of the lost key lapse");
        (uint256 parent, uint256 root, uint256 depth) = note.lineageOf(second);
        assertEq(parent, parentBefore);
        assertEq(root, rootBefore);
        assertEq(depth, depthBefore);
        // The lost key is compromised: it is frozen; the new wallet is not.
        assertTrue(note.isFrozen(bob));
        assertFalse(note.isFrozen(fresh));
        _split(fresh, bobId, carol, UNIT);
    }

    function test_RecoveryAddress_CarriesAFreezeAndFrozenPieces() public {
        address fresh = makeAddr("fresh");
        _verify(fresh);
        _freezeAddress(bob, true);
        _freezeValue(bobId, 10 * UNIT);
        vm.expectEmit(address(note));
        emit INoteCompliance.AddressFrozen(fresh, true, agent, REASON);
        _recover(bob, fresh, _one(bobId));
        assertTrue(note.isFrozen(fresh));
        assertTrue(note.isFrozen(bob));
        assertEq(note.frozenValueOf(bobId), 10 * UNIT);
    }

    function test_RecoveryAddress_CarriesLimitsAndWhatWasSent() public {
        _limit(bob, 50 * UNIT, 1 days);
        _split(bob, bobId, carol, 30 * UNIT);
        address fresh = makeAddr("fresh");
        _verify(fresh);
        _recover(bob, fresh, _one(bobId));
        (uint256 limit, uint256 window, uint256 sent) = note.transferLimitOf(fresh, CURRENCY);
        assertEq(limit, 50 * UNIT);
        assertEq(window, 1 days);
        assertEq(sent, 30 * UNIT);
        (limit,,) = note.transferLimitOf(bob, CURRENCY);
        assertEq(limit, 0);
        vm.prank(fresh);
        vm.expectRevert(
            abi.encodeWithSelector(
                INoteCompliance.NoteRollingLimitExceeded.selector, fresh, CURRENCY, 30 * UNIT, 21 * UNIT, 50 * UNIT
            )
        );
        note.transferFrom(bobId, carol, 21 * UNIT);
    }

    function test_RecoveryAddress_WorksWhilePausedAndOnRedeemedVouchers() public {
        (uint256 otherSlot, uint256 otherRoot) = _issue(bob, UNIT, UNIT);
        vm.prank(redeemer);
        note.redeem(otherRoot, UNIT);
        assertEq(uint8(note.voucherOf(otherSlot).status), uint8(IReceivableNote.VoucherStatus.Redeemed));
        _pause();
        address fresh = makeAddr("fresh");
        _verify(fresh);
        uint256[] memory ids = new uint256[](2);
        ids[0] = bobId;
        ids[1] = otherRoot;
        _recover(bob, fresh, ids);
        assertEq(note.ownerOf(otherRoot), fresh);
    }

    function test_RevertWhen_RecoveryLeavesAPieceBehind() public {
        _split(alice, rootId, bob, UNIT);
        address fresh = makeAddr("fresh");
        _verify(fresh);
        vm.prank(agent);
        vm.expectRevert(abi.encodeWithSelector(INoteCompliance.NoteRecoveryIncomplete.selector, bob, 1));
        note.recoveryAddress(bob, fresh, _one(bobId), REASON);
    }

    function test_RevertWhen_RecoveryListsAPieceOfSomeoneElse() public {
        address fresh = makeAddr("fresh");
        _verify(fresh);
        vm.prank(agent);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteWrongHolder.selector, bob, alice));
        note.recoveryAddress(bob, fresh, _one(rootId), REASON);
    }

    function test_RevertWhen_RecoveryWalletInUse() public {
        vm.startPrank(agent);
        // It holds a piece already.
        vm.expectRevert(abi.encodeWithSelector(INoteCompliance.NoteRecoveryWalletInUse.selector, alice));
        note.recoveryAddress(bob, alice, _one(bobId), REASON);
        // It is the lost wallet itself.
        vm.expectRevert(abi.encodeWithSelector(INoteCompliance.NoteRecoveryWalletInUse.selector, bob));
        note.recoveryAddress(bob, bob, _one(bobId), REASON);
        vm.stopPrank();
        // It has limits of its own.
        address fresh = makeAddr("fresh");
        _verify(fresh);
        _limit(fresh, UNIT, 1 days);
        vm.prank(agent);
        vm.expectRevert(abi.encodeWithSelector(INoteCompliance.NoteRecoveryWalletInUse.selector, fresh));
        note.recoveryAddress(bob, fresh, _one(bobId), REASON);
    }

    function test_RevertWhen_RecoveryToAnUnverifiedWallet() public {
        address fresh = makeAddr("fresh");
        vm.prank(agent);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteParticipantNotVerified.selector, fresh));
        note.recoveryAddress(bob, fresh, _one(bobId), REASON);
    }

    function test_RevertWhen_RecoveryByNonAgentOrWithoutReasonOrZeroAddress() public {
        address fresh = makeAddr("fresh");
        vm.prank(bob);
        vm.expectRevert(_unauthorized(bob, COMPLIANCE_AGENT_ROLE));
        note.recoveryAddress(bob, fresh, _one(bobId), REASON);
        vm.startPrank(agent);
        vm.expectRevert(INoteCompliance.NoteMissingReason.selector);
        note.recoveryAddress(bob, fresh, _one(bobId), bytes32(0));
        vm.expectRevert(IReceivableNote.NoteZeroAddress.selector);
        note.recoveryAddress(bob, address(0), _one(bobId), REASON);
        vm.stopPrank();
    }

    // ================================================================ per-transaction cap

    function test_TransferCap_SetAtIssuanceAndByTheAgent() public {
        vm.prank(issuer);
        (uint256 capped,) = note.issue(obligor, alice, CURRENCY, CURRENCY, FACE, UNIT, maturity, 7 * UNIT, DOC_HASH);
        assertEq(note.voucherOf(capped).transferCap, 7 * UNIT);
        vm.expectEmit(address(note));
        emit INoteCompliance.TransferCapSet(slot, 50 * UNIT, agent, REASON);
        _cap(50 * UNIT);
        assertEq(note.voucherOf(slot).transferCap, 50 * UNIT);
    }

    function test_TransferCap_AtTheCapPassesAboveIsRefused() public {
        _cap(50 * UNIT);
        _split(alice, rootId, carol, 50 * UNIT);
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(INoteCompliance.NoteTransferCapExceeded.selector, slot, 51 * UNIT, 50 * UNIT)
        );
        note.transferFrom(rootId, carol, 51 * UNIT);
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(INoteCompliance.NoteTransferCapExceeded.selector, slot, 51 * UNIT, 50 * UNIT)
        );
        note.transferFrom(rootId, bobId, 51 * UNIT);
    }

    function test_RevertWhen_WholePieceAboveTheCapChangesHands() public {
        _cap(99 * UNIT);
        vm.prank(bob);
        vm.expectRevert(
            abi.encodeWithSelector(INoteCompliance.NoteTransferCapExceeded.selector, slot, 100 * UNIT, 99 * UNIT)
        );
        note.transferFrom(bob, carol, bobId);
    }

    function test_TransferCap_OwnPiecesRedemptionsAndForcedTransfersAreExempt() public {
        _cap(UNIT);
        uint256 mine = _split(alice, rootId, alice, 500 * UNIT); // a holder re-arranging its own pieces
        _merge(alice, mine, rootId, 400 * UNIT);
        vm.prank(redeemer);
        note.redeem(rootId, 300 * UNIT);
        _forced(rootId, carol, 200 * UNIT);
        assertEq(note.balanceOf(mine), 100 * UNIT);
    }

    function test_RevertWhen_SetTransferCapInvalid() public {
        vm.startPrank(agent);
        uint256 tooBig = uint256(type(uint96).max) + 1;
        vm.expectRevert(abi.encodeWithSelector(INoteCompliance.NoteInvalidTransferCap.selector, tooBig));
        note.setTransferCap(slot, tooBig, REASON);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteUnknownVoucher.selector, 9));
        note.setTransferCap(9, UNIT, REASON);
        vm.stopPrank();
        vm.prank(issuer);
        vm.expectRevert(abi.encodeWithSelector(INoteCompliance.NoteInvalidTransferCap.selector, tooBig));
        note.issue(obligor, alice, CURRENCY, CURRENCY, FACE, UNIT, maturity, tooBig, DOC_HASH);
    }

    function test_RevertWhen_SetTransferCapByNonAgent() public {
        vm.prank(issuer);
        vm.expectRevert(_unauthorized(issuer, COMPLIANCE_AGENT_ROLE));
        note.setTransferCap(slot, UNIT, REASON);
    }

    // ================================================================ rolling limits

    function test_SetTransferLimit_EmitsAndReports() public {
        vm.expectEmit(address(note));
        emit INoteCompliance.TransferLimitSet(alice, CURRENCY, 30 * UNIT, 1 days, agent, REASON);
        _limit(alice, 30 * UNIT, 1 days);
        (uint256 limit, uint256 window, uint256 sent) = note.transferLimitOf(alice, CURRENCY);
        assertEq(limit, 30 * UNIT);
        assertEq(window, 1 days);
        assertEq(sent, 0);
        assertEq(TransferLimitModule(note.limitModule()).currenciesOf(alice).length, 1);
    }

    function test_RollingLimit_CountsSendsAndRefusesTheOneAbove() public {
        _limit(alice, 30 * UNIT, 1 days);
        _split(alice, rootId, bob, 10 * UNIT);
        _merge(alice, rootId, bobId, 15 * UNIT);
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(
                INoteCompliance.NoteRollingLimitExceeded.selector, alice, CURRENCY, 25 * UNIT, 6 * UNIT, 30 * UNIT
            )
        );
        note.transferFrom(rootId, carol, 6 * UNIT);
        _split(alice, rootId, carol, 5 * UNIT);
        (,, uint256 sent) = note.transferLimitOf(alice, CURRENCY);
        assertEq(sent, 30 * UNIT);
    }

    function test_RollingLimit_FreesUpOnceTheWindowHasPassed() public {
        _limit(alice, 30 * UNIT, 1 days);
        _split(alice, rootId, bob, 30 * UNIT);
        // Buckets are a quarter window: a send is counted until its bucket leaves the window.
        vm.warp(block.timestamp + 1 days + 6 hours);
        _split(alice, rootId, bob, 30 * UNIT);
        (,, uint256 sent) = note.transferLimitOf(alice, CURRENCY);
        assertEq(sent, 30 * UNIT);
    }

    function test_RollingLimit_StillCountedWithinTheWindow() public {
        _limit(alice, 30 * UNIT, 1 days);
        _split(alice, rootId, bob, 30 * UNIT);
        vm.warp(block.timestamp + 1 days - 1);
        vm.prank(alice);
        vm.expectRevert();
        note.transferFrom(rootId, bob, UNIT);
    }

    function test_RollingLimit_WholePieceCountsItsValue() public {
        _limit(bob, 99 * UNIT, 1 days);
        vm.prank(bob);
        vm.expectRevert(
            abi.encodeWithSelector(
                INoteCompliance.NoteRollingLimitExceeded.selector, bob, CURRENCY, 0, 100 * UNIT, 99 * UNIT
            )
        );
        note.transferFrom(bob, carol, bobId);
    }

    function test_RollingLimit_OnlyItsCurrencyAndOnlyPaymentsCount() public {
        _limit(alice, UNIT, 1 days);
        vm.prank(agent);
        note.setTransferLimit(alice, bytes8("USD"), UNIT, 1 days, REASON);
        uint256 mine = _split(alice, rootId, alice, 500 * UNIT);
        _merge(alice, mine, rootId, 500 * UNIT);
        vm.prank(redeemer);
        note.redeem(rootId, 200 * UNIT);
        (,, uint256 sent) = note.transferLimitOf(alice, CURRENCY);
        assertEq(sent, 0);
        _split(alice, rootId, bob, UNIT);
        (,, sent) = note.transferLimitOf(alice, bytes8("USD"));
        assertEq(sent, 0);
    }

    function test_RollingLimit_RemovedAndReplaced() public {
        _limit(alice, UNIT, 1 days);
        _limit(alice, 0, 0);
        (uint256 limit,,) = note.transferLimitOf(alice, CURRENCY);
        assertEq(limit, 0);
        _split(alice, rootId, bob, 500 * UNIT);
        assertEq(TransferLimitModule(note.limitModule()).currenciesOf(alice).length, 0);
    }

    function test_RollingLimit_AWindowChangeCarriesWhatWasCounted() public {
        _limit(alice, 50 * UNIT, 1 days);
        _split(alice, rootId, bob, 40 * UNIT);
        _limit(alice, 50 * UNIT, 7 days);
        (,, uint256 sent) = note.transferLimitOf(alice, CURRENCY);
        assertEq(sent, 40 * UNIT);
        vm.warp(block.timestamp + 2 days);
        vm.prank(alice);
        vm.expectRevert();
        note.transferFrom(rootId, bob, 11 * UNIT);
        // Lowering the limit below what was sent just blocks further sends.
        _limit(alice, 10 * UNIT, 7 days);
        vm.prank(alice);
        vm.expectRevert();
        note.transferFrom(rootId, bob, UNIT);
    }

    function test_RevertWhen_SetTransferLimitInvalid() public {
        vm.startPrank(agent);
        uint256[2][5] memory bad = [
            [uint256(0), 1 days],
            [UNIT, uint256(0)],
            [UNIT, 1 hours - 1],
            [UNIT, 366 days + 1],
            [uint256(type(uint96).max) + 1, 1 days]
        ];
        for (uint256 i; i < bad.length; ++i) {
            vm.expectRevert(
                abi.encodeWithSelector(INoteCompliance.NoteInvalidTransferLimit.selector, bad[i][0], bad[i][1])
            );
            note.setTransferLimit(alice, CURRENCY, bad[i][0], bad[i][1], REASON);
        }
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteInvalidCurrency.selector, bytes8(0), bytes8(0)));
        note.setTransferLimit(alice, bytes8(0), UNIT, 1 days, REASON);
        vm.expectRevert(IReceivableNote.NoteZeroAddress.selector);
        note.setTransferLimit(address(0), CURRENCY, UNIT, 1 days, REASON);
        vm.stopPrank();
    }

    function test_RevertWhen_TooManyLimitsForOneAccount() public {
        vm.startPrank(agent);
        for (uint256 i; i < 8; ++i) {
            note.setTransferLimit(alice, bytes8(uint64(0x4100 + i)), UNIT, 1 days, REASON);
        }
        vm.expectRevert(abi.encodeWithSelector(INoteCompliance.NoteTooManyTransferLimits.selector, alice, 8));
        note.setTransferLimit(alice, bytes8("ZZZ"), UNIT, 1 days, REASON);
        vm.stopPrank();
    }

    function test_RevertWhen_SetTransferLimitByNonAgent() public {
        vm.prank(admin);
        vm.expectRevert(_unauthorized(admin, COMPLIANCE_AGENT_ROLE));
        note.setTransferLimit(alice, CURRENCY, UNIT, 1 days, REASON);
    }

    function test_RevertWhen_LimitModuleCalledByAnyoneButTheNote() public {
        TransferLimitModule module = TransferLimitModule(note.limitModule());
        assertEq(module.note(), address(note));
        vm.expectRevert(abi.encodeWithSelector(TransferLimitModule.LimitModuleCallerNotNote.selector, agent));
        vm.prank(agent);
        module.consume(alice, CURRENCY, 1);
    }

    // ================================================================ voucher pause

    function test_PauseVoucher_StopsOnlyThatVoucher() public {
        (uint256 otherSlot, uint256 otherRoot) = _issue(alice, FACE, UNIT);
        vm.expectEmit(address(note));
        emit INoteCompliance.VoucherPaused(slot, pauser);
        vm.prank(pauser);
        note.pauseVoucher(slot);
        assertTrue(note.voucherOf(slot).paused);
        assertFalse(note.voucherOf(otherSlot).paused);

        bytes memory err = abi.encodeWithSelector(INoteCompliance.NoteVoucherPaused.selector, slot);
        vm.startPrank(alice);
        vm.expectRevert(err);
        note.transferFrom(rootId, carol, UNIT);
        vm.expectRevert(err);
        note.transferFrom(rootId, bobId, UNIT);
        vm.expectRevert(err);
        note.transferFrom(alice, carol, rootId);
        vm.stopPrank();
        vm.prank(redeemer);
        vm.expectRevert(err);
        note.redeem(rootId, UNIT);
        _split(alice, otherRoot, carol, UNIT);

        vm.expectEmit(address(note));
        emit INoteCompliance.VoucherUnpaused(slot, pauser);
        vm.prank(pauser);
        note.unpauseVoucher(slot);
        _split(alice, rootId, carol, UNIT);
    }

    function test_RevertWhen_PauseVoucherTwiceOrUnpauseARunningOne() public {
        vm.startPrank(pauser);
        note.pauseVoucher(slot);
        vm.expectRevert(abi.encodeWithSelector(INoteCompliance.NoteVoucherPaused.selector, slot));
        note.pauseVoucher(slot);
        note.unpauseVoucher(slot);
        vm.expectRevert(abi.encodeWithSelector(INoteCompliance.NoteVoucherNotPaused.selector, slot));
        note.unpauseVoucher(slot);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteUnknownVoucher.selector, 5));
        note.pauseVoucher(5);
        vm.stopPrank();
    }

    function test_RevertWhen_PauseVoucherByNonPauser() public {
        vm.prank(agent);
        vm.expectRevert(_unauthorized(agent, PAUSER_ROLE));
        note.pauseVoucher(slot);
    }

    function test_LedgerPause_StopsEverythingButAgentActions() public {
        _pause();
        vm.prank(alice);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        note.transferFrom(rootId, carol, UNIT);
        _freezeToken(rootId, true);
        _forced(rootId, carol, UNIT);
    }

    // ================================================================ KYC expiry on the note

    function test_RevertWhen_SenderOrRecipientKycExpired() public {
        _setIdentity(carol, true, block.timestamp + 10);
        _setIdentity(bob, true, block.timestamp + 10);
        vm.warp(block.timestamp + 10);
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(IReceivableNote.NoteParticipantKycExpired.selector, carol, block.timestamp)
        );
        note.transferFrom(rootId, carol, UNIT);
        vm.prank(bob);
        vm.expectRevert(
            abi.encodeWithSelector(IReceivableNote.NoteParticipantKycExpired.selector, bob, block.timestamp)
        );
        note.transferFrom(bobId, rootId, UNIT);
        // A renewed KYC restores both.
        _verify(bob);
        _merge(bob, bobId, rootId, UNIT);
    }
}
