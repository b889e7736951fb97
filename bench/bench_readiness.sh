#!/usr/bin/env bash
# Issue 3's goal: on a fresh clone, `bin/run` serves /readyz 200 within a minute.
# Clones the committed HEAD of this repository into a scratch folder (no .venv,
# no ./var), starts bin/run there on a free port and times it until /readyz
# answers 200, then stops it. Prints the load average before and after, because
# on a shared 2-core machine other work stretches every figure.
#
#   bench/bench_readiness.sh            # uses port 5099
#   PORT=5123 bench/bench_readiness.sh
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
port=${PORT:-5099}
dir=$(mktemp -d /tmp/readiness.XXXXXX)
git clone -q "$repo" "$dir/clone"
cd "$dir/clone"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
start=$(date +%s.%N)
PORT=$port setsid bin/run >"$dir/run.log" 2>&1 &
runner=$!
ready=""
for _ in $(seq 1 600); do
  if curl -sf -m 1 "http://127.0.0.1:$port/readyz" >/dev/null; then
    ready=$(echo "$(date +%s.%N) - $start" | bc)
    break
  fi
  sleep 0.2
done
echo "load after:  $(cut -d' ' -f1-3 /proc/loadavg)"
kill -- -"$runner" 2>/dev/null || true
wait "$runner" 2>/dev/null || true
grep -E "^==>|ready in" "$dir/run.log" || true
if [ -z "$ready" ]; then
  echo "bin/run did not answer /readyz within 120 s; log: $dir/run.log" >&2
  exit 1
fi
printf 'fresh clone -> /readyz 200 in %.1f s (goal: under 60 s)\n' "$ready"
rm -rf "$dir"
