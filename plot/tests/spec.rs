//! l2_plot end to end: a spec drawn, and every kind of bad input refused
//! with one line and exit status 2, no picture written.

use std::path::{Path, PathBuf};
use std::process::Command;

struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Dir {
        let dir = std::env::temp_dir().join(format!("l2plot-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Dir(dir)
    }

    fn file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.0).ok();
    }
}

fn l2_plot(args: &[&Path]) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_l2_plot")).args(args).output().unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
}

const ROWS: &str = r#"{"series": [{"label": "kernel", "points": [[0.0, 60000.0], [0.5, 68300.0], [1.0, 752000.0]]},
                                 {"label": "memif", "points": [[0.0, 1000.0], [0.5, 1400.0], [1.0, 4600.0]]}],
                      "throughput": [{"label": "kernel", "pps": 312500}, {"label": "memif", "pps": 1000000}]}"#;

#[test]
fn a_spec_becomes_an_svg_with_every_row() {
    let dir = Dir::new("good");
    let (spec, svg) = (dir.file("rows.json", ROWS), dir.0.join("rows.svg"));
    let (code, err) = l2_plot(&[&spec, &svg]);
    assert_eq!(code, Some(0), "{err}");
    let svg = std::fs::read_to_string(svg).unwrap();
    for text in ["\nkernel\n", "\nmemif\n", "Zero-loss throughput", "99.9%"] {
        assert!(svg.contains(text), "no {text:?} in the picture");
    }
}

#[test]
fn bad_input_is_one_line_and_exit_2_and_no_picture() {
    let dir = Dir::new("bad");
    let svg = dir.0.join("out.svg");
    let cases = [
        ("missing.json", None, "cannot read"),
        ("not-json.json", Some("series: kernel"), "is not a plot spec"),
        ("unknown-key.json", Some(r#"{"series": [], "colour": "red"}"#), "unknown field `colour`"),
        ("no-points.json", Some(r#"{"series": [{"label": "a", "points": []}]}"#), "no series has points"),
        (
            "above-one.json",
            Some(r#"{"series": [{"label": "a", "points": [[1.5, 10.0]]}]}"#),
            "not a fraction",
        ),
        (
            "zero-rtt.json",
            Some(r#"{"series": [{"label": "a", "points": [[0.5, 0.0]]}]}"#),
            "positive round trip",
        ),
        (
            "negative-pps.json",
            Some(
                r#"{"series": [{"label": "a", "points": [[0.5, 1.0]]}], "throughput": [{"label": "a", "pps": -1}]}"#,
            ),
            "is not a plot spec",
        ),
    ];
    for (name, text, says) in cases {
        let spec = match text {
            Some(text) => dir.file(name, text),
            None => dir.0.join(name),
        };
        let (code, err) = l2_plot(&[&spec, &svg]);
        assert_eq!(code, Some(2), "{name}: {err}");
        assert!(err.contains(says), "{name}: {err}");
        assert_eq!(err.lines().count(), 1, "{name}: one line: {err}");
        assert!(!svg.exists(), "{name}: a picture was written");
    }
    let (code, err) = l2_plot(&[&svg]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("usage: l2_plot SPEC.json OUT.svg"), "{err}");
}
