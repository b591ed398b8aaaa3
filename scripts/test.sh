#!/usr/bin/env bash
# The whole test suite: unit tests, then end-to-end tests on lab hosts (real systemd, OpenSSH,
# apt). Needs root for the lab.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# The lab tests boot Debian 12 and 13 hosts. Each release's image and package repository (built
# once, then cached) are built here while the unit tests run, side by side; a lab test that needs
# one still being built waits for it (a lock per image) rather than building it itself.
cache_log="$(mktemp -t bgpmesh-lab-cache.XXXXXX)"
node dist/cli.js lab cache --release bookworm,trixie >"$cache_log" 2>&1 &
cache=$!
status=0
npm test || status=$?
if ! wait "$cache"; then
  echo "test: building the lab images failed (the lab tests built what they needed themselves):" >&2
  tail -20 "$cache_log" >&2
fi
rm -f "$cache_log"
exit $status
