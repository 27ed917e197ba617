//! The data of the evaluation page's 满意度 tab: the station's client list and its upload, the
//! agency's draw, the calling sheet (a card per sampled client, usable on a phone) and the
//! results; the forms that change them are in `web::survey`.

use crate::app::clients::{ClientView, DEFAULT_SAMPLE};
use crate::app::evaluation_page::SurveyData;
use crate::app::survey::{CallView, SampleView};
use crate::domain::points::Points;
use crate::domain::survey::{QuestionFigure, RateKind, UNREACHED_REASONS};
use crate::domain::workflow::State;
use crate::web::tabs::PageHead;

/// One card of the calling sheet: the client and their recorded call, if any.
pub struct CallCard {
    pub client: ClientView,
    pub call: Option<CallView>,
}

impl CallCard {
    /// The outcome's radio value: `reached`, a reason, or "" before the call.
    pub fn outcome(&self) -> String {
        match &self.call {
            Some(call) if call.reached => "reached".into(),
            Some(call) => call.unreached_reason.clone().unwrap_or_default(),
            None => String::new(),
        }
    }

    /// The recorded answer to `question`, or "".
    pub fn answer(&self, question: &str) -> String {
        self.call
            .as_ref()
            .and_then(|c| c.answers.get(question).cloned())
            .unwrap_or_default()
    }
}

pub struct SurveyTab {
    /// The whole list (phones only where the user is shown them).
    pub clients: Vec<ClientView>,
    /// The station may upload the list now.
    pub uploads: bool,
    /// The agency's manager may draw now, and the size a draw takes by default.
    pub draws: bool,
    pub default_size: i64,
    pub sample: Option<SampleView>,
    /// The calling sheet, for the agency while the survey is open.
    pub cards: Vec<CallCard>,
    pub questions: Vec<crate::domain::survey::Question>,
    pub reasons: [&'static str; 3],
    pub called: i64,
    pub reached: i64,
    pub satisfied: i64,
    pub rate: Option<Points>,
    pub mean: bool,
    pub figures: Vec<QuestionFigure>,
    /// The scheme has no questionnaire (evaluations on an earlier version).
    pub no_questionnaire: bool,
}

/// The tab from the page's data; None for those who take no part in the survey.
pub fn build(page: &PageHead, data: Option<SurveyData>) -> Option<SurveyTab> {
    let SurveyData { clients, survey } = data?;
    let (view, access) = (page.view, page.access);
    let open = view.state == State::OnsiteScoring;
    let drawn = survey.sample.is_some();
    let cards = match (&survey.sample, &survey.calls) {
        (Some(sample), Some(calls)) if open && access.records_calls() => sample
            .client_ids
            .iter()
            .filter_map(|id| clients.items.iter().find(|c| c.id == *id))
            .map(|client| CallCard {
                client: client.clone(),
                call: calls.iter().find(|c| c.client_id == client.id).cloned(),
            })
            .collect(),
        _ => Vec::new(),
    };
    let questionnaire = page.scheme.survey.as_ref();
    Some(SurveyTab {
        uploads: view.state == State::SelfAssessment && access.edits_self_assessment() && !drawn,
        draws: open && access.draws_sample() && clients.total > 0,
        default_size: questionnaire.map_or(DEFAULT_SAMPLE, |s| s.min_sample),
        clients: clients.items,
        sample: survey.sample,
        cards,
        questions: questionnaire
            .map(|s| s.questions.clone())
            .unwrap_or_default(),
        reasons: UNREACHED_REASONS,
        called: survey.called,
        reached: survey.reached,
        satisfied: survey.satisfied,
        rate: survey.rate,
        mean: survey.rate_kind == Some(RateKind::Mean),
        figures: survey.questions,
        no_questionnaire: questionnaire.is_none(),
    })
}
