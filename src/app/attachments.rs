//! Evidence files (佐证材料): POST, GET /evaluations/{id}/attachments and GET /attachments/{id}.
//! An upload is streamed to the file store in small parts while its SHA-256 is computed — never
//! the whole file in memory; its type is judged from its first bytes; past
//! `storage.max_upload_mb` it is abandoned with 413.

use crate::app::access::{station_write, visible};
use crate::app::error::AppError;
use crate::app::input::{MAX_FORM_FIELDS, too_many_form_fields};
use crate::app::views::utc;
use crate::app::views::{Download, DownloadBody};
use crate::auth::extractor::AuthenticatedUser;
use crate::db::attachments::{self, AttachmentRow, NewAttachment};
use crate::db::audit::{self, NewEntry};
use crate::db::{self, evaluations as store};
use crate::domain::{evidence, text};
use crate::state::AppState;
use actix_multipart::{Field, Multipart};
use actix_web::web;
use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use object_store::path::Path as StorePath;
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentView {
    pub id: i64,
    pub evaluation_id: i64,
    pub filename: String,
    pub content_type: String,
    pub bytes: i64,
    pub sha256: String,
    pub uploaded_by: i64,
    pub created_at: DateTime<Utc>,
    /// The rectification item it is evidence for (none: the self-assessment's).
    pub rectification_id: Option<i64>,
}

impl From<AttachmentRow> for AttachmentView {
    fn from(row: AttachmentRow) -> Self {
        AttachmentView {
            id: row.id,
            evaluation_id: row.evaluation_id,
            filename: row.filename,
            content_type: row.content_type,
            bytes: row.bytes,
            sha256: row.sha256,
            uploaded_by: row.uploaded_by,
            created_at: utc(row.created_at),
            rectification_id: row.rectification_id,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Attachments {
    pub items: Vec<AttachmentView>,
}

/// The longest file name kept, in characters (with its extension).
const MAX_FILENAME_CHARS: usize = 100;

/// The name to keep: its last path component, without control characters, cut to
/// `MAX_FILENAME_CHARS` keeping its extension.
fn clean_filename(raw: Option<&str>) -> String {
    let name = raw
        .unwrap_or("")
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or("")
        .chars()
        .filter(|c| !text::breaks_line(*c))
        .collect::<String>();
    let name = text::cut_file_name(name.trim(), MAX_FILENAME_CHARS);
    if name.is_empty() {
        "未命名文件".to_owned()
    } else {
        name
    }
}

fn store_error(e: anyhow::Error) -> AppError {
    e.context("file store").into()
}

fn multipart_error(e: actix_multipart::MultipartError) -> AppError {
    AppError::Malformed(format!("无法读取上传的文件：{e}"))
}

/// Reads and discards the rest of the request, so the client gets the answer instead of a
/// reset connection; memory stays flat. Past `budget` bytes it stops: the connection is then
/// closed rather than read forever.
async fn drain(mut payload: Multipart, budget: u64) {
    let mut read: u64 = 0;
    while let Ok(Some(mut field)) = payload.try_next().await {
        while let Ok(Some(chunk)) = field.try_next().await {
            read += chunk.len() as u64;
            if read > budget {
                return;
            }
        }
    }
}

/// A file stored for a form that was then refused: nothing refers to it.
async fn discard(state: &AppState, stored: Option<Stored>) {
    if let Some(file) = stored {
        state.files.delete(&file.key).await;
    }
}

/// The bytes of a form field besides the file.
const MAX_TEXT_FIELD_BYTES: usize = 4096;

/// A text field of the form, refused past its bound.
async fn read_text_field(field: &mut Field, name: &str) -> Result<String, AppError> {
    let mut text = Vec::new();
    while let Some(chunk) = field.try_next().await.map_err(multipart_error)? {
        if text.len() + chunk.len() > MAX_TEXT_FIELD_BYTES {
            return Err(AppError::field(
                if name.is_empty() { "multipart" } else { name },
                format!("字段过长（至多 {MAX_TEXT_FIELD_BYTES} 字节）"),
            ));
        }
        text.extend_from_slice(&chunk);
    }
    Ok(String::from_utf8_lossy(&text).into_owned())
}

struct Stored {
    key: StorePath,
    bytes: i64,
    sha256: String,
    content_type: &'static str,
}

enum Refused {
    TooLarge,
    Problem(AppError),
}

/// Streams one field to the store: its first bytes decide the type; past `limit` it is
/// abandoned.
async fn stream_to_store(
    state: &AppState,
    field: &mut Field,
    key: StorePath,
    limit: u64,
) -> Result<Stored, Refused> {
    let mut head: Vec<u8> = Vec::new();
    let mut first_rest: Vec<web::Bytes> = Vec::new();
    // A field must not be polled again once it has ended (a file smaller than its head).
    let mut ended = false;
    while head.len() < evidence::HEAD_BYTES {
        match field
            .try_next()
            .await
            .map_err(|e| Refused::Problem(multipart_error(e)))?
        {
            Some(chunk) => {
                let take = (evidence::HEAD_BYTES - head.len()).min(chunk.len());
                head.extend_from_slice(&chunk[..take]);
                if take < chunk.len() {
                    first_rest.push(chunk.slice(take..));
                }
            }
            None => {
                ended = true;
                break;
            }
        }
    }
    let content_type = evidence::accepted_type(&head)
        .map_err(|reason| Refused::Problem(AppError::field("file", reason)))?;
    let mut writer = state
        .files
        .writer(&key)
        .await
        .map_err(|e| Refused::Problem(store_error(e)))?;
    let mut hasher = Sha256::new();
    let mut total: u64 = 0;
    let mut pending: Vec<web::Bytes> = vec![web::Bytes::from(head)];
    pending.extend(first_rest);
    loop {
        for chunk in pending.drain(..) {
            total += chunk.len() as u64;
            if total > limit {
                writer.abort().await;
                return Err(Refused::TooLarge);
            }
            hasher.update(&chunk);
            if let Err(e) = writer.put(chunk).await {
                writer.abort().await;
                return Err(Refused::Problem(store_error(e)));
            }
        }
        if ended {
            break;
        }
        match field.try_next().await {
            Ok(Some(chunk)) => pending.push(chunk),
            Ok(None) => break,
            Err(e) => {
                writer.abort().await;
                return Err(Refused::Problem(multipart_error(e)));
            }
        }
    }
    writer
        .finish()
        .await
        .map_err(|e| Refused::Problem(store_error(e)))?;
    let digest = hasher.finalize();
    Ok(Stored {
        key,
        bytes: total as i64,
        sha256: digest.iter().map(|b| format!("{b:02x}")).collect(),
        content_type,
    })
}

/// What an evidence file is for: the self-assessment (while the station edits it), or a
/// rectification item of the evaluation (while the station may answer it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    SelfAssessment,
    Rectification(i64),
}

/// May `user` add evidence for `purpose` to evaluation `id` now?
fn may_upload(
    conn: &mut db::DbConnection,
    user: &AuthenticatedUser,
    id: i64,
    purpose: Purpose,
) -> Result<(), AppError> {
    match purpose {
        Purpose::SelfAssessment => station_write(conn, user, id, None).map(|_| ()),
        Purpose::Rectification(item) => {
            crate::app::rectifications::ensure_answerable(conn, user, id, item)
        }
    }
}

/// Stores the multipart field `file` as `user`'s evidence for `purpose` (the API and the
/// pages). The text fields before it go to `check_fields` before a byte of the file is stored
/// (the pages' CSRF token); fields after it are skipped.
pub async fn upload_for(
    state: &AppState,
    user: &AuthenticatedUser,
    (id, purpose): (i64, Purpose),
    mut payload: Multipart,
    request_id: Option<String>,
    check_fields: impl FnOnce(&[(String, String)]) -> Result<(), AppError>,
) -> Result<AttachmentView, AppError> {
    let user = user.clone();
    // Who may upload is settled before a byte of the file is read.
    let checker = user.clone();
    db::run(&state.pool, move |conn| {
        may_upload(conn, &checker, id, purpose)
    })
    .await?;
    let limit = state.settings.storage.max_upload_mb * 1024 * 1024;
    let mut stored: Option<Stored> = None;
    let mut filename = String::new();
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut check_fields = Some(check_fields);
    let mut seen = 0;
    loop {
        let mut field = match payload.try_next().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(error) => {
                discard(state, stored).await;
                return Err(multipart_error(error));
            }
        };
        seen += 1;
        let refused = if seen > MAX_FORM_FIELDS + 1 {
            Some(too_many_form_fields())
        } else if field.name() != Some("file") || stored.is_some() {
            let name = field
                .name()
                .unwrap_or_default()
                .chars()
                .take(64)
                .collect::<String>();
            match read_text_field(&mut field, &name).await {
                Ok(text) => {
                    if stored.is_none() {
                        fields.push((name, text));
                    }
                    continue;
                }
                Err(problem) => Some(problem),
            }
        } else if let Some(check) = check_fields.take()
            && let Err(refused) = check(&fields)
        {
            Some(refused)
        } else {
            filename = clean_filename(field.content_disposition().and_then(|d| d.get_filename()));
            let key = StorePath::from(format!(
                "evaluations/{id}/{}",
                uuid::Uuid::new_v4().simple()
            ));
            match stream_to_store(state, &mut field, key, limit).await {
                Ok(file) => {
                    stored = Some(file);
                    continue;
                }
                Err(Refused::TooLarge) => Some(AppError::PayloadTooLarge),
                Err(Refused::Problem(problem)) => Some(problem),
            }
        };
        if let Some(refused) = refused {
            drop(field);
            drain(payload, limit).await;
            discard(state, stored).await;
            return Err(refused);
        }
    }
    let Some(file) = stored else {
        return Err(AppError::field("file", "请选择要上传的文件"));
    };
    let key = file.key.clone();
    let files = state.files.clone();
    let saved = db::run(&state.pool, move |conn| {
        crate::app::standing::evaluation_write(conn, id, |conn| {
            // Checked again: the self-assessment may have been submitted (the item verified)
            // during the upload.
            may_upload(conn, &user, id, purpose)?;
            let now = db::now();
            store::touch(conn, id, now)?;
            let row = attachments::insert(
                conn,
                &NewAttachment {
                    evaluation_id: id,
                    filename: &filename,
                    content_type: file.content_type,
                    bytes: file.bytes,
                    sha256: &file.sha256,
                    storage_key: file.key.as_ref(),
                    uploaded_by: user.id,
                    rectification_id: match purpose {
                        Purpose::Rectification(item) => Some(item),
                        Purpose::SelfAssessment => None,
                    },
                },
                now,
            )?;
            audit::append(
                conn,
                &NewEntry {
                    entity: "attachment".into(),
                    entity_id: row.id.to_string(),
                    summary: format!(
                        "上传{}佐证材料“{}”（{} 字节，SHA-256 {}）",
                        if row.rectification_id.is_some() {
                            "整改"
                        } else {
                            ""
                        },
                        row.filename,
                        row.bytes,
                        row.sha256
                    ),
                    request_id,
                    ..NewEntry::on_evaluation(
                        id,
                        (user.id, user.organization.id),
                        "upload_attachment",
                        now,
                    )
                },
            )?;
            Ok::<_, AppError>(row)
        })
    })
    .await;
    match saved {
        Ok(row) => Ok(AttachmentView::from(row)),
        Err(e) => {
            // Nothing refers to the stored file: remove it.
            files.delete(&key).await;
            Err(e)
        }
    }
}

/// An evidence file for item `id`'s answer, streamed like the self-assessment's evidence.
pub async fn upload_rectification_evidence_for(
    state: &AppState,
    me: &AuthenticatedUser,
    id: i64,
    payload: actix_multipart::Multipart,
    request_id: Option<String>,
    check_fields: impl FnOnce(&[(String, String)]) -> Result<(), AppError>,
) -> Result<AttachmentView, AppError> {
    let user = me.clone();
    let evaluation = db::run(&state.pool, move |conn| {
        let item =
            crate::db::rectifications::find(conn, id)?.ok_or(AppError::NotFound("整改事项"))?;
        crate::app::rectifications::ensure_answerable(conn, &user, item.evaluation_id, id)?;
        Ok::<_, AppError>(item.evaluation_id)
    })
    .await?;
    let purpose = (evaluation, Purpose::Rectification(id));
    upload_for(state, me, purpose, payload, request_id, check_fields).await
}

/// The evidence files for any party of the evaluation.
pub async fn attachments_for(
    state: &AppState,
    user: &AuthenticatedUser,
    id: i64,
) -> Result<Attachments, AppError> {
    let user = user.clone();
    let rows = db::run(&state.pool, move |conn| {
        visible(conn, &user, id)?;
        Ok::<_, AppError>(attachments::list(conn, id)?)
    })
    .await?;
    Ok(Attachments {
        items: rows.into_iter().map(AttachmentView::from).collect(),
    })
}

/// An evidence file streamed to any party of its evaluation; others get 404.
pub async fn download_for(
    state: &AppState,
    user: &AuthenticatedUser,
    id: i64,
) -> Result<Download, AppError> {
    let user = user.clone();
    let row = db::run(&state.pool, move |conn| {
        let row = attachments::find(conn, id)?.ok_or(AppError::NotFound("佐证材料"))?;
        visible(conn, &user, row.evaluation_id).map_err(|_| AppError::NotFound("佐证材料"))?;
        Ok::<_, AppError>(row)
    })
    .await?;
    let found = state
        .files
        .read(&StorePath::from(row.storage_key.as_str()))
        .await
        .map_err(store_error)?;
    Ok(Download {
        content_type: row.content_type,
        filename: row.filename,
        fallback_name: "evidence".to_owned(),
        inline: false,
        sandboxed: true,
        sha256: Some(row.sha256),
        body: DownloadBody::Stream(found),
    })
}
