//! Running Rust closures on EAL lcores: [`Eal::run_on_lcores`], a trampoline
//! for `rte_eal_remote_launch` that catches panics, and a wait for all of them.
//! Also where threads that are not lcores may run: the EAL's control CPUs.

use std::cell::Cell;
use std::ffi::{c_int, c_void};
use std::io;
use std::mem::{size_of, zeroed};

use anyhow::{anyhow, bail, ensure, Result};

use super::eal::Eal;
use super::error::errno_text;
use crate::panic;
use crate::quit::QuitFlag;

/// Cycles per second of DPDK's cycle counter (rte_rdtsc; [`crate::arch::cycles`]).
pub fn tsc_hz() -> u64 {
    // SAFETY: plain query of the initialised EAL.
    unsafe { dpdk_sys::rte_get_tsc_hz() }
}

/// Answers EAL's lcore usage questions (DPDK 23.03 and later: its telemetry
/// shows them as /eal/lcore/usage) with `usage(lcore_id)`: (total, busy)
/// cycles, None for an lcore it has no figures for. The first source given
/// stays. False where this DPDK has no such callback.
#[cfg(dpdk_lcore_usage)]
pub fn report_lcore_usage(usage: fn(u32) -> Option<(u64, u64)>) -> bool {
    static SOURCE: std::sync::OnceLock<fn(u32) -> Option<(u64, u64)>> = std::sync::OnceLock::new();

    extern "C" fn callback(lcore_id: std::ffi::c_uint, out: *mut dpdk_sys::rte_lcore_usage) -> c_int {
        let Some(usage) = SOURCE.get() else { return -1 };
        match panic::catch(|| usage(lcore_id)) {
            Ok(Some((total, busy))) => {
                // SAFETY: EAL passes a struct for us to fill.
                unsafe {
                    (*out).total_cycles = total;
                    (*out).busy_cycles = busy;
                }
                0
            }
            _ => -1,
        }
    }

    SOURCE.get_or_init(|| usage);
    // SAFETY: the callback catches panics and only reads SOURCE.
    unsafe { dpdk_sys::rte_lcore_register_usage_cb(Some(callback)) };
    true
}

#[cfg(not(dpdk_lcore_usage))]
pub fn report_lcore_usage(_usage: fn(u32) -> Option<(u64, u64)>) -> bool {
    false
}

/// An EAL logical core: its id (from `-l`) and its index (0..lcore count).
/// Only the [`Eal`] hands them out ([`Eal::main_lcore`], [`Eal::lcores`]), so
/// each names an lcore the EAL runs: DPDK indexes its per-lcore tables by the
/// id without checking it. A process initialises its EAL once (a second
/// `rte_eal_init` fails, even after cleanup), so an `Lcore` is always one of
/// that EAL's; nothing launches on it once the `Eal` is gone.
///
/// ```compile_fail,E0451
/// # use dpdk_echo::dpdk::Lcore;
/// let lcore = Lcore { id: 4096, index: 0 }; // error: only the Eal makes an Lcore
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lcore {
    id: u32,
    index: u32,
}

impl Lcore {
    pub(super) fn from_id(id: u32) -> Lcore {
        // SAFETY: plain query; a valid lcore id has an index >= 0.
        let index = unsafe { dpdk_sys::rte_lcore_index(id as c_int) };
        Lcore { id, index: index.max(0) as u32 }
    }

    /// The lcore's id, as `-l` or `--lcores` named it.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// Its position among the EAL's lcores (0..count).
    pub(super) fn index(&self) -> u32 {
        self.index
    }

    /// The CPUs this lcore's thread may run on (`--lcores 0@1` gives CPU 1).
    fn cpus(&self) -> impl Iterator<Item = usize> {
        // SAFETY: plain query; returns the lcore's cpuset by value.
        let set = unsafe { dpdk_sys::rte_lcore_cpuset(self.id) };
        let word_bits = 8 * size_of_val(&set.__bits[0]);
        (0..set.__bits.len() * word_bits)
            .filter(move |&cpu| set.__bits[cpu / word_bits] >> (cpu % word_bits) & 1 == 1)
    }
}

/// The CPUs for threads that are not lcores, computed as the EAL computes them
/// for its own control threads (the interrupt thread among them): the CPUs the
/// process was allowed before `rte_eal_init` pinned it, minus every lcore's;
/// the main lcore's CPUs when the lcores take them all. A thread placed here
/// never preempts an lcore's polling loop.
#[derive(Clone, Copy)]
pub struct ControlCpus(libc::cpu_set_t);

impl ControlCpus {
    /// The calling thread's allowed CPUs (read before `rte_eal_init`).
    pub(super) fn allowed_now() -> io::Result<libc::cpu_set_t> {
        // SAFETY: cpu_set_t is plain bits; sched_getaffinity fills it in.
        let mut set: libc::cpu_set_t = unsafe { zeroed() };
        // SAFETY: pid 0 is the calling thread; the size is the set's own.
        if unsafe { libc::sched_getaffinity(0, size_of::<libc::cpu_set_t>(), &mut set) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(set)
    }

    /// `allowed` minus the CPUs of `lcores`, or `main`'s CPUs if none remain.
    pub(super) fn new(mut allowed: libc::cpu_set_t, lcores: &[Lcore], main: Lcore) -> ControlCpus {
        for lcore in lcores {
            for cpu in lcore.cpus() {
                // SAFETY: cpu < CPU_SETSIZE (lcore.cpus() yields no more).
                unsafe { libc::CPU_CLR(cpu, &mut allowed) };
            }
        }
        // SAFETY: counting bits of an initialised set.
        if unsafe { libc::CPU_COUNT(&allowed) } == 0 {
            // SAFETY: cpu_set_t is plain bits.
            allowed = unsafe { zeroed() };
            for cpu in main.cpus() {
                // SAFETY: as above.
                unsafe { libc::CPU_SET(cpu, &mut allowed) };
            }
        }
        ControlCpus(allowed)
    }

    /// Restricts the calling thread to these CPUs.
    pub fn pin_this_thread(&self) -> io::Result<()> {
        // SAFETY: pid 0 is the calling thread; the set is initialised.
        if unsafe { libc::sched_setaffinity(0, size_of::<libc::cpu_set_t>(), &self.0) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }
}

impl std::fmt::Debug for ControlCpus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // SAFETY: reading bits of an initialised set, cpu < CPU_SETSIZE.
        let cpus = (0..libc::CPU_SETSIZE as usize).filter(|&cpu| unsafe { libc::CPU_ISSET(cpu, &self.0) });
        f.debug_list().entries(cpus).finish()
    }
}

struct Job<'a, F, R> {
    work: &'a F,
    slot: usize,
    lcore: Lcore,
    quit: &'a QuitFlag,
    outcome: Option<Result<R>>,
}

impl<F: Fn(usize, Lcore) -> Result<R>, R> Job<'_, F, R> {
    fn run(&mut self) {
        let outcome = panic::catch(|| (self.work)(self.slot, self.lcore)).and_then(|result| result);
        if outcome.is_err() {
            // A dead lcore leaves its queue unserved: stop the others too.
            self.quit.set();
        }
        self.outcome = Some(outcome);
    }
}

extern "C" fn trampoline<F: Fn(usize, Lcore) -> Result<R>, R>(arg: *mut c_void) -> c_int {
    // SAFETY: `arg` points to the Job that run_on_lcores keeps alive, and lends
    // to this lcore alone, until rte_eal_wait_lcore has returned.
    let job = unsafe { &mut *arg.cast::<Job<'_, F, R>>() };
    // A panic that escapes here (one whose payload panics when dropped)
    // aborts the process: Rust does not unwind out of an `extern "C"` fn.
    job.run();
    0
}

/// The workers launched so far, each waited for (`rte_eal_wait_lcore`) when
/// this drops: on the way out of `run_on_lcores`, and on an unwind from the
/// main lcore's job (a panic that escapes `panic::catch`, as one whose
/// payload panics when dropped) before the jobs the workers use are freed.
/// On an unwind it sets `quit` first, or a worker that runs until then would
/// be waited for forever. Then it lets the Eal launch again.
struct LaunchedWorkers<'a> {
    /// Reserved for every lcore up front: recording a launch never allocates,
    /// so it cannot fail between a launch and its record.
    ids: Vec<u32>,
    quit: &'a QuitFlag,
    launching: &'a Cell<bool>,
}

impl Drop for LaunchedWorkers<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.quit.set();
        }
        for &id in &self.ids {
            // SAFETY: a worker launched by this call, whose job outlives this
            // guard. The wait cannot fail: it spins until the worker is back.
            unsafe { dpdk_sys::rte_eal_wait_lcore(id) };
        }
        self.launching.set(false);
    }
}

impl Eal {
    /// Runs `work(slot, lcore)` once on each of `lcores` (`slot` is the
    /// lcore's position in the slice) and returns when every one has
    /// finished, with each lcore's result in slot order. The main lcore runs
    /// its job on this thread, if it is among them. An error or a panic on
    /// any lcore sets `quit`, so that the others return too; it comes back as
    /// that lcore's error.
    ///
    /// Only the main lcore's thread launches, one call at a time: the `Eal`
    /// is neither `Send` nor `Sync`, so neither another thread nor a job can
    /// reach it, and DPDK's launch is not safe against a second launcher
    /// (it stores the function and its argument unlocked). A call that comes
    /// back to it all the same (through a thread-local `Eal`), or names an
    /// lcore twice, is refused with an error before anything runs.
    ///
    /// ```compile_fail,E0277
    /// # use dpdk_echo::dpdk::Eal;
    /// # use dpdk_echo::quit::QuitFlag;
    /// # fn f(eal: &Eal, quit: &QuitFlag) {
    /// let lcores = eal.lcores();
    /// std::thread::scope(|s| {
    ///     s.spawn(|| eal.run_on_lcores(&lcores, quit, |_, _| Ok(()))); // error: the Eal stays on its thread
    /// });
    /// # }
    /// ```
    /// ```compile_fail,E0277
    /// # use dpdk_echo::dpdk::Eal;
    /// # use dpdk_echo::quit::QuitFlag;
    /// # fn f(eal: &Eal, quit: &QuitFlag) -> anyhow::Result<()> {
    /// let lcores = eal.lcores();
    /// eal.run_on_lcores(&lcores, quit, |_, _| {
    ///     eal.run_on_lcores(&lcores, quit, |_, _| Ok(()))?; // error: a job cannot reach the Eal
    ///     Ok(())
    /// })?;
    /// # Ok(()) }
    /// ```
    /// ```compile_fail,E0382
    /// # use dpdk_echo::dpdk::Eal;
    /// # use dpdk_echo::quit::QuitFlag;
    /// # fn f(args: &[std::ffi::OsString], quit: &QuitFlag) -> anyhow::Result<()> {
    /// let eal = Eal::init(args)?;
    /// let lcores = eal.lcores();
    /// drop(eal);
    /// eal.run_on_lcores(&lcores, quit, |_, _| Ok(()))?; // error: nothing launches without the Eal
    /// # Ok(()) }
    /// ```
    pub fn run_on_lcores<F, R>(
        &self,
        lcores: &[Lcore],
        quit: &QuitFlag,
        work: F,
    ) -> Result<Vec<(Lcore, Result<R>)>>
    where
        F: Fn(usize, Lcore) -> Result<R> + Sync,
        R: Send,
    {
        ensure!(!self.launching.get(), "run_on_lcores is already running: a job cannot launch lcores");
        for (slot, lcore) in lcores.iter().enumerate() {
            if let Some(first) = lcores[..slot].iter().position(|l| l == lcore) {
                bail!("lcore {} is given twice (slots {first} and {slot})", lcore.id);
            }
        }
        let main_id = self.main_lcore().id;
        let mut jobs: Vec<Job<'_, F, R>> = lcores
            .iter()
            .enumerate()
            .map(|(slot, &lcore)| Job { work: &work, slot, lcore, quit, outcome: None })
            .collect();
        // Every job pointer derives from this one, and `jobs` itself is not
        // touched again until every worker has been waited for: no reference to
        // the vector, or to a job another lcore holds, exists meanwhile.
        let jobs_base = jobs.as_mut_ptr();
        let mut launch_errors = Vec::new();
        self.launching.set(true);
        let mut workers =
            LaunchedWorkers { ids: Vec::with_capacity(lcores.len()), quit, launching: &self.launching };
        for (slot, lcore) in lcores.iter().enumerate().filter(|(_, l)| l.id != main_id) {
            // SAFETY: slot < jobs.len(); each worker gets its own job.
            let arg = unsafe { jobs_base.add(slot) };
            // SAFETY: the trampoline matches F and R; the lcore is one of the
            // EAL's; `arg` stays valid until `workers` has waited for it,
            // which it does whatever happens on this thread.
            let ret =
                unsafe { dpdk_sys::rte_eal_remote_launch(Some(trampoline::<F, R>), arg.cast(), lcore.id) };
            if ret == 0 {
                workers.ids.push(lcore.id);
            } else {
                quit.set();
                launch_errors.push((lcore.id, ret));
            }
        }
        if let Some(slot) = lcores.iter().position(|l| l.id == main_id) {
            // SAFETY: the main lcore's own job, which no worker was given.
            let main_job = unsafe { &mut *jobs_base.add(slot) };
            if launch_errors.is_empty() {
                main_job.run();
            } else {
                main_job.outcome = Some(Err(anyhow!("not started: a worker failed to launch")));
            }
        }
        drop(workers);
        Ok(jobs
            .into_iter()
            .map(|job| {
                let result = job.outcome.unwrap_or_else(|| {
                    let ret = launch_errors.iter().find(|(id, _)| *id == job.lcore.id).map_or(0, |e| e.1);
                    Err(anyhow!("cannot launch on lcore {}: {}", job.lcore.id, errno_text(ret)))
                });
                (job.lcore, result)
            })
            .collect())
    }
}
