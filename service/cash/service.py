"""Settlement cash: ERC-20 tokens, one per currency, read and (on a local chain) credited."""

from __future__ import annotations

from sqlalchemy.orm import Session

from service.cash.schemas import CashBalance, CashCredit, CashCreditOut
from service.chain.abi import encode_call
from service.chain.deploy import cash_name
from service.domain.money import fetch_currency, format_minor, parse_amount_minor
from service.errors import ParticipantNotFound, TestCashUnavailable, WrongCurrency
from service.participants import repository as participants_repository
from service.runtime import Runtime
from service.settings import ANVIL_CHAIN_ID


def fetch_cash_token(runtime: Runtime, currency: str) -> str:
    address = runtime.chain.deployment.addresses.get(cash_name(currency))
    if address is None:
        raise WrongCurrency(f"no settlement cash is configured for {currency}", currency=currency)
    return address


def fetch_cash_balance_minor(runtime: Runtime, currency: str, address: str) -> int:
    token = fetch_cash_token(runtime, currency)
    return int(runtime.chain.read(token, "balanceOf(address)", [address], ["uint256"]))


def cash_currencies(runtime: Runtime) -> list[str]:
    return sorted(
        name.removeprefix("cash:") for name in runtime.chain.deployment.addresses if name.startswith("cash:")
    )


def list_balances(runtime: Runtime, address: str) -> list[CashBalance]:
    balances = []
    for currency_code in cash_currencies(runtime):
        currency = fetch_currency(currency_code)
        balances.append(
            CashBalance(
                currency=currency_code,
                balance=format_minor(fetch_cash_balance_minor(runtime, currency_code, address), currency),
                token_address=fetch_cash_token(runtime, currency_code),
            )
        )
    return balances


def credit_test_cash(session: Session, runtime: Runtime, body: CashCredit, by: int) -> CashCreditOut:
    """Mints test cash; only on a local Anvil chain, where the operator holds the minter role."""
    if runtime.chain.chain_id != ANVIL_CHAIN_ID:
        raise TestCashUnavailable("test cash can be credited only on the local development chain")
    participant = participants_repository.fetch_participant(session, body.participant_id)
    if participant is None:
        raise ParticipantNotFound(
            f"participant {body.participant_id} does not exist", participant_id=body.participant_id
        )
    currency = fetch_currency(body.currency)
    amount_minor = parse_amount_minor(body.amount, currency)
    token = fetch_cash_token(runtime, currency.code)
    address = participant.address
    session.commit()
    receipt = runtime.submitter.submit_operator_call(
        "cash.credit", by, token, encode_call("mint(address,uint256)", [address, amount_minor])
    )
    return CashCreditOut(
        participant_id=body.participant_id,
        currency=currency.code,
        amount=format_minor(amount_minor, currency),
        balance=format_minor(fetch_cash_balance_minor(runtime, currency.code, address), currency),
        transaction_hash=receipt.transaction_hash,
    )
