#!/usr/bin/env bash
# A real Spark computation on the real node, submitted by our spark-submit:
# the Spark runtime image compiles tests/fixtures/spark-pi with its own JDK
# in a pod, then the plugin submits the jar with the confs that
# `scripts/testenv kube env` gives for the node (SPOTGUIDE_SPARK_REAL_NODE_CONFIGS).
# A driver and two executors run for real; the step streams the driver's log
# and exits with the driver's exit code.
#
#   spark_pi_test.sh SPARK_SUBMIT_BINARY
set -euo pipefail
plugin=$1
root="$(cd "$(dirname "$0")/../.." && pwd)"
eval "$("$root/scripts/testenv" kube env)"
kubectl() { "$SPOTGUIDE_KUBECTL" --kubeconfig "$SPOTGUIDE_KUBECONFIG" "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

# The application and its jar live in a host directory that the pods mount
# (the node is this machine); uid 185 of the image writes the jar.
work=$(mktemp -d /tmp/sg-spark-pi.XXXXXX)
ns=default
tag="sg-spark-pi-$$"
cleanup() {
  kubectl delete pod -n "$ns" -l "sg-test=${tag}" --ignore-not-found --wait=false >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
cp -r "$root/tests/fixtures/spark-pi" "$work/app"
chmod -R a+rwX "$work"

# Tolerations through a pod template, the form Spark itself has for them.
cat >"$work/tolerate.yaml" <<YAML
apiVersion: v1
kind: Pod
metadata: {labels: {sg-test: ${tag}}}
spec:
  tolerations: [{key: spotguide.test/real-node, operator: Exists, effect: NoSchedule}]
YAML

echo "--- compiling the application in the Spark image (${SPOTGUIDE_SPARK_IMAGE})"
kubectl apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Pod
metadata: {name: ${tag}-build, namespace: ${ns}, labels: {sg-test: ${tag}}}
spec:
  nodeSelector: {spotguide.test/real-node: "true"}
  tolerations: [{key: spotguide.test/real-node, operator: Exists, effect: NoSchedule}]
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  volumes: [{name: src, hostPath: {path: ${work}/app}}]
  containers:
  - {name: build, image: ${SPOTGUIDE_SPARK_IMAGE}, imagePullPolicy: Never, command: [/src/build.sh],
     volumeMounts: [{name: src, mountPath: /src}]}
YAML
kubectl wait -n "$ns" --for=jsonpath='{.status.phase}'=Succeeded "pod/${tag}-build" --timeout=120s >/dev/null ||
  { kubectl logs -n "$ns" "${tag}-build" >&2 || true; fail "the build pod did not succeed"; }
kubectl logs -n "$ns" "${tag}-build" | grep -q "BUILD SUCCESS" || fail "the build pod printed no BUILD SUCCESS"
[[ -s "$work/app/target/spark-pi.jar" ]] || fail "no jar was built"

confs=$(jq -c --arg t "$work/tolerate.yaml" --arg jar "$work/app/target" '. + {
  "spark.kubernetes.driver.podTemplateFile": $t, "spark.kubernetes.executor.podTemplateFile": $t,
  "spark.kubernetes.driver.volumes.hostPath.app.mount.path": "/app",
  "spark.kubernetes.driver.volumes.hostPath.app.options.path": $jar,
  "spark.kubernetes.executor.volumes.hostPath.app.mount.path": "/app",
  "spark.kubernetes.executor.volumes.hostPath.app.options.path": $jar}' <<<"$SPOTGUIDE_SPARK_REAL_NODE_CONFIGS")

submit() {
  env -i PATH="$PATH" HOME="$HOME" PLUGIN_KUBECONFIG_PATH="$SPOTGUIDE_KUBECONFIG" PLUGIN_CLASS=demo.SparkPi \
    PLUGIN_APP_NAME=spark-pi PLUGIN_IMAGE="$SPOTGUIDE_SPARK_IMAGE" PLUGIN_MAIN_RESOURCE=local:///app/spark-pi.jar \
    PLUGIN_EXECUTOR_INSTANCES=2 PLUGIN_SPARK_NAMESPACE="$ns" PLUGIN_SPARK_SUBMIT_CONFIGS="$confs" \
    PLUGIN_SPARK_SUBMIT_APP_ARGS="$1" "$plugin"
}

echo "--- SparkPi with a driver and two executors"
start=$SECONDS
set +e
submit '["4"]' >"$work/ok.log" 2>&1
rc=$?
set -e
grep -E "Pi is roughly|EXIT_CODE|Registered executor" "$work/ok.log" || true
((rc == 0)) || { tail -40 "$work/ok.log" >&2; fail "spark-submit exited $rc for a driver that succeeds"; }
line=$(grep -o "Pi is roughly [0-9.]* (400000 points in 4 slices, [0-9]* executors)" "$work/ok.log") ||
  fail "the driver's log, streamed by the step, has no result line"
pi=$(awk '{print $4}' <<<"$line")
awk -v p="$pi" 'BEGIN { exit !(p > 3.10 && p < 3.18) }' || fail "Pi came out as $pi"
[[ "$line" == *", 2 executors)" ]] || fail "the job did not run on two executors: $line"
# Both executors really ran tasks (their pod IPs are on the node's bridge).
execs=$(grep -oE "Finished task [0-9.]+ in stage [0-9.]+ \(TID [0-9]+\) in [0-9]+ ms on [0-9.]+ \(executor [0-9]+\)" "$work/ok.log" |
  sed 's/.*(executor \([0-9]*\))/\1/' | sort -u | wc -l)
((execs == 2)) || fail "tasks ran on $execs executors, not 2"
echo "ok: Pi = $pi on 2 executors in $((SECONDS - start)) s"

echo "--- a driver that throws"
set +e
submit '["2", "throw"]' >"$work/throw.log" 2>&1
rc=$?
set -e
grep -q "asked to fail by the argument 'throw'" "$work/throw.log" || { tail -30 "$work/throw.log" >&2; fail "the driver's exception is not in the step's log"; }
((rc == 1)) || fail "spark-submit exited $rc for a driver that died of an exception (its exit code is 1)"
grep -q "EXIT_CODE=1" "$work/throw.log" || fail "no EXIT_CODE=1 output"
echo "ok: the failing driver's exit code 1 is the step's"
