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
from feedback_service.patterns import loading


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
