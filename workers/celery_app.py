"""Celery bound to the Flask app once (Flask ``examples/celery``).

Tasks run inside the app context, take ids, are acknowledged late and rejected
back to the queue if their worker dies, and are sent only after the transaction
that made their work has committed.
"""

from __future__ import annotations

import logging
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

from celery import Celery, Task
from celery.schedules import crontab
from celery.signals import worker_init, worker_process_init, worker_ready
from flask import Flask, current_app, has_app_context
from kombu.entity import Exchange, Queue

TASK_MODULES = [
    "workers.sweep",
    "feedback_service.surveys.tasks",
    "feedback_service.scores.tasks",
    "feedback_service.analysis.comments.tasks",
    "feedback_service.alerts.tasks",
    "feedback_service.patterns.tasks",
    "feedback_service.customers.tasks",
]

# Queues by priority, declared once, most urgent first. The default queue
# (``CELERY_QUEUE``) carries dispatch and email (and anything not routed below);
# ``<CELERY_QUEUE>.answers`` carries answer processing; ``<CELERY_QUEUE>.bulk``
# the long jobs. A worker given several queues (``worker_queues``) serves them in
# this order on Redis (``queue_order_strategy: priority``) and in turns on the
# embedded broker and RabbitMQ, so a backlog of answers never holds a survey email
# back for more than one task, and a bulk backlog never delays either. bin/run and
# docker-compose.yml run one worker on the first two and one on bulk.
# Alert deliveries travel with answer processing, which raises them: a backlog of
# answers (a seeded history, a re-processing) raising hundreds of alerts must not
# put their emails in front of a survey email (bench/README-processing.md).
ANSWER_TASKS = (
    "feedback_service.analysis.tasks.process_response",
    "feedback_service.scores.tasks.process_responses",
    "feedback_service.alerts.tasks.deliver_alert",
)
BULK_TASKS = (
    "feedback_service.patterns.tasks.compute_pattern_run",
    "feedback_service.patterns.tasks.scheduled_pattern_run",
    "feedback_service.analysis.comments.tasks.train_model",
    "feedback_service.analysis.comments.tasks.rescore_batch",
    "feedback_service.scores.tasks.compute_driver_run",
    "feedback_service.alerts.tasks.send_digest",
)


def answers_queue(default_queue: str) -> str:
    return f"{default_queue}.answers"


def bulk_queue(default_queue: str) -> str:
    return f"{default_queue}.bulk"


def worker_queues(default_queue: str) -> tuple[str, str, str]:
    """Every queue, most urgent first."""
    return default_queue, answers_queue(default_queue), bulk_queue(default_queue)


def task_routes(default_queue: str) -> dict[str, dict[str, str]]:
    routes = {name: {"queue": answers_queue(default_queue)} for name in ANSWER_TASKS}
    routes.update({name: {"queue": bulk_queue(default_queue)} for name in BULK_TASKS})
    return routes


def _queue(name: str) -> Queue:
    # What Celery would make for a queue it was not told about: a direct exchange
    # of the same name.
    return Queue(name, Exchange(name, type="direct"), routing_key=name)  # type: ignore[no-untyped-call]


BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    # The unfiltered drivers report is served from the latest run while fresh.
    "compute-driver-run": {
        "task": "feedback_service.scores.tasks.compute_driver_run",
        "schedule": timedelta(minutes=15),
    },
    # A comment re-scoring pass whose chain of batch tasks broke carries on.
    "resume-stalled-rescores": {
        "task": "feedback_service.analysis.comments.tasks.resume_stalled_rescores",
        "schedule": timedelta(minutes=5),
    },
    # Comments processed while no model existed are analysed once one does.
    "analyse-missing-comments": {
        "task": "feedback_service.analysis.comments.tasks.analyse_missing_comments",
        "schedule": timedelta(seconds=60),
    },
    "send-due-and-sweep": {
        "task": "workers.sweep.sweep",
        "schedule": timedelta(seconds=30),
    },
    "send-reminders": {
        "task": "feedback_service.surveys.tasks.send_due_reminders",
        "schedule": timedelta(minutes=5),
    },
    "sweep-unprocessed-responses": {
        "task": "workers.sweep.sweep_responses",
        "schedule": timedelta(seconds=60),
    },
    "expire-invitations": {
        "task": "feedback_service.surveys.tasks.expire_invitations",
        "schedule": timedelta(minutes=15),
    },
    "sweep-alert-deliveries": {
        "task": "feedback_service.alerts.tasks.sweep_alert_deliveries",
        "schedule": timedelta(seconds=60),
    },
    # Sends the last complete day's or week's digest once it is due; the digests
    # table keeps it to one per period however often this fires.
    "send-digest": {
        "task": "feedback_service.alerts.tasks.send_digest",
        "schedule": timedelta(minutes=15),
    },
    # Complaint patterns nightly; product gaps hourly, so an emerging gap alerts
    # the same day. Both skip a run if the same data was computed recently.
    "complaint-patterns-nightly": {
        "task": "feedback_service.patterns.tasks.scheduled_pattern_run",
        "schedule": crontab(hour=2, minute=30),
        "args": ("complaint-patterns",),
    },
    "product-gaps-hourly": {
        "task": "feedback_service.patterns.tasks.scheduled_pattern_run",
        "schedule": timedelta(hours=1),
        "args": ("product-gaps",),
    },
    # The comment model adapts to the deployment's rated comments; the task skips
    # when too few came in since the last adaptation or one is still pending.
    "comment-model-rating-adaptation": {
        "task": "feedback_service.analysis.comments.tasks.schedule_rating_adaptation",
        "schedule": crontab(hour=3, minute=15),
    },
    # RETENTION_DAYS (off by default): comments older than that are erased.
    "erase-expired-comments": {
        "task": "feedback_service.customers.tasks.erase_expired_comments",
        "schedule": crontab(hour=4, minute=0),
    },
    "sweep-pattern-runs": {
        "task": "feedback_service.patterns.tasks.sweep_pattern_runs",
        "schedule": timedelta(minutes=5),
    },
}


def celery_init_app(app: Flask) -> Celery:
    class FlaskTask(Task):
        acks_late = True
        reject_on_worker_lost = True

        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            # A fresh app context per task: its own session, closed at the end. Called
            # directly inside another app's context (a test app, a CLI command), the
            # task runs against that app, not whichever app Celery made its default.
            flask_app = current_app._get_current_object() if has_app_context() else app  # type: ignore[attr-defined]
            with flask_app.app_context():
                return self.run(*args, **kwargs)

    celery_app = Celery(app.name, task_cls=FlaskTask)
    celery_app.conf.update(
        broker_url=app.config["BROKER_URL"],
        task_ignore_result=True,
        result_backend=None,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_default_queue=app.config["CELERY_QUEUE"],
        task_queues=tuple(_queue(name) for name in worker_queues(app.config["CELERY_QUEUE"])),
        task_routes=task_routes(app.config["CELERY_QUEUE"]),
        task_always_eager=app.config["CELERY_TASK_ALWAYS_EAGER"],
        task_eager_propagates=True,
        broker_connection_retry_on_startup=True,
        # Redis redelivers an unacknowledged task after this; tasks are idempotent.
        # Bounded socket waits: a broker that hangs must not hang a request's
        # after-commit send. (kombu's SQLAlchemy transport hands its options to
        # create_engine: none.)
        broker_transport_options=(
            {
                "visibility_timeout": 3600,
                "socket_connect_timeout": 2,
                "socket_timeout": 5,
                "queue_order_strategy": "priority",
            }
            if app.config["BROKER_URL"].startswith("redis")
            else {}
        ),
        beat_schedule=BEAT_SCHEDULE,
        beat_schedule_filename=f"{app.config['DATA_DIR']}/celerybeat-schedule",
        include=TASK_MODULES,
        timezone="UTC",
    )
    celery_app.set_default()
    app.extensions["celery"] = celery_app
    return celery_app


@worker_process_init.connect
def _fresh_connections_after_fork(**_kwargs: Any) -> None:
    # Pooled connections inherited from the parent process must not be shared.
    try:
        from workers.app import flask_app

        flask_app.extensions["db"].engine.dispose(close=False)
    except ImportError:
        pass


@worker_init.connect
def _load_comment_model(**_kwargs: Any) -> None:
    """The comment model, loaded once in the worker's main process before its pool
    starts: the pool's processes inherit it (one load, not one per process), and the
    worker says "ready" with the model in memory, so the first answer's task does not
    spend seconds importing scikit-learn and reading the model. With no model built
    yet this logs so and the tasks carry on without (tasks.load_comment_analyzer)."""
    try:
        from workers.app import flask_app
    except ImportError:
        return
    from feedback_service.analysis.comments.tasks import load_comment_analyzer

    with flask_app.app_context():
        analyzer = load_comment_analyzer()
    if analyzer is not None:
        logging.getLogger(__name__).info("comment model %s loaded", analyzer.model_version)


@worker_ready.connect
def _say_ready(sender: Any = None, **_kwargs: Any) -> None:
    """With ``WORKER_READY_DIR`` set (bin/run sets it), write a file named for the
    worker's hostname once it takes tasks, its comment model loaded
    (``_load_comment_model`` runs before): bin/run says "ready" only then, so the
    first answer after it is analysed at once."""
    directory = os.environ.get("WORKER_READY_DIR")
    hostname = getattr(sender, "hostname", None)
    if directory and hostname:
        path = Path(directory) / hostname
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"{os.getpid()}\n")
