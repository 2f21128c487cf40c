"""Every listing is paginated the same way: `limit` and `cursor` in, `items` and `next_cursor` out.

A page holds at most `limit` items (1 to `MAX_PAGE_SIZE`, default `DEFAULT_PAGE_SIZE`) in a stable
order, each listing's by a key that never changes (an id, a token id, a block and log index). The
cursor is opaque to clients: it encodes the key of the page's last item, and the next page starts
after it, so pages neither skip nor repeat an item when others are added meanwhile. `next_cursor` is
null on the last page. A cursor that was not handed out by the service is refused with 422
`invalid_cursor`.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel, BeforeValidator, Field

from service.api.common import plain_digits
from service.errors import InvalidCursor

MAX_PAGE_SIZE = 200
DEFAULT_PAGE_SIZE = 50
MAX_CURSOR_LENGTH = 120
_CURSOR_VERSION = "v1"
_KEY = re.compile(r"(0|[1-9][0-9]{0,18})(,(0|[1-9][0-9]{0,18})){0,3}", re.ASCII)

Item = TypeVar("Item")
Key = tuple[int, ...]


class Page(BaseModel, Generic[Item]):
    items: list[Item]
    next_cursor: str | None = Field(
        description="Pass it as `cursor` for the next page; null on the last page."
    )


@dataclass(frozen=True)
class PageRequest:
    limit: int
    after: Key | None  # the key of the last item of the previous page

    @property
    def after_id(self) -> int | None:
        """The previous page's last id, for a listing ordered by one id."""
        return self.after[0] if self.after else None

    def page(self, rows: Sequence[Item], key: Callable[[Item], Key]) -> tuple[list[Item], str | None]:
        """`rows` were fetched in the listing's order after `after`, at most `limit + 1` of them: the
        page's items, and the cursor of the next page if there is one."""
        items = list(rows[: self.limit])
        more = len(rows) > self.limit
        return items, encode_cursor(key(items[-1])) if more and items else None


def encode_cursor(key: Key) -> str:
    text = f"{_CURSOR_VERSION}:{','.join(str(part) for part in key)}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, parts: int) -> Key:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    version, _, key = text.partition(":")
    if version != _CURSOR_VERSION or not _KEY.fullmatch(key) or key.count(",") != parts - 1:
        raise InvalidCursor(
            "the cursor is not one this listing handed out", cursor=cursor[:MAX_CURSOR_LENGTH]
        )
    return tuple(int(part) for part in key.split(","))


def page_request(parts: int = 1) -> Callable[..., PageRequest]:
    """A dependency reading `limit` and `cursor` for a listing whose key has `parts` integers."""

    def read(
        limit: Annotated[
            int,
            Query(ge=1, le=MAX_PAGE_SIZE, description=f"Items per page, at most {MAX_PAGE_SIZE}."),
            BeforeValidator(plain_digits),
        ] = DEFAULT_PAGE_SIZE,
        cursor: Annotated[
            str | None,
            Query(
                min_length=1,
                max_length=MAX_CURSOR_LENGTH,
                pattern=r"^[A-Za-z0-9_-]+$",
                description="The `next_cursor` of the previous page; omit it for the first page.",
            ),
        ] = None,
    ) -> PageRequest:
        return PageRequest(limit, decode_cursor(cursor, parts) if cursor is not None else None)

    return read


PageDep = Annotated[PageRequest, Depends(page_request())]
"""`limit` and `cursor` of a listing ordered by one integer key (an id)."""
