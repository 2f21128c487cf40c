"""Start-up and shutdown of what a running ledger needs, for each kind of process.

- `prepare_ledger` (once, in `cascade serve`'s parent or a one-off command): migrates the database,
  reaches the chain (starting the embedded Anvil unless CHAIN_RPC_URL is set), deploys the contracts
  on a chain that has none recorded, with one service account per role.
- `start_runtime` (every API process, and the writer's): the database, a chain client, the key vault,
  and an `OutcomeWaiter`; with `writer=True` also the chain writer (indexer, relayers, jobs), which
  only one process runs at a time (`Leadership`).

API processes are stateless: they read the database, read the chain, and hand writes to the chain
writer through the outbox. Nothing is shared through local files, so API replicas may run on other
hosts against the same PostgreSQL and the same chain (CHAIN_RPC_URL, CASCADE_MASTER_KEY).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import delete, select

from service.chain.anvil import AnvilProcess
from service.chain.client import ChainClient, Deployment, wait_for_chain
from service.chain.compiler import Artifact, compile_cascade
from service.chain.deploy import (
    REQUIRED_CONTRACTS,
    SERVICE_ACCOUNT_NAMES,
    DeploymentOptions,
    ServiceRoles,
    SettlementTerms,
    deploy_cascade,
)
from service.chain.keys import KeyVault, load_or_create_master_key
from service.chain.rpc import JsonRpc
from service.chain.transactions import AccountKey
from service.db.models import ChainEndpoint, DeployedContract, ServiceAccount
from service.db.session import Database
from service.index.indexer import Indexer
from service.private_files import ensure_private_directory
from service.settings import ANVIL_CHAIN_ID, ANVIL_DEV_KEYS, Settings
from service.writer.leader import Leadership
from service.writer.waiter import OutcomeWaiter
from service.writer.writer import ChainWriter

logger = logging.getLogger(__name__)
Progress = Callable[[str], None]
# The embedded Anvil dumps its state every 2 s (`--state-interval`); after the first deployment the
# service waits for a dump that holds it, so that a crash can never lose the contracts themselves.
STATE_DUMP_WAIT_SECONDS = 10.0


def _quiet(_message: str) -> None:
    pass


@dataclass
class Runtime:
    settings: Settings
    database: Database
    rpc: JsonRpc
    chain: ChainClient
    key_vault: KeyVault
    waiter: OutcomeWaiter
    artifacts: dict[str, Artifact]
    writer: ChainWriter | None = None
    leadership: Leadership | None = None
    closers: list[Callable[[], None]] = field(default_factory=list)

    @property
    def indexer(self) -> Indexer:
        """The indexer of the chain writer running in this process."""
        if self.writer is None:
            raise RuntimeError("no chain writer runs in this process")
        return self.writer.indexer

    def wake_writer(self) -> None:
        """Tells the chain writer of this process (if it runs here) that operations were queued."""
        if self.writer is not None:
            self.writer.wake()

    def close(self) -> None:
        """Stops everything this process started (again, if called again)."""
        if self.writer is not None:
            self.writer.stop()
            self.writer = None
        if self.leadership is not None:
            self.leadership.release()
            self.leadership = None
        self.waiter.close()
        for closer in reversed(self.closers):
            closer()
        self.closers.clear()
        self.rpc.close()
        self.database.dispose()


# ------------------------------------------------------------------------------------------ accounts


def deployer_key(settings: Settings, chain_id: int) -> AccountKey:
    configured = settings.operator_private_key.get_secret_value() if settings.operator_private_key else None
    if configured is None and chain_id == ANVIL_CHAIN_ID:
        configured = ANVIL_DEV_KEYS[0]
    if not configured:
        raise RuntimeError(
            "OPERATOR_PRIVATE_KEY (the deployer's key) is required on a chain other than Anvil"
        )
    return AccountKey(configured, chain_id)


def relayer_keys(settings: Settings, chain_id: int) -> list[AccountKey]:
    configured = settings.relayer_private_keys.get_secret_value() if settings.relayer_private_keys else ""
    keys = [key.strip() for key in configured.split(",") if key.strip()]
    if not keys and chain_id == ANVIL_CHAIN_ID:
        keys = list(ANVIL_DEV_KEYS[1 : 1 + settings.relayer_count])
    if not keys:
        raise RuntimeError(
            "RELAYER_PRIVATE_KEYS (funded gas-paying accounts) are required on a chain other than Anvil"
        )
    return [AccountKey(key, chain_id) for key in keys]


def master_key_vault(settings: Settings) -> KeyVault:
    configured = settings.master_key.get_secret_value() if settings.master_key else None
    return KeyVault(load_or_create_master_key(configured, settings.master_key_path))


# ------------------------------------------------------------------------------------------ deployment


def load_deployment(database: Database, rpc: JsonRpc, chain_id: int) -> Deployment | None:
    """The recorded deployment for this chain, if its contracts are really there."""
    with database.sessions() as session:
        rows = session.scalars(select(DeployedContract).where(DeployedContract.chain_id == chain_id)).all()
    if not rows:
        return None
    addresses = {row.name: row.address for row in rows}
    if any(name not in addresses for name in REQUIRED_CONTRACTS):
        logger.warning(
            "the recorded deployment on chain %s predates some contracts: deploying again", chain_id
        )
        return None
    codes = rpc.batch([("eth_getCode", [address, "latest"]) for address in addresses.values()])
    if any(code in ("0x", "") for code in codes):
        logger.warning("recorded contracts are missing on chain %s (a new chain?): deploying again", chain_id)
        return None
    return Deployment(
        chain_id=chain_id, block_number=min(row.block_number for row in rows), addresses=addresses
    )


def record_deployment(
    database: Database, deployment: Deployment, accounts: dict[str, tuple[str, str]] | None = None
) -> None:
    """Records the contracts (and, for a new deployment, its service accounts: name -> (address,
    encrypted key)) in one transaction."""
    with database.transaction() as session:
        session.execute(delete(DeployedContract).where(DeployedContract.chain_id == deployment.chain_id))
        for name, address in deployment.addresses.items():
            session.add(
                DeployedContract(
                    chain_id=deployment.chain_id,
                    name=name,
                    address=address,
                    block_number=deployment.block_number,
                )
            )
        if accounts is not None:
            session.execute(delete(ServiceAccount).where(ServiceAccount.chain_id == deployment.chain_id))
            for name, (address, encrypted) in accounts.items():
                session.add(
                    ServiceAccount(
                        chain_id=deployment.chain_id,
                        name=name,
                        address=address,
                        encrypted_private_key=encrypted,
                    )
                )


def create_service_accounts(vault: KeyVault) -> dict[str, tuple[str, str]]:
    """A fresh account per service role: name -> (address, encrypted private key)."""
    return {name: vault.create_account() for name in SERVICE_ACCOUNT_NAMES}


def ensure_deployment(
    database: Database,
    rpc: JsonRpc,
    chain_id: int,
    settings: Settings,
    artifacts: dict[str, Artifact],
    vault: KeyVault,
    progress: Progress = _quiet,
    anvil: AnvilProcess | None = None,
) -> Deployment:
    deployment = load_deployment(database, rpc, chain_id)
    if deployment is not None:
        return deployment
    accounts = create_service_accounts(vault)
    roles = ServiceRoles(**{name: address for name, (address, _encrypted) in accounts.items()})
    terms = SettlementTerms(settings.settlement_grace_seconds, settings.settlement_default_after_seconds)
    options = DeploymentOptions(
        terms=terms,
        external_cash=settings.external_cash,
        external_feeds=settings.external_fx_feeds,
        fx_max_age_seconds=settings.fx_max_age_seconds,
        admin_transfer_delay_seconds=settings.admin_transfer_delay_seconds,
    )
    compliance_address, compliance_encrypted = accounts["compliance"]
    deployment = deploy_cascade(
        rpc,
        chain_id,
        deployer_key(settings, chain_id),
        artifacts,
        roles,
        progress,
        options,
        compliance_key=vault.signing_key(compliance_encrypted, compliance_address),
    )
    if anvil is not None:
        progress("chain: waiting for the embedded chain to save the deployment")
        anvil.wait_for_state_dump(STATE_DUMP_WAIT_SECONDS)
    record_deployment(database, deployment, accounts)
    return deployment


def record_chain_endpoint(database: Database, chain_id: int, rpc_url: str, embedded: bool) -> None:
    with database.transaction() as session:
        endpoint = session.get(ChainEndpoint, chain_id)
        if endpoint is None:
            session.add(ChainEndpoint(chain_id=chain_id, rpc_url=rpc_url, embedded=embedded))
        else:
            endpoint.rpc_url, endpoint.embedded = rpc_url, embedded


def fetch_recorded_endpoint(database: Database) -> ChainEndpoint | None:
    with database.sessions() as session:
        return session.scalars(
            select(ChainEndpoint).order_by(ChainEndpoint.updated_at.desc()).limit(1)
        ).first()


@dataclass
class PreparedLedger:
    """What `cascade serve`'s parent prepared for its children: the chain's URL and the Anvil it runs."""

    rpc_url: str
    chain_id: int
    anvil: AnvilProcess | None
    deployment: Deployment


def start_embedded_anvil(settings: Settings, progress: Progress = _quiet) -> AnvilProcess:
    anvil = AnvilProcess(
        settings.anvil_port,
        state_path=settings.anvil_state_path,
        block_time_seconds=settings.anvil_block_time_seconds,
        log_path=settings.data_dir / "anvil.log",
    )
    progress(f"chain: starting Anvil on port {settings.anvil_port} (state in {settings.anvil_state_path})")
    anvil.start()
    return anvil


def prepare_ledger(settings: Settings, progress: Progress = _quiet) -> PreparedLedger:
    """Migrates, reaches (or starts) the chain, and makes sure the contracts are deployed."""
    ensure_private_directory(settings.data_dir)
    database = Database(settings.resolved_database_url)
    progress(f"database: migrating {settings.resolved_database_url.split('@')[-1]}")
    database.migrate()
    anvil = None
    if settings.chain_rpc_url is None:
        anvil = start_embedded_anvil(settings, progress)
        rpc_url = anvil.rpc_url
    else:
        rpc_url = settings.chain_rpc_url
        progress(f"chain: attaching to {rpc_url}")
    rpc = JsonRpc(rpc_url)
    try:
        chain_id = wait_for_chain(rpc)
        progress("contracts: compiling (cached by source hash)")
        artifacts = compile_cascade(settings.artifacts_dir)
        deployment = ensure_deployment(
            database, rpc, chain_id, settings, artifacts, master_key_vault(settings), progress, anvil
        )
        record_chain_endpoint(
            database, chain_id, rpc_url, embedded=anvil is not None or settings.embedded_chain
        )
    except BaseException:
        if anvil is not None:
            anvil.stop()
        raise
    finally:
        rpc.close()
        database.dispose()
    return PreparedLedger(rpc_url, chain_id, anvil, deployment)


# ------------------------------------------------------------------------------------------ processes


def start_runtime(
    settings: Settings,
    progress: Progress = _quiet,
    *,
    writer: bool = False,
    migrate: bool = False,
    wait_for_leadership: bool = True,
) -> Runtime:
    """The runtime of one process. `settings.chain_rpc_url` must name the chain (the embedded Anvil's
    URL in `cascade serve`'s children). With `writer`, this process also runs the chain writer, once it
    holds leadership (as a standby until then, unless `wait_for_leadership` is off)."""
    if settings.chain_rpc_url is None:
        raise RuntimeError("start_runtime needs CHAIN_RPC_URL (prepare_ledger starts the embedded chain)")
    ensure_private_directory(settings.data_dir)
    database = Database(settings.resolved_database_url)
    if migrate:
        database.migrate()
    rpc = JsonRpc(settings.chain_rpc_url)
    try:
        chain_id = wait_for_chain(rpc)
        artifacts = compile_cascade(settings.artifacts_dir)
        deployment = load_deployment(database, rpc, chain_id)
        if deployment is None:
            raise RuntimeError(
                f"no Cascade deployment is recorded for chain {chain_id}: run `cascade deploy`"
            )
        chain = ChainClient(rpc, chain_id, artifacts, deployment, embedded=settings.embedded_chain)
        runtime = Runtime(
            settings=settings,
            database=database,
            rpc=rpc,
            chain=chain,
            key_vault=master_key_vault(settings),
            waiter=OutcomeWaiter(database),
            artifacts=artifacts,
        )
        if writer:
            start_writer(runtime, progress, wait=wait_for_leadership)
    except BaseException:
        rpc.close()
        database.dispose()
        raise
    return runtime


def start_writer(runtime: Runtime, progress: Progress = _quiet, *, wait: bool = True) -> None:
    """Takes leadership (waiting as a standby while another writer leads) and starts the chain writer."""
    from service import composition

    settings = runtime.settings
    leadership = Leadership(settings.resolved_database_url)
    if not leadership.acquire(
        wait=wait, on_waiting=lambda: progress("writer: standing by; another writer leads")
    ):
        raise RuntimeError("another chain writer leads this database")
    runtime.leadership = leadership
    runtime.writer = composition.build_writer(runtime)
    progress("writer: leading; catching up with the chain")
    started = time.monotonic()
    runtime.writer.start()
    progress(f"writer: running ({time.monotonic() - started:.1f}s to recover)")
