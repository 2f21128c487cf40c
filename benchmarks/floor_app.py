"""The framework floor's two apps (`benchmarks.framework_floor`): the transfer route with nothing behind it.

Both take the service's transfer request body and answer its response model, so that FastAPI and
pydantic do the same validation and serialisation as for a real transfer:
- `create_bare_app`: one async endpoint, no dependencies: the least any FastAPI route for a transfer costs;
- `create_ledger_shape_app`: the service's `LedgerRouter` (the blocking endpoint runs in the thread pool)
  and dependencies of the service's own form (the runtime from the app's state, a session from an async
  generator, the caller from the bearer key), each returning a stand-in instead of touching a database.

`python -m benchmarks.floor_app APP PORT WORKERS` serves one of them as `cascade serve` serves the API:
uvicorn with workers forked from the process that imported everything (`service.workers.fork_workers`).
Each worker writes `ready-<pid>` into `FLOOR_READY_DIR` once built, so that load starts only when every
worker accepts connections (as the end to end runs wait for `cascade serve`'s workers).
"""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.security import HTTPAuthorizationCredentials

from service.api.auth import bearer_key
from service.api.common import IdPath
from service.api.routing import LedgerRouter
from service.notes.schemas import TransferCreate, TransferOut
from service.workers import fork_workers, tune_garbage_collector

READY_DIR_VARIABLE = "FLOOR_READY_DIR"
ROUTE = "/v1/notes/{token_id}/transfers"
NOTE_ROUTE = "/v1/notes/{token_id}"


def _answer(token_id: int, body: TransferCreate) -> TransferOut:
    return TransferOut(
        kind="split",
        token_id=token_id + 1,
        from_token_id=token_id,
        voucher_id=1,
        amount=body.amount,
        remaining="99999.00",
        to_participant_id=body.to_participant_id,
        transaction_hash="0x" + "ab" * 32,
        block_number=1,
    )


async def _read_note(token_id: IdPath) -> dict[str, int]:
    """The load generator's warm-up read."""
    return {"token_id": token_id}


def _finish(app: FastAPI) -> FastAPI:
    """The warm-up route; when the harness serves the app, the service's GC tuning and the ready file."""
    app.add_api_route(NOTE_ROUTE, _read_note, methods=["GET"])
    ready_dir = os.environ.get(READY_DIR_VARIABLE)
    if ready_dir:
        tune_garbage_collector()
        (Path(ready_dir) / f"ready-{os.getpid()}").touch()
    return app


def create_bare_app() -> FastAPI:
    app = FastAPI()

    @app.post(ROUTE, status_code=201, response_model=TransferOut)
    async def transfer(token_id: IdPath, body: TransferCreate) -> TransferOut:
        return _answer(token_id, body)

    return _finish(app)


class _StandInRuntime:
    """What `request.app.state.runtime` is to the service; here nothing."""


async def _get_runtime(request: Request) -> _StandInRuntime:
    runtime: _StandInRuntime = request.app.state.runtime
    return runtime


async def _get_session(runtime: Annotated[_StandInRuntime, Depends(_get_runtime)]) -> AsyncIterator[object]:
    yield object()


async def _get_caller(
    runtime: Annotated[_StandInRuntime, Depends(_get_runtime)],  # as the service's (its database)
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_key)],
) -> str:
    return credentials.credentials if credentials else ""


def create_ledger_shape_app() -> FastAPI:
    router = LedgerRouter()

    @router.post(ROUTE, status_code=201, response_model=TransferOut)
    def transfer(
        token_id: IdPath,
        body: TransferCreate,
        caller: Annotated[str, Depends(_get_caller)],
        session: Annotated[object, Depends(_get_session)],
        runtime: Annotated[_StandInRuntime, Depends(_get_runtime)],
    ) -> TransferOut:
        return _answer(token_id, body)

    app = FastAPI()
    app.state.runtime = _StandInRuntime()
    app.include_router(router)
    return _finish(app)


FACTORIES = {"bare": create_bare_app, "ledger_shape": create_ledger_shape_app}


def serve(app: str, port: int, workers: int) -> None:
    import uvicorn

    fork_workers()
    uvicorn.run(
        f"benchmarks.floor_app:{FACTORIES[app].__name__}",
        factory=True,
        host="127.0.0.1",
        port=port,
        workers=workers,
        log_level="warning",
    )


if __name__ == "__main__":
    # Through the module's own name: the workers load their factory from it, inherited already imported.
    from benchmarks import floor_app

    floor_app.serve(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
