// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {IReceivableNote} from "../src/interfaces/IReceivableNote.sol";
import {INoteCompliance, TransferCheck} from "../src/interfaces/INoteCompliance.sol";
import {IFinancingDesk} from "../src/interfaces/IFinancingDesk.sol";
import {IEarlyPaymentProgram} from "../src/interfaces/IEarlyPaymentProgram.sol";
import {ISettlementVault} from "../src/interfaces/ISettlementVault.sol";
import {IFxRateDirectory} from "../src/interfaces/IFxRateDirectory.sol";
import {AggregatorMock} from "./mocks/AggregatorMock.sol";
import {SettlementTestBase} from "./SettlementTestBase.sol";

/// @dev Model 3: a USD 20,000,000.00 voucher issued to an overseas supplier, priced in USD, settled in
///      e-CNY at the oracle's USD/CNY rate, each transfer capped at USD 500,000.00, financing gated by
///      logistics milestones.
contract CrossBorderTest is SettlementTestBase {
    uint256 internal constant FACE = 2_000_000_000; // USD 20,000,000.00
    uint256 internal constant UNIT = 100; // whole dollars
    uint256 internal constant CAP = 50_000_000; // USD 500,000.00
    uint256 internal constant SCALE = 1e8; // the feed's 8 decimals

    uint256 internal maturityAt;
    uint256 internal slot;
    uint256 internal tokenA;

    function setUp() public override {
        super.setUp();
        maturityAt = block.timestamp + 90 days;
        (slot, tokenA) = _issueCrossBorder(supplierA, FACE, UNIT, maturityAt, CAP);
        _mint(cny, obligor, 20_000_000_000);
        _approve(cny, obligor, address(vault), type(uint256).max);
        _approve(cny, obligor, address(programme), type(uint256).max);
        _mint(cny, financier, 20_000_000_000);
        _approve(cny, financier, address(desk), type(uint256).max);
    }

    /// @dev floor(value * rate) and ceil(value * rate) at the test's USD/CNY answer.
    function _cnyFloor(uint256 value, int256 answer) internal pure returns (uint256) {
        return value * uint256(answer) / SCALE;
    }

    function _cnyCeil(uint256 value, int256 answer) internal pure returns (uint256) {
        return Math.mulDiv(value, uint256(answer), SCALE, Math.Rounding.Ceil);
    }

    // ================================================================ issuance and the cap

    function test_Issue_RecordsBothCurrenciesAndTheCap() public {
        vm.expectEmit(address(note));
        emit IReceivableNote.VoucherIssued(2, obligor, supplierB, 2, USD, CNY, FACE, UNIT, maturityAt, CAP, DOC_HASH);
        _issueCrossBorder(supplierB, FACE, UNIT, maturityAt, CAP);
        IReceivableNote.Voucher memory voucher = note.voucherOf(slot);
        assertEq(voucher.currency, USD);
        assertEq(voucher.settlementCurrency, CNY);
        assertEq(voucher.transferCap, CAP);
    }

    function test_RevertWhen_A600kTransferExceedsThe500kCap() public {
        _split(supplierA, tokenA, supplierB, CAP);
        vm.prank(supplierA);
        vm.expectRevert(abi.encodeWithSelector(INoteCompliance.NoteTransferCapExceeded.selector, slot, 60_000_000, CAP));
        note.transferFrom(tokenA, supplierB, 60_000_000);
    }

    function test_DryRun_ListsTheCapWithEveryOtherReason() public {
        vm.prank(agent);
        note.setTransferLimit(supplierA, USD, 100_000_000, 1 days, REASON);
        _split(supplierA, tokenA, supplierB, CAP);
        _split(supplierA, tokenA, supplierB, CAP);
        vm.prank(agent);
        registry.setIdentity(supplierC, true, block.timestamp + 1, bytes2("SG"), 2, REASON);
        vm.warp(block.timestamp + 1);
        uint256 reasons = note.checkTransfer(supplierA, tokenA, supplierC, 60_000_050);
        assertEq(
            reasons,
            (1 << TransferCheck.CAP_EXCEEDED) | (1 << TransferCheck.ROLLING_LIMIT_EXCEEDED)
                | (1 << TransferCheck.RECIPIENT_KYC_EXPIRED) | (1 << TransferCheck.NOT_UNIT_MULTIPLE)
        );
    }

    // ================================================================ financing against logistics milestones

    function _crossQuote(uint256 value, uint256 price, uint256 nonce, uint8 milestone, uint16 shareBps)
        internal
        view
        returns (IFinancingDesk.Quote memory quote)
    {
        quote = _quote(financier, supplierA, tokenA, value, price, nonce);
        quote.requiredMilestone = milestone;
        quote.maxFinancedShareBps = shareBps;
    }

    function _attest(uint8 milestone) internal {
        vm.prank(oracle);
        logistics.attest(slot, milestone, keccak256(abi.encode("evidence", milestone)));
    }

    function test_Financing_RefusedBeforeShipmentExecutedAfterAtTheFeedsRate() public {
        IFinancingDesk.Quote memory quote = _crossQuote(CAP, 49_000_050, 1, 1, 8_000);
        bytes memory signature = _sign(financierKey, quote);
        vm.prank(supplierA);
        vm.expectRevert(abi.encodeWithSelector(IFinancingDesk.FinancingMilestoneNotReached.selector, slot, 1, 0));
        desk.executeQuote(quote, signature);

        _attest(1);
        uint256 amount = _cnyCeil(49_000_050, USD_CNY);
        // 49,000,050 * 7.12345678 = 349,049,738.392839 fen: rounded up for the seller.
        assertEq(amount, 349_049_739);
        vm.expectEmit(address(desk));
        emit IFinancingDesk.QuoteExecuted(
            financier,
            supplierA,
            tokenA,
            2,
            CAP,
            49_000_050,
            address(cny),
            1,
            amount,
            uint256(USD_CNY),
            FX_DECIMALS,
            1,
            START
        );
        vm.prank(supplierA);
        desk.executeQuote(quote, signature);
        assertEq(cny.balanceOf(supplierA), amount);
        assertEq(desk.financedValueOf(slot), CAP);
    }

    function test_Financing_ShareCapBeforeDeliveryLiftedAfter() public {
        (uint256 small, uint256 smallToken) = _issueCrossBorder(supplierA, 100_000_000, UNIT, maturityAt, 0);
        vm.startPrank(oracle);
        logistics.attest(small, 1, keccak256("B/L"));
        vm.stopPrank();
        IFinancingDesk.Quote memory quote = _quote(financier, supplierA, smallToken, 60_000_000, 59_000_000, 1);
        quote.requiredMilestone = 1;
        quote.maxFinancedShareBps = 8_000;
        bytes memory first = _sign(financierKey, quote);
        vm.prank(supplierA);
        desk.executeQuote(quote, first);

        // 60% financed; 25% more would make 85% > 80% before delivery.
        IFinancingDesk.Quote memory more = _quote(financier, supplierA, smallToken, 25_000_000, 24_000_000, 2);
        more.maxFinancedShareBps = 8_000;
        bytes memory signature = _sign(financierKey, more);
        vm.prank(supplierA);
        vm.expectRevert(
            abi.encodeWithSelector(
                IFinancingDesk.FinancingShareCapExceeded.selector, small, 60_000_000, 25_000_000, 80_000_000
            )
        );
        desk.executeQuote(more, signature);

        vm.prank(oracle);
        logistics.attest(small, 3, keccak256("proof of delivery"));
        vm.prank(supplierA);
        desk.executeQuote(more, signature);
        assertEq(desk.financedValueOf(small), 85_000_000);
    }

    function test_Financing_ResalesBetweenFinanciersAreNotCappedOrCounted() public {
        (uint256 small, uint256 smallToken) = _issueCrossBorder(supplierA, 100_000_000, UNIT, maturityAt, 0);
        IFinancingDesk.Quote memory quote = _quote(financier, supplierA, smallToken, 80_000_000, 79_000_000, 1);
        quote.maxFinancedShareBps = 8_000;
        bytes memory signature = _sign(financierKey, quote);
        vm.prank(supplierA);
        uint256 financed = desk.executeQuote(quote, signature);
        _mint(cny, financier2, 10_000_000_000);
        _approve(cny, financier2, address(desk), type(uint256).max);
        IFinancingDesk.Quote memory resale = _quote(financier2, financier, financed, 80_000_000, 79_500_000, 1);
        resale.maxFinancedShareBps = 8_000;
        signature = _sign(financier2Key, resale);
        vm.prank(financier);
        desk.executeQuote(resale, signature);
        assertEq(desk.financedValueOf(small), 80_000_000);
    }

    function test_RevertWhen_QuoteLogisticsTermsOutOfRange() public {
        IFinancingDesk.Quote memory quote = _crossQuote(CAP, CAP, 1, 4, 8_000);
        bytes memory signature = _sign(financierKey, quote);
        vm.prank(supplierA);
        vm.expectRevert(abi.encodeWithSelector(IFinancingDesk.FinancingInvalidLogisticsTerms.selector, 4, 8_000));
        desk.executeQuote(quote, signature);
        quote = _crossQuote(CAP, CAP, 1, 0, 10_001);
        signature = _sign(financierKey, quote);
        vm.prank(supplierA);
        vm.expectRevert(abi.encodeWithSelector(IFinancingDesk.FinancingInvalidLogisticsTerms.selector, 0, 10_001));
        desk.executeQuote(quote, signature);
    }

    function test_RevertWhen_FinancingWithAStaleRate() public {
        IFinancingDesk.Quote memory quote = _crossQuote(CAP, CAP, 1, 0, 10_000);
        quote.expiry = block.timestamp + 2 hours;
        bytes memory signature = _sign(financierKey, quote);
        vm.warp(block.timestamp + FX_MAX_AGE + 1);
        vm.prank(supplierA);
        vm.expectRevert(
            abi.encodeWithSelector(
                IFxRateDirectory.FxRateStale.selector, USD, CNY, 1, START, FX_MAX_AGE, block.timestamp
            )
        );
        desk.executeQuote(quote, signature);
    }

    function test_RevertWhen_FinancingPaysInTheDenominationCurrency() public {
        IFinancingDesk.Quote memory quote = _crossQuote(CAP, CAP, 1, 0, 10_000);
        quote.cashToken = address(usd);
        bytes memory signature = _sign(financierKey, quote);
        vm.prank(supplierA);
        vm.expectRevert(
            abi.encodeWithSelector(IFinancingDesk.FinancingCashTokenMismatch.selector, CNY, address(cny), address(usd))
        );
        desk.executeQuote(quote, signature);
    }

    // ================================================================ early payment in CNY

    function test_EarlyPayment_PaysTheConvertedPriceRoundedUp() public {
        uint256 tokenB = _split(supplierA, tokenA, supplierB, 10_000_100);
        vm.prank(obligor);
        uint256 id = programme.openProgramme(slot, 600, 360, 0, 5_000_000_000, maturityAt);
        assertEq(programme.programme(id).cashToken, address(cny));
        // 90 days at 6% ACT/360: discount 1.5% of 10,000,100 = 150,001 (rounded down) -> price 9,850,099.
        uint256 price = 9_850_099;
        uint256 amount = _cnyCeil(price, USD_CNY);
        assertEq(amount, _cnyFloor(price, USD_CNY) + 1, "the product is not whole: ceil is one above floor");
        (uint256 quoted, uint256 days_, uint256 quotedAmount) = programme.quoteEarlyPayment(id, 10_000_100);
        assertEq(quoted, price);
        assertEq(days_, 90);
        assertEq(quotedAmount, amount);
        vm.expectEmit(address(programme));
        emit IEarlyPaymentProgram.EarlyPaymentTaken(
            id, tokenB, supplierB, 10_000_100, price, amount, 90, uint256(USD_CNY), FX_DECIMALS, 1, START
        );
        vm.prank(supplierB);
        assertEq(programme.takeEarlyPayment(id, tokenB, 10_000_100), amount);
        assertEq(cny.balanceOf(supplierB), amount);
        assertEq(programme.programme(id).spent, amount);
    }

    function test_RevertWhen_EarlyPaymentWithAStaleOrNonPositiveRate() public {
        vm.prank(obligor);
        uint256 id = programme.openProgramme(slot, 600, 360, 0, 5_000_000_000, maturityAt);
        vm.warp(block.timestamp + FX_MAX_AGE + 1);
        vm.prank(supplierA);
        vm.expectRevert(
            abi.encodeWithSelector(
                IFxRateDirectory.FxRateStale.selector, USD, CNY, 1, START, FX_MAX_AGE, block.timestamp
            )
        );
        programme.takeEarlyPayment(id, tokenA, 100);

        AggregatorMock broken = new AggregatorMock(8);
        broken.set(9, -1, block.timestamp);
        vm.prank(admin);
        fx.setFeed(USD, CNY, broken, FX_MAX_AGE);
        vm.prank(supplierA);
        vm.expectRevert(abi.encodeWithSelector(IFxRateDirectory.FxRateNotPositive.selector, USD, CNY, 9, -1));
        programme.takeEarlyPayment(id, tokenA, 100);
    }

    function test_RevertWhen_EarlyPaymentToAFrozenHolder() public {
        vm.prank(obligor);
        uint256 id = programme.openProgramme(slot, 600, 360, 0, 5_000_000_000, maturityAt);
        _freeze(supplierA);
        vm.prank(supplierA);
        vm.expectRevert(abi.encodeWithSelector(IEarlyPaymentProgram.EarlyPaymentHolderFrozen.selector, supplierA));
        programme.takeEarlyPayment(id, tokenA, 100);
    }

    // ================================================================ settlement in CNY

    /// @dev Four pieces: A keeps 1,940,000,000; B 30,000,000; C 20,000,100; D 9,999,900 (USD minor units).
    function _pieces() internal returns (uint256[] memory ids) {
        ids = new uint256[](4);
        ids[0] = tokenA;
        ids[1] = _split(supplierA, tokenA, supplierB, 30_000_000);
        ids[2] = _split(supplierA, tokenA, supplierC, 20_000_000);
        ids[3] = _split(supplierA, tokenA, supplierD, 10_000_000);
        _merge(supplierD, ids[3], ids[2], 100);
    }

    function _merge(address caller, uint256 fromId, uint256 toId, uint256 value) internal {
        vm.prank(caller);
        note.transferFrom(fromId, toId, value);
    }

    function test_Settlement_FullCoverPaysEveryPieceInCnyAtTheRoundsRate() public {
        uint256[] memory ids = _pieces();
        uint256 cover = _cnyCeil(FACE, USD_CNY);
        vm.prank(obligor);
        vault.fund(slot, cover);
        vm.warp(maturityAt);
        _submitRate(USD_CNY); // a fresh answer at maturity: round 2
        uint256 value = note.balanceOf(ids[1]);
        vm.expectEmit(address(vault));
        emit ISettlementVault.SettlementRoundOpened(
            slot, 1, cover, FACE, cover, uint256(USD_CNY), FX_DECIMALS, 2, block.timestamp
        );
        vm.expectEmit(address(vault));
        emit ISettlementVault.SettlementPaid(
            slot, ids[1], supplierB, value, _cnyFloor(value, USD_CNY), uint256(USD_CNY), FX_DECIMALS, 2, block.timestamp
        );
        uint256[] memory first = new uint256[](1);
        first[0] = ids[1];
        vault.payout(slot, first);
        vault.payout(slot, ids);

        uint256 paid;
        address[4] memory holders = [supplierA, supplierB, supplierC, supplierD];
        for (uint256 i; i < holders.length; ++i) {
            paid += cny.balanceOf(holders[i]);
        }
        assertEq(note.outstandingValueOf(slot), 0);
        assertEq(uint8(vault.statusOf(slot)), uint8(ISettlementVault.SettlementStatus.Settled));
        assertLe(paid, cover, "never more than funded");
        // Each of the four pieces loses less than one fen to the floor.
        assertGe(paid + 4, _cnyFloor(FACE, USD_CNY));
        assertEq(cny.balanceOf(address(vault)), cover - paid);

        // The remainders are the obligor's; no rate is needed any more (the feed may well be stale).
        vm.warp(block.timestamp + 30 days);
        vm.prank(obligor);
        assertEq(vault.withdrawExcess(slot), cover - paid);
    }

    function test_Settlement_ARoundPaysAtOneRateWhateverTheFeedDoesMeanwhile() public {
        uint256[] memory ids = _pieces();
        vm.prank(obligor);
        vault.fund(slot, _cnyCeil(FACE, USD_CNY));
        vm.warp(maturityAt);
        _submitRate(USD_CNY);
        uint256[] memory first = new uint256[](1);
        first[0] = ids[0];
        vault.payout(slot, first);
        _submitRate(800_000_000); // the market moves mid-round
        uint256 value = note.balanceOf(ids[2]);
        vm.expectEmit(address(vault));
        emit ISettlementVault.SettlementPaid(
            slot, ids[2], supplierC, value, _cnyFloor(value, USD_CNY), uint256(USD_CNY), FX_DECIMALS, 2, block.timestamp
        );
        vault.payout(slot, ids);
        assertEq(vault.accountOf(slot).roundRateId, 2);
    }

    function test_Settlement_ProRataAgainstTheConvertedOutstanding() public {
        uint256[] memory ids = _pieces();
        uint256 cover = _cnyCeil(FACE, USD_CNY);
        vm.prank(obligor);
        vault.fund(slot, cover / 4);
        vm.warp(maturityAt);
        _submitRate(USD_CNY);
        uint256 total = vault.payout(slot, ids);
        assertLe(total, cover / 4);
        ISettlementVault.SlotAccount memory account = vault.accountOf(slot);
        assertEq(account.roundOutstandingCash, cover);
        // A's 1,940,000,000 earns a quarter, in whole dollars: 485,000,000 of value, paid floor(v * R).
        uint256 shareA = Math.mulDiv(1_940_000_000, cover / 4, cover) / UNIT * UNIT;
        assertEq(note.balanceOf(ids[0]), 1_940_000_000 - shareA);
        assertEq(cny.balanceOf(supplierA), _cnyFloor(shareA, USD_CNY));
    }

    function test_RevertWhen_SettlementRoundWouldOpenOnAStaleRate() public {
        uint256[] memory ids = _pieces();
        vm.prank(obligor);
        vault.fund(slot, 1_000_000);
        vm.warp(maturityAt);
        vm.expectRevert(
            abi.encodeWithSelector(
                IFxRateDirectory.FxRateStale.selector, USD, CNY, 1, START, FX_MAX_AGE, block.timestamp
            )
        );
        vault.payout(slot, ids);
    }

    function test_RevertWhen_FundingWithAStaleRateOrAboveTheConvertedOutstanding() public {
        uint256 cover = _cnyCeil(FACE, USD_CNY);
        vm.prank(obligor);
        vm.expectRevert(abi.encodeWithSelector(ISettlementVault.SettlementOverfunded.selector, slot, cover, cover + 1));
        vault.fund(slot, cover + 1);
        vm.warp(block.timestamp + FX_MAX_AGE + 1);
        vm.prank(obligor);
        vm.expectRevert(
            abi.encodeWithSelector(
                IFxRateDirectory.FxRateStale.selector, USD, CNY, 1, START, FX_MAX_AGE, block.timestamp
            )
        );
        vault.fund(slot, 1);
    }

    function test_Settlement_WithholdsFrozenHoldersAndPaysOnlyUnfrozenValue() public {
        uint256[] memory ids = _pieces();
        vm.prank(obligor);
        vault.fund(slot, _cnyCeil(FACE, USD_CNY));
        _freeze(supplierB);
        vm.startPrank(agent);
        note.setTokenFrozen(ids[3], true, REASON);
        note.freezePartialValue(ids[2], 10_000_000, REASON);
        vm.stopPrank();
        vm.warp(maturityAt);
        _submitRate(USD_CNY);
        vm.expectEmit(address(vault));
        emit ISettlementVault.SettlementPaymentWithheld(
            slot, ids[1], supplierB, ISettlementVault.WithholdingReason.HolderFrozen
        );
        vm.expectEmit(address(vault));
        emit ISettlementVault.SettlementPaymentWithheld(
            slot, ids[3], supplierD, ISettlementVault.WithholdingReason.PieceFrozen
        );
        vault.payout(slot, ids);
        assertEq(note.balanceOf(ids[1]), 30_000_000);
        assertEq(note.balanceOf(ids[2]), 10_000_000, "the frozen part waits");
        assertEq(note.balanceOf(ids[3]), 9_999_900);
        vm.prank(supplierB);
        vm.expectRevert(abi.encodeWithSelector(ISettlementVault.SettlementHolderFrozen.selector, supplierB));
        vault.claim(ids[1]);
        vm.prank(supplierD);
        vm.expectRevert(abi.encodeWithSelector(ISettlementVault.SettlementPieceFrozen.selector, ids[3]));
        vault.claim(ids[3]);
        assertEq(vault.quotePayout(ids[1]), 0);
    }

    function test_Settlement_QuotePayoutPreviewsTheConvertedPayment() public {
        uint256[] memory ids = _pieces();
        vm.prank(obligor);
        vault.fund(slot, _cnyCeil(FACE, USD_CNY));
        vm.warp(maturityAt);
        _submitRate(USD_CNY);
        uint256 value = note.balanceOf(ids[1]);
        assertEq(vault.quotePayout(ids[1]), _cnyFloor(value, USD_CNY));
        vm.prank(supplierB);
        assertEq(vault.claim(ids[1]), _cnyFloor(value, USD_CNY));
        assertEq(vault.quotePayout(ids[1]), 0);
    }
}
