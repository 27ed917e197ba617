//! The demo's organizations and users, created in one transaction with their audit entries (by
//! the command line, as `admin create` does: the demo has no administrator of its own).

use anyhow::Context;
use secrecy::SecretString;

use super::data::People;
use crate::auth::extractor::AuthenticatedUser;
use crate::db::{self, audit, organizations, users};
use crate::domain::password_policy;
use crate::domain::user::Username;
use crate::state::AppState;

/// A demo user as the table printed after loading shows them.
#[derive(Debug, Clone)]
pub struct Member {
    pub username: String,
    pub organization: String,
    pub role: &'static str,
    /// Known only to the run that created the user.
    pub password: Option<String>,
}

/// The users and, for acting in the walk, who they are.
pub struct Cast {
    pub members: Vec<Member>,
    pub acting: Vec<AuthenticatedUser>,
}

impl Cast {
    pub fn user(&self, username: &str) -> anyhow::Result<&AuthenticatedUser> {
        self.acting
            .iter()
            .find(|u| u.username == username)
            .with_context(|| format!("the demo has no user {username}"))
    }
}

/// The demo's organization names and usernames the database already has.
pub async fn present(state: &AppState, people: &People) -> anyhow::Result<Vec<String>> {
    let orgs: Vec<String> = people
        .organizations
        .iter()
        .map(|o| o.name.clone())
        .collect();
    let usernames: Vec<String> = people
        .organizations
        .iter()
        .flat_map(|o| o.users.iter().map(|u| u.username.clone()))
        .collect();
    db::run(&state.pool, move |conn| {
        let mut found = organizations::names_taken(conn, &orgs)?;
        found.extend(users::usernames_taken(conn, &usernames)?);
        Ok::<_, anyhow::Error>(found)
    })
    .await
}

/// Creates every organization and user; `password` for all of them, or one generated each
/// (then to be changed at first login).
pub async fn create(
    state: &AppState,
    people: &People,
    password: Option<&str>,
) -> anyhow::Result<Cast> {
    if let Some(password) = password {
        password_policy::check(password, state.settings.auth.password_min_length)
            .map_err(|m| anyhow::anyhow!("--password 不符合密码要求：{m}"))?;
    }
    let mut planned = Vec::new();
    for org in &people.organizations {
        for user in &org.users {
            Username::parse(&user.username)
                .map_err(|m| anyhow::anyhow!("演示用户名 {} 不可用：{m}", user.username))?;
            user.role
                .allowed_in(org.kind)
                .map_err(|m| anyhow::anyhow!("演示用户 {}：{m}", user.username))?;
            let min_length = state.settings.auth.password_min_length;
            let chosen = password.map_or_else(|| generated_password(min_length), str::to_owned);
            let hash = state
                .hasher
                .hash(SecretString::from(chosen.clone()))
                .await?;
            planned.push((org.name.clone(), user, chosen, hash));
        }
    }
    let must_change = password.is_none();
    let rows: Vec<(String, String, String, String, Option<String>, String)> = planned
        .iter()
        .map(|(org, user, _, hash)| {
            (
                org.clone(),
                user.username.clone(),
                user.display_name.clone(),
                user.role.code().to_owned(),
                Some(format!("{}@{}", user.username, people.email_domain)),
                hash.clone(),
            )
        })
        .collect();
    type DemoOrg = (String, String, String, Option<String>, Option<String>);
    let orgs: Vec<DemoOrg> = people
        .organizations
        .iter()
        .map(|o| {
            (
                o.name.clone(),
                o.full_name.clone(),
                o.kind.code().to_owned(),
                o.district.clone(),
                o.report_prefix.clone(),
            )
        })
        .collect();
    let acting = db::run(&state.pool, move |conn| {
        db::write_transaction(conn, |conn| {
            let now = db::now();
            let mut ids = Vec::new();
            for (name, full_name, kind, district, report_prefix) in &orgs {
                let id = organizations::insert(
                    conn,
                    &organizations::NewOrganization {
                        name,
                        full_name,
                        kind,
                        district: district.as_deref(),
                        city: None,
                        report_prefix: report_prefix.as_deref(),
                        created_at: now,
                        updated_at: now,
                    },
                )?;
                let summary = format!("演示数据：创建机构“{name}”");
                audit::append_global(
                    conn,
                    &audit::global_entry(None, "create", "organization", id, summary, now, None),
                )?;
                ids.push((name.clone(), id));
            }
            let mut acting = Vec::new();
            for (org, username, display_name, role, email, hash) in &rows {
                let organization_id = ids
                    .iter()
                    .find(|(name, _)| name == org)
                    .map(|(_, id)| *id)
                    .with_context(|| format!("organization {org}"))?;
                let id = users::insert(
                    conn,
                    &users::NewUser {
                        organization_id,
                        username,
                        display_name,
                        email: email.as_deref(),
                        role,
                        password_hash: hash,
                        must_change_password: must_change,
                        created_at: now,
                        updated_at: now,
                    },
                )?;
                let summary =
                    format!("演示数据：创建用户 {username}（{role}，机构 {organization_id}）");
                audit::append_global(
                    conn,
                    &audit::global_entry(None, "create", "user", id, summary, now, None),
                )?;
                let (user, org) = users::find(conn, id)?.with_context(|| format!("user {id}"))?;
                acting.push(AuthenticatedUser::of(user, org, String::new())?);
            }
            Ok::<_, anyhow::Error>(acting)
        })
    })
    .await?;
    let members = planned
        .into_iter()
        .map(|(organization, user, password, _)| Member {
            username: user.username.clone(),
            organization,
            role: user.role.chinese_name(),
            password: Some(password),
        })
        .collect();
    Ok(Cast { members, acting })
}

/// The users of a demo loaded before, for the table (their passwords are not known).
pub fn listed(people: &People) -> Vec<Member> {
    people
        .organizations
        .iter()
        .flat_map(|o| {
            o.users.iter().map(|u| Member {
                username: u.username.clone(),
                organization: o.name.clone(),
                role: u.role.chinese_name(),
                password: None,
            })
        })
        .collect()
}

/// Groups of four letters or digits joined by `-`, at least twelve characters and at least
/// `min_length` (the password policy: letters and digits), none easily misread.
fn generated_password(min_length: usize) -> String {
    const LETTERS: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ";
    const DIGITS: &[u8] = b"23456789";
    let pick = |set: &[u8]| set[rand::random_range(0..set.len())] as char;
    let mut out = String::new();
    let mut group = 0;
    while group < 3 || out.chars().count() < min_length {
        if group > 0 {
            out.push('-');
        }
        for _ in 0..4 {
            out.push(pick(if group % 2 == 1 { DIGITS } else { LETTERS }));
        }
        group += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_passwords_meet_the_policy_and_differ() {
        let a = generated_password(10);
        let b = generated_password(10);
        assert!(password_policy::check(&a, 10).is_ok(), "{a}");
        assert_ne!(a, b);
        let long = generated_password(20);
        assert!(password_policy::check(&long, 20).is_ok(), "{long}");
    }
}
