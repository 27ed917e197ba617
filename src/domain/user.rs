use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::organization::OrgKind;

/// A user's one role in their organization (DESIGN.md §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// System administrator; only in the `system` organization.
    Admin,
    /// Acts for the organization and manages its users.
    Manager,
    /// Edits the organization's data.
    Member,
    /// Scores assigned evaluations; only in evaluation agencies.
    Expert,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Manager, Role::Member, Role::Expert];

    pub fn code(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Manager => "manager",
            Role::Member => "member",
            Role::Expert => "expert",
        }
    }

    /// The role as users read it.
    pub fn chinese_name(self) -> &'static str {
        match self {
            Role::Admin => "系统管理员",
            Role::Manager => "负责人",
            Role::Member => "工作人员",
            Role::Expert => "评估专家",
        }
    }

    pub fn from_code(code: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.code() == code)
    }

    /// Whether an organization of `kind` may have a user with this role; the reason when not.
    pub fn allowed_in(self, kind: OrgKind) -> Result<(), &'static str> {
        match (self, kind) {
            (Role::Admin, OrgKind::System) => Ok(()),
            (Role::Admin, _) => Err("系统管理员只能属于系统管理机构"),
            (_, OrgKind::System) => Err("系统管理机构只能有系统管理员"),
            (Role::Expert, OrgKind::EvaluationAgency) => Ok(()),
            (Role::Expert, _) => Err("评估专家只能属于第三方评估机构"),
            (Role::Manager | Role::Member, _) => Ok(()),
        }
    }

    /// Roles a manager may give to users of their own organization.
    pub fn assignable_by_manager(self) -> bool {
        matches!(self, Role::Member | Role::Expert)
    }
}

/// A login name: 3–32 characters of ASCII letters, digits, `.`, `_` and `-`, compared in
/// lower case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> Result<Username, &'static str> {
        let name = raw.trim().to_ascii_lowercase();
        if name.len() < 3 || name.len() > 32 {
            return Err("用户名长度须为 3 到 32 个字符");
        }
        if !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        {
            return Err("用户名只能包含英文字母、数字和 . _ -");
        }
        Ok(Username(name))
    }

    /// The form a login attempt is looked up and counted under, even when it is not valid.
    pub fn normalize_attempt(raw: &str) -> String {
        raw.trim().to_ascii_lowercase().chars().take(64).collect()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_only_in_system_and_expert_only_in_agencies() {
        for kind in OrgKind::ALL {
            assert_eq!(
                Role::Admin.allowed_in(kind).is_ok(),
                kind == OrgKind::System
            );
            assert_eq!(
                Role::Expert.allowed_in(kind).is_ok(),
                kind == OrgKind::EvaluationAgency
            );
            assert_eq!(
                Role::Manager.allowed_in(kind).is_ok(),
                kind != OrgKind::System
            );
            assert_eq!(
                Role::Member.allowed_in(kind).is_ok(),
                kind != OrgKind::System
            );
        }
    }

    #[test]
    fn managers_assign_only_member_and_expert() {
        let assignable: Vec<Role> = Role::ALL
            .into_iter()
            .filter(|r| r.assignable_by_manager())
            .collect();
        assert_eq!(assignable, vec![Role::Member, Role::Expert]);
    }

    #[test]
    fn usernames_are_normalized_and_checked() {
        assert_eq!(
            Username::parse(" Zhang.San ").map(|u| u.0),
            Ok("zhang.san".into())
        );
        assert!(Username::parse("ab").is_err());
        assert!(Username::parse("张三").is_err());
        assert!(Username::parse("a b c").is_err());
        assert!(Username::parse(&"a".repeat(33)).is_err());
        assert!(Username::parse(&"a".repeat(32)).is_ok());
    }
}
