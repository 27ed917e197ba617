//! What a refused form gives back to its page: the values as typed, each error beside its
//! field, and a headline (for a stale write: who changed the evaluation meanwhile).

use std::collections::HashMap;

use actix_multipart::Multipart;
use futures_util::TryStreamExt;

use super::session::WebUser;
use crate::app::error::{AppError, FieldError};
use crate::app::input::{MAX_FORM_FIELDS, too_many_form_fields};
use crate::app::workflow::timeline_for;
use crate::state::AppState;
use actix_web::HttpResponse;

/// The headline of a form refused for what is marked beside its fields.
pub const FIX_MARKED: &str = "有内容需要修改，请看标出的地方：";

/// A form sent back to its page.
#[derive(Debug, Default)]
pub struct Echo {
    /// Which form of the page (its `data-form`), so that only it shows these values.
    pub form: String,
    pub headline: String,
    /// Input name → what the user typed.
    pub values: HashMap<String, String>,
    /// Input name → what is wrong with it.
    pub errors: HashMap<String, String>,
    /// Problems that belong to no input of the form (a workbook's cells, a whole-form rule).
    pub general: Vec<String>,
    /// Every value as sent, for inputs sent several times (a multiple select).
    pub pairs: Vec<(String, String)>,
}

impl Echo {
    pub fn new(form: &str, values: &[(String, String)]) -> Echo {
        Echo {
            form: form.to_owned(),
            values: values.iter().cloned().collect(),
            pairs: values.to_vec(),
            ..Echo::default()
        }
    }

    /// The typed value of an input of `form`, or what the page would show otherwise.
    pub fn value_or(
        &self,
        form: impl AsRef<str>,
        name: impl AsRef<str>,
        stored: impl AsRef<str>,
    ) -> String {
        if self.form == form.as_ref() {
            self.values.get(name.as_ref()).cloned().unwrap_or_default()
        } else {
            stored.as_ref().to_owned()
        }
    }

    /// Whether a checkbox of `form` is ticked (as typed, or as stored).
    pub fn checked_or(
        &self,
        form: impl AsRef<str>,
        name: impl AsRef<str>,
        stored: impl std::borrow::Borrow<bool>,
    ) -> bool {
        if self.form == form.as_ref() {
            self.values.contains_key(name.as_ref())
        } else {
            *stored.borrow()
        }
    }

    /// Whether `option` is among the values of a multiple select of `form` (as typed or stored).
    pub fn selected_or(
        &self,
        form: impl AsRef<str>,
        name: impl AsRef<str>,
        option: &str,
        stored: bool,
    ) -> bool {
        if self.form == form.as_ref() {
            self.pairs
                .iter()
                .any(|(n, v)| n == name.as_ref() && v == option)
        } else {
            stored
        }
    }

    pub fn error(&self, name: impl AsRef<str>) -> Option<&String> {
        self.errors.get(name.as_ref())
    }

    /// Whether these are the values of `form`.
    pub fn is_form(&self, form: impl AsRef<str>) -> bool {
        self.form == form.as_ref()
    }

    /// The error of input `name` of `form`, when that form was refused.
    pub fn error_in(&self, form: impl AsRef<str>, name: impl AsRef<str>) -> Option<&String> {
        (self.form == form.as_ref())
            .then(|| self.errors.get(name.as_ref()))
            .flatten()
    }

    /// The errors of `form` in the order of its inputs (the error summary's list), then those of
    /// inputs that were not sent.
    pub fn errors_of(&self, form: impl AsRef<str>) -> Vec<(&str, &str)> {
        if self.form != form.as_ref() {
            return Vec::new();
        }
        let mut names: Vec<&str> = Vec::new();
        for (name, _) in &self.pairs {
            if self.errors.contains_key(name) && !names.contains(&name.as_str()) {
                names.push(name);
            }
        }
        let mut rest: Vec<&str> = self
            .errors
            .keys()
            .map(String::as_str)
            .filter(|n| !names.contains(n))
            .collect();
        rest.sort_unstable();
        names.extend(rest);
        names
            .into_iter()
            .filter_map(|n| self.errors.get(n).map(|m| (n, m.as_str())))
            .collect()
    }
}

/// The form's values as the first value per name.
pub fn value<'a>(values: &'a [(String, String)], name: &str) -> Option<&'a str> {
    values
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// Fills the echo from an API refusal: `field_to_input` names the input of an API field path
/// (None: shown above the form).
pub async fn explain(
    state: &AppState,
    me: &WebUser,
    evaluation_id: i64,
    mut echo: Echo,
    error: AppError,
    field_to_input: impl Fn(&str) -> Option<String>,
) -> Result<Echo, AppError> {
    match error {
        AppError::Validation(errors) | AppError::Conflict(errors) => {
            echo.headline = FIX_MARKED.into();
            place(&mut echo, errors, field_to_input);
        }
        AppError::StaleVersion { .. } => {
            echo.headline = format!(
                "保存前，{}。您填写的内容仍在下方，页面其余部分已是最新；请核对后再保存。",
                last_change(state, me, evaluation_id).await
            );
        }
        AppError::Forbidden(reason) => echo.headline = reason,
        AppError::TransitionRefused { detail, missing } => {
            echo.headline = detail;
            echo.general.extend(missing);
        }
        other @ (AppError::NotFound(_) | AppError::Unauthorized(_)) => return Err(other),
        AppError::PayloadTooLarge => echo.headline = "文件太大，无法上传".into(),
        AppError::Malformed(reason) => echo.headline = reason,
        other => {
            tracing::error!(error = %other, "form on a page");
            echo.headline = "保存失败，请稍后再试；您填写的内容仍在下方。".into();
        }
    }
    Ok(echo)
}

fn place(
    echo: &mut Echo,
    errors: Vec<FieldError>,
    field_to_input: impl Fn(&str) -> Option<String>,
) {
    for error in errors {
        match field_to_input(&error.field) {
            Some(input) => {
                echo.errors.entry(input).or_insert(error.message);
            }
            None if error.field.is_empty() => echo.general.push(error.message),
            None => echo
                .general
                .push(format!("{}：{}", error.field, error.message)),
        }
    }
}

/// "张三（西村街道办事处）于 12月3日 10:20 填写指标完成量": the evaluation's last recorded change.
async fn last_change(state: &AppState, me: &WebUser, evaluation_id: i64) -> String {
    let last = timeline_for(state, me, evaluation_id)
        .await
        .ok()
        .and_then(|t| t.items.into_iter().max_by_key(|item| item.at));
    match last {
        Some(item) => {
            let who = item.actor.map_or_else(
                || "系统".to_owned(),
                |a| match a.organization {
                    Some(org) => format!("{}（{org}）", a.display_name),
                    None => a.display_name,
                },
            );
            let at = state.settings.local_time(item.at);
            format!(
                "{who}已于 {} {}",
                at.format("%m月%d日 %H:%M"),
                super::timeline::action_name(&item.action)
            )
        }
        None => "评估已被他人更新".into(),
    }
}

/// A small multipart form read whole: its text fields and its first file's bytes (workbooks;
/// evidence files are streamed by the API's upload instead).
pub struct SmallForm {
    pub fields: Vec<(String, String)>,
    pub file: Option<Vec<u8>>,
}

pub async fn read_small_form(mut payload: Multipart, limit: usize) -> Result<SmallForm, AppError> {
    let unreadable = |e: actix_multipart::MultipartError| {
        AppError::Malformed(format!("无法读取上传的表单：{e}"))
    };
    let mut form = SmallForm {
        fields: Vec::new(),
        file: None,
    };
    let mut total = 0;
    let mut seen = 0;
    while let Some(mut field) = payload.try_next().await.map_err(unreadable)? {
        seen += 1;
        if seen > MAX_FORM_FIELDS + 1 {
            return Err(too_many_form_fields());
        }
        let name = field.name().unwrap_or_default().to_owned();
        let is_file = field
            .content_disposition()
            .and_then(|d| d.get_filename())
            .is_some();
        let mut bytes = Vec::new();
        while let Some(chunk) = field.try_next().await.map_err(unreadable)? {
            total += chunk.len();
            if total > limit {
                return Err(AppError::PayloadTooLarge);
            }
            bytes.extend_from_slice(&chunk);
        }
        if is_file {
            if form.file.is_none() && !bytes.is_empty() {
                form.file = Some(bytes);
            }
        } else {
            form.fields
                .push((name, String::from_utf8_lossy(&bytes).into_owned()));
        }
    }
    Ok(form)
}

/// A form a signed-in user posted from a page: handed to the handler only when it carries this
/// session's CSRF token, so no handler checks it by hand. Otherwise the answer is a 403 page
/// that shows what was typed, so that nothing is lost. `T` is the form (its raw fields by
/// default); `Posted` wants a user who has set their own password, `PostedAny` any user.
pub struct Posted<T = Vec<(String, String)>> {
    pub me: WebUser,
    pub form: T,
}

/// As `Posted`, for the forms a user who must still change their password may send.
pub struct PostedAny<T = Vec<(String, String)>> {
    pub me: WebUser,
    pub form: T,
}

/// Why a posted form was not handed on.
#[derive(Debug)]
pub enum FormRefused {
    /// Not logged in (or the session ended): the login page.
    Login(super::session::Redirect),
    /// Without this session's CSRF token: the fields typed, to show back.
    Csrf(Vec<(String, String)>),
    /// Fields missing or of the wrong kind (a page that is out of date, or a hand-made post).
    Unreadable(String),
}

impl std::fmt::Display for FormRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FormRefused::Login(redirect) => redirect.fmt(f),
            FormRefused::Csrf(_) => f.write_str("form without this session's CSRF token"),
            FormRefused::Unreadable(reason) => write!(f, "unreadable form: {reason}"),
        }
    }
}

impl actix_web::ResponseError for FormRefused {
    fn status_code(&self) -> actix_web::http::StatusCode {
        use actix_web::http::StatusCode;
        match self {
            FormRefused::Login(redirect) => redirect.status_code(),
            FormRefused::Csrf(_) => StatusCode::FORBIDDEN,
            FormRefused::Unreadable(_) => StatusCode::BAD_REQUEST,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            FormRefused::Login(redirect) => redirect.error_response(),
            FormRefused::Csrf(fields) => super::refused_form(fields),
            FormRefused::Unreadable(_) => super::bad_form(),
        }
    }
}

type Extracted<T> = std::pin::Pin<Box<dyn std::future::Future<Output = Result<T, FormRefused>>>>;

/// The user, then the form (bounded by the app's `FormConfig`), then its CSRF token.
fn extract<T: serde::de::DeserializeOwned + 'static>(
    req: &actix_web::HttpRequest,
    payload: &mut actix_web::dev::Payload,
    any_user: bool,
) -> Extracted<(WebUser, T)> {
    use actix_web::FromRequest;
    let user = super::session::AnyWebUser::from_request(req, payload);
    let form = actix_web::web::Form::<Vec<(String, String)>>::from_request(req, payload);
    let state = req.app_data::<actix_web::web::Data<AppState>>().cloned();
    Box::pin(async move {
        let me = user.await.map_err(FormRefused::Login)?.0;
        if me.must_change_password && !any_user {
            return Err(FormRefused::Login(super::session::Redirect::to(
                "/password",
            )));
        }
        let fields = form
            .await
            .map_err(|e| FormRefused::Unreadable(e.to_string()))?
            .into_inner();
        let verified = state.is_some_and(|state| {
            state
                .csrf
                .verify(&me.session_id, value(&fields, "csrf").unwrap_or(""))
        });
        if !verified {
            return Err(FormRefused::Csrf(fields));
        }
        let encoded = serde_urlencoded::to_string(&fields)
            .map_err(|e| FormRefused::Unreadable(e.to_string()))?;
        let form = serde_urlencoded::from_str::<T>(&encoded)
            .map_err(|e| FormRefused::Unreadable(e.to_string()))?;
        Ok((me, form))
    })
}

impl<T: serde::de::DeserializeOwned + 'static> actix_web::FromRequest for Posted<T> {
    type Error = FormRefused;
    type Future = Extracted<Self>;

    fn from_request(
        req: &actix_web::HttpRequest,
        payload: &mut actix_web::dev::Payload,
    ) -> Self::Future {
        let extracted = extract::<T>(req, payload, false);
        Box::pin(async move { extracted.await.map(|(me, form)| Posted { me, form }) })
    }
}

impl<T: serde::de::DeserializeOwned + 'static> actix_web::FromRequest for PostedAny<T> {
    type Error = FormRefused;
    type Future = Extracted<Self>;

    fn from_request(
        req: &actix_web::HttpRequest,
        payload: &mut actix_web::dev::Payload,
    ) -> Self::Future {
        let extracted = extract::<T>(req, payload, true);
        Box::pin(async move { extracted.await.map(|(me, form)| PostedAny { me, form }) })
    }
}

/// Whether a multipart form's fields carry this session's CSRF token (multipart bodies are read
/// by their handlers, the token among the fields).
pub fn csrf_verified(state: &AppState, me: &WebUser, fields: &[(String, String)]) -> bool {
    state
        .csrf
        .verify(&me.session_id, value(fields, "csrf").unwrap_or(""))
}
