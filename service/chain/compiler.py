"""Compiles the Solidity sources with py-solc-x through the solcjs shim, cached by source hash.

Native solc cannot be downloaded on our machines (see ../shared/TOOLCHAIN.md), so `tools/solc`
stands in for it. solcjs takes seconds, hence the cache: a build is reused until a source changes.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import solcx

from service.settings import PROJECT_ROOT

SOURCE_DIR = PROJECT_ROOT / "contracts" / "src"
SOLC_SHIM = PROJECT_ROOT / "tools" / "solc"
REMAPPINGS = [
    "@openzeppelin/contracts/=node_modules/@openzeppelin/contracts/",
    "@solvprotocol/erc-3525/=node_modules/@solvprotocol/erc-3525/",
]
COMPILER_SETTINGS: dict[str, Any] = {
    "optimizer": {"enabled": True, "runs": 10000},
    "evmVersion": "cancun",
    "remappings": REMAPPINGS,
    "outputSelection": {"*": {"*": ["abi", "evm.bytecode.object"]}},
}


@dataclass(frozen=True)
class Artifact:
    name: str
    abi: list[dict[str, Any]]
    bytecode: str


def _source_files(source_dir: Path) -> list[Path]:
    return sorted(path for path in source_dir.rglob("*.sol"))


def compute_source_hash(files: list[Path]) -> str:
    digest = hashlib.sha256(json.dumps(COMPILER_SETTINGS, sort_keys=True).encode())
    for path in files:
        digest.update(str(path.relative_to(PROJECT_ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def compile_standard_json(sources: dict[str, str], settings: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Runs solc (the shim) on `sources` (path -> text); returns `{contract: {abi, bytecode}}`.

    Imports resolve from the project root (node_modules through the remappings in `settings`).
    """
    output = solcx.compile_standard(
        {
            "language": "Solidity",
            "sources": {path: {"content": text} for path, text in sources.items()},
            "settings": settings,
        },
        base_path=str(PROJECT_ROOT),
        allow_paths=[str(PROJECT_ROOT)],
        solc_binary=SOLC_SHIM,
    )
    errors = [error for error in output.get("errors", []) if error.get("severity") == "error"]
    if errors:
        raise RuntimeError(
            "solidity compilation failed:\n" + "\n".join(e["formattedMessage"] for e in errors)
        )
    return {
        name: {"abi": data["abi"], "bytecode": data["evm"]["bytecode"]["object"]}
        for unit in output["contracts"].values()
        for name, data in unit.items()
    }


def compile_sources(files: list[Path], cache_dir: Path) -> dict[str, Artifact]:
    """Compiles `files` (or loads the cached result) and returns artifacts by contract name."""
    cache_path = cache_dir / f"{compute_source_hash(files)}.json"
    if not cache_path.exists():
        sources = {str(path.relative_to(PROJECT_ROOT)): path.read_text() for path in files}
        contracts = compile_standard_json(sources, COMPILER_SETTINGS)
        cache_dir.mkdir(parents=True, exist_ok=True)
        temporary = cache_path.with_suffix(".tmp")
        temporary.write_text(json.dumps(contracts))
        temporary.replace(cache_path)
    contracts = json.loads(cache_path.read_text())
    return {name: Artifact(name, data["abi"], data["bytecode"]) for name, data in contracts.items()}


def compile_cascade(cache_dir: Path) -> dict[str, Artifact]:
    return compile_sources(_source_files(SOURCE_DIR), cache_dir)
