//! The command line (DESIGN.md §5).

use std::io::BufRead;
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use secrecy::ExposeSecret;

use crate::db::{self, organizations, users};
use crate::domain::{password_policy, user::Username};
use crate::settings::{Settings, Sources};

#[derive(Debug, Parser)]
#[command(name = "pinggu", version, about = "社工服务站评估系统 (pinggu)")]
pub struct Cli {
    /// A configuration file read after config/default.toml and config/local.toml.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web service (the default): migrations first, then serve.
    Serve {
        /// Listen address, e.g. 0.0.0.0:8080.
        #[arg(long, value_name = "ADDR")]
        bind: Option<String>,
        /// sqlite://PATH or postgres://…
        #[arg(long, value_name = "URL")]
        database_url: Option<String>,
        /// Load the demo data first (as `pinggu demo`; nothing changes if it is there).
        #[arg(long)]
        demo: bool,
    },
    /// Load the two reference evaluations with their organizations and users, and exit.
    Demo {
        #[arg(long, value_name = "URL")]
        database_url: Option<String>,
        /// One password for every demo user (default: one generated for each, to be changed at
        /// first login).
        #[arg(long, value_name = "PW")]
        password: Option<String>,
    },
    /// Fill a database holding no evaluation with deterministic synthetic data for load tests:
    /// provinces of districts, their organizations, stations, users and evaluations in every
    /// state (DESIGN.md §8).
    Generate {
        /// How many stations (12 to a district).
        #[arg(long, value_name = "N")]
        stations: usize,
        /// Years of evaluations, one per station and year, ending in 2026.
        #[arg(long, value_name = "Y", default_value_t = 3)]
        years: i32,
        /// The same seed gives the same data.
        #[arg(long, value_name = "S", default_value_t = 1)]
        seed: u64,
        /// The password of every generated user (they need not change it).
        #[arg(long, value_name = "PW", default_value = "Generated-pass-2026")]
        password: String,
        #[arg(long, value_name = "URL")]
        database_url: Option<String>,
    },
    /// Apply pending database migrations and exit.
    Migrate {
        #[arg(long, value_name = "URL")]
        database_url: Option<String>,
    },
    /// The outbox worker alone: sends queued e-mail and runs the reminder job.
    Worker {
        #[arg(long, value_name = "URL")]
        database_url: Option<String>,
        /// Run the reminder job once, send what is due, and exit.
        #[arg(long)]
        once: bool,
        /// The day the reminder job takes as today (YYYY-MM-DD; default: today in
        /// server.timezone).
        #[arg(long, value_name = "DATE")]
        today: Option<chrono::NaiveDate>,
    },
    /// Administrators.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// A consistent copy of the embedded SQLite database, taken while the server runs
    /// (PostgreSQL: use pg_dump, see the README).
    Backup {
        #[arg(long, value_name = "URL")]
        database_url: Option<String>,
        /// The copy to write; it must not exist yet.
        #[arg(long, value_name = "FILE")]
        to: std::path::PathBuf,
    },
    /// The audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check every hash chain; exits non-zero at the first broken entry.
    Verify,
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create a system administrator; the password is read from standard input.
    Create {
        #[arg(long)]
        username: String,
        /// Read the password from the first line of standard input.
        #[arg(long, required = true)]
        password_stdin: bool,
        /// The name shown to others (default: the username).
        #[arg(long)]
        display_name: Option<String>,
        #[arg(long)]
        email: Option<String>,
    },
}

pub fn run(cli: Cli) -> anyhow::Result<()> {
    let sources = Sources {
        base_dir: std::env::current_dir().context("cannot read the working directory")?,
        extra_file: cli.config.clone(),
        env: None,
    };
    let mut settings = Settings::load(&sources)?;
    crate::telemetry::init(&settings.log);
    match cli.command.unwrap_or(Command::Serve {
        bind: None,
        database_url: None,
        demo: false,
    }) {
        Command::Serve {
            bind,
            database_url,
            demo,
        } => {
            if let Some(bind) = bind {
                settings.server.bind = bind;
            }
            override_database(&mut settings, database_url)?;
            serve(settings, demo)
        }
        Command::Demo {
            database_url,
            password,
        } => {
            override_database(&mut settings, database_url)?;
            actix_web::rt::System::new().block_on(load_demo(settings, password.as_deref()))
        }
        Command::Generate {
            stations,
            years,
            seed,
            password,
            database_url,
        } => {
            override_database(&mut settings, database_url)?;
            actix_web::rt::System::new().block_on(generate(
                settings,
                crate::demo::generate::Options {
                    stations,
                    years,
                    seed,
                },
                password,
            ))
        }
        Command::Worker {
            database_url,
            once,
            today,
        } => {
            override_database(&mut settings, database_url)?;
            worker(settings, once, today)
        }
        Command::Migrate { database_url } => {
            override_database(&mut settings, database_url)?;
            let pool = connect(&settings)?;
            let applied = db::migrate(&pool)?;
            if applied.is_empty() {
                println!("数据库已是最新，无需迁移");
            } else {
                println!("已应用 {} 个迁移：{}", applied.len(), applied.join(", "));
            }
            Ok(())
        }
        Command::Backup { database_url, to } => {
            override_database(&mut settings, database_url)?;
            let pool = connect(&settings)?;
            let mut conn = pool.get().context("cannot connect to the database")?;
            let bytes = db::backup::sqlite_copy(&mut conn, &to)?;
            println!("已备份到 {}（{bytes} 字节）", to.display());
            Ok(())
        }
        Command::Audit {
            command: AuditCommand::Verify,
        } => {
            let pool = connect(&settings)?;
            let mut conn = pool.get().context("cannot connect to the database")?;
            match db::audit::verify(&mut conn)? {
                Ok(count) => {
                    println!("OK：已核对 {count} 条审计记录，哈希链完整");
                    Ok(())
                }
                Err(broken) => bail!(
                    "审计链断裂：第 {} 条记录（{} 第 {} 条）{}",
                    broken.id,
                    broken.chain,
                    broken.seq,
                    broken.why
                ),
            }
        }
        Command::Admin {
            command:
                AdminCommand::Create {
                    username,
                    password_stdin: _,
                    display_name,
                    email,
                },
        } => {
            let password = read_password_line()?;
            create_admin(
                &settings,
                &username,
                &password,
                display_name.as_deref(),
                email.as_deref(),
            )
        }
    }
}

fn override_database(settings: &mut Settings, url: Option<String>) -> anyhow::Result<()> {
    if let Some(url) = url {
        crate::settings::backend_of(&url)?;
        settings.database.url = url.into();
    }
    Ok(())
}

fn connect(settings: &Settings) -> anyhow::Result<db::DbPool> {
    db::connect(settings.database.url.expose_secret(), 2)
}

fn serve(settings: Settings, demo: bool) -> anyhow::Result<()> {
    actix_web::rt::System::new().block_on(async move {
        if demo {
            load_demo(settings.clone(), None).await?;
        }
        let app = crate::startup::Application::build(settings).await?;
        tracing::info!(port = app.port(), "pinggu is listening");
        app.run_until_stopped()
            .await
            .context("server stopped with an error")
    })
}

/// Loads the demo (through the application's own state and rules) and prints what it holds.
async fn load_demo(settings: Settings, password: Option<&str>) -> anyhow::Result<()> {
    let public_url = settings.server.public_url.clone();
    let state = crate::startup::prepare_state(settings).await?;
    println!("正在加载演示数据（两份参考评估），请稍候……");
    let loaded = crate::demo::load(&state, password).await?;
    print!("{}", loaded.describe(&public_url));
    Ok(())
}

async fn generate(
    settings: Settings,
    options: crate::demo::generate::Options,
    password: String,
) -> anyhow::Result<()> {
    password_policy::check(&password, settings.auth.password_min_length)
        .map_err(|m| anyhow::anyhow!("--password 不符合要求：{m}"))?;
    let state = crate::startup::prepare_state(settings).await?;
    let started = std::time::Instant::now();
    println!(
        "正在生成 {} 个社工站、{} 年的合成数据……",
        options.stations, options.years
    );
    let generated = actix_web::rt::task::spawn_blocking(move || {
        let hash = crate::auth::password::hash_blocking(&password)?;
        let mut conn = state.pool.get().context("cannot connect to the database")?;
        crate::demo::generate::generate(&mut conn, &options, &hash, |done, all| {
            println!("  已写入 {done} / {all} 个社工站");
        })
    })
    .await
    .context("the generating thread failed")??;
    println!(
        "已生成：{} 个单位，{} 个用户，{} 个社工站，{} 项评估（{:.0} 秒）",
        generated.organizations,
        generated.users,
        generated.stations,
        generated.evaluations,
        started.elapsed().as_secs_f64()
    );
    for (state, count) in &generated.by_state {
        let name =
            crate::domain::workflow::State::from_code(state).map_or(*state, |s| s.chinese_name());
        println!("  {name}：{count} 项");
    }
    println!("可登录的用户（密码均为 --password 所给）：");
    for (username, organization) in &generated.sample_users {
        println!("  {username}  {organization}");
    }
    Ok(())
}

fn worker(settings: Settings, once: bool, today: Option<chrono::NaiveDate>) -> anyhow::Result<()> {
    let pool = db::connect(settings.database.url.expose_secret(), 4)?;
    db::migrate(&pool)?;
    let today = today.unwrap_or_else(|| settings.today());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        // The SMTP connection pool lives on the runtime.
        let worker = crate::notify::worker::Worker::new(pool, std::sync::Arc::new(settings))?;
        if !once {
            tracing::info!("outbox worker running");
            worker.run().await;
            return Ok(());
        }
        let reminded = worker.remind(today).await?;
        let done = worker.drain().await?;
        println!(
            "提醒 {reminded} 封；发送成功 {}，待重试 {}，失败 {}",
            done.sent, done.failed, done.dead
        );
        Ok(())
    })
}

fn read_password_line() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    let password = line.trim_end_matches(['\n', '\r']).to_owned();
    if password.is_empty() {
        bail!("标准输入中没有密码");
    }
    Ok(password)
}

fn create_admin(
    settings: &Settings,
    username: &str,
    password: &str,
    display_name: Option<&str>,
    email: Option<&str>,
) -> anyhow::Result<()> {
    let username = Username::parse(username).map_err(|m| anyhow::anyhow!("用户名不可用：{m}"))?;
    password_policy::check(password, settings.auth.password_min_length)
        .map_err(|m| anyhow::anyhow!("密码不符合要求：{m}"))?;
    let pool = connect(settings)?;
    db::migrate(&pool)?;
    let hash = crate::auth::password::hash_blocking(password)?;
    let mut conn = pool.get().context("cannot connect to the database")?;
    let id = db::write_transaction(&mut conn, |conn| {
        if users::username_taken(conn, username.as_str())? {
            bail!("用户名 {} 已存在", username.as_str());
        }
        let now = db::now();
        let system = organizations::system_id(conn)?;
        let id = users::insert(
            conn,
            &users::NewUser {
                organization_id: system,
                username: username.as_str(),
                display_name: display_name.unwrap_or(username.as_str()),
                email,
                role: "admin",
                password_hash: &hash,
                must_change_password: false,
                created_at: now,
                updated_at: now,
            },
        )?;
        let summary = format!("命令行创建系统管理员 {}", username.as_str());
        db::audit::append_global(
            conn,
            &db::audit::global_entry(None, "create", "user", id, summary, now, None),
        )?;
        Ok(id)
    })?;
    println!("已创建系统管理员 {}（id {id}）", username.as_str());
    Ok(())
}
