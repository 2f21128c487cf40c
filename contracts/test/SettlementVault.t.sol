// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {
    IAccessControlDefaultAdminRules
} from "@openzeppelin/contracts/access/extensions/IAccessControlDefaultAdminRules.sol";
import {IFxRateDirectory} from "../src/interfaces/IFxRateDirectory.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {SettlementVault} from "../src/SettlementVault.sol";
import {SettlementToken} from "../src/SettlementToken.sol";
import {ICascadeNote} from "../src/interfaces/ICascadeNote.sol";
import {ICashTokenDirectory} from "../src/interfaces/ICashTokenDirectory.sol";
import {IReceivableNote} from "../src/interfaces/IReceivableNote.sol";
import {ISettlementVault} from "../src/interfaces/ISettlementVault.sol";
import {SettlementTestBase} from "./SettlementTestBase.sol";

contract SettlementVaultTest is SettlementTestBase {
    uint256 internal constant FACE = 1_000_000; // CNY 10,000.00
    uint256 internal constant UNIT = 100;

    uint256 internal maturityAt;
    uint256 internal slot;
    uint256 internal tokenA;
    uint256 internal tokenB;
    uint256 internal tokenC;
    uint256 internal tokenD;

    function setUp() public override {
        super.setUp();
        maturityAt = block.timestamp + 90 days;
        (slot, tokenA) = _issue(supplierA, FACE, UNIT, maturityAt);
        tokenB = _split(supplierA, tokenA, supplierB, 400_000);
        tokenC = _split(supplierB, tokenB, supplierC, 150_000);
        tokenD = _split(supplierC, tokenC, supplierD, 50_000);
        // A 600,000 | B 250,000 | C 100,000 | D 50,000
        _mint(cny, obligor, 100 * FACE);
        _approve(cny, obligor, address(vault), type(uint256).max);
    }

    function _fund(uint256 amount) internal {
        vm.prank(obligor);
        vault.fund(slot, amount);
    }

    function _all() internal view returns (uint256[] memory ids) {
        ids = new uint256[](4);
        (ids[0], ids[1], ids[2], ids[3]) = (tokenA, tokenB, tokenC, tokenD);
    }

    function _ids(uint256 a) internal pure returns (uint256[] memory ids) {
        ids = new uint256[](1);
        ids[0] = a;
    }

    function _ids(uint256 a, uint256 b) internal pure returns (uint256[] memory ids) {
        ids = new uint256[](2);
        (ids[0], ids[1]) = (a, b);
    }

    function _claim(address holder, uint256 tokenId) internal returns (uint256) {
        vm.prank(holder);
        return vault.claim(tokenId);
    }

    /// @dev The note's refusal to move a piece of the voucher from maturity on, as of now.
    function _matured() internal view returns (bytes memory) {
        return abi.encodeWithSelector(IReceivableNote.NoteVoucherMatured.selector, slot, maturityAt, block.timestamp);
    }

    // ------------------------------------------------------------ deployment and terms

    function test_Constructor_WiresNoteAdminAndTerms() public {
        assertEq(address(vault.note()), address(note));
        assertTrue(vault.hasRole(DEFAULT_ADMIN_ROLE, admin));
        assertTrue(vault.isTrustedForwarder(address(forwarder)));
        assertEq(vault.graceSeconds(), GRACE);
        assertEq(vault.defaultAfterSeconds(), DEFAULT_AFTER);
        vm.expectEmit();
        emit ISettlementVault.SettlementTermsSet(1 days, 2 days);
        new SettlementVault(note, fx, address(forwarder), admin, ADMIN_DELAY, 1 days, 2 days);
        assertEq(address(vault.fxRates()), address(fx));
        assertEq(vault.defaultAdminDelay(), ADMIN_DELAY);
    }

    function test_RevertWhen_ConstructorNoteIsZero() public {
        vm.expectRevert(ISettlementVault.SettlementZeroAddress.selector);
        new SettlementVault(ICascadeNote(address(0)), fx, address(forwarder), admin, ADMIN_DELAY, GRACE, DEFAULT_AFTER);
    }

    function test_RevertWhen_ConstructorFxIsZero() public {
        vm.expectRevert(ISettlementVault.SettlementZeroAddress.selector);
        new SettlementVault(
            note, IFxRateDirectory(address(0)), address(forwarder), admin, ADMIN_DELAY, GRACE, DEFAULT_AFTER
        );
    }

    function test_RevertWhen_ConstructorAdminIsZero() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControlDefaultAdminRules.AccessControlInvalidDefaultAdmin.selector, address(0)
            )
        );
        new SettlementVault(note, fx, address(forwarder), address(0), ADMIN_DELAY, GRACE, DEFAULT_AFTER);
    }

    function test_RevertWhen_ConstructorTermsInvalid() public {
        vm.expectRevert(abi.encodeWithSelector(ISettlementVault.SettlementInvalidTerms.selector, 2 days, 1 days));
        new SettlementVault(note, fx, address(forwarder), admin, ADMIN_DELAY, 2 days, 1 days);
    }

    function test_SetTerms_UpdatesAndEmits() public {
        vm.expectEmit(address(vault));
        emit ISettlementVault.SettlementTermsSet(3 days, 3 days);
        vm.prank(admin);
        vault.setTerms(3 days, 3 days);
        assertEq(vault.graceSeconds(), 3 days);
        assertEq(vault.defaultAfterSeconds(), 3 days);
    }

    function test_RevertWhen_SetTermsByNonAdmin() public {
        vm.expectRevert(_unauthorized(obligor, DEFAULT_ADMIN_ROLE));
        vm.prank(obligor);
        vault.setTerms(1, 2);
    }

    function test_RevertWhen_SetTermsGraceAboveDefault() public {
        vm.expectRevert(abi.encodeWithSelector(ISettlementVault.SettlementInvalidTerms.selector, 5, 4));
        vm.prank(admin);
        vault.setTerms(5, 4);
    }

    // ------------------------------------------------------------ fund

    function test_Fund_EscrowsAndEmits() public {
        vm.expectEmit(address(vault));
        emit ISettlementVault.SettlementFunded(slot, obligor, 300_000);
        _fund(300_000);
        assertEq(vault.funded(slot), 300_000);
        assertEq(vault.available(slot), 300_000);
        assertEq(vault.paidOut(slot), 0);
        assertEq(cny.balanceOf(address(vault)), 300_000);
        ISettlementVault.SlotAccount memory account = vault.accountOf(slot);
        assertEq(account.cashToken, address(cny));
        assertEq(account.round, 0);
        assertFalse(account.roundOpen);
    }

    function test_Fund_InPartsUpToOutstanding() public {
        _fund(1);
        _fund(FACE - 1);
        assertEq(vault.available(slot), FACE);
    }

    function test_Fund_ThroughForwarder() public {
        vm.prank(obligor);
        cny.approve(address(vault), 0);
        _relay(obligorKey, address(cny), abi.encodeCall(IERC20.approve, (address(vault), FACE)));
        _relay(obligorKey, address(vault), abi.encodeCall(ISettlementVault.fund, (slot, FACE)));
        assertEq(vault.funded(slot), FACE);
    }

    function test_Fund_KeepsTheFirstCashTokenWhenMappingChanges() public {
        _fund(100);
        SettlementToken other =
            new SettlementToken("Cascade CNY v2", "cCNY2", 2, address(forwarder), admin, ADMIN_DELAY);
        vm.prank(admin);
        vault.setCashToken(CNY, other);
        _fund(200);
        assertEq(vault.accountOf(slot).cashToken, address(cny));
        assertEq(cny.balanceOf(address(vault)), 300);
    }

    function test_RevertWhen_FundUnknownVoucher() public {
        vm.expectRevert(abi.encodeWithSelector(ISettlementVault.SettlementUnknownVoucher.selector, 0));
        vm.prank(obligor);
        vault.fund(0, 100);
        vm.expectRevert(abi.encodeWithSelector(ISettlementVault.SettlementUnknownVoucher.selector, 7));
        vm.prank(obligor);
        vault.fund(7, 100);
    }

    function test_RevertWhen_FundByNonObligor() public {
        _mint(cny, supplierA, 100);
        vm.expectRevert(
            abi.encodeWithSelector(ISettlementVault.SettlementCallerNotObligor.selector, supplierA, obligor)
        );
        vm.prank(supplierA);
        vault.fund(slot, 100);
    }

    function test_RevertWhen_FundZero() public {
        vm.expectRevert(ISettlementVault.SettlementZeroAmount.selector);
        _fund(0);
    }

    function test_RevertWhen_FundAboveOutstanding() public {
        _fund(FACE - 100);
        vm.expectRevert(abi.encodeWithSelector(ISettlementVault.SettlementOverfunded.selector, slot, FACE, FACE + 1));
        _fund(101);
    }

    function test_RevertWhen_FundSettledVoucher() public {
        _fund(FACE);
        vm.warp(maturityAt);
        vault.payout(slot, _all());
        vm.expectRevert(abi.encodeWithSelector(ISettlementVault.SettlementVoucherSettled.selector, slot));
        _fund(100);
    }

    function test_RevertWhen_FundWithoutCashToken() public {
        vm.prank(admin);
        vault.setCashToken(CNY, IERC20(address(0)));
        vm.expectRevert(abi.encodeWithSelector(ICashTokenDirectory.CashTokenNotRegistered.selector, CNY));
        _fund(100);
    }

    function test_RevertWhen_FundWithoutApproval() public {
        _approve(cny, obligor, address(vault), 99);
        vm.expectRevert(
            abi.encodeWithSelector(IERC20Errors.ERC20InsufficientAllowance.selector, address(vault), 99, 100)
        );
        _fund(100);
    }

    // ------------------------------------------------------------ payout

    function test_Payout_FullFundingPaysEveryHolderAndSettles() public {
        _fund(FACE);
        vm.warp(maturityAt);
        vm.expectEmit(address(vault));
        emit ISettlementVault.SettlementRoundOpened(slot, 1, FACE, FACE, FACE, 1, 0, 0, block.timestamp);
        vm.expectEmit(address(vault));
        emit ISettlementVault.SettlementPaid(slot, tokenA, supplierA, 600_000, 600_000, 1, 0, 0, block.timestamp);
        vm.expectEmit(address(vault));
        emit ISettlementVault.SettlementPaid(slot, tokenB, supplierB, 250_000, 250_000, 1, 0, 0, block.timestamp);
        vm.expectEmit(address(vault));
        emit ISettlementVault.SettlementPaid(slot, tokenC, supplierC, 100_000, 100_000, 1, 0, 0, block.timestamp);
        vm.expectEmit(address(vault));
        emit ISettlementVault.SettlementPaid(slot, tokenD, supplierD, 50_000, 50_000, 1, 0, 0, block.timestamp);
        assertEq(vault.payout(slot, _all()), FACE);

        assertEq(cny.balanceOf(supplierA), 600_000);
        assertEq(cny.balanceOf(supplierB), 250_000);
        assertEq(cny.balanceOf(supplierC), 100_000);
        assertEq(cny.balanceOf(supplierD), 50_000);
        assertEq(note.balanceOf(tokenA) + note.balanceOf(tokenB) + note.balanceOf(tokenC) + note.balanceOf(tokenD), 0);
        assertEq(note.outstandingValueOf(slot), 0);
        assertEq(uint8(note.voucherOf(slot).status), uint8(IReceivableNote.VoucherStatus.Redeemed));
        assertEq(vault.paidOut(slot), FACE);
        assertEq(vault.available(slot), 0);
        assertEq(cny.balanceOf(address(vault)), 0);
        assertEq(uint8(vault.statusOf(slot)), uint8(ISettlementVault.SettlementStatus.Settled));
    }

    function test_Payout_InBatchesByAnyone() public {
        _fund(FACE);
        vm.warp(maturityAt + 1 days);
        vm.prank(outsider);
        assertEq(vault.payout(slot, _ids(tokenD, tokenB)), 300_000);
        vm.prank(relayer);
        assertEq(vault.payout(slot, _ids(tokenA, tokenC)), 700_000);
        assertEq(vault.paidOut(slot), FACE);
    }

    function test_Payout_SkipsTokensAlreadyAtZero() public {
        _fund(FACE);
        vm.warp(maturityAt);
        vault.payout(slot, _ids(tokenA));
        uint256[] memory ids = new uint256[](3);
        (ids[0], ids[1], ids[2]) = (tokenA, tokenB, tokenA);
        assertEq(vault.payout(slot, ids), 250_000);
        assertEq(cny.balanceOf(supplierA), 600_000);
    }

    function test_Payout_PartialFundingIsProRataAndFairAcrossBatches() public {
        _fund(FACE / 2);
        vm.warp(maturityAt);
        vm.expectEmit(address(vault));
        emit ISettlementVault.SettlementRoundOpened(slot, 1, FACE / 2, FACE, FACE, 1, 0, 0, block.timestamp);
        vault.payout(slot, _ids(tokenA)); // batch 1
        vault.payout(slot, _ids(tokenB, tokenC)); // batch 2: same 50% share, not a shrinking one
        vault.payout(slot, _ids(tokenD)); // batch 3
        assertEq(cny.balanceOf(supplierA), 300_000);
        assertEq(cny.balanceOf(supplierB), 125_000);
        assertEq(cny.balanceOf(supplierC), 50_000);
        assertEq(cny.balanceOf(supplierD), 25_000);
        assertEq(note.outstandingValueOf(slot), FACE / 2);
        assertEq(vault.available(slot), 0);
        assertEq(uint8(vault.statusOf(slot)), uint8(ISettlementVault.SettlementStatus.Matured));

        // The rest arrives later: a new round pays everybody in full.
        _fund(FACE / 2);
        vm.expectEmit(address(vault));
        emit ISettlementVault.SettlementRoundOpened(slot, 2, FACE / 2, FACE / 2, FACE / 2, 1, 0, 0, block.timestamp);
        assertEq(vault.payout(slot, _all()), FACE / 2);
        assertEq(cny.balanceOf(supplierA), 600_000);
        assertEq(cny.balanceOf(supplierD), 50_000);
        assertEq(uint8(vault.statusOf(slot)), uint8(ISettlementVault.SettlementStatus.Settled));
    }

    function test_Payout_RoundsSharesDownToUnitsAndKeepsTheRemainder() public {
        _fund(333_333);
        vm.warp(maturityAt);
        assertEq(vault.payout(slot, _all()), 199_900 + 83_300 + 33_300 + 16_600);
        assertEq(cny.balanceOf(supplierA), 199_900); // 600,000 * 0.333333 = 199,999.8 -> 199,900
        assertEq(cny.balanceOf(supplierB), 83_300); // 83,333.25 -> 83,300
        assertEq(cny.balanceOf(supplierC), 33_300); // 33,333.3 -> 33,300
        assertEq(cny.balanceOf(supplierD), 16_600); // 16,666.65 -> 16,600
        assertEq(vault.available(slot), 233); // stays for the next round, nothing lost
        assertEq(vault.paidOut(slot) + vault.available(slot), vault.funded(slot));
        assertEq(cny.balanceOf(address(vault)), 233);
    }

    function test_Payout_EachTokenOncePerRound() public {
        _fund(FACE / 2);
        vm.warp(maturityAt);
        assertEq(vault.payout(slot, _ids(tokenA)), 300_000);
        assertEq(vault.payout(slot, _ids(tokenA)), 0); // no second helping in the same round
        assertEq(vault.payout(slot, _ids(tokenB)), 125_000);
        assertEq(vault.accountOf(slot).round, 1);
    }

    function test_RevertWhen_MergeIntoATokenAlreadyPaidAfterMaturity() public {
        vm.prank(supplierB);
        note.transferFrom(tokenB, tokenA, 100_000); // before maturity value still moves: A 700,000 | B 150,000
        _fund(FACE);
        vm.warp(maturityAt);
        assertEq(vault.payout(slot, _ids(tokenA)), 700_000); // full cover pays the value A holds now
        vm.expectRevert(_matured());
        vm.prank(supplierB);
        note.transferFrom(tokenB, tokenA, 50_000); // value cannot land on a token already paid
        assertEq(vault.quotePayout(tokenA), 0);
        assertEq(vault.payout(slot, _ids(tokenA, tokenB)), 150_000); // B is paid as it stands
        assertEq(cny.balanceOf(supplierA), 700_000);
        assertEq(cny.balanceOf(supplierB), 150_000);
    }

    function test_RevertWhen_SplitDuringAPartialRound() public {
        _fund(FACE / 2);
        vm.warp(maturityAt);
        vault.payout(slot, _ids(tokenA)); // A paid 300,000 of its 600,000
        vm.expectRevert(_matured());
        _split(supplierA, tokenA, supplierB, 300_000); // the unpaid rest cannot move on mid-round
        assertEq(note.tokenCount(), vault.accountOf(slot).roundTokenMark); // no piece newer than the round
        assertEq(vault.quotePayout(tokenA), 0);
        assertEq(vault.payout(slot, _ids(tokenA, tokenB)), 125_000); // A is not paid again in round 1
        assertEq(vault.payout(slot, _ids(tokenC, tokenD)), 75_000);
        assertEq(vault.available(slot), 0);
        assertEq(cny.balanceOf(supplierA), 300_000);
        assertEq(cny.balanceOf(supplierB), 125_000);
        // more funding opens round 2, where A's unpaid rest takes its share
        _fund(100_000);
        assertEq(vault.payout(slot, _ids(tokenA)), 300_000 * 100_000 / 500_000);
    }

    function test_RevertWhen_MergeIntoAnUnpaidTokenDuringAPartialRound() public {
        vm.prank(supplierA);
        note.transferFrom(tokenA, tokenC, 300_000); // before maturity: A 300,000 | C 400,000
        _fund(FACE / 2);
        vm.warp(maturityAt);
        assertEq(vault.payout(slot, _ids(tokenA)), 150_000); // 300,000 at 50%
        vm.expectRevert(_matured());
        vm.prank(supplierA);
        note.transferFrom(tokenA, tokenC, 150_000); // A's unpaid rest cannot be paid again through C
        assertEq(vault.payout(slot, _ids(tokenC)), 200_000); // 400,000 at 50%
        assertEq(vault.payout(slot, _ids(tokenB, tokenD)), 150_000); // B and D are not crowded out
        assertEq(vault.available(slot), 0);
        assertEq(cny.balanceOf(address(vault)), 0);
        assertEq(vault.paidOut(slot), FACE / 2); // never more than funded for this voucher
    }

    function test_CloseRound_LetsTheRemainderBeSharedAgain() public {
        _fund(333_333);
        vm.warp(maturityAt);
        vault.payout(slot, _all());
        assertEq(vault.available(slot), 233);
        assertEq(vault.payout(slot, _all()), 0); // everyone had its share of round 1
        vm.expectEmit(address(vault));
        emit ISettlementVault.SettlementRoundClosed(slot, 1);
        vm.prank(admin);
        vault.closeRound(slot);
        assertFalse(vault.accountOf(slot).roundOpen);
        // round 2: 233 over 666,900 outstanding; only A's 400,100 earns a whole unit (139 -> 100)
        vm.expectEmit(address(vault));
        emit ISettlementVault.SettlementRoundOpened(slot, 2, 233, 666_900, 666_900, 1, 0, 0, block.timestamp);
        assertEq(vault.payout(slot, _all()), 100);
        assertEq(vault.available(slot), 133);
        assertEq(vault.accountOf(slot).roundTokenMark, note.tokenCount());
    }

    function test_RevertWhen_CloseRoundByNonAdmin() public {
        vm.expectRevert(_unauthorized(obligor, DEFAULT_ADMIN_ROLE));
        vm.prank(obligor);
        vault.closeRound(slot);
    }

    function test_RevertWhen_CloseRoundWithoutOpenRound() public {
        vm.expectRevert(abi.encodeWithSelector(ISettlementVault.SettlementNoOpenRound.selector, slot));
        vm.prank(admin);
        vault.closeRound(slot);
        _fund(FACE / 2);
        vm.warp(maturityAt);
        vault.payout(slot, _ids(tokenA));
        vm.prank(admin);
        vault.closeRound(slot);
        vm.expectRevert(abi.encodeWithSelector(ISettlementVault.SettlementNoOpenRound.selector, slot));
        vm.prank(admin);
        vault.closeRound(slot);
    }

    function test_Payout_WithholdsFrozenHolder() public {
        _fund(FACE);
        vm.warp(maturityAt);
        _revoke(supplierC);
        vm.expectEmit(address(vault));
        emit ISettlementVault.SettlementPaymentWithheld(
            slot, tokenC, supplierC, ISettlementVault.WithholdingReason.HolderNotVerified
        );
        assertEq(vault.payout(slot, _all()), FACE - 100_000);
        assertEq(note.balanceOf(tokenC), 100_000);
        assertEq(vault.available(slot), 100_000);
        _verify(supplierC);
        assertEq(vault.payout(slot, _ids(tokenC)), 100_000);
        assertEq(uint8(vault.statusOf(slot)), uint8(ISettlementVault.SettlementStatus.Settled));
    }

    function test_Payout_SkipsShareBelowOneUnit() public {
        uint256 tiny = _split(supplierD, tokenD, supplierA, 100);
        _fund(100_000); // 10%: the 100-minor-unit piece would get 10, less than a unit
        vm.warp(maturityAt);
        assertEq(vault.payout(slot, _ids(tiny)), 0);
        assertEq(note.balanceOf(tiny), 100);
    }

    function test_Payout_LateAfterDefault() public {
        vm.warp(maturityAt + DEFAULT_AFTER);
        assertEq(uint8(vault.statusOf(slot)), uint8(ISettlementVault.SettlementStatus.Defaulted));
        _fund(FACE);
        vault.payout(slot, _all());
        assertEq(uint8(vault.statusOf(slot)), uint8(ISettlementVault.SettlementStatus.Settled));
    }

    function test_Payout_PaysTheCurrentHolderAfterTransfers() public {
        vm.warp(maturityAt - 1);
        // Up to maturity a holder may hand its whole token on; the payment follows the token.
        vm.prank(supplierD);
        note.transferFrom(supplierD, financier, tokenD);
        vm.warp(maturityAt + 1);
        _fund(FACE);
        vault.payout(slot, _ids(tokenD));
        assertEq(cny.balanceOf(financier), 50_000);
        assertEq(cny.balanceOf(supplierD), 0);
    }

    function test_RevertWhen_WholeTokenTransferAfterMaturity() public {
        vm.warp(maturityAt + 1);
        // From maturity on the token stays with its holder, who is the one paid.
        vm.expectRevert(_matured());
        vm.prank(supplierD);
        note.transferFrom(supplierD, financier, tokenD);
        vm.expectRevert(_matured());
        vm.prank(supplierD);
        note.safeTransferFrom(supplierD, financier, tokenD);
        vm.expectRevert(_matured());
        vm.prank(supplierD);
        note.safeTransferFrom(supplierD, financier, tokenD, "");
        _fund(FACE);
        vault.payout(slot, _ids(tokenD));
        assertEq(cny.balanceOf(supplierD), 50_000);
        assertEq(cny.balanceOf(financier), 0);
        assertEq(note.ownerOf(tokenD), supplierD);
    }

    function test_RevertWhen_PayoutBeforeMaturity() public {
        _fund(FACE);
        vm.warp(maturityAt - 1);
        vm.expectRevert(
            abi.encodeWithSelector(ISettlementVault.SettlementNotMatured.selector, maturityAt, maturityAt - 1)
        );
        vault.payout(slot, _all());
    }

    function test_RevertWhen_PayoutUnknownVoucher() public {
        vm.expectRevert(abi.encodeWithSelector(ISettlementVault.SettlementUnknownVoucher.selector, 9));
        vault.payout(9, _all());
    }

    function test_RevertWhen_PayoutUnfunded() public {
        vm.warp(maturityAt);
        vm.expectRevert(abi.encodeWithSelector(ISettlementVault.SettlementNotFunded.selector, slot));
        vault.payout(slot, _all());
    }

    function test_RevertWhen_PayoutAfterEverythingPaid() public {
        _fund(FACE);
        vm.warp(maturityAt);
        vault.payout(slot, _all());
        vm.expectRevert(abi.encodeWithSelector(ISettlementVault.SettlementNotFunded.selector, slot));
        vault.payout(slot, _all());
    }

    function test_RevertWhen_PayoutTokenOfAnotherVoucher() public {
        (uint256 otherSlot, uint256 otherToken) = _issue(supplierA, 10_000, 100, maturityAt);
        _fund(FACE);
        vm.warp(maturityAt);
        vm.expectRevert(
            abi.encodeWithSelector(ISettlementVault.SettlementSlotMismatch.selector, otherToken, otherSlot, slot)
        );
        vault.payout(slot, _ids(tokenA, otherToken));
        assertEq(cny.balanceOf(supplierA), 0); // the whole batch reverted
    }

    function test_RevertWhen_PayoutUnknownToken() public {
        _fund(FACE);
        vm.warp(maturityAt);
        vm.expectRevert(abi.encodeWithSelector(ISettlementVault.SettlementUnknownToken.selector, 77));
        vault.payout(slot, _ids(77));
    }

    function test_RevertWhen_PayoutWithoutRedeemerRole() public {
        _fund(FACE);
        vm.warp(maturityAt);
        vm.prank(admin);
        note.revokeRole(REDEEMER_ROLE, address(vault));
        vm.expectRevert(_unauthorized(address(vault), REDEEMER_ROLE));
        vault.payout(slot, _all());
    }

    function test_RevertWhen_PayoutWhileNotePaused() public {
        _fund(FACE);
        vm.warp(maturityAt);
        vm.prank(pauser);
        note.pause();
        vm.expectRevert(Pausable.EnforcedPause.selector);
        vault.payout(slot, _all());
    }

    // ------------------------------------------------------------ claim

    function test_Claim_HolderCollectsItsPayment() public {
        _fund(FACE);
        vm.warp(maturityAt);
        vm.expectEmit(address(vault));
        emit ISettlementVault.SettlementPaid(slot, tokenC, supplierC, 100_000, 100_000, 1, 0, 0, block.timestamp);
        assertEq(_claim(supplierC, tokenC), 100_000);
        assertEq(cny.balanceOf(supplierC), 100_000);
        assertEq(note.balanceOf(tokenC), 0);
    }

    function test_Claim_ThroughForwarder() public {
        _fund(FACE);
        vm.warp(maturityAt);
        _relay(supplierDKey, address(vault), abi.encodeCall(ISettlementVault.claim, (tokenD)));
        assertEq(cny.balanceOf(supplierD), 50_000);
    }

    function test_Claim_SameShareAsPayoutInTheRound() public {
        _fund(FACE / 4);
        vm.warp(maturityAt);
        vault.payout(slot, _ids(tokenA, tokenB));
        assertEq(_claim(supplierD, tokenD), 12_500);
        assertEq(cny.balanceOf(supplierA), 150_000);
    }

    function test_RevertWhen_ClaimTwiceInARound() public {
        _fund(FACE / 4);
        vm.warp(maturityAt);
        _claim(supplierD, tokenD);
        vm.expectRevert(abi.encodeWithSelector(ISettlementVault.SettlementAlreadyPaidInRound.selector, tokenD, 1));
        _claim(supplierD, tokenD);
        _fund(FACE / 4); // new money opens a new round
        // available 487,500 = 250,000 - 12,500 + 250,000; outstanding 987,500; D holds 37,500
        uint256 value = 37_500;
        assertEq(_claim(supplierD, tokenD), value * 487_500 / 987_500 / UNIT * UNIT);
    }

    function test_RevertWhen_ClaimByNonHolder() public {
        _fund(FACE);
        vm.warp(maturityAt);
        vm.expectRevert(
            abi.encodeWithSelector(ISettlementVault.SettlementCallerNotHolder.selector, supplierA, tokenD, supplierD)
        );
        _claim(supplierA, tokenD);
    }

    function test_RevertWhen_ClaimByFrozenHolder() public {
        _fund(FACE);
        vm.warp(maturityAt);
        _revoke(supplierD);
        vm.expectRevert(abi.encodeWithSelector(ISettlementVault.SettlementHolderNotVerified.selector, supplierD));
        _claim(supplierD, tokenD);
    }

    function test_RevertWhen_ClaimEmptyToken() public {
        _fund(FACE);
        vm.warp(maturityAt);
        _claim(supplierD, tokenD);
        vm.expectRevert(abi.encodeWithSelector(ISettlementVault.SettlementNothingToClaim.selector, tokenD, 0));
        _claim(supplierD, tokenD);
    }

    function test_RevertWhen_ClaimShareBelowOneUnit() public {
        uint256 tiny = _split(supplierD, tokenD, supplierA, 100);
        _fund(100_000);
        vm.warp(maturityAt);
        vm.expectRevert(abi.encodeWithSelector(ISettlementVault.SettlementNothingToClaim.selector, tiny, 100));
        _claim(supplierA, tiny);
    }

    function test_RevertWhen_ClaimBeforeMaturity() public {
        _fund(FACE);
        vm.expectRevert(
            abi.encodeWithSelector(ISettlementVault.SettlementNotMatured.selector, maturityAt, block.timestamp)
        );
        _claim(supplierA, tokenA);
    }

    function test_RevertWhen_ClaimUnknownToken() public {
        vm.expectRevert(abi.encodeWithSelector(ISettlementVault.SettlementUnknownToken.selector, 55));
        _claim(supplierA, 55);
    }

    function test_RevertWhen_ClaimUnfunded() public {
        vm.warp(maturityAt);
        vm.expectRevert(abi.encodeWithSelector(ISettlementVault.SettlementNotFunded.selector, slot));
        _claim(supplierA, tokenA);
    }

    // ------------------------------------------------------------ quotePayout

    function test_QuotePayout_PreviewsClaims() public {
        assertEq(vault.quotePayout(tokenA), 0); // before maturity
        _fund(FACE / 2);
        vm.warp(maturityAt);
        assertEq(vault.quotePayout(tokenA), 300_000); // previews the round the next call opens
        _claim(supplierB, tokenB);
        assertEq(vault.quotePayout(tokenB), 0); // paid in this round
        assertEq(vault.quotePayout(tokenA), 300_000);
        assertEq(_claim(supplierA, tokenA), 300_000);
        _fund(FACE / 2);
        assertEq(vault.quotePayout(tokenA), 300_000); // new round, full cover
    }

    function test_RevertWhen_QuotePayoutUnknownToken() public {
        vm.expectRevert(abi.encodeWithSelector(ISettlementVault.SettlementUnknownToken.selector, 0));
        vault.quotePayout(0);
    }

    // ------------------------------------------------------------ withdrawExcess

    function test_WithdrawExcess_AfterEarlyPaymentShrankTheDebt() public {
        _fund(FACE); // prefunded in full
        _approve(cny, obligor, address(programme), 1_000_000);
        vm.prank(obligor);
        uint256 id = programme.openProgramme(slot, 600, 360, 0, 1_000_000, maturityAt);
        vm.prank(supplierD);
        programme.takeEarlyPayment(id, tokenD, 50_000); // burns 50,000 of value
        uint256 before = cny.balanceOf(obligor);
        vm.expectEmit(address(vault));
        emit ISettlementVault.SettlementExcessWithdrawn(slot, obligor, 50_000);
        vm.prank(obligor);
        assertEq(vault.withdrawExcess(slot), 50_000);
        assertEq(cny.balanceOf(obligor), before + 50_000);
        assertEq(vault.available(slot), FACE - 50_000);
        assertEq(vault.accountOf(slot).withdrawn, 50_000);
        vm.warp(maturityAt);
        assertEq(vault.payout(slot, _all()), FACE - 50_000);
        assertEq(uint8(vault.statusOf(slot)), uint8(ISettlementVault.SettlementStatus.Settled));
    }

    function test_RevertWhen_WithdrawWithoutExcess() public {
        _fund(FACE);
        vm.expectRevert(abi.encodeWithSelector(ISettlementVault.SettlementNoExcess.selector, slot));
        vm.prank(obligor);
        vault.withdrawExcess(slot);
    }

    function test_RevertWhen_WithdrawByNonObligor() public {
        vm.expectRevert(
            abi.encodeWithSelector(ISettlementVault.SettlementCallerNotObligor.selector, supplierA, obligor)
        );
        vm.prank(supplierA);
        vault.withdrawExcess(slot);
    }

    function test_RevertWhen_WithdrawUnknownVoucher() public {
        vm.expectRevert(abi.encodeWithSelector(ISettlementVault.SettlementUnknownVoucher.selector, 3));
        vm.prank(obligor);
        vault.withdrawExcess(3);
    }

    // ------------------------------------------------------------ statusOf

    function test_StatusOf_Lifecycle() public {
        assertEq(uint8(vault.statusOf(slot)), uint8(ISettlementVault.SettlementStatus.Active));
        vm.warp(maturityAt - 1);
        assertEq(uint8(vault.statusOf(slot)), uint8(ISettlementVault.SettlementStatus.Active));
        vm.warp(maturityAt);
        assertEq(uint8(vault.statusOf(slot)), uint8(ISettlementVault.SettlementStatus.Matured));
        vm.warp(maturityAt + GRACE - 1);
        assertEq(uint8(vault.statusOf(slot)), uint8(ISettlementVault.SettlementStatus.Matured));
        vm.warp(maturityAt + GRACE);
        assertEq(uint8(vault.statusOf(slot)), uint8(ISettlementVault.SettlementStatus.Overdue));
        vm.warp(maturityAt + DEFAULT_AFTER - 1);
        assertEq(uint8(vault.statusOf(slot)), uint8(ISettlementVault.SettlementStatus.Overdue));
        vm.warp(maturityAt + DEFAULT_AFTER);
        assertEq(uint8(vault.statusOf(slot)), uint8(ISettlementVault.SettlementStatus.Defaulted));
        // partial payment does not cure a default
        _fund(FACE / 2);
        vault.payout(slot, _all());
        assertEq(uint8(vault.statusOf(slot)), uint8(ISettlementVault.SettlementStatus.Defaulted));
    }

    function test_StatusOf_FollowsTerms() public {
        vm.prank(admin);
        vault.setTerms(0, 0);
        vm.warp(maturityAt);
        assertEq(uint8(vault.statusOf(slot)), uint8(ISettlementVault.SettlementStatus.Defaulted));
        vm.prank(admin);
        vault.setTerms(0, 1 days);
        assertEq(uint8(vault.statusOf(slot)), uint8(ISettlementVault.SettlementStatus.Overdue));
    }

    function test_StatusOf_SettledByEarlyPaymentBeforeMaturity() public {
        (uint256 small, uint256 smallToken) = _issue(supplierA, 10_000, 100, maturityAt);
        _approve(cny, obligor, address(programme), 10_000);
        vm.prank(obligor);
        uint256 id = programme.openProgramme(small, 600, 360, 0, 10_000, maturityAt);
        vm.prank(supplierA);
        programme.takeEarlyPayment(id, smallToken, 10_000);
        assertEq(uint8(vault.statusOf(small)), uint8(ISettlementVault.SettlementStatus.Settled));
    }

    function test_RevertWhen_StatusOfUnknownVoucher() public {
        vm.expectRevert(abi.encodeWithSelector(ISettlementVault.SettlementUnknownVoucher.selector, 8));
        vault.statusOf(8);
    }

    function test_Views_UnfundedSlotIsZero() public view {
        assertEq(vault.funded(42), 0);
        assertEq(vault.paidOut(42), 0);
        assertEq(vault.available(42), 0);
    }

    // ------------------------------------------------------------ a voucher across 4 tiers and 50 pieces

    function test_Settle_FourTiersFiftyPieces_InRoundsAndBatches() public {
        uint256 face = 1_000_000_000; // CNY 10,000,000.00
        (uint256 bigSlot, uint256 root) = _issue(supplierA, face, UNIT, maturityAt);
        _mint(cny, obligor, face);
        uint256[] memory pieces = _cascade(root);
        assertEq(pieces.length, 50);
        uint256 sum;
        for (uint256 i; i < pieces.length; ++i) {
            sum += note.balanceOf(pieces[i]);
        }
        assertEq(sum, face);

        vm.warp(maturityAt + 2 days);
        // round 1: 37.1234% funded, paid in batches of 7
        _fundSlot(bigSlot, 371_234_567);
        _payoutRoundAndCheckShares(bigSlot, pieces, 7);
        // round 2: some more
        _fundSlot(bigSlot, 222_222_222);
        _payoutRoundAndCheckShares(bigSlot, pieces, 11);
        // round 3: the rest (including what rounding left behind)
        vm.warp(maturityAt + GRACE + 1);
        assertEq(uint8(vault.statusOf(bigSlot)), uint8(ISettlementVault.SettlementStatus.Overdue));
        _fundSlot(bigSlot, note.outstandingValueOf(bigSlot) - vault.available(bigSlot));
        _payoutRoundAndCheckShares(bigSlot, pieces, 50);

        uint256 paid;
        for (uint256 i; i < pieces.length; ++i) {
            assertEq(note.balanceOf(pieces[i]), 0);
        }
        for (uint256 h; h < _holders.length; ++h) {
            paid += cny.balanceOf(_holders[h]);
        }
        assertEq(paid, face);
        assertEq(vault.paidOut(bigSlot), face);
        assertEq(vault.funded(bigSlot), face);
        assertEq(vault.available(bigSlot), 0);
        assertEq(note.outstandingValueOf(bigSlot), 0);
        assertEq(uint8(vault.statusOf(bigSlot)), uint8(ISettlementVault.SettlementStatus.Settled));
        assertEq(cny.balanceOf(address(vault)), 0);
    }

    address[] internal _holders;

    function _fundSlot(uint256 s, uint256 amount) internal {
        vm.prank(obligor);
        vault.fund(s, amount);
    }

    /// @dev Builds 50 pieces: tier 1 (A) passes pieces to 4 tier-2 holders, each of those to 2 tier-3
    ///      holders, each tier-3 piece on to tier-4 holders, until 50 tokens hold value.
    function _cascade(uint256 root) internal returns (uint256[] memory pieces) {
        address[] memory tier2 = _makeHolders("tier2-", 4);
        address[] memory tier3 = _makeHolders("tier3-", 8);
        address[] memory tier4 = _makeHolders("tier4-", 12);
        _holders.push(supplierA);
        pieces = new uint256[](50);
        uint256 n;
        pieces[n++] = root;
        uint256[] memory t2 = new uint256[](4);
        for (uint256 i; i < 4; ++i) {
            t2[i] = _split(supplierA, root, tier2[i], (150_000_000 + i * 12_345_600));
            pieces[n++] = t2[i];
        }
        uint256[] memory t3 = new uint256[](8);
        for (uint256 i; i < 8; ++i) {
            t3[i] = _split(tier2[i / 2], t2[i / 2], tier3[i], 40_000_000 + i * 1_234_500);
            pieces[n++] = t3[i];
        }
        for (uint256 i; n < 50; ++i) {
            uint256 from = t3[i % 8];
            pieces[n++] = _split(tier3[i % 8], from, tier4[i % 12], 1_000_000 + i * 77_700);
        }
    }

    function _makeHolders(string memory prefix, uint256 count) internal returns (address[] memory holders) {
        holders = new address[](count);
        for (uint256 i; i < count; ++i) {
            holders[i] = makeAddr(string.concat(prefix, vm.toString(i)));
            _verify(holders[i]);
            _holders.push(holders[i]);
        }
    }

    /// @dev Pays every piece in batches and checks each got exactly the round's rule, whatever its batch.
    function _payoutRoundAndCheckShares(uint256 s, uint256[] memory pieces, uint256 batchSize) internal {
        uint256 roundAvailable = vault.available(s);
        uint256 roundOutstanding = note.outstandingValueOf(s);
        uint256[] memory valuesBefore = new uint256[](pieces.length);
        for (uint256 i; i < pieces.length; ++i) {
            valuesBefore[i] = note.balanceOf(pieces[i]);
        }
        for (uint256 start; start < pieces.length; start += batchSize) {
            uint256 end = start + batchSize > pieces.length ? pieces.length : start + batchSize;
            uint256[] memory batch = new uint256[](end - start);
            for (uint256 i = start; i < end; ++i) {
                batch[i - start] = pieces[i];
            }
            vault.payout(s, batch);
        }
        for (uint256 i; i < pieces.length; ++i) {
            uint256 expected = roundAvailable >= roundOutstanding
                ? valuesBefore[i]
                : valuesBefore[i] * roundAvailable / roundOutstanding / UNIT * UNIT;
            assertEq(valuesBefore[i] - note.balanceOf(pieces[i]), expected, "share differs from the round rule");
        }
    }
}
