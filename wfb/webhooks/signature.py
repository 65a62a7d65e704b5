"""Meta's webhook signature: HMAC-SHA256 of the raw body with the app secret."""

import hashlib
import hmac


def sign(body: bytes, secret: str) -> str:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def is_valid(body: bytes, header: str | None, secret: str | None) -> bool:
    if not header or not secret:
        return False
    return hmac.compare_digest(sign(body, secret).encode(), header.strip().encode())
