//! POST, GET /evaluations; GET /evaluations/{id}.

use crate::app::access::{access_of, scheme_of};
use crate::app::error::{AppError, FieldError};
use crate::app::rectifications::RectificationView;
use crate::app::score::ScoreSummary;
use crate::app::views::OrganizationRef;
use crate::auth::extractor::AuthenticatedUser;
use crate::auth::permissions::{
    can_view_evaluation, can_view_station, ensure_can_set_up_station, evaluation_scope,
};
use crate::db::evaluations::{self as store, EvaluationDetail, NewEvaluation, STATION_PARTY};
use crate::db::{self, DbConnection, organizations, schemes, stations};
use crate::domain::access::EvaluationAccess;
use crate::domain::deadline::NextDeadline;
use crate::domain::evaluation::{Deadlines, Kind, PartyOrgs, date_problems, resolve_parties};
use crate::domain::next_step::{Progress, pending};
use crate::domain::organization::OrgKind;
use crate::domain::points::Points;
use crate::domain::scheme::Scheme;
use crate::domain::workflow::State;
use crate::state::AppState;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;
use validator::Validate;

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateEvaluation {
    pub agreement_id: i64,
    /// The scheme; its newest version is pinned for good.
    #[validate(length(min = 1, max = 64, message = "请选择评估方案"))]
    pub scheme_code: String,
    pub kind: Kind,
    pub assessment_start: NaiveDate,
    pub assessment_end: NaiveDate,
    /// Months to count, e.g. "6.50" where the first month counts half; absent: the calendar
    /// months the period touches.
    pub assessment_months: Option<Points>,
    pub onsite_date: NaiveDate,
    pub agency_org_id: i64,
    pub center_org_id: i64,
    /// Organizations of further scheme parties, by party code.
    #[serde(default)]
    pub party_orgs: BTreeMap<String, i64>,
    pub deadlines: Deadlines,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StationRef {
    pub id: i64,
    pub name: String,
    /// 所属区
    pub district: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SchemeRef {
    pub code: String,
    pub version: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PartyView {
    pub code: String,
    pub name: String,
    pub weight: Points,
    pub native_max: Points,
    pub gate: bool,
    /// The organization standing for the party; null while still to be named.
    pub organization: Option<OrganizationRef>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EvaluationView {
    pub id: i64,
    pub station: StationRef,
    pub agreement_id: i64,
    pub scheme: SchemeRef,
    pub kind: Kind,
    pub assessment_start: NaiveDate,
    pub assessment_end: NaiveDate,
    pub assessment_months: Option<Points>,
    pub onsite_date: NaiveDate,
    pub state: State,
    pub version: i64,
    pub parties: Vec<PartyView>,
    /// The operator running the station (it takes part, scoring nothing).
    pub station_operator: Option<OrganizationRef>,
    pub deadlines: BTreeMap<String, NaiveDate>,
    pub next_deadline: Option<NextDeadline>,
    /// What each party must do now (`domain::next_step`): the stage's work by its date, and the
    /// agency's steps that have none.
    pub next_steps: Vec<NextStep>,
    /// The total and grade, once every component is submitted and visible to the caller.
    pub score: Option<ScoreSummary>,
    /// The rectification items of the station's previous evaluation (整改情况), in the single
    /// view; absent when there are none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub previous_rectifications: Vec<RectificationView>,
}

/// One party's pending steps, as 我的待办 and the evaluation page say them.
#[derive(Debug, Serialize, ToSchema)]
pub struct NextStep {
    /// The scheme's party code, or `station`.
    pub party: String,
    pub organization: Option<OrganizationRef>,
    /// In words, e.g. "答复异议 2 条、提交民政局审定".
    pub what: String,
    pub due_on: Option<NaiveDate>,
    pub overdue: bool,
}

/// The total and grade as `user` may see them, for the view.
pub fn summary_of(
    conn: &mut DbConnection,
    user: &AuthenticatedUser,
    detail: &EvaluationDetail,
) -> Result<Option<ScoreSummary>, AppError> {
    let scheme = crate::app::access::scheme_of(detail)?;
    Ok(crate::app::score::score_of(conn, user, detail, &scheme)?.summary())
}

pub fn view(
    detail: EvaluationDetail,
    today: NaiveDate,
    score: Option<ScoreSummary>,
    acted: &Acted,
) -> Result<EvaluationView, AppError> {
    let scheme = crate::app::access::scheme_of(&detail)?;
    view_in(detail, &scheme, today, score, acted)
}

/// `view` with the evaluation's scheme already parsed (a list's `Schemes`).
fn view_in(
    detail: EvaluationDetail,
    scheme: &Scheme,
    today: NaiveDate,
    score: Option<ScoreSummary>,
    acted: &Acted,
) -> Result<EvaluationView, AppError> {
    let state = crate::app::access::state_of(&detail)?;
    let (next_deadline, pending) = acted.next(&detail, scheme, state, today);
    let row = detail.row;
    let kind = Kind::from_code(&row.kind)
        .ok_or_else(|| anyhow::anyhow!("evaluation {} has kind {}", row.id, row.kind))?;
    let org_of = |code: &str| {
        detail
            .parties
            .iter()
            .find(|(c, _)| c == code)
            .map(|(_, o)| OrganizationRef::from(o))
    };
    let parties = scheme
        .parties
        .iter()
        .map(|p| PartyView {
            code: p.code.clone(),
            name: p.name.clone(),
            weight: p.weight,
            native_max: p.native_max,
            gate: p.gate,
            organization: org_of(&p.code),
        })
        .collect();
    let next_steps = pending
        .into_iter()
        .map(|p| NextStep {
            what: p.words(),
            organization: org_of(&p.party),
            party: p.party,
            due_on: p.due_on,
            overdue: p.overdue,
        })
        .collect();
    Ok(EvaluationView {
        id: row.id,
        station: StationRef {
            id: row.station_id,
            name: detail.station_name,
            district: detail.station_district,
        },
        agreement_id: row.agreement_id,
        scheme: SchemeRef {
            code: row.scheme_code,
            version: row.scheme_version,
        },
        kind,
        assessment_start: row.assessment_start,
        assessment_end: row.assessment_end,
        assessment_months: row
            .assessment_months_hundredths
            .map(Points::from_hundredths),
        onsite_date: row.onsite_date,
        state,
        version: row.version,
        parties,
        station_operator: org_of(STATION_PARTY),
        deadlines: detail.deadlines.into_iter().collect(),
        next_deadline,
        next_steps,
        score,
        previous_rectifications: Vec::new(),
    })
}

/// Every party's next steps in the evaluation as stored now (`domain::next_step`): what a notice
/// written in the same transaction says is next.
pub fn pending_in(
    conn: &mut DbConnection,
    detail: &EvaluationDetail,
    scheme: &Scheme,
    today: NaiveDate,
) -> Result<Vec<crate::domain::next_step::Pending>, AppError> {
    let state = crate::app::access::state_of(detail)?;
    let (_, pending) = acted_in_one(conn, detail)?.next(detail, scheme, state, today);
    Ok(pending)
}

/// The agency's next steps in the evaluation as stored now (none when the scheme has no agency):
/// what the notices to the agency ask for.
pub fn agency_steps_in(
    conn: &mut DbConnection,
    detail: &EvaluationDetail,
    scheme: &Scheme,
    today: NaiveDate,
) -> Result<Vec<crate::domain::next_step::Step>, AppError> {
    let Some(agency) = scheme.third_party() else {
        return Ok(Vec::new());
    };
    Ok(pending_in(conn, detail, scheme, today)?
        .into_iter()
        .find(|p| p.party == agency.code)
        .map(|p| p.steps)
        .unwrap_or_default())
}

/// What the parties have done in an evaluation's current stage, as far as the next steps need.
#[derive(Debug, Clone, Default)]
pub struct Acted {
    /// The parties that acted in the stage (`db::evaluations::parties_done`).
    pub done: Vec<String>,
    pub unanswered_objections: usize,
}

impl Acted {
    /// The evaluation's next deadline and every party's next steps (`domain::next_step`), after
    /// what the parties have done.
    pub fn next(
        &self,
        detail: &EvaluationDetail,
        scheme: &Scheme,
        state: State,
        today: NaiveDate,
    ) -> (Option<NextDeadline>, Vec<crate::domain::next_step::Pending>) {
        let deadline = crate::app::access::next_deadline(detail, scheme, state, &self.done, today);
        let progress = Progress {
            experts_assigned: !detail.panel.is_empty(),
            unanswered_objections: self.unanswered_objections,
        };
        let steps = pending(state, deadline.as_ref(), progress, scheme);
        (deadline, steps)
    }
}

/// `Acted` of each of these evaluations, in two queries whatever their number.
pub fn acted_in(
    conn: &mut DbConnection,
    details: &[EvaluationDetail],
) -> Result<std::collections::HashMap<i64, Acted>, AppError> {
    let mut done = store::parties_done(conn, details)?;
    let ids: Vec<i64> = details.iter().map(|d| d.row.id).collect();
    let unanswered = crate::db::feedback::unanswered_of(conn, &ids)?;
    Ok(ids
        .into_iter()
        .map(|id| {
            let acted = Acted {
                done: done.remove(&id).unwrap_or_default(),
                unanswered_objections: unanswered.get(&id).copied().unwrap_or(0),
            };
            (id, acted)
        })
        .collect())
}

pub fn acted_in_one(conn: &mut DbConnection, detail: &EvaluationDetail) -> Result<Acted, AppError> {
    Ok(acted_in(conn, std::slice::from_ref(detail))?
        .remove(&detail.row.id)
        .unwrap_or_default())
}

/// Today where deadlines end (`server.timezone`).
pub fn today(state: &AppState) -> NaiveDate {
    state.settings.today()
}

/// Inserts one evaluation as `actor` in the caller's transaction: the agreement's station must
/// be one the actor sets up; dates, deadlines, scheme and parties are checked. Answers its id.
pub(crate) fn insert_in(
    conn: &mut db::DbConnection,
    actor: &AuthenticatedUser,
    body: &CreateEvaluation,
) -> Result<i64, AppError> {
    let agreement = stations::find_agreement(conn, body.agreement_id)?;
    let station = match &agreement {
        Some(a) => stations::find_row(conn, a.station_id)?,
        None => None,
    };
    let (Some(agreement), Some(station)) = (agreement, station) else {
        return Err(AppError::field("agreement_id", "服务协议不存在"));
    };
    if !can_view_station(conn, actor, &station)? {
        return Err(AppError::field("agreement_id", "服务协议不存在"));
    }
    ensure_can_set_up_station(actor, station.supervisor_org_id)?;

    let mut problems: Vec<FieldError> = Vec::new();
    let mut push =
        |(field, message): (String, String)| problems.push(FieldError::new(field, message));
    date_problems(
        body.assessment_start,
        body.assessment_end,
        body.onsite_date,
        (agreement.period_start, agreement.period_end),
    )
    .into_iter()
    .for_each(&mut push);
    body.deadlines
        .out_of_order()
        .into_iter()
        .for_each(&mut push);
    if let Some(months) = body.assessment_months
        && !(Points::from_hundredths(1)..=Points::from_hundredths(2400)).contains(&months)
    {
        push((
            "assessment_months".into(),
            "考核月数须在 0.01 到 24 之间".into(),
        ));
    }
    let scheme = match schemes::find(conn, &body.scheme_code, None)? {
        Some(row) => Some(row.scheme()?),
        None => {
            push(("scheme_code".into(), "评估方案不存在".into()));
            None
        }
    };
    let mut kinds = std::collections::HashMap::new();
    let mut ids: Vec<i64> = body.party_orgs.values().copied().collect();
    ids.extend([
        body.agency_org_id,
        body.center_org_id,
        station.supervisor_org_id,
        station.purchaser_org_id,
    ]);
    for id in ids {
        if let Some(org) = organizations::find(conn, id)? {
            kinds.insert(id, OrgKind::from_code(&org.kind));
        }
    }
    let kind_of = |id: i64| kinds.get(&id).copied().flatten();
    for (field, id, kind) in [
        (
            "agency_org_id",
            body.agency_org_id,
            OrgKind::EvaluationAgency,
        ),
        (
            "center_org_id",
            body.center_org_id,
            OrgKind::SupervisionCenter,
        ),
    ] {
        if kind_of(id) != Some(kind) {
            push((field.into(), format!("须为{}", kind.chinese_name())));
        }
    }
    let mut parties = Vec::new();
    if let Some(scheme) = &scheme {
        let orgs = PartyOrgs {
            supervisor: station.supervisor_org_id,
            purchaser: station.purchaser_org_id,
            agency: body.agency_org_id,
            center: body.center_org_id,
            extra: &body.party_orgs,
            kind_of: &kind_of,
        };
        match resolve_parties(scheme, &orgs) {
            Ok(resolved) => parties = resolved,
            Err(found) => found.into_iter().for_each(&mut push),
        }
    }
    // One message per field: the agency and center checks overlap the party rules.
    let mut seen = std::collections::HashSet::new();
    problems.retain(|p| seen.insert(p.field.clone()));
    let Some(scheme) = scheme.filter(|_| problems.is_empty()) else {
        return Err(AppError::Validation(problems));
    };
    let mut named: Vec<(String, i64)> = parties
        .into_iter()
        .filter_map(|(code, org)| org.map(|org| (code, org)))
        .collect();
    named.push((STATION_PARTY.to_owned(), station.operator_org_id));
    let new = NewEvaluation {
        agreement_id: agreement.id,
        station_id: station.id,
        scheme_code: &scheme.code,
        scheme_version: scheme.version,
        kind: body.kind.code(),
        assessment_start: body.assessment_start,
        assessment_end: body.assessment_end,
        assessment_months_hundredths: body.assessment_months.map(Points::hundredths),
        onsite_date: body.onsite_date,
        state: State::Setup.code(),
        created_by: actor.id,
        parties: &named,
        deadlines: body.deadlines,
    };
    let now = db::now();
    let id = store::insert(conn, &new, now)?;
    crate::db::audit::append(
        conn,
        &crate::db::audit::NewEntry {
            to_state: Some(State::Setup.code().into()),
            summary: format!(
                "创建{}（{} 第 {} 版）",
                body.kind.chinese_name(),
                scheme.code,
                scheme.version
            ),
            ..crate::db::audit::NewEntry::on_evaluation(
                id,
                (actor.id, actor.organization.id),
                "create",
                now,
            )
        },
    )?;
    crate::app::standing::refresh(conn, id)?;
    Ok(id)
}

/// Creates an evaluation as `me` (the API and the administration pages).
pub async fn create_for(
    state: &AppState,
    me: &AuthenticatedUser,
    body: CreateEvaluation,
) -> Result<EvaluationView, AppError> {
    let actor: AuthenticatedUser = me.clone();
    let today = today(state);
    let created = db::run(&state.pool, move |conn| {
        db::write_transaction(conn, |conn| {
            let id = insert_in(conn, &actor, &body)?;
            let created = store::find(conn, id)?
                .ok_or_else(|| AppError::from(anyhow::anyhow!("evaluation {id} vanished")))?;
            let previous = crate::app::rectifications::previous_items(conn, &created)?;
            let previous = crate::app::rectifications::views_of(conn, previous, today)?;
            Ok::<_, AppError>((created, previous))
        })
    })
    .await?;
    let (created, previous) = created;
    let mut view = view(created, today, None, &Acted::default())?;
    view.previous_rectifications = previous;
    Ok(view)
}

/// What a list is narrowed to: the stored conditions, and the two that depend on the caller —
/// the grade as they may see it, and whether the next deadline has passed today.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub stored: store::ListFilter,
    /// A grade band's code, e.g. `good`.
    pub grade: Option<String>,
    pub overdue: Option<bool>,
}

impl ListFilter {
    /// The conditions in SQL for `me`, today.
    pub fn for_caller(self, me: &AuthenticatedUser, today: NaiveDate) -> store::ListFilter {
        store::ListFilter {
            grade: self.grade,
            totals_early: crate::app::standing::sees_totals_early(me),
            overdue: self.overdue.map(|overdue| (overdue, today)),
            ..self.stored
        }
    }
}

/// `GET /evaluations`: a page of the evaluations the caller may see, narrowed by the filters of
/// DESIGN.md §8.
#[derive(Debug, Default, Deserialize, Validate, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EvaluationListQuery {
    /// Page number, from 1 (default 1).
    pub page: Option<u64>,
    /// Items per page (default 20, at most 100).
    pub per_page: Option<u64>,
    /// The station's district, e.g. 荔湾区.
    #[validate(length(max = 50, message = "所属区不能超过 50 个字符"))]
    pub district: Option<String>,
    /// The station's street, e.g. 西村街.
    #[validate(length(max = 50, message = "街道不能超过 50 个字符"))]
    pub street: Option<String>,
    pub station_id: Option<i64>,
    /// The year the assessment period starts in.
    #[validate(range(min = 2000, max = 2100, message = "年份须在 2000 到 2100 之间"))]
    pub year: Option<i32>,
    /// mid_term or final_term.
    pub kind: Option<String>,
    /// A workflow state: setup, self_assessment, onsite_scoring, draft_feedback, bureau_review,
    /// final, cancelled.
    pub state: Option<String>,
    /// Evaluations where this organization (an evaluation agency) is a party.
    pub agency_org_id: Option<i64>,
    /// Part of the station's name.
    #[validate(length(max = 50, message = "搜索内容不能超过 50 个字符"))]
    pub q: Option<String>,
    /// The order: id (default), station_name, onsite_date or assessment_start; a `-` first for
    /// descending, e.g. `-onsite_date`.
    pub sort: Option<String>,
    /// A grade band's code (`excellent`, `good`, `pass`, `fail` in guangzhou-2023): evaluations
    /// whose total the caller may see and which fall in that band.
    #[validate(length(min = 1, max = 32, message = "等级代码须为 1 到 32 个字符"))]
    pub grade: Option<String>,
    /// true: only those whose current deadline has passed; false: only the others.
    pub overdue: Option<bool>,
}

impl EvaluationListQuery {
    pub fn page(&self) -> crate::db::Page {
        crate::app::input::PageQuery {
            page: self.page,
            per_page: self.per_page,
        }
        .page()
    }

    /// The filter, or a 422 naming the parameter that names nothing.
    pub fn filter(&self) -> Result<ListFilter, AppError> {
        let text = |value: &Option<String>| {
            value
                .as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let mut errors = Vec::new();
        let kind = text(&self.kind);
        if kind
            .as_deref()
            .is_some_and(|k| Kind::from_code(k).is_none())
        {
            errors.push(FieldError::new(
                "kind",
                "评估类型只能是 mid_term 或 final_term",
            ));
        }
        let state = text(&self.state);
        if state
            .as_deref()
            .is_some_and(|s| State::from_code(s).is_none())
        {
            errors.push(FieldError::new("state", "没有这个评估阶段"));
        }
        let sort = match text(&self.sort) {
            None => store::ListSort::default(),
            Some(text) => store::ListSort::parse(&text).unwrap_or_else(|| {
                errors.push(FieldError::new(
                    "sort",
                    "排序只能是 id、station_name、onsite_date、assessment_start（前加 - 为倒序）",
                ));
                store::ListSort::default()
            }),
        };
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        let stored = store::ListFilter {
            station_id: self.station_id,
            district: text(&self.district),
            street: text(&self.street),
            year: self.year,
            kind,
            state,
            agency_org_id: self.agency_org_id,
            q: text(&self.q),
            sort,
            ..store::ListFilter::default()
        };
        Ok(ListFilter {
            stored,
            grade: text(&self.grade),
            overdue: self.overdue,
        })
    }
}

/// A page of the evaluations `me` may see, as views (for the API and the pages).
pub async fn list_for(
    state: &AppState,
    me: &AuthenticatedUser,
    filter: ListFilter,
    page: crate::db::Page,
) -> Result<(Vec<EvaluationView>, i64), AppError> {
    let filter = filter.for_caller(me, today(state));
    stored_page_for(state, me, filter, page).await
}

/// At most this many evaluations are looked at for what waits on one organization.
const WAITING_LIMIT: i64 = 500;

/// The active evaluations in which `me`'s organization has a next step (`domain::next_step`):
/// the head of 我的待办, overdue first, then by date, the steps without a date last. Experts act
/// on their panels' sheets, not for their organization: none for them.
pub async fn waiting_on_for(
    state: &AppState,
    me: &AuthenticatedUser,
) -> Result<Vec<EvaluationView>, AppError> {
    if me.role == crate::domain::user::Role::Expert {
        return Ok(Vec::new());
    }
    let org = me.organization.id;
    let filter = store::ListFilter {
        active_only: true,
        ..store::ListFilter::default()
    };
    let page = crate::db::Page {
        page: 1,
        per_page: WAITING_LIMIT,
    };
    let (views, _) =
        stored_page_in(state, me, store::Scope::Organization(org), filter, page).await?;
    let mut waiting: Vec<(EvaluationView, (bool, Option<NaiveDate>))> = views
        .into_iter()
        .filter_map(|view| {
            let own = view
                .next_steps
                .iter()
                .find(|s| s.organization.as_ref().is_some_and(|o| o.id == org))?;
            let key = (!own.overdue, own.due_on);
            Some((view, key))
        })
        .collect();
    waiting.sort_by_key(|(view, (in_time, due_on))| (*in_time, due_on.is_none(), *due_on, view.id));
    Ok(waiting.into_iter().map(|(view, _)| view).collect())
}

/// A page of the evaluations `me` may see under the stored conditions, and how many there are.
async fn stored_page_for(
    state: &AppState,
    me: &AuthenticatedUser,
    filter: store::ListFilter,
    page: crate::db::Page,
) -> Result<(Vec<EvaluationView>, i64), AppError> {
    stored_page_in(state, me, evaluation_scope(me), filter, page).await
}

/// A page of the evaluations in `scope` (no wider than what `me` may see) under the stored
/// conditions, and how many there are.
async fn stored_page_in(
    state: &AppState,
    me: &AuthenticatedUser,
    scope: store::Scope,
    filter: store::ListFilter,
    page: crate::db::Page,
) -> Result<(Vec<EvaluationView>, i64), AppError> {
    let user = me.clone();
    let (details, total, schemes) = db::run(&state.pool, move |conn| {
        let (details, total) = store::list(conn, &scope, &filter, page)?;
        let schemes = crate::app::access::Schemes::of_all(&details)?;
        let summaries = crate::app::score::summaries(conn, &user, &details, &schemes)?;
        let mut acted = acted_in(conn, &details)?;
        let details = details
            .into_iter()
            .zip(summaries)
            .map(|(d, summary)| {
                let acted = acted.remove(&d.row.id).unwrap_or_default();
                (d, summary, acted)
            })
            .collect::<Vec<_>>();
        Ok::<_, AppError>((details, total, schemes))
    })
    .await?;
    let today = today(state);
    let items = details
        .into_iter()
        .map(|(d, summary, acted)| {
            let scheme = schemes.of(&d)?;
            view_in(d, scheme, today, summary, &acted)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((items, total))
}

/// A station's evaluations over the years that `me` may see, oldest first by number (404 for a
/// station `me` may not see): the station's history, with totals and grades as the score view
/// shows them.
pub async fn station_evaluations_for(
    state: &AppState,
    me: &AuthenticatedUser,
    station_id: i64,
    page: crate::db::Page,
) -> Result<(Vec<EvaluationView>, i64), AppError> {
    let user = me.clone();
    db::run(&state.pool, move |conn| {
        let station = stations::find_row(conn, station_id)?;
        match station {
            Some(station) if can_view_station(conn, &user, &station)? => Ok(()),
            _ => Err(AppError::NotFound("社工站")),
        }
    })
    .await?;
    let filter = store::ListFilter {
        station_id: Some(station_id),
        ..store::ListFilter::default()
    };
    stored_page_for(state, me, filter, page).await
}

/// One evaluation as a user sees it, with what they may do in it: what the pages render.
pub struct EvaluationContext {
    pub view: EvaluationView,
    pub access: EvaluationAccess,
}

/// The evaluation's view as `me` may see it (404 otherwise): for the API.
pub async fn find_for(
    state: &AppState,
    me: &AuthenticatedUser,
    id: i64,
) -> Result<EvaluationView, AppError> {
    Ok(context_for(state, me, id).await?.view)
}

/// The evaluation's view and the caller's access to it, read together (404 when not visible).
pub async fn context_for(
    state: &AppState,
    me: &AuthenticatedUser,
    id: i64,
) -> Result<EvaluationContext, AppError> {
    let user = me.clone();
    let today = today(state);
    db::run(&state.pool, move |conn| {
        context_on(conn, &user, id, today).map(|(_, context)| context)
    })
    .await
}

/// The evaluation as `user` may see it (404 otherwise), with its view and the user's access:
/// what every page of it starts from. Answers the loaded evaluation too, for further reads.
pub fn context_on(
    conn: &mut DbConnection,
    user: &AuthenticatedUser,
    id: i64,
    today: NaiveDate,
) -> Result<(EvaluationDetail, EvaluationContext), AppError> {
    let detail = store::find(conn, id)?
        .filter(|d| can_view_evaluation(user, d))
        .ok_or(AppError::NotFound("评估"))?;
    let access = access_of(user, &detail, &scheme_of(&detail)?);
    let summary = summary_of(conn, user, &detail)?;
    let previous = crate::app::rectifications::previous_items(conn, &detail)?;
    let previous = crate::app::rectifications::views_of(conn, previous, today)?;
    let acted = acted_in_one(conn, &detail)?;
    let mut found = view(detail.clone(), today, summary, &acted)?;
    found.previous_rectifications = previous;
    Ok((
        detail,
        EvaluationContext {
            view: found,
            access,
        },
    ))
}

/// `PATCH /evaluations/{id}`: the on-site date and the months counted, set by the organizers
/// (DESIGN.md §8) until on-site scoring ends — a batch's stations get their dates this way.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeEvaluation {
    pub onsite_date: Option<NaiveDate>,
    /// Months to count, e.g. "6.50"; absent, as they are.
    pub assessment_months: Option<Points>,
    /// The version this change is based on (or send If-Match).
    pub version: Option<i64>,
}

pub async fn change_for(
    state: &AppState,
    me: &AuthenticatedUser,
    id: i64,
    body: ChangeEvaluation,
    expected: Option<i64>,
) -> Result<EvaluationView, AppError> {
    let user = me.clone();
    let today = today(state);
    db::run(&state.pool, move |conn| {
        crate::app::standing::evaluation_write(conn, id, |conn| {
            let detail = crate::app::access::organizer_write(
                conn,
                &user,
                id,
                expected,
                "只有评估机构或区民政局的负责人可以修改现场评估日期",
            )?;
            let current = crate::app::access::state_of(&detail)?;
            if !matches!(
                current,
                State::Setup | State::SelfAssessment | State::OnsiteScoring
            ) {
                return Err(AppError::TransitionRefused {
                    detail: "现场评估阶段结束后，现场评估日期和考核月数不能再修改".into(),
                    missing: vec![],
                });
            }
            let row = &detail.row;
            let onsite = body.onsite_date.unwrap_or(row.onsite_date);
            let months = match body.assessment_months {
                Some(m) => Some(m.hundredths()),
                None => row.assessment_months_hundredths,
            };
            let mut problems = Vec::new();
            if onsite < row.assessment_end {
                problems.push(FieldError::new(
                    "onsite_date",
                    "现场评估日期不能早于考核期结束日期",
                ));
            }
            if months.is_some_and(|m| !(1..=2400).contains(&m)) {
                problems.push(FieldError::new(
                    "assessment_months",
                    "考核月数须在 0.01 到 24 之间",
                ));
            }
            if !problems.is_empty() {
                return Err(AppError::Validation(problems));
            }
            let now = db::now();
            if store::bump_version(conn, id, row.version, now)? == 0 {
                return Err(AppError::StaleVersion {
                    current: store::current_version(conn, id)?,
                });
            }
            store::set_dates(conn, id, onsite, months)?;
            let months_text = months.map_or("按自然月计".to_owned(), |m| {
                format!("{} 个月", Points::from_hundredths(m))
            });
            crate::db::audit::append(
                conn,
                &crate::db::audit::NewEntry {
                    summary: format!("现场评估日期 {onsite}，考核月数 {months_text}"),
                    ..crate::db::audit::NewEntry::on_evaluation(
                        id,
                        (user.id, user.organization.id),
                        "change_dates",
                        now,
                    )
                },
            )?;
            context_on(conn, &user, id, today).map(|(_, context)| context.view)
        })
    })
    .await
}
