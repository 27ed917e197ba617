//! Access to one evaluation for its handlers: load what the caller may see (404), decide what
//! their party and role may do (403), check the version they saw (409), in that order (§3).

use chrono::NaiveDateTime;

use crate::app::error::AppError;
use crate::auth::extractor::AuthenticatedUser;
use crate::auth::permissions::can_view_evaluation;
use crate::db::DbConnection;
use crate::db::evaluations::{self as store, EvaluationDetail, STATION_PARTY};
use crate::domain::access::EvaluationAccess;
use crate::domain::organization::OrgKind;
use crate::domain::scheme::Scheme;
use crate::domain::user::Role;
use crate::domain::workflow::{Actor, Party, State};

/// The part the caller's organization plays in this evaluation.
pub fn actor_of(user: &AuthenticatedUser, detail: &EvaluationDetail) -> Actor {
    let org = &user.organization;
    let runs_station = detail
        .parties
        .iter()
        .any(|(code, o)| code == STATION_PARTY && o.id == org.id);
    if runs_station && user.role != Role::Admin && org.kind != OrgKind::MunicipalBureau {
        return Actor {
            party: Party::Station,
            role: user.role,
        };
    }
    general_actor(user)
}

/// The part the caller's organization plays in any evaluation it takes part in, by its kind
/// (an operator is the station).
pub fn general_actor(user: &AuthenticatedUser) -> Actor {
    let org = &user.organization;
    let party = if user.role == Role::Admin {
        Party::Admin
    } else if org.kind == OrgKind::MunicipalBureau {
        Party::Municipal
    } else {
        match org.kind {
            OrgKind::CivilAffairsBureau => Party::Bureau,
            OrgKind::StreetOffice => Party::Purchaser,
            OrgKind::SupervisionCenter => Party::Center,
            OrgKind::EvaluationAgency => Party::Agency,
            OrgKind::Operator => Party::Station,
            _ => Party::Extra,
        }
    };
    Actor {
        party,
        role: user.role,
    }
}

/// The caller's access to this evaluation: the one answer to "may they …" (DESIGN.md §3).
pub fn access_of(
    user: &AuthenticatedUser,
    detail: &EvaluationDetail,
    scheme: &Scheme,
) -> EvaluationAccess {
    let parties = detail
        .parties
        .iter()
        .filter(|(_, org)| org.id == user.organization.id)
        .map(|(code, _)| code.clone())
        .collect();
    EvaluationAccess::new(actor_of(user, detail), parties, scheme)
}

/// Loads an evaluation the caller may see, or 404.
pub fn visible(
    conn: &mut DbConnection,
    user: &AuthenticatedUser,
    id: i64,
) -> Result<EvaluationDetail, AppError> {
    store::find(conn, id)?
        .filter(|d| can_view_evaluation(user, d))
        .ok_or(AppError::NotFound("评估"))
}

pub fn scheme_of(detail: &EvaluationDetail) -> Result<Scheme, AppError> {
    serde_json::from_str(&detail.scheme_document)
        .map_err(|e| AppError::from(anyhow::anyhow!("pinned scheme does not parse: {e}")))
}

/// The pinned schemes of a list of evaluations, each parsed once: a list of hundreds shares a
/// few schemes, and parsing each row's document again would dominate the list's time.
#[derive(Debug, Default)]
pub struct Schemes(std::collections::HashMap<(String, i64), Scheme>);

impl Schemes {
    pub fn of_all(details: &[EvaluationDetail]) -> Result<Schemes, AppError> {
        let mut parsed = std::collections::HashMap::new();
        for detail in details {
            let key = (detail.row.scheme_code.clone(), detail.row.scheme_version);
            if let std::collections::hash_map::Entry::Vacant(slot) = parsed.entry(key) {
                slot.insert(scheme_of(detail)?);
            }
        }
        Ok(Schemes(parsed))
    }

    /// The scheme of `detail` (one of the evaluations it was made of).
    pub fn of(&self, detail: &EvaluationDetail) -> Result<&Scheme, AppError> {
        self.0
            .get(&(detail.row.scheme_code.clone(), detail.row.scheme_version))
            .ok_or_else(|| {
                anyhow::anyhow!("no scheme parsed for evaluation {}", detail.row.id).into()
            })
    }
}

pub fn state_of(detail: &EvaluationDetail) -> Result<State, AppError> {
    State::from_code(&detail.row.state).ok_or_else(|| {
        anyhow::anyhow!(
            "evaluation {} has state {}",
            detail.row.id,
            detail.row.state
        )
        .into()
    })
}

fn ensure_version(detail: &EvaluationDetail, expected: Option<i64>) -> Result<(), AppError> {
    match expected {
        Some(v) if v != detail.row.version => Err(AppError::StaleVersion {
            current: detail.row.version,
        }),
        _ => Ok(()),
    }
}

/// May the caller make the organizers' writes (the agency's or bureau's manager, or an admin)
/// on this evaluation (403), having seen its current version (409)?
pub fn ensure_organizer(
    user: &AuthenticatedUser,
    detail: &EvaluationDetail,
    expected: Option<i64>,
    denial: &str,
) -> Result<(), AppError> {
    access_of(user, detail, &scheme_of(detail)?).ensure_organizes(denial)?;
    ensure_version(detail, expected)
}

/// May the caller write the station's self-assessment (its manager or member, or an admin;
/// 403), having seen the current version (409), while the self-assessment is open (409)?
pub fn ensure_station_editing(
    user: &AuthenticatedUser,
    detail: &EvaluationDetail,
    expected: Option<i64>,
) -> Result<(), AppError> {
    access_of(user, detail, &scheme_of(detail)?).ensure_edits_self_assessment()?;
    ensure_version(detail, expected)?;
    if state_of(detail)? != State::SelfAssessment {
        return Err(AppError::TransitionRefused {
            detail:
                "现在不在自评阶段，自评资料不能修改（自评开始后、提交前可以填写；被退回后可再修改）"
                    .into(),
            missing: vec![],
        });
    }
    Ok(())
}

/// The start of an organizers' write: the evaluation if the caller sees it (404) and may make
/// the write (403, 409).
pub fn organizer_write(
    conn: &mut DbConnection,
    user: &AuthenticatedUser,
    id: i64,
    expected: Option<i64>,
    denial: &str,
) -> Result<EvaluationDetail, AppError> {
    let detail = visible(conn, user, id)?;
    ensure_organizer(user, &detail, expected, denial)?;
    Ok(detail)
}

/// The start of a write of the station's self-assessment (404, 403, 409).
pub fn station_write(
    conn: &mut DbConnection,
    user: &AuthenticatedUser,
    id: i64,
    expected: Option<i64>,
) -> Result<EvaluationDetail, AppError> {
    let detail = visible(conn, user, id)?;
    ensure_station_editing(user, &detail, expected)?;
    Ok(detail)
}

/// Takes the evaluation's next version for a write that keeps its state, or 409 when another
/// write came first. Serializes writers of the evaluation and its audit chain.
pub fn claim_version(
    conn: &mut DbConnection,
    detail: &EvaluationDetail,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let id = detail.row.id;
    if store::bump_version(conn, id, detail.row.version, now)? == 0 {
        return Err(AppError::StaleVersion {
            current: store::current_version(conn, id)?,
        });
    }
    Ok(())
}

/// Who writes, for the audit entry of a write.
pub struct Writing<'a> {
    pub user: &'a AuthenticatedUser,
    pub request_id: Option<String>,
    /// The audit action, e.g. "set_targets".
    pub action: &'a str,
}

/// What an evaluation's audit entry records beyond who, when and the action.
pub struct Record {
    pub entity: &'static str,
    pub entity_id: String,
    pub summary: String,
    pub reason: Option<String>,
}

/// Appends the write's entry to the evaluation's audit chain; answers its id. The caller has
/// already serialized the write on the evaluation (its version bump), in the same transaction.
pub fn audit_on_evaluation(
    conn: &mut DbConnection,
    evaluation_id: i64,
    writing: Writing,
    record: Record,
    now: NaiveDateTime,
) -> Result<i64, AppError> {
    let user = writing.user;
    Ok(crate::db::audit::append(
        conn,
        &crate::db::audit::NewEntry {
            entity: record.entity.into(),
            entity_id: record.entity_id,
            summary: record.summary,
            reason: record.reason,
            request_id: writing.request_id,
            ..crate::db::audit::NewEntry::on_evaluation(
                evaluation_id,
                (user.id, user.organization.id),
                writing.action,
                now,
            )
        },
    )?)
}

/// Queues an event's notices to the users of `organizations`, the acting user named in them and
/// their Reply-To; in the event's transaction.
#[allow(clippy::too_many_arguments)]
pub fn notify(
    conn: &mut DbConnection,
    settings: &crate::settings::Settings,
    user: &AuthenticatedUser,
    detail: &EvaluationDetail,
    scheme: &Scheme,
    notice: crate::notify::catalog::Notice,
    audit_id: i64,
    organizations: Vec<i64>,
    now: NaiveDateTime,
) -> Result<usize, AppError> {
    let out = crate::notify::Outgoing {
        notice,
        detail,
        scheme,
        audit_id: Some(audit_id),
        organizations,
        actor: Some(crate::notify::Actor {
            display_name: format!("{}（{}）", user.display_name, user.organization.name),
            email: user.email.clone(),
        }),
        once_key: None,
    };
    Ok(crate::notify::queue(conn, settings, &out, now)?)
}

/// The organizations a draft goes to (`domain::evaluation::draft_readers`).
pub fn draft_readers(detail: &EvaluationDetail, scheme: &Scheme) -> Vec<i64> {
    crate::domain::evaluation::draft_readers(
        detail
            .parties
            .iter()
            .map(|(code, org)| (code.as_str(), OrgKind::from_code(&org.kind), org.id)),
        scheme,
    )
}

/// The current stage's next deadline: the earliest date of a party that still owes its part
/// (with its own extensions), or none when every party has acted and the stage waits on the
/// agency's next step. `done`: the parties that have acted in this stage.
pub fn next_deadline(
    detail: &EvaluationDetail,
    scheme: &Scheme,
    state: State,
    done: &[String],
    today: chrono::NaiveDate,
) -> Option<crate::domain::deadline::NextDeadline> {
    use crate::domain::deadline;
    let stage = crate::domain::evaluation::Stage::of(state)?;
    let stage_due = *detail.deadlines.get(stage.code())?;
    let extensions: std::collections::HashMap<String, chrono::NaiveDate> = detail
        .party_extensions
        .iter()
        .filter(|((extended, _), _)| extended == stage.code())
        .map(|((_, party), date)| (party.clone(), *date))
        .collect();
    let owing = deadline::still_owing(stage, scheme, done, |p| {
        detail.parties.iter().any(|(code, _)| code == p)
    });
    if owing.is_empty() {
        return None;
    }
    Some(deadline::next_deadline(
        stage,
        stage_due,
        &owing,
        &extensions,
        today,
    ))
}
