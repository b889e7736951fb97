"""The seed model, built once per checkout (bin/setup, ``flask analysis build``) and
copied here: training it takes a minute, loading it a fraction of a second."""

from __future__ import annotations

from pathlib import Path

import pytest

from feedback_service.analysis.text import lexicon
from feedback_service.analysis.text.pipeline import CommentAnalyzer


@pytest.fixture(scope="session")
def nltk_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("nltk-cache")
    lexicon.configure(path)
    return path


@pytest.fixture(scope="session")
def seed_model_dir(trained_seed_models: Path) -> Path:
    """A model dir holding the model a fresh install has: the seed model, promoted."""
    return trained_seed_models


@pytest.fixture(scope="session")
def analyzer(seed_model_dir: Path, nltk_cache_dir: Path) -> CommentAnalyzer:
    return CommentAnalyzer.load(seed_model_dir, nltk_cache_dir)
