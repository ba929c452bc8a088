#!/usr/bin/env bash
# setup_env.sh - prepare this host for the l2echo DPDK server:
# reserve 2 MB hugepages (per NUMA node) and make sure a hugetlbfs is mounted.
# Idempotent: safe to run again; it sets the reservation to exactly N pages
# per node and never unmounts anything.
set -euo pipefail

PROG=${0##*/}
PAGE_KB=2048
GLOBAL_NR=/sys/kernel/mm/hugepages/hugepages-${PAGE_KB}kB/nr_hugepages
DEFAULT_MOUNT=/dev/hugepages

usage() {
    cat <<EOF
Usage: $PROG [--pages N] [--node N] [--status] [--help]

Reserve 2 MB hugepages and mount hugetlbfs for DPDK.

  --pages N   2 MB pages to reserve PER NUMA NODE (default: \$HUGEPAGES or 1024).
              The reservation is set to exactly N: a larger existing reservation
              is lowered, and --pages 0 releases the pages.
  --node N    reserve on NUMA node N only; other nodes are left unchanged.
              Default: every node under /sys/devices/system/node, or the
              system-wide pool (/sys/kernel/mm/hugepages) without NUMA sysfs.
  --status    print current hugepage/mount state and change nothing.
  --help      show this help.

hugetlbfs is mounted at $DEFAULT_MOUNT unless one is already mounted somewhere.
Exits non-zero if the kernel grants fewer pages than asked.
EOF
}

die() { echo "$PROG: error: $*" >&2; exit 1; }

is_uint() { [[ $1 =~ ^[0-9]+$ ]]; }

# Print "path" lines of the nr_hugepages files we manage (one per node).
nr_files() {
    local node=$1 d found=0
    if [[ -n $node ]]; then
        d=/sys/devices/system/node/node$node/hugepages/hugepages-${PAGE_KB}kB
        [[ -e $d/nr_hugepages ]] || die "NUMA node $node has no 2 MB hugepage pool ($d); see: ls /sys/devices/system/node"
        echo "$d/nr_hugepages"
        return
    fi
    for d in /sys/devices/system/node/node[0-9]*; do
        d=$d/hugepages/hugepages-${PAGE_KB}kB
        if [[ -e $d/nr_hugepages ]]; then echo "$d/nr_hugepages"; found=1; fi
    done
    # No NUMA sysfs (or no per-node pools): use the system-wide knob.
    if [[ $found -eq 0 ]]; then
        [[ -e $GLOBAL_NR ]] || die "kernel has no 2 MB hugepage support ($GLOBAL_NR missing)"
        echo "$GLOBAL_NR"
    fi
}

# Human label for an nr_hugepages file: "node0" or "system".
label() {
    if [[ $1 =~ /node/(node[0-9]+)/ ]]; then echo "${BASH_REMATCH[1]}"; else echo system; fi
}

# Mount points of every hugetlbfs currently mounted (one per line).
hugetlbfs_mounts() { awk '$3 == "hugetlbfs" { print $2 }' /proc/mounts; }

status() {
    local f mounts
    echo "2 MB hugepages:"
    while read -r f; do
        printf '  %-7s %s pages (free %s)\n' "$(label "$f")" "$(cat "$f")" \
            "$(cat "${f%/nr_hugepages}/free_hugepages")"
    done < <(nr_files "")
    mounts=$(hugetlbfs_mounts)
    if [[ -n $mounts ]]; then
        echo "hugetlbfs mounted at: $(paste -sd' ' <<<"$mounts")"
    else
        echo "hugetlbfs: not mounted"
    fi
    grep '^HugePages_' /proc/meminfo | sed 's/^/  /'
}

pages=${HUGEPAGES:-1024}
node=""
do_status=0
while [[ $# -gt 0 ]]; do
    case $1 in
        --pages) [[ $# -ge 2 ]] || die "--pages needs a number"; pages=$2; shift 2 ;;
        --pages=*) pages=${1#*=}; shift ;;
        --node) [[ $# -ge 2 ]] || die "--node needs a number"; node=$2; shift 2 ;;
        --node=*) node=${1#*=}; shift ;;
        --status) do_status=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) die "unknown argument '$1'; see $PROG --help" ;;
    esac
done
is_uint "$pages" || die "page count must be a non-negative integer, got '$pages'"
[[ -z $node ]] || is_uint "$node" || die "--node must be a node number, got '$node'"

if [[ $do_status -eq 1 ]]; then
    status
    exit 0
fi

[[ $EUID -eq 0 ]] || die "run as root: sudo $0"

# Resolve the target files up front so a bad --node fails before any change.
mapfile -t files < <(nr_files "$node")
[[ ${#files[@]} -gt 0 ]] || exit 1   # nr_files already printed why

# Compacting memory first makes it likelier the kernel finds contiguous 2 MB
# blocks; it is harmless if it does nothing.
if [[ -w /proc/sys/vm/compact_memory ]]; then
    echo 1 > /proc/sys/vm/compact_memory 2>/dev/null || true
fi

short=0
for f in "${files[@]}"; do
    echo "$pages" > "$f" || die "cannot write $f"
    got=$(cat "$f")   # the kernel may silently grant fewer than written
    is_uint "$got" || die "unexpected value '$got' in $f"
    if [[ $got -lt $pages ]]; then
        echo "$PROG: $(label "$f"): kernel granted $got of $pages 2 MB pages" >&2
        short=1
    fi
done

# Mount hugetlbfs only when none exists: DPDK finds any hugetlbfs mount,
# and a second mount would just be clutter.
mounts=$(hugetlbfs_mounts)
if [[ -n $mounts ]]; then
    echo "hugetlbfs already mounted at: $(paste -sd' ' <<<"$mounts")"
else
    mkdir -p "$DEFAULT_MOUNT"
    mount -t hugetlbfs -o pagesize=2M nodev "$DEFAULT_MOUNT" \
        || die "could not mount hugetlbfs at $DEFAULT_MOUNT"
    echo "mounted hugetlbfs at $DEFAULT_MOUNT"
fi

status

if [[ $short -ne 0 ]]; then
    die "not enough contiguous free memory for the hugepages asked for; free memory (stop other programs, 'echo 3 > /proc/sys/vm/drop_caches'), ask for fewer (--pages N), or reserve at boot with 'hugepages=N' on the kernel command line and reboot"
fi
echo "hugepages ready: $pages x 2 MB per node on ${#files[@]} pool(s)"
