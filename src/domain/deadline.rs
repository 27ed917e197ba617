//! Who owes the current stage, and by when: the stage deadline, moved for one party by that
//! party's extensions (DESIGN.md §7). Deadlines are advisory; this only says what is due.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

use super::evaluation::{STATION_PARTY, Stage};
use super::organization::OrgKind;
use super::scheme::Scheme;

/// The parties whose act the stage waits for, in the scheme's order (the station first).
pub fn owing_parties(stage: Stage, scheme: &Scheme) -> Vec<String> {
    let of_kinds = |kinds: &[OrgKind]| {
        scheme
            .parties
            .iter()
            .filter(|p| kinds.contains(&p.org_kind))
            .map(|p| p.code.clone())
            .collect::<Vec<_>>()
    };
    match stage {
        Stage::SelfAssessment => vec![STATION_PARTY.to_owned()],
        // Every party enters its component or gate before the draft can be issued.
        Stage::OnsiteScoring => scheme.parties.iter().map(|p| p.code.clone()).collect(),
        // Feedback on the draft comes from the scheme's feedback parties and the station.
        Stage::DraftFeedback => scheme.feedback_parties(),
        Stage::BureauReview => of_kinds(&[OrgKind::CivilAffairsBureau]),
    }
}

/// The parties of the stage that have not yet done their part: in onsite scoring those without
/// a submitted component, in draft feedback those that have not answered the latest draft (of
/// the parties the evaluation has); in the other stages the state itself says the work is not
/// handed in. `done` lists the parties that have acted in the stage.
pub fn still_owing(
    stage: Stage,
    scheme: &Scheme,
    done: &[String],
    takes_part: impl Fn(&str) -> bool,
) -> Vec<String> {
    let owing = owing_parties(stage, scheme);
    match stage {
        Stage::SelfAssessment | Stage::BureauReview => owing,
        Stage::OnsiteScoring => owing.into_iter().filter(|p| !done.contains(p)).collect(),
        Stage::DraftFeedback => owing
            .into_iter()
            .filter(|p| !done.contains(p))
            .filter(|p| p == STATION_PARTY || takes_part(p))
            .collect(),
    }
}

/// A party's deadline: the stage's, or the later date its own extensions granted.
pub fn party_due(stage_due: NaiveDate, party_extension: Option<NaiveDate>) -> NaiveDate {
    party_extension.map_or(stage_due, |granted| granted.max(stage_due))
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PartyDue {
    pub party: String,
    pub due_on: NaiveDate,
    pub overdue: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct NextDeadline {
    pub stage: Stage,
    /// The earliest date any owing party has.
    pub due_on: NaiveDate,
    /// The party owing by that date (the first in order on a tie).
    pub party: Option<String>,
    pub overdue: bool,
    /// Each owing party's own date.
    pub parties: Vec<PartyDue>,
}

/// The current stage's deadline as seen from `today` (a date ends at 24:00).
/// `party_extensions` maps a party code to the latest date granted to it for this stage.
pub fn next_deadline(
    stage: Stage,
    stage_due: NaiveDate,
    owing: &[String],
    party_extensions: &HashMap<String, NaiveDate>,
    today: NaiveDate,
) -> NextDeadline {
    let parties: Vec<PartyDue> = owing
        .iter()
        .map(|party| {
            let due_on = party_due(stage_due, party_extensions.get(party).copied());
            PartyDue {
                party: party.clone(),
                due_on,
                overdue: today > due_on,
            }
        })
        .collect();
    let first = parties.iter().min_by_key(|p| p.due_on);
    let due_on = first.map_or(stage_due, |p| p.due_on);
    NextDeadline {
        stage,
        due_on,
        party: first.map(|p| p.party.clone()),
        overdue: today > due_on,
        parties,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        text.parse().expect("test date")
    }

    fn guangzhou_2023() -> Scheme {
        serde_json::from_str(include_str!("../../config/schemes/guangzhou-2023.json"))
            .expect("shipped scheme")
    }

    #[test]
    fn each_stage_is_owed_by_the_parties_that_act_in_it() {
        let scheme = guangzhou_2023();
        assert_eq!(owing_parties(Stage::SelfAssessment, &scheme), ["station"]);
        assert_eq!(
            owing_parties(Stage::OnsiteScoring, &scheme),
            ["supervisor", "purchaser", "center", "third_party"]
        );
        assert_eq!(
            owing_parties(Stage::DraftFeedback, &scheme),
            ["station", "supervisor", "purchaser"]
        );
        assert_eq!(owing_parties(Stage::BureauReview, &scheme), ["supervisor"]);
    }

    #[test]
    fn parties_that_have_acted_owe_nothing_more() {
        let scheme = guangzhou_2023();
        let done = vec!["station".to_owned(), "supervisor".to_owned()];
        assert_eq!(
            still_owing(Stage::DraftFeedback, &scheme, &done, |_| true),
            ["purchaser"]
        );
        assert_eq!(
            still_owing(Stage::DraftFeedback, &scheme, &[], |p| p != "purchaser"),
            ["station", "supervisor"]
        );
        assert_eq!(
            still_owing(Stage::OnsiteScoring, &scheme, &done, |_| true),
            ["purchaser", "center", "third_party"]
        );
        assert_eq!(
            still_owing(Stage::SelfAssessment, &scheme, &done, |_| true),
            ["station"]
        );
    }

    #[test]
    fn a_party_extension_moves_only_that_party_and_never_earlier() {
        let stage_due = date("2026-03-10");
        assert_eq!(party_due(stage_due, None), stage_due);
        assert_eq!(
            party_due(stage_due, Some(date("2026-03-20"))),
            date("2026-03-20")
        );
        // A later whole-stage extension overtakes an older party extension.
        assert_eq!(party_due(stage_due, Some(date("2026-03-05"))), stage_due);
    }

    #[test]
    fn the_next_deadline_is_the_earliest_owing_party_and_overdue_after_its_day() {
        let owing = vec!["station".to_owned(), "purchaser".to_owned()];
        let extended = HashMap::from([("station".to_owned(), date("2026-03-20"))]);
        let on_the_day = next_deadline(
            Stage::DraftFeedback,
            date("2026-03-10"),
            &owing,
            &extended,
            date("2026-03-10"),
        );
        assert_eq!(on_the_day.due_on, date("2026-03-10"));
        assert_eq!(on_the_day.party.as_deref(), Some("purchaser"));
        assert!(!on_the_day.overdue);
        assert_eq!(on_the_day.parties[0].due_on, date("2026-03-20"));

        let day_after = next_deadline(
            Stage::DraftFeedback,
            date("2026-03-10"),
            &owing,
            &extended,
            date("2026-03-11"),
        );
        assert!(day_after.overdue);
        assert_eq!(
            day_after
                .parties
                .iter()
                .map(|p| (p.party.as_str(), p.overdue))
                .collect::<Vec<_>>(),
            [("station", false), ("purchaser", true)]
        );
    }

    #[test]
    fn with_nobody_owing_the_stage_date_stands() {
        let next = next_deadline(
            Stage::BureauReview,
            date("2026-03-10"),
            &[],
            &HashMap::new(),
            date("2026-03-01"),
        );
        assert_eq!(
            (next.due_on, next.party, next.overdue),
            (date("2026-03-10"), None, false)
        );
    }
}
