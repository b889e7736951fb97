"""Complaint patterns per representative on REAL sentences read by the REAL classifier.

    .venv/bin/python bench/eval_patterns_real.py [--seeds 60] [--data /work/shared/data]

Why: the synthetic generator (``demo/planted.py``) hands the pattern test the
category each comment was written for. Real comments go through the comment
classifier first, and it files many complaints about a representative under
process or product categories ("on hold for two hours" as wait-time). This
evaluation plants a representative problem made of real sentences, lets the
out-of-the-box classifier label them, and checks that the pattern run still
names the representative, and nobody else.

The sentences (read here at run time, never stored in the project; see
``/work/shared/data/README.md`` for their sources and licences):

* the planted agent problem: SemEval-2014 restaurant sentences whose only
  aspect is ``service:negative`` (staff, waiters: the nearest public analogue of
  "the agent");
* the product gap planted across every representative: Maalej et al. app reviews
  labelled ``PD`` (bug reports), on 5% of every representative's answers;
* the background comments of everybody: the other SemEval sentences (food,
  price, ambience, anecdotes; any polarity; none with a negative or conflicting
  service aspect), the UCI Amazon and Yelp sentences, Maalej ``RT`` and ``UE``
  reviews, on 35% of answers.

One seed is one team of 20 representatives over two 28-day periods, about 100
answers each per period on email, chat and phone (each representative their own
mix). Every representative's customers write a ``service:negative`` sentence on
4% of answers; in a planted seed one representative's rate in the current
period is the seed's strength instead (the levels below, cycling), in a null
seed nobody's is. Ratings follow each sentence's human label with noise: a
negative sentence gets CSAT 1 (55%), 2 (30%), 3 (12%), 4 (3%); NPS 0-6 mostly;
CES 1-2 mostly; answers without a comment are mostly satisfied. CSAT is answered
on 95% of answers, NPS on 50%, CES on 35%.

Each distinct (sentence, CSAT) pair goes once through
``CommentAnalyzer.load(model_dir, cache_dir)`` on the seed model ``flask analysis
build`` makes from the shipped seed data (copied into a temporary directory), with
the answer's CSAT as the rating the comment-level sentiment takes into account.
Responses are then counted per representative
exactly as ``patterns/loading.py`` counts stored analyses (the same
``counted_findings`` / ``low_ratings`` functions, the same negative
sentiment) and ``find_agent_patterns`` runs with its defaults.

Scoring: a representative is *found* when any finding names them (any measure,
any category); a finding on any other representative is a false positive.
Strength classes use what was realised in the seed: the planted
representative's ``service:negative`` answers and their rate against the
peers' rate of ``service:negative`` answers.
"""

from __future__ import annotations

import argparse
import csv
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from feedback_service.analysis.comments.service import FINDING_FIELDS
from feedback_service.patterns.agents import (
    CATEGORY,
    COMPLAINT_CATEGORIES,
    NEGATIVE_COMMENTS,
    NEGATIVE_SENTIMENTS,
    AgentPattern,
    AgentPeriod,
    ExampleComment,
    counted_findings,
    find_agent_patterns,
    low_ratings,
)
from feedback_service.views import fields

LEVELS = (0.08, 0.12, 0.16, 0.20, 0.25, 0.30)
REPS = 20
ANSWERS = 100  # per representative and period
BASE_SERVICE = 0.04
BUG_RATE = 0.05
BACKGROUND_RATE = 0.35
# Human label shares of the background comments (positive, neutral, negative or
# mixed): most customers who write a comment after a ticket are content. None
# keeps the pools' own mix (about a third negative), a noisier team.
BACKGROUND_MIX = (0.70, 0.15, 0.15)
CHANNELS = ("email", "chat", "phone")
ANSWER_RATES = {"csat": 0.95, "nps": 0.5, "ces": 0.35}
# CSAT 1..5 by the sentence's human label; None: an answer without a comment.
CSAT = {
    "negative": (0.55, 0.30, 0.12, 0.03, 0.0),
    "mixed": (0.15, 0.30, 0.30, 0.20, 0.05),
    "neutral": (0.03, 0.07, 0.30, 0.40, 0.20),
    "positive": (0.01, 0.02, 0.07, 0.30, 0.60),
    None: (0.02, 0.03, 0.07, 0.30, 0.58),
}
# NPS buckets 0-6 / 7-8 / 9-10 and CES buckets 1-2 / 3-4 / 5-7, uniform within.
NPS = {
    "negative": (0.88, 0.10, 0.02),
    "mixed": (0.60, 0.30, 0.10),
    "neutral": (0.30, 0.45, 0.25),
    "positive": (0.08, 0.32, 0.60),
    None: (0.12, 0.33, 0.55),
}
CES = {
    "negative": (0.60, 0.30, 0.10),
    "mixed": (0.30, 0.45, 0.25),
    "neutral": (0.10, 0.40, 0.50),
    "positive": (0.03, 0.17, 0.80),
    None: (0.05, 0.20, 0.75),
}
NPS_BUCKETS = ((0, 6), (7, 8), (9, 10))
CES_BUCKETS = ((1, 2), (3, 4), (5, 7))


@dataclass(frozen=True, slots=True)
class Sentence:
    text: str
    label: str  # positive, negative, neutral, mixed (the human label)


@dataclass(frozen=True, slots=True)
class Pools:
    service_negative: tuple[Sentence, ...]
    bug_reports: tuple[Sentence, ...]
    background: tuple[Sentence, ...]


def _polarity(labels: Iterable[str]) -> str:
    found = set(labels)
    if found == {"positive"}:
        return "positive"
    if found == {"negative"}:
        return "negative"
    if found <= {"neutral"}:
        return "neutral"
    if found <= {"neutral", "positive"}:
        return "positive"
    if found <= {"neutral", "negative"}:
        return "negative"
    return "mixed"


def _stars(stars: str) -> str:
    value = int(stars)
    return "negative" if value <= 2 else "neutral" if value == 3 else "positive"


def read_pools(data: Path) -> Pools:
    service: list[Sentence] = []
    bugs: list[Sentence] = []
    background: list[Sentence] = []
    for name in ("semeval14_restaurants_train.csv", "semeval14_restaurants_test.csv"):
        with (data / name).open(newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                pairs = [p.rsplit(":", 1) for p in row["aspect_categories"].split(";") if p]
                aspects = {(a.strip(), pol.strip()) for a, pol in pairs}
                if aspects == {("service", "negative")}:
                    service.append(Sentence(row["text"], "negative"))
                elif not aspects & {("service", "negative"), ("service", "conflict")}:
                    pols = ["mixed" if p == "conflict" else p for _a, p in aspects]
                    background.append(Sentence(row["text"], _polarity(pols)))
    for name in ("amazon_cells_labelled.txt", "yelp_labelled.txt"):
        with (data / name).open(encoding="utf-8") as f:
            for line in f:
                text, _tab, label = line.rstrip("\n").rpartition("\t")
                if text.strip():
                    background.append(Sentence(text, "positive" if label == "1" else "negative"))
    with (data / "maalej16_app_reviews.csv").open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            sentence = Sentence(row["text"], _stars(row["stars"]))
            if row["label"] == "PD":
                bugs.append(sentence)
            elif row["label"] in ("RT", "UE"):
                background.append(sentence)
    return Pools(tuple(service), tuple(bugs), tuple(background))


# --- the classifier, each (sentence, CSAT) once ---------------------------------------


@dataclass(slots=True)
class Classifier:
    analyzer: Any
    # (text, CSAT or 0 when not answered) -> (comment sentiment, findings)
    cache: dict[tuple[str, int], tuple[str, list[dict[str, Any]]]] = field(default_factory=dict)
    analysed: int = 0

    def read(self, pairs: Iterable[tuple[str, int]]) -> None:
        todo = sorted({p for p in pairs if p not in self.cache})
        if not todo:
            return
        results = self.analyzer.analyze_many(
            [t for t, _c in todo], [{"csat": c} if c else None for _t, c in todo]
        )
        for pair, result in zip(todo, results, strict=True):
            findings = [fields(f, FINDING_FIELDS) for f in result.findings]
            self.cache[pair] = (str(result.sentiment), findings)
        self.analysed += len(todo)


# --- one seed ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Answer:
    rep: int
    current: bool
    channel: str
    source: str  # service, bug, background, none
    sentence: Sentence | None
    ratings: dict[str, int | None]


def _draw(rng: np.random.Generator, probs: Sequence[float] | np.ndarray) -> int:
    return int(rng.choice(len(probs), p=np.asarray(probs) / sum(probs)))


def _ratings(rng: np.random.Generator, label: str | None) -> dict[str, int | None]:
    out: dict[str, int | None] = {"csat": None, "nps": None, "ces": None}
    if rng.random() < ANSWER_RATES["csat"]:
        out["csat"] = _draw(rng, CSAT[label]) + 1
    if rng.random() < ANSWER_RATES["nps"]:
        lo, hi = NPS_BUCKETS[_draw(rng, NPS[label])]
        out["nps"] = int(rng.integers(lo, hi + 1))
    if rng.random() < ANSWER_RATES["ces"]:
        lo, hi = CES_BUCKETS[_draw(rng, CES[label])]
        out["ces"] = int(rng.integers(lo, hi + 1))
    return out


def generate(
    seed: int,
    pools: Pools,
    planted_rate: float | None,
    background_mix: tuple[float, float, float] | None = BACKGROUND_MIX,
) -> tuple[list[Answer], int | None]:
    rng = np.random.default_rng(seed)
    by_label: tuple[tuple[Sentence, ...], ...] = ()
    mix_of: tuple[float, float, float] = (1.0, 1.0, 1.0)
    if background_mix is not None:
        mix_of = background_mix
        by_label = tuple(
            tuple(x for x in pools.background if x.label in labels)
            for labels in (("positive",), ("neutral",), ("negative", "mixed"))
        )
    planted = int(rng.integers(REPS)) if planted_rate is not None else None
    answers: list[Answer] = []
    for rep in range(REPS):
        mix = rng.dirichlet((6.0, 4.0, 4.0))
        for current in (False, True):
            service = planted_rate if (rep == planted and current) else BASE_SERVICE
            assert service is not None
            for _ in range(int(rng.poisson(ANSWERS))):
                channel = CHANNELS[_draw(rng, mix)]
                u = rng.random()
                sentence: Sentence | None = None
                if u < service:
                    source, pool = "service", pools.service_negative
                elif u < service + BUG_RATE:
                    source, pool = "bug", pools.bug_reports
                elif u < service + BUG_RATE + BACKGROUND_RATE:
                    source = "background"
                    pool = by_label[_draw(rng, mix_of)] if by_label else pools.background
                else:
                    source, pool = "none", ()
                if pool:
                    sentence = pool[int(rng.integers(len(pool)))]
                ratings = _ratings(rng, sentence.label if sentence else None)
                answers.append(Answer(rep, current, channel, source, sentence, ratings))
    return answers, planted


def agent_periods(
    answers: Sequence[Answer], classifier: Classifier, current: bool
) -> list[AgentPeriod]:
    """Counts per representative, as ``patterns/loading.py`` counts stored analyses."""
    responses: dict[int, Counter[str]] = defaultdict(Counter)
    hits: dict[int, dict[str, Counter[str]]] = defaultdict(lambda: defaultdict(Counter))
    measures: dict[int, dict[str, Counter[str]]] = defaultdict(lambda: defaultdict(Counter))
    answered: dict[int, dict[str, Counter[str]]] = defaultdict(lambda: defaultdict(Counter))
    examples: dict[int, dict[str, list[ExampleComment]]] = defaultdict(lambda: defaultdict(list))
    for i, a in enumerate(answers):
        if a.current != current:
            continue
        responses[a.rep][a.channel] += 1
        for question, measure in (("csat", "low_csat"), ("nps", "low_nps"), ("ces", "low_ces")):
            if a.ratings[question] is not None:
                answered[a.rep][measure][a.channel] += 1
        for measure in low_ratings(a.ratings):
            measures[a.rep][measure][a.channel] += 1
        if a.sentence is None:
            continue
        sentiment, findings = classifier.cache[(a.sentence.text, a.ratings["csat"] or 0)]
        for category, finding in counted_findings(findings).items():
            hits[a.rep][category][a.channel] += 1
            if len(examples[a.rep][category]) < 3:
                examples[a.rep][category].append(
                    ExampleComment(str(i), str(i), float(finding["confidence"]), "")
                )
        if sentiment in NEGATIVE_SENTIMENTS:
            measures[a.rep][NEGATIVE_COMMENTS][a.channel] += 1
    return [
        AgentPeriod(
            agent_id=f"rep-{rep:02d}",
            team_id="tier-1",
            responses=dict(responses[rep]),
            hits={c: dict(v) for c, v in hits[rep].items()},
            examples={c: tuple(v) for c, v in examples[rep].items()},
            measures={NEGATIVE_COMMENTS: {}, **{m: dict(v) for m, v in measures[rep].items()}},
            answered={m: dict(v) for m, v in answered[rep].items()},
        )
        for rep in range(REPS)
    ]


@dataclass(frozen=True, slots=True)
class Outcome:
    planted: str | None
    level: float | None
    service_count: int  # the planted rep's service:negative answers (current period)
    service_ratio: float  # their rate against the peers' rate
    findings: tuple[AgentPattern, ...]
    tests: int
    old_found: bool  # agent-directed categories only (the method before issue 14)
    plain_found: bool  # the same tests under plain (unweighted) Benjamini-Hochberg
    plain_true: int
    plain_false: int
    negative_count: int  # the planted rep's answers with a human-negative comment
    negative_ratio: float  # their rate against the peers' (human labels, any source)
    old_false: int

    @property
    def found(self) -> bool:
        return any(f.agent_id == self.planted and f.kind == "complaint" for f in self.findings)

    @property
    def false_findings(self) -> int:
        return sum(f.agent_id != self.planted for f in self.findings)

    @property
    def strong(self) -> bool:
        return self.service_count >= 20 and self.service_ratio >= 3


def evaluate(
    seed: int,
    pools: Pools,
    classifier: Classifier,
    level: float | None,
    background_mix: tuple[float, float, float] | None = BACKGROUND_MIX,
) -> Outcome:
    answers, planted = generate(seed, pools, level, background_mix)
    classifier.read(
        (a.sentence.text, a.ratings["csat"] or 0) for a in answers if a.sentence is not None
    )
    current = agent_periods(answers, classifier, True)
    previous = agent_periods(answers, classifier, False)
    report = find_agent_patterns(current, previous)
    old = find_agent_patterns(
        current, previous, complaint_categories=COMPLAINT_CATEGORIES, measures=()
    )
    plain = find_agent_patterns(current, previous, measure_share=None)
    planted_id = f"rep-{planted:02d}" if planted is not None else None
    count = ratio = neg_count = neg_ratio = 0.0
    if planted is not None:
        mine = [a for a in answers if a.current and a.rep == planted]
        peers = [a for a in answers if a.current and a.rep != planted]
        count = sum(a.source == "service" for a in mine)
        peer_rate = sum(a.source == "service" for a in peers) / len(peers)
        ratio = (count / len(mine)) / peer_rate if peer_rate else float("inf")
        neg_count = sum(_negative(a) for a in mine)
        peer_neg = sum(_negative(a) for a in peers) / len(peers)
        neg_ratio = (neg_count / len(mine)) / peer_neg if peer_neg else float("inf")
    old_findings = old.complaints + old.praise
    return Outcome(
        planted=planted_id,
        level=level,
        service_count=int(count),
        service_ratio=ratio,
        findings=report.complaints + report.praise,
        tests=report.tests,
        old_found=any(f.agent_id == planted_id for f in old_findings),
        old_false=sum(f.agent_id != planted_id for f in old_findings),
        plain_found=any(f.agent_id == planted_id for f in plain.complaints),
        plain_true=sum(f.agent_id == planted_id for f in plain.complaints + plain.praise),
        plain_false=sum(f.agent_id != planted_id for f in plain.complaints + plain.praise),
        negative_count=int(neg_count),
        negative_ratio=neg_ratio,
    )


def _negative(a: Answer) -> bool:
    return a.sentence is not None and a.sentence.label in ("negative", "mixed")


def _label(f: AgentPattern) -> str:
    return f.measure if f.measure != CATEGORY else f"{f.about}:{f.category}"


def _ratio(num: int, den: int) -> str:
    return f"{num / den:.3f}" if den else "n/a"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=60, help="planted seeds, and as many null")
    parser.add_argument("--first-seed", type=int, default=2000)
    parser.add_argument("--data", type=Path, default=Path("/work/shared/data"))
    parser.add_argument(
        "--pool-mix",
        action="store_true",
        help="background comments in the pools' own label mix (about a third negative) "
        "instead of 70%% positive, 15%% neutral, 15%% negative",
    )
    args = parser.parse_args()
    start = time.perf_counter()
    pools = read_pools(args.data)
    mix = None if args.pool_mix else BACKGROUND_MIX
    from feedback_service.analysis.text import CommentAnalyzer
    from feedback_service.analysis.text.build import build

    with tempfile.TemporaryDirectory() as tmp:
        # The seed model as `flask analysis build` makes it (trained once per checkout).
        build(Path(tmp) / "models", Path(__file__).resolve().parents[1] / "var" / "build")
        analyzer = CommentAnalyzer.load(Path(tmp) / "models", Path(tmp) / "cache")
        classifier = Classifier(analyzer)
        trained = time.perf_counter() - start
        planted = [
            evaluate(args.first_seed + i, pools, classifier, LEVELS[i % len(LEVELS)], mix)
            for i in range(args.seeds)
        ]
        null = [
            evaluate(args.first_seed + 10_000 + i, pools, classifier, None, mix)
            for i in range(args.seeds)
        ]

    print(
        f"{args.seeds} planted + {args.seeds} null seeds (first {args.first_seed}); "
        f"{len(pools.service_negative)} service:negative sentences, {len(pools.bug_reports)} "
        f"bug reports, {len(pools.background)} background sentences; classifier "
        f"{analyzer.model_version} (trained in {trained:.0f} s), "
        f"{classifier.analysed} distinct (sentence, CSAT) pairs analysed"
    )
    print()
    print("Planted representative by strength (peers: 4% service:negative answers):")
    print()
    print(
        "| rate | x peers | ~complaints | seeds | found | recall | agent categories only "
        "(before) | false findings | seeds with a false finding |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for level in LEVELS:
        rows = [o for o in planted if o.level == level]
        found = sum(o.found for o in rows)
        print(
            f"| {level:.2f} | {level / BASE_SERVICE:.1f} | {level * ANSWERS:.0f} "
            f"| {len(rows)} | {found} | {_ratio(found, len(rows))} "
            f"| {_ratio(sum(o.old_found for o in rows), len(rows))} "
            f"| {sum(o.false_findings for o in rows)} | {sum(o.false_findings > 0 for o in rows)} |"
        )
    strong = [o for o in planted if o.strong]
    weak = [o for o in planted if not o.strong]
    print()
    print("| realised in the seed | seeds | found | recall | before (agent categories only) |")
    print("|---|---:|---:|---:|---:|")
    by_labels = [o for o in planted if o.negative_count >= 20 and o.negative_ratio >= 3]
    for name, rows in (
        (">= 20 service complaints and >= 3x the peers' rate", strong),
        ("weaker", weak),
        (">= 20 human-negative comments and >= 3x the peers' rate (any source)", by_labels),
    ):
        found = sum(o.found for o in rows)
        old = sum(o.old_found for o in rows)
        print(
            f"| {name} | {len(rows)} | {found} | {_ratio(found, len(rows))} "
            f"| {_ratio(old, len(rows))} |"
        )
    tp = sum(len(o.findings) - o.false_findings for o in planted)
    fp = sum(o.false_findings for o in planted)
    agents_tp = sum(o.found for o in planted)
    agents_fp = sum(len({f.agent_id for f in o.findings} - {o.planted}) for o in planted)
    print()
    print(
        f"Planted seeds: {tp} findings on the planted representative, {fp} on others: "
        f"precision {_ratio(tp, tp + fp)} by finding; by representative "
        f"{_ratio(agents_tp, agents_tp + agents_fp)} ({agents_tp} found, {agents_fp} "
        "other representatives flagged)."
    )
    old_fp = sum(o.old_false for o in planted)
    print(f"Before (agent categories only): {old_fp} false findings in planted seeds.")
    null_flagged = sum(bool(o.findings) for o in null)
    print(
        f"Null seeds: {len(null) - null_flagged} of {len(null)} flag nobody "
        f"({_ratio(len(null) - null_flagged, len(null))}); "
        f"{sum(len(o.findings) for o in null)} false findings in all; "
        f"before: {sum(o.old_false > 0 for o in null)} seeds with a false finding."
    )
    tests = sorted(o.tests for o in planted + null)
    print(f"Benjamini-Hochberg family per seed: {tests[0]}-{tests[-1]} tests.")
    p_tp = sum(o.plain_true for o in planted)
    p_fp = sum(o.plain_false for o in planted)
    print(
        f"Plain (unweighted) BH on the same tests: strong class "
        f"{sum(o.plain_found for o in strong)} of {len(strong)} "
        f"({_ratio(sum(o.plain_found for o in strong), len(strong))}); precision "
        f"{_ratio(p_tp, p_tp + p_fp)} ({p_fp} false findings); null seeds flagging nobody "
        f"{sum(o.plain_false == 0 for o in null)} of {len(null)}."
    )
    measures: Counter[str] = Counter()
    for o in planted:
        for label in {_label(f) for f in o.findings if f.agent_id == o.planted}:
            measures[label] += 1
    print()
    print("Which findings named the planted representative (seeds, of the found ones):")
    for label, n in measures.most_common():
        print(f"  {label}: {n}")
    false: Counter[str] = Counter(
        _label(f) for o in planted + null for f in o.findings if f.agent_id != o.planted
    )
    if false:
        print("False findings by measure: " + ", ".join(f"{k} {v}" for k, v in false.most_common()))
    print(f"({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
