# shellcheck shell=bash
# Peer "pd": a real PD cluster (TiKV's Placement Driver, three members) on
# 127.0.0.1 with simulated TiKV stores heartbeating to it, for the tidb-scale
# integration tests. pd-server and pd-ctl are built from tikv/pd through the
# Go module proxy; the stores are storesim (scripts/pd/storesim, our own),
# built in the same `go build`. docs/testenv-pd.md has the why (including
# why not PD v8.5.0 and why not PD's own pd-simulator), ports, verbs and the
# measured state transitions.

# Bump when the way binaries are built changes (flags, package list), so that
# caches built the old way are rebuilt.
PD_BUILD_RECIPE=1

# Same flags as the kube peer: no DWARF (nobody debugs these here; it cuts
# compile time and cache size), paths trimmed so the cache is relocatable.
PD_GO_BUILD_FLAGS=(-trimpath -gcflags=all=-dwarf=false)

# --- configuration -------------------------------------------------------------

pd_defaults() {
    # The pseudo-version of tikv/pd to build. v8.5.0 (d190c0e9082d) is what
    # we wanted, but the module proxy reachable here answers 403 for it (and
    # for every v8.x commit we tried except 7179657d129b, v8.1.0-alpha-4); see
    # docs/testenv-pd.md. This one is v7.6.0-alpha-111-gab97b9a267, the PD
    # that TiCDC v7.6.0/v8.0.0 pin; its HTTP API matches v8.5.0 for every
    # endpoint tidb-scale uses.
    PD_MODULE_VERSION="${SPOTGUIDE_PD_MODULE_VERSION:-v1.1.0-beta.0.20231212061647-ab97b9a267f3}"
    # What `git describe` says for that commit; PD's Makefile stamps the
    # same into the binary, and the stores report the matching TiKV version.
    PD_VERSION="${SPOTGUIDE_PD_VERSION:-v7.6.0-alpha-111-gab97b9a267}"
    PD_GIT_HASH="${SPOTGUIDE_PD_GIT_HASH:-ab97b9a267f3a733b587fc96a1af90e39767331d}"
    PD_STORE_VERSION="${SPOTGUIDE_PD_STORE_VERSION:-7.6.0}"

    PD_MEMBER_COUNT="${SPOTGUIDE_PD_MEMBERS_COUNT:-3}"
    # Member N: client port <base>+N, peer port <peer base>+N. Next to the
    # kube peer's etcd (23790/23800) without touching it.
    PD_CLIENT_PORT_BASE="${SPOTGUIDE_PD_CLIENT_PORT_BASE:-23790}"
    PD_PEER_PORT_BASE="${SPOTGUIDE_PD_PEER_PORT_BASE:-23800}"
    PD_STORESIM_PORT="${SPOTGUIDE_PD_STORESIM_PORT:-23811}"

    PD_STORE_COUNT="${SPOTGUIDE_PD_STORES:-4}"
    PD_REGION_COUNT="${SPOTGUIDE_PD_REGIONS:-24}"
    PD_MAX_REPLICAS="${SPOTGUIDE_PD_MAX_REPLICAS:-3}"
    PD_MAX_STORE_DOWN_TIME="${SPOTGUIDE_PD_MAX_STORE_DOWN_TIME:-30s}"
    PD_STORE_HEARTBEAT="${SPOTGUIDE_PD_STORE_HEARTBEAT:-2s}"
    PD_REGION_HEARTBEAT="${SPOTGUIDE_PD_REGION_HEARTBEAT:-10s}"
    PD_STORE_LIMIT="${SPOTGUIDE_PD_STORE_LIMIT:-600}"
    PD_STORE_IDS=""
}

pd_paths() {
    PD_CACHE="$(sg_cache_dir)"
    PD_STATE="$(sg_run_dir)/pd"
    PD_PIDS="${PD_STATE}/pids"
    PD_LOGS="${PD_STATE}/logs"
    PD_DATA="${PD_STATE}/data"
    PD_CONFIG_ENV="${PD_STATE}/config.env"
    PD_TESTENV_ENV="${PD_STATE}/testenv.env"
    PD_SRC="${SG_SCRIPTS_DIR}/pd"
}

# Binaries keyed by the tikv/pd version; storesim is rebuilt (alone, in the
# same wrapper module) when its source changes.
pd_bin_paths() {
    PD_HOME="${PD_CACHE}/pd/${PD_MODULE_VERSION}"
    PD_BIN_DIR="${PD_HOME}/bin"
    PD_SERVER_BIN="${PD_BIN_DIR}/pd-server"
    PD_CTL_BIN="${PD_BIN_DIR}/pd-ctl"
    PD_STORESIM_BIN="${PD_BIN_DIR}/storesim"
}

PD_SAVED_VARS=(PD_MODULE_VERSION PD_VERSION PD_GIT_HASH PD_STORE_VERSION PD_MEMBER_COUNT
               PD_CLIENT_PORT_BASE PD_PEER_PORT_BASE PD_STORESIM_PORT PD_STORE_COUNT
               PD_REGION_COUNT PD_MAX_REPLICAS PD_MAX_STORE_DOWN_TIME PD_STORE_HEARTBEAT
               PD_REGION_HEARTBEAT PD_STORE_LIMIT PD_STORE_IDS)

pd_save_config() {
    local v
    for v in "${PD_SAVED_VARS[@]}"; do
        sg_env_line "$v" "${!v}"
    done >"${PD_CONFIG_ENV}.tmp"
    mv "${PD_CONFIG_ENV}.tmp" "$PD_CONFIG_ENV"
}

# The configuration of the running cluster if there is one, the defaults
# otherwise, so that later verbs act on what `up` started.
pd_load_config() {
    pd_paths
    pd_defaults
    if [[ -r "$PD_CONFIG_ENV" ]]; then
        local line key v
        while IFS= read -r line; do
            [[ "$line" == *=* ]] || continue
            key="${line%%=*}"
            for v in "${PD_SAVED_VARS[@]}"; do
                if [[ "$key" == "$v" ]]; then
                    printf -v "$key" '%s' "${line#*=}"
                    break
                fi
            done
        done <"$PD_CONFIG_ENV"
    fi
    pd_bin_paths
    return 0
}

pd_validate_config() {
    [[ "$PD_MEMBER_COUNT" =~ ^[1-9]$ ]] || sg_die "SPOTGUIDE_PD_MEMBERS_COUNT must be 1..9"
    local v
    for v in PD_CLIENT_PORT_BASE PD_PEER_PORT_BASE PD_STORESIM_PORT PD_STORE_COUNT PD_REGION_COUNT PD_MAX_REPLICAS PD_STORE_LIMIT; do
        [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || sg_die "SPOTGUIDE_${v#PD_} must be a positive number, not '${!v}'"
    done
    for v in PD_MAX_STORE_DOWN_TIME PD_STORE_HEARTBEAT PD_REGION_HEARTBEAT; do
        [[ "${!v}" =~ ^[0-9]+(ms|s|m|h)$ ]] || sg_die "${v} must be a duration like 30s, not '${!v}'"
    done
    [[ "$PD_MODULE_VERSION" =~ ^v[0-9A-Za-z.+-]+$ ]] || sg_die "bad SPOTGUIDE_PD_MODULE_VERSION '${PD_MODULE_VERSION}'"
    (( PD_STORE_COUNT >= PD_MAX_REPLICAS )) ||
        sg_warn "${PD_STORE_COUNT} stores < max-replicas ${PD_MAX_REPLICAS}: regions stay under-replicated"
}

# --- members -----------------------------------------------------------------------

pd_member_name()  { printf 'pd%s\n' "$1"; }
pd_client_port()  { echo $(( PD_CLIENT_PORT_BASE + $1 )); }
pd_peer_port()    { echo $(( PD_PEER_PORT_BASE + $1 )); }
pd_client_url()   { printf 'http://127.0.0.1:%s\n' "$(pd_client_port "$1")"; }
pd_peer_url()     { printf 'http://127.0.0.1:%s\n' "$(pd_peer_port "$1")"; }
pd_pidfile()      { printf '%s/%s.pid\n' "$PD_PIDS" "$1"; }
pd_logfile()      { printf '%s/%s.log\n' "$PD_LOGS" "$1"; }
pd_member_ids()   { seq 1 "$PD_MEMBER_COUNT"; }
pd_storesim_url() { printf 'http://127.0.0.1:%s\n' "$PD_STORESIM_PORT"; }

pd_endpoints() {
    local i out=""
    for i in $(pd_member_ids); do
        out+="${out:+,}$(pd_client_url "$i")"
    done
    echo "$out"
}

pd_member_names() {
    local i out=""
    for i in $(pd_member_ids); do
        out+="${out:+,}$(pd_member_name "$i")"
    done
    echo "$out"
}

pd_initial_cluster() {
    local i out=""
    for i in $(pd_member_ids); do
        out+="${out:+,}$(pd_member_name "$i")=$(pd_peer_url "$i")"
    done
    echo "$out"
}

# Accepts 2, pd2.
pd_parse_member() {
    local id="${1#pd}"
    [[ "$id" =~ ^[1-9]$ && "$id" -le "$PD_MEMBER_COUNT" ]] ||
        sg_die "'$1' is not a PD member (1..${PD_MEMBER_COUNT} or pd1..pd${PD_MEMBER_COUNT})"
    echo "$id"
}

pd_member_alive() { sg_pidfile_alive "$(pd_pidfile "$(pd_member_name "$1")")" >/dev/null; }
pd_storesim_alive() { sg_pidfile_alive "$(pd_pidfile storesim)" >/dev/null; }

# A member answers its own HTTP API (not necessarily as leader).
pd_member_ready() { sg_http_ok "$(pd_client_url "$1")/pd/api/v1/members"; }

# GET on the PD API of the first member that answers.
pd_api() {
    local path="$1" i
    shift
    for i in $(pd_member_ids); do
        pd_member_alive "$i" || continue
        if curl -fsS --max-time 5 "$@" "$(pd_client_url "$i")/pd/api/v1/${path}" 2>/dev/null; then
            return 0
        fi
    done
    return 1
}

pd_first_live_url() {
    local i
    for i in $(pd_member_ids); do
        if pd_member_alive "$i" && pd_member_ready "$i"; then
            pd_client_url "$i"
            return 0
        fi
    done
    return 1
}

# PD answers with the member list once raft has a leader.
pd_has_leader() { pd_api leader | jq -e '.name' >/dev/null; }

pd_rss_kb() {
    local pid
    pid="$(sg_pidfile_alive "$(pd_pidfile "$1")")" || { echo 0; return; }
    awk '/^VmRSS:/{print $2}' "/proc/${pid}/status" 2>/dev/null || echo 0
}

# --- building ------------------------------------------------------------------------

pd_require_tools() {
    local t
    for t in "$@"; do
        command -v "$t" >/dev/null 2>&1 || sg_die "'$t' is required (Debian: apt-get install ${t})"
    done
}

pd_storesim_hash() {
    { cat "${PD_SRC}/storesim/"*.go; echo "$PD_BUILD_RECIPE"; } | sha256sum | cut -c1-16
}

pd_stamp() {
    printf 'tikv/pd %s %s %s recipe %s\n' "$PD_MODULE_VERSION" "$PD_VERSION" "$(go env GOVERSION)" "$PD_BUILD_RECIPE"
}

# `go install github.com/tikv/pd/cmd/pd-server@...` refuses the module
# because its go.mod has a replace directive (grpc v1.54.0 => v1.26.0), and
# replaces act only in the main module. So, as for the kube peer, we generate
# a throw-away main module that requires tikv/pd, copies its replaces, and
# holds storesim; one `go build` then compiles pd-server, pd-ctl and storesim,
# which share kvproto, grpc and the rest.
#
# Hashes: the checksum database reachable here has no entry for the
# tidb-dashboard pseudo-version PD requires (404), so Go would refuse it. The
# hash is pinned in scripts/pd/pd.go.sum (it is the one in PD's own go.sum,
# which the checksum database does authenticate) and only that module skips
# the database. Everything else is verified as usual.
pd_build() {
    pd_require_tools go jq curl
    sg_ensure_go 1.21
    sg_assert_outside_repo "$PD_CACHE" SPOTGUIDE_CACHE
    local want sim_hash
    want="$(pd_stamp)"
    sim_hash="$(pd_storesim_hash)"
    if [[ -r "${PD_BIN_DIR}/.complete" && "$(cat "${PD_BIN_DIR}/.complete")" == "$want" &&
          -r "${PD_BIN_DIR}/.storesim" && "$(cat "${PD_BIN_DIR}/.storesim")" == "$sim_hash" ]]; then
        return 0
    fi
    # In a subshell so the lock is released on return (the daemons started
    # later must not inherit it).
    (
        sg_lock "${PD_CACHE}/.build-pd.lock"
        pd_build_locked "$want" "$sim_hash"
    ) || exit 1
}

pd_build_locked() {
    local want="$1" sim_hash="$2" t0 src log
    src="${PD_HOME}/src"
    log="${PD_HOME}/build.log"
    t0="$(sg_now_ms)"
    local full=1
    if [[ -r "${PD_BIN_DIR}/.complete" && "$(cat "${PD_BIN_DIR}/.complete")" == "$want" && -r "${src}/go.mod" ]]; then
        [[ -r "${PD_BIN_DIR}/.storesim" && "$(cat "${PD_BIN_DIR}/.storesim")" == "$sim_hash" ]] && return 0
        full=0
    fi
    local -a goenv=(env CGO_ENABLED=0 GONOSUMDB=github.com/pingcap/tidb-dashboard GOFLAGS="${GOFLAGS} -mod=mod")
    if (( full == 1 )); then
        sg_log "building tikv/pd ${PD_MODULE_VERSION} (${PD_VERSION}: pd-server, pd-ctl) and storesim into ${PD_BIN_DIR}"
        rm -rf "$src" "$PD_BIN_DIR" "${PD_BIN_DIR}.tmp"
        sg_mkdir "$src" "${PD_BIN_DIR}.tmp"
        local pinned meta gomod
        pinned="$(grep -E "^github\.com/(tikv/pd ${PD_MODULE_VERSION//./\\.}|pingcap/tidb-dashboard )" "${PD_SRC}/pd.go.sum" || true)"
        # Outside any module, so the download is checked against the
        # checksum database (tikv/pd itself is in it).
        meta="$(cd "$src" && "${goenv[@]}" go mod download -json "github.com/tikv/pd@${PD_MODULE_VERSION}" 2>"${src}/download.err")" || true
        jq -e '.GoMod and (.Error | not)' >/dev/null 2>&1 <<<"$meta" ||
            sg_die "go mod download github.com/tikv/pd@${PD_MODULE_VERSION} failed: ${meta} $(cat "${src}/download.err")"
        if grep -q "^github.com/tikv/pd ${PD_MODULE_VERSION} " <<<"$pinned"; then
            [[ "$(jq -r .Sum <<<"$meta")" == "$(awk -v v="$PD_MODULE_VERSION" '$1 == "github.com/tikv/pd" && $2 == v {print $3}' <<<"$pinned")" ]] ||
                sg_die "github.com/tikv/pd@${PD_MODULE_VERSION} does not match scripts/pd/pd.go.sum"
        fi
        gomod="$(jq -r .GoMod <<<"$meta")"
        # Each tidb-dashboard line we pin must be the one PD's own go.sum has.
        local line
        while IFS= read -r line; do
            [[ "$line" == github.com/pingcap/tidb-dashboard* ]] || continue
            grep -qxF "$line" "$(jq -r .Dir <<<"$meta")/go.sum" ||
                sg_die "pinned '${line}' is not in tikv/pd's go.sum"
        done <<<"$pinned"

        local relmod
        relmod="$(go mod edit -json "$gomod")"
        local -a edit=(-module spotguide.local/pd-binaries -go "$(jq -r .Go <<<"$relmod")"
                       -require "github.com/tikv/pd@${PD_MODULE_VERSION}")
        local rep
        while IFS= read -r rep; do
            [[ -n "$rep" ]] && edit+=(-replace "$rep")
        done < <(jq -r '(.Replace // [])[] | select(.New.Version != null) |
                        "\(.Old.Path)\(if .Old.Version then "@" + .Old.Version else "" end)=\(.New.Path)@\(.New.Version)"' <<<"$relmod")
        printf 'module spotguide.local/pd-binaries\n' >"${src}/go.mod"
        (cd "$src" && go mod edit "${edit[@]}")
        printf '%s\n' "$pinned" >"${src}/go.sum"
    else
        sg_log "storesim changed; rebuilding it"
        rm -rf "${PD_BIN_DIR}.tmp"
        sg_mkdir "${PD_BIN_DIR}.tmp"
    fi
    rm -rf "${src}/storesim"
    sg_mkdir "${src}/storesim"
    cp "${PD_SRC}/storesim/"*.go "${src}/storesim/"

    local vpkg=github.com/tikv/pd/pkg/versioninfo
    local ldflags="-s -w -X ${vpkg}.PDReleaseVersion=${PD_VERSION} -X ${vpkg}.PDGitHash=${PD_GIT_HASH}"
    ldflags+=" -X ${vpkg}.PDGitBranch=spotguide-testenv -X ${vpkg}.PDEdition=Community"
    local -a pkgs=(./storesim)
    (( full == 1 )) && pkgs=(github.com/tikv/pd/cmd/pd-server github.com/tikv/pd/tools/pd-ctl ./storesim)
    sg_log "compiling ${pkgs[*]} (log: ${log}); a cold build takes several minutes on 2 cores"
    # without_dashboard: the dashboard needs its UI assets and cgo, and
    # nothing here would look at it (PD's Makefile: DASHBOARD=0).
    if ! (cd "$src" && "${goenv[@]}" go build "${PD_GO_BUILD_FLAGS[@]}" -tags without_dashboard \
            -ldflags "$ldflags" -o "${PD_BIN_DIR}.tmp/" "${pkgs[@]}") >"$log" 2>&1; then
        tail -n 30 "$log" >&2
        sg_die "building tikv/pd ${PD_MODULE_VERSION} failed (full log: ${log})"
    fi
    if (( full == 1 )); then
        mv "${PD_BIN_DIR}.tmp" "$PD_BIN_DIR"
        printf '%s\n' "$want" >"${PD_BIN_DIR}/.complete"
    else
        mv "${PD_BIN_DIR}.tmp/storesim" "${PD_STORESIM_BIN}.new"
        mv "${PD_STORESIM_BIN}.new" "$PD_STORESIM_BIN"
        rm -rf "${PD_BIN_DIR}.tmp"
    fi
    printf '%s\n' "$sim_hash" >"${PD_BIN_DIR}/.storesim"
    PD_BUILD_TIME="$(sg_since "$t0")"
    sg_log "built in ${PD_BUILD_TIME}"
}

# --- processes -----------------------------------------------------------------------

pd_write_config() {
    sed -e "s|@MAX_STORE_DOWN_TIME@|${PD_MAX_STORE_DOWN_TIME}|g" \
        -e "s|@MAX_REPLICAS@|${PD_MAX_REPLICAS}|g" \
        "${PD_SRC}/pd.toml.in" >"${PD_STATE}/pd.toml"
}

# pd_launch_member N [--join]: starts member N unless it runs. With --join it
# joins the running cluster as a new member (after `DELETE /members/name/..`
# removed it, its old data dir is useless).
pd_launch_member() {
    local id="$1" mode="${2:-}" name
    name="$(pd_member_name "$id")"
    pd_member_alive "$id" && return 0
    local p
    for p in "$(pd_client_port "$id")" "$(pd_peer_port "$id")"; do
        sg_port_in_use "$p" &&
            sg_die "port ${p} (${name}) is in use by another process; override SPOTGUIDE_PD_CLIENT_PORT_BASE/SPOTGUIDE_PD_PEER_PORT_BASE (docs/testenv-pd.md)"
    done
    local -a cluster_args=(--initial-cluster="$(pd_initial_cluster)")
    if [[ "$mode" == --join ]]; then
        local join="" i
        for i in $(pd_member_ids); do
            [[ "$i" != "$id" ]] && pd_member_alive "$i" && join+="${join:+,}$(pd_client_url "$i")"
        done
        [[ -n "$join" ]] || sg_die "${name}: no running member to join"
        rm -rf "${PD_DATA:?}/${name}"
        cluster_args=(--join="$join")
    fi
    # The log goes to stderr (captured in the log file by sg_start_daemon)
    # rather than --log-file, which PD would rotate on its own.
    sg_start_daemon "$name" "$(pd_pidfile "$name")" "$(pd_logfile "$name")" \
        "$PD_SERVER_BIN" --name="$name" --data-dir="${PD_DATA}/${name}" \
        --client-urls="$(pd_client_url "$id")" --peer-urls="$(pd_peer_url "$id")" \
        "${cluster_args[@]}" --config="${PD_STATE}/pd.toml" ||
        sg_die "${name} failed to start"
}

pd_wait_member() {
    local id="$1" name
    name="$(pd_member_name "$id")"
    sg_wait_daemon "$name" "$(pd_pidfile "$name")" "$(pd_logfile "$name")" 90 pd_member_ready "$id" ||
        sg_die "${name} did not start (log: $(pd_logfile "$name"))"
}

pd_launch_storesim() {
    pd_storesim_alive && return 0
    sg_port_in_use "$PD_STORESIM_PORT" &&
        sg_die "port ${PD_STORESIM_PORT} (storesim) is in use; override SPOTGUIDE_PD_STORESIM_PORT"
    sg_start_daemon storesim "$(pd_pidfile storesim)" "$(pd_logfile storesim)" \
        "$PD_STORESIM_BIN" -pd="$(pd_endpoints)" -listen="127.0.0.1:${PD_STORESIM_PORT}" \
        -stores="$PD_STORE_COUNT" -regions="$PD_REGION_COUNT" -store-version="$PD_STORE_VERSION" \
        -store-heartbeat="$PD_STORE_HEARTBEAT" -region-heartbeat="$PD_REGION_HEARTBEAT" ||
        sg_die "storesim failed to start"
}

pd_storesim() {
    local method="$1" path="$2"
    curl -fsS --max-time 10 -X "$method" "$(pd_storesim_url)${path}"
}

# PD's view: "id state_name region_count leader_count" per store, Tombstone
# included (/stores/check?state=... lists every state; plain /stores hides
# Tombstone stores).
pd_store_table() {
    pd_api "stores/check?state=Up&state=Offline&state=Tombstone&state=Disconnected&state=Down" |
        jq -r '.stores[]? | "\(.store.id) \(.store.state_name) \(.status.region_count // 0) \(.status.leader_count // 0)"' |
        sort -n
}

pd_store_state() { pd_store_table | awk -v id="$1" '$1 == id {print $2}'; }
pd_store_is()    { [[ "$(pd_store_state "$1")" == "$2" ]]; }

# Ready: every non-tombstone store that storesim plays is Up in PD and all
# regions reported with a leader.
pd_cluster_ready() {
    local sim want_regions
    sim="$(pd_storesim GET /status)" || return 1
    want_regions="$(jq -r '.regions' <<<"$sim")"
    local count
    count="$(pd_api regions/count | jq -r '.count')" || return 1
    [[ "$count" == "$want_regions" ]] || return 1
    local id
    # A store PD no longer lists was removed (remove-tombstone) while
    # storesim still plays it: it no longer counts.
    local table st
    table="$(pd_store_table)" || return 1
    for id in $(jq -r '.stores[] | select(.state == "running") | .id' <<<"$sim"); do
        st="$(awk -v id="$id" '$1 == id {print $2}' <<<"$table")"
        [[ -z "$st" || "$st" == Up ]] || return 1
    done
}

# Test-speed settings PD takes only through its API, applied after every
# store change (they are per store):
# - PD's default keyspace labeler rule asks for region splits at the keyspace
#   boundaries; storesim does not split regions, so such an operator would
#   sit on a region (timing out and coming back every minute) and block the
#   peer moves of a scale-in. Nothing here uses keyspaces: drop the rule.
# - The store limit (default 15 peer moves a minute per store) paces a
#   scale-in to minutes; real TiKV moves real data, storesim moves nothing.
pd_tune() {
    local url
    url="$(pd_first_live_url)" || return 1
    curl -fsS --max-time 5 -X DELETE "${url}/pd/api/v1/config/region-label/rule/keyspaces%2F0" >/dev/null 2>&1 || true
    curl -fsS --max-time 5 -X POST -H 'Content-Type: application/json' \
        -d "{\"rate\": ${PD_STORE_LIMIT}}" "${url}/pd/api/v1/stores/limit" >/dev/null
}

pd_current_store_ids() {
    pd_store_table | awk '$2 != "Tombstone" {print $1}' | paste -sd, -
}

# --- env -----------------------------------------------------------------------------------

pd_env_lines() {
    sg_env_line SPOTGUIDE_PD_ENDPOINTS "$(pd_endpoints)"
    sg_env_line SPOTGUIDE_PD_MEMBERS "$(pd_member_names)"
    sg_env_line SPOTGUIDE_PD_STORE_IDS "$PD_STORE_IDS"
    sg_env_line SPOTGUIDE_PD_VERSION "$PD_VERSION"
    sg_env_line SPOTGUIDE_PD_MODULE_VERSION "$PD_MODULE_VERSION"
    sg_env_line SPOTGUIDE_PD_MAX_REPLICAS "$PD_MAX_REPLICAS"
    sg_env_line SPOTGUIDE_PD_MAX_STORE_DOWN_TIME "$PD_MAX_STORE_DOWN_TIME"
    sg_env_line SPOTGUIDE_PD_REGION_COUNT "$PD_REGION_COUNT"
    sg_env_line SPOTGUIDE_PD_CTL "$PD_CTL_BIN"
    sg_env_line SPOTGUIDE_PD_SERVER "$PD_SERVER_BIN"
    sg_env_line SPOTGUIDE_PD_STORESIM_URL "$(pd_storesim_url)"
    sg_env_line SPOTGUIDE_PD_STATE_DIR "$PD_STATE"
    sg_env_line SPOTGUIDE_PD_LOG_DIR "$PD_LOGS"
    sg_env_line SPOTGUIDE_TESTENV "${SG_SCRIPTS_DIR}/testenv"
}

pd_write_env() {
    pd_env_lines >"${PD_TESTENV_ENV}.tmp"
    mv "${PD_TESTENV_ENV}.tmp" "$PD_TESTENV_ENV"
}

# --- verbs ---------------------------------------------------------------------------------

pd_usage() {
    cat >&2 <<'USAGE'
usage: scripts/testenv pd <verb> [args]

  up [--owner TOKEN]     build if needed, start (or reuse) 3 PD members + storesim
  down [--owner TOKEN]   stop everything (with --owner: only if started with it)
  status                 processes, PD members and PD's view of the stores
  env                    print export lines (SPOTGUIDE_PD_ENDPOINTS, ...)
  kill-store ID          silence store ID (no heartbeats: Disconnected after
                         20 s, Down after max-store-down-time)
  restart-store ID       let store ID heartbeat again; waits until PD says Up
  add-store              add a new empty store (scale-out); prints its id
  kill-pd N              SIGKILL PD member N (1..3 or pd1..pd3)
  restart-pd N           start member N again (stop it first if it runs); a
                         member removed with DELETE /members/name/pdN rejoins
                         as a new member with an empty data dir
  heal-pd                start every member that is not running, all at once,
                         then wait for each; brings a lost quorum back, which
                         restarting one member at a time cannot
  pdctl ARGS...          run pd-ctl against a live member (pd-ctl -u URL ARGS)
  logs NAME [LINES]      last lines of pd1..pd3 or storesim
  build                  only build the binaries into the cache

See docs/testenv-pd.md.
USAGE
}

pd_parse_owner() {
    PD_OWNER=""
    while [[ $# -gt 0 ]]; do
        case "$1" in
            --owner) PD_OWNER="${2:?--owner needs a token}"; shift 2 ;;
            --owner=*) PD_OWNER="${1#*=}"; shift ;;
            *) sg_die "unknown argument '$1'" ;;
        esac
    done
    [[ "$PD_OWNER" =~ ^[A-Za-z0-9_.:@+-]*$ ]] || sg_die "--owner token may only contain [A-Za-z0-9_.:@+-]"
}

pd_any_alive() {
    local i
    for i in $(pd_member_ids); do
        pd_member_alive "$i" && return 0
    done
    pd_storesim_alive
}

pd_wipe_state() {
    [[ -d "$PD_STATE" ]] || return 0
    if [[ -d "$PD_LOGS" ]]; then
        rm -rf "${PD_STATE}.logs.prev"
        mv "$PD_LOGS" "${PD_STATE}.logs.prev"
    fi
    rm -rf "$PD_STATE"
}

pd_up() {
    pd_parse_owner "$@"
    pd_require_tools curl jq
    local t0
    t0="$(sg_now_ms)"
    pd_paths
    sg_assert_outside_repo "$PD_STATE" SPOTGUIDE_RUN
    sg_lock "${PD_STATE}.lock"

    if [[ -r "$PD_CONFIG_ENV" ]] && pd_load_config && pd_any_alive; then
        local who
        who="$(sg_owner_get "$PD_STATE")"
        sg_log "already running (started $(stat -c %y "$PD_CONFIG_ENV" | cut -d. -f1)${who:+ by owner ${who}}); reusing it"
        pd_build
    else
        pd_wipe_state
        pd_load_config
        pd_validate_config
        pd_build
        sg_mkdir "$PD_STATE" "$PD_PIDS" "$PD_LOGS" "$PD_DATA"
        pd_write_config
        pd_save_config
        sg_owner_record "$PD_STATE" "$PD_OWNER"
    fi

    # Also the reuse path: a member or the simulator a test killed comes back.
    local i t1 started=0
    t1="$(sg_now_ms)"
    for i in $(pd_member_ids); do
        if ! pd_member_alive "$i"; then
            pd_launch_member "$i"
            started=$(( started + 1 ))
        fi
    done
    for i in $(pd_member_ids); do
        pd_wait_member "$i"
    done
    sg_wait_until "a PD leader" 60 pd_has_leader || sg_die "PD elected no leader (logs: ${PD_LOGS})"
    (( started > 0 )) && sg_log "PD members up with a leader in $(sg_since "$t1")"
    t1="$(sg_now_ms)"
    pd_launch_storesim
    sg_wait_daemon storesim "$(pd_pidfile storesim)" "$(pd_logfile storesim)" 60 \
        sg_http_ok "$(pd_storesim_url)/healthz" || sg_die "storesim did not start (log: $(pd_logfile storesim))"
    sg_wait_until "all stores Up and all regions reported" 90 pd_cluster_ready ||
        sg_die "stores or regions missing in PD (logs: ${PD_LOGS})"
    sg_log "stores Up in $(sg_since "$t1")"
    pd_tune || sg_die "could not apply the test settings to PD"

    PD_STORE_IDS="$(pd_current_store_ids)"
    pd_save_config
    pd_write_env
    local msg
    msg="pd ${PD_VERSION} ready: members $(pd_member_names) at $(pd_endpoints), stores ${PD_STORE_IDS} (${PD_REGION_COUNT} regions), in $(sg_since "$t0")"
    [[ -n "${PD_BUILD_TIME:-}" ]] && msg+=" (build: ${PD_BUILD_TIME})"
    sg_log "$msg"
    sg_log "use it: eval \"\$(scripts/testenv pd env)\"   (or read ${PD_TESTENV_ENV})"
}

pd_down() {
    pd_parse_owner "$@"
    pd_paths
    sg_lock "${PD_STATE}.lock"
    if [[ ! -d "$PD_STATE" ]]; then
        sg_log "not running"
        return 0
    fi
    pd_load_config
    if ! sg_owner_may_stop "$PD_STATE" "$PD_OWNER"; then
        local who
        who="$(sg_owner_get "$PD_STATE")"
        sg_log "not stopping: it was started by ${who:+owner ${who}}${who:-a plain 'up' (no --owner)}, not by owner ${PD_OWNER}"
        return 0
    fi
    local t0 i
    t0="$(sg_now_ms)"
    sg_stop_pidfile storesim "$(pd_pidfile storesim)" 5
    # All data is deleted next: no point in a graceful PD shutdown, and the
    # last members would only wait for a quorum that is already gone.
    for i in $(pd_member_ids); do
        sg_stop_pidfile "$(pd_member_name "$i")" "$(pd_pidfile "$(pd_member_name "$i")")" 5
    done
    pd_wipe_state
    sg_log "down in $(sg_since "$t0") (logs of this run: ${PD_STATE}.logs.prev)"
}

pd_status() {
    pd_load_config
    if [[ ! -r "$PD_CONFIG_ENV" ]]; then
        sg_log "not running (no state in ${PD_STATE})"
        return 3
    fi
    local i name pid rc=0 any=0 leader health
    leader="$(pd_api leader 2>/dev/null | jq -r '.name // empty' 2>/dev/null || true)"
    health="$(pd_api health 2>/dev/null || echo '[]')"
    printf '%-9s %-8s %-12s %-7s %-8s %s\n' NAME PID PORTS RSS_MB HEALTH ROLE
    for i in $(pd_member_ids); do
        name="$(pd_member_name "$i")"
        local h role=follower
        h="$(jq -r --arg n "$name" '.[]? | select(.name == $n) | if .health then "healthy" else "unhealthy" end' <<<"$health" 2>/dev/null)"
        [[ "$name" == "$leader" ]] && role=leader
        if pid="$(sg_pidfile_alive "$(pd_pidfile "$name")")"; then
            any=1
        else
            pid=-; role=stopped; rc=1
        fi
        printf '%-9s %-8s %-12s %-7s %-8s %s\n' "$name" "$pid" "$(pd_client_port "$i"),$(pd_peer_port "$i")" \
            "$(( $(pd_rss_kb "$name") / 1024 ))" "${h:--}" "$role"
    done
    if pid="$(sg_pidfile_alive "$(pd_pidfile storesim)")"; then
        any=1
        printf '%-9s %-8s %-12s %-7s %-8s %s\n' storesim "$pid" "$PD_STORESIM_PORT" "$(( $(pd_rss_kb storesim) / 1024 ))" - -
    else
        printf '%-9s %-8s %-12s %-7s %-8s %s\n' storesim - "$PD_STORESIM_PORT" 0 - stopped
        rc=1
    fi
    printf '\nSTORE STATE        REGIONS LEADERS\n'
    pd_store_table | awk '{printf "%-5s %-12s %-7s %s\n", $1, $2, $3, $4}' || true
    printf 'version %s, owner %s, state %s\n' "$PD_VERSION" "$(sg_owner_get "$PD_STATE")" "$PD_STATE"
    (( any == 1 )) || return 3
    return "$rc"
}

pd_env() {
    pd_paths
    [[ -r "$PD_TESTENV_ENV" ]] || sg_die "not running; start it with: scripts/testenv pd up"
    local line
    while IFS= read -r line; do
        [[ -n "$line" ]] && printf 'export %s\n' "$line"
    done <"$PD_TESTENV_ENV"
}

pd_require_running() {
    pd_paths
    [[ -r "$PD_CONFIG_ENV" ]] || sg_die "not running; start it with: scripts/testenv pd up"
    pd_load_config
}

pd_store_verb() {
    local verb="$1" id="${2:-}"
    [[ "$id" =~ ^[1-9][0-9]*$ ]] || sg_die "${verb}: which store? (a PD store id, see 'scripts/testenv pd status')"
    pd_require_running
    pd_storesim_alive || sg_die "storesim is not running (scripts/testenv pd up starts it again)"
    local t0
    t0="$(sg_now_ms)"
    case "$verb" in
        kill-store)
            pd_storesim POST "/stores/${id}/stop" >/dev/null || sg_die "storesim refused to stop store ${id}"
            sg_log "store ${id} silenced; PD shows it Disconnected after 20 s and Down after ${PD_MAX_STORE_DOWN_TIME}"
            ;;
        restart-store)
            pd_storesim POST "/stores/${id}/start" >/dev/null || sg_die "storesim refused to start store ${id}"
            sg_wait_until "store ${id} Up" 60 pd_store_is "$id" Up || sg_die "store ${id} did not come back Up"
            sg_log "store ${id} is Up again after $(sg_since "$t0")"
            ;;
    esac
}

pd_add_store() {
    pd_require_running
    sg_lock "${PD_STATE}.lock"
    local out id
    out="$(pd_storesim POST /stores)" || sg_die "storesim could not add a store"
    id="$(jq -r .id <<<"$out")"
    sg_wait_until "store ${id} Up" 60 pd_store_is "$id" Up || sg_die "store ${id} did not come Up"
    pd_tune || sg_die "could not apply the test settings to PD"
    PD_STORE_IDS="$(pd_current_store_ids)"
    pd_save_config
    pd_write_env
    sg_log "added store ${id}; stores now ${PD_STORE_IDS}"
    echo "$id"
}

pd_member_verb() {
    local verb="$1"
    [[ $# -ge 2 ]] || sg_die "${verb}: which member? (1..3 or pd1..pd3)"
    pd_require_running
    sg_lock "${PD_STATE}.lock"
    local id name t0
    id="$(pd_parse_member "$2")"
    name="$(pd_member_name "$id")"
    t0="$(sg_now_ms)"
    case "$verb" in
        kill-pd)
            local pid
            if pid="$(sg_pidfile_alive "$(pd_pidfile "$name")")"; then
                kill -KILL "$pid"
                sg_wait_until "${name} to exit" 10 pd_pid_gone "$pid" || true
                sg_log "killed ${name} (pid ${pid})"
            else
                sg_log "${name} is not running"
            fi
            ;;
        restart-pd)
            sg_stop_pidfile "$name" "$(pd_pidfile "$name")" 10
            local mode=""
            # Still a member? Otherwise (DELETE /members/name/...) its data
            # dir belongs to a removed member and PD would refuse it.
            # Without a quorum nobody can say (pd_api fails): then it is
            # still a member, and its data dir is what brings the quorum back.
            local members
            if members="$(pd_api members)" &&
               ! jq -e --arg n "$name" '.members[]? | select(.name == $n)' >/dev/null <<<"$members"; then
                mode=--join
                sg_log "${name} is no longer a member; it joins again as a new one"
            fi
            pd_launch_member "$id" "$mode"
            pd_wait_member "$id"
            sg_log "${name} started in $(sg_since "$t0")"
            ;;
    esac
}

pd_pid_gone() { ! sg_pid_alive "$1"; }

# With two of three members dead, a restarted one waits for a quorum that
# only the others can give, so all dead members start before any is awaited.
pd_heal_members() {
    pd_require_running
    sg_lock "${PD_STATE}.lock"
    local id t0 started=()
    t0="$(sg_now_ms)"
    for id in $(pd_member_ids); do
        pd_member_alive "$id" && continue
        pd_launch_member "$id"
        started+=("$id")
    done
    for id in "${started[@]}"; do
        pd_wait_member "$id"
    done
    if [[ ${#started[@]} -gt 0 ]]; then
        sg_log "started ${started[*]/#/pd} in $(sg_since "$t0")"
    else
        sg_log "every PD member is running"
    fi
}

pd_pdctl() {
    pd_require_running
    local url
    url="$(pd_first_live_url)" || sg_die "no PD member answers"
    exec "$PD_CTL_BIN" -u "$url" "$@"
}

pd_logs() {
    [[ $# -ge 1 ]] || sg_die "logs: pd1..pd${PD_MEMBER_COUNT:-3} or storesim?"
    pd_load_config
    local name="$1" f
    [[ "$name" =~ ^[1-9]$ ]] && name="pd${name}"
    f="$(pd_logfile "$name")"
    [[ -r "$f" ]] || sg_die "no log for ${name} at ${f}"
    tail -n "${2:-100}" "$f"
}

testenv_pd() {
    local verb="${1:-help}"
    [[ $# -gt 0 ]] && shift
    case "$verb" in
        up) pd_up "$@" ;;
        down) pd_down "$@" ;;
        status) pd_status "$@" ;;
        env) pd_env "$@" ;;
        kill-store|restart-store) pd_store_verb "$verb" "$@" ;;
        add-store) pd_add_store "$@" ;;
        kill-pd|restart-pd) pd_member_verb "$verb" "$@" ;;
        heal-pd) pd_heal_members "$@" ;;
        pdctl|pd-ctl) pd_pdctl "$@" ;;
        logs) pd_logs "$@" ;;
        build)
            pd_load_config
            pd_validate_config
            pd_build
            sg_log "binaries ready in ${PD_BIN_DIR}${PD_BUILD_TIME:+ (${PD_BUILD_TIME})}"
            ;;
        help|-h|--help) pd_usage ;;
        *) pd_usage; sg_die "unknown verb '${verb}'" ;;
    esac
}
