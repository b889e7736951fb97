"""Precision and recall of complaint patterns and emerging product gaps over many seeds.

    .venv/bin/python bench/eval_patterns.py [--seeds 50] [--first-seed 1000]

For each planted seed (4 teams x 8 agents, 8 weeks, ~100 responses per agent
and week; the current period is the last 4 weeks) one agent gets extra
complaints of a random agent-directed category, one agent extra praise, and a
new product bug spreads over the last 3 weeks; the strengths cycle through the
levels in the tables. Every seed, planted or null, also has a phone-only agent
with ordinary rates (the channel confounder) and a product problem that only
one agent's customers report. Null seeds plant no pattern and no bug.

Scoring:

* patterns: a finding is an (agent, category) pair, complaints and praise
  together; it is a true positive when planted, a false positive otherwise.
* emerging gaps: a finding is a theme flagged ``emerging``; it is a true
  positive when most of its comments are the planted bug's, and the bug counts
  as found when at least one such theme is flagged.
* product gaps: the one-agent theme flagged as a product gap is a false
  positive (reported as a count).
"""

from __future__ import annotations

import argparse
import random
import time
from collections import Counter, defaultdict
from dataclasses import dataclass

from feedback_service.analysis import planted
from feedback_service.analysis.patterns import COMPLAINT_CATEGORIES, find_agent_patterns
from feedback_service.analysis.themes import find_product_gaps

PATTERN_LEVELS = (0.005, 0.01, 0.02, 0.03, 0.05)
BUG_LEVELS = (0.001, 0.002, 0.004, 0.008, 0.015)


@dataclass
class Tally:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    seeds: int = 0
    seeds_with_fp: int = 0

    def add(self, tp: int, fp: int, fn: int) -> None:
        self.tp += tp
        self.fp += fp
        self.fn += fn
        self.seeds += 1
        self.seeds_with_fp += fp > 0

    @property
    def precision(self) -> str:
        return f"{self.tp / (self.tp + self.fp):.3f}" if self.tp + self.fp else "n/a"

    @property
    def recall(self) -> str:
        return f"{self.tp / (self.tp + self.fn):.3f}" if self.tp + self.fn else "n/a"


@dataclass
class Outcome:
    complaint: tuple[int, int]  # (found, planted)
    praise: tuple[int, int]
    pattern_fp: int
    confounded_flagged: int
    confounded_flagged_unadjusted: int
    gap: tuple[int, int, int]  # (found, false emerging themes, missed)
    one_agent_gap: int


def evaluate(seed: int, plant: planted.Plant) -> Outcome:
    data = planted.generate(seed, plant)
    report = find_agent_patterns(
        planted.agent_periods(data), planted.agent_periods(data, "previous")
    )
    found = {(f.agent_id, f.category) for f in report.complaints + report.praise}
    truth = set(data.truth.patterns)
    pooled = find_agent_patterns(planted.agent_periods(data), adjust_for_channel=False)
    pooled_agents = {f.agent_id for f in pooled.complaints + pooled.praise}
    praise_truth = {t for t in truth if t[1] == "praised"}
    complaint_truth = truth - praise_truth

    comments = planted.theme_comments(data)
    gaps = find_product_gaps(comments)
    majority: dict[str, Counter[str]] = defaultdict(Counter)
    for c, theme_id in zip(comments, gaps.assignments, strict=True):
        majority[theme_id][planted.issue_of(c.comment_id, data)] += 1

    def top_issue(theme_id: str) -> str:
        return majority[theme_id].most_common(1)[0][0]

    emerging_tp = sum(top_issue(t.theme_id) == data.truth.emerging_issue for t in gaps.emerging)
    return Outcome(
        complaint=(len(found & complaint_truth), len(complaint_truth)),
        praise=(len(found & praise_truth), len(praise_truth)),
        pattern_fp=len(found - truth),
        confounded_flagged=sum(a == data.truth.confounded_agent for a, _ in found),
        confounded_flagged_unadjusted=int(data.truth.confounded_agent in pooled_agents),
        gap=(
            int(emerging_tp > 0),
            len(gaps.emerging) - emerging_tp,
            int(data.truth.emerging_issue is not None and emerging_tp == 0),
        ),
        one_agent_gap=sum(top_issue(t.theme_id) == "printer-driver" for t in gaps.product_gaps),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=50, help="planted seeds, and as many null")
    parser.add_argument("--first-seed", type=int, default=1000)
    args = parser.parse_args()
    start = time.perf_counter()
    choose = random.Random(args.first_seed)

    complaints: dict[float, Tally] = defaultdict(Tally)
    praise: dict[float, Tally] = defaultdict(Tally)
    by_bug: dict[float, Tally] = defaultdict(Tally)
    patterns_all, gaps_all, null_patterns, null_gaps = Tally(), Tally(), Tally(), Tally()
    one_agent_gaps = confounded = confounded_pooled = 0
    for i in range(args.seeds):
        level = PATTERN_LEVELS[i % len(PATTERN_LEVELS)]
        bug = BUG_LEVELS[(i // len(PATTERN_LEVELS)) % len(BUG_LEVELS)]
        plant = planted.Plant(
            pattern_category=choose.choice(COMPLAINT_CATEGORIES),
            pattern_extra_rate=level,
            praise_extra_rate=2 * level,
            spreading_bug=True,
            bug_rate=bug,
            single_agent_theme=True,
            confounded_agent=True,
        )
        out = evaluate(args.first_seed + i, plant)
        (ctp, cn), (ptp, pn) = out.complaint, out.praise
        complaints[level].add(ctp, 0, cn - ctp)
        praise[level].add(ptp, 0, pn - ptp)
        patterns_all.add(ctp + ptp, out.pattern_fp, cn - ctp + pn - ptp)
        by_bug[bug].add(*out.gap)
        gaps_all.add(*out.gap)
        one_agent_gaps += out.one_agent_gap
        confounded += out.confounded_flagged
        confounded_pooled += out.confounded_flagged_unadjusted
    for i in range(args.seeds):
        plant = planted.Plant(
            pattern_category=None,
            spreading_bug=False,
            single_agent_theme=True,
            confounded_agent=True,
        )
        out = evaluate(args.first_seed + 10_000 + i, plant)
        null_patterns.add(0, out.pattern_fp, 0)
        null_gaps.add(*out.gap)
        one_agent_gaps += out.one_agent_gap
        confounded += out.confounded_flagged
        confounded_pooled += out.confounded_flagged_unadjusted

    print(f"{args.seeds} planted seeds + {args.seeds} null seeds, first seed {args.first_seed}")
    print()
    print("Agent patterns by planted strength (extra rate per response in the current")
    print("period; the praise agent gets twice the rate; ~400 responses per agent):")
    print()
    print("| extra rate | ~extra comments | seeds | complaint recall | praise recall |")
    print("|---:|---:|---:|---:|---:|")
    for level in PATTERN_LEVELS:
        c, p = complaints[level], praise[level]
        print(f"| {level} | {level * 400:.0f} | {c.seeds} | {c.recall} | {p.recall} |")
    t = patterns_all
    print()
    print("| agent patterns, planted seeds | TP | FP | FN | precision | recall |")
    print("|---|---:|---:|---:|---:|---:|")
    print(f"| complaints + praise | {t.tp} | {t.fp} | {t.fn} | {t.precision} | {t.recall} |")
    print()
    print("Emerging product gap (the spreading bug) by its rate in the last weeks:")
    print()
    print("| bug rate | ~comments last week | seeds | found | false emerging themes | recall |")
    print("|---:|---:|---:|---:|---:|---:|")
    for bug in BUG_LEVELS:
        t = by_bug[bug]
        print(f"| {bug} | {bug * 3200:.0f} | {t.seeds} | {t.tp} | {t.fp} | {t.recall} |")
    t = gaps_all
    print(f"| **all** | | {t.seeds} | {t.tp} | {t.fp} | **{t.recall}** |")
    print(f"\nEmerging gaps, planted seeds: precision {t.precision}, recall {t.recall}.")
    print()
    print("Null seeds (nothing planted):")
    print()
    print("| finding | seeds | false findings | seeds with any |")
    print("|---|---:|---:|---:|")
    for name, t in (("agent patterns", null_patterns), ("emerging gaps", null_gaps)):
        print(f"| {name} | {t.seeds} | {t.fp} | {t.seeds_with_fp} |")
    print()
    print(
        f"Phone-only (channel-confounded) agent flagged: {confounded} times "
        f"in {2 * args.seeds} seeds; with channels pooled (adjust_for_channel=False) "
        f"it would have been flagged in {confounded_pooled} seeds."
    )
    print(f"One-agent theme flagged as a product gap: {one_agent_gaps} of {2 * args.seeds} seeds.")
    print(f"({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
