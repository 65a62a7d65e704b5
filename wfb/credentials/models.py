from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from wfb import crypto
from wfb.extensions import db
from wfb.models_base import TenantMixin, UTCDateTime, utcnow


class WhatsAppAccount(TenantMixin, db.Model):
    """An org's Meta app and WABA; the token and secrets are stored encrypted."""

    __tablename__ = "whatsapp_accounts"
    __table_args__ = (db.UniqueConstraint("org_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    waba_id: Mapped[str] = mapped_column(String(64))
    app_id: Mapped[str] = mapped_column(String(64))
    access_token_enc: Mapped[str] = mapped_column(Text)
    app_secret_enc: Mapped[str] = mapped_column(Text)
    verify_token_enc: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow
    )

    @property
    def access_token(self) -> str | None:
        return crypto.decrypt(self.access_token_enc)

    @property
    def app_secret(self) -> str | None:
        return crypto.decrypt(self.app_secret_enc)

    @property
    def verify_token(self) -> str | None:
        return crypto.decrypt(self.verify_token_enc)

    def set_secrets(self, access_token: str, app_secret: str, verify_token: str):
        self.access_token_enc = crypto.encrypt(access_token)
        self.app_secret_enc = crypto.encrypt(app_secret)
        self.verify_token_enc = crypto.encrypt(verify_token)


class OpenAIKey(TenantMixin, db.Model):
    """An org's own OpenAI API key, stored encrypted; with it the org pays OpenAI."""

    __tablename__ = "openai_keys"
    __table_args__ = (db.UniqueConstraint("org_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key_enc: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow
    )

    @property
    def key(self) -> str | None:
        return crypto.decrypt(self.key_enc)

    def set_key(self, key: str) -> None:
        self.key_enc = crypto.encrypt(key)
