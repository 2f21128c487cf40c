"""Child processes that must not outlive the process that started them."""

from __future__ import annotations

import ctypes
import os
import signal

_PR_SET_PDEATHSIG = 1


def die_with_parent(signal_number: int = signal.SIGTERM) -> None:
    """Has the kernel send `signal_number` to this process when its parent dies (Linux).

    Called in the child: as `preexec_fn` of a `subprocess.Popen` (Anvil gets SIGTERM and dumps its
    state), or first thing in a worker process (SIGKILL: its unfinished work is in the journal).
    """
    parent = os.getppid()
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal_number)
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)
