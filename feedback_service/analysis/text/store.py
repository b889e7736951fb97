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
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from feedback_service.analysis.text.data import (
    LabelledSentence,
    RatedComment,
    deduplicate,
    is_held_out,
    normalise,
    split,
)
from feedback_service.analysis.text.taxonomy import Taxonomy

if TYPE_CHECKING:
    from feedback_service.analysis.text.adapt import AdapterRow, DomainAdapter
    from feedback_service.analysis.text.model import TrainedModel

PROMOTED_FILE: Final = "promoted.json"
HOLDOUT_FRACTION: Final = 0.2


class ModelNotReady(LookupError):
    """No model is promoted in the directory yet: ``flask analysis build`` makes one."""

    def __init__(self, model_dir: Path | str) -> None:
        super().__init__(
            f"no comment model in {model_dir} yet; build it with `flask analysis build` "
            "(bin/setup and the Docker image do)"
        )
        self.model_dir = Path(model_dir)


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
    # Comments labelled by their rating the domain adapter learnt from (never in the
    # held-back rows); 0 when there is no adapter.
    rating_rows: int = 0
    # Comments labelled by the reason the customer chose (target head only, never in
    # the held-back rows).
    stated_rows: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def adapter_rows(
    rated: Iterable[RatedComment],
    deployment_labels: Iterable[LabelledSentence],
    holdout_fraction: float = HOLDOUT_FRACTION,
    seed: int = 0,
) -> list[AdapterRow]:
    """The domain adapter's rows: people's sentiment labels from this deployment, then
    comments labelled by their rating (a text a person labelled is theirs).

    Never a text whose hash puts it in the held-back split: held-back labels are what
    an adapted model is checked on, and a rated comment a person labels later must not
    have been seen by an earlier model.
    """
    from feedback_service.analysis.text.adapt import AdapterRow

    out: list[AdapterRow] = []
    taken: set[str] = set()
    for row in reversed(deduplicate(deployment_labels)):
        key = normalise(row.text)
        if row.sentiment is None or key in taken:
            continue
        taken.add(key)
        if not is_held_out(row.text, holdout_fraction, seed):
            out.append(AdapterRow(row.text, {row.sentiment: 1.0}, "label"))
    for comment in rated:
        key = normalise(comment.text)
        if key in taken or not comment.text.strip():
            continue
        taken.add(key)
        if not is_held_out(comment.text, holdout_fraction, seed):
            out.append(AdapterRow(comment.text, comment.sentiment, "rating"))
    return out


def stated_training_rows(
    stated: Iterable[LabelledSentence],
    rows: Iterable[LabelledSentence],
    holdout_fraction: float = HOLDOUT_FRACTION,
    seed: int = 0,
) -> list[LabelledSentence]:
    """Comments labelled by the customer's stated reason that the target head may learn:
    target only, never a text of ``rows`` (a person's label or the seed's wins), never
    a text whose hash puts it in the held-back split (promotion stays on people's labels).
    """
    taken = {normalise(r.text) for r in rows}
    out = []
    for row in deduplicate(r for r in stated if r.target is not None and r.text.strip()):
        if normalise(row.text) not in taken and not is_held_out(row.text, holdout_fraction, seed):
            out.append(replace(row, sentiment=None, category=None))
    return out


def deployment_held_out(
    deployment_labels: Iterable[LabelledSentence],
    holdout_fraction: float = HOLDOUT_FRACTION,
    seed: int = 0,
) -> list[LabelledSentence]:
    """People's sentiment labels from this deployment that no model trains on."""
    return [
        r
        for r in deduplicate(deployment_labels)
        if r.sentiment is not None and is_held_out(r.text, holdout_fraction, seed)
    ]


def train_and_maybe_promote(
    rows: Iterable[LabelledSentence],
    model_dir: Path | str,
    taxonomy: Taxonomy | None = None,
    seed: int = 0,
    holdout_fraction: float = HOLDOUT_FRACTION,
    tolerance: float = 0.0,
    rated: Iterable[RatedComment] = (),
    deployment_labels: Iterable[LabelledSentence] = (),
    stated: Iterable[LabelledSentence] = (),
) -> PromotionReport:
    """Retrain on ``rows`` (seed data + people's labels), adapt to the deployment's
    ``deployment_labels`` (people's labels, also in ``rows``) and ``rated`` comments,
    measure, promote if not worse; ``stated`` rows teach the target head alone.

    The three heads are trained on ``rows`` minus the held-back split (a hash of each
    text). A domain adapter (adapt.py) is fitted on the deployment's rows outside that
    split, stacked with the seed-trained model per language by cross-validation
    inside them; it exists only if it beats the seed model alone there. While it can
    be fitted, the deployment's people's labels are left out of the seed-trained
    sentiment head (their targets and categories stay): the stacker must see that
    head's probabilities for rows it never trained on, or it learns to trust it
    too much (GermEval, bench/README-languages.md). If no adapter comes of it, the
    head is trained with them, as before. Promotion, each figure on rows labelled
    by people:

    * every head of the seed-trained part, on the held-back split of ``rows``, is not
      below the current model's (adapters left out on both sides: seed sentences
      are not the deployment's words, and in-domain rows cannot improve them);
    * with at least ``MIN_DEPLOYMENT_HELD_OUT`` held-back sentiment labels from the
      deployment itself, the adapted candidate's sentiment macro-F1 on them is not
      below the current model's (with its own adapter, if any).

    ``tolerance`` allows that much macro-F1 below (a flipped sentence in a few hundred
    moves it by ~0.003). The candidate is saved either way so a manager can see what
    was refused.
    """
    from feedback_service.analysis.text.adapt import AdaptedModel

    root = Path(model_dir)
    data = deduplicate(rows)
    train_rows, held_out = split(data, holdout_fraction, seed)
    if not held_out:
        raise ValueError("no rows fell into the held-back split; add more labelled rows")
    by_reason = stated_training_rows(stated, data, holdout_fraction, seed)
    current = load_promoted(root)
    labels = list(deployment_labels)
    weak = adapter_rows(rated, labels, holdout_fraction, seed)
    base, adapter = _base_and_adapter(current, train_rows, weak, taxonomy, seed, by_reason)
    candidate = AdaptedModel.wrap(base, adapter) if adapter is not None else base
    base.metrics = candidate.metrics = base.evaluate(held_out)
    checks = [_compare("", candidate.metrics, _base(current), held_out, tolerance)]
    own_held = deployment_held_out(labels, holdout_fraction, seed)
    if len(own_held) >= MIN_DEPLOYMENT_HELD_OUT:
        candidate.metrics["deployment"] = candidate.evaluate(own_held)
        checks.append(
            _compare("deployment ", candidate.metrics["deployment"], current, own_held, tolerance)
        )
    if adapter is not None:
        candidate.metrics["adapter"] = adapter.summary()
    promoted = all(ok for ok, _, _ in checks)
    reasons = _verdict(checks, current, tolerance, len(held_out), len(own_held))
    reasons.append(_adapter_note(adapter, weak))
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
        current_metrics=checks[0][2],
        train_rows=len(train_rows) + len(by_reason) + (adapter.rows if adapter else 0),
        held_out_rows=len(held_out),
        reasons=reasons,
        rating_rows=adapter.sources.get("rating", 0) if adapter is not None else 0,
        stated_rows=len(by_reason),
    )


# A deployment's own held-back sentiment labels decide the adapter from this many on.
MIN_DEPLOYMENT_HELD_OUT: Final = 20


def _base_and_adapter(
    current: TrainedModel | None,
    train_rows: list[LabelledSentence],
    weak: list[AdapterRow],
    taxonomy: Taxonomy | None,
    seed: int,
    stated: list[LabelledSentence],
) -> tuple[TrainedModel, DomainAdapter | None]:
    """The seed-trained model (reused when it can be) and the domain adapter, if any.

    People's sentiment labels teach the adapter, not the seed-trained sentiment head:
    the stacker must see that head's probabilities for rows it never saw. With no
    adapter after all, the labels teach the head, as they did before adapters.
    ``stated`` rows teach the target head alone (model.py ``target_only``).
    """
    from feedback_service.analysis.text.adapt import fit_adapter, usable
    from feedback_service.analysis.text.model import train

    def fitted(rows: list[LabelledSentence]) -> TrainedModel:
        reused = _reuse_base(current, [*rows, *stated], taxonomy, seed)
        return reused or train(rows, taxonomy, seed, target_only=stated)

    own = {normalise(r.text) for r in weak if r.source == "label"} if usable(weak) else set()
    base = fitted(_without_sentiment(train_rows, own))
    adapter = fit_adapter(weak, base, seed) if weak else None
    if adapter is None and own:
        base = fitted(train_rows)
    return base, adapter


def _without_sentiment(rows: list[LabelledSentence], texts: set[str]) -> list[LabelledSentence]:
    """``rows`` with the sentiment of ``texts`` taken out (a row left with no label goes)."""
    if not texts:
        return rows
    out = []
    for row in rows:
        if normalise(row.text) not in texts:
            out.append(row)
        elif row.target is not None:
            out.append(replace(row, sentiment=None))
    return out


def _reuse_base(
    current: TrainedModel | None,
    train_rows: list[LabelledSentence],
    taxonomy: Taxonomy | None,
    seed: int,
) -> TrainedModel | None:
    """The current model's seed-trained part when it was trained on exactly these rows
    and settings (its version hash says so): a daily adaptation from ratings, with no
    new label, then refits the adapter alone, in seconds rather than minutes."""
    from feedback_service.analysis.text.versioning import model_version

    base = _base(current)
    if base is None:
        return None
    tax = taxonomy.with_defaults() if taxonomy is not None else Taxonomy.default()
    wanted = model_version(deduplicate(train_rows), tax, seed).rsplit("-", 1)[1]
    return base if base.version.rsplit("-", 1)[1] == wanted else None


def _base(model: TrainedModel | None) -> TrainedModel | None:
    from feedback_service.analysis.text.adapt import AdaptedModel

    return model.base() if isinstance(model, AdaptedModel) else model


def _compare(
    where: str,
    new: dict[str, Any],
    current: TrainedModel | None,
    held_out: list[LabelledSentence],
    tolerance: float,
) -> tuple[bool, str, dict[str, Any] | None]:
    """(not worse, why not, the current model's figures) on ``held_out``."""
    from feedback_service.analysis.text.model import HEADS

    if current is None:
        return True, "", None
    old = current.evaluate(held_out)
    worse = [
        f"{where}{head} macro-F1 {new[head]['macro_f1']:.4f} < current {old[head]['macro_f1']:.4f}"
        for head in HEADS
        if head in new and head in old and new[head]["macro_f1"] < old[head]["macro_f1"] - tolerance
    ]
    return not worse, "; ".join(worse), old


def _verdict(
    checks: list[tuple[bool, str, Any]],
    current: TrainedModel | None,
    tolerance: float,
    held_out: int,
    own_held: int,
) -> list[str]:
    if current is None:
        return ["no promoted model yet"]
    if not all(ok for ok, _, _ in checks):
        return [reason for _, reason, _ in checks if reason]
    allowance = f" by more than {tolerance}" if tolerance else ""
    own = f" ({own_held} of this deployment's)" if len(checks) > 1 else ""
    return [
        f"no head's macro-F1 below {current.version}'s{allowance} on "
        f"{held_out} held-back rows labelled by people{own}"
    ]


def _adapter_note(adapter: Any, rows: list[Any]) -> str:
    if adapter is None:
        return (
            f"no domain adapter: {len(rows)} rows of this deployment (labels and ratings), "
            "too few or not better than the seed model in cross-validation"
        )
    cv = adapter.cv
    return (
        f"domain adapter on {adapter.rows} rows of this deployment "
        f"({', '.join(f'{n} {s}s' for s, n in sorted(adapter.sources.items()))}), its share "
        f"{adapter.weight}: cross-validated sentiment macro-F1 {cv['macro_f1']:.3f} "
        f"against {cv['seed_macro_f1']:.3f} for the seed model alone"
    )
