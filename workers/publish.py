"""A lean publisher for the request path's tasks on a Redis broker.

Celery's ``apply_async`` is general: routing, retry policies, producer pools, and
kombu's Redis channel building a new ``redis.Redis`` client for every message.
On the two hot endpoints (an answer saved, an invitation due now) that costs
about 1 ms of CPU per request, more than the INSERT it follows. This module sends
the same message with one ``LPUSH`` on a Redis client kept per process.

The message is Celery's task message protocol 2 wrapped the way kombu's Redis
transport stores it (``tests/integration/test_fast_publish.py`` checks that the
two are identical field for field, so an upgrade that changes either shows up).
Only the plain case takes this path: a Redis broker, the task routed to the
default queue over the default direct exchange (``route`` checks each task's
route: a task routed to the bulk queue takes Celery's own path), positional arguments that are
ids, no countdown or other options. Everything else, eager mode included, goes
through ``apply_async``.

Nothing accepted depends on this send: it runs after the commit, and if Redis is
down it raises, the after-commit hook logs it and the sweep enqueues the work.
"""

from __future__ import annotations

import base64
import os
import threading
import uuid
from dataclasses import dataclass
from typing import Any

import redis
from celery import Celery, Task
from celery.utils.nodenames import anon_nodename
from kombu.entity import PERSISTENT_DELIVERY_MODE, TRANSIENT_DELIVERY_MODE
from kombu.utils.json import dumps

_EMBED = {"callbacks": None, "errbacks": None, "chain": None, "chord": None}
_DELIVERY_MODES = {"persistent": PERSISTENT_DELIVERY_MODE, "transient": TRANSIENT_DELIVERY_MODE}


_origins: dict[int, str] = {}


def _origin() -> str:
    """Celery's ``origin`` header: this process's node name (per pid: fork)."""
    pid = os.getpid()
    name = _origins.get(pid)
    if name is None:
        name = _origins[pid] = anon_nodename()
    return name


@dataclass(frozen=True)
class _Route:
    """Where a task's messages go, and what every one of them shares."""

    queue: str
    delivery_mode: int
    ignore_result: bool


class RedisTaskPublisher:
    """One per Celery app and process; thread-safe (redis-py's pool is)."""

    def __init__(self, celery: Celery) -> None:
        self.celery = celery
        self.broker_url: str = celery.conf.broker_url
        self._client: redis.Redis | None = None
        self._pid = 0
        self._routes: dict[str, _Route | None] = {}
        self._lock = threading.Lock()

    @staticmethod
    def usable(celery: Celery) -> bool:
        conf = celery.conf
        options = conf.broker_transport_options or {}
        return (
            str(conf.broker_url or "").startswith("redis://")
            and not conf.task_always_eager
            and conf.task_protocol == 2
            and not options.get("global_keyprefix")
            and not conf.task_compression
            and conf.task_serializer == "json"
        )

    def client(self) -> redis.Redis:
        pid = os.getpid()
        if self._client is None or self._pid != pid:
            with self._lock:
                if self._client is None or self._pid != pid:
                    # Bounded waits: a broker that hangs must not hang the request.
                    self._client = redis.Redis.from_url(
                        self.broker_url, socket_connect_timeout=2, socket_timeout=5
                    )
                    self._pid = pid
        return self._client

    def route(self, task: Task) -> _Route | None:
        """The default route of ``task``, or None when it needs Celery's own path."""
        if task.name in self._routes:
            return self._routes[task.name]
        found: _Route | None = None
        amqp = self.celery.amqp
        options = amqp.router.route({}, task.name, (), {}, task)
        queue = options.get("queue")
        exec_options = task._get_exec_options()
        if (
            set(options) == {"queue"}
            and queue is not None
            and queue.name == amqp.default_queue.name
            and queue.exchange.type == "direct"
            and not (queue.expires or queue.message_ttl or queue.max_priority)
            and not queue.queue_arguments
            and exec_options.get("serializer") in (None, "json")
            and all(v is None for k, v in exec_options.items() if k != "serializer")
        ):
            mode = queue.exchange.delivery_mode or self.celery.conf.task_default_delivery_mode
            found = _Route(
                queue.name,
                _DELIVERY_MODES.get(mode, mode),
                bool(task.ignore_result),
            )
        self._routes[task.name] = found
        return found

    def message(self, task: Task, route: _Route, args: tuple[int, ...], task_id: str) -> str:
        """The message as kombu's Redis transport stores it (protocol 2)."""
        body = dumps([list(args), {}, _EMBED]).encode()
        return dumps(
            {
                "body": base64.b64encode(body).decode(),
                "content-encoding": "utf-8",
                "content-type": "application/json",
                "headers": {
                    "lang": "py",
                    "task": task.name,
                    "id": task_id,
                    "shadow": None,
                    "eta": None,
                    "expires": None,
                    "group": None,
                    "group_index": None,
                    "retries": 0,
                    "timelimit": [None, None],
                    "root_id": task_id,
                    "parent_id": None,
                    "argsrepr": repr(args),
                    "kwargsrepr": "{}",
                    "origin": _origin(),
                    "ignore_result": route.ignore_result,
                    "replaced_task_nesting": 0,
                    "stamped_headers": None,
                    "stamps": {},
                },
                "properties": {
                    "correlation_id": task_id,
                    "reply_to": self.celery.thread_oid,
                    "delivery_mode": route.delivery_mode,
                    "delivery_info": {"exchange": "", "routing_key": route.queue},
                    "priority": 0,
                    "body_encoding": "base64",
                    "delivery_tag": str(uuid.uuid4()),
                },
            }
        )

    def publish(self, task: Task, args: tuple[Any, ...], task_id: str | None = None) -> bool:
        """Send ``task(*args)``; False if it is not a plain case (the caller then
        uses ``apply_async``)."""
        if not all(type(arg) is int for arg in args):
            return False
        # Sent from inside a task, Celery links parent and root ids: its own path.
        if self.celery.current_worker_task is not None:
            return False
        route = self.route(task)
        if route is None:
            return False
        if task.typing:
            task.__header__(*args)  # the arguments fit the task's signature
        task_id = task_id or str(uuid.uuid4())
        self.client().lpush(route.queue, self.message(task, route, args, task_id))
        return True


def publisher_for(celery: Celery) -> RedisTaskPublisher | None:
    """The app's publisher, or None where Celery's own path must be used."""
    key = (celery.conf.broker_url, celery.conf.task_always_eager)
    cached: tuple[Any, RedisTaskPublisher | None] | None = getattr(
        celery, "_feedback_publisher", None
    )
    if cached is not None and cached[0] == key:
        return cached[1]
    publisher = RedisTaskPublisher(celery) if RedisTaskPublisher.usable(celery) else None
    celery._feedback_publisher = (key, publisher)
    return publisher
