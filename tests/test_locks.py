"""Lock files shared by worker processes: exclusion across processes, use counts, request locks."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
from multiprocessing.connection import Connection
from pathlib import Path

import pytest

from service.db.instance import DatabaseServedElsewhere, serving_database
from service.locks import LockDirectory
from service.runtime import (
    claim_worker_slot,
    count_serving_workers,
    relayers_of_slot,
    serving_lock_name,
)
from service.settings import PROJECT_ROOT
from tests.conftest import free_port

_fork = multiprocessing.get_context("fork")


def _hold_until_told(directory: Path, kind: str, name: str, ready: Connection, release: Connection) -> None:
    locks = LockDirectory(directory)
    if kind == "request":
        with locks.requests.running(name) as ours:
            ready.send(ours)
            release.recv()
    elif kind == "forever":
        ready.send(locks.try_hold_forever(name))
        release.recv()
    else:
        with locks.shared(name).hold():
            ready.send(True)
            release.recv()


class _Holder:
    """Another process holding a lock until released (or killed)."""

    def __init__(self, directory: Path, kind: str, name: str) -> None:
        self._ready, child_ready = _fork.Pipe()
        self._release, child_release = _fork.Pipe()
        self.process = _fork.Process(
            target=_hold_until_told, args=(directory, kind, name, child_ready, child_release)
        )
        self.process.start()
        assert self._ready.poll(30)
        self.acquired = self._ready.recv()

    def release(self) -> None:
        self._release.send(True)
        self.process.join(30)

    def kill(self) -> None:
        assert self.process.pid is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.join(30)


def test_shared_lock_tells_whether_another_process_used_it_since(tmp_path: Path) -> None:
    locks = LockDirectory(tmp_path)
    lock = locks.shared("account-0xabc")
    with lock.hold() as unchanged:
        assert not unchanged  # never held by this process: nothing it remembers is known to be true
    with lock.hold() as unchanged:
        assert unchanged
    _Holder(tmp_path, "shared", "account-0xabc").release()
    with lock.hold() as unchanged:
        assert not unchanged  # the other process used it in between
    with lock.hold() as unchanged:
        assert unchanged


def test_a_lock_held_by_another_process_is_seen_held_and_freed_when_it_dies(tmp_path: Path) -> None:
    locks = LockDirectory(tmp_path)
    holder = _Holder(tmp_path, "forever", "worker-0")
    assert holder.acquired and locks.is_held("worker-0")
    assert not locks.try_hold_forever("worker-0")
    holder.kill()
    assert not locks.is_held("worker-0")
    assert locks.try_hold_forever("worker-0")


def test_request_lock_marks_a_running_request_across_processes(tmp_path: Path) -> None:
    locks = LockDirectory(tmp_path)
    assert not locks.requests.is_running("7:key")
    holder = _Holder(tmp_path, "request", "7:key")
    assert holder.acquired
    assert locks.requests.is_running("7:key")
    with locks.requests.running("7:key") as ours:
        assert not ours  # the other process runs it
    assert not locks.requests.is_running("7:other-key")
    holder.kill()  # died mid-request: the lock is free, the file it left is tidied away
    assert not locks.requests.is_running("7:key")
    assert not locks.requests.file_of("7:key").exists()
    with locks.requests.running("7:key") as ours:
        assert ours and locks.requests.file_of("7:key").exists()
    assert not locks.requests.file_of("7:key").exists()  # removed when the request ends


def test_worker_slots_and_their_share_of_relayers(tmp_path: Path) -> None:
    locks = LockDirectory(tmp_path)
    other = _Holder(tmp_path, "forever", "worker-0")
    assert claim_worker_slot(locks, 2) == 1  # slot 0 is taken by the other worker
    assert claim_worker_slot(locks, 2) is None
    assert count_serving_workers(locks, 2) == 0  # slots are taken at start; serving comes later
    assert locks.try_hold_forever(serving_lock_name(1))
    assert count_serving_workers(locks, 2) == 1
    other.kill()
    assert claim_worker_slot(locks, 2) == 0  # a replacement takes the dead worker's slot
    relayers = ["r0", "r1", "r2"]
    assert relayers_of_slot(relayers, 0, 2) == ["r0", "r2"]  # type: ignore[arg-type]
    assert relayers_of_slot(relayers, 1, 2) == ["r1"]  # type: ignore[arg-type]
    assert relayers_of_slot(relayers, 2, 4) == ["r2"]  # type: ignore[arg-type]
    assert relayers_of_slot(relayers, 3, 4) == ["r0"]  # type: ignore[arg-type]
    assert relayers_of_slot(relayers, None, 2) == relayers  # type: ignore[arg-type]


_HOLD_DATABASE = """
import sys, time
from service.db.instance import serving_database
with serving_database(sys.argv[1]):
    print("held", flush=True)
    time.sleep(600)
"""


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_one_service_per_database_until_it_dies(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """A second `cascade serve` on a database another one serves is refused with a clear message, and
    the database is free again once the first dies, even by SIGKILL."""
    url = (
        f"sqlite:///{tmp_path / 'cascade.db'}"
        if backend == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD_DATABASE, url], stdout=subprocess.PIPE, cwd=PROJECT_ROOT
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == b"held"
        with pytest.raises(DatabaseServedElsewhere), serving_database(url, wait_seconds=0.5):
            pass
        second = subprocess.run(
            [str(PROJECT_ROOT / ".venv" / "bin" / "cascade"), "serve", "--port", str(free_port())],
            env={**os.environ, "CASCADE_DATA_DIR": str(tmp_path / "second"), "DATABASE_URL": url},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert second.returncode == 1
        assert "another `cascade serve` is serving this database" in second.stderr
        assert not (tmp_path / "second" / "anvil-state.json").exists()  # refused before starting anything
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    with serving_database(url):
        pass
