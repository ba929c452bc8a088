#!/usr/bin/env bash
# guest.sh - the guest side of scripts/vm_test.sh. Runs inside the QEMU guest,
# chrooted in the host's root (shared read-only over 9p) by scripts/vm/init,
# and does what a user of the original does on the VM's console: address the
# NIC, setup_env.sh, bind_nic.sh, run the echo, Ctrl+C it, bind_nic.sh --restore.
#
# It judges nothing: each command's stdout, stderr and exit status go to
# /run/l2vm (a writable 9p export of a host directory) as NAME.out, NAME.err,
# NAME.rc, and the host decides PASSED/FAILED from them. The two sides take
# turns through marker files there: the guest creates g.STEP, the host h.STEP;
# either side's "abort" marker stops the other. Markers are also printed on
# the console ("L2VM-MARK STEP").
#
# Usage (from /run/l2vm/start): guest.sh single|multi|compare GUEST_MAC GUEST_ADDR/PREFIX BIN
#   single:  one-queue NIC: l2_echo -l 1, SIGINT, l2_multi_echo -l 0-1, --restore
#   multi:   four-queue NIC (mq=on): l2_multi_echo -l 0-3, SIGINT
#   compare: make compare-vm's rows in turn: the kernel, xdp_echo, l2_echo --mode icmp
#   BIN:    where the binaries are, in the checkout (target/release, or the
#           cross-built target/aarch64-unknown-linux-gnu/release)
set -euo pipefail
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

X=/run/l2vm
REPO=$(cd "$(dirname "$0")/../.." && pwd)
AWAIT_SECS=${L2VM_AWAIT_SECS:-300}
[[ $# -eq 4 ]] || { echo "usage: $0 single|multi|compare GUEST_MAC GUEST_ADDR/PREFIX BIN" >&2; exit 2; }
SCENARIO=$1 MAC=$2 ADDR=$3 BIN=$4

# With the guest's uptime: where a slow (TCG) run spends its time.
say() { echo "l2vm-guest: [$(cut -d' ' -f1 /proc/uptime)] $*"; }
mark() {
    printf '%s\n' "${2:-}" > "$X/g.$1.tmp"
    mv "$X/g.$1.tmp" "$X/g.$1"
    echo "L2VM-MARK $1"
}
abort() { say "ABORT: $*"; mark abort "$*"; exit 1; }
trap 'say "failed at line $LINENO: $BASH_COMMAND"' ERR
trap 'rc=$?; [[ $rc -eq 0 || -e $X/g.abort ]] || mark abort "guest.sh exited with status $rc"' EXIT

# Wait for the host's marker STEP.
await() {
    local i
    for ((i = 0; i < AWAIT_SECS * 5; i++)); do
        [[ -e $X/h.$1 ]] && return 0
        [[ -e $X/h.abort ]] && abort "the host aborted: $(cat "$X/h.abort")"
        sleep 0.2
    done
    abort "no '$1' from the host within ${AWAIT_SECS}s"
}

# run NAME CMD...: run CMD to completion, keep its output and status, copy both to the console.
run() {
    local name=$1 rc=0
    shift
    say "+ $*"
    "$@" > "$X/$name.out" 2> "$X/$name.err" || rc=$?
    echo "$rc" > "$X/$name.rc"
    sed 's/^/  | /' "$X/$name.out" "$X/$name.err"
    say "  exit status $rc"
}

# start NAME LINES PATTERN CMD...: start an echo in the background and wait
# until LINES lines of its output match PATTERN (an echo server: one "Core N
# echoing port P queue Q" per queue). Sets ECHO_PID.
start() {
    local name=$1 lines=$2 pattern=$3 i
    shift 3
    say "+ $* &"
    "$@" > "$X/$name.out" 2> "$X/$name.err" &
    ECHO_PID=$!
    for ((i = 0; i < AWAIT_SECS * 5; i++)); do
        (( $(grep -c "$pattern" "$X/$name.out") >= lines )) && { grep -E "MAC|$pattern" "$X/$name.out" | sed 's/^/  | /'; return 0; }
        if ! kill -0 "$ECHO_PID" 2>/dev/null; then
            wait "$ECHO_PID" || echo "$?" > "$X/$name.rc"
            sed 's/^/  | /' "$X/$name.out" "$X/$name.err"
            abort "$1 exited before echoing"
        fi
        sleep 0.2
    done
    sed 's/^/  | /' "$X/$name.err"
    abort "$1 did not start echoing within ${AWAIT_SECS} s"
}

# stop NAME: Ctrl+C (SIGINT) to the echo server started by start, wait for its exit status.
stop() {
    local rc=0 i
    say "+ kill -INT $ECHO_PID   # Ctrl+C"
    kill -INT "$ECHO_PID"
    # Bounded: a server that ignores SIGINT is a failure, not a hang.
    for ((i = 0; i < 300; i++)); do kill -0 "$ECHO_PID" 2>/dev/null || break; sleep 0.2; done
    if kill -0 "$ECHO_PID" 2>/dev/null; then
        say "still running 60 s after SIGINT: SIGKILL"
        kill -KILL "$ECHO_PID"
    fi
    wait "$ECHO_PID" || rc=$?
    echo "$rc" > "$X/$1.rc"
    sed -n '/^Summary/,$p' "$X/$1.out" | sed 's/^/  | /'
    say "  exit status $rc"
}

# The interface with MAC, and its PCI address.
iface_of() {
    local n
    for n in /sys/class/net/*; do
        [[ $(cat "$n/address") == "$1" ]] && { echo "${n##*/}"; return 0; }
    done
    return 1
}
pci_of() {
    local p
    p=$(readlink -f "/sys/class/net/$1/device")
    [[ ${p##*/} == virtio* ]] && p=${p%/*}
    echo "${p##*/}"
}
driver_of() { local l; l=$(readlink "/sys/bus/pci/devices/$1/driver") && echo "${l##*/}"; }

say "kernel $(uname -r), $(nproc) CPUs, scenario $SCENARIO, repo $REPO"
cd "$REPO"
[[ -e /lib/modules/$(uname -r)/modules.dep ]] \
    || abort "/lib/modules/$(uname -r) is missing from the shared root: modprobe (bind_nic.sh) cannot load uio_pci_generic; the guest's root needs its kernel's modules"

# The NIC as a VM's NIC: the kernel owns it and its address. No default route:
# this NIC is only for the echo (bind_nic.sh would refuse the default route's NIC).
IFC=$(iface_of "$MAC") || abort "no interface with MAC $MAC"
PCI=$(pci_of "$IFC")
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip link set lo up
ip addr add "$ADDR" dev "$IFC"
ip link set "$IFC" up
{
    echo "iface $IFC pci $PCI driver $(driver_of "$PCI")"
    echo "addr: $(ip -br -4 addr show dev "$IFC" | tr -s ' ')"
    echo "routes:"
    ip route
    ip route show default | grep -q . || echo "(no default route)"
} > "$X/net-before.txt"
sed 's/^/  | /' "$X/net-before.txt"
mark net-up "$IFC $PCI"

case $SCENARIO in
single)
    await baseline-done
    run setup_env scripts/setup_env.sh
    [[ $(cat "$X/setup_env.rc") == 0 ]] || abort "setup_env.sh failed"
    run bind scripts/bind_nic.sh
    [[ $(cat "$X/bind.rc") == 0 ]] || abort "bind_nic.sh failed"
    # The README's command; `-- --json` adds the summary as JSON for the host to count.
    start echo 1 'echoing port' "$BIN"/l2_echo -l 1 -- --json
    mark echo-ready
    await traffic-done
    stop echo
    # Same single-queue NIC, two lcores: must refuse with a clear message. Bounded in case it would echo.
    run multi timeout -s INT 120 "$BIN"/l2_multi_echo -l 0-1
    run restore scripts/bind_nic.sh --restore
    ifc=$IFC
    for n in "/sys/bus/pci/devices/$PCI"/virtio*/net/*; do
        if [[ -e $n ]]; then ifc=${n##*/}; fi
    done
    # The host pings as soon as this says "restored": let the link come up first.
    for ((i = 0; i < 50; i++)); do
        [[ $(cat "/sys/class/net/$ifc/operstate" 2>/dev/null) == up ]] && break
        sleep 0.2
    done
    {
        echo "iface $ifc pci $PCI driver $(driver_of "$PCI")"
        echo "addr: $(ip -br -4 addr show dev "$ifc" | tr -s ' ')"
    } > "$X/net-after.txt"
    sed 's/^/  | /' "$X/net-after.txt"
    mark restored
    await restore-pinged
    ;;
multi)
    run setup_env scripts/setup_env.sh
    [[ $(cat "$X/setup_env.rc") == 0 ]] || abort "setup_env.sh failed"
    run bind scripts/bind_nic.sh
    [[ $(cat "$X/bind.rc") == 0 ]] || abort "bind_nic.sh failed"
    start mecho 4 'echoing port' "$BIN"/l2_multi_echo -l 0-3 -- --json
    mark echo-ready
    await traffic-done
    stop mecho   # and power off: boot 1 proved --restore (two Python starts: minutes under TCG)
    ;;
compare)
    # make compare-vm's rows, one at a time, each until the host has measured
    # it. The guest's kernel answers ICMP to its address.
    mark vm_kernel-ready
    await vm_kernel-done
    # XDP in the guest: the paper's program on the NIC, in its driver.
    start xdp 1 " on $IFC " "$BIN"/xdp_echo --interface "$IFC"
    mark vm_xdp-ready
    await vm_xdp-done
    stop xdp
    # DPDK: the NIC bound, l2_echo answering ARP and ICMP for the address.
    run setup_env scripts/setup_env.sh
    [[ $(cat "$X/setup_env.rc") == 0 ]] || abort "setup_env.sh failed"
    run bind scripts/bind_nic.sh
    [[ $(cat "$X/bind.rc") == 0 ]] || abort "bind_nic.sh failed"
    start echo 1 'echoing port' "$BIN"/l2_echo -l 1 -- --mode icmp --ip "${ADDR%/*}" --json
    mark vm_l2_echo-ready
    await vm_l2_echo-done
    stop echo
    ;;
*) abort "unknown scenario '$SCENARIO'" ;;
esac
mark finished
