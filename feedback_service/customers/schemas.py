"""Response schemas of the customers API: the export and the erasure receipt."""

from __future__ import annotations

from marshmallow import Schema, fields


class CustomerOut(Schema):
    id = fields.String(metadata={"description": "The helpdesk's customer id."})
    email = fields.String(allow_none=True)
    name = fields.String(allow_none=True)
    locale = fields.String(allow_none=True)
    unsubscribed_at = fields.String(allow_none=True)
    created_at = fields.String()
    updated_at = fields.String()


class ExportTicketOut(Schema):
    id = fields.String()
    source = fields.String()
    subject = fields.String(allow_none=True)
    channel = fields.String(allow_none=True)
    product = fields.String(allow_none=True)
    tags = fields.List(fields.String())
    agent = fields.String(allow_none=True)
    team = fields.String(allow_none=True)
    opened_at = fields.String(allow_none=True)
    first_response_at = fields.String(allow_none=True)
    resolved_at = fields.String(allow_none=True)
    closed_at = fields.String(allow_none=True)
    contacts = fields.Integer(allow_none=True)
    escalated = fields.Boolean(allow_none=True)
    reopened = fields.Boolean(allow_none=True)


class ExportEventOut(Schema):
    at = fields.String()
    kind = fields.String()
    detail = fields.String(allow_none=True)


class ExportInvitationOut(Schema):
    id = fields.Integer()
    survey = fields.String()
    channel = fields.String(allow_none=True)
    locale = fields.String()
    delivery = fields.String()
    status = fields.String()
    reason = fields.String(allow_none=True)
    send_at = fields.String(allow_none=True)
    sent_at = fields.String(allow_none=True)
    reminder_sent_at = fields.String(allow_none=True)
    expires_at = fields.String(allow_none=True)
    answered_at = fields.String(allow_none=True)
    created_at = fields.String()
    events = fields.List(fields.Nested(ExportEventOut))


class ExportAnswerOut(Schema):
    id = fields.Integer()
    invitation_id = fields.Integer()
    ticket = fields.String()
    survey = fields.String()
    status = fields.String()
    source = fields.String()
    channel = fields.String(allow_none=True)
    locale = fields.String()
    answers = fields.Dict(keys=fields.String(), values=fields.Raw())
    comment = fields.String(allow_none=True)
    submitted_at = fields.String()
    updated_at = fields.String()
    confirmed_at = fields.String(allow_none=True)


class ExportAnalysisOut(Schema):
    language = fields.String(allow_none=True)
    sentiment = fields.String(allow_none=True)
    sentiment_score = fields.Float(allow_none=True)
    findings = fields.List(fields.Dict())
    key_phrases = fields.List(fields.String())
    model_version = fields.String()


class ExportNoteOut(Schema):
    body = fields.String()
    created_at = fields.String()


class ExportCommentOut(Schema):
    response_id = fields.Integer()
    comment = fields.String()
    analysis = fields.Nested(ExportAnalysisOut, allow_none=True)
    notes = fields.List(fields.Nested(ExportNoteOut))


class ExportAlertOut(Schema):
    id = fields.Integer()
    kind = fields.String()
    title = fields.String()
    status = fields.String()
    payload = fields.Dict()
    created_at = fields.String()


class CustomerExportOut(Schema):
    """Everything held about one customer (a GDPR access request)."""

    customer = fields.Nested(CustomerOut)
    tickets = fields.List(fields.Nested(ExportTicketOut))
    invitations = fields.List(fields.Nested(ExportInvitationOut))
    answers = fields.List(fields.Nested(ExportAnswerOut))
    comments = fields.List(fields.Nested(ExportCommentOut))
    alerts = fields.List(fields.Nested(ExportAlertOut))
    exported_at = fields.String()


class ErasureOut(Schema):
    status = fields.String(
        metadata={"description": "erased, or already_erased for a repeated request."}
    )
    erasure_id = fields.Integer(metadata={"description": "The audit record."})
    trigger = fields.String()
    erased_at = fields.DateTime()
    counts = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        metadata={"description": "Rows and files erased or anonymised, by kind."},
    )
