"""The manager web UI: sign-in, role-scoped pages, server-drawn SVG charts."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the dashboard blueprint and the ``users`` command."""
    from feedback_service.auth.cli import users_cli
    from feedback_service.dashboard import comments, pages, surveys_pages  # noqa: F401 (routes)
    from feedback_service.dashboard.views import bp

    app.register_blueprint(bp)
    app.cli.add_command(users_cli)
