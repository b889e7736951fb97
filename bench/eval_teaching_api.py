"""Teach the comment model through the API and measure what it learnt.

    .venv/bin/python -m bench.eval_teaching_api [--data ../shared/data] [--seed 0]
        [--sets target,gap,amazon,yelp,semeval-sentiment] [--tolerance 0.0]

For each labelled set in ``--data`` (read for measuring only, never shipped): split
it 50/50 (stratified, fixed seed, the same halves as bench/eval_comments.py), then
on a scratch install (fresh SQLite database upgraded to head, eager workers, its
own MODEL_DIR starting from the seed model `flask analysis build` makes):

1. ``POST /api/v1/labels/import`` the teaching half as a CSV upload (text,
   sentiment, target, category; the label mapping is eval_comments.py's);
2. ``POST /api/v1/analysis/train`` (the training job: seed + every label, 20%
   held back by text hash for the promotion check, promoted only if not worse),
   then ``GET /api/v1/analysis/train/<id>`` for its figures;
3. measure the model that is active afterwards on the other half, next to the
   out-of-the-box model and a keyword baseline on the same half (and, when the
   candidate was refused, the candidate too, to show what the rule cost).

Prints markdown tables; bench/README-comments-teaching.md holds a run.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.eval_comments import (
    Example,
    eval_arguments,
    halves,
    keyword_gap,
    keyword_target,
    load_set,
    ours_gap,
    ours_sentiment,
    ours_target,
    scores,
    vader_sentiment,
)
from bench.harness import key_headers

SETS = {
    "target": ("SemEval-14 service (agent) vs food/price (product)", "target"),
    "gap": ("Maalej app reviews, PD+FR (product gap) vs rest", "gap"),
    "amazon": ("UCI Amazon sentiment", "sentiment-binary"),
    "yelp": ("UCI Yelp sentiment", "sentiment-binary"),
    "semeval-sentiment": ("SemEval-14 restaurants sentiment", "sentiment-3"),
}


def as_csv(examples: list[Example]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["text", "sentiment", "target", "category"])
    for e in examples:
        t = e.teach
        writer.writerow([t.text, t.sentiment or "", t.target or "", t.category or ""])
    return out.getvalue().encode()


def predict(analyzer: Any, kind: str, texts: list[str]) -> list[str]:
    if kind == "target":
        return ours_target(analyzer, texts)
    if kind == "gap":
        return ours_gap(analyzer, texts)
    return ours_sentiment(analyzer, texts, binary=kind == "sentiment-binary")


def baseline(kind: str, texts: list[str]) -> tuple[str, list[str]]:
    if kind == "target":
        return "keyword baseline", keyword_target(texts)
    if kind == "gap":
        return "keyword baseline", keyword_gap(texts)
    return "plain VADER (+-0.05)", vader_sentiment(texts)


def scratch_app(work: Path, seed_models: Path) -> Any:
    """A fresh install: its own SQLite database at head, eager tasks, a copy of the
    seed model as its MODEL_DIR."""
    os.environ["FEEDBACK_DATA_DIR"] = str(work)
    from feedback_service import create_app
    from feedback_service.cli import upgrade_database

    url = f"sqlite:///{work / 'scratch.sqlite3'}"
    upgrade_database(url)
    shutil.copytree(seed_models, work / "models")
    return create_app(
        {
            "TESTING": True,
            "DATABASE_URL": url,
            "BROKER_URL": f"sqla+sqlite:///{work / 'broker.sqlite3'}",
            "CELERY_TASK_ALWAYS_EAGER": True,
            "MODEL_DIR": str(work / "models"),
            "RATELIMIT_ENABLED": False,
        }
    )


def teach_and_measure(
    key: str,
    examples: list[Example],
    seed: int,
    seed_models: Path,
    out_of_box: Any,
    tolerance: float,
) -> list[str]:
    from feedback_service.analysis.comments.analyzer import current_analyzer
    from feedback_service.analysis.text import CommentAnalyzer, TrainedModel

    name, kind = SETS[key]
    teach, measure = halves(examples, seed)
    work = Path(tempfile.mkdtemp(prefix=f"teach-{key}-"))
    app = scratch_app(work, seed_models)
    headers = key_headers(app, "admin")
    client = app.test_client()
    started = time.perf_counter()
    imported = client.post(
        "/api/v1/labels/import",
        data={"file": (io.BytesIO(as_csv(teach)), f"{key}.csv")},
        content_type="multipart/form-data",
        headers=headers,
    )
    assert imported.status_code == 201, imported.json
    job = client.post("/api/v1/analysis/train", json={"tolerance": tolerance}, headers=headers)
    assert job.status_code == 202, job.json
    run = client.get(f"/api/v1/analysis/train/{job.json['id']}", headers=headers).json
    took = time.perf_counter() - started
    assert run["status"] == "done", run
    with app.app_context():
        taught = current_analyzer()
    measured = [("ours, out of the box", out_of_box), ("ours, taught (active model)", taught)]
    if not run["promoted"]:
        candidate = TrainedModel.load(work / "models" / "versions" / run["candidate_version"])
        measured.append(("ours, taught candidate (refused)", CommentAnalyzer(candidate)))
    texts = [e.text for e in measure]
    truth = [e.label for e in measure]
    lines = []
    for method, analyzer in measured:
        acc, f1 = scores(truth, predict(analyzer, kind, texts))
        lines.append(f"| {name} | {method} | {len(truth)} | {acc:.3f} | {f1:.3f} |")
    label, pred = baseline(kind, texts)
    acc, f1 = scores(truth, pred)
    lines.append(f"| {name} | {label} | {len(truth)} | {acc:.3f} | {f1:.3f} |")
    promoted = "promoted" if run["promoted"] else "NOT promoted: " + "; ".join(run["reasons"])
    held = run["metrics"]
    lines.append(
        f"|  | taught with {imported.json['imported']} imported rows: "
        f"{run['train_rows']} trained on, {run['held_out_rows']} held back; candidate "
        f"{run['candidate_version']} {promoted} (held-back macro-F1 sentiment "
        f"{held['sentiment']['macro_f1']:.3f}, target {held['target']['macro_f1']:.3f}, "
        f"category {held['category']['macro_f1']:.3f}); import + training {took:.0f}s |  |  |  |"
    )
    shutil.rmtree(work, ignore_errors=True)
    return lines


def main() -> None:
    parser = eval_arguments(__doc__)
    parser.add_argument("--sets", default=",".join(SETS), help=f"any of {','.join(SETS)}")
    parser.add_argument(
        "--tolerance",
        type=float,
        default=0.0,
        help="promotion tolerance sent with POST /analysis/train (product default 0: strict)",
    )
    args = parser.parse_args()
    keys = [k.strip() for k in args.sets.split(",") if k.strip()]
    unknown = set(keys) - set(SETS)
    if unknown:
        parser.error(f"unknown sets: {sorted(unknown)}")

    from feedback_service.analysis.text import CommentAnalyzer
    from feedback_service.analysis.text.build import build

    root = Path(tempfile.mkdtemp(prefix="eval-teaching-"))
    started = time.perf_counter()
    # What a fresh install has after `flask analysis build`, shared by every scratch install.
    build(root / "seed-models", Path(__file__).resolve().parents[1] / "var" / "build")
    out_of_box = CommentAnalyzer.load(root / "seed-models", root / "nltk")
    print(f"seed model {out_of_box.model_version} ready in {time.perf_counter() - started:.0f}s\n")
    print("| set | method | n (measured half) | accuracy | macro-F1 |\n|---|---|---|---|---|")
    for key in keys:
        for line in teach_and_measure(
            key,
            load_set(args.data, key),
            args.seed,
            root / "seed-models",
            out_of_box,
            args.tolerance,
        ):
            print(line, flush=True)
    shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
