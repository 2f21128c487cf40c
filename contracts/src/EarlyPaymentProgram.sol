// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {CascadeAccess} from "./access/CascadeAccess.sol";
import {CashTokenDirectory} from "./CashTokenDirectory.sol";
import {FxMath} from "./fx/FxMath.sol";
import {DiscountMath} from "./libraries/DiscountMath.sol";
import {ICascadeNote} from "./interfaces/ICascadeNote.sol";
import {IEarlyPaymentProgram} from "./interfaces/IEarlyPaymentProgram.sol";
import {IFxRateDirectory} from "./interfaces/IFxRateDirectory.sol";
import {IReceivableNote} from "./interfaces/IReceivableNote.sol";

/// @title Cascade early payment programmes: the obligor pays holders before maturity at a discount
/// @notice See IEarlyPaymentProgram. The contract escrows each programme's budget and needs the
///         note's REDEEMER_ROLE to burn the value it pays for.
contract EarlyPaymentProgram is IEarlyPaymentProgram, CashTokenDirectory, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @notice Highest rate a programme may offer: 10000 bps (100% a year).
    uint256 public constant MAX_RATE_BPS = 10_000;

    ICascadeNote private immutable _note;
    IFxRateDirectory private immutable _fx;

    uint256 private _programmeCount;
    mapping(uint256 programmeId => Programme) private _programmes;

    constructor(
        ICascadeNote note_,
        IFxRateDirectory fx_,
        address trustedForwarder_,
        address admin,
        uint48 adminTransferDelay
    ) CascadeAccess(trustedForwarder_, admin, adminTransferDelay) {
        if (address(note_) == address(0) || address(fx_) == address(0)) revert EarlyPaymentZeroAddress();
        _note = note_;
        _fx = fx_;
    }

    /// @inheritdoc IEarlyPaymentProgram
    function openProgramme(
        uint256 slot,
        uint256 rateBps,
        uint256 basisDays,
        uint8 quoting,
        uint256 budget,
        uint256 cutoffAt
    ) external nonReentrant returns (uint256 programmeId) {
        IReceivableNote.Voucher memory voucher = _note.voucherOf(slot);
        address obligor = _msgSender();
        if (obligor != voucher.obligor) revert EarlyPaymentCallerNotObligor(obligor, voucher.obligor);
        if (voucher.status != IReceivableNote.VoucherStatus.Active) {
            revert EarlyPaymentVoucherNotActive(slot, uint256(voucher.status));
        }
        if (cutoffAt <= block.timestamp || cutoffAt > voucher.maturityAt) {
            revert EarlyPaymentInvalidCutoff(cutoffAt, block.timestamp, voucher.maturityAt);
        }
        if (rateBps == 0 || rateBps > MAX_RATE_BPS) revert EarlyPaymentInvalidRate(rateBps);
        DiscountMath.requireBasis(basisDays);
        if (quoting > uint8(Quoting.Yield)) revert EarlyPaymentInvalidQuoting(quoting);
        if (budget == 0) revert EarlyPaymentZeroBudget();
        IERC20 cash = _requireCashToken(voucher.settlementCurrency);

        programmeId = ++_programmeCount;
        _programmes[programmeId] = Programme({
            slot: slot,
            obligor: obligor,
            cashToken: address(cash),
            // casts: rateBps <= 10000 and basisDays is 360 or 365, both checked above.
            rateBps: uint16(rateBps),
            basisDays: uint16(basisDays),
            quoting: Quoting(quoting),
            closed: false,
            // cast: cutoffAt <= maturityAt, which the note stores as uint40.
            cutoffAt: uint40(cutoffAt),
            maturityAt: voucher.maturityAt,
            budget: budget,
            spent: 0,
            redeemedValue: 0
        });

        cash.safeTransferFrom(obligor, address(this), budget);
        emit EarlyPaymentProgrammeOpened(
            programmeId, slot, obligor, address(cash), rateBps, basisDays, Quoting(quoting), budget, cutoffAt
        );
    }

    /// @inheritdoc IEarlyPaymentProgram
    function takeEarlyPayment(uint256 programmeId, uint256 tokenId, uint256 value)
        external
        nonReentrant
        returns (uint256 amount)
    {
        Programme storage p = _requireOpenProgramme(programmeId);
        if (block.timestamp > p.cutoffAt) revert EarlyPaymentCutoffPassed(p.cutoffAt, block.timestamp);
        address holder = _note.ownerOf(tokenId);
        {
            address caller = _msgSender();
            if (caller != holder) revert EarlyPaymentCallerNotHolder(caller, tokenId, holder);
        }
        if (!_note.registry().isVerified(holder)) revert EarlyPaymentHolderNotVerified(holder);
        if (_note.isFrozen(holder)) revert EarlyPaymentHolderFrozen(holder);
        IReceivableNote.Voucher memory voucher = _note.voucherOf(p.slot);
        {
            uint256 tokenSlot = _note.slotOf(tokenId);
            if (tokenSlot != p.slot) revert EarlyPaymentSlotMismatch(tokenId, tokenSlot, p.slot);
            if (value == 0 || value % voucher.unit != 0) revert EarlyPaymentInvalidValue(value, voucher.unit);
            uint256 balance = _note.balanceOf(tokenId);
            if (balance < value) revert EarlyPaymentInsufficientValue(tokenId, balance, value);
        }
        (uint256 price, uint256 days_) = _price(p, value);
        if (price == 0) revert EarlyPaymentZeroPrice(value, days_);
        IFxRateDirectory.FxRate memory rate = _fx.rateOf(voucher.currency, voucher.settlementCurrency);
        amount = FxMath.toSettlement(price, rate, Math.Rounding.Ceil);
        uint256 remaining = p.budget - p.spent;
        if (amount > remaining) revert EarlyPaymentBudgetExceeded(programmeId, remaining, amount);

        // unchecked: amount <= budget - spent, and redeemed value never exceeds the voucher's face value (uint96).
        unchecked {
            p.spent += amount;
            p.redeemedValue += value;
        }

        _note.redeem(tokenId, value);
        IERC20(p.cashToken).safeTransfer(holder, amount);
        _emitTaken(programmeId, tokenId, holder, value, price, amount, days_, rate);
    }

    function _emitTaken(
        uint256 programmeId,
        uint256 tokenId,
        address holder,
        uint256 value,
        uint256 price,
        uint256 amount,
        uint256 days_,
        IFxRateDirectory.FxRate memory rate
    ) private {
        emit EarlyPaymentTaken(
            programmeId,
            tokenId,
            holder,
            value,
            price,
            amount,
            days_,
            rate.answer,
            rate.decimals,
            rate.roundId,
            rate.updatedAt
        );
    }

    /// @inheritdoc IEarlyPaymentProgram
    function closeProgramme(uint256 programmeId) external nonReentrant returns (uint256 refund) {
        Programme storage p = _requireOpenProgramme(programmeId);
        address obligor = p.obligor;
        {
            address caller = _msgSender();
            if (caller != obligor) revert EarlyPaymentCallerNotObligor(caller, obligor);
        }
        refund = p.budget - p.spent;
        p.closed = true;

        if (refund != 0) IERC20(p.cashToken).safeTransfer(obligor, refund);
        emit EarlyPaymentProgrammeClosed(programmeId, obligor, refund);
    }

    /// @inheritdoc IEarlyPaymentProgram
    function programme(uint256 programmeId) external view returns (Programme memory) {
        return _requireProgramme(programmeId);
    }

    /// @inheritdoc IEarlyPaymentProgram
    function programmeCount() external view returns (uint256) {
        return _programmeCount;
    }

    /// @inheritdoc IEarlyPaymentProgram
    function quoteEarlyPayment(uint256 programmeId, uint256 value)
        external
        view
        returns (uint256 price, uint256 days_, uint256 amount)
    {
        Programme storage p = _requireProgramme(programmeId);
        (price, days_) = _price(p, value);
        IReceivableNote.Voucher memory voucher = _note.voucherOf(p.slot);
        amount =
            FxMath.toSettlement(price, _fx.rateOf(voucher.currency, voucher.settlementCurrency), Math.Rounding.Ceil);
    }

    /// @notice The note whose value the programmes redeem.
    function note() external view returns (ICascadeNote) {
        return _note;
    }

    /// @notice The FX rate directory cross-border vouchers are converted with.
    function fxRates() external view returns (IFxRateDirectory) {
        return _fx;
    }

    function _price(Programme storage p, uint256 value) private view returns (uint256 price, uint256 days_) {
        days_ = DiscountMath.daysUntil(block.timestamp, p.maturityAt);
        price = p.quoting == Quoting.Discount
            ? DiscountMath.discountPrice(value, p.rateBps, days_, p.basisDays)
            : DiscountMath.yieldPrice(value, p.rateBps, days_, p.basisDays);
    }

    function _requireProgramme(uint256 programmeId) private view returns (Programme storage p) {
        p = _programmes[programmeId];
        if (p.obligor == address(0)) revert EarlyPaymentUnknownProgramme(programmeId);
    }

    function _requireOpenProgramme(uint256 programmeId) private view returns (Programme storage p) {
        p = _requireProgramme(programmeId);
        if (p.closed) revert EarlyPaymentProgrammeNotOpen(programmeId);
    }

    function _requiredCashDecimals() internal view override returns (uint8) {
        return _note.valueDecimals();
    }
}
