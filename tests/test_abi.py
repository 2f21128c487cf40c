"""The service's own ABI encoding and log-word decoding, checked against eth-abi's (no chain)."""

from __future__ import annotations

from typing import Any

import pytest
from eth_abi import decode as eth_abi_decode
from eth_abi import encode as eth_abi_encode
from eth_abi.exceptions import EncodingError
from eth_utils import to_checksum_address
from hypothesis import given
from hypothesis import strategies as st

from service.chain.abi import AbiEncodingError, encode_values, word_decoder
from service.chain.compiler import compile_cascade
from service.chain.contracts import ContractHandle
from service.chain.forwarder import BatchEncoder, ForwardRequest
from service.settings import Settings

# A type and a strategy for its values, built together so that every value fits its type.
Typed = tuple[str, st.SearchStrategy[Any]]

addresses = st.binary(min_size=20, max_size=20).flatmap(
    lambda raw: st.sampled_from(["0x" + raw.hex(), to_checksum_address(raw), "0x" + raw.hex().upper(), raw])
)


def _unsigned(bits: int) -> Typed:
    return f"uint{bits}", st.integers(0, (1 << bits) - 1)


def _signed(bits: int) -> Typed:
    return f"int{bits}", st.integers(-(1 << (bits - 1)), (1 << (bits - 1)) - 1)


def _fixed_bytes(size: int) -> Typed:
    # eth-abi pads a shorter value on the right, as the service's encoder does.
    return f"bytes{size}", st.binary(min_size=0, max_size=size)


elementary: st.SearchStrategy[Typed] = st.one_of(
    st.sampled_from([8, 48, 160, 256]).map(_unsigned),
    st.sampled_from([8, 64, 256]).map(_signed),
    st.integers(1, 32).map(_fixed_bytes),
    st.just(("address", addresses)),
    st.just(("bool", st.booleans())),
    st.just(("bytes", st.binary(max_size=70))),
    st.just(("string", st.text(max_size=20))),
)


def _compound(children: st.SearchStrategy[Typed]) -> st.SearchStrategy[Typed]:
    def tuple_of(parts: list[Typed]) -> Typed:
        return "(" + ",".join(kind for kind, _ in parts) + ")", st.tuples(*(values for _, values in parts))

    def dynamic_array(part: Typed) -> Typed:
        return part[0] + "[]", st.lists(part[1], max_size=3)

    def fixed_array(part: Typed, length: int) -> Typed:
        return f"{part[0]}[{length}]", st.lists(part[1], min_size=length, max_size=length)

    return st.one_of(
        st.lists(children, min_size=1, max_size=4).map(tuple_of),
        children.map(dynamic_array),
        st.tuples(children, st.integers(1, 3)).map(lambda pair: fixed_array(*pair)),
    )


typed_values = st.recursive(elementary, _compound, max_leaves=5)


@st.composite
def signatures_and_values(draw: st.DrawFn) -> tuple[list[str], list[Any]]:
    parts = draw(st.lists(typed_values, min_size=0, max_size=4))
    return [kind for kind, _ in parts], [draw(values) for _, values in parts]


@given(signatures_and_values())
def test_encoding_is_eth_abis(case: tuple[list[str], list[Any]]) -> None:
    types, values = case
    assert encode_values(types, values) == eth_abi_encode(types, values)


def test_a_relay_batch_encodes_as_web3_encodes_it() -> None:
    """The writer's hand-written `executeBatch` encoding, with types from the forwarder's ABI, is
    byte for byte what web3.py builds from the same ABI."""
    abi = compile_cascade(Settings().artifacts_dir)["CascadeForwarder"].abi
    request = ForwardRequest("0x" + "11" * 20, "0x" + "22" * 20, 400_000, 7, 1_800_000_000, b"\x01" * 100)
    signature = b"\x02" * 65
    encoded = BatchEncoder(abi).encode([(request, signature), (request, signature)], "0x" + "44" * 20)
    forwarder = ContractHandle("forwarder", "0x" + "33" * 20, abi)
    as_tuple = request.as_tuple(signature)
    assert encoded == forwarder.web3_calldata("executeBatch", [as_tuple, as_tuple], "0x" + "44" * 20)


@pytest.mark.parametrize(
    ("function", "arguments"),
    [
        ("transferFrom", (5, "0x" + "22" * 20, 1000)),
        ("transferFrom", (5, 6, 1000)),
        (
            "issue",
            (
                "0x" + "22" * 20,
                "0x" + "33" * 20,
                b"USD".ljust(8, b"\0"),
                b"CNY".ljust(8, b"\0"),
                100,
                10,
                2**39,
                50,
                b"\x01" * 32,
            ),
        ),
        ("setApprovalForAll", ("0x" + "22" * 20, True)),
    ],
)
def test_a_contract_call_encodes_as_web3_encodes_it(function: str, arguments: tuple[Any, ...]) -> None:
    """The fast path picks the overload web3.py picks and writes the same bytes."""
    note = ContractHandle(
        "note", "0x" + "11" * 20, compile_cascade(Settings().artifacts_dir)["ICascadeNote"].abi
    )
    assert note.calldata(function, *arguments) == note.web3_calldata(function, *arguments)


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("uint256", -1),
        ("uint8", 256),
        ("int8", 128),
        ("int8", -129),
        ("uint256", True),  # a bool is not a number here, as in eth-abi
        ("uint256", "1"),
        ("bool", 1),
        ("bytes4", b"12345"),
        ("bytes", "0x01"),
        ("string", b"text"),
        ("address", "0x" + "ab" * 19),
        ("address", "0x" + "ag" * 20),
        ("address", b"\x01" * 19),
        ("uint256[2]", [1]),
        ("(uint256,bool)", [1]),
        ("uint256[]", 5),
    ],
)
def test_a_value_its_type_cannot_carry_is_refused_as_eth_abi_refuses_it(kind: str, value: Any) -> None:
    with pytest.raises(EncodingError):
        eth_abi_encode([kind], [value])
    with pytest.raises(AbiEncodingError):
        encode_values([kind], [value])


@pytest.mark.parametrize("kind", ["uint7", "uint264", "bytes33", "fixed128x18", "function"])
def test_a_type_it_does_not_know_is_refused(kind: str) -> None:
    with pytest.raises(AbiEncodingError):
        encode_values([kind], [0])


word_kinds = st.one_of(
    st.sampled_from(["address", "bool", "uint8", "uint256", "int8", "int256", "bytes32", "bytes8"]),
    st.integers(1, 32).map(lambda size: f"bytes{size}"),
)


@given(word_kinds, st.data())
def test_a_log_word_decodes_as_eth_abi_decodes_it(kind: str, data: st.DataObject) -> None:
    """Event words are read straight from the node's hex; eth-abi reads the same bytes."""
    integers = dict([_unsigned(8), _unsigned(256), _signed(8), _signed(256)])
    if kind == "address":
        value: Any = data.draw(addresses)
    elif kind == "bool":
        value = data.draw(st.booleans())
    elif kind.startswith("bytes"):
        value = data.draw(_fixed_bytes(int(kind[5:]))[1])
    else:
        value = data.draw(integers[kind])
    word = eth_abi_encode([kind], [value]).hex()
    [expected] = eth_abi_decode([kind], bytes.fromhex(word))
    if kind == "address":
        expected = to_checksum_address(expected)
    elif kind.startswith("bytes"):
        expected = "0x" + expected.hex()
    assert word_decoder(kind)(word) == expected
