"""The manager web UI: sign-in, role-scoped pages, server-drawn SVG charts, demo data."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the dashboard blueprint and the ``users`` and ``demo`` commands."""
    from feedback_service.auth.cli import users_cli
    from feedback_service.dashboard import comments, pages, surveys_pages  # noqa: F401 (routes)
    from feedback_service.dashboard.views import bp
    from feedback_service.demo.seed import demo_cli

    app.register_blueprint(bp)
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_cli)
