"""How far a bag-of-n-grams model gets on a set when it is trained on that set itself.

    .venv/bin/python -m bench.eval_lexical_ceiling [--data ../shared/data] [--seeds 0,1,2]

The reference for issue 14's sentiment goals. For each split seed, the SemEval-14
restaurant sentences (3 classes, the labels and stratified halves of
bench/eval_comments.py) are split 50/50; a model is trained on the first half's
*human* labels (in-domain, 1,724 sentences, more than any deployment teaches in
its first months) and scored on the second half. Models: word 1-2-gram + char
2-5-gram TF-IDF with logistic regression or a linear SVM, classes balanced, three
strengths each; the best of the grid per seed is in-hindsight (chosen on the
scored half), so it is an upper bound for this family, not a fair figure.

If that in-domain ceiling sits near the shipped model's out-of-the-box figure,
neither more seed sentences nor teaching from ratings (labels noisier than these)
can lift the comment model by several points with these features: that takes a
representation learnt from far more text than a project can write (a pretrained
language model), which the product's stack and its 1,000 comments/s per core do
not carry today. The data is read for measuring only, never shipped.
"""

from __future__ import annotations

import statistics

from sklearn.base import ClassifierMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline, make_union
from sklearn.svm import LinearSVC

from bench.eval_comments import eval_arguments, halves, load_set, scores

STRENGTHS = (1.0, 4.0, 10.0)


def classifiers(strength: float) -> dict[str, ClassifierMixin]:
    return {
        "logistic regression": LogisticRegression(
            C=strength, max_iter=3000, class_weight="balanced"
        ),
        "linear SVM": LinearSVC(C=strength / 10, class_weight="balanced"),
    }


def in_domain_f1(train: list[tuple[str, str]], test: list[tuple[str, str]]) -> dict[str, float]:
    """Macro-F1 on ``test`` of every model in the grid, trained on ``train``."""
    out = {}
    for strength in STRENGTHS:
        for name, classifier in classifiers(strength).items():
            features = make_union(
                TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
                TfidfVectorizer(
                    analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2
                ),
            )
            model = make_pipeline(features, classifier)
            model.fit([text for text, _ in train], [label for _, label in train])
            predicted = list(model.predict([text for text, _ in test]))
            out[f"{name}, C {strength:g}"] = scores([label for _, label in test], predicted)[1]
    return out


def main() -> None:
    parser = eval_arguments(__doc__)
    parser.add_argument("--seeds", default="0,1,2", help="split seeds, comma-separated")
    args = parser.parse_args()
    examples = load_set(args.data, "semeval-sentiment")
    print("| split seed | trained on | scored on | best of the grid (in hindsight) | grid mean |")
    print("|---|---:|---:|---|---:|")
    best_by_seed = []
    for seed in (int(s) for s in args.seeds.split(",")):
        teach, measure = halves(examples, seed)
        figures = in_domain_f1(
            [(e.text, e.label) for e in teach], [(e.text, e.label) for e in measure]
        )
        name, best = max(figures.items(), key=lambda item: item[1])
        best_by_seed.append(best)
        mean = statistics.mean(figures.values())
        print(f"| {seed} | {len(teach)} | {len(measure)} | {best:.3f} ({name}) | {mean:.3f} |")
    print(
        f"\nSemEval-14 3-class macro-F1, in-domain n-gram ceiling: best per seed "
        f"{min(best_by_seed):.3f}-{max(best_by_seed):.3f}, mean {statistics.mean(best_by_seed):.3f}"
    )


if __name__ == "__main__":
    main()
