// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC2771Forwarder} from "@openzeppelin/contracts/metatx/ERC2771Forwarder.sol";

/// @title Relays participants' signed requests to the note contract
/// @notice OpenZeppelin's ERC2771Forwarder unchanged; it exists as its own file so that the
///         deployment compiles and names it alongside the other Cascade contracts.
contract CascadeForwarder is ERC2771Forwarder {
    constructor() ERC2771Forwarder("CascadeForwarder") {}
}
