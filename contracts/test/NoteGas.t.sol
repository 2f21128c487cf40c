// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {NoteTestBase} from "./NoteTestBase.sol";

/// @dev What a movement costs the note (its own execution, storage cold as in a real transaction; a
///      transaction adds 21,000 plus calldata), with ceilings that guard the storage layout. Measured
///      the same way on the note before the compliance controls (commit bb52439): split to a new holder
///      112,131; to a holder of other pieces 95,031; merge 39,276; whole piece 54,255; issue 158,191.
contract NoteGasTest is NoteTestBase {
    uint256 internal rootId;
    uint256 internal bobId;
    address internal newHolder = makeAddr("newHolder");

    function setUp() public override {
        super.setUp();
        (, rootId) = _issueToAlice();
        bobId = _split(alice, rootId, bob, UNIT);
        _verify(newHolder);
    }

    function _cold() internal {
        vm.cool(address(note));
        vm.cool(note.extension());
        vm.cool(address(registry));
        vm.cool(note.limitModule());
    }

    function _measure(string memory label, address caller, bytes memory data, uint256 ceiling) internal {
        _cold();
        vm.prank(caller);
        uint256 before = gasleft();
        (bool ok,) = address(note).call(data);
        uint256 used = before - gasleft();
        assertTrue(ok, label);
        emit log_named_uint(label, used);
        assertLt(used, ceiling, label);
    }

    function test_Gas_SplitToNewHolder() public {
        _measure(
            "gas: split to a new holder",
            alice,
            abi.encodeWithSignature("transferFrom(uint256,address,uint256)", rootId, newHolder, 10 * UNIT),
            118_000
        );
    }

    function test_Gas_SplitToExistingHolder() public {
        _measure(
            "gas: split to a holder of other pieces",
            alice,
            abi.encodeWithSignature("transferFrom(uint256,address,uint256)", rootId, bob, 10 * UNIT),
            101_000
        );
    }

    function test_Gas_Merge() public {
        _measure(
            "gas: merge",
            alice,
            abi.encodeWithSignature("transferFrom(uint256,uint256,uint256)", rootId, bobId, 10 * UNIT),
            48_000
        );
    }

    function test_Gas_WholePiece() public {
        _measure(
            "gas: whole piece to another holder",
            bob,
            abi.encodeWithSignature("transferFrom(address,address,uint256)", bob, carol, bobId),
            64_000
        );
    }

    function test_Gas_Redeem() public {
        _measure("gas: redeem", redeemer, abi.encodeWithSignature("redeem(uint256,uint256)", rootId, UNIT), 50_000);
    }

    function test_Gas_Issue() public {
        _measure(
            "gas: issue (through the extension)",
            issuer,
            abi.encodeCall(note.issue, (obligor, alice, CURRENCY, CURRENCY, FACE, UNIT, maturity, 0, DOC_HASH)),
            190_000
        );
    }

    function test_Gas_SplitOfALimitedSender() public {
        vm.prank(agent);
        note.setTransferLimit(alice, CURRENCY, FACE, 1 days, REASON);
        _split(alice, rootId, carol, UNIT);
        _measure(
            "gas: split by a sender with a rolling limit",
            alice,
            abi.encodeWithSignature("transferFrom(uint256,address,uint256)", rootId, newHolder, 10 * UNIT),
            140_000
        );
    }

    function test_Gas_SplitOfAPieceWithFrozenValue() public {
        vm.prank(agent);
        note.freezePartialValue(rootId, UNIT, REASON);
        _measure(
            "gas: split of a piece with frozen value",
            alice,
            abi.encodeWithSignature("transferFrom(uint256,address,uint256)", rootId, newHolder, 10 * UNIT),
            120_000
        );
    }
}
