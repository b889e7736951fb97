"""Pure text analysis of survey comments: no Flask, no SQLAlchemy.

Public interface used by services and workers::

    analyzer = get_analyzer(model_dir, cache_dir)      # once per process
    result = analyzer.analyze(text, {"csat": 2})       # CommentAnalysis
    results = analyzer.analyze_many(texts, ratings)    # batched, vectorised
    report = train_and_maybe_promote(seed_sentences() + corrections, model_dir)
"""

from feedback_service.analysis.text.data import LabelledSentence, read_csv, seed_sentences
from feedback_service.analysis.text.language import LanguageGuess, detect_language
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
    PromotionReport,
    list_versions,
    load_promoted,
    train_and_maybe_promote,
)
from feedback_service.analysis.text.taxonomy import TARGETS, Taxonomy, TaxonomyError

__all__ = [
    "TARGETS",
    "Analyzer",
    "CommentAnalysis",
    "CommentAnalyzer",
    "Finding",
    "LabelledSentence",
    "LanguageGuess",
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
