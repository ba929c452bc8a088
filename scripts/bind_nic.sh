#!/usr/bin/env bash
# bind_nic.sh - hand a NIC from its kernel driver to a DPDK-capable driver
# (vfio-pci or uio_pci_generic) for the l2echo server, and give it back with
# --restore. The original driver, interface name, addresses and default routes
# are saved under /run/l2echo-bind so --restore can put them back.
set -euo pipefail
# modprobe lives in sbin, which a user's PATH (kept by sudo -E or env) may lack.
export PATH="/usr/local/sbin:/usr/sbin:/sbin:$PATH"

PROG=${0##*/}
STATE_DIR=${BIND_NIC_STATE_DIR:-/run/l2echo-bind}
PCI_RE='^([0-9a-fA-F]{4}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]$'
DPDK_DRIVERS=" vfio-pci uio_pci_generic igb_uio "

usage() {
    cat <<EOF
Usage: $PROG [--driver vfio-pci|uio_pci_generic] [--force] [--dry-run] [IFACE|PCI_ADDR]
       $PROG --restore [--dry-run] [IFACE|PCI_ADDR]
       $PROG --help

Bind a NIC to a DPDK driver. Without IFACE/PCI_ADDR the first network device
driven by virtio-pci is used. PCI addresses may be short (00:03.0) or full.

  --driver D  vfio-pci or uio_pci_generic. Default: vfio-pci if an IOMMU is
              present, else uio_pci_generic. vfio-pci without an IOMMU is
              enabled in unsafe no-IOMMU mode.
  --force     allow binding the interface that carries the default route
              (this cuts off remote sessions; run it from the VM console), or
              a PCI device that is not a network controller.
  --dry-run   print the commands (prefixed '+ ') and change nothing.
  --restore   give the device back to its kernel driver, bring the link up and
              re-add saved addresses/routes. No device: restore every device
              with a state file in $STATE_DIR.
EOF
}

die() { echo "$PROG: error: $*" >&2; exit 1; }
note() { echo "$PROG: $*"; }

# Run a command, or just show it in --dry-run mode.
run() {
    if [[ $DRY -eq 1 ]]; then printf '+'; printf ' %q' "$@"; echo; else "$@"; fi
}
# Write a value to a (sysfs) file, or show it in --dry-run mode.
write_to() {
    if [[ $DRY -eq 1 ]]; then echo "+ echo $1 > $2"; else echo "$1" > "$2"; fi
}

pci_dir() { echo "/sys/bus/pci/devices/$1"; }
cur_driver() { local l; l=$(readlink "$(pci_dir "$1")/driver" 2>/dev/null) && echo "${l##*/}"; true; }

# Kernel interface name of a PCI device (virtio NICs hang it off virtioN/).
pci_iface() {
    local n
    for n in "$(pci_dir "$1")"/net/* "$(pci_dir "$1")"/virtio*/net/*; do
        [[ -e $n ]] && { echo "${n##*/}"; return; }
    done
    true
}

# IFACE or PCI address -> full PCI address. $2=1 also looks in state files,
# because a DPDK-bound device no longer has an interface.
resolve() {
    local arg=$1 p f
    if [[ $arg =~ $PCI_RE ]]; then
        p=${arg,,}; [[ ${#p} -eq 7 ]] && p=0000:$p
        [[ -d $(pci_dir "$p") ]] || die "no PCI device $p; see: $DEVBIND --status-dev net"
        echo "$p"; return
    fi
    if [[ -e /sys/class/net/$arg ]]; then
        [[ -e /sys/class/net/$arg/device ]] || die "$arg is not a PCI device (virtual interface?); pass a NIC name or PCI address"
        # Walk up from the device link to the PCI function (skips virtioN).
        p=$(readlink -f "/sys/class/net/$arg/device")
        while [[ $p == /sys/devices/* && ! ${p##*/} =~ $PCI_RE ]]; do p=${p%/*}; done
        [[ ${p##*/} =~ $PCI_RE ]] || die "$arg is not on the PCI bus; pass a PCI address"
        echo "${p##*/}"; return
    fi
    if [[ ${2:-0} -eq 1 ]]; then
        for f in "$STATE_DIR"/*.state; do
            [[ -e $f ]] && grep -qx "iface=$arg" "$f" && { f=${f##*/}; echo "${f%.state}"; return; }
        done
    fi
    die "no interface or PCI device '$arg'; see: $DEVBIND --status-dev net"
}

# First network-class (0x0200xx) PCI device bound to virtio-pci.
find_virtio() {
    local d
    for d in /sys/bus/pci/devices/*; do
        [[ $(cat "$d/class" 2>/dev/null) == 0x0200* ]] || continue
        [[ $(cur_driver "${d##*/}") == virtio-pci ]] && { echo "${d##*/}"; return; }
    done
    true
}

# True if IFACE appears as "dev IFACE" in a default route (v4 or v6, incl. nexthops).
on_default_route() {
    { ip -4 route show default; ip -6 route show default; } 2>/dev/null \
        | awk -v ifc="$1" '{ for (i = 1; i < NF; i++) if ($i == "dev" && $(i+1) == ifc) f = 1 } END { exit !f }'
}

show_status() { echo; "$DEVBIND" --status-dev net || true; }

do_bind() {
    local pci=$1 ifc drv cur state
    ifc=$(pci_iface "$pci"); cur=$(cur_driver "$pci")
    # Safety first: nothing has been changed yet.
    if [[ -n $ifc ]] && on_default_route "$ifc" && [[ $FORCE -eq 0 ]]; then
        die "$ifc ($pci) carries the default route; binding it would cut this machine (and your SSH session) off the network. Run from the VM console with --force if you really mean it"
    fi
    # A wrong address could otherwise hand the root disk (also virtio-pci) to DPDK.
    if [[ $(cat "$(pci_dir "$pci")/class") != 0x02* && $FORCE -eq 0 ]]; then
        die "$pci is not a network device (class $(cat "$(pci_dir "$pci")/class")); check the address with: $DEVBIND --status"
    fi
    drv=$DRIVER
    if [[ -z $drv ]]; then
        if [[ -n $(ls -A /sys/kernel/iommu_groups 2>/dev/null) ]]; then drv=vfio-pci; else drv=uio_pci_generic; fi
    fi
    if [[ $cur == "$drv" ]]; then note "$pci is already bound to $drv"; show_status; return; fi

    # Load the driver before touching the link, so a missing module leaves the NIC alone.
    if [[ $drv == vfio-pci && -z $(ls -A /sys/kernel/iommu_groups 2>/dev/null) ]]; then
        note "warning: no IOMMU; using vfio-pci in unsafe no-IOMMU mode"
        run modprobe vfio enable_unsafe_noiommu_mode=1 || true
        # The module may already be loaded, in which case the option above was ignored.
        [[ $DRY -eq 1 || -w /sys/module/vfio/parameters/enable_unsafe_noiommu_mode ]] \
            || die "this kernel's vfio has no no-IOMMU mode (or vfio is missing); use --driver uio_pci_generic"
        write_to 1 /sys/module/vfio/parameters/enable_unsafe_noiommu_mode
    fi
    run modprobe "$drv" || note "modprobe $drv failed; continuing in case it is built in"
    [[ $DRY -eq 1 || -d /sys/bus/pci/drivers/$drv ]] || die "driver $drv is not available; install the kernel module (e.g. linux-modules-extra) or pick --driver"

    # Remember how to undo this, unless the device is already on a DPDK driver
    # (then an existing state file describes the real kernel setup).
    state=$STATE_DIR/$pci.state
    if [[ -n $cur && $DPDK_DRIVERS != *" $cur "* ]]; then
        local content
        content="driver=$cur"$'\n'"iface=$ifc"
        if [[ -n $ifc ]]; then
            if [[ $(ip -o link show dev "$ifc") =~ [\<,]UP[,\>] ]]; then content+=$'\nup=1'; else content+=$'\nup=0'; fi
            content+=$(ip -o addr show dev "$ifc" | awk '$3 == "inet" || ($3 == "inet6" && $0 ~ / scope global /) { printf "\naddr=%s", $4 }')
            content+=$({ ip -4 route show default dev "$ifc"; ip -6 route show default dev "$ifc"; } 2>/dev/null \
                | awk '{ for (i = 1; i < NF; i++) if ($i == "via") printf "\nroute=%s", $(i+1) }')
        fi
        if [[ $DRY -eq 1 ]]; then
            echo "+ save state to $state:"; echo "+   ${content//$'\n'/$'\n'+   }"
        else
            mkdir -p "$STATE_DIR"; printf '%s\n' "$content" > "$state"
        fi
    fi

    [[ -n $ifc ]] && run ip link set dev "$ifc" down
    local fflag=(); [[ $FORCE -eq 1 ]] && fflag=(--force)
    run "$DEVBIND" "${fflag[@]}" --bind="$drv" "$pci"
    # dpdk-devbind.py can print an error yet exit 0, so check the result ourselves.
    if [[ $DRY -eq 0 && $(cur_driver "$pci") != "$drv" ]]; then
        show_status; die "binding $pci to $drv failed (see messages above); undo with: $PROG --restore $pci"
    fi
    if [[ $DRY -eq 1 ]]; then note "dry run: nothing changed"; else note "$pci${ifc:+ ($ifc)} bound to $drv; undo with: $PROG --restore $pci"; fi
    show_status
}

do_restore() {
    local pci=$1 state=$STATE_DIR/$1.state drv="" ifc="" up=1 key val i new
    local addrs=() routes=()
    if [[ -f $state ]]; then
        while IFS='=' read -r key val; do
            case $key in
                driver) drv=$val ;; iface) ifc=$val ;; up) up=$val ;;
                addr) addrs+=("$val") ;; route) routes+=("$val") ;;
            esac
        done < "$state"
    else
        # No saved state: take the first non-DPDK module from devbind's unused= field.
        for val in $("$DEVBIND" --status-dev net | awk -v p="$pci" '$1 == p { for (i = 1; i <= NF; i++) if ($i ~ /^unused=/) { sub(/^unused=/, "", $i); gsub(/,/, " ", $i); print $i } }'); do
            [[ $DPDK_DRIVERS == *" $val "* ]] || { drv=$val; break; }
        done
        drv=${drv:-virtio-pci}
        # lspci reports module names (virtio_pci); sysfs wants driver names (virtio-pci).
        [[ -d /sys/bus/pci/drivers/$drv || ! -d /sys/bus/pci/drivers/${drv//_/-} ]] || drv=${drv//_/-}
        note "no state file for $pci; restoring to $drv"
    fi

    if [[ $(cur_driver "$pci") == "$drv" ]]; then
        note "$pci is already bound to $drv"
    else
        run modprobe "$drv" 2>/dev/null || true
        run "$DEVBIND" --bind="$drv" "$pci"
    fi

    # The interface comes back asynchronously; its name may differ after udev renaming.
    if [[ $DRY -eq 1 ]]; then
        ifc=${ifc:-$(pci_iface "$pci")}
    else
        for ((i = 0; i < 50; i++)); do
            new=$(pci_iface "$pci"); [[ -n $new ]] && break; sleep 0.1
        done
        [[ -n $new ]] || { show_status; die "$pci has no network interface after binding to $drv; check dmesg"; }
        [[ -z $ifc || $new == "$ifc" ]] || note "interface came back as $new (was $ifc)"
        ifc=$new
    fi
    if [[ -n $ifc ]]; then
        [[ $up == 1 ]] && run ip link set dev "$ifc" up
        for val in "${addrs[@]}"; do
            # 'replace' so that addresses already re-added (e.g. by DHCP) are not an error.
            if [[ $val == *:* ]]; then run ip addr replace "$val" dev "$ifc"; else run ip addr replace "$val" brd + dev "$ifc"; fi
        done
        for val in "${routes[@]}"; do
            run ip route replace default via "$val" dev "$ifc" || note "could not restore default route via $val"
        done
    fi
    [[ $DRY -eq 1 ]] || rm -f "$state"
    if [[ $DRY -eq 1 ]]; then note "dry run: nothing changed"; else note "$pci${ifc:+ ($ifc)} restored to $drv"; fi
}

DRIVER="" FORCE=0 DRY=0 RESTORE=0 DEV=""
while [[ $# -gt 0 ]]; do
    case $1 in
        --driver) [[ $# -ge 2 ]] || die "--driver needs vfio-pci or uio_pci_generic"; DRIVER=$2; shift 2 ;;
        --driver=*) DRIVER=${1#*=}; shift ;;
        --force) FORCE=1; shift ;;
        --dry-run|-n) DRY=1; shift ;;
        --restore) RESTORE=1; shift ;;
        -h|--help) usage; exit 0 ;;
        -*) die "unknown option '$1'; see $PROG --help" ;;
        *) [[ -z $DEV ]] || die "only one device may be given"; DEV=$1; shift ;;
    esac
done
case $DRIVER in ""|vfio-pci|uio_pci_generic) ;; *) die "--driver must be vfio-pci or uio_pci_generic, not '$DRIVER'" ;; esac
[[ $RESTORE -eq 0 || ( -z $DRIVER && $FORCE -eq 0 ) ]] || die "--restore takes only --dry-run and a device"
[[ $DRY -eq 1 || $EUID -eq 0 ]] || die "run as root: sudo $0 (or use --dry-run)"

DEVBIND=$(command -v dpdk-devbind.py || command -v dpdk-devbind || true)
[[ -n $DEVBIND ]] || die "dpdk-devbind.py not found on PATH; install it with: apt-get install dpdk"

if [[ $RESTORE -eq 1 ]]; then
    if [[ -n $DEV ]]; then
        PCI=$(resolve "$DEV" 1)   # separate assignment so a failed lookup stops here
        do_restore "$PCI"
    else
        shopt -s nullglob
        states=("$STATE_DIR"/*.state)
        [[ ${#states[@]} -gt 0 ]] || { show_status; die "nothing to restore: no state files in $STATE_DIR; pass an interface or PCI address"; }
        for s in "${states[@]}"; do s=${s##*/}; do_restore "${s%.state}"; done
    fi
    show_status
    exit 0
fi

if [[ -n $DEV ]]; then
    PCI=$(resolve "$DEV")
else
    PCI=$(find_virtio)
    [[ -n $PCI ]] || { show_status; die "no virtio-pci network device found; pass an interface name or PCI address from the list above"; }
    note "using first virtio-pci NIC: $PCI"
fi
do_bind "$PCI"
