#!/usr/bin/env bash
# vm_test.sh - the original's setup, end to end, in a QEMU guest (make vm-test).
#
#   scripts/vm_test.sh [--arch x86_64|aarch64] [--compare]   (default: this machine's)
#
# --compare is make compare-vm: one boot, make compare's rows inside the
# guest (run_compare below), instead of the scenarios.
#
# The original runs in a VM: bind the VM's virtio NIC to DPDK with
# bind_nic.sh, run `l2_echo -l 1` on the VM's console, ping the VM from the
# host: no answer. This boots such a VM (TCG) with its NIC on a tap in a
# network namespace made here, which stands for the host's side of the VM's
# network. The guest's root is shared read-only over 9p and the checkout is
# the guest's /run/repo, so the guest runs this checkout's binaries and
# scripts/:
#   x86_64:  qemu-system-x86_64; the root is this machine's own; binaries from
#            target/release (make build).
#   aarch64: qemu-system-aarch64 -M virt (the original's platform: an arm64
#            VM); the root and its kernel are the arm64 Debian root of
#            scripts/cargo_arm64.sh; binaries from
#            target/aarch64-unknown-linux-gnu/release (cross-built). Everything
#            under TCG takes about twice as long.
# The host's side (ping, l2_ping from target/release, tcpdump) is x86_64 in both.
#
#   boot 1: single-queue virtio-net NIC, 2 vCPUs
#     1. setup_env.sh; bind_nic.sh finds the NIC and binds it; l2_echo -l 1
#        runs; ping from the host side: 100% loss; frames sent to the NIC's
#        MAC come back rewritten (l2_ping if target/release/l2_ping exists,
#        else tcpdump on the tap).
#     2. l2_multi_echo -l 0-1 on that NIC: the clear "queue pairs ... mq=on"
#        error, non-zero exit, no panic.
#     3. SIGINT to l2_echo: its summary, exit 0, rx_packets = frames sent.
#     4. bind_nic.sh --restore: the kernel owns the NIC and its address again
#        and answers the same ping (0% loss).
#   boot 2: four-queue NIC (mq=on, rss=on: QEMU hashes as the guest's driver
#     configures it; multi_queue tap), 4 vCPUs
#     5. l2_multi_echo -l 0-3; 64 UDP flows from the host side: nothing lost,
#        all four queues echo, and each queue received the frames of the flows
#        that the Toeplitz hash under the key and redirection table the echo
#        logged sends to it (scripts/vm/rss_expect.py). Without RSS the tap's
#        own flow hash places them, and the counts differ. A second, smaller
#        run (FEW_FLOWS) makes the expected counts uneven, so that no even
#        spread can pass for RSS.
#
# The guest's side is scripts/vm/guest.sh, started by scripts/vm/init in a
# tiny initramfs (busybox + the guest kernel's virtio/9p modules), cached in
# $CACHE_DIR and rebuilt when missing or changed. The two sides take turns
# through marker files in a writable 9p export of a host directory.
# Each scenario is reported PASSED/FAILED with the lines that prove it; the
# exit status is non-zero if any failed. Everything created (namespace, tap,
# QEMU and its helpers, work files) is removed on success, failure or Ctrl+C.
# Without root it prints why it is skipped and exits 0.
#
# Environment: VM_TEST_CACHE (default /var/cache/l2echo/vm), L2_PING (default
# target/release/l2_ping; a missing file selects the tcpdump/python checks),
# ARM64_ROOT (as scripts/cargo_arm64.sh).
set -euo pipefail

PROG=${0##*/}
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
CACHE_DIR=${VM_TEST_CACHE:-/var/cache/l2echo/vm}
L2_PING=${L2_PING:-$REPO/target/release/l2_ping}
ARCH=$(uname -m)
COMPARE=
while (( $# )); do
    case $1 in
        --arch) ARCH=${2:-}; shift 2 || shift ;;
        --compare) COMPARE=1; shift ;;
        *) echo "usage: $PROG [--arch x86_64|aarch64] [--compare]" >&2; exit 2 ;;
    esac
done

# What differs between the two guests; nothing else below looks at ARCH.
# make compare-vm times the guest's paths: KVM where it can run a guest (an
# x86-64 guest on a CPU with VMX or SVM), else TCG, whose figures are not
# timings (compare.py says so instead of printing them). The tests need no
# timing and always use TCG, the same on every machine.
ACCEL=tcg
if [[ -n $COMPARE && $ARCH == x86_64 && $(uname -m) == x86_64 && -w /dev/kvm ]] \
    && grep -qwE 'vmx|svm' /proc/cpuinfo; then
    ACCEL=kvm
fi
case $ARCH in
x86_64)
    QEMU=(qemu-system-x86_64 -accel "$ACCEL" -cpu "$([[ $ACCEL == kvm ]] && echo host || echo max)")
    CONSOLE_TTY=ttyS0
    GUEST_ROOT=/
    GUEST_BIN=target/release
    GUEST_KERNEL_PKG=linux-image-amd64
    PACKAGES=(qemu-system-x86 linux-image-amd64)
    MAKE_TARGET=vm-test
    SLOWER=1
    ;;
aarch64)
    QEMU=(qemu-system-aarch64 -M virt -accel tcg -cpu max)
    CONSOLE_TTY=ttyAMA0
    GUEST_ROOT=${ARM64_ROOT:-/var/cache/l2echo/bookworm-arm64}
    GUEST_BIN=target/aarch64-unknown-linux-gnu/release
    GUEST_KERNEL_PKG=linux-image-arm64
    PACKAGES=(qemu-system-arm)
    MAKE_TARGET=vm-test-arm64
    SLOWER=2   # TCG emulating arm64 on x86-64: boots and Python start-ups take twice as long
    ;;
*) echo "$PROG: error: unknown --arch '$ARCH' (x86_64 or aarch64)" >&2; exit 2 ;;
esac
# The host's side: the initramfs's cpio, the checks.
PACKAGES+=(busybox-static tcpdump python3 iproute2 iputils-ping)

TAG=l2vm$$
NS=$TAG
TAP=tap0
HOST_IP=10.78.0.1
GUEST_IP=10.78.0.2
PREFIX_LEN=24
GUEST_MAC=52:54:00:78:00:02
GUEST_MEM=3072      # MiB: setup_env.sh's default 1024 x 2 MB hugepages, plus the rest
PINGS=5             # while DPDK owns the NIC (scenario 1)
PROBES=50           # l2_ping probes (scenario 1)
FLOWS=64 PER_FLOW=8 # scenario 5
FEW_FLOWS=5 FEW_PER_FLOW=16 # scenario 5's second run (RSS puts 1, 0, 2 and 2 of these flows on the queues)
BOOT_SECS=$((180 * SLOWER))   # boot to the guest's first marker
STEP_SECS=$((300 * SLOWER))   # any later step of the guest

WORK=
QEMU_PID=
BG_PIDS=()
declare -a RESULT WHY EVIDENCE

note() { echo "$PROG: $*"; }
die() { echo "$PROG: error: $*" >&2; exit 1; }
step() { printf '\n== %s\n' "$*"; }

if [[ $EUID -ne 0 ]]; then
    note "SKIPPED: needs root (it creates a network namespace and a tap, installs QEMU and a guest kernel when missing, and runs QEMU); run: sudo make vm-test"
    exit 0
fi

# ---------------------------------------------------------------- cleanup

# Kill one process we started: SIGTERM, then SIGKILL after 5 s.
end_pid() {
    local pid=$1 i
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 25; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# Remove the namespace of one boot: every process still in it is ours (QEMU,
# tcpdump, ping, l2_ping), then the tap, then the namespace.
teardown_ns() {
    local pid
    [[ -n $QEMU_PID ]] && end_pid "$QEMU_PID"
    QEMU_PID=
    for pid in "${BG_PIDS[@]}"; do end_pid "$pid"; done
    BG_PIDS=()
    if ip netns list | grep -qw "^$NS"; then
        for pid in $(ip netns pids "$NS" 2>/dev/null); do end_pid "$pid"; done
        ip -n "$NS" link del "$TAP" 2>/dev/null || true
        ip netns del "$NS" 2>/dev/null || true
    fi
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    teardown_ns
    if [[ -n $WORK && -d $WORK ]]; then
        # Keep the last run's logs (console, guest outputs) for a look after a failure.
        rm -rf "$CACHE_DIR/last-run"
        cp -r "$WORK" "$CACHE_DIR/last-run" 2>/dev/null || true
        rm -rf "$WORK"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'note "interrupted"; exit 130' INT TERM

# ---------------------------------------------------------------- packages, kernel, initramfs

install_missing() {
    local pkg missing=()
    for pkg in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
    done
    (( ${#missing[@]} == 0 )) && return 0
    note "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# The guest kernel, in the guest's root: the one GUEST_KERNEL_PKG depends on
# if that is installed there, else the newest in /boot with its modules.
guest_kernel() {
    local dep k
    dep=$(dpkg-query --admindir="$GUEST_ROOT/var/lib/dpkg" -W -f='${Depends}' "$GUEST_KERNEL_PKG" 2>/dev/null \
          | grep -oE 'linux-image-[^ ,]+' | head -1 || true)
    k=${dep#linux-image-}
    if [[ -n $k && -r $GUEST_ROOT/boot/vmlinuz-$k && -e $GUEST_ROOT/lib/modules/$k/modules.dep ]]; then echo "$k"; return; fi
    for k in $(find "$GUEST_ROOT/boot" -maxdepth 1 -name 'vmlinuz-*' -printf '%f\n' | sed 's/^vmlinuz-//' | sort -rV); do
        [[ -e $GUEST_ROOT/lib/modules/$k/modules.dep ]] && { echo "$k"; return; }
    done
    die "no kernel with modules in $GUEST_ROOT/boot and $GUEST_ROOT/lib/modules: apt-get install $GUEST_KERNEL_PKG"
}

# The modules the initramfs loads before it can mount the guest's root, in load
# order (one module per modprobe: with -d, a list shows only the first's).
initramfs_modules() {
    local m
    for m in virtio_pci 9pnet_virtio 9p virtio_net; do
        modprobe -d "$GUEST_ROOT" -S "$KVER" --show-depends "$m"
    done | awk '$1 == "insmod" && !seen[$2]++ { print $2 }'
}

# The cached initramfs for KVER; rebuilt when missing or when its inputs changed.
INITRD=
prepare_initramfs() {
    local key tmp mods m
    mods=$(initramfs_modules)
    [[ -n $mods ]] || die "modprobe -S $KVER found none of the virtio/9p modules"
    key=$( { echo "$KVER"; echo "$mods"; sha256sum "$GUEST_ROOT/bin/busybox" "$HERE/vm/init"; } | sha256sum | cut -c1-16)
    INITRD=$CACHE_DIR/initramfs-$KVER.cpio.gz
    mkdir -p "$CACHE_DIR"
    if [[ -s $INITRD && $(cat "$INITRD.key" 2>/dev/null) == "$key" ]]; then
        note "initramfs: $INITRD (cached)"
        return
    fi
    note "building $INITRD"
    tmp=$(mktemp -d "$WORK/initramfs.XXXXXX")
    mkdir -p "$tmp"/{bin,dev,proc,sys,newroot,modules}
    cp "$GUEST_ROOT/bin/busybox" "$tmp/bin/busybox"
    cp "$HERE/vm/init" "$tmp/init"
    chmod 755 "$tmp/init"
    for m in $mods; do
        cp "$m" "$tmp/modules/"
        echo "${m##*/}" >> "$tmp/modules/order"
    done
    (cd "$tmp" && find . | busybox cpio -o -H newc -R 0:0 2>/dev/null) | gzip -1 > "$INITRD.tmp"
    mv "$INITRD.tmp" "$INITRD"
    echo "$key" > "$INITRD.key"
    rm -rf "$tmp"
    note "initramfs: $INITRD ($(du -h "$INITRD" | cut -f1), modules: $(tr '\n' ' ' < <(for m in $mods; do basename "$m" .ko; done)))"
}

# ---------------------------------------------------------------- one guest boot

X=          # this boot's exchange directory (the guest's /run/l2vm)
CONSOLE=    # this boot's console log
QEMU_LOG=   # QEMU's own messages
TAP_MAC=

# boot NAME SCENARIO CPUS QUEUES: namespace + tap, then QEMU in the background.
boot() {
    local name=$1 scenario=$2 cpus=$3 queues=$4 netdev nic
    X=$WORK/$name
    CONSOLE=$WORK/$name-console.log
    QEMU_LOG=$WORK/$name-qemu.log
    mkdir -p "$X"
    # The checkout is the guest's /run/repo (scripts/vm/init).
    printf 'L2VM_AWAIT_SECS=%q exec /bin/bash /run/repo/scripts/vm/guest.sh %q %q %q %q\n' "$STEP_SECS" \
        "$scenario" "$GUEST_MAC" "$GUEST_IP/$PREFIX_LEN" "$GUEST_BIN" > "$X/start"

    ip netns add "$NS"
    # No IPv6 chatter: only the test's own frames reach the guest.
    ip netns exec "$NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    ip -n "$NS" link set lo up
    netdev="tap,id=n0,ifname=$TAP,script=no,downscript=no"
    nic="virtio-net-pci,netdev=n0,mac=$GUEST_MAC"
    if (( queues > 1 )); then
        ip -n "$NS" tuntap add dev "$TAP" mode tap multi_queue
        netdev+=",queues=$queues"
        nic+=",mq=on,rss=on,vectors=$((2 * queues + 2))"
    else
        ip -n "$NS" tuntap add dev "$TAP" mode tap
    fi
    ip -n "$NS" addr add "$HOST_IP/$PREFIX_LEN" dev "$TAP"
    ip -n "$NS" link set "$TAP" up
    TAP_MAC=$(ip netns exec "$NS" cat "/sys/class/net/$TAP/address")
    note "namespace $NS: $TAP $TAP_MAC $HOST_IP/$PREFIX_LEN$( (( queues > 1 )) && echo ", multi_queue")"

    # init_on_alloc=0: the guest kernel would otherwise zero every hugepage
    # setup_env.sh reserves, which under TCG costs seconds and host memory.
    ip netns exec "$NS" "${QEMU[@]}" -name "$TAG-$name" \
        -smp "$cpus" -m "$GUEST_MEM" \
        -nodefaults -no-reboot -display none -serial "file:$CONSOLE" \
        -kernel "$GUEST_ROOT/boot/vmlinuz-$KVER" -initrd "$INITRD" \
        -append "console=$CONSOLE_TTY panic=1 quiet init_on_alloc=0" \
        -fsdev "local,id=hr,path=$GUEST_ROOT,security_model=none,readonly=on,multidevs=remap" \
        -device virtio-9p-pci,fsdev=hr,mount_tag=hostroot \
        -fsdev "local,id=xc,path=$X,security_model=none" \
        -device virtio-9p-pci,fsdev=xc,mount_tag=l2vm \
        -fsdev "local,id=rp,path=$REPO,security_model=none,readonly=on,multidevs=remap" \
        -device virtio-9p-pci,fsdev=rp,mount_tag=repo \
        -netdev "$netdev" -device "$nic" \
        > "$QEMU_LOG" 2>&1 &
    QEMU_PID=$!
    note "${QEMU[0]} (pid $QEMU_PID): $cpus vCPUs, ${ACCEL^^}, NIC $GUEST_MAC with $queues queue pair(s); console: $CONSOLE"
}

# Wait for the guest's marker STEP (at most SECS). Fails on the guest's abort or QEMU's exit.
await() {
    local name=$1 secs=${2:-$STEP_SECS} i
    for ((i = 0; i < secs * 5; i++)); do
        [[ -e $X/g.$name ]] && return 0
        if [[ -e $X/g.abort ]]; then note "the guest gave up: $(cat "$X/g.abort")"; show_console; return 1; fi
        if ! kill -0 "$QEMU_PID" 2>/dev/null; then note "QEMU exited before '$name'"; show_console; return 1; fi
        sleep 0.2
    done
    note "no '$name' from the guest within ${secs}s"
    show_console
    return 1
}
mark() { printf '%s\n' "${2:-}" > "$X/h.$1"; }
show_console() {
    echo "--- last lines of the guest console ($CONSOLE):"
    tail -n 25 "$CONSOLE" 2>/dev/null | sed 's/^/  | /' || true
    [[ -s $QEMU_LOG ]] && sed 's/^/  qemu: /' "$QEMU_LOG"
    return 0
}

# Let the guest finish (at most SECS, default 120; 0 = tell it to stop now),
# wait for QEMU to exit, remove the namespace.
end_boot() {
    local secs=${1:-120} i
    if [[ $secs -eq 0 ]] || ! await finished "$secs"; then mark abort "the host ended the boot"; fi
    for ((i = 0; i < 300; i++)); do kill -0 "$QEMU_PID" 2>/dev/null || break; sleep 0.2; done
    teardown_ns
}

# ---------------------------------------------------------------- host-side checks

# ping COUNT from the namespace; prints ping's output; PING_TX, PING_RX, PING_LOSS.
PING_TX=0 PING_RX=0 PING_LOSS=
ns_ping() {
    local out
    out=$(ip netns exec "$NS" ping -c "$1" -i 0.2 -W 1 "$GUEST_IP" 2>&1 || true)
    PING_TX=$(grep -oE '[0-9]+ packets transmitted' <<<"$out" | cut -d' ' -f1 || true)
    PING_RX=$(grep -oE '[0-9]+ received' <<<"$out" | cut -d' ' -f1 || true)
    PING_LOSS=$(grep -oE '[0-9.]+% packet loss' <<<"$out" | cut -d% -f1 || true)
    PING_TX=${PING_TX:-0} PING_RX=${PING_RX:-0}
    PING_SUMMARY=$(grep -E 'packets transmitted' <<<"$out" || echo "$out" | tail -1)
    echo "$out" | tail -2
}

# The JSON summary line of an echo server's stdout, and values from it.
summary_json() { grep '^{' "$1" | tail -1; }
json_eval() { python3 -c 'import json, sys; d = json.loads(sys.stdin.read()); print(eval(sys.argv[1]))' "$1"; }

rc_of() { cat "$X/$1.rc" 2>/dev/null || echo none; }

# Record a scenario's result: ok N EVIDENCE... / bad N REASON.
ev() { local n=$1; shift; local l; for l in "$@"; do EVIDENCE[n]+="    $l"$'\n'; done; }
bad() { WHY[$1]+="    - $2"$'\n'; }
verdict() {
    local n=$1 title=$2
    if [[ -z ${WHY[n]:-} ]]; then RESULT[n]="PASSED"; else RESULT[n]="FAILED"; fi
    RESULT[n]+=" - $title"
    printf '\nScenario %s: %s\n' "$n" "${RESULT[n]}"
    [[ -n ${WHY[n]:-} ]] && printf '  why:\n%s' "${WHY[n]}"
    [[ -n ${EVIDENCE[n]:-} ]] && printf '  evidence:\n%s' "${EVIDENCE[n]}"
    return 0
}

# l2_ping's JSON summary (on stdin, among its other lines) in one line; its last line if there is none.
l2ping_brief() {
    local out json
    out=$(cat)
    json=$(grep '^{' <<<"$out" | tail -1 || true)
    if [[ -n $json ]] && json_eval '"%(sent)d sent, %(good)d came back rewritten, %(bad)d bad, %(late)d late, %(lost)d lost; probes %(src)s -> %(dst)s" % d' <<<"$json" 2>/dev/null; then
        return 0
    fi
    tail -1 <<<"$out"
}

# Echo check of scenario 1 with l2_ping: probes to the guest NIC's MAC, each must come back rewritten.
ECHO_SENT=0
echo_check_l2ping() {
    local out rc=0 sent
    out=$(ip netns exec "$NS" timeout -k 5 60 "$L2_PING" -I "$TAP" --dst "$GUEST_MAC" -c "$PROBES" -i 0.02 --timeout 5 --json 2>&1) || rc=$?
    awk '{ print "  l2_ping: " $0 }' <<<"$out"
    sent=$(grep '^{' <<<"$out" | tail -1 | json_eval 'd.get("sent", "")' 2>/dev/null || true)
    ECHO_SENT=${sent:-$PROBES}
    ev 1 "l2_ping -I $TAP --dst $GUEST_MAC -c $PROBES: exit $rc: $(l2ping_brief <<<"$out")"
    case $rc in
        0) ;;
        124 | 137) bad 1 "l2_ping did not finish within 60 s (stopped by timeout, status $rc)" ;;
        *) bad 1 "l2_ping exited with status $rc: not every probe came back rewritten" ;;
    esac
}

# Echo check of scenario 1 with tcpdump: during the pings, every echo request
# must come back from the guest NIC's MAC to the tap's MAC.
TCPDUMP_PID=
start_tcpdump() {
    local i
    ip netns exec "$NS" tcpdump -e -n -l -i "$TAP" icmp > "$WORK/tcpdump.txt" 2> "$WORK/tcpdump.err" &
    TCPDUMP_PID=$!
    BG_PIDS+=("$TCPDUMP_PID")
    for ((i = 0; i < 50; i++)); do grep -q 'listening on' "$WORK/tcpdump.err" && return 0; sleep 0.1; done
    note "tcpdump did not start: $(cat "$WORK/tcpdump.err")"
}
echo_check_tcpdump() {
    local out back
    sleep 1
    kill -INT "$TCPDUMP_PID" 2>/dev/null || true
    wait "$TCPDUMP_PID" 2>/dev/null || true
    out=$(grep -c "^.* $TAP_MAC > $GUEST_MAC, .*ICMP echo request" "$WORK/tcpdump.txt" || true)
    back=$(grep -c "^.* $GUEST_MAC > $TAP_MAC, .*ICMP echo request" "$WORK/tcpdump.txt" || true)
    ECHO_SENT=0   # the pings are the probes
    ev 1 "tcpdump -e -n -i $TAP (host side): $out echo requests out, $back came back rewritten:"
    ev 1 "$(grep -m1 " $TAP_MAC > $GUEST_MAC" "$WORK/tcpdump.txt" || echo '(none out)')"
    ev 1 "$(grep -m1 " $GUEST_MAC > $TAP_MAC" "$WORK/tcpdump.txt" || echo '(none back)')"
    (( out == PINGS )) || bad 1 "tcpdump saw $out echo requests go out, expected $PINGS"
    (( back == out && back > 0 )) || bad 1 "only $back of $out echo requests came back with src $GUEST_MAC, dst $TAP_MAC"
}

# ---------------------------------------------------------------- boot 1: scenarios 1-4

run_single() {
    local l sent rx json pci
    step "Boot 1: single-queue virtio NIC, 2 vCPUs"
    boot single single 2 1
    if ! await net-up "$BOOT_SECS"; then
        for n in 1 2 3 4; do bad "$n" "the guest did not boot (see the console above)"; verdict "$n" "boot 1"; done
        end_boot 0; return
    fi
    pci=$(cut -d' ' -f2 "$X/g.net-up")
    sed 's/^/  guest: /' "$X/net-before.txt"

    step "The kernel owns $GUEST_IP: ping from the host side"
    ns_ping 2
    ev 4 "before the bind: $PING_SUMMARY"
    mark baseline-done

    step "Guest: setup_env.sh, bind_nic.sh, l2_echo -l 1"
    if ! await echo-ready; then
        bad 1 "the guest did not get to a running l2_echo"
        for n in setup_env bind echo; do
            [[ -e $X/$n.rc ]] && ev 1 "$n: exit $(rc_of "$n"): $(tail -n 3 "$X/$n.err" "$X/$n.out" 2>/dev/null | grep -v '^==' | grep . | tail -3 | tr '\n' ' ')"
        done
        verdict 1 "single-queue NIC: bind_nic.sh + l2_echo -l 1"
        for n in 2 3 4; do bad "$n" "not reached: scenario 1 failed"; verdict "$n" "boot 1"; done
        end_boot 0; return
    fi
    grep -E 'using first|bound to|error' "$X/bind.out" "$X/bind.err" | sed 's/^[^:]*://; s/^/  guest: /' || true
    grep -E 'MAC|echoing' "$X/echo.out" | sed 's/^/  guest: /'

    # Scenario 1: judged from the guest's files and the host's traffic.
    ev 1 "$(grep -h 'using first virtio-pci NIC' "$X/bind.out" || echo '(bind_nic.sh did not say which NIC it found)')"
    ev 1 "$(grep -h 'bound to' "$X/bind.out" || echo '(no "bound to" line)')"
    ev 1 "guest routes: $(sed -n '/^routes:/,$p' "$X/net-before.txt" | tail -n +2 | tr '\n' ';')"
    [[ $(rc_of bind) == 0 ]] || bad 1 "bind_nic.sh exited with $(rc_of bind)"
    grep -q "using first virtio-pci NIC: $pci" "$X/bind.out" || bad 1 "bind_nic.sh did not find the virtio NIC $pci by itself"
    grep -q '(no default route)' "$X/net-before.txt" || bad 1 "the guest has a default route"
    while read -r l; do ev 1 "l2_echo: $l"; done < <(grep -E 'Port 0 MAC|echoing port' "$X/echo.out")
    grep -q "Port 0 MAC: $GUEST_MAC" "$X/echo.out" || bad 1 "l2_echo did not report the NIC's MAC $GUEST_MAC"

    step "DPDK owns the NIC: ping $GUEST_IP from the host side"
    # ARP cannot resolve while DPDK owns the NIC: pin the neighbour so the
    # echo requests really reach it (and can be counted).
    ip -n "$NS" neigh replace "$GUEST_IP" lladdr "$GUEST_MAC" dev "$TAP" nud permanent
    if [[ -x $L2_PING ]]; then
        ns_ping "$PINGS"
        step "The echo: $PROBES l2_ping probes to $GUEST_MAC"
        echo_check_l2ping
    else
        note "no $L2_PING: checking the echo with tcpdump on $TAP during the pings"
        start_tcpdump
        ns_ping "$PINGS"
        echo_check_tcpdump
        grep . "$WORK/tcpdump.txt" | sed 's/^/  tcpdump: /'
    fi
    ev 1 "ping $GUEST_IP: $PING_SUMMARY"
    [[ $PING_LOSS == 100 && $PING_TX == "$PINGS" ]] || bad 1 "ping: ${PING_LOSS:-?}% loss of $PING_TX, expected 100% of $PINGS"
    sent=$((PING_TX + ECHO_SENT))
    mark traffic-done "$sent"
    verdict 1 "single-queue NIC: bind_nic.sh + l2_echo -l 1: ping gets no answer, frames come back rewritten"

    step "Guest: Ctrl+C to l2_echo; l2_multi_echo -l 0-1; bind_nic.sh --restore"
    await restored || true

    # Scenario 3: the summary after SIGINT counts what was sent.
    json=$(summary_json "$X/echo.out" 2>/dev/null || true)
    while read -r l; do ev 3 "$l"; done < <(sed -n '/^Summary/,$p' "$X/echo.out" 2>/dev/null | grep -v '^{')
    ev 3 "exit status $(rc_of echo)"
    [[ $(rc_of echo) == 0 ]] || bad 3 "l2_echo exited with $(rc_of echo) after SIGINT"
    grep -qs '^Summary:' "$X/echo.out" || bad 3 "no line starting 'Summary:'"
    grep -qs 'panicked' "$X/echo.err" && bad 3 "l2_echo panicked: $(grep -m1 panicked "$X/echo.err")"
    if [[ -n $json ]]; then
        rx=$(json_eval 'd["rx_packets"]' <<<"$json" 2>/dev/null || echo '?')
        ev 3 "JSON rx_packets $rx; sent to it: $sent ($PING_TX pings + $ECHO_SENT l2_ping probes)"
        [[ $rx == "$sent" ]] || bad 3 "rx_packets $rx != $sent frames sent"
    else
        bad 3 "no JSON summary line"
    fi

    # Scenario 2: the clear error on a single-queue NIC.
    l=$(grep -h 'queue pairs' "$X/multi.err" "$X/multi.out" 2>/dev/null | head -1 || true)
    ev 2 "l2_multi_echo -l 0-1: exit status $(rc_of multi)" "${l:-(no 'queue pairs' message)}"
    case $(rc_of multi) in
        0) bad 2 "exit status 0" ;;
        none) bad 2 "it did not run" ;;
        101) bad 2 "exit status 101: a Rust panic" ;;
        124) bad 2 "it was still running after 120 s (killed by timeout)" ;;
        *) (( $(rc_of multi) < 128 )) || bad 2 "killed by signal $(( $(rc_of multi) - 128 ))" ;;
    esac
    [[ $l == *"queue pairs"* && $l == *"mq=on"* ]] || bad 2 "the message does not name 'queue pairs' and 'mq=on'"
    grep -qs 'panicked' "$X/multi.err" && bad 2 "panicked: $(grep -m1 panicked "$X/multi.err")"

    # Scenario 4: the bypass is reversible.
    if [[ -e $X/g.restored ]]; then
        grep -E 'restored to|error' "$X/restore.out" "$X/restore.err" | sed 's/^[^:]*://; s/^/  guest: /' || true
        sed 's/^/  guest: /' "$X/net-after.txt"
        ev 4 "$(grep -h 'restored to' "$X/restore.out" || echo "(bind_nic.sh --restore: exit $(rc_of restore))")"
        while read -r l; do ev 4 "guest: $l"; done < "$X/net-after.txt"
        [[ $(rc_of restore) == 0 ]] || bad 4 "bind_nic.sh --restore exited with $(rc_of restore)"
        grep -q "driver virtio-pci" "$X/net-after.txt" || bad 4 "the NIC is not back on virtio-pci"
        grep -q "^addr: .* $GUEST_IP/$PREFIX_LEN" "$X/net-after.txt" || bad 4 "$GUEST_IP/$PREFIX_LEN is not configured again"
        step "The kernel owns the NIC again: ping $GUEST_IP from the host side"
        ns_ping "$PINGS"
        ev 4 "after --restore: $PING_SUMMARY"
        [[ $PING_LOSS == 0 ]] || bad 4 "ping: ${PING_LOSS:-?}% loss after --restore, expected 0%"
        mark restore-pinged
    else
        bad 4 "the guest did not finish bind_nic.sh --restore"
    fi
    end_boot
    verdict 2 "same NIC: l2_multi_echo -l 0-1 refuses with the clear queue-pairs message"
    verdict 3 "SIGINT: summary, exit 0, rx_packets = frames sent"
    verdict 4 "bind_nic.sh --restore: kernel owns the NIC and its address, ping answered"
}

# ---------------------------------------------------------------- boot 2: scenario 5

run_multi() {
    local l sent=0 out rc=0 json nq expected=
    step "Boot 2: four-queue virtio NIC (mq=on, rss=on), 4 vCPUs"
    boot multi multi 4 4
    if ! await net-up "$BOOT_SECS"; then bad 5 "the guest did not boot"; end_boot 0; verdict 5 "multiqueue NIC"; return; fi
    step "Guest: setup_env.sh, bind_nic.sh, l2_multi_echo -l 0-3"
    if ! await echo-ready; then
        bad 5 "the guest did not get to a running l2_multi_echo"
        for n in setup_env bind mecho; do
            [[ -e $X/$n.rc ]] && ev 5 "$n: exit $(rc_of "$n"): $(tail -n 3 "$X/$n.err" 2>/dev/null | tr '\n' ' ')"
        done
        end_boot 0; verdict 5 "multiqueue NIC"; return
    fi
    grep -E 'MAC|echoing' "$X/mecho.out" | sed 's/^/  guest: /'
    ev 5 "$(grep -h 'bound to' "$X/bind.out" || echo '(no "bound to" line)')"

    step "$FLOWS UDP flows from the host side to $GUEST_IP"
    ip -n "$NS" neigh replace "$GUEST_IP" lladdr "$GUEST_MAC" dev "$TAP" nud permanent
    if [[ -x $L2_PING ]]; then
        for run in "${FLOWS}x$PER_FLOW" "${FEW_FLOWS}x$FEW_PER_FLOW"; do
            local flows=${run%x*} count=$(( ${run%x*} * ${run#*x} )) n
            rc=0
            out=$(ip netns exec "$NS" timeout -k 5 60 "$L2_PING" -I "$TAP" --dst "$GUEST_MAC" --flows "$flows" -c "$count" -i 0.002 --timeout 10 --json 2>&1) || rc=$?
            n=$(grep '^{' <<<"$out" | tail -1 | json_eval 'd.get("sent", "")' 2>/dev/null || true)
            sent=$(( sent + ${n:-$count} ))
            ev 5 "l2_ping --flows $flows -c $count: exit $rc: $(l2ping_brief <<<"$out")"
            case $rc in
                0) ;;
                124 | 137) bad 5 "l2_ping did not finish within 60 s (stopped by timeout, status $rc)" ;;
                *) bad 5 "l2_ping exited with status $rc: not every probe came back rewritten" ;;
            esac
        done
        expected=$(python3 "$HERE/vm/rss_expect.py" "$X/mecho.err" --queues 4 "${FLOWS}x$PER_FLOW" "${FEW_FLOWS}x$FEW_PER_FLOW" 2>&1) \
            || bad 5 "$expected"
    else
        note "no $L2_PING: sending with scripts/vm/udp_flows.py (RSS placement not checked: its flows are not l2_ping's)"
        out=$(ip netns exec "$NS" python3 "$HERE/vm/udp_flows.py" "$TAP" "$GUEST_MAC" "$GUEST_IP" --flows "$FLOWS" --count "$PER_FLOW") || rc=$?
        sent=$(json_eval 'd["sent"]' <<<"$out" 2>/dev/null || echo 0)
        ev 5 "udp_flows.py ($FLOWS source ports x $PER_FLOW): $out"
        [[ $rc -eq 0 ]] || bad 5 "not every datagram came back rewritten (udp_flows.py exit $rc)"
    fi
    echo "  $out"
    mark traffic-done "$sent"
    end_boot

    json=$(summary_json "$X/mecho.out" 2>/dev/null || true)
    while read -r l; do ev 5 "$l"; done < <(sed -n '/^Summary/,$p' "$X/mecho.out" 2>/dev/null | grep -v '^{')
    ev 5 "l2_multi_echo exit status $(rc_of mecho)"
    [[ $(rc_of mecho) == 0 ]] || bad 5 "l2_multi_echo exited with $(rc_of mecho) after SIGINT"
    if [[ -n $json ]]; then
        rx=$(json_eval 'd["rx_packets"]' <<<"$json" 2>/dev/null || echo '?')
        nq=$(json_eval 'sum(1 for q in d["queues"] if q["rx_packets"] > 0 and q["tx_packets"] == q["rx_packets"])' <<<"$json" 2>/dev/null || echo '?')
        ev 5 "JSON rx_packets $rx; sent: $sent; queues echoing: $nq of 4 ($(json_eval '" ".join("q%d:%d" % (q["queue"], q["tx_packets"]) for q in d["queues"])' <<<"$json" 2>/dev/null || true))"
        [[ $rx == "$sent" ]] || bad 5 "rx_packets $rx != $sent sent"
        [[ $nq == 4 ]] || bad 5 "only $nq of 4 queues echoed everything they received"
        if [[ $expected == '{'* ]]; then
            l=$(json_eval '[q["rx_packets"] for q in d["queues"]]' <<<"$json" 2>/dev/null || echo '?')
            expected=$(json_eval 'd["expected"]' <<<"$expected")
            ev 5 "per queue: received $l; RSS (Toeplitz, the echo's key and table) sends $expected"
            [[ $l == "$expected" ]] || bad 5 "the queues did not receive what RSS sends them"
        fi
    else
        bad 5 "no JSON summary line"
    fi
    verdict 5 "multiqueue NIC: l2_multi_echo -l 0-3, $FLOWS flows, nothing lost, all 4 queues echo what RSS gave them"
}

# ---------------------------------------------------------------- make compare-vm

# The original's setting: make compare's rows inside the guest, on its virtio
# NIC, driven from the host's side of the tap by scripts/compare.py (l2_load
# through net_af_packet on the tap): the guest's kernel, xdp_echo in the
# guest, l2_echo --mode icmp after bind_nic.sh. The guest brings each row up
# in turn (scripts/vm/guest.sh compare) and compare.py takes turns with it
# through the exchange directory's markers.
run_compare() {
    local rc=0
    [[ -x $REPO/$GUEST_BIN/xdp_echo ]] || die "$GUEST_BIN/xdp_echo is missing: run make compare-vm (it builds it)"
    step "make compare-vm: a single-queue virtio NIC, 2 vCPUs, ${ACCEL^^}"
    boot compare compare 2 1
    await net-up "$BOOT_SECS" || { end_boot 0; die "the guest did not boot"; }
    VM_EXCHANGE=$X VM_NS=$NS VM_TAP=$TAP VM_GUEST_MAC=$GUEST_MAC VM_GUEST_IP=$GUEST_IP VM_HOST_IP=$HOST_IP \
        VM_ACCEL=$ACCEL VM_ARCH=$ARCH VM_STEP_SECS=$STEP_SECS ROWS=vm_kernel,vm_xdp,vm_l2_echo \
        python3 "$HERE/compare.py" || rc=$?
    end_boot
    (( rc == 0 )) || die "compare.py failed (exit status $rc); the guest's side is in $CACHE_DIR/last-run"
}

# ---------------------------------------------------------------- main

START=$SECONDS
[[ -x $REPO/$GUEST_BIN/l2_echo && -x $REPO/$GUEST_BIN/l2_multi_echo ]] \
    || die "$GUEST_BIN/l2_echo and l2_multi_echo are missing: run make $MAKE_TARGET (it builds them)"
[[ -e /dev/net/tun ]] || die "/dev/net/tun is missing: QEMU cannot make the guest's NIC"
[[ -x $GUEST_ROOT/bin/bash ]] || die "no guest root in $GUEST_ROOT: run make $MAKE_TARGET (it makes it)"
install_missing
command -v "${QEMU[0]}" >/dev/null || die "${QEMU[0]} not found after installing ${PACKAGES[0]}"
KVER=$(guest_kernel)
WORK=$(mktemp -d "/tmp/$TAG.XXXXXX")
prepare_initramfs
if [[ -n $COMPARE ]]; then
    note "$ARCH guest, kernel $KVER; binaries from $GUEST_BIN"
    run_compare
    exit 0
fi
note "$ARCH guest, kernel $KVER; binaries from $GUEST_BIN; echo check: $([[ -x $L2_PING ]] && echo "l2_ping ($L2_PING)" || echo "tcpdump / udp_flows.py (no $L2_PING)")"

run_single
run_multi

step "Results ($((SECONDS - START)) s)"
failed=0
for n in 1 2 3 4 5; do
    echo "Scenario $n: ${RESULT[n]:-FAILED - not run}"
    [[ ${RESULT[n]:-FAILED} == PASSED* ]] || failed=1
done
if (( failed )); then
    note "FAILED; the run's logs are kept in $CACHE_DIR/last-run"
    exit 1
fi
note "all scenarios PASSED; the run's logs are kept in $CACHE_DIR/last-run"
