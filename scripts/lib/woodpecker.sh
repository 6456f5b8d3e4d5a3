# shellcheck shell=bash
# Peer "woodpecker": woodpecker-cli, built from the Go module proxy, so that
# `woodpecker-cli exec --backend-engine local` can run a workflow whose plugin
# steps are our binaries (`image: /abs/path/build/bin/<plugin>`). No daemon:
# `install` builds and caches the binary, `env` says where it is.
# docs/testenv-woodpecker.md has the version choice, the exact invocation and
# the quirks measured with it.

# Bump when the way the binary is built changes, so that caches built the old
# way are rebuilt.
WOODPECKER_BUILD_RECIPE=1

woodpecker_defaults() {
    # The proxy answers 403 for every go.woodpecker-ci.org/woodpecker/v2 and
    # /v3 version; the last release published under the GitHub path is 1.0.5.
    # Its go.mod names the module go.woodpecker-ci.org/woodpecker, so
    # `go install github.com/...@v1.0.5` stops at the path mismatch: we
    # download the module and `go build` inside it instead.
    WOODPECKER_VERSION="${SPOTGUIDE_WOODPECKER_VERSION:-v1.0.5}"
    WOODPECKER_MODULE="github.com/woodpecker-ci/woodpecker"
    WOODPECKER_HOME="$(sg_cache_dir)/woodpecker/${WOODPECKER_VERSION}"
    WOODPECKER_CLI="${WOODPECKER_HOME}/bin/woodpecker-cli"
}

woodpecker_stamp() {
    printf 'woodpecker-cli %s %s recipe %s\n' "$WOODPECKER_VERSION" "$(go env GOVERSION)" "$WOODPECKER_BUILD_RECIPE"
}

woodpecker_built() {
    [[ -x "$WOODPECKER_CLI" && -r "${WOODPECKER_HOME}/.complete" &&
        "$(cat "${WOODPECKER_HOME}/.complete")" == "$(woodpecker_stamp)" ]]
}

woodpecker_install() {
    woodpecker_defaults
    [[ "$WOODPECKER_VERSION" =~ ^v[0-9]+\.[0-9]+\.[0-9]+$ ]] ||
        sg_die "SPOTGUIDE_WOODPECKER_VERSION must look like v1.0.5, not '${WOODPECKER_VERSION}'"
    sg_ensure_go 1.21
    sg_lock "${WOODPECKER_HOME}.lock"
    if woodpecker_built; then
        sg_log "woodpecker-cli ${WOODPECKER_VERSION} is cached at ${WOODPECKER_CLI}"
        return 0
    fi
    local t0 log dir
    t0="$(sg_now_ms)"
    rm -rf "$WOODPECKER_HOME"
    sg_mkdir "${WOODPECKER_HOME}/bin"
    log="${WOODPECKER_HOME}/build.log"
    sg_log "building woodpecker-cli ${WOODPECKER_VERSION} from the Go module proxy (log: ${log})"
    # The module cache is read-only, but building in place needs no writes
    # there: objects go to GOCACHE, the binary to -o.
    dir="$(cd "$(sg_cache_dir)" && go mod download -json "${WOODPECKER_MODULE}@${WOODPECKER_VERSION}" 2>>"$log" |
        jq -r 'if .Error then error(.Error) else .Dir end' 2>>"$log")" ||
        { tail -n 5 "$log" >&2; sg_die "downloading ${WOODPECKER_MODULE}@${WOODPECKER_VERSION} failed"; }
    if ! (cd "$dir" && CGO_ENABLED=0 go build -trimpath -gcflags=all=-dwarf=false \
            -ldflags "-s -w -X go.woodpecker-ci.org/woodpecker/version.Version=${WOODPECKER_VERSION#v}" \
            -o "${WOODPECKER_CLI}.tmp" ./cmd/cli) >>"$log" 2>&1; then
        tail -n 30 "$log" >&2
        sg_die "building woodpecker-cli ${WOODPECKER_VERSION} failed (full log: ${log})"
    fi
    mv "${WOODPECKER_CLI}.tmp" "$WOODPECKER_CLI"
    woodpecker_stamp >"${WOODPECKER_HOME}/.complete"
    sg_log "built woodpecker-cli ${WOODPECKER_VERSION} in $(sg_since "$t0")"
}

# Machine-readable: KEY=VALUE lines for `eval` and the C++/ctest env parsers.
woodpecker_env() {
    woodpecker_defaults
    woodpecker_built || sg_die "woodpecker-cli is not installed; run: scripts/testenv woodpecker install"
    sg_env_line SPOTGUIDE_WOODPECKER_CLI "$WOODPECKER_CLI"
    sg_env_line SPOTGUIDE_WOODPECKER_VERSION "$WOODPECKER_VERSION"
}

woodpecker_usage() {
    cat >&2 <<'EOF'
usage: scripts/testenv woodpecker <verb>

  install   build woodpecker-cli from the Go module proxy into the cache (idempotent)
  up        the same as install (there is no daemon); accepts and ignores --owner
  down      nothing to stop; accepts --owner
  env       print SPOTGUIDE_WOODPECKER_CLI=... and SPOTGUIDE_WOODPECKER_VERSION=...
  help      this text

environment:
  SPOTGUIDE_WOODPECKER_VERSION  release to build (default v1.0.5; see docs/testenv-woodpecker.md)

run a workflow with our binaries as plugin steps:
  $(scripts/testenv woodpecker env | sed -n 's/^SPOTGUIDE_WOODPECKER_CLI=//p') \
      exec --backend-engine local workflow.yaml
EOF
}

testenv_woodpecker() {
    local verb="${1:-help}"
    [[ $# -gt 0 ]] && shift
    case "$verb" in
        install|up|build) woodpecker_install ;;
        down) return 0 ;;
        env) woodpecker_env ;;
        help|-h|--help) woodpecker_usage ;;
        *) woodpecker_usage; sg_die "unknown verb '${verb}'" ;;
    esac
}
