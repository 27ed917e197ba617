//! Workflow transitions per second on PostgreSQL: over HTTP (the release binary, 32 clients)
//! next to `pgbench` running the transition's own writes (`sql/transition.sql`: the row lock,
//! the versioned state UPDATE, the audit INSERT with its chain link, the in-app notifications
//! and the rendered outbox messages) as one transaction at the same concurrency on the same
//! server — once with every client on its own evaluation, once with all
//! clients on one hot evaluation.
//!
//! Run: `cargo bench --bench transitions` (PostgreSQL at PINGGU_BENCH_POSTGRES_URL, default
//! postgres://postgres@127.0.0.1:5432/postgres; pgbench on PATH; seconds per run in
//! PINGGU_BENCH_SECONDS, default 15). Transitions are counted from the audit rows they wrote, so
//! refused attempts (a stale version on the hot evaluation) do not count; latencies are of every
//! attempt.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::{Connection, PgConnection, RunQueryDsl};
use reqwest::StatusCode;
use serde_json::{Value, json};

mod common;

use common::{Api, percentile, start_server};

const CLIENTS: usize = 32;

struct Fixture {
    station: String,
    agency: String,
    evaluations: Vec<i64>,
}

/// One district with managers of the operator, agency and bureau, and `count` opened evaluations.
async fn fixture(api: &Api, count: usize) -> Fixture {
    let orgs = common::district(api).await;
    let bureau = api.login("bureau").await;
    let station = api
        .created(
            "/stations",
            &bureau,
            &json!({"name": "西村街社工服务站", "district": "荔湾区", "street": "西村街",
                "operator_org_id": orgs[2], "purchaser_org_id": orgs[1], "supervisor_org_id": orgs[0],
                "zones": [{"name": "一片区", "communities": ["西村社区"]}]}),
        )
        .await;
    let agreement = api
        .created(
            &format!("/stations/{station}/agreements"),
            &bureau,
            &json!({"period_start": "2024-12-11", "period_end": "2025-12-10",
                "funding_yuan": "1200000.00", "required_staff": 20, "required_certified_staff": 13}),
        )
        .await;
    let agency = api.login("agency").await;
    let mut evaluations = Vec::new();
    for _ in 0..count {
        let id = api
            .created(
                "/evaluations",
                &bureau,
                &json!({"agreement_id": agreement, "scheme_code": "guangzhou-2023", "kind": "mid_term",
                    "assessment_start": "2024-12-11", "assessment_end": "2025-04-30",
                    "onsite_date": "2025-05-13", "agency_org_id": orgs[3], "center_org_id": orgs[4],
                    "deadlines": {"self_assessment": "2025-05-06", "onsite_scoring": "2025-05-13",
                                  "draft_feedback": "2025-05-27", "bureau_review": "2025-06-10"}}),
            )
            .await;
        let response = api
            .client
            .put(format!("{}/evaluations/{id}/targets", api.base))
            .bearer_auth(&agency)
            .json(&json!({"rows": [{"indicator": "training.hours", "zone_id": null, "target": "1080"}]}))
            .send()
            .await
            .expect("targets");
        assert!(response.status().is_success());
        let (status, body) = api
            .post(
                &format!("/evaluations/{id}/transitions"),
                &agency,
                &json!({"event": "open"}),
            )
            .await;
        assert!(status.is_success(), "open: {body}");
        evaluations.push(id);
    }
    // The self-assessment the submit guard asks for: the completion, a roster, a narrative.
    let station = api.login("station").await;
    let months: serde_json::Map<String, Value> =
        ["2024-12", "2025-01", "2025-02", "2025-03", "2025-04"]
            .into_iter()
            .map(|m| {
                (
                    m.to_owned(),
                    json!({"on_post": "1", "insurance": true, "wage": true}),
                )
            })
            .collect();
    for id in &evaluations {
        for (path, body) in [
            (
                "indicators",
                json!({"rows": [{"indicator": "training.hours", "zone_id": null, "completed": "783.5"}]}),
            ),
            (
                "staff",
                json!({"workers": [{"name": "李洁华", "position": "社工站副站长",
                "qualification": "intermediate", "over_two_years": true, "months": months}]}),
            ),
            ("self-assessment", json!({"narrative": "自评"})),
        ] {
            let response = api
                .client
                .put(format!("{}/evaluations/{id}/{path}", api.base))
                .bearer_auth(&station)
                .json(&body)
                .send()
                .await
                .expect("self-assessment");
            assert!(response.status().is_success(), "{path}");
        }
    }
    Fixture {
        station,
        agency,
        evaluations,
    }
}

struct Run {
    transitions: u64,
    attempts: usize,
    seconds: f64,
    p50_ms: f64,
    p99_ms: f64,
}

impl Run {
    fn rate(&self) -> f64 {
        self.transitions as f64 / self.seconds
    }

    fn attempt_rate(&self) -> f64 {
        self.attempts as f64 / self.seconds
    }
}

fn audit_rows(url: &str) -> u64 {
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = PgConnection::establish(url).expect("connect");
    let rows: Vec<Count> = diesel::sql_query("SELECT COUNT(*) AS n FROM audit_log")
        .load(&mut conn)
        .expect("count");
    rows.first().map_or(0, |c| c.n as u64)
}

/// Each client fires the event its last known version calls for (the state flips with every
/// transition), sending that version; a 409 tells it the current version.
async fn http_run(api: Arc<Api>, fixture: &Fixture, hot: bool, seconds: u64, url: &str) -> Run {
    let before = audit_rows(url);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for client in 0..CLIENTS {
        let api = api.clone();
        let evaluation = if hot {
            fixture.evaluations[0]
        } else {
            fixture.evaluations[1 + client]
        };
        let (station, agency) = (fixture.station.clone(), fixture.agency.clone());
        tasks.push(tokio::spawn(async move {
            let path = format!("/evaluations/{evaluation}/transitions");
            let (mut version, mut latencies) = (None::<i64>, Vec::new());
            while Instant::now() < deadline {
                // After `open` and the three self-assessment writes (version 6 of a fresh
                // evaluation), even versions are in self_assessment.
                let submit = version.is_none_or(|v| v % 2 == 0);
                let body = if submit {
                    json!({"event": "submit_self_assessment", "version": version})
                } else {
                    json!({"event": "return_self_assessment", "version": version, "reason": "压测"})
                };
                let token = if submit { &station } else { &agency };
                let started = Instant::now();
                let (status, answer) = api.post(&path, token, &body).await;
                latencies.push(started.elapsed().as_secs_f64() * 1000.0);
                version = match status {
                    StatusCode::OK => answer["version"].as_i64(),
                    StatusCode::CONFLICT => answer["current_version"].as_i64(),
                    other => panic!("transition answered {other}: {answer}"),
                };
            }
            latencies
        }));
    }
    let started = Instant::now();
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.expect("client"));
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort_by(f64::total_cmp);
    Run {
        transitions: audit_rows(url) - before,
        attempts: latencies.len(),
        seconds: elapsed,
        p50_ms: percentile(&latencies, 50.0),
        p99_ms: percentile(&latencies, 99.0),
    }
}

/// The statements of one transition, as one pgbench transaction (kept in step with the server
/// by `tests/api/bench_scripts.rs`).
const SCRIPT: &str = include_str!("sql/transition.sql");

/// The script's variables, read from what the HTTP run's submissions wrote: the acting station
/// manager, the organizations notified, and the rendered bodies' lengths.
fn script_defines(url: &str) -> Vec<(&'static str, String)> {
    #[derive(diesel::QueryableByName)]
    struct Text {
        #[diesel(sql_type = diesel::sql_types::Text)]
        value: String,
    }
    let mut conn = PgConnection::establish(url).expect("connect");
    let mut read = |query: &str| -> String {
        diesel::sql_query(query)
            .load::<Text>(&mut conn)
            .expect("script variable")
            .pop()
            .map(|t| t.value)
            .unwrap_or_default()
    };
    let last = "(SELECT max(id) FROM audit_log WHERE action = 'submit_self_assessment')";
    vec![
        (
            "actor_id",
            read(&format!(
                "SELECT actor_id::text AS value FROM audit_log WHERE id = {last}"
            )),
        ),
        (
            "actor_org",
            read(&format!(
                "SELECT actor_org_id::text AS value FROM audit_log WHERE id = {last}"
            )),
        ),
        (
            "orgs",
            read(&format!(
                "SELECT string_agg(DISTINCT u.organization_id::text, ',') AS value \
                 FROM outbox o JOIN users u ON u.id = o.recipient_user_id WHERE o.audit_id = {last}"
            )),
        ),
        (
            "text_len",
            read(&format!(
                "SELECT max(char_length(body_text))::text AS value FROM outbox WHERE audit_id = {last}"
            )),
        ),
        (
            "html_len",
            read(&format!(
                "SELECT max(char_length(body_html))::text AS value FROM outbox WHERE audit_id = {last}"
            )),
        ),
        (
            "note_len",
            read(
                "SELECT max(char_length(body))::text AS value FROM notifications WHERE event = 'submit_self_assessment'",
            ),
        ),
    ]
}

fn pgbench_run(fixture: &Fixture, hot: bool, seconds: u64, url: &str, dir: &Path) -> Run {
    let choose = if hot {
        format!("\\set eid {}\n", fixture.evaluations[0])
    } else {
        format!("\\set eid {} + :client_id\n", fixture.evaluations[1])
    };
    let script = dir.join("transition.sql");
    std::fs::write(&script, format!("{choose}{SCRIPT}")).expect("script");
    for entry in std::fs::read_dir(dir).expect("dir").flatten() {
        if entry
            .file_name()
            .to_string_lossy()
            .starts_with("pgbench_log")
        {
            let _ = std::fs::remove_file(entry.path());
        }
    }
    let before = audit_rows(url);
    let mut pgbench = Command::new("pgbench");
    for (name, value) in script_defines(url) {
        pgbench.args(["-D", &format!("{name}={value}")]);
    }
    let output = pgbench
        .current_dir(dir)
        .args([
            "-n",
            "-c",
            &CLIENTS.to_string(),
            "-j",
            "2",
            "-T",
            &seconds.to_string(),
        ])
        .args(["-l", "-f", "transition.sql"])
        .arg(url)
        .output()
        .expect("pgbench on PATH");
    assert!(
        output.status.success(),
        "pgbench failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report = String::from_utf8_lossy(&output.stdout);
    let seconds_run = report
        .lines()
        .find_map(|l| l.strip_prefix("duration: "))
        .and_then(|d| d.trim_end_matches(" s").trim().parse().ok())
        .unwrap_or(seconds as f64);
    // Per-transaction log: client, transaction, latency in µs, …
    let mut latencies = Vec::new();
    for entry in std::fs::read_dir(dir).expect("dir").flatten() {
        if entry
            .file_name()
            .to_string_lossy()
            .starts_with("pgbench_log")
        {
            let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
            latencies.extend(text.lines().filter_map(|l| {
                l.split_whitespace()
                    .nth(2)
                    .and_then(|us| us.parse::<f64>().ok())
                    .map(|us| us / 1000.0)
            }));
        }
    }
    latencies.sort_by(f64::total_cmp);
    Run {
        transitions: audit_rows(url) - before,
        attempts: latencies.len(),
        seconds: seconds_run,
        p50_ms: percentile(&latencies, 50.0),
        p99_ms: percentile(&latencies, 99.0),
    }
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` would run this too: only on request.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let admin_url = std::env::var("PINGGU_BENCH_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let seconds = common::knob("PINGGU_BENCH_SECONDS", 15) as u64;
    let server = start_server(Some(&admin_url));
    let url = server.url.clone();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let api = Arc::new(Api::new(&server.base, CLIENTS));
    let fixture = runtime.block_on(async {
        api.ready().await;
        fixture(&api, 1 + CLIENTS).await
    });
    let dir = tempfile::tempdir().expect("temp dir");
    println!(
        "{CLIENTS} clients, {seconds} s per run, {}; transitions/s counted from audit rows",
        common::build()
    );
    println!(
        "| run | HTTP: transitions/s (attempts/s), p50 / p99 | pgbench: transitions/s (attempts/s), p50 / p99 | HTTP ÷ pgbench |"
    );
    println!("|---|---|---|---|");
    for (name, hot) in [
        ("different evaluations", false),
        ("one hot evaluation", true),
    ] {
        let http = runtime.block_on(http_run(api.clone(), &fixture, hot, seconds, &url));
        let raw = pgbench_run(&fixture, hot, seconds, &url, dir.path());
        println!(
            "| {name} | {:.0}/s ({:.0}/s), {:.1} ms / {:.1} ms | {:.0}/s ({:.0}/s), {:.1} ms / {:.1} ms | {:.2} |",
            http.rate(),
            http.attempt_rate(),
            http.p50_ms,
            http.p99_ms,
            raw.rate(),
            raw.attempt_rate(),
            raw.p50_ms,
            raw.p99_ms,
            http.rate() / raw.rate().max(f64::MIN_POSITIVE)
        );
    }
    drop(server);
}
