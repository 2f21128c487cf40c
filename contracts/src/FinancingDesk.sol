// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {CascadeAccess} from "./access/CascadeAccess.sol";
import {CashTokenDirectory} from "./CashTokenDirectory.sol";
import {FxMath} from "./fx/FxMath.sol";
import {ICascadeNote} from "./interfaces/ICascadeNote.sol";
import {IFinancingDesk} from "./interfaces/IFinancingDesk.sol";
import {IFxRateDirectory} from "./interfaces/IFxRateDirectory.sol";
import {ILogisticsOracle} from "./interfaces/ILogisticsOracle.sol";
import {IReceivableNote} from "./interfaces/IReceivableNote.sol";

/// @title Cascade financing desk: a financier buys value of a note for cash, delivery versus payment
/// @notice See IFinancingDesk. The desk never holds notes or cash: it is the seller's operator on the
///         note and the financier's spender on the cash token, and moves both legs in one transaction.
contract FinancingDesk is IFinancingDesk, CashTokenDirectory, EIP712, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @notice keccak256 of the EIP-712 type string of `Quote`.
    bytes32 public constant QUOTE_TYPEHASH = keccak256(
        "Quote(address financier,address seller,uint256 tokenId,uint256 value,uint256 price,address cashToken,uint256 expiry,uint256 nonce,uint8 requiredMilestone,uint16 maxFinancedShareBps)"
    );
    /// @notice The milestone from which the pre-delivery share cap no longer applies.
    uint8 public constant DELIVERED = 3;
    uint256 private constant _BPS = 10_000;
    /// @dev Registry role codes of the buy side (see IIdentityRegistry).
    uint8 private constant _ROLE_FINANCIER = 3;
    uint8 private constant _ROLE_INVESTOR = 4;

    ICascadeNote private immutable _note;
    IFxRateDirectory private immutable _fx;
    ILogisticsOracle private immutable _logistics;

    mapping(address financier => mapping(uint256 nonce => bool)) private _usedNonces;
    mapping(uint256 slot => uint256) private _financedValues;

    constructor(
        ICascadeNote note_,
        IFxRateDirectory fx_,
        ILogisticsOracle logistics_,
        address trustedForwarder_,
        address admin,
        uint48 adminTransferDelay
    ) EIP712("CascadeFinancingDesk", "1") CascadeAccess(trustedForwarder_, admin, adminTransferDelay) {
        if (address(note_) == address(0) || address(fx_) == address(0) || address(logistics_) == address(0)) {
            revert FinancingZeroAddress();
        }
        _note = note_;
        _fx = fx_;
        _logistics = logistics_;
    }

    /// @inheritdoc IFinancingDesk
    function executeQuote(Quote calldata quote, bytes calldata financierSignature)
        external
        nonReentrant
        returns (uint256 financierTokenId)
    {
        _checkQuote(quote, financierSignature);
        (uint256 slot, IERC20 cash, IFxRateDirectory.FxRate memory rate, bool advance) = _checkVoucher(quote);
        uint256 amount = FxMath.toSettlement(quote.price, rate, Math.Rounding.Ceil);

        _usedNonces[quote.financier][quote.nonce] = true;
        if (advance) _financedValues[slot] += quote.value;

        financierTokenId = _note.transferFrom(quote.tokenId, quote.financier, quote.value);
        cash.safeTransferFrom(quote.financier, quote.seller, amount);
        _emitExecuted(quote, financierTokenId, address(cash), amount, rate);
    }

    /// @inheritdoc IFinancingDesk
    function cancelNonce(uint256 nonce) external {
        address financier = _msgSender();
        if (_usedNonces[financier][nonce]) revert FinancingNonceUsed(financier, nonce);
        _usedNonces[financier][nonce] = true;
        emit QuoteNonceCancelled(financier, nonce);
    }

    /// @inheritdoc IFinancingDesk
    function financedValueOf(uint256 slot) external view returns (uint256) {
        return _financedValues[slot];
    }

    /// @inheritdoc IFinancingDesk
    function isNonceUsed(address financier, uint256 nonce) external view returns (bool) {
        return _usedNonces[financier][nonce];
    }

    /// @inheritdoc IFinancingDesk
    function hashQuote(Quote calldata quote) public view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(
                abi.encode(
                    QUOTE_TYPEHASH,
                    quote.financier,
                    quote.seller,
                    quote.tokenId,
                    quote.value,
                    quote.price,
                    quote.cashToken,
                    quote.expiry,
                    quote.nonce,
                    quote.requiredMilestone,
                    quote.maxFinancedShareBps
                )
            )
        );
    }

    /// @inheritdoc IFinancingDesk
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    /// @notice The note this desk trades.
    function note() external view returns (ICascadeNote) {
        return _note;
    }

    /// @notice The FX rate directory cross-border vouchers are converted with.
    function fxRates() external view returns (IFxRateDirectory) {
        return _fx;
    }

    /// @notice The logistics oracle whose milestones the quotes' terms refer to.
    function logistics() external view returns (ILogisticsOracle) {
        return _logistics;
    }

    // ---------------------------------------------------------------- internals

    /// @dev The quote itself: caller, expiry, price, terms, nonce and signature.
    function _checkQuote(Quote calldata quote, bytes calldata financierSignature) private view {
        address caller = _msgSender();
        if (caller != quote.seller) revert FinancingCallerNotSeller(caller, quote.seller);
        if (quote.financier == quote.seller) revert FinancingSelfDealing(quote.seller);
        if (block.timestamp > quote.expiry) revert FinancingQuoteExpired(quote.expiry, block.timestamp);
        if (quote.price == 0 || quote.price > quote.value) revert FinancingInvalidPrice(quote.price, quote.value);
        if (quote.requiredMilestone > DELIVERED || quote.maxFinancedShareBps > _BPS) {
            revert FinancingInvalidLogisticsTerms(quote.requiredMilestone, quote.maxFinancedShareBps);
        }
        if (_usedNonces[quote.financier][quote.nonce]) revert FinancingNonceUsed(quote.financier, quote.nonce);
        (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecoverCalldata(hashQuote(quote), financierSignature);
        if (err != ECDSA.RecoverError.NoError || recovered != quote.financier) {
            revert FinancingInvalidSignature(quote.financier, recovered);
        }
    }

    /// @dev The token and its voucher: holder, status, maturity, cash token, logistics terms and rate.
    ///      `advance`: the seller is not a financier or investor (registry role 3 or 4), so the trade advances
    ///      money to the supply chain and counts towards the voucher's financed value; a resale between
    ///      financiers moves no new money against the goods and counts for nothing.
    function _checkVoucher(Quote calldata quote)
        private
        view
        returns (uint256 slot, IERC20 cash, IFxRateDirectory.FxRate memory rate, bool advance)
    {
        address holder = _note.ownerOf(quote.tokenId);
        if (holder != quote.seller) revert FinancingSellerNotHolder(quote.tokenId, quote.seller, holder);
        slot = _note.slotOf(quote.tokenId);
        IReceivableNote.Voucher memory voucher = _note.voucherOf(slot);
        if (voucher.status != IReceivableNote.VoucherStatus.Active) {
            revert FinancingVoucherNotActive(slot, voucher.status);
        }
        if (block.timestamp >= voucher.maturityAt) {
            revert FinancingVoucherMatured(slot, voucher.maturityAt, block.timestamp);
        }
        cash = _requireCashToken(voucher.settlementCurrency);
        if (address(cash) != quote.cashToken) {
            revert FinancingCashTokenMismatch(voucher.settlementCurrency, address(cash), quote.cashToken);
        }
        uint8 milestone = _logistics.milestoneOf(slot);
        if (milestone < quote.requiredMilestone) {
            revert FinancingMilestoneNotReached(slot, quote.requiredMilestone, milestone);
        }
        uint8 sellerRole = _note.registry().identityOf(quote.seller).role;
        advance = sellerRole != _ROLE_FINANCIER && sellerRole != _ROLE_INVESTOR;
        if (advance && milestone < DELIVERED) {
            uint256 cap = uint256(voucher.faceValue) * quote.maxFinancedShareBps / _BPS;
            uint256 financed = _financedValues[slot];
            if (financed + quote.value > cap) revert FinancingShareCapExceeded(slot, financed, quote.value, cap);
        }
        rate = _fx.rateOf(voucher.currency, voucher.settlementCurrency);
    }

    function _emitExecuted(
        Quote calldata quote,
        uint256 financierTokenId,
        address cash,
        uint256 amount,
        IFxRateDirectory.FxRate memory rate
    ) private {
        emit QuoteExecuted(
            quote.financier,
            quote.seller,
            quote.tokenId,
            financierTokenId,
            quote.value,
            quote.price,
            cash,
            quote.nonce,
            amount,
            rate.answer,
            rate.decimals,
            rate.roundId,
            rate.updatedAt
        );
    }

    function _requiredCashDecimals() internal view override returns (uint8) {
        return _note.valueDecimals();
    }
}
