// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Reasons a transfer of note value would be refused, as bit numbers of `checkTransfer`'s answer
/// @notice `checkTransfer` returns the OR of `1 << reason` over every reason that applies (0: the transfer
///         would pass, except that a receiving contract may still reject it in its ERC-3525 hook, which
///         a view cannot run). The service decodes the bits with these numbers; a forge test pins them.
///         | bit | reason                    | bit | reason                 |
///         |   0 | UNKNOWN_TOKEN             |  11 | CAP_EXCEEDED           |
///         |   1 | SENDER_NOT_VERIFIED       |  12 | ROLLING_LIMIT_EXCEEDED |
///         |   2 | SENDER_KYC_EXPIRED        |  13 | LEDGER_PAUSED          |
///         |   3 | SENDER_FROZEN             |  14 | VOUCHER_PAUSED         |
///         |   4 | RECIPIENT_NOT_VERIFIED    |  15 | VOUCHER_MATURED        |
///         |   5 | RECIPIENT_KYC_EXPIRED     |  16 | VOUCHER_NOT_ACTIVE     |
///         |   6 | RECIPIENT_FROZEN          |  17 | SLOT_MISMATCH          |
///         |   7 | TOKEN_FROZEN              |  18 | OPERATOR_NOT_APPROVED  |
///         |   8 | VALUE_ABOVE_UNFROZEN      |  19 | LINEAGE_TOO_DEEP       |
///         |   9 | INSUFFICIENT_VALUE        |  20 | RECIPIENT_ZERO_ADDRESS |
///         |  10 | NOT_UNIT_MULTIPLE         |  21 | SAME_TOKEN             |
///         NOT_VERIFIED and KYC_EXPIRED never apply together: an expired KYC on a verified record is
///         KYC_EXPIRED, anything else unverified is NOT_VERIFIED.
library TransferCheck {
    uint256 internal constant UNKNOWN_TOKEN = 0;
    uint256 internal constant SENDER_NOT_VERIFIED = 1;
    uint256 internal constant SENDER_KYC_EXPIRED = 2;
    uint256 internal constant SENDER_FROZEN = 3;
    uint256 internal constant RECIPIENT_NOT_VERIFIED = 4;
    uint256 internal constant RECIPIENT_KYC_EXPIRED = 5;
    uint256 internal constant RECIPIENT_FROZEN = 6;
    uint256 internal constant TOKEN_FROZEN = 7;
    uint256 internal constant VALUE_ABOVE_UNFROZEN = 8;
    uint256 internal constant INSUFFICIENT_VALUE = 9;
    uint256 internal constant NOT_UNIT_MULTIPLE = 10;
    uint256 internal constant CAP_EXCEEDED = 11;
    uint256 internal constant ROLLING_LIMIT_EXCEEDED = 12;
    uint256 internal constant LEDGER_PAUSED = 13;
    uint256 internal constant VOUCHER_PAUSED = 14;
    uint256 internal constant VOUCHER_MATURED = 15;
    uint256 internal constant VOUCHER_NOT_ACTIVE = 16;
    uint256 internal constant SLOT_MISMATCH = 17;
    uint256 internal constant OPERATOR_NOT_APPROVED = 18;
    uint256 internal constant LINEAGE_TOO_DEEP = 19;
    uint256 internal constant RECIPIENT_ZERO_ADDRESS = 20;
    uint256 internal constant SAME_TOKEN = 21;
}

/// @title Compliance controls of the Cascade note (ERC-3643 style, applied to every semi-fungible piece)
/// @notice Kept by the compliance agent (COMPLIANCE_AGENT_ROLE) and the pauser (PAUSER_ROLE):
///         - a frozen participant (`setAddressFrozen`) sends and receives nothing, whole-token transfers
///           and redemptions included; settlement withholds its payments;
///         - a frozen piece (`setTokenFrozen`) neither sends nor receives value and does not change hands;
///         - frozen value (`freezePartialValue`, a unit multiple) stays in its piece; the rest moves;
///         - `forcedTransfer` moves value of any piece into a new piece for a verified recipient
///           (lineage kept), overriding freezes as T-REX does: frozen value it needs is unfrozen first;
///         - `recoveryAddress` moves every piece of a lost wallet whole to a new wallet, token ids and
///           lineage unchanged, with its address freeze and transfer limits;
///         - a per-transaction cap per voucher and per-participant rolling limits per currency apply to
///           transfers between two holders (splits, merges, whole-token transfers; not to moves between
///           one holder's own pieces, forced transfers or redemptions);
///         - the pauser stops the whole ledger (`pause`) or one voucher (`pauseVoucher`).
///         Every change emits an event naming the agent and a reason code (the audit trail).
/// @dev The vocabulary (events, errors); the functions are declared in ICascadeNote.
interface INoteCompliance {
    /// @notice Emitted after `agent` froze (`isFrozen`) or unfroze `account`, for `reason`.
    event AddressFrozen(address indexed account, bool indexed isFrozen, address indexed agent, bytes32 reason);
    /// @notice Emitted after `agent` froze or unfroze the whole piece `tokenId`, for `reason`.
    event TokenFrozen(uint256 indexed tokenId, bool indexed isFrozen, address indexed agent, bytes32 reason);
    /// @notice Emitted after `agent` froze `value` more of `tokenId`, which now has `frozenValue` frozen.
    event ValueFrozen(
        uint256 indexed tokenId, uint256 value, uint256 frozenValue, address indexed agent, bytes32 reason
    );
    /// @notice Emitted after `agent` (or a forced transfer) unfroze `value` of `tokenId`, leaving `frozenValue`.
    event ValueUnfrozen(
        uint256 indexed tokenId, uint256 value, uint256 frozenValue, address indexed agent, bytes32 reason
    );
    /// @notice Emitted after `agent` moved `value` of `fromTokenId` (held by `from`) into the new piece
    ///         `toTokenId` of `to`, for `reason` (e.g. a court order).
    event ForcedTransfer(
        uint256 indexed fromTokenId,
        uint256 indexed toTokenId,
        address indexed agent,
        address from,
        address to,
        uint256 value,
        bytes32 reason
    );
    /// @notice Emitted after `agent` moved all `tokenCount` pieces of `lostWallet` to `newWallet`, for `reason`.
    event RecoverySuccess(
        address indexed lostWallet, address indexed newWallet, address indexed agent, uint256 tokenCount, bytes32 reason
    );
    /// @notice Emitted after `agent` set the per-transaction cap of voucher `slot` to `cap` (0: none).
    event TransferCapSet(uint256 indexed slot, uint256 cap, address indexed agent, bytes32 reason);
    /// @notice Emitted after `agent` set `account`'s rolling limit in `currency` (both 0: removed).
    event TransferLimitSet(
        address indexed account,
        bytes8 indexed currency,
        uint256 limit,
        uint256 windowSeconds,
        address indexed agent,
        bytes32 reason
    );
    /// @notice Emitted after `account` (the pauser) paused voucher `slot`.
    event VoucherPaused(uint256 indexed slot, address indexed account);
    /// @notice Emitted after `account` (the pauser) resumed voucher `slot`.
    event VoucherUnpaused(uint256 indexed slot, address indexed account);

    /// @dev Every compliance action needs a reason code (the audit trail's "why").
    error NoteMissingReason();
    /// @dev `account` is frozen: it sends and receives nothing.
    error NoteAddressFrozen(address account);
    /// @dev The piece `tokenId` is frozen: no value in or out, and it does not change hands.
    error NoteTokenFrozen(uint256 tokenId);
    /// @dev Only `unfrozenValue` of `tokenId` may move; `needed` was asked (whole-token moves need it all).
    error NoteValueFrozen(uint256 tokenId, uint256 unfrozenValue, uint256 needed);
    /// @dev Freezing `value` more of `tokenId` exceeds its `unfrozenValue`.
    error NoteFreezeExceedsValue(uint256 tokenId, uint256 unfrozenValue, uint256 value);
    /// @dev Unfreezing `value` of `tokenId` exceeds its `frozenValue`.
    error NoteUnfreezeExceedsFrozen(uint256 tokenId, uint256 frozenValue, uint256 value);
    /// @dev `value` exceeds voucher `slot`'s per-transaction cap `cap`.
    error NoteTransferCapExceeded(uint256 slot, uint256 value, uint256 cap);
    /// @dev `account` sent `sentInWindow` of `currency` in its current window; `value` more exceeds `limit`.
    error NoteRollingLimitExceeded(
        address account, bytes8 currency, uint256 sentInWindow, uint256 value, uint256 limit
    );
    /// @dev A cap above uint96.
    error NoteInvalidTransferCap(uint256 cap);
    /// @dev A limit must be positive and fit uint96, its window between 1 hour and 366 days (both 0: remove).
    error NoteInvalidTransferLimit(uint256 limit, uint256 windowSeconds);
    /// @dev `account` has the most rolling limits one account may have (`max` currencies).
    error NoteTooManyTransferLimits(address account, uint256 max);
    /// @dev Voucher `slot` is paused: none of its pieces moves.
    error NoteVoucherPaused(uint256 slot);
    /// @dev Voucher `slot` is not paused.
    error NoteVoucherNotPaused(uint256 slot);
    /// @dev `lostWallet` still holds `remaining` pieces: a recovery must move every piece.
    error NoteRecoveryIncomplete(address lostWallet, uint256 remaining);
    /// @dev A recovery needs a new wallet that holds no piece and has no limits, distinct from the lost one.
    error NoteRecoveryWalletInUse(address newWallet);
}
