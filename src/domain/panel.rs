//! The expert panel's rules: conflicts of interest by institution, and what a scoring sheet may
//! hold (DESIGN.md §4, §7).

use super::points::Points;
use super::scheme::Scheme;

fn normalized(name: &str) -> String {
    name.chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '（' | '）' | '(' | ')'))
        .collect::<String>()
        .to_lowercase()
}

/// Whether an expert who lists `affiliations` has worked for or advised the operator.
pub fn conflicts_with(affiliations: &[String], operator: &str) -> bool {
    let operator = normalized(operator);
    !operator.is_empty() && affiliations.iter().any(|a| normalized(a) == operator)
}

/// Every item of the scheme's third-party tree, in order: (code, name, max_points).
pub fn items(scheme: &Scheme) -> Vec<(&str, &str, Points)> {
    scheme
        .third_party_tree
        .sections
        .iter()
        .flat_map(|s| s.items.iter())
        .map(|i| (i.code.as_str(), i.name.as_str(), i.max_points))
        .collect()
}

/// (index, reason) for each scored item that is not in the tree, is scored twice, or is above
/// its maximum.
pub fn sheet_problems(scheme: &Scheme, scored: &[(String, Points)]) -> Vec<(String, String)> {
    let tree = items(scheme);
    let mut seen = std::collections::HashSet::new();
    let mut found = Vec::new();
    for (index, (item, score)) in scored.iter().enumerate() {
        match tree.iter().find(|(code, _, _)| code == item) {
            None => found.push((
                format!("items[{index}].item"),
                format!("评分表中没有评分项“{item}”"),
            )),
            Some((_, name, max)) if score > max => found.push((
                format!("items[{index}].score"),
                format!("“{name}”满分 {max}，不能超过"),
            )),
            Some(_) if !seen.insert(item.as_str()) => found.push((
                format!("items[{index}].item"),
                "同一评分项重复出现".to_owned(),
            )),
            Some(_) => {}
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::indicators::tests::{guangzhou_2023, p};

    #[test]
    fn an_operator_listed_by_the_expert_is_a_conflict() {
        let listed = vec!["广州市 逢源人家服务中心".to_owned(), "某大学".to_owned()];
        assert!(conflicts_with(&listed, "广州市逢源人家服务中心"));
        assert!(!conflicts_with(&listed, "逢源人家"));
        assert!(!conflicts_with(&[], "广州市逢源人家服务中心"));
    }

    #[test]
    fn sheets_hold_tree_items_once_each_within_their_maximum() {
        let scheme = guangzhou_2023();
        let tree = items(&scheme);
        let (first, _, max) = tree[0];
        let over = Points::from_hundredths(max.hundredths() + 1);
        let scored = vec![
            (first.to_owned(), max),
            ("nothing".to_owned(), p("1")),
            (tree[1].0.to_owned(), over.max(p("99"))),
            (first.to_owned(), p("1")),
        ];
        let fields: Vec<String> = sheet_problems(&scheme, &scored)
            .into_iter()
            .map(|(field, _)| field)
            .collect();
        assert_eq!(fields, ["items[1].item", "items[2].score", "items[3].item"]);
    }
}
