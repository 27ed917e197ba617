//! Points and percentages: exact decimals with two places, held as integer hundredths and
//! written as strings with both places ("8.30", "100.00") — never floats.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Points(i64);

impl Points {
    pub const ZERO: Points = Points(0);

    pub fn from_hundredths(hundredths: i64) -> Points {
        Points(hundredths)
    }

    pub fn hundredths(self) -> i64 {
        self.0
    }

    pub fn checked_add(self, other: Points) -> Option<Points> {
        self.0.checked_add(other.0).map(Points)
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
