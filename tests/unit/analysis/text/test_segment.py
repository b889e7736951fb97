from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from feedback_service.analysis.text.segment import segments, sentences


def test_sentences_split_without_punkt() -> None:
    text = "The rep hung up on me twice. Billing charged me double! Version 4.2.1 still crashes?"
    assert sentences(text) == [
        "The rep hung up on me twice.",
        "Billing charged me double!",
        "Version 4.2.1 still crashes?",
    ]


def test_contrast_splits_one_sentence_into_two_judgements() -> None:
    assert segments("the agent was lovely but the app still crashes") == [
        "the agent was lovely",
        "the app still crashes",
    ]
    # A one-word piece cannot carry a verdict on its own and stays attached.
    assert segments("Great, but slow.") == ["Great slow."]


def test_no_nltk_data_needed_beyond_the_generated_lexicon(tmp_path: Path) -> None:
    """Run in a fresh interpreter whose NLTK path holds only our generated directory."""
    script = f"""
import nltk
nltk.data.path[:] = []
from feedback_service.analysis.text import lexicon
from feedback_service.analysis.text.segment import segments, words
lexicon.configure({str(tmp_path)!r})
assert segments("Slow reply. The agent didn't help!") == ["Slow reply.", "The agent didn't help!"]
assert words("didn't help!") == ["didn't", "help", "!"]
assert lexicon.vader_compound("terrible awful service") < -0.5
assert nltk.data.path == [{str(tmp_path)!r}], nltk.data.path
"""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "sentiment" / "vader_lexicon.zip").exists()
