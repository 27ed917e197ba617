//! The raw statements `cargo bench --bench transitions` gives pgbench write what a transition
//! over HTTP writes: the same tables, as many rows, the same columns filled, the same
//! recipients. PostgreSQL only: pgbench is PostgreSQL's tool and the benchmark's yardstick.

use std::collections::{BTreeMap, BTreeSet};

use diesel::{Connection, PgConnection, RunQueryDsl};
use serde_json::Value;

use crate::evaluations::district;
use crate::helpers::*;
use crate::workflow::{actors, create, fire_ok, set_targets};

const SCRIPT: &str = include_str!("../../benches/sql/transition.sql");

#[derive(diesel::QueryableByName)]
struct Json {
    #[diesel(sql_type = diesel::sql_types::Text)]
    row: String,
}

/// The rows of `table` matching `filter`, as JSON objects.
fn rows(url: &str, table: &str, filter: &str) -> Vec<BTreeMap<String, Value>> {
    let mut conn = PgConnection::establish(url).expect("connect");
    diesel::sql_query(format!(
        "SELECT row_to_json(t)::text AS row FROM {table} t WHERE {filter} ORDER BY id"
    ))
    .load::<Json>(&mut conn)
    .expect("rows")
    .into_iter()
    .map(|r| serde_json::from_str(&r.row).expect("row json"))
    .collect()
}

fn max_id(url: &str, table: &str) -> i64 {
    rows(url, table, "true")
        .last()
        .and_then(|r| r["id"].as_i64())
        .unwrap_or(0)
}

/// What a writer left in each table since `before`: (rows, the columns left NULL in any row).
type Written = BTreeMap<&'static str, (usize, BTreeSet<String>)>;

const TABLES: [&str; 3] = ["audit_log", "notifications", "outbox"];

fn written(url: &str, before: &BTreeMap<&'static str, i64>) -> Written {
    TABLES
        .iter()
        .map(|&table| {
            let new = rows(url, table, &format!("id > {}", before[table]));
            let nulls = new
                .iter()
                .flat_map(|row| {
                    row.iter()
                        .filter(|(_, v)| v.is_null())
                        .map(|(k, _)| k.clone())
                })
                .collect();
            (table, (new.len(), nulls))
        })
        .collect()
}

fn heads(url: &str) -> BTreeMap<&'static str, i64> {
    TABLES.iter().map(|&t| (t, max_id(url, t))).collect()
}

/// The columns of an evaluation's row that differ between two reads.
fn changed(before: &BTreeMap<String, Value>, after: &BTreeMap<String, Value>) -> BTreeSet<String> {
    after
        .iter()
        .filter(|(k, v)| before.get(*k) != Some(*v))
        .map(|(k, _)| k.clone())
        .collect()
}

fn recipients(url: &str, table: &str, column: &str, since: i64) -> BTreeSet<i64> {
    rows(url, table, &format!("id > {since}"))
        .iter()
        .filter_map(|r| r[column].as_i64())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pgbench_transition_writes_what_a_transition_writes() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let admin = app.admin_token().await;
    let s = district(&app, &admin, "荔湾", "liwan").await;
    let who = actors(&app, &s, "liwan").await;
    let zones = crate::self_assessment::zones(&app, &s).await;
    let mut ids = Vec::new();
    for _ in 0..2 {
        let id = id_of(&create(&app, &s).await);
        assert!(
            set_targets(&app, &s, &who.agency, id)
                .await
                .status()
                .is_success()
        );
        fire_ok(&app, &who.agency, id, "open", None, "self_assessment").await;
        crate::self_assessment::fill(&app, &who.station, id, &zones).await;
        ids.push(id);
    }
    let url = app.db.url.clone();
    let evaluation = |id: i64| rows(&url, "evaluations", &format!("id = {id}")).remove(0);

    let before = heads(&url);
    let http_before = evaluation(ids[0]);
    fire_ok(
        &app,
        &who.station,
        ids[0],
        "submit_self_assessment",
        None,
        "onsite_scoring",
    )
    .await;
    let by_http = written(&url, &before);
    let http_changed = changed(&http_before, &evaluation(ids[0]));
    let http_mailed = recipients(&url, "outbox", "recipient_user_id", before["outbox"]);
    let http_notified = recipients(&url, "notifications", "user_id", before["notifications"]);
    let audit = rows(&url, "audit_log", &format!("id > {}", before["audit_log"])).remove(0);
    let mail = rows(&url, "outbox", &format!("id > {}", before["outbox"])).remove(0);
    let note = rows(
        &url,
        "notifications",
        &format!("id > {}", before["notifications"]),
    )
    .remove(0);
    let length = |v: &Value| v.as_str().map_or(0, |s| s.chars().count()).to_string();
    let orgs: BTreeSet<i64> = rows(
        &url,
        "users",
        &format!(
            "id IN ({})",
            http_notified
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(",")
        ),
    )
    .iter()
    .filter_map(|u| u["organization_id"].as_i64())
    .collect();

    let after_http = heads(&url);
    let raw_before = evaluation(ids[1]);
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("transition.sql"),
        format!("\\set eid {}\n{SCRIPT}", ids[1]),
    )
    .expect("script");
    let defines = [
        ("actor_id", audit["actor_id"].to_string()),
        ("actor_org", audit["actor_org_id"].to_string()),
        (
            "orgs",
            orgs.iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(","),
        ),
        ("text_len", length(&mail["body_text"])),
        ("html_len", length(&mail["body_html"])),
        ("note_len", length(&note["body"])),
    ];
    let mut pgbench = std::process::Command::new("pgbench");
    pgbench
        .current_dir(dir.path())
        .args(["-n", "-c", "1", "-t", "1", "-f", "transition.sql"]);
    for (name, value) in &defines {
        pgbench.args(["-D", &format!("{name}={value}")]);
    }
    let output = pgbench.arg(&url).output().expect("pgbench on PATH");
    assert!(
        output.status.success(),
        "pgbench: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let by_pgbench = written(&url, &after_http);

    assert_eq!(by_pgbench, by_http, "rows and NULL columns per table");
    assert!(
        by_http["outbox"].0 > 0 && by_http["notifications"].0 > 0,
        "{by_http:?}"
    );
    assert_eq!(
        changed(&raw_before, &evaluation(ids[1])),
        http_changed,
        "the evaluation's changed columns"
    );
    assert_eq!(
        recipients(&url, "outbox", "recipient_user_id", after_http["outbox"]),
        http_mailed
    );
    assert_eq!(
        recipients(
            &url,
            "notifications",
            "user_id",
            after_http["notifications"]
        ),
        http_notified
    );
    let raw_mail = rows(&url, "outbox", &format!("id > {}", after_http["outbox"])).remove(0);
    for column in ["body_text", "body_html", "message_id", "subject"] {
        assert!(
            raw_mail[column].as_str().is_some_and(|s| !s.is_empty()),
            "{column}"
        );
    }
    assert_ne!(raw_mail["message_id"], mail["message_id"]);
    assert_eq!(length(&raw_mail["body_html"]), length(&mail["body_html"]));
}
