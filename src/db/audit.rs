//! The audit log: append-only, one SHA-256 hash chain per evaluation. Each entry stores the hash
//! of the one before it in its chain; nothing here updates or deletes a row.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::DbConnection;
use super::schema::{audit_log, organizations, users};
use crate::auth::tokens::sha256_hex;

/// The chain of one evaluation.
pub fn evaluation_chain(evaluation_id: i64) -> String {
    format!("evaluation:{evaluation_id}")
}

/// The chain of everything outside evaluations (users, organizations, stations, schemes).
pub const GLOBAL: &str = "global";

/// The entity of a station's entries (a word that is also the station's party code).
pub const STATION_ENTITY: &str = "station";

/// The first entry of a chain links to this.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, Clone)]
pub struct NewEntry {
    pub chain: String,
    pub evaluation_id: Option<i64>,
    pub actor_id: Option<i64>,
    pub actor_org_id: Option<i64>,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    pub summary: String,
    pub reason: Option<String>,
    pub request_id: Option<String>,
    pub at: NaiveDateTime,
}

impl NewEntry {
    /// An entry of an evaluation's chain by a user; fill in the rest with struct update syntax.
    pub fn on_evaluation(
        evaluation_id: i64,
        actor: (i64, i64),
        action: &str,
        at: NaiveDateTime,
    ) -> NewEntry {
        NewEntry {
            chain: evaluation_chain(evaluation_id),
            evaluation_id: Some(evaluation_id),
            actor_id: Some(actor.0),
            actor_org_id: Some(actor.1),
            action: action.to_owned(),
            entity: "evaluation".into(),
            entity_id: evaluation_id.to_string(),
            from_state: None,
            to_state: None,
            summary: String::new(),
            reason: None,
            request_id: None,
            at,
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_log)]
pub struct AuditRow {
    pub id: i64,
    pub chain: String,
    pub seq: i64,
    pub evaluation_id: Option<i64>,
    pub actor_id: Option<i64>,
    pub actor_org_id: Option<i64>,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    pub summary: String,
    pub reason: Option<String>,
    pub request_id: Option<String>,
    pub at: NaiveDateTime,
    pub prev_hash: String,
    pub hash: String,
}

/// What the hash covers, in a fixed order.
#[derive(Serialize)]
struct Hashed<'a> {
    prev_hash: &'a str,
    chain: &'a str,
    seq: i64,
    evaluation_id: Option<i64>,
    actor_id: Option<i64>,
    actor_org_id: Option<i64>,
    action: &'a str,
    entity: &'a str,
    entity_id: &'a str,
    from_state: Option<&'a str>,
    to_state: Option<&'a str>,
    summary: &'a str,
    reason: Option<&'a str>,
    request_id: Option<&'a str>,
    at: String,
}

fn hash_of(entry: &NewEntry, seq: i64, prev_hash: &str) -> String {
    let hashed = Hashed {
        prev_hash,
        chain: &entry.chain,
        seq,
        evaluation_id: entry.evaluation_id,
        actor_id: entry.actor_id,
        actor_org_id: entry.actor_org_id,
        action: &entry.action,
        entity: &entry.entity,
        entity_id: &entry.entity_id,
        from_state: entry.from_state.as_deref(),
        to_state: entry.to_state.as_deref(),
        summary: &entry.summary,
        reason: entry.reason.as_deref(),
        request_id: entry.request_id.as_deref(),
        at: entry.at.format("%Y-%m-%dT%H:%M:%S%.6f").to_string(),
    };
    sha256_hex(&serde_json::to_string(&hashed).unwrap_or_default())
}

/// Appends to the entry's chain. The caller serializes writers of the chain (the evaluation's
/// versioned UPDATE in the same transaction); the unique (chain, seq) refuses a race anyway.
pub fn append(conn: &mut DbConnection, entry: &NewEntry) -> QueryResult<i64> {
    let head: Option<(i64, String)> = audit_log::table
        .filter(audit_log::chain.eq(&entry.chain))
        .order(audit_log::seq.desc())
        .select((audit_log::seq, audit_log::hash))
        .first(conn)
        .optional()?;
    let (seq, prev_hash) = head.map_or((1, GENESIS.to_owned()), |(seq, hash)| (seq + 1, hash));
    let hash = hash_of(entry, seq, &prev_hash);
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::chain.eq(&entry.chain),
            audit_log::seq.eq(seq),
            audit_log::evaluation_id.eq(entry.evaluation_id),
            audit_log::actor_id.eq(entry.actor_id),
            audit_log::actor_org_id.eq(entry.actor_org_id),
            audit_log::action.eq(&entry.action),
            audit_log::entity.eq(&entry.entity),
            audit_log::entity_id.eq(&entry.entity_id),
            audit_log::from_state.eq(&entry.from_state),
            audit_log::to_state.eq(&entry.to_state),
            audit_log::summary.eq(&entry.summary),
            audit_log::reason.eq(&entry.reason),
            audit_log::request_id.eq(&entry.request_id),
            audit_log::at.eq(entry.at),
            audit_log::prev_hash.eq(&prev_hash),
            audit_log::hash.eq(&hash),
        ))
        .returning(audit_log::id)
        .get_result(conn)
}

/// Appends to the global chain: its head row is updated first, so concurrent writers wait for
/// each other (PostgreSQL's row lock; SQLite's write lock).
pub fn append_global(conn: &mut DbConnection, entry: &NewEntry) -> QueryResult<i64> {
    use super::schema::audit_heads;
    diesel::update(audit_heads::table.find(GLOBAL))
        .set(audit_heads::seq.eq(audit_heads::seq + 1))
        .execute(conn)?;
    append(
        conn,
        &NewEntry {
            chain: GLOBAL.to_owned(),
            evaluation_id: None,
            ..entry.clone()
        },
    )
}

/// A global entry by a user (or by the command line when `actor` is `None`).
pub fn global_entry(
    actor: Option<(i64, i64)>,
    action: &str,
    entity: &str,
    entity_id: i64,
    summary: String,
    at: NaiveDateTime,
    request_id: Option<String>,
) -> NewEntry {
    NewEntry {
        chain: GLOBAL.to_owned(),
        evaluation_id: None,
        actor_id: actor.map(|a| a.0),
        actor_org_id: actor.map(|a| a.1),
        action: action.to_owned(),
        entity: entity.to_owned(),
        entity_id: entity_id.to_string(),
        from_state: None,
        to_state: None,
        summary,
        reason: None,
        request_id,
        at,
    }
}

/// One entry of a timeline, with who acted.
pub type TimelineRow = (AuditRow, Option<(i64, String)>, Option<String>);

/// The entries of an evaluation, oldest first, with the actor's name and organization.
pub fn timeline(conn: &mut DbConnection, evaluation_id: i64) -> QueryResult<Vec<TimelineRow>> {
    let rows: Vec<AuditRow> = audit_log::table
        .filter(audit_log::chain.eq(evaluation_chain(evaluation_id)))
        .order(audit_log::seq)
        .select(AuditRow::as_select())
        .load(conn)?;
    let actor_ids: Vec<i64> = rows.iter().filter_map(|r| r.actor_id).collect();
    let actors: std::collections::HashMap<i64, (String, String)> = users::table
        .inner_join(organizations::table)
        .filter(users::id.eq_any(&actor_ids))
        .select((users::id, users::display_name, organizations::name))
        .load::<(i64, String, String)>(conn)?
        .into_iter()
        .map(|(id, name, org)| (id, (name, org)))
        .collect();
    Ok(rows
        .into_iter()
        .map(|row| {
            let actor = row
                .actor_id
                .and_then(|id| actors.get(&id).map(|(name, _)| (id, name.clone())));
            let org = row
                .actor_id
                .and_then(|id| actors.get(&id).map(|(_, org)| org.clone()));
            (row, actor, org)
        })
        .collect())
}

/// The first entry that breaks its chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    pub id: i64,
    pub chain: String,
    pub seq: i64,
    pub why: &'static str,
}

/// Checks every chain: sequence without gaps, each link to the entry before, each hash over the
/// entry's own content. Returns the number of entries checked.
pub fn verify(conn: &mut DbConnection) -> QueryResult<Result<usize, Broken>> {
    let rows: Vec<AuditRow> = audit_log::table
        .order((audit_log::chain, audit_log::seq))
        .select(AuditRow::as_select())
        .load(conn)?;
    let mut previous: Option<&AuditRow> = None;
    for row in &rows {
        let same_chain = previous.filter(|p| p.chain == row.chain);
        let (expected_seq, expected_prev) =
            same_chain.map_or((1, GENESIS), |p| (p.seq + 1, p.hash.as_str()));
        let broken = |why| Broken {
            id: row.id,
            chain: row.chain.clone(),
            seq: row.seq,
            why,
        };
        if row.seq != expected_seq {
            return Ok(Err(broken("序号不连续")));
        }
        if row.prev_hash != expected_prev {
            return Ok(Err(broken("与上一条记录的链接不符")));
        }
        let entry = NewEntry {
            chain: row.chain.clone(),
            evaluation_id: row.evaluation_id,
            actor_id: row.actor_id,
            actor_org_id: row.actor_org_id,
            action: row.action.clone(),
            entity: row.entity.clone(),
            entity_id: row.entity_id.clone(),
            from_state: row.from_state.clone(),
            to_state: row.to_state.clone(),
            summary: row.summary.clone(),
            reason: row.reason.clone(),
            request_id: row.request_id.clone(),
            at: row.at,
        };
        if hash_of(&entry, row.seq, &row.prev_hash) != row.hash {
            return Ok(Err(broken("内容与哈希不符（记录被改动）")));
        }
        previous = Some(row);
    }
    Ok(Ok(rows.len()))
}

/// Whether the global chain has an entry of `action` on `entity` (the demo's "loaded" mark).
pub fn global_action_recorded(
    conn: &mut DbConnection,
    action: &str,
    entity: &str,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        audit_log::table
            .filter(audit_log::chain.eq(GLOBAL))
            .filter(audit_log::action.eq(action))
            .filter(audit_log::entity.eq(entity)),
    ))
    .get_result(conn)
}
