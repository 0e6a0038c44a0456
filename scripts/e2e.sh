#!/usr/bin/env bash
# Browser end-to-end suite (frontend/e2e) against a controller that is already
# running and serving the built UI (npm --prefix frontend run build) on a fresh
# database.
#
#   PUREBOOT_URL    where the controller listens, e.g. http://127.0.0.1:18080 (required)
#   PUREBOOT_TOKEN  an admin API token; empty when auth is off
#   SCREENSHOT_DIR  where screenshots go (default artifacts/screenshots, relative to the caller)
#   CHROMIUM_PATH   the browser (default /usr/bin/chromium, Debian's package)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
: "${PUREBOOT_URL:?set PUREBOOT_URL to the running controller, e.g. http://127.0.0.1:18080}"
export PUREBOOT_URL
export PUREBOOT_TOKEN="${PUREBOOT_TOKEN:-}"
export SCREENSHOT_DIR="$(realpath -m "${SCREENSHOT_DIR:-artifacts/screenshots}")"
export CHROMIUM_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}"

# playwright-core drives the system Chromium; it cannot download a browser here.
if [ ! -x "$CHROMIUM_PATH" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "e2e: $CHROMIUM_PATH is missing; install Debian's chromium package" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

cd "$root/frontend"
if [ ! -d node_modules/playwright-core ]; then
  npm ci --no-audit --no-fund
fi

# The controller may still be starting: wait up to 60 s for it to serve the UI.
node -e '
  const url = process.env.PUREBOOT_URL;
  const deadline = Date.now() + 60_000;
  (async () => {
    while (Date.now() < deadline) {
      try { if ((await fetch(url)).ok) return; } catch {}
      await new Promise((r) => setTimeout(r, 1000));
    }
    console.error(`e2e: ${url} did not answer within 60 s`);
    process.exit(1);
  })();
'

exec node --test e2e/*.test.mjs
