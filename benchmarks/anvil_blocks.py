"""Why the ledger slows down at 100,000 pieces: Anvil's cost per block against the size of its state.

Not part of `make bench` (about 3 minutes): `python -m benchmarks.anvil_blocks [--slots N ...]`. A
contract writes fresh storage slots, 2,000 per transaction (a note piece takes a handful of slots:
100,000 pieces are several hundred thousand). At each level the median of three `evm_mine` calls (empty
blocks) is taken, on two chains:
- `in-memory`: the service's own Anvil command line (what `cascade serve` runs);
- `forking`: the same Anvil forking an empty Anvil, so that everything written lives in the fork's
  cache, a different storage back end.
No service, database or index is involved: whatever grows here is the node's own work per block.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from contextlib import ExitStack

from benchmarks.common import BenchAnvil, DirectSender, FastSigner, Rpc, bench_key, empty_block_ms, free_port
from service.chain.abi import encode_call
from service.chain.compiler import compile_standard_json

FILLER_SOURCE = """// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// Writes `count` fresh storage slots from `first` on: state for the node to carry, nothing else.
contract StorageFiller {
    function fill(uint256 first, uint256 count) external {
        assembly {
            for { let slot := first } lt(slot, add(first, count)) { slot := add(slot, 1) } { sstore(slot, 1) }
        }
    }
}
"""
# About 45M gas: under half the 100M block gas limit, so that the base fee does not climb block by block.
SLOTS_PER_TRANSACTION = 2_000
FILL_GAS = 48_000_000
DEFAULT_LEVELS = (1_000, 100_000, 300_000, 600_000)


def measure(rpc: Rpc, levels: Sequence[int]) -> dict[int, float | None]:
    compiled = compile_standard_json(
        {"StorageFiller.sol": FILLER_SOURCE},
        {
            "optimizer": {"enabled": True, "runs": 200},
            "outputSelection": {"*": {"*": ["abi", "evm.bytecode.object"]}},
        },
    )
    signer = FastSigner(bench_key("anvil-blocks", 0))
    rpc.set_balances([signer.address])
    direct = DirectSender(rpc)
    deployed = direct.transact(signer, "", bytes.fromhex(compiled["StorageFiller"]["bytecode"]), 1_000_000)
    filler = str(deployed["contractAddress"])
    written = 0
    figures: dict[int, float | None] = {}
    for level in sorted(levels):
        while written < level:
            count = min(SLOTS_PER_TRANSACTION, level - written)
            direct.transact(signer, filler, encode_call("fill(uint256,uint256)", [written, count]), FILL_GAS)
            written += count
        figures[level] = empty_block_ms(rpc)
        print(f"  {level:>9,} slots: {figures[level]} ms per empty block", flush=True)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.anvil_blocks", description=__doc__)
    parser.add_argument("--slots", type=int, nargs="+", default=list(DEFAULT_LEVELS), help="storage sizes")
    levels = parser.parse_args(argv).slots
    results: dict[str, dict[int, float | None]] = {}
    with ExitStack() as stack:
        upstream = BenchAnvil(free_port())
        upstream.start()
        stack.callback(upstream.stop)
        chains = {
            "in-memory": BenchAnvil(free_port()),
            "forking": BenchAnvil(free_port(), extra_arguments=["--fork-url", upstream.rpc_url]),
        }
        for name, anvil in chains.items():
            print(f"{name}:", flush=True)
            anvil.start()
            rpc = Rpc(anvil.rpc_url)
            try:
                results[name] = measure(rpc, levels)
            finally:
                rpc.close()
                anvil.stop()
    print("\nempty block (ms, median of 3) by storage slots written")
    print(f"{'slots':>9}  {'in-memory':>9}  {'forking':>7}")
    for level in sorted(levels):
        print(f"{level:>9,}  {results['in-memory'][level]!s:>9}  {results['forking'][level]!s:>7}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
