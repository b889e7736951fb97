"""Request and response schemas of the pattern reports (separate in and out)."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from feedback_service.analysis.schemas import ReportQuery


class ComplaintPatternsQuery(ReportQuery):
    # Which table ``?format=csv`` exports: the patterns or the adjusted CSAT.
    table = fields.String(
        load_default="patterns", validate=validate.OneOf(["patterns", "adjusted-csat"])
    )


class ProductGapsQuery(ReportQuery):
    pass


class RefreshIn(Schema):
    """The filters a refresh computes under (``agent`` is applied when reading)."""

    class Meta:
        unknown = RAISE

    from_ = fields.Date(data_key="from", attribute="from", load_default=None)
    to = fields.Date(load_default=None)
    team = fields.String(load_default=None, validate=validate.Length(min=1, max=200))
    channel = fields.String(load_default=None, validate=validate.Length(min=1, max=40))
    survey = fields.String(load_default=None, validate=validate.Length(min=1, max=80))


class RunOut(Schema):
    id = fields.Integer()
    kind = fields.String()
    status = fields.String(metadata={"description": "queued, running, done or failed"})
    trigger = fields.String()
    filters = fields.Dict(keys=fields.String(), values=fields.String())
    from_ = fields.Date(data_key="from", attribute="from")
    to = fields.Date()
    previous_from = fields.Date(allow_none=True)
    previous_to = fields.Date(allow_none=True)
    created_at = fields.DateTime()
    started_at = fields.DateTime(allow_none=True)
    computed_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)
    error = fields.String(allow_none=True)


class JobOut(RunOut):
    report_url = fields.String(allow_none=True)


class ComplaintPatternsOut(Schema):
    run = fields.Nested(RunOut)
    summary = fields.Dict()
    items = fields.List(
        fields.Dict(),
        metadata={
            "description": "Complaint and praise patterns (kind), rates as fractions, "
            "with counts, p and q values, rate ratio, trend and example comments."
        },
    )
    adjusted_csat = fields.List(
        fields.Dict(),
        metadata={"description": "Per agent: CSAT and CSAT without product/process blame (%)."},
    )


class ProductGapsOut(Schema):
    run = fields.Nested(RunOut)
    summary = fields.Dict()
    items = fields.List(
        fields.Dict(),
        metadata={
            "description": "Themes by volume: key phrases, share of contacts, weekly "
            "counts and trend, agents and products affected, CSAT effect, product-gap, "
            "emerging and Pareto flags, example comments."
        },
    )
