"""Proof that the database agrees with the chain, compared at one block: every piece (holder, value,
voucher, lineage), every voucher's outstanding value, every operation recorded as run (its signer's
nonce used), every quote's state (its nonce used on the desk exactly when it was executed or voided),
the terms' used budgets, and the link of every voucher to its documents."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.chain.abi import checksum_address
from service.chain.contracts import ContractCall
from service.db.models import (
    FinancingQuote,
    FinancingTerms,
    Note,
    Operation,
    Participant,
    Voucher,
    VoucherDocument,
)
from service.domain.operations import OperationState
from service.errors import ChainUnavailable, LedgerError
from service.index.indexer import Indexer
from service.runtime import Runtime

BATCH_CALLS = 400


@dataclass
class ReconcileReport:
    block_number: int
    tokens_checked: int = 0
    vouchers_checked: int = 0
    operations_checked: int = 0
    quotes_checked: int = 0
    differences: list[str] = field(default_factory=list)
    differing_token_ids: list[int] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.differences


@dataclass
class _Index:
    block: int
    notes: Sequence[Note]
    vouchers: Sequence[Voucher]
    executed: list[tuple[str, int]]
    quotes: list[tuple[int, str, str, str]]  # id, financier address, nonce, state
    used_by_terms: dict[int, tuple[int, int]]  # terms id -> (used, sum of executed prices)
    unlinked_vouchers: list[int]


def _read(runtime: Runtime, block: int, calls: Sequence[ContractCall]) -> list[Any]:
    results: list[Any] = []
    for start in range(0, len(calls), BATCH_CALLS):
        try:
            results += runtime.chain.read_many(list(calls[start : start + BATCH_CALLS]), block)
        except LedgerError as error:
            raise ChainUnavailable(
                f"the chain node did not answer for block {block}, the index's checkpoint when the "
                f"reconciliation began ({error.message}); a node keeps the state of recent blocks only (the "
                "embedded Anvil: the last 500), so a reconciliation that outlasts them must run again",
                block_number=block,
            ) from error
    return results


def fetch_index(runtime: Runtime) -> _Index:
    """Everything compared, read in one snapshot (the writer may index later blocks meanwhile, each
    in one transaction with the checkpoint)."""
    with runtime.database.snapshot() as session:
        checkpoint = Indexer.read_checkpoint(runtime.database, runtime.chain.chain_id, session.connection())
        block = checkpoint[0] if checkpoint else runtime.chain.deployment.block_number
        return _Index(
            block=block,
            notes=session.scalars(select(Note).order_by(Note.token_id)).all(),
            vouchers=session.scalars(select(Voucher).order_by(Voucher.id)).all(),
            executed=[
                (row.signer_address, int(row.nonce))
                for row in session.execute(
                    select(Operation.signer_address, Operation.nonce).where(
                        Operation.state.in_([OperationState.EXECUTED, OperationState.REVERTED]),
                        Operation.block_number <= block,
                    )
                )
            ],
            quotes=_quotes(session),
            used_by_terms=_used_by_terms(session),
            unlinked_vouchers=_unlinked_vouchers(session),
        )


def _quotes(session: Session) -> list[tuple[int, str, str, str]]:
    rows = session.execute(
        select(FinancingQuote.id, Participant.address, FinancingQuote.nonce, FinancingQuote.state).join(
            Participant, Participant.id == FinancingQuote.financier_participant_id
        )
    ).all()
    return [(row.id, row.address, row.nonce, row.state) for row in rows]


def _used_by_terms(session: Session) -> dict[int, tuple[int, int]]:
    executed = dict(
        session.execute(
            select(FinancingQuote.terms_id, func.sum(FinancingQuote.price_minor))
            .where(FinancingQuote.state == "executed")
            .group_by(FinancingQuote.terms_id)
        ).all()
    )
    return {
        row.id: (int(row.used_minor), int(executed.get(row.id, 0)))
        for row in session.execute(select(FinancingTerms.id, FinancingTerms.used_minor))
    }


def _unlinked_vouchers(session: Session) -> list[int]:
    linked = select(VoucherDocument.voucher_id).where(VoucherDocument.voucher_id.is_not(None))
    return list(session.scalars(select(Voucher.id).where(Voucher.id.not_in(linked)).order_by(Voucher.id)))


def reconcile(runtime: Runtime) -> ReconcileReport:
    index = fetch_index(runtime)
    report = ReconcileReport(block_number=index.block)
    _check_tokens(runtime, index, report)
    _check_vouchers(runtime, index, report)
    _check_operations(runtime, index, report)
    _check_quotes(runtime, index, report)
    for terms_id, (used, executed) in sorted(index.used_by_terms.items()):
        if used != executed:
            report.differences.append(
                f"terms {terms_id}: used {used}, executed quotes {executed} (minor units)"
            )
    for voucher_id in index.unlinked_vouchers:
        report.differences.append(f"voucher {voucher_id} has no documents linked")
    return report


def _check_tokens(runtime: Runtime, index: _Index, report: ReconcileReport) -> None:
    note = runtime.chain.contracts.note
    token_count, voucher_count = _read(
        runtime, index.block, [note.call("tokenCount"), note.call("voucherCount")]
    )
    if token_count != len(index.notes):
        report.differences.append(
            f"chain has {token_count} tokens at block {index.block}, database {len(index.notes)}"
        )
        known = {n.token_id for n in index.notes}
        report.differing_token_ids += [token for token in range(1, token_count + 1) if token not in known]
    if voucher_count != len(index.vouchers):
        report.differences.append(
            f"chain has {voucher_count} vouchers at block {index.block}, database {len(index.vouchers)}"
        )
    views = ("ownerOf", "balanceOf", "slotOf", "lineageOf")
    results = _read(
        runtime, index.block, [note.call(view, n.token_id) for n in index.notes for view in views]
    )
    for position, row in enumerate(index.notes):
        owner, balance, slot, lineage = results[position * 4 : position * 4 + 4]
        parent, root, depth = lineage
        on_chain = (
            checksum_address(owner),
            int(balance),
            int(slot),
            int(parent) or None,
            int(root),
            int(depth),
        )
        indexed = (
            row.holder_address,
            row.value_minor,
            row.voucher_id,
            row.parent_token_id,
            row.root_token_id,
            row.depth,
        )
        if on_chain != indexed:
            report.differences.append(
                f"token {row.token_id}: chain (holder, value, voucher, parent, root, depth) = {on_chain}, "
                f"database = {indexed}"
            )
            report.differing_token_ids.append(row.token_id)
        report.tokens_checked += 1


def _check_vouchers(runtime: Runtime, index: _Index, report: ReconcileReport) -> None:
    sums: dict[int, int] = {}
    for row in index.notes:
        sums[row.voucher_id] = sums.get(row.voucher_id, 0) + row.value_minor
    note = runtime.chain.contracts.note
    outstanding = _read(runtime, index.block, [note.call("outstandingValueOf", v.id) for v in index.vouchers])
    for voucher, on_chain in zip(index.vouchers, outstanding, strict=True):
        indexed = voucher.face_value_minor - voucher.redeemed_minor
        if on_chain != indexed or sums.get(voucher.id, 0) != on_chain:
            report.differences.append(
                f"voucher {voucher.id}: chain outstanding {on_chain}, database face-redeemed {indexed}, "
                f"sum of pieces {sums.get(voucher.id, 0)}"
            )
        report.vouchers_checked += 1


def _check_operations(runtime: Runtime, index: _Index, report: ReconcileReport) -> None:
    """Every operation recorded as run used its signer's nonce on chain."""
    signers = sorted({signer for signer, _nonce in index.executed})
    if signers:
        forwarder = runtime.chain.contracts.forwarder
        nonces = dict(
            zip(
                signers,
                _read(runtime, index.block, [forwarder.call("nonces", s) for s in signers]),
                strict=True,
            )
        )
        for signer, nonce in index.executed:
            if int(nonces[signer]) <= nonce:
                report.differences.append(
                    f"an operation of {signer} recorded as run at nonce {nonce}; "
                    f"the chain's next is {nonces[signer]}"
                )
    report.operations_checked = len(index.executed)


def _check_quotes(runtime: Runtime, index: _Index, report: ReconcileReport) -> None:
    """A quote's nonce is used on the desk exactly when the database says it was executed or voided."""
    desk = runtime.chain.contracts.desk
    used = _read(
        runtime,
        index.block,
        [desk.call("isNonceUsed", financier, int(nonce)) for _id, financier, nonce, _state in index.quotes],
    )
    for (quote_id, _financier, _nonce, state), on_chain in zip(index.quotes, used, strict=True):
        decided = state in ("executed", "cancelled")
        if bool(on_chain) != decided:
            report.differences.append(
                f"quote {quote_id}: database says {state}, "
                f"its nonce is {'used' if on_chain else 'unused'} on chain"
            )
        report.quotes_checked += 1
