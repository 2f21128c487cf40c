// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Context} from "@openzeppelin/contracts/utils/Context.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {ERC2771Context} from "@openzeppelin/contracts/metatx/ERC2771Context.sol";
import {CashTokenDirectory} from "./CashTokenDirectory.sol";
import {ICascadeNote} from "./interfaces/ICascadeNote.sol";
import {IParticipantRegistry} from "./interfaces/IParticipantRegistry.sol";
import {IReceivableNote} from "./interfaces/IReceivableNote.sol";
import {ISettlementVault} from "./interfaces/ISettlementVault.sol";

/// @title Cascade settlement vault: the obligor's payment at maturity, paid out to every holder
/// @notice See ISettlementVault for the pro-rata rounds. The vault needs the note's REDEEMER_ROLE.
contract SettlementVault is ISettlementVault, CashTokenDirectory, ERC2771Context, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    ICascadeNote private immutable _note;
    /// @dev The note's registry, fixed in the note at its deployment.
    IParticipantRegistry private immutable _registry;

    uint256 private _graceSeconds;
    uint256 private _defaultAfterSeconds;

    mapping(uint256 slot => SlotAccount) private _accounts;
    /// @dev The round in which a token was last paid (0: never).
    mapping(uint256 tokenId => uint64 round) private _paidInRound;

    constructor(
        ICascadeNote note_,
        address trustedForwarder_,
        address admin,
        uint256 graceSeconds_,
        uint256 defaultAfterSeconds_
    ) ERC2771Context(trustedForwarder_) {
        if (address(note_) == address(0) || admin == address(0)) revert SettlementZeroAddress();
        _note = note_;
        _registry = note_.registry();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
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
        uint256 outstanding = voucher.faceValue - voucher.redeemedValue;
        uint256 availableAfter = _available(account) + amount;
        if (availableAfter > outstanding) revert SettlementOverfunded(slot, outstanding, availableAfter);
        IERC20 cash = IERC20(account.cashToken);
        if (address(cash) == address(0)) {
            cash = _requireCashToken(voucher.currency);
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
        uint256 outstanding = voucher.faceValue - voucher.redeemedValue;
        if (availableNow <= outstanding) revert SettlementNoExcess(slot);
        // unchecked: availableNow > outstanding was just checked.
        unchecked {
            amount = availableNow - outstanding;
        }

        account.withdrawn += amount;
        account.roundOpen = false;

        IERC20(account.cashToken).safeTransfer(obligor, amount);
        emit SettlementExcessWithdrawn(slot, obligor, amount);
    }

    // ---------------------------------------------------------------- payment

    /// @inheritdoc ISettlementVault
    function payout(uint256 slot, uint256[] calldata tokenIds) external nonReentrant returns (uint256 total) {
        (SlotAccount storage account, uint64 round, bool fullCover, uint256 unit) = _beginPayment(slot);
        for (uint256 i; i < tokenIds.length; ++i) {
            total += _payoutOne(slot, tokenIds[i], account, round, fullCover, unit);
        }
    }

    /// @inheritdoc ISettlementVault
    function claim(uint256 tokenId) external nonReentrant returns (uint256 amount) {
        if (!_note.exists(tokenId)) revert SettlementUnknownToken(tokenId);
        uint256 slot = _note.slotOf(tokenId);
        (SlotAccount storage account, uint64 round, bool fullCover, uint256 unit) = _beginPayment(slot);
        (address holder, uint256 value) = _tokenOfSlot(slot, tokenId);
        {
            address caller = _msgSender();
            if (caller != holder) revert SettlementCallerNotHolder(caller, tokenId, holder);
        }
        if (!_registry.isVerified(holder)) revert SettlementHolderNotVerified(holder);
        if (value != 0 && !fullCover) {
            if (_paidInRound[tokenId] == round) revert SettlementAlreadyPaidInRound(tokenId, round);
            if (tokenId > account.roundTokenMark) revert SettlementTokenNewerThanRound(tokenId, round);
        }
        amount = value == 0 ? 0 : _share(value, fullCover, account, unit);
        if (amount == 0) revert SettlementNothingToClaim(tokenId, value);
        _pay(slot, tokenId, holder, amount, account, round);
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
        uint256 value = _note.balanceOf(tokenId);
        SlotAccount memory account = _accounts[slot];
        uint256 availableNow = account.funded - account.paidOut - account.withdrawn;
        if (value == 0 || availableNow == 0) return 0;
        uint256 outstanding = voucher.faceValue - voucher.redeemedValue;
        if (availableNow >= outstanding) return value;
        if (!account.roundOpen) {
            // The next payout or claim opens a new round with these snapshots.
            return _proRata(value, availableNow, outstanding, availableNow, voucher.unit);
        }
        if (_paidInRound[tokenId] == account.round || tokenId > account.roundTokenMark) return 0;
        return _proRata(value, account.roundAvailable, account.roundOutstanding, availableNow, voucher.unit);
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

    /// @dev Common start of payout and claim: the voucher has matured and has cash; opens a round if
    ///      the funding changed. Full cover survives every payment (both sides shrink by the same amount),
    ///      and so does its absence, so it is decided once per call.
    function _beginPayment(uint256 slot)
        private
        returns (SlotAccount storage account, uint64 round, bool fullCover, uint256 unit)
    {
        IReceivableNote.Voucher memory voucher = _requireMatured(slot);
        account = _accounts[slot];
        uint256 availableNow = _available(account);
        if (availableNow == 0) revert SettlementNotFunded(slot);
        uint256 outstanding = voucher.faceValue - voucher.redeemedValue;
        round = _openRound(slot, account, availableNow, outstanding);
        fullCover = availableNow >= outstanding;
        unit = voucher.unit;
    }

    /// @dev One token of a payout batch; returns what it was paid (0 when passed over).
    function _payoutOne(
        uint256 slot,
        uint256 tokenId,
        SlotAccount storage account,
        uint64 round,
        bool fullCover,
        uint256 unit
    ) private returns (uint256 amount) {
        (address holder, uint256 value) = _tokenOfSlot(slot, tokenId);
        if (value == 0) return 0;
        if (!fullCover && (_paidInRound[tokenId] == round || tokenId > account.roundTokenMark)) return 0;
        if (!_registry.isVerified(holder)) {
            emit SettlementPaymentWithheld(slot, tokenId, holder);
            return 0;
        }
        amount = _share(value, fullCover, account, unit);
        if (amount != 0) _pay(slot, tokenId, holder, amount, account, round);
    }

    /// @dev Opens a new distribution round if the funding changed since the last one; returns the round.
    function _openRound(uint256 slot, SlotAccount storage account, uint256 availableNow, uint256 outstanding)
        private
        returns (uint64 round)
    {
        if (account.roundOpen) return account.round;
        round = account.round + 1;
        account.round = round;
        account.roundOpen = true;
        account.roundAvailable = availableNow;
        account.roundOutstanding = outstanding;
        account.roundTokenMark = _note.tokenCount();
        emit SettlementRoundOpened(slot, round, availableNow, outstanding);
    }

    /// @dev The holder and value of `tokenId`, which must exist and belong to `slot`.
    function _tokenOfSlot(uint256 slot, uint256 tokenId) private view returns (address holder, uint256 value) {
        if (!_note.exists(tokenId)) revert SettlementUnknownToken(tokenId);
        uint256 tokenSlot = _note.slotOf(tokenId);
        if (tokenSlot != slot) revert SettlementSlotMismatch(tokenId, tokenSlot, slot);
        holder = _note.ownerOf(tokenId);
        value = _note.balanceOf(tokenId);
    }

    /// @dev What a token holding `value` is paid now: all of it under full cover, else the open round's share.
    function _share(uint256 value, bool fullCover, SlotAccount storage account, uint256 unit)
        private
        view
        returns (uint256)
    {
        if (fullCover) return value;
        return _proRata(value, account.roundAvailable, account.roundOutstanding, _available(account), unit);
    }

    /// @dev floor(value * roundAvailable / roundOutstanding / unit) * unit, never more than the cash left
    ///      (floored to whole units), so value moved between tokens after the round opened cannot make
    ///      the vault pay out cash funded for another voucher.
    function _proRata(
        uint256 value,
        uint256 roundAvailable,
        uint256 roundOutstanding,
        uint256 availableNow,
        uint256 unit
    ) private pure returns (uint256 amount) {
        amount = Math.mulDiv(value, roundAvailable, roundOutstanding) / unit * unit;
        uint256 cap = availableNow / unit * unit;
        if (amount > cap) amount = cap;
    }

    /// @dev Effects, then the burn and the cash transfer, then the event.
    function _pay(
        uint256 slot,
        uint256 tokenId,
        address holder,
        uint256 amount,
        SlotAccount storage account,
        uint64 round
    ) private {
        _paidInRound[tokenId] = round;
        account.paidOut += amount;

        _note.redeem(tokenId, amount);
        IERC20(account.cashToken).safeTransfer(holder, amount);
        emit SettlementPaid(slot, tokenId, holder, amount);
    }

    function _requiredCashDecimals() internal view override returns (uint8) {
        return _note.valueDecimals();
    }

    // ---------------------------------------------------------------- ERC-2771 plumbing

    function _msgSender() internal view override(Context, ERC2771Context) returns (address) {
        return ERC2771Context._msgSender();
    }

    function _msgData() internal view override(Context, ERC2771Context) returns (bytes calldata) {
        return ERC2771Context._msgData();
    }

    function _contextSuffixLength() internal view override(Context, ERC2771Context) returns (uint256) {
        return ERC2771Context._contextSuffixLength();
    }
}
