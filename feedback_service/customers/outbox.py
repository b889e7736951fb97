"""The embedded mail backend's outbox folder: erasing the messages about a person.

Survey emails carry ``X-Feedback-Invitation`` and alert emails ``X-Feedback-Alert``
(see surveys/delivery.py and alerts/mail.py); a message is deleted when it names
one of the customer's invitations or one of the alerts about them, or when its
decoded text holds one of the given strings (their email address, helpdesk id,
ticket ids, survey tokens). Digests hold only aggregates and are left alone.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Collection, Sequence
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from feedback_service.customers.scrub import whole

log = logging.getLogger(__name__)


def _text_of(message: EmailMessage) -> str:
    parts = [str(v) for _k, v in message.items()]
    for part in message.walk():
        if part.get_content_maintype() == "text":
            try:
                parts.append(str(part.get_content()))
            except (LookupError, ValueError):
                parts.append(part.get_payload(decode=True).decode("utf-8", "replace"))  # type: ignore[union-attr]
    return "\n".join(parts)


def _header_id(message: EmailMessage, name: str) -> int | None:
    value = message.get(name)
    try:
        return int(str(value)) if value is not None else None
    except ValueError:
        return None


def files_mentioning(
    folder: Path,
    *,
    invitation_ids: Collection[int],
    alert_ids: Collection[int],
    needles: Sequence[str],
) -> list[Path]:
    """The ``.eml`` files about the person (the caller deletes them after its commit)."""
    if not folder.is_dir():
        return []
    patterns = [whole(n) for n in needles if n]
    found: list[Path] = []
    for path in sorted(folder.glob("*.eml")):
        try:
            message = message_from_bytes(path.read_bytes(), policy=policy.default)
        except OSError:
            continue  # sent and removed meanwhile
        assert isinstance(message, EmailMessage)
        about = (
            _header_id(message, "X-Feedback-Invitation") in invitation_ids
            or _header_id(message, "X-Feedback-Alert") in alert_ids
        )
        if not about and patterns:
            text = _text_of(message)
            about = any(p.search(text) for p in patterns)
        if about:
            found.append(path)
    return found


def delete(paths: Sequence[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


def delete_older_than(folder: Path, cutoff: dt.datetime) -> int:
    """Retention: delete the ``.eml`` files written before ``cutoff``."""
    if not folder.is_dir():
        return 0
    deleted = 0
    limit = cutoff.timestamp()
    for path in folder.glob("*.eml"):
        try:
            if path.stat().st_mtime < limit:
                path.unlink(missing_ok=True)
                deleted += 1
        except OSError:
            log.warning("could not remove %s", path)
    return deleted
