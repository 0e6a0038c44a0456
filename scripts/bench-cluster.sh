#!/usr/bin/env bash
# What coordinating three controllers costs, in one run: pgbench's limit
# first, then RUNS rounds (default 3), each running the progress and fan-out
# scenarios against one controller alone and then against three controllers
# on the same database behind HAProxy (deploy/haproxy.cfg, local ports). The
# rounds alternate the two set-ups so the machine's noise falls on both
# alike; bench/summary.py prints the medians and the cluster/single ratios.
#
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres ./scripts/bench-cluster.sh
#   ./scripts/bench-cluster.sh    # private durable cluster in target/bench-pg
#
# Results: target/bench-cluster/*.json (<scenario>-single-<round>,
# <scenario>-cluster-<round>) and the table printed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
RUNS=${RUNS:-3}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-10}
out=target/bench-cluster
rm -rf "$out" && mkdir -p "$out"

command -v haproxy >/dev/null 2>&1 || apt_install haproxy
bench_start "$out"
admin="$DATABASE_URL"

db="pb_bench_cluster_$$"
psql "$admin" -qc "CREATE DATABASE $db"
cleanup=("psql \"$admin\" -qc 'DROP DATABASE IF EXISTS $db WITH (FORCE)'" "${cleanup[@]}")
controller_url=$(with_database "$admin" "$db")
token="pbt-bench-$(python3 -c 'import secrets; print(secrets.token_hex(24))')"
# One key-encryption key for all three: they share the CA and master key.
head -c 32 /dev/urandom > "$out/kek.key" && chmod 600 "$out/kek.key"

declare -A port pid
for name in a b c; do port[$name]=$(free_port); done
# Starts controller $1 on its port (kept across restarts: HAProxy knows it).
start() {
    DATABASE_URL="$controller_url" PUREBOOT_ADMIN_TOKEN="$token" PUREBOOT_DATA_DIR="$out/data-$1" \
        PUREBOOT_KEK_FILE="$out/kek.key" PUREBOOT_LISTEN="127.0.0.1:${port[$1]}" PUREBOOT_LOG_LEVEL=warn \
        $bin serve >> "$out/controller-$1.log" 2>&1 &
    pid[$1]=$!
    cleanup=("kill ${pid[$1]} 2>/dev/null; wait ${pid[$1]}" "${cleanup[@]}")
    wait_ready "http://127.0.0.1:${port[$1]}"
}
stop() { kill "${pid[$1]}"; wait "${pid[$1]}" || true; }

# deploy/haproxy.cfg with local addresses, a stats socket (to see the
# servers' health) and no per-request log (it would cost CPU under load).
# AFFINITY=0 spreads every request with leastconn (no routing by aggregate).
lb_port=$(free_port)
[ "${AFFINITY:-1}" = 1 ] && spread='' || spread='/use_backend by_aggregate/d'
sed -e "s#^    bind :8080#    bind 127.0.0.1:$lb_port#" -e "$spread" \
    -e "s#controller-\([abc]\):8080#127.0.0.1:PORT_\1#" \
    -e "/^    log stdout/c\\    stats socket $PWD/$out/haproxy.sock" \
    -e '/^    log global/d' -e '/^    option httplog/d' deploy/haproxy.cfg |
    sed -e "s#PORT_a#${port[a]}#" -e "s#PORT_b#${port[b]}#" -e "s#PORT_c#${port[c]}#" > "$out/haproxy.cfg"
haproxy -c -q -f "$out/haproxy.cfg"
haproxy -db -f "$out/haproxy.cfg" > "$out/haproxy.log" 2>&1 &
cleanup=("kill $! 2>/dev/null" "${cleanup[@]}")

# Waits (up to 30 s) until HAProxy's health checks see all three controllers up.
all_up() {
    python3 - "$out/haproxy.sock" <<'PY'
import csv, socket, sys, time
deadline = time.time() + 30
while time.time() < deadline:
    try:
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(sys.argv[1]); s.sendall(b"show stat\n")
            text = b"".join(iter(lambda: s.recv(65536), b"")).decode()
        rows = list(csv.DictReader(text.lstrip("# ").splitlines()))
        if sum(r["pxname"] == "controllers" and r["status"] == "UP" for r in rows if r["svname"] != "BACKEND") == 3:
            sys.exit(0)
    except OSError:
        pass
    time.sleep(0.5)
sys.exit("HAProxy did not see three controllers up within 30 s")
PY
}

# Runs the two scenarios against $1, naming the results <scenario>-$2-$3.
scenarios() {
    PUREBOOT_URL=$1 PUREBOOT_TOKEN=$token $bin bench --json "$out/progress-$2-$3.json" \
        progress --clients 64 --sessions 200 --seconds "$SECONDS_PER_RUN"
    PUREBOOT_URL=$1 PUREBOOT_TOKEN=$token $bin bench --json "$out/fanout-$2-$3.json" \
        fanout --clients 500 --rate 200 --seconds "$SECONDS_PER_RUN"
}

start a
for round in $(seq "$RUNS"); do
    echo "==> round $round: one controller alone"
    scenarios "http://127.0.0.1:${port[a]}" single "$round"
    echo "==> round $round: three controllers behind HAProxy"
    start b
    start c
    all_up
    scenarios "http://127.0.0.1:$lb_port" cluster "$round"
    stop b
    stop c
done
python3 bench/summary.py "$out"
