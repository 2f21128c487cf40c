"""The README is the front door: its walk-through runs as written, it stays small, and no link of it or of
docs/ leads nowhere.

The walk-through's ```bash blocks are run, as a user would paste them, against `cascade serve` on a fresh
data directory. Each `# => ` line under a command is what that command prints (the HTTP status and the
fields `jq` picks from the answer), and every line the walk-through prints must be one the README shows.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from service.settings import PROJECT_ROOT
from tests.harness import ServedLedger

README = PROJECT_ROOT / "README.md"
DOCS = PROJECT_ROOT / "docs"
README_MAX_BYTES = 12_000
WALKTHROUGH_HEADING = "## Walk-through"
EXPECTED_PREFIX = "# => "
STEP_MARKER = "@@walkthrough step {}@@"


@dataclass
class Step:
    """Lines a user pastes, and what they print (`# => ` lines), in order."""

    lines: list[str] = field(default_factory=list)
    expected: list[str] = field(default_factory=list)


def walkthrough_blocks(text: str) -> list[str]:
    """The ```bash blocks of the walk-through section (up to the next `## ` heading)."""
    start = text.index(WALKTHROUGH_HEADING)
    following = text.find("\n## ", start + len(WALKTHROUGH_HEADING))
    section = text[start : following if following != -1 else len(text)]
    return re.findall(r"^```bash\n(.*?)^```$", section, flags=re.MULTILINE | re.DOTALL)


def split_steps(blocks: list[str]) -> list[Step]:
    """Each step ends with the `# => ` lines after its commands; lines after the last ones print nothing."""
    steps = [Step()]
    for block in blocks:
        for line in block.splitlines():
            if line.startswith(EXPECTED_PREFIX):
                steps[-1].expected.append(line.removeprefix(EXPECTED_PREFIX))
            else:
                if steps[-1].expected:
                    steps.append(Step())
                steps[-1].lines.append(line)
    return steps


def build_script(steps: list[Step]) -> str:
    """One bash script of every step, each announced by a marker line so that its output can be told apart."""
    parts = ["set -euo pipefail"]
    for number, step in enumerate(steps):
        parts.append(f"echo '{STEP_MARKER.format(number)}'")
        parts.extend(step.lines)
    return "\n".join(parts) + "\n"


def outputs_by_step(stdout: str, count: int) -> list[list[str]]:
    found: list[list[str]] = [[] for _ in range(count)]
    current: int | None = None
    markers = {STEP_MARKER.format(number): number for number in range(count)}
    for line in stdout.splitlines():
        if line in markers:
            current = markers[line]
        else:
            assert current is not None, f"output before the first step: {line!r}"
            found[current].append(line)
    return found


def parse_printed(line: str) -> tuple[int, Any]:
    """`201 {"token_id": 2}` -> (201, {"token_id": 2}): a status and a JSON value, compared as values."""
    status, _, document = line.partition(" ")
    return int(status), json.loads(document)


def test_walkthrough_is_split_into_checked_steps() -> None:
    steps = split_steps(walkthrough_blocks(README.read_text()))
    checked = [step for step in steps if step.expected]
    assert len(checked) >= 20, "the walk-through shows what its steps print"
    requests = [line for step in steps for line in step.lines if re.match(r"\s*(post|get) /", line)]
    assert requests, "the walk-through calls the API"
    for step in steps:
        for line in step.lines:
            if re.match(r"(post|get) /", line.strip()):
                assert step.expected, f"{line!r} prints an answer the README does not show"


def _wait_out_midnight() -> None:
    """The walk-through's due date is 181 days from today (UTC), 180 whole days from now: a run that
    straddled midnight would price a day less. Near midnight, start just after it instead."""
    now = datetime.now(UTC)
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    if midnight - now < timedelta(minutes=10):
        time.sleep((midnight - now).total_seconds() + 5)


@pytest.mark.integration
def test_readme_walkthrough_runs_against_a_served_ledger(tmp_path: Path) -> None:
    """On a fresh data directory, then again on the same, used one (whose chain clock the first run
    moved half a year ahead): names do not collide, dates follow the ledger's clock."""
    steps = split_steps(walkthrough_blocks(README.read_text()))
    script = tmp_path / "walkthrough.sh"
    script.write_text(build_script(steps))
    ledger = ServedLedger(tmp_path / "data", workers=1)
    _wait_out_midnight()
    ledger.start()
    try:
        env = {
            **ledger.env,
            "PORT": str(ledger.port),
            "ANVIL_PORT": ledger.env["ANVIL_PORT"],
            "CASCADE_DATA_DIR": str(ledger.data_dir),
        }
        runs = [
            subprocess.run(
                ["bash", str(script)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600
            )
            for _ in ("fresh", "used")
        ]
    finally:
        ledger.stop()
    for run, data in zip(runs, ("fresh", "used"), strict=True):
        assert run.returncode == 0, (
            f"the walk-through failed on a {data} data directory:\n{run.stdout}\n{run.stderr}\n"
            f"{ledger.process.tail()}"
        )
        _check_printed(steps, run.stdout, data)


def _check_printed(steps: list[Step], stdout: str, data: str) -> None:
    printed = outputs_by_step(stdout, len(steps))
    for step, lines in zip(steps, printed, strict=True):
        command = "\n".join(step.lines).strip()
        assert len(lines) == len(step.expected), (
            f"({data} data) after\n{command}\nthe README shows {step.expected}, the walk-through printed "
            f"{lines}"
        )
        for shown, got in zip(step.expected, lines, strict=True):
            assert parse_printed(got) == parse_printed(shown), (
                f"({data} data) after\n{command}\nthe README shows {shown}, the walk-through printed {got}"
            )


def test_readme_is_a_front_door() -> None:
    size = len(README.read_bytes())
    assert size < README_MAX_BYTES, f"README.md is {size} bytes: move detail to docs/"


LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")


def _slug(heading: str) -> str:
    """A heading's anchor as GitHub makes it: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _anchors(markdown: Path) -> set[str]:
    outside_code = re.sub(r"^```.*?^```", "", markdown.read_text(), flags=re.MULTILINE | re.DOTALL)
    return {_slug(line.lstrip("#")) for line in outside_code.splitlines() if re.match(r"#{1,6} ", line)}


def documents() -> list[Path]:
    return [README, *sorted(DOCS.rglob("*.md"))]


@pytest.mark.parametrize("document", documents(), ids=lambda path: str(path.relative_to(PROJECT_ROOT)))
def test_every_relative_link_resolves(document: Path) -> None:
    outside_code = re.sub(r"^```.*?^```", "", document.read_text(), flags=re.MULTILINE | re.DOTALL)
    broken = []
    for target in LINK.findall(outside_code):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto: ...: not a file of the repository
            continue
        path_part, _, anchor = target.partition("#")
        resolved = (document.parent / path_part).resolve() if path_part else document
        if not resolved.exists():
            broken.append(f"{target} (no {resolved})")
        elif anchor and resolved.suffix == ".md" and anchor not in _anchors(resolved):
            broken.append(f"{target} (no heading #{anchor} in {resolved.name})")
    assert not broken, f"{document.name} links to nothing: {broken}"
