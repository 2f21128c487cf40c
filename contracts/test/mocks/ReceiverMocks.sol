// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {IERC3525Receiver} from "@solvprotocol/erc-3525/IERC3525Receiver.sol";
import {IERC721Receiver} from "@solvprotocol/erc-3525/IERC721Receiver.sol";

/// @dev Holder contract for the ERC-3525 receiver hook; the behaviour is switchable so that one
///      deployment can exercise accepting, answering with a wrong value, and reverting.
contract ERC3525ReceiverMock is IERC3525Receiver, IERC165 {
    enum Mode {
        Accept,
        WrongValue,
        Revert
    }

    Mode public mode;
    uint256 public calls;
    address public lastOperator;
    uint256 public lastFromTokenId;
    uint256 public lastToTokenId;
    uint256 public lastValue;

    function setMode(Mode mode_) external {
        mode = mode_;
    }

    function supportsInterface(bytes4 interfaceId) external pure returns (bool) {
        return interfaceId == type(IERC3525Receiver).interfaceId || interfaceId == type(IERC165).interfaceId;
    }

    function onERC3525Received(address operator, uint256 fromTokenId, uint256 toTokenId, uint256 value, bytes calldata)
        external
        returns (bytes4)
    {
        if (mode == Mode.Revert) revert("ERC3525ReceiverMock: rejected");
        calls += 1;
        lastOperator = operator;
        lastFromTokenId = fromTokenId;
        lastToTokenId = toTokenId;
        lastValue = value;
        return mode == Mode.Accept ? IERC3525Receiver.onERC3525Received.selector : bytes4(0xdeadbeef);
    }
}

/// @dev Declares ERC-165 but not IERC3525Receiver: the note must then skip the hook instead of calling it.
contract ERC165OnlyHolder is IERC165 {
    function supportsInterface(bytes4 interfaceId) external pure returns (bool) {
        return interfaceId == type(IERC165).interfaceId;
    }

    function onERC3525Received(address, uint256, uint256, uint256, bytes calldata) external pure returns (bytes4) {
        revert("ERC165OnlyHolder: must not be called");
    }
}

/// @dev ERC-721 receiver hook with the same switchable behaviour as the ERC-3525 mock.
contract ERC721ReceiverMock is IERC721Receiver {
    enum Mode {
        Accept,
        WrongValue,
        Revert
    }

    Mode public mode;
    uint256 public calls;
    address public lastOperator;
    address public lastFrom;
    uint256 public lastTokenId;
    bytes public lastData;

    function setMode(Mode mode_) external {
        mode = mode_;
    }

    function onERC721Received(address operator, address from, uint256 tokenId, bytes calldata data)
        external
        returns (bytes4)
    {
        if (mode == Mode.Revert) revert("ERC721ReceiverMock: rejected");
        calls += 1;
        lastOperator = operator;
        lastFrom = from;
        lastTokenId = tokenId;
        lastData = data;
        return mode == Mode.Accept ? IERC721Receiver.onERC721Received.selector : bytes4(0xdeadbeef);
    }
}

/// @dev A contract with code but no receiver interface and no fallback.
contract NoInterfaceHolder {
    uint256 public unused;
}
