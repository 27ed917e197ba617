//! The evaluation workflow (DESIGN.md §3): states, events, and the one table that says which
//! event moves which state, and who may fire it. Guards that need data are listed here and
//! checked from `Facts` that the caller gathers.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::user::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Setup,
    SelfAssessment,
    OnsiteScoring,
    DraftFeedback,
    BureauReview,
    Final,
    Cancelled,
}

impl State {
    /// From issue_draft on every party sees every submitted component (§3).
    pub fn draft_issued(self) -> bool {
        matches!(
            self,
            State::DraftFeedback | State::BureauReview | State::Final
        )
    }

    pub const ALL: [State; 7] = [
        State::Setup,
        State::SelfAssessment,
        State::OnsiteScoring,
        State::DraftFeedback,
        State::BureauReview,
        State::Final,
        State::Cancelled,
    ];

    pub fn code(self) -> &'static str {
        match self {
            State::Setup => "setup",
            State::SelfAssessment => "self_assessment",
            State::OnsiteScoring => "onsite_scoring",
            State::DraftFeedback => "draft_feedback",
            State::BureauReview => "bureau_review",
            State::Final => "final",
            State::Cancelled => "cancelled",
        }
    }

    pub fn from_code(code: &str) -> Option<State> {
        State::ALL.into_iter().find(|s| s.code() == code)
    }

    pub fn chinese_name(self) -> &'static str {
        match self {
            State::Setup => "准备中",
            State::SelfAssessment => "自评阶段",
            State::OnsiteScoring => "现场评估阶段",
            State::DraftFeedback => "初稿反馈阶段",
            State::BureauReview => "民政局审定阶段",
            State::Final => "已出具最终报告",
            State::Cancelled => "已取消",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    Open,
    SubmitSelfAssessment,
    ReturnSelfAssessment,
    IssueDraft,
    SubmitForReview,
    ReturnDraft,
    Approve,
    Reopen,
    Cancel,
}

impl Event {
    pub const ALL: [Event; 9] = [
        Event::Open,
        Event::SubmitSelfAssessment,
        Event::ReturnSelfAssessment,
        Event::IssueDraft,
        Event::SubmitForReview,
        Event::ReturnDraft,
        Event::Approve,
        Event::Reopen,
        Event::Cancel,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Event::Open => "open",
            Event::SubmitSelfAssessment => "submit_self_assessment",
            Event::ReturnSelfAssessment => "return_self_assessment",
            Event::IssueDraft => "issue_draft",
            Event::SubmitForReview => "submit_for_review",
            Event::ReturnDraft => "return_draft",
            Event::Approve => "approve",
            Event::Reopen => "reopen",
            Event::Cancel => "cancel",
        }
    }

    pub fn chinese_name(self) -> &'static str {
        match self {
            Event::Open => "启动评估",
            Event::SubmitSelfAssessment => "提交自评",
            Event::ReturnSelfAssessment => "退回自评",
            Event::IssueDraft => "出具评估报告初稿",
            Event::SubmitForReview => "提交民政局审定",
            Event::ReturnDraft => "退回初稿",
            Event::Approve => "审定通过",
            Event::Reopen => "重新开启",
            Event::Cancel => "取消评估",
        }
    }
}

/// The part an organization plays in one evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Party {
    /// The evaluation agency (third party).
    Agency,
    /// The district civil affairs bureau (supervisor).
    Bureau,
    /// The street office (purchaser).
    Purchaser,
    /// The supervision center.
    Center,
    /// The station's operator.
    Station,
    /// An extra party of the scheme (e.g. a residents committee).
    Extra,
    /// The municipal bureau: reads everything, changes nothing.
    Municipal,
    /// A system administrator: may do every write any party may.
    Admin,
}

impl Party {
    pub const ALL: [Party; 8] = [
        Party::Agency,
        Party::Bureau,
        Party::Purchaser,
        Party::Center,
        Party::Station,
        Party::Extra,
        Party::Municipal,
        Party::Admin,
    ];
}

/// Who fires an event: their party in the evaluation and their role in their organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    pub party: Party,
    pub role: Role,
}

struct Transition {
    event: Event,
    from: &'static [State],
    to: State,
    /// Managers of these parties may fire it; admins always may.
    managers_of: &'static [Party],
    needs_reason: bool,
}

const ACTIVE: &[State] = &[
    State::Setup,
    State::SelfAssessment,
    State::OnsiteScoring,
    State::DraftFeedback,
    State::BureauReview,
];

/// The workflow, in one place.
const TABLE: [Transition; 9] = [
    Transition {
        event: Event::Open,
        from: &[State::Setup],
        to: State::SelfAssessment,
        managers_of: &[Party::Agency, Party::Bureau],
        needs_reason: false,
    },
    Transition {
        event: Event::SubmitSelfAssessment,
        from: &[State::SelfAssessment],
        to: State::OnsiteScoring,
        managers_of: &[Party::Station],
        needs_reason: false,
    },
    Transition {
        event: Event::ReturnSelfAssessment,
        from: &[State::OnsiteScoring],
        to: State::SelfAssessment,
        managers_of: &[Party::Agency],
        needs_reason: true,
    },
    Transition {
        event: Event::IssueDraft,
        from: &[State::OnsiteScoring],
        to: State::DraftFeedback,
        managers_of: &[Party::Agency],
        needs_reason: false,
    },
    Transition {
        event: Event::SubmitForReview,
        from: &[State::DraftFeedback],
        to: State::BureauReview,
        managers_of: &[Party::Agency],
        needs_reason: false,
    },
    Transition {
        event: Event::ReturnDraft,
        from: &[State::BureauReview],
        to: State::DraftFeedback,
        managers_of: &[Party::Bureau],
        needs_reason: true,
    },
    Transition {
        event: Event::Approve,
        from: &[State::BureauReview],
        to: State::Final,
        managers_of: &[Party::Bureau],
        needs_reason: false,
    },
    Transition {
        event: Event::Reopen,
        from: &[State::Final],
        to: State::DraftFeedback,
        managers_of: &[],
        needs_reason: true,
    },
    Transition {
        event: Event::Cancel,
        from: ACTIVE,
        to: State::Cancelled,
        managers_of: &[Party::Bureau],
        needs_reason: true,
    },
];

/// The row of an event: TABLE lists the events in the order of `Event` (checked by a test).
fn transition(event: Event) -> &'static Transition {
    let row = &TABLE[event as usize];
    debug_assert_eq!(row.event, event);
    row
}

/// Why an event is refused, in the order the checks run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The actor's party and role may not fire it (403).
    NotPermitted(String),
    /// Not from this state (409).
    WrongState(String),
    /// A reason is required and missing (422).
    ReasonRequired,
}

/// May this actor fire this event at all, whatever the state?
pub fn may_fire(event: Event, actor: Actor) -> bool {
    actor.role == Role::Admin
        || (actor.role == Role::Manager && transition(event).managers_of.contains(&actor.party))
}

/// The next state, or why not. Guards on data are checked afterwards with `missing`.
pub fn decide(
    state: State,
    event: Event,
    actor: Actor,
    reason: Option<&str>,
) -> Result<State, Refusal> {
    let row = transition(event);
    if !may_fire(event, actor) {
        return Err(Refusal::NotPermitted(format!(
            "您的单位或角色不能{}",
            event.chinese_name()
        )));
    }
    if !row.from.contains(&state) {
        return Err(Refusal::WrongState(format!(
            "评估当前处于“{}”，不能{}",
            state.chinese_name(),
            event.chinese_name()
        )));
    }
    if row.needs_reason && reason.is_none_or(|r| r.trim().is_empty()) {
        return Err(Refusal::ReasonRequired);
    }
    Ok(row.to)
}

/// The events an actor may fire from a state, each with whether it needs a reason.
pub fn available(state: State, actor: Actor) -> Vec<(Event, bool)> {
    Event::ALL
        .into_iter()
        .filter(|event| decide(state, *event, actor, Some("-")).is_ok())
        .map(|event| (event, transition(event).needs_reason))
        .collect()
}

/// What the caller knows about an evaluation when a guard is checked. Fields that later parts of
/// the product fill are `None` until then, which counts as satisfied.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub parties_set: bool,
    pub deadlines_set: bool,
    pub targets_set: bool,
    /// Indicators with a target and no completion.
    pub missing_completions: Option<Vec<String>>,
    /// Months of the period without roster entries.
    pub missing_roster_months: Option<Vec<String>>,
    pub narrative_written: Option<bool>,
    /// Scoring parties whose component is not submitted, and gates not recorded.
    pub unsubmitted_components: Option<Vec<String>>,
    pub unanswered_objections: Option<usize>,
    /// Parties (bureau, street office, station) still to give feedback before their deadline.
    pub feedback_pending: Option<Vec<String>>,
}

/// What is missing for the event's guard, in Chinese; empty when it holds.
pub fn missing(event: Event, facts: &Facts) -> Vec<String> {
    let mut out = Vec::new();
    match event {
        Event::Open => {
            if !facts.parties_set {
                out.push("评估各方尚未确定".to_owned());
            }
            if !facts.deadlines_set {
                out.push("各阶段截止日期尚未设定".to_owned());
            }
            if !facts.targets_set {
                out.push("服务指标协议量尚未设定".to_owned());
            }
        }
        Event::SubmitSelfAssessment => {
            for indicator in facts.missing_completions.iter().flatten() {
                out.push(format!("指标“{indicator}”尚未填写完成量"));
            }
            for month in facts.missing_roster_months.iter().flatten() {
                out.push(format!("{month} 的社工到岗情况尚未填写"));
            }
            if facts.narrative_written == Some(false) {
                out.push("自评报告尚未填写".to_owned());
            }
        }
        Event::IssueDraft => {
            for party in facts.unsubmitted_components.iter().flatten() {
                out.push(format!("{party}尚未提交评分"));
            }
        }
        Event::SubmitForReview => {
            if let Some(count) = facts.unanswered_objections.filter(|c| *c > 0) {
                out.push(format!("还有 {count} 条异议尚未答复"));
            }
            for party in facts.feedback_pending.iter().flatten() {
                out.push(format!("{party}尚未反馈意见且反馈期限未到"));
            }
        }
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_buttons_are_the_events_the_actor_may_fire_from_the_state() {
        let manager = |party| Actor {
            party,
            role: Role::Manager,
        };
        assert_eq!(
            available(State::BureauReview, manager(Party::Bureau)),
            [
                (Event::ReturnDraft, true),
                (Event::Approve, false),
                (Event::Cancel, true)
            ]
        );
        assert_eq!(
            available(State::SelfAssessment, manager(Party::Station)),
            [(Event::SubmitSelfAssessment, false)]
        );
        let member = Actor {
            party: Party::Station,
            role: Role::Member,
        };
        assert!(available(State::SelfAssessment, member).is_empty());
        assert!(available(State::Final, manager(Party::Agency)).is_empty());
    }

    /// The table of DESIGN.md §3, written out independently: (event, from, to, manager parties).
    fn expected(event: Event) -> (Vec<State>, State, Vec<Party>) {
        use State::*;
        match event {
            Event::Open => (
                vec![Setup],
                SelfAssessment,
                vec![Party::Agency, Party::Bureau],
            ),
            Event::SubmitSelfAssessment => {
                (vec![SelfAssessment], OnsiteScoring, vec![Party::Station])
            }
            Event::ReturnSelfAssessment => {
                (vec![OnsiteScoring], SelfAssessment, vec![Party::Agency])
            }
            Event::IssueDraft => (vec![OnsiteScoring], DraftFeedback, vec![Party::Agency]),
            Event::SubmitForReview => (vec![DraftFeedback], BureauReview, vec![Party::Agency]),
            Event::ReturnDraft => (vec![BureauReview], DraftFeedback, vec![Party::Bureau]),
            Event::Approve => (vec![BureauReview], Final, vec![Party::Bureau]),
            Event::Reopen => (vec![Final], DraftFeedback, vec![]),
            Event::Cancel => (
                vec![
                    Setup,
                    SelfAssessment,
                    OnsiteScoring,
                    DraftFeedback,
                    BureauReview,
                ],
                Cancelled,
                vec![Party::Bureau],
            ),
        }
    }

    fn needs_reason(event: Event) -> bool {
        matches!(
            event,
            Event::ReturnSelfAssessment | Event::ReturnDraft | Event::Reopen | Event::Cancel
        )
    }

    #[test]
    fn every_event_has_exactly_one_row() {
        for event in Event::ALL {
            assert_eq!(
                TABLE.iter().filter(|t| t.event == event).count(),
                1,
                "{event:?}"
            );
        }
    }

    #[test]
    fn every_state_event_and_actor_combination() {
        let mut allowed = 0;
        for state in State::ALL {
            for event in Event::ALL {
                for party in Party::ALL {
                    for role in Role::ALL {
                        let actor = Actor { party, role };
                        let (from, to, managers) = expected(event);
                        let permitted = role == Role::Admin
                            || (role == Role::Manager && managers.contains(&party));
                        let outcome = decide(state, event, actor, Some("原因"));
                        match outcome {
                            Ok(next) => {
                                assert!(
                                    permitted && from.contains(&state),
                                    "{state:?} {event:?} {actor:?}"
                                );
                                assert_eq!(next, to);
                                allowed += 1;
                            }
                            Err(Refusal::NotPermitted(reason)) => {
                                assert!(!permitted, "{state:?} {event:?} {actor:?}");
                                assert!(reason.contains(event.chinese_name()));
                            }
                            Err(Refusal::WrongState(reason)) => {
                                assert!(
                                    permitted && !from.contains(&state),
                                    "{state:?} {event:?} {actor:?}"
                                );
                                assert!(reason.contains(state.chinese_name()));
                            }
                            Err(Refusal::ReasonRequired) => panic!("a reason was given"),
                        }
                        if permitted && from.contains(&state) {
                            let without = decide(state, event, actor, None);
                            assert_eq!(
                                without.is_err(),
                                needs_reason(event),
                                "{event:?} without a reason"
                            );
                            let blank = decide(state, event, actor, Some("  "));
                            assert_eq!(
                                blank.is_err(),
                                needs_reason(event),
                                "{event:?} with a blank reason"
                            );
                        }
                    }
                }
            }
        }
        assert!(allowed > 0);
    }

    #[test]
    fn members_experts_and_the_municipal_bureau_fire_nothing() {
        for event in Event::ALL {
            for party in Party::ALL {
                for role in [Role::Member, Role::Expert] {
                    assert!(!may_fire(event, Actor { party, role }));
                }
            }
            assert!(!may_fire(
                event,
                Actor {
                    party: Party::Municipal,
                    role: Role::Manager
                }
            ));
        }
    }

    #[test]
    fn guards_list_what_is_missing() {
        assert_eq!(missing(Event::Open, &Facts::default()).len(), 3);
        let ready = Facts {
            parties_set: true,
            deadlines_set: true,
            targets_set: true,
            ..Facts::default()
        };
        assert!(missing(Event::Open, &ready).is_empty());
        let facts = Facts {
            missing_completions: Some(vec!["入户探访".into()]),
            missing_roster_months: Some(vec!["2025-01".into()]),
            narrative_written: Some(false),
            ..Facts::default()
        };
        let listed = missing(Event::SubmitSelfAssessment, &facts);
        assert_eq!(listed.len(), 3, "{listed:?}");
        assert!(listed[0].contains("入户探访") && listed[1].contains("2025-01"));
        let review = Facts {
            unanswered_objections: Some(2),
            feedback_pending: Some(vec!["街道办事处".into()]),
            ..Facts::default()
        };
        assert_eq!(missing(Event::SubmitForReview, &review).len(), 2);
        assert!(missing(Event::Approve, &Facts::default()).is_empty());
    }

    #[test]
    fn codes_match_serde() {
        for state in State::ALL {
            assert_eq!(State::from_code(state.code()), Some(state));
            assert_eq!(
                serde_json::to_value(state).ok(),
                Some(serde_json::json!(state.code()))
            );
        }
        for event in Event::ALL {
            assert_eq!(
                serde_json::to_value(event).ok(),
                Some(serde_json::json!(event.code()))
            );
        }
    }
}
