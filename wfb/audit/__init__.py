"""The audit log: `record(action, org_id=None, actor=None, target=None, **details)`."""

from wfb.audit.service import record

__all__ = ["record"]
