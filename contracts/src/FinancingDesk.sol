// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Context} from "@openzeppelin/contracts/utils/Context.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {ERC2771Context} from "@openzeppelin/contracts/metatx/ERC2771Context.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {CashTokenDirectory} from "./CashTokenDirectory.sol";
import {ICascadeNote} from "./interfaces/ICascadeNote.sol";
import {IFinancingDesk} from "./interfaces/IFinancingDesk.sol";
import {IReceivableNote} from "./interfaces/IReceivableNote.sol";

/// @title Cascade financing desk: a financier buys value of a note for cash, delivery versus payment
/// @notice See IFinancingDesk. The desk never holds notes or cash: it is the seller's operator on the
///         note and the financier's spender on the cash token, and moves both legs in one transaction.
contract FinancingDesk is IFinancingDesk, CashTokenDirectory, EIP712, ERC2771Context, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @notice keccak256 of the EIP-712 type string of `Quote`.
    bytes32 public constant QUOTE_TYPEHASH = keccak256(
        "Quote(address financier,address seller,uint256 tokenId,uint256 value,uint256 price,address cashToken,uint256 expiry,uint256 nonce)"
    );

    ICascadeNote private immutable _note;

    mapping(address financier => mapping(uint256 nonce => bool)) private _usedNonces;

    constructor(ICascadeNote note_, address trustedForwarder_, address admin)
        EIP712("CascadeFinancingDesk", "1")
        ERC2771Context(trustedForwarder_)
    {
        if (address(note_) == address(0) || admin == address(0)) {
            revert FinancingZeroAddress();
        }
        _note = note_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @inheritdoc IFinancingDesk
    function executeQuote(Quote calldata quote, bytes calldata financierSignature)
        external
        nonReentrant
        returns (uint256 financierTokenId)
    {
        address seller = quote.seller;
        address financier = quote.financier;
        {
            address caller = _msgSender();
            if (caller != seller) revert FinancingCallerNotSeller(caller, seller);
        }
        if (block.timestamp > quote.expiry) revert FinancingQuoteExpired(quote.expiry, block.timestamp);
        if (quote.price == 0 || quote.price > quote.value) revert FinancingInvalidPrice(quote.price, quote.value);
        if (_usedNonces[financier][quote.nonce]) revert FinancingNonceUsed(financier, quote.nonce);
        {
            (address recovered, ECDSA.RecoverError err,) =
                ECDSA.tryRecoverCalldata(hashQuote(quote), financierSignature);
            if (err != ECDSA.RecoverError.NoError || recovered != financier) {
                revert FinancingInvalidSignature(financier, recovered);
            }
        }
        IERC20 cash;
        {
            address holder = _note.ownerOf(quote.tokenId);
            if (holder != seller) revert FinancingSellerNotHolder(quote.tokenId, seller, holder);
            uint256 slot = _note.slotOf(quote.tokenId);
            IReceivableNote.Voucher memory voucher = _note.voucherOf(slot);
            if (voucher.status != IReceivableNote.VoucherStatus.Active) {
                revert FinancingVoucherNotActive(slot, voucher.status);
            }
            if (block.timestamp >= voucher.maturityAt) {
                revert FinancingVoucherMatured(slot, voucher.maturityAt, block.timestamp);
            }
            cash = _requireCashToken(voucher.currency);
            if (address(cash) != quote.cashToken) {
                revert FinancingCashTokenMismatch(voucher.currency, address(cash), quote.cashToken);
            }
        }

        _usedNonces[financier][quote.nonce] = true;

        financierTokenId = _note.transferFrom(quote.tokenId, financier, quote.value);
        cash.safeTransferFrom(financier, seller, quote.price);
        emit QuoteExecuted(
            financier, seller, quote.tokenId, financierTokenId, quote.value, quote.price, address(cash), quote.nonce
        );
    }

    /// @inheritdoc IFinancingDesk
    function cancelNonce(uint256 nonce) external {
        address financier = _msgSender();
        if (_usedNonces[financier][nonce]) revert FinancingNonceUsed(financier, nonce);
        _usedNonces[financier][nonce] = true;
        emit QuoteNonceCancelled(financier, nonce);
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
                    quote.nonce
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

    function _requiredCashDecimals() internal view override returns (uint8) {
        return _note.valueDecimals();
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
