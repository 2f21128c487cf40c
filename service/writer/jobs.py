"""Jobs: long work the chain writer runs in steps, off the request (e.g. paying every piece of a voucher).

A job is a row with a state and a progress document; each step is one operation (`job_id` set), so a
step is exactly-once like any operation, and a crash anywhere resumes where the last decided step
left off. What a step does is the feature's (`JobHandler`); infrastructure only runs them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar, Protocol

from sqlalchemy import Connection, insert, select, update

from service.db.models import Job, Operation
from service.db.session import Database
from service.domain.operations import JobState, OperationState, require_job_transition
from service.errors import store_error
from service.writer.outbox import OperationIntent, OperationView, fetch_operations, insert_operations

logger = logging.getLogger(__name__)

# A refused step is planned again after 2, 4, 8 and 16 seconds before its job fails.
MAX_STEP_RETRIES = 4
STEP_RETRY_BASE_SECONDS = 2.0


class JobHandler(Protocol):
    kind: ClassVar[str]

    def next_step(self, connection: Connection, job: Job) -> OperationIntent | None:
        """The next operation of the job, or None when it is done."""

    def record_step(self, connection: Connection, job: Job, step: OperationView) -> dict[str, Any]:
        """The job's progress after `step` ran (executed)."""


def create_job(
    connection: Connection,
    kind: str,
    params: dict[str, Any],
    *,
    participant_id: int | None,
    request_key: str | None,
    progress: dict[str, Any],
) -> int:
    now = datetime.now(UTC)
    return int(
        connection.execute(
            insert(Job).returning(Job.id),
            {
                "kind": kind,
                "state": JobState.QUEUED,
                "participant_id": participant_id,
                "request_key": request_key,
                "params": params,
                "progress": progress,
                "created_at": now,
                "updated_at": now,
            },
        ).scalar_one()
    )


class JobRunner:
    def __init__(self, database: Database, handlers: Sequence[JobHandler]) -> None:
        self._database = database
        self._handlers = {handler.kind: handler for handler in handlers}

    def advance(self) -> int:
        """Moves every unfinished job one step on where its last step is decided; returns how many moved."""
        with self._database.engine.connect() as connection:
            ids = list(
                connection.execute(
                    select(Job.id).where(Job.state.in_([JobState.QUEUED, JobState.RUNNING])).order_by(Job.id)
                ).scalars()
            )
        return sum(self._advance_one(job_id) for job_id in ids)

    def _advance_one(self, job_id: int) -> bool:
        with self._database.transaction() as session:
            job = session.get(Job, job_id)
            if job is None or JobState(job.state).finished:
                return False
            connection = session.connection()
            last_id = connection.execute(
                select(Operation.id).where(Operation.job_id == job_id).order_by(Operation.id.desc()).limit(1)
            ).scalar()
            handler = self._handlers.get(job.kind)
            if handler is None:
                logger.error("job %s of unknown kind %s", job_id, job.kind)
                return False
            if last_id is not None:
                [last] = fetch_operations(connection, [last_id])
                if not last.finished:
                    return False
                if last.state is not OperationState.EXECUTED:
                    return self._retry_or_fail(session, job, last)
                if job.progress.get("last_step") != last.id:
                    job.progress = {**handler.record_step(connection, job, last), "last_step": last.id}
            return self._plan_next(session, job)

    def _plan_next(self, session: Any, job: Job) -> bool:
        connection = session.connection()
        step = self._handlers[job.kind].next_step(connection, job)
        if step is None:
            self._finish(session, job, JobState.COMPLETED)
            return True
        insert_operations(
            connection, [step], participant_id=job.participant_id, request_key=None, job_id=job.id
        )
        if job.state != JobState.RUNNING:
            require_job_transition(job.state, JobState.RUNNING)
            job.state = JobState.RUNNING
        job.updated_at = datetime.now(UTC)
        return True

    def _retry_or_fail(self, session: Any, job: Job, last: OperationView) -> bool:
        """A step refused by the chain is planned again a few times, later each time, before the job
        fails: after the chain lost recent blocks (a restarted node), the step may have run before the
        operations it depends on (the settlement's funding) were sent again, and it passes once they
        are. A step that keeps failing fails the job with its reason."""
        retries = int(job.progress.get("step_retries", 0))
        retry_at = job.progress.get("retry_at")
        if retry_at is not None and job.progress.get("retried_step") == last.id:
            if time.time() < float(retry_at):
                return False
            job.progress = {**job.progress, "retry_at": None}
            return self._plan_next(session, job)
        if retries >= MAX_STEP_RETRIES:
            failure = last.failure()
            self._finish(session, job, JobState.FAILED, error=store_error(failure) if failure else None)
            return True
        logger.warning(
            "job %s: step %s %s; planning it again (retry %s)", job.id, last.id, last.state, retries + 1
        )
        job.progress = {
            **job.progress,
            "step_retries": retries + 1,
            "retried_step": last.id,
            "retry_at": time.time() + STEP_RETRY_BASE_SECONDS * 2**retries,
        }
        job.updated_at = datetime.now(UTC)
        return True

    @staticmethod
    def _finish(session: Any, job: Job, state: JobState, error: dict[str, Any] | None = None) -> None:
        require_job_transition(job.state, state)
        session.execute(
            update(Job)
            .where(Job.id == job.id)
            .values(
                state=state, error=error, error_code=(error or {}).get("code"), updated_at=datetime.now(UTC)
            )
        )
        session.expire(job)
