//! The data of the evaluation page's 自评 tab, built for its template from the page's data; the forms that
//! change it are in `web::self_assessment`.

use std::collections::BTreeMap;

use crate::app::attachments::AttachmentView;
use crate::app::evaluation_page::SelfAssessmentData;
use crate::app::staff::Staff;
use crate::domain::points::Points;
use crate::domain::scheme::IndicatorScope;
use crate::domain::staffing::{self, Qualification, RosterWorker};
use crate::domain::workflow::State;
use crate::web::tabs::PageHead;

/// Blank roster lines offered below the workers, for new ones.
pub(crate) const BLANK_WORKERS: usize = 3;

/// One zone's part of the indicator table (or the station-wide indicators).
pub struct ZoneBlock {
    /// The form's name: zone-<id> or zone-station.
    pub form: String,
    /// "" for the station-wide indicators.
    pub zone: String,
    pub title: String,
    pub lines: Vec<Line>,
}

pub struct Line {
    pub code: String,
    pub name: String,
    pub unit: String,
    pub target: String,
    pub completed: String,
    pub percent: Option<Points>,
}

/// A figure as the annexes print it (742, 783.5), or nothing.
pub(crate) fn shown(value: Option<Points>) -> String {
    value.map(crate::report::build::figure).unwrap_or_default()
}

/// The 合计 of one indicator over its zones.
pub struct Total {
    pub code: String,
    pub name: String,
    pub target: String,
    pub completed: String,
    pub percent: Option<Points>,
}

pub struct WorkerLine {
    pub index: usize,
    pub worker: RosterWorker,
    pub on_post_total: Option<Points>,
}

pub struct SelfTab {
    /// The station may edit now (its users, during the self-assessment).
    pub editable: bool,
    /// The organizers set the 协议量 in setup (the agency's or the bureau's manager).
    pub targets_editable: bool,
    pub zones: Vec<ZoneBlock>,
    pub totals: Vec<Total>,
    pub staff: Staff,
    pub months: Vec<String>,
    pub roster: Vec<WorkerLine>,
    pub zone_choices: Vec<(i64, String)>,
    pub qualifications: Vec<(&'static str, &'static str)>,
    pub evidence: Vec<AttachmentView>,
    pub narrative: String,
}

/// The tab from the page's data (`app::evaluation_page`), read once.
pub fn build(page: &PageHead, data: SelfAssessmentData) -> SelfTab {
    let &PageHead {
        view,
        access,
        scheme,
        zones,
    } = page;
    let SelfAssessmentData {
        indicators: table,
        staff,
        evidence,
        narrative,
    } = data;
    let station_user = access.edits_self_assessment();
    let mut blocks: Vec<ZoneBlock> = zones
        .iter()
        .map(|z| ZoneBlock {
            form: format!("zone-{}", z.id),
            zone: z.id.to_string(),
            title: z.name.clone(),
            lines: Vec::new(),
        })
        .collect();
    let mut station = ZoneBlock {
        form: "zone-station".into(),
        zone: String::new(),
        title: "全站指标".into(),
        lines: Vec::new(),
    };
    for def in &scheme.indicators {
        let line = |zone_id: Option<i64>| {
            let row = table
                .rows
                .iter()
                .find(|r| r.indicator == def.code && r.zone_id == zone_id);
            Line {
                code: def.code.clone(),
                name: def.name.clone(),
                unit: def.unit.clone(),
                target: shown(row.and_then(|r| r.target)),
                completed: shown(row.and_then(|r| r.completed)),
                percent: row.and_then(|r| r.percent),
            }
        };
        match def.scope {
            IndicatorScope::Zone => {
                for (block, zone) in blocks.iter_mut().zip(zones) {
                    block.lines.push(line(Some(zone.id)));
                }
            }
            IndicatorScope::Station => station.lines.push(line(None)),
        }
    }
    if !station.lines.is_empty() {
        blocks.push(station);
    }
    let months: Vec<String> = staffing::period_months(view.assessment_start, view.assessment_end)
        .iter()
        .map(ToString::to_string)
        .collect();
    let mut roster: Vec<WorkerLine> = staff
        .workers
        .iter()
        .enumerate()
        .map(|(index, w)| WorkerLine {
            index,
            worker: w.worker.clone(),
            on_post_total: Some(w.figures.on_post_total),
        })
        .collect();
    for index in roster.len()..roster.len() + BLANK_WORKERS {
        roster.push(WorkerLine {
            index,
            worker: blank_worker(),
            on_post_total: None,
        });
    }
    let totals = table
        .totals
        .iter()
        .map(|t| Total {
            code: t.indicator.clone(),
            name: t.name.clone(),
            target: shown(t.target),
            completed: shown(t.completed),
            percent: t.percent,
        })
        .collect();
    let organizer = access.organizes();
    SelfTab {
        editable: station_user && view.state == State::SelfAssessment,
        targets_editable: organizer && view.state == State::Setup,
        zones: blocks,
        totals,
        staff,
        months,
        roster,
        zone_choices: zones.iter().map(|z| (z.id, z.name.clone())).collect(),
        qualifications: Qualification::ALL
            .iter()
            .map(|q| (q.code(), q.chinese_name()))
            .collect(),
        evidence,
        narrative,
    }
}

pub(crate) fn blank_worker() -> RosterWorker {
    RosterWorker {
        name: String::new(),
        position: String::new(),
        qualification: Qualification::Uncertified,
        over_two_years: false,
        practice_start: None,
        zone_id: None,
        joined_on: None,
        left_on: None,
        note: None,
        contract_term: None,
        months: BTreeMap::new(),
    }
}
