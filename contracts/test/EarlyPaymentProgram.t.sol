// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {
    IAccessControlDefaultAdminRules
} from "@openzeppelin/contracts/access/extensions/IAccessControlDefaultAdminRules.sol";
import {IFxRateDirectory} from "../src/interfaces/IFxRateDirectory.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {EarlyPaymentProgram} from "../src/EarlyPaymentProgram.sol";
import {DiscountMath} from "../src/libraries/DiscountMath.sol";
import {ICascadeNote} from "../src/interfaces/ICascadeNote.sol";
import {ICashTokenDirectory} from "../src/interfaces/ICashTokenDirectory.sol";
import {IEarlyPaymentProgram} from "../src/interfaces/IEarlyPaymentProgram.sol";
import {IReceivableNote} from "../src/interfaces/IReceivableNote.sol";
import {SettlementTestBase} from "./SettlementTestBase.sol";

contract EarlyPaymentProgramTest is SettlementTestBase {
    uint256 internal constant FACE = 1_000_000_000;
    uint256 internal constant UNIT = 100;
    uint256 internal constant BUDGET = 500_000_000;
    uint8 internal constant DISCOUNT = 0;
    uint8 internal constant YIELD = 1;

    uint256 internal maturityAt;
    uint256 internal slot;
    uint256 internal tokenA;
    uint256 internal tokenB;
    uint256 internal tokenC;
    uint256 internal tokenD;

    function setUp() public override {
        super.setUp();
        maturityAt = block.timestamp + 180 days;
        (slot, tokenA) = _issue(supplierA, FACE, UNIT, maturityAt);
        tokenB = _split(supplierA, tokenA, supplierB, 400_000_000);
        tokenC = _split(supplierB, tokenB, supplierC, 200_000_000);
        tokenD = _split(supplierC, tokenC, supplierD, 103_000_000);
        _mint(cny, obligor, 2_000_000_000);
        _approve(cny, obligor, address(programme), type(uint256).max);
    }

    function _open(uint256 rateBps, uint256 basisDays, uint8 quoting, uint256 budget, uint256 cutoffAt)
        internal
        returns (uint256)
    {
        vm.prank(obligor);
        return programme.openProgramme(slot, rateBps, basisDays, quoting, budget, cutoffAt);
    }

    function _openDefault() internal returns (uint256) {
        return _open(600, 360, DISCOUNT, BUDGET, maturityAt);
    }

    function _take(address holder, uint256 programmeId, uint256 tokenId, uint256 value) internal returns (uint256) {
        vm.prank(holder);
        return programme.takeEarlyPayment(programmeId, tokenId, value);
    }

    function _expectOpenRevert(
        uint256 rateBps,
        uint256 basisDays,
        uint8 quoting,
        uint256 budget,
        uint256 cutoffAt,
        bytes memory err
    ) internal {
        vm.expectRevert(err);
        vm.prank(obligor);
        programme.openProgramme(slot, rateBps, basisDays, quoting, budget, cutoffAt);
    }

    // ------------------------------------------------------------ deployment

    function test_Constructor_WiresNoteAndAdmin() public view {
        assertEq(address(programme.note()), address(note));
        assertEq(address(programme.fxRates()), address(fx));
        assertEq(programme.defaultAdminDelay(), ADMIN_DELAY);
        assertTrue(programme.hasRole(DEFAULT_ADMIN_ROLE, admin));
        assertTrue(programme.isTrustedForwarder(address(forwarder)));
        assertEq(programme.MAX_RATE_BPS(), 10_000);
        assertEq(programme.programmeCount(), 0);
    }

    function test_RevertWhen_ConstructorNoteIsZero() public {
        vm.expectRevert(IEarlyPaymentProgram.EarlyPaymentZeroAddress.selector);
        new EarlyPaymentProgram(ICascadeNote(address(0)), fx, address(forwarder), admin, ADMIN_DELAY);
    }

    function test_RevertWhen_ConstructorFxIsZero() public {
        vm.expectRevert(IEarlyPaymentProgram.EarlyPaymentZeroAddress.selector);
        new EarlyPaymentProgram(note, IFxRateDirectory(address(0)), address(forwarder), admin, ADMIN_DELAY);
    }

    function test_RevertWhen_ConstructorAdminIsZero() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControlDefaultAdminRules.AccessControlInvalidDefaultAdmin.selector, address(0)
            )
        );
        new EarlyPaymentProgram(note, fx, address(forwarder), address(0), ADMIN_DELAY);
    }

    // ------------------------------------------------------------ openProgramme

    function test_OpenProgramme_EscrowsBudgetAndEmits() public {
        uint256 cutoffAt = maturityAt - 30 days;
        vm.expectEmit(address(programme));
        emit IEarlyPaymentProgram.EarlyPaymentProgrammeOpened(
            1, slot, obligor, address(cny), 600, 360, IEarlyPaymentProgram.Quoting.Discount, BUDGET, cutoffAt
        );
        uint256 id = _open(600, 360, DISCOUNT, BUDGET, cutoffAt);
        assertEq(id, 1);
        assertEq(programme.programmeCount(), 1);
        assertEq(cny.balanceOf(address(programme)), BUDGET);
        assertEq(cny.balanceOf(obligor), 2_000_000_000 - BUDGET);

        IEarlyPaymentProgram.Programme memory p = programme.programme(id);
        assertEq(p.slot, slot);
        assertEq(p.obligor, obligor);
        assertEq(p.cashToken, address(cny));
        assertEq(p.rateBps, 600);
        assertEq(p.basisDays, 360);
        assertEq(uint8(p.quoting), DISCOUNT);
        assertFalse(p.closed);
        assertEq(p.cutoffAt, cutoffAt);
        assertEq(p.maturityAt, maturityAt);
        assertEq(p.budget, BUDGET);
        assertEq(p.spent, 0);
        assertEq(p.redeemedValue, 0);
    }

    function test_OpenProgramme_ThroughForwarder() public {
        vm.prank(obligor);
        cny.approve(address(programme), 0);
        _relay(obligorKey, address(cny), abi.encodeCall(IERC20.approve, (address(programme), BUDGET)));
        _relay(
            obligorKey,
            address(programme),
            abi.encodeCall(IEarlyPaymentProgram.openProgramme, (slot, 800, 365, YIELD, BUDGET, maturityAt))
        );
        assertEq(programme.programme(1).obligor, obligor);
        assertEq(uint8(programme.programme(1).quoting), YIELD);
        assertEq(cny.balanceOf(address(programme)), BUDGET);
    }

    function test_OpenProgramme_SeveralPerVoucher() public {
        uint256 first = _openDefault();
        uint256 second = _open(900, 365, YIELD, 1_000, maturityAt - 1);
        assertEq(second, first + 1);
        assertEq(cny.balanceOf(address(programme)), BUDGET + 1_000);
    }

    function test_RevertWhen_OpenByNonObligor() public {
        _mint(cny, supplierA, BUDGET);
        vm.expectRevert(
            abi.encodeWithSelector(IEarlyPaymentProgram.EarlyPaymentCallerNotObligor.selector, supplierA, obligor)
        );
        vm.prank(supplierA);
        programme.openProgramme(slot, 600, 360, DISCOUNT, BUDGET, maturityAt);
    }

    function test_RevertWhen_OpenOnUnknownVoucher() public {
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteUnknownVoucher.selector, 42));
        vm.prank(obligor);
        programme.openProgramme(42, 600, 360, DISCOUNT, BUDGET, maturityAt);
    }

    function test_RevertWhen_OpenOnRedeemedVoucher() public {
        (uint256 small, uint256 smallToken) = _issue(supplierA, 100, 100, maturityAt);
        vm.prank(admin);
        note.grantRole(REDEEMER_ROLE, address(this));
        note.redeem(smallToken, 100);
        vm.expectRevert(abi.encodeWithSelector(IEarlyPaymentProgram.EarlyPaymentVoucherNotActive.selector, small, 2));
        vm.prank(obligor);
        programme.openProgramme(small, 600, 360, DISCOUNT, BUDGET, maturityAt);
    }

    function test_RevertWhen_CutoffNotInFuture() public {
        _expectOpenRevert(
            600,
            360,
            DISCOUNT,
            BUDGET,
            block.timestamp,
            abi.encodeWithSelector(
                IEarlyPaymentProgram.EarlyPaymentInvalidCutoff.selector, block.timestamp, block.timestamp, maturityAt
            )
        );
    }

    function test_RevertWhen_CutoffAfterMaturity() public {
        _expectOpenRevert(
            600,
            360,
            DISCOUNT,
            BUDGET,
            maturityAt + 1,
            abi.encodeWithSelector(
                IEarlyPaymentProgram.EarlyPaymentInvalidCutoff.selector, maturityAt + 1, block.timestamp, maturityAt
            )
        );
    }

    function test_RevertWhen_RateZeroOrAbove100Percent() public {
        _expectOpenRevert(
            0,
            360,
            DISCOUNT,
            BUDGET,
            maturityAt,
            abi.encodeWithSelector(IEarlyPaymentProgram.EarlyPaymentInvalidRate.selector, 0)
        );
        _expectOpenRevert(
            10_001,
            360,
            DISCOUNT,
            BUDGET,
            maturityAt,
            abi.encodeWithSelector(IEarlyPaymentProgram.EarlyPaymentInvalidRate.selector, 10_001)
        );
    }

    function test_RevertWhen_BasisInvalid() public {
        _expectOpenRevert(
            600,
            364,
            DISCOUNT,
            BUDGET,
            maturityAt,
            abi.encodeWithSelector(DiscountMath.DiscountMathInvalidBasis.selector, 364)
        );
    }

    function test_RevertWhen_QuotingInvalid() public {
        _expectOpenRevert(
            600,
            360,
            2,
            BUDGET,
            maturityAt,
            abi.encodeWithSelector(IEarlyPaymentProgram.EarlyPaymentInvalidQuoting.selector, 2)
        );
    }

    function test_RevertWhen_BudgetZero() public {
        _expectOpenRevert(
            600,
            360,
            DISCOUNT,
            0,
            maturityAt,
            abi.encodeWithSelector(IEarlyPaymentProgram.EarlyPaymentZeroBudget.selector)
        );
    }

    function test_RevertWhen_OpenWithoutCashToken() public {
        vm.prank(admin);
        programme.setCashToken(CNY, IERC20(address(0)));
        _expectOpenRevert(
            600,
            360,
            DISCOUNT,
            BUDGET,
            maturityAt,
            abi.encodeWithSelector(ICashTokenDirectory.CashTokenNotRegistered.selector, CNY)
        );
    }

    function test_RevertWhen_OpenWithoutCashApproval() public {
        _approve(cny, obligor, address(programme), BUDGET - 1);
        _expectOpenRevert(
            600,
            360,
            DISCOUNT,
            BUDGET,
            maturityAt,
            abi.encodeWithSelector(
                IERC20Errors.ERC20InsufficientAllowance.selector, address(programme), BUDGET - 1, BUDGET
            )
        );
        assertEq(programme.programmeCount(), 0);
    }

    // ------------------------------------------------------------ takeEarlyPayment

    function test_TakeEarlyPayment_DiscountQuotingBurnsValueAndPays() public {
        uint256 id = _openDefault();
        // tier 3: 50,000,000 at 6% for 180 days on ACT/360: discount 3% = 1,500,000
        vm.expectEmit(address(programme));
        // A domestic voucher records the identity rate: 1, decimals 0, round 0, the payment's time.
        emit IEarlyPaymentProgram.EarlyPaymentTaken(
            id, tokenC, supplierC, 50_000_000, 48_500_000, 48_500_000, 180, 1, 0, 0, block.timestamp
        );
        uint256 price = _take(supplierC, id, tokenC, 50_000_000);
        assertEq(price, 48_500_000);
        assertEq(cny.balanceOf(supplierC), 48_500_000);
        assertEq(note.balanceOf(tokenC), 97_000_000 - 50_000_000);
        assertEq(note.outstandingValueOf(slot), FACE - 50_000_000);
        assertEq(note.voucherOf(slot).redeemedValue, 50_000_000);
        IEarlyPaymentProgram.Programme memory p = programme.programme(id);
        assertEq(p.spent, 48_500_000);
        assertEq(p.redeemedValue, 50_000_000);
        assertEq(cny.balanceOf(address(programme)), BUDGET - 48_500_000);
    }

    function test_TakeEarlyPayment_YieldQuoting() public {
        uint256 id = _open(600, 360, YIELD, BUDGET, maturityAt);
        // 103,000,000 / (1 + 6% * 180/360) = 100,000,000 exactly
        assertEq(_take(supplierD, id, tokenD, 103_000_000), 100_000_000);
        assertEq(note.balanceOf(tokenD), 0);
        assertEq(cny.balanceOf(supplierD), 100_000_000);
    }

    function test_TakeEarlyPayment_PriceRisesAsMaturityNears() public {
        uint256 id = _openDefault();
        vm.warp(block.timestamp + 90 days + 12 hours); // 89.5 days left -> 89 whole days
        (uint256 quoted, uint256 days_,) = programme.quoteEarlyPayment(id, 10_000_000);
        assertEq(days_, 89);
        uint256 value = 10_000_000;
        assertEq(quoted, value - (value * 600 * 89) / 3_600_000);
        assertEq(_take(supplierA, id, tokenA, 10_000_000), quoted);
    }

    function test_TakeEarlyPayment_AtCutoffInclusive() public {
        uint256 cutoffAt = maturityAt - 10 days;
        uint256 id = _open(600, 360, DISCOUNT, BUDGET, cutoffAt);
        vm.warp(cutoffAt);
        uint256 value = 1_000_000;
        assertEq(_take(supplierB, id, tokenB, value), value - value * 600 * 10 / 3_600_000);
    }

    function test_TakeEarlyPayment_OnMaturityDayAtPar() public {
        uint256 id = _openDefault();
        vm.warp(maturityAt);
        (uint256 quoted, uint256 days_,) = programme.quoteEarlyPayment(id, 5_000_000);
        assertEq(days_, 0);
        assertEq(quoted, 5_000_000);
        assertEq(_take(supplierB, id, tokenB, 5_000_000), 5_000_000);
    }

    function test_TakeEarlyPayment_ThroughForwarderByTier4() public {
        uint256 id = _openDefault();
        assertEq(supplierD.balance, 0);
        _relay(
            supplierDKey,
            address(programme),
            abi.encodeCall(IEarlyPaymentProgram.takeEarlyPayment, (id, tokenD, 1_000_000))
        );
        assertEq(cny.balanceOf(supplierD), 970_000);
        assertEq(note.balanceOf(tokenD), 102_000_000);
    }

    function test_TakeEarlyPayment_LastValueRedeemsVoucher() public {
        (uint256 small, uint256 smallToken) = _issue(supplierA, 10_000, 100, maturityAt);
        vm.prank(obligor);
        uint256 id = programme.openProgramme(small, 600, 360, DISCOUNT, 10_000, maturityAt);
        vm.expectEmit(address(note));
        emit IReceivableNote.VoucherRedeemed(small);
        assertEq(_take(supplierA, id, smallToken, 10_000), 9_700);
        assertEq(uint8(note.voucherOf(small).status), uint8(IReceivableNote.VoucherStatus.Redeemed));
        assertEq(note.outstandingValueOf(small), 0);
    }

    function test_TakeEarlyPayment_SpendsBudgetExactly() public {
        uint256 id = _open(600, 360, DISCOUNT, 970_000, maturityAt);
        _take(supplierA, id, tokenA, 1_000_000);
        assertEq(programme.programme(id).spent, 970_000);
        vm.expectRevert(abi.encodeWithSelector(IEarlyPaymentProgram.EarlyPaymentBudgetExceeded.selector, id, 0, 97));
        vm.prank(supplierA);
        programme.takeEarlyPayment(id, tokenA, 100);
    }

    function test_RevertWhen_TakeUnknownProgramme() public {
        vm.expectRevert(abi.encodeWithSelector(IEarlyPaymentProgram.EarlyPaymentUnknownProgramme.selector, 5));
        _take(supplierA, 5, tokenA, 100);
    }

    function test_RevertWhen_TakeClosedProgramme() public {
        uint256 id = _openDefault();
        vm.prank(obligor);
        programme.closeProgramme(id);
        vm.expectRevert(abi.encodeWithSelector(IEarlyPaymentProgram.EarlyPaymentProgrammeNotOpen.selector, id));
        _take(supplierA, id, tokenA, 100);
    }

    function test_RevertWhen_TakeAfterCutoff() public {
        uint256 cutoffAt = maturityAt - 10 days;
        uint256 id = _open(600, 360, DISCOUNT, BUDGET, cutoffAt);
        vm.warp(cutoffAt + 1);
        vm.expectRevert(
            abi.encodeWithSelector(IEarlyPaymentProgram.EarlyPaymentCutoffPassed.selector, cutoffAt, cutoffAt + 1)
        );
        _take(supplierA, id, tokenA, 100);
    }

    function test_RevertWhen_TakeByNonHolder() public {
        uint256 id = _openDefault();
        vm.expectRevert(
            abi.encodeWithSelector(
                IEarlyPaymentProgram.EarlyPaymentCallerNotHolder.selector, supplierB, tokenA, supplierA
            )
        );
        _take(supplierB, id, tokenA, 100);
    }

    function test_RevertWhen_TakeByUnverifiedHolder() public {
        uint256 id = _openDefault();
        _revoke(supplierC);
        vm.expectRevert(abi.encodeWithSelector(IEarlyPaymentProgram.EarlyPaymentHolderNotVerified.selector, supplierC));
        _take(supplierC, id, tokenC, 100);
    }

    function test_RevertWhen_TakeNonexistentToken() public {
        uint256 id = _openDefault();
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteNonexistentToken.selector, 99));
        _take(supplierA, id, 99, 100);
    }

    function test_RevertWhen_TakeTokenOfAnotherVoucher() public {
        uint256 id = _openDefault();
        (uint256 otherSlot, uint256 otherToken) = _issue(supplierA, 10_000, 100, maturityAt);
        vm.expectRevert(
            abi.encodeWithSelector(IEarlyPaymentProgram.EarlyPaymentSlotMismatch.selector, otherToken, otherSlot, slot)
        );
        _take(supplierA, id, otherToken, 100);
    }

    function test_RevertWhen_TakeZeroValue() public {
        uint256 id = _openDefault();
        vm.expectRevert(abi.encodeWithSelector(IEarlyPaymentProgram.EarlyPaymentInvalidValue.selector, 0, UNIT));
        _take(supplierA, id, tokenA, 0);
    }

    function test_RevertWhen_TakeValueNotUnitMultiple() public {
        uint256 id = _openDefault();
        vm.expectRevert(abi.encodeWithSelector(IEarlyPaymentProgram.EarlyPaymentInvalidValue.selector, 150, UNIT));
        _take(supplierA, id, tokenA, 150);
    }

    function test_RevertWhen_TakeMoreThanBalance() public {
        uint256 id = _openDefault();
        vm.expectRevert(
            abi.encodeWithSelector(
                IEarlyPaymentProgram.EarlyPaymentInsufficientValue.selector, tokenD, 103_000_000, 103_000_100
            )
        );
        _take(supplierD, id, tokenD, 103_000_100);
    }

    function test_RevertWhen_TakeExceedsBudget() public {
        uint256 id = _open(600, 360, DISCOUNT, 1_000, maturityAt);
        vm.expectRevert(
            abi.encodeWithSelector(IEarlyPaymentProgram.EarlyPaymentBudgetExceeded.selector, id, 1_000, 9_700)
        );
        _take(supplierA, id, tokenA, 10_000);
    }

    function test_RevertWhen_PriceRoundsToZero() public {
        // 100% a year with exactly one ACT/360 year left: the discount is the whole value.
        (uint256 longSlot, uint256 longToken) = _issue(supplierA, 10_000, 100, block.timestamp + 400 days);
        vm.prank(obligor);
        uint256 id = programme.openProgramme(longSlot, 10_000, 360, DISCOUNT, 10_000, block.timestamp + 400 days);
        vm.expectRevert(abi.encodeWithSelector(DiscountMath.DiscountMathDiscountExceedsValue.selector, 100, 111));
        _take(supplierA, id, longToken, 100);
        vm.warp(block.timestamp + 40 days);
        vm.expectRevert(abi.encodeWithSelector(IEarlyPaymentProgram.EarlyPaymentZeroPrice.selector, 100, 360));
        _take(supplierA, id, longToken, 100);
    }

    function test_RevertWhen_TakeWhileNotePaused() public {
        uint256 id = _openDefault();
        vm.prank(pauser);
        note.pause();
        vm.expectRevert(Pausable.EnforcedPause.selector);
        _take(supplierA, id, tokenA, 100);
        assertEq(programme.programme(id).spent, 0);
    }

    function test_RevertWhen_ProgrammeLacksRedeemerRole() public {
        uint256 id = _openDefault();
        vm.prank(admin);
        note.revokeRole(REDEEMER_ROLE, address(programme));
        vm.expectRevert(_unauthorized(address(programme), REDEEMER_ROLE));
        _take(supplierA, id, tokenA, 100);
    }

    // ------------------------------------------------------------ closeProgramme

    function test_CloseProgramme_RefundsUnspentBudget() public {
        uint256 id = _openDefault();
        uint256 price = _take(supplierA, id, tokenA, 100_000_000);
        uint256 refund = BUDGET - price;
        uint256 before = cny.balanceOf(obligor);
        vm.expectEmit(address(programme));
        emit IEarlyPaymentProgram.EarlyPaymentProgrammeClosed(id, obligor, refund);
        vm.prank(obligor);
        assertEq(programme.closeProgramme(id), refund);
        assertEq(cny.balanceOf(obligor), before + refund);
        assertEq(cny.balanceOf(address(programme)), 0);
        assertTrue(programme.programme(id).closed);
    }

    function test_CloseProgramme_FullySpentRefundsNothing() public {
        uint256 id = _open(600, 360, DISCOUNT, 970_000, maturityAt);
        _take(supplierA, id, tokenA, 1_000_000);
        vm.prank(obligor);
        assertEq(programme.closeProgramme(id), 0);
    }

    function test_CloseProgramme_LeavesOtherProgrammesFunded() public {
        uint256 first = _openDefault();
        uint256 second = _open(600, 360, YIELD, 1_000_000, maturityAt);
        vm.prank(obligor);
        programme.closeProgramme(first);
        assertEq(cny.balanceOf(address(programme)), 1_000_000);
        _take(supplierA, second, tokenA, 100_000);
    }

    function test_CloseProgramme_ThroughForwarder() public {
        uint256 id = _openDefault();
        _relay(obligorKey, address(programme), abi.encodeCall(IEarlyPaymentProgram.closeProgramme, (id)));
        assertTrue(programme.programme(id).closed);
        assertEq(cny.balanceOf(obligor), 2_000_000_000);
    }

    function test_RevertWhen_CloseByNonObligor() public {
        uint256 id = _openDefault();
        vm.expectRevert(
            abi.encodeWithSelector(IEarlyPaymentProgram.EarlyPaymentCallerNotObligor.selector, supplierA, obligor)
        );
        vm.prank(supplierA);
        programme.closeProgramme(id);
    }

    function test_RevertWhen_CloseTwice() public {
        uint256 id = _openDefault();
        vm.startPrank(obligor);
        programme.closeProgramme(id);
        vm.expectRevert(abi.encodeWithSelector(IEarlyPaymentProgram.EarlyPaymentProgrammeNotOpen.selector, id));
        programme.closeProgramme(id);
        vm.stopPrank();
    }

    function test_RevertWhen_CloseUnknownProgramme() public {
        vm.expectRevert(abi.encodeWithSelector(IEarlyPaymentProgram.EarlyPaymentUnknownProgramme.selector, 3));
        vm.prank(obligor);
        programme.closeProgramme(3);
    }

    // ------------------------------------------------------------ views

    function test_RevertWhen_ViewUnknownProgramme() public {
        vm.expectRevert(abi.encodeWithSelector(IEarlyPaymentProgram.EarlyPaymentUnknownProgramme.selector, 0));
        programme.programme(0);
        vm.expectRevert(abi.encodeWithSelector(IEarlyPaymentProgram.EarlyPaymentUnknownProgramme.selector, 1));
        programme.quoteEarlyPayment(1, 100);
    }

    function testFuzz_TakeEarlyPayment_PaysTheLibraryPrice(
        uint256 value,
        uint256 elapsed,
        uint256 rateBps,
        bool yield_,
        bool act365
    ) public {
        value = bound(value, 1, 97_000_000 / UNIT) * UNIT;
        rateBps = bound(rateBps, 1, 10_000);
        uint256 basis = act365 ? 365 : 360;
        uint256 id = _open(rateBps, basis, yield_ ? YIELD : DISCOUNT, BUDGET, maturityAt);
        vm.warp(block.timestamp + bound(elapsed, 0, 180 days));
        uint256 expected = _expectedPrice(value, rateBps, yield_, basis);
        _assertQuote(id, value, expected);
        uint256 outstandingBefore = note.outstandingValueOf(slot);
        assertEq(_take(supplierC, id, tokenC, value), expected);
        assertLe(expected, value);
        assertEq(note.outstandingValueOf(slot), outstandingBefore - value);
        assertEq(cny.balanceOf(address(programme)), BUDGET - expected);
        assertEq(cny.balanceOf(supplierC), expected);
    }

    /// @dev A domestic quote: the price and the cash amount are one figure.
    function _assertQuote(uint256 id, uint256 value, uint256 expected) internal view {
        (uint256 quoted, uint256 quotedDays, uint256 quotedAmount) = programme.quoteEarlyPayment(id, value);
        assertEq(quoted, expected);
        assertEq(quotedAmount, expected);
        assertEq(quotedDays, DiscountMath.daysUntil(block.timestamp, maturityAt));
    }

    function _expectedPrice(uint256 value, uint256 rateBps, bool yield_, uint256 basis)
        internal
        view
        returns (uint256)
    {
        uint256 days_ = DiscountMath.daysUntil(block.timestamp, maturityAt);
        return yield_
            ? DiscountMath.yieldPrice(value, rateBps, days_, basis)
            : DiscountMath.discountPrice(value, rateBps, days_, basis);
    }
}
