//! l2_echo on net_pcap: a capture the test writes goes in, the capture the
//! port writes comes out, and is checked byte by byte.

mod common;
use common::*;

const PEER_A: [u8; 6] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x01];
const PEER_B: [u8; 6] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x02];
const BROADCAST: [u8; 6] = [0xff; 6];
const MULTICAST: [u8; 6] = [0x01, 0x00, 0x5e, 0x00, 0x00, 0x01];

/// A frame of the input capture, and whether it is a runt.
type Input = (Vec<u8>, bool);

fn input() -> Vec<Input> {
    vec![
        (frame(BROADCAST, PEER_A, 60, 1), false),
        (frame(PEER_B, PEER_A, 14, 2), false),
        (frame(PEER_B, PEER_A, 13, 3), true),
        (frame(MULTICAST, PEER_B, 1514, 4), false),
        (vec![0xab], true),
        (frame(PEER_A, PEER_B, 64, 5), false),
        (frame(PEER_A, PEER_B, 9, 6), true),
        (frame(PEER_B, PEER_A, 128, 7), false),
    ]
}

fn echo_pcap(mode: &str) -> (Vec<Input>, Vec<Vec<u8>>, Value, Run) {
    let dir = TempDir::new("pcap");
    let (rx, tx) = (dir.path("in.pcap"), dir.path("out.pcap"));
    let frames = input();
    write_pcap(&rx, &frames.iter().map(|(f, _)| f.clone()).collect::<Vec<_>>());
    let mut eal = test_eal_args();
    eal.extend(["-l".into(), "0".into(), "--vdev".into()]);
    eal.push(format!("net_pcap0,rx_pcap={},tx_pcap={}", rx.display(), tx.display()));
    let run = run(L2_ECHO, &eal, &["--mode", mode, "--duration", "1", "--json"]);
    run.assert_success();
    let summary = run.summary();
    let out = read_pcap(&tx);
    (frames, out, summary, run)
}

#[test]
fn reply_mode_sends_every_frame_back_to_its_sender_from_the_port() {
    let (frames, out, summary, run) = echo_pcap("reply");
    let port_mac = parse_mac(summary["port_mac"].as_str().unwrap());
    assert!(run.stdout.contains(&format!("Port 0 MAC: {}", summary["port_mac"].as_str().unwrap())));
    let expected: Vec<&Vec<u8>> = frames.iter().filter(|(_, runt)| !runt).map(|(f, _)| f).collect();
    assert_eq!(out.len(), expected.len(), "runt frames absent, every other frame echoed, in order");
    for (sent, back) in expected.iter().zip(&out) {
        assert_eq!(back.len(), sent.len());
        assert_eq!(back[..6], sent[6..12], "dst <- the sender's address");
        assert_eq!(back[6..12], port_mac, "src <- the port's address");
        assert_eq!(back[12..], sent[12..], "only the 12 address bytes change");
    }
    assert_eq!(u(&summary, "rx_packets"), 8);
    assert_eq!(u(&summary, "tx_packets"), 5);
    assert_eq!(u(&summary, "runt_dropped"), 3);
    assert_eq!(u(&summary, "tx_dropped"), 0);
    assert_eq!(u(&summary, "ipackets"), 8);
    assert_eq!(u(&summary, "opackets"), 5);
    assert_eq!(summary["mode"], "reply");
    let queues = summary["queues"].as_array().unwrap();
    assert_eq!(queues.len(), 1);
    assert_eq!(u(&queues[0], "rx_packets"), 8);
    assert_eq!(u(&queues[0], "lcore"), 0);
}

#[test]
fn swap_mode_exchanges_the_addresses() {
    let (frames, out, summary, _) = echo_pcap("swap");
    let expected: Vec<&Vec<u8>> = frames.iter().filter(|(_, runt)| !runt).map(|(f, _)| f).collect();
    assert_eq!(out.len(), expected.len());
    for (sent, back) in expected.iter().zip(&out) {
        assert_eq!(back[..6], sent[6..12]);
        assert_eq!(back[6..12], sent[..6]);
        assert_eq!(back[12..], sent[12..]);
    }
    assert_eq!(summary["mode"], "swap");
    assert_eq!(u(&summary, "runt_dropped"), 3);
}
