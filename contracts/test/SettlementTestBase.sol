// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ReceivableNote} from "../src/ReceivableNote.sol";
import {ReceivableNoteExtension} from "../src/note/ReceivableNoteExtension.sol";
import {ParticipantRegistry} from "../src/ParticipantRegistry.sol";
import {CascadeForwarder} from "../src/CascadeForwarder.sol";
import {SettlementToken} from "../src/SettlementToken.sol";
import {FinancingDesk} from "../src/FinancingDesk.sol";
import {EarlyPaymentProgram} from "../src/EarlyPaymentProgram.sol";
import {SettlementVault} from "../src/SettlementVault.sol";
import {CashTokenDirectory} from "../src/CashTokenDirectory.sol";
import {FxPriceFeed} from "../src/fx/FxPriceFeed.sol";
import {FxRateDirectory} from "../src/fx/FxRateDirectory.sol";
import {LogisticsOracle} from "../src/LogisticsOracle.sol";
import {ICascadeNote} from "../src/interfaces/ICascadeNote.sol";
import {IFinancingDesk} from "../src/interfaces/IFinancingDesk.sol";
import {CascadeTest} from "./helpers/CascadeTest.sol";

/// @dev Deploys the whole Cascade stack as production wires it (forwarder, registry, note extension and
///      note, one cash token per currency, the FX directory with a USD/CNY feed, the logistics oracle,
///      desk, programme, vault; the programme and the vault hold REDEEMER_ROLE; every other role on its
///      own account) and registers a supply chain: obligor (core enterprise), suppliers A (tier 1) to
///      D (tier 4), two financiers. Shared by the Settlement*, Financing*, EarlyPayment*, Cash* and
///      cross-border tests.
abstract contract SettlementTestBase is CascadeTest {
    bytes8 internal constant CNY = bytes8("CNY");
    bytes8 internal constant USD = bytes8("USD");
    bytes32 internal constant DOC_HASH = keccak256("e-debt voucher 2024-0001");
    uint256 internal constant GRACE = 7 days;
    uint256 internal constant DEFAULT_AFTER = 30 days;
    uint256 internal constant START = 1_700_000_000;

    uint8 internal constant FX_DECIMALS = 8;
    /// @dev 7.12345678 CNY per USD.
    int256 internal constant USD_CNY = 712_345_678;
    uint256 internal constant FX_MAX_AGE = 1 hours;

    ParticipantRegistry internal registry;
    ICascadeNote internal note;
    SettlementToken internal cny;
    SettlementToken internal usd;
    FxRateDirectory internal fx;
    FxPriceFeed internal usdCnyFeed;
    LogisticsOracle internal logistics;
    FinancingDesk internal desk;
    EarlyPaymentProgram internal programme;
    SettlementVault internal vault;

    /// @dev One key per role, as the service holds them (signing forward requests).
    address internal admin;
    uint256 internal adminKey;
    address internal issuer;
    uint256 internal issuerKey;
    address internal agent;
    uint256 internal agentKey;
    address internal oracle;
    uint256 internal oracleKey;
    address internal pauser;
    uint256 internal pauserKey;
    address internal minter;
    uint256 internal minterKey;
    address internal outsider = makeAddr("outsider");
    address internal obligor;
    uint256 internal obligorKey;
    address internal supplierA;
    uint256 internal supplierAKey;
    address internal supplierB;
    uint256 internal supplierBKey;
    address internal supplierC;
    uint256 internal supplierCKey;
    address internal supplierD;
    uint256 internal supplierDKey;
    address internal financier;
    uint256 internal financierKey;
    address internal financier2;
    uint256 internal financier2Key;

    function setUp() public virtual {
        vm.warp(START);
        (admin, adminKey) = makeAddrAndKey("admin");
        (issuer, issuerKey) = makeAddrAndKey("issuer");
        (agent, agentKey) = makeAddrAndKey("agent");
        (oracle, oracleKey) = makeAddrAndKey("oracle");
        (pauser, pauserKey) = makeAddrAndKey("pauser");
        (minter, minterKey) = makeAddrAndKey("minter");
        (obligor, obligorKey) = makeAddrAndKey("obligor");
        (supplierA, supplierAKey) = makeAddrAndKey("supplierA");
        (supplierB, supplierBKey) = makeAddrAndKey("supplierB");
        (supplierC, supplierCKey) = makeAddrAndKey("supplierC");
        (supplierD, supplierDKey) = makeAddrAndKey("supplierD");
        (financier, financierKey) = makeAddrAndKey("financier");
        (financier2, financier2Key) = makeAddrAndKey("financier2");

        forwarder = new CascadeForwarder();
        registry = new ParticipantRegistry(address(forwarder), admin, ADMIN_DELAY);
        ReceivableNoteExtension extension = new ReceivableNoteExtension(registry, 2, address(forwarder));
        note = ICascadeNote(
            address(
                new ReceivableNote(
                    "Cascade Receivable Note", "CRN", 2, registry, address(forwarder), admin, ADMIN_DELAY, extension
                )
            )
        );
        cny = new SettlementToken("Cascade CNY", "cCNY", 2, address(forwarder), admin, ADMIN_DELAY);
        usd = new SettlementToken("Cascade USD", "cUSD", 2, address(forwarder), admin, ADMIN_DELAY);
        fx = new FxRateDirectory(address(forwarder), admin, ADMIN_DELAY);
        usdCnyFeed = new FxPriceFeed(FX_DECIMALS, "USD / CNY", address(forwarder), admin, ADMIN_DELAY);
        logistics = new LogisticsOracle(note, address(forwarder), admin, ADMIN_DELAY);
        desk = new FinancingDesk(note, fx, logistics, address(forwarder), admin, ADMIN_DELAY);
        programme = new EarlyPaymentProgram(note, fx, address(forwarder), admin, ADMIN_DELAY);
        vault = new SettlementVault(note, fx, address(forwarder), admin, ADMIN_DELAY, GRACE, DEFAULT_AFTER);

        vm.startPrank(admin);
        CashTokenDirectory[3] memory payers = [CashTokenDirectory(desk), programme, vault];
        for (uint256 i; i < payers.length; ++i) {
            payers[i].setCashToken(CNY, cny);
            payers[i].setCashToken(USD, usd);
        }
        fx.setFeed(USD, CNY, usdCnyFeed, FX_MAX_AGE);
        note.grantRole(REDEEMER_ROLE, address(programme));
        note.grantRole(REDEEMER_ROLE, address(vault));
        note.grantRole(ISSUER_ROLE, issuer);
        note.grantRole(COMPLIANCE_AGENT_ROLE, agent);
        note.grantRole(PAUSER_ROLE, pauser);
        registry.grantRole(COMPLIANCE_AGENT_ROLE, agent);
        usdCnyFeed.grantRole(ORACLE_ROLE, oracle);
        logistics.grantRole(ORACLE_ROLE, oracle);
        cny.grantRole(MINTER_ROLE, minter);
        usd.grantRole(MINTER_ROLE, minter);
        vm.stopPrank();

        _verifyAs(obligor, 1);
        _verify(supplierA);
        _verify(supplierB);
        _verify(supplierC);
        _verify(supplierD);
        _verifyAs(financier, 3);
        _verifyAs(financier2, 3);
        _submitRate(USD_CNY);

        // What the service does at participant registration: the desk becomes each holder's operator.
        _setDeskOperator(supplierA);
        _setDeskOperator(supplierB);
        _setDeskOperator(supplierC);
        _setDeskOperator(supplierD);
        _setDeskOperator(financier);
        _setDeskOperator(financier2);
    }

    // ------------------------------------------------------------ helpers: notes

    function _setDeskOperator(address holder) internal {
        vm.prank(holder);
        note.setApprovalForAll(address(desk), true);
    }

    /// @dev Registers `account` as a verified supplier (role code 2) with a KYC valid for two years.
    function _verify(address account) internal {
        _verifyAs(account, 2);
    }

    /// @dev Registers `account` as verified with role code `role` (1 obligor, 2 supplier, 3 financier...).
    function _verifyAs(address account, uint8 role) internal {
        vm.prank(agent);
        registry.setIdentity(account, true, block.timestamp + 730 days, bytes2("CN"), role, REASON);
    }

    function _revoke(address account) internal {
        vm.prank(agent);
        registry.setIdentity(account, false, 0, bytes2("CN"), 2, REASON);
    }

    function _freeze(address account) internal {
        vm.prank(agent);
        note.setAddressFrozen(account, true, REASON);
    }

    /// @dev A domestic CNY voucher.
    function _issue(address holder, uint256 face, uint256 unit, uint256 maturityAt)
        internal
        returns (uint256 slot, uint256 tokenId)
    {
        vm.prank(issuer);
        return note.issue(obligor, holder, CNY, CNY, face, unit, maturityAt, 0, DOC_HASH);
    }

    /// @dev A cross-border voucher (model 3): denominated in USD, settled in CNY, capped per transfer.
    function _issueCrossBorder(address holder, uint256 face, uint256 unit, uint256 maturityAt, uint256 cap)
        internal
        returns (uint256 slot, uint256 tokenId)
    {
        vm.prank(issuer);
        return note.issue(obligor, holder, USD, CNY, face, unit, maturityAt, cap, DOC_HASH);
    }

    function _submitRate(int256 answer) internal returns (uint80 roundId) {
        vm.prank(oracle);
        return usdCnyFeed.submitAnswer(answer);
    }

    function _split(address caller, uint256 fromTokenId, address to, uint256 value) internal returns (uint256) {
        vm.prank(caller);
        return note.transferFrom(fromTokenId, to, value);
    }

    // ------------------------------------------------------------ helpers: cash

    function _mint(SettlementToken token, address to, uint256 amount) internal {
        vm.prank(minter);
        token.mint(to, amount);
    }

    function _approve(SettlementToken token, address owner, address spender, uint256 amount) internal {
        vm.prank(owner);
        token.approve(spender, amount);
    }

    // ------------------------------------------------------------ helpers: quotes

    function _quote(address financier_, address seller, uint256 tokenId, uint256 value, uint256 price, uint256 nonce)
        internal
        view
        returns (IFinancingDesk.Quote memory)
    {
        return IFinancingDesk.Quote({
            financier: financier_,
            seller: seller,
            tokenId: tokenId,
            value: value,
            price: price,
            cashToken: address(cny),
            expiry: block.timestamp + 1 hours,
            nonce: nonce,
            requiredMilestone: 0,
            maxFinancedShareBps: 10_000
        });
    }

    function _sign(uint256 key, IFinancingDesk.Quote memory quote) internal view returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, desk.hashQuote(quote));
        return abi.encodePacked(r, s, v);
    }

    /// @dev Signs `quote` with `financierKey_`, funds and approves the price, executes as the seller.
    function _trade(uint256 financierKey_, IFinancingDesk.Quote memory quote) internal returns (uint256) {
        bytes memory signature = _sign(financierKey_, quote);
        vm.prank(quote.seller);
        return desk.executeQuote(quote, signature);
    }
}
