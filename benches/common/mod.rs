//! What the benchmarks share: a release `pinggu serve` on a fresh database (PostgreSQL, or a
//! SQLite file), an HTTP client with the few calls the fixtures need, percentiles.
#![allow(dead_code)]

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};

use diesel::{Connection, PgConnection, RunQueryDsl};
use reqwest::StatusCode;
use reqwest::header::{COOKIE, SET_COOKIE};
use serde_json::{Value, json};

pub const PASSWORD: &str = "Bench-pass-2025";
pub const SECRET: &str = "bench-secret-bench-secret-bench-secret-00";

pub struct Server {
    child: Child,
    pub base: String,
    pub url: String,
    /// (admin URL, database) of a PostgreSQL database to drop afterwards.
    postgres: Option<(String, String)>,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some((admin_url, database)) = &self.postgres
            && let Ok(mut conn) = PgConnection::establish(admin_url)
        {
            let drop = format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)");
            let _ = diesel::sql_query(drop).execute(&mut conn);
        }
    }
}

fn database_url(admin_url: &str, database: &str) -> String {
    match admin_url.rsplit_once('/') {
        Some((base, _)) => format!("{base}/{database}"),
        None => admin_url.to_owned(),
    }
}

/// Starts the release binary on a copy of an existing SQLite database (a fixture a test left).
pub fn start_server_on_copy(database: &std::path::Path) -> Server {
    let dir = tempfile::tempdir().expect("temp dir");
    let copy = dir.path().join("bench.db");
    std::fs::copy(database, &copy).expect("fixture copied");
    let url = format!("sqlite://{}", copy.display());
    let child = serve(&url, dir.path());
    let port = child.1;
    Server {
        child: child.0,
        base: format!("http://127.0.0.1:{port}/api/v1"),
        url,
        postgres: None,
        _dir: dir,
    }
}

fn bench_env<'a>(url: &'a str, files: &'a str) -> [(&'static str, &'a str); 5] {
    [
        ("DATABASE_URL", url),
        ("PINGGU__AUTH__JWT_SECRET", SECRET),
        ("PINGGU__LOG__LEVEL", "error"),
        ("PINGGU__STORAGE__DIR", files),
        // Mail would only slow the server down: the mail benchmark runs its own workers.
        ("PINGGU__NOTIFY__WORKER", "false"),
    ]
}

/// `pinggu serve` on `url`, its files in `dir`, which the server keeps.
fn serving(url: String, postgres: Option<(String, String)>, dir: tempfile::TempDir) -> Server {
    let (child, port) = serve(&url, dir.path());
    Server {
        child,
        base: format!("http://127.0.0.1:{port}/api/v1"),
        url,
        postgres,
        _dir: dir,
    }
}

/// `pinggu serve` on a free port: the child and the port.
fn serve(url: &str, dir: &std::path::Path) -> (Child, u16) {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let files = dir.join("files");
    let child = Command::new(env!("CARGO_BIN_EXE_pinggu"))
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .envs(bench_env(url, files.to_str().unwrap_or("files")))
        .current_dir(dir)
        .spawn()
        .expect("pinggu serve");
    (child, port)
}

/// A fresh PostgreSQL database made through `postgres_admin_url`, or a SQLite file in `dir` when
/// it is None: its URL, and what to drop afterwards.
fn fresh_database(
    postgres_admin_url: Option<&str>,
    dir: &std::path::Path,
) -> (String, Option<(String, String)>) {
    match postgres_admin_url {
        Some(admin_url) => {
            pinggu::db::prepare_tls();
            let database = format!("pinggu_bench_{}_{}", std::process::id(), unique());
            let mut conn = PgConnection::establish(admin_url).expect("PostgreSQL reachable");
            diesel::sql_query(format!("CREATE DATABASE {database}"))
                .execute(&mut conn)
                .expect("create database");
            (
                database_url(admin_url, &database),
                Some((admin_url.to_owned(), database)),
            )
        }
        None => (format!("sqlite://{}", dir.join("bench.db").display()), None),
    }
}

/// A number no other call in this process has had.
fn unique() -> usize {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// The release binary serving a fresh database that `pinggu generate` filled with `stations`
/// stations and `years` years of evaluations (every user's password is PASSWORD), with an
/// administrator "admin".
pub fn start_generated_server(
    postgres_admin_url: Option<&str>,
    stations: usize,
    years: usize,
) -> Server {
    let dir = tempfile::tempdir().expect("temp dir");
    let (url, postgres) = fresh_database(postgres_admin_url, dir.path());
    let files = dir.path().join("files");
    let generated = Command::new(env!("CARGO_BIN_EXE_pinggu"))
        .args([
            "generate",
            "--stations",
            &stations.to_string(),
            "--years",
            &years.to_string(),
            "--password",
            PASSWORD,
        ])
        .envs(bench_env(&url, files.to_str().unwrap_or("files")))
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .status()
        .expect("pinggu generate");
    assert!(generated.success(), "pinggu generate failed");
    create_admin(&url, &files, dir.path());
    serving(url, postgres, dir)
}

/// `pinggu admin create` of "admin" with PASSWORD.
fn create_admin(url: &str, files: &std::path::Path, dir: &std::path::Path) {
    let mut create = Command::new(env!("CARGO_BIN_EXE_pinggu"))
        .args(["admin", "create", "--username", "admin", "--password-stdin"])
        .envs(bench_env(url, files.to_str().unwrap_or("files")))
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("pinggu admin create");
    use std::io::Write;
    if let Some(stdin) = create.stdin.as_mut() {
        writeln!(stdin, "{PASSWORD}").expect("password to stdin");
    }
    assert!(create.wait().expect("admin create").success());
}

/// Starts the release binary on a fresh PostgreSQL database made through `postgres_admin_url`,
/// or on a SQLite file when it is None, with an administrator "admin".
pub fn start_server(postgres_admin_url: Option<&str>) -> Server {
    let dir = tempfile::tempdir().expect("temp dir");
    let (url, postgres) = fresh_database(postgres_admin_url, dir.path());
    create_admin(&url, &dir.path().join("files"), dir.path());
    serving(url, postgres, dir)
}

pub struct Api {
    pub client: reqwest::Client,
    pub base: String,
}

impl Api {
    pub fn new(base: &str, connections: usize) -> Api {
        Api {
            client: reqwest::Client::builder()
                .pool_max_idle_per_host(connections)
                .build()
                .expect("client"),
            base: base.to_owned(),
        }
    }

    /// Waits for /readyz.
    pub async fn ready(&self) {
        let ready = format!("{}/readyz", self.base.trim_end_matches("/api/v1"));
        for _ in 0..200 {
            let answer = self.client.get(&ready).send().await;
            if answer.is_ok_and(|r| r.status().is_success()) {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("the server did not become ready");
    }

    pub async fn post(&self, path: &str, token: &str, body: &Value) -> (StatusCode, Value) {
        let response = self
            .client
            .post(format!("{}{path}", self.base))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("request");
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn put(&self, path: &str, token: &str, body: &Value) -> (StatusCode, Value) {
        let response = self
            .client
            .put(format!("{}{path}", self.base))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("request");
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn created(&self, path: &str, token: &str, body: &Value) -> i64 {
        let (status, body) = self.post(path, token, body).await;
        assert!(status.is_success(), "{path}: {status} {body}");
        body["id"].as_i64().expect("id")
    }

    pub async fn login(&self, username: &str) -> String {
        let response = self
            .client
            .post(format!("{}/auth/login", self.base))
            .json(&json!({"username": username, "password": PASSWORD}))
            .send()
            .await
            .expect("login");
        let body: Value = response.json().await.expect("login body");
        body["access_token"].as_str().expect("token").to_owned()
    }
}

/// A size read from the environment (`.ci/run` sets smoke sizes), or its default.
pub fn knob(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
        .max(1)
}

/// What the figures come from: a smoke run's debug build is no measurement.
pub fn build() -> &'static str {
    if cfg!(debug_assertions) {
        "debug build (smoke run: figures are not measurements)"
    } else {
        "release build"
    }
}

pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// The organizations of one district — [bureau, street office, operator, agency, center] — with
/// managers "bureau", "station" and "agency" of the bureau, operator and agency.
pub async fn district(api: &Api) -> [i64; 5] {
    let admin = api.login("admin").await;
    let mut orgs = [0; 5];
    for (slot, (name, kind)) in [
        ("荔湾区民政局", "civil_affairs_bureau"),
        ("西村街道办事处", "street_office"),
        ("逢源人家服务中心", "operator"),
        ("广州市社会工作协会", "evaluation_agency"),
        ("广州市社会工作督导中心", "supervision_center"),
    ]
    .into_iter()
    .enumerate()
    {
        let body = json!({"name": name, "kind": kind, "district": "荔湾区"});
        orgs[slot] = api.created("/organizations", &admin, &body).await;
    }
    for (username, org) in [
        ("bureau", orgs[0]),
        ("station", orgs[2]),
        ("agency", orgs[3]),
    ] {
        let body = json!({"username": username, "display_name": username, "password": PASSWORD,
            "email": format!("{username}@example.cn"), "organization_id": org, "role": "manager",
            "must_change_password": false});
        api.created("/users", &admin, &body).await;
    }
    orgs
}

pub fn cookie(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .and_then(|v| v.split(';').next())
        .unwrap_or_default()
        .to_owned()
}

/// Logs in through the login form as a browser would; answers the session cookie.
pub async fn log_in(
    client: &reqwest::Client,
    site: &str,
    username: &str,
    password: &str,
) -> String {
    let form = client
        .get(format!("{site}/login"))
        .send()
        .await
        .expect("login page");
    let nonce = cookie(&form, "pinggu_login_csrf");
    let html = form.text().await.expect("html");
    let csrf = html
        .split(r#"name="csrf" value=""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default()
        .to_owned();
    let response = client
        .post(format!("{site}/login"))
        .header(COOKIE, nonce)
        .form(&[
            ("username", username),
            ("password", password),
            ("csrf", csrf.as_str()),
            ("next", "/"),
        ])
        .send()
        .await
        .expect("login");
    let session = cookie(&response, "pinggu_session");
    assert!(!session.is_empty(), "logged in as {username}");
    session
}
