"""Request and response schemas of the survey API (separate in and out)."""

from __future__ import annotations

from typing import Any

from marshmallow import (
    EXCLUDE,
    RAISE,
    Schema,
    ValidationError,
    fields,
    validate,
    validates,
)

from feedback_service.helpdesk.schemas import AgentIn, CustomerIn, TicketIn
from feedback_service.surveys import links, service
from feedback_service.surveys.metrics import METRICS, SUPPORTED_LOCALES

SURVEY_KEY = validate.Regexp(r"^[a-z0-9][a-z0-9-]{0,79}$", error="Use a-z, 0-9 and '-'.")


class InvitationIn(Schema):
    class Meta:
        unknown = EXCLUDE

    ticket = fields.Nested(TicketIn, required=True)
    agent = fields.Nested(AgentIn, required=True)
    customer = fields.Nested(CustomerIn, required=True)
    survey = fields.String(load_default="post-ticket", validate=SURVEY_KEY)
    delivery = fields.String(load_default="email", validate=validate.OneOf(["email", "link"]))
    send_after = fields.Integer(
        load_default=None, validate=validate.Range(min=0, max=30 * 24 * 3600)
    )


class InvitationStateOut(Schema):
    """What anyone with the ingest scope may see of an invitation: never its token."""

    id = fields.Integer()
    status = fields.String()
    reason = fields.String(allow_none=True)


class InvitationOut(InvitationStateOut):
    """The answer to the call that created the invitation: the only place (with the
    email) its token and the links built on it are shown. A repeated call answers
    with ``InvitationStateOut`` unless it repeats the ``Idempotency-Key`` that
    created the invitation (a retry of the same call)."""

    token = fields.String(metadata={"description": "The survey token: shown only here"})
    survey_url = fields.Function(links.survey_url)
    embed = fields.Function(links.embed_snippets, metadata={"type": "object"})


class InvitationEventOut(Schema):
    at = fields.DateTime()
    kind = fields.String()
    detail = fields.String(allow_none=True)


class InvitationDetailOut(InvitationStateOut):
    """An invitation's state and history for the helpdesk; no token, no links."""

    survey = fields.Function(lambda inv: inv.survey.key)
    ticket_id = fields.Function(lambda inv: inv.ticket.external_id)
    agent_id = fields.Function(lambda inv: inv.agent.external_id if inv.agent else None)
    customer_id = fields.Function(lambda inv: inv.customer.external_id)
    delivery = fields.String()
    locale = fields.String()
    send_at = fields.DateTime(allow_none=True)
    sent_at = fields.DateTime(allow_none=True)
    reminder_sent_at = fields.DateTime(allow_none=True)
    expires_at = fields.DateTime(allow_none=True)
    answered_at = fields.DateTime(allow_none=True)
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    created_at = fields.DateTime()
    history = fields.Method("_history")

    def _history(self, invitation: Any) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = InvitationEventOut(many=True).dump(
            service.history(invitation)
        )
        return events


def _check_wording(value: dict[str, str]) -> None:
    bad = sorted(set(value) - set(SUPPORTED_LOCALES))
    if bad:
        raise ValidationError(
            f"Unsupported locale(s) {', '.join(bad)}; use {', '.join(SUPPORTED_LOCALES)}."
        )


class QuestionIn(Schema):
    class Meta:
        unknown = RAISE

    metric = fields.String(required=True, validate=validate.OneOf(list(METRICS)))
    wording = fields.Dict(
        keys=fields.String(),
        values=fields.String(validate=validate.Length(min=1, max=500)),
        load_default=dict,
        validate=_check_wording,
    )


class QuestionOut(Schema):
    metric = fields.String()
    wording = fields.Dict(keys=fields.String(), values=fields.String())
    low = fields.Function(lambda q: METRICS[q["metric"]].low)
    high = fields.Function(lambda q: METRICS[q["metric"]].high)


class SurveyPatch(Schema):
    class Meta:
        unknown = RAISE

    name = fields.String(validate=validate.Length(min=1, max=200))
    questions = fields.List(fields.Nested(QuestionIn), validate=validate.Length(min=1, max=4))
    comment_prompt = fields.Dict(
        keys=fields.String(),
        values=fields.String(validate=validate.Length(min=1, max=500)),
        allow_none=True,
        validate=_check_wording,
    )
    throttle_days = fields.Integer(validate=validate.Range(min=0, max=365))
    sampling_rate = fields.Float(validate=validate.Range(min=0.0, max=1.0))
    send_delay_seconds = fields.Integer(validate=validate.Range(min=0, max=30 * 24 * 3600))
    reminder_after_hours = fields.Integer(
        allow_none=True, validate=validate.Range(min=1, max=24 * 30)
    )
    expire_after_days = fields.Integer(validate=validate.Range(min=1, max=365))
    amend_window_hours = fields.Integer(validate=validate.Range(min=0, max=24 * 30))
    active = fields.Boolean()

    @validates("questions")
    def _distinct_metrics(self, value: list[dict[str, Any]], **_kwargs: Any) -> None:
        metrics = [q.get("metric") for q in value if isinstance(q, dict)]
        if len(set(metrics)) != len(metrics):
            raise ValidationError("Each metric may be asked once.")


class SurveyIn(SurveyPatch):
    key = fields.String(required=True, validate=SURVEY_KEY)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    questions = fields.List(
        fields.Nested(QuestionIn), required=True, validate=validate.Length(min=1, max=4)
    )
    reminder_after_hours = fields.Integer(
        allow_none=True, load_default=48, validate=validate.Range(min=1, max=24 * 30)
    )


class SurveyOut(Schema):
    key = fields.String()
    name = fields.String()
    questions = fields.List(fields.Nested(QuestionOut))
    comment_prompt = fields.Dict(keys=fields.String(), values=fields.String(), allow_none=True)
    throttle_days = fields.Integer()
    sampling_rate = fields.Float()
    send_delay_seconds = fields.Integer()
    reminder_after_hours = fields.Integer(allow_none=True)
    expire_after_days = fields.Integer()
    amend_window_hours = fields.Integer()
    active = fields.Boolean()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class SurveyListOut(Schema):
    items = fields.List(fields.Nested(SurveyOut))
    total = fields.Integer()


# --- collecting answers (public, token-authenticated) -----------------------------


class ResponseIn(Schema):
    """What a widget or app posts: the token, any of the survey's answers, a comment."""

    class Meta:
        unknown = RAISE

    token = fields.String(required=True, validate=validate.Length(min=1, max=64))
    answers = fields.Dict(
        keys=fields.String(),
        values=fields.Raw(allow_none=True),
        load_default=dict,
        metadata={
            "description": "Any of the survey's metrics: "
            "csat 1-5, nps 0-10, ces 1-7, fcr true|false"
        },
    )
    comment = fields.String(
        load_default=None, allow_none=True, metadata={"description": "At most 5,000 characters"}
    )


class ResponseOut(Schema):
    id = fields.Integer()
    status = fields.String(metadata={"description": "provisional or confirmed"})
    answers = fields.Dict(keys=fields.String(), values=fields.Raw())
    comment = fields.String(allow_none=True)
    submitted_at = fields.DateTime()
    updated_at = fields.DateTime()
    amend_until = fields.DateTime(metadata={"description": "Changes are taken until then"})


class OptionOut(Schema):
    value = fields.Raw()
    label = fields.String()


class CustomerQuestionOut(Schema):
    metric = fields.String()
    wording = fields.String()
    low = fields.Integer()
    high = fields.Integer()
    low_label = fields.String()
    high_label = fields.String()
    options = fields.List(fields.Nested(OptionOut))


class CustomerSurveyOut(Schema):
    """A survey as the customer sees it, in the invitation's locale."""

    locale = fields.String()
    title = fields.String()
    hint = fields.String()
    questions = fields.List(fields.Nested(CustomerQuestionOut))
    comment_prompt = fields.String(allow_none=True)
    comment_max_length = fields.Integer()
    submit_label = fields.String()
    thanks_title = fields.String()
    thanks_body = fields.String()
    nothing_given = fields.String()
    sending_label = fields.String()
    error_message = fields.String()
    answers = fields.Dict(keys=fields.String(), values=fields.Raw())
    comment = fields.String(allow_none=True)
