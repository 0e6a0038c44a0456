#!/usr/bin/env bash
# The node agent's benchmark, one command, figures side by side from one run:
#   (a) a plain file-to-file copy of the image (dd, fsync: the disk limit),
#   (b) the same bytes through rustls TLS 1.3 over loopback (the TLS limit,
#       bench/tls-loopback.rs, 4 streams like the agent),
#   (c) a clone of the image between two agents on loopback through a real
#       controller, verification on (fsync, page cache dropped, re-read).
# Reports MB/s, CPU seconds per GB on each side and the ratio to min(a, b).
#
#   SIZE_MIB=4096 scripts/bench-clone.sh        (default 1024)
#   SPARSE=1 ...   an image of SIZE_MIB with 5 % data instead of random bytes
#
# Uses DATABASE_URL when set (a throwaway database is created on it),
# otherwise the controller's embedded PostgreSQL in the work directory.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
SIZE_MIB=${SIZE_MIB:-1024}
cargo build --release --quiet --bins --example tls-loopback
bin=${CARGO_TARGET_DIR:-target}/release
work=$(mktemp -d /tmp/pbbench.XXXXXX)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

echo "image: $SIZE_MIB MiB in $work" >&2
if [ "${SPARSE:-0}" = 1 ]; then
    truncate -s "${SIZE_MIB}M" "$work/src.img"
    for i in $(seq 0 19); do
        dd if=/dev/urandom of="$work/src.img" bs=1M count=$((SIZE_MIB / 400 + 1)) \
           seek=$((i * SIZE_MIB / 20)) conv=notrunc status=none
    done
else
    head -c "$((SIZE_MIB << 20))" /dev/urandom > "$work/src.img"
fi
bytes=$(stat -c %s "$work/src.img")
seconds_of() { awk '{print $1}' "$1"; }
cpu_of() { awk '{print $2 + $3}' "$1"; }

# (a) the disk limit
/usr/bin/time -f "%e %U %S" -o "$work/copy.time" dd if="$work/src.img" of="$work/copy.img" bs=4M conv=fsync status=none
rm -f "$work/copy.img"
# (b) the TLS limit
tls=$("$bin/examples/tls-loopback" "$SIZE_MIB" 4)

# (c) the clone
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
token="pbo-bench-$(python3 -c 'import secrets; print(secrets.token_hex(24))')"
url="http://127.0.0.1:$port"
db_env=()
if [ -n "${DATABASE_URL:-}" ]; then
    db="pb_bench_$(date +%s)_$$"
    psql "$DATABASE_URL" -qc "CREATE DATABASE $db"
    db_env=(DATABASE_URL="$(with_database "$DATABASE_URL" "$db")")
fi
env "${db_env[@]}" PUREBOOT_ADMIN_TOKEN="$token" PUREBOOT_LOG_LEVEL=warn \
    "$bin/pureboot" serve --listen "127.0.0.1:$port" --data-dir "$work/data" > "$work/controller.log" 2>&1 &
pids+=($!)
wait_ready "$url"
api() { curl -sf -H "Authorization: Bearer $token" -H 'content-type: application/json' "$@"; }
node() { api -d "{\"mac_address\":\"$1\",\"hostname\":\"$2\",\"ip_address\":\"127.0.0.1\"}" "$url/api/v1/nodes" | jq -r .data.id; }
session=$(api "$url/api/v1/clone-sessions" -d "{\"clone_mode\":\"direct\",\"source_node_id\":\"$(node 52:54:00:be:00:01 bench-a)\",\"target_node_id\":\"$(node 52:54:00:be:00:02 bench-b)\"}")
jq -r .data.agent_parameters.source <<<"$session" > "$work/source.cmdline"
jq -r .data.agent_parameters.target <<<"$session" > "$work/target.cmdline"
/usr/bin/time -f "%e %U %S" -o "$work/source.time" "$bin/pureboot-agent" --cmdline "$work/source.cmdline" \
    --device "$work/src.img" --listen 127.0.0.1:0 --state-dir "$work/source" > "$work/source.out" 2> "$work/source.log" &
pids+=($!)
/usr/bin/time -f "%e %U %S" -o "$work/target.time" "$bin/pureboot-agent" --cmdline "$work/target.cmdline" \
    --device "$work/dst.img" --state-dir "$work/target" > "$work/target.out" 2> "$work/target.log"
wait "${pids[1]}"
cmp "$work/src.img" "$work/dst.img"

python3 - "$bytes" "$tls" "$(cat "$work/copy.time")" "$(cat "$work/source.time")" "$(cat "$work/target.time")" \
    "$(tail -1 "$work/target.out")" <<'PY'
import json, sys
size = int(sys.argv[1]); tls = json.loads(sys.argv[2])
copy, source, target = ([float(x) for x in a.split()] for a in sys.argv[3:6])
done = json.loads(sys.argv[6])
gb = size / 1e9
rate = lambda seconds: size / 1e6 / seconds
a, b, c = rate(copy[0]), tls["mb_per_s"], rate(target[0])
print(f"image: {size / 2**20:.0f} MiB, bytes on the wire {done['bytes_on_wire'] / 2**20:.0f} MiB, digest {done['digest'][:16]}…")
print(f"{'':34} {'MB/s':>8} {'CPU s/GB':>22}")
print(f"{'(a) dd copy, fsync':34} {a:8.0f} {(copy[1] + copy[2]) / gb:22.2f}")
print(f"{'(b) rustls TLS 1.3 loopback, 4 str':34} {b:8.0f} {'(both ends, 1 process)':>22}")
print(f"{'(c) clone, verify on':34} {c:8.0f} {'source %.2f, target %.2f' % ((source[1] + source[2]) / gb, (target[1] + target[2]) / gb):>22}")
print(f"ratio (c) / min(a, b) = {c / min(a, b):.2f}")
PY
