//! Scoring: a [`ScoringConfig`] applied to leads' trait values. The one scoring code, used by
//! `run` (training, validation and every lead) and by `score` alike.

use serde::Serialize;

use crate::binning::{self, BinRule, Origin, TraitValues};
use crate::export::{self, ScoringConfig, TraitKind};

/// Unknown and missing values met while scoring one trait.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ValueCounts {
    pub name: String,
    /// Category values not in the config, scored as `other`.
    pub unseen: u64,
    /// Leads with no value (or without the column), scored as `missing`.
    pub missing: u64,
}

/// Scores of a set of leads.
#[derive(Debug, Clone)]
pub struct Scored {
    pub fit: Vec<i64>,
    pub engagement: Vec<i64>,
    pub score: Vec<i64>,
    pub probability: Vec<f64>,
    /// Index into the config's tiers.
    pub tier: Vec<usize>,
    /// Per config trait, the bin of each lead.
    pub bins: Vec<Vec<u16>>,
    pub counts: Vec<ValueCounts>,
    /// Data completeness, beside the score and not part of it: the share of the model's lead
    /// fields (its categorical, numeric and date traits) that the lead has a value for.
    pub completeness: Vec<f64>,
}

/// The tier of a score: the first whose `min_score` it reaches, else the last.
pub fn tier_of(config: &ScoringConfig, score: i64) -> usize {
    config
        .tiers
        .iter()
        .position(|t| t.min_score.is_none_or(|m| score >= m))
        .unwrap_or(config.tiers.len().saturating_sub(1))
}

/// Scores `n` leads. `values[t]` holds config trait `t`'s values for the leads (`rows` picks
/// which entries), or `None` when the leads lack the trait (every lead then scores `missing`).
pub fn score(config: &ScoringConfig, values: &[Option<&TraitValues>], rows: &[usize]) -> Scored {
    let n = rows.len();
    let mut fit = vec![config.base_points; n];
    let mut engagement = vec![0i64; n];
    let mut bins = Vec::with_capacity(config.traits.len());
    let mut counts = Vec::with_capacity(config.traits.len());
    let mut present = vec![0usize; n];
    let mut fields = 0usize;
    for (t, trait_config) in config.traits.iter().enumerate() {
        let rules: Vec<&BinRule> = trait_config.bins.iter().map(|b| &b.rule).collect();
        let missing = binning::numeric_bin(rules.iter().copied(), None);
        let mut c = ValueCounts {
            name: trait_config.name.clone(),
            ..Default::default()
        };
        let assigned: Vec<u16> = match values.get(t).copied().flatten() {
            None => {
                c.missing = n as u64;
                vec![missing as u16; n]
            }
            Some(TraitValues::Numeric(v)) => rows
                .iter()
                .map(|&r| {
                    let b = binning::numeric_bin(rules.iter().copied(), v[r]);
                    c.missing += u64::from(v[r].is_none_or(|x| !x.is_finite()));
                    b as u16
                })
                .collect(),
            Some(TraitValues::Categorical { codes, labels }) => {
                let by_code: Vec<usize> = labels
                    .iter()
                    .map(|l| binning::category_bin(rules.iter().copied(), Some(l)))
                    .collect();
                let unseen: Vec<bool> = by_code
                    .iter()
                    .map(|&b| matches!(rules.get(b), Some(BinRule::Other { .. })))
                    .collect();
                rows.iter()
                    .map(|&r| match codes[r] {
                        None => {
                            c.missing += 1;
                            missing as u16
                        }
                        Some(code) => {
                            let code = code as usize;
                            // A value seen in training but too rare sits in `other` by design;
                            // only values the config never saw count as unseen.
                            if unseen[code]
                                && !is_listed_other(&rules, by_code[code], &labels[code])
                            {
                                c.unseen += 1;
                            }
                            by_code[code] as u16
                        }
                    })
                    .collect()
            }
        };
        if trait_config.kind != TraitKind::Activity {
            fields += 1;
            for (i, &b) in assigned.iter().enumerate() {
                present[i] += usize::from(b as usize != missing);
            }
        }
        let target = match trait_config.sub_score {
            Origin::Fit => &mut fit,
            Origin::Engagement => &mut engagement,
        };
        for (i, &b) in assigned.iter().enumerate() {
            target[i] += trait_config.bins[b as usize].points;
        }
        bins.push(assigned);
        counts.push(c);
    }
    let calibration = export::calibration(config);
    let score: Vec<i64> = fit.iter().zip(&engagement).map(|(f, e)| f + e).collect();
    let probability = score
        .iter()
        .map(|&s| calibration.probability(s as f64))
        .collect();
    let tier = score.iter().map(|&s| tier_of(config, s)).collect();
    let completeness = present
        .iter()
        .map(|&p| {
            if fields == 0 {
                1.0
            } else {
                p as f64 / fields as f64
            }
        })
        .collect();
    Scored {
        fit,
        engagement,
        score,
        probability,
        tier,
        bins,
        counts,
        completeness,
    }
}

fn is_listed_other(rules: &[&BinRule], bin: usize, value: &str) -> bool {
    matches!(rules.get(bin), Some(BinRule::Other { values }) if values.iter().any(|v| v == value))
}
