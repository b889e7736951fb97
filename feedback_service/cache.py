"""A tiny per-process cache with a time-to-live, for rows read on every request
(API keys, survey rules). Changes made through this process clear their entry at
once; other processes see them within the TTL."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from sqlalchemy.orm import Session

K = TypeVar("K")
V = TypeVar("V")


_ALL: list[TTLCache[Any, Any]] = []


def clear_all() -> None:
    """Forget everything (tests roll back the rows these caches point at)."""
    for cache in _ALL:
        cache.clear()


def engine_key(session: Session) -> str:
    """Caches are per database: tests and tools may hold several apps."""
    return str(session.get_bind().engine.url)


class TTLCache(Generic[K, V]):
    def __init__(self, ttl_seconds: float, max_entries: int = 1024) -> None:
        self.ttl = ttl_seconds
        self.max_entries = max_entries
        self._data: dict[K, tuple[float, V]] = {}
        self._lock = threading.Lock()
        _ALL.append(self)

    def get_or_load(self, key: K, load: Callable[[], V]) -> V:
        now = time.monotonic()
        hit = self._data.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        value = load()
        with self._lock:
            if len(self._data) >= self.max_entries:
                self._data.clear()
            self._data[key] = (now + self.ttl, value)
        return value

    def get(self, key: K) -> V | None:
        hit = self._data.get(key)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        return None

    def put(self, key: K, value: V) -> None:
        with self._lock:
            if len(self._data) >= self.max_entries:
                self._data.clear()
            self._data[key] = (time.monotonic() + self.ttl, value)

    def discard(self, key: K) -> None:
        with self._lock:
            self._data.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
