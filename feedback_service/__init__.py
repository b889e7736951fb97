"""feedback-service: post-interaction surveys and what they say, for support teams."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask

from feedback_service.config import load_settings


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """The app factory: settings from the environment, then ``overrides`` (tests)."""
    app = Flask(__name__, instance_relative_config=False)
    app.config.update(load_settings())
    if overrides:
        app.config.update(overrides)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)

    from feedback_service import (
        access_log,
        alerts,
        api,
        auth,
        customers,
        dashboard,
        db,
        demo,
        errors,
        health,
        limits,
        transport_security,
    )
    from feedback_service.cli import register_cli
    from workers.celery_app import celery_init_app

    db.init_app(app)
    errors.register_error_handlers(app)
    api.init_app(app)
    limits.init_app(app)  # before any blueprint: it bounds <int:...> in routes
    auth.init_app(app)  # the keys API, per-key rate limits, sign-in counters
    transport_security.init_app(app)  # Secure cookies and HSTS on https
    access_log.install_log_masking()  # survey tokens masked in log lines
    celery_init_app(app)

    from feedback_service.analysis import comments
    from feedback_service.helpdesk.routes import teams_blp
    from feedback_service.patterns import routes as patterns_routes
    from feedback_service.scores import receivers  # noqa: F401  (connects signals)
    from feedback_service.scores import routes as reports_routes
    from feedback_service.surveys import ratelimit
    from feedback_service.surveys.pages import pages_bp
    from feedback_service.surveys.response_routes import responses_blp
    from feedback_service.surveys.routes import api_blp as surveys_api
    from feedback_service.surveys.routes import integrations_blp

    api.api.register_blueprint(surveys_api)
    api.api.register_blueprint(integrations_blp)
    api.api.register_blueprint(responses_blp)
    app.register_blueprint(pages_bp)
    # The customer-facing endpoints, authenticated by token only, are rate-limited.
    ratelimit.init_app(app, pages_bp, responses_blp)
    app.register_blueprint(health.bp)
    dashboard.init_app(app)  # the manager web UI and the `users` command
    demo.init_app(app)  # the `demo seed` command
    reports_routes.init_app(app)  # reports and targets API, `flask scores` commands
    comments.init_app(app)  # comments, corrections, labels, models; `flask analysis`
    patterns_routes.init_app(app)  # complaint patterns and product gaps
    alerts.init_app(app)  # alerts API and settings; the alert and digest emails
    api.api.register_blueprint(teams_blp)  # teams and their leads
    customers.init_app(app)  # GDPR export and erase of one customer's data
    register_cli(app)
    return app
