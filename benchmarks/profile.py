"""Optional sampling of the service process with py-spy during one load run (`--profile`).

Two recordings at once: samples of the thread holding the GIL (where the interpreter's time goes;
py-spy's plain "active" view also counts threads blocked in a socket read) and all samples including
idle threads (where a request's wall time goes: waiting for the chain, the database, a lock). Both are
summarised by category of the innermost recognisable frame, and by thread for the wall-time view.
"""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

# Innermost match wins, so that e.g. a SQLAlchemy call made from service code counts as database.
CATEGORIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "waiting: lock / queue / sleep",
        ("threading.py", "queue.py", "time.sleep", "Condition.wait", "Event.wait"),
    ),
    ("database driver (sqlite3/psycopg)", ("sqlite3", "psycopg")),
    ("SQLAlchemy", ("sqlalchemy/",)),
    ("JSON-RPC HTTP (httpx/httpcore)", ("httpx/", "httpcore/", "h11/", "socket.py", "ssl.py")),
    (
        "signing, ABI, hashing",
        (
            "eth_account/",
            "eth_keys/",
            "coincurve/",
            "eth_abi/",
            "eth_utils/",
            "eth_hash/",
            "rlp/",
            "hexbytes/",
            "eth_typing/",
            "cytoolz",
            "toolz/",
        ),
    ),
    ("key decryption (Fernet)", ("cryptography/",)),
    ("pydantic", ("pydantic/", "pydantic_core")),
    (
        "web server / framework",
        ("uvicorn/", "starlette/", "fastapi/", "anyio/", "asyncio/", "h11_impl", "httptools"),
    ),
    ("json", ("json/",)),
    ("logging", ("logging/",)),
    ("service code", ("service/",)),
)
FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^()]*):(?P<line>\d+)\)$")


def py_spy_binary() -> str | None:
    candidate = Path(sys.executable).parent / "py-spy"
    return str(candidate) if candidate.exists() else shutil.which("py-spy")


def _parse(path: Path) -> list[tuple[str, list[str], int]]:
    stacks: list[tuple[str, list[str], int]] = []
    if not path.exists():
        return stacks
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        parts = stack.split(";")
        thread = parts[0]
        stacks.append((thread, parts[1:], int(count)))
    return stacks


def _category(frames: list[str]) -> str:
    for frame in reversed(frames):
        for name, needles in CATEGORIES:
            if any(needle in frame for needle in needles):
                return name
    return "other"


def _thread_kind(thread: str) -> str:
    name = thread.split(":", 1)[-1].strip()
    if name.startswith("AnyIO worker") or name.startswith("ThreadPoolExecutor") or "worker" in name.lower():
        return "request threads"
    return re.sub(r"[-_ ]?(0x)?[0-9a-f]{4,}$", "", name, flags=re.IGNORECASE) or name


def _service_functions(stacks: list[tuple[str, list[str], int]], total: int) -> list[dict[str, Any]]:
    """Inclusive share of the service's own functions (each counted once per sample)."""
    inclusive: Counter[str] = Counter()
    for _thread, frames, count in stacks:
        seen = set()
        for frame in frames:
            match = FRAME.match(frame)
            if match and "service/" in match["file"]:
                key = f"{match['function']} ({match['file']})"
                if key not in seen:
                    seen.add(key)
                    inclusive[key] += count
    return [{"function": key, "share": round(value / total, 3)} for key, value in inclusive.most_common(15)]


def summarise(cpu_path: Path, wall_path: Path) -> dict[str, Any]:
    cpu = _parse(cpu_path)
    wall = _parse(wall_path)
    cpu_total = sum(count for _t, _f, count in cpu) or 1
    wall_total = sum(count for _t, _f, count in wall) or 1
    cpu_categories: Counter[str] = Counter()
    for _thread, frames, count in cpu:
        cpu_categories[_category(frames)] += count
    by_thread: dict[str, Counter[str]] = {}
    for thread, frames, count in wall:
        by_thread.setdefault(_thread_kind(thread), Counter())[_category(frames)] += count
    return {
        "cpu_samples": cpu_total,
        "cpu_by_category": {
            name: round(value / cpu_total, 3) for name, value in cpu_categories.most_common()
        },
        "cpu_service_functions": _service_functions(cpu, cpu_total),
        "wall_by_thread": {
            kind: {
                "samples": sum(counter.values()),
                "by_category": {
                    name: round(value / sum(counter.values()), 3) for name, value in counter.most_common(6)
                },
            }
            for kind, counter in sorted(by_thread.items(), key=lambda item: -sum(item[1].values()))
        },
        "wall_request_functions": _service_functions(
            [stack for stack in wall if _thread_kind(stack[0]) == "request threads"],
            sum(c for t, _f, c in wall if _thread_kind(t) == "request threads") or 1,
        ),
        "wall_samples": wall_total,
    }


@contextmanager
def record(pid: int, out_dir: Path, label: str, results: dict[str, Any]) -> Iterator[None]:
    """Samples `pid` while the block runs; puts the summary into `results[label]`."""
    binary = py_spy_binary()
    if binary is None or pid <= 0:
        results[label] = {"error": "py-spy is not installed (pip install py-spy into .venv)"}
        yield
        return
    out_dir.mkdir(parents=True, exist_ok=True)
    cpu_path, wall_path = out_dir / f"profile-{label}-cpu.txt", out_dir / f"profile-{label}-wall.txt"
    common = [
        binary,
        "record",
        "--pid",
        str(pid),
        "--format",
        "raw",
        "--rate",
        "200",
        "--nonblocking",
        "--threads",
        "--subprocesses",
    ]
    recorders = [
        subprocess.Popen(
            [*common, "--gil", "--output", str(cpu_path)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        ),
        subprocess.Popen(
            [*common, "--idle", "--output", str(wall_path)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        ),
    ]
    try:
        yield
    finally:
        problems = []
        for recorder in recorders:
            recorder.send_signal(signal.SIGINT)
            try:
                _out, err = recorder.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                recorder.kill()
                _out, err = recorder.communicate()
            if recorder.returncode not in (0, -signal.SIGINT):
                problems.append(err.decode(errors="replace")[-300:])
        summary = summarise(cpu_path, wall_path)
        summary["raw_files"] = [str(cpu_path), str(wall_path)]
        if problems:
            summary["py_spy_errors"] = problems
        results[label] = summary
