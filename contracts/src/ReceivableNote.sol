// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Proxy} from "@openzeppelin/contracts/proxy/Proxy.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {IERC721} from "@solvprotocol/erc-3525/IERC721.sol";
import {IERC3525} from "@solvprotocol/erc-3525/IERC3525.sol";
import {IERC721Metadata} from "@solvprotocol/erc-3525/extensions/IERC721Metadata.sol";
import {IERC3525Metadata} from "@solvprotocol/erc-3525/extensions/IERC3525Metadata.sol";
import {IERC3525SlotApprovable} from "@solvprotocol/erc-3525/extensions/IERC3525SlotApprovable.sol";
import {CascadeAccess} from "./access/CascadeAccess.sol";
import {TransferLimitModule} from "./compliance/TransferLimitModule.sol";
import {IIdentityRegistry} from "./interfaces/IIdentityRegistry.sol";
import {NoteBase} from "./note/NoteBase.sol";
import {ReceivableNoteExtension} from "./note/ReceivableNoteExtension.sol";

/// @title Cascade receivable note: ERC-3525 semi-fungible tokens with on-chain lineage and compliance
/// @notice The note's address and its hot half: value transfers (split, merge), whole-token transfers,
///         approvals, redemption, the dry run and the views the settlement contracts read. Every other
///         function of the note's interface (ICascadeNote: issuance, metadata, compliance administration,
///         pauses) is served from the same address by ReceivableNoteExtension, run by DELEGATECALL in this
///         contract's storage (see NoteBase). Callers see one contract: its full ABI is ICascadeNote's,
///         the union of both halves' ABIs.
///
///         Every change of value or ownership goes through one core, `NoteBase._update`; every
///         holder-initiated transfer is screened by one rule set, `NoteBase._restrictions`, which
///         `checkTransfer` exposes as a dry run, so the dry run and the transaction cannot disagree.
contract ReceivableNote is NoteBase, Proxy {
    /// @dev The code half that serves every function not defined here.
    address private immutable _extension;

    /// @param extension_ a ReceivableNoteExtension deployed with the same registry, value decimals and
    ///        forwarder (checked: its code runs with the note's powers, so a mismatch is refused)
    constructor(
        string memory name_,
        string memory symbol_,
        uint8 valueDecimals_,
        IIdentityRegistry registry_,
        address trustedForwarder_,
        address admin,
        uint48 adminTransferDelay,
        ReceivableNoteExtension extension_
    ) NoteBase(registry_, valueDecimals_, trustedForwarder_, admin, adminTransferDelay) {
        if (
            address(extension_).code.length == 0 || extension_.registry() != registry_
                || extension_.valueDecimals() != valueDecimals_ || extension_.trustedForwarder() != trustedForwarder_
        ) revert NoteExtensionMismatch(address(extension_));
        _extension = address(extension_);
        _name = name_;
        _symbol = symbol_;
        _limits = new TransferLimitModule();
    }

    /// @notice Refuses plain ether (the note never holds any).
    receive() external payable {
        revert NoteEtherNotAccepted(msg.value);
    }

    // ---------------------------------------------------------------- ERC-3525 value transfers

    /// @notice ERC-3525: moves `value` of `fromTokenId` into a new piece for `to`.
    /// @dev A transfer to the holder itself makes it a new piece; a zero value makes an empty piece.
    ///      Screened by `_restrictions` (every refusal its own error); counts the sender's rolling limit.
    function transferFrom(uint256 fromTokenId, address to, uint256 value)
        external
        payable
        noEther
        returns (uint256 newTokenId)
    {
        _screenMove(Move(_msgSender(), fromTokenId, 0, to, value, false, address(0), false));
        newTokenId = _update(fromTokenId, 0, to, value, 0);
        _requireAccepted(to, fromTokenId, newTokenId, value);
    }

    /// @notice ERC-3525: moves `value` of `fromTokenId` into `toTokenId` of the same voucher.
    /// @dev A zero value changes nothing but emits TransferValue (and runs the receiver hook).
    function transferFrom(uint256 fromTokenId, uint256 toTokenId, uint256 value) external payable noEther {
        Move memory m = Move(_msgSender(), fromTokenId, toTokenId, address(0), value, false, address(0), false);
        _screenMove(m);
        _update(fromTokenId, toTokenId, address(0), value, 0);
        _requireAccepted(m.to, fromTokenId, toTokenId, value);
    }

    // ---------------------------------------------------------------- ERC-721 whole-token transfers

    /// @notice ERC-721: hands the whole piece `tokenId` from `from` to `to`.
    function transferFrom(address from, address to, uint256 tokenId) external payable noEther {
        _transferToken(from, to, tokenId);
    }

    /// @notice ERC-721: as transferFrom, then runs `to`'s ERC-721 receiver hook if `to` is a contract.
    function safeTransferFrom(address from, address to, uint256 tokenId) external payable noEther {
        _safeTransferToken(from, to, tokenId, "");
    }

    /// @notice ERC-721: as transferFrom, then runs `to`'s ERC-721 receiver hook with `data`.
    function safeTransferFrom(address from, address to, uint256 tokenId, bytes calldata data) external payable noEther {
        _safeTransferToken(from, to, tokenId, data);
    }

    function _safeTransferToken(address from, address to, uint256 tokenId, bytes memory data) private {
        _transferToken(from, to, tokenId);
        if (!_checkOnERC721Received(from, to, tokenId, data)) revert NoteInvalidReceiver(to);
    }

    /// @dev A whole piece changing hands is a transfer of its whole value: the same rules apply (frozen
    ///      value, cap and limits included), only value allowances do not authorize it.
    function _transferToken(address from, address to, uint256 tokenId) private {
        if (to == address(0)) revert NoteZeroAddress();
        address owner = _requireToken(tokenId).owner;
        if (from != owner) revert NoteWrongHolder(from, owner);
        if (to == owner) revert NoteSelfTransfer(to);
        _screenMove(Move(_msgSender(), tokenId, 0, to, 0, true, address(0), false));
        _update(tokenId, tokenId, to, 0, 0);
    }

    // ---------------------------------------------------------------- approvals

    /// @notice ERC-3525: lets `operator` move up to `value` of `tokenId` (replacing any earlier grant).
    /// @dev ERC-3525 lets the token's approved address (and slot operators) grant value allowances too.
    function approve(uint256 tokenId, address operator, uint256 value) external payable noEther {
        Token storage token = _requireToken(tokenId);
        address owner = token.owner;
        if (operator == owner) revert NoteApprovalToHolder(owner);
        address caller = _msgSender();
        if (!_isApprovedOrOwner(caller, tokenId, owner, token.slot)) revert NoteUnauthorized(caller, tokenId);
        _valueAllowances[tokenId][token.approvalEpoch][operator] = value;
        emit IERC3525.ApprovalValue(tokenId, operator, value);
    }

    /// @notice ERC-3525: the value of `tokenId` that `operator` may still move.
    function allowance(uint256 tokenId, address operator) external view returns (uint256) {
        Token storage token = _requireToken(tokenId);
        return _valueAllowances[tokenId][token.approvalEpoch][operator];
    }

    /// @notice ERC-721: approves `approved` for the whole piece `tokenId` (zero clears).
    /// @dev By the holder, an operator for all its pieces, or an operator for the piece's slot.
    function approve(address approved, uint256 tokenId) external payable noEther {
        Token storage token = _requireToken(tokenId);
        address owner = token.owner;
        if (approved == owner) revert NoteApprovalToHolder(owner);
        address caller = _msgSender();
        if (caller != owner && !_operatorApprovals[owner][caller] && !_slotApprovals[owner][token.slot][caller]) {
            revert NoteUnauthorized(caller, tokenId);
        }
        _tokenApprovals[tokenId] = approved;
        emit IERC721.Approval(owner, approved, tokenId);
    }

    /// @notice ERC-721: makes `operator` an operator for all of the caller's pieces (or stops it).
    function setApprovalForAll(address operator, bool approved) external {
        address caller = _msgSender();
        if (operator == caller) revert NoteApprovalToHolder(caller);
        _operatorApprovals[caller][operator] = approved;
        emit IERC721.ApprovalForAll(caller, operator, approved);
    }

    /// @notice ERC-3525 slot approval: makes `operator` an operator for all of `owner`'s pieces of voucher
    ///         `slot` (moving their value and whole pieces, approving for them), or stops it.
    /// @dev By `owner` or an operator for all of `owner`'s pieces.
    function setApprovalForSlot(address owner, uint256 slot, address operator, bool approved) external payable noEther {
        address caller = _msgSender();
        if (caller != owner && !_operatorApprovals[owner][caller]) revert NoteSlotApprovalUnauthorized(caller, owner);
        if (operator == owner) revert NoteApprovalToHolder(owner);
        _slotApprovals[owner][slot][operator] = approved;
        emit IERC3525SlotApprovable.ApprovalForSlot(owner, slot, operator, approved);
    }

    /// @notice ERC-3525 slot approval: whether `operator` is an operator for `owner`'s pieces of `slot`.
    function isApprovedForSlot(address owner, uint256 slot, address operator) external view returns (bool) {
        return _slotApprovals[owner][slot][operator];
    }

    /// @notice ERC-721: the address approved for the whole piece `tokenId`.
    function getApproved(uint256 tokenId) external view returns (address) {
        _requireToken(tokenId);
        return _tokenApprovals[tokenId];
    }

    /// @notice ERC-721: whether `operator` is an operator for all of `owner`'s pieces.
    function isApprovedForAll(address owner, address operator) external view returns (bool) {
        return _operatorApprovals[owner][operator];
    }

    /// @notice ERC-721: the number of pieces `owner` holds.
    function balanceOf(address owner) external view returns (uint256) {
        if (owner == address(0)) revert NoteZeroAddress();
        return _accounts[owner].tokenCount;
    }

    // ---------------------------------------------------------------- dry run

    /// @notice Every reason (TransferCheck bits) why `operator` calling
    ///         `transferFrom(fromTokenId, to, value)` (a split) would fail now; 0 if it would pass.
    /// @dev The same rule set as the transfer itself; only a receiving contract's ERC-3525 hook is not
    ///      run (a view cannot). Bit numbers: TransferCheck (INoteCompliance.sol).
    function checkTransfer(address operator, uint256 fromTokenId, address to, uint256 value)
        external
        view
        returns (uint256)
    {
        return _restrictions(Move(operator, fromTokenId, 0, to, value, false, address(0), false), true);
    }

    /// @notice Every reason why `operator` calling `transferFrom(fromTokenId, toTokenId, value)` (a merge)
    ///         would fail now; 0 if it would pass.
    function checkTransfer(address operator, uint256 fromTokenId, uint256 toTokenId, uint256 value)
        external
        view
        returns (uint256)
    {
        return _restrictions(Move(operator, fromTokenId, toTokenId, address(0), value, false, address(0), false), true);
    }

    // ---------------------------------------------------------------- redemption

    /// @notice Burns `value` of `tokenId` because the voucher paid it (settlement or early payment).
    /// @dev REDEEMER_ROLE only (contracts that pay the holder in the same transaction). Refused while the
    ///      ledger or the voucher is paused, for a frozen piece or holder, and beyond the unfrozen value.
    function redeem(uint256 tokenId, uint256 value) external onlyRole(REDEEMER_ROLE) whenNotPaused {
        Token storage token = _requireToken(tokenId);
        if (value == 0) revert NoteZeroValue();
        uint256 slot = token.slot;
        Voucher storage voucher = _vouchers[slot];
        if (voucher.status != VoucherStatus.Active) revert NoteVoucherNotActive(slot, voucher.status);
        if (voucher.paused) revert NoteVoucherPaused(slot);
        if (value % voucher.unit != 0) revert NoteValueNotUnitMultiple(slot, value, voucher.unit);
        if (token.balance < value) revert NoteInsufficientValue(tokenId, token.balance, value);
        if (token.flags & _FROZEN != 0) revert NoteTokenFrozen(tokenId);
        if (_accounts[token.owner].frozen) revert NoteAddressFrozen(token.owner);
        _update(tokenId, 0, address(0), value, 0);
        // unchecked: a slot's redeemed value never exceeds its face value (uint96).
        unchecked {
            voucher.redeemedValue += uint96(value);
        }
        emit NoteRedeemed(slot, tokenId, _msgSender(), value);
        if (voucher.redeemedValue == voucher.faceValue) {
            voucher.status = VoucherStatus.Redeemed;
            emit VoucherRedeemed(slot);
        }
    }

    // ---------------------------------------------------------------- views the settlement contracts read

    /// @notice ERC-3525: the value of `tokenId`.
    function balanceOf(uint256 tokenId) external view returns (uint256) {
        return _requireToken(tokenId).balance;
    }

    /// @notice ERC-3525: the slot (voucher) of `tokenId`.
    function slotOf(uint256 tokenId) external view returns (uint256) {
        return _requireToken(tokenId).slot;
    }

    /// @notice ERC-721: the holder of `tokenId`.
    function ownerOf(uint256 tokenId) external view returns (address) {
        return _requireToken(tokenId).owner;
    }

    /// @notice Whether `tokenId` exists (minted and not burned).
    function exists(uint256 tokenId) external view returns (bool) {
        return _tokens[tokenId].owner != address(0);
    }

    /// @notice The voucher stored as `slot`.
    function voucherOf(uint256 slot) external view returns (Voucher memory) {
        return _requireVoucher(slot);
    }

    /// @notice Number of vouchers issued so far; slots run from 1 to this number.
    function voucherCount() external view returns (uint256) {
        return _voucherCount;
    }

    /// @notice Number of tokens minted so far; token ids run from 1 to this number.
    function tokenCount() external view returns (uint256) {
        return _tokenCount;
    }

    /// @notice ERC-3643's name: whether `account` is frozen.
    function isFrozen(address account) external view returns (bool) {
        return _accounts[account].frozen;
    }

    /// @notice Whether the whole piece `tokenId` is frozen.
    function isTokenFrozen(uint256 tokenId) external view returns (bool) {
        return _requireToken(tokenId).flags & _FROZEN != 0;
    }

    /// @notice Value of `tokenId` frozen by `freezePartialValue`.
    function frozenValueOf(uint256 tokenId) external view returns (uint256) {
        _requireToken(tokenId);
        return _frozenValues[tokenId];
    }

    /// @notice The code half serving the rest of the note's interface.
    function extension() external view returns (address) {
        return _extension;
    }

    /// @inheritdoc IERC165
    function supportsInterface(bytes4 interfaceId) public view override returns (bool) {
        return interfaceId == type(IERC3525).interfaceId || interfaceId == type(IERC721).interfaceId
            || interfaceId == type(IERC3525Metadata).interfaceId || interfaceId == type(IERC721Metadata).interfaceId
            || interfaceId == type(IERC3525SlotApprovable).interfaceId || super.supportsInterface(interfaceId);
    }

    /// @dev Proxy: every other selector runs in ReceivableNoteExtension's code.
    function _implementation() internal view override returns (address) {
        return _extension;
    }
}
