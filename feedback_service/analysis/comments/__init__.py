"""Comment analysis in the service: each comment analysed by a worker and stored,
read and filtered through the API, corrected by managers, retrained and re-scored.

The text analysis itself is ``feedback_service.analysis.text`` (pure).
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the comments API and the ``flask analysis`` commands."""
    from feedback_service.analysis.cli import analysis_cli
    from feedback_service.analysis.comments.routes import comments_blp
    from feedback_service.api import api

    api.register_blueprint(comments_blp)
    app.cli.add_command(analysis_cli)
