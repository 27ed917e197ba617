//! Scores (DESIGN.md §4): weighted components, the third party's raw score from the experts'
//! sheets, the total and the grade. Exact: raw scores stay fractions until a figure is shown.

use super::points::Points;
use super::scheme::{Band, Scheme};

/// A raw score held exactly: `hundredths / count` (count > 0). The third party's is the sum of
/// the experts' item means, whose denominator is the number of experts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Raw {
    hundredths: i128,
    count: i64,
}

impl Raw {
    pub fn points(value: Points) -> Raw {
        Raw {
            hundredths: i128::from(value.hundredths()),
            count: 1,
        }
    }

    /// The score to show, half-up to two places.
    pub fn rounded(self) -> Points {
        Points::rounded_ratio(self.hundredths, i128::from(self.count)).unwrap_or(Points::ZERO)
    }
}

/// Σ over the tree's items of the mean of the experts' scores for that item. Every submitted
/// sheet scores every item, so this is the sum of all scores over the number of sheets; nothing
/// is rounded on the way. None without sheets.
pub fn third_party_raw<'a>(sheets: impl IntoIterator<Item = &'a [Points]>) -> Option<Raw> {
    let (mut hundredths, mut count) = (0_i128, 0_i64);
    for sheet in sheets {
        hundredths += sheet
            .iter()
            .map(|p| i128::from(p.hundredths()))
            .sum::<i128>();
        count += 1;
    }
    (count > 0).then_some(Raw { hundredths, count })
}

/// round2(raw × weight / native_max), half-up.
pub fn weighted(raw: Raw, weight: Points, native_max: Points) -> Points {
    let numerator = raw.hundredths * i128::from(weight.hundredths());
    let denominator = i128::from(raw.count) * i128::from(native_max.hundredths());
    Points::rounded_ratio(numerator, denominator).unwrap_or(Points::ZERO)
}

/// Total and grade: Σ of the rounded weighted components, the band on that exact total — or the
/// lowest band (不合格) when a gate failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome<'a> {
    pub total: Points,
    pub band: &'a Band,
    pub gate_failed: bool,
}

pub fn outcome<'a>(
    scheme: &'a Scheme,
    weighted_components: &[Points],
    gates_passed: &[bool],
) -> Option<Outcome<'a>> {
    let total: Points = weighted_components.iter().copied().sum();
    let gate_failed = gates_passed.iter().any(|passed| !passed);
    let band = if gate_failed {
        scheme.bands.iter().min_by_key(|b| b.min)?
    } else {
        scheme.band_for(total)?
    };
    Some(Outcome {
        total,
        band,
        gate_failed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::indicators::tests::{guangzhou_2023, p};

    fn guangzhou_2019() -> Scheme {
        serde_json::from_str(include_str!("../../config/schemes/guangzhou-2019.json"))
            .expect("shipped scheme")
    }

    #[test]
    fn weighted_components_round_half_up_at_an_exact_half() {
        // 0.10 × 55 / 100 = 0.055 → 0.06; 0.30 × 15 / 100 = 0.045 → 0.05.
        assert_eq!(
            weighted(Raw::points(p("0.10")), p("55"), p("100")),
            p("0.06")
        );
        assert_eq!(
            weighted(Raw::points(p("0.30")), p("15"), p("100")),
            p("0.05")
        );
        // With native_max = weight the raw score is the component.
        assert_eq!(
            weighted(Raw::points(p("8.30")), p("10"), p("10")),
            p("8.30")
        );
    }

    #[test]
    fn three_experts_whose_item_means_sum_to_85_42_give_46_98() {
        let scheme = guangzhou_2023();
        let n = scheme
            .third_party_tree
            .sections
            .iter()
            .map(|s| s.items.len())
            .sum::<usize>();
        // Each sheet scores every item; the sheets total 85.40, 85.43 and 85.43.
        let sheet = |total: &str| {
            let mut scores = vec![Points::ZERO; n];
            scores[0] = p(total);
            scores
        };
        let sheets = [sheet("85.40"), sheet("85.43"), sheet("85.43")];
        let raw = third_party_raw(sheets.iter().map(Vec::as_slice)).expect("sheets");
        assert_eq!(raw.rounded(), p("85.42"));
        assert_eq!(weighted(raw, p("55"), p("100")), p("46.98"));
        assert_eq!(third_party_raw(std::iter::empty::<&[Points]>()), None);
    }

    #[test]
    fn the_mean_is_not_rounded_before_the_weighting() {
        // The means sum to 85.4233… (not 85.42): × 0.55 = 46.9828… → 46.98.
        let sheets = [vec![p("85.42")], vec![p("85.42")], vec![p("85.43")]];
        let raw = third_party_raw(sheets.iter().map(Vec::as_slice)).expect("sheets");
        assert_eq!(raw.rounded(), p("85.42"));
        assert_eq!(weighted(raw, p("55"), p("100")), p("46.98"));
        // 1.01 / 2 = 0.505 exactly: rounded up, and weighted from the exact value.
        let halves = [vec![p("1.00")], vec![p("0.01")]];
        let raw = third_party_raw(halves.iter().map(Vec::as_slice)).expect("sheets");
        assert_eq!(raw.rounded(), p("0.51"));
        assert_eq!(weighted(raw, p("100"), p("100")), p("0.51"));
    }

    #[test]
    fn xicun_totals_89_08_good() {
        let scheme = guangzhou_2023();
        let parts = [p("20.00"), p("8.30"), p("13.80"), p("46.98")];
        let outcome = outcome(&scheme, &parts, &[]).expect("outcome");
        assert_eq!(outcome.total, p("89.08"));
        assert_eq!(
            (outcome.band.code.as_str(), outcome.band.name.as_str()),
            ("good", "良好")
        );
    }

    #[test]
    fn grade_bands_at_their_boundaries() {
        let scheme = guangzhou_2023();
        for (total, grade) in [
            ("90.00", "优秀"),
            ("89.99", "良好"),
            ("80.00", "良好"),
            ("79.99", "合格"),
            ("60.00", "合格"),
            ("59.99", "不合格"),
            ("59.50", "不合格"),
            ("0.00", "不合格"),
        ] {
            let outcome = outcome(&scheme, &[p(total)], &[]).expect("outcome");
            assert_eq!(outcome.band.name, grade, "{total}");
        }
    }

    #[test]
    fn a_failed_gate_fails_whatever_the_total() {
        let scheme = guangzhou_2019();
        let parts = [p("680.00"), p("190.00"), p("95.00")];
        let passed = outcome(&scheme, &parts, &[true]).expect("outcome");
        assert_eq!(
            (passed.total, passed.band.name.as_str()),
            (p("965.00"), "优秀")
        );
        let failed = outcome(&scheme, &parts, &[false]).expect("outcome");
        assert_eq!(
            (failed.total, failed.band.name.as_str(), failed.gate_failed),
            (p("965.00"), "不合格", true)
        );
    }
}
