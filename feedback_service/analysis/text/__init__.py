"""Pure text analysis of survey comments: no Flask, no SQLAlchemy.

Public interface used by services and workers::

    analyzer = get_analyzer(model_dir, cache_dir)      # once per process
    result = analyzer.analyze(text, {"csat": 2})       # CommentAnalysis
    results = analyzer.analyze_many(texts, ratings)    # batched, vectorised
    report = train_and_maybe_promote(seed_sentences() + corrections, model_dir)

The model, the pipeline and the store need scikit-learn, SciPy and NLTK, which take
seconds to import. Their names are resolved on first use, so a web process that
only reads stored analyses never imports them and starts that much sooner.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from feedback_service.analysis.text.data import LabelledSentence, read_csv, seed_sentences
from feedback_service.analysis.text.language import LanguageGuess, detect_language
from feedback_service.analysis.text.taxonomy import TARGETS, Taxonomy, TaxonomyError

if TYPE_CHECKING:
    from feedback_service.analysis.text.model import TrainedModel, train
    from feedback_service.analysis.text.pipeline import (
        Analyzer,
        CommentAnalysis,
        CommentAnalyzer,
        Finding,
        clear_analyzer_cache,
        get_analyzer,
        rating_score,
        set_analyzer,
    )
    from feedback_service.analysis.text.store import (
        ModelNotReady,
        PromotionReport,
        list_versions,
        load_promoted,
        train_and_maybe_promote,
    )

_LAZY = {
    "TrainedModel": "model",
    "train": "model",
    "Analyzer": "pipeline",
    "CommentAnalysis": "pipeline",
    "CommentAnalyzer": "pipeline",
    "Finding": "pipeline",
    "clear_analyzer_cache": "pipeline",
    "get_analyzer": "pipeline",
    "rating_score": "pipeline",
    "set_analyzer": "pipeline",
    "ModelNotReady": "store",
    "PromotionReport": "store",
    "list_versions": "store",
    "load_promoted": "store",
    "train_and_maybe_promote": "store",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "TARGETS",
    "Analyzer",
    "CommentAnalysis",
    "CommentAnalyzer",
    "Finding",
    "LabelledSentence",
    "LanguageGuess",
    "ModelNotReady",
    "PromotionReport",
    "Taxonomy",
    "TaxonomyError",
    "TrainedModel",
    "clear_analyzer_cache",
    "detect_language",
    "get_analyzer",
    "list_versions",
    "load_promoted",
    "rating_score",
    "read_csv",
    "seed_sentences",
    "set_analyzer",
    "train",
    "train_and_maybe_promote",
]
