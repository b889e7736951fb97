"""Migration 0024 (an imported label's identity) on a database that already holds
labels imported twice: the duplicates go, what training learns stays, and a later
upload of the same row is recognised."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask
from sqlalchemy import MetaData, create_engine, insert, select

from feedback_service.analysis.comments import labels
from feedback_service.analysis.models import CommentLabel
from feedback_service.analysis.text.data import LabelledSentence, deduplicate
from feedback_service.auth.service import create_api_key
from feedback_service.cli import upgrade_database
from feedback_service.db import get_session
from tests.apps import another_app, give_back
from tests.integration.test_migrations import fresh_database  # noqa: F401

BEFORE = "0023_training_stated_rows"
BACK = "The agent never called me back."
# (source, text, sentiment, target, category) in the order they were stored.
OLD_LABELS = [
    ("import", BACK, "negative", "agent", "unhelpful"),
    ("import", "the agent never  called me BACK.", "negative", "agent", "unhelpful"),
    ("import", BACK, "positive", None, None),
    ("import", BACK, "negative", "agent", "unhelpful"),
    ("import", "Love the new dashboard", "positive", None, None),
    ("correction", "Love the new dashboard", "positive", None, None),
    ("correction", "Love the new dashboard", "positive", None, None),
]


def _old_labels(url: str) -> None:
    """At revision 0023: the labels above, as that schema stores them."""
    engine = create_engine(url)
    tables = MetaData()
    tables.reflect(engine)
    now = dt.datetime.now(dt.UTC)
    rows: list[dict[str, Any]] = [
        {
            "source": source,
            "import_id": "a" * 32 if source == "import" else None,
            "text": text,
            "sentiment": sentiment,
            "target": target,
            "category": category,
            "created_by": "old",
            "created_at": now,
        }
        for source, text, sentiment, target, category in OLD_LABELS
    ]
    try:
        with engine.begin() as conn:
            for row in rows:  # one by one: ids in this order
                conn.execute(insert(tables.tables["comment_labels"]).values(**row))
    finally:
        engine.dispose()


def test_duplicated_imports_are_removed_and_a_repeat_upload_is_recognised(
    app: Flask,
    broker_url: str,
    fresh_database: str,  # noqa: F811
) -> None:
    upgrade_database(fresh_database, BEFORE)
    _old_labels(fresh_database)
    upgrade_database(fresh_database)

    migrated = another_app(fresh_database, broker_url)
    try:
        with migrated.app_context():
            session = get_session()
            kept = session.execute(
                select(CommentLabel.id, CommentLabel.source, CommentLabel.import_key).order_by(
                    CommentLabel.id
                )
            ).all()
            # Rows 1 and 2 repeat row 4 (case and spacing aside): the newest stays.
            assert [row_id for row_id, _source, _key in kept] == [3, 4, 5, 6, 7]
            keys = {row_id: key for row_id, _source, key in kept}
            assert keys[6] is None and keys[7] is None  # corrections have no key
            taught = labels.training_rows(session)
            old = [LabelledSentence(*row[1:]) for row in OLD_LABELS]
            assert deduplicate(taught) == deduplicate(old)
            _key, plain = create_api_key(session, "migration", ["reports"])
            session.commit()

        again = migrated.test_client().post(
            "/api/v1/labels/import",
            data=f"text,sentiment,target,category\n{BACK},negative,agent,unhelpful\n",
            content_type="text/csv",
            headers={"Authorization": f"Bearer {plain}"},
        )
        assert again.status_code == 200, again.json
        assert (again.json["imported"], again.json["already_there"]) == (0, 1)
    finally:
        give_back(app, migrated)
