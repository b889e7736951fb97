"""Request and response schemas of the API keys endpoints."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from feedback_service.auth.models import SCOPES
from feedback_service.limits import PageOut, page_number, page_size


class KeyQuery(Schema):
    class Meta:
        unknown = RAISE

    include_revoked = fields.Boolean(load_default=True)
    page = page_number()
    per_page = page_size()


class KeyIn(Schema):
    class Meta:
        unknown = RAISE

    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    scopes = fields.List(
        fields.String(validate=validate.OneOf(SCOPES)),
        required=True,
        validate=validate.Length(min=1, max=len(SCOPES)),
    )
    signed = fields.Boolean(load_default=False)


class KeyOut(Schema):
    """A key as listings show it: its prefix, never the secret or its hash."""

    id = fields.Integer()
    name = fields.String()
    prefix = fields.String(metadata={"description": "The key's first characters."})
    scopes = fields.List(fields.String())
    signed = fields.Boolean(metadata={"description": "Requests must carry X-Signature."})
    created_at = fields.DateTime()
    rotated_at = fields.DateTime(allow_none=True)
    last_used_at = fields.DateTime(
        allow_none=True, metadata={"description": "Recorded to the minute."}
    )
    revoked_at = fields.DateTime(allow_none=True)


class KeyPageOut(PageOut):
    items = fields.List(fields.Nested(KeyOut))


class KeySecretOut(KeyOut):
    """Answer of create and rotate: the only time the secret is shown."""

    key = fields.String(metadata={"description": "The API key; shown this once."})
    signing_secret = fields.String(
        allow_none=True, metadata={"description": "HMAC secret for X-Signature; shown once."}
    )
