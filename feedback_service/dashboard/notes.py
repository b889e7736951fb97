"""Agents' context on comments about them (the dashboard's own ``CommentNote``),
and the explorer's rows with their notes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from feedback_service.auth.models import User
from feedback_service.auth.users import Scope
from feedback_service.dashboard.models import CommentNote
from feedback_service.scores.service import PER_PAGE, CommentQuery, ExplorerRow
from feedback_service.scores.service import explore_comments as comments_page
from feedback_service.surveys.models import Response

NOTE_MAX = 2000


@dataclass(frozen=True)
class Note:
    id: int
    author: str
    body: str
    created_at: dt.datetime


@dataclass(frozen=True)
class NotedRow(ExplorerRow):
    """An explorer row with the agent's notes on it, oldest first."""

    notes: list[Note] = field(default_factory=list)


def explore_comments(
    session: Session, scope: Scope, q: CommentQuery, *, page: int = 1, per_page: int = PER_PAGE
) -> tuple[list[NotedRow], int]:
    """One page of the comments the viewer may see, newest first, with their notes,
    and the total."""
    rows, total = comments_page(session, scope, q, page=page, per_page=per_page)
    notes = notes_for(session, [r.response_id for r in rows])
    return [NotedRow(**r.__dict__, notes=notes.get(r.response_id, [])) for r in rows], total


def notes_for(session: Session, response_ids: list[int]) -> dict[int, list[Note]]:
    if not response_ids:
        return {}
    out: dict[int, list[Note]] = {}
    stmt = (
        select(CommentNote, User.name)
        .join(User, User.id == CommentNote.author_id)
        .where(CommentNote.response_id.in_(response_ids))
        .order_by(CommentNote.created_at, CommentNote.id)
    )
    for note, author in session.execute(stmt):
        out.setdefault(note.response_id, []).append(
            Note(note.id, author, note.body, note.created_at)
        )
    return out


def add_note(session: Session, user: User, response: Response, body: str) -> CommentNote:
    """An agent's context on a comment about them. Flushes; the view commits.

    Raises ``PermissionError`` for anyone but the agent the response is about, and
    ``ValueError`` for an empty or overlong note.
    """
    if user.role != "agent" or user.agent_id is None or response.agent_id != user.agent_id:
        raise PermissionError("Only the agent the comment is about adds context to it.")
    body = body.strip()
    if not body:
        raise ValueError("Write something first.")
    if len(body) > NOTE_MAX:
        raise ValueError(f"Keep it under {NOTE_MAX} characters.")
    note = CommentNote(response_id=response.id, author_id=user.id, body=body)
    session.add(note)
    session.flush()
    return note
