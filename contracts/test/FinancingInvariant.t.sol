// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {CommonBase} from "forge-std/Base.sol";
import {StdCheats} from "forge-std/StdCheats.sol";
import {StdUtils} from "forge-std/StdUtils.sol";
import {ICascadeNote} from "../src/interfaces/ICascadeNote.sol";
import {SettlementToken} from "../src/SettlementToken.sol";
import {FinancingDesk} from "../src/FinancingDesk.sol";
import {IFinancingDesk} from "../src/interfaces/IFinancingDesk.sol";
import {SettlementTestBase} from "./SettlementTestBase.sol";

/// @dev Drives the desk with random DvP trades among four suppliers and two financiers, resales
///      between financiers, replays, cancellations and attempts by sellers to pull financed value back.
contract FinancingHandler is CommonBase, StdCheats, StdUtils {
    struct Trade {
        IFinancingDesk.Quote quote;
        bytes signature;
        uint256 financierTokenId;
    }

    FinancingDesk internal immutable desk;
    ICascadeNote internal immutable note;
    SettlementToken internal immutable cash;
    uint256 internal immutable unit;
    uint256 internal immutable maturityAt;

    address[] public actors;
    uint256[2] internal financierKeys;
    address[2] internal financiers;
    uint256[] public tokens;

    Trade[] internal trades;
    mapping(uint256 tokenId => bool) public isFinancedPiece;
    /// @dev ghosts
    mapping(address => int256) public ghostNetCash;
    mapping(uint256 tokenId => address) public ghostFinancedOwner;
    mapping(uint256 tokenId => uint256) public ghostFinancedValue;
    mapping(uint256 tokenId => address) public ghostFormerHolder;
    uint256 public ghostTrades;
    uint256 public ghostCashMoved;
    uint256 public ghostReplaysAccepted;
    uint256 public ghostIllegalMoves;
    uint256 internal nextNonce;

    constructor(
        FinancingDesk desk_,
        ICascadeNote note_,
        SettlementToken cash_,
        address[] memory actors_,
        uint256[2] memory financierKeys_,
        uint256[] memory initialTokens,
        uint256 unit_,
        uint256 maturityAt_
    ) {
        desk = desk_;
        note = note_;
        cash = cash_;
        actors = actors_;
        financierKeys = financierKeys_;
        financiers = [vm.addr(financierKeys_[0]), vm.addr(financierKeys_[1])];
        tokens = initialTokens;
        unit = unit_;
        maturityAt = maturityAt_;
    }

    function tokenCount() external view returns (uint256) {
        return tokens.length;
    }

    function tradeCount() external view returns (uint256) {
        return trades.length;
    }

    function tradeTokenId(uint256 i) external view returns (uint256) {
        return trades[i].financierTokenId;
    }

    /// @dev A random holder sells a random part of a random token to a financier other than itself.
    function trade(uint256 tokenSeed, uint256 financierSeed, uint256 valueSeed, uint256 priceSeed) external {
        uint256 tokenId = tokens[tokenSeed % tokens.length];
        uint256 balance = note.balanceOf(tokenId);
        if (balance == 0) return;
        address seller = note.ownerOf(tokenId);
        uint256 which = financierSeed % 2;
        if (financiers[which] == seller) which = 1 - which;
        address financier = financiers[which];
        uint256 value = bound(valueSeed, 1, balance / unit) * unit;
        uint256 price = bound(priceSeed, 1, value);
        if (cash.balanceOf(financier) < price) return;

        IFinancingDesk.Quote memory quote = IFinancingDesk.Quote({
            financier: financier,
            seller: seller,
            tokenId: tokenId,
            value: value,
            price: price,
            cashToken: address(cash),
            expiry: block.timestamp + 1 hours,
            nonce: nextNonce++,
            requiredMilestone: 0,
            maxFinancedShareBps: 10_000
        });
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(financierKeys[which], desk.hashQuote(quote));
        bytes memory signature = abi.encodePacked(r, s, v);
        vm.prank(seller);
        uint256 financierTokenId = desk.executeQuote(quote, signature);

        ghostTrades += 1;
        ghostCashMoved += price;
        ghostNetCash[seller] += int256(price);
        ghostNetCash[financier] -= int256(price);
        tokens.push(financierTokenId);
        trades.push(Trade(quote, signature, financierTokenId));
        isFinancedPiece[financierTokenId] = true;
        ghostFinancedOwner[financierTokenId] = financier;
        ghostFinancedValue[financierTokenId] = value;
        ghostFormerHolder[financierTokenId] = seller;
        if (isFinancedPiece[tokenId]) ghostFinancedValue[tokenId] -= value; // resold on by a financier
    }

    /// @dev Executing an executed quote again must fail.
    function replay(uint256 tradeSeed) external {
        if (trades.length == 0) return;
        Trade memory t = trades[tradeSeed % trades.length];
        vm.prank(t.quote.seller);
        try desk.executeQuote(t.quote, t.signature) {
            ghostReplaysAccepted += 1;
        } catch {}
    }

    /// @dev The former holder of a financed piece tries to take value back without a trade.
    function sellerPullsBack(uint256 tradeSeed, uint256 valueSeed, bool whole) external {
        if (trades.length == 0) return;
        Trade memory t = trades[tradeSeed % trades.length];
        uint256 pieceId = t.financierTokenId;
        address former = t.quote.seller;
        uint256 balance = note.balanceOf(pieceId);
        if (balance == 0) return;
        address owner = note.ownerOf(pieceId);
        if (owner == former) return; // bought back through a later trade
        uint256 value = bound(valueSeed, 1, balance / unit) * unit;
        vm.startPrank(former);
        if (whole) {
            try note.transferFrom(owner, former, pieceId) {
                ghostIllegalMoves += 1;
            } catch {}
        } else {
            try note.transferFrom(pieceId, former, value) {
                ghostIllegalMoves += 1;
            } catch {}
        }
        // Nor can the desk be used: a quote "from" the owner needs the owner to call it.
        IFinancingDesk.Quote memory quote = IFinancingDesk.Quote({
            financier: former,
            seller: owner,
            tokenId: pieceId,
            value: value,
            price: 1,
            cashToken: address(cash),
            expiry: block.timestamp,
            nonce: type(uint256).max,
            requiredMilestone: 0,
            maxFinancedShareBps: 10_000
        });
        try desk.executeQuote(quote, "") {
            ghostIllegalMoves += 1;
        } catch {}
        vm.stopPrank();
    }

    function cancel(uint256 financierSeed) external {
        vm.prank(financiers[financierSeed % 2]);
        desk.cancelNonce(nextNonce++);
    }

    function warp(uint256 secondsSeed) external {
        uint256 step = bound(secondsSeed, 1, 1 days);
        if (block.timestamp + step < maturityAt) vm.warp(block.timestamp + step);
    }
}

/// forge-config: default.invariant.fail-on-revert = true
contract FinancingInvariantTest is SettlementTestBase {
    uint256 internal constant FACE = 1_000_000_000;
    uint256 internal constant UNIT = 100;
    uint256 internal constant FINANCIER_CASH = 5_000_000_000;

    FinancingHandler internal handler;
    address[] internal actors;
    uint256 internal slot;
    uint256 internal totalMinted;
    mapping(address => uint256) internal initialCash;

    function setUp() public override {
        super.setUp();
        uint256[] memory initialTokens = new uint256[](3);
        (slot, initialTokens[0]) = _issue(supplierA, FACE, UNIT, block.timestamp + 365 days);
        initialTokens[1] = _split(supplierA, initialTokens[0], supplierB, 300_000_000);
        initialTokens[2] = _split(supplierB, initialTokens[1], supplierC, 100_000_000);
        actors = [supplierA, supplierB, supplierC, supplierD, financier, financier2];
        _mint(cny, financier, FINANCIER_CASH);
        _mint(cny, financier2, FINANCIER_CASH);
        _mint(cny, supplierC, 7_777);
        totalMinted = 2 * FINANCIER_CASH + 7_777;
        for (uint256 i; i < actors.length; ++i) {
            initialCash[actors[i]] = cny.balanceOf(actors[i]);
        }
        _approve(cny, financier, address(desk), type(uint256).max);
        _approve(cny, financier2, address(desk), type(uint256).max);

        handler = new FinancingHandler(
            desk, note, cny, actors, [financierKey, financier2Key], initialTokens, UNIT, block.timestamp + 365 days
        );
        targetContract(address(handler));
    }

    /// (a) cash is conserved: the actors' balances sum to what was minted, the desk holds nothing.
    function invariant_CashIsConserved() public view {
        uint256 sum;
        for (uint256 i; i < actors.length; ++i) {
            sum += cny.balanceOf(actors[i]);
        }
        assertEq(sum, totalMinted);
        assertEq(cny.totalSupply(), totalMinted);
        assertEq(cny.balanceOf(address(desk)), 0);
    }

    /// (a) every actor's cash moved exactly by the prices of its trades.
    function invariant_CashFollowsTrades() public view {
        for (uint256 i; i < actors.length; ++i) {
            address actor = actors[i];
            assertEq(int256(cny.balanceOf(actor)), int256(initialCash[actor]) + handler.ghostNetCash(actor));
        }
    }

    /// (c) a financed piece stays with its financier, and loses value only through recorded resales.
    function invariant_FinancedPiecesNeverMoveBackWithoutATrade() public view {
        assertEq(handler.ghostIllegalMoves(), 0);
        assertEq(handler.ghostReplaysAccepted(), 0);
        for (uint256 i; i < handler.tradeCount(); ++i) {
            uint256 pieceId = handler.tradeTokenId(i);
            assertEq(note.ownerOf(pieceId), handler.ghostFinancedOwner(pieceId));
            assertEq(note.balanceOf(pieceId), handler.ghostFinancedValue(pieceId));
        }
    }

    /// Trades move value between tokens of one voucher and never create or destroy any.
    function invariant_NoteValueIsConserved() public view {
        uint256 sum;
        for (uint256 id = 1; id <= note.tokenCount(); ++id) {
            sum += note.balanceOf(id);
        }
        assertEq(sum, FACE);
        assertEq(note.outstandingValueOf(slot), FACE);
        assertEq(note.balanceOf(address(desk)), 0);
    }

    function afterInvariant() external view {
        // every trade moved cash: the ghost sum of prices equals what sellers gained net of purchases
        int256 net;
        for (uint256 i; i < actors.length; ++i) {
            net += handler.ghostNetCash(actors[i]);
        }
        assertEq(net, 0);
        assertEq(handler.tradeCount(), handler.ghostTrades());
    }
}
