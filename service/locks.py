"""Locks shared by the processes of one service (`cascade serve --workers N`): flock(2) on files.

A lock is held through an open file description, and every acquisition opens its own, so one lock
excludes the threads of a process as well as other processes; the kernel releases it when the
holder dies, so a SIGKILLed worker never leaves a lock behind.

A `SharedLock` also counts its uses in its file: a process that finds the count moved since its own
last use knows another process used the guarded account meanwhile, and that what it remembers of it
(a nonce) is out of date.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")
_COUNTER_BYTES = 8


def try_lock(descriptor: int) -> bool:
    """Takes the file's lock if it is free; False if another open file holds it."""
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as error:
        if error.errno in (errno.EWOULDBLOCK, errno.EACCES):
            return False
        raise
    return True


class LockDirectory:
    """Lock files of one service (its data directory's `locks/`)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.path.mkdir(parents=True, exist_ok=True)
        self.requests = RequestLocks(path / "requests")

    def file_of(self, name: str) -> Path:
        return self.path / (_UNSAFE.sub("_", name) + ".lock")

    @contextmanager
    def exclusive(self, name: str) -> Iterator[int]:
        """Holds the lock `name` (waiting for it); yields the open file's descriptor."""
        descriptor = os.open(self.file_of(name), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            yield descriptor
        finally:
            os.close(descriptor)  # releases the lock

    def try_hold_forever(self, name: str) -> bool:
        """Takes `name` for the rest of this process's life if it is free; False if another holds it."""
        descriptor = os.open(self.file_of(name), os.O_RDWR | os.O_CREAT, 0o600)
        if not try_lock(descriptor):
            os.close(descriptor)
            return False
        return True  # the descriptor stays open: the kernel releases the lock when the process ends

    def is_held(self, name: str) -> bool:
        """Whether some process holds `name` right now (a snapshot: it may change at once)."""
        try:
            descriptor = os.open(self.file_of(name), os.O_RDWR)
        except FileNotFoundError:
            return False
        try:
            return not try_lock(descriptor)
        finally:
            os.close(descriptor)

    def shared(self, name: str) -> SharedLock:
        return SharedLock(self, name)


class SharedLock:
    """A thread lock and a file lock; `hold()` tells whether another process used it since we did."""

    def __init__(self, directory: LockDirectory, name: str) -> None:
        self._directory = directory
        self._name = name
        self._thread_lock = threading.Lock()
        self._last_count: int | None = None

    @contextmanager
    def hold(self) -> Iterator[bool]:
        """Yields True if this process was the last to hold it (what it remembers is still true)."""
        with self._thread_lock, self._directory.exclusive(self._name) as descriptor:
            stored = os.pread(descriptor, _COUNTER_BYTES, 0)
            count = int.from_bytes(stored, "big") if len(stored) == _COUNTER_BYTES else 0
            try:
                yield count == self._last_count
            finally:
                # Wraps at 2**64; only equality matters.
                count = (count + 1) % (1 << (8 * _COUNTER_BYTES))
                os.pwrite(descriptor, count.to_bytes(_COUNTER_BYTES, "big"), 0)
                self._last_count = count


class RequestLocks:
    """One lock per running HTTP request with an Idempotency-Key, held while it runs.

    Another process that finds the key's reservation unanswered asks whether its request still
    runs; a free lock means its process died. The file is removed when the request ends, so files do
    not pile up; acquiring checks that the file it locked is still the one in the directory.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.path.mkdir(parents=True, exist_ok=True)

    def file_of(self, request_key: str) -> Path:
        return self.path / (hashlib.sha256(request_key.encode()).hexdigest()[:32] + ".lock")

    @contextmanager
    def running(self, request_key: str) -> Iterator[bool]:
        """Takes the key's lock without waiting; yields False (and holds nothing) if a request has it."""
        path = self.file_of(request_key)
        while True:
            descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            if not try_lock(descriptor):
                os.close(descriptor)
                yield False
                return
            if os.fstat(descriptor).st_nlink > 0:
                break
            os.close(descriptor)  # removed between our open and our lock: open it afresh
        try:
            yield True
        finally:
            # Removed before it is released: whoever opened it meanwhile finds it unlinked.
            path.unlink(missing_ok=True)
            os.close(descriptor)

    def is_running(self, request_key: str) -> bool:
        path = self.file_of(request_key)
        try:
            descriptor = os.open(path, os.O_RDWR)
        except FileNotFoundError:
            return False
        try:
            if not try_lock(descriptor):
                return True
            # Free: its holder died (or just finished). Left behind by a dead process: tidy it away.
            if os.fstat(descriptor).st_nlink > 0:
                path.unlink(missing_ok=True)
            return False
        finally:
            os.close(descriptor)
