// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {ERC2771Forwarder} from "@openzeppelin/contracts/metatx/ERC2771Forwarder.sol";
import {CascadeRoles} from "../../src/access/CascadeRoles.sol";
import {CascadeForwarder} from "../../src/CascadeForwarder.sol";

/// @dev What every Cascade test shares: the role ids, the admin-transfer delay and reason code the tests
///      deploy with, and ERC-2771 requests built and relayed the way the service's chain writer does (the
///      acting account signs an EIP-712 ForwardRequest, a gas-paying relayer submits it to CascadeForwarder).
abstract contract CascadeTest is Test {
    bytes32 internal constant DEFAULT_ADMIN_ROLE = 0x00;
    bytes32 internal constant ISSUER_ROLE = CascadeRoles.ISSUER_ROLE;
    bytes32 internal constant COMPLIANCE_AGENT_ROLE = CascadeRoles.COMPLIANCE_AGENT_ROLE;
    bytes32 internal constant ORACLE_ROLE = CascadeRoles.ORACLE_ROLE;
    bytes32 internal constant PAUSER_ROLE = CascadeRoles.PAUSER_ROLE;
    bytes32 internal constant REDEEMER_ROLE = CascadeRoles.REDEEMER_ROLE;
    bytes32 internal constant MINTER_ROLE = CascadeRoles.MINTER_ROLE;
    uint48 internal constant ADMIN_DELAY = 3 days;
    bytes32 internal constant REASON = bytes32("TEST");

    bytes32 internal constant FORWARD_REQUEST_TYPEHASH = keccak256(
        "ForwardRequest(address from,address to,uint256 value,uint256 gas,uint256 nonce,uint48 deadline,bytes data)"
    );
    uint256 internal constant FORWARD_GAS = 1_000_000;

    CascadeForwarder internal forwarder;
    address internal relayer = makeAddr("relayer");

    /// @dev The signed request from `vm.addr(signerKey)` to `target`, claiming to come from `from`.
    function _signedRequest(uint256 signerKey, address from, address target, bytes memory data)
        internal
        view
        returns (ERC2771Forwarder.ForwardRequestData memory request)
    {
        request = ERC2771Forwarder.ForwardRequestData({
            from: from,
            to: target,
            value: 0,
            gas: FORWARD_GAS,
            deadline: uint48(block.timestamp + 1 hours),
            data: data,
            signature: ""
        });
        bytes32 structHash = keccak256(
            abi.encode(
                FORWARD_REQUEST_TYPEHASH,
                from,
                target,
                uint256(0),
                request.gas,
                forwarder.nonces(from),
                request.deadline,
                keccak256(data)
            )
        );
        (uint8 v, bytes32 r, bytes32 s) =
            vm.sign(signerKey, keccak256(abi.encodePacked("\x19\x01", _forwarderDomainSeparator(), structHash)));
        request.signature = abi.encodePacked(r, s, v);
    }

    function _forwardRequest(uint256 signerKey, address target, bytes memory data)
        internal
        view
        returns (ERC2771Forwarder.ForwardRequestData memory)
    {
        return _signedRequest(signerKey, vm.addr(signerKey), target, data);
    }

    /// @dev Relays `data` to `target` as signed by `signerKey`; reverts if the call fails.
    function _relay(uint256 signerKey, address target, bytes memory data) internal {
        ERC2771Forwarder.ForwardRequestData memory request = _forwardRequest(signerKey, target, data);
        vm.prank(relayer);
        forwarder.execute(request);
    }

    function _forwarderDomainSeparator() internal view returns (bytes32) {
        (, string memory name, string memory version, uint256 chainId, address verifyingContract,,) =
            forwarder.eip712Domain();
        return keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256(bytes(name)),
                keccak256(bytes(version)),
                chainId,
                verifyingContract
            )
        );
    }

    function _unauthorized(address account, bytes32 role) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, account, role);
    }
}
