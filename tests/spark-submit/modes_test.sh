#!/usr/bin/env bash
# The plugin's modes against the real control plane (kwok nodes play the
# driver through the spotguide.test/* annotations of docs/testenv-kube.md):
#   wait      phases printed, the driver's log streamed, its exit code returned
#   no wait   the app id printed; then status and kill by app id / submission id
#   cancel    SIGTERM while waiting: the driver deleted within seconds, the
#             conf Secret holding a credential property deleted with it
#   operator  a SparkApplication created and watched until COMPLETED; no Spark
#             operator runs in the test env, so this script installs the CRD
#             and plays the operator's part by writing the status itself
#
#   modes_test.sh PLUGIN_BIN
set -euo pipefail
bin="${1:?usage: modes_test.sh PLUGIN_BIN}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
eval "$("${here}/../../scripts/testenv" kube env)"
k() { "$SPOTGUIDE_KUBECTL" --kubeconfig "$SPOTGUIDE_KUBECONFIG" "$@"; }
ns=spark-modes-test
work="$(mktemp -d)"
cleanup() {
    k delete namespace "$ns" --ignore-not-found --wait=false >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
# An earlier run deletes the namespace without waiting; creating pods in it
# while it is still terminating would be refused.
for _ in $(seq 600); do
    [[ "$(k get namespace "$ns" -o jsonpath='{.status.phase}' 2>/dev/null || true)" == Terminating ]] || break
    sleep 0.1
done
k create namespace "$ns" >/dev/null 2>&1 || true
for _ in $(seq 100); do k -n "$ns" get serviceaccount default >/dev/null 2>&1 && break; sleep 0.1; done

plugin_cmd=(env -i PATH="$PATH" HOME="$HOME" PLUGIN_KUBECONFIG_PATH="$SPOTGUIDE_KUBECONFIG" PLUGIN_SPARK_NAMESPACE="$ns"
    PLUGIN_IMAGE=apache/spark:4.0.5 PLUGIN_CLASS=org.apache.spark.examples.SparkPi
    PLUGIN_MAIN_RESOURCE=local:///opt/spark/examples/jars/spark-examples.jar PLUGIN_TIMEOUT=60s)
plugin() { "${plugin_cmd[@]}" "$@" "$bin"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

# 1. Submit and wait: the driver runs 1 s, logs two lines, exits 0.
rc=0
plugin PLUGIN_APP_NAME=waits \
    'PLUGIN_SPARK_SUBMIT_CONFIGS={"spark.kubernetes.driver.annotation.spotguide.test/run-seconds":"1","spark.kubernetes.driver.annotation.spotguide.test/log-lines":"Pi is roughly 3.14\nbye"}' \
    >"${work}/out" 2>"${work}/err" || rc=$?
[[ $rc -eq 0 ]] || { cat "${work}/err" >&2; fail "wait: exit ${rc}, want 0"; }
grep -q '^Pi is roughly 3.14$' "${work}/out" || { cat "${work}/out" >&2; fail "wait: driver log not streamed"; }
grep -q 'phase Running' "${work}/err" || { cat "${work}/err" >&2; fail "wait: no Running phase line"; }
grep -q 'phase Succeeded' "${work}/err" || { cat "${work}/err" >&2; fail "wait: no Succeeded phase line"; }
echo "ok wait: log streamed, phases printed, exit 0"

# 2. Submit and return, then status and kill by id.
plugin PLUGIN_APP_NAME=returns PLUGIN_WAIT=false PLUGIN_OUTPUT=json >"${work}/out" 2>"${work}/err" ||
    { cat "${work}/err" >&2; fail "no-wait submit failed"; }
app_id="$(jq -r '.outputs.APP_ID // empty' "${work}/out")"
[[ "$app_id" =~ ^spark-[0-9a-f]{32}$ ]] || { cat "${work}/out" >&2; fail "no-wait: no app id printed"; }
sid="$(jq -r '.outputs.SUBMISSION_ID' "${work}/out")"
k -n "$ns" get pod "${sid#*:}" >/dev/null || fail "no-wait: driver pod ${sid} missing"
plugin PLUGIN_MODE=status PLUGIN_APP_ID="$app_id" >"${work}/out" 2>"${work}/err" ||
    { cat "${work}/err" >&2; fail "status failed"; }
grep -q "${sid} phase" "${work}/out" || { cat "${work}/out" >&2; fail "status: no phase line"; }
plugin PLUGIN_MODE=kill PLUGIN_APP_ID="$sid" >"${work}/out" 2>"${work}/err" ||
    { cat "${work}/err" >&2; fail "kill failed"; }
for _ in $(seq 100); do k -n "$ns" get pod "${sid#*:}" >/dev/null 2>&1 || break; sleep 0.1; done
! k -n "$ns" get pod "${sid#*:}" >/dev/null 2>&1 || fail "kill: driver pod still there"
rc=0
plugin PLUGIN_MODE=status PLUGIN_APP_ID="$app_id" >/dev/null 2>&1 || rc=$?
[[ $rc -eq 1 ]] || fail "status of a killed app: exit ${rc}, want 1"
echo "ok no-wait: app id ${app_id}, status, kill"

# 3. Cancel while waiting: SIGTERM deletes the driver with a short grace
# period and says whether it is gone; the credential property travelled in
# the Secret (never the ConfigMap or the pod), which follows the driver.
secret_value='cancel-test-s3a-secret-value'
# exec: the signal must reach the plugin, not a subshell around it.
exec_plugin() { exec "${plugin_cmd[@]}" "$@" "$bin"; }
exec_plugin PLUGIN_APP_NAME=cancelled \
    "PLUGIN_SPARK_SUBMIT_CONFIGS={\"spark.kubernetes.driver.annotation.spotguide.test/run-seconds\":\"forever\",\"spark.kubernetes.driver.annotation.spotguide.test/log-lines\":\"working\",\"spark.hadoop.fs.s3a.secret.key\":\"${secret_value}\"}" \
    >"${work}/out" 2>"${work}/err" &
pid=$!
for _ in $(seq 600); do grep -q '^working$' "${work}/out" && break; sleep 0.1; done
grep -q '^working$' "${work}/out" || { kill "$pid"; cat "${work}/err" >&2; fail "cancel: the driver never ran"; }
app="$(k -n "$ns" get pods -l spark-app-name=cancelled -o jsonpath='{.items[0].metadata.labels.spark-app-selector}')"
secret="$(k -n "$ns" get secrets -o name | grep -- '-conf-secrets$' | head -n1)"
[[ -n "$secret" ]] || fail "cancel: no conf Secret created"
[[ "$(k -n "$ns" get "$secret" -o jsonpath='{.data.spark\.hadoop\.fs\.s3a\.secret\.key}' | base64 -d)" == "$secret_value" ]] ||
    fail "cancel: the conf Secret does not hold the value"
! k -n "$ns" get configmaps,pods -o yaml | grep -q "$secret_value" || fail "cancel: the credential is in a ConfigMap or pod"
start=$(date +%s%N)
kill -TERM "$pid"
rc=0; wait "$pid" || rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[[ $rc -eq 143 ]] || { cat "${work}/err" >&2; fail "cancel: exit ${rc}, want 143"; }
(( ms < 7000 )) || fail "cancel: took ${ms} ms"
left="$(k -n "$ns" get pods -l "spark-app-selector=${app}" -o name)"
if grep -q 'cleanup finished' "${work}/out"; then
    [[ -z "$left" ]] || fail "cancel: claims a finished cleanup but ${left} is still there"
else
    grep -q "cleanup NOT finished" "${work}/out" || { cat "${work}/out" "${work}/err" >&2; fail "cancel: no word on the cleanup"; }
fi
[[ -z "$left" ]] || fail "cancel: pods of ${app} outlived the plugin: ${left}"
for _ in $(seq 200); do k -n "$ns" get "$secret" >/dev/null 2>&1 || break; sleep 0.1; done
! k -n "$ns" get "$secret" >/dev/null 2>&1 || fail "cancel: ${secret} outlived its driver"
echo "ok cancel: exit 143 after ${ms} ms, driver gone, ${secret} deleted with it"

# 4. backend: operator.
k apply -f - >/dev/null <<'CRD'
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: sparkapplications.sparkoperator.k8s.io
  # *.k8s.io groups are protected; the operator's own CRD carries this too.
  annotations: {api-approved.kubernetes.io: "unapproved, a test stand-in for the Spark operator's CRD"}
spec:
  group: sparkoperator.k8s.io
  names: {kind: SparkApplication, plural: sparkapplications, singular: sparkapplication}
  scope: Namespaced
  versions:
  - name: v1beta2
    served: true
    storage: true
    subresources: {status: {}}
    schema:
      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
CRD
k wait --for condition=established crd/sparkapplications.sparkoperator.k8s.io --timeout=30s >/dev/null
plugin PLUGIN_APP_NAME=operated PLUGIN_BACKEND=operator >"${work}/out" 2>"${work}/err" &
pid=$!
name=""
# The name the plugin reports, not whatever the namespace holds.
for _ in $(seq 300); do
    name="$(sed -n 's|.*created SparkApplication '"$ns"'/\([^ ]*\).*|\1|p' "${work}/err" | head -n1)"
    [[ -n "$name" ]] && break; sleep 0.1
done
[[ -n "$name" ]] || { kill "$pid"; fail "operator: no SparkApplication created"; }
[[ "$(k -n "$ns" get sparkapplication "$name" -o jsonpath='{.spec.mainClass}')" == org.apache.spark.examples.SparkPi ]] ||
    fail "operator: wrong mainClass"
for state in SUBMITTED RUNNING COMPLETED; do
    k -n "$ns" patch sparkapplication "$name" --subresource=status --type=merge \
        -p "{\"status\":{\"applicationState\":{\"state\":\"${state}\"}}}" >/dev/null
    sleep 0.3
done
rc=0; wait "$pid" || rc=$?
[[ $rc -eq 0 ]] || {
    cat "${work}/err" >&2
    k -n "$ns" get sparkapplications -o yaml >&2 || true
    fail "operator: exit ${rc}, want 0"
}
grep -q 'COMPLETED' "${work}/err" || { cat "${work}/err" >&2; fail "operator: no COMPLETED line"; }
echo "ok operator: SparkApplication ${name} watched to COMPLETED"
