//! `pinggu generate` (DESIGN.md §8): deterministic synthetic data at national scale for load
//! tests — provinces of districts, each district with its bureau, street offices, operators and
//! stations; cities of districts, each with its municipal bureau; evaluation agencies and
//! supervision centers; a manager for
//! every organization; and one evaluation per station and year, the older years final, the last
//! one spread over every state, with components, expert sheets, indicators and rosters. Written
//! in bulk, a chunk of stations per transaction; each evaluation's stored standing is then
//! computed by the same code as every write's (`app::standing::refresh`).
//!
//! The same options give the same data: the random numbers come from SplitMix64 on the seed, a
//! generator whose sequence no library upgrade can change.

use std::collections::{BTreeMap, HashMap};

use anyhow::{Context, bail};
use chrono::NaiveDate;
use diesel::prelude::*;

use crate::db::schema::{
    agreements, communities, completions, components, evaluation_deadlines, evaluation_parties,
    evaluations, expert_scores, organizations, panel, stations, targets, users, worker_months,
    workers, zones,
};
use crate::db::{self, DbConnection};
use crate::domain::evaluation::{STATION_PARTY, Stage};
use crate::domain::organization::OrgKind;
use crate::domain::scheme::{IndicatorScope, Scheme};
use crate::domain::workflow::State;

/// The last year of generated evaluations (fixed, so that the data never depend on the date).
pub const LAST_YEAR: i32 = 2026;
/// Stations per district, as in China (about 2,800 county-level districts for 29,000 stations).
const STATIONS_PER_DISTRICT: usize = 12;
/// Districts per province (five cities).
const DISTRICTS_PER_PROVINCE: usize = 150;
/// Districts per city, each city with its municipal bureau (360 stations: a large city; the
/// first city is as large at 400 stations as at 40,000, so their figures compare).
const DISTRICTS_PER_CITY: usize = 30;
/// Districts served by one evaluation agency, across cities (960 stations: about 3,000
/// evaluations over three years, the size of a large city's workbook).
const DISTRICTS_PER_AGENCY: usize = 80;
/// Stations run by one operator.
const STATIONS_PER_OPERATOR: usize = 3;
/// Stations written per transaction.
const CHUNK: usize = 250;
/// Rows per INSERT (within both backends' limits on bound parameters).
const ROWS_PER_INSERT: usize = 1_000;

const PROVINCES: [&str; 31] = [
    "北京市",
    "天津市",
    "河北省",
    "山西省",
    "内蒙古自治区",
    "辽宁省",
    "吉林省",
    "黑龙江省",
    "上海市",
    "江苏省",
    "浙江省",
    "安徽省",
    "福建省",
    "江西省",
    "山东省",
    "河南省",
    "湖北省",
    "湖南省",
    "广东省",
    "广西壮族自治区",
    "海南省",
    "重庆市",
    "四川省",
    "贵州省",
    "云南省",
    "西藏自治区",
    "陕西省",
    "甘肃省",
    "青海省",
    "宁夏回族自治区",
    "新疆维吾尔自治区",
];

pub struct Options {
    pub stations: usize,
    pub years: i32,
    pub seed: u64,
}

/// What was written.
#[derive(Debug, Default)]
pub struct Generated {
    pub organizations: usize,
    pub users: usize,
    pub stations: usize,
    pub evaluations: usize,
    pub by_state: BTreeMap<&'static str, usize>,
    /// A few accounts to try: (username, organization).
    pub sample_users: Vec<(String, String)>,
}

/// SplitMix64: small, fast, and fixed forever.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `low..=high`.
    fn between(&mut self, low: i64, high: i64) -> i64 {
        let span = (high - low + 1).max(1) as u64;
        low + (self.next() % span) as i64
    }

    /// True `percent` times in a hundred.
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

fn date(year: i32, month: u32, day: u32) -> anyhow::Result<NaiveDate> {
    NaiveDate::from_ymd_opt(year, month, day).with_context(|| format!("{year}-{month}-{day}"))
}

/// The state of an evaluation of the last year, spread over every state.
fn last_year_state(random: &mut Random) -> State {
    match random.between(0, 99) {
        0..=4 => State::Setup,
        5..=24 => State::SelfAssessment,
        25..=44 => State::OnsiteScoring,
        45..=59 => State::DraftFeedback,
        60..=69 => State::BureauReview,
        70..=98 => State::Final,
        _ => State::Cancelled,
    }
}

/// Inserts `rows` a slice of ROWS_PER_INSERT at a time (each backend's batch insert: the
/// MultiConnection has none).
macro_rules! insert_all {
    ($conn:expr, $table:expr, $rows:expr) => {
        for slice in $rows.chunks(ROWS_PER_INSERT) {
            let insert = diesel::insert_into($table).values(slice.to_vec());
            match &mut *$conn {
                DbConnection::Postgres(c) => insert.execute(c)?,
                DbConnection::Sqlite(c) => insert.execute(c)?,
            };
        }
    };
}

/// One generated organization.
struct OrgPlan {
    name: String,
    kind: OrgKind,
    district: Option<String>,
    city: Option<String>,
}

fn insert_orgs(
    conn: &mut DbConnection,
    rows: &[OrgPlan],
    now: chrono::NaiveDateTime,
) -> QueryResult<HashMap<String, i64>> {
    let values: Vec<_> = rows
        .iter()
        .map(|org| {
            (
                organizations::name.eq(org.name.clone()),
                organizations::full_name.eq(org.name.clone()),
                organizations::kind.eq(org.kind.code()),
                organizations::district.eq(org.district.clone()),
                organizations::city.eq(org.city.clone()),
                organizations::version.eq(1_i64),
                organizations::created_at.eq(now),
                organizations::updated_at.eq(now),
            )
        })
        .collect();
    insert_all!(conn, organizations::table, values);
    Ok(organizations::table
        .select((organizations::name, organizations::id))
        .load::<(String, i64)>(conn)?
        .into_iter()
        .collect())
}

/// One generated station with its organizations' ids.
struct StationPlan {
    name: String,
    district: String,
    street: String,
    bureau: i64,
    street_office: i64,
    operator: i64,
    agency: i64,
    center: i64,
}

/// Writes the synthetic data into a database holding no evaluation; `progress` hears (stations
/// done, stations in all) after each chunk.
pub fn generate(
    conn: &mut DbConnection,
    options: &Options,
    password_hash: &str,
    mut progress: impl FnMut(usize, usize),
) -> anyhow::Result<Generated> {
    let existing: i64 = evaluations::table.count().get_result(conn)?;
    if existing > 0 {
        bail!("数据库中已有 {existing} 项评估：generate 只写入没有任何评估的数据库");
    }
    if options.stations == 0 || options.years < 1 || options.years > 10 {
        bail!("--stations 须大于 0，--years 须在 1 到 10 之间");
    }
    let scheme: Scheme = db::schemes::find(conn, "guangzhou-2023", None)?
        .context("the scheme guangzhou-2023 is not installed")?
        .scheme()?;
    let mut random = Random(options.seed);
    let now = db::now();
    let districts = options.stations.div_ceil(STATIONS_PER_DISTRICT);
    let province_of = |d: usize| {
        let p = d / DISTRICTS_PER_PROVINCE;
        let name = PROVINCES[p % PROVINCES.len()];
        if p < PROVINCES.len() {
            name.to_owned()
        } else {
            format!("{name}{}", p / PROVINCES.len() + 1)
        }
    };
    let district_name =
        |d: usize| format!("{}第{}区", province_of(d), d % DISTRICTS_PER_PROVINCE + 1);
    let city_name = |d: usize| {
        format!(
            "{}第{}市",
            province_of(d),
            d % DISTRICTS_PER_PROVINCE / DISTRICTS_PER_CITY + 1
        )
    };

    // Organizations, then their managers.
    let mut orgs: Vec<OrgPlan> = Vec::new();
    // The manager's username of each organization, in the same order.
    let mut usernames: Vec<String> = Vec::new();
    let mut org = |name: String,
                   kind: OrgKind,
                   district: Option<String>,
                   city: Option<String>,
                   username: String| {
        orgs.push(OrgPlan {
            name,
            kind,
            district,
            city,
        });
        usernames.push(username);
    };
    for p in 0..districts.div_ceil(DISTRICTS_PER_PROVINCE) {
        org(
            format!(
                "{}社会工作督导中心",
                province_of(p * DISTRICTS_PER_PROVINCE)
            ),
            OrgKind::SupervisionCenter,
            None,
            None,
            format!("center{}", p + 1),
        );
    }
    for c in 0..districts.div_ceil(DISTRICTS_PER_CITY) {
        let city = city_name(c * DISTRICTS_PER_CITY);
        org(
            format!("{city}民政局"),
            OrgKind::MunicipalBureau,
            None,
            Some(city),
            format!("city{}", c + 1),
        );
    }
    for a in 0..districts.div_ceil(DISTRICTS_PER_AGENCY) {
        org(
            format!("第{}社会工作评估机构", a + 1),
            OrgKind::EvaluationAgency,
            None,
            None,
            format!("agency{}", a + 1),
        );
    }
    let mut plans = Vec::with_capacity(options.stations);
    for s in 0..options.stations {
        let d = s / STATIONS_PER_DISTRICT;
        let k = s % STATIONS_PER_DISTRICT + 1;
        let district = district_name(d);
        if k == 1 {
            org(
                format!("{district}民政局"),
                OrgKind::CivilAffairsBureau,
                Some(district.clone()),
                Some(city_name(d)),
                format!("bureau{}", d + 1),
            );
        }
        org(
            format!("{district}第{k}街道办事处"),
            OrgKind::StreetOffice,
            Some(district.clone()),
            None,
            format!("street{}-{k}", d + 1),
        );
        if (k - 1).is_multiple_of(STATIONS_PER_OPERATOR) {
            let j = (k - 1) / STATIONS_PER_OPERATOR + 1;
            org(
                format!("{district}第{j}社工服务中心"),
                OrgKind::Operator,
                Some(district.clone()),
                None,
                format!("operator{}-{j}", d + 1),
            );
        }
        plans.push((s, d, k, district));
    }
    let org_rows = orgs.len();
    let ids = insert_orgs(conn, &orgs, now)?;
    let id_of = |name: &str| {
        ids.get(name)
            .copied()
            .with_context(|| format!("organization {name}"))
    };
    let stations_plan: Vec<StationPlan> = plans
        .iter()
        .map(|(_, d, k, district)| {
            Ok(StationPlan {
                name: format!("第{k}街社工服务站"),
                district: district.clone(),
                street: format!("第{k}街"),
                bureau: id_of(&format!("{district}民政局"))?,
                street_office: id_of(&format!("{district}第{k}街道办事处"))?,
                operator: id_of(&format!(
                    "{district}第{}社工服务中心",
                    (k - 1) / STATIONS_PER_OPERATOR + 1
                ))?,
                agency: id_of(&format!(
                    "第{}社会工作评估机构",
                    d / DISTRICTS_PER_AGENCY + 1
                ))?,
                center: id_of(&format!(
                    "{}社会工作督导中心",
                    province_of(d / DISTRICTS_PER_PROVINCE * DISTRICTS_PER_PROVINCE)
                ))?,
            })
        })
        .collect::<anyhow::Result<_>>()?;

    // A manager per organization (the agencies also an expert), one password for all.
    let mut user_rows: Vec<(String, String, i64, &'static str)> = Vec::new();
    let mut sample_users = Vec::new();
    for (OrgPlan { name, kind, .. }, username) in orgs.iter().zip(&usernames) {
        let id = id_of(name)?;
        if [
            "city1",
            "center1",
            "agency1",
            "bureau1",
            "street1-1",
            "operator1-1",
        ]
        .contains(&username.as_str())
        {
            sample_users.push((username.clone(), name.clone()));
        }
        user_rows.push((username.clone(), format!("{name}负责人"), id, "manager"));
        if *kind == OrgKind::EvaluationAgency {
            user_rows.push((
                format!("{username}-expert"),
                format!("{name}专家"),
                id,
                "expert",
            ));
        }
    }
    let values: Vec<_> = user_rows
        .iter()
        .map(|(username, display, org, role)| {
            (
                users::organization_id.eq(*org),
                users::username.eq(username.clone()),
                users::display_name.eq(display.clone()),
                users::role.eq(*role),
                users::password_hash.eq(password_hash.to_owned()),
                users::must_change_password.eq(false),
                users::disabled.eq(false),
                users::version.eq(1_i64),
                users::created_at.eq(now),
                users::updated_at.eq(now),
            )
        })
        .collect();
    insert_all!(conn, users::table, values);
    // The manager (and the expert) of each organization.
    let mut managers: HashMap<i64, i64> = HashMap::new();
    let mut experts: HashMap<i64, i64> = HashMap::new();
    for (id, org, role) in users::table
        .select((users::id, users::organization_id, users::role))
        .load::<(i64, i64, String)>(conn)?
    {
        match role.as_str() {
            "manager" => {
                managers.entry(org).or_insert(id);
            }
            "expert" => {
                experts.entry(org).or_insert(id);
            }
            _ => {}
        }
    }

    let mut generated = Generated {
        organizations: org_rows,
        users: user_rows.len(),
        sample_users,
        ..Generated::default()
    };
    let years: Vec<i32> = (LAST_YEAR - options.years + 1..=LAST_YEAR).collect();
    let total = stations_plan.len();
    for (at, chunk) in stations_plan.chunks(CHUNK).enumerate() {
        let written = db::write_transaction(conn, |conn| {
            write_chunk(
                conn,
                chunk,
                &years,
                &scheme,
                &mut random,
                &managers,
                &experts,
                now,
            )
        })?;
        for (state, n) in written.1 {
            *generated.by_state.entry(state).or_insert(0) += n;
        }
        generated.evaluations += written.0.len();
        // The planner's statistics, each time the tables have doubled: bulk inserts leave them
        // describing far smaller tables, and the standings' lookups then scan whole tables.
        if (at + 1).is_power_of_two()
            && let DbConnection::Postgres(pg) = conn
        {
            diesel::sql_query("ANALYZE").execute(pg)?;
        }
        // Each evaluation's standing, by the rules every write uses.
        for ids in written.0.chunks(CHUNK) {
            db::write_transaction(conn, |conn| {
                for id in ids {
                    crate::app::standing::refresh(conn, *id)
                        .map_err(|e| anyhow::anyhow!("standing of evaluation {id}: {e}"))?;
                }
                Ok::<_, anyhow::Error>(())
            })?;
        }
        generated.stations += chunk.len();
        progress((at * CHUNK + chunk.len()).min(total), total);
    }
    // As after any bulk load: the standings' updates left a dead row for each evaluation, and
    // without the visibility map index-only scans (counts, deep pages) read the table too.
    if let DbConnection::Postgres(pg) = conn {
        diesel::sql_query("VACUUM ANALYZE").execute(pg)?;
    }
    Ok(generated)
}

/// How many evaluations a chunk wrote in each state, by state code.
type RowCounts = Vec<(&'static str, usize)>;

/// The stations of one chunk with their zones, agreements and evaluations; answers the
/// evaluations' ids and how many there are of each state.
#[allow(clippy::too_many_arguments)]
fn write_chunk(
    conn: &mut DbConnection,
    chunk: &[StationPlan],
    years: &[i32],
    scheme: &Scheme,
    random: &mut Random,
    managers: &HashMap<i64, i64>,
    experts: &HashMap<i64, i64>,
    now: chrono::NaiveDateTime,
) -> anyhow::Result<(Vec<i64>, RowCounts)> {
    let station_rows: Vec<_> = chunk
        .iter()
        .map(|s| {
            (
                stations::name.eq(s.name.clone()),
                stations::district.eq(s.district.clone()),
                stations::street.eq(s.street.clone()),
                stations::operator_org_id.eq(s.operator),
                stations::purchaser_org_id.eq(s.street_office),
                stations::supervisor_org_id.eq(s.bureau),
                stations::version.eq(1_i64),
                stations::created_at.eq(now),
                stations::updated_at.eq(now),
            )
        })
        .collect();
    insert_all!(conn, stations::table, station_rows);
    let districts: Vec<String> = chunk.iter().map(|s| s.district.clone()).collect();
    let station_ids: HashMap<(String, String), i64> = stations::table
        .filter(stations::district.eq_any(&districts))
        .select((stations::district, stations::name, stations::id))
        .load::<(String, String, i64)>(conn)?
        .into_iter()
        .map(|(d, n, id)| ((d, n), id))
        .collect();
    let station_id = |s: &StationPlan| {
        station_ids
            .get(&(s.district.clone(), s.name.clone()))
            .copied()
            .with_context(|| format!("station {}", s.name))
    };
    let ids: Vec<i64> = chunk
        .iter()
        .map(station_id)
        .collect::<anyhow::Result<_>>()?;
    let zone_rows: Vec<_> = ids
        .iter()
        .map(|id| {
            (
                zones::station_id.eq(*id),
                zones::name.eq("一片区"),
                zones::position.eq(1_i64),
            )
        })
        .collect();
    insert_all!(conn, zones::table, zone_rows);
    let zone_of: HashMap<i64, i64> = zones::table
        .filter(zones::station_id.eq_any(&ids))
        .select((zones::station_id, zones::id))
        .load::<(i64, i64)>(conn)?
        .into_iter()
        .collect();
    let community_rows: Vec<_> = zone_of
        .values()
        .map(|zone| {
            (
                communities::zone_id.eq(*zone),
                communities::name.eq("中心社区"),
                communities::position.eq(1_i64),
            )
        })
        .collect();
    insert_all!(conn, communities::table, community_rows);

    // An agreement and an evaluation per station and year.
    let mut agreement_rows = Vec::new();
    let mut required: HashMap<i64, i64> = HashMap::new();
    for id in &ids {
        let staff = random.between(3, 6);
        required.insert(*id, staff);
        for year in years {
            agreement_rows.push((
                agreements::station_id.eq(*id),
                agreements::period_start.eq(date(*year, 1, 1)?),
                agreements::period_end.eq(date(*year, 12, 31)?),
                agreements::funding_fen.eq(random.between(40, 200) * 1_000_000),
                agreements::required_staff.eq(staff),
                agreements::required_certified_staff.eq((staff * 2 + 2) / 3),
                agreements::version.eq(1_i64),
                agreements::created_at.eq(now),
            ));
        }
    }
    insert_all!(conn, agreements::table, agreement_rows);
    let agreement_of: HashMap<(i64, NaiveDate), i64> = agreements::table
        .filter(agreements::station_id.eq_any(&ids))
        .select((
            agreements::station_id,
            agreements::period_start,
            agreements::id,
        ))
        .load::<(i64, NaiveDate, i64)>(conn)?
        .into_iter()
        .map(|(s, start, id)| ((s, start), id))
        .collect();

    let mut evaluation_rows = Vec::new();
    let mut states: HashMap<(i64, i32), State> = HashMap::new();
    for (plan, id) in chunk.iter().zip(&ids) {
        for year in years {
            let state = if *year == LAST_YEAR {
                last_year_state(random)
            } else if random.chance(2) {
                State::Cancelled
            } else {
                State::Final
            };
            states.insert((*id, *year), state);
            let agreement = agreement_of
                .get(&(*id, date(*year, 1, 1)?))
                .copied()
                .context("agreement")?;
            evaluation_rows.push((
                evaluations::agreement_id.eq(agreement),
                evaluations::station_id.eq(*id),
                evaluations::scheme_code.eq(scheme.code.clone()),
                evaluations::scheme_version.eq(scheme.version),
                evaluations::kind.eq("mid_term"),
                evaluations::assessment_start.eq(date(*year, 1, 1)?),
                evaluations::assessment_end.eq(date(*year, 6, 30)?),
                evaluations::onsite_date.eq(date(*year, 7, 15)?),
                evaluations::state.eq(state.code()),
                evaluations::version.eq(1_i64),
                evaluations::created_by.eq(managers.get(&plan.bureau).copied().unwrap_or(1)),
                evaluations::created_at.eq(now),
                evaluations::updated_at.eq(now),
            ));
        }
    }
    insert_all!(conn, evaluations::table, evaluation_rows);
    let loaded: Vec<(i64, i64, NaiveDate)> = evaluations::table
        .filter(evaluations::station_id.eq_any(&ids))
        .select((
            evaluations::id,
            evaluations::station_id,
            evaluations::assessment_start,
        ))
        .load(conn)?;
    let plan_of: HashMap<i64, &StationPlan> = ids.iter().copied().zip(chunk).collect();

    let mut party_rows = Vec::new();
    let mut deadline_rows = Vec::new();
    let mut component_rows = Vec::new();
    let mut panel_rows = Vec::new();
    let mut score_rows = Vec::new();
    let mut target_rows = Vec::new();
    let mut completion_rows = Vec::new();
    let mut counts: BTreeMap<&'static str, usize> = BTreeMap::new();
    let third_party = scheme.third_party().map(|p| p.code.clone());
    let evaluation_ids: Vec<i64> = loaded.iter().map(|(id, _, _)| *id).collect();
    for (evaluation, station, start) in &loaded {
        let plan = plan_of.get(station).context("station plan")?;
        let year = chrono::Datelike::year(start);
        let state = states
            .get(&(*station, year))
            .copied()
            .unwrap_or(State::Final);
        *counts.entry(state.code()).or_insert(0) += 1;
        let org_of = |kind: OrgKind| match kind {
            OrgKind::CivilAffairsBureau => Some(plan.bureau),
            OrgKind::StreetOffice => Some(plan.street_office),
            OrgKind::SupervisionCenter => Some(plan.center),
            OrgKind::EvaluationAgency => Some(plan.agency),
            _ => None,
        };
        for party in &scheme.parties {
            if let Some(org) = org_of(party.org_kind) {
                party_rows.push((
                    evaluation_parties::evaluation_id.eq(*evaluation),
                    evaluation_parties::party_code.eq(party.code.clone()),
                    evaluation_parties::org_id.eq(org),
                ));
            }
        }
        party_rows.push((
            evaluation_parties::evaluation_id.eq(*evaluation),
            evaluation_parties::party_code.eq(STATION_PARTY.to_owned()),
            evaluation_parties::org_id.eq(plan.operator),
        ));
        for (stage, (month, day)) in Stage::ALL
            .into_iter()
            .zip([(7, 5), (7, 15), (7, 29), (8, 12)])
        {
            deadline_rows.push((
                evaluation_deadlines::evaluation_id.eq(*evaluation),
                evaluation_deadlines::stage.eq(stage.code()),
                evaluation_deadlines::due_on.eq(date(year, month, day)?),
            ));
        }
        let scored = matches!(
            state,
            State::OnsiteScoring | State::DraftFeedback | State::BureauReview | State::Final
        );
        let self_assessed = scored || state == State::SelfAssessment;
        // Targets from setup on; completions once the self-assessment is under way.
        if self_assessed {
            let zone = zone_of.get(station).copied().unwrap_or(0);
            for indicator in scheme.indicators.iter().filter(|i| {
                i.scope == IndicatorScope::Zone || i.code == crate::domain::staffing::TRAINING_HOURS
            }) {
                let zone_id = if indicator.scope == IndicatorScope::Zone {
                    zone
                } else {
                    0
                };
                let target = random.between(10, 600) * 100;
                target_rows.push((
                    targets::evaluation_id.eq(*evaluation),
                    targets::indicator.eq(indicator.code.clone()),
                    targets::zone_id.eq(zone_id),
                    targets::target_hundredths.eq(target),
                ));
                if scored || random.chance(50) {
                    let done = target * random.between(50, 125) / 100 / 100 * 100;
                    completion_rows.push((
                        completions::evaluation_id.eq(*evaluation),
                        completions::indicator.eq(indicator.code.clone()),
                        completions::zone_id.eq(zone_id),
                        completions::completed_hundredths.eq(done),
                    ));
                }
            }
        }
        if !scored {
            continue;
        }
        let all_in = state != State::OnsiteScoring;
        for party in &scheme.parties {
            let Some(org) = org_of(party.org_kind) else {
                continue;
            };
            let submitted = all_in || random.chance(60);
            let by = managers.get(&org).copied().unwrap_or(1);
            let is_third = third_party.as_deref() == Some(party.code.as_str());
            let raw = (!is_third && !party.gate).then(|| {
                let max = party.native_max.hundredths();
                random.between(max * 55 / 100, max)
            });
            component_rows.push((
                components::evaluation_id.eq(*evaluation),
                components::party_code.eq(party.code.clone()),
                components::raw_hundredths.eq(raw),
                components::gate_passed.eq(party.gate.then_some(true)),
                components::strengths.eq("[]"),
                components::concerns.eq("[]"),
                components::status.eq(if submitted { "submitted" } else { "draft" }),
                components::version.eq(1_i64),
                components::updated_by.eq(by),
                components::updated_at.eq(now),
                components::submitted_at.eq(submitted.then_some(now)),
            ));
            if is_third && let Some(expert) = experts.get(&org) {
                panel_rows.push((
                    panel::evaluation_id.eq(*evaluation),
                    panel::expert_id.eq(*expert),
                    panel::assigned_by.eq(by),
                    panel::assigned_at.eq(now),
                    panel::conflict_of_interest.eq(Some(false)),
                    panel::sheet_status.eq(if submitted { "submitted" } else { "draft" }),
                    panel::sheet_version.eq(1_i64),
                    panel::submitted_at.eq(submitted.then_some(now)),
                ));
                for item in scheme
                    .third_party_tree
                    .sections
                    .iter()
                    .flat_map(|s| &s.items)
                {
                    let max = item.max_points.hundredths();
                    score_rows.push((
                        expert_scores::evaluation_id.eq(*evaluation),
                        expert_scores::expert_id.eq(*expert),
                        expert_scores::item.eq(item.code.clone()),
                        expert_scores::score_hundredths.eq(random.between(max * 60 / 100, max)),
                    ));
                }
            }
        }
    }
    insert_all!(conn, evaluation_parties::table, party_rows);
    insert_all!(conn, evaluation_deadlines::table, deadline_rows);
    insert_all!(conn, components::table, component_rows);
    insert_all!(conn, panel::table, panel_rows);
    insert_all!(conn, expert_scores::table, score_rows);
    insert_all!(conn, targets::table, target_rows);
    insert_all!(conn, completions::table, completion_rows);
    write_rosters(conn, &loaded, &states, &required, random)?;
    Ok((evaluation_ids, counts.into_iter().collect()))
}

/// A roster of the agreement's required staff for every evaluation past setup: six months each,
/// mostly on post.
fn write_rosters(
    conn: &mut DbConnection,
    loaded: &[(i64, i64, NaiveDate)],
    states: &HashMap<(i64, i32), State>,
    required: &HashMap<i64, i64>,
    random: &mut Random,
) -> anyhow::Result<()> {
    const QUALIFICATIONS: [&str; 3] = ["intermediate", "assistant", "uncertified"];
    let mut worker_rows = Vec::new();
    let mut with_roster = Vec::new();
    for (evaluation, station, start) in loaded {
        let year = chrono::Datelike::year(start);
        let state = states
            .get(&(*station, year))
            .copied()
            .unwrap_or(State::Final);
        if matches!(state, State::Setup | State::SelfAssessment) {
            continue;
        }
        with_roster.push(*evaluation);
        for line in 1..=required.get(station).copied().unwrap_or(4) {
            worker_rows.push((
                workers::evaluation_id.eq(*evaluation),
                workers::line.eq(line),
                workers::name.eq(format!("社工{line}")),
                workers::position.eq(if line == 1 { "站长" } else { "社工" }),
                workers::qualification.eq(QUALIFICATIONS[random.between(0, 2) as usize]),
                workers::over_two_years.eq(random.chance(60)),
            ));
        }
    }
    insert_all!(conn, workers::table, worker_rows);
    let starts: HashMap<i64, NaiveDate> = loaded.iter().map(|(e, _, start)| (*e, *start)).collect();
    let mut month_rows = Vec::new();
    for ids in with_roster.chunks(crate::db::evaluations::ID_CHUNK) {
        let found: Vec<(i64, i64)> = workers::table
            .filter(workers::evaluation_id.eq_any(ids))
            .select((workers::id, workers::evaluation_id))
            .load(conn)?;
        for (worker, evaluation) in found {
            let year = starts
                .get(&evaluation)
                .map_or(LAST_YEAR, chrono::Datelike::year);
            for month in 1..=6 {
                let on_post = match random.between(0, 19) {
                    0 => 0,
                    1 => 50,
                    _ => 100,
                };
                month_rows.push((
                    worker_months::worker_id.eq(worker),
                    worker_months::month.eq(format!("{year}-{month:02}")),
                    worker_months::on_post_hundredths.eq(on_post),
                    worker_months::insurance.eq(true),
                    worker_months::wage.eq(true),
                ));
            }
        }
    }
    insert_all!(conn, worker_months::table, month_rows);
    Ok(())
}
