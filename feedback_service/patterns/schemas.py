"""Request and response schemas of the pattern reports (separate in and out)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from feedback_service.limits import ScopeFilters
from feedback_service.scores.schemas import ReportQuery


class ComplaintPatternsQuery(ReportQuery):
    # Which table ``?format=csv`` exports: the patterns or the adjusted CSAT.
    table = fields.String(
        load_default="patterns", validate=validate.OneOf(["patterns", "adjusted-csat"])
    )


class ProductGapsQuery(ReportQuery):
    pass


class RefreshIn(ScopeFilters):
    """The filters a refresh computes under (``agent`` is applied when reading)."""

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


class PatternExampleOut(Schema):
    response_id = fields.Integer()
    ticket = fields.String(metadata={"description": "The helpdesk's ticket id."})
    sentence = fields.String(metadata={"description": "The sentence that shows the pattern."})
    confidence = fields.Float()


class ComplaintPatternOut(Schema):
    """One agent whose rate stands out against their same-team peers."""

    kind = fields.String(metadata={"description": "complaint or praise"})
    measure = fields.String(
        metadata={
            "description": "What is counted. category: responses whose comment carries "
            "`category`; negative_comments: responses whose comment is negative (not mixed) "
            "overall; low_csat / low_nps / low_ces: answers of CSAT <= 2, NPS <= 6, "
            "CES <= 2 among the responses that answered that question. The label-free "
            "measures find an agent whose customers complain far more even when the "
            "classifier spreads the complaints over many categories. One agent may "
            "appear under several measures."
        }
    )
    about = fields.String(
        metadata={
            "description": "agent: a category about the agent's own conduct (rude, "
            "unhelpful, praised...); concentrated: product or process complaints, negative "
            "comments or low ratings piling up at this agent (a coaching or routing "
            "signal, not a verdict on the agent)."
        }
    )
    agent = fields.String(metadata={"description": "The helpdesk's agent id."})
    agent_name = fields.String(allow_none=True)
    team = fields.String(allow_none=True)
    category = fields.String(
        allow_none=True, metadata={"description": "The category; null unless measure=category."}
    )
    why = fields.String(
        metadata={"description": "The finding in one paragraph a team lead can read."}
    )
    count = fields.Integer(metadata={"description": "The agent's responses that count."})
    responses = fields.Integer(
        metadata={"description": "The agent's responses (answers to the question for low_*)."}
    )
    rate = fields.Float(metadata={"description": "count / responses (a fraction)."})
    peers = fields.Integer(metadata={"description": "The other agents of the team."})
    peer_count = fields.Integer()
    peer_responses = fields.Integer()
    peer_rate = fields.Float()
    expected_count = fields.Float(
        metadata={"description": "The count at the peers' rate on each of the agent's channels."}
    )
    adjusted_peer_rate = fields.Float(metadata={"description": "expected_count / responses."})
    rate_ratio = fields.Float(
        allow_none=True,
        metadata={"description": "count / expected_count; null when the peers had none."},
    )
    rate_difference = fields.Float()
    p_value = fields.Float(metadata={"description": "Exact test stratified by channel."})
    q_value = fields.Float(
        metadata={
            "description": "Weighted Benjamini-Hochberg across every test of the run "
            "(summary.tests): p / weight, then the usual step-up."
        }
    )
    weight = fields.Float(
        metadata={
            "description": "The test's weight (weights average 1): the label-free measures "
            "together carry half of the family's weight, the categories the other half."
        }
    )
    trend = fields.String(
        allow_none=True, metadata={"description": "rising, falling, steady or new"}
    )
    previous_count = fields.Integer(allow_none=True)
    previous_responses = fields.Integer(allow_none=True)
    previous_rate = fields.Float(allow_none=True)
    rate_change = fields.Float(allow_none=True)
    examples = fields.List(fields.Nested(PatternExampleOut))


class ComplaintPatternsOut(Schema):
    run = fields.Nested(RunOut)
    summary = fields.Dict()
    items = fields.List(
        fields.Nested(ComplaintPatternOut),
        metadata={
            "description": "Complaint and praise patterns (kind), by measure, rates as "
            "fractions, with counts, p and q values, rate ratio, trend, example comments "
            "and a sentence saying why."
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
