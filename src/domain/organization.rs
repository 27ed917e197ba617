use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The kinds of organization of DESIGN.md §1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrgKind {
    /// 区民政局 — the supervisor party.
    CivilAffairsBureau,
    /// 街道办事处 / 镇人民政府 — the purchaser party.
    StreetOffice,
    /// 督导中心 — the supervision center party.
    SupervisionCenter,
    /// 第三方评估机构 — the third party; its experts score.
    EvaluationAgency,
    /// 承办机构 — runs the evaluated station.
    Operator,
    /// 村(居)委会 — a party only where a scheme has one.
    ResidentsCommittee,
    /// 市民政局 — reads every evaluation, changes nothing.
    MunicipalBureau,
    /// The deployment's own organization (system administrators).
    System,
}

impl OrgKind {
    pub const ALL: [OrgKind; 8] = [
        OrgKind::CivilAffairsBureau,
        OrgKind::StreetOffice,
        OrgKind::SupervisionCenter,
        OrgKind::EvaluationAgency,
        OrgKind::Operator,
        OrgKind::ResidentsCommittee,
        OrgKind::MunicipalBureau,
        OrgKind::System,
    ];

    pub fn code(self) -> &'static str {
        match self {
            OrgKind::CivilAffairsBureau => "civil_affairs_bureau",
            OrgKind::StreetOffice => "street_office",
            OrgKind::SupervisionCenter => "supervision_center",
            OrgKind::EvaluationAgency => "evaluation_agency",
            OrgKind::Operator => "operator",
            OrgKind::ResidentsCommittee => "residents_committee",
            OrgKind::MunicipalBureau => "municipal_bureau",
            OrgKind::System => "system",
        }
    }

    pub fn from_code(code: &str) -> Option<OrgKind> {
        OrgKind::ALL.into_iter().find(|k| k.code() == code)
    }

    pub fn chinese_name(self) -> &'static str {
        match self {
            OrgKind::CivilAffairsBureau => "区民政局",
            OrgKind::StreetOffice => "街道办事处",
            OrgKind::SupervisionCenter => "督导中心",
            OrgKind::EvaluationAgency => "第三方评估机构",
            OrgKind::Operator => "承办机构",
            OrgKind::ResidentsCommittee => "村(居)委会",
            OrgKind::MunicipalBureau => "市民政局",
            OrgKind::System => "系统管理",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_match_serde() {
        for kind in OrgKind::ALL {
            assert_eq!(OrgKind::from_code(kind.code()), Some(kind));
            let json = serde_json::to_string(&kind).expect("serializes");
            assert_eq!(json, format!("\"{}\"", kind.code()));
        }
        assert_eq!(OrgKind::from_code("bureau"), None);
    }
}
