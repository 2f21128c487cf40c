// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Context} from "@openzeppelin/contracts/utils/Context.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {IERC721} from "@solvprotocol/erc-3525/IERC721.sol";
import {IERC3525} from "@solvprotocol/erc-3525/IERC3525.sol";
import {IERC3525Receiver} from "@solvprotocol/erc-3525/IERC3525Receiver.sol";
import {IERC721Receiver} from "@solvprotocol/erc-3525/IERC721Receiver.sol";
import {CascadeAccess} from "../access/CascadeAccess.sol";
import {CascadeRoles} from "../access/CascadeRoles.sol";
import {TransferLimitModule} from "../compliance/TransferLimitModule.sol";
import {IIdentityRegistry} from "../interfaces/IIdentityRegistry.sol";
import {INoteCompliance, TransferCheck} from "../interfaces/INoteCompliance.sol";
import {IReceivableNote} from "../interfaces/IReceivableNote.sol";

/// @title The Cascade note's storage, roles and movement core, shared by its two code halves
/// @notice The note is one contract at one address whose code comes in two halves, because together they
///         exceed the EIP-170 code size limit (24,576 bytes) that real networks enforce:
///         - ReceivableNote: value and whole-token transfers, approvals, redemption, the dry run and the
///           views the settlement contracts read (the paths whose gas matters), and the rest by delegation;
///         - ReceivableNoteExtension: issuance, metadata, compliance administration and pauses, run by
///           DELEGATECALL in the note's storage (deployed first, checked by the note's constructor; it
///           refuses direct calls).
///         Both inherit this base and declare no storage of their own, so they share one layout; both run
///         the same `_update` core and the same `_restrictions` rule set.
///
///         Layout: a token fits in two storage words (owner, slot, control flags, depth, approval epoch |
///         value, parent, root); that is what makes a split to a new holder cheap. Controls cost storage
///         only where used: a piece's freezes are two flag bits in its first word (frozen value, when any,
///         in one more word), a participant's freeze and "has limits" flags share the word of its piece
///         count, and the rolling-limit counts live in TransferLimitModule, consulted only for limited
///         senders. Holders act through the trusted ERC-2771 forwarder, so `_msgSender()` is the
///         participant who signed the request, not the relayer.
abstract contract NoteBase is IReceivableNote, INoteCompliance, Pausable, CascadeAccess {
    bytes32 public constant ISSUER_ROLE = CascadeRoles.ISSUER_ROLE;
    bytes32 public constant COMPLIANCE_AGENT_ROLE = CascadeRoles.COMPLIANCE_AGENT_ROLE;
    bytes32 public constant PAUSER_ROLE = CascadeRoles.PAUSER_ROLE;
    bytes32 public constant REDEEMER_ROLE = CascadeRoles.REDEEMER_ROLE;

    /// @dev Piece flags (Token.flags).
    uint8 internal constant _FROZEN = 1;
    uint8 internal constant _HAS_FROZEN_VALUE = 2;

    /// @dev Two storage words per token. uint96 values cover 7.9e28 minor units; uint80 ids and
    ///      uint40 slots outlast any realistic ledger; depth is capped at 65535 splits.
    struct Token {
        address owner;
        uint40 slot;
        uint8 flags;
        uint16 depth;
        uint32 approvalEpoch;
        uint96 balance;
        uint80 parent;
        uint80 root;
    }

    /// @dev One word per account: its piece count and its controls.
    struct Account {
        uint64 tokenCount;
        bool frozen;
        bool limited;
    }

    /// @dev A transfer under screening (`_restrictions` fills `holder`, `authorized` and, for whole-token
    ///      moves, `value`; for merges `to` becomes the target piece's holder).
    struct Move {
        address operator;
        uint256 fromTokenId;
        uint256 toTokenId;
        address to;
        uint256 value;
        bool whole;
        address holder;
        bool authorized;
    }

    IIdentityRegistry internal immutable _registry;
    uint8 internal immutable _valueDecimals;

    // Storage: declared here only (neither half declares any), so both halves share this layout.
    string internal _name;
    string internal _symbol;
    string internal _baseTokenURI;

    uint256 internal _tokenCount;
    uint256 internal _voucherCount;
    /// @dev Set once by the note's constructor (storage, not immutable, so that both halves read the same).
    TransferLimitModule internal _limits;

    mapping(uint256 tokenId => Token) internal _tokens;
    mapping(uint256 slot => Voucher) internal _vouchers;
    mapping(address holder => Account) internal _accounts;
    mapping(uint256 tokenId => address) internal _tokenApprovals;
    mapping(address holder => mapping(address operator => bool)) internal _operatorApprovals;
    mapping(address holder => mapping(uint256 slot => mapping(address operator => bool))) internal _slotApprovals;
    /// @dev Keyed by the token's approval epoch, which moves on every whole-token transfer, so that
    ///      value approvals granted by a former holder lapse without iterating over them.
    mapping(uint256 tokenId => mapping(uint256 epoch => mapping(address operator => uint256))) internal
        _valueAllowances;
    /// @dev Written only for pieces with frozen value (flag _HAS_FROZEN_VALUE).
    mapping(uint256 tokenId => uint256) internal _frozenValues;

    constructor(
        IIdentityRegistry registry_,
        uint8 valueDecimals_,
        address trustedForwarder_,
        address admin,
        uint48 adminTransferDelay
    ) CascadeAccess(trustedForwarder_, admin, adminTransferDelay) {
        if (address(registry_) == address(0)) revert NoteZeroAddress();
        _registry = registry_;
        _valueDecimals = valueDecimals_;
    }

    /// @notice The identity registry consulted on every movement.
    function registry() external view returns (IIdentityRegistry) {
        return _registry;
    }

    /// @notice ERC-3525: decimals of every value (the currencies' minor units).
    function valueDecimals() external view returns (uint8) {
        return _valueDecimals;
    }

    // ---------------------------------------------------------------- guards

    modifier noEther() {
        if (msg.value != 0) revert NoteEtherNotAccepted(msg.value);
        _;
    }

    function _requireToken(uint256 tokenId) internal view returns (Token storage token) {
        token = _tokens[tokenId];
        if (token.owner == address(0)) revert NoteNonexistentToken(tokenId);
    }

    function _requireVoucher(uint256 slot) internal view returns (Voucher storage voucher) {
        voucher = _vouchers[slot];
        if (voucher.status == VoucherStatus.None) revert NoteUnknownVoucher(slot);
    }

    /// @dev Registry and freeze screening of one account, as TransferCheck bits relative to SENDER_*
    ///      (bit 0 not verified, 1 KYC expired, 2 frozen); shift by the party's first bit.
    function _screen(address account) internal view returns (uint256 bits) {
        if (!_registry.isVerified(account)) bits = _registry.isKycExpired(account) ? 2 : 1;
        if (_accounts[account].frozen) bits |= 4;
    }

    /// @dev Reverts with the error of the first bit of `bits` (from `_screen`) set for `account`.
    function _revertScreened(address account, uint256 bits) internal view {
        if (bits & 1 != 0) revert NoteParticipantNotVerified(account);
        if (bits & 2 != 0) revert NoteParticipantKycExpired(account, _registry.identityOf(account).kycExpiresAt);
        if (bits & 4 != 0) revert NoteAddressFrozen(account);
    }

    function _isApprovedOrOwner(address operator, uint256 tokenId, address owner, uint256 slot)
        internal
        view
        returns (bool)
    {
        return operator == owner || _operatorApprovals[owner][operator] || _tokenApprovals[tokenId] == operator
            || _slotApprovals[owner][slot][operator];
    }

    // ---------------------------------------------------------------- the rule set of holder transfers

    /// @dev Every reason `m` would be refused, as TransferCheck bits. The transaction (`_screenMove`) and
    ///      the dry run (`checkTransfer`) both use this; only the dry run evaluates the rolling limit here,
    ///      the transaction counts it (TransferLimitModule.consume) once everything else passed.
    function _restrictions(Move memory m, bool dryRun) internal view returns (uint256 r) {
        if (paused()) r |= 1 << TransferCheck.LEDGER_PAUSED;
        Token storage from = _tokens[m.fromTokenId];
        address holder = from.owner;
        m.holder = holder;
        if (m.toTokenId != 0) {
            if (m.toTokenId == m.fromTokenId) r |= 1 << TransferCheck.SAME_TOKEN;
            Token storage target = _tokens[m.toTokenId];
            m.to = target.owner;
            if (m.to == address(0)) {
                r |= 1 << TransferCheck.UNKNOWN_TOKEN;
            } else {
                if (target.flags & _FROZEN != 0) r |= 1 << TransferCheck.TOKEN_FROZEN;
                if (holder != address(0) && target.slot != from.slot) r |= 1 << TransferCheck.SLOT_MISMATCH;
            }
        } else if (m.to == address(0)) {
            r |= 1 << TransferCheck.RECIPIENT_ZERO_ADDRESS;
        }
        if (m.to != address(0)) r |= _screen(m.to) << TransferCheck.RECIPIENT_NOT_VERIFIED;
        if (holder == address(0)) return r | (1 << TransferCheck.UNKNOWN_TOKEN);
        r |= _screen(holder) << TransferCheck.SENDER_NOT_VERIFIED;
        r |= _pieceRestrictions(m, from, dryRun);
    }

    /// @dev The part of `_restrictions` about the source piece, its voucher and the operator.
    function _pieceRestrictions(Move memory m, Token storage from, bool dryRun) internal view returns (uint256 r) {
        uint256 flags = from.flags;
        if (flags & _FROZEN != 0) r |= 1 << TransferCheck.TOKEN_FROZEN;
        Voucher storage voucher = _vouchers[from.slot];
        if (voucher.status != VoucherStatus.Active) r |= 1 << TransferCheck.VOUCHER_NOT_ACTIVE;
        if (voucher.paused) r |= 1 << TransferCheck.VOUCHER_PAUSED;
        if (block.timestamp >= voucher.maturityAt) r |= 1 << TransferCheck.VOUCHER_MATURED;
        uint256 balance = from.balance;
        if (m.whole) m.value = balance;
        uint256 value = m.value;
        if (value % voucher.unit != 0) r |= 1 << TransferCheck.NOT_UNIT_MULTIPLE;
        if (value > balance) r |= 1 << TransferCheck.INSUFFICIENT_VALUE;
        if (flags & _HAS_FROZEN_VALUE != 0 && (value > balance || balance - value < _frozenValues[m.fromTokenId])) {
            r |= 1 << TransferCheck.VALUE_ABOVE_UNFROZEN;
        }
        // Cap and limits govern payments between holders, not a holder re-arranging its own pieces.
        if (m.to != m.holder && m.to != address(0)) {
            uint256 cap = voucher.transferCap;
            if (cap != 0 && value > cap) r |= 1 << TransferCheck.CAP_EXCEEDED;
            if (
                dryRun && value != 0 && _accounts[m.holder].limited
                    && !_limits.allows(m.holder, voucher.currency, value)
            ) {
                r |= 1 << TransferCheck.ROLLING_LIMIT_EXCEEDED;
            }
        }
        m.authorized = _isApprovedOrOwner(m.operator, m.fromTokenId, m.holder, from.slot);
        if (!m.authorized) {
            uint256 allowed = m.whole ? 0 : _valueAllowances[m.fromTokenId][from.approvalEpoch][m.operator];
            // A spender's zero-value move still needs a grant: otherwise anyone could mint empty pieces.
            if (allowed == 0 || allowed < value) r |= 1 << TransferCheck.OPERATOR_NOT_APPROVED;
        }
        if (m.toTokenId == 0 && !m.whole && from.depth == type(uint16).max) r |= 1 << TransferCheck.LINEAGE_TOO_DEEP;
    }

    /// @dev Screens a holder transfer and reverts with the first refusal's error; then spends the
    ///      operator's value allowance and counts the sender's rolling limit.
    function _screenMove(Move memory m) internal {
        uint256 r = _restrictions(m, false);
        if (r != 0) _revertFor(r, m);
        address holder = m.holder;
        uint256 value = m.value;
        if (!m.authorized && value != 0) _spendAllowance(m.operator, m.fromTokenId, value);
        if (m.to != holder && value != 0 && _accounts[holder].limited) {
            bytes8 currency = _vouchers[_tokens[m.fromTokenId].slot].currency;
            (bool allowed, uint256 sent, uint256 limit) = _limits.consume(holder, currency, value);
            if (!allowed) revert NoteRollingLimitExceeded(holder, currency, sent, value, limit);
        }
    }

    function _spendAllowance(address operator, uint256 tokenId, uint256 value) internal {
        mapping(address => uint256) storage allowances = _valueAllowances[tokenId][_tokens[tokenId].approvalEpoch];
        uint256 current = allowances[operator];
        if (current == type(uint256).max) return;
        // unchecked: `_restrictions` checked current >= value.
        unchecked {
            allowances[operator] = current - value;
            emit IERC3525.ApprovalValue(tokenId, operator, current - value);
        }
    }

    /// @dev The error of the most basic refusal in `r`, with its diagnostics (the failure path only).
    function _revertFor(uint256 r, Move memory m) internal view {
        if (r & (1 << TransferCheck.LEDGER_PAUSED) != 0) _requireNotPaused();
        if (r & (1 << TransferCheck.RECIPIENT_ZERO_ADDRESS) != 0) revert NoteZeroAddress();
        if (r & (1 << TransferCheck.SAME_TOKEN) != 0) revert NoteSameToken(m.fromTokenId);
        if (r & (1 << TransferCheck.UNKNOWN_TOKEN) != 0) {
            revert NoteNonexistentToken(m.holder == address(0) ? m.fromTokenId : m.toTokenId);
        }
        Token storage from = _tokens[m.fromTokenId];
        uint256 slot = from.slot;
        Voucher storage voucher = _vouchers[slot];
        if (r & (1 << TransferCheck.SLOT_MISMATCH) != 0) revert NoteSlotMismatch(slot, _tokens[m.toTokenId].slot);
        if (r & (1 << TransferCheck.VOUCHER_NOT_ACTIVE) != 0) revert NoteVoucherNotActive(slot, voucher.status);
        if (r & (1 << TransferCheck.NOT_UNIT_MULTIPLE) != 0) {
            revert NoteValueNotUnitMultiple(slot, m.value, voucher.unit);
        }
        if (r & (1 << TransferCheck.INSUFFICIENT_VALUE) != 0) {
            revert NoteInsufficientValue(m.fromTokenId, from.balance, m.value);
        }
        if (r & (1 << TransferCheck.VOUCHER_MATURED) != 0) {
            revert NoteVoucherMatured(slot, voucher.maturityAt, block.timestamp);
        }
        if (r & (1 << TransferCheck.VOUCHER_PAUSED) != 0) revert NoteVoucherPaused(slot);
        _revertScreened(m.holder, (r >> TransferCheck.SENDER_NOT_VERIFIED) & 3);
        _revertScreened(m.to, (r >> TransferCheck.RECIPIENT_NOT_VERIFIED) & 3);
        _revertScreened(m.holder, (r >> TransferCheck.SENDER_NOT_VERIFIED) & 4);
        _revertScreened(m.to, (r >> TransferCheck.RECIPIENT_NOT_VERIFIED) & 4);
        if (r & (1 << TransferCheck.TOKEN_FROZEN) != 0) {
            revert NoteTokenFrozen(from.flags & _FROZEN != 0 ? m.fromTokenId : m.toTokenId);
        }
        if (r & (1 << TransferCheck.VALUE_ABOVE_UNFROZEN) != 0) {
            revert NoteValueFrozen(m.fromTokenId, from.balance - _frozenValues[m.fromTokenId], m.value);
        }
        if (r & (1 << TransferCheck.CAP_EXCEEDED) != 0) {
            revert NoteTransferCapExceeded(slot, m.value, voucher.transferCap);
        }
        if (r & (1 << TransferCheck.OPERATOR_NOT_APPROVED) != 0) {
            if (m.whole) revert NoteUnauthorized(m.operator, m.fromTokenId);
            revert NoteInsufficientAllowance(
                m.fromTokenId, m.operator, _valueAllowances[m.fromTokenId][from.approvalEpoch][m.operator], m.value
            );
        }
        revert NoteLineageTooDeep(m.fromTokenId, uint256(from.depth) + 1);
    }

    // ---------------------------------------------------------------- the movement core

    /// @dev The one core every change of value or ownership goes through:
    ///        issuance        _update(0,    0,    holder, face,  slot) mints a root piece holding `value`
    ///        split, forced   _update(from, 0,    to,     value, 0)    mints a child piece of `from` for `to`
    ///        merge           _update(from, to,   0,      value, 0)    moves value between two pieces
    ///        redemption      _update(from, 0,    0,      value, 0)    burns value
    ///        whole piece,
    ///        recovery        _update(id,   id,   to,     0,     0)    hands the piece to `to`
    ///      It guarantees what must hold whoever calls: value leaving a piece never exceeds its unfrozen
    ///      value (forced transfers unfreeze first), and lineage depth fits the token layout. Entry points
    ///      do their screening before and their receiver hooks after.
    function _update(uint256 fromTokenId, uint256 toTokenId, address to, uint256 value, uint256 slot)
        internal
        returns (uint256)
    {
        uint256 parent;
        uint256 root;
        uint256 depth;
        if (fromTokenId != 0) {
            Token storage from = _tokens[fromTokenId];
            if (fromTokenId == toTokenId) {
                _handOver(fromTokenId, from, to);
                return fromTokenId;
            }
            uint256 balance = from.balance;
            if (value > balance) revert NoteInsufficientValue(fromTokenId, balance, value);
            if (from.flags & _HAS_FROZEN_VALUE != 0) {
                uint256 frozen = _frozenValues[fromTokenId];
                if (balance - value < frozen) revert NoteValueFrozen(fromTokenId, balance - frozen, value);
            }
            if (value != 0) {
                // unchecked: value <= balance was just checked.
                unchecked {
                    from.balance = uint96(balance - value);
                }
            }
            slot = from.slot;
            parent = fromTokenId;
            root = from.root;
            depth = uint256(from.depth) + 1;
        }
        if (toTokenId == 0) {
            if (to != address(0)) toTokenId = _mint(to, slot, parent, root, depth, value);
        } else if (value != 0) {
            // unchecked: no piece holds more than its voucher's face value, which fits uint96.
            unchecked {
                _tokens[toTokenId].balance += uint96(value);
            }
        }
        emit IERC3525.TransferValue(fromTokenId, toTokenId, value);
        return toTokenId;
    }

    function _mint(address to, uint256 slot, uint256 parent, uint256 root, uint256 depth, uint256 value)
        internal
        returns (uint256 tokenId)
    {
        if (depth > type(uint16).max) revert NoteLineageTooDeep(parent, depth);
        tokenId = ++_tokenCount;
        // casts: slots and ids are counters far below 2^40 and 2^80; values are checked against uint96 at
        // issuance and never exceed a face value; depth was checked above.
        _tokens[tokenId] = Token({
            owner: to,
            slot: uint40(slot),
            flags: 0,
            depth: uint16(depth),
            approvalEpoch: 0,
            balance: uint96(value),
            parent: uint80(parent),
            root: uint80(parent == 0 ? tokenId : root)
        });
        // unchecked: a holder cannot own more tokens than have ever been minted.
        unchecked {
            _accounts[to].tokenCount += 1;
        }
        emit IERC721.Transfer(address(0), to, tokenId);
        emit IERC3525.SlotChanged(tokenId, 0, slot);
        if (parent != 0) emit NoteSplit(parent, tokenId, root, depth);
    }

    function _handOver(uint256 tokenId, Token storage token, address to) internal {
        address owner = token.owner;
        if (_tokenApprovals[tokenId] != address(0)) delete _tokenApprovals[tokenId];
        // unchecked: the epoch only has to differ from recent ones, so wrapping after 2^32 transfers is
        // harmless; the holder counts stay within the number of minted tokens.
        unchecked {
            token.approvalEpoch += 1;
            _accounts[owner].tokenCount -= 1;
            _accounts[to].tokenCount += 1;
        }
        token.owner = to;
        emit IERC721.Transfer(owner, to, tokenId);
    }

    // ---------------------------------------------------------------- roles, receivers, context

    /// @dev Burning value pays nobody by itself, so only contracts that pay in the same transaction may
    ///      redeem: an externally owned key holding REDEEMER_ROLE could burn any note.
    function _grantRole(bytes32 role, address account) internal override returns (bool) {
        if (role == REDEEMER_ROLE && account.code.length == 0) revert NoteRedeemerNotContract(account);
        return super._grantRole(role, account);
    }

    function _requireAccepted(address to, uint256 fromTokenId, uint256 toTokenId, uint256 value) internal {
        if (!_checkOnERC3525Received(to, fromTokenId, toTokenId, value, "")) revert NoteInvalidReceiver(to);
    }

    function _checkOnERC3525Received(
        address to,
        uint256 fromTokenId,
        uint256 toTokenId,
        uint256 value,
        bytes memory data
    ) private returns (bool) {
        if (to.code.length == 0) return true;
        try IERC165(to).supportsInterface(type(IERC3525Receiver).interfaceId) returns (bool supported) {
            if (!supported) return true;
        } catch {
            return true;
        }
        try IERC3525Receiver(to).onERC3525Received(_msgSender(), fromTokenId, toTokenId, value, data) returns (
            bytes4 retval
        ) {
            return retval == IERC3525Receiver.onERC3525Received.selector;
        } catch {
            return false;
        }
    }

    function _checkOnERC721Received(address from, address to, uint256 tokenId, bytes memory data)
        internal
        returns (bool)
    {
        if (to.code.length == 0) return true;
        try IERC721Receiver(to).onERC721Received(_msgSender(), from, tokenId, data) returns (bytes4 retval) {
            return retval == IERC721Receiver.onERC721Received.selector;
        } catch {
            return false;
        }
    }

    // Pausable also derives from Context, so the compiler needs the choice spelled out: CascadeAccess's.

    function _msgSender() internal view override(Context, CascadeAccess) returns (address) {
        return CascadeAccess._msgSender();
    }

    function _msgData() internal view override(Context, CascadeAccess) returns (bytes calldata) {
        return CascadeAccess._msgData();
    }

    function _contextSuffixLength() internal view override(Context, CascadeAccess) returns (uint256) {
        return CascadeAccess._contextSuffixLength();
    }
}
