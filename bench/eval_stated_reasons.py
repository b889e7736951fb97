"""Teaching the target head from the reason customers state in the survey.

    .venv/bin/python -m bench.eval_stated_reasons [--data ../shared/data] [--seed 0]
        [--agree 0.75] [--tolerance 0.0] [--seed-model var/models]

A simulated deployment on the SemEval-14 restaurant target set of
bench/eval_comments.py (``semeval_target``: service -> agent, food/price ->
product; the data in ``--data`` is read for measuring only, never shipped). The
set is split 50/50, stratified, with its ``halves``. The first half are the
deployment's comments: each customer also answered a ``reason`` choice question
mapped to the targets, and the comment's human label is then thrown away. The
noise model (fixed before measuring): with probability ``--agree`` (0.75) the
customer states the true target, otherwise one of the other two targets
(agent / product / process), uniformly: a customer who blames the product for a
rude reply, or picks "process" for a late delivery.

Then, exactly as a training run does it (text/store.py ``train_and_maybe_promote``
with ``stated=``, from the out-of-the-box model as a fresh install holds it): the
stated rows (weight 0.5, target only) join the target head's training rows, rows
whose text hash is in the held-back split are dropped, and the candidate is
promoted only if no head is worse on the seed's held-back split (people's labels
only). Every model is measured on the second half: target macro-F1 of agent vs
product, the comment-level rule of bench/eval_comments.py (``ours_target``). The
"stated without noise" row is the ceiling of the same path: every customer states
the true target.
"""

from __future__ import annotations

import random
from collections import Counter

from bench.eval_comments import (
    Example,
    halves,
    ours_target,
    read_semeval,
    scores,
    semeval_target,
)
from bench.eval_rating_adaptation import adapt, arguments, out_of_box
from feedback_service.analysis.text.data import LabelledSentence

STATED_TARGETS = ("agent", "product", "process")
STATED_WEIGHT = 0.5


def stated_reasons(
    deployment: list[Example], agree: float, seed: int
) -> tuple[list[LabelledSentence], Counter[str]]:
    """Each deployment comment labelled by the reason its customer chose (the true
    target with probability ``agree``, else another target), and how often it is true."""
    rng = random.Random(seed)
    out: list[LabelledSentence] = []
    told: Counter[str] = Counter()
    for e in deployment:
        if rng.random() < agree:
            stated = e.label
        else:
            stated = rng.choice([t for t in STATED_TARGETS if t != e.label])
        told["true" if stated == e.label else "other"] += 1
        out.append(LabelledSentence(e.text, None, stated, weight=STATED_WEIGHT))
    return out, told


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--agree", type=float, default=0.75)
    args = parser.parse_args()
    work, seed_dir, out_of_box_model = out_of_box(args.seed_model, "eval-stated-")

    deployment, measure = halves(semeval_target(read_semeval(args.data)), args.seed)
    texts, truth = [e.text for e in measure], [e.label for e in measure]
    acc, f1 = scores(truth, ours_target(out_of_box_model, texts))
    table = [
        "| model | stated rows trained on | promoted | n measured | accuracy | target macro-F1 |",
        "|---|---|---|---|---|---|",
        f"| out of the box | 0 | - | {len(truth)} | {acc:.3f} | {f1:.3f} |",
    ]
    print(table[-1], flush=True)
    runs = [(f"stated reasons, {args.agree:.0%} true", args.agree), ("stated without noise", 1.0)]
    notes = [f"deployment half {len(deployment)} comments ({Counter(e.label for e in deployment)})"]
    for index, (name, agree) in enumerate(runs):
        stated, told = stated_reasons(deployment, agree, args.seed)
        notes.append(f"{name}: {told['true']} state the true target, {told['other']} another")
        report, taught, took = adapt(seed_dir, work / f"run-{index}", [], args.tolerance, stated)
        acc, f1 = scores(truth, ours_target(taught, texts))
        why = [r for r in report.reasons if not r.startswith("no domain adapter")]
        verdict = "yes" if report.promoted else "NO: " + "; ".join(why)
        table.append(
            f"| {name} ({took:.0f}s) | {report.stated_rows} | {verdict} | {len(truth)} "
            f"| {acc:.3f} | {f1:.3f} |"
        )
        print(table[-1], flush=True)
    print("\n" + "\n".join(table) + "\n\n" + "\n".join(f"* {note}" for note in notes))


if __name__ == "__main__":
    main()
