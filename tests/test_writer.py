"""The chain writer decides every operation's outcome from the chain: forwarder nonces and events.

Each test stops the writer of the test's runtime where it needs to arrange a situation (requests
recorded but not yet sent, a clock moved, a nonce used elsewhere), then lets it run and checks the
outcome it recorded against what the chain says.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data
from sqlalchemy import select

from service.api.acting import act_as, act_as_service
from service.api.submit import await_outcome, submit
from service.chain.forwarder import ForwardRequest
from service.chain.rpc import (
    RpcInternalError,
    RpcInvalidParams,
    RpcLimitExceeded,
    RpcMethodNotFound,
    RpcRejected,
    RpcReverted,
    to_rpc_error,
)
from service.chain.transactions import AccountKey
from service.db.models import Operation, OperationAudit, Participant, RelayCarriage
from service.domain.operations import (
    IllegalTransition,
    OperationState,
    allowed_transitions,
    require_transition,
)
from service.errors import InsufficientValue
from service.ledger.reconcile import reconcile
from service.runtime import Runtime
from service.settings import ANVIL_DEV_KEYS
from service.writer.leader import Leadership
from service.writer.outbox import SignedForward
from tests.conftest import SeedLedger, register, transfer

pytestmark = pytest.mark.integration


def _participant(runtime: Runtime, participant_id: int) -> Participant:
    with runtime.database.sessions() as session:
        found = session.get(Participant, participant_id)
        assert found is not None
        return found


def _restart_writer(runtime: Runtime) -> None:
    assert runtime.writer is not None
    runtime.writer.start()


def _until(condition: Any, timeout_seconds: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _warp_past(runtime: Runtime, seconds: int) -> None:
    runtime.rpc.request("evm_setNextBlockTimestamp", [runtime.chain.fetch_time() + seconds])
    runtime.rpc.request("evm_mine")


def test_a_call_the_simulation_refuses_is_rejected_before_anything_is_signed(
    seed: SeedLedger, runtime: Runtime
) -> None:
    note = runtime.chain.contracts.note
    t1 = _participant(runtime, seed.t1.participant_id)
    nonce_before = runtime.chain.fetch_forwarder_nonce(t1.address)
    calldata = note.calldata("transferFrom", seed.voucher["root_token_id"], seed.a.address, 10**15)
    ids = submit(
        runtime, [act_as(runtime, t1, "test.overdraw", note.address, calldata)], participant_id=t1.id
    )
    [outcome] = await_outcome(runtime, ids)
    assert outcome.state is OperationState.REJECTED and isinstance(outcome.failure(), InsufficientValue)
    assert runtime.chain.fetch_forwarder_nonce(t1.address) == nonce_before  # no nonce used
    with runtime.database.sessions() as session:
        row = session.get(Operation, ids[0])
        assert row is not None and row.signature is None and row.nonce is None


def test_a_call_that_fails_on_chain_uses_its_nonce_and_says_why(seed: SeedLedger, runtime: Runtime) -> None:
    """Two transfers of 60% of one piece, simulated before either ran: both pass, the second fails on
    chain (the forwarder records `success = false` and uses the nonce): it is reverted, with the
    reason found by simulating it again."""
    assert runtime.writer is not None
    runtime.writer.stop()
    note = runtime.chain.contracts.note
    t1 = _participant(runtime, seed.t1.participant_id)
    root = seed.voucher["root_token_id"]
    intents = [
        act_as(
            runtime,
            t1,
            "test.spend",
            note.address,
            note.calldata("transferFrom", root, who.address, 60_000_000_00),
        )
        for who in (seed.a, seed.b)
    ]
    nonce_before = runtime.chain.fetch_forwarder_nonce(t1.address)
    ids = submit(runtime, intents, participant_id=t1.id)
    _restart_writer(runtime)
    first, second = await_outcome(runtime, ids)
    assert first.state is OperationState.EXECUTED and second.state is OperationState.REVERTED
    assert first.transaction_hash == second.transaction_hash  # one relay transaction carried both
    assert isinstance(second.failure(), InsufficientValue)
    assert runtime.chain.fetch_forwarder_nonce(t1.address) == nonce_before + 2  # both nonces used
    assert reconcile(runtime).clean


def _wallet_participant(seed: SeedLedger, runtime: Runtime) -> tuple[Any, Participant, dict[str, Any]]:
    wallet = Account.create()
    user = register(seed.admin, "Wallet", "supplier", address=wallet.address)
    piece = transfer(seed.t1, seed.voucher["root_token_id"], user, "5000000.00")
    return wallet, _participant(runtime, user.participant_id), piece


def _signed(runtime: Runtime, wallet: Any, request: ForwardRequest) -> SignedForward:
    typed = request.typed_data(runtime.chain.chain_id, runtime.chain.deployment.forwarder)
    signature = Account.sign_message(encode_typed_data(full_message=typed), wallet.key).signature
    return SignedForward(request.nonce, request.deadline, bytes(signature))


def test_a_signed_request_whose_nonce_went_elsewhere_is_superseded(
    seed: SeedLedger, runtime: Runtime
) -> None:
    """A participant with its own wallet hands the service a signed request, then spends the same nonce
    on another request it relays itself: the service's request can never run, and says so."""
    wallet, holder, piece = _wallet_participant(seed, runtime)
    note, forwarder = runtime.chain.contracts.note, runtime.chain.contracts.forwarder
    assert runtime.writer is not None
    runtime.writer.stop()
    nonce = runtime.chain.fetch_forwarder_nonce(wallet.address)
    deadline = runtime.chain.fetch_time() + 3600

    def request_to(recipient: str) -> ForwardRequest:
        data = note.calldata("transferFrom", piece["token_id"], recipient, 1_000_000_00)
        return ForwardRequest(wallet.address, note.address, 400_000, nonce, deadline, data)

    ours = request_to(seed.c.address)
    signed = _signed(runtime, wallet, ours)
    intent = act_as(runtime, holder, "test.wallet", note.address, ours.data, signed=signed)
    ids = submit(runtime, [intent], participant_id=holder.id)
    # The wallet's other request, relayed by somebody else (a funded account) straight to the forwarder.
    theirs = request_to(seed.b.address)
    other = _signed(runtime, wallet, theirs)
    outsider = AccountKey(ANVIL_DEV_KEYS[4], runtime.chain.chain_id)
    data = forwarder.calldata("execute", theirs.as_tuple(other.signature))
    count = int(runtime.rpc.request("eth_getTransactionCount", [outsider.address, "pending"]), 16)
    raw = outsider.sign(
        nonce=count,
        to=forwarder.address,
        data=data,
        gas=800_000,
        max_fee_per_gas=10**10,
        max_priority_fee_per_gas=1,
    )
    runtime.rpc.request("eth_sendRawTransaction", ["0x" + raw.raw.hex()])
    _restart_writer(runtime)
    [outcome] = await_outcome(runtime, ids)
    assert outcome.state is OperationState.SUPERSEDED
    failure = outcome.failure()
    assert failure is not None and failure.code == "request_superseded"
    assert [n["value"] for n in seed.b.get("/v1/notes").json()["items"]] == ["1000000.00"]  # theirs ran
    assert seed.c.get("/v1/notes").json()["items"] == []  # ours did not


def test_an_expired_request_expires_and_the_signers_later_ones_are_signed_again(
    seed: SeedLedger, runtime: Runtime
) -> None:
    """Request A is signed, then the chain's clock passes its deadline before it was sent; request B
    was signed after it (the next nonce). A can never run: it expires; B is signed again with the nonce
    A left unused, and runs."""
    writer = runtime.writer
    assert writer is not None
    writer.stop()
    note = runtime.chain.contracts.note
    t1 = _participant(runtime, seed.t1.participant_id)
    root = seed.voucher["root_token_id"]

    def move_to(who: Any) -> list[int]:
        calldata = note.calldata("transferFrom", root, who.address, 1_000_000_00)
        return submit(
            runtime, [act_as(runtime, t1, "test.move", note.address, calldata)], participant_id=t1.id
        )

    first = move_to(seed.a)
    writer.sign_queued()
    _warp_past(runtime, runtime.settings.forward_request_ttl_seconds + 60)
    second = move_to(seed.b)
    writer.sign_queued()
    _restart_writer(runtime)
    [expired] = await_outcome(runtime, first)
    [ran] = await_outcome(runtime, second)
    assert expired.state is OperationState.EXPIRED and expired.failure() is not None
    assert ran.state is OperationState.EXECUTED
    assert [n["value"] for n in seed.b.get("/v1/notes").json()["items"]] == ["1000000.00"]
    assert seed.a.get("/v1/notes").json()["items"] == []
    with runtime.database.snapshot() as session:
        events = set(session.scalars(select(OperationAudit.event)))
    assert {"expired", "re_signed"} <= events


def test_a_managed_participants_registration_goes_in_one_relay_transaction(
    seed: SeedLedger, runtime: Runtime
) -> None:
    """Its verification and its market approvals: one batch, not one transaction each."""
    created = seed.admin.post(
        "/v1/participants",
        json={"name": "Trader", "role": "obligor", "country": "CN"},
        headers={"Idempotency-Key": "trader"},
    )
    assert created.status_code == 201, created.text
    with runtime.database.snapshot() as session:
        operations = session.scalars(select(Operation).where(Operation.request_key.like("%:trader"))).all()
        carriers = set(
            session.scalars(
                select(RelayCarriage.relay_transaction_id).where(
                    RelayCarriage.operation_id.in_([op.id for op in operations])
                )
            )
        )
    assert len(operations) >= 3 and all(op.state == OperationState.EXECUTED for op in operations)
    assert len(carriers) == 1 and len({op.transaction_hash for op in operations}) == 1


# Which role each of the service's accounts holds, on which contract (the rest hold none).
ROLES_OF_ACCOUNTS = {
    "issuer": {("note", "ISSUER_ROLE")},
    "compliance": {("note", "COMPLIANCE_AGENT_ROLE"), ("registry", "COMPLIANCE_AGENT_ROLE")},
    "oracle": {("logistics", "ORACLE_ROLE"), ("feed:USD/CNY", "ORACLE_ROLE")},
    "pauser": {("note", "PAUSER_ROLE")},
    "minter": {("cash:CNY", "MINTER_ROLE"), ("cash:USD", "MINTER_ROLE")},
    "settlement": set(),
}


def test_service_role_accounts_hold_one_role_each_and_the_deployer_only_the_admins(runtime: Runtime) -> None:
    """Least privilege: no key holds every role. Each service account holds its own role and nothing
    else; the deployer holds only the (delayed-transfer) admin role; redeeming is the payment contracts'."""
    contracts = runtime.chain.contracts
    every = sorted({pair for pairs in ROLES_OF_ACCOUNTS.values() for pair in pairs})
    role_ids = {pair: runtime.chain.read(contracts[pair[0]].call(pair[1])) for pair in every}
    accounts = {
        name: act_as_service(runtime, name, "x", contracts.note.address, b"").signer.address
        for name in ROLES_OF_ACCOUNTS
    }
    deployer = AccountKey(ANVIL_DEV_KEYS[0], runtime.chain.chain_id).address

    def holds(pair: tuple[str, str], account: str) -> bool:
        return bool(runtime.chain.read(contracts[pair[0]].call("hasRole", role_ids[pair], account)))

    for name, address in accounts.items():
        assert {pair for pair in every if holds(pair, address)} == ROLES_OF_ACCOUNTS[name], name
    assert not any(holds(pair, deployer) for pair in every)
    note = contracts.note
    redeemer = runtime.chain.read(note.call("REDEEMER_ROLE"))
    holders = [address for address in [*accounts.values(), deployer]]
    holders += [contracts.vault.address, contracts.programme.address]
    assert [bool(runtime.chain.read(note.call("hasRole", redeemer, a))) for a in holders] == [False] * 7 + [
        True,
        True,
    ]
    for name in ("note", "registry", "fx", "logistics", "desk", "programme", "vault"):
        assert runtime.chain.read(contracts[name].call("defaultAdmin")).lower() == deployer.lower(), name
        delay = runtime.chain.read(contracts[name].call("defaultAdminDelay"))
        assert delay == runtime.settings.admin_transfer_delay_seconds, name


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        ({"code": 3, "message": "execution reverted", "data": "0x08c379a0"}, RpcReverted),
        ({"code": -32000, "message": "Execution reverted", "data": "0xdeadbeef"}, RpcReverted),  # Besu
        ({"code": -32003, "message": "nonce too low"}, RpcRejected),
        ({"code": -32003, "message": "transaction already imported"}, RpcRejected),
        ({"code": -32000, "message": "intrinsic gas too low"}, RpcRejected),
        ({"code": -32601, "message": "Method not found"}, RpcMethodNotFound),
        ({"code": -32004, "message": "method not supported"}, RpcMethodNotFound),
        ({"code": -32602, "message": "invalid params"}, RpcInvalidParams),
        ({"code": -32005, "message": "limit exceeded"}, RpcLimitExceeded),
        ({"code": -32603, "message": "internal"}, RpcInternalError),
        ({"code": 42, "message": "something new"}, RpcInternalError),
    ],
)
def test_node_errors_are_typed_by_their_code_not_their_words(error: dict[str, Any], kind: type) -> None:
    typed = to_rpc_error(error, "eth_sendRawTransaction")
    assert type(typed) is kind and typed.code == error["code"]
    reworded = to_rpc_error({**error, "message": "anything at all"}, "eth_sendRawTransaction")
    assert type(reworded) is kind


def test_the_lifecycle_allows_exactly_its_moves() -> None:
    table = allowed_transitions()
    for current in OperationState:
        for target in OperationState:
            if target in table[current]:
                require_transition(current, target)
            else:
                with pytest.raises(IllegalTransition):
                    require_transition(current, target)
    assert all(
        not table[state]
        for state in OperationState
        if state.finished and not state.took_effect and state is not OperationState.REVERTED
    )


def test_one_writer_leads_a_database(tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path / 'cascade.db'}"
    first, second = Leadership(url), Leadership(url)
    try:
        assert first.acquire(wait=False) and first.still_held()
        assert not second.acquire(wait=False)
        first.release()
        assert second.acquire(wait=False)
    finally:
        first.release()
        second.release()


@pytest.mark.postgres
def test_a_standby_writer_takes_over_when_the_leader_lets_go(postgres_url: str) -> None:
    first, second = Leadership(postgres_url), Leadership(postgres_url)
    try:
        assert first.acquire(wait=False)
        assert not second.acquire(wait=False)
        first.release()  # the server releases it the same way when the leader's connection dies
        assert second.acquire(wait=False) and second.still_held()
    finally:
        first.release()
        second.release()
