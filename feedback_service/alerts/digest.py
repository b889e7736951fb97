"""The scheduled digest: the last complete day or week against the one before.

Everything in it comes from the scores service (``scores.service``): scores with their
intervals from the exact rollups, the targets, the scorecards' shrunk estimates,
and the comment analyses' categories. Dates are UTC calendar days.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from feedback_service.alerts.models import Alert, Digest
from feedback_service.alerts.service import STALE_SENDING, open_alert_count
from feedback_service.analysis.models import CommentAnalysis
from feedback_service.db import utcnow
from feedback_service.scores import service as reports
from feedback_service.scores.models import NO_ID
from feedback_service.surveys.models import Response

WORST_AGENTS = 5
RISING_CATEGORIES = 5


# --- periods ------------------------------------------------------------------------


def last_period(frequency: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """The last complete period before ``today``: yesterday, or last Monday..Sunday."""
    if frequency == "daily":
        day = today - dt.timedelta(days=1)
        return day, day
    if frequency == "weekly":
        end = today - dt.timedelta(days=today.weekday() + 1)
        return end - dt.timedelta(days=6), end
    raise ValueError(f"no digest period for frequency {frequency!r}")


def previous_period(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    length = end - start + dt.timedelta(days=1)
    return start - length, end - length


def is_due(end: dt.date, hour_utc: int, now: dt.datetime) -> bool:
    """A period's digest goes out from ``hour_utc`` on the day after it ends."""
    send_from = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(hour_utc), tzinfo=dt.UTC)
    return now >= send_from


# --- one digest per period ----------------------------------------------------------


def claim(
    session: Session, frequency: str, start: dt.date, end: dt.date, recipients: list[str]
) -> Digest | None:
    """The period's digest row, moved to ``sending``; None if it was sent or is
    being sent. The unique (frequency, period_start) key and the conditional
    UPDATE make two beats firing at once send one digest."""
    now = utcnow()
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(
        insert(Digest)
        .values(
            frequency=frequency,
            period_start=start,
            period_end=end,
            status="pending",
            attempts=0,
            recipients=recipients,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["frequency", "period_start"])
    )
    result = session.execute(
        update(Digest)
        .where(
            Digest.frequency == frequency,
            Digest.period_start == start,
            or_(
                Digest.status == "pending",
                (Digest.status == "sending") & (Digest.updated_at < now - STALE_SENDING),
            ),
        )
        .values(status="sending", attempts=Digest.attempts + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return session.scalars(
        select(Digest)
        .where(Digest.frequency == frequency, Digest.period_start == start)
        .execution_options(populate_existing=True)
    ).one()


# --- content ------------------------------------------------------------------------


def _significant(a: dict[str, Any] | None, b: dict[str, Any] | None) -> bool | None:
    """Whether two 95% intervals do not overlap: a conservative sign of a real change."""
    if not a or not b:
        return None
    return bool(a["high"] < b["low"] or b["high"] < a["low"])


def _period(start: dt.date, end: dt.date) -> dict[str, str]:
    return {"from": start.isoformat(), "to": end.isoformat()}


def _metrics(
    session: Session, current: reports.Summary, previous: reports.Summary
) -> dict[str, Any]:
    goals = reports.load_targets(session)
    out: dict[str, Any] = {}
    for metric in reports.METRICS:
        now_, before = current["metrics"][metric], previous["metrics"][metric]
        target = goals.by_key.get((metric, NO_ID, NO_ID))
        value, old = now_["value"], before["value"]
        out[metric] = {
            "value": value,
            "n": now_["n"],
            "interval": now_["interval"],
            "low_sample": now_["low_sample"],
            "target": target,
            "gap": None if target is None or value is None else value - target,
            "previous": {"value": old, "n": before["n"], "interval": before["interval"]},
            "change": None if value is None or old is None else value - old,
            "significant": _significant(now_["interval"], before["interval"]),
        }
    return out


def _worst_agents(
    session: Session, current: reports.Filters, previous: reports.Filters, min_n: int
) -> list[dict[str, Any]]:
    """Agents whose shrunk CSAT estimate fell the most since the previous period
    (shrunk, so an agent with two answers does not top the list on noise)."""
    before = {c["agent"]: c for c in reports.scorecards(session, previous, min_n)}
    fallen = []
    for card in reports.scorecards(session, current, min_n):
        old = before.get(card["agent"])
        now_m = card["metrics"]["csat"]
        old_m = old["metrics"]["csat"] if old else None
        if not old_m or not now_m["shrunk"] or not old_m["shrunk"]:
            continue
        change = now_m["shrunk"]["estimate"] - old_m["shrunk"]["estimate"]
        if change < 0:
            fallen.append(
                {
                    "agent": card["agent"],
                    "name": card["name"],
                    "team": card["team"],
                    "metric": "csat",
                    "estimate": now_m["shrunk"]["estimate"],
                    "previous_estimate": old_m["shrunk"]["estimate"],
                    "change": change,
                    "value": now_m["value"],
                    "n": now_m["n"],
                    "previous_value": old_m["value"],
                    "previous_n": old_m["n"],
                }
            )
    fallen.sort(key=lambda a: (a["change"], a["agent"]))
    return fallen[:WORST_AGENTS]


def _negative_categories(session: Session, f: reports.Filters) -> Counter[str]:
    """Negative findings per category in the comments of the period's responses."""
    rows = session.scalars(
        select(CommentAnalysis.findings)
        .join(Response, Response.id == CommentAnalysis.response_id)
        .where(
            Response.status == "confirmed",
            Response.submitted_at >= f.start_time(),
            Response.submitted_at < f.end_time(),
        )
    )
    counts: Counter[str] = Counter()
    for findings in rows:
        # One count per comment and category, however many sentences say it.
        categories = {
            f.get("category")
            for f in findings or []
            if f.get("sentiment") == "negative" and f.get("category")
        }
        counts.update(c for c in categories if isinstance(c, str))
    return counts


def _rising_categories(
    session: Session, current: reports.Filters, previous: reports.Filters
) -> list[dict[str, Any]]:
    now_c, old_c = _negative_categories(session, current), _negative_categories(session, previous)
    rising: list[dict[str, Any]] = [
        {
            "category": c,
            "count": n,
            "previous_count": old_c.get(c, 0),
            "change": n - old_c.get(c, 0),
        }
        for c, n in now_c.items()
        if n > old_c.get(c, 0)
    ]
    rising.sort(key=lambda r: (-r["change"], -r["count"], r["category"]))
    return rising[:RISING_CATEGORIES]


def _rate_pct(rate: reports.Rate) -> float | None:
    value = rate.get("value")
    return None if value is None else float(value)


def build(
    session: Session, frequency: str, start: dt.date, end: dt.date, min_n: int
) -> dict[str, Any]:
    """The digest's figures for ``[start, end]`` against the period before it."""
    prev_start, prev_end = previous_period(start, end)
    current = reports.Filters(start=start, end=end)
    previous = reports.Filters(start=prev_start, end=prev_end)
    now_s = reports.summary(session, current, min_n)
    old_s = reports.summary(session, previous, min_n)
    raised = session.scalar(
        select(func.count(Alert.id)).where(
            Alert.created_at >= current.start_time(), Alert.created_at < current.end_time()
        )
    )
    return {
        "frequency": frequency,
        "period": _period(start, end),
        "previous_period": _period(prev_start, prev_end),
        "responses": {"current": now_s["responses"], "previous": old_s["responses"]},
        "invitations_sent": {
            "current": now_s["invitations_sent"],
            "previous": old_s["invitations_sent"],
        },
        "response_rate": {
            "current": _rate_pct(now_s["response_rate"]),
            "previous": _rate_pct(old_s["response_rate"]),
        },
        "comment_rate": {
            "current": _rate_pct(now_s["comment_rate"]),
            "previous": _rate_pct(old_s["comment_rate"]),
        },
        "metrics": _metrics(session, now_s, old_s),
        "worst_agents": _worst_agents(session, current, previous, min_n),
        "rising_categories": _rising_categories(session, current, previous),
        "open_alerts": open_alert_count(session),
        "alerts_in_period": int(raised or 0),
        "min_sample": min_n,
    }
