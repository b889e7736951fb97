"""Dashboard sessions, CSRF and the view decorator that enforces roles and scope.

Flask's signed-cookie session holds the user id, a fingerprint of the password
hash (a password change signs out every other session) and a random CSRF secret.
The cookie flags come from config (HttpOnly, SameSite=Lax, Secure if configured).

A second, long-lived cookie marks a browser an account has signed in from (the
"device cookie"): the sign-in throttle's per-account limit, there against
guessing from many addresses, does not hold back such a browser
(``auth.signin``). It holds a signed digest of the email, nothing to sign in with.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from flask import abort, current_app, g, redirect, request, session, url_for
from werkzeug.wrappers import Response

from feedback_service import csrf
from feedback_service.auth.models import User
from feedback_service.auth.users import (
    Scope,
    normalise_email,
    session_fingerprint,
    visible_scope,
)
from feedback_service.db import get_session

CSRF_SALT = "feedback-dashboard"
CSRF_MAX_AGE = 12 * 3600
_CSRF_SECRET = "csrf_secret"  # noqa: S105  (a session key name, not a secret)

_USER_KEY = "feedback_service.dashboard.user"

F = TypeVar("F", bound=Callable[..., Any])


def csrf_token() -> str:
    """The token for this session's forms (the sign-in form included)."""
    secret = session.get(_CSRF_SECRET)
    if not secret:
        secret = secrets.token_urlsafe(24)
        session[_CSRF_SECRET] = secret
    return csrf.generate_token(secret, CSRF_SALT)


def csrf_valid() -> bool:
    return csrf.validate_token(
        request.form.get(csrf.FORM_FIELD), session.get(_CSRF_SECRET), CSRF_SALT, CSRF_MAX_AGE
    )


def sign_in(user: User) -> None:
    # A fresh session on sign-in: nothing set before it (by anyone) carries over.
    session.clear()
    session.permanent = True
    session["user_id"] = user.id
    session["fp"] = session_fingerprint(user)
    session[_CSRF_SECRET] = secrets.token_urlsafe(24)


def sign_out() -> None:
    session.clear()


DEVICE_COOKIE = "fs_device"
DEVICE_SALT = "feedback-known-device"
DEVICE_MAX_AGE = 180 * 24 * 3600


def _email_digest(email: str) -> str:
    return hashlib.sha256(normalise_email(email).encode()).hexdigest()[:32]


def remember_device(response: Response, user: User) -> None:
    """Mark this browser as one ``user`` signed in from."""
    response.set_cookie(
        DEVICE_COOKIE,
        csrf.generate_token(_email_digest(user.email), DEVICE_SALT),
        max_age=DEVICE_MAX_AGE,
        path="/dashboard",
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
        httponly=True,
        samesite="Lax",
    )


def known_device(email: str) -> bool:
    """True if this browser signed in to ``email``'s account before (within 180 days)."""
    return csrf.validate_token(
        request.cookies.get(DEVICE_COOKIE), _email_digest(email), DEVICE_SALT, DEVICE_MAX_AGE
    )


def current_user() -> User | None:
    """The signed-in, still active user whose password has not changed since."""
    # Cached per request, not in ``g``: an app context can outlive one request
    # (test clients, CLI), and a user read before sign-in must not stick.
    if _USER_KEY in request.environ:
        return cast(User | None, request.environ[_USER_KEY])
    user: User | None = None
    user_id = session.get("user_id")
    if isinstance(user_id, int):
        candidate = get_session().get(User, user_id)
        if (
            candidate is not None
            and candidate.active
            and session.get("fp") == session_fingerprint(candidate)
        ):
            user = candidate
    request.environ[_USER_KEY] = user
    return user


def current_scope() -> Scope:
    scope: Scope = g.dashboard_scope
    return scope


def safe_next(target: str | None) -> str:
    """Only a path inside the dashboard: never an open redirect to another site."""
    default = url_for("dashboard.overview")
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/dashboard"):
        return default
    if target.startswith("//") or "\\" in target:
        return default
    return target


def login_required(*roles: str) -> Callable[[F], F]:
    """Sign-in required; with ``roles``, only those roles (others get 403).

    Puts the viewer's ``Scope`` in ``g.dashboard_scope`` (``current_scope()``):
    views filter with that scope and nothing else.
    """

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            if user is None:
                return redirect(url_for("dashboard.login", next=request.full_path.rstrip("?")))
            if roles and user.role not in roles:
                abort(403)
            g.dashboard_scope = visible_scope(get_session(), user)
            return view(*args, **kwargs)

        return cast(F, wrapper)

    return decorate
