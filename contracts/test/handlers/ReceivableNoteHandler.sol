// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {CommonBase} from "forge-std/Base.sol";
import {StdUtils} from "forge-std/StdUtils.sol";
import {ICascadeNote} from "../../src/interfaces/ICascadeNote.sol";
import {IReceivableNote} from "../../src/interfaces/IReceivableNote.sol";

/// @dev Drives the note through valid operations only, among a fixed set of verified actors, and
///      records what the ledger should look like. Inputs are folded onto valid choices instead of
///      being rejected, so runs stay deep; any revert is therefore a finding (fail_on_revert is on).
///      Slot and token counts are capped so that invariant checks, which walk every token, stay cheap.
contract ReceivableNoteHandler is CommonBase, StdUtils {
    uint256 public constant MAX_SLOTS = 10;
    uint256 public constant MAX_ACTIVE_SLOTS = 4;
    uint256 public constant MAX_TOKENS = 40;

    ICascadeNote public immutable note;
    address public immutable obligor;
    address[] internal _actors;

    uint256[] internal _tokenIds;
    uint256 public ghostSlotCount;
    uint256 public ghostActiveSlots;
    mapping(uint256 slot => uint256) public ghostIssued;
    mapping(uint256 slot => uint256) public ghostRedeemed;
    mapping(uint256 slot => uint256) public ghostUnit;
    mapping(uint256 tokenId => uint256) public ghostSlotOf;

    mapping(bytes32 action => uint256) public calls;

    constructor(ICascadeNote note_, address obligor_, address[] memory actors_) {
        note = note_;
        obligor = obligor_;
        _actors = actors_;
    }

    // ------------------------------------------------------------ ghost access for the invariants

    function tokenIds() external view returns (uint256[] memory) {
        return _tokenIds;
    }

    function actors() external view returns (address[] memory) {
        return _actors;
    }

    // ------------------------------------------------------------ actions

    function issue(uint256 holderSeed, uint256 unitSeed, uint256 unitsSeed) external {
        if (ghostSlotCount >= MAX_SLOTS || ghostActiveSlots >= MAX_ACTIVE_SLOTS || _tokenIds.length >= MAX_TOKENS) {
            return _skip("issue");
        }
        uint256[5] memory units = [uint256(1), 7, 100, 1_000, 1e6];
        uint256 unit = units[_bound(unitSeed, 0, units.length - 1)];
        uint256 face = _bound(unitsSeed, 1, 10_000) * unit;
        address holder = _actor(holderSeed);

        bytes32 documentHash = keccak256(abi.encode(ghostSlotCount));
        (uint256 slot, uint256 tokenId) = note.issue(
            obligor, holder, bytes8("EUR"), bytes8("EUR"), face, unit, block.timestamp + 30 days, 0, documentHash
        );

        ghostSlotCount += 1;
        ghostActiveSlots += 1;
        ghostIssued[slot] += face;
        ghostUnit[slot] = unit;
        _record(tokenId, slot);
        calls["issue"] += 1;
    }

    function split(uint256 tokenSeed, uint256 toSeed, uint256 amountSeed) external {
        if (_tokenIds.length >= MAX_TOKENS) return _skip("split");
        (uint256 tokenId, uint256 slot, uint256 unit, uint256 units) = _movableToken(tokenSeed);
        if (tokenId == 0) return _skip("split");
        address holder = note.ownerOf(tokenId);
        address to = _otherActor(toSeed, holder);
        uint256 value = _bound(amountSeed, 1, units) * unit;

        vm.prank(holder);
        uint256 newId = note.transferFrom(tokenId, to, value);
        _record(newId, slot);
        calls["split"] += 1;
    }

    /// @dev A split made by a third party spending a value allowance the holder granted just before.
    function splitWithAllowance(uint256 tokenSeed, uint256 spenderSeed, uint256 allowanceSeed, uint256 amountSeed)
        external
    {
        if (_tokenIds.length >= MAX_TOKENS) return _skip("splitWithAllowance");
        (uint256 tokenId, uint256 slot, uint256 unit, uint256 units) = _movableToken(tokenSeed);
        if (tokenId == 0) return _skip("splitWithAllowance");
        address holder = note.ownerOf(tokenId);
        address spender = _otherActor(spenderSeed, holder);
        uint256 allowedUnits = _bound(allowanceSeed, 1, units);
        uint256 value = _bound(amountSeed, 1, allowedUnits) * unit;

        vm.prank(holder);
        note.approve(tokenId, spender, allowedUnits * unit);
        // The spender takes the piece itself: sending it to the holder would be a self transfer.
        vm.prank(spender);
        uint256 newId = note.transferFrom(tokenId, spender, value);
        _record(newId, slot);
        calls["splitWithAllowance"] += 1;
    }

    function merge(uint256 fromSeed, uint256 toSeed, uint256 amountSeed) external {
        (uint256 fromId, uint256 slot, uint256 unit, uint256 units) = _movableToken(fromSeed);
        if (fromId == 0) return _skip("merge");
        uint256 toId = _sameSlotToken(toSeed, fromId, slot);
        if (toId == 0) return _skip("merge");
        uint256 value = _bound(amountSeed, 1, units) * unit;

        vm.prank(note.ownerOf(fromId));
        note.transferFrom(fromId, toId, value);
        calls["merge"] += 1;
    }

    function transferToken(uint256 tokenSeed, uint256 toSeed) external {
        // Empty tokens of active vouchers may move too, so any token of an active voucher will do.
        uint256 tokenId = _findToken(tokenSeed, false);
        if (tokenId == 0) return _skip("transferToken");
        address holder = note.ownerOf(tokenId);
        address to = _otherActor(toSeed, holder);

        vm.prank(holder);
        note.transferFrom(holder, to, tokenId);
        calls["transferToken"] += 1;
    }

    /// @dev Redeems a random share of one token; the handler holds REDEEMER_ROLE like a settlement contract.
    function redeem(uint256 tokenSeed, uint256 amountSeed) external {
        (uint256 tokenId, uint256 slot, uint256 unit, uint256 units) = _movableToken(tokenSeed);
        if (tokenId == 0) return _skip("redeem");
        uint256 value = _bound(amountSeed, 1, units) * unit;

        note.redeem(tokenId, value);
        _recordRedeemed(slot, value);
        calls["redeem"] += 1;
    }

    /// @dev Settlement at maturity: every remaining piece of one voucher is paid, so it becomes Redeemed.
    ///      Partial redemptions rarely drain a whole slot on their own, so without this the Redeemed
    ///      state would hardly be reached. Runs on a third of its calls to leave vouchers alive for trading.
    function settleVoucher(uint256 tokenSeed) external {
        if (tokenSeed % 3 != 0) return _skip("settleVoucher");
        uint256 anyToken = _findToken(tokenSeed / 3, true);
        if (anyToken == 0) return _skip("settleVoucher");
        uint256 slot = ghostSlotOf[anyToken];
        for (uint256 i; i < _tokenIds.length; ++i) {
            uint256 id = _tokenIds[i];
            if (ghostSlotOf[id] != slot) continue;
            uint256 value = note.balanceOf(id);
            if (value == 0) continue;
            note.redeem(id, value);
            _recordRedeemed(slot, value);
        }
        calls["settleVoucher"] += 1;
    }

    // ------------------------------------------------------------ helpers

    function _record(uint256 tokenId, uint256 slot) private {
        _tokenIds.push(tokenId);
        ghostSlotOf[tokenId] = slot;
    }

    function _recordRedeemed(uint256 slot, uint256 value) private {
        ghostRedeemed[slot] += value;
        if (ghostRedeemed[slot] == ghostIssued[slot]) ghostActiveSlots -= 1;
    }

    function _skip(bytes32 action) private {
        calls[bytes32(uint256(keccak256(abi.encode("skip", action))))] += 1;
    }

    function _actor(uint256 seed) private view returns (address) {
        return _actors[_bound(seed, 0, _actors.length - 1)];
    }

    function _otherActor(uint256 seed, address not_) private view returns (address) {
        uint256 i = _bound(seed, 0, _actors.length - 1);
        return _actors[i] != not_ ? _actors[i] : _actors[(i + 1) % _actors.length];
    }

    /// @dev The first token, from a random starting point, of an active voucher (holding at least one
    ///      unit if `needsValue`), or 0. Scanning instead of picking blindly keeps emptied tokens, which
    ///      pile up because the fuzzer favours extreme amounts, from turning most calls into no-ops.
    ///      Slot and unit come from the ghost records, so a corrupted slotOf surfaces as a failed call.
    function _findToken(uint256 seed, bool needsValue) private view returns (uint256) {
        uint256 n = _tokenIds.length;
        if (n == 0) return 0;
        uint256 start = _bound(seed, 0, n - 1);
        for (uint256 k; k < n; ++k) {
            uint256 id = _tokenIds[(start + k) % n];
            uint256 slot = ghostSlotOf[id];
            if (note.voucherOf(slot).status != IReceivableNote.VoucherStatus.Active) continue;
            if (needsValue && note.balanceOf(id) < ghostUnit[slot]) continue;
            return id;
        }
        return 0;
    }

    function _movableToken(uint256 seed)
        private
        view
        returns (uint256 tokenId, uint256 slot, uint256 unit, uint256 units)
    {
        tokenId = _findToken(seed, true);
        if (tokenId == 0) return (0, 0, 0, 0);
        slot = ghostSlotOf[tokenId];
        unit = ghostUnit[slot];
        units = note.balanceOf(tokenId) / unit;
    }

    /// @dev First token after a random starting point that shares `slot` with `fromId`, or 0.
    function _sameSlotToken(uint256 seed, uint256 fromId, uint256 slot) private view returns (uint256) {
        uint256 n = _tokenIds.length;
        uint256 start = _bound(seed, 0, n - 1);
        for (uint256 k; k < n; ++k) {
            uint256 id = _tokenIds[(start + k) % n];
            if (id != fromId && ghostSlotOf[id] == slot) return id;
        }
        return 0;
    }
}
