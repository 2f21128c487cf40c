"""The service as a user runs it: its own Anvil with a state file, restarts, the CLI and admin scripts."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient

from service.main import create_app
from service.participants.service import create_admin
from service.runtime import Runtime, prepare_ledger, start_runtime
from service.settings import PROJECT_ROOT, Settings
from tests.conftest import ApiUser, free_port, issue_voucher, register, transfer

pytestmark = pytest.mark.integration
BIN = PROJECT_ROOT / ".venv" / "bin"


def _embedded_settings(data_dir: Path, anvil_port: int) -> Settings:
    # No CHAIN_RPC_URL and no DATABASE_URL: the embedded default (own Anvil, SQLite in data_dir).
    return Settings(CASCADE_DATA_DIR=data_dir, ANVIL_PORT=anvil_port, INDEXER_POLL_SECONDS=0.2)


@contextmanager
def _embedded_ledger(settings: Settings) -> Iterator[tuple[Runtime, Any]]:
    """What `cascade serve` runs, in this process: the embedded chain, the writer and the API."""
    prepared = prepare_ledger(settings)
    attached = Settings(
        CASCADE_DATA_DIR=settings.data_dir,
        ANVIL_PORT=settings.anvil_port,
        CHAIN_RPC_URL=prepared.rpc_url,
        CASCADE_EMBEDDED_CHAIN=True,
        INDEXER_POLL_SECONDS=0.2,
    )
    runtime = start_runtime(attached, writer=True)
    try:
        yield runtime, prepared
    finally:
        runtime.close()
        assert prepared.anvil is not None
        prepared.anvil.stop()


def test_restart_keeps_chain_and_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHAIN_RPC_URL", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    settings = _embedded_settings(tmp_path / "data", free_port())
    with _embedded_ledger(settings) as (runtime, _prepared), TestClient(create_app(runtime)) as client:
        address, _ = runtime.key_vault.create_account()
        with runtime.database.connection_transaction() as connection:
            participant, secret = create_admin(connection, "admin", address)
        admin = ApiUser(client, secret, participant.id, address)
        obligor, t1, a = (
            register(admin, n, r) for n, r in (("O", "obligor"), ("T1", "supplier"), ("A", "supplier"))
        )
        voucher = issue_voucher(admin, obligor, t1)
        moved = transfer(t1, voucher["root_token_id"], a, "40000000.00")
        addresses = dict(runtime.chain.deployment.addresses)
    assert settings.anvil_state_path.exists()
    assert oct(settings.anvil_state_path.stat().st_mode & 0o777) == "0o600"

    with _embedded_ledger(settings) as (restarted, _prepared), TestClient(create_app(restarted)) as client:
        assert restarted.chain.deployment.addresses == addresses, "a restart must not redeploy"
        a_again, t1_again = (
            ApiUser(client, a.key, a.participant_id, a.address),
            ApiUser(client, t1.key, t1.participant_id, t1.address),
        )
        assert [n["value"] for n in a_again.get("/v1/notes").json()["items"]] == ["40000000.00"]
        transfer(t1_again, voucher["root_token_id"], a_again, "1000000.00", into_token_id=moved["token_id"])
        assert [n["value"] for n in a_again.get("/v1/notes").json()["items"]] == ["41000000.00"]


class _Server:
    def __init__(self, runtime: Runtime, port: int) -> None:
        config = uvicorn.Config(create_app(runtime), host="127.0.0.1", port=port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.url = f"http://127.0.0.1:{port}"

    def __enter__(self) -> _Server:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.05)
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def live_server(runtime: Runtime) -> Iterator[tuple[str, str]]:
    address, _ = runtime.key_vault.create_account()
    with runtime.database.connection_transaction() as connection:
        _participant, secret = create_admin(connection, "Script admin", address)
    with _Server(runtime, free_port()) as server:
        yield server.url, secret


def test_admin_scripts_and_curl_walkthrough(live_server: tuple[str, str], tmp_path: Path) -> None:
    url, admin_key = live_server
    env = {**os.environ, "CASCADE_URL": url, "CASCADE_API_KEY": admin_key, "RUN_ID": "t"}
    seed_file = tmp_path / "model1.json"
    subprocess.run(
        ["bash", "scripts/seed_model1.sh", str(seed_file)], cwd=PROJECT_ROOT, env=env, check=True, timeout=300
    )
    seeded = json.loads(seed_file.read_text())
    assert set(seeded["participants"]) == {"Carmaker", "T1", "A", "B", "C", "Bank"}

    # Re-running the script is safe: idempotency keys make every step a replay.
    subprocess.run(
        ["bash", "scripts/seed_model1.sh", str(tmp_path / "again.json")],
        cwd=PROJECT_ROOT,
        env=env,
        check=True,
        timeout=300,
    )
    assert json.loads((tmp_path / "again.json").read_text())["voucher_id"] == seeded["voucher_id"]

    output = subprocess.run(
        ["bash", "scripts/walkthrough.sh", str(seed_file)],
        cwd=PROJECT_ROOT,
        env=env,
        check=True,
        timeout=300,
        capture_output=True,
        text=True,
    ).stdout
    lineage = json.loads(output.strip().splitlines()[-1])
    assert lineage["total_held"] == "100000000.00" and lineage["piece_count"] == 4

    c_key = seeded["participants"]["C"]["api_key"]
    holdings = httpx.get(f"{url}/v1/notes", headers={"Authorization": f"Bearer {c_key}"}).json()["items"]
    assert [note["value"] for note in holdings] == ["10000000.00"]
    docs = httpx.get(f"{url}/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    assert "/v1/notes/{token_id}/transfers" in httpx.get(f"{url}/openapi.json").json()["paths"]


def test_cli_reports_errors_with_exit_codes(live_server: tuple[str, str]) -> None:
    url, admin_key = live_server
    env = {**os.environ, "CASCADE_URL": url, "CASCADE_API_KEY": admin_key}
    failed = subprocess.run(
        [str(BIN / "cascade"), "participants", "register", "--name", "X", "--role", "pirate"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert failed.returncode == 1 and "invalid_request" in failed.stderr


def _cli(url: str, key: str, *args: str) -> Any:
    env = {**os.environ, "CASCADE_URL": url, "CASCADE_API_KEY": key}
    done = subprocess.run([str(BIN / "cascade"), *args], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout) if done.stdout.lstrip().startswith(("{", "[")) else done.stdout


def test_cli_financing_and_settlement_commands(live_server: tuple[str, str]) -> None:
    url, admin_key = live_server
    client = httpx.Client(base_url=url, timeout=60)
    admin = ApiUser(client, admin_key, 0, "")  # type: ignore[arg-type]
    carmaker, t1, bank = (
        register(admin, n, r) for n, r in (("Carmaker", "obligor"), ("T1", "supplier"), ("Bank", "financier"))
    )
    voucher = issue_voucher(admin, carmaker, t1)
    assert (
        _cli(
            url,
            admin_key,
            "cash",
            "credit",
            "--participant",
            str(bank.participant_id),
            "--amount",
            "50000000.00",
        )["amount"]
        == "50000000.00"
    )
    [credited] = [b for b in _cli(url, bank.key, "cash", "balances") if b["currency"] == "CNY"]
    assert credited["balance"] == "50000000.00"
    terms = _cli(url, bank.key, "financing", "publish-terms", "--rate-bps", "600", "--budget", "40000000.00")
    quote = _cli(
        url,
        t1.key,
        "financing",
        "quote",
        "--token",
        str(voucher["root_token_id"]),
        "--terms",
        str(terms["id"]),
        "--amount",
        "10000000.00",
    )
    trade = _cli(url, t1.key, "financing", "execute", "--quote", str(quote["id"]))
    assert trade["cash_received"] == quote["price"]
    [balance] = [b for b in _cli(url, t1.key, "cash", "balances") if b["currency"] == "CNY"]
    assert balance["balance"] == quote["price"]
    _cli(
        url,
        admin_key,
        "cash",
        "credit",
        "--participant",
        str(carmaker.participant_id),
        "--amount",
        "100000000.00",
    )
    funded = _cli(
        url, carmaker.key, "settlement", "fund", "--voucher", str(voucher["id"]), "--amount", "25000000.00"
    )
    assert funded["funded"] == "25000000.00" and funded["status"] == "active"
    assert (
        _cli(url, t1.key, "settlement", "status", "--voucher", str(voucher["id"]))["available"]
        == "25000000.00"
    )
    report = _cli(url, carmaker.key, "settlement", "report", "--voucher", str(voucher["id"]), "--csv")
    assert report.splitlines()[0].startswith("voucher_id,kind,token_id") and "settlement_funding" in report


def test_embedded_anvil_refuses_a_port_already_in_use() -> None:
    """Otherwise its readiness probe would be answered by the other process and state would mix."""
    import socket

    from service.chain.anvil import AnvilProcess

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        with pytest.raises(RuntimeError, match="in use"):
            AnvilProcess(busy.getsockname()[1]).start()


def test_the_embedded_anvil_keeps_recent_states_in_memory_and_writes_none_to_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past 500 blocks Anvil would otherwise write each block's whole state as a JSON file under
    ~/.foundry/anvil/tmp and leave the files behind when it stops (gigabytes after one benchmark)."""
    from service.chain.anvil import AnvilProcess
    from service.chain.rpc import JsonRpc

    monkeypatch.setenv("HOME", str(tmp_path))
    anvil = AnvilProcess(free_port())
    anvil.start()
    rpc = JsonRpc(anvil.rpc_url)
    try:
        account = rpc.request("eth_accounts")[0]
        rpc.request("anvil_mine", [hex(600)])
        head = int(rpc.request("eth_blockNumber"), 16)
        # Recent history (reconciliation reads at the index's checkpoint) is still there.
        assert int(rpc.request("eth_getBalance", [account, hex(head - 100)]), 16) > 0
    finally:
        rpc.close()
        anvil.stop()
    assert [path for path in tmp_path.rglob("*") if path.is_file()] == []


def test_deployment_uses_the_operators_own_settlement_cash(
    anvil: Any, artifacts: Any, service_accounts: Any, fresh_chain: None
) -> None:
    """In production the operator names its stablecoin by address instead of getting test tokens."""
    from service.chain.contracts import ContractHandle
    from service.chain.deploy import DeploymentOptions, ServiceRoles, _Deployer, deploy_cascade
    from service.chain.rpc import JsonRpc
    from service.chain.transactions import AccountKey
    from service.settings import ANVIL_DEV_KEYS

    settings = Settings(CASH_TOKENS="cny=0x0000000000000000000000000000000000000000")
    assert settings.external_cash == {"CNY": "0x0000000000000000000000000000000000000000"}
    rpc = JsonRpc(anvil.rpc_url)
    try:
        operator = AccountKey(ANVIL_DEV_KEYS[0], 31337)
        stablecoin, _ = _Deployer(rpc, operator).deploy(
            artifacts["SettlementToken"], "Operator CNY", "oCNY", 2, operator.address, operator.address, 0
        )
        roles = ServiceRoles(**{name: address for name, (address, _key) in service_accounts.items()})
        deployment = deploy_cascade(
            rpc,
            31337,
            operator,
            artifacts,
            roles,
            options=DeploymentOptions(external_cash={"CNY": stablecoin}),
        )
        assert deployment.addresses["cash:CNY"] == stablecoin and "cash:USD" not in deployment.addresses
        for user, artifact in (
            ("desk", "FinancingDesk"),
            ("programme", "EarlyPaymentProgram"),
            ("vault", "SettlementVault"),
        ):
            handle = ContractHandle(user, deployment.addresses[user], artifacts[artifact].abi)
            call = handle.call("cashTokenOf", b"CNY".ljust(8, b"\0"))
            raw = rpc.request("eth_call", [{"to": call.to, "data": "0x" + call.data.hex()}, "latest"])
            assert raw[-40:].lower() == stablecoin[2:].lower()
    finally:
        rpc.close()


# The beginnings of every line `cascade serve` prints: a line starting otherwise is the tail of a line
# broken mid-sentence (Rich broke them at 80 columns when not on a terminal).
SERVE_LINES = (
    "•",
    "Cascade is up",
    "API docs:",
    "The administrator's API key",
    "csk_",
    "It is also saved",
    "writer: ",
)
STOP_LINES = ("Cascade stopped", "The embedded Anvil stopped", "Everything else is in")


def test_make_run_takes_a_port_and_a_data_directory_and_says_what_ctrl_c_stopped(tmp_path: Path) -> None:
    port, anvil_port = free_port(), free_port()
    data = tmp_path / "a data directory with a long name, for lines longer than eighty columns"
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("CHAIN_RPC_URL", "DATABASE_URL", "WORKERS")
    }
    environment |= {"PORT": str(port), "CASCADE_DATA_DIR": str(data), "ANVIL_PORT": str(anvil_port)}
    environment["COLUMNS"] = "80"
    service = subprocess.Popen(
        ["make", "--no-print-directory", "run"],
        cwd=PROJECT_ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's foreground job has
    )
    try:
        deadline = time.monotonic() + 180
        while True:
            assert service.poll() is None, service.communicate()[0]
            try:
                if httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=1).status_code == 200:
                    break
            except (httpx.HTTPError, ValueError, KeyError):
                pass
            assert time.monotonic() < deadline, "make run did not serve"
            time.sleep(0.2)
        assert (data / "admin-api-key").exists() and (data / "cascade.db").exists()
    finally:
        os.killpg(service.pid, signal.SIGINT)  # Ctrl-C: the whole foreground process group
        output, _ = service.communicate(timeout=120)
    lines = [line for line in output.splitlines() if line.strip() and not line.startswith(("make", "Make"))]
    ours = [line for line in lines if not line.startswith(".venv/bin/cascade")]
    assert all(line.startswith(SERVE_LINES + STOP_LINES) for line in ours), output
    assert f"Cascade is up on http://127.0.0.1:{port} (2 API processes and the chain writer)" in ours, output
    assert ours[-3:] == [
        f"Cascade stopped: the API on http://127.0.0.1:{port} (2 API processes and the chain writer).",
        f"The embedded Anvil stopped; its chain is saved in {data / 'anvil-state.json'}.",
        f"Everything else is in {data}: `make run` starts it all again.",
    ], output
    assert (data / "anvil-state.json").exists()
