# shellcheck shell=bash
# Shared helpers for scripts/testenv and its peers (kube, later kafka, pd, spark,
# woodpecker). Sourced, never executed. Everything a peer prints for humans goes
# to stderr so that stdout stays machine-readable (`testenv <peer> env`).

[[ -n "${_SG_COMMON_SH:-}" ]] && return 0
_SG_COMMON_SH=1

SG_SCRIPTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SG_REPO_DIR="$(cd "${SG_SCRIPTS_DIR}/.." && pwd)"

# --- logging -----------------------------------------------------------------

sg_log()  { printf '[testenv %s] %s\n' "${SG_PEER:-}" "$*" >&2; }
sg_warn() { printf '[testenv %s] WARNING: %s\n' "${SG_PEER:-}" "$*" >&2; }
sg_die()  { printf '[testenv %s] ERROR: %s\n' "${SG_PEER:-}" "$*" >&2; exit 1; }

# --- directories -------------------------------------------------------------

# The cache survives between runs (binaries, Go module and build caches); the
# run dir holds per-environment state that `down` may delete. Neither may live
# inside the repository: CI checks the tree for stray files.
sg_cache_dir() { printf '%s\n' "${SPOTGUIDE_CACHE:-${HOME}/.cache/spotguide-plugins}"; }
sg_run_dir()   { printf '%s\n' "${SPOTGUIDE_RUN:-$(sg_cache_dir)/run}"; }

sg_mkdir() {
    local d
    for d in "$@"; do
        mkdir -p "$d" || sg_die "cannot create directory $d"
    done
}

sg_assert_outside_repo() {
    local p
    p="$(realpath -m "$1")"
    case "$p/" in
        "${SG_REPO_DIR}/"*) sg_die "$2 ($p) is inside the repository; point it elsewhere" ;;
    esac
}

# --- time --------------------------------------------------------------------

sg_now_ms() { date +%s%3N; }

# Prints "12.3s" for the time since the given sg_now_ms value.
sg_since() {
    local ms=$(( $(sg_now_ms) - $1 ))
    printf '%d.%ds' $(( ms / 1000 )) $(( (ms % 1000) / 100 ))
}

# --- locking -----------------------------------------------------------------

# Serialises concurrent invocations (two ctest fixtures, a developer and CI) on
# the same state. The lock is released when the shell exits.
sg_lock() {
    local file="$1" fd
    sg_mkdir "$(dirname "$file")"
    exec {fd}>>"$file"
    if ! flock -w "${2:-900}" "$fd"; then
        sg_die "timed out waiting for lock $file"
    fi
}

# --- Go ----------------------------------------------------------------------

# Points the Go caches into the spotguide cache and pins behaviour that a
# developer's environment could otherwise change (vendor mode, workspaces,
# automatic toolchain downloads).
sg_ensure_go() {
    local min="${1:-1.24}" have
    command -v go >/dev/null 2>&1 || sg_die "go not found in PATH (need >= go${min})"
    have="$(go env GOVERSION)"
    have="${have#go}"
    if ! sg_version_ge "$have" "$min"; then
        sg_die "go ${have} is too old, need >= go${min}"
    fi
    local cache
    cache="$(sg_cache_dir)"
    export GOMODCACHE="${cache}/go/mod"
    export GOCACHE="${cache}/go/build"
    export GOTOOLCHAIN=local
    export GOWORK=off
    export GOFLAGS="-buildvcs=false"
    export GO111MODULE=on
    sg_mkdir "$GOMODCACHE" "$GOCACHE"
}

# sg_version_ge 1.26.8 1.24  -> true when $1 >= $2 (dotted numeric versions).
sg_version_ge() {
    [[ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" == "$2" ]]
}

# --- processes ---------------------------------------------------------------

# A pid file holds "<pid> <absolute path of the executable>". Recording the
# executable guards against PID reuse: after a reboot or a long idle time the
# number may belong to an unrelated process, which we must never signal.
sg_pid_alive() {
    local pid="$1" exe="${2:-}" state
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    [[ -r "/proc/${pid}/stat" ]] || return 1
    # A zombie has exited; it only waits for its parent to reap it.
    state="$(sed -E 's/^[0-9]+ \(.*\) ([A-Za-z]).*/\1/' "/proc/${pid}/stat" 2>/dev/null)" || return 1
    [[ "$state" != "Z" && "$state" != "X" ]] || return 1
    if [[ -n "$exe" ]]; then
        local actual
        actual="$(readlink "/proc/${pid}/exe" 2>/dev/null)" || return 1
        # A binary replaced on disk (rebuilt cache) shows up with " (deleted)".
        [[ "${actual% (deleted)}" == "$exe" ]] || return 1
    fi
    return 0
}

# Prints the pid recorded in a pid file if that process is still the one we
# started; fails otherwise.
sg_pidfile_alive() {
    local file="$1" pid exe
    [[ -r "$file" ]] || return 1
    read -r pid exe <"$file" || true
    sg_pid_alive "$pid" "$exe" || return 1
    printf '%s\n' "$pid"
}

# sg_start_daemon NAME PIDFILE LOGFILE [VAR=VALUE...] CMD [ARGS...]
# Starts CMD detached in its own session (so that a test runner killing its
# process group does not take the environment down) and records its pid.
# Leading VAR=VALUE arguments are set in CMD's environment only.
sg_start_daemon() {
    local name="$1" pidfile="$2" logfile="$3"
    shift 3
    local -a envs=()
    while [[ $# -gt 0 && "$1" =~ ^[A-Za-z_][A-Za-z0-9_]*= ]]; do
        envs+=("$1")
        shift
    done
    local exe
    exe="$(readlink -f "$(command -v "$1")")" || sg_die "$name: executable $1 not found"
    sg_mkdir "$(dirname "$pidfile")" "$(dirname "$logfile")"
    printf '\n==== %s starting at %s: %s\n' "$name" "$(date -Is)" "$*" >>"$logfile"
    # The child reports its own pid and then execs (sh -> env -> CMD), so the
    # recorded pid is CMD's even if setsid had to fork (when the caller has job
    # control, the child leads its process group and setsid forks).
    local pidtmp="${pidfile}.starting"
    rm -f "$pidtmp"
    (
        # Inherited descriptors (our lock files, a test runner's or make's
        # pipes) would otherwise stay open for the daemon's lifetime: locks
        # would never be released and callers waiting for EOF would hang.
        local fdpath fdn
        for fdpath in /proc/"${BASHPID}"/fd/*; do
            fdn="${fdpath##*/}"
            if (( fdn > 2 )); then
                { exec {fdn}>&-; } 2>/dev/null || true
            fi
        done
        # shellcheck disable=SC2016
        exec setsid sh -c 'echo "$$" >"$1.tmp" && mv "$1.tmp" "$1"; shift; exec "$@"' sh "$pidtmp" \
            env "${envs[@]}" "$@"
    ) </dev/null >>"$logfile" 2>&1 &
    local i pid=""
    for (( i = 0; i < 50; i++ )); do
        [[ -s "$pidtmp" ]] && { read -r pid <"$pidtmp"; break; }
        sleep 0.1
    done
    rm -f "$pidtmp"
    [[ -n "$pid" ]] || sg_die "$name: could not start $1"
    printf '%s %s\n' "$pid" "$exe" >"$pidfile"
}

# sg_wait_daemon NAME PIDFILE LOGFILE TIMEOUT CMD [ARGS...]
# Polls the health check CMD until it succeeds, but gives up at once if the
# daemon exits (bad flag, port taken), showing the end of its log instead of
# a mysterious timeout.
sg_wait_daemon() {
    local name="$1" pidfile="$2" logfile="$3" timeout="$4"
    shift 4
    local deadline=$(( $(date +%s) + timeout ))
    until "$@" >/dev/null 2>&1; do
        if ! sg_pidfile_alive "$pidfile" >/dev/null; then
            sg_warn "${name} exited; last lines of ${logfile}:"
            tail -n 25 "$logfile" >&2 || true
            return 1
        fi
        if (( $(date +%s) >= deadline )); then
            sg_warn "${name} not healthy after ${timeout}s; last lines of ${logfile}:"
            tail -n 25 "$logfile" >&2 || true
            return 1
        fi
        sleep 0.2
    done
}

# sg_stop_pidfile NAME PIDFILE [TIMEOUT_SECONDS]
# TERM, wait, then KILL. Only ever signals the recorded pid.
sg_stop_pidfile() {
    local name="$1" file="$2" timeout="${3:-20}" pid exe
    if [[ ! -e "$file" ]]; then
        return 0
    fi
    read -r pid exe <"$file" || true
    if ! sg_pid_alive "$pid" "$exe"; then
        rm -f "$file"
        return 0
    fi
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$(( $(date +%s) + timeout )) killed=0
    while sg_pid_alive "$pid" "$exe"; do
        if (( killed == 0 && $(date +%s) >= deadline )); then
            sg_log "$name (pid $pid) still running ${timeout}s after SIGTERM; sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
            killed=1
            deadline=$(( $(date +%s) + 10 ))
        elif (( killed == 1 && $(date +%s) >= deadline )); then
            sg_die "$name (pid $pid) survived SIGKILL"
        fi
        sleep 0.1
    done
    rm -f "$file"
    sg_log "stopped $name (pid $pid)"
}

# --- waiting -----------------------------------------------------------------

# sg_wait_until DESCRIPTION TIMEOUT_SECONDS CMD [ARGS...]
# Polls CMD until it succeeds. Fails (without exiting) on timeout so the caller
# can print component logs.
sg_wait_until() {
    local what="$1" timeout="$2"
    shift 2
    local deadline=$(( $(date +%s) + timeout ))
    until "$@" >/dev/null 2>&1; do
        if (( $(date +%s) >= deadline )); then
            sg_warn "timed out after ${timeout}s waiting for ${what}"
            return 1
        fi
        sleep 0.25
    done
}

# sg_http_ok URL [CURL_ARGS...]  -> succeeds on a 2xx answer.
sg_http_ok() {
    local url="$1"
    shift
    curl -fsS -o /dev/null --max-time 5 "$@" "$url"
}

# sg_wait_http DESCRIPTION TIMEOUT URL [CURL_ARGS...]
sg_wait_http() {
    local what="$1" timeout="$2"
    shift 2
    sg_wait_until "$what" "$timeout" sg_http_ok "$@"
}

# --- ports -------------------------------------------------------------------

sg_port_in_use() {
    local port="$1"
    if command -v ss >/dev/null 2>&1; then
        ss -Htln "sport = :${port}" 2>/dev/null | grep -q .
    else
        (exec 3<>"/dev/tcp/127.0.0.1/${port}") 2>/dev/null
    fi
}

# --- ownership ---------------------------------------------------------------

# An environment started with --owner TOKEN may only be stopped by a `down`
# that presents the same token, so a ctest fixture never tears down an
# environment a developer (or another fixture) started. Without a token the
# environment is owned by "whoever runs down without --owner".
sg_owner_file() { printf '%s/owner\n' "$1"; }

sg_owner_record() {
    local dir="$1" token="${2:-}"
    printf '%s\n' "$token" >"$(sg_owner_file "$dir")"
}

sg_owner_get() {
    local f
    f="$(sg_owner_file "$1")"
    if [[ -r "$f" ]]; then
        head -n1 "$f"
    fi
}

# sg_owner_may_stop DIR TOKEN -> true if a `down --owner TOKEN` may stop it.
# An empty TOKEN (plain `down`) always may.
sg_owner_may_stop() {
    local dir="$1" token="${2:-}"
    [[ -z "$token" ]] && return 0
    [[ "$(sg_owner_get "$dir")" == "$token" ]]
}

# --- env files ---------------------------------------------------------------

# Values written by `up` are shell-safe (paths, ports, versions); refuse
# anything that would need quoting so that both `source` and the C++ tests'
# plain KEY=VALUE parser read the same thing.
sg_env_line() {
    local key="$1" value="$2"
    [[ "$value" =~ ^[A-Za-z0-9_./:@%+,=-]*$ ]] || sg_die "env value for $key needs quoting: $value"
    printf '%s=%s\n' "$key" "$value"
}
