"""Every Solidity error renders in the API's units: decimal strings with the currency, ISO-8601 times,
participant ids; never minor units, epoch seconds or raw addresses; another party's figures withheld.

Table-driven over `REVERT_MEANINGS`, with arguments of every error built from the compiled ABIs.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from service.chain.abi import ErrorCatalog, encode_values, selector
from service.chain.compiler import Artifact
from service.chain.revert import (
    AMOUNTS,
    INTERNAL_ERRORS,
    REVERT_MEANINGS,
    Kind,
    RawRevert,
    RevertContext,
    decode_revert,
    render_revert,
)
from service.errors import ChainRejected

ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")
HEX_WORD = re.compile(r"0x[0-9a-fA-F]{64}")
PARTICIPANTS = {f"0x{index:040x}": index for index in range(1, 40)}  # address -> participant id
OUTSIDER = "0x" + "ee" * 20


@pytest.fixture(scope="module")
def catalog(artifacts: dict[str, Artifact]) -> ErrorCatalog:
    return ErrorCatalog([artifact.abi for artifact in artifacts.values()])


@pytest.fixture(scope="module")
def specs(artifacts: dict[str, Artifact]) -> dict[str, list[tuple[str, str]]]:
    """Each custom error's arguments (type, name), from the ABIs."""
    return {
        item["name"]: [(argument["type"], argument["name"]) for argument in item["inputs"]]
        for artifact in artifacts.values()
        for item in artifact.abi
        if item["type"] == "error"
    }


def _sample(name: str, arguments: list[tuple[str, str]]) -> dict[str, Any]:
    """Distinctive values: amounts and times far from anything a message says in words."""
    kinds = REVERT_MEANINGS[name].kinds
    values: dict[str, Any] = {}
    for index, (kind_of_type, argument) in enumerate(arguments):
        kind = kinds[argument]
        if kind_of_type == "address":
            values[argument] = f"0x{index + 1:040x}"
        elif kind_of_type == "bytes8":
            values[argument] = "0x" + b"CNY".ljust(8, b"\0").hex()
        elif kind_of_type.startswith("bytes"):
            values[argument] = "0x" + "ab" * 32
        elif kind in AMOUNTS:
            values[argument] = 8_000_000_000 + index * 1_000_001
        elif kind is Kind.TIME:
            values[argument] = 1_827_792_000 + index * 86_401
        elif kind_of_type in ("uint8", "uint16"):
            values[argument] = 200 + index
        else:
            values[argument] = 987_654_321 + index
    return values


def _context(caller: str | None) -> RevertContext:
    return RevertContext(
        currency="CNY",
        account=lambda address: PARTICIPANTS.get(address.lower()),
        holder_of=lambda _token: OUTSIDER,
        caller=caller,
    )


def _said(error: Any) -> str:
    return repr(error.to_body())


def test_every_argument_of_every_error_has_a_kind(specs: dict[str, list[tuple[str, str]]]) -> None:
    for name, meaning in REVERT_MEANINGS.items():
        assert name in specs, f"{name} is not an error of the contracts"
        assert set(meaning.kinds) == {argument for _type, argument in specs[name]}, name
        assert meaning.arguments() <= set(meaning.kinds), name
        for figure, owner in meaning.owners.items():
            assert meaning.kinds[figure] in AMOUNTS, name
            assert meaning.withheld_message is not None, name
            assert figure not in re.findall(r"{(\w+)}", meaning.withheld_message), name
            assert owner is None or meaning.kinds[owner] in (Kind.ACCOUNT, Kind.TOKEN), name
    assert not (set(specs) - set(REVERT_MEANINGS) - INTERNAL_ERRORS)


@pytest.mark.parametrize("name", sorted(REVERT_MEANINGS))
def test_every_revert_speaks_the_apis_units(name: str, specs: dict[str, list[tuple[str, str]]]) -> None:
    meaning = REVERT_MEANINGS[name]
    args = _sample(name, specs[name])
    for context in (_context(caller=None), _context(caller=OUTSIDER), RevertContext()):
        error = render_revert(RawRevert(name, args), context)
        said = _said(error)
        assert isinstance(error, meaning.error) and error.details["error"] == name
        assert not ADDRESS.search(said) and not HEX_WORD.search(said), said
        for argument, kind in meaning.kinds.items():
            if kind in (Kind.VALUE, Kind.CASH, Kind.TIME, Kind.HIDDEN):
                assert str(args[argument]) not in said, (argument, said)
        for argument, kind in meaning.kinds.items():
            if argument in meaning.arguments() and argument in re.findall(r"{(\w+)}", meaning.message):
                if kind in AMOUNTS and argument not in meaning.owners and context.currency:
                    decimal = f"{args[argument] // 100}.{args[argument] % 100:02d}"
                    assert f"{decimal} CNY" in error.message, (argument, error.message)
                if kind is Kind.TIME:
                    assert "T" in error.message and "Z" in error.message, error.message
        assert error.revert == RawRevert(name, args)


@pytest.mark.parametrize("name", sorted(name for name in REVERT_MEANINGS if REVERT_MEANINGS[name].owners))
def test_another_partys_figures_are_withheld(name: str, specs: dict[str, list[tuple[str, str]]]) -> None:
    """insufficient_cash told the seller the financier's cash: a figure is shown to its owner only."""
    meaning = REVERT_MEANINGS[name]
    args = _sample(name, specs[name])
    for figure, owner in meaning.owners.items():
        decimal = f"{args[figure] // 100}.{args[figure] % 100:02d}"
        to_another = render_revert(RawRevert(name, args), _context(caller="0x" + "dd" * 20))
        assert decimal not in _said(to_another) and figure not in to_another.details
        if owner is None:
            continue
        owner_address = args[owner] if meaning.kinds[owner] is Kind.ACCOUNT else OUTSIDER
        to_owner = render_revert(RawRevert(name, args), _context(caller=owner_address))
        assert to_owner.details[figure] == decimal and decimal in to_owner.message


def test_the_raw_revert_survives_storage_and_renders_again(catalog: ErrorCatalog) -> None:
    data = selector("ERC20InsufficientBalance(address,uint256,uint256)") + encode_values(
        ["address", "uint256", "uint256"], [f"0x{7:040x}", 800_000_000, 970_000_000]
    )
    first = decode_revert(catalog, data)  # ERC20InsufficientBalance, with no context: nothing of anybody's
    assert first.code == "insufficient_cash" and first.revert is not None
    assert "8000000.00" not in first.message and "9700000.00" in first.message
    stored = first.revert.to_json()
    again = render_revert(RawRevert.from_json(stored), _context(caller=f"0x{7:040x}"))
    assert again.message == "participant 7 holds 8000000.00 CNY of cash, needs 9700000.00 CNY"
    assert again.details == {
        "error": "ERC20InsufficientBalance",
        "sender": 7,
        "balance": "8000000.00",
        "needed": "9700000.00",
        "currency": "CNY",
    }


@pytest.mark.parametrize("name", sorted(INTERNAL_ERRORS - {"Error", "Panic"}))
def test_internal_errors_name_themselves_and_nothing_else(
    name: str, specs: dict[str, list[tuple[str, str]]]
) -> None:
    if name not in specs:
        pytest.skip(f"{name} is in no compiled ABI")
    error = render_revert(
        RawRevert(name, {argument: 123_456_789_012 for _type, argument in specs[name]}), RevertContext()
    )
    assert isinstance(error, ChainRejected) and error.details == {"error": name}
    assert "123456789012" not in _said(error)
