//! The Environment Abstraction Layer: initialised once per process from the EAL
//! part of the command line, cleaned up on drop.

use std::cell::{Cell, RefCell};
use std::ffi::{c_char, c_int, CString, OsString};
use std::marker::PhantomData;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use super::error::{errno_text, rte_errno};
use super::lcore::{ControlCpus, Lcore};
use super::mempool::RetiredPools;

/// Splits `prog [EAL options] [-- app options]` into the EAL's arguments and
/// the application's, each starting with the program name.
///
/// `-h`/`--help` and `-V`/`--version` before `--` go to the application, so
/// `l2_echo --help` shows the application's help instead of EAL's bare usage.
/// Arguments are taken as the OS gives them: they need not be UTF-8.
pub fn split_args(args: impl IntoIterator<Item = OsString>) -> (Vec<OsString>, Vec<OsString>) {
    let mut args = args.into_iter();
    let prog = args.next().unwrap_or_else(|| "l2_echo".into());
    let (mut eal, mut app) = (vec![prog.clone()], vec![prog]);
    let mut after_separator = false;
    for arg in args {
        if after_separator {
            app.push(arg);
        } else if arg == "--" {
            after_separator = true;
        } else if ["-h", "--help", "-V", "--version"].iter().any(|a| arg == *a) {
            app.push(arg);
        } else {
            eal.push(arg);
        }
    }
    (eal, app)
}

/// The initialised EAL. Everything DPDK hands out borrows it, so it is cleaned
/// up last. Neither `Send` nor `Sync`: it belongs to the main lcore's thread
/// (the one that called `rte_eal_init`), the only one that launches lcores.
pub struct Eal {
    // rte_eal_init may keep pointers into argv: keep the strings alive.
    _argv: Vec<CString>,
    vdevs: Vec<String>,
    cpus_before_init: libc::cpu_set_t,
    capture: bool,
    /// Port ids a `Port` was made for: each once.
    ports: RefCell<Vec<u16>>,
    /// Whether `run_on_lcores` is running (on this thread: the Eal is not `Sync`).
    pub(super) launching: Cell<bool>,
    /// The pools of the ports closed so far, freed before `rte_eal_cleanup`.
    pub(super) retired_pools: RetiredPools,
    _not_send: PhantomData<*const ()>,
}

impl Eal {
    /// Runs `rte_eal_init` on `args` (program name first, EAL options after).
    pub fn init(args: &[OsString]) -> Result<Eal> {
        let argv: Vec<CString> = args
            .iter()
            .map(|a| CString::new(a.as_bytes()))
            .collect::<Result<_, _>>()
            .context("an EAL argument contains a NUL byte")?;
        // For messages only: EAL reads the bytes themselves.
        let args: Vec<String> = args.iter().map(|a| a.to_string_lossy().into_owned()).collect();
        let args = args.as_slice();
        // Without root, EAL cannot use hugepages anyway: let it say so below.
        if is_root() && !args.iter().any(|a| a == "--no-huge") {
            check_hugepages()?;
        }
        // rte_eal_init pins this thread to the main lcore: note what it had.
        let cpus_before_init =
            ControlCpus::allowed_now().context("cannot read this thread's CPU affinity")?;
        let mut ptrs: Vec<*mut c_char> = argv.iter().map(|a| a.as_ptr().cast_mut()).collect();
        let argc = c_int::try_from(ptrs.len()).context("too many EAL arguments")?;
        let bad_arguments = format!(
            "EAL initialisation failed ({}): {}",
            errno_text(libc::EINVAL),
            advice(libc::EINVAL, args)
        );
        let exit_guard = init_exit::Guard::arm(&args[0], &bad_arguments);
        // SAFETY: argc/argv describe NUL-terminated strings that outlive the
        // EAL (kept in `_argv`); EAL may permute `ptrs`, which is ours to give.
        let ret = unsafe { dpdk_sys::rte_eal_init(argc, ptrs.as_mut_ptr()) };
        drop(exit_guard);
        if ret < 0 {
            let errno = rte_errno();
            // EAL reports a runtime directory it cannot make as bad arguments (EINVAL).
            if let Some(problem) = runtime_dir_problem(args) {
                bail!("EAL initialisation failed: {problem}");
            }
            let cause = if errno == 0 { String::new() } else { format!(" ({})", errno_text(errno)) };
            bail!("EAL initialisation failed{cause}: {}", diagnose(errno, args));
        }
        let vdevs = args
            .iter()
            .zip(args.iter().skip(1))
            .filter(|(opt, _)| *opt == "--vdev")
            .map(|(_, dev)| dev.clone())
            .chain(args.iter().filter_map(|a| a.strip_prefix("--vdev=").map(str::to_owned)))
            .collect();
        Ok(Eal {
            _argv: argv,
            vdevs,
            cpus_before_init,
            capture: false,
            ports: RefCell::new(Vec::new()),
            launching: Cell::new(false),
            retired_pools: RetiredPools::default(),
            _not_send: PhantomData,
        })
    }

    /// Notes that a `Port` owns port `id` from now on; false if one already did.
    pub(super) fn claim_port(&self, id: u16) -> bool {
        let mut ports = self.ports.borrow_mut();
        let first = !ports.contains(&id);
        ports.push(id);
        first
    }

    /// The virtual devices asked for with --vdev.
    pub fn vdevs(&self) -> &[String] {
        &self.vdevs
    }

    /// The lcore running this thread (`rte_eal_init`'s caller).
    pub fn main_lcore(&self) -> Lcore {
        // SAFETY: plain query of the initialised EAL.
        Lcore::from_id(unsafe { dpdk_sys::rte_get_main_lcore() })
    }

    /// Every lcore of the EAL core list (`-l`), in index order (0..count).
    pub fn lcores(&self) -> Vec<Lcore> {
        let mut lcores = Vec::new();
        let mut id: u32 = u32::MAX; // -1: start before the first lcore
        loop {
            // SAFETY: plain query; returns RTE_MAX_LCORE after the last lcore.
            id = unsafe { dpdk_sys::rte_get_next_lcore(id, 0, 0) };
            if id >= dpdk_sys::RTE_MAX_LCORE {
                break;
            }
            lcores.push(Lcore::from_id(id));
        }
        lcores.sort_by_key(Lcore::index);
        lcores
    }

    /// Lets DPDK's capture tools (dpdk-dumpcap, dpdk-pdump) copy the ports'
    /// traffic, as secondary processes: they need the EAL's shared memory, so
    /// not with --in-memory or --no-shconf. Ended when the Eal drops. Returns
    /// whether it could.
    pub fn enable_packet_capture(&mut self) -> bool {
        // SAFETY: the EAL is initialised; undone in Drop.
        self.capture = unsafe { dpdk_sys::rte_pdump_init() } == 0;
        if !self.capture {
            log::info!("packet capture (pdump) unavailable: {}", errno_text(rte_errno()));
        }
        self.capture
    }

    /// Where threads that are not lcores should run, away from the lcores.
    pub fn control_cpus(&self) -> ControlCpus {
        ControlCpus::new(self.cpus_before_init, &self.lcores(), self.main_lcore())
    }
}

impl Drop for Eal {
    fn drop(&mut self) {
        // `run_on_lcores` waits for its workers before it returns, even on an
        // unwind; this is the last line, should a worker be busy all the same.
        // SAFETY: called on the main lcore, which launches nothing meanwhile.
        unsafe { dpdk_sys::rte_eal_mp_wait_lcore() };
        if self.capture {
            // SAFETY: initialised by enable_packet_capture.
            unsafe { dpdk_sys::rte_pdump_uninit() };
        }
        // No port or burst is left (they borrow the Eal): their pools can go.
        self.retired_pools.free_all();
        // SAFETY: every DPDK object borrows the Eal, so none is alive any more.
        let ret = unsafe { dpdk_sys::rte_eal_cleanup() };
        if ret != 0 {
            log::warn!("rte_eal_cleanup failed: {}", errno_text(ret));
        }
    }
}

/// The DPDK release whose libraries this process loaded, as `rte_version`
/// says it ("DPDK 22.11.11"): not always the one it was compiled against.
pub fn library_version() -> String {
    // SAFETY: returns a static string; needs no initialised EAL.
    let text = unsafe { std::ffi::CStr::from_ptr(dpdk_sys::rte_version()) };
    text.to_string_lossy().into_owned()
}

/// DPDK 25.11 and later parse EAL's options with rte_argparse, set to exit the
/// process on an option it does not know, a missing value or a repeated one
/// (status 234, after its own `ARGPARSE: ...` line) instead of returning from
/// `rte_eal_init`. While `rte_eal_init` runs, an exit hook (glibc's `on_exit`)
/// ends such an exit as a failed init ends on every other DPDK: with this
/// program's one-line error and exit status 1.
mod init_exit {
    use std::ffi::{c_int, c_void, CString};
    use std::path::Path;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Once, OnceLock};

    extern "C" {
        /// glibc's: like atexit, but the function gets the exit status.
        fn on_exit(function: extern "C" fn(c_int, *mut c_void), arg: *mut c_void) -> c_int;
    }

    /// The line to print (set once: EAL initialises once per process).
    static LINE: OnceLock<CString> = OnceLock::new();
    /// Whether `rte_eal_init` is running.
    static ARMED: AtomicBool = AtomicBool::new(false);

    extern "C" fn hook(status: c_int, _: *mut c_void) {
        if status == 0 || !ARMED.load(Ordering::Acquire) {
            return;
        }
        let Some(line) = LINE.get() else { return };
        // SAFETY: a live static buffer; write(2) and _exit need no Rust runtime.
        unsafe {
            libc::write(2, line.as_ptr().cast(), line.as_bytes().len());
            libc::_exit(1);
        }
    }

    /// Armed from `arm` until dropped.
    pub struct Guard;

    impl Guard {
        /// Arms the hook with `PROG: error: MESSAGE`.
        pub fn arm(argv0: &str, message: &str) -> Guard {
            static REGISTER: Once = Once::new();
            // SAFETY: registers a plain function; glibc keeps it until exit.
            REGISTER.call_once(|| unsafe {
                on_exit(hook, std::ptr::null_mut());
            });
            LINE.get_or_init(|| {
                let prog = Path::new(argv0).file_name().map_or(argv0.into(), |p| p.to_string_lossy());
                CString::new(format!("{prog}: error: {message}\n").replace('\0', "")).unwrap_or_default()
            });
            ARMED.store(true, Ordering::Release);
            Guard
        }
    }

    impl Drop for Guard {
        fn drop(&mut self) {
            ARMED.store(false, Ordering::Release);
        }
    }
}

/// Turns a failed `rte_eal_init` into advice: EAL's own message (printed just
/// above) names the symptom, this names the way out, where it is known.
fn diagnose(errno: i32, args: &[String]) -> String {
    // EAL reports a primary already on this prefix with whatever rte_errno was.
    match config_lock_holder(args) {
        Some(pid) => format!(
            "another DPDK process (pid {pid}) is running with --file-prefix {}: stop it, or give \
             this one its own --file-prefix NAME",
            file_prefix(args)
        ),
        None => advice(errno, args),
    }
}

/// What to do about `errno` from `rte_eal_init`.
fn advice(errno: i32, args: &[String]) -> String {
    let has = |opt: &str| args.iter().any(|a| a == opt || a.starts_with(&format!("{opt}=")));
    let no_huge = has("--no-huge");
    let root = is_root();
    match errno {
        libc::EALREADY => "the EAL is already initialised in this process".into(),
        libc::EINVAL => "invalid EAL arguments (EAL's message above says which): EAL options \
                         (e.g. -l 1, --vdev) come first, the application's after `--`"
            .into(),
        libc::ENODEV => "a device in the EAL options cannot be used (EAL's message above names \
                         it): check the --vdev name and its arguments"
            .into(),
        _ if !root && !no_huge => "not running as root: use sudo (or --no-huge for a test \
                                   run without hugepages)"
            .into(),
        libc::EACCES | libc::ENOMEM if !no_huge => {
            "cannot use hugepages: run `sudo l2echo-setup-hugepages` (scripts/setup_env.sh in a \
             source tree) to reserve and mount them (or pass --no-huge for a test run)"
                .into()
        }
        _ => "EAL's message above says why".into(),
    }
}

/// The --file-prefix EAL uses: either form of the option, the last one
/// given, else `rte`.
fn file_prefix(args: &[String]) -> String {
    let mut prefix = "rte";
    for (i, arg) in args.iter().enumerate() {
        if arg == "--file-prefix" {
            prefix = args.get(i + 1).map_or(prefix, String::as_str);
        } else if let Some(value) = arg.strip_prefix("--file-prefix=") {
            prefix = value;
        }
    }
    prefix.to_owned()
}

/// EAL's runtime directory for these arguments: `/var/run/dpdk/PREFIX` for
/// root, else `$XDG_RUNTIME_DIR/dpdk/PREFIX` or `/tmp/dpdk/PREFIX`.
fn runtime_dir(args: &[String]) -> PathBuf {
    // SAFETY: getuid cannot fail.
    let base = if unsafe { libc::getuid() } == 0 {
        "/var/run".into()
    } else {
        std::env::var("XDG_RUNTIME_DIR").unwrap_or_else(|_| "/tmp".into())
    };
    Path::new(&base).join("dpdk").join(file_prefix(args))
}

/// The process holding the lock a primary EAL keeps on its runtime
/// directory's `config` file, if one does.
fn config_lock_holder(args: &[String]) -> Option<libc::pid_t> {
    let file = std::fs::File::open(runtime_dir(args).join("config")).ok()?;
    // SAFETY: flock is plain data; all-zero is a valid start.
    let mut lock: libc::flock = unsafe { std::mem::zeroed() };
    lock.l_type = libc::F_WRLCK as libc::c_short;
    lock.l_whence = libc::SEEK_SET as libc::c_short;
    // SAFETY: a valid descriptor and a flock of ours; F_GETLK only fills it in.
    let ret = unsafe { libc::fcntl(std::os::fd::AsRawFd::as_raw_fd(&file), libc::F_GETLK, &mut lock) };
    (ret == 0 && lock.l_type != libc::F_UNLCK as libc::c_short).then_some(lock.l_pid)
}

/// Why EAL could not make its runtime directory, if it could not: as EAL does,
/// `/var/run/dpdk/PREFIX` for root, else `$XDG_RUNTIME_DIR/dpdk/PREFIX` or
/// `/tmp/dpdk/PREFIX` (by the real uid), each level made if missing. Checked
/// with access(2), so nothing is created here.
fn runtime_dir_problem(args: &[String]) -> Option<String> {
    // Without shared files EAL carries on when it cannot make the directory.
    if args.iter().any(|a| a == "--no-shconf" || a == "--in-memory") {
        return None;
    }
    let prefix = file_prefix(args);
    // SAFETY: getuid cannot fail.
    let root = unsafe { libc::getuid() } == 0;
    let dir = runtime_dir(args);
    let dpdk_dir = dir.parent().map(Path::to_path_buf).unwrap_or_default();
    let why = [dpdk_dir, dir.clone()].into_iter().find_map(|level| {
        let usable = |path: &Path| {
            let c = CString::new(path.as_os_str().as_bytes()).ok()?;
            // SAFETY: a NUL-terminated path; access only reads it.
            if unsafe { libc::access(c.as_ptr(), libc::W_OK | libc::X_OK) } == 0 {
                return None;
            }
            let error = errno_text(std::io::Error::last_os_error().raw_os_error().unwrap_or(libc::EACCES));
            let owner = std::fs::metadata(path).map(|m| format!(", owned by uid {}", m.uid()));
            Some(format!("{}: {error}{}", path.display(), owner.unwrap_or_default()))
        };
        match std::fs::metadata(&level) {
            Ok(m) if !m.is_dir() => Some(format!("{} is not a directory", level.display())),
            Ok(_) => usable(&level),
            Err(_) => level.parent().and_then(usable),
        }
    })?;
    let fix = if root {
        "make it a writable directory (or pass --in-memory)".to_string()
    } else {
        format!(
            "run with sudo, the usual way (as root it is /var/run/dpdk/{prefix}), or point \
             XDG_RUNTIME_DIR at a directory of yours"
        )
    };
    Some(format!("cannot create DPDK's runtime directory {} ({why}): {fix}", dir.display()))
}

fn is_root() -> bool {
    // SAFETY: geteuid cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// Without hugepages (or a hugetlbfs to map them from) the EAL starts with no
/// memory at all and fails later, at the first allocation: say so up front.
fn check_hugepages() -> Result<()> {
    let advice = "run `sudo l2echo-setup-hugepages` (scripts/setup_env.sh in a source tree; or pass \
                  --no-huge for a test run)";
    if hugepages_total() == Some(0) {
        bail!("no hugepages are reserved: {advice}");
    }
    let mounts = std::fs::read_to_string("/proc/mounts").unwrap_or_default();
    if !mounts.lines().any(|l| l.split_whitespace().nth(2) == Some("hugetlbfs")) {
        bail!("no hugetlbfs is mounted: {advice}");
    }
    Ok(())
}

/// Hugepages reserved, of every size, if sysfs can be read.
fn hugepages_total() -> Option<u64> {
    let sizes = std::fs::read_dir("/sys/kernel/mm/hugepages").ok()?;
    let total = sizes
        .flatten()
        .filter_map(|size| std::fs::read_to_string(size.path().join("nr_hugepages")).ok())
        .filter_map(|n| n.trim().parse::<u64>().ok())
        .sum();
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::{file_prefix, split_args};

    fn strings(v: &[&str]) -> Vec<std::ffi::OsString> {
        v.iter().map(|s| s.into()).collect()
    }

    #[test]
    fn splits_at_the_first_double_dash() {
        let (eal, app) = split_args(strings(&["l2_echo", "-l", "1", "--", "--burst", "64", "--"]));
        assert_eq!(eal, strings(&["l2_echo", "-l", "1"]));
        assert_eq!(app, strings(&["l2_echo", "--burst", "64", "--"]));
    }

    #[test]
    fn no_separator_means_no_app_options() {
        let (eal, app) = split_args(strings(&["l2_echo", "-l", "1"]));
        assert_eq!(eal, strings(&["l2_echo", "-l", "1"]));
        assert_eq!(app, strings(&["l2_echo"]));
    }

    #[test]
    fn help_and_version_go_to_the_app() {
        let (eal, app) = split_args(strings(&["l2_echo", "-l", "1", "--help"]));
        assert_eq!(eal, strings(&["l2_echo", "-l", "1"]));
        assert_eq!(app, strings(&["l2_echo", "--help"]));
        let (_, app) = split_args(strings(&["l2_echo", "-V"]));
        assert_eq!(app, strings(&["l2_echo", "-V"]));
    }

    #[test]
    fn the_file_prefix_is_read_in_either_form_and_the_last_one_counts() {
        let args = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(file_prefix(&args(&["l2_echo", "-l", "1"])), "rte");
        assert_eq!(file_prefix(&args(&["l2_echo", "--file-prefix", "a"])), "a");
        assert_eq!(file_prefix(&args(&["l2_echo", "--file-prefix=b", "-l", "1"])), "b");
        assert_eq!(file_prefix(&args(&["l2_echo", "--file-prefix=b", "--file-prefix", "c"])), "c");
        assert_eq!(file_prefix(&args(&["l2_echo", "--file-prefix", "c", "--file-prefix=d"])), "d");
    }
}
