//! Rectification items (整改事项, DESIGN.md §10): the life of one item from the final report's
//! concern to the agency's verification. `open → answered → verified | returned → answered …`:
//! the station answers (again, until verified), the agency verifies or returns an answer, a
//! verified item is closed. Pure: the caller loads and stores.

use chrono::{Duration, NaiveDate};
use serde::Serialize;
use utoipa::ToSchema;

/// The due date when the scheme sets none: 90 days after the approval.
pub const DEFAULT_DAYS: i64 = 90;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ItemStatus {
    /// Not answered yet.
    Open,
    /// Answered by the station, waiting for the agency's verification.
    Answered,
    /// Verified by the agency: closed.
    Verified,
    /// The agency found the answer wanting: back to the station.
    Returned,
}

impl ItemStatus {
    pub const ALL: [ItemStatus; 4] = [
        ItemStatus::Open,
        ItemStatus::Answered,
        ItemStatus::Verified,
        ItemStatus::Returned,
    ];

    pub fn code(self) -> &'static str {
        match self {
            ItemStatus::Open => "open",
            ItemStatus::Answered => "answered",
            ItemStatus::Verified => "verified",
            ItemStatus::Returned => "returned",
        }
    }

    /// The stored status; anything else reads as open.
    pub fn from_code(code: &str) -> ItemStatus {
        ItemStatus::ALL
            .into_iter()
            .find(|s| s.code() == code)
            .unwrap_or(ItemStatus::Open)
    }

    pub fn chinese_name(self) -> &'static str {
        match self {
            ItemStatus::Open => "未整改",
            ItemStatus::Answered => "已整改，待核验",
            ItemStatus::Verified => "已核验通过",
            ItemStatus::Returned => "核验未通过，待重新整改",
        }
    }

    /// The station may (re)write its answer: until the item is verified.
    pub fn answerable(self) -> bool {
        self != ItemStatus::Verified
    }

    /// The agency may verify: an answer waits.
    pub fn verifiable(self) -> bool {
        self == ItemStatus::Answered
    }

    /// The station still owes the item (reminders, overdue, 我的待办).
    pub fn owed_by_station(self) -> bool {
        matches!(self, ItemStatus::Open | ItemStatus::Returned)
    }
}

/// The due date of an item of a report approved on `approved_on`.
pub fn due_on(approved_on: NaiveDate, days: i64) -> NaiveDate {
    approved_on + Duration::days(days)
}

/// Overdue: the station still owes it and its day has passed.
pub fn overdue(status: ItemStatus, due_on: NaiveDate, today: NaiveDate) -> bool {
    status.owed_by_station() && today > due_on
}

/// Open, overdue and verified items among `items` (status, due date): what the summaries count.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize, ToSchema)]
pub struct ItemCounts {
    /// Owed by the station (open or returned).
    pub open: i64,
    /// Of those, past their due date.
    pub overdue: i64,
    /// Answered, waiting for the agency.
    pub answered: i64,
    pub verified: i64,
}

impl ItemCounts {
    /// The sum of two counts (a dashboard's over its evaluations).
    pub fn plus(self, other: ItemCounts) -> ItemCounts {
        ItemCounts {
            open: self.open + other.open,
            overdue: self.overdue + other.overdue,
            answered: self.answered + other.answered,
            verified: self.verified + other.verified,
        }
    }

    pub fn add(&mut self, status: ItemStatus, due_on: NaiveDate, today: NaiveDate) {
        match status {
            ItemStatus::Open | ItemStatus::Returned => {
                self.open += 1;
                if overdue(status, due_on, today) {
                    self.overdue += 1;
                }
            }
            ItemStatus::Answered => self.answered += 1,
            ItemStatus::Verified => self.verified += 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        text.parse().expect("date")
    }

    #[test]
    fn an_item_is_answered_until_verified_and_verified_only_once_answered() {
        use ItemStatus::*;
        let answerable: Vec<ItemStatus> = ItemStatus::ALL
            .into_iter()
            .filter(|s| s.answerable())
            .collect();
        assert_eq!(answerable, [Open, Answered, Returned]);
        let verifiable: Vec<ItemStatus> = ItemStatus::ALL
            .into_iter()
            .filter(|s| s.verifiable())
            .collect();
        assert_eq!(verifiable, [Answered]);
        for status in ItemStatus::ALL {
            assert_eq!(ItemStatus::from_code(status.code()), status);
        }
        assert_eq!(ItemStatus::from_code("done"), Open);
    }

    #[test]
    fn due_dates_and_overdue_items() {
        assert_eq!(due_on(date("2025-06-03"), DEFAULT_DAYS), date("2025-09-01"));
        let due = date("2025-09-01");
        assert!(!overdue(ItemStatus::Open, due, due));
        assert!(overdue(ItemStatus::Open, due, date("2025-09-02")));
        assert!(overdue(ItemStatus::Returned, due, date("2025-09-02")));
        // An answer waiting for the agency is not the station's delay.
        assert!(!overdue(ItemStatus::Answered, due, date("2025-12-01")));
        let mut counts = ItemCounts::default();
        let late = date("2025-09-02");
        for status in [
            ItemStatus::Open,
            ItemStatus::Returned,
            ItemStatus::Answered,
            ItemStatus::Verified,
        ] {
            counts.add(status, due, late);
        }
        counts.add(ItemStatus::Open, date("2025-12-31"), late);
        assert_eq!(
            counts,
            ItemCounts {
                open: 3,
                overdue: 2,
                answered: 1,
                verified: 1
            }
        );
    }
}
