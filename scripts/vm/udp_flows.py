#!/usr/bin/env python3
"""udp_flows.py - scripts/vm_test.sh's multi-flow sender, used when
target/release/l2_ping is not built.

Sends COUNT UDP datagrams on each of FLOWS flows (one UDP socket per flow,
source ports BASE..BASE+FLOWS-1, so the tap's flow hash spreads them over its
queues) to DST_IP:DST_PORT through the kernel, and watches IFACE with a raw
packet socket for the echoes: frames from GUEST_MAC to IFACE's own MAC that
carry one of the flows' datagrams. The guest's kernel never sees them (DPDK
owns its NIC), so the caller must pin the neighbour entry for DST_IP.

Prints one JSON line {"sent", "echoed", "flows", "flows_echoed"} and exits 0
when every datagram came back.

usage: udp_flows.py IFACE GUEST_MAC DST_IP [--flows N] [--count N]
                    [--interval SECS] [--wait SECS] [--base-port P] [--dst-port P]
"""

import argparse
import json
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
ETH_P_IP = 0x0800
MAGIC = b"l2vm-flow"


def mac_bytes(text):
    return bytes(int(part, 16) for part in text.split(":"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[1])
    ap.add_argument("iface")
    ap.add_argument("guest_mac")
    ap.add_argument("dst_ip")
    ap.add_argument("--flows", type=int, default=64)
    ap.add_argument("--count", type=int, default=8, help="datagrams per flow")
    ap.add_argument("--interval", type=float, default=0.002, help="seconds between datagrams")
    ap.add_argument("--wait", type=float, default=5.0, help="seconds to wait for late echoes")
    ap.add_argument("--base-port", type=int, default=40000)
    ap.add_argument("--dst-port", type=int, default=9)
    args = ap.parse_args()

    guest = mac_bytes(args.guest_mac)
    with open(f"/sys/class/net/{args.iface}/address") as f:
        own = mac_bytes(f.read().strip())

    raw = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    raw.bind((args.iface, 0))
    raw.setblocking(False)
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)

    socks = []
    for flow in range(args.flows):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("0.0.0.0", args.base_port + flow))
        socks.append(s)

    echoed = [0] * args.flows
    bad = 0

    def drain():
        nonlocal bad
        while True:
            try:
                frame = raw.recv(2048)
            except BlockingIOError:
                return
            if len(frame) < 42 or frame[6:12] != guest:
                continue
            if struct.unpack("!H", frame[12:14])[0] != ETH_P_IP:
                continue
            ihl = (frame[14] & 0x0F) * 4
            if frame[23] != 17:  # not UDP
                continue
            udp = 14 + ihl
            sport, dport = struct.unpack("!HH", frame[udp:udp + 4])
            flow = sport - args.base_port
            if dport != args.dst_port or not 0 <= flow < args.flows:
                continue
            if MAGIC not in frame[udp + 8:]:
                continue
            if frame[0:6] != own:  # echoed, but not back to us
                bad += 1
                continue
            echoed[flow] += 1

    sent = 0
    for seq in range(args.count):
        for flow, s in enumerate(socks):
            s.sendto(MAGIC + struct.pack("!II", flow, seq), (args.dst_ip, args.dst_port))
            sent += 1
            drain()
            time.sleep(args.interval)
    deadline = time.monotonic() + args.wait
    while sum(echoed) < sent and time.monotonic() < deadline:
        drain()
        time.sleep(0.05)
    drain()

    result = {
        "sent": sent,
        "echoed": sum(echoed),
        "flows": args.flows,
        "flows_echoed": sum(1 for n in echoed if n > 0),
        "misaddressed": bad,
    }
    print(json.dumps(result))
    return 0 if result["echoed"] == sent and bad == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
