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
from alembic import op

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
        sa.Column("target", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        *helpers.timestamps("created_at"),
        helpers.unique("analysis_categories", "target", "name"),
    )
    rows = ("seed_rows", "label_rows", "train_rows", "held_out_rows")
    helpers.create_table(
        "analysis_training_runs",
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("trigger", sa.String(length=20), nullable=False),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("candidate_version", sa.String(length=80), nullable=True),
        sa.Column("promoted", sa.Boolean(), nullable=True),
        sa.Column("metrics", sa.JSON(), nullable=True),
        sa.Column("current_version", sa.String(length=80), nullable=True),
        sa.Column("current_metrics", sa.JSON(), nullable=True),
        *(sa.Column(r, sa.Integer(), nullable=True) for r in rows),
        sa.Column("reasons", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        *helpers.timestamps("created_at"),
        *helpers.timestamps("finished_at", nullable=True),
    )
    helpers.create_indexes("analysis_training_runs", "candidate_version")
    progress = ("batch_size", "cursor", "scanned", "rescored")
    helpers.create_table(
        "comment_rescore_runs",
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("model_version", sa.String(length=80), nullable=False),
        *(sa.Column(p, sa.Integer(), nullable=False) for p in progress),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        *helpers.timestamps("created_at", "updated_at"),
        *helpers.timestamps("finished_at", nullable=True),
    )
    _comment_labels_and_findings()
    with op.batch_alter_table("comment_analyses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("model_sentiment", sa.String(length=20), nullable=True))
        batch_op.add_column(
            sa.Column("corrected", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def _comment_labels_and_findings() -> None:
    helpers.create_table(
        "comment_labels",
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=True),
        sa.Column("sentence", sa.Text(), nullable=True),
        sa.Column("import_id", sa.String(length=36), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        *(sa.Column(c, sa.String(length=20), nullable=True) for c in ("sentiment", "target")),
        sa.Column("category", sa.String(length=40), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        *helpers.timestamps("created_at"),
        helpers.foreign_key("comment_labels", "response_id", "responses", ondelete="CASCADE"),
    )
    helpers.create_indexes("comment_labels", *LABEL_INDEXES)
    helpers.create_table(
        "comment_findings",
        sa.Column("analysis_id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("target", sa.String(length=20), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("sentence", sa.Text(), nullable=False),
        sa.Column("sentiment", sa.String(length=20), nullable=True),
        sa.Column("corrected", sa.Boolean(), nullable=False),
        *(sa.Column(c, sa.Integer(), nullable=True) for c in ("agent_id", "team_id")),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        *helpers.timestamps("submitted_at"),
        helpers.foreign_key(
            "comment_findings", "analysis_id", "comment_analyses", ondelete="CASCADE"
        ),
        helpers.foreign_key("comment_findings", "response_id", "responses", ondelete="CASCADE"),
    )
    helpers.create_indexes("comment_findings", *FINDING_INDEXES)


def downgrade() -> None:
    with op.batch_alter_table("comment_analyses", schema=None) as batch_op:
        batch_op.drop_column("corrected")
        batch_op.drop_column("model_sentiment")
    helpers.drop_indexes("comment_findings", *reversed(FINDING_INDEXES))
    op.drop_table("comment_findings")
    helpers.drop_indexes("comment_labels", *reversed(LABEL_INDEXES))
    op.drop_table("comment_labels")
    op.drop_table("comment_rescore_runs")
    helpers.drop_indexes("analysis_training_runs", "candidate_version")
    op.drop_table("analysis_training_runs")
    op.drop_table("analysis_categories")
