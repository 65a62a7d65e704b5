"""Stand-ins for external services: real HTTP servers on 127.0.0.1 for tests."""

from tests.support import payload_json as payload

__all__ = ["payload"]
