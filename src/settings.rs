//! Configuration: compiled-in defaults, then config/default.toml and config/local.toml (working
//! directory), then the file named by `--config`, then `PINGGU__SECTION__KEY` variables and
//! `DATABASE_URL` (DESIGN.md §5).

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub auth: AuthSettings,
    pub mail: MailSettings,
    pub notify: NotifySettings,
    pub storage: StorageSettings,
    pub log: LogSettings,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerSettings {
    pub bind: String,
    pub public_url: String,
    pub timezone: String,
    /// Take the client address from `X-Forwarded-For` (only behind a trusted reverse proxy).
    pub trust_forwarded_for: bool,
    /// When set, `GET /metrics` asks for it as a bearer token.
    pub metrics_token: Option<String>,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1:8080".into(),
            public_url: "http://127.0.0.1:8080".into(),
            timezone: "Asia/Shanghai".into(),
            trust_forwarded_for: false,
            metrics_token: None,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseSettings {
    pub url: SecretString,
    pub pool_size: u32,
    /// How long a request waits for a connection before it is answered 503, in milliseconds.
    pub wait_ms: u64,
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self {
            url: SecretString::from(DEFAULT_DATABASE_URL),
            pool_size: 16,
            wait_ms: 1500,
        }
    }
}

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/pinggu.db";

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthSettings {
    pub jwt_secret: Option<SecretString>,
    pub access_ttl_seconds: u64,
    pub refresh_ttl_days: u64,
    pub throttle: ThrottleSettings,
    pub password_min_length: usize,
    /// The pages' session ends after this many minutes without a request.
    pub web_idle_minutes: u64,
    /// A login (a page session or a refresh-token family) ends this many hours after it began,
    /// however active it is.
    pub session_max_hours: u64,
}

impl AuthSettings {
    /// When a login that began at `started` ends for good.
    pub fn session_ends_at(&self, started: chrono::NaiveDateTime) -> chrono::NaiveDateTime {
        let hours = i64::try_from(self.session_max_hours.max(1)).unwrap_or(12);
        started + chrono::TimeDelta::hours(hours)
    }
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            jwt_secret: None,
            access_ttl_seconds: 900,
            refresh_ttl_days: 14,
            throttle: ThrottleSettings::default(),
            password_min_length: 10,
            web_idle_minutes: 30,
            session_max_hours: 12,
        }
    }
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct ThrottleSettings {
    pub per_user: u32,
    pub per_ip: u32,
    pub window_seconds: u64,
}

impl Default for ThrottleSettings {
    fn default() -> Self {
        Self {
            per_user: 5,
            per_ip: 20,
            window_seconds: 900,
        }
    }
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum MailTransport {
    #[default]
    File,
    Smtp,
    Log,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MailSettings {
    pub transport: MailTransport,
    pub from: String,
    pub file_dir: PathBuf,
    pub smtp: SmtpSettings,
}

impl Default for MailSettings {
    fn default() -> Self {
        Self {
            transport: MailTransport::File,
            from: "评估系统 <noreply@localhost>".into(),
            file_dir: PathBuf::from("data/mail"),
            smtp: SmtpSettings::default(),
        }
    }
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    None,
    #[default]
    Starttls,
    Tls,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    pub username: Option<String>,
    pub password: Option<SecretString>,
}

impl Default for SmtpSettings {
    fn default() -> Self {
        Self {
            host: "localhost".into(),
            port: 587,
            tls: SmtpTls::Starttls,
            username: None,
            password: None,
        }
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct NotifySettings {
    pub worker: bool,
    pub poll_interval_seconds: u64,
    pub retry_base_seconds: u64,
    pub max_attempts: u32,
    pub reminder_days: Vec<u32>,
}

impl Default for NotifySettings {
    fn default() -> Self {
        Self {
            worker: true,
            poll_interval_seconds: 5,
            retry_base_seconds: 30,
            max_attempts: 8,
            reminder_days: vec![3, 1],
        }
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct StorageSettings {
    pub dir: PathBuf,
    pub max_upload_mb: u64,
    /// Where evidence files are kept: `auto` (the database on PostgreSQL, `dir` on SQLite),
    /// `database` or `directory`.
    pub files: FilesIn,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FilesIn {
    Auto,
    Database,
    Directory,
}

impl Default for StorageSettings {
    fn default() -> Self {
        Self {
            dir: PathBuf::from("data/files"),
            max_upload_mb: 50,
            files: FilesIn::Auto,
        }
    }
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct LogSettings {
    pub format: LogFormat,
    /// A tracing filter; `RUST_LOG` wins when set.
    pub level: String,
}

impl Default for LogSettings {
    fn default() -> Self {
        Self {
            format: LogFormat::Text,
            level: "info".into(),
        }
    }
}

/// Which database engine a URL selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Where the layered configuration comes from; tests substitute the directory and environment.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    /// Directory holding config/default.toml and config/local.toml (the working directory).
    pub base_dir: PathBuf,
    /// The file named by `--config`.
    pub extra_file: Option<PathBuf>,
    /// Environment variables; `None` reads the process environment.
    pub env: Option<Vec<(String, String)>>,
}

impl Settings {
    /// server.timezone (checked when loaded; UTC if it were ever unreadable).
    pub fn timezone(&self) -> chrono_tz::Tz {
        self.server.timezone.parse().unwrap_or(chrono_tz::UTC)
    }

    /// The day of a stored (UTC) time where deadlines end.
    pub fn local_date(&self, at: chrono::NaiveDateTime) -> chrono::NaiveDate {
        at.and_utc().with_timezone(&self.timezone()).date_naive()
    }

    /// A stored instant as the users' clocks show it (pages, e-mails).
    pub fn local_time(&self, at: chrono::DateTime<chrono::Utc>) -> chrono::DateTime<chrono_tz::Tz> {
        at.with_timezone(&self.timezone())
    }

    /// Today where deadlines end.
    pub fn today(&self) -> chrono::NaiveDate {
        chrono::Utc::now()
            .with_timezone(&self.timezone())
            .date_naive()
    }

    pub fn load(sources: &Sources) -> anyhow::Result<Settings> {
        let mut builder = config::Config::builder();
        for name in ["default.toml", "local.toml"] {
            let path = sources.base_dir.join("config").join(name);
            builder = builder.add_source(config::File::from(path).required(false));
        }
        if let Some(extra) = &sources.extra_file {
            if !extra.is_file() {
                bail!("配置文件不存在: {}", extra.display());
            }
            builder = builder.add_source(config::File::from(extra.as_path()));
        }
        let env: Vec<(String, String)> = match &sources.env {
            Some(vars) => vars.clone(),
            None => std::env::vars().collect(),
        };
        // Values stay strings (a password "0123" must not become 123); serde converts the
        // numeric keys. The one list is split here.
        const REMINDER_DAYS: &str = "PINGGU__NOTIFY__REMINDER_DAYS";
        let prefixed = env
            .iter()
            .filter(|(k, _)| k.starts_with("PINGGU__") && k != REMINDER_DAYS)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        builder = builder.add_source(
            config::Environment::with_prefix("PINGGU")
                .prefix_separator("__")
                .separator("__")
                .source(Some(prefixed)),
        );
        if let Some((_, days)) = env.iter().find(|(k, _)| k == REMINDER_DAYS) {
            let days = days
                .split(',')
                .map(|d| d.trim().parse::<i64>())
                .collect::<Result<Vec<_>, _>>()
                .with_context(|| format!("{REMINDER_DAYS} must be comma-separated whole days"))?;
            builder = builder.set_override("notify.reminder_days", days)?;
        }
        if let Some((_, url)) = env.iter().find(|(k, _)| k == "DATABASE_URL")
            && !url.is_empty()
        {
            builder = builder.set_override("database.url", url.as_str())?;
        }
        let settings: Settings = builder
            .build()
            .context("读取配置失败")?
            .try_deserialize()
            .context("配置有误")?;
        settings.check()?;
        Ok(settings)
    }

    fn check(&self) -> anyhow::Result<()> {
        self.backend()?;
        if self.server.timezone.parse::<chrono_tz::Tz>().is_err() {
            bail!("server.timezone must be an IANA time zone such as Asia/Shanghai");
        }
        if self.database.pool_size == 0 {
            bail!("database.pool_size must be at least 1");
        }
        if !(100..=60_000).contains(&self.database.wait_ms) {
            bail!("database.wait_ms must be between 100 and 60000");
        }
        if self.auth.password_min_length < 8 {
            bail!("auth.password_min_length must be at least 8");
        }
        if !(1..=86_400).contains(&self.auth.access_ttl_seconds) {
            bail!("auth.access_ttl_seconds must be between 1 and 86400");
        }
        if !(1..=3_650).contains(&self.auth.refresh_ttl_days) {
            bail!("auth.refresh_ttl_days must be between 1 and 3650");
        }
        if !(1..=720).contains(&self.auth.session_max_hours) {
            bail!("auth.session_max_hours must be between 1 and 720 (30 days)");
        }
        let throttle = self.auth.throttle;
        if throttle.per_user == 0 || throttle.per_ip == 0 {
            bail!("auth.throttle.per_user and per_ip must be positive");
        }
        if !(1..=2_592_000).contains(&throttle.window_seconds) {
            bail!("auth.throttle.window_seconds must be between 1 and 2592000 (30 days)");
        }
        if let Some(secret) = &self.auth.jwt_secret
            && secret.expose_secret().len() < 32
        {
            bail!("auth.jwt_secret must be at least 32 characters long");
        }
        Ok(())
    }

    pub fn backend(&self) -> anyhow::Result<Backend> {
        backend_of(self.database.url.expose_secret())
    }
}

pub fn backend_of(url: &str) -> anyhow::Result<Backend> {
    if url.starts_with("sqlite://") {
        Ok(Backend::Sqlite)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Backend::Postgres)
    } else {
        bail!("database.url must start with sqlite:// or postgres://")
    }
}

pub fn sqlite_path_of(url: &str) -> Option<PathBuf> {
    url.strip_prefix("sqlite://").map(PathBuf::from)
}

/// The HS256 key: `auth.jwt_secret` when set; in the default mode (the embedded SQLite
/// database at data/pinggu.db) a secret generated once into data/jwt_secret (mode 0600);
/// otherwise starting is refused.
pub fn resolve_jwt_secret(settings: &Settings) -> anyhow::Result<SecretString> {
    if let Some(secret) = &settings.auth.jwt_secret {
        return Ok(secret.clone());
    }
    if settings.database.url.expose_secret() != DEFAULT_DATABASE_URL {
        bail!(
            "auth.jwt_secret is required outside the default mode (SQLite at data/pinggu.db): set PINGGU__AUTH__JWT_SECRET to 32 or more random characters"
        );
    }
    read_or_create_secret(Path::new("data/jwt_secret"))
}

fn read_or_create_secret(path: &Path) -> anyhow::Result<SecretString> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;

    use std::os::unix::fs::PermissionsExt;

    if let Ok(existing) = std::fs::read_to_string(path) {
        let mode = std::fs::metadata(path)?.permissions().mode();
        if mode & 0o077 != 0 {
            bail!(
                "{} may be read by other users: chmod 600 it",
                path.display()
            );
        }
        let existing = existing.trim();
        if existing.len() < 32 {
            bail!(
                "{} holds a secret shorter than 32 characters",
                path.display()
            );
        }
        return Ok(SecretString::from(existing.to_owned()));
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let secret = crate::auth::tokens::random_token(48);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    writeln!(file, "{secret}")?;
    tracing::info!(path = %path.display(), "generated a JWT secret");
    Ok(SecretString::from(secret))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_with(dir: &Path, env: &[(&str, &str)]) -> anyhow::Result<Settings> {
        Settings::load(&Sources {
            base_dir: dir.to_path_buf(),
            extra_file: None,
            env: Some(
                env.iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            ),
        })
    }

    #[test]
    fn shipped_default_file_equals_compiled_defaults() {
        let shipped: Settings =
            toml_settings(include_str!("../config/default.toml")).expect("default.toml parses");
        let compiled = Settings::default();
        // Secrets print redacted: compare the database URL by itself.
        assert_eq!(format!("{shipped:?}"), format!("{compiled:?}"));
        assert_eq!(
            shipped.database.url.expose_secret(),
            compiled.database.url.expose_secret()
        );
    }

    #[test]
    fn production_example_parses() {
        let example = toml_settings(include_str!("../config/production.example.toml"))
            .expect("production.example.toml parses");
        assert_eq!(example.backend().ok(), Some(Backend::Postgres));
        assert_eq!(example.mail.transport, MailTransport::Smtp);
    }

    fn toml_settings(text: &str) -> anyhow::Result<Settings> {
        Ok(config::Config::builder()
            .add_source(config::File::from_str(text, config::FileFormat::Toml))
            .build()?
            .try_deserialize()?)
    }

    #[test]
    fn layers_override_in_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("config")).expect("mkdir");
        std::fs::write(
            dir.path().join("config/default.toml"),
            "[server]\nbind = \"0.0.0.0:1\"\npublic_url = \"http://a\"\n[auth]\npassword_min_length = 12\n",
        )
        .expect("write");
        std::fs::write(
            dir.path().join("config/local.toml"),
            "[server]\nbind = \"0.0.0.0:2\"\ntimezone = \"UTC\"\n",
        )
        .expect("write");
        let extra = dir.path().join("extra.toml");
        std::fs::write(
            &extra,
            "[server]\nbind = \"0.0.0.0:3\"\n[mail.smtp]\nport = 25\n",
        )
        .expect("write");
        let settings = Settings::load(&Sources {
            base_dir: dir.path().to_path_buf(),
            extra_file: Some(extra),
            env: Some(
                [
                    ("PINGGU__AUTH__THROTTLE__PER_USER", "7"),
                    ("PINGGU__NOTIFY__REMINDER_DAYS", "5,2,1"),
                    ("PINGGU__MAIL__SMTP__PORT", "2525"),
                    ("PINGGU__MAIL__SMTP__PASSWORD", "0123"),
                    ("PINGGU__DATABASE__URL", "sqlite://ignored.db"),
                    ("DATABASE_URL", "postgres://x@localhost/db"),
                ]
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ),
        })
        .expect("loads");
        assert_eq!(
            settings.server.bind, "0.0.0.0:3",
            "--config beats local.toml"
        );
        assert_eq!(
            settings.server.timezone, "UTC",
            "local.toml beats default.toml"
        );
        assert_eq!(settings.server.public_url, "http://a");
        assert_eq!(settings.mail.smtp.port, 2525, "environment beats --config");
        let password = settings
            .mail
            .smtp
            .password
            .as_ref()
            .map(|p| p.expose_secret().to_owned());
        assert_eq!(password.as_deref(), Some("0123"), "strings stay strings");
        assert_eq!(settings.auth.password_min_length, 12);
        assert_eq!(settings.auth.throttle.per_user, 7);
        assert_eq!(settings.auth.throttle.per_ip, 20);
        assert_eq!(settings.notify.reminder_days, vec![5, 2, 1]);
        assert_eq!(
            settings.backend().ok(),
            Some(Backend::Postgres),
            "DATABASE_URL wins"
        );
    }

    #[test]
    fn out_of_range_values_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        for (key, value) in [
            ("PINGGU__AUTH__THROTTLE__WINDOW_SECONDS", "99999999999"),
            ("PINGGU__AUTH__REFRESH_TTL_DAYS", "100000"),
            ("PINGGU__AUTH__ACCESS_TTL_SECONDS", "0"),
            ("PINGGU__AUTH__PASSWORD_MIN_LENGTH", "4"),
        ] {
            let err = load_with(dir.path(), &[(key, value)]).expect_err(key);
            let field = key
                .trim_start_matches("PINGGU__")
                .replace("__", ".")
                .to_lowercase();
            assert!(err.to_string().contains(&field), "{key}: {err}");
        }
    }

    #[test]
    fn unknown_key_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let err = load_with(dir.path(), &[("PINGGU__SERVER__BINDD", "x")])
            .expect_err("unknown key refused");
        assert!(format!("{err:#}").contains("bindd"), "{err:#}");
    }

    #[test]
    fn jwt_secret_is_generated_once_with_mode_0600() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("data/jwt_secret");
        let first = read_or_create_secret(&path).expect("generated");
        let second = read_or_create_secret(&path).expect("read back");
        assert_eq!(first.expose_secret(), second.expose_secret());
        assert!(first.expose_secret().len() >= 32);
        let mode = std::fs::metadata(&path).expect("file").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);

        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let refused = read_or_create_secret(&path).expect_err("readable by others");
        assert!(refused.to_string().contains("chmod 600"));
    }

    #[test]
    fn other_sqlite_files_need_a_secret_too() {
        let dir = tempfile::tempdir().expect("tempdir");
        let settings = load_with(
            dir.path(),
            &[("DATABASE_URL", "sqlite:///var/lib/pinggu/p.db")],
        )
        .expect("loads");
        let err = resolve_jwt_secret(&settings).expect_err("refused");
        assert!(err.to_string().contains("auth.jwt_secret"));
    }

    #[test]
    fn postgres_without_secret_refuses_to_start() {
        let dir = tempfile::tempdir().expect("tempdir");
        let settings =
            load_with(dir.path(), &[("DATABASE_URL", "postgres://x@localhost/db")]).expect("loads");
        let err = resolve_jwt_secret(&settings).expect_err("refused");
        assert!(err.to_string().contains("auth.jwt_secret"));
    }
}
