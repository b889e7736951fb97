"""Request and response schemas of the survey API (separate in and out)."""

from __future__ import annotations

from typing import Any

from marshmallow import (
    EXCLUDE,
    RAISE,
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates,
    validates_schema,
)

from feedback_service.helpdesk.schemas import AgentIn, CustomerIn, TicketIn
from feedback_service.limits import DateRange, PageOut, page_number, page_size
from feedback_service.surveys import links, questions, service
from feedback_service.surveys.metrics import METRICS, SUPPORTED_LOCALES
from feedback_service.surveys.models import DELIVERIES

SURVEY_KEY = validate.Regexp(r"^[a-z0-9][a-z0-9-]{0,79}$", error="Use a-z, 0-9 and '-'.")


class InvitationIn(Schema):
    class Meta:
        unknown = EXCLUDE

    ticket = fields.Nested(TicketIn, required=True)
    agent = fields.Nested(AgentIn, required=True)
    customer = fields.Nested(CustomerIn, required=True)
    survey = fields.String(load_default="post-ticket", validate=SURVEY_KEY)
    delivery = fields.String(load_default="email", validate=validate.OneOf(DELIVERIES))
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
    survey_url = fields.Function(
        links.offered_survey_url,
        allow_none=True,
        metadata={"description": "null when suppressed: nothing to show the customer"},
    )
    embed = fields.Function(
        links.offered_embed,
        allow_none=True,
        metadata={"type": "object", "description": "null when suppressed"},
    )


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


KEY = validate.Regexp(r"^[a-z][a-z0-9_]{0,39}$", error="Use a-z, 0-9 and '_', starting a-z.")
OPTION_VALUE = validate.Regexp(r"^[a-z0-9][a-z0-9_-]{0,39}$", error="Use a-z, 0-9, '_' and '-'.")
LOCALE_TEXTS = fields.Dict(
    keys=fields.String(),
    values=fields.String(validate=validate.Length(min=1, max=500)),
    load_default=dict,
    validate=_check_wording,
)
# The fields only a team's own question has (a built-in metric has metric + wording).
CUSTOM_FIELDS = ("key", "type", "required", "show_if", "options", "scale", "labels", "maps_to")


class OptionIn(Schema):
    class Meta:
        unknown = RAISE

    value = fields.String(required=True, validate=OPTION_VALUE)
    label = fields.Dict(
        keys=fields.String(),
        values=fields.String(validate=validate.Length(min=1, max=200)),
        load_default=dict,
        validate=_check_wording,
    )


class ShowIfIn(Schema):
    """``{"question": "csat", "max": 2}``, ``{"min": 4}`` or ``{"in": ["product"]}``
    on an earlier question's answer."""

    class Meta:
        unknown = RAISE

    question = fields.String(required=True)
    min = fields.Integer()
    max = fields.Integer()
    in_ = fields.List(fields.String(), data_key="in", validate=validate.Length(min=1, max=20))

    @validates_schema
    def _one_kind(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if ("in_" in data) == ("min" in data or "max" in data):
            raise ValidationError("Give either 'in' (a list) or 'min' and/or 'max'.")

    @post_load
    def _stored(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        if "in_" in data:
            data["in"] = data.pop("in_")
        return data


class QuestionIn(Schema):
    """A built-in metric (``metric``, ``wording``) or a team's own question
    (``key``, ``type``, ``wording``, ``required``, ``show_if``, and ``options`` for
    choice/multi or ``scale`` and ``labels`` for rating; a choice may say
    ``"maps_to": "target"`` when its options name who the customer blames)."""

    class Meta:
        unknown = RAISE

    metric = fields.String(validate=validate.OneOf(list(METRICS)))
    key = fields.String(validate=KEY)
    type = fields.String(validate=validate.OneOf(questions.TYPES))
    wording = LOCALE_TEXTS
    required = fields.Boolean()
    show_if = fields.Nested(ShowIfIn)
    options = fields.List(fields.Nested(OptionIn), validate=validate.Length(min=2, max=20))
    scale = fields.Integer(
        validate=validate.Range(
            min=questions.RATING_SCALES.start, max=questions.RATING_SCALES.stop - 1
        )
    )
    labels = fields.Dict(
        keys=fields.String(),
        values=fields.List(
            fields.String(validate=validate.Length(min=1, max=100)),
            validate=validate.Length(equal=2),
        ),
        validate=_check_wording,
        metadata={"description": "Per locale, the labels of the lowest and highest point"},
    )
    maps_to = fields.String(
        validate=validate.OneOf(questions.MAPS_TO),
        metadata={
            "description": "target: options agent, product, process state who the customer "
            "blames, and teach the comment model's attribution"
        },
    )

    @validates_schema
    def _shape(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if "metric" in data:
            extra = [name for name in CUSTOM_FIELDS if name in data]
            if extra:
                msg = "Only a team's own question (with key and type) has this."
                raise ValidationError({name: [msg] for name in extra})
            return
        errors: dict[str, list[str]] = {}
        kind = data.get("type")
        for name in ("key", "type"):
            if name not in data:
                errors[name] = ["Missing data: give 'metric', or 'key' and 'type'."]
        if data.get("key") in questions.RESERVED_KEYS:
            errors["key"] = [f"'{data['key']}' is a built-in answer's name; choose another."]
        if not data.get("wording", {}).get("en"):
            errors["wording"] = ["Give the wording in en at least (es and de fall back to it)."]
        has_options = kind in ("choice", "multi")
        if has_options and "options" not in data:
            errors["options"] = [f"A {kind} question needs options."]
        if not has_options and "options" in data:
            errors["options"] = [f"A {kind} question has no options."]
        values = [o["value"] for o in data.get("options", [])]
        if len(set(values)) != len(values):
            errors["options"] = ["Each option value may appear once."]
        if kind == "rating" and "scale" not in data:
            errors["scale"] = ["A rating question needs its scale (3 to 10)."]
        for name in ("scale", "labels"):
            if kind != "rating" and name in data:
                errors[name] = ["Only a rating question has this."]
        if "maps_to" in data:
            if kind != "choice":
                errors["maps_to"] = ["Only a choice question maps to the target."]
            elif not set(values) & set(questions.STATED_TARGETS):
                errors["maps_to"] = [
                    f"No option value is one of {', '.join(questions.STATED_TARGETS)}."
                ]
        if errors:
            raise ValidationError(errors)

    @post_load
    def _stored(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        if "metric" in data:
            return {"metric": data["metric"], "wording": data["wording"]}
        stored = {
            "key": data["key"],
            "type": data["type"],
            "wording": data["wording"],
            "required": data.get("required", False),
        }
        for name in ("show_if", "options", "scale", "labels", "maps_to"):
            if name in data:
                stored[name] = data[name]
        return stored


def _complete(question: dict[str, Any]) -> bool:
    """Whether a question carries what its type needs (a refused one may arrive
    here in part)."""
    if "metric" in question:
        return True
    kind = question.get("type")
    if kind == "rating":
        return "scale" in question
    if kind in ("choice", "multi"):
        return "options" in question
    return kind is not None


def _check_show_if(
    index: int, condition: dict[str, Any], earlier: dict[str, dict[str, Any]]
) -> str | None:
    """Why ``condition`` cannot be used, or None."""
    target = earlier.get(condition["question"])
    if target is None:
        return f"'{condition['question']}' is not an earlier question of this survey."
    if not _complete(target):
        return None  # the earlier question is refused by QuestionIn, and named there
    kind = questions.type_of(target)
    if kind in ("metric", "rating"):
        if "in" in condition:
            return f"'{condition['question']}' is a number: use min and/or max."
        low, high = questions.scale(target)
        bounds = [condition[b] for b in ("min", "max") if b in condition]
        if any(not low <= b <= high for b in bounds):
            return f"min and max must lie in {low}..{high}."
        return None
    if kind in ("choice", "multi"):
        if "in" not in condition:
            return f"'{condition['question']}' is a {kind}: use 'in' with its option values."
        unknown = [v for v in condition["in"] if v not in questions.option_values(target)]
        if unknown:
            return f"Not options of '{condition['question']}': {', '.join(unknown)}."
        return None
    return f"'{condition['question']}' is free text; a follow-up cannot depend on it."


def check_questions(value: list[dict[str, Any]]) -> None:
    """Checks across a survey's questions: keys distinct, at least one built-in
    metric (the email's one-click rating), show_if on an earlier question."""
    errors: dict[int, dict[str, list[str]]] = {}
    earlier: dict[str, dict[str, Any]] = {}
    for index, question in enumerate(value):
        if not isinstance(question, dict) or not (question.get("metric") or question.get("key")):
            continue  # refused by QuestionIn already, and named there
        key = questions.key_of(question)
        if key in earlier:
            name = "metric" if "metric" in question else "key"
            what = "Each metric may be asked once." if name == "metric" else f"'{key}' twice."
            errors[index] = {name: [what]}
        condition = question.get("show_if")
        # A show_if ShowIfIn refused arrives here partly (marshmallow keeps the valid
        # part); it is named by ShowIfIn, not checked again.
        problem = None
        if isinstance(condition, dict) and "question" in condition:
            problem = _check_show_if(index, condition, earlier)
        if problem:
            errors.setdefault(index, {})["show_if"] = [problem]
        if question.get("maps_to") and questions.target_question(earlier.values()):
            errors.setdefault(index, {})["maps_to"] = ["Only one question maps to the target."]
        earlier[key] = question
    if errors:
        raise ValidationError(errors)
    if not any("metric" in q for q in value):
        raise ValidationError(
            f"Ask at least one of {', '.join(METRICS)}: the email's one-click rating is the "
            "first of them."
        )


QUESTIONS = validate.Length(min=1, max=questions.MAX_QUESTIONS)


class QuestionOut(Schema):
    """A question as defined; the fields a type does not have are null."""

    key = fields.Function(questions.key_of)
    type = fields.Function(questions.type_of)
    metric = fields.Function(lambda q: q.get("metric"), allow_none=True)
    wording = fields.Dict(keys=fields.String(), values=fields.String())
    required = fields.Function(lambda q: bool(q.get("required")), metadata={"type": "boolean"})
    show_if = fields.Function(
        lambda q: q.get("show_if"), allow_none=True, metadata={"type": "object"}
    )
    options = fields.Function(
        lambda q: q.get("options"), allow_none=True, metadata={"type": "array"}
    )
    scale = fields.Function(lambda q: q.get("scale"), allow_none=True, metadata={"type": "integer"})
    labels = fields.Function(
        lambda q: q.get("labels"), allow_none=True, metadata={"type": "object"}
    )
    maps_to = fields.Function(
        lambda q: q.get("maps_to"), allow_none=True, metadata={"type": "string"}
    )
    low = fields.Function(
        lambda q: questions.scale(q)[0] if _numeric(q) else None,
        allow_none=True,
        metadata={"type": "integer"},
    )
    high = fields.Function(
        lambda q: questions.scale(q)[1] if _numeric(q) else None,
        allow_none=True,
        metadata={"type": "integer"},
    )


def _numeric(question: dict[str, Any]) -> bool:
    return questions.type_of(question) in ("metric", "rating")


class SurveyPatch(Schema):
    class Meta:
        unknown = RAISE

    name = fields.String(validate=validate.Length(min=1, max=200))
    questions = fields.List(fields.Nested(QuestionIn), validate=QUESTIONS)
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
    def _across_questions(self, value: list[dict[str, Any]], **_kwargs: Any) -> None:
        check_questions(value)


class SurveyIn(SurveyPatch):
    key = fields.String(required=True, validate=SURVEY_KEY)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    questions = fields.List(fields.Nested(QuestionIn), required=True, validate=QUESTIONS)
    reminder_after_hours = fields.Integer(
        allow_none=True, load_default=48, validate=validate.Range(min=1, max=24 * 30)
    )


class SurveyDeleteArgs(Schema):
    purge = fields.Boolean(
        load_default=False,
        metadata={"description": "Delete the survey outright; only one never sent"},
    )


class SurveyDefinitionOut(Schema):
    version = fields.Integer()
    questions = fields.List(fields.Nested(QuestionOut))
    created_at = fields.DateTime()


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
    version = fields.Integer(metadata={"description": "Bumped whenever the questions change"})
    archived = fields.Boolean()
    archived_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class SurveyResponsesQuery(DateRange):
    page = page_number()
    per_page = page_size()
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "csv"]))


class SurveyResponseItemOut(Schema):
    id = fields.Integer()
    submitted_at = fields.DateTime()
    status = fields.String()
    source = fields.String()
    ticket = fields.String()
    agent = fields.String(allow_none=True)
    channel = fields.String(allow_none=True)
    locale = fields.String()
    answers = fields.Dict(
        keys=fields.String(),
        values=fields.Raw(),
        metadata={"description": "Built-in metrics and the survey's own questions, by key"},
    )
    comment = fields.String(allow_none=True)


class SurveyResponsesOut(PageOut):
    items = fields.List(fields.Nested(SurveyResponseItemOut))
    columns = fields.List(
        fields.String(), metadata={"description": "The answer columns of the CSV, in order"}
    )


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
    key = fields.String(metadata={"description": "The answer's name in `answers`"})
    type = fields.String(metadata={"description": "metric, rating, choice, multi or text"})
    metric = fields.String(allow_none=True)
    wording = fields.String()
    low = fields.Integer(allow_none=True)
    high = fields.Integer(allow_none=True)
    low_label = fields.String()
    high_label = fields.String()
    options = fields.List(fields.Nested(OptionOut))
    required = fields.Boolean()
    show_if = fields.Dict(
        allow_none=True,
        metadata={"description": "Shown only when the earlier answer meets this condition"},
    )
    max_length = fields.Integer(allow_none=True)


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
