// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ReceivableNote} from "../src/ReceivableNote.sol";
import {ReceivableNoteExtension} from "../src/note/ReceivableNoteExtension.sol";
import {ParticipantRegistry} from "../src/ParticipantRegistry.sol";
import {CascadeForwarder} from "../src/CascadeForwarder.sol";
import {SettlementToken} from "../src/SettlementToken.sol";
import {FxPriceFeed} from "../src/fx/FxPriceFeed.sol";
import {FxRateDirectory} from "../src/fx/FxRateDirectory.sol";
import {LogisticsOracle} from "../src/LogisticsOracle.sol";
import {FinancingDesk} from "../src/FinancingDesk.sol";
import {EarlyPaymentProgram} from "../src/EarlyPaymentProgram.sol";
import {SettlementVault} from "../src/SettlementVault.sol";
import {TransferLimitModule} from "../src/compliance/TransferLimitModule.sol";
import {OfferingVault} from "../src/market/OfferingVault.sol";
import {YieldToken} from "../src/market/YieldToken.sol";
import {SettlementTestBase} from "./SettlementTestBase.sol";

/// @dev Real networks (Besu, Geth) refuse runtime code above 24,576 bytes (EIP-170) and initcode above
///      49,152 bytes (EIP-3860); the local Anvil does not. Every contract the deployment creates, measured
///      as deployed here with the project's compiler settings (the service compiles with the same ones).
contract CodeSizeTest is SettlementTestBase {
    uint256 internal constant EIP170_RUNTIME_LIMIT = 24_576;
    uint256 internal constant EIP3860_INITCODE_LIMIT = 49_152;
    /// @dev Room for constructor arguments (the longest are the note's two strings).
    uint256 internal constant ARGUMENTS = 1_024;

    function test_Size_EveryDeployedContractFitsEip170() public {
        YieldToken yieldTokenImplementation = new YieldToken(note, address(forwarder));
        OfferingVault market =
            new OfferingVault(note, vault, yieldTokenImplementation, address(forwarder), admin, ADMIN_DELAY);
        address[15] memory deployed = [
            address(note),
            note.extension(),
            note.limitModule(),
            address(registry),
            address(forwarder),
            address(cny),
            address(usdCnyFeed),
            address(fx),
            address(logistics),
            address(desk),
            address(programme),
            address(vault),
            address(usd),
            address(yieldTokenImplementation),
            address(market)
        ];
        for (uint256 i; i < deployed.length; ++i) {
            assertGt(deployed[i].code.length, 0);
            assertLe(deployed[i].code.length, EIP170_RUNTIME_LIMIT, vm.toString(deployed[i]));
        }
    }

    function test_Size_EveryInitcodeFitsEip3860() public pure {
        bytes[14] memory initcodes = [
            type(ReceivableNote).creationCode,
            type(ReceivableNoteExtension).creationCode,
            type(TransferLimitModule).creationCode,
            type(ParticipantRegistry).creationCode,
            type(CascadeForwarder).creationCode,
            type(SettlementToken).creationCode,
            type(FxPriceFeed).creationCode,
            type(FxRateDirectory).creationCode,
            type(LogisticsOracle).creationCode,
            type(FinancingDesk).creationCode,
            type(EarlyPaymentProgram).creationCode,
            type(SettlementVault).creationCode,
            type(YieldToken).creationCode,
            type(OfferingVault).creationCode
        ];
        for (uint256 i; i < initcodes.length; ++i) {
            assertLe(initcodes[i].length + ARGUMENTS, EIP3860_INITCODE_LIMIT);
        }
    }
}
