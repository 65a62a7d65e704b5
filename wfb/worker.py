"""The scaled mode's worker: `huey_consumer wfb.worker.huey` runs the app's tasks."""

from wfb import create_app
from wfb.jobs import huey

app = create_app()

__all__ = ["app", "huey"]
