#!/bin/bash
# Entrypoint of the Spark runtime image. It keeps the contract that Spark's
# Kubernetes submission client and driver expect of an image:
#   driver ARGS...    spark-submit in client mode inside the driver pod, bound
#                     to $SPARK_DRIVER_BIND_ADDRESS (the pod IP);
#   executor          the executor backend, from the SPARK_EXECUTOR_* and
#                     SPARK_DRIVER_URL variables the driver sets on the pod;
#   anything else     run as given.
# Also honoured: SPARK_JAVA_OPT_<n> (JVM options in order of n),
# SPARK_CLASSPATH, SPARK_EXTRA_CLASSPATH, SPARK_CONF_DIR, HADOOP_CONF_DIR,
# HADOOP_HOME and SPARK_DIST_CLASSPATH, SPARK_USER_NAME, K8S_SPARK_LOG_PATH.
#
# One addition: SPOTGUIDE_DRIVER_HOST=pod-ip makes the driver advertise its
# pod IP instead of its Service's DNS name. Spark 4.0 always advertises
# <service>.<namespace>.svc to the executors; on a cluster without DNS that
# name resolves nowhere and no executor ever registers. The submission
# client refuses a user-set spark.driver.host, but the driver itself takes
# one from its command line, which wins over its properties file.
set -euo pipefail

die() { echo "entrypoint: $*" >&2; exit 1; }

# Hadoop's user lookup needs a passwd entry for the uid the pod runs as.
uid=$(id -u)
gid=$(id -g)
if ! cut -d: -f3 /etc/passwd | grep -qx "$uid"; then
  if [[ -w /etc/passwd ]]; then
    echo "${uid}:x:${uid}:${gid}:${SPARK_USER_NAME:-anonymous uid}:${SPARK_HOME}:/bin/false" >>/etc/passwd
  else
    echo "entrypoint: uid ${uid} has no passwd entry and /etc/passwd is read-only; run as uid 185 (spark) if Hadoop's user lookup fails" >&2
  fi
fi

classpath="${SPARK_CLASSPATH:+${SPARK_CLASSPATH}:}${SPARK_HOME}/jars/*"
[[ -n "${SPARK_EXTRA_CLASSPATH:-}" ]] && classpath+=":${SPARK_EXTRA_CLASSPATH}"
if [[ -n "${HADOOP_HOME:-}" && -z "${SPARK_DIST_CLASSPATH:-}" ]]; then
  SPARK_DIST_CLASSPATH="$("${HADOOP_HOME}/bin/hadoop" classpath)"
  export SPARK_DIST_CLASSPATH
fi
[[ -n "${HADOOP_CONF_DIR+x}" ]] && classpath="${HADOOP_CONF_DIR}:${classpath}"
classpath="${SPARK_CONF_DIR:-${SPARK_HOME}/conf}:${classpath}"

# SPARK_JAVA_OPT_0, _1, ...: the executor's JVM options, in numeric order.
java_opts=()
while IFS= read -r n; do
  var="SPARK_JAVA_OPT_${n}"
  java_opts+=("${!var}")
done < <(compgen -e | sed -n 's/^SPARK_JAVA_OPT_\([0-9][0-9]*\)$/\1/p' | sort -n)

need() {
  local v
  for v in "$@"; do [[ -n "${!v:-}" ]] || die "$v is not set: the $mode mode needs it (Spark's driver sets it on the pod)"; done
}

mode="${1:-}"
case "$mode" in
  driver)
    shift
    need SPARK_DRIVER_BIND_ADDRESS
    cmd=("${SPARK_HOME}/bin/spark-submit" --conf "spark.driver.bindAddress=${SPARK_DRIVER_BIND_ADDRESS}")
    case "${SPOTGUIDE_DRIVER_HOST:-}" in
      "") ;;
      pod-ip) cmd+=(--conf "spark.driver.host=${SPARK_DRIVER_BIND_ADDRESS}") ;;
      *) die "SPOTGUIDE_DRIVER_HOST must be empty or pod-ip, not '${SPOTGUIDE_DRIVER_HOST}'" ;;
    esac
    cmd+=(--deploy-mode client "$@")
    ;;
  executor)
    shift
    need SPARK_EXECUTOR_MEMORY SPARK_DRIVER_URL SPARK_EXECUTOR_ID SPARK_EXECUTOR_CORES SPARK_APPLICATION_ID \
      SPARK_EXECUTOR_POD_IP SPARK_RESOURCE_PROFILE_ID SPARK_EXECUTOR_POD_NAME
    cmd=("${JAVA_HOME}/bin/java" "${java_opts[@]}" "-Xms${SPARK_EXECUTOR_MEMORY}" "-Xmx${SPARK_EXECUTOR_MEMORY}"
      -cp "${classpath}:${SPARK_DIST_CLASSPATH:-}"
      org.apache.spark.scheduler.cluster.k8s.KubernetesExecutorBackend
      --driver-url "$SPARK_DRIVER_URL" --executor-id "$SPARK_EXECUTOR_ID" --cores "$SPARK_EXECUTOR_CORES"
      --app-id "$SPARK_APPLICATION_ID" --hostname "$SPARK_EXECUTOR_POD_IP"
      --resourceProfileId "$SPARK_RESOURCE_PROFILE_ID" --podName "$SPARK_EXECUTOR_POD_NAME")
    ;;
  "") die "no command: give driver, executor, or a program to run" ;;
  *) cmd=("$@") ;;
esac

# tini is PID 1 (the image's ENTRYPOINT) and reaps and forwards signals, so
# the command replaces this shell.
if [[ -n "${K8S_SPARK_LOG_PATH:-}" ]]; then
  mkdir -p "$K8S_SPARK_LOG_PATH"
  exec "${cmd[@]}" > >(tee "${K8S_SPARK_LOG_PATH}/stdout") 2> >(tee "${K8S_SPARK_LOG_PATH}/stderr" >&2)
fi
exec "${cmd[@]}"
