"""The data directory and its files are its owner's alone: 0700 for the directory, 0600 for each file.

It holds the master key that decrypts every managed participant key, the administrator's API key, the
SQLite database (and its -wal and -shm files), the embedded Anvil's state and log. The directory's
mode alone keeps others out; each file's mode keeps it so when a file is copied or the directory
opened up. An existing directory or file is tightened, not just a new one made so.
"""

from __future__ import annotations

import os
from pathlib import Path

PRIVATE_DIRECTORY_MODE = 0o700
PRIVATE_FILE_MODE = 0o600
# For child processes that write into the data directory (Anvil's state): new files 0600, directories 0700.
PRIVATE_UMASK = 0o077


def ensure_private_directory(path: Path) -> None:
    path.mkdir(mode=PRIVATE_DIRECTORY_MODE, parents=True, exist_ok=True)
    path.chmod(PRIVATE_DIRECTORY_MODE)


def ensure_private_file(path: Path) -> None:
    """Creates the file empty if it is missing; either way only its owner may read or write it."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE_MODE)
    try:
        os.fchmod(descriptor, PRIVATE_FILE_MODE)
    finally:
        os.close(descriptor)


def open_private(path: Path, flags: int) -> int:
    """`os.open` of a file only its owner may read or write, whether it is new or not."""
    descriptor = os.open(path, flags | os.O_CREAT, PRIVATE_FILE_MODE)
    os.fchmod(descriptor, PRIVATE_FILE_MODE)
    return descriptor
