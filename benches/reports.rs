//! Time to render the 西村街 final report (the model the reports test produces, kept in
//! benches/fixtures/xicun-report.json) to HTML, DOCX and PDF. Targets on a 2-core machine:
//! HTML under 20 ms, DOCX under 100 ms, PDF under 1 s.
//!
//! cargo bench --bench reports            (PINGGU_BENCH_ROUNDS, default 20)

use std::time::{Duration, Instant};

use pinggu::report::model::Report;
use pinggu::report::{docx, html, pdf};

fn measure(label: &str, rounds: usize, mut render: impl FnMut() -> usize) {
    // The first round pays one-time costs (for the PDF, reading the fonts): shown apart.
    let start = Instant::now();
    let bytes = render();
    let first = start.elapsed();
    let mut times: Vec<Duration> = (0..rounds)
        .map(|_| {
            let start = Instant::now();
            render();
            start.elapsed()
        })
        .collect();
    times.sort();
    let at = |q: f64| times[((times.len() as f64 - 1.0) * q).round() as usize];
    println!(
        "{label:5} {bytes:>9} bytes   first {:>8.1} ms   median {:>8.1} ms   p95 {:>8.1} ms",
        first.as_secs_f64() * 1e3,
        at(0.5).as_secs_f64() * 1e3,
        at(0.95).as_secs_f64() * 1e3,
    );
}

fn main() {
    let rounds: usize = std::env::var("PINGGU_BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(20)
        .max(1);
    let model: Report = serde_json::from_str(include_str!("fixtures/xicun-report.json"))
        .expect("the fixture is a report model");
    println!(
        "西村街 final report: {} sections, {} rounds each",
        model.sections.len(),
        rounds
    );
    measure("html", rounds, || html::render(&model).expect("html").len());
    measure("docx", rounds, || docx::render(&model).expect("docx").len());
    // Typst memoizes layout across compilations; a report is typeset once, so start cold.
    measure("pdf", rounds.min(10), || {
        typst::comemo::evict(0);
        pdf::render(&model).expect("pdf").len()
    });
}
