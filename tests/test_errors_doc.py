"""docs/errors.md and the LedgerError tree agree; every code has one class, one status, one meaning."""

from __future__ import annotations

import inspect
from collections import Counter

from service.errors import LedgerError
from service.errors_doc import error_classes, render_error_codes
from service.main import ERROR_RESPONSES
from service.settings import PROJECT_ROOT


def test_docs_errors_md_is_the_tree_as_it_is() -> None:
    written = (PROJECT_ROOT / "docs" / "errors.md").read_text()
    assert written == render_error_codes(), "run `cascade errors --output docs/errors.md`"


def test_each_code_is_one_class_with_its_own_meaning() -> None:
    classes = list(error_classes())
    codes = Counter(kind.code for kind in classes)
    assert not [code for code, count in codes.items() if count > 1], codes
    for kind in classes:
        assert "__doc__" in vars(kind) and inspect.getdoc(kind), (
            f"{kind.__name__} says nothing of its meaning"
        )
        assert 400 <= kind.status_code < 600


def test_every_documented_example_code_is_in_the_tree() -> None:
    codes = {kind.code for kind in error_classes()} | {LedgerError.code}
    examples = {
        response["content"]["application/json"]["example"]["code"] for response in ERROR_RESPONSES.values()
    }
    assert examples <= codes
