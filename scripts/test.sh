#!/usr/bin/env bash
# The whole test suite: unit tests, then end-to-end tests on lab hosts (real systemd, OpenSSH,
# apt). Needs root for the lab.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm test
