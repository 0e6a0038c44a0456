# Helpers shared by scripts/run and scripts/test. Sourced, not executed.

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
