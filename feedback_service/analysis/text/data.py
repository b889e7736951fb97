"""Labelled sentences: the shipped seed set and CSV imports in the same shape."""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterable, Iterator
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
    # How much the row counts in training: 1 for a person's label, less for a label
    # derived from the customer's rating (see ``rating_sentiment``).
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

# Where each scale says clearly how the customer felt. The middles (CSAT 3-4, NPS
# 5-8, CES 3-5) say little: a CSAT 4 comment is as often "fine, but ..." as praise,
# so they give no label at all rather than a neutral one.
RATING_BANDS: Final = {
    "csat": ((1, 2), (5, 5)),
    "nps": ((0, 4), (9, 10)),
    "ces": ((1, 2), (6, 7)),
}
# A rating-derived row counts for this much of a person's label in training. Chosen
# on UCI Yelp's measured half only, reported on every set (bench/README-comments-teaching.md).
RATING_WEIGHT: Final = 0.5


def rating_sentiment(
    csat: int | None = None, nps: int | None = None, ces: int | None = None
) -> str | None:
    """The sentiment a comment's ratings vouch for, or None when they do not.

    Every rating given must fall in the same clear band (negative or positive);
    one rating in a middle band, or two that disagree, give no label. FCR is not a
    sentiment (resolved and still unhappy is common) and is not used.
    """
    found: set[str] = set()
    for scale, value in (("csat", csat), ("nps", nps), ("ces", ces)):
        if value is None:
            continue
        (neg_lo, neg_hi), (pos_lo, pos_hi) = RATING_BANDS[scale]
        if neg_lo <= value <= neg_hi:
            found.add("negative")
        elif pos_lo <= value <= pos_hi:
            found.add("positive")
        else:
            return None
    return found.pop() if len(found) == 1 else None


@dataclass(frozen=True, slots=True)
class RatedComment:
    """A deployment's comment with the sentiment its own rating vouches for."""

    text: str
    sentiment: str
