"""Request and response pieces shared by several resources.

Every amount, id, rate and date at the API's edge has one spelling, checked here by Pydantic so that the
OpenAPI schema says the same thing as the check: an amount is a decimal string of ASCII digits with an
optional `.` (the currency's decimals are checked where the currency is known: `service.domain.money`),
an id and a rate are JSON integers (never `true`, `2.0` or `"2"`), a path id is plain ASCII digits
(never `1_0`, `02`, `+2` or ` 2`), a date is `YYYY-MM-DD`.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import Path
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, Strict
from pydantic_core import PydanticCustomError

from service.db.models import Participant
from service.domain.money import AMOUNT_PATTERN, MAX_AMOUNT_LENGTH, is_amount_spelling

# Ids (participants, vouchers, tokens, terms, quotes, programmes) are positive and stored as BIGINT:
# nothing at or beyond 2**63 can exist, and SQLite would fail on such a number with a 500. (`lt=2**63`
# rather than `le=2**63 - 1`: FastAPI passes schema bounds through floats, which hold 2**63 exactly.)
ID_LIMIT = 2**63
Id = Annotated[int, Strict(), Field(ge=1, lt=ID_LIMIT)]
"""An id in a JSON body: a JSON integer, never `true`, `2.0` or a string."""

_PATH_ID = re.compile(r"[1-9][0-9]{0,18}", re.ASCII)


def plain_digits(value: Any) -> Any:
    """A path or query id is text: only plain ASCII digits without a leading zero, not what Python's
    int() would also read (`1_0` is 10, and `02`, `+2`, ` 2` and full-width digits are 2)."""
    if isinstance(value, str):
        if not _PATH_ID.fullmatch(value):
            raise PydanticCustomError("integer_spelling", "a positive integer in plain ASCII digits")
        return int(value)
    return value


IdPath = Annotated[int, Path(ge=1, lt=ID_LIMIT), BeforeValidator(plain_digits)]

RateBps = Annotated[int, Strict(), Field(gt=0, le=10_000, description="Annual rate in basis points.")]
"""A rate: a JSON integer number of basis points (600 = 6.00%)."""


def _amount(value: str) -> str:
    if not is_amount_spelling(value):
        raise PydanticCustomError(
            "invalid_amount",
            'an amount is a decimal string of ASCII digits with an optional ".", e.g. "1000000.00"',
        )
    return value


Amount = Annotated[
    str,
    Strict(),
    AfterValidator(_amount),
    Field(
        json_schema_extra={"pattern": AMOUNT_PATTERN, "maxLength": MAX_AMOUNT_LENGTH},
        description="A decimal string in major units: ASCII digits, optionally `.` and at most the "
        "currency's decimals (2 for every supported currency). Never a number, an exponent or a sign.",
    ),
]

CurrencyCode = Annotated[str, Strict(), Field(max_length=3, pattern=r"^[A-Z]{3}$", examples=["CNY"])]

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
# A date the chain can carry: its midnight UTC is a positive uint40 timestamp (the contracts' type).
EARLIEST_DATE = date(1970, 1, 2)


def _iso_date(value: Any) -> Any:
    if isinstance(value, str) and not _ISO_DATE.fullmatch(value):
        raise PydanticCustomError("date_spelling", "a date is written YYYY-MM-DD")
    if not isinstance(value, str | date):
        raise PydanticCustomError("date_spelling", "a date is written YYYY-MM-DD")
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_date), Field(ge=EARLIEST_DATE)]
"""A calendar date, `YYYY-MM-DD` only (no timestamps, no times), from 1970-01-02."""


# Text a person reads (names, invoice references): no control characters (U+0000...), no format characters
# (the bidi overrides U+202A-U+202E and U+2066-U+2069, zero-width characters), no line or paragraph
# separators, no private-use, surrogate or unassigned code points.
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def _text(value: str) -> str:
    if value.strip() != value:
        raise PydanticCustomError("text_whitespace", "must not start or end with whitespace")
    for character in value:
        if unicodedata.category(character) in _FORBIDDEN_CATEGORIES:
            raise PydanticCustomError(
                "text_character",
                "must not contain control or format characters (found U+{code_point})",
                {"code_point": f"{ord(character):04X}"},
            )
    return value


_TEXT_RULE = "Printable text: no leading or trailing whitespace, no control or format characters."
Name = Annotated[
    str,
    Strict(),
    Field(min_length=1, max_length=200, description=_TEXT_RULE, examples=["Carmaker"]),
    AfterValidator(_text),
]
Reference = Annotated[
    str, Strict(), Field(min_length=1, max_length=100, description=_TEXT_RULE), AfterValidator(_text)
]


def _as_utc(value: datetime) -> datetime:
    """Every stored timestamp is UTC, but SQLite hands it back without its offset."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


UtcDatetime = Annotated[datetime, AfterValidator(_as_utc)]
"""A timestamp that always serialises with its UTC offset, as the `date-time` format requires."""


class ParticipantRef(BaseModel):
    participant_id: int | None = Field(
        description="Null when the address belongs to no registered participant."
    )
    name: str | None
    address: str


def participant_ref(address: str, known: dict[str, Participant]) -> ParticipantRef:
    participant = known.get(address)
    return ParticipantRef(
        participant_id=participant.id if participant else None,
        name=participant.name if participant else None,
        address=address,
    )


class ErrorBody(BaseModel):
    """Every error: a machine-readable `code` to branch on and a `message` for people."""

    code: str = Field(examples=["amount_not_unit_multiple"])
    message: str
    details: dict[str, Any] | None = Field(
        default=None, description="What the error is about, e.g. the field or the Solidity error."
    )


class SignedRequest(BaseModel):
    """For participants with their own wallet: the EIP-712 forward request they signed."""

    model_config = ConfigDict(extra="forbid")

    # A forwarder nonce counts one per request: far below what the ledger stores (BIGINT).
    nonce: int = Field(strict=True, ge=0, lt=2**63)
    deadline: int = Field(strict=True, gt=0, lt=2**48)
    signature: str = Field(max_length=132, pattern=r"^0x[0-9a-fA-F]{130}$")


class SigningRequestOut(BaseModel):
    typed_data: dict[str, Any] = Field(description="Sign with eth_signTypedData_v4, then POST the action.")
    nonce: int
    deadline: int
