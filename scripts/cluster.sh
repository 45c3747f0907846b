#!/usr/bin/env bash
# Starts a small Stratus cluster on this machine, each node its own process:
# one signaling node on http://127.0.0.1:8080 and three edges, two in region
# eu-west (RTT probes answered ~10 ms late) and one in us-east (~80 ms), so
# that near and far edges exist on loopback. Each process writes its pid to
# run/cluster/<node>.pid and its log beside it. Ctrl-C stops them all.
# The signaling node's operator endpoints (/v1/sessions, /v1/edges,
# /v1/route, /metrics) require the operator token in
# run/cluster/operator.token.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=${STRATUS_BIN:-bin/stratus}
dir=run/cluster
mkdir -p "$dir"
key_file=$dir/cluster.key
if [ ! -s "$key_file" ]; then
	head -c 32 /dev/urandom | base64 > "$key_file"
	chmod 600 "$key_file"
fi

token_file=$dir/operator.token
"$bin" operator token -file "$token_file"

pids=()
stop() {
	trap - INT TERM EXIT
	echo "stopping the cluster"
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -f "$dir"/*.pid
}
trap stop INT TERM EXIT

start() { # name, args...
	local name=$1
	shift
	"$bin" "$@" -cluster-key-file "$key_file" > "$dir/$name.log" 2>&1 &
	local pid=$!
	echo "$pid" > "$dir/$name.pid"
	pids+=("$pid")
	echo "started $name (pid $pid, log $dir/$name.log)"
}

start signal-1 signal -name signal-1 -region eu-west -location 50.1,8.7 -addr 127.0.0.1:8080 \
	-lan eu-west=127.0.0.1:7946,us-east=127.0.0.1:7947 -wan 127.0.0.1:7950 \
	-operator-token-file "$token_file"

edge() { # name, region, location, probe delay, n
	start "$1" edge -name "$1" -region "$2" -location "$3" -probe-delay "$4" \
		-api 127.0.0.1:$((8180 + $5)) -gossip 127.0.0.1:$((7950 + $5)) -join "$6" \
		-media-ip 127.0.0.1 -udp-port $((3480 + $5)) -tcp-port $((8480 + $5))
}
edge eu-west-1 eu-west 48.9,2.4 10ms 1 127.0.0.1:7946
edge eu-west-2 eu-west 51.5,-0.1 10ms 2 127.0.0.1:7946
edge us-east-1 us-east 39.0,-77.5 80ms 3 127.0.0.1:7947

echo "Stratus cluster: open http://127.0.0.1:8080. Ctrl-C stops it."
echo "edges: curl -H \"Authorization: Bearer \$(cat $token_file)\" http://127.0.0.1:8080/v1/edges"
wait -n "${pids[@]}" || true
echo "a node exited; see $dir/*.log"
