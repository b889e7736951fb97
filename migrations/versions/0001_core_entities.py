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

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("scopes", sa.String(length=100), nullable=False),
        sa.Column("signing_secret", sa.String(length=128), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_keys_key_hash")),
    )
    op.create_table(
        "customers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("locale", sa.String(length=20), nullable=True),
        sa.Column("unsubscribed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers")),
        sa.UniqueConstraint("external_id", name=op.f("uq_customers_external_id")),
    )
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_customers_email"), ["email"], unique=False)

    op.create_table(
        "surveys",
        sa.Column("id", sa.Integer(), nullable=False),
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
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_surveys")),
        sa.UniqueConstraint("key", name=op.f("uq_surveys_key")),
    )
    op.create_table(
        "teams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("lead_email", sa.String(length=320), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teams")),
        sa.UniqueConstraint("external_id", name=op.f("uq_teams_external_id")),
    )
    op.create_table(
        "agents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_agents_team_id_teams")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agents")),
        sa.UniqueConstraint("external_id", name=op.f("uq_agents_external_id")),
    )
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agents_team_id"), ["team_id"], unique=False)

    op.create_table(
        "tickets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("channel", sa.String(length=40), nullable=True),
        sa.Column("product", sa.String(length=200), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_response_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("contacts", sa.Integer(), nullable=True),
        sa.Column("escalated", sa.Boolean(), nullable=True),
        sa.Column("reopened", sa.Boolean(), nullable=True),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.id"], name=op.f("fk_tickets_agent_id_agents")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_tickets_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_tickets_team_id_teams")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tickets")),
        sa.UniqueConstraint("source", "external_id", name=op.f("uq_tickets_source_external_id")),
    )
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tickets_agent_id"), ["agent_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_tickets_channel"), ["channel"], unique=False)
        batch_op.create_index(batch_op.f("ix_tickets_closed_at"), ["closed_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_tickets_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_tickets_product"), ["product"], unique=False)
        batch_op.create_index(batch_op.f("ix_tickets_team_id"), ["team_id"], unique=False)

    op.create_table(
        "invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=40), nullable=True),
        sa.Column("locale", sa.String(length=20), nullable=False),
        sa.Column("delivery", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("send_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reminder_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.id"], name=op.f("fk_invitations_agent_id_agents")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_invitations_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["survey_id"], ["surveys.id"], name=op.f("fk_invitations_survey_id_surveys")
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_invitations_team_id_teams")
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_invitations_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitations")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_invitations_idempotency_key")),
        sa.UniqueConstraint(
            "ticket_id", "survey_id", name=op.f("uq_invitations_ticket_id_survey_id")
        ),
        sa.UniqueConstraint("token", name=op.f("uq_invitations_token")),
    )
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invitations_agent_id"), ["agent_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_invitations_created_at"), ["created_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_invitations_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_invitations_send_at"), ["send_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_invitations_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_invitations_survey_id"), ["survey_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_invitations_team_id"), ["team_id"], unique=False)

    op.create_table(
        "invitation_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invitation_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["invitation_id"],
            ["invitations.id"],
            name=op.f("fk_invitation_events_invitation_id_invitations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitation_events")),
    )
    with op.batch_alter_table("invitation_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_invitation_events_invitation_id"), ["invitation_id"], unique=False
        )

    op.create_table(
        "responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invitation_id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=40), nullable=True),
        sa.Column("locale", sa.String(length=20), nullable=False),
        sa.Column("csat", sa.SmallInteger(), nullable=True),
        sa.Column("nps", sa.SmallInteger(), nullable=True),
        sa.Column("ces", sa.SmallInteger(), nullable=True),
        sa.Column("fcr", sa.SmallInteger(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("processed_version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.id"], name=op.f("fk_responses_agent_id_agents")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_responses_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["invitation_id"],
            ["invitations.id"],
            name=op.f("fk_responses_invitation_id_invitations"),
        ),
        sa.ForeignKeyConstraint(
            ["survey_id"], ["surveys.id"], name=op.f("fk_responses_survey_id_surveys")
        ),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_responses_team_id_teams")),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_responses_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_responses")),
        sa.UniqueConstraint("invitation_id", name=op.f("uq_responses_invitation_id")),
    )
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_responses_agent_id"), ["agent_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_responses_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_responses_status"), ["status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_responses_submitted_at"), ["submitted_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_responses_survey_id"), ["survey_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_responses_team_id"), ["team_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_responses_ticket_id"), ["ticket_id"], unique=False)

    op.create_table(
        "comment_analyses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("response_version", sa.Integer(), nullable=False),
        sa.Column("model_version", sa.String(length=80), nullable=False),
        sa.Column("language", sa.String(length=10), nullable=True),
        sa.Column("supported", sa.Boolean(), nullable=False),
        sa.Column("sentiment", sa.String(length=20), nullable=True),
        sa.Column("sentiment_score", sa.Float(), nullable=True),
        sa.Column("findings", sa.JSON(), nullable=False),
        sa.Column("key_phrases", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["responses.id"],
            name=op.f("fk_comment_analyses_response_id_responses"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comment_analyses")),
        sa.UniqueConstraint("response_id", name=op.f("uq_comment_analyses_response_id")),
    )
    with op.batch_alter_table("comment_analyses", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_comment_analyses_sentiment"), ["sentiment"], unique=False
        )

    _default_surveys()


def downgrade() -> None:
    with op.batch_alter_table("comment_analyses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_comment_analyses_sentiment"))

    op.drop_table("comment_analyses")
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_responses_ticket_id"))
        batch_op.drop_index(batch_op.f("ix_responses_team_id"))
        batch_op.drop_index(batch_op.f("ix_responses_survey_id"))
        batch_op.drop_index(batch_op.f("ix_responses_submitted_at"))
        batch_op.drop_index(batch_op.f("ix_responses_status"))
        batch_op.drop_index(batch_op.f("ix_responses_customer_id"))
        batch_op.drop_index(batch_op.f("ix_responses_agent_id"))

    op.drop_table("responses")
    with op.batch_alter_table("invitation_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invitation_events_invitation_id"))

    op.drop_table("invitation_events")
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invitations_team_id"))
        batch_op.drop_index(batch_op.f("ix_invitations_survey_id"))
        batch_op.drop_index(batch_op.f("ix_invitations_status"))
        batch_op.drop_index(batch_op.f("ix_invitations_send_at"))
        batch_op.drop_index(batch_op.f("ix_invitations_customer_id"))
        batch_op.drop_index(batch_op.f("ix_invitations_created_at"))
        batch_op.drop_index(batch_op.f("ix_invitations_agent_id"))

    op.drop_table("invitations")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tickets_team_id"))
        batch_op.drop_index(batch_op.f("ix_tickets_product"))
        batch_op.drop_index(batch_op.f("ix_tickets_customer_id"))
        batch_op.drop_index(batch_op.f("ix_tickets_closed_at"))
        batch_op.drop_index(batch_op.f("ix_tickets_channel"))
        batch_op.drop_index(batch_op.f("ix_tickets_agent_id"))

    op.drop_table("tickets")
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agents_team_id"))

    op.drop_table("agents")
    op.drop_table("teams")
    op.drop_table("surveys")
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customers_email"))

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
