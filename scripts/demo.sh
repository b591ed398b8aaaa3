#!/usr/bin/env bash
# The main job on the built-in lab: three Debian 12 hosts on this machine, ready for
# `bgpmesh-provision apply`. Run `node dist/cli.js lab down` to remove them.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
node dist/cli.js lab up --hosts "${HOSTS:-3}"
node dist/cli.js lab status
