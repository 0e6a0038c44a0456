# Helpers shared by scripts/run, scripts/test and the bench scripts. Sourced, not executed.

# Runs a command as root: directly when we are root, else through sudo.
as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

apt_updated=""
apt_install() {
    if [ -z "$apt_updated" ]; then
        as_root apt-get update -qq
        apt_updated=1
    fi
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@"
}

# `make`, which the jemalloc allocator's build runs (tikv-jemalloc-sys);
# Debian's Rust and C toolchains do not bring it.
ensure_build_tools() {
    command -v make >/dev/null 2>&1 || apt_install make
}

# The PostgreSQL server binaries, needed only when DATABASE_URL is unset
# (the controller then runs its own private cluster).
ensure_postgres_server() {
    if [ -z "${DATABASE_URL:-}" ] && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
        echo "==> installing the PostgreSQL server package (no DATABASE_URL given)"
        apt_install postgresql
    fi
}

ensure_node() {
    if ! command -v npm >/dev/null 2>&1; then
        echo "==> installing Node.js and npm"
        apt_install nodejs npm
    fi
}

# Builds the web UI into frontend/dist.
build_frontend() {
    ensure_node
    (cd frontend && { [ -d node_modules ] || npm ci --no-audit --no-fund; } && npm run build)
}

# Prints a connection string like $1 but for database $2.
with_database() {
    case "$1" in
        postgres://* | postgresql://*) echo "$1" | sed -E "s#^(postgres(ql)?://[^/?]*)(/[^?]*)?#\1/$2#" ;;
        *) echo "$1 dbname=$2" ;;
    esac
}

# Waits (up to 60 s) until $1/api/v1/ready answers 200.
wait_ready() {
    python3 - "$1" <<'PY'
import sys, time, urllib.request
url = sys.argv[1] + "/api/v1/ready"
deadline = time.time() + 60
while time.time() < deadline:
    try:
        if urllib.request.urlopen(url, timeout=2).status == 200:
            sys.exit(0)
    except Exception:
        time.sleep(0.5)
sys.exit(f"{url} did not become ready within 60 s")
PY
}

# Prints a TCP port that is free on 127.0.0.1 now.
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# The start every benchmark shares: sets `bin` (the release build, in
# CARGO_TARGET_DIR when set), a `cleanup` array of commands run on exit, and
# DATABASE_URL (a private durable cluster in target/bench-pg when unset);
# then measures PostgreSQL's own limit into $1 (RUNS × SECONDS_PER_RUN).
bench_start() {
    ensure_build_tools
    ensure_postgres_server
    cargo build --release --quiet --bin pureboot
    bin="${CARGO_TARGET_DIR:-target}/release/pureboot"
    cleanup=()
    trap 'for a in "${cleanup[@]}"; do eval "$a" || true; done' EXIT
    if [ -z "${DATABASE_URL:-}" ]; then
        rm -rf target/bench-pg
        DATABASE_URL=$("$bin" embedded-db start target/bench-pg)
        cleanup+=("$bin embedded-db stop target/bench-pg")
    fi
    pgbench_limit "$DATABASE_URL" "$RUNS" "$SECONDS_PER_RUN" "$1"
}

# PostgreSQL's own limit on this machine: pgbench, 32 clients, one single-row
# insert per transaction (bench/insert.sql), $2 runs of $3 seconds against
# $1; each run's output in $4/pgbench-<run>.txt (bench/summary.py reads them).
pgbench_limit() {
    echo "==> PostgreSQL's own limit (pgbench, 32 clients, single-row inserts, synchronous_commit on)"
    psql "$1" -qc "DROP TABLE IF EXISTS bench_inserts; CREATE TABLE bench_inserts (id bigserial PRIMARY KEY, stream text NOT NULL, payload jsonb NOT NULL)"
    for run in $(seq "$2"); do
        pgbench -n -c 32 -j 2 -T "$3" -f bench/insert.sql "$1" 2>&1 | tee "$4/pgbench-$run.txt" | grep -E "^tps"
    done
    psql "$1" -qc "DROP TABLE bench_inserts"
}
