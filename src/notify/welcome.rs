//! The e-mail with a link to set one's own password: to a new user (welcome), or again on
//! request when a link has expired or been used. No password ever goes by e-mail.

use askama::Template;

use crate::db::outbox::NewMessage;
use crate::settings::Settings;

/// How long a link to set a password stays valid.
pub const LINK_VALID_HOURS: i64 = 72;

/// Who the link is for.
pub struct Invitee<'a> {
    pub user_id: i64,
    pub username: &'a str,
    pub display_name: &'a str,
    pub organization: &'a str,
    pub email: &'a str,
}

#[derive(Template)]
#[template(path = "welcome.txt")]
struct TextBody<'a> {
    display_name: &'a str,
    organization: &'a str,
    username: &'a str,
    link: &'a str,
    valid_hours: i64,
    renewal: bool,
}

#[derive(Template)]
#[template(path = "welcome.html")]
struct HtmlBody<'a> {
    subject: &'a str,
    display_name: &'a str,
    organization: &'a str,
    username: &'a str,
    link: &'a str,
    valid_hours: i64,
    renewal: bool,
}

/// The page a link opens.
pub fn password_link(settings: &Settings, token: &str) -> String {
    format!(
        "{}/password/set?token={token}",
        settings.server.public_url.trim_end_matches('/')
    )
}

/// The message carrying `token` to the invitee.
pub fn message(settings: &Settings, to: &Invitee, token: &str, renewal: bool) -> NewMessage {
    let link = password_link(settings, token);
    let subject = if renewal {
        "【社工服务站评估系统】设置密码的新链接".to_owned()
    } else {
        "【社工服务站评估系统】账号已开通，请设置密码".to_owned()
    };
    let text = TextBody {
        display_name: to.display_name,
        organization: to.organization,
        username: to.username,
        link: &link,
        valid_hours: LINK_VALID_HOURS,
        renewal,
    }
    .render()
    .unwrap_or_else(|_| format!("{}：\n{link}", to.display_name));
    let html = HtmlBody {
        subject: &subject,
        display_name: to.display_name,
        organization: to.organization,
        username: to.username,
        link: &link,
        valid_hours: LINK_VALID_HOURS,
        renewal,
    }
    .render()
    .unwrap_or_default();
    NewMessage {
        event: if renewal { "password_link" } else { "welcome" }.to_owned(),
        evaluation_id: None,
        audit_id: None,
        recipient_user_id: to.user_id,
        to_address: to.email.to_owned(),
        subject,
        body_text: text,
        body_html: html,
        reply_to: None,
        message_id: format!(
            "<{}@{}>",
            uuid::Uuid::new_v4(),
            super::message_domain(settings)
        ),
        dedupe_key: None,
    }
}
