"""Typed settings read from the environment, with defaults for the embedded mode."""

import os
import secrets
from dataclasses import dataclass, field, fields
from pathlib import Path

INSTANCE_DIR = Path(__file__).resolve().parent.parent / "instance"
DEV_SECRET = "dev-only-secret-key-change-me-in-production"
DEV_ENCRYPTION_KEY = "ZGV2LW9ubHktZW5jcnlwdGlvbi1rZXktY2hhbmdlLW0="


class SettingsError(RuntimeError):
    """A setting is missing or unsafe for the environment it runs in."""


def _bool(value: str) -> bool:
    return value.strip().lower() not in {"0", "false", "no", "off", ""}


@dataclass
class Settings:
    ENV: str = "development"
    SECRET_KEY: str = DEV_SECRET
    DATABASE_URL: str = f"sqlite:///{INSTANCE_DIR / 'wfb.db'}"
    REDIS_URL: str = ""
    WFB_ENCRYPTION_KEY: str = DEV_ENCRYPTION_KEY
    META_GRAPH_URL: str = "https://graph.facebook.com"
    META_GRAPH_VERSION: str = "v25.0"
    META_APP_SECRET: str = ""
    WFB_VERIFY_TOKEN: str = ""
    META_TIMEOUT: float = 10.0
    OPENAI_API_KEY: str = ""
    OPENAI_BASE_URL: str = ""
    RAZORPAY_KEY_ID: str = ""
    RAZORPAY_KEY_SECRET: str = ""
    RAZORPAY_WEBHOOK_SECRET: str = ""
    RAZORPAY_BASE_URL: str = ""
    SMTP_URL: str = ""
    PUBLIC_URL: str = ""
    WFB_SANDBOX: bool = True
    WFB_EMBEDDED_WORKER: bool = False
    HUEY_IMMEDIATE: bool = False
    HUEY_SQLITE_PATH: str = str(INSTANCE_DIR / "huey.db")
    RATELIMIT_ENABLED: bool = True
    ACCESS_TOKEN_MINUTES: int = 60
    REFRESH_TOKEN_DAYS: int = 30
    SESSION_TIMEOUT_HOURS: int = 24
    SWEEP_AFTER_SECONDS: int = 60
    LOG_LEVEL: str = "INFO"
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ=None, **overrides) -> "Settings":
        """Read every field from the environment, then apply explicit overrides."""
        environ = os.environ if environ is None else environ
        values = {}
        for f in fields(cls):
            if f.name == "extra":
                continue
            name = "WFB_ENV" if f.name == "ENV" else f.name
            raw = environ.get(name)
            if raw is None or raw == "":
                continue
            values[f.name] = _convert(f.type, raw)
        if "WFB_SANDBOX" not in values and values.get("ENV") == "production":
            values["WFB_SANDBOX"] = False
        values.update(overrides)
        settings = cls(**values)
        settings.DATABASE_URL = sqlalchemy_url(settings.DATABASE_URL)
        settings.check()
        return settings

    @property
    def production(self) -> bool:
        return self.ENV == "production"

    @property
    def scaled(self) -> bool:
        return bool(self.REDIS_URL)

    @property
    def sqlite(self) -> bool:
        return self.DATABASE_URL.startswith("sqlite")

    def check(self) -> None:
        """Refuse to run production with a secret anyone can read in this file."""
        if not self.production:
            return
        if self.SECRET_KEY == DEV_SECRET:
            raise SettingsError("SECRET_KEY must be set in production")
        if self.WFB_ENCRYPTION_KEY == DEV_ENCRYPTION_KEY:
            raise SettingsError("WFB_ENCRYPTION_KEY must be set in production")
        if self.WFB_SANDBOX:
            raise SettingsError("WFB_SANDBOX must be off in production")
        if self.SMTP_URL and not self.PUBLIC_URL:
            # Links in mail would otherwise point at whatever Host a client sent.
            raise SettingsError("PUBLIC_URL must be set in production to send mail")


def _convert(kind, raw: str):
    if kind in (bool, "bool"):
        return _bool(raw)
    if kind in (int, "int"):
        return int(raw)
    if kind in (float, "float"):
        return float(raw)
    return raw


def sqlalchemy_url(url: str) -> str:
    """Use psycopg2 (made cooperative under gevent by psycogreen) for PostgreSQL."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg2://" + url[len(prefix) :]
    return url


def new_secret() -> str:
    return secrets.token_urlsafe(32)
