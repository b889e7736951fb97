"""comment findings, labels, categories, training and rescore runs

Revision ID: 0007_comment_teaching
Revises: 0006_pattern_runs
Create Date: 2026-12-02

Comment analysis made teachable: findings as rows (filtered and grouped by target
and category on every backend), managers' corrections and imported labels,
categories added to the shipped taxonomy, the record of each retraining and of
each re-scoring pass; the analysis keeps the model's own sentiment beside the
corrected one.
"""

from collections.abc import Sequence

import sqlalchemy as sa

from migrations import helpers

revision: str = "0007_comment_teaching"
down_revision: str | Sequence[str] | None = "0006_pattern_runs"


LABEL_INDEXES = ("import_id", "response_id")
FINDING_INDEXES = (
    ("ix_comment_findings_agent_id_submitted_at", ["agent_id", "submitted_at"]),
    "analysis_id",
    ("ix_comment_findings_category_submitted_at", ["category", "submitted_at"]),
    "response_id",
    ("ix_comment_findings_target_category", ["target", "category"]),
)


def upgrade() -> None:
    helpers.create_table(
        "analysis_categories",
        *helpers.strings(target=20, name=40, created_by=200),
        *helpers.timestamps("created_at"),
        helpers.unique("analysis_categories", "target", "name"),
    )
    rows = ("seed_rows", "label_rows", "train_rows", "held_out_rows")
    helpers.create_table(
        "analysis_training_runs",
        *helpers.strings(status=20, trigger=20, requested_by=200),
        *helpers.strings(candidate_version=80, nullable=True),
        *helpers.columns(sa.Boolean, "promoted", nullable=True),
        *helpers.columns(sa.JSON, "metrics", nullable=True),
        *helpers.strings(current_version=80, nullable=True),
        *helpers.columns(sa.JSON, "current_metrics", nullable=True),
        *helpers.columns(sa.Integer, *rows, nullable=True),
        *helpers.columns(sa.JSON, "reasons", nullable=True),
        *helpers.columns(sa.Text, "error", nullable=True),
        *helpers.timestamps("created_at"),
        *helpers.timestamps("finished_at", nullable=True),
    )
    helpers.create_indexes("analysis_training_runs", "candidate_version")
    progress = ("batch_size", "cursor", "scanned", "rescored")
    helpers.create_table(
        "comment_rescore_runs",
        *helpers.strings(status=20, model_version=80),
        *helpers.columns(sa.Integer, *progress),
        *helpers.strings(requested_by=200),
        *helpers.timestamps("created_at", "updated_at"),
        *helpers.timestamps("finished_at", nullable=True),
    )
    _comment_labels_and_findings()
    helpers.add_columns(
        "comment_analyses",
        *helpers.strings(model_sentiment=20, nullable=True),
        sa.Column("corrected", sa.Boolean(), server_default=sa.false(), nullable=False),
    )


def _comment_labels_and_findings() -> None:
    helpers.create_table(
        "comment_labels",
        *helpers.strings(source=20),
        *helpers.columns(sa.Integer, "response_id", nullable=True),
        *helpers.columns(sa.Text, "sentence", nullable=True),
        *helpers.strings(import_id=36, nullable=True),
        *helpers.columns(sa.Text, "text"),
        *helpers.strings(sentiment=20, target=20, category=40, nullable=True),
        *helpers.strings(created_by=200),
        *helpers.timestamps("created_at"),
        helpers.foreign_key("comment_labels", "response_id", "responses", ondelete="CASCADE"),
    )
    helpers.create_indexes("comment_labels", *LABEL_INDEXES)
    helpers.create_table(
        "comment_findings",
        *helpers.columns(sa.Integer, "analysis_id", "response_id"),
        *helpers.columns(sa.SmallInteger, "position"),
        *helpers.strings(target=20),
        *helpers.strings(category=40, nullable=True),
        *helpers.columns(sa.Float, "confidence", nullable=True),
        *helpers.columns(sa.Text, "sentence"),
        *helpers.strings(sentiment=20, nullable=True),
        *helpers.columns(sa.Boolean, "corrected"),
        *helpers.columns(sa.Integer, "agent_id", "team_id", nullable=True),
        *helpers.columns(sa.Integer, "ticket_id"),
        *helpers.timestamps("submitted_at"),
        helpers.foreign_key(
            "comment_findings", "analysis_id", "comment_analyses", ondelete="CASCADE"
        ),
        helpers.foreign_key("comment_findings", "response_id", "responses", ondelete="CASCADE"),
    )
    helpers.create_indexes("comment_findings", *FINDING_INDEXES)


def downgrade() -> None:
    helpers.drop_columns("comment_analyses", "corrected", "model_sentiment")
    helpers.drop_table("comment_findings", *FINDING_INDEXES)
    helpers.drop_table("comment_labels", *LABEL_INDEXES)
    helpers.drop_table("comment_rescore_runs")
    helpers.drop_table("analysis_training_runs", "candidate_version")
    helpers.drop_table("analysis_categories")
