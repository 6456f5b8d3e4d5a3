#!/usr/bin/env bash
# End-to-end check of a running `scripts/testenv kafka` cluster, with Kafka's
# own CLIs as the clients. Needs `scripts/testenv kafka up` first. Leaves the
# cluster as it found it: every broker running, its topic deleted.
#
# Checks: an 8-partition RF-3 topic takes 1000 messages with acks=all; killing
# broker 2 makes exactly its partitions under-replicated; after a restart the
# ISR is full again; SCRAM-SHA-512, SCRAM-SHA-256 and PLAIN logins work on the
# SASL listener and a wrong password is rejected; a DENY ACL hides the topic
# from the limited user but not from the main one; the SSL listener verifies
# against the test CA.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
testenv="${here}/../testenv"
env_out="$("$testenv" kafka env)" || { echo "smoke: cluster not up (scripts/testenv kafka up)" >&2; exit 1; }
eval "$env_out"

kt()   { "$testenv" kafka tool "$@"; }
pass() { printf 'smoke: PASS %s\n' "$*"; }
fail() { printf 'smoke: FAIL %s\n' "$*" >&2; exit 1; }
step() { printf '\nsmoke: --- %s\n' "$*"; }

bs="$SPOTGUIDE_KAFKA_BOOTSTRAP"
topic="smoke-$$-$(date +%s)"
victim=2
work="$(mktemp -d)"
t0=$(date +%s%3N)
cleanup() {
    local rc=$?
    # A failed run must not leave broker 2 dead for whoever uses the cluster next.
    "$testenv" kafka start "$victim" >/dev/null 2>&1 || true
    kt acls --bootstrap-server "$bs" --remove --force --topic "$topic" >/dev/null 2>&1 || true
    kt topics --bootstrap-server "$bs" --delete --topic "$topic" >/dev/null 2>&1 || true
    rm -rf "$work"
    exit "$rc"
}
trap cleanup EXIT

# Polls CMD (a function printing something) until PREDICATE on its output holds.
wait_for() {
    local what="$1" timeout="$2" pred="$3"
    shift 3
    local deadline=$(( $(date +%s) + timeout )) out
    while :; do
        out="$("$@" 2>/dev/null || true)"
        if "$pred" "$out"; then
            printf '%s\n' "$out"
            return 0
        fi
        (( $(date +%s) < deadline )) || fail "timed out after ${timeout}s waiting for ${what}"
        sleep 1
    done
}
nonempty() { [[ -n "$1" ]]; }
empty()    { [[ -z "$1" ]]; }

urp() { kt topics --bootstrap-server "$bs" --describe --topic "$topic" --under-replicated-partitions; }

# --- create, produce, describe
step "create ${topic}: 8 partitions, RF 3, min.insync.replicas=2"
kt topics --bootstrap-server "$bs" --create --topic "$topic" --partitions 8 --replication-factor 3 \
    --config min.insync.replicas=2
pass "topic created"

step "produce 1000 messages with acks=all"
seq 1 1000 | kt produce --bootstrap-server "$bs" --topic "$topic" \
    --producer-property acks=all --producer-property linger.ms=5
total="$(kt get-offsets --bootstrap-server "$bs" --topic "$topic" --time -1 | awk -F: '{s += $3} END {print s + 0}')"
[[ "$total" == 1000 ]] || fail "end offsets add up to ${total}, expected 1000"
pass "end offsets of the 8 partitions add up to 1000"

step "describe"
kt topics --bootstrap-server "$bs" --describe --topic "$topic" | tee "${work}/describe.txt"
# Partitions that have broker 2 among their replicas; with RF 3 on 4 brokers
# that is most of them.
awk -v b="$victim" '/Partition: /{for (i = 1; i <= NF; i++) if ($i == "Replicas:") { n = split($(i+1), r, ","); for (j = 1; j <= n; j++) if (r[j] == b) print $4 }}' \
    "${work}/describe.txt" | sort -n >"${work}/with-victim.txt"
[[ -s "${work}/with-victim.txt" ]] || fail "no partition has a replica on broker ${victim}"
racks_ok="$(awk '/Partition: /{print}' "${work}/describe.txt" | wc -l)"
[[ "$racks_ok" == 8 ]] || fail "describe shows ${racks_ok} partitions, expected 8"
pass "8 partitions, $(wc -l <"${work}/with-victim.txt") of them with a replica on broker ${victim}"

# --- kill a broker
step "kill broker ${victim} (SIGKILL)"
tk=$(date +%s%3N)
"$testenv" kafka kill "$victim"
step "under-replicated partitions (fenced after ${SPOTGUIDE_KAFKA_SESSION_TIMEOUT_MS} ms)"
# Wait until every partition with a replica on the victim is listed, not just
# the first one the controller got to.
all_urp() { [[ "$(awk '/Partition: /{print $4}' <<<"$1" | sort -n)" == "$(cat "${work}/with-victim.txt")" ]]; }
wait_for "broker ${victim}'s partitions to become under-replicated" 60 all_urp urp | tee "${work}/urp.txt"
grep -q "Isr: .*\b${victim}\b" "${work}/urp.txt" && fail "broker ${victim} is still in an ISR"
pass "exactly the $(wc -l <"${work}/with-victim.txt") partitions with a replica on broker ${victim} are under-replicated, $(( $(date +%s%3N) - tk )) ms after the kill"

# The data stays readable with one broker down.
total="$(kt get-offsets --bootstrap-server "$bs" --topic "$topic" --time -1 | awk -F: '{s += $3} END {print s + 0}')"
[[ "$total" == 1000 ]] || fail "with broker ${victim} down the end offsets add up to ${total}"
pass "all 1000 messages still there with broker ${victim} down"

# --- restart it
step "restart broker ${victim}"
tr=$(date +%s%3N)
"$testenv" kafka restart "$victim"
wait_for "the ISR to be full again" 90 empty urp >/dev/null
pass "no under-replicated partitions $(( $(date +%s%3N) - tr )) ms after the restart"
kt topics --bootstrap-server "$bs" --describe --topic "$topic"

# --- SASL and SSL
step "SASL_PLAINTEXT (${SPOTGUIDE_KAFKA_SASL_BOOTSTRAP}) and SSL (${SPOTGUIDE_KAFKA_SSL_BOOTSTRAP})"
for mech in scram-sha-512 scram-sha-256 plain; do
    kt topics --bootstrap-server "$SPOTGUIDE_KAFKA_SASL_BOOTSTRAP" \
        --command-config "${SPOTGUIDE_KAFKA_CLIENT_CONFIG_DIR}/${mech}.properties" --list >"${work}/list.txt" ||
        fail "${mech}: listing topics failed"
    grep -qx "$topic" "${work}/list.txt" || fail "${mech}: ${topic} missing from the topic list"
    pass "${mech^^} login as ${SPOTGUIDE_KAFKA_SASL_USER} lists the topics"
done

sed "s/password=\"[^\"]*\"/password=\"not-the-password\"/" \
    "${SPOTGUIDE_KAFKA_CLIENT_CONFIG_DIR}/scram-sha-512.properties" >"${work}/wrong.properties"
if kt topics --bootstrap-server "$SPOTGUIDE_KAFKA_SASL_BOOTSTRAP" --command-config "${work}/wrong.properties" \
        --list >"${work}/wrong.txt" 2>&1; then
    fail "a wrong SCRAM-SHA-512 password was accepted"
fi
grep -q 'Authentication failed' "${work}/wrong.txt" ||
    fail "wrong password: expected an authentication error, got: $(tail -n 3 "${work}/wrong.txt")"
pass "a wrong SCRAM-SHA-512 password is rejected: $(grep -o 'Authentication failed[^(]*' "${work}/wrong.txt" | head -n1)"

step "ACLs: a DENY for ${SPOTGUIDE_KAFKA_SASL_LIMITED_USER} hides the topic from it, not from ${SPOTGUIDE_KAFKA_SASL_USER}"
sasl_list() {
    kt topics --bootstrap-server "$SPOTGUIDE_KAFKA_SASL_BOOTSTRAP" \
        --command-config "${SPOTGUIDE_KAFKA_CLIENT_CONFIG_DIR}/${1}scram-sha-512.properties" --list
}
limited_list() { sasl_list limited-; }
has_topic()    { grep -qx "$topic" <<<"$1"; }
lacks_topic()  { ! has_topic "$1"; }
has_topic "$(limited_list)" || fail "${SPOTGUIDE_KAFKA_SASL_LIMITED_USER} does not see ${topic} before any ACL exists"
kt acls --bootstrap-server "$bs" --add --deny-principal "User:${SPOTGUIDE_KAFKA_SASL_LIMITED_USER}" \
    --operation Describe --topic "$topic" >/dev/null
# ACLs reach the brokers through the metadata log, a moment later.
wait_for "the DENY ACL to take effect" 30 lacks_topic limited_list >/dev/null
has_topic "$(sasl_list "")" || fail "${SPOTGUIDE_KAFKA_SASL_USER} lost sight of ${topic} as well"
pass "${SPOTGUIDE_KAFKA_SASL_LIMITED_USER} no longer sees ${topic}; ${SPOTGUIDE_KAFKA_SASL_USER} (a super user) still does"

kt topics --bootstrap-server "$SPOTGUIDE_KAFKA_SSL_BOOTSTRAP" \
    --command-config "${SPOTGUIDE_KAFKA_CLIENT_CONFIG_DIR}/ssl.properties" --list >"${work}/list.txt" ||
    fail "SSL: listing topics failed"
grep -qx "$topic" "${work}/list.txt" || fail "SSL: ${topic} missing from the topic list"
pass "SSL with hostname verification against ${SPOTGUIDE_KAFKA_SSL_CA_FILE} lists the topics"

printf '\nsmoke: all checks passed in %d s\n' $(( ($(date +%s%3N) - t0) / 1000 ))
