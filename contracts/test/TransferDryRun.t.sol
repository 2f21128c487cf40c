// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {TwoPiecesTestBase} from "./NoteTestBase.sol";
import {IReceivableNote} from "../src/interfaces/IReceivableNote.sol";
import {INoteCompliance, TransferCheck} from "../src/interfaces/INoteCompliance.sol";

/// @dev `checkTransfer`: every reason a split or merge would fail, as one bitmask, and its agreement
///      with the transfer itself.
contract TransferDryRunTest is TwoPiecesTestBase {
    function _bit(uint256 reason) internal pure returns (uint256) {
        return 1 << reason;
    }

    function _split(uint256 value) internal view returns (uint256) {
        return note.checkTransfer(alice, rootId, carol, value);
    }

    // ------------------------------------------------------------ the published bit numbers

    function test_BitNumbersArePinned() public pure {
        // The service decodes the mask with these numbers: changing one is an interface change.
        assertEq(TransferCheck.UNKNOWN_TOKEN, 0);
        assertEq(TransferCheck.SENDER_NOT_VERIFIED, 1);
        assertEq(TransferCheck.SENDER_KYC_EXPIRED, 2);
        assertEq(TransferCheck.SENDER_FROZEN, 3);
        assertEq(TransferCheck.RECIPIENT_NOT_VERIFIED, 4);
        assertEq(TransferCheck.RECIPIENT_KYC_EXPIRED, 5);
        assertEq(TransferCheck.RECIPIENT_FROZEN, 6);
        assertEq(TransferCheck.TOKEN_FROZEN, 7);
        assertEq(TransferCheck.VALUE_ABOVE_UNFROZEN, 8);
        assertEq(TransferCheck.INSUFFICIENT_VALUE, 9);
        assertEq(TransferCheck.NOT_UNIT_MULTIPLE, 10);
        assertEq(TransferCheck.CAP_EXCEEDED, 11);
        assertEq(TransferCheck.ROLLING_LIMIT_EXCEEDED, 12);
        assertEq(TransferCheck.LEDGER_PAUSED, 13);
        assertEq(TransferCheck.VOUCHER_PAUSED, 14);
        assertEq(TransferCheck.VOUCHER_MATURED, 15);
        assertEq(TransferCheck.VOUCHER_NOT_ACTIVE, 16);
        assertEq(TransferCheck.SLOT_MISMATCH, 17);
        assertEq(TransferCheck.OPERATOR_NOT_APPROVED, 18);
        assertEq(TransferCheck.LINEAGE_TOO_DEEP, 19);
        assertEq(TransferCheck.RECIPIENT_ZERO_ADDRESS, 20);
        assertEq(TransferCheck.SAME_TOKEN, 21);
    }

    // ------------------------------------------------------------ nothing to report

    function test_CheckTransfer_ZeroForTransfersThatPass() public view {
        assertEq(_split(UNIT), 0);
        assertEq(_split(0), 0);
        assertEq(note.checkTransfer(alice, rootId, alice, UNIT), 0, "a split to oneself");
        assertEq(note.checkTransfer(alice, rootId, bobId, UNIT), 0, "a merge");
        assertEq(note.checkTransfer(bob, bobId, rootId, 0), 0, "a zero-value merge");
    }

    // ------------------------------------------------------------ each reason alone

    function test_CheckTransfer_UnknownTokens() public view {
        assertEq(note.checkTransfer(alice, 77, carol, UNIT), _bit(TransferCheck.UNKNOWN_TOKEN));
        assertEq(note.checkTransfer(alice, rootId, 77, UNIT), _bit(TransferCheck.UNKNOWN_TOKEN));
    }

    function test_CheckTransfer_SenderNotVerifiedVersusKycExpired() public {
        _revoke(alice);
        assertEq(_split(UNIT), _bit(TransferCheck.SENDER_NOT_VERIFIED));
        _setIdentity(alice, true, block.timestamp + 1);
        vm.warp(block.timestamp + 1);
        assertEq(_split(UNIT), _bit(TransferCheck.SENDER_KYC_EXPIRED));
    }

    function test_CheckTransfer_RecipientNotVerifiedVersusKycExpired() public {
        assertEq(note.checkTransfer(alice, rootId, outsider, UNIT), _bit(TransferCheck.RECIPIENT_NOT_VERIFIED));
        _setIdentity(carol, true, block.timestamp + 1);
        vm.warp(block.timestamp + 1);
        assertEq(_split(UNIT), _bit(TransferCheck.RECIPIENT_KYC_EXPIRED));
    }

    function test_CheckTransfer_Freezes() public {
        vm.startPrank(agent);
        note.setAddressFrozen(alice, true, REASON);
        assertEq(_split(UNIT), _bit(TransferCheck.SENDER_FROZEN));
        note.setAddressFrozen(alice, false, REASON);
        note.setAddressFrozen(carol, true, REASON);
        assertEq(_split(UNIT), _bit(TransferCheck.RECIPIENT_FROZEN));
        note.setAddressFrozen(carol, false, REASON);
        note.setTokenFrozen(rootId, true, REASON);
        assertEq(_split(UNIT), _bit(TransferCheck.TOKEN_FROZEN));
        note.setTokenFrozen(rootId, false, REASON);
        note.setTokenFrozen(bobId, true, REASON);
        assertEq(note.checkTransfer(alice, rootId, bobId, UNIT), _bit(TransferCheck.TOKEN_FROZEN), "frozen target");
        note.freezePartialValue(rootId, FACE - 200 * UNIT, REASON);
        vm.stopPrank();
        assertEq(_split(100 * UNIT), 0);
        assertEq(_split(101 * UNIT), _bit(TransferCheck.VALUE_ABOVE_UNFROZEN));
    }

    function test_CheckTransfer_Amounts() public view {
        uint256 balance = note.balanceOf(rootId);
        assertEq(_split(UNIT + 1), _bit(TransferCheck.NOT_UNIT_MULTIPLE));
        assertEq(_split(balance + UNIT), _bit(TransferCheck.INSUFFICIENT_VALUE));
        assertEq(_split(balance + 1), _bit(TransferCheck.INSUFFICIENT_VALUE) | _bit(TransferCheck.NOT_UNIT_MULTIPLE));
    }

    function test_CheckTransfer_CapAndRollingLimit() public {
        vm.startPrank(agent);
        note.setTransferCap(slot, 10 * UNIT, REASON);
        note.setTransferLimit(alice, CURRENCY, 15 * UNIT, 1 days, REASON);
        vm.stopPrank();
        assertEq(_split(10 * UNIT), 0);
        assertEq(_split(11 * UNIT), _bit(TransferCheck.CAP_EXCEEDED));
        assertEq(note.checkTransfer(alice, rootId, alice, 11 * UNIT), 0, "own pieces are exempt");
        _split(alice, rootId, carol, 10 * UNIT);
        assertEq(_split(5 * UNIT), 0);
        assertEq(_split(6 * UNIT), _bit(TransferCheck.ROLLING_LIMIT_EXCEEDED));
        assertEq(_split(16 * UNIT), _bit(TransferCheck.ROLLING_LIMIT_EXCEEDED) | _bit(TransferCheck.CAP_EXCEEDED));
    }

    function test_CheckTransfer_Pauses() public {
        _pause();
        assertEq(_split(UNIT), _bit(TransferCheck.LEDGER_PAUSED));
        vm.startPrank(pauser);
        note.unpause();
        note.pauseVoucher(slot);
        vm.stopPrank();
        assertEq(_split(UNIT), _bit(TransferCheck.VOUCHER_PAUSED));
    }

    function test_CheckTransfer_MaturedAndNotActive() public {
        vm.warp(maturity);
        assertEq(_split(UNIT), _bit(TransferCheck.VOUCHER_MATURED));
        vm.startPrank(redeemer);
        note.redeem(bobId, 100 * UNIT);
        note.redeem(rootId, FACE - 100 * UNIT);
        vm.stopPrank();
        assertEq(_split(0), _bit(TransferCheck.VOUCHER_MATURED) | _bit(TransferCheck.VOUCHER_NOT_ACTIVE));
    }

    function test_CheckTransfer_MergeShape() public {
        (, uint256 otherRoot) = _issue(bob, FACE, UNIT);
        assertEq(note.checkTransfer(alice, rootId, otherRoot, UNIT), _bit(TransferCheck.SLOT_MISMATCH));
        assertEq(note.checkTransfer(alice, rootId, rootId, UNIT), _bit(TransferCheck.SAME_TOKEN));
    }

    function test_CheckTransfer_Operator() public {
        assertEq(note.checkTransfer(carol, rootId, carol, UNIT), _bit(TransferCheck.OPERATOR_NOT_APPROVED));
        assertEq(note.checkTransfer(carol, rootId, carol, 0), _bit(TransferCheck.OPERATOR_NOT_APPROVED), "no grant");
        vm.prank(alice);
        note.approve(rootId, carol, 2 * UNIT);
        assertEq(note.checkTransfer(carol, rootId, carol, 2 * UNIT), 0);
        assertEq(note.checkTransfer(carol, rootId, carol, 3 * UNIT), _bit(TransferCheck.OPERATOR_NOT_APPROVED));
        vm.prank(alice);
        note.setApprovalForSlot(alice, slot, carol, true);
        assertEq(note.checkTransfer(carol, rootId, carol, 300 * UNIT), 0);
    }

    function test_CheckTransfer_RecipientZeroAddress() public view {
        assertEq(_splitTo(address(0)), _bit(TransferCheck.RECIPIENT_ZERO_ADDRESS));
    }

    function _splitTo(address to) internal view returns (uint256) {
        return note.checkTransfer(alice, rootId, to, UNIT);
    }

    function test_CheckTransfer_LineageTooDeep() public {
        bytes32 key = keccak256(abi.encode(rootId, TOKENS_MAPPING_SLOT));
        uint256 word = uint256(vm.load(address(note), key));
        vm.store(address(note), key, bytes32(word | (uint256(type(uint16).max) << 208)));
        (,, uint256 depth) = note.lineageOf(rootId);
        assertEq(depth, type(uint16).max, "token storage layout moved");
        assertEq(_split(UNIT), _bit(TransferCheck.LINEAGE_TOO_DEEP));
        assertEq(note.checkTransfer(alice, rootId, bobId, UNIT), 0, "a merge creates no piece");
    }

    // ------------------------------------------------------------ every reason at once

    function test_CheckTransfer_ReportsEveryReasonAtOnce() public {
        vm.startPrank(agent);
        note.setTransferCap(slot, UNIT, REASON);
        note.setTransferLimit(alice, CURRENCY, UNIT, 1 days, REASON);
        note.freezePartialValue(rootId, UNIT, REASON);
        note.setTokenFrozen(rootId, true, REASON);
        note.setAddressFrozen(alice, true, REASON);
        note.setAddressFrozen(carol, true, REASON);
        vm.stopPrank();
        _setIdentity(alice, true, block.timestamp + 1);
        _revoke(carol);
        vm.prank(pauser);
        note.pauseVoucher(slot);
        _pause();
        vm.warp(maturity);

        uint256 expected = _bit(TransferCheck.SENDER_KYC_EXPIRED) | _bit(TransferCheck.SENDER_FROZEN)
            | _bit(TransferCheck.RECIPIENT_NOT_VERIFIED) | _bit(TransferCheck.RECIPIENT_FROZEN)
            | _bit(TransferCheck.TOKEN_FROZEN) | _bit(TransferCheck.VALUE_ABOVE_UNFROZEN)
            | _bit(TransferCheck.INSUFFICIENT_VALUE) | _bit(TransferCheck.NOT_UNIT_MULTIPLE)
            | _bit(TransferCheck.CAP_EXCEEDED) | _bit(TransferCheck.ROLLING_LIMIT_EXCEEDED)
            | _bit(TransferCheck.LEDGER_PAUSED) | _bit(TransferCheck.VOUCHER_PAUSED)
            | _bit(TransferCheck.VOUCHER_MATURED) | _bit(TransferCheck.OPERATOR_NOT_APPROVED);
        assertEq(note.checkTransfer(outsider, rootId, carol, FACE + 1), expected);
    }

    // ------------------------------------------------------------ the dry run agrees with the transfer

    /// @dev Each control fires on about one run in eight (`_rare`), so that runs where every check passes
    ///      are common too and both directions of the agreement are exercised.
    struct Scenario {
        uint8 ledgerPaused;
        uint8 voucherPaused;
        uint8 matured;
        uint8 senderState; // rare: revoked or KYC expired
        uint8 recipientState;
        uint8 senderFrozen;
        uint8 recipientFrozen;
        uint8 tokenFrozen;
        uint8 frozenUnits;
        uint8 capUnits; // 0: no cap
        uint8 limitUnits; // 0: no limit
        uint8 operator; // 0 holder, 1 stranger, 2 spender with an allowance
        uint8 allowanceUnits;
        bool merge;
        uint16 valueUnits;
        bool offUnit;
    }

    function _rare(uint8 seed) internal pure returns (bool) {
        return seed % 8 == 0;
    }

    function testFuzz_CheckTransferIsZeroExactlyWhenTheTransferPasses(Scenario memory s) public {
        uint256 value = uint256(bound(s.valueUnits, 0, 120)) * UNIT + (s.offUnit && s.valueUnits % 4 == 0 ? 1 : 0);
        address operator = _arrange(s);
        uint256 reasons = s.merge
            ? note.checkTransfer(operator, bobId, rootId, value)
            : note.checkTransfer(operator, bobId, carol, value);

        vm.prank(operator);
        bool ok;
        bytes memory err;
        if (s.merge) {
            (ok, err) = address(note)
                .call(abi.encodeWithSignature("transferFrom(uint256,uint256,uint256)", bobId, rootId, value));
        } else {
            (ok, err) = address(note)
                .call(abi.encodeWithSignature("transferFrom(uint256,address,uint256)", bobId, carol, value));
        }
        assertEq(ok, reasons == 0, "the dry run and the transfer disagree");
        if (!ok) assertTrue(_errorMatches(bytes4(err), reasons), "the error is not one of the reasons reported");
    }

    /// @dev Sets up `s` around bob's piece (100 units) and returns the operator that will act.
    function _arrange(Scenario memory s) internal returns (address operator) {
        vm.startPrank(agent);
        if (_rare(s.capUnits)) note.setTransferCap(slot, uint256(s.capUnits / 8 + 1) * UNIT, REASON);
        if (_rare(s.limitUnits)) {
            note.setTransferLimit(bob, CURRENCY, uint256(s.limitUnits / 8 + 1) * UNIT, 1 days, REASON);
        }
        if (_rare(s.frozenUnits)) note.freezePartialValue(bobId, bound(s.frozenUnits / 8, 1, 100) * UNIT, REASON);
        if (_rare(s.tokenFrozen)) note.setTokenFrozen(bobId, true, REASON);
        if (_rare(s.senderFrozen)) note.setAddressFrozen(bob, true, REASON);
        // For a merge the recipient is alice (rootId's holder), for a split carol.
        if (_rare(s.recipientFrozen)) note.setAddressFrozen(s.merge ? alice : carol, true, REASON);
        vm.stopPrank();
        _arrangeIdentity(bob, s.senderState);
        _arrangeIdentity(s.merge ? alice : carol, s.recipientState);
        operator = s.operator % 3 == 0 ? bob : makeAddr("operator");
        if (s.operator % 3 == 2) {
            vm.prank(bob);
            note.approve(bobId, operator, uint256(s.allowanceUnits) * UNIT);
        }
        if (_rare(s.voucherPaused)) {
            vm.prank(pauser);
            note.pauseVoucher(slot);
        }
        if (_rare(s.ledgerPaused)) _pause();
        if (_rare(s.matured)) vm.warp(maturity);
        else vm.warp(block.timestamp + 2);
    }

    function _arrangeIdentity(address account, uint8 state) internal {
        if (state % 16 == 1) _revoke(account);
        if (state % 16 == 2) _setIdentity(account, true, block.timestamp + 1); // expired by the warp
    }

    function _errorMatches(bytes4 selector, uint256 reasons) internal pure returns (bool) {
        bytes4[22] memory errors = [
            IReceivableNote.NoteNonexistentToken.selector,
            IReceivableNote.NoteParticipantNotVerified.selector,
            IReceivableNote.NoteParticipantKycExpired.selector,
            INoteCompliance.NoteAddressFrozen.selector,
            IReceivableNote.NoteParticipantNotVerified.selector,
            IReceivableNote.NoteParticipantKycExpired.selector,
            INoteCompliance.NoteAddressFrozen.selector,
            INoteCompliance.NoteTokenFrozen.selector,
            INoteCompliance.NoteValueFrozen.selector,
            IReceivableNote.NoteInsufficientValue.selector,
            IReceivableNote.NoteValueNotUnitMultiple.selector,
            INoteCompliance.NoteTransferCapExceeded.selector,
            INoteCompliance.NoteRollingLimitExceeded.selector,
            Pausable.EnforcedPause.selector,
            INoteCompliance.NoteVoucherPaused.selector,
            IReceivableNote.NoteVoucherMatured.selector,
            IReceivableNote.NoteVoucherNotActive.selector,
            IReceivableNote.NoteSlotMismatch.selector,
            IReceivableNote.NoteInsufficientAllowance.selector,
            IReceivableNote.NoteLineageTooDeep.selector,
            IReceivableNote.NoteZeroAddress.selector,
            IReceivableNote.NoteSameToken.selector
        ];
        for (uint256 i; i < errors.length; ++i) {
            if (reasons & (1 << i) != 0 && errors[i] == selector) return true;
        }
        return false;
    }
}
