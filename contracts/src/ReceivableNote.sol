// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {Context} from "@openzeppelin/contracts/utils/Context.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";
import {ERC2771Context} from "@openzeppelin/contracts/metatx/ERC2771Context.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {IERC721} from "@solvprotocol/erc-3525/IERC721.sol";
import {IERC3525} from "@solvprotocol/erc-3525/IERC3525.sol";
import {IERC721Metadata} from "@solvprotocol/erc-3525/extensions/IERC721Metadata.sol";
import {IERC3525Metadata} from "@solvprotocol/erc-3525/extensions/IERC3525Metadata.sol";
import {IERC3525Receiver} from "@solvprotocol/erc-3525/IERC3525Receiver.sol";
import {IERC721Receiver} from "@solvprotocol/erc-3525/IERC721Receiver.sol";
import {IParticipantRegistry} from "./interfaces/IParticipantRegistry.sol";
import {IReceivableNote} from "./interfaces/IReceivableNote.sol";

/// @title Cascade receivable note: ERC-3525 semi-fungible tokens with on-chain lineage
/// @notice Written from scratch rather than on the reference implementation so that a token fits in
///         two storage words (owner, slot, depth, approval epoch | value, parent, root); that is what
///         makes a split to a new holder cheap. Holders act through the trusted ERC-2771 forwarder, so
///         `_msgSender()` is the participant who signed the request, not the relayer.
contract ReceivableNote is IReceivableNote, IERC3525Metadata, AccessControl, Pausable, ERC2771Context {
    bytes32 public constant ISSUER_ROLE = keccak256("ISSUER_ROLE");
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");
    bytes32 public constant REDEEMER_ROLE = keccak256("REDEEMER_ROLE");

    /// @dev Two storage words per token. uint96 values cover 7.9e28 minor units; uint80 ids and
    ///      uint48 slots outlast any realistic ledger; depth is capped at 65535 splits.
    struct Token {
        address owner;
        uint48 slot;
        uint16 depth;
        uint32 approvalEpoch;
        uint96 balance;
        uint80 parent;
        uint80 root;
    }

    IParticipantRegistry private immutable _registry;
    uint8 private immutable _valueDecimals;
    string private _name;
    string private _symbol;
    string private _baseTokenURI;

    uint256 private _tokenCount;
    uint256 private _voucherCount;

    mapping(uint256 tokenId => Token) private _tokens;
    mapping(uint256 slot => Voucher) private _vouchers;
    mapping(address holder => uint256) private _tokenBalances;
    mapping(uint256 tokenId => address) private _tokenApprovals;
    mapping(address holder => mapping(address operator => bool)) private _operatorApprovals;
    /// @dev Keyed by the token's approval epoch, which moves on every whole-token transfer, so that
    ///      value approvals granted by a former holder lapse without iterating over them.
    mapping(uint256 tokenId => mapping(uint256 epoch => mapping(address operator => uint256))) private _valueAllowances;

    constructor(
        string memory name_,
        string memory symbol_,
        uint8 valueDecimals_,
        IParticipantRegistry registry_,
        address trustedForwarder_,
        address admin
    ) ERC2771Context(trustedForwarder_) {
        if (admin == address(0) || address(registry_) == address(0)) revert NoteZeroAddress();
        _name = name_;
        _symbol = symbol_;
        _valueDecimals = valueDecimals_;
        _registry = registry_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(ISSUER_ROLE, admin);
        _grantRole(PAUSER_ROLE, admin);
    }

    // ---------------------------------------------------------------- modifiers and guards

    modifier noEther() {
        if (msg.value != 0) revert NoteEtherNotAccepted(msg.value);
        _;
    }

    function _requireVerified(address account) private view {
        if (!_registry.isVerified(account)) revert NoteParticipantNotVerified(account);
    }

    function _requireToken(uint256 tokenId) private view returns (Token storage token) {
        token = _tokens[tokenId];
        if (token.owner == address(0)) revert NoteNonexistentToken(tokenId);
    }

    function _requireActiveVoucher(uint256 slot) private view returns (Voucher storage voucher) {
        voucher = _vouchers[slot];
        if (voucher.status != VoucherStatus.Active) revert NoteVoucherNotActive(slot, voucher.status);
    }

    function _requireMovableValue(Token storage token, uint256 tokenId, uint256 value)
        private
        view
        returns (Voucher storage voucher)
    {
        if (value == 0) revert NoteZeroValue();
        voucher = _requireActiveVoucher(token.slot);
        if (value % voucher.unit != 0) revert NoteValueNotUnitMultiple(token.slot, value, voucher.unit);
        if (token.balance < value) revert NoteInsufficientValue(tokenId, token.balance, value);
    }

    /// @dev From maturity on, pieces stop moving and wait to be paid: settlement pays each piece as it
    ///      stands, so value shuffled between pieces mid-settlement could be paid twice.
    function _requireNotMatured(uint256 slot, Voucher storage voucher) private view {
        if (block.timestamp >= voucher.maturityAt) revert NoteVoucherMatured(slot, voucher.maturityAt, block.timestamp);
    }

    function _requireTransferableValue(Token storage token, uint256 tokenId, uint256 value) private view {
        _requireNotMatured(token.slot, _requireMovableValue(token, tokenId, value));
    }

    function _isApprovedOrOwner(address operator, uint256 tokenId, address owner) private view returns (bool) {
        return operator == owner || _operatorApprovals[owner][operator] || _tokenApprovals[tokenId] == operator;
    }

    /// @dev Holders, whole-token approvals and operators move any value; others spend a value allowance.
    function _spendAllowance(address operator, uint256 tokenId, Token storage token, uint256 value) private {
        if (_isApprovedOrOwner(operator, tokenId, token.owner)) return;
        mapping(address => uint256) storage allowances = _valueAllowances[tokenId][token.approvalEpoch];
        uint256 current = allowances[operator];
        if (current == type(uint256).max) return;
        if (current < value) revert NoteInsufficientAllowance(tokenId, operator, current, value);
        // unchecked: current >= value was just checked.
        unchecked {
            allowances[operator] = current - value;
        }
        emit ApprovalValue(tokenId, operator, current - value);
    }

    // ---------------------------------------------------------------- issuance and redemption

    /// @inheritdoc IReceivableNote
    function issue(
        address obligor,
        address holder,
        bytes8 currency,
        uint256 faceValue,
        uint256 unit,
        uint256 maturityAt,
        bytes32 documentHash
    ) external onlyRole(ISSUER_ROLE) whenNotPaused returns (uint256 slot, uint256 tokenId) {
        if (unit == 0 || unit > type(uint96).max) revert NoteInvalidUnit(unit);
        if (faceValue == 0 || faceValue > type(uint96).max || faceValue % unit != 0) {
            revert NoteInvalidFaceValue(faceValue, unit);
        }
        if (maturityAt <= block.timestamp) revert NoteMaturityInPast(maturityAt, block.timestamp);
        if (maturityAt > type(uint40).max) revert NoteMaturityTooFar(maturityAt, type(uint40).max);
        _requireVerified(obligor);
        _requireVerified(holder);

        slot = ++_voucherCount;
        tokenId = ++_tokenCount;
        _vouchers[slot] = Voucher({
            obligor: obligor,
            issuedAt: uint40(block.timestamp),
            maturityAt: uint40(maturityAt),
            status: VoucherStatus.Active,
            faceValue: uint96(faceValue),
            unit: uint96(unit),
            currency: currency,
            redeemedValue: 0,
            documentHash: documentHash
        });
        _tokens[tokenId] = Token({
            owner: holder,
            slot: uint48(slot),
            depth: 0,
            approvalEpoch: 0,
            balance: uint96(faceValue),
            parent: 0,
            root: uint80(tokenId)
        });
        // unchecked: a holder cannot own more tokens than have ever been minted.
        unchecked {
            _tokenBalances[holder] += 1;
        }
        emit Transfer(address(0), holder, tokenId);
        emit SlotChanged(tokenId, 0, slot);
        emit TransferValue(0, tokenId, faceValue);
        emit VoucherIssued(slot, obligor, holder, tokenId, currency, faceValue, unit, maturityAt, documentHash);
    }

    /// @inheritdoc IReceivableNote
    function redeem(uint256 tokenId, uint256 value) external onlyRole(REDEEMER_ROLE) whenNotPaused {
        Token storage token = _requireToken(tokenId);
        _requireMovableValue(token, tokenId, value);
        uint256 slot = token.slot;
        Voucher storage voucher = _vouchers[slot];
        // unchecked: balance >= value was checked, and a slot's redeemed value never exceeds its face value.
        unchecked {
            token.balance -= uint96(value);
            voucher.redeemedValue += uint96(value);
        }
        emit TransferValue(tokenId, 0, value);
        emit NoteRedeemed(slot, tokenId, _msgSender(), value);
        if (voucher.redeemedValue == voucher.faceValue) {
            voucher.status = VoucherStatus.Redeemed;
            emit VoucherRedeemed(slot);
        }
    }

    // ---------------------------------------------------------------- ERC-3525 value transfers

    /// @inheritdoc IERC3525
    function transferFrom(uint256 fromTokenId, address to, uint256 value)
        external
        payable
        noEther
        whenNotPaused
        returns (uint256 newTokenId)
    {
        if (to == address(0)) revert NoteZeroAddress();
        Token storage from = _requireToken(fromTokenId);
        address holder = from.owner;
        if (to == holder) revert NoteSelfTransfer(to);
        _requireTransferableValue(from, fromTokenId, value);
        _requireVerified(holder);
        _requireVerified(to);
        _spendAllowance(_msgSender(), fromTokenId, from, value);

        uint256 depth = uint256(from.depth) + 1;
        if (depth > type(uint16).max) revert NoteLineageTooDeep(fromTokenId, depth);
        uint256 slot = from.slot;
        uint256 root = from.root;
        newTokenId = ++_tokenCount;
        // unchecked: balance >= value was checked above.
        unchecked {
            from.balance -= uint96(value);
            _tokenBalances[to] += 1;
        }
        _tokens[newTokenId] = Token({
            owner: to,
            slot: uint48(slot),
            depth: uint16(depth),
            approvalEpoch: 0,
            balance: uint96(value),
            parent: uint80(fromTokenId),
            root: uint80(root)
        });
        emit Transfer(address(0), to, newTokenId);
        emit SlotChanged(newTokenId, 0, slot);
        emit NoteSplit(fromTokenId, newTokenId, root, depth);
        emit TransferValue(fromTokenId, newTokenId, value);
        if (!_checkOnERC3525Received(to, fromTokenId, newTokenId, value, "")) revert NoteInvalidReceiver(to);
    }

    /// @inheritdoc IERC3525
    function transferFrom(uint256 fromTokenId, uint256 toTokenId, uint256 value)
        external
        payable
        noEther
        whenNotPaused
    {
        if (fromTokenId == toTokenId) revert NoteSameToken(fromTokenId);
        Token storage from = _requireToken(fromTokenId);
        Token storage to = _requireToken(toTokenId);
        if (from.slot != to.slot) revert NoteSlotMismatch(from.slot, to.slot);
        _requireTransferableValue(from, fromTokenId, value);
        address receiver = to.owner;
        _requireVerified(from.owner);
        _requireVerified(receiver);
        _spendAllowance(_msgSender(), fromTokenId, from, value);
        // unchecked: balance >= value was checked, and no token holds more than its slot's face value.
        unchecked {
            from.balance -= uint96(value);
            to.balance += uint96(value);
        }
        emit TransferValue(fromTokenId, toTokenId, value);
        if (!_checkOnERC3525Received(receiver, fromTokenId, toTokenId, value, "")) revert NoteInvalidReceiver(receiver);
    }

    /// @inheritdoc IERC3525
    function approve(uint256 tokenId, address operator, uint256 value) external payable noEther {
        Token storage token = _requireToken(tokenId);
        address owner = token.owner;
        if (operator == owner) revert NoteApprovalToHolder(owner);
        address caller = _msgSender();
        // ERC-3525 lets the token's approved address grant value allowances too, unlike ERC-721 approve.
        if (!_isApprovedOrOwner(caller, tokenId, owner)) revert NoteUnauthorized(caller, tokenId);
        _valueAllowances[tokenId][token.approvalEpoch][operator] = value;
        emit ApprovalValue(tokenId, operator, value);
    }

    /// @inheritdoc IERC3525
    function allowance(uint256 tokenId, address operator) external view returns (uint256) {
        Token storage token = _requireToken(tokenId);
        return _valueAllowances[tokenId][token.approvalEpoch][operator];
    }

    /// @inheritdoc IERC3525
    function balanceOf(uint256 tokenId) external view returns (uint256) {
        return _requireToken(tokenId).balance;
    }

    /// @inheritdoc IERC3525
    function slotOf(uint256 tokenId) external view returns (uint256) {
        return _requireToken(tokenId).slot;
    }

    /// @inheritdoc IERC3525
    function valueDecimals() external view returns (uint8) {
        return _valueDecimals;
    }

    // ---------------------------------------------------------------- ERC-721 whole-token transfers

    /// @inheritdoc IERC721
    function transferFrom(address from, address to, uint256 tokenId) external payable noEther {
        _transferToken(from, to, tokenId);
    }

    /// @inheritdoc IERC721
    function safeTransferFrom(address from, address to, uint256 tokenId) external payable noEther {
        _safeTransferToken(from, to, tokenId, "");
    }

    /// @inheritdoc IERC721
    function safeTransferFrom(address from, address to, uint256 tokenId, bytes calldata data)
        external
        payable
        noEther
    {
        _safeTransferToken(from, to, tokenId, data);
    }

    function _safeTransferToken(address from, address to, uint256 tokenId, bytes memory data) private {
        _transferToken(from, to, tokenId);
        if (!_checkOnERC721Received(from, to, tokenId, data)) revert NoteInvalidReceiver(to);
    }

    function _transferToken(address from, address to, uint256 tokenId) private whenNotPaused {
        if (to == address(0)) revert NoteZeroAddress();
        Token storage token = _requireToken(tokenId);
        address owner = token.owner;
        if (from != owner) revert NoteWrongHolder(from, owner);
        if (to == owner) revert NoteSelfTransfer(to);
        _requireNotMatured(token.slot, _requireActiveVoucher(token.slot));
        address caller = _msgSender();
        if (!_isApprovedOrOwner(caller, tokenId, owner)) revert NoteUnauthorized(caller, tokenId);
        _requireVerified(owner);
        _requireVerified(to);

        if (_tokenApprovals[tokenId] != address(0)) delete _tokenApprovals[tokenId];
        // unchecked: the epoch only has to differ from recent ones, so wrapping after 2^32 transfers is harmless;
        // the holder counts stay within the number of minted tokens.
        unchecked {
            token.approvalEpoch += 1;
            _tokenBalances[owner] -= 1;
            _tokenBalances[to] += 1;
        }
        token.owner = to;
        emit Transfer(owner, to, tokenId);
    }

    /// @inheritdoc IERC721
    function approve(address approved, uint256 tokenId) external payable noEther {
        address owner = _requireToken(tokenId).owner;
        if (approved == owner) revert NoteApprovalToHolder(owner);
        address caller = _msgSender();
        if (caller != owner && !_operatorApprovals[owner][caller]) revert NoteUnauthorized(caller, tokenId);
        _tokenApprovals[tokenId] = approved;
        emit Approval(owner, approved, tokenId);
    }

    /// @inheritdoc IERC721
    function setApprovalForAll(address operator, bool approved) external {
        address caller = _msgSender();
        if (operator == caller) revert NoteApprovalToHolder(caller);
        _operatorApprovals[caller][operator] = approved;
        emit ApprovalForAll(caller, operator, approved);
    }

    /// @inheritdoc IERC721
    function getApproved(uint256 tokenId) external view returns (address) {
        _requireToken(tokenId);
        return _tokenApprovals[tokenId];
    }

    /// @inheritdoc IERC721
    function isApprovedForAll(address owner, address operator) external view returns (bool) {
        return _operatorApprovals[owner][operator];
    }

    /// @inheritdoc IERC721
    function balanceOf(address owner) external view returns (uint256) {
        if (owner == address(0)) revert NoteZeroAddress();
        return _tokenBalances[owner];
    }

    /// @inheritdoc IERC721
    function ownerOf(uint256 tokenId) external view returns (address) {
        return _requireToken(tokenId).owner;
    }

    // ---------------------------------------------------------------- metadata and views

    /// @inheritdoc IERC721Metadata
    function name() external view returns (string memory) {
        return _name;
    }

    /// @inheritdoc IERC721Metadata
    function symbol() external view returns (string memory) {
        return _symbol;
    }

    /// @inheritdoc IERC721Metadata
    function tokenURI(uint256 tokenId) external view returns (string memory) {
        _requireToken(tokenId);
        return _uri("token/", tokenId);
    }

    /// @inheritdoc IERC3525Metadata
    function slotURI(uint256 slot) external view returns (string memory) {
        if (_vouchers[slot].status == VoucherStatus.None) revert NoteUnknownVoucher(slot);
        return _uri("voucher/", slot);
    }

    /// @inheritdoc IERC3525Metadata
    function contractURI() external view returns (string memory) {
        return _baseTokenURI;
    }

    /// @notice Sets the base of token, slot and contract URIs (the service's public metadata endpoint).
    function setBaseURI(string calldata baseURI) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _baseTokenURI = baseURI;
    }

    function _uri(string memory kind, uint256 id) private view returns (string memory) {
        if (bytes(_baseTokenURI).length == 0) return "";
        return string.concat(_baseTokenURI, kind, Strings.toString(id));
    }

    /// @inheritdoc IReceivableNote
    function voucherOf(uint256 slot) external view returns (Voucher memory voucher) {
        voucher = _vouchers[slot];
        if (voucher.status == VoucherStatus.None) revert NoteUnknownVoucher(slot);
    }

    /// @inheritdoc IReceivableNote
    function outstandingValueOf(uint256 slot) external view returns (uint256) {
        Voucher storage voucher = _vouchers[slot];
        if (voucher.status == VoucherStatus.None) revert NoteUnknownVoucher(slot);
        return voucher.faceValue - voucher.redeemedValue;
    }

    /// @inheritdoc IReceivableNote
    function lineageOf(uint256 tokenId) external view returns (uint256 parentTokenId, uint256 rootTokenId, uint256 depth) {
        Token storage token = _requireToken(tokenId);
        return (token.parent, token.root, token.depth);
    }

    /// @inheritdoc IReceivableNote
    function exists(uint256 tokenId) external view returns (bool) {
        return _tokens[tokenId].owner != address(0);
    }

    /// @inheritdoc IReceivableNote
    function voucherCount() external view returns (uint256) {
        return _voucherCount;
    }

    /// @inheritdoc IReceivableNote
    function tokenCount() external view returns (uint256) {
        return _tokenCount;
    }

    /// @notice The participant registry consulted on every movement.
    function registry() external view returns (IParticipantRegistry) {
        return _registry;
    }

    // ---------------------------------------------------------------- pause

    /// @notice Stops issuance, transfers and redemption. Pauser role only.
    function pause() external onlyRole(PAUSER_ROLE) {
        _pause();
    }

    /// @notice Resumes a paused ledger. Pauser role only.
    function unpause() external onlyRole(PAUSER_ROLE) {
        _unpause();
    }

    // ---------------------------------------------------------------- receivers and introspection

    function _checkOnERC3525Received(address to, uint256 fromTokenId, uint256 toTokenId, uint256 value, bytes memory data)
        private
        returns (bool)
    {
        if (to.code.length == 0) return true;
        try IERC165(to).supportsInterface(type(IERC3525Receiver).interfaceId) returns (bool supported) {
            if (!supported) return true;
        } catch {
            return true;
        }
        try IERC3525Receiver(to).onERC3525Received(_msgSender(), fromTokenId, toTokenId, value, data) returns (bytes4 retval) {
            return retval == IERC3525Receiver.onERC3525Received.selector;
        } catch {
            return false;
        }
    }

    function _checkOnERC721Received(address from, address to, uint256 tokenId, bytes memory data) private returns (bool) {
        if (to.code.length == 0) return true;
        try IERC721Receiver(to).onERC721Received(_msgSender(), from, tokenId, data) returns (bytes4 retval) {
            return retval == IERC721Receiver.onERC721Received.selector;
        } catch {
            return false;
        }
    }

    /// @inheritdoc IERC165
    function supportsInterface(bytes4 interfaceId) public view override(AccessControl, IERC165) returns (bool) {
        return interfaceId == type(IERC3525).interfaceId || interfaceId == type(IERC721).interfaceId
            || interfaceId == type(IERC3525Metadata).interfaceId || interfaceId == type(IERC721Metadata).interfaceId
            || super.supportsInterface(interfaceId);
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
