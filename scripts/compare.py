#!/usr/bin/env python3
"""make compare: what bypassing the kernel buys, on this machine.

The same probes, ICMP echo requests from l2_load (--expect icmp: every reply
checked in full, every round trip timed), answered by every echo a user
could pick, one at a time, in a row each:

  kernel     the kernel's own ICMP echo (what ping measures), on a veth
  udp        a UDP echo over the kernel's sockets, udp_echo (recvmmsg,
             sendmmsg, one pinned thread, SO_BUSY_POLL 50 us), answering
             l2_load's UDP probes instead (--expect udp); the veth's checksum
             offload off, so the kernel computes what a NIC would
  xdp        the XDP paper's forwarding program (xdp_echo): each frame's
             Ethernet addresses swapped and sent back (XDP_TX) in the veth's
             driver, answering l2_load's raw L2 probes (--expect swap)
  af_xdp_l2  l2_echo --mode swap on net_af_xdp: the same L2 probes, the
             paper's DPDK counterpart
  af_packet  l2_echo --mode icmp on net_af_packet, on the same veth
  af_xdp     l2_echo --mode icmp on net_af_xdp (the kernel's driver, none
             of its stack), on the same veth
  memif      l2_echo --mode icmp over memif: no kernel at all, the floor

The echo side runs on CPU 1 (the kernel's receive work there too, by RPS),
l2_load on CPU 0 (with the peer side's receive work), in namespaces of their
own. l2_load drives the veth rows through net_af_packet on the other end of
the pair, the same in every row, so the rows differ in the echo alone.

Per row, as in the XDP paper's latency table (Høiland-Jørgensen et al.,
CoNEXT 2018): the round trip at 100 pps for SECS seconds (average, p50, p99,
p99.9, max, share under 10 us), the zero-loss throughput (RFC 2544, l2_load
--search from TOP pps down) and the round trip at that rate, and the CPU each
side used at 100 pps (from /proc/stat). The table goes to stdout, all of it
as JSON to target/compare/, and a picture beside it (l2_plot): the round
trips at 100 pps by percentile, a line per row, and the zero-loss
throughput, a bar per row.

make compare-vm (scripts/vm_test.sh --compare) runs this inside a QEMU
guest, the original's setting, with the rows the guest brings up in turn on
its virtio NIC (scripts/vm/guest.sh compare), l2_load on the host's side of
the tap: vm_kernel (the guest's kernel), vm_xdp (xdp_echo in the guest),
vm_l2_echo (l2_echo --mode icmp after bind_nic.sh). Under TCG the round
trips time the emulator: the table then gives what each row answered, not
its figures.

ROWS=kernel,memif picks rows; SECS (default 10; the paper: 50), TOP (default
1000000), QUICK=1 (2 s, short trials: checks the script end to end).
"""

import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import BIN, HERE, TOP as REPO, meminfo, platform_line, start, stop  # noqa: E402

QUICK = os.environ.get("QUICK", "0") not in ("", "0")
SECS = float(os.environ.get("SECS", "2" if QUICK else "10"))
TOP_PPS = int(os.environ.get("TOP", "1000000"))
TRIAL = "0.2" if QUICK else "1"
ALL_ROWS = ("kernel", "udp", "xdp", "af_xdp_l2", "af_packet", "af_xdp", "memif")
# make compare-vm's (scripts/vm_test.sh --compare), inside a QEMU guest.
VM_ROWS = ("vm_kernel", "vm_xdp", "vm_l2_echo")
# The probes each row answers (--expect); the rest answer ICMP.
PROBES = {"udp": "udp", "xdp": "swap", "af_xdp_l2": "swap", "vm_xdp": "swap"}
TAG = f"l2cmp{os.getpid()}"
ECHO_IP, PEER_IP = "10.77.0.2", "10.77.0.1"
# Set by vm_test.sh --compare: the guest's exchange directory, the host's
# side of its NIC, and how QEMU runs it (kvm, or tcg: no timings).
VM = {k[3:].lower(): v for k, v in os.environ.items() if k.startswith("VM_")}
if VM:
    ECHO_IP, PEER_IP = VM["guest_ip"], VM["host_ip"]
TIMINGS = VM.get("accel", "host") != "tcg"
MEMIF_ECHO_MAC, MEMIF_LOAD_MAC = "02:00:00:00:00:e1", "02:00:00:00:00:10"
EAL = ["--no-pci", "--huge-unlink", "--no-telemetry"]
ECHO_CPU, LOAD_CPU = 1, 0


def sh(*cmd):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


class Veth:
    """Two namespaces joined by a veth pair, no IPv6 chatter; each side's
    receive work on its own CPU (RPS); the peer owns PEER_IP, so a kernel
    echo finds l2_load's MAC by ARP. Removed on exit."""

    def __enter__(self):
        self.echo_ns, self.peer_ns = f"{TAG}e", f"{TAG}p"
        sh("ip", "netns", "add", self.echo_ns)
        sh("ip", "netns", "add", self.peer_ns)
        sh("ip", "link", "add", "veth-echo", "netns", self.echo_ns, "type", "veth", "peer", "name", "veth-peer",
           "netns", self.peer_ns)
        for ns, dev, cpu in ((self.echo_ns, "veth-echo", ECHO_CPU), (self.peer_ns, "veth-peer", LOAD_CPU)):
            sh("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
            sh("ip", "-n", ns, "link", "set", dev, "up")
            sh("ip", "netns", "exec", ns, "sh", "-c",
               f"echo {1 << cpu:x} > /sys/class/net/{dev}/queues/rx-0/rps_cpus")
        sh("ip", "-n", self.peer_ns, "addr", "add", f"{PEER_IP}/24", "dev", "veth-peer")
        self.echo_mac = subprocess.run(["ip", "netns", "exec", self.echo_ns, "cat",
                                        "/sys/class/net/veth-echo/address"],
                                       capture_output=True, text=True, check=True).stdout.strip()
        return self

    def __exit__(self, *exc):
        for ns in (self.echo_ns, self.peer_ns):
            subprocess.run(["ip", "netns", "del", ns], stderr=subprocess.DEVNULL)


def l2_echo(vdev, ns=None, mode=("--mode", "icmp", "--ip", ECHO_IP)):
    """l2_echo on ECHO_CPU (--mode icmp for ECHO_IP unless told); once it polls."""
    cmd = ["taskset", "-c", str(ECHO_CPU), os.path.join(BIN, "l2_echo"), "--lcores", f"0@{ECHO_CPU}", *EAL,
           "--file-prefix", f"{TAG}e", "--vdev", vdev, "--", *mode]
    return started(start(cmd, ns), "echoing port", f"l2_echo on {vdev}")


def xdp_echo(ns, dev, program):
    """xdp_echo's `program` on `dev` in `ns`; once it is attached."""
    proc = start([os.path.join(BIN, "xdp_echo"), "--interface", dev, "--program", program], ns)
    return started(proc, f" on {dev} ", f"xdp_echo --program {program} on {dev}")


def started(proc, says, what):
    """`proc` once its output `says` so; exits naming `what` if it ended instead."""
    for _ in range(100):
        proc[1].seek(0)
        if says in proc[1].read() or proc[0].poll() is not None:
            break
        time.sleep(0.1)
    if proc[0].poll() is not None:
        sys.exit(f"compare: {what} did not start:\n{stop(*proc)}")
    return proc


@contextlib.contextmanager
def vm_row(row):
    """A row the guest brings up (scripts/vm/guest.sh compare): waits for
    its g.ROW-ready, yields the tap's side, then tells it h.ROW-done."""
    exchange = VM["exchange"]
    deadline = time.monotonic() + float(VM["step_secs"])
    while not os.path.exists(os.path.join(exchange, f"g.{row}-ready")):
        if os.path.exists(os.path.join(exchange, "g.abort")):
            sys.exit(f"compare: the guest gave up before {row}: {open(os.path.join(exchange, 'g.abort')).read().strip()}")
        if time.monotonic() > deadline:
            sys.exit(f"compare: the guest did not bring {row} up within {VM['step_secs']} s")
        time.sleep(0.2)
    try:
        yield VM["ns"], f"net_af_packet0,iface={VM['tap']}", VM["guest_mac"]
    finally:
        with open(os.path.join(exchange, f"h.{row}-done"), "w") as f:
            f.write("\n")


@contextlib.contextmanager
def row_setup(row):
    """Sets up `row`'s echo; yields how l2_load reaches it (netns, vdev, MAC)."""
    if row in VM_ROWS:
        with vm_row(row) as reach:
            yield reach
        return
    if row == "udp":
        with Veth() as net:
            sh("ip", "-n", net.echo_ns, "addr", "add", f"{ECHO_IP}/24", "dev", "veth-echo")
            sh("ip", "netns", "exec", net.echo_ns, "ethtool", "-K", "veth-echo", "tx", "off")
            echo = start([os.path.join(BIN, "udp_echo"), "--cpu", str(ECHO_CPU), "--busy-poll", "50"],
                         net.echo_ns)
            time.sleep(0.5)
            try:
                yield net.peer_ns, "net_af_packet0,iface=veth-peer", net.echo_mac
            finally:
                ECHO_SUMMARIES.append(stop(*echo).strip().splitlines()[-1])
        return
    if row == "memif":
        with tempfile.TemporaryDirectory() as d:
            vdev = lambda role, mac: f"net_memif0,role={role},socket={d}/memif.sock,socket-abstract=no,mac={mac}"
            echo = l2_echo(vdev("server", MEMIF_ECHO_MAC))
            try:
                yield None, vdev("client", MEMIF_LOAD_MAC), MEMIF_ECHO_MAC
            finally:
                ECHO_SUMMARIES.append(summary_line(stop(*echo)))
        return
    with Veth() as net:
        echo = None
        if row == "kernel":
            sh("ip", "-n", net.echo_ns, "addr", "add", f"{ECHO_IP}/24", "dev", "veth-echo")
        elif row == "xdp":
            echo = xdp_echo(net.echo_ns, "veth-echo", "swap")
            # XDP_TX to a veth reaches the other end only if that end runs XDP too.
            peer_pass = xdp_echo(net.peer_ns, "veth-peer", "pass")
        elif row == "af_xdp_l2":
            echo = l2_echo("net_af_xdp0,iface=veth-echo", net.echo_ns, ("--mode", "swap"))
        else:
            driver = {"af_packet": "net_af_packet0", "af_xdp": "net_af_xdp0"}[row]
            echo = l2_echo(f"{driver},iface=veth-echo", net.echo_ns)
        try:
            yield net.peer_ns, "net_af_packet0,iface=veth-peer", net.echo_mac
        finally:
            if row == "xdp":
                stop(*peer_pass)
            if echo:
                ECHO_SUMMARIES.append(summary_line(stop(*echo)))


# What each l2_echo said of its run, printed under its row.
ECHO_SUMMARIES = []


def summary_line(text):
    """The line of an echo's output that sums its run up."""
    for line in map(str.strip, text.splitlines()):
        if line.startswith("echo:"):
            return "l2_echo " + line
        if line.startswith("xdp_echo: detached"):
            return line
    return text.strip()[-300:]


def cpu_ticks():
    """(busy, total) jiffies per CPU, from /proc/stat."""
    ticks = {}
    with open("/proc/stat") as f:
        for line in f:
            name, *values = line.split()
            if name.startswith("cpu") and name != "cpu":
                v = [int(x) for x in values]
                ticks[int(name[3:])] = (sum(v) - v[3] - v[4], sum(v))  # idle, iowait
    return ticks


def busy_pct(before, after, cpu):
    busy, total = (after[cpu][i] - before[cpu][i] for i in (0, 1))
    return 100.0 * busy / total if total else 0.0


def l2_load(ns, vdev, dst, args, timeout):
    """l2_load on LOAD_CPU, probes to ECHO_IP; its JSON report."""
    cmd = ["taskset", "-c", str(LOAD_CPU), os.path.join(BIN, "l2_load"), "--lcores", f"0@{LOAD_CPU}", *EAL,
           "--file-prefix", f"{TAG}l", "--vdev", vdev, "--", "--dst", dst, "--src-ip", PEER_IP,
           "--dst-ip", ECHO_IP, "--json", *args]
    if ns:
        cmd = ["ip", "netns", "exec", ns] + cmd
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    line = next((l for l in done.stdout.splitlines() if l.startswith("{")), None)
    if line is None:
        sys.exit(f"compare: l2_load reported nothing:\n{done.stdout}\n{done.stderr}")
    return json.loads(line)


def latency(trial):
    """The paper's columns from a trial's report (us; share in %)."""
    rtt = trial.get("rtt_ns")
    if not rtt:
        return None
    us = lambda ns: ns / 1000.0
    return {"avg": us(rtt["mean"]), "p50": us(rtt["p50"]), "p99": us(rtt["p99"]), "p999": us(rtt["p999"]),
            "max": us(rtt["max"]), "under_10us_pct": 100.0 * rtt["under_10us"] / trial["good"],
            "sent": trial["sent"], "good": trial["good"], "lost": trial["lost"], "bad": trial["bad"],
            "late": trial["late"], "distribution": trial["distribution"]}


def measure(row):
    ECHO_SUMMARIES.clear()
    probes = ["--expect", PROBES.get(row, "icmp")]
    with row_setup(row) as (ns, vdev, dst):
        before = cpu_ticks()
        low = l2_load(ns, vdev, dst, [*probes, "--rate", "100", "--duration", str(SECS)], SECS + 120)
        after = cpu_ticks()
        search = l2_load(ns, vdev, dst, [*probes, "--search", "--rate", str(TOP_PPS), "--trial", TRIAL,
                                         "--resolution", "5", "--timeout", "0.2"], 900)["search"][0]
    at_top = next((l for l in search["latency"] if l["load_pct"] == 100), None)
    result = {"row": row, "at_100pps": latency(low), "throughput_pps": search["throughput_pps"],
              "at_throughput": latency(at_top) if at_top else None,
              "cpu_pct_at_100pps": {"echo": busy_pct(before, after, ECHO_CPU),
                                    "l2_load": busy_pct(before, after, LOAD_CPU)}}
    low, top = result["at_100pps"] or {}, result["at_throughput"] or {}
    print(f"  {row}: at 100 pps {low.get('good', 0)} of {low.get('sent', 0)} good, zero-loss "
          f"{result['throughput_pps']} pps{''.join('; ' + s for s in ECHO_SUMMARIES)}", flush=True)
    return result


def cells(lat):
    if not lat:
        return "  (no good replies)" + " " * 33
    return (f"{lat['avg']:>7.1f} {lat['p50']:>7.1f} {lat['p99']:>7.1f} {lat['p999']:>7.1f} {lat['max']:>8.1f} "
            f"{lat['under_10us_pct']:>5.1f}%")


def counts(lat):
    return f"{lat['good']} of {lat['sent']} good, {lat['bad']} bad, {lat['late']} late, {lat['lost']} lost" if lat else "none"


def print_table(results):
    if not TIMINGS:
        print(f"\n  QEMU ran the guest under TCG (no KVM here): its CPU is emulated, so round trips and rates")
        print("  would time the emulator, not these paths. What each row answered, every reply checked in full")
        print("  (the figures are in the JSON, marked \"timings\": false):")
        for r in results:
            print(f"  {r['row']:<10} | at 100 pps: {counts(r['at_100pps'])} | at its zero-loss rate: "
                  f"{counts(r['at_throughput'])}")
        return
    head = f"{'avg':>7} {'p50':>7} {'p99':>7} {'p99.9':>7} {'max':>8} {'<10us':>6}"
    print(f"\n  round trips in us; CPU busy at 100 pps (echo CPU {ECHO_CPU} / l2_load CPU {LOAD_CPU})")
    print(f"  {'row':<10} | at 100 pps: {head} | zero-loss pps | at it: {head} | CPU")
    for r in results:
        cpu = r["cpu_pct_at_100pps"]
        # A guest's work runs on whichever host CPU its vCPU thread is on.
        cpu = "n/a (a guest)" if VM else f"{cpu['echo']:>3.0f}% / {cpu['l2_load']:>3.0f}%"
        print(f"  {r['row']:<10} |             {cells(r['at_100pps'])} | {r['throughput_pps']:>13} |"
              f"        {cells(r['at_throughput'])} | {cpu}")
    print("  the paper's (100 pps, 1 Mpps; one 100 Gbps NIC, no veth): XDP avg 82 / 7 us, DPDK 2 / 3 us; "
          "max 272 / 202, 161 / 189 us; under 10 us 0% / 98.1%, 99.5% / 99.0%")


def markdown(results):
    """The table as docs/bypass.md shows it (timings only)."""
    f = lambda v: f"{v:.1f}"
    lat = lambda l: [f(l["avg"]), f(l["p50"]), f(l["p99"]), f(l["p999"]), f(l["max"]), f"{l['under_10us_pct']:.1f}%"] \
        if l else ["-"] * 6
    lines = ["| row | avg | p50 | p99 | p99.9 | max | <10us | zero-loss pps | avg at it | p50 at it | p99 at it | "
             "max at it | <10us at it | echo CPU |", "|" + "---|" * 14]
    for r in results:
        top = lat(r["at_throughput"])
        cells = [f"`{r['row']}`", *lat(r["at_100pps"]), f"{r['throughput_pps']:,}", *top[:3], top[4], top[5],
                 f"{r['cpu_pct_at_100pps']['echo']:.0f}%"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def draw(results, stem):
    """The rows on one picture (l2_plot): round trips at 100 pps by
    percentile, a line per row, and zero-loss throughput, a bar per row."""
    spec = {"series": [{"label": f"{r['row']} at 100 pps", "points": r["at_100pps"]["distribution"]}
                       for r in results if r["at_100pps"]],
            "throughput": [{"label": r["row"], "pps": r["throughput_pps"]} for r in results]}
    if not TIMINGS:
        return "none: under TCG the round trips are not timings"
    if not spec["series"]:
        return "none: no row had good replies at 100 pps"
    with open(f"{stem}-plot.json", "w") as f:
        json.dump(spec, f)
    subprocess.run([os.path.join(BIN, "l2_plot"), f"{stem}-plot.json", f"{stem}.svg"], check=True)
    return f"{stem}.svg"


def main():
    if os.geteuid() != 0:
        sys.exit("compare: run as root (sudo make compare): it uses hugepages and network namespaces")
    offered = VM_ROWS if VM else ALL_ROWS
    rows = [r for r in os.environ.get("ROWS", ",".join(offered)).split(",") if r]
    unknown = [r for r in rows if r not in offered]
    if unknown:
        also = "" if VM else f" (make compare-vm runs {','.join(VM_ROWS)})"
        sys.exit(f"compare: unknown row(s) {', '.join(unknown)} in ROWS: pick from {','.join(offered)}{also}")
    for b in ("l2_echo", "l2_load", "l2_plot", "udp_echo", "xdp_echo"):
        if not os.access(os.path.join(BIN, b), os.X_OK):
            sys.exit(f"compare: {BIN}/{b} missing: run make first")
    if os.cpu_count() < 2:
        sys.exit("compare: needs 2 CPUs at least (the echo and l2_load each take one)")
    if meminfo("HugePages_Free") < 512:
        subprocess.run([os.path.join(HERE, "setup_env.sh")], check=True, stdout=subprocess.DEVNULL)
    where = f"in a QEMU {VM['arch']} guest ({VM['accel'].upper()}) on its virtio NIC, from the host's tap; " if VM else ""
    others = "; ".join(f"{r}: {'UDP' if PROBES[r] == 'udp' else 'L2 swap'}" for r in rows if r in PROBES)
    print(f"make compare{'-vm' if VM else ''}{' QUICK=1' if QUICK else ''}: {where}ICMP echo{f' ({others})' if others else ''} at 100 pps for {SECS:g} s and a zero-loss search "
          f"from {TOP_PPS} pps; {os.cpu_count()} CPUs, {platform_line()}, kernel {os.uname().release}")
    results = [measure(row) for row in rows]
    print_table(results)
    out_dir = os.path.join(REPO, "target", "compare")
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, time.strftime(f"compare{'-vm' if VM else ''}-%Y%m%d-%H%M%S.json"))
    with open(path, "w") as f:
        json.dump({"quick": QUICK, "secs": SECS, "top_pps": TOP_PPS, "machine": platform_line(), "timings": TIMINGS,
                   "vm": {"arch": VM["arch"], "accel": VM["accel"]} if VM else None,
                   "kernel": os.uname().release, "date": time.strftime("%Y-%m-%d"), "rows": results}, f, indent=1)
    print(f"figures as JSON: {path}")
    if TIMINGS and not VM:
        with open(path[:-len(".json")] + ".md", "w") as f:
            f.write(markdown(results))
        print(f"the table as Markdown (docs/bypass.md's): {path[:-len('.json')]}.md")
    print(f"picture: {draw(results, path[:-len('.json')])}")


if __name__ == "__main__":
    main()
