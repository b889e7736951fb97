"""The dashboard's words say what its numbers count (issue 19): a comment in a
language the model does not read is not "analysed, none with a complaint", and
"tickets closed" says which time it counted when the helpdesk sent no close time."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from feedback_service.analysis.models import CommentAnalysis
from feedback_service.auth.users import create_user
from feedback_service.demo.cli import rebuild_rollups
from feedback_service.surveys.models import Response
from tests.api.test_dashboard import PASSWORD, sign_in
from tests.factories import invitation_payload


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_one_comment_in_an_unread_language_is_counted_as_not_analysed(
    client: FlaskClient, auth: Any, db_session: Session
) -> None:
    payload = invitation_payload(delivery="link")
    for name in ("closed_at",):
        payload["ticket"].pop(name)  # the desk sent a resolve time only
    created = client.post("/api/v1/invitations", json=payload, headers=auth("ingest"))
    assert created.status_code == 201, created.json
    answer = client.post(
        "/api/v1/responses",
        json={"token": created.json["token"], "answers": {"csat": 2}, "comment": "とても遅かった"},
    )
    assert answer.status_code == 201, answer.json
    response_id = db_session.scalar(select(Response.id).where(Response.comment.is_not(None)))
    analysis = db_session.scalar(
        select(CommentAnalysis).where(CommentAnalysis.response_id == response_id)
    )
    # The eager worker analysed it on commit, as the real worker does: language
    # found, not read, no sentiment guessed.
    assert analysis is not None, "the worker did not analyse the comment"
    assert analysis.supported is False
    assert analysis.sentiment is None and analysis.findings == []
    rebuild_rollups(db_session)
    create_user(db_session, email="lead@words.test", name="Lee", role="manager", password=PASSWORD)
    db_session.commit()
    assert sign_in(client, "lead@words.test").status_code == 302
    page = text_of(client.get("/dashboard/").get_data(as_text=True))
    assert "0 comments analysed; 1 comment not analysed: language not read." in page
    assert "none with a complaint" not in page
    assert "1 comments" not in page
    # Tickets closed: counted by the resolve time, and the tile says so.
    tile = re.search(r"Tickets closed (\d+)", page)
    assert tile is not None and tile.group(1) == "1"
    assert "counted closed by: 1 the resolve time (no close time sent)" in page
