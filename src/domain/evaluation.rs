//! Rules of an evaluation's set-up: its kind, the stages with deadlines, the order of dates, and
//! which organization stands for each party of its scheme.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::organization::OrgKind;
use super::scheme::Scheme;
use super::workflow::State;

/// The party code of the station's operator: it takes part in every evaluation, scoring nothing.
pub use super::scheme::STATION_PARTY;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// 中期评估
    MidTerm,
    /// 末期评估
    FinalTerm,
}

impl Kind {
    pub fn code(self) -> &'static str {
        match self {
            Kind::MidTerm => "mid_term",
            Kind::FinalTerm => "final_term",
        }
    }

    pub fn from_code(code: &str) -> Option<Kind> {
        [Kind::MidTerm, Kind::FinalTerm]
            .into_iter()
            .find(|k| k.code() == code)
    }

    pub fn chinese_name(self) -> &'static str {
        match self {
            Kind::MidTerm => "中期评估",
            Kind::FinalTerm => "末期评估",
        }
    }
}

/// The stages that have a deadline, in order.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    SelfAssessment,
    OnsiteScoring,
    DraftFeedback,
    BureauReview,
}

impl Stage {
    pub const ALL: [Stage; 4] = [
        Stage::SelfAssessment,
        Stage::OnsiteScoring,
        Stage::DraftFeedback,
        Stage::BureauReview,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Stage::SelfAssessment => "self_assessment",
            Stage::OnsiteScoring => "onsite_scoring",
            Stage::DraftFeedback => "draft_feedback",
            Stage::BureauReview => "bureau_review",
        }
    }

    pub fn from_code(code: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|s| s.code() == code)
    }

    /// The stage whose deadline is current in a state, if any.
    pub fn of(state: State) -> Option<Stage> {
        match state {
            State::SelfAssessment => Some(Stage::SelfAssessment),
            State::OnsiteScoring => Some(Stage::OnsiteScoring),
            State::DraftFeedback => Some(Stage::DraftFeedback),
            State::BureauReview => Some(Stage::BureauReview),
            State::Setup | State::Final | State::Cancelled => None,
        }
    }
}

/// The four stage deadlines of the create body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Deadlines {
    pub self_assessment: NaiveDate,
    pub onsite_scoring: NaiveDate,
    pub draft_feedback: NaiveDate,
    pub bureau_review: NaiveDate,
}

impl Deadlines {
    pub fn get(&self, stage: Stage) -> NaiveDate {
        match stage {
            Stage::SelfAssessment => self.self_assessment,
            Stage::OnsiteScoring => self.onsite_scoring,
            Stage::DraftFeedback => self.draft_feedback,
            Stage::BureauReview => self.bureau_review,
        }
    }

    /// Stages whose deadline comes before the previous stage's: (field, message).
    pub fn out_of_order(&self) -> Vec<(String, String)> {
        Stage::ALL
            .windows(2)
            .filter(|pair| self.get(pair[1]) < self.get(pair[0]))
            .map(|pair| {
                (
                    format!("deadlines.{}", pair[1].code()),
                    format!("不能早于上一阶段的截止日期 {}", self.get(pair[0])),
                )
            })
            .collect()
    }
}

/// Dates of an evaluation: start ≤ end ≤ on-site date, inside the agreement's period.
pub fn date_problems(
    start: NaiveDate,
    end: NaiveDate,
    onsite: NaiveDate,
    agreement: (NaiveDate, NaiveDate),
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if end < start {
        out.push((
            "assessment_end".into(),
            "考核期结束日期不能早于开始日期".into(),
        ));
    }
    if onsite < end {
        out.push((
            "onsite_date".into(),
            "现场评估日期不能早于考核期结束日期".into(),
        ));
    }
    if start < agreement.0 || start > agreement.1 {
        out.push((
            "assessment_start".into(),
            format!(
                "考核期须在服务协议期 {} 至 {} 之内",
                agreement.0, agreement.1
            ),
        ));
    }
    if end > agreement.1 || end < agreement.0 {
        out.push((
            "assessment_end".into(),
            format!(
                "考核期须在服务协议期 {} 至 {} 之内",
                agreement.0, agreement.1
            ),
        ));
    }
    out
}

/// The organizations an evaluation is set up with, and their kinds.
pub struct PartyOrgs<'a> {
    pub supervisor: i64,
    pub purchaser: i64,
    pub agency: i64,
    pub center: i64,
    /// `party_orgs` of the body: party code → organization id.
    pub extra: &'a BTreeMap<String, i64>,
    pub kind_of: &'a dyn Fn(i64) -> Option<OrgKind>,
}

/// Each scheme party's code and organization (None: still to be named).
pub type ResolvedParties = Vec<(String, Option<i64>)>;

/// (field, message) pairs, in Chinese.
pub type Problems = Vec<(String, String)>;

/// The organization of each scheme party (None: still to be named), or the problems.
/// Bureau, street office, agency and center parties take the station's and the body's
/// organizations unless `party_orgs` names another; other parties need `party_orgs`.
pub fn resolve_parties(scheme: &Scheme, orgs: &PartyOrgs) -> Result<ResolvedParties, Problems> {
    let mut problems = Vec::new();
    for code in orgs.extra.keys() {
        if !scheme.parties.iter().any(|p| &p.code == code) {
            problems.push((
                format!("party_orgs.{code}"),
                "评估方案中没有这个评估方".to_owned(),
            ));
        }
    }
    let mut resolved = Vec::new();
    for party in &scheme.parties {
        let default = match party.org_kind {
            OrgKind::CivilAffairsBureau => Some(orgs.supervisor),
            OrgKind::StreetOffice => Some(orgs.purchaser),
            OrgKind::EvaluationAgency => Some(orgs.agency),
            OrgKind::SupervisionCenter => Some(orgs.center),
            _ => None,
        };
        let org = orgs.extra.get(&party.code).copied().or(default);
        if let Some(org) = org {
            match (orgs.kind_of)(org) {
                None => problems.push((field_of(party, orgs), "机构不存在".to_owned())),
                Some(kind) if kind != party.org_kind => problems.push((
                    field_of(party, orgs),
                    format!("“{}”须由{}担任", party.name, party.org_kind.chinese_name()),
                )),
                Some(_) => {}
            }
        }
        resolved.push((party.code.clone(), org));
    }
    if problems.is_empty() {
        Ok(resolved)
    } else {
        Err(problems)
    }
}

fn field_of(party: &super::scheme::SchemeParty, orgs: &PartyOrgs) -> String {
    if orgs.extra.contains_key(&party.code) {
        return format!("party_orgs.{}", party.code);
    }
    match party.org_kind {
        OrgKind::EvaluationAgency => "agency_org_id".into(),
        OrgKind::SupervisionCenter => "center_org_id".into(),
        _ => format!("party_orgs.{}", party.code),
    }
}

/// Who is sent a draft (the first and every revised one): the organizations standing for the
/// bureau, the street office, the station and the supervision center among the evaluation's
/// parties, given as (party code, organization kind, organization id).
pub fn draft_readers<'a>(
    parties: impl IntoIterator<Item = (&'a str, Option<OrgKind>, i64)>,
    scheme: &Scheme,
) -> Vec<i64> {
    let readers = [
        OrgKind::CivilAffairsBureau,
        OrgKind::StreetOffice,
        OrgKind::Operator,
        OrgKind::SupervisionCenter,
    ];
    let mut orgs: Vec<i64> = parties
        .into_iter()
        .filter(|(code, kind, _)| {
            (*code == STATION_PARTY || scheme.parties.iter().any(|p| p.code == *code))
                && kind.is_some_and(|k| readers.contains(&k))
        })
        .map(|(_, _, org)| org)
        .collect();
    orgs.sort_unstable();
    orgs.dedup();
    orgs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> NaiveDate {
        text.parse().expect("date")
    }

    #[test]
    fn deadlines_must_not_go_backwards() {
        let deadlines = Deadlines {
            self_assessment: d("2025-05-01"),
            onsite_scoring: d("2025-04-30"),
            draft_feedback: d("2025-06-01"),
            bureau_review: d("2025-06-01"),
        };
        let problems = deadlines.out_of_order();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].0, "deadlines.onsite_scoring");
    }

    #[test]
    fn dates_follow_each_other_inside_the_agreement() {
        let agreement = (d("2024-12-11"), d("2025-12-10"));
        assert!(
            date_problems(d("2024-12-11"), d("2025-04-30"), d("2025-05-13"), agreement).is_empty()
        );
        let fields: Vec<String> =
            date_problems(d("2024-12-01"), d("2025-04-30"), d("2025-04-29"), agreement)
                .into_iter()
                .map(|p| p.0)
                .collect();
        assert_eq!(fields, vec!["onsite_date", "assessment_start"]);
        let fields: Vec<String> =
            date_problems(d("2025-05-01"), d("2025-04-30"), d("2025-05-13"), agreement)
                .into_iter()
                .map(|p| p.0)
                .collect();
        assert_eq!(fields, vec!["assessment_end"]);
    }

    #[test]
    fn parties_take_the_station_and_body_organizations_and_extra_ones_by_code() {
        let scheme: Scheme =
            serde_json::from_str(include_str!("../../config/schemes/guangzhou-2019.json"))
                .expect("scheme");
        let kinds = |id: i64| match id {
            1 => Some(OrgKind::CivilAffairsBureau),
            2 => Some(OrgKind::StreetOffice),
            3 => Some(OrgKind::EvaluationAgency),
            4 => Some(OrgKind::SupervisionCenter),
            5 => Some(OrgKind::Operator),
            _ => None,
        };
        let none = BTreeMap::new();
        let orgs = PartyOrgs {
            supervisor: 1,
            purchaser: 2,
            agency: 3,
            center: 4,
            extra: &none,
            kind_of: &kinds,
        };
        let resolved = resolve_parties(&scheme, &orgs).expect("resolves");
        assert_eq!(
            resolved,
            vec![
                ("professional".to_owned(), Some(3)),
                ("purchaser".to_owned(), Some(2)),
                ("supervisor".to_owned(), Some(1)),
                ("financial".to_owned(), Some(1)),
            ]
        );
        let wrong: BTreeMap<String, i64> =
            [("financial".to_owned(), 5), ("nobody".to_owned(), 1)].into();
        let orgs = PartyOrgs {
            extra: &wrong,
            ..orgs
        };
        let problems = resolve_parties(&scheme, &orgs).expect_err("refused");
        let fields: Vec<&str> = problems.iter().map(|p| p.0.as_str()).collect();
        assert_eq!(fields, vec!["party_orgs.nobody", "party_orgs.financial"]);
    }
}
