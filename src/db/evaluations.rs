//! Evaluations with their parties and stage deadlines. A page is a fixed number of queries.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::DbConnection;
use super::organizations::OrganizationRow;
use super::schema::{
    deadline_extensions, evaluation_deadlines, evaluation_parties, evaluations, organizations,
    panel, schemes, stations,
};
use crate::db::Page;
use crate::domain::evaluation::{Deadlines, Stage};

pub use crate::domain::evaluation::STATION_PARTY;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = evaluations)]
pub struct EvaluationRow {
    pub id: i64,
    pub agreement_id: i64,
    pub station_id: i64,
    pub scheme_code: String,
    pub scheme_version: i64,
    pub kind: String,
    pub assessment_start: NaiveDate,
    pub assessment_end: NaiveDate,
    pub assessment_months_hundredths: Option<i64>,
    pub onsite_date: NaiveDate,
    pub state: String,
    pub version: i64,
    pub created_by: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub struct NewEvaluation<'a> {
    pub agreement_id: i64,
    pub station_id: i64,
    pub scheme_code: &'a str,
    pub scheme_version: i64,
    pub kind: &'a str,
    pub assessment_start: NaiveDate,
    pub assessment_end: NaiveDate,
    pub assessment_months_hundredths: Option<i64>,
    pub onsite_date: NaiveDate,
    pub state: &'a str,
    pub created_by: i64,
    /// Scheme party code → organization; the operator is added as `STATION_PARTY`.
    pub parties: &'a [(String, i64)],
    pub deadlines: Deadlines,
}

pub fn insert(
    conn: &mut DbConnection,
    new: &NewEvaluation,
    now: NaiveDateTime,
) -> QueryResult<i64> {
    let id: i64 = diesel::insert_into(evaluations::table)
        .values((
            evaluations::agreement_id.eq(new.agreement_id),
            evaluations::station_id.eq(new.station_id),
            evaluations::scheme_code.eq(new.scheme_code),
            evaluations::scheme_version.eq(new.scheme_version),
            evaluations::kind.eq(new.kind),
            evaluations::assessment_start.eq(new.assessment_start),
            evaluations::assessment_end.eq(new.assessment_end),
            evaluations::assessment_months_hundredths.eq(new.assessment_months_hundredths),
            evaluations::onsite_date.eq(new.onsite_date),
            evaluations::state.eq(new.state),
            evaluations::created_by.eq(new.created_by),
            evaluations::created_at.eq(now),
            evaluations::updated_at.eq(now),
        ))
        .returning(evaluations::id)
        .get_result(conn)?;
    for (code, org) in new.parties {
        diesel::insert_into(evaluation_parties::table)
            .values((
                evaluation_parties::evaluation_id.eq(id),
                evaluation_parties::party_code.eq(code),
                evaluation_parties::org_id.eq(org),
            ))
            .execute(conn)?;
    }
    for stage in crate::domain::evaluation::Stage::ALL {
        diesel::insert_into(evaluation_deadlines::table)
            .values((
                evaluation_deadlines::evaluation_id.eq(id),
                evaluation_deadlines::stage.eq(stage.code()),
                evaluation_deadlines::due_on.eq(new.deadlines.get(stage)),
            ))
            .execute(conn)?;
    }
    Ok(id)
}

/// Which evaluations a caller sees.
#[derive(Debug, Clone)]
pub enum Scope {
    All,
    /// Those a district bureau of the city (所在市) takes part in.
    City(String),
    /// Those where the organization is a party.
    Organization(i64),
    /// Those the expert is on the panel of.
    Expert(i64),
    Nothing,
}

#[derive(Debug, Clone)]
pub struct EvaluationDetail {
    pub row: EvaluationRow,
    pub station_name: String,
    /// The district (区) of the station, for the lists' filter.
    pub station_district: String,
    /// Party code → organization.
    pub parties: Vec<(String, OrganizationRow)>,
    pub deadlines: HashMap<String, NaiveDate>,
    /// The experts on the third party's panel.
    pub panel: Vec<i64>,
    /// (stage, party) → the latest date granted to that party by an extension.
    pub party_extensions: HashMap<(String, String), NaiveDate>,
    /// The pinned scheme document.
    pub scheme_document: String,
}

pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<EvaluationDetail>> {
    let rows = evaluations::table
        .inner_join(stations::table)
        .filter(evaluations::id.eq(id))
        .select((
            EvaluationRow::as_select(),
            stations::name,
            stations::district,
        ))
        .load(conn)?;
    Ok(details(conn, rows)?.into_iter().next())
}

pub fn org_takes_part(
    conn: &mut DbConnection,
    evaluation_id: i64,
    org_id: i64,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        evaluation_parties::table
            .filter(evaluation_parties::evaluation_id.eq(evaluation_id))
            .filter(evaluation_parties::org_id.eq(org_id)),
    ))
    .get_result(conn)
}

/// What a list of evaluations is narrowed to (DESIGN.md §8), within the caller's scope; each
/// condition is checked in SQL, so a page stays a page.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub station_id: Option<i64>,
    pub district: Option<String>,
    pub street: Option<String>,
    /// The year the assessment period starts in.
    pub year: Option<i32>,
    pub kind: Option<String>,
    pub state: Option<String>,
    /// Only the evaluations in a state where some party still acts (not final, not cancelled).
    pub active_only: bool,
    /// Evaluations where this organization (an agency) is a party.
    pub agency_org_id: Option<i64>,
    /// Part of the station's name.
    pub q: Option<String>,
    /// A grade band's code: the stored grade, where the caller sees the total (`totals_early`,
    /// or from issue_draft on).
    pub grade: Option<String>,
    /// The caller sees totals before the draft is issued (`app::standing::sees_totals_early`).
    pub totals_early: bool,
    /// Whether the next deadline has passed as of the date given.
    pub overdue: Option<(bool, NaiveDate)>,
    pub sort: ListSort,
}

/// The order of a list; ties go by id.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ListSort {
    /// Oldest first.
    #[default]
    Id,
    Newest,
    Station,
    StationDescending,
    OnsiteDate,
    OnsiteDateDescending,
    AssessmentStart,
    AssessmentStartDescending,
}

impl ListSort {
    /// `station_name`, `-station_name`, `onsite_date`, `assessment_start`, `id` (a `-` first: descending).
    pub fn parse(text: &str) -> Option<ListSort> {
        Some(match text {
            "id" => ListSort::Id,
            "-id" => ListSort::Newest,
            "station_name" => ListSort::Station,
            "-station_name" => ListSort::StationDescending,
            "onsite_date" => ListSort::OnsiteDate,
            "-onsite_date" => ListSort::OnsiteDateDescending,
            "assessment_start" => ListSort::AssessmentStart,
            "-assessment_start" => ListSort::AssessmentStartDescending,
            _ => return None,
        })
    }
}

/// `%text%` for LIKE, with the pattern characters of the text taken literally.
fn contains_pattern(text: &str) -> String {
    let escaped = text
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// The evaluations under `scope` and `filter`, as a boxed query on evaluations joined with
/// their stations (whatever it selects); None when nothing can match. One place for the
/// conditions of the list, its count, the summary workbook and the dashboards.
macro_rules! narrowed {
    ($query:expr, $scope:expr, $filter:expr) => {{
        let filter: &ListFilter = $filter;
        let mut query = $query;
        let mut nothing = false;
        if let Some(station) = filter.station_id {
            query = query.filter(evaluations::station_id.eq(station));
        }
        // The station's conditions as subqueries, so that a query need not join stations
        // (aliased: the query may join stations itself).
        let of_station = diesel::alias!(stations as of_station);
        if let Some(district) = &filter.district {
            query = query.filter(
                evaluations::station_id.eq_any(
                    of_station
                        .filter(of_station.field(stations::district).eq(district.clone()))
                        .select(of_station.field(stations::id)),
                ),
            );
        }
        if let Some(street) = &filter.street {
            query = query.filter(
                evaluations::station_id.eq_any(
                    of_station
                        .filter(of_station.field(stations::street).eq(street.clone()))
                        .select(of_station.field(stations::id)),
                ),
            );
        }
        if let Some(q) = &filter.q {
            query = query.filter(
                evaluations::station_id.eq_any(
                    of_station
                        .filter(
                            of_station
                                .field(stations::name)
                                .like(contains_pattern(q))
                                .escape('\\'),
                        )
                        .select(of_station.field(stations::id)),
                ),
            );
        }
        if let Some(year) = filter.year {
            match (
                NaiveDate::from_ymd_opt(year, 1, 1),
                NaiveDate::from_ymd_opt(year.saturating_add(1), 1, 1),
            ) {
                (Some(from), Some(to)) => {
                    query = query
                        .filter(evaluations::assessment_start.ge(from))
                        .filter(evaluations::assessment_start.lt(to));
                }
                _ => nothing = true,
            }
        }
        if let Some(kind) = &filter.kind {
            query = query.filter(evaluations::kind.eq(kind.clone()));
        }
        if let Some(state) = &filter.state {
            query = query.filter(evaluations::state.eq(state.clone()));
        }
        if filter.active_only {
            query = query.filter(evaluations::state.eq_any(active_states()));
        }
        if let Some(agency) = filter.agency_org_id {
            query = query.filter(
                evaluations::id.eq_any(
                    evaluation_parties::table
                        .filter(evaluation_parties::org_id.eq(agency))
                        .select(evaluation_parties::evaluation_id),
                ),
            );
        }
        if let Some(grade) = &filter.grade {
            query = query.filter(evaluations::grade_code.eq(grade.clone()));
            if !filter.totals_early {
                query = query.filter(evaluations::state.eq_any(issued_states()));
            }
        }
        if let Some((overdue, today)) = filter.overdue {
            query = if overdue {
                query.filter(evaluations::due_on.lt(today))
            } else {
                query.filter(
                    evaluations::due_on
                        .is_null()
                        .or(evaluations::due_on.ge(today)),
                )
            };
        }
        match $scope {
            Scope::All => {}
            Scope::City(city) => {
                query = query.filter(
                    evaluations::id.eq_any(
                        evaluation_parties::table
                            .filter(evaluation_parties::org_id.eq_any(
                                crate::db::organizations::city_bureaus(
                                    city,
                                    crate::domain::organization::OrgKind::CivilAffairsBureau.code(),
                                ),
                            ))
                            .select(evaluation_parties::evaluation_id),
                    ),
                );
            }
            Scope::Organization(org) => {
                let org = *org;
                query = query.filter(
                    evaluations::id.eq_any(
                        evaluation_parties::table
                            .filter(evaluation_parties::org_id.eq(org))
                            .select(evaluation_parties::evaluation_id),
                    ),
                );
            }
            Scope::Expert(user) => {
                let user = *user;
                query = query.filter(
                    evaluations::id.eq_any(
                        panel::table
                            .filter(panel::expert_id.eq(user))
                            .select(panel::evaluation_id),
                    ),
                );
            }
            Scope::Nothing => nothing = true,
        }
        (!nothing).then_some(query)
    }};
}

/// The states in which some party still acts.
pub fn active_states() -> Vec<&'static str> {
    use crate::domain::workflow::State;
    State::ALL
        .into_iter()
        .filter(|s| !matches!(s, State::Final | State::Cancelled))
        .map(|s| s.code())
        .collect()
}

/// The states in which every party sees the total (from issue_draft on).
pub fn issued_states() -> Vec<&'static str> {
    crate::domain::workflow::State::ALL
        .into_iter()
        .filter(|s| s.draft_issued())
        .map(|s| s.code())
        .collect()
}

pub fn list(
    conn: &mut DbConnection,
    scope: &Scope,
    filter: &ListFilter,
    page: Page,
) -> QueryResult<(Vec<EvaluationDetail>, i64)> {
    // Counted and paged on the evaluations alone (no join but for a sort by station), then
    // only the page's rows are loaded whole: a deep page costs an index walk, not joins.
    let Some(count) = narrowed!(evaluations::table.into_boxed(), scope, filter) else {
        return Ok((Vec::new(), 0));
    };
    let total: i64 = count.count().get_result(conn)?;
    if page.offset() >= total {
        return Ok((Vec::new(), total));
    }
    let ids: Vec<i64> = match filter.sort {
        ListSort::Station | ListSort::StationDescending => {
            let joined = evaluations::table.inner_join(stations::table).into_boxed();
            let Some(rows) = narrowed!(joined, scope, filter) else {
                return Ok((Vec::new(), total));
            };
            let rows = rows
                .select(evaluations::id)
                .limit(page.per_page)
                .offset(page.offset());
            if filter.sort == ListSort::Station {
                rows.order((stations::name, evaluations::id)).load(conn)?
            } else {
                rows.order((stations::name.desc(), evaluations::id))
                    .load(conn)?
            }
        }
        sort => {
            let Some(rows) = narrowed!(evaluations::table.into_boxed(), scope, filter) else {
                return Ok((Vec::new(), total));
            };
            let rows = rows
                .select(evaluations::id)
                .limit(page.per_page)
                .offset(page.offset());
            match sort {
                ListSort::Newest => rows.order(evaluations::id.desc()),
                ListSort::OnsiteDate => rows.order((evaluations::onsite_date, evaluations::id)),
                ListSort::OnsiteDateDescending => {
                    rows.order((evaluations::onsite_date.desc(), evaluations::id))
                }
                ListSort::AssessmentStart => {
                    rows.order((evaluations::assessment_start, evaluations::id))
                }
                ListSort::AssessmentStartDescending => {
                    rows.order((evaluations::assessment_start.desc(), evaluations::id))
                }
                _ => rows.order(evaluations::id),
            }
            .load(conn)?
        }
    };
    let position: HashMap<i64, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    let mut found = details_of(conn, &ids)?;
    found.sort_by_key(|d| position.get(&d.row.id).copied().unwrap_or(usize::MAX));
    Ok((found, total))
}

fn details(
    conn: &mut DbConnection,
    rows: Vec<(EvaluationRow, String, String)>,
) -> QueryResult<Vec<EvaluationDetail>> {
    let ids: Vec<i64> = rows.iter().map(|(r, _, _)| r.id).collect();
    let mut parties: HashMap<i64, Vec<(String, OrganizationRow)>> = HashMap::new();
    // The parties, then their organizations, each by key: a join here let PostgreSQL hash the
    // whole organizations table for a page of evaluations.
    let party_rows: Vec<(i64, String, i64)> = evaluation_parties::table
        .filter(evaluation_parties::evaluation_id.eq_any(&ids))
        .order((
            evaluation_parties::evaluation_id,
            evaluation_parties::party_code,
        ))
        .select((
            evaluation_parties::evaluation_id,
            evaluation_parties::party_code,
            evaluation_parties::org_id,
        ))
        .load(conn)?;
    let mut org_ids: Vec<i64> = party_rows.iter().map(|(_, _, org)| *org).collect();
    org_ids.sort_unstable();
    org_ids.dedup();
    let orgs: HashMap<i64, OrganizationRow> = organizations::table
        .filter(organizations::id.eq_any(&org_ids))
        .select(OrganizationRow::as_select())
        .load::<OrganizationRow>(conn)?
        .into_iter()
        .map(|org| (org.id, org))
        .collect();
    for (evaluation, code, org) in party_rows {
        if let Some(org) = orgs.get(&org) {
            parties
                .entry(evaluation)
                .or_default()
                .push((code, org.clone()));
        }
    }
    let mut deadlines: HashMap<i64, HashMap<String, NaiveDate>> = HashMap::new();
    let deadline_rows: Vec<(i64, String, NaiveDate)> = evaluation_deadlines::table
        .filter(evaluation_deadlines::evaluation_id.eq_any(&ids))
        .select((
            evaluation_deadlines::evaluation_id,
            evaluation_deadlines::stage,
            evaluation_deadlines::due_on,
        ))
        .load(conn)?;
    for (evaluation, stage, due) in deadline_rows {
        deadlines.entry(evaluation).or_default().insert(stage, due);
    }
    let mut party_extensions: HashMap<i64, HashMap<(String, String), NaiveDate>> = HashMap::new();
    let extension_rows: Vec<(i64, String, Option<String>, NaiveDate)> = deadline_extensions::table
        .filter(deadline_extensions::evaluation_id.eq_any(&ids))
        .filter(deadline_extensions::party_code.is_not_null())
        .order(deadline_extensions::id.asc())
        .select((
            deadline_extensions::evaluation_id,
            deadline_extensions::stage,
            deadline_extensions::party_code,
            deadline_extensions::new_date,
        ))
        .load(conn)?;
    // In grant order, so the latest grant for a (stage, party) is the one kept.
    for (evaluation, stage, party, date) in extension_rows {
        if let Some(party) = party {
            party_extensions
                .entry(evaluation)
                .or_default()
                .insert((stage, party), date);
        }
    }
    let mut panels: HashMap<i64, Vec<i64>> = HashMap::new();
    let panel_rows: Vec<(i64, i64)> = panel::table
        .filter(panel::evaluation_id.eq_any(&ids))
        .select((panel::evaluation_id, panel::expert_id))
        .load(conn)?;
    for (evaluation, expert) in panel_rows {
        panels.entry(evaluation).or_default().push(expert);
    }
    let codes: Vec<String> = rows.iter().map(|(r, _, _)| r.scheme_code.clone()).collect();
    let documents: HashMap<(String, i64), String> = schemes::table
        .filter(schemes::code.eq_any(&codes))
        .select((schemes::code, schemes::version, schemes::document))
        .load::<(String, i64, String)>(conn)?
        .into_iter()
        .map(|(code, version, document)| ((code, version), document))
        .collect();
    Ok(rows
        .into_iter()
        .map(|(row, station_name, station_district)| EvaluationDetail {
            station_name,
            station_district,
            parties: parties.remove(&row.id).unwrap_or_default(),
            deadlines: deadlines.remove(&row.id).unwrap_or_default(),
            party_extensions: party_extensions.remove(&row.id).unwrap_or_default(),
            panel: panels.remove(&row.id).unwrap_or_default(),
            scheme_document: documents
                .get(&(row.scheme_code.clone(), row.scheme_version))
                .cloned()
                .unwrap_or_default(),
            row,
        })
        .collect())
}

/// Moves an evaluation from `from` to `to` if it is still at `version`; 1 row, or 0 when
/// another write came first.
pub fn advance(
    conn: &mut DbConnection,
    id: i64,
    from: &str,
    version: i64,
    to: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(evaluations::table)
        .filter(evaluations::id.eq(id))
        .filter(evaluations::state.eq(from))
        .filter(evaluations::version.eq(version))
        .set((
            evaluations::state.eq(to),
            evaluations::version.eq(version + 1),
            evaluations::updated_at.eq(now),
        ))
        .execute(conn)
}

impl EvaluationDetail {
    /// The detail as a successful `advance` left it, without reading it again.
    pub fn advanced(mut self, to: &str, now: NaiveDateTime) -> EvaluationDetail {
        self.row.state = to.to_owned();
        self.row.version += 1;
        self.row.updated_at = now;
        self
    }
}

/// Claims the evaluation for a write that keeps its state: bumps the version if it is still
/// `version`. Serializes writers of the evaluation and its audit chain.
pub fn bump_version(
    conn: &mut DbConnection,
    id: i64,
    version: i64,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(evaluations::table)
        .filter(evaluations::id.eq(id))
        .filter(evaluations::version.eq(version))
        .set((
            evaluations::version.eq(version + 1),
            evaluations::updated_at.eq(now),
        ))
        .execute(conn)
}

/// Locks the evaluation's row until the transaction ends (PostgreSQL; SQLite's immediate
/// transaction holds the whole database). An id that names nothing locks nothing.
pub fn lock(conn: &mut DbConnection, id: i64) -> QueryResult<()> {
    if let DbConnection::Postgres(pg) = conn {
        evaluations::table
            .find(id)
            .select(evaluations::id)
            .for_update()
            .load::<i64>(pg)?;
    }
    Ok(())
}

/// Takes the next version whatever it is: for writes that carry no version (a file upload) but
/// must still serialize with the evaluation's other writers and its audit chain.
pub fn touch(conn: &mut DbConnection, id: i64, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(evaluations::table.find(id))
        .set((
            evaluations::version.eq(evaluations::version + 1),
            evaluations::updated_at.eq(now),
        ))
        .execute(conn)
}

pub fn current_version(conn: &mut DbConnection, id: i64) -> QueryResult<i64> {
    evaluations::table
        .find(id)
        .select(evaluations::version)
        .first(conn)
}

/// Waits for the evaluation's row lock without changing the row (PostgreSQL; SQLite's write
/// transaction already holds the database): for jobs that must not run beside the evaluation's
/// other writers but must not bump its version either.
pub fn lock_row(conn: &mut DbConnection, id: i64) -> QueryResult<()> {
    if let DbConnection::Postgres(pg) = conn {
        evaluations::table
            .find(id)
            .select(evaluations::id)
            .for_update()
            .first::<i64>(pg)
            .optional()?;
    }
    Ok(())
}

/// The evaluations of the stations of that name, with their states (the demo's, found again).
pub fn of_stations_named(
    conn: &mut DbConnection,
    station_name: &str,
) -> QueryResult<Vec<(i64, String)>> {
    evaluations::table
        .inner_join(stations::table)
        .filter(stations::name.eq(station_name))
        .select((evaluations::id, evaluations::state))
        .order(evaluations::id)
        .load(conn)
}

/// For the evaluations in onsite scoring or draft feedback, the parties that have done their
/// part of the stage: a submitted component, or feedback on the latest draft. Three queries
/// whatever the number of evaluations (a list's "waiting on").
pub fn parties_done(
    conn: &mut DbConnection,
    details: &[EvaluationDetail],
) -> QueryResult<HashMap<i64, Vec<String>>> {
    use super::schema::{components, feedback, reports};
    let in_state = |state: &str| -> Vec<i64> {
        details
            .iter()
            .filter(|d| d.row.state == state)
            .map(|d| d.row.id)
            .collect()
    };
    let (scoring, answering) = (
        in_state(Stage::OnsiteScoring.code()),
        in_state(Stage::DraftFeedback.code()),
    );
    let mut done: HashMap<i64, Vec<String>> = HashMap::new();
    if !scoring.is_empty() {
        let submitted: Vec<(i64, String)> = components::table
            .filter(components::evaluation_id.eq_any(&scoring))
            .filter(components::status.eq("submitted"))
            .select((components::evaluation_id, components::party_code))
            .load(conn)?;
        for (id, party) in submitted {
            done.entry(id).or_default().push(party);
        }
    }
    if !answering.is_empty() {
        let versions: Vec<(i64, i64)> = reports::table
            .filter(reports::evaluation_id.eq_any(&answering))
            .select((reports::evaluation_id, reports::version))
            .load(conn)?;
        let mut latest: HashMap<i64, i64> = HashMap::new();
        for (id, version) in versions {
            let entry = latest.entry(id).or_insert(version);
            *entry = (*entry).max(version);
        }
        let heard: Vec<(i64, i64, String)> = feedback::table
            .inner_join(reports::table)
            .filter(feedback::evaluation_id.eq_any(&answering))
            .select((
                feedback::evaluation_id,
                reports::version,
                feedback::party_code,
            ))
            .load(conn)?;
        for (id, version, party) in heard {
            if latest.get(&id) == Some(&version) {
                done.entry(id).or_default().push(party);
            }
        }
    }
    Ok(done)
}

/// An evaluation of the station of this kind whose period overlaps [start, end], if any.
pub fn of_kind_overlapping(
    conn: &mut DbConnection,
    station_id: i64,
    kind: &str,
    start: NaiveDate,
    end: NaiveDate,
) -> QueryResult<Option<i64>> {
    evaluations::table
        .filter(evaluations::station_id.eq(station_id))
        .filter(evaluations::kind.eq(kind))
        .filter(evaluations::state.ne(crate::domain::workflow::State::Cancelled.code()))
        .filter(evaluations::assessment_start.le(end))
        .filter(evaluations::assessment_end.ge(start))
        .select(evaluations::id)
        .first(conn)
        .optional()
}

/// Sets the on-site date and the months counted.
pub fn set_dates(
    conn: &mut DbConnection,
    id: i64,
    onsite_date: NaiveDate,
    months_hundredths: Option<i64>,
) -> QueryResult<usize> {
    diesel::update(evaluations::table.find(id))
        .set((
            evaluations::onsite_date.eq(onsite_date),
            evaluations::assessment_months_hundredths.eq(months_hundredths),
        ))
        .execute(conn)
}

/// The stored standing of an evaluation (`app::standing`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standing {
    pub total_hundredths: Option<i64>,
    pub grade_code: Option<String>,
    pub due_on: Option<NaiveDate>,
    /// Codes separated by commas.
    pub weak_indicators: String,
    /// `domain::programme::Figures` as JSON.
    pub figures: String,
}

/// Stores the standing; neither the version nor the time of the last change moves.
pub fn set_standing(
    conn: &mut DbConnection,
    id: i64,
    standing: &Standing,
    rules: i32,
) -> QueryResult<usize> {
    diesel::update(evaluations::table.find(id))
        .set((
            evaluations::total_hundredths.eq(standing.total_hundredths),
            evaluations::grade_code.eq(&standing.grade_code),
            evaluations::due_on.eq(standing.due_on),
            evaluations::weak_indicators.eq(&standing.weak_indicators),
            evaluations::figures.eq(&standing.figures),
            evaluations::standing_version.eq(rules),
        ))
        .execute(conn)
}

/// Evaluations whose standing was stored under rules older than `rules`, at most `limit`.
pub fn stale_standings(conn: &mut DbConnection, rules: i32, limit: i64) -> QueryResult<Vec<i64>> {
    evaluations::table
        .filter(evaluations::standing_version.lt(rules))
        .order(evaluations::id)
        .select(evaluations::id)
        .limit(limit)
        .load(conn)
}

/// One evaluation as the programme's summaries read it: its station, state and stored standing.
#[derive(Debug, Clone, Queryable)]
pub struct StandingRecord {
    pub id: i64,
    pub station_id: i64,
    pub station_name: String,
    pub district: String,
    pub street: String,
    pub kind: String,
    pub state: String,
    pub assessment_start: NaiveDate,
    pub assessment_end: NaiveDate,
    pub scheme_code: String,
    pub scheme_version: i64,
    pub total_hundredths: Option<i64>,
    pub grade_code: Option<String>,
    pub due_on: Option<NaiveDate>,
    pub weak_indicators: String,
}

macro_rules! standing_columns {
    () => {
        (
            evaluations::id,
            evaluations::station_id,
            stations::name,
            stations::district,
            stations::street,
            evaluations::kind,
            evaluations::state,
            evaluations::assessment_start,
            evaluations::assessment_end,
            evaluations::scheme_code,
            evaluations::scheme_version,
            evaluations::total_hundredths,
            evaluations::grade_code,
            evaluations::due_on,
            evaluations::weak_indicators,
        )
    };
}

/// The standings of the evaluations under `scope` and `filter`, by id; at most `limit`.
pub fn standings(
    conn: &mut DbConnection,
    scope: &Scope,
    filter: &ListFilter,
    limit: i64,
) -> QueryResult<Vec<StandingRecord>> {
    let joined = evaluations::table.inner_join(stations::table).into_boxed();
    let Some(query) = narrowed!(joined, scope, filter) else {
        return Ok(Vec::new());
    };
    query
        .select(standing_columns!())
        .order(evaluations::id)
        .limit(limit)
        .load(conn)
}

/// The graded evaluations of these stations under `scope`, in any year: the history a
/// station's latest grade is compared with.
pub fn graded_of_stations(
    conn: &mut DbConnection,
    scope: &Scope,
    station_ids: &[i64],
) -> QueryResult<Vec<StandingRecord>> {
    let mut found = Vec::new();
    let filter = ListFilter::default();
    for chunk in station_ids.chunks(ID_CHUNK) {
        let joined = evaluations::table.inner_join(stations::table).into_boxed();
        let Some(query) = narrowed!(joined, scope, &filter) else {
            return Ok(Vec::new());
        };
        found.extend(
            query
                .filter(evaluations::station_id.eq_any(chunk))
                .filter(evaluations::grade_code.is_not_null())
                .select(standing_columns!())
                .load::<StandingRecord>(conn)?,
        );
    }
    Ok(found)
}

/// At most this many ids in one `IN` list.
pub const ID_CHUNK: usize = 500;

/// The organization of a kind that takes part in each of these evaluations (e.g. the
/// evaluation agency): evaluation id → (organization id, name). By the evaluations' and the
/// organizations' keys, so that the cost follows the evaluations asked about.
pub fn party_orgs_of_kind(
    conn: &mut DbConnection,
    ids: &[i64],
    kind: &str,
) -> QueryResult<HashMap<i64, (i64, String)>> {
    let mut parties: Vec<(i64, i64)> = Vec::new();
    for chunk in ids.chunks(ID_CHUNK) {
        parties.extend(
            evaluation_parties::table
                .filter(evaluation_parties::evaluation_id.eq_any(chunk))
                .select((
                    evaluation_parties::evaluation_id,
                    evaluation_parties::org_id,
                ))
                .load::<(i64, i64)>(conn)?,
        );
    }
    let org_ids: Vec<i64> = parties
        .iter()
        .map(|(_, org)| *org)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut of_kind: HashMap<i64, String> = HashMap::new();
    for chunk in org_ids.chunks(ID_CHUNK) {
        of_kind.extend(
            organizations::table
                .filter(organizations::id.eq_any(chunk))
                .filter(organizations::kind.eq(kind))
                .select((organizations::id, organizations::name))
                .load::<(i64, String)>(conn)?,
        );
    }
    Ok(parties
        .into_iter()
        .filter_map(|(evaluation, org)| {
            of_kind
                .get(&org)
                .map(|name| (evaluation, (org, name.clone())))
        })
        .collect())
}

/// The stored figures (JSON) of these evaluations.
pub fn figures_of(conn: &mut DbConnection, ids: &[i64]) -> QueryResult<HashMap<i64, String>> {
    let mut found = HashMap::new();
    for chunk in ids.chunks(ID_CHUNK) {
        let rows: Vec<(i64, String)> = evaluations::table
            .filter(evaluations::id.eq_any(chunk))
            .select((evaluations::id, evaluations::figures))
            .load(conn)?;
        found.extend(rows);
    }
    Ok(found)
}

/// The loaded evaluations of these ids, with their parties, deadlines and schemes, a chunk of
/// ids at a time.
pub fn details_of(conn: &mut DbConnection, ids: &[i64]) -> QueryResult<Vec<EvaluationDetail>> {
    let mut found = Vec::new();
    for chunk in ids.chunks(ID_CHUNK) {
        let rows = evaluations::table
            .inner_join(stations::table)
            .filter(evaluations::id.eq_any(chunk))
            .order(evaluations::id)
            .select((
                EvaluationRow::as_select(),
                stations::name,
                stations::district,
            ))
            .load(conn)?;
        found.extend(details(conn, rows)?);
    }
    Ok(found)
}
