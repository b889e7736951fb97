"""Adapting the comment model to a deployment from its customers' own ratings.

    .venv/bin/python bench/eval_rating_adaptation.py [--data ../shared/data] [--seed 0]
        [--sets amazon,yelp,semeval] [--weights 0.5] [--tolerance 0.0]

A simulated deployment per English set in ``--data`` (read for measuring only,
never shipped): the set is split 50/50, stratified, with the halves of
bench/eval_comments.py. The first half are the deployment's comments; each gets a
CSAT rating drawn from its human label with noise, and its human label is then
thrown away. The noise model (fixed before measuring):

* negative text -> CSAT 1 / 2 / 3 with probability 0.55 / 0.30 / 0.15;
* neutral text  -> CSAT 2 / 3 / 4 / 5 with 0.15 / 0.35 / 0.35 / 0.15;
* positive text -> CSAT 5 / 4 / 3 with 0.60 / 0.30 / 0.10;
* and, whatever the text, 10% of ratings are unrelated to it: uniform over 1-5
  (a customer rating the outcome, the wait, or clicking the wrong button).

Then, exactly as the ``ratings`` training job does it (text/store.py
``train_and_maybe_promote`` with ``rated=``): the rating rule
(data.py ``rating_sentiment``: CSAT 1-2 negative, 5 positive, 3-4 left out)
labels the comments, the rows join the sentiment head weighted below people's
labels, and the candidate is measured next to the out-of-the-box model on the
seed's held-back split (people's labels only; no rating row is ever in it) and
promoted only if no head is worse there. The models are then measured on the
second half (binary macro-F1 for Amazon/Yelp, 3-class for SemEval, the
comment-level rule of bench/eval_comments.py). "taught by hand" is the ceiling:
the same deployment half with its human labels instead of ratings.

``--choose-weight`` picks the rating rows' weight without the measured half:
it splits the deployment half of ``--sets`` again (stratified, seed + 1), adapts
on the first part's ratings and scores the second part's human labels.

Pure and in-process: no database, no HTTP; about 10 s per model trained.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.eval_comments import (  # noqa: E402
    Example,
    halves,
    ours_sentiment,
    read_semeval,
    read_uci,
    scores,
    semeval_sentiment,
)
from feedback_service.analysis.text import lexicon  # noqa: E402
from feedback_service.analysis.text.data import (  # noqa: E402
    RATING_WEIGHT,
    LabelledSentence,
    RatedComment,
    rating_sentiment,
    seed_sentences,
    split,
)
from feedback_service.analysis.text.model import TrainedModel, train  # noqa: E402
from feedback_service.analysis.text.pipeline import CommentAnalyzer  # noqa: E402
from feedback_service.analysis.text.store import (  # noqa: E402
    load_promoted,
    rating_rows,
    train_and_maybe_promote,
    version_dir,
)

SETS = {
    "amazon": ("UCI Amazon", "sentiment-binary"),
    "yelp": ("UCI Yelp", "sentiment-binary"),
    "semeval": ("SemEval-14 restaurants", "sentiment-3"),
}
CSAT_GIVEN_LABEL = {
    "negative": ((1, 0.55), (2, 0.30), (3, 0.15)),
    "neutral": ((2, 0.15), (3, 0.35), (4, 0.35), (5, 0.15)),
    "positive": ((5, 0.60), (4, 0.30), (3, 0.10)),
}
UNRELATED = 0.10


def load_set(data: Path, key: str) -> list[Example]:
    if key == "semeval":
        return semeval_sentiment(read_semeval(data))
    return read_uci(data / f"{key}_{'cells_' if key == 'amazon' else ''}labelled.txt")


def simulated_csat(label: str, rng: random.Random) -> int:
    if rng.random() < UNRELATED:
        return rng.randint(1, 5)
    values, probs = zip(*CSAT_GIVEN_LABEL[label], strict=True)
    return rng.choices(values, probs)[0]


def rated_comments(deployment: list[Example], seed: int) -> tuple[list[RatedComment], Counter[str]]:
    """The deployment's comments labelled by their simulated rating, and how often the
    rating-derived label matches the (hidden) human one."""
    rng = random.Random(seed)
    out: list[RatedComment] = []
    agreement: Counter[str] = Counter()
    for e in deployment:
        sentiment = rating_sentiment(csat=simulated_csat(e.label, rng))
        if sentiment is None:
            agreement["left out"] += 1
            continue
        agreement["agrees" if sentiment == e.label else "disagrees"] += 1
        out.append(RatedComment(e.text, sentiment))
    return out, agreement


def choose_weight(data: Path, keys: list[str], weights: list[float], seed: int) -> None:
    work = Path(tempfile.mkdtemp(prefix="eval-rating-"))
    lexicon.configure(work / "nltk")
    seed_rows = seed_sentences()
    train_rows, _ = split(seed_rows)
    base = train(train_rows, seed=seed)
    print("| set (inner split of the deployment half) | weight | n | macro-F1 |\n|---|---|---|---|")
    for key in keys:
        binary = SETS[key][1] == "sentiment-binary"
        deployment, _measured = halves(load_set(data, key), seed)
        inner_teach, inner_dev = halves(deployment, seed + 1)
        rated, _ = rated_comments(inner_teach, seed)
        texts, truth = [e.text for e in inner_dev], [e.label for e in inner_dev]
        _, f1 = scores(truth, ours_sentiment(CommentAnalyzer(base), texts, binary))
        print(f"| {SETS[key][0]} | out of the box | {len(truth)} | {f1:.3f} |")
        for weight in weights:
            rows = rating_rows(rated, seed_rows, base, weight=weight)
            model = train(train_rows, seed=seed, sentiment_only=rows)
            _, f1 = scores(truth, ours_sentiment(CommentAnalyzer(model), texts, binary))
            print(f"| {SETS[key][0]} | {weight} | {len(truth)} | {f1:.3f} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sets", default=",".join(SETS))
    parser.add_argument(
        "--weights",
        default=str(RATING_WEIGHT),
        help="comma-separated weights of a rating row (a person's label is 1)",
    )
    parser.add_argument("--tolerance", type=float, default=0.0)
    parser.add_argument(
        "--choose-weight",
        action="store_true",
        help="score each weight on a split of the deployment half (the measured half unread)",
    )
    args = parser.parse_args()
    weights = [float(w) for w in args.weights.split(",")]
    if args.choose_weight:
        choose_weight(args.data, args.sets.split(","), weights, args.seed)
        return

    work = Path(tempfile.mkdtemp(prefix="eval-rating-"))
    lexicon.configure(work / "nltk")
    started = time.perf_counter()
    seed_dir = work / "seed-model"
    train_and_maybe_promote(seed_sentences(), seed_dir)
    out_of_box = CommentAnalyzer.load(seed_dir, work / "nltk")
    print(
        f"out-of-the-box model {out_of_box.model_version} "
        f"(seed, {time.perf_counter() - started:.0f}s)\n"
    )
    header = (
        "| set | model | rating rows | promoted (human held-back F1: sentiment/target/category)"
        " | n measured | accuracy | macro-F1 |\n|---|---|---|---|---|---|---|"
    )
    table = [header]
    notes = []
    for key in args.sets.split(","):
        name, kind = SETS[key]
        binary = kind == "sentiment-binary"
        deployment, measure = halves(load_set(args.data, key), args.seed)
        rated, agreement = rated_comments(deployment, args.seed)
        notes.append(
            f"{name}: {len(deployment)} deployment comments, {len(rated)} labelled by rating "
            f"({agreement['agrees']} agree with the hidden human label, "
            f"{agreement['disagrees']} disagree), {agreement['left out']} left out"
        )
        texts, truth = [e.text for e in measure], [e.label for e in measure]
        acc, f1 = scores(truth, ours_sentiment(out_of_box, texts, binary))
        table.append(f"| {name} | out of the box | 0 | - | {len(truth)} | {acc:.3f} | {f1:.3f} |")
        for weight in weights:
            model_dir = work / f"{key}-{weight}"
            # The deployment starts from the out-of-the-box model, as a fresh install does.
            train_and_maybe_promote(seed_sentences(), model_dir)
            t0 = time.perf_counter()
            report = train_and_maybe_promote(
                seed_sentences(),
                model_dir,
                rated=rated,
                rating_weight=weight,
                tolerance=args.tolerance,
            )
            took = time.perf_counter() - t0
            candidate = load_promoted(model_dir)
            assert candidate is not None
            if not report.promoted:
                candidate = TrainedModel.load(version_dir(model_dir, report.candidate_version))
            adapted = CommentAnalyzer(candidate)
            acc, f1 = scores(truth, ours_sentiment(adapted, texts, binary))
            m, cur = report.candidate_metrics, report.current_metrics or {}
            held = "/".join(
                f"{m[h]['macro_f1']:.3f} (was {cur[h]['macro_f1']:.3f})"
                for h in ("sentiment", "target", "category")
            )
            verdict = "yes" if report.promoted else "NO: " + "; ".join(report.reasons)
            table.append(
                f"| {name} | adapted, weight {weight} ({took:.0f}s) | {report.rating_rows} "
                f"| {verdict}; {held} on {report.held_out_rows} seed rows "
                f"| {len(truth)} | {acc:.3f} | {f1:.3f} |"
            )
            print(table[-1], flush=True)
        # The ceiling: the same half labelled by people, trained the same way.
        seed_rows = seed_sentences()
        by_hand = [LabelledSentence(e.text, e.label, None) for e in deployment]
        taught = train(split(seed_rows)[0], seed=args.seed, sentiment_only=by_hand)
        acc, f1 = scores(truth, ours_sentiment(CommentAnalyzer(taught), texts, binary))
        table.append(
            f"| {name} | taught by hand (its human labels, weight 1) | {len(by_hand)} "
            f"| - | {len(truth)} | {acc:.3f} | {f1:.3f} |"
        )
    print()
    print("\n".join(table))
    print()
    for note in notes:
        print(f"* {note}")


if __name__ == "__main__":
    main()
