// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {CascadeAccess} from "./access/CascadeAccess.sol";
import {CashTokenDirectory} from "./CashTokenDirectory.sol";
import {FxMath} from "./fx/FxMath.sol";
import {ICascadeNote} from "./interfaces/ICascadeNote.sol";
import {IFxRateDirectory} from "./interfaces/IFxRateDirectory.sol";
import {IIdentityRegistry} from "./interfaces/IIdentityRegistry.sol";
import {IReceivableNote} from "./interfaces/IReceivableNote.sol";
import {ISettlementVault} from "./interfaces/ISettlementVault.sol";

/// @title Cascade settlement vault: the obligor's payment at maturity, paid out to every holder
/// @notice See ISettlementVault for the rate, full cover and the pro-rata rounds. The vault needs the
///         note's REDEEMER_ROLE.
contract SettlementVault is ISettlementVault, CashTokenDirectory, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @dev One piece as a payment sees it.
    struct Piece {
        address holder;
        uint256 value;
        uint256 payableValue;
        WithholdingReason withheld;
    }

    ICascadeNote private immutable _note;
    /// @dev The note's registry, fixed in the note at its deployment.
    IIdentityRegistry private immutable _registry;
    IFxRateDirectory private immutable _fx;

    uint256 private _graceSeconds;
    uint256 private _defaultAfterSeconds;

    mapping(uint256 slot => SlotAccount) private _accounts;
    /// @dev The round in which a token was last paid (0: never).
    mapping(uint256 tokenId => uint64 round) private _paidInRound;

    constructor(
        ICascadeNote note_,
        IFxRateDirectory fx_,
        address trustedForwarder_,
        address admin,
        uint48 adminTransferDelay,
        uint256 graceSeconds_,
        uint256 defaultAfterSeconds_
    ) CascadeAccess(trustedForwarder_, admin, adminTransferDelay) {
        if (address(note_) == address(0) || address(fx_) == address(0)) {
            revert SettlementZeroAddress();
        }
        _note = note_;
        _registry = note_.registry();
        _fx = fx_;
        _setTerms(graceSeconds_, defaultAfterSeconds_);
    }

    // ---------------------------------------------------------------- funding

    /// @inheritdoc ISettlementVault
    function fund(uint256 slot, uint256 amount) external nonReentrant {
        IReceivableNote.Voucher memory voucher = _requireVoucher(slot);
        address obligor = _msgSender();
        if (obligor != voucher.obligor) revert SettlementCallerNotObligor(obligor, voucher.obligor);
        if (amount == 0) revert SettlementZeroAmount();
        if (voucher.status != IReceivableNote.VoucherStatus.Active) revert SettlementVoucherSettled(slot);
        SlotAccount storage account = _accounts[slot];
        uint256 outstandingCash = _outstandingCash(voucher, _rateOf(voucher));
        uint256 availableAfter = _available(account) + amount;
        if (availableAfter > outstandingCash) revert SettlementOverfunded(slot, outstandingCash, availableAfter);
        IERC20 cash = IERC20(account.cashToken);
        if (address(cash) == address(0)) {
            cash = _requireCashToken(voucher.settlementCurrency);
            account.cashToken = address(cash);
        }

        account.funded += amount;
        account.roundOpen = false;

        cash.safeTransferFrom(obligor, address(this), amount);
        emit SettlementFunded(slot, obligor, amount);
    }

    /// @inheritdoc ISettlementVault
    function withdrawExcess(uint256 slot) external nonReentrant returns (uint256 amount) {
        IReceivableNote.Voucher memory voucher = _requireVoucher(slot);
        address obligor = _msgSender();
        if (obligor != voucher.obligor) revert SettlementCallerNotObligor(obligor, voucher.obligor);
        SlotAccount storage account = _accounts[slot];
        uint256 availableNow = _available(account);
        // Once every piece is paid no rate is needed: what is left is all excess.
        uint256 outstandingCash =
            voucher.faceValue == voucher.redeemedValue ? 0 : _outstandingCash(voucher, _rateOf(voucher));
        if (availableNow <= outstandingCash) revert SettlementNoExcess(slot);
        // unchecked: availableNow > outstandingCash was just checked.
        unchecked {
            amount = availableNow - outstandingCash;
        }

        account.withdrawn += amount;
        account.roundOpen = false;

        IERC20(account.cashToken).safeTransfer(obligor, amount);
        emit SettlementExcessWithdrawn(slot, obligor, amount);
    }

    // ---------------------------------------------------------------- payment

    /// @inheritdoc ISettlementVault
    function payout(uint256 slot, uint256[] calldata tokenIds) external nonReentrant returns (uint256 total) {
        (SlotAccount storage account, bool fullCover, uint256 unit) = _beginPayment(slot);
        for (uint256 i; i < tokenIds.length; ++i) {
            total += _payoutOne(slot, tokenIds[i], account, fullCover, unit);
        }
    }

    /// @inheritdoc ISettlementVault
    function claim(uint256 tokenId) external nonReentrant returns (uint256 amount) {
        if (!_note.exists(tokenId)) revert SettlementUnknownToken(tokenId);
        uint256 slot = _note.slotOf(tokenId);
        (SlotAccount storage account, bool fullCover, uint256 unit) = _beginPayment(slot);
        Piece memory piece = _pieceOf(slot, tokenId);
        {
            address caller = _msgSender();
            if (caller != piece.holder) revert SettlementCallerNotHolder(caller, tokenId, piece.holder);
        }
        if (piece.withheld == WithholdingReason.HolderNotVerified) revert SettlementHolderNotVerified(piece.holder);
        if (piece.withheld == WithholdingReason.HolderFrozen) revert SettlementHolderFrozen(piece.holder);
        if (piece.withheld == WithholdingReason.PieceFrozen) revert SettlementPieceFrozen(tokenId);
        if (piece.value != 0 && !fullCover) {
            uint64 round = account.round;
            if (_paidInRound[tokenId] == round) revert SettlementAlreadyPaidInRound(tokenId, round);
            if (tokenId > account.roundTokenMark) revert SettlementTokenNewerThanRound(tokenId, round);
        }
        uint256 value;
        (value, amount) = _share(piece, fullCover, account, unit);
        if (amount == 0) revert SettlementNothingToClaim(tokenId, piece.value);
        _pay(slot, tokenId, piece.holder, value, amount, account);
    }

    // ---------------------------------------------------------------- admin

    /// @inheritdoc ISettlementVault
    function closeRound(uint256 slot) external onlyRole(DEFAULT_ADMIN_ROLE) {
        SlotAccount storage account = _accounts[slot];
        if (!account.roundOpen) revert SettlementNoOpenRound(slot);
        account.roundOpen = false;
        emit SettlementRoundClosed(slot, account.round);
    }

    /// @inheritdoc ISettlementVault
    function setTerms(uint256 graceSeconds_, uint256 defaultAfterSeconds_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setTerms(graceSeconds_, defaultAfterSeconds_);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc ISettlementVault
    function funded(uint256 slot) external view returns (uint256) {
        return _accounts[slot].funded;
    }

    /// @inheritdoc ISettlementVault
    function paidOut(uint256 slot) external view returns (uint256) {
        return _accounts[slot].paidOut;
    }

    /// @inheritdoc ISettlementVault
    function available(uint256 slot) external view returns (uint256) {
        return _available(_accounts[slot]);
    }

    /// @inheritdoc ISettlementVault
    function accountOf(uint256 slot) external view returns (SlotAccount memory) {
        return _accounts[slot];
    }

    /// @inheritdoc ISettlementVault
    function quotePayout(uint256 tokenId) external view returns (uint256 amount) {
        if (!_note.exists(tokenId)) revert SettlementUnknownToken(tokenId);
        uint256 slot = _note.slotOf(tokenId);
        IReceivableNote.Voucher memory voucher = _note.voucherOf(slot);
        if (block.timestamp < voucher.maturityAt) return 0;
        SlotAccount memory account = _accounts[slot];
        uint256 availableNow = account.funded - account.paidOut - account.withdrawn;
        Piece memory piece = _pieceOf(slot, tokenId);
        if (piece.payableValue == 0 || availableNow == 0) return 0;
        if (!account.roundOpen) {
            // The next payout or claim opens a new round with these snapshots.
            IFxRateDirectory.FxRate memory rate = _rateOf(voucher);
            _snapshot(account, rate, availableNow, voucher.faceValue - voucher.redeemedValue, _note.tokenCount());
            account.round += 1;
        }
        bool fullCover = _fullCover(account, availableNow, voucher.faceValue - voucher.redeemedValue);
        if (!fullCover && (_paidInRound[tokenId] == account.round || tokenId > account.roundTokenMark)) return 0;
        (, amount) = _shareOf(piece, fullCover, account, availableNow, voucher.unit);
    }

    /// @inheritdoc ISettlementVault
    function statusOf(uint256 slot) external view returns (SettlementStatus) {
        IReceivableNote.Voucher memory voucher = _requireVoucher(slot);
        if (voucher.status == IReceivableNote.VoucherStatus.Redeemed) return SettlementStatus.Settled;
        if (block.timestamp < voucher.maturityAt) return SettlementStatus.Active;
        uint256 elapsed;
        // unchecked: block.timestamp >= maturityAt was just checked.
        unchecked {
            elapsed = block.timestamp - voucher.maturityAt;
        }
        if (elapsed >= _defaultAfterSeconds) return SettlementStatus.Defaulted;
        if (elapsed >= _graceSeconds) return SettlementStatus.Overdue;
        return SettlementStatus.Matured;
    }

    /// @inheritdoc ISettlementVault
    function graceSeconds() external view returns (uint256) {
        return _graceSeconds;
    }

    /// @inheritdoc ISettlementVault
    function defaultAfterSeconds() external view returns (uint256) {
        return _defaultAfterSeconds;
    }

    /// @notice The note whose vouchers this vault settles.
    function note() external view returns (ICascadeNote) {
        return _note;
    }

    /// @notice The FX rate directory cross-border vouchers are converted with.
    function fxRates() external view returns (IFxRateDirectory) {
        return _fx;
    }

    // ---------------------------------------------------------------- internals

    function _setTerms(uint256 graceSeconds_, uint256 defaultAfterSeconds_) private {
        if (graceSeconds_ > defaultAfterSeconds_) revert SettlementInvalidTerms(graceSeconds_, defaultAfterSeconds_);
        _graceSeconds = graceSeconds_;
        _defaultAfterSeconds = defaultAfterSeconds_;
        emit SettlementTermsSet(graceSeconds_, defaultAfterSeconds_);
    }

    function _requireVoucher(uint256 slot) private view returns (IReceivableNote.Voucher memory) {
        if (slot == 0 || slot > _note.voucherCount()) revert SettlementUnknownVoucher(slot);
        return _note.voucherOf(slot);
    }

    function _requireMatured(uint256 slot) private view returns (IReceivableNote.Voucher memory voucher) {
        voucher = _requireVoucher(slot);
        if (block.timestamp < voucher.maturityAt) revert SettlementNotMatured(voucher.maturityAt, block.timestamp);
    }

    function _available(SlotAccount storage account) private view returns (uint256) {
        return account.funded - account.paidOut - account.withdrawn;
    }

    /// @dev The current rate of the voucher's currency pair (identity for a domestic voucher).
    function _rateOf(IReceivableNote.Voucher memory voucher) private view returns (IFxRateDirectory.FxRate memory) {
        return _fx.rateOf(voucher.currency, voucher.settlementCurrency);
    }

    /// @dev The outstanding value in cash at `rate`, rounded up: what full cover needs.
    function _outstandingCash(IReceivableNote.Voucher memory voucher, IFxRateDirectory.FxRate memory rate)
        private
        pure
        returns (uint256)
    {
        return FxMath.toSettlement(voucher.faceValue - voucher.redeemedValue, rate, Math.Rounding.Ceil);
    }

    function _roundRate(SlotAccount memory account) private pure returns (IFxRateDirectory.FxRate memory) {
        return IFxRateDirectory.FxRate({
            answer: account.roundRate,
            decimals: account.roundRateDecimals,
            roundId: account.roundRateId,
            updatedAt: account.roundRateUpdatedAt
        });
    }

    /// @dev Whether the cash covers everything outstanding at the round's rate. Full cover survives every
    ///      payment at that rate (value v burned and floor(v * R) paid keep available >= ceil(outstanding * R)),
    ///      so it is decided once per call.
    function _fullCover(SlotAccount memory account, uint256 availableNow, uint256 outstanding)
        private
        pure
        returns (bool)
    {
        return availableNow >= FxMath.toSettlement(outstanding, _roundRate(account), Math.Rounding.Ceil);
    }

    /// @dev Common start of payout and claim: the voucher has matured and has cash; opens a round (with its
    ///      rate) if the funding changed.
    function _beginPayment(uint256 slot) private returns (SlotAccount storage account, bool fullCover, uint256 unit) {
        IReceivableNote.Voucher memory voucher = _requireMatured(slot);
        account = _accounts[slot];
        uint256 availableNow = _available(account);
        if (availableNow == 0) revert SettlementNotFunded(slot);
        uint256 outstanding = voucher.faceValue - voucher.redeemedValue;
        if (!account.roundOpen) _openRound(slot, account, voucher, availableNow, outstanding);
        fullCover = _fullCover(account, availableNow, outstanding);
        unit = voucher.unit;
    }

    /// @dev Opens round `account.round + 1` with the current rate and snapshots.
    function _openRound(
        uint256 slot,
        SlotAccount storage account,
        IReceivableNote.Voucher memory voucher,
        uint256 availableNow,
        uint256 outstanding
    ) private {
        IFxRateDirectory.FxRate memory rate = _rateOf(voucher);
        SlotAccount memory opened = account;
        _snapshot(opened, rate, availableNow, outstanding, _note.tokenCount());
        opened.round += 1;
        opened.roundOpen = true;
        _accounts[slot] = opened;
        emit SettlementRoundOpened(
            slot,
            opened.round,
            availableNow,
            outstanding,
            opened.roundOutstandingCash,
            rate.answer,
            rate.decimals,
            rate.roundId,
            rate.updatedAt
        );
    }

    function _snapshot(
        SlotAccount memory account,
        IFxRateDirectory.FxRate memory rate,
        uint256 availableNow,
        uint256 outstanding,
        uint256 tokenMark
    ) private pure {
        account.roundAvailable = availableNow;
        account.roundOutstanding = outstanding;
        account.roundOutstandingCash = FxMath.toSettlement(outstanding, rate, Math.Rounding.Ceil);
        account.roundTokenMark = tokenMark;
        account.roundRate = rate.answer;
        account.roundRateDecimals = rate.decimals;
        account.roundRateId = rate.roundId;
        account.roundRateUpdatedAt = rate.updatedAt;
    }

    /// @dev One token of a payout batch; returns the cash it was paid (0 when passed over).
    function _payoutOne(uint256 slot, uint256 tokenId, SlotAccount storage account, bool fullCover, uint256 unit)
        private
        returns (uint256 amount)
    {
        Piece memory piece = _pieceOf(slot, tokenId);
        if (piece.value == 0) return 0;
        if (!fullCover && (_paidInRound[tokenId] == account.round || tokenId > account.roundTokenMark)) return 0;
        if (piece.withheld != WithholdingReason.None) {
            emit SettlementPaymentWithheld(slot, tokenId, piece.holder, piece.withheld);
            return 0;
        }
        uint256 value;
        (value, amount) = _share(piece, fullCover, account, unit);
        if (amount != 0) _pay(slot, tokenId, piece.holder, value, amount, account);
    }

    /// @dev The holder, value and payable (unfrozen) value of `tokenId`, which must exist and belong to
    ///      `slot`, and why it would be withheld.
    function _pieceOf(uint256 slot, uint256 tokenId) private view returns (Piece memory piece) {
        if (!_note.exists(tokenId)) revert SettlementUnknownToken(tokenId);
        uint256 tokenSlot = _note.slotOf(tokenId);
        if (tokenSlot != slot) revert SettlementSlotMismatch(tokenId, tokenSlot, slot);
        piece.holder = _note.ownerOf(tokenId);
        piece.value = _note.balanceOf(tokenId);
        if (piece.value == 0) return piece;
        if (!_registry.isVerified(piece.holder)) {
            piece.withheld = WithholdingReason.HolderNotVerified;
        } else if (_note.isFrozen(piece.holder)) {
            piece.withheld = WithholdingReason.HolderFrozen;
        } else if (!_note.isTokenFrozen(tokenId)) {
            piece.payableValue = piece.value - _note.frozenValueOf(tokenId);
        }
        if (piece.withheld == WithholdingReason.None && piece.payableValue == 0) {
            piece.withheld = WithholdingReason.PieceFrozen;
        }
    }

    /// @dev (value burned, cash paid) for `piece` now: its whole payable value under full cover, else the
    ///      round's share; never more than the cash left buys.
    function _share(Piece memory piece, bool fullCover, SlotAccount storage account, uint256 unit)
        private
        view
        returns (uint256 value, uint256 amount)
    {
        return _shareOf(piece, fullCover, account, _available(account), unit);
    }

    /// @dev v = fullCover ? payable : floor(value * roundAvailable / roundOutstandingCash / unit) * unit,
    ///      capped by the payable value and by floor(availableNow / R) in whole units (so value moved between
    ///      tokens after the round opened cannot make the vault pay out cash funded for another voucher);
    ///      cash = floor(v * R), rounded down in favour of the escrow.
    function _shareOf(
        Piece memory piece,
        bool fullCover,
        SlotAccount memory account,
        uint256 availableNow,
        uint256 unit
    ) private pure returns (uint256 value, uint256 amount) {
        IFxRateDirectory.FxRate memory rate = _roundRate(account);
        value = fullCover
            ? piece.payableValue
            : Math.mulDiv(piece.value, account.roundAvailable, account.roundOutstandingCash) / unit * unit;
        if (value > piece.payableValue) value = piece.payableValue;
        uint256 affordable = FxMath.toDenomination(availableNow, rate, Math.Rounding.Floor) / unit * unit;
        if (value > affordable) value = affordable;
        amount = FxMath.toSettlement(value, rate, Math.Rounding.Floor);
        if (amount == 0) value = 0;
    }

    /// @dev Effects, then the burn and the cash transfer, then the event.
    function _pay(
        uint256 slot,
        uint256 tokenId,
        address holder,
        uint256 value,
        uint256 amount,
        SlotAccount storage account
    ) private {
        _paidInRound[tokenId] = account.round;
        account.paidOut += amount;

        _note.redeem(tokenId, value);
        IERC20(account.cashToken).safeTransfer(holder, amount);
        emit SettlementPaid(
            slot,
            tokenId,
            holder,
            value,
            amount,
            account.roundRate,
            account.roundRateDecimals,
            account.roundRateId,
            account.roundRateUpdatedAt
        );
    }

    function _requiredCashDecimals() internal view override returns (uint8) {
        return _note.valueDecimals();
    }
}
