"""Celery, bound to the Flask app: the task base class, the beat schedule, the sweep."""

from workers.celery_app import celery_init_app

__all__ = ["celery_init_app"]
