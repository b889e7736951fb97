"""API keys for machines (stored hashed, each with its scopes) and dashboard users."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, CheckConstraint, Column, ForeignKey, Integer, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from feedback_service.db import Base, UTCDateTime, utcnow
from feedback_service.helpdesk.models import Agent, Team

SCOPES = ("ingest", "reports", "admin")


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # The first characters of the key, shown in listings to tell keys apart.
    prefix: Mapped[str] = mapped_column(String(16))
    # SHA-256 of the whole key: keys carry 256 random bits, so a slow hash buys nothing.
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Space-separated subset of SCOPES.
    scopes: Mapped[str] = mapped_column(String(100))
    # Optional shared secret for HMAC request signing (X-Signature).
    signing_secret: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the secret was last replaced (``flask keys rotate``); the id stays.
    rotated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Written at most once a minute per key and process (auth.service.note_key_use).
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(self.scopes.split())


# --- people -----------------------------------------------------------------------

ROLES = ("manager", "team_lead", "agent")

# Which teams a team lead leads. A table rather than a JSON list so "who leads team
# X" and "which agents may this lead see" are plain joins on every backend.
user_teams = Table(
    "user_teams",
    Base.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("team_id", ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class User(Base):
    """A person who signs in to the dashboard (machines use ``ApiKey``)."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint("role IN ('manager', 'team_lead', 'agent')", name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased, so the unique constraint is case-insensitive in effect.
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # werkzeug.security's salted scrypt/pbkdf2 string, algorithm included.
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(20))
    # An agent's own helpdesk Agent row: the only agent whose data they may see.
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    teams: Mapped[list[Team]] = relationship(secondary=user_teams, order_by=Team.name)
    agent: Mapped[Agent | None] = relationship()


class RateCounter(Base):
    """A counter in a time window, for the database store of ``auth.counters`` (used
    when no Redis is configured): sign-in attempts per account and client address.

    ``key`` is a SHA-256 of what is counted, so no email or address is stored here.
    """

    __tablename__ = "rate_counters"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
