// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {CommonBase} from "forge-std/Base.sol";
import {StdCheats} from "forge-std/StdCheats.sol";
import {StdUtils} from "forge-std/StdUtils.sol";
import {ICascadeNote} from "../src/interfaces/ICascadeNote.sol";
import {IReceivableNote} from "../src/interfaces/IReceivableNote.sol";
import {SettlementToken} from "../src/SettlementToken.sol";
import {SettlementVault} from "../src/SettlementVault.sol";
import {ISettlementVault} from "../src/interfaces/ISettlementVault.sol";
import {SettlementTestBase} from "./SettlementTestBase.sol";

/// @dev Drives one voucher through random splits, merges and whole-token transfers before maturity,
///      partial fundings, time, and after maturity batched payouts with duplicates and holder claims.
///      From maturity on the note freezes the pieces: a move attempted then must revert with
///      NoteVoucherMatured (expected here, so any other revert still fails the run).
contract SettlementHandler is CommonBase, StdCheats, StdUtils {
    SettlementVault internal immutable vault;
    ICascadeNote internal immutable note;
    SettlementToken internal immutable cash;
    address internal immutable obligor;
    address internal immutable admin;
    uint256 public immutable slot;
    uint256 internal immutable unit;
    uint256 internal immutable maturityAt;

    address[] public holders;
    uint256[] public tokens;

    uint256 public ghostFunded;
    uint256 public ghostPaid;
    uint256 public ghostRuleViolations;
    uint256 public ghostPayoutCalls;
    uint256 public ghostFundings;
    uint256 public ghostMoves;
    uint256 public ghostRefusedMoves;

    constructor(
        SettlementVault vault_,
        ICascadeNote note_,
        SettlementToken cash_,
        address obligor_,
        address admin_,
        uint256 slot_,
        uint256 rootTokenId,
        address[] memory holders_
    ) {
        vault = vault_;
        note = note_;
        cash = cash_;
        obligor = obligor_;
        admin = admin_;
        slot = slot_;
        unit = note_.voucherOf(slot_).unit;
        maturityAt = note_.voucherOf(slot_).maturityAt;
        tokens.push(rootTokenId);
        holders = holders_;
    }

    function tokenCount() external view returns (uint256) {
        return tokens.length;
    }

    function holderCount() external view returns (uint256) {
        return holders.length;
    }

    function allTokens() external view returns (uint256[] memory) {
        return tokens;
    }

    function split(uint256 tokenSeed, uint256 toSeed, uint256 valueSeed) external {
        uint256 tokenId = tokens[tokenSeed % tokens.length];
        uint256 balance = note.balanceOf(tokenId);
        if (balance < unit) return;
        address from = note.ownerOf(tokenId);
        address to = _otherHolder(from, toSeed);
        uint256 value = bound(valueSeed, 1, balance / unit) * unit;
        bool frozen = _expectFrozen();
        vm.prank(from);
        uint256 newTokenId = note.transferFrom(tokenId, to, value);
        if (frozen) return;
        tokens.push(newTokenId);
        ghostMoves += 1;
    }

    function merge(uint256 fromSeed, uint256 toSeed, uint256 valueSeed) external {
        uint256 fromId = tokens[fromSeed % tokens.length];
        uint256 toId = tokens[toSeed % tokens.length];
        uint256 balance = note.balanceOf(fromId);
        if (fromId == toId || balance < unit) return;
        uint256 value = bound(valueSeed, 1, balance / unit) * unit;
        address from = note.ownerOf(fromId);
        bool frozen = _expectFrozen();
        vm.prank(from);
        note.transferFrom(fromId, toId, value);
        if (!frozen) ghostMoves += 1;
    }

    /// @dev Hands a whole token on (ERC-721 `transferFrom` or `safeTransferFrom`); its payment follows it.
    function transferToken(uint256 tokenSeed, uint256 toSeed, bool safe) external {
        uint256 tokenId = tokens[tokenSeed % tokens.length];
        // Once every piece is paid the voucher is Redeemed, a refusal the note reports before maturity's.
        if (note.outstandingValueOf(slot) == 0) return;
        address from = note.ownerOf(tokenId);
        address to = _otherHolder(from, toSeed);
        bool frozen = _expectFrozen();
        vm.prank(from);
        if (safe) note.safeTransferFrom(from, to, tokenId);
        else note.transferFrom(from, to, tokenId);
        if (!frozen) ghostMoves += 1;
    }

    /// @dev From maturity on, expects the next note call to be refused as a move of a matured voucher.
    function _expectFrozen() internal returns (bool) {
        if (block.timestamp < maturityAt) return false;
        vm.expectRevert(
            abi.encodeWithSelector(IReceivableNote.NoteVoucherMatured.selector, slot, maturityAt, block.timestamp)
        );
        ghostRefusedMoves += 1;
        return true;
    }

    function _otherHolder(address from, uint256 toSeed) internal view returns (address to) {
        to = holders[toSeed % holders.length];
        if (to == from) to = holders[(toSeed % holders.length + 1) % holders.length];
    }

    function fund(uint256 amountSeed) external {
        uint256 room = note.outstandingValueOf(slot) - vault.available(slot);
        if (room == 0) return;
        uint256 amount = bound(amountSeed, 1, room);
        vm.prank(obligor);
        vault.fund(slot, amount);
        ghostFunded += amount;
        ghostFundings += 1;
    }

    /// @dev The operator closes a round so that leftovers are shared again.
    function closeRound() external {
        if (!vault.accountOf(slot).roundOpen) return;
        vm.prank(admin);
        vault.closeRound(slot);
    }

    /// @dev Steps of up to 15 days reach the 30-day maturity in most runs, so the frozen pieces are
    ///      then paid over several rounds, while most runs still split and merge before it.
    function warp(uint256 secondsSeed) external {
        vm.warp(block.timestamp + bound(secondsSeed, 1, 15 days));
    }

    function payout(uint256 startSeed, uint256 lengthSeed, bool withDuplicate) external {
        if (block.timestamp < maturityAt || vault.available(slot) == 0) return;
        uint256 start = startSeed % tokens.length;
        uint256 length = bound(lengthSeed, 1, tokens.length - start);
        uint256[] memory batch = new uint256[](withDuplicate ? length + 1 : length);
        for (uint256 i; i < length; ++i) {
            batch[i] = tokens[start + i];
        }
        if (withDuplicate) batch[length] = batch[0];
        _paying(batch, false);
        ghostPayoutCalls += 1;
    }

    function claim(uint256 tokenSeed) external {
        if (block.timestamp < maturityAt || vault.available(slot) == 0) return;
        uint256 tokenId = tokens[tokenSeed % tokens.length];
        if (vault.quotePayout(tokenId) == 0) return;
        uint256[] memory one = new uint256[](1);
        one[0] = tokenId;
        _paying(one, true);
    }

    /// @dev Pays `batch` (or claims its one token), then checks each token got at most the round's
    ///      share of the value it had, in whole units, and that the holders received exactly the burn.
    function _paying(uint256[] memory batch, bool asClaim) internal {
        uint256[] memory valuesBefore = new uint256[](batch.length);
        uint256 cashBefore = _holdersCash();
        for (uint256 i; i < batch.length; ++i) {
            valuesBefore[i] = note.balanceOf(batch[i]);
        }
        uint256 outstandingBefore = note.outstandingValueOf(slot);
        bool fullCover = vault.available(slot) >= outstandingBefore;
        uint256 total;
        if (asClaim) {
            vm.prank(note.ownerOf(batch[0]));
            total = vault.claim(batch[0]);
        } else {
            total = vault.payout(slot, batch);
        }
        ISettlementVault.SlotAccount memory account = vault.accountOf(slot);
        for (uint256 i; i < batch.length; ++i) {
            if (i > 0 && batch[i] == batch[0]) continue; // the duplicate was counted with the first
            uint256 paid = valuesBefore[i] - note.balanceOf(batch[i]);
            uint256 cap = fullCover
                ? valuesBefore[i]
                : valuesBefore[i] * account.roundAvailable / account.roundOutstanding / unit * unit;
            if (paid > cap || paid % unit != 0 || (fullCover && paid != valuesBefore[i])) ghostRuleViolations += 1;
            if (!fullCover && batch[i] > account.roundTokenMark && paid != 0) ghostRuleViolations += 1;
        }
        if (_holdersCash() - cashBefore != total) ghostRuleViolations += 1;
        if (outstandingBefore - note.outstandingValueOf(slot) != total) ghostRuleViolations += 1;
        ghostPaid += total;
    }

    function _holdersCash() internal view returns (uint256 sum) {
        for (uint256 i; i < holders.length; ++i) {
            sum += cash.balanceOf(holders[i]);
        }
    }
}

/// forge-config: default.invariant.fail-on-revert = true
contract SettlementInvariantTest is SettlementTestBase {
    uint256 internal constant FACE = 987_654_300; // CNY 9,876,543.00
    uint256 internal constant UNIT = 100;

    SettlementHandler internal handler;
    uint256 internal slot;
    address[] internal holders;

    function setUp() public override {
        super.setUp();
        uint256 root;
        (slot, root) = _issue(supplierA, FACE, UNIT, block.timestamp + 30 days);
        holders = [supplierA, supplierB, supplierC, supplierD, financier, financier2];
        _mint(cny, obligor, FACE);
        _approve(cny, obligor, address(vault), type(uint256).max);
        handler = new SettlementHandler(vault, note, cny, obligor, admin, slot, root, holders);
        targetContract(address(handler));
    }

    function _holdersCash() internal view returns (uint256 sum) {
        for (uint256 i; i < holders.length; ++i) {
            sum += cny.balanceOf(holders[i]);
        }
    }

    function _sumOfValues() internal view returns (uint256 sum) {
        for (uint256 id = 1; id <= note.tokenCount(); ++id) {
            sum += note.balanceOf(id);
        }
    }

    /// Cash: the vault holds exactly what was funded and not paid, holders hold exactly what was paid.
    function invariant_CashAccounting() public view {
        assertEq(vault.funded(slot), handler.ghostFunded());
        assertEq(vault.paidOut(slot), handler.ghostPaid());
        assertEq(cny.balanceOf(address(vault)), vault.funded(slot) - vault.paidOut(slot));
        assertEq(vault.available(slot), cny.balanceOf(address(vault)));
        assertEq(_holdersCash(), vault.paidOut(slot));
        assertEq(cny.balanceOf(obligor) + cny.balanceOf(address(vault)) + _holdersCash(), FACE);
    }

    /// Value: every unit of face value is either still held or was paid one for one.
    function invariant_ValueAccounting() public view {
        assertEq(vault.paidOut(slot) + note.outstandingValueOf(slot), FACE);
        assertEq(_sumOfValues(), note.outstandingValueOf(slot));
        assertLe(vault.available(slot), note.outstandingValueOf(slot));
    }

    /// Every payment followed the round's pro-rata rule in whole units.
    function invariant_PaymentsFollowTheRoundRule() public view {
        assertEq(handler.ghostRuleViolations(), 0);
    }

    /// (b) whatever happened before, funding the rest and paying everybody out settles the voucher:
    ///     every piece ends at zero and the holders were paid exactly the face value.
    function afterInvariant() external {
        if (block.timestamp < note.voucherOf(slot).maturityAt) vm.warp(note.voucherOf(slot).maturityAt);
        uint256 room = note.outstandingValueOf(slot) - vault.available(slot);
        if (room != 0) {
            vm.prank(obligor);
            vault.fund(slot, room);
        }
        uint256[] memory all = handler.allTokens();
        if (vault.available(slot) != 0) {
            for (uint256 start; start < all.length; start += 5) {
                uint256 end = start + 5 > all.length ? all.length : start + 5;
                uint256[] memory batch = new uint256[](end - start);
                for (uint256 i = start; i < end; ++i) {
                    batch[i - start] = all[i];
                }
                if (vault.available(slot) != 0) vault.payout(slot, batch);
            }
        }
        for (uint256 i; i < all.length; ++i) {
            assertEq(note.balanceOf(all[i]), 0, "piece not paid");
        }
        assertEq(_holdersCash(), FACE);
        assertEq(vault.paidOut(slot), FACE);
        assertEq(vault.funded(slot), FACE);
        assertEq(cny.balanceOf(address(vault)), 0);
        assertEq(note.outstandingValueOf(slot), 0);
        assertEq(uint8(vault.statusOf(slot)), uint8(ISettlementVault.SettlementStatus.Settled));
    }
}

