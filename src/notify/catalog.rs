//! What each notice says (zh-CN): its title, what happened, and — for a recipient who must act —
//! what to do and by when. One place for the wording of e-mails and in-app notifications.

use chrono::NaiveDate;

use crate::domain::evaluation::Stage;
use crate::domain::next_step::Step;
use crate::domain::workflow::Event;
pub use crate::report::build::chinese_date;

/// An event that notifies parties of an evaluation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    Transition {
        event: Event,
        reason: Option<String>,
    },
    DraftRevised {
        version: i64,
    },
    FeedbackReceived {
        from: String,
        objections: usize,
        /// The agency's next steps after it (`domain::next_step`), as 我的待办 shows them.
        then: Vec<Step>,
    },
    ObjectionAnswered {
        accepted: bool,
    },
    DeadlineExtended {
        stage: Stage,
        old: NaiveDate,
        new: NaiveDate,
    },
    Reminder {
        stage: Stage,
        due_on: NaiveDate,
        days_left: u32,
    },
    Overdue {
        stage: Stage,
        due_on: NaiveDate,
    },
    /// The feedback deadline passed with parties silent (deemed to have no objection): the
    /// agency may go on, with `then` (its next steps, as 我的待办 shows them).
    FeedbackClosed {
        silent: Vec<String>,
        then: Vec<Step>,
    },
    /// The station answered a rectification item: the agency verifies it.
    RectificationAnswered {
        item: String,
    },
    /// The agency verified (or returned) a station's answer.
    RectificationVerified {
        item: String,
        passed: bool,
        reason: Option<String>,
        due_on: NaiveDate,
    },
    /// Rectification items the station still owes, due in `days_left` days (0: overdue).
    RectificationDue {
        items: usize,
        due_on: NaiveDate,
        days_left: Option<u32>,
    },
}

/// The words of one notice for one recipient organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wording {
    pub title: String,
    pub happened: String,
    pub todo: Option<String>,
    pub due_on: Option<NaiveDate>,
}

/// The sentences asking for `steps`, in order (None: nothing is asked).
fn requests(steps: &[Step]) -> Option<String> {
    (!steps.is_empty()).then(|| steps.iter().map(|s| s.request()).collect())
}

pub fn stage_name(stage: Stage) -> &'static str {
    match stage {
        Stage::SelfAssessment => "自评",
        Stage::OnsiteScoring => "现场评估评分",
        Stage::DraftFeedback => "评估报告初稿反馈",
        Stage::BureauReview => "评估报告审定",
    }
}

impl Notice {
    /// The outbox's `event` column.
    pub fn code(&self) -> String {
        match self {
            Notice::Transition { event, .. } => event.code().to_owned(),
            Notice::DraftRevised { .. } => "revise_draft".into(),
            Notice::FeedbackReceived { .. } => "give_feedback".into(),
            Notice::ObjectionAnswered { .. } => "answer_objection".into(),
            Notice::DeadlineExtended { .. } => "extend_deadline".into(),
            Notice::Reminder { days_left, .. } => format!("reminder-{days_left}"),
            Notice::Overdue { .. } => "overdue".into(),
            Notice::FeedbackClosed { .. } => "feedback_closed".into(),
            Notice::RectificationAnswered { .. } => "answer_rectification".into(),
            Notice::RectificationVerified { passed: true, .. } => "verify_rectification".into(),
            Notice::RectificationVerified { .. } => "return_rectification".into(),
            Notice::RectificationDue {
                days_left: Some(days),
                ..
            } => format!("rectification-reminder-{days}"),
            Notice::RectificationDue { .. } => "rectification-overdue".into(),
        }
    }

    /// The stage whose work a recipient may owe after this notice.
    pub fn stage_owed(&self) -> Option<Stage> {
        match self {
            Notice::Transition { event, .. } => match event {
                Event::Open | Event::ReturnSelfAssessment => Some(Stage::SelfAssessment),
                Event::SubmitSelfAssessment => Some(Stage::OnsiteScoring),
                Event::IssueDraft | Event::ReturnDraft | Event::Reopen => {
                    Some(Stage::DraftFeedback)
                }
                Event::SubmitForReview => Some(Stage::BureauReview),
                Event::Approve | Event::Cancel => None,
            },
            Notice::DraftRevised { .. } => Some(Stage::DraftFeedback),
            Notice::DeadlineExtended { stage, .. }
            | Notice::Reminder { stage, .. }
            | Notice::Overdue { stage, .. } => Some(*stage),
            Notice::FeedbackReceived { .. }
            | Notice::FeedbackClosed { .. }
            | Notice::ObjectionAnswered { .. }
            | Notice::RectificationAnswered { .. }
            | Notice::RectificationVerified { .. }
            | Notice::RectificationDue { .. } => None,
        }
    }

    /// The words for a recipient; `owes` says whether it owes `stage_owed()` (whose deadline
    /// is `due_on`), `station` whether it is the station.
    pub fn wording(&self, owes: bool, station: bool, due_on: Option<NaiveDate>) -> Wording {
        let because = |reason: &Option<String>| {
            reason
                .as_deref()
                .filter(|r| !r.trim().is_empty())
                .map(|r| format!("原因：{r}"))
                .unwrap_or_default()
        };
        let (title, happened, own_todo): (String, String, Option<String>) = match self {
            Notice::Transition { event, reason } => match event {
                Event::Open => (
                    "自评已开启".into(),
                    "评估已开启，社工站自评开始。".into(),
                    None,
                ),
                Event::SubmitSelfAssessment => (
                    "社工站已提交自评".into(),
                    "社工站已提交自评，评估进入现场评估阶段。".into(),
                    None,
                ),
                Event::ReturnSelfAssessment => (
                    "自评被退回修改".into(),
                    format!("评估机构退回了社工站的自评。{}", because(reason)),
                    owes.then(|| "请按退回原因修改自评后重新提交。".to_owned()),
                ),
                Event::IssueDraft => (
                    "评估报告初稿已发出".into(),
                    "评估机构已发出评估报告初稿（征求意见稿）。".into(),
                    None,
                ),
                Event::SubmitForReview => (
                    "评估报告已提交审定".into(),
                    "评估机构已将评估报告提交民政局审定。".into(),
                    None,
                ),
                Event::ReturnDraft => (
                    "评估报告被退回修改".into(),
                    format!("民政局退回了评估报告。{}", because(reason)),
                    None,
                ),
                Event::Approve => (
                    "最终评估报告已出具".into(),
                    "民政局已审定评估报告，最终评估报告已出具。".into(),
                    station.then(|| "请按报告中“需要关注的地方”逐项填写整改情况。".to_owned()),
                ),
                Event::Reopen => (
                    "评估已重新开启".into(),
                    format!(
                        "系统管理员重新开启了评估，回到评估报告初稿反馈阶段。{}",
                        because(reason)
                    ),
                    None,
                ),
                Event::Cancel => (
                    "评估已取消".into(),
                    format!("评估已取消。{}", because(reason)),
                    None,
                ),
            },
            Notice::DraftRevised { version } => (
                format!("评估报告修订稿（第 {version} 稿）已发出"),
                format!("评估机构已发出评估报告修订稿（第 {version} 稿）。"),
                None,
            ),
            Notice::FeedbackReceived {
                from,
                objections,
                then,
            } => (
                format!("{from}已提交反馈"),
                match objections {
                    0 => format!("{from}已对评估报告初稿提交反馈。"),
                    n => format!("{from}已对评估报告初稿提交反馈，其中异议 {n} 条。"),
                },
                requests(then),
            ),
            Notice::ObjectionAnswered { accepted } => (
                "评估机构已答复异议".into(),
                format!(
                    "评估机构已答复贵方提出的异议（{}）。",
                    if *accepted { "采纳" } else { "不采纳" }
                ),
                Some("请查看答复内容。".into()),
            ),
            Notice::DeadlineExtended { stage, old, new } => (
                format!("{}截止日期已延期", stage_name(*stage)),
                format!(
                    "{}的截止日期由{}延至{}。",
                    stage_name(*stage),
                    chinese_date(*old),
                    chinese_date(*new)
                ),
                None,
            ),
            Notice::Reminder {
                stage,
                due_on,
                days_left,
            } => (
                format!("{}还有 {days_left} 天截止", Step::owed_in(*stage).words()),
                format!(
                    "{}将于{}截止（还有 {days_left} 天），贵方尚未完成。",
                    stage_name(*stage),
                    chinese_date(*due_on)
                ),
                None,
            ),
            Notice::Overdue { stage, due_on } => (
                format!("{}已逾期", Step::owed_in(*stage).words()),
                format!(
                    "{}的截止日期{}已过，贵方尚未完成。逾期仍可办理，系统将标记为逾期。",
                    stage_name(*stage),
                    chinese_date(*due_on)
                ),
                None,
            ),
            Notice::FeedbackClosed { silent, then } => (
                "初稿反馈期限已过".into(),
                format!(
                    "{}在反馈期限内未提交意见，视为对评估报告初稿无异议。",
                    silent.join("、")
                ),
                requests(then),
            ),
            Notice::RectificationAnswered { item } => (
                "社工站已提交整改情况".into(),
                format!("社工站已提交整改事项“{item}”的整改情况。"),
                Some("请核验整改情况（通过，或不通过并说明理由）。".into()),
            ),
            Notice::RectificationVerified {
                item, passed: true, ..
            } => (
                "整改事项已核验通过".into(),
                format!("评估机构已核验通过整改事项“{item}”。"),
                None,
            ),
            Notice::RectificationVerified {
                item,
                reason,
                due_on,
                ..
            } => (
                "整改事项核验未通过".into(),
                format!("评估机构核验整改事项“{item}”未通过。{}", because(reason)),
                Some(format!(
                    "请按理由继续整改，并于{}前重新提交整改情况。",
                    chinese_date(*due_on)
                )),
            ),
            Notice::RectificationDue {
                items,
                due_on,
                days_left: Some(days),
            } => (
                format!("整改事项还有 {days} 天到期"),
                format!(
                    "贵站有 {items} 项整改事项将于{}到期（还有 {days} 天），尚未提交整改情况。",
                    chinese_date(*due_on)
                ),
                Some("请在评估页面的“整改”中逐项填写整改措施并提交。".into()),
            ),
            Notice::RectificationDue { items, due_on, .. } => (
                "整改事项已逾期".into(),
                format!(
                    "贵站有 {items} 项整改事项已于{}到期，尚未提交整改情况。",
                    chinese_date(*due_on)
                ),
                Some("请尽快在评估页面的“整改”中填写整改措施并提交。".into()),
            ),
        };
        let stage_todo = self
            .stage_owed()
            .filter(|_| owes)
            .map(|stage| Step::owed_in(stage).request());
        let todo = own_todo.or(stage_todo);
        // The evaluation as loaded may predate the extension: the notice knows the new date.
        let due_on = match self {
            Notice::DeadlineExtended { new, .. } => Some(*new),
            Notice::Reminder { due_on, .. }
            | Notice::Overdue { due_on, .. }
            | Notice::RectificationDue { due_on, .. } => Some(*due_on),
            _ => due_on,
        };
        Wording {
            due_on: todo.as_ref().and(due_on),
            title,
            happened,
            todo,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        text.parse().expect("test date")
    }

    #[test]
    fn a_party_that_owes_the_next_stage_is_told_what_to_do_and_by_when() {
        let issued = Notice::Transition {
            event: Event::IssueDraft,
            reason: None,
        };
        let due = Some(date("2025-05-27"));
        let owing = issued.wording(true, true, due);
        assert_eq!(owing.title, "评估报告初稿已发出");
        assert!(
            owing
                .todo
                .as_deref()
                .is_some_and(|t| t.contains("反馈意见"))
        );
        assert_eq!(owing.due_on, due);
        // The center is told, and has nothing to do.
        let informed = issued.wording(false, false, due);
        assert_eq!((informed.todo, informed.due_on), (None, None));
    }

    #[test]
    fn reasons_and_dates_are_in_the_words() {
        let returned = Notice::Transition {
            event: Event::ReturnSelfAssessment,
            reason: Some("缺少三月份到岗记录".into()),
        };
        let words = returned.wording(true, true, Some(date("2025-05-06")));
        assert_eq!(
            words.happened,
            "评估机构退回了社工站的自评。原因：缺少三月份到岗记录"
        );
        assert_eq!(
            words.todo.as_deref(),
            Some("请按退回原因修改自评后重新提交。")
        );
        let reminder = Notice::Reminder {
            stage: Stage::SelfAssessment,
            due_on: date("2025-05-06"),
            days_left: 3,
        };
        assert_eq!(reminder.code(), "reminder-3");
        let words = reminder.wording(true, true, Some(date("2025-05-06")));
        assert_eq!(words.title, "提交自评还有 3 天截止");
        let overdue = Notice::Overdue {
            stage: Stage::DraftFeedback,
            due_on: date("2025-05-06"),
        };
        assert_eq!(
            overdue.wording(true, true, None).title,
            "反馈初稿意见已逾期"
        );
        assert!(words.happened.contains("2025年5月6日"));
        let approved = Notice::Transition {
            event: Event::Approve,
            reason: None,
        };
        assert!(approved.wording(false, true, None).todo.is_some());
        assert!(approved.wording(false, false, None).todo.is_none());
    }
}
