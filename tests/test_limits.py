"""The body's nesting bound, a pure scan of JSON text (service.api.limits.exceeds_depth)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.api.limits import exceeds_depth


def _depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max((_depth(item) for item in value), default=0)
    if isinstance(value, dict):
        return 1 + max((_depth(item) for item in value.values()), default=0)
    return 0


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet='[]{}"\\\\ ab'),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(alphabet='[]{}"\\\\ k'), inner, max_size=3)
    ),
    max_leaves=40,
)


@given(value=JSON, limit=st.integers(0, 8))
def test_the_scan_measures_what_the_parser_would_nest(value: Any, limit: int) -> None:
    """Brackets inside strings (escaped quotes too) do not count; the scan agrees with the parsed depth."""
    assert exceeds_depth(json.dumps(value).encode(), limit) == (_depth(value) > limit)


@pytest.mark.parametrize(
    ("body", "deeper"),
    [
        (b"[" * 33 + b"]" * 33, True),
        (b"[" * 32 + b"]" * 32, False),
        (b'{"a": "' + b"[" * 100 + b'"}', False),
        (b'{"a": "\\"' + b"[" * 100 + b'"}', False),
        (b"[" * 33, True),  # not even JSON: still refused before any parser sees it
    ],
)
def test_bodies_around_the_bound(body: bytes, deeper: bool) -> None:
    assert exceeds_depth(body, 32) is deeper
