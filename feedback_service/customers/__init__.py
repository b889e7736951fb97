"""Customers' own data (GDPR): export everything held about one customer, erase it,
and erase old comments after ``RETENTION_DAYS``. See service.py for what erasure does."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the customers API and the ``flask customers`` commands."""
    from feedback_service.api import api
    from feedback_service.customers.cli import register_cli
    from feedback_service.customers.routes import customers_blp

    api.register_blueprint(customers_blp)
    register_cli(app)
