"""Response rate split by how the survey reached the customer and by the reminder.

The cohort is the invitations sent in the range (under the report's filters);
an invitation counts as answered when it holds a confirmed response, whenever it
came (a provisional one-click rating may be a mail scanner's and counts nowhere).

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
from typing import TypedDict

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from feedback_service.scores.filters import Filters, column_conditions
from feedback_service.scores.histograms import Rate, rate
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


def response_rates(session: Session, f: Filters) -> ResponseRates:
    """One ``GROUP BY`` over the invitations sent in the range and their answers."""
    i, r = Invitation, Response
    # Plain comparisons, no bound values: PostgreSQL must see the grouped
    # expressions as the selected ones. ``after`` is null without a reminder.
    reminded = i.reminder_sent_at.is_not(None)
    after = r.submitted_at >= i.reminder_sent_at
    stmt = (
        select(i.delivery, r.source, reminded, after, func.count(i.id))
        .outerjoin(r, and_(r.invitation_id == i.id, r.status == "confirmed"))
        .where(
            i.sent_at.is_not(None),
            *column_conditions(f, i.sent_at, i.team_id, i.agent_id, i.channel, i.survey_id),
        )
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
