"""Acting on chain as a participant: its forward request, signed by its managed key or by itself, relayed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from service.chain.abi import checksum_address
from service.chain.client import Receipt
from service.chain.forwarder import FORWARDED_CALL_GAS, ForwardRequest
from service.errors import SignatureRequired
from service.runtime import Runtime


class Signer(Protocol):
    """A participant as relaying needs it (a `Participant` row, or the transfer plan's `Account`)."""

    @property
    def id(self) -> int: ...

    @property
    def address(self) -> str: ...

    @property
    def encrypted_private_key(self) -> str | None: ...


def relay_as(
    runtime: Runtime,
    participant: Signer,
    kind: str,
    target: str,
    data: bytes,
    *,
    signed: tuple[int, int, bytes] | None = None,
) -> Receipt:
    """`signed` is (nonce, deadline, signature) for a participant that signs with its own wallet."""
    sign: Callable[[ForwardRequest], bytes]
    request: ForwardRequest | None = None
    if signed is not None:
        nonce, deadline, signature = signed
        request = ForwardRequest(
            sender=checksum_address(participant.address),
            target=checksum_address(target),
            gas=FORWARDED_CALL_GAS,
            nonce=nonce,
            deadline=deadline,
            data=data,
        )

        def sign(_request: ForwardRequest) -> bytes:
            return signature

    elif participant.encrypted_private_key is not None:
        private_key = runtime.key_vault.signing_key(participant.encrypted_private_key, participant.address)
        chain_id, forwarder = runtime.chain.chain_id, runtime.chain.deployment.forwarder

        def sign(prepared: ForwardRequest) -> bytes:
            return prepared.sign(private_key, chain_id, forwarder)

    else:
        raise SignatureRequired(
            "you sign with your own wallet: fetch the request to sign from the matching signing-request "
            "endpoint and send it back as signed_request"
        )
    return runtime.submitter.submit_forwarded(
        kind, participant.id, participant.address, target, data, sign, signed_request=request
    )
