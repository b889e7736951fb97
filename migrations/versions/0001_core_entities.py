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
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("scopes", sa.String(length=100), nullable=False),
        sa.Column("signing_secret", sa.String(length=128), nullable=True),
        *helpers.timestamps("created_at"),
        *helpers.timestamps("last_used_at", "revoked_at", nullable=True),
        helpers.unique("api_keys", "key_hash"),
    )
    helpers.create_table(
        "customers",
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("locale", sa.String(length=20), nullable=True),
        *helpers.timestamps("unsubscribed_at", nullable=True),
        *helpers.timestamps("created_at", "updated_at"),
        helpers.unique("customers", "external_id"),
    )
    helpers.create_indexes("customers", "email")
    helpers.create_table(
        "surveys",
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("questions", sa.JSON(), nullable=False),
        sa.Column("comment_prompt", sa.JSON(), nullable=True),
        sa.Column("throttle_days", sa.Integer(), nullable=False),
        sa.Column("sampling_rate", sa.Float(), nullable=False),
        sa.Column("send_delay_seconds", sa.Integer(), nullable=False),
        sa.Column("reminder_after_hours", sa.Integer(), nullable=True),
        sa.Column("expire_after_days", sa.Integer(), nullable=False),
        sa.Column("amend_window_hours", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        *helpers.timestamps("created_at", "updated_at"),
        helpers.unique("surveys", "key"),
    )
    helpers.create_table(
        "teams",
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("lead_email", sa.String(length=320), nullable=True),
        *helpers.timestamps("created_at"),
        helpers.unique("teams", "external_id"),
    )
    helpers.create_table(
        "agents",
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("team_id", sa.Integer(), nullable=True),
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
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("response_version", sa.Integer(), nullable=False),
        sa.Column("model_version", sa.String(length=80), nullable=False),
        sa.Column("language", sa.String(length=10), nullable=True),
        sa.Column("supported", sa.Boolean(), nullable=False),
        sa.Column("sentiment", sa.String(length=20), nullable=True),
        sa.Column("sentiment_score", sa.Float(), nullable=True),
        sa.Column("findings", sa.JSON(), nullable=False),
        sa.Column("key_phrases", sa.JSON(), nullable=False),
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
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("channel", sa.String(length=40), nullable=True),
        sa.Column("product", sa.String(length=200), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        *helpers.timestamps(
            "opened_at", "first_response_at", "resolved_at", "closed_at", nullable=True
        ),
        sa.Column("contacts", sa.Integer(), nullable=True),
        sa.Column("escalated", sa.Boolean(), nullable=True),
        sa.Column("reopened", sa.Boolean(), nullable=True),
        *(
            sa.Column(c, sa.Integer(), nullable=True)
            for c in ("agent_id", "team_id", "customer_id")
        ),
        *helpers.timestamps("created_at", "updated_at"),
        helpers.foreign_key("tickets", "agent_id", "agents"),
        helpers.foreign_key("tickets", "customer_id", "customers"),
        helpers.foreign_key("tickets", "team_id", "teams"),
        helpers.unique("tickets", "source", "external_id"),
    )
    helpers.create_indexes("tickets", *TICKET_INDEXES)


def _invitations() -> None:
    helpers.create_table(
        "invitations",
        sa.Column("token", sa.String(length=64), nullable=False),
        *(sa.Column(c, sa.Integer(), nullable=False) for c in ("survey_id", "ticket_id")),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=40), nullable=True),
        sa.Column("locale", sa.String(length=20), nullable=False),
        sa.Column("delivery", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        *helpers.timestamps(
            "send_at", "sent_at", "reminder_sent_at", "expires_at", "answered_at", nullable=True
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        *helpers.timestamps("created_at", "updated_at"),
        helpers.foreign_key("invitations", "agent_id", "agents"),
        helpers.foreign_key("invitations", "customer_id", "customers"),
        helpers.foreign_key("invitations", "survey_id", "surveys"),
        helpers.foreign_key("invitations", "team_id", "teams"),
        helpers.foreign_key("invitations", "ticket_id", "tickets"),
        helpers.unique("invitations", "idempotency_key"),
        helpers.unique("invitations", "ticket_id", "survey_id"),
        helpers.unique("invitations", "token"),
    )
    helpers.create_indexes("invitations", *INVITATION_INDEXES)
    helpers.create_table(
        "invitation_events",
        sa.Column("invitation_id", sa.Integer(), nullable=False),
        *helpers.timestamps("at"),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        helpers.foreign_key("invitation_events", "invitation_id", "invitations"),
    )
    helpers.create_indexes("invitation_events", "invitation_id")


def _responses() -> None:
    keys = ("invitation_id", "survey_id", "ticket_id", "customer_id")
    helpers.create_table(
        "responses",
        *(sa.Column(c, sa.Integer(), nullable=False) for c in keys),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=40), nullable=True),
        sa.Column("locale", sa.String(length=20), nullable=False),
        *(sa.Column(m, sa.SmallInteger(), nullable=True) for m in ("csat", "nps", "ces", "fcr")),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        *helpers.timestamps("submitted_at", "updated_at"),
        *helpers.timestamps("confirmed_at", nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("processed_version", sa.Integer(), nullable=False),
        helpers.foreign_key("responses", "agent_id", "agents"),
        helpers.foreign_key("responses", "customer_id", "customers"),
        helpers.foreign_key("responses", "invitation_id", "invitations"),
        helpers.foreign_key("responses", "survey_id", "surveys"),
        helpers.foreign_key("responses", "team_id", "teams"),
        helpers.foreign_key("responses", "ticket_id", "tickets"),
        helpers.unique("responses", "invitation_id"),
    )
    helpers.create_indexes("responses", *RESPONSE_INDEXES)


def downgrade() -> None:
    helpers.drop_indexes("comment_analyses", "sentiment")
    op.drop_table("comment_analyses")
    helpers.drop_indexes("responses", *reversed(RESPONSE_INDEXES))
    op.drop_table("responses")
    helpers.drop_indexes("invitation_events", "invitation_id")
    op.drop_table("invitation_events")
    helpers.drop_indexes("invitations", *reversed(INVITATION_INDEXES))
    op.drop_table("invitations")
    helpers.drop_indexes("tickets", *reversed(TICKET_INDEXES))
    op.drop_table("tickets")
    helpers.drop_indexes("agents", "team_id")
    op.drop_table("agents")
    op.drop_table("teams")
    op.drop_table("surveys")
    helpers.drop_indexes("customers", "email")
    op.drop_table("customers")
    op.drop_table("api_keys")


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
