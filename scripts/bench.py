#!/usr/bin/env python3
"""make bench: l2_echo / l2_multi_echo against DPDK's own testpmd, side by side.

Every case alternates the Rust server (A) and testpmd (B) in balanced order,
A B, B A, A B, ... (scripts/pairs.py: a machine's drift favours neither),
with the same EAL memory (real hugepages, --huge-unlink), ring sizes
(1024/1024), burst (32), mbufs (8191 per queue, cache 250) and CPUs, each
DPDK process with its own --file-prefix. Ratios are Rust / C, per pair;
each row gives their median, its 95% bootstrap interval over the pairs (5
or more), and a verdict: "ahead" or "behind" only when the whole interval
is on one side of 1.0 (for a rate, higher is ahead; for a time, memory or
CPU, lower), "level" otherwise. PAIRS=N sets the pairs per case (default 5).

How each figure is derived, the same way for both sides:
- throughput (cases 1-3): the per-second TX (or, for memif, the client's RX)
  rate each program prints (l2_echo --stats 1: its loop's tx counter;
  testpmd --stats-period 1: the port's Tx-pps / Rx-pps), first second dropped,
  median of the rest.
- latency (case 4): l2_ping's RTT percentiles at a fixed rate over a veth.
- memory (case 5): the server's peak RSS (VmHWM) and the hugepages in use
  (HugePages_Total - HugePages_Free) while it runs, from the case 1 runs.
- generator (case 7): over memif against the same l2_echo, l2_load's send
  rate (it builds, sends, checks and times every frame; asked for more than
  it can send, its achieved rate_pps) against testpmd flowgen's Tx-pps (which
  checks nothing); the target is 0.9 or more.
- zero-loss throughput (case 8): l2_load --search over memif against l2_echo
  and against testpmd macswap (the reflector DPDK users run): the highest
  rate with nothing lost, bad, duplicated or reordered, and the round trip at
  50% of it (p50, p99).
- idle (case 6): l2_echo --idle adaptive against --idle poll: CPU time
  (utime + stime from /proc) with no traffic and at 1000 probes/s over a
  veth, RTT at 1000 probes/s, and the full-load rate on net_null; then
  adaptive's three targets, met or missed (not with QUICK=1): the median CPU
  with no traffic, the median of the pairs' p99 differences, the full-load
  ratio.

QUICK=1: one pair per case, short runs (checks the script end to end).
"""

import contextlib
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pairs import MIN_PAIRS, balanced_order, bootstrap_interval, verdict  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
BIN = os.environ.get("BIN_DIR", os.path.join(TOP, "target", "release"))
QUICK = os.environ.get("QUICK", "0") not in ("", "0")
# This shared VM moves several percent between runs: pairs, not one run each
# (an interval and a verdict need MIN_PAIRS of them).
PAIRS = os.environ.get("PAIRS", "") or ("1" if QUICK else "5")
if not PAIRS.isdigit() or not 1 <= int(PAIRS) <= 100:
    sys.exit(f"bench: PAIRS={PAIRS} must be a whole number from 1 to 100")
PAIRS = int(PAIRS)
SECS = 3 if QUICK else 6
TAG = f"l2bench{os.getpid()}"
EAL = ["--no-pci", "--huge-unlink", "--no-telemetry"]
TESTPMD_SAME = ["--burst=32", "--rxd=1024", "--txd=1024", "--mbcache=250", "--port-topology=loop",
                "--stats-period=1"]
RUN = 0


def prefix():
    global RUN
    RUN += 1
    return ["--file-prefix", f"{TAG}_{RUN}"]


def meminfo(key):
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def start(cmd, ns=None):
    if ns:
        cmd = ["ip", "netns", "exec", ns] + cmd
    out = tempfile.TemporaryFile(mode="w+")
    return subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL), out


def stop(proc, out, sig=signal.SIGINT):
    if proc.poll() is None:
        proc.send_signal(sig)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    out.seek(0)
    text = out.read()
    out.close()
    return text


def resources(pid):
    """Peak RSS (MiB) of pid and the hugepage memory in use (MiB), now."""
    hwm = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                hwm = int(line.split()[1]) / 1024
    huge = (meminfo("HugePages_Total") - meminfo("HugePages_Free")) * meminfo("Hugepagesize") / 1024
    return hwm, huge


def samples(text, pattern):
    """Per-second rates matching pattern (group 1 = number, group 2 = unit)."""
    scale = {"": 1, "pps": 1, "kpps": 1e3, "Mpps": 1e6}
    values = [float(m.group(1)) * scale[m.group(2) or ""] for m in re.finditer(pattern, text)]
    return values[1:] if len(values) > 1 else values


def rust_rate(text):
    return samples(text, r"\] total: rx [\d.]+ \w+ tx ([\d.]+) (\w+)")


def testpmd_rate(text, what):
    return samples(text, what + r"-pps:\s+(\d+)()")


def run_for(proc_out, secs, measure=None):
    proc, out = proc_out
    time.sleep(secs / 2)
    res = resources(proc.pid) if measure else None
    time.sleep(secs / 2)
    return stop(proc, out), res


def median(values, what):
    if not values:
        sys.exit(f"bench: no samples for {what}")
    return statistics.median(values)


def pair_runs(a, b):
    """PAIRS runs of a() and b(), in balanced order (A B, B A, ...): a list
    of (a's figure, b's figure)."""
    runs = []
    for a_first in balanced_order(PAIRS):
        if a_first:
            fa = a()
            fb = b()
        else:
            fb = b()
            fa = a()
        runs.append((fa, fb))
    return runs


def paired_row(case, unit, runs, results):
    """A table row from (Rust, C) figures: the medians, the median of the
    per-pair ratios, its 95% bootstrap interval and the verdict (for a rate
    higher is better; for a time, memory or CPU, lower)."""
    pairs = [{"rust": r, "c": c, "ratio": r / c if c else 0.0} for r, c in runs]
    ratios = [p["ratio"] for p in pairs]
    interval = bootstrap_interval(ratios)
    res = {"case": case, "unit": unit,
           "rust": statistics.median(p["rust"] for p in pairs), "c": statistics.median(p["c"] for p in pairs),
           "ratio": statistics.median(ratios), "interval": interval,
           "verdict": verdict(*interval, higher_is_better=unit in ("Mpps", "x")) if interval
           else f"(under {MIN_PAIRS} pairs: none)", "pairs": pairs}
    print_row(res)
    results.append(res)
    return res


def alternate(name, rust, c, unit, results):
    """Runs rust() and c() PAIRS times in balanced order; each returns a figure."""
    return paired_row(name, unit, pair_runs(rust, c), results)


def echo_cmd(binary, lcores, vdev, extra=()):
    return [os.path.join(BIN, binary), "--lcores", lcores] + EAL + prefix() + ["--vdev", vdev, "--",
            "--mode", "swap", "--burst", "32", "--mbufs", "8191", "--stats", "1", *extra]


def testpmd_cmd(lcores, vdev, mode, cores=1, mbufs=8191):
    return ["dpdk-testpmd", "--lcores", lcores] + EAL + prefix() + ["--vdev", vdev, "--",
            f"--forward-mode={mode}", f"--nb-cores={cores}", f"--rxq={cores}", f"--txq={cores}",
            f"--total-num-mbufs={mbufs * cores}"] + TESTPMD_SAME


MEMORY = {"rust": [], "c": []}


def null_rust(binary, lcores, extra=()):
    def run():
        text, res = run_for(start(echo_cmd(binary, lcores, "net_null0", extra)), SECS, measure=True)
        if binary == "l2_echo" and not extra:
            MEMORY["rust"].append(res)
        return median(rust_rate(text), binary) / 1e6
    return run


def null_testpmd(lcores, mode, cores=1, memory=False):
    def run():
        text, res = run_for(start(testpmd_cmd(lcores, "net_null0", mode, cores)), SECS, measure=True)
        if memory:
            MEMORY["c"].append(res)
        return median(testpmd_rate(text, "Tx"), "testpmd " + mode) / 1e6
    return run


@contextlib.contextmanager
def memif_link(server):
    """A memif socket in a temporary directory, served on CPU 1 by the echo
    under test (l2_echo, or testpmd macswap); yields the vdev for a role."""
    with tempfile.TemporaryDirectory() as d:
        sock = os.path.join(d, "memif.sock")
        vdev = lambda role: f"net_memif0,role={role},socket={sock},socket-abstract=no"
        if server == "rust":
            srv = start(echo_cmd("l2_echo", "0@1", vdev("server")))
        else:
            srv = start(testpmd_cmd("0@0,1@1", vdev("server"), "macswap"))
        time.sleep(2)
        try:
            yield vdev
        finally:
            stop(*srv)


def memif_case(server):
    def run():
        with memif_link(server) as vdev:
            # All of the client on CPU 0, its EAL threads too: on the server's
            # CPU they would preempt its lcore (docs/reliability.md: memif and shared CPUs).
            client = start(["taskset", "-c", "0"] + testpmd_cmd("0@0,1@0", vdev("client"), "flowgen"))
            text, _ = run_for(client, SECS)
            return median(testpmd_rate(text, "Rx"), "memif client") / 1e6
    return run


def l2_load(vdev, args, secs):
    """l2_load as the memif client, all of it on CPU 0; its JSON report."""
    cmd = ["taskset", "-c", "0", os.path.join(BIN, "l2_load"), "--lcores", "0@0"] + EAL + prefix() + \
          ["--vdev", vdev("client"), "--", "--dst", "ff:ff:ff:ff:ff:ff", "--expect", "swap", "--json", *args]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=secs)
    line = next((l for l in done.stdout.splitlines() if l.startswith("{")), None)
    if line is None:
        sys.exit(f"bench: l2_load reported nothing:\n{done.stdout}\n{done.stderr}")
    return json.loads(line)


def generator_case(generator):
    """Case 7: the generator's send rate over memif against l2_echo (Mpps)."""
    def run():
        with memif_link("rust") as vdev:
            if generator == "rust":
                # Asked for more than it can send: its schedule runs ahead and it
                # sends flat out, checking every reply.
                rate = l2_load(vdev, ["--rate", "100000000", "--duration", str(SECS), "--timeout", "1"],
                               SECS + 60)["rate_pps"]
            else:
                text, _ = run_for(start(["taskset", "-c", "0"] + testpmd_cmd("0@0,1@0", vdev("client"), "flowgen")),
                                  SECS)
                rate = median(testpmd_rate(text, "Tx"), "flowgen")
            return rate / 1e6
    return run


SEARCHES = {"rust": [], "c": []}


def search_case(server):
    """Case 8: l2_load --search against a memif server; its zero-loss rate (Mpps)."""
    def run():
        with memif_link(server) as vdev:
            trial = "0.2" if QUICK else "1"
            report = l2_load(vdev, ["--search", "--rate", "30000000", "--trial", trial, "--resolution", "2",
                                    "--timeout", "0.5"], 600)
        row = report["search"][0]
        SEARCHES[server].append(row)
        return row["throughput_pps"] / 1e6
    return run


def search_latency_rows(results):
    """Case 8's round trips at 50% of each side's own throughput."""
    def at_half(row, p):
        half = next((l for l in row["latency"] if l["load_pct"] == 50 and l.get("rtt_ns")), None)
        return half["rtt_ns"][p] / 1000 if half else 0.0
    for p in ("p50", "p99"):
        runs = [(at_half(r, p), at_half(c, p)) for r, c in zip(SEARCHES["rust"], SEARCHES["c"])]
        paired_row(f"8. memif, round trip at 50% of zero-loss throughput: {p}", "us", runs, results)


class VethPair:
    """Two namespaces joined by a veth pair (no IPv6 chatter); removed on exit.
    With rps, the peer's receive work goes to CPU 0 (see __enter__)."""

    def __init__(self, rps):
        self.rps = rps

    def __enter__(self):
        self.echo_ns, self.peer_ns = f"{TAG}e", f"{TAG}p"
        sh = lambda *a: subprocess.run(a, check=True)
        sh("ip", "netns", "add", self.echo_ns)
        sh("ip", "netns", "add", self.peer_ns)
        sh("ip", "link", "add", "veth-echo", "netns", self.echo_ns, "type", "veth", "peer", "name", "veth-peer",
           "netns", self.peer_ns)
        for ns, dev in ((self.echo_ns, "veth-echo"), (self.peer_ns, "veth-peer")):
            sh("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
            sh("ip", "-n", ns, "link", "set", dev, "up")
        # The peer's receive work for what the server sends would run on the
        # server's CPU 1, queued behind its poller (milliseconds under load):
        # RPS hands it to CPU 0, l2_ping's (docs/performance.md: the veth latency tail).
        if self.rps:
            sh("ip", "netns", "exec", self.peer_ns, "sh", "-c",
               "echo 1 > /sys/class/net/veth-peer/queues/rx-0/rps_cpus")
        self.mac = subprocess.run(["ip", "netns", "exec", self.echo_ns, "cat", "/sys/class/net/veth-echo/address"],
                                  capture_output=True, text=True, check=True).stdout.strip()
        self.vdev = "net_af_packet0,iface=veth-echo"
        return self

    def __exit__(self, *exc):
        for ns in (self.echo_ns, self.peer_ns):
            subprocess.run(["ip", "netns", "del", ns], stderr=subprocess.DEVNULL)

    def l2_ping(self, count, rate):
        """l2_ping's JSON summary; on CPU 0, never on the server's busy-polling CPU 1."""
        ping = subprocess.run(["ip", "netns", "exec", self.peer_ns, "taskset", "-c", "0",
                               os.path.join(BIN, "l2_ping"), "-I", "veth-peer", "--dst", self.mac,
                               "-c", str(count), "--rate", str(rate), "--json"],
                              capture_output=True, text=True, timeout=120)
        line = next((l for l in ping.stdout.splitlines() if l.startswith("{")), None)
        if line is None:
            sys.exit(f"bench: l2_ping printed no summary: {ping.stdout}{ping.stderr}")
        return json.loads(line)


def print_row(res):
    interval = f"{res['interval'][0]:.3f}-{res['interval'][1]:.3f}" if res.get("interval") else ""
    print(f"  {res['case']:<58} {res['rust']:>12.3f} {res['c']:>12.3f} {res['ratio']:>7.3f} {interval:>13} "
          f"{res.get('verdict', '')}", flush=True)


def rtt_rows(name, runs, results):
    """One row per RTT percentile from (rust, c) pairs of l2_ping summaries."""
    for p in ("p50", "p99", "p999"):
        paired_row(f"{name} {p}", "us", [(r[p], c[p]) for r, c in runs], results)


def latency_case(results):
    with VethPair(rps=True) as net:
        count = 2000 if QUICK else 10000

        def rtt(server):
            if server == "rust":
                srv = start(echo_cmd("l2_echo", "0@1", net.vdev), net.echo_ns)
            else:
                srv = start(testpmd_cmd("0@0,1@1", net.vdev, "macswap"), net.echo_ns)
            time.sleep(2)
            summary = net.l2_ping(count, 2000)
            stop(*srv)
            return summary["rtt_us"]

        runs = pair_runs(lambda: rtt("rust"), lambda: rtt("c"))
        rtt_rows("4. latency over veth (af_packet), RTT", runs, results)


def cpu_seconds(pid):
    """utime + stime of the process, all its threads, in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def idle_case(results):
    """--idle adaptive (the "Rust" column) against --idle poll (the "testpmd"
    column), both l2_echo: CPU used with no traffic and at 1000 probes/s over
    a veth, RTT at 1000 probes/s, and the full-load rate on net_null."""
    quiet = 2 if QUICK else 10
    probes = 1000 if QUICK else 10000
    # No RPS: an adaptive lcore sleeps, so it starves nothing, and RPS's
    # inter-processor hop more than doubled adaptive's p99 here (105 -> 240 us).
    with VethPair(rps=False) as net:
        def measure(idle):
            srv = start(echo_cmd("l2_echo", "0@1", net.vdev, ("--idle", idle)), net.echo_ns)
            time.sleep(2)
            pid = srv[0].pid
            c0, t0 = cpu_seconds(pid), time.monotonic()
            time.sleep(quiet)
            c1, t1 = cpu_seconds(pid), time.monotonic()
            summary = net.l2_ping(probes, 1000)
            c2, t2 = cpu_seconds(pid), time.monotonic()
            stop(*srv)
            return {"cpu_quiet": 100 * (c1 - c0) / (t1 - t0), "cpu_1k": 100 * (c2 - c1) / (t2 - t1),
                    "rtt": summary["rtt_us"], "not_good": summary["sent"] - summary["good"]}

        runs = pair_runs(lambda: measure("adaptive"), lambda: measure("poll"))
    for key, what in (("cpu_quiet", "no traffic"), ("cpu_1k", "1000 probes/s")):
        paired_row(f"6. adaptive vs poll: CPU, {what} (% of a core)", "%", [(a[key], p[key]) for a, p in runs],
                   results)
    rtt_rows("6. adaptive vs poll: 1000 probes/s, RTT", [(a["rtt"], p["rtt"]) for a, p in runs], results)
    if any(a["not_good"] or p["not_good"] for a, p in runs):
        sys.exit(f"bench: probes lost, late or bad in the idle case: {runs}")
    full = alternate("6. adaptive vs poll: net_null full load (Mpps)",
                     null_rust("l2_echo", "0@1", ("--idle", "adaptive")),
                     null_rust("l2_echo", "0@1", ("--idle", "poll")), "Mpps", results)
    quiet_cpu = statistics.median(a["cpu_quiet"] for a, _ in runs)
    p99_over = statistics.median(a["rtt"]["p99"] - p["rtt"]["p99"] for a, p in runs)
    for what, met in ((f"no traffic: {quiet_cpu:.1f}% of a core (at most 5%)", quiet_cpu <= 5),
                      (f"1000 probes/s: p99 {p99_over:+.0f} us over poll's (at most +100 us)", p99_over <= 100),
                      (f"full load: {full['ratio']:.3f} of poll's rate (at least 0.98)", full["ratio"] >= 0.98)):
        verdict = "(QUICK: one short pair, no verdict)" if QUICK else "met" if met else "MISSED"
        print(f"  6. adaptive's target, {what}: {verdict}")


def main():
    if os.geteuid() != 0:
        sys.exit("bench: run as root (sudo make bench): it uses hugepages and network namespaces")
    for b in ("l2_echo", "l2_multi_echo", "l2_load", "l2_ping"):
        if not os.access(os.path.join(BIN, b), os.X_OK):
            sys.exit(f"bench: {BIN}/{b} missing: run make first")
    if meminfo("HugePages_Free") < 512:
        subprocess.run([os.path.join(HERE, "setup_env.sh")], check=True, stdout=subprocess.DEVNULL)
    print(f"make bench{' QUICK=1' if QUICK else ''}: {PAIRS} pair(s) per case, {SECS} s per run, "
          f"{os.cpu_count()} CPUs, {platform_line()}")
    print(f"  {'case':<58} {'Rust':>12} {'testpmd':>12} {'ratio':>7} {'95% interval':>13} verdict")
    results = []
    one = alternate("1. net_null, 1 lcore: l2_echo swap vs testpmd macswap", null_rust("l2_echo", "0@1"),
                    null_testpmd("0@0,1@1", "macswap", memory=True), "Mpps", results)
    alternate("1. net_null, 1 lcore: l2_echo swap vs testpmd io", null_rust("l2_echo", "0@1"),
              null_testpmd("0@0,1@1", "io"), "Mpps", results)
    two = alternate("2. net_null, 2 lcores: l2_multi_echo swap vs testpmd macswap",
                    null_rust("l2_multi_echo", "0@0,1@1"), null_testpmd("0@0,1@0,2@1", "macswap", cores=2), "Mpps",
                    results)
    scaling = {"case": "2. scaling, 2 lcores / 1 lcore", "unit": "x", "rust": two["rust"] / one["rust"],
               "c": two["c"] / one["c"], "ratio": (two["rust"] / one["rust"]) / (two["c"] / one["c"]), "pairs": []}
    print_row(scaling)
    results.append(scaling)
    alternate("3. memif, testpmd flowgen client: echoed rate", memif_case("rust"), memif_case("c"), "Mpps", results)
    latency_case(results)
    for i, key in enumerate(("peak RSS", "hugepage memory")):
        paired_row(f"5. memory, 8191 mbufs: {key}", "MiB",
                   [(r[i], c[i]) for r, c in zip(MEMORY["rust"], MEMORY["c"])], results)
    idle_case(results)
    gen = alternate("7. memif vs l2_echo: generator send rate, l2_load vs flowgen", generator_case("rust"),
                    generator_case("c"), "Mpps", results)
    if not QUICK:
        print(f"  7. l2_load's target, at least 0.9 of flowgen's rate: {'met' if gen['ratio'] >= 0.9 else 'MISSED'}")
    alternate("8. memif, l2_load --search: zero-loss throughput, l2_echo vs macswap", search_case("rust"),
              search_case("c"), "Mpps", results)
    search_latency_rows(results)
    out_dir = os.path.join(TOP, "target", "bench")
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, time.strftime("bench-%Y%m%d-%H%M%S.json"))
    with open(path, "w") as f:
        json.dump({"quick": QUICK, "pairs": PAIRS, "secs": SECS, "machine": platform_line(), "cases": results}, f,
                  indent=1)
    print(f"figures as JSON: {path}")
    for run in range(1, RUN + 1):
        shutil.rmtree(f"/var/run/dpdk/{TAG}_{run}", ignore_errors=True)


def platform_line():
    model = "unknown CPU"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    dpdk = subprocess.run(["pkg-config", "--modversion", "libdpdk"], capture_output=True, text=True).stdout.strip()
    return f"{model}, DPDK {dpdk}"


if __name__ == "__main__":
    main()
