#!/usr/bin/env bash
# demo.sh - the original's proof, on a veth pair instead of a VM NIC.
#
# Two network namespaces joined by a veth pair: "echo" and "peer". First the
# kernel owns the echo side's address and answers ping. Then the address is
# taken from the kernel (as binding a NIC to DPDK does), l2_echo runs on the
# interface through DPDK's net_af_packet with real hugepages, and the same ping
# gets no answer, while l2_echo's summary shows it received and echoed every
# request. Everything it creates is removed on success, failure or Ctrl+C.
set -euo pipefail

PROG=${0##*/}
HERE=$(cd "$(dirname "$0")" && pwd)
L2_ECHO=${L2_ECHO:-$HERE/../target/release/l2_echo}
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
[[ -x $L2_ECHO ]] || die "$L2_ECHO not found: build it first with make"
command -v ping >/dev/null || die "ping not found: apt-get install iputils-ping"

step "Hugepages for DPDK"
free_pages=$(awk '/^HugePages_Free:/ {print $2}' /proc/meminfo)
if (( free_pages < 256 )) || ! grep -q ' hugetlbfs ' /proc/mounts; then
    "$HERE/setup_env.sh"
else
    echo "$free_pages hugepages free, hugetlbfs mounted"
fi

step "Two namespaces joined by a veth pair: $NS_ECHO ($ECHO_IF) <-> $NS_PEER ($PEER_IF)"
ip netns add "$NS_ECHO"
ip netns add "$NS_PEER"
ip link add "$ECHO_IF" netns "$NS_ECHO" type veth peer name "$PEER_IF" netns "$NS_PEER"
for ns in "$NS_ECHO" "$NS_PEER"; do
    # No IPv6 chatter (router solicitations, MLD): only the pings cross the wire.
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    ip -n "$ns" link set lo up
done
ip -n "$NS_ECHO" link set "$ECHO_IF" up
ip -n "$NS_PEER" addr add "$PEER_IP/24" dev "$PEER_IF"
ip -n "$NS_PEER" link set "$PEER_IF" up
echo_mac=$(ip netns exec "$NS_ECHO" cat "/sys/class/net/$ECHO_IF/address")

step "While the kernel owns $ECHO_IP, it answers"
ip -n "$NS_ECHO" addr add "$ECHO_IP/24" dev "$ECHO_IF"
ip netns exec "$NS_PEER" ping -c 2 -i 0.2 -W 1 "$ECHO_IP" | tail -2
ip -n "$NS_ECHO" addr flush dev "$ECHO_IF"
# ARP will never resolve once DPDK owns the port: pin the neighbour, as one would for a VM NIC.
ip -n "$NS_PEER" neigh replace "$ECHO_IP" lladdr "$echo_mac" dev "$PEER_IF"
echo "address removed from the kernel; the peer knows $ECHO_IP is at $echo_mac"

cpus=$(nproc)
lcore=$(( cpus > 1 ? 1 : 0 ))
step "l2_echo -l $lcore on $ECHO_IF through net_af_packet"
ip netns exec "$NS_ECHO" "$L2_ECHO" -l "$lcore" --no-pci --huge-unlink --file-prefix "$TAG" \
    --vdev "net_af_packet0,iface=$ECHO_IF" -- --json >"$WORK/echo.out" 2>"$WORK/echo.err" &
echo_pid=$!
for _ in $(seq 100); do
    grep -q 'echoing port' "$WORK/echo.out" 2>/dev/null && break
    kill -0 "$echo_pid" 2>/dev/null || { cat "$WORK/echo.err" >&2; die "l2_echo exited early"; }
    sleep 0.1
done
grep -q 'echoing port' "$WORK/echo.out" || { cat "$WORK/echo.err" >&2; die "l2_echo did not start"; }
grep -E 'MAC|echoing' "$WORK/echo.out"

step "ping $ECHO_IP from the peer: the kernel no longer answers"
ping_out=$(ip netns exec "$NS_PEER" ping -c "$PINGS" -i 0.2 -W 1 "$ECHO_IP" || true)
echo "$ping_out" | tail -2
loss=$(echo "$ping_out" | grep -oE '[0-9.]+% packet loss' | cut -d% -f1)

step "Stop l2_echo (SIGINT): its summary"
kill -INT "$echo_pid"
wait "$echo_pid" || die "l2_echo exited with status $?: $(tail -1 "$WORK/echo.err")"
echo_pid=
grep -v '^{' "$WORK/echo.out" | sed -n '/^Summary/,$p'
summary=$(grep '^{' "$WORK/echo.out")
rx=$(echo "$summary" | grep -oE '"rx_packets":[0-9]+' | head -1 | cut -d: -f2)
tx=$(echo "$summary" | grep -oE '"tx_packets":[0-9]+' | head -1 | cut -d: -f2)

echo
if [[ $loss == 100 ]] && (( rx >= PINGS && tx >= PINGS )); then
    echo "PROVEN: the kernel no longer answers $ECHO_IP (ping: 100% loss), while l2_echo received $rx frames and echoed $tx of them."
else
    die "not proven: ping loss ${loss:-?}% (want 100), l2_echo rx ${rx:-?} tx ${tx:-?} (want >= $PINGS each)"
fi
