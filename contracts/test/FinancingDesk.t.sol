// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {
    IAccessControlDefaultAdminRules
} from "@openzeppelin/contracts/access/extensions/IAccessControlDefaultAdminRules.sol";
import {IFxRateDirectory} from "../src/interfaces/IFxRateDirectory.sol";
import {ILogisticsOracle} from "../src/interfaces/ILogisticsOracle.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {FinancingDesk} from "../src/FinancingDesk.sol";
import {DiscountMath} from "../src/libraries/DiscountMath.sol";
import {ICascadeNote} from "../src/interfaces/ICascadeNote.sol";
import {ICashTokenDirectory} from "../src/interfaces/ICashTokenDirectory.sol";
import {IFinancingDesk} from "../src/interfaces/IFinancingDesk.sol";
import {IReceivableNote} from "../src/interfaces/IReceivableNote.sol";
import {SettlementTestBase} from "./SettlementTestBase.sol";

contract FinancingDeskTest is SettlementTestBase {
    uint256 internal constant FACE = 1_000_000_000; // CNY 10,000,000.00
    uint256 internal constant UNIT = 100; // whole yuan
    uint256 internal constant VALUE = 400_000_000;
    uint256 internal constant PRICE = 388_000_000;

    uint256 internal maturityAt;
    uint256 internal slot;
    uint256 internal tokenA;

    function setUp() public override {
        super.setUp();
        maturityAt = block.timestamp + 180 days;
        (slot, tokenA) = _issue(supplierA, FACE, UNIT, maturityAt);
        _mint(cny, financier, 2_000_000_000);
        _approve(cny, financier, address(desk), type(uint256).max);
    }

    function _defaultQuote(uint256 nonce) internal view returns (IFinancingDesk.Quote memory) {
        return _quote(financier, supplierA, tokenA, VALUE, PRICE, nonce);
    }

    function _expectExecuteRevert(IFinancingDesk.Quote memory quote, bytes memory signature, bytes memory err)
        internal
    {
        vm.expectRevert(err);
        vm.prank(quote.seller);
        desk.executeQuote(quote, signature);
    }

    // ------------------------------------------------------------ deployment and EIP-712

    function test_Constructor_WiresNoteAndAdmin() public view {
        assertEq(address(desk.note()), address(note));
        assertEq(address(desk.fxRates()), address(fx));
        assertEq(address(desk.logistics()), address(logistics));
        assertEq(desk.defaultAdminDelay(), ADMIN_DELAY);
        assertTrue(desk.hasRole(DEFAULT_ADMIN_ROLE, admin));
        assertTrue(desk.isTrustedForwarder(address(forwarder)));
        assertEq(address(desk.cashTokenOf(CNY)), address(cny));
        (, string memory name, string memory version, uint256 chainId, address verifyingContract,,) =
            desk.eip712Domain();
        assertEq(name, "CascadeFinancingDesk");
        assertEq(version, "1");
        assertEq(chainId, block.chainid);
        assertEq(verifyingContract, address(desk));
    }

    function test_RevertWhen_ConstructorNoteIsZero() public {
        vm.expectRevert(IFinancingDesk.FinancingZeroAddress.selector);
        new FinancingDesk(ICascadeNote(address(0)), fx, logistics, address(forwarder), admin, ADMIN_DELAY);
    }

    function test_RevertWhen_ConstructorFxOrLogisticsIsZero() public {
        vm.expectRevert(IFinancingDesk.FinancingZeroAddress.selector);
        new FinancingDesk(note, IFxRateDirectory(address(0)), logistics, address(forwarder), admin, ADMIN_DELAY);
        vm.expectRevert(IFinancingDesk.FinancingZeroAddress.selector);
        new FinancingDesk(note, fx, ILogisticsOracle(address(0)), address(forwarder), admin, ADMIN_DELAY);
    }

    function test_RevertWhen_ConstructorAdminIsZero() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControlDefaultAdminRules.AccessControlInvalidDefaultAdmin.selector, address(0)
            )
        );
        new FinancingDesk(note, fx, logistics, address(forwarder), address(0), ADMIN_DELAY);
    }

    function test_HashQuote_MatchesEip712TypedData() public view {
        IFinancingDesk.Quote memory quote = _defaultQuote(7);
        bytes32 typeHash = keccak256(
            "Quote(address financier,address seller,uint256 tokenId,uint256 value,uint256 price,address cashToken,uint256 expiry,uint256 nonce,uint8 requiredMilestone,uint16 maxFinancedShareBps)"
        );
        assertEq(desk.QUOTE_TYPEHASH(), typeHash);
        bytes32 domainSeparator = keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256("CascadeFinancingDesk"),
                keccak256("1"),
                block.chainid,
                address(desk)
            )
        );
        assertEq(desk.domainSeparator(), domainSeparator);
        bytes32 structHash = keccak256(
            abi.encode(
                typeHash,
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
        );
        assertEq(desk.hashQuote(quote), keccak256(abi.encodePacked("\x19\x01", domainSeparator, structHash)));
    }

    function test_HashQuote_ChangesWithEveryField() public view {
        IFinancingDesk.Quote memory quote = _defaultQuote(1);
        bytes32 base = desk.hashQuote(quote);
        quote.price += 1;
        assertTrue(desk.hashQuote(quote) != base);
        quote = _defaultQuote(1);
        quote.cashToken = address(usd);
        assertTrue(desk.hashQuote(quote) != base);
        quote = _defaultQuote(2);
        assertTrue(desk.hashQuote(quote) != base);
        quote = _defaultQuote(1);
        quote.requiredMilestone = 1;
        assertTrue(desk.hashQuote(quote) != base);
        quote = _defaultQuote(1);
        quote.maxFinancedShareBps = 8_000;
        assertTrue(desk.hashQuote(quote) != base);
    }

    // ------------------------------------------------------------ executeQuote: success

    function test_ExecuteQuote_DeliversVersusPayment() public {
        IFinancingDesk.Quote memory quote = _defaultQuote(1);
        bytes memory signature = _sign(financierKey, quote);
        uint256 expectedTokenId = note.tokenCount() + 1;

        vm.expectEmit(address(desk));
        // A domestic voucher records the identity rate: 1, decimals 0, round 0, the trade's time.
        emit IFinancingDesk.QuoteExecuted(
            financier,
            supplierA,
            tokenA,
            expectedTokenId,
            VALUE,
            PRICE,
            address(cny),
            1,
            PRICE,
            1,
            0,
            0,
            block.timestamp
        );
        vm.prank(supplierA);
        uint256 financierTokenId = desk.executeQuote(quote, signature);

        assertEq(financierTokenId, expectedTokenId);
        assertEq(note.ownerOf(financierTokenId), financier);
        assertEq(note.balanceOf(financierTokenId), VALUE);
        assertEq(note.balanceOf(tokenA), FACE - VALUE);
        assertEq(note.slotOf(financierTokenId), slot);
        (uint256 parent, uint256 root, uint256 depth) = note.lineageOf(financierTokenId);
        assertEq(parent, tokenA);
        assertEq(root, tokenA);
        assertEq(depth, 1);
        assertEq(cny.balanceOf(supplierA), PRICE);
        assertEq(cny.balanceOf(financier), 2_000_000_000 - PRICE);
        assertEq(cny.balanceOf(address(desk)), 0);
        assertTrue(desk.isNonceUsed(financier, 1));
        assertFalse(desk.isNonceUsed(financier, 2));
        assertEq(desk.financedValueOf(slot), VALUE);
    }

    function test_ExecuteQuote_WholeValueAtParAndAtExpiry() public {
        IFinancingDesk.Quote memory quote = _quote(financier, supplierA, tokenA, FACE, FACE, 3);
        bytes memory signature = _sign(financierKey, quote);
        vm.warp(quote.expiry);
        vm.prank(supplierA);
        uint256 financierTokenId = desk.executeQuote(quote, signature);
        assertEq(note.balanceOf(financierTokenId), FACE);
        assertEq(note.balanceOf(tokenA), 0);
        assertEq(cny.balanceOf(supplierA), FACE);
    }

    function test_ExecuteQuote_ThroughForwarderWithoutEther() public {
        IFinancingDesk.Quote memory quote = _defaultQuote(4);
        bytes memory signature = _sign(financierKey, quote);
        assertEq(supplierA.balance, 0);
        _relay(supplierAKey, address(desk), abi.encodeCall(IFinancingDesk.executeQuote, (quote, signature)));
        assertEq(cny.balanceOf(supplierA), PRICE);
        assertEq(note.balanceOf(tokenA), FACE - VALUE);
        assertEq(note.ownerOf(note.tokenCount()), financier);
    }

    function test_ExecuteQuote_WithValueAllowanceInsteadOfOperator() public {
        vm.startPrank(supplierA);
        note.setApprovalForAll(address(desk), false);
        note.approve(tokenA, address(desk), VALUE);
        vm.stopPrank();
        _trade(financierKey, _defaultQuote(5));
        assertEq(note.allowance(tokenA, address(desk)), 0);
        assertEq(cny.balanceOf(supplierA), PRICE);
    }

    function test_ExecuteQuote_FinancierResellsToAnotherFinancier() public {
        uint256 financierTokenId = _trade(financierKey, _defaultQuote(1));
        _mint(cny, financier2, PRICE);
        _approve(cny, financier2, address(desk), PRICE);
        IFinancingDesk.Quote memory resale = _quote(financier2, financier, financierTokenId, VALUE, PRICE, 1);
        uint256 secondTokenId = _trade(financier2Key, resale);
        assertEq(note.ownerOf(secondTokenId), financier2);
        assertEq(note.balanceOf(secondTokenId), VALUE);
        assertEq(cny.balanceOf(financier), 2_000_000_000);
    }

    /// @dev The seed figures: tier-3 supplier C holds CNY 10,000,000.00 with 180 days to maturity.
    function test_SeedFigures_Tier3SupplierSaves300kAt6Versus12Percent() public {
        (, uint256 root) = _issue(supplierA, 3 * FACE, UNIT, block.timestamp + 180 days);
        uint256 tokenB = _split(supplierA, root, supplierB, 2 * FACE); // tier 2
        uint256 tokenC = _split(supplierB, tokenB, supplierC, FACE); // tier 3
        (,, uint256 depth) = note.lineageOf(tokenC);
        assertEq(depth, 2);
        assertEq(note.balanceOf(tokenC), 1_000_000_000);

        uint256 days_ = DiscountMath.daysUntil(block.timestamp, block.timestamp + 180 days);
        assertEq(days_, 180);
        uint256 priceAt6 = DiscountMath.discountPrice(FACE, 600, days_, DiscountMath.ACT_360);
        uint256 priceAt12 = DiscountMath.discountPrice(FACE, 1_200, days_, DiscountMath.ACT_360);
        assertEq(priceAt6, 970_000_000); // CNY 9,700,000.00
        assertEq(priceAt12, 940_000_000); // CNY 9,400,000.00
        assertEq(priceAt6 - priceAt12, 30_000_000); // CNY 300,000.00 saved

        uint256 financedTokenId = _trade(financierKey, _quote(financier, supplierC, tokenC, FACE, priceAt6, 60));
        assertEq(cny.balanceOf(supplierC), 970_000_000);
        assertEq(note.balanceOf(financedTokenId), FACE);
        assertEq(note.balanceOf(tokenC), 0);
    }

    // ------------------------------------------------------------ executeQuote: reverts

    function test_RevertWhen_CallerIsNotSeller() public {
        IFinancingDesk.Quote memory quote = _defaultQuote(1);
        bytes memory signature = _sign(financierKey, quote);
        vm.expectRevert(abi.encodeWithSelector(IFinancingDesk.FinancingCallerNotSeller.selector, supplierB, supplierA));
        vm.prank(supplierB);
        desk.executeQuote(quote, signature);
    }

    function test_RevertWhen_RelayedBySomeoneElseThanSeller() public {
        IFinancingDesk.Quote memory quote = _defaultQuote(1);
        bytes memory signature = _sign(financierKey, quote);
        // The relayer calling directly is not the seller either.
        vm.expectRevert(abi.encodeWithSelector(IFinancingDesk.FinancingCallerNotSeller.selector, relayer, supplierA));
        vm.prank(relayer);
        desk.executeQuote(quote, signature);
    }

    function test_RevertWhen_QuoteExpired() public {
        IFinancingDesk.Quote memory quote = _defaultQuote(1);
        bytes memory signature = _sign(financierKey, quote);
        vm.warp(quote.expiry + 1);
        _expectExecuteRevert(
            quote,
            signature,
            abi.encodeWithSelector(IFinancingDesk.FinancingQuoteExpired.selector, quote.expiry, quote.expiry + 1)
        );
    }

    function test_RevertWhen_PriceIsZero() public {
        IFinancingDesk.Quote memory quote = _quote(financier, supplierA, tokenA, VALUE, 0, 1);
        _expectExecuteRevert(
            quote,
            _sign(financierKey, quote),
            abi.encodeWithSelector(IFinancingDesk.FinancingInvalidPrice.selector, 0, VALUE)
        );
    }

    function test_RevertWhen_PriceAboveValue() public {
        IFinancingDesk.Quote memory quote = _quote(financier, supplierA, tokenA, VALUE, VALUE + 1, 1);
        _expectExecuteRevert(
            quote,
            _sign(financierKey, quote),
            abi.encodeWithSelector(IFinancingDesk.FinancingInvalidPrice.selector, VALUE + 1, VALUE)
        );
    }

    function test_RevertWhen_QuoteReplayed() public {
        IFinancingDesk.Quote memory quote = _defaultQuote(1);
        bytes memory signature = _sign(financierKey, quote);
        vm.prank(supplierA);
        desk.executeQuote(quote, signature);
        _expectExecuteRevert(
            quote, signature, abi.encodeWithSelector(IFinancingDesk.FinancingNonceUsed.selector, financier, 1)
        );
    }

    function test_RevertWhen_NonceReusedForAnotherQuote() public {
        _trade(financierKey, _defaultQuote(1));
        IFinancingDesk.Quote memory other = _quote(financier, supplierA, tokenA, 100, 90, 1);
        _expectExecuteRevert(
            other,
            _sign(financierKey, other),
            abi.encodeWithSelector(IFinancingDesk.FinancingNonceUsed.selector, financier, 1)
        );
    }

    function test_RevertWhen_SignedByAnotherKey() public {
        IFinancingDesk.Quote memory quote = _defaultQuote(1);
        _expectExecuteRevert(
            quote,
            _sign(financier2Key, quote),
            abi.encodeWithSelector(IFinancingDesk.FinancingInvalidSignature.selector, financier, financier2)
        );
    }

    function test_RevertWhen_SignatureCoversOtherTerms() public {
        IFinancingDesk.Quote memory quote = _defaultQuote(1);
        bytes memory signature = _sign(financierKey, quote);
        quote.price = PRICE - 1_000; // the seller cannot lower the price the financier signed
        vm.expectRevert();
        vm.prank(supplierA);
        desk.executeQuote(quote, signature);
        assertFalse(desk.isNonceUsed(financier, 1));
    }

    function test_RevertWhen_SignatureMalformed() public {
        IFinancingDesk.Quote memory quote = _defaultQuote(1);
        _expectExecuteRevert(
            quote,
            new bytes(64),
            abi.encodeWithSelector(IFinancingDesk.FinancingInvalidSignature.selector, financier, address(0))
        );
    }

    function test_RevertWhen_SellerDoesNotHoldToken() public {
        IFinancingDesk.Quote memory quote = _quote(financier, supplierB, tokenA, VALUE, PRICE, 1);
        _expectExecuteRevert(
            quote,
            _sign(financierKey, quote),
            abi.encodeWithSelector(IFinancingDesk.FinancingSellerNotHolder.selector, tokenA, supplierB, supplierA)
        );
    }

    function test_RevertWhen_TokenDoesNotExist() public {
        IFinancingDesk.Quote memory quote = _quote(financier, supplierA, 999, VALUE, PRICE, 1);
        _expectExecuteRevert(
            quote,
            _sign(financierKey, quote),
            abi.encodeWithSelector(IReceivableNote.NoteNonexistentToken.selector, 999)
        );
    }

    function test_RevertWhen_VoucherNotActive() public {
        vm.prank(admin);
        note.grantRole(REDEEMER_ROLE, address(this));
        note.redeem(tokenA, FACE);
        IFinancingDesk.Quote memory quote = _defaultQuote(1);
        _expectExecuteRevert(
            quote,
            _sign(financierKey, quote),
            abi.encodeWithSelector(
                IFinancingDesk.FinancingVoucherNotActive.selector, slot, IReceivableNote.VoucherStatus.Redeemed
            )
        );
    }

    function test_RevertWhen_VoucherMatured() public {
        vm.warp(maturityAt);
        IFinancingDesk.Quote memory quote = _defaultQuote(1);
        _expectExecuteRevert(
            quote,
            _sign(financierKey, quote),
            abi.encodeWithSelector(IFinancingDesk.FinancingVoucherMatured.selector, slot, maturityAt, maturityAt)
        );
    }

    function test_RevertWhen_CashTokenIsNotTheCurrencys() public {
        IFinancingDesk.Quote memory quote = _defaultQuote(1);
        quote.cashToken = address(usd);
        _expectExecuteRevert(
            quote,
            _sign(financierKey, quote),
            abi.encodeWithSelector(IFinancingDesk.FinancingCashTokenMismatch.selector, CNY, address(cny), address(usd))
        );
    }

    function test_RevertWhen_CurrencyHasNoCashToken() public {
        vm.prank(admin);
        desk.setCashToken(CNY, IERC20(address(0)));
        IFinancingDesk.Quote memory quote = _defaultQuote(1);
        _expectExecuteRevert(
            quote,
            _sign(financierKey, quote),
            abi.encodeWithSelector(ICashTokenDirectory.CashTokenNotRegistered.selector, CNY)
        );
    }

    function test_RevertWhen_SellerDidNotApproveDesk() public {
        vm.prank(supplierA);
        note.setApprovalForAll(address(desk), false);
        IFinancingDesk.Quote memory quote = _defaultQuote(1);
        _expectExecuteRevert(
            quote,
            _sign(financierKey, quote),
            abi.encodeWithSelector(IReceivableNote.NoteInsufficientAllowance.selector, tokenA, address(desk), 0, VALUE)
        );
    }

    function test_RevertWhen_FinancierNotVerified() public {
        _revoke(financier);
        IFinancingDesk.Quote memory quote = _defaultQuote(1);
        _expectExecuteRevert(
            quote,
            _sign(financierKey, quote),
            abi.encodeWithSelector(IReceivableNote.NoteParticipantNotVerified.selector, financier)
        );
    }

    function test_RevertWhen_ValueNotUnitMultiple() public {
        IFinancingDesk.Quote memory quote = _quote(financier, supplierA, tokenA, VALUE + 1, PRICE, 1);
        _expectExecuteRevert(
            quote,
            _sign(financierKey, quote),
            abi.encodeWithSelector(IReceivableNote.NoteValueNotUnitMultiple.selector, slot, VALUE + 1, UNIT)
        );
    }

    function test_RevertWhen_FinancierIsSeller() public {
        _mint(cny, supplierA, PRICE);
        _approve(cny, supplierA, address(desk), PRICE);
        IFinancingDesk.Quote memory quote = _quote(supplierA, supplierA, tokenA, VALUE, PRICE, 1);
        _expectExecuteRevert(
            quote,
            _sign(supplierAKey, quote),
            abi.encodeWithSelector(IFinancingDesk.FinancingSelfDealing.selector, supplierA)
        );
    }

    function test_RevertWhen_NotePaused() public {
        vm.prank(pauser);
        note.pause();
        IFinancingDesk.Quote memory quote = _defaultQuote(1);
        _expectExecuteRevert(quote, _sign(financierKey, quote), abi.encodeWithSelector(Pausable.EnforcedPause.selector));
    }

    function test_RevertWhen_FinancierCashNotApproved_NothingMoves() public {
        _approve(cny, financier, address(desk), PRICE - 1);
        IFinancingDesk.Quote memory quote = _defaultQuote(1);
        _expectExecuteRevert(
            quote,
            _sign(financierKey, quote),
            abi.encodeWithSelector(IERC20Errors.ERC20InsufficientAllowance.selector, address(desk), PRICE - 1, PRICE)
        );
        // both or nothing: the note leg was rolled back too, and the nonce stays usable
        assertEq(note.balanceOf(tokenA), FACE);
        assertEq(note.tokenCount(), 1);
        assertFalse(desk.isNonceUsed(financier, 1));
        assertEq(cny.balanceOf(supplierA), 0);
    }

    function test_RevertWhen_FinancierCashShort_NothingMoves() public {
        vm.prank(financier);
        cny.transfer(outsider, 2_000_000_000 - PRICE + 1);
        IFinancingDesk.Quote memory quote = _defaultQuote(1);
        _expectExecuteRevert(
            quote,
            _sign(financierKey, quote),
            abi.encodeWithSelector(IERC20Errors.ERC20InsufficientBalance.selector, financier, PRICE - 1, PRICE)
        );
        assertEq(note.balanceOf(tokenA), FACE);
        assertFalse(desk.isNonceUsed(financier, 1));
    }

    // ------------------------------------------------------------ nonces

    function test_CancelNonce_BlocksTheQuote() public {
        IFinancingDesk.Quote memory quote = _defaultQuote(9);
        bytes memory signature = _sign(financierKey, quote);
        vm.expectEmit(address(desk));
        emit IFinancingDesk.QuoteNonceCancelled(financier, 9);
        vm.prank(financier);
        desk.cancelNonce(9);
        assertTrue(desk.isNonceUsed(financier, 9));
        _expectExecuteRevert(
            quote, signature, abi.encodeWithSelector(IFinancingDesk.FinancingNonceUsed.selector, financier, 9)
        );
    }

    function test_CancelNonce_ThroughForwarder() public {
        _relay(financierKey, address(desk), abi.encodeCall(IFinancingDesk.cancelNonce, (11)));
        assertTrue(desk.isNonceUsed(financier, 11));
        assertFalse(desk.isNonceUsed(relayer, 11));
    }

    function test_CancelNonce_IsPerFinancier() public {
        vm.prank(financier2);
        desk.cancelNonce(1);
        assertTrue(desk.isNonceUsed(financier2, 1));
        assertFalse(desk.isNonceUsed(financier, 1));
        _trade(financierKey, _defaultQuote(1));
    }

    function test_RevertWhen_CancelUsedNonce() public {
        _trade(financierKey, _defaultQuote(1));
        vm.expectRevert(abi.encodeWithSelector(IFinancingDesk.FinancingNonceUsed.selector, financier, 1));
        vm.prank(financier);
        desk.cancelNonce(1);
    }

    function testFuzz_ExecuteQuote_AnyValidTerms(uint256 value, uint256 price, uint256 nonce) public {
        value = bound(value, 1, FACE / UNIT) * UNIT;
        price = bound(price, 1, value);
        uint256 financierTokenId = _trade(financierKey, _quote(financier, supplierA, tokenA, value, price, nonce));
        assertEq(note.balanceOf(financierTokenId), value);
        assertEq(note.balanceOf(tokenA), FACE - value);
        assertEq(cny.balanceOf(supplierA), price);
        assertEq(cny.balanceOf(financier) + cny.balanceOf(supplierA), 2_000_000_000);
        assertTrue(desk.isNonceUsed(financier, nonce));
    }
}
