#!/usr/bin/env python3
"""rss_expect.py - where RSS puts l2_ping's flows: the frames each queue of
the echo should receive, for scripts/vm_test.sh's multiqueue scenario.

Reads the RSS key and redirection table that l2_multi_echo logged at start
("RSS ... key HEX, redirection table Q,Q,..."), hashes each of l2_ping's
flows with the Toeplitz function over its IPv4/UDP 4-tuple (as the device,
here QEMU's virtio-net with rss=on, hashes UDP over IPv4), and prints one JSON
line: {"expected": [frames for queue 0, 1, ...]}. Each RUN is one l2_ping
run, FLOWSxPER_FLOW (`--flows FLOWS -c FLOWS*PER_FLOW`). A device that spread
the flows some other way (no RSS: the tap's own flow hash) gives other counts.

usage: rss_expect.py ECHO_LOG --queues N RUN...
"""

import argparse
import json
import re
import sys

# l2_ping's flows (l2-ping/src/probe.rs): flow f is 198.18.0.1:40000+f ->
# 198.18.0.2:9000+f, and probe number s belongs to flow s % flows.
IP_SRC = bytes([198, 18, 0, 1])
IP_DST = bytes([198, 18, 0, 2])
UDP_SRC_BASE = 40000
UDP_DST_BASE = 9000


def toeplitz(key, data):
    """The Toeplitz hash of data under key (Microsoft's RSS specification)."""
    key_bits = int.from_bytes(key, "big")
    key_len = len(key) * 8
    hash_value = 0
    for i in range(len(data) * 8):
        if data[i // 8] & (0x80 >> (i % 8)):
            hash_value ^= (key_bits >> (key_len - 32 - i)) & 0xFFFFFFFF
    return hash_value


def self_test():
    # Microsoft's verification suite under its default key: from
    # 66.9.149.187:2794 to 161.142.100.80:1766, hashed over source address,
    # destination address, source port, destination port: 0x51ccc178; over
    # the addresses alone: 0x323e8fc2.
    key = bytes.fromhex(
        "6d5a56da255b0ec24167253d43a38fb0d0ca2bcbae7b30b477cb2da38030f20c6a42b73bbeac01fa"
    )
    addresses = bytes([66, 9, 149, 187, 161, 142, 100, 80])
    ports = (2794).to_bytes(2, "big") + (1766).to_bytes(2, "big")
    assert toeplitz(key, addresses + ports) == 0x51CCC178
    assert toeplitz(key, addresses) == 0x323E8FC2


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[1])
    ap.add_argument("echo_log")
    ap.add_argument("--queues", type=int, required=True)
    ap.add_argument("runs", nargs="+", metavar="FLOWSxPER_FLOW")
    args = ap.parse_args()
    self_test()

    with open(args.echo_log, errors="replace") as f:
        found = re.search(r"RSS .*key ([0-9a-f]+), redirection table ([0-9,]+)", f.read())
    if not found:
        sys.exit(f"rss_expect.py: {args.echo_log} has no RSS key and redirection table: was RSS on?")
    key = bytes.fromhex(found.group(1))
    table = [int(q) for q in found.group(2).split(",")]
    if len(table) & (len(table) - 1):
        sys.exit(f"rss_expect.py: a redirection table of {len(table)} entries (not a power of 2)")

    expected = [0] * args.queues
    for run in args.runs:
        flows, per_flow = (int(n) for n in run.split("x"))
        for flow in range(flows):
            ports = (UDP_SRC_BASE + flow).to_bytes(2, "big") + (UDP_DST_BASE + flow).to_bytes(2, "big")
            queue = table[toeplitz(key, IP_SRC + IP_DST + ports) & (len(table) - 1)]
            expected[queue] += per_flow
    print(json.dumps({"expected": expected}))


if __name__ == "__main__":
    main()
