// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Cascade early payment programmes: obligor-funded dynamic discounting
/// @notice The obligor of a voucher escrows a budget of the voucher's settlement cash and offers to pay
///         any holder of that voucher (any tier) before maturity at a discount. A holder taking the offer
///         is paid the discounted price and the redeemed value is burned, so the obligor's debt
///         shrinks by the full value. Investor-funded early payment is deliberately not offered here:
///         an investor taking over the claim is exactly the FinancingDesk trade.
///
///         Price of `value` with `days` = floor((maturityAt - now) / 86400) whole days left
///         (see DiscountMath), in the voucher's denomination currency: discount quoting
///         `value - floor(value * rateBps * days / (10000 * basisDays))`, yield quoting
///         `ceil(value * 10000 * basisDays / (10000 * basisDays + rateBps * days))`.
///         Cash paid (`amount`, settlement currency): the price itself for a domestic voucher; for a
///         cross-border one the price converted at the FX directory's latest rate R (refused if stale or
///         not positive), rounded up: `ceil(price * R)`, like the price never in favour of the obligor
///         who sets the terms. The rate, its round id and its time are recorded in EarlyPaymentTaken.
interface IEarlyPaymentProgram {
    /// @notice How a programme's rate turns into a price.
    enum Quoting {
        Discount,
        Yield
    }

    /// @notice A programme as stored. `budget` and `spent` are settlement-currency minor units,
    ///         `redeemedValue` is value (denomination minor units).
    struct Programme {
        uint256 slot;
        address obligor;
        address cashToken;
        uint16 rateBps;
        uint16 basisDays;
        Quoting quoting;
        bool closed;
        uint40 cutoffAt;
        uint40 maturityAt;
        uint256 budget;
        uint256 spent;
        uint256 redeemedValue;
    }

    /// @notice Emitted after the obligor opened programme `programmeId` on voucher `slot`, escrowing `budget`.
    event EarlyPaymentProgrammeOpened(
        uint256 indexed programmeId,
        uint256 indexed slot,
        address indexed obligor,
        address cashToken,
        uint256 rateBps,
        uint256 basisDays,
        Quoting quoting,
        uint256 budget,
        uint256 cutoffAt
    );

    /// @notice Emitted after `holder` redeemed `value` of `tokenId` early for `price` (denomination currency,
    ///         `days_` days before maturity), paid as `amount` of settlement cash at the rate
    ///         `fxRate / 10**fxRateDecimals` (feed round `fxRoundId`, updated at `fxUpdatedAt`; a domestic
    ///         voucher records rate 1, decimals 0, round 0 and the payment's time).
    event EarlyPaymentTaken(
        uint256 indexed programmeId,
        uint256 indexed tokenId,
        address indexed holder,
        uint256 value,
        uint256 price,
        uint256 amount,
        uint256 days_,
        uint256 fxRate,
        uint8 fxRateDecimals,
        uint80 fxRoundId,
        uint256 fxUpdatedAt
    );

    /// @notice Emitted after the obligor closed programme `programmeId` and got `refund` of unspent budget back.
    event EarlyPaymentProgrammeClosed(uint256 indexed programmeId, address indexed obligor, uint256 refund);

    /// @dev The zero address was given where an account or contract is needed.
    error EarlyPaymentZeroAddress();
    /// @dev `caller` is not the voucher's (or programme's) obligor `obligor`.
    error EarlyPaymentCallerNotObligor(address caller, address obligor);
    /// @dev The voucher `slot` is not active (status as the note's VoucherStatus: 0 None, 2 Redeemed).
    error EarlyPaymentVoucherNotActive(uint256 slot, uint256 status);
    /// @dev `cutoffAt` is not in the future (now `nowAt`) or lies after the maturity `maturityAt`.
    error EarlyPaymentInvalidCutoff(uint256 cutoffAt, uint256 nowAt, uint256 maturityAt);
    /// @dev `rateBps` is zero or above 10000 (100%).
    error EarlyPaymentInvalidRate(uint256 rateBps);
    /// @dev `quoting` is neither 0 (discount) nor 1 (yield).
    error EarlyPaymentInvalidQuoting(uint256 quoting);
    /// @dev A programme must escrow a positive budget.
    error EarlyPaymentZeroBudget();
    /// @dev No programme `programmeId` exists.
    error EarlyPaymentUnknownProgramme(uint256 programmeId);
    /// @dev Programme `programmeId` has been closed.
    error EarlyPaymentProgrammeNotOpen(uint256 programmeId);
    /// @dev The programme's cutoff `cutoffAt` has passed; it is now `nowAt`.
    error EarlyPaymentCutoffPassed(uint256 cutoffAt, uint256 nowAt);
    /// @dev `caller` is not the holder `holder` of `tokenId`.
    error EarlyPaymentCallerNotHolder(address caller, uint256 tokenId, address holder);
    /// @dev `holder` is not a verified participant (or its KYC expired).
    error EarlyPaymentHolderNotVerified(address holder);
    /// @dev `holder` is frozen by the compliance agent.
    error EarlyPaymentHolderFrozen(address holder);
    /// @dev `tokenId` belongs to voucher `tokenSlot`, not to the programme's voucher `programmeSlot`.
    error EarlyPaymentSlotMismatch(uint256 tokenId, uint256 tokenSlot, uint256 programmeSlot);
    /// @dev `value` is zero or not a multiple of the voucher's unit `unit`.
    error EarlyPaymentInvalidValue(uint256 value, uint256 unit);
    /// @dev `tokenId` holds `balance`, less than `value`.
    error EarlyPaymentInsufficientValue(uint256 tokenId, uint256 balance, uint256 value);
    /// @dev The price of `value` rounds to zero (`days` days left): nothing would be paid.
    error EarlyPaymentZeroPrice(uint256 value, uint256 days_);
    /// @dev Programme `programmeId` has `remaining` budget, less than the `needed` cash amount.
    error EarlyPaymentBudgetExceeded(uint256 programmeId, uint256 remaining, uint256 needed);

    /// @notice Opens a programme on voucher `slot`, pulling `budget` of the voucher's settlement cash from the caller.
    /// @dev Only the voucher's obligor; the voucher must be Active; `block.timestamp < cutoffAt <= maturityAt`;
    ///      0 < rateBps <= 10000; basisDays 360 (ACT/360) or 365 (ACT/365F); quoting 0 discount or 1 yield.
    ///      The obligor must have approved this contract for `budget` of the cash token.
    /// @return programmeId the new programme's id (ids run from 1)
    function openProgramme(
        uint256 slot,
        uint256 rateBps,
        uint256 basisDays,
        uint8 quoting,
        uint256 budget,
        uint256 cutoffAt
    ) external returns (uint256 programmeId);

    /// @notice Redeems `value` of the caller's `tokenId` now against programme `programmeId`.
    /// @dev The caller must hold `tokenId` (of the programme's voucher), be verified and not frozen; `value` a
    ///      positive unit multiple within the token's balance; `block.timestamp <= cutoffAt`; the cash amount
    ///      must fit the remaining budget. Burns `value` through the note's `redeem` (which refuses frozen
    ///      pieces and value, and paused vouchers) and pays the amount to the caller.
    /// @return amount the settlement cash paid, in minor units
    function takeEarlyPayment(uint256 programmeId, uint256 tokenId, uint256 value) external returns (uint256 amount);

    /// @notice Closes programme `programmeId` and refunds its unspent budget to the obligor. Obligor only.
    /// @return refund the cash returned
    function closeProgramme(uint256 programmeId) external returns (uint256 refund);

    /// @notice Programme `programmeId` as stored (reverts for an unknown id).
    function programme(uint256 programmeId) external view returns (Programme memory);

    /// @notice Number of programmes opened so far; ids run from 1 to this number.
    function programmeCount() external view returns (uint256);

    /// @notice What `value` would be paid under programme `programmeId` now: the price (denomination
    ///         currency), the whole days left and the cash amount at the current rate.
    /// @dev Pricing only: does not check the cutoff, the budget or any token; reverts if the rate is stale.
    function quoteEarlyPayment(uint256 programmeId, uint256 value)
        external
        view
        returns (uint256 price, uint256 days_, uint256 amount);
}
