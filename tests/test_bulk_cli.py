"""`cascade vouchers issue-batch` and `cascade notes transfer-batch` against the API: interrupted and run
again, nothing is issued twice."""

from __future__ import annotations

import csv
import threading
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
import pytest

from service.bulk_cli import ISSUE_COLUMNS, run_issue_batch, run_transfer_batch
from tests.conftest import ApiUser, SeedLedger, six_months_ahead

pytestmark = pytest.mark.usefixtures("fresh_chain")


class Interrupted(Exception):
    """Stands for the operator's Ctrl-C (or a lost connection) after some rows were sent."""


class ApiAs:
    """The CLI's HTTP client, as `user`, through the test app; fails every request after `allowed`."""

    def __init__(self, user: ApiUser, allowed: int | None = None) -> None:
        self.user = user
        self.allowed = allowed
        self.sent = 0
        self.guard = threading.Lock()

    def __enter__(self) -> ApiAs:
        return self

    def __exit__(self, *_: type[BaseException] | BaseException | TracebackType | None) -> None:
        return None

    def post(self, path: str, json: Any = None, headers: dict[str, str] | None = None) -> httpx.Response:
        with self.guard:
            self.sent += 1
            if self.allowed is not None and self.sent > self.allowed:
                raise Interrupted(f"interrupted after {self.allowed} requests")
        response: httpx.Response = self.user.post(path, json=json, headers=headers)
        return response


def _vouchers_file(path: Path, seed: SeedLedger, rows: int) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(ISSUE_COLUMNS)
        for number in range(rows):
            writer.writerow(
                [
                    seed.carmaker.participant_id,
                    seed.t1.participant_id,
                    "CNY",
                    f"{number + 1}000000.00",
                    "1000000.00",
                    six_months_ahead().isoformat(),
                    f"PO-{number:04d};GRN-{number:04d}",
                    "0x" + f"{number:02x}" * 32,
                ]
            )
    return path


def _voucher_ids(admin: ApiUser) -> list[int]:
    ids, cursor = [], None
    while True:
        page = admin.get(
            "/v1/vouchers", params={"limit": 200, **({"cursor": cursor} if cursor else {})}
        ).json()
        ids += [voucher["id"] for voucher in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            return ids


def test_an_interrupted_issue_batch_resumes_without_issuing_anything_twice(
    seed: SeedLedger, tmp_path: Path
) -> None:
    source = _vouchers_file(tmp_path / "payables.csv", seed, 20)
    summary = tmp_path / "payables.issued.csv"
    before = set(_voucher_ids(seed.admin))
    with pytest.raises(Interrupted):
        run_issue_batch(lambda: ApiAs(seed.admin, allowed=7), source, summary, concurrency=4)  # type: ignore[arg-type, return-value]
    issued_first = set(_voucher_ids(seed.admin)) - before
    assert 0 < len(issued_first) <= 7

    outcomes = run_issue_batch(lambda: ApiAs(seed.admin), source, summary, concurrency=4)  # type: ignore[arg-type, return-value]
    assert [outcome.status for outcome in outcomes] == [201] * 20
    issued = set(_voucher_ids(seed.admin)) - before
    assert len(issued) == 20, "each row issued exactly once"
    assert issued_first <= issued
    with summary.open() as handle:
        rows = list(csv.DictReader(handle))
    assert [row["state"] for row in rows] == ["issued"] * 20
    assert {int(row["voucher_id"]) for row in rows} == issued
    faces = {seed.admin.get(f"/v1/vouchers/{row['voucher_id']}").json()["face_value"] for row in rows}
    assert faces == {f"{number + 1}000000.00" for number in range(20)}
    # A third run answers every row from the service's store and issues nothing.
    run_issue_batch(lambda: ApiAs(seed.admin), source, summary, concurrency=4)  # type: ignore[arg-type, return-value]
    assert set(_voucher_ids(seed.admin)) - before == issued


def test_a_transfer_file_runs_once_however_often_it_is_sent(seed: SeedLedger, tmp_path: Path) -> None:
    root = seed.voucher["root_token_id"]
    source = tmp_path / "month-end.csv"
    with source.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["from_token_id", "to_participant_id", "amount"])
        for user in (seed.a, seed.b, seed.c) * 4:
            writer.writerow([root, user.participant_id, "1000000.00"])
    for _ in range(2):
        [outcome] = run_transfer_batch(lambda: ApiAs(seed.t1), source, tmp_path / "summary.json")  # type: ignore[arg-type, return-value]
        assert outcome.status == 201 and outcome.answer["executed"] == 12
    assert seed.t1.get(f"/v1/notes/{root}").json()["value"] == "88000000.00"
