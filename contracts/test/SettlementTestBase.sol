// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {ERC2771Forwarder} from "@openzeppelin/contracts/metatx/ERC2771Forwarder.sol";
import {ReceivableNote} from "../src/ReceivableNote.sol";
import {ParticipantRegistry} from "../src/ParticipantRegistry.sol";
import {CascadeForwarder} from "../src/CascadeForwarder.sol";
import {SettlementToken} from "../src/SettlementToken.sol";
import {FinancingDesk} from "../src/FinancingDesk.sol";
import {EarlyPaymentProgram} from "../src/EarlyPaymentProgram.sol";
import {SettlementVault} from "../src/SettlementVault.sol";
import {ICascadeNote} from "../src/interfaces/ICascadeNote.sol";
import {IFinancingDesk} from "../src/interfaces/IFinancingDesk.sol";

/// @dev Deploys the whole Cascade stack as production wires it (forwarder, registry, note, one cash
///      token per currency, desk, programme, vault; the programme and the vault hold REDEEMER_ROLE)
///      and verifies a supply chain: obligor (core enterprise), suppliers A (tier 1) to D (tier 4),
///      two financiers. Shared by the Settlement*, Financing*, EarlyPayment* and Cash* tests.
abstract contract SettlementTestBase is Test {
    bytes8 internal constant CNY = bytes8("CNY");
    bytes8 internal constant USD = bytes8("USD");
    bytes32 internal constant DOC_HASH = keccak256("e-debt voucher 2024-0001");
    uint256 internal constant GRACE = 7 days;
    uint256 internal constant DEFAULT_AFTER = 30 days;
    uint256 internal constant START = 1_700_000_000;

    bytes32 internal constant DEFAULT_ADMIN_ROLE = 0x00;
    bytes32 internal constant REDEEMER_ROLE = keccak256("REDEEMER_ROLE");
    bytes32 internal constant MINTER_ROLE = keccak256("MINTER_ROLE");

    bytes32 internal constant FORWARD_REQUEST_TYPEHASH = keccak256(
        "ForwardRequest(address from,address to,uint256 value,uint256 gas,uint256 nonce,uint48 deadline,bytes data)"
    );

    ParticipantRegistry internal registry;
    CascadeForwarder internal forwarder;
    ReceivableNote internal note;
    SettlementToken internal cny;
    SettlementToken internal usd;
    FinancingDesk internal desk;
    EarlyPaymentProgram internal programme;
    SettlementVault internal vault;

    address internal admin = makeAddr("admin");
    address internal relayer = makeAddr("relayer");
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
        (obligor, obligorKey) = makeAddrAndKey("obligor");
        (supplierA, supplierAKey) = makeAddrAndKey("supplierA");
        (supplierB, supplierBKey) = makeAddrAndKey("supplierB");
        (supplierC, supplierCKey) = makeAddrAndKey("supplierC");
        (supplierD, supplierDKey) = makeAddrAndKey("supplierD");
        (financier, financierKey) = makeAddrAndKey("financier");
        (financier2, financier2Key) = makeAddrAndKey("financier2");

        forwarder = new CascadeForwarder();
        registry = new ParticipantRegistry(admin, address(forwarder));
        note = new ReceivableNote("Cascade Receivable Note", "CRN", 2, registry, address(forwarder), admin);
        cny = new SettlementToken("Cascade CNY", "cCNY", 2, address(forwarder), admin);
        usd = new SettlementToken("Cascade USD", "cUSD", 2, address(forwarder), admin);
        ICascadeNote cascadeNote = ICascadeNote(address(note));
        desk = new FinancingDesk(cascadeNote, address(forwarder), admin);
        programme = new EarlyPaymentProgram(cascadeNote, address(forwarder), admin);
        vault = new SettlementVault(cascadeNote, address(forwarder), admin, GRACE, DEFAULT_AFTER);

        vm.startPrank(admin);
        desk.setCashToken(CNY, cny);
        desk.setCashToken(USD, usd);
        programme.setCashToken(CNY, cny);
        programme.setCashToken(USD, usd);
        vault.setCashToken(CNY, cny);
        vault.setCashToken(USD, usd);
        note.grantRole(REDEEMER_ROLE, address(programme));
        note.grantRole(REDEEMER_ROLE, address(vault));
        registry.verify(obligor);
        registry.verify(supplierA);
        registry.verify(supplierB);
        registry.verify(supplierC);
        registry.verify(supplierD);
        registry.verify(financier);
        registry.verify(financier2);
        vm.stopPrank();

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

    function _verify(address account) internal {
        vm.prank(admin);
        registry.verify(account);
    }

    function _revoke(address account) internal {
        vm.prank(admin);
        registry.revoke(account);
    }

    function _issue(address holder, uint256 face, uint256 unit, uint256 maturityAt)
        internal
        returns (uint256 slot, uint256 tokenId)
    {
        vm.prank(admin);
        return note.issue(obligor, holder, CNY, face, unit, maturityAt, DOC_HASH);
    }

    function _split(address caller, uint256 fromTokenId, address to, uint256 value) internal returns (uint256) {
        vm.prank(caller);
        return note.transferFrom(fromTokenId, to, value);
    }

    // ------------------------------------------------------------ helpers: cash

    function _mint(SettlementToken token, address to, uint256 amount) internal {
        vm.prank(admin);
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
            nonce: nonce
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

    // ------------------------------------------------------------ helpers: forwarder

    /// @dev Builds and signs an ERC-2771 request from `signer` to `target`, as the Python service does.
    function _forwardRequest(uint256 signerKey, address target, bytes memory data)
        internal
        view
        returns (ERC2771Forwarder.ForwardRequestData memory request)
    {
        address from = vm.addr(signerKey);
        request = ERC2771Forwarder.ForwardRequestData({
            from: from,
            to: target,
            value: 0,
            gas: 1_000_000,
            deadline: uint48(block.timestamp + 1 hours),
            data: data,
            signature: ""
        });
        (, string memory name, string memory version, uint256 chainId, address verifyingContract,,) =
            forwarder.eip712Domain();
        bytes32 domainSeparator = keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256(bytes(name)),
                keccak256(bytes(version)),
                chainId,
                verifyingContract
            )
        );
        bytes32 structHash = keccak256(
            abi.encode(
                FORWARD_REQUEST_TYPEHASH,
                from,
                target,
                uint256(0),
                request.gas,
                forwarder.nonces(from),
                request.deadline,
                keccak256(data)
            )
        );
        (uint8 v, bytes32 r, bytes32 s) =
            vm.sign(signerKey, keccak256(abi.encodePacked("\x19\x01", domainSeparator, structHash)));
        request.signature = abi.encodePacked(r, s, v);
    }

    function _relay(uint256 signerKey, address target, bytes memory data) internal {
        ERC2771Forwarder.ForwardRequestData memory request = _forwardRequest(signerKey, target, data);
        vm.prank(relayer);
        forwarder.execute(request);
    }

    function _unauthorized(address account, bytes32 role) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, account, role);
    }
}
