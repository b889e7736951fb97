"""comment labels: an imported row's identity, so a retried upload is not stored twice

Revision ID: 0024_label_import_key
Revises: 0023_training_stated_rows
Create Date: 2026-12-05

``comment_labels.import_key`` is a SHA-256 of an imported row's text as training
reads it (lower case, spacing collapsed) and its labels
(``analysis/comments/labels.py::import_key``), unique: the same row imported again
is not stored again. Imported rows already stored get their key here; of identical
ones only the newest is kept (training lets a later label win, so keeping the
newest leaves what it learns unchanged). Corrections keep a null key. The
downgrade drops the key; the removed duplicates do not come back.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from migrations import helpers

revision: str = "0024_label_import_key"
down_revision: str | Sequence[str] | None = "0023_training_stated_rows"

LABELS = helpers.data_table(
    "comment_labels",
    id=sa.Integer,
    source=sa.String,
    import_key=sa.String,
    text=sa.Text,
    sentiment=sa.String,
    target=sa.String,
    category=sa.String,
)


def _key(text: str, sentiment: str | None, target: str | None, category: str | None) -> str:
    # Frozen copy of labels.import_key as of this revision.
    identity = [" ".join(text.lower().split()), sentiment, target, category]
    return hashlib.sha256(json.dumps(identity, ensure_ascii=False).encode()).hexdigest()


def upgrade() -> None:
    helpers.add_columns("comment_labels", *helpers.strings(import_key=64, nullable=True))
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(
            LABELS.c.id, LABELS.c.text, LABELS.c.sentiment, LABELS.c.target, LABELS.c.category
        )
        .where(LABELS.c.source == "import")
        .order_by(LABELS.c.id.desc())
    )
    newest: dict[str, int] = {}
    older: list[int] = []
    for row_id, text, sentiment, target, category in rows:
        key = _key(text, sentiment, target, category)
        if key in newest:
            older.append(row_id)
        else:
            newest[key] = row_id
    for start in range(0, len(older), 1000):
        conn.execute(sa.delete(LABELS).where(LABELS.c.id.in_(older[start : start + 1000])))
    if newest:
        conn.execute(
            sa.update(LABELS)
            .where(LABELS.c.id == sa.bindparam("row_id"))
            .values(import_key=sa.bindparam("key")),
            [{"row_id": row_id, "key": key} for key, row_id in newest.items()],
        )
    helpers.add_unique("comment_labels", "import_key")


def downgrade() -> None:
    helpers.drop_unique("comment_labels", "import_key")
    helpers.drop_columns("comment_labels", "import_key")
