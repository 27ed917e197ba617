//! The data of the evaluation page's 评分 tab, built for its template from the page's data; the forms that
//! change it are in `web::scoring`.

use crate::app::components::ComponentView;
use crate::app::evaluation_page::ScoringData;
use crate::app::panel::{Panel, Sheet};
use crate::domain::components::{Concern, Strength};
use crate::domain::points::Points;
use crate::domain::scheme::Scheme;
use crate::domain::user::Role;
use crate::domain::workflow::State;
use crate::web::session::WebUser;
use crate::web::tabs::PageHead;

/// Blank comment lines offered below those written.
pub(crate) const BLANK_COMMENTS: usize = 2;

pub struct CommentLine {
    pub index: usize,
    pub section: String,
    pub zones: Vec<i64>,
    pub text: String,
    pub suggestion: String,
}

pub struct ComponentForm {
    pub view: ComponentView,
    pub third_party: bool,
    pub gate: bool,
    pub native_max: Points,
    /// Saving is possible now; amending a submitted one needs a reason.
    pub editable: bool,
    pub amending: bool,
    /// The party's manager may submit or withdraw.
    pub manager: bool,
    pub strengths: Vec<CommentLine>,
    pub concerns: Vec<CommentLine>,
}

pub struct ScoringTab {
    pub forms: Vec<ComponentForm>,
    /// Other parties' components the user may see (read only).
    pub others: Vec<ComponentView>,
    pub sheet: Option<Sheet>,
    pub sheet_editable: bool,
    pub panel: Option<Panel>,
    pub panel_manager: bool,
    pub zones: Vec<(i64, String)>,
    pub sections: Vec<(String, String)>,
}

pub(crate) fn lines_of<'a>(
    items: impl Iterator<Item = (Option<&'a str>, Vec<i64>, &'a str, &'a str)>,
) -> Vec<CommentLine> {
    let mut lines: Vec<CommentLine> = items
        .enumerate()
        .map(|(index, (section, zones, text, suggestion))| CommentLine {
            index,
            section: section.unwrap_or("").to_owned(),
            zones,
            text: text.to_owned(),
            suggestion: suggestion.to_owned(),
        })
        .collect();
    for index in lines.len()..lines.len() + BLANK_COMMENTS {
        lines.push(CommentLine {
            index,
            section: String::new(),
            zones: Vec::new(),
            text: String::new(),
            suggestion: String::new(),
        });
    }
    lines
}

/// The tab from the page's data (`app::evaluation_page`), read once.
pub fn build(me: &WebUser, page: &PageHead, data: ScoringData) -> ScoringTab {
    let (view, access) = (page.view, page.access);
    let ScoringData {
        mut components,
        sheet,
        panel,
    } = data;
    let zones = page.zones.iter().map(|z| (z.id, z.name.clone())).collect();
    let sections = outline(page.scheme);
    let manager = me.role == Role::Manager || me.is_admin();
    let scoring_open = matches!(view.state, State::SelfAssessment | State::OnsiteScoring);
    let mut forms = Vec::new();
    let mut others = Vec::new();
    for party in &view.parties {
        let own = access.stands_for(&party.code) || access.is_admin();
        let third_party = access.agency_party() == Some(party.code.as_str());
        let Some(at) = components.iter().position(|c| c.party == party.code) else {
            continue;
        };
        let found = components.swap_remove(at);
        if !own || me.role == Role::Expert {
            if found.status != "missing" {
                others.push(found);
            }
            continue;
        }
        let submitted = found.status == "submitted";
        let editable = match view.state {
            State::SelfAssessment | State::OnsiteScoring => !submitted,
            State::DraftFeedback => submitted,
            _ => false,
        };
        let strengths = lines_of(
            found
                .strengths
                .iter()
                .map(|s: &Strength| (s.section.as_deref(), s.zones(), s.text.as_str(), "")),
        );
        let concerns = lines_of(found.concerns.iter().map(|c: &Concern| {
            (
                c.section.as_deref(),
                c.zones(),
                c.text.as_str(),
                c.suggestion.as_deref().unwrap_or(""),
            )
        }));
        forms.push(ComponentForm {
            third_party,
            gate: party.gate,
            native_max: party.native_max,
            editable,
            amending: view.state == State::DraftFeedback,
            manager: manager && scoring_open,
            strengths,
            concerns,
            view: found,
        });
    }
    let sheet_editable =
        view.state == State::OnsiteScoring && sheet.as_ref().is_some_and(|s| s.status == "open");
    ScoringTab {
        forms,
        others,
        sheet,
        sheet_editable,
        panel,
        panel_manager: access.assigns_panel()
            && !matches!(view.state, State::Final | State::Cancelled),
        zones,
        sections,
    }
}

/// (code, title) of the scheme's report outline, without the annexes: where a comment belongs.
pub fn outline(scheme: &Scheme) -> Vec<(String, String)> {
    scheme
        .outline
        .iter()
        .filter(|s| !s.code.starts_with("annex"))
        .map(|s| (s.code.clone(), s.title.clone()))
        .collect()
}
