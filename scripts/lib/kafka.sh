# shellcheck shell=bash
# Peer "kafka": a real Apache Kafka cluster (KRaft, no ZooKeeper) on 127.0.0.1
# for integration tests: dedicated controller(s) plus four brokers in two
# racks, each broker with PLAINTEXT, SASL_PLAINTEXT (PLAIN, SCRAM-SHA-256/512)
# and SSL listeners. The jars come from Maven Central (Debian has no Kafka
# server) into the spotguide cache. docs/testenv-kafka.md has the why, the
# ports, the credentials and the measured costs.

# Bump when the way the jars are fetched changes in a way the generated pom
# does not show (the pom itself is part of the cache key).
KAFKA_FETCH_RECIPE=1

# --- configuration -------------------------------------------------------------

# Defaults; every value can be overridden through the environment at `up`. The
# values in effect are recorded in $KAFKA_STATE/config.env, so later verbs act
# on the running cluster, not on whatever the caller's environment says now.
kafka_defaults() {
    # 3.9 is the last line with ZooKeeper-era RPC versions still in place,
    # which Debian's librdkafka 2.0.2 needs (KIP-896 removes them in 4.0).
    KAFKA_VERSION="${SPOTGUIDE_KAFKA_VERSION:-3.9.2}"
    # The logging binding the 3.9 binary distribution ships
    # (gradle/dependencies.gradle); 4.x moved to log4j2 and would need others.
    KAFKA_RELOAD4J_VERSION="1.2.25"
    KAFKA_SLF4J_VERSION="1.7.36"
    KAFKA_DEPENDENCY_PLUGIN="org.apache.maven.plugins:maven-dependency-plugin:3.6.1"

    KAFKA_BROKER_COUNT="${SPOTGUIDE_KAFKA_BROKERS:-4}"
    # One controller is enough to kill any broker while the quorum stays up;
    # three cost two more JVMs but allow controller fail-over tests.
    KAFKA_CONTROLLER_COUNT="${SPOTGUIDE_KAFKA_CONTROLLERS:-1}"
    # Two racks with two brokers each: an RF-3 partition must span both, so a
    # rack-aware planner has real constraints to respect.
    KAFKA_RACKS="${SPOTGUIDE_KAFKA_RACKS:-r1,r1,r2,r2}"

    # Broker N listens on <base> + N - 1; controller 10K on <base> + K - 1.
    # Away from 9092/9093 so that a developer's own Kafka can coexist.
    KAFKA_PORT="${SPOTGUIDE_KAFKA_PORT:-19092}"
    KAFKA_SASL_PORT="${SPOTGUIDE_KAFKA_SASL_PORT:-19192}"
    KAFKA_SSL_PORT="${SPOTGUIDE_KAFKA_SSL_PORT:-19292}"
    KAFKA_CONTROLLER_PORT="${SPOTGUIDE_KAFKA_CONTROLLER_PORT:-19392}"

    KAFKA_SESSION_TIMEOUT_MS="${SPOTGUIDE_KAFKA_SESSION_TIMEOUT_MS:-3000}"
    KAFKA_HEARTBEAT_MS="${SPOTGUIDE_KAFKA_HEARTBEAT_MS:-500}"
    KAFKA_REPLICA_LAG_MS="${SPOTGUIDE_KAFKA_REPLICA_LAG_MS:-5000}"

    KAFKA_BROKER_HEAP="${SPOTGUIDE_KAFKA_BROKER_HEAP:-256m}"
    KAFKA_CONTROLLER_HEAP="${SPOTGUIDE_KAFKA_CONTROLLER_HEAP:-192m}"

    KAFKA_SASL_USER="spotguide"
    KAFKA_SASL_PASSWORD="spotguide-secret"
    KAFKA_SASL_LIMITED_USER="spotguide-limited"
    KAFKA_SASL_LIMITED_PASSWORD="spotguide-limited-secret"

    local java="${SPOTGUIDE_JAVA:-}"
    if [[ -z "$java" ]]; then
        java="$(command -v java 2>/dev/null || true)"
    fi
    # Resolved, because the pid files compare it with /proc/<pid>/exe.
    KAFKA_JAVA=""
    if [[ -n "$java" ]]; then
        KAFKA_JAVA="$(readlink -f "$java" || true)"
    fi

    # Garbage counts leave the lists empty; kafka_validate_config reports them.
    KAFKA_BROKER_IDS="" KAFKA_CONTROLLER_IDS=""
    if [[ "$KAFKA_BROKER_COUNT" =~ ^[0-9]{1,2}$ ]]; then
        KAFKA_BROKER_IDS="$(seq -s, 1 "$KAFKA_BROKER_COUNT")"
    fi
    if [[ "$KAFKA_CONTROLLER_COUNT" =~ ^[0-9]$ ]]; then
        KAFKA_CONTROLLER_IDS="$(seq -s, 101 $(( 100 + KAFKA_CONTROLLER_COUNT )))"
    fi
    KAFKA_CLUSTER_ID=""
}

kafka_paths() {
    KAFKA_CACHE="$(sg_cache_dir)"
    KAFKA_STATE="$(sg_run_dir)/kafka"
    KAFKA_PIDS="${KAFKA_STATE}/pids"
    KAFKA_LOGS="${KAFKA_STATE}/logs"
    KAFKA_DATA="${KAFKA_STATE}/data"
    KAFKA_CONF="${KAFKA_STATE}/config"
    KAFKA_PKI="${KAFKA_STATE}/pki"
    KAFKA_CLIENT_CONFIGS="${KAFKA_STATE}/client"
    KAFKA_CONFIG_ENV="${KAFKA_STATE}/config.env"
    KAFKA_TESTENV_ENV="${KAFKA_STATE}/testenv.env"
    KAFKA_SRC="${SG_SCRIPTS_DIR}/kafka"
    # Shared by every Maven user of the cache, so a second version or another
    # peer does not download the Maven plugins again.
    KAFKA_M2_REPO="${KAFKA_CACHE}/maven/repository"
}

kafka_lib_paths() {
    KAFKA_HOME="${KAFKA_CACHE}/kafka/${KAFKA_VERSION}"
    KAFKA_LIBS="${KAFKA_HOME}/libs"
}

# Everything config.env may carry; the loader ignores any other key.
KAFKA_SAVED_VARS=(KAFKA_VERSION KAFKA_JAVA KAFKA_BROKER_IDS KAFKA_CONTROLLER_IDS KAFKA_RACKS
                  KAFKA_PORT KAFKA_SASL_PORT KAFKA_SSL_PORT KAFKA_CONTROLLER_PORT
                  KAFKA_SESSION_TIMEOUT_MS KAFKA_HEARTBEAT_MS KAFKA_REPLICA_LAG_MS
                  KAFKA_BROKER_HEAP KAFKA_CONTROLLER_HEAP KAFKA_SASL_USER KAFKA_SASL_PASSWORD
                  KAFKA_SASL_LIMITED_USER KAFKA_SASL_LIMITED_PASSWORD KAFKA_CLUSTER_ID)

kafka_save_config() {
    local v
    for v in "${KAFKA_SAVED_VARS[@]}"; do
        sg_env_line "$v" "${!v}"
    done >"${KAFKA_CONFIG_ENV}.tmp"
    mv "${KAFKA_CONFIG_ENV}.tmp" "$KAFKA_CONFIG_ENV"
}

# Loads the configuration of the running cluster if there is one, the
# defaults otherwise. Prints nothing.
kafka_load_config() {
    kafka_paths
    kafka_defaults
    if [[ -r "$KAFKA_CONFIG_ENV" ]]; then
        local line key value v
        while IFS= read -r line; do
            [[ "$line" == *=* ]] || continue
            key="${line%%=*}"
            value="${line#*=}"
            for v in "${KAFKA_SAVED_VARS[@]}"; do
                if [[ "$key" == "$v" ]]; then
                    printf -v "$key" '%s' "$value"
                    break
                fi
            done
        done <"$KAFKA_CONFIG_ENV"
    fi
    kafka_lib_paths
    return 0
}

kafka_validate_config() {
    [[ "$KAFKA_BROKER_COUNT" =~ ^[1-9][0-9]?$ ]] || sg_die "SPOTGUIDE_KAFKA_BROKERS must be 1..99"
    [[ "$KAFKA_CONTROLLER_COUNT" =~ ^[1-9]$ ]] || sg_die "SPOTGUIDE_KAFKA_CONTROLLERS must be 1..9"
    local v
    for v in KAFKA_PORT KAFKA_SASL_PORT KAFKA_SSL_PORT KAFKA_CONTROLLER_PORT \
             KAFKA_SESSION_TIMEOUT_MS KAFKA_HEARTBEAT_MS KAFKA_REPLICA_LAG_MS; do
        [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || sg_die "SPOTGUIDE_${v} must be a number, not '${!v}'"
    done
    (( KAFKA_HEARTBEAT_MS < KAFKA_SESSION_TIMEOUT_MS )) ||
        sg_die "the heartbeat interval (${KAFKA_HEARTBEAT_MS} ms) must be below the session timeout (${KAFKA_SESSION_TIMEOUT_MS} ms)"
    [[ "$KAFKA_RACKS" =~ ^[A-Za-z0-9_.-]+(,[A-Za-z0-9_.-]+)*$ ]] ||
        sg_die "SPOTGUIDE_KAFKA_RACKS must be a comma-separated list of rack names"
    [[ "$KAFKA_VERSION" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || sg_die "SPOTGUIDE_KAFKA_VERSION must look like 3.9.2"
    # Tool class names and the logging binding are those of 3.9.
    [[ "$KAFKA_VERSION" == 3.9.* ]] ||
        sg_warn "Kafka ${KAFKA_VERSION} is untested here (3.9.x is); tool aliases or logging may not fit"
}

# --- nodes -----------------------------------------------------------------------

# Node ids: brokers 1..99, controllers 101.. . A plain number therefore names
# a node unambiguously on the command line.
kafka_is_controller() { (( $1 > 100 )); }

kafka_node_name() {
    if kafka_is_controller "$1"; then
        printf 'controller-%s\n' "$1"
    else
        printf 'broker-%s\n' "$1"
    fi
}

kafka_pidfile()  { printf '%s/%s.pid\n' "$KAFKA_PIDS" "$(kafka_node_name "$1")"; }
kafka_logfile()  { printf '%s/%s.log\n' "$KAFKA_LOGS" "$(kafka_node_name "$1")"; }
kafka_propfile() { printf '%s/%s.properties\n' "$KAFKA_CONF" "$(kafka_node_name "$1")"; }
kafka_datadir()  { printf '%s/%s\n' "$KAFKA_DATA" "$(kafka_node_name "$1")"; }

kafka_broker_port()      { echo $(( KAFKA_PORT + $1 - 1 )); }
kafka_broker_sasl_port() { echo $(( KAFKA_SASL_PORT + $1 - 1 )); }
kafka_broker_ssl_port()  { echo $(( KAFKA_SSL_PORT + $1 - 1 )); }
kafka_controller_port()  { echo $(( KAFKA_CONTROLLER_PORT + $1 - 101 )); }

kafka_node_ports() {
    if kafka_is_controller "$1"; then
        kafka_controller_port "$1"
    else
        echo "$(kafka_broker_port "$1") $(kafka_broker_sasl_port "$1") $(kafka_broker_ssl_port "$1")"
    fi
}

# Rack of broker N: the N-th entry of KAFKA_RACKS; brokers added beyond the
# list alternate in pairs (r1,r1,r2,r2,r1,r1,...) to keep two racks.
kafka_broker_rack() {
    local -a racks
    IFS=, read -r -a racks <<<"$KAFKA_RACKS"
    if (( $1 <= ${#racks[@]} )); then
        echo "${racks[$1 - 1]}"
    else
        echo "r$(( ($1 - 1) / 2 % 2 + 1 ))"
    fi
}

kafka_ids() {
    local -a ids
    IFS=, read -r -a ids <<<"$1"
    printf '%s\n' "${ids[@]}"
}

# All nodes, controllers first (the order in which they start).
kafka_all_ids() {
    kafka_ids "$KAFKA_CONTROLLER_IDS"
    kafka_ids "$KAFKA_BROKER_IDS"
}

kafka_has_id() {
    local want="$1" id
    while IFS= read -r id; do
        [[ "$id" == "$want" ]] && return 0
    done < <(kafka_all_ids)
    return 1
}

kafka_voters() {
    local id out=""
    while IFS= read -r id; do
        out+="${out:+,}${id}@127.0.0.1:$(kafka_controller_port "$id")"
    done < <(kafka_ids "$KAFKA_CONTROLLER_IDS")
    echo "$out"
}

kafka_bootstrap() {
    local fn="$1" id out=""
    while IFS= read -r id; do
        out+="${out:+,}127.0.0.1:$("$fn" "$id")"
    done < <(kafka_ids "$KAFKA_BROKER_IDS")
    echo "$out"
}

# Accepts 2, broker-2, b2, 101, controller-101, c101.
kafka_parse_node() {
    local arg="$1" id
    case "$arg" in
        broker-*) id="${arg#broker-}" ;;
        controller-*) id="${arg#controller-}" ;;
        b[0-9]*) id="${arg#b}" ;;
        c[0-9]*) id="${arg#c}" ;;
        *) id="$arg" ;;
    esac
    [[ "$id" =~ ^[1-9][0-9]*$ ]] || sg_die "'${arg}' is not a node (brokers: ${KAFKA_BROKER_IDS}; controllers: ${KAFKA_CONTROLLER_IDS})"
    echo "$id"
}

kafka_pid_gone() { ! sg_pid_alive "$1"; }

kafka_node_pid() { sg_pidfile_alive "$(kafka_pidfile "$1")"; }
kafka_node_alive() { kafka_node_pid "$1" >/dev/null; }

# A node stopped with `pause` (SIGSTOP) is alive but answers nothing.
kafka_node_paused() {
    local pid state
    pid="$(kafka_node_pid "$1")" || return 1
    state="$(sed -E 's/^[0-9]+ \(.*\) ([A-Za-z]).*/\1/' "/proc/${pid}/stat" 2>/dev/null)" || return 1
    [[ "$state" == T || "$state" == t ]]
}

kafka_node_listening() {
    local p
    for p in $(kafka_node_ports "$1"); do
        sg_port_in_use "$p" || return 1
    done
}

# Whether the log of the current run of a node (everything after the last
# start marker that sg_start_daemon writes) has a line matching the regex.
# One awk, no pipe: with pipefail, `... | grep -q` fails whenever grep stops
# reading early.
kafka_log_has() {
    awk -v re="$2" '/^==== /{found=0} $0 ~ re {found=1} END{exit !found}' "$(kafka_logfile "$1")" 2>/dev/null
}

# Ready = a controller listens; a broker has been unfenced by the controller,
# i.e. it is in the cluster metadata that clients see. The log line is what
# 3.9's BrokerLifecycleManager prints at exactly that transition; polling it
# costs nothing, where asking through a Kafka client costs a JVM start.
kafka_node_ready() {
    kafka_node_alive "$1" || return 1
    kafka_node_listening "$1" || return 1
    if kafka_is_controller "$1"; then
        return 0
    fi
    kafka_log_has "$1" 'Transitioning from RECOVERY to RUNNING'
}

kafka_rss_kb() {
    local pid
    pid="$(kafka_node_pid "$1")" || { echo 0; return; }
    awk '/^VmRSS:/{print $2}' "/proc/${pid}/status" 2>/dev/null || echo 0
}

# --- fetching the jars -----------------------------------------------------------

kafka_require_java() {
    [[ -n "$KAFKA_JAVA" && -x "$KAFKA_JAVA" ]] ||
        sg_die "java not found (need >= 11; Debian: apt-get install openjdk-17-jre-headless, or set SPOTGUIDE_JAVA)"
}

kafka_render_pom() {
    sed -e "s|@KAFKA_VERSION@|${KAFKA_VERSION}|g" \
        -e "s|@RELOAD4J_VERSION@|${KAFKA_RELOAD4J_VERSION}|g" \
        -e "s|@SLF4J_VERSION@|${KAFKA_SLF4J_VERSION}|g" \
        "${KAFKA_SRC}/pom.xml.in"
}

kafka_libs_complete() {
    local stamp="${KAFKA_LIBS}/.complete"
    [[ -r "$stamp" && "$(cat "$stamp")" == "$(kafka_fetch_key)" ]]
}

kafka_fetch_key() {
    printf 'kafka %s recipe %s pom %s\n' "$KAFKA_VERSION" "$KAFKA_FETCH_RECIPE" \
        "$(kafka_render_pom | sha256sum | cut -c1-16)"
}

# Copies kafka_2.13, kafka-tools and their runtime dependencies into
# $KAFKA_LIBS, keyed by version (and by the pom, so editing it refetches).
kafka_fetch() {
    kafka_require_java
    if kafka_libs_complete; then
        return 0
    fi
    command -v mvn >/dev/null 2>&1 || sg_die "mvn not found (Debian: apt-get install maven)"
    sg_assert_outside_repo "$KAFKA_CACHE" SPOTGUIDE_CACHE
    local t0
    t0="$(sg_now_ms)"
    # In a subshell so that the lock is released on return: `tool` execs Java
    # afterwards, which would otherwise hold it for its whole run.
    (
        sg_lock "${KAFKA_CACHE}/.fetch-kafka.lock"
        # Another process may have fetched while we waited for the lock.
        kafka_libs_complete && exit 0
        build="${KAFKA_HOME}/build"
        log="${KAFKA_HOME}/fetch.log"
        sg_log "fetching Kafka ${KAFKA_VERSION} jars from Maven Central into ${KAFKA_LIBS}"
        # Class-data archives record the jars' sizes and times; new jars void them.
        rm -rf "$build" "$KAFKA_LIBS" "${KAFKA_LIBS}.tmp" "${KAFKA_HOME}/cds"
        sg_mkdir "$build" "$KAFKA_M2_REPO"
        kafka_render_pom >"${build}/pom.xml"
        # -ntp keeps the log short; the local repository in the cache means a
        # fresh machine needs nothing but this script, and ~/.m2 stays untouched.
        if ! (cd "$build" && mvn -B -ntp -Dmaven.repo.local="$KAFKA_M2_REPO" \
                "${KAFKA_DEPENDENCY_PLUGIN}:copy-dependencies" \
                -DincludeScope=runtime -DoutputDirectory="${KAFKA_LIBS}.tmp") >"$log" 2>&1; then
            tail -n 30 "$log" >&2
            sg_die "fetching Kafka ${KAFKA_VERSION} failed (full log: ${log})"
        fi
        [[ -r "${KAFKA_LIBS}.tmp/kafka_2.13-${KAFKA_VERSION}.jar" ]] ||
            sg_die "Maven finished but kafka_2.13-${KAFKA_VERSION}.jar is missing (log: ${log})"
        mv "${KAFKA_LIBS}.tmp" "$KAFKA_LIBS"
        kafka_fetch_key >"${KAFKA_LIBS}/.complete"
    ) || exit 1
    KAFKA_FETCH_TIME="$(sg_since "$t0")"
    sg_log "fetched $(find "$KAFKA_LIBS" -name '*.jar' | wc -l) jars ($(du -sh "$KAFKA_LIBS" | cut -f1)) in ${KAFKA_FETCH_TIME}"
}

# --- running Java ----------------------------------------------------------------

# JVM flags shared by servers and tools. C1 only and the serial collector:
# on two cores, C2 compiler threads and G1's concurrent threads of half a
# dozen JVMs compete with the work the tests measure, and a cluster that
# serves test traffic gains nothing from peak-optimised code. Both also cut
# start-up time and resident memory. JVM warnings go to stderr (the default
# is stdout, which tests parse); the class-data-sharing ones are noise.
KAFKA_JVM_COMMON=(-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:+ExitOnOutOfMemoryError
                  -Djava.awt.headless=true -Xshare:auto -Xlog:disable "-Xlog:all=warning,cds*=off:stderr")

# --- class-data sharing ------------------------------------------------------------
#
# A JVM spends most of a Kafka CLI's ~2 s and a broker's ~4 s of CPU start-up
# loading and verifying classes. Dynamic CDS archives (JDK 13+) keep them
# pre-parsed: measured here, a tool then needs ~0.9 s instead of ~1.5 s of CPU
# and a broker 2.7 s instead of 4.1 s. JDK 17 cannot create them on demand
# (-XX:+AutoCreateSharedArchive is JDK 19), so we do, with two archives of
# 15-50 MB rather than one per tool (which would cost ~20 MB each for little
# more gain):
#   server.jsa  dumped by the first broker of a cluster when it stops; used by
#               the servers and by the Scala tools (kafka.*), which share
#               most of their classes with the broker;
#   tools.jsa   dumped by the first TopicCommand run against a cluster; used
#               by the Java tools (org.apache.kafka.*), which share its
#               admin-client classes.
# An archive is only used after a JVM accepted it with -Xshare:on, because a
# file cut short by a kill would otherwise be mapped.

# Archives belong to one JVM build and one set of jars (kafka_fetch removes
# them with the jars). Prints nothing when CDS is off or unusable.
kafka_cds_dir() {
    [[ "${SPOTGUIDE_KAFKA_CDS:-1}" == 1 ]] || return 0
    local libjvm
    libjvm="$(dirname "$(dirname "$KAFKA_JAVA")")/lib/server/libjvm.so"
    [[ -r "$libjvm" ]] || return 0
    printf '%s/cds/%s\n' "$KAFKA_HOME" \
        "$(printf '%s %s' "$KAFKA_JAVA" "$(stat -Lc '%s-%Y' "$libjvm")" | sha256sum | cut -c1-12)"
}

# Moves a freshly dumped archive into place if a JVM accepts it.
kafka_cds_adopt() {
    local tmp="$1" final="$2"
    if [[ -s "$tmp" ]] &&
        "$KAFKA_JAVA" -Xshare:on -XX:SharedArchiveFile="$tmp" -Xlog:disable \
            -cp "${KAFKA_LIBS}/*" -version >/dev/null 2>&1; then
        mv -f "$tmp" "$final"
    else
        rm -f "$tmp"
    fi
}

# One trainer per archive at a time: concurrent first runs (two test jobs)
# would each pay for a dump of the same thing. The claim is a directory
# holding the claimant's pid, so a claim left by a killed process is taken
# over.
kafka_cds_claim() {
    local claim="$1.claim" holder=""
    if mkdir "$claim" 2>/dev/null; then
        echo "$$" >"${claim}/pid"
        return 0
    fi
    read -r holder <"${claim}/pid" 2>/dev/null || true
    if [[ -n "$holder" ]] && ! sg_pid_alive "$holder"; then
        rm -rf "$claim"
        mkdir "$claim" 2>/dev/null || return 1
        echo "$$" >"${claim}/pid"
        return 0
    fi
    return 1
}

kafka_cds_release() { rm -rf "$1.claim"; }

# kafka_run_class exec|wait CLASS [ARGS...]
# Runs a Kafka main class with the tools' logging and the cached class path.
# "exec" replaces the shell (signals and stdin go straight to the JVM);
# "wait" returns its exit status.
kafka_run_class() {
    local mode="$1" class="$2"
    shift 2
    local -a jvm=("$KAFKA_JAVA" -Xmx256m "${KAFKA_JVM_COMMON[@]}"
                  -Dlog4j.configuration="file:${KAFKA_SRC}/tools-log4j.properties")
    local cds
    cds="$(kafka_cds_dir)"
    if [[ -n "$cds" ]]; then
        local tools="${cds}/tools.jsa" server="${cds}/server.jsa" a
        local -a prefer=("$tools" "$server")
        [[ "$class" == kafka.* ]] && prefer=("$server" "$tools")
        # Only a run that talks to a cluster loads the admin-client classes
        # worth archiving; `--help` would make a useless archive.
        if [[ ! -r "$tools" && "$class" == org.apache.kafka.tools.TopicCommand ]] &&
                [[ " $* " == *" --bootstrap-server"[\ =]* ]] &&
                mkdir -p "$cds" 2>/dev/null && kafka_cds_claim "$tools"; then
            kafka_run_class_training "$tools" "${jvm[@]}" -cp "${KAFKA_LIBS}/*" "$class" "$@"
            return
        fi
        for a in "${prefer[@]}"; do
            if [[ -r "$a" ]]; then
                jvm+=(-XX:SharedArchiveFile="$a")
                break
            fi
        done
    fi
    if [[ "$mode" == exec ]]; then
        exec "${jvm[@]}" -cp "${KAFKA_LIBS}/*" "$class" "$@"
    fi
    "${jvm[@]}" -cp "${KAFKA_LIBS}/*" "$class" "$@"
}

# The JVM must be a child here (the archive is moved into place after it
# exits), so signals are passed on: a test that stops this tool must not
# leave a JVM behind. Stdin is passed explicitly because a background job
# would otherwise read /dev/null (`seq 10 | tool produce ...`).
kafka_run_class_training() {
    local archive="$1"
    shift
    local tmp="${archive}.tmp.$$" child rc=0
    "$1" -XX:ArchiveClassesAtExit="$tmp" "${@:2}" <&0 &
    child=$!
    trap 'kill -TERM "$child" 2>/dev/null || true' TERM INT HUP
    wait "$child" || rc=$?
    # An interrupted wait returns early; wait again for the real status.
    while kill -0 "$child" 2>/dev/null; do
        rc=0
        wait "$child" || rc=$?
    done
    trap - TERM INT HUP
    kafka_cds_adopt "$tmp" "$archive"
    kafka_cds_release "$archive"
    return "$rc"
}

# The servers share one archive. Without one, the first broker started dumps
# its classes when it stops (down, stop, restart); a SIGKILLed broker dumps
# nothing and a later start tries again. Sets KAFKA_CDS_FLAGS, and
# KAFKA_CDS_TRAINING to the file being trained (kafka_launch_node records it).
kafka_server_cds() {
    local id="$1" cds archive
    KAFKA_CDS_FLAGS=()
    KAFKA_CDS_TRAINING=""
    cds="$(kafka_cds_dir)"
    [[ -n "$cds" ]] || return 0
    archive="${cds}/server.jsa"
    if [[ -r "$archive" ]]; then
        KAFKA_CDS_FLAGS=(-XX:SharedArchiveFile="$archive")
    elif ! kafka_is_controller "$id" && mkdir -p "$cds" 2>/dev/null && kafka_cds_claim "$archive"; then
        KAFKA_CDS_TRAINING="${archive}.tmp.$(kafka_node_name "$id").$$"
        KAFKA_CDS_FLAGS=(-XX:ArchiveClassesAtExit="$KAFKA_CDS_TRAINING")
    fi
}

kafka_cds_marker() { printf '%s/cds-training-%s
' "$KAFKA_STATE" "$(kafka_node_name "$1")"; }

# The claim then belongs to the broker's JVM, which outlives this shell.
kafka_server_cds_record() {
    local id="$1" pid cds
    [[ -n "${KAFKA_CDS_TRAINING:-}" ]] || return 0
    cds="$(kafka_cds_dir)"
    pid="$(kafka_node_pid "$id")" || return 0
    echo "$pid" >"${cds}/server.jsa.claim/pid"
    printf '%s %s\n' "$KAFKA_CDS_TRAINING" "$pid" >"$(kafka_cds_marker "$id")"
}

# After a node has stopped: adopt the archive it dumped, if it was training.
kafka_server_cds_collect() {
    local id="$1" marker tmp pid holder="" cds
    marker="$(kafka_cds_marker "$id")"
    [[ -r "$marker" ]] || return 0
    read -r tmp pid <"$marker" || true
    rm -f "$marker"
    cds="$(kafka_cds_dir)"
    [[ -n "$cds" && -n "$tmp" ]] || return 0
    kafka_cds_adopt "$tmp" "${cds}/server.jsa"
    read -r holder <"${cds}/server.jsa.claim/pid" 2>/dev/null || true
    if [[ "$holder" == "$pid" ]]; then
        kafka_cds_release "${cds}/server.jsa"
    fi
}

# Kafka's own cluster-id format: 16 random bytes, URL-safe base64, no
# padding. Saves a JVM start (kafka-storage random-uuid). Kafka avoids ids
# that start with '-' because command lines would take them for options.
kafka_new_cluster_id() {
    local id
    while :; do
        id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
        [[ "$id" != -* ]] && break
    done
    echo "$id"
}

# --- certificates and config files -----------------------------------------------

# ECDSA P-256: instant to generate, and both the JDK and librdkafka take it.
# One server certificate serves every broker (they all are 127.0.0.1).
kafka_gen_pki() {
    local pki="$KAFKA_PKI"
    sg_mkdir "$pki"
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "${pki}/ca.key" 2>/dev/null ||
        sg_die "could not create the Kafka test CA key"
    openssl req -x509 -new -key "${pki}/ca.key" -subj "/CN=spotguide-kafka-ca" -days 3650 -sha256 \
        -config <(printf '[req]\ndistinguished_name=dn\nx509_extensions=v3\n[dn]\n[v3]\n%s\n%s\n%s\n' \
                    'basicConstraints=critical,CA:TRUE' 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature' \
                    'subjectKeyIdentifier=hash') \
        -out "${pki}/ca.crt" 2>/dev/null || sg_die "could not create the Kafka test CA"
    # genpkey writes PKCS#8 ("BEGIN PRIVATE KEY"), the only unencrypted key
    # form Kafka's PEM keystore reads.
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "${pki}/broker.key" 2>/dev/null ||
        sg_die "could not create the broker key"
    openssl req -new -key "${pki}/broker.key" -subj "/CN=localhost" \
            -config <(printf '[req]\ndistinguished_name=dn\n[dn]\n') 2>/dev/null |
        openssl x509 -req -CA "${pki}/ca.crt" -CAkey "${pki}/ca.key" \
            -set_serial "0x$(openssl rand -hex 16)" -days 3650 -sha256 \
            -extfile <(printf '%s\n' 'basicConstraints=critical,CA:FALSE' \
                        'keyUsage=critical,digitalSignature,keyEncipherment' \
                        'extendedKeyUsage=serverAuth' 'subjectAltName=IP:127.0.0.1,DNS:localhost') \
            -out "${pki}/broker.crt" 2>/dev/null || sg_die "could not create the broker certificate"
    cat "${pki}/broker.key" "${pki}/broker.crt" >"${pki}/broker.pem"
    chmod 600 "${pki}/ca.key" "${pki}/broker.key" "${pki}/broker.pem"
}

kafka_render() {
    local template="$1" out="$2" id="$3" cport="" port="" sport="" tport="" rack=""
    if kafka_is_controller "$id"; then
        cport="$(kafka_controller_port "$id")"
    else
        port="$(kafka_broker_port "$id")"
        sport="$(kafka_broker_sasl_port "$id")"
        tport="$(kafka_broker_ssl_port "$id")"
        rack="$(kafka_broker_rack "$id")"
    fi
    sed -e "s|@NODE_ID@|${id}|g" \
        -e "s|@VOTERS@|$(kafka_voters)|g" \
        -e "s|@DATA_DIR@|$(kafka_datadir "$id")|g" \
        -e "s|@PKI_DIR@|${KAFKA_PKI}|g" \
        -e "s|@HEARTBEAT_MS@|${KAFKA_HEARTBEAT_MS}|g" \
        -e "s|@SESSION_TIMEOUT_MS@|${KAFKA_SESSION_TIMEOUT_MS}|g" \
        -e "s|@REPLICA_LAG_MS@|${KAFKA_REPLICA_LAG_MS}|g" \
        -e "s|@SASL_USER@|${KAFKA_SASL_USER}|g" \
        -e "s|@SASL_PASSWORD@|${KAFKA_SASL_PASSWORD}|g" \
        -e "s|@SASL_LIMITED_USER@|${KAFKA_SASL_LIMITED_USER}|g" \
        -e "s|@SASL_LIMITED_PASSWORD@|${KAFKA_SASL_LIMITED_PASSWORD}|g" \
        -e "s|@CONTROLLER_PORT@|${cport}|g" \
        -e "s|@PORT@|${port}|g" \
        -e "s|@SASL_PORT@|${sport}|g" \
        -e "s|@SSL_PORT@|${tport}|g" \
        -e "s|@RACK@|${rack}|g" \
        "$template" >"${out}.tmp"
    if grep -q '@[A-Z_]*@' "${out}.tmp"; then
        sg_die "unfilled placeholder in ${out}.tmp (from ${template})"
    fi
    mv "${out}.tmp" "$out"
}

kafka_write_node_config() {
    local id="$1" template
    if kafka_is_controller "$id"; then
        template="${KAFKA_SRC}/controller.properties.in"
    else
        template="${KAFKA_SRC}/broker.properties.in"
    fi
    sg_mkdir "$KAFKA_CONF"
    kafka_render "$template" "$(kafka_propfile "$id")" "$id"
}

# Java client configs for the secured listeners, for the tools (and for tests
# that drive Java clients): --command-config / --producer.config / ... FILE.
kafka_write_client_configs() {
    local dir="$KAFKA_CLIENT_CONFIGS" mech module prefix user password
    sg_mkdir "$dir"
    for prefix in "" limited-; do
        user="$KAFKA_SASL_USER"
        password="$KAFKA_SASL_PASSWORD"
        if [[ -n "$prefix" ]]; then
            user="$KAFKA_SASL_LIMITED_USER"
            password="$KAFKA_SASL_LIMITED_PASSWORD"
        fi
        for mech in PLAIN SCRAM-SHA-256 SCRAM-SHA-512; do
            module=org.apache.kafka.common.security.scram.ScramLoginModule
            [[ "$mech" == PLAIN ]] && module=org.apache.kafka.common.security.plain.PlainLoginModule
            cat >"${dir}/${prefix}${mech,,}.properties" <<EOF
# Client of the SASL_PLAINTEXT listeners ($(kafka_bootstrap kafka_broker_sasl_port)) as ${user}.
security.protocol=SASL_PLAINTEXT
sasl.mechanism=${mech}
sasl.jaas.config=${module} required username="${user}" password="${password}";
EOF
        done
    done
    cat >"${dir}/ssl.properties" <<EOF
# Client of the SSL listeners ($(kafka_bootstrap kafka_broker_ssl_port)).
security.protocol=SSL
ssl.truststore.type=PEM
ssl.truststore.location=${KAFKA_PKI}/ca.crt
EOF
}

# Formats a controller's storage: meta.properties plus the bootstrap metadata
# (metadata.version and the SCRAM credentials, KIP-900), so the users exist
# before any broker accepts a SASL connection.
kafka_format_controller() {
    local id="$1" out mech
    local -a scram=()
    for mech in SCRAM-SHA-256 SCRAM-SHA-512; do
        scram+=(--add-scram "${mech}=[name=${KAFKA_SASL_USER},password=${KAFKA_SASL_PASSWORD}]"
                --add-scram "${mech}=[name=${KAFKA_SASL_LIMITED_USER},password=${KAFKA_SASL_LIMITED_PASSWORD}]")
    done
    if ! out="$(kafka_run_class wait kafka.tools.StorageTool format --cluster-id "$KAFKA_CLUSTER_ID" \
                  --config "$(kafka_propfile "$id")" "${scram[@]}" 2>&1 </dev/null)"; then
        printf '%s\n' "$out" >&2
        sg_die "formatting the storage of $(kafka_node_name "$id") failed"
    fi
}

# A broker reads only meta.properties from its log dir; the bootstrap
# metadata that `kafka-storage format` also writes is used by controllers
# alone. Writing the file ourselves saves a JVM start (~1-1.5 CPU-s) per
# broker, which on two cores is most of the formatting time. Format as 3.9
# writes it (version 1, with the KIP-858 directory id).
kafka_write_broker_meta() {
    local id="$1" dir
    dir="$(kafka_datadir "$id")"
    sg_mkdir "$dir"
    printf 'version=1\ncluster.id=%s\nnode.id=%s\ndirectory.id=%s\n' \
        "$KAFKA_CLUSTER_ID" "$id" "$(kafka_new_cluster_id)" >"${dir}/meta.properties.tmp"
    mv "${dir}/meta.properties.tmp" "${dir}/meta.properties"
}

kafka_format_nodes() {
    local id t0 p rc=0
    local -a pids=()
    t0="$(sg_now_ms)"
    for id in "$@"; do
        if kafka_is_controller "$id"; then
            kafka_format_controller "$id" &
            pids+=($!)
        else
            kafka_write_broker_meta "$id"
        fi
    done
    for p in "${pids[@]}"; do
        wait "$p" || rc=1
    done
    (( rc == 0 )) || sg_die "formatting storage failed"
    sg_log "formatted storage of $# nodes in $(sg_since "$t0")"
}

# --- starting and stopping nodes -------------------------------------------------

kafka_node_cmd() {
    local id="$1" heap
    heap="$KAFKA_BROKER_HEAP"
    kafka_is_controller "$id" && heap="$KAFKA_CONTROLLER_HEAP"
    kafka_server_cds "$id"
    KAFKA_CMD=("$KAFKA_JAVA" -Xms64m "-Xmx${heap}" "${KAFKA_JVM_COMMON[@]}" "${KAFKA_CDS_FLAGS[@]}"
               -Dlog4j.configuration="file:${KAFKA_CONF}/log4j.properties"
               -cp "${KAFKA_LIBS}/*" kafka.Kafka "$(kafka_propfile "$id")")
}

# Starts a node unless it runs already; does not wait for it to be ready.
# A broker id the cluster has never seen gets its config and storage first,
# which is how tests add a broker (`start 5`).
kafka_launch_node() {
    local id="$1" name
    name="$(kafka_node_name "$id")"
    if kafka_node_alive "$id"; then
        return 0
    fi
    local p
    for p in $(kafka_node_ports "$id"); do
        if sg_port_in_use "$p"; then
            sg_die "port ${p} for ${name} is in use by another process (override the SPOTGUIDE_KAFKA_*PORT bases, see docs/testenv-kafka.md)"
        fi
    done
    if [[ ! -r "$(kafka_propfile "$id")" ]]; then
        kafka_write_node_config "$id"
    fi
    if [[ ! -r "$(kafka_datadir "$id")/meta.properties" ]]; then
        kafka_format_nodes "$id"
    fi
    kafka_node_cmd "$id"
    sg_start_daemon "$name" "$(kafka_pidfile "$id")" "$(kafka_logfile "$id")" "${KAFKA_CMD[@]}" ||
        sg_die "${name} failed to start (log: $(kafka_logfile "$id"))"
    kafka_server_cds_record "$id"
}

# Waits until every given node is ready; gives up early if one of them dies.
kafka_wait_ready() {
    local timeout="$1"
    shift
    local deadline=$(( $(date +%s) + timeout )) id pending
    while :; do
        pending=""
        for id in "$@"; do
            if ! kafka_node_alive "$id"; then
                sg_warn "$(kafka_node_name "$id") exited; last log lines ($(kafka_logfile "$id")):"
                tail -n 30 "$(kafka_logfile "$id")" >&2 || true
                sg_die "$(kafka_node_name "$id") died while starting"
            fi
            kafka_node_ready "$id" || pending+=" $(kafka_node_name "$id")"
        done
        [[ -z "$pending" ]] && return 0
        if (( $(date +%s) >= deadline )); then
            sg_warn "timed out after ${timeout}s waiting for:${pending}"
            for id in "$@"; do
                kafka_node_ready "$id" && continue
                sg_warn "last log lines of $(kafka_node_name "$id"):"
                tail -n 15 "$(kafka_logfile "$id")" >&2 || true
            done
            sg_die "the cluster did not become ready (logs: ${KAFKA_LOGS})"
        fi
        sleep 0.25
    done
}

# A paused process would keep a pending SIGTERM until continued.
kafka_resume_if_paused() {
    if kafka_node_paused "$1"; then
        kill -CONT "$(kafka_node_pid "$1")" 2>/dev/null || true
    fi
}

# TERM all given nodes at once, then wait for each (TERM, then KILL after the
# timeout; see sg_stop_pidfile). A broker's controlled shutdown needs a live
# controller, so callers stop brokers before controllers.
kafka_stop_nodes() {
    local id pid
    for id in "$@"; do
        kafka_resume_if_paused "$id"
        if pid="$(kafka_node_pid "$id")"; then
            kill -TERM "$pid" 2>/dev/null || true
        fi
    done
    for id in "$@"; do
        sg_stop_pidfile "$(kafka_node_name "$id")" "$(kafka_pidfile "$id")" 30
        kafka_server_cds_collect "$id"
    done
}

# SIGKILL by recorded pid, then wait until the process is gone.
kafka_kill_node() {
    local id="$1" name pid
    name="$(kafka_node_name "$id")"
    pid="$(kafka_node_pid "$id")" || return 1
    kill -KILL "$pid" 2>/dev/null || true
    sg_wait_until "${name} (pid ${pid}) to exit" 10 kafka_pid_gone "$pid" ||
        sg_die "${name} (pid ${pid}) survived SIGKILL"
    rm -f "$(kafka_pidfile "$id")"
    sg_log "killed ${name} (pid ${pid})"
}

kafka_add_broker_id() {
    local id="$1"
    kafka_has_id "$id" && return 0
    KAFKA_BROKER_IDS="$(printf '%s\n' "$(kafka_ids "$KAFKA_BROKER_IDS")" "$id" | sort -n | paste -sd, -)"
    kafka_save_config
}

# --- environment files -----------------------------------------------------------

# KEY=VALUE for the C++ tests (and, prefixed with export, for shells).
kafka_env_lines() {
    local rack_map="" id
    while IFS= read -r id; do
        rack_map+="${rack_map:+,}${id}:$(kafka_broker_rack "$id")"
    done < <(kafka_ids "$KAFKA_BROKER_IDS")
    local cbs="" cid
    while IFS= read -r cid; do
        cbs+="${cbs:+,}127.0.0.1:$(kafka_controller_port "$cid")"
    done < <(kafka_ids "$KAFKA_CONTROLLER_IDS")
    sg_env_line SPOTGUIDE_KAFKA_BOOTSTRAP "$(kafka_bootstrap kafka_broker_port)"
    sg_env_line SPOTGUIDE_KAFKA_SASL_BOOTSTRAP "$(kafka_bootstrap kafka_broker_sasl_port)"
    sg_env_line SPOTGUIDE_KAFKA_SSL_BOOTSTRAP "$(kafka_bootstrap kafka_broker_ssl_port)"
    sg_env_line SPOTGUIDE_KAFKA_CONTROLLER_BOOTSTRAP "$cbs"
    sg_env_line SPOTGUIDE_KAFKA_SASL_MECHANISMS "PLAIN,SCRAM-SHA-256,SCRAM-SHA-512"
    sg_env_line SPOTGUIDE_KAFKA_SASL_USER "$KAFKA_SASL_USER"
    sg_env_line SPOTGUIDE_KAFKA_SASL_PASSWORD "$KAFKA_SASL_PASSWORD"
    sg_env_line SPOTGUIDE_KAFKA_SASL_LIMITED_USER "$KAFKA_SASL_LIMITED_USER"
    sg_env_line SPOTGUIDE_KAFKA_SASL_LIMITED_PASSWORD "$KAFKA_SASL_LIMITED_PASSWORD"
    sg_env_line SPOTGUIDE_KAFKA_SSL_CA_FILE "${KAFKA_PKI}/ca.crt"
    sg_env_line SPOTGUIDE_KAFKA_CLIENT_CONFIG_DIR "$KAFKA_CLIENT_CONFIGS"
    sg_env_line SPOTGUIDE_KAFKA_BROKER_IDS "$KAFKA_BROKER_IDS"
    sg_env_line SPOTGUIDE_KAFKA_CONTROLLER_IDS "$KAFKA_CONTROLLER_IDS"
    sg_env_line SPOTGUIDE_KAFKA_BROKER_RACKS "$rack_map"
    sg_env_line SPOTGUIDE_KAFKA_PORT_BASE "$KAFKA_PORT"
    sg_env_line SPOTGUIDE_KAFKA_SASL_PORT_BASE "$KAFKA_SASL_PORT"
    sg_env_line SPOTGUIDE_KAFKA_SSL_PORT_BASE "$KAFKA_SSL_PORT"
    sg_env_line SPOTGUIDE_KAFKA_SESSION_TIMEOUT_MS "$KAFKA_SESSION_TIMEOUT_MS"
    sg_env_line SPOTGUIDE_KAFKA_CLUSTER_ID "$KAFKA_CLUSTER_ID"
    sg_env_line SPOTGUIDE_KAFKA_VERSION "$KAFKA_VERSION"
    sg_env_line SPOTGUIDE_KAFKA_LIBS "$KAFKA_LIBS"
    sg_env_line SPOTGUIDE_JAVA "$KAFKA_JAVA"
    sg_env_line SPOTGUIDE_KAFKA_STATE_DIR "$KAFKA_STATE"
    sg_env_line SPOTGUIDE_KAFKA_LOG_DIR "$KAFKA_LOGS"
    sg_env_line SPOTGUIDE_TESTENV "${SG_SCRIPTS_DIR}/testenv"
}

kafka_write_env() {
    kafka_env_lines >"${KAFKA_TESTENV_ENV}.tmp"
    mv "${KAFKA_TESTENV_ENV}.tmp" "$KAFKA_TESTENV_ENV"
}

# --- tools ---------------------------------------------------------------------

# Main classes as the 3.9 bin/kafka-*.sh scripts name them. Some moved from
# core (Scala, kafka.*) to kafka-tools (Java, org.apache.kafka.tools.*) in
# recent releases and others did not yet, so each is listed explicitly.
kafka_tool_class() {
    local t="$1"
    t="${t%.sh}"
    t="${t#kafka-}"
    case "$t" in
        topics) echo org.apache.kafka.tools.TopicCommand ;;
        reassign|reassign-partitions) echo org.apache.kafka.tools.reassign.ReassignPartitionsCommand ;;
        configs) echo kafka.admin.ConfigCommand ;;
        produce|console-producer) echo kafka.tools.ConsoleProducer ;;
        consume|console-consumer) echo org.apache.kafka.tools.consumer.ConsoleConsumer ;;
        verifiable-producer) echo org.apache.kafka.tools.VerifiableProducer ;;
        verifiable-consumer) echo org.apache.kafka.tools.VerifiableConsumer ;;
        metadata-quorum) echo org.apache.kafka.tools.MetadataQuorumCommand ;;
        get-offsets) echo org.apache.kafka.tools.GetOffsetShell ;;
        leader-election) echo org.apache.kafka.tools.LeaderElectionCommand ;;
        log-dirs) echo org.apache.kafka.tools.LogDirsCommand ;;
        cluster) echo org.apache.kafka.tools.ClusterTool ;;
        features) echo org.apache.kafka.tools.FeatureCommand ;;
        broker-api-versions) echo kafka.admin.BrokerApiVersionsCommand ;;
        consumer-groups) echo org.apache.kafka.tools.consumer.group.ConsumerGroupCommand ;;
        delete-records) echo org.apache.kafka.tools.DeleteRecordsCommand ;;
        acls) echo kafka.admin.AclCommand ;;
        producer-perf-test) echo org.apache.kafka.tools.ProducerPerformance ;;
        consumer-perf-test) echo org.apache.kafka.tools.ConsumerPerformance ;;
        replica-verification) echo org.apache.kafka.tools.ReplicaVerificationTool ;;
        transactions) echo org.apache.kafka.tools.TransactionsCommand ;;
        storage) echo kafka.tools.StorageTool ;;
        dump-log) echo kafka.tools.DumpLogSegments ;;
        *)
            # A fully qualified main class.
            [[ "$1" =~ ^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_$]*)+$ ]] ||
                sg_die "unknown tool '$1' (aliases: see 'scripts/testenv kafka help', or give a main class)"
            echo "$1"
            ;;
    esac
}

kafka_tool() {
    [[ $# -ge 1 ]] || sg_die "tool: which tool? (e.g. topics, reassign, configs; see 'scripts/testenv kafka help')"
    local class
    class="$(kafka_tool_class "$1")"
    shift
    kafka_load_config
    kafka_fetch
    kafka_run_class exec "$class" "$@"
}

# --- verbs -----------------------------------------------------------------------

kafka_usage() {
    cat >&2 <<'USAGE'
usage: scripts/testenv kafka <verb> [args]

  up [--owner TOKEN]        fetch jars if needed, start (or reuse) the cluster
  down [--owner TOKEN]      stop it (with --owner: only if started with that token)
  status                    each node's pid, ports and state; exit 0 if all run
  env                       print export lines (SPOTGUIDE_KAFKA_BOOTSTRAP, ...)
  kill N                    SIGKILL node N (a crash); it stays dead
  stop N                    SIGTERM node N (controlled shutdown), wait for exit
  start N                   start node N with its config and data; an unknown
                            broker id 1..99 is added as a new, empty broker
  restart N                 stop (if running) and start node N
  pause N | resume N        SIGSTOP / SIGCONT node N (a hung broker)
  logs N [LINES]            last LINES (default 100) log lines of node N
  tool TOOL [ARGS...]       run a Kafka CLI with the cached class path
  fetch                     only fetch the jars into the cache

N is a broker id (1..4) or a controller id (101..); broker-2, controller-101
work too. TOOL is a main class or one of these aliases (3.9 classes):
  topics reassign configs produce consume verifiable-producer
  verifiable-consumer metadata-quorum get-offsets leader-election log-dirs
  cluster features broker-api-versions consumer-groups delete-records acls
  producer-perf-test consumer-perf-test replica-verification transactions
  storage dump-log            (kafka-topics.sh style names work as well)

See docs/testenv-kafka.md.
USAGE
}

kafka_parse_owner() {
    KAFKA_OWNER=""
    while [[ $# -gt 0 ]]; do
        case "$1" in
            --owner) KAFKA_OWNER="${2:?--owner needs a token}"; shift 2 ;;
            --owner=*) KAFKA_OWNER="${1#*=}"; shift ;;
            *) sg_die "unknown argument '$1'" ;;
        esac
    done
    [[ "$KAFKA_OWNER" =~ ^[A-Za-z0-9_.:@+-]*$ ]] || sg_die "--owner token may only contain [A-Za-z0-9_.:@+-]"
}

kafka_any_alive() {
    local id
    while IFS= read -r id; do
        kafka_node_alive "$id" && return 0
    done < <(kafka_all_ids)
    return 1
}

# Removes the state of a stopped cluster; keeps the previous logs for a
# post-mortem.
kafka_wipe_state() {
    [[ -d "$KAFKA_STATE" ]] || return 0
    if [[ -d "$KAFKA_LOGS" ]]; then
        rm -rf "${KAFKA_STATE}.logs.prev"
        mv "$KAFKA_LOGS" "${KAFKA_STATE}.logs.prev"
    fi
    rm -rf "$KAFKA_STATE"
}

kafka_up() {
    kafka_parse_owner "$@"
    command -v openssl >/dev/null 2>&1 || sg_die "'openssl' is required (Debian: apt-get install openssl)"
    local t0
    t0="$(sg_now_ms)"
    kafka_paths
    sg_assert_outside_repo "$KAFKA_STATE" SPOTGUIDE_RUN
    sg_lock "${KAFKA_STATE}.lock"

    if [[ -r "$KAFKA_CONFIG_ENV" ]] && kafka_load_config && kafka_any_alive; then
        local who
        who="$(sg_owner_get "$KAFKA_STATE")"
        sg_log "already running (started $(stat -c %y "$KAFKA_CONFIG_ENV" | cut -d. -f1)${who:+ by owner ${who}}); reusing it"
        kafka_require_java
    else
        kafka_wipe_state
        kafka_load_config
        kafka_validate_config
        kafka_require_java
        local id p
        while IFS= read -r id; do
            for p in $(kafka_node_ports "$id"); do
                if sg_port_in_use "$p"; then
                    sg_die "port ${p} ($(kafka_node_name "$id")) is in use by another process; override the SPOTGUIDE_KAFKA_*PORT bases (docs/testenv-kafka.md)"
                fi
            done
        done < <(kafka_all_ids)
        kafka_fetch
        sg_mkdir "$KAFKA_STATE" "$KAFKA_PIDS" "$KAFKA_LOGS" "$KAFKA_DATA" "$KAFKA_CONF"
        KAFKA_CLUSTER_ID="$(kafka_new_cluster_id)"
        kafka_gen_pki
        cp "${KAFKA_SRC}/log4j.properties" "${KAFKA_CONF}/log4j.properties"
        while IFS= read -r id; do
            kafka_write_node_config "$id"
        done < <(kafka_all_ids)
        kafka_write_client_configs
        local -a all
        mapfile -t all < <(kafka_all_ids)
        kafka_format_nodes "${all[@]}"
        kafka_save_config
        sg_owner_record "$KAFKA_STATE" "$KAFKA_OWNER"
    fi

    # Also the reuse path: a broker a test killed and left dead comes back.
    local id started=0 t1
    local -a ids=()
    t1="$(sg_now_ms)"
    while IFS= read -r id; do
        ids+=("$id")
        kafka_resume_if_paused "$id"
        if ! kafka_node_alive "$id"; then
            kafka_launch_node "$id"
            started=$(( started + 1 ))
        fi
    done < <(kafka_all_ids)
    kafka_wait_ready 180 "${ids[@]}"
    (( started > 0 )) && sg_log "started ${started} nodes in $(sg_since "$t1")"

    kafka_write_env
    local msg
    msg="kafka ${KAFKA_VERSION} ready: brokers ${KAFKA_BROKER_IDS} at $(kafka_bootstrap kafka_broker_port), controllers ${KAFKA_CONTROLLER_IDS}, in $(sg_since "$t0")"
    [[ -n "${KAFKA_FETCH_TIME:-}" ]] && msg+=" (fetch: ${KAFKA_FETCH_TIME})"
    sg_log "$msg"
    sg_log "use it: eval \"\$(scripts/testenv kafka env)\"   (or read ${KAFKA_TESTENV_ENV})"
}

kafka_down() {
    kafka_parse_owner "$@"
    kafka_paths
    sg_lock "${KAFKA_STATE}.lock"
    if [[ ! -d "$KAFKA_STATE" ]]; then
        sg_log "not running"
        return 0
    fi
    kafka_load_config
    if ! sg_owner_may_stop "$KAFKA_STATE" "$KAFKA_OWNER"; then
        local who
        who="$(sg_owner_get "$KAFKA_STATE")"
        if [[ -n "$who" ]]; then
            sg_log "not stopping: it was started by owner ${who}, not by owner ${KAFKA_OWNER}"
        else
            sg_log "not stopping: it was started by a plain 'up' (no --owner), not by owner ${KAFKA_OWNER}"
        fi
        return 0
    fi
    local t0
    t0="$(sg_now_ms)"
    local -a brokers controllers
    mapfile -t brokers < <(kafka_ids "$KAFKA_BROKER_IDS")
    mapfile -t controllers < <(kafka_ids "$KAFKA_CONTROLLER_IDS")
    # Brokers get a clean shutdown (a broker training the CDS archive writes
    # it on exit). The controllers' data is deleted next anyway, and with
    # several of them a graceful stop only has the last one wait 5 s for a
    # quorum that is already gone.
    kafka_stop_nodes "${brokers[@]}"
    local id
    for id in "${controllers[@]}"; do
        kafka_resume_if_paused "$id"
        kafka_kill_node "$id" || true
    done
    kafka_wipe_state
    sg_log "down in $(sg_since "$t0") (logs of this run: ${KAFKA_STATE}.logs.prev)"
}

kafka_status() {
    kafka_load_config
    if [[ ! -r "$KAFKA_CONFIG_ENV" ]]; then
        sg_log "not running (no state in ${KAFKA_STATE})"
        return 3
    fi
    local id pid state rc=0 any=0 who rack total=0 rss
    who="$(sg_owner_get "$KAFKA_STATE")"
    printf '%-15s %-8s %-18s %-5s %-8s %s\n' NODE PID PORTS RACK RSS_MB STATE
    while IFS= read -r id; do
        rack=-
        kafka_is_controller "$id" || rack="$(kafka_broker_rack "$id")"
        if pid="$(kafka_node_pid "$id")"; then
            any=1
            rss="$(kafka_rss_kb "$id")"
            total=$(( total + rss ))
            if kafka_node_paused "$id"; then
                state=paused; rc=1
            elif kafka_node_ready "$id"; then
                state=running
            elif kafka_node_listening "$id"; then
                state=starting; rc=1
            else
                state=not-listening; rc=1
            fi
        else
            pid=-; rss=0; state=stopped; rc=1
        fi
        printf '%-15s %-8s %-18s %-5s %-8s %s\n' "$(kafka_node_name "$id")" "$pid" \
            "$(kafka_node_ports "$id" | tr ' ' ,)" "$rack" "$(( rss / 1024 ))" "$state"
    done < <(kafka_all_ids)
    printf 'version %s, cluster id %s, owner %s, RSS %d MiB, state %s\n' "$KAFKA_VERSION" \
        "$KAFKA_CLUSTER_ID" "${who:--}" "$(( total / 1024 ))" "$KAFKA_STATE"
    (( any == 1 )) || return 3
    return "$rc"
}

kafka_env() {
    kafka_paths
    [[ -r "$KAFKA_TESTENV_ENV" ]] || sg_die "not running; start it with: scripts/testenv kafka up"
    local line
    while IFS= read -r line; do
        if [[ -n "$line" ]]; then
            printf 'export %s\n' "$line"
        fi
    done <"$KAFKA_TESTENV_ENV"
}

kafka_node_verb() {
    local verb="$1" id
    [[ $# -ge 2 ]] || sg_die "${verb}: which node? (a broker id 1..99 or a controller id 101..)"
    kafka_paths
    [[ -r "$KAFKA_CONFIG_ENV" ]] || sg_die "not running; start it with: scripts/testenv kafka up"
    sg_lock "${KAFKA_STATE}.lock"
    kafka_load_config
    id="$(kafka_parse_node "$2")"
    local name
    name="$(kafka_node_name "$id")"
    if ! kafka_has_id "$id"; then
        if [[ "$verb" == start || "$verb" == restart ]] && ! kafka_is_controller "$id" && (( id <= 99 )); then
            sg_log "${name} is new: adding it to the cluster (rack $(kafka_broker_rack "$id"))"
        else
            sg_die "no node ${id} (brokers: ${KAFKA_BROKER_IDS}; controllers: ${KAFKA_CONTROLLER_IDS})"
        fi
    fi
    local t0 pid
    t0="$(sg_now_ms)"
    case "$verb" in
        kill)
            kafka_kill_node "$id" || sg_log "${name} is not running"
            ;;
        stop)
            kafka_stop_nodes "$id"
            # A broker beyond the initial ones was added by `start`; stopping
            # it retires it, so the environment lists only the cluster's brokers.
            if ! kafka_is_controller "$id" && (( id > KAFKA_BROKER_COUNT )) && kafka_has_id "$id"; then
                KAFKA_BROKER_IDS="$(kafka_ids "$KAFKA_BROKER_IDS" | grep -vx "$id" | paste -sd, -)"
                kafka_save_config
                kafka_write_env
                sg_log "retired broker ${id} (added by start)"
            fi
            ;;
        pause|resume)
            pid="$(kafka_node_pid "$id")" || sg_die "${name} is not running"
            if [[ "$verb" == pause ]]; then
                kill -STOP "$pid"
            else
                kill -CONT "$pid"
            fi
            sg_log "${verb}d ${name} (pid ${pid})"
            ;;
        start|restart)
            [[ "$verb" == restart ]] && kafka_stop_nodes "$id"
            kafka_resume_if_paused "$id"
            # Recorded before it starts, so that `down` stops it even if it
            # never becomes ready.
            if ! kafka_has_id "$id"; then
                kafka_add_broker_id "$id"
                kafka_write_env
            fi
            kafka_launch_node "$id"
            kafka_wait_ready 120 "$id"
            sg_log "${verb} ${name} done in $(sg_since "$t0")"
            ;;
    esac
}

kafka_logs() {
    local id f
    [[ $# -ge 1 ]] || sg_die "logs: which node?"
    kafka_load_config
    id="$(kafka_parse_node "$1")"
    f="$(kafka_logfile "$id")"
    [[ -r "$f" ]] || sg_die "no log for $(kafka_node_name "$id") at ${f}"
    tail -n "${2:-100}" "$f"
}

testenv_kafka() {
    local verb="${1:-help}"
    [[ $# -gt 0 ]] && shift
    case "$verb" in
        up) kafka_up "$@" ;;
        down) kafka_down "$@" ;;
        status) kafka_status "$@" ;;
        env) kafka_env "$@" ;;
        kill|stop|start|restart|pause|resume) kafka_node_verb "$verb" "$@" ;;
        logs) kafka_logs "$@" ;;
        tool) kafka_tool "$@" ;;
        fetch)
            kafka_load_config
            kafka_validate_config
            kafka_fetch
            sg_log "jars ready in ${KAFKA_LIBS}${KAFKA_FETCH_TIME:+ (${KAFKA_FETCH_TIME})}"
            ;;
        help|-h|--help) kafka_usage ;;
        *) kafka_usage; sg_die "unknown verb '${verb}'" ;;
    esac
}
