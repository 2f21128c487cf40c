"""Cash requests and responses."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from service.api.common import Amount, CurrencyCode, Id


class CashBalance(BaseModel):
    currency: str
    balance: str
    token_address: str


class CashCredit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    participant_id: Id
    currency: CurrencyCode
    amount: Amount = Field(examples=["10000000.00"])


class CashCreditOut(BaseModel):
    participant_id: int
    currency: str
    amount: str
    transaction_hash: str
