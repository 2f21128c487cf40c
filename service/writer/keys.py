"""The keys the chain writer signs with: participants' managed keys and the service's role accounts.

Both are kept encrypted with the master key (`KeyVault`); a key is decrypted once per process and
checked to belong to the account it is stored for.
"""

from __future__ import annotations

import threading

from sqlalchemy import select

from service.chain.keys import KeyVault
from service.db.models import Participant, ServiceAccount
from service.db.session import Database


class SigningKeys:
    def __init__(self, database: Database, vault: KeyVault, chain_id: int) -> None:
        self._database = database
        self._vault = vault
        self._chain_id = chain_id
        self._participants: dict[int, bytes] = {}
        self._accounts: dict[str, bytes] = {}
        self._guard = threading.Lock()

    def participant_key(self, participant_id: int) -> bytes:
        key = self._participants.get(participant_id)
        if key is None:
            with self._database.engine.connect() as connection:
                row = connection.execute(
                    select(Participant.address, Participant.encrypted_private_key).where(
                        Participant.id == participant_id
                    )
                ).one_or_none()
            if row is None or row.encrypted_private_key is None:
                raise LookupError(f"participant {participant_id} has no managed key")
            key = self._vault.signing_key(row.encrypted_private_key, row.address)
            with self._guard:
                self._participants[participant_id] = key
        return key

    def account_key(self, name: str) -> bytes:
        key = self._accounts.get(name)
        if key is None:
            with self._database.engine.connect() as connection:
                row = connection.execute(
                    select(ServiceAccount.address, ServiceAccount.encrypted_private_key).where(
                        ServiceAccount.chain_id == self._chain_id, ServiceAccount.name == name
                    )
                ).one_or_none()
            if row is None:
                raise LookupError(f"the service has no {name} account on chain {self._chain_id}")
            key = self._vault.signing_key(row.encrypted_private_key, row.address)
            with self._guard:
                self._accounts[name] = key
        return key
