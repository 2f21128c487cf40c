"""How `cascade serve` starts its worker processes (the workers themselves: tests/test_faults.py)."""

from __future__ import annotations

import gc
import multiprocessing
import subprocess
import sys
import threading

import pytest
import uvicorn._subprocess as uvicorn_subprocess

from service.settings import PROJECT_ROOT
from service.workers import fork_workers


def test_workers_are_not_forked_from_a_process_running_another_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(uvicorn_subprocess, "spawn", multiprocessing.get_context("spawn"))
    monkeypatch.setattr(gc, "freeze", lambda: None)  # this test process's objects stay collectable
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        assert fork_workers() is False
        assert uvicorn_subprocess.spawn.get_start_method() == "spawn"
    finally:
        release.set()
        other.join()


def test_a_process_without_other_threads_forks_its_workers() -> None:
    # A fresh interpreter: pytest's own process may run threads of its fixtures.
    check = (
        "import uvicorn._subprocess as s; from service.workers import fork_workers; "
        "print(fork_workers(), s.spawn.get_start_method())"
    )
    answer = subprocess.run(
        [sys.executable, "-c", check],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert answer.stdout.split() == ["True", "fork"]
