"""The data directory is 0700 and every file in it 0600: the SQLite database and its -wal and -shm, the
master key, the administrator's key, the embedded Anvil's state and log (they were 0644 in a 0755
directory)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.cli import _bootstrap_admin
from service.main import create_app
from tests.conftest import ApiUser, free_port, register
from tests.test_service_process import _embedded_ledger, _embedded_settings

pytestmark = pytest.mark.integration
PRIVATE_FILES = ("cascade.db", "master.key", "admin-api-key", "anvil-state.json", "anvil.log")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_data_directory_and_its_files_are_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CHAIN_RPC_URL", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("CASCADE_DATA_DIR", str(tmp_path / "data"))
    data = tmp_path / "data"
    data.mkdir(mode=0o755)  # an existing, open directory and key file are tightened too
    (data / "admin-api-key").write_text("stale\n")
    (data / "admin-api-key").chmod(0o644)
    settings = _embedded_settings(data, free_port())
    with _embedded_ledger(settings) as (runtime, _prepared):
        _bootstrap_admin(settings)
        secret = (data / "admin-api-key").read_text().strip()
        with TestClient(create_app(runtime)) as client:
            admin = client.get("/v1/participants/me", headers={"Authorization": f"Bearer {secret}"}).json()
            register(ApiUser(client, secret, admin["id"], admin["address"]), "D", "supplier")
        wal_files = [data / "cascade.db-wal", data / "cascade.db-shm"]
        assert all(path.exists() for path in wal_files)  # SQLite in WAL mode, while the service runs
        assert all(_mode(path) == 0o600 for path in wal_files), {p.name: oct(_mode(p)) for p in wal_files}
    assert _mode(data) == 0o700
    for name in PRIVATE_FILES:
        assert (data / name).exists(), name
        assert _mode(data / name) == 0o600, (name, oct(_mode(data / name)))
    opened = [path for path in data.rglob("*") if path.is_file() and _mode(path) & 0o077]
    assert not opened, [(str(path.relative_to(data)), oct(_mode(path))) for path in opened]
