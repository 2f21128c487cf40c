// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {OfferingVault} from "../../src/market/OfferingVault.sol";
import {YieldToken} from "../../src/market/YieldToken.sol";
import {IOfferingVault} from "../../src/interfaces/IOfferingVault.sol";
import {SettlementTestBase} from "../SettlementTestBase.sol";

/// @dev The whole stack plus the market as production wires it: the YieldToken implementation, the
///      OfferingVault (cash token of CNY registered by the admin; registered by the compliance agent as a
///      platform contract, role 5, so the note lets it hold pieces), three investors (two in CN, one in
///      US) holding cash and having approved the vault, and supplier A holding a 1,000,000.00 CNY voucher
///      maturing in 180 days.
abstract contract MarketTestBase is SettlementTestBase {
    uint256 internal constant FACE = 100_000_000; // 1,000,000.00 CNY
    uint256 internal constant TERM = 180 days;
    uint256 internal constant RATE = 600; // 6.00% a year
    uint256 internal constant CASH = 1_000_000_000;

    YieldToken internal tokenImplementation;
    OfferingVault internal market;

    address internal investorA;
    uint256 internal investorAKey;
    address internal investorB;
    uint256 internal investorBKey;
    address internal investorUS;

    uint256 internal slot;
    uint256 internal rootToken;
    uint256 internal maturityAt;

    function setUp() public virtual override {
        super.setUp();
        tokenImplementation = new YieldToken(note, address(forwarder));
        market = new OfferingVault(note, vault, tokenImplementation, address(forwarder), admin, ADMIN_DELAY);
        vm.prank(admin);
        market.setCashToken(CNY, cny);
        vm.prank(agent);
        registry.setIdentity(address(market), true, block.timestamp + 3650 days, bytes2("CN"), 5, REASON);

        (investorA, investorAKey) = makeAddrAndKey("investorA");
        (investorB, investorBKey) = makeAddrAndKey("investorB");
        investorUS = makeAddr("investorUS");
        _verifyAs(investorA, 4);
        _verifyAs(investorB, 4);
        vm.prank(agent);
        registry.setIdentity(investorUS, true, block.timestamp + 730 days, bytes2("US"), 4, REASON);
        address[3] memory investors = [investorA, investorB, investorUS];
        for (uint256 i; i < investors.length; ++i) {
            _mint(cny, investors[i], CASH);
            _approve(cny, investors[i], address(market), type(uint256).max);
        }
        maturityAt = block.timestamp + TERM;
        (slot, rootToken) = _issue(supplierA, FACE, 1, maturityAt);
    }

    // ------------------------------------------------------------ helpers

    function _cn() internal pure returns (bytes2[] memory list) {
        list = new bytes2[](1);
        list[0] = "CN";
    }

    /// @dev Supplier A offers `value` of its root piece at `rate` (ACT/360), no minimum, open until maturity.
    function _open(uint256 value, uint256 rate) internal returns (uint256 offeringId) {
        return _openAs(supplierA, rootToken, value, rate, 360, 0, maturityAt, new bytes2[](0));
    }

    function _openAs(
        address seller,
        uint256 tokenId,
        uint256 value,
        uint256 rate,
        uint256 dayCount,
        uint256 minimum,
        uint256 closesAt,
        bytes2[] memory countries
    ) internal returns (uint256 offeringId) {
        vm.startPrank(seller);
        note.approve(tokenId, address(market), value);
        offeringId = market.openOffering(tokenId, value, rate, dayCount, minimum, closesAt, countries);
        vm.stopPrank();
    }

    function _subscribe(address investor, uint256 offeringId, uint256 amount) internal returns (uint256) {
        vm.prank(investor);
        return market.subscribe(offeringId, amount, type(uint256).max);
    }

    function _token(uint256 offeringId) internal view returns (YieldToken) {
        return YieldToken(market.offering(offeringId).token);
    }

    function _vaultPiece(uint256 offeringId) internal view returns (uint256) {
        return market.offering(offeringId).vaultTokenId;
    }

    /// @dev The obligor funds `amount` of the voucher's settlement.
    function _fund(uint256 amount) internal {
        _mint(cny, obligor, amount);
        _approve(cny, obligor, address(vault), amount);
        vm.prank(obligor);
        vault.fund(slot, amount);
    }

    function _payoutPiece(uint256 tokenId) internal returns (uint256) {
        uint256[] memory ids = new uint256[](1);
        ids[0] = tokenId;
        return vault.payout(slot, ids);
    }

    /// @dev The exact discount-rate price rounded down: amount - ceil(amount * rate * days / (10000 * basis)).
    function _expectedPrice(uint256 amount, uint256 rate, uint256 days_, uint256 basis)
        internal
        pure
        returns (uint256)
    {
        uint256 numerator = amount * rate * days_;
        uint256 denominator = 10_000 * basis;
        uint256 discount = (numerator + denominator - 1) / denominator;
        return amount - discount;
    }

    function _daysLeft() internal view returns (uint256) {
        return block.timestamp >= maturityAt ? 0 : (maturityAt - block.timestamp) / 1 days;
    }

    function _offering(uint256 offeringId) internal view returns (IOfferingVault.Offering memory) {
        return market.offering(offeringId);
    }
}
