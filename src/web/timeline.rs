//! The 时间线 tab: each audit entry in words a user reads, at the users' local time, with the
//! e-mails it caused.

use crate::app::workflow::{Timeline, TimelineMessage};
use crate::domain::workflow::Event;
use crate::state::AppState;

/// What an audit action means, in Chinese.
pub fn action_name(code: &str) -> &'static str {
    if let Some(event) = Event::ALL.into_iter().find(|e| e.code() == code) {
        return event.chinese_name();
    }
    match code {
        "create" => "创建评估",
        "extend_deadline" => "延长截止日期",
        "set_targets" => "设定协议量",
        "import_targets" => "导入协议量",
        "set_completions" => "填写指标完成量",
        "import_completions" => "导入指标完成量",
        "set_staff" => "填写社工到岗情况",
        "import_staff" => "导入社工到岗情况",
        "write_self_assessment" => "填写自评报告",
        "upload_attachment" => "上传佐证材料",
        "save_component" => "保存评分",
        "amend_component" => "修改已提交的评分",
        "submit_component" => "提交评分",
        "withdraw_component" => "撤回评分",
        "assign_expert" => "指派评估专家",
        "save_expert_sheet" => "保存专家评分表",
        "submit_expert_sheet" => "提交专家评分表",
        "give_feedback" => "提交反馈意见",
        "answer_objection" => "答复异议",
        "revise_draft" => "出具修订稿",
        "update_rectification" => "更新整改情况",
        _ => "更新评估",
    }
}

pub struct Entry {
    pub at: String,
    pub what: &'static str,
    /// The entry's own words, where they are words (not the data written, kept as JSON).
    pub detail: Option<String>,
    pub actor: Option<String>,
    pub reason: Option<String>,
    pub messages: Vec<Mail>,
}

pub struct Mail {
    pub to: String,
    pub subject: String,
    pub status: &'static str,
}

fn mail(message: TimelineMessage) -> Mail {
    Mail {
        to: message.to.unwrap_or_default(),
        subject: message.subject,
        status: match message.status.as_str() {
            "sent" => "已发送",
            "dead" => "发送失败",
            "failed" => "待重试",
            "sending" => "发送中",
            _ => "排队中",
        },
    }
}

/// Newest first, as people read a log.
pub fn entries(state: &AppState, timeline: Timeline) -> (Vec<Entry>, Vec<Mail>) {
    let time = |at| {
        state
            .settings
            .local_time(at)
            .format("%Y-%m-%d %H:%M")
            .to_string()
    };
    let mut entries: Vec<Entry> = timeline
        .items
        .into_iter()
        .map(|item| {
            let summary = item.summary.trim();
            let is_data = summary.starts_with('{') || summary.starts_with('[');
            Entry {
                at: time(item.at),
                what: action_name(&item.action),
                detail: (!summary.is_empty() && !is_data).then(|| shorten(summary)),
                actor: item.actor.map(|a| match a.organization {
                    Some(org) => format!("{}（{org}）", a.display_name),
                    None => a.display_name,
                }),
                reason: item.reason,
                messages: item.messages.into_iter().map(mail).collect(),
            }
        })
        .collect();
    entries.reverse();
    (entries, timeline.reminders.into_iter().map(mail).collect())
}

/// Long texts (a whole narrative) are cut for the log.
fn shorten(text: &str) -> String {
    const MAX: usize = 120;
    if text.chars().count() > MAX {
        let cut: String = text.chars().take(MAX).collect();
        format!("{cut}…")
    } else {
        text.to_owned()
    }
}
