"""What the pattern runs read from the database equals what the planted data say.

The generator's own counting (``planted.agent_periods`` and friends, numpy over
the generated columns) is the independent reference; the loader must get the
same numbers back out of the tables with SQL and streamed comment analyses.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from sqlalchemy import select
from sqlalchemy.orm import Session

from feedback_service.demo import planted, planted_db
from feedback_service.helpdesk.models import Team
from feedback_service.patterns import compute, loading, service


def test_agent_counts_csat_and_theme_sentences_match_the_generator(db_session: Session) -> None:
    data = planted.generate(
        11, planted.Plant(), teams=2, agents_per_team=4, weeks=8, responses_per_agent_week=40
    )
    world = planted_db.load_planted(db_session, data)
    db_session.flush()
    day = dt.timedelta(days=1)
    current = loading.DayRange(world.first_day + dt.timedelta(weeks=4), world.last_day)
    previous = loading.DayRange(world.first_day, current.first - day)

    inputs = loading.load_agent_inputs(db_session, loading.Scope(), current, previous)
    for got_list, period in ((inputs.current, "current"), (inputs.previous, "previous")):
        got = {p.agent_id: p for p in got_list}
        for want in planted.agent_periods(data, period):
            mine = got[world.agent(want.agent_id)]
            assert mine.team_id == f"{world.tag}{want.team_id}"
            assert {c: n for c, n in mine.responses.items() if n} == {
                c: n for c, n in want.responses.items() if n
            }
            for category, by_channel in want.hits.items():
                expected = {c: n for c, n in by_channel.items() if n}
                assert {c: n for c, n in mine.hits.get(category, {}).items() if n} == expected
            # Product and process categories too, not only the agent-directed ones.
            assert {"bug", "wait-time", "rude"} <= set(want.hits)
            for measure, by_channel in want.measures.items():
                expected = {c: n for c, n in by_channel.items() if n}
                assert {c: n for c, n in mine.measures.get(measure, {}).items() if n} == expected
            # Every planted response answers CSAT: its denominator is the responses.
            assert {c: n for c, n in mine.answered["low_csat"].items() if n} == {
                c: n for c, n in want.responses.items() if n
            }
            assert "low_nps" not in mine.measures  # nobody answered NPS
            if period == "current":
                for category, examples in want.examples.items():
                    assert len(mine.examples.get(category, ())) == len(examples)
                assert len(mine.measure_examples.get("negative_comments", ())) == len(
                    want.measure_examples["negative_comments"]
                )

    assert {"rude", "praised"} <= inputs.agent_categories
    assert not inputs.agent_categories & {"bug", "wait-time"}

    csat = {c.agent_id: c for c in inputs.csat}
    for want in planted.csat_counts(data):
        mine = csat[world.agent(want.agent_id)]
        assert (mine.answers, mine.satisfied) == (want.answers, want.satisfied)
        assert mine.unsatisfied_product == want.unsatisfied_product
        assert mine.unsatisfied_process == want.unsatisfied_process

    themes = loading.load_theme_inputs(
        db_session, loading.Scope(), loading.DayRange(world.first_day, world.last_day)
    )
    want_sentences = Counter(
        (c.target, c.category, c.product, c.sentence, c.csat) for c in planted.theme_comments(data)
    )
    got_sentences = Counter(
        (c.target, c.category, c.product, c.sentence, c.csat) for c in themes.comments
    )
    assert got_sentences == want_sentences
    assert themes.baseline.responses == data.responses
    assert themes.baseline.csat == planted.response_csat_histogram(data)
    # Each sentence sits in the week its response was given.
    row_of = {response_id: row for row, response_id in enumerate(world.response_ids)}
    for c in themes.comments:
        row = row_of[int(c.comment_id)]
        assert themes.real_week(c.week) == world.first_day + dt.timedelta(weeks=int(data.week[row]))

    # A team filter reads that team alone.
    team = db_session.scalars(select(Team).where(Team.external_id == world.team_ids[0])).one()
    in_team = sum(1 for a in data.agent.tolist() if world.team_ids[a] == team.external_id)
    everything = loading.DayRange(world.first_day, world.last_day)
    assert (
        loading.count_responses(db_session, loading.Scope(team_id=team.id), everything) == in_team
    )
    assert loading.count_responses(db_session, loading.Scope(), everything) == data.responses


def test_the_themes_of_a_period_are_the_product_gap_runs_themes(db_session: Session) -> None:
    data = planted.generate(
        12,
        planted.Plant(single_agent_theme=True),
        teams=2,
        agents_per_team=4,
        weeks=6,
        responses_per_agent_week=60,
    )
    world = planted_db.load_planted(db_session, data)
    db_session.flush()
    whole = loading.DayRange(world.first_day, world.last_day)
    run = service.create_run(
        db_session, service.PRODUCT_GAPS, {"from": whole.first, "to": whole.last}
    )
    service.start_run(db_session, run)
    compute.compute_run(db_session, run)
    stored = service.gap_report(db_session, run, None)["items"]

    period = compute.period_themes(db_session, loading.Scope(), whole)
    assert [(t.theme_id, t.name, t.comments) for t in period.themes] == [
        (item["theme"], item["name"], item["comments"]) for item in stored
    ]
    assert period.weeks == tuple(world.first_day + dt.timedelta(weeks=w) for w in range(6))
    by_week = Counter(world.first_day + dt.timedelta(weeks=int(w)) for w in data.week.tolist())
    assert period.responses == data.responses == sum(by_week.values())
    for theme, item in zip(period.themes, stored, strict=True):
        assert [w.week.isoformat() for w in theme.weekly] == [w["week"] for w in item["weekly"]]
        assert period.agents[theme.theme_id][: service.TOP_AGENTS] == [
            (a["agent"], a["comments"]) for a in item["top_agents"]
        ]

    # One agent's view keeps the themes their customers raised, at everyone's size.
    printer = world.agent(str(data.truth.single_agent))
    mine = compute.period_themes(db_session, loading.Scope(), whole, agent=printer)
    assert {t.theme_id for t in mine.themes} == {
        t.theme_id for t in period.themes if any(a == printer for a, _ in period.agents[t.theme_id])
    }
    assert any("printer" in t.name.lower() for t in mine.themes)
    others = compute.period_themes(
        db_session, loading.Scope(), whole, agent=world.agent(data.agent_ids[0])
    )
    assert not any("printer" in t.name.lower() for t in others.themes) or (
        data.agent_ids[0] == data.truth.single_agent
    )

    # A period that is not whole weeks: buckets end on its last day, the first is short.
    short = loading.DayRange(world.first_day + dt.timedelta(days=3), world.last_day)
    partial = compute.period_themes(db_session, loading.Scope(), short)
    assert partial.weeks[0] == short.first
    assert partial.weeks[1:] == tuple(world.first_day + dt.timedelta(weeks=w) for w in range(1, 6))
    in_short = sum(1 for m in _moments(data, world) if m >= short.first)
    assert partial.responses == in_short


def _moments(data: planted.PlantedData, world: planted_db.LoadedWorld) -> list[dt.date]:
    return [planted_db.submitted_at(data, r, world.first_day).date() for r in range(data.responses)]
