"""A revert answered in the API's terms: rendered again with what the request tells (`RevertContext`).

The error a revert decodes to (`service.chain.revert`) carries its raw form. Before the API answers it,
it is rendered again with the request's context: the currencies of what the revert is about (note
value in its voucher's denomination, cash in the voucher's settlement currency; the voucher from the
revert's own token or voucher arguments, else from the request's path), who each address is (a
participant id, or one of the ledger's own contracts and accounts), who holds the tokens it names, and
who is asking (figures of other parties are withheld).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from service.api.auth import CALLER_STATE_KEY, Caller, resolve_caller
from service.chain.revert import REVERT_MEANINGS, Kind, RawRevert, RevertContext, bytes_text, render_revert
from service.db.models import (
    EarlyPaymentProgrammeRecord,
    FinancingQuote,
    FinancingTerms,
    ListingRecord,
    Note,
    OfferingRecord,
    ServiceAccount,
    Voucher,
)
from service.errors import LedgerError
from service.participants import repository as participants_repository
from service.runtime import Runtime, relayer_keys
from service.writer.outbox import OperationView

logger = logging.getLogger(__name__)

CONTRACT_NAMES = {
    "note": "the note contract",
    "registry": "the participant registry",
    "forwarder": "the ledger's forwarder",
    "desk": "the financing desk",
    "programme": "the early-payment programme contract",
    "vault": "the settlement vault",
    "market": "the offering vault",
    "yield_token": "the yield token implementation",
}


def build_revert_context(
    runtime: Runtime, raw: RawRevert, caller_address: str | None, path_params: Mapping[str, Any]
) -> RevertContext:
    """Reads what rendering `raw` for this request needs, in one session."""
    kinds = REVERT_MEANINGS[raw.name].kinds if raw.name in REVERT_MEANINGS else {}
    of_kind = {
        kind: [raw.args[arg] for arg, k in kinds.items() if k is kind and arg in raw.args] for kind in Kind
    }
    with runtime.database.sessions() as session:
        holders = {
            int(token_id): note.holder_address
            for token_id in of_kind[Kind.TOKEN]
            if (note := session.get(Note, int(token_id))) is not None
        }
        participants = participants_repository.fetch_participants_by_addresses(
            session, {str(address) for address in of_kind[Kind.ACCOUNT]}
        )
        currency, cash_currency = fetch_currencies(session, of_kind, path_params)
        names = _ledger_accounts(session, runtime)
    by_address = {address.lower(): participant.id for address, participant in participants.items()}

    def account(address: str) -> str | int | None:
        return by_address.get(address.lower(), names.get(address.lower()))

    return RevertContext(
        currency=currency,
        cash_currency=cash_currency,
        account=account,
        holder_of=holders.get,
        caller=caller_address,
        roles=runtime.chain.errors.role_names,
    )


def _ledger_accounts(session: Session, runtime: Runtime) -> dict[str, str]:
    """The ledger's own contracts and accounts by address, with a name a client can read."""
    named = {}
    for name, address in runtime.chain.deployment.addresses.items():
        label = CONTRACT_NAMES.get(name)
        if label is None and name.startswith("cash:"):
            label = f"the {name.removeprefix('cash:')} settlement cash"
        named[address.lower()] = label or f"the ledger's {name} contract"
    chain_id = runtime.chain.chain_id
    for account in session.scalars(select(ServiceAccount).where(ServiceAccount.chain_id == chain_id)):
        named[account.address.lower()] = f"the ledger's {account.name} account"
    for relayer in relayer_keys(runtime.settings, chain_id):
        named[relayer.address.lower()] = "a relayer of the ledger"
    return named


def fetch_currencies(
    session: Session, of_kind: dict[Kind, list[Any]], path_params: Mapping[str, Any]
) -> tuple[str | None, str | None]:
    """The currencies the revert's amounts are in: value in the voucher's denomination (or the revert's
    own currency argument), cash in the voucher's settlement currency (None: the value's)."""
    own = [code for argument in of_kind[Kind.CURRENCY] if (code := bytes_text(str(argument)))]
    voucher = _voucher_of(session, of_kind, path_params)
    if voucher is not None:
        # Until the vouchers table has a settlement currency, every voucher settles in its own currency.
        settlement = getattr(voucher, "settlement_currency", None) or voucher.currency
        return (own[0] if own else voucher.currency), settlement
    if own:
        return own[0], None
    terms_id = path_params.get("terms_id")
    if terms_id is None and "quote_id" in path_params:  # a quote whose piece is not indexed (yet)
        quote = session.get(FinancingQuote, int(path_params["quote_id"]))
        terms_id = quote.terms_id if quote else None
    terms = session.get(FinancingTerms, int(terms_id)) if terms_id is not None else None
    return (terms.currency if terms else None), None


def _voucher_of(
    session: Session, of_kind: dict[Kind, list[Any]], path_params: Mapping[str, Any]
) -> Voucher | None:
    """The voucher the revert is about: its own voucher or token, else the request's (by its path's
    voucher, token, programme or quote)."""
    voucher_ids = [int(slot) for slot in of_kind[Kind.VOUCHER]]
    token_ids = [int(token) for token in of_kind[Kind.TOKEN]]
    if "voucher_id" in path_params:
        voucher_ids.append(int(path_params["voucher_id"]))
    if "token_id" in path_params:
        token_ids.append(int(path_params["token_id"]))
    if "programme_id" in path_params:
        programme = session.get(EarlyPaymentProgrammeRecord, int(path_params["programme_id"]))
        voucher_ids += [programme.voucher_id] if programme else []
    if "quote_id" in path_params:
        quote = session.get(FinancingQuote, int(path_params["quote_id"]))
        token_ids += [quote.token_id] if quote else []
    offering_id = path_params.get("offering_id")
    if "listing_id" in path_params:
        listing = session.get(ListingRecord, int(path_params["listing_id"]))
        offering_id = listing.offering_id if listing else None
    if offering_id is not None:
        offering = session.get(OfferingRecord, int(offering_id))
        voucher_ids += [offering.voucher_id] if offering else []
    voucher_ids += [note.voucher_id for token in token_ids if (note := session.get(Note, token)) is not None]
    return next(
        (voucher for voucher_id in voucher_ids if (voucher := session.get(Voucher, voucher_id)) is not None),
        None,
    )


async def caller_of(request: Request) -> Caller | None:
    """Who sent the request: as authentication found it, or from its API key (None: nobody known)."""
    caller: Caller | None = request.scope.get("state", {}).get(CALLER_STATE_KEY)
    if caller is not None:
        return caller
    scheme, _, secret = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return None
    runtime: Runtime = request.app.state.runtime
    return await resolve_caller(request.app.state.api_keys, runtime.database, secret.strip())


async def in_request_terms(request: Request, error: LedgerError) -> LedgerError:
    """`error`, a decoded revert, rendered again with the request's context; as it was if that fails
    (its first rendering withholds every party's figures and names no participant)."""
    if error.revert is None:
        return error
    try:
        caller = await caller_of(request)
        runtime = request.app.state.runtime
        context = await run_in_threadpool(
            build_revert_context,
            runtime,
            error.revert,
            caller.address if caller else None,
            request.path_params,
        )
        return render_revert(error.revert, context)
    except Exception:
        logger.exception("could not render a revert in the request's terms")
        return error


# Payload fields of an operation that say which voucher, piece or programme its amounts are of.
_SUBJECT_FIELDS = ("voucher_id", "token_id", "programme_id")


def render_failure(runtime: Runtime, operation: OperationView) -> LedgerError | None:
    """Why an operation did not take effect, a revert rendered in its request's terms (the requesting
    participant's view, the currency of its voucher or piece): the same words whether the request is
    answered now, after its process died, or replayed. None if it took effect or is undecided."""
    failure = operation.failure()
    if failure is None or failure.revert is None:
        return failure
    raw, failure.revert = failure.revert, None
    try:
        participant = None
        if operation.participant_id is not None:
            with runtime.database.sessions() as session:
                participant = participants_repository.fetch_participant(session, operation.participant_id)
        subject = {key: value for key, value in (operation.payload or {}).items() if key in _SUBJECT_FIELDS}
        address = participant.address if participant is not None else None
        return render_revert(raw, build_revert_context(runtime, raw, address, subject))
    except Exception:
        logger.exception("could not render operation %s's revert in its request's terms", operation.id)
        return failure
