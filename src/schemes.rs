//! The schemes that ship with pinggu: config/schemes/*.json, embedded in the binary; a file of
//! the same name in the working directory's config/schemes overrides the embedded one, and other
//! files there are added.

use std::path::Path;

use anyhow::{Context, bail};

use crate::domain::scheme::Scheme;

const EMBEDDED: [(&str, &str); 6] = [
    (
        "guangzhou-2023.json",
        include_str!("../config/schemes/guangzhou-2023.json"),
    ),
    // The reference reports' outline: 一 to 八 in the body, the feedback record as 附件3, the
    // results in the filed order and wording. Evaluations created before keep version 1.
    (
        "guangzhou-2023-v2.json",
        include_str!("../config/schemes/guangzhou-2023-v2.json"),
    ),
    // Version 2 with the satisfaction survey's default questionnaire (满意度调查, the share of
    // 非常满意 and 满意 over the reached, reported under 服务成效).
    (
        "guangzhou-2023-v3.json",
        include_str!("../config/schemes/guangzhou-2023-v3.json"),
    ),
    // The 瑞宝街 reference's outline (评估总结体例): 一、中期评估背景, 二、评估总结 with the
    // parties' sections inside it, 三、评估反馈, 四、评估等级, 五、结语; the same indicators,
    // parties and weights as guangzhou-2023.
    (
        "guangzhou-2023-haizhu.json",
        include_str!("../config/schemes/guangzhou-2023-haizhu.json"),
    ),
    // Version 1 with the questionnaire, its rate the mean score (the reference's 92.5 % from
    // ten answers), reported under 服务监测.
    (
        "guangzhou-2023-haizhu-v2.json",
        include_str!("../config/schemes/guangzhou-2023-haizhu-v2.json"),
    ),
    (
        "guangzhou-2019.json",
        include_str!("../config/schemes/guangzhou-2019.json"),
    ),
];

/// The shipped schemes, each checked; a broken one stops start-up with its reasons.
pub fn shipped(base_dir: &Path) -> anyhow::Result<Vec<Scheme>> {
    let dir = base_dir.join("config/schemes");
    let mut texts: Vec<(String, String)> = EMBEDDED
        .iter()
        .map(|(name, text)| (name.to_string(), text.to_string()))
        .collect();
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !name.ends_with(".json") {
                continue;
            }
            let text = std::fs::read_to_string(entry.path())
                .with_context(|| format!("cannot read {}", entry.path().display()))?;
            match texts.iter_mut().find(|(n, _)| *n == name) {
                Some(slot) => slot.1 = text,
                None => texts.push((name, text)),
            }
        }
    }
    texts
        .iter()
        .map(|(name, text)| {
            let scheme: Scheme =
                serde_json::from_str(text).with_context(|| format!("config/schemes/{name}"))?;
            let problems = scheme.problems();
            if !problems.is_empty() {
                let reasons: Vec<String> = problems
                    .iter()
                    .map(|p| format!("{}: {}", p.field, p.message))
                    .collect();
                bail!("config/schemes/{name} is refused: {}", reasons.join("; "));
            }
            Ok(scheme)
        })
        .collect()
}
