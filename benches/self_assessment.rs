//! The self-assessment at a large station: a 10-zone indicator table and a 60-worker roster over
//! 12 months. Times the Excel imports (POST indicators.xlsx, staff.xlsx) and the reads (GET
//! indicators, staff, warnings) on SQLite and on PostgreSQL, over HTTP against the release binary.
//!
//! Run: `cargo bench --bench self_assessment` (PostgreSQL at PINGGU_BENCH_POSTGRES_URL, default
//! postgres://postgres@127.0.0.1:5432/postgres; PINGGU_BENCH_IMPORTS, default 20;
//! PINGGU_BENCH_REQUESTS, default 200; PINGGU_BENCH_SECONDS of the throughput runs, default 3).

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use common::{Api, knob, percentile, start_server};

const ZONES: usize = 10;
const WORKERS: usize = 60;
const MONTHS: [&str; 12] = [
    "2024-12", "2025-01", "2025-02", "2025-03", "2025-04", "2025-05", "2025-06", "2025-07",
    "2025-08", "2025-09", "2025-10", "2025-11",
];
const CONCURRENT: usize = 8;

struct Fixture {
    station: String,
    id: i64,
}

async fn fixture(api: &Api) -> Fixture {
    let orgs = common::district(api).await;
    let bureau = api.login("bureau").await;
    let zones: Vec<Value> = (1..=ZONES)
        .map(|z| json!({"name": format!("{z}片区"), "communities": [format!("{z}社区")]}))
        .collect();
    let station_id = api
        .created(
            "/stations",
            &bureau,
            &json!({"name": "大型社工服务站", "district": "荔湾区", "street": "西村街",
                "operator_org_id": orgs[2], "purchaser_org_id": orgs[1], "supervisor_org_id": orgs[0],
                "zones": zones}),
        )
        .await;
    let agreement = api
        .created(
            &format!("/stations/{station_id}/agreements"),
            &bureau,
            &json!({"period_start": "2024-12-11", "period_end": "2025-12-10",
                "funding_yuan": "3600000.00", "required_staff": 60, "required_certified_staff": 40}),
        )
        .await;
    let id = api
        .created(
            "/evaluations",
            &bureau,
            &json!({"agreement_id": agreement, "scheme_code": "guangzhou-2023", "kind": "final_term",
                "assessment_start": "2024-12-11", "assessment_end": "2025-11-30",
                "onsite_date": "2025-12-05", "agency_org_id": orgs[3], "center_org_id": orgs[4],
                "deadlines": {"self_assessment": "2025-12-01", "onsite_scoring": "2025-12-05",
                              "draft_feedback": "2025-12-15", "bureau_review": "2025-12-25"}}),
        )
        .await;
    let station_view: Value = api
        .client
        .get(format!("{}/stations/{station_id}", api.base))
        .bearer_auth(&bureau)
        .send()
        .await
        .expect("station")
        .json()
        .await
        .expect("json");
    let zone_ids: Vec<i64> = station_view["zones"]
        .as_array()
        .expect("zones")
        .iter()
        .filter_map(|z| z["id"].as_i64())
        .collect();
    let scheme: Value = api
        .client
        .get(format!("{}/schemes/guangzhou-2023", api.base))
        .bearer_auth(&bureau)
        .send()
        .await
        .expect("scheme")
        .json()
        .await
        .expect("json");
    let mut targets = Vec::new();
    let mut completions = Vec::new();
    for (k, indicator) in scheme["indicators"]
        .as_array()
        .expect("indicators")
        .iter()
        .enumerate()
    {
        let code = indicator["code"].as_str().expect("code");
        let places: Vec<Value> = if indicator["scope"] == "zone" {
            zone_ids.iter().map(|z| json!(z)).collect()
        } else {
            vec![Value::Null]
        };
        for (z, zone) in places.into_iter().enumerate() {
            let target = 100 + 10 * k + z;
            targets.push(json!({"indicator": code, "zone_id": zone, "target": target.to_string()}));
            let done = (target * (50 + (k + z) % 60) / 100).to_string();
            completions.push(json!({"indicator": code, "zone_id": zone, "completed": done}));
        }
    }
    let (status, body) = api
        .put(
            &format!("/evaluations/{id}/targets"),
            &bureau,
            &json!({"rows": targets}),
        )
        .await;
    assert!(status.is_success(), "targets: {body}");
    let (status, body) = api
        .post(
            &format!("/evaluations/{id}/transitions"),
            &bureau,
            &json!({"event": "open"}),
        )
        .await;
    assert!(status.is_success(), "open: {body}");
    let station = api.login("station").await;
    let (status, body) = api
        .put(
            &format!("/evaluations/{id}/indicators"),
            &station,
            &json!({"rows": completions}),
        )
        .await;
    assert!(status.is_success(), "completions: {body}");
    let qualifications = ["intermediate", "assistant", "uncertified"];
    let workers: Vec<Value> = (0..WORKERS)
        .map(|w| {
            let months: serde_json::Map<String, Value> = MONTHS
                .iter()
                .enumerate()
                .filter(|(m, _)| w % 7 != 0 || *m < 8)
                .map(|(m, month)| {
                    let on = if (w + m) % 11 == 0 { "0.5" } else { "1" };
                    (
                        (*month).to_owned(),
                        json!({"on_post": on, "insurance": true, "wage": m % 5 != 4}),
                    )
                })
                .collect();
            json!({"name": format!("社工{w:02}"), "position": format!("{}片区社工", 1 + w % ZONES),
                   "qualification": qualifications[w % 3], "over_two_years": w % 4 != 0,
                   "zone_id": zone_ids[w % ZONES], "months": months})
        })
        .collect();
    let (status, body) = api
        .put(
            &format!("/evaluations/{id}/staff"),
            &station,
            &json!({"workers": workers}),
        )
        .await;
    assert!(status.is_success(), "staff: {body}");
    Fixture { station, id }
}

async fn download(api: &Api, token: &str, path: &str) -> Vec<u8> {
    let response = api
        .client
        .get(format!("{}{path}", api.base))
        .bearer_auth(token)
        .send()
        .await
        .expect("download");
    assert!(response.status().is_success());
    response.bytes().await.expect("bytes").to_vec()
}

/// p50 and p99 in ms of `times` sequential calls.
async fn timed<F, Fut>(times: usize, mut call: F) -> (f64, f64)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut latencies = Vec::with_capacity(times);
    for _ in 0..times {
        let started = Instant::now();
        call().await;
        latencies.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    latencies.sort_by(f64::total_cmp);
    (percentile(&latencies, 50.0), percentile(&latencies, 99.0))
}

async fn get_ok(api: &Api, token: &str, path: &str) {
    let response = api
        .client
        .get(format!("{}{path}", api.base))
        .bearer_auth(token)
        .send()
        .await
        .expect("get");
    assert!(response.status().is_success(), "{path}");
    let _ = response.bytes().await;
}

async fn bench(api: Arc<Api>, backend: &str) {
    api.ready().await;
    let f = fixture(&api).await;
    let base = format!("/evaluations/{}", f.id);
    let indicators = download(&api, &f.station, &format!("{base}/indicators.xlsx")).await;
    let staff = download(&api, &f.station, &format!("{base}/staff.xlsx")).await;
    let xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    for (name, path, bytes) in [
        (
            "import indicators.xlsx (10 zones)",
            "indicators.xlsx",
            &indicators,
        ),
        ("import staff.xlsx (60 × 12)", "staff.xlsx", &staff),
    ] {
        let (p50, p99) = timed(knob("PINGGU_BENCH_IMPORTS", 20), || {
            let (api, token, bytes) = (api.clone(), f.station.clone(), bytes.clone());
            let url = format!("{}{base}/{path}", api.base);
            async move {
                let response = api
                    .client
                    .post(url)
                    .bearer_auth(token)
                    .header("content-type", xlsx)
                    .body(bytes)
                    .send()
                    .await
                    .expect("import");
                assert!(
                    response.status().is_success(),
                    "{}",
                    response.text().await.unwrap_or_default()
                );
            }
        })
        .await;
        println!(
            "| {backend} | {name}, {} KiB | {p50:.1} ms | {p99:.1} ms | |",
            bytes.len() / 1024
        );
    }
    for read in ["indicators", "staff", "warnings"] {
        let path = format!("{base}/{read}");
        let (p50, p99) = timed(knob("PINGGU_BENCH_REQUESTS", 200), || {
            get_ok(&api, &f.station, &path)
        })
        .await;
        // Throughput with a few clients at once.
        let seconds = knob("PINGGU_BENCH_SECONDS", 3);
        let until = Instant::now() + Duration::from_secs(seconds as u64);
        let mut tasks = Vec::new();
        for _ in 0..CONCURRENT {
            let (api, token, path) = (api.clone(), f.station.clone(), path.clone());
            tasks.push(tokio::spawn(async move {
                let mut done = 0u64;
                while Instant::now() < until {
                    get_ok(&api, &token, &path).await;
                    done += 1;
                }
                done
            }));
        }
        let mut total = 0;
        for task in tasks {
            total += task.await.expect("client");
        }
        println!(
            "| {backend} | GET {read} | {p50:.1} ms | {p99:.1} ms | {:.0}/s with {CONCURRENT} clients |",
            total as f64 / seconds as f64
        );
    }
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let admin_url = std::env::var("PINGGU_BENCH_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    println!(
        "{}; {} imports and {} sequential reads each",
        common::build(),
        knob("PINGGU_BENCH_IMPORTS", 20),
        knob("PINGGU_BENCH_REQUESTS", 200)
    );
    println!("| database | call | p50 | p99 | throughput |");
    println!("|---|---|---|---|---|");
    for (backend, postgres) in [("SQLite", None), ("PostgreSQL", Some(admin_url.as_str()))] {
        let server = start_server(postgres);
        let api = Arc::new(Api::new(&server.base, CONCURRENT));
        runtime.block_on(bench(api, backend));
        drop(server);
    }
}
