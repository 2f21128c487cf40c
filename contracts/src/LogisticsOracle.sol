// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {CascadeAccess} from "./access/CascadeAccess.sol";
import {CascadeRoles} from "./access/CascadeRoles.sol";
import {ILogisticsOracle} from "./interfaces/ILogisticsOracle.sol";
import {ICascadeNote} from "./interfaces/ICascadeNote.sol";

/// @title Logistics milestones of vouchers (shipped, customs cleared, delivered)
/// @notice See ILogisticsOracle. The oracle role attests; the financing desk reads.
contract LogisticsOracle is ILogisticsOracle, CascadeAccess {
    /// @notice The role allowed to attest milestones.
    bytes32 public constant ORACLE_ROLE = CascadeRoles.ORACLE_ROLE;
    /// @notice Milestone codes.
    uint8 public constant SHIPPED = 1;
    uint8 public constant CUSTOMS_CLEARED = 2;
    uint8 public constant DELIVERED = 3;

    struct Attestation {
        bytes32 evidenceHash;
        uint64 attestedAt;
    }

    ICascadeNote private immutable _note;
    mapping(uint256 slot => uint8) private _milestones;
    mapping(uint256 slot => mapping(uint8 milestone => Attestation)) private _attestations;

    constructor(ICascadeNote note_, address trustedForwarder_, address admin, uint48 adminTransferDelay)
        CascadeAccess(trustedForwarder_, admin, adminTransferDelay)
    {
        if (address(note_) == address(0)) revert LogisticsZeroAddress();
        _note = note_;
    }

    /// @inheritdoc ILogisticsOracle
    function attest(uint256 slot, uint8 milestone, bytes32 evidenceHash) external onlyRole(ORACLE_ROLE) {
        if (slot == 0 || slot > _note.voucherCount()) revert LogisticsUnknownVoucher(slot);
        if (milestone == 0 || milestone > DELIVERED) revert LogisticsInvalidMilestone(milestone);
        uint8 current = _milestones[slot];
        if (milestone <= current) revert LogisticsMilestoneNotForward(slot, current, milestone);
        if (evidenceHash == bytes32(0)) revert LogisticsMissingEvidence();
        _milestones[slot] = milestone;
        // cast: block times fit uint64 for billions of years.
        _attestations[slot][milestone] = Attestation({evidenceHash: evidenceHash, attestedAt: uint64(block.timestamp)});
        emit MilestoneAttested(slot, milestone, evidenceHash, _msgSender());
    }

    /// @inheritdoc ILogisticsOracle
    function milestoneOf(uint256 slot) external view returns (uint8) {
        return _milestones[slot];
    }

    /// @inheritdoc ILogisticsOracle
    function attestationOf(uint256 slot, uint8 milestone) external view returns (bytes32, uint256) {
        Attestation storage attestation = _attestations[slot][milestone];
        return (attestation.evidenceHash, attestation.attestedAt);
    }

    /// @notice The note whose vouchers this oracle follows.
    function note() external view returns (ICascadeNote) {
        return _note;
    }
}
