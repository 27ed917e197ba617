//! Evidence files' records; the bytes live in the file store (`crate::storage`).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::attachments;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = attachments)]
pub struct AttachmentRow {
    pub id: i64,
    pub evaluation_id: i64,
    pub filename: String,
    pub content_type: String,
    pub bytes: i64,
    pub sha256: String,
    pub storage_key: String,
    pub uploaded_by: i64,
    pub created_at: NaiveDateTime,
    /// The rectification item it is evidence for; none for the self-assessment's evidence.
    pub rectification_id: Option<i64>,
}

pub struct NewAttachment<'a> {
    pub evaluation_id: i64,
    pub filename: &'a str,
    pub content_type: &'a str,
    pub bytes: i64,
    pub sha256: &'a str,
    pub storage_key: &'a str,
    pub uploaded_by: i64,
    pub rectification_id: Option<i64>,
}

pub fn insert(
    conn: &mut DbConnection,
    new: &NewAttachment,
    now: NaiveDateTime,
) -> QueryResult<AttachmentRow> {
    let id: i64 = diesel::insert_into(attachments::table)
        .values((
            attachments::evaluation_id.eq(new.evaluation_id),
            attachments::filename.eq(new.filename),
            attachments::content_type.eq(new.content_type),
            attachments::bytes.eq(new.bytes),
            attachments::sha256.eq(new.sha256),
            attachments::storage_key.eq(new.storage_key),
            attachments::uploaded_by.eq(new.uploaded_by),
            attachments::created_at.eq(now),
            attachments::rectification_id.eq(new.rectification_id),
        ))
        .returning(attachments::id)
        .get_result(conn)?;
    find(conn, id)?.ok_or(diesel::result::Error::NotFound)
}

pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<AttachmentRow>> {
    attachments::table
        .find(id)
        .select(AttachmentRow::as_select())
        .first(conn)
        .optional()
}

/// The evidence of rectification items `ids`.
pub fn of_items(conn: &mut DbConnection, ids: &[i64]) -> QueryResult<Vec<AttachmentRow>> {
    let mut rows = Vec::new();
    for chunk in ids.chunks(super::evaluations::ID_CHUNK) {
        rows.extend(
            attachments::table
                .filter(attachments::rectification_id.eq_any(chunk))
                .order(attachments::id)
                .select(AttachmentRow::as_select())
                .load(conn)?,
        );
    }
    Ok(rows)
}

pub fn list(conn: &mut DbConnection, evaluation_id: i64) -> QueryResult<Vec<AttachmentRow>> {
    attachments::table
        .filter(attachments::evaluation_id.eq(evaluation_id))
        .order(attachments::id)
        .select(AttachmentRow::as_select())
        .load(conn)
}
