//! The service users of an evaluation (满意度调查, DESIGN.md §10): the station lists them during the
//! self-assessment (PUT replaces the list); the station, the agency and the bureau see the list,
//! the phone numbers only the agency's callers and only while the survey is open.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::app::access::{
    Writing, access_of, claim_version, scheme_of, state_of, station_write, visible,
};
use crate::app::error::{AppError, FieldError};
use crate::app::views::utc;
use crate::auth::extractor::AuthenticatedUser;
use crate::db::audit::{self, NewEntry};
use crate::db::clients::{self as store, NewClient, NewDraw};
use crate::db::evaluations::EvaluationDetail;
use crate::db::{self, DbConnection};
use crate::domain::access::Denied;
use crate::domain::survey::{ClientInput, draw, list_digest};
use crate::domain::text::one_line;
use crate::domain::workflow::State;
use crate::state::AppState;

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutClients {
    #[validate(length(max = 5000, message = "最多 5000 名服务对象"), nested)]
    pub clients: Vec<ClientInput>,
    pub version: Option<i64>,
}

/// A client as the caller may see them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClientView {
    /// What the sample's `client_ids` name.
    pub id: i64,
    pub line: i64,
    /// The station's own number, where it gave one.
    pub key: Option<String>,
    pub name: String,
    /// Only for the agency's callers while the survey is open; null for everyone else.
    pub phone: Option<String>,
    pub community: String,
    pub service: String,
    pub first_served: Option<NaiveDate>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Clients {
    pub items: Vec<ClientView>,
    pub total: i64,
    /// Whether this caller is shown the phone numbers.
    pub phones_shown: bool,
}

/// Two rows naming one client (the same number, or the same name and phone without one).
fn duplicates(clients: &[ClientInput]) -> Vec<FieldError> {
    let keys: Vec<String> = clients.iter().map(ClientInput::draw_key).collect();
    let mut problems = Vec::new();
    for (index, key) in keys.iter().enumerate() {
        if let Some(first) = keys[..index].iter().position(|k| k == key) {
            let field = if clients[index].key.is_some() {
                "key"
            } else {
                "phone"
            };
            problems.push(FieldError::new(
                format!("clients[{index}].{field}"),
                // Named, not numbered: a row number differs between the list and its sheet.
                format!("与前面的“{}”是同一服务对象", clients[first].name.trim()),
            ));
        }
    }
    problems
}

/// Replaces the list as `user`: the station's manager or members during the self-assessment.
pub async fn put_clients_for(
    state: &AppState,
    user: &AuthenticatedUser,
    id: i64,
    clients: Vec<ClientInput>,
    expected: Option<i64>,
    request_id: Option<String>,
) -> Result<Clients, AppError> {
    let user = user.clone();
    db::run(&state.pool, move |conn| {
        crate::app::standing::evaluation_write(conn, id, |conn| {
            let detail = station_write(conn, &user, id, expected)?;
            // A self-assessment returned after the draw keeps its list: the draw names its rows.
            if !store::draws(conn, id)?.is_empty() {
                return Err(AppError::TransitionRefused {
                    detail: "评估机构已从名单中抽取调查样本，服务对象名单不能再修改".into(),
                    missing: vec![],
                });
            }
            let problems = duplicates(&clients);
            if !problems.is_empty() {
                return Err(AppError::Validation(problems));
            }
            let now = db::now();
            claim_version(conn, &detail, now)?;
            let rows: Vec<NewClient> = clients
                .iter()
                .map(|c| NewClient {
                    client_key: c.key.as_deref().map(str::trim).filter(|k| !k.is_empty()),
                    draw_key: c.draw_key(),
                    name: c.name.trim(),
                    phone: c.phone.trim(),
                    community: c.community.trim(),
                    service: c.service.trim(),
                    first_served: c.first_served,
                })
                .collect();
            store::replace(conn, id, &rows)?;
            let keys: Vec<String> = rows.iter().map(|r| r.draw_key.clone()).collect();
            let writing = Writing {
                user: &user,
                request_id,
                action: "set_clients",
            };
            audit::append(
                conn,
                &NewEntry {
                    entity: "clients".into(),
                    // Never the names or phones: the count and the list's digest.
                    summary: format!(
                        "服务对象名单 {} 人（名单摘要 {}）",
                        rows.len(),
                        list_digest(&keys)
                    ),
                    request_id: writing.request_id,
                    ..NewEntry::on_evaluation(
                        id,
                        (user.id, user.organization.id),
                        writing.action,
                        now,
                    )
                },
            )?;
            clients_of(conn, &detail, &user)
        })
    })
    .await
}

/// Replaces the list from the workbook (`excel::clients`) as `user`: read with bounds off the
/// async workers, then written as the JSON list is.
pub async fn import_clients_for(
    state: &AppState,
    user: &AuthenticatedUser,
    id: i64,
    workbook: Vec<u8>,
    request_id: Option<String>,
) -> Result<Clients, AppError> {
    let read = crate::excel::read_off_workers(workbook, crate::excel::clients::read)
        .await?
        .map_err(crate::app::workbooks::problems)?;
    let (rows, clients): (Vec<u32>, Vec<ClientInput>) = read.into_iter().unzip();
    put_clients_for(state, user, id, clients, None, request_id)
        .await
        .map_err(|error| match error {
            AppError::Validation(found) => AppError::Validation(
                found
                    .into_iter()
                    .map(|e| FieldError {
                        field: crate::excel::clients::cell_of_field(&e.field, &rows),
                        ..e
                    })
                    .collect(),
            ),
            other => other,
        })
}

/// The empty template of the list, for whoever sees the list.
pub async fn clients_template_for(
    state: &AppState,
    user: &AuthenticatedUser,
    id: i64,
) -> Result<crate::app::views::Download, AppError> {
    let user = user.clone();
    let station = db::run(&state.pool, move |conn| {
        let detail = visible(conn, &user, id)?;
        if !access_of(&user, &detail, &scheme_of(&detail)?).sees_clients() {
            return Err(Denied("只有社工站、评估机构和区民政局可以查看服务对象名单".into()).into());
        }
        Ok::<_, AppError>(detail.station_name)
    })
    .await?;
    let bytes = crate::excel::clients::template().map_err(crate::app::workbooks::xlsx_error)?;
    Ok(crate::app::views::Download::workbook(
        bytes,
        format!("{station}服务对象名单.xlsx"),
    ))
}

/// The list for the station, the agency or the bureau of the evaluation.
pub async fn clients_for(
    state: &AppState,
    user: &AuthenticatedUser,
    id: i64,
) -> Result<Clients, AppError> {
    let user = user.clone();
    db::run(&state.pool, move |conn| {
        let detail = visible(conn, &user, id)?;
        clients_of(conn, &detail, &user)
    })
    .await
}

pub fn clients_of(
    conn: &mut DbConnection,
    detail: &EvaluationDetail,
    user: &AuthenticatedUser,
) -> Result<Clients, AppError> {
    let access = access_of(user, detail, &scheme_of(detail)?);
    if !access.sees_clients() {
        return Err(Denied("只有社工站、评估机构和区民政局可以查看服务对象名单".into()).into());
    }
    let phones = access.sees_client_phones(state_of(detail)? == State::OnsiteScoring);
    let items: Vec<ClientView> = store::list(conn, detail.row.id)?
        .into_iter()
        .map(|row| ClientView {
            id: row.id,
            line: row.line,
            key: row.client_key,
            name: row.name,
            phone: phones.then_some(row.phone),
            community: row.community,
            service: row.service,
            first_served: row.first_served,
        })
        .collect();
    Ok(Clients {
        total: items.len() as i64,
        items,
        phones_shown: phones,
    })
}

/// The sample size when the evaluation's scheme has no survey (guangzhou-2023 versions 1 and 2):
/// the Guangzhou 2023 method's 100.
pub const DEFAULT_SAMPLE: i64 = 100;

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DrawSample {
    /// Clients to call; the scheme's `survey.min_sample` when absent (everyone when fewer).
    #[validate(range(min = 1, max = 10_000, message = "抽样人数须为 1 到 10000"))]
    pub size: Option<i64>,
    /// Any text; the server chooses one when absent. The same list and seed draw the same
    /// clients.
    #[validate(
        length(min = 1, max = 100, message = "种子须为 1 到 100 个字符"),
        custom(function = "one_line")
    )]
    pub seed: Option<String>,
    /// Why the sample is drawn again (required for every draw after the first).
    #[validate(length(max = 500, message = "理由最多 500 字"))]
    pub reason: Option<String>,
}

/// A draw: what it was made from and whom it chose.
#[derive(Debug, Serialize, ToSchema)]
pub struct Sample {
    pub seed: String,
    /// Clients drawn: the size asked for, or the whole list when shorter.
    pub size: i64,
    /// SHA-256 of the list's draw keys in order (`domain::survey::list_digest`).
    pub list_digest: String,
    /// The clients to call, in draw order.
    pub client_ids: Vec<i64>,
    /// 1 for the first draw of the evaluation, 2 for the next, …
    pub draw: i64,
    pub drawn_at: DateTime<Utc>,
}

/// Draws the clients to call as `user`: the agency's manager, during on-site scoring, from the
/// station's list. A later draw needs a reason; the earlier ones stay on record.
pub async fn draw_sample_for(
    state: &AppState,
    user: &AuthenticatedUser,
    id: i64,
    body: DrawSample,
    request_id: Option<String>,
) -> Result<Sample, AppError> {
    let user = user.clone();
    db::run(&state.pool, move |conn| {
        crate::app::standing::evaluation_write(conn, id, |conn| {
            let detail = visible(conn, &user, id)?;
            let scheme = scheme_of(&detail)?;
            if !access_of(&user, &detail, &scheme).draws_sample() {
                return Err(Denied("只有评估机构负责人可以抽取调查样本".into()).into());
            }
            if state_of(&detail)? != State::OnsiteScoring {
                return Err(AppError::TransitionRefused {
                    detail: "满意度调查在现场评估阶段抽样".into(),
                    missing: vec![],
                });
            }
            let earlier = store::draws(conn, id)?;
            let reason = body
                .reason
                .as_deref()
                .map(str::trim)
                .filter(|r| !r.is_empty());
            if !earlier.is_empty() && reason.is_none() {
                return Err(AppError::field(
                    "reason",
                    "已经抽过样本；重新抽样须说明理由",
                ));
            }
            let list = store::list(conn, id)?;
            if list.is_empty() {
                return Err(AppError::TransitionRefused {
                    detail: "社工站尚未提交服务对象名单，无法抽样".into(),
                    missing: vec![],
                });
            }
            let size = body.size.unwrap_or_else(|| {
                scheme
                    .survey
                    .as_ref()
                    .map_or(DEFAULT_SAMPLE, |s| s.min_sample)
            });
            let seed = body
                .seed
                .clone()
                .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
            let keys: Vec<String> = list.iter().map(|c| c.draw_key.clone()).collect();
            let client_ids: Vec<i64> = draw(&keys, &seed, usize::try_from(size).unwrap_or(0))
                .into_iter()
                .map(|position| list[position].id)
                .collect();
            let digest = list_digest(&keys);
            let now = db::now();
            crate::db::evaluations::touch(conn, id, now)?;
            let ids = serde_json::to_string(&client_ids).map_err(anyhow::Error::from)?;
            store::insert_draw(
                conn,
                &NewDraw {
                    evaluation_id: id,
                    seed: &seed,
                    size: client_ids.len() as i64,
                    list_digest: &digest,
                    client_ids: ids.clone(),
                    reason,
                    drawn_by: user.id,
                    drawn_at: now,
                },
            )?;
            audit::append(
                conn,
                &NewEntry {
                    entity: "survey_sample".into(),
                    summary: format!(
                        "抽取满意度调查样本 {} 人（名单 {} 人，名单摘要 {digest}，种子 {seed}）：{ids}",
                        client_ids.len(),
                        list.len()
                    ),
                    reason: reason.map(str::to_owned),
                    request_id,
                    ..NewEntry::on_evaluation(
                        id,
                        (user.id, user.organization.id),
                        "draw_sample",
                        now,
                    )
                },
            )?;
            Ok(Sample {
                seed,
                size: client_ids.len() as i64,
                list_digest: digest,
                client_ids,
                draw: earlier.len() as i64 + 1,
                drawn_at: utc(now),
            })
        })
    })
    .await
}
