"""All settings, read from environment variables in one place.

With nothing set, the service runs on the embedded default of DESIGN.md section 5:
a SQLite file, kombu's SQLAlchemy transport on a second SQLite file as the Celery
broker, and email written as ``.eml`` files to an outbox folder, all under
``FEEDBACK_DATA_DIR`` (``./var`` by default).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(value: str | None, default: int) -> int:
    return int(value) if value not in (None, "") else default


def _secret_key(data_dir: Path) -> str:
    """A stable secret for the embedded default; production sets SECRET_KEY."""
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


def _service_settings(env: dict[str, str]) -> dict[str, Any]:
    """Where data, the database and the broker live."""
    return {
        "CELERY_TASK_ALWAYS_EAGER": _bool(env.get("CELERY_TASK_ALWAYS_EAGER")),
        # The queue tasks go to and the worker consumes (one broker, several deployments).
        "CELERY_QUEUE": env.get("CELERY_QUEUE") or "celery",
        # Where customers reach the survey pages; links in emails are built on it.
        "PUBLIC_BASE_URL": env.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
    }


def _mail_settings(env: dict[str, str], data_dir: Path) -> dict[str, Any]:
    """Sending survey emails and alert deliveries."""
    smtp_host = env.get("SMTP_HOST", "")
    return {
        "COMPANY_NAME": env.get("COMPANY_NAME", "Acme"),
        "EMAIL_BACKEND": env.get("EMAIL_BACKEND") or ("smtp" if smtp_host else "outbox"),
        "MAIL_OUTBOX_DIR": env.get("MAIL_OUTBOX_DIR") or str(data_dir / "outbox"),
        "MAIL_FROM": env.get("MAIL_FROM", "Customer Feedback <feedback@localhost>"),
        "SMTP_HOST": smtp_host,
        "SMTP_PORT": _int(env.get("SMTP_PORT"), 587),
        "SMTP_USERNAME": env.get("SMTP_USERNAME", ""),
        "SMTP_PASSWORD": env.get("SMTP_PASSWORD", ""),
        # "starttls", "ssl" or "none"
        "SMTP_TLS": env.get("SMTP_TLS", "starttls" if smtp_host else "none"),
        "SMTP_TIMEOUT": _int(env.get("SMTP_TIMEOUT"), 20),
        # First retry after a temporary SMTP failure; doubles on each attempt.
        "SEND_RETRY_BASE_SECONDS": _int(env.get("SEND_RETRY_BASE_SECONDS"), 30),
        # Alert deliveries (webhook, email): first retry after a temporary failure,
        # doubling; given up after ALERT_MAX_ATTEMPTS attempts and recorded as failed.
        "ALERT_RETRY_BASE_SECONDS": _int(
            env.get("ALERT_RETRY_BASE_SECONDS"), _int(env.get("SEND_RETRY_BASE_SECONDS"), 30)
        ),
        "ALERT_MAX_ATTEMPTS": _int(env.get("ALERT_MAX_ATTEMPTS"), 8),
        "ALERT_WEBHOOK_TIMEOUT": _int(env.get("ALERT_WEBHOOK_TIMEOUT"), 10),
        # An alert is about a fresh answer: one last submitted longer ago than this
        # (a backfill, a demo seed, a re-processing) never raises one (0: no limit).
        "ALERT_MAX_AGE_HOURS": _int(env.get("ALERT_MAX_AGE_HOURS"), 48),
    }


def _limits_settings(env: dict[str, str], redis_url: str) -> dict[str, Any]:
    """Rate limits, sign-in throttling and transport security."""
    return {
        "MIN_SAMPLE": _int(env.get("MIN_SAMPLE"), 30),
        # Reports read PostgreSQL's trigger-kept rollups (scores/trigger_rollups.py).
        "REPORTS_FROM_TRIGGER_ROLLUPS": _bool(env.get("REPORTS_FROM_TRIGGER_ROLLUPS"), True),
        "SIGNATURE_MAX_AGE": _int(env.get("SIGNATURE_MAX_AGE"), 300),
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI")
        or (redis_url if redis_url else "memory://"),
        "RATELIMIT_ENABLED": _bool(env.get("RATELIMIT_ENABLED"), True),
        # Per API key and scope of the endpoint called ("600/minute"; "" = no limit).
        "RATELIMIT_KEY_INGEST": env.get("RATELIMIT_KEY_INGEST", "1200/minute"),
        "RATELIMIT_KEY_REPORTS": env.get("RATELIMIT_KEY_REPORTS", "300/minute"),
        "RATELIMIT_KEY_ADMIN": env.get("RATELIMIT_KEY_ADMIN", "300/minute"),
        # Dashboard sign-in: attempts per email + client address, failed attempts per
        # address and per email (new browsers only), in one window (auth/signin.py).
        "SIGNIN_MAX_FAILURES": _int(env.get("SIGNIN_MAX_FAILURES"), 5),
        "SIGNIN_MAX_PER_ADDRESS": _int(env.get("SIGNIN_MAX_PER_ADDRESS"), 30),
        "SIGNIN_MAX_PER_ACCOUNT": _int(env.get("SIGNIN_MAX_PER_ACCOUNT"), 50),
        "SIGNIN_WINDOW_SECONDS": _int(env.get("SIGNIN_WINDOW_SECONDS"), 900),
        # Strict-Transport-Security max-age when PUBLIC_BASE_URL is https (0: none).
        "HSTS_MAX_AGE": _int(env.get("HSTS_MAX_AGE"), 365 * 24 * 3600),
        "CORS_ORIGINS": [o for o in env.get("CORS_ORIGINS", "*").split(",") if o],
    }


def _analysis_settings(env: dict[str, str], data_dir: Path) -> dict[str, Any]:
    """The comment model, the sweep and pattern runs."""
    return {
        "MODEL_DIR": env.get("MODEL_DIR") or str(data_dir / "models"),
        # A retrained comment model is promoted if no head's held-back macro-F1 drops by
        # more than this (0: strictly not worse). See bench/README-comments-teaching.md.
        "MODEL_PROMOTION_TOLERANCE": float(env.get("MODEL_PROMOTION_TOLERANCE") or 0.0),
        # The comment model adapts to the deployment from its customers' own ratings once
        # it holds this many rated comments (confirmed, supported language); the daily
        # adaptation runs again after this many more; it reads at most the newest
        # MAX of them. See analysis/comments/training.py.
        "RATING_ADAPTATION_MIN_COMMENTS": _int(env.get("RATING_ADAPTATION_MIN_COMMENTS"), 500),
        "RATING_ADAPTATION_MIN_NEW": _int(env.get("RATING_ADAPTATION_MIN_NEW"), 500),
        "RATING_ADAPTATION_MAX_COMMENTS": _int(env.get("RATING_ADAPTATION_MAX_COMMENTS"), 20_000),
        # Sweep: work touched less than this ago is left to the broker's message.
        "SWEEP_GRACE_SECONDS": _int(env.get("SWEEP_GRACE_SECONDS"), 30),
        # Pattern reports with no stored run are computed inside the request up to
        # this many responses; above it the request queues a job and answers 202.
        "PATTERNS_INLINE_MAX_RESPONSES": _int(env.get("PATTERNS_INLINE_MAX_RESPONSES"), 50_000),
    }


def _privacy_settings(env: dict[str, str]) -> dict[str, Any]:
    """Privacy, request bounds and dashboard cookies."""
    return {
        # Privacy (README "Privacy"): emails, phones, cards and IBANs in comments are
        # replaced by placeholders before they are stored; RETENTION_DAYS (0: off)
        # erases comments older than that, daily.
        "REDACT_PII": _bool(env.get("REDACT_PII"), True),
        "RETENTION_DAYS": _int(env.get("RETENTION_DAYS"), 0),
        # Request bounds (limits.py): bodies above this many bytes get 413; every SQL
        # statement of a web request is cancelled after this many ms (PostgreSQL;
        # below gunicorn's 30 s worker timeout; 0 turns it off).
        "MAX_CONTENT_LENGTH": _int(env.get("MAX_CONTENT_LENGTH"), 1024 * 1024),
        "REQUEST_STATEMENT_TIMEOUT_MS": _int(env.get("REQUEST_STATEMENT_TIMEOUT_MS"), 20_000),
        # Dashboard sign-in cookies: never readable by script, not sent on cross-site
        # POSTs; Secure (HTTPS only) wherever the dashboard is served over TLS: always
        # when PUBLIC_BASE_URL is https (transport_security.py), or set it here.
        "SESSION_COOKIE_SECURE": _bool(env.get("SESSION_COOKIE_SECURE")),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "PERMANENT_SESSION_LIFETIME": _int(env.get("DASHBOARD_SESSION_HOURS"), 12) * 3600,
    }


def load_settings(env: dict[str, str] | None = None) -> dict[str, Any]:
    """The app config from the environment (README "Configuration"), with defaults."""
    env = dict(os.environ if env is None else env)
    data_dir = Path(env.get("FEEDBACK_DATA_DIR", "var")).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)

    database_url = env.get("DATABASE_URL") or f"sqlite:///{data_dir / 'feedback.sqlite3'}"
    if database_url.startswith("postgres://"):
        database_url = "postgresql+psycopg://" + database_url.removeprefix("postgres://")
    elif database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url.removeprefix("postgresql://")
    broker_url = env.get("BROKER_URL") or f"sqla+sqlite:///{data_dir / 'broker.sqlite3'}"
    redis_url = env.get("REDIS_URL") or (broker_url if broker_url.startswith("redis") else "")

    settings = {
        "DATA_DIR": str(data_dir),
        "SECRET_KEY": env.get("SECRET_KEY") or _secret_key(data_dir),
        "DATABASE_URL": database_url,
        "DATABASE_ECHO": _bool(env.get("DATABASE_ECHO")),
        "BROKER_URL": broker_url,
        "REDIS_URL": redis_url,
    }
    settings |= _service_settings(env)
    settings |= _mail_settings(env, data_dir)
    settings |= _limits_settings(env, redis_url)
    settings |= _analysis_settings(env, data_dir)
    settings |= _privacy_settings(env)
    return settings
