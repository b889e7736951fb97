"""The comments explorer, agents' context on comments, and relabelling."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from feedback_service.analysis.text.taxonomy import Taxonomy
from feedback_service.dashboard import extensions, queries
from feedback_service.dashboard.security import current_scope, login_required, safe_next
from feedback_service.dashboard.views import ALL_ROLES, LEADS, bp, int_arg, viewer
from feedback_service.db import get_session
from feedback_service.errors import FeedbackError
from feedback_service.helpdesk.models import Agent, Team


def _date_arg(name: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


def _comment_query() -> tuple[queries.CommentQuery, dict[str, Any]]:
    """Filters from the query string; values outside the viewer's scope or the
    known choices are dropped (an agent's own filter is pinned by the scope)."""
    session = get_session()
    scope = current_scope()
    agent_id = int_arg("agent")
    if agent_id is not None and not scope.can_see_agent(agent_id):
        agent_id = None
    team_id: int | None = None
    team = request.args.get("team") or None
    if team:
        team_id = session.scalar(select(Team.id).where(Team.external_id == team))
        if team_id is not None and not scope.can_see_team(team_id):
            team_id = None
    taxonomy = Taxonomy.default()
    category = request.args.get("category") or None
    target = request.args.get("target") or None
    if target not in taxonomy.categories:
        target = None
    if category and not any(category in cats for cats in taxonomy.categories.values()):
        category = None
    sentiment = request.args.get("sentiment") or None
    rating = request.args.get("rating") or None
    q = queries.CommentQuery(
        agent_id=agent_id,
        team_id=team_id,
        sentiment=sentiment if sentiment in queries.SENTIMENT_CHOICES else None,
        target=target,
        category=category,
        rating=rating if rating in queries.RATING_CHOICES else None,
        text=(request.args.get("q") or "").strip()[:200] or None,
        start=_date_arg("from"),
        end=_date_arg("to"),
        product=(request.args.get("product") or "").strip()[:200] or None,
    )
    agents = session.execute(
        select(Agent.id, Agent.name, Agent.external_id)
        .where(scope.clause(Agent.id, Agent.team_id))
        .order_by(Agent.name)
    ).all()
    team_stmt = select(Team.external_id, Team.name).order_by(Team.name)
    if not scope.everything:
        team_stmt = team_stmt.where(Team.id.in_(sorted(scope.team_ids)))
    teams = session.execute(team_stmt).all() if scope.everything or scope.team_ids else []
    choices = {
        "agents": agents,
        "teams": teams,
        "taxonomy": taxonomy.categories,
        "sentiments": queries.SENTIMENT_CHOICES,
        "team": team if team_id else None,
    }
    return q, choices


@bp.get("/comments")
@login_required(*ALL_ROLES)
def comments() -> str:
    page = max(int_arg("page") or 1, 1)
    q, choices = _comment_query()
    rows, total = queries.explore_comments(get_session(), current_scope(), q, page=page)
    user = viewer()
    taxonomy = extensions.taxonomy(get_session())
    return render_template(
        "dashboard/comments.html",
        rows=rows,
        total=total,
        page=page,
        pages=max(1, -(-total // queries.PER_PAGE)),
        q=q,
        choices=choices,
        can_note=user.role == "agent",
        can_relabel=user.role in LEADS,
        taxonomy=taxonomy,
        sentiments=extensions.COMMENT_SENTIMENTS,
        note_max=queries.NOTE_MAX,
    )


@bp.post("/comments/<int:response_id>/notes")
@login_required(*ALL_ROLES)
def add_note(response_id: int) -> Any:
    session = get_session()
    response = queries.visible_response(session, current_scope(), response_id)
    if response is None:
        abort(404)
    try:
        queries.add_note(session, viewer(), response, request.form.get("body", ""))
    except PermissionError:
        abort(403)
    except ValueError as error:
        session.rollback()
        flash(f"The context was not saved: {error}")
        return redirect(safe_next(request.form.get("next")), 303)
    session.commit()
    flash("Your context is saved; your team lead sees it with the comment.")
    target = safe_next(request.form.get("next") or url_for("dashboard.comments"))
    return redirect(f"{target}#comment-{response_id}", 303)


@bp.post("/comments/<int:response_id>/relabel")
@login_required(*LEADS)
def relabel(response_id: int) -> Any:
    """A lead's or manager's correction: stored by the analysis feature as
    training data for ``flask analysis train``, and shown on the comment at once."""
    session = get_session()
    if queries.visible_response(session, current_scope(), response_id) is None:
        abort(404)
    back = safe_next(request.form.get("next") or url_for("dashboard.comments"))
    try:
        extensions.relabel(session, viewer(), response_id, request.form)
    except FeedbackError as error:
        session.rollback()
        detail = "; ".join(f"{k}: {' '.join(v)}" for k, v in (error.fields or {}).items())
        flash(f"Not relabelled: {error.message}" + (f" ({detail})" if detail else ""))
        return redirect(f"{back}#comment-{response_id}", 303)
    session.commit()
    flash("Relabelled. The correction is kept as training data for the next model.")
    return redirect(f"{back}#comment-{response_id}", 303)
