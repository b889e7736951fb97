"""How managers' labels change what a comment's analysis shows (pure: no Flask, no DB).

The model's output is kept; labels are laid over it in the order they were given,
each setting only the fields it carries:

* a label without a sentence sets the sentiment of the whole comment;
* a label with a sentence corrects the finding on that sentence (target,
  category, sentiment), or adds a finding for a sentence the model did not flag
  (it then needs a target). Changing the target clears a category the label does
  not give, since categories belong to targets.

A corrected finding says ``corrected: true`` and keeps what the model said in
``original`` (null for a finding a manager added). Because labels are matched by
sentence, they survive re-scoring with a new model.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

MODEL_FIELDS: Final = ("target", "category", "confidence", "sentiment")


@dataclass(frozen=True, slots=True)
class Label:
    sentence: str | None
    sentiment: str | None = None
    target: str | None = None
    category: str | None = None


@dataclass(frozen=True, slots=True)
class Effective:
    findings: list[dict[str, Any]]
    sentiment: str | None
    corrected: bool


def model_findings(stored: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The model's own findings, recovered from a stored (maybe corrected) list."""
    out: list[dict[str, Any]] = []
    for f in stored:
        if f.get("corrected"):
            original = f.get("original")
            if original is None:  # added by a manager: the model never said it
                continue
            out.append({**{k: original.get(k) for k in MODEL_FIELDS}, "sentence": f["sentence"]})
        else:
            out.append({k: f.get(k) for k in (*MODEL_FIELDS, "sentence")})
    return out


def apply_labels(
    findings: Sequence[Mapping[str, Any]],
    sentiment: str | None,
    labels: Iterable[Label],
    text: str,
) -> Effective:
    current = [
        {
            "target": f["target"],
            "category": f.get("category"),
            "confidence": f.get("confidence"),
            "sentence": f["sentence"],
            "sentiment": f.get("sentiment"),
            "corrected": False,
            "original": None,
        }
        for f in findings
    ]
    corrected = False
    for label in labels:
        if label.sentence is None:
            if label.sentiment is not None:
                sentiment = label.sentiment
                corrected = True
            continue
        match = next((f for f in current if f["sentence"] == label.sentence), None)
        if match is None:
            if label.target is None:
                # Only a sentiment for a sentence no finding is on (any more): nothing to show.
                continue
            match = {
                "target": label.target,
                "category": None,
                "confidence": None,
                "sentence": label.sentence,
                "sentiment": None,
                "corrected": True,
                "original": None,
            }
            current.append(match)
        elif not match["corrected"]:
            match["original"] = {k: match[k] for k in MODEL_FIELDS}
        match["corrected"] = True
        corrected = True
        if label.target is not None and label.target != match["target"]:
            match["target"] = label.target
            match["category"] = None
        if label.category is not None:
            match["category"] = label.category
        if label.sentiment is not None:
            match["sentiment"] = label.sentiment

    def place(f: Mapping[str, Any]) -> int:
        at = text.find(f["sentence"])
        return at if at >= 0 else len(text)

    current.sort(key=place)
    return Effective(current, sentiment, corrected)
