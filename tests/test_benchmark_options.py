"""The benchmark harness's options for partial runs and its derived figures (no chain: pure code only)."""

from __future__ import annotations

import argparse

import pytest

from benchmarks.__main__ import FULL, _client_operations, _section_names, _with_clients
from benchmarks.note_ceiling import compute_budget


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


def test_the_budget_at_half_the_ceiling_takes_the_chains_own_cpu_out() -> None:
    # 2,000 tx/s ceiling -> 1,000 transfers/s; Anvil 0.5 ms each -> half a core; 1.5 cores left.
    assert compute_budget(2_000.0, 0.5, cores=2) == {
        "transfers_per_second": 1_000.0,
        "cores": 2,
        "anvil_cores": 0.5,
        "cpu_ms_left_per_transfer": 1.5,
    }


def test_no_budget_is_left_when_the_chain_alone_needs_every_core() -> None:
    assert compute_budget(2_000.0, 2.5, cores=2)["cpu_ms_left_per_transfer"] == 0.0  # type: ignore[index]
    assert compute_budget(None, 0.5, cores=2) is None
    assert compute_budget(2_000.0, None, cores=2) is None
