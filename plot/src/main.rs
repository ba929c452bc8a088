//! l2_plot: draws the picture a JSON file describes, l2_load's kind (round
//! trips by percentile, a line per series; throughput, a bar per label):
//! make compare's rows on one plot.
//!
//!   l2_plot SPEC.json OUT.svg
//!
//! SPEC: {"series": [{"label": "kernel", "points": [[0.5, 68300.0], ...]}],
//!        "throughput": [{"label": "kernel", "pps": 312500}]}
//! (points: fraction of replies at or below, round trip in ns, as l2_load's
//! JSON `distribution`; throughput may be left out).

#![forbid(unsafe_code)]

use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use l2_plot::{Bar, Series};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Spec {
    series: Vec<Series>,
    #[serde(default)]
    throughput: Vec<Bar>,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [spec, out] = args.as_slice() else {
        eprintln!("l2_plot: usage: l2_plot SPEC.json OUT.svg");
        return ExitCode::from(2);
    };
    match run(spec, Path::new(out)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("l2_plot: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(spec_path: &str, out: &Path) -> Result<()> {
    let text = std::fs::read_to_string(spec_path).with_context(|| format!("cannot read {spec_path}"))?;
    let spec: Spec =
        serde_json::from_str(&text).with_context(|| format!("{spec_path} is not a plot spec"))?;
    check(&spec).with_context(|| spec_path.to_string())?;
    l2_plot::draw(out, &spec.series, &spec.throughput)
}

/// What the picture cannot show: no line, a point off the axes.
fn check(spec: &Spec) -> Result<()> {
    if spec.series.iter().all(|s| s.points.is_empty()) {
        bail!("no series has points: nothing to draw");
    }
    for s in &spec.series {
        for &(q, ns) in &s.points {
            if !((0.0..=1.0).contains(&q) && ns.is_finite() && ns > 0.0) {
                bail!("series {:?}: the point ({q}, {ns}) is not a fraction from 0 to 1 and a positive round trip", s.label);
            }
        }
    }
    Ok(())
}
