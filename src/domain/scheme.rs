//! Evaluation schemes (评估方案) as data, in the normative shape of DESIGN.md §2, and the
//! rules a scheme must satisfy before it is accepted.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::organization::OrgKind;
use super::points::Points;
use super::survey::{RateKind, SurveyDef};
use super::text;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Scheme {
    /// e.g. guangzhou-2023
    pub code: String,
    /// 1, 2, …; a version in use never changes: a change is a new version.
    pub version: i64,
    pub name: String,
    pub total: Points,
    pub parties: Vec<SchemeParty>,
    /// Grades, each from its `min` (inclusive) up to the next band.
    pub bands: Vec<Band>,
    /// Experts who must submit before the third party's component can be (default 3).
    #[serde(default = "default_min_experts")]
    pub min_experts: i64,
    pub third_party_tree: ScoringTree,
    pub indicators: Vec<IndicatorDef>,
    pub outline: Vec<OutlineSection>,
    /// The lines of the report's 评估结果, in their order, each naming a scoring party as the
    /// filed reports do ("购买方评估"); when absent, every party in its order by its name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub results: Vec<ResultLine>,
    /// Fixed report texts: basis, principles, methods.
    #[serde(default)]
    pub texts: BTreeMap<String, String>,
    /// The client satisfaction survey (满意度调查, DESIGN.md §10); none in schemes without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub survey: Option<SurveyDef>,
    /// Days the station has to rectify each concern of the final report, from the approval;
    /// `domain::rectification::DEFAULT_DAYS` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rectification_days: Option<i64>,
}

fn default_min_experts() -> i64 {
    3
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SchemeParty {
    pub code: String,
    pub name: String,
    pub org_kind: OrgKind,
    pub weight: Points,
    /// The party's own scale; its score is weighted by weight / native_max.
    pub native_max: Points,
    /// Zero weight, pass or fail; a failure makes the grade 不合格 whatever the total.
    #[serde(default)]
    pub gate: bool,
    /// Asked for feedback on the draft report (反馈). When absent: the scoring parties of a
    /// civil affairs bureau or a street office, as the shipped schemes' first versions intend.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feedback: Option<bool>,
}

impl SchemeParty {
    /// Asked for feedback on the draft report.
    pub fn gives_feedback(&self) -> bool {
        self.feedback.unwrap_or(
            !self.gate
                && matches!(
                    self.org_kind,
                    OrgKind::CivilAffairsBureau | OrgKind::StreetOffice
                ),
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Band {
    pub code: String,
    pub name: String,
    pub min: Points,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoringTree {
    pub sections: Vec<TreeSection>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TreeSection {
    pub code: String,
    pub name: String,
    pub items: Vec<TreeItem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TreeItem {
    pub code: String,
    pub name: String,
    pub max_points: Points,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IndicatorScope {
    /// Targets and completions per zone (片区).
    Zone,
    /// One figure for the whole station.
    Station,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IndicatorDef {
    pub code: String,
    pub name: String,
    pub group: String,
    pub unit: String,
    pub scope: IndicatorScope,
    /// Decimal places a completion may have (0…2).
    pub decimals: u8,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResultLine {
    /// A party's code.
    pub party: String,
    /// How the line names it, e.g. 购买方评估.
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OutlineSection {
    pub code: String,
    pub title: String,
    /// The section this one sits under (an earlier code); top level when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
}

/// One reason a scheme is refused: where, and what is wrong (in Chinese).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemeProblem {
    pub field: String,
    pub message: String,
}

fn problem(field: impl Into<String>, message: impl Into<String>) -> SchemeProblem {
    SchemeProblem {
        field: field.into(),
        message: message.into(),
    }
}

fn is_code(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 64
        && text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'))
}

/// Checks codes: well formed and unique within their list.
fn check_codes<'a>(list: &str, codes: impl Iterator<Item = &'a str>, out: &mut Vec<SchemeProblem>) {
    let mut seen = HashSet::new();
    for (index, code) in codes.enumerate() {
        if !is_code(code) {
            out.push(problem(
                format!("{list}[{index}].code"),
                "代码只能由小写字母、数字和 - _ . 组成（1 到 64 个字符）",
            ));
        } else if !seen.insert(code) {
            out.push(problem(
                format!("{list}[{index}].code"),
                format!("代码“{code}”重复"),
            ));
        }
    }
}

fn sum(mut points: impl Iterator<Item = Points>) -> Option<Points> {
    points.try_fold(Points::ZERO, |acc, p| acc.checked_add(p))
}

impl Scheme {
    /// The lines of 评估结果: (party, label) in the scheme's order.
    pub fn result_lines(&self) -> Vec<(&SchemeParty, &str)> {
        if self.results.is_empty() {
            return self.parties.iter().map(|p| (p, p.name.as_str())).collect();
        }
        self.results
            .iter()
            .filter_map(|line| {
                self.parties
                    .iter()
                    .find(|p| p.code == line.party)
                    .map(|p| (p, line.label.as_str()))
            })
            .collect()
    }
}

/// The station's operator in an evaluation's parties: not a scheme party (it is evaluated, it
/// does not score), but it fills in the self-assessment and gives feedback.
pub const STATION_PARTY: &str = "station";

impl Scheme {
    /// The parties asked for feedback on a draft: the station, then the scheme's feedback
    /// parties in its order.
    pub fn feedback_parties(&self) -> Vec<String> {
        std::iter::once(STATION_PARTY.to_owned())
            .chain(
                self.parties
                    .iter()
                    .filter(|p| p.gives_feedback())
                    .map(|p| p.code.clone()),
            )
            .collect()
    }

    /// The party an organization of this kind stands for: the scoring one first, else a gate.
    pub fn party_of_kind(&self, kind: OrgKind) -> Option<&SchemeParty> {
        let mut of_kind = self.parties.iter().filter(|p| p.org_kind == kind);
        let first = of_kind.clone().find(|p| !p.gate);
        first.or_else(|| of_kind.next())
    }

    /// The scoring party whose score comes from the experts' sheets (the evaluation agency).
    pub fn third_party(&self) -> Option<&SchemeParty> {
        self.parties
            .iter()
            .find(|p| !p.gate && p.org_kind == OrgKind::EvaluationAgency)
    }

    /// Every reason this scheme cannot be used; empty when it can.
    pub fn problems(&self) -> Vec<SchemeProblem> {
        let mut out = Vec::new();
        if !is_code(&self.code) {
            out.push(problem(
                "code",
                "方案代码只能由小写字母、数字和 - _ . 组成（1 到 64 个字符）",
            ));
        }
        if self.version < 1 {
            out.push(problem("version", "版本号须为正整数"));
        }
        if self.name.trim().is_empty() {
            out.push(problem("name", "方案名称不能为空"));
        }
        if self.total <= Points::ZERO {
            out.push(problem("total", "总分须大于 0"));
        }
        self.check_parties(&mut out);
        self.check_bands(&mut out);
        if self.min_experts < 1 {
            out.push(problem("min_experts", "专家人数下限至少为 1"));
        }
        self.check_tree(&mut out);
        check_codes(
            "indicators",
            self.indicators.iter().map(|i| i.code.as_str()),
            &mut out,
        );
        for (index, indicator) in self.indicators.iter().enumerate() {
            if indicator.decimals > 2 {
                out.push(problem(
                    format!("indicators[{index}].decimals"),
                    "小数位数只能是 0、1 或 2",
                ));
            }
            if indicator.name.trim().is_empty() {
                out.push(problem(
                    format!("indicators[{index}].name"),
                    "指标名称不能为空",
                ));
            }
        }
        check_codes(
            "outline",
            self.outline.iter().map(|s| s.code.as_str()),
            &mut out,
        );
        self.check_sizes(&mut out);
        if let Some(survey) = &self.survey {
            self.check_survey(survey, &mut out);
        }
        if self
            .rectification_days
            .is_some_and(|days| !(1..=730).contains(&days))
        {
            out.push(problem("rectification_days", "整改期限须为 1 到 730 天"));
        }
        for (index, line) in self.results.iter().enumerate() {
            if self.results[..index].iter().any(|r| r.party == line.party) {
                out.push(problem(
                    format!("results[{index}].party"),
                    format!("评估方“{}”重复", line.party),
                ));
            } else if !self.parties.iter().any(|p| p.code == line.party) {
                out.push(problem(
                    format!("results[{index}].party"),
                    format!("“{}”不是本方案的评估方", line.party),
                ));
            }
            if line.label.trim().is_empty() {
                out.push(problem(
                    format!("results[{index}].label"),
                    "结果名称不能为空",
                ));
            }
        }
        for (index, section) in self.outline.iter().enumerate() {
            if section.title.trim().is_empty() {
                out.push(problem(
                    format!("outline[{index}].title"),
                    "章节标题不能为空",
                ));
            }
            if let Some(parent) = &section.parent
                && !self.outline[..index].iter().any(|s| &s.code == parent)
            {
                out.push(problem(
                    format!("outline[{index}].parent"),
                    format!("上级章节“{parent}”须在本章节之前"),
                ));
            }
        }
        out
    }

    /// The survey's questions have codes and options, the satisfaction rule names a question and
    /// its options, and a `mean` rate has a score (0–100) for every option it reads.
    fn check_survey(&self, survey: &SurveyDef, out: &mut Vec<SchemeProblem>) {
        if !(1..=10_000).contains(&survey.min_sample) {
            out.push(problem("survey.min_sample", "抽样人数须为 1 到 10000"));
        }
        if survey.questions.is_empty() || survey.questions.len() > 50 {
            out.push(problem("survey.questions", "问卷须有 1 到 50 个问题"));
        }
        // The rate goes into a section of the outline; without one the report cannot say it.
        if !self.outline.iter().any(|s| s.code == survey.section) {
            out.push(problem(
                "survey.section",
                format!("“{}”不是报告大纲中的章节", survey.section),
            ));
        }
        check_codes(
            "survey.questions",
            survey.questions.iter().map(|q| q.code.as_str()),
            out,
        );
        for (i, question) in survey.questions.iter().enumerate() {
            let field = format!("survey.questions[{i}]");
            if !text::is_one_line(&question.text) || question.text.trim().is_empty() {
                out.push(problem(format!("{field}.text"), "问题须为一行文字"));
            }
            if question.options.is_empty() || question.options.len() > 20 {
                out.push(problem(
                    format!("{field}.options"),
                    "每题须有 1 到 20 个选项",
                ));
            }
            for (j, option) in question.options.iter().enumerate() {
                let value = format!("{field}.options[{j}].value");
                if !is_code(&option.value) {
                    out.push(problem(value, "选项值只能由小写字母、数字和 - _ . 组成"));
                } else if question.options[..j]
                    .iter()
                    .any(|o| o.value == option.value)
                {
                    out.push(problem(value, format!("选项值“{}”重复", option.value)));
                }
                if !text::is_one_line(&option.label) || option.label.trim().is_empty() {
                    out.push(problem(
                        format!("{field}.options[{j}].label"),
                        "选项须为一行文字",
                    ));
                }
                let in_range = |s: Points| (0..=10_000).contains(&s.hundredths());
                if option.score.is_some_and(|s| !in_range(s)) {
                    out.push(problem(
                        format!("{field}.options[{j}].score"),
                        "分值须在 0 到 100 之间",
                    ));
                }
            }
        }
        let rule = &survey.satisfied;
        let Some(question) = survey.questions.iter().find(|q| q.code == rule.question) else {
            out.push(problem(
                "survey.satisfied.question",
                format!("“{}”不是问卷中的问题", rule.question),
            ));
            return;
        };
        for (k, value) in rule.values.iter().enumerate() {
            if !question.options.iter().any(|o| o.value == *value) {
                out.push(problem(
                    format!("survey.satisfied.values[{k}]"),
                    format!("“{value}”不是该问题的选项"),
                ));
            }
        }
        if survey.rate == RateKind::Mean && question.options.iter().any(|o| o.score.is_none()) {
            out.push(problem(
                "survey.rate",
                "按平均分计算满意度时，该问题的每个选项都须有分值",
            ));
        }
    }

    /// A scheme is imported from a file: its lists are bounded, and its names are one line of a
    /// sane length (they reach report headings, e-mails and file names).
    fn check_sizes(&self, out: &mut Vec<SchemeProblem>) {
        let lists = [
            ("parties", self.parties.len(), 20),
            ("bands", self.bands.len(), 20),
            (
                "third_party_tree.sections",
                self.third_party_tree.sections.len(),
                50,
            ),
            ("indicators", self.indicators.len(), 200),
            ("outline", self.outline.len(), 100),
            ("results", self.results.len(), 20),
            ("texts", self.texts.len(), 20),
        ];
        for (field, len, most) in lists {
            if len > most {
                out.push(problem(field, format!("最多 {most} 项")));
            }
        }
        let mut names: Vec<(String, &str)> = vec![("name".into(), &self.name)];
        for (i, party) in self.parties.iter().enumerate() {
            names.push((format!("parties[{i}].name"), &party.name));
        }
        for (i, band) in self.bands.iter().enumerate() {
            names.push((format!("bands[{i}].name"), &band.name));
        }
        for (i, section) in self.third_party_tree.sections.iter().enumerate() {
            let field = format!("third_party_tree.sections[{i}]");
            if section.items.len() > 200 {
                out.push(problem(format!("{field}.items"), "最多 200 项"));
            }
            names.push((format!("{field}.name"), &section.name));
            for (j, item) in section.items.iter().enumerate() {
                names.push((format!("{field}.items[{j}].name"), &item.name));
            }
        }
        for (i, indicator) in self.indicators.iter().enumerate() {
            names.push((format!("indicators[{i}].name"), &indicator.name));
            names.push((format!("indicators[{i}].group"), &indicator.group));
            names.push((format!("indicators[{i}].unit"), &indicator.unit));
        }
        for (i, section) in self.outline.iter().enumerate() {
            names.push((format!("outline[{i}].title"), &section.title));
        }
        for (i, line) in self.results.iter().enumerate() {
            names.push((format!("results[{i}].label"), &line.label));
        }
        for (field, name) in names {
            if !text::is_one_line(name) {
                out.push(problem(field, text::NOT_ONE_LINE));
            } else if name.chars().count() > 200 {
                out.push(problem(field, "最多 200 个字符"));
            }
        }
        for (key, body) in &self.texts {
            if !is_code(key) {
                out.push(problem(
                    format!("texts.{key}"),
                    "文本代码只能由小写字母、数字和 - _ . 组成",
                ));
            }
            if body.chars().count() > 20_000 {
                out.push(problem(format!("texts.{key}"), "最多 20000 个字符"));
            }
        }
    }

    fn check_parties(&self, out: &mut Vec<SchemeProblem>) {
        if self.parties.is_empty() {
            out.push(problem("parties", "至少需要一个评估方"));
            return;
        }
        check_codes("parties", self.parties.iter().map(|p| p.code.as_str()), out);
        for (index, party) in self.parties.iter().enumerate() {
            let field = |name: &str| format!("parties[{index}].{name}");
            if party.code == STATION_PARTY {
                out.push(problem(
                    field("code"),
                    format!("代码“{STATION_PARTY}”留给社工站，评估方不能使用"),
                ));
            }
            if party.feedback == Some(true)
                && !party.gate
                && party.org_kind == OrgKind::EvaluationAgency
            {
                out.push(problem(
                    field("feedback"),
                    "评估机构答复各方的反馈意见，不能同时作为反馈方",
                ));
            }
            if matches!(
                party.org_kind,
                OrgKind::Operator | OrgKind::MunicipalBureau | OrgKind::System
            ) {
                out.push(problem(
                    field("org_kind"),
                    format!("{}不能作为评分方", party.org_kind.chinese_name()),
                ));
            }
            if party.gate {
                if party.weight != Points::ZERO {
                    out.push(problem(
                        field("weight"),
                        "一票否决项（gate）的权重须为 0.00",
                    ));
                }
            } else {
                if party.weight <= Points::ZERO {
                    out.push(problem(field("weight"), "评分方的权重须大于 0"));
                }
                if party.native_max <= Points::ZERO {
                    out.push(problem(field("native_max"), "评分方的满分须大于 0"));
                }
            }
        }
        let weights = sum(self.parties.iter().filter(|p| !p.gate).map(|p| p.weight));
        if weights != Some(self.total) {
            let shown = weights.map_or_else(|| "过大".to_owned(), |w| w.to_string());
            out.push(problem(
                "parties",
                format!("各评分方权重之和为 {shown}，应等于总分 {}", self.total),
            ));
        }
        let agencies = self
            .parties
            .iter()
            .filter(|p| !p.gate && p.org_kind == OrgKind::EvaluationAgency)
            .count();
        if agencies != 1 {
            out.push(problem(
                "parties",
                "须有且只有一个第三方评估机构评分方（其分数来自专家评分表）",
            ));
        }
    }

    fn check_bands(&self, out: &mut Vec<SchemeProblem>) {
        if self.bands.is_empty() {
            out.push(problem("bands", "至少需要一个等级"));
            return;
        }
        check_codes("bands", self.bands.iter().map(|b| b.code.as_str()), out);
        let descending = self.bands.windows(2).all(|pair| pair[0].min > pair[1].min);
        if !descending {
            out.push(problem(
                "bands",
                "等级须按最低分从高到低排列，且最低分互不相同",
            ));
        }
        if self.bands.iter().any(|b| b.min > self.total) {
            out.push(problem(
                "bands",
                format!("等级的最低分不能超过总分 {}", self.total),
            ));
        }
        if self.bands.last().is_some_and(|b| b.min != Points::ZERO) {
            out.push(problem(
                "bands",
                "最低的等级须从 0.00 分起，使 0 到总分都有等级",
            ));
        }
    }

    fn check_tree(&self, out: &mut Vec<SchemeProblem>) {
        let sections = &self.third_party_tree.sections;
        check_codes(
            "third_party_tree.sections",
            sections.iter().map(|s| s.code.as_str()),
            out,
        );
        let mut item_codes = HashSet::new();
        for (s, section) in sections.iter().enumerate() {
            if section.items.is_empty() {
                out.push(problem(
                    format!("third_party_tree.sections[{s}].items"),
                    "每个部分至少需要一个评分项",
                ));
            }
            for (i, item) in section.items.iter().enumerate() {
                let field = format!("third_party_tree.sections[{s}].items[{i}]");
                if !is_code(&item.code) {
                    out.push(problem(
                        format!("{field}.code"),
                        "代码只能由小写字母、数字和 - _ . 组成（1 到 64 个字符）",
                    ));
                } else if !item_codes.insert(item.code.as_str()) {
                    out.push(problem(
                        format!("{field}.code"),
                        format!("评分项代码“{}”重复", item.code),
                    ));
                }
                if item.max_points <= Points::ZERO {
                    out.push(problem(format!("{field}.max_points"), "评分项满分须大于 0"));
                }
            }
        }
        if let Some(third) = self.third_party() {
            let items = sum(sections
                .iter()
                .flat_map(|s| s.items.iter())
                .map(|i| i.max_points));
            if items != Some(third.native_max) {
                let shown = items.map_or_else(|| "过大".to_owned(), |w| w.to_string());
                out.push(problem(
                    "third_party_tree",
                    format!(
                        "评分项满分之和为 {shown}，应等于第三方（{}）的满分 {}",
                        third.name, third.native_max
                    ),
                ));
            }
        }
    }

    /// The band of a total (`min` inclusive, on the exact total).
    pub fn band_for(&self, total: Points) -> Option<&Band> {
        self.bands.iter().find(|band| total >= band.min)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped(name: &str) -> Scheme {
        let text = match name {
            "2023" => include_str!("../../config/schemes/guangzhou-2023.json"),
            "2023-v2" => include_str!("../../config/schemes/guangzhou-2023-v2.json"),
            "2023-v3" => include_str!("../../config/schemes/guangzhou-2023-v3.json"),
            "2023-haizhu" => include_str!("../../config/schemes/guangzhou-2023-haizhu.json"),
            "2023-haizhu-v2" => include_str!("../../config/schemes/guangzhou-2023-haizhu-v2.json"),
            _ => include_str!("../../config/schemes/guangzhou-2019.json"),
        };
        serde_json::from_str(text).expect("shipped scheme parses")
    }

    #[test]
    fn the_second_2023_version_orders_results_as_the_filed_reports() {
        let scheme = shipped("2023-v2");
        let lines: Vec<(&str, &str)> = scheme
            .result_lines()
            .into_iter()
            .map(|(party, label)| (party.code.as_str(), label))
            .collect();
        assert_eq!(
            lines,
            [
                ("purchaser", "购买方评估"),
                ("supervisor", "监督方评估"),
                ("center", "督导中心评估"),
                ("third_party", "第三方评估"),
            ]
        );
        // Without results, every party in its order by its name.
        let first = shipped("2023");
        let names: Vec<&str> = first.result_lines().into_iter().map(|(_, n)| n).collect();
        assert_eq!(names[0], "监督方（区民政局）");
        // Only the scheme's parties, each once.
        let mut broken = scheme.clone();
        broken.results[1].party = "nobody".into();
        broken.results[2].party = "purchaser".into();
        let fields: Vec<String> = broken.problems().into_iter().map(|p| p.field).collect();
        assert_eq!(fields, ["results[1].party", "results[2].party"]);
        // The parties, weights and scoring rules are the first version's.
        assert_eq!(scheme.parties, first.parties);
        assert_eq!(scheme.third_party_tree, first.third_party_tree);
        assert_eq!(scheme.indicators, first.indicators);
    }

    #[test]
    fn the_survey_versions_add_only_the_questionnaire() {
        for (before, after) in [("2023-v2", "2023-v3"), ("2023-haizhu", "2023-haizhu-v2")] {
            let mut newer = shipped(after);
            let survey = newer.survey.take().expect("a questionnaire");
            newer.version -= 1;
            assert_eq!(newer, shipped(before), "{after}");
            assert_eq!(survey.min_sample, 100);
        }
        // 瑞宝街's 92.5 %: seven 非常满意 and three 满意 as a mean score.
        let haizhu = shipped("2023-haizhu-v2").survey.expect("a questionnaire");
        assert_eq!(haizhu.section, "monitoring");
        let very = std::collections::BTreeMap::from([("overall".into(), "very".into())]);
        let yes = std::collections::BTreeMap::from([("overall".into(), "yes".into())]);
        let mut calls: Vec<crate::domain::survey::Call> = (0..7)
            .map(|_| crate::domain::survey::Call {
                reached: true,
                answers: &very,
            })
            .collect();
        calls.extend((0..3).map(|_| crate::domain::survey::Call {
            reached: true,
            answers: &yes,
        }));
        let figures = crate::domain::survey::figures(&haizhu, &calls);
        assert_eq!(figures.rate.map(|r| r.to_string()), Some("92.50".into()));
    }

    #[test]
    fn shipped_schemes_are_valid() {
        for name in [
            "2023",
            "2023-v2",
            "2023-v3",
            "2023-haizhu",
            "2023-haizhu-v2",
            "2019",
        ] {
            let scheme = shipped(name);
            assert_eq!(scheme.problems(), vec![], "{name}");
        }
    }

    #[test]
    fn guangzhou_2023_has_the_four_parties_and_bands_of_the_reports() {
        let scheme = shipped("2023");
        let parties: Vec<(&str, String, String)> = scheme
            .parties
            .iter()
            .map(|p| {
                (
                    p.code.as_str(),
                    p.weight.to_string(),
                    p.native_max.to_string(),
                )
            })
            .collect();
        assert_eq!(
            parties,
            vec![
                ("supervisor", "10.00".into(), "10.00".into()),
                ("purchaser", "20.00".into(), "20.00".into()),
                ("center", "15.00".into(), "15.00".into()),
                ("third_party", "55.00".into(), "55.00".into()),
            ]
        );
        let band = |t: &str| {
            scheme
                .band_for(t.parse().expect("points"))
                .map(|b| b.name.as_str())
        };
        assert_eq!(band("90.00"), Some("优秀"));
        assert_eq!(band("89.08"), Some("良好"));
        assert_eq!(band("59.50"), Some("不合格"));
        for code in [
            "records",
            "visits.home",
            "cases.sessions",
            "training.hours",
            "volunteers.teams",
        ] {
            assert!(scheme.indicators.iter().any(|i| i.code == code), "{code}");
        }
    }

    #[test]
    fn guangzhou_2019_is_1000_points_with_a_financial_gate() {
        let scheme = shipped("2019");
        assert_eq!(scheme.total.to_string(), "1000.00");
        assert!(
            scheme
                .parties
                .iter()
                .any(|p| p.gate && p.weight == Points::ZERO)
        );
    }

    #[test]
    fn weights_that_miss_the_total_are_refused_with_the_sum() {
        let mut scheme = shipped("2023");
        scheme.parties[0].weight = "9.00".parse().expect("points");
        scheme.parties[0].native_max = "9.00".parse().expect("points");
        let problems = scheme.problems();
        assert!(
            problems.iter().any(|p| p.field == "parties"
                && p.message.contains("99.00")
                && p.message.contains("100.00")),
            "{problems:?}"
        );
    }

    #[test]
    fn items_over_the_third_partys_maximum_are_refused() {
        let mut scheme = shipped("2023");
        scheme.third_party_tree.sections[0].items[0].max_points = "99.00".parse().expect("points");
        let problems = scheme.problems();
        assert!(
            problems
                .iter()
                .any(|p| p.field == "third_party_tree" && p.message.contains("55.00")),
            "{problems:?}"
        );
    }

    #[test]
    fn bands_must_be_ordered_and_cover_zero_to_total_and_codes_unique() {
        let mut scheme = shipped("2023");
        scheme.bands.swap(0, 1);
        scheme.bands.last_mut().expect("bands").min = "10.00".parse().expect("points");
        scheme.indicators[1].code = scheme.indicators[0].code.clone();
        let fields: Vec<String> = scheme.problems().into_iter().map(|p| p.field).collect();
        assert!(
            fields.iter().filter(|f| *f == "bands").count() >= 2,
            "{fields:?}"
        );
        assert!(
            fields.contains(&"indicators[1].code".to_owned()),
            "{fields:?}"
        );
    }

    #[test]
    fn names_are_one_line_and_lists_bounded() {
        let mut scheme = shipped("2023");
        scheme.parties[0].name = "监督方\n（区民政局）".into();
        scheme.outline[0].title = "x".repeat(201);
        scheme.bands = (0..21).map(|_| scheme.bands[0].clone()).collect();
        let fields: Vec<String> = scheme.problems().into_iter().map(|p| p.field).collect();
        for expected in ["parties[0].name", "outline[0].title", "bands"] {
            assert!(
                fields.iter().any(|f| f == expected),
                "{expected}: {fields:?}"
            );
        }
    }

    #[test]
    fn a_gate_has_zero_weight() {
        let mut scheme = shipped("2019");
        let gate = scheme.parties.iter_mut().find(|p| p.gate).expect("gate");
        gate.weight = "10.00".parse().expect("points");
        assert!(scheme.problems().iter().any(|p| p.message.contains("gate")));
    }

    #[test]
    fn a_survey_names_its_own_questions_and_options() {
        let survey: SurveyDef = serde_json::from_value(serde_json::json!({
            "min_sample": 100, "rate": "mean",
            "questions": [{"code": "overall", "text": "您对社工站的服务总体是否满意？", "options": [
                {"value": "very", "label": "非常满意", "score": "100.00"},
                {"value": "yes", "label": "满意", "score": "80.00"},
                {"value": "no", "label": "不满意", "score": "0.00"}]}],
            "satisfied": {"question": "overall", "values": ["very", "yes"]}
        }))
        .expect("a survey");
        let mut scheme = shipped("2023-v2");
        scheme.survey = Some(survey.clone());
        assert_eq!(scheme.problems(), vec![]);

        let mut broken = survey;
        broken.min_sample = 0;
        broken.questions[0].options[1].value = "very".into();
        broken.questions[0].options[2].score = None;
        broken.questions[0].options[0].score = Some("100.01".parse().expect("points"));
        broken.satisfied.values.push("maybe".into());
        scheme.survey = Some(broken.clone());
        let fields: Vec<String> = scheme.problems().into_iter().map(|p| p.field).collect();
        assert_eq!(
            fields,
            [
                "survey.min_sample",
                "survey.questions[0].options[0].score",
                "survey.questions[0].options[1].value",
                // "yes" is an option no more.
                "survey.satisfied.values[1]",
                "survey.satisfied.values[2]",
                "survey.rate",
            ]
        );
        broken.satisfied.question = "nothing".into();
        scheme.survey = Some(broken);
        assert!(
            scheme
                .problems()
                .iter()
                .any(|p| p.field == "survey.satisfied.question")
        );
    }
}
