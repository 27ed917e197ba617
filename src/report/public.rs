//! The publication copy of a report (DESIGN.md §9): the same document with the roster's
//! workers' names masked wherever they occur (李洁华 → 李*华, as the 瑞宝街 report writes 张*诺)
//! and phone numbers and e-mail addresses left out. Pure: the stored version stays whole for the
//! parties; this copy is drawn from its model on request.

use std::sync::LazyLock;

use regex::Regex;

use super::model::{Block, Cell, CoverLine, Report, Section, Table};

/// What stands where a phone number or an e-mail address was.
const LEFT_OUT: &str = "（略）";

/// Mobile numbers (with or without +86), landlines with their area code, e-mail addresses.
static CONTACT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}|(?:\+?86[- ]?)?1[3-9]\d{9}|0\d{2,3}-\d{7,8}",
    )
    .unwrap_or_else(|e| unreachable!("the contact pattern compiles: {e}"))
});

/// 李洁华 → 李*华, 张三 → 张*, 欧阳晓华 → 欧**华: the first and last characters stay.
pub fn masked_name(name: &str) -> String {
    let chars: Vec<char> = name.trim().chars().collect();
    match chars.len() {
        0 => String::new(),
        1 => "*".to_owned(),
        2 => format!("{}*", chars[0]),
        n => format!("{}{}{}", chars[0], "*".repeat(n - 2), chars[n - 1]),
    }
}

/// The publication copy of `report`, masking `names` (the roster's workers).
pub fn public_copy(report: &Report, names: &[String]) -> Report {
    // Longer names first, so that a name inside another is not masked half.
    let mut masks: Vec<(String, String)> = names
        .iter()
        .map(|n| n.trim().to_owned())
        .filter(|n| n.chars().count() >= 2)
        .map(|n| {
            let masked = masked_name(&n);
            (n, masked)
        })
        .collect();
    masks.sort_by_key(|(n, _)| std::cmp::Reverse(n.chars().count()));
    masks.dedup();
    let scrub = |text: &str| scrubbed(text, &masks);
    Report {
        title: scrub(&report.title),
        subtitle: report.subtitle.as_deref().map(scrub),
        number: report.number.clone(),
        cover: report
            .cover
            .iter()
            .map(|line| CoverLine {
                label: line.label.clone(),
                value: scrub(&line.value),
            })
            .collect(),
        sections: report
            .sections
            .iter()
            .map(|section| Section {
                title: scrub(&section.title),
                blocks: section.blocks.iter().map(|b| block(b, &scrub)).collect(),
                ..section.clone()
            })
            .collect(),
        people: Vec::new(),
    }
}

fn block(block: &Block, scrub: &impl Fn(&str) -> String) -> Block {
    match block {
        Block::Paragraph { text } => Block::Paragraph { text: scrub(text) },
        Block::Label { text } => Block::Label { text: scrub(text) },
        Block::Items { items } => Block::Items {
            items: items.iter().map(|i| scrub(i)).collect(),
        },
        Block::Table(table) => {
            let rows = |rows: &[Vec<Cell>]| -> Vec<Vec<Cell>> {
                rows.iter()
                    .map(|row| {
                        row.iter()
                            .map(|cell| Cell {
                                text: scrub(&cell.text),
                                ..cell.clone()
                            })
                            .collect()
                    })
                    .collect()
            };
            Block::Table(Table {
                caption: scrub(&table.caption),
                head: rows(&table.head),
                body: rows(&table.body),
            })
        }
    }
}

fn scrubbed(text: &str, masks: &[(String, String)]) -> String {
    let mut text = CONTACT.replace_all(text, LEFT_OUT).into_owned();
    for (name, masked) in masks {
        if text.contains(name.as_str()) {
            text = text.replace(name.as_str(), masked);
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_keep_their_first_and_last_characters() {
        let masked: Vec<String> = ["李洁华", "张三", "欧阳晓华", "王"]
            .iter()
            .map(|n| masked_name(n))
            .collect();
        assert_eq!(masked, ["李*华", "张*", "欧**华", "*"]);
    }

    #[test]
    fn the_public_copy_masks_names_everywhere_and_leaves_out_contacts() {
        let report = Report {
            title: "西村街社工服务站 中期评估报告".into(),
            subtitle: None,
            number: None,
            cover: vec![CoverLine {
                label: "联系人".into(),
                value: "李洁华 13812345678".into(),
            }],
            sections: vec![Section {
                code: "management".into(),
                level: 2,
                number: "（一）".into(),
                title: "项目管理".into(),
                annex: false,
                blocks: vec![
                    Block::Paragraph {
                        text: "督导李洁华（电话 020-81234567，lijiehua@example.cn）带领张三走访。"
                            .into(),
                    },
                    Block::Table(Table {
                        caption: String::new(),
                        head: vec![vec![Cell::new("姓名")]],
                        body: vec![vec![Cell::new("李洁华"), Cell::new("张三丰")]],
                    }),
                ],
            }],
            people: vec!["李洁华".into(), "张三".into(), "张三丰".into()],
        };
        let public = public_copy(&report, &report.people);
        assert_eq!(public.cover[0].value, "李*华 （略）");
        assert_eq!(
            public.sections[0].blocks[0],
            Block::Paragraph {
                text: "督导李*华（电话 （略），（略））带领张*走访。".into()
            }
        );
        let Block::Table(table) = &public.sections[0].blocks[1] else {
            panic!("a table");
        };
        let cells: Vec<&str> = table.body[0].iter().map(|c| c.text.as_str()).collect();
        assert_eq!(cells, ["李*华", "张*丰"], "the longer name first");
        assert!(public.people.is_empty(), "the copy names nobody");
        let stored = serde_json::to_string(&report).expect("json");
        assert!(stored.contains("李洁华"), "the parties' copy stays whole");
    }
}
