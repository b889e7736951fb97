"""One job per scope: "is one already queued or running? else queue one" made atomic.

A refresh or a training asked for again while the same one is queued or running
is answered with that job, never a second copy (a client polling by re-posting
cannot flood the bulk queue). Two such requests racing each other are serialised
by a transaction-level lock on the scope: PostgreSQL's advisory lock, released at
commit or rollback; SQLite takes its write lock at ``BEGIN IMMEDIATE`` already
(``db.py``), which serialises every writer.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import text
from sqlalchemy.orm import Session


def scope_key(scope: str) -> int:
    """A stable signed 64-bit key for ``scope`` (what ``pg_advisory_xact_lock`` takes)."""
    digest = hashlib.blake2b(scope.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def lock_scope(session: Session, scope: str) -> None:
    """Hold the scope until this transaction ends."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": scope_key(scope)})
