//! Numbers from users are hostile until checked. Every numeric option of the
//! echo servers and l2_ping is parsed here, into a range its later arithmetic
//! can hold (durations added to instants, rates turned into intervals, counts
//! multiplied into memory sizes), and a usage error is one line that names the
//! option and the accepted range, with exit status 2.

#![forbid(unsafe_code)]

use std::fmt::Display;
use std::str::FromStr;
use std::time::Duration;

use clap::error::ErrorKind;
use clap::{ArgMatches, Command};

/// A clap value parser for an integer in `min..=max`.
pub fn int_in<T>(min: T, max: T) -> impl Fn(&str) -> Result<T, String> + Clone + Send + Sync + 'static
where
    T: FromStr + PartialOrd + Display + Copy + Send + Sync + 'static,
{
    move |s| match s.parse::<T>() {
        Ok(v) if min <= v && v <= max => Ok(v),
        _ => Err(format!("must be an integer from {min} to {max}")),
    }
}

/// A clap value parser for a number (fractions allowed) in `min..=max`;
/// NaN and the infinities are never in range.
pub fn number_in(min: f64, max: f64) -> impl Fn(&str) -> Result<f64, String> + Clone + Send + Sync + 'static {
    move |s| match s.parse::<f64>() {
        Ok(v) if min <= v && v <= max => Ok(v),
        _ => Err(format!("must be a number from {min} to {max}")),
    }
}

/// A clap value parser for seconds (fractions allowed) in `min..=max`, as a
/// Duration.
pub fn secs_in(
    min: f64,
    max: f64,
) -> impl Fn(&str) -> Result<Duration, String> + Clone + Send + Sync + 'static {
    assert!(0.0 <= min && min <= max && max <= 1e9, "bounds a Duration and an Instant can hold");
    move |s| match s.parse::<f64>() {
        Ok(v) if min <= v && v <= max => Ok(Duration::from_secs_f64(v)),
        _ => Err(format!("must be a number of seconds from {min} to {max}")),
    }
}

/// Parses `args` (program name first) with `cmd`. `--help` and `--version`
/// print and exit 0; a usage error prints one line, `NAME: error: ...`, and
/// exits 2.
pub fn matches_or_exit(cmd: Command, args: impl IntoIterator<Item = String>) -> ArgMatches {
    let name = cmd.get_name().to_owned();
    cmd.try_get_matches_from(args).unwrap_or_else(|e| exit_on(&name, e))
}

/// Exits as [`matches_or_exit`] does for `err`.
pub fn exit_on(name: &str, err: clap::Error) -> ! {
    if matches!(err.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        err.exit();
    }
    eprintln!("{name}: {} (see {name} --help)", one_line(&err));
    std::process::exit(2);
}

/// clap's message on one line, without the tips and usage that follow it:
/// "error: invalid value 'x' for '--burst <N>': must be an integer from 1 to
/// 512", or "error: invalid value 'flip' for '--mode <MODE>' [possible
/// values: reply, swap]".
pub fn one_line(err: &clap::Error) -> String {
    let text = err.render().to_string();
    let message: Vec<&str> =
        text.lines().map(str::trim).skip_while(|l| l.is_empty()).take_while(|l| !l.is_empty()).collect();
    if message.is_empty() {
        "error: invalid arguments".into()
    } else {
        message.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_come_from_the_arguments() {
        let cmd =
            Command::new("t").arg(clap::Arg::new("burst").long("burst").value_parser(int_in(1u16, 512)));
        let matches = matches_or_exit(cmd, ["t", "--burst", "64"].map(String::from));
        assert_eq!(matches.get_one::<u16>("burst"), Some(&64));
    }

    #[test]
    fn integers_outside_the_range_or_of_another_kind_are_refused() {
        let burst = int_in(1u16, 512);
        assert_eq!(burst("32"), Ok(32));
        assert_eq!(burst("512"), Ok(512));
        for bad in ["0", "513", "-1", "65536", "1e3", "", "x", "3.5", "99999999999999999999999"] {
            assert_eq!(burst(bad), Err("must be an integer from 1 to 512".into()), "{bad:?}");
        }
    }

    #[test]
    fn seconds_are_finite_positive_and_bounded() {
        let secs = secs_in(0.001, 86400.0);
        assert_eq!(secs("0.5"), Ok(Duration::from_millis(500)));
        assert_eq!(secs("86400"), Ok(Duration::from_secs(86400)));
        for bad in ["0", "-1", "0.0009", "1e300", "inf", "-inf", "NaN", "soon", "", "1e-300"] {
            assert!(secs(bad).is_err(), "{bad:?}");
        }
        assert_eq!(secs("x"), Err("must be a number of seconds from 0.001 to 86400".into()));
    }

    #[test]
    fn numbers_refuse_nan_and_infinities() {
        let rate = number_in(0.001, 1e7);
        assert_eq!(rate("2000"), Ok(2000.0));
        for bad in ["NaN", "inf", "0", "1e8", "-5"] {
            assert!(rate(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_usage_error_is_one_line_naming_the_option_and_the_range() {
        let cmd = Command::new("prog").arg(
            clap::Arg::new("burst").long("burst").value_parser(int_in(1u16, 512)).allow_hyphen_values(true),
        );
        let err = cmd.clone().try_get_matches_from(["prog", "--burst", "-3"]).unwrap_err();
        assert_eq!(
            one_line(&err),
            "error: invalid value '-3' for '--burst <burst>': must be an integer from 1 to 512"
        );
        let err = cmd.clone().try_get_matches_from(["prog", "--frob"]).unwrap_err();
        assert_eq!(one_line(&err), "error: unexpected argument '--frob' found");
        let cmd = cmd.arg(clap::Arg::new("mode").long("mode").value_parser(["reply", "swap"]));
        let err = cmd.try_get_matches_from(["prog", "--mode", "flip"]).unwrap_err();
        assert_eq!(
            one_line(&err),
            "error: invalid value 'flip' for '--mode <mode>' [possible values: reply, swap]"
        );
    }
}
