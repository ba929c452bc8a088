//! The system calls udp_echo needs that std does not offer, each behind a
//! safe function: SO_BUSY_POLL, the thread's CPU, SIGINT/SIGTERM to a flag,
//! and a batch of datagrams received and sent with recvmmsg/sendmmsg.

use std::io;
use std::mem;
use std::net::UdpSocket;
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, Ordering};

/// Largest datagram a slot holds: a 9000-byte jumbo frame's payload.
pub const SLOT: usize = 9000;

/// Busy-polls the device queue for up to `us` microseconds on a blocking
/// read before sleeping (SO_BUSY_POLL; raising it past net.core.busy_read
/// needs CAP_NET_ADMIN).
pub fn set_busy_poll(socket: &UdpSocket, us: u32) -> io::Result<()> {
    let value = libc::c_int::try_from(us).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    // SAFETY: a valid socket and a c_int option value of the size given.
    let rc = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_BUSY_POLL,
            (&value as *const libc::c_int).cast(),
            mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Runs the calling thread on `cpu` only.
pub fn pin_to(cpu: usize) -> io::Result<()> {
    if cpu >= libc::CPU_SETSIZE as usize {
        return Err(io::Error::from(io::ErrorKind::InvalidInput));
    }
    // SAFETY: a zeroed cpu_set_t is the empty set; CPU_SET stays within it
    // (cpu checked above); sched_setaffinity reads the set it is given.
    let rc = unsafe {
        let mut set: libc::cpu_set_t = mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        libc::sched_setaffinity(0, mem::size_of::<libc::cpu_set_t>(), &set)
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// An all-zero C struct (null pointers, zero lengths, address family 0).
fn zeroed<T: Zeroable>() -> T {
    // SAFETY: only the C structs below implement Zeroable, each valid all zero.
    unsafe { mem::zeroed() }
}

/// C structs for which all-zero bytes are a valid value.
trait Zeroable {}
impl Zeroable for libc::sockaddr_in {}
impl Zeroable for libc::iovec {}
impl Zeroable for libc::mmsghdr {}

static QUIT: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    QUIT.store(true, Ordering::Relaxed);
}

/// SIGINT and SIGTERM set the flag [`quit`] reads, once installed.
pub fn quit_on_signals() {
    for sig in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: the handler only stores to an atomic (async-signal-safe).
        unsafe { libc::signal(sig, on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t) };
    }
}

pub fn quit() -> bool {
    QUIT.load(Ordering::Relaxed)
}

/// Buffers for a batch of datagrams and the headers recvmmsg and sendmmsg
/// fill: one allocation at start, none per datagram.
pub struct Batch {
    slots: Vec<[u8; SLOT]>,
    addrs: Vec<libc::sockaddr_in>,
    iovs: Vec<libc::iovec>,
    headers: Vec<libc::mmsghdr>,
}

impl Batch {
    pub fn new(size: usize) -> Batch {
        Batch {
            slots: vec![[0; SLOT]; size],
            addrs: (0..size).map(|_| zeroed()).collect(),
            iovs: (0..size).map(|_| zeroed()).collect(),
            headers: (0..size).map(|_| zeroed()).collect(),
        }
    }

    /// Points header i at slot i (`len` bytes of it) and address i.
    fn point(&mut self, i: usize, len: usize) {
        self.iovs[i] = libc::iovec { iov_base: self.slots[i].as_mut_ptr().cast(), iov_len: len };
        let header = &mut self.headers[i].msg_hdr;
        header.msg_iov = &mut self.iovs[i];
        header.msg_iovlen = 1;
        header.msg_name = (&mut self.addrs[i] as *mut libc::sockaddr_in).cast();
        header.msg_namelen = mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
    }

    /// Waits for datagrams (until the socket's read timeout), then takes
    /// those already queued, up to the batch's size; how many (0: timeout).
    pub fn receive(&mut self, socket: &UdpSocket) -> io::Result<usize> {
        for i in 0..self.headers.len() {
            self.point(i, SLOT);
        }
        // SAFETY: every header points at its own slot of SLOT bytes and its
        // own address, all alive and unaliased for the call.
        let n = unsafe {
            libc::recvmmsg(
                socket.as_raw_fd(),
                self.headers.as_mut_ptr(),
                self.headers.len() as libc::c_uint,
                libc::MSG_WAITFORONE,
                std::ptr::null_mut(),
            )
        };
        match n {
            n if n >= 0 => Ok(n as usize),
            _ => match io::Error::last_os_error() {
                e if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted) => Ok(0),
                e => Err(e),
            },
        }
    }

    /// Sends the first `n` datagrams received back where each came from;
    /// how many the kernel took.
    pub fn send_back(&mut self, socket: &UdpSocket, n: usize) -> io::Result<usize> {
        for i in 0..n {
            let len = self.headers[i].msg_len as usize;
            self.point(i, len);
        }
        // SAFETY: the first n headers point at their slots' received bytes
        // and at the sender's address recvmmsg wrote.
        let sent =
            unsafe { libc::sendmmsg(socket.as_raw_fd(), self.headers.as_mut_ptr(), n as libc::c_uint, 0) };
        if sent >= 0 {
            Ok(sent as usize)
        } else {
            Err(io::Error::last_os_error())
        }
    }
}
