"""Where trained models live, and the rule that decides which one is used.

Layout under the ``model_dir`` the caller passes::

    model_dir/versions/<version>/model.joblib   the fitted pipeline
    model_dir/versions/<version>/meta.json      version, row count, metrics, taxonomy
    model_dir/promoted.json                     {"version": ..., "metrics": ...}

``promoted.json`` is replaced atomically, so a worker reading it mid-promotion
sees either the old or the new model, never a mix.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from feedback_service.analysis.text.data import (
    RATING_WEIGHT,
    LabelledSentence,
    RatedComment,
    deduplicate,
    is_held_out,
    normalise,
    split,
)
from feedback_service.analysis.text.taxonomy import Taxonomy

if TYPE_CHECKING:
    from feedback_service.analysis.text.model import TrainedModel

PROMOTED_FILE: Final = "promoted.json"
HOLDOUT_FRACTION: Final = 0.2
# A rated comment longer than this many segments mixes too much to carry one label.
MAX_RATED_SEGMENTS: Final = 3
_OPPOSITE: Final = {"positive": "negative", "negative": "positive"}


def version_dir(model_dir: Path, version: str) -> Path:
    return Path(model_dir) / "versions" / version


def promoted_version(model_dir: Path | str) -> str | None:
    path = Path(model_dir) / PROMOTED_FILE
    if not path.exists():
        return None
    return str(json.loads(path.read_text())["version"])


def load_promoted(model_dir: Path | str) -> TrainedModel | None:
    version = promoted_version(model_dir)
    if version is None:
        return None
    from feedback_service.analysis.text.model import TrainedModel

    return TrainedModel.load(version_dir(Path(model_dir), version))


def list_versions(model_dir: Path | str) -> list[dict[str, Any]]:
    """Every saved version with its figures, newest directory name last."""
    root = Path(model_dir) / "versions"
    promoted = promoted_version(model_dir)
    out = []
    for meta_path in sorted(root.glob("*/meta.json")):
        meta = json.loads(meta_path.read_text())
        meta["promoted"] = meta["version"] == promoted
        out.append(meta)
    return out


def _write_atomic(path: Path, payload: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "w") as fh:
        json.dump(payload, fh, indent=2, sort_keys=True)
    os.replace(tmp, path)


def promote(model_dir: Path | str, model: TrainedModel) -> None:
    _write_atomic(
        Path(model_dir) / PROMOTED_FILE, {"version": model.version, "metrics": model.metrics}
    )


@dataclass
class PromotionReport:
    candidate_version: str
    promoted: bool
    candidate_metrics: dict[str, Any]
    current_version: str | None
    current_metrics: dict[str, Any] | None
    train_rows: int
    held_out_rows: int
    reasons: list[str] = field(default_factory=list)
    # Rating-derived rows trained on (never in the held-back rows).
    rating_rows: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def rating_rows(
    rated: Iterable[RatedComment],
    human: Iterable[LabelledSentence],
    current: TrainedModel | None,
    holdout_fraction: float = HOLDOUT_FRACTION,
    seed: int = 0,
    weight: float = RATING_WEIGHT,
) -> list[LabelledSentence]:
    """Training rows from comments labelled by their own rating, at ``weight``.

    The model learns sentences, and a rating is about the whole comment: a comment
    of one segment is taken whole; of two or three, each segment that the current
    model does not read as the opposite ("the agent was lovely" in a CSAT 1 comment
    about billing is left out); longer ones are left out. Never in the evaluation
    set: a text a person labelled is theirs (their label wins), and a text whose
    hash puts it in the held-back split is not trained on either, so if a person
    labels it later, no earlier model has seen it.
    """
    # Imported here: segmenting needs NLTK, which a web process reading
    # ``promoted.json`` through this module must not load.
    from feedback_service.analysis.text.segment import segments

    taken = {normalise(r.text) for r in human}
    candidates: list[tuple[str, str, bool]] = []
    for comment in rated:
        parts = segments(comment.text)
        if not parts or len(parts) > MAX_RATED_SEGMENTS:
            continue
        if len(parts) == 1:
            candidates.append((comment.text, comment.sentiment, False))
        else:
            candidates.extend((part, comment.sentiment, True) for part in parts)
    checked = [text for text, _, check in candidates if check]
    read_as = iter(
        current.predict_labels(checked)["sentiment"] if checked and current is not None else []
    )
    out: list[LabelledSentence] = []
    for text, sentiment, check in candidates:
        if check and current is not None and next(read_as) == _OPPOSITE[sentiment]:
            continue
        key = normalise(text)
        if key in taken or is_held_out(text, holdout_fraction, seed):
            continue
        taken.add(key)
        out.append(LabelledSentence(text, sentiment, None, weight=weight))
    return out


def train_and_maybe_promote(
    rows: Iterable[LabelledSentence],
    model_dir: Path | str,
    taxonomy: Taxonomy | None = None,
    seed: int = 0,
    holdout_fraction: float = HOLDOUT_FRACTION,
    tolerance: float = 0.0,
    rated: Iterable[RatedComment] = (),
    rating_weight: float = RATING_WEIGHT,
) -> PromotionReport:
    """Retrain on ``rows`` (seed data + people's labels) and ``rated`` (comments
    labelled by their rating), measure, promote if not worse.

    Both the candidate and the currently promoted model are measured on the
    same held-back rows, drawn from ``rows`` alone: a rating-derived row is never
    in them, so the comparison is on what people said. The candidate is promoted
    only if, on every head (sentiment, target, category), its macro-F1 is at
    least the current one's minus ``tolerance``. The default 0 is the strict
    rule; on a few hundred held-back rows one flipped sentence moves macro-F1 by
    ~0.002-0.005, so a caller may allow that much noise (e.g. 0.005) rather than
    refuse a useful set of corrections by chance. The candidate is saved either
    way so a manager can see what was refused.
    """
    from feedback_service.analysis.text.model import HEADS, train

    root = Path(model_dir)
    data = deduplicate(rows)
    train_rows, held_out = split(data, holdout_fraction, seed)
    if not held_out:
        raise ValueError("no rows fell into the held-back split; add more labelled rows")
    current = load_promoted(root)
    weak = rating_rows(rated, data, current, holdout_fraction, seed, rating_weight)
    candidate = train(train_rows, taxonomy, seed, sentiment_only=weak)
    candidate.metrics = candidate.evaluate(held_out)
    current_metrics = current.evaluate(held_out) if current is not None else None
    reasons: list[str] = []
    promoted = True
    if current is not None and current_metrics is not None:
        for head in HEADS:
            if head not in candidate.metrics or head not in current_metrics:
                continue
            new, old = candidate.metrics[head]["macro_f1"], current_metrics[head]["macro_f1"]
            if new < old - tolerance:
                promoted = False
                reasons.append(f"{head} macro-F1 {new:.4f} < current {old:.4f}")
        if promoted:
            allowance = f" by more than {tolerance}" if tolerance else ""
            reasons.append(
                f"no head's macro-F1 below {current.version}'s{allowance} on "
                f"{len(held_out)} held-back rows labelled by people"
            )
    else:
        reasons.append("no promoted model yet")
    if current is not None and current.version == candidate.version:
        reasons.append("same data and settings as the promoted model")
    candidate.save(version_dir(root, candidate.version))
    if promoted:
        promote(root, candidate)
    return PromotionReport(
        candidate_version=candidate.version,
        promoted=promoted,
        candidate_metrics=candidate.metrics,
        current_version=current.version if current is not None else None,
        current_metrics=current_metrics,
        train_rows=len(train_rows) + len(weak),
        held_out_rows=len(held_out),
        reasons=reasons,
        rating_rows=len(weak),
    )
