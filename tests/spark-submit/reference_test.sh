#!/usr/bin/env bash
# The reference comparison: submits golden configurations with the native
# plugin against the real control plane and requires the created driver Pod,
# ConfigMap, Service and owned objects to equal, after normalisation, what
# Spark 4.0.5's own spark-submit created for the same arguments.
#
#   reference_test.sh PLUGIN_BIN NAME...          ours vs the committed golden
#   reference_test.sh --live PLUGIN_BIN NAME...   also re-run the real
#                       spark-submit now and require it to still match the
#                       golden (proves the goldens hold; needs the spark peer)
#
# NAME is a golden's base name (scripts/spark/golden/NAME.args). The goldens
# are capture.sh output (the real spark-submit, ~30-60 s of JVM per run), so
# the full matrix runs against them in seconds; --live re-captures a few.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "${here}/../.." && pwd)"
golden="${root}/scripts/spark/golden"
capture="${root}/scripts/spark/capture.sh"

live=0
[[ "${1:-}" == --live ]] && { live=1; shift; }
bin="${1:?usage: reference_test.sh [--live] PLUGIN_BIN NAME...}"
shift
[[ -x "$bin" ]] || { echo "reference: ${bin} is not executable" >&2; exit 1; }

objects() { jq -S '{pod, configMap, service, others}' "$1"; }

fail=0
for name in "$@"; do
    args="${golden}/${name}.args"
    want="${golden}/${name}.json"
    [[ -r "$args" && -r "$want" ]] || { echo "reference: no golden ${name} (.args and .json)" >&2; fail=1; continue; }
    out="$(mktemp)"
    t0=$(date +%s%N)
    if ! "$capture" --ours "$bin" "$args" >"$out"; then
        echo "FAIL ${name}: capture with the plugin failed" >&2
        fail=1; rm -f "$out"; continue
    fi
    ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    if [[ "$(jq -r '.pod == null' "$want")" == true ]]; then
        # spark-submit refused this one before creating anything: so must we,
        # with the invalid-settings exit code and nothing left behind.
        code="$(jq -r '.submit.exitCode' "$out")"
        if [[ "$(jq -r '.pod == null and (.others | length == 0)' "$out")" != true || "$code" != 2 ]]; then
            echo "FAIL ${name}: spark-submit refused this configuration; the plugin exited ${code} and created:" >&2
            jq -S '{pod, configMap, service, others}' "$out" >&2
            fail=1
        else
            echo "ok ${name}: refused like spark-submit ($(jq -r '.submit.log[-1] // ""' "$want" | cut -c1-120))"
        fi
    elif [[ "$(jq -r '.pod != null' "$out")" != true ]]; then
        echo "FAIL ${name}: the plugin created no driver pod; its output:" >&2
        jq -r '.submit' "$out" >&2
        fail=1
    elif ! diff -u <(objects "$want") <(objects "$out") >"${out}.diff"; then
        echo "FAIL ${name}: the plugin's objects differ from spark-submit's (- spark-submit, + plugin):" >&2
        cat "${out}.diff" >&2
        fail=1
    else
        echo "ok ${name} (${ms} ms incl. kubectl and cleanup)"
    fi
    # A driver that fails must fail the step: spark-submit exits 0 here, the
    # plugin exits with the driver container's code (the fake node's 3).
    if [[ "$name" == *driver-fails* ]]; then
        code="$(jq -r '.submit.exitCode' "$out")"
        [[ "$code" == 3 ]] || { echo "FAIL ${name}: plugin exit code ${code}, want the driver's 3" >&2; fail=1; }
    fi
    rm -f "$out" "${out}.diff"
    if (( live )); then
        now="$(mktemp)"
        if ! "$capture" "$args" >"$now"; then
            echo "FAIL ${name}: the real spark-submit capture failed" >&2; fail=1
        elif ! diff -u <(jq -S . "$want") <(jq -S . "$now") >"${now}.diff"; then
            echo "FAIL ${name}: the real spark-submit no longer matches the golden (- golden, + now):" >&2
            cat "${now}.diff" >&2
            echo "re-capture with: scripts/spark/capture.sh ${args} > ${want}" >&2
            fail=1
        else
            echo "ok ${name}: the real spark-submit still creates the golden objects"
        fi
        rm -f "$now" "${now}.diff"
    fi
done
exit "$fail"
