"""Fixtures: an app on a fresh database (SQLite, or PostgreSQL and Redis when
TEST_DATABASE_URL and TEST_REDIS_URL are set), clients logged in per role, and
factories for the rows most tests need."""

import os

import pytest
from flask_migrate import upgrade
from sqlalchemy import text

from tests.standins.graph import GraphStandIn, graph  # noqa: F401  (fixture)
from wfb import create_app
from wfb.extensions import db
from wfb.jobs import huey
from wfb.settings import Settings, sqlalchemy_url

pytest_plugins = ["tests.browser", "tests.roles", "tests.smtp"]

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "")
APP_SECRET = "test_app_secret_0001"
PASSWORD = "correct-horse-battery"


# Meta for tests that do not watch what reaches it: it confirms every number.
# Tests that do watch use the `graph` fixture, a stand-in of their own.
META = GraphStandIn()


def make_settings(tmp_path, **overrides) -> Settings:
    values = {
        "ENV": "test",
        "SECRET_KEY": "test-secret-key-with-enough-length-for-hs256",
        "WFB_ENCRYPTION_KEY": "test-encryption-passphrase",
        "DATABASE_URL": sqlalchemy_url(TEST_DATABASE_URL)
        or f"sqlite:///{tmp_path / 'wfb.db'}",
        "REDIS_URL": TEST_REDIS_URL,
        "HUEY_IMMEDIATE": True,
        "META_GRAPH_URL": META.url,
        "META_APP_SECRET": APP_SECRET,
        "WFB_VERIFY_TOKEN": "global-verify-token",
        "META_TIMEOUT": 2.0,
        "RATELIMIT_ENABLED": False,
        "WFB_SANDBOX": True,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture(scope="session")
def migrated_url(tmp_path_factory):
    """Run every migration once; tests then empty the tables between them."""
    path = tmp_path_factory.mktemp("db")
    settings = make_settings(path)
    app = create_app(settings)
    with app.app_context():
        if not settings.sqlite:
            db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.session.commit()
        upgrade(directory=os.path.join(app.root_path, "..", "migrations"))
    return settings.DATABASE_URL


@pytest.fixture
def settings_overrides():
    """Override in a test module to change the app's settings."""
    return {}


@pytest.fixture
def app(tmp_path, migrated_url, settings_overrides):
    settings = make_settings(tmp_path, DATABASE_URL=migrated_url, **settings_overrides)
    app = create_app(settings)
    with app.app_context():
        huey.storage.flush_all()
        _empty_tables()
        if settings.scaled:
            _flush_redis(settings.REDIS_URL)
        yield app
        db.session.remove()
        # Every test's app has its own pool: closed here, or the suite outgrows
        # PostgreSQL's connection limit before it ends.
        db.engine.dispose()


def _empty_tables():
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.commit()


def _flush_redis(url):
    import redis

    redis.Redis.from_url(url).flushdb()


@pytest.fixture
def client(app):
    return app.test_client()


class Api:
    """A test client that sends a Bearer token with every call."""

    def __init__(self, client, token):
        self.client = client
        self.token = token

    def _call(self, method, path, **kwargs):
        headers = kwargs.pop("headers", {})
        headers.setdefault("Authorization", f"Bearer {self.token}")
        return self.client.open(path, method=method, headers=headers, **kwargs)

    def get(self, path, **kw):
        return self._call("GET", path, **kw)

    def post(self, path, **kw):
        return self._call("POST", path, **kw)

    def put(self, path, **kw):
        return self._call("PUT", path, **kw)

    def delete(self, path, **kw):
        return self._call("DELETE", path, **kw)


def signup(client, org="Acme Salon", email="admin@acme.test") -> dict:
    body = {
        "organization_name": org,
        "name": "Asha Admin",
        "email": email,
        "password": PASSWORD,
    }
    response = client.post("/auth/signup", json=body)
    assert response.status_code == 201, response.json
    return response.json


@pytest.fixture
def admin(client):
    """An API client for the admin of org A."""
    return Api(client, signup(client)["access_token"])


@pytest.fixture
def other_admin(client):
    """An API client for the admin of org B."""
    tokens = signup(client, org="Bravo Gym", email="admin@bravo.test")
    return Api(client, tokens["access_token"])
