//! Administration pages: organizations, users, stations with zones and agreements, evaluations,
//! schemes and the outbox. Each page is a table and forms described in data and drawn by one
//! template; a form's fields carry the API's own field names, so that a form becomes the API's
//! JSON body, is checked by the API's own parser and rules, and its errors land beside the
//! field they name.

pub mod evaluations;
pub mod imports;
pub mod organizations;
pub mod outbox;
pub mod schemes;
pub mod stations;
pub mod users;

use actix_web::HttpResponse;
use actix_web::http::header;
use askama::Template;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::forms::{Echo, value};
use super::session::WebUser;
use super::{Chrome, page};
use crate::app::AppError;
use crate::app::input::{parse_json, validate};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    /// Sent only when filled in.
    Optional,
    Textarea,
    Number,
    Date,
    Email,
    Password,
    Select,
    Checkbox,
}

pub struct Field {
    /// The API's field name; `a.b` for a nested one.
    pub name: &'static str,
    pub label: &'static str,
    pub kind: Kind,
    pub options: Vec<(String, String)>,
    pub value: String,
    pub hint: &'static str,
    pub required: bool,
}

impl Field {
    pub fn new(name: &'static str, label: &'static str, kind: Kind) -> Field {
        Field {
            name,
            label,
            kind,
            options: Vec::new(),
            value: String::new(),
            hint: "",
            required: !matches!(kind, Kind::Optional | Kind::Checkbox),
        }
    }

    pub fn select(
        name: &'static str,
        label: &'static str,
        options: Vec<(String, String)>,
    ) -> Field {
        Field {
            options,
            ..Field::new(name, label, Kind::Select)
        }
    }

    pub fn hint(mut self, hint: &'static str) -> Field {
        self.hint = hint;
        self
    }

    /// A field of another kind (a date) that may be left empty.
    pub fn optional(mut self) -> Field {
        self.required = false;
        self
    }

    pub fn value(mut self, value: impl Into<String>) -> Field {
        self.value = value.into();
        self
    }
}

pub struct Form {
    /// The form's name (its `data-form`), also the anchor.
    pub id: &'static str,
    pub title: &'static str,
    pub action: String,
    pub button: &'static str,
    pub fields: Vec<Field>,
}

pub struct Cell {
    pub text: String,
    pub href: Option<String>,
}

impl Cell {
    pub fn text(text: impl Into<String>) -> Cell {
        Cell {
            text: text.into(),
            href: None,
        }
    }

    pub fn link(text: impl Into<String>, href: impl Into<String>) -> Cell {
        Cell {
            text: text.into(),
            href: Some(href.into()),
        }
    }
}

/// A button on a row: a small form of its own.
pub struct RowAction {
    pub action: String,
    pub label: &'static str,
    pub confirm: String,
    pub hidden: Vec<(&'static str, String)>,
    /// One field to type with it (a new password).
    pub field: Option<Field>,
}

pub struct Row {
    pub cells: Vec<Cell>,
    pub actions: Vec<RowAction>,
}

#[derive(Template)]
#[template(path = "admin.html")]
pub struct AdminPage {
    pub chrome: Option<Chrome>,
    pub title: String,
    pub section: &'static str,
    pub intro: String,
    pub headers: Vec<&'static str>,
    pub rows: Vec<Row>,
    pub forms: Vec<Form>,
    pub echo: Echo,
    /// The admin menu is for admins; managers see users only.
    pub admin: bool,
    /// Admins and district bureaus' managers onboard from a workbook.
    pub importer: bool,
}

impl AdminPage {
    pub fn new(me: &WebUser, section: &'static str, title: impl Into<String>) -> AdminPage {
        AdminPage {
            chrome: Some(Chrome::of(me)),
            title: title.into(),
            section,
            intro: String::new(),
            headers: Vec::new(),
            rows: Vec::new(),
            forms: Vec::new(),
            echo: Echo::default(),
            admin: me.is_admin(),
            importer: crate::auth::permissions::onboarding_scope(me).is_ok(),
        }
    }

    fn shown(&self, form: &str, field: &Field) -> String {
        self.echo.value_or(form, field.name, &field.value)
    }

    fn is_chosen(&self, form: &str, field: &Field, option: &str) -> bool {
        self.shown(form, field) == option
    }

    fn ticked(&self, form: &str, field: &Field) -> bool {
        self.echo
            .checked_or(form, field.name, !field.value.is_empty())
    }
}

pub fn show(me: &WebUser, page_data: &AdminPage) -> HttpResponse {
    page(Some(me), page_data)
}

/// The form's values as the JSON body the API takes, by the fields' kinds.
pub fn json_of(values: &[(String, String)], fields: &[Field]) -> Value {
    let mut body = Map::new();
    for field in fields {
        let typed = value(values, field.name).map(str::trim).unwrap_or("");
        let json = match field.kind {
            Kind::Checkbox => Some(Value::Bool(!typed.is_empty())),
            _ if typed.is_empty() && field.kind != Kind::Text => None,
            Kind::Number => Some(
                typed
                    .parse::<i64>()
                    .map_or_else(|_| Value::String(typed.to_owned()), Value::from),
            ),
            Kind::Select
                if typed.chars().all(|c| c.is_ascii_digit()) && field.name.ends_with("_id") =>
            {
                typed.parse::<i64>().ok().map(Value::from)
            }
            _ => Some(Value::String(typed.to_owned())),
        };
        if let Some(json) = json {
            insert(&mut body, field.name, json);
        }
    }
    Value::Object(body)
}

fn insert(body: &mut Map<String, Value>, name: &str, json: Value) {
    match name.split_once('.') {
        Some((head, rest)) => {
            let inner = body
                .entry(head.to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(inner) = inner {
                insert(inner, rest, json);
            }
        }
        None => {
            body.insert(name.to_owned(), json);
        }
    }
}

/// Reads the body as the API would: its parser (errors name the field) and its rules.
pub fn body_of<T: DeserializeOwned + validator::Validate>(json: &Value) -> Result<T, AppError> {
    let bytes = serde_json::to_vec(json).map_err(anyhow::Error::from)?;
    let body: T = parse_json(&bytes)?;
    validate(&body)?;
    Ok(body)
}

pub fn back_to(location: String) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

pub use super::forms::Posted;

/// An API refusal as the form's echo: each error beside its field (field names are the API's).
pub fn echo_of(form: &str, values: &[(String, String)], error: AppError) -> Echo {
    let mut echo = Echo::new(form, values);
    match error {
        AppError::Validation(errors) | AppError::Conflict(errors) => {
            echo.headline = crate::web::forms::FIX_MARKED.into();
            for error in errors {
                let name = error.field.split('[').next().unwrap_or("").to_owned();
                if name.is_empty() || !values.iter().any(|(n, _)| *n == name) {
                    echo.general.push(error.message);
                } else {
                    echo.errors.entry(name).or_insert(error.message);
                }
            }
        }
        AppError::Forbidden(reason) => echo.headline = reason,
        AppError::TransitionRefused { detail, missing } => {
            echo.headline = detail;
            echo.general = missing;
        }
        AppError::StaleVersion { .. } => {
            echo.headline =
                "内容已被他人更新，页面已刷新为最新内容；您填写的内容仍在下方，请核对后再提交。"
                    .into();
        }
        AppError::NotFound(what) => echo.headline = format!("{what}不存在或无权查看"),
        AppError::Malformed(reason) => echo.headline = reason,
        other => {
            tracing::error!(error = %other, "administration form");
            echo.headline = "保存失败，请稍后再试；您填写的内容仍在下方。".into();
        }
    }
    echo
}
