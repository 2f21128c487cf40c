// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {CommonBase} from "forge-std/Base.sol";
import {StdUtils} from "forge-std/StdUtils.sol";
import {ICascadeNote} from "../../src/interfaces/ICascadeNote.sol";

/// @dev Drives one voucher with holder transfers that may be refused (splits, merges, whole pieces,
///      by holders and by strangers) interleaved with the compliance agent's freezes, partial freezes
///      and forced transfers, and with time. Around every holder transfer it checks that nothing frozen
///      moved; around every forced transfer that value and lineage were kept; and it logs every counted
///      send of the limited actors so the invariant can check every window.
contract ComplianceHandler is CommonBase, StdUtils {
    struct Send {
        uint256 at;
        uint256 value;
    }

    struct Snapshot {
        address owner;
        uint256 balance;
        uint256 frozenValue;
        bool pinned; // the piece is frozen or its holder is: nothing may change
    }

    uint256 public constant MAX_TOKENS = 40;
    bytes32 internal constant REASON = bytes32("INVARIANT");

    ICascadeNote public immutable note;
    address internal immutable agent;
    uint256 public immutable slot;
    uint256 public immutable unit;

    address[] internal _actors;
    uint256[] internal _tokens;
    mapping(address actor => Send[]) internal _sends;

    uint256 public ghostFrozenMoved;
    uint256 public ghostFrozenValueBroken;
    uint256 public ghostForcedBroke;
    uint256 public ghostAccepted;
    uint256 public ghostRefused;
    uint256 public ghostForced;
    mapping(bytes32 action => uint256) public calls;

    constructor(ICascadeNote note_, address agent_, uint256 slot_, uint256 rootTokenId, address[] memory actors_) {
        note = note_;
        agent = agent_;
        slot = slot_;
        unit = note_.voucherOf(slot_).unit;
        _actors = actors_;
        _tokens.push(rootTokenId);
    }

    // ------------------------------------------------------------ ghost access

    function tokens() external view returns (uint256[] memory) {
        return _tokens;
    }

    function sendsOf(address actor) external view returns (Send[] memory) {
        return _sends[actor];
    }

    // ------------------------------------------------------------ holder transfers (may be refused)

    /// @dev One split in four is attempted by a stranger (refused unless it happens to hold the piece).
    function split(uint256 tokenSeed, uint256 toSeed, uint256 valueSeed, uint8 strangerSeed) external {
        if (_tokens.length >= MAX_TOKENS) return;
        uint256 tokenId = _token(tokenSeed);
        address holder = note.ownerOf(tokenId);
        address to = _actor(toSeed);
        uint256 value = _value(tokenId, valueSeed);
        Snapshot[] memory before = _snapshot();
        vm.prank(strangerSeed % 4 == 0 ? _actor(toSeed / 2) : holder);
        try note.transferFrom(tokenId, to, value) returns (uint256 newId) {
            _tokens.push(newId);
            _accepted(holder, to, value);
        } catch {
            ghostRefused += 1;
        }
        _checkNothingFrozenMoved(before);
        calls["split"] += 1;
    }

    function merge(uint256 fromSeed, uint256 toSeed, uint256 valueSeed) external {
        uint256 fromId = _token(fromSeed);
        uint256 toId = _token(toSeed);
        address holder = note.ownerOf(fromId);
        address to = note.ownerOf(toId);
        uint256 value = _value(fromId, valueSeed);
        Snapshot[] memory before = _snapshot();
        vm.prank(holder);
        try note.transferFrom(fromId, toId, value) {
            _accepted(holder, to, value);
        } catch {
            ghostRefused += 1;
        }
        _checkNothingFrozenMoved(before);
        calls["merge"] += 1;
    }

    function handOver(uint256 tokenSeed, uint256 toSeed) external {
        uint256 tokenId = _token(tokenSeed);
        address holder = note.ownerOf(tokenId);
        address to = _actor(toSeed);
        uint256 value = note.balanceOf(tokenId);
        Snapshot[] memory before = _snapshot();
        vm.prank(holder);
        try note.transferFrom(holder, to, tokenId) {
            _accepted(holder, to, value);
        } catch {
            ghostRefused += 1;
        }
        _checkNothingFrozenMoved(before);
        calls["handOver"] += 1;
    }

    // ------------------------------------------------------------ the compliance agent

    /// @dev Freezes one time in three, unfreezes otherwise, so that most of the time most can move.
    function freezeAddress(uint256 actorSeed, uint8 frozenSeed) external {
        vm.prank(agent);
        note.setAddressFrozen(_actor(actorSeed), frozenSeed % 3 == 0, REASON);
        calls["freezeAddress"] += 1;
    }

    function freezeToken(uint256 tokenSeed, uint8 frozenSeed) external {
        vm.prank(agent);
        note.setTokenFrozen(_token(tokenSeed), frozenSeed % 3 == 0, REASON);
        calls["freezeToken"] += 1;
    }

    function freezeValue(uint256 tokenSeed, uint256 valueSeed, bool freeze) external {
        uint256 tokenId = _token(tokenSeed);
        uint256 frozen = note.frozenValueOf(tokenId);
        uint256 room = freeze ? note.balanceOf(tokenId) - frozen : frozen;
        if (room < unit) return;
        uint256 value = bound(valueSeed, 1, room / unit) * unit;
        vm.prank(agent);
        if (freeze) note.freezePartialValue(tokenId, value, REASON);
        else note.unfreezePartialValue(tokenId, value, REASON);
        calls["freezeValue"] += 1;
    }

    function forcedTransfer(uint256 tokenSeed, uint256 toSeed, uint256 valueSeed) external {
        if (_tokens.length >= MAX_TOKENS) return;
        uint256 tokenId = _token(tokenSeed);
        uint256 balance = note.balanceOf(tokenId);
        if (balance < unit) return;
        uint256 value = bound(valueSeed, 1, balance / unit) * unit;
        (, uint256 root, uint256 depth) = note.lineageOf(tokenId);
        vm.prank(agent);
        uint256 newId = note.forcedTransfer(tokenId, _actor(toSeed), value, REASON);
        _tokens.push(newId);
        (uint256 newParent, uint256 newRoot, uint256 newDepth) = note.lineageOf(newId);
        bool kept = newParent == tokenId && newRoot == root && newDepth == depth + 1 && note.balanceOf(newId) == value
            && note.balanceOf(tokenId) == balance - value && note.frozenValueOf(tokenId) <= note.balanceOf(tokenId);
        if (!kept) ghostForcedBroke += 1;
        ghostForced += 1;
        calls["forcedTransfer"] += 1;
    }

    /// @dev Up to a quarter of a day at a time, so the rolling windows (a day) turn over during a run.
    function warp(uint256 secondsSeed) external {
        vm.warp(block.timestamp + bound(secondsSeed, 1, 6 hours));
        calls["warp"] += 1;
    }

    // ------------------------------------------------------------ checks and records

    /// @dev A send between two holders counts against the sender's limit; moves between one holder's
    ///      own pieces do not (TransferLimitModule is consulted only then).
    function _accepted(address holder, address to, uint256 value) internal {
        ghostAccepted += 1;
        if (holder != to && value != 0) _sends[holder].push(Send(block.timestamp, value));
    }

    function _snapshot() internal view returns (Snapshot[] memory snaps) {
        snaps = new Snapshot[](_tokens.length);
        for (uint256 i; i < _tokens.length; ++i) {
            uint256 id = _tokens[i];
            address owner = note.ownerOf(id);
            snaps[i] = Snapshot(
                owner, note.balanceOf(id), note.frozenValueOf(id), note.isTokenFrozen(id) || note.isFrozen(owner)
            );
        }
    }

    function _checkNothingFrozenMoved(Snapshot[] memory before) internal {
        for (uint256 i; i < before.length; ++i) {
            uint256 id = _tokens[i];
            uint256 balance = note.balanceOf(id);
            if (before[i].pinned && (balance != before[i].balance || note.ownerOf(id) != before[i].owner)) {
                ghostFrozenMoved += 1;
            }
            if (balance < before[i].frozenValue || note.frozenValueOf(id) != before[i].frozenValue) {
                ghostFrozenValueBroken += 1;
            }
        }
    }

    function _token(uint256 seed) internal view returns (uint256) {
        return _tokens[seed % _tokens.length];
    }

    function _actor(uint256 seed) internal view returns (address) {
        return _actors[seed % _actors.length];
    }

    /// @dev Unit multiples around the sizes the cap and the limits care about (up to 600 units), at
    ///      times beyond the unfrozen value or the balance.
    function _value(uint256 tokenId, uint256 seed) internal view returns (uint256) {
        uint256 units = note.balanceOf(tokenId) / unit;
        return bound(seed, 0, (units < 600 ? units : 600) + 2) * unit;
    }
}
