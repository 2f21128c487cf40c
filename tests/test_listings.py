"""Listing answers read their related rows once for the whole list, not once per item."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from service.runtime import Runtime
from tests.conftest import SeedLedger, issue_voucher, transfer, watching_statements

pytestmark = pytest.mark.integration
TABLE = re.compile(r"\bFROM (\w+)")


@contextmanager
def _tables_read(runtime: Runtime) -> Iterator[Counter[str]]:
    """Counts the statements reading each table while the block runs (any thread)."""
    counted: Counter[str] = Counter()

    def count(statement: str) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            counted.update(set(TABLE.findall(statement)))

    with watching_statements(runtime, count):
        yield counted


def _reads(runtime: Runtime, request: Callable[[], Any]) -> Counter[str]:
    request()  # the API key is then in the cache: what is counted is the listing's own work
    with _tables_read(runtime) as counted:
        request()
    return counted


def test_a_holders_pieces_read_their_vouchers_and_parties_once(seed: SeedLedger, runtime: Runtime) -> None:
    root = seed.voucher["root_token_id"]
    second = issue_voucher(seed.admin, seed.carmaker, seed.t1)
    for token in (root, root, root, second["root_token_id"]):
        transfer(seed.t1, token, seed.a, "1000000.00")
    listing = seed.a.get("/v1/notes").json()["items"]
    assert len(listing) == 4
    assert {note["voucher_id"] for note in listing} == {seed.voucher["id"], second["id"]}
    reads = _reads(runtime, lambda: seed.a.get("/v1/notes"))
    assert reads["participants"] == 1 and reads["vouchers"] == 1, reads


def test_the_voucher_list_reads_documents_and_parties_once(seed: SeedLedger, runtime: Runtime) -> None:
    for _ in range(3):
        issue_voucher(seed.admin, seed.carmaker, seed.t1)
    assert len(seed.admin.get("/v1/vouchers").json()["items"]) == 4
    reads = _reads(runtime, lambda: seed.admin.get("/v1/vouchers"))
    assert reads["participants"] == 1 and reads["voucher_documents"] == 1, reads
