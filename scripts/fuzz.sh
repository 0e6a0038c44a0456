#!/usr/bin/env bash
# Property-based fuzzing of every operation in openapi/openapi.json with
# schemathesis, against a controller that is already running on a fresh
# database (this script starts nothing). Fails (non-zero) on any 5xx, any
# status code the document does not list for the operation, any response whose
# Content-Type or body does not match the document.
#
#   PUREBOOT_URL        where the controller listens, e.g. http://127.0.0.1:18095 (required)
#   PUREBOOT_TOKEN      an admin API token; empty when auth is off
#   FUZZ_MAX_EXAMPLES   test cases per operation and phase (default 100)
#   FUZZ_REPORT_DIR     where the JUnit report and the generated config go
#                       (default target/fuzz-report)
#
# Extra arguments go to `st run` (e.g. --seed 1234, --include-operation-id X).
# The WebSocket operation GET /api/v1/ws is left out: it is not plain HTTP.
# Before fuzzing, fuzz/seed.py creates nodes, storage backends, sessions, a
# disk scan and a queued partition operation; their ids are fed to the path
# parameters about half of the time, and node callback endpoints are called
# with the matching pbn_/pbk_ node token (see fuzz/seed.py).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/scripts/lib.sh"

: "${PUREBOOT_URL:?set PUREBOOT_URL to the running controller, e.g. http://127.0.0.1:18095}"
export PUREBOOT_URL="${PUREBOOT_URL%/}"
export PUREBOOT_TOKEN="${PUREBOOT_TOKEN:-}"
max_examples="${FUZZ_MAX_EXAMPLES:-100}"
report_dir="$(realpath -m "${FUZZ_REPORT_DIR:-$root/target/fuzz-report}")"
venv="$root/target/fuzz-venv"
schemathesis_version="4.32.5"

if ! "$venv/bin/st" --version 2>/dev/null | grep -qF "$schemathesis_version"; then
    echo "==> fuzz: installing schemathesis $schemathesis_version into $venv"
    python3 -m venv "$venv" || { apt_install python3-venv </dev/null && python3 -m venv "$venv"; }
    "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$schemathesis_version" </dev/null
fi

wait_ready "$PUREBOOT_URL"
mkdir -p "$report_dir"
config="$report_dir/schemathesis.toml"
python3 "$root/fuzz/seed.py" "$config"
# Failure records for `st replay` go to the report directory, not the work tree.
printf '\n[cache]\ndirectory = "%s"\n' "$report_dir/cache" >>"$config"

auth=()
if [ -n "$PUREBOOT_TOKEN" ]; then
    auth=(--header "Authorization: Bearer $PUREBOOT_TOKEN")
fi

echo "==> fuzz: schemathesis against $PUREBOOT_URL, $max_examples examples per operation"
set +e
"$venv/bin/st" --config-file "$config" --no-color run "$root/openapi/openapi.json" \
    --url "$PUREBOOT_URL" \
    "${auth[@]}" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    --exclude-path /api/v1/ws \
    --max-examples "$max_examples" \
    --workers 2 \
    --request-timeout 30 \
    --generation-database none \
    --suppress-health-check all \
    --report junit --report-dir "$report_dir" \
    "$@" </dev/null
status=$?
set -e
if [ "$status" -ne 0 ]; then
    echo "fuzz: schemathesis found failures (exit $status); JUnit report in $report_dir" >&2
fi
exit "$status"
