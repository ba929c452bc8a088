#!/usr/bin/env bash
# demo.sh - the original's proof, on a veth pair instead of a VM NIC, and more.
#
# Two network namespaces joined by a 2-queue veth pair: "echo" and "peer".
# First the kernel owns the echo side's address and answers ping. Then the
# address is taken from the kernel (as binding a NIC to DPDK does) and DPDK's
# net_af_packet drives the interface, with real hugepages:
#   1. l2_echo runs; the same ping gets no answer (no kernel replies), while
#      l2_echo's summary shows it received and echoed every request;
#   2. l2_ping sends frames to the port's MAC: every one comes back rewritten,
#      with the round-trip percentiles;
#   3. l2_multi_echo runs 2 queues; l2_ping --flows 32 spreads flows over both,
#      and the per-queue counts show both echoing;
#   4. l2_echo --mode icmp --ip takes the kernel's place: it answers the
#      peer's ARP request (the neighbour entry is removed first) and every
#      ping, from user space.
# It ends with ping's round trip from the kernel, from the L2 echo (none) and
# from l2_echo --mode icmp, one line each.
# CPU 0 is kept for the kernel and the peer (ping, l2_ping), as DPDK deployments
# keep a housekeeping CPU: the polling lcores run on the other CPUs, so they
# cannot starve the side that counts the replies.
# Exits 0 only when all four hold. Everything it creates is removed on
# success, failure or Ctrl+C.
set -euo pipefail
# sysctl lives in sbin, which a user's PATH (kept by sudo -E or env) may lack.
export PATH="/usr/local/sbin:/usr/sbin:/sbin:$PATH"

PROG=${0##*/}
HERE=$(cd "$(dirname "$0")" && pwd)
L2_ECHO=${L2_ECHO:-$HERE/../target/release/l2_echo}
L2_MULTI_ECHO=${L2_MULTI_ECHO:-$(dirname "$L2_ECHO")/l2_multi_echo}
L2_PING=${L2_PING:-$(dirname "$L2_ECHO")/l2_ping}
PINGS=${PINGS:-5}
TAG=l2demo$$
NS_ECHO=$TAG-echo
NS_PEER=$TAG-peer
ECHO_IF=veth-echo
PEER_IF=veth-peer
ECHO_IP=10.77.0.2
PEER_IP=10.77.0.1
WORK=$(mktemp -d "/tmp/$TAG.XXXXXX")
echo_pid=

die() { echo "$PROG: error: $*" >&2; exit 1; }
step() { printf '\n== %s\n' "$*"; }

cleanup() {
    if [[ -n $echo_pid ]] && kill -0 "$echo_pid" 2>/dev/null; then
        kill -INT "$echo_pid" 2>/dev/null || true
        sleep 1
        kill -KILL "$echo_pid" 2>/dev/null || true
    fi
    ip netns del "$NS_ECHO" 2>/dev/null || true
    ip netns del "$NS_PEER" 2>/dev/null || true
    rm -rf "$WORK" "/var/run/dpdk/$TAG"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[[ $EUID -eq 0 ]] || die "run as root: sudo make demo (it creates network namespaces and uses hugepages)"
for bin in "$L2_ECHO" "$L2_MULTI_ECHO" "$L2_PING"; do
    [[ -x $bin ]] || die "$bin not found: build it first with make"
done
command -v ping >/dev/null || die "ping not found: apt-get install iputils-ping"

step "Hugepages for DPDK"
free_pages=$(awk '/^HugePages_Free:/ {print $2}' /proc/meminfo)
if (( free_pages < 256 )) || ! grep -q ' hugetlbfs ' /proc/mounts; then
    "$HERE/setup_env.sh"
else
    echo "$free_pages hugepages free, hugetlbfs mounted"
fi

step "Two namespaces joined by a 2-queue veth pair: $NS_ECHO ($ECHO_IF) <-> $NS_PEER ($PEER_IF)"
ip netns add "$NS_ECHO"
ip netns add "$NS_PEER"
ip link add "$ECHO_IF" netns "$NS_ECHO" numtxqueues 2 numrxqueues 2 type veth \
    peer name "$PEER_IF" netns "$NS_PEER" numtxqueues 2 numrxqueues 2
for ns in "$NS_ECHO" "$NS_PEER"; do
    # No IPv6 chatter (router solicitations, MLD): only the pings cross the wire.
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    ip -n "$ns" link set lo up
done
ip -n "$NS_ECHO" link set "$ECHO_IF" up
ip -n "$NS_PEER" addr add "$PEER_IP/24" dev "$PEER_IF"
ip -n "$NS_PEER" link set "$PEER_IF" up
# The peer's receive work for what the echo sends would run on the CPU the
# echo's lcore sent from, queued behind the poller; RPS hands it to CPU 0.
ip netns exec "$NS_PEER" sh -c "for f in /sys/class/net/$PEER_IF/queues/rx-*/rps_cpus; do echo 1 > \$f; done"
echo_mac=$(ip netns exec "$NS_ECHO" cat "/sys/class/net/$ECHO_IF/address")

step "While the kernel owns $ECHO_IP, it answers"
ip -n "$NS_ECHO" addr add "$ECHO_IP/24" dev "$ECHO_IF"
kernel_ping=$(ip netns exec "$NS_PEER" ping -c "$PINGS" -i 0.2 -W 1 "$ECHO_IP" || true)
echo "$kernel_ping" | tail -2
ip -n "$NS_ECHO" addr flush dev "$ECHO_IF"
# ARP will never resolve once DPDK owns the port: pin the neighbour, as one would for a VM NIC.
ip -n "$NS_PEER" neigh replace "$ECHO_IP" lladdr "$echo_mac" dev "$PEER_IF"
echo "address removed from the kernel; the peer knows $ECHO_IP is at $echo_mac"

# The peer's side runs on CPU 0 (housekeeping); the lcores on the others.
peer() { ip netns exec "$NS_PEER" taskset -c 0 "$@"; }
cpus=$(nproc)
if (( cpus >= 3 )); then
    echo_lcores=(-l 1) multi_lcores=(-l 1-2) multi_idle=()
elif (( cpus == 2 )); then
    # Both lcores on CPU 1, taking turns: adaptive idling lets each yield the
    # CPU while its queue is empty (the demo shows queues, not speed).
    echo_lcores=(-l 1) multi_lcores=(--lcores '(0-1)@1') multi_idle=(--idle adaptive)
else
    echo_lcores=(-l 0) multi_lcores=(--lcores '(0-1)@0') multi_idle=(--idle adaptive)
fi

# start_echo NAME BINARY QPAIRS EAL_LCORES... [-- APP_OPTIONS...]: runs an echo
# server on $ECHO_IF and waits until it polls its queues. Output goes to
# $WORK/NAME.{out,err}.
start_echo() {
    local name=$1 bin=$2 qpairs=$3
    shift 3
    local lcores=() app=()
    while (( $# )) && [[ $1 != -- ]]; do lcores+=("$1"); shift; done
    (( $# )) && { shift; app=("$@"); }
    echo "\$ $(basename "$bin") ${lcores[*]} --vdev net_af_packet0,iface=$ECHO_IF,qpairs=$qpairs -- ${app[*]}"
    ip netns exec "$NS_ECHO" "$bin" "${lcores[@]}" --no-pci --huge-unlink --file-prefix "$TAG" \
        --vdev "net_af_packet0,iface=$ECHO_IF,qpairs=$qpairs" -- --json "${app[@]}" \
        >"$WORK/$name.out" 2>"$WORK/$name.err" &
    echo_pid=$!
    for _ in $(seq 100); do
        grep -q 'echoing port' "$WORK/$name.out" 2>/dev/null && break
        kill -0 "$echo_pid" 2>/dev/null || { cat "$WORK/$name.err" >&2; die "$name exited early"; }
        sleep 0.1
    done
    grep -q 'echoing port' "$WORK/$name.out" || { cat "$WORK/$name.err" >&2; die "$name did not start"; }
    grep -E 'MAC|echoing' "$WORK/$name.out"
}

# stop_echo NAME: SIGINT, like Ctrl+C; prints the summary, leaves its JSON in $summary.
stop_echo() {
    local name=$1
    kill -INT "$echo_pid"
    wait "$echo_pid" || die "$name exited with status $?: $(tail -1 "$WORK/$name.err")"
    echo_pid=
    grep -v '^{' "$WORK/$name.out" | sed -n '/^Summary/,$p'
    summary=$(grep '^{' "$WORK/$name.out")
    kernel_counters
}

# kernel_counters: where frames could go missing on the kernel's side: both
# ends of the veth (a drop there is the kernel's return path) and the per-CPU
# backlog drops (/proc/net/softnet_stat, 2nd column). l2_ping's own summary
# says what its capture dropped.
kernel_counters() {
    local side ns dev
    for side in "$NS_ECHO $ECHO_IF" "$NS_PEER $PEER_IF"; do
        read -r ns dev <<<"$side"
        ip -n "$ns" -s link show "$dev" | awk -v d="$dev" '
            /RX:/ {getline; rx=$2" packets, "$4" dropped"} /TX:/ {getline; tx=$2" packets, "$4" dropped"}
            END {printf "kernel: %s rx %s; tx %s\n", d, rx, tx}'
    done
    local cpu=0 drops=() _ dropped
    while read -r _ dropped _; do drops+=("cpu$cpu $((16#$dropped))"); cpu=$((cpu + 1)); done </proc/net/softnet_stat
    echo "kernel: softnet backlog drops: $(IFS=,; echo "${drops[*]}")"
}

# json_field NAME [JSON]: the first integer field NAME of the JSON (default $summary).
json_field() { grep -oE "\"$1\":[0-9]+" <<<"${2:-$summary}" | head -1 | cut -d: -f2; }

step "1. l2_echo ${echo_lcores[*]} on $ECHO_IF (net_af_packet); ping $ECHO_IP from the peer"
start_echo l2_echo "$L2_ECHO" 1 "${echo_lcores[@]}"
ping_out=$(peer ping -c "$PINGS" -i 0.2 -W 1 "$ECHO_IP" || true)
echo "$ping_out" | tail -2
loss=$(grep -oE '[0-9.]+% packet loss' <<<"$ping_out" | cut -d% -f1)

step "2. l2_ping $echo_mac: frames to the port's MAC come back rewritten"
probes=20
ping2_rc=0
peer "$L2_PING" -I "$PEER_IF" --dst "$echo_mac" -c "$probes" -i 0.05 || ping2_rc=$?
stop_echo l2_echo
rx=$(json_field rx_packets)
tx=$(json_field tx_packets)

step "3. l2_multi_echo ${multi_lcores[*]} with 2 queues; l2_ping --flows 32"
start_echo l2_multi_echo "$L2_MULTI_ECHO" 2 "${multi_lcores[@]}" -- "${multi_idle[@]}"
flows_json=$(peer "$L2_PING" -I "$PEER_IF" --dst "$echo_mac" --flows 32 -c 640 --rate 2000 --json) || true
echo "$flows_json"
stop_echo l2_multi_echo
queue_rx=$(grep -oE '"queue":[0-9]+,"lcore":[0-9]+,"rx_packets":[0-9]+' <<<"$summary" | grep -oE '[0-9]+$')
busy_queues=$(awk '$1 > 0' <<<"$queue_rx" | wc -l)
flows_lost=$(json_field lost "$flows_json")
flows_bad=$(json_field bad "$flows_json")

step "4. l2_echo --mode icmp --ip $ECHO_IP answers ARP and ping from user space"
# Forget the pinned neighbour: the peer has to ask, and l2_echo has to answer.
ip -n "$NS_PEER" neigh del "$ECHO_IP" dev "$PEER_IF"
start_echo l2_echo "$L2_ECHO" 1 "${echo_lcores[@]}" -- --mode icmp --ip "$ECHO_IP"
icmp_ping=$(peer ping -c "$PINGS" -i 0.2 -W 1 "$ECHO_IP" || true)
echo "$icmp_ping" | tail -2
ip -n "$NS_PEER" neigh show "$ECHO_IP" dev "$PEER_IF"
stop_echo l2_echo
icmp_received=$(grep -oE '[0-9]+ received' <<<"$icmp_ping" | cut -d' ' -f1)
arp_replies=$(json_field arp_replies)
icmp_tx=$(json_field tx_packets)

echo
proof1=$([[ $loss == 100 ]] && (( rx >= PINGS + probes && tx == rx )) && echo yes || echo no)
proof2=$([[ $ping2_rc -eq 0 ]] && echo yes || echo no)
proof3=$([[ ${flows_lost:-x} == 0 && ${flows_bad:-x} == 0 ]] && (( busy_queues == 2 )) && echo yes || echo no)
echo "1. kernel silent (ping ${loss:-?}% loss) while l2_echo echoed $tx of $rx frames: $proof1"
echo "2. every l2_ping probe came back from $echo_mac, rewritten to the sender: $proof2"
proof4=$( (( ${icmp_received:-0} == PINGS && ${arp_replies:-0} >= 1 && icmp_tx == PINGS + arp_replies )) && echo yes || echo no)
echo "3. l2_multi_echo echoed 32 flows on both queues (per-queue rx: $(paste -sd/ <<<"$queue_rx")), nothing lost: $proof3"
echo "4. l2_echo --mode icmp answered ${arp_replies:-0} ARP request(s) and ${icmp_received:-0} of $PINGS pings (it sent $icmp_tx): $proof4"
echo
# rtt_line LABEL PING_OUTPUT: ping's round trip, or its loss when nothing came back.
rtt_line() {
    local rtt
    rtt=$(grep -oE 'rtt [^=]+= [0-9./]+ ms' <<<"$2" | sed 's/.*= //') || true
    if [[ -n $rtt ]]; then
        printf 'ping %-34s min/avg/max/mdev %s\n' "$1:" "$rtt"
    else
        printf 'ping %-34s %s\n' "$1:" "$(grep -oE '[0-9.]+% packet loss' <<<"$2")"
    fi
}
rtt_line "the kernel" "$kernel_ping"
rtt_line "l2_echo (L2 echo, no IP)" "$ping_out"
rtt_line "l2_echo --mode icmp" "$icmp_ping"
if [[ $proof1 == yes && $proof2 == yes && $proof3 == yes && $proof4 == yes ]]; then
    echo "PROVEN: the kernel no longer answers, the echo servers answer at layer 2, RSS-style spreading feeds every queue, and DPDK answers ping in the kernel's place."
else
    die "not proven (see the four lines above)"
fi
