"""The dashboard's pages: thin views over ``queries`` (later: the reports services)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.exceptions import HTTPException

from feedback_service.auth.users import AccountLocked, LoginFailed, authenticate_user
from feedback_service.dashboard import charts, queries
from feedback_service.dashboard.security import (
    csrf_token,
    csrf_valid,
    current_scope,
    current_user,
    login_required,
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
    ("dashboard.exports", "Exports", ("manager", "team_lead")),
)
ALL_ROLES = ("manager", "team_lead", "agent")
LEADS = ("manager", "team_lead")
PERIOD_DAYS = 90


@bp.before_request
def _check_csrf() -> None:
    # Every state-changing request of the dashboard, sign-in included (login CSRF).
    if request.method == "POST" and not csrf_valid():
        abort(400, "The form has expired or did not come from this site. Reload and retry.")


@bp.after_request
def _security_headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
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

    return {"dashboard_nav": nav, "csrf_token": csrf_token, "dashboard_user": current_user}


def _since() -> dt.datetime:
    return dt.datetime.now(dt.UTC) - dt.timedelta(days=PERIOD_DAYS)


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
        user = authenticate_user(session, email, password)
    except AccountLocked:
        session.commit()
        return render_template(
            "dashboard/login.html",
            next_url=next_url,
            email=email,
            error="Too many failed sign-ins. Wait 15 minutes, then try again.",
        ), 429
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
    return redirect(next_url)


@bp.post("/logout")
def logout() -> Any:
    sign_out()
    flash("You are signed out.")
    return redirect(url_for("dashboard.login"))


# --- pages ------------------------------------------------------------------------


@bp.get("/")
@login_required(*ALL_ROLES)
def overview() -> str:
    session = get_session()
    scope = current_scope()
    numbers = queries.overview(session, scope, _since())
    trend = queries.weekly_csat(session, scope)
    trend_svg = charts.line_chart(
        trend,
        title="CSAT (% satisfied, 4 or 5) by week",
        target=85.0,
        y_min=40.0,
        y_max=100.0,
    )
    volume_svg = charts.sparkline(
        [float(p.n or 0) for p in trend], title="Answers with a CSAT rating per week"
    )
    return render_template(
        "dashboard/overview.html",
        numbers=numbers,
        trend_svg=trend_svg,
        volume_svg=volume_svg,
        period_days=PERIOD_DAYS,
        comments=queries.recent_comments(get_session(), scope, limit=5),
    )


@bp.get("/agents")
@login_required(*ALL_ROLES)
def agents() -> Any:
    user = current_user()
    assert user is not None  # login_required
    if user.role == "agent":
        # An agent has one scorecard: their own.
        if user.agent_id is None:
            abort(404)
        return redirect(url_for("dashboard.agent", agent_id=user.agent_id))
    rows = queries.agent_rows(get_session(), current_scope(), _since())
    return render_template("dashboard/agents.html", rows=rows, period_days=PERIOD_DAYS)


@bp.get("/agents/<int:agent_id>")
@login_required(*ALL_ROLES)
def agent(agent_id: int) -> str:
    session = get_session()
    scope = current_scope()
    # Out of scope and nonexistent look the same (404): ids are not confirmed.
    row = queries.agent_row(session, scope, agent_id)
    if row is None:
        abort(404)
    trend = queries.weekly_csat(session, scope, agent_id=agent_id)
    return render_template(
        "dashboard/agent.html",
        row=row,
        trend_svg=charts.line_chart(
            trend, title=f"CSAT by week: {row.name}", target=85.0, y_min=0.0, y_max=100.0
        ),
        comments=queries.recent_comments(session, scope, agent_id=agent_id, limit=30),
    )


@bp.get("/comments")
@login_required(*ALL_ROLES)
def comments() -> str:
    rows = queries.recent_comments(get_session(), current_scope(), limit=100)
    return render_template("dashboard/comments.html", comments=rows)


@bp.get("/product-gaps")
@login_required(*LEADS)
def product_gaps() -> str:
    return render_template(
        "dashboard/pending.html",
        title="Product gaps",
        what="Recurring product themes with volume, trend, affected agents and products.",
    )


@bp.get("/surveys")
@login_required("manager")
def surveys() -> str:
    return render_template(
        "dashboard/pending.html",
        title="Surveys",
        what="Questions, wording per language, sending rules, and previews.",
    )


@bp.get("/exports")
@login_required(*LEADS)
def exports() -> str:
    return render_template(
        "dashboard/pending.html",
        title="Exports",
        what="CSV exports of scorecards, responses and comments.",
    )
