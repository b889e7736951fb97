"""The floor's KPIs (issue 17 item 6) at scale: complaints per agent, the Pareto,
the ticket KPIs per period and the response-rate split, timed on PostgreSQL.

Loads the reports bench's data set (``bench_reports.load``: 200 agents, a year of
tickets, one invitation each, N responses, 30% commented) into a scratch
database, gives every commented answer one comment finding (a quarter of them
complaints), 30% of invitations ``link`` delivery, 40% a reminder, and the
answers' ways in equal thirds; rebuilds the rollups; then times each service
function in one session (median and minimum of ``--repeat`` after a warm-up).

    nice -n 10 .venv/bin/python -m bench.bench_floor [--responses 1000000] [--repeat 5]
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import create_engine, text

from bench.bench_reports import bench_app, bench_main, best_of

DECORATE = [
    # One analysis and one finding per commented answer.
    """INSERT INTO comment_analyses (response_id, response_version, model_version, language,
           supported, sentiment, findings, key_phrases, created_at, updated_at, corrected)
       SELECT id, 1, 'bench', 'en', true, 'negative', '[]', '[]', submitted_at, submitted_at,
              false
       FROM responses WHERE comment IS NOT NULL""",
    """INSERT INTO comment_findings (analysis_id, response_id, position, target, category,
           confidence, sentence, sentiment, corrected, agent_id, team_id, ticket_id,
           submitted_at)
       SELECT a.id, r.id, 0, (ARRAY['agent', 'product', 'process', 'none'])[1 + r.id % 4],
              (ARRAY['rude', 'bug', 'wait-time', 'billing', 'unhelpful', 'other'])
                  [1 + (r.id * 7) % 6],
              0.8, r.comment, (ARRAY['negative', 'mixed', 'positive', 'neutral'])
                  [1 + (r.id * 13) % 4],
              false, r.agent_id, r.team_id, r.ticket_id, r.submitted_at
       FROM responses r JOIN comment_analyses a ON a.response_id = r.id""",
    """UPDATE invitations SET
           delivery = CASE WHEN id % 10 < 3 THEN 'link' ELSE 'email' END,
           reminder_sent_at = CASE WHEN id % 10 >= 6 THEN sent_at + interval '30 hours' END""",
    "UPDATE responses SET source = (ARRAY['link', 'page', 'api'])[1 + id % 3]",
]


def decorate(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        for statement in DECORATE:
            conn.execute(text(statement))
    engine.dispose()
    with create_engine(url, isolation_level="AUTOCOMMIT").connect() as conn:
        conn.execute(text("VACUUM ANALYZE"))


def run(url: str, repeat: int, *, rebuild: bool = True) -> None:
    from feedback_service.db import get_session
    from feedback_service.scores import service as reports
    from feedback_service.scores.complaints import agent_complaints

    app = bench_app(url, rebuild)
    with app.app_context():
        session = get_session()
        year = reports.Filters(dt.date(2025, 11, 21), dt.date(2026, 11, 20))
        month = reports.Filters(dt.date(2026, 10, 1), dt.date(2026, 10, 31))
        agent_ids = list(range(1, 201))
        cases: list[tuple[str, Callable[[], Any]]] = []
        for label, f in (("whole year", year), ("1 month", month)):
            answered = {a: 10**6 for a in agent_ids}  # the scorecards pass the rollups' count
            cases += [
                (
                    f"scorecards (with complaints), {label}",
                    lambda f=f: reports.scorecards(session, f, 30),
                ),
                (
                    f"agent_complaints alone (200 agents), {label}",
                    lambda f=f, answered=answered: agent_complaints(session, f, answered, 30),
                ),
                (f"complaint_pareto, {label}", lambda f=f: reports.complaint_pareto(session, f)),
                (
                    f"operations_trend week, {label}",
                    lambda f=f: reports.operations_trend(session, f, "week"),
                ),
                (
                    f"operations_trend day, {label}",
                    lambda f=f: reports.operations_trend(session, f, "day"),
                ),
                (f"response_rates, {label}", lambda f=f: reports.response_rates(session, f)),
                (
                    f"operational_kpis (summary's, for reference), {label}",
                    lambda f=f: reports.operational_kpis(session, f),
                ),
            ]
        print("| function | median ms | min ms |")
        print("|---|---:|---:|")
        for name, fn in cases:
            median, low = best_of(fn, repeat)
            session.rollback()
            print(f"| {name} | {median:.0f} | {low:.0f} |", flush=True)
        pareto = reports.complaint_pareto(session, year)
        print(
            f"year: {pareto['complaints']:,} complaints, "
            f"{sum(a['vital'] for a in pareto['agents'])} of {len(pareto['agents'])} agents vital"
        )
        session.rollback()


def main() -> None:
    bench_main(__doc__, run, "bench_floor_kpi", repeat=5, after_load=decorate)


if __name__ == "__main__":
    main()
