//! Named authorization checks, called at the top of each handler (after loading the resource).

use crate::app::AppError;
use crate::auth::extractor::AuthenticatedUser;
use crate::domain::organization::OrgKind;
use crate::domain::user::Role;

pub fn ensure_admin(user: &AuthenticatedUser) -> Result<(), AppError> {
    if user.is_admin() {
        Ok(())
    } else {
        Err(AppError::forbidden("只有系统管理员可以执行此操作"))
    }
}

/// Admins see every user; a manager sees the users of their own organization.
pub fn can_view_user(actor: &AuthenticatedUser, target_org_id: i64) -> bool {
    actor.is_admin() || (actor.role == Role::Manager && actor.organization.id == target_org_id)
}

/// May list users at all: admins (all) and managers (their own organization).
pub fn ensure_can_list_users(actor: &AuthenticatedUser) -> Result<(), AppError> {
    match actor.role {
        Role::Admin | Role::Manager => Ok(()),
        _ => Err(AppError::forbidden(
            "只有系统管理员和本机构负责人可以查看用户",
        )),
    }
}

/// May create a user with `role` in organization `org_id` (its kind already checked against
/// the role): admins anywhere; a manager only members and experts of their own organization.
pub fn ensure_can_create_user(
    actor: &AuthenticatedUser,
    org_id: i64,
    role: Role,
) -> Result<(), AppError> {
    if actor.is_admin() {
        return Ok(());
    }
    if actor.role != Role::Manager {
        return Err(AppError::forbidden(
            "只有系统管理员和本机构负责人可以创建用户",
        ));
    }
    if actor.organization.id != org_id {
        return Err(AppError::forbidden("机构负责人只能为本机构创建用户"));
    }
    if !role.assignable_by_manager() {
        return Err(AppError::forbidden("机构负责人只能创建普通成员或评估专家"));
    }
    Ok(())
}

/// May change a user it can see (`can_view_user`): admins any user but never disable or
/// demote themselves; a manager only members and experts, to members and experts.
pub fn ensure_can_change_user(
    actor: &AuthenticatedUser,
    target_id: i64,
    target_role: Role,
    new_role: Option<Role>,
    disabling: bool,
) -> Result<(), AppError> {
    if actor.is_admin() {
        if target_id == actor.id && (disabling || new_role.is_some_and(|r| r != Role::Admin)) {
            return Err(AppError::forbidden(
                "不能停用自己的账号或取消自己的管理员角色",
            ));
        }
        return Ok(());
    }
    if actor.role != Role::Manager {
        return Err(AppError::forbidden(
            "只有系统管理员和本机构负责人可以修改用户",
        ));
    }
    if !target_role.assignable_by_manager() {
        return Err(AppError::forbidden("机构负责人只能修改普通成员和评估专家"));
    }
    if new_role.is_some_and(|r| !r.assignable_by_manager()) {
        return Err(AppError::forbidden(
            "机构负责人只能设置普通成员或评估专家角色",
        ));
    }
    Ok(())
}

/// The city a municipal bureau oversees: Some(None) for one without a city (it oversees every
/// district: a single-city deployment); None for any other caller.
fn municipal_city(actor: &AuthenticatedUser) -> Option<Option<&str>> {
    (actor.organization.kind == OrgKind::MunicipalBureau && !actor.is_admin())
        .then_some(actor.organization.city.as_deref())
}

/// Which stations a user sees: admins all; a municipal bureau those its city's district
/// bureaus supervise (all without a city); experts none (they reach evaluations they are
/// assigned to); others those their organization takes part in.
pub fn station_scope(actor: &AuthenticatedUser) -> crate::db::stations::Scope {
    use crate::db::stations::Scope;
    if let Some(city) = municipal_city(actor) {
        city.map_or(Scope::All, |c| Scope::City(c.to_owned()))
    } else if actor.is_admin() {
        Scope::All
    } else if actor.role == Role::Expert {
        Scope::Nothing
    } else {
        Scope::Organization(actor.organization.id)
    }
}

/// Whether a user sees a station (reads the database for its evaluations' parties).
pub fn can_view_station(
    conn: &mut crate::db::DbConnection,
    actor: &AuthenticatedUser,
    station: &crate::db::stations::StationRow,
) -> diesel::QueryResult<bool> {
    use crate::db::stations::Scope;
    match station_scope(actor) {
        Scope::All => Ok(true),
        Scope::Nothing => Ok(false),
        Scope::City(city) => Ok(
            crate::db::organizations::find(conn, station.supervisor_org_id)?
                .is_some_and(|bureau| in_city(&bureau, &city)),
        ),
        Scope::Organization(org) => crate::db::stations::org_takes_part(conn, station, org),
    }
}

/// Whether an organization is one of the city's district bureaus.
fn in_city(org: &crate::db::organizations::OrganizationRow, city: &str) -> bool {
    org.kind == OrgKind::CivilAffairsBureau.code() && org.city.as_deref() == Some(city)
}

/// Which evaluations a user sees: a municipal bureau those its city's district bureaus take
/// part in (all without a city); experts only those whose panel they are on; others as for
/// stations.
pub fn evaluation_scope(actor: &AuthenticatedUser) -> crate::db::evaluations::Scope {
    use crate::db::evaluations::Scope;
    if let Some(city) = municipal_city(actor) {
        city.map_or(Scope::All, |c| Scope::City(c.to_owned()))
    } else if actor.is_admin() {
        Scope::All
    } else if actor.role == Role::Expert {
        Scope::Expert(actor.id)
    } else {
        Scope::Organization(actor.organization.id)
    }
}

pub fn can_view_evaluation(
    actor: &AuthenticatedUser,
    detail: &crate::db::evaluations::EvaluationDetail,
) -> bool {
    use crate::db::evaluations::Scope;
    match evaluation_scope(actor) {
        Scope::All => true,
        Scope::Nothing => false,
        Scope::City(city) => detail.parties.iter().any(|(_, o)| in_city(o, &city)),
        Scope::Organization(org) => detail.parties.iter().any(|(_, o)| o.id == org),
        Scope::Expert(user) => detail.panel.contains(&user),
    }
}

/// Stations and agreements are set up by admins or by the manager of the supervising bureau.
pub fn ensure_can_set_up_station(
    actor: &AuthenticatedUser,
    supervisor_org_id: i64,
) -> Result<(), AppError> {
    if actor.is_admin()
        || (actor.role == Role::Manager
            && actor.organization.kind == OrgKind::CivilAffairsBureau
            && actor.organization.id == supervisor_org_id)
    {
        Ok(())
    } else {
        Err(AppError::forbidden(
            "只有系统管理员或负责监督该社工站的区民政局负责人可以登记社工站和服务协议",
        ))
    }
}

/// What `actor` may onboard from a workbook: admins everything; a district bureau's manager
/// its district's street offices, operators, residents' committees, the stations the bureau
/// supervises, and their users.
pub fn onboarding_scope(
    actor: &AuthenticatedUser,
) -> Result<crate::domain::onboarding::Scope, AppError> {
    use crate::domain::onboarding::Scope;
    if actor.is_admin() {
        return Ok(Scope::Everything);
    }
    match (
        &actor.role,
        actor.organization.kind,
        &actor.organization.district,
    ) {
        (Role::Manager, OrgKind::CivilAffairsBureau, Some(district)) => Ok(Scope::District {
            district: district.clone(),
            bureau_id: actor.organization.id,
        }),
        _ => Err(AppError::forbidden(
            "只有系统管理员和区民政局负责人可以批量导入",
        )),
    }
}
