// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {
    IAccessControlDefaultAdminRules
} from "@openzeppelin/contracts/access/extensions/IAccessControlDefaultAdminRules.sol";
import {SettlementToken} from "../src/SettlementToken.sol";
import {ISettlementToken} from "../src/interfaces/ISettlementToken.sol";
import {ICashTokenDirectory} from "../src/interfaces/ICashTokenDirectory.sol";
import {SettlementTestBase} from "./SettlementTestBase.sol";

contract CashSettlementTokenTest is SettlementTestBase {
    function test_Constructor_SetsMetadataAndRoles() public view {
        assertEq(cny.name(), "Cascade CNY");
        assertEq(cny.symbol(), "cCNY");
        assertEq(cny.decimals(), 2);
        assertEq(cny.totalSupply(), 0);
        assertTrue(cny.hasRole(DEFAULT_ADMIN_ROLE, admin));
        // Minting is the cash issuer's own key, granted after deployment; the admin cannot mint.
        assertFalse(cny.hasRole(MINTER_ROLE, admin));
        assertTrue(cny.hasRole(MINTER_ROLE, minter));
        assertEq(cny.defaultAdminDelay(), ADMIN_DELAY);
        assertEq(cny.MINTER_ROLE(), MINTER_ROLE);
        assertTrue(cny.isTrustedForwarder(address(forwarder)));
    }

    function test_Constructor_OtherDecimals() public {
        SettlementToken jpy = new SettlementToken("Cascade JPY", "cJPY", 0, address(forwarder), admin, ADMIN_DELAY);
        assertEq(jpy.decimals(), 0);
    }

    function test_RevertWhen_ConstructorAdminIsZero() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControlDefaultAdminRules.AccessControlInvalidDefaultAdmin.selector, address(0)
            )
        );
        new SettlementToken("Cascade CNY", "cCNY", 2, address(forwarder), address(0), ADMIN_DELAY);
    }

    function test_Mint_CreditsAndEmitsTransfer() public {
        vm.expectEmit(address(cny));
        emit IERC20.Transfer(address(0), supplierA, 123_45);
        _mint(cny, supplierA, 123_45);
        assertEq(cny.balanceOf(supplierA), 123_45);
        assertEq(cny.totalSupply(), 123_45);
    }

    function test_Mint_ByGrantedMinter() public {
        address second = makeAddr("second minter");
        vm.prank(admin);
        cny.grantRole(MINTER_ROLE, second);
        vm.prank(second);
        cny.mint(supplierB, 1);
        assertEq(cny.balanceOf(supplierB), 1);
    }

    function test_RevertWhen_MintByAdmin() public {
        vm.expectRevert(_unauthorized(admin, MINTER_ROLE));
        vm.prank(admin);
        cny.mint(admin, 100);
    }

    function test_RevertWhen_MintByNonMinter() public {
        vm.expectRevert(_unauthorized(supplierA, MINTER_ROLE));
        vm.prank(supplierA);
        cny.mint(supplierA, 100);
    }

    function test_RevertWhen_MintToZeroAddress() public {
        vm.expectRevert(ISettlementToken.CashZeroAddress.selector);
        vm.prank(minter);
        cny.mint(address(0), 100);
    }

    function test_RevertWhen_MintZeroAmount() public {
        vm.expectRevert(ISettlementToken.CashZeroAmount.selector);
        vm.prank(minter);
        cny.mint(supplierA, 0);
    }

    function test_ApproveThroughForwarder_WithoutEther() public {
        assertEq(supplierA.balance, 0);
        _relay(supplierAKey, address(cny), abi.encodeCall(IERC20.approve, (address(desk), 5_000)));
        assertEq(cny.allowance(supplierA, address(desk)), 5_000);
        assertEq(cny.allowance(relayer, address(desk)), 0);
    }

    function test_TransferThroughForwarder_MovesSignersCash() public {
        _mint(cny, supplierA, 1_000);
        _relay(supplierAKey, address(cny), abi.encodeCall(IERC20.transfer, (supplierB, 400)));
        assertEq(cny.balanceOf(supplierA), 600);
        assertEq(cny.balanceOf(supplierB), 400);
    }

    function test_RevertWhen_TransferAboveBalance() public {
        _mint(cny, supplierA, 10);
        vm.expectRevert(abi.encodeWithSelector(IERC20Errors.ERC20InsufficientBalance.selector, supplierA, 10, 11));
        vm.prank(supplierA);
        cny.transfer(supplierB, 11);
    }

    function test_SupportsAccessControlInterface() public view {
        assertTrue(cny.supportsInterface(0x7965db0b)); // IAccessControl
        assertTrue(cny.supportsInterface(0x01ffc9a7)); // IERC165
    }

    // ------------------------------------------------------------ cash token directory (shared base)

    function test_SetCashToken_RegistersAndEmits() public {
        bytes8 eur = bytes8("EUR");
        SettlementToken ceur = new SettlementToken("Cascade EUR", "cEUR", 2, address(forwarder), admin, ADMIN_DELAY);
        vm.expectEmit(address(desk));
        emit ICashTokenDirectory.CashTokenSet(eur, address(ceur), address(0));
        vm.prank(admin);
        desk.setCashToken(eur, ceur);
        assertEq(address(desk.cashTokenOf(eur)), address(ceur));

        vm.expectEmit(address(desk));
        emit ICashTokenDirectory.CashTokenSet(eur, address(0), address(ceur));
        vm.prank(admin);
        desk.setCashToken(eur, IERC20(address(0)));
        assertEq(address(desk.cashTokenOf(eur)), address(0));
    }

    function test_RevertWhen_SetCashTokenByNonAdmin() public {
        vm.expectRevert(_unauthorized(supplierA, DEFAULT_ADMIN_ROLE));
        vm.prank(supplierA);
        vault.setCashToken(CNY, cny);
    }

    function test_RevertWhen_SetCashTokenZeroCurrency() public {
        vm.expectRevert(ICashTokenDirectory.CashInvalidCurrency.selector);
        vm.prank(admin);
        programme.setCashToken(bytes8(0), cny);
    }

    function test_RevertWhen_SetCashTokenWithoutCode() public {
        vm.expectRevert(abi.encodeWithSelector(ICashTokenDirectory.CashInvalidToken.selector, outsider));
        vm.prank(admin);
        desk.setCashToken(CNY, IERC20(outsider));
    }

    function test_RevertWhen_SetCashTokenDecimalsDiffer() public {
        SettlementToken jpy = new SettlementToken("Cascade JPY", "cJPY", 0, address(forwarder), admin, ADMIN_DELAY);
        vm.expectRevert(abi.encodeWithSelector(ICashTokenDirectory.CashDecimalsMismatch.selector, address(jpy), 0, 2));
        vm.prank(admin);
        desk.setCashToken(bytes8("JPY"), jpy);
    }
}
