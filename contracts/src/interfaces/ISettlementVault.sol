// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Cascade settlement vault: payment of vouchers at maturity
/// @notice The obligor funds a voucher in its settlement currency's cash, at once or in parts, before or
///         after maturity. From maturity on, anyone (the service) pays the holders out in batches with
///         `payout`, or a holder collects with `claim`; each payment burns the paid value on the note and
///         pays its cash equivalent: one unit of cash per unit of value for a domestic voucher, the value
///         converted at the distribution round's rate for a cross-border one (below).
///
///         Rate. Every distribution round snapshots one rate R (answer / 10**decimals settlement minor
///         units per value minor unit, from the FX rate directory, refused if stale or not positive; the
///         identity 1 for a domestic voucher) when it opens, so the round pays every piece at one rate.
///         Payments record R, its round id and its time. Cash for value v is floor(v * R) (rounded down,
///         in favour of the escrow, by less than one cash minor unit per payment: the vault never pays
///         more than it holds).
///
///         Full cover: the cash available covers the outstanding value converted at R, rounded up:
///             available >= ceil(outstanding * R),
///         where `available` = cash funded and not yet paid out or withdrawn and `outstanding` =
///         note.outstandingValueOf(slot). Then every piece is paid its whole (unfrozen) value.
///
///         Otherwise partial funding is shared pro rata in distribution rounds. A round opens at the
///         first payout or claim after the funding changed (fund or withdrawExcess) or after the admin
///         closed the previous round, snapshotting `available`, `outstanding`, ceil(outstanding * R),
///         R and the note's token count. Within a partial round every token that existed when it opened
///         is paid at most once; the value it is paid for is
///             v = floor(value * available / ceil(outstanding * R) / unit) * unit
///         (whole units, because the note burns unit multiples), at most its unfrozen value and at most
///         what the cash left buys, and it receives floor(v * R). The sum over the round's pieces is at
///         most `available`.
///         Tokens created after the round opened (split off after maturity) wait for the next round:
///         their value came out of tokens that either were paid in the round already or keep the
///         share in the vault. Fixing the ratio and the rate per round rather than per call keeps
///         batches fair: a token in the tenth batch gets the same share as one in the first. Rounding
///         remainders and unclaimed shares stay in the vault (`available`) for the next round: once the
///         voucher is fully funded every token is paid in full, and once every piece is paid what is
///         left is the obligor's to withdraw.
///         Withheld: a holder that is not verified (or whose KYC expired), a frozen holder and a frozen
///         piece (or one whose value is all frozen) are passed over with SettlementPaymentWithheld; a
///         piece with part of its value frozen is paid for the unfrozen part only.
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

    /// @notice Why a payout passed over a piece.
    enum WithholdingReason {
        None,
        HolderNotVerified,
        HolderFrozen,
        PieceFrozen
    }

    /// @notice Settlement accounts of one voucher. Cash figures are settlement-currency minor units,
    ///         `roundOutstanding` is value (denomination minor units) and `roundOutstandingCash` its
    ///         conversion at the round's rate (`roundRate / 10**roundRateDecimals`), rounded up.
    struct SlotAccount {
        address cashToken;
        uint64 round;
        bool roundOpen;
        uint256 funded;
        uint256 paidOut;
        uint256 withdrawn;
        uint256 roundAvailable;
        uint256 roundOutstanding;
        uint256 roundOutstandingCash;
        uint256 roundTokenMark;
        uint256 roundRate;
        uint8 roundRateDecimals;
        uint80 roundRateId;
        uint256 roundRateUpdatedAt;
    }

    /// @notice Emitted after `obligor` paid `amount` of cash into the settlement of voucher `slot`.
    event SettlementFunded(uint256 indexed slot, address indexed obligor, uint256 amount);
    /// @notice Emitted after `holder` was paid `amount` of cash for `value` burned from `tokenId`, at the
    ///         round's rate `fxRate / 10**fxRateDecimals` (feed round `fxRoundId`, updated at `fxUpdatedAt`;
    ///         a domestic voucher records rate 1, decimals 0, round 0 and the round's opening time).
    event SettlementPaid(
        uint256 indexed slot,
        uint256 indexed tokenId,
        address indexed holder,
        uint256 value,
        uint256 amount,
        uint256 fxRate,
        uint8 fxRateDecimals,
        uint80 fxRoundId,
        uint256 fxUpdatedAt
    );
    /// @notice Emitted after distribution round `round` of `slot` opened with these snapshots.
    event SettlementRoundOpened(
        uint256 indexed slot,
        uint256 indexed round,
        uint256 available,
        uint256 outstanding,
        uint256 outstandingCash,
        uint256 fxRate,
        uint8 fxRateDecimals,
        uint80 fxRoundId,
        uint256 fxUpdatedAt
    );
    /// @notice Emitted after the admin closed distribution round `round` of `slot` (the next payment opens a new one).
    event SettlementRoundClosed(uint256 indexed slot, uint256 indexed round);
    /// @notice Emitted when a payout passed over `tokenId` (its holder unverified or frozen, or the piece frozen).
    event SettlementPaymentWithheld(
        uint256 indexed slot, uint256 indexed tokenId, address indexed holder, WithholdingReason reason
    );
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
    /// @dev `holder` is not a verified participant (or its KYC expired); its claims wait.
    error SettlementHolderNotVerified(address holder);
    /// @dev `holder` is frozen by the compliance agent; its claims wait.
    error SettlementHolderFrozen(address holder);
    /// @dev The piece `tokenId` is frozen (or all its value is); its claim waits.
    error SettlementPieceFrozen(uint256 tokenId);
    /// @dev A zero amount was given.
    error SettlementZeroAmount();
    /// @dev The voucher `slot` owes nothing any more (every unit redeemed).
    error SettlementVoucherSettled(uint256 slot);
    /// @dev Funding would make `availableAfter` exceed `outstandingCash`, the outstanding value of `slot`
    ///      converted at the current rate (rounded up).
    error SettlementOverfunded(uint256 slot, uint256 outstandingCash, uint256 availableAfter);
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

    /// @notice Pays `amount` of the voucher's settlement cash into its settlement. Only the voucher's obligor.
    /// @dev The first funding fixes the slot's cash token (the one registered for the settlement currency
    ///      then). Funding may not exceed the value still outstanding converted at the current rate
    ///      (rounded up; a stale rate is refused). The caller must have approved the vault.
    function fund(uint256 slot, uint256 amount) external;

    /// @notice Pays the holders of `tokenIds` (all of voucher `slot`): in full under full cover, else the
    ///         current round's share.
    /// @dev On or after maturity; anyone may call. Tokens at zero value, already paid in this partial round,
    ///      whose share rounds to zero, or withheld (event) are passed over; a token of another voucher or
    ///      an unknown token reverts the call, and so does a paused voucher or ledger (the note refuses).
    /// @return total cash paid by this call
    function payout(uint256 slot, uint256[] calldata tokenIds) external returns (uint256 total);

    /// @notice The holder of `tokenId` collects its payment under the same rule as `payout`.
    /// @return amount cash paid
    function claim(uint256 tokenId) external returns (uint256 amount);

    /// @notice Returns to the obligor cash funded beyond the outstanding value converted at the current rate
    ///         (rounded up), e.g. after early payments burned prefunded value, or rounding remainders once
    ///         every piece is paid (then no rate is needed). Obligor only.
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

    /// @notice The cash `tokenId` would be paid by a payout now: 0 before maturity, without cash, when
    ///         withheld, or in a partial round if the token was paid in it already or was created after it
    ///         opened. Without an open round it uses the current rate (reverting if stale).
    function quotePayout(uint256 tokenId) external view returns (uint256 amount);

    /// @notice Settlement lifecycle of voucher `slot` now.
    function statusOf(uint256 slot) external view returns (SettlementStatus);

    /// @notice Seconds after maturity during which an unpaid voucher is Matured rather than Overdue.
    function graceSeconds() external view returns (uint256);

    /// @notice Seconds after maturity from which an unpaid voucher is Defaulted.
    function defaultAfterSeconds() external view returns (uint256);
}
