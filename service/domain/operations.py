"""The lifecycle of a chain operation (one forward request) and of a job: states and allowed moves.

An operation is what an API request (or a job step) asks the chain writer to do: one EIP-712 forward
request, signed by the acting account, relayed through the forwarder. The forwarder's per-signer
nonce lets it run at most once; the chain's `ExecutedForwardRequest(signer, nonce, success)` event
says that it ran and whether its call succeeded. Every move below is decided from the chain, except
`queued -> rejected` (the writer's simulation refused it before anything was signed).

    queued ──sign──> signed ──ran, call succeeded──> executed
       │               │ ├────ran, call failed─────> reverted
       │               │ ├────deadline passed, nonce unused──> expired
       │               │ └────its nonce used by another request──> superseded
       │               └──re-signed (a nonce before it expired)──> signed
       └──simulation refused──> rejected
    executed, reverted ──its block undone by a reorganisation──> signed  (sent again)
"""

from __future__ import annotations

from enum import StrEnum


class OperationState(StrEnum):
    QUEUED = "queued"
    SIGNED = "signed"
    EXECUTED = "executed"
    REVERTED = "reverted"
    REJECTED = "rejected"
    EXPIRED = "expired"
    SUPERSEDED = "superseded"

    @property
    def finished(self) -> bool:
        """Whether the outcome is decided (only a reorganisation can reopen executed or reverted)."""
        return self not in (OperationState.QUEUED, OperationState.SIGNED)

    @property
    def took_effect(self) -> bool:
        return self is OperationState.EXECUTED


FINISHED_STATES = tuple(state for state in OperationState if state.finished)

_ALLOWED: dict[OperationState, frozenset[OperationState]] = {
    OperationState.QUEUED: frozenset({OperationState.SIGNED, OperationState.REJECTED}),
    OperationState.SIGNED: frozenset(
        {
            OperationState.SIGNED,
            OperationState.EXECUTED,
            OperationState.REVERTED,
            OperationState.EXPIRED,
            OperationState.SUPERSEDED,
        }
    ),
    OperationState.EXECUTED: frozenset({OperationState.SIGNED}),
    OperationState.REVERTED: frozenset({OperationState.SIGNED}),
    OperationState.REJECTED: frozenset(),
    OperationState.EXPIRED: frozenset(),
    OperationState.SUPERSEDED: frozenset(),
}


class IllegalTransition(AssertionError):
    """A move the lifecycle does not allow: a bug, never a user's mistake."""


def require_transition(current: str, target: str, allowed: dict[str, frozenset[str]] | None = None) -> None:
    """Asserts that `current -> target` is an allowed move of the operation lifecycle."""
    table: dict[str, frozenset[str]] = allowed if allowed is not None else _ALLOWED  # type: ignore[assignment]
    if target not in table.get(current, frozenset()):
        raise IllegalTransition(f"an operation cannot move from {current} to {target}")


def allowed_transitions() -> dict[OperationState, frozenset[OperationState]]:
    return dict(_ALLOWED)


class JobState(StrEnum):
    """A job (e.g. a settlement payout over many pieces) run by the chain writer in steps.

    queued -> running -> completed | failed;  queued -> completed (nothing to do) | failed (refused at
    its first step)."""

    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"

    @property
    def finished(self) -> bool:
        return self in (JobState.COMPLETED, JobState.FAILED)


JOB_TRANSITIONS: dict[str, frozenset[str]] = {
    JobState.QUEUED: frozenset({JobState.RUNNING, JobState.COMPLETED, JobState.FAILED}),
    JobState.RUNNING: frozenset({JobState.RUNNING, JobState.COMPLETED, JobState.FAILED}),
    JobState.COMPLETED: frozenset(),
    JobState.FAILED: frozenset(),
}


def require_job_transition(current: str, target: str) -> None:
    require_transition(current, target, JOB_TRANSITIONS)
