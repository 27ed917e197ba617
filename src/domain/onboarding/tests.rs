//! The plan's rules, without a database.

use super::*;

fn org(row: u32, name: &str, full_name: &str, kind: OrgKind, district: &str) -> OrganizationRow {
    OrganizationRow {
        row,
        name: name.into(),
        full_name: full_name.into(),
        kind,
        district: Some(district.into()).filter(|d: &String| !d.is_empty()),
    }
}

fn bureau() -> ExistingOrganization {
    ExistingOrganization {
        id: 7,
        name: "荔湾区民政局".into(),
        full_name: "广州市荔湾区民政局".into(),
        kind: OrgKind::CivilAffairsBureau,
        district: Some("荔湾区".into()),
    }
}

fn liwan() -> Scope {
    Scope::District {
        district: "荔湾区".into(),
        bureau_id: 7,
    }
}

#[test]
fn a_row_equal_to_its_record_leaves_it_and_a_different_one_updates_it() {
    let existing = Existing {
        organizations: vec![bureau()],
        ..Existing::default()
    };
    let same = Rows {
        organizations: vec![org(
            1,
            "荔湾区民政局",
            "广州市荔湾区民政局",
            OrgKind::CivilAffairsBureau,
            "荔湾区",
        )],
        ..Rows::default()
    };
    let planned = plan(&same, &existing, &Scope::Everything).unwrap();
    assert_eq!(planned.organizations[0].action, Action::Unchanged(7));
    assert!(planned.changes_nothing());
    let renamed = Rows {
        organizations: vec![org(
            1,
            "荔湾区民政局",
            "广州市荔湾区民政局（新）",
            OrgKind::CivilAffairsBureau,
            "荔湾区",
        )],
        ..Rows::default()
    };
    let planned = plan(&renamed, &existing, &Scope::Everything).unwrap();
    assert_eq!(planned.organizations[0].action, Action::Update(7));
    assert_eq!(planned.organizations[0].changed, ["全称"]);
    assert_eq!(planned.counts()[1].organizations, 1);
}

#[test]
fn references_go_by_short_or_full_name_to_records_and_to_rows() {
    let rows = Rows {
        organizations: vec![
            org(
                1,
                "西村街道办事处",
                "广州市荔湾区西村街道办事处",
                OrgKind::StreetOffice,
                "荔湾区",
            ),
            org(
                2,
                "逢源人家",
                "广州市荔湾区逢源人家服务中心",
                OrgKind::Operator,
                "荔湾区",
            ),
        ],
        stations: vec![StationRow {
            row: 1,
            name: "西村街社工服务站".into(),
            district: "荔湾区".into(),
            street: "西村街".into(),
            address: None,
            operator: "广州市荔湾区逢源人家服务中心".into(),
            purchaser: "西村街道办事处".into(),
            supervisor: "广州市荔湾区民政局".into(),
        }],
        zones: vec![ZoneRow {
            row: 1,
            station: "西村街社工服务站".into(),
            district: "荔湾区".into(),
            zone: "第一片区".into(),
            communities: vec!["西湾东社区".into()],
        }],
        ..Rows::default()
    };
    let existing = Existing {
        organizations: vec![bureau()],
        ..Existing::default()
    };
    let planned = plan(&rows, &existing, &liwan()).unwrap();
    assert_eq!(
        planned.stations[0].refs,
        StationRefs {
            operator: Ref::New(1),
            purchaser: Ref::New(0),
            supervisor: Ref::Existing(7),
        }
    );
    assert_eq!(planned.zones[0].refs, Ref::New(0));
}

#[test]
fn a_district_manager_may_not_touch_another_district_even_without_a_change() {
    let yuexiu = ExistingOrganization {
        id: 8,
        name: "北京街道办事处".into(),
        full_name: "北京街道办事处".into(),
        kind: OrgKind::StreetOffice,
        district: Some("越秀区".into()),
    };
    let existing = Existing {
        organizations: vec![bureau(), yuexiu],
        ..Existing::default()
    };
    let rows = Rows {
        organizations: vec![
            org(
                1,
                "北京街道办事处",
                "北京街道办事处",
                OrgKind::StreetOffice,
                "越秀区",
            ),
            org(
                2,
                "荔湾区民政局",
                "广州市荔湾区民政局",
                OrgKind::CivilAffairsBureau,
                "荔湾区",
            ),
            org(
                3,
                "海龙街道办事处",
                "海龙街道办事处",
                OrgKind::StreetOffice,
                "荔湾区",
            ),
            org(
                4,
                "海龙街道办事处",
                "海龙街道办事处",
                OrgKind::StreetOffice,
                "荔湾区",
            ),
        ],
        ..Rows::default()
    };
    let problems = plan(&rows, &existing, &liwan()).unwrap_err();
    let at: Vec<(u32, u32)> = problems.iter().map(|p| (p.row, p.col)).collect();
    // 所在区 of row 1, 类型 of row 2, 名称 of the duplicate row 4.
    assert_eq!(at, [(1, 3), (2, 2), (4, 0)], "{problems:?}");
    assert!(
        problems[2].reason.contains("第 4 行") || problems[2].reason.contains("第 4"),
        "{problems:?}"
    );
}

#[test]
fn kinds_and_roles_are_read_by_their_chinese_names_or_codes() {
    assert_eq!(
        kind_named("村（居）委会"),
        Some(OrgKind::ResidentsCommittee)
    );
    assert_eq!(kind_named("operator"), Some(OrgKind::Operator));
    assert_eq!(kind_named("系统管理"), None);
    assert_eq!(role_named("评估专家"), Some(Role::Expert));
    assert_eq!(role_named("系统管理员"), None);
    assert_eq!(
        split_communities("甲社区、乙社区，丙社区、"),
        ["甲社区", "乙社区", "丙社区"]
    );
}
