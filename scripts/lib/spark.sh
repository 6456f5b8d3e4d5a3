# shellcheck shell=bash
# Peer "spark": Apache Spark's real spark-submit, as the reference the
# native spark-submit plugin is compared against. Spark comes from the
# `pyspark` package on PyPI (it carries bin/spark-submit and every jar,
# spark-kubernetes and the fabric8 client included) installed into a venv in
# the spotguide cache; it runs on the machine's JDK 17. `submit` runs it in
# cluster mode against the kube peer (scripts/testenv kube). No daemon: there
# is nothing to start or stop. docs/testenv-spark.md has the why, the
# measured costs and what spark-submit creates.

# Bump when the way Spark is installed changes (pip flags, checks), so that
# an install made by the old recipe is redone.
SPARK_INSTALL_RECIPE=1

# --- configuration -------------------------------------------------------------

spark_defaults() {
    # The newest 4.0.x on PyPI when this was written (2026-11). 4.0 is the
    # oldest line that is still Scala 2.13/Java 17 only and the one the
    # plugin targets first; 4.1+ changed the driver objects (see
    # docs/testenv-spark.md), so a bump means re-capturing the goldens.
    SPARK_VERSION="${SPOTGUIDE_SPARK_VERSION:-4.0.5}"
    SPARK_PYTHON="${SPOTGUIDE_PYTHON:-python3}"
    # KUBERNETES_CERTS_CLIENT_KEY_ALGO for the submission client; set by submit.
    SPARK_KEY_ALGO=""
    local java="${SPOTGUIDE_JAVA:-}"
    if [[ -z "$java" && -n "${JAVA_HOME:-}" && -x "${JAVA_HOME}/bin/java" ]]; then
        java="${JAVA_HOME}/bin/java"
    fi
    if [[ -z "$java" ]]; then
        java="$(command -v java 2>/dev/null || true)"
    fi
    SPARK_JAVA=""
    if [[ -n "$java" ]]; then
        SPARK_JAVA="$(readlink -f "$java" || true)"
    fi
}

spark_paths() {
    SPARK_CACHE="$(sg_cache_dir)"
    SPARK_ROOT="${SPARK_CACHE}/spark/${SPARK_VERSION}"
    SPARK_VENV="${SPARK_ROOT}/venv"
    SPARK_STAMP="${SPARK_ROOT}/.complete"
    # Shared with any other pip user of the cache. It keeps the wheel pip
    # builds from the sdist (pyspark is published as an sdist only), so a
    # lost venv is rebuilt without downloading or building again.
    SPARK_PIP_CACHE="${SPARK_CACHE}/pip"
    # SPARK_CONF_DIR of every submission unless `submit --conf-dir` says
    # otherwise: an empty directory, so that the driver's ConfigMap holds
    # spark.properties only and no spark-defaults.conf or spark-env.sh of a
    # developer's machine leaks into the goldens.
    SPARK_EMPTY_CONF="${SPARK_ROOT}/conf-empty"
    SPARK_STATE="$(sg_run_dir)/spark"
    SPARK_TESTENV_ENV="${SPARK_STATE}/testenv.env"
    SPARK_KUBE_ENV="$(sg_run_dir)/kube/testenv.env"
}

# Not keyed on the Python version: spark-submit is bash + Java and keeps
# working if the venv's interpreter goes away; asking Python would also cost
# ~0.3 s on every cached call.
spark_install_key() {
    printf 'spark %s recipe %s\n' "$SPARK_VERSION" "$SPARK_INSTALL_RECIPE"
}

spark_installed() {
    [[ -r "$SPARK_STAMP" && "$(head -n1 "$SPARK_STAMP")" == "$(spark_install_key)" ]] || return 1
    SPARK_HOME_DIR="$(sed -n 's/^home=//p' "$SPARK_STAMP")"
    [[ -x "${SPARK_HOME_DIR}/bin/spark-submit" ]]
}

spark_require_java() {
    [[ -n "$SPARK_JAVA" && -x "$SPARK_JAVA" ]] ||
        sg_die "java not found (Spark 4 needs 17 or 21; Debian: apt-get install openjdk-17-jre-headless, or set SPOTGUIDE_JAVA)"
    # JAVA_HOME is what bin/spark-class uses to find java.
    SPARK_JAVA_HOME="$(dirname "$(dirname "$SPARK_JAVA")")"
    local v=""
    # The JDK's release file answers in a millisecond; starting a JVM to ask
    # costs ~0.3 s, which would make a cached `install` or `env` slow.
    if [[ -r "${SPARK_JAVA_HOME}/release" ]]; then
        v="$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "${SPARK_JAVA_HOME}/release")"
    fi
    if [[ ! "$v" =~ ^[0-9]+$ ]]; then
        v="$("$SPARK_JAVA" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
    fi
    [[ "$v" =~ ^[0-9]+$ ]] || sg_die "cannot tell the version of ${SPARK_JAVA}"
    (( v >= 17 )) || sg_die "Spark ${SPARK_VERSION} needs Java 17 or newer; ${SPARK_JAVA} is Java ${v}"
}

# --- install -------------------------------------------------------------------

# Checks an installed SPARK_HOME: the Kubernetes resource manager and its
# client must be there (SparkSubmit otherwise fails with "Could not load
# KUBERNETES classes"), and spark-submit must start on this JDK.
spark_check_home() {
    local home="$1" jar
    for jar in "spark-kubernetes_2.13-${SPARK_VERSION}.jar" "spark-core_2.13-${SPARK_VERSION}.jar"; do
        [[ -r "${home}/jars/${jar}" ]] || sg_die "${home}/jars/${jar} is missing: not a Spark with Kubernetes support"
    done
    compgen -G "${home}/jars/kubernetes-client-[0-9]*.jar" >/dev/null ||
        sg_die "no fabric8 kubernetes-client jar in ${home}/jars"
    compgen -G "${home}/jars/kubernetes-httpclient-*.jar" >/dev/null ||
        sg_die "no fabric8 HTTP client jar in ${home}/jars"
    local out
    if ! out="$(spark_clean_env "$home" "${home}/bin/spark-submit" --version 2>&1 </dev/null)"; then
        printf '%s\n' "$out" >&2
        sg_die "${home}/bin/spark-submit --version failed"
    fi
    [[ "$out" == *"version ${SPARK_VERSION}"* ]] ||
        { printf '%s\n' "$out" >&2; sg_die "spark-submit does not report version ${SPARK_VERSION}"; }
}

spark_install() {
    spark_require_java
    if spark_installed; then
        return 0
    fi
    command -v "$SPARK_PYTHON" >/dev/null 2>&1 || sg_die "${SPARK_PYTHON} not found (need Python 3.9+ with venv)"
    sg_assert_outside_repo "$SPARK_CACHE" SPOTGUIDE_CACHE
    local t0
    t0="$(sg_now_ms)"
    # In a subshell so that the lock is released on return.
    (
        sg_lock "${SPARK_CACHE}/.install-spark.lock"
        # Another process may have installed while we waited for the lock.
        spark_installed && exit 0
        log="${SPARK_ROOT}/install.log"
        sg_mkdir "$SPARK_ROOT" "$SPARK_PIP_CACHE"
        rm -rf "$SPARK_VENV" "$SPARK_STAMP"
        sg_log "installing pyspark==${SPARK_VERSION} from PyPI into ${SPARK_VENV}"
        : >"$log"
        "$SPARK_PYTHON" -m venv "$SPARK_VENV" >>"$log" 2>&1 ||
            { tail -n 20 "$log" >&2; sg_die "python3 -m venv failed (Debian: apt-get install python3-venv)"; }
        # Exact pin: the goldens are facts about this one version.
        # --no-input and no version check: never stop to ask in CI.
        if ! PIP_CACHE_DIR="$SPARK_PIP_CACHE" "${SPARK_VENV}/bin/pip" install --no-input \
                --disable-pip-version-check "pyspark==${SPARK_VERSION}" >>"$log" 2>&1; then
            tail -n 30 "$log" >&2
            sg_die "pip install pyspark==${SPARK_VERSION} failed (full log: ${log})"
        fi
        home="$("${SPARK_VENV}/bin/python" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')" ||
            sg_die "pyspark installed but cannot be imported (log: ${log})"
        spark_check_home "$home"
        sg_mkdir "$SPARK_EMPTY_CONF"
        { spark_install_key; printf 'home=%s\n' "$home"; } >"${SPARK_STAMP}.tmp"
        mv "${SPARK_STAMP}.tmp" "$SPARK_STAMP"
    ) || exit 1
    spark_installed || sg_die "install finished but ${SPARK_STAMP} is not valid"
    SPARK_INSTALL_TIME="$(sg_since "$t0")"
    sg_log "installed Spark ${SPARK_VERSION} ($(du -sh "$SPARK_VENV" | cut -f1)) in ${SPARK_INSTALL_TIME}"
}

# --- environment ---------------------------------------------------------------

spark_env_lines() {
    sg_env_line SPOTGUIDE_SPARK_VERSION "$SPARK_VERSION"
    sg_env_line SPOTGUIDE_SPARK_HOME "$SPARK_HOME_DIR"
    sg_env_line SPOTGUIDE_SPARK_SUBMIT "${SPARK_HOME_DIR}/bin/spark-submit"
    sg_env_line SPOTGUIDE_SPARK_JAVA_HOME "$SPARK_JAVA_HOME"
    sg_env_line SPOTGUIDE_SPARK_EMPTY_CONF_DIR "$SPARK_EMPTY_CONF"
}

spark_write_env() {
    sg_mkdir "$SPARK_STATE"
    spark_env_lines >"${SPARK_TESTENV_ENV}.tmp"
    mv "${SPARK_TESTENV_ENV}.tmp" "$SPARK_TESTENV_ENV"
}

# spark_clean_env SPARK_HOME CMD [ARGS...]
# Runs CMD with the environment the goldens were captured with. Every
# variable dropped here changes what spark-submit creates or how it
# connects: SPARK_LOCAL_DIRS (local-dir volumes), HADOOP_CONF_DIR (an extra
# ConfigMap), PYSPARK_PYTHON / PYSPARK_DRIVER_PYTHON (driver env of Python
# apps), SPARK_CONF_DIR (ConfigMap files, spark-defaults.conf), KUBECONFIG
# and KUBERNETES_* (fabric8 auto-configuration would merge a developer's
# kubeconfig into the client). SPARK_USER is kept: it is the driver's
# SPARK_USER env value (the OS user name otherwise).
spark_clean_env() {
    local home="$1" v
    shift
    local -a unset=()
    for v in $(compgen -e); do
        case "$v" in
            SPARK_LOCAL_DIRS|SPARK_LOCAL_IP|SPARK_CONF_DIR|SPARK_HOME|SPARK_SUBMIT_OPTS|SPARK_PRINT_LAUNCH_COMMAND|\
            HADOOP_CONF_DIR|YARN_CONF_DIR|PYSPARK_PYTHON|PYSPARK_DRIVER_PYTHON|KUBECONFIG|KUBERNETES_*|_JAVA_OPTIONS|JAVA_TOOL_OPTIONS)
                unset+=(-u "$v") ;;
        esac
    done
    env "${unset[@]}" JAVA_HOME="$SPARK_JAVA_HOME" SPARK_HOME="$home" \
        SPARK_CONF_DIR="${SPARK_SUBMIT_CONF_DIR:-$SPARK_EMPTY_CONF}" \
        KUBERNETES_AUTH_TRYKUBECONFIG=false KUBERNETES_AUTH_TRYSERVICEACCOUNT=false \
        ${SPARK_KEY_ALGO:+KUBERNETES_CERTS_CLIENT_KEY_ALGO="$SPARK_KEY_ALGO"} \
        "$@"
}

# --- submit --------------------------------------------------------------------

spark_load_kube_env() {
    [[ -r "$SPARK_KUBE_ENV" ]] ||
        sg_die "the kube test env is not running (${SPARK_KUBE_ENV} missing); start it with: scripts/testenv kube up"
    local line key value
    while IFS= read -r line; do
        [[ "$line" == SPOTGUIDE_KUBE_*=* ]] || continue
        key="${line%%=*}"
        value="${line#*=}"
        printf -v "$key" '%s' "$value"
    done <"$SPARK_KUBE_ENV"
    [[ -n "${SPOTGUIDE_KUBE_SERVER:-}" && -r "${SPOTGUIDE_KUBE_CA_FILE:-}" ]] ||
        sg_die "${SPARK_KUBE_ENV} lacks SPOTGUIDE_KUBE_SERVER / SPOTGUIDE_KUBE_CA_FILE"
}

# spark_pre_args WAIT TOKEN_FILE: fills `pre` with the arguments every
# submission to the kube test env gets (master, credentials, wait). Shared by
# `submit` and `args`, so that the native plugin is handed exactly what the
# real spark-submit was handed.
spark_pre_args() {
    local wait="$1" token_file="$2"
    spark_load_kube_env
    pre=(--master "k8s://${SPOTGUIDE_KUBE_SERVER}" --deploy-mode cluster
         --conf "spark.kubernetes.authenticate.submission.caCertFile=${SPOTGUIDE_KUBE_CA_FILE}")
    if [[ -n "$token_file" ]]; then
        [[ -r "$token_file" ]] || sg_die "--token-file ${token_file} is not readable"
        pre+=(--conf "spark.kubernetes.authenticate.submission.oauthTokenFile=$(realpath "$token_file")")
    else
        pre+=(--conf "spark.kubernetes.authenticate.submission.clientCertFile=${SPOTGUIDE_KUBE_ADMIN_CERT_FILE}"
              --conf "spark.kubernetes.authenticate.submission.clientKeyFile=${SPOTGUIDE_KUBE_ADMIN_KEY_FILE}")
        # The kube peer's keys are ECDSA P-256 in PKCS#8 form. fabric8
        # (7.1) parses a PKCS#8 key as RSA unless told the algorithm, and
        # Spark has no setting for it, so the only way in is fabric8's own
        # auto-configuration variable (read even with kubeconfig off).
        if [[ "$(openssl x509 -in "$SPOTGUIDE_KUBE_ADMIN_CERT_FILE" -noout -text 2>/dev/null)" == \
                *"Public Key Algorithm: id-ecPublicKey"* ]]; then
            SPARK_KEY_ALGO=EC
        fi
    fi
    pre+=(--conf "spark.kubernetes.submission.waitAppCompletion=${wait}")
}

spark_submit_usage() {
    cat >&2 <<'USAGE'
usage: scripts/testenv spark submit [OPTIONS] [--] SPARK_SUBMIT_ARGS...

Runs the real spark-submit against the kube test env. It adds, before your
arguments (so a later --conf/--master of yours wins):
  --master k8s://$SPOTGUIDE_KUBE_SERVER --deploy-mode cluster
  --conf spark.kubernetes.authenticate.submission.caCertFile=$SPOTGUIDE_KUBE_CA_FILE
  --conf spark.kubernetes.authenticate.submission.clientCertFile=<admin cert>
  --conf spark.kubernetes.authenticate.submission.clientKeyFile=<admin key>
  --conf spark.kubernetes.submission.waitAppCompletion=false
Options (before the spark-submit arguments):
  --wait                waitAppCompletion=true instead
  --token-file FILE     authenticate with oauthTokenFile=FILE, not the admin cert
  --conf-dir DIR        SPARK_CONF_DIR=DIR (default: an empty directory, so the
                        driver ConfigMap holds spark.properties only)
  --no-auth             add neither --master nor any auth/wait conf (--status/--kill
                        still need --master; give it yourself)
  --measure FILE        write exit=, wall_ms=, max_rss_kb= (GNU time) to FILE
Prints spark-submit's output unchanged; the wall time goes to stderr.
USAGE
}

spark_submit() {
    local wait=false token_file="" measure="" auth=1
    SPARK_SUBMIT_CONF_DIR=""
    while [[ $# -gt 0 ]]; do
        case "$1" in
            --wait) wait=true; shift ;;
            --token-file) token_file="${2:?--token-file needs a file}"; shift 2 ;;
            --conf-dir) SPARK_SUBMIT_CONF_DIR="${2:?--conf-dir needs a directory}"; shift 2 ;;
            --no-auth) auth=0; shift ;;
            --measure) measure="${2:?--measure needs a file}"; shift 2 ;;
            -h|--help) spark_submit_usage; return 0 ;;
            --) shift; break ;;
            *) break ;;
        esac
    done
    spark_require_java
    spark_installed || sg_die "Spark ${SPARK_VERSION} is not installed; run: scripts/testenv spark install"
    if [[ -n "$SPARK_SUBMIT_CONF_DIR" ]]; then
        [[ -d "$SPARK_SUBMIT_CONF_DIR" ]] || sg_die "--conf-dir ${SPARK_SUBMIT_CONF_DIR} is not a directory"
        SPARK_SUBMIT_CONF_DIR="$(realpath "$SPARK_SUBMIT_CONF_DIR")"
    fi
    local -a pre=()
    if (( auth )); then
        spark_pre_args "$wait" "$token_file"
    fi
    local -a cmd=("${SPARK_HOME_DIR}/bin/spark-submit" "${pre[@]}" "$@")
    local t0 rc=0 ms
    local -a timer=()
    if [[ -n "$measure" ]]; then
        [[ -x /usr/bin/time ]] || sg_die "--measure needs GNU time (/usr/bin/time; Debian: apt-get install time)"
        timer=(/usr/bin/time -o "${measure}.time" -f '%M')
    fi
    t0="$(sg_now_ms)"
    spark_clean_env "$SPARK_HOME_DIR" ${timer[@]+"${timer[@]}"} "${cmd[@]}" || rc=$?
    ms=$(( $(sg_now_ms) - t0 ))
    if [[ -n "$measure" ]]; then
        # GNU time prints "Command exited with non-zero status N" first on failure.
        printf 'exit=%d\nwall_ms=%d\nmax_rss_kb=%s\n' "$rc" "$ms" \
            "$(tail -n1 "${measure}.time" 2>/dev/null)" >"$measure"
        rm -f "${measure}.time"
    fi
    sg_log "spark-submit exited ${rc} after $(( ms / 1000 )).$(( ms % 1000 / 100 ))s"
    return "$rc"
}

# --- verbs ---------------------------------------------------------------------

spark_usage() {
    cat >&2 <<'USAGE'
usage: scripts/testenv spark <verb> [args]

  up [--owner T]     same as install (no daemon; for scripts/test and ctest)
  down [--owner T]   nothing to stop
  install            install pyspark==VERSION from PyPI into a venv in the cache
                     (idempotent; ~0.3 s when installed), check it, write testenv.env
  env                print export lines (SPOTGUIDE_SPARK_HOME, SPOTGUIDE_SPARK_SUBMIT,
                     SPOTGUIDE_SPARK_VERSION, ...); needs a finished install
  args [WAIT]        print the arguments `submit` adds (master, credentials,
                     waitAppCompletion=WAIT, default false), one per line
  submit [OPTS] ARGS run the real spark-submit in cluster mode against the kube test
                     env (see: scripts/testenv spark submit --help)
  status             installed version, paths and size; exit 0 if installed, 3 if not

environment: SPOTGUIDE_SPARK_VERSION (default 4.0.5), SPOTGUIDE_JAVA, SPOTGUIDE_PYTHON.
See docs/testenv-spark.md.
USAGE
}

spark_status() {
    spark_require_java
    if ! spark_installed; then
        sg_log "Spark ${SPARK_VERSION} is not installed (no valid ${SPARK_STAMP})"
        return 3
    fi
    printf 'spark %s\nhome %s\njava %s\nvenv %s (%s)\n' "$SPARK_VERSION" "$SPARK_HOME_DIR" \
        "$SPARK_JAVA" "$SPARK_VENV" "$(du -sh "$SPARK_VENV" | cut -f1)"
}

testenv_spark() {
    local verb="${1:-help}"
    [[ $# -gt 0 ]] && shift
    spark_defaults
    spark_paths
    [[ "$SPARK_VERSION" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || sg_die "SPOTGUIDE_SPARK_VERSION must look like 4.0.5"
    case "$verb" in
        install)
            [[ $# -eq 0 ]] || sg_die "install takes no arguments"
            local t0
            t0="$(sg_now_ms)"
            spark_install
            spark_write_env
            sg_log "spark ${SPARK_VERSION} ready in $(sg_since "$t0"): ${SPARK_HOME_DIR}/bin/spark-submit"
            ;;
        up)
            # For scripts/test and ctest fixtures, which start every peer with
            # `up [--owner T]`: Spark has no daemon, so up is the install.
            [[ "${1:-}" == --owner ]] && shift 2
            [[ $# -eq 0 ]] || sg_die "up takes only --owner"
            spark_install
            spark_write_env
            sg_log "spark ${SPARK_VERSION} ready: ${SPARK_HOME_DIR}/bin/spark-submit"
            ;;
        down)
            # Nothing runs; the install stays in the cache.
            ;;
        env)
            spark_require_java
            spark_installed || sg_die "not installed; run: scripts/testenv spark install"
            # Rewritten each time: the run dir may have been wiped since install.
            spark_write_env
            local line
            while IFS= read -r line; do
                [[ -n "$line" ]] && printf 'export %s\n' "$line"
            done <"$SPARK_TESTENV_ENV"
            ;;
        submit) spark_submit "$@" ;;
        args)
            # The arguments `submit` adds, one per line (for the native plugin).
            local -a pre=()
            spark_pre_args "${1:-false}" ""
            printf '%s\n' "${pre[@]}"
            ;;
        status) spark_status ;;
        help|-h|--help) spark_usage ;;
        *) spark_usage; sg_die "unknown verb '${verb}'" ;;
    esac
}
