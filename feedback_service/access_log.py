"""Survey tokens masked in every log line that carries a URL.

A survey token is the customer's key to their answer; request logs are read by
more people, and kept longer, than the database. Each ``/s/<token>``,
``/u/<token>``, ``/surveys/by-token/<token>`` and ``token=`` query value is
shown as its first characters and an ellipsis: enough to follow one customer's
requests through a log, not enough to open their survey.

- gunicorn's access log: ``MaskingGunicornLogger`` (``logger_class`` in
  ``gunicorn.conf.py``) masks every atom of the access-log format (request line,
  path, query, referer, raw URI and every header atom), whatever format is set.
- Python logging (werkzeug's request lines under ``flask run``, the app's own
  messages): ``install_log_masking()`` puts ``TokenMaskingFilter`` on the
  ``werkzeug`` logger and on the root handlers.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from gunicorn.glogging import Logger as GunicornLogger

SHOWN_CHARACTERS = 4
_TOKEN_IN_PATH = re.compile(r"(/(?:s|u|surveys/by-token)/)([A-Za-z0-9_\-]{8,})")
_TOKEN_IN_QUERY = re.compile(r"([?&;]token=)([^&;\s\"]+)")


def _shorten(match: re.Match[str]) -> str:
    return f"{match.group(1)}{match.group(2)[:SHOWN_CHARACTERS]}…"


def mask_tokens(text: str) -> str:
    """``/s/AbCdEfGh.../thanks`` -> ``/s/AbCd…/thanks``; other text unchanged."""
    if "/" not in text and "token=" not in text:
        return text
    return _TOKEN_IN_QUERY.sub(_shorten, _TOKEN_IN_PATH.sub(_shorten, text))


class TokenMaskingFilter(logging.Filter):
    """Rewrites a record's message with its tokens masked (never drops a record)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_tokens(message)
        if masked != message:
            record.msg = masked
            record.args = None
        return True


_FILTER = TokenMaskingFilter()


def install_log_masking() -> None:
    """Idempotent: safe to call from every ``create_app``."""
    werkzeug_logger = logging.getLogger("werkzeug")
    if _FILTER not in werkzeug_logger.filters:
        werkzeug_logger.addFilter(_FILTER)
    for handler in logging.getLogger().handlers:
        if _FILTER not in handler.filters:
            handler.addFilter(_FILTER)


class MaskingGunicornLogger(GunicornLogger):
    """gunicorn's logger with tokens masked in every access-log atom."""

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        return {k: mask_tokens(v) if isinstance(v, str) else v for k, v in atoms.items()}
