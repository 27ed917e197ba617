//! Login throttling: too many failed logins for one username or from one address within a
//! window block further attempts until enough of those failures have aged out.

use chrono::{NaiveDateTime, TimeDelta};

/// `recent_failures` are the newest failures inside the window, newest first, at most `limit`
/// of them. Returns how long the caller must wait, or `None` when an attempt is allowed.
pub fn retry_after(
    now: NaiveDateTime,
    window: TimeDelta,
    limit: u32,
    recent_failures: &[NaiveDateTime],
) -> Option<TimeDelta> {
    let limit = usize::try_from(limit).ok()?;
    if limit == 0 || recent_failures.len() < limit {
        return None;
    }
    // The block lifts when the limit-th newest failure leaves the window.
    let unblocked_at = recent_failures[limit - 1] + window;
    let wait = unblocked_at - now;
    (wait > TimeDelta::zero()).then_some(wait)
}

/// The wait for one key (a username or an address), counting both settled failures and
/// attempts still being checked (`pending`). Pending attempts settle within moments, so a
/// block that holds only because of them asks for a one-second wait, not a whole window.
pub fn wait_for(
    now: NaiveDateTime,
    window: TimeDelta,
    limit: u32,
    recent_failures: &[NaiveDateTime],
    pending: i64,
) -> Option<TimeDelta> {
    retry_after(now, window, limit, recent_failures).or_else(|| {
        let in_flight = recent_failures.len() as i64 + pending;
        (in_flight >= i64::from(limit)).then(|| TimeDelta::seconds(1))
    })
}

/// Whole seconds for a Retry-After header, never less than one.
pub fn retry_after_seconds(wait: TimeDelta) -> u64 {
    let millis = wait.num_milliseconds().max(0) as u64;
    millis.div_ceil(1000).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(seconds: i64) -> NaiveDateTime {
        chrono::DateTime::from_timestamp(1_700_000_000 + seconds, 0)
            .expect("valid")
            .naive_utc()
    }

    #[test]
    fn below_the_limit_is_allowed() {
        let failures = [t(40), t(30), t(20), t(10)];
        assert_eq!(
            retry_after(t(50), TimeDelta::seconds(900), 5, &failures),
            None
        );
    }

    #[test]
    fn at_the_limit_waits_until_the_oldest_counted_failure_expires() {
        let failures = [t(50), t(40), t(30), t(20), t(10)];
        let wait = retry_after(t(60), TimeDelta::seconds(900), 5, &failures).expect("blocked");
        assert_eq!(wait, TimeDelta::seconds(10 + 900 - 60));
        assert_eq!(retry_after_seconds(wait), 850);
    }

    #[test]
    fn expired_failures_no_longer_block() {
        let failures = [t(50), t(40), t(30), t(20), t(10)];
        assert_eq!(
            retry_after(t(910), TimeDelta::seconds(900), 5, &failures),
            None
        );
    }

    #[test]
    fn attempts_in_flight_count_but_ask_for_a_short_wait() {
        let window = TimeDelta::seconds(900);
        let failures = [t(50), t(40)];
        assert_eq!(wait_for(t(60), window, 5, &failures, 2), None);
        assert_eq!(
            wait_for(t(60), window, 5, &failures, 3),
            Some(TimeDelta::seconds(1))
        );
        let five = [t(50), t(40), t(30), t(20), t(10)];
        assert_eq!(
            wait_for(t(60), window, 5, &five, 0),
            Some(TimeDelta::seconds(850))
        );
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        assert_eq!(retry_after_seconds(TimeDelta::milliseconds(1)), 1);
        assert_eq!(retry_after_seconds(TimeDelta::milliseconds(1001)), 2);
        assert_eq!(retry_after_seconds(TimeDelta::zero()), 1);
    }
}
