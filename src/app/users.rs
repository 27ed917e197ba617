//! POST, GET /users; GET, PATCH /users/{id}. Admins manage every user; a manager the members and
//! experts of their own organization.

use crate::app::error::{AppError, FieldError};
use crate::app::input::{PageQuery, Paged};
use crate::app::views::UserView;
use crate::auth::extractor::AuthenticatedUser;
use crate::auth::permissions::{
    can_view_user, ensure_can_change_user, ensure_can_create_user, ensure_can_list_users,
};
use crate::db::users::{NewUser, UserChanges};
use crate::db::{self, audit, organizations, sessions, users};
use crate::domain::organization::OrgKind;
use crate::domain::password_policy;
use crate::domain::text::one_line;
use crate::domain::user::{Role, Username};
use crate::state::AppState;
use secrecy::SecretString;
use serde::{Deserialize, Deserializer};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    /// 3–32 letters, digits, `.`, `_`, `-`; stored in lower case.
    pub username: String,
    /// The person's name as shown to others, e.g. 张三.
    #[validate(
        length(min = 1, max = 50, message = "姓名须为 1 到 50 个字符"),
        custom(function = "one_line")
    )]
    pub display_name: String,
    #[validate(
        email(message = "邮箱地址格式不正确"),
        length(max = 254, message = "邮箱地址过长")
    )]
    pub email: Option<String>,
    /// The initial password; the policy applies. Absent: the user gets an e-mail with a link to
    /// set their own (72 hours, once), and `email` is required.
    pub password: Option<String>,
    pub organization_id: i64,
    pub role: Role,
    /// Defaults to true: a password chosen by someone else must be changed at first login.
    pub must_change_password: Option<bool>,
}

/// Creates a user as `me` (the API and the administration pages).
pub async fn create_for(
    state: &AppState,
    me: &AuthenticatedUser,
    body: CreateUser,
    request_id: Option<String>,
) -> Result<UserView, AppError> {
    ensure_can_create_user(me, body.organization_id, body.role)?;

    let mut problems = Vec::new();
    let username = Username::parse(&body.username)
        .map_err(|m| problems.push(FieldError::new("username", m)))
        .ok();
    let email = body
        .email
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(str::to_owned);
    match &body.password {
        Some(password) => {
            if let Err(message) =
                password_policy::check(password, state.settings.auth.password_min_length)
            {
                problems.push(FieldError::new("password", message));
            }
        }
        None if email.is_none() => problems.push(FieldError::new(
            "email",
            "不设初始密码时须填写电子邮箱，用于接收设置密码的链接",
        )),
        None => {}
    }
    let org_id = body.organization_id;
    let org = db::run(&state.pool, move |conn| {
        organizations::find(conn, org_id).map_err(AppError::from)
    })
    .await?;
    match &org {
        None => problems.push(FieldError::new("organization_id", "机构不存在")),
        Some(org) => {
            let kind = OrgKind::from_code(&org.kind)
                .ok_or_else(|| anyhow::anyhow!("organization {} has unknown kind", org.id))?;
            if let Err(message) = body.role.allowed_in(kind) {
                problems.push(FieldError::new("role", message));
            }
        }
    }
    let display_name = body.display_name.trim().to_owned();
    if display_name.is_empty() {
        problems.push(FieldError::new("display_name", "姓名不能为空"));
    }
    let (Some(username), true) = (username, problems.is_empty()) else {
        return Err(AppError::Validation(problems));
    };

    let invited = body.password.is_none();
    let password_hash = match body.password {
        Some(password) => state.hasher.hash(SecretString::from(password)).await?,
        None => crate::auth::password::UNUSABLE_PASSWORD_HASH.to_owned(),
    };
    let must_change_password = invited || body.must_change_password.unwrap_or(true);
    let settings = state.settings.clone();
    let role = body.role;
    let actor = (me.id, me.organization.id);
    let created = db::run(&state.pool, move |conn| {
        db::write_transaction(conn, |conn| {
            let now = db::now();
            let new = NewUser {
                organization_id: org_id,
                username: username.as_str(),
                display_name: &display_name,
                email: email.as_deref(),
                role: role.code(),
                password_hash: &password_hash,
                must_change_password,
                created_at: now,
                updated_at: now,
            };
            let id = users::insert(conn, &new).map_err(|e| {
                if db::is_unique_violation(&e) {
                    AppError::Conflict(vec![FieldError::new("username", "该用户名已被使用")])
                } else {
                    e.into()
                }
            })?;
            let summary = format!(
                "创建用户 {}（{}，机构 {org_id}）",
                username.as_str(),
                role.code()
            );
            audit::append_global(
                conn,
                &audit::global_entry(Some(actor), "create", "user", id, summary, now, request_id),
            )?;
            let created = users::find(conn, id)?
                .ok_or_else(|| AppError::from(anyhow::anyhow!("user {id} vanished")))?;
            if let (true, Some(address)) = (invited, email.as_deref()) {
                let to = crate::notify::welcome::Invitee {
                    user_id: id,
                    username: username.as_str(),
                    display_name: &display_name,
                    organization: &created.1.full_name,
                    email: address,
                };
                crate::app::password_links::send_in(conn, &settings, &to, false, now)?;
            }
            Ok::<_, AppError>(created)
        })
    })
    .await?;
    tracing::info!(actor = me.id, user_id = created.0.id, "user created");
    Ok(UserView::new(&created.0, &created.1))
}

/// A page of the users `me` may manage: all, or one organization's, for admins; the own
/// organization's for a manager, whatever the query asks.
pub async fn list_for(
    state: &AppState,
    me: &AuthenticatedUser,
    query: UserQuery,
) -> Result<Paged<UserView>, AppError> {
    ensure_can_list_users(me)?;
    let page = PageQuery {
        page: query.page,
        per_page: query.per_page,
    }
    .page();
    let organization_id = if me.is_admin() {
        query.organization_id
    } else {
        Some(me.organization.id)
    };
    let (rows, total) = db::run(&state.pool, move |conn| {
        users::list(conn, organization_id, page).map_err(AppError::from)
    })
    .await?;
    let items = rows.iter().map(|(u, o)| UserView::new(u, o)).collect();
    Ok(Paged::new(items, total, page))
}

/// One user `me` may manage; any other is not found.
pub async fn one_for(
    state: &AppState,
    me: &AuthenticatedUser,
    id: i64,
) -> Result<UserView, AppError> {
    ensure_can_list_users(me)?;
    let found = db::run(&state.pool, move |conn| {
        users::find(conn, id).map_err(AppError::from)
    })
    .await?;
    match found {
        Some((user, org)) if can_view_user(me, org.id) => Ok(UserView::new(&user, &org)),
        _ => Err(AppError::NotFound("用户")),
    }
}

/// The users `me` may manage: all for admins, the own organization's for a manager.
pub async fn manageable_for(
    state: &AppState,
    me: &AuthenticatedUser,
) -> Result<Vec<UserView>, AppError> {
    ensure_can_list_users(me)?;
    let organization_id = (!me.is_admin()).then_some(me.organization.id);
    let page = crate::db::Page {
        page: 1,
        per_page: 10_000,
    };
    let (rows, _) = db::run(&state.pool, move |conn| {
        users::list(conn, organization_id, page).map_err(AppError::from)
    })
    .await?;
    Ok(rows.iter().map(|(u, o)| UserView::new(u, o)).collect())
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    /// Only users of this organization (admins; a manager always sees their own).
    pub organization_id: Option<i64>,
    pub page: Option<u64>,
    pub per_page: Option<u64>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    #[validate(
        length(min = 1, max = 50, message = "姓名须为 1 到 50 个字符"),
        custom(function = "one_line")
    )]
    pub display_name: Option<String>,
    /// A new address, or null to remove it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub email: Option<Option<String>>,
    pub role: Option<Role>,
    pub disabled: Option<bool>,
    /// A reset: the user must change it at next login, and all their sessions end.
    pub password: Option<String>,
    /// The version this change is based on (or send If-Match).
    pub version: Option<i64>,
}

/// Tells an absent field (`None`) from an explicit null (`Some(None)`).
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// Changes a user as `me` (the API and the administration pages).
pub async fn update_for(
    state: &AppState,
    me: &AuthenticatedUser,
    id: i64,
    body: UpdateUser,
    expected: Option<i64>,
    request_id: Option<String>,
) -> Result<UserView, AppError> {
    ensure_can_list_users(me)?;

    let mut problems = Vec::new();
    let display_name = body.display_name.map(|n| n.trim().to_owned());
    if display_name.as_deref() == Some("") {
        problems.push(FieldError::new("display_name", "姓名不能为空"));
    }
    let email = body
        .email
        .map(|e| e.map(|e| e.trim().to_owned()).filter(|e| !e.is_empty()));
    if let Some(Some(address)) = &email
        && !validator::ValidateEmail::validate_email(address)
    {
        problems.push(FieldError::new("email", "邮箱地址格式不正确"));
    }
    if let Some(password) = &body.password
        && let Err(message) =
            password_policy::check(password, state.settings.auth.password_min_length)
    {
        problems.push(FieldError::new("password", message));
    }
    if !problems.is_empty() {
        return Err(AppError::Validation(problems));
    }
    let disabling = body.disabled == Some(true);
    let new_role = body.role;
    // Refuse early, before spending a hash on a user the caller may not change; the
    // transaction below checks again.
    let target = db::run(&state.pool, move |conn| {
        users::find(conn, id).map_err(AppError::from)
    })
    .await?
    .filter(|(_, org)| can_view_user(me, org.id))
    .ok_or(AppError::NotFound("用户"))?;
    ensure_can_change_user(me, id, role_of(&target.0)?, new_role, disabling)?;
    let password_hash = match body.password {
        Some(password) => Some(state.hasher.hash(SecretString::from(password)).await?),
        None => None,
    };
    let resetting = password_hash.is_some();
    let actor = me.clone();
    let changes = UserChanges {
        display_name,
        email,
        role: new_role.map(|r| r.code().to_owned()),
        disabled: body.disabled,
        password_hash,
        must_change_password: resetting.then_some(true),
    };
    let updated = db::run(&state.pool, move |conn| {
        db::write_transaction(conn, |conn| {
            let now = db::now();
            let claimed = users::bump_version(conn, id, expected, now)?;
            let (user, org) = users::find(conn, id)?
                .filter(|(_, org)| can_view_user(&actor, org.id))
                .ok_or(AppError::NotFound("用户"))?;
            ensure_can_change_user(&actor, id, role_of(&user)?, new_role, disabling)?;
            if claimed == 0 {
                return Err(AppError::StaleVersion {
                    current: user.version,
                });
            }
            if let Some(role) = new_role {
                let kind = OrgKind::from_code(&org.kind)
                    .ok_or_else(|| anyhow::anyhow!("organization {} has unknown kind", org.id))?;
                role.allowed_in(kind)
                    .map_err(|m| AppError::field("role", m))?;
            }
            users::apply(conn, id, &changes)?;
            // What changed, never the password itself.
            let changed: Vec<&str> = [
                (changes.display_name.is_some(), "姓名"),
                (changes.email.is_some(), "邮箱"),
                (changes.role.is_some(), "角色"),
                (changes.disabled == Some(true), "停用"),
                (changes.disabled == Some(false), "启用"),
                (resetting, "重置密码"),
            ]
            .into_iter()
            .filter_map(|(yes, what)| yes.then_some(what))
            .collect();
            let summary = format!("修改用户 {}：{}", user.username, changed.join("、"));
            let entry = audit::global_entry(
                Some((actor.id, actor.organization.id)),
                "update",
                "user",
                id,
                summary,
                now,
                request_id,
            );
            audit::append_global(conn, &entry)?;
            if resetting || disabling {
                let reason = if disabling {
                    "disabled"
                } else {
                    "password_reset"
                };
                sessions::revoke_all_for_user(conn, id, None, reason, now)?;
            }
            users::find(conn, id)?
                .ok_or_else(|| AppError::from(anyhow::anyhow!("user {id} vanished")))
        })
    })
    .await?;
    tracing::info!(
        actor = me.id,
        user_id = id,
        resetting,
        disabling,
        "user changed"
    );
    Ok(UserView::new(&updated.0, &updated.1))
}

fn role_of(user: &users::UserRow) -> Result<Role, AppError> {
    Role::from_code(&user.role)
        .ok_or_else(|| anyhow::anyhow!("user {} has unknown role {}", user.id, user.role).into())
}
