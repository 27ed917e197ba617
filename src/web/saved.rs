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

const PLAIN: [Saved; 19] = [
    Saved::Feedback,
    Saved::Answer,
    Saved::Extension,
    Saved::Revision,
    Saved::Figures,
    Saved::Narrative,
    Saved::Roster,
    Saved::Evidence,
    Saved::Workbook,
    Saved::Component,
    Saved::ComponentSubmitted,
    Saved::ComponentWithdrawn,
    Saved::Sheet,
    Saved::Panel,
    Saved::Sample,
    Saved::Call,
    Saved::Clients,
    Saved::Rectification,
    Saved::RectificationEvidence,
];

impl Saved {
    fn code(self) -> String {
        match self {
            Saved::Moved(event) => format!("event-{}", event.code()),
            Saved::Feedback => "feedback".into(),
            Saved::Answer => "answer".into(),
            Saved::Extension => "extension".into(),
            Saved::Revision => "revision".into(),
            Saved::Figures => "figures".into(),
            Saved::Narrative => "narrative".into(),
            Saved::Roster => "roster".into(),
            Saved::Evidence => "evidence".into(),
            Saved::Workbook => "workbook".into(),
            Saved::Component => "component".into(),
            Saved::ComponentSubmitted => "component-submitted".into(),
            Saved::ComponentWithdrawn => "component-withdrawn".into(),
            Saved::Sheet => "sheet".into(),
            Saved::Panel => "panel".into(),
            Saved::Sample => "sample".into(),
            Saved::Call => "call".into(),
            Saved::Clients => "clients".into(),
            Saved::Rectification => "rectification".into(),
            Saved::RectificationEvidence => "rectification-evidence".into(),
        }
    }

    pub fn from_code(code: &str) -> Option<Saved> {
        if let Some(event) = code.strip_prefix("event-") {
            return Event::ALL
                .into_iter()
                .find(|e| e.code() == event)
                .map(Saved::Moved);
        }
        PLAIN.into_iter().find(|s| s.code() == code)
    }

    /// The confirmation, one line.
    pub fn words(self) -> String {
        match self {
            Saved::Moved(event) => format!("已{}。", event.chinese_name()),
            Saved::Feedback => "反馈已提交，评估机构将收到通知。".into(),
            Saved::Answer => "答复已提交，提出异议的一方将收到通知。".into(),
            Saved::Extension => "截止日期已延期，各方将收到通知。".into(),
            Saved::Revision => "修订稿已发出。".into(),
            Saved::Figures => "指标数据已保存。".into(),
            Saved::Narrative => "自评报告已保存。".into(),
            Saved::Roster => "社工到岗情况已保存。".into(),
            Saved::Evidence => "佐证材料已上传。".into(),
            Saved::Workbook => "Excel 表格已导入。".into(),
            Saved::Component => "评分已保存（尚未提交）。".into(),
            Saved::ComponentSubmitted => "评分已提交。".into(),
            Saved::ComponentWithdrawn => "评分已撤回，可修改后重新提交。".into(),
            Saved::Sheet => "评分表已保存。".into(),
            Saved::Panel => "专家名单已更新。".into(),
            Saved::Sample => "已抽取回访对象。".into(),
            Saved::Call => "回访记录已保存。".into(),
            Saved::Clients => "服务对象名单已导入。".into(),
            Saved::Rectification => "整改事项已保存。".into(),
            Saved::RectificationEvidence => "整改佐证材料已上传。".into(),
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
        for saved in PLAIN.into_iter().chain(Event::ALL.map(Saved::Moved)) {
            assert_eq!(Saved::from_code(&saved.code()), Some(saved));
        }
        assert_eq!(Saved::from_code("<script>"), None);
        assert_eq!(Saved::from_code("event-nothing"), None);
        assert_eq!(
            Saved::Moved(Event::SubmitForReview).words(),
            "已提交民政局审定。"
        );
    }
}
