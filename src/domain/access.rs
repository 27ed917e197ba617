//! The one permission model of an evaluation (DESIGN.md §3): what a user's organization is in
//! one evaluation — its workflow party, its role, the scheme parties it stands for — and what it
//! may therefore do. Built once per request from the user and the loaded evaluation; the
//! application layer refuses with its reasons, the pages ask it which forms to show. Parties are
//! found by their role in the scheme (its agency party, its feedback parties), never by code.

use super::components::Viewer;
use super::scheme::{STATION_PARTY, Scheme, SchemeParty};
use super::user::Role;
use super::workflow::{self, Actor, Event, Party};

/// Why something is refused, in Chinese (a 403).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denied(pub String);

fn deny(reason: impl Into<String>) -> Result<(), Denied> {
    Err(Denied(reason.into()))
}

/// Sees the submitted components, and so the total, before the draft is issued: admins, the
/// bureau, and the agency's manager (§3).
pub fn sees_submitted_early(actor: Actor) -> bool {
    actor.role == Role::Admin
        || actor.party == Party::Bureau
        || (actor.party == Party::Agency && actor.role == Role::Manager)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvaluationAccess {
    pub actor: Actor,
    /// The scheme parties the user's organization stands for, and `STATION_PARTY` for the
    /// station's operator.
    pub parties: Vec<String>,
    /// The scheme party whose score comes from the experts (the evaluation agency).
    agency_party: Option<String>,
    /// The parties asked for feedback on a draft, the station among them.
    feedback_parties: Vec<String>,
}

impl EvaluationAccess {
    /// `parties`: the evaluation's party codes (scheme parties and `STATION_PARTY`) that the
    /// user's organization stands for.
    pub fn new(actor: Actor, parties: Vec<String>, scheme: &Scheme) -> EvaluationAccess {
        EvaluationAccess {
            actor,
            parties,
            agency_party: scheme.third_party().map(|p| p.code.clone()),
            feedback_parties: scheme.feedback_parties(),
        }
    }

    pub fn is_admin(&self) -> bool {
        self.actor.role == Role::Admin
    }

    fn is_manager(&self) -> bool {
        self.actor.role == Role::Manager
    }

    fn manager_or_member(&self) -> bool {
        matches!(self.actor.role, Role::Manager | Role::Member)
    }

    /// The user's organization stands for this party of the evaluation.
    pub fn stands_for(&self, party: &str) -> bool {
        self.parties.iter().any(|p| p == party)
    }

    /// The agency's manager (or an admin).
    fn agency_manager(&self) -> bool {
        self.is_admin() || (self.is_manager() && self.actor.party == Party::Agency)
    }

    /// Sets targets, extends deadlines, opens the evaluation: the agency's or the bureau's
    /// manager, or an admin.
    pub fn organizes(&self) -> bool {
        self.is_admin()
            || (self.is_manager() && matches!(self.actor.party, Party::Agency | Party::Bureau))
    }

    pub fn ensure_organizes(&self, denial: &str) -> Result<(), Denied> {
        if self.organizes() {
            Ok(())
        } else {
            deny(denial)
        }
    }

    /// May fire the event by party and role (the workflow table); state and data are checked
    /// by the workflow itself.
    pub fn may_fire(&self, event: Event) -> bool {
        workflow::may_fire(event, self.actor)
    }

    /// Writes the station's self-assessment: its manager or members, or an admin.
    pub fn edits_self_assessment(&self) -> bool {
        self.is_admin() || (self.actor.party == Party::Station && self.manager_or_member())
    }

    pub fn ensure_edits_self_assessment(&self) -> Result<(), Denied> {
        if self.edits_self_assessment() {
            Ok(())
        } else {
            deny("只有社工站可以填写自评资料")
        }
    }

    /// Fills in (members and managers) or submits and withdraws (managers only) a party's
    /// component: the organization standing for the party, or an admin.
    pub fn ensure_scores_for(
        &self,
        party: &SchemeParty,
        managers_only: bool,
    ) -> Result<(), Denied> {
        if self.is_admin() {
            return Ok(());
        }
        let role_ok = self.is_manager() || (!managers_only && self.actor.role == Role::Member);
        if role_ok && self.stands_for(&party.code) {
            Ok(())
        } else if managers_only {
            deny(format!("只有{}的负责人可以提交或撤回本方评分", party.name))
        } else {
            deny(format!("只有{}可以填写本方评分", party.name))
        }
    }

    /// May fill in this party's component (the page's form).
    pub fn scores_for(&self, party: &SchemeParty) -> bool {
        self.actor.role != Role::Expert && self.ensure_scores_for(party, false).is_ok()
    }

    /// Who sees which components before the draft is issued.
    pub fn viewer(&self) -> Viewer<'_> {
        Viewer {
            parties: self.parties.iter().map(String::as_str).collect(),
            sees_submitted_early: sees_submitted_early(self.actor),
        }
    }

    /// Sees the evaluation's list of service users (满意度调查): the station that lists them, the
    /// agency that calls them and the bureau, their managers and members, or an admin.
    pub fn sees_clients(&self) -> bool {
        self.is_admin()
            || (self.manager_or_member()
                && matches!(
                    self.actor.party,
                    Party::Station | Party::Agency | Party::Bureau
                ))
    }

    /// Draws the survey's sample: the agency's manager, or an admin.
    pub fn draws_sample(&self) -> bool {
        self.agency_manager()
    }

    /// Records the survey's calls (the calling sheet): the agency's manager and members.
    pub fn records_calls(&self) -> bool {
        self.manager_or_member() && self.actor.party == Party::Agency
    }

    /// Sees the clients' phone numbers: only the agency's callers, and only while the survey is
    /// open (on-site scoring); never the station once it has uploaded them.
    pub fn sees_client_phones(&self, survey_open: bool) -> bool {
        survey_open && self.manager_or_member() && self.actor.party == Party::Agency
    }

    /// The scheme's agency party (the one the experts score for).
    pub fn agency_party(&self) -> Option<&str> {
        self.agency_party.as_deref()
    }

    /// The user stands for the scheme's agency party (its experts' sheets, its panel).
    pub fn is_agency(&self) -> bool {
        self.actor.party == Party::Agency
            || self
                .agency_party
                .as_deref()
                .is_some_and(|code| self.stands_for(code))
    }

    /// Sees the expert panel: the agency's managers and members, or an admin; never an expert
    /// (who sees only their own sheet).
    pub fn ensure_sees_panel(&self, assigning: bool) -> Result<(), Denied> {
        let allowed = self.is_admin()
            || (self.is_agency()
                && match self.actor.role {
                    Role::Manager => true,
                    Role::Member => !assigning,
                    _ => false,
                });
        match (allowed, assigning) {
            (true, _) => Ok(()),
            (false, true) => deny("只有评估机构的负责人可以指派专家"),
            (false, false) => deny("专家组只对评估机构公开"),
        }
    }

    pub fn sees_panel(&self) -> bool {
        self.ensure_sees_panel(false).is_ok()
    }

    pub fn assigns_panel(&self) -> bool {
        self.ensure_sees_panel(true).is_ok()
    }

    /// The party in whose name the user gives feedback on a draft: a manager of a feedback
    /// party.
    pub fn feedback_party(&self) -> Result<&str, Denied> {
        let party = self
            .parties
            .iter()
            .find(|p| self.feedback_parties.contains(p));
        match party {
            Some(code) if self.is_manager() => Ok(code),
            _ => Err(Denied(
                "只有区民政局、街道办事处和社工站的负责人可以反馈报告初稿意见".into(),
            )),
        }
    }

    /// The parties asked for feedback, the station among them.
    pub fn feedback_parties(&self) -> &[String] {
        &self.feedback_parties
    }

    /// Answers objections: the agency's manager, or an admin.
    pub fn ensure_answers_objections(&self) -> Result<(), Denied> {
        if self.agency_manager() {
            Ok(())
        } else {
            deny("只有评估机构的负责人可以答复异议")
        }
    }

    pub fn answers_objections(&self) -> bool {
        self.agency_manager()
    }

    /// Issues a revised draft: the agency's manager, or an admin.
    pub fn ensure_revises_draft(&self) -> Result<(), Denied> {
        if self.agency_manager() {
            Ok(())
        } else {
            deny("只有评估机构的负责人可以出具修改稿")
        }
    }

    pub fn revises_draft(&self) -> bool {
        self.agency_manager()
    }

    /// Answers the rectification items of the station: its operator's managers and members, or
    /// an admin.
    pub fn answers_rectifications(&self) -> bool {
        self.is_admin() || (self.stands_for(STATION_PARTY) && self.manager_or_member())
    }

    /// Verifies the station's answers (通过 or 不通过): the agency's manager, or an admin —
    /// never the station, whatever else its organization is.
    pub fn verifies_rectifications(&self) -> bool {
        self.is_admin() || (self.agency_manager() && !self.stands_for(STATION_PARTY))
    }

    /// Moves an item's due date: the supervising bureau's manager, or an admin.
    pub fn sets_rectification_due(&self) -> bool {
        self.is_admin() || (self.is_manager() && self.actor.party == Party::Bureau)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scheme(name: &str) -> Scheme {
        let text = match name {
            "2019" => include_str!("../../config/schemes/guangzhou-2019.json"),
            _ => include_str!("../../config/schemes/guangzhou-2023.json"),
        };
        serde_json::from_str(text).expect("shipped scheme")
    }

    fn access(party: Party, role: Role, codes: &[&str], scheme: &Scheme) -> EvaluationAccess {
        EvaluationAccess::new(
            Actor { party, role },
            codes.iter().map(|c| (*c).to_owned()).collect(),
            scheme,
        )
    }

    /// The agency's party is found by its role, whatever the scheme calls it.
    #[test]
    fn the_agency_is_found_by_role_in_every_scheme() {
        for name in ["2023", "2019"] {
            let scheme = scheme(name);
            let agency = scheme.third_party().expect("agency party").code.clone();
            let manager = access(Party::Agency, Role::Manager, &[&agency], &scheme);
            assert!(manager.organizes(), "{name}");
            assert!(
                manager.revises_draft() && manager.answers_objections(),
                "{name}"
            );
            assert!(manager.assigns_panel() && manager.sees_panel(), "{name}");
            let member = access(Party::Agency, Role::Member, &[&agency], &scheme);
            assert!(member.sees_panel() && !member.assigns_panel(), "{name}");
            assert!(!member.organizes() && !member.revises_draft(), "{name}");
            let expert = access(Party::Agency, Role::Expert, &[], &scheme);
            assert!(!expert.sees_panel(), "{name}");
        }
    }

    #[test]
    fn feedback_comes_from_the_feedback_parties_managers() {
        for name in ["2023", "2019"] {
            let scheme = scheme(name);
            let feedback = scheme.feedback_parties();
            assert!(feedback.iter().any(|p| p == STATION_PARTY), "{name}");
            for party in &scheme.parties {
                let gives = feedback.contains(&party.code);
                let manager = access(Party::Extra, Role::Manager, &[&party.code], &scheme);
                assert_eq!(
                    manager.feedback_party().is_ok(),
                    gives,
                    "{name} {}",
                    party.code
                );
                let member = access(Party::Extra, Role::Member, &[&party.code], &scheme);
                assert!(member.feedback_party().is_err());
            }
            let agency = scheme.third_party().expect("agency").code.clone();
            assert!(
                !feedback.contains(&agency),
                "{name}: the agency answers, it is not asked"
            );
        }
    }

    #[test]
    fn components_are_written_by_their_own_party() {
        let scheme = scheme("2019");
        let purchaser = &scheme.parties[1];
        let street = access(Party::Purchaser, Role::Member, &[&purchaser.code], &scheme);
        assert!(street.ensure_scores_for(purchaser, false).is_ok());
        assert!(street.ensure_scores_for(purchaser, true).is_err());
        let other = &scheme.parties[2];
        assert!(street.ensure_scores_for(other, false).is_err());
        let admin = access(Party::Admin, Role::Admin, &[], &scheme);
        assert!(admin.ensure_scores_for(other, true).is_ok());
    }

    #[test]
    fn the_station_edits_its_self_assessment_and_answers_rectifications() {
        let scheme = scheme("2023");
        let station = access(Party::Station, Role::Member, &[STATION_PARTY], &scheme);
        assert!(station.edits_self_assessment() && station.answers_rectifications());
        let expert = access(Party::Station, Role::Expert, &[STATION_PARTY], &scheme);
        assert!(!expert.edits_self_assessment());
        let supervisor = scheme
            .parties
            .iter()
            .find(|p| p.org_kind == crate::domain::organization::OrgKind::CivilAffairsBureau)
            .expect("a bureau party");
        let bureau = access(Party::Bureau, Role::Manager, &[&supervisor.code], &scheme);
        assert!(!bureau.edits_self_assessment() && !bureau.answers_rectifications());
        assert!(bureau.organizes() && !bureau.revises_draft());
    }
}
