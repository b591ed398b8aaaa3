#!/usr/bin/env bash
# The main job on the built-in lab: three Debian 12 hosts on this machine, provisioned with the
# shipped site.yml (etcd cluster, tinc, BIRD, node agent), then checks that the mesh converged.
# `node dist/cli.js lab down` removes them.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
node dist/cli.js lab up --hosts "${HOSTS:-3}"
inventory="${BGPMESH_LAB_ROOT:-/var/lib/bgpmesh/lab}/default/inventory.yml"
node dist/cli.js apply -i "$inventory"
# The node agents connect the nodes through etcd: wait until every BGP session is up.
node dist/cli.js verify -i "$inventory" --wait 60s
node dist/cli.js lab status
