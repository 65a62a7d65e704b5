"""The WSGI entry point for gunicorn: `gunicorn wsgi:app`."""

from wfb import create_app

app = create_app()
