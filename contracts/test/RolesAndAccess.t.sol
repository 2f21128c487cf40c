// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {
    IAccessControlDefaultAdminRules
} from "@openzeppelin/contracts/access/extensions/IAccessControlDefaultAdminRules.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {ERC2771Forwarder} from "@openzeppelin/contracts/metatx/ERC2771Forwarder.sol";
import {Errors} from "@openzeppelin/contracts/utils/Errors.sol";
import {CascadeRoles} from "../src/access/CascadeRoles.sol";
import {ICascadeNote} from "../src/interfaces/ICascadeNote.sol";
import {IIdentityRegistry} from "../src/interfaces/IIdentityRegistry.sol";
import {IReceivableNote} from "../src/interfaces/IReceivableNote.sol";
import {ICashTokenDirectory} from "../src/interfaces/ICashTokenDirectory.sol";
import {ISettlementToken} from "../src/interfaces/ISettlementToken.sol";
import {ISettlementVault} from "../src/interfaces/ISettlementVault.sol";
import {IFxPriceFeed} from "../src/interfaces/IFxPriceFeed.sol";
import {IFxRateDirectory} from "../src/interfaces/IFxRateDirectory.sol";
import {ILogisticsOracle} from "../src/interfaces/ILogisticsOracle.sol";
import {AggregatorV3Interface} from "../src/interfaces/AggregatorV3Interface.sol";
import {SettlementTestBase} from "./SettlementTestBase.sol";

/// @dev Least privilege across the stack: constructors grant only the admin, the admin changes hands
///      only through the delayed two-step transfer, each role is its own key, redemption only goes to
///      contracts, and every role-gated function works when its role's account signs a forward request.
contract RolesAndAccessTest is SettlementTestBase {
    function _all() internal view returns (IAccessControlDefaultAdminRules[10] memory contracts) {
        contracts = [
            IAccessControlDefaultAdminRules(address(registry)),
            IAccessControlDefaultAdminRules(address(note)),
            IAccessControlDefaultAdminRules(address(cny)),
            IAccessControlDefaultAdminRules(address(fx)),
            IAccessControlDefaultAdminRules(address(usdCnyFeed)),
            IAccessControlDefaultAdminRules(address(logistics)),
            IAccessControlDefaultAdminRules(address(desk)),
            IAccessControlDefaultAdminRules(address(programme)),
            IAccessControlDefaultAdminRules(address(vault)),
            IAccessControlDefaultAdminRules(address(usd))
        ];
    }

    // ------------------------------------------------------------ role vocabulary

    function test_RoleIdsAreTheKeccakOfTheirNames() public pure {
        assertEq(CascadeRoles.ISSUER_ROLE, keccak256("ISSUER_ROLE"));
        assertEq(CascadeRoles.COMPLIANCE_AGENT_ROLE, keccak256("COMPLIANCE_AGENT_ROLE"));
        assertEq(CascadeRoles.ORACLE_ROLE, keccak256("ORACLE_ROLE"));
        assertEq(CascadeRoles.PAUSER_ROLE, keccak256("PAUSER_ROLE"));
        assertEq(CascadeRoles.REDEEMER_ROLE, keccak256("REDEEMER_ROLE"));
        assertEq(CascadeRoles.MINTER_ROLE, keccak256("MINTER_ROLE"));
    }

    // ------------------------------------------------------------ the admin and its delayed transfer

    function test_EveryContractHasOneDelayedAdmin() public view {
        IAccessControlDefaultAdminRules[10] memory contracts = _all();
        for (uint256 i; i < contracts.length; ++i) {
            assertEq(contracts[i].defaultAdmin(), admin);
            assertEq(contracts[i].defaultAdminDelay(), ADMIN_DELAY);
            assertTrue(
                IERC165(address(contracts[i])).supportsInterface(type(IAccessControlDefaultAdminRules).interfaceId)
            );
        }
    }

    function test_AdminHoldsNoOperationalRole() public view {
        bytes32[6] memory roles = [
            CascadeRoles.ISSUER_ROLE,
            CascadeRoles.COMPLIANCE_AGENT_ROLE,
            CascadeRoles.ORACLE_ROLE,
            CascadeRoles.PAUSER_ROLE,
            CascadeRoles.REDEEMER_ROLE,
            CascadeRoles.MINTER_ROLE
        ];
        IAccessControlDefaultAdminRules[10] memory contracts = _all();
        for (uint256 i; i < contracts.length; ++i) {
            for (uint256 j; j < roles.length; ++j) {
                assertFalse(contracts[i].hasRole(roles[j], admin));
            }
        }
    }

    function test_AdminTransfer_TakesTwoStepsAndTheDelay() public {
        address successor = makeAddr("successor");
        vm.prank(admin);
        note.beginDefaultAdminTransfer(successor);
        (address pending, uint48 schedule) = note.pendingDefaultAdmin();
        assertEq(pending, successor);
        assertEq(schedule, block.timestamp + ADMIN_DELAY);

        vm.warp(schedule - 1);
        vm.prank(successor);
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControlDefaultAdminRules.AccessControlEnforcedDefaultAdminDelay.selector, schedule
            )
        );
        note.acceptDefaultAdminTransfer();

        vm.warp(schedule + 1);
        vm.prank(successor);
        note.acceptDefaultAdminTransfer();
        assertEq(note.defaultAdmin(), successor);
        assertFalse(note.hasRole(DEFAULT_ADMIN_ROLE, admin));
    }

    function test_AdminTransfer_ThroughTheForwarder() public {
        (address successor, uint256 successorKey) = makeAddrAndKey("successor");
        _relay(
            adminKey,
            address(vault),
            abi.encodeCall(IAccessControlDefaultAdminRules.beginDefaultAdminTransfer, (successor))
        );
        vm.warp(block.timestamp + ADMIN_DELAY + 1);
        _relay(
            successorKey, address(vault), abi.encodeCall(IAccessControlDefaultAdminRules.acceptDefaultAdminTransfer, ())
        );
        assertEq(vault.defaultAdmin(), successor);
    }

    function test_RevertWhen_TheAdminRoleIsGrantedDirectly() public {
        vm.prank(admin);
        vm.expectRevert(IAccessControlDefaultAdminRules.AccessControlEnforcedDefaultAdminRules.selector);
        note.grantRole(DEFAULT_ADMIN_ROLE, makeAddr("second admin"));
    }

    // ------------------------------------------------------------ redemption is for contracts only

    function test_RevertWhen_RedeemerRoleGoesToAnAccountWithoutCode() public {
        vm.prank(admin);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteRedeemerNotContract.selector, admin));
        note.grantRole(REDEEMER_ROLE, admin);
        vm.prank(admin);
        vm.expectRevert(abi.encodeWithSelector(IReceivableNote.NoteRedeemerNotContract.selector, issuer));
        note.grantRole(REDEEMER_ROLE, issuer);
    }

    function test_RedeemerRoleGoesToContracts() public view {
        assertTrue(note.hasRole(REDEEMER_ROLE, address(vault)));
        assertTrue(note.hasRole(REDEEMER_ROLE, address(programme)));
    }

    // ------------------------------------------------------------ separation of roles

    function test_RevertWhen_AnyRoleActsOutsideItsOwn() public {
        uint256 maturityAt = block.timestamp + 30 days;
        vm.prank(agent);
        vm.expectRevert(_unauthorized(agent, ISSUER_ROLE));
        note.issue(obligor, supplierA, CNY, CNY, 100, 1, maturityAt, 0, DOC_HASH);
        vm.prank(issuer);
        vm.expectRevert(_unauthorized(issuer, COMPLIANCE_AGENT_ROLE));
        note.setAddressFrozen(supplierA, true, REASON);
        vm.prank(agent);
        vm.expectRevert(_unauthorized(agent, PAUSER_ROLE));
        note.pause();
        vm.prank(pauser);
        vm.expectRevert(_unauthorized(pauser, ORACLE_ROLE));
        usdCnyFeed.submitAnswer(1);
        vm.prank(oracle);
        vm.expectRevert(_unauthorized(oracle, COMPLIANCE_AGENT_ROLE));
        registry.setIdentity(oracle, true, block.timestamp + 1 days, bytes2("CN"), 2, REASON);
        vm.prank(oracle);
        vm.expectRevert(_unauthorized(oracle, MINTER_ROLE));
        cny.mint(oracle, 1);
        vm.prank(issuer);
        vm.expectRevert(_unauthorized(issuer, DEFAULT_ADMIN_ROLE));
        note.grantRole(ISSUER_ROLE, supplierA);
    }

    // ------------------------------------------------------------ every role-gated function through the forwarder

    function test_Forwarded_IssuerIssues() public {
        _relay(
            issuerKey,
            address(note),
            abi.encodeCall(
                ICascadeNote.issue,
                (obligor, supplierA, USD, CNY, 1_000_000, 100, block.timestamp + 1 days, 50_000, DOC_HASH)
            )
        );
        assertEq(note.voucherOf(1).settlementCurrency, CNY);
        assertEq(note.ownerOf(1), supplierA);
    }

    function test_Forwarded_AgentKeepsTheControls() public {
        (uint256 slot, uint256 tokenId) = _issue(supplierA, 1_000_000, 100, block.timestamp + 30 days);
        _relay(agentKey, address(note), abi.encodeCall(ICascadeNote.setAddressFrozen, (supplierB, true, REASON)));
        _relay(agentKey, address(note), abi.encodeCall(ICascadeNote.setTokenFrozen, (tokenId, true, REASON)));
        _relay(agentKey, address(note), abi.encodeCall(ICascadeNote.freezePartialValue, (tokenId, 100, REASON)));
        _relay(agentKey, address(note), abi.encodeCall(ICascadeNote.unfreezePartialValue, (tokenId, 100, REASON)));
        _relay(agentKey, address(note), abi.encodeCall(ICascadeNote.setTransferCap, (slot, 500, REASON)));
        _relay(
            agentKey,
            address(note),
            abi.encodeCall(ICascadeNote.setTransferLimit, (supplierC, CNY, 500, 1 days, REASON))
        );
        _relay(
            agentKey, address(note), abi.encodeCall(ICascadeNote.forcedTransfer, (tokenId, supplierC, 1_000, REASON))
        );
        address fresh = makeAddr("fresh");
        _verify(fresh);
        uint256[] memory ids = new uint256[](1);
        ids[0] = 2;
        _relay(agentKey, address(note), abi.encodeCall(ICascadeNote.recoveryAddress, (supplierC, fresh, ids, REASON)));
        _relay(
            agentKey,
            address(registry),
            abi.encodeCall(IIdentityRegistry.setIdentity, (fresh, false, 0, bytes2("CN"), 2, REASON))
        );
        assertTrue(note.isFrozen(supplierB));
        assertTrue(note.isTokenFrozen(tokenId));
        assertEq(note.voucherOf(slot).transferCap, 500);
        assertEq(note.ownerOf(2), fresh);
        assertFalse(registry.isVerified(fresh));
    }

    function test_Forwarded_PauserPauses() public {
        (uint256 slot,) = _issue(supplierA, 1_000_000, 100, block.timestamp + 30 days);
        _relay(pauserKey, address(note), abi.encodeCall(ICascadeNote.pauseVoucher, (slot)));
        _relay(pauserKey, address(note), abi.encodeCall(ICascadeNote.pause, ()));
        assertTrue(note.paused());
        assertTrue(note.voucherOf(slot).paused);
        _relay(pauserKey, address(note), abi.encodeCall(ICascadeNote.unpause, ()));
        _relay(pauserKey, address(note), abi.encodeCall(ICascadeNote.unpauseVoucher, (slot)));
        assertFalse(note.paused());
    }

    function test_Forwarded_OracleAnswersAndAttests() public {
        (uint256 slot,) = _issue(supplierA, 1_000_000, 100, block.timestamp + 30 days);
        _relay(oracleKey, address(usdCnyFeed), abi.encodeCall(IFxPriceFeed.submitAnswer, (int256(700_000_000))));
        (, int256 answer,,,) = usdCnyFeed.latestRoundData();
        assertEq(answer, 700_000_000);
        _relay(oracleKey, address(logistics), abi.encodeCall(ILogisticsOracle.attest, (slot, 1, keccak256("B/L 1"))));
        assertEq(logistics.milestoneOf(slot), 1);
    }

    function test_Forwarded_MinterMints() public {
        _relay(minterKey, address(cny), abi.encodeCall(ISettlementToken.mint, (supplierA, 123)));
        assertEq(cny.balanceOf(supplierA), 123);
    }

    function test_Forwarded_AdminConfigures() public {
        _relay(
            adminKey,
            address(fx),
            abi.encodeCall(IFxRateDirectory.setFeed, (CNY, USD, AggregatorV3Interface(address(usdCnyFeed)), 60))
        );
        (AggregatorV3Interface feed,, uint256 maxAge) = fx.feedOf(CNY, USD);
        assertEq(address(feed), address(usdCnyFeed));
        assertEq(maxAge, 60);
        _relay(
            adminKey,
            address(desk),
            abi.encodeCall(ICashTokenDirectory.setCashToken, (bytes8("EUR"), IERC20(address(cny))))
        );
        assertEq(address(desk.cashTokenOf(bytes8("EUR"))), address(cny));
        _relay(adminKey, address(vault), abi.encodeCall(ISettlementVault.setTerms, (1 days, 2 days)));
        assertEq(vault.graceSeconds(), 1 days);
        _relay(adminKey, address(note), abi.encodeCall(IAccessControl.grantRole, (ISSUER_ROLE, supplierA)));
        assertTrue(note.hasRole(ISSUER_ROLE, supplierA));
        _relay(adminKey, address(note), abi.encodeCall(ICascadeNote.setBaseURI, ("https://cascade.example/")));
        assertEq(note.contractURI(), "https://cascade.example/");
    }

    function test_RevertWhen_ForwardedByTheWrongRole() public {
        ERC2771Forwarder.ForwardRequestData memory request = _forwardRequest(
            pauserKey, address(note), abi.encodeCall(ICascadeNote.setAddressFrozen, (supplierA, true, REASON))
        );
        vm.prank(relayer);
        vm.expectRevert(Errors.FailedCall.selector);
        forwarder.execute(request);
        assertFalse(note.isFrozen(supplierA));
    }
}
