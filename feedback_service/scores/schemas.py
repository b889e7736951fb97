"""Request and response schemas of the reports and targets API (separate in and out).

The output schemas describe the JSON for the OpenAPI document; nested figures
(scores with their intervals) are open objects because their keys follow
``scoring.Score``.
"""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from feedback_service.limits import DateRange, PageOut, page_number, page_size
from feedback_service.scores.filters import METRICS
from feedback_service.scores.operations import OPERATIONS
from feedback_service.scores.targets import TARGET_RANGES
from feedback_service.scores.trends import INTERVALS


class ReportQuery(DateRange):
    """The filters every report shares (DESIGN.md section 7)."""

    class Meta:
        unknown = RAISE

    team = fields.String(load_default=None, validate=validate.Length(min=1, max=200))
    agent = fields.String(load_default=None, validate=validate.Length(min=1, max=200))
    channel = fields.String(load_default=None, validate=validate.Length(min=1, max=40))
    survey = fields.String(load_default=None, validate=validate.Length(min=1, max=80))
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "csv"]))


class PagedReportQuery(ReportQuery):
    page = page_number()
    per_page = page_size()


class TrendQuery(ReportQuery):
    metric = fields.String(
        required=True,
        validate=validate.OneOf([*METRICS, OPERATIONS]),
        metadata={
            "description": "A survey metric, or `operations`: the tickets closed, first-"
            "response and resolution time (median, p90), escalation and reopen rates"
        },
    )
    interval = fields.String(load_default="week", validate=validate.OneOf(list(INTERVALS)))


class SummaryOut(Schema):
    responses = fields.Integer()
    invitations_sent = fields.Integer()
    response_rate = fields.Dict()
    comment_rate = fields.Dict()
    metrics = fields.Dict(keys=fields.String(), values=fields.Dict())
    operations = fields.Dict()
    unconfirmed = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        metadata={
            "description": "One-click ratings in no score: `provisional` (waiting for a "
            "person to be seen) and `scanner` (a mail scanner's, kept for audit)"
        },
    )


class ScorecardOut(Schema):
    agent = fields.String()
    name = fields.String(allow_none=True)
    team = fields.String(allow_none=True)
    responses = fields.Integer()
    comments = fields.Integer()
    metrics = fields.Dict(keys=fields.String(), values=fields.Dict())
    complaints = fields.Dict(
        metadata={
            "description": "`count`, `per_100_answered` and `per_100_tickets` (each with "
            "value, count, n, 95% interval and low_sample)"
        }
    )


class ScorecardPageOut(PageOut):
    items = fields.List(fields.Nested(ScorecardOut))


class CommentPageOut(PageOut):
    items = fields.List(fields.Dict())


class AgentReportOut(Schema):
    scorecard = fields.Nested(ScorecardOut)
    trend = fields.List(fields.Dict())
    comments = fields.Nested(CommentPageOut)


class TrendOut(Schema):
    metric = fields.String()
    interval = fields.String()
    good = fields.String(metadata={"description": "Absent for `operations`"})
    items = fields.List(fields.Dict())


class ParetoOut(Schema):
    threshold = fields.Float()
    complaints = fields.Integer()
    agents = fields.List(fields.Dict())
    categories = fields.List(fields.Dict())


class ResponseRatesOut(Schema):
    sent = fields.Integer()
    answered = fields.Integer()
    response_rate = fields.Dict()
    by_delivery = fields.List(fields.Dict())
    by_reminder = fields.Dict()
    answered_via = fields.List(fields.Dict())


class DriversOut(Schema):
    sample = fields.Dict()
    differences = fields.List(fields.Dict())
    logistic = fields.Dict(allow_none=True)
    fcr_gap = fields.List(fields.Dict())
    # When the worker computed it (the unfiltered report); null: computed now.
    computed_at = fields.DateTime(allow_none=True)


class TargetIn(Schema):
    class Meta:
        unknown = RAISE

    metric = fields.String(required=True, validate=validate.OneOf(list(TARGET_RANGES)))
    team = fields.String(load_default=None, allow_none=True)
    agent = fields.String(load_default=None, allow_none=True)
    value = fields.Float(required=True, allow_nan=False)


class TargetsIn(Schema):
    class Meta:
        unknown = RAISE

    items = fields.List(fields.Nested(TargetIn), required=True)


class TargetOut(Schema):
    metric = fields.String()
    team = fields.String(allow_none=True)
    agent = fields.String(allow_none=True)
    value = fields.Float()
    updated_at = fields.DateTime()


class TargetsOut(Schema):
    items = fields.List(fields.Nested(TargetOut))


class ShareOut(Schema):
    count = fields.Integer()
    share = fields.Float(allow_none=True)
    interval = fields.Dict(allow_none=True, metadata={"description": "95% Wilson, 0..1"})


class QuestionValueOut(ShareOut):
    value = fields.String()


class QuestionGroupOut(Schema):
    id = fields.String()
    name = fields.String(allow_none=True)
    n = fields.Integer()
    too_few = fields.Boolean()
    values = fields.List(fields.Nested(QuestionValueOut))


class QuestionReportOut(Schema):
    survey = fields.String()
    key = fields.String()
    type = fields.String()
    n = fields.Integer(metadata={"description": "Confirmed responses that answered it"})
    too_few = fields.Boolean()
    values = fields.List(fields.Nested(QuestionValueOut))
    by_agent = fields.List(fields.Nested(QuestionGroupOut))
    by_team = fields.List(fields.Nested(QuestionGroupOut))


class RateOut(ShareOut):
    n = fields.Integer()


class AttributionGroupOut(Schema):
    n = fields.Integer(
        metadata={"description": "Answers with a stated target and an analysed comment"}
    )
    too_few = fields.Boolean()
    counts = fields.Dict(
        keys=fields.String(),
        values=fields.Dict(keys=fields.String(), values=fields.Integer()),
        metadata={"description": "stated target -> the model's target -> answers"},
    )
    agreement = fields.Nested(RateOut, metadata={"description": "Stated equals inferred"})
    product_says_agent = fields.Nested(
        RateOut,
        metadata={"description": "Of the answers stating product, the model says agent"},
    )


class AttributionAgentOut(AttributionGroupOut):
    id = fields.String()
    name = fields.String(allow_none=True)


class AttributionOut(Schema):
    stated = fields.List(fields.String())
    inferred = fields.List(fields.String())
    overall = fields.Nested(AttributionGroupOut)
    by_agent = fields.List(fields.Nested(AttributionAgentOut))
