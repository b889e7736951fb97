"""Input schemas for what a helpdesk tells us about a ticket and its people."""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, pre_load, validate


class ExternalId(fields.String):
    """Helpdesk ids are kept as strings; numbers are accepted and converted."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        if isinstance(value, bool):
            raise ValidationError("Not a valid id.")
        if isinstance(value, int):
            value = str(value)
        result: str = super()._deserialize(value, attr, data, **kwargs)
        if not result.strip():
            raise ValidationError("Must not be empty.")
        return result.strip()


class HelpdeskRecordIn(Schema):
    """A ticket, agent or customer as the helpdesk sends it: its id, required; keys we
    do not use are ignored, so a helpdesk can send its whole record."""

    class Meta:
        unknown = EXCLUDE

    id = ExternalId(required=True, validate=validate.Length(max=200))


class TicketIn(HelpdeskRecordIn):
    subject = fields.String(load_default=None, validate=validate.Length(max=2000))
    channel = fields.String(load_default=None, validate=validate.Length(max=40))
    product = fields.String(load_default=None, validate=validate.Length(max=200))
    tags = fields.List(fields.String(validate=validate.Length(max=100)), load_default=None)
    opened_at = fields.AwareDateTime(load_default=None, default_timezone=None)
    first_response_at = fields.AwareDateTime(load_default=None)
    resolved_at = fields.AwareDateTime(load_default=None)
    closed_at = fields.AwareDateTime(load_default=None)
    contacts = fields.Integer(load_default=None, validate=validate.Range(min=0, max=10_000))
    escalated = fields.Boolean(load_default=None)
    reopened = fields.Boolean(load_default=None)

    @pre_load
    def _lower_channel(self, data: Any, **_kwargs: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("channel"), str):
            data = {**data, "channel": data["channel"].strip().lower()}
        return data


class AgentIn(HelpdeskRecordIn):
    name = fields.String(load_default=None, validate=validate.Length(max=200))
    email = fields.String(load_default=None, validate=validate.Length(max=320))
    team = fields.String(load_default=None, validate=validate.Length(min=1, max=200))


class CustomerIn(HelpdeskRecordIn):
    # Not validated as an email here: an unusable address suppresses the survey
    # with reason no_email instead of failing the helpdesk's call.
    email = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=320))
    name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    locale = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=20))


class TeamIn(Schema):
    """``PUT /api/v1/teams/<id>``: the team's display name and its lead's address
    (who gets the team's alerts by email; null removes it)."""

    class Meta:
        unknown = RAISE

    name = fields.String(validate=validate.Length(min=1, max=200))
    lead_email = fields.Email(allow_none=True, validate=validate.Length(max=320))


class TeamOut(Schema):
    id = fields.String(attribute="external_id")
    name = fields.String()
    lead_email = fields.String(allow_none=True)
    agents = fields.Integer()


class TeamListOut(Schema):
    items = fields.List(fields.Nested(TeamOut))
