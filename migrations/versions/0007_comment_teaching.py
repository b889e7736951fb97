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

revision: str = "0007_comment_teaching"
down_revision: str | Sequence[str] | None = "0006_pattern_runs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "analysis_categories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analysis_categories")),
        sa.UniqueConstraint("target", "name", name=op.f("uq_analysis_categories_target_name")),
    )
    op.create_table(
        "analysis_training_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("trigger", sa.String(length=20), nullable=False),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("candidate_version", sa.String(length=80), nullable=True),
        sa.Column("promoted", sa.Boolean(), nullable=True),
        sa.Column("metrics", sa.JSON(), nullable=True),
        sa.Column("current_version", sa.String(length=80), nullable=True),
        sa.Column("current_metrics", sa.JSON(), nullable=True),
        sa.Column("seed_rows", sa.Integer(), nullable=True),
        sa.Column("label_rows", sa.Integer(), nullable=True),
        sa.Column("train_rows", sa.Integer(), nullable=True),
        sa.Column("held_out_rows", sa.Integer(), nullable=True),
        sa.Column("reasons", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analysis_training_runs")),
    )
    with op.batch_alter_table("analysis_training_runs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_analysis_training_runs_candidate_version"),
            ["candidate_version"],
            unique=False,
        )

    op.create_table(
        "comment_rescore_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("model_version", sa.String(length=80), nullable=False),
        sa.Column("batch_size", sa.Integer(), nullable=False),
        sa.Column("cursor", sa.Integer(), nullable=False),
        sa.Column("scanned", sa.Integer(), nullable=False),
        sa.Column("rescored", sa.Integer(), nullable=False),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comment_rescore_runs")),
    )
    op.create_table(
        "comment_labels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=True),
        sa.Column("sentence", sa.Text(), nullable=True),
        sa.Column("import_id", sa.String(length=36), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("sentiment", sa.String(length=20), nullable=True),
        sa.Column("target", sa.String(length=20), nullable=True),
        sa.Column("category", sa.String(length=40), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["responses.id"],
            name=op.f("fk_comment_labels_response_id_responses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comment_labels")),
    )
    with op.batch_alter_table("comment_labels", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_comment_labels_import_id"), ["import_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_comment_labels_response_id"), ["response_id"], unique=False
        )

    op.create_table(
        "comment_findings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("analysis_id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("target", sa.String(length=20), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("sentence", sa.Text(), nullable=False),
        sa.Column("sentiment", sa.String(length=20), nullable=True),
        sa.Column("corrected", sa.Boolean(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["analysis_id"],
            ["comment_analyses.id"],
            name=op.f("fk_comment_findings_analysis_id_comment_analyses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["responses.id"],
            name=op.f("fk_comment_findings_response_id_responses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comment_findings")),
    )
    with op.batch_alter_table("comment_findings", schema=None) as batch_op:
        batch_op.create_index(
            "ix_comment_findings_agent_id_submitted_at", ["agent_id", "submitted_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_comment_findings_analysis_id"), ["analysis_id"], unique=False
        )
        batch_op.create_index(
            "ix_comment_findings_category_submitted_at", ["category", "submitted_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_comment_findings_response_id"), ["response_id"], unique=False
        )
        batch_op.create_index(
            "ix_comment_findings_target_category", ["target", "category"], unique=False
        )

    with op.batch_alter_table("comment_analyses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("model_sentiment", sa.String(length=20), nullable=True))
        batch_op.add_column(
            sa.Column("corrected", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("comment_analyses", schema=None) as batch_op:
        batch_op.drop_column("corrected")
        batch_op.drop_column("model_sentiment")

    with op.batch_alter_table("comment_findings", schema=None) as batch_op:
        batch_op.drop_index("ix_comment_findings_target_category")
        batch_op.drop_index(batch_op.f("ix_comment_findings_response_id"))
        batch_op.drop_index("ix_comment_findings_category_submitted_at")
        batch_op.drop_index(batch_op.f("ix_comment_findings_analysis_id"))
        batch_op.drop_index("ix_comment_findings_agent_id_submitted_at")

    op.drop_table("comment_findings")
    with op.batch_alter_table("comment_labels", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_comment_labels_response_id"))
        batch_op.drop_index(batch_op.f("ix_comment_labels_import_id"))

    op.drop_table("comment_labels")
    op.drop_table("comment_rescore_runs")
    with op.batch_alter_table("analysis_training_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_analysis_training_runs_candidate_version"))

    op.drop_table("analysis_training_runs")
    op.drop_table("analysis_categories")
