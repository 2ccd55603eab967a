"""Secrets the database must hold (a webhook's signing secret) are stored encrypted: Fernet
(AES-128-CBC + HMAC-SHA256, from `cryptography`) under a key that never enters the database:
COVENANT_SECRET_KEY (a Fernet key), else a key file created once beside the seal key (0600).
Someone with the database alone reads ciphertext."""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

import config
from contracts.adapters.seal import key_folder
from contracts.errors import SettingsError


def _key() -> bytes:
    configured = config.get("COVENANT_SECRET_KEY")
    if configured:
        return configured.encode()
    path = Path(key_folder()) / "secret-box.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(Fernet.generate_key())
    return path.read_bytes().strip()


def seal(plaintext: str) -> str:
    return Fernet(_key()).encrypt(plaintext.encode()).decode()


def unseal(ciphertext: str) -> str:
    try:
        return Fernet(_key()).decrypt(ciphertext.encode()).decode()
    except (InvalidToken, ValueError) as exc:
        raise SettingsError(
            "a stored secret cannot be decrypted with this deployment's key "
            "(COVENANT_SECRET_KEY or secret-box.key changed?)"
        ) from exc
