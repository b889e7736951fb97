"""What people teach the comment model: corrections, imported labels, new categories.

Every correction and imported row is a ``comment_labels`` row and becomes
training data for the next ``flask analysis train`` (after the shipped seed
sentences, so a person's label wins over the seed's for the same text). Their
sentiments are also the deployment's own rows for the domain adapter
(text/adapt.py, via comments/training.py): a few hundred imported labels then
count for more than a few hundred among the seed's ~20,000 sentences, and those
whose text hash is held back decide whether an adapted model is promoted.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, TypedDict

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from feedback_service.analysis.comments import service
from feedback_service.analysis.models import AnalysisCategory, CommentAnalysis, CommentLabel
from feedback_service.analysis.text import TARGETS, LabelledSentence, Taxonomy, TaxonomyError
from feedback_service.analysis.text.data import normalise
from feedback_service.db import insert_for, utcnow
from feedback_service.errors import Conflict, NotFound, ValidationError
from feedback_service.privacy.redact import redact_comment
from feedback_service.surveys.models import Response

SENTENCE_SENTIMENTS: Final = ("negative", "neutral", "positive")
COMMENT_SENTIMENTS: Final = ("negative", "neutral", "positive", "mixed")
IMPORT_COLUMNS: Final = ("text", "sentiment", "target", "category")
MAX_IMPORT_ROWS: Final = 100_000
MAX_TEXT: Final = 20_000


# --- taxonomy -----------------------------------------------------------------------


def taxonomy(session: Session) -> Taxonomy:
    """The shipped taxonomy plus every category managers added."""
    tax = Taxonomy.default()
    for target, name in session.execute(
        select(AnalysisCategory.target, AnalysisCategory.name).order_by(AnalysisCategory.id)
    ):
        tax.add_category(target, name)
    return tax


class CategoryView(TypedDict):
    name: str
    shipped: bool
    created_by: str | None  # who added it; None for a shipped one


class CategoriesView(TypedDict):
    targets: list[str]
    categories: dict[str, list[CategoryView]]


def categories_view(session: Session) -> CategoriesView:
    shipped = Taxonomy.default().categories
    added = {(c.target, c.name): c for c in session.scalars(select(AnalysisCategory))}
    merged = taxonomy(session).categories
    return {
        "targets": list(TARGETS),
        "categories": {
            target: [
                {
                    "name": name,
                    "shipped": name in shipped[target],
                    "created_by": added[(target, name)].created_by
                    if (target, name) in added
                    else None,
                }
                for name in names
            ]
            for target, names in merged.items()
        },
    }


def add_category(session: Session, target: str, name: str, who: str) -> tuple[str, bool]:
    """Add ``name`` under ``target``; returns the cleaned name and whether it is new."""
    if target not in TARGETS:
        raise ValidationError(
            f"Unknown target '{target}'.", fields={"target": [f"Must be one of {list(TARGETS)}."]}
        )
    tax = taxonomy(session)
    try:
        cleaned = Taxonomy.default().add_category(target, name)
    except TaxonomyError as exc:
        raise ValidationError(str(exc), fields={"name": [str(exc)]}) from exc
    if cleaned in tax.categories[target]:
        return cleaned, False
    session.add(AnalysisCategory(target=target, name=cleaned, created_by=who))
    session.flush()
    return cleaned, True


# --- corrections --------------------------------------------------------------------


def correct_comment(
    session: Session, response_id: int, data: Mapping[str, Any], who: str
) -> CommentAnalysis:
    """Store a manager's correction of one comment and show it; 422 naming the field."""
    response = session.get(Response, response_id)
    comment = (response.comment or "").strip() if response is not None else ""
    if response is None or not comment:
        raise NotFound(f"No comment with id {response_id}.")
    analysis = session.scalar(
        select(CommentAnalysis).where(CommentAnalysis.response_id == response_id)
    )
    if analysis is None:
        raise Conflict("This comment has not been analysed yet; try again in a moment.")
    tax = taxonomy(session)
    errors: dict[str, list[str]] = {}
    labels: list[CommentLabel] = []
    if data.get("sentiment") is not None:
        labels.append(
            CommentLabel(
                source="correction",
                response_id=response_id,
                sentence=None,
                text=comment,
                sentiment=data["sentiment"],
                created_by=who,
            )
        )
    for i, fix in enumerate(data.get("findings") or []):
        label = _finding_label(fix, f"findings.{i}", comment, analysis.findings, tax, errors)
        if label is not None:
            label.response_id, label.created_by = response_id, who
            labels.append(label)
    if errors:
        raise ValidationError(
            "The correction has invalid fields: " + ", ".join(errors), fields=errors
        )
    if not labels:
        raise ValidationError(
            "Nothing to correct: give 'sentiment' and/or 'findings'.",
            fields={"_schema": ["Give 'sentiment' and/or 'findings'."]},
        )
    session.add_all(labels)
    session.flush()
    service.reapply_labels(session, analysis, comment)
    return analysis


def _finding_label(
    fix: Mapping[str, Any],
    field: str,
    comment: str,
    findings: Sequence[Mapping[str, Any]],
    tax: Taxonomy,
    errors: dict[str, list[str]],
) -> CommentLabel | None:
    """The label one corrected finding asks for, or None with its error in ``errors``."""
    has_index, has_sentence = fix.get("index") is not None, bool(fix.get("sentence"))
    if has_index == has_sentence:
        errors[field] = ["Give either 'index' (of a finding) or 'sentence', not both."]
        return None
    if not any(fix.get(k) is not None for k in ("target", "category", "sentiment")):
        errors[field] = ["Give at least one of target, category, sentiment."]
        return None
    if has_index:
        if not 0 <= fix["index"] < len(findings):
            errors[f"{field}.index"] = [
                f"This comment has {len(findings)} findings (index 0..{len(findings) - 1})."
            ]
            return None
        existing: Mapping[str, Any] | None = findings[fix["index"]]
        assert existing is not None
        sentence = str(existing["sentence"])
    else:
        sentence = fix["sentence"].strip()
        if sentence not in comment:
            errors[f"{field}.sentence"] = ["Not a sentence of this comment."]
            return None
        existing = next((f for f in findings if f["sentence"] == sentence), None)
    target = fix.get("target")
    category = fix.get("category")
    current_target = existing["target"] if existing is not None else None
    if target is None and existing is None:
        errors[f"{field}.target"] = ["Required for a sentence without a finding."]
        return None
    effective_target = target or current_target
    assert effective_target is not None
    if category is not None:
        if category not in tax.categories[effective_target]:
            errors[f"{field}.category"] = [
                f"Unknown category '{category}' for target '{effective_target}'; "
                f"known: {', '.join(tax.categories[effective_target])}."
            ]
            return None
    elif target is not None and target != current_target and target != "none":
        errors[f"{field}.category"] = [f"Required when the target becomes '{target}'."]
        return None
    return CommentLabel(
        source="correction",
        sentence=sentence,
        text=sentence,
        sentiment=fix.get("sentiment"),
        # A category is only meaningful with its target, so store the one it is under.
        target=target if target is not None else (current_target if category else None),
        category=category,
    )


# --- import -------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportResult:
    import_id: str
    # Rows stored by this import, and rows identical to a label imported before
    # (or to an earlier row of the same file), which are not stored again.
    imported: int
    already_there: int


def import_key(row: LabelledSentence) -> str:
    """An imported label's identity: its text as training reads it (``normalise``:
    case and spacing do not matter) and its labels. Migration 0024 computes the same
    for the rows imported before it."""
    identity = [normalise(row.text), row.sentiment, row.target, row.category]
    return hashlib.sha256(json.dumps(identity, ensure_ascii=False).encode()).hexdigest()


def parse_import(raw: bytes, tax: Taxonomy) -> list[LabelledSentence]:
    """Validate every row of a label CSV; 422 listing each bad row and field.

    Rows are numbered as a spreadsheet shows them: the header is row 1.
    """
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError("The file is not UTF-8 text.", fields={"file": [str(exc)]}) from exc
    reader = csv.DictReader(io.StringIO(text, newline=""))
    columns = [c.strip().lower() for c in reader.fieldnames or []]
    if "text" not in columns or not {"sentiment", "target"} & set(columns):
        raise ValidationError(
            "The CSV needs a header with 'text' and 'sentiment' and/or 'target' "
            "(optionally 'category').",
            fields={"file": [f"Columns found: {columns or 'none'}."]},
        )
    reader.fieldnames = columns
    errors: dict[str, list[str]] = {}
    rows: list[LabelledSentence] = []
    for n, record in enumerate(reader, start=2):
        if n - 1 > MAX_IMPORT_ROWS:
            raise ValidationError(
                f"At most {MAX_IMPORT_ROWS} rows per import.", fields={"file": ["Too many rows."]}
            )
        values = {k: (record.get(k) or "").strip() for k in IMPORT_COLUMNS}
        if not any(values.values()):
            continue  # blank line
        sentiment = values["sentiment"].lower() or None
        target = values["target"].lower() or None
        category = values["category"].lower() or None
        field = f"rows.{n}"
        if not values["text"]:
            errors[f"{field}.text"] = ["Missing text."]
        elif len(values["text"]) > MAX_TEXT:
            errors[f"{field}.text"] = [f"Longer than {MAX_TEXT} characters."]
        if sentiment is None and target is None:
            errors[field] = ["A row needs a sentiment or a target."]
        if sentiment is not None and sentiment not in SENTENCE_SENTIMENTS:
            errors[f"{field}.sentiment"] = [f"Must be one of {list(SENTENCE_SENTIMENTS)}."]
        if target is not None and target not in TARGETS:
            errors[f"{field}.target"] = [f"Must be one of {list(TARGETS)}."]
        elif category is not None:
            if target is None:
                errors[f"{field}.category"] = ["A category needs its target."]
            elif category not in tax.categories[target]:
                errors[f"{field}.category"] = [
                    f"Unknown category '{category}' for target '{target}'."
                ]
        # Imported training texts are customers' words too: redacted like comments.
        text_in = redact_comment(values["text"]) or ""
        rows.append(LabelledSentence(text_in, sentiment, target, category))
    if errors:
        bad_rows = sorted({int(k.split(".")[1]) for k in errors})
        raise ValidationError(
            f"{len(bad_rows)} invalid row(s), nothing was imported: "
            + ", ".join(str(r) for r in bad_rows[:20])
            + (" ..." if len(bad_rows) > 20 else ""),
            fields=errors,
        )
    if not rows:
        raise ValidationError("The CSV holds no rows.", fields={"file": ["No rows."]})
    return rows


def import_labels(session: Session, raw: bytes, who: str) -> ImportResult:
    """Store each row of a label CSV once: a row identical to one imported before (a
    retried upload) is counted as already there, not stored again, so it does not
    weigh twice in training. The unique ``import_key`` settles two uploads at once."""
    rows = parse_import(raw, taxonomy(session))
    import_id = uuid.uuid4().hex
    now = utcnow()
    by_key: dict[str, LabelledSentence] = {}
    for row in rows:
        by_key.setdefault(import_key(row), row)
    insert = (
        insert_for(session.get_bind().dialect.name, CommentLabel)
        .on_conflict_do_nothing(index_elements=[CommentLabel.import_key])
        .returning(CommentLabel.id)
    )
    stored = session.scalars(
        insert,
        [
            {
                "source": "import",
                "import_id": import_id,
                "import_key": key,
                "text": r.text,
                "sentiment": r.sentiment,
                "target": r.target,
                "category": r.category,
                "created_by": who,
                "created_at": now,
            }
            for key, r in by_key.items()
        ],
    ).all()
    return ImportResult(import_id, len(stored), len(rows) - len(stored))


# --- training data ------------------------------------------------------------------


def training_rows(session: Session) -> list[LabelledSentence]:
    """Every label as a training sentence, oldest first (later labels win)."""
    out: list[LabelledSentence] = []
    for text, sentiment, target, category in session.execute(
        select(
            CommentLabel.text, CommentLabel.sentiment, CommentLabel.target, CommentLabel.category
        ).order_by(CommentLabel.id)
    ):
        # "mixed" describes a whole comment; the model labels sentences.
        trained_sentiment = sentiment if sentiment in SENTENCE_SENTIMENTS else None
        if trained_sentiment is None and target is None:
            continue
        out.append(LabelledSentence(text, trained_sentiment, target, category))
    return out


def label_counts(session: Session) -> dict[str, int]:
    counts = {"correction": 0, "import": 0}
    for source, n in session.execute(
        select(CommentLabel.source, func.count(CommentLabel.id)).group_by(CommentLabel.source)
    ):
        counts[source] = int(n)
    return counts
