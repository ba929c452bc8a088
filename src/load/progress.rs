//! Live progress while a trial runs: once a second, what was sent, what came
//! back, what is overdue (sent a timeout ago or more and not back: it will
//! end late or lost, as the report counts them), the rate of the
//! last second and the p99 so far, with the trial's place in the run. On a
//! terminal one line updated in place; with `--progress-json` an object on
//! a line of its own; otherwise nothing. The trial loop asks [`Progress::due`]
//! once a turn, a comparison with the cycle count it already read.

use std::io::{self, Write};

use serde::Serialize;

/// Where progress goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sink {
    Nowhere,
    /// An updating line on stdout, a terminal.
    Terminal,
    /// A JSON object a second on stdout (`--progress-json`).
    Json,
}

/// One second's report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Snapshot {
    /// The trial's place: "trial", "search trial 3 at 1000000 pps", ...
    pub step: String,
    pub elapsed_s: f64,
    pub sent: u64,
    /// Probes back so far, good, bad or late.
    pub back: u64,
    /// Probes sent a timeout ago or more that are not back yet: each ends
    /// late or lost in the report, so not yet either.
    pub overdue: u64,
    /// Frames sent in the last report's interval, per second.
    pub rate_pps: f64,
    pub p99_ns: Option<u64>,
}

impl Snapshot {
    /// The terminal's line.
    pub fn line(&self) -> String {
        let p99 = self.p99_ns.map_or("-".into(), |ns| format!("{:.1} us", ns as f64 / 1000.0));
        format!(
            "{}: {:.0} s, sent {}, back {}, overdue {}, {:.0} pps, p99 {p99}",
            self.step, self.elapsed_s, self.sent, self.back, self.overdue, self.rate_pps
        )
    }
}

#[derive(Serialize)]
struct JsonLine<'a> {
    progress: &'a Snapshot,
}

/// The reporter a run shares among its trials.
pub struct Progress {
    sink: Sink,
    step: String,
    /// Cycles per second, and when the next report is due (u64::MAX: never).
    hz: u64,
    next: u64,
    started: u64,
    last: (u64, u64),
}

impl Progress {
    pub fn new(sink: Sink, hz: u64) -> Progress {
        Progress { sink, step: String::new(), hz, next: u64::MAX, started: 0, last: (0, 0) }
    }

    /// A trial named `step` starts at cycle `now`: its first report in a second.
    pub fn start(&mut self, step: String, now: u64) {
        self.step = step;
        self.started = now;
        self.last = (now, 0);
        self.next = if self.sink == Sink::Nowhere { u64::MAX } else { now + self.hz };
    }

    /// Whether a report is due at cycle `now`.
    #[inline(always)]
    pub fn due(&self, now: u64) -> bool {
        now >= self.next
    }

    /// The report for cycle `now`, given the trial's counts then; the next
    /// one due a second later.
    pub fn snapshot(
        &mut self,
        now: u64,
        sent: u64,
        back: u64,
        overdue: u64,
        p99_ns: Option<u64>,
    ) -> Snapshot {
        let (then, sent_then) = self.last;
        let secs = |cycles: u64| cycles as f64 / self.hz as f64;
        let interval = secs(now.saturating_sub(then));
        let rate_pps = if interval > 0.0 { sent.saturating_sub(sent_then) as f64 / interval } else { 0.0 };
        self.last = (now, sent);
        self.next = now + self.hz;
        Snapshot {
            step: self.step.clone(),
            elapsed_s: secs(now - self.started),
            sent,
            back,
            overdue,
            rate_pps,
            p99_ns,
        }
    }

    /// Shows `snapshot` where this run's progress goes.
    #[mutants::skip] // writes stdout: the integration tests read it
    pub fn show(&self, snapshot: &Snapshot) {
        let mut out = io::stdout().lock();
        // A report that cannot be written is not worth stopping a trial for.
        let _ = match self.sink {
            Sink::Nowhere => Ok(()),
            Sink::Terminal => write!(out, "\r\x1b[K{}", snapshot.line()).and_then(|()| out.flush()),
            Sink::Json => serde_json::to_string(&JsonLine { progress: snapshot })
                .map_err(io::Error::other)
                .and_then(|line| writeln!(out, "{line}")),
        };
    }

    /// The trial ended: the terminal's line is cleared for what follows.
    #[mutants::skip] // writes stdout: the integration tests read it
    pub fn finish(&mut self) {
        if self.sink == Sink::Terminal && self.next != u64::MAX {
            let mut out = io::stdout().lock();
            let _ = write!(out, "\r\x1b[K").and_then(|()| out.flush());
        }
        self.next = u64::MAX;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_is_due_a_second_after_the_start_and_after_each_report() {
        let mut p = Progress::new(Sink::Json, 1000);
        assert!(!p.due(0), "nothing before a trial starts");
        p.start("trial".into(), 5000);
        assert!(!p.due(5999) && p.due(6000));
        let s = p.snapshot(6010, 900, 850, 3, Some(12_345));
        assert!(!p.due(7009) && p.due(7010), "a second after that report");
        assert_eq!(s.elapsed_s, 1.01);
        assert!((s.rate_pps - 900.0 / 1.01).abs() < 1e-9, "{}", s.rate_pps);
        let s = p.snapshot(7010, 1900, 1850, 3, None);
        assert_eq!(s.rate_pps, 1000.0, "the last second's frames only");
        p.finish();
        assert!(!p.due(u64::MAX - 1), "none after the trial ends");
    }

    #[test]
    fn no_time_since_the_last_report_is_no_rate_not_a_division_by_zero() {
        let mut p = Progress::new(Sink::Json, 1000);
        p.start("trial".into(), 5000);
        assert_eq!(p.snapshot(5000, 0, 0, 0, None).rate_pps, 0.0, "sent nothing in no time");
        assert_eq!(p.snapshot(5000, 10, 0, 0, None).rate_pps, 0.0, "sent 10 in no time");
    }

    #[test]
    fn nowhere_is_never_due() {
        let mut p = Progress::new(Sink::Nowhere, 1000);
        p.start("trial".into(), 0);
        assert!(!p.due(1_000_000));
    }

    #[test]
    fn the_line_says_what_a_person_watches() {
        let s = Snapshot {
            step: "search trial 2 at 500000 pps".into(),
            elapsed_s: 3.0,
            sent: 1_500_000,
            back: 1_499_000,
            overdue: 10,
            rate_pps: 500_000.0,
            p99_ns: Some(12_340),
        };
        assert_eq!(
            s.line(),
            "search trial 2 at 500000 pps: 3 s, sent 1500000, back 1499000, overdue 10, 500000 pps, p99 12.3 us"
        );
        let json = serde_json::to_string(&JsonLine { progress: &s }).unwrap();
        assert!(json.starts_with("{\"progress\":{\"step\":\"search trial 2"), "{json}");
    }
}
