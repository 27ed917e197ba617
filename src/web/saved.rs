//! Post/redirect/get with a one-line confirmation: a form that went through sends the browser
//! back to its tab (and its form's anchor) with `saved=<code>`, and the page says what was done.
//! Only the codes of this table are ever shown — the address is anyone's to type.

use actix_web::HttpResponse;
use actix_web::http::header;

use crate::domain::workflow::Event;

/// What a form did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Saved {
    Feedback,
    Answer,
    Moved(Event),
    Extension,
    Revision,
    Figures,
    Narrative,
    Roster,
    Evidence,
    Workbook,
    Component,
    ComponentSubmitted,
    ComponentWithdrawn,
    Sheet,
    Panel,
    Sample,
    Call,
    Clients,
    Rectification,
    RectificationEvidence,
}

/// Every form's code and confirmation but the workflow's moves, which take theirs from the event:
/// one row per variant, so that a code always reads back to the words it was written for.
const PLAIN: [(Saved, &str, &str); 19] = [
    (
        Saved::Feedback,
        "feedback",
        "反馈已提交，评估机构将收到通知。",
    ),
    (
        Saved::Answer,
        "answer",
        "答复已提交，提出异议的一方将收到通知。",
    ),
    (
        Saved::Extension,
        "extension",
        "截止日期已延期，各方将收到通知。",
    ),
    (Saved::Revision, "revision", "修订稿已发出。"),
    (Saved::Figures, "figures", "指标数据已保存。"),
    (Saved::Narrative, "narrative", "自评报告已保存。"),
    (Saved::Roster, "roster", "社工到岗情况已保存。"),
    (Saved::Evidence, "evidence", "佐证材料已上传。"),
    (Saved::Workbook, "workbook", "Excel 表格已导入。"),
    (Saved::Component, "component", "评分已保存（尚未提交）。"),
    (
        Saved::ComponentSubmitted,
        "component-submitted",
        "评分已提交。",
    ),
    (
        Saved::ComponentWithdrawn,
        "component-withdrawn",
        "评分已撤回，可修改后重新提交。",
    ),
    (Saved::Sheet, "sheet", "评分表已保存。"),
    (Saved::Panel, "panel", "专家名单已更新。"),
    (Saved::Sample, "sample", "已抽取回访对象。"),
    (Saved::Call, "call", "回访记录已保存。"),
    (Saved::Clients, "clients", "服务对象名单已导入。"),
    (Saved::Rectification, "rectification", "整改事项已保存。"),
    (
        Saved::RectificationEvidence,
        "rectification-evidence",
        "整改佐证材料已上传。",
    ),
];

impl Saved {
    fn code(self) -> String {
        match self {
            Saved::Moved(event) => format!("event-{}", event.code()),
            plain => Self::row(plain)
                .map(|(_, code, _)| code)
                .unwrap_or_default()
                .into(),
        }
    }

    fn row(self) -> Option<(Saved, &'static str, &'static str)> {
        PLAIN.into_iter().find(|(saved, _, _)| *saved == self)
    }

    pub fn from_code(code: &str) -> Option<Saved> {
        if let Some(event) = code.strip_prefix("event-") {
            return Event::ALL
                .into_iter()
                .find(|e| e.code() == event)
                .map(Saved::Moved);
        }
        PLAIN
            .into_iter()
            .find(|(_, plain, _)| *plain == code)
            .map(|(saved, _, _)| saved)
    }

    /// The confirmation, one line.
    pub fn words(self) -> String {
        match self {
            Saved::Moved(event) => format!("已{}。", event.chinese_name()),
            plain => Self::row(plain)
                .map(|(_, _, words)| words)
                .unwrap_or_default()
                .into(),
        }
    }
}

/// 303 to the evaluation's `tab`, at `anchor` (a form's id), saying what was `saved`.
pub fn back_to(id: i64, tab: &str, anchor: Option<&str>, saved: Saved) -> HttpResponse {
    let anchor = anchor.map(|a| format!("#{a}")).unwrap_or_default();
    HttpResponse::SeeOther()
        .insert_header((
            header::LOCATION,
            format!("/evaluations/{id}?tab={tab}&saved={}{anchor}", saved.code()),
        ))
        .finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_reads_back_and_nothing_else_does() {
        let plain = PLAIN.map(|(saved, _, _)| saved);
        for saved in plain.into_iter().chain(Event::ALL.map(Saved::Moved)) {
            assert_eq!(Saved::from_code(&saved.code()), Some(saved));
            assert!(!saved.words().is_empty(), "{saved:?} has no words");
        }
        assert_eq!(Saved::from_code("<script>"), None);
        assert_eq!(Saved::from_code("event-nothing"), None);
        assert_eq!(
            Saved::Moved(Event::SubmitForReview).words(),
            "已提交民政局审定。"
        );
    }
}
