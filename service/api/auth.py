"""Bearer API keys: random secrets shown once, stored as SHA-256 hashes, bound to a participant."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import ApiKey, Participant
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


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def get_session(runtime: Annotated[Runtime, Depends(get_runtime)]) -> Iterator[Session]:
    """One session per request; the endpoint commits, anything uncommitted is rolled back here."""
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


# Parses the header and documents the scheme in the OpenAPI schema; the errors stay ours (401, with a code).
bearer_key = HTTPBearer(
    scheme_name="ApiKey",
    description="`Authorization: Bearer csk_...`, the key a participant receives once when registered.",
    auto_error=False,
)


def get_caller(
    runtime: Annotated[Runtime, Depends(get_runtime)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_key)],
) -> Caller:
    if credentials is None:
        raise Unauthenticated("send your API key as `Authorization: Bearer <key>`")
    # A session of its own, closed at once: a request must not hold a pooled connection while it
    # waits for a worker thread, or a burst of requests starves the relayers and the indexer.
    with runtime.database.sessions() as session:
        row = session.execute(
            select(Participant)
            .join(ApiKey, ApiKey.participant_id == Participant.id)
            .where(ApiKey.key_hash == hash_api_key(credentials.credentials), ApiKey.revoked_at.is_(None))
        ).scalar_one_or_none()
        if row is None:
            raise Unauthenticated("the API key is not valid")
        return Caller(participant_id=row.id, name=row.name, role=row.role, address=row.address)


def require_roles(*roles: str) -> object:
    def check(caller: Annotated[Caller, Depends(get_caller)]) -> Caller:
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
