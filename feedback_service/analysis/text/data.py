"""Labelled sentences: the shipped seed set and CSV imports in the same shape."""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final, TextIO

from feedback_service.analysis.text.taxonomy import SENTIMENTS, Taxonomy, TaxonomyError

SEED_CSV: Final = Path(__file__).resolve().parent / "seed" / "sentences.csv"
# One file per language, so each can be regenerated (and reviewed) on its own.
SEED_CSVS: Final = {
    "en": SEED_CSV,
    "de": SEED_CSV.with_name("sentences_de.csv"),
    "es": SEED_CSV.with_name("sentences_es.csv"),
}
CSV_COLUMNS: Final = ("text", "sentiment", "target", "category")


@dataclass(frozen=True, slots=True)
class LabelledSentence:
    """A sentence (or whole comment) with what a person says it expresses.

    Any label may be missing: a manager often corrects only the sentiment, or
    only who the comment is about. Each model head learns from the rows that
    carry its label; a category needs its target.
    """

    text: str
    sentiment: str | None
    target: str | None
    category: str | None = None
    # How much the row counts in training (1: a person's label).
    weight: float = 1.0

    def validate(self, taxonomy: Taxonomy) -> None:
        if not self.text.strip():
            raise TaxonomyError("text is empty")
        if self.sentiment is None and self.target is None:
            raise TaxonomyError("a labelled row needs a sentiment or a target")
        if self.sentiment is not None and self.sentiment not in SENTIMENTS:
            raise TaxonomyError(f"sentiment must be one of {SENTIMENTS}: {self.sentiment!r}")
        if self.category is not None and self.target is None:
            raise TaxonomyError("a category needs its target")
        if self.target is not None:
            if self.category is None:
                taxonomy.validate_target(self.target)
            else:
                taxonomy.validate(self.target, self.category)

    @property
    def label(self) -> str | None:
        """``target/category``, the unit the category head predicts."""
        if self.target is None or self.category is None:
            return None
        return f"{self.target}/{self.category}"


def read_csv(fh: TextIO) -> Iterator[LabelledSentence]:
    reader = csv.DictReader(fh)
    missing = set(CSV_COLUMNS) - set(reader.fieldnames or ())
    if missing:
        raise TaxonomyError(f"CSV is missing columns: {sorted(missing)}")
    for row in reader:
        yield LabelledSentence(
            text=(row["text"] or "").strip(),
            sentiment=_blank_to_none(row["sentiment"]),
            target=_blank_to_none(row["target"]),
            category=_blank_to_none(row["category"]),
        )


def _blank_to_none(value: str | None) -> str | None:
    cleaned = (value or "").strip().lower()
    return cleaned or None


def seed_sentences(languages: Iterable[str] | None = None) -> list[LabelledSentence]:
    """The shipped seed rows of every language (or of ``languages``), English first."""
    rows: list[LabelledSentence] = []
    for language, path in SEED_CSVS.items():
        if languages is not None and language not in languages:
            continue
        with path.open(encoding="utf-8", newline="") as fh:
            rows.extend(read_csv(fh))
    return rows


def normalise(text: str) -> str:
    return " ".join(text.lower().split())


def deduplicate(rows: Iterable[LabelledSentence]) -> list[LabelledSentence]:
    """One row per text; a later row's labels win, so a correction overrides the seed.

    A correction that gives only some labels keeps the others from the earlier row.
    """
    by_text: dict[str, LabelledSentence] = {}
    for row in rows:
        key = normalise(row.text)
        old = by_text.pop(key, None)
        if old is not None:
            target = row.target if row.target is not None else old.target
            category = row.category
            if category is None and target == old.target:
                category = old.category
            row = LabelledSentence(
                text=row.text,
                sentiment=row.sentiment if row.sentiment is not None else old.sentiment,
                target=target,
                category=category,
                weight=row.weight,
            )
        by_text[key] = row
    return list(by_text.values())


def is_held_out(text: str, fraction: float = 0.2, seed: int = 0) -> bool:
    """Whether a sentence belongs to the evaluation split.

    Decided by a hash of the text alone, not by shuffling the current rows: a
    sentence stays on the same side as rows are added, so a model promoted
    earlier never trained on the rows a new candidate is compared on. The hash
    ignores labels, so every class lands in the split in proportion (stratified
    in expectation; the seed set is checked to hold every category on both sides).
    """
    digest = hashlib.sha256(f"{seed}:{normalise(text)}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < fraction


def split(
    rows: Iterable[LabelledSentence], fraction: float = 0.2, seed: int = 0
) -> tuple[list[LabelledSentence], list[LabelledSentence]]:
    train: list[LabelledSentence] = []
    held: list[LabelledSentence] = []
    for row in rows:
        (held if is_held_out(row.text, fraction, seed) else train).append(row)
    return train, held


# --- labels derived from the customer's own rating ---------------------------------

SENTIMENT_CLASSES: Final = ("negative", "neutral", "positive")
# Soft labels by scale: (last value of the negative band, of the neutral band, of the
# half-neutral-half-positive band); above it, positive.
_BANDS: Final = {"csat": (2, 3, 4), "nps": (4, 6, 8), "ces": (2, 4, 5)}


def rating_distribution(
    csat: int | None = None, nps: int | None = None, ces: int | None = None
) -> dict[str, float] | None:
    """What a comment's ratings say about its sentiment, as shares of the three classes.

    CSAT 1-2 negative, 3 neutral, 4 half neutral and half positive, 5 positive (NPS
    0-4 / 5-6 / 7-8 / 9-10, CES 1-2 / 3-4 / 5 / 6-7). Several ratings are averaged;
    None when none is given. FCR is not a sentiment and is not used.
    """
    parts: list[dict[str, float]] = []
    for scale, value in (("csat", csat), ("nps", nps), ("ces", ces)):
        if value is None:
            continue
        negative, neutral, half = _BANDS[scale]
        if value <= negative:
            parts.append({"negative": 1.0})
        elif value <= neutral:
            parts.append({"neutral": 1.0})
        elif value <= half:
            parts.append({"neutral": 0.5, "positive": 0.5})
        else:
            parts.append({"positive": 1.0})
    if not parts:
        return None
    return {
        s: sum(p.get(s, 0.0) for p in parts) / len(parts)
        for s in SENTIMENT_CLASSES
        if any(s in p for p in parts)
    }


def rating_shares(rating: Mapping[str, int | None] | None) -> dict[str, float] | None:
    """``rating_distribution`` of an answer's scores as the pipeline holds them."""
    if not rating:
        return None
    return rating_distribution(rating.get("csat"), rating.get("nps"), rating.get("ces"))


@dataclass(frozen=True, slots=True)
class RatedComment:
    """A deployment's comment with what its own ratings say (``rating_distribution``)."""

    text: str
    sentiment: Mapping[str, float]
