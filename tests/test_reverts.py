"""Every Solidity error renders in the API's units: decimal strings with their currency (value in the
voucher's denomination, cash in its settlement currency), ISO-8601 times, participant ids, codes' letters,
milestones' names; never minor units, epoch seconds, raw rates, hex or raw addresses; another party's
figures withheld.

Table-driven over `REVERT_MEANINGS`, with arguments of every error built from the compiled ABIs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session

from service.api.reverts import fetch_currencies
from service.chain.abi import ErrorCatalog, encode_values, selector
from service.chain.compiler import Artifact
from service.chain.revert import (
    AMOUNTS,
    FIGURES,
    INTERNAL_ERRORS,
    REVERT_MEANINGS,
    Kind,
    RawRevert,
    RevertContext,
    RevertMeaning,
    bytes_text,
    decode_revert,
    render_revert,
)
from service.db.models import EarlyPaymentProgrammeRecord, FinancingQuote, FinancingTerms, Note, Voucher
from service.db.session import Database
from service.errors import (
    ChainRejected,
    FinancedShareExceeded,
    FxRateStale,
    FxRateUnavailable,
    InvalidAmount,
    InvalidCountry,
    KycExpired,
    LedgerError,
    MilestoneNotReached,
    RollingLimitExceeded,
)

HEX = re.compile(r"0x[0-9a-fA-F]{2,}")  # an address, a hex word, any raw bytes
PARTICIPANTS = {f"0x{index:040x}": index for index in range(1, 40)}  # address -> participant id
OUTSIDER = "0x" + "ee" * 20


@pytest.fixture(scope="module")
def catalog(artifacts: dict[str, Artifact]) -> ErrorCatalog:
    return ErrorCatalog([artifact.abi for artifact in artifacts.values()])


@pytest.fixture(scope="module")
def specs(artifacts: dict[str, Artifact]) -> dict[str, list[tuple[str, str]]]:
    """Each custom error's arguments (type, name), from the ABIs."""
    return {
        item["name"]: [(argument["type"], argument["name"]) for argument in item["inputs"]]
        for artifact in artifacts.values()
        for item in artifact.abi
        if item["type"] == "error"
    }


def _sample(name: str, arguments: list[tuple[str, str]]) -> dict[str, Any]:
    """Distinctive values: amounts and times far from anything a message says in words."""
    kinds = REVERT_MEANINGS[name].kinds
    values: dict[str, Any] = {}
    for index, (kind_of_type, argument) in enumerate(arguments):
        kind = kinds[argument]
        if kind_of_type == "address":
            values[argument] = f"0x{index + 1:040x}"
        elif kind_of_type == "bytes8":
            values[argument] = "0x" + b"CNY".ljust(8, b"\0").hex()
        elif kind_of_type.startswith("bytes"):
            values[argument] = "0x" + "ab" * int(kind_of_type.removeprefix("bytes"))
        elif kind in AMOUNTS:
            values[argument] = 8_000_000_000 + index * 1_000_001
        elif kind is Kind.TIME:
            values[argument] = 1_827_792_000 + index * 86_401
        elif kind_of_type in ("uint8", "uint16"):
            values[argument] = 200 + index
        else:
            values[argument] = 987_654_321 + index
    return values


def _context(caller: str | None) -> RevertContext:
    """A cross-border voucher's request: value counts in USD, cash moves in CNY."""
    return RevertContext(
        currency="USD",
        cash_currency="CNY",
        account=lambda address: PARTICIPANTS.get(address.lower()),
        holder_of=lambda _token: OUTSIDER,
        caller=caller,
    )


def _said(error: Any) -> str:
    return repr(error.to_body())


def _rendered(kind: Kind, value: int) -> str:
    """How a figure reads in `details`: an amount as a decimal string, a time in ISO-8601."""
    if kind is Kind.TIME:
        return datetime.fromtimestamp(value, UTC).isoformat().replace("+00:00", "Z")
    return f"{value // 100}.{value % 100:02d}"


def test_every_argument_of_every_error_has_a_kind(specs: dict[str, list[tuple[str, str]]]) -> None:
    for name, meaning in REVERT_MEANINGS.items():
        assert name in specs, f"{name} is not an error of the contracts"
        assert set(meaning.kinds) == {argument for _type, argument in specs[name]}, name
        assert meaning.arguments() <= set(meaning.kinds), name
        for figure, owner in meaning.owners.items():
            assert meaning.kinds[figure] in FIGURES, name
            assert meaning.withheld_message is not None, name
            assert figure not in re.findall(r"{(\w+)}", meaning.withheld_message), name
            assert owner is None or meaning.kinds[owner] in (Kind.ACCOUNT, Kind.TOKEN), name
    assert not (set(specs) - set(REVERT_MEANINGS) - INTERNAL_ERRORS)


@pytest.mark.parametrize("name", sorted(REVERT_MEANINGS))
def test_every_revert_speaks_the_apis_units(name: str, specs: dict[str, list[tuple[str, str]]]) -> None:
    meaning = REVERT_MEANINGS[name]
    args = _sample(name, specs[name])
    cross_border = {Kind.VALUE: "USD", Kind.CASH: "CNY"}
    for context, currencies in (
        (_context(caller=None), cross_border),
        (_context(caller=OUTSIDER), cross_border),
        (RevertContext(), {}),
    ):
        error = render_revert(RawRevert(name, args), context)
        said = _said(error)
        assert isinstance(error, meaning.error) and error.details["error"] == name
        assert not HEX.search(said), said
        for argument, kind in meaning.kinds.items():
            if kind in (Kind.VALUE, Kind.CASH, Kind.TIME, Kind.HIDDEN):
                assert str(args[argument]) not in said, (argument, said)
        for argument, kind in meaning.kinds.items():
            if argument not in re.findall(r"{(\w+)}", meaning.message) or argument in meaning.owners:
                continue
            if kind in currencies:
                decimal = _rendered(kind, args[argument])
                assert f"{decimal} {currencies[kind]}" in error.message, (argument, error.message)
            if kind is Kind.TIME:
                assert _rendered(kind, args[argument]) in error.message, error.message
        assert error.revert == RawRevert(name, args)


@pytest.mark.parametrize("name", sorted(name for name in REVERT_MEANINGS if REVERT_MEANINGS[name].owners))
def test_another_partys_figures_are_withheld(name: str, specs: dict[str, list[tuple[str, str]]]) -> None:
    """insufficient_cash told the seller the financier's cash: a figure is shown to its owner only."""
    meaning = REVERT_MEANINGS[name]
    args = _sample(name, specs[name])
    for figure, owner in meaning.owners.items():
        shown = _rendered(meaning.kinds[figure], args[figure])
        to_another = render_revert(RawRevert(name, args), _context(caller="0x" + "dd" * 20))
        assert shown not in _said(to_another) and figure not in to_another.details
        if owner is None:
            continue
        owner_address = args[owner] if meaning.kinds[owner] is Kind.ACCOUNT else OUTSIDER
        to_owner = render_revert(RawRevert(name, args), _context(caller=owner_address))
        assert to_owner.details[figure] == shown and shown in to_owner.message


def test_the_raw_revert_survives_storage_and_renders_again(catalog: ErrorCatalog) -> None:
    data = selector("ERC20InsufficientBalance(address,uint256,uint256)") + encode_values(
        ["address", "uint256", "uint256"], [f"0x{7:040x}", 800_000_000, 970_000_000]
    )
    first = decode_revert(catalog, data)  # ERC20InsufficientBalance, with no context: nothing of anybody's
    assert first.code == "insufficient_cash" and first.revert is not None
    assert "8000000.00" not in first.message and "9700000.00" in first.message
    stored = first.revert.to_json()
    again = render_revert(RawRevert.from_json(stored), _context(caller=f"0x{7:040x}"))
    assert again.message == "participant 7 holds 8000000.00 CNY of cash, needs 9700000.00 CNY"
    assert again.details == {
        "error": "ERC20InsufficientBalance",
        "sender": 7,
        "balance": "8000000.00",
        "needed": "9700000.00",
        "currency": "CNY",
    }


@pytest.mark.parametrize("name", sorted(INTERNAL_ERRORS - {"Error", "Panic"}))
def test_internal_errors_name_themselves_and_nothing_else(
    name: str, specs: dict[str, list[tuple[str, str]]]
) -> None:
    if name not in specs:
        pytest.skip(f"{name} is in no compiled ABI")
    error = render_revert(
        RawRevert(name, {argument: 123_456_789_012 for _type, argument in specs[name]}), RevertContext()
    )
    assert isinstance(error, ChainRejected) and error.details == {"error": name}
    assert "123456789012" not in _said(error)


def _account(index: int) -> str:
    return f"0x{index:040x}"


def _code(text: str, size: int) -> str:
    return "0x" + text.encode().ljust(size, b"\0").hex()


# A cross-border voucher (USD value, CNY cash): each amount reads in its own currency.
@pytest.mark.parametrize(
    ("name", "args", "message", "currency"),
    [
        (
            "NoteTransferCapExceeded",
            {"slot": 3, "value": 60_000_000, "cap": 50_000_000},
            "600000.00 USD exceeds voucher 3's cap of 500000.00 USD per transfer",
            "USD",
        ),
        (
            "FinancingInvalidPrice",
            {"price": 0, "value": 50_000_000},
            "price 0.00 USD is not positive or exceeds the value 500000.00 USD",
            "USD",
        ),
        (
            "EarlyPaymentBudgetExceeded",
            {"programmeId": 4, "remaining": 100_000, "needed": 7_123_456},
            "programme 4 has 1000.00 CNY left, needs 71234.56 CNY",
            "CNY",
        ),
        (
            "SettlementOverfunded",
            {"slot": 3, "outstandingCash": 14_200_000_000, "availableAfter": 14_200_000_001},
            "funding voucher 3 would leave 142000000.01 CNY to pay, more than the 142000000.00 CNY it owes",
            "CNY",
        ),
        (
            "ERC20InsufficientBalance",
            {"sender": _account(7), "balance": 800_000_000, "needed": 970_000_000},
            "participant 7 holds 8000000.00 CNY of cash, needs 9700000.00 CNY",
            "CNY",
        ),
    ],
)
def test_value_reads_in_the_denomination_and_cash_in_the_settlement_currency(
    name: str, args: dict[str, Any], message: str, currency: str
) -> None:
    error = render_revert(RawRevert(name, args), _context(caller=_account(7)))
    assert error.message == message
    assert error.details["currency"] == currency and "cash_currency" not in error.details


def test_an_error_with_value_and_cash_names_both_currencies(monkeypatch: pytest.MonkeyPatch) -> None:
    meaning = RevertMeaning(
        InvalidAmount, "{value} of value would be paid {cash}", {"value": Kind.VALUE, "cash": Kind.CASH}
    )
    monkeypatch.setitem(REVERT_MEANINGS, "ValueAndCash", meaning)
    raw = RawRevert("ValueAndCash", {"value": 50_000_000, "cash": 356_512_500})
    cross_border = render_revert(raw, _context(caller=None))
    assert cross_border.message == "500000.00 USD of value would be paid 3565125.00 CNY"
    assert cross_border.details == {
        "error": "ValueAndCash",
        "value": "500000.00",
        "cash": "3565125.00",
        "currency": "USD",
        "cash_currency": "CNY",
    }
    domestic = render_revert(raw, RevertContext(currency="CNY"))
    assert domestic.message == "500000.00 CNY of value would be paid 3565125.00 CNY"
    assert domestic.details["currency"] == "CNY" and "cash_currency" not in domestic.details


@pytest.mark.parametrize(
    ("country", "shown", "detail"),
    [
        (_code("ZZ", 2), "ZZ", "ZZ"),  # the right shape, but assigned to no country
        (_code("", 2), "an empty code", ""),
        ("0x01ff", "an unreadable code", None),
    ],
)
def test_a_country_reads_as_its_two_letters(country: str, shown: str, detail: str | None) -> None:
    error = render_revert(RawRevert("RegistryInvalidCountry", {"country": country}), _context(caller=None))
    assert isinstance(error, InvalidCountry) and error.status_code == 422
    assert error.message == f"{shown} is not an assigned ISO 3166-1 alpha-2 country code"
    assert error.details["country"] == detail and not HEX.search(_said(error))


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (_code("sanctions", 32), "sanctions"),  # a reason code
        (_code("CNY", 8), "CNY"),
        (_code("US", 2), "US"),
        ("0x" + "00" * 32, ""),
        ("0x" + "ab" * 32, None),  # a hash, not text
        ("0x" + b"lost\0key".ljust(32, b"\0").hex(), None),  # a NUL inside is not padding
        ("0xzz", None),
    ],
)
def test_fixed_bytes_read_as_their_ascii_text(value: str, text: str | None) -> None:
    assert bytes_text(value) == text


@pytest.mark.parametrize(
    ("name", "args", "message", "details"),
    [
        (
            "FinancingMilestoneNotReached",
            {"slot": 3, "required": 1, "current": 0},
            "voucher 3 has reached no milestone; the quote requires shipped",
            {"required": "shipped", "current": None},
        ),
        (
            "FinancingMilestoneNotReached",
            {"slot": 3, "required": 3, "current": 2},
            "voucher 3 has reached customs_cleared; the quote requires delivered",
            {"required": "delivered", "current": "customs_cleared"},
        ),
        (
            "LogisticsMilestoneNotForward",
            {"slot": 5, "current": 3, "milestone": 2},
            "voucher 5 has reached delivered already: milestones only move forward, not to customs_cleared",
            {"current": "delivered", "milestone": "customs_cleared"},
        ),
    ],
)
def test_milestones_read_by_name(
    name: str, args: dict[str, Any], message: str, details: dict[str, Any]
) -> None:
    error = render_revert(RawRevert(name, args), _context(caller=None))
    assert error.message == message
    assert {key: error.details[key] for key in details} == details


PHASE_1_ROUND_5 = (1 << 64) + 5  # a Chainlink round id: the phase in its top bits
AT = 1_827_792_000  # 2027-12-03T00:00:00Z


@pytest.mark.parametrize(
    ("name", "args", "kind", "message"),
    [
        (
            "FxRateStale",
            {
                "base": _code("USD", 8),
                "quote": _code("CNY", 8),
                "roundId": PHASE_1_ROUND_5,
                "updatedAt": AT,
                "maxAgeSeconds": 3600,
                "nowAt": AT + 7200,
            },
            FxRateStale,
            "the USD/CNY exchange rate was last updated at 2027-12-03T00:00:00Z, not within 3600 seconds "
            "before 2027-12-03T02:00:00Z",
        ),
        (
            "FxRateNotPositive",
            {
                "base": _code("USD", 8),
                "quote": _code("CNY", 8),
                "roundId": PHASE_1_ROUND_5,
                "answer": -713_025,
            },
            FxRateUnavailable,
            "the latest answer for the USD/CNY exchange rate is not a positive rate",
        ),
        (
            "FxFeedNotSet",
            {"base": _code("USD", 8), "quote": _code("CNY", 8)},
            FxRateUnavailable,
            "no feed is configured for the USD/CNY exchange rate",
        ),
        ("FxFeedNoRound", {"roundId": 0}, FxRateUnavailable, "the exchange-rate feed has no answer yet"),
    ],
)
def test_an_unusable_rate_is_unavailable_and_says_no_raw_number(
    name: str, args: dict[str, Any], kind: type[LedgerError], message: str
) -> None:
    error = render_revert(RawRevert(name, args), _context(caller=None))
    assert type(error) is kind and error.status_code == 503 and error.message == message
    said = _said(error)
    for raw_number in (PHASE_1_ROUND_5, 713_025, AT, AT + 7200):
        assert str(raw_number) not in said
    assert not HEX.search(said)


# Participant 5 sent 400,000 USD in its window and may send 500,000: 200,000 more is refused.
OVER_ROLLING_LIMIT = {
    "account": _account(5),
    "currency": _code("USD", 8),
    "sentInWindow": 40_000_000,
    "value": 20_000_000,
    "limit": 50_000_000,
}


@pytest.mark.parametrize(
    ("name", "args", "caller", "message"),
    [
        (  # the sender learns its own limit and what it sent
            "NoteRollingLimitExceeded",
            OVER_ROLLING_LIMIT,
            _account(5),
            "participant 5 sent 400000.00 USD within its rolling window: 200000.00 USD more exceeds its "
            "limit of 500000.00 USD",
        ),
        (  # an operator moving the sender's piece learns neither
            "NoteRollingLimitExceeded",
            OVER_ROLLING_LIMIT,
            _account(6),
            "200000.00 USD more exceeds the rolling limit of participant 5",
        ),
        (
            "NoteParticipantKycExpired",
            {"account": _account(8), "kycExpiresAt": AT},
            _account(8),
            "the KYC of participant 8 expired at 2027-12-03T00:00:00Z",
        ),
        (  # a sender refused for its recipient learns only that the recipient's KYC expired
            "NoteParticipantKycExpired",
            {"account": _account(8), "kycExpiresAt": AT},
            _account(9),
            "the KYC of participant 8 has expired",
        ),
        (  # what others financed of the voucher is told to nobody
            "FinancingShareCapExceeded",
            {"slot": 3, "financed": 1_500_000_000, "value": 200_000_000, "cap": 1_600_000_000},
            _account(9),
            "financing 2000000.00 USD more of voucher 3 exceeds the quote's cap of 16000000.00 USD before "
            "delivery",
        ),
    ],
)
def test_a_refusal_tells_each_party_its_own_figures_only(
    name: str, args: dict[str, Any], caller: str, message: str
) -> None:
    error = render_revert(RawRevert(name, args), _context(caller=caller))
    assert error.message == message


@pytest.mark.parametrize(
    ("name", "args", "kind"),
    [
        ("NoteParticipantKycExpired", {"account": _account(8), "kycExpiresAt": AT}, KycExpired),
        ("NoteTransferCapExceeded", {"slot": 3, "value": 2, "cap": 1}, InvalidAmount),
        (
            "FinancingShareCapExceeded",
            {"slot": 3, "financed": 0, "value": 2, "cap": 1},
            FinancedShareExceeded,
        ),
        ("FinancingMilestoneNotReached", {"slot": 3, "required": 1, "current": 0}, MilestoneNotReached),
        (
            "NoteRollingLimitExceeded",
            {"account": _account(5), "currency": _code("USD", 8), "sentInWindow": 0, "value": 2, "limit": 1},
            RollingLimitExceeded,
        ),
    ],
)
def test_a_new_refusal_is_a_kind_of_its_general_code(name: str, args: dict[str, Any], kind: type) -> None:
    """kyc_expired is a participant_not_verified, transfer_cap_exceeded an invalid_amount: a client that
    knows only the general code still reads it right."""
    assert isinstance(render_revert(RawRevert(name, args), _context(caller=None)), kind)


# The vouchers table gains `settlement_currency` in a later migration; until then every voucher settles
# in its denomination currency, and a cross-border voucher's cash reads in USD too.
SETTLES_APART = hasattr(Voucher, "settlement_currency")
CROSS_BORDER_CASH = "CNY" if SETTLES_APART else "USD"


def _voucher(voucher_id: int, currency: str, settlement_currency: str) -> Voucher:
    settles = {"settlement_currency": settlement_currency} if SETTLES_APART else {}
    return Voucher(
        id=voucher_id,
        obligor_address=_account(1),
        initial_holder_address=_account(2),
        currency=currency,
        face_value_minor=2_000_000_000,
        unit_minor=100,
        root_token_id=voucher_id * 10 + 1,
        issued_at=datetime(2027, 1, 4, tzinfo=UTC),
        due_at=datetime(2027, 7, 5, tzinfo=UTC),
        document_hash="0x" + "00" * 32,
        issue_transaction_hash="0x" + "00" * 32,
        issue_block_number=1,
        **settles,
    )


def _note(token_id: int, voucher_id: int) -> Note:
    return Note(
        token_id=token_id,
        voucher_id=voucher_id,
        holder_address=_account(2),
        root_token_id=token_id,
        created_transaction_hash="0x" + "00" * 32,
        created_block_number=1,
    )


def _quote(quote_id: int, token_id: int) -> FinancingQuote:
    return FinancingQuote(
        id=quote_id,
        terms_id=1,
        token_id=token_id,
        seller_participant_id=2,
        financier_participant_id=3,
        value_minor=100_000,
        price_minor=99_000,
        days=30,
        nonce=str(quote_id),
        expires_at=datetime(2027, 2, 1, tzinfo=UTC),
        signature="0x",
    )


@pytest.fixture
def ledger(database_url: str) -> Iterator[Session]:
    """Voucher 1 counts value in USD and settles in CNY (token 11, programme 5, quote 1 on token 11);
    voucher 2 is domestic in CNY (token 21); financing terms 1 are in HKD (quote 2 is on a piece not
    indexed)."""
    database = Database(database_url)
    with database.sessions() as session:
        session.add_all([_voucher(1, "USD", "CNY"), _voucher(2, "CNY", "CNY"), _note(11, 1), _note(21, 2)])
        session.add(
            EarlyPaymentProgrammeRecord(
                id=5,
                voucher_id=1,
                obligor_address=_account(1),
                rate_bps=300,
                basis_days=360,
                quoting=0,
                budget_minor=100_000_000,
                cutoff_at=datetime(2027, 6, 1, tzinfo=UTC),
                opened_transaction_hash="0x" + "00" * 32,
                opened_block_number=2,
            )
        )
        session.add(
            FinancingTerms(
                id=1,
                financier_participant_id=3,
                currency="HKD",
                rate_bps=500,
                quote_basis="discount",
                day_count="act360",
                eligible_obligor_ids=[],
                min_amount_minor=100,
                max_amount_minor=10**12,
                budget_minor=10**12,
            )
        )
        session.add_all([_quote(1, token_id=11), _quote(2, token_id=999)])
        session.flush()
        yield session
    database.engine.dispose()


@pytest.mark.parametrize(
    ("own", "path", "currencies"),
    [
        ({Kind.TOKEN: [11]}, {}, ("USD", CROSS_BORDER_CASH)),
        ({Kind.VOUCHER: [1]}, {}, ("USD", CROSS_BORDER_CASH)),
        ({}, {"token_id": "11"}, ("USD", CROSS_BORDER_CASH)),
        ({}, {"voucher_id": 1}, ("USD", CROSS_BORDER_CASH)),
        ({}, {"programme_id": 5}, ("USD", CROSS_BORDER_CASH)),
        # A quote: its piece's voucher, not its terms' currency.
        ({}, {"quote_id": 1}, ("USD", CROSS_BORDER_CASH)),
        ({Kind.CURRENCY: [_code("USD", 8)]}, {"token_id": 11}, ("USD", CROSS_BORDER_CASH)),
        ({Kind.TOKEN: [21]}, {}, ("CNY", "CNY")),  # a domestic voucher settles in its own currency
        ({Kind.TOKEN: [999]}, {"voucher_id": 2}, ("CNY", "CNY")),  # an unknown piece: the request's voucher
        ({Kind.CURRENCY: [_code("EUR", 8)]}, {}, ("EUR", None)),
        ({}, {"terms_id": 1}, ("HKD", None)),
        ({}, {"quote_id": 2}, ("HKD", None)),  # its piece is not indexed: its terms' currency
        ({}, {}, (None, None)),
    ],
)
def test_the_voucher_gives_the_value_and_the_cash_currency(
    ledger: Session, own: dict[Kind, list[Any]], path: dict[str, Any], currencies: tuple[str | None, ...]
) -> None:
    of_kind = {kind: own.get(kind, []) for kind in Kind}
    assert fetch_currencies(ledger, of_kind, path) == currencies
