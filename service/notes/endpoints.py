"""/v1/notes"""

from __future__ import annotations

from service.api.auth import CallerDep, RuntimeDep, SessionDep
from service.api.common import IdPath, SigningRequestOut
from service.api.pagination import Page, PageDep
from service.api.routing import LedgerRouter
from service.notes import bulk, service
from service.notes.schemas import (
    BulkTransferCreate,
    BulkTransferOut,
    NoteOut,
    TransferCreate,
    TransferIntent,
    TransferOut,
)

router = LedgerRouter(prefix="/v1/notes", tags=["notes"])
batches = LedgerRouter(prefix="/v1/transfer-batches", tags=["notes"])


@batches.post("", status_code=201, response_model=BulkTransferOut)
def bulk_transfer(
    body: BulkTransferCreate, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> BulkTransferOut:
    """Up to 1,000 transfers from the caller's pieces to many recipients, validated as a whole (every
    refused item listed, nothing sent if any is), carried in as few transactions as the block's gas
    allows; each item answered with its new piece and transaction. Idempotent as a whole."""
    return bulk.bulk_transfer(session, runtime, caller, body)


@router.get("", response_model=Page[NoteOut])
def list_holdings(
    caller: CallerDep, session: SessionDep, runtime: RuntimeDep, page: PageDep, include_empty: bool = False
) -> Page[NoteOut]:
    """The caller's pieces by token id (value above zero unless `include_empty`)."""
    return service.list_holdings(session, runtime, caller, include_empty, page)


@router.get("/{token_id}", response_model=NoteOut)
def read_note(token_id: IdPath, caller: CallerDep, session: SessionDep, runtime: RuntimeDep) -> NoteOut:
    return service.read_note(session, runtime, caller, token_id)


@router.post("/{token_id}/transfers", status_code=201, response_model=TransferOut)
def transfer(
    token_id: IdPath, body: TransferCreate, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> TransferOut:
    """Moves `amount` of the piece to another participant: a new piece for it (split), or into one of its
    pieces of the same voucher (merge, with `into_token_id`)."""
    return service.transfer(session, runtime, caller, token_id, body)


@router.post("/{token_id}/transfers/signing-request", response_model=SigningRequestOut)
def prepare_signing_request(
    token_id: IdPath, body: TransferIntent, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> SigningRequestOut:
    """For participants with their own wallet: the EIP-712 forward request to sign for this transfer."""
    return service.prepare_signing_request(session, runtime, caller, token_id, body)
