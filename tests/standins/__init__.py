"""Stand-ins for external services: real HTTP servers on 127.0.0.1 for tests."""

import json
from pathlib import Path

# The example payloads of the protocol notes; a copy inside the repository wins.
_REPO_PAYLOADS = Path(__file__).resolve().parent.parent / "payloads"
_SHARED_PAYLOADS = Path("/work/shared/protocols/payloads")
PAYLOADS = _REPO_PAYLOADS if _REPO_PAYLOADS.is_dir() else _SHARED_PAYLOADS


def payload(name: str):
    """The parsed JSON of one example payload file, e.g. "send_success.json"."""
    return json.loads((PAYLOADS / name).read_text(encoding="utf-8"))
