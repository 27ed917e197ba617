//! The evaluation page over the whole 西村街 evaluation: p50 and p99 of 200 requests per tab,
//! as the bureau's manager (who sees every tab's content), against the release binary on SQLite.
//! Target on this 2-core machine: p50 under 30 ms.
//!
//! The data is what the browser journey test leaves (a copy of its finished evaluation):
//!   PINGGU_PAGE_FIXTURE=1 cargo test --test api journey::the_xicun_evaluation_runs_start_to_end_in_the_pages::sqlite
//!   cargo bench --bench pages            (PINGGU_BENCH_REQUESTS, default 200)

mod common;

use std::path::PathBuf;
use std::time::Instant;

use reqwest::header::COOKIE;
use serde_json::Value;

use common::{Api, log_in, percentile, start_server_on_copy};

const TABS: [&str; 8] = [
    "info",
    "self",
    "scoring",
    "reports",
    "feedback",
    "rectification",
    "timeline",
    "home",
];

#[tokio::main]
async fn main() {
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-fixtures");
    let about: Value = match std::fs::read_to_string(fixtures.join("xicun-journey.json")) {
        Ok(text) => serde_json::from_str(&text).expect("fixture"),
        Err(_) => {
            eprintln!(
                "no fixture: run `PINGGU_PAGE_FIXTURE=1 cargo test --test api journey::the_xicun_evaluation_runs_start_to_end_in_the_pages::sqlite` first"
            );
            std::process::exit(2);
        }
    };
    let requests: usize = std::env::var("PINGGU_BENCH_REQUESTS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(200)
        .max(1);
    let id = about["evaluation_id"].as_i64().expect("evaluation id");
    let password = about["password"].as_str().expect("password");
    let server = start_server_on_copy(&fixtures.join("xicun-journey.db"));
    let api = Api::new(&server.base, 1);
    api.ready().await;
    let site = server.base.trim_end_matches("/api/v1").to_owned();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let session = log_in(&client, &site, "liwan-bureau", password).await;
    println!(
        "the 西村街 evaluation {id}, final, as liwan-bureau; {requests} sequential requests per page"
    );
    println!(
        "{:14} {:>9} {:>9} {:>9} {:>9}",
        "page", "bytes", "p50 ms", "p99 ms", "max ms"
    );
    for tab in TABS {
        let path = if tab == "home" {
            "/".to_owned()
        } else {
            format!("/evaluations/{id}?tab={tab}")
        };
        let mut times = Vec::with_capacity(requests);
        let mut bytes = 0;
        // One unmeasured request warms the caches.
        for round in 0..=requests {
            let started = Instant::now();
            let response = client
                .get(format!("{site}{path}"))
                .header(COOKIE, &session)
                .send()
                .await
                .expect("page");
            assert!(
                response.status().is_success(),
                "{path}: {}",
                response.status()
            );
            bytes = response.bytes().await.expect("body").len();
            if round > 0 {
                times.push(started.elapsed().as_secs_f64() * 1e3);
            }
        }
        times.sort_by(f64::total_cmp);
        println!(
            "{:14} {:>9} {:>9.1} {:>9.1} {:>9.1}",
            tab,
            bytes,
            percentile(&times, 50.0),
            percentile(&times, 99.0),
            times.last().copied().unwrap_or_default()
        );
    }
    drop(server);
}
