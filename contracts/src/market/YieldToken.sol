// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {ERC2771Context} from "@openzeppelin/contracts/metatx/ERC2771Context.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {Context} from "@openzeppelin/contracts/utils/Context.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {CascadeRoles} from "../access/CascadeRoles.sol";
import {ICascadeNote} from "../interfaces/ICascadeNote.sol";
import {IIdentityRegistry} from "../interfaces/IIdentityRegistry.sol";
import {IYieldToken} from "../interfaces/IYieldToken.sol";

/// @title Dynamic-discount yield token of one offering (ERC-3643 interface on OpenZeppelin ERC-20)
/// @notice See IYieldToken for the rules. Deployed once as an implementation; the OfferingVault clones it
///         (EIP-1167) for every offering and initialises the clone, becoming its vault. What all offerings
///         share (the note whose roles govern the token, the registry, the decimals, the ERC-2771
///         forwarder) is immutable in the implementation's code, which every clone runs; what is per
///         offering (name, symbol, vault, offering id, allowed countries, balances, freezes) is in the
///         clone's storage.
/// @dev Not built on T-REX: the suite pins solc 0.8.17 exactly and is GPL-3.0; the interface is
///      implemented here on MIT OpenZeppelin code. The rule "frozen tokens never move" is enforced in
///      `_update`, the one core every balance change goes through: after any debit the holder keeps at
///      least its frozen tokens (a forced transfer unfreezes what it needs first, and says so).
contract YieldToken is IYieldToken, ERC20, Pausable, ERC2771Context {
    /// @notice Most allowed investor countries one offering may list.
    uint256 public constant MAX_COUNTRIES = 16;

    bytes32 private constant _AGENT_ROLE = CascadeRoles.COMPLIANCE_AGENT_ROLE;
    bytes32 private constant _PAUSER_ROLE = CascadeRoles.PAUSER_ROLE;

    ICascadeNote private immutable _note;
    IIdentityRegistry private immutable _registry;
    uint8 private immutable _decimals;

    // Per clone (storage).
    address private _vault;
    uint256 private _offeringId;
    string private _tokenName;
    string private _tokenSymbol;
    bytes2[] private _countries;
    mapping(address account => bool) private _frozen;
    mapping(address account => uint256) private _frozenTokens;

    /// @param note_ the note whose COMPLIANCE_AGENT_ROLE and PAUSER_ROLE holders govern every clone, and
    ///        whose registry and value decimals the clones use
    constructor(ICascadeNote note_, address trustedForwarder_) ERC20("", "") ERC2771Context(trustedForwarder_) {
        if (address(note_) == address(0)) revert YieldTokenZeroAddress();
        _note = note_;
        _registry = note_.registry();
        _decimals = note_.valueDecimals();
        // The implementation itself can never be initialised (only its clones are).
        _vault = address(this);
    }

    /// @notice Sets up a fresh clone for offering `offeringId_`; the caller becomes its vault.
    /// @param allowedCountries_ ISO 3166-1 alpha-2 codes of the investor countries that may receive the
    ///        token (empty: any country), at most MAX_COUNTRIES, no repeats
    function initialize(
        uint256 offeringId_,
        string calldata name_,
        string calldata symbol_,
        bytes2[] calldata allowedCountries_
    ) external {
        if (_vault != address(0)) revert YieldTokenAlreadyInitialized();
        if (allowedCountries_.length > MAX_COUNTRIES) {
            revert YieldTokenTooManyCountries(allowedCountries_.length, MAX_COUNTRIES);
        }
        for (uint256 i; i < allowedCountries_.length; ++i) {
            bytes2 country = allowedCountries_[i];
            if (!_registry.isCountryCode(country)) revert YieldTokenInvalidCountry(country);
            for (uint256 j; j < i; ++j) {
                if (allowedCountries_[j] == country) revert YieldTokenInvalidCountry(country);
            }
            _countries.push(country);
        }
        _vault = msg.sender;
        _offeringId = offeringId_;
        _tokenName = name_;
        _tokenSymbol = symbol_;
        emit UpdatedTokenInformation(name_, symbol_, _decimals, version(), address(0));
        emit IdentityRegistryAdded(address(_registry));
        emit ComplianceAdded(address(this));
    }

    // ---------------------------------------------------------------- modifiers

    modifier onlyAgent() {
        _checkNoteRole(_AGENT_ROLE);
        _;
    }

    modifier onlyVault() {
        if (msg.sender != _vault) revert YieldTokenCallerNotVault(msg.sender);
        _;
    }

    function _checkNoteRole(bytes32 role) private view {
        address caller = _msgSender();
        if (!_note.hasRole(role, caller)) revert IAccessControl.AccessControlUnauthorizedAccount(caller, role);
    }

    // ---------------------------------------------------------------- holder transfers (checked)

    /// @notice ERC-20 transfer under the offering's rules (IYieldToken).
    function transfer(address to, uint256 amount) public override(ERC20, IERC20) returns (bool) {
        address from = _msgSender();
        _checkTransfer(from, to, amount);
        _transfer(from, to, amount);
        return true;
    }

    /// @notice ERC-20 transferFrom under the offering's rules (IYieldToken); spends the caller's allowance.
    function transferFrom(address from, address to, uint256 amount) public override(ERC20, IERC20) returns (bool) {
        _checkTransfer(from, to, amount);
        _spendAllowance(from, _msgSender(), amount);
        _transfer(from, to, amount);
        return true;
    }

    /// @inheritdoc IYieldToken
    function batchTransfer(address[] calldata toList, uint256[] calldata amounts) external {
        if (toList.length != amounts.length) revert YieldTokenBatchLengthMismatch();
        address from = _msgSender();
        for (uint256 i; i < toList.length; ++i) {
            _checkTransfer(from, toList[i], amounts[i]);
            _transfer(from, toList[i], amounts[i]);
        }
    }

    /// @inheritdoc IYieldToken
    function canTransfer(address from, address to, uint256 amount) external view returns (bool) {
        if (paused() || from == address(0) || to == address(0) || to == _vault) return false;
        if (_frozen[from] || _frozen[to]) return false;
        if (amount > _unfrozenOf(from)) return false;
        if (!_registry.isVerified(from) || !_registry.isVerified(to)) return false;
        return isCountryAllowed(_registry.investorCountry(to));
    }

    /// @dev The rules of a holder transfer, each refusal its own error (the same order as `canTransfer`).
    function _checkTransfer(address from, address to, uint256 amount) private view {
        _requireNotPaused();
        if (to == address(0)) revert ERC20InvalidReceiver(address(0));
        if (to == _vault) revert YieldTokenVaultNotRecipient(to);
        if (_frozen[from]) revert YieldTokenFrozen(from);
        if (_frozen[to]) revert YieldTokenFrozen(to);
        uint256 unfrozen = _unfrozenOf(from);
        if (amount > unfrozen) revert YieldTokenInsufficientUnfrozen(from, unfrozen, amount);
        _requireEligible(from, false);
        _requireEligible(to, true);
    }

    /// @dev Verified with a current KYC; a recipient also needs an allowed country. The vault (a platform
    ///      contract in the registry) is checked like anyone when it sends.
    function _requireEligible(address account, bool receiving) private view {
        if (!_registry.isVerified(account)) {
            if (_registry.isKycExpired(account)) {
                revert YieldTokenKycExpired(account, _registry.identityOf(account).kycExpiresAt);
            }
            revert YieldTokenNotVerified(account);
        }
        if (receiving) {
            bytes2 country = _registry.investorCountry(account);
            if (!isCountryAllowed(country)) revert YieldTokenCountryNotAllowed(account, country);
        }
    }

    // ---------------------------------------------------------------- vault: mint and burn

    /// @inheritdoc IYieldToken
    function mint(address to, uint256 amount) external onlyVault whenNotPaused {
        if (amount == 0) revert YieldTokenZeroAmount();
        _mint(to, amount);
    }

    /// @inheritdoc IYieldToken
    function burn(address userAddress, uint256 amount) external onlyVault whenNotPaused {
        if (amount == 0) revert YieldTokenZeroAmount();
        if (_frozen[userAddress]) revert YieldTokenFrozen(userAddress);
        uint256 unfrozen = _unfrozenOf(userAddress);
        if (amount > unfrozen) revert YieldTokenInsufficientUnfrozen(userAddress, unfrozen, amount);
        _burn(userAddress, amount);
    }

    // ---------------------------------------------------------------- agent: freezes, forced moves, recovery

    /// @inheritdoc IYieldToken
    function setAddressFrozen(address userAddress, bool freeze) public onlyAgent {
        _requireAgentTarget(userAddress);
        _frozen[userAddress] = freeze;
        emit AddressFrozen(userAddress, freeze, _msgSender());
    }

    /// @inheritdoc IYieldToken
    function freezePartialTokens(address userAddress, uint256 amount) public onlyAgent {
        _requireAgentTarget(userAddress);
        if (amount == 0) revert YieldTokenZeroAmount();
        uint256 unfrozen = _unfrozenOf(userAddress);
        if (amount > unfrozen) revert YieldTokenFreezeExceedsBalance(userAddress, unfrozen, amount);
        _frozenTokens[userAddress] += amount;
        emit TokensFrozen(userAddress, amount);
    }

    /// @inheritdoc IYieldToken
    function unfreezePartialTokens(address userAddress, uint256 amount) public onlyAgent {
        _requireAgentTarget(userAddress);
        if (amount == 0) revert YieldTokenZeroAmount();
        uint256 frozen = _frozenTokens[userAddress];
        if (amount > frozen) revert YieldTokenUnfreezeExceedsFrozen(userAddress, frozen, amount);
        // unchecked: amount <= frozen was just checked.
        unchecked {
            _frozenTokens[userAddress] = frozen - amount;
        }
        emit TokensUnfrozen(userAddress, amount);
    }

    /// @inheritdoc IYieldToken
    function forcedTransfer(address from, address to, uint256 amount) public onlyAgent returns (bool) {
        _requireAgentTarget(from);
        if (to == _vault) revert YieldTokenVaultNotRecipient(to);
        if (to == address(0)) revert YieldTokenZeroAddress();
        if (amount == 0) revert YieldTokenZeroAmount();
        uint256 balance = balanceOf(from);
        if (amount > balance) revert ERC20InsufficientBalance(from, balance, amount);
        // Freezes are overridden; eligibility is not (T-REX's rule).
        _requireEligible(to, true);
        uint256 unfrozen = balance - _frozenTokens[from];
        if (amount > unfrozen) {
            // unchecked: unfrozen < amount <= balance, so the release is at most the frozen tokens.
            unchecked {
                uint256 release = amount - unfrozen;
                _frozenTokens[from] -= release;
                emit TokensUnfrozen(from, release);
            }
        }
        _transfer(from, to, amount);
        return true;
    }

    /// @inheritdoc IYieldToken
    function recoveryAddress(address lostWallet, address newWallet, address investorOnchainID)
        external
        onlyAgent
        returns (bool)
    {
        _requireAgentTarget(lostWallet);
        if (newWallet == address(0)) revert YieldTokenZeroAddress();
        if (newWallet == lostWallet || newWallet == _vault || balanceOf(newWallet) != 0) {
            revert YieldTokenRecoveryWalletInUse(newWallet);
        }
        _requireEligible(newWallet, true);
        uint256 frozenTokens = _frozenTokens[lostWallet];
        // The frozen tokens move with the balance: unfreeze on the lost side, freeze on the new side.
        _frozenTokens[lostWallet] = 0;
        _transfer(lostWallet, newWallet, balanceOf(lostWallet));
        if (frozenTokens != 0) {
            _frozenTokens[newWallet] = frozenTokens;
            emit TokensUnfrozen(lostWallet, frozenTokens);
            emit TokensFrozen(newWallet, frozenTokens);
        }
        // A freeze is not lifted by changing wallets; a lost key is compromised.
        if (_frozen[lostWallet]) {
            _frozen[newWallet] = true;
            emit AddressFrozen(newWallet, true, _msgSender());
        } else {
            _frozen[lostWallet] = true;
            emit AddressFrozen(lostWallet, true, _msgSender());
        }
        emit RecoverySuccess(lostWallet, newWallet, investorOnchainID);
        return true;
    }

    /// @inheritdoc IYieldToken
    function batchForcedTransfer(address[] calldata fromList, address[] calldata toList, uint256[] calldata amounts)
        external
    {
        if (fromList.length != toList.length || fromList.length != amounts.length) {
            revert YieldTokenBatchLengthMismatch();
        }
        for (uint256 i; i < fromList.length; ++i) {
            forcedTransfer(fromList[i], toList[i], amounts[i]);
        }
    }

    /// @inheritdoc IYieldToken
    function batchSetAddressFrozen(address[] calldata userAddresses, bool[] calldata freeze) external {
        if (userAddresses.length != freeze.length) revert YieldTokenBatchLengthMismatch();
        for (uint256 i; i < userAddresses.length; ++i) {
            setAddressFrozen(userAddresses[i], freeze[i]);
        }
    }

    /// @inheritdoc IYieldToken
    function batchFreezePartialTokens(address[] calldata userAddresses, uint256[] calldata amounts) external {
        if (userAddresses.length != amounts.length) revert YieldTokenBatchLengthMismatch();
        for (uint256 i; i < userAddresses.length; ++i) {
            freezePartialTokens(userAddresses[i], amounts[i]);
        }
    }

    /// @inheritdoc IYieldToken
    function batchUnfreezePartialTokens(address[] calldata userAddresses, uint256[] calldata amounts) external {
        if (userAddresses.length != amounts.length) revert YieldTokenBatchLengthMismatch();
        for (uint256 i; i < userAddresses.length; ++i) {
            unfreezePartialTokens(userAddresses[i], amounts[i]);
        }
    }

    /// @dev The agent acts on holders, never on the vault's unsold tokens (the seller's inventory, backed
    ///      one to one by the vault's note piece: the agent freezes or moves that piece on the note instead).
    function _requireAgentTarget(address account) private view {
        if (account == address(0)) revert YieldTokenZeroAddress();
        if (account == _vault) revert YieldTokenVaultAccount(account);
    }

    // ---------------------------------------------------------------- pauses

    /// @inheritdoc IYieldToken
    function pause() external {
        _checkNoteRole(_PAUSER_ROLE);
        _pause();
    }

    /// @inheritdoc IYieldToken
    function unpause() external {
        _checkNoteRole(_PAUSER_ROLE);
        _unpause();
    }

    /// @inheritdoc IYieldToken
    function paused() public view override(IYieldToken, Pausable) returns (bool) {
        return Pausable.paused();
    }

    // ---------------------------------------------------------------- views

    /// @notice ERC-20 metadata: the offering's token name.
    function name() public view override(ERC20, IERC20Metadata) returns (string memory) {
        return _tokenName;
    }

    /// @notice ERC-20 metadata: the offering's token symbol.
    function symbol() public view override(ERC20, IERC20Metadata) returns (string memory) {
        return _tokenSymbol;
    }

    /// @notice ERC-20 metadata: the note's value decimals (one token per minor unit of face value).
    function decimals() public view override(ERC20, IERC20Metadata) returns (uint8) {
        return _decimals;
    }

    /// @inheritdoc IYieldToken
    function identityRegistry() external view returns (IIdentityRegistry) {
        return _registry;
    }

    /// @inheritdoc IYieldToken
    function compliance() external view returns (address) {
        return address(this);
    }

    /// @inheritdoc IYieldToken
    function onchainID() external pure returns (address) {
        return address(0);
    }

    /// @inheritdoc IYieldToken
    function version() public pure returns (string memory) {
        return "cascade-yield-1.0.0";
    }

    /// @inheritdoc IYieldToken
    function isFrozen(address userAddress) external view returns (bool) {
        return _frozen[userAddress];
    }

    /// @inheritdoc IYieldToken
    function getFrozenTokens(address userAddress) external view returns (uint256) {
        return _frozenTokens[userAddress];
    }

    /// @inheritdoc IYieldToken
    function vault() external view returns (address) {
        return _vault;
    }

    /// @inheritdoc IYieldToken
    function offeringId() external view returns (uint256) {
        return _offeringId;
    }

    /// @inheritdoc IYieldToken
    function allowedCountries() external view returns (bytes2[] memory) {
        return _countries;
    }

    /// @inheritdoc IYieldToken
    function isCountryAllowed(bytes2 country) public view returns (bool) {
        uint256 count = _countries.length;
        if (count == 0) return true;
        for (uint256 i; i < count; ++i) {
            if (_countries[i] == country) return true;
        }
        return false;
    }

    /// @notice The note whose role holders govern this token.
    function note() external view returns (ICascadeNote) {
        return _note;
    }

    // ---------------------------------------------------------------- core

    function _unfrozenOf(address account) private view returns (uint256) {
        uint256 balance = balanceOf(account);
        uint256 frozen = _frozenTokens[account];
        return balance > frozen ? balance - frozen : 0;
    }

    /// @dev Every balance change: a debit never eats into the holder's frozen tokens.
    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        if (from != address(0)) {
            uint256 frozen = _frozenTokens[from];
            uint256 balance = balanceOf(from);
            if (frozen != 0 && balance < frozen) {
                revert YieldTokenInsufficientUnfrozen(from, balance + value - frozen, value);
            }
        }
    }

    // ERC20 and Pausable derive from Context, so the compiler needs the choice spelled out: ERC-2771's.

    function _msgSender() internal view override(Context, ERC2771Context) returns (address) {
        return ERC2771Context._msgSender();
    }

    function _msgData() internal view override(Context, ERC2771Context) returns (bytes calldata) {
        return ERC2771Context._msgData();
    }

    function _contextSuffixLength() internal view override(Context, ERC2771Context) returns (uint256) {
        return ERC2771Context._contextSuffixLength();
    }
}
