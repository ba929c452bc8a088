//! The round-trip percentile distribution, as HdrHistogram plots it (the x
//! axis stretches the tail: 90%, 99%, 99.9%, ... equally spaced), a line per
//! series; beside it, when given, throughput as a bar per label. l2_load's
//! `--plot` draws its trials (and its search's throughput per frame size);
//! `l2_plot` draws what a JSON file describes, as make compare's rows.

#![forbid(unsafe_code)]

use std::path::Path;

use anyhow::{anyhow, Result};
use plotters::prelude::*;
use serde::Deserialize;

/// The x axis ends at the 99.9999th percentile.
const TAIL: f64 = 1e6;

/// A line of the distribution: its label and (fraction at or below, ns).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Series {
    pub label: String,
    pub points: Vec<(f64, f64)>,
}

/// A bar of the throughput panel: its label and packets per second.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bar {
    pub label: String,
    pub pps: u64,
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

/// The throughput panel's height: 10% above the highest bar, in Mpps.
fn throughput_top(bars: &[Bar]) -> f64 {
    (mpps(bars.iter().map(|b| b.pps).max().unwrap_or(0)) * 1.1).max(0.001)
}

/// A legend entry's sample of its line: 16 pixels long.
fn legend_mark((x, y): (i32, i32)) -> [(i32, i32); 2] {
    [(x, y), (x + 16, y)]
}

/// Draws `series` (and the `throughput` bars, when some) into `path`.
pub fn draw(path: &Path, series: &[Series], throughput: &[Bar]) -> Result<()> {
    let err = |e: DrawingAreaErrorKind<_>| anyhow!("cannot draw {}: {e}", path.display());
    let width = if throughput.is_empty() { 800 } else { 1200 };
    let root = SVGBackend::new(path, (width, 500)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let (left, right) = if throughput.is_empty() {
        (root.clone(), None)
    } else {
        let (l, r) = root.split_horizontally(760);
        (l, Some(r))
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

    if let Some(area) = right {
        let mut chart = ChartBuilder::on(&area)
            .caption("Zero-loss throughput", ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d((0..throughput.len() - 1).into_segmented(), 0.0..throughput_top(throughput))
            .map_err(err)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(throughput.len())
            .x_label_formatter(&|at| bar_label(throughput, at))
            // A single segment gets no key point, so its label goes below.
            .x_desc(if throughput.len() == 1 { throughput[0].label.as_str() } else { "" })
            .y_desc("Mpps")
            .draw()
            .map_err(err)?;
        // The segments are 0..=len-1: the last bar ends where the axis does.
        let right_of =
            |i: usize| if i + 1 < throughput.len() { SegmentValue::Exact(i + 1) } else { SegmentValue::Last };
        let bars = throughput.iter().enumerate().map(|(i, bar)| {
            let mut rect =
                Rectangle::new([(SegmentValue::Exact(i), 0.0), (right_of(i), mpps(bar.pps))], BLUE.filled());
            rect.set_margin(0, 0, 6, 6);
            rect
        });
        chart.draw_series(bars).map_err(err)?;
    }
    root.present().map_err(err)?;
    Ok(())
}

/// The label under a bar: its own at its centre, nothing elsewhere.
fn bar_label(bars: &[Bar], at: &SegmentValue<usize>) -> String {
    match at {
        SegmentValue::CenterOf(i) => bars.get(*i).map(|b| b.label.clone()).unwrap_or_default(),
        _ => String::new(),
    }
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

    fn series(label: &str, points: &[(f64, f64)]) -> Series {
        Series { label: label.into(), points: points.to_vec() }
    }

    fn bar(label: &str, pps: u64) -> Bar {
        Bar { label: label.into(), pps }
    }

    #[test]
    fn the_axes_leave_room_around_every_point() {
        let series_ = [series("", &[(0.0, 4000.0), (1.0, 20000.0)])];
        assert_eq!(latency_axis(&series_), (2.0, 40.0), "us, halved and doubled");
        assert_eq!(latency_axis(&[series("", &[(0.0, 3.0), (1.0, 900.0)])]), (0.005, 2.0));
        let top = throughput_top(&[bar("64 B", 3_000_000), bar("1518 B", 800_000)]);
        assert!((top - 3.3).abs() < 1e-9, "{top}");
        assert_eq!(throughput_top(&[bar("none", 0)]), 0.001, "an axis even when nothing passed");
        assert_eq!(legend_mark((10, 20)), [(10, 20), (26, 20)]);
    }

    #[test]
    fn each_bar_is_labelled_at_its_centre_only() {
        let bars = [bar("kernel", 1), bar("memif", 2)];
        assert_eq!(bar_label(&bars, &SegmentValue::CenterOf(1)), "memif");
        assert_eq!(bar_label(&bars, &SegmentValue::CenterOf(0)), "kernel");
        assert_eq!(bar_label(&bars, &SegmentValue::CenterOf(2)), "");
        assert_eq!(bar_label(&bars, &SegmentValue::Exact(1)), "");
    }

    /// The bars' (x, width), from the SVG's blue rectangles.
    fn bars(svg: &str) -> Vec<(i32, i32)> {
        let attr = |rect: &str, name: &str| -> i32 {
            let value = rect.split(&format!(" {name}=\"")).nth(1).and_then(|v| v.split('"').next());
            value.and_then(|v| v.parse().ok()).unwrap_or_else(|| panic!("no {name} in {rect}"))
        };
        svg.lines()
            .filter(|l| l.starts_with("<rect") && l.contains("fill=\"#0000FF\""))
            .map(|rect| (attr(rect, "x"), attr(rect, "width")))
            .collect()
    }

    #[test]
    fn a_plot_is_an_svg_with_every_series_and_every_bar() {
        let dir = std::env::temp_dir().join(format!("l2plot-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("p.svg");
        let points = [(0.0, 4000.0), (0.5, 5000.0), (0.99, 9000.0), (1.0, 20000.0)];
        let lines = [series("64 B at 1000000 pps", &points), series("1518 B at 500000 pps", &points)];
        draw(&path, &lines, &[bar("64 B", 3_000_000), bar("1518 B", 800_000)]).unwrap();
        let svg = std::fs::read_to_string(&path).unwrap();
        draw(&path, &lines, &[]).unwrap();
        let without_bars = std::fs::read_to_string(&path).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..svg.len().min(200)]);
        for text in ["Round trip by percentile", "64 B at 1000000 pps", "1518 B at 500000 pps", "99%"] {
            assert!(svg.contains(text), "no {text:?} in the SVG");
        }
        let wide_lines = |svg: &str| svg.matches("stroke-width=\"2\" points").count();
        assert_eq!(wide_lines(&svg), 2 + 2, "two distributions, two legend marks");
        assert!(svg.contains("Zero-loss throughput") && svg.contains("\n1518 B\n"), "the bars' panel");
        let [(left, width), (next_left, next_width)] = bars(&svg)[..] else {
            panic!("a bar each: {:?}", bars(&svg))
        };
        assert!((width - next_width).abs() <= 1, "as wide as each other: {:?}", bars(&svg));
        assert!((next_left - (left + width) - 12).abs() <= 1, "6 px either side of each: {:?}", bars(&svg));
        assert!(!without_bars.contains("Zero-loss throughput"), "no bars, no panel");
        draw(&path, &lines, &[bar("64 B", 3_000_000)]).unwrap();
        let one_bar = std::fs::read_to_string(&path).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(one_bar.contains("\n64 B\n"), "a single bar is labelled too");
        // One bar takes the whole panel: as wide as two and the gap between.
        let [(one_left, one_width)] = bars(&one_bar)[..] else { panic!("one bar: {:?}", bars(&one_bar)) };
        assert_eq!(one_left, left, "{:?}", bars(&one_bar));
        assert!((one_width - (2 * width + 12)).abs() <= 2, "{:?} and {:?}", bars(&one_bar), bars(&svg));
        assert!(bars(&without_bars).is_empty());
    }
}
