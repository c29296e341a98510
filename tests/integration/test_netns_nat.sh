#!/usr/bin/env bash
# test_netns_nat.sh - the studio-behind-NAT case for real, with network
# namespaces this test makes (iproute2's `ip netns`, veth pairs, iptables
# DNAT), the topology of ../shared/htcondor-recorded/README.md:
#
#   studio (10.77.0.2) --- (10.77.0.1) nat (203.0.113.1) --- cloud (203.0.113.2)
#
# The fake collector (tests/lib/fake_collector.py) listens on 9618 in
# `studio`; the connectivity function (src/functions/connectivity.py,
# its Lambda handler run by python3) runs in `cloud`, as the nodes would,
# against the NAT's outside address. It must find the collector not
# reachable without the port forward, reachable with the collector's own id
# once the DNAT rule is in, the studio's private address never, and the
# hairpin rule docs/network.md asks for must be what lets the studio itself
# reach the outside address. The schedd addresses recorded from real
# HTCondor (schedd-af.private.txt, schedd-af.forwarded.txt) are checked from
# `cloud` with the function's connect-only mode.
#
# All traffic stays inside these namespaces: the veth pairs are created
# directly inside them (no interface ever appears in the host's namespace)
# and their names carry this run's own suffix; every namespace and process
# the test made is removed at the end, also on failure. Needs root (the
# test machines run tests as root): without it the test fails, it does not
# skip.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SHARED=${ANNEX_SHARED:-$ROOT/../shared}
RECORDED=$SHARED/htcondor-recorded
PY=${PYTHON:-/usr/bin/python3}
pass=0 fail=0
ok() { echo "PASS $1"; pass=$((pass + 1)); }
ko() { echo "FAIL $1: $2"; fail=$((fail + 1)); }
summary() { echo "$pass passed, $fail failed"; [ "$fail" -eq 0 ]; }

sfx=$$-$RANDOM
studio=annex-studio-$sfx nat=annex-nat-$sfx cloud=annex-cloud-$sfx
made=() pids=()
tmp=$(mktemp -d)
cleanup() {
	local p n
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	for n in "${made[@]}"; do ip netns del "$n" 2>/dev/null; done
	pids=() made=()
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ID=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
OTHER_ID=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
[ ${#ID} -eq 16 ] || { ko "random id" "got '$ID'"; summary; exit 1; }

# --- the network -----------------------------------------------------------
if [ "$(id -u)" -ne 0 ]; then
	ko "network namespaces" "this test needs root to make network namespaces (ip netns); run it as root"
	summary; exit 1
fi
for t in ip iptables "$PY"; do
	command -v "$t" >/dev/null || { ko "tools" "$t is missing (scripts/deps.sh test installs iproute2 and iptables)"; summary; exit 1; }
done
net() {
	# Runs one setup command; any failure ends the test with its message.
	local out
	if ! out=$("$@" 2>&1); then
		ko "network setup" "'$*' failed: $out"
		summary; exit 1
	fi
}
for n in "$studio" "$nat" "$cloud"; do
	net ip netns add "$n"
	made+=("$n")
	net ip -n "$n" link set lo up
done
net ip -n "$studio" link add in0 type veth peer name in1 netns "$nat"
net ip -n "$cloud" link add out0 type veth peer name out1 netns "$nat"
net ip -n "$studio" addr add 10.77.0.2/24 dev in0
net ip -n "$nat" addr add 10.77.0.1/24 dev in1
net ip -n "$nat" addr add 203.0.113.1/24 dev out1
net ip -n "$cloud" addr add 203.0.113.2/24 dev out0
net ip -n "$studio" link set in0 up
net ip -n "$nat" link set in1 up
net ip -n "$nat" link set out1 up
net ip -n "$cloud" link set out0 up
# The studio's way out is the NAT; the cloud knows nothing of 10.77.0.0/24.
net ip -n "$studio" route add default via 10.77.0.1
net ip netns exec "$nat" sh -c "echo 1 >/proc/sys/net/ipv4/ip_forward"
# What a home or office router does for the inside: masquerade its way out.
net ip netns exec "$nat" iptables -t nat -A POSTROUTING -s 10.77.0.0/24 -o out1 -j MASQUERADE

# --- the collector in the studio --------------------------------------------
start_collector() {   # start_collector PORT ID -> pid in $started
	: >"$tmp/collector-$1.log"
	ip netns exec "$studio" "$PY" "$ROOT/tests/lib/fake_collector.py" --host 0.0.0.0 \
		--port "$1" --id "$2" >"$tmp/collector-$1.log" 2>&1 &
	started=$!
	pids+=("$started")
	local i
	for i in $(seq 1 100); do
		grep -q '^listening on ' "$tmp/collector-$1.log" && return 0
		kill -0 "$started" 2>/dev/null || break
		sleep 0.1
	done
	ko "fake collector on $1" "did not start: $(cat "$tmp/collector-$1.log")"
	summary; exit 1
}
start_collector 9618 "$ID"

# fn NS HOST PORT TIMEOUT QUERY: the Lambda handler, run by python3 in NS;
# prints the result's JSON (the last line: the handler logs one line first).
fn() {
	ip netns exec "$1" "$PY" - "$2" "$3" "$4" "$5" <<'PYEOF' 2>&1 | tail -n 1
import json, os, sys
sys.path.insert(0, os.path.join(os.environ["ANNEX_ROOT"], "src", "functions"))
import connectivity
host, port, timeout, query = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4] == "1"
print(json.dumps(connectivity.handler({"host": host, "port": port, "timeout": timeout, "query": query}, None)))
PYEOF
}
export ANNEX_ROOT=$ROOT
field() { "$PY" -c 'import json,sys; v=json.loads(sys.argv[1])[sys.argv[2]]; print(json.dumps(v) if isinstance(v, bool) else v)' "$1" "$2" 2>/dev/null; }
expect() {   # expect NAME JSON REACHABLE ID DESCRIPTION-REGEX
	local r i d
	r=$(field "$2" reachable) i=$(field "$2" instance_id) d=$(field "$2" description)
	if [ "$r" = "$3" ] && [ "$i" = "$4" ] && echo "$d" | grep -Eq -- "$5"; then ok "$1"; echo "    $2"
	else ko "$1" "got $2 (wanted reachable=$3 instance_id='$4' description~/$5/)"; fi
}

out=$(fn "$studio" 10.77.0.2 9618 2 1)
expect "the collector answers in the studio itself" "$out" true "$ID" "^10\.77\.0\.2:9618: an HTCondor daemon answered"

# --- no port forward: what AWS sees of a studio behind a NAT -------------------
out=$(fn "$cloud" 203.0.113.1 9618 2 1)
expect "without the port forward the NAT's outside address refuses" "$out" false "" \
	"^203\.0\.113\.1:9618: connection refused"
out=$(fn "$cloud" 10.77.0.2 9618 1 1)
expect "the studio's private address is not reachable from the cloud" "$out" false "" \
	"^10\.77\.0\.2:9618: (cannot connect: Network is unreachable|no answer to the connection)"

# A firewall that drops instead of refusing: the connect times out.
net ip netns exec "$nat" iptables -A INPUT -d 203.0.113.1 -p tcp --dport 9621 -j DROP
out=$(fn "$cloud" 203.0.113.1 9621 1 1)
expect "a firewall that drops gives a connect timeout" "$out" false "" \
	"^203\.0\.113\.1:9621: no answer to the connection within 1 s"

# --- forward the collector's port -------------------------------------------
net ip netns exec "$nat" iptables -t nat -A PREROUTING -d 203.0.113.1 -p tcp --dport 9618 \
	-j DNAT --to-destination 10.77.0.2:9618
out=$(fn "$cloud" 203.0.113.1 9618 2 1)
expect "with the DNAT rule the cloud reaches the collector and reads its id" "$out" true "$ID" \
	"^203\.0\.113\.1:9618: an HTCondor daemon answered DC_QUERY_INSTANCE with instance id $ID"
n=$(grep -c '^request 0100000008000000000000ea8d$' "$tmp/collector-9618.log")
if [ "$n" -eq 2 ]; then ok "the collector in the studio read the cloud's request, byte for byte"
else ko "the request through the NAT" "the collector logged $n good requests (want 2: the studio's, the cloud's): $(cat "$tmp/collector-9618.log")"; fi
out=$(fn "$cloud" 203.0.113.1 9618 2 0)
expect "connect-only mode through the forward" "$out" true "" "^203\.0\.113\.1:9618: TCP connection accepted"
out=$(fn "$cloud" 203.0.113.1 9619 1 1)
expect "a port not forwarded stays refused" "$out" false "" "^203\.0\.113\.1:9619: connection refused"

# --- a forward that points at another daemon: the ids differ -----------------
start_collector 9700 "$OTHER_ID"
net ip netns exec "$nat" iptables -t nat -A PREROUTING -d 203.0.113.1 -p tcp --dport 9620 \
	-j DNAT --to-destination 10.77.0.2:9700
out=$(fn "$cloud" 203.0.113.1 9620 2 1)
expect "a forward to another daemon answers that daemon's id" "$out" true "$OTHER_ID" "instance id $OTHER_ID"

# --- hairpin: the studio reaching its own outside address -------------------------
out=$(fn "$studio" 203.0.113.1 9618 1 1)
expect "without hairpin NAT the studio cannot reach its outside address" "$out" false "" \
	"^203\.0\.113\.1:9618: (no answer|connected, but|connection refused|cannot connect)"
net ip netns exec "$nat" iptables -t nat -A POSTROUTING -s 10.77.0.0/24 -d 10.77.0.2 -p tcp \
	--dport 9618 -j MASQUERADE
out=$(fn "$studio" 203.0.113.1 9618 2 1)
expect "with hairpin NAT the studio reaches its outside address" "$out" true "$ID" "instance id $ID"

# --- the schedd addresses real HTCondor advertised ----------------------------
# MyAddress "<host:port?...>" -> host port
sinful() { sed -E 's/^[^ ]+ <([^:>?]+):([0-9]+).*$/\1 \2/'; }
for f in schedd-af.private.txt schedd-af.forwarded.txt; do
	if [ ! -r "$RECORDED/$f" ]; then ko "recorded $f" "$RECORDED/$f is missing"; continue; fi
	read -r shost sport < <(sinful <"$RECORDED/$f")
	out=$(fn "$cloud" "$shost" "$sport" 1 0)
	case $f in
	*private*) expect "the schedd's private address ($shost:$sport, $f) is not reachable from the cloud" \
		"$out" false "" "^$shost:$sport: ";;
	*) expect "the schedd's forwarded address ($shost:$sport, $f) is reachable from the cloud" \
		"$out" true "" "^$shost:$sport: TCP connection accepted";;
	esac
done

# --- the script form: the function by hand, from the cloud ----------------------
out=$(ip netns exec "$cloud" "$PY" "$ROOT/src/functions/connectivity.py" 203.0.113.1 9618 2); rc=$?
expect "connectivity.py run by hand from the cloud (exit $rc)" "$out" true "$ID" "instance id $ID"
[ "$rc" -eq 0 ] || ko "connectivity.py by hand exit status" "rc=$rc"

# --- nothing is left behind --------------------------------------------------------
list=("${made[@]}")
cleanup
left=$(ip netns list | awk '{print $1}' | grep -Fx -e "${list[0]}" -e "${list[1]}" -e "${list[2]}")
if [ -z "$left" ]; then ok "every namespace the test made is gone"
else ko "cleanup" "namespaces left: $left"; fi
summary
