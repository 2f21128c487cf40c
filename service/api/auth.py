"""Bearer API keys: random secrets shown once, stored as SHA-256 hashes, bound to a participant."""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from service.db.models import ApiKey, Participant
from service.db.session import Database
from service.errors import Forbidden, Unauthenticated
from service.runtime import Runtime

KEY_PREFIX = "csk_"
ROLES = ("admin", "obligor", "supplier", "financier")


def new_api_key() -> tuple[str, str, str]:
    """Returns (secret, its hash, a short prefix for display)."""
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    return secret, hash_api_key(secret), secret[:12]


def hash_api_key(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def get_runtime(request: Request) -> Runtime:
    """Async so that FastAPI calls it inline instead of handing it to a worker thread."""
    runtime: Runtime = request.app.state.runtime
    return runtime


async def get_session(runtime: Annotated[Runtime, Depends(get_runtime)]) -> AsyncIterator[Session]:
    """One session per request; the endpoint commits, anything uncommitted is rolled back here.

    Async, so that FastAPI opens and closes it inline rather than in two extra worker-thread hops:
    opening connects nothing (the first query, in the endpoint's thread, does), and closing only
    ends what the endpoint left open and returns the connection to the pool, one local round trip.
    """
    with runtime.database.sessions() as session:
        yield session


@dataclass(frozen=True)
class Caller:
    participant_id: int
    name: str
    role: str
    address: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def supervises(self) -> bool:
        """Sees every voucher and piece whole (docs/visibility.md): administrators, and compliance agents,
        who freeze, force and recover pieces and so must see what they act on."""
        return self.role in ("admin", "compliance_agent")


# Parses the header and documents the scheme in the OpenAPI schema; the errors stay ours (401, with a code).
bearer_key = HTTPBearer(
    scheme_name="ApiKey",
    description="`Authorization: Bearer csk_...`, the key a participant receives once when registered.",
    auto_error=False,
)


# Where the idempotency middleware leaves the caller it already looked up, in the request's scope state.
CALLER_STATE_KEY = "cascade_caller"
# How long a looked-up key is trusted without asking the database again. A key's participant, name and
# role never change and the API revokes nothing; a key revoked in the database (`revoked_at`) by hand
# stops working within this time.
API_KEY_CACHE_SECONDS = 10.0
API_KEY_CACHE_ENTRIES = 10_000


class ApiKeyCache:
    """Callers of recently used API keys, by key hash: one database lookup per key per few seconds
    instead of one per request (and the worker-thread hop it needs). Unknown keys are not cached, so a
    key works the moment it is created."""

    def __init__(self, ttl_seconds: float = API_KEY_CACHE_SECONDS) -> None:
        self._ttl_seconds = ttl_seconds
        self._entries: dict[str, tuple[float, Caller]] = {}
        self._lock = threading.Lock()

    def get(self, key_hash: str) -> Caller | None:
        entry = self._entries.get(key_hash)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def put(self, key_hash: str, caller: Caller) -> None:
        with self._lock:
            if len(self._entries) >= API_KEY_CACHE_ENTRIES:
                now = time.monotonic()
                self._entries = {key: entry for key, entry in self._entries.items() if entry[0] >= now}
                if len(self._entries) >= API_KEY_CACHE_ENTRIES:
                    self._entries.clear()
            self._entries[key_hash] = (time.monotonic() + self._ttl_seconds, caller)


def fetch_caller(database: Database, key_hash: str) -> Caller | None:
    """The participant an API key belongs to; one indexed lookup on a connection of its own, returned
    to the pool at once rather than held for the rest of the request (a burst of requests would
    otherwise starve the relayers and the indexer of connections)."""
    query = (
        select(Participant.id, Participant.name, Participant.role, Participant.address)
        .join(ApiKey, ApiKey.participant_id == Participant.id)
        .where(ApiKey.key_hash == key_hash, ApiKey.revoked_at.is_(None))
    )
    with database.engine.connect() as connection:
        row = connection.execute(query).one_or_none()
    if row is None:
        return None
    return Caller(participant_id=row.id, name=row.name, role=row.role, address=row.address)


async def resolve_caller(cache: ApiKeyCache, database: Database, secret: str) -> Caller | None:
    """The caller of an API key: from the cache, or looked up in a worker thread and remembered."""
    key_hash = hash_api_key(secret)
    caller = cache.get(key_hash)
    if caller is None:
        caller = await run_in_threadpool(fetch_caller, database, key_hash)
        if caller is not None:
            cache.put(key_hash, caller)
    return caller


async def get_caller(
    request: Request,
    runtime: Annotated[Runtime, Depends(get_runtime)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_key)],
) -> Caller:
    if credentials is None:
        raise Unauthenticated("send your API key as `Authorization: Bearer <key>`")
    caller: Caller | None = request.scope.get("state", {}).get(CALLER_STATE_KEY)
    if caller is None:
        caller = await resolve_caller(request.app.state.api_keys, runtime.database, credentials.credentials)
    if caller is None:
        raise Unauthenticated("the API key is not valid")
    return caller


def require_roles(*roles: str) -> object:
    async def check(caller: Annotated[Caller, Depends(get_caller)]) -> Caller:
        if caller.role not in roles:
            raise Forbidden(
                f"this needs one of the roles {', '.join(roles)}; your key has role {caller.role}",
                role=caller.role,
            )
        return caller

    return Depends(check)


CallerDep = Annotated[Caller, Depends(get_caller)]
SessionDep = Annotated[Session, Depends(get_session)]
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
AdminDep = Annotated[Caller, require_roles("admin")]
