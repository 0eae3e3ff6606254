#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Benchmark, not a test: GET /api/status served by distiller-wifi and by
# the reference peer (a FastAPI/uvicorn service speaking the same API),
# each loaded in turn by wrk with the same threads, connections and
# duration while both run side by side. Prints requests/s, p50 and p99
# latency, the server's RSS before and after the load, and the ratio
# distiller-wifi / peer for each row.
#
# The daemon runs in simulated mode (tests/simulate: the NetworkManager
# double on a private bus) so it behaves as it does on a device; its RSS
# is that of the distiller-wifi process alone. The peer runs with
# Debian's /usr/bin/python3 (python3-fastapi, python3-uvicorn). A clean
# clone has no peer beside it: the peer column is then skipped with a
# message, and the script still measures the daemon.
#
# Usage: tests/bench/web_vs_peer.sh [options] [PEER]
#   PEER                path of seed_stack.py
#                       (default: ../shared/peers/seed_stack.py from the
#                       repository root)
#   -d, --daemon PATH   the distiller-wifi binary (default $DISTILLER_DAEMON,
#                       else build/distiller-wifi)
#   -t, --threads N     wrk threads (default 2)
#   -c, --connections N wrk connections (default 50)
#   -D, --duration T    wrk duration per run, e.g. 10s (default 10s)
#   -w, --warmup T      unmeasured wrk run before each measured one (2s)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
peer=$(realpath -m "$root/../shared/peers/seed_stack.py")
daemon=${DISTILLER_DAEMON:-$root/build/distiller-wifi}
threads=2
connections=50
duration=10s
warmup=2s
python=/usr/bin/python3
start_timeout_s=30

usage()
{
	sed -n '/^# Usage:/,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
	exit "${1:-0}"
}

while (($#)); do
	case $1 in
	-d | --daemon) daemon=$2; shift 2 ;;
	-t | --threads) threads=$2; shift 2 ;;
	-c | --connections) connections=$2; shift 2 ;;
	-D | --duration) duration=$2; shift 2 ;;
	-w | --warmup) warmup=$2; shift 2 ;;
	-h | --help) usage 0 ;;
	-*) echo "Unknown option: $1" >&2; usage 2 >&2 ;;
	*) peer=$1; shift ;;
	esac
done

command -v wrk >/dev/null || { echo "wrk is not installed" >&2; exit 1; }
[[ -x $daemon ]] || {
	echo "No daemon at $daemon: build it or pass --daemon" >&2
	exit 1
}

work=$(mktemp -d)
groups=()

cleanup()
{
	local g

	for g in "${groups[@]}"; do
		kill -TERM -- "-$g" 2>/dev/null || true
	done
	for g in "${groups[@]}"; do
		for _ in $(seq 50); do
			kill -0 -- "-$g" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL -- "-$g" 2>/dev/null || true
	done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A free TCP port whose successor is free too (the daemon's tunnel port).
free_port()
{
	"$python" - <<-'EOF'
	import socket
	while True:
	    s = socket.socket()
	    s.bind(('127.0.0.1', 0))
	    port = s.getsockname()[1]
	    t = socket.socket()
	    try:
	        t.bind(('127.0.0.1', port + 1))
	    except OSError:
	        continue
	    finally:
	        t.close()
	        s.close()
	    print(port)
	    break
	EOF
}

# Starts "$@" in a process group of its own; its pid is the group id.
start_group()
{
	local log=$1

	shift
	setsid "$@" >"$log" 2>&1 </dev/null &
	groups+=("$!")
	last_group=$!
}

# The one poll: waits until GET /api/status answers on port $1.
wait_http()
{
	local port=$1 log=$2 group=$3 deadline=$((SECONDS + start_timeout_s))

	until curl -sf -o /dev/null "http://127.0.0.1:$port/api/status"; do
		if ! kill -0 -- "-$group" 2>/dev/null ||
		   ((SECONDS > deadline)); then
			echo "No answer on port $port; its log:" >&2
			tail -n 40 "$log" >&2
			exit 1
		fi
		sleep 0.1
	done
}

# The pid whose executable is $2: the group leader $1 or one of the
# processes below it (tests/simulate starts the daemon in a session of its
# own).
pid_of()
{
	local todo=("$1") exe pid

	exe=$(readlink -f "$2")
	while ((${#todo[@]})); do
		pid=${todo[0]}
		todo=("${todo[@]:1}")
		if [[ $(readlink -f "/proc/$pid/exe" 2>/dev/null) == \
		      "$exe" ]]; then
			echo "$pid"
			return
		fi
		todo+=($(pgrep -P "$pid" || true))
	done
	echo "No $exe started by process $1" >&2
	exit 1
}

rss_kib()
{
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

# wrk's latency in ms, from "1.23ms", "456.00us" or "1.01s".
to_ms()
{
	awk -v v="$1" 'BEGIN {
		n = v + 0
		if (v ~ /us$/) n /= 1000
		else if (v ~ /ms$/) n += 0
		else if (v ~ /m$/) n *= 60000
		else if (v ~ /s$/) n *= 1000
		printf "%.3f", n
	}'
}

# Measures one server: fills rps, p50, p99, rss0, rss1, errors.
measure()
{
	local port=$1 pid=$2 out=$work/wrk-$1.txt
	local url=http://127.0.0.1:$port/api/status

	rss0=$(rss_kib "$pid")
	wrk -t"$threads" -c"$connections" -d"$warmup" "$url" >/dev/null
	wrk -t"$threads" -c"$connections" -d"$duration" --latency "$url" >"$out"
	rss1=$(rss_kib "$pid")
	rps=$(awk '/^Requests\/sec:/ { print $2 }' "$out")
	p50=$(to_ms "$(awk '$1 == "50%" { print $2 }' "$out")")
	p99=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$out")")
	errors=$(awk '/Non-2xx|Socket errors/ { sub(/^ +/, ""); print }' \
		"$out" | paste -sd ';' -)
}

ratio()
{
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (b + 0 == 0) print "-"; else printf "%.2fx", a / b }'
}

# The daemon, in simulated mode when the tree has tests/simulate.
dport=$(free_port)
mkdir -p "$work/state" "$work/run" "$work/dnsmasq"
export DISTILLER_DAEMON=$daemon
export DISTILLER_WEB_HOST=127.0.0.1
export DISTILLER_STATE_DIR=$work/state
export DISTILLER_RUN_DIR=$work/run
export DISTILLER_DNSMASQ_SHARED_DIR=$work/dnsmasq
if [[ -x $root/tests/simulate ]]; then
	mode="tests/simulate"
	start_group "$work/daemon.log" "$root/tests/simulate" --port "$dport"
else
	mode="--no-hardware, no NetworkManager double"
	start_group "$work/daemon.log" "$daemon" --no-hardware --port "$dport"
fi
dgroup=$last_group

# The peer, if there is one to run.
peer_note=""
if [[ ! -f $peer ]]; then
	peer_note="Peer column skipped: no peer at $peer (a clean clone"
	peer_note+=" has none; pass its path as the argument)."
elif ! "$python" -c 'import fastapi, uvicorn' 2>/dev/null; then
	peer_note="Peer column skipped: $python lacks fastapi/uvicorn"
	peer_note+=" (apt-get install python3-fastapi python3-uvicorn)."
else
	pport=$(free_port)
	while ((pport == dport || pport == dport + 1)); do
		pport=$(free_port)
	done
	start_group "$work/peer.log" "$python" "$peer" "$pport"
	pgroup=$last_group
fi

wait_http "$dport" "$work/daemon.log" "$dgroup"
[[ -n $peer_note ]] || wait_http "$pport" "$work/peer.log" "$pgroup"

measure "$dport" "$(pid_of "$dgroup" "$daemon")"
d=("$rps" "$p50" "$p99" "$rss0" "$rss1")
d_errors=$errors

if [[ -z $peer_note ]]; then
	measure "$pport" "$(pid_of "$pgroup" "$python")"
	p=("$rps" "$p50" "$p99" "$rss0" "$rss1")
	p_errors=$errors
fi

echo "GET /api/status: wrk -t$threads -c$connections -d$duration --latency" \
     "(after a $warmup warm-up), one server at a time, both running"
echo "distiller-wifi: $daemon ($mode)"
if [[ -z $peer_note ]]; then
	echo "peer: $peer on $($python --version 2>&1), uvicorn" \
	     "$($python -c 'import uvicorn; print(uvicorn.__version__)')"
fi
echo
labels=("requests/s" "latency p50 (ms)" "latency p99 (ms)" \
	"RSS before (KiB)" "RSS after (KiB)")
if [[ -z $peer_note ]]; then
	printf '%-18s %16s %16s %12s\n' "" "distiller-wifi" "seed_stack.py" \
	       "wifi/peer"
	for i in "${!labels[@]}"; do
		printf '%-18s %16s %16s %12s\n' "${labels[i]}" "${d[i]}" \
		       "${p[i]}" "$(ratio "${d[i]}" "${p[i]}")"
	done
else
	printf '%-18s %16s\n' "" "distiller-wifi"
	for i in "${!labels[@]}"; do
		printf '%-18s %16s\n' "${labels[i]}" "${d[i]}"
	done
fi
[[ -z $d_errors ]] || echo "distiller-wifi errors: $d_errors"
[[ -z ${p_errors:-} ]] || echo "peer errors: $p_errors"
[[ -z $peer_note ]] || echo "$peer_note"
