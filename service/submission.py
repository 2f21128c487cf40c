"""The write path: every transaction is journaled before it is sent, then mined, then indexed.

One submission is in flight at a time. That keeps the relayer's nonce and each participant's
forwarder nonce trivially correct and is what Anvil's automine tolerates reliably; a write call
returns only after the indexer has applied its block (read-your-writes).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from sqlalchemy import select

from service.chain.client import ChainClient, Receipt
from service.chain.forwarder import FORWARDED_CALL_GAS, ForwardRequest
from service.chain.transactions import SignedTransaction, TransactionSender
from service.db.models import Operation, utc_now
from service.db.session import Database
from service.errors import ChainRejected, InvalidSignature, LedgerError, RequestExpired, StaleRequest
from service.indexer import Indexer

logger = logging.getLogger(__name__)
UNFINISHED_STATES = ("signed", "submitted")


class Submitter:
    def __init__(self, database: Database, chain: ChainClient, indexer: Indexer, ttl_seconds: int) -> None:
        self._database = database
        self._chain = chain
        self._indexer = indexer
        self._ttl_seconds = ttl_seconds
        self._lock = threading.Lock()

    # ----------------------------------------------------------------------------- journal

    def _journal(self, kind: str, participant_id: int | None, transaction: SignedTransaction) -> int:
        with self._database.transaction() as session:
            operation = Operation(
                kind=kind,
                participant_id=participant_id,
                state="signed",
                sender_address=transaction.sender,
                nonce=transaction.nonce,
                transaction_hash=transaction.hash,
                raw_transaction="0x" + transaction.raw.hex(),
            )
            session.add(operation)
            session.flush()
            return operation.id

    def _mark(
        self, operation_id: int, state: str, *, block_number: int | None = None, error_code: str | None = None
    ) -> None:
        with self._database.transaction() as session:
            operation = session.get(Operation, operation_id)
            assert operation is not None
            operation.state = state
            operation.updated_at = utc_now()
            if block_number is not None:
                operation.block_number = block_number
            if error_code is not None:
                operation.error_code = error_code

    def _send(
        self,
        kind: str,
        participant_id: int | None,
        sender: TransactionSender,
        sign: Callable[[], SignedTransaction],
        explain: Callable[[LedgerError], LedgerError],
    ) -> Receipt:
        with sender.lock:
            transaction = sign()
            operation_id = self._journal(kind, participant_id, transaction)
            try:
                sender.send(transaction)
                self._mark(operation_id, "submitted")
                receipt = self._chain.await_receipt(sender, transaction.hash)
            except ChainRejected as rejected:
                error = explain(rejected)
                self._mark(operation_id, "failed", error_code=error.code)
                raise error from None
        self._mark(operation_id, "mined", block_number=receipt.block_number)
        self._indexer.sync_to(receipt.block_number)
        self._mark(operation_id, "indexed")
        return receipt

    # ----------------------------------------------------------------------------- submissions

    def submit_operator_call(self, kind: str, participant_id: int | None, to: str, data: bytes) -> Receipt:
        with self._lock:
            return self._send(
                kind,
                participant_id,
                self._chain.operator,
                lambda: self._chain.sign_operator_call(to, data),
                lambda rejected: rejected,
            )

    def prepare_forward_request(self, sender: str, target: str, data: bytes) -> ForwardRequest:
        """Simulates the call (raising its decoded error) and builds the request to sign."""
        self._chain.simulate_forwarded(sender, target, data)
        return self._chain.build_forward_request(sender, target, data, self._ttl_seconds)

    def submit_forwarded(
        self,
        kind: str,
        participant_id: int | None,
        request: ForwardRequest,
        sign: Callable[[ForwardRequest], bytes],
    ) -> Receipt:
        with self._lock:
            self._check_request(request)
            self._chain.simulate_forwarded(request.sender, request.target, request.data)
            signature = sign(request)
            chain = self._chain
            signer = request.recover_signer(signature, chain.chain_id, chain.deployment.forwarder)
            if signer is None or signer.lower() != request.sender.lower():
                raise InvalidSignature(
                    "the forward request is not signed by the participant's key", signer=signer
                )
            return self._send(
                kind,
                participant_id,
                chain.relayer,
                lambda: chain.sign_relay(request, signature),
                lambda rejected: chain.explain_failure(
                    request.sender, request.target, request.data, rejected
                ),
            )

    def _check_request(self, request: ForwardRequest) -> None:
        if request.gas != FORWARDED_CALL_GAS:
            raise StaleRequest("the request's gas does not match the one the service prepared")
        current = self._chain.fetch_forwarder_nonce(request.sender)
        if request.nonce != current:
            raise StaleRequest(
                f"the request was signed for nonce {request.nonce}; the participant's next is {current}",
                nonce=request.nonce,
                expected_nonce=current,
            )
        now = self._chain.fetch_time()
        if request.deadline <= now:
            raise RequestExpired(f"the request expired at {request.deadline}", deadline=request.deadline)

    # ----------------------------------------------------------------------------- recovery

    def resume(self) -> int:
        """Finishes what a previous process left in flight: receipt found, or the same bytes re-sent."""
        with self._database.sessions() as session:
            pending = session.scalars(
                select(Operation).where(Operation.state.in_(UNFINISHED_STATES)).order_by(Operation.nonce)
            ).all()
        senders = {sender.address: sender for sender in (self._chain.operator, self._chain.relayer)}
        for operation in pending:
            sender = senders.get(operation.sender_address or "")
            if sender is None or operation.raw_transaction is None or operation.transaction_hash is None:
                self._mark(operation.id, "failed", error_code="unknown_sender")
                continue
            transaction = SignedTransaction(
                bytes.fromhex(operation.raw_transaction[2:]),
                operation.transaction_hash,
                operation.nonce or 0,
                sender.address,
            )
            try:
                receipt = self._chain.submit(sender, transaction)
            except LedgerError as error:
                self._mark(operation.id, "failed", error_code=error.code)
                continue
            except RuntimeError as error:  # nonce already used by another transaction: this one never ran
                logger.warning("operation %s cannot be re-sent: %s", operation.id, error)
                self._mark(operation.id, "failed", error_code="superseded")
                continue
            self._mark(operation.id, "mined", block_number=receipt.block_number)
        for sender in senders.values():
            sender.reset_nonce()
        self._indexer.sync_to()
        with self._database.transaction() as session:
            for operation in session.scalars(select(Operation).where(Operation.state == "mined")):
                operation.state = "indexed"
        return len(pending)

    def count_pending(self) -> int:
        with self._database.sessions() as session:
            return len(
                session.scalars(select(Operation.id).where(Operation.state.in_(UNFINISHED_STATES))).all()
            )
