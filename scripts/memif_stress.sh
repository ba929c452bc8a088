#!/usr/bin/env bash
# memif_stress.sh - measures DPDK's memif disconnect race (issue #29): how often
# a polling memif server dies when its client leaves. A memif client connects,
# floods the server briefly and leaves, N times, alternately killed mid-flood
# (SIGKILL) and stopped cleanly (SIGTERM); the server is restarted after each
# death, and the count is the server's deaths per 1000 disconnects.
#
#   sudo make memif-stress [DPDK=VERSION] [MEMIF_STRESS_ARGS='--shared-cpu ...']
#   sudo scripts/memif_stress.sh [--disconnects N] [--max-secs S] [--shared-cpu]
#        [--server BIN] [--client testpmd|l2_load] [--flood-ms MS]
#        [--fail-on-crash] [--keep-logs]
#
#   --disconnects N  client departures to make (default 1000)
#   --max-secs S     stop after S seconds whatever the count (default 600)
#   --shared-cpu     the client's threads on the server's CPU (1) instead of
#                    CPU 0: they preempt the server's lcore, inside its bursts
#                    too, which widens the window from a burst to a time slice
#   --server BIN     the server (default target/release/l2_echo; l2_multi_echo,
#                    or dpdk-testpmd, which then runs macswap)
#   --client KIND    testpmd (default: dpdk-testpmd in flowgen mode, faster
#                    than any echo) or l2_load (target/release/l2_load)
#   --flood-ms MS    how long each client floods once connected (default 300)
#   --fail-on-crash  exit 1 if the server died or hung even once (the patched
#                    from-source lanes must show none)
#   --keep-logs      keep the servers' and the last client's logs
#
# The server polls on CPU 1 (--lcores 0@1) with its EAL threads on CPU 0, as
# docs/reliability.md's "memif and shared CPUs" asks of a deployment; each client runs
# all its threads on CPU 0 (--shared-cpu: CPU 1), and so does this script.
# The server logs memif's connections and disconnections (its
# pmd.net.memif log at debug level): a departure counts once the server has
# seen that client connect, and it is judged once the server has seen it
# leave. A server that neither sees its client leave nor dies within 10 s
# counts as hung (a disconnect that waits for ever would show there) and is
# restarted too.
#
# Every DPDK process gets --no-huge, --no-pci, --no-shconf, --no-telemetry and
# a --file-prefix of its own; the socket is a file in a temporary directory.
# The processes, that directory and DPDK's runtime directories are removed on
# exit, failure or Ctrl+C. The last line is the result, with the machine it
# ran on. make memif-stress DPDK=26.07 runs it inside that lane's root
# (scripts/test_dpdk.sh --exec), against the DPDK built there with
# dpdk-patches/26.07. Needs root; as another user it says it skipped and exits 0.
set -euo pipefail
export PATH="/usr/local/sbin:/usr/sbin:/sbin:$PATH"

PROG=${0##*/}
HERE=$(cd "$(dirname "$0")" && pwd)
TARGET=${CARGO_TARGET_DIR:-$HERE/../target}
SERVER=${L2_ECHO:-$TARGET/release/l2_echo}
L2_LOAD=${L2_LOAD:-$TARGET/release/l2_load}
TESTPMD=${DPDK_TESTPMD:-dpdk-testpmd}
DISCONNECTS=1000
MAX_SECS=600
FLOOD_MS=300
CLIENT=testpmd
SHARED_CPU=
FAIL_ON_CRASH=
KEEP_LOGS=
SERVER_CPU=1
SERVER_MAC=02:00:00:00:00:e1
CONNECT_SECS=15   # a client's EAL start, port start and handshake
LEAVE_SECS=10     # the server seeing a client leave
TAG=l2ms$$

# Messages and errors go to fd 3, the real stderr: once the processes start,
# the shell's own stderr goes to a log (see below).
exec 3>&2
die() { echo "$PROG: error: $*" >&3; exit 1; }
say() { echo "$PROG: $*"; }
usage() { sed -n '2,/^set -euo/s/^# \{0,1\}//p' "$0" | sed '$d'; }

number() {   # number NAME VALUE MIN MAX
    if ! [[ $2 =~ ^[0-9]+$ ]] || (( 10#$2 < $3 || 10#$2 > $4 )); then
        die "$1 must be a whole number from $3 to $4: $2"
    fi
}

while (( $# )); do
    case $1 in
        --disconnects) number "$1" "${2:-}" 1 1000000; DISCONNECTS=$((10#$2)); shift 2 ;;
        --max-secs) number "$1" "${2:-}" 1 86400; MAX_SECS=$((10#$2)); shift 2 ;;
        --flood-ms) number "$1" "${2:-}" 0 60000; FLOOD_MS=$((10#$2)); shift 2 ;;
        --shared-cpu) SHARED_CPU=1; shift ;;
        --server) SERVER=${2:?--server needs a binary}; shift 2 ;;
        --client) CLIENT=${2:?--client needs testpmd or l2_load}; shift 2 ;;
        --fail-on-crash) FAIL_ON_CRASH=1; shift ;;
        --keep-logs) KEEP_LOGS=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) die "unknown argument $1 (see --help)" ;;
    esac
done
[[ $CLIENT == testpmd || $CLIENT == l2_load ]] || die "--client must be testpmd or l2_load: $CLIENT"

if [[ $EUID -ne 0 ]]; then
    say "skipped: needs root (DPDK's EAL, its runtime directories); run: sudo make memif-stress"
    exit 0
fi
NCPUS=$(nproc)
(( NCPUS >= 2 )) || die "needs 2 CPUs (the server polls on CPU 1, the clients run on CPU 0); this machine has $NCPUS"
command -v taskset >/dev/null || die "taskset not found (apt-get install util-linux)"
[[ $SERVER == */* ]] || SERVER=$(command -v "$SERVER") || die "--server: no such program in PATH"
[[ -x $SERVER ]] || die "$SERVER not found: build it first with make (or give --server)"
case $CLIENT in
    testpmd) command -v "$TESTPMD" >/dev/null || die "$TESTPMD not found: apt-get install dpdk (or set DPDK_TESTPMD)" ;;
    l2_load) [[ -x $L2_LOAD ]] || die "$L2_LOAD not found: build it first with make" ;;
esac
server_is_testpmd=
[[ ${SERVER##*/} == *testpmd* ]] && server_is_testpmd=1
CLIENT_CPU=0
[[ -n $SHARED_CPU ]] && CLIENT_CPU=$SERVER_CPU

WORK=$(mktemp -d "/tmp/$TAG.XXXXXX")
SOCKET=$WORK/memif.sock
server_pid='' server_log='' servers=0
client_pid='' client_log=''
STATUS=0   # the last stop's

# Whether PID runs (a child that has exited but is not yet reaped does not).
alive() {
    local state
    state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
    [[ -n $state && $state != Z ]]
}

# stop PID SIGNAL: sends SIGNAL, waits up to 10 s, then SIGKILL; sets STATUS
# to its exit status (128 + N for signal N). Not in a subshell: only this
# shell can wait for its children.
stop() {
    local pid=$1 sig=$2 i
    kill "-$sig" "$pid" 2>/dev/null || true
    for (( i = 0; i < 200; i++ )); do
        alive "$pid" || break
        sleep 0.05
    done
    kill -KILL "$pid" 2>/dev/null || true
    STATUS=0
    wait "$pid" 2>/dev/null || STATUS=$?
}

cleanup() {
    trap - EXIT INT TERM
    if [[ -n $client_pid ]]; then stop "$client_pid" KILL; fi
    if [[ -n $server_pid ]]; then stop "$server_pid" INT; fi
    rm -rf "/var/run/dpdk/$TAG"-*
    if [[ -n $KEEP_LOGS ]]; then
        echo "$PROG: logs kept in $WORK"
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Keep this script's own work off the server's CPU.
taskset -pc 0 $$ >/dev/null
# bash reports on its stderr each child that a signal ended ("Killed",
# "Segmentation fault"): expected here, counted below, so logged instead.
exec 2>>"$WORK/shell.log"

# eal_args PREFIX LCORES ROLE: sets EAL to a DPDK process's EAL options.
eal_args() {
    local vdev="net_memif0,role=$3,socket=$SOCKET,socket-abstract=no"
    [[ $3 == server ]] && vdev+=",mac=$SERVER_MAC"
    EAL=(--no-pci --no-huge -m 512 --no-shconf --no-telemetry --file-prefix "$1" --lcores "$2" --vdev "$vdev")
}

# How many connections and disconnections the current server has logged.
seen() { grep -c "$1" "$server_log" 2>/dev/null || true; }
connections() { seen 'memif_connect(): Connected\.'; }
disconnections() { seen 'Disconnected, id'; }
left() { local l=$(( deadline - SECONDS )); (( l > 0 )) && echo "$l" || echo 0; }

# status_name STATUS: "SIGSEGV" for 139, "exit status 1" for 1.
status_name() {
    if (( $1 > 128 )); then echo "SIG$(kill -l $(( $1 - 128 )) 2>/dev/null || echo $(( $1 - 128 )))"
    else echo "exit status $1"; fi
}

start_server() {
    local lcores="0@$SERVER_CPU" app=() i
    servers=$(( servers + 1 ))
    server_log=$WORK/server-$servers.log
    rm -f "$SOCKET"
    if [[ -n $server_is_testpmd ]]; then
        # testpmd's main lcore on CPU 0, its forwarding lcore alone on CPU 1;
        # a long stats period keeps it running without a terminal.
        lcores="0@0,1@$SERVER_CPU"
        app=(-- --forward-mode=macswap --stats-period=3600)
    fi
    eal_args "$TAG-s$servers" "$lcores" server
    taskset -c "0,$SERVER_CPU" "$SERVER" "${EAL[@]}" --log-level=pmd.net.memif:debug "${app[@]}" \
        </dev/null >"$server_log" 2>&1 &
    server_pid=$!
    # The listening socket exists once the EAL has probed the port; the port
    # takes clients once started: give it the time the tests give it.
    for (( i = 0; i < 600; i++ )); do
        [[ -S $SOCKET ]] && break
        alive "$server_pid" || { tail -n 20 "$server_log" >&3; die "the server exited at start: $SERVER (log above)"; }
        sleep 0.05
    done
    [[ -S $SOCKET ]] || { tail -n 20 "$server_log" >&3; die "the server made no socket at $SOCKET within 30 s"; }
    sleep 2
}

start_client() {
    local n=$1 cmd
    client_log=$WORK/client.log
    if [[ $CLIENT == testpmd ]]; then
        eal_args "$TAG-c$n" "0@$CLIENT_CPU,1@$CLIENT_CPU" client
        cmd=("$TESTPMD" "${EAL[@]}" -- --forward-mode=flowgen --stats-period=3600 --total-num-mbufs=8192)
    else
        eal_args "$TAG-c$n" "0@$CLIENT_CPU" client
        cmd=("$L2_LOAD" "${EAL[@]}" -- --dst "$SERVER_MAC" --rate 1000000 --duration 3600 --timeout 10)
        [[ -n $server_is_testpmd ]] && cmd+=(--expect swap)
    fi
    taskset -c "$CLIENT_CPU" "${cmd[@]}" </dev/null >"$client_log" 2>&1 &
    client_pid=$!
}

# wait_until TEST SECS: polls TEST every 50 ms for at most SECS seconds.
wait_until() {
    local i
    for (( i = 0; i < $2 * 20; i++ )); do
        "$1" && return 0
        sleep 0.05
    done
    "$1"
}

dpdk=$(pkg-config --modversion libdpdk 2>/dev/null || echo unknown)
patched=${L2ECHO_DPDK_PATCHES:+, patched: $L2ECHO_DPDK_PATCHES}
client_name="$TESTPMD flowgen"
[[ $CLIENT == l2_load ]] && client_name=l2_load
say "server ${SERVER##*/} (DPDK $dpdk$patched) polling on CPU $SERVER_CPU; client $client_name on CPU $CLIENT_CPU$([[ -n $SHARED_CPU ]] && echo ', sharing the server'"'"'s CPU'); $DISCONNECTS disconnects, at most $MAX_SECS s"

deadline=$(( SECONDS + MAX_SECS ))
done_n=0 killed=0 clean=0 deaths=0 hangs=0 no_connect=0 in_a_row=0 client_deaths=0 n=0
declare -A death_kinds=()

# died_after WHAT: the server is gone; count it, show why, start another.
died_after() {
    local kind
    stop "$server_pid" KILL
    server_pid=
    kind=$(status_name "$STATUS")
    deaths=$(( deaths + 1 ))
    death_kinds[$kind]=$(( ${death_kinds[$kind]:-0} + 1 ))
    say "the server died after $1: $kind; its log ends:"
    tail -n 5 "$server_log" | sed 's/^/    /'
    rm -rf "/var/run/dpdk/$TAG-s$servers"
    if (( $(left) > 0 )); then start_server; fi
}

# The waits of one round: the server saw the client connect, or saw it leave;
# or a process is gone.
connected() { (( $(connections) > conn_before )) || ! alive "$server_pid" || ! alive "$client_pid"; }
gone() { (( $(disconnections) > disc_before )) || ! alive "$server_pid"; }

start_server
while (( done_n < DISCONNECTS && $(left) > 0 )); do
    n=$(( n + 1 ))
    conn_before=$(connections) disc_before=$(disconnections)
    start_client "$n"
    limit=$(left); (( limit > CONNECT_SECS )) && limit=$CONNECT_SECS
    wait_until connected "$limit" || true
    if ! alive "$server_pid"; then
        stop "$client_pid" KILL; client_pid=
        died_after "client $n connected"   # not a departure: not counted in the rate
        continue
    fi
    if (( $(connections) == conn_before )); then
        stop "$client_pid" KILL; client_pid=
        rm -rf "/var/run/dpdk/$TAG-c$n"
        (( $(left) > 0 )) || break
        no_connect=$(( no_connect + 1 )) in_a_row=$(( in_a_row + 1 ))
        if (( in_a_row >= 5 )); then
            tail -n 20 "$client_log" >&3
            die "no client could connect 5 times in a row (the last client's log above; the server's: $server_log, kept with --keep-logs)"
        fi
        continue
    fi
    in_a_row=0
    sleep "$(( FLOOD_MS / 1000 )).$(printf '%03d' $(( FLOOD_MS % 1000 )))"
    # Half the clients die mid-flood, half stop cleanly (testpmd closes its
    # port first): the two ways a peer leaves, both seen by the server's
    # interrupt thread.
    if (( done_n % 2 == 0 )); then sig=KILL; killed=$(( killed + 1 )); else sig=TERM; clean=$(( clean + 1 )); fi
    stop "$client_pid" "$sig"
    client_pid=
    rm -rf "/var/run/dpdk/$TAG-c$n"
    done_n=$(( done_n + 1 ))
    if (( STATUS > 128 && STATUS != 128 + $(kill -l "$sig") )); then
        client_deaths=$(( client_deaths + 1 ))
        say "client $n died of $(status_name "$STATUS") itself (sent SIG$sig)"
    fi
    if wait_until gone "$LEAVE_SECS"; then
        # The fault comes from the polling lcore, a moment after the
        # interrupt thread logged the disconnect: look again.
        sleep 0.2
    fi
    if ! alive "$server_pid"; then
        died_after "client $n left (SIG$sig)"
    elif (( $(disconnections) == disc_before )); then
        hangs=$(( hangs + 1 ))
        say "the server did not see client $n leave within $LEAVE_SECS s (SIG$sig): counted as hung, restarting it"
        tail -n 5 "$server_log" | sed 's/^/    /'
        stop "$server_pid" KILL; server_pid=
        rm -rf "/var/run/dpdk/$TAG-s$servers"
        if (( $(left) > 0 )); then start_server; fi
    fi
    if (( done_n % 50 == 0 )); then
        say "$done_n disconnects in $SECONDS s: the server died $deaths times, hung $hangs times"
    fi
done

rate=$(awk -v d="$deaths" -v n="$done_n" 'BEGIN { if (n) printf "%.1f", d * 1000 / n; else print "n/a" }')
kinds=
for k in "${!death_kinds[@]}"; do kinds+="${kinds:+, }${death_kinds[$k]} $k"; done
model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
virt=$(systemd-detect-virt 2>/dev/null || true)
machine="$NCPUS CPUs (${model:-unknown model}), kernel $(uname -r), virtualisation ${virt:-unknown}"
(( done_n < DISCONNECTS )) && say "stopped at --max-secs $MAX_SECS after $done_n of $DISCONNECTS disconnects"
say "$done_n disconnects ($killed SIGKILL mid-flood, $clean clean) in $SECONDS s: the server died $deaths times${kinds:+ ($kinds)}, $rate per 1000 disconnects; hung $hangs times; clients that could not connect $no_connect, clients that died themselves $client_deaths"
say "result: disconnects=$done_n server_deaths=$deaths per_1000=$rate hangs=$hangs server=${SERVER##*/} client=$CLIENT shared_cpu=${SHARED_CPU:-0} dpdk=$dpdk${L2ECHO_DPDK_PATCHES:+ patches=${L2ECHO_DPDK_PATCHES// /,}} machine: $machine"
if [[ -n $FAIL_ON_CRASH ]] && (( deaths + hangs > 0 )); then
    die "the server died $deaths times and hung $hangs times in $done_n disconnects"
fi
