"""What the OpenAPI document says beyond the schemas, for every operation at once.

flask-smorest documents its own error body; the service answers every error in
one shape (``errors.py``). This module documents that shape (``ErrorOut``, set as
the Api's ``ERROR_SCHEMA``), and an apispec plugin completes each operation as
it is registered, so a blueprint added later gets the same without a decorator:

- a ``default`` response in the error shape on every operation;
- ``security: []`` on ``@public`` operations (they take the invitation token, not
  a key), and ``x-required-scope`` (the key's scope) on the others;
- ``text/csv`` beside ``application/json`` on the 200 answer of every operation
  with a ``format`` query parameter that offers ``csv``;
- a JSON body that requires no field is not a required body (none is ``{}``).
"""

from __future__ import annotations

from typing import Any

from apispec import BasePlugin
from flask import Flask
from marshmallow import Schema, fields

CSV_CONTENT = {"text/csv": {"schema": {"type": "string"}}}


class ErrorDetailOut(Schema):
    status = fields.Integer(required=True, metadata={"example": 422})
    code = fields.String(required=True, metadata={"example": "validation_error"})
    message = fields.String(required=True)
    # "fields" would shadow Schema.fields: the attribute has another name.
    fields_ = fields.Dict(
        data_key="fields",
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "Per field, what is wrong with it ('ticket.id': [...])"},
    )


class ErrorOut(Schema):
    """Every 4xx and 5xx answer of the API."""

    error = fields.Nested(ErrorDetailOut, required=True)


def _offers_csv(operation: dict[str, Any]) -> bool:
    for parameter in operation.get("parameters", []):
        if isinstance(parameter, dict) and parameter.get("in") == "query":
            schema = parameter.get("schema") or {}
            if parameter.get("name") == "format" and "csv" in schema.get("enum", []):
                return True
    return False


class ServicePlugin(BasePlugin):
    """Runs after flask-smorest's plugins (``extra_plugins``), on resolved operations."""

    def __init__(self, app: Flask, default_error: str) -> None:
        self.app = app
        self.default_error = default_error
        self.spec: Any = None

    def init_spec(self, spec: Any) -> None:
        super().init_spec(spec)
        self.spec = spec

    def _requires_nothing(self, body: dict[str, Any]) -> bool:
        """A JSON body whose schema requires no field: sending none is sending ``{}``
        (webargs reads a missing body so), so the document must not call it required."""
        schema = (body.get("content", {}).get("application/json") or {}).get("schema")
        if isinstance(schema, dict) and "$ref" in schema:
            schema = schema["$ref"].rsplit("/", 1)[-1]
        if isinstance(schema, str):
            schema = self.spec.components.schemas.get(schema) if self.spec else None
        return isinstance(schema, dict) and not schema.get("required")

    def operation_helper(
        self, path: str | None = None, operations: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        rule = kwargs.get("rule")
        view = self.app.view_functions.get(rule.endpoint) if rule is not None else None
        for operation in (operations or {}).values():
            responses = operation.setdefault("responses", {})
            responses.setdefault("default", self.default_error)
            if view is not None and getattr(view, "_public", False):
                operation["security"] = []
            elif view is not None:
                operation["x-required-scope"] = getattr(view, "_required_scope", "admin")
            body = operation.get("requestBody")
            if isinstance(body, dict) and body.get("required") and self._requires_nothing(body):
                body["required"] = False
            ok = responses.get("200") or responses.get(200)
            if isinstance(ok, dict) and _offers_csv(operation):
                ok.setdefault("content", {}).update(CSV_CONTENT)
