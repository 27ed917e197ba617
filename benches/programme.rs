//! The programme level at national scale (DESIGN.md §8): `pinggu generate` fills a fresh
//! database, then sequential requests measure the filtered list (page 1 and page 500), a
//! district's and a city-sized summary workbook, the city's and a district's dashboard, and a
//! bureau's and an agency's 我的待办 — on PostgreSQL at two sizes and on SQLite, side by side in one run.
//!
//! Goals on this 2-core machine (release): list and dashboard p95 under 50 ms at 40,000
//! stations and within 2× of their p95 at 400; a city-sized workbook (about 3,000 evaluations)
//! under 2 s.
//!
//! The generated country has cities of 30 districts (360 stations), each with its municipal
//! bureau ("city1" is the first, as large at 400 stations as at 40,000), and agencies serving
//! 80 districts each (960 stations, about 3,000 evaluations in three years: a large city's
//! workbook). "admin" sees the whole country.
//!
//! Run: `cargo bench --bench programme` (PostgreSQL at PINGGU_BENCH_POSTGRES_URL, default
//! postgres://postgres@127.0.0.1:5432/postgres). Sizes: PINGGU_BENCH_SMALL (stations, default
//! 400), PINGGU_BENCH_LARGE (40000), PINGGU_BENCH_SQLITE (4000), PINGGU_BENCH_YEARS (3);
//! PINGGU_BENCH_REQUESTS per case (100; the workbooks a tenth of it).

mod common;

use std::time::Instant;

use common::{Api, Server, build, knob, log_in, percentile, start_generated_server};

/// One measured request: who asks for what.
struct Case {
    name: &'static str,
    user: &'static str,
    /// An API path, or a page path when `page` is set.
    path: String,
    page: bool,
    /// Fewer requests (the workbooks).
    heavy: bool,
}

/// p50, p95 and the largest, in milliseconds.
type Figures = (f64, f64, f64);

async fn measure(server: &Server, requests: usize) -> Vec<(&'static str, Figures)> {
    let api = Api::new(&server.base, 1);
    api.ready().await;
    let site = server.base.trim_end_matches("/api/v1").to_owned();
    // The first agency: it serves 80 districts (960 stations), about 3,000 evaluations.
    let agency = api.login("agency1").await;
    let me: serde_json::Value = api
        .client
        .get(format!("{}/me", server.base))
        .bearer_auth(&agency)
        .send()
        .await
        .expect("me")
        .json()
        .await
        .expect("me body");
    let agency_id = me["organization"]["id"].as_i64().expect("agency id");
    let year = pinggu::demo::generate::LAST_YEAR;
    let cases = [
        Case {
            name: "list, page 1 (a city)",
            user: "city1",
            path: "/evaluations?per_page=20".into(),
            page: false,
            heavy: false,
        },
        Case {
            name: "list, page 500 (the country, admin)",
            user: "admin",
            path: "/evaluations?per_page=20&page=500".into(),
            page: false,
            heavy: false,
        },
        Case {
            name: "list, a year's good ones (a city)",
            user: "city1",
            path: format!("/evaluations?year={year}&grade=good&sort=-onsite_date"),
            page: false,
            heavy: false,
        },
        Case {
            name: "list, overdue (bureau)",
            user: "bureau1",
            path: "/evaluations?overdue=true".into(),
            page: false,
            heavy: false,
        },
        Case {
            name: "dashboard, a year (a city)",
            user: "city1",
            path: format!("/dashboard?year={year}"),
            page: false,
            heavy: false,
        },
        Case {
            name: "dashboard (district bureau)",
            user: "bureau1",
            path: "/dashboard".into(),
            page: false,
            heavy: false,
        },
        Case {
            name: "我的待办 page (district bureau)",
            user: "bureau1",
            path: "/".into(),
            page: true,
            heavy: false,
        },
        Case {
            // The agency of 960 stations: every active evaluation of the last year is weighed
            // for its next steps (at most 500).
            name: "我的待办 page (agency, 80 districts)",
            user: "agency1",
            path: "/".into(),
            page: true,
            heavy: false,
        },
        Case {
            name: "workbook, a district (bureau)",
            user: "bureau1",
            path: "/evaluations.xlsx".into(),
            page: false,
            heavy: true,
        },
        Case {
            name: "workbook, a city, all years (a city)",
            user: "city1",
            path: "/evaluations.xlsx".into(),
            page: false,
            heavy: true,
        },
        Case {
            name: "workbook, one agency, all years (admin)",
            user: "admin",
            path: format!("/evaluations.xlsx?agency_org_id={agency_id}"),
            page: false,
            heavy: true,
        },
    ];
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let mut results = Vec::new();
    for case in &cases {
        let rounds = if case.heavy {
            (requests / 10).max(1)
        } else {
            requests
        };
        let mut millis = Vec::with_capacity(rounds);
        if case.page {
            let session = log_in(&client, &site, case.user, common::PASSWORD).await;
            for _ in 0..rounds {
                let started = Instant::now();
                let response = client
                    .get(format!("{site}{}", case.path))
                    .header(reqwest::header::COOKIE, &session)
                    .send()
                    .await
                    .expect("page");
                assert!(response.status().is_success(), "{}", case.name);
                response.bytes().await.expect("body");
                millis.push(started.elapsed().as_secs_f64() * 1000.0);
            }
        } else {
            let token = api.login(case.user).await;
            for _ in 0..rounds {
                let started = Instant::now();
                let response = api
                    .client
                    .get(format!("{}{}", server.base, case.path))
                    .bearer_auth(&token)
                    .send()
                    .await
                    .expect("request");
                let status = response.status();
                let body = response.bytes().await.expect("body");
                assert!(
                    status.is_success(),
                    "{}: {status} {}",
                    case.name,
                    String::from_utf8_lossy(&body)
                );
                millis.push(started.elapsed().as_secs_f64() * 1000.0);
            }
        }
        millis.sort_by(f64::total_cmp);
        let figures = (
            percentile(&millis, 50.0),
            percentile(&millis, 95.0),
            millis.last().copied().unwrap_or(0.0),
        );
        results.push((case.name, figures));
    }
    results
}

#[tokio::main]
async fn main() {
    let postgres = std::env::var("PINGGU_BENCH_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let small = knob("PINGGU_BENCH_SMALL", 400);
    let large = knob("PINGGU_BENCH_LARGE", 40_000);
    let sqlite = knob("PINGGU_BENCH_SQLITE", 4_000);
    let years = knob("PINGGU_BENCH_YEARS", 3);
    let requests = knob("PINGGU_BENCH_REQUESTS", 100);
    println!(
        "{}; {requests} sequential requests per case (workbooks {}), {years} years of evaluations",
        build(),
        (requests / 10).max(1)
    );
    let setups = [
        ("PostgreSQL", Some(postgres.as_str()), small),
        ("PostgreSQL", Some(postgres.as_str()), large),
        ("SQLite", None, sqlite),
    ];
    let mut columns: Vec<(String, Vec<(&'static str, Figures)>)> = Vec::new();
    for (backend, url, stations) in setups {
        let started = Instant::now();
        let server = start_generated_server(url, stations, years);
        let generated = started.elapsed().as_secs_f64();
        let figures = measure(&server, requests).await;
        println!(
            "{backend}, {stations} stations: generated in {generated:.0} s, measured in {:.0} s",
            started.elapsed().as_secs_f64() - generated
        );
        columns.push((format!("{backend} {stations}"), figures));
        drop(server);
    }
    println!();
    print!("{:<40}", "p50 / p95 / max ms");
    for (name, _) in &columns {
        print!(" | {name:>26}");
    }
    println!(" | p95 large ÷ small");
    for row in 0..columns[0].1.len() {
        print!("{:<40}", columns[0].1[row].0);
        for (_, figures) in &columns {
            let (p50, p95, max) = figures[row].1;
            print!(" | {:>8.1} {:>8.1} {:>8.1}", p50, p95, max);
        }
        let ratio = columns[1].1[row].1.1 / columns[0].1[row].1.1.max(0.001);
        println!(" | {ratio:>6.2}");
    }
}
