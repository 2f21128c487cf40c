"""Pure domain rules: exact money parsing and formatting, split conservation, lineage trees."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TypedDict

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.domain.clock import compute_ledger_now
from service.domain.money import (
    MAX_AMOUNT_MINOR,
    Currency,
    fetch_currency,
    format_minor,
    is_amount_spelling,
    parse_amount_minor,
)
from service.domain.notes import Piece, check_transfer, compute_split
from service.domain.vouchers import compute_due_at, compute_issuance_terms
from service.errors import (
    AmountNotPositive,
    AmountNotUnitMultiple,
    AmountTooLarge,
    AmountTooPrecise,
    InsufficientValue,
    InvalidAmount,
    MaturityInPast,
    SelfTransfer,
    UnsupportedCurrency,
)

CNY = fetch_currency("CNY")


@pytest.mark.parametrize(
    ("text", "minor"),
    [
        ("30000000.00", 3_000_000_000),
        ("0.01", 1),
        ("1", 100),
        ("1.5", 150),
        ("0.50", 50),
        ("92233720368547758.07", MAX_AMOUNT_MINOR),
    ],
)
def test_parse_amount_is_exact(text: str, minor: int) -> None:
    assert parse_amount_minor(text, CNY) == minor


# Every one of these was read as an amount once (the first six as 1,000,000.00): an amount has one
# spelling, ASCII digits with an optional "." and at most the currency's decimals.
MISSPELT_AMOUNTS = (
    "1e6",
    "1E+6",
    "+1000000.00",
    " 1000000.00 ",
    "1_000_000",
    "1,000,000.00",
    "\uff11\uff10\uff10\uff10",  # full-width digits
    "\u0661\u0660\u0660\u0660",  # Arabic-Indic digits
    "\U0001d7cf\U0001d7ce",  # mathematical bold digits
    ".5",
    "5.",
    "-5.00",
    "01.00",
    "abc",
    "NaN",
    "Infinity",
    "1e999999999",
    "",
    "1" * 41,
)


@pytest.mark.parametrize("text", MISSPELT_AMOUNTS)
def test_parse_amount_refuses_every_other_spelling(text: str) -> None:
    with pytest.raises(InvalidAmount) as refused:
        parse_amount_minor(text, CNY)
    assert type(refused.value) is InvalidAmount


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("0", AmountNotPositive),
        ("0.00", AmountNotPositive),
        ("0.001", AmountTooPrecise),
        ("1.005", AmountTooPrecise),
        ("1000000.0000000", AmountTooPrecise),  # zeros too: the currency has two decimals
        ("100000000.000", AmountTooPrecise),
        ("1000000000000000000000000000000", AmountTooLarge),
        ("92233720368547758.08", AmountTooLarge),
        ("123456789012345678901234567890.001", AmountTooLarge),
    ],
)
def test_parse_amount_rejects(text: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        parse_amount_minor(text, CNY)


def test_unknown_currency() -> None:
    with pytest.raises(UnsupportedCurrency):
        fetch_currency("XYZ")


@given(st.integers(min_value=1, max_value=MAX_AMOUNT_MINOR))
def test_format_then_parse_round_trips(minor: int) -> None:
    text = format_minor(minor, CNY)
    assert Decimal(text).as_tuple().exponent == -2
    assert parse_amount_minor(text, CNY) == minor


@given(
    units=st.integers(min_value=1, max_value=10_000),
    unit=st.integers(min_value=1, max_value=10**8),
    data=st.data(),
)
def test_split_conserves_value(units: int, unit: int, data: st.DataObject) -> None:
    balance = units * unit
    moved_units = data.draw(st.integers(min_value=1, max_value=units))
    result = compute_split(balance, moved_units * unit, unit)
    assert result.remaining_minor + result.moved_minor == balance
    assert result.remaining_minor % unit == 0 and result.moved_minor % unit == 0
    assert result.remaining_minor >= 0


@given(st.lists(st.integers(min_value=1, max_value=50), min_size=1, max_size=30), st.integers(1, 10**6))
def test_repeated_splits_never_create_or_lose_value(cuts: list[int], unit: int) -> None:
    """Splitting pieces off pieces, in any order, always leaves the face value in the tree."""
    face = 100 * unit
    balances = [face]
    for index, cut in enumerate(cuts):
        source = index % len(balances)
        amount = min(cut, balances[source] // unit) * unit
        if amount == 0:
            continue
        result = compute_split(balances[source], amount, unit)
        balances[source] = result.remaining_minor
        balances.append(result.moved_minor)
    assert sum(balances) == face


@pytest.mark.parametrize(("amount", "unit"), [(0, 1), (3, 2), (11, 1)])
def test_split_rejects_invalid_amounts(amount: int, unit: int) -> None:
    with pytest.raises(ValueError):
        compute_split(10, amount, unit)


def _piece(token_id: int, parent: int | None, holder: str = "0xA", value: int = 100, depth: int = 0) -> Piece:
    return Piece(token_id, 1, holder, value, parent, 1, depth)


class _TransferContext(TypedDict):
    """The `check_transfer` arguments shared by every case below."""

    sender_address: str
    unit_minor: int
    currency: Currency
    voucher_active: bool


def test_check_transfer_rules() -> None:
    piece = _piece(1, None, holder="0xAA", value=500)
    common: _TransferContext = {
        "sender_address": "0xAA",
        "unit_minor": 100,
        "currency": CNY,
        "voucher_active": True,
    }
    assert check_transfer(piece, recipient_address="0xBB", amount_minor=200, **common).remaining_minor == 300
    with pytest.raises(SelfTransfer):
        check_transfer(piece, recipient_address="0xaa", amount_minor=200, **common)
    with pytest.raises(AmountNotUnitMultiple):
        check_transfer(piece, recipient_address="0xBB", amount_minor=150, **common)
    with pytest.raises(InsufficientValue):
        check_transfer(piece, recipient_address="0xBB", amount_minor=600, **common)


def test_issuance_terms() -> None:
    now = datetime(2026, 11, 30, tzinfo=UTC)
    terms = compute_issuance_terms(CNY, 10_000_000_000, 100_000_000, date(2027, 5, 30), now)
    assert terms.unit_count == 100
    assert terms.due_at == compute_due_at(date(2027, 5, 30))
    with pytest.raises(MaturityInPast):
        compute_issuance_terms(CNY, 100, 1, date(2026, 11, 30), now)
    with pytest.raises(AmountNotUnitMultiple):
        compute_issuance_terms(CNY, 150, 100, date(2027, 1, 1), now)
    with pytest.raises(InvalidAmount):
        compute_issuance_terms(CNY, 100, 200, date(2027, 1, 1), now)


def test_forward_request_digest_matches_eip712_encoding() -> None:
    """The hand-rolled EIP-712 digest signs exactly what eth-account's generic encoder would."""
    from eth_account import Account
    from eth_account.messages import _hash_eip191_message, encode_typed_data

    from service.chain.forwarder import ForwardRequest

    wallet = Account.create()
    request = ForwardRequest(
        sender=wallet.address,
        target="0x5FbDB2315678afecb367f032d93F642f64180aa3",
        gas=400_000,
        nonce=7,
        deadline=1_900_000_000,
        data=bytes.fromhex("deadbeef") * 9,
    )
    forwarder = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"
    generic = _hash_eip191_message(encode_typed_data(full_message=request.typed_data(31337, forwarder)))
    assert request.digest(31337, forwarder) == generic
    signature = request.sign(wallet.key, 31337, forwarder)
    assert signature == bytes(Account.unsafe_sign_hash(generic, wallet.key).signature)
    assert request.recover_signer(signature, 31337, forwarder) == wallet.address
    assert request.recover_signer(b"\x00" * 65, 31337, forwarder) is None


def test_recover_refuses_what_the_forwarder_refuses() -> None:
    """A malleable (high-s) twin and a v outside 27/28 recover to nobody, as in OpenZeppelin's ECDSA."""
    from eth_account import Account

    from service.chain.forwarder import recover_digest_signer, sign_digest

    wallet = Account.create()
    digest = bytes(range(32))
    signature = sign_digest(digest, wallet.key)
    assert recover_digest_signer(digest, signature) == wallet.address
    order = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
    high_s = (order - int.from_bytes(signature[32:64], "big")).to_bytes(32, "big")
    twin = signature[:32] + high_s + bytes([55 - signature[64]])  # the same point, the other parity
    assert Account._recover_hash(digest, signature=twin) == wallet.address  # valid for plain ecrecover
    assert recover_digest_signer(digest, twin) is None
    assert recover_digest_signer(digest, signature[:64] + bytes([signature[64] - 27])) is None
    assert recover_digest_signer(digest, signature[:64]) is None


def test_server_garbage_collector_tuning_is_applied_and_reversible() -> None:
    """`cascade serve` freezes start-up objects and collects the young generation less often."""
    import gc

    from service.workers import GC_THRESHOLDS, tune_garbage_collector

    before = gc.get_threshold()
    try:
        tune_garbage_collector()
        assert gc.get_threshold() == GC_THRESHOLDS
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


@given(
    wall=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)),
    lag_seconds=st.integers(min_value=-(10**8), max_value=10**8),
)
def test_the_ledger_clock_is_the_later_of_wall_and_chain(wall: datetime, lag_seconds: int) -> None:
    block_at = wall + timedelta(seconds=lag_seconds)
    now = compute_ledger_now(wall, block_at)
    assert now >= wall and now >= block_at and now in (wall, block_at)


@given(
    text=st.text(alphabet=st.sampled_from("0123456789.-+e_ ,\uff11\u0661x"), max_size=44)
    | st.text(max_size=20)
)
def test_only_the_one_spelling_is_read_as_an_amount(text: str) -> None:
    """Whatever the text, it is refused unless it is ASCII digits with an optional "." and at most the
    currency's decimals; what is read formats back to the same amount."""
    try:
        minor = parse_amount_minor(text, CNY)
    except InvalidAmount as refused:
        assert is_amount_spelling(text) == (type(refused) is not InvalidAmount)
        return
    assert is_amount_spelling(text) and len(text.partition(".")[2]) <= CNY.decimals
    assert Decimal(format_minor(minor, CNY)) == Decimal(text)
