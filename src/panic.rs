//! Panics as errors. A quiet panic hook records where the panicking thread
//! was, and [`catch`] turns a panic in a closure into an error that says what
//! and where, so that a failing thread is reported in one line instead of a
//! backtrace (with RUST_BACKTRACE set, Rust's own report is printed too).

use std::any::Any;
use std::cell::RefCell;
use std::panic::{catch_unwind, AssertUnwindSafe};

use anyhow::{anyhow, Result};

thread_local! {
    /// "panicked at FILE:LINE: MESSAGE" for the last panic on this thread.
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Installs the recording hook; call once, first thing in `main`.
pub fn install_hook() {
    let report = std::panic::take_hook();
    let verbose = std::env::var_os("RUST_BACKTRACE").is_some_and(|v| v != "0");
    std::panic::set_hook(Box::new(move |info| {
        let place = info.location().map(|l| format!(" at {}:{}", l.file(), l.line())).unwrap_or_default();
        let text = format!("panicked{place}: {}", payload_text(info.payload()));
        LAST_PANIC.with(|last| *last.borrow_mut() = Some(text));
        if verbose {
            report(info);
        }
    }));
}

/// Runs `f`; a panic in it becomes an error with the panic's message and place.
pub fn catch<T>(f: impl FnOnce() -> T) -> Result<T> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|payload| {
        let recorded = LAST_PANIC.with(|last| last.borrow_mut().take());
        let text = recorded.unwrap_or_else(|| format!("panicked: {}", payload_text(&*payload)));
        // Dropped before the error exists: a payload whose drop panics then
        // unwinds past a plain String, not past a returned error that would
        // leak (rust-lang/rust#47949).
        drop(payload);
        anyhow!(text)
    })
}

fn payload_text(payload: &(dyn Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_an_error_saying_what_and_where() {
        install_hook();
        assert_eq!(catch(|| 7).unwrap(), 7);
        let err = catch(|| -> u8 { panic!("the {} reason", "real") }).unwrap_err().to_string();
        assert!(err.starts_with("panicked at src/panic.rs:"), "{err}");
        assert!(err.ends_with(": the real reason"), "{err}");
    }
}
