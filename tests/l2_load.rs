//! l2_load against real echoes over memif (and, as root, veths): every frame
//! back and counted as the echo counted it, a reflector that returns frames
//! unchanged (all bad), one that drops (the loss counted exactly), one that
//! dies, --expect, --search, and four queues.
//!
//! memif pairs two DPDK processes on one machine: the echo, the server, polls
//! on CPU 1 and l2_load, the client, on CPU 0 (each test runs alone:
//! .cargo/config.toml). Both sides get fixed MACs from the memif devargs.

mod common;
use common::memif::*;
use common::*;
use serde_json::Value;
use std::time::{Duration, Instant};

/// memif rings of 16384 slots (the client sets the size): 0.8 s of 20,000
/// frames a second, so a neighbour that holds l2_load off its CPU for a
/// tenth of a second costs no frame (1024 slots, memif's default, hold 51 ms:
/// the echo's TX ring then overflows, and the loss is counted, honestly).
const DEEP_RINGS: &str = ",rsize=14";

/// Every frame back from l2_echo, each checked; l2_load's counts are the
/// echo's, frame for frame: what it sent the echo received, what the echo
/// sent it received.
#[test]
fn every_frame_comes_back_from_l2_echo_and_the_counts_agree() {
    let link = Memif::new("load-echo");
    let echo_eal = link.echo_eal();
    let echo = link.start(L2_ECHO, &echo_eal, &["--json"]);
    let (code, s, out) = load(
        &link.load_eal(DEEP_RINGS),
        &["--dst", ECHO_MAC, "--rate", "20000", "--duration", "1", "--flows", "16"],
    );
    let echoed = stop(echo, &echo_eal);
    echoed.assert_success();
    let e = echoed.summary();

    assert_eq!(code, Some(0), "{out}\n{echoed}");
    assert_eq!(
        [
            u(&s, "sent"),
            u(&s, "good"),
            u(&s, "bad"),
            u(&s, "late"),
            u(&s, "lost"),
            u(&s, "duplicates"),
            u(&s, "reordered"),
            u(&s, "unmatched")
        ],
        [20_000, 20_000, 0, 0, 0, 0, 0, 0],
        "{out}"
    );
    assert_eq!((s["src"].as_str(), s["dst"].as_str()), (Some(LOAD_MAC), Some(ECHO_MAC)));
    let (warm_sent, warm_back) = warmup(&s);
    assert_eq!(
        u(&e, "rx_packets"),
        u(&s, "sent") + warm_sent,
        "the echo received what l2_load sent: {e}\n{s}"
    );
    assert_eq!(
        u(&e, "tx_packets"),
        u(&s, "good") + warm_back + u(&s, "other"),
        "l2_load received what the echo sent: {e}\n{s}"
    );
    let rate = s["rate_pps"].as_f64().unwrap();
    assert!((19_000.0..=21_000.0).contains(&rate), "the schedule's rate, {rate}: {out}");
    rtt_within_the_timeout(&s, 1.0);
    // A frame takes 24 bytes more on the wire (FCS, preamble, gap); memif's
    // link is a nominal 100 Gb/s (DPDK's drivers/net/memif).
    let (wire, on_wire) = (s["wire_bps"].as_f64().unwrap(), (u(&s, "size") + 24) as f64 * 8.0);
    assert!((wire / (rate * on_wire) - 1.0).abs() < 1e-9, "{wire} bit/s at {rate} pps: {s}");
    assert_eq!(u(&s, "link_speed_mbps"), 100_000, "{s}");
    assert!((s["link_pct"].as_f64().unwrap() - wire / 1e9).abs() < 1e-9, "{s}");
}

/// ICMP echo requests answered from user space: l2_load's ICMP probes all
/// come back good from `l2_echo --mode icmp`, and the counts agree.
#[test]
fn icmp_probes_are_answered_by_l2_echo_in_icmp_mode() {
    let link = Memif::new("load-icmp");
    let echo_eal = link.echo_eal();
    let echo = link.start(L2_ECHO, &echo_eal, &["--json", "--mode", "icmp", "--ip", "198.18.0.2"]);
    let (code, s, out) = load(
        &link.load_eal(DEEP_RINGS),
        &["--dst", ECHO_MAC, "--expect", "icmp", "--dst-ip", "198.18.0.2", "--rate", "20000", "--size", "98"],
    );
    let echoed = stop(echo, &echo_eal);
    echoed.assert_success();
    let e = echoed.summary();
    assert_eq!(code, Some(0), "{out}\n{echoed}");
    assert_eq!([u(&s, "sent"), u(&s, "good"), u(&s, "bad"), u(&s, "lost")], [20_000, 20_000, 0, 0], "{out}");
    assert_eq!(s["expect"], "icmp");
    let (warm_sent, warm_back) = warmup(&s);
    assert_eq!(u(&e, "rx_packets"), u(&s, "sent") + warm_sent, "{e}\n{s}");
    assert_eq!(u(&e, "tx_packets"), u(&s, "good") + warm_back + u(&s, "other"), "{e}\n{s}");
    assert_eq!((u(&e, "ignored"), u(&e, "arp_replies")), (0, 0), "every probe an echo request to it: {e}");
}

/// make compare's DPDK rows on a veth: l2_echo --mode `mode` on `driver`
/// answers every probe of l2_load --expect `mode`, and the counts agree.
fn probes_answered_by_l2_echo_on(driver: &str, mode: &str) {
    require_veth();
    let net = VethPair::new("lkx", 1);
    let mut eal = test_eal_args();
    eal.extend([
        "--lcores".into(),
        lcores_off_peer_cpu(1),
        "--vdev".into(),
        format!("{driver},iface={ECHO_IF}"),
    ]);
    // --mode icmp answers for ECHO_IP, and l2_load's probes go there; swap
    // needs no address.
    let (mut app, mut probes) = (vec!["--json", "--mode", mode], vec!["--expect", mode]);
    if mode == "icmp" {
        app.extend(["--ip", ECHO_IP]);
        probes.extend(["--src-ip", PEER_IP, "--dst-ip", ECHO_IP]);
    }
    let echo = net.start_echo(L2_ECHO, &eal, &app);
    probes.extend(["--rate", "1000"]);
    let run = net.load_from_peer(&probes);
    let echoed = stop(echo, &eal);
    echoed.assert_success();
    let (s, e) = (run.summary(), echoed.summary());
    assert_eq!(run.status.code(), Some(0), "{run}\n{echoed}\n{}", net.counters());
    assert_eq!([u(&s, "sent"), u(&s, "good"), u(&s, "lost")], [1000, 1000, 0], "{run}");
    let (warm_sent, _) = warmup(&s);
    assert_eq!(u(&e, "tx_packets") - u(&e, "arp_replies"), u(&s, "sent") + warm_sent, "{e}\n{s}");
}

#[test]
#[ignore = "needs root (network namespaces): sudo make test runs it"]
fn icmp_probes_are_answered_by_l2_echo_on_af_packet() {
    probes_answered_by_l2_echo_on("net_af_packet0", "icmp");
}

/// A DPDK built without libxdp has no net_af_xdp: scripts/test_dpdk.sh
/// filters the tests whose names end in on_af_xdp out there.
#[test]
#[ignore = "needs root (network namespaces, AF_XDP): sudo make test runs it"]
fn icmp_probes_are_answered_by_l2_echo_on_af_xdp() {
    probes_answered_by_l2_echo_on("net_af_xdp0", "icmp");
}

/// make compare's af_xdp_l2 row: l2_echo --mode swap on net_af_xdp.
#[test]
#[ignore = "needs root (network namespaces, AF_XDP): sudo make test runs it"]
fn l2_probes_are_answered_by_l2_echo_swap_on_af_xdp() {
    probes_answered_by_l2_echo_on("net_af_xdp0", "swap");
}

/// testpmd in io mode returns each frame untouched: every one is bad (sent
/// back to the echo's address, from ours), none lost (a bad frame came
/// back), and l2_load says so with exit 1.
#[test]
fn frames_returned_unchanged_are_all_bad() {
    let link = Memif::new("load-io");
    let eal = link.testpmd_eal();
    let testpmd = link.start(
        dpdk_tool("dpdk-testpmd").to_str().unwrap(),
        &eal,
        &["--forward-mode=io", "--stats-period=1", "--total-num-mbufs=8192"],
    );
    let (code, s, out) = load(
        &link.load_eal(""),
        &["--dst", ECHO_MAC, "--rate", "10000", "--duration", "0.5", "--timeout", "0.2"],
    );
    stop(testpmd, &eal);
    assert_eq!(code, Some(1), "{out}");
    assert_eq!(
        [u(&s, "sent"), u(&s, "good"), u(&s, "bad"), u(&s, "late"), u(&s, "lost")],
        [5000, 0, 5000, 0, 0],
        "{out}"
    );
    let first = &s["bad_frames"][0];
    assert_eq!(first["what"], "addresses", "{out}");
    // Unchanged: the destination is still the echo's (02:..:e1 at byte 5, not
    // our 02:..:10), the source ours (byte 11): the two MACs differ in their last byte.
    assert_eq!(first["offsets"], serde_json::json!([5, 11]), "{first}");
}

/// --expect says how the reflector addresses a reply. To the broadcast
/// address, l2_echo replies from its own MAC and testpmd's macswap from the
/// broadcast address: each passes as what it is and fails as the other.
#[test]
fn expect_tells_reply_from_swap() {
    let broadcast = "ff:ff:ff:ff:ff:ff";
    let args = |expect: &'static str| {
        ["--dst", broadcast, "--expect", expect, "--rate", "5000", "--duration", "0.2", "--timeout", "0.2"]
    };
    for (reflector, good, bad) in [("l2_echo", "reply", "swap"), ("macswap", "swap", "reply")] {
        let link = Memif::new(&format!("load-{reflector}"));
        let eal = if reflector == "l2_echo" { link.echo_eal() } else { link.testpmd_eal() };
        let server = match reflector {
            "l2_echo" => link.start(L2_ECHO, &eal, &[]),
            _ => link.start(
                dpdk_tool("dpdk-testpmd").to_str().unwrap(),
                &eal,
                &["--forward-mode=macswap", "--stats-period=1", "--total-num-mbufs=8192"],
            ),
        };
        let (code_good, s_good, out_good) = load(&link.load_eal(""), &args(good));
        let (code_bad, s_bad, out_bad) = load(&link.load_eal(""), &args(bad));
        stop(server, &eal);
        assert_eq!(
            (code_good, u(&s_good, "good"), u(&s_good, "bad")),
            (Some(0), 1000, 0),
            "{reflector}: {out_good}"
        );
        assert_eq!(
            (code_bad, u(&s_bad, "good"), u(&s_bad, "bad"), u(&s_bad, "lost")),
            (Some(1), 0, 1000, 0),
            "{reflector}: {out_bad}"
        );
        assert_eq!(
            s_bad["bad_frames"][0]["offsets"],
            serde_json::json!([6, 7, 8, 9, 10, 11]),
            "the source is wrong"
        );
    }
}

/// An echo that cannot send all it receives: l2_load's memif rings hold 16
/// frames (rsize=4, the client sets the size), l2_load sends far faster than
/// it can take the replies back, and the echo's TX ring overflows. Over memif
/// nothing else loses a frame (a full ring stops the sender instead), so
/// l2_load's lost count must be the echo's tx_dropped exactly.
#[test]
fn the_loss_of_an_echo_that_drops_is_counted_exactly() {
    let link = Memif::new("load-drop");
    let echo_eal = link.echo_eal();
    let echo = link.start(L2_ECHO, &echo_eal, &["--json", "--burst", "64"]);
    let (code, s, out) = load(
        &link.load_eal(",rsize=4"),
        &["--dst", ECHO_MAC, "--rate", "20000000", "--duration", "0.1", "--timeout", "1"],
    );
    let echoed = stop(echo, &echo_eal);
    echoed.assert_success();
    let e = echoed.summary();
    assert_eq!(code, Some(1), "{out}\n{echoed}");
    assert!(u(&s, "lost") > 0, "the echo dropped nothing, so this proves nothing: {out}\n{e}");
    assert_losses_are_the_echo_s_drops(&[&s], &s, &e, &out);
    assert_eq!(u(&s, "bad") + u(&s, "duplicates"), 0, "{out}");
}

/// The echo killed mid-run (SIGKILL): l2_load counts every frame that never
/// came back as lost, and exits 1. Over a veth as root: killing a memif peer
/// mid-run crashes the other side inside DPDK's memif (its disconnect race,
/// docs/reliability.md's "memif and shared CPUs"), whatever the program.
#[test]
#[ignore = "needs root (network namespaces): sudo make test runs it"]
fn an_echo_killed_mid_run_is_reported() {
    require_veth();
    let net = VethPair::new("lk", 1);
    let eal = net.af_packet_eal(1);
    let echo = net.start_echo(L2_ECHO, &eal, &[]);
    let load_eal = peer_af_packet_eal();
    let started = Instant::now();
    let client = spawn_command(net.peer_command(L2_LOAD).args(&load_eal).arg("--").args([
        "--json",
        "--dst",
        &net.echo_mac,
        "--rate",
        "2000",
        "--duration",
        "4",
        "--timeout",
        "0.5",
    ]));
    std::thread::sleep(Duration::from_secs(3)); // EAL up, and a second or more of traffic
    echo.signal(libc::SIGKILL);
    drop(echo);
    remove_runtime_dir(&eal);
    let run = finish(client, Duration::from_secs(60));
    remove_runtime_dir(&load_eal);
    let s = run.summary();
    assert_eq!(run.status.code(), Some(1), "{run}");
    assert_eq!(u(&s, "sent"), 8000, "the veth takes every frame: {run}");
    assert!(u(&s, "good") > 0 && u(&s, "lost") > 0, "{run}");
    assert_eq!(u(&s, "lost") + u(&s, "good"), u(&s, "sent"), "nothing bad or late: {run}");
    assert!(started.elapsed() < Duration::from_secs(30), "ended within the schedule and a timeout");
}

/// --progress-json: an object a second while the trial runs, its counts
/// rising and none above the report's, ahead of the report; without it
/// (stdout a pipe, not a terminal) nothing but the report, no line
/// rewritten in place.
#[test]
fn progress_comes_a_second_at_a_time_and_only_when_asked() {
    let link = Memif::new("load-progress");
    let echo_eal = link.echo_eal();
    let echo = link.start(L2_ECHO, &echo_eal, &[]);
    let eal = link.load_eal(DEEP_RINGS);
    let rate = ["--dst", ECHO_MAC, "--rate", "2000", "--duration", "3.5"];
    let with = finish(
        spawn_load(&eal, &[&["--json", "--progress-json"][..], &rate].concat()),
        Duration::from_secs(60),
    );
    remove_runtime_dir(&eal);
    let without = finish(spawn_load(&eal, &rate), Duration::from_secs(60));
    remove_runtime_dir(&eal);
    stop(echo, &echo_eal);
    with.assert_success();
    without.assert_success();
    let lines: Vec<Value> = with
        .stdout
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let (report, progress) = lines.split_last().expect("the report, last");
    assert_eq!(u(report, "sent"), 7000, "{with}");
    assert!((3..=4).contains(&progress.len()), "a line a second of 3.5 s: {with}");
    let mut last = (0.0, 0);
    for p in progress {
        let p = &p["progress"];
        let (elapsed, sent) = (p["elapsed_s"].as_f64().unwrap(), u(p, "sent"));
        assert!(elapsed > last.0 + 0.9 && sent > last.1, "a second later, more sent: {p}");
        assert!(u(p, "back") <= sent && sent <= 7000 && u(p, "overdue") == 0, "{p}");
        assert!(p["step"].as_str().unwrap().contains("at 2000 pps"), "{p}");
        last = (elapsed, sent);
    }
    assert!(!without.stdout.contains('\r') && !without.stdout.contains("progress"), "{without}");
}

/// --search: a top rate no echo here reaches, so the search narrows down; the
/// throughput is the highest rate whose trial passed, below the lowest that
/// failed, and the latency trials run at 10, 50, 90 and 100% of it.
#[test]
fn search_finds_the_throughput_and_reports_every_trial() {
    let link = Memif::new("load-search");
    let echo_eal = link.echo_eal();
    let echo = link.start(L2_ECHO, &echo_eal, &[]);
    let plot = link.dir.path("search.svg");
    let (code, s, out) = load(
        &link.load_eal(""),
        &[
            "--dst",
            ECHO_MAC,
            "--search",
            "--rate",
            "80000000",
            "--trial",
            "0.1",
            "--resolution",
            "10",
            "--timeout",
            "0.2",
            "--size",
            "60,1000",
            "--plot",
            plot.to_str().unwrap(),
        ],
    );
    stop(echo, &echo_eal);
    assert_eq!(code, Some(0), "{out}");
    let rows = s["search"].as_array().expect("a row per size");
    assert_eq!(rows.len(), 2, "{out}");
    for (row, size) in rows.iter().zip([60, 1000]) {
        assert_eq!(u(row, "size"), size);
        let found = u(row, "throughput_pps");
        let trials = row["trials"].as_array().unwrap();
        assert!(found > 0 && trials.len() >= 2, "{row}");
        assert_eq!(u(&trials[0], "rate_asked"), 80_000_000, "from the top: {row}");
        // A pass: everything back, nothing wrong, and the sender kept the rate.
        let passed = |t: &Value| {
            let clean = u(t, "lost") + u(t, "bad") + u(t, "duplicates") + u(t, "reordered") + u(t, "late")
                == 0
                && u(t, "sent") == u(t, "planned");
            assert_eq!(
                t["passed"].as_bool(),
                Some(clean && t["send_lag_max_s"].as_f64().unwrap() <= 0.001),
                "{t}"
            );
            clean && t["passed"] == true
        };
        let best = trials.iter().filter(|t| passed(t)).map(|t| u(t, "rate_asked")).max();
        assert_eq!(best, Some(found), "the highest trial that got everything back: {row}");
        let lowest_failed = trials.iter().map(|t| u(t, "rate_asked")).filter(|&r| r > found).min().unwrap();
        assert!(lowest_failed as f64 - found as f64 <= 0.1 * lowest_failed as f64, "to 10%: {row}");
        let loads: Vec<u64> = row["latency"].as_array().unwrap().iter().map(|l| u(l, "load_pct")).collect();
        assert_eq!(loads, [10, 50, 90, 100], "{row}");
        for l in row["latency"].as_array().unwrap() {
            assert_eq!(u(l, "rate_asked"), found * u(l, "load_pct") / 100, "{l}");
            rtt_within_the_timeout(l, 0.2);
        }
    }
    let svg = std::fs::read_to_string(&plot).expect("--plot wrote the SVG");
    assert!(
        svg.contains("Zero-loss throughput") && svg.contains("60 B at 100%"),
        "{}",
        &svg[..svg.len().min(400)]
    );
}

/// --search --pdr --trials: every rate tried gets its trials, each judged
/// here from its own counts against the NDR's and the PDR's rule; the PDR
/// found is the highest rate all of whose trials passed within it (below
/// any where one did not), the NDR the same for passing outright.
#[test]
fn search_with_pdr_and_repeated_trials_judges_every_trial() {
    let link = Memif::new("load-pdr");
    let echo_eal = link.echo_eal();
    let echo = link.start(L2_ECHO, &echo_eal, &[]);
    let (code, s, out) = load(
        &link.load_eal(""),
        &[
            "--dst",
            ECHO_MAC,
            "--search",
            "--rate",
            "80000000",
            "--trial",
            "0.05",
            "--resolution",
            "20",
            "--timeout",
            "0.2",
            "--pdr",
            "2",
            "--trials",
            "2",
        ],
    );
    stop(echo, &echo_eal);
    assert_eq!(code, Some(0), "{out}");
    let row = &s["search"][0];
    let (rates, trials) = (row["rates"].as_array().unwrap(), row["trials"].as_array().unwrap());
    assert_eq!(row["pdr_pct"].as_f64(), Some(2.0), "{row}");
    assert_eq!(trials.len(), 2 * rates.len(), "two trials a rate: {row}");
    let mut by_rate = std::collections::BTreeMap::<u64, (u64, u64, u64)>::new();
    for t in trials {
        let not_good = u(t, "planned") - u(t, "good");
        let orderly = u(t, "sent") == u(t, "planned") && u(t, "duplicates") + u(t, "reordered") == 0;
        let on_time = t["send_lag_max_s"].as_f64().unwrap() <= 0.001;
        let e = by_rate.entry(u(t, "rate_asked")).or_default();
        e.0 += 1;
        e.1 += u64::from(orderly && on_time && not_good == 0);
        e.2 += u64::from(orderly && on_time && not_good as f64 <= 0.02 * u(t, "planned") as f64);
    }
    for r in rates {
        let (n, passed, within) = by_rate[&u(r, "rate_pps")];
        assert_eq!((u(r, "trials"), u(r, "passed"), u(r, "passed_pdr")), (n, passed, within), "{r}");
    }
    // The highest rate all of whose trials passed, below every rate where
    // one failed (a flaky trial there takes the search below it).
    let best = |k: usize| {
        let all_passed = |c: &(u64, u64, u64)| [c.1, c.2][k] == c.0;
        let lowest_failed = by_rate.iter().filter(|(_, c)| !all_passed(c)).map(|(&r, _)| r).min();
        let below = |r: u64| lowest_failed.is_none_or(|f| r < f);
        by_rate.iter().filter(|(&r, c)| all_passed(c) && below(r)).map(|(&r, _)| r).max().unwrap_or(0)
    };
    assert_eq!(best(0), u(row, "throughput_pps"), "the NDR: {row}");
    assert_eq!(best(1), u(row, "pdr_pps"), "the PDR: {row}");
    assert!(u(row, "pdr_pps") >= u(row, "throughput_pps"), "{row}");
}

/// RFC 2544's rest and learning frames before every trial: l2_echo --idle
/// adaptive sleeps 0.1 s at a time once its queue has been quiet for 0.1 s,
/// which every --rest of 0.25 s gives it, and a memif ring of 1024 holds
/// 5 ms at 200,000 pps: a trial that began while it slept would lose frames,
/// or (memif pushing back) be held back, by up to 0.1 s from its start. The
/// learning frames wake it first, so no light trial (at a tenth of the
/// throughput found, or 1 Mpps where that is less: the echo's easy rates),
/// after a failed one or after a rest, loses a frame in its first 10 ms or
/// falls 10 ms behind; each trial's JSON gives its
/// learning frames and the first lost frame's sequence number.
#[test]
fn no_trial_loses_its_start_to_an_echo_asleep() {
    assert!(
        !under_qemu_user(),
        "an echo under emulation keeps no 1 Mpps: scripts/test_arm64.sh must filter this test out (QEMU_USER_CANNOT)"
    );
    let link = Memif::new("load-rest");
    let echo_eal = link.echo_eal();
    let echo = link.start(L2_ECHO, &echo_eal, &["--json", "--idle", "adaptive", "--idle-deep-us", "100000"]);
    let (code, s, out) = load(
        &link.load_eal(""),
        &[
            "--dst",
            ECHO_MAC,
            "--search",
            "--rate",
            "60000000",
            "--trial",
            "0.05",
            "--resolution",
            "10",
            "--timeout",
            "0.05",
            "--rest",
            "0.25",
        ],
    );
    let echoed = stop(echo, &echo_eal);
    assert_eq!(code, Some(0), "{out}\n{echoed}");
    let row = &s["search"][0];
    let searched = row["trials"].as_array().unwrap();
    let latency = row["latency"].as_array().unwrap();
    assert_eq!(searched[0]["passed"], false, "60 Mpps, more than one lcore sends: {row}");
    // Light trials: at a tenth of the throughput found (the 10% latency
    // trial), or 1 Mpps where that is less: never near what the echo keeps.
    let light = (u(row, "throughput_pps") / 10).max(1_000_000);
    let (mut checked, mut sent, mut learning) = (0, 0, 0);
    for t in searched.iter().chain(latency) {
        let l = &t["learning"];
        assert!(u(l, "received") >= 1 && u(l, "sent") >= u(l, "received"), "learning frames, back: {t}");
        (sent, learning) = (sent + u(t, "sent"), learning + u(l, "sent"));
        match t["first_lost"].as_u64() {
            Some(seq) => assert!(seq < u(t, "sent") && u(t, "lost") > 0, "{t}"),
            None => assert_eq!(u(t, "lost"), 0, "{t}"),
        }
        let rate = u(t, "rate_asked");
        if rate <= light {
            let (first_lost, lag) = (t["first_lost"].as_u64(), t["send_lag_max_s"].as_f64().unwrap());
            assert!(
                first_lost.is_none_or(|seq| seq >= rate / 100) && lag < 0.01,
                "{rate} pps: frame {first_lost:?} lost, within the first 10 ms, or held back {lag} s: {t}\n{out}"
            );
            checked += 1;
        }
    }
    assert!(checked >= 1, "a trial at {light} pps or less (the latency trial at 10%): {out}");
    // The echo counted every learning frame: the first warm-up's and each trial's.
    let (warm_sent, _) = warmup(&s);
    assert!(warm_sent > learning, "{s}");
    assert_eq!(u(&echoed.summary(), "rx_packets"), sent + warm_sent, "{echoed}\n{s}");
}

/// l2_multi_echo on a 4-queue veth (net_af_packet, its fanout spreading
/// flows as RSS would): l2_load in the peer namespace sends 64 flows; every
/// frame back, every queue busy, nothing reordered within a flow.
#[test]
#[ignore = "needs root (network namespaces): sudo make test runs it"]
fn l2_multi_echo_spreads_flows_over_four_queues_in_order() {
    require_veth();
    let net = VethPair::new("ld", 4);
    // Four polling lcores on the CPUs off PEER_CPU; l2_load, the peer, polls
    // on it. Nothing here waits for a thread to be woken: l2_load's frames
    // reach the echo's rings within its own sendto, and the echo's replies
    // reach l2_load's ring in the receive softirq that RPS sends to PEER_CPU
    // by an interrupt, which runs ahead of the poller rather than behind it.
    let eal = net.af_packet_eal(4);
    let echo = net.start_echo(L2_MULTI_ECHO, &eal, &["--json"]);
    let load_eal = peer_af_packet_eal();
    let out = net
        .peer_command(L2_LOAD)
        .args(&load_eal)
        .args(["--", "--json", "--dst", &net.echo_mac, "--rate", "5000", "--duration", "1", "--flows", "64"])
        .output()
        .expect("l2_load");
    remove_runtime_dir(&load_eal);
    let load = Run::from(out);
    let run = stop(echo, &eal);
    run.assert_success();
    let s = load.summary();
    assert_eq!(load.status.code(), Some(0), "{load}\n{run}{}", net.counters());
    assert_eq!((u(&s, "sent"), u(&s, "good"), u(&s, "reordered")), (5000, 5000, 0), "{load}");
    let e = run.summary();
    let queues = e["queues"].as_array().unwrap();
    assert_eq!(queues.len(), 4);
    for q in queues {
        assert!(u(q, "tx_packets") > 0, "every queue echoed some flows: {e}");
    }
    let (_, warm_back) = warmup(&s);
    let echoed: u64 = queues.iter().map(|q| u(q, "tx_packets")).sum();
    assert_eq!(echoed, u(&s, "good") + warm_back + u(&s, "other"), "{e}\n{s}");
}
