"""The response rate, and its split by how the survey reached the customer and by
the reminder.

The one definition of the response rate, used by every report that shows one
(the summary, its CSV, the dashboard, the printable report, the digest): the
cohort is the invitations sent in the range (under the report's filters,
``cohort``); an invitation counts as answered when it holds a confirmed response
(``ANSWER``), whenever it came (a provisional one-click rating may be a mail
scanner's and counts nowhere). Answers submitted in the range are a different
figure (the summary's ``responses``) and are never divided by the sends: for a
short range they include answers to surveys sent before it. ``answered_and_sent``
reads both counts from the invitation rollups on PostgreSQL
(``scores.models.INVITATIONS``, declared with this rule) and counts them here
elsewhere.

* ``by_delivery``: per invitation delivery (``email``: we sent it; ``link``: the
  helpdesk took the survey link or the embed snippet), answered / sent.
* ``by_reminder``: answered before the reminder (or with no reminder sent) out
  of every invitation sent, and answered after it out of the invitations that
  were reminded: what the reminder adds.
* ``answered_via``: where the answers came from, as a share of the answers:
  ``email_button`` (a rating clicked in the email, confirmed by a person),
  ``page`` (the survey page's form) and ``widget`` (the embedded widget or an
  app, through ``POST /api/v1/responses``). An invitation records no widget
  delivery of its own (a widget shows a ``link`` invitation), so this is where
  the widget's share shows.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, TypedDict

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from feedback_service.scores import trigger_rollups
from feedback_service.scores.filters import (
    Filters,
    column_conditions,
    rollup_conditions,
    rollup_pieces,
)
from feedback_service.scores.histograms import Rate, rate
from feedback_service.scores.models import InvitationRollup, MonthlyInvitationRollup, ScoreRollup
from feedback_service.surveys.models import DELIVERIES, Invitation, Response

# ``responses.source`` -> how the report names the way the answer came.
ANSWERED_VIA = {"link": "email_button", "page": "page", "api": "widget"}


class DeliveryRate(TypedDict):
    delivery: str
    sent: int
    response_rate: Rate


class ReminderSplit(TypedDict):
    sent: int
    reminded: int
    answered_before_reminder: Rate  # out of every invitation sent
    answered_after_reminder: Rate  # out of the invitations reminded


class AnsweredVia(TypedDict):
    way: str
    share: Rate  # of the answered invitations


class ResponseRates(TypedDict):
    sent: int
    answered: int
    response_rate: Rate
    by_delivery: list[DeliveryRate]
    by_reminder: ReminderSplit
    answered_via: list[AnsweredVia]


# The answer that makes an invitation answered (joined to ``Invitation``).
ANSWER = and_(Response.invitation_id == Invitation.id, Response.status == "confirmed")


def cohort(f: Filters) -> list[ColumnElement[bool]]:
    """The invitations sent in the range, under the report's filters."""
    i = Invitation
    return [
        i.sent_at.is_not(None),
        *column_conditions(f, i.sent_at, i.team_id, i.agent_id, i.channel, i.survey_id),
    ]


def answered_and_sent(session: Session, f: Filters) -> tuple[int, int]:
    """(answered, sent) of the cohort: from the invitation rollups on PostgreSQL
    (both in one read per piece of the range), counted elsewhere."""
    if not trigger_rollups.in_use(session):
        row = session.execute(
            select(func.count(Response.id), func.count(Invitation.id))
            .select_from(Invitation)
            .outerjoin(Response, ANSWER)
            .where(*cohort(f))
        ).one()
        return int(row[0]), int(row[1])
    answered = sent = 0
    for piece, first, last in rollup_pieces(f.start, f.end):
        table: Any = InvitationRollup if piece is ScoreRollup else MonthlyInvitationRollup
        row = session.execute(
            select(func.sum(table.answered), func.sum(table.sent)).where(
                *rollup_conditions(table, first, last, f)
            )
        ).one()
        answered, sent = answered + int(row[0] or 0), sent + int(row[1] or 0)
    return answered, sent


def response_rates(session: Session, f: Filters) -> ResponseRates:
    """One ``GROUP BY`` over the invitations sent in the range and their answers."""
    i, r = Invitation, Response
    # Plain comparisons, no bound values: PostgreSQL must see the grouped
    # expressions as the selected ones. ``after`` is null without a reminder.
    reminded = i.reminder_sent_at.is_not(None)
    after = r.submitted_at >= i.reminder_sent_at
    stmt = (
        select(i.delivery, r.source, reminded, after, func.count(i.id))
        .outerjoin(r, ANSWER)
        .where(*cohort(f))
        .group_by(i.delivery, r.source, reminded, after)
    )
    sent: Counter[str] = Counter()
    answered: Counter[str] = Counter()
    via: Counter[str] = Counter()
    reminder: Counter[str] = Counter()
    for delivery, source, was_reminded, came_after, count in session.execute(stmt):
        n = int(count)
        sent[delivery] += n
        reminder["reminded"] += n if was_reminded else 0
        if source is None:
            continue
        answered[delivery] += n
        via[ANSWERED_VIA.get(source, source)] += n
        reminder["after" if came_after else "before"] += n
    total_sent, total_answered = sum(sent.values()), sum(answered.values())
    deliveries = [*DELIVERIES, *sorted(set(sent) - set(DELIVERIES))]
    ways = [*ANSWERED_VIA.values(), *sorted(set(via) - set(ANSWERED_VIA.values()))]
    return {
        "sent": total_sent,
        "answered": total_answered,
        "response_rate": rate(total_answered, total_sent),
        "by_delivery": [
            {"delivery": d, "sent": sent[d], "response_rate": rate(answered[d], sent[d])}
            for d in deliveries
        ],
        "by_reminder": {
            "sent": total_sent,
            "reminded": reminder["reminded"],
            "answered_before_reminder": rate(reminder["before"], total_sent),
            "answered_after_reminder": rate(reminder["after"], reminder["reminded"]),
        },
        "answered_via": [{"way": w, "share": rate(via[w], total_answered)} for w in ways],
    }
