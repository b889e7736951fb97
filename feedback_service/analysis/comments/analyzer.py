"""The comment analyzer of this process: loaded once, swapped when a new model is promoted.

The model lives under ``MODEL_DIR`` (text/store.py: ``promoted.json`` names the
active version). ``flask analysis build`` puts the seed model there before anything
starts (bin/setup, the Docker image); a process loads it in a fraction of a second
and never trains one itself: with no model yet ``current_analyzer()`` raises
``ModelNotReady``, the answer is processed without its comment analysis, and the
sweep analyses it once a model exists. Workers on several machines must share
``MODEL_DIR`` (a volume), as they share the database.

Each task asks for ``current_analyzer()``; it costs one ``stat`` of
``promoted.json`` when nothing changed, so a model promoted by ``flask analysis
train`` (or the training job) is used by the next task in every worker.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from flask import current_app

from feedback_service.analysis.text.store import PROMOTED_FILE, promoted_version

if TYPE_CHECKING:
    from feedback_service.analysis.text import Analyzer

_lock = threading.Lock()
# model_dir -> ((mtime_ns, size) of promoted.json, the version it names)
_seen: dict[str, tuple[tuple[int, int], str | None]] = {}


def model_dir() -> Path:
    return Path(current_app.config["MODEL_DIR"])


def nltk_cache_dir() -> Path:
    """NLTK data (the VADER lexicon, packed from the vaderSentiment package) for this install."""
    return Path(current_app.config["DATA_DIR"]) / "nltk"


def active_version(directory: Path) -> str | None:
    """The promoted version, re-read only when ``promoted.json`` changed on disk."""
    path = directory / PROMOTED_FILE
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return None
    stamp = (stat.st_mtime_ns, stat.st_size)
    key = str(directory)
    seen = _seen.get(key)
    if seen is not None and seen[0] == stamp:
        return seen[1]
    version = promoted_version(directory)
    _seen[key] = (stamp, version)
    return version


def current_analyzer() -> Analyzer:
    """This process's analyzer, on the model promoted right now."""
    # Imported here: the model pulls in scikit-learn and NLTK, which a web process
    # that never analyses a comment has no need to load.
    from feedback_service.analysis.text import CommentAnalyzer, get_analyzer, set_analyzer

    directory, cache = model_dir(), nltk_cache_dir()
    analyzer = get_analyzer(directory, cache)
    active = active_version(directory)
    if active is not None and active != analyzer.model_version:
        with _lock:
            analyzer = get_analyzer(directory, cache)
            if active != analyzer.model_version:
                analyzer = CommentAnalyzer.load(directory, cache)
                set_analyzer(directory, cache, analyzer)
    return analyzer


def ready_version() -> str | None:
    """The model version comments are scored with now, or None while no model exists yet.

    Unlike ``current_analyzer()`` this never loads a model: a web request must not
    pay for importing scikit-learn.
    """
    from feedback_service.analysis.text.pipeline import loaded_analyzer

    version = active_version(model_dir())
    if version is not None:
        return version
    loaded = loaded_analyzer(model_dir(), nltk_cache_dir())
    return None if loaded is None else loaded.model_version
