#!/usr/bin/env bash
# Starts a small Stratus cluster on this machine, each node its own process:
# one signaling node on http://127.0.0.1:8080 and three edges, two in region
# eu-west (RTT probes answered ~10 ms late) and one in us-east (~80 ms), so
# that near and far edges exist on loopback. Each process writes its pid to
# run/cluster/<node>.pid and its log beside it. A node that dies (kill -9 it
# to try failover) is reported and started again after a few seconds, so
# the demo can be repeated; `scripts/cluster.sh restart <node>` restarts one
# at once. Ctrl-C stops them all.
# The signaling node's operator endpoints (/v1/sessions, /v1/edges,
# /v1/route, /v1/operators, /metrics) and the edges' control APIs
# (sessions, drain, status) require the operator token in
# run/cluster/operator.token; the signaling node calls the edges with
# tickets derived from the cluster key. The signaling node keeps the
# network's registry (run/cluster/registry); each edge is enrolled there
# once, as a node of the edge operator "lab", with a token from
# `stratus operator add`, and keeps its key in run/cluster/<node>/.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=${STRATUS_BIN:-bin/stratus}
dir=${STRATUS_CLUSTER_DIR:-run/cluster}
# STRATUS_CLUSTER_PORT_OFFSET moves every port, so that a test can run a
# cluster beside one a person started.
o=${STRATUS_CLUSTER_PORT_OFFSET:-0}
web=$((8080 + o))

if [ "${1:-}" = "restart" ]; then
	name=${2:?usage: scripts/cluster.sh restart <node>}
	[ -f "$dir/$name.args" ] || { echo "no node $name in a running cluster ($dir/*.args)" >&2; exit 2; }
	touch "$dir/$name.restart"
	if pid=$(cat "$dir/$name.pid" 2>/dev/null) && kill -0 "$pid" 2>/dev/null; then
		# A live node drains first, then starts again.
		kill -TERM "$pid"
	fi
	echo "restarting $name"
	exit 0
fi

mkdir -p "$dir"
key_file=$dir/cluster.key
if [ ! -s "$key_file" ]; then
	head -c 32 /dev/urandom | base64 > "$key_file"
	chmod 600 "$key_file"
fi

token_file=$dir/operator.token
"$bin" operator token -file "$token_file"

# restartDelay is how long a dead node stays down: long enough for the
# players on it to move elsewhere, short enough to repeat the demo.
restartDelay=3

rm -f "$dir"/*.args "$dir"/*.restart "$dir/.stopping"
sups=()
stop() {
	trap - INT TERM EXIT
	echo "stopping the cluster"
	touch "$dir/.stopping"
	for f in "$dir"/*.pid; do
		[ -e "$f" ] && kill -TERM "$(cat "$f")" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	rm -f "$dir"/*.pid "$dir"/*.args "$dir"/*.restart "$dir/.stopping"
}
trap stop INT TERM EXIT

# supervise runs one node until the cluster stops, starting it again when
# it dies: after restartDelay, or at once when asked (restart <node>).
supervise() { # name, args...
	local name=$1
	shift
	local runs=0
	while [ ! -e "$dir/.stopping" ]; do
		rm -f "$dir/$name.restart"
		"$bin" "$@" >> "$dir/$name.log" 2>&1 &
		local pid=$!
		echo "$pid" > "$dir/$name.pid"
		runs=$((runs + 1))
		[ "$runs" -gt 1 ] && echo "restarted $name (pid $pid)"
		local status=0
		wait "$pid" 2>/dev/null || status=$?
		rm -f "$dir/$name.pid"
		# Ctrl-C reaches the nodes as well as this script: give the
		# script a moment to say that the cluster is stopping.
		sleep 0.3
		[ -e "$dir/.stopping" ] && break
		local why="exit status $status"
		[ "$status" -gt 128 ] && why="killed by signal $((status - 128))"
		if [ -e "$dir/$name.restart" ]; then
			echo "$name stopped ($why) to be restarted"
			continue
		fi
		echo "$name died ($why); it starts again in ${restartDelay}s, or now with: scripts/cluster.sh restart $name"
		local waited=0
		while [ "$waited" -lt $((restartDelay * 10)) ] && [ ! -e "$dir/$name.restart" ] && [ ! -e "$dir/.stopping" ]; do
			sleep 0.1
			waited=$((waited + 1))
		done
	done
}

start() { # name, args...
	local name=$1
	: > "$dir/$name.log"
	echo "$*" > "$dir/$name.args"
	supervise "$@" &
	sups+=($!)
	echo "started $name (log $dir/$name.log)"
}

# checker-1 plays from 127.0.0.1 too, almost without a pause (three edges
# every 10 s): counted as the same player as the person trying the demo,
# it would take their one session (-sessions-per-player) most of the time.
start signal-1 signal -name signal-1 -region eu-west -location 50.1,8.7 -addr 127.0.0.1:$web -cluster-key-file "$key_file" \
	-lan eu-west=127.0.0.1:$((7946 + o)),us-east=127.0.0.1:$((7947 + o)) -wan 127.0.0.1:$((7950 + o)) \
	-operator-token-file "$token_file" -data-dir "$dir/signal-1" -registry "$dir/registry" -sessions-per-player 3

# enrollToken makes the token a not yet enrolled node starts with, once the
# signaling node answers.
enrollToken() { # name, operator, role
	local name=$1 tries=0
	[ -e "$dir/$name/enrollment.json" ] && return 0
	until "$bin" operator add "$2" -role "$3" -signal "http://127.0.0.1:$web" -operator-token-file "$token_file" -o "$dir/$name.enroll" >/dev/null 2>&1; do
		tries=$((tries + 1))
		if [ "$tries" -ge 100 ]; then
			echo "the signaling node did not answer; see $dir/signal-1.log" >&2
			exit 1
		fi
		sleep 0.2
	done
}

edge() { # name, region, location, probe delay, n, gossip port to join
	enrollToken "$1" lab edge
	start "$1" edge -name "$1" -region "$2" -location "$3" -probe-delay "$4" \
		-data-dir "$dir/$1" -enroll-token-file "$dir/$1.enroll" -cluster-key-file "$key_file" \
		-api 127.0.0.1:$((8180 + o + $5)) -probe 127.0.0.1:$((8280 + o + $5)) -gossip 127.0.0.1:$((7950 + o + $5)) -join 127.0.0.1:$(($6 + o)) \
		-media-ip 127.0.0.1 -udp-port $((3480 + o + $5)) -tcp-port $((8480 + o + $5)) \
		-operator-token-file "$token_file"
}
edge eu-west-1 eu-west 48.9,2.4 10ms 1 7946
edge eu-west-2 eu-west 51.5,-0.1 10ms 2 7946
edge us-east-1 us-east 39.0,-77.5 80ms 3 7947

# checker-1 plays testpattern on every edge every 10 s, as a player would,
# serves what it measured and sends it, signed, to the signaling node.
enrollToken checker-1 network checker
start checker-1 checker -name checker-1 -signal "http://127.0.0.1:$web" -addr 127.0.0.1:$((8090 + o)) -check-every 10s -watch 2s \
	-operator-token-file "$token_file" -data-dir "$dir/checker-1" -enroll-token-file "$dir/checker-1.enroll"

echo "Stratus cluster: open http://127.0.0.1:$web. Ctrl-C stops it."
echo "edges: curl -H \"Authorization: Bearer \$(cat $token_file)\" http://127.0.0.1:$web/v1/edges"
echo "checks: curl http://127.0.0.1:$((8090 + o))/v1/results"
echo "failover: kill -9 \$(cat $dir/eu-west-1.pid); the node comes back by itself"
wait "${sups[@]}" || true
