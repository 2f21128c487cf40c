"""A revert answered in the API's terms: rendered again with what the request tells (`RevertContext`).

The error a revert decodes to (`service.chain.revert`) carries its raw form. Before the API answers it,
it is rendered again with the request's context: the currency of what the revert is about (from its
own token, voucher or currency arguments, else from the request's path), who each address is (a
participant id, or one of the ledger's own contracts and accounts), who holds the tokens it names, and
who is asking (figures of other parties are withheld).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from service.api.auth import CALLER_STATE_KEY, Caller, resolve_caller
from service.chain.revert import REVERT_MEANINGS, Kind, RawRevert, RevertContext, render_revert
from service.db.models import EarlyPaymentProgrammeRecord, FinancingQuote, FinancingTerms, Note, Voucher
from service.errors import LedgerError
from service.participants import repository as participants_repository
from service.runtime import Runtime

logger = logging.getLogger(__name__)

CONTRACT_NAMES = {
    "note": "the note contract",
    "registry": "the participant registry",
    "forwarder": "the ledger's forwarder",
    "desk": "the financing desk",
    "programme": "the early-payment programme contract",
    "vault": "the settlement vault",
}


def build_revert_context(
    runtime: Runtime, raw: RawRevert, caller: Caller | None, path_params: Mapping[str, Any]
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
        currency = _currency(session, of_kind, path_params)
    names = _ledger_accounts(runtime)
    by_address = {address.lower(): participant.id for address, participant in participants.items()}

    def account(address: str) -> str | int | None:
        return by_address.get(address.lower(), names.get(address.lower()))

    return RevertContext(
        currency=currency,
        account=account,
        holder_of=holders.get,
        caller=caller.address if caller else None,
        roles=runtime.chain.errors.role_names,
    )


def _ledger_accounts(runtime: Runtime) -> dict[str, str]:
    """The ledger's own contracts and accounts by address, with a name a client can read."""
    named = {}
    for name, address in runtime.chain.deployment.addresses.items():
        label = CONTRACT_NAMES.get(name)
        if label is None and name.startswith("cash:"):
            label = f"the {name.removeprefix('cash:')} settlement cash"
        named[address.lower()] = label or f"the ledger's {name} contract"
    named[runtime.chain.operator.address.lower()] = "the ledger's operator"
    for relayer in runtime.chain.relayers:
        named[relayer.address.lower()] = "a relayer of the ledger"
    return named


def _currency(session: Session, of_kind: dict[Kind, list[Any]], path_params: Mapping[str, Any]) -> str | None:
    """The currency the revert's amounts are in: its own currency, voucher or token, else the request's."""
    if of_kind[Kind.CURRENCY]:
        return bytes.fromhex(str(of_kind[Kind.CURRENCY][0])[2:]).rstrip(b"\0").decode(errors="replace")
    voucher_ids = [int(slot) for slot in of_kind[Kind.VOUCHER]]
    token_ids = [int(token) for token in of_kind[Kind.TOKEN]]
    if "voucher_id" in path_params:
        voucher_ids.append(int(path_params["voucher_id"]))
    if "token_id" in path_params:
        token_ids.append(int(path_params["token_id"]))
    if "programme_id" in path_params:
        programme = session.get(EarlyPaymentProgrammeRecord, int(path_params["programme_id"]))
        voucher_ids += [programme.voucher_id] if programme else []
    voucher_ids += [note.voucher_id for token in token_ids if (note := session.get(Note, token)) is not None]
    for voucher_id in voucher_ids:
        voucher = session.get(Voucher, voucher_id)
        if voucher is not None:
            return voucher.currency
    terms_id = path_params.get("terms_id")
    if "quote_id" in path_params:
        quote = session.get(FinancingQuote, int(path_params["quote_id"]))
        terms_id = quote.terms_id if quote else None
    terms = session.get(FinancingTerms, int(terms_id)) if terms_id is not None else None
    return terms.currency if terms else None


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
            build_revert_context, runtime, error.revert, caller, request.path_params
        )
        return render_revert(error.revert, context)
    except Exception:
        logger.exception("could not render a revert in the request's terms")
        return error
