#!/usr/bin/env bash
# Fault: PostgreSQL restarts in the middle of the progress load.
#
# Expects: the controller stays up, answers within its bounded waits (503,
# never a hang or a 500) while the database is away, is ready again within
# 5 s after the database returns, and every report it acknowledged (2xx) is
# in the log. Prints the figures; results go to target/fault/.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
ensure_postgres_server
cargo build --release --quiet --bin pureboot
bin=target/release/pureboot
out=target/fault && rm -rf "$out" target/fault-pg target/fault-data && mkdir -p "$out"
url=$($bin embedded-db start target/fault-pg)
trap '$bin embedded-db stop target/fault-pg >/dev/null 2>&1 || true' EXIT
token="pbt-fault-$(python3 -c 'import secrets; print(secrets.token_hex(24))')"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
DATABASE_URL="$url" PUREBOOT_ADMIN_TOKEN="$token" PUREBOOT_DATA_DIR=target/fault-data \
    PUREBOOT_LISTEN="127.0.0.1:$port" PUREBOOT_LOG_LEVEL=warn $bin serve > "$out/controller.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; $bin embedded-db stop target/fault-pg >/dev/null 2>&1 || true' EXIT
wait_ready "http://127.0.0.1:$port"

# 20 s of progress load; the database goes away after 8 s for 5 s.
$bin bench --url "http://127.0.0.1:$port" --token "$token" --json "$out/progress.json" \
    progress --clients 16 --sessions 50 --seconds 20 > "$out/bench.txt" 2>&1 &
load=$!
sleep 8
$bin embedded-db stop target/fault-pg
down=$(date +%s.%N)
sleep 5
$bin embedded-db start target/fault-pg > /dev/null
up=$(date +%s.%N)
python3 - "http://127.0.0.1:$port" "$up" > "$out/recovery.txt" <<'PY'
import sys, time, urllib.request
url, up = sys.argv[1] + "/api/v1/ready", float(sys.argv[2])
while True:
    try:
        if urllib.request.urlopen(url, timeout=2).status == 200:
            print(f"ready {time.time() - up:.2f} s after the database returned"); break
    except Exception:
        time.sleep(0.1)
PY
wait $load
kill -0 $pid && echo "controller still running: yes" > "$out/alive.txt"
acked=$(python3 -c "import json; print(json.load(open('$out/progress.json'))['ok'])")
logged=$(psql "$url" -Atc "SELECT count(*) FROM events WHERE event_type = 'clone_session.progress_reported'")
# Every failure during the outage must be a 503 ("dependency unavailable"), never a 500.
internal=$(grep -c "internal error" "$out/controller.log" || true)
cat "$out/bench.txt" "$out/recovery.txt" "$out/alive.txt"
echo "database down for $(python3 -c "print(round($up - $down, 1))") s"
echo "acknowledged progress reports: $acked; in the log: $logged; 500 responses: $internal"
[ "$internal" -eq 0 ] || { echo "the outage produced 500s"; exit 1; }
[ "$logged" -ge "$acked" ] && echo "nothing acknowledged was lost" || { echo "LOST acknowledged reports"; exit 1; }
