#!/usr/bin/env bash
# End-to-end check of `scripts/testenv pd` against the PD HTTP API, with curl
# and jq as the clients (pd-ctl only as a cross-check). Runs `up` itself if
# the cluster is not running; leaves it running with as many Up stores as it
# found (the removed store is replaced by a new one).
#
# Checks: all stores Up; DELETE /store/{id} takes a store Up -> Offline ->
# Tombstone while PD moves its regions away; remove-tombstone clears it; a
# silenced store goes Disconnected -> Down and back Up; evict-leader empties a
# store of leaders; leader transfer moves the PD leader and the stores keep
# heartbeating; a deleted member rejoins; /health, /members, /config/replicate
# and the region checks answer as expected. Prints the time of each
# transition.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
testenv="${here}/../testenv"
if ! env_out="$("$testenv" pd env 2>/dev/null)"; then
    "$testenv" pd up
    env_out="$("$testenv" pd env)"
fi
eval "$env_out"

pass() { printf 'smoke: PASS %s\n' "$*"; }
fail() { printf 'smoke: FAIL %s\n' "$*" >&2; exit 1; }
step() { printf '\nsmoke: --- %s\n' "$*"; }

IFS=, read -r -a endpoints <<<"$SPOTGUIDE_PD_ENDPOINTS"
api_url=""
# Any member serves the whole API (followers forward to the leader); use the
# first that answers.
pick_url() {
    local u
    for u in "${endpoints[@]}"; do
        if curl -fsS --max-time 3 -o /dev/null "${u}/pd/api/v1/members"; then
            api_url="$u"
            return 0
        fi
    done
    fail "no PD member answers"
}
api() {
    local method="$1" path="$2"
    shift 2
    curl -fsS --max-time 10 -X "$method" "$@" "${api_url}/pd/api/v1/${path}"
}
now_ms() { date +%s%3N; }
secs() { awk -v ms="$(( $(now_ms) - $1 ))" 'BEGIN {printf "%.1fs", ms / 1000}'; }

state_of() {
    api GET "stores/check?state=Up&state=Offline&state=Tombstone&state=Disconnected&state=Down" |
        jq -r --argjson id "$1" '.stores[] | select(.store.id == $id) | .store.state_name'
}
region_count_of() {
    api GET "store/$1" | jq -r '.status.region_count // 0'
}
leader_count_of() {
    api GET "store/$1" | jq -r '.status.leader_count // 0'
}
up_ids() {
    api GET stores | jq -r '.stores[] | select(.store.state_name == "Up") | .store.id' | sort -n
}

# wait_state ID STATE TIMEOUT: prints the elapsed time since T0 (global).
wait_state() {
    local id="$1" want="$2" timeout="$3" deadline s
    deadline=$(( $(date +%s) + timeout ))
    while :; do
        s="$(state_of "$id" || true)"
        [[ "$s" == "$want" ]] && return 0
        (( $(date +%s) < deadline )) || fail "store ${id} is '${s}' after ${timeout}s, expected ${want}"
        sleep 0.5
    done
}

pick_url
t_all=$(now_ms)

# --- health, members, config
step "health, members, config"
health="$(api GET health)"
jq -e 'length >= 3 and all(.health)' >/dev/null <<<"$health" || fail "health: ${health}"
pass "/health: $(jq -r 'map("\(.name)=\(.health)") | join(" ")' <<<"$health")"
members="$(api GET members)"
pass "/members: $(jq -r '[.members[].name] | sort | join(",")' <<<"$members"), leader $(jq -r .leader.name <<<"$members")"
replicas="$(api GET config/replicate | jq -r '."max-replicas"')"
[[ "$replicas" == "$SPOTGUIDE_PD_MAX_REPLICAS" ]] || fail "max-replicas is ${replicas}"
down_time="$(api GET config/schedule | jq -r '."max-store-down-time"')"
pass "/config/replicate max-replicas=${replicas}; schedule max-store-down-time=${down_time}"
"$SPOTGUIDE_PD_CTL" -u "$api_url" store >/dev/null || fail "pd-ctl store failed"
pass "pd-ctl answers ($("$SPOTGUIDE_PD_CTL" -u "$api_url" store | jq -r .count) stores)"

# --- stores Up
step "stores Up"
mapfile -t ups < <(up_ids)
(( ${#ups[@]} >= replicas + 1 )) || fail "need at least $(( replicas + 1 )) Up stores for a scale-in, have ${#ups[@]}"
for id in "${ups[@]}"; do
    printf 'smoke:   store %s: %s, %s regions, %s leaders\n' "$id" "$(state_of "$id")" "$(region_count_of "$id")" "$(leader_count_of "$id")"
done
pass "${#ups[@]} stores Up"
for check in miss-peer down-peer offline-peer; do
    n="$(api GET "regions/check/${check}" | jq -r '.count')"
    [[ "$n" == 0 ]] || fail "/regions/check/${check} has ${n} regions on a healthy cluster"
done
pass "/regions/check/{miss-peer,down-peer,offline-peer} are empty"

# --- scale-in: evict leaders, delete, wait for Tombstone
victim="${ups[-1]}"
step "scale-in store ${victim}: evict-leader, DELETE /store/${victim}, wait for Tombstone"
t0=$(now_ms)
api POST schedulers -H 'Content-Type: application/json' \
    -d "{\"name\":\"evict-leader-scheduler\",\"store_id\":${victim}}" >/dev/null
deadline=$(( $(date +%s) + 60 ))
until [[ "$(leader_count_of "$victim")" == 0 ]]; do
    (( $(date +%s) < deadline )) || fail "store ${victim} still has leaders 60s after evict-leader"
    sleep 0.5
done
pass "evict-leader-scheduler-${victim}: leaders 0 after $(secs "$t0")"

regions_before="$(region_count_of "$victim")"
t0=$(now_ms)
api DELETE "store/${victim}" >/dev/null
s="$(state_of "$victim")"
[[ "$s" == Offline ]] || fail "store ${victim} is '${s}' right after DELETE, expected Offline"
pass "DELETE /store/${victim}: Offline at once (${regions_before} regions to move)"
n="$(api GET regions/check/offline-peer | jq -r '.count')"
pass "/regions/check/offline-peer: ${n} regions"
wait_state "$victim" Tombstone 300
pass "store ${victim}: Offline -> Tombstone after $(secs "$t0") (region_count $(region_count_of "$victim"))"
api GET stores | jq -e --argjson id "$victim" 'all(.stores[]; .store.id != $id)' >/dev/null ||
    fail "GET /stores still lists the Tombstone store"
api GET "stores?state=0&state=1&state=2" | jq -e --argjson id "$victim" 'any(.stores[]; .store.id == $id)' >/dev/null ||
    fail "GET /stores?state=0&state=1&state=2 does not list the Tombstone store"
pass "GET /stores hides it; /stores?state=0&state=1&state=2 lists it"
api DELETE "schedulers/evict-leader-scheduler-${victim}" >/dev/null
api GET schedulers | jq -e 'all(.[]; startswith("evict-leader") | not)' >/dev/null || fail "evict-leader scheduler still there"
pass "evict-leader-scheduler-${victim} removed"
api DELETE stores/remove-tombstone >/dev/null
api GET "stores?state=0&state=1&state=2" | jq -e --argjson id "$victim" 'all(.stores[]; .store.id != $id)' >/dev/null ||
    fail "store ${victim} still listed after remove-tombstone"
pass "DELETE /stores/remove-tombstone: store ${victim} gone"

# --- store failure
mapfile -t ups < <(up_ids)
sick="${ups[0]}"
step "kill-store ${sick}: Disconnected, Down, back Up"
t0=$(now_ms)
"$testenv" pd kill-store "$sick"
wait_state "$sick" Disconnected 60
pass "store ${sick}: Up -> Disconnected after $(secs "$t0")"
n="$(api GET regions/check/down-peer | jq -r '.count')"
pass "/regions/check/down-peer: ${n} regions report a down peer"
wait_state "$sick" Down 120
pass "store ${sick}: Disconnected -> Down after $(secs "$t0") (max-store-down-time ${down_time})"
t1=$(now_ms)
"$testenv" pd restart-store "$sick"
wait_state "$sick" Up 60
pass "store ${sick}: Down -> Up after $(secs "$t1")"

# --- PD leadership
step "PD leader transfer"
leader="$(api GET leader | jq -r .name)"
target="$(api GET members | jq -r --arg l "$leader" '[.members[].name | select(. != $l)] | sort | .[0]')"
t0=$(now_ms)
api POST "leader/transfer/${target}" >/dev/null
deadline=$(( $(date +%s) + 30 ))
until [[ "$(api GET leader | jq -r .name)" == "$target" ]]; do
    (( $(date +%s) < deadline )) || fail "leader still not ${target} after 30s"
    sleep 0.2
done
pass "leader ${leader} -> ${target} after $(secs "$t0")"
# The stores must follow the new leader: heartbeats keep them Up past the
# 20 s after which a store without heartbeats is Disconnected.
sleep 25
mapfile -t now_up < <(up_ids)
(( ${#now_up[@]} == ${#ups[@]} )) || fail "only ${#now_up[@]} of ${#ups[@]} stores Up 25s after the leader moved"
pass "all ${#now_up[@]} stores still Up 25s after the transfer"

# --- member removal and rejoin
step "PD member delete and rejoin"
leader="$(api GET leader | jq -r .name)"
gone="$(api GET members | jq -r --arg l "$leader" '[.members[].name | select(. != $l)] | sort | .[-1]')"
t0=$(now_ms)
api DELETE "members/name/${gone}" >/dev/null
api GET members | jq -e --arg n "$gone" 'all(.members[]; .name != $n)' >/dev/null || fail "${gone} still a member"
pass "DELETE /members/name/${gone}: $(api GET members | jq -r '.members | length') members left"
"$testenv" pd restart-pd "$gone"
deadline=$(( $(date +%s) + 60 ))
until api GET health | jq -e --arg n "$gone" 'length >= 3 and all(.health) and any(.name == $n)' >/dev/null 2>&1; do
    (( $(date +%s) < deadline )) || fail "${gone} did not rejoin healthy"
    sleep 0.5
done
pass "${gone} rejoined; /health all healthy after $(secs "$t0")"

# --- restore the store count
step "scale-out: add a store to replace ${victim}"
new_id="$("$testenv" pd add-store)"
pass "store ${new_id} Up"

printf '\nsmoke: all checks passed in %s\n' "$(secs "$t_all")"
