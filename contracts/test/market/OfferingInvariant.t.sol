// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IOfferingVault} from "../../src/interfaces/IOfferingVault.sol";
import {YieldToken} from "../../src/market/YieldToken.sol";
import {OfferingHandler} from "../handlers/OfferingHandler.sol";
import {MarketTestBase} from "./MarketTestBase.sol";

/// @dev Invariants of one offering over random sequences: the backing, the unsold tokens, the cash.
contract OfferingInvariantTest is MarketTestBase {
    OfferingHandler internal handler;
    uint256 internal id;
    YieldToken internal token;
    uint256 internal constant OFFERED = 60_000_000;

    function setUp() public override {
        super.setUp();
        id = _open(OFFERED, RATE);
        token = _token(id);
        address[] memory investors = new address[](3);
        (investors[0], investors[1], investors[2]) = (investorA, investorB, investorUS);
        handler = new OfferingHandler(market, vault, cny, obligor, minter, id, investors);
        targetContract(address(handler));
    }

    /// @dev Until maturity the tokens outstanding equal the note value the vault holds for the offering.
    function invariant_TokensOutstandingEqualTheBackingUntilMaturity() public view {
        if (block.timestamp >= maturityAt) return;
        IOfferingVault.Offering memory o = market.offering(id);
        assertEq(token.totalSupply(), note.balanceOf(o.vaultTokenId));
        assertEq(token.totalSupply(), o.noteValue);
        assertEq(token.totalSupply(), OFFERED - handler.ghostWithdrawn());
    }

    function invariant_VaultHoldsExactlyTheUnsoldTokens() public view {
        assertEq(token.balanceOf(address(market)), market.offering(id).unsold);
    }

    function invariant_RedemptionsAreTheGhostSum_AndNeverExceedCashReceived() public view {
        IOfferingVault.Offering memory o = market.offering(id);
        assertEq(o.cashRedeemed, handler.ghostRedeemedCash());
        assertEq(o.tokensRedeemed, handler.ghostRedeemedTokens());
        assertLe(o.cashRedeemed, o.cashReceived);
        assertEq(token.totalSupply() + o.tokensRedeemed + handler.ghostWithdrawn(), OFFERED);
        assertFalse(handler.ghostLastRedemptionInexact(), "the last redemption pays exactly what is left");
    }

    /// @dev The vault holds no purchase cash; its settlement cash is what it accounted as received and has
    ///      not paid out, plus what payouts brought since it last looked (the backing value burned since).
    function invariant_VaultCashIsReceivedMinusRedeemed() public view {
        IOfferingVault.Offering memory o = market.offering(id);
        uint256 pending = o.noteValue - note.balanceOf(o.vaultTokenId);
        assertEq(cny.balanceOf(address(market)), o.cashReceived - o.cashRedeemed + pending);
        (,, uint256 received, uint256 available,) = market.redemptionStatus(id);
        assertEq(received, o.cashReceived + pending);
        assertEq(available, cny.balanceOf(address(market)));
    }

    /// @dev Cash received equals the backing value the settlement burned (one unit per unit, domestic).
    function invariant_CashReceivedIsTheBackingPaid() public view {
        IOfferingVault.Offering memory o = market.offering(id);
        assertEq(o.cashReceived, OFFERED - handler.ghostWithdrawn() - o.noteValue);
    }

    function invariant_PurchasesConserveCash() public view {
        assertEq(market.offering(id).cashRaised, handler.ghostPrimaryCash());
        assertEq(handler.ghostSecondaryCashPaid(), handler.ghostSecondaryCashReceived());
        assertGe(cny.balanceOf(supplierA), handler.ghostPrimaryCash());
    }
}
