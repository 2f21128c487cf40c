"""`cascade serve`: the embedded chain, the chain writer and the API, each its own process, kept alive.

The parent prepares the ledger once (migrations, the embedded Anvil, the contracts, the first
administrator), then runs three children and restarts whichever dies: Anvil (from its state file: the
writer then finds the chain behind the index and sends again what was lost), the chain writer (it
recovers from the database and the chain), and the API (uvicorn, with its own worker processes that
it restarts itself). The parent runs no thread, so it can fork its children (a forked child needs no
second import of the service). Every child dies with the parent; a stop (Ctrl-C, SIGTERM) stops the API,
then the writer, then Anvil (which saves its state).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.process import BaseProcess
from typing import Any

from service.chain.anvil import AnvilProcess
from service.processes import die_with_parent
from service.settings import Settings

logger = logging.getLogger(__name__)
POLL_SECONDS = 0.2
# A child that dies sooner than this after its start counts toward giving up (a crash loop).
QUICK_DEATH_SECONDS = 5.0
QUICK_DEATHS_ALLOWED = 5


def run_writer_child() -> None:
    """The chain writer's process: leads (or stands by), runs until stopped or until it loses leadership."""
    from service.runtime import start_runtime

    die_with_parent(signal.SIGKILL)
    logging.basicConfig(level=logging.WARNING, format="writer: %(levelname)s %(message)s")
    runtime = start_runtime(Settings(), lambda message: print(message, flush=True), writer=True)
    stop = _stop_on_signals()
    try:
        while not stop():
            time.sleep(0.5)
            if runtime.leadership is not None and not runtime.leadership.still_held():
                os._exit(3)  # the supervisor starts a new writer, which takes leadership afresh
    finally:
        runtime.close()


def run_api_child(host: str, port: int, workers: int) -> None:
    import uvicorn

    from service.workers import fork_workers

    die_with_parent(signal.SIGKILL)
    if workers > 1:
        fork_workers()
    uvicorn.run(
        "service.workers:create_worker_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
    )


def _stop_on_signals() -> Callable[[], bool]:
    stopped = {"now": False}

    def handle(_signal: int, _frame: Any) -> None:
        stopped["now"] = True

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
    return lambda: stopped["now"]


@dataclass
class _Child:
    name: str
    start: Callable[[], BaseProcess | AnvilProcess]
    handle: BaseProcess | AnvilProcess | None = None
    started_at: float = 0.0
    quick_deaths: int = 0
    restarts: int = 0

    def alive(self) -> bool:
        if self.handle is None:
            return False
        if isinstance(self.handle, AnvilProcess):
            return not self.handle.exited()
        return self.handle.is_alive()

    @property
    def pid(self) -> int | None:
        return self.handle.pid if self.handle is not None else None

    @property
    def killed(self) -> bool:
        """Whether it was killed by a signal (an operator, the OOM killer) rather than ending by itself."""
        if self.handle is None:
            return False
        code = self.handle.exit_code if isinstance(self.handle, AnvilProcess) else self.handle.exitcode
        return code is not None and code < 0


@dataclass
class Supervisor:
    settings: Settings
    host: str
    port: int
    workers: int
    anvil: AnvilProcess | None
    say: Callable[[str], None]
    children: list[_Child] = field(default_factory=list)

    def run(self) -> None:
        context = multiprocessing.get_context("fork")
        if self.anvil is not None:
            self.children.append(_Child("chain (Anvil)", self._restart_anvil, self.anvil, time.monotonic()))
        self.children.append(_Child("chain writer", lambda: self._fork(context, run_writer_child, ())))
        self.children.append(
            _Child("API", lambda: self._fork(context, run_api_child, (self.host, self.port, self.workers)))
        )
        stop = _stop_on_signals()
        for child in self.children:
            if child.handle is None:
                self._start(child)
        self._write_pids()
        try:
            while not stop():
                for child in self.children:
                    if not child.alive():
                        self._revive(child)
                time.sleep(POLL_SECONDS)
        finally:
            self._stop_all()

    @staticmethod
    def _fork(context: Any, target: Callable[..., None], args: tuple[Any, ...]) -> BaseProcess:
        process: BaseProcess = context.Process(target=target, args=args, daemon=False)
        process.start()
        return process

    def _restart_anvil(self) -> AnvilProcess:
        assert self.anvil is not None
        self.anvil.start()
        return self.anvil

    def _start(self, child: _Child) -> None:
        child.handle = child.start()
        child.started_at = time.monotonic()

    def _revive(self, child: _Child) -> None:
        """Starts a dead child again. One that ends by itself soon after every start is in a crash loop
        (a bad setting, a broken database): give up and say so. One killed by a signal is always
        started again: being killed says nothing of the next start."""
        lived = time.monotonic() - child.started_at
        quick = lived < QUICK_DEATH_SECONDS and not child.killed
        child.quick_deaths = child.quick_deaths + 1 if quick else 0
        if child.quick_deaths > QUICK_DEATHS_ALLOWED:
            raise RuntimeError(
                f"the {child.name} keeps dying right after it starts: "
                f"see the logs in {self.settings.data_dir}"
            )
        child.restarts += 1
        self.say(f"the {child.name} stopped unexpectedly: restarting it (restart {child.restarts})")
        time.sleep(min(2.0, 0.2 * child.quick_deaths))
        self._start(child)
        self._write_pids()

    def _write_pids(self) -> None:
        """Where each part runs (`data/processes`), for operators and the fault tests."""
        lines = [f"supervisor {os.getpid()}"] + [
            f"{_slug(child.name)} {child.pid}" for child in self.children
        ]
        path = self.settings.data_dir / "processes"
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write("\n".join(lines) + "\n")

    def _stop_all(self) -> None:
        stopped = []
        for child in reversed(self.children):
            handle = child.handle
            if handle is None:
                continue
            if isinstance(handle, AnvilProcess):
                handle.stop()
            elif handle.is_alive():
                handle.terminate()
                handle.join(timeout=20)
                if handle.is_alive():
                    handle.kill()
            stopped.append(child.name)
        self.say("stopped: " + ", ".join(stopped))


def _slug(name: str) -> str:
    return {"chain (Anvil)": "anvil", "chain writer": "writer", "API": "api"}[name]
