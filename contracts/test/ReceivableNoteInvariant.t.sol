// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {StdInvariant} from "forge-std/StdInvariant.sol";
import {NoteTestBase} from "./NoteTestBase.sol";
import {IReceivableNote} from "../src/interfaces/IReceivableNote.sol";
import {ReceivableNoteHandler} from "./handlers/ReceivableNoteHandler.sol";
import {ERC3525ReceiverMock} from "./mocks/ReceiverMocks.sol";

/// forge-config: default.invariant.fail-on-revert = true
contract ReceivableNoteInvariantTest is NoteTestBase {
    ReceivableNoteHandler internal handler;

    function setUp() public override {
        super.setUp();
        // A contract actor makes every split, merge and transfer to it run the ERC-3525 receiver hook.
        ERC3525ReceiverMock contractActor = new ERC3525ReceiverMock();
        address dave = makeAddr("dave");
        _verify(dave);
        _verify(address(contractActor));

        address[] memory actors = new address[](5);
        actors[0] = alice;
        actors[1] = bob;
        actors[2] = carol;
        actors[3] = dave;
        actors[4] = address(contractActor);
        handler = new ReceivableNoteHandler(note, obligor, actors);

        vm.startPrank(admin);
        note.grantRole(ISSUER_ROLE, address(handler));
        note.grantRole(REDEEMER_ROLE, address(handler));
        vm.stopPrank();

        bytes4[] memory selectors = new bytes4[](7);
        selectors[0] = ReceivableNoteHandler.issue.selector;
        selectors[1] = ReceivableNoteHandler.split.selector;
        selectors[2] = ReceivableNoteHandler.splitWithAllowance.selector;
        selectors[3] = ReceivableNoteHandler.merge.selector;
        selectors[4] = ReceivableNoteHandler.transferToken.selector;
        selectors[5] = ReceivableNoteHandler.redeem.selector;
        selectors[6] = ReceivableNoteHandler.settleVoucher.selector;
        targetSelector(StdInvariant.FuzzSelector({addr: address(handler), selectors: selectors}));
        targetContract(address(handler));
    }

    /// @dev Sum of token values per slot, indexed by slot (index 0 unused).
    function _valueBySlot(uint256[] memory ids) internal view returns (uint256[] memory sums) {
        sums = new uint256[](note.voucherCount() + 1);
        for (uint256 i; i < ids.length; ++i) {
            sums[handler.ghostSlotOf(ids[i])] += note.balanceOf(ids[i]);
        }
    }

    function invariant_ValueConservedPerSlot() public view {
        uint256[] memory sums = _valueBySlot(handler.tokenIds());
        uint256 slots = note.voucherCount();
        for (uint256 slot = 1; slot <= slots; ++slot) {
            uint256 expected = handler.ghostIssued(slot) - handler.ghostRedeemed(slot);
            assertEq(sums[slot], expected, "sum of token values != issued - redeemed");
            assertEq(note.outstandingValueOf(slot), expected, "outstandingValueOf != issued - redeemed");
        }
    }

    function invariant_VoucherBookkeepingMatchesGhost() public view {
        uint256 slots = note.voucherCount();
        assertEq(slots, handler.ghostSlotCount(), "voucherCount");
        for (uint256 slot = 1; slot <= slots; ++slot) {
            IReceivableNote.Voucher memory v = note.voucherOf(slot);
            assertEq(v.faceValue, handler.ghostIssued(slot), "faceValue");
            assertEq(v.redeemedValue, handler.ghostRedeemed(slot), "redeemedValue");
            // A voucher is Redeemed exactly when nothing of it is left.
            bool allRedeemed = v.redeemedValue == v.faceValue;
            assertEq(v.status == IReceivableNote.VoucherStatus.Redeemed, allRedeemed, "status");
            assertEq(v.status == IReceivableNote.VoucherStatus.Active, !allRedeemed, "status");
        }
    }

    function invariant_TokenSlotNeverChanges() public view {
        uint256[] memory ids = handler.tokenIds();
        for (uint256 i; i < ids.length; ++i) {
            assertEq(note.slotOf(ids[i]), handler.ghostSlotOf(ids[i]), "slot changed");
        }
    }

    function invariant_LineageIsConsistent() public view {
        uint256[] memory ids = handler.tokenIds();
        for (uint256 i; i < ids.length; ++i) {
            uint256 id = ids[i];
            (uint256 parent, uint256 root, uint256 depth) = note.lineageOf(id);
            if (parent == 0) {
                assertEq(root, id, "a root token is its own root");
                assertEq(depth, 0, "a root token has depth 0");
                continue;
            }
            (, uint256 parentRoot, uint256 parentDepth) = note.lineageOf(parent);
            assertLt(parent, id, "parent minted after child");
            assertEq(note.slotOf(parent), note.slotOf(id), "parent in another slot");
            assertEq(depth, parentDepth + 1, "depth != parent depth + 1");
            assertEq(root, parentRoot, "root differs from parent's root");
            (uint256 rootParent,,) = note.lineageOf(root);
            assertEq(rootParent, 0, "root has a parent");
        }
    }

    function invariant_ValuesAreUnitMultiples() public view {
        uint256[] memory ids = handler.tokenIds();
        for (uint256 i; i < ids.length; ++i) {
            uint256 unit = note.voucherOf(note.slotOf(ids[i])).unit;
            assertEq(note.balanceOf(ids[i]) % unit, 0, "value not a unit multiple");
        }
    }

    function invariant_TokenCountMatchesGhost() public view {
        uint256[] memory ids = handler.tokenIds();
        assertEq(note.tokenCount(), ids.length, "tokenCount");
        for (uint256 i; i < ids.length; ++i) {
            assertEq(ids[i], i + 1, "token ids are not sequential");
            assertTrue(note.exists(ids[i]), "minted token missing");
        }
        assertFalse(note.exists(ids.length + 1), "token beyond tokenCount");
    }

    function invariant_EveryTokenHeldByACountedActor() public view {
        address[] memory actors = handler.actors();
        uint256 held;
        for (uint256 i; i < actors.length; ++i) {
            held += note.balanceOf(actors[i]);
        }
        assertEq(held, note.tokenCount(), "holder token counts do not add up");
    }
}
