// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {IIdentityRegistry} from "./IIdentityRegistry.sol";

/// @title A yield token of one offering: the ERC-3643 token interface on a plain ERC-20
/// @notice One token per minor unit of the offered note value (decimals = the note's value decimals, the
///         currency's minor digits: 2 for CNY), so a holder of `n` tokens holds a claim on `n` minor units
///         of the voucher's face value, paid at maturity through the OfferingVault.
///
///         ERC-3643 ("T-REX") names, events and semantics, implemented on OpenZeppelin's ERC-20:
///         - every holder transfer (`transfer`, `transferFrom`, `batchTransfer`) is checked against the
///           same identity registry as the notes: sender and recipient verified with a current KYC, the
///           recipient's country among the offering's allowed investor countries (if it lists any),
///           neither address frozen, the token not paused, and only unfrozen tokens move;
///         - the compliance agent (the note's COMPLIANCE_AGENT_ROLE holder) freezes addresses and
///           amounts, moves tokens by `forcedTransfer` (overriding freezes and the pause; the recipient
///           must still be eligible) and moves a lost wallet's tokens by `recoveryAddress`;
///         - the note's PAUSER_ROLE holder pauses and resumes the token;
///         - only the offering's vault mints and burns (no account holds a minter role); it is never a
///           transfer recipient: the tokens it holds are exactly the offering's unsold tokens.
///         Left out of ERC-3643 on purpose: setName/setSymbol/setOnchainID/setIdentityRegistry/
///         setCompliance (fixed per offering; the registry is the notes' registry), batchMint/batchBurn
///         (the vault mints once), ONCHAINID claims (`onchainID()` is zero; identities live in the registry).
///         `compliance()` answers this token itself: its transfer rules are built in, `canTransfer` is
///         their dry run.
interface IYieldToken is IERC20Metadata {
    // ---------------------------------------------------------------- ERC-3643 events

    /// @notice ERC-3643: the token's information was set (at initialisation).
    event UpdatedTokenInformation(
        string newName, string newSymbol, uint8 newDecimals, string newVersion, address newOnchainID
    );
    /// @notice ERC-3643: the identity registry was set (at initialisation).
    event IdentityRegistryAdded(address indexed identityRegistry);
    /// @notice ERC-3643: the compliance contract was set (at initialisation; this token itself).
    event ComplianceAdded(address indexed compliance);
    /// @notice ERC-3643: `lostWallet`'s tokens were moved to `newWallet` by the agent.
    event RecoverySuccess(address indexed lostWallet, address indexed newWallet, address indexed investorOnchainID);
    /// @notice ERC-3643: `owner` (the agent) froze (`isFrozen`) or unfroze `userAddress`.
    event AddressFrozen(address indexed userAddress, bool indexed isFrozen, address indexed owner);
    /// @notice ERC-3643: `amount` more of `userAddress`'s tokens were frozen.
    event TokensFrozen(address indexed userAddress, uint256 amount);
    /// @notice ERC-3643: `amount` of `userAddress`'s frozen tokens were unfrozen.
    event TokensUnfrozen(address indexed userAddress, uint256 amount);

    // ---------------------------------------------------------------- errors

    /// @dev The implementation is initialised once per clone, by the vault that cloned it.
    error YieldTokenAlreadyInitialized();
    /// @dev Only the offering's vault mints and burns; `caller` is not it.
    error YieldTokenCallerNotVault(address caller);
    /// @dev The zero address was given where an account is needed.
    error YieldTokenZeroAddress();
    /// @dev A zero amount was given where tokens must move or be frozen.
    error YieldTokenZeroAmount();
    /// @dev `account` is frozen: it sends and receives nothing.
    error YieldTokenFrozen(address account);
    /// @dev Only `unfrozen` of `account`'s tokens may move; `amount` was asked.
    error YieldTokenInsufficientUnfrozen(address account, uint256 unfrozen, uint256 amount);
    /// @dev Freezing `amount` more of `account`'s tokens exceeds its `unfrozen` tokens.
    error YieldTokenFreezeExceedsBalance(address account, uint256 unfrozen, uint256 amount);
    /// @dev Unfreezing `amount` of `account`'s tokens exceeds its `frozen` tokens.
    error YieldTokenUnfreezeExceedsFrozen(address account, uint256 frozen, uint256 amount);
    /// @dev `account` is not a verified participant.
    error YieldTokenNotVerified(address account);
    /// @dev `account`'s KYC expired at `kycExpiresAt`.
    error YieldTokenKycExpired(address account, uint256 kycExpiresAt);
    /// @dev `account`'s country `country` is not among the offering's allowed investor countries.
    error YieldTokenCountryNotAllowed(address account, bytes2 country);
    /// @dev The vault `vault` receives tokens only by minting (its balance is the unsold supply).
    error YieldTokenVaultNotRecipient(address vault);
    /// @dev The agent's controls do not apply to the vault's unsold tokens (act on the note instead).
    error YieldTokenVaultAccount(address vault);
    /// @dev Batch arrays of different lengths.
    error YieldTokenBatchLengthMismatch();
    /// @dev A recovery needs a new wallet distinct from the lost one and holding no tokens.
    error YieldTokenRecoveryWalletInUse(address newWallet);
    /// @dev `country` is not an assigned ISO 3166-1 alpha-2 code (or is listed twice).
    error YieldTokenInvalidCountry(bytes2 country);
    /// @dev An offering lists at most `max` allowed countries; `count` were given.
    error YieldTokenTooManyCountries(uint256 count, uint256 max);

    // ---------------------------------------------------------------- ERC-3643 functions

    /// @notice ERC-3643: the identity registry consulted on every transfer (the notes' registry).
    function identityRegistry() external view returns (IIdentityRegistry);

    /// @notice ERC-3643: the compliance contract; this token itself (its rules are built in).
    function compliance() external view returns (address);

    /// @notice ERC-3643: the token's ONCHAINID; zero (identities live in the registry).
    function onchainID() external view returns (address);

    /// @notice ERC-3643: the token implementation's version.
    function version() external pure returns (string memory);

    /// @notice ERC-3643: whether `userAddress` is frozen.
    function isFrozen(address userAddress) external view returns (bool);

    /// @notice ERC-3643: how many of `userAddress`'s tokens are frozen.
    function getFrozenTokens(address userAddress) external view returns (uint256);

    /// @notice ERC-3643: freezes (`freeze`) or unfreezes `userAddress`. Compliance agent only.
    function setAddressFrozen(address userAddress, bool freeze) external;

    /// @notice ERC-3643: freezes `amount` more of `userAddress`'s tokens (at most its unfrozen tokens).
    ///         Compliance agent only.
    function freezePartialTokens(address userAddress, uint256 amount) external;

    /// @notice ERC-3643: unfreezes `amount` of `userAddress`'s frozen tokens. Compliance agent only.
    function unfreezePartialTokens(address userAddress, uint256 amount) external;

    /// @notice ERC-3643: moves `amount` from `from` to `to` whatever the freezes and the pause (frozen tokens
    ///         the move needs are unfrozen first, TokensUnfrozen); `to` must be eligible (verified, KYC
    ///         current, allowed country). Compliance agent only.
    function forcedTransfer(address from, address to, uint256 amount) external returns (bool);

    /// @notice ERC-3643: moves every token of `lostWallet` (frozen ones stay frozen) to `newWallet`
    ///         (eligible, holding none). `newWallet` takes over an address freeze; `lostWallet` ends
    ///         frozen, its key being compromised. Compliance agent only.
    function recoveryAddress(address lostWallet, address newWallet, address investorOnchainID)
        external
        returns (bool);

    /// @notice ERC-3643: `transfer` to each of `toList`, all or nothing.
    function batchTransfer(address[] calldata toList, uint256[] calldata amounts) external;

    /// @notice ERC-3643: `forcedTransfer` for each triple. Compliance agent only.
    function batchForcedTransfer(address[] calldata fromList, address[] calldata toList, uint256[] calldata amounts)
        external;

    /// @notice ERC-3643: `setAddressFrozen` for each pair. Compliance agent only.
    function batchSetAddressFrozen(address[] calldata userAddresses, bool[] calldata freeze) external;

    /// @notice ERC-3643: `freezePartialTokens` for each pair. Compliance agent only.
    function batchFreezePartialTokens(address[] calldata userAddresses, uint256[] calldata amounts) external;

    /// @notice ERC-3643: `unfreezePartialTokens` for each pair. Compliance agent only.
    function batchUnfreezePartialTokens(address[] calldata userAddresses, uint256[] calldata amounts) external;

    /// @notice ERC-3643: mints `amount` to `to`. The offering's vault only.
    function mint(address to, uint256 amount) external;

    /// @notice ERC-3643: burns `amount` of `userAddress`'s unfrozen tokens. The offering's vault only.
    /// @dev Stricter than T-REX, which unfreezes what a burn needs: frozen tokens never move here.
    function burn(address userAddress, uint256 amount) external;

    /// @notice ERC-3643: stops every holder transfer, mint and burn. The note's PAUSER_ROLE holder only.
    function pause() external;

    /// @notice ERC-3643: resumes the token. The note's PAUSER_ROLE holder only.
    function unpause() external;

    /// @notice ERC-3643: whether the token is paused.
    function paused() external view returns (bool);

    // ---------------------------------------------------------------- Cascade views

    /// @notice Whether a holder transfer of `amount` from `from` to `to` would pass now (the dry run of the
    ///         rules above; a sender's allowance is not considered).
    function canTransfer(address from, address to, uint256 amount) external view returns (bool);

    /// @notice The offering's vault (the only minter and burner).
    function vault() external view returns (address);

    /// @notice The offering this token belongs to (the vault's offering id).
    function offeringId() external view returns (uint256);

    /// @notice The investor countries allowed to receive the token (empty: every country).
    function allowedCountries() external view returns (bytes2[] memory);

    /// @notice Whether an account of `country` may receive the token.
    function isCountryAllowed(bytes2 country) external view returns (bool);
}
