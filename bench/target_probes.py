"""Target-head probes on the seed data (reads no public data set).

    .venv/bin/python bench/target_probes.py probes [seed.csv ...]
    .venv/bin/python bench/target_probes.py lodo

``probes``: trains the full model on each given sentences.csv (default: the
working tree's seed) and reads ``bench/data/target_probes.csv`` (hand-written
probe sentences with intended targets, never trained on): 4-class accuracy and
macro-F1, and agent-vs-product as the public eval scores it (agent if
P(agent) > P(product), on the agent and product probes only).

``lodo``: leave one ``fragments_support_*`` file out, train the target head
alone (shipped features and C) on every other seed row, score that domain:
agent vs product/process macro-F1 and 4-class macro-F1.
"""

from __future__ import annotations

import csv
import sys
from collections import Counter
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from threadpoolctl import threadpool_limits

from feedback_service.analysis.text.data import LabelledSentence, read_csv
from feedback_service.analysis.text.model import _C, build_features, train
from feedback_service.analysis.text.pipeline import CommentAnalyzer
from feedback_service.analysis.text.seed.generate import build_rows_with_source

ROOT = Path(__file__).resolve().parents[1]
PROBES = ROOT / "bench" / "data" / "target_probes.csv"
SEED = ROOT / "feedback_service" / "analysis" / "text" / "seed" / "sentences.csv"


def probes(csv_path: Path) -> None:
    with csv_path.open(encoding="utf-8", newline="") as fh:
        rows = list(read_csv(fh))
    with PROBES.open(encoding="utf-8", newline="") as fh:
        probe = list(csv.DictReader(fh))
    analyzer = CommentAnalyzer(train(rows))
    scores = analyzer.target_scores([p["text"] for p in probe])
    truth = [p["target"] for p in probe]
    pred4 = [max(s, key=lambda k: s[k]) if s else "unsupported" for s in scores]
    acc = np.mean([t == p for t, p in zip(truth, pred4, strict=True)])
    f1 = f1_score(truth, pred4, labels=["agent", "product", "process", "none"], average="macro")
    ap = [
        (t, "agent" if s and s["agent"] > s["product"] else "product")
        for t, s in zip(truth, scores, strict=True)
        if t in ("agent", "product")
    ]
    ap_f1 = f1_score([a for a, _ in ap], [b for _, b in ap], average="macro")
    conf = Counter(zip(truth, pred4, strict=True))
    ap_conf = Counter(ap)
    print(f"== {csv_path} ({len(rows)} rows)")
    print(f"4-class acc {acc:.3f} macro-F1 {f1:.3f}; agent-vs-product macro-F1 {ap_f1:.3f}")
    print(
        f"agent-vs-product errors: product read as agent {ap_conf['product', 'agent']}"
        f"/{sum(t == 'product' for t, _ in ap)}, agent read as product "
        f"{ap_conf['agent', 'product']}/{sum(t == 'agent' for t, _ in ap)}"
    )
    print("4-class confusion (truth, predicted):", dict(sorted(conf.items())))
    for p, s, guess in zip(probe, scores, pred4, strict=True):
        if guess != p["target"]:
            print(
                f"  MISS {p['target']:>7} -> {guess:<7} agent={s['agent']:.2f} "
                f"product={s['product']:.2f}  {p['text']}"
                if s
                else f"  UNSUP {p['text']}"
            )


def lodo() -> None:
    rows = build_rows_with_source()
    files = sorted({s for s, _ in rows if s.startswith("fragments_support_")})
    pooled_t: list[str] = []
    pooled_p: list[str] = []
    for held in files:
        tr = [LabelledSentence(*r) for s, r in rows if s != held]
        te = [LabelledSentence(*r) for s, r in rows if s == held]
        feats = build_features()
        x = feats.fit_transform([r.text for r in tr]).tocsr()
        clf = LogisticRegression(C=_C["target"], class_weight="balanced", max_iter=2000)
        with threadpool_limits(limits=1):
            clf.fit(x, [r.target for r in tr])
        pred = list(clf.predict(feats.transform([r.text for r in te])))
        truth = [r.target or "" for r in te]
        f4 = f1_score(truth, pred, average="macro")
        keep = [i for i, t in enumerate(truth) if t != "none"]
        bt = ["agent" if truth[i] == "agent" else "other" for i in keep]
        bp = ["agent" if pred[i] == "agent" else "other" for i in keep]
        pooled_t += bt
        pooled_p += bp
        pa = sum(1 for i in keep if truth[i] == "product" and pred[i] == "agent")
        print(
            f"{held}: agent-vs-other {f1_score(bt, bp, average='macro'):.3f} "
            f"4-class {f4:.3f} product->agent {pa}",
            flush=True,
        )
    pooled = f1_score(pooled_t, pooled_p, average="macro")
    print(f"pooled agent vs product/process macro-F1 {pooled:.3f}")


if __name__ == "__main__":
    if sys.argv[1] == "lodo":
        lodo()
    else:
        for arg in sys.argv[2:] or [str(SEED)]:
            probes(Path(arg))
