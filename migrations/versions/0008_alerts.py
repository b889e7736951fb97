"""alerts, their deliveries and settings, digests

Revision ID: 0008_alerts
Revises: 0007_comment_teaching
Create Date: 2026-12-02

Alerts on detractor responses (and anything another feature raises), one row per
delivery to a webhook or an email address, the one row of alert settings, and
one row per digest period so a digest is never sent twice.
"""

from collections.abc import Sequence

import sqlalchemy as sa

from migrations import helpers

revision: str = "0008_alerts"
down_revision: str | Sequence[str] | None = "0007_comment_teaching"


ALERT_INDEXES = ("kind", "status", "team_id", "created_at")
DELIVERY_INDEXES = ("alert_id", "status")


def upgrade() -> None:
    helpers.create_table(
        "alert_settings",
        *helpers.columns(sa.JSON, "triggers"),
        *helpers.columns(sa.Boolean, "require_comment"),
        *helpers.strings(webhook_url=2000, webhook_secret=200, nullable=True),
        *helpers.columns(sa.Boolean, "email_team_lead"),
        *helpers.columns(sa.JSON, "email_recipients"),
        *helpers.strings(digest_frequency=10),
        *helpers.columns(sa.JSON, "digest_recipients"),
        *helpers.columns(sa.SmallInteger, "digest_hour_utc"),
        *helpers.timestamps("updated_at"),
    )
    helpers.create_table(
        "alerts",
        *helpers.strings(kind=60, title=300, status=20),
        *helpers.columns(sa.JSON, "payload"),
        *helpers.strings(dedupe_key=200),
        *helpers.columns(sa.Integer, "team_id", nullable=True),
        *helpers.timestamps("created_at"),
        *helpers.timestamps("acknowledged_at", nullable=True),
        *helpers.strings(acknowledged_by=200, nullable=True),
        helpers.foreign_key("alerts", "team_id", "teams"),
        helpers.unique("alerts", "dedupe_key"),
    )
    helpers.create_indexes("alerts", *ALERT_INDEXES)
    helpers.create_table(
        "alert_deliveries",
        *helpers.columns(sa.Integer, "alert_id"),
        *helpers.strings(channel=20, target=2000, status=20),
        *helpers.columns(sa.Integer, "attempts"),
        *helpers.timestamps("next_attempt_at"),
        *helpers.columns(sa.Text, "last_error", nullable=True),
        *helpers.timestamps("delivered_at", nullable=True),
        *helpers.timestamps("created_at", "updated_at"),
        helpers.foreign_key("alert_deliveries", "alert_id", "alerts", ondelete="CASCADE"),
        helpers.unique("alert_deliveries", "alert_id", "channel", "target"),
    )
    helpers.create_indexes("alert_deliveries", *DELIVERY_INDEXES)
    helpers.create_table(
        "digests",
        *helpers.strings(frequency=10),
        *helpers.columns(sa.Date, "period_start", "period_end"),
        *helpers.strings(status=20),
        *helpers.columns(sa.Integer, "attempts"),
        *helpers.columns(sa.JSON, "recipients"),
        *helpers.columns(sa.Text, "last_error", nullable=True),
        *helpers.timestamps("sent_at", nullable=True),
        *helpers.timestamps("created_at", "updated_at"),
        helpers.unique("digests", "frequency", "period_start"),
    )


def downgrade() -> None:
    helpers.drop_table("digests")
    helpers.drop_table("alert_deliveries", *DELIVERY_INDEXES)
    helpers.drop_table("alerts", *ALERT_INDEXES)
    helpers.drop_table("alert_settings")
