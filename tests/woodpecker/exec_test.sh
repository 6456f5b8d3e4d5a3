#!/usr/bin/env bash
# Runs our plugin binaries as Woodpecker plugin steps with the real
# woodpecker-cli (`exec --backend-engine local`), the mechanism scripts/demo
# uses: settings must arrive as PLUGIN_*, the step's output must show in the
# log, and a failing step must fail the run and stop the steps after it.
#   tests/woodpecker/exec_test.sh <bin dir>
set -euo pipefail
bin_dir="$(realpath "$1")"
root="$(cd "$(dirname "$0")/../.." && pwd)"
cli="$("$root/scripts/testenv" woodpecker env | sed -n 's/^SPOTGUIDE_WOODPECKER_CLI=//p')"
[[ -x "$cli" ]] || { echo "FAIL: woodpecker-cli not installed (scripts/testenv woodpecker install)"; exit 1; }
work="$(mktemp -d "${TMPDIR:-/tmp}/wp-exec-test.XXXXXX")"
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; echo "--- output"; cat "$work/out"; exit 1; }

printf '%s\n' '{"brokers":[{"id":1,"rack":"r1","alive":true},{"id":2,"rack":"r2","alive":true},{"id":3,"rack":"r1","alive":false}],"partitions":[{"topic":"orders","partition":0,"replicas":[1,3],"size_bytes":1048576}]}' >"$work/topology.json"

# 1. A passing plugin step: settings (a scalar and a list) become PLUGIN_*.
cat >"$work/ok.yaml" <<YAML
skip_clone: true
steps:
  heal-plan:
    image: $bin_dir/kafka-rebalance
    settings:
      topology_file: $work/topology.json
      goal: heal
      expected_broker_ids: [1, 2, 3]
YAML
rc=0
"$cli" exec --backend-engine local --commit-sha 0123abcd --commit-branch main --pipeline-event push \
    "$work/ok.yaml" >"$work/out" 2>&1 || rc=$?
[[ $rc -eq 0 ]] || fail "passing workflow exited $rc"
grep -q 'REPLICAS_MOVED=1' "$work/out" || fail "kafka-rebalance's plan is not in the log"
grep -q 'kafka-rebalance heal: 1 partitions to change' "$work/out" || fail "goal setting did not arrive"
echo "ok: plugin step ran with its settings"

# 2. A failing step (invalid settings: exit 2) fails the run; later steps do not run.
cat >"$work/fail.yaml" <<YAML
skip_clone: true
steps:
  bad-settings:
    image: $bin_dir/kafka-rebalance
    settings:
      topology_file: $work/topology.json
      mode: explode
  never:
    image: $bin_dir/kafka-rebalance
    settings:
      topology_file: $work/topology.json
YAML
rc=0
"$cli" exec --backend-engine local "$work/fail.yaml" >"$work/out" 2>&1 || rc=$?
[[ $rc -ne 0 ]] || fail "a failing step did not fail the run"
grep -q 'PLUGIN_MODE' "$work/out" || fail "the invalid-settings message does not name PLUGIN_MODE"
grep -q 'exit code 2' "$work/out" || fail "woodpecker did not report the step's exit code 2"
! grep -q 'REPLICAS_MOVED' "$work/out" || fail "the step after the failing one ran"
echo "ok: failing step failed the run with exit code 2"
echo "2 passed, 0 failed"
