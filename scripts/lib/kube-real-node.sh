# shellcheck shell=bash
# Optional REAL node for the "kube" peer: a kubelet from the same Kubernetes
# build, Debian's containerd 1.6 + runc, CNI bridge, and locally built images
# (nothing is pulled). Started by `scripts/testenv kube up --real-node`, next
# to the kwok fake nodes; stopped by `kube down`. docs/real-node.md has the
# why of every setting and the measurements.
#
# Sourced by scripts/lib/kube.sh. scripts/testenv also offers it as a peer of
# its own (every scripts/lib/*.sh is one), for debugging:
#   scripts/testenv kube-real-node crictl ps -a

[[ -n "${_SG_KUBE_RN_SH:-}" ]] && return 0
_SG_KUBE_RN_SH=1

# shellcheck source=scripts/kube/real-node/spark/image.sh
source "${SG_SCRIPTS_DIR}/kube/real-node/spark/image.sh"

# Run as its own peer, the kube peer's functions are not loaded yet.
if ! declare -F kube_load_config >/dev/null; then
    # shellcheck source=scripts/lib/kube.sh
    source "${SG_SCRIPTS_DIR}/lib/kube.sh"
fi

# Bump when the way the kubelet, crictl or the images are built changes.
KUBE_RN_RECIPE=1

# --- configuration -------------------------------------------------------------

kube_rn_defaults() {
    KUBE_RN_NODE="${SPOTGUIDE_KUBE_REAL_NODE_NAME:-real-node-0}"
    # Next to the env's other non-default ports (kubelet-shim has 16250).
    KUBE_RN_KUBELET_PORT="${SPOTGUIDE_KUBE_REAL_NODE_KUBELET_PORT:-16252}"
    KUBE_RN_HEALTHZ_PORT="${SPOTGUIDE_KUBE_REAL_NODE_HEALTHZ_PORT:-16248}"
    # A /24 of its own: the kwok nodes hand out fake pod IPs from
    # 10.244.0.0/16, and real and fake IPs must not collide. Its .1 is the
    # bridge's address and the node IP.
    KUBE_RN_POD_CIDR="${SPOTGUIDE_KUBE_REAL_NODE_POD_CIDR:-10.245.0.0/24}"
    KUBE_RN_BRIDGE="${SPOTGUIDE_KUBE_REAL_NODE_BRIDGE:-sgrn0}"
    KUBE_RN_CGROUP="${SPOTGUIDE_KUBE_REAL_NODE_CGROUP:-spotguide-real-node}"
    # Upstream links the kubelet with cgo (it is not in KUBE_STATIC_BINARIES
    # of hack/lib/golang.sh). Here that changes the build ID of every package
    # that depends on net or os/user, i.e. nearly all of them, so nothing is
    # shared with the control plane's CGO_ENABLED=0 build: measured 12m47s vs
    # 49s on top of it. The static kubelet passes the same checks, so it is
    # the default; 1 gives the upstream-like binary (docs/real-node.md).
    KUBE_RN_CGO="${SPOTGUIDE_KUBE_REAL_NODE_CGO:-0}"
    # The only cri-tools version the module proxy serves here.
    KUBE_RN_CRI_TOOLS_VERSION=v1.34.0
    KUBE_RN_PAUSE_IMAGE=localhost/spotguide/pause:1
    KUBE_RN_BUSYBOX_IMAGE=localhost/spotguide/busybox:1
}

kube_rn_derived() {
    KUBE_RN_DIR="${KUBE_STATE}/real-node"
    KUBE_RN_CONFIG_ENV="${KUBE_RN_DIR}/config.env"
    KUBE_RN_SOCK="${KUBE_RN_DIR}/containerd/containerd.sock"
    KUBE_RN_SRC="${KUBE_SRC}/real-node"
    KUBE_RN_KUBELET_BIN="${KUBE_CACHE}/kube/${KUBE_VERSION}/real-node-bin/kubelet"
    KUBE_RN_CRICTL_BIN="${KUBE_CACHE}/cri-tools/${KUBE_RN_CRI_TOOLS_VERSION}/bin/crictl"
    KUBE_RN_NET="${KUBE_RN_POD_CIDR%.0/24}"
    KUBE_RN_NODE_IP="${KUBE_RN_NET}.1"
}

# The node IP a real node of this environment has or would have.
kube_rn_node_ip() {
    ( kube_rn_defaults; kube_rn_derived; printf '%s\n' "$KUBE_RN_NODE_IP" )
}

kube_rn_save_config() {
    {
        local v
        for v in KUBE_RN_NODE KUBE_RN_KUBELET_PORT KUBE_RN_HEALTHZ_PORT KUBE_RN_POD_CIDR \
                 KUBE_RN_BRIDGE KUBE_RN_CGROUP KUBE_RN_CGO KUBE_RN_CRI_TOOLS_VERSION \
                 KUBE_RN_PAUSE_IMAGE KUBE_RN_BUSYBOX_IMAGE KUBE_RN_KUBELET_BIN KUBE_RN_CRICTL_BIN; do
            sg_env_line "$v" "${!v}"
        done
    } >"${KUBE_RN_CONFIG_ENV}.tmp"
    mv "${KUBE_RN_CONFIG_ENV}.tmp" "$KUBE_RN_CONFIG_ENV"
}

# Like kube_load_config: the running real node's values win over the
# caller's environment. Call after kube_load_config.
kube_rn_load_config() {
    kube_rn_defaults
    kube_rn_derived
    if [[ -r "$KUBE_RN_CONFIG_ENV" ]]; then
        local line key
        while IFS= read -r line; do
            key="${line%%=*}"
            [[ "$key" =~ ^KUBE_RN_[A-Z_]+$ ]] || continue
            printf -v "$key" '%s' "${line#*=}"
        done <"$KUBE_RN_CONFIG_ENV"
        local kubelet="$KUBE_RN_KUBELET_BIN" crictl="$KUBE_RN_CRICTL_BIN"
        kube_rn_derived
        KUBE_RN_KUBELET_BIN="$kubelet"
        KUBE_RN_CRICTL_BIN="$crictl"
    fi
    [[ "$KUBE_RN_POD_CIDR" =~ ^[0-9]+\.[0-9]+\.[0-9]+\.0/24$ ]] ||
        sg_die "SPOTGUIDE_KUBE_REAL_NODE_POD_CIDR must be an IPv4 /24 ending in .0/24, not ${KUBE_RN_POD_CIDR}"
    [[ "$KUBE_RN_BRIDGE" =~ ^[a-z0-9-]{1,15}$ ]] || sg_die "bad bridge name ${KUBE_RN_BRIDGE}"
    [[ "$KUBE_RN_CGROUP" =~ ^[A-Za-z0-9_.-]+$ ]] || sg_die "bad cgroup name ${KUBE_RN_CGROUP}"
}

# The real node exists (is running, or was left behind) in this environment.
kube_rn_present() {
    [[ -d "${KUBE_STATE}/real-node" ]]
}

kube_rn_pidfile() { kube_pidfile "real-node-$1"; }
kube_rn_logfile() { kube_logfile "real-node-$1"; }

# --- building --------------------------------------------------------------------

kube_rn_kubelet_stamp() {
    printf 'kubelet %s %s cgo=%s cc=%s recipe %s\n' "$KUBE_VERSION" "$(go env GOVERSION)" "$KUBE_RN_CGO" \
        "$( (( KUBE_RN_CGO == 1 )) && gcc -dumpfullversion 2>/dev/null)" "$KUBE_RN_RECIPE"
}

# The kubelet through the same generated wrapper module as the control plane
# (kube_build_kubernetes writes it; its go.mod replaces the release's v0.0.0
# staging requirements). A copy, so that this build's go.sum additions never
# race with a rebuild of the other binaries.
kube_rn_build_kubelet() {
    local dir stamp want
    dir="$(dirname "$KUBE_RN_KUBELET_BIN")"
    stamp="${dir}/.complete"
    want="$(kube_rn_kubelet_stamp)"
    if [[ -x "$KUBE_RN_KUBELET_BIN" && -r "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
        return 0
    fi
    local wrapper="${KUBE_CACHE}/kube/${KUBE_VERSION}/src" src="${KUBE_CACHE}/kube/${KUBE_VERSION}/real-node-src"
    [[ -r "${wrapper}/go.mod" ]] ||
        sg_die "no wrapper module in ${wrapper}; delete ${KUBE_BIN_DIR}/.complete and run 'scripts/testenv kube build'"
    if (( KUBE_RN_CGO == 1 )); then
        kube_require_tools gcc
    fi
    local t0 info commit info_time major minor ldflags pkg log
    t0="$(sg_now_ms)"
    rm -rf "$src" "${dir}.tmp"
    sg_mkdir "$src" "${dir}.tmp"
    cp "${wrapper}/go.mod" "${wrapper}/go.sum" "$src/"
    # The version stamps, as kube_build_kubernetes sets them, from the
    # module's .info (already in the module cache).
    info="${GOMODCACHE}/cache/download/k8s.io/kubernetes/@v/${KUBE_VERSION}.info"
    [[ -r "$info" ]] || sg_die "missing ${info}; run 'scripts/testenv kube build' first"
    commit="$(jq -r '.Origin.Hash // empty' "$info")"
    info_time="$(jq -r .Time "$info")"
    major="${KUBE_VERSION#v}"; major="${major%%.*}"
    minor="${KUBE_VERSION#v*.}"; minor="${minor%%.*}"
    ldflags="-s -w"
    for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
        ldflags+=" -X ${pkg}.gitVersion=${KUBE_VERSION} -X ${pkg}.gitMajor=${major} -X ${pkg}.gitMinor=${minor}"
        ldflags+=" -X ${pkg}.gitTreeState=clean -X ${pkg}.buildDate=${info_time}"
        [[ -n "$commit" ]] && ldflags+=" -X ${pkg}.gitCommit=${commit}"
    done
    log="$(dirname "$dir")/kubelet-build.log"
    sg_log "building kubelet ${KUBE_VERSION} (CGO_ENABLED=${KUBE_RN_CGO}; log: ${log})"
    # k8s.io/kubernetes itself may be pinned in the wrapper's go.sum (see
    # scripts/kube/kubernetes.go.sum); go.sum already verifies it.
    if ! (cd "$src" && env GONOSUMDB=k8s.io/kubernetes CGO_ENABLED="$KUBE_RN_CGO" \
            go build -mod=mod "${KUBE_GO_BUILD_FLAGS[@]}" -ldflags "$ldflags" \
            -o "${dir}.tmp/kubelet" k8s.io/kubernetes/cmd/kubelet) >"$log" 2>&1 ||
       [[ ! -x "${dir}.tmp/kubelet" ]]; then
        tail -n 30 "$log" >&2
        sg_die "building the kubelet failed (full log: ${log})"
    fi
    rm -rf "$dir"
    mv "${dir}.tmp" "$dir"
    printf '%s\n' "$want" >"$stamp"
    sg_log "built kubelet in $(sg_since "$t0")"
}

# `go install sigs.k8s.io/cri-tools/cmd/crictl@v1.34.0` fails here: it lists
# the module's versions (for deprecation notices), and the proxy answers 403
# to @v/list; the checksum database (through the proxy) does not know
# v1.34.0 either. So: a wrapper module whose go.sum is seeded with the hashes
# pinned in scripts/kube/real-node/cri-tools.go.sum. cri-tools v1.34.0
# requires the k8s.io staging modules at v0.34.0-rc.2 (pre-releases), which the checksum
# database does not know either (k8s.io/cri-client: 404); they are replaced
# by the release the control plane is built from (v0.34.12 for v1.34.12).
kube_rn_build_crictl() {
    local dir stamp want
    dir="$(dirname "$KUBE_RN_CRICTL_BIN")"
    stamp="${dir}/.complete"
    want="crictl ${KUBE_RN_CRI_TOOLS_VERSION} $(go env GOVERSION) recipe ${KUBE_RN_RECIPE}"
    if [[ -x "$KUBE_RN_CRICTL_BIN" && -r "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
        return 0
    fi
    local t0 src log pinned modfile gover
    src="$(dirname "$dir")/src"
    log="$(dirname "$dir")/build.log"
    t0="$(sg_now_ms)"
    pinned="$(grep -E "^sigs\.k8s\.io/cri-tools ${KUBE_RN_CRI_TOOLS_VERSION//./\\.}(/go\.mod)? " "${KUBE_RN_SRC}/cri-tools.go.sum" || true)"
    [[ "$(grep -c . <<<"$pinned")" == 2 ]] ||
        sg_die "no pinned hashes for cri-tools ${KUBE_RN_CRI_TOOLS_VERSION} in ${KUBE_RN_SRC}/cri-tools.go.sum"
    rm -rf "$src" "${dir}.tmp"
    sg_mkdir "$src" "${dir}.tmp"
    printf '%s\n' "$pinned" >"${src}/go.sum"
    printf 'module spotguide.local/crictl\n' >"${src}/go.mod"
    # The wrapper's go line must not be older than cri-tools' own. With the
    # hashes in go.sum, Go verifies the download against them without asking
    # the checksum database.
    modfile="$(cd "$src" && env GONOSUMDB=sigs.k8s.io/cri-tools go mod download -json \
        "sigs.k8s.io/cri-tools@${KUBE_RN_CRI_TOOLS_VERSION}" | jq -r .GoMod)" ||
        sg_die "could not download sigs.k8s.io/cri-tools@${KUBE_RN_CRI_TOOLS_VERSION}"
    local crimod sv mod
    crimod="$(go mod edit -json "$modfile")"
    gover="$(jq -r .Go <<<"$crimod")"
    local -a edit=(-go "$gover" -require "sigs.k8s.io/cri-tools@${KUBE_RN_CRI_TOOLS_VERSION}")
    sv="$(kube_staging_version "$KUBE_VERSION")"
    while IFS= read -r mod; do
        [[ -n "$mod" ]] && edit+=(-replace "${mod}=${mod}@${sv}")
    done < <(jq -r '.Require[] | select((.Path | startswith("k8s.io/")) and (.Version | test("^v0\\.[0-9]+\\.[0-9]+-(alpha|beta|rc)"))) | .Path' <<<"$crimod")
    (cd "$src" && go mod edit "${edit[@]}")
    if ! (cd "$src" && CGO_ENABLED=0 go build -mod=mod "${KUBE_GO_BUILD_FLAGS[@]}" \
            -ldflags "-s -w -X sigs.k8s.io/cri-tools/pkg/version.Version=${KUBE_RN_CRI_TOOLS_VERSION}" \
            -o "${dir}.tmp/crictl" sigs.k8s.io/cri-tools/cmd/crictl) >"$log" 2>&1 ||
       [[ ! -x "${dir}.tmp/crictl" ]]; then
        tail -n 30 "$log" >&2
        sg_die "building crictl failed (full log: ${log})"
    fi
    rm -rf "$dir"
    mv "${dir}.tmp" "$dir"
    printf '%s\n' "$want" >"$stamp"
    sg_log "built crictl ${KUBE_RN_CRI_TOOLS_VERSION} in $(sg_since "$t0")"
}

kube_rn_is_static() {
    ! readelf -l "$1" 2>/dev/null | grep -q 'INTERP'
}

# Directory of the image archives for the current sources and host tools.
kube_rn_images_dir() {
    local key
    key="$( {
        cat "${KUBE_RN_SRC}/pause.c" "${KUBE_RN_SRC}/pause.Containerfile" "${KUBE_RN_SRC}/busybox.Containerfile"
        sha256sum /bin/busybox
        gcc -dumpfullversion
        echo "$KUBE_RN_PAUSE_IMAGE $KUBE_RN_BUSYBOX_IMAGE $KUBE_RN_RECIPE"
    } | sha256sum | cut -c1-16)"
    printf '%s/real-node-images/%s\n' "$KUBE_CACHE" "$key"
}

# An image build in DIR.tmp, moved to DIR when complete. Sets the caller's
# `work` (scratch space), `log`, and `bah`: buildah with its storage in a
# throw-away directory, not in the host's /var/lib/containers, and a
# containers.conf of its own that keeps it from creating /etc/cni/net.d.
kube_rn_image_build_start() {
    local dir=$1
    rm -rf "$dir" "${dir}.tmp"
    sg_mkdir "${dir}.tmp"
    work="${dir}.tmp/work"
    log="${dir}.tmp/build.log"
    sg_mkdir "$work"
    printf '[network]\nnetwork_config_dir = "%s/cni"\n' "$work" >"${work}/containers.conf"
    bah=(env "CONTAINERS_CONF=${work}/containers.conf"
         buildah --root "${work}/storage" --runroot "${work}/run" --storage-driver vfs)
}

kube_rn_image_build_done() {
    local dir=$1
    rm -rf "${dir}.tmp/work"
    mv "${dir}.tmp" "$dir"
    touch "${dir}/.complete"
}

# Both images FROM scratch with buildah (no registry, no container run during
# the build), saved as OCI archives for `ctr images import`, built as
# kube_rn_image_build_start says. (As root it still creates /var/lib/containers/cache/blob-info-cache-v1.boltdb;
# there is no option for that.)
kube_rn_build_images() {
    kube_require_tools gcc buildah readelf
    if [[ ! -x /bin/busybox ]] || ! kube_rn_is_static /bin/busybox; then
        sg_die "/bin/busybox is missing or not static (Debian: apt-get install busybox-static)"
    fi
    local dir
    dir="$(kube_rn_images_dir)"
    [[ -r "${dir}/.complete" ]] && return 0
    local t0 work log
    local -a bah
    t0="$(sg_now_ms)"
    kube_rn_image_build_start "$dir"
    sg_mkdir "${work}/pause" "${work}/busybox/rootfs/bin"
    gcc -static -O2 -s -Wall -Wextra -o "${work}/pause/pause" "${KUBE_RN_SRC}/pause.c" >>"$log" 2>&1 ||
        sg_die "compiling pause.c failed (log: ${log})"
    cp /bin/busybox "${work}/busybox/rootfs/bin/busybox"
    local applet
    while IFS= read -r applet; do
        [[ -n "$applet" && "$applet" != busybox ]] && ln -s busybox "${work}/busybox/rootfs/bin/${applet}"
    done < <(/bin/busybox --list)
    local name image
    for name in pause busybox; do
        image="KUBE_RN_${name^^}_IMAGE"
        image="${!image}"
        # --timestamp 0: the same inputs give the same image digest.
        if ! "${bah[@]}" bud --network none --timestamp 0 -f "${KUBE_RN_SRC}/${name}.Containerfile" -t "$image" \
                "${work}/${name}" >>"$log" 2>&1 ||
           ! "${bah[@]}" push "$image" "oci-archive:${dir}.tmp/${name}.oci.tar:${image}" >>"$log" 2>&1; then
            tail -n 20 "$log" >&2
            sg_die "building image ${image} failed (log: ${log})"
        fi
    done
    kube_rn_image_build_done "$dir"
    sg_log "built images ${KUBE_RN_PAUSE_IMAGE} and ${KUBE_RN_BUSYBOX_IMAGE} in $(sg_since "$t0")"
}

kube_rn_preflight() {
    kube_require_tools containerd ctr runc ip unshare mount umount readelf
    local p
    for p in bridge host-local loopback; do
        [[ -x "/usr/lib/cni/${p}" ]] || sg_die "CNI plugin /usr/lib/cni/${p} missing (Debian: apt-get install containernetworking-plugins)"
    done
    [[ "$(id -u)" == 0 ]] || sg_die "the real node needs root (mounts, cgroups, network namespaces)"
    [[ -d /sys/fs/cgroup/memory && -d /sys/fs/cgroup/cpu ]] ||
        sg_die "the real node is only set up for cgroup v1 (found no /sys/fs/cgroup/memory); see docs/real-node.md"
    # containerd's socket path must fit in sockaddr_un (108 bytes).
    (( ${#KUBE_RN_SOCK} + 7 < 108 )) || sg_die "SPOTGUIDE_RUN is too long for containerd's socket path: ${KUBE_RN_SOCK}"
    local port
    for port in "$KUBE_RN_KUBELET_PORT" "$KUBE_RN_HEALTHZ_PORT"; do
        if ! kube_rn_alive kubelet && sg_port_in_use "$port"; then
            sg_die "port ${port} (real-node kubelet) is in use; set SPOTGUIDE_KUBE_REAL_NODE_KUBELET_PORT/_HEALTHZ_PORT"
        fi
    done
}

kube_rn_build() {
    kube_require_tools go jq
    sg_ensure_go 1.26
    sg_lock "${KUBE_CACHE}/.build-kube-real-node.lock"
    local t0
    t0="$(sg_now_ms)"
    kube_rn_build_kubelet
    kube_rn_build_crictl
    kube_rn_build_images
    kube_rn_build_spark_image
    KUBE_RN_BUILD_TIME="$(sg_since "$t0")"
}

# --- host setup and teardown -------------------------------------------------------

# Mount points of every v1 hierarchy (cpu, memory, ..., name=systemd).
kube_rn_cgroup_mounts() {
    awk '$9 == "cgroup" {print $5}' /proc/self/mountinfo
}

# The kubelet wants its cgroupRoot to exist in every hierarchy. cpuset needs
# cpus and mems before anything can join a child.
kube_rn_setup_cgroups() {
    local m d
    while IFS= read -r m; do
        d="${m}/${KUBE_RN_CGROUP}"
        [[ -d "$d" ]] || mkdir "$d" || sg_die "cannot create cgroup ${d}"
        if [[ -e "${d}/cpuset.cpus" ]]; then
            [[ -n "$(cat "${d}/cpuset.cpus")" ]] || cat "${m}/cpuset.cpus" >"${d}/cpuset.cpus"
            [[ -n "$(cat "${d}/cpuset.mems")" ]] || cat "${m}/cpuset.mems" >"${d}/cpuset.mems"
        fi
    done < <(kube_rn_cgroup_mounts)
}

# runc (hybrid mode) also creates the containers' cgroups in the empty v2
# "unified" hierarchy, so teardown covers that one too.
kube_rn_teardown_cgroups() {
    local m d
    while IFS= read -r m; do
        d="${m}/${KUBE_RN_CGROUP}"
        [[ -d "$d" ]] || continue
        # Deepest first; a cgroup with tasks left refuses (EBUSY).
        find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true
        [[ -d "$d" ]] && sg_warn "could not remove cgroup ${d} (processes left in it?)"
    done < <(kube_rn_cgroup_mounts; awk '$9 == "cgroup2" {print $5}' /proc/self/mountinfo)
    return 0
}

# Our bridge: the pods' veths attach to it, and its address is the node IP
# (the kubelet refuses loopback, and an address of our own keeps the kubelet
# off the host's real interfaces).
kube_rn_setup_network() {
    if ! ip link show "$KUBE_RN_BRIDGE" >/dev/null 2>&1; then
        if ip -4 -o addr show | grep -q " inet ${KUBE_RN_NET//./\\.}\."; then
            sg_die "${KUBE_RN_POD_CIDR} is already in use on this host; set SPOTGUIDE_KUBE_REAL_NODE_POD_CIDR"
        fi
        ip link add name "$KUBE_RN_BRIDGE" type bridge || sg_die "cannot create bridge ${KUBE_RN_BRIDGE}"
    elif [[ ! -e "${KUBE_RN_DIR}/bridge.created" ]]; then
        sg_die "a network interface ${KUBE_RN_BRIDGE} exists that this environment did not create; set SPOTGUIDE_KUBE_REAL_NODE_BRIDGE"
    fi
    touch "${KUBE_RN_DIR}/bridge.created"
    if ! ip -4 -o addr show dev "$KUBE_RN_BRIDGE" | grep -q " inet ${KUBE_RN_NODE_IP}/"; then
        ip addr add "${KUBE_RN_NODE_IP}/24" dev "$KUBE_RN_BRIDGE" || sg_die "cannot set ${KUBE_RN_NODE_IP} on ${KUBE_RN_BRIDGE}"
    fi
    ip link set "$KUBE_RN_BRIDGE" up || sg_die "cannot bring ${KUBE_RN_BRIDGE} up"
}

kube_rn_teardown_network() {
    if [[ -e "${KUBE_RN_DIR}/bridge.created" ]] && ip link show "$KUBE_RN_BRIDGE" >/dev/null 2>&1; then
        ip link del "$KUBE_RN_BRIDGE" || sg_warn "could not delete bridge ${KUBE_RN_BRIDGE}"
    fi
    rm -f "${KUBE_RN_DIR}/bridge.created"
}

# Mount points at or under DIR, deepest first.
kube_rn_mounts_under() {
    awk -v d="$1" '$5 == d || index($5, d "/") == 1 {print length($5), $5}' /proc/self/mountinfo |
        sort -rn | cut -d' ' -f2-
}

kube_rn_unmount_all() {
    local m i
    for (( i = 0; i < 3; i++ )); do
        while IFS= read -r m; do
            [[ -n "$m" ]] && { umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; }
        done < <(kube_rn_mounts_under "$KUBE_RN_DIR")
        [[ -z "$(kube_rn_mounts_under "$KUBE_RN_DIR")" ]] && return 0
    done
    return 1
}

# The kubelet runs in a mount namespace of its own (see kube_rn_start_kubelet)
# but mounts volumes under its root dir, which containerd (in the host's
# namespace) bind-mounts into containers. Making the root dir a shared mount
# BEFORE the namespace is created puts both copies in one peer group, so
# those mounts propagate to the host.
kube_rn_setup_kubelet_root() {
    local root="${KUBE_RN_DIR}/kubelet"
    sg_mkdir "$root"
    if ! awk -v d="$root" '$5 == d {found = 1} END {exit !found}' /proc/self/mountinfo; then
        mount --bind "$root" "$root" || sg_die "cannot bind-mount ${root}"
    fi
    mount --make-rshared "$root" || sg_die "cannot make ${root} a shared mount"
}

# The kernel tunables the kubelet insists on (pkg/kubelet/cm
# setupKernelTunables): it rewrites them host-wide unless
# protectKernelDefaults, and with protectKernelDefaults it refuses to start
# when they differ. The host has other values (kernel.panic=1,
# panic_on_oops=0, overcommit_memory=0) and is shared, so the kubelet gets
# files with the values it wants bind-mounted over these /proc/sys entries,
# in its private mount namespace only.
kube_rn_write_sysctl_shadows() {
    local dir="${KUBE_RN_DIR}/sysctl-shadow" kv
    sg_mkdir "$dir"
    for kv in vm.overcommit_memory=1 vm.panic_on_oom=0 kernel.panic=10 kernel.panic_on_oops=1 \
              kernel.keys.root_maxkeys=1000000 kernel.keys.root_maxbytes=25000000; do
        printf '%s\n' "${kv#*=}" >"${dir}/${kv%%=*}"
    done
}

kube_rn_gen_pki() {
    sg_mkdir "${KUBE_RN_DIR}/pki"
    # Signed by the env's CA (kube_gencert writes into KUBE_PKI). The Node
    # authorizer and NodeRestriction know the kubelet by this user name.
    local client="real-node-${KUBE_RN_NODE}-client" serving="real-node-${KUBE_RN_NODE}-serving" j1 j2
    kube_gencert "$client" "/O=system:nodes/CN=system:node:${KUBE_RN_NODE}" clientAuth &
    j1=$!
    # kube-apiserver connects to the node IP and checks it against this.
    kube_gencert "$serving" "/CN=system:node:${KUBE_RN_NODE}" serverAuth "IP:${KUBE_RN_NODE_IP},DNS:${KUBE_RN_NODE}" &
    j2=$!
    if ! wait "$j1" || ! wait "$j2"; then
        sg_die "could not create the real node's certificates"
    fi
    mv "${KUBE_PKI}/${serving}.crt" "${KUBE_RN_DIR}/pki/kubelet-serving.crt"
    mv "${KUBE_PKI}/${serving}.key" "${KUBE_RN_DIR}/pki/kubelet-serving.key"
    kube_write_kubeconfig "${KUBE_RN_DIR}/kubelet.kubeconfig" "system:node:${KUBE_RN_NODE}" default --cert "$client"
}

kube_rn_render() {
    local nofile
    nofile="$(ulimit -Hn)"
    [[ "$nofile" =~ ^[0-9]+$ ]] || nofile=1048576
    sed -e "s|@DIR@|${KUBE_RN_DIR}|g" \
        -e "s|@SANDBOX_IMAGE@|${KUBE_RN_PAUSE_IMAGE}|g" \
        -e "s|@RUNC@|$(command -v runc)|g" \
        -e "s|@BRIDGE@|${KUBE_RN_BRIDGE}|g" \
        -e "s|@POD_CIDR@|${KUBE_RN_POD_CIDR}|g" \
        -e "s|@RANGE_START@|${KUBE_RN_NET}.2|g" \
        -e "s|@NODE_IP@|${KUBE_RN_NODE_IP}|g" \
        -e "s|@PORT@|${KUBE_RN_KUBELET_PORT}|g" \
        -e "s|@HEALTHZ_PORT@|${KUBE_RN_HEALTHZ_PORT}|g" \
        -e "s|@CA_FILE@|${KUBE_PKI}/ca.crt|g" \
        -e "s|@CGROUP_ROOT@|/${KUBE_RN_CGROUP}|g" \
        -e "s|@MAX_OPEN_FILES@|${nofile}|g" \
        "$1" >"$2.tmp"
    if grep -v '^[[:space:]]*#' "$2.tmp" | grep -q '@[A-Z_]*@'; then
        sg_die "unreplaced placeholder in $2.tmp"
    fi
    mv "$2.tmp" "$2"
}

# --- processes -----------------------------------------------------------------------

kube_rn_alive() {
    sg_pidfile_alive "$(kube_rn_pidfile "$1")" >/dev/null
}

kube_rn_ctr() {
    ctr --address "$KUBE_RN_SOCK" --namespace k8s.io "$@"
}

# With a config file of its own: without one, crictl warns on every call
# that /etc/crictl.yaml does not exist.
kube_rn_crictl() {
    local conf="${KUBE_RN_DIR}/crictl.yaml"
    if [[ ! -r "$conf" ]]; then
        printf 'runtime-endpoint: unix://%s\nimage-endpoint: unix://%s\ntimeout: 20\n' \
            "$KUBE_RN_SOCK" "$KUBE_RN_SOCK" >"$conf"
    fi
    "$KUBE_RN_CRICTL_BIN" --config "$conf" "$@"
}

kube_rn_containerd_healthy() {
    kube_rn_ctr version >/dev/null 2>&1
}

kube_rn_kubelet_healthy() {
    sg_http_ok "http://127.0.0.1:${KUBE_RN_HEALTHZ_PORT}/healthz"
}

kube_rn_start_containerd() {
    kube_rn_alive containerd && return 0
    local t0
    t0="$(sg_now_ms)"
    sg_start_daemon real-node-containerd "$(kube_rn_pidfile containerd)" "$(kube_rn_logfile containerd)" \
        containerd --config "${KUBE_RN_DIR}/containerd/config.toml"
    sg_wait_daemon real-node-containerd "$(kube_rn_pidfile containerd)" "$(kube_rn_logfile containerd)" 30 \
        kube_rn_containerd_healthy || sg_die "containerd did not start (log: $(kube_rn_logfile containerd))"
    sg_log "started real-node containerd (pid $(sg_pidfile_alive "$(kube_rn_pidfile containerd)")) in $(sg_since "$t0")"
}

kube_rn_import_images() {
    local dir name image have
    dir="$(kube_rn_images_dir)"
    have="$(kube_rn_ctr images ls -q 2>/dev/null)" || have=""
    for name in pause busybox; do
        image="KUBE_RN_${name^^}_IMAGE"
        image="${!image}"
        grep -qxF "$image" <<<"$have" && continue
        kube_rn_ctr images import "${dir}/${name}.oci.tar" >/dev/null ||
            sg_die "importing ${dir}/${name}.oci.tar into containerd failed"
    done
}

# The kubelet, in a private mount namespace where the sysctl shadow files
# cover the real entries. /proc is made a slave first so that, on a host
# whose mounts are shared (systemd), those bind mounts cannot propagate back.
# The pid file then records the kubelet binary itself (unshare and sh exec
# into it, keeping the pid).
kube_rn_start_kubelet() {
    kube_rn_alive kubelet && return 0
    local t0 pidfile logfile
    t0="$(sg_now_ms)"
    pidfile="$(kube_rn_pidfile kubelet)"
    logfile="$(kube_rn_logfile kubelet)"
    # shellcheck disable=SC2016 # expanded by the inner shell
    local inner='set -e
        mount --make-rslave /proc
        for f in "$1"/*; do
            mount --bind "$f" "/proc/sys/$(basename "$f" | tr . /)"
        done
        shift
        exec "$@"'
    sg_start_daemon real-node-kubelet "$pidfile" "$logfile" \
        unshare --mount --propagation unchanged -- sh -c "$inner" sh "${KUBE_RN_DIR}/sysctl-shadow" \
        "$KUBE_RN_KUBELET_BIN" \
        --config="${KUBE_RN_DIR}/kubelet-config.yaml" \
        --kubeconfig="${KUBE_RN_DIR}/kubelet.kubeconfig" \
        --root-dir="${KUBE_RN_DIR}/kubelet" \
        --cert-dir="${KUBE_RN_DIR}/pki" \
        --hostname-override="$KUBE_RN_NODE" \
        --node-ip="$KUBE_RN_NODE_IP" \
        --node-labels="spotguide.test/real-node=true,type=real" \
        --v="${SPOTGUIDE_KUBE_REAL_NODE_KUBELET_V:-2}"
    local pid i exe
    read -r pid _ <"$pidfile"
    for (( i = 0; i < 50; i++ )); do
        exe="$(readlink "/proc/${pid}/exe" 2>/dev/null)" || break
        [[ "$exe" == "$KUBE_RN_KUBELET_BIN" ]] && break
        sleep 0.1
    done
    [[ "${exe:-}" == "$KUBE_RN_KUBELET_BIN" ]] || {
        tail -n 20 "$logfile" >&2
        sg_die "the kubelet did not start (log: ${logfile})"
    }
    printf '%s %s\n' "$pid" "$KUBE_RN_KUBELET_BIN" >"$pidfile"
    sg_wait_daemon real-node-kubelet "$pidfile" "$logfile" 60 kube_rn_kubelet_healthy ||
        sg_die "the kubelet did not become healthy (log: ${logfile})"
    sg_log "started real-node kubelet (pid ${pid}, port ${KUBE_RN_KUBELET_PORT}) in $(sg_since "$t0")"
}

kube_rn_node_ready() {
    local out
    # shellcheck disable=SC2016 # a Go template, not shell
    out="$(kube_kubectl get node "$KUBE_RN_NODE" -o go-template='{{range .status.conditions}}{{if eq .type "Ready"}}{{.status}}{{end}}{{end}}' 2>/dev/null)" || return 1
    [[ "$out" == True ]]
}

# True once the kubelet (started at SINCE, epoch seconds) has posted the node's
# status and knows every running pod the API server has bound to the node.
# After a restart the old Ready condition is still there, and until the
# kubelet has synced its pods, exec and logs fail ("pod does not exist").
kube_rn_kubelet_synced() {
    local since="$1" hb want have
    kube_rn_node_ready || return 1
    hb="$(kube_kubectl get node "$KUBE_RN_NODE" \
        -o jsonpath='{.status.conditions[?(@.type=="Ready")].lastHeartbeatTime}' 2>/dev/null)" || return 1
    [[ -n "$hb" ]] || return 1
    (( $(date -d "$hb" +%s) >= since )) || return 1
    want="$(kube_kubectl get pods -A \
        --field-selector "spec.nodeName=${KUBE_RN_NODE},status.phase!=Succeeded,status.phase!=Failed" \
        -o jsonpath='{range .items[*]}{.metadata.uid}{"\n"}{end}' 2>/dev/null)" || return 1
    have="$(kube_kubectl get --raw "/api/v1/nodes/${KUBE_RN_NODE}/proxy/pods" 2>/dev/null |
        jq -r '(.items // [])[] | .metadata.uid')" || return 1
    ! comm -23 <(grep . <<<"$want" | sort) <(sort <<<"$have") | grep -q .
}

# The last resort when containerd cannot clean up itself: kill the
# containers runc still knows (runc's own record of their pids), then the
# shims. containerd 1.6 records no shim pid, only each shim's socket (the
# bundle's `address` file), so a shim is found as the process listening on
# that socket, and only signalled if it is a runc shim serving our containerd.
kube_rn_kill_leftovers() {
    local runc_root="${KUBE_RN_DIR}/containerd/runc/k8s.io" id f addr pid exe
    if [[ -d "$runc_root" ]]; then
        while IFS= read -r id; do
            [[ -n "$id" ]] && { runc --root "$runc_root" delete --force "$id" >/dev/null 2>&1 || true; }
        done < <(runc --root "$runc_root" list -q 2>/dev/null)
    fi
    for f in "${KUBE_RN_DIR}"/containerd/state/io.containerd.runtime.v2.task/*/*/address; do
        [[ -r "$f" ]] || continue
        addr="$(cat "$f")"
        addr="${addr#unix://}"
        # Several bundles (a pod's containers) share one shim and socket.
        pid="$(ss -Hxlp "src ${addr}" 2>/dev/null | grep -o 'pid=[0-9]*' | head -n1 | cut -d= -f2)" || true
        [[ -n "$pid" ]] || continue
        exe="$(readlink "/proc/${pid}/exe" 2>/dev/null)" || continue
        [[ "${exe##*/}" == containerd-shim-runc-v2 ]] || continue
        tr '\0' ' ' <"/proc/${pid}/cmdline" | grep -qF -- "-address ${KUBE_RN_SOCK} " || continue
        # SIGTERM first: the shim then removes its socket under /run/containerd/s.
        kill -TERM "$pid" 2>/dev/null || true
        sleep 0.5
        kill -KILL "$pid" 2>/dev/null || true
    done
    return 0
}

# libcni's result cache (/var/lib/cni/results) keeps an entry per sandbox
# until the CNI DEL, which never runs if containerd died first.
kube_rn_remove_cni_results() {
    local f id
    for f in /var/lib/cni/results/spotguide-real-node-*-eth0; do
        [[ -e "$f" ]] || continue
        id="${f#/var/lib/cni/results/spotguide-real-node-}"
        id="${id%-eth0}"
        rm -f "$f" "/var/lib/cni/results/cni-loopback-${id}-lo"
    done
}

# True if containerd left tasks (shims, containers) behind.
kube_rn_has_tasks() {
    compgen -G "${KUBE_RN_DIR}/containerd/state/io.containerd.runtime.v2.task/*/*" >/dev/null
}

# A few host paths are hard-coded in the components: /var/log/containers (the
# kubelet links every container log there), /var/lib/cni (libcni's result
# cache, used by containerd's CRI plugin) and /run/containerd/s (containerd
# 1.6 puts shim sockets there whatever its state dir). Those that did not
# exist before the first start are noted, and removed at teardown if empty.
kube_rn_note_host_dirs() {
    local list="${KUBE_RN_DIR}/host-dirs.created" d
    [[ -e "$list" ]] && return 0
    for d in /var/log/containers /var/lib/cni /run/containerd; do
        [[ -e "$d" ]] || printf '%s\n' "$d"
    done >"$list"
}

kube_rn_remove_host_dirs() {
    local list="${KUBE_RN_DIR}/host-dirs.created" d
    [[ -r "$list" ]] || return 0
    while IFS= read -r d; do
        [[ -d "$d" ]] && { find "$d" -depth -type d -empty -delete 2>/dev/null || true; }
    done <"$list"
    return 0
}

# Idempotent; safe on a half-started or crashed real node. Needs only the
# recorded configuration and pid files.
kube_rn_teardown() {
    [[ -d "$KUBE_RN_DIR" ]] || return 0
    sg_stop_pidfile real-node-kubelet "$(kube_rn_pidfile kubelet)" 20
    sg_stop_pidfile real-node-apiserver-relay "$(kube_rn_pidfile apiserver-relay)" 10
    # After a crash, a containerd started again reconnects to its shims and
    # can then clean up properly (CNI DEL, unmounts, shim sockets).
    if ! kube_rn_alive containerd && kube_rn_has_tasks && [[ -r "${KUBE_RN_DIR}/containerd/config.toml" ]]; then
        sg_log "starting the real node's containerd again to clean up what it left behind"
        ( kube_rn_start_containerd ) || sg_warn "could not restart containerd; cleaning up by hand"
    fi
    if kube_rn_alive containerd && [[ -x "$KUBE_RN_CRICTL_BIN" ]]; then
        # Stops and removes every pod sandbox: kills the containers, runs the
        # CNI DEL (veth, IP), removes the network namespaces.
        kube_rn_crictl rmp --all --force >/dev/null 2>&1 || sg_warn "crictl rmp failed; cleaning up by hand"
    fi
    sg_stop_pidfile real-node-containerd "$(kube_rn_pidfile containerd)" 20
    kube_rn_kill_leftovers
    kube_rn_remove_cni_results
    kube_rn_unmount_all || sg_warn "mounts left under ${KUBE_RN_DIR}: $(kube_rn_mounts_under "$KUBE_RN_DIR" | tr '\n' ' ')"
    kube_rn_teardown_network
    kube_rn_teardown_cgroups
    # The kubelet links every container log from /var/log/containers
    # (hard-coded); drop the links into our directory.
    if [[ -d /var/log/containers ]]; then
        find /var/log/containers -maxdepth 1 -type l -lname "${KUBE_RN_DIR}/*" -delete 2>/dev/null || true
    fi
    kube_rn_remove_host_dirs
    if kube_component_healthy apiserver 2>/dev/null; then
        kube_kubectl delete node "$KUBE_RN_NODE" --ignore-not-found --wait=false >/dev/null 2>&1 || true
    fi
    if [[ -n "$(kube_rn_mounts_under "$KUBE_RN_DIR")" ]]; then
        sg_die "refusing to delete ${KUBE_RN_DIR}: mounts are left under it"
    fi
    rm -rf "$KUBE_RN_DIR"
    sg_log "real node ${KUBE_RN_NODE} torn down"
}

# --- hooks called from scripts/lib/kube.sh ------------------------------------------

# `up --real-node` (and a plain `up` of an environment that has one): start
# whatever part of the real node is not running; the kube env is already up.
kube_real_node_up() {
    local t0
    t0="$(sg_now_ms)"
    kube_rn_load_config
    kube_rn_preflight
    kube_rn_build
    sg_mkdir "$KUBE_RN_DIR" "${KUBE_RN_DIR}/containerd" "${KUBE_RN_DIR}/cni/net.d" "${KUBE_RN_DIR}/pod-logs" \
        "${KUBE_RN_DIR}/volume-plugins"
    kube_rn_save_config
    local t1
    t1="$(sg_now_ms)"
    [[ -r "${KUBE_RN_DIR}/kubelet.kubeconfig" ]] || kube_rn_gen_pki
    kube_rn_render "${KUBE_RN_SRC}/containerd.toml" "${KUBE_RN_DIR}/containerd/config.toml"
    kube_rn_render "${KUBE_RN_SRC}/cni.conflist" "${KUBE_RN_DIR}/cni/net.d/10-spotguide-real-node.conflist"
    kube_rn_render "${KUBE_RN_SRC}/kubelet-config.yaml" "${KUBE_RN_DIR}/kubelet-config.yaml"
    kube_rn_write_sysctl_shadows
    kube_rn_setup_network
    kube_rn_setup_cgroups
    kube_rn_setup_kubelet_root
    kube_rn_note_host_dirs
    if ! kube_rn_alive containerd && kube_rn_alive kubelet; then
        # A kubelet that lost containerd sits in gRPC reconnect backoff for
        # a while (exec and logs then fail with "dial unix ...: no such
        # file"); restarting it is quicker and deterministic.
        sg_stop_pidfile real-node-kubelet "$(kube_rn_pidfile kubelet)" 20
    fi
    kube_rn_start_containerd
    kube_rn_import_images
    kube_rn_import_spark_image
    kube_rn_start_apiserver_relay
    local since=0
    kube_rn_alive kubelet || since="$(date +%s)"
    kube_rn_start_kubelet
    sg_wait_until "node ${KUBE_RN_NODE} to be Ready and synced" 120 kube_rn_kubelet_synced "$since" ||
        sg_die "node ${KUBE_RN_NODE} did not become Ready (log: $(kube_rn_logfile kubelet))"
    kube_rn_setup_spark_rbac
    {
        sg_env_line SPOTGUIDE_KUBE_REAL_NODE "$KUBE_RN_NODE"
        sg_env_line SPOTGUIDE_KUBE_REAL_NODE_IMAGE "$KUBE_RN_BUSYBOX_IMAGE"
        sg_env_line SPOTGUIDE_KUBE_REAL_NODE_CRI_ENDPOINT "unix://${KUBE_RN_SOCK}"
        sg_env_line SPOTGUIDE_KUBE_REAL_NODE_CRICTL "$KUBE_RN_CRICTL_BIN"
        sg_env_line SPOTGUIDE_SPARK_IMAGE "$KUBE_RN_SPARK_IMAGE"
        # JSON needs quoting; it holds no single quote.
        printf "SPOTGUIDE_SPARK_REAL_NODE_CONFIGS='%s'\n" "$(kube_rn_spark_configs_json)"
    } >>"$KUBE_TESTENV_ENV"
    local msg
    msg="real node ${KUBE_RN_NODE} Ready in $(sg_since "$t1")"
    [[ -n "${KUBE_RN_BUILD_TIME:-}" ]] && msg+=" (build/check: ${KUBE_RN_BUILD_TIME}, total $(sg_since "$t0"))"
    sg_log "$msg"
}

# Called by `down` before the control plane stops (so that the Node object
# can still be deleted) and by the state wipe.
kube_real_node_down() {
    kube_rn_present || return 0
    # `up` wipes a dead environment before it has loaded any configuration.
    [[ -n "${KUBE_VERSION:-}" ]] || kube_load_config
    kube_rn_load_config
    kube_rn_teardown
}

# Extra lines for `status`; fails if a part of the real node is down.
kube_real_node_status() {
    kube_rn_present || return 0
    kube_rn_load_config
    local rc=0 c pid health
    for c in containerd kubelet; do
        if pid="$(sg_pidfile_alive "$(kube_rn_pidfile "$c")")"; then
            if "kube_rn_${c}_healthy"; then health=ok; else health=unhealthy; rc=1; fi
        else
            pid=-; health=stopped; rc=1
        fi
        printf '%-20s %-8s %-6s %s\n' "real-node-${c}" "$pid" \
            "$([[ "$c" == kubelet ]] && echo "$KUBE_RN_KUBELET_PORT" || echo -)" "$health"
    done
    if pid="$(sg_pidfile_alive "$(kube_rn_pidfile apiserver-relay)")"; then
        if kube_rn_apiserver_relay_healthy; then health=ok; else health=unhealthy; rc=1; fi
    else
        pid=-; health=stopped; rc=1
    fi
    printf '%-20s %-8s %-6s %s\n' real-node-api-relay "$pid" "$KUBE_RN_API_RELAY_PORT" "$health"
    if kube_rn_node_ready; then
        printf 'node %s Ready (real)\n' "$KUBE_RN_NODE"
    else
        printf 'node %s NotReady (real)\n' "$KUBE_RN_NODE"
        rc=1
    fi
    return "$rc"
}

# --- `scripts/testenv kube-real-node VERB` (debugging) ------------------------------

testenv_kube_real_node() {
    local verb="${1:-help}"
    [[ $# -gt 0 ]] && shift
    kube_load_config
    kube_rn_load_config
    case "$verb" in
        crictl) kube_rn_crictl "$@" ;;
        ctr) kube_rn_ctr "$@" ;;
        logs)
            local f
            f="$(kube_rn_logfile "${1:?logs: kubelet or containerd}")"
            [[ -r "$f" ]] || sg_die "no log at ${f}"
            tail -n "${2:-100}" "$f"
            ;;
        build)
            kube_build
            kube_rn_build
            sg_log "real-node binaries and images ready (${KUBE_RN_BUILD_TIME})"
            ;;
        help|-h|--help)
            cat >&2 <<'USAGE'
usage: scripts/testenv kube-real-node <verb> [args]

  crictl ARGS...               crictl against the real node's containerd
  ctr ARGS...                  ctr (namespace k8s.io) against it
  logs kubelet|containerd [N]  last N (default 100) log lines
  build                        build the kubelet, crictl and the images

Start and stop it with: scripts/testenv kube up --real-node / kube down.
See docs/real-node.md.
USAGE
            ;;
        *) sg_die "unknown verb '${verb}' (see: scripts/testenv kube-real-node help)" ;;
    esac
}
