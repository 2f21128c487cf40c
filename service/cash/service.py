"""Settlement cash: ERC-20 tokens, one per currency, read and (on a local chain) credited."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from service.api.acting import act_as_service
from service.api.answers import Answer, responds_to
from service.api.submit import carry_out
from service.cash.schemas import CashBalance, CashCredit, CashCreditOut
from service.chain.deploy import cash_name
from service.domain.money import fetch_currency, format_minor, parse_amount_minor
from service.errors import ParticipantNotFound, TestCashUnavailable, WrongCurrency
from service.participants import repository as participants_repository
from service.runtime import Runtime
from service.settings import ANVIL_CHAIN_ID
from service.writer.outbox import OperationView


def fetch_cash_token(runtime: Runtime, currency: str) -> str:
    address = runtime.chain.deployment.addresses.get(cash_name(currency))
    if address is None:
        raise WrongCurrency(f"no settlement cash is configured for {currency}", currency=currency)
    return address


def fetch_cash_balance_minor(runtime: Runtime, currency: str, address: str) -> int:
    fetch_cash_token(runtime, currency)
    return int(runtime.chain.read(runtime.chain.contracts.cash(currency).call("balanceOf", address)))


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


CREDIT_KIND = "cash.credit"


def credit_test_cash(session: Session, runtime: Runtime, body: CashCredit, by: int) -> CashCreditOut:
    """Mints test cash (as the service's minter account); only on the local chain, where the test
    settlement tokens the deployment created are the cash."""
    if runtime.chain.chain_id != ANVIL_CHAIN_ID:
        raise TestCashUnavailable("test cash can be credited only on the local development chain")
    participant = participants_repository.fetch_participant(session, body.participant_id)
    if participant is None:
        raise ParticipantNotFound(
            f"participant {body.participant_id} does not exist", participant_id=body.participant_id
        )
    currency = fetch_currency(body.currency)
    amount_minor = parse_amount_minor(body.amount, currency)
    token = (
        runtime.chain.contracts.cash(currency.code)
        if cash_name(currency.code) in runtime.chain.deployment.addresses
        else None
    )
    if token is None:
        raise WrongCurrency(f"no settlement cash is configured for {currency.code}", currency=currency.code)
    intent = act_as_service(
        runtime,
        "minter",
        CREDIT_KIND,
        token.address,
        token.calldata("mint", participant.address, amount_minor),
        payload={"participant_id": participant.id, "currency": currency.code, "amount_minor": amount_minor},
    )
    [done] = carry_out(runtime, [intent], participant_id=by, session=session)
    return build_credit_out(done)


def build_credit_out(operation: OperationView) -> CashCreditOut:
    payload = operation.payload or {}
    currency = fetch_currency(payload["currency"])
    assert operation.transaction_hash is not None
    return CashCreditOut(
        participant_id=int(payload["participant_id"]),
        currency=currency.code,
        amount=format_minor(int(payload["amount_minor"]), currency),
        transaction_hash=operation.transaction_hash,
    )


@responds_to(CREDIT_KIND)
def answer_credit(_runtime: Runtime, _session: Session, operations: Sequence[OperationView]) -> Answer:
    return 201, build_credit_out(operations[0]).model_dump(mode="json")
