//! The command line: migrations from empty, `admin create`, `serve` with JSON logs, and `backup`.

use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::helpers::*;

both_backends!(
    migrate_applies_everything_to_an_empty_database_once,
    admin_create_checks_its_input,
    serve_logs_json_lines_with_the_request_id,
    jwt_secret_is_generated_in_the_default_mode_and_required_otherwise,
    backup_copies_the_running_sqlite_database_and_points_postgres_to_pg_dump,
);

async fn migrate_applies_everything_to_an_empty_database_once(backend: Backend) {
    let db = TestDatabase::create(backend).await;
    let first = run_cli(&db.url, db.dir.path(), &["migrate"], None).await;
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let said = String::from_utf8_lossy(&first.stdout);
    assert!(
        said.contains("已应用") && said.contains("20261122000001"),
        "{said}"
    );
    let second = run_cli(
        &db.url,
        db.dir.path(),
        &["migrate", "--database-url", &db.url],
        None,
    )
    .await;
    assert!(second.status.success());
    assert!(String::from_utf8_lossy(&second.stdout).contains("无需迁移"));
}

async fn admin_create_checks_its_input(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let again = app
        .cli(
            &["admin", "create", "--username", ADMIN, "--password-stdin"],
            Some("Another-pass-1"),
        )
        .await;
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("已存在"));

    let weak = app
        .cli(
            &["admin", "create", "--username", "root2", "--password-stdin"],
            Some("weak"),
        )
        .await;
    assert!(!weak.status.success());
    assert!(String::from_utf8_lossy(&weak.stderr).contains("密码"));
    let empty = app
        .cli(
            &["admin", "create", "--username", "root2", "--password-stdin"],
            None,
        )
        .await;
    assert!(!empty.status.success());

    let ok = app
        .cli(
            &["admin", "create", "--username", "root2", "--password-stdin"],
            Some("Second-admin-22"),
        )
        .await;
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let login = app.login_ok("root2", "Second-admin-22").await;
    assert_eq!(login["user"]["role"], "admin");
    assert_eq!(login["must_change_password"], false);
}

async fn serve_logs_json_lines_with_the_request_id(backend: Backend) {
    let db = TestDatabase::create(backend).await;
    let mut child = tokio::process::Command::new(binary())
        .args(["serve", "--bind", "127.0.0.1:0"])
        .current_dir(db.dir.path())
        .env_clear()
        .env("DATABASE_URL", &db.url)
        .env(
            "PINGGU__AUTH__JWT_SECRET",
            "test-secret-test-secret-test-secret-0123",
        )
        .env("PINGGU__LOG__FORMAT", "json")
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("serve starts");
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let mut port = None;
    while port.is_none() {
        let line = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
            .await
            .expect("serve logs in time")
            .expect("read")
            .expect("serve still running");
        let entry: Value =
            serde_json::from_str(&line).unwrap_or_else(|_| panic!("a JSON line: {line}"));
        port = entry["port"].as_u64();
    }
    let url = format!(
        "http://127.0.0.1:{}/api/v1/auth/login",
        port.unwrap_or_default()
    );
    let response = reqwest::Client::new()
        .post(&url)
        .json(&json!({"username": "nobody", "password": "Wrong-pass-2025"}))
        .send()
        .await
        .expect("sent");
    let request_id = response.headers()["x-request-id"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let mut found = false;
    while !found {
        let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .expect("request logged in time")
            .expect("read")
            .expect("serve still running");
        let entry: Value =
            serde_json::from_str(&line).unwrap_or_else(|_| panic!("a JSON line: {line}"));
        found = entry["span"]["request_id"] == request_id.as_str();
    }
    child.kill().await.expect("stopped");
}

async fn jwt_secret_is_generated_in_the_default_mode_and_required_otherwise(backend: Backend) {
    use std::os::unix::fs::PermissionsExt;
    let db = TestDatabase::create(backend).await;
    // Any database but the default one needs auth.jwt_secret: refused with a one-line reason.
    let refused = tokio::process::Command::new(binary())
        .args(["serve", "--bind", "127.0.0.1:0"])
        .current_dir(db.dir.path())
        .env_clear()
        .env("DATABASE_URL", &db.url)
        .output()
        .await
        .expect("runs");
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    let last = said.lines().last().unwrap_or("");
    assert!(
        last.starts_with("pinggu: ") && last.contains("auth.jwt_secret"),
        "{said}"
    );

    // The default mode (no configuration at all, SQLite at data/pinggu.db) generates one.
    let home = tempfile::tempdir().expect("tempdir");
    let mut child = tokio::process::Command::new(binary())
        .args(["serve", "--bind", "127.0.0.1:0"])
        .current_dir(home.path())
        .env_clear()
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("serve starts");
    let secret = home.path().join("data/jwt_secret");
    let database = home.path().join("data/pinggu.db");
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while !(secret.exists() && database.exists()) && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    child.kill().await.expect("stopped");
    let mode = std::fs::metadata(&secret)
        .expect("data/jwt_secret exists")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    assert!(
        std::fs::read_to_string(&secret)
            .expect("readable")
            .trim()
            .len()
            >= 32
    );
}

async fn backup_copies_the_running_sqlite_database_and_points_postgres_to_pg_dump(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    // Writes go on while the copy is taken.
    let writer = {
        let (client, url, admin) = (
            app.client.clone(),
            app.url("/api/v1/organizations"),
            admin.clone(),
        );
        tokio::spawn(async move {
            for n in 0..60 {
                let body = json!({"name": format!("备份期间 {n}"), "kind": "operator"});
                let created = client
                    .post(&url)
                    .bearer_auth(&admin)
                    .json(&body)
                    .send()
                    .await;
                assert!(created.is_ok_and(|r| r.status() == 201));
            }
        })
    };
    app.create_org(&admin, "备份之前", "operator").await;
    let copy = app.db.dir.path().join("copy.db");
    let copy_arg = copy.display().to_string();
    let output = app.cli(&["backup", "--to", &copy_arg], None).await;
    writer.await.expect("writer");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    if backend == Backend::Postgres {
        assert!(!output.status.success());
        assert!(said.contains("pg_dump"), "{said}");
        assert!(!copy.exists());
        return;
    }
    assert!(output.status.success(), "{said}");
    assert!(said.contains("已备份"), "{said}");
    // The copy is a database of its own: whole audit chains, and what was there before it.
    let url = format!("sqlite://{copy_arg}");
    let verify = run_cli(&url, app.db.dir.path(), &["audit", "verify"], None).await;
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );
    let server = ServeChild::start_on(&url, &[]).await;
    let client = reqwest::Client::new();
    let token = login_at(&client, &server.base, ADMIN, ADMIN_PASSWORD).await;
    let listed: Value = client
        .get(format!("{}/api/v1/organizations?per_page=100", server.base))
        .bearer_auth(&token)
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    let names: Vec<&str> = listed["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|o| o["name"].as_str())
        .collect();
    assert!(names.contains(&"备份之前"), "{names:?}");
    server.stop().await;
    // A second backup to the same file is refused: nothing is overwritten.
    let again = app.cli(&["backup", "--to", &copy_arg], None).await;
    assert!(!again.status.success());
}
