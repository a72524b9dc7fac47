"""Sign-in to the insights page: one-time links from Slack, and the sessions they open."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.store.models.base import Base
from app.store.models.columns import USER, team_column
from app.store.types import UTCDateTime

# A SHA-256 in hex: the stored form of a link's or a session's secret, never the secret itself.
DIGEST = String(64)


class SignInLink(Base):
    """A sign-in link handed to one person in Slack: valid until `expires_at`, spent once."""

    __tablename__ = "sign_in_links"

    token_hash: Mapped[str] = mapped_column(DIGEST, primary_key=True)
    team_id: Mapped[str] = team_column()
    user_id: Mapped[str] = mapped_column(USER)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index(None, "expires_at"),)


class WebSession(Base):
    """A signed-in browser: the cookie holds the secret whose hash is the key."""

    __tablename__ = "web_sessions"

    token_hash: Mapped[str] = mapped_column(DIGEST, primary_key=True)
    team_id: Mapped[str] = team_column()
    user_id: Mapped[str] = mapped_column(USER)
    # Sent back in every state-changing form; compared in constant time.
    csrf_token: Mapped[str] = mapped_column(String(64))
    # How the person proved who they are: "link" (from Slack) or "oidc" (Sign in with Slack).
    method: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index(None, "expires_at"),)
