//! What an evaluation waits for now, from which party, by when: the one rule behind 我的待办,
//! the evaluation page's 当前待办 and the e-mails' "请…". The stage deadlines
//! (`deadline::NextDeadline`) say who owes the stage's work; the steps without a deadline — the
//! agency's panel, opening, issuing the draft, answering objections and handing the report to the
//! bureau — follow from the state and the facts here.

use chrono::NaiveDate;

use super::deadline::NextDeadline;
use super::evaluation::Stage;
use super::scheme::Scheme;
use super::workflow::State;

/// One thing a party must do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    AssignExperts,
    Open,
    SubmitSelfAssessment,
    SubmitScores,
    IssueDraft,
    GiveFeedback,
    /// Objections not yet answered, how many.
    AnswerObjections(usize),
    SubmitForReview,
    Review,
}

impl Step {
    /// The work a party owing `stage` owes.
    pub fn owed_in(stage: Stage) -> Step {
        match stage {
            Stage::SelfAssessment => Step::SubmitSelfAssessment,
            Stage::OnsiteScoring => Step::SubmitScores,
            Stage::DraftFeedback => Step::GiveFeedback,
            Stage::BureauReview => Step::Review,
        }
    }

    /// A few words, for lists: "答复异议 2 条".
    pub fn words(self) -> String {
        match self {
            Step::AssignExperts => "指派专家".into(),
            Step::Open => "启动评估".into(),
            Step::SubmitSelfAssessment => "提交自评".into(),
            Step::SubmitScores => "提交本方评分".into(),
            Step::IssueDraft => "出具评估报告初稿".into(),
            Step::GiveFeedback => "反馈初稿意见".into(),
            Step::AnswerObjections(count) => format!("答复异议 {count} 条"),
            Step::SubmitForReview => "提交民政局审定".into(),
            Step::Review => "审定评估报告".into(),
        }
    }

    /// The sentence an e-mail asks with.
    pub fn request(self) -> String {
        match self {
            Step::AssignExperts => "请在“现场评分”中指派评估专家。".into(),
            Step::Open => "请确认评估各方、截止日期和协议量后启动评估。".into(),
            Step::SubmitSelfAssessment => {
                "请填写并提交自评（服务指标完成情况、社工到岗情况、自评报告及佐证材料）。".into()
            }
            Step::SubmitScores => "请录入并提交本方评分。".into(),
            Step::IssueDraft => "各方评分均已提交，请出具评估报告初稿。".into(),
            Step::GiveFeedback => {
                "请阅读评估报告初稿并提交反馈意见（无异议、意见，或对具体章节的异议）。".into()
            }
            Step::AnswerObjections(_) => "请逐条答复异议（采纳或不采纳，并写明答复）。".into(),
            Step::SubmitForReview => "请将评估报告提交民政局审定。".into(),
            Step::Review => "请审定评估报告（审定通过或退回修改）。".into(),
        }
    }
}

/// What one party must do now, and by when (steps without a deadline have none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// The scheme's party code, or the station's.
    pub party: String,
    pub steps: Vec<Step>,
    pub due_on: Option<NaiveDate>,
    pub overdue: bool,
}

impl Pending {
    /// "答复异议 2 条、提交民政局审定".
    pub fn words(&self) -> String {
        self.steps
            .iter()
            .map(|s| s.words())
            .collect::<Vec<_>>()
            .join("、")
    }
}

/// What the rule needs to know besides the state and the stage deadline.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    pub experts_assigned: bool,
    pub unanswered_objections: usize,
}

/// Every party's pending steps, the parties owing the stage first (in the deadline's order),
/// then the agency's own steps. `deadline` is the current stage's, with the parties still owing
/// it; an evaluation that is final or cancelled waits on no one.
pub fn pending(
    state: State,
    deadline: Option<&NextDeadline>,
    progress: Progress,
    scheme: &Scheme,
) -> Vec<Pending> {
    let mut out: Vec<Pending> = Vec::new();
    let mut add = |party: &str, step: Step, due: Option<(NaiveDate, bool)>| match out
        .iter_mut()
        .find(|p| p.party == party)
    {
        Some(found) => {
            // The panel comes before the scores it gives.
            if step == Step::AssignExperts {
                found.steps.insert(0, step);
            } else {
                found.steps.push(step);
            }
            if let Some((due_on, overdue)) = due
                && found.due_on.is_none_or(|d| due_on < d)
            {
                found.due_on = Some(due_on);
                found.overdue = overdue;
            }
        }
        None => out.push(Pending {
            party: party.to_owned(),
            steps: vec![step],
            due_on: due.map(|d| d.0),
            overdue: due.is_some_and(|d| d.1),
        }),
    };
    if let Some(deadline) = deadline {
        let step = Step::owed_in(deadline.stage);
        for owing in &deadline.parties {
            add(&owing.party, step, Some((owing.due_on, owing.overdue)));
        }
    }
    let Some(agency) = scheme.third_party().map(|p| p.code.clone()) else {
        return out;
    };
    let nobody_owes = deadline.is_none_or(|d| d.parties.is_empty());
    let panel_open = matches!(
        state,
        State::Setup | State::SelfAssessment | State::OnsiteScoring
    );
    if panel_open && !progress.experts_assigned {
        add(&agency, Step::AssignExperts, None);
    }
    match state {
        State::Setup => add(&agency, Step::Open, None),
        State::OnsiteScoring if nobody_owes => add(&agency, Step::IssueDraft, None),
        State::DraftFeedback => {
            if progress.unanswered_objections > 0 {
                add(
                    &agency,
                    Step::AnswerObjections(progress.unanswered_objections),
                    None,
                );
            }
            // Feedback still due in time holds the submission back; overdue feedback does not
            // (the silent party is deemed to have none).
            let waiting_in_time = deadline.is_some_and(|d| d.parties.iter().any(|p| !p.overdue));
            if !waiting_in_time {
                add(&agency, Step::SubmitForReview, None);
            }
        }
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::deadline::{PartyDue, next_deadline};
    use std::collections::HashMap;

    fn date(text: &str) -> NaiveDate {
        text.parse().expect("test date")
    }

    fn scheme() -> Scheme {
        serde_json::from_str(include_str!("../../config/schemes/guangzhou-2023.json"))
            .expect("shipped scheme")
    }

    fn agency() -> String {
        scheme().third_party().expect("an agency").code.clone()
    }

    fn stage_owed_by(stage: Stage, owing: &[String], today: &str) -> NextDeadline {
        next_deadline(
            stage,
            date("2025-05-06"),
            owing,
            &HashMap::new(),
            date(today),
        )
    }

    fn summary(pending: &[Pending]) -> Vec<(String, String)> {
        pending
            .iter()
            .map(|p| (p.party.clone(), p.words()))
            .collect()
    }

    #[test]
    fn before_opening_the_agency_assigns_experts_and_opens() {
        let steps = pending(State::Setup, None, Progress::default(), &scheme());
        assert_eq!(summary(&steps), [(agency(), "指派专家、启动评估".into())]);
        assert_eq!(steps[0].due_on, None);
        let assigned = Progress {
            experts_assigned: true,
            ..Progress::default()
        };
        let steps = pending(State::Setup, None, assigned, &scheme());
        assert_eq!(summary(&steps), [(agency(), "启动评估".into())]);
    }

    #[test]
    fn the_station_owes_the_self_assessment_by_its_date() {
        let deadline = stage_owed_by(Stage::SelfAssessment, &["station".into()], "2025-05-07");
        let progress = Progress {
            experts_assigned: true,
            ..Progress::default()
        };
        let steps = pending(State::SelfAssessment, Some(&deadline), progress, &scheme());
        assert_eq!(
            steps,
            [Pending {
                party: "station".into(),
                steps: vec![Step::SubmitSelfAssessment],
                due_on: Some(date("2025-05-06")),
                overdue: true,
            }]
        );
    }

    #[test]
    fn once_every_score_is_in_the_agency_issues_the_draft() {
        let owing = vec![agency()];
        let deadline = stage_owed_by(Stage::OnsiteScoring, &owing, "2025-05-01");
        let progress = Progress {
            experts_assigned: true,
            ..Progress::default()
        };
        let steps = pending(State::OnsiteScoring, Some(&deadline), progress, &scheme());
        assert_eq!(summary(&steps), [(agency(), "提交本方评分".into())]);
        let everyone_in = stage_owed_by(Stage::OnsiteScoring, &[], "2025-05-01");
        let steps = pending(
            State::OnsiteScoring,
            Some(&everyone_in),
            progress,
            &scheme(),
        );
        assert_eq!(summary(&steps), [(agency(), "出具评估报告初稿".into())]);
        assert_eq!(steps[0].due_on, None);
    }

    #[test]
    fn objections_and_the_submission_wait_on_the_agency_after_the_last_feedback() {
        let progress = Progress {
            experts_assigned: true,
            unanswered_objections: 2,
        };
        let everyone_heard = stage_owed_by(Stage::DraftFeedback, &[], "2025-05-01");
        let steps = pending(
            State::DraftFeedback,
            Some(&everyone_heard),
            progress,
            &scheme(),
        );
        assert_eq!(
            summary(&steps),
            [(agency(), "答复异议 2 条、提交民政局审定".into())]
        );
        // A party still within its time holds the submission back, not the answers.
        let waiting = stage_owed_by(Stage::DraftFeedback, &["station".into()], "2025-05-01");
        let steps = pending(State::DraftFeedback, Some(&waiting), progress, &scheme());
        assert_eq!(
            summary(&steps),
            [
                ("station".into(), "反馈初稿意见".into()),
                (agency(), "答复异议 2 条".into())
            ]
        );
        // Past its date the silent party no longer holds it back.
        let late = stage_owed_by(Stage::DraftFeedback, &["station".into()], "2025-05-07");
        let steps = pending(State::DraftFeedback, Some(&late), progress, &scheme());
        assert!(steps[0].overdue);
        assert_eq!(steps[1].words(), "答复异议 2 条、提交民政局审定");
    }

    #[test]
    fn a_party_with_two_steps_keeps_its_earliest_date() {
        let mut deadline = stage_owed_by(Stage::OnsiteScoring, &[agency()], "2025-05-01");
        deadline.parties = vec![PartyDue {
            party: agency(),
            due_on: date("2025-05-06"),
            overdue: false,
        }];
        let steps = pending(
            State::OnsiteScoring,
            Some(&deadline),
            Progress::default(),
            &scheme(),
        );
        assert_eq!(
            summary(&steps),
            [(agency(), "指派专家、提交本方评分".into())]
        );
        assert_eq!(steps[0].due_on, Some(date("2025-05-06")));
    }

    #[test]
    fn the_bureau_reviews_and_a_final_evaluation_waits_on_no_one() {
        let bureau = scheme()
            .party_of_kind(crate::domain::organization::OrgKind::CivilAffairsBureau)
            .expect("a bureau")
            .code
            .clone();
        let deadline = stage_owed_by(
            Stage::BureauReview,
            std::slice::from_ref(&bureau),
            "2025-05-01",
        );
        let steps = pending(
            State::BureauReview,
            Some(&deadline),
            Progress::default(),
            &scheme(),
        );
        assert_eq!(summary(&steps), [(bureau, "审定评估报告".into())]);
        assert!(pending(State::Final, None, Progress::default(), &scheme()).is_empty());
        assert!(pending(State::Cancelled, None, Progress::default(), &scheme()).is_empty());
    }
}
