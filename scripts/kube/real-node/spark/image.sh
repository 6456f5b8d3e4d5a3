# shellcheck shell=bash
# The Spark runtime image of the real node (Containerfile and entrypoint.sh
# beside this file), and what a Spark application needs to run there: the
# API server reachable from the pod network, a service account for the
# driver, and the confs that fit an application onto the node.
# Sourced by scripts/lib/kube-real-node.sh.

KUBE_RN_SPARK_IMAGE_TAG=4.0.5-1
KUBE_RN_SPARK_IMAGE="localhost/spotguide/spark:${KUBE_RN_SPARK_IMAGE_TAG}"
# What the rootfs holds, besides Debian's essential packages.
KUBE_RN_SPARK_PACKAGES=openjdk-17-jdk-headless,tini,bash,git,ca-certificates
# The driver's service account, in this namespace.
KUBE_RN_SPARK_NAMESPACE=default
KUBE_RN_SPARK_SA=spotguide-spark
# The relay's port on the node IP: a port of its own, because the API
# server's restart checks that its port is free on every address.
KUBE_RN_API_RELAY_PORT="${SPOTGUIDE_KUBE_REAL_NODE_API_PORT:-16453}"

# The pyspark wheel's Spark home, installed by the spark peer if missing.
kube_rn_spark_home() {
    "${SG_SCRIPTS_DIR}/testenv" spark install >&2 || sg_die "the Spark runtime image needs Spark's jars: scripts/testenv spark install failed"
    "${SG_SCRIPTS_DIR}/testenv" spark env | sed -n "s/^export SPOTGUIDE_SPARK_HOME=//p" | tr -d "'\""
}

# Cached by what goes in: the recipe, Debian's suite and mirror state are not
# pinned (the mirror moves), so a rebuild picks up security updates only
# when the key changes; the jars are keyed by name and size.
kube_rn_spark_image_dir() {
    local home=$1 key
    key="$( {
        cat "${KUBE_RN_SRC}/spark/Containerfile" "${KUBE_RN_SRC}/spark/entrypoint.sh"
        echo "$KUBE_RN_SPARK_IMAGE $KUBE_RN_SPARK_PACKAGES $KUBE_RN_RECIPE"
        (cd "$home" && find jars bin -type f -printf '%p %s\n' | LC_ALL=C sort)
    } | sha256sum | cut -c1-16)"
    printf '%s/real-node-images/spark-%s\n' "$KUBE_CACHE" "$key"
}

kube_rn_build_spark_image() {
    local home dir
    home="$(kube_rn_spark_home)"
    [[ -d "${home}/jars" && -x "${home}/bin/spark-submit" ]] || sg_die "no Spark jars under '${home}' (scripts/testenv spark status)"
    dir="$(kube_rn_spark_image_dir "$home")"
    [[ -r "${dir}/.complete" ]] && { KUBE_RN_SPARK_ARCHIVE="${dir}/spark.oci.tar"; return 0; }
    kube_require_tools mmdebstrap buildah
    local t0 work log
    local -a bah
    t0="$(sg_now_ms)"
    kube_rn_image_build_start "$dir"
    sg_mkdir "${work}/ctx/spark" "${work}/ctx/work-dir"
    # The suites and mirrors of the host's own apt sources (Debian 12 here).
    local -a mirrors=("deb http://deb.debian.org/debian bookworm main"
                      "deb http://deb.debian.org/debian bookworm-updates main"
                      "deb http://deb.debian.org/debian-security bookworm-security main")
    # Man pages, docs and locales are left out; update-alternatives still
    # wants the man1 directory to exist when Java registers its commands.
    # The JDK's jmods and headers only serve jlink and native builds.
    if ! mmdebstrap --mode=root --variant=essential --include="$KUBE_RN_SPARK_PACKAGES" \
            --setup-hook='mkdir -p "$1/usr/share/man/man1"' \
            --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
            --dpkgopt='path-exclude=/usr/share/locale/*' \
            --customize-hook='rm -rf "$1"/usr/lib/jvm/java-17-openjdk-amd64/jmods "$1"/usr/lib/jvm/java-17-openjdk-amd64/include "$1"/var/cache/apt/* "$1"/var/lib/apt/lists/*' \
            --customize-hook='echo "spark:x:185:185:Spark:/opt/spark:/bin/false" >>"$1/etc/passwd"; echo "spark:x:185:" >>"$1/etc/group"' \
            bookworm "${work}/ctx/rootfs" "${mirrors[@]}" >>"$log" 2>&1; then
        tail -n 20 "$log" >&2
        sg_die "building the Spark image's rootfs with mmdebstrap failed (log: ${log})"
    fi
    cp -a "${home}/jars" "${home}/bin" "${work}/ctx/spark/"
    rm -f "${work}/ctx/spark/bin/"*.cmd
    cp "${KUBE_RN_SRC}/spark/entrypoint.sh" "${work}/ctx/entrypoint.sh"
    chmod 0755 "${work}/ctx/entrypoint.sh"
    # Uncompressed: the archive is only ever imported on this machine, and
    # gzip of ~800 MB would cost more than the import.
    if ! "${bah[@]}" bud --network none --timestamp 0 -f "${KUBE_RN_SRC}/spark/Containerfile" \
            -t "$KUBE_RN_SPARK_IMAGE" "${work}/ctx" >>"$log" 2>&1 ||
       ! "${bah[@]}" push --disable-compression "$KUBE_RN_SPARK_IMAGE" \
            "oci-archive:${dir}.tmp/spark.oci.tar:${KUBE_RN_SPARK_IMAGE}" >>"$log" 2>&1; then
        tail -n 20 "$log" >&2
        sg_die "building image ${KUBE_RN_SPARK_IMAGE} failed (log: ${log})"
    fi
    # Older builds are ~550 MB each and never used again.
    find "${KUBE_CACHE}/real-node-images" -maxdepth 1 -name 'spark-*' ! -name "$(basename "$dir")*" -exec rm -rf {} +
    kube_rn_image_build_done "$dir"
    KUBE_RN_SPARK_ARCHIVE="${dir}/spark.oci.tar"
    sg_log "built image ${KUBE_RN_SPARK_IMAGE} ($(du -sh "$KUBE_RN_SPARK_ARCHIVE" | cut -f1)) in $(sg_since "$t0")"
}

# The tag stays the same across rebuilds, so the check is by digest.
kube_rn_import_spark_image() {
    local want
    want="$(tar -xOf "$KUBE_RN_SPARK_ARCHIVE" index.json | jq -r '.manifests[0].digest')"
    kube_rn_ctr images ls "name==${KUBE_RN_SPARK_IMAGE}" 2>/dev/null | grep -qF " ${want} " && return 0
    local t0
    t0="$(sg_now_ms)"
    kube_rn_ctr images import "$KUBE_RN_SPARK_ARCHIVE" >/dev/null ||
        sg_die "importing ${KUBE_RN_SPARK_ARCHIVE} into the real node's containerd failed"
    sg_log "imported ${KUBE_RN_SPARK_IMAGE} into the real node in $(sg_since "$t0")"
}

# The API server listens on 127.0.0.1 only. A driver on the pod network
# reaches it through this relay on the node IP (an address of our own
# bridge, so nothing beyond this machine can connect). The serving
# certificate names the node IP too (scripts/lib/kube.sh).
kube_rn_apiserver_relay_healthy() {
    # Verified with the cluster CA: this also proves the certificate names the address.
    sg_http_ok "https://${KUBE_RN_NODE_IP}:${KUBE_RN_API_RELAY_PORT}/readyz" --cacert "${KUBE_PKI}/ca.crt"
}

kube_rn_start_apiserver_relay() {
    kube_rn_alive apiserver-relay && return 0
    kube_require_tools socat
    openssl x509 -in "${KUBE_PKI}/apiserver.crt" -noout -ext subjectAltName 2>/dev/null | grep -qF "IP Address:${KUBE_RN_NODE_IP}" ||
        sg_die "the API server's certificate does not name the real node's address ${KUBE_RN_NODE_IP}: this kube env predates it; restart it (scripts/testenv kube down, then up --real-node)"
    sg_start_daemon real-node-apiserver-relay "$(kube_rn_pidfile apiserver-relay)" "$(kube_rn_logfile apiserver-relay)" \
        socat "TCP-LISTEN:${KUBE_RN_API_RELAY_PORT},bind=${KUBE_RN_NODE_IP},reuseaddr,fork" "TCP:127.0.0.1:${KUBE_APISERVER_PORT}"
    sg_wait_daemon real-node-apiserver-relay "$(kube_rn_pidfile apiserver-relay)" "$(kube_rn_logfile apiserver-relay)" 20 \
        kube_rn_apiserver_relay_healthy || sg_die "the API server relay on ${KUBE_RN_NODE_IP} did not start"
}

# The driver's service account: Spark's driver creates, watches and deletes
# its executor pods, and the ConfigMaps and Services that go with them, and
# claims for OnDemand volumes; nothing more.
kube_rn_setup_spark_rbac() {
    kube_kubectl apply -f - >/dev/null <<YAML || sg_die "creating the Spark driver's service account failed"
apiVersion: v1
kind: ServiceAccount
metadata: {name: ${KUBE_RN_SPARK_SA}, namespace: ${KUBE_RN_SPARK_NAMESPACE}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: ${KUBE_RN_SPARK_SA}, namespace: ${KUBE_RN_SPARK_NAMESPACE}}
rules:
- apiGroups: [""]
  resources: [pods, services, configmaps, persistentvolumeclaims]
  verbs: [get, list, watch, create, delete, deletecollection, patch, update]
- apiGroups: [""]
  resources: [pods/log]
  verbs: [get]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: ${KUBE_RN_SPARK_SA}, namespace: ${KUBE_RN_SPARK_NAMESPACE}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: ${KUBE_RN_SPARK_SA}}
subjects:
- {kind: ServiceAccount, name: ${KUBE_RN_SPARK_SA}, namespace: ${KUBE_RN_SPARK_NAMESPACE}}
YAML
}

# Spark confs, as spark-submit's spark_submit_configs takes them, that fit
# any application onto the real node: the driver's API server address and
# service account, images that are never pulled, the driver advertising its
# pod IP (no cluster DNS), requests that let a driver and two executors
# share the node's two cores, and the node selector. Tolerations have no
# Spark conf: give them with the plugin's `tolerations` setting.
kube_rn_spark_configs_json() {
    jq -cn --arg master "https://${KUBE_RN_NODE_IP}:${KUBE_RN_API_RELAY_PORT}" --arg sa "$KUBE_RN_SPARK_SA" '{
        "spark.kubernetes.driver.master": $master,
        "spark.kubernetes.authenticate.driver.serviceAccountName": $sa,
        "spark.kubernetes.container.image.pullPolicy": "Never",
        "spark.kubernetes.driverEnv.SPOTGUIDE_DRIVER_HOST": "pod-ip",
        "spark.kubernetes.driver.request.cores": "500m",
        "spark.kubernetes.executor.request.cores": "500m",
        "spark.driver.memory": "512m",
        "spark.executor.memory": "512m",
        "spark.kubernetes.node.selector.spotguide.test/real-node": "true"
    }'
}
