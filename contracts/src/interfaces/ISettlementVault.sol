// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Cascade settlement vault: payment of vouchers at maturity
/// @notice The obligor funds a voucher in its currency's cash, at once or in parts, before or after
///         maturity. From maturity on, anyone (the service) pays the holders out in batches with
///         `payout`, or a holder collects with `claim`; each payment burns the paid value on the note,
///         one unit of cash per unit of value.
///
///         When the cash available covers everything still outstanding ("full cover": `available`
///         = cash funded and not yet paid out or withdrawn, `outstanding` = note.outstandingValueOf(slot)),
///         every token is paid its whole value: pay = value.
///
///         Otherwise partial funding is shared pro rata in distribution rounds. A round opens at the
///         first payout or claim after the funding changed (fund or withdrawExcess) or after the admin
///         closed the previous round, snapshotting `available`, `outstanding` and the note's token
///         count. Within a partial round every token that existed when it opened is paid at most once:
///             pay = floor(value * available / outstanding / unit) * unit
///         (whole units, because the note burns unit multiples; never more than the cash left).
///         Tokens created after the round opened (split off after maturity) wait for the next round:
///         their value came out of tokens that either were paid in the round already or keep the
///         share in the vault. Fixing the ratio per round rather than per call keeps batches fair: a
///         token in the tenth batch gets the same share as one in the first (with a per-call snapshot
///         each later batch would get a smaller share, because earlier tokens keep their unpaid
///         remainder). Rounding remainders and unclaimed shares stay in the vault (`available`) for
///         the next round: no minor unit is lost, and once the voucher is fully funded every token
///         is paid in full.
///         Known limit (the note lets value move after maturity): value merged from a paid token into
///         an older unpaid one is paid again in the same partial round; it is capped by the cash left,
///         so it can only take from that voucher's other holders in that round, never from other
///         vouchers, and every unit burned is still paid at par. Freezing value movements of matured
///         vouchers in the note would close it.
interface ISettlementVault {
    /// @notice Lifecycle of a voucher as seen by settlement. With `t` = now and `m` = maturity:
    ///         Active t < m; Matured m <= t < m + grace; Overdue m + grace <= t < m + defaultAfter;
    ///         Defaulted t >= m + defaultAfter; Settled once every unit is redeemed (checked first).
    enum SettlementStatus {
        Active,
        Matured,
        Overdue,
        Defaulted,
        Settled
    }

    /// @notice Settlement accounts of one voucher, in minor units.
    struct SlotAccount {
        address cashToken;
        uint64 round;
        bool roundOpen;
        uint256 funded;
        uint256 paidOut;
        uint256 withdrawn;
        uint256 roundAvailable;
        uint256 roundOutstanding;
        uint256 roundTokenMark;
    }

    /// @notice Emitted after `obligor` paid `amount` of cash into the settlement of voucher `slot`.
    event SettlementFunded(uint256 indexed slot, address indexed obligor, uint256 amount);
    /// @notice Emitted after `holder` was paid `amount` for (and `amount` of value burned from) `tokenId`.
    event SettlementPaid(uint256 indexed slot, uint256 indexed tokenId, address indexed holder, uint256 amount);
    /// @notice Emitted after distribution round `round` of `slot` opened with these snapshots.
    event SettlementRoundOpened(uint256 indexed slot, uint256 indexed round, uint256 available, uint256 outstanding);
    /// @notice Emitted after the admin closed distribution round `round` of `slot` (the next payment opens a new one).
    event SettlementRoundClosed(uint256 indexed slot, uint256 indexed round);
    /// @notice Emitted when a payout passed over `tokenId` because its holder is not verified (frozen).
    event SettlementPaymentWithheld(uint256 indexed slot, uint256 indexed tokenId, address indexed holder);
    /// @notice Emitted after the obligor took back `amount` funded beyond what the voucher still owes.
    event SettlementExcessWithdrawn(uint256 indexed slot, address indexed obligor, uint256 amount);
    /// @notice Emitted after the admin set the grace and default periods (seconds after maturity).
    event SettlementTermsSet(uint256 graceSeconds, uint256 defaultAfterSeconds);

    /// @dev The zero address was given where an account or contract is needed.
    error SettlementZeroAddress();
    /// @dev The grace period must not exceed the default period.
    error SettlementInvalidTerms(uint256 graceSeconds, uint256 defaultAfterSeconds);
    /// @dev No voucher was issued as `slot`.
    error SettlementUnknownVoucher(uint256 slot);
    /// @dev `tokenId` does not exist.
    error SettlementUnknownToken(uint256 tokenId);
    /// @dev `caller` is not the voucher's obligor `obligor`.
    error SettlementCallerNotObligor(address caller, address obligor);
    /// @dev `caller` is not the holder `holder` of `tokenId`.
    error SettlementCallerNotHolder(address caller, uint256 tokenId, address holder);
    /// @dev `holder` is not a verified participant; its claims are frozen.
    error SettlementHolderNotVerified(address holder);
    /// @dev A zero amount was given.
    error SettlementZeroAmount();
    /// @dev The voucher `slot` owes nothing any more (every unit redeemed).
    error SettlementVoucherSettled(uint256 slot);
    /// @dev Funding would make `availableAfter` exceed the `outstanding` value of `slot`.
    error SettlementOverfunded(uint256 slot, uint256 outstanding, uint256 availableAfter);
    /// @dev The voucher matures at `maturityAt`; it is now `nowAt`.
    error SettlementNotMatured(uint256 maturityAt, uint256 nowAt);
    /// @dev Voucher `slot` has no cash available to pay out.
    error SettlementNotFunded(uint256 slot);
    /// @dev `tokenId` belongs to voucher `tokenSlot`, not to `slot`.
    error SettlementSlotMismatch(uint256 tokenId, uint256 tokenSlot, uint256 slot);
    /// @dev `tokenId` was paid in the current round `round` already; wait for more funding.
    error SettlementAlreadyPaidInRound(uint256 tokenId, uint256 round);
    /// @dev `tokenId` was created after the current partial round `round` opened; its value's share is
    ///      in the round already (through the token it came from) or stays for the next round.
    error SettlementTokenNewerThanRound(uint256 tokenId, uint256 round);
    /// @dev Voucher `slot` has no open distribution round.
    error SettlementNoOpenRound(uint256 slot);
    /// @dev `tokenId` (holding `value`) has nothing to collect now.
    error SettlementNothingToClaim(uint256 tokenId, uint256 value);
    /// @dev Voucher `slot` has no funding beyond its outstanding value.
    error SettlementNoExcess(uint256 slot);

    /// @notice Pays `amount` of the voucher's cash into its settlement. Only the voucher's obligor.
    /// @dev The first funding fixes the slot's cash token (the one registered for the currency then).
    ///      Funding may not exceed the value still outstanding. The caller must have approved the vault.
    function fund(uint256 slot, uint256 amount) external;

    /// @notice Pays the holders of `tokenIds` (all of voucher `slot`): in full under full cover, else the
    ///         current round's share.
    /// @dev On or after maturity; anyone may call. Tokens at zero value, already paid in this partial round,
    ///      whose share rounds to zero, or whose holder is not verified (event) are passed over;
    ///      a token of another voucher or an unknown token reverts the call.
    /// @return total cash paid by this call
    function payout(uint256 slot, uint256[] calldata tokenIds) external returns (uint256 total);

    /// @notice The holder of `tokenId` collects its payment under the same rule as `payout`.
    /// @return amount cash paid
    function claim(uint256 tokenId) external returns (uint256 amount);

    /// @notice Returns to the obligor cash funded beyond the outstanding value (e.g. after early
    ///         payments burned value that had been prefunded). Obligor only.
    /// @return amount cash returned
    function withdrawExcess(uint256 slot) external returns (uint256 amount);

    /// @notice Closes the open distribution round of `slot`, so that the next payout or claim opens a
    ///         new one over the cash and value left (e.g. after a round was paid to every token and
    ///         remainders are left while no further funding is coming). DEFAULT_ADMIN_ROLE only.
    function closeRound(uint256 slot) external;

    /// @notice Sets the grace and default periods, in seconds after maturity. DEFAULT_ADMIN_ROLE only.
    function setTerms(uint256 graceSeconds_, uint256 defaultAfterSeconds_) external;

    /// @notice Cash funded for `slot` so far (withdrawn excess not subtracted).
    function funded(uint256 slot) external view returns (uint256);

    /// @notice Cash paid out to holders of `slot` so far.
    function paidOut(uint256 slot) external view returns (uint256);

    /// @notice Cash of `slot` in the vault, funded and neither paid out nor withdrawn.
    function available(uint256 slot) external view returns (uint256);

    /// @notice All settlement accounts of `slot`.
    function accountOf(uint256 slot) external view returns (SlotAccount memory);

    /// @notice What `tokenId` would be paid by a payout or claim now: 0 before maturity, without cash,
    ///         or in a partial round if the token was paid in it already or was created after it opened.
    function quotePayout(uint256 tokenId) external view returns (uint256 amount);

    /// @notice Settlement lifecycle of voucher `slot` now.
    function statusOf(uint256 slot) external view returns (SettlementStatus);

    /// @notice Seconds after maturity during which an unpaid voucher is Matured rather than Overdue.
    function graceSeconds() external view returns (uint256);

    /// @notice Seconds after maturity from which an unpaid voucher is Defaulted.
    function defaultAfterSeconds() external view returns (uint256);
}
