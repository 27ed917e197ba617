//! A party's component (分项评分): its comments, what may be written into it, and who may see it
//! when (DESIGN.md §3).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::indicators::Zone;
use super::points::Points;
use super::scheme::{Scheme, SchemeParty};

/// 值得肯定的地方: tied to an outline section of the scheme and, for the third party, a zone
/// (`zone_id`) or several zones said together (`zone_ids`, as in “片区二、片区三社工点服务情况”).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Strength {
    pub section: Option<String>,
    pub zone_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub zone_ids: Vec<i64>,
    #[validate(length(min = 1, max = 5000, message = "请填写内容（最多 5000 字）"))]
    pub text: String,
}

/// 需要关注的地方, with an optional suggestion (建议).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Concern {
    pub section: Option<String>,
    pub zone_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub zone_ids: Vec<i64>,
    #[validate(length(min = 1, max = 5000, message = "请填写内容（最多 5000 字）"))]
    pub text: String,
    #[validate(length(max = 5000, message = "建议最多 5000 字"))]
    pub suggestion: Option<String>,
}

/// The zones a comment speaks of: `zone_ids` when given, else `zone_id`.
fn zone_set(zone_id: Option<i64>, zone_ids: &[i64]) -> Vec<i64> {
    if zone_ids.is_empty() {
        zone_id.into_iter().collect()
    } else {
        zone_ids.to_vec()
    }
}

impl Strength {
    pub fn zones(&self) -> Vec<i64> {
        zone_set(self.zone_id, &self.zone_ids)
    }
}

impl Concern {
    pub fn zones(&self) -> Vec<i64> {
        zone_set(self.zone_id, &self.zone_ids)
    }
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
        .map(|s| ("strengths", s.section.as_deref(), s.zone_id, &s.zone_ids))
        .chain(
            concerns
                .iter()
                .map(|c| ("concerns", c.section.as_deref(), c.zone_id, &c.zone_ids)),
        );
    let mut index = std::collections::HashMap::new();
    for (list, section, zone_id, zone_ids) in places {
        let i = index.entry(list).or_insert(0);
        if let Some(section) = section
            && !scheme.outline.iter().any(|o| o.code == section)
        {
            found.push((
                format!("{list}[{i}].section"),
                format!("评估方案的报告大纲中没有“{section}”"),
            ));
        }
        let field = if zone_ids.is_empty() {
            "zone_id"
        } else {
            "zone_ids"
        };
        let named = zone_set(zone_id, zone_ids);
        if zone_id.is_some() && !zone_ids.is_empty() {
            found.push((
                format!("{list}[{i}].zone_ids"),
                "zone_id 与 zone_ids 只能填写其中一项".to_owned(),
            ));
        } else if !named.is_empty() && !third_party {
            found.push((
                format!("{list}[{i}].{field}"),
                "只有第三方评估机构的意见可以按片区填写".to_owned(),
            ));
        } else if named
            .iter()
            .any(|zone| !zones.iter().any(|z| z.id == *zone))
        {
            found.push((
                format!("{list}[{i}].{field}"),
                "须为本社工站的片区".to_owned(),
            ));
        } else if (1..named.len()).any(|k| named[..k].contains(&named[k])) {
            found.push((
                format!("{list}[{i}].zone_ids"),
                "同一片区不能重复填写".to_owned(),
            ));
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
            zone_ids: Vec::new(),
            text: "有亮点".into(),
        }
    }

    fn joint(zone_ids: &[i64]) -> Strength {
        Strength {
            zone_ids: zone_ids.to_vec(),
            ..strength(None, None)
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
        let both = Strength {
            zone_id: Some(1),
            ..joint(&[2, 3])
        };
        let several = vec![joint(&[2, 3]), joint(&[2, 99]), joint(&[3, 3]), both];
        assert_eq!(
            fields(party("third_party"), true, "0", several),
            [
                "strengths[1].zone_ids",
                "strengths[2].zone_ids",
                "strengths[3].zone_ids"
            ]
        );
        assert_eq!(
            fields(party("center"), false, "0", vec![joint(&[2, 3])]),
            ["strengths[0].zone_ids"]
        );
        assert_eq!(joint(&[2, 3]).zones(), [2, 3]);
        assert_eq!(strength(None, Some(1)).zones(), [1]);
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
