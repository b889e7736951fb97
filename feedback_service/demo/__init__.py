"""Demo and synthetic data: the ``flask demo seed`` command and the planted generators.

Tests, benchmarks and the demo seed use this package; no feature imports it.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the ``flask demo`` commands."""
    from feedback_service.demo.cli import demo_cli

    app.cli.add_command(demo_cli)
