// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Clones} from "@openzeppelin/contracts/proxy/Clones.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {YieldToken} from "../../src/market/YieldToken.sol";
import {IYieldToken} from "../../src/interfaces/IYieldToken.sol";
import {SettlementTestBase} from "../SettlementTestBase.sol";

/// @dev The yield token on its own: this test contract clones the implementation and initialises the clone,
///      so it plays the offering's vault (the only minter and burner).
contract YieldTokenTest is SettlementTestBase {
    YieldToken internal implementation;
    YieldToken internal token;
    address internal investor;
    uint256 internal investorKey;
    address internal investor2;
    address internal foreigner;

    function setUp() public override {
        super.setUp();
        (investor, investorKey) = makeAddrAndKey("investor");
        investor2 = makeAddr("investor2");
        foreigner = makeAddr("foreigner");
        _verifyAs(investor, 4);
        _verifyAs(investor2, 4);
        vm.prank(agent);
        registry.setIdentity(foreigner, true, block.timestamp + 365 days, bytes2("US"), 4, REASON);
        vm.prank(agent);
        registry.setIdentity(address(this), true, block.timestamp + 3650 days, bytes2("CN"), 5, REASON);

        implementation = new YieldToken(note, address(forwarder));
        token = _clone(_countries1("CN"));
        token.mint(address(this), 1_000_000);
        token.transfer(investor, 100_000);
    }

    function _clone(bytes2[] memory countries) internal returns (YieldToken t) {
        t = YieldToken(Clones.clone(address(implementation)));
        t.initialize(7, "Cascade Yield #7", "cYLD7", countries);
    }

    function _countries1(bytes2 c) internal pure returns (bytes2[] memory list) {
        list = new bytes2[](1);
        list[0] = c;
    }

    // ------------------------------------------------------------ set-up and metadata

    function test_Initialize_SetsMetadataAndErc3643Views() public view {
        assertEq(token.name(), "Cascade Yield #7");
        assertEq(token.symbol(), "cYLD7");
        assertEq(token.decimals(), 2, "decimals = the note's value decimals (CNY minor digits)");
        assertEq(token.offeringId(), 7);
        assertEq(token.vault(), address(this));
        assertEq(address(token.identityRegistry()), address(registry));
        assertEq(token.compliance(), address(token));
        assertEq(token.onchainID(), address(0));
        assertEq(token.version(), "cascade-yield-1.0.0");
        assertEq(token.allowedCountries().length, 1);
        assertTrue(token.isCountryAllowed(bytes2("CN")));
        assertFalse(token.isCountryAllowed(bytes2("US")));
        assertTrue(token.isTrustedForwarder(address(forwarder)));
    }

    function test_Initialize_OnceOnly_AndNeverOnTheImplementation() public {
        vm.expectRevert(IYieldToken.YieldTokenAlreadyInitialized.selector);
        token.initialize(8, "x", "y", new bytes2[](0));
        vm.expectRevert(IYieldToken.YieldTokenAlreadyInitialized.selector);
        implementation.initialize(8, "x", "y", new bytes2[](0));
    }

    function test_Initialize_RefusesInvalidOrRepeatedCountries() public {
        YieldToken fresh = YieldToken(Clones.clone(address(implementation)));
        vm.expectRevert(abi.encodeWithSelector(IYieldToken.YieldTokenInvalidCountry.selector, bytes2("XX")));
        fresh.initialize(8, "x", "y", _countries1("XX"));
        bytes2[] memory twice = new bytes2[](2);
        twice[0] = "CN";
        twice[1] = "CN";
        vm.expectRevert(abi.encodeWithSelector(IYieldToken.YieldTokenInvalidCountry.selector, bytes2("CN")));
        fresh.initialize(8, "x", "y", twice);
        bytes2[] memory many = new bytes2[](17);
        vm.expectRevert(abi.encodeWithSelector(IYieldToken.YieldTokenTooManyCountries.selector, 17, 16));
        fresh.initialize(8, "x", "y", many);
    }

    // ------------------------------------------------------------ mint and burn: the vault only

    function test_MintBurn_VaultOnly() public {
        vm.prank(agent);
        vm.expectRevert(abi.encodeWithSelector(IYieldToken.YieldTokenCallerNotVault.selector, agent));
        token.mint(agent, 1);
        vm.prank(admin);
        vm.expectRevert(abi.encodeWithSelector(IYieldToken.YieldTokenCallerNotVault.selector, admin));
        token.burn(investor, 1);
        token.burn(investor, 1);
        assertEq(token.balanceOf(investor), 99_999);
    }

    function test_Burn_NeverTakesFrozenTokens() public {
        vm.prank(agent);
        token.freezePartialTokens(investor, 60_000);
        vm.expectRevert(
            abi.encodeWithSelector(IYieldToken.YieldTokenInsufficientUnfrozen.selector, investor, 40_000, 40_001)
        );
        token.burn(investor, 40_001);
        vm.prank(agent);
        token.setAddressFrozen(investor, true);
        vm.expectRevert(abi.encodeWithSelector(IYieldToken.YieldTokenFrozen.selector, investor));
        token.burn(investor, 1);
    }

    // ------------------------------------------------------------ holder transfers: the registry rules

    function test_Transfer_BetweenVerifiedInvestors() public {
        vm.prank(investor);
        token.transfer(investor2, 40_000);
        assertEq(token.balanceOf(investor2), 40_000);
        assertTrue(token.canTransfer(investor, investor2, 60_000));
        assertFalse(token.canTransfer(investor, investor2, 60_001));
    }

    function test_Transfer_ThroughTheForwarder_ActsAsTheSigner() public {
        _relay(investorKey, address(token), abi.encodeCall(token.transfer, (investor2, 5)));
        assertEq(token.balanceOf(investor2), 5);
    }

    function test_Transfer_RefusesUnverifiedRecipient() public {
        vm.prank(investor);
        vm.expectRevert(abi.encodeWithSelector(IYieldToken.YieldTokenNotVerified.selector, outsider));
        token.transfer(outsider, 1);
        assertFalse(token.canTransfer(investor, outsider, 1));
    }

    function test_Transfer_RefusesKycExpiredRecipientAndSender() public {
        uint256 expiry = block.timestamp + 10 days;
        vm.prank(agent);
        registry.setIdentity(investor2, true, expiry, bytes2("CN"), 4, REASON);
        vm.warp(expiry);
        vm.prank(investor);
        vm.expectRevert(abi.encodeWithSelector(IYieldToken.YieldTokenKycExpired.selector, investor2, expiry));
        token.transfer(investor2, 1);

        vm.prank(agent);
        registry.setIdentity(investor, true, expiry + 1, bytes2("CN"), 4, REASON);
        vm.warp(expiry + 1);
        vm.prank(investor);
        vm.expectRevert(abi.encodeWithSelector(IYieldToken.YieldTokenKycExpired.selector, investor, expiry + 1));
        token.transfer(supplierA, 1);
    }

    function test_Transfer_RefusesRevokedSender() public {
        _revoke(investor);
        vm.prank(investor);
        vm.expectRevert(abi.encodeWithSelector(IYieldToken.YieldTokenNotVerified.selector, investor));
        token.transfer(investor2, 1);
    }

    function test_Transfer_RefusesCountryOutsideTheOffering() public {
        vm.prank(investor);
        vm.expectRevert(
            abi.encodeWithSelector(IYieldToken.YieldTokenCountryNotAllowed.selector, foreigner, bytes2("US"))
        );
        token.transfer(foreigner, 1);
        // An offering without a country list lets every verified country in.
        YieldToken open = _clone(new bytes2[](0));
        open.mint(address(this), 10);
        open.transfer(foreigner, 10);
        assertEq(open.balanceOf(foreigner), 10);
    }

    function test_Transfer_NeverToTheVault() public {
        vm.prank(investor);
        vm.expectRevert(abi.encodeWithSelector(IYieldToken.YieldTokenVaultNotRecipient.selector, address(this)));
        token.transfer(address(this), 1);
    }

    function test_TransferFrom_SpendsAllowanceUnderTheSameRules() public {
        vm.prank(investor);
        token.approve(supplierA, 10);
        vm.prank(supplierA);
        token.transferFrom(investor, investor2, 10);
        assertEq(token.balanceOf(investor2), 10);
        vm.prank(supplierA);
        vm.expectRevert(
            abi.encodeWithSelector(IERC20Errors.ERC20InsufficientAllowance.selector, supplierA, 0, 1)
        );
        token.transferFrom(investor, investor2, 1);
    }

    function test_BatchTransfer_AllOrNothing() public {
        address[] memory to = new address[](2);
        uint256[] memory amounts = new uint256[](2);
        to[0] = investor2;
        to[1] = outsider;
        amounts[0] = 1;
        amounts[1] = 1;
        vm.prank(investor);
        vm.expectRevert(abi.encodeWithSelector(IYieldToken.YieldTokenNotVerified.selector, outsider));
        token.batchTransfer(to, amounts);
        to[1] = supplierA;
        vm.prank(investor);
        token.batchTransfer(to, amounts);
        assertEq(token.balanceOf(investor2) + token.balanceOf(supplierA), 2);
        vm.expectRevert(IYieldToken.YieldTokenBatchLengthMismatch.selector);
        token.batchTransfer(to, new uint256[](1));
    }

    // ------------------------------------------------------------ freezes

    function test_FrozenAddress_NeitherSendsNorReceives() public {
        vm.prank(agent);
        vm.expectEmit(address(token));
        emit IYieldToken.AddressFrozen(investor, true, agent);
        token.setAddressFrozen(investor, true);
        assertTrue(token.isFrozen(investor));
        vm.prank(investor);
        vm.expectRevert(abi.encodeWithSelector(IYieldToken.YieldTokenFrozen.selector, investor));
        token.transfer(investor2, 1);
        vm.prank(agent);
        token.setAddressFrozen(investor2, true);
        vm.expectRevert(abi.encodeWithSelector(IYieldToken.YieldTokenFrozen.selector, investor2));
        token.transfer(investor2, 1);
    }

    function test_FrozenTokens_StayPut() public {
        vm.prank(agent);
        vm.expectEmit(address(token));
        emit IYieldToken.TokensFrozen(investor, 70_000);
        token.freezePartialTokens(investor, 70_000);
        assertEq(token.getFrozenTokens(investor), 70_000);
        vm.prank(investor);
        vm.expectRevert(
            abi.encodeWithSelector(IYieldToken.YieldTokenInsufficientUnfrozen.selector, investor, 30_000, 30_001)
        );
        token.transfer(investor2, 30_001);
        vm.prank(investor);
        token.transfer(investor2, 30_000);
        vm.prank(agent);
        vm.expectRevert(
            abi.encodeWithSelector(IYieldToken.YieldTokenFreezeExceedsBalance.selector, investor, 0, 1)
        );
        token.freezePartialTokens(investor, 1);
        vm.prank(agent);
        vm.expectRevert(
            abi.encodeWithSelector(IYieldToken.YieldTokenUnfreezeExceedsFrozen.selector, investor, 70_000, 70_001)
        );
        token.unfreezePartialTokens(investor, 70_001);
        vm.prank(agent);
        token.unfreezePartialTokens(investor, 70_000);
        vm.prank(investor);
        token.transfer(investor2, 70_000);
        assertEq(token.balanceOf(investor), 0);
    }

    function test_Freezes_AgentOnly_AndNeverOnTheVault() public {
        vm.prank(investor);
        vm.expectRevert(_unauthorized(investor, COMPLIANCE_AGENT_ROLE));
        token.setAddressFrozen(investor2, true);
        vm.prank(investor);
        vm.expectRevert(_unauthorized(investor, COMPLIANCE_AGENT_ROLE));
        token.freezePartialTokens(investor, 1);
        vm.prank(agent);
        vm.expectRevert(abi.encodeWithSelector(IYieldToken.YieldTokenVaultAccount.selector, address(this)));
        token.setAddressFrozen(address(this), true);
        vm.prank(agent);
        vm.expectRevert(abi.encodeWithSelector(IYieldToken.YieldTokenVaultAccount.selector, address(this)));
        token.forcedTransfer(address(this), investor, 1);
    }

    // ------------------------------------------------------------ forced transfer and recovery

    function test_ForcedTransfer_OverridesFreezesAndUnfreezesWhatItNeeds() public {
        vm.startPrank(agent);
        token.setAddressFrozen(investor, true);
        token.freezePartialTokens(investor, 90_000);
        vm.expectEmit(address(token));
        emit IYieldToken.TokensUnfrozen(investor, 5_000);
        token.forcedTransfer(investor, investor2, 15_000);
        vm.stopPrank();
        assertEq(token.balanceOf(investor2), 15_000);
        assertEq(token.getFrozenTokens(investor), 85_000);
        assertEq(token.balanceOf(investor), 85_000);
    }

    function test_ForcedTransfer_WorksWhilePaused_ButRecipientMustBeEligible() public {
        vm.prank(pauser);
        token.pause();
        vm.prank(agent);
        token.forcedTransfer(investor, investor2, 1);
        vm.prank(agent);
        vm.expectRevert(abi.encodeWithSelector(IYieldToken.YieldTokenNotVerified.selector, outsider));
        token.forcedTransfer(investor, outsider, 1);
        vm.prank(agent);
        vm.expectRevert(
            abi.encodeWithSelector(IYieldToken.YieldTokenCountryNotAllowed.selector, foreigner, bytes2("US"))
        );
        token.forcedTransfer(investor, foreigner, 1);
    }

    function test_ForcedTransfer_AgentOnly() public {
        vm.prank(admin);
        vm.expectRevert(_unauthorized(admin, COMPLIANCE_AGENT_ROLE));
        token.forcedTransfer(investor, investor2, 1);
        vm.prank(investor);
        vm.expectRevert(_unauthorized(investor, COMPLIANCE_AGENT_ROLE));
        token.recoveryAddress(investor, investor2, address(0));
    }

    function test_BatchForcedTransfer() public {
        address[] memory from = new address[](2);
        address[] memory to = new address[](2);
        uint256[] memory amounts = new uint256[](2);
        (from[0], from[1], to[0], to[1], amounts[0], amounts[1]) = (investor, investor, investor2, supplierA, 1, 2);
        vm.prank(agent);
        token.batchForcedTransfer(from, to, amounts);
        assertEq(token.balanceOf(investor2), 1);
        assertEq(token.balanceOf(supplierA), 2);
    }

    function test_RecoveryAddress_MovesEverythingFreezesIncluded() public {
        address fresh = makeAddr("fresh");
        _verifyAs(fresh, 4);
        vm.startPrank(agent);
        token.freezePartialTokens(investor, 30_000);
        vm.expectEmit(address(token));
        emit IYieldToken.RecoverySuccess(investor, fresh, address(0));
        token.recoveryAddress(investor, fresh, address(0));
        vm.stopPrank();
        assertEq(token.balanceOf(fresh), 100_000);
        assertEq(token.getFrozenTokens(fresh), 30_000);
        assertEq(token.balanceOf(investor), 0);
        assertEq(token.getFrozenTokens(investor), 0);
        assertTrue(token.isFrozen(investor), "the lost wallet ends frozen");
        assertFalse(token.isFrozen(fresh));
    }

    function test_RecoveryAddress_CarriesAnAddressFreeze_AndNeedsAFreshEligibleWallet() public {
        address fresh = makeAddr("fresh");
        vm.prank(agent);
        vm.expectRevert(abi.encodeWithSelector(IYieldToken.YieldTokenNotVerified.selector, fresh));
        token.recoveryAddress(investor, fresh, address(0));
        vm.prank(agent);
        vm.expectRevert(abi.encodeWithSelector(IYieldToken.YieldTokenRecoveryWalletInUse.selector, address(this)));
        token.recoveryAddress(investor, address(this), address(0));
        vm.prank(investor);
        token.transfer(investor2, 1);
        vm.prank(agent);
        vm.expectRevert(abi.encodeWithSelector(IYieldToken.YieldTokenRecoveryWalletInUse.selector, investor2));
        token.recoveryAddress(investor, investor2, address(0));
        _verifyAs(fresh, 4);
        vm.startPrank(agent);
        token.setAddressFrozen(investor, true);
        token.recoveryAddress(investor, fresh, address(0));
        vm.stopPrank();
        assertTrue(token.isFrozen(fresh));
    }

    // ------------------------------------------------------------ pause

    function test_Pause_StopsTransfersMintsAndBurns_PauserOnly() public {
        vm.prank(agent);
        vm.expectRevert(_unauthorized(agent, PAUSER_ROLE));
        token.pause();
        vm.prank(pauser);
        token.pause();
        assertTrue(token.paused());
        vm.prank(investor);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        token.transfer(investor2, 1);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        token.mint(address(this), 1);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        token.burn(investor, 1);
        assertFalse(token.canTransfer(investor, investor2, 1));
        vm.prank(pauser);
        token.unpause();
        vm.prank(investor);
        token.transfer(investor2, 1);
    }

    // ------------------------------------------------------------ fuzz: frozen tokens never move

    function testFuzz_FrozenTokensNeverMove(uint256 frozen, uint256 amount, uint8 path) public {
        frozen = bound(frozen, 1, 100_000);
        amount = bound(amount, 1, 100_000);
        vm.prank(agent);
        token.freezePartialTokens(investor, frozen);
        uint256 before = token.balanceOf(investor);
        path = path % 3;
        vm.prank(path == 2 ? address(this) : investor);
        if (path == 0) {
            try token.transfer(investor2, amount) {} catch {}
        } else if (path == 1) {
            address[] memory to = new address[](1);
            uint256[] memory amounts = new uint256[](1);
            (to[0], amounts[0]) = (investor2, amount);
            try token.batchTransfer(to, amounts) {} catch {}
        } else {
            try token.burn(investor, amount) {} catch {}
        }
        assertGe(token.balanceOf(investor), frozen, "frozen tokens stayed");
        assertEq(before - token.balanceOf(investor) <= before - frozen, true);
    }
}
