//! The evaluation page, the target of every e-mail's link: the stage bar (步骤条), the next
//! deadline and who owes it, and tabs.

use super::forms::Posted;
use crate::app::evaluation_page::{EvaluationPage as PageData, Tab, TabData, evaluation_page_for};
use crate::web::tabs::PageHead;
use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;

use super::forms::Echo;
use super::home::{Row, row};
use super::saved::{Saved, back_to};
use super::session::WebUser;
use super::{Chrome, not_found, page};
use crate::app::AppError;
use crate::app::evaluations::EvaluationView;
use crate::app::feedback::FeedbackList;
use crate::app::rectifications::{HistoryEntry, RectificationView};
use crate::app::reports::{Comparison, ReportVersion, compare_for, download_for, revise_for};
use crate::app::workflow::{TransitionRequest, transition_for};
use crate::domain::access::EvaluationAccess;
use crate::domain::points::Points;
use crate::domain::rectification::ItemStatus;
use crate::domain::staffing::RosterWorker;
use crate::domain::workflow::{Event, State};
use crate::notify::catalog::{chinese_date, stage_name};
use crate::state::AppState;

/// The steps of the bar, in order.
const STEPS: [State; 6] = [
    State::Setup,
    State::SelfAssessment,
    State::OnsiteScoring,
    State::DraftFeedback,
    State::BureauReview,
    State::Final,
];

pub struct Step {
    pub name: &'static str,
    /// done, current or todo
    pub status: &'static str,
}

pub struct Fact {
    pub label: String,
    pub value: String,
}

/// A button for an event the user may fire now.
pub struct Action {
    pub code: &'static str,
    pub name: &'static str,
    pub needs_reason: bool,
}

#[derive(Template)]
#[template(path = "evaluation.html")]
struct EvaluationPage {
    chrome: Option<Chrome>,
    id: i64,
    version: i64,
    summary: Row,
    /// Whether the user sees the station's page (experts reach evaluations only).
    station_page: bool,
    steps: Vec<Step>,
    cancelled: bool,
    tab: String,
    facts: Vec<Fact>,
    deadlines: Vec<Fact>,
    timeline: Vec<super::timeline::Entry>,
    reminders: Vec<super::timeline::Mail>,
    reports: Vec<ReportVersion>,
    actions: Vec<Action>,
    feedback: Option<FeedbackList>,
    /// The latest draft the user's party may still answer, with the outline to object to.
    feedback_form: Option<FeedbackFormView>,
    /// The agency's manager answers objections.
    answers: bool,
    /// (code, title) of the report outline, to name the sections objected to.
    sections: Vec<(String, String)>,
    /// The items of this evaluation's final report, and those of the previous one.
    items: Vec<RectificationView>,
    previous: Vec<RectificationView>,
    /// Who may do what to this evaluation's items.
    item_rights: ItemRights,
    self_tab: Option<super::tabs::self_assessment::SelfTab>,
    scoring_tab: Option<super::tabs::scoring::ScoringTab>,
    /// None on other tabs, and for those who take no part in the survey.
    survey_tab: Option<super::tabs::survey::SurveyTab>,
    /// The agency's manager may issue a revised draft now.
    may_revise: bool,
    comparison: Option<Comparison>,
    /// Where the users' clocks are (`server.timezone`).
    timezone: chrono_tz::Tz,
    /// The organizers extend deadlines (the info tab's form): (stage, name) and (party, name).
    extension: Option<(Choices, Choices)>,
    /// A refused form's values and errors (empty otherwise).
    echo: Echo,
    /// The refused form is not on the page (an action's button, or a form gone since, like the
    /// feedback another user of the party gave meanwhile): its summary goes above the tabs.
    echo_above: bool,
    /// What the form just posted did, in one line.
    confirmation: Option<String>,
}

/// The station answers items, the agency's manager verifies them, the bureau's manager moves
/// their due dates.
#[derive(Default)]
struct ItemRights {
    answers: bool,
    verifies: bool,
    sets_due: bool,
}

/// (value, label) of a select's options.
type Choices = Vec<(String, String)>;

pub struct FeedbackFormView {
    pub report_id: i64,
    pub version: i64,
}

impl EvaluationPage {
    fn section_title(&self, code: &Option<String>) -> String {
        let Some(code) = code else {
            return "全文".into();
        };
        self.sections
            .iter()
            .find(|(c, _)| c == code)
            .map_or_else(|| code.clone(), |(_, title)| title.clone())
    }

    /// One line of a rectification item's history, in words.
    fn history_line(&self, entry: &HistoryEntry) -> String {
        let note = entry.note.as_deref().unwrap_or("");
        match (entry.action.as_str(), entry.status) {
            ("answer", ItemStatus::Answered) => format!("社工站提交整改情况：{note}"),
            ("answer", _) => "社工站保存了整改措施（未提交）".to_owned(),
            ("verify", _) => "评估机构核验通过".to_owned(),
            ("return", _) => format!("评估机构核验不通过，退回社工站：{note}"),
            _ => format!("区民政局将整改期限调整为 {note}"),
        }
    }

    /// A stored figure as an input shows it ("" when none).
    fn figure(&self, value: &Option<Points>) -> String {
        value.map(|v| v.to_string()).unwrap_or_default()
    }

    fn percent(&self, value: &Option<Points>) -> String {
        value.map_or_else(|| "—".to_owned(), |v| format!("{v}%"))
    }

    fn date(&self, value: &Option<chrono::NaiveDate>) -> String {
        value.map(|d| d.to_string()).unwrap_or_default()
    }

    fn local(&self, at: &chrono::DateTime<chrono::Utc>) -> String {
        at.with_timezone(&self.timezone)
            .format("%Y-%m-%d %H:%M")
            .to_string()
    }

    /// A file's size as people read it.
    fn size(&self, bytes: &i64) -> String {
        match *bytes {
            b if b < 1024 => format!("{b} 字节"),
            b if b < 1024 * 1024 => format!("{} KB", b / 1024),
            b => format!(
                "{}.{} MB",
                b / (1024 * 1024),
                b % (1024 * 1024) * 10 / (1024 * 1024)
            ),
        }
    }

    fn gate_code(&self, value: &Option<bool>) -> &'static str {
        match value {
            Some(true) => "yes",
            Some(false) => "no",
            None => "",
        }
    }

    fn has_zone(
        &self,
        echo: &Echo,
        form: impl AsRef<str>,
        name: impl AsRef<str>,
        stored: &[i64],
        zone: &i64,
    ) -> bool {
        echo.selected_or(form, name, &zone.to_string(), stored.contains(zone))
    }

    fn same(&self, a: impl AsRef<str>, b: impl AsRef<str>) -> bool {
        a.as_ref() == b.as_ref()
    }

    fn zone_code(&self, zone: &Option<i64>) -> String {
        zone.map(|z| z.to_string()).unwrap_or_default()
    }

    /// A roster month's 人员到位 as the select's option value ("1.00", "0.50", "0.00" or "").
    fn on_post(&self, worker: &RosterWorker, month: &str) -> String {
        worker
            .months
            .get(month)
            .map(|e| e.on_post.to_string())
            .unwrap_or_default()
    }

    /// Whether two figures are the same number ("1" and "1.00": a refused form sends back the
    /// option's value, the stored figure has two decimals).
    fn same_figure(&self, a: impl AsRef<str>, b: &str) -> bool {
        match (a.as_ref().parse::<Points>(), b.parse::<Points>()) {
            (Ok(a), Ok(b)) => a == b,
            _ => a.as_ref() == b,
        }
    }

    fn month_flag(&self, worker: &RosterWorker, month: &str, flag: &str) -> bool {
        worker.months.get(month).is_some_and(|e| match flag {
            "insurance" => e.insurance,
            _ => e.wage,
        })
    }

    fn kind_of(&self, kind: &str) -> &'static str {
        if kind == "final" {
            "最终报告"
        } else {
            "征求意见稿"
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct TabQuery {
    tab: Option<String>,
    /// Two report versions to compare on the 报告 tab.
    from: Option<i64>,
    to: Option<i64>,
    /// What the form just posted did (`saved::Saved`'s code), said in one line.
    saved: Option<String>,
}

/// What the page shows besides the tab: a comparison of two report versions, the confirmation
/// of a form that went through.
#[derive(Debug, Default)]
struct Shown {
    compare: Option<(i64, i64)>,
    saved: Option<Saved>,
}

fn steps(state: State) -> Vec<Step> {
    let at = STEPS.iter().position(|s| *s == state);
    STEPS
        .iter()
        .enumerate()
        .map(|(i, step)| Step {
            name: step.chinese_name(),
            status: match at {
                Some(current) if i < current => "done",
                Some(current) if i == current => "current",
                _ => "todo",
            },
        })
        .collect()
}

fn facts(view: &EvaluationView) -> Vec<Fact> {
    let mut facts = vec![
        Fact {
            label: "社工站".into(),
            value: view.station.name.clone(),
        },
        Fact {
            label: "评估类型".into(),
            value: crate::domain::evaluation::Kind::chinese_name(view.kind).into(),
        },
        Fact {
            label: "评估考核期".into(),
            value: format!(
                "{}至{}",
                chinese_date(view.assessment_start),
                chinese_date(view.assessment_end)
            ),
        },
        Fact {
            label: "现场评估日期".into(),
            value: chinese_date(view.onsite_date),
        },
        Fact {
            label: "评估方案".into(),
            value: format!("{}（第 {} 版）", view.scheme.code, view.scheme.version),
        },
    ];
    if let Some(operator) = &view.station_operator {
        facts.push(Fact {
            label: "项目承办方".into(),
            value: operator.name.clone(),
        });
    }
    for party in &view.parties {
        facts.push(Fact {
            label: format!("{}（{}%）", party.name, party.weight),
            value: party
                .organization
                .as_ref()
                .map_or_else(|| "尚未指定".to_owned(), |o| o.name.clone()),
        });
    }
    facts
}

#[get("/evaluations/{id}")]
pub async fn page_of(
    state: web::Data<AppState>,
    me: WebUser,
    id: web::Path<i64>,
    query: web::Query<TabQuery>,
) -> HttpResponse {
    let id = id.into_inner();
    match (query.from, query.to) {
        (Some(from), Some(to)) => render_compared(&state, &me, id, (from, to)).await,
        _ => {
            let shown = Shown {
                saved: query.saved.as_deref().and_then(Saved::from_code),
                ..Shown::default()
            };
            show(&state, &me, id, query.tab.as_deref(), None, shown).await
        }
    }
}

/// The organizers extend a stage's deadline (for one party or all) from the 基本信息 tab.
#[post("/evaluations/{id}/extensions")]
pub async fn extend(
    state: web::Data<AppState>,
    id: web::Path<i64>,
    posted: Posted,
) -> HttpResponse {
    use super::forms::value;
    let id = id.into_inner();
    let Posted { me, form: values } = posted;
    let mut echo = Echo::new("extension", &values);
    let stage = crate::domain::evaluation::Stage::from_code(value(&values, "stage").unwrap_or(""));
    let new_deadline =
        chrono::NaiveDate::parse_from_str(value(&values, "new_deadline").unwrap_or(""), "%Y-%m-%d");
    let reason = value(&values, "reason").unwrap_or("").trim().to_owned();
    let (Some(stage), Ok(new_deadline)) = (stage, new_deadline) else {
        echo.headline = super::forms::FIX_MARKED.into();
        if stage.is_none() {
            echo.errors.insert("stage".into(), "请选择阶段".into());
        }
        if new_deadline.is_err() {
            echo.errors
                .insert("new_deadline".into(), "请填写新的截止日期".into());
        }
        return render_with(&state, &me, id, Some("info"), Some(echo)).await;
    };
    let body = crate::app::workflow::CreateExtension {
        stage,
        party: value(&values, "party")
            .filter(|p| !p.is_empty())
            .map(str::to_owned),
        new_deadline,
        reason,
        version: None,
    };
    let request_id = me.audit_request_id();
    let extended = match crate::app::input::validate(&body) {
        Ok(()) => crate::app::workflow::extend_for(&state, &me, id, body, None, request_id).await,
        Err(error) => Err(error),
    };
    match extended {
        Ok(_) => back_to(id, "info", Some("extension"), Saved::Extension),
        Err(AppError::NotFound(_)) => not_found(),
        Err(error) => {
            let echo = super::forms::explain(&state, &me, id, echo, error, |field| {
                matches!(field, "stage" | "party" | "new_deadline" | "reason")
                    .then(|| field.to_owned())
            })
            .await
            .unwrap_or_default();
            render_with(&state, &me, id, Some("info"), Some(echo)).await
        }
    }
}

/// The agency's manager issues a revised draft (修改稿) from the 报告 tab.
#[post("/evaluations/{id}/reports/revise")]
pub async fn revise(
    state: web::Data<AppState>,
    id: web::Path<i64>,
    posted: Posted,
) -> HttpResponse {
    let id = id.into_inner();
    let me = posted.me;
    let request_id = me.audit_request_id();
    match revise_for(&state, &me, id, request_id).await {
        Ok(_) => back_to(id, "reports", None, Saved::Revision),
        Err(AppError::NotFound(_)) => not_found(),
        Err(error) => {
            let echo =
                super::forms::explain(&state, &me, id, Echo::new("revise", &[]), error, |_| None)
                    .await
                    .unwrap_or_default();
            render_with(&state, &me, id, Some("reports"), Some(echo)).await
        }
    }
}

pub async fn render(state: &AppState, me: &WebUser, id: i64, tab: Option<&str>) -> HttpResponse {
    render_with(state, me, id, tab, None).await
}

/// The page with a comparison of two report versions on the 报告 tab.
pub async fn render_compared(
    state: &AppState,
    me: &WebUser,
    id: i64,
    compare: (i64, i64),
) -> HttpResponse {
    let shown = Shown {
        compare: Some(compare),
        ..Shown::default()
    };
    show(state, me, id, Some("reports"), None, shown).await
}

pub async fn render_with(
    state: &AppState,
    me: &WebUser,
    id: i64,
    tab: Option<&str>,
    echo: Option<Echo>,
) -> HttpResponse {
    show(state, me, id, tab, echo, Shown::default()).await
}

/// The evaluation page again on `tab`, with the refused form as typed and what stopped it.
pub async fn show_refused(
    state: &AppState,
    me: &WebUser,
    id: i64,
    tab: &str,
    echo: Echo,
    error: AppError,
    field_to_input: impl Fn(&str) -> Option<String>,
) -> HttpResponse {
    match super::forms::explain(state, me, id, echo, error, field_to_input).await {
        Ok(echo) => render_with(state, me, id, Some(tab), Some(echo)).await,
        Err(error) => super::error_page(me, error),
    }
}

/// The page on a tab, with a refused form as typed and what stopped it.
async fn show(
    state: &AppState,
    me: &WebUser,
    id: i64,
    tab: Option<&str>,
    echo: Option<Echo>,
    shown: Shown,
) -> HttpResponse {
    let tab = Tab::from_code(tab);
    let loaded = match evaluation_page_for(state, me, id, tab).await {
        Ok(loaded) => loaded,
        Err(AppError::NotFound(_)) => return not_found(),
        Err(error) => return super::server_error(&me.request_id, &error),
    };
    let PageData {
        view,
        access,
        scheme,
        actions,
        zones,
        tab: data,
    } = loaded;
    let head = PageHead {
        view: &view,
        access: &access,
        scheme: &scheme,
        zones: &zones,
    };
    let (mut self_tab, mut scoring_tab, mut feedback, mut reports) = (None, None, None, Vec::new());
    let mut survey_tab = None;
    let (mut timeline, mut reminders, mut items) = (Vec::new(), Vec::new(), Vec::new());
    let mut sections = Vec::new();
    let mut feedback_form = None;
    match data {
        TabData::Info => {}
        TabData::SelfAssessment(data) => {
            self_tab = Some(super::tabs::self_assessment::build(&head, data));
        }
        TabData::Scoring(data) => {
            scoring_tab = Some(super::tabs::scoring::build(me, &head, data));
        }
        TabData::Reports { versions } => reports = versions,
        TabData::Feedback { list, versions } => {
            feedback_form = feedback_form_of(&view, &access, &list, &versions);
            sections = super::tabs::scoring::outline(&scheme);
            feedback = Some(list);
        }
        TabData::Rectification { items: found } => items = found,
        TabData::Survey(data) => survey_tab = super::tabs::survey::build(&head, data),
        TabData::Timeline(found) => (timeline, reminders) = super::timeline::entries(state, found),
    }
    let tab = tab.code();
    let organizer = access.organizes();
    let extension =
        (tab == "info" && organizer && !matches!(view.state, State::Final | State::Cancelled))
            .then(|| {
                let stages = crate::domain::evaluation::Stage::ALL
                    .iter()
                    .map(|s| (s.code().to_owned(), stage_name(*s).to_owned()))
                    .collect();
                let parties = view
                    .parties
                    .iter()
                    .map(|p| (p.code.clone(), p.name.clone()))
                    .chain(std::iter::once((
                        crate::domain::evaluation::STATION_PARTY.to_owned(),
                        "社工站".to_owned(),
                    )))
                    .collect();
                (stages, parties)
            });
    // Comparing two versions reads the two reports (the tab's list is above).
    let comparison = match (tab, shown.compare) {
        ("reports", Some((from, to))) => match compare_for(state, me, from, to).await {
            Ok(found) => Some(found),
            Err(AppError::NotFound(_) | AppError::Validation(_)) => None,
            Err(error) => return super::server_error(&me.request_id, &error),
        },
        _ => None,
    };
    let may_revise =
        tab == "reports" && view.state == State::DraftFeedback && access.revises_draft();
    let (previous, item_rights) = if tab == "rectification" {
        (
            view.previous_rectifications.clone(),
            ItemRights {
                answers: access.answers_rectifications(),
                verifies: access.verifies_rectifications(),
                sets_due: access.sets_rectification_due(),
            },
        )
    } else {
        (Vec::new(), ItemRights::default())
    };
    let answers =
        feedback.is_some() && view.state == State::DraftFeedback && access.answers_objections();
    let actions = actions
        .into_iter()
        .map(|(event, needs_reason)| Action {
            code: event.code(),
            name: event.chinese_name(),
            needs_reason,
        })
        .collect();
    let deadlines = crate::domain::evaluation::Stage::ALL
        .iter()
        .filter_map(|stage| {
            view.deadlines.get(stage.code()).map(|date| Fact {
                label: stage_name(*stage).to_owned(),
                value: chinese_date(*date),
            })
        })
        .collect();
    let echo = echo.unwrap_or_default();
    let echo_above = !echo.headline.is_empty()
        && !form_is_shown(
            &echo.form,
            feedback_form.is_some(),
            answers.then_some(&feedback).and_then(Option::as_ref),
            &items,
            &item_rights,
        );
    page(
        Some(me),
        &EvaluationPage {
            chrome: Some(Chrome::of(me)),
            id,
            version: view.version,
            summary: row(&view, me.organization.id),
            station_page: crate::auth::permissions::station_scope(me)
                != crate::db::stations::Scope::Nothing,
            steps: steps(view.state),
            cancelled: view.state == State::Cancelled,
            tab: tab.to_owned(),
            facts: facts(&view),
            deadlines,
            timeline,
            reminders,
            reports,
            actions,
            feedback,
            feedback_form,
            answers,
            sections,
            items,
            previous,
            item_rights,
            self_tab,
            scoring_tab,
            survey_tab,
            may_revise,
            comparison,
            timezone: state.settings.timezone(),
            extension,
            echo,
            echo_above,
            confirmation: shown.saved.map(Saved::words),
        },
    )
}

/// Whether the page shows the form `key` of the 反馈 and 整改 tabs (which come and go with what
/// others do); the transition buttons' refusals are said above the buttons, and the other tabs'
/// forms stay while their tab is shown.
fn form_is_shown(
    key: &str,
    feedback_form: bool,
    answerable: Option<&FeedbackList>,
    items: &[RectificationView],
    rights: &ItemRights,
) -> bool {
    if key == "feedback" {
        return feedback_form;
    }
    if key.starts_with("action-") {
        return false;
    }
    if let Some(objection) = key.strip_prefix("answer-") {
        return answerable.is_some_and(|list| {
            list.items
                .iter()
                .flat_map(|f| &f.objections)
                .any(|o| o.decision.is_none() && o.id.to_string() == objection)
        });
    }
    if let Some(rest) = key.strip_prefix("item-") {
        let Some((id, form)) = rest.split_once('-') else {
            return false;
        };
        return items.iter().any(|item| {
            item.id.to_string() == id
                && match form {
                    "answer" | "evidence" => rights.answers && item.status.answerable(),
                    "verification" => rights.verifies && item.status.verifiable(),
                    "due" => rights.sets_due && item.status.answerable(),
                    _ => false,
                }
        });
    }
    true
}

/// The party's own feedback form on the latest draft while it has not answered it (the
/// managers of the parties that give feedback, the station first), during draft_feedback.
fn feedback_form_of(
    view: &EvaluationView,
    access: &EvaluationAccess,
    list: &FeedbackList,
    versions: &[crate::app::reports::ReportVersion],
) -> Option<FeedbackFormView> {
    if view.state != State::DraftFeedback {
        return None;
    }
    let party = access.feedback_party().ok()?;
    let latest = versions.iter().rev().find(|v| v.kind == "draft")?;
    let answered = list
        .items
        .iter()
        .any(|f| f.party == party && f.report_id == latest.id);
    (!answered).then_some(FeedbackFormView {
        report_id: latest.id,
        version: latest.version,
    })
}

#[derive(Debug, Deserialize)]
pub struct ActionForm {
    event: String,
    version: i64,
    reason: Option<String>,
    /// The tab the button was pressed on: the page comes back there.
    tab: Option<String>,
}

/// A button of the page: fires the event as the API would; back to the page, or the page again
/// with what stopped it (the reason typed is kept in the log of the refusal, not lost silently).
#[post("/evaluations/{id}/transitions")]
pub async fn act(
    state: web::Data<AppState>,
    id: web::Path<i64>,
    posted: Posted<ActionForm>,
) -> HttpResponse {
    let id = id.into_inner();
    let Posted { me, form } = posted;
    let Some(event) = Event::ALL.into_iter().find(|e| e.code() == form.event) else {
        return super::forbidden();
    };
    let body = TransitionRequest {
        event,
        reason: form.reason.clone().filter(|r| !r.trim().is_empty()),
        version: Some(form.version),
    };
    let request_id = me.audit_request_id();
    let tab = Tab::from_code(form.tab.as_deref()).code();
    // The reason typed stays in its field; what stopped the action is said above the buttons.
    let mut typed = Echo::new(
        &format!("action-{}", event.code()),
        &[("reason".to_owned(), form.reason.clone().unwrap_or_default())],
    );
    match transition_for(&state, &me, id, body, Some(form.version), request_id).await {
        Ok(_) => return back_to(id, tab, None, Saved::Moved(event)),
        Err(AppError::NotFound(_)) => return not_found(),
        Err(AppError::Forbidden(reason)) => typed.headline = reason,
        // The detail repeats the list: a headline is enough above it.
        Err(AppError::TransitionRefused { detail, missing }) => {
            typed.headline = if missing.is_empty() {
                detail
            } else {
                format!(
                    "还不能{}，尚缺以下 {} 项：",
                    event.chinese_name(),
                    missing.len()
                )
            };
            typed.general = missing;
        }
        Err(AppError::StaleVersion { .. }) => {
            typed.headline = "评估已被他人更新，页面已刷新为最新内容，请确认后再操作。".into();
        }
        Err(AppError::Validation(errors)) => {
            typed.headline = format!("还不能{}：", event.chinese_name());
            for error in errors {
                typed.errors.entry("reason".into()).or_insert(error.message);
            }
        }
        Err(error) => {
            tracing::error!(%error, "action on the evaluation page");
            typed.headline = "操作失败，请稍后再试".into();
        }
    }
    render_with(&state, &me, id, Some(tab), Some(typed)).await
}

#[derive(Debug, Deserialize)]
pub struct FileRoute {
    id: i64,
    format: String,
}

/// A report version's stored file, for the logged-in user who may see it (404 otherwise).
#[get("/reports/{id}/{format}")]
pub async fn report_file(
    state: web::Data<AppState>,
    me: WebUser,
    route: web::Path<FileRoute>,
    query: web::Query<crate::app::reports::CopyQuery>,
) -> HttpResponse {
    let format = match route.format.as_str() {
        "html" => "html",
        "docx" => "docx",
        "pdf" => "pdf",
        _ => return not_found(),
    };
    match download_for(
        &state,
        &me,
        route.id,
        format,
        query.copy.unwrap_or_default(),
    )
    .await
    {
        Ok(file) => crate::http::download(file),
        Err(error) => super::error_page(&me, error),
    }
}
