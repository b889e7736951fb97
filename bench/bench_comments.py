"""Comments per second per core through the whole comment pipeline.

    .venv/bin/python bench/bench_comments.py [--comments 20000] [--batch 500] [--languages en de es]

Single process, BLAS limited to one thread, so the figure is per core. Comments
are 1-4 sentences drawn from the seed sentences of ``--languages`` (default:
English, German and Spanish, one language per comment) plus a few hand-written
whole comments (some in languages not analysed), analysed with ``analyze_many``
in batches as a re-scoring job would. The lexicon caches (VADER, the German and
Spanish word-list scores, the per-sentence language) are cleared before timing
so repeated sentences do not flatter the number; a second figure shows the
steady state with the caches warm. The model is trained from the seed data first (not timed);
loading the promoted model, which every worker does once, is timed.

Each figure is given twice: wall clock, and this process's CPU time. On the
shared 2-core box other people's jobs steal the core the benchmark runs on, so
the wall-clock figure drops with the load average while the CPU-time figure
(what one core of our own does) stays put.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from threadpoolctl import threadpool_limits

from feedback_service.analysis.text import lexicon
from feedback_service.analysis.text.data import seed_sentences
from feedback_service.analysis.text.pipeline import CommentAnalyzer

WHOLE_COMMENTS = [
    "The rep hung up on me twice. Billing charged me double!",
    "the agent was lovely but the app still crashes",
    "Waited 50 minutes on hold, then got transferred to billing who couldn't help. Not impressed.",
    "Sorted in 5 mins, thanks Jess!!",
    "El agente fue muy amable pero la aplicación sigue fallando.",
    "slow",
    "Le colis est arrivé en retard et abîmé.",
    "I still can't log in. Third ticket this month. Please fix your password reset.",
]


def make_comments(n: int, seed: int, languages: list[str]) -> list[str]:
    rng = random.Random(seed)
    by_language = [
        [r.text.rstrip(".!? ") + "." for r in seed_sentences([language])] for language in languages
    ]
    comments = []
    for _ in range(n):
        if rng.random() < 0.1:
            comments.append(rng.choice(WHOLE_COMMENTS))
        else:
            k = rng.choice([1, 1, 2, 2, 2, 3, 3, 4])
            comments.append(" ".join(rng.sample(rng.choice(by_language), k)))
    return comments


def clear_lexicon_caches() -> None:
    lexicon._vader_cached.cache_clear()
    lexicon._english_cached.cache_clear()
    lexicon.list_scores.cache_clear()
    lexicon.text_language.cache_clear()


def run(analyzer: CommentAnalyzer, comments: list[str], batch: int) -> tuple[float, float]:
    """(comments per wall-clock second, comments per CPU second of this process)."""
    ratings = [{"csat": (i % 5) + 1} if i % 3 else None for i in range(len(comments))]
    started, cpu = time.perf_counter(), time.process_time()
    for i in range(0, len(comments), batch):
        analyzer.analyze_many(comments[i : i + batch], ratings[i : i + batch])
    wall_s, cpu_s = time.perf_counter() - started, time.process_time() - cpu
    return len(comments) / wall_s, len(comments) / cpu_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--comments", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--languages", nargs="+", default=["en", "de", "es"])
    parser.add_argument(
        "--model-dir",
        type=Path,
        help="a model dir that already holds a promoted model (e.g. one eval_comments.py "
        "trained); default: the seed model, as `flask analysis build` makes it",
    )
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-comments-"))
    models = args.model_dir or work / "models"
    if args.model_dir is None:
        # The seed model as `flask analysis build` makes it (trained once per checkout).
        from feedback_service.analysis.text.build import build

        build(models, Path(__file__).resolve().parents[1] / "var" / "build")
    started = time.perf_counter()
    analyzer = CommentAnalyzer.load(models, work / "nltk")
    load_s = time.perf_counter() - started
    comments = make_comments(args.comments, seed=1, languages=args.languages)
    segments = sum(len(r.findings) for r in analyzer.analyze_many(comments[:1000]))
    print(
        f"model {analyzer.model_version}; {args.comments} comments "
        f"({' '.join(args.languages)}), batch {args.batch}"
    )
    print(f"(findings per comment on a sample: {segments / 1000:.2f})")
    print(f"loading the promoted model: {load_s:.2f}s")
    with threadpool_limits(limits=1):
        cold = []
        for _ in range(args.repeats):
            clear_lexicon_caches()
            cold.append(run(analyzer, comments, args.batch))
        warm = run(analyzer, comments, args.batch)
        started, cpu = time.perf_counter(), time.process_time()
        for text in comments[:2000]:
            analyzer.analyze(text)
        single = (
            2000 / (time.perf_counter() - started),
            2000 / (time.process_time() - cpu),
        )
    walls, cpus = [c[0] for c in cold], [c[1] for c in cold]
    print("comments/s/core (wall clock | CPU time)")
    print(
        f"analyze_many, cold lexicon cache: median {statistics.median(walls):,.0f}"
        f" | {statistics.median(cpus):,.0f}"
        f" (runs: {', '.join(f'{w:,.0f} | {c:,.0f}' for w, c in cold)})"
    )
    print(f"analyze_many, warm lexicon cache: {warm[0]:,.0f} | {warm[1]:,.0f}")
    print(f"analyze one at a time:           {single[0]:,.0f} | {single[1]:,.0f}")


if __name__ == "__main__":
    main()
