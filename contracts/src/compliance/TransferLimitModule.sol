// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {INoteCompliance} from "../interfaces/INoteCompliance.sol";

/// @title Rolling transfer limits of the note's participants, counted on chain
/// @notice A module of ReceivableNote (which deploys it in its constructor and is its only writer), kept
///         apart so that the note stays under the EIP-170 code size limit. The note consults it only for
///         a sender it has flagged as limited, so unlimited participants pay nothing for it.
///
///         Counting: a rule (limit L, window W) splits time into buckets of b = ceil(W / 4) seconds
///         (bucket k covers [k*b, (k+1)*b)). A send of v at time t in bucket k is allowed only if
///             sent(k-4 .. k) + v <= L,
///         the sum over the five buckets k-4..k, which cover [(k-4)*b, t] ⊇ [t - W, t] because 4b >= W.
///         Hence for ANY window [s, s + W): with t the time of its last send, every send in it lies in
///         [t - W, t] and was counted when that last send was allowed, so the window's total <= L.
///         The price of the buckets: a send may be refused up to one bucket (W/4) earlier than an exact
///         count would refuse it. Five buckets live in a ring (bucket k in slot k % 5) of three words.
contract TransferLimitModule {
    /// @notice Buckets per window.
    uint256 public constant BUCKETS_PER_WINDOW = 4;
    /// @notice Most currencies one account may have a limit in (bounds the work of a recovery).
    uint256 public constant MAX_LIMITS_PER_ACCOUNT = 8;
    uint256 private constant _RING = BUCKETS_PER_WINDOW + 1;

    /// @dev One word per (account, currency).
    struct Rule {
        uint96 limit;
        uint32 windowSeconds;
    }

    /// @dev The only account that may change the counts: the note that created the module.
    address public immutable note;

    mapping(address account => mapping(bytes8 currency => Rule)) private _rules;
    /// @dev Ring entries: bucket index (bits 96..127) | amount sent in that bucket (bits 0..95).
    mapping(address account => mapping(bytes8 currency => uint128[_RING])) private _buckets;
    mapping(address account => bytes8[]) private _currencies;

    /// @dev `caller` is not the note.
    error LimitModuleCallerNotNote(address caller);

    modifier onlyNote() {
        if (msg.sender != note) revert LimitModuleCallerNotNote(msg.sender);
        _;
    }

    constructor() {
        note = msg.sender;
    }

    /// @notice Sets (`windowSeconds` > 0) or removes (0) `account`'s rule in `currency`.
    /// @dev A changed window carries what the old window counted into the current bucket, as if sent now:
    ///      nothing counted is forgotten. The note validates the figures.
    /// @return limited whether `account` has any rule left
    function setRule(address account, bytes8 currency, uint96 limit, uint32 windowSeconds)
        external
        onlyNote
        returns (bool limited)
    {
        Rule storage rule = _rules[account][currency];
        bytes8[] storage currencies = _currencies[account];
        uint32 previousWindow = rule.windowSeconds;
        if (windowSeconds == 0) {
            if (previousWindow != 0) {
                delete _rules[account][currency];
                delete _buckets[account][currency];
                _removeCurrency(currencies, currency);
            }
            return currencies.length != 0;
        }
        if (previousWindow == 0) {
            if (currencies.length >= MAX_LIMITS_PER_ACCOUNT) {
                revert INoteCompliance.NoteTooManyTransferLimits(account, MAX_LIMITS_PER_ACCOUNT);
            }
            currencies.push(currency);
        } else if (previousWindow != windowSeconds) {
            uint128[_RING] storage ring = _buckets[account][currency];
            uint256 carried = _sent(ring, _bucket(previousWindow));
            delete _buckets[account][currency];
            uint256 k = _bucket(windowSeconds);
            // cast: what was counted never exceeded a uint96 limit.
            if (carried != 0) ring[k % _RING] = uint128((k << 96) | carried);
        }
        rule.limit = limit;
        rule.windowSeconds = windowSeconds;
        return true;
    }

    /// @notice Counts `value` sent by `account` in `currency` now if its rule allows it.
    /// @return allowed false (nothing counted) if the send would exceed the limit
    /// @return sentInWindow what the window counted before this send
    /// @return limit the rule's limit (0 without a rule, then always allowed)
    function consume(address account, bytes8 currency, uint256 value)
        external
        onlyNote
        returns (bool allowed, uint256 sentInWindow, uint256 limit)
    {
        Rule memory rule = _rules[account][currency];
        if (rule.windowSeconds == 0) return (true, 0, 0);
        uint128[_RING] storage ring = _buckets[account][currency];
        uint256 k = _bucket(rule.windowSeconds);
        sentInWindow = _sent(ring, k);
        limit = rule.limit;
        if (value > limit || sentInWindow > limit - value) return (false, sentInWindow, limit);
        uint256 slot = k % _RING;
        uint128 entry = ring[slot];
        // unchecked: sentInWindow + value <= limit < 2^96 was just checked, and k < 2^32 (see _bucket).
        unchecked {
            uint256 amount = (entry >> 96) == k ? uint96(entry) + value : value;
            ring[slot] = uint128((k << 96) | amount);
        }
        return (true, sentInWindow, limit);
    }

    /// @notice Moves every rule of `from`, with its counts, to `to` (which has none): a recovered wallet
    ///         keeps its limits and what it already sent.
    function moveRules(address from, address to) external onlyNote {
        bytes8[] storage currencies = _currencies[from];
        for (uint256 i; i < currencies.length; ++i) {
            bytes8 currency = currencies[i];
            _rules[to][currency] = _rules[from][currency];
            _buckets[to][currency] = _buckets[from][currency];
            delete _rules[from][currency];
            delete _buckets[from][currency];
        }
        _currencies[to] = currencies;
        delete _currencies[from];
    }

    /// @notice `account`'s rule in `currency` and what the current window counts (zeros without a rule).
    function usageOf(address account, bytes8 currency)
        external
        view
        returns (uint256 limit, uint256 windowSeconds, uint256 sentInWindow)
    {
        Rule memory rule = _rules[account][currency];
        if (rule.windowSeconds == 0) return (0, 0, 0);
        return (rule.limit, rule.windowSeconds, _sent(_buckets[account][currency], _bucket(rule.windowSeconds)));
    }

    /// @notice Whether `account` may send `value` more of `currency` now.
    function allows(address account, bytes8 currency, uint256 value) external view returns (bool) {
        Rule memory rule = _rules[account][currency];
        if (rule.windowSeconds == 0) return true;
        uint256 sent = _sent(_buckets[account][currency], _bucket(rule.windowSeconds));
        return value <= rule.limit && sent <= rule.limit - value;
    }

    /// @notice The currencies `account` has rules in.
    function currenciesOf(address account) external view returns (bytes8[] memory) {
        return _currencies[account];
    }

    /// @dev The index of the current bucket: below 2^32 while block times fit uint32 * 900 (windows are
    ///      at least an hour, so buckets at least 900 seconds): far beyond any realistic horizon.
    function _bucket(uint32 windowSeconds) private view returns (uint256) {
        return block.timestamp / ((uint256(windowSeconds) + BUCKETS_PER_WINDOW - 1) / BUCKETS_PER_WINDOW);
    }

    /// @dev Sum of the ring's buckets k-4..k (entries of older buckets are stale and skipped).
    function _sent(uint128[_RING] storage ring, uint256 k) private view returns (uint256 sum) {
        uint256 oldest = k >= BUCKETS_PER_WINDOW ? k - BUCKETS_PER_WINDOW : 0;
        for (uint256 i; i < _RING; ++i) {
            uint128 entry = ring[i];
            uint256 index = entry >> 96;
            if (index >= oldest && index <= k) sum += uint96(entry);
        }
    }

    function _removeCurrency(bytes8[] storage currencies, bytes8 currency) private {
        uint256 last = currencies.length - 1;
        for (uint256 i; i <= last; ++i) {
            if (currencies[i] == currency) {
                currencies[i] = currencies[last];
                currencies.pop();
                return;
            }
        }
    }
}
