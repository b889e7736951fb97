"""Alerts: what a manager must look at now, how each was delivered, the alert
settings, and the digests already sent (one per period)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from feedback_service.db import Base, UTCDateTime, utcnow

SETTINGS_ID = 1


class AlertSettings(Base):
    """The one row of alert and digest settings (id 1); defaults when absent."""

    __tablename__ = "alert_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    # {"nps": 6, "csat": 2, "ces": 2, "fcr": null}: an answer at or below the
    # value raises an alert; null switches the metric off.
    triggers: Mapped[dict[str, Any]] = mapped_column(JSON)
    require_comment: Mapped[bool] = mapped_column(Boolean, default=True)
    webhook_url: Mapped[str | None] = mapped_column(String(2000))
    # Kept in clear: the service must sign with it. Never shown by the API.
    webhook_secret: Mapped[str | None] = mapped_column(String(200))
    email_team_lead: Mapped[bool] = mapped_column(Boolean, default=True)
    email_recipients: Mapped[list[str]] = mapped_column(JSON, default=list)
    # off, daily, weekly
    digest_frequency: Mapped[str] = mapped_column(String(10), default="off")
    digest_recipients: Mapped[list[str]] = mapped_column(JSON, default=list)
    digest_hour_utc: Mapped[int] = mapped_column(SmallInteger, default=7)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Alert(Base):
    """One thing worth a manager's attention, raised once per ``dedupe_key``."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    # detractor_response, emerging_product_gap, ...
    kind: Mapped[str] = mapped_column(String(60), index=True)
    title: Mapped[str] = mapped_column(String(300))
    # open, acknowledged
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    # "response:<id>" for a response: whatever happens to it later, one alert.
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    # The team whose lead is told, if any.
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by: Mapped[str | None] = mapped_column(String(200))

    deliveries: Mapped[list[AlertDelivery]] = relationship(
        back_populates="alert", order_by="AlertDelivery.id"
    )


class AlertDelivery(Base):
    """One alert to one channel and target: a webhook URL or an email address.

    ``pending`` waits for ``next_attempt_at``; ``sending`` is claimed by a worker;
    ``delivered`` and ``failed`` are final.
    """

    __tablename__ = "alert_deliveries"
    __table_args__ = (UniqueConstraint("alert_id", "channel", "target"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    target: Mapped[str] = mapped_column(String(2000))
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    alert: Mapped[Alert] = relationship(back_populates="deliveries")


class Digest(Base):
    """The digest of one period; the unique key makes it one per period."""

    __tablename__ = "digests"
    __table_args__ = (UniqueConstraint("frequency", "period_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    frequency: Mapped[str] = mapped_column(String(10))
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    # pending, sending, sent, failed
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    recipients: Mapped[list[str]] = mapped_column(JSON, default=list)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
