//! l2_load's RFC 2544 procedures besides the throughput search (which
//! tests/l2_load.rs runs, as DPDK's versions can change it): the frame loss
//! rate and back-to-back frames, against l2_echo over memif with l2_load's
//! rings of 16 slots, so that the echo drops and the losses can be checked
//! against its own count of them; and mixes of sizes (IMIX), on the wire
//! (a pcap file) and back from l2_echo.

mod common;
use common::memif::*;
use common::*;
use serde_json::Value;

/// RFC 2544's frame loss rate against an echo that drops (l2_load's memif
/// rings of 16, as in tests/l2_load.rs's drop test): trials at 100, 90 ... % of the rate, each point's
/// loss rate from its own counts, the curve ending after two trials in a row
/// without loss or at 10%, and every frame lost one the echo dropped.
#[test]
fn the_loss_curve_steps_down_until_two_trials_lose_nothing() {
    let link = Memif::new("load-curve");
    let echo_eal = link.echo_eal();
    let echo = link.start(L2_ECHO, &echo_eal, &["--json", "--burst", "64"]);
    let (code, s, out) = load(
        &link.load_eal(",rsize=4"),
        &["--dst", ECHO_MAC, "--loss-curve", "--rate", "20000000", "--trial", "0.02", "--timeout", "0.1"],
    );
    let echoed = stop(echo, &echo_eal);
    echoed.assert_success();
    let e = echoed.summary();
    let curve = &s["loss_curve"][0];
    let points: Vec<&Value> = curve["points"].as_array().expect("the curve's points").iter().collect();
    assert!(
        u(points[0], "lost") > 0,
        "the echo dropped nothing at 20 Mpps, so this proves nothing: {out}\n{e}"
    );
    let mut lossless_in_a_row = 0;
    for (i, p) in points.iter().enumerate() {
        assert!(lossless_in_a_row < 2, "went on after two trials without loss: {out}");
        let load_pct = 100 - 10 * i as u64;
        assert_eq!((u(p, "load_pct"), u(p, "rate_asked")), (load_pct, 200_000 * load_pct), "{p}");
        let not_good = u(p, "planned") - u(p, "good");
        let loss_pct = not_good as f64 * 100.0 / u(p, "planned") as f64;
        assert!((p["loss_pct"].as_f64().unwrap() - loss_pct).abs() < 1e-9, "{p}");
        lossless_in_a_row = if not_good == 0 { lossless_in_a_row + 1 } else { 0 };
    }
    let ended = lossless_in_a_row == 2;
    assert!(ended || points.len() == 10, "it stops after two trials without loss, or at 10%: {out}");
    assert_eq!(curve["ended_lossless"].as_bool(), Some(ended), "{out}");
    assert_eq!(code, Some(if ended { 0 } else { 1 }), "{out}");
    assert_losses_are_the_echo_s_drops(&points, &s, &e, &out);
}

/// RFC 2544's back-to-back frames against the same echo: the longest burst
/// that came back whole, by binary search over lengths (each trial holding
/// exactly its length, a trial's worth at 20 Mpps first, which the echo
/// cannot return whole); every burst that fits l2_load's 16-slot memif ring
/// comes back whole, and the losses are the echo's drops.
#[test]
fn back_to_back_finds_the_longest_burst_that_comes_back_whole() {
    let link = Memif::new("load-b2b");
    let echo_eal = link.echo_eal();
    let echo = link.start(L2_ECHO, &echo_eal, &["--json", "--burst", "64"]);
    let (code, s, out) = load(
        &link.load_eal(",rsize=4"),
        &[
            "--dst",
            ECHO_MAC,
            "--back-to-back",
            "--rate",
            "20000000",
            "--trial",
            "0.05",
            "--resolution",
            "5",
            "--timeout",
            "0.2",
        ],
    );
    let echoed = stop(echo, &echo_eal);
    echoed.assert_success();
    let e = echoed.summary();
    assert_eq!(code, Some(0), "a burst came back whole: {out}");
    let row = &s["back_to_back"][0];
    let trials: Vec<&Value> = row["trials"].as_array().expect("every trial").iter().collect();
    let lengths = row["lengths"].as_array().expect("every length");
    assert_eq!(u(trials[0], "planned"), 1_000_000, "--rate times --trial first: {row}");
    assert_eq!(trials[0]["passed"], false, "a million frames into rings of 16 came back whole: {out}\n{e}");
    assert_eq!(trials.len(), lengths.len(), "a trial a length: {row}");
    let whole = |t: &Value| {
        u(t, "good") == u(t, "planned")
            && u(t, "sent") == u(t, "planned")
            && u(t, "duplicates") + u(t, "reordered") == 0
    };
    for (t, l) in trials.iter().zip(lengths) {
        assert_eq!(u(t, "planned"), u(l, "frames"), "a burst of exactly its length: {t}");
        assert_eq!(u(l, "passed"), u64::from(whole(t)), "{t}");
        assert!(u(t, "planned") > 16 || whole(t), "a burst the ring holds came back whole: {t}");
    }
    let found = u(row, "frames");
    let lowest_failed = trials.iter().filter(|t| !whole(t)).map(|t| u(t, "planned")).min().unwrap();
    let best =
        trials.iter().filter(|t| whole(t)).map(|t| u(t, "planned")).filter(|&n| n < lowest_failed).max();
    assert_eq!(Some(found), best, "the longest whole burst below every failure: {row}");
    assert!(
        lowest_failed - found <= 1 || (lowest_failed - found) as f64 <= 0.05 * lowest_failed as f64,
        "{row}"
    );
    assert!((row["burst_s"].as_f64().unwrap() - found as f64 / 2e7).abs() < 1e-12, "{row}");
    assert_losses_are_the_echo_s_drops(&trials, &s, &e, &out);
}

/// `--size imix` on the wire: l2_load sends into a pcap file (net_pcap, no
/// echo: every frame is lost, exit 1), and the file shows the trial's 1200
/// frames in the IMIX pattern, 7:4:1 of 60, 590 and 1514 bytes spread over
/// every 12, after the learning frames (the mix's first size) that the
/// report counts.
#[test]
fn imix_frames_leave_in_their_pattern() {
    let dir = TempDir::new("imix-wire");
    let (empty, wire) = (dir.path("empty.pcap"), dir.path("wire.pcap"));
    write_pcap(&empty, &[]);
    let mut eal = test_eal_args();
    eal.extend([
        "--lcores".into(),
        format!("0@{PEER_CPU}"),
        "--vdev".into(),
        format!("net_pcap0,rx_pcap={},tx_pcap={}", empty.display(), wire.display()),
    ]);
    let (code, s, out) = load(
        &eal,
        &["--dst", ECHO_MAC, "--size", "imix", "--rate", "12000", "--duration", "0.1", "--timeout", "0.05"],
    );
    assert_eq!(code, Some(1), "nothing came back: {out}");
    assert_eq!((u(&s, "sent"), u(&s, "lost"), u(&s, "size")), (1200, 1200, 358), "{out}");
    assert_eq!(s["mix"], "imix", "{out}");
    let sizes: Vec<usize> = read_pcap(&wire).iter().map(Vec::len).collect();
    let learning = u(&s["warmup"], "sent") as usize;
    assert_eq!(sizes.len(), learning + 1200, "{out}");
    assert!(sizes[..learning].iter().all(|&n| n == 60), "learning frames: {:?}", &sizes[..learning]);
    let pattern = [60, 590, 60, 60, 590, 60, 1514, 60, 590, 60, 590, 60];
    for (i, chunk) in sizes[learning..].chunks(12).enumerate() {
        assert_eq!(chunk, pattern, "frames {} on", 12 * i);
    }
}

/// A mix and a plain size against l2_echo over memif: every frame of each row
/// back good (each checked against its own size), the echo's count of frames
/// l2_load's, and the wire rate that of the mix's mean size.
#[test]
fn every_frame_of_a_mix_comes_back_good() {
    let link = Memif::new("imix-echo");
    let echo_eal = link.echo_eal();
    let echo = link.start(L2_ECHO, &echo_eal, &["--json"]);
    let (code, s, out) = load(
        &link.load_eal(",rsize=14"),
        &["--dst", ECHO_MAC, "--size", "imix,64:3,1500:1,128", "--rate", "100000", "--duration", "0.2"],
    );
    let echoed = stop(echo, &echo_eal);
    assert_eq!(code, Some(0), "{out}\n{echoed}");
    let rows: Vec<&Value> = s["rows"].as_array().expect("a row per mix").iter().collect();
    let named: Vec<(u64, Option<&str>)> = rows.iter().map(|r| (u(r, "size"), r["mix"].as_str())).collect();
    assert_eq!(named, [(358, Some("imix")), (423, Some("64:3,1500:1")), (128, None)], "{out}");
    let mut sent = 0;
    for (r, mean) in rows.iter().zip([4294.0 / 12.0, 1692.0 / 4.0, 128.0]) {
        assert_eq!((u(r, "good"), u(r, "planned")), (20_000, 20_000), "{r}");
        let wire = r["rate_pps"].as_f64().unwrap() * (mean + 24.0) * 8.0;
        assert!((r["wire_bps"].as_f64().unwrap() - wire).abs() < 1e-6 * wire, "{r}");
        sent += u(r, "sent");
    }
    // Every learning frame too: the first warm-up's and each trial's.
    assert_eq!(u(&echoed.summary(), "rx_packets"), sent + warmup(&s).0, "{echoed}\n{out}");
}
