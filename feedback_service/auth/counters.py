"""Counters in a time window, incremented atomically: the sign-in throttle's store.

Two stores, one interface. With Redis configured (``REDIS_URL``, or a Redis
broker), every web process shares the counts there: ``INCR`` and ``EXPIRE NX`` in
one MULTI. Without it, the ``rate_counters`` table: one ``INSERT ... ON CONFLICT
DO UPDATE ... RETURNING`` in the request's transaction. Either way the count an
attempt sees already includes every attempt before it, so parallel attempts
cannot all read "below the limit" and slip past it. (On PostgreSQL the upsert
holds the row lock until the request commits, so attempts on one key queue up
behind each other; SQLite takes its write lock at BEGIN.)

Keys are hashed before they are stored: they name an account and an address.
A Redis failure falls back to the database rather than failing the sign-in.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import math
from dataclasses import dataclass
from typing import Any, Protocol

import redis
from flask import current_app
from sqlalchemy import case, delete, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from feedback_service.auth.models import RateCounter
from feedback_service.db import utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Hit:
    """The count after this hit, and the seconds until the window ends."""

    count: int
    retry_after: int


def counter_key(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


class CounterStore(Protocol):
    def hit(self, session: Session, key: str, window: int) -> Hit: ...

    def undo(self, session: Session, key: str) -> None: ...

    def clear(self, session: Session, key: str) -> None: ...


class DatabaseCounters:
    """The ``rate_counters`` table; writes go into the caller's transaction."""

    def hit(self, session: Session, key: str, window: int) -> Hit:
        now = utcnow()
        dialect = session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        upsert = insert(RateCounter).values(
            key=key, count=1, expires_at=now + dt.timedelta(seconds=window)
        )
        expired = RateCounter.expires_at <= now
        # Both SET expressions read the row as it was: a window that has ended
        # starts again at 1, otherwise the count goes up and the end stays.
        upsert = upsert.on_conflict_do_update(
            index_elements=[RateCounter.key],
            set_={
                "count": case((expired, 1), else_=RateCounter.count + 1),
                "expires_at": case(
                    (expired, upsert.excluded.expires_at), else_=RateCounter.expires_at
                ),
            },
        )
        count, expires_at = session.execute(
            upsert.returning(RateCounter.count, RateCounter.expires_at)
        ).one()
        return Hit(int(count), _seconds_until(expires_at, now))

    def undo(self, session: Session, key: str) -> None:
        session.execute(
            update(RateCounter)
            .where(RateCounter.key == key, RateCounter.count > 0)
            .values(count=RateCounter.count - 1)
        )

    def clear(self, session: Session, key: str) -> None:
        session.execute(delete(RateCounter).where(RateCounter.key == key))
        # Ended windows of other keys are dropped here too, so the table holds
        # no more than the keys of the last window.
        session.execute(delete(RateCounter).where(RateCounter.expires_at <= utcnow()))


# Decrement without creating a key that has expired meanwhile (a bare DECR would
# leave a -1 with no expiry).
_UNDO = """
local value = redis.call('GET', KEYS[1])
if value and tonumber(value) > 0 then return redis.call('DECR', KEYS[1]) end
return 0
"""


class RedisCounters:
    def __init__(self, url: str, fallback: CounterStore, namespace: str = "fs:counter:") -> None:
        self.client: Any = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self.fallback = fallback
        self.namespace = namespace
        self._undo = self.client.register_script(_UNDO)

    def hit(self, session: Session, key: str, window: int) -> Hit:
        name = self.namespace + key
        try:
            pipe = self.client.pipeline(transaction=True)
            pipe.incr(name)
            pipe.expire(name, window, nx=True)
            pipe.ttl(name)
            count, _set, ttl = pipe.execute()
        except redis.RedisError:
            log.warning("Redis unavailable for counters; counting in the database")
            return self.fallback.hit(session, key, window)
        return Hit(int(count), max(int(ttl), 1))

    def undo(self, session: Session, key: str) -> None:
        try:
            self._undo(keys=[self.namespace + key])
        except redis.RedisError:
            self.fallback.undo(session, key)

    def clear(self, session: Session, key: str) -> None:
        try:
            self.client.delete(self.namespace + key)
        except redis.RedisError:
            self.fallback.clear(session, key)


def _seconds_until(when: dt.datetime, now: dt.datetime) -> int:
    if when.tzinfo is None:  # SQLite's RETURNING skips the column type's processing
        when = when.replace(tzinfo=dt.UTC)
    return max(math.ceil((when - now).total_seconds()), 1)


def make_store(redis_url: str) -> CounterStore:
    database = DatabaseCounters()
    return RedisCounters(redis_url, database) if redis_url else database


def counters() -> CounterStore:
    store: CounterStore = current_app.extensions["auth_counters"]
    return store
