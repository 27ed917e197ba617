//! The test harness: a real pinggu server on a random port over a fresh database — a temporary
//! SQLite file, or a PostgreSQL database created for the test and dropped after it
//! (`PINGGU_TEST_DATABASE_URL`, by default the local server at 127.0.0.1:5432).

use std::path::{Path, PathBuf};
use std::process::Stdio;

use diesel::{Connection, PgConnection, RunQueryDsl};
use pinggu::settings::Settings;
use pinggu::startup::Application;
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;

pub const ADMIN: &str = "admin";
pub const ADMIN_PASSWORD: &str = "Admin-pass-2025";
pub const PASSWORD: &str = "Secret-pass-2025";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs each named `async fn name(backend: Backend)` as two tests, `name::sqlite` and
/// `name::postgres`.
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name($crate::helpers::Backend::Sqlite).await
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$name($crate::helpers::Backend::Postgres).await
                }
            }
        )*
    };
}
pub(crate) use both_backends;

/// A fresh database that disappears with the test.
pub struct TestDatabase {
    pub url: String,
    pub dir: tempfile::TempDir,
    postgres_name: Option<String>,
}

fn postgres_admin_url() -> String {
    std::env::var("PINGGU_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

impl TestDatabase {
    pub async fn create(backend: Backend) -> TestDatabase {
        let dir = tempfile::tempdir().expect("temporary directory");
        match backend {
            Backend::Sqlite => TestDatabase {
                url: format!("sqlite://{}", dir.path().join("pinggu.db").display()),
                dir,
                postgres_name: None,
            },
            Backend::Postgres => {
                let name = format!("pinggu_test_{}", uuid::Uuid::new_v4().simple());
                let admin_url = postgres_admin_url();
                let create = format!("CREATE DATABASE {name}");
                pinggu::db::prepare_tls();
                tokio::task::spawn_blocking(move || {
                    let mut conn = PgConnection::establish(&admin_url)
                        .expect("PostgreSQL reachable at PINGGU_TEST_DATABASE_URL");
                    diesel::sql_query(create)
                        .execute(&mut conn)
                        .expect("create database");
                })
                .await
                .expect("create database thread");
                let url = with_database(&postgres_admin_url(), &name);
                TestDatabase {
                    url,
                    dir,
                    postgres_name: Some(name),
                }
            }
        }
    }
}

/// The same server URL naming another database.
fn with_database(url: &str, name: &str) -> String {
    let host_start = url.find("://").map_or(0, |i| i + 3);
    match url[host_start..].find('/') {
        Some(slash) => format!("{}/{name}", &url[..host_start + slash]),
        None => format!("{url}/{name}"),
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some(name) = self.postgres_name.take() {
            let admin_url = postgres_admin_url();
            // Dropped from a plain thread: the test's runtime may be shutting down.
            let _ = std::thread::spawn(move || {
                if let Ok(mut conn) = PgConnection::establish(&admin_url) {
                    let _ =
                        diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                            .execute(&mut conn);
                }
            })
            .join();
        }
    }
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub db: TestDatabase,
    handle: actix_web::dev::ServerHandle,
    tweak: fn(&mut Settings),
}

pub fn test_settings(url: &str, dir: &Path) -> Settings {
    let mut settings = Settings::default();
    settings.server.bind = "127.0.0.1:0".into();
    settings.database.url = url.to_owned().into();
    settings.database.pool_size = 4;
    settings.auth.jwt_secret = Some("test-secret-test-secret-test-secret-0123".to_owned().into());
    settings.mail.file_dir = dir.join("mail");
    settings.storage.dir = dir.join("files");
    // Tests drain the outbox themselves (`pinggu worker --once`), or turn this on.
    settings.notify.worker = false;
    settings
}

impl TestApp {
    /// A server with the default settings and a system administrator (`ADMIN`).
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with(backend, |_| {}).await
    }

    pub async fn spawn_with(backend: Backend, tweak: fn(&mut Settings)) -> TestApp {
        let db = TestDatabase::create(backend).await;
        let (address, handle) = start(&db, tweak).await;
        let app = TestApp {
            address,
            client: reqwest::Client::new(),
            db,
            handle,
            tweak,
        };
        let output = app
            .cli(
                &["admin", "create", "--username", ADMIN, "--password-stdin"],
                Some(ADMIN_PASSWORD),
            )
            .await;
        assert!(
            output.status.success(),
            "admin create failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        app
    }

    /// Stops the server and starts a new one on the same database.
    pub async fn restart(&mut self) {
        self.handle.stop(true).await;
        let (address, handle) = start(&self.db, self.tweak).await;
        self.address = address;
        self.handle = handle;
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Response {
        let mut request = self.client.request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        request.send().await.expect("request sent")
    }

    /// POSTs raw bytes with a content type (a workbook, a file).
    pub async fn upload(
        &self,
        path: &str,
        token: &str,
        content_type: &str,
        bytes: Vec<u8>,
    ) -> Response {
        self.client
            .post(self.url(path))
            .bearer_auth(token)
            .header("content-type", content_type)
            .body(bytes)
            .send()
            .await
            .expect("request sent")
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Response {
        self.request(Method::GET, path, token, None).await
    }

    /// GET that must answer 200; returns the JSON body.
    pub async fn get_json(&self, path: &str, token: Option<&str>) -> Value {
        let response = self.get(path, token).await;
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        response.json().await.expect("json body")
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Response {
        self.request(Method::POST, path, token, Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: Option<&str>, body: &Value) -> Response {
        self.request(Method::PATCH, path, token, Some(body)).await
    }

    pub async fn login(&self, username: &str, password: &str) -> Response {
        self.post(
            "/api/v1/auth/login",
            None,
            &json!({"username": username, "password": password}),
        )
        .await
    }

    /// Logs in and returns the whole token answer.
    pub async fn login_ok(&self, username: &str, password: &str) -> Value {
        let response = self.login(username, password).await;
        assert_eq!(response.status(), StatusCode::OK, "login of {username}");
        response.json().await.expect("token json")
    }

    pub async fn admin_token(&self) -> String {
        token_of(&self.login_ok(ADMIN, ADMIN_PASSWORD).await)
    }

    pub async fn create_org(&self, token: &str, name: &str, kind: &str) -> i64 {
        self.create_org_in(token, name, kind, None).await
    }

    /// An organization of 荔湾区, in `city` (所在市) when given.
    pub async fn create_org_in(
        &self,
        token: &str,
        name: &str,
        kind: &str,
        city: Option<&str>,
    ) -> i64 {
        let response = self
            .post(
                "/api/v1/organizations",
                Some(token),
                &json!({"name": name, "kind": kind, "district": "荔湾区", "city": city}),
            )
            .await;
        assert_eq!(
            response.status(),
            StatusCode::CREATED,
            "create organization {name}"
        );
        id_of(&response.json().await.expect("json"))
    }

    /// Creates a user who does not have to change the password, and returns their id.
    pub async fn create_user(&self, token: &str, username: &str, org_id: i64, role: &str) -> i64 {
        let response = self
            .post(
                "/api/v1/users",
                Some(token),
                &json!({
                    "username": username, "display_name": format!("用户{username}"),
                    "email": format!("{username}@example.cn"), "password": PASSWORD,
                    "organization_id": org_id, "role": role, "must_change_password": false,
                }),
            )
            .await;
        let status = response.status();
        let body: Value = response.json().await.expect("json");
        assert_eq!(
            status,
            StatusCode::CREATED,
            "create user {username}: {body}"
        );
        id_of(&body)
    }

    /// Changes the database behind the server's back, as another tool or instance might.
    pub async fn execute_sql(&self, statement: &str) {
        let (url, statement) = (self.db.url.clone(), statement.to_owned());
        tokio::task::spawn_blocking(move || {
            let pool = pinggu::db::connect(&url, 1).expect("connects");
            let mut conn = pool.get().expect("connection");
            diesel::sql_query(statement)
                .execute(&mut *conn)
                .expect("statement runs");
        })
        .await
        .expect("sql thread");
    }

    /// A number read straight from the database (for what the API does not show yet).
    pub async fn count(&self, query: &str) -> i64 {
        #[derive(diesel::QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let (url, query) = (self.db.url.clone(), query.to_owned());
        tokio::task::spawn_blocking(move || {
            let pool = pinggu::db::connect(&url, 1).expect("connects");
            let mut conn = pool.get().expect("connection");
            diesel::sql_query(query)
                .get_result::<Count>(&mut *conn)
                .expect("query runs")
                .n
        })
        .await
        .expect("sql thread")
    }

    /// Runs SQL that changes data (seeding what no API makes in bulk); answers the rows touched.
    pub async fn execute(&self, statement: &str) -> usize {
        let (url, statement) = (self.db.url.clone(), statement.to_owned());
        tokio::task::spawn_blocking(move || {
            let pool = pinggu::db::connect(&url, 1).expect("connects");
            let mut conn = pool.get().expect("connection");
            diesel::RunQueryDsl::execute(diesel::sql_query(statement), &mut *conn)
                .expect("statement runs")
        })
        .await
        .expect("sql thread")
    }

    /// Runs the `pinggu` binary against this test's database, in the test's directory, with
    /// nothing of the caller's environment.
    pub async fn cli(&self, args: &[&str], stdin: Option<&str>) -> std::process::Output {
        run_cli(&self.db.url, self.db.dir.path(), args, stdin).await
    }
}

async fn start(
    db: &TestDatabase,
    tweak: fn(&mut Settings),
) -> (String, actix_web::dev::ServerHandle) {
    let mut settings = test_settings(&db.url, db.dir.path());
    tweak(&mut settings);
    let app = Application::build(settings)
        .await
        .expect("application builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let handle = app.handle();
    tokio::spawn(app.run_until_stopped());
    (address, handle)
}

pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_pinggu"))
}

pub async fn run_cli(
    database_url: &str,
    dir: &Path,
    args: &[&str],
    stdin: Option<&str>,
) -> std::process::Output {
    run_cli_with(database_url, dir, args, stdin, &[]).await
}

/// As `run_cli`, with configuration in `PINGGU__…` environment variables.
pub async fn run_cli_with(
    database_url: &str,
    dir: &Path,
    args: &[&str],
    stdin: Option<&str>,
    env: &[(String, String)],
) -> std::process::Output {
    let mut child = tokio::process::Command::new(binary())
        .args(args)
        .current_dir(dir)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env("DATABASE_URL", database_url)
        .env(
            "PINGGU__AUTH__JWT_SECRET",
            "test-secret-test-secret-test-secret-0123",
        )
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("pinggu starts");
    let mut input = child.stdin.take().expect("stdin");
    if let Some(text) = stdin {
        input
            .write_all(format!("{text}\n").as_bytes())
            .await
            .expect("write stdin");
    }
    drop(input);
    child.wait_with_output().await.expect("pinggu ends")
}

/// Logs in at the server at `base` (a `ServeChild`); answers the access token.
pub async fn login_at(client: &reqwest::Client, base: &str, user: &str, password: &str) -> String {
    let login: Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": user, "password": password}))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("json");
    token_of(&login)
}

pub fn token_of(login: &Value) -> String {
    login["access_token"]
        .as_str()
        .expect("access_token")
        .to_owned()
}

pub fn id_of(value: &Value) -> i64 {
    value["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("no id in {value}"))
}

/// Asserts an answer is problem+json with this status and type; returns the body.
pub async fn assert_problem(response: Response, status: StatusCode, problem_type: &str) -> Value {
    assert_eq!(response.status(), status, "status of {}", response.url());
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    assert_eq!(content_type, "application/problem+json");
    let body: Value = response.json().await.expect("problem json");
    assert_eq!(body["type"], problem_type, "{body}");
    assert_eq!(body["status"], status.as_u16(), "{body}");
    assert!(
        body["title"]
            .as_str()
            .is_some_and(|t| !t.is_empty() && !t.is_ascii()),
        "Chinese title: {body}"
    );
    assert!(body["detail"].is_string(), "{body}");
    body
}

/// Asserts a 422 `validation-failed` problem; returns it.
pub async fn assert_invalid(response: Response) -> Value {
    assert_problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await
}

/// The fields named in a problem's `errors`.
pub fn error_fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| e["field"].as_str().unwrap_or("").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// A separate `pinggu serve` process on a test's database, so that its memory is its own
/// (measured from /proc); ended with the test.
pub struct ServeChild {
    child: tokio::process::Child,
    pub base: String,
    _files: tempfile::TempDir,
}

impl ServeChild {
    /// Starts the binary on a free port with `env` (`PINGGU__…`) and waits until it is ready.
    pub async fn start(app: &TestApp, env: &[(&str, &str)]) -> ServeChild {
        Self::start_on(&app.db.url, env).await
    }

    /// As `start`, on the database at `url`.
    pub async fn start_on(url: &str, env: &[(&str, &str)]) -> ServeChild {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let files = tempfile::tempdir().expect("dir");
        let child = tokio::process::Command::new(binary())
            .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
            .current_dir(files.path())
            .env_clear()
            .env("DATABASE_URL", url)
            .env(
                "PINGGU__AUTH__JWT_SECRET",
                "test-secret-test-secret-test-secret-0123",
            )
            .env("PINGGU__STORAGE__DIR", files.path().join("files"))
            .env("PINGGU__LOG__LEVEL", "error")
            .env("PINGGU__NOTIFY__WORKER", "false")
            .envs(env.iter().copied())
            .kill_on_drop(true)
            .spawn()
            .expect("pinggu serve");
        let base = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::new();
        for _ in 0..200 {
            if client
                .get(format!("{base}/readyz"))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        ServeChild {
            child,
            base,
            _files: files,
        }
    }

    /// kB of a /proc/<pid>/status line: VmHWM (the peak) or VmRSS.
    pub fn status_kb(&self, key: &str) -> u64 {
        let pid = self.child.id().expect("running");
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
        status
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{key}:")))
            .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
            .expect("status value")
    }

    /// Ends the process at once (SIGKILL), as a crash would.
    pub async fn stop(mut self) {
        self.child.kill().await.expect("stop the server");
    }
}
