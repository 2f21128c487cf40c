"""Start-up and shutdown of everything a running ledger needs: database, chain, contracts, indexer."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select

from service.chain.anvil import AnvilProcess
from service.chain.client import ChainClient, Deployment, wait_for_chain
from service.chain.compiler import Artifact, compile_cascade
from service.chain.deploy import REQUIRED_CONTRACTS, SettlementTerms, deploy_cascade
from service.chain.keys import KeyVault, load_or_create_master_key
from service.chain.rpc import JsonRpc
from service.chain.transactions import TransactionSender
from service.db.models import DeployedContract
from service.db.session import Database
from service.indexer import Indexer
from service.locks import LockDirectory
from service.private_files import ensure_private_directory
from service.settings import ANVIL_CHAIN_ID, ANVIL_DEV_KEYS, Settings
from service.submission import Submitter

logger = logging.getLogger(__name__)
Progress = Callable[[str], None]


def _quiet(_message: str) -> None:
    pass


@dataclass
class Runtime:
    settings: Settings
    database: Database
    rpc: JsonRpc
    chain: ChainClient
    indexer: Indexer
    submitter: Submitter
    key_vault: KeyVault
    locks: LockDirectory
    anvil: AnvilProcess | None = None
    # This process's slot among `cascade serve --workers N`'s workers; None: the only process.
    worker_slot: int | None = None

    def close(self, *, keep_chain: bool = False) -> None:
        """Stops everything (again, if called again); with `keep_chain` its own Anvil keeps running,
        for `cascade serve`'s worker processes."""
        self.submitter.stop()
        self.indexer.stop()
        self.rpc.close()
        self.database.dispose()
        if self.anvil is not None and not keep_chain:
            self.anvil.stop()


def _account_keys(settings: Settings, chain_id: int) -> tuple[str, list[str]]:
    operator = settings.operator_private_key.get_secret_value() if settings.operator_private_key else None
    configured = settings.relayer_private_keys.get_secret_value() if settings.relayer_private_keys else ""
    relayers = [key.strip() for key in configured.split(",") if key.strip()]
    if chain_id == ANVIL_CHAIN_ID:
        operator = operator or ANVIL_DEV_KEYS[0]
        relayers = relayers or list(ANVIL_DEV_KEYS[1 : 1 + settings.relayer_count])
    if not operator or not relayers:
        raise RuntimeError(
            "OPERATOR_PRIVATE_KEY and RELAYER_PRIVATE_KEYS are required on a chain other than Anvil"
        )
    return operator, relayers


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


def record_deployment(database: Database, deployment: Deployment) -> None:
    with database.transaction() as session:
        for row in session.scalars(
            select(DeployedContract).where(DeployedContract.chain_id == deployment.chain_id)
        ):
            session.delete(row)
        session.flush()
        for name, address in deployment.addresses.items():
            session.add(
                DeployedContract(
                    chain_id=deployment.chain_id,
                    name=name,
                    address=address,
                    block_number=deployment.block_number,
                )
            )


def ensure_deployment(
    database: Database,
    rpc: JsonRpc,
    chain_id: int,
    operator: TransactionSender,
    artifacts: dict[str, Artifact],
    progress: Progress = _quiet,
    terms: SettlementTerms | None = None,
    external_cash: dict[str, str] | None = None,
) -> Deployment:
    deployment = load_deployment(database, rpc, chain_id)
    if deployment is None:
        deployment = deploy_cascade(rpc, chain_id, operator, artifacts, progress, terms, external_cash)
        record_deployment(database, deployment)
    return deployment


def claim_worker_slot(locks: LockDirectory, workers: int) -> int | None:
    """The first free slot among `workers`, held until this process ends (a restarted worker takes
    the slot its dead predecessor left); None if every slot is taken."""
    return next((slot for slot in range(workers) if locks.try_hold_forever(f"worker-{slot}")), None)


def serving_lock_name(slot: int) -> str:
    """Held by the worker of `slot` once it has started and serves requests."""
    return f"worker-{slot}-serving"


def count_serving_workers(locks: LockDirectory, workers: int) -> int:
    return sum(locks.is_held(serving_lock_name(slot)) for slot in range(workers))


def relayers_of_slot(
    relayers: list[TransactionSender], slot: int | None, workers: int
) -> list[TransactionSender]:
    """A worker's share of the relayer pool: every `workers`-th, from its slot (at least one)."""
    if slot is None or workers <= 1:
        return relayers
    return relayers[slot::workers] or [relayers[slot % len(relayers)]]


def start_runtime(
    settings: Settings,
    progress: Progress = _quiet,
    *,
    serving: bool = True,
    worker_slot: int | None = None,
) -> Runtime:
    """`serving`: this process answers requests, so it runs the relayers and the background indexer
    (not for one-off commands, nor for `cascade serve`'s parent when workers serve).
    `worker_slot`: this process is one of `settings.workers` worker processes and relays through
    its share of the relayers; None: it relays through all of them."""
    ensure_private_directory(settings.data_dir)
    locks = LockDirectory(settings.locks_dir)
    database = Database(settings.resolved_database_url)
    if worker_slot is None:  # a worker's parent (`cascade serve`) migrated before starting it
        progress(f"database: migrating {settings.resolved_database_url.split('@')[-1]}")
        database.migrate()

    anvil: AnvilProcess | None = None
    rpc_url = settings.chain_rpc_url
    if rpc_url is None:
        anvil = AnvilProcess(
            settings.anvil_port,
            state_path=settings.anvil_state_path,
            block_time_seconds=settings.anvil_block_time_seconds,
            log_path=settings.data_dir / "anvil.log",
        )
        progress(
            f"chain: starting Anvil on port {settings.anvil_port} (state in {settings.anvil_state_path})"
        )
        anvil.start()
        rpc_url = anvil.rpc_url
    else:
        progress(f"chain: attaching to {rpc_url}")
    rpc = JsonRpc(rpc_url)
    try:
        chain_id = wait_for_chain(rpc)
        operator_key, relayer_keys = _account_keys(settings, chain_id)
        operator = TransactionSender(rpc, chain_id, operator_key, locks)
        relayers = [TransactionSender(rpc, chain_id, key, locks) for key in relayer_keys]
        progress("contracts: compiling (cached by source hash)")
        artifacts = compile_cascade(settings.artifacts_dir)
        terms = SettlementTerms(settings.settlement_grace_seconds, settings.settlement_default_after_seconds)
        deployment = ensure_deployment(
            database, rpc, chain_id, operator, artifacts, progress, terms, settings.external_cash
        )
        chain = ChainClient(rpc, chain_id, artifacts, deployment, operator, relayers)
        indexer = Indexer(database, chain, locks)
        submitter = Submitter(database, chain, indexer, settings.forward_request_ttl_seconds, locks)
        indexer.reorg_listeners += [submitter.forget_nonces, chain.forget_clock]
        vault = KeyVault(
            load_or_create_master_key(
                settings.master_key.get_secret_value() if settings.master_key else None,
                settings.master_key_path,
            )
        )
        progress("indexer: catching up with the chain")
        resumed = submitter.resume()
        if resumed:
            progress(f"journal: finished {resumed} operation(s) left in flight")
        indexer.sync_to()
        if serving:
            submitter.start(relayers_of_slot(relayers, worker_slot, settings.workers))
            indexer.start(settings.indexer_poll_seconds)
    except BaseException:
        rpc.close()
        if anvil is not None:
            anvil.stop()
        raise
    return Runtime(settings, database, rpc, chain, indexer, submitter, vault, locks, anvil, worker_slot)
