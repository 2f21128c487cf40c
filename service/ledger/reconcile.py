"""Proof that the database agrees with the chain: every token and voucher compared at one block."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from eth_abi import decode as abi_decode
from eth_utils import to_checksum_address
from sqlalchemy import select

from service.chain.abi import encode_call
from service.chain.rpc import RevertError
from service.db.models import Note, Voucher
from service.errors import ChainUnavailable
from service.runtime import Runtime

BATCH_CALLS = 400
TOKEN_VIEWS = ("ownerOf(uint256)", "balanceOf(uint256)", "slotOf(uint256)", "lineageOf(uint256)")


@dataclass
class ReconcileReport:
    block_number: int
    tokens_checked: int = 0
    vouchers_checked: int = 0
    differences: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.differences


def _calls(runtime: Runtime, block: int, calls: Sequence[tuple[str, Sequence[object]]]) -> list[bytes]:
    note = runtime.chain.deployment.note
    results: list[bytes] = []
    for start in range(0, len(calls), BATCH_CALLS):
        chunk = calls[start : start + BATCH_CALLS]
        payloads = [
            ("eth_call", [{"to": note, "data": "0x" + encode_call(signature, args).hex()}, hex(block)])
            for signature, args in chunk
        ]
        try:
            answers = runtime.rpc.batch(payloads)
        except (RuntimeError, RevertError) as error:
            raise ChainUnavailable(
                f"the chain node did not answer for block {block}, the index's checkpoint when the "
                f"reconciliation began ({error}); a node keeps the state of recent blocks only (the "
                "embedded Anvil: the last 500), so a reconciliation that outlasts them must run again",
                block_number=block,
            ) from error
        results += [bytes.fromhex(answer[2:]) for answer in answers]
    return results


def fetch_index(runtime: Runtime) -> tuple[int, Sequence[Note], Sequence[Voucher]]:
    """The index's checkpoint block with its pieces and vouchers as of that block: read in one snapshot,
    since the indexer may apply later blocks meanwhile (each in one transaction with the checkpoint)."""
    with runtime.database.snapshot() as session:
        checkpoint = runtime.indexer.fetch_checkpoint(session.connection())
        notes = session.scalars(select(Note).order_by(Note.token_id)).all()
        vouchers = session.scalars(select(Voucher).order_by(Voucher.id)).all()
    return (checkpoint[0] if checkpoint else runtime.chain.deployment.block_number), notes, vouchers


def reconcile(runtime: Runtime) -> ReconcileReport:
    block, notes, vouchers = fetch_index(runtime)
    report = ReconcileReport(block_number=block)

    token_count, voucher_count = (
        abi_decode(["uint256"], raw)[0]
        for raw in _calls(runtime, block, [("tokenCount()", []), ("voucherCount()", [])])
    )
    if token_count != len(notes):
        report.differences.append(f"chain has {token_count} tokens at block {block}, database {len(notes)}")
    if voucher_count != len(vouchers):
        report.differences.append(
            f"chain has {voucher_count} vouchers at block {block}, database {len(vouchers)}"
        )

    calls = [(signature, [note.token_id]) for note in notes for signature in TOKEN_VIEWS]
    results = _calls(runtime, block, calls)
    sums: dict[int, int] = {}
    for index, note in enumerate(notes):
        owner_raw, balance_raw, slot_raw, lineage_raw = results[index * 4 : index * 4 + 4]
        owner = to_checksum_address(abi_decode(["address"], owner_raw)[0])
        balance = abi_decode(["uint256"], balance_raw)[0]
        slot = abi_decode(["uint256"], slot_raw)[0]
        parent, root, depth = abi_decode(["uint256", "uint256", "uint256"], lineage_raw)
        expected = (owner, balance, slot, parent or None, root, depth)
        indexed = (
            note.holder_address,
            note.value_minor,
            note.voucher_id,
            note.parent_token_id,
            note.root_token_id,
            note.depth,
        )
        if expected != indexed:
            report.differences.append(
                f"token {note.token_id}: chain (holder, value, slot, parent, root, depth) = {expected}, "
                f"database = {indexed}"
            )
        sums[note.voucher_id] = sums.get(note.voucher_id, 0) + note.value_minor
        report.tokens_checked += 1

    outstanding = _calls(
        runtime, block, [("outstandingValueOf(uint256)", [voucher.id]) for voucher in vouchers]
    )
    for voucher, raw in zip(vouchers, outstanding, strict=True):
        on_chain = abi_decode(["uint256"], raw)[0]
        indexed_outstanding = voucher.face_value_minor - voucher.redeemed_minor
        if on_chain != indexed_outstanding or sums.get(voucher.id, 0) != on_chain:
            report.differences.append(
                f"voucher {voucher.id}: chain outstanding {on_chain}, "
                f"database face-redeemed {indexed_outstanding}, "
                f"sum of pieces {sums.get(voucher.id, 0)}"
            )
        report.vouchers_checked += 1
    return report
