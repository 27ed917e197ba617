//! `pinggu demo` (and `serve --demo`): the organizations and users of both reference reports,
//! the 西村街 mid-term evaluation walked to its final report and the 瑞宝街 one left waiting for
//! feedback on its draft (data under demo/). Loading twice changes nothing: the first load
//! ends with a global audit entry that marks it done.

pub mod data;
pub mod generate;
mod people;
mod walk;

use anyhow::{Context, bail};

use crate::db::{self, audit};
use crate::domain::workflow::State;
use crate::state::AppState;
pub use people::Member;

const MARK_ACTION: &str = "load";
const MARK_ENTITY: &str = "demo";

/// What a load did or found.
pub struct Loaded {
    /// False when the database already held the demo (nothing was changed).
    pub fresh: bool,
    pub members: Vec<Member>,
    pub evaluations: Vec<DemoEvaluation>,
    /// Whether the users must change their password at first login.
    pub must_change_password: bool,
}

pub struct DemoEvaluation {
    pub id: i64,
    pub station: String,
    pub state: String,
    /// Total and grade of a final evaluation.
    pub result: Option<(String, String)>,
    pub next_due: Option<chrono::NaiveDate>,
    /// What the demo says about its own data (瑞宝街's illustrative split).
    pub note: Option<String>,
}

/// Loads the demo unless it is there already; refuses a database holding part of it.
pub async fn load(state: &AppState, password: Option<&str>) -> anyhow::Result<Loaded> {
    let people = data::people()?;
    let plans = [data::xicun()?, data::ruibao()?];
    let loaded = db::run(&state.pool, |conn| {
        audit::global_action_recorded(conn, MARK_ACTION, MARK_ENTITY).map_err(anyhow::Error::from)
    })
    .await?;
    if loaded {
        let mut evaluations = Vec::new();
        for plan in &plans {
            let name = plan.station["name"].as_str().unwrap_or_default().to_owned();
            let found = db::run(&state.pool, move |conn| {
                db::evaluations::of_stations_named(conn, &name)
                    .map(|e| (name, e))
                    .map_err(anyhow::Error::from)
            })
            .await?;
            let (station, found) = found;
            for (id, state) in found {
                evaluations.push(DemoEvaluation {
                    id,
                    station: station.clone(),
                    state,
                    result: None,
                    next_due: None,
                    note: None,
                });
            }
        }
        return Ok(Loaded {
            fresh: false,
            members: people::listed(&people),
            evaluations,
            must_change_password: false,
        });
    }
    let found = people::present(state, &people).await?;
    if !found.is_empty() {
        bail!(
            "数据库中已有部分演示数据（{}），但演示数据没有完整加载过（可能上次加载中途中断）。\
             请换用一个空数据库再运行：SQLite 删除数据库文件（默认 data/pinggu.db），\
             PostgreSQL 新建一个空数据库，或用 --database-url 指定。",
            found.join("、")
        );
    }

    let cast = people::create(state, &people, password).await?;
    let today = state.settings.today();
    let mut evaluations = Vec::new();
    for plan in &plans {
        let walked = walk::walk(state, &cast, plan, today).await?;
        evaluations.push(DemoEvaluation {
            id: walked.id,
            station: walked.station,
            state: walked.state.to_owned(),
            result: walked
                .result
                .map(|(total, grade)| (total.to_string(), grade)),
            next_due: walked.next_due,
            note: plan.draft_reason.clone(),
        });
    }
    let summary = format!(
        "加载演示数据：{}",
        evaluations
            .iter()
            .map(|e| format!("{}（评估 {}）", e.station, e.id))
            .collect::<Vec<_>>()
            .join("、")
    );
    db::run(&state.pool, move |conn| {
        db::write_transaction(conn, |conn| {
            let entry =
                audit::global_entry(None, MARK_ACTION, MARK_ENTITY, 0, summary, db::now(), None);
            audit::append_global(conn, &entry).context("the demo's mark")
        })
    })
    .await?;
    Ok(Loaded {
        fresh: true,
        members: cast.members,
        evaluations,
        must_change_password: password.is_none(),
    })
}

impl Loaded {
    /// What the command prints: the evaluations with their links, the users and their
    /// passwords, where to log in.
    pub fn describe(&self, public_url: &str) -> String {
        let base = public_url.trim_end_matches('/');
        let mut out = String::new();
        if self.fresh {
            out.push_str("演示数据已加载：\n");
        } else {
            out.push_str("演示数据此前已加载，本次未做任何更改。\n");
        }
        for e in &self.evaluations {
            let stage = State::from_code(&e.state)
                .map_or_else(|| e.state.clone(), |s| s.chinese_name().to_owned());
            let result = e
                .result
                .as_ref()
                .map(|(total, grade)| format!("，{total} 分，{grade}"))
                .or_else(|| e.next_due.map(|due| format!("，本阶段截止 {due}")))
                .unwrap_or_default();
            out.push_str(&format!(
                "  {}：{stage}{result}  {base}/evaluations/{}\n",
                e.station, e.id
            ));
            if let Some(note) = &e.note {
                out.push_str(&format!("    {note}\n"));
            }
        }
        out.push_str(&format!(
            "\n演示用户{}：\n",
            if self.must_change_password {
                "（密码为本次生成，首次登录须修改）"
            } else {
                ""
            }
        ));
        let header = ["用户名", "机构", "角色", "密码"];
        let rows: Vec<[String; 4]> = self
            .members
            .iter()
            .map(|m| {
                [
                    m.username.clone(),
                    m.organization.clone(),
                    m.role.to_owned(),
                    m.password
                        .clone()
                        .unwrap_or_else(|| "（首次加载时已显示）".to_owned()),
                ]
            })
            .collect();
        let widths: Vec<usize> = (0..4)
            .map(|c| {
                rows.iter()
                    .map(|r| display_width(&r[c]))
                    .chain([display_width(header[c])])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let line = |cells: [&str; 4]| {
            let mut text = String::new();
            for (c, cell) in cells.iter().enumerate() {
                text.push_str(cell);
                if c < 3 {
                    text.push_str(&" ".repeat(widths[c] - display_width(cell) + 2));
                }
            }
            text.push('\n');
            text
        };
        out.push_str(&line(header));
        for row in &rows {
            out.push_str(&line([&row[0], &row[1], &row[2], &row[3]]));
        }
        out.push_str(&format!(
            "\n在浏览器中打开 {base}/login 登录；待办事项见 {base}/ 。\n"
        ));
        out
    }
}

/// Columns a terminal gives the text: two for each Chinese character.
fn display_width(text: &str) -> usize {
    text.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum()
}
