//! `--plot FILE.svg`: the round-trip percentile distribution, as
//! HdrHistogram plots it (the x axis stretches the tail: 90%, 99%, 99.9%, ...
//! equally spaced), a line per trial shown; with `--search`, beside it the
//! throughput per frame size.

use std::path::Path;

use anyhow::{anyhow, Result};
use plotters::prelude::*;

/// The x axis ends at the 99.9999th percentile.
const TAIL: f64 = 1e6;

/// A line of the distribution: its label and (fraction at or below, ns).
pub struct Series<'a> {
    pub label: String,
    pub points: &'a [(f64, f64)],
}

/// Where percentile `q` (0 to 1) sits on the x axis: 1 / (1 - q).
fn x_of(q: f64) -> f64 {
    1.0 / (1.0 - q).max(1.0 / TAIL)
}

/// The percentile an x-axis position stands for, as its label.
fn label_of(x: f64) -> String {
    let pct = 100.0 * (1.0 - 1.0 / x);
    let text = format!("{pct:.4}");
    format!("{}%", text.trim_end_matches('0').trim_end_matches('.'))
}

/// Round trips are plotted in microseconds.
fn us(ns: f64) -> f64 {
    ns / 1000.0
}

fn mpps(pps: u64) -> f64 {
    pps as f64 / 1e6
}

/// The round-trip axis (log scale, us): from half the shortest round trip
/// (at least 5 ns) to twice the longest, so no line touches an edge.
fn latency_axis(series: &[Series]) -> (f64, f64) {
    let all_us = || series.iter().flat_map(|s| s.points.iter().map(|p| us(p.1)));
    let y_max = all_us().fold(1.0, f64::max) * 2.0;
    let y_min = all_us().fold(y_max, f64::min).max(0.01) / 2.0;
    (y_min, y_max)
}

/// The throughput panel's axes: sizes to 5% past the largest, Mpps to 10%
/// above the highest.
fn throughput_axes(rows: &[(usize, u64)]) -> (f64, f64) {
    let x_max = rows.iter().map(|r| r.0).max().unwrap_or(64) as f64 * 1.05;
    let y_max = mpps(rows.iter().map(|r| r.1).max().unwrap_or(1)) * 1.1;
    (x_max, y_max)
}

/// A legend entry's sample of its line: 16 pixels long.
fn legend_mark((x, y): (i32, i32)) -> [(i32, i32); 2] {
    [(x, y), (x + 16, y)]
}

/// Draws `series` (and `throughput`, (size, pps) per size) into `path`.
pub fn draw(path: &Path, series: &[Series], throughput: Option<&[(usize, u64)]>) -> Result<()> {
    let err = |e: DrawingAreaErrorKind<_>| anyhow!("cannot draw {}: {e}", path.display());
    let width = if throughput.is_some() { 1200 } else { 800 };
    let root = SVGBackend::new(path, (width, 500)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let (left, right) = match throughput {
        Some(_) => {
            let (l, r) = root.split_horizontally(760);
            (l, Some(r))
        }
        None => (root.clone(), None),
    };

    // Round trips span decades (a microsecond at p50, milliseconds at the
    // edge of throughput): a log scale keeps both readable.
    let (y_min, y_max) = latency_axis(series);
    let mut chart = ChartBuilder::on(&left)
        .caption("Round trip by percentile, good replies", ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d((1.0..TAIL).log_scale(), (y_min..y_max).log_scale())
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("percentile")
        .y_desc("round trip (us)")
        .x_label_formatter(&|x| label_of(*x))
        .draw()
        .map_err(err)?;
    for (i, s) in series.iter().enumerate() {
        let colour = Palette99::pick(i).to_rgba();
        let points = s.points.iter().map(|&(q, ns)| (x_of(q), us(ns)));
        chart
            .draw_series(LineSeries::new(points, colour.stroke_width(2)))
            .map_err(err)?
            .label(s.label.clone())
            .legend(move |at| PathElement::new(legend_mark(at), colour.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(err)?;

    if let (Some(area), Some(rows)) = (right, throughput) {
        let (x_max, y_max) = throughput_axes(rows);
        let mut chart = ChartBuilder::on(&area)
            .caption("Zero-loss throughput", ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(0.0..x_max, 0.0..y_max.max(0.001))
            .map_err(err)?;
        chart.configure_mesh().x_desc("frame size (bytes)").y_desc("Mpps").draw().map_err(err)?;
        let points: Vec<(f64, f64)> = rows.iter().map(|&(size, pps)| (size as f64, mpps(pps))).collect();
        chart.draw_series(LineSeries::new(points.clone(), BLUE.stroke_width(2))).map_err(err)?;
        chart.draw_series(points.into_iter().map(|p| Circle::new(p, 4, BLUE.filled()))).map_err(err)?;
    }
    root.present().map_err(err)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_axis_stretches_the_tail() {
        assert_eq!(x_of(0.0), 1.0);
        assert!((x_of(0.9) - 10.0).abs() < 1e-9);
        assert!((x_of(0.999) - 1000.0).abs() < 1e-6);
        assert_eq!(x_of(1.0), TAIL, "the max sits at the end");
        assert_eq!(label_of(1.0), "0%");
        assert_eq!(label_of(10.0), "90%");
        assert_eq!(label_of(1000.0), "99.9%");
        assert_eq!(label_of(TAIL), "99.9999%");
    }

    #[test]
    fn the_axes_leave_room_around_every_point() {
        let points = [(0.0, 4000.0), (1.0, 20000.0)];
        let series = [Series { label: String::new(), points: &points }];
        assert_eq!(latency_axis(&series), (2.0, 40.0), "us, halved and doubled");
        let fast = [(0.0, 3.0), (1.0, 900.0)];
        assert_eq!(latency_axis(&[Series { label: String::new(), points: &fast }]), (0.005, 2.0));
        let (x_max, y_max) = throughput_axes(&[(64, 3_000_000), (1518, 800_000)]);
        assert!((x_max - 1593.9).abs() < 1e-9 && (y_max - 3.3).abs() < 1e-9, "{x_max} {y_max}");
        assert_eq!(legend_mark((10, 20)), [(10, 20), (26, 20)]);
    }

    #[test]
    fn a_plot_is_an_svg_with_every_series_and_the_throughput() {
        let dir = std::env::temp_dir().join(format!("l2load-plot-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("p.svg");
        let points = [(0.0, 4000.0), (0.5, 5000.0), (0.99, 9000.0), (1.0, 20000.0)];
        let series = [
            Series { label: "64 B at 1000000 pps".into(), points: &points },
            Series { label: "1518 B at 500000 pps".into(), points: &points },
        ];
        draw(&path, &series, Some(&[(64, 3_000_000), (1518, 800_000)])).unwrap();
        let svg = std::fs::read_to_string(&path).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..svg.len().min(200)]);
        for text in [
            "Round trip by percentile",
            "64 B at 1000000 pps",
            "1518 B at 500000 pps",
            "Zero-loss throughput",
            "99%",
        ] {
            assert!(svg.contains(text), "no {text:?} in the SVG");
        }
        assert!(svg.matches("<polyline").count() >= 3, "two distributions and the throughput line");
    }
}
