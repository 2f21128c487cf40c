// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {NoteTestBase} from "./NoteTestBase.sol";
import {IReceivableNote} from "../src/interfaces/IReceivableNote.sol";

contract ReceivableNoteFuzzTest is NoteTestBase {
    /// @dev Largest unit tried: keeps room for a face value of many units below uint96.
    uint256 internal constant MAX_UNIT = 1e18;

    /// @dev Issues `faceUnits` whole units of a random unit to alice.
    function _issueRandom(uint256 unitSeed, uint256 faceUnitsSeed)
        internal
        returns (uint256 slot, uint256 tokenId, uint256 unit, uint256 faceUnits)
    {
        unit = bound(unitSeed, 1, MAX_UNIT);
        faceUnits = bound(faceUnitsSeed, 1, type(uint96).max / unit);
        (slot, tokenId) = _issue(alice, faceUnits * unit, unit);
    }

    function testFuzz_SplitConservesValue(uint256 unitSeed, uint256 faceUnitsSeed, uint256 amountSeed) public {
        (uint256 slot, uint256 rootId, uint256 unit, uint256 faceUnits) = _issueRandom(unitSeed, faceUnitsSeed);
        uint256 face = faceUnits * unit;
        uint256 value = bound(amountSeed, 1, faceUnits) * unit;

        uint256 child = _split(alice, rootId, bob, value);

        assertEq(note.balanceOf(child), value);
        assertEq(note.balanceOf(rootId), face - value);
        assertEq(note.balanceOf(rootId) + note.balanceOf(child), face);
        assertEq(note.outstandingValueOf(slot), face);
        assertEq(note.balanceOf(child) % unit, 0);
        assertEq(note.balanceOf(rootId) % unit, 0);
        (uint256 parent, uint256 root, uint256 depth) = note.lineageOf(child);
        assertEq(parent, rootId);
        assertEq(root, rootId);
        assertEq(depth, 1);
    }

    function testFuzz_MergeConservesValue(
        uint256 unitSeed,
        uint256 faceUnitsSeed,
        uint256 splitSeed,
        uint256 mergeSeed,
        bool mergeBack
    ) public {
        (uint256 slot, uint256 rootId, uint256 unit, uint256 faceUnits) = _issueRandom(unitSeed, faceUnitsSeed);
        uint256 splitUnits = bound(splitSeed, 1, faceUnits);
        uint256 child = _split(alice, rootId, bob, splitUnits * unit);

        // Merge either from the child back into the root or from the root into the child.
        if (mergeBack) {
            _checkMerge(bob, child, rootId, bound(mergeSeed, 1, splitUnits) * unit, unit);
        } else {
            vm.assume(faceUnits > splitUnits);
            _checkMerge(alice, rootId, child, bound(mergeSeed, 1, faceUnits - splitUnits) * unit, unit);
        }
        assertEq(note.balanceOf(rootId) + note.balanceOf(child), faceUnits * unit);
        assertEq(note.outstandingValueOf(slot), faceUnits * unit);
        assertEq(note.tokenCount(), 2);
    }

    function _checkMerge(address sender, uint256 from, uint256 to, uint256 value, uint256 unit) internal {
        uint256 fromBefore = note.balanceOf(from);
        uint256 toBefore = note.balanceOf(to);
        _merge(sender, from, to, value);
        assertEq(note.balanceOf(from), fromBefore - value);
        assertEq(note.balanceOf(to), toBefore + value);
        assertEq(note.balanceOf(from) % unit, 0);
        assertEq(note.balanceOf(to) % unit, 0);
    }

    function testFuzz_SplitChainIncrementsDepth(uint8 stepsSeed, uint256 amountSeed) public {
        uint256 steps = bound(stepsSeed, 1, 24);
        (uint256 slot, uint256 rootId) = _issue(alice, 1_000_000 * UNIT, UNIT);
        address[3] memory holders = [alice, bob, carol];

        uint256 current = rootId;
        uint256 total = note.balanceOf(rootId);
        uint256[] memory ids = new uint256[](steps + 1);
        ids[0] = rootId;
        for (uint256 i = 1; i <= steps; ++i) {
            uint256 available = note.balanceOf(current) / UNIT;
            uint256 value = bound(uint256(keccak256(abi.encode(amountSeed, i))), 1, available) * UNIT;
            address holder = note.ownerOf(current);
            address to = holders[i % 3] == holder ? holders[(i + 1) % 3] : holders[i % 3];

            uint256 next = _split(holder, current, to, value);

            (uint256 parent, uint256 root, uint256 depth) = note.lineageOf(next);
            assertEq(parent, current);
            assertEq(root, rootId);
            assertEq(depth, i);
            assertGt(next, current);
            ids[i] = next;
            current = next;
        }

        uint256 sum;
        for (uint256 i; i < ids.length; ++i) {
            sum += note.balanceOf(ids[i]);
            assertEq(note.balanceOf(ids[i]) % UNIT, 0);
        }
        assertEq(sum, total);
        assertEq(note.outstandingValueOf(slot), total);
    }

    function testFuzz_RevertWhen_SplitNotUnitMultiple(uint256 unitSeed, uint256 unitsSeed, uint256 remainderSeed)
        public
    {
        uint256 unit = bound(unitSeed, 2, 1e12);
        (uint256 slot, uint256 rootId) = _issue(alice, 1000 * unit, unit);
        uint256 value = bound(unitsSeed, 0, 999) * unit + bound(remainderSeed, 1, unit - 1);

        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteValueNotUnitMultiple.selector, slot, value, unit));
        note.transferFrom(rootId, bob, value);
    }

    function testFuzz_RevertWhen_MergeNotUnitMultiple(uint256 unitSeed, uint256 unitsSeed, uint256 remainderSeed)
        public
    {
        uint256 unit = bound(unitSeed, 2, 1e12);
        (uint256 slot, uint256 rootId) = _issue(alice, 1000 * unit, unit);
        uint256 child = _split(alice, rootId, bob, unit);
        uint256 value = bound(unitsSeed, 0, 998) * unit + bound(remainderSeed, 1, unit - 1);

        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteValueNotUnitMultiple.selector, slot, value, unit));
        note.transferFrom(rootId, child, value);
    }

    function testFuzz_RevertWhen_RedeemNotUnitMultiple(uint256 unitSeed, uint256 unitsSeed, uint256 remainderSeed)
        public
    {
        uint256 unit = bound(unitSeed, 2, 1e12);
        (uint256 slot, uint256 rootId) = _issue(alice, 1000 * unit, unit);
        uint256 value = bound(unitsSeed, 0, 999) * unit + bound(remainderSeed, 1, unit - 1);

        vm.prank(redeemer);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteValueNotUnitMultiple.selector, slot, value, unit));
        note.redeem(rootId, value);
    }

    function testFuzz_RevertWhen_IssueFaceNotUnitMultiple(uint256 unitSeed, uint256 unitsSeed, uint256 remainderSeed)
        public
    {
        uint256 unit = bound(unitSeed, 2, 1e12);
        uint256 face = bound(unitsSeed, 0, 1e6) * unit + bound(remainderSeed, 1, unit - 1);
        vm.prank(issuer);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteInvalidFaceValue.selector, face, unit));
        note.issue(obligor, alice, CURRENCY, CURRENCY, face, unit, maturity, 0, DOC_HASH);
    }

    function testFuzz_RevertWhen_SplitExceedsValue(uint256 unitSeed, uint256 faceUnitsSeed, uint256 extraSeed) public {
        uint256 unit = bound(unitSeed, 1, 1e12);
        uint256 faceUnits = bound(faceUnitsSeed, 1, 1e6);
        (, uint256 rootId) = _issue(alice, faceUnits * unit, unit);
        uint256 value = (faceUnits + bound(extraSeed, 1, 1e6)) * unit;

        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(IReceivableNote.NoteInsufficientValue.selector, rootId, faceUnits * unit, value)
        );
        note.transferFrom(rootId, bob, value);
    }

    function testFuzz_AllowanceIsSpentExactly(uint256 allowanceUnits, uint256 spendUnits) public {
        (, uint256 rootId) = _issueToAlice();
        uint256 faceUnits = FACE / UNIT;
        uint256 allowed = bound(allowanceUnits, 1, faceUnits) * UNIT;
        uint256 spend = bound(spendUnits, 1, faceUnits) * UNIT;
        vm.prank(alice);
        note.approve(rootId, carol, allowed);

        if (spend > allowed) {
            vm.prank(carol);
            vm.expectRevert(
                abi.encodeWithSelector(
                    IReceivableNote.NoteInsufficientAllowance.selector, rootId, carol, allowed, spend
                )
            );
            note.transferFrom(rootId, bob, spend);
        } else {
            _split(carol, rootId, bob, spend);
            assertEq(note.allowance(rootId, carol), allowed - spend);
            assertEq(note.balanceOf(rootId), FACE - spend);
        }
    }

    function testFuzz_RedeemReducesOutstanding(uint256 splitSeed, uint256 redeemSeed) public {
        (uint256 slot, uint256 rootId) = _issueToAlice();
        uint256 faceUnits = FACE / UNIT;
        uint256 splitUnits = bound(splitSeed, 1, faceUnits);
        uint256 child = _split(alice, rootId, bob, splitUnits * UNIT);
        uint256 value = bound(redeemSeed, 1, splitUnits) * UNIT;

        vm.prank(redeemer);
        note.redeem(child, value);

        assertEq(note.outstandingValueOf(slot), FACE - value);
        assertEq(note.balanceOf(rootId) + note.balanceOf(child), FACE - value);
        assertEq(note.voucherOf(slot).redeemedValue, value);
        IReceivableNote.VoucherStatus expected =
            value == FACE ? IReceivableNote.VoucherStatus.Redeemed : IReceivableNote.VoucherStatus.Active;
        assertEq(uint8(note.voucherOf(slot).status), uint8(expected));
    }
}
