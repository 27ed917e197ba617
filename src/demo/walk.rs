//! One reference evaluation walked through the API's own functions (each handler's `…_for`),
//! every step by the user who owns it, so the demo passes every rule a real evaluation does and
//! leaves the same timeline, audit entries and e-mail.

use anyhow::{Context, bail};
use chrono::NaiveDate;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};
use validator::Validate;

use super::data::Plan;
use super::people::Cast;
use crate::app::AppError;
use crate::app::{
    clients, components, evaluations, feedback, indicators, panel, reports, self_assessment, staff,
    stations, survey, workflow,
};
use crate::auth::extractor::AuthenticatedUser;
use crate::domain::points::Points;
use crate::state::AppState;

/// Where the walk left an evaluation.
pub struct Walked {
    pub id: i64,
    pub station: String,
    pub state: &'static str,
    /// Total and grade, once the final report is out.
    pub result: Option<(Points, String)>,
    /// The current stage's deadline, while one is ahead.
    pub next_due: Option<NaiveDate>,
}

/// A refusal of the API named by the step it stopped.
trait Step<T> {
    fn step(self, what: &str) -> anyhow::Result<T>;
}

impl<T> Step<T> for Result<T, AppError> {
    fn step(self, what: &str) -> anyhow::Result<T> {
        self.map_err(|e| anyhow::anyhow!("演示数据加载失败（{what}）：{e:?}"))
    }
}

/// A request body read by the API's own parser and field rules.
fn body<T: DeserializeOwned + Validate>(what: &str, value: Value) -> anyhow::Result<T> {
    let parsed: T = serde_json::from_value(value)
        .with_context(|| format!("演示数据加载失败（{what}）：数据格式不符"))?;
    crate::app::input::validate(&parsed).step(what)?;
    Ok(parsed)
}

struct Roles<'a> {
    cast: &'a Cast,
    plan: &'a Plan,
}

impl Roles<'_> {
    fn manager_name(&self, role: &str) -> anyhow::Result<&str> {
        self.plan
            .cast
            .get(role)
            .map(String::as_str)
            .with_context(|| format!("the plan names no {role}"))
    }

    fn manager(&self, role: &str) -> anyhow::Result<&AuthenticatedUser> {
        self.cast.user(self.manager_name(role)?)
    }

    fn staff(&self, role: &str) -> anyhow::Result<&AuthenticatedUser> {
        self.cast
            .user(&format!("{}-staff", self.manager_name(role)?))
    }

    fn expert(&self, n: usize) -> anyhow::Result<&AuthenticatedUser> {
        self.cast
            .user(&format!("{}-expert-{n}", self.manager_name("agency")?))
    }
}

async fn fire(
    state: &AppState,
    who: &AuthenticatedUser,
    id: i64,
    event: &str,
    reason: Option<&str>,
) -> anyhow::Result<()> {
    let request: workflow::TransitionRequest =
        body(event, json!({"event": event, "reason": reason}))?;
    workflow::transition_for(state, who, id, request, None, None)
        .await
        .step(event)?;
    Ok(())
}

/// `count` service users for the demo's list: numbered, masked names, made-up mobile numbers,
/// spread over the station's communities and four kinds of service.
fn made_up_clients(count: usize, communities: &[String]) -> Vec<Value> {
    const SURNAMES: [&str; 8] = ["陈", "李", "张", "黄", "何", "梁", "林", "吴"];
    const GIVEN: [&str; 6] = ["华", "明", "芳", "强", "珍", "诺"];
    const SERVICES: [&str; 4] = ["困难群众", "特殊群体", "个案", "小组"];
    (1..=count)
        .map(|n| {
            json!({
                "key": format!("RB-{n:03}"),
                "name": format!("{}*{}", SURNAMES[n % SURNAMES.len()], GIVEN[n % GIVEN.len()]),
                "phone": format!("1380000{n:04}"),
                "community": communities.get(n % communities.len().max(1)).cloned()
                    .unwrap_or_else(|| "辖内社区".to_owned()),
                "service": SERVICES[n % SERVICES.len()],
            })
        })
        .collect()
}

pub async fn walk(
    state: &AppState,
    cast: &Cast,
    plan: &Plan,
    today: NaiveDate,
) -> anyhow::Result<Walked> {
    let roles = Roles { cast, plan };
    let bureau = roles.manager("bureau")?;
    let agency = roles.manager("agency")?;

    // Set-up by the district bureau: the station, its agreement, the evaluation.
    let mut station = plan.station.clone();
    station["operator_org_id"] = json!(roles.manager("station")?.organization.id);
    station["purchaser_org_id"] = json!(roles.manager("street")?.organization.id);
    station["supervisor_org_id"] = json!(bureau.organization.id);
    let station = stations::create_for(state, bureau, body("社工站", station)?, None)
        .await
        .step("社工站")?;
    let zones: Vec<(String, i64)> = station
        .zones
        .iter()
        .map(|z| (z.name.clone(), z.id))
        .collect();
    let agreement = stations::create_agreement_for(
        state,
        bureau,
        station.id,
        body("服务协议", plan.agreement.clone())?,
        None,
    )
    .await
    .step("服务协议")?;
    let mut deadlines: Map<String, Value> = plan
        .evaluation
        .deadlines
        .iter()
        .map(|(stage, date)| (stage.clone(), json!(date)))
        .collect();
    for (stage, days) in &plan.evaluation.days_from_load {
        let due = today
            .checked_add_signed(chrono::TimeDelta::days(*days))
            .with_context(|| format!("{stage}: {days} days from {today}"))?;
        deadlines.insert(stage.clone(), json!(due));
    }
    let e = &plan.evaluation;
    let created = evaluations::create_for(
        state,
        bureau,
        body(
            "评估",
            json!({
                "agreement_id": agreement.id,
                "scheme_code": e.scheme_code.as_deref().unwrap_or("guangzhou-2023"), "kind": e.kind,
                "assessment_start": e.assessment_start, "assessment_end": e.assessment_end,
                "assessment_months": e.assessment_months, "onsite_date": e.onsite_date,
                "agency_org_id": agency.organization.id,
                "center_org_id": roles.manager("center")?.organization.id,
                "deadlines": deadlines,
            }),
        )?,
    )
    .await
    .step("评估")?;
    let id = created.id;

    // The agreed targets, by the agency; it opens the self-assessment.
    let targets: indicators::PutTargets = body(
        "协议量",
        json!({"rows": indicator_rows(plan, &zones, "target", 0)}),
    )?;
    indicators::put_targets_for(state, agency, id, targets.rows, None, None)
        .await
        .step("协议量")?;
    fire(state, agency, id, "open", None).await?;

    // The station: annex 1, annex 2, the narrative; its manager submits.
    let station_staff = roles.staff("station")?;
    let completions: indicators::PutIndicators = body(
        "完成量",
        json!({"rows": indicator_rows(plan, &zones, "completed", 1)}),
    )?;
    indicators::put_completions_for(state, station_staff, id, completions.rows, None, None)
        .await
        .step("完成量")?;
    let roster: staff::PutStaff = body("到岗名册", json!({"workers": roster(plan, &zones)?}))?;
    staff::put_staff_for(state, station_staff, id, roster.workers, None, None)
        .await
        .step("到岗名册")?;
    self_assessment::write_narrative_for(
        state,
        station_staff,
        id,
        plan.narrative.clone(),
        None,
        None,
    )
    .await
    .step("自评报告")?;
    let communities: Vec<String> = station
        .zones
        .iter()
        .flat_map(|z| z.communities.iter().cloned())
        .collect();
    if let Some(survey) = &plan.survey {
        let list: clients::PutClients = body(
            "服务对象名单",
            json!({"clients": made_up_clients(survey.clients, &communities)}),
        )?;
        clients::put_clients_for(state, station_staff, id, list.clients, None, None)
            .await
            .step("服务对象名单")?;
    }
    fire(
        state,
        roles.manager("station")?,
        id,
        "submit_self_assessment",
        None,
    )
    .await?;

    // The satisfaction survey: the agency's manager draws, its member calls.
    if let Some(planned) = &plan.survey {
        let draw: clients::DrawSample = body("抽样", json!({"seed": planned.seed}))?;
        let sample = clients::draw_sample_for(state, agency, id, draw, None)
            .await
            .step("抽样")?;
        let caller = roles.staff("agency")?;
        for (client, answers) in sample.client_ids.iter().zip(&planned.answers) {
            let call: survey::PutCall =
                body("满意度回访", json!({"reached": true, "answers": answers}))?;
            survey::put_call_for(state, caller, id, *client, call, None)
                .await
                .step("满意度回访")?;
        }
    }

    // The panel: three experts, each declaring no conflict and scoring the scheme's items.
    for n in 1..=plan.scores.experts.len() {
        let assign = json!({"user_id": roles.expert(n)?.id});
        panel::assign_for(state, agency, id, body("指派评估专家", assign)?, None)
            .await
            .step("指派评估专家")?;
    }
    for (n, total) in plan.scores.experts.iter().enumerate() {
        let expert = roles.expert(n + 1)?;
        let sheet = panel::sheet_for(state, expert, id).await.step("评分表")?;
        let maxima: Vec<(String, i64)> = sheet
            .items
            .iter()
            .map(|i| (i.item.clone(), i.max_points.hundredths()))
            .collect();
        let items = spread(hundredths(total)?, &maxima)?;
        let put = json!({"conflict_of_interest": false, "items": items});
        panel::put_sheet_for(state, expert, id, body("评分表", put)?, None, None)
            .await
            .step("评分表")?;
        panel::submit_sheet_for(state, expert, id, None, None)
            .await
            .step("提交评分表")?;
    }

    // Each party's component: its member enters it, its manager submits.
    for (party, role, score) in [
        ("supervisor", "bureau", Some(&plan.scores.supervisor)),
        ("purchaser", "street", Some(&plan.scores.purchaser)),
        ("center", "center", Some(&plan.scores.center)),
        ("third_party", "agency", None),
    ] {
        let mut component = with_zone_ids(&plan.comments[party], &zones)?;
        if let Some(score) = score {
            component["raw_score"] = json!(score);
        }
        let what = format!("{party} 评分");
        components::put_component_for(
            state,
            roles.staff(role)?,
            id,
            party.to_owned(),
            body(&what, component)?,
            None,
            None,
        )
        .await
        .step(&what)?;
        components::submit_component_for(
            state,
            roles.manager(role)?,
            id,
            party.to_owned(),
            None,
            true,
            None,
        )
        .await
        .step(&what)?;
    }
    fire(
        state,
        agency,
        id,
        "issue_draft",
        plan.draft_reason.as_deref(),
    )
    .await?;

    // Feedback on the draft, and the agency's answers to objections.
    let draft = reports::versions_for(state, agency, id)
        .await
        .step("报告版本")?
        .into_iter()
        .rfind(|v| v.kind == "draft")
        .context("the draft report is missing")?;
    for given in &plan.feedback {
        let objections: Vec<Value> = given
            .objections
            .iter()
            .map(|o| json!({"section": o.section, "text": o.text}))
            .collect();
        let answer = json!({"report_id": draft.id, "no_objection": given.no_objection,
                            "remarks": given.remarks, "objections": objections});
        feedback::give_for(
            state,
            roles.manager(&given.by)?,
            id,
            body("反馈意见", answer)?,
            None,
        )
        .await
        .step("反馈意见")?;
    }
    let raised = feedback::feedback_for(state, agency, id)
        .await
        .step("反馈意见")?;
    for objection in raised.items.iter().flat_map(|f| &f.objections) {
        let Some(planned) = plan
            .feedback
            .iter()
            .flat_map(|f| &f.objections)
            .find(|o| o.text == objection.text)
        else {
            bail!("an objection the plan does not answer: {}", objection.text);
        };
        let reply = json!({"decision": planned.decision, "reply": planned.reply});
        feedback::answer_for(state, agency, objection.id, body("答复异议", reply)?, None)
            .await
            .step("答复异议")?;
    }

    if plan.finish {
        fire(state, agency, id, "submit_for_review", None).await?;
        fire(state, bureau, id, "approve", None).await?;
    }
    let view = evaluations::find_for(state, bureau, id)
        .await
        .step("评估")?;
    let result = view
        .score
        .filter(|_| plan.finish)
        .map(|s| (s.total, s.grade.name));
    Ok(Walked {
        id,
        station: station.name,
        state: view.state.code(),
        result,
        next_due: view.next_deadline.map(|d| d.due_on),
    })
}

fn hundredths(text: &str) -> anyhow::Result<i64> {
    text.parse::<Points>()
        .map(|p| p.hundredths())
        .map_err(|_| anyhow::anyhow!("not a score: {text}"))
}

/// A sheet whose items add up to `total`: each item the same share of its maximum, the
/// hundredths left over given one by one from the first item that has room.
fn spread(total: i64, maxima: &[(String, i64)]) -> anyhow::Result<Vec<Value>> {
    let sum: i64 = maxima.iter().map(|(_, max)| max).sum();
    if sum == 0 || !(0..=sum).contains(&total) {
        bail!("a sheet total of {total} hundredths cannot be spread over {sum}");
    }
    let mut scores: Vec<i64> = maxima.iter().map(|(_, max)| max * total / sum).collect();
    let mut left = total - scores.iter().sum::<i64>();
    for (score, (_, max)) in scores.iter_mut().zip(maxima) {
        let room = (max - *score).min(left);
        *score += room;
        left -= room;
    }
    Ok(maxima
        .iter()
        .zip(scores)
        .map(|((item, _), score)| json!({"item": item, "score": Points::from_hundredths(score)}))
        .collect())
}

/// Annex 1 as PUT rows: `field` is target or completed, `at` its place in the data's pairs.
fn indicator_rows(plan: &Plan, zones: &[(String, i64)], field: &str, at: usize) -> Vec<Value> {
    let mut rows = Vec::new();
    for row in &plan.indicators.zones {
        for ((_, zone), pair) in zones.iter().zip(&row.zones) {
            rows.push(json!({"indicator": row.indicator, "zone_id": zone, field: pair[at]}));
        }
    }
    for row in &plan.indicators.station {
        let value = if at == 0 { &row.target } else { &row.completed };
        rows.push(json!({"indicator": row.indicator, "zone_id": null, field: value}));
    }
    rows
}

/// Annex 2 as the roster PUT takes it (months off post left out).
fn roster(plan: &Plan, zones: &[(String, i64)]) -> anyhow::Result<Value> {
    let mut workers = Vec::new();
    for line in &plan.roster {
        let months: Map<String, Value> = plan
            .months
            .iter()
            .zip(&line.on_post)
            .filter(|(_, on)| on.as_str() != "0")
            .map(|(month, on)| {
                (
                    month.clone(),
                    json!({"on_post": on, "insurance": true, "wage": true}),
                )
            })
            .collect();
        let zone_id = match &line.zone {
            Some(name) => Some(
                zones
                    .iter()
                    .find(|(zone, _)| zone == name)
                    .map(|(_, id)| *id)
                    .with_context(|| format!("{} is in the unknown zone {name}", line.name))?,
            ),
            None => None,
        };
        workers.push(json!({"name": line.name, "position": line.position,
               "qualification": line.qualification, "over_two_years": line.over_two_years,
               "contract_term": line.contract_term, "zone_id": zone_id,
               "note": line.note, "months": months}));
    }
    Ok(Value::Array(workers))
}

/// A party's comments with the zones they name as the station's zone ids (one as `zone_id`,
/// several as `zone_ids`).
fn with_zone_ids(comments: &Value, zones: &[(String, i64)]) -> anyhow::Result<Value> {
    let mut body = comments.clone();
    for list in ["strengths", "concerns"] {
        for comment in body[list].as_array_mut().into_iter().flatten() {
            let Some(named) = comment.as_object_mut().and_then(|c| c.remove("zones")) else {
                continue;
            };
            let mut ids = Vec::new();
            for name in named.as_array().into_iter().flatten() {
                let id = zones
                    .iter()
                    .find(|(zone, _)| name == zone.as_str())
                    .map(|(_, id)| *id)
                    .with_context(|| format!("a comment names the unknown zone {name}"))?;
                ids.push(id);
            }
            match ids.as_slice() {
                [one] => comment["zone_id"] = json!(one),
                _ => comment["zone_ids"] = json!(ids),
            }
        }
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sheet_total_is_spread_exactly_within_each_maximum() {
        let maxima: Vec<(String, i64)> = [1000, 1500, 3000]
            .iter()
            .enumerate()
            .map(|(n, max)| (format!("i{n}"), *max))
            .collect();
        let items = spread(4698, &maxima).expect("spread");
        let scores: Vec<i64> = items
            .iter()
            .map(|i| hundredths(i["score"].as_str().expect("score")).expect("points"))
            .collect();
        assert_eq!(scores.iter().sum::<i64>(), 4698);
        for (score, (_, max)) in scores.iter().zip(&maxima) {
            assert!(*score <= *max);
        }
        assert!(spread(5501, &maxima).is_err());
    }
}
