//! A party's component (分项评分): its comments, what may be written into it, and who may see it
//! when (DESIGN.md §3).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::indicators::Zone;
use super::points::Points;
use super::scheme::{Scheme, SchemeParty};

/// 值得肯定的地方: tied to an outline section of the scheme and, for the third party, a zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Strength {
    pub section: Option<String>,
    pub zone_id: Option<i64>,
    #[validate(length(min = 1, max = 5000, message = "请填写内容（最多 5000 字）"))]
    pub text: String,
}

/// 需要关注的地方, with an optional suggestion (建议).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Concern {
    pub section: Option<String>,
    pub zone_id: Option<i64>,
    #[validate(length(min = 1, max = 5000, message = "请填写内容（最多 5000 字）"))]
    pub text: String,
    #[validate(length(max = 5000, message = "建议最多 5000 字"))]
    pub suggestion: Option<String>,
}

/// (field, reason) for each comment tied to a section or zone that does not exist, and for a
/// raw score outside 0…native_max.
pub fn problems(
    scheme: &Scheme,
    party: &SchemeParty,
    third_party: bool,
    zones: &[Zone],
    raw: Option<Points>,
    strengths: &[Strength],
    concerns: &[Concern],
) -> Vec<(String, String)> {
    let mut found = Vec::new();
    if let Some(raw) = raw
        && raw > party.native_max
    {
        found.push((
            "raw_score".to_owned(),
            format!("不能超过{}的满分 {}", party.name, party.native_max),
        ));
    }
    let places = strengths
        .iter()
        .map(|s| ("strengths", s.section.as_deref(), s.zone_id))
        .chain(
            concerns
                .iter()
                .map(|c| ("concerns", c.section.as_deref(), c.zone_id)),
        );
    let mut index = std::collections::HashMap::new();
    for (list, section, zone) in places {
        let i = index.entry(list).or_insert(0);
        if let Some(section) = section
            && !scheme.outline.iter().any(|o| o.code == section)
        {
            found.push((
                format!("{list}[{i}].section"),
                format!("评估方案的报告大纲中没有“{section}”"),
            ));
        }
        match zone {
            Some(_) if !third_party => found.push((
                format!("{list}[{i}].zone_id"),
                "只有第三方评估机构的意见可以按片区填写".to_owned(),
            )),
            Some(zone) if !zones.iter().any(|z| z.id == zone) => {
                found.push((
                    format!("{list}[{i}].zone_id"),
                    "须为本社工站的片区".to_owned(),
                ));
            }
            _ => {}
        }
        *i += 1;
    }
    found
}

/// Who is looking at a component.
#[derive(Debug, Clone)]
pub struct Viewer<'a> {
    /// The scheme parties the viewer's organization stands for (a bureau may be both the
    /// supervisor and a gate).
    pub parties: Vec<&'a str>,
    /// The agency's manager, the bureau and admins see submitted components before the draft.
    pub sees_submitted_early: bool,
}

/// May the viewer see a component's values? Its own party always; before issue_draft the
/// agency's manager, the bureau and admins see submitted ones; from issue_draft on every party
/// sees every submitted component.
pub fn may_see(viewer: &Viewer, party: &str, submitted: bool, draft_issued: bool) -> bool {
    viewer.parties.contains(&party) || (submitted && (draft_issued || viewer.sees_submitted_early))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::indicators::tests::{guangzhou_2023, p, zones};

    fn strength(section: Option<&str>, zone_id: Option<i64>) -> Strength {
        Strength {
            section: section.map(str::to_owned),
            zone_id,
            text: "有亮点".into(),
        }
    }

    #[test]
    fn sections_zones_and_the_maximum_are_checked() {
        let scheme = guangzhou_2023();
        let party = |code: &str| {
            scheme
                .parties
                .iter()
                .find(|p| p.code == code)
                .expect("party")
        };
        let outline = scheme.outline[0].code.clone();
        let fields = |party: &SchemeParty, third: bool, raw: &str, strengths: Vec<Strength>| {
            problems(
                &scheme,
                party,
                third,
                &zones(),
                Some(p(raw)),
                &strengths,
                &[],
            )
            .into_iter()
            .map(|(field, _)| field)
            .collect::<Vec<_>>()
        };
        let ok = vec![strength(Some(&outline), None)];
        assert!(fields(party("purchaser"), false, "20.00", ok).is_empty());
        assert_eq!(
            fields(party("purchaser"), false, "20.01", vec![]),
            ["raw_score"]
        );
        let bad = vec![strength(Some("nowhere"), None), strength(None, Some(1))];
        assert_eq!(
            fields(party("supervisor"), false, "8.30", bad),
            ["strengths[0].section", "strengths[1].zone_id"]
        );
        let zoned = vec![strength(None, Some(2)), strength(None, Some(99))];
        assert_eq!(
            fields(party("third_party"), true, "0", zoned),
            ["strengths[1].zone_id"]
        );
    }

    #[test]
    fn before_the_draft_parties_see_their_own_and_the_organizers_see_submitted_ones() {
        let purchaser = Viewer {
            parties: vec!["purchaser"],
            sees_submitted_early: false,
        };
        let agency_manager = Viewer {
            parties: vec!["third_party"],
            sees_submitted_early: true,
        };
        assert!(may_see(&purchaser, "purchaser", false, false));
        assert!(!may_see(&purchaser, "supervisor", true, false));
        assert!(may_see(&purchaser, "supervisor", true, true));
        assert!(
            !may_see(&purchaser, "supervisor", false, true),
            "drafts stay private"
        );
        assert!(may_see(&agency_manager, "supervisor", true, false));
        assert!(!may_see(&agency_manager, "supervisor", false, false));
    }
}
