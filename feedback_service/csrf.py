"""Signed CSRF tokens, shared by every HTML form the service serves.

A token is the binding value (a per-session secret for the dashboard, an
invitation token for the public survey form) signed with the app's SECRET_KEY
under a salt naming the form family, and timestamped. A forged request from
another site cannot read the binding, so it cannot produce a valid token; the
salt keeps a token of one family from being replayed against another.
The dashboard's known-device cookie is signed and checked the same way.
"""

from __future__ import annotations

import hmac

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

FORM_FIELD = "csrf_token"


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def generate_token(binding: str, salt: str) -> str:
    """A token valid for ``binding`` under ``salt``."""
    return _serializer(salt).dumps(binding)


def validate_token(value: str | None, binding: str | None, salt: str, max_age: int) -> bool:
    """True if ``value`` was issued for ``binding`` under ``salt`` within ``max_age`` s."""
    if not value or not binding:
        return False
    try:
        signed = _serializer(salt).loads(value, max_age=max_age)
    except BadSignature:  # also covers SignatureExpired
        return False
    return isinstance(signed, str) and hmac.compare_digest(signed, binding)
