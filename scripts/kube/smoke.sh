#!/usr/bin/env bash
# Quick end-to-end check of a running `scripts/testenv kube` environment, with
# the built kubectl as the client. Needs `scripts/testenv kube up` first; leaves
# nothing behind (its namespace is deleted on exit). Takes ~7 s.
#
# Checks: /version, a Job whose pod completes with exit 0, a pod annotated
# with exit-code 3 / run-seconds / log-lines that goes Pending -> Running ->
# Failed with exitCode 3 while `kubectl logs -f` prints the chosen lines and
# ends by itself, a plain pod that stays Running, and that the limited
# kubeconfig may list pods but gets Forbidden for secrets.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
env_out="$("${here}/../testenv" kube env)" || { echo "smoke: environment not up (scripts/testenv kube up)" >&2; exit 1; }
eval "$env_out"

k()  { "$SPOTGUIDE_KUBECTL" --kubeconfig "$SPOTGUIDE_KUBECONFIG" "$@"; }
kl() { "$SPOTGUIDE_KUBECTL" --kubeconfig "$SPOTGUIDE_KUBE_LIMITED_KUBECONFIG" "$@"; }
pass() { printf 'smoke: PASS %s\n' "$*"; }
fail() { printf 'smoke: FAIL %s\n' "$*" >&2; exit 1; }

t0=$(date +%s%3N)
ns="spotguide-smoke-$$"
work="$(mktemp -d)"
cleanup() {
    k delete namespace "$ns" --wait=false >/dev/null 2>&1 || true
    [[ -n "${watch_pid:-}" ]] && kill "$watch_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

# --- /version reports the pinned release, not v0.0.0-master
server_version="$(k version -o json | jq -r .serverVersion.gitVersion)"
client_version="$(k version -o json | jq -r .clientVersion.gitVersion)"
[[ "$server_version" == "$SPOTGUIDE_KUBE_VERSION" && "$client_version" == "$SPOTGUIDE_KUBE_VERSION" ]] ||
    fail "version: server ${server_version}, kubectl ${client_version}, expected ${SPOTGUIDE_KUBE_VERSION}"
pass "server and kubectl report ${server_version}"

k create namespace "$ns" >/dev/null
# The ServiceAccount admission plugin rejects pods until the controller
# manager has created the namespace's default ServiceAccount.
for _ in $(seq 100); do k -n "$ns" get serviceaccount default >/dev/null 2>&1 && break; sleep 0.1; done

# --- a Job without annotations completes with exit 0
k -n "$ns" apply -f - >/dev/null <<'YAML'
apiVersion: batch/v1
kind: Job
metadata:
  name: smoke-job
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: main
        image: busybox
        command: ["true"]
YAML
k -n "$ns" wait --for=condition=Complete job/smoke-job --timeout=60s >/dev/null ||
    fail "job smoke-job did not complete"
job_pod_state="$(k -n "$ns" get pods -l job-name=smoke-job \
    -o jsonpath='{.items[0].status.phase} {.items[0].status.containerStatuses[0].state.terminated.exitCode}')"
[[ "$job_pod_state" == "Succeeded 0" ]] || fail "job pod: ${job_pod_state}, expected 'Succeeded 0'"
pass "Job completed, its pod Succeeded with exit code 0"

# --- annotated pod: Pending -> Running -> Failed, exit code 3, chosen log lines
k -n "$ns" get pods --field-selector metadata.name=smoke-exit3 -w --no-headers \
    -o 'custom-columns=PHASE:.status.phase' >"${work}/phases" 2>/dev/null &
watch_pid=$!
sleep 0.3
k -n "$ns" apply -f - >/dev/null <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: smoke-exit3
  annotations:
    spotguide.test/exit-code: "3"
    spotguide.test/run-seconds: "2"
    spotguide.test/log-interval-ms: "300"
    spotguide.test/log-lines: |
      first line
      second line
      third line
spec:
  restartPolicy: Never
  containers:
  - name: main
    image: busybox
YAML
k -n "$ns" wait --for=jsonpath='{.status.phase}'=Running pod/smoke-exit3 --timeout=30s >/dev/null ||
    fail "pod smoke-exit3 never Running"
# A real kubelet ends a followed log stream when the container exits; so must
# the fake one, or this would hang until the timeout.
t_logs=$(date +%s%3N)
if ! timeout 30 "$SPOTGUIDE_KUBECTL" --kubeconfig "$SPOTGUIDE_KUBECONFIG" -n "$ns" logs -f smoke-exit3 >"${work}/logs"; then
    fail "kubectl logs -f did not end by itself when the container terminated"
fi
logs_ms=$(( $(date +%s%3N) - t_logs ))
k -n "$ns" wait --for=jsonpath='{.status.phase}'=Failed pod/smoke-exit3 --timeout=30s >/dev/null ||
    fail "pod smoke-exit3 never Failed"
exit_code="$(k -n "$ns" get pod smoke-exit3 -o jsonpath='{.status.containerStatuses[0].state.terminated.exitCode}')"
[[ "$exit_code" == 3 ]] || fail "exit code ${exit_code}, expected 3"
expected=$'first line\nsecond line\nthird line'
[[ "$(cat "${work}/logs")" == "$expected" ]] || fail "logs -f returned: $(cat "${work}/logs")"
[[ "$(k -n "$ns" logs smoke-exit3)" == "$expected" ]] || fail "kubectl logs (no follow) differs"
kill "$watch_pid" 2>/dev/null || true
wait "$watch_pid" 2>/dev/null || true
watch_pid=""
phases="$(uniq "${work}/phases" | paste -sd' ')"
[[ "$phases" == "Pending Running Failed" ]] || fail "phases seen: '${phases}', expected 'Pending Running Failed'"
pass "annotated pod went ${phases// / -> } with exit code 3; logs -f gave the 3 lines and ended after ${logs_ms} ms"

# --- a plain pod just runs
k -n "$ns" run smoke-plain --image=busybox --restart=Never >/dev/null
k -n "$ns" wait --for=condition=Ready pod/smoke-plain --timeout=30s >/dev/null || fail "plain pod not Ready"
sleep 1
phase="$(k -n "$ns" get pod smoke-plain -o jsonpath='{.status.phase}')"
[[ "$phase" == Running ]] || fail "plain pod is ${phase}, expected Running"
pass "plain pod is Running on node $(k -n "$ns" get pod smoke-plain -o jsonpath='{.spec.nodeName}')"

# --- the limited identity: pods yes, secrets no
kl -n "$SPOTGUIDE_KUBE_LIMITED_NAMESPACE" get pods >/dev/null 2>&1 || fail "limited kubeconfig cannot list pods"
if err="$(kl -n "$SPOTGUIDE_KUBE_LIMITED_NAMESPACE" get secrets 2>&1)"; then
    fail "limited kubeconfig could list secrets"
fi
[[ "$err" == *Forbidden* ]] || fail "listing secrets failed, but not with Forbidden: ${err}"
pass "limited kubeconfig lists pods, gets Forbidden for secrets"

printf 'smoke: all checks passed in %d ms\n' $(( $(date +%s%3N) - t0 ))
