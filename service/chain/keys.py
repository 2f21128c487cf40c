"""Managed participant keys, encrypted at rest with the master key (Fernet: AES-128-CBC + HMAC)."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from service.chain.accounts import address_of, generate_private_key
from service.private_files import PRIVATE_FILE_MODE, ensure_private_directory, ensure_private_file


def load_or_create_master_key(configured: str | None, path: Path) -> bytes:
    """The configured key wins; otherwise the embedded default keeps one in its data directory."""
    if configured:
        return configured.encode()
    if path.exists():
        ensure_private_file(path)
        return path.read_bytes().strip()
    ensure_private_directory(path.parent)
    key = Fernet.generate_key()
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(key)
    return key


# Managed keys kept decrypted per process; well above the participants a deployment signs for.
DECRYPTED_KEYS_KEPT = 10_000


class KeyVault:
    def __init__(self, master_key: bytes) -> None:
        self._fernet = Fernet(master_key)
        # Keys that decrypted to their account's address, by encrypted form and address. The master
        # key is in this process's memory anyway, so keeping what it decrypts exposes nothing more,
        # and it saves a Fernet decryption and a signature recovery on every relayed request.
        self._signing_keys: dict[tuple[str, str], bytes] = {}
        self._guard = threading.Lock()

    def create_account(self) -> tuple[str, str]:
        """Returns (address, encrypted private key) of a fresh account."""
        private_key = generate_private_key()
        return address_of(private_key), self.encrypt(private_key)

    def encrypt(self, private_key: bytes) -> str:
        return self._fernet.encrypt(private_key).decode()

    def signing_key(self, encrypted: str, address: str) -> bytes:
        """The private key of `address`, checked to be that account's (once per process and key)."""
        cache_key = (encrypted, address.lower())
        key = self._signing_keys.get(cache_key)
        if key is None:
            key = self.decrypt(encrypted)
            if address_of(key).lower() != address.lower():
                raise RuntimeError(f"the managed key stored for {address} belongs to another account")
            with self._guard:
                if len(self._signing_keys) >= DECRYPTED_KEYS_KEPT:
                    self._signing_keys.clear()
                self._signing_keys[cache_key] = key
        return key

    def decrypt(self, encrypted: str) -> bytes:
        try:
            return self._fernet.decrypt(encrypted.encode())
        except InvalidToken as error:
            raise RuntimeError("a managed key cannot be decrypted: wrong CASCADE_MASTER_KEY?") from error
