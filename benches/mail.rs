//! Messages per second that `pinggu worker --once` drains from the outbox into a local SMTP server
//! (aiosmtpd, tests/support/smtp_sink.py), with one worker process and with three at once, on
//! SQLite and on PostgreSQL. Each run checks that the server got every message exactly once.
//!
//! Run: `cargo bench --bench mail` (PostgreSQL at PINGGU_BENCH_POSTGRES_URL, default
//! postgres://postgres@127.0.0.1:5432/postgres; PINGGU_BENCH_MESSAGES, default 2000; Debian's
//! python3-aiosmtpd).

mod common;

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Instant;

use diesel::RunQueryDsl;

use common::{SECRET, start_server};

fn seed(url: &str, run: &str, messages: usize) {
    let pool = pinggu::db::connect(url, 1).expect("database");
    let mut conn = pool.get().expect("connection");
    let numbers = if url.starts_with("postgres") {
        format!("SELECT generate_series(1, {messages}) AS n")
    } else {
        format!(
            "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {messages}) SELECT n FROM s"
        )
    };
    let statement = format!(
        "INSERT INTO outbox (event, recipient_user_id, to_address, subject, body_text, body_html, \
         message_id, status, attempts, next_attempt_at, created_at) \
         SELECT 'bench', (SELECT MIN(id) FROM users), 'bench' || n || '@example.cn', \
         '【荔湾社工服务站中期评估】评估报告初稿已发出', '您好：评估机构已发出评估报告初稿。', \
         '<p>您好：评估机构已发出评估报告初稿。</p>', '<{run}-' || n || '@pinggu.bench>', 'queued', 0, \
         '2020-01-01 00:00:00', '2020-01-01 00:00:00' FROM ({numbers}) AS numbers"
    );
    let seeded = diesel::sql_query(statement)
        .execute(&mut *conn)
        .expect("seeded");
    assert_eq!(seeded, messages);
}

/// Runs `workers` worker processes at once until the outbox is empty; answers the seconds.
fn drain(url: &str, port: u16, workers: usize) -> f64 {
    let started = Instant::now();
    let children: Vec<_> = (0..workers)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_pinggu"))
                .args(["worker", "--once"])
                .env("DATABASE_URL", url)
                .env("PINGGU__AUTH__JWT_SECRET", SECRET)
                .env("PINGGU__LOG__LEVEL", "error")
                .env("PINGGU__MAIL__TRANSPORT", "smtp")
                .env("PINGGU__MAIL__SMTP__HOST", "127.0.0.1")
                .env("PINGGU__MAIL__SMTP__PORT", port.to_string())
                .env("PINGGU__MAIL__SMTP__TLS", "none")
                .stdout(Stdio::null())
                .spawn()
                .expect("pinggu worker")
        })
        .collect();
    for mut child in children {
        assert!(child.wait().expect("worker ends").success());
    }
    started.elapsed().as_secs_f64()
}

/// Message-IDs of the messages the sink wrote, each file once.
fn received(dir: &std::path::Path) -> Vec<String> {
    let mut ids = Vec::new();
    for entry in std::fs::read_dir(dir).expect("sink dir").flatten() {
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        if let Some(id) = text
            .lines()
            .find_map(|l| l.strip_prefix("Message-ID: ").map(str::to_owned))
        {
            ids.push(id);
        }
    }
    ids
}

fn main() {
    let messages: usize = std::env::var("PINGGU_BENCH_MESSAGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let postgres = std::env::var("PINGGU_BENCH_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    println!("{messages} messages per run into a local aiosmtpd");
    for (label, admin_url) in [("SQLite", None), ("PostgreSQL", Some(postgres.as_str()))] {
        let server = start_server(admin_url);
        for workers in [1, 3] {
            let dir = tempfile::tempdir().expect("sink dir");
            let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/smtp_sink.py");
            let mut sink = Command::new("/usr/bin/python3")
                .arg(script)
                .arg(dir.path())
                .arg("0")
                .stdout(Stdio::piped())
                .spawn()
                .expect("aiosmtpd (python3-aiosmtpd)");
            let mut line = String::new();
            BufReader::new(sink.stdout.take().expect("stdout"))
                .read_line(&mut line)
                .expect("ready line");
            let port: u16 = line
                .trim()
                .strip_prefix("ready ")
                .and_then(|p| p.parse().ok())
                .expect("port");
            let run = format!("{label}-{workers}");
            seed(&server.url, &run, messages);
            let seconds = drain(&server.url, port, workers);
            let ids = received(dir.path());
            let distinct: HashSet<&String> = ids.iter().collect();
            assert_eq!(ids.len(), messages, "every message arrived");
            assert_eq!(distinct.len(), messages, "none twice");
            println!(
                "{label:<10} {workers} worker(s): {messages} messages in {seconds:.2} s = {:.0} messages/s",
                messages as f64 / seconds
            );
            let _ = sink.kill();
            let _ = sink.wait();
        }
    }
}
