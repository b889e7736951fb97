"""One-click ratings and the person behind them (the provisional rule's clicks).

Every rating that arrives from an email link is kept as a ``RatingClick``: the
audit of what followed the links. What it does to the response depends on
whether a person was seen (``surveys/responses.py`` states the rule):

* a click on an unanswered, provisional or scanner response updates it, still
  unseen: ``provisional``, or ``scanner`` when the invitation got several
  different ratings within ``SCANNER_WINDOW`` and no page of them was seen;
* a click on a confirmed answer changes nothing yet: the person's counted answer
  is not handed to whatever follows links; it changes when a person is seen;
* a person seen on the page of a click (the beacon), or a mail client's
  one-click POST, applies that click's rating and confirms the response.

Called by ``surveys/collect.py`` (``submit`` and ``seen``). Functions take a
session, flush and never commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from feedback_service.job_lock import lock_scope
from feedback_service.surveys import responses
from feedback_service.surveys.models import Invitation, RatingClick, Response

# "Within seconds": a scanner follows every link of the message in a burst; a person
# changing their mind has the page in front of them, whose beacon marks them seen.
SCANNER_WINDOW = dt.timedelta(seconds=30)


def _lock_invitation(session: Session, invitation: Invitation) -> None:
    """Clicks of one invitation are judged one at a time (a scanner may fetch in
    parallel). A transaction-level advisory lock, not a row lock on the invitation:
    the API's one-statement first answer inserts the response and then updates the
    invitation row, so holding that row here while inserting the response would
    deadlock with it. SQLite serialises writers anyway."""
    lock_scope(session, f"rating-clicks:{invitation.id}")


def _looks_like_a_scanner(recent: list[RatingClick]) -> bool:
    if any(click.seen_at is not None for click in recent):
        return False
    return len({tuple(sorted(click.answers.items())) for click in recent}) > 1


def _new_click(
    session: Session,
    invitation: Invitation,
    answers: Mapping[str, int],
    method: str,
    now: dt.datetime,
    seen_at: dt.datetime | None = None,
) -> RatingClick:
    click = RatingClick(
        invitation_id=invitation.id,
        answers=dict(answers),
        method=method,
        clicked_at=now,
        seen_at=seen_at,
        scanner=False,
    )
    session.add(click)
    session.flush()
    return click


def record(
    session: Session,
    invitation: Invitation,
    response: Response | None,
    answers: Mapping[str, int],
    *,
    now: dt.datetime,
) -> tuple[responses.Saved, RatingClick]:
    """A rating followed by GET from the email: kept, and held back until a person
    is seen. The caller (``collect.submit``) has checked that the invitation takes
    it; ``answers`` are validated values."""
    _lock_invitation(session, invitation)
    click = _new_click(session, invitation, answers, "get", now)
    recent = list(
        session.scalars(
            select(RatingClick).where(
                RatingClick.invitation_id == invitation.id,
                RatingClick.clicked_at >= now - SCANNER_WINDOW,
            )
        )
    )
    scanner = _looks_like_a_scanner(recent)
    if scanner:
        for other in recent:
            other.scanner = True
    if response is not None and response.status == responses.CONFIRMED:
        # A person's counted answer changes only when a person is seen again.
        return responses.Saved(response, created=False, changed=False), click
    saved = responses.save(
        session,
        invitation,
        response,
        answers,
        None,
        source="link",
        provisional=True,
        scanner=scanner,
        now=now,
    )
    return saved, click


def find(session: Session, invitation: Invitation, click_id: int) -> RatingClick | None:
    click = session.get(RatingClick, click_id)
    if click is None or click.invitation_id != invitation.id:
        return None
    return click


def seen(
    session: Session,
    invitation: Invitation,
    response: Response | None,
    click: RatingClick,
    *,
    now: dt.datetime,
) -> responses.Saved:
    """A person was seen on the page of ``click``: its rating is theirs, confirmed."""
    if click.seen_at is None:
        click.seen_at = now
    return responses.save(
        session, invitation, response, click.answers, None, source="link", now=now
    )


def posted(
    session: Session,
    invitation: Invitation,
    response: Response | None,
    answers: Mapping[str, int],
    *,
    now: dt.datetime,
) -> responses.Saved:
    """A mail client's one-click POST (RFC 8058 style: the unguessable token in the
    URL is the credential, and scanners do not POST): a person, at once. Checked
    and validated by the caller, as ``record``."""
    _new_click(session, invitation, answers, "post", now, seen_at=now)
    return responses.save(session, invitation, response, answers, None, source="link", now=now)
