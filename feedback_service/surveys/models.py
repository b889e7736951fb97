"""Survey definitions, invitations (one per ticket and survey) and responses."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    and_,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from feedback_service.db import Base, UTCDateTime, utcnow
from feedback_service.helpdesk.models import Agent, Customer, Team, Ticket


class Survey(Base):
    __tablename__ = "surveys"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # [{"metric": "csat", "wording": {"en": "...", "es": "..."}}], in order.
    questions: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    # {"en": "Anything else you'd like to tell us?"}; null means no comment box.
    comment_prompt: Mapped[dict[str, str] | None] = mapped_column(JSON)
    throttle_days: Mapped[int] = mapped_column(Integer, default=30)
    sampling_rate: Mapped[float] = mapped_column(Float, default=1.0)
    send_delay_seconds: Mapped[int] = mapped_column(Integer, default=3600)
    # Null means no reminder; the API fills in its default of 48 hours.
    reminder_after_hours: Mapped[int | None] = mapped_column(Integer)
    expire_after_days: Mapped[int] = mapped_column(Integer, default=14)
    amend_window_hours: Mapped[int] = mapped_column(Integer, default=24)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped whenever the questions change; ``survey_definitions`` keeps each one.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # Archived: takes no new invitations; its answers stay.
    archived_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def metrics(self) -> list[str]:
        """The built-in metrics asked, in order (the team's own questions aside)."""
        return [q["metric"] for q in self.questions if "metric" in q]

    @property
    def archived(self) -> bool:
        return self.archived_at is not None


class SurveyDefinition(Base):
    """Every version of a survey's questions, so an answer given under an older
    one stays readable after its options change."""

    __tablename__ = "survey_definitions"
    __table_args__ = (UniqueConstraint("survey_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(
        ForeignKey("surveys.id", ondelete="CASCADE"), nullable=False
    )
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    questions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


# How an invitation reaches the customer: emailed by us, or handed back for the
# helpdesk to show as a link or in its widget (both answered through the token; the
# two are told apart for the response rate by delivery).
DELIVERIES = ("email", "link", "widget")
HANDED_OUT = ("link", "widget")


class Invitation(Base):
    """One ask of one customer about one ticket; holds at most one response."""

    __tablename__ = "invitations"
    __table_args__ = (UniqueConstraint("ticket_id", "survey_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id"), index=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    channel: Mapped[str | None] = mapped_column(String(40))
    locale: Mapped[str] = mapped_column(String(20), default="en")
    delivery: Mapped[str] = mapped_column(String(10), default="email")
    # scheduled, sending, sent, suppressed, failed, expired, cancelled
    status: Mapped[str] = mapped_column(String(20), index=True)
    reason: Mapped[str | None] = mapped_column(String(200))
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    # SHA-256 of the body sent with the key (``surveys.service.body_fingerprint``).
    idempotency_fingerprint: Mapped[str | None] = mapped_column(String(64))
    send_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)
    reminder_sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    survey: Mapped[Survey] = relationship()
    ticket: Mapped[Ticket] = relationship()
    customer: Mapped[Customer] = relationship()
    agent: Mapped[Agent | None] = relationship()
    team: Mapped[Team | None] = relationship()
    events: Mapped[list[InvitationEvent]] = relationship(
        back_populates="invitation", order_by="InvitationEvent.id"
    )


class InvitationEvent(Base):
    """The history of an invitation: created, suppressed, sent, retried, failed..."""

    __tablename__ = "invitation_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int] = mapped_column(ForeignKey("invitations.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str | None] = mapped_column(Text)

    invitation: Mapped[Invitation] = relationship(back_populates="events")


class Response(Base):
    """The customer's answers to one invitation, with what they belong to.

    Ticket, agent, team, channel and locale are copied at answer time so reports
    never depend on later changes to the ticket.
    """

    __tablename__ = "responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int] = mapped_column(ForeignKey("invitations.id"), unique=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id"), index=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    channel: Mapped[str | None] = mapped_column(String(40))
    locale: Mapped[str] = mapped_column(String(20), default="en")
    csat: Mapped[int | None] = mapped_column(SmallInteger)
    nps: Mapped[int | None] = mapped_column(SmallInteger)
    ces: Mapped[int | None] = mapped_column(SmallInteger)
    # Customer-perceived first-contact resolution: 1 yes, 0 no.
    fcr: Mapped[int | None] = mapped_column(SmallInteger)
    comment: Mapped[str | None] = mapped_column(Text)
    # provisional: a rating that arrived by GET (maybe a mail scanner); confirmed
    # once a browser or a submit shows a person gave it.
    status: Mapped[str] = mapped_column(String(20), default="confirmed", index=True)
    source: Mapped[str] = mapped_column(String(20))
    submitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Bumped on every change; workers record which version they processed, so a
    # re-delivered task is a no-op and an amended answer is processed again.
    version: Mapped[int] = mapped_column(Integer, default=1)
    processed_version: Mapped[int] = mapped_column(Integer, default=0)
    # The ticket's factors for the drivers report, following the ticket (a reopen
    # after the answer moves them). Kept by PostgreSQL triggers (migration 0014);
    # NULL on SQLite, where reports join the tickets instead.
    ticket_contacts: Mapped[int | None] = mapped_column(Integer)
    ticket_escalated: Mapped[bool | None] = mapped_column(Boolean)
    ticket_reopened: Mapped[bool | None] = mapped_column(Boolean)
    ticket_first_response_seconds: Mapped[float | None] = mapped_column(Float)
    ticket_resolution_seconds: Mapped[float | None] = mapped_column(Float)

    invitation: Mapped[Invitation] = relationship()
    survey: Mapped[Survey] = relationship()
    ticket: Mapped[Ticket] = relationship()
    agent: Mapped[Agent | None] = relationship()
    team: Mapped[Team | None] = relationship()

    def answers(self) -> dict[str, int]:
        return {
            m: v
            for m, v in (
                ("csat", self.csat),
                ("nps", self.nps),
                ("ces", self.ces),
                ("fcr", self.fcr),
            )
            if v is not None
        }


# The drivers report's sample, read backwards from the range's end (migration
# 0014); on PostgreSQL, where the factors are kept, index only.
_sample_rows = and_(Response.status == "confirmed", Response.csat.is_not(None))
Index(
    "ix_responses_driver_sample",
    Response.submitted_at,
    Response.id,
    postgresql_where=_sample_rows,
    sqlite_where=_sample_rows,
    postgresql_include=[
        "team_id",
        "agent_id",
        "channel",
        "survey_id",
        "csat",
        "ticket_contacts",
        "ticket_escalated",
        "ticket_reopened",
        "ticket_first_response_seconds",
        "ticket_resolution_seconds",
    ],
)


class ResponseAnswer(Base):
    """The answer to one of a team's own questions (``surveys/questions.py``):
    a number, a choice, a list of choices or a short text, as JSON, with the
    definition version it was given under. Built-in metrics stay on ``responses``."""

    __tablename__ = "response_answers"
    __table_args__ = (UniqueConstraint("response_id", "question_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(
        ForeignKey("responses.id", ondelete="CASCADE"), nullable=False
    )
    question_key: Mapped[str] = mapped_column(String(40), nullable=False)
    value: Mapped[Any] = mapped_column(JSON, nullable=False)
    definition_version: Mapped[int] = mapped_column(Integer, nullable=False)
    answered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class RatingClick(Base):
    """One one-click rating that arrived from an email link (or a mail client's
    one-click POST): the audit of who-knows-what followed the links, and what a
    person confirms. ``seen_at`` is set when a person was seen on the page of this
    click (the page's beacon) or when it came by POST; ``scanner`` when it was one
    of several different ratings of the invitation within seconds with no page
    seen (a mail scanner): kept, never counted (see ``surveys/clicks.py``)."""

    __tablename__ = "rating_clicks"
    __table_args__ = (Index("ix_rating_clicks_invitation_time", "invitation_id", "clicked_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int] = mapped_column(
        ForeignKey("invitations.id", ondelete="CASCADE"), nullable=False
    )
    answers: Mapped[dict[str, int]] = mapped_column(JSON, nullable=False)
    # "get" (a link followed) or "post" (a mail client's one-click POST)
    method: Mapped[str] = mapped_column(String(8), nullable=False)
    clicked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    seen_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    scanner: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
