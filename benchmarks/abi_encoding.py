"""`python -m benchmarks.abi_encoding`: what encoding a transfer's calldata costs three ways.

A transfer through the writer encodes its call (`transferFrom(uint256,address,uint256)`) and its relay
batch (`executeBatch` of forward requests, a dynamic array of structs). Measured per encoding, on this
machine, in one process: web3.py's contract function (`_encode_transaction_data`), eth-abi's `encode`
with the resolved types, and the service's own `encode_values` (what `ContractHandle.call` and
`BatchEncoder` use). The figures decide whether the hand-written encoder earns its keep
(docs/decisions/0003-hand-written-encoders.md); its output is checked against eth-abi by property tests
(tests/test_abi.py), and here again before timing.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from typing import Any

from eth_abi import encode as abi_encode

from service.chain.abi import encode_values
from service.chain.compiler import compile_cascade
from service.chain.contracts import ContractHandle
from service.chain.forwarder import BatchEncoder, ForwardRequest
from service.settings import Settings

NOTE = "0x" + "11" * 20
RECIPIENT = "0x" + "22" * 20
REQUESTS_PER_BATCH = 50


def _per_call_us(encode: Callable[[], bytes], seconds: float = 1.0) -> float:
    for _ in range(50):
        encode()
    count, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        for _ in range(50):
            encode()
        count += 50
    return round(elapsed / count * 1e6, 1)


def measure() -> dict[str, Any]:
    artifacts = compile_cascade(Settings().artifacts_dir)
    note = ContractHandle("note", NOTE, artifacts["ReceivableNote"].abi)
    args = (7, RECIPIENT, 1_000_000)
    types = ["uint256", "address", "uint256"]
    selector = note.calldata("transferFrom", *args)[:4]
    ours = note.calldata("transferFrom", *args)
    if ours != note.web3_calldata("transferFrom", *args) or ours[4:] != abi_encode(types, list(args)):
        raise SystemExit("the encoders disagree; refusing to time them")
    request = ForwardRequest(
        sender=RECIPIENT, target=NOTE, gas=300_000, nonce=5, deadline=2_000_000_000, data=ours
    )
    batch = [(request, b"\x01" * 65)] * REQUESTS_PER_BATCH
    encoder = BatchEncoder(artifacts["CascadeForwarder"].abi)
    items = [r.as_tuple(s) for r, s in batch]
    batch_types = list(encoder._types)
    if encoder.encode(batch, RECIPIENT)[4:] != abi_encode(batch_types, [items, RECIPIENT]):
        raise SystemExit("the batch encoders disagree; refusing to time them")
    return {
        "transfer_call_us": {
            "web3py": _per_call_us(lambda: note.web3_calldata("transferFrom", *args)),
            "eth_abi": _per_call_us(lambda: selector + abi_encode(types, list(args))),
            "cascade": _per_call_us(lambda: note.calldata("transferFrom", *args)),
        },
        f"relay_batch_of_{REQUESTS_PER_BATCH}_us": {
            "eth_abi": _per_call_us(lambda: abi_encode(batch_types, [items, RECIPIENT])),
            "cascade": _per_call_us(lambda: encode_values(batch_types, [items, RECIPIENT])),
        },
    }


if __name__ == "__main__":
    json.dump(measure(), sys.stdout, indent=2)
    print()
