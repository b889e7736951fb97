"""``build``: the seed model made ready ahead of time, cached by its version hash."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from feedback_service.analysis.text import build as build_module
from feedback_service.analysis.text.build import BUILT_FILE, build, install, seed_hash
from feedback_service.analysis.text.pipeline import CommentAnalyzer
from feedback_service.analysis.text.store import (
    PROMOTED_FILE,
    ModelNotReady,
    promote,
    promoted_version,
)


def test_a_process_never_trains_a_model_it_does_not_find(
    tmp_path: Path, nltk_cache_dir: Path
) -> None:
    with pytest.raises(ModelNotReady, match="flask analysis build"):
        CommentAnalyzer.load(tmp_path / "models", nltk_cache_dir)
    assert not (tmp_path / "models").exists()


def test_the_seed_hash_names_the_seed_model(seed_model_dir: Path) -> None:
    version = promoted_version(seed_model_dir)
    assert version is not None and version.rsplit("-", 1)[1] == seed_hash()


def test_build_copies_a_cached_model_and_is_idempotent(
    seed_model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "build"
    shutil.copytree(seed_model_dir, cache / f"seed-{seed_hash()}")
    monkeypatch.setattr(build_module, "train_and_maybe_promote", _refuse)
    models = tmp_path / "models"

    first = build(models, cache)
    assert (first.trained, first.promoted, first.kept) == (False, True, None)
    assert promoted_version(models) == first.version == promoted_version(seed_model_dir)
    assert json.loads((models / BUILT_FILE).read_text())["versions"] == [first.version]
    stamp = (models / PROMOTED_FILE).stat().st_mtime_ns

    second = build(models, cache)
    assert (second.version, second.trained, second.promoted) == (first.version, False, True)
    assert (models / PROMOTED_FILE).stat().st_mtime_ns == stamp


def test_build_trains_into_the_cache_once_when_it_is_missing(
    seed_model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Mechanics only: "training" copies the seed model (the real training is
    test_training.py's), so the test checks what is written where, and how often."""
    calls: list[Path] = []

    def fake_train(_rows: Any, model_dir: Path) -> None:
        calls.append(Path(model_dir))
        shutil.copytree(seed_model_dir, model_dir, dirs_exist_ok=True)

    monkeypatch.setattr(build_module, "train_and_maybe_promote", fake_train)
    cache = tmp_path / "build"
    report = build(tmp_path / "models", cache)
    assert report.trained and report.promoted and len(calls) == 1
    # Trained beside the cache entry, then renamed into place: no half-written entry.
    assert calls[0].parent == cache and calls[0] != cache / f"seed-{seed_hash()}"
    assert sorted(p.name for p in cache.iterdir()) == [f"seed-{seed_hash()}"]
    assert not build(tmp_path / "other-models", cache).trained
    assert len(calls) == 1


def test_a_model_trained_on_the_deployment_is_kept_and_an_older_build_replaced(
    seed_model_dir: Path, tmp_path: Path
) -> None:
    models = tmp_path / "models"
    # An older build's seed model, promoted by build: replaced by the current one.
    older = _fake_version(models, "2020.01.01-0ldb01d")
    (models / BUILT_FILE).write_text(json.dumps({"versions": [older]}))
    report = install(seed_model_dir, models)
    assert report.promoted and promoted_version(models) == report.version != older

    # A model someone trained (labels, ratings), promoted: build leaves it in use.
    taught = _fake_version(models, "2026.01.02-7a0647ed")
    kept = install(seed_model_dir, models)
    assert (kept.promoted, kept.kept) == (False, taught)
    assert promoted_version(models) == taught


def _fake_version(models: Path, version: str) -> str:
    class Named:
        metrics: dict[str, Any] = {}

    named = Named()
    named.version = version  # type: ignore[attr-defined]
    (models / "versions" / version).mkdir(parents=True)
    promote(models, named)  # type: ignore[arg-type]
    return version


def _refuse(*_args: Any, **_kwargs: Any) -> Any:
    raise AssertionError("the cached model was trained again")
