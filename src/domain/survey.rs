//! The client satisfaction survey (满意度调查, DESIGN.md §10): the scheme's questionnaire, the
//! reproducible draw of the clients to call, and the rate from their answers. Pure: the caller
//! loads the client list and the calls.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use validator::{Validate, ValidationError};

use super::points::Points;

/// The scheme's `survey`: how many to call, the questions, and how the rate is read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SurveyDef {
    /// Clients to call (everyone when the list is shorter): 100 in guangzhou-2023.
    pub min_sample: i64,
    pub rate: RateKind,
    pub questions: Vec<Question>,
    pub satisfied: SatisfiedRule,
    /// The outline section whose text reports the rate (the third party's 服务成效 by default;
    /// 服务监测 in the 瑞宝街 outline).
    #[serde(default = "default_section")]
    pub section: String,
}

fn default_section() -> String {
    "outcomes".into()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RateKind {
    /// Satisfied ÷ reached, as a percentage.
    Share,
    /// The mean `score` (0–100) of the reached clients' answers to the satisfaction question.
    Mean,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Question {
    pub code: String,
    pub text: String,
    pub options: Vec<AnswerOption>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerOption {
    pub value: String,
    pub label: String,
    /// 0–100, for a `mean` rate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<Points>,
}

/// A reached client is satisfied when their answer to `question` is one of `values`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SatisfiedRule {
    pub question: String,
    pub values: Vec<String>,
}

/// A service user as the station lists them (PUT body and workbook row).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientInput {
    /// The station's own number for the client; the draw ranks clients by it (else by name and
    /// phone), so the same list draws the same clients in any evaluation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[validate(
        length(min = 1, max = 64, message = "编号须为 1 到 64 个字符"),
        custom(function = "super::text::one_line")
    )]
    pub key: Option<String>,
    #[validate(
        length(min = 1, max = 50, message = "请填写姓名（最多 50 字）"),
        custom(function = "super::text::one_line")
    )]
    pub name: String,
    #[validate(custom(function = "phone_number"))]
    pub phone: String,
    #[validate(
        length(min = 1, max = 50, message = "请填写所在社区（最多 50 字）"),
        custom(function = "super::text::one_line")
    )]
    pub community: String,
    /// 服务类别, e.g. 困难群众, 个案.
    #[validate(
        length(min = 1, max = 50, message = "请填写服务类别（最多 50 字）"),
        custom(function = "super::text::one_line")
    )]
    pub service: String,
    /// 首次服务日期.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_served: Option<NaiveDate>,
}

/// A phone number as people write it: 6 to 20 digits, with spaces, hyphens, a leading + and
/// parentheses allowed.
fn phone_number(value: &str) -> Result<(), ValidationError> {
    let digits = value.chars().filter(char::is_ascii_digit).count();
    let allowed = value
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '+' | '(' | ')'));
    if allowed && (6..=20).contains(&digits) && value.chars().count() <= 30 {
        Ok(())
    } else {
        let mut error = ValidationError::new("phone");
        error.message = Some("电话须为 6 到 20 位数字（可含空格、-、+、括号）".into());
        Err(error)
    }
}

impl ClientInput {
    /// What the draw ranks the client by: the station's number, else name and phone.
    pub fn draw_key(&self) -> String {
        match self.key.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
            Some(key) => key.to_owned(),
            None => format!("{}{UNIT_SEPARATOR}{}", self.name.trim(), self.phone.trim()),
        }
    }
}

/// The separator of the hashed parts: a character no key or seed typed by a person holds.
const UNIT_SEPARATOR: char = '\u{1f}';

/// SHA-256 of the clients' keys in their order, hex: what the audit log records of the list a
/// draw was made from.
pub fn list_digest(keys: &[String]) -> String {
    let mut hasher = Sha256::new();
    for key in keys {
        hasher.update(key.as_bytes());
        hasher.update([UNIT_SEPARATOR as u8]);
    }
    hex(&hasher.finalize())
}

/// The draw: the positions in `keys` of the `size` clients to call (all when fewer), in the
/// order of SHA-256(seed ‖ U+001F ‖ key), ties by key. A function of the keys and the seed only:
/// the same list and seed give the same clients in any evaluation, another seed another sample,
/// and nobody can choose whom to call.
pub fn draw(keys: &[String], seed: &str, size: usize) -> Vec<usize> {
    let mut ranked: Vec<(String, &String, usize)> = keys
        .iter()
        .enumerate()
        .map(|(position, key)| {
            let mut hasher = Sha256::new();
            hasher.update(seed.as_bytes());
            hasher.update([UNIT_SEPARATOR as u8]);
            hasher.update(key.as_bytes());
            (hex(&hasher.finalize()), key, position)
        })
        .collect();
    ranked.sort();
    ranked
        .into_iter()
        .take(size)
        .map(|(_, _, position)| position)
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Why a sampled client was not reached: what the calling sheet offers.
pub const UNREACHED_REASONS: [&str; 3] = ["空号", "无人接听", "拒访"];

/// The problems of one call as recorded: a reached client has no reason and answers only the
/// questionnaire's questions with their options; an unreached one has one of the reasons and no
/// answers. Field names as the request body's.
pub fn call_problems(
    survey: &SurveyDef,
    reached: bool,
    unreached_reason: Option<&str>,
    answers: &BTreeMap<String, String>,
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if reached {
        if unreached_reason.is_some() {
            out.push((
                "unreached_reason".into(),
                "已接通的访问不填未接通原因".into(),
            ));
        }
        for (code, value) in answers {
            let field = format!("answers.{code}");
            match survey.questions.iter().find(|q| q.code == *code) {
                None => out.push((field, format!("问卷中没有问题“{code}”"))),
                Some(q) if !q.options.iter().any(|o| o.value == *value) => {
                    out.push((field, format!("“{value}”不是“{}”的选项", q.text)))
                }
                Some(_) => {}
            }
        }
    } else {
        if !unreached_reason.is_some_and(|r| UNREACHED_REASONS.contains(&r)) {
            out.push((
                "unreached_reason".into(),
                format!("未接通须选择原因：{}", UNREACHED_REASONS.join("、")),
            ));
        }
        if !answers.is_empty() {
            out.push(("answers".into(), "未接通的访问没有答案".into()));
        }
    }
    out
}

/// How the reached clients answered one question: a count per option, in the options' order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct QuestionFigure {
    pub code: String,
    pub text: String,
    pub distribution: Vec<OptionCount>,
    /// Reached clients who did not answer this question.
    pub unanswered: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct OptionCount {
    pub value: String,
    pub label: String,
    pub count: i64,
}

/// Each question's distribution over the reached calls.
pub fn distributions(survey: &SurveyDef, calls: &[Call]) -> Vec<QuestionFigure> {
    let reached: Vec<&Call> = calls.iter().filter(|c| c.reached).collect();
    survey
        .questions
        .iter()
        .map(|question| {
            let answered = |value: &str| {
                reached
                    .iter()
                    .filter(|c| c.answers.get(&question.code).map(String::as_str) == Some(value))
                    .count() as i64
            };
            let distribution: Vec<OptionCount> = question
                .options
                .iter()
                .map(|o| OptionCount {
                    value: o.value.clone(),
                    label: o.label.clone(),
                    count: answered(&o.value),
                })
                .collect();
            let counted: i64 = distribution.iter().map(|o| o.count).sum();
            QuestionFigure {
                code: question.code.clone(),
                text: question.text.clone(),
                distribution,
                unanswered: reached.len() as i64 - counted,
            }
        })
        .collect()
}

/// One sampled client's call as the rate reads it.
pub struct Call<'a> {
    pub reached: bool,
    /// Question code → the value answered.
    pub answers: &'a BTreeMap<String, String>,
}

/// What the calls add up to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Figures {
    pub reached: i64,
    pub satisfied: i64,
    /// Percent, half-up at two places, over the reached; None before anyone is reached.
    pub rate: Option<Points>,
}

/// What a survey came to, as the report and the summaries say it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub sampled: i64,
    pub figures: Figures,
    pub kind: RateKind,
}

impl Outcome {
    /// The report's sentence, as the reference words it; None before anyone is reached.
    pub fn sentence(&self) -> Option<String> {
        let rate = self.figures.rate?;
        let how = match self.kind {
            RateKind::Share => format!("其中{}名表示满意", self.figures.satisfied),
            RateKind::Mean => "按受访服务对象满意度评分的平均值计".to_owned(),
        };
        Some(format!(
            "经对社工站提供的服务对象名册随机抽取{}名服务对象开展满意度调查，成功访问{}名，{how}，受访服务对象总体满意度为{rate}%。",
            self.sampled, self.figures.reached
        ))
    }
}

/// The rate of `calls` by the scheme's rule: with `share`, satisfied ÷ reached; with `mean`, the
/// mean score of the reached clients' answers to the satisfaction question (those who did not
/// answer it left out).
pub fn figures(survey: &SurveyDef, calls: &[Call]) -> Figures {
    let reached: Vec<&Call> = calls.iter().filter(|c| c.reached).collect();
    let rule = &survey.satisfied;
    let answers: Vec<&str> = reached
        .iter()
        .filter_map(|c| c.answers.get(&rule.question).map(String::as_str))
        .collect();
    let satisfied = answers
        .iter()
        .filter(|a| rule.values.iter().any(|v| v == *a))
        .count() as i64;
    let count = reached.len() as i64;
    let rate = match survey.rate {
        RateKind::Share => Points::from_hundredths(satisfied * 100)
            .percent_of(Points::from_hundredths(count * 100)),
        RateKind::Mean => {
            let options = survey
                .questions
                .iter()
                .find(|q| q.code == rule.question)
                .map(|q| q.options.as_slice())
                .unwrap_or_default();
            let scores: Vec<Points> = answers
                .iter()
                .filter_map(|a| options.iter().find(|o| o.value == *a))
                .filter_map(|o| o.score)
                .collect();
            let total: i128 = scores.iter().map(|s| i128::from(s.hundredths())).sum();
            Points::rounded_ratio(total, scores.len() as i128)
        }
    };
    Figures {
        reached: count,
        satisfied,
        rate,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    fn keys(n: usize) -> Vec<String> {
        (1..=n).map(|i| format!("client-{i:03}")).collect()
    }

    fn survey(rate: RateKind) -> SurveyDef {
        let option = |value: &str, label: &str, score: i64| AnswerOption {
            value: value.into(),
            label: label.into(),
            score: Some(Points::from_hundredths(score * 100)),
        };
        SurveyDef {
            min_sample: 100,
            rate,
            questions: vec![Question {
                code: "overall".into(),
                text: "您对社工站的服务总体是否满意？".into(),
                options: vec![
                    option("very", "非常满意", 100),
                    option("yes", "满意", 80),
                    option("fair", "一般", 60),
                    option("no", "不满意", 0),
                ],
            }],
            satisfied: SatisfiedRule {
                question: "overall".into(),
                values: vec!["very".into(), "yes".into()],
            },
            section: default_section(),
        }
    }

    #[test]
    fn a_call_answers_the_questionnaire_or_says_why_not() {
        let survey = survey(RateKind::Share);
        let said = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs
                .iter()
                .map(|(q, a)| ((*q).to_owned(), (*a).to_owned()))
                .collect()
        };
        let fields = |reached, reason, answers: &[(&str, &str)]| -> Vec<String> {
            call_problems(&survey, reached, reason, &said(answers))
                .into_iter()
                .map(|(field, _)| field)
                .collect()
        };
        assert!(fields(true, None, &[("overall", "yes")]).is_empty());
        assert!(fields(false, Some("空号"), &[]).is_empty());
        assert_eq!(
            fields(true, None, &[("overall", "maybe")]),
            ["answers.overall"]
        );
        assert_eq!(fields(true, None, &[("other", "yes")]), ["answers.other"]);
        assert_eq!(fields(true, Some("拒访"), &[]), ["unreached_reason"]);
        assert_eq!(fields(false, None, &[]), ["unreached_reason"]);
        assert_eq!(fields(false, Some("忙"), &[]), ["unreached_reason"]);
        assert_eq!(
            fields(false, Some("拒访"), &[("overall", "yes")]),
            ["answers"]
        );
    }

    #[test]
    fn each_question_counts_its_options_over_the_reached() {
        let yes = BTreeMap::from([("overall".to_owned(), "yes".to_owned())]);
        let very = BTreeMap::from([("overall".to_owned(), "very".to_owned())]);
        let nothing = BTreeMap::new();
        let call = |reached, answers| Call { reached, answers };
        let calls = [
            call(true, &yes),
            call(true, &yes),
            call(true, &very),
            call(true, &nothing),
            call(false, &nothing),
        ];
        let figures = distributions(&survey(RateKind::Share), &calls);
        let counts: Vec<i64> = figures[0].distribution.iter().map(|o| o.count).collect();
        assert_eq!(counts, [1, 2, 0, 0]);
        assert_eq!(figures[0].unanswered, 1);
    }

    /// `reached` calls answering `overall` with each of `answers`, then `unreached` calls.
    fn rate_of(rate: RateKind, answers: &[&str], unreached: usize) -> Figures {
        let said: Vec<BTreeMap<String, String>> = answers
            .iter()
            .map(|a| BTreeMap::from([("overall".to_owned(), (*a).to_owned())]))
            .collect();
        let nothing = BTreeMap::new();
        let mut calls: Vec<Call> = said
            .iter()
            .map(|answers| Call {
                reached: true,
                answers,
            })
            .collect();
        calls.extend((0..unreached).map(|_| Call {
            reached: false,
            answers: &nothing,
        }));
        figures(&survey(rate), &calls)
    }

    #[test]
    fn a_draw_takes_distinct_clients_up_to_the_size_or_everyone() {
        let list = keys(250);
        let drawn = draw(&list, "2025-03-10 瑞宝街", 100);
        assert_eq!(drawn.len(), 100);
        assert_eq!(drawn.iter().collect::<HashSet<_>>().len(), 100);
        assert!(drawn.iter().all(|&p| p < 250));
        let few = keys(40);
        let mut all = draw(&few, "seed", 100);
        all.sort_unstable();
        assert_eq!(all, (0..40).collect::<Vec<_>>());
    }

    #[test]
    fn the_same_list_and_seed_give_the_same_clients_and_another_seed_another() {
        let list = keys(250);
        let chosen = |seed: &str| -> Vec<String> {
            draw(&list, seed, 100)
                .into_iter()
                .map(|p| list[p].clone())
                .collect()
        };
        assert_eq!(chosen("a"), chosen("a"));
        assert_ne!(chosen("a"), chosen("b"));
        // The list's order does not matter: the same clients, listed backwards.
        let backwards: Vec<String> = list.iter().rev().cloned().collect();
        let again: Vec<String> = draw(&backwards, "a", 100)
            .into_iter()
            .map(|p| backwards[p].clone())
            .collect();
        assert_eq!(again, chosen("a"));
    }

    #[test]
    fn clients_are_checked_and_keyed() {
        let client = |key: Option<&str>, phone: &str| ClientInput {
            key: key.map(str::to_owned),
            name: "张*诺".into(),
            phone: phone.into(),
            community: "宝岗社区".into(),
            service: "困难群众".into(),
            first_served: None,
        };
        assert!(client(None, "020-8888 1234").validate().is_ok());
        assert!(client(None, "+86 138 0000 0000").validate().is_ok());
        for bad in ["12345", "一三八", "138000000001380000000", ""] {
            let errors = client(None, bad).validate().expect_err(bad);
            assert!(errors.field_errors().contains_key("phone"), "{bad}");
        }
        assert_eq!(client(Some(" A-17 "), "13800000000").draw_key(), "A-17");
        assert_eq!(
            client(None, "13800000000").draw_key(),
            "张*诺\u{1f}13800000000"
        );
    }

    #[test]
    fn the_digest_names_the_list() {
        let list = keys(3);
        assert_eq!(list_digest(&list), list_digest(&keys(3)));
        assert_ne!(list_digest(&list), list_digest(&keys(4)));
        assert_eq!(list_digest(&list).len(), 64);
    }

    #[test]
    fn the_share_is_over_the_reached_half_up() {
        let mut answers = vec!["yes"; 92];
        answers.extend(["no"; 8]);
        let figures = rate_of(RateKind::Share, &answers, 5);
        assert_eq!((figures.reached, figures.satisfied), (100, 92));
        assert_eq!(figures.rate, Some(Points::from_hundredths(9_200)));
        let third = rate_of(RateKind::Share, &["very", "fair", "no"], 0);
        assert_eq!(third.rate, Some(Points::from_hundredths(3_333)));
        let two_thirds = rate_of(RateKind::Share, &["very", "yes", "no"], 0);
        assert_eq!(two_thirds.rate, Some(Points::from_hundredths(6_667)));
        assert_eq!(rate_of(RateKind::Share, &[], 3).rate, None);
    }

    #[test]
    fn the_report_says_the_rate_once_someone_is_reached() {
        let outcome = |kind, answers: &[&str]| Outcome {
            sampled: 100,
            figures: rate_of(kind, answers, 2),
            kind,
        };
        assert_eq!(
            outcome(RateKind::Share, &["yes", "no", "very"])
                .sentence()
                .as_deref(),
            Some(
                "经对社工站提供的服务对象名册随机抽取100名服务对象开展满意度调查，成功访问3名，其中2名表示满意，受访服务对象总体满意度为66.67%。"
            )
        );
        let mean = outcome(RateKind::Mean, &["very", "yes"]).sentence();
        assert!(mean.is_some_and(|s| s.contains("平均值计，受访服务对象总体满意度为90.00%")));
        assert_eq!(outcome(RateKind::Share, &[]).sentence(), None);
    }

    #[test]
    fn the_mean_is_the_mean_score_half_up() {
        // 7 × 100 + 2 × 80 + 1 × 60 over ten answers.
        let mut answers = vec!["very"; 7];
        answers.extend(["yes"; 2]);
        answers.push("fair");
        let figures = rate_of(RateKind::Mean, &answers, 4);
        assert_eq!((figures.reached, figures.satisfied), (10, 9));
        assert_eq!(figures.rate, Some(Points::from_hundredths(9_200)));
        let mean = |answers: &[&str]| rate_of(RateKind::Mean, answers, 0).rate;
        assert_eq!(
            mean(&["very", "very", "yes"]),
            Some(Points::from_hundredths(9_333))
        );
        assert_eq!(
            mean(&["very", "yes", "yes"]),
            Some(Points::from_hundredths(8_667))
        );
        assert_eq!(mean(&[]), None);
    }
}
