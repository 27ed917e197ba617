//! Report versions: generated at issue_draft (draft v1), by the agency during draft_feedback
//! (revised drafts) and at approve (final). Each version is frozen — its model and rendered files
//! stored once, served byte-identical later. GET /evaluations/{id}/reports, POST (revised draft),
//! GET /reports/{id}, /reports/{id}.html (and .docx, .pdf where rendered).

use crate::app::access::{
    Record, Writing, access_of, audit_on_evaluation, notify, scheme_of, state_of, visible,
};
use crate::app::error::AppError;
use crate::app::views::utc;
use crate::app::views::{Download, DownloadBody};
use crate::auth::extractor::AuthenticatedUser;
use crate::db::evaluations::{self as evaluations, EvaluationDetail};
use crate::db::reports::{self as store, DRAFT, FINAL, FileInfo, NewFile, NewReport, ReportRow};
use crate::db::{self, DbConnection, components, stations};
use crate::domain::components::{Concern, Strength};
use crate::domain::evaluation::Kind;
use crate::domain::scheme::Scheme;
use crate::domain::staffing;
use crate::domain::workflow::State;
use crate::notify::catalog::Notice;
use crate::report::build::{
    self, Approval, PartyComments, PartyOrganization, ReportInput, Results, ZoneFacts,
};
use crate::report::compare::{self, SectionChange};
use crate::report::model::{Report, report_number};
use crate::report::{docx, html, pdf};
use crate::state::AppState;
use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

/// Loads everything the report of `detail` says: a fixed number of queries.
fn input_of<'a>(
    conn: &mut DbConnection,
    detail: &EvaluationDetail,
    scheme: &'a Scheme,
    version: i64,
    approval: Option<Approval>,
    number: Option<String>,
) -> Result<ReportInput<'a>, AppError> {
    let row = &detail.row;
    let station = stations::find(conn, row.station_id)?
        .ok_or_else(|| anyhow::anyhow!("station of evaluation {} vanished", row.id))?;
    let agreement = stations::find_agreement(conn, row.agreement_id)?
        .ok_or_else(|| anyhow::anyhow!("agreement of evaluation {} vanished", row.id))?;
    let comments = components::list(conn, row.id)?
        .into_iter()
        .map(|c| PartyComments {
            strengths: serde_json::from_str::<Vec<Strength>>(&c.strengths).unwrap_or_default(),
            concerns: serde_json::from_str::<Vec<Concern>>(&c.concerns).unwrap_or_default(),
            passed: c.gate_passed,
            gate_reason: c.gate_reason,
            conclusion: c.conclusion,
            party: c.party_code,
        })
        .collect();
    let score = crate::app::score::report_score(conn, detail, scheme)?;
    let results = Results {
        lines: score
            .components
            .iter()
            .map(|l| (l.party.clone(), l.score, l.passed))
            .collect(),
        total: score.total,
        grade: score.grade.as_ref().map(|g| g.name.clone()),
        gate_failed: score.gate_failed,
    };
    let indicators = crate::app::indicators::table_of(conn, detail, scheme)?;
    let staff = crate::app::staff::staff_of(conn, detail)?;
    let feedback = crate::app::feedback::rounds(conn, detail, scheme)?;
    let rectifications = crate::app::rectifications::carried_into(conn, detail)?;
    let kind = Kind::from_code(&row.kind).unwrap_or(Kind::MidTerm);
    let survey = crate::app::readings::outcome_of(conn, row.id, scheme)?;
    Ok(ReportInput {
        scheme,
        station_name: detail.station_name.clone(),
        kind_name: kind.chinese_name(),
        address: station.station.address.clone(),
        operating_since: station.station.operating_since,
        organizations: detail
            .parties
            .iter()
            .map(|(code, org)| PartyOrganization {
                party: code.clone(),
                name: org.name.clone(),
                full_name: org.full_name.clone(),
            })
            .collect(),
        zones: station
            .zones
            .into_iter()
            .map(|z| ZoneFacts {
                id: z.id,
                name: z.name,
                communities: z.communities,
            })
            .collect(),
        agreement_period: (agreement.period_start, agreement.period_end),
        funding_fen: agreement.funding_fen,
        required_staff: (agreement.required_staff, agreement.required_certified_staff),
        assessment_period: (row.assessment_start, row.assessment_end),
        months_counted: staff.metrics.months,
        onsite_date: row.onsite_date,
        comments,
        results,
        indicators,
        period: staffing::period_months(row.assessment_start, row.assessment_end),
        roster: staff.workers.into_iter().map(|w| w.worker).collect(),
        subtotals: staff.months,
        metrics: staff.metrics,
        feedback,
        rectifications,
        survey,
        approval,
        version,
        number,
    })
}

/// The number of the evaluation's report: its earlier versions' if they have one, else the next
/// of the agency's sequence this year (`today`'s), under the agency's prefix or, without one,
/// its short name.
fn number_of(
    conn: &mut DbConnection,
    detail: &EvaluationDetail,
    scheme: &Scheme,
    today: NaiveDate,
) -> Result<Option<String>, AppError> {
    if let Some(number) = store::latest(conn, detail.row.id)?.and_then(|r| r.number) {
        return Ok(Some(number));
    }
    let Some(agency) = scheme
        .third_party()
        .and_then(|p| detail.parties.iter().find(|(code, _)| *code == p.code))
        .map(|(_, org)| org)
    else {
        return Ok(None);
    };
    let year = today.year();
    let sequence = store::next_number(conn, agency.id, year)?;
    let prefix = agency
        .report_prefix
        .as_deref()
        .filter(|p| !p.trim().is_empty())
        .unwrap_or(&agency.name);
    Ok(Some(report_number(prefix, year, sequence)))
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A report version issued in a transaction whose files are still to be rendered.
pub struct Issued {
    pub report_id: i64,
    pub version: i64,
    pub report: Report,
    pub kind: &'static str,
}

/// Builds and freezes the model of the evaluation's next report version, in the caller's
/// transaction. Its files are typeset after the commit (`render_files`), outside the
/// evaluation's lock and SQLite's only write lock.
pub fn issue(
    conn: &mut DbConnection,
    detail: &EvaluationDetail,
    user: &AuthenticatedUser,
    kind: &'static str,
    (today, now): (NaiveDate, NaiveDateTime),
) -> Result<Issued, AppError> {
    let scheme = scheme_of(detail)?;
    let version = store::next_version(conn, detail.row.id)?;
    let approval = (kind == FINAL).then(|| Approval {
        organization: user.organization.name.clone(),
        by: user.display_name.clone(),
        on: today,
    });
    let number = number_of(conn, detail, &scheme, today)?;
    let input = input_of(conn, detail, &scheme, version, approval, number.clone())?;
    let report = build::build(&input);
    let model = serde_json::to_string(&report).map_err(anyhow::Error::from)?;
    let new = NewReport {
        evaluation_id: detail.row.id,
        version,
        kind,
        model: &model,
        created_by: Some(user.id),
        number: number.as_deref(),
    };
    let report_id = store::insert(conn, &new, &[], now)?;
    Ok(Issued {
        report_id,
        version,
        report,
        kind,
    })
}

/// Typesets what a committed write issued. The write stands whatever happens here: a failure is
/// logged, and the files are typeset when first asked for.
pub async fn typeset_after_commit(state: &AppState, issued: Issued) {
    let report_id = issued.report_id;
    if let Err(error) = render_files(state, issued).await {
        tracing::error!(report = report_id, %error, "report files not typeset yet");
    }
}

/// Typesets an issued version's files from its committed model and stores them: HTML and Word
/// always, the PDF for the final report. Runs off the async workers and outside any write lock
/// but the short one that stores the files.
pub async fn render_files(state: &AppState, issued: Issued) -> Result<(), AppError> {
    let Issued {
        report_id,
        report,
        kind,
        ..
    } = issued;
    let files = actix_web::web::block(move || rendered(&report, kind, report_id))
        .await
        .map_err(|e| anyhow::anyhow!("rendering thread failed: {e}"))??;
    db::run(&state.pool, move |conn| {
        db::write_transaction(conn, |conn| {
            // Stored once: a second renderer (a retry, a download finding none) changes nothing.
            if store::find(conn, report_id)?.is_some_and(|(_, present)| !present.is_empty()) {
                return Ok(());
            }
            store::add_files(conn, report_id, &files)?;
            Ok::<_, AppError>(())
        })
    })
    .await
}

/// The publication copy of a version in `format`, typeset on request (it is never stored: the
/// parties' copy is the record). The PDF, as the stored one, only of the final report.
async fn public_download(
    state: &AppState,
    me: &AuthenticatedUser,
    id: i64,
    format: &'static str,
) -> Result<Download, AppError> {
    let user = me.clone();
    let (row, evaluation) = db::run(&state.pool, move |conn| {
        let (row, _) = visible_report(conn, &user, id)?;
        let evaluation =
            evaluations::find(conn, row.evaluation_id)?.ok_or(AppError::NotFound("报告"))?;
        Ok::<_, AppError>((row, evaluation))
    })
    .await?;
    if format == "pdf" && row.kind != FINAL {
        return Err(AppError::NotFound("该格式的报告文件"));
    }
    let report = model_of(&row)?;
    let body = actix_web::web::block(move || -> Result<Vec<u8>, AppError> {
        let public = crate::report::public::public_copy(&report, &report.people);
        Ok(match format {
            "html" => html::render(&public)
                .map_err(anyhow::Error::from)?
                .into_bytes(),
            "docx" => docx::render(&public).map_err(|e| anyhow::anyhow!("report as DOCX: {e}"))?,
            _ => pdf::render(&public).map_err(|e| anyhow::anyhow!("report as PDF: {e}"))?,
        })
    })
    .await
    .map_err(|e| anyhow::anyhow!("rendering thread failed: {e}"))??;
    Ok(file_of(
        &row,
        &evaluation,
        (id, format),
        ReportCopy::Public,
        body,
    ))
}

fn rendered(
    report: &Report,
    kind: &str,
    report_id: i64,
) -> Result<Vec<NewFile<'static>>, AppError> {
    let page = html::render(report).map_err(anyhow::Error::from)?;
    crate::metrics::report_rendered("html");
    let word = docx::render(report).map_err(|e| anyhow::anyhow!("report as DOCX: {e}"))?;
    crate::metrics::report_rendered("docx");
    // The PDF is the final report's: typeset only then. A machine without a CJK font still
    // approves; the report then has no PDF and the log says why.
    let printed = if kind == FINAL {
        pdf::render(report)
            .inspect(|_| crate::metrics::report_rendered("pdf"))
            .inspect_err(|e| tracing::warn!(report = report_id, "no PDF: {e}"))
            .ok()
    } else {
        None
    };
    let mut files = vec![
        NewFile {
            format: "html",
            sha256: sha256_hex(page.as_bytes()),
            content: page.into_bytes(),
        },
        NewFile {
            format: "docx",
            sha256: sha256_hex(&word),
            content: word,
        },
    ];
    if let Some(printed) = printed {
        files.push(NewFile {
            format: "pdf",
            sha256: sha256_hex(&printed),
            content: printed,
        });
    }
    Ok(files)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportFile {
    /// html, docx or pdf
    pub format: String,
    pub sha256: String,
    pub bytes: i64,
    /// Where to download it.
    pub url: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportVersion {
    pub id: i64,
    pub evaluation_id: i64,
    pub version: i64,
    /// draft or final
    pub kind: String,
    /// 报告编号, e.g. 穗社评〔2025〕第017号: given at the first version, kept by the later ones.
    pub number: Option<String>,
    pub created_at: DateTime<Utc>,
    pub files: Vec<ReportFile>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportVersions {
    pub items: Vec<ReportVersion>,
}

fn version_view(row: ReportRow, files: Vec<FileInfo>) -> ReportVersion {
    ReportVersion {
        id: row.id,
        evaluation_id: row.evaluation_id,
        version: row.version,
        kind: row.kind,
        number: row.number,
        created_at: utc(row.created_at),
        files: files
            .into_iter()
            .map(|f| ReportFile {
                url: format!("/api/v1/reports/{}.{}", f.report_id, f.format),
                format: f.format,
                sha256: f.sha256,
                bytes: f.bytes,
            })
            .collect(),
    }
}

/// The evaluation's report versions as `me` may see them (404 otherwise): API and pages.
pub async fn versions_for(
    state: &AppState,
    me: &AuthenticatedUser,
    id: i64,
) -> Result<Vec<ReportVersion>, AppError> {
    let user = me.clone();
    db::run(&state.pool, move |conn| {
        visible(conn, &user, id)?;
        versions_of(conn, id)
    })
    .await
}

/// The report versions of a visible evaluation, oldest first.
pub fn versions_of(conn: &mut DbConnection, id: i64) -> Result<Vec<ReportVersion>, AppError> {
    Ok(store::list(conn, id)?
        .into_iter()
        .map(|(row, files)| version_view(row, files))
        .collect())
}

/// Issues a revised draft as `user` (the API and the 报告 tab).
pub async fn revise_for(
    state: &AppState,
    user: &AuthenticatedUser,
    id: i64,
    request_id: Option<String>,
) -> Result<ReportVersion, AppError> {
    let user = user.clone();
    let today = crate::app::evaluations::today(state);
    let settings = state.settings.clone();
    let issued = db::run(&state.pool, move |conn| {
        crate::app::standing::evaluation_write(conn, id, |conn| {
            let detail = visible(conn, &user, id)?;
            access_of(&user, &detail, &scheme_of(&detail)?).ensure_revises_draft()?;
            if state_of(&detail)? != State::DraftFeedback {
                return Err(AppError::TransitionRefused {
                    detail: "只有在征求意见阶段才能出具报告修改稿".into(),
                    missing: vec![],
                });
            }
            let now = db::now();
            evaluations::touch(conn, id, now)?;
            let issued = issue(conn, &detail, &user, DRAFT, (today, now))?;
            let report_id = issued.report_id;
            let version = issued.version;
            let writing = Writing {
                user: &user,
                request_id,
                action: "revise_draft",
            };
            let summary = format!("出具评估报告修改稿（第 {version} 稿）");
            let record = Record {
                entity: "report",
                entity_id: report_id.to_string(),
                summary: summary.clone(),
                reason: None,
            };
            let audit_id = audit_on_evaluation(conn, id, writing, record, now)?;
            let scheme = scheme_of(&detail)?;
            // The same readers as the first draft's.
            let parties = crate::app::access::draft_readers(&detail, &scheme);
            let notice = Notice::DraftRevised { version };
            notify(
                conn, &settings, &user, &detail, &scheme, notice, audit_id, parties, now,
            )?;
            Ok::<_, AppError>(issued)
        })
    })
    .await?;
    let report_id = issued.report_id;
    typeset_after_commit(state, issued).await;
    let (row, files) = db::run(&state.pool, move |conn| {
        store::find(conn, report_id)?
            .ok_or_else(|| AppError::from(anyhow::anyhow!("report {report_id} vanished")))
    })
    .await?;
    Ok(version_view(row, files))
}

/// Loads a version the caller may see (404 otherwise).
fn visible_report(
    conn: &mut DbConnection,
    user: &AuthenticatedUser,
    report_id: i64,
) -> Result<(ReportRow, Vec<FileInfo>), AppError> {
    let (row, files) = store::find(conn, report_id)?.ok_or(AppError::NotFound("报告"))?;
    visible(conn, user, row.evaluation_id).map_err(|_| AppError::NotFound("报告"))?;
    Ok((row, files))
}

/// One version with its files, for anyone who may see its evaluation (404 otherwise).
pub async fn version_for(
    state: &AppState,
    user: &AuthenticatedUser,
    id: i64,
) -> Result<ReportVersion, AppError> {
    let user = user.clone();
    let (row, files) = db::run(&state.pool, move |conn| visible_report(conn, &user, id)).await?;
    Ok(version_view(row, files))
}

/// A version's document model as stored, the JSON every rendering draws (404 otherwise).
pub async fn model_for(
    state: &AppState,
    user: &AuthenticatedUser,
    id: i64,
) -> Result<String, AppError> {
    let user = user.clone();
    let (row, _) = db::run(&state.pool, move |conn| visible_report(conn, &user, id)).await?;
    Ok(row.model)
}

/// The stored model of a version (for comparisons).
pub fn model_of(row: &ReportRow) -> Result<Report, AppError> {
    Ok(serde_json::from_str(&row.model)
        .map_err(|e| anyhow::anyhow!("model of report {} does not parse: {e}", row.id))?)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Comparison {
    /// The older version (the path's first id).
    pub from: ReportVersion,
    pub to: ReportVersion,
    /// Sections that differ, with the sentences added and removed.
    pub sections: Vec<SectionChange>,
}

/// What changed between two versions, for anyone who may see both (the API and the 报告 tab).
pub async fn compare_for(
    state: &AppState,
    user: &AuthenticatedUser,
    id: i64,
    other: i64,
) -> Result<Comparison, AppError> {
    let user = user.clone();
    let ((from, from_files), (to, to_files)) = db::run(&state.pool, move |conn| {
        let first = visible_report(conn, &user, id)?;
        let second = visible_report(conn, &user, other)?;
        Ok::<_, AppError>((first, second))
    })
    .await?;
    if from.evaluation_id != to.evaluation_id {
        return Err(AppError::field("other", "只能比较同一评估的报告版本"));
    }
    let sections = compare::compare(&model_of(&from)?, &model_of(&to)?);
    Ok(Comparison {
        from: version_view(from, from_files),
        to: version_view(to, to_files),
        sections,
    })
}

/// Which copy of a version: the parties' (as stored), or the publication copy (`?copy=public`):
/// the workers' names masked, phone numbers and e-mail addresses left out (DESIGN.md §9).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportCopy {
    #[default]
    Full,
    Public,
}

/// `?copy=` of a report's file.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CopyQuery {
    /// `public` for the publication copy; the parties' copy by default.
    pub copy: Option<ReportCopy>,
}

/// A version's file as `me` may see it (404 otherwise), for the API and the pages: the stored
/// file, or the publication copy drawn from the stored model.
pub async fn download_for(
    state: &AppState,
    me: &AuthenticatedUser,
    id: i64,
    format: &'static str,
    copy: ReportCopy,
) -> Result<Download, AppError> {
    if copy == ReportCopy::Public {
        return public_download(state, me, id, format).await;
    }
    let read = |user: AuthenticatedUser| {
        db::run(&state.pool, move |conn| {
            let (row, files) = visible_report(conn, &user, id)?;
            let content = store::content(conn, id, format)?;
            let evaluation =
                evaluations::find(conn, row.evaluation_id)?.ok_or(AppError::NotFound("报告"))?;
            Ok::<_, AppError>((row, files.is_empty(), evaluation, content))
        })
    };
    let (row, unrendered, evaluation, content) = read(me.clone()).await?;
    // A version committed but never typeset (the process ended in between) is typeset now.
    let (row, evaluation, content) = if content.is_none() && unrendered {
        let kind = if row.kind == FINAL { FINAL } else { DRAFT };
        let issued = Issued {
            report_id: id,
            version: row.version,
            report: model_of(&row)?,
            kind,
        };
        render_files(state, issued).await?;
        let (row, _, evaluation, content) = read(me.clone()).await?;
        (row, evaluation, content)
    } else {
        (row, evaluation, content)
    };
    let content = content.ok_or(AppError::NotFound("该格式的报告文件"))?;
    Ok(file_of(
        &row,
        &evaluation,
        (id, format),
        ReportCopy::Full,
        content,
    ))
}

/// A version's file to send: its type, and a name from the station, the version and the copy.
fn file_of(
    row: &ReportRow,
    evaluation: &EvaluationDetail,
    (id, format): (i64, &'static str),
    copy: ReportCopy,
    content: Vec<u8>,
) -> Download {
    let content_type = match format {
        "html" => "text/html; charset=utf-8",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        _ => "application/pdf",
    };
    let label = if row.kind == FINAL {
        "评估报告".to_owned()
    } else {
        format!("评估报告征求意见稿第{}稿", row.version)
    };
    let public = if copy == ReportCopy::Public {
        "（公开版）"
    } else {
        ""
    };
    let name = format!("{}{label}{public}.{format}", evaluation.station_name);
    Download {
        content_type: content_type.to_owned(),
        filename: name,
        fallback_name: format!("report-{id}.{format}"),
        inline: format == "html",
        sandboxed: true,
        sha256: None,
        body: DownloadBody::Bytes(content),
    }
}
