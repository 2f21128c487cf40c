// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";
import {TransferLimitModule} from "../compliance/TransferLimitModule.sol";
import {IIdentityRegistry} from "../interfaces/IIdentityRegistry.sol";
import {NoteBase} from "./NoteBase.sol";

/// @title The Cascade note's second code half: issuance, metadata, compliance administration, pauses
/// @notice Runs only by DELEGATECALL from its ReceivableNote, in that note's storage and at that note's
///         address (events and errors come from the note); called directly, its writes refuse.
///         See NoteBase for why the note has two halves and INoteCompliance for the controls.
contract ReceivableNoteExtension is NoteBase {
    /// @dev Bounds of a rolling limit's window.
    uint256 private constant _MIN_WINDOW = 1 hours;
    uint256 private constant _MAX_WINDOW = 366 days;

    /// @dev This contract's own address: code running at any other address runs for the note.
    address private immutable _self;

    /// @dev Deployed before its note with the note's registry, value decimals and forwarder (the note's
    ///      constructor checks them). Its own storage is never used; it is its own admin there, so no
    ///      account holds a role in it.
    constructor(IIdentityRegistry registry_, uint8 valueDecimals_, address trustedForwarder_)
        NoteBase(registry_, valueDecimals_, trustedForwarder_, address(this), 0)
    {
        _self = address(this);
    }

    modifier onlyDelegated() {
        if (address(this) == _self) revert NoteExtensionDirectCall();
        _;
    }

    /// @dev A compliance agent's action: through the note, by COMPLIANCE_AGENT_ROLE, with a reason code.
    modifier agentAction(bytes32 reason) {
        if (address(this) == _self) revert NoteExtensionDirectCall();
        _checkRole(COMPLIANCE_AGENT_ROLE);
        if (reason == bytes32(0)) revert NoteMissingReason();
        _;
    }

    // ---------------------------------------------------------------- issuance

    /// @notice Issues a voucher (see ICascadeNote.issue). ISSUER_ROLE only.
    function issue(
        address obligor,
        address holder,
        bytes8 currency,
        bytes8 settlementCurrency,
        uint256 faceValue,
        uint256 unit,
        uint256 maturityAt,
        uint256 transferCap,
        bytes32 documentHash
    ) external onlyDelegated onlyRole(ISSUER_ROLE) whenNotPaused returns (uint256 slot, uint256 tokenId) {
        if (unit == 0 || unit > type(uint96).max) revert NoteInvalidUnit(unit);
        if (faceValue == 0 || faceValue > type(uint96).max || faceValue % unit != 0) {
            revert NoteInvalidFaceValue(faceValue, unit);
        }
        if (maturityAt <= block.timestamp) revert NoteMaturityInPast(maturityAt, block.timestamp);
        if (maturityAt > type(uint40).max) revert NoteMaturityTooFar(maturityAt, type(uint40).max);
        if (currency == bytes8(0) || settlementCurrency == bytes8(0)) {
            revert NoteInvalidCurrency(currency, settlementCurrency);
        }
        if (transferCap > type(uint96).max) revert NoteInvalidTransferCap(transferCap);
        _revertScreened(obligor, _screen(obligor));
        _revertScreened(holder, _screen(holder));

        slot = ++_voucherCount;
        // casts: each value was checked against its width above.
        _vouchers[slot] = Voucher({
            obligor: obligor,
            issuedAt: uint40(block.timestamp),
            maturityAt: uint40(maturityAt),
            status: VoucherStatus.Active,
            paused: false,
            faceValue: uint96(faceValue),
            unit: uint96(unit),
            currency: currency,
            redeemedValue: 0,
            transferCap: uint96(transferCap),
            settlementCurrency: settlementCurrency,
            documentHash: documentHash
        });
        tokenId = _update(0, 0, holder, faceValue, slot);
        _emitIssued(slot, holder, tokenId);
    }

    function _emitIssued(uint256 slot, address holder, uint256 tokenId) private {
        Voucher storage v = _vouchers[slot];
        emit VoucherIssued(
            slot,
            v.obligor,
            holder,
            tokenId,
            v.currency,
            v.settlementCurrency,
            v.faceValue,
            v.unit,
            v.maturityAt,
            v.transferCap,
            v.documentHash
        );
    }

    // ---------------------------------------------------------------- compliance controls

    /// @notice See INoteCompliance.setAddressFrozen. COMPLIANCE_AGENT_ROLE only.
    function setAddressFrozen(address account, bool frozen, bytes32 reason) external agentAction(reason) {
        if (account == address(0)) revert NoteZeroAddress();
        _setAddressFrozen(account, frozen, reason);
    }

    function _setAddressFrozen(address account, bool frozen, bytes32 reason) private {
        _accounts[account].frozen = frozen;
        emit AddressFrozen(account, frozen, _msgSender(), reason);
    }

    /// @notice See INoteCompliance.setTokenFrozen. COMPLIANCE_AGENT_ROLE only.
    function setTokenFrozen(uint256 tokenId, bool frozen, bytes32 reason) external agentAction(reason) {
        Token storage token = _requireToken(tokenId);
        token.flags = frozen ? token.flags | _FROZEN : token.flags & ~_FROZEN;
        emit TokenFrozen(tokenId, frozen, _msgSender(), reason);
    }

    /// @notice See INoteCompliance.freezePartialValue. COMPLIANCE_AGENT_ROLE only.
    function freezePartialValue(uint256 tokenId, uint256 value, bytes32 reason) external agentAction(reason) {
        _changeFrozenValue(tokenId, value, true, reason);
    }

    /// @notice See INoteCompliance.unfreezePartialValue. COMPLIANCE_AGENT_ROLE only.
    function unfreezePartialValue(uint256 tokenId, uint256 value, bytes32 reason) external agentAction(reason) {
        _changeFrozenValue(tokenId, value, false, reason);
    }

    /// @dev Freezes (`freeze`) `value` more of `tokenId`, at most its unfrozen value, or unfreezes `value`,
    ///      at most its frozen value; a positive unit multiple either way.
    function _changeFrozenValue(uint256 tokenId, uint256 value, bool freeze, bytes32 reason) private {
        Token storage token = _requireToken(tokenId);
        if (value == 0) revert NoteZeroValue();
        uint256 unit = _vouchers[token.slot].unit;
        if (value % unit != 0) revert NoteValueNotUnitMultiple(token.slot, value, unit);
        uint256 frozen = _frozenValues[tokenId];
        if (freeze) {
            uint256 unfrozen = token.balance - frozen;
            if (value > unfrozen) revert NoteFreezeExceedsValue(tokenId, unfrozen, value);
            _setFrozenValue(tokenId, token, frozen + value);
            emit ValueFrozen(tokenId, value, frozen + value, _msgSender(), reason);
        } else {
            if (value > frozen) revert NoteUnfreezeExceedsFrozen(tokenId, frozen, value);
            // unchecked: value <= frozen was just checked.
            unchecked {
                _setFrozenValue(tokenId, token, frozen - value);
                emit ValueUnfrozen(tokenId, value, frozen - value, _msgSender(), reason);
            }
        }
    }

    function _setFrozenValue(uint256 tokenId, Token storage token, uint256 frozen) private {
        _frozenValues[tokenId] = frozen;
        token.flags = frozen != 0 ? token.flags | _HAS_FROZEN_VALUE : token.flags & ~_HAS_FROZEN_VALUE;
    }

    /// @notice See INoteCompliance.forcedTransfer. COMPLIANCE_AGENT_ROLE only.
    function forcedTransfer(uint256 fromTokenId, address to, uint256 value, bytes32 reason)
        external
        agentAction(reason)
        returns (uint256 toTokenId)
    {
        if (to == address(0)) revert NoteZeroAddress();
        Token storage from = _requireToken(fromTokenId);
        if (value == 0) revert NoteZeroValue();
        uint256 slot = from.slot;
        Voucher storage voucher = _vouchers[slot];
        if (voucher.status != VoucherStatus.Active) revert NoteVoucherNotActive(slot, voucher.status);
        if (value % voucher.unit != 0) revert NoteValueNotUnitMultiple(slot, value, voucher.unit);
        uint256 balance = from.balance;
        if (value > balance) revert NoteInsufficientValue(fromTokenId, balance, value);
        // Freezes of the sender, the recipient and the piece are overridden; eligibility is not.
        _revertScreened(to, _screen(to) & 3);
        if (from.flags & _HAS_FROZEN_VALUE != 0) _releaseFrozen(fromTokenId, from, balance, value, reason);
        address holder = from.owner;
        toTokenId = _update(fromTokenId, 0, to, value, 0);
        emit ForcedTransfer(fromTokenId, toTokenId, _msgSender(), holder, to, value, reason);
        _requireAccepted(to, fromTokenId, toTokenId, value);
    }

    /// @dev Unfreezes what frozen value of the piece a forced transfer of `value` needs (T-REX's rule).
    function _releaseFrozen(uint256 tokenId, Token storage token, uint256 balance, uint256 value, bytes32 reason)
        private
    {
        uint256 frozen = _frozenValues[tokenId];
        uint256 unfrozen = balance - frozen;
        if (value <= unfrozen) return;
        // unchecked: unfrozen < value <= balance, so the release is at most `frozen`.
        unchecked {
            uint256 release = value - unfrozen;
            _setFrozenValue(tokenId, token, frozen - release);
            emit ValueUnfrozen(tokenId, release, frozen - release, _msgSender(), reason);
        }
    }

    /// @notice See INoteCompliance.recoveryAddress. COMPLIANCE_AGENT_ROLE only.
    function recoveryAddress(address lostWallet, address newWallet, uint256[] calldata tokenIds, bytes32 reason)
        external
        agentAction(reason)
    {
        if (lostWallet == address(0) || newWallet == address(0)) revert NoteZeroAddress();
        Account storage fresh = _accounts[newWallet];
        if (newWallet == lostWallet || fresh.tokenCount != 0 || fresh.limited) {
            revert NoteRecoveryWalletInUse(newWallet);
        }
        _revertScreened(newWallet, _screen(newWallet) & 3);
        for (uint256 i; i < tokenIds.length; ++i) {
            uint256 tokenId = tokenIds[i];
            address owner = _requireToken(tokenId).owner;
            if (owner != lostWallet) revert NoteWrongHolder(lostWallet, owner);
            _update(tokenId, tokenId, newWallet, 0, 0);
        }
        Account storage lost = _accounts[lostWallet];
        if (lost.tokenCount != 0) revert NoteRecoveryIncomplete(lostWallet, lost.tokenCount);
        if (lost.limited) {
            _limits.moveRules(lostWallet, newWallet);
            lost.limited = false;
            fresh.limited = true;
        }
        // A freeze is not lifted by changing wallets (T-REX carries it over); a lost key is compromised.
        if (lost.frozen) _setAddressFrozen(newWallet, true, reason);
        else _setAddressFrozen(lostWallet, true, reason);
        emit RecoverySuccess(lostWallet, newWallet, _msgSender(), tokenIds.length, reason);
    }

    /// @notice See INoteCompliance.setTransferCap. COMPLIANCE_AGENT_ROLE only.
    function setTransferCap(uint256 slot, uint256 cap, bytes32 reason) external agentAction(reason) {
        Voucher storage voucher = _requireVoucher(slot);
        if (cap > type(uint96).max) revert NoteInvalidTransferCap(cap);
        // cast: cap <= uint96 max was just checked.
        voucher.transferCap = uint96(cap);
        emit TransferCapSet(slot, cap, _msgSender(), reason);
    }

    /// @notice See INoteCompliance.setTransferLimit. COMPLIANCE_AGENT_ROLE only.
    function setTransferLimit(address account, bytes8 currency, uint256 limit, uint256 windowSeconds, bytes32 reason)
        external
        agentAction(reason)
    {
        if (account == address(0)) revert NoteZeroAddress();
        if (currency == bytes8(0)) revert NoteInvalidCurrency(currency, currency);
        bool removes = limit == 0 && windowSeconds == 0;
        if (
            !removes
                && (limit == 0
                    || limit > type(uint96).max
                    || windowSeconds < _MIN_WINDOW
                    || windowSeconds > _MAX_WINDOW)
        ) revert NoteInvalidTransferLimit(limit, windowSeconds);
        // casts: both were checked against their widths above.
        _accounts[account].limited = _limits.setRule(account, currency, uint96(limit), uint32(windowSeconds));
        emit TransferLimitSet(account, currency, limit, windowSeconds, _msgSender(), reason);
    }

    /// @notice See INoteCompliance.transferLimitOf.
    function transferLimitOf(address account, bytes8 currency)
        external
        view
        returns (uint256 limit, uint256 windowSeconds, uint256 sentInWindow)
    {
        return _limits.usageOf(account, currency);
    }

    /// @notice The module that counts rolling limits (deployed by the note; only the note writes to it).
    function limitModule() external view returns (address) {
        return address(_limits);
    }

    // ---------------------------------------------------------------- pauses

    /// @notice Stops issuance, transfers and redemption on the whole ledger. PAUSER_ROLE only.
    function pause() external onlyDelegated onlyRole(PAUSER_ROLE) {
        _pause();
    }

    /// @notice Resumes a paused ledger. PAUSER_ROLE only.
    function unpause() external onlyDelegated onlyRole(PAUSER_ROLE) {
        _unpause();
    }

    /// @notice See INoteCompliance.pauseVoucher. PAUSER_ROLE only.
    function pauseVoucher(uint256 slot) external onlyDelegated onlyRole(PAUSER_ROLE) {
        Voucher storage voucher = _requireVoucher(slot);
        if (voucher.paused) revert NoteVoucherPaused(slot);
        voucher.paused = true;
        emit VoucherPaused(slot, _msgSender());
    }

    /// @notice See INoteCompliance.unpauseVoucher. PAUSER_ROLE only.
    function unpauseVoucher(uint256 slot) external onlyDelegated onlyRole(PAUSER_ROLE) {
        Voucher storage voucher = _requireVoucher(slot);
        if (!voucher.paused) revert NoteVoucherNotPaused(slot);
        voucher.paused = false;
        emit VoucherUnpaused(slot, _msgSender());
    }

    // ---------------------------------------------------------------- metadata and voucher views

    /// @notice ERC-721 metadata: the note's name.
    function name() external view returns (string memory) {
        return _name;
    }

    /// @notice ERC-721 metadata: the note's symbol.
    function symbol() external view returns (string memory) {
        return _symbol;
    }

    /// @notice ERC-721 metadata: `{base}token/{tokenId}`, or "" without a base URI.
    function tokenURI(uint256 tokenId) external view returns (string memory) {
        _requireToken(tokenId);
        return _uri("token/", tokenId);
    }

    /// @notice ERC-3525 metadata: `{base}voucher/{slot}`, or "" without a base URI.
    function slotURI(uint256 slot) external view returns (string memory) {
        _requireVoucher(slot);
        return _uri("voucher/", slot);
    }

    /// @notice ERC-3525 metadata: the base URI itself.
    function contractURI() external view returns (string memory) {
        return _baseTokenURI;
    }

    /// @notice Sets the base of token, slot and contract URIs (the service's public metadata endpoint).
    /// @dev DEFAULT_ADMIN_ROLE only.
    function setBaseURI(string calldata baseURI) external onlyDelegated onlyRole(DEFAULT_ADMIN_ROLE) {
        _baseTokenURI = baseURI;
    }

    function _uri(string memory kind, uint256 id) private view returns (string memory) {
        if (bytes(_baseTokenURI).length == 0) return "";
        return string.concat(_baseTokenURI, kind, Strings.toString(id));
    }

    /// @notice Value of `slot` not yet redeemed: the sum of all its tokens' values.
    function outstandingValueOf(uint256 slot) external view returns (uint256) {
        Voucher storage voucher = _requireVoucher(slot);
        return voucher.faceValue - voucher.redeemedValue;
    }

    /// @notice Lineage of `tokenId`: its parent (0 for a root), the voucher's root token and its depth.
    function lineageOf(uint256 tokenId)
        external
        view
        returns (uint256 parentTokenId, uint256 rootTokenId, uint256 depth)
    {
        Token storage token = _requireToken(tokenId);
        return (token.parent, token.root, token.depth);
    }
}
