"""The report pages: overview, agents and one agent, targets, exports, print report.

Thin views: the viewer's scope becomes report filters (``queries.resolve_view``),
the numbers come from the reports services of the analysis feature, and the
templates draw them. Nothing here computes a score.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, cast

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from feedback_service.dashboard import attribution as stated_reasons
from feedback_service.dashboard import charts, extensions, floor, queries
from feedback_service.dashboard import questions as own_questions
from feedback_service.dashboard.security import current_scope, login_required
from feedback_service.dashboard.views import (
    ALL_ROLES,
    LEADS,
    bp,
    current_view,
    min_sample,
    viewer,
)
from feedback_service.db import get_session
from feedback_service.errors import ValidationError
from feedback_service.helpdesk.models import Agent, Team
from feedback_service.privacy.spreadsheet import csv_response
from feedback_service.scores import service as reports
from feedback_service.scores import targets as targets_service

TRENDED = ("csat", "fcr", "ces", "nps")
# Targets drawn on a trend only where the chart's scale is the target's scale.
TARGET_ON_CHART = ("csat", "fcr")


def _trend_charts(
    items: Sequence[Mapping[str, Any]], tiles: list[queries.MetricTile]
) -> dict[str, str]:
    by_metric = {t.metric: t for t in tiles}
    return {
        metric: charts.line_chart(
            queries.weekly_points(items, metric),
            title=queries.TREND_TITLES[metric],
            target=by_metric[metric].target if metric in TARGET_ON_CHART else None,
            y_min=0.0,
            y_max=100.0,
        )
        for metric in TRENDED
    }


def _pareto(categories: list[queries.CategoryCount]) -> str | None:
    if not categories:
        return None
    return charts.pareto_chart(
        [(c.label, c.count) for c in categories], title="Top complaint themes (responses)"
    )


# --- overview -----------------------------------------------------------------------


@bp.get("/")
@login_required(*ALL_ROLES)
def overview() -> str:
    session = get_session()
    view = current_view()
    context: dict[str, Any] = {"view": view}
    if not view.empty:
        report = reports.summary(session, view.filters, min_sample())
        tiles = queries.metric_tiles(report["metrics"], targets_service.load(session), view.filters)
        items = queries.trend_series(session, view.filters, min_sample())
        categories = queries.finding_counts(session, current_scope(), view.filters)
        context.update(
            report=report,
            tiles=tiles,
            trend_svgs=_trend_charts(items, tiles),
            volume_svg=charts.sparkline(
                [float(i["csat"]["n"] or 0) for i in items], title="CSAT answers per week"
            ),
            categories=categories[:10],
            pareto_svg=_pareto(categories),
            analysed=queries.analysed_comments(session, current_scope(), view.filters),
            alerts=extensions.open_alerts(session, current_scope()),
            comments=queries.recent_comments(
                session,
                current_scope(),
                agent_id=view.filters.agent_id,
                team_id=view.filters.team_id,
                limit=5,
            ),
            **floor.overview_context(session, view),
            question_sections=own_questions.question_sections(session, view.filters, min_sample()),
            attribution=stated_reasons.attribution_section(
                session, view.filters, min_sample(), only_agent=_own_agent()
            ),
        )
    return render_template("dashboard/overview.html", **context)


def _own_agent() -> str | None:
    """An agent's own helpdesk id: the only row of a per-agent table they see."""
    user = viewer()
    if user.role != "agent":
        return None
    return user.agent.external_id if user.agent is not None else ""


# --- agents -------------------------------------------------------------------------

SORTS = ("name", "team", "responses", *reports.METRICS)


def _sorted_cards(cards: list[dict[str, Any]], sort: str, descending: bool) -> list[dict[str, Any]]:
    """Sorted by the chosen column. By a metric, answers below the minimum sample
    always come after the solid ones and cards without answers last: a score on
    a few answers is never ranked as if it were solid."""
    if sort in reports.METRICS:

        def metric_key(card: dict[str, Any]) -> tuple[int, float]:
            m = card["metrics"][sort]
            if m["value"] is None:
                return (2, 0.0)
            return (1 if m["low_sample"] else 0, -m["value"] if descending else m["value"])

        return sorted(cards, key=metric_key)
    if sort == "responses":
        return sorted(cards, key=lambda c: c["responses"], reverse=descending)
    if sort == "team":
        return sorted(
            cards, key=lambda c: (c["team_name"] or "", c["name"] or ""), reverse=descending
        )
    return sorted(cards, key=lambda c: (c["name"] or c["agent"]).lower(), reverse=descending)


def scoped_scorecards(view: queries.View) -> list[dict[str, Any]]:
    """The scorecards the viewer may see, with our ids and team names added."""
    session = get_session()
    scope = current_scope()
    f = view.filters
    cards = cast(
        list[dict[str, Any]],
        reports.scorecards(session, reports.Filters(f.start, f.end, f.team_id, None), min_sample()),
    )
    agents = {
        a.external_id: a
        for a in session.scalars(select(Agent).where(scope.clause(Agent.id, Agent.team_id)))
    }
    teams = dict(session.execute(select(Team.external_id, Team.name)).all())
    out = []
    for card in cards:
        agent = agents.get(card["agent"])
        if agent is None:
            continue
        card["agent_id"] = agent.id
        card["team_name"] = teams.get(card["team"]) if card["team"] else None
        for metric, m in card["metrics"].items():
            interval = m.get("interval") or {}
            m["status"] = queries.gap_status(
                m["value"], m["target"], interval.get("low"), interval.get("high")
            )
            m["metric"] = metric
        out.append(card)
    return out


@bp.get("/agents")
@login_required(*ALL_ROLES)
def agents() -> Any:
    user = viewer()
    if user.role == "agent":
        # An agent has one scorecard: their own.
        if user.agent_id is None:
            abort(404)
        return redirect(url_for("dashboard.agent", agent_id=user.agent_id))
    view = current_view()
    sort = request.args.get("sort", "csat")
    sort = sort if sort in SORTS else "csat"
    descending = request.args.get("dir", "desc" if sort in reports.METRICS else "asc") == "desc"
    cards = [] if view.empty else _sorted_cards(scoped_scorecards(view), sort, descending)
    return render_template(
        "dashboard/agents.html",
        view=view,
        cards=cards,
        complaint_rows=floor.complaint_rows(cards),
        **({} if view.empty else floor.agents_context(get_session(), current_scope(), view)),
        adjusted=extensions.adjusted_csat(get_session()),
        sort=sort,
        descending=descending,
        metrics=reports.METRICS,
        labels=queries.METRIC_LABELS,
        min_n=min_sample(),
    )


@bp.get("/agents/<int:agent_id>")
@login_required(*ALL_ROLES)
def agent(agent_id: int) -> str:
    session = get_session()
    scope = current_scope()
    # Out of scope and nonexistent look the same (404): ids are not confirmed.
    row = queries.agent_row(session, scope, agent_id)
    if row is None:
        abort(404)
    found = session.get(Agent, agent_id)
    assert found is not None
    view = current_view()
    team_filters = reports.Filters(view.start, view.end, found.team_id, None)
    card = next(
        (
            c
            for c in reports.scorecards(session, team_filters, min_sample())
            if c["agent"] == found.external_id
        ),
        None,
    )
    mine = reports.Filters(view.start, view.end, None, agent_id)
    tiles = (
        queries.metric_tiles(card["metrics"], targets_service.load(session), mine) if card else []
    )
    items = queries.trend_series(session, mine, min_sample())
    fcr = next(iter(reports.fcr_gaps(session, mine)), None)
    complaints = queries.finding_counts(session, scope, mine, targets=("agent",))
    not_theirs = queries.finding_counts(session, scope, mine, targets=("product", "process"))
    praise = queries.finding_counts(
        session,
        scope,
        mine,
        targets=("agent", "none"),
        complaints=False,
        exclude=queries.COMPLAINT_ONLY,
    )
    comments, total = queries.explore_comments(
        session, scope, queries.CommentQuery(agent_id=agent_id), per_page=30
    )
    return render_template(
        "dashboard/agent.html",
        view=view,
        row=row,
        card=card,
        tiles=tiles,
        rank=card["metrics"]["csat"] if card else None,
        question_sections=own_questions.question_sections(session, mine, min_sample()),
        attribution=stated_reasons.attribution_section(
            session, mine, min_sample(), only_agent=found.external_id
        ),
        attribution_detail=True,
        trend_svgs=_trend_charts(items, tiles) if tiles else {},
        fcr=fcr,
        complaints=complaints,
        not_theirs=not_theirs[:6],
        praise=praise,
        analysed=queries.analysed_comments(session, scope, mine),
        patterns=extensions.agent_patterns(session, found),
        comments=comments,
        total=total,
        can_note=viewer().role == "agent" and viewer().agent_id == agent_id,
        note_max=queries.NOTE_MAX,
    )


# --- targets ------------------------------------------------------------------------


def _target_rows() -> list[dict[str, Any]]:
    """Every target with the score it is measured against and the gap to it."""
    session = get_session()
    view = current_view()
    rows = []
    summaries: dict[reports.Filters, dict[str, Any]] = {}
    teams = {t.external_id: t for t in session.scalars(select(Team))}
    agents_by_ext = {a.external_id: a for a in session.scalars(select(Agent))}
    for item in targets_service.list_targets(session):
        f = reports.Filters(view.start, view.end)
        who = "Everyone"
        if item["team"]:
            team = teams[item["team"]]
            f = reports.Filters(view.start, view.end, team.id)
            who = f"Team {team.name}"
        elif item["agent"]:
            one = agents_by_ext[item["agent"]]
            f = reports.Filters(view.start, view.end, None, one.id)
            who = one.name or one.external_id
        if f not in summaries:
            # One summary per scope answers every metric's target in that scope.
            summaries[f] = reports.summary(session, f, min_sample())["metrics"]
        s = summaries[f][item["metric"]]
        interval = s.get("interval") or {}
        rows.append(
            {
                **item,
                "who": who,
                "score": s["value"],
                "n": s["n"],
                "low_sample": s["low_sample"],
                "gap": None if s["value"] is None else s["value"] - item["value"],
                "status": queries.gap_status(
                    s["value"], item["value"], interval.get("low"), interval.get("high")
                ),
            }
        )
    return rows


@bp.get("/targets")
@login_required("manager")
def targets() -> str:
    session = get_session()
    return render_template(
        "dashboard/targets.html",
        rows=_target_rows(),
        metrics=reports.METRICS,
        labels=queries.METRIC_LABELS,
        ranges=targets_service.TARGET_RANGES,
        teams=session.execute(select(Team.external_id, Team.name).order_by(Team.name)).all(),
        agents=session.execute(select(Agent.external_id, Agent.name).order_by(Agent.name)).all(),
        errors={},
        form={},
    )


@bp.post("/targets")
@login_required("manager")
def set_target() -> Any:
    """Set (or with ``remove``, drop) one target; the rest of the set is kept.

    The targets service replaces the whole set (PUT semantics), so the page sends
    it the current set with this one change, validated there before any write.
    """
    session = get_session()
    form = request.form
    metric = form.get("metric", "")
    scope_kind = form.get("scope", "everyone")
    team = form.get("team") or None if scope_kind == "team" else None
    agent_ext = form.get("agent") or None if scope_kind == "agent" else None
    errors: dict[str, list[str]] = {}
    if metric not in reports.METRICS:
        errors["metric"] = [f"Choose one of {', '.join(reports.METRICS)}."]
    if scope_kind == "team" and not team:
        errors["team"] = ["Choose a team."]
    if scope_kind == "agent" and not agent_ext:
        errors["agent"] = ["Choose an agent."]
    value: float | None = None
    removing = "remove" in form
    if not removing:
        try:
            value = float(form.get("value", "").replace(",", "."))
        except ValueError:
            errors["value"] = ["A number, on the metric's scale."]
    items = [
        {k: t[k] for k in ("metric", "team", "agent", "value")}
        for t in targets_service.list_targets(session)
        if not (t["metric"] == metric and t["team"] == team and t["agent"] == agent_ext)
    ]
    if not removing and value is not None:
        items.append({"metric": metric, "team": team, "agent": agent_ext, "value": value})
    if not errors:
        try:
            targets_service.replace_targets(session, items)
        except ValidationError as error:
            # The new item is the last one: report its fields by their form names.
            last = f"items.{len(items) - 1}."
            errors = {k.removeprefix(last): v for k, v in error.fields.items()}
    if errors:
        session.rollback()
        return (
            render_template(
                "dashboard/targets.html",
                rows=_target_rows(),
                metrics=reports.METRICS,
                labels=queries.METRIC_LABELS,
                ranges=targets_service.TARGET_RANGES,
                teams=session.execute(
                    select(Team.external_id, Team.name).order_by(Team.name)
                ).all(),
                agents=session.execute(
                    select(Agent.external_id, Agent.name).order_by(Agent.name)
                ).all(),
                errors=errors,
                form=form,
            ),
            422,
        )
    session.commit()
    label = queries.METRIC_LABELS[metric]
    flash(f"{label} target removed." if removing else f"{label} target set to {value:g}.")
    return redirect(url_for("dashboard.targets"))


# --- exports and the printable report -------------------------------------------------

EXPORTS = {
    "summary": "Summary: every metric with n and 95% interval, rates and ticket KPIs",
    "agents": "Agent scorecards: each metric with interval, target, gap and rank; complaints",
    "trend-csat": "CSAT by week with control limits",
    "drivers": "What goes with low CSAT (operational factors)",
    "comments": "Comments with their sentiment, causes and the agents' notes (the period, up"
    " to 10,000)",
    "attribution": "Who customers say it was about: the stated reason against the model's"
    " reading, all agents and each agent, with agreement rates and 95% intervals",
}


@bp.get("/exports")
@login_required(*LEADS)
def exports() -> str:
    return render_template("dashboard/exports.html", view=current_view(), exports=EXPORTS)


@bp.get("/exports/<name>.csv")
@login_required(*LEADS)
def export_csv(name: str) -> Any:
    if name not in EXPORTS:
        abort(404)
    session = get_session()
    view = current_view()
    f = view.filters
    stamp = f"{view.start.isoformat()}_{view.end.isoformat()}"
    if view.empty:
        abort(404)
    if name == "summary":
        rows = reports.summary_rows(reports.summary(session, f, min_sample()))
    elif name == "agents":
        rows = reports.scorecard_rows(scoped_scorecards(view))
    elif name == "trend-csat":
        rows = reports.trend_rows(reports.trends(session, f, "csat", "week", min_sample()))
    elif name == "drivers":
        rows = reports.driver_rows(reports.drivers(session, f))
    elif name == "attribution":
        rows = stated_reasons.export_rows(session, f, min_sample())
    else:
        found, _ = queries.explore_comments(
            session,
            current_scope(),
            queries.CommentQuery(team_id=f.team_id, start=view.start, end=view.end),
            per_page=10_000,
        )
        rows = [
            {
                "response_id": r.response_id,
                "submitted_at": r.submitted_at.isoformat(),
                "ticket": r.ticket,
                "agent": r.agent_name,
                "product": r.product,
                "channel": r.channel,
                "csat": r.csat,
                "sentiment": r.sentiment,
                "categories": " ".join(
                    f"{x.get('target')}/{x.get('category')}" for x in r.findings
                ),
                "comment": r.comment,
                "agent_context": " | ".join(n.body for n in r.notes),
            }
            for r in found
        ]
    return csv_response(rows, f"{name}_{stamp}")


@bp.get("/report")
@login_required(*LEADS)
def report() -> str:
    """One printable page: the numbers, the trend, the scorecards, the themes."""
    session = get_session()
    view = current_view()
    if view.empty:
        abort(404)
    summary = reports.summary(session, view.filters, min_sample())
    tiles = queries.metric_tiles(summary["metrics"], targets_service.load(session), view.filters)
    items = queries.trend_series(session, view.filters, min_sample())
    cards = _sorted_cards(scoped_scorecards(view), "csat", True)
    categories = queries.finding_counts(session, current_scope(), view.filters)
    return render_template(
        "dashboard/report.html",
        view=view,
        report=summary,
        tiles=tiles,
        trend_svgs=_trend_charts(items, tiles),
        cards=cards,
        metrics=reports.METRICS,
        labels=queries.METRIC_LABELS,
        categories=categories[:10],
        pareto_svg=_pareto(categories),
        attribution=stated_reasons.attribution_section(session, view.filters, min_sample()),
        generated=dt.datetime.now(dt.UTC),
    )


# --- product gaps -----------------------------------------------------------------------


@bp.get("/product-gaps")
@login_required(*LEADS)
def product_gaps() -> str:
    session = get_session()
    scope = current_scope()
    view = current_view()
    stored = extensions.product_gaps(session, scope)
    themes, weeks = queries.product_themes(session, scope, view.filters)
    agent_names = dict(session.execute(select(Agent.id, Agent.name)).all())
    sparks = {
        (t.target, t.category): charts.sparkline(
            [float(t.weekly.get(w, 0)) for w in weeks], title=f"{t.label}: comments per week"
        )
        for t in themes
    }
    return render_template(
        "dashboard/product_gaps.html",
        view=view,
        stored=stored,
        themes=themes,
        sparks=sparks,
        agent_names=agent_names,
        analysed=queries.analysed_comments(session, scope, view.filters),
        pareto_svg=charts.pareto_chart(
            [(t.label, t.responses) for t in themes],
            title="Product and process complaints (responses)",
        )
        if themes
        else None,
    )


# --- alerts ------------------------------------------------------------------------------


@bp.post("/alerts/<int:alert_id>/acknowledge")
@login_required(*LEADS)
def acknowledge_alert(alert_id: int) -> Any:
    """Mark an open alert seen (the alerts feature keeps who and when)."""
    session = get_session()
    if not extensions.can_see_alert(session, current_scope(), alert_id):
        abort(404)
    extensions.acknowledge_alert(session, alert_id, viewer().email)
    session.commit()
    flash("Alert acknowledged.")
    return redirect(url_for("dashboard.overview") + "#alerts", 303)
