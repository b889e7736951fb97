"""Ticket rollups on PostgreSQL: the trigger-kept counts equal the rebuilt ones and
the ones counted from the raw tickets, through inserts, edits, moves between days,
agents and teams, reopening, deletes and the dispatch path's upsert; and the
summary's ticket KPIs (exact median and p90 read band by band) equal numpy's over
the raw tickets for every filter."""

from __future__ import annotations

import datetime as dt
import math
import random
import secrets
from collections import Counter
from typing import Any

import numpy as np
import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from feedback_service.helpdesk import service as helpdesk
from feedback_service.helpdesk.models import Ticket
from feedback_service.scores import rollups
from feedback_service.scores import service as reports
from feedback_service.scores.models import (
    FCR_GAP_COUNTS,
    NO_CHANNEL,
    NO_ID,
    TICKET_COUNTS,
    FcrGapRollup,
    MonthlyFcrGapRollup,
    MonthlyTicketDurationRollup,
    MonthlyTicketRollup,
    TicketDurationRollup,
    TicketRollup,
)
from feedback_service.surveys.models import Response
from tests.integration.test_rollups import START, make_world


@pytest.fixture(autouse=True)
def _postgresql_only(db_session: Session) -> None:
    if db_session.get_bind().dialect.name != "postgresql":
        pytest.skip("ticket rollups are kept by PostgreSQL triggers (SQLite computes live)")


def _counts_of(ticket: Ticket) -> list[int]:
    """What one closed ticket adds to each count, in ``TICKET_COUNTS`` order."""
    return [
        1,
        int(ticket.escalated is not None),
        int(ticket.escalated is True),
        int(ticket.reopened is not None),
        int(ticket.reopened is True),
        int(ticket.contacts is not None),
        int(ticket.contacts is not None and ticket.contacts <= 1 and ticket.reopened is not True),
    ]


def _seconds(later: dt.datetime | None, earlier: dt.datetime | None) -> float | None:
    return None if later is None or earlier is None else (later - earlier).total_seconds()


def expected_cells(
    tickets: list[Ticket],
) -> tuple[dict[tuple[Any, ...], list[int]], Counter[tuple[Any, ...]]]:
    """Counts per (day, agent, team, channel) and tickets per (day, team, kind),
    computed in Python from the raw tickets."""
    counts: dict[tuple[Any, ...], list[int]] = {}
    durations: Counter[tuple[Any, ...]] = Counter()
    for t in tickets:
        if t.closed_at is None:
            continue
        day = t.closed_at.astimezone(dt.UTC).date()
        key = (day, t.agent_id or NO_ID, t.team_id or NO_ID, t.channel or NO_CHANNEL)
        cell = counts.setdefault(key, [0] * len(TICKET_COUNTS))
        for i, v in enumerate(_counts_of(t)):
            cell[i] += v
        for kind, later in (("first_response", t.first_response_at), ("resolution", t.resolved_at)):
            if _seconds(later, t.opened_at) is not None:
                durations[(day, t.team_id or NO_ID, kind)] += 1
    return counts, durations


def kept_cells(
    session: Session, table: Any, keys: tuple[str, ...], counts: tuple[str, ...]
) -> dict[tuple[Any, ...], list[int]]:
    """A rollup's non-empty cells: (date, *keys) -> counts, daily or monthly table."""
    date = table.month if hasattr(table, "month") else table.day
    columns = [date, *(getattr(table, k) for k in keys), *(getattr(table, c) for c in counts)]
    width = 1 + len(keys)
    rows = session.execute(select(*columns))
    return {tuple(r[:width]): list(r[width:]) for r in rows if any(r[width:])}


def kept_counts(session: Session, monthly: bool = False) -> dict[tuple[Any, ...], list[int]]:
    table = MonthlyTicketRollup if monthly else TicketRollup
    return kept_cells(session, table, ("agent_id", "team_id", "channel"), TICKET_COUNTS)


def kept_bands(session: Session, monthly: bool = False) -> Counter[tuple[Any, ...]]:
    table: Any = MonthlyTicketDurationRollup if monthly else TicketDurationRollup
    date = table.month if monthly else table.day
    rows = session.execute(select(date, table.team_id, table.kind, table.bucket, table.count))
    return Counter({tuple(r[:4]): r[4] for r in rows if r[4]})


def by_month(cells: dict[tuple[Any, ...], list[int]]) -> dict[tuple[Any, ...], list[int]]:
    out: dict[tuple[Any, ...], list[int]] = {}
    for (day, *rest), values in cells.items():
        cell = out.setdefault((day.replace(day=1), *rest), [0] * len(values))
        for i, v in enumerate(values):
            cell[i] += v
    return out


def all_tickets(session: Session) -> list[Ticket]:
    session.flush()
    session.expire_all()
    return list(session.scalars(select(Ticket)))


def churn(session: Session, tickets: list[Ticket], rng: random.Random) -> None:
    """Edit tickets the ways a helpdesk does, through the ORM and the dispatch SQL."""
    for ticket in rng.sample(tickets, len(tickets) // 3):
        change = rng.randrange(6)
        if change == 0 and ticket.closed_at is not None:  # closed on another day
            ticket.closed_at += dt.timedelta(days=rng.randint(-20, 20), minutes=rng.randint(0, 99))
        elif change == 1:  # handed to another agent and team
            other = rng.choice(tickets)
            ticket.agent_id, ticket.team_id = other.agent_id, other.team_id
        elif change == 2:
            ticket.reopened = not ticket.reopened
            ticket.contacts = rng.choice([1, 2, None])
            ticket.escalated = rng.choice([True, False, None])
        elif change == 3:  # reopened and not closed any more
            ticket.closed_at = None
        elif change == 4:
            ticket.first_response_at = None if ticket.first_response_at else ticket.opened_at
            ticket.channel = rng.choice(["email", "chat", None])
        else:  # a slower resolution: moves between duration bands
            assert ticket.resolved_at is not None
            ticket.resolved_at += dt.timedelta(minutes=rng.randint(1, 5000))
        session.flush()
    # Tickets only the helpdesk knows of, written by the dispatch upsert, then
    # updated by it (a second dispatch about the same ticket) and some deleted.
    tag = secrets.token_hex(3)
    for i in range(20):
        opened = START + dt.timedelta(hours=rng.randint(0, 60 * 24))
        closed = opened + dt.timedelta(minutes=rng.randint(3000, 4000))
        data: dict[str, Any] = {
            "id": f"D-{tag}-{i}",
            "channel": rng.choice(["email", "chat"]),
            "opened_at": opened,
            "first_response_at": opened + dt.timedelta(minutes=rng.randint(1, 300)),
            "resolved_at": opened + dt.timedelta(minutes=rng.randint(300, 3000)),
            "closed_at": closed,
            "contacts": rng.choice([1, 2]),
        }
        helpdesk.upsert_ticket(session, data, source="api", agent=None, customer=None)
        if i % 2:
            data["reopened"] = True
            data["closed_at"] = closed + dt.timedelta(days=3)
            helpdesk.upsert_ticket(session, data, source="api", agent=None, customer=None)
    session.execute(delete(Ticket).where(Ticket.external_id.like(f"D-{tag}-%0")))
    session.flush()


def test_trigger_kept_rollups_equal_rebuilt_and_raw_counts(db_session: Session) -> None:
    rng = random.Random(61)
    world = make_world(db_session, rng, n_tickets=250, days=80)
    churn(db_session, world.tickets, rng)

    tickets = all_tickets(db_session)
    counts, durations = expected_cells(tickets)
    kept_daily, kept_monthly = kept_counts(db_session), kept_counts(db_session, monthly=True)
    bands_daily, bands_monthly = kept_bands(db_session), kept_bands(db_session, monthly=True)
    assert kept_daily == counts
    assert kept_monthly == by_month(counts)
    per_day_team_kind: Counter[tuple[Any, ...]] = Counter()
    for (day, team, kind, _bucket), n in bands_daily.items():
        per_day_team_kind[(day, team, kind)] += n
    assert per_day_team_kind == durations
    monthly_from_daily: Counter[tuple[Any, ...]] = Counter()
    for (day, team, kind, bucket), n in bands_daily.items():
        monthly_from_daily[(day.replace(day=1), team, kind, bucket)] += n
    assert bands_monthly == monthly_from_daily

    rollups.rebuild_ticket_rollups(db_session)
    assert kept_counts(db_session) == kept_daily
    assert kept_counts(db_session, monthly=True) == kept_monthly
    assert kept_bands(db_session) == bands_daily
    assert kept_bands(db_session, monthly=True) == bands_monthly


def _expected_kpis(tickets: list[Ticket], f: reports.Filters) -> dict[str, Any]:
    def inside(t: Ticket) -> bool:
        if t.closed_at is None:
            return False
        day = t.closed_at.astimezone(dt.UTC).date()
        return (
            (f.start is None or day >= f.start)
            and (f.end is None or day <= f.end)
            and (f.team_id is None or t.team_id == f.team_id)
            and (f.agent_id is None or t.agent_id == f.agent_id)
            and (f.channel is None or t.channel == f.channel)
        )

    chosen = [t for t in tickets if inside(t)]
    out: dict[str, Any] = {"tickets": len(chosen)}
    for kind, attr in (("first_response", "first_response_at"), ("resolution", "resolved_at")):
        values = [s for t in chosen if (s := _seconds(getattr(t, attr), t.opened_at)) is not None]
        out[kind] = (
            (len(values), float(np.percentile(values, 50)), float(np.percentile(values, 90)))
            if values
            else (0, None, None)
        )
    totals = [sum(col) for col in zip(*(_counts_of(t) for t in chosen), strict=False)]
    out["counts"] = totals or [0] * len(TICKET_COUNTS)
    return out


def test_summary_ticket_kpis_are_exact_for_every_filter(db_session: Session) -> None:
    rng = random.Random(67)
    world = make_world(db_session, rng, n_tickets=400, days=80)
    churn(db_session, world.tickets, rng)
    tickets = all_tickets(db_session)
    team = world.teams[0].id
    agent = world.agents[1].id
    cases = [
        reports.Filters(),
        reports.Filters(team_id=team),
        # whole months and partial months at both ends
        reports.Filters(dt.date(2026, 9, 10), dt.date(2026, 11, 12)),
        reports.Filters(dt.date(2026, 9, 1), dt.date(2026, 10, 31), team_id=team),
        reports.Filters(dt.date(2026, 10, 3), dt.date(2026, 10, 3)),
        reports.Filters(dt.date(2026, 9, 14), dt.date(2026, 10, 20), agent_id=agent),
        reports.Filters(channel="chat"),
        reports.Filters(dt.date(2030, 1, 1), dt.date(2030, 1, 31)),
    ]
    for f in cases:
        got = reports.operational_kpis(db_session, f)
        want = _expected_kpis(tickets, f)
        assert got["tickets"] == want["tickets"], f
        _volume, esc_n, esc, reo_n, reo, fcr_n, fcr = want["counts"]
        assert (got["escalation_rate"]["n"], got["escalation_rate"].get("count", 0)) == (
            esc_n,
            esc if esc_n else 0,
        ), f
        assert got["reopen_rate"]["n"] == reo_n, f
        assert got["operational_fcr"]["n"] == fcr_n, f
        if fcr_n:
            assert got["operational_fcr"]["count"] == fcr, f
        if reo_n:
            assert got["reopen_rate"]["count"] == reo, f
        for kind in ("first_response", "resolution"):
            n, median, p90 = want[kind]
            stats = got[f"{kind}_seconds"]
            assert stats["n"] == n, (f, kind)
            if n:
                assert math.isclose(stats["median"], median, rel_tol=1e-12, abs_tol=1e-6), f
                assert math.isclose(stats["p90"], p90, rel_tol=1e-12, abs_tol=1e-6), f
            else:
                assert stats["median"] is None and stats["p90"] is None


def test_trigger_kept_invitation_counts_equal_rebuilt_and_raw_counts(db_session: Session) -> None:
    from feedback_service.scores.models import InvitationRollup, MonthlyInvitationRollup
    from feedback_service.surveys.models import Invitation

    rng = random.Random(71)
    world = make_world(db_session, rng, n_tickets=200, days=70)
    for invitation in rng.sample(world.invitations, 80):
        change = rng.randrange(3)
        if change == 0:  # sent later (a retry), maybe in another month
            invitation.sent_at = START + dt.timedelta(days=rng.randint(0, 90))
        elif change == 1:  # never sent after all
            invitation.sent_at = None
        else:  # an update that moves no count
            invitation.attempts += 1
        db_session.flush()

    def kept(monthly: bool) -> dict[tuple[Any, ...], int]:
        table: Any = MonthlyInvitationRollup if monthly else InvitationRollup
        date = table.month if monthly else table.day
        rows = db_session.execute(
            select(date, table.agent_id, table.team_id, table.channel, table.survey_id, table.sent)
        )
        return {tuple(r[:5]): r[5] for r in rows if r[5]}

    db_session.expire_all()
    raw: Counter[tuple[Any, ...]] = Counter()
    for i in db_session.scalars(select(Invitation).where(Invitation.sent_at.is_not(None))):
        day = i.sent_at.astimezone(dt.UTC).date() if i.sent_at else None
        raw[
            (day, i.agent_id or NO_ID, i.team_id or NO_ID, i.channel or NO_CHANNEL, i.survey_id)
        ] += 1
    monthly_raw: Counter[tuple[Any, ...]] = Counter()
    for (day, *rest), n in raw.items():
        monthly_raw[(day.replace(day=1), *rest)] += n
    assert kept(False) == dict(raw)
    assert kept(True) == dict(monthly_raw)
    rollups.rebuild_invitation_rollups(db_session)
    assert kept(False) == dict(raw)
    assert kept(True) == dict(monthly_raw)
    f = reports.Filters(dt.date(2026, 9, 20), dt.date(2026, 11, 3), team_id=world.teams[1].id)
    assert reports.invitations_sent(db_session, f) == sum(
        n
        for (day, _a, team, _c, _s), n in raw.items()
        if team == f.team_id and f.start <= day <= f.end
    )


# --- ticket factors on answers and FCR-gap rollups (migration 0014) ----------------


def _factors_of(ticket: Ticket) -> tuple[Any, ...]:
    return (
        ticket.contacts,
        ticket.escalated,
        ticket.reopened,
        _seconds(ticket.first_response_at, ticket.opened_at),
        _seconds(ticket.resolved_at, ticket.opened_at),
    )


def _kept_factors(response: Any) -> tuple[Any, ...]:
    return (
        response.ticket_contacts,
        response.ticket_escalated,
        response.ticket_reopened,
        response.ticket_first_response_seconds,
        response.ticket_resolution_seconds,
    )


def _expected_fcr_gap_cells(session: Session) -> dict[tuple[Any, ...], list[int]]:
    """Counted in Python from the raw answers and their tickets as they are now."""
    tickets = {t.id: t for t in session.scalars(select(Ticket))}
    cells: dict[tuple[Any, ...], list[int]] = {}
    for r in session.scalars(select(Response)):
        ticket = tickets[r.ticket_id]
        if r.status != "confirmed" or r.fcr is None or ticket.contacts is None:
            continue
        day = r.submitted_at.astimezone(dt.UTC).date()
        key = (day, r.agent_id or NO_ID, r.team_id or NO_ID, r.channel or NO_CHANNEL, r.survey_id)
        desk = ticket.contacts <= 1 and ticket.reopened is not True
        cell = cells.setdefault(key, [0, 0, 0, 0])
        for i, v in enumerate((1, r.fcr == 1, desk, desk and r.fcr != 1)):
            cell[i] += int(v)
    return cells


def _kept_fcr_gap_cells(
    session: Session, monthly: bool = False
) -> dict[tuple[Any, ...], list[int]]:
    table = MonthlyFcrGapRollup if monthly else FcrGapRollup
    keys = ("agent_id", "team_id", "channel", "survey_id")
    return kept_cells(session, table, keys, FCR_GAP_COUNTS)


def test_answers_follow_their_tickets_and_fcr_gap_rollups_stay_exact(
    db_session: Session,
) -> None:
    """The factors kept on each answer equal its ticket's after the helpdesk edits
    tickets (ORM and dispatch upsert) and answers change (amended, confirmed,
    moved to another day, deleted); the FCR-gap cells equal the counts from the
    raw rows, daily and monthly, and a rebuild changes nothing."""
    rng = random.Random(83)
    world = make_world(db_session, rng, n_tickets=250, days=80)
    answers = list(world.responses)
    assert answers
    # Before any change: every answer already carries its ticket's factors.
    db_session.expire_all()
    for r in answers:
        assert _kept_factors(r) == _factors_of(db_session.get(Ticket, r.ticket_id))  # type: ignore[arg-type]

    churn(db_session, world.tickets, rng)
    # The dispatch path's upsert reopening an answered ticket: one statement that
    # must reach the answers too.
    answered = db_session.get(Ticket, answers[0].ticket_id)
    assert answered is not None
    helpdesk.upsert_ticket(
        db_session,
        {
            "id": answered.external_id,
            "channel": answered.channel,
            "opened_at": answered.opened_at,
            "closed_at": answered.closed_at,
            "contacts": 1,
            "reopened": True,
        },
        source=answered.source,
        agent=None,
        customer=None,
    )
    for r in rng.sample(answers, len(answers) // 4):
        change = rng.randrange(4)
        if change == 0:  # amended
            r.fcr = None if r.fcr is not None else rng.choice([0, 1])
        elif change == 1:  # a provisional answer confirmed, or a confirmed one withdrawn
            r.status = "confirmed" if r.status != "confirmed" else "provisional"
        elif change == 2:  # submitted on another day, maybe another month
            r.submitted_at += dt.timedelta(days=rng.randint(-40, 40))
        else:
            r.version += 1  # an update that moves no count
        db_session.flush()
    for r in rng.sample(answers, 5):
        db_session.delete(r)
    db_session.flush()

    db_session.expire_all()
    for r in db_session.scalars(select(Response)):
        assert _kept_factors(r) == _factors_of(db_session.get(Ticket, r.ticket_id))  # type: ignore[arg-type]
    expected = _expected_fcr_gap_cells(db_session)
    assert any(cell[2] for cell in expected.values())  # some desk FCRs to move
    kept_daily = _kept_fcr_gap_cells(db_session)
    kept_monthly = _kept_fcr_gap_cells(db_session, monthly=True)
    assert kept_daily == expected
    assert kept_monthly == by_month(expected)

    rebuilt_cells = rollups.rebuild_fcr_gap_rollups(db_session)
    assert rebuilt_cells == len(kept_daily)
    assert _kept_fcr_gap_cells(db_session) == kept_daily
    assert _kept_fcr_gap_cells(db_session, monthly=True) == kept_monthly

    # The report reads the cells: per agent, the same counts as the raw rows.
    f = reports.Filters(dt.date(2026, 9, 10), dt.date(2026, 11, 5), team_id=world.teams[0].id)
    gaps = {g["agent"]: g for g in reports.fcr_gaps(db_session, f)}
    external = {a.id: a.external_id for a in world.agents}
    per_agent: dict[str, int] = Counter()
    for (day, agent, team, _channel, _survey), cell in expected.items():
        if team == f.team_id and f.start <= day <= f.end:
            per_agent[external[agent]] += cell[0]
    assert {a: g["answered"] for a, g in gaps.items()} == {a: n for a, n in per_agent.items() if n}
