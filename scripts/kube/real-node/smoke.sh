#!/usr/bin/env bash
# End-to-end check of the real node of a running `scripts/testenv kube up
# --real-node` environment (docs/real-node.md), with the built kubectl as the
# client. Leaves nothing behind (its namespace is deleted on exit).
#
# Checks: the node is Ready and runs the env's kubelet version; a pod on it
# running `sh -c 'echo hello; echo world; exit 3'` reaches phase Failed with
# exit code 3 and `kubectl logs` (and `logs -f`) shows the two lines; a Job
# whose command succeeds completes. Prints the latencies it measured.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
env_out="$("${here}/../../testenv" kube env)" || { echo "smoke: environment not up (scripts/testenv kube up --real-node)" >&2; exit 1; }
eval "$env_out"
[[ -n "${SPOTGUIDE_KUBE_REAL_NODE:-}" ]] || { echo "smoke: no real node (scripts/testenv kube up --real-node)" >&2; exit 1; }

k() { "$SPOTGUIDE_KUBECTL" --kubeconfig "$SPOTGUIDE_KUBECONFIG" "$@"; }
now_ms() { date +%s%3N; }
pass() { printf 'smoke(real-node): PASS %s\n' "$*"; }
fail() { printf 'smoke(real-node): FAIL %s\n' "$*" >&2; exit 1; }

t0=$(now_ms)
ns="spotguide-rn-smoke-$$"
work="$(mktemp -d)"
cleanup() {
    k delete namespace "$ns" --wait=false >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

node="$SPOTGUIDE_KUBE_REAL_NODE"
image="$SPOTGUIDE_KUBE_REAL_NODE_IMAGE"

# --- the node
ready="$(k get node "$node" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')"
[[ "$ready" == True ]] || fail "node ${node} is not Ready (${ready})"
kubelet_version="$(k get node "$node" -o jsonpath='{.status.nodeInfo.kubeletVersion}')"
[[ "$kubelet_version" == "$SPOTGUIDE_KUBE_VERSION" ]] || fail "kubelet ${kubelet_version}, expected ${SPOTGUIDE_KUBE_VERSION}"
pass "node ${node} Ready, kubelet ${kubelet_version}, runtime $(k get node "$node" -o jsonpath='{.status.nodeInfo.containerRuntimeVersion}')"

k create namespace "$ns" >/dev/null
for _ in $(seq 100); do k -n "$ns" get serviceaccount default >/dev/null 2>&1 && break; sleep 0.1; done

# What every pod here needs to land on the real node (and only there): its
# label, its taint, and an image that is never pulled. A short grace period
# because busybox sh as PID 1 ignores SIGTERM.
pod_spec_common() {
    cat <<YAML
      nodeSelector:
        spotguide.test/real-node: "true"
      tolerations:
      - key: spotguide.test/real-node
        operator: Exists
        effect: NoSchedule
      terminationGracePeriodSeconds: 1
      restartPolicy: Never
YAML
}

# --- a pod that prints two lines and exits 3
t_create=$(now_ms)
k -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: exit3
spec:
$(pod_spec_common | sed 's/^    //')
  containers:
  - name: main
    image: ${image}
    imagePullPolicy: Never
    command: ["sh", "-c", "echo hello; echo world; exit 3"]
YAML
k -n "$ns" wait --for=jsonpath='{.status.phase}'=Failed pod/exit3 --timeout=120s >/dev/null || {
    k -n "$ns" describe pod exit3 >&2 || true
    fail "pod exit3 never reached phase Failed"
}
failed_ms=$(( $(now_ms) - t_create ))
on_node="$(k -n "$ns" get pod exit3 -o jsonpath='{.spec.nodeName}')"
[[ "$on_node" == "$node" ]] || fail "pod exit3 ran on ${on_node}, expected ${node}"
exit_code="$(k -n "$ns" get pod exit3 -o jsonpath='{.status.containerStatuses[0].state.terminated.exitCode}')"
[[ "$exit_code" == 3 ]] || fail "exit code ${exit_code}, expected 3"
expected=$'hello\nworld'
logs="$(k -n "$ns" logs exit3)"
[[ "$logs" == "$expected" ]] || fail "kubectl logs returned: ${logs}"
# The container has exited, so a followed stream must end by itself.
timeout 30 "$SPOTGUIDE_KUBECTL" --kubeconfig "$SPOTGUIDE_KUBECONFIG" -n "$ns" logs -f exit3 >"${work}/logs" ||
    fail "kubectl logs -f did not end by itself"
[[ "$(cat "${work}/logs")" == "$expected" ]] || fail "kubectl logs -f returned: $(cat "${work}/logs")"
pass "pod exit3 on ${node}: phase Failed, exit code 3, logs 'hello','world' (create -> Failed ${failed_ms} ms)"

# --- a long-running pod: the usual pod start latency (create -> Ready)
t_create=$(now_ms)
k -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: sleeper
spec:
$(pod_spec_common | sed 's/^    //')
  containers:
  - name: main
    image: ${image}
    imagePullPolicy: Never
    command: ["sleep", "3600"]
YAML
k -n "$ns" wait --for=condition=Ready pod/sleeper --timeout=120s >/dev/null || fail "pod sleeper never Ready"
ready_ms=$(( $(now_ms) - t_create ))
t_delete=$(now_ms)
k -n "$ns" delete pod sleeper --timeout=60s >/dev/null || fail "pod sleeper was not deleted"
delete_ms=$(( $(now_ms) - t_delete ))
pass "pod sleeper: create -> Ready ${ready_ms} ms, delete ${delete_ms} ms"

# --- a Job whose command succeeds completes. It prints its namespace from
# the ServiceAccount volume, which proves that the kubelet's volume mounts
# (made in its own mount namespace) reach the container.
t_create=$(now_ms)
k -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: batch/v1
kind: Job
metadata:
  name: ok-job
spec:
  backoffLimit: 0
  template:
    spec:
$(pod_spec_common)
      containers:
      - name: main
        image: ${image}
        imagePullPolicy: Never
        command: ["cat", "/var/run/secrets/kubernetes.io/serviceaccount/namespace"]
YAML
k -n "$ns" wait --for=condition=Complete job/ok-job --timeout=120s >/dev/null || {
    k -n "$ns" describe job ok-job >&2 || true
    fail "job ok-job did not complete"
}
job_ms=$(( $(now_ms) - t_create ))
job_pod="$(k -n "$ns" get pods -l job-name=ok-job -o jsonpath='{.items[0].metadata.name}')"
job_state="$(k -n "$ns" get pod "$job_pod" \
    -o jsonpath='{.spec.nodeName} {.status.phase} {.status.containerStatuses[0].state.terminated.exitCode}')"
[[ "$job_state" == "${node} Succeeded 0" ]] || fail "job pod: ${job_state}, expected '${node} Succeeded 0'"
[[ "$(k -n "$ns" logs "$job_pod")" == "$ns" ]] || fail "job pod log: $(k -n "$ns" logs "$job_pod"), expected ${ns}"
pass "Job ok-job completed on ${node}, read its ServiceAccount volume (create -> Complete ${job_ms} ms)"

printf 'smoke(real-node): all checks passed in %d ms\n' $(( $(now_ms) - t0 ))
