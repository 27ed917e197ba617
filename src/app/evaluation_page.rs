//! The evaluation page's data, read once: the evaluation, its scheme, what the user may do and
//! the open tab's contents, on one connection in one read transaction — every tab sees one
//! snapshot, and visibility is checked once. The pages render from it and ask nothing else.

use crate::app::access::{actor_of, scheme_of, state_of};
use crate::app::attachments::AttachmentView;
use crate::app::components::{ComponentView, component_on};
use crate::app::error::AppError;
use crate::app::evaluations::{EvaluationContext, EvaluationView, context_on, today};
use crate::app::feedback::FeedbackList;
use crate::app::panel::{Panel, Sheet, panel_on, sheet_of};
use crate::app::rectifications::RectificationView;
use crate::app::reports::ReportVersion;
use crate::app::staff::Staff;
use crate::app::workflow::Timeline;
use crate::auth::extractor::AuthenticatedUser;
use crate::db::{self, DbConnection, attachments};
use crate::domain::access::EvaluationAccess;
use crate::domain::indicators::{IndicatorTable, Zone};
use crate::domain::scheme::Scheme;
use crate::domain::workflow::{self, Event};
use crate::state::AppState;

/// The tabs of the evaluation page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Info,
    SelfAssessment,
    Scoring,
    Reports,
    Feedback,
    Rectification,
    Survey,
    Timeline,
}

impl Tab {
    /// The tab a `?tab=` names; 基本信息 for anything else.
    pub fn from_code(code: Option<&str>) -> Tab {
        match code {
            Some("self") => Tab::SelfAssessment,
            Some("scoring") => Tab::Scoring,
            Some("reports") => Tab::Reports,
            Some("feedback") => Tab::Feedback,
            Some("rectification") => Tab::Rectification,
            Some("survey") => Tab::Survey,
            Some("timeline") => Tab::Timeline,
            _ => Tab::Info,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Tab::Info => "info",
            Tab::SelfAssessment => "self",
            Tab::Scoring => "scoring",
            Tab::Reports => "reports",
            Tab::Feedback => "feedback",
            Tab::Rectification => "rectification",
            Tab::Survey => "survey",
            Tab::Timeline => "timeline",
        }
    }
}

/// What the open tab shows.
pub enum TabData {
    Info,
    SelfAssessment(SelfAssessmentData),
    Scoring(ScoringData),
    Reports {
        versions: Vec<ReportVersion>,
    },
    Feedback {
        list: FeedbackList,
        versions: Vec<ReportVersion>,
    },
    Rectification {
        /// This evaluation's items.
        items: Vec<RectificationView>,
    },
    /// The client list and the survey; None for those who do not take part in it.
    Survey(Option<SurveyData>),
    Timeline(Timeline),
}

pub struct SurveyData {
    pub clients: crate::app::clients::Clients,
    pub survey: crate::app::survey::Survey,
}

pub struct SelfAssessmentData {
    pub indicators: IndicatorTable,
    pub staff: Staff,
    pub evidence: Vec<AttachmentView>,
    pub narrative: String,
}

pub struct ScoringData {
    /// The components the user may see, in the scheme's order.
    pub components: Vec<ComponentView>,
    /// The user's own expert sheet, if on the panel.
    pub sheet: Option<Sheet>,
    pub panel: Option<Panel>,
}

pub struct EvaluationPage {
    pub view: EvaluationView,
    pub access: EvaluationAccess,
    pub scheme: Scheme,
    /// The events the user may fire now, each with whether it needs a reason.
    pub actions: Vec<(Event, bool)>,
    /// The station's zones (for the tabs that list or choose them).
    pub zones: Vec<Zone>,
    pub tab: TabData,
}

/// The page of evaluation `id` on `tab` as `me` may see it (404 otherwise).
pub async fn evaluation_page_for(
    state: &AppState,
    me: &AuthenticatedUser,
    id: i64,
    tab: Tab,
) -> Result<EvaluationPage, AppError> {
    let user = me.clone();
    let today = today(state);
    db::run(&state.pool, move |conn| {
        db::read_transaction(conn, |conn| load(conn, &user, id, today, tab))
    })
    .await
}

fn load(
    conn: &mut DbConnection,
    user: &AuthenticatedUser,
    id: i64,
    today: chrono::NaiveDate,
    tab: Tab,
) -> Result<EvaluationPage, AppError> {
    let (detail, EvaluationContext { view, access }) = context_on(conn, user, id, today)?;
    let scheme = scheme_of(&detail)?;
    let actions = workflow::available(state_of(&detail)?, actor_of(user, &detail));
    let zones = match tab {
        Tab::SelfAssessment | Tab::Scoring => db::stations::zones_of(conn, detail.row.station_id)?,
        _ => Vec::new(),
    };
    let data = match tab {
        Tab::Info => TabData::Info,
        Tab::SelfAssessment => TabData::SelfAssessment(SelfAssessmentData {
            indicators: crate::app::indicators::table_of(conn, &detail, &scheme)?,
            staff: crate::app::staff::staff_of(conn, &detail)?,
            evidence: attachments::list(conn, id)?
                .into_iter()
                .filter(|a| a.rectification_id.is_none())
                .map(AttachmentView::from)
                .collect(),
            narrative: crate::app::self_assessment::narrative_of(conn, id)?.narrative,
        }),
        Tab::Scoring => {
            let mut components = Vec::new();
            for party in &scheme.parties {
                match component_on(conn, user, &detail, &scheme, &party.code) {
                    Ok(found) => components.push(found),
                    // Another party's score before the draft: not shown.
                    Err(AppError::Forbidden(_)) => {}
                    Err(other) => return Err(other),
                }
            }
            let sheet = match sheet_of(conn, &detail, &scheme, user.id) {
                Ok(sheet) => Some(sheet),
                Err(AppError::NotFound(_)) => None,
                Err(other) => return Err(other),
            };
            let panel = if access.sees_panel() {
                Some(panel_on(conn, user, &detail, &scheme)?)
            } else {
                None
            };
            TabData::Scoring(ScoringData {
                components,
                sheet,
                panel,
            })
        }
        Tab::Reports => TabData::Reports {
            versions: crate::app::reports::versions_of(conn, id)?,
        },
        Tab::Feedback => TabData::Feedback {
            list: crate::app::feedback::list_of(conn, &detail)?,
            versions: crate::app::reports::versions_of(conn, id)?,
        },
        Tab::Rectification => TabData::Rectification {
            items: crate::app::rectifications::station_items_on(
                conn,
                user,
                detail.row.station_id,
                today,
            )?
            .into_iter()
            .filter(|item| item.evaluation_id == id)
            .collect(),
        },
        Tab::Survey => TabData::Survey(if access.sees_clients() {
            Some(SurveyData {
                clients: crate::app::clients::clients_of(conn, &detail, user)?,
                survey: crate::app::survey::survey_of(conn, &detail, user)?,
            })
        } else {
            None
        }),
        Tab::Timeline => TabData::Timeline(crate::app::workflow::timeline_on(conn, user, &detail)?),
    };
    Ok(EvaluationPage {
        view,
        access,
        scheme,
        actions,
        zones,
        tab: data,
    })
}
