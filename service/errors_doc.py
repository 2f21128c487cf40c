"""docs/errors.md, written from the `LedgerError` tree: every code a client can get, its HTTP status and
meaning (each class's docstring). `cascade errors --output docs/errors.md` writes it; a test checks the
file and the tree agree."""

from __future__ import annotations

import inspect
from collections.abc import Iterator

from service.errors import HttpError, LedgerError

HEADER = """# Error codes

Every error answer is JSON: a machine-readable `code` to branch on, a `message` for people, and, for
most, `details` (the field, the amounts as decimal strings with their `currency`, participant ids,
ISO-8601 times; for a refusal by the chain, `details.error` names the Solidity error). Each code has
one meaning and one HTTP status. A code's parent is the more general code a client may treat it as.

This file is written from the error classes in `service/errors.py` by `cascade errors --output
docs/errors.md`; `tests/test_errors_doc.py` fails when the two disagree.

| code | status | parent | meaning |
| --- | --- | --- | --- |
"""


def error_classes() -> Iterator[type[LedgerError]]:
    """Every class of the tree below its root that a client can tell apart, depth first: not the private
    ones, nor those that refine their parent for the service's own use under the parent's code (a
    chain call's timeout is `chain_unavailable`)."""
    pending = list(LedgerError.__subclasses__())
    while pending:
        kind = pending.pop(0)
        pending[:0] = kind.__subclasses__()
        if kind.__name__.startswith("_") or kind.code == kind.__mro__[1].code:  # type: ignore[attr-defined]
            continue
        yield kind


def _row(kind: type[LedgerError]) -> str:
    parent = kind.__mro__[1]
    parent_code = "" if parent is LedgerError else f"`{parent.code}`"  # type: ignore[attr-defined]
    status = "the HTTP layer's" if kind is HttpError else str(kind.status_code)
    meaning = " ".join(inspect.getdoc(kind).split())  # type: ignore[union-attr]
    return f"| `{kind.code}` | {status} | {parent_code} | {meaning} |"


def render_error_codes() -> str:
    ordered = sorted(
        error_classes(), key=lambda kind: (kind.status_code if kind is not HttpError else 999, kind.code)
    )
    return HEADER + "\n".join(_row(kind) for kind in ordered) + "\n"
