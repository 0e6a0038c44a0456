#!/usr/bin/env bash
# Browser end-to-end suite (frontend/e2e) against a controller that is already
# running and serving the built UI (npm --prefix frontend run build) on a fresh
# database. Non-interactive (CI=true, no stdin): installs what is missing with
# apt (as root, or through sudo), and exits non-zero when anything fails.
#
#   PUREBOOT_URL    where the controller listens, e.g. http://127.0.0.1:18080 (required)
#   PUREBOOT_TOKEN  an admin API token; empty when auth is off
#   SCREENSHOT_DIR  where screenshots go (default artifacts/screenshots, relative to the caller)
#   CHROMIUM_PATH   the browser (default /usr/bin/chromium, Debian's package)
#   E2E_TIMEOUT_MS  longest a test file may run before it fails (default 600000: a hung browser fails CI)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/scripts/lib.sh"

: "${PUREBOOT_URL:?set PUREBOOT_URL to the running controller, e.g. http://127.0.0.1:18080}"
export PUREBOOT_URL
export PUREBOOT_TOKEN="${PUREBOOT_TOKEN:-}"
export SCREENSHOT_DIR="$(realpath -m "${SCREENSHOT_DIR:-artifacts/screenshots}")"
export CHROMIUM_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}"
export DEBIAN_FRONTEND=noninteractive

# playwright-core drives the system Chromium; it cannot download a browser here.
if [ ! -x "$CHROMIUM_PATH" ]; then
  echo "==> e2e: $CHROMIUM_PATH is missing; installing Debian's chromium package"
  apt_install chromium </dev/null
  if [ ! -x "$CHROMIUM_PATH" ]; then
    echo "e2e: still no browser at $CHROMIUM_PATH after installing chromium; set CHROMIUM_PATH" >&2
    exit 1
  fi
fi

ensure_node
cd "$root/frontend"
if [ ! -d node_modules/playwright-core ]; then
  npm ci --no-audit --no-fund </dev/null
fi

# The controller may still be starting: wait up to 60 s for it to serve the UI.
node -e '
  const url = process.env.PUREBOOT_URL;
  const deadline = Date.now() + 60_000;
  let last = "no answer";
  (async () => {
    while (Date.now() < deadline) {
      try {
        const response = await fetch(url);
        const body = await response.text();
        if (response.ok && body.includes("<div id=\"root\"")) return;
        last = response.ok ? "a page that is not the web UI (is PUREBOOT_UI_DIR the built frontend/dist?)" : `HTTP ${response.status}`;
      } catch (error) {
        last = String(error.cause?.code ?? error);
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
    console.error(`e2e: ${url} did not serve the web UI within 60 s (last: ${last})`);
    process.exit(1);
  })();
'

exec node --test --test-timeout="${E2E_TIMEOUT_MS:-600000}" e2e/*.test.mjs </dev/null
