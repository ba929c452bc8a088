//! The safe layer in a process of its own, on net_null: what the types cannot
//! rule out at compile time (a port id, a queue number, a burst's fill) is
//! refused or cleaned up at run time. One test: one EAL per process.

mod common;
use common::*;
use dpdk_echo::dpdk::{Eal, MbufBurst, Mempool, Port};

#[test]
fn ports_and_queues_are_owned_once_and_a_burst_frees_whatever_it_holds() {
    let mut args = vec!["safe_layer".to_string()];
    args.extend(test_eal_args());
    args.extend(["-l", "0", "--vdev", "net_null0"].map(String::from));
    let os_args: Vec<std::ffi::OsString> = args.iter().map(Into::into).collect();
    let eal = Eal::init(&os_args).expect("EAL");

    let mut port = Port::open(&eal, 0).expect("port 0");
    let again = Port::open(&eal, 0).err().expect("a second Port for port 0 is refused");
    assert_eq!(again.to_string(), "port 0 is already open in this process");

    let (rxd, txd) = port.configure(1, 0, 0, 256, 256).expect("configure");
    let pool = Mempool::create(&eal, "safe_layer", 4095, 0, -1).expect("pool");
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
    drop(burst);
    drop(queue);
    let stats = port.stats().expect("stats");
    assert_eq!((stats.ipackets, stats.opackets), (64 + 512 + 32, 32), "{stats:?}");
    drop(port);
    drop(eal);
    remove_runtime_dir(&args);
}
