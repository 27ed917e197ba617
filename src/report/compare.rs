//! What changed between two versions of a report, section by section: the sentences added and
//! removed (tables are the annexes' figures and are left to the annex comparison of the data).

use serde::Serialize;
use utoipa::ToSchema;

use super::model::{Block, Report, Section};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct SectionChange {
    pub section: String,
    pub heading: String,
    pub added: Vec<String>,
    pub removed: Vec<String>,
}

/// A section's sentences, split after 。；！？ and at line ends; closing brackets and quotes
/// right after the split stay with their sentence ("…已核验通过。）" is one).
fn sentences(section: &Section) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |text: &str| {
        let mut current = String::new();
        for c in text.chars() {
            let closes = matches!(c, '）' | ')' | '”' | '’' | '」' | '』' | '】' | '》');
            if closes
                && current.trim().is_empty()
                && let Some(last) = out.last_mut()
            {
                last.push(c);
                continue;
            }
            current.push(c);
            if matches!(c, '。' | '；' | '！' | '？') {
                out.push(std::mem::take(&mut current).trim().to_owned());
            }
        }
        if !current.trim().is_empty() {
            out.push(current.trim().to_owned());
        }
    };
    for block in &section.blocks {
        match block {
            Block::Paragraph { text } | Block::Label { text } => push(text),
            Block::Items { items } => items.iter().for_each(|i| push(i)),
            Block::Table(_) => {}
        }
    }
    out
}

/// Those of `from` not matched one-to-one in `to`.
fn missing_from(from: &[String], to: &[String]) -> Vec<String> {
    let mut left: Vec<&String> = to.iter().collect();
    from.iter()
        .filter(|s| match left.iter().position(|t| t == s) {
            Some(at) => {
                left.remove(at);
                false
            }
            None => true,
        })
        .cloned()
        .collect()
}

/// The sections that differ, in the order of the newer report (then sections it dropped).
pub fn compare(older: &Report, newer: &Report) -> Vec<SectionChange> {
    let find =
        |report: &Report, code: &str| report.sections.iter().find(|s| s.code == code).cloned();
    let mut codes: Vec<&Section> = newer.sections.iter().collect();
    codes.extend(
        older
            .sections
            .iter()
            .filter(|s| !newer.sections.iter().any(|n| n.code == s.code)),
    );
    codes
        .into_iter()
        .filter_map(|section| {
            let before = find(older, &section.code)
                .map(|s| sentences(&s))
                .unwrap_or_default();
            let after = find(newer, &section.code)
                .map(|s| sentences(&s))
                .unwrap_or_default();
            let change = SectionChange {
                section: section.code.clone(),
                heading: section.heading(),
                added: missing_from(&after, &before),
                removed: missing_from(&before, &after),
            };
            (!change.added.is_empty() || !change.removed.is_empty()).then_some(change)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(sections: Vec<(&str, &str)>) -> Report {
        Report {
            title: "报告".into(),
            subtitle: None,
            number: None,
            cover: vec![],
            people: vec![],
            sections: sections
                .into_iter()
                .map(|(code, text)| Section {
                    code: code.into(),
                    level: 1,
                    number: "一、".into(),
                    title: code.into(),
                    annex: false,
                    blocks: vec![Block::Paragraph { text: text.into() }],
                })
                .collect(),
        }
    }

    #[test]
    fn sentences_added_and_removed_are_listed_by_section() {
        let v1 = report(vec![
            ("basic", "社工站位于西湾路。服务三个片区。"),
            ("feedback", "已发送各方。"),
        ]);
        let v2 = report(vec![
            ("basic", "社工站位于西湾路。服务四个片区；新增一个社工点。"),
            ("feedback", "已发送各方。"),
            ("results", "总分89.08分。"),
        ]);
        let changes = compare(&v1, &v2);
        assert_eq!(changes.len(), 2);
        assert_eq!(changes[0].section, "basic");
        assert_eq!(changes[0].added, ["服务四个片区；", "新增一个社工点。"]);
        assert_eq!(changes[0].removed, ["服务三个片区。"]);
        assert_eq!(changes[1].added, ["总分89.08分。"]);
        assert!(compare(&v2, &v2).is_empty());
    }

    #[test]
    fn a_closing_bracket_stays_with_its_sentence() {
        let v1 = report(vec![("rectification", "甲。")]);
        let v2 = report(vec![(
            "rectification",
            "甲。（整改情况：已核验通过（2026年12月7日）。措施已落实。）“好。”",
        )]);
        let changes = compare(&v1, &v2);
        assert_eq!(
            changes[0].added,
            [
                "（整改情况：已核验通过（2026年12月7日）。",
                "措施已落实。）",
                "“好。”"
            ]
        );
    }
}
