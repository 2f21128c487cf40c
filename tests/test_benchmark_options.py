"""The benchmark harness's options for partial runs (no chain: argument parsing only)."""

from __future__ import annotations

import argparse

import pytest

from benchmarks.__main__ import FULL, _client_operations, _section_names, _with_clients


def test_client_counts_and_transfers_are_parsed() -> None:
    assert _client_operations("16:100,64:30") == {16: 100, 64: 30}
    assert _client_operations(" 1:5 ,") == {1: 5}


@pytest.mark.parametrize("text", ["16x100", "16:", ":3", "0:5", "16:0", ""])
def test_malformed_client_counts_are_refused(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        _client_operations(text)


def test_sections_must_exist() -> None:
    assert _section_names("e2e-sqlite,scale") == ("e2e-sqlite", "scale")
    with pytest.raises(argparse.ArgumentTypeError, match="bogus"):
        _section_names("e2e-sqlite,bogus")


def test_keyed_runs_follow_only_the_client_counts_asked_for() -> None:
    assert _with_clients(FULL.e2e, {16: 10}).runs == [(16, False), (16, True)]
    assert _with_clients(FULL.e2e, {64: 10}).runs == [(64, False)]
