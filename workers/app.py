"""Entry point for the Celery CLI: ``celery -A workers.app worker``."""

from feedback_service import create_app

flask_app = create_app()
celery = flask_app.extensions["celery"]
