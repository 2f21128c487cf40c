// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC3525} from "@solvprotocol/erc-3525/IERC3525.sol";
import {IParticipantRegistry} from "./IParticipantRegistry.sol";
import {IReceivableNote} from "./IReceivableNote.sol";

/// @title The parts of the Cascade receivable note that the financing and settlement contracts use
/// @notice `ReceivableNote` implements all of it: the voucher layer (`IReceivableNote`), the ERC-3525
///         value layer (`IERC3525`, which brings ERC-721 ownership) and the registry it consults.
///         Declared separately so those contracts depend on an interface, not on the note's code.
interface ICascadeNote is IReceivableNote, IERC3525 {
    /// @notice The participant registry the note consults on every movement.
    function registry() external view returns (IParticipantRegistry);
}
