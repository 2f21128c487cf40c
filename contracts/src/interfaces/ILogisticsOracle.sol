// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Shipment milestones of vouchers, attested on chain by an oracle account
/// @notice Milestones of a voucher's goods: 0 None, 1 Shipped, 2 CustomsCleared, 3 Delivered. They only
///         move forward (a later milestone may be attested without the earlier ones: delivered goods
///         were shipped). The financing desk reads them to enforce a quote's required milestone and its
///         pre-delivery financing cap.
interface ILogisticsOracle {
    /// @notice Emitted after `oracle` attested that voucher `slot` reached `milestone`, with `evidenceHash`
    ///         (e.g. the hash of a bill of lading or a customs declaration).
    event MilestoneAttested(
        uint256 indexed slot, uint8 indexed milestone, bytes32 evidenceHash, address indexed oracle
    );

    /// @dev No voucher `slot` exists on the note.
    error LogisticsUnknownVoucher(uint256 slot);
    /// @dev `milestone` is not 1 (Shipped), 2 (CustomsCleared) or 3 (Delivered).
    error LogisticsInvalidMilestone(uint256 milestone);
    /// @dev Voucher `slot` is at `current` already; milestones only move forward.
    error LogisticsMilestoneNotForward(uint256 slot, uint256 current, uint256 milestone);
    /// @dev An attestation needs the hash of its evidence.
    error LogisticsMissingEvidence();
    /// @dev The zero address was given where a contract is needed.
    error LogisticsZeroAddress();

    /// @notice Records that voucher `slot` reached `milestone`. ORACLE_ROLE only.
    function attest(uint256 slot, uint8 milestone, bytes32 evidenceHash) external;

    /// @notice The latest milestone of voucher `slot` (0 if none).
    function milestoneOf(uint256 slot) external view returns (uint8);

    /// @notice When `milestone` of voucher `slot` was attested and with which evidence (zeros if it was not).
    function attestationOf(uint256 slot, uint8 milestone)
        external
        view
        returns (bytes32 evidenceHash, uint256 attestedAt);
}
