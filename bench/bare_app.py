"""The yardstick for the webhook benchmark: a bare Flask route that parses the JSON
body and answers 200, served by gunicorn exactly as WFB is (`bench.bare_app:app`)."""

import json

from flask import Flask, abort, request

app = Flask(__name__)


@app.post("/webhook/<int:org_id>")
def receive(org_id: int):
    """Parse the body and acknowledge it, storing nothing."""
    try:
        json.loads(request.get_data())
    except ValueError:
        abort(400)
    return {"status": "received"}
