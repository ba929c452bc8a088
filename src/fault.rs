//! A test-only hook: `L2ECHO_TEST_FAULT=THREAD:KIND@SECS` makes one thread of
//! a server fail on purpose SECS seconds into the run, so that the tests can
//! prove that a failing thread stops the whole run cleanly (tests/failure.rs).
//! THREAD is `monitor` or `queueN` (the lcore serving queue N); KIND is `panic`
//! or `error`. Read once when the run starts; never looked at per packet.

use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

const VAR: &str = "L2ECHO_TEST_FAULT";

#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    thread: String,
    panics: bool,
    after: Duration,
}

impl Fault {
    /// The fault the environment asks for, if any.
    pub fn from_env() -> Result<Option<Fault>> {
        match std::env::var(VAR) {
            Ok(spec) => Fault::parse(&spec).map(Some).with_context(|| format!("{VAR}={spec}")),
            Err(_) => Ok(None),
        }
    }

    fn parse(spec: &str) -> Result<Fault> {
        let usage = "expected THREAD:KIND@SECS, THREAD monitor or queueN, KIND panic or error";
        let Some((thread, rest)) = spec.split_once(':') else { bail!("{usage}") };
        let Some((kind, secs)) = rest.split_once('@') else { bail!("{usage}") };
        let panics = match kind {
            "panic" => true,
            "error" => false,
            _ => bail!("{usage}"),
        };
        let after = secs.parse().ok().and_then(|s: f64| Duration::try_from_secs_f64(s).ok());
        let Some(after) = after.filter(|d| *d <= Duration::from_secs(3600)) else { bail!("{usage}") };
        let queue_ok = thread.strip_prefix("queue").is_some_and(|n| n.parse::<u16>().is_ok());
        if thread != "monitor" && !queue_ok {
            bail!("{usage}");
        }
        Ok(Fault { thread: thread.to_owned(), panics, after })
    }

    /// This fault, if it is planned for `thread`.
    pub fn for_thread(fault: &Option<Fault>, thread: &str) -> Option<Fault> {
        fault.as_ref().filter(|f| f.thread == thread).cloned()
    }

    /// Whether it is time, for a run that started at `started`.
    pub fn is_due(&self, started: Instant) -> bool {
        started.elapsed() >= self.after
    }

    /// When it is due, for a run that started at `started`.
    pub fn due_at(&self, started: Instant) -> Instant {
        started + self.after
    }

    /// Fails as planned: panics, or returns the error.
    pub fn strike(&self) -> Result<()> {
        let what = format!("injected fault ({VAR})");
        if self.panics {
            panic!("{what}");
        }
        bail!("{what}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse_or_are_refused() {
        let f = Fault::parse("queue1:panic@0.5").unwrap();
        assert_eq!(f, Fault { thread: "queue1".into(), panics: true, after: Duration::from_millis(500) });
        assert!(!Fault::parse("monitor:error@2").unwrap().panics);
        for bad in [
            "",
            "monitor",
            "monitor:panic",
            "monitor:boom@1",
            "queuex:panic@1",
            "main:panic@1",
            "monitor:panic@-1",
            "monitor:panic@1e9",
        ] {
            assert!(Fault::parse(bad).is_err(), "{bad:?}");
        }
    }
}
