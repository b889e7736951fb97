"""Request and response schemas of the comments, labels and model API."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from feedback_service.analysis.text import TARGETS
from feedback_service.limits import PageOut, ScopeFilters, page_number, page_size

COMMENT_SENTIMENTS = ["positive", "neutral", "negative", "mixed"]
SENTENCE_SENTIMENTS = ["positive", "neutral", "negative"]


class CommentQuery(ScopeFilters):
    """Filters of ``GET /comments``; ``from``/``to`` are inclusive ISO dates (UTC)."""

    agent = fields.String(load_default=None, validate=validate.Length(min=1, max=200))
    target = fields.String(load_default=None, validate=validate.OneOf(list(TARGETS)))
    # "rude", or "agent/rude" to name the target as well.
    category = fields.String(load_default=None, validate=validate.Length(min=1, max=81))
    sentiment = fields.String(
        load_default=None, validate=validate.OneOf([*COMMENT_SENTIMENTS, "unsupported"])
    )
    q = fields.String(load_default=None, validate=validate.Length(min=1, max=200))
    corrected = fields.Boolean(load_default=None)
    page = page_number()
    per_page = page_size()
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "csv"]))


class FindingFixIn(Schema):
    class Meta:
        unknown = RAISE

    index = fields.Integer(load_default=None, validate=validate.Range(min=0))
    sentence = fields.String(load_default=None, validate=validate.Length(min=1, max=5000))
    target = fields.String(load_default=None, validate=validate.OneOf(list(TARGETS)))
    category = fields.String(load_default=None, validate=validate.Length(min=1, max=40))
    sentiment = fields.String(load_default=None, validate=validate.OneOf(SENTENCE_SENTIMENTS))


class CommentCorrectionIn(Schema):
    """Either or both: the whole comment's sentiment, and fixes to single findings
    (by ``index`` in the comment's findings, or by ``sentence`` to add one)."""

    class Meta:
        unknown = RAISE

    sentiment = fields.String(load_default=None, validate=validate.OneOf(COMMENT_SENTIMENTS))
    findings = fields.List(
        fields.Nested(FindingFixIn), load_default=list, validate=validate.Length(max=50)
    )


class FindingOut(Schema):
    target = fields.String()
    category = fields.String(allow_none=True)
    confidence = fields.Float(allow_none=True)
    sentence = fields.String()
    sentiment = fields.String(allow_none=True)
    corrected = fields.Boolean()
    original = fields.Dict(allow_none=True)


class AnalysisOut(Schema):
    id = fields.Integer()
    language = fields.String(allow_none=True)
    supported = fields.Boolean()
    sentiment = fields.String(allow_none=True)
    sentiment_score = fields.Float(allow_none=True)
    corrected = fields.Boolean()
    original = fields.Dict(allow_none=True)
    findings = fields.List(fields.Nested(FindingOut))
    key_phrases = fields.List(fields.String())
    model_version = fields.String()
    response_version = fields.Integer()
    analysed_at = fields.String()


class CommentOut(Schema):
    id = fields.Integer(metadata={"description": "The response id; use it to correct."})
    submitted_at = fields.String()
    ticket = fields.String()
    agent = fields.String(allow_none=True)
    agent_name = fields.String(allow_none=True)
    team = fields.String(allow_none=True)
    channel = fields.String(allow_none=True)
    survey = fields.String()
    answers = fields.Dict()
    comment = fields.String()
    analysis = fields.Nested(AnalysisOut, allow_none=True)


class CommentListOut(PageOut):
    items = fields.List(fields.Nested(CommentOut))


class ImportOut(Schema):
    import_id = fields.String()
    imported = fields.Integer()
    already_there = fields.Integer()
    columns = fields.List(fields.String())


class CategoryIn(Schema):
    class Meta:
        unknown = RAISE

    target = fields.String(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=40))


class CategoryOut(Schema):
    target = fields.String()
    name = fields.String()
    created = fields.Boolean()


class TaxonomyOut(Schema):
    targets = fields.List(fields.String())
    categories = fields.Dict(keys=fields.String(), values=fields.List(fields.Dict()))


class TrainingRunOut(Schema):
    id = fields.Integer()
    status = fields.String()
    trigger = fields.String()
    requested_by = fields.String()
    candidate_version = fields.String(allow_none=True)
    promoted = fields.Boolean(allow_none=True)
    metrics = fields.Dict(allow_none=True)
    current_version = fields.String(allow_none=True)
    current_metrics = fields.Dict(allow_none=True)
    seed_rows = fields.Integer(allow_none=True)
    label_rows = fields.Integer(allow_none=True)
    train_rows = fields.Integer(allow_none=True)
    held_out_rows = fields.Integer(allow_none=True)
    # Rows labelled by the customers' own ratings (never held back for the check).
    rating_rows = fields.Integer(allow_none=True)
    ratings_through = fields.Integer(allow_none=True)
    # Comments labelled by the reason the customer chose (target head only).
    stated_rows = fields.Integer(allow_none=True)
    reasons = fields.List(fields.String())
    error = fields.String(allow_none=True)
    created_at = fields.String()
    finished_at = fields.String(allow_none=True)


class ModelOut(Schema):
    version = fields.String()
    active = fields.Boolean()
    saved = fields.Boolean()
    trained_on = fields.Integer(allow_none=True)
    trigger = fields.String(allow_none=True)
    rating_rows = fields.Integer(allow_none=True)
    stated_rows = fields.Integer(allow_none=True)
    metrics = fields.Dict(allow_none=True)
    training_run = fields.Nested(TrainingRunOut, allow_none=True)


class ModelsOut(Schema):
    active_version = fields.String(allow_none=True)
    items = fields.List(fields.Nested(ModelOut))


class TrainIn(Schema):
    class Meta:
        unknown = RAISE

    # A head may score this much lower on the held-back split and still be promoted:
    # on ~1,000 held-back rows one flipped sentence moves macro-F1 by ~0.001-0.005.
    tolerance = fields.Float(load_default=None, validate=validate.Range(min=0, max=0.05))


class RescoreIn(Schema):
    class Meta:
        unknown = RAISE

    batch_size = fields.Integer(load_default=1000, validate=validate.Range(min=10, max=10_000))


class RescoreRunOut(Schema):
    id = fields.Integer()
    status = fields.String()
    model_version = fields.String()
    batch_size = fields.Integer()
    cursor = fields.Integer()
    scanned = fields.Integer()
    rescored = fields.Integer()
    requested_by = fields.String()
    created_at = fields.String()
    updated_at = fields.String()
    finished_at = fields.String(allow_none=True)
