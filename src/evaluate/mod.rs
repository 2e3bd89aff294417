//! Evaluation on the validation leads (`evaluation.json`): ranking (AUC, Gini, KS), probability
//! quality (Brier, log loss, expected calibration error), lift and conversion by decile, the
//! calibration table, per-tier volume and conversion, score and trait stability (PSI) between
//! training and validation, what rounding and pins cost, and the back-test against the config in
//! use. Formulas are in [`crate::evaluate::metrics`] and [`crate::stats`].

pub mod metrics;

use std::collections::BTreeMap;

use polars::prelude::{InitHashMaps, PlHashMap};

use serde::Serialize;

use crate::scoring::Scored;
use crate::scoring::export::ScoringConfig;
use crate::stats;
use metrics::{Band, Obs};

/// Ranking and probability metrics of one set of leads.
#[derive(Debug, Clone, Serialize)]
pub struct Metrics {
    pub leads: u64,
    pub wins: u64,
    pub auc: Option<f64>,
    pub gini: Option<f64>,
    pub ks: Option<f64>,
    pub brier: Option<f64>,
    pub log_loss: Option<f64>,
    pub ece: Option<f64>,
}

/// One tier on the validation leads.
#[derive(Debug, Clone, Serialize)]
pub struct TierResult {
    pub name: String,
    pub min_score: Option<i64>,
    pub sla_hours: f64,
    pub leads: u64,
    pub share: f64,
    pub wins: u64,
    pub conversion: f64,
    pub conversion_low: f64,
    pub conversion_high: f64,
    pub lift: f64,
}

/// Stability of the score and each trait's bins between training and validation.
#[derive(Debug, Clone, Serialize)]
pub struct Stability {
    pub score_psi: Option<f64>,
    pub trait_psi: BTreeMap<String, f64>,
}

/// The new model against the config in use, on the same validation leads.
#[derive(Debug, Clone, Serialize)]
pub struct Backtest {
    pub current: Metrics,
    pub new: Metrics,
    pub current_hot_lift: Option<f64>,
    pub new_hot_lift: Option<f64>,
    /// Validation leads whose tier differs between the two configs.
    pub leads_changing_tier: u64,
    /// Current tier -> new tier -> leads.
    pub tier_moves: BTreeMap<String, BTreeMap<String, u64>>,
}

/// What rounding points to integers, and pinning, cost in validation AUC.
#[derive(Debug, Clone, Serialize)]
pub struct Costs {
    pub auc_exact_points: Option<f64>,
    pub auc_integer_points: Option<f64>,
    pub rounding_cost: Option<f64>,
    pub auc_without_pins: Option<f64>,
    /// Positive: the pins lowered validation AUC by this much.
    pub pins_cost: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Evaluation {
    pub split: String,
    /// Which model the figures describe, and which one the exported config deploys.
    pub deployed: String,
    pub train: Metrics,
    pub validation: Metrics,
    pub lift_by_decile: Vec<Band>,
    /// Predicted probability vs observed conversion by decile of probability.
    pub calibration_by_decile: Vec<Band>,
    pub tiers: Vec<TierResult>,
    pub costs: Costs,
    pub stability: Stability,
    pub backtest: Option<Backtest>,
    /// The validated model's L2 penalty and what was decided about each candidate trait
    /// (`src/fit/select.rs`).
    pub l2: f64,
    pub selection: Vec<crate::fit::select::Decision>,
    pub warnings: Vec<String>,
}

fn finite(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}

/// Leads grouped by a score, as wins / losses per distinct score, in score order (counted
/// in a hash map, sorted once: a tree costs a search per lead, and exact scores are nearly all
/// distinct).
pub fn grouped(scores: impl Iterator<Item = f64>, won: impl Iterator<Item = bool>) -> Vec<Obs> {
    let mut by: PlHashMap<u64, (u64, u64)> = PlHashMap::new();
    for (s, w) in scores.zip(won) {
        // Order-preserving key of a finite f64.
        let bits = s.to_bits();
        let key = if s.is_sign_negative() {
            !bits
        } else {
            bits | (1 << 63)
        };
        let e = by.entry(key).or_insert((0, 0));
        if w {
            e.0 += 1;
        } else {
            e.1 += 1;
        }
    }
    let mut by: Vec<(u64, (u64, u64))> = by.into_iter().collect();
    by.sort_unstable_by_key(|g| g.0);
    by.into_iter()
        .map(|(key, (wins, losses))| {
            // The key back to the score it came from.
            let bits = if key >> 63 == 1 {
                key & !(1 << 63)
            } else {
                !key
            };
            Obs {
                score: f64::from_bits(bits),
                wins: wins as f64,
                losses: losses as f64,
            }
        })
        .collect()
}

/// Ranking metrics on `scores` and probability metrics on `probabilities`.
pub fn metrics_of(scores: &[f64], probabilities: &[f64], won: &[bool]) -> Metrics {
    let by_score = grouped(scores.iter().copied(), won.iter().copied());
    let by_probability = grouped(probabilities.iter().copied(), won.iter().copied());
    let wins = won.iter().filter(|w| **w).count() as u64;
    Metrics {
        leads: won.len() as u64,
        wins,
        auc: finite(metrics::auc(&by_score)),
        gini: finite(metrics::gini(&by_score)),
        ks: finite(metrics::ks(&by_score).0),
        brier: finite(metrics::brier(&by_probability)),
        log_loss: finite(metrics::log_loss(&by_probability)),
        ece: finite(metrics::ece(&by_probability, 10)),
    }
}

/// Per tier on the given leads (`scored` positions `at`).
pub fn tier_results(
    config: &ScoringConfig,
    scored: &Scored,
    at: &[usize],
    won: &[bool],
) -> Vec<TierResult> {
    let total = at.len().max(1) as f64;
    let overall = won.iter().filter(|w| **w).count() as f64 / total;
    config
        .tiers
        .iter()
        .enumerate()
        .map(|(k, t)| {
            let (mut leads, mut wins) = (0u64, 0u64);
            for (&i, &w) in at.iter().zip(won) {
                if scored.tier[i] == k {
                    leads += 1;
                    wins += u64::from(w);
                }
            }
            let (low, high) = stats::wilson_interval(wins as f64, leads as f64, stats::Z95);
            let conversion = if leads == 0 {
                0.0
            } else {
                wins as f64 / leads as f64
            };
            TierResult {
                name: t.name.clone(),
                min_score: t.min_score,
                sla_hours: t.sla_hours,
                leads,
                share: leads as f64 / total,
                wins,
                conversion,
                conversion_low: low,
                conversion_high: high,
                lift: if overall > 0.0 {
                    conversion / overall
                } else {
                    f64::NAN
                },
            }
        })
        .collect()
}

/// PSI of each trait's bin distribution and of the score, training vs validation.
pub fn stability(
    config: &ScoringConfig,
    scored: &Scored,
    train: &[usize],
    validation: &[usize],
) -> Stability {
    let weighted = |at: &[usize], f: &dyn Fn(usize) -> f64| -> Vec<(f64, f64)> {
        at.iter().map(|&i| (f(i), 1.0)).collect()
    };
    let score_psi = if validation.is_empty() {
        None
    } else {
        let s = |i: usize| scored.score[i] as f64;
        finite(metrics::psi(&weighted(train, &s), &weighted(validation, &s), None).0)
    };
    let mut trait_psi = BTreeMap::new();
    if !validation.is_empty() {
        // Each trait's PSI over its own bins: leads counted per bin (whole counts, so the
        // same sums as weights of 1), the traits in parallel.
        use rayon::prelude::*;
        let psis: Vec<f64> = config
            .traits
            .par_iter()
            .enumerate()
            .map(|(t, c)| {
                if c.bins.is_empty() {
                    return f64::NAN;
                }
                let count = |at: &[usize]| {
                    let mut n = vec![0u64; c.bins.len()];
                    for &i in at {
                        n[scored.bins[t][i] as usize] += 1;
                    }
                    n.into_iter().map(|n| n as f64).collect::<Vec<f64>>()
                };
                metrics::psi_of_bins(
                    &count(train),
                    &count(validation),
                    train.len() as f64,
                    validation.len() as f64,
                )
            })
            .collect();
        for (c, psi) in config.traits.iter().zip(psis) {
            if let Some(psi) = finite(psi) {
                trait_psi.insert(c.name.clone(), psi);
            }
        }
    }
    Stability {
        score_psi,
        trait_psi,
    }
}

/// Below this many wins or losses, figures on a set of leads are rough (CRM vendors refuse to
/// fit below it).
pub const FEW_OUTCOMES: u64 = 40;
/// Validation AUC this far below training AUC: overfitting or drift.
pub const AUC_GAP: f64 = 0.05;
/// Expected calibration error above this: the probabilities are off.
pub const LARGE_ECE: f64 = 0.05;
/// A tier's share of the validation leads this far (relative) from its share in training.
pub const SHARE_DRIFT: f64 = 0.25;

/// What the validated figures say about themselves: each doubt a reader of the figures should
/// have, as a sentence for the console, `evaluation.json` and the report.
/// - wins or losses under [`FEW_OUTCOMES`] among the validation leads;
/// - validation AUC more than [`AUC_GAP`] below training AUC;
/// - validation ECE over [`LARGE_ECE`];
/// - tiers that do not convert in order (a later tier converting better than an earlier one);
/// - a tier's share of the validation leads off its training share by more than
///   [`SHARE_DRIFT`] of it (the thresholds were cut for the training share: a team's capacity
///   plan rests on it);
/// - the decay half-life at the edge of its search grid (the data did not pin it down).
pub fn doubts(
    train: &Metrics,
    validation: &Metrics,
    validation_tiers: &[TierResult],
    train_tiers: &[TierResult],
    decay: Option<&crate::traits::decay::DecayFit>,
) -> Vec<String> {
    let mut out = Vec::new();
    let losses = validation.leads - validation.wins;
    if validation.leads > 0 && (validation.wins < FEW_OUTCOMES || losses < FEW_OUTCOMES) {
        out.push(format!(
            "small validation set: {} wins and {losses} losses (under {FEW_OUTCOMES} of \
             either), so its AUC, calibration and tier figures are rough",
            validation.wins
        ));
    }
    if let (Some(t), Some(v)) = (train.auc, validation.auc)
        && t - v > AUC_GAP
    {
        out.push(format!(
            "validation AUC {v:.3} is {:.3} below training's {t:.3}: the model may fit its \
             training leads too closely, or the newest leads differ from the older ones",
            t - v
        ));
    }
    if let Some(ece) = validation.ece
        && ece > LARGE_ECE
    {
        out.push(format!(
            "calibration: the expected calibration error on the validation leads is {ece:.3} \
             (over {LARGE_ECE}): the probabilities are off, the ranking may still hold"
        ));
    }
    let with_leads: Vec<&TierResult> = validation_tiers.iter().filter(|t| t.leads > 0).collect();
    for pair in with_leads.windows(2) {
        if pair[1].conversion > pair[0].conversion {
            out.push(format!(
                "tiers out of order on the validation leads: {} converts at {:.1}%, above {} \
                 at {:.1}%",
                pair[1].name,
                100.0 * pair[1].conversion,
                pair[0].name,
                100.0 * pair[0].conversion
            ));
        }
    }
    if validation.leads > 0 {
        for (v, t) in validation_tiers.iter().zip(train_tiers) {
            if t.share > 0.0 && (v.share - t.share).abs() > SHARE_DRIFT * t.share {
                out.push(format!(
                    "the {} tier holds {:.0}% of the validation leads against {:.0}% of the \
                     training leads it was cut for: plans resting on its size (capacity, SLA) \
                     no longer hold",
                    v.name,
                    100.0 * v.share,
                    100.0 * t.share
                ));
            }
        }
    }
    if let Some(d) = decay
        && let (Some(first), Some(last)) = (d.grid.first(), d.grid.last())
    {
        let h = d.spec.half_life_days;
        if h <= first.half_life_days || h >= last.half_life_days {
            out.push(format!(
                "the engagement decay's half-life ({h} days) sits at the edge of its search \
                 range ({} to {} days): the data do not pin it down",
                first.half_life_days, last.half_life_days
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metrics(leads: u64, wins: u64, auc: f64, ece: f64) -> Metrics {
        Metrics {
            leads,
            wins,
            auc: Some(auc),
            gini: None,
            ks: None,
            brier: None,
            log_loss: None,
            ece: Some(ece),
        }
    }

    fn tier(name: &str, leads: u64, share: f64, conversion: f64) -> TierResult {
        TierResult {
            name: name.into(),
            min_score: None,
            sla_hours: 4.0,
            leads,
            share,
            wins: 0,
            conversion,
            conversion_low: 0.0,
            conversion_high: 1.0,
            lift: 1.0,
        }
    }

    #[test]
    fn doubts_by_hand() {
        let train = metrics(1000, 200, 0.80, 0.01);
        let tiers = [
            tier("hot", 100, 0.10, 0.5),
            tier("warm", 200, 0.20, 0.2),
            tier("cold", 700, 0.70, 0.1),
        ];
        // Nothing to doubt.
        let fine = metrics(1000, 200, 0.78, 0.02);
        assert!(doubts(&train, &fine, &tiers, &tiers, None).is_empty());
        // Each rule alone, at its edge and past it.
        let few = metrics(1000, 39, 0.78, 0.02);
        let got = doubts(&train, &few, &tiers, &tiers, None);
        assert_eq!(got.len(), 1);
        assert!(
            got[0].starts_with("small validation set: 39 wins and 961 losses"),
            "{got:?}"
        );
        let gap = metrics(1000, 200, 0.74, 0.02);
        let got = doubts(&train, &gap, &tiers, &tiers, None);
        assert!(
            got[0].starts_with("validation AUC 0.740 is 0.060 below"),
            "{got:?}"
        );
        assert!(
            doubts(
                &train,
                &metrics(1000, 200, 0.751, 0.05),
                &tiers,
                &tiers,
                None
            )
            .is_empty()
        );
        let off = metrics(1000, 200, 0.78, 0.157);
        let got = doubts(&train, &off, &tiers, &tiers, None);
        assert!(got[0].contains("calibration error on the validation leads is 0.157"));
        // Warm converting below cold; the hot tier at 30% of validation leads, cut for 10%.
        let drifted = [
            tier("hot", 300, 0.30, 0.5),
            tier("warm", 200, 0.20, 0.05),
            tier("cold", 500, 0.50, 0.1),
        ];
        let got = doubts(&train, &fine, &drifted, &tiers, None);
        assert_eq!(got.len(), 3, "{got:?}");
        assert!(got[0].contains("cold converts at 10.0%, above warm at 5.0%"));
        assert!(got[1].starts_with("the hot tier holds 30% of the validation leads against 10%"));
        assert!(got[2].starts_with("the cold tier holds 50%"));
        // A share within a quarter of its training share is not a doubt (12% for 10%).
        let near = [
            tier("hot", 120, 0.12, 0.5),
            tier("warm", 200, 0.20, 0.2),
            tier("cold", 680, 0.68, 0.1),
        ];
        assert!(doubts(&train, &fine, &near, &tiers, None).is_empty());
    }

    /// By hand: three distinct scores, in order, with their wins and losses; -0.0 and 0.0 are
    /// apart, as `total_cmp` orders them.
    #[test]
    fn grouped_counts_each_distinct_score_in_order() {
        let scores = [2.0, -1.5, 2.0, 0.0, -1.5, 2.0, -0.0];
        let won = [true, false, false, true, false, true, false];
        let g = grouped(scores.into_iter(), won.into_iter());
        let got: Vec<(u64, f64, f64)> = g
            .iter()
            .map(|o| (o.score.to_bits(), o.wins, o.losses))
            .collect();
        assert_eq!(
            got,
            [
                ((-1.5f64).to_bits(), 0.0, 2.0),
                ((-0.0f64).to_bits(), 0.0, 1.0),
                (0.0f64.to_bits(), 1.0, 0.0),
                (2.0f64.to_bits(), 2.0, 1.0),
            ]
        );
    }

    /// Against sorting every score (many distinct values, negatives, repeats).
    #[test]
    fn grouped_equals_a_sort() {
        let mut x = 7u64;
        let mut next = || {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            x >> 33
        };
        let pairs: Vec<(f64, bool)> = (0..5000)
            .map(|_| ((next() % 2001) as f64 / 8.0 - 120.0, next() % 3 == 0))
            .collect();
        let g = grouped(pairs.iter().map(|p| p.0), pairs.iter().map(|p| p.1));
        let mut sorted = pairs.clone();
        sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut expect: Vec<(f64, f64, f64)> = Vec::new();
        for (s, w) in sorted {
            match expect.last_mut() {
                Some(last) if last.0 == s => {
                    if w {
                        last.1 += 1.0
                    } else {
                        last.2 += 1.0
                    }
                }
                _ => expect.push((s, f64::from(u8::from(w)), f64::from(u8::from(!w)))),
            }
        }
        let got: Vec<(f64, f64, f64)> = g.iter().map(|o| (o.score, o.wins, o.losses)).collect();
        assert_eq!(got, expect);
    }
}
