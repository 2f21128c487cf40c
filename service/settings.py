"""The one place configuration is read from (environment or `.env`)."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Anvil's well-known development keys (mnemonic "test test ... junk"). They are used only when the
# chain id is Anvil's 31337; a real chain needs keys from the environment.
ANVIL_DEV_KEYS: tuple[str, ...] = (
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
    "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
)
ANVIL_CHAIN_ID = 31337


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    data_dir: Path = Field(default=PROJECT_ROOT / "data", alias="CASCADE_DATA_DIR")
    database_url: str | None = Field(default=None, alias="DATABASE_URL")
    chain_rpc_url: str | None = Field(default=None, alias="CHAIN_RPC_URL")
    anvil_port: int = Field(default=8545, alias="ANVIL_PORT")
    anvil_block_time_seconds: float | None = Field(default=None, alias="ANVIL_BLOCK_TIME_SECONDS")
    master_key: SecretStr | None = Field(default=None, alias="CASCADE_MASTER_KEY")
    operator_private_key: SecretStr | None = Field(default=None, alias="OPERATOR_PRIVATE_KEY")
    relayer_private_keys: SecretStr | None = Field(
        default=None,
        alias="RELAYER_PRIVATE_KEYS",
        description="Comma-separated keys of the gas-paying relayers.",
    )
    relayer_count: int = Field(
        default=2,
        ge=1,
        le=4,
        alias="RELAYER_COUNT",
        description="Relayer accounts on Anvil (dev keys); each carries one transaction at a time.",
    )
    workers: int = Field(
        default=2,
        ge=1,
        le=16,
        alias="WORKERS",
        description="API processes of `cascade serve` (the chain writer runs in a process of its own).",
    )
    # Set by `cascade serve` for its children: the chain at CHAIN_RPC_URL is the Anvil it started, so
    # the writer may mine a block to free a stalled automine (never on a network it merely attaches to).
    embedded_chain: bool = Field(default=False, alias="CASCADE_EMBEDDED_CHAIN")
    # How often the chain writer indexes blocks it did not send and expires what can no longer run.
    indexer_poll_seconds: float = Field(default=0.5, alias="INDEXER_POLL_SECONDS")
    # How long a request waits for its operations' outcome before answering 503 operation_pending.
    operation_wait_seconds: float = Field(default=60.0, gt=0, alias="OPERATION_WAIT_SECONDS")
    # Gas of one relay transaction at most: a share of a 30M block; the embedded Anvil allows more.
    max_relay_gas: int = Field(default=25_000_000, ge=1_000_000, alias="MAX_RELAY_GAS")
    settlement_grace_seconds: int = Field(default=7 * 86_400, alias="SETTLEMENT_GRACE_SECONDS")
    settlement_default_after_seconds: int = Field(
        default=30 * 86_400, alias="SETTLEMENT_DEFAULT_AFTER_SECONDS"
    )
    cash_tokens: str | None = Field(
        default=None,
        alias="CASH_TOKENS",
        description="Settlement cash by currency, `CNY=0x...,USD=0x...`; unset: test tokens are deployed.",
    )
    quote_ttl_seconds: int = Field(default=300, alias="QUOTE_TTL_SECONDS")
    # How long a signed forward request stays valid: long enough to send it again after the embedded
    # chain lost recent blocks, or after the writer was down for a while.
    forward_request_ttl_seconds: int = Field(default=86_400, ge=60, alias="FORWARD_REQUEST_TTL_SECONDS")
    # The contracts' admin changes hands only after this delay (AccessControlDefaultAdminRules).
    admin_transfer_delay_seconds: int = Field(
        default=2 * 86_400, ge=0, lt=2**48, alias="ADMIN_TRANSFER_DELAY_SECONDS"
    )
    # An FX answer older than this is refused by every payment that converts (a stale rate).
    fx_max_age_seconds: int = Field(default=86_400, ge=60, alias="FX_MAX_AGE_SECONDS")
    fx_feeds: str | None = Field(
        default=None,
        alias="FX_FEEDS",
        description="Price feeds by pair, `USD/CNY=0x...` (Chainlink AggregatorV3Interface); unset: the "
        "ledger deploys its own feed per pair, updated by its oracle account.",
    )
    # How long a KYC check lasts when a registration does not say (the registry records its expiry).
    kyc_validity_days: int = Field(default=365, ge=1, le=3_650, alias="KYC_VALIDITY_DAYS")

    @cached_property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'cascade.db'}"

    @property
    def external_cash(self) -> dict[str, str]:
        pairs = [item.split("=", 1) for item in (self.cash_tokens or "").split(",") if item.strip()]
        return {currency.strip().upper(): address.strip() for currency, address in pairs}

    @property
    def external_fx_feeds(self) -> dict[tuple[str, str], str]:
        """(base, quote) -> feed address, from FX_FEEDS."""
        found = {}
        for item in (self.fx_feeds or "").split(","):
            if not item.strip():
                continue
            pair, address = item.split("=", 1)
            base, quote = pair.split("/", 1)
            found[(base.strip().upper(), quote.strip().upper())] = address.strip()
        return found

    @property
    def anvil_state_path(self) -> Path:
        return self.data_dir / "anvil-state.json"

    @property
    def master_key_path(self) -> Path:
        return self.data_dir / "master.key"

    @property
    def admin_key_path(self) -> Path:
        return self.data_dir / "admin-api-key"

    @property
    def artifacts_dir(self) -> Path:
        return PROJECT_ROOT / "build" / "contracts"
