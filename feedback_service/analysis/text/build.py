"""The seed model, built ahead of time: at set-up, at image build, before any answer.

``flask analysis build`` (bin/setup and the Dockerfile run it) calls ``build``. The
model a fresh install needs is the one ``train_and_maybe_promote(seed_sentences())``
trains; its version hash names the shipped seed rows, the taxonomy and
``FEATURES_REVISION``, so the same hash is the same model. Built once per hash into a
cache, it is then copied into any ``model_dir`` in a fraction of a second::

    cache_dir/seed-<hash>/versions/<date>-<hash>/...   a complete model directory
    model_dir/built.json                                 the seed versions build promoted

A promoted model that someone trained (labels, ratings) is never replaced; one that
``build`` itself promoted is, when the seed data or the features change.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from feedback_service.analysis.text.data import deduplicate, seed_sentences, split
from feedback_service.analysis.text.model import head_threads
from feedback_service.analysis.text.store import (
    HOLDOUT_FRACTION,
    PROMOTED_FILE,
    promoted_version,
    train_and_maybe_promote,
    version_dir,
)
from feedback_service.analysis.text.taxonomy import Taxonomy
from feedback_service.analysis.text.versioning import model_version

log = logging.getLogger(__name__)

BUILT_FILE: Final = "built.json"


@dataclass(frozen=True)
class BuildReport:
    version: str  # the seed model's version in model_dir
    trained: bool  # False when the cache already held it
    promoted: bool  # it is the promoted model now
    kept: str | None  # the promoted model left in place instead (trained by someone)
    cache: Path


def seed_hash() -> str:
    """The hash part of the version the seed model gets: cheap, no training."""
    train_rows, _held = split(deduplicate(seed_sentences()), HOLDOUT_FRACTION, 0)
    return model_version(deduplicate(train_rows), Taxonomy.default(), 0).rsplit("-", 1)[1]


def cached_model(cache_dir: Path | str) -> Path:
    """The cache's model directory for the current seed data, trained if missing.

    Training goes to a temporary directory renamed into place, so two processes
    building at once (the test suite's two runs) each see a whole model or none.
    """
    cache = Path(cache_dir)
    target = cache / f"seed-{seed_hash()}"
    if (target / PROMOTED_FILE).exists():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=cache, prefix=".building-"))
    try:
        log.info("training the seed model into %s", target)
        # At set-up nothing else runs yet: the heads are fitted side by side.
        with head_threads(os.cpu_count() or 1):
            train_and_maybe_promote(seed_sentences(), work)
        try:
            os.rename(work, target)
        except OSError:
            if not (target / PROMOTED_FILE).exists():
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


def install(built: Path, model_dir: Path | str) -> BuildReport:
    """Copy the built seed model into ``model_dir`` (if missing) and promote it there
    unless a model trained by someone is the promoted one."""
    root = Path(model_dir)
    version = promoted_version(built)
    assert version is not None, f"{built} holds no promoted model"
    destination = version_dir(root, version)
    if not destination.exists():
        destination.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(dir=destination.parent, prefix=".copying-"))
        shutil.copytree(version_dir(built, version), work, dirs_exist_ok=True)
        try:
            os.rename(work, destination)
        except OSError:
            shutil.rmtree(work, ignore_errors=True)
    current = promoted_version(root)
    built_before = _built_versions(root)
    if current is not None and current != version and current not in built_before:
        return BuildReport(version, False, False, current, built)
    if current != version:
        shutil.copyfile(built / PROMOTED_FILE, root / f".{PROMOTED_FILE}.tmp")
        os.replace(root / f".{PROMOTED_FILE}.tmp", root / PROMOTED_FILE)
    if version not in built_before:
        _write_built(root, [*built_before, version])
    return BuildReport(version, False, True, None, built)


def build(model_dir: Path | str, cache_dir: Path | str) -> BuildReport:
    """Make the seed model ready in ``model_dir``: from the cache, or trained into it."""
    cache = Path(cache_dir)
    trained = not (cache / f"seed-{seed_hash()}" / PROMOTED_FILE).exists()
    report = install(cached_model(cache), model_dir)
    return BuildReport(report.version, trained, report.promoted, report.kept, report.cache)


def _built_versions(model_dir: Path) -> list[str]:
    path = model_dir / BUILT_FILE
    if not path.exists():
        return []
    return [str(v) for v in json.loads(path.read_text())["versions"]]


def _write_built(model_dir: Path, versions: list[str]) -> None:
    tmp = model_dir / f".{BUILT_FILE}.tmp"
    tmp.write_text(json.dumps({"versions": versions}, indent=2))
    os.replace(tmp, model_dir / BUILT_FILE)
