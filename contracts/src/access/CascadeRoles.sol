// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title The role vocabulary of every Cascade contract
/// @notice One key per role (least privilege); `DEFAULT_ADMIN_ROLE` (0x00) only grants and revokes them
///         and changes hands through CascadeAccess's delayed two-step transfer.
///         | role                  | held by                          | may                                       |
///         | ISSUER_ROLE           | the service's issuer account     | issue vouchers (note)                     |
///         | COMPLIANCE_AGENT_ROLE | the compliance agent account     | identities (registry), freezes, forced    |
///         |                       |                                  | transfers, recovery, caps, limits (note)  |
///         | ORACLE_ROLE           | the oracle account               | FX feed answers, logistics milestones     |
///         | PAUSER_ROLE           | the pauser account               | pause the ledger or one voucher (note)    |
///         | REDEEMER_ROLE         | settlement contracts only        | burn paid value (note); never an EOA      |
///         | MINTER_ROLE           | the cash issuer (local chain)    | mint test settlement cash                 |
library CascadeRoles {
    bytes32 internal constant ISSUER_ROLE = keccak256("ISSUER_ROLE");
    bytes32 internal constant COMPLIANCE_AGENT_ROLE = keccak256("COMPLIANCE_AGENT_ROLE");
    bytes32 internal constant ORACLE_ROLE = keccak256("ORACLE_ROLE");
    bytes32 internal constant PAUSER_ROLE = keccak256("PAUSER_ROLE");
    bytes32 internal constant REDEEMER_ROLE = keccak256("REDEEMER_ROLE");
    bytes32 internal constant MINTER_ROLE = keccak256("MINTER_ROLE");
}
