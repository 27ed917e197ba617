//! The authenticated user, as an extractor: a valid access token whose session is open and
//! whose user is enabled. `CurrentUser` also refuses users who must change their password;
//! `CurrentUserAnyPassword` (for /me and /me/password only) lets them through.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};

use crate::app::AppError;
use crate::db;
use crate::domain::organization::OrgKind;
use crate::domain::user::Role;
use crate::state::AppState;

#[derive(Debug, Clone)]
pub struct Organization {
    pub id: i64,
    pub name: String,
    pub kind: OrgKind,
    pub district: Option<String>,
    /// 所在市: where set on a municipal bureau, the city it oversees.
    pub city: Option<String>,
}

#[derive(Debug, Clone)]
pub struct AuthenticatedUser {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub role: Role,
    pub organization: Organization,
    pub must_change_password: bool,
    pub session_id: String,
}

impl AuthenticatedUser {
    /// The user of these rows acting in `session_id` (the demo loader acts without a session).
    pub fn of(
        user: db::users::UserRow,
        org: db::organizations::OrganizationRow,
        session_id: String,
    ) -> anyhow::Result<AuthenticatedUser> {
        let role = Role::from_code(&user.role)
            .ok_or_else(|| anyhow::anyhow!("user {} has unknown role {}", user.id, user.role))?;
        let kind = OrgKind::from_code(&org.kind).ok_or_else(|| {
            anyhow::anyhow!("organization {} has unknown kind {}", org.id, org.kind)
        })?;
        Ok(AuthenticatedUser {
            id: user.id,
            username: user.username,
            display_name: user.display_name,
            email: user.email,
            role,
            organization: Organization {
                id: org.id,
                name: org.name,
                kind,
                district: org.district,
                city: org.city,
            },
            must_change_password: user.must_change_password,
            session_id,
        })
    }

    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

/// A logged-in user who may use the whole API.
#[derive(Debug, Clone)]
pub struct CurrentUser(pub AuthenticatedUser);

/// A logged-in user, even one who must change their password first.
#[derive(Debug, Clone)]
pub struct CurrentUserAnyPassword(pub AuthenticatedUser);

impl std::ops::Deref for CurrentUser {
    type Target = AuthenticatedUser;
    fn deref(&self) -> &AuthenticatedUser {
        &self.0
    }
}

impl std::ops::Deref for CurrentUserAnyPassword {
    type Target = AuthenticatedUser;
    fn deref(&self) -> &AuthenticatedUser {
        &self.0
    }
}

type Authenticating<T> = Pin<Box<dyn Future<Output = Result<T, AppError>>>>;

impl FromRequest for CurrentUserAnyPassword {
    type Error = AppError;
    type Future = Authenticating<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer_token(req);
        Box::pin(async move {
            let state = state.ok_or_else(|| anyhow::anyhow!("application state missing"))?;
            authenticate(&state, token)
                .await
                .map(CurrentUserAnyPassword)
        })
    }
}

impl FromRequest for CurrentUser {
    type Error = AppError;
    type Future = Authenticating<Self>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let any = CurrentUserAnyPassword::from_request(req, payload);
        Box::pin(async move {
            let user = any.await?.0;
            if user.must_change_password {
                return Err(AppError::PasswordChangeRequired);
            }
            Ok(CurrentUser(user))
        })
    }
}

fn bearer_token(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
        .filter(|t| !t.is_empty())
}

const NOT_LOGGED_IN: &str = "请先登录";
const SESSION_ENDED: &str = "登录已失效，请重新登录";

/// The user behind an access token (header or the pages' cookie): its session must be live and
/// the user enabled. The one check behind the API and the pages.
pub async fn authenticate(
    state: &AppState,
    token: Option<String>,
) -> Result<AuthenticatedUser, AppError> {
    let token = token.ok_or(AppError::Unauthorized(NOT_LOGGED_IN))?;
    let claims = state
        .jwt
        .decode(&token)
        .ok_or(AppError::Unauthorized(SESSION_ENDED))?;
    let user_id: i64 = claims
        .sub
        .parse()
        .map_err(|_| AppError::Unauthorized(SESSION_ENDED))?;
    let session_id = claims.sid;
    let found = db::run(&state.pool, move |conn| {
        db::sessions::find_authenticated(conn, user_id, &session_id).map_err(AppError::from)
    })
    .await?;
    let Some((user, org, session)) = found else {
        return Err(AppError::Unauthorized(SESSION_ENDED));
    };
    let expired = db::now() >= state.settings.auth.session_ends_at(session.created_at);
    if session.revoked_at.is_some() || user.disabled || expired {
        return Err(AppError::Unauthorized(SESSION_ENDED));
    }
    Ok(AuthenticatedUser::of(user, org, session.id)?)
}
