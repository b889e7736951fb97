"""The outbound webhook: a signed JSON POST, its failures sorted for retrying.

Signature (documented in the README): ``X-Feedback-Timestamp`` is Unix seconds,
``X-Feedback-Signature`` is ``sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>">``
with the shared secret, the same scheme the service asks of signed callers.

2xx is delivered. A connection error, a timeout, 408, 429 and 5xx are temporary
(retried with backoff); any other answer, redirects included, is permanent: the
receiver said no, and asking again would say no again.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from typing import Any

from feedback_service.alerts.models import Alert
from feedback_service.surveys.delivery import PermanentDeliveryError, TemporaryDeliveryError

USER_AGENT = "feedback-service-webhook/1"
TEMPORARY_STATUSES = {408, 425, 429}


def signature(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def body_of(alert: Alert) -> bytes:
    return json.dumps(
        {
            "id": alert.id,
            "kind": alert.kind,
            "title": alert.title,
            "status": alert.status,
            "created_at": alert.created_at.isoformat(),
            "payload": alert.payload,
        },
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *_args: Any, **_kwargs: Any) -> None:
        return None  # a 3xx then surfaces as an HTTPError


_opener = urllib.request.build_opener(_NoRedirect)


def post(
    url: str,
    body: bytes,
    secret: str,
    *,
    event: str,
    delivery_id: int,
    timeout: float,
    now: float | None = None,
) -> int:
    """POST ``body``; the HTTP status on success, else a delivery error."""
    timestamp = str(int(now if now is not None else time.time()))
    request = urllib.request.Request(  # noqa: S310  (the URL is validated http/https)
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-Feedback-Event": event,
            # The same delivery retried carries the same id: receivers can drop repeats.
            "X-Feedback-Delivery": str(delivery_id),
            "X-Feedback-Timestamp": timestamp,
            "X-Feedback-Signature": signature(secret, timestamp, body),
        },
    )
    try:
        with _opener.open(request, timeout=timeout) as answer:
            status = int(answer.status)
    except urllib.error.HTTPError as exc:
        detail = f"HTTP {exc.code} from {url}"
        if exc.code >= 500 or exc.code in TEMPORARY_STATUSES:
            raise TemporaryDeliveryError(detail) from exc
        raise PermanentDeliveryError(detail) from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise TemporaryDeliveryError(f"{exc.__class__.__name__}: {exc}") from exc
    if not 200 <= status < 300:
        raise PermanentDeliveryError(f"HTTP {status} from {url}")
    return status
