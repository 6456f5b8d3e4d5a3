#!/usr/bin/env bash
# Runs the real spark-submit once with the arguments in ARGS_FILE, against the
# kube test env, and prints the normalised objects it created (JSON, see
# normalise.py) on stdout. Deletes everything it created before it exits. The
# golden files in scripts/spark/golden/ are this script's output, and the C++
# reference tests re-run it live to check they still hold.
#
# usage: scripts/spark/capture.sh [--keep] [--raw DIR] [--ours BIN] ARGS_FILE
#   ARGS_FILE   spark-submit arguments, one per line, taken literally (no
#               comments, no quoting). "@GOLDEN_DIR@" in a line becomes the
#               absolute directory of ARGS_FILE (pod template files live
#               there). The master, --deploy-mode, the submission credentials
#               and waitAppCompletion=false come from `scripts/testenv spark
#               submit`; an argument in the file overrides them (last wins).
#   <base>.setup.yaml   next to ARGS_FILE, optional: objects the submission
#               needs (namespace, ServiceAccount); applied first, deleted after.
#   --keep      leave the created objects in place (debugging)
#   --raw DIR   also save the raw kubectl JSON and spark-submit's output in DIR
#   --ours BIN  submit with the native plugin BIN (build/bin/spark-submit)
#               instead, handed the same arguments (args_to_settings.py), and
#               normalise what it created the same way
#
# Needs: scripts/testenv kube up, scripts/testenv spark install, jq.
# Exit status: 0 when the output was produced, whatever spark-submit's own
# exit code was (it is in the output); 1 on an error of this script.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
testenv="${here}/../testenv"

keep=0 raw="" ours=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        --keep) keep=1; shift ;;
        --raw) raw="${2:?--raw needs a directory}"; shift 2 ;;
        --ours) ours="${2:?--ours needs the plugin binary}"; shift 2 ;;
        -h|--help) sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) break ;;
    esac
done
[[ $# -eq 1 ]] || { echo "usage: capture.sh [--keep] [--raw DIR] [--ours BIN] ARGS_FILE" >&2; exit 1; }
args_file="$1"
[[ -r "$args_file" ]] || { echo "capture: cannot read ${args_file}" >&2; exit 1; }
golden_dir="$(cd "$(dirname "$args_file")" && pwd)"
base="${golden_dir}/$(basename "$args_file" .args)"

env_out="$("$testenv" kube env)" || { echo "capture: kube env not up (scripts/testenv kube up)" >&2; exit 1; }
eval "$env_out"
k() { "$SPOTGUIDE_KUBECTL" --kubeconfig "$SPOTGUIDE_KUBECONFIG" "$@"; }

work="$(mktemp -d)"
created_ns="" created_pod="" setup_applied=0
cleanup() {
    if (( keep == 0 )); then
        # The driver pod owns the Service, the ConfigMap and any Secret
        # (ownerReferences), but deleting them explicitly does not depend on
        # the garbage collector's timing before the next capture.
        if [[ -n "$created_pod" ]]; then
            k -n "$created_ns" delete pod "$created_pod" --ignore-not-found --wait=true --timeout=60s >/dev/null 2>&1 || true
            while read -r kind name; do
                k -n "$created_ns" delete "$kind" "$name" --ignore-not-found >/dev/null 2>&1 || true
            done <"${work}/owned" 2>/dev/null || true
        fi
        if (( setup_applied )); then
            k delete -f "${base}.setup.yaml" --ignore-not-found --wait=true --timeout=120s >/dev/null 2>&1 || true
        fi
    fi
    rm -rf "$work"
}
trap cleanup EXIT

args=()
while IFS= read -r line || [[ -n "$line" ]]; do
    args+=("${line//@GOLDEN_DIR@/$golden_dir}")
done <"$args_file"

if [[ -r "${base}.setup.yaml" ]]; then
    setup_applied=1
    k apply -f "${base}.setup.yaml" >/dev/null
    # A new namespace gets its default ServiceAccount from the controller
    # manager a moment later; until then the ServiceAccount admission plugin
    # rejects pods.
    for ns in $(k apply -f "${base}.setup.yaml" --dry-run=client -o json |
                jq -r '(if .kind == "List" then .items[] else . end) | select(.kind == "Namespace") | .metadata.name'); do
        for _ in $(seq 100); do k -n "$ns" get serviceaccount default >/dev/null 2>&1 && break; sleep 0.1; done
    done
fi

# SPARK_USER pins the driver's SPARK_USER env (the OS user name otherwise).
rc=0
if [[ -n "$ours" ]]; then
    mapfile -t pre < <("$testenv" spark args)
    settings=()
    while IFS= read -r line; do settings+=("$line"); done < <(python3 "${here}/args_to_settings.py" "${pre[@]}" "${args[@]}")
    # Only the plugin's settings: no kubeconfig or CI variables of the caller.
    env -i PATH="$PATH" HOME="$HOME" SPARK_USER=spotguide DRONE_OUTPUT="${work}/outputs" "${settings[@]}" \
        "$ours" >"${work}/stdout" 2>"${work}/stderr" || rc=$?
    # DRONE_OUTPUT is written on success only; a failed driver (exit code
    # non-zero) still has its "submission id NS:POD" log line.
    sid="$(sed -n 's/^SUBMISSION_ID=//p' "${work}/outputs" 2>/dev/null | head -n1 || true)"
    [[ -n "$sid" ]] || sid="$(grep -oE 'submission id [^ )]+:[^ )]+' "${work}/stderr" | head -n1 | sed 's/^submission id //' || true)"
else
    SPARK_USER=spotguide "$testenv" spark submit -- "${args[@]}" >"${work}/stdout" 2>"${work}/stderr" || rc=$?
    # "Deployed Spark application A with application ID I and submission ID
    # NS:POD into Kubernetes" (waitAppCompletion=false), or the watcher's
    # "... submission ID NS:POD finished" / "Application status for I" lines.
    sid="$(grep -oE 'submission ID [^ ]+:[^ ]+' "${work}/stderr" | head -n1 | sed 's/^submission ID //' || true)"
    if [[ -z "$sid" ]]; then
        app_id="$(grep -oE 'spark-[0-9a-f]{32}' "${work}/stderr" | head -n1 || true)"
        if [[ -n "$app_id" ]]; then
            # Look the pod up by its app id if the log line format changed.
            sid="$(k get pods -A -l "spark-app-selector=${app_id}" -o jsonpath='{.items[0].metadata.namespace}:{.items[0].metadata.name}' 2>/dev/null || true)"
        fi
    fi
fi

masks=(--mask "${SPOTGUIDE_KUBE_SERVER}=<KUBE_SERVER>"
       --mask "${SPOTGUIDE_KUBE_CA_FILE}=<KUBE_CA_FILE>"
       --mask "${SPOTGUIDE_KUBE_ADMIN_CERT_FILE}=<KUBE_CLIENT_CERT_FILE>"
       --mask "${SPOTGUIDE_KUBE_ADMIN_KEY_FILE}=<KUBE_CLIENT_KEY_FILE>"
       --mask "${golden_dir}=<GOLDEN_DIR>")

if [[ -n "$sid" && "$sid" == *:* ]]; then
    created_ns="${sid%%:*}"
    created_pod="${sid#*:}"
    k -n "$created_ns" get pod "$created_pod" -o json >"${work}/pod.json"
    pod_uid="$(jq -r .metadata.uid "${work}/pod.json")"
    # Everything the submission created is owned by the driver pod.
    k -n "$created_ns" get configmaps,services,secrets,persistentvolumeclaims -o json |
        jq --arg uid "$pod_uid" '{kind: "List", apiVersion: "v1",
            items: [.items[] | select(any(.metadata.ownerReferences[]?; .uid == $uid))]}' >"${work}/owned.json"
    jq -r '.items[] | "\(.kind) \(.metadata.name)"' "${work}/owned.json" >"${work}/owned"
    objects=("${work}/pod.json" "${work}/owned.json")
else
    objects=()
fi

if [[ -n "$raw" ]]; then
    mkdir -p "$raw"
    cp "${work}"/stdout "${work}"/stderr "$raw"/
    cp "${work}"/*.json "$raw"/ 2>/dev/null || true
fi

python3 "${here}/normalise.py" "${masks[@]}" --exit-code "$rc" --log "${work}/stderr" \
    ${objects[@]+"${objects[@]}"}
