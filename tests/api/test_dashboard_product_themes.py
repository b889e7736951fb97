"""The product-gaps page counts a complaint in a theme by the patterns' own rule
(``themes.is_theme_sentence``), not by a second definition of its own."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from feedback_service.helpdesk.models import Ticket
from feedback_service.surveys.models import Response
from tests.api.test_dashboard_pages import analyse, as_role, committed_demo, demo, html_of

__all__ = ["as_role", "committed_demo", "demo"]  # fixtures this module uses


def test_product_gaps_count_what_the_patterns_count_as_a_theme(
    as_role: Any, db_session: Session
) -> None:
    rows = db_session.execute(
        select(Response.id, Response.ticket_id)
        .where(Response.status == "confirmed", Response.comment.is_not(None))
        .order_by(Response.submitted_at.desc())
        .limit(4)
    ).all()
    (troubled, troubled_ticket), (calm, calm_ticket), (praised, _), (about_process, _) = rows
    assert troubled_ticket != calm_ticket
    db_session.execute(update(Ticket).where(Ticket.id == troubled_ticket).values(escalated=True))
    db_session.execute(
        update(Ticket).where(Ticket.id == calm_ticket).values(escalated=False, reopened=False)
    )
    said = {
        troubled: ("none", "negative", "Nobody could tell me where my refund went."),
        calm: ("none", "negative", "The invoice layout is confusing to me."),
        praised: ("product", "positive", "The new export works beautifully now."),
        about_process: ("process", "mixed", "Fine call but the verification steps go on forever."),
    }
    for response_id, (target, sentiment, sentence) in said.items():
        finding = {"target": target, "category": "billing", "sentence": sentence}
        analyse(db_session, response_id, [{**finding, "sentiment": sentiment}])
    db_session.commit()

    gaps = html_of(as_role("manager@demo.test"), "/dashboard/product-gaps")

    # A complaint naming no target counts on an escalated or reopened ticket only,
    # as in the pattern runs; praise never makes a theme; a mixed one about a process does.
    assert "Nobody could tell me where my refund went." in gaps
    assert "The invoice layout is confusing to me." not in gaps
    assert "The new export works beautifully now." not in gaps
    assert "Fine call but the verification steps go on forever." in gaps
