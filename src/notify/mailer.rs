//! Where the outbox's messages go (mail.transport): an SMTP server (lettre, with STARTTLS, TLS or
//! neither, and an optional login), one .eml file per message under mail.file_dir (the embedded
//! default), or the log.

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;

use crate::db::outbox::MessageRow;
use crate::settings::{MailTransport, Settings, SmtpTls};

pub enum Mailer {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    File(AsyncFileTransport<Tokio1Executor>),
    Log,
}

/// Why a message was not delivered: worth another attempt, or not.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    #[error("{0}")]
    Transient(String),
    #[error("{0}")]
    Permanent(String),
}

impl Mailer {
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Mailer> {
        let mail = &settings.mail;
        Ok(match mail.transport {
            MailTransport::Log => Mailer::Log,
            MailTransport::File => {
                std::fs::create_dir_all(&mail.file_dir).map_err(|e| {
                    anyhow::anyhow!("cannot create {}: {e}", mail.file_dir.display())
                })?;
                Mailer::File(AsyncFileTransport::new(&mail.file_dir))
            }
            MailTransport::Smtp => {
                let smtp = &mail.smtp;
                let mut builder = match smtp.tls {
                    SmtpTls::None => {
                        AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host)
                    }
                    SmtpTls::Starttls => {
                        AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&smtp.host)?
                    }
                    SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&smtp.host)?,
                }
                .port(smtp.port)
                .timeout(Some(Duration::from_secs(30)));
                if let (Some(user), Some(password)) = (&smtp.username, &smtp.password) {
                    builder = builder.credentials(Credentials::new(
                        user.clone(),
                        password.expose_secret().to_owned(),
                    ));
                }
                Mailer::Smtp(builder.build())
            }
        })
    }

    /// Sends one outbox message; Ok means the server (or the file system) took it.
    pub async fn send(&self, from: &str, row: &MessageRow) -> Result<(), SendError> {
        let message = build(from, row)?;
        match self {
            Mailer::Log => {
                tracing::info!(
                    message_id = %row.message_id,
                    to = row.to_address.as_deref().unwrap_or(""),
                    subject = %row.subject,
                    "e-mail (log transport)"
                );
                Ok(())
            }
            Mailer::File(file) => file
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| SendError::Transient(format!("写入邮件文件失败：{e}"))),
            Mailer::Smtp(smtp) => smtp.send(message).await.map(|_| ()).map_err(|e| {
                if e.is_permanent() {
                    SendError::Permanent(e.to_string())
                } else {
                    SendError::Transient(e.to_string())
                }
            }),
        }
    }
}

/// The message as sent: fixed sender, Reply-To the acting user, the stored Message-ID, plain text
/// and HTML alternatives. A bad address can never be sent: permanent.
fn build(from: &str, row: &MessageRow) -> Result<Message, SendError> {
    let permanent =
        |what: &str, e: &dyn std::fmt::Display| SendError::Permanent(format!("{what}无效：{e}"));
    let from: Mailbox = from.parse().map_err(|e| permanent("发件人地址", &e))?;
    let to: Mailbox = row
        .to_address
        .as_deref()
        .unwrap_or_default()
        .parse()
        .map_err(|e| permanent("收件人地址", &e))?;
    let mut builder = Message::builder()
        .from(from)
        .to(to)
        .subject(row.subject.clone())
        .message_id(Some(row.message_id.clone()));
    if let Some(reply_to) = row.reply_to.as_deref().and_then(|r| r.parse().ok()) {
        builder = builder.reply_to(reply_to);
    }
    let body = if row.body_html.is_empty() {
        MultiPart::mixed().singlepart(SinglePart::plain(row.body_text.clone()))
    } else {
        MultiPart::alternative()
            .singlepart(SinglePart::plain(row.body_text.clone()))
            .singlepart(
                SinglePart::builder()
                    .header(ContentType::TEXT_HTML)
                    .body(row.body_html.clone()),
            )
    };
    builder
        .multipart(body)
        .map_err(|e| permanent("邮件内容", &e))
}
