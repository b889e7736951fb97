#!/usr/bin/env bash
# Issue 3's goal: on a fresh clone, `bin/run` serves /readyz 200 within a minute.
# Issue 16's: the first answer after a fresh `./bin/run` is analysed within 5 s.
#
# Clones the committed HEAD of this repository into a scratch folder (no .venv,
# no ./var), starts bin/run there on a free port and times it until /readyz
# answers 200; then sends one answer with a comment (an invitation through the API,
# delivery "link", the answer through the widget endpoint) and times it until
# GET /api/v1/comments/ID shows its analysis. Then stops bin/run and does both
# again in the same clone on the next port (a restart: set up, model built).
# Prints the load average, because on a shared 2-core machine other work
# stretches every figure.
#
#   bench/bench_readiness.sh            # uses ports 5099 and 5100
#   PORT=5123 bench/bench_readiness.sh
#   REUSE_CLONE=/tmp/readiness.X/clone bench/bench_readiness.sh   # the restart only
#   TRAIN_ONLY=1 bench/bench_readiness.sh   # the seed model's training alone, in this
#     checkout: heads one after another against side by side, alternated twice
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
if [ -n "${TRAIN_ONLY:-}" ]; then
  cd "$repo"
  echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
  .venv/bin/python - <<'PY'
import os, time
import numpy as np
from feedback_service.analysis.text.data import deduplicate, seed_sentences, split
from feedback_service.analysis.text.model import head_threads, train
from feedback_service.analysis.text.store import HOLDOUT_FRACTION

rows, _held = split(deduplicate(seed_sentences()), HOLDOUT_FRACTION, 0)
cores = os.cpu_count() or 1
models = []
for round_ in (1, 2):
    for threads in (1, cores):
        wall, cpu = time.perf_counter(), time.process_time()
        with head_threads(threads):
            models.append(train(rows))
        print(f"round {round_}, heads {threads} at once: {time.perf_counter() - wall:.1f} s wall, "
              f"{time.process_time() - cpu:.1f} s CPU ({models[-1].version})", flush=True)
first = models[0].heads
same = all(
    np.array_equal(first[h].coef_, m.heads[h].coef_)
    and np.array_equal(first[h].intercept_, m.heads[h].intercept_)
    for m in models[1:] for h in first
)
print(f"every run's heads identical to the first's (coefficients, intercepts): {same}")
PY
  echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
  exit 0
fi
port=${PORT:-5099}
dir=$(mktemp -d /tmp/readiness.XXXXXX)
if [ -n "${REUSE_CLONE:-}" ]; then
  cd "$REUSE_CLONE"
else
  git clone -q "$repo" "$dir/clone"
  cd "$dir/clone"
fi
base=http://127.0.0.1:$port

first_answer() {  # -> seconds from the answer's POST to its analysis, or fails
  local key
  key=$(FEEDBACK_DATA_DIR=$PWD/var .venv/bin/flask --app feedback_service keys create \
    --name "bench-$1" --scope admin | tail -1)
  .venv/bin/python - "$base" "$key" "$1" <<'PY'
import json, sys, time, urllib.request
from datetime import UTC, datetime, timedelta

base, key, round_ = sys.argv[1], sys.argv[2], sys.argv[3]
auth = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}

def call(method, path, body=None, headers=auth):
    request = urllib.request.Request(base + path, json.dumps(body).encode() if body else None,
                                     headers, method=method)
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())

n = f"{round_}-{time.time_ns()}"
now = datetime.now(UTC)
at = lambda minutes: (now - timedelta(minutes=minutes)).isoformat()
made = call("POST", "/api/v1/invitations", {
    "ticket": {"id": f"T-{n}", "subject": "Router keeps dropping", "channel": "email",
               "product": "Router", "opened_at": at(120), "resolved_at": at(10),
               "closed_at": at(5)},
    "agent": {"id": "A-1", "name": "Dana Agent", "team": "Tier 1"},
    "customer": {"id": f"C-{n}", "email": f"c{n}@example.com", "name": "Sam"},
    "delivery": "link",
})
started = time.monotonic()
answer = call("POST", "/api/v1/responses", {
    "token": made["token"], "answers": {"csat": 2},
    "comment": "The agent was kind but the router still drops the line every evening.",
}, headers={"Content-Type": "application/json"})
while time.monotonic() - started < 120:
    analysis = call("GET", f"/api/v1/comments/{answer['id']}").get("analysis")
    if analysis:
        took = time.monotonic() - started
        print(f"{took:.2f} {analysis['sentiment']} {analysis['model_version']}")
        break
    time.sleep(0.1)
else:
    sys.exit("the answer was not analysed within 120 s")
PY
}

run_once() {  # label -> prints readiness and first-answer figures
  echo "== $1; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
  local start ready="" runner
  start=$(date +%s.%N)
  PORT=$port setsid bin/run >"$dir/run-$1.log" 2>&1 &
  runner=$!
  for _ in $(seq 1 3000); do
    if curl -sf -m 1 "$base/readyz" >/dev/null; then
      ready=$(echo "$(date +%s.%N) - $start" | bc)
      break
    fi
    sleep 0.2
  done
  if [ -z "$ready" ]; then
    stop "$runner"
    echo "bin/run did not answer /readyz within 600 s; log: $dir/run-$1.log" >&2
    exit 1
  fi
  printf '%s: /readyz 200 in %.1f s\n' "$1" "$ready"
  # bin/run says "ready" once the answers worker has its comment model loaded too:
  # the first answer is sent after that line, as a user following the README would.
  local said=""
  for _ in $(seq 1 3000); do
    if grep -q "^==> ready" "$dir/run-$1.log"; then
      said=$(echo "$(date +%s.%N) - $start" | bc)
      break
    fi
    sleep 0.2
  done
  grep -E "^==>|seed model" "$dir/run-$1.log" || true
  [ -n "$said" ] && printf '%s: bin/run said ready in %.1f s\n' "$1" "$said"
  local analysed
  analysed=$(first_answer "$1") || { stop "$runner"; exit 1; }
  set -- "$1" $analysed
  printf '%s: first answer analysed %.2f s after it was sent (%s, model %s)\n' "$1" "$2" "$3" "$4"
  echo "load after:  $(cut -d' ' -f1-3 /proc/loadavg)"
  stop "$runner"
}

stop() {  # the whole process group of bin/run, forcibly if it lingers
  # (not `wait` first: a worker stuck in its warm shutdown would keep it waiting)
  kill -- -"$1" 2>/dev/null || true
  for _ in $(seq 1 20); do
    kill -0 -- -"$1" 2>/dev/null || break
    sleep 1
  done
  kill -9 -- -"$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

if [ -z "${REUSE_CLONE:-}" ]; then
  run_once "fresh clone"
  # A fresh port anyway (bin/port-free accepts one in TIME_WAIT since 2026-12-05).
  port=$((port + 1))
  base=http://127.0.0.1:$port
fi
run_once "restart"
rm -rf "$dir"
