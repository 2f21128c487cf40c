// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {CommonBase} from "forge-std/Base.sol";
import {StdUtils} from "forge-std/StdUtils.sol";
import {Vm} from "forge-std/Vm.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {ICascadeNote} from "../src/interfaces/ICascadeNote.sol";
import {IFinancingDesk} from "../src/interfaces/IFinancingDesk.sol";
import {IEarlyPaymentProgram} from "../src/interfaces/IEarlyPaymentProgram.sol";
import {ISettlementVault} from "../src/interfaces/ISettlementVault.sol";
import {FinancingDesk} from "../src/FinancingDesk.sol";
import {EarlyPaymentProgram} from "../src/EarlyPaymentProgram.sol";
import {SettlementVault} from "../src/SettlementVault.sol";
import {FxPriceFeed} from "../src/fx/FxPriceFeed.sol";
import {SettlementTestBase} from "./SettlementTestBase.sol";

/// @dev Pays one cross-border voucher in every way (financing, early payment, settlement rounds) while
///      the oracle answers, time passes (answers go stale) and pieces split. Every payment event is read
///      back and compared with the feed: early payments and financings with its latest answer at that
///      block, settlement payments with the answer their round took when it opened (itself the latest
///      at that block). Calls refused (stale rate, budget, cap...) are counted, never failed on.
contract FxPaymentHandler is CommonBase, StdUtils {
    struct Actors {
        address obligor;
        address oracle;
        address financier;
        uint256 financierKey;
        address[] suppliers;
    }

    ICascadeNote internal immutable note;
    FxPriceFeed internal immutable feed;
    FinancingDesk internal immutable desk;
    EarlyPaymentProgram internal immutable programme;
    SettlementVault internal immutable vault;
    address internal immutable cny;
    uint256 public immutable slot;
    uint256 internal immutable programmeId;
    Actors internal actors;

    uint256[] internal _tokens;
    uint256 internal _nonce;
    /// @dev The answer the open settlement round took, as read from the feed when it opened.
    uint80 internal _roundFeedRound;
    int256 internal _roundFeedAnswer;

    uint256 public ghostPayments;
    uint256 public ghostRefused;
    uint256 public ghostRateMismatches;
    uint256 public ghostAmountMismatches;

    constructor(
        ICascadeNote note_,
        FxPriceFeed feed_,
        FinancingDesk desk_,
        EarlyPaymentProgram programme_,
        SettlementVault vault_,
        address cny_,
        uint256 slot_,
        uint256 rootTokenId,
        uint256 programmeId_,
        Actors memory actors_
    ) {
        note = note_;
        feed = feed_;
        desk = desk_;
        programme = programme_;
        vault = vault_;
        cny = cny_;
        slot = slot_;
        programmeId = programmeId_;
        actors = actors_;
        _tokens.push(rootTokenId);
    }

    // ------------------------------------------------------------ the world moving

    function answer(uint256 seed) external {
        vm.prank(actors.oracle);
        feed.submitAnswer(int256(bound(seed, 500_000_000, 1_000_000_000)));
    }

    function warp(uint256 seed) external {
        // Often past the feed's maximum age (an hour); the voucher matures after three days.
        vm.warp(block.timestamp + bound(seed, 1 minutes, 18 hours));
    }

    function split(uint256 tokenSeed, uint256 toSeed, uint256 valueSeed) external {
        if (_tokens.length >= 30) return;
        uint256 tokenId = _tokens[tokenSeed % _tokens.length];
        uint256 units = note.balanceOf(tokenId) / 100;
        if (units == 0) return;
        address to = actors.suppliers[toSeed % actors.suppliers.length];
        vm.prank(note.ownerOf(tokenId));
        try note.transferFrom(tokenId, to, bound(valueSeed, 1, units < 500_000 ? units : 500_000) * 100) returns (
            uint256 newId
        ) {
            _tokens.push(newId);
        } catch {
            ghostRefused += 1;
        }
    }

    // ------------------------------------------------------------ payments

    function finance(uint256 tokenSeed, uint256 valueSeed, uint256 discountSeed) external {
        uint256 tokenId = _tokens[tokenSeed % _tokens.length];
        address seller = note.ownerOf(tokenId);
        uint256 units = note.balanceOf(tokenId) / 100;
        if (units == 0 || seller == actors.financier) return;
        uint256 value = bound(valueSeed, 1, units < 500_000 ? units : 500_000) * 100;
        IFinancingDesk.Quote memory quote = IFinancingDesk.Quote({
            financier: actors.financier,
            seller: seller,
            tokenId: tokenId,
            value: value,
            price: value - bound(discountSeed, 0, value - 1),
            cashToken: cny,
            expiry: block.timestamp,
            nonce: _nonce++,
            requiredMilestone: 0,
            maxFinancedShareBps: 10_000
        });
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(actors.financierKey, desk.hashQuote(quote));
        vm.recordLogs();
        vm.prank(seller);
        try desk.executeQuote(quote, abi.encodePacked(r, s, v)) returns (uint256 newId) {
            _tokens.push(newId);
            _check(vm.getRecordedLogs());
        } catch {
            ghostRefused += 1;
        }
    }

    function takeEarly(uint256 tokenSeed, uint256 valueSeed) external {
        uint256 tokenId = _tokens[tokenSeed % _tokens.length];
        uint256 units = note.balanceOf(tokenId) / 100;
        if (units == 0) return;
        vm.recordLogs();
        vm.prank(note.ownerOf(tokenId));
        try programme.takeEarlyPayment(programmeId, tokenId, bound(valueSeed, 1, units) * 100) {
            _check(vm.getRecordedLogs());
        } catch {
            ghostRefused += 1;
        }
    }

    function fund(uint256 amountSeed) external {
        vm.prank(actors.obligor);
        try vault.fund(slot, bound(amountSeed, 1, 2_000_000_000)) {}
        catch {
            ghostRefused += 1;
        }
    }

    function payout(uint256 startSeed) external {
        uint256 start = startSeed % _tokens.length;
        uint256[] memory batch = new uint256[](_tokens.length - start);
        for (uint256 i; i < batch.length; ++i) {
            batch[i] = _tokens[start + i];
        }
        vm.recordLogs();
        try vault.payout(slot, batch) {
            _check(vm.getRecordedLogs());
        } catch {
            ghostRefused += 1;
        }
    }

    function closeRound() external {
        if (!vault.accountOf(slot).roundOpen) return;
        vm.prank(vault.defaultAdmin());
        vault.closeRound(slot);
    }

    // ------------------------------------------------------------ reading the payment events back

    function _check(Vm.Log[] memory logs) internal {
        for (uint256 i; i < logs.length; ++i) {
            bytes32 topic = logs[i].topics[0];
            if (topic == IEarlyPaymentProgram.EarlyPaymentTaken.selector) {
                (, uint256 price, uint256 amount,, uint256 rate, uint8 decimals, uint80 round, uint256 at) =
                    abi.decode(logs[i].data, (uint256, uint256, uint256, uint256, uint256, uint8, uint80, uint256));
                _checkLatest(rate, decimals, round, at);
                _checkAmount(amount, Math.mulDiv(price, rate, 10 ** decimals, Math.Rounding.Ceil));
            } else if (topic == IFinancingDesk.QuoteExecuted.selector) {
                (,, uint256 price,,, uint256 amount, uint256 rate, uint8 decimals, uint80 round, uint256 at) = abi.decode(
                    logs[i].data,
                    (uint256, uint256, uint256, address, uint256, uint256, uint256, uint8, uint80, uint256)
                );
                _checkLatest(rate, decimals, round, at);
                _checkAmount(amount, Math.mulDiv(price, rate, 10 ** decimals, Math.Rounding.Ceil));
            } else if (topic == ISettlementVault.SettlementRoundOpened.selector) {
                (,,, uint256 rate, uint8 decimals, uint80 round, uint256 at) =
                    abi.decode(logs[i].data, (uint256, uint256, uint256, uint256, uint8, uint80, uint256));
                _checkLatest(rate, decimals, round, at);
                (_roundFeedRound, _roundFeedAnswer,,,) = feed.latestRoundData();
            } else if (topic == ISettlementVault.SettlementPaid.selector) {
                (uint256 value, uint256 amount, uint256 rate, uint8 decimals, uint80 round,) =
                    abi.decode(logs[i].data, (uint256, uint256, uint256, uint8, uint80, uint256));
                (, int256 roundAnswer,,,) = feed.getRoundData(round);
                bool sameRound = round == _roundFeedRound && rate == uint256(_roundFeedAnswer);
                if (!sameRound || rate != uint256(roundAnswer) || decimals != feed.decimals()) {
                    ghostRateMismatches += 1;
                }
                _checkAmount(amount, Math.mulDiv(value, rate, 10 ** decimals, Math.Rounding.Floor));
            }
        }
    }

    function _checkLatest(uint256 rate, uint8 decimals, uint80 round, uint256 at) internal {
        (uint80 latestRound, int256 latestAnswer,, uint256 updatedAt,) = feed.latestRoundData();
        if (round != latestRound || rate != uint256(latestAnswer) || at != updatedAt || decimals != feed.decimals()) {
            ghostRateMismatches += 1;
        }
        ghostPayments += 1;
    }

    function _checkAmount(uint256 amount, uint256 expected) internal {
        if (amount != expected) ghostAmountMismatches += 1;
    }
}

/// forge-config: default.invariant.fail-on-revert = true
/// forge-config: default.invariant.runs = 128
contract FxPaymentInvariantTest is SettlementTestBase {
    FxPaymentHandler internal handler;
    uint256 internal slot;

    function setUp() public override {
        super.setUp();
        uint256 root;
        (slot, root) = _issueCrossBorder(supplierA, 2_000_000_000, 100, block.timestamp + 3 days, 50_000_000);
        _mint(cny, obligor, 100_000_000_000);
        _approve(cny, obligor, address(vault), type(uint256).max);
        _approve(cny, obligor, address(programme), type(uint256).max);
        _mint(cny, financier, 100_000_000_000);
        _approve(cny, financier, address(desk), type(uint256).max);
        vm.prank(obligor);
        uint256 programmeId = programme.openProgramme(slot, 900, 360, 0, 50_000_000_000, block.timestamp + 3 days);

        address[] memory suppliers = new address[](4);
        suppliers[0] = supplierA;
        suppliers[1] = supplierB;
        suppliers[2] = supplierC;
        suppliers[3] = supplierD;
        handler = new FxPaymentHandler(
            note,
            usdCnyFeed,
            desk,
            programme,
            vault,
            address(cny),
            slot,
            root,
            programmeId,
            FxPaymentHandler.Actors(obligor, oracle, financier, financierKey, suppliers)
        );
        targetContract(address(handler));
    }

    /// A payment's recorded rate is the feed's answer at that block (for settlement: at the block its
    /// round opened), with its round id and time; its cash amount is the named rounding of value * rate.
    function invariant_RecordedRateIsTheFeedsAnswer() public view {
        assertEq(handler.ghostRateMismatches(), 0, "a recorded rate differs from the feed");
        assertEq(handler.ghostAmountMismatches(), 0, "a cash amount is not the named rounding");
    }

    /// The vault holds exactly what was funded and neither paid out nor withdrawn.
    function invariant_VaultCashAccounting() public view {
        ISettlementVault.SlotAccount memory account = vault.accountOf(slot);
        assertEq(cny.balanceOf(address(vault)), account.funded - account.paidOut - account.withdrawn);
    }
}
