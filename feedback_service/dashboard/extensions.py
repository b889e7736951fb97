"""Where the dashboard meets features built alongside it (alerts, stored pattern
and product-gap runs). Each function answers ``None`` when its feature is not in
this installation, and the page then says so instead of showing an empty list
that would read as "nothing found"."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from feedback_service.auth.users import Scope
from feedback_service.helpdesk.models import Agent


def open_alerts(session: Session, scope: Scope) -> list[dict[str, Any]] | None:
    """Open (not acknowledged) alerts the viewer may see, newest first."""
    return None


def agent_patterns(session: Session, agent: Agent) -> list[dict[str, Any]] | None:
    """The latest stored complaint/praise patterns of one agent."""
    return None


def product_gaps(session: Session, scope: Scope) -> dict[str, Any] | None:
    """The latest stored product-gap run."""
    return None


def relabel_available() -> bool:
    """Whether corrections can be stored for the classifier to learn from."""
    return False


def relabel_state() -> str | None:
    """Why relabelling is not offered, for the page to say so (None: it is)."""
    return (
        None
        if relabel_available()
        else (
            "Relabelling comes with the comment-correction store of the analysis feature, "
            "which is not installed here yet."
        )
    )
