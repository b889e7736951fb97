"""core entities

Revision ID: 0001
Revises:
Create Date: 2026-11-23

Also creates the two surveys a fresh install has: post-ticket and nps.
"""

import datetime
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from migrations import helpers

revision: str = "0001"
down_revision: str | Sequence[str] | None = None


def upgrade() -> None:
    helpers.create_table(
        "api_keys",
        *helpers.strings(name=200, prefix=16, key_hash=64, scopes=100),
        *helpers.strings(signing_secret=128, nullable=True),
        *helpers.timestamps("created_at"),
        *helpers.timestamps("last_used_at", "revoked_at", nullable=True),
        helpers.unique("api_keys", "key_hash"),
    )
    helpers.create_table(
        "customers",
        *helpers.strings(external_id=200),
        *helpers.strings(email=320, name=200, locale=20, nullable=True),
        *helpers.timestamps("unsubscribed_at", nullable=True),
        *helpers.timestamps("created_at", "updated_at"),
        helpers.unique("customers", "external_id"),
    )
    helpers.create_indexes("customers", "email")
    helpers.create_table(
        "surveys",
        *helpers.strings(key=80, name=200),
        *helpers.columns(sa.JSON, "questions"),
        *helpers.columns(sa.JSON, "comment_prompt", nullable=True),
        *helpers.columns(sa.Integer, "throttle_days"),
        *helpers.columns(sa.Float, "sampling_rate"),
        *helpers.columns(sa.Integer, "send_delay_seconds"),
        *helpers.columns(sa.Integer, "reminder_after_hours", nullable=True),
        *helpers.columns(sa.Integer, "expire_after_days", "amend_window_hours"),
        *helpers.columns(sa.Boolean, "active"),
        *helpers.timestamps("created_at", "updated_at"),
        helpers.unique("surveys", "key"),
    )
    helpers.create_table(
        "teams",
        *helpers.strings(external_id=200, name=200),
        *helpers.strings(lead_email=320, nullable=True),
        *helpers.timestamps("created_at"),
        helpers.unique("teams", "external_id"),
    )
    helpers.create_table(
        "agents",
        *helpers.strings(external_id=200),
        *helpers.strings(name=200, email=320, nullable=True),
        *helpers.columns(sa.Integer, "team_id", nullable=True),
        *helpers.timestamps("created_at", "updated_at"),
        helpers.foreign_key("agents", "team_id", "teams"),
        helpers.unique("agents", "external_id"),
    )
    helpers.create_indexes("agents", "team_id")
    _tickets()
    _invitations()
    _responses()
    helpers.create_table(
        "comment_analyses",
        *helpers.columns(sa.Integer, "response_id", "response_version"),
        *helpers.strings(model_version=80),
        *helpers.strings(language=10, nullable=True),
        *helpers.columns(sa.Boolean, "supported"),
        *helpers.strings(sentiment=20, nullable=True),
        *helpers.columns(sa.Float, "sentiment_score", nullable=True),
        *helpers.columns(sa.JSON, "findings", "key_phrases"),
        *helpers.timestamps("created_at", "updated_at"),
        helpers.foreign_key("comment_analyses", "response_id", "responses"),
        helpers.unique("comment_analyses", "response_id"),
    )
    helpers.create_indexes("comment_analyses", "sentiment")

    _default_surveys()


TICKET_INDEXES = ("agent_id", "channel", "closed_at", "customer_id", "product", "team_id")
INVITATION_INDEXES = (
    "agent_id",
    "created_at",
    "customer_id",
    "send_at",
    "status",
    "survey_id",
    "team_id",
)
RESPONSE_INDEXES = (
    "agent_id",
    "customer_id",
    "status",
    "submitted_at",
    "survey_id",
    "team_id",
    "ticket_id",
)


def _tickets() -> None:
    helpers.create_table(
        "tickets",
        *helpers.strings(source=40, external_id=200),
        *helpers.columns(sa.Text, "subject", nullable=True),
        *helpers.strings(channel=40, product=200, nullable=True),
        *helpers.columns(sa.JSON, "tags"),
        *helpers.timestamps(
            "opened_at", "first_response_at", "resolved_at", "closed_at", nullable=True
        ),
        *helpers.columns(sa.Integer, "contacts", nullable=True),
        *helpers.columns(sa.Boolean, "escalated", "reopened", nullable=True),
        *helpers.columns(sa.Integer, "agent_id", "team_id", "customer_id", nullable=True),
        *helpers.timestamps("created_at", "updated_at"),
        *helpers.foreign_keys(
            "tickets", agent_id="agents", customer_id="customers", team_id="teams"
        ),
        helpers.unique("tickets", "source", "external_id"),
    )
    helpers.create_indexes("tickets", *TICKET_INDEXES)


def _invitations() -> None:
    helpers.create_table(
        "invitations",
        *helpers.strings(token=64),
        *helpers.columns(sa.Integer, "survey_id", "ticket_id", "customer_id"),
        *helpers.columns(sa.Integer, "agent_id", "team_id", nullable=True),
        *helpers.strings(channel=40, nullable=True),
        *helpers.strings(locale=20, delivery=10, status=20),
        *helpers.strings(reason=200, idempotency_key=200, nullable=True),
        *helpers.timestamps(
            "send_at", "sent_at", "reminder_sent_at", "expires_at", "answered_at", nullable=True
        ),
        *helpers.columns(sa.Integer, "attempts"),
        *helpers.columns(sa.Text, "last_error", nullable=True),
        *helpers.timestamps("created_at", "updated_at"),
        *helpers.foreign_keys(
            "invitations",
            agent_id="agents",
            customer_id="customers",
            survey_id="surveys",
            team_id="teams",
            ticket_id="tickets",
        ),
        helpers.unique("invitations", "idempotency_key"),
        helpers.unique("invitations", "ticket_id", "survey_id"),
        helpers.unique("invitations", "token"),
    )
    helpers.create_indexes("invitations", *INVITATION_INDEXES)
    helpers.create_table(
        "invitation_events",
        *helpers.columns(sa.Integer, "invitation_id"),
        *helpers.timestamps("at"),
        *helpers.strings(kind=40),
        *helpers.columns(sa.Text, "detail", nullable=True),
        helpers.foreign_key("invitation_events", "invitation_id", "invitations"),
    )
    helpers.create_indexes("invitation_events", "invitation_id")


def _responses() -> None:
    keys = ("invitation_id", "survey_id", "ticket_id", "customer_id")
    helpers.create_table(
        "responses",
        *helpers.columns(sa.Integer, *keys),
        *helpers.columns(sa.Integer, "agent_id", "team_id", nullable=True),
        *helpers.strings(channel=40, nullable=True),
        *helpers.strings(locale=20),
        *helpers.columns(sa.SmallInteger, "csat", "nps", "ces", "fcr", nullable=True),
        *helpers.columns(sa.Text, "comment", nullable=True),
        *helpers.strings(status=20, source=20),
        *helpers.timestamps("submitted_at", "updated_at"),
        *helpers.timestamps("confirmed_at", nullable=True),
        *helpers.columns(sa.Integer, "version", "processed_version"),
        *helpers.foreign_keys(
            "responses",
            agent_id="agents",
            customer_id="customers",
            invitation_id="invitations",
            survey_id="surveys",
            team_id="teams",
            ticket_id="tickets",
        ),
        helpers.unique("responses", "invitation_id"),
    )
    helpers.create_indexes("responses", *RESPONSE_INDEXES)


def downgrade() -> None:
    helpers.drop_table("comment_analyses", "sentiment")
    helpers.drop_table("responses", *RESPONSE_INDEXES)
    helpers.drop_table("invitation_events", "invitation_id")
    helpers.drop_table("invitations", *INVITATION_INDEXES)
    helpers.drop_table("tickets", *TICKET_INDEXES)
    helpers.drop_table("agents", "team_id")
    helpers.drop_table("teams")
    helpers.drop_table("surveys")
    helpers.drop_table("customers", "email")
    helpers.drop_table("api_keys")


def _default_surveys() -> None:
    """A snapshot of the defaults at this revision; later edits go through the API."""
    surveys = sa.table(
        "surveys",
        sa.column("key", sa.String),
        sa.column("name", sa.String),
        sa.column("questions", sa.JSON),
        sa.column("comment_prompt", sa.JSON),
        sa.column("throttle_days", sa.Integer),
        sa.column("sampling_rate", sa.Float),
        sa.column("send_delay_seconds", sa.Integer),
        sa.column("reminder_after_hours", sa.Integer),
        sa.column("expire_after_days", sa.Integer),
        sa.column("amend_window_hours", sa.Integer),
        sa.column("active", sa.Boolean),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    now = datetime.datetime.now(datetime.UTC)
    if op.get_bind().dialect.name == "sqlite":
        now = now.replace(tzinfo=None)
    prompt = {
        "en": "Anything else you'd like to tell us?",
        "es": "¿Hay algo más que quiera contarnos?",
        "de": "Möchten Sie uns noch etwas mitteilen?",
    }
    common = {
        "throttle_days": 30,
        "sampling_rate": 1.0,
        "send_delay_seconds": 3600,
        "reminder_after_hours": 48,
        "expire_after_days": 14,
        "amend_window_hours": 24,
        "active": True,
        "created_at": now,
        "updated_at": now,
    }
    op.bulk_insert(
        surveys,
        [
            {
                "key": "post-ticket",
                "name": "After a ticket is closed",
                "questions": [
                    {"metric": "csat", "wording": {}},
                    {"metric": "ces", "wording": {}},
                    {"metric": "fcr", "wording": {}},
                ],
                "comment_prompt": prompt,
                **common,
            },
            {
                "key": "nps",
                "name": "Relationship NPS",
                "questions": [{"metric": "nps", "wording": {}}],
                "comment_prompt": {
                    "en": "What is the main reason for your score?",
                    "es": "¿Cuál es el motivo principal de su puntuación?",
                    "de": "Was ist der wichtigste Grund für Ihre Bewertung?",
                },
                **{**common, "throttle_days": 90},
            },
        ],
    )
