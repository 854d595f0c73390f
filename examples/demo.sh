#!/usr/bin/env bash
# make demo: the whole pattern on the local sandbox. Plan, apply, verify
# (offline and live: a tester's upload is denied, a developer's becomes a
# metadata record, its deletion another), reconcile, destroy, and stop the
# sandbox. Nothing is left running.
set -euo pipefail
cd "$(dirname "$0")/.."
xacct=${XACCT:-bin/xacct}
work=$(mktemp -d)
sandbox_pid=""
cleanup() {
  if [ -n "$sandbox_pid" ] && kill -0 "$sandbox_pid" 2>/dev/null; then
    kill -TERM "$sandbox_pid" && wait "$sandbox_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

step() { printf '\n\033[1m== %s\033[0m\n\n' "$*"; }

case "$(uname -m)" in
  x86_64|amd64) arch=x86_64 ;;
  aarch64|arm64) arch=arm64 ;;
  *) echo "demo: unsupported machine $(uname -m)" >&2; exit 1 ;;
esac
# The demo's own copy of the config: this machine's architecture (the sandbox
# runs the processor here) and a state file that goes away with the demo.
sed -e "s/architecture: x86_64 .*/architecture: $arch/" examples/demo.yaml > "$work/xacct.yaml"
printf 'state:\n  path: %s/state.json\n' "$work" >> "$work/xacct.yaml"
cfg="$work/xacct.yaml"

step "Start the sandbox: three accounts (and a management account) on this machine"
"$xacct" sandbox -c "$cfg" --listen 127.0.0.1:0 --env-file "$work/sandbox.env" --data-dir "$work/sandbox" >/dev/null 2>"$work/sandbox.log" &
sandbox_pid=$!
for _ in $(seq 1 300); do
  [ -s "$work/sandbox.env" ] && break
  kill -0 "$sandbox_pid" 2>/dev/null || { cat "$work/sandbox.log" >&2; exit 1; }
  sleep 0.1
done
[ -s "$work/sandbox.env" ] || { echo "demo: the sandbox did not start" >&2; exit 1; }
head -n 1 "$work/sandbox.log"
# shellcheck disable=SC1091
. "$work/sandbox.env"
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null NO_COLOR=1

step "xacct plan: what would be created in the three accounts"
"$xacct" plan -c "$cfg" | grep -E '^  [+~-] |^Access changes|^  ! |^Plan:|^No changes'

step "xacct apply (the plan above, then one line per change)"
"$xacct" apply -c "$cfg" --auto-approve | grep -E 'complete after|^Apply complete'

step "xacct plan again: nothing left to do"
"$xacct" plan -c "$cfg" --detailed-exitcode

step "xacct verify: who can reach the data, every principal and path, against the access intended"
"$xacct" verify -c "$cfg" | sed -n '1,4p;$p'

step "xacct verify --live: probe users walk every chain with real calls"
"$xacct" verify -c "$cfg" --live --live-wait 20s | sed -n '/^Live probes:/,$p'

step "xacct reconcile: a metadata record for every object version, no failed event waiting"
"$xacct" reconcile -c "$cfg"

step "xacct destroy"
"$xacct" destroy -c "$cfg" --auto-approve --force-delete-data | tail -n 2

step "Stop the sandbox"
kill -TERM "$sandbox_pid"
wait "$sandbox_pid" || true
sandbox_pid=""
echo "Stopped; no process is left running."
