#!/usr/bin/env bash
# Measures the controller against PostgreSQL's own limit on this machine, in
# one run: pgbench first, then every `pureboot bench` scenario RUNS times
# (default 3) against a release build, then the medians (bench/summary.py).
#
#   ./scripts/bench.sh            # private durable cluster in target/bench-pg
#   DATABASE_URL=… ./scripts/bench.sh
#
# Results: target/bench/*.json and the table printed at the end (paste it
# into BENCHMARKS.md). synchronous_commit stays on throughout.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
RUNS=${RUNS:-3}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-10}
LIST_SESSIONS=${LIST_SESSIONS:-100000}
SCENARIOS=${SCENARIOS:-"create progress fanout fanout-stalled list rebuild"}
out=target/bench
rm -rf "$out" && mkdir -p "$out"

# RUNS, SECONDS_PER_RUN, LIST_SESSIONS and SCENARIOS (a subset of
# "create progress fanout fanout-stalled list rebuild") tune a run.
bench_start "$out"
admin="$DATABASE_URL"

echo "==> controller (release build)"
db="pb_bench_$$"
psql "$admin" -qc "CREATE DATABASE $db"
token="pbt-bench-$(python3 -c 'import secrets; print(secrets.token_hex(24))')"
port=$(free_port)
controller_url=$(with_database "$admin" "$db")
rm -rf target/bench-data
DATABASE_URL="$controller_url" PUREBOOT_ADMIN_TOKEN="$token" PUREBOOT_DATA_DIR=target/bench-data \
    PUREBOOT_LISTEN="127.0.0.1:$port" PUREBOOT_LOG_LEVEL=warn $bin serve > "$out/controller.log" 2>&1 &
pid=$!
cleanup=("kill $pid 2>/dev/null; wait $pid" "psql \"$admin\" -qc 'DROP DATABASE IF EXISTS $db WITH (FORCE)'" "${cleanup[@]}")
export PUREBOOT_URL="http://127.0.0.1:$port" PUREBOOT_TOKEN="$token"
wait_ready "$PUREBOOT_URL"

wanted() { [[ " $SCENARIOS " == *" $1 "* ]]; }
bench() { local name=$1; shift; wanted "$name" || return 0; for run in $(seq "$RUNS"); do
    $bin bench --pid "$pid" --json "$out/$name-$run.json" "$@"; done; }
bench create create --clients 32 --seconds "$SECONDS_PER_RUN"
bench progress progress --clients 64 --sessions 200 --seconds "$SECONDS_PER_RUN"
bench fanout fanout --clients 500 --rate 200 --seconds "$SECONDS_PER_RUN"
bench fanout-stalled fanout --clients 500 --rate 200 --seconds "$SECONDS_PER_RUN" --stalled
bench list list --clients 32 --sessions "$LIST_SESSIONS" --seconds "$SECONDS_PER_RUN"
kill "$pid"; wait "$pid" || true
if wanted rebuild; then
    for run in $(seq "$RUNS"); do
        DATABASE_URL="$controller_url" $bin bench --json "$out/rebuild-$run.json" rebuild
    done
fi
python3 bench/summary.py "$out"
