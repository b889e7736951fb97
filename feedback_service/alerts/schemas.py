"""Request and response schemas of the alerts API (separate in and out)."""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, fields, validate

from feedback_service.alerts.rules import TRIGGER_RANGES
from feedback_service.alerts.service import DIGEST_FREQUENCIES
from feedback_service.limits import PageOut, page_number, page_size

MAX_RECIPIENTS = 50


def _trigger(metric: str) -> fields.Integer:
    low, high = TRIGGER_RANGES[metric]
    return fields.Integer(
        load_default=None,
        allow_none=True,
        strict=True,
        validate=validate.Range(
            min=low, max=high, error=f"Must be null (off) or an answer from {low} to {high}."
        ),
    )


def _addresses() -> fields.List[Any]:
    return fields.List(
        fields.Email(validate=validate.Length(max=320)),
        load_default=list,
        validate=validate.Length(max=MAX_RECIPIENTS),
    )


class TriggersIn(Schema):
    """An answer at or below the value raises an alert; null or left out is off."""

    class Meta:
        unknown = RAISE

    nps = _trigger("nps")
    csat = _trigger("csat")
    ces = _trigger("ces")
    fcr = _trigger("fcr")


class WebhookIn(Schema):
    class Meta:
        unknown = RAISE

    url = fields.URL(
        required=True,
        schemes={"http", "https"},
        require_tld=False,
        validate=validate.Length(max=2000),
    )
    # Write-only; left out, the stored secret is kept.
    secret = fields.String(load_default=None, validate=validate.Length(min=16, max=200))


class EmailIn(Schema):
    class Meta:
        unknown = RAISE

    team_lead = fields.Boolean(load_default=True)
    recipients = _addresses()


class DigestIn(Schema):
    class Meta:
        unknown = RAISE

    frequency = fields.String(required=True, validate=validate.OneOf(DIGEST_FREQUENCIES))
    recipients = _addresses()
    hour_utc = fields.Integer(load_default=7, strict=True, validate=validate.Range(min=0, max=23))


class AlertSettingsIn(Schema):
    """Sections left out keep their current value; ``webhook: null`` removes it."""

    class Meta:
        unknown = RAISE

    triggers = fields.Nested(TriggersIn)
    require_comment = fields.Boolean()
    webhook = fields.Nested(WebhookIn, allow_none=True)
    email = fields.Nested(EmailIn)
    digest = fields.Nested(DigestIn)


class WebhookOut(Schema):
    url = fields.String()
    secret_set = fields.Boolean()


class AlertSettingsOut(Schema):
    triggers = fields.Dict(keys=fields.String(), values=fields.Integer(allow_none=True))
    require_comment = fields.Boolean()
    webhook = fields.Nested(WebhookOut, allow_none=True)
    email = fields.Dict()
    digest = fields.Dict()
    updated_at = fields.DateTime(allow_none=True)


class AlertQuery(Schema):
    class Meta:
        unknown = RAISE

    status = fields.String(load_default=None, validate=validate.OneOf(["open", "acknowledged"]))
    kind = fields.String(load_default=None, validate=validate.Length(min=1, max=60))
    page = page_number()
    per_page = page_size()


class DeliveryOut(Schema):
    channel = fields.String()
    # The email address, or the webhook URL without its query string.
    target = fields.String()
    status = fields.String()
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    delivered_at = fields.DateTime(allow_none=True)


class AlertOut(Schema):
    id = fields.Integer()
    kind = fields.String()
    title = fields.String()
    status = fields.String()
    payload = fields.Dict()
    dedupe_key = fields.String()
    created_at = fields.DateTime()
    acknowledged_at = fields.DateTime(allow_none=True)
    acknowledged_by = fields.String(allow_none=True)
    deliveries = fields.List(fields.Nested(DeliveryOut))


class AlertPageOut(PageOut):
    items = fields.List(fields.Nested(AlertOut))
    open = fields.Integer()
