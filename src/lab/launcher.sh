#!/bin/sh
# Supervises one lab host. Joins the host's own cgroups before systemd-nspawn starts (nspawn
# --keep-unit runs the container in its starter's cgroup), boots the container again when it
# asks for a reboot (nspawn exits 133), and on SIGTERM lets nspawn power the container off.
# usage: launcher.sh "CGROUP_DIR..." systemd-nspawn ARGS...
cgroups=$1
shift
for dir in $cgroups; do
  echo $$ > "$dir/cgroup.procs" || exit 1
done
child=
trap 'if [ -n "$child" ]; then kill -TERM "$child" 2>/dev/null; wait "$child"; fi; exit 0' TERM INT
while :; do
  "$@" &
  child=$!
  wait "$child"
  rc=$?
  echo "launcher: systemd-nspawn exited with $rc at $(date +%T)"
  [ "$rc" = 133 ] || exit "$rc"
done
