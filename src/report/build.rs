//! Builds the report model from an evaluation's data, following the scheme's outline. Pure: the
//! caller loads `ReportInput`; nothing here touches the database.

use chrono::NaiveDate;

use super::model::{Block, Cell, CoverLine, Report, Section, Table, chinese_number};
use crate::domain::components::{Concern, Strength};
use crate::domain::indicators::IndicatorTable;
use crate::domain::organization::OrgKind;
use crate::domain::points::Points;
use crate::domain::rectification::ItemStatus;
use crate::domain::scheme::{IndicatorDef, IndicatorScope, STATION_PARTY, Scheme};
use crate::domain::staffing::{Metrics, Month, MonthSubtotal, RosterWorker};
use crate::domain::survey::Outcome;

/// Everything a report says, loaded by the caller.
pub struct ReportInput<'a> {
    pub scheme: &'a Scheme,
    pub station_name: String,
    /// 中期评估 / 末期评估
    pub kind_name: &'static str,
    pub address: Option<String>,
    /// Since when the operator runs the station.
    pub operating_since: Option<NaiveDate>,
    /// The parties' organizations by scheme party code, and `STATION_PARTY` for the operator.
    pub organizations: Vec<PartyOrganization>,
    pub zones: Vec<ZoneFacts>,
    pub agreement_period: (NaiveDate, NaiveDate),
    /// The agreement's funding in fen (分).
    pub funding_fen: i64,
    /// The agreement's required staff, and of them certified.
    pub required_staff: (i64, i64),
    pub assessment_period: (NaiveDate, NaiveDate),
    pub months_counted: Points,
    pub onsite_date: NaiveDate,
    pub comments: Vec<PartyComments>,
    pub results: Results,
    pub indicators: IndicatorTable,
    pub period: Vec<Month>,
    pub roster: Vec<RosterWorker>,
    pub subtotals: Vec<MonthSubtotal>,
    pub metrics: Metrics,
    pub feedback: Vec<FeedbackRound>,
    pub rectifications: Vec<RectificationFacts>,
    /// The satisfaction survey, where the scheme has one and the agency drew.
    pub survey: Option<Outcome>,
    /// None for a draft; the draft number is `version`.
    pub approval: Option<Approval>,
    pub version: i64,
    /// 报告编号 (`model::report_number`).
    pub number: Option<String>,
}

pub struct PartyOrganization {
    pub party: String,
    /// 简称: headings and running text.
    pub name: String,
    /// 全称: formal text — the cover, 基本情况, the agency's credit — where set.
    pub full_name: String,
}

pub struct ZoneFacts {
    pub id: i64,
    pub name: String,
    pub communities: Vec<String>,
}

pub struct PartyComments {
    pub party: String,
    pub strengths: Vec<Strength>,
    pub concerns: Vec<Concern>,
    pub passed: Option<bool>,
    pub gate_reason: Option<String>,
    /// The third party's 结语.
    pub conclusion: Option<String>,
}

pub struct Results {
    /// (party code, weighted score or gate result) in scheme order.
    pub lines: Vec<(String, Option<Points>, Option<bool>)>,
    pub total: Option<Points>,
    pub grade: Option<String>,
    pub gate_failed: bool,
}

/// The feedback given on one draft version.
pub struct FeedbackRound {
    pub version: i64,
    pub entries: Vec<FeedbackFacts>,
}

pub struct FeedbackFacts {
    pub organization: String,
    pub no_objection: bool,
    /// Silence past the deadline, counted as no objection.
    pub deemed: bool,
    pub remarks: Option<String>,
    pub objections: Vec<ObjectionFacts>,
}

pub struct ObjectionFacts {
    pub section: Option<String>,
    pub text: String,
    /// accepted, rejected, or none yet
    pub decision: Option<String>,
    pub reply: Option<String>,
}

pub struct RectificationFacts {
    pub text: String,
    pub status: ItemStatus,
    pub action_taken: Option<String>,
    /// The day the agency verified it, once verified.
    pub verified_on: Option<NaiveDate>,
}

pub struct Approval {
    pub organization: String,
    pub by: String,
    /// The day, where deadlines end (`server.timezone`).
    pub on: NaiveDate,
}

/// "2025年5月13日"
pub fn chinese_date(date: NaiveDate) -> String {
    date.format("%Y年%-m月%-d日").to_string()
}

/// A figure as the annexes print it: whole numbers without decimals, "783.5" not "783.50".
pub fn figure(value: Points) -> String {
    let text = value.to_string();
    match text.split_once('.') {
        Some((whole, "00")) => whole.to_owned(),
        Some((whole, fraction)) => format!("{whole}.{}", fraction.trim_end_matches('0')),
        None => text,
    }
}

fn percent(value: Option<Points>) -> String {
    value.map_or_else(|| "/".to_owned(), |p| format!("{p}%"))
}

impl ReportInput<'_> {
    fn party_organization(&self, party: &str) -> Option<&PartyOrganization> {
        self.organizations.iter().find(|o| o.party == party)
    }

    fn organization(&self, party: &str) -> String {
        self.party_organization(party)
            .map(|o| o.name.clone())
            .unwrap_or_default()
    }

    /// The full name (全称) of the party's organization, else its name.
    fn formal(&self, party: &str) -> String {
        self.party_organization(party)
            .map(|o| {
                if o.full_name.trim().is_empty() {
                    o.name.clone()
                } else {
                    o.full_name.clone()
                }
            })
            .unwrap_or_default()
    }

    /// The party standing for the organizations of this kind: its scoring party, else a gate
    /// (a scheme may keep the bureau behind a gate only).
    fn party_of_kind(&self, kind: OrgKind) -> Option<&str> {
        let of_kind = || self.scheme.parties.iter().filter(|p| p.org_kind == kind);
        of_kind()
            .filter(|p| !p.gate)
            .chain(of_kind().filter(|p| p.gate))
            .map(|p| p.code.as_str())
            .find(|code| !self.organization(code).is_empty())
    }

    /// The bureau that supervises the station, by its full name when `formal`.
    fn supervisor(&self, formal: bool) -> String {
        self.named(self.party_of_kind(OrgKind::CivilAffairsBureau), formal)
    }

    /// The street office that buys the service, by its full name when `formal`.
    fn purchaser(&self, formal: bool) -> String {
        self.named(self.party_of_kind(OrgKind::StreetOffice), formal)
    }

    fn named(&self, party: Option<&str>, formal: bool) -> String {
        match party {
            Some(code) if formal => self.formal(code),
            Some(code) => self.organization(code),
            None => String::new(),
        }
    }

    fn third_party(&self) -> Option<&str> {
        self.scheme.third_party().map(|p| p.code.as_str())
    }

    fn comments_of(&self, party: &str) -> Option<&PartyComments> {
        self.comments.iter().find(|c| c.party == party)
    }

    /// A scheme's text with this evaluation's names in it: {kind} (中期评估), {station},
    /// {supervisor} and {purchaser} (short names, as running text names them).
    fn filled(&self, text: &str) -> String {
        text.replace("{kind}", self.kind_name)
            .replace("{station}", &self.station_name)
            .replace("{supervisor}", &self.supervisor(false))
            .replace("{purchaser}", &self.purchaser(false))
    }

    /// The scheme's fixed text `key`, filled in (`filled`); empty when the scheme has none.
    fn text(&self, key: &str) -> String {
        self.scheme
            .texts
            .get(key)
            .map(|t| self.filled(t))
            .unwrap_or_default()
    }
}

/// The report of the input's evaluation, section by section in the outline's order; a section
/// with nothing to say (no earlier evaluation to follow up) is left out and the numbering closes up.
pub fn build(input: &ReportInput) -> Report {
    let title = format!("{} {}报告", input.station_name, input.kind_name);
    let mut cover = vec![
        line("项目监督方", input.supervisor(true)),
        line("项目购买方", input.purchaser(true)),
        line("项目承办方", input.formal(STATION_PARTY)),
        line(
            "项目评估方",
            input
                .third_party()
                .map(|p| input.formal(p))
                .unwrap_or_default(),
        ),
        line("评估日期", chinese_date(input.onsite_date)),
    ];
    if let Some(approval) = &input.approval {
        cover.push(line(
            "审定",
            format!(
                "{}（{}，{}）",
                approval.organization,
                approval.by,
                chinese_date(approval.on)
            ),
        ));
    }
    let mut sections = Vec::new();
    let mut counters = [0_usize; 3];
    for outline in &input.scheme.outline {
        let level = depth(input.scheme, &outline.code);
        let blocks = blocks_of(input, &outline.code);
        let annex = outline.code.starts_with("annex");
        if blocks.is_none() {
            continue;
        }
        let number = if annex {
            String::new()
        } else {
            let index = usize::from(level - 1);
            counters[index] += 1;
            for deeper in counters.iter_mut().skip(index + 1) {
                *deeper = 0;
            }
            match level {
                1 => format!("{}、", chinese_number(counters[0])),
                2 => format!("（{}）", chinese_number(counters[1])),
                _ => format!("{}.", counters[2]),
            }
        };
        let party_title = input
            .scheme
            .parties
            .iter()
            .find(|p| p.code == outline.code && input.third_party() != Some(p.code.as_str()))
            .map(|p| format!("{}（{}）", outline.title, input.organization(&p.code)));
        sections.push(Section {
            code: outline.code.clone(),
            level,
            number,
            title: party_title.unwrap_or_else(|| input.filled(&outline.title)),
            annex,
            blocks: blocks.unwrap_or_default(),
        });
    }
    list_annexes(&mut sections);
    Report {
        title,
        subtitle: input
            .approval
            .is_none()
            .then(|| format!("征求意见稿（第 {} 稿）", input.version)),
        number: input.number.clone(),
        cover,
        sections,
        people: input.roster.iter().map(|w| w.name.clone()).collect(),
    }
}

/// The list of annexes at the end of the body, as filed reports close: "附件：" then
/// "1.指标完成情况统计表", … (each annex's title without its "附件N：").
fn list_annexes(sections: &mut [Section]) {
    let annexes: Vec<String> = sections
        .iter()
        .filter(|s| s.annex)
        .enumerate()
        .map(|(index, s)| {
            let title = s
                .title
                .split_once('：')
                .filter(|(prefix, _)| prefix.starts_with("附件"))
                .map_or(s.title.as_str(), |(_, title)| title);
            format!("{}.{title}", index + 1)
        })
        .collect();
    if annexes.is_empty() {
        return;
    }
    if let Some(last) = sections.iter_mut().rev().find(|s| !s.annex) {
        last.blocks.push(Block::Label {
            text: "附件：".into(),
        });
        last.blocks.push(Block::Items { items: annexes });
    }
}

fn line(label: &str, value: String) -> CoverLine {
    CoverLine {
        label: label.to_owned(),
        value,
    }
}

fn depth(scheme: &Scheme, code: &str) -> u8 {
    let mut level = 1;
    let mut current = code;
    while let Some(parent) = scheme
        .outline
        .iter()
        .find(|s| s.code == current)
        .and_then(|s| s.parent.as_deref())
    {
        level += 1;
        current = parent;
    }
    level.min(3)
}

/// What a section says; None leaves it out. The section the scheme's survey names opens with
/// the survey's rate.
fn blocks_of(input: &ReportInput, code: &str) -> Option<Vec<Block>> {
    let said = section_blocks(input, code);
    let survey = input
        .scheme
        .survey
        .as_ref()
        .filter(|s| s.section == code)
        .and(input.survey.as_ref())
        .and_then(Outcome::sentence);
    match survey {
        Some(text) => {
            let mut blocks = vec![Block::Paragraph { text }];
            blocks.extend(said.unwrap_or_default());
            Some(blocks)
        }
        None => said,
    }
}

fn section_blocks(input: &ReportInput, code: &str) -> Option<Vec<Block>> {
    let third = input.third_party();
    Some(match code {
        "basic_info" => basic_info(input),
        "method" => method(input),
        "background" => background(input),
        "grade" => grade(input),
        "indicators" => indicators_paragraph(input),
        "zones" => zones(input),
        "rectification" if input.rectifications.is_empty() => return None,
        "rectification" => rectification(input),
        // The record of feedback and answers: a body section, or an annex (2023 v2).
        "feedback" | "annex_feedback" => feedback(input),
        "results" => results(input),
        "closing" => {
            let text = third
                .and_then(|t| input.comments_of(t))
                .and_then(|c| c.conclusion.as_deref())
                .filter(|t| !t.trim().is_empty())?;
            paragraphs(text)
        }
        "annex_indicators" => annex_indicators(input),
        "annex_staff" => annex_staff(input),
        party if input.scheme.parties.iter().any(|p| p.code == party) => {
            party_section(input, party)
        }
        // A section of the third party's own (项目管理, 服务成效, …): left out when it has
        // nothing to say and no subsections.
        section => {
            let said = third
                .map(|t| comments(input, t, |s, z| s == Some(section) && z.is_empty()))
                .unwrap_or_default();
            let parent = input
                .scheme
                .outline
                .iter()
                .any(|o| o.parent.as_deref() == Some(section));
            if said.is_empty() && !parent {
                return None;
            }
            said
        }
    })
}

fn paragraphs(text: &str) -> Vec<Block> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| Block::Paragraph { text: l.to_owned() })
        .collect()
}

fn numbered(items: impl IntoIterator<Item = String>) -> Vec<String> {
    items
        .into_iter()
        .enumerate()
        .map(|(i, text)| format!("{}.{text}", i + 1))
        .collect()
}

fn basic_info(input: &ReportInput) -> Vec<Block> {
    let (start, end) = input.agreement_period;
    let located = input
        .address
        .as_deref()
        .map(|a| format!("位于{a}，"))
        .unwrap_or_default();
    let communities: usize = input.zones.iter().map(|z| z.communities.len()).sum();
    let served = if communities > 0 {
        format!("辖内共有{communities}个社区，")
    } else {
        String::new()
    };
    let since = input
        .operating_since
        .map(|d| format!("自{}起", d.format("%Y年%-m月")))
        .unwrap_or_default();
    let (required, certified) = input.required_staff;
    let on_post = input
        .subtotals
        .last()
        .map(|m| format!("，评估期末月在岗社工{}名", m.total_heads))
        .unwrap_or_default();
    vec![Block::Paragraph {
        text: format!(
            "{}（以下简称“社工站”）{located}{since}由{}承接运营。经{}采购，本年度服务协议期自{}至{}，协议经费{}万元，要求配备社工{required}名（其中持证社工{certified}名）{on_post}。社工站{served}根据辖区实际情况和购买方需求，划分了{}个片区开展社会工作专业服务。",
            input.station_name,
            input.formal(STATION_PARTY),
            input.purchaser(true),
            chinese_date(start),
            chinese_date(end),
            ten_thousand_yuan(input.funding_fen),
            chinese_number(input.zones.len()),
        ),
    }]
}

/// Fen as 万元 with two places, half-up: 120000000 → "120.00".
fn ten_thousand_yuan(fen: i64) -> Points {
    let hundredths = if fen >= 0 {
        (fen + 5_000) / 10_000
    } else {
        (fen - 5_000) / 10_000
    };
    Points::from_hundredths(hundredths)
}

fn method(input: &ReportInput) -> Vec<Block> {
    let mut blocks = vec![Block::Label {
        text: "（一）评估依据".into(),
    }];
    blocks.extend(paragraphs(&input.text("basis")));
    blocks.push(Block::Label {
        text: "（二）评估原则".into(),
    });
    blocks.push(Block::Items {
        items: numbered(input.text("principles").lines().map(str::to_owned)),
    });
    blocks.push(Block::Label {
        text: "（三）评估团队".into(),
    });
    let agency = input
        .third_party()
        .map(|p| input.formal(p))
        .unwrap_or_default();
    blocks.push(Block::Paragraph {
        text: format!(
            "受{}委托，{agency}负责本年度社工站购买服务项目第三方专业评估工作，组织专家评委专项评估小组，于{}到{}进行现场评估。",
            input.supervisor(false),
            chinese_date(input.onsite_date),
            input.station_name,
        ),
    });
    blocks.push(Block::Label {
        text: "（四）评估方式".into(),
    });
    blocks.push(Block::Items {
        items: numbered(input.text("methods").lines().map(str::to_owned)),
    });
    blocks.push(Block::Label {
        text: "（五）评估结果说明".into(),
    });
    blocks.extend(result_explanation(input.scheme));
    blocks
}

/// 中期评估背景, as the 评估总结 outline opens: the day and the team, what the team did, then
/// the basis, principles, stages, contents and how the result is read.
fn background(input: &ReportInput) -> Vec<Block> {
    let agency = input
        .third_party()
        .map(|p| input.formal(p))
        .unwrap_or_default();
    let station = &input.station_name;
    let mut blocks = vec![
        Block::Paragraph {
            text: format!(
                "{}，{agency}组织评估专家对{station}展开了{}工作。评估主要通过听取社工站介绍、实地考察、查阅资料、面谈（访谈）、填写问卷等形式，对{station}的项目管理、服务开展情况以及项目成效等方面进行评估。评估团队主要完成了以下几方面的工作：",
                chinese_date(input.onsite_date),
                input.kind_name,
            ),
        },
        Block::Items {
            items: numbered(input.text("methods").lines().map(str::to_owned)),
        },
    ];
    for (label, key) in [
        ("（一）评估依据", "basis"),
        ("（二）评估原则", "principles"),
        ("（三）评估阶段", "stages"),
        ("（四）评估内容", "contents"),
    ] {
        blocks.push(Block::Label { text: label.into() });
        blocks.push(Block::Items {
            items: numbered(input.text(key).lines().map(str::to_owned)),
        });
    }
    blocks.push(Block::Label {
        text: "（五）评估结果说明".into(),
    });
    blocks.extend(result_explanation(input.scheme));
    blocks
}

/// How the total is made and read: each party's share, the gates, the grades' ranges.
fn result_explanation(scheme: &Scheme) -> Vec<Block> {
    let scoring: Vec<String> = scheme
        .parties
        .iter()
        .filter(|p| !p.gate)
        .map(|p| {
            let share = p.weight.percent_of(scheme.total).unwrap_or(Points::ZERO);
            format!("{}评估分值占{}%", p.name, figure(share))
        })
        .collect();
    let gates: Vec<String> = scheme
        .parties
        .iter()
        .filter(|p| p.gate)
        .map(|p| format!("{}实行一票否决，未通过的评估等级为不合格", p.name))
        .collect();
    let mut explanation = format!(
        "社工站项目评估分值由各方评估分数的总和确定。评估总分为{}分，其中，{}。",
        figure(scheme.total),
        scoring.join("，")
    );
    if !gates.is_empty() {
        explanation.push_str(&format!("{}。", gates.join("；")));
    }
    let mut bands: Vec<_> = scheme.bands.iter().collect();
    bands.sort_by_key(|b| std::cmp::Reverse(b.min));
    let names: Vec<&str> = bands.iter().map(|b| b.name.as_str()).collect();
    let mut ranges = Vec::new();
    for (i, band) in bands.iter().enumerate() {
        let min = figure(band.min);
        ranges.push(match i {
            0 => format!("评估分值{min}分以上为{}", band.name),
            _ if i == bands.len() - 1 => format!(
                "{}分以下（不含{}分）为{}",
                figure(bands[i - 1].min),
                figure(bands[i - 1].min),
                band.name
            ),
            _ => format!(
                "{min}分至{}分（不含{}分）为{}",
                figure(bands[i - 1].min),
                figure(bands[i - 1].min),
                band.name
            ),
        });
    }
    vec![
        Block::Paragraph { text: explanation },
        Block::Paragraph {
            text: format!(
                "评估等级分为{}{}个等级。{}。",
                names.join("、"),
                chinese_number(names.len()),
                ranges.join("，")
            ),
        },
    ]
}

/// Strengths and concerns of `party` chosen by (section, zones), under run-in labels.
fn comments(
    input: &ReportInput,
    party: &str,
    keep: impl Fn(Option<&str>, &[i64]) -> bool,
) -> Vec<Block> {
    let Some(found) = input.comments_of(party) else {
        return Vec::new();
    };
    let strengths: Vec<String> = found
        .strengths
        .iter()
        .filter(|s| keep(s.section.as_deref(), &s.zones()))
        .map(|s| s.text.clone())
        .collect();
    let concerns: Vec<String> = found
        .concerns
        .iter()
        .filter(|c| keep(c.section.as_deref(), &c.zones()))
        .map(
            |c| match c.suggestion.as_deref().filter(|s| !s.trim().is_empty()) {
                Some(suggestion) => format!("{}建议：{suggestion}", c.text),
                None => c.text.clone(),
            },
        )
        .collect();
    let mut blocks = Vec::new();
    if !strengths.is_empty() {
        blocks.push(Block::Label {
            text: "值得肯定的地方：".into(),
        });
        blocks.push(Block::Items {
            items: numbered(strengths),
        });
    }
    if !concerns.is_empty() {
        blocks.push(Block::Label {
            text: "需要关注的地方：".into(),
        });
        blocks.push(Block::Items {
            items: numbered(concerns),
        });
    }
    blocks
}

fn party_section(input: &ReportInput, party: &str) -> Vec<Block> {
    let Some(scheme_party) = input.scheme.parties.iter().find(|p| p.code == party) else {
        return Vec::new();
    };
    let found = input.comments_of(party);
    if scheme_party.gate {
        let result = match found.and_then(|c| c.passed) {
            Some(true) => "通过",
            Some(false) => "未通过",
            None => "尚未记录",
        };
        let mut text = format!("{}结果：{result}。", scheme_party.name);
        if let Some(reason) = found.and_then(|c| c.gate_reason.as_deref()) {
            text.push_str(reason);
        }
        return vec![Block::Paragraph { text }];
    }
    if input.third_party() == Some(party) {
        let (start, end) = input.assessment_period;
        let (agreement_start, agreement_end) = input.agreement_period;
        let mut blocks = vec![Block::Paragraph {
            text: format!(
                "社工站本年度协议期为{}至{}，本次评估考核期为{}至{}，共计考核{}个月。",
                chinese_date(agreement_start),
                chinese_date(agreement_end),
                chinese_date(start),
                chinese_date(end),
                figure(input.months_counted)
            ),
        }];
        blocks.extend(comments(input, party, |s, z| {
            (s.is_none() || s == Some(party)) && z.is_empty()
        }));
        return blocks;
    }
    let mut blocks = vec![Block::Label {
        text: "（一）值得肯定的地方：".into(),
    }];
    let strengths: Vec<String> = found
        .map(|c| c.strengths.iter().map(|s| s.text.clone()).collect())
        .unwrap_or_default();
    if strengths.is_empty() {
        blocks.push(Block::Paragraph {
            text: "本次评估没有列出值得肯定的地方。".into(),
        });
    } else {
        blocks.push(Block::Items {
            items: numbered(strengths),
        });
    }
    blocks.push(Block::Label {
        text: "（二）需要关注的地方：".into(),
    });
    let concerns: Vec<String> = found
        .map(|c| {
            c.concerns
                .iter()
                .map(|c| match c.suggestion.as_deref() {
                    Some(s) if !s.trim().is_empty() => format!("{}建议：{s}", c.text),
                    _ => c.text.clone(),
                })
                .collect()
        })
        .unwrap_or_default();
    if concerns.is_empty() {
        let short = scheme_party
            .name
            .split(['（', '('])
            .next()
            .unwrap_or(&scheme_party.name);
        blocks.push(Block::Paragraph {
            text: format!("本次评估{short}没有提出需要关注的地方。"),
        });
    } else {
        blocks.push(Block::Items {
            items: numbered(concerns),
        });
    }
    blocks
}

/// "评估期末月，社工站完成困难群众和特殊群体建档1533人，…，分别完成协议指标量的100.00%、…。"
fn indicators_paragraph(input: &ReportInput) -> Vec<Block> {
    // The zones' indicators: the station-wide ones (品牌创建 …) are not counts of service.
    let of_zones = |code: &str| {
        input
            .scheme
            .indicators
            .iter()
            .any(|i| i.code == code && i.scope == IndicatorScope::Zone)
    };
    let totals: Vec<_> = input
        .indicators
        .totals
        .iter()
        .filter(|t| t.completed.is_some() && of_zones(&t.indicator))
        .collect();
    if totals.is_empty() {
        return vec![Block::Paragraph {
            text: "社工站尚未填报服务指标完成情况。".into(),
        }];
    }
    let unit = |code: &str| {
        input
            .scheme
            .indicators
            .iter()
            .find(|i| i.code == code)
            .map(|i| i.unit.clone())
            .unwrap_or_default()
    };
    let done: Vec<String> = totals
        .iter()
        .map(|t| {
            format!(
                "{}{}{}",
                t.name,
                figure(t.completed.unwrap_or(Points::ZERO)),
                unit(&t.indicator)
            )
        })
        .collect();
    let shares: Vec<String> = totals.iter().map(|t| percent(t.percent)).collect();
    // Where the zones' figures are: the annex of the indicators, by its number in the outline.
    let annex = input
        .scheme
        .outline
        .iter()
        .find(|s| s.code == "annex_indicators")
        .and_then(|s| s.title.split_once('：'))
        .map(|(number, _)| format!("，各片区指标完成情况见{number}"))
        .unwrap_or_default();
    vec![Block::Paragraph {
        text: format!(
            "评估期末月，社工站完成{}，分别完成协议指标量的{}。（以上数据统计共计{}个考核月份，由社工服务站提供{annex}）",
            done.join("，"),
            shares.join("、"),
            figure(input.months_counted),
        ),
    }]
}

fn zones(input: &ReportInput) -> Vec<Block> {
    let third = input.third_party().unwrap_or_default();
    let listing: Vec<String> = input
        .zones
        .iter()
        .map(|z| format!("{}：{}", z.name, z.communities.join("、")))
        .collect();
    let mut blocks = vec![Block::Paragraph {
        text: format!(
            "社工站根据辖区实际情况和购买方需求，划分了{}个片区开展社会工作专业服务。{}。",
            chinese_number(input.zones.len()),
            listing.join("；")
        ),
    }];
    // Zones spoken of together (片区二、片区三) share one subsection, in the order of their
    // first zone.
    let order = |id: &i64| input.zones.iter().position(|z| z.id == *id);
    let mut groups: Vec<Vec<i64>> = Vec::new();
    if let Some(said) = input.comments_of(third) {
        let sets = said
            .strengths
            .iter()
            .map(|s| s.zones())
            .chain(said.concerns.iter().map(|c| c.zones()));
        for mut set in sets.filter(|set| !set.is_empty()) {
            set.sort_by_key(order);
            if !groups.contains(&set) {
                groups.push(set);
            }
        }
    }
    groups.sort_by_key(|set| set.first().and_then(order));
    for (index, group) in groups.iter().enumerate() {
        let names: Vec<&str> = group
            .iter()
            .filter_map(|id| input.zones.iter().find(|z| z.id == *id))
            .map(|z| z.name.as_str())
            .collect();
        blocks.push(Block::Label {
            text: format!("{}.{}社工点服务情况", index + 1, names.join("、")),
        });
        blocks.extend(comments(input, third, |_, z| {
            let mut z = z.to_vec();
            z.sort_by_key(order);
            z == *group
        }));
    }
    blocks
}

fn rectification(input: &ReportInput) -> Vec<Block> {
    let items = input.rectifications.iter().map(|r| {
        let status = match r.verified_on {
            Some(on) => format!("{}（{}）", r.status.chinese_name(), chinese_date(on)),
            None => r.status.chinese_name().to_owned(),
        };
        match r.action_taken.as_deref().filter(|a| !a.trim().is_empty()) {
            Some(action) => format!("{}（整改情况：{status}。{action}）", r.text),
            None => format!("{}（整改情况：{status}）", r.text),
        }
    });
    vec![
        Block::Paragraph {
            text: "上期评估提出的需要关注的地方及其整改情况如下：".into(),
        },
        Block::Items {
            items: numbered(items),
        },
    ]
}

fn feedback(input: &ReportInput) -> Vec<Block> {
    let mut blocks = vec![Block::Paragraph {
        text: "评估报告初稿发送监督方、购买方和社工站征求意见。".into(),
    }];
    for round in &input.feedback {
        let mut items = Vec::new();
        for entry in &round.entries {
            let mut text = if entry.deemed {
                format!("{}在反馈期限内未反馈，视为无异议。", entry.organization)
            } else if entry.no_objection && entry.objections.is_empty() {
                format!("{}对评估报告初稿无异议。", entry.organization)
            } else {
                format!("{}对评估报告初稿提出意见。", entry.organization)
            };
            if let Some(remarks) = entry.remarks.as_deref().filter(|r| !r.trim().is_empty()) {
                text.push_str(&format!("意见：{remarks}"));
            }
            for objection in &entry.objections {
                let about = objection
                    .section
                    .as_deref()
                    .and_then(|code| input.scheme.outline.iter().find(|s| s.code == code))
                    .map(|s| format!("对“{}”", s.title))
                    .unwrap_or_default();
                text.push_str(&format!("{about}提出异议：{}", objection.text));
                let answer = match objection.decision.as_deref() {
                    Some("accepted") => "评估方采纳该异议",
                    Some("rejected") => "评估方未采纳该异议",
                    _ => "评估方尚未答复",
                };
                match objection.reply.as_deref().filter(|r| !r.trim().is_empty()) {
                    Some(reply) => text.push_str(&format!("（{answer}，答复：{reply}）")),
                    None => text.push_str(&format!("（{answer}）")),
                }
            }
            items.push(text);
        }
        if items.is_empty() {
            continue;
        }
        blocks.push(Block::Label {
            text: format!("对评估报告初稿第 {} 稿的反馈：", round.version),
        });
        blocks.push(Block::Items {
            items: numbered(items),
        });
    }
    blocks
}

fn results(input: &ReportInput) -> Vec<Block> {
    let mut items = Vec::new();
    for (party, name) in input.scheme.result_lines() {
        let Some((_, score, passed)) = input
            .results
            .lines
            .iter()
            .find(|(c, _, _)| *c == party.code)
        else {
            continue;
        };
        let value = match (party.gate, score, passed) {
            (true, _, Some(true)) => "通过".to_owned(),
            (true, _, Some(false)) => "未通过".to_owned(),
            (false, Some(score), _) => format!("{score} 分"),
            _ => "尚未评定".to_owned(),
        };
        let label = if party.gate { "结果" } else { "得分" };
        items.push(format!(
            "（{}）{name} {label}：{value}",
            chinese_number(items.len() + 1)
        ));
    }
    let mut blocks = vec![Block::Items { items }];
    let counted = input.scheme.parties.iter().filter(|p| !p.gate).count();
    let summary = match (&input.results.total, &input.results.grade) {
        (Some(total), Some(grade)) => format!(
            "以上{}项总得分：{total}分　等级：{grade}",
            chinese_number(counted)
        ),
        _ => "评分尚未完成。".to_owned(),
    };
    blocks.push(Block::Paragraph { text: summary });
    if input.results.gate_failed {
        blocks.push(Block::Paragraph {
            text: "因一票否决项未通过，本次评估等级为不合格。".into(),
        });
    }
    blocks.extend(approval_line(input));
    blocks
}

/// 评估等级 in one sentence, as the 评估总结 outline closes: "经过评估，…本次中期评估的分数为：
/// 87.13，本次中期评估的等级为：良好。"
fn grade(input: &ReportInput) -> Vec<Block> {
    let kind = input.kind_name;
    let mut blocks = vec![Block::Paragraph {
        text: match (&input.results.total, &input.results.grade) {
            (Some(total), Some(grade)) => format!(
                "经过评估，{}本次{kind}的分数为：{total}，本次{kind}的等级为：{grade}。",
                input.station_name
            ),
            _ => "评分尚未完成。".to_owned(),
        },
    }];
    if input.results.gate_failed {
        blocks.push(Block::Paragraph {
            text: "因一票否决项未通过，本次评估等级为不合格。".into(),
        });
    }
    blocks.extend(approval_line(input));
    blocks
}

fn approval_line(input: &ReportInput) -> Option<Block> {
    input.approval.as_ref().map(|approval| Block::Paragraph {
        text: format!(
            "本报告经{}（{}）于{}审定。",
            approval.organization,
            approval.by,
            chinese_date(approval.on)
        ),
    })
}

/// Indicators per table of annex 1, as the reference sets them: whole groups packed up to seven,
/// a group never split (a larger group gets a table of its own).
const INDICATORS_PER_TABLE: usize = 7;

fn annex_indicators(input: &ReportInput) -> Vec<Block> {
    let scheme = input.scheme;
    // The scheme's whole catalogue of zone indicators, as the reference prints 咨询个案 with
    // "/" throughout: an indicator without figures is one the agreement does not ask for.
    let zone_defs = scheme
        .indicators
        .iter()
        .filter(|d| d.scope == IndicatorScope::Zone);
    let mut groups: Vec<Vec<&IndicatorDef>> = Vec::new();
    for def in zone_defs {
        match groups.last_mut() {
            Some(group) if group[0].group == def.group => group.push(def),
            _ => groups.push(vec![def]),
        }
    }
    let mut tables: Vec<Vec<Vec<&IndicatorDef>>> = Vec::new();
    for group in groups {
        match tables.last_mut() {
            Some(table)
                if table.iter().map(Vec::len).sum::<usize>() + group.len()
                    <= INDICATORS_PER_TABLE =>
            {
                table.push(group)
            }
            _ => tables.push(vec![group]),
        }
    }
    let caption = format!("{}购买服务项目指标完成情况统计表", input.station_name);
    let staff: Vec<i64> = input
        .zones
        .iter()
        .map(|z| zone_staff(input, z.id))
        .collect();
    let mut blocks = Vec::new();
    for table in tables {
        let defs: Vec<&IndicatorDef> = table.iter().flatten().copied().collect();
        let mut top = vec![
            Cell::spanning("服务片区", 1, 3),
            Cell::spanning("投入社工人数", 1, 3),
        ];
        top.extend(
            table
                .iter()
                .map(|group| Cell::spanning(group[0].group.clone(), 3 * group.len() as u32, 1)),
        );
        let middle: Vec<Cell> = defs
            .iter()
            .map(|d| Cell::spanning(d.name.clone(), 3, 1))
            .collect();
        let bottom: Vec<Cell> = defs
            .iter()
            .flat_map(|_| ["协议量", "完成量", "百分比"].map(Cell::new))
            .collect();
        let mut body = Vec::new();
        for (zone, heads) in input.zones.iter().zip(&staff) {
            let mut row = vec![Cell::new(zone.name.clone()), Cell::new(heads.to_string())];
            for def in &defs {
                let found = input
                    .indicators
                    .rows
                    .iter()
                    .find(|r| r.indicator == def.code && r.zone_id == Some(zone.id));
                row.extend(figure_cells(
                    found.and_then(|r| r.target),
                    found.and_then(|r| r.completed),
                    found.and_then(|r| r.percent),
                ));
            }
            body.push(row);
        }
        let mut total_row = vec![
            Cell::new("合计"),
            Cell::new(staff.iter().sum::<i64>().to_string()),
        ];
        for def in &defs {
            let total = input
                .indicators
                .totals
                .iter()
                .find(|t| t.indicator == def.code);
            total_row.extend(figure_cells(
                total.and_then(|t| t.target),
                total.and_then(|t| t.completed),
                total.and_then(|t| t.percent),
            ));
        }
        body.push(total_row);
        blocks.push(Block::Table(Table {
            caption: caption.clone(),
            head: vec![top, middle, bottom],
            body,
        }));
    }
    let station_rows: Vec<Vec<Cell>> = scheme
        .indicators
        .iter()
        .filter(|d| d.scope == IndicatorScope::Station)
        .filter_map(|d| {
            input
                .indicators
                .totals
                .iter()
                .find(|t| t.indicator == d.code)
        })
        .map(|t| {
            let mut row = vec![Cell::new(t.name.clone())];
            row.extend(figure_cells(t.target, t.completed, t.percent));
            row
        })
        .collect();
    if !station_rows.is_empty() {
        blocks.push(Block::Table(Table {
            caption,
            head: vec![
                ["指标", "指标要求", "完成情况", "完成百分比"]
                    .map(Cell::new)
                    .to_vec(),
            ],
            body: station_rows,
        }));
    }
    blocks
}

/// 投入社工人数 of a zone: the roster's workers of that zone on post in the period's last month.
fn zone_staff(input: &ReportInput, zone_id: i64) -> i64 {
    let Some(last) = input.period.last().map(ToString::to_string) else {
        return 0;
    };
    input
        .roster
        .iter()
        .filter(|w| w.zone_id == Some(zone_id))
        .filter(|w| {
            w.months
                .get(&last)
                .is_some_and(|m| m.on_post > Points::ZERO)
        })
        .count() as i64
}

fn figure_cells(
    target: Option<Points>,
    completed: Option<Points>,
    share: Option<Points>,
) -> [Cell; 3] {
    let or_slash = |v: Option<Points>| v.map_or_else(|| "/".to_owned(), figure);
    [
        Cell::new(or_slash(target)),
        Cell::new(or_slash(completed)),
        Cell::new(percent(share)),
    ]
}

/// Months per roster table, so that a table fits a landscape A4 page.
const MONTHS_PER_TABLE: usize = 6;

/// A worker's month as annex 2 marks it: √ when on post, 0.5 for half a month, blank otherwise.
fn on_post_mark(value: Option<Points>) -> String {
    match value {
        Some(v) if v >= Points::from_hundredths(100) => "√".to_owned(),
        Some(v) if v > Points::ZERO => figure(v),
        _ => String::new(),
    }
}

fn tick(flag: bool) -> &'static str {
    if flag { "√" } else { "" }
}

/// A group's (or all workers') figures of one month: heads on post, insured, paid, person-months.
fn month_figures(workers: &[&RosterWorker], month: &Month) -> (i64, i64, i64, Points) {
    let key = month.to_string();
    let entries: Vec<_> = workers.iter().filter_map(|w| w.months.get(&key)).collect();
    let count = |keep: &dyn Fn(&&crate::domain::staffing::MonthEntry) -> bool| {
        entries.iter().filter(|e| keep(e)).count() as i64
    };
    (
        count(&|e| e.on_post > Points::ZERO),
        count(&|e| e.insurance),
        count(&|e| e.wage),
        entries.iter().map(|e| e.on_post).sum(),
    )
}

/// Person-months over the period, and of them those of workers with two years of practice.
fn period_totals(workers: &[&RosterWorker], period: &[Month]) -> (Points, Points) {
    let of = |w: &RosterWorker| -> Points {
        period
            .iter()
            .filter_map(|m| w.months.get(&m.to_string()))
            .map(|e| e.on_post)
            .sum()
    };
    let all = workers.iter().map(|w| of(w)).sum();
    let experienced = workers
        .iter()
        .filter(|w| w.over_two_years)
        .map(|w| of(w))
        .sum();
    (all, experienced)
}

/// 附件2 as the reference sets it: the workers grouped by 类型 (持证 / 非持证), each with their
/// months and subtotals, each group closed by its 小计 rows (heads per column, then person-months
/// per month), then the 总计 rows and the line of 稳岗率. A period longer than
/// `MONTHS_PER_TABLE` is cut into tables by months; the subtotal columns close the last.
fn annex_staff(input: &ReportInput) -> Vec<Block> {
    let caption = format!("{}购买服务项目社工到岗情况统计表", input.station_name);
    let (agreement_start, agreement_end) = input.agreement_period;
    let mut blocks = vec![Block::Paragraph {
        text: format!(
            "年度服务协议时间：{}至{}",
            chinese_date(agreement_start),
            chinese_date(agreement_end)
        ),
    }];
    let groups: Vec<(&str, Vec<&RosterWorker>)> = [("持证社工", true), ("非持证社工", false)]
        .into_iter()
        .map(|(label, certified)| {
            let members = input
                .roster
                .iter()
                .filter(|w| w.qualification.certified() == certified)
                .collect();
            (label, members)
        })
        .filter(|(_, members): &(&str, Vec<&RosterWorker>)| !members.is_empty())
        .collect();
    let everyone: Vec<&RosterWorker> = groups.iter().flat_map(|(_, m)| m.clone()).collect();
    let chunks: Vec<&[Month]> = input.period.chunks(MONTHS_PER_TABLE).collect();
    for (index, months) in chunks.iter().enumerate() {
        let closing = index + 1 == chunks.len();
        let mut top: Vec<Cell> = [
            "类型",
            "序号",
            "姓名",
            "职位",
            "岗位资格证/资质",
            "合同期限",
        ]
        .map(|t| Cell::spanning(t, 1, 2))
        .to_vec();
        top.extend(months.iter().map(|m| Cell::spanning(m.chinese(), 3, 1)));
        if closing {
            top.extend(
                ["人员到岗小计", "符合从业2年以上的社工到岗小计", "备注"]
                    .map(|t| Cell::spanning(t, 1, 2)),
            );
        }
        let second: Vec<Cell> = months
            .iter()
            .flat_map(|_| ["人员到位", "社保购买", "工资发放"].map(Cell::new))
            .collect();
        // The closing columns of a subtotal row: its person-months and experienced ones.
        let closing_cells = |workers: &[&RosterWorker]| -> Vec<Cell> {
            if !closing {
                return Vec::new();
            }
            let (all, experienced) = period_totals(workers, &input.period);
            vec![
                Cell::new(figure(all)),
                Cell::new(figure(experienced)),
                Cell::new(""),
            ]
        };
        let subtotal_rows = |label: &str, total_label: &str, workers: &[&RosterWorker]| {
            let mut heads = vec![Cell::spanning(label, 6, 1)];
            let mut person_months = vec![Cell::spanning(total_label, 6, 1)];
            for month in *months {
                let (on, insured, paid, amount) = month_figures(workers, month);
                heads.extend([on, insured, paid].map(|n| Cell::new(n.to_string())));
                person_months.push(Cell::spanning(figure(amount), 3, 1));
            }
            heads.extend(closing_cells(workers));
            person_months.extend(closing_cells(workers));
            [heads, person_months]
        };
        let mut body = Vec::new();
        let mut line = 0;
        for (label, members) in &groups {
            for (position, worker) in members.iter().enumerate() {
                line += 1;
                let mut row = Vec::new();
                if position == 0 {
                    row.push(Cell::spanning(*label, 1, members.len() as u32));
                }
                row.extend([
                    Cell::new(line.to_string()),
                    Cell::new(worker.name.clone()),
                    Cell::new(worker.position.clone()),
                    Cell::new(worker.qualification.chinese_name()),
                    Cell::new(worker.contract_term.clone().unwrap_or_default()),
                ]);
                for month in *months {
                    let entry = worker.months.get(&month.to_string());
                    row.extend([
                        Cell::new(on_post_mark(entry.map(|e| e.on_post))),
                        Cell::new(tick(entry.is_some_and(|e| e.insurance))),
                        Cell::new(tick(entry.is_some_and(|e| e.wage))),
                    ]);
                }
                if closing {
                    let (all, experienced) = period_totals(&[*worker], &input.period);
                    row.extend([
                        Cell::new(figure(all)),
                        Cell::new(figure(experienced)),
                        Cell::new(worker.note.clone().unwrap_or_default()),
                    ]);
                }
                body.push(row);
            }
            body.extend(subtotal_rows(
                &format!("{label}小计（人数）"),
                &format!("{label}有效人次小计"),
                members,
            ));
        }
        body.extend(subtotal_rows(
            "每月社保购买、工资发放、人员到岗等情况总计",
            "社工有效人次小计（即持证社工及非持证社工有效人次总数）",
            &everyone,
        ));
        blocks.push(Block::Table(Table {
            caption: caption.clone(),
            head: vec![top, second],
            body,
        }));
    }
    let m = &input.metrics;
    blocks.push(Block::Paragraph {
        text: format!(
            "评估期内，持证社工应到岗{}人次，实到岗{}人次，{}{}人次；非持证社工到岗{}人次；拥有2年以上从业经历的社工实际到岗{}人次，占社会工作者实际到岗人次的{}。",
            figure(m.required_certified_person_months),
            figure(m.certified_person_months),
            if m.over_staffing < Points::ZERO { "缺配" } else { "超配" },
            figure(if m.over_staffing < Points::ZERO { Points::ZERO - m.over_staffing } else { m.over_staffing }),
            figure(m.uncertified_person_months),
            figure(m.experienced_person_months),
            percent(m.experienced_share),
        ),
    });
    blocks.push(Block::Paragraph {
        text: format!(
            "评估期内持续在岗社工{}人，协议要求配备社工{}人，稳岗率{}。",
            m.stable_workers,
            m.required_staff,
            percent(m.stability_rate)
        ),
    });
    blocks
}
