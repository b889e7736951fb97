"""Time complaint patterns + product gaps over a million responses, in memory.

    .venv/bin/python bench/bench_patterns.py [--responses 1000000] [--seed 0]

Generates the responses with :mod:`feedback_service.demo.planted` (500
agents in 50 teams, 12 weeks, about 20% of responses with a comment), then
times each pure step the workers will run: counting per agent and period (what
SQL will do in production, here numpy), the pattern test over both periods,
the agent-adjusted CSAT, building the comment records, and the themes/gaps.
Peak memory is the process's maximum resident set size (includes the data).
A stress row then runs the themes over *every* comment (200,000), not only the
product- and process-directed ones the service feeds them.
Target (issue 8): patterns and gaps under 5 minutes on the 2-core machine.
"""

from __future__ import annotations

import argparse
import resource
import time
from collections.abc import Callable
from typing import TypeVar

from feedback_service.demo import planted
from feedback_service.patterns.agents import find_agent_patterns
from feedback_service.patterns.csat import adjusted_csat
from feedback_service.patterns.gaps import find_product_gaps
from feedback_service.patterns.themes import ResponseBaseline

T = TypeVar("T")


def timed(label: str, fn: Callable[[], T], rows: list[tuple[str, float]]) -> T:
    start = time.perf_counter()
    out = fn()
    rows.append((label, time.perf_counter() - start))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    teams, per_team, weeks = 50, 10, 12
    per_week = args.responses / (teams * per_team * weeks)
    rows: list[tuple[str, float]] = []
    data = timed(
        "generate (not counted)",
        lambda: planted.generate(
            args.seed,
            planted.Plant(single_agent_theme=True),
            teams=teams,
            agents_per_team=per_team,
            weeks=weeks,
            responses_per_agent_week=per_week,
            comment_rate_scale=1.08,
        ),
        rows,
    )
    total_start = time.perf_counter()
    current = timed("count per agent, current period", lambda: planted.agent_periods(data), rows)
    previous = timed(
        "count per agent, previous period", lambda: planted.agent_periods(data, "previous"), rows
    )
    report = timed(
        "complaint + praise patterns", lambda: find_agent_patterns(current, previous), rows
    )
    csat = timed("agent-adjusted CSAT", lambda: adjusted_csat(planted.csat_counts(data)), rows)
    comments = timed(
        "comment records (product + process)", lambda: planted.theme_comments(data), rows
    )
    baseline = ResponseBaseline(data.responses, planted.response_csat_histogram(data))
    gaps = timed(
        "themes, gaps, Pareto, bursts", lambda: find_product_gaps(comments, baseline=baseline), rows
    )
    total = time.perf_counter() - total_start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # Stress: every comment (agent-directed and none too) through the themes, i.e.
    # 200,000 texts, far more than the product/process share the service sends.
    every = planted.theme_comments(data, targets=("agent", "product", "process", "none"))
    stress_start = time.perf_counter()
    stress = find_product_gaps(every, baseline=baseline)
    stress_s = time.perf_counter() - stress_start
    stress_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(
        f"responses {data.responses:,}, comments {data.comments:,}, "
        f"product/process comments {len(comments):,}, agents {len(data.agent_ids)}"
    )
    print()
    print("| step | seconds |")
    print("|---|---:|")
    for label, seconds in rows:
        print(f"| {label} | {seconds:.2f} |")
    print(f"| **total (patterns + gaps, excluding generation)** | **{total:.2f}** |")
    print(
        f"| stress, not in total: themes over all {len(every):,} comments "
        f"({len(stress.themes)} themes) | {stress_s:.2f} |"
    )
    print()
    print(f"peak RSS after the stress run {stress_mb:,.0f} MB")
    print(
        f"peak RSS {peak_mb:,.0f} MB; {len(report.complaints)} complaint patterns, "
        f"{len(report.praise)} praise patterns over {report.tests} tests; {len(csat)} agent CSATs; "
        f"{len(gaps.themes)} themes, {len(gaps.product_gaps)} product gaps, "
        f"{len(gaps.emerging)} emerging: {[t.name for t in gaps.emerging]}"
    )


if __name__ == "__main__":
    main()
