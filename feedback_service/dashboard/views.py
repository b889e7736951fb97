"""The dashboard blueprint: security headers, CSRF, sign-in, and the shared helpers
of the page modules (``pages``, ``comments``, ``surveys_pages``) that register on it."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.exceptions import HTTPException

from feedback_service.auth.models import User
from feedback_service.auth.signin import SignInThrottled
from feedback_service.auth.users import LoginFailed, authenticate_user
from feedback_service.dashboard import queries
from feedback_service.dashboard.security import (
    csrf_token,
    csrf_valid,
    current_scope,
    current_user,
    known_device,
    remember_device,
    safe_next,
    sign_in,
    sign_out,
)
from feedback_service.db import get_session

bp = Blueprint(
    "dashboard",
    __name__,
    url_prefix="/dashboard",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)

# Everything is served from here: no CDN, no inline script, no inline style.
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

NAV: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("dashboard.overview", "Overview", ("manager", "team_lead", "agent")),
    ("dashboard.agents", "Agents", ("manager", "team_lead", "agent")),
    ("dashboard.product_gaps", "Product gaps", ("manager", "team_lead")),
    ("dashboard.comments", "Comments", ("manager", "team_lead", "agent")),
    ("dashboard.surveys", "Surveys", ("manager",)),
    ("dashboard.targets", "Targets", ("manager",)),
    ("dashboard.exports", "Exports", ("manager", "team_lead")),
)
ALL_ROLES = ("manager", "team_lead", "agent")
LEADS = ("manager", "team_lead")


@bp.before_request
def _check_csrf() -> None:
    # Every state-changing request of the dashboard, sign-in included (login CSRF).
    if request.method == "POST" and not csrf_valid():
        abort(400, "The form has expired or did not come from this site. Reload and retry.")


@bp.after_request
def _security_headers(response: Response) -> Response:
    # A survey preview sets its own, stricter policy (sandboxed, framable by us).
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers["Referrer-Policy"] = "same-origin"
    if not request.path.startswith(f"{bp.url_prefix}/static/"):
        # Pages carry customers' words and agents' scores: never kept in caches.
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(HTTPException)
def _error_page(error: HTTPException) -> tuple[str, int]:
    code = error.code or 500
    return render_template("dashboard/error.html", error=error, code=code), code


@bp.app_context_processor
def _template_globals() -> dict[str, Any]:
    def nav() -> list[tuple[str, str, bool]]:
        user = current_user()
        if user is None:
            return []
        return [
            (url_for(endpoint), label, request.endpoint == endpoint)
            for endpoint, label, roles in NAV
            if user.role in roles
        ]

    def with_args(**changes: Any) -> str:
        """This page's URL with some query arguments changed (None drops one)."""
        args: dict[str, Any] = {k: v for k, v in request.args.items() if k not in changes}
        args.update({k: v for k, v in changes.items() if v is not None})
        return url_for(
            request.endpoint or "dashboard.overview", **(request.view_args or {}), **args
        )

    return {
        "dashboard_nav": nav,
        "csrf_token": csrf_token,
        "dashboard_user": current_user,
        "fmt_metric": queries.format_metric,
        "fmt_gap": queries.format_gap,
        "with_args": with_args,
        "trend_titles": queries.TREND_TITLES,
        "min_n": min_sample(),
    }


def min_sample() -> int:
    return int(current_app.config["MIN_SAMPLE"])


def viewer() -> User:
    user = current_user()
    assert user is not None  # login_required ran
    return user


def int_arg(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() else None


def current_view() -> queries.View:
    """The period and team the page shows, from ``?days=`` and ``?team=``."""
    return queries.resolve_view(
        get_session(), viewer(), current_scope(), int_arg("days"), request.args.get("team")
    )


# --- sign-in ----------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    next_url = safe_next(request.values.get("next"))
    if request.method == "GET":
        if current_user() is not None:
            return redirect(next_url)
        return render_template("dashboard/login.html", next_url=next_url, email="")
    email = request.form.get("email", "")
    password = request.form.get("password", "")
    session = get_session()
    try:
        # Behind a proxy the deployment makes remote_addr the client's (ProxyFix).
        user = authenticate_user(
            session, email, password, request.remote_addr or "", known_device=known_device(email)
        )
    except SignInThrottled as throttled:
        session.commit()
        return (
            render_template(
                "dashboard/login.html",
                next_url=next_url,
                email=email,
                error="Too many sign-in attempts. Wait a few minutes, then try again.",
            ),
            429,
            {"Retry-After": str(throttled.retry_after)},
        )
    except LoginFailed:
        # Committed so the failure counts towards the throttle.
        session.commit()
        return render_template(
            "dashboard/login.html",
            next_url=next_url,
            email=email,
            error="Wrong email or password.",
        ), 401
    session.commit()
    sign_in(user)
    response = redirect(next_url)
    remember_device(response, user)
    return response


@bp.post("/logout")
def logout() -> Any:
    sign_out()
    flash("You are signed out.")
    return redirect(url_for("dashboard.login"))
