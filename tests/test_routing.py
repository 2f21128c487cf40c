"""The API router's wrapper around blocking endpoints (no chain: signatures only)."""

from __future__ import annotations

import asyncio
import inspect
from typing import Annotated

from fastapi import Depends

from service.api.routing import run_off_the_loop


def _dependency() -> int:
    return 7


NumberDep = Annotated[int, Depends(_dependency)]


def _endpoint(number: NumberDep, name: str = "x") -> str:
    return f"{name}{number}"


def test_the_wrapper_shows_fastapi_the_endpoints_resolved_annotations() -> None:
    # This module's annotations are strings (postponed evaluation); the wrapper lives in another module,
    # so FastAPI releases that resolve strings against the wrapper's globals could not find NumberDep.
    parameters = inspect.signature(run_off_the_loop(_endpoint)).parameters
    assert parameters["number"].annotation == NumberDep
    assert parameters["name"].annotation is str
    assert parameters["name"].default == "x"


def test_the_wrapper_runs_the_endpoint_and_returns_its_answer() -> None:
    wrapped = run_off_the_loop(_endpoint)
    assert inspect.iscoroutinefunction(wrapped)
    assert asyncio.run(wrapped(number=5, name="n")) == "n5"
