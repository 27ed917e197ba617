//! Crashes and outages: a server killed with SIGKILL under load loses no write it acknowledged,
//! and its audit chains stay whole; a PostgreSQL server stopped under a running pinggu gets
//! requests a 503 problem at once (not after a long wait), /readyz says so, and pinggu recovers
//! by itself when the database is back.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::sync::Mutex;

use crate::helpers::*;

both_backends!(acknowledged_writes_survive_kill_9);

async fn acknowledged_writes_survive_kill_9(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let server = ServeChild::start(&app, &[]).await;
    let client = reqwest::Client::new();
    let token = login_at(&client, &server.base, ADMIN, ADMIN_PASSWORD).await;
    let acknowledged = Arc::new(Mutex::new(Vec::<i64>::new()));
    let count = Arc::new(AtomicUsize::new(0));
    // Four clients create organizations as fast as the server acknowledges them.
    let writers: Vec<_> = (0..4)
        .map(|client_no| {
            let (client, base, token) = (client.clone(), server.base.clone(), token.clone());
            let (acknowledged, count) = (acknowledged.clone(), count.clone());
            tokio::spawn(async move {
                for n in 0.. {
                    let body = json!({"name": format!("机构 {client_no}-{n}"), "kind": "operator"});
                    let Ok(response) = client
                        .post(format!("{base}/api/v1/organizations"))
                        .bearer_auth(&token)
                        .json(&body)
                        .send()
                        .await
                    else {
                        return;
                    };
                    if response.status() != StatusCode::CREATED {
                        return;
                    }
                    let Ok(created) = response.json::<Value>().await else {
                        return;
                    };
                    acknowledged.lock().await.push(id_of(&created));
                    count.fetch_add(1, Ordering::SeqCst);
                }
            })
        })
        .collect();
    while count.load(Ordering::SeqCst) < 60 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    server.stop().await;
    for writer in writers {
        let _ = writer.await;
    }
    let acknowledged = acknowledged.lock().await.clone();
    eprintln!("{} writes acknowledged before kill -9", acknowledged.len());
    // Restarted on the same database: every acknowledged write is there.
    let restarted = ServeChild::start(&app, &[]).await;
    let token = login_at(&client, &restarted.base, ADMIN, ADMIN_PASSWORD).await;
    for id in &acknowledged {
        let found = client
            .get(format!("{}/api/v1/organizations/{id}", restarted.base))
            .bearer_auth(&token)
            .send()
            .await
            .expect("answer");
        assert_eq!(
            found.status(),
            StatusCode::OK,
            "organization {id} was acknowledged"
        );
    }
    restarted.stop().await;
    let verify = app.cli(&["audit", "verify"], None).await;
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );
}

/// A PostgreSQL server of the test's own (initdb in a temporary directory, on a free port), so
/// that stopping it touches no other test. As root it runs as `postgres`, which it requires.
struct PrivatePostgres {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
}

impl PrivatePostgres {
    fn command(&self, program: &str) -> std::process::Command {
        let path = self.bin.join(program);
        let mut command = if is_root() {
            let mut c = std::process::Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            std::process::Command::new(path)
        };
        command.stdout(Stdio::null()).stderr(Stdio::null());
        command
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn init() -> PrivatePostgres {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .expect("PostgreSQL's server binaries (apt-get install postgresql)")
            .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
            .filter(|p| p.join("initdb").exists())
            .max()
            .expect("initdb");
        let dir = tempfile::tempdir().expect("dir");
        if is_root() {
            let status = std::process::Command::new("chown")
                .args(["postgres:postgres"])
                .arg(dir.path())
                .status()
                .expect("chown");
            assert!(status.success());
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let server = PrivatePostgres { dir, bin, port };
        let status = server
            .command("initdb")
            .arg("-D")
            .arg(server.data())
            .args(["-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"])
            .status()
            .expect("initdb");
        assert!(status.success(), "initdb");
        server.start();
        server
    }

    fn pg_ctl(&self, action: &[&str]) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.path().display()
        );
        let status = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .arg("-l")
            .arg(self.dir.path().join("log"))
            .args(["-w", "-o", &options])
            .args(action)
            .status()
            .expect("pg_ctl");
        assert!(status.success(), "pg_ctl {action:?}");
    }

    fn start(&self) {
        self.pg_ctl(&["start"]);
    }

    fn stop(&self) {
        self.pg_ctl(&["stop", "-m", "fast"]);
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["stop", "-m", "immediate"])
            .status();
    }
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// GET `path` with `token`: the status and how long the answer took.
async fn timed(client: &reqwest::Client, url: &str, token: Option<&str>) -> (StatusCode, Duration) {
    let started = Instant::now();
    let mut request = client.get(url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("the server answers");
    (response.status(), started.elapsed())
}

// PostgreSQL's own server process is what stops here: this test has no SQLite twin.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_outage_answers_503_at_once_and_pinggu_recovers() {
    let postgres = PrivatePostgres::init();
    let dir = tempfile::tempdir().expect("dir");
    let created = run_cli(
        &postgres.url(),
        dir.path(),
        &["admin", "create", "--username", ADMIN, "--password-stdin"],
        Some(ADMIN_PASSWORD),
    )
    .await;
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let server = ServeChild::start_on(&postgres.url(), &[]).await;
    // A client that gives up long before the old 10 s wait for a connection.
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(6))
        .build()
        .expect("client");
    let token = login_at(&client, &server.base, ADMIN, ADMIN_PASSWORD).await;
    let organizations = format!("{}/api/v1/organizations", server.base);
    let ready = format!("{}/readyz", server.base);
    assert_eq!(
        timed(&client, &organizations, Some(&token)).await.0,
        StatusCode::OK
    );

    postgres.stop();
    let (status, took) = timed(&client, &organizations, Some(&token)).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    let (ready_status, ready_took) = timed(&client, &ready, None).await;
    assert_eq!(ready_status, StatusCode::SERVICE_UNAVAILABLE);
    eprintln!("during the outage: a request answered 503 in {took:?}, /readyz in {ready_took:?}");
    let problem: Value = client
        .get(&organizations)
        .bearer_auth(&token)
        .send()
        .await
        .expect("answer")
        .json()
        .await
        .expect("problem");
    assert_eq!(problem["status"], 503, "{problem}");

    postgres.start();
    let back = Instant::now();
    let mut recovered = false;
    while back.elapsed() < Duration::from_secs(30) {
        if timed(&client, &ready, None).await.0 == StatusCode::OK {
            recovered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(recovered, "pinggu is ready again once PostgreSQL is back");
    eprintln!("ready again {:?} after PostgreSQL started", back.elapsed());
    assert_eq!(
        timed(&client, &organizations, Some(&token)).await.0,
        StatusCode::OK
    );
    server.stop().await;
    drop(postgres);
    drop(dir);
}
