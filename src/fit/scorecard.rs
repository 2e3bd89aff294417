//! Integer points from the fitted model by PDO scaling (Siddiqi 2006, "Credit Risk Scorecards",
//! ch. 6; optbinning's `Scorecard`):
//!
//! ```text
//! factor = points_to_double_odds / ln 2
//! offset = base_score - factor * ln(base_odds)
//! score  = offset + factor * logit(p) = base_points + sum over traits of points(trait, bin)
//! base_points      = offset + factor * intercept
//! points(trait, b) = factor * coefficient * WoE(b)   (WoE encoding)
//!                  = factor * coefficient(b)          (indicator encoding)
//!                  = the pinned points                (a pinned bin, kept as given)
//! ```
//!
//! so a lead at the base odds scores `base_score` and every `points_to_double_odds` points double
//! the odds of winning. The base odds are the training window's odds (wins / losses). Points are
//! rounded to integers (they may be negative); `missing` and `other` bins get points like any
//! other bin. The fit sub-score is the base points plus the fit traits' points, the engagement
//! sub-score the engagement traits' points; the total is their sum.

use serde::Serialize;

use crate::fit::model::FittedModel;
use crate::traits::binning::Origin;

/// PDO scaling constants.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct Scaling {
    pub points_to_double_odds: f64,
    pub base_score: f64,
    /// Odds (wins / losses) at which a lead scores `base_score`.
    pub base_odds: f64,
    /// Points per unit of log-odds: `points_to_double_odds / ln 2`.
    pub factor: f64,
    /// `base_score - factor * ln(base_odds)`.
    pub offset: f64,
}

impl Scaling {
    pub fn new(points_to_double_odds: f64, base_score: f64, base_odds: f64) -> Scaling {
        let factor = points_to_double_odds / std::f64::consts::LN_2;
        Scaling {
            points_to_double_odds,
            base_score,
            base_odds,
            factor,
            offset: base_score - factor * base_odds.ln(),
        }
    }

    /// The log-odds a score stands for.
    pub fn logit(&self, score: f64) -> f64 {
        (score - self.offset) / self.factor
    }
}

/// Points of one bin: exact and rounded.
#[derive(Debug, Clone, Serialize)]
pub struct BinPoints {
    pub label: String,
    pub exact: f64,
    pub points: i64,
    pub pinned: bool,
}

/// Points of one trait.
#[derive(Debug, Clone, Serialize)]
pub struct TraitPoints {
    pub name: String,
    pub origin: Origin,
    pub bins: Vec<BinPoints>,
}

/// The scorecard: base points and points per trait bin.
#[derive(Debug, Clone, Serialize)]
pub struct Scorecard {
    pub scaling: Scaling,
    pub base_exact: f64,
    pub base_points: i64,
    pub traits: Vec<TraitPoints>,
}

/// Scales a fitted model into integer points.
pub fn scorecard(model: &FittedModel, scaling: Scaling) -> Scorecard {
    let base_exact = scaling.offset + scaling.factor * model.intercept;
    let traits = model
        .traits
        .iter()
        .map(|t| TraitPoints {
            name: t.bins.name.clone(),
            origin: t.bins.origin,
            bins: t
                .bins
                .bins
                .iter()
                .enumerate()
                .map(|(b, bin)| {
                    let exact = scaling.factor * t.logit(b, model.encoding, scaling.factor);
                    let pinned = t.pins[b].is_some();
                    BinPoints {
                        label: bin.label.clone(),
                        exact: if pinned {
                            t.pins[b].unwrap_or(exact)
                        } else {
                            exact
                        },
                        points: match t.pins[b] {
                            Some(p) => p.round() as i64,
                            None => exact.round() as i64,
                        },
                        pinned,
                    }
                })
                .collect(),
        })
        .collect();
    Scorecard {
        scaling,
        base_exact,
        base_points: base_exact.round() as i64,
        traits,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn pdo_arithmetic_by_hand() {
        // PDO 20, base score 50 at odds 1:9 (10% conversion).
        // factor = 20 / ln 2 = 28.853900817779268
        // offset = 50 - 28.8539 * ln(1/9) = 50 + 28.8539 * 2.1972245773 = 113.3985...
        let s = Scaling::new(20.0, 50.0, 1.0 / 9.0);
        assert_relative_eq!(s.factor, 28.853_900_817_779_27, epsilon = 1e-12);
        assert_relative_eq!(
            s.offset,
            50.0 + 28.853_900_817_779_27 * 9f64.ln(),
            epsilon = 1e-9
        );
        // At the base odds the score is the base score; doubling the odds adds 20 points.
        assert_relative_eq!(
            s.offset + s.factor * (1.0f64 / 9.0).ln(),
            50.0,
            epsilon = 1e-9
        );
        assert_relative_eq!(
            s.offset + s.factor * (2.0f64 / 9.0).ln(),
            70.0,
            epsilon = 1e-9
        );
        assert_relative_eq!(s.logit(50.0), (1.0f64 / 9.0).ln(), epsilon = 1e-12);
    }
}
