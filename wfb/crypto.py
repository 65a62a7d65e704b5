"""Secrets at rest: Fernet (AES-128-CBC with HMAC-SHA256) from `cryptography`."""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app


def _fernet() -> Fernet:
    key = current_app.config["SETTINGS"].WFB_ENCRYPTION_KEY
    try:
        return Fernet(key)
    except ValueError:
        # Any passphrase works too: it is stretched to a proper Fernet key.
        digest = hashlib.sha256(key.encode()).digest()
        return Fernet(base64.urlsafe_b64encode(digest))


def encrypt(plain: str) -> str:
    return _fernet().encrypt(plain.encode()).decode()


def decrypt(token: str | None) -> str | None:
    if not token:
        return None
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        return None


def mask(plain: str | None) -> dict:
    """What a GET may say about a secret: whether it is set, and its last four."""
    if not plain:
        return {"set": False, "last4": None}
    return {"set": True, "last4": plain[-4:]}
