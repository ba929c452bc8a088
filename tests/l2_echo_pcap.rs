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

/// The Internet checksum, written here apart from the echo's.
fn checksum(bytes: &[u8]) -> u16 {
    let mut sum: u32 =
        bytes.chunks(2).map(|w| u32::from(w[0]) << 8 | u32::from(*w.get(1).unwrap_or(&0))).sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

const ECHO_IP: [u8; 4] = [192, 0, 2, 7];
const PEER_IP: [u8; 4] = [192, 0, 2, 1];

fn arp_request(target: [u8; 4]) -> Vec<u8> {
    let mut f = [
        &BROADCAST[..],
        &PEER_A,
        &[0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 1],
        &PEER_A,
        &PEER_IP,
        &[0; 6],
        &target,
    ]
    .concat();
    f.resize(60, 0);
    f
}

fn echo_request(to: [u8; 4], seq: u16, data: &[u8]) -> Vec<u8> {
    let total = (20 + 8 + data.len()) as u16;
    let mut ip =
        [&[0x45, 0][..], &total.to_be_bytes(), &[0, 9, 0x40, 0, 64, 1, 0, 0], &PEER_IP, &to].concat();
    let c = checksum(&ip);
    ip[10..12].copy_from_slice(&c.to_be_bytes());
    let mut icmp = [&[8, 0, 0, 0, 0x12, 0x34][..], &seq.to_be_bytes(), data].concat();
    let c = checksum(&icmp);
    icmp[2..4].copy_from_slice(&c.to_be_bytes());
    [&PEER_B[..], &PEER_A, &[0x08, 0x00], &ip, &icmp].concat()
}

/// `--mode icmp`: of a capture with ARP, pings and frames for nobody, only
/// the ARP request for its address and the two good pings to it are answered,
/// byte for byte as the kernel would; everything else is counted and dropped.
#[test]
fn icmp_mode_answers_arp_and_ping_for_its_address_and_nothing_else() {
    let data: Vec<u8> = (0..56).collect();
    let mut bad_icmp = echo_request(ECHO_IP, 3, &data);
    *bad_icmp.last_mut().unwrap() ^= 0xff;
    let input = vec![
        arp_request(ECHO_IP),
        echo_request(ECHO_IP, 1, &data),
        arp_request(PEER_IP),            // for another host
        echo_request(PEER_IP, 2, &data), // to another host
        bad_icmp,                        // a wrong ICMP checksum
        frame(PEER_B, PEER_A, 60, 4),    // not IP at all
        vec![0xab; 13],                  // a runt
        echo_request(ECHO_IP, 5, b""),
    ];
    let dir = TempDir::new("pcap-icmp");
    let (rx, tx) = (dir.path("in.pcap"), dir.path("out.pcap"));
    write_pcap(&rx, &input);
    let mut eal = test_eal_args();
    eal.extend(["-l".into(), "0".into(), "--vdev".into()]);
    eal.push(format!("net_pcap0,rx_pcap={},tx_pcap={}", rx.display(), tx.display()));
    let run = run(L2_ECHO, &eal, &["--mode", "icmp", "--ip", "192.0.2.7", "--duration", "1", "--json"]);
    run.assert_success();
    let summary = run.summary();
    let port_mac = parse_mac(summary["port_mac"].as_str().unwrap());
    let out = read_pcap(&tx);
    assert_eq!(out.len(), 3, "the ARP reply and two echo replies, in order: {out:02x?}");

    let arp = &out[0];
    assert_eq!((&arp[..6], &arp[6..12], &arp[12..14]), (&PEER_A[..], &port_mac[..], &[0x08, 0x06][..]));
    assert_eq!(arp[14..22], [0, 1, 0x08, 0, 6, 4, 0, 2], "an ARP reply");
    assert_eq!((&arp[22..28], &arp[28..32]), (&port_mac[..], &ECHO_IP[..]), "sender: the echo");
    assert_eq!((&arp[32..38], &arp[38..42]), (&PEER_A[..], &PEER_IP[..]), "target: who asked");

    for (reply, request) in [(&out[1], &input[1]), (&out[2], &input[7])] {
        assert_eq!(reply.len(), request.len());
        assert_eq!((&reply[..6], &reply[6..12]), (&PEER_A[..], &port_mac[..]));
        let (ip, icmp) = reply[14..].split_at(20);
        assert_eq!((checksum(ip), checksum(icmp)), (0, 0), "both checksums right");
        assert_eq!((&ip[12..16], &ip[16..20], ip[9]), (&ECHO_IP[..], &PEER_IP[..], 1));
        assert_eq!(icmp[..2], [0, 0], "an echo reply");
        assert_eq!(icmp[4..], request[38..], "identifier, sequence and data as sent");
    }
    assert_eq!(summary["mode"], "icmp");
    assert_eq!(summary["ip"], "192.0.2.7");
    assert_eq!(u(&summary, "rx_packets"), 8);
    assert_eq!(u(&summary, "tx_packets"), 3);
    assert_eq!(u(&summary, "arp_replies"), 1);
    assert_eq!(u(&summary, "ignored"), 4);
    assert_eq!(u(&summary, "runt_dropped"), 1);
    assert_eq!(u(&summary, "opackets"), 3, "the port's own count");
    assert!(run.stdout.contains("icmp:  ip 192.0.2.7 arp_replies 1 ignored 4"), "{run}");
}
