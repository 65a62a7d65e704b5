"""gunicorn settings for both shapes: gevent workers, bound from $PORT."""

import os

bind = os.environ.get("WFB_BIND") or f"0.0.0.0:{os.environ.get('PORT', '8000')}"
worker_class = "gevent"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_connections = 1000
timeout = 30
graceful_timeout = 20
keepalive = 5


def post_fork(server, worker):
    # psycopg2 blocks the whole worker on each query unless its waits are green.
    from psycogreen.gevent import patch_psycopg

    patch_psycopg()
