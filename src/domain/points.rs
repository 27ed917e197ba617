//! Points and percentages: exact decimals with two places, held as integer hundredths and
//! written as strings with both places ("8.30", "100.00") — never floats.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Points(i64);

impl Points {
    pub const ZERO: Points = Points(0);

    pub const fn from_hundredths(hundredths: i64) -> Points {
        Points(hundredths)
    }

    pub fn hundredths(self) -> i64 {
        self.0
    }

    pub fn checked_add(self, other: Points) -> Option<Points> {
        self.0.checked_add(other.0).map(Points)
    }

    /// `self / denominator`, rounded half-up to two places; None when dividing by zero.
    pub fn ratio(self, denominator: Points) -> Option<Points> {
        rounded_quotient(i128::from(self.0) * 100, i128::from(denominator.0))
    }

    /// `self × 100 / whole` as a percentage, rounded half-up; None when `whole` is zero.
    pub fn percent_of(self, whole: Points) -> Option<Points> {
        rounded_quotient(i128::from(self.0) * 10_000, i128::from(whole.0))
    }

    /// numerator / denominator, both in hundredths' scale of the result, half-up to two places;
    /// None when the denominator is zero.
    pub fn rounded_ratio(numerator: i128, denominator: i128) -> Option<Points> {
        rounded_quotient(numerator, denominator)
    }

    /// `self × count`, e.g. staff × months.
    pub fn times(self, count: i64) -> Points {
        Points(self.0.saturating_mul(count))
    }
}

/// numerator / denominator in hundredths, half away from zero (四舍五入 on magnitudes).
fn rounded_quotient(numerator: i128, denominator: i128) -> Option<Points> {
    if denominator == 0 {
        return None;
    }
    let negative = (numerator < 0) != (denominator < 0);
    let (n, d) = (numerator.unsigned_abs(), denominator.unsigned_abs());
    let magnitude = (n * 2 + d) / (d * 2);
    let magnitude = i64::try_from(magnitude).ok()?;
    Some(Points(if negative { -magnitude } else { magnitude }))
}

impl std::ops::Add for Points {
    type Output = Points;

    fn add(self, other: Points) -> Points {
        Points(self.0.saturating_add(other.0))
    }
}

impl std::ops::Sub for Points {
    type Output = Points;

    fn sub(self, other: Points) -> Points {
        Points(self.0.saturating_sub(other.0))
    }
}

impl std::iter::Sum for Points {
    fn sum<I: Iterator<Item = Points>>(iter: I) -> Points {
        iter.fold(Points::ZERO, |a, b| a + b)
    }
}

/// Why a text is not a number of points.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PointsError {
    #[error("须为不小于 0 的数，如 8.30")]
    NotANumber,
    #[error("最多两位小数")]
    TooManyDecimals,
    #[error("数值过大")]
    TooLarge,
}

impl FromStr for Points {
    type Err = PointsError;

    fn from_str(text: &str) -> Result<Points, PointsError> {
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
        if whole.is_empty()
            || !digits(whole)
            || !digits(fraction)
            || (text.contains('.') && fraction.is_empty())
        {
            return Err(PointsError::NotANumber);
        }
        if fraction.len() > 2 {
            return Err(PointsError::TooManyDecimals);
        }
        if whole.len() > 12 {
            return Err(PointsError::TooLarge);
        }
        let whole: i64 = whole.parse().map_err(|_| PointsError::TooLarge)?;
        let fraction: i64 = format!("{fraction:0<2}")
            .parse()
            .map_err(|_| PointsError::NotANumber)?;
        Ok(Points(whole * 100 + fraction))
    }
}

impl fmt::Display for Points {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

impl Serialize for Points {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Points {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Points, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse()
            .map_err(|e: PointsError| serde::de::Error::custom(format!("“{text}”{e}")))
    }
}

impl utoipa::PartialSchema for Points {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some(r"^\d+(\.\d{1,2})?$"))
            .examples(["8.30"])
            .into()
    }
}

impl utoipa::ToSchema for Points {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_two_places() {
        for (text, hundredths, shown) in [
            ("8.3", 830, "8.30"),
            ("8.30", 830, "8.30"),
            ("100", 10000, "100.00"),
            ("0.05", 5, "0.05"),
            ("0", 0, "0.00"),
        ] {
            let points: Points = text.parse().expect(text);
            assert_eq!(points.hundredths(), hundredths, "{text}");
            assert_eq!(points.to_string(), shown);
        }
    }

    #[test]
    fn refuses_what_is_not_two_place_points() {
        assert_eq!("0.125".parse::<Points>(), Err(PointsError::TooManyDecimals));
        for bad in ["-1", "", ".5", "5.", "1e3", "8,30", " 8", "abc", "1.2.3"] {
            assert_eq!(
                bad.parse::<Points>(),
                Err(PointsError::NotANumber),
                "{bad:?}"
            );
        }
        assert_eq!(
            "9999999999999".parse::<Points>(),
            Err(PointsError::TooLarge)
        );
    }

    #[test]
    fn ratios_round_half_up_to_two_places() {
        let p = |s: &str| s.parse::<Points>().expect("points");
        assert_eq!(p("1011").percent_of(p("1400")), Some(p("72.21")));
        assert_eq!(p("783.50").percent_of(p("1080")), Some(p("72.55")));
        assert_eq!(p("160").percent_of(p("240")), Some(p("66.67")));
        // 0.125 → 0.13, and 71 / 92.5 = 76.756… → 76.76.
        assert_eq!(p("1").ratio(p("8")), Some(p("0.13")));
        assert_eq!(p("71").percent_of(p("92.50")), Some(p("76.76")));
        assert_eq!(p("783.50").ratio(p("92.50")), Some(p("8.47")));
        assert_eq!(p("5").percent_of(Points::ZERO), None);
        assert_eq!(
            (Points::ZERO - p("0.125".trim_end_matches('5'))).to_string(),
            "-0.12"
        );
        assert_eq!(
            (Points::ZERO - p("1")).ratio(p("8")),
            Some(Points::ZERO - p("0.13"))
        );
        assert_eq!(p("2.5").times(13), p("32.50"));
        assert_eq!([p("1"), p("0.5")].into_iter().sum::<Points>(), p("1.50"));
    }

    #[test]
    fn travels_as_strings() {
        let points: Points = serde_json::from_str("\"46.98\"").expect("parses");
        assert_eq!(
            serde_json::to_string(&points).expect("serializes"),
            "\"46.98\""
        );
        assert!(
            serde_json::from_str::<Points>("46.98").is_err(),
            "numbers are refused"
        );
    }
}
