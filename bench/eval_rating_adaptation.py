"""Adapting the comment model to a deployment from its customers' own ratings.

    .venv/bin/python -m bench.eval_rating_adaptation [--data ../shared/data] [--seed 0]
        [--sets amazon,yelp,semeval] [--tolerance 0.0]

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
``train_and_maybe_promote`` with ``rated=``, starting from the out-of-the-box
model as a fresh install holds it): the rating rule (data.py
``rating_distribution``: CSAT 1-2 negative, 3 neutral, 4 half neutral and half
positive, 5 positive) labels the comments, a domain adapter (text/adapt.py) is
fitted on them outside the held-back hash split, its stacking with the seed model
cross-validated inside them, and the candidate is promoted only if the
seed-trained heads are not worse on the seed's held-back split (people's labels
only; no rating row is ever in it). The models are then measured on the second
half (binary macro-F1 for Amazon/Yelp, 3-class for SemEval, the comment-level
rule of bench/eval_comments.py). "taught by hand" is the ceiling of the same
path: the same deployment half with its human labels as the rows' labels.

Pure and in-process: no database, no HTTP; the seed model is trained once
(minutes), each adaptation then takes seconds.
"""

from __future__ import annotations

import argparse
import random
import shutil
import tempfile
import time
from collections import Counter
from pathlib import Path

from bench.eval_comments import (
    Example,
    eval_arguments,
    halves,
    load_set,
    ours_sentiment,
    scores,
)
from feedback_service.analysis.text import lexicon
from feedback_service.analysis.text.data import (
    LabelledSentence,
    RatedComment,
    rating_distribution,
    seed_sentences,
)
from feedback_service.analysis.text.model import TrainedModel
from feedback_service.analysis.text.pipeline import CommentAnalyzer
from feedback_service.analysis.text.store import (
    PromotionReport,
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


def simulated_csat(label: str, rng: random.Random) -> int:
    if rng.random() < UNRELATED:
        return rng.randint(1, 5)
    values, probs = zip(*CSAT_GIVEN_LABEL[label], strict=True)
    return rng.choices(values, probs)[0]


def rated_comments(deployment: list[Example], seed: int) -> tuple[list[RatedComment], Counter[str]]:
    """The deployment's comments labelled by their simulated rating, and how often the
    rating's most likely class matches the (hidden) human one."""
    rng = random.Random(seed)
    out: list[RatedComment] = []
    agreement: Counter[str] = Counter()
    for e in deployment:
        shares = rating_distribution(csat=simulated_csat(e.label, rng))
        assert shares is not None
        best = max(shares, key=lambda s: shares[s])
        agreement["agrees" if shares[best] == 1 and best == e.label else "disagrees"] += 1
        out.append(RatedComment(e.text, shares))
    return out, agreement


def adapt(
    seed_dir: Path,
    model_dir: Path,
    rated: list[RatedComment],
    tolerance: float,
    stated: list[LabelledSentence] | None = None,
) -> tuple[PromotionReport, CommentAnalyzer, float]:
    """The production adaptation (or, with ``stated``, teaching from stated reasons) on
    a copy of a fresh install's model directory."""
    shutil.copytree(seed_dir, model_dir)
    started = time.perf_counter()
    report = train_and_maybe_promote(
        seed_sentences(), model_dir, rated=rated, tolerance=tolerance, stated=stated or ()
    )
    took = time.perf_counter() - started
    model = TrainedModel.load(version_dir(model_dir, report.candidate_version))
    return report, CommentAnalyzer(model), took


def row(
    name: str, method: str, report: PromotionReport, took: float, n: int, acc: float, f1: float
) -> str:
    adapter = report.candidate_metrics.get("adapter")
    how = (
        f"adapter's share {adapter['weight']}, CV macro-F1 "
        f"{adapter['cross_validation']['macro_f1']}"
        f" (seed alone {adapter['cross_validation']['seed_macro_f1']})"
        if adapter
        else "no adapter"
    )
    verdict = "yes" if report.promoted else "NO: " + "; ".join(report.reasons)
    return (
        f"| {name} | {method} ({took:.0f}s) | {report.rating_rows} | {how} | {verdict} "
        f"| {n} | {acc:.3f} | {f1:.3f} |"
    )


def arguments(doc: str) -> argparse.ArgumentParser:
    """The options every deployment simulation takes."""
    parser = eval_arguments(doc)
    parser.add_argument("--tolerance", type=float, default=0.0)
    parser.add_argument(
        "--seed-model",
        type=Path,
        help="a model directory holding the out-of-the-box model, reused (trained there if empty)",
    )
    return parser


def out_of_box(seed_model: Path | None, prefix: str) -> tuple[Path, Path, CommentAnalyzer]:
    """A scratch directory, the out-of-the-box model's directory (``seed_model``, or
    trained in the scratch directory) and the model as a fresh install reads it."""
    work = Path(tempfile.mkdtemp(prefix=prefix))
    lexicon.configure(work / "nltk")
    started = time.perf_counter()
    seed_dir = seed_model or work / "seed-model"
    if not (seed_dir / "promoted.json").exists():
        train_and_maybe_promote(seed_sentences(), seed_dir)
    analyzer = CommentAnalyzer.load(seed_dir, work / "nltk")
    print(
        f"out-of-the-box model {analyzer.model_version} "
        f"(seed, {time.perf_counter() - started:.0f}s)\n"
    )
    return work, seed_dir, analyzer


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--sets", default=",".join(SETS))
    args = parser.parse_args()
    work, seed_dir, out_of_box_model = out_of_box(args.seed_model, "eval-rating-")
    header = (
        "| set | model | rows | adapter (stacked, cross-validated on the rows) | promoted"
        " | n measured | accuracy | macro-F1 |\n|---|---|---|---|---|---|---|---|"
    )
    table = [header]
    notes = []
    for key in args.sets.split(","):
        name, kind = SETS[key]
        binary = kind == "sentiment-binary"
        deployment, measure = halves(load_set(args.data, key), args.seed)
        rated, agreement = rated_comments(deployment, args.seed)
        notes.append(
            f"{name}: {len(deployment)} deployment comments labelled by rating "
            f"({agreement['agrees']} say the hidden human label for sure, "
            f"{agreement['disagrees']} do not say it for sure)"
        )
        texts, truth = [e.text for e in measure], [e.label for e in measure]
        acc, f1 = scores(truth, ours_sentiment(out_of_box_model, texts, binary))
        table.append(
            f"| {name} | out of the box | 0 | - | - | {len(truth)} | {acc:.3f} | {f1:.3f} |"
        )
        report, adapted, took = adapt(seed_dir, work / key, rated, args.tolerance)
        acc, f1 = scores(truth, ours_sentiment(adapted, texts, binary))
        table.append(row(name, "adapted from ratings", report, took, len(truth), acc, f1))
        print(table[-1], flush=True)
        # The ceiling: the same half labelled by people, through the same path.
        by_hand = [RatedComment(e.text, {e.label: 1.0}) for e in deployment]
        report, taught, took = adapt(seed_dir, work / f"{key}-by-hand", by_hand, args.tolerance)
        acc, f1 = scores(truth, ours_sentiment(taught, texts, binary))
        table.append(row(name, "taught by hand (ceiling)", report, took, len(truth), acc, f1))
    print()
    print("\n".join(table))
    print()
    for note in notes:
        print(f"* {note}")


if __name__ == "__main__":
    main()
