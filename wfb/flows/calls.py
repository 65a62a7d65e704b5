"""The HTTP call of a flow's `webhook` node, made outside any database transaction.

A business's endpoint may be slow or hostile, so the call has a timeout and reads at
most `MAX_ANSWER_BYTES` of the answer, and in production it refuses addresses inside
the server's own network.
"""

import ipaddress
import json
import logging
import socket
from urllib.parse import urlsplit

import requests
from flask import current_app

logger = logging.getLogger(__name__)
TIMEOUT_SECONDS = 10
MAX_ANSWER_BYTES = 64 * 1024


class CallRefused(Exception):
    """The address may not be called from this server."""


def call(url: str, method: str, headers: dict, body: dict) -> tuple[bool, object]:
    """Make the call; answer whether it succeeded and what it answered."""
    try:
        _check_address(url)
        response = requests.request(
            method,
            url,
            json=body,
            headers=headers,
            timeout=TIMEOUT_SECONDS,
            stream=True,
            allow_redirects=False,
        )
        with response:
            raw = response.raw.read(MAX_ANSWER_BYTES + 1, decode_content=True)
    except (requests.RequestException, CallRefused, OSError) as error:
        logger.warning("flow webhook %s failed: %s", urlsplit(url).netloc, error)
        return False, None
    if len(raw) > MAX_ANSWER_BYTES:
        logger.warning("flow webhook %s answered too much", urlsplit(url).netloc)
        return False, None
    return response.ok, _value(raw)


def _value(raw: bytes):
    text = raw.decode("utf-8", errors="replace")
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return text


def _check_address(url: str) -> None:
    if not current_app.config["SETTINGS"].production:
        return
    host = urlsplit(url).hostname or ""
    for *_, address in socket.getaddrinfo(host, None):
        ip = ipaddress.ip_address(address[0])
        if not ip.is_global:
            raise CallRefused(f"{host} is not a public address")


def request_body(run, node_id: str) -> dict:
    """What a webhook node posts: the session and the contact."""
    contact = run.contact
    return {
        "session": {
            "id": run.session.id,
            "flow_id": run.session.flow_id,
            "node_id": node_id,
            "variables": run.variables,
        },
        "contact": {
            "id": contact.id,
            "name": contact.name,
            "phone": contact.phone,
            "tags": contact.tags,
            "attributes": contact.attributes,
        },
    }
