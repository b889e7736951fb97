"""Write ``demo.planted`` data into the database, as the service would hold it.

For the API and integration tests (planted findings must come back out of the
real endpoints) and for demos. Each planted response becomes a customer's
ticket, its invitation, the confirmed response with the comment text, and the
comment's analysis with one finding carrying the planted issue's target and
category: exactly what the comment-analysis worker stores. Rows go in with
multi-row ``INSERT .. RETURNING`` (batched by SQLAlchemy), not ORM objects, so
tens of thousands of responses take seconds. The service flushes; the caller
commits.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from feedback_service.analysis.models import CommentAnalysis
from feedback_service.demo.issues import ISSUES, comment_text
from feedback_service.demo.planted import CHANNELS, PlantedData
from feedback_service.helpdesk.models import Agent, Customer, Team, Ticket
from feedback_service.surveys.models import Invitation, Response, Survey

MODEL_VERSION: Final = "planted"
CUSTOMERS: Final = 500


@dataclass(frozen=True, slots=True)
class LoadedWorld:
    """External ids as the API sees them, and the first day of the data."""

    tag: str
    agent_ids: tuple[str, ...]  # planted agent index -> external id
    team_ids: tuple[str, ...]  # per agent
    first_day: dt.date
    last_day: dt.date
    response_ids: tuple[int, ...]  # planted row -> response id

    def agent(self, planted_id: str) -> str:
        return f"{self.tag}{planted_id}"


def finding_sentiment(issue_index: int) -> str:
    issue = ISSUES[issue_index]
    if issue.category in ("praised", "praise-general"):
        return "positive"
    return "neutral" if issue.target == "none" else "negative"


def submitted_at(data: PlantedData, row: int, first_day: dt.date) -> dt.datetime:
    """The row's answer time: in its week, at a minute drawn from its phrasing seed."""
    minute = int(data.phrasing[row]) % (7 * 24 * 60)
    day = first_day + dt.timedelta(weeks=int(data.week[row]))
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC) + dt.timedelta(minutes=minute)


def _insert_returning(
    session: Session, table: Any, key: str, rows: Sequence[dict[str, Any]]
) -> list[int]:
    """Insert ``rows`` and give back their ids in order, read back by a unique ``key``.

    A plain executemany and one SELECT: ``INSERT .. RETURNING`` in parameter order
    is sent row by row on SQLite, a hundred times slower.
    """
    if not rows:
        return []
    core = table.__table__
    session.connection().execute(insert(core), list(rows))
    wanted = [row[key] for row in rows]
    found: dict[Any, int] = {}
    for start in range(0, len(wanted), 5_000):
        chunk = wanted[start : start + 5_000]
        found.update(
            (k, int(i))
            for k, i in session.connection().execute(
                select(core.c[key], core.c.id).where(core.c[key].in_(chunk))
            )
        )
    return [found[k] for k in wanted]


@dataclass(frozen=True, slots=True)
class _Rows:
    """The planted rows with their people's ids: one method per table written."""

    data: PlantedData
    tag: str
    now: dt.datetime
    who: list[dict[str, Any]]  # per row: its customer, agent, team and channel
    moments: list[dt.datetime]
    texts: list[str | None]

    def ticket(self, r: int) -> dict[str, Any]:
        issue = int(self.data.issue[r])
        return {
            **self.who[r],
            "source": "api",
            "external_id": f"{self.tag}T{r}",
            "product": (ISSUES[issue].product or None) if issue >= 0 else None,
            "tags": [],
            "closed_at": self.moments[r] - dt.timedelta(hours=1),
            "contacts": 1,
            "escalated": False,
            "reopened": False,
            "created_at": self.now,
            "updated_at": self.now,
        }

    def invitation(self, r: int, survey_id: int, ticket_id: int) -> dict[str, Any]:
        return {
            **self.who[r],
            "token": f"{self.tag}{r:x}",
            "survey_id": survey_id,
            "ticket_id": ticket_id,
            "locale": "en",
            "delivery": "email",
            "status": "sent",
            "attempts": 1,
            "sent_at": self.moments[r] - dt.timedelta(minutes=30),
            "answered_at": self.moments[r],
            "created_at": self.moments[r] - dt.timedelta(minutes=50),
            "updated_at": self.moments[r],
        }

    def response(
        self, r: int, survey_id: int, ticket_id: int, invitation_id: int
    ) -> dict[str, Any]:
        return {
            **self.who[r],
            "invitation_id": invitation_id,
            "survey_id": survey_id,
            "ticket_id": ticket_id,
            "locale": "en",
            "csat": int(self.data.csat[r]),
            "comment": self.texts[r],
            "status": "confirmed",
            "source": "page",
            "submitted_at": self.moments[r],
            "updated_at": self.moments[r],
            "confirmed_at": self.moments[r],
            "version": 1,
            "processed_version": 1,
        }

    def analysis(self, r: int, response_id: int) -> dict[str, Any]:
        issue = int(self.data.issue[r])
        return {
            "response_id": response_id,
            "response_version": 1,
            "model_version": MODEL_VERSION,
            "language": "en",
            "supported": True,
            "sentiment": finding_sentiment(issue),
            "sentiment_score": None,
            "findings": [
                {
                    "target": ISSUES[issue].target,
                    "category": ISSUES[issue].category,
                    "confidence": round(float(self.data.confidence[r]), 3),
                    "sentence": self.texts[r],
                    "sentiment": finding_sentiment(issue),
                }
            ],
            "key_phrases": [],
            "created_at": self.moments[r],
            "updated_at": self.moments[r],
        }


def _people(
    session: Session, data: PlantedData, tag: str, now: dt.datetime
) -> tuple[dict[str, int], list[int], list[int]]:
    """Teams, agents and customers: their ids by team name, agent index, customer index."""
    team_names = sorted(set(data.team_ids))
    team_rows = [{"external_id": f"{tag}{t}", "name": t, "created_at": now} for t in team_names]
    team_ids = _insert_returning(session, Team, "external_id", team_rows)
    team_pk = dict(zip(team_names, team_ids, strict=True))
    agent_pk = _insert_returning(
        session,
        Agent,
        "external_id",
        [
            {
                "external_id": f"{tag}{a}",
                "name": f"Agent {a[-4:]}",
                "team_id": team_pk[data.team_ids[i]],
                "created_at": now,
                "updated_at": now,
            }
            for i, a in enumerate(data.agent_ids)
        ],
    )
    customer_pk = _insert_returning(
        session,
        Customer,
        "external_id",
        [
            {
                "external_id": f"{tag}c{i}",
                "email": f"{tag}c{i}@example.com",
                "created_at": now,
                "updated_at": now,
            }
            for i in range(min(CUSTOMERS, max(1, data.responses)))
        ],
    )
    return team_pk, agent_pk, customer_pk


def load_planted(
    session: Session,
    data: PlantedData,
    *,
    first_day: dt.date | None = None,
    survey_key: str = "post-ticket",
    tag: str | None = None,
) -> LoadedWorld:
    """Insert ``data`` (every response, every comment and its analysis); flush only.

    ``first_day`` moves the data in time (default: the planted weeks' own dates);
    ``tag`` prefixes every external id so two loads never collide.
    """
    tag = f"p{secrets.token_hex(3)}-" if tag is None else tag
    first_day = first_day or data.weeks[0]
    survey_id = session.scalar(select(Survey.id).where(Survey.key == survey_key))
    if survey_id is None:
        raise ValueError(f"no survey {survey_key!r}")
    now = dt.datetime.now(dt.UTC)
    rows = range(data.responses)
    team_pk, agent_pk, customer_pk = _people(session, data, tag, now)
    agent, channel, issue = data.agent.tolist(), data.channel.tolist(), data.issue.tolist()
    out = _Rows(
        data,
        tag,
        now,
        who=[
            {
                "customer_id": customer_pk[r % len(customer_pk)],
                "agent_id": agent_pk[agent[r]],
                "team_id": team_pk[data.team_ids[agent[r]]],
                "channel": CHANNELS[channel[r]],
            }
            for r in rows
        ],
        moments=[submitted_at(data, r, first_day) for r in rows],
        texts=[
            comment_text(issue[r], int(data.phrasing[r])) if issue[r] >= 0 else None for r in rows
        ],
    )
    tickets = _insert_returning(session, Ticket, "external_id", [out.ticket(r) for r in rows])
    invitations = _insert_returning(
        session, Invitation, "token", [out.invitation(r, survey_id, tickets[r]) for r in rows]
    )
    responses = _insert_returning(
        session,
        Response,
        "invitation_id",
        [out.response(r, survey_id, tickets[r], invitations[r]) for r in rows],
    )
    commented = np.flatnonzero(data.issue >= 0).tolist()
    if commented:
        analyses: Any = CommentAnalysis.__table__
        session.connection().execute(
            insert(analyses), [out.analysis(r, responses[r]) for r in commented]
        )
    session.flush()
    return LoadedWorld(
        tag=tag,
        agent_ids=tuple(f"{tag}{a}" for a in data.agent_ids),
        team_ids=tuple(f"{tag}{t}" for t in data.team_ids),
        first_day=first_day,
        last_day=first_day + dt.timedelta(weeks=len(data.weeks), days=-1),
        response_ids=tuple(responses),
    )
