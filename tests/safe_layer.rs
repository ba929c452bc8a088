//! The safe layer in a process of its own, on net_null: what the types cannot
//! rule out at compile time (a port id, a queue number, a queue's setup, a
//! burst's fill, a launch that comes back to the Eal) is refused or cleaned
//! up at run time. One test: one EAL per process; each part a function.

mod common;
use common::*;

use std::cell::RefCell;
use std::panic::{catch_unwind, panic_any, AssertUnwindSafe};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use dpdk_echo::dpdk::{Eal, MbufBurst, Mempool, Port};
use dpdk_echo::quit::QuitFlag;

thread_local! {
    /// The Eal where a job on the main lcore can reach it: the one way left
    /// for a launch to come back to it, which it refuses.
    static EAL: RefCell<Option<Rc<Eal>>> = const { RefCell::new(None) };
}

#[test]
fn the_safe_layer_refuses_at_run_time_what_its_types_cannot() {
    let mut args = vec!["safe_layer".to_string()];
    args.extend(test_eal_args());
    let lcores = lcores_off_peer_cpu(2);
    args.extend(["--lcores", &lcores, "--vdev", "net_null0", "--vdev", "net_null1"].map(String::from));
    let os_args: Vec<std::ffi::OsString> = args.iter().map(Into::into).collect();
    let eal = Rc::new(Eal::init(&os_args).expect("EAL"));

    ports_and_queues_are_owned_once_and_a_burst_frees_whatever_it_holds(&eal);
    a_queue_is_claimed_only_as_set_up_since_the_last_configure(&eal);
    the_launcher_waits_for_its_workers_even_when_a_panic_escapes(&eal);
    a_launch_from_a_job_or_naming_an_lcore_twice_is_refused(&eal);
    drop(eal);
    remove_runtime_dir(&args);
}

fn ports_and_queues_are_owned_once_and_a_burst_frees_whatever_it_holds(eal: &Eal) {
    let mut port = Port::open(eal, 0).expect("port 0");
    let again = Port::open(eal, 0).err().expect("a second Port for port 0 is refused");
    assert_eq!(again.to_string(), "port 0 is already open in this process");

    let (rxd, txd) = port.configure(1, 0, 0, 256, 256).expect("configure");
    let pool = Mempool::create(eal, "safe_layer", 4095, 0, -1).expect("pool");
    port.setup_queue_pair(0, rxd, txd, pool).expect("queue pair");
    assert!(port.claim_queue(0).is_err(), "a queue of a port not started cannot be claimed");
    port.start().expect("start");
    let baseline = port.mbufs_in_use();
    {
        let mut queue = port.claim_queue(0).expect("queue 0");
        let second = port.claim_queue(0).err().expect("queue 0 is held");
        assert_eq!(second.to_string(), "queue 0 of port 0 is already in use");
        assert!(port.claim_queue(1).is_err(), "there is no queue 1");

        let mut burst = MbufBurst::new(&mut queue);
        // net_null never runs dry: each receive fills what it is asked for,
        // after what the burst already holds, up to its room.
        assert_eq!(burst.receive(32), 32);
        assert_eq!(burst.receive(32), 32);
        assert_eq!(port.mbufs_in_use(), baseline + 64, "the burst holds 64 mbufs");
        assert_eq!(burst.retain_frames(|frame| frame.len() % 2 == 1), 64, "net_null's frames are 64 bytes");
        assert_eq!(port.mbufs_in_use(), baseline, "the refused frames went back");
        assert_eq!(burst.receive(u16::MAX), 512, "at most MAX_BURST in a burst");
        assert_eq!(burst.receive(1), 0, "a full burst receives nothing");
        assert_eq!(port.mbufs_in_use(), baseline + 512);
        // Dropped with 512 mbufs in it (an lcore that fails mid-burst).
    }
    assert_eq!(port.mbufs_in_use(), baseline, "dropping the burst freed what it held");
    let mut queue = port.claim_queue(0).expect("queue 0 is free again once its holder drops");
    let mut burst = MbufBurst::new(&mut queue);
    assert_eq!(burst.receive(32), 32);
    assert_eq!(burst.transmit(), 32, "net_null takes every frame");
    assert_eq!(port.mbufs_in_use(), baseline);

    // A fill that panics on the 4th of 8 frames: all 8 go back to the pool.
    let filled = catch_unwind(AssertUnwindSafe(|| {
        burst.allocate(8, |_| 64, |i, _| assert!(i < 3, "the fill fails on frame {i}"))
    }));
    assert!(filled.is_err(), "the fill's panic reaches the caller");
    assert_eq!(port.mbufs_in_use(), baseline, "the mbufs of a fill that panicked went back");
    assert!(burst.allocate(8, |_| 64, |_, frame| frame.fill(0)), "the burst is whole after it");
    assert_eq!(port.mbufs_in_use(), baseline + 8);
    drop(burst);
    assert_eq!(port.mbufs_in_use(), baseline);
    drop(queue);
    let stats = port.stats().expect("stats");
    assert_eq!((stats.ipackets, stats.opackets), (64 + 512 + 32, 32), "{stats:?}");
}

/// Port 1, configured for 2 queues, then 1, then 2: DPDK keeps queue 0 set up
/// across each configure and releases queue 1 at the second. Pools of 31 mbufs
/// stand in for the wrong ones: a claim that used one could not allocate 32.
fn a_queue_is_claimed_only_as_set_up_since_the_last_configure(eal: &Eal) {
    let small_pool = |name: &str| Mempool::create(eal, name, 31, 0, -1).expect("small pool");
    let pool = |name: &str| Mempool::create(eal, name, 1023, 0, -1).expect("pool");
    let mut port = Port::open(eal, 1).expect("port 1");
    assert_eq!(port.start().unwrap_err().to_string(), "port 1 is not configured");
    assert!(port.configure(0, 0, 0, 256, 256).is_err(), "0 queues (the driver's default count) is refused");

    let (rxd, txd) = port.configure(2, 0, 0, 256, 256).expect("configure 2");
    port.setup_queue_pair(0, rxd, txd, small_pool("p1_first_q0")).expect("queue 0");
    port.setup_queue_pair(1, rxd, txd, small_pool("p1_first_q1")).expect("queue 1");
    port.configure(1, 0, 0, 256, 256).expect("configure 1");
    let (rxd, txd) = port.configure(2, 0, 0, 256, 256).expect("configure 2 again");
    port.setup_queue_pair(0, rxd, txd, pool("p1_q0")).expect("queue 0 again");
    let unset = port.start().expect_err("a port with a queue not set up since configure does not start");
    assert_eq!(unset.to_string(), "queue 1 of port 1 is not set up");
    let beyond = port.setup_queue_pair(2, rxd, txd, small_pool("p1_q2")).expect_err("no queue 2");
    assert_eq!(beyond.to_string(), "port 1 has no queue 2 (configured with 2)");

    // Queue 1 set up twice: the second pool is the one it fills and allocates from.
    port.setup_queue_pair(1, rxd, txd, small_pool("p1_q1_replaced")).expect("queue 1");
    port.setup_queue_pair(1, rxd, txd, pool("p1_q1")).expect("queue 1 again");
    port.start().expect("start, every queue set up");
    let baseline = port.mbufs_in_use();
    for queue in 0..2 {
        let mut queue_pair = port.claim_queue(queue).expect("a queue set up since configure");
        let mut burst = MbufBurst::new(&mut queue_pair);
        assert!(burst.allocate(32, |_| 64, |_, _| {}), "queue {queue} allocates from its last pool, of 1023");
        assert_eq!(port.mbufs_in_use(), baseline + 32);
    }
    assert_eq!(port.mbufs_in_use(), baseline);
}

/// The main lcore's job panics with a payload whose drop panics too, which
/// escapes `panic::catch` and unwinds out of `run_on_lcores`: by then the
/// worker, which runs until quit is set, must have been told to stop and
/// waited for, since its job is freed on the way.
fn the_launcher_waits_for_its_workers_even_when_a_panic_escapes(eal: &Eal) {
    struct PanicsWhenDropped;
    impl Drop for PanicsWhenDropped {
        fn drop(&mut self) {
            panic!("the panic's payload panics when dropped");
        }
    }

    let main = eal.main_lcore();
    let lcores = eal.lcores();
    assert_eq!(lcores.len(), 2, "{lcores:?}");
    let quit = QuitFlag::new();
    let worker_returned = AtomicBool::new(false);
    let escaped = catch_unwind(AssertUnwindSafe(|| {
        eal.run_on_lcores(&lcores, &quit, |_, lcore| {
            if lcore == main {
                panic_any(PanicsWhenDropped);
            }
            while !quit.is_set() {
                std::thread::sleep(Duration::from_millis(1));
            }
            worker_returned.store(true, Ordering::Release);
            Ok(())
        })
    }));
    assert!(escaped.is_err(), "the payload's panic escapes the launcher");
    assert!(quit.is_set(), "the unwind set quit");
    assert!(worker_returned.load(Ordering::Acquire), "the launcher waited for the worker before it unwound");

    // The Eal launches again after it, on both lcores, slot by slot.
    let quit = QuitFlag::new();
    let results = eal.run_on_lcores(&lcores, &quit, |slot, lcore| Ok((slot, lcore))).expect("launched");
    for (slot, (lcore, result)) in results.into_iter().enumerate() {
        assert_eq!(lcore, lcores[slot]);
        assert_eq!(result.expect("ran"), (slot, lcore));
    }
}

fn a_launch_from_a_job_or_naming_an_lcore_twice_is_refused(eal: &Rc<Eal>) {
    let main = eal.main_lcore();
    let quit = QuitFlag::new();
    EAL.with(|cell| *cell.borrow_mut() = Some(eal.clone()));
    let nested = eal
        .run_on_lcores(&[main], &quit, |_, _| {
            let eal = EAL.with(|cell| cell.borrow().clone()).expect("the Eal in the thread-local");
            Ok(eal.run_on_lcores(&[main], &quit, |_, _| Ok(())).err().map(|e| e.to_string()))
        })
        .expect("the outer launch");
    EAL.with(|cell| cell.borrow_mut().take());
    assert_eq!(
        nested[0].1.as_ref().expect("the outer job ran").as_deref(),
        Some("run_on_lcores is already running: a job cannot launch lcores")
    );

    let twice = eal.run_on_lcores(&[main, main], &quit, |_, _| Ok(())).expect_err("refused");
    assert_eq!(twice.to_string(), format!("lcore {} is given twice (slots 0 and 1)", main.id()));
    assert!(!quit.is_set(), "nothing ran, nothing failed");
}
