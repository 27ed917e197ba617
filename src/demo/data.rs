//! The demo's data: the files under demo/, embedded in the binary so that `pinggu demo` runs from
//! anywhere. Each evaluation's file holds its station, agreement, annexes, scores and feedback;
//! the comments of the four parties are in a file of their own, taken from the report's text.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use crate::domain::organization::OrgKind;
use crate::domain::user::Role;

const ORGANIZATIONS: &str = include_str!("../../demo/organizations.json");
const XICUN: &str = include_str!("../../demo/xicun.json");
const XICUN_COMMENTS: &str = include_str!("../../demo/xicun-comments.json");
const RUIBAO: &str = include_str!("../../demo/ruibao.json");
const RUIBAO_COMMENTS: &str = include_str!("../../demo/ruibao-comments.json");

#[derive(Debug, Deserialize)]
pub struct People {
    pub email_domain: String,
    pub organizations: Vec<DemoOrganization>,
}

#[derive(Debug, Deserialize)]
pub struct DemoOrganization {
    pub name: String,
    /// 全称, as the reports print it.
    pub full_name: String,
    pub kind: OrgKind,
    /// An agency's 报告编号 prefix.
    #[serde(default)]
    pub report_prefix: Option<String>,
    pub district: Option<String>,
    pub users: Vec<DemoUser>,
}

#[derive(Debug, Deserialize)]
pub struct DemoUser {
    pub username: String,
    pub display_name: String,
    pub role: Role,
}

/// One reference evaluation, walked by its cast from set-up to where the demo leaves it.
#[derive(Debug, Deserialize)]
pub struct Plan {
    /// The station as POST /stations takes it, without the organizations' ids.
    pub station: Value,
    /// As POST /stations/{id}/agreements takes it.
    pub agreement: Value,
    pub evaluation: EvaluationPlan,
    pub indicators: Indicators,
    pub months: Vec<String>,
    pub roster: Vec<RosterLine>,
    pub narrative: String,
    pub scores: Scores,
    pub feedback: Vec<PlannedFeedback>,
    /// The managers' usernames by role in the evaluation: bureau, street, station, agency,
    /// center (each organization's member is `{manager}-staff`, its experts
    /// `{manager}-expert-{n}`).
    pub cast: BTreeMap<String, String>,
    /// Walk on to approval (else stop in draft_feedback).
    pub finish: bool,
    /// Said with issue_draft, on the timeline.
    pub draft_reason: Option<String>,
    /// The satisfaction survey, where the reference reports one.
    #[serde(default)]
    pub survey: Option<SurveyPlan>,
    #[serde(skip)]
    pub comments: Value,
}

/// The station lists `clients` service users (made up: numbered, with masked names, across the
/// station's communities); the agency draws with `seed` and records one reached call per
/// `answers` (question code → option), the first clients of the draw.
#[derive(Debug, Deserialize)]
pub struct SurveyPlan {
    pub clients: usize,
    pub seed: String,
    pub answers: Vec<Value>,
}

#[derive(Debug, Deserialize)]
pub struct EvaluationPlan {
    pub kind: String,
    /// The scheme, when not guangzhou-2023 (the report's outline follows it).
    #[serde(default)]
    pub scheme_code: Option<String>,
    pub assessment_start: String,
    pub assessment_end: String,
    pub assessment_months: Option<String>,
    pub onsite_date: String,
    /// Stage deadlines as dates (those of the report, all past).
    pub deadlines: BTreeMap<String, String>,
    /// Stage deadlines still ahead: days after the day the demo is loaded.
    pub days_from_load: BTreeMap<String, i64>,
}

#[derive(Debug, Deserialize)]
pub struct Indicators {
    /// Per zone, in the station's zone order: [target, completed].
    pub zones: Vec<ZoneIndicator>,
    pub station: Vec<StationIndicator>,
}

#[derive(Debug, Deserialize)]
pub struct ZoneIndicator {
    pub indicator: String,
    pub zones: Vec<[String; 2]>,
}

#[derive(Debug, Deserialize)]
pub struct StationIndicator {
    pub indicator: String,
    pub target: String,
    pub completed: String,
}

/// A line of annex 2: on_post per month of `Plan::months`.
#[derive(Debug, Deserialize)]
pub struct RosterLine {
    pub name: String,
    pub position: String,
    pub qualification: String,
    /// 合同期限 as annex 2 prints it.
    pub contract_term: Option<String>,
    /// The zone's name, where the worker serves one.
    pub zone: Option<String>,
    pub over_two_years: bool,
    pub on_post: Vec<String>,
    pub note: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Scores {
    pub supervisor: String,
    pub purchaser: String,
    pub center: String,
    /// Each expert's sheet total; their mean is the third party's score.
    pub experts: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub struct PlannedFeedback {
    /// bureau, street or station (the manager of that cast member's organization).
    pub by: String,
    pub no_objection: bool,
    pub remarks: Option<String>,
    pub objections: Vec<PlannedObjection>,
}

#[derive(Debug, Deserialize)]
pub struct PlannedObjection {
    pub section: String,
    pub text: String,
    /// The agency's answer.
    pub decision: String,
    pub reply: String,
}

pub fn people() -> anyhow::Result<People> {
    Ok(serde_json::from_str(ORGANIZATIONS)?)
}

/// 西村街 (reference 000), walked to its final report.
pub fn xicun() -> anyhow::Result<Plan> {
    plan(XICUN, XICUN_COMMENTS)
}

/// 瑞宝街 (reference 001), left waiting for feedback on its draft.
pub fn ruibao() -> anyhow::Result<Plan> {
    plan(RUIBAO, RUIBAO_COMMENTS)
}

fn plan(text: &str, comments: &str) -> anyhow::Result<Plan> {
    let mut plan: Plan = serde_json::from_str(text)?;
    let comments: Value = serde_json::from_str(comments)?;
    plan.comments = comments["components"].clone();
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_files_read_and_agree_with_each_other() {
        let people = people().expect("organizations.json");
        let usernames: Vec<&str> = people
            .organizations
            .iter()
            .flat_map(|o| o.users.iter().map(|u| u.username.as_str()))
            .collect();
        assert!(!usernames.contains(&"admin"), "admin is the operator's");
        for plan in [xicun().expect("xicun"), ruibao().expect("ruibao")] {
            let zones = plan.station["zones"].as_array().map(Vec::len);
            for row in &plan.indicators.zones {
                assert_eq!(Some(row.zones.len()), zones, "{}", row.indicator);
            }
            for line in &plan.roster {
                assert_eq!(line.on_post.len(), plan.months.len(), "{}", line.name);
            }
            for manager in plan.cast.values() {
                assert!(usernames.contains(&manager.as_str()), "{manager}");
            }
            assert_eq!(plan.scores.experts.len(), 3);
            assert!(plan.comments["third_party"]["conclusion"].is_string());
        }
    }
}
