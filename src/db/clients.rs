//! The service users of an evaluation (满意度调查): one row per client in the station's order (a
//! PUT replaces the list), and the draws of the clients to call.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::DbConnection;
use super::schema::{clients, survey_calls, survey_draws};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = clients)]
pub struct ClientRow {
    pub id: i64,
    pub evaluation_id: i64,
    pub line: i64,
    pub client_key: Option<String>,
    pub draw_key: String,
    pub name: String,
    pub phone: String,
    pub community: String,
    pub service: String,
    pub first_served: Option<NaiveDate>,
}

pub struct NewClient<'a> {
    pub client_key: Option<&'a str>,
    pub draw_key: String,
    pub name: &'a str,
    pub phone: &'a str,
    pub community: &'a str,
    pub service: &'a str,
    pub first_served: Option<NaiveDate>,
}

/// Replaces the list: the clients are numbered from 1 in the order given.
pub fn replace(conn: &mut DbConnection, evaluation_id: i64, list: &[NewClient]) -> QueryResult<()> {
    diesel::delete(clients::table.filter(clients::evaluation_id.eq(evaluation_id)))
        .execute(conn)?;
    for (index, client) in list.iter().enumerate() {
        diesel::insert_into(clients::table)
            .values((
                clients::evaluation_id.eq(evaluation_id),
                clients::line.eq(index as i64 + 1),
                clients::client_key.eq(client.client_key),
                clients::draw_key.eq(&client.draw_key),
                clients::name.eq(client.name),
                clients::phone.eq(client.phone),
                clients::community.eq(client.community),
                clients::service.eq(client.service),
                clients::first_served.eq(client.first_served),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The list in the station's order.
pub fn list(conn: &mut DbConnection, evaluation_id: i64) -> QueryResult<Vec<ClientRow>> {
    clients::table
        .filter(clients::evaluation_id.eq(evaluation_id))
        .order(clients::line)
        .select(ClientRow::as_select())
        .load(conn)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = survey_draws)]
pub struct DrawRow {
    pub id: i64,
    pub evaluation_id: i64,
    pub seed: String,
    pub size: i64,
    pub list_digest: String,
    /// JSON array of client ids, in draw order.
    pub client_ids: String,
    pub reason: Option<String>,
    pub drawn_by: Option<i64>,
    pub drawn_at: NaiveDateTime,
}

pub struct NewDraw<'a> {
    pub evaluation_id: i64,
    pub seed: &'a str,
    pub size: i64,
    pub list_digest: &'a str,
    pub client_ids: String,
    pub reason: Option<&'a str>,
    pub drawn_by: i64,
    pub drawn_at: NaiveDateTime,
}

pub fn insert_draw(conn: &mut DbConnection, new: &NewDraw) -> QueryResult<()> {
    diesel::insert_into(survey_draws::table)
        .values((
            survey_draws::evaluation_id.eq(new.evaluation_id),
            survey_draws::seed.eq(new.seed),
            survey_draws::size.eq(new.size),
            survey_draws::list_digest.eq(new.list_digest),
            survey_draws::client_ids.eq(&new.client_ids),
            survey_draws::reason.eq(new.reason),
            survey_draws::drawn_by.eq(new.drawn_by),
            survey_draws::drawn_at.eq(new.drawn_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// The evaluation's draws, oldest first: the last is the one called.
pub fn draws(conn: &mut DbConnection, evaluation_id: i64) -> QueryResult<Vec<DrawRow>> {
    survey_draws::table
        .filter(survey_draws::evaluation_id.eq(evaluation_id))
        .order(survey_draws::id)
        .select(DrawRow::as_select())
        .load(conn)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = survey_calls)]
pub struct CallRow {
    pub client_id: i64,
    pub reached: bool,
    pub unreached_reason: Option<String>,
    /// JSON object: question code → option value.
    pub answers: String,
    pub called_by: i64,
    pub called_at: NaiveDateTime,
}

pub struct NewCall<'a> {
    pub evaluation_id: i64,
    pub client_id: i64,
    pub reached: bool,
    pub unreached_reason: Option<&'a str>,
    pub answers: String,
    pub called_by: i64,
    pub called_at: NaiveDateTime,
    pub recorded_at: NaiveDateTime,
}

/// Records a call, replacing an earlier record of the same client's (the caller holds the
/// evaluation's lock, so two callers never insert the same client at once).
pub fn put_call(conn: &mut DbConnection, new: &NewCall) -> QueryResult<()> {
    diesel::delete(
        survey_calls::table
            .filter(survey_calls::evaluation_id.eq(new.evaluation_id))
            .filter(survey_calls::client_id.eq(new.client_id)),
    )
    .execute(conn)?;
    diesel::insert_into(survey_calls::table)
        .values((
            survey_calls::evaluation_id.eq(new.evaluation_id),
            survey_calls::client_id.eq(new.client_id),
            survey_calls::reached.eq(new.reached),
            survey_calls::unreached_reason.eq(new.unreached_reason),
            survey_calls::answers.eq(&new.answers),
            survey_calls::called_by.eq(new.called_by),
            survey_calls::called_at.eq(new.called_at),
            survey_calls::recorded_at.eq(new.recorded_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// Every call recorded for the evaluation (of any draw), by client.
pub fn calls(conn: &mut DbConnection, evaluation_id: i64) -> QueryResult<Vec<CallRow>> {
    survey_calls::table
        .filter(survey_calls::evaluation_id.eq(evaluation_id))
        .order(survey_calls::client_id)
        .select(CallRow::as_select())
        .load(conn)
}
