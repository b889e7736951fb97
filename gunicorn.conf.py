"""gunicorn settings of the web process, one place for every way it is served.

gunicorn reads ``./gunicorn.conf.py`` from the directory it starts in: the
Dockerfile, ``bin/run`` and the request benchmarks (``bench/harness.py``) all
start it in the project's root, so production and the figures in ``bench/`` run
the same settings. Options given on the command line override these.

- Workers: ``WEB_WORKERS`` processes (default 2 x cores + 1) of ``WEB_THREADS``
  threads (default 1: gunicorn's sync worker, one request at a time per process).
  The requests are CPU-bound Python: with 4 threads per process (gthread, as
  before) a keep-alive connection stays with one process and its requests queue
  behind the others' for the GIL; at 200 answers a second the p50 was 130-350 ms
  against 9-10 ms with sync workers (bench/README-responses.md). Sync workers
  keep no connection alive and wait on slow clients, so in production they sit
  behind a buffering proxy (nginx, a cloud load balancer), as gunicorn advises;
  ``WEB_THREADS=4`` brings the gthread worker back.
- The app's objects are frozen out of the garbage collector once a worker has
  loaded it (``gc.freeze``). The app imports Flask, SQLAlchemy, Celery, NumPy
  and SciPy's special functions: ~165,000 tracked objects, and a full collection walks them all,
  ~0.5 s on the 2-core benchmark machine. Such a collection runs now and then as
  requests leave objects behind, and every request that worker holds waits
  for it: that, not the requests' own work, made the tail of the latency.
  Frozen objects are never collected (they live as long as the worker anyway);
  what requests make is collected as before.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from typing import Any

workers = int(os.environ.get("WEB_WORKERS") or multiprocessing.cpu_count() * 2 + 1)
threads = int(os.environ.get("WEB_THREADS") or 1)
# A worker silent for this long is killed and restarted; every SQL statement of a
# request is cancelled well before (REQUEST_STATEMENT_TIMEOUT_MS, 20 s).
timeout = int(os.environ.get("WEB_TIMEOUT") or 30)
# Request lines on stdout, as before; ACCESS_LOG="" turns them off. Survey tokens
# in them are masked (feedback_service/access_log.py).
accesslog = os.environ.get("ACCESS_LOG", "-") or None
logger_class = "feedback_service.access_log.MaskingGunicornLogger"


def post_worker_init(worker: Any) -> None:
    """Runs in each worker after it loaded the app, before it takes requests."""
    gc.collect()
    gc.freeze()
