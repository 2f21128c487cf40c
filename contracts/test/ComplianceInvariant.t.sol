// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {StdInvariant} from "forge-std/StdInvariant.sol";
import {NoteTestBase} from "./NoteTestBase.sol";
import {ComplianceHandler} from "./handlers/ComplianceHandler.sol";

/// forge-config: default.invariant.fail-on-revert = true
/// forge-config: default.invariant.runs = 128
contract ComplianceInvariantTest is NoteTestBase {
    uint256 internal constant WINDOW = 1 days;
    uint256 internal constant ALICE_LIMIT = 60_000;
    uint256 internal constant BOB_LIMIT = 20_000;

    ComplianceHandler internal handler;
    address internal dave = makeAddr("dave");

    function setUp() public override {
        super.setUp();
        _verify(dave);
        (uint256 slot, uint256 rootId) = _issueToAlice();
        vm.startPrank(agent);
        note.setTransferCap(slot, 50_000, REASON);
        note.setTransferLimit(alice, CURRENCY, ALICE_LIMIT, WINDOW, REASON);
        note.setTransferLimit(bob, CURRENCY, BOB_LIMIT, WINDOW, REASON);
        vm.stopPrank();

        address[] memory actors = new address[](4);
        actors[0] = alice;
        actors[1] = bob;
        actors[2] = carol;
        actors[3] = dave;
        handler = new ComplianceHandler(note, agent, slot, rootId, actors);
        targetContract(address(handler));
    }

    /// Frozen value never moves: a frozen piece or a frozen holder's piece keeps its value and holder
    /// through every holder transfer, and no piece ever holds less than its frozen value.
    function invariant_FrozenValueNeverMoves() public view {
        assertEq(handler.ghostFrozenMoved(), 0, "a frozen piece moved");
        assertEq(handler.ghostFrozenValueBroken(), 0, "frozen value left its piece");
        uint256[] memory ids = handler.tokens();
        for (uint256 i; i < ids.length; ++i) {
            assertLe(note.frozenValueOf(ids[i]), note.balanceOf(ids[i]));
        }
    }

    /// Within any window of the limit's length, what a limited holder sent never exceeds its limit.
    /// The largest window total is reached by a window starting at one of the sends, so checking
    /// [t_i, t_i + W) for every send i checks every window.
    function invariant_RollingLimitNeverExceededInAnyWindow() public view {
        _checkWindows(alice, ALICE_LIMIT);
        _checkWindows(bob, BOB_LIMIT);
    }

    function _checkWindows(address actor, uint256 limit) internal view {
        ComplianceHandler.Send[] memory sends = handler.sendsOf(actor);
        for (uint256 i; i < sends.length; ++i) {
            uint256 total;
            for (uint256 j; j < sends.length; ++j) {
                if (sends[j].at >= sends[i].at && sends[j].at < sends[i].at + WINDOW) total += sends[j].value;
            }
            assertLe(total, limit, "a window's sends exceed the limit");
        }
    }

    /// Forced transfers conserve value and keep lineage; so does everything else.
    function invariant_ForcedTransfersConserveValueAndKeepLineage() public view {
        assertEq(handler.ghostForcedBroke(), 0, "a forced transfer broke value or lineage");
        uint256[] memory ids = handler.tokens();
        uint256 sum;
        for (uint256 i; i < ids.length; ++i) {
            uint256 id = ids[i];
            sum += note.balanceOf(id);
            assertEq(note.balanceOf(id) % UNIT, 0);
            (uint256 parent, uint256 root, uint256 depth) = note.lineageOf(id);
            if (parent == 0) {
                assertEq(root, id);
                continue;
            }
            (, uint256 parentRoot, uint256 parentDepth) = note.lineageOf(parent);
            assertLt(parent, id);
            assertEq(root, parentRoot);
            assertEq(depth, parentDepth + 1);
        }
        assertEq(sum, FACE);
        assertEq(note.outstandingValueOf(handler.slot()), FACE);
        assertEq(note.tokenCount(), ids.length);
    }
}
