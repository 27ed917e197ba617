//! Which reminders are due on a day (DESIGN.md §3, §7): `reminder_days` before a party's deadline
//! of the current stage, and one overdue notice after it — never for a deadline that was already
//! past when it was set or extended. Each is identified by (kind, party, date) so that it is sent
//! at most once per user and deadline; an extension gives a new date and so new reminders.

use chrono::NaiveDate;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReminderKind {
    /// So many days before the deadline.
    Before(u32),
    /// The day after the deadline or later: one notice.
    Overdue,
}

impl ReminderKind {
    /// Part of the key that makes the reminder unique per user and deadline.
    pub fn code(self) -> String {
        match self {
            ReminderKind::Before(days) => format!("reminder-{days}"),
            ReminderKind::Overdue => "overdue".to_owned(),
        }
    }
}

/// A party that still owes the current stage, with its deadline and the day that deadline was set
/// (the evaluation's creation or the extension that gave it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owed {
    pub party: String,
    pub due_on: NaiveDate,
    pub set_on: NaiveDate,
}

/// The reminder due for `owed` on `today`, if any.
pub fn due_reminder(owed: &Owed, today: NaiveDate, reminder_days: &[u32]) -> Option<ReminderKind> {
    if owed.set_on > owed.due_on {
        return None;
    }
    if today > owed.due_on {
        return Some(ReminderKind::Overdue);
    }
    let left = (owed.due_on - today).num_days();
    // A reminder whose day was before the deadline was set never comes.
    let set_left = (owed.due_on - owed.set_on).num_days();
    reminder_days
        .iter()
        .copied()
        .filter(|days| i64::from(*days) == left && i64::from(*days) <= set_left)
        .map(ReminderKind::Before)
        .next()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        text.parse().expect("test date")
    }

    fn owed(due: &str, set: &str) -> Owed {
        Owed {
            party: "station".into(),
            due_on: date(due),
            set_on: date(set),
        }
    }

    #[test]
    fn reminders_fall_on_their_days_before_and_one_notice_after() {
        let station = owed("2025-05-06", "2025-04-01");
        let on = |day: &str| due_reminder(&station, date(day), &[3, 1]);
        assert_eq!(on("2025-05-02"), None);
        assert_eq!(on("2025-05-03"), Some(ReminderKind::Before(3)));
        assert_eq!(on("2025-05-04"), None);
        assert_eq!(on("2025-05-05"), Some(ReminderKind::Before(1)));
        assert_eq!(
            on("2025-05-06"),
            None,
            "the deadline's own day is not overdue"
        );
        assert_eq!(on("2025-05-07"), Some(ReminderKind::Overdue));
        assert_eq!(on("2025-06-30"), Some(ReminderKind::Overdue));
    }

    #[test]
    fn a_deadline_already_past_when_set_gives_nothing() {
        // Last year's evaluations are entered with their dates: no reminder, no overdue notice.
        let late = owed("2025-05-06", "2026-11-22");
        assert_eq!(due_reminder(&late, date("2026-11-23"), &[3, 1]), None);
        // Set two days before: the three-day reminder's day had passed, the one-day one comes.
        let short = owed("2025-05-06", "2025-05-04");
        assert_eq!(due_reminder(&short, date("2025-05-03"), &[3, 1]), None);
        assert_eq!(
            due_reminder(&short, date("2025-05-05"), &[3, 1]),
            Some(ReminderKind::Before(1))
        );
    }
}
