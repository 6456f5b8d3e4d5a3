# shellcheck shell=bash
# Peer "kube": a real Kubernetes control plane on 127.0.0.1 for integration
# tests. kube-apiserver, kube-controller-manager, kube-scheduler, kubectl and
# etcd built from one pinned Kubernetes release via the Go module proxy, kwok
# for fake nodes, and kubelet-shim (our own, scripts/kube/kubelet-shim) serving
# pod logs. docs/testenv-kube.md has the why, the ports, and the pod
# annotation contract.

# Bump when the way binaries are built changes (flags, package list), so that
# caches built the old way are rebuilt.
KUBE_BUILD_RECIPE=4

# Common to every Go build here, so that the standard library and shared
# modules compile once into GOCACHE. No DWARF: -ldflags=-w drops it at link
# time anyway, and not generating it cut compile time by ~11% and the build
# cache by ~15% in a measurement on client-go + apiserver.
KUBE_GO_BUILD_FLAGS=(-trimpath -gcflags=all=-dwarf=false)

# --- configuration -------------------------------------------------------------

# Defaults; every value can be overridden through the environment at `up`. The
# values in effect are recorded in $KUBE_STATE/config.env so that later verbs
# (status, restart, down) act on the running environment, not on whatever the
# caller's environment says now.
kube_defaults() {
    # 1.34 is the newest line whose kubelet still runs on cgroup v1 (1.35 refuses
    # it), so a later real-kubelet experiment on this machine stays possible.
    KUBE_VERSION="${SPOTGUIDE_KUBE_VERSION:-v1.34.12}"
    KWOK_VERSION="${SPOTGUIDE_KWOK_VERSION:-v0.8.0}"
    # build: the etcd server that the release itself requires (go.mod), compiled
    # in the same go build as Kubernetes, so it costs only its own packages.
    # debian: /usr/bin/etcd from etcd-server (3.4.23). It works for plain CRUD
    # and watches, but kube-apiserver turns off RequestWatchProgress with it,
    # and clients that use streaming lists (WatchList, on by default in
    # client-go >= 0.35, e.g. kwok v0.8.0) then see their watches fail over and
    # over and react late to changes.
    KUBE_ETCD_SOURCE="${SPOTGUIDE_KUBE_ETCD_SOURCE:-build}"

    # Non-default ports so that several peers (and a developer's own cluster)
    # can coexist on one machine.
    KUBE_ETCD_PORT="${SPOTGUIDE_KUBE_ETCD_PORT:-23790}"
    KUBE_ETCD_PEER_PORT="${SPOTGUIDE_KUBE_ETCD_PEER_PORT:-23800}"
    KUBE_APISERVER_PORT="${SPOTGUIDE_KUBE_APISERVER_PORT:-16443}"
    KUBE_KCM_PORT="${SPOTGUIDE_KUBE_KCM_PORT:-16257}"
    KUBE_SCHEDULER_PORT="${SPOTGUIDE_KUBE_SCHEDULER_PORT:-16259}"
    KUBE_KUBELET_PORT="${SPOTGUIDE_KUBE_KUBELET_PORT:-16250}"
    KUBE_KWOK_PORT="${SPOTGUIDE_KUBE_KWOK_PORT:-16247}"

    KUBE_SERVICE_CIDR="10.96.0.0/16"
    KUBE_POD_CIDR="10.244.0.0/16"
    # Fixed; they must match scripts/kube/limited-rbac.yaml.
    KUBE_LIMITED_NS="spotguide-limited"
    KUBE_LIMITED_SA="limited"
}

kube_paths() {
    KUBE_CACHE="$(sg_cache_dir)"
    KUBE_STATE="$(sg_run_dir)/kube"
    KUBE_PKI="${KUBE_STATE}/pki"
    KUBE_KUBECONFIGS="${KUBE_STATE}/kubeconfig"
    KUBE_PIDS="${KUBE_STATE}/pids"
    KUBE_LOGS="${KUBE_STATE}/logs"
    KUBE_ETCD_DATA="${KUBE_STATE}/etcd-data"
    KUBE_CONFIG_ENV="${KUBE_STATE}/config.env"
    KUBE_TESTENV_ENV="${KUBE_STATE}/testenv.env"
    KUBE_SRC="${SG_SCRIPTS_DIR}/kube"
}

# Derived from the versions; recomputed whenever the versions are known.
kube_bin_paths() {
    KUBE_BIN_DIR="${KUBE_CACHE}/kube/${KUBE_VERSION}/bin"
    KUBE_APISERVER_BIN="${KUBE_BIN_DIR}/kube-apiserver"
    KUBE_KCM_BIN="${KUBE_BIN_DIR}/kube-controller-manager"
    KUBE_SCHEDULER_BIN="${KUBE_BIN_DIR}/kube-scheduler"
    KUBECTL_BIN="${KUBE_BIN_DIR}/kubectl"
    KWOK_BIN="${KUBE_CACHE}/kwok/${KWOK_VERSION}/bin/kwok"
    local shim_hash
    shim_hash="$( { cat "${KUBE_SRC}/kubelet-shim/go.mod" "${KUBE_SRC}/kubelet-shim/main.go"; echo "$KUBE_BUILD_RECIPE"; } |
        sha256sum | cut -c1-16)"
    KUBE_SHIM_BIN="${KUBE_CACHE}/kubelet-shim/${shim_hash}/bin/kubelet-shim"
    case "$KUBE_ETCD_SOURCE" in
        debian) KUBE_ETCD_BIN="${SPOTGUIDE_KUBE_ETCD_BIN:-/usr/bin/etcd}" ;;
        build)  KUBE_ETCD_BIN="${KUBE_BIN_DIR}/etcd" ;;
        *) sg_die "SPOTGUIDE_KUBE_ETCD_SOURCE must be 'debian' or 'build', not '${KUBE_ETCD_SOURCE}'" ;;
    esac
}

kube_save_config() {
    {
        local v
        for v in KUBE_VERSION KWOK_VERSION KUBE_ETCD_SOURCE KUBE_ETCD_BIN \
                 KUBE_ETCD_PORT KUBE_ETCD_PEER_PORT KUBE_APISERVER_PORT KUBE_KCM_PORT \
                 KUBE_SCHEDULER_PORT KUBE_KUBELET_PORT KUBE_KWOK_PORT KUBE_SERVICE_CIDR \
                 KUBE_POD_CIDR KUBE_LIMITED_NS KUBE_LIMITED_SA KUBE_SHIM_BIN; do
            sg_env_line "$v" "${!v}"
        done
    } >"${KUBE_CONFIG_ENV}.tmp"
    mv "${KUBE_CONFIG_ENV}.tmp" "$KUBE_CONFIG_ENV"
}

# Loads the configuration of the running environment if there is one, the
# defaults otherwise. Prints nothing.
kube_load_config() {
    kube_paths
    kube_defaults
    if [[ -r "$KUBE_CONFIG_ENV" ]]; then
        local recorded_shim="" recorded_etcd="" line key value
        while IFS= read -r line; do
            [[ "$line" == *=* ]] || continue
            key="${line%%=*}"
            value="${line#*=}"
            [[ "$key" =~ ^KUBE_[A-Z_]+$|^KWOK_VERSION$ ]] || continue
            case "$key" in
                KUBE_SHIM_BIN) recorded_shim="$value" ;;
                KUBE_ETCD_BIN) recorded_etcd="$value" ;;
                *) printf -v "$key" '%s' "$value" ;;
            esac
        done <"$KUBE_CONFIG_ENV"
        kube_bin_paths
        # The running shim may be an older build than the current sources, and
        # SPOTGUIDE_KUBE_ETCD_BIN may have changed since `up`.
        if [[ -n "$recorded_shim" ]]; then
            KUBE_SHIM_BIN="$recorded_shim"
        fi
        if [[ -n "$recorded_etcd" ]]; then
            KUBE_ETCD_BIN="$recorded_etcd"
        fi
    else
        kube_bin_paths
    fi
    KUBE_SERVER="https://127.0.0.1:${KUBE_APISERVER_PORT}"
    KUBE_ADMIN_KUBECONFIG="${KUBE_KUBECONFIGS}/admin.kubeconfig"
    KUBE_LIMITED_KUBECONFIG="${KUBE_KUBECONFIGS}/limited.kubeconfig"
    return 0
}

# --- building ----------------------------------------------------------------

kube_require_tools() {
    local t
    for t in "$@"; do
        command -v "$t" >/dev/null 2>&1 || sg_die "'$t' is required (Debian: apt-get install ${t/etcd/etcd-server})"
    done
}

# Kubernetes v1.X.Y publishes its staging modules (k8s.io/api, client-go, ...)
# as v0.X.Y.
kube_staging_version() {
    local v="${1#v}"
    printf 'v0.%s\n' "${v#*.}"
}

# `go install k8s.io/kubernetes/cmd/...@v1.X.Y` does not work: the release's
# go.mod requires its ~30 staging modules at v0.0.0 and points them into
# ./staging with replace directives, which Go ignores for dependencies. So we
# generate a throw-away main module that requires k8s.io/kubernetes and
# replaces each of those v0.0.0 requirements with the published v0.X.Y. The
# list comes from the release's own go.mod, so a version bump needs no edits
# here (1.31 lacks k8s.io/externaljwt, 1.36 adds k8s.io/streaming, ...).
kube_build_kubernetes() {
    local stamp="${KUBE_BIN_DIR}/.complete"
    local want
    want="kubernetes ${KUBE_VERSION} $(go env GOVERSION) recipe ${KUBE_BUILD_RECIPE}"
    if [[ -r "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
        return 0
    fi
    local t0 src meta gomod info_time commit staging major minor
    t0="$(sg_now_ms)"
    src="${KUBE_CACHE}/kube/${KUBE_VERSION}/src"
    sg_log "building Kubernetes ${KUBE_VERSION} (kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, etcd) into ${KUBE_BIN_DIR}"
    rm -rf "$src" "${KUBE_BIN_DIR}" "${KUBE_BIN_DIR}.tmp"
    sg_mkdir "$src" "${KUBE_BIN_DIR}.tmp"

    # Pinned hashes cover releases that the checksum database (as reachable
    # through the proxy) does not know yet; for those Go would refuse the
    # download. Everything else is verified against the checksum database.
    local pinned pinned_sum="" pinned_modsum=""
    pinned="$(grep -E "^k8s\.io/kubernetes ${KUBE_VERSION//./\\.}(/go\.mod)? " "${KUBE_SRC}/kubernetes.go.sum" || true)"
    local -a dl_env=()
    if [[ -n "$pinned" ]]; then
        pinned_sum="$(awk '$2 !~ /go\.mod$/ {print $3}' <<<"$pinned")"
        pinned_modsum="$(awk '$2 ~ /go\.mod$/ {print $3}' <<<"$pinned")"
        dl_env=(env "GONOSUMDB=k8s.io/kubernetes")
    fi
    # Run outside any module: inside the wrapper, Go would try to resolve the
    # v0.0.0 requirements we are about to replace.
    meta="$(cd "$src" && "${dl_env[@]}" go mod download -json "k8s.io/kubernetes@${KUBE_VERSION}" 2>"${src}/download.err")" || true
    if ! jq -e '.GoMod and (.Error | not)' >/dev/null 2>&1 <<<"$meta"; then
        sg_die "go mod download k8s.io/kubernetes@${KUBE_VERSION} failed: ${meta} $(cat "${src}/download.err")"
    fi
    if [[ -n "$pinned" ]]; then
        [[ "$(jq -r .Sum <<<"$meta")" == "$pinned_sum" && "$(jq -r .GoModSum <<<"$meta")" == "$pinned_modsum" ]] ||
            sg_die "k8s.io/kubernetes@${KUBE_VERSION} does not match the hashes pinned in scripts/kube/kubernetes.go.sum"
    fi
    gomod="$(jq -r .GoMod <<<"$meta")"
    commit="$(jq -r '.Origin.Hash // empty' <<<"$meta")"
    info_time="$(jq -r .Time "$(jq -r .Info <<<"$meta")")"

    local relmod
    relmod="$(go mod edit -json "$gomod")"
    staging="$(jq -r '.Require[] | select(.Version == "v0.0.0" and (.Path | startswith("k8s.io/"))) | .Path' <<<"$relmod")"
    [[ -n "$staging" ]] || sg_die "found no k8s.io/* v0.0.0 requirements in ${gomod}"

    local -a edit=(-module spotguide.local/kube-binaries -go "$(jq -r .Go <<<"$relmod")"
                   -require "k8s.io/kubernetes@${KUBE_VERSION}")
    # Carry the release's godebug defaults over: they only take effect in the
    # main module, and upstream builds the binaries with them.
    local gd
    while IFS= read -r gd; do
        [[ -n "$gd" ]] && edit+=(-godebug "$gd")
    done < <(jq -r '(.GoDebug // .Godebug // [])[] | "\(.Key)=\(.Value)"' <<<"$relmod")
    local sv mod
    sv="$(kube_staging_version "$KUBE_VERSION")"
    while IFS= read -r mod; do
        edit+=(-replace "${mod}=${mod}@${sv}")
    done <<<"$staging"
    printf 'module spotguide.local/kube-binaries\n' >"${src}/go.mod"
    (cd "$src" && go mod edit "${edit[@]}")
    [[ -n "$pinned" ]] && printf '%s\n' "$pinned" >"${src}/go.sum"

    major="${KUBE_VERSION#v}"; major="${major%%.*}"
    minor="${KUBE_VERSION#v*.}"; minor="${minor%%.*}"
    local ldflags="-s -w" pkg
    for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
        ldflags+=" -X ${pkg}.gitVersion=${KUBE_VERSION} -X ${pkg}.gitMajor=${major} -X ${pkg}.gitMinor=${minor}"
        ldflags+=" -X ${pkg}.gitTreeState=clean -X ${pkg}.buildDate=${info_time}"
        [[ -n "$commit" ]] && ldflags+=" -X ${pkg}.gitCommit=${commit}"
    done

    # etcd: the server version the release requires (for its integration
    # tests), i.e. the one it was tested against. Being in the same module
    # graph, it shares grpc, protobuf, otel and etcd's client packages with
    # kube-apiserver, so it adds only the server's own packages to the build.
    local etcd_version
    etcd_version="$(jq -r '.Require[] | select(.Path == "go.etcd.io/etcd/server/v3") | .Version' <<<"$relmod")"
    [[ -n "$etcd_version" ]] || sg_die "${KUBE_VERSION}'s go.mod does not require go.etcd.io/etcd/server/v3; set SPOTGUIDE_KUBE_ETCD_SOURCE=debian"

    # One go build for all five binaries: they share most packages, and each
    # is compiled once. Static like upstream (KUBE_STATIC_BINARIES); -s -w
    # because nobody debugs these binaries here and it makes linking cheaper.
    local log="${KUBE_CACHE}/kube/${KUBE_VERSION}/build.log"
    sg_log "compiling, with etcd ${etcd_version} (log: ${log}); a cold build takes a while on 2 cores"
    if ! (cd "$src" && "${dl_env[@]}" env CGO_ENABLED=0 go build -mod=mod "${KUBE_GO_BUILD_FLAGS[@]}" -ldflags "$ldflags" \
            -o "${KUBE_BIN_DIR}.tmp/" \
            k8s.io/kubernetes/cmd/kube-apiserver \
            k8s.io/kubernetes/cmd/kube-controller-manager \
            k8s.io/kubernetes/cmd/kube-scheduler \
            k8s.io/kubernetes/cmd/kubectl \
            go.etcd.io/etcd/server/v3) >"$log" 2>&1; then
        tail -n 30 "$log" >&2
        sg_die "building Kubernetes ${KUBE_VERSION} failed (full log: ${log})"
    fi
    # go build names a binary after its package path; for .../server/v3 that is "server".
    mv "${KUBE_BIN_DIR}.tmp/server" "${KUBE_BIN_DIR}.tmp/etcd"
    printf '%s\n' "$etcd_version" >"${KUBE_BIN_DIR}.tmp/etcd.version"
    mv "${KUBE_BIN_DIR}.tmp" "${KUBE_BIN_DIR}"
    printf '%s\n' "$want" >"$stamp"
    sg_log "built Kubernetes ${KUBE_VERSION} in $(sg_since "$t0")"
}

kube_kwok_stamp() {
    printf 'kwok %s %s recipe %s\n' "$KWOK_VERSION" "$(go env GOVERSION)" "$KUBE_BUILD_RECIPE"
}

kube_kwok_built() {
    local stamp
    stamp="$(dirname "$KWOK_BIN")/.complete"
    [[ -x "$KWOK_BIN" && -r "$stamp" && "$(cat "$stamp")" == "$(kube_kwok_stamp)" ]]
}

# kwok's go.mod has no replace directives, so a plain `go install` works.
kube_build_kwok() {
    kube_kwok_built && return 0
    local dir t0
    dir="$(dirname "$KWOK_BIN")"
    t0="$(sg_now_ms)"
    rm -rf "$dir"
    sg_mkdir "$dir"
    local log="${dir}/../build.log"
    sg_log "building kwok ${KWOK_VERSION} into ${dir}"
    if ! GOBIN="$dir" CGO_ENABLED=0 go install "${KUBE_GO_BUILD_FLAGS[@]}" \
            -ldflags "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=${KWOK_VERSION}" \
            "sigs.k8s.io/kwok/cmd/kwok@${KWOK_VERSION}" >"$log" 2>&1; then
        tail -n 30 "$log" >&2
        sg_die "building kwok ${KWOK_VERSION} failed (full log: ${log})"
    fi
    kube_kwok_stamp >"${dir}/.complete"
    sg_log "built kwok ${KWOK_VERSION} in $(sg_since "$t0")"
}

# Our fake kubelet log endpoint; standard library only, builds in seconds.
# Keyed by a hash of its sources so that edits rebuild it.
kube_build_shim() {
    [[ -x "$KUBE_SHIM_BIN" ]] && return 0
    local dir log
    dir="$(dirname "$KUBE_SHIM_BIN")"
    rm -rf "$dir"
    sg_mkdir "$dir"
    log="${dir}/../build.log"
    if ! (cd "${KUBE_SRC}/kubelet-shim" && CGO_ENABLED=0 go build "${KUBE_GO_BUILD_FLAGS[@]}" -ldflags "-s -w" \
            -o "${KUBE_SHIM_BIN}.tmp" .) >"$log" 2>&1; then
        cat "$log" >&2
        sg_die "building kubelet-shim failed"
    fi
    mv "${KUBE_SHIM_BIN}.tmp" "$KUBE_SHIM_BIN"
}

kube_build() {
    kube_require_tools go jq
    sg_ensure_go 1.26
    sg_assert_outside_repo "$(sg_cache_dir)" SPOTGUIDE_CACHE
    sg_lock "${KUBE_CACHE}/.build-kube.lock"
    local t0
    t0="$(sg_now_ms)"
    # kwok is a separate module graph (newer k8s.io libraries), so it cannot
    # share the Kubernetes build. Running it alongside fills the CPU while the
    # big build is in its single-threaded link steps.
    local kwok_pid="" kwok_rc=0
    if ! kube_kwok_built; then
        kube_build_kwok &
        kwok_pid=$!
    fi
    kube_build_kubernetes
    kube_build_shim
    if [[ -n "$kwok_pid" ]]; then
        wait "$kwok_pid" || kwok_rc=$?
        (( kwok_rc == 0 )) || sg_die "building kwok failed"
    fi
    kube_build_kwok
    local b
    for b in "$KUBE_APISERVER_BIN" "$KUBE_KCM_BIN" "$KUBE_SCHEDULER_BIN" "$KUBECTL_BIN" "$KWOK_BIN" "$KUBE_SHIM_BIN"; do
        [[ -x "$b" ]] || sg_die "missing binary after build: $b"
    done
    [[ -x "$KUBE_ETCD_BIN" ]] || sg_die "etcd not found at ${KUBE_ETCD_BIN} (apt-get install etcd-server, or leave SPOTGUIDE_KUBE_ETCD_SOURCE unset)"
    KUBE_BUILD_TIME="$(sg_since "$t0")"
}


# --- certificates and kubeconfigs ----------------------------------------------

# ECDSA P-256 throughout: generating a dozen RSA keys would dominate the start
# time, and every component accepts EC keys (including the service-account
# signing key, ES256).
kube_genkey() {
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null
    chmod 600 "$1"
}

# kube_gencert NAME SUBJECT EXTENDED_KEY_USAGE [SUBJECT_ALT_NAMES]
kube_gencert() {
    local name="$1" subj="$2" eku="$3" san="${4:-}"
    local key="${KUBE_PKI}/${name}.key" crt="${KUBE_PKI}/${name}.crt"
    kube_genkey "$key"
    local ext="basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=${eku}
authorityKeyIdentifier=keyid"
    [[ -n "$san" ]] && ext+=$'\n'"subjectAltName=${san}"
    local ca="${KUBE_SIGNING_CA:-ca}"
    openssl req -new -key "$key" -subj "$subj" \
            -config <(printf '[req]\ndistinguished_name=dn\n[dn]\n') 2>/dev/null |
        openssl x509 -req -CA "${KUBE_PKI}/${ca}.crt" -CAkey "${KUBE_PKI}/${ca}.key" \
            -set_serial "0x$(openssl rand -hex 16)" -days 3650 -sha256 \
            -extfile <(printf '%s\n' "$ext") -out "$crt" 2>/dev/null ||
        sg_die "could not create certificate ${name}"
}

kube_gen_pki() {
    sg_mkdir "$KUBE_PKI"
    kube_genkey "${KUBE_PKI}/ca.key"
    openssl req -x509 -new -key "${KUBE_PKI}/ca.key" -subj "/CN=spotguide-kube-ca" -days 3650 -sha256 \
        -config <(printf '[req]\ndistinguished_name=dn\nx509_extensions=v3\n[dn]\n[v3]\n%s\n%s\n%s\n' \
                    'basicConstraints=critical,CA:TRUE' 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature' \
                    'subjectKeyIdentifier=hash') \
        -out "${KUBE_PKI}/ca.crt" 2>/dev/null || sg_die "could not create the CA"

    # Key generation dominates; the leaves are independent, so make them in
    # parallel.
    local -a jobs=()
    local loopback="IP:127.0.0.1,DNS:localhost"
    # 10.96.0.1 is the ClusterIP of the kubernetes service; the names are what
    # in-cluster clients would use. The real node's address is where pods on
    # it reach the API server (through a relay, see real-node/spark/image.sh),
    # named even when no real node is started, so that one can be added to
    # a running environment.
    kube_gencert apiserver "/CN=kube-apiserver" serverAuth \
        "${loopback},IP:$(kube_rn_node_ip),IP:10.96.0.1,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local" &
    jobs+=($!)
    kube_gencert admin "/O=system:masters/CN=spotguide-admin" clientAuth &
    jobs+=($!)
    # Fixed user names that the bootstrap RBAC policy already grants exactly
    # what these components need.
    kube_gencert controller-manager "/CN=system:kube-controller-manager" clientAuth &
    jobs+=($!)
    kube_gencert scheduler "/CN=system:kube-scheduler" clientAuth &
    jobs+=($!)
    kube_gencert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" clientAuth &
    jobs+=($!)
    # kwok patches node and pod status, deletes pods and renews leases in
    # every namespace; no bootstrap role covers that, so it is an admin.
    kube_gencert kwok "/O=system:masters/CN=kwok-controller" clientAuth &
    jobs+=($!)
    kube_gencert kubelet-shim-client "/O=system:masters/CN=spotguide-kubelet-shim" clientAuth &
    jobs+=($!)
    # The fake nodes' kubelet endpoint (kubelet-shim) and kwok's own server.
    kube_gencert kubelet "/CN=spotguide-kwok-kubelet" serverAuth "$loopback" &
    jobs+=($!)

    # Front-proxy (request header) identity, as kubeadm sets it up. Without it
    # kube-controller-manager and kube-scheduler log an error every few
    # seconds about the missing requestheader CA, and aggregated APIs could not
    # be served. A separate CA, because whatever it signs may assert any user.
    kube_genkey "${KUBE_PKI}/front-proxy-ca.key"
    openssl req -x509 -new -key "${KUBE_PKI}/front-proxy-ca.key" -subj "/CN=spotguide-front-proxy-ca" -days 3650 -sha256 \
        -config <(printf '[req]\ndistinguished_name=dn\nx509_extensions=v3\n[dn]\n[v3]\n%s\n%s\n' \
                    'basicConstraints=critical,CA:TRUE' 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature') \
        -out "${KUBE_PKI}/front-proxy-ca.crt" 2>/dev/null || sg_die "could not create the front-proxy CA"
    KUBE_SIGNING_CA=front-proxy-ca kube_gencert front-proxy-client "/CN=front-proxy-client" clientAuth &
    jobs+=($!)

    kube_genkey "${KUBE_PKI}/sa.key"
    openssl pkey -in "${KUBE_PKI}/sa.key" -pubout -out "${KUBE_PKI}/sa.pub" 2>/dev/null
    local j
    for j in "${jobs[@]}"; do
        wait "$j" || sg_die "creating the certificates failed"
    done
}

# kube_write_kubeconfig FILE USER CONTEXT_NAMESPACE (--cert NAME | --token TOKEN_FILE)
# Credentials are embedded rather than referenced, so a kubeconfig still works
# when copied elsewhere, and the C++ kubeconfig parser gets exercised on the
# common *-data form.
kube_write_kubeconfig() {
    local file="$1" user="$2" ns="$3" kind="$4" arg="$5" creds
    case "$kind" in
        --cert)
            creds="    client-certificate-data: $(base64 -w0 <"${KUBE_PKI}/${arg}.crt")
    client-key-data: $(base64 -w0 <"${KUBE_PKI}/${arg}.key")" ;;
        --token)
            creds="    token: $(cat "$arg")" ;;
        *) sg_die "kube_write_kubeconfig: bad credential kind $kind" ;;
    esac
    sg_mkdir "$(dirname "$file")"
    cat >"${file}.tmp" <<KUBECONFIG
apiVersion: v1
kind: Config
clusters:
- name: spotguide
  cluster:
    server: ${KUBE_SERVER}
    certificate-authority-data: $(base64 -w0 <"${KUBE_PKI}/ca.crt")
users:
- name: ${user}
  user:
${creds}
contexts:
- name: ${user}@spotguide
  context:
    cluster: spotguide
    user: ${user}
    namespace: ${ns}
current-context: ${user}@spotguide
KUBECONFIG
    chmod 600 "${file}.tmp"
    mv "${file}.tmp" "$file"
}

kube_write_kubeconfigs() {
    kube_write_kubeconfig "$KUBE_ADMIN_KUBECONFIG" spotguide-admin default --cert admin
    kube_write_kubeconfig "${KUBE_KUBECONFIGS}/controller-manager.kubeconfig" \
        system:kube-controller-manager kube-system --cert controller-manager
    kube_write_kubeconfig "${KUBE_KUBECONFIGS}/scheduler.kubeconfig" system:kube-scheduler kube-system --cert scheduler
    kube_write_kubeconfig "${KUBE_KUBECONFIGS}/kwok.kubeconfig" kwok-controller default --cert kwok
}

# kwok reads its Stages from the config file; the stage sources carry the
# release versions as placeholders so that nodes report them. The file has no
# KwokConfiguration document on purpose: kwok v0.8.0 fills in its defaults
# only when there is none (with one, unset parallelism options stay 0 and it
# refuses to start); the options are passed as flags instead.
kube_write_kwok_config() {
    local out="${KUBE_STATE}/kwok.yaml" f first=1
    {
        for f in "${KUBE_SRC}"/kwok/*.yaml; do
            (( first == 1 )) || printf -- '---\n'
            sed -e "s|@KUBE_VERSION@|${KUBE_VERSION}|g" -e "s|@KWOK_VERSION@|${KWOK_VERSION}|g" "$f"
            first=0
        done
    } >"$out"
    (( first == 0 )) || sg_die "no kwok stages found in ${KUBE_SRC}/kwok"
}

# --- components ----------------------------------------------------------------

KUBE_COMPONENTS=(etcd apiserver controller-manager scheduler kubelet-shim kwok)

kube_canonical_component() {
    case "$1" in
        etcd) echo etcd ;;
        apiserver|kube-apiserver) echo apiserver ;;
        controller-manager|kube-controller-manager|kcm) echo controller-manager ;;
        scheduler|kube-scheduler) echo scheduler ;;
        kubelet-shim|shim|kubelet) echo kubelet-shim ;;
        kwok) echo kwok ;;
        *) sg_die "unknown component '$1' (one of: ${KUBE_COMPONENTS[*]})" ;;
    esac
}

kube_pidfile() { printf '%s/%s.pid\n' "$KUBE_PIDS" "$1"; }
kube_logfile() { printf '%s/%s.log\n' "$KUBE_LOGS" "$1"; }

# Sets KUBE_CMD to the command line of a component. The same function serves
# the first start and every restart, so a restarted kube-apiserver comes back
# with exactly the same flags, certificates and etcd.
kube_component_cmd() {
    local pki="$KUBE_PKI" kc="$KUBE_KUBECONFIGS"
    case "$1" in
        etcd)
            local etcd_url="http://127.0.0.1:${KUBE_ETCD_PORT}" peer_url="http://127.0.0.1:${KUBE_ETCD_PEER_PORT}"
            KUBE_CMD=("$KUBE_ETCD_BIN" --name=spotguide --data-dir="$KUBE_ETCD_DATA"
                --listen-client-urls="$etcd_url" --advertise-client-urls="$etcd_url"
                --listen-peer-urls="$peer_url" --initial-advertise-peer-urls="$peer_url"
                --initial-cluster="spotguide=${peer_url}" --initial-cluster-state=new
                --logger=zap --log-outputs=stderr)
            # Test data is throw-away; fsync per write only costs time. The
            # flag exists from etcd 3.5 on (Debian has 3.4).
            if "$KUBE_ETCD_BIN" --help 2>&1 | grep -q -- '--unsafe-no-fsync'; then
                KUBE_CMD+=(--unsafe-no-fsync=true)
            fi
            ;;
        apiserver)
            # shellcheck disable=SC2054 # the commas belong to flag values
            KUBE_CMD=("$KUBE_APISERVER_BIN"
                --etcd-servers="http://127.0.0.1:${KUBE_ETCD_PORT}"
                --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$KUBE_APISERVER_PORT"
                --cert-dir="${KUBE_STATE}/apiserver-certs"
                --tls-cert-file="${pki}/apiserver.crt" --tls-private-key-file="${pki}/apiserver.key"
                --client-ca-file="${pki}/ca.crt"
                --authorization-mode=Node,RBAC
                --service-cluster-ip-range="$KUBE_SERVICE_CIDR"
                --service-account-issuer=https://kubernetes.default.svc.cluster.local
                --service-account-key-file="${pki}/sa.pub"
                --service-account-signing-key-file="${pki}/sa.key"
                --kubelet-client-certificate="${pki}/apiserver-kubelet-client.crt"
                --kubelet-client-key="${pki}/apiserver-kubelet-client.key"
                --kubelet-certificate-authority="${pki}/ca.crt"
                # Node names (the default first choice) do not resolve here.
                --kubelet-preferred-address-types=InternalIP
                --requestheader-client-ca-file="${pki}/front-proxy-ca.crt"
                --requestheader-allowed-names=front-proxy-client
                --requestheader-username-headers=X-Remote-User
                --requestheader-group-headers=X-Remote-Group
                --requestheader-extra-headers-prefix=X-Remote-Extra-
                --proxy-client-cert-file="${pki}/front-proxy-client.crt"
                --proxy-client-key-file="${pki}/front-proxy-client.key"
                # The kubernetes Service would get 127.0.0.1 as its endpoint,
                # which Endpoints validation rejects (loopback) every 10 s. No
                # pod here can use that Service anyway.
                --endpoint-reconciler-type=none
                # PodTemplates skip the watch cache, so a watch from a
                # compacted resourceVersion really gets 410 Gone from etcd:
                # the client's relist path is tested against the real thing.
                --watch-cache-sizes=podtemplates#0
                --allow-privileged=true
                --v=1)
            ;;
        controller-manager)
            KUBE_CMD=("$KUBE_KCM_BIN"
                --kubeconfig="${kc}/controller-manager.kubeconfig"
                --authentication-kubeconfig="${kc}/controller-manager.kubeconfig"
                --authorization-kubeconfig="${kc}/controller-manager.kubeconfig"
                --bind-address=127.0.0.1 --secure-port="$KUBE_KCM_PORT"
                --cert-dir="${KUBE_STATE}/controller-manager-certs"
                # A single instance; leader election would only delay every
                # restart by the lease duration.
                --leader-elect=false
                --use-service-account-credentials=true
                --service-account-private-key-file="${pki}/sa.key"
                --root-ca-file="${pki}/ca.crt"
                --cluster-signing-cert-file="${pki}/ca.crt" --cluster-signing-key-file="${pki}/ca.key"
                --cluster-name=spotguide
                --v=1)
            ;;
        scheduler)
            KUBE_CMD=("$KUBE_SCHEDULER_BIN"
                --kubeconfig="${kc}/scheduler.kubeconfig"
                --authentication-kubeconfig="${kc}/scheduler.kubeconfig"
                --authorization-kubeconfig="${kc}/scheduler.kubeconfig"
                --bind-address=127.0.0.1 --secure-port="$KUBE_SCHEDULER_PORT"
                --cert-dir="${KUBE_STATE}/scheduler-certs"
                --leader-elect=false
                --v=1)
            ;;
        kubelet-shim)
            KUBE_CMD=("$KUBE_SHIM_BIN"
                -listen="127.0.0.1:${KUBE_KUBELET_PORT}"
                -tls-cert="${pki}/kubelet.crt" -tls-key="${pki}/kubelet.key"
                -client-ca="${pki}/ca.crt"
                -apiserver="$KUBE_SERVER" -apiserver-ca="${pki}/ca.crt"
                -cert="${pki}/kubelet-shim-client.crt" -key="${pki}/kubelet-shim-client.key"
                -kwok="https://127.0.0.1:${KUBE_KWOK_PORT}")
            ;;
        kwok)
            # HOME points into the state dir because kwok also loads
            # ~/.kwok/kwok.yaml when it exists, which would let a developer's
            # own kwok setup leak in.
            KUBE_CMD=("HOME=${KUBE_STATE}/kwok-home" "$KWOK_BIN"
                --kubeconfig="${kc}/kwok.kubeconfig"
                --config="${KUBE_STATE}/kwok.yaml"
                --manage-all-nodes=false
                --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake
                --manage-nodes-with-label-selector=
                --manage-single-node=
                --cidr="$KUBE_POD_CIDR"
                # What the nodes advertise: the kubelet endpoint is the shim.
                --node-ip=127.0.0.1 --node-port="$KUBE_KUBELET_PORT"
                --server-address="127.0.0.1:${KUBE_KWOK_PORT}"
                --tls-cert-file="${pki}/kubelet.crt" --tls-private-key-file="${pki}/kubelet.key"
                --node-lease-duration-seconds=40)
            ;;
        *) sg_die "kube_component_cmd: $1" ;;
    esac
}

kube_component_healthy() {
    local ca="${KUBE_PKI}/ca.crt"
    case "$1" in
        etcd)               sg_http_ok "http://127.0.0.1:${KUBE_ETCD_PORT}/health" ;;
        apiserver)          sg_http_ok "${KUBE_SERVER}/readyz" --cacert "$ca" ;;
        # Self-signed serving certificates (generated into their cert-dir).
        controller-manager) sg_http_ok "https://127.0.0.1:${KUBE_KCM_PORT}/healthz" --insecure ;;
        scheduler)          sg_http_ok "https://127.0.0.1:${KUBE_SCHEDULER_PORT}/healthz" --insecure ;;
        kubelet-shim)       sg_http_ok "https://127.0.0.1:${KUBE_KUBELET_PORT}/healthz" --cacert "$ca" ;;
        kwok)               sg_http_ok "https://127.0.0.1:${KUBE_KWOK_PORT}/healthz" --cacert "$ca" ;;
    esac
}

kube_component_port() {
    case "$1" in
        etcd) echo "$KUBE_ETCD_PORT" ;;
        apiserver) echo "$KUBE_APISERVER_PORT" ;;
        controller-manager) echo "$KUBE_KCM_PORT" ;;
        scheduler) echo "$KUBE_SCHEDULER_PORT" ;;
        kubelet-shim) echo "$KUBE_KUBELET_PORT" ;;
        kwok) echo "$KUBE_KWOK_PORT" ;;
    esac
}

kube_component_alive() {
    sg_pidfile_alive "$(kube_pidfile "$1")" >/dev/null
}

# Starts a component unless it is already running; returns without waiting
# for it to become healthy (kube_wait_component does that), so that
# independent components can start in parallel.
kube_launch_component() {
    local c="$1"
    if kube_component_alive "$c"; then
        return 0
    fi
    local port
    port="$(kube_component_port "$c")"
    if sg_port_in_use "$port"; then
        sg_die "port ${port} for ${c} is already in use by another process (override with SPOTGUIDE_KUBE_*_PORT, see docs/testenv-kube.md)"
    fi
    if [[ "$c" == kwok ]] && kube_component_healthy apiserver; then
        kube_release_node_leases
    fi
    kube_component_cmd "$c"
    sg_start_daemon "$c" "$(kube_pidfile "$c")" "$(kube_logfile "$c")" "${KUBE_CMD[@]}" ||
        sg_die "${c} failed to start"
    KUBE_LAUNCHED["$c"]="$(sg_now_ms)"
}

kube_wait_component() {
    local c="$1" timeout=60
    [[ "$c" == apiserver ]] && timeout=120
    sg_wait_daemon "$c" "$(kube_pidfile "$c")" "$(kube_logfile "$c")" "$timeout" kube_component_healthy "$c" ||
        sg_die "${c} did not start (log: $(kube_logfile "$c"))"
    if [[ -n "${KUBE_LAUNCHED[$c]:-}" ]]; then
        sg_log "started ${c} (pid $(sg_pidfile_alive "$(kube_pidfile "$c")"), port $(kube_component_port "$c")) in $(sg_since "${KUBE_LAUNCHED[$c]}")"
        unset "KUBE_LAUNCHED[$c]"
    fi
}

declare -gA KUBE_LAUNCHED=()

kube_start_component() {
    # Stages come from the repository: rewrite them at each kwok start so a
    # restart picks up edited or new stage files.
    [[ "$1" != kwok ]] || kube_write_kwok_config
    kube_launch_component "$1"
    kube_wait_component "$1"
}

# kwok only manages a node while it holds the node's Lease, and each kwok
# process has a new random identity. A restarted kwok would therefore leave all
# pods alone until the previous process's leases expire (40 s). Deleting the
# leases of our fake nodes before kwok starts lets it take over at once.
kube_release_node_leases() {
    local nodes
    nodes="$(kube_kubectl get nodes -l spotguide.test/fake-node=true -o name 2>/dev/null | sed 's|^node/||')" || return 0
    [[ -n "$nodes" ]] || return 0
    # shellcheck disable=SC2086 # one argument per node name
    kube_kubectl -n kube-node-lease delete lease --ignore-not-found --wait=false $nodes >/dev/null 2>&1 || true
}

# True once kwok has renewed the lease of each of the first N fake nodes since
# the given time (epoch seconds), i.e. it manages them again.
kube_kwok_holds_leases() {
    local n="$1" since="$2" renewed t count=0
    renewed="$(kube_kubectl -n kube-node-lease get leases \
        -o jsonpath='{range .items[*]}{.metadata.name} {.spec.renewTime}{"\n"}{end}' 2>/dev/null)" || return 1
    while read -r name t; do
        [[ "$name" == kwok-node-* && -n "$t" ]] || continue
        (( $(date -d "$t" +%s) >= since )) && count=$(( count + 1 ))
    done <<<"$renewed"
    (( count >= n ))
}

kube_stop_component() {
    local grace=10
    # After draining requests (immediately), kube-apiserver's graceful shutdown
    # still waits for every open connection: the other components' watch
    # connections and any log stream, which for a pod that runs forever never
    # ends. Tests restart it precisely to cut such streams, and all its state
    # is in etcd, so a short grace is enough.
    [[ "$1" == apiserver ]] && grace=3
    sg_stop_pidfile "$1" "$(kube_pidfile "$1")" "$grace"
    # A Go process's main thread can be a zombie while its other threads
    # still hold the listening socket; a restart must wait for the port.
    sg_wait_until "${1}'s port to close" 10 kube_component_port_free "$1" || true
}

# Creates a Job whose pod can never be scheduled and waits until the job
# controller has created that pod; then deletes the Job.
kube_probe_job_controller() {
    local name="spotguide-probe-$$-${RANDOM}" rc=0
    kube_kubectl -n kube-system create -f - >/dev/null <<EOF || return 1
apiVersion: batch/v1
kind: Job
metadata:
  name: ${name}
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      nodeSelector: {spotguide.test/no-such-node: "true"}
      containers: [{name: probe, image: busybox}]
EOF
    sg_wait_until "the job controller" 60 kube_job_has_pod "$name" || rc=1
    kube_kubectl -n kube-system delete job "$name" --cascade=background --wait=false >/dev/null 2>&1 || true
    return "$rc"
}

kube_job_has_pod() {
    [[ -n "$(kube_kubectl -n kube-system get pods -l "job-name=$1" -o name 2>/dev/null)" ]]
}

kube_component_port_free() { ! sg_port_in_use "$(kube_component_port "$1")"; }

# --- cluster objects -------------------------------------------------------------

kube_kubectl() {
    "$KUBECTL_BIN" --kubeconfig="$KUBE_ADMIN_KUBECONFIG" "$@"
}

# Fake nodes are plain Node objects; kwok picks up those annotated
# kwok.x-k8s.io/node=fake and plays the kubelet for them.
kube_ensure_nodes() {
    local n="$1" i manifest=""
    for (( i = 0; i < n; i++ )); do
        manifest+="---
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-${i}
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: \"0\"
  labels:
    type: kwok
    spotguide.test/fake-node: \"true\"
    kubernetes.io/hostname: kwok-node-${i}
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
"
    done
    kube_kubectl apply -f - >/dev/null <<<"$manifest" || sg_die "could not create the fake nodes"
}

# Ready and no longer tainted not-ready, i.e. the scheduler will use it.
kube_nodes_ready() {
    local n="$1" ready
    # shellcheck disable=SC2016 # a Go template, not shell
    ready="$(kube_kubectl get nodes -l spotguide.test/fake-node=true -o go-template='{{range .items}}{{$ready := false}}{{range .status.conditions}}{{if and (eq .type "Ready") (eq .status "True")}}{{$ready = true}}{{end}}{{end}}{{$tainted := false}}{{range .spec.taints}}{{if eq .key "node.kubernetes.io/not-ready"}}{{$tainted = true}}{{end}}{{end}}{{if and $ready (not $tainted)}}{{.metadata.name}}{{"\n"}}{{end}}{{end}}' 2>/dev/null)" || return 1
    [[ "$(grep -c . <<<"$ready")" -ge "$n" ]]
}

kube_default_sa_exists() {
    kube_kubectl -n default get serviceaccount default >/dev/null 2>&1 &&
        kube_kubectl -n "$KUBE_LIMITED_NS" get serviceaccount default >/dev/null 2>&1
}

kube_limited_token() {
    local t
    t="$(kube_kubectl -n "$KUBE_LIMITED_NS" get secret limited-token -o 'jsonpath={.data.token}' 2>/dev/null)" || return 1
    [[ -n "$t" ]] || return 1
    base64 -d <<<"$t"
}

kube_bootstrap_objects() {
    kube_kubectl apply -f "${KUBE_SRC}/limited-rbac.yaml" >/dev/null ||
        sg_die "could not create the limited ServiceAccount and its RBAC"
}

kube_write_limited_kubeconfig() {
    local tokfile="${KUBE_PKI}/limited.token"
    if ! sg_wait_until "the token of ServiceAccount ${KUBE_LIMITED_NS}/${KUBE_LIMITED_SA}" 60 kube_limited_token; then
        sg_die "kube-controller-manager did not fill in the limited token (log: $(kube_logfile controller-manager))"
    fi
    kube_limited_token >"${tokfile}.tmp"
    chmod 600 "${tokfile}.tmp"
    mv "${tokfile}.tmp" "$tokfile"
    kube_write_kubeconfig "$KUBE_LIMITED_KUBECONFIG" "$KUBE_LIMITED_SA" "$KUBE_LIMITED_NS" --token "$tokfile"
}

# KEY=VALUE for the C++ tests (and, prefixed with export, for shells).
kube_env_lines() {
    sg_env_line SPOTGUIDE_KUBECONFIG "$KUBE_ADMIN_KUBECONFIG"
    sg_env_line SPOTGUIDE_KUBE_LIMITED_KUBECONFIG "$KUBE_LIMITED_KUBECONFIG"
    sg_env_line SPOTGUIDE_KUBE_LIMITED_NAMESPACE "$KUBE_LIMITED_NS"
    sg_env_line SPOTGUIDE_KUBE_LIMITED_TOKEN_FILE "${KUBE_PKI}/limited.token"
    sg_env_line SPOTGUIDE_KUBE_SERVER "$KUBE_SERVER"
    sg_env_line SPOTGUIDE_KUBE_CA_FILE "${KUBE_PKI}/ca.crt"
    sg_env_line SPOTGUIDE_KUBE_ADMIN_CERT_FILE "${KUBE_PKI}/admin.crt"
    sg_env_line SPOTGUIDE_KUBE_ADMIN_KEY_FILE "${KUBE_PKI}/admin.key"
    sg_env_line SPOTGUIDE_KUBECTL "$KUBECTL_BIN"
    sg_env_line SPOTGUIDE_KUBE_VERSION "$KUBE_VERSION"
    sg_env_line SPOTGUIDE_KUBE_NODES "$(cat "${KUBE_STATE}/nodes" 2>/dev/null || echo 0)"
    sg_env_line SPOTGUIDE_KUBE_ETCD_ENDPOINT "http://127.0.0.1:${KUBE_ETCD_PORT}"
    sg_env_line SPOTGUIDE_KUBE_STATE_DIR "$KUBE_STATE"
    sg_env_line SPOTGUIDE_KUBE_LOG_DIR "$KUBE_LOGS"
    sg_env_line SPOTGUIDE_TESTENV "${SG_SCRIPTS_DIR}/testenv"
}

# --- verbs -----------------------------------------------------------------------

kube_usage() {
    cat >&2 <<'USAGE'
usage: scripts/testenv kube <verb> [args]

  up [--nodes N] [--owner TOKEN]   build if needed, start (or reuse) the environment
     [--real-node]                 also a real kubelet + containerd node (docs/real-node.md)
  down [--owner TOKEN]             stop it (with --owner: only if started with that token)
  status                           each component's pid and health; exit 0 if all healthy
  env                              print export lines (SPOTGUIDE_KUBECONFIG, ...)
  restart|stop|start COMPONENT     etcd, apiserver, controller-manager, scheduler,
                                   kubelet-shim, kwok
  logs COMPONENT [N]               last N (default 100) log lines of a component
  build                            only build/fetch the binaries into the cache

See docs/testenv-kube.md.
USAGE
}

kube_any_alive() {
    local c
    for c in "${KUBE_COMPONENTS[@]}"; do
        kube_component_alive "$c" && return 0
    done
    return 1
}

kube_all_alive() {
    local c
    for c in "${KUBE_COMPONENTS[@]}"; do
        kube_component_alive "$c" || return 1
    done
}

# Removes the state of a stopped environment; keeps the previous logs for a
# post-mortem.
kube_wipe_state() {
    [[ -d "$KUBE_STATE" ]] || return 0
    # >>> real node: its mounts, bridge and cgroups must go before rm -rf.
    kube_real_node_down
    # <<< real node
    if [[ -d "$KUBE_LOGS" ]]; then
        rm -rf "${KUBE_STATE}.logs.prev"
        mv "$KUBE_LOGS" "${KUBE_STATE}.logs.prev"
    fi
    rm -rf "$KUBE_STATE"
}

kube_up() {
    local nodes="${SPOTGUIDE_KUBE_NODES:-3}" owner="" real_node=0
    while [[ $# -gt 0 ]]; do
        case "$1" in
            --real-node) real_node=1; shift ;;  # real node: docs/real-node.md
            --nodes) nodes="${2:?--nodes needs a number}"; shift 2 ;;
            --nodes=*) nodes="${1#*=}"; shift ;;
            --owner) owner="${2:?--owner needs a token}"; shift 2 ;;
            --owner=*) owner="${1#*=}"; shift ;;
            *) sg_die "up: unknown argument '$1'" ;;
        esac
    done
    [[ "$nodes" =~ ^[0-9]+$ && "$nodes" -ge 1 ]] || sg_die "--nodes must be a positive number"
    [[ "$owner" =~ ^[A-Za-z0-9_.:@+-]*$ ]] || sg_die "--owner token may only contain [A-Za-z0-9_.:@+-]"
    kube_require_tools openssl curl jq
    local t0
    t0="$(sg_now_ms)"
    kube_paths
    sg_assert_outside_repo "$KUBE_STATE" SPOTGUIDE_RUN
    sg_lock "${KUBE_STATE}.lock"

    local reuse=0
    if [[ -r "${KUBE_STATE}/config.env" ]] && kube_load_config && kube_any_alive; then
        reuse=1
        if kube_all_alive && kube_component_healthy apiserver; then
            local who
            who="$(sg_owner_get "$KUBE_STATE")"
            sg_log "already running (started $(stat -c %y "$KUBE_CONFIG_ENV" | cut -d. -f1)${who:+ by owner ${who}}); reusing it"
        else
            sg_log "environment partly down; restarting the stopped components"
        fi
    else
        kube_wipe_state
        kube_load_config
        local c port
        for c in "${KUBE_COMPONENTS[@]}"; do
            port="$(kube_component_port "$c")"
            if [[ ! "$port" =~ ^[0-9]+$ ]] || (( port < 1 || port > 65535 )); then
                sg_die "invalid port '${port}' for ${c} (check SPOTGUIDE_KUBE_*_PORT)"
            fi
            if sg_port_in_use "$port"; then
                sg_die "port ${port} (${c}) is in use by another process; override it with SPOTGUIDE_KUBE_*_PORT (docs/testenv-kube.md)"
            fi
        done
        kube_build
        sg_mkdir "$KUBE_STATE" "$KUBE_PIDS" "$KUBE_LOGS" "${KUBE_STATE}/kwok-home"
        kube_gen_pki
        kube_write_kubeconfigs
        kube_write_kwok_config
        kube_save_config
        sg_owner_record "$KUBE_STATE" "$owner"
    fi

    kube_start_component etcd
    kube_start_component apiserver
    # The limited identity exists before the controller manager starts, so its
    # token controller fills in the token right away.
    (( reuse == 1 )) || kube_bootstrap_objects
    # The rest only depend on kube-apiserver.
    local c
    for c in controller-manager scheduler kubelet-shim kwok; do
        kube_launch_component "$c"
    done
    for c in controller-manager scheduler kubelet-shim kwok; do
        kube_wait_component "$c"
    done

    kube_ensure_nodes "$nodes"
    local have
    have="$(cat "${KUBE_STATE}/nodes" 2>/dev/null || echo 0)"
    (( nodes > have )) && echo "$nodes" >"${KUBE_STATE}/nodes"
    sg_wait_until "${nodes} fake nodes to be Ready and schedulable" 90 kube_nodes_ready "$nodes" ||
        sg_die "nodes did not become Ready (logs: $(kube_logfile kwok), $(kube_logfile controller-manager))"
    sg_wait_until "the default ServiceAccounts" 60 kube_default_sa_exists ||
        sg_die "no default ServiceAccount (log: $(kube_logfile controller-manager))"
    [[ -r "$KUBE_LIMITED_KUBECONFIG" ]] || kube_write_limited_kubeconfig

    kube_env_lines >"${KUBE_TESTENV_ENV}.tmp"
    mv "${KUBE_TESTENV_ENV}.tmp" "$KUBE_TESTENV_ENV"
    # >>> real node: started on request, and kept running (restarted if
    # needed) by any later `up` of an environment that has one.
    if (( real_node == 1 )) || kube_rn_present; then
        kube_real_node_up
    fi
    # <<< real node
    local msg
    msg="kube ${KUBE_VERSION} ready at ${KUBE_SERVER} with $(cat "${KUBE_STATE}/nodes") nodes in $(sg_since "$t0")"
    [[ -n "${KUBE_BUILD_TIME:-}" ]] && msg+=" (binaries: ${KUBE_BUILD_TIME})"
    sg_log "$msg"
    sg_log "use it: eval \"\$(scripts/testenv kube env)\"   (or read ${KUBE_TESTENV_ENV})"
}

kube_down() {
    local owner=""
    while [[ $# -gt 0 ]]; do
        case "$1" in
            --owner) owner="${2:?--owner needs a token}"; shift 2 ;;
            --owner=*) owner="${1#*=}"; shift ;;
            *) sg_die "down: unknown argument '$1'" ;;
        esac
    done
    kube_paths
    sg_lock "${KUBE_STATE}.lock"
    if [[ ! -d "$KUBE_STATE" ]]; then
        sg_log "not running"
        return 0
    fi
    kube_load_config
    if ! sg_owner_may_stop "$KUBE_STATE" "$owner"; then
        local who
        who="$(sg_owner_get "$KUBE_STATE")"
        if [[ -n "$who" ]]; then
            sg_log "not stopping: it was started by owner ${who}, not by owner ${owner}"
        else
            sg_log "not stopping: it was started by a plain 'up' (no --owner), not by owner ${owner}"
        fi
        return 0
    fi
    # >>> real node: first, while kube-apiserver can still delete its Node.
    kube_real_node_down
    # <<< real node
    local i
    for (( i = ${#KUBE_COMPONENTS[@]} - 1; i >= 0; i-- )); do
        kube_stop_component "${KUBE_COMPONENTS[i]}"
    done
    kube_wipe_state
    sg_log "down (logs of this run: ${KUBE_STATE}.logs.prev)"
}

kube_status() {
    kube_load_config
    if [[ ! -r "$KUBE_CONFIG_ENV" ]]; then
        sg_log "not running (no state in ${KUBE_STATE})"
        return 3
    fi
    local c pid health rc=0 any=0 who
    who="$(sg_owner_get "$KUBE_STATE")"
    printf '%-20s %-8s %-6s %s\n' COMPONENT PID PORT HEALTH
    for c in "${KUBE_COMPONENTS[@]}"; do
        if pid="$(sg_pidfile_alive "$(kube_pidfile "$c")")"; then
            any=1
            if kube_component_healthy "$c"; then health=ok; else health=unhealthy; rc=1; fi
        else
            pid=-; health=stopped; rc=1
        fi
        printf '%-20s %-8s %-6s %s\n' "$c" "$pid" "$(kube_component_port "$c")" "$health"
    done
    printf 'version %s, server %s, owner %s, state %s\n' "$KUBE_VERSION" "$KUBE_SERVER" "${who:--}" "$KUBE_STATE"
    if kube_component_healthy apiserver; then
        kube_kubectl get nodes -l spotguide.test/fake-node=true --no-headers 2>/dev/null |
            awk '{printf "node %s %s\n", $1, $2}'
    fi
    # >>> real node
    kube_real_node_status || rc=1
    # <<< real node
    (( any == 1 )) || return 3
    return "$rc"
}

kube_env() {
    kube_paths
    [[ -r "$KUBE_TESTENV_ENV" ]] || sg_die "not running; start it with: scripts/testenv kube up"
    local line
    while IFS= read -r line; do
        if [[ -n "$line" ]]; then
            printf 'export %s\n' "$line"
        fi
    done <"$KUBE_TESTENV_ENV"
}

kube_component_verb() {
    local verb="$1" c
    [[ $# -ge 2 ]] || sg_die "${verb}: which component? (${KUBE_COMPONENTS[*]})"
    c="$(kube_canonical_component "$2")"
    kube_paths
    [[ -r "$KUBE_CONFIG_ENV" ]] || sg_die "not running; start it with: scripts/testenv kube up"
    sg_lock "${KUBE_STATE}.lock"
    kube_load_config
    local t0
    t0="$(sg_now_ms)"
    case "$verb" in
        stop)    kube_stop_component "$c" ;;
        start)   kube_start_component "$c" ;;
        restart) kube_stop_component "$c"; kube_start_component "$c" ;;
    esac
    # After an apiserver restart, kube-controller-manager's informers came
    # back late: a new Job got its pod only 45-95 s later (measured here, and
    # 60 s in CI), so whichever test followed a restart waited or failed,
    # whether the apiserver had been stopped with SIGTERM or SIGKILL. Fresh
    # processes list everything at once, so the scheduler and the
    # controller-manager restart too. The controller-manager exits if the
    # apiserver goes away while it starts its controllers, so the verb
    # returns only once its job controller works.
    if [[ "$verb" != stop && "$c" == apiserver ]]; then
        local dep
        for dep in scheduler controller-manager; do
            kube_component_alive "$dep" || continue
            kube_stop_component "$dep"
            kube_launch_component "$dep"
        done
        for dep in scheduler controller-manager; do
            if [[ -n "${KUBE_LAUNCHED[$dep]:-}" ]]; then kube_wait_component "$dep"; fi
        done
        if kube_component_alive controller-manager; then
            kube_probe_job_controller ||
                sg_die "the controller-manager did not create a Job's pod within 60 s (log: $(kube_logfile controller-manager))"
        fi
    fi
    if [[ "$verb" != stop && "$c" == kwok ]]; then
        local n
        n="$(cat "${KUBE_STATE}/nodes")"
        sg_wait_until "kwok to take over the fake nodes" 90 kube_kwok_holds_leases "$n" "$(( t0 / 1000 ))" ||
            sg_die "kwok did not renew the node leases (log: $(kube_logfile kwok))"
        sg_wait_until "the fake nodes to be Ready" 90 kube_nodes_ready "$n" ||
            sg_die "nodes did not become Ready after restarting kwok"
    fi
    sg_log "${verb} ${c} done in $(sg_since "$t0")"
}

kube_logs() {
    local c f
    [[ $# -ge 1 ]] || sg_die "logs: which component? (${KUBE_COMPONENTS[*]})"
    c="$(kube_canonical_component "$1")"
    kube_paths
    f="$(kube_logfile "$c")"
    [[ -r "$f" ]] || sg_die "no log for ${c} at ${f}"
    tail -n "${2:-100}" "$f"
}

testenv_kube() {
    local verb="${1:-help}"
    [[ $# -gt 0 ]] && shift
    case "$verb" in
        up) kube_up "$@" ;;
        down) kube_down "$@" ;;
        status) kube_status "$@" ;;
        env) kube_env "$@" ;;
        start|stop|restart) kube_component_verb "$verb" "$@" ;;
        logs) kube_logs "$@" ;;
        build)
            kube_load_config
            kube_build
            sg_log "binaries ready in $(sg_cache_dir) (${KUBE_BUILD_TIME})"
            ;;
        help|-h|--help) kube_usage ;;
        *) kube_usage; sg_die "unknown verb '${verb}'" ;;
    esac
}

# >>> real node: optional extra node with a real kubelet (docs/real-node.md).
# Only defines functions; nothing runs unless `up --real-node` was used.
# shellcheck source=scripts/lib/kube-real-node.sh
source "${SG_SCRIPTS_DIR}/lib/kube-real-node.sh"
# <<< real node
