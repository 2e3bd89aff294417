//! Engagement decay fitted from history: how fast an activity's effect on winning fades.
//!
//! Model: `logit P(win) = a + Σ_k b_k · D_k(h)`, with `D_k(h) = Σ 2^(-age / h)` over the lead's
//! activities of type `k` before its scoring date (`age` in days before that date). For each
//! half-life `h` on a log-spaced grid, `a` and `b` are fitted by (lightly penalised) maximum
//! likelihood on the training leads and scored by the log-likelihood of the validation leads;
//! the half-life is the grid maximum, refined by a parabola through it and its neighbours in
//! `ln h`. The 95% interval holds the half-lives whose validation log-likelihood is within
//! `χ²₁(0.95) / 2 = 1.92` of the maximum (a likelihood-ratio interval, Wilks 1938), read off
//! the grid with linear interpolation in `ln h`, widened to the 2.5%-97.5% percentiles of a
//! block bootstrap of the best grid half-life (Efron & Tibshirani 1993; 400 blocks of leads,
//! 1,000 draws, seeded) where the likelihood is too lumpy for Wilks' approximation.
//!
//! The fitted half-life and type weights make one engagement trait, `engagement_decayed`
//! = `Σ_k b_k D_k(h)` (the log-odds the lead's activities add, rounded to 3 decimals so that
//! any engine summing in any order lands on the same value), which is binned and fitted like
//! every other trait and exported with the half-life for operational systems.

use std::collections::BTreeMap;

use ndarray::Array2;
use rayon::prelude::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::fit::logit::{self, LogitParams};
use crate::fit::model::Split;
use crate::ingest::{Activities, Leads};
use crate::traits::binning::Population;

const DAY_MS: f64 = 86_400_000.0;
/// Half-lives tried: 24 points log-spaced from 1 to 365 days (refined by a parabola).
const GRID_POINTS: usize = 24;
const GRID_MAX_DAYS: f64 = 365.0;
/// Type weights are fitted for the most frequent types; the rest are left out.
pub const MAX_TYPES: usize = 24;
/// Leads used for the fit at most (every k-th lead beyond), training and validation each.
const MAX_LEADS: usize = 60_000;
/// Blocks of leads and draws of the bootstrap.
const BLOCKS: usize = 400;
const BOOTSTRAP: usize = 1000;
/// `χ²₁(0.95) / 2`.
const LR_HALF_WIDTH: f64 = 1.920_729_410_347_062;

/// The trait the decay makes.
pub const TRAIT: &str = "engagement_decayed";

/// What the scoring needs: the half-life and the weight of each activity type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DecaySpec {
    /// Days after which an activity counts half.
    pub half_life_days: f64,
    /// 95% likelihood-ratio interval of the half-life.
    pub half_life_low: f64,
    pub half_life_high: f64,
    /// Log-odds per undecayed activity of each type (types as written lower-case, spaces and
    /// dashes as `_`); other types count 0.
    pub type_weights: BTreeMap<String, f64>,
}

/// One grid point.
#[derive(Debug, Clone, Serialize)]
pub struct GridPoint {
    pub half_life_days: f64,
    pub validation_log_likelihood: f64,
}

/// The fit, for the reports.
#[derive(Debug, Clone, Serialize)]
pub struct DecayFit {
    pub spec: DecaySpec,
    pub method: &'static str,
    pub train_leads: usize,
    pub validation_leads: usize,
    pub grid: Vec<GridPoint>,
}

/// A type as the scoring sees it: trimmed, lower-case, spaces and dashes as `_`.
pub fn type_key(raw: &str) -> String {
    raw.trim().to_lowercase().replace([' ', '-'], "_")
}

/// Per lead row: its activities before the scoring date as (age in days, type index), in the
/// activities' order, and the types by frequency. Stored flat: lead `r`'s activities are
/// `acts[starts[r]..starts[r + 1]]`.
pub struct Prior {
    starts: Vec<usize>,
    acts: Vec<(f64, u16)>,
    pub types: Vec<String>,
}

impl Prior {
    /// From each lead's activities (tests and small inputs).
    pub fn from_per_lead(per_lead: Vec<Vec<(f64, u16)>>, types: Vec<String>) -> Prior {
        let mut starts = Vec::with_capacity(per_lead.len() + 1);
        starts.push(0);
        let mut acts = Vec::new();
        for a in per_lead {
            acts.extend(a);
            starts.push(acts.len());
        }
        Prior {
            starts,
            acts,
            types,
        }
    }

    /// Lead row `r`'s activities.
    pub fn of(&self, r: usize) -> &[(f64, u16)] {
        &self.acts[self.starts[r]..self.starts[r + 1]]
    }

    /// How many lead rows.
    pub fn leads(&self) -> usize {
        self.starts.len() - 1
    }
}

/// Activities before each lead's scoring date (`created_at + offset`), of the `max_types` most
/// frequent types.
pub fn prior_activities(
    leads: &Leads,
    activities: &Activities,
    offset_days: f64,
    max_types: usize,
) -> Result<Prior> {
    let prior = crate::traits::engagement::prior(leads, activities, offset_days)?;
    Ok(prior_of(&prior, max_types))
}

/// [`Prior`] from the activities [`crate::traits::engagement::prior`] matched to their leads: types
/// by their key (counted over the raw types), the `max_types` most frequent kept.
pub fn prior_of(prior: &crate::traits::engagement::Prior, max_types: usize) -> Prior {
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    for (name, n) in prior.kind_names.iter().zip(prior.kind_counts()) {
        *counts.entry(type_key(name)).or_default() += n;
    }
    let mut types: Vec<(String, u64)> = counts.into_iter().collect();
    types.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    types.truncate(max_types);
    let index: Vec<Option<u16>> = prior
        .kind_names
        .iter()
        .map(|name| {
            let key = type_key(name);
            types.iter().position(|(t, _)| *t == key).map(|i| i as u16)
        })
        .collect();
    let kept = |k: u32| index.get(k as usize).copied().flatten();
    // Counting sort by lead row, which keeps each lead's activities in order.
    let mut starts = vec![0usize; prior.leads + 1];
    for (&r, &k) in prior.rows.iter().zip(&prior.kinds) {
        if kept(k).is_some() {
            starts[r as usize + 1] += 1;
        }
    }
    for i in 1..starts.len() {
        starts[i] += starts[i - 1];
    }
    let mut next = starts.clone();
    let mut acts = vec![(0.0, 0u16); starts[prior.leads]];
    for ((&r, &age), &k) in prior.rows.iter().zip(&prior.ages_ms).zip(&prior.kinds) {
        if let Some(t) = kept(k) {
            let slot = &mut next[r as usize];
            // Exact division: the same value SQL gets from whole seconds.
            acts[*slot] = (age as f64 / DAY_MS, t);
            *slot += 1;
        }
    }
    Prior {
        starts,
        acts,
        types: types.into_iter().map(|t| t.0).collect(),
    }
}

/// `Σ_k w_k Σ 2^(-age / h)`, rounded to 3 decimals.
pub fn decayed(acts: &[(f64, u16)], weights: &[f64], half_life: f64) -> f64 {
    let sum: f64 = acts
        .iter()
        .map(|&(age, t)| {
            weights.get(t as usize).copied().unwrap_or(0.0) * (-age / half_life).exp2()
        })
        .sum();
    (sum * 1000.0).round() / 1000.0
}

/// The decayed counts per type of the given leads, as a design matrix.
fn design(prior: &Prior, rows: &[usize], h: f64) -> Array2<f64> {
    let k = prior.types.len();
    let data: Vec<f64> = rows
        .par_iter()
        .flat_map_iter(|&r| {
            let mut x = vec![0.0; k];
            for &(age, t) in prior.of(r) {
                x[t as usize] += (-age / h).exp2();
            }
            x
        })
        .collect();
    Array2::from_shape_vec((rows.len(), k), data).unwrap_or_else(|_| Array2::zeros((0, k)))
}

/// Every k-th entry, at most `max`.
fn thin(v: &[usize], max: usize) -> Vec<usize> {
    let step = v.len().div_ceil(max).max(1);
    v.iter().step_by(step).copied().collect()
}

/// Fits the half-life; `None` when there are too few activities or outcomes to say.
pub fn fit(prior: &Prior, population: &Population, split: &Split) -> Option<DecayFit> {
    if prior.types.is_empty() {
        return None;
    }
    let train = thin(&split.train, MAX_LEADS);
    let valid = thin(&split.validation, MAX_LEADS);
    let y = |idx: &[usize]| -> Vec<f64> {
        idx.iter()
            .map(|&i| f64::from(u8::from(population.won[i])))
            .collect()
    };
    let (y_train, y_valid) = (y(&train), y(&valid));
    let wins = |v: &[f64]| v.iter().sum::<f64>();
    if wins(&y_train) < 10.0 || wins(&y_valid) < 5.0 {
        return None;
    }
    let rows = |idx: &[usize]| -> Vec<usize> { idx.iter().map(|&i| population.row(i)).collect() };
    let (train_rows, valid_rows) = (rows(&train), rows(&valid));
    // The same ridge as the scorecard's fit: it keeps a small fold's type weights sane.
    let params = LogitParams {
        l2: 1.0,
        tol: 1e-8,
        max_iter: 50,
    }
    .check()
    .ok()?;
    let ones = vec![1.0; train.len()];
    let grid: Vec<f64> = (0..GRID_POINTS)
        .map(|j| (GRID_MAX_DAYS.ln() * j as f64 / (GRID_POINTS - 1) as f64).exp())
        .collect();
    let ones_valid = vec![1.0; valid.len()];
    // Out-of-sample log-likelihood of `y` at `x` under a model fitted on the other part.
    let held_out = |x_fit: &Array2<f64>,
                    y_fit: &[f64],
                    w_fit: &[f64],
                    x_eval: &Array2<f64>,
                    y_eval: &[f64]|
     -> Option<Vec<f64>> {
        let model = logit::fit(x_fit.view(), y_fit, w_fit, None, &params).ok()?;
        Some(
            x_eval
                .outer_iter()
                .zip(y_eval)
                .map(|(row, &y)| {
                    let p = model
                        .probability(row.as_slice().unwrap_or(&[]))
                        .clamp(1e-15, 1.0 - 1e-15);
                    if y > 0.5 { p.ln() } else { (1.0 - p).ln() }
                })
                .collect(),
        )
    };
    // Per grid point, the log-likelihood summed over blocks of leads (for the bootstrap).
    let n_all = train.len() + valid.len();
    let block_of: Vec<usize> = (0..n_all)
        .map(|j| (crate::fit::split::mix_hash(j as u64) % BLOCKS as u64) as usize)
        .collect();
    // The grid points are independent fits: in parallel (each fit's sums are in fixed chunks,
    // so the result is the same on any number of threads).
    let (blocks, points): (Vec<Vec<f64>>, Vec<GridPoint>) = grid
        .par_iter()
        .map(|&h| -> Option<(Vec<f64>, GridPoint)> {
            let (xt, xv) = (design(prior, &train_rows, h), design(prior, &valid_rows, h));
            // Cross-fitted: validation leads under the training fit, and the reverse, so
            // every lead's likelihood is out of sample and all of them inform the half-life.
            let mut per_lead = held_out(&xt, &y_train, &ones, &xv, &y_valid)?;
            per_lead.extend(held_out(&xv, &y_valid, &ones_valid, &xt, &y_train)?);
            let mut by_block = vec![0.0; BLOCKS];
            for (j, v) in per_lead.iter().enumerate() {
                by_block[block_of[j]] += v;
            }
            let point = GridPoint {
                half_life_days: h,
                validation_log_likelihood: per_lead.iter().sum(),
            };
            Some((by_block, point))
        })
        .collect::<Option<Vec<_>>>()?
        .into_iter()
        .unzip();
    let best = (0..points.len()).max_by(|&a, &b| {
        points[a]
            .validation_log_likelihood
            .total_cmp(&points[b].validation_log_likelihood)
    })?;
    let ll = |j: usize| points[j].validation_log_likelihood;
    let lh = |j: usize| points[j].half_life_days.ln();
    // A parabola through the best point and its neighbours, in ln h.
    let half_life = if best > 0 && best + 1 < points.len() {
        let (y0, y1, y2) = (ll(best - 1), ll(best), ll(best + 1));
        let denom = y0 - 2.0 * y1 + y2;
        let step = lh(best) - lh(best - 1);
        let shift = if denom < 0.0 {
            (0.5 * (y0 - y2) / denom).clamp(-0.5, 0.5)
        } else {
            0.0
        };
        (lh(best) + shift * step).exp()
    } else {
        points[best].half_life_days
    };
    // The likelihood-ratio interval, interpolated where the curve crosses max - 1.92.
    let floor = ll(best) - LR_HALF_WIDTH;
    let cross = |from: usize, to: usize| -> f64 {
        let t = (ll(from) - floor) / (ll(from) - ll(to));
        (lh(from) + t.clamp(0.0, 1.0) * (lh(to) - lh(from))).exp()
    };
    let mut lo = best;
    while lo > 0 && ll(lo - 1) >= floor {
        lo -= 1;
    }
    let low = if lo == 0 {
        points[0].half_life_days
    } else {
        cross(lo, lo - 1)
    };
    let mut hi = best;
    while hi + 1 < points.len() && ll(hi + 1) >= floor {
        hi += 1;
    }
    let high = if hi + 1 == points.len() {
        points[hi].half_life_days
    } else {
        cross(hi, hi + 1)
    };
    // The bootstrap: blocks of leads drawn with replacement, the best half-life of each draw;
    // where the likelihood is not the smooth hill the likelihood-ratio interval assumes (a
    // small or lumpy history), its 2.5% and 97.5% percentiles widen the interval.
    let (boot_low, boot_high) = {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0x_dec4);
        let mut best_h: Vec<f64> = (0..BOOTSTRAP)
            .map(|_| {
                let mut counts = vec![0u32; BLOCKS];
                for _ in 0..BLOCKS {
                    counts[rng.random_range(0..BLOCKS)] += 1;
                }
                let total = |g: usize| -> f64 {
                    blocks[g]
                        .iter()
                        .zip(&counts)
                        .map(|(v, &c)| v * f64::from(c))
                        .sum()
                };
                let g = (0..grid.len())
                    .max_by(|&a, &b| total(a).total_cmp(&total(b)))
                    .unwrap_or(best);
                grid[g]
            })
            .collect();
        best_h.sort_by(f64::total_cmp);
        let at =
            |q: f64| best_h[((q * (BOOTSTRAP - 1) as f64).round() as usize).min(BOOTSTRAP - 1)];
        (at(0.025), at(0.975))
    };
    let (low, high) = (low.min(boot_low), high.max(boot_high));
    // The type weights at the chosen half-life.
    let x = design(prior, &train_rows, half_life);
    let model = logit::fit(x.view(), &y_train, &ones, None, &params).ok()?;
    let type_weights = prior
        .types
        .iter()
        .cloned()
        .zip(model.coefficients.iter().map(|b| (b * 1e6).round() / 1e6))
        .collect();
    Some(DecayFit {
        spec: DecaySpec {
            half_life_days: (half_life * 1e3).round() / 1e3,
            half_life_low: (low * 1e3).round() / 1e3,
            half_life_high: (high * 1e3).round() / 1e3,
            type_weights,
        },
        method: "half-life on a log grid (1-365 days) by cross-fitted validation \
                 log-likelihood of logit P(win) = a + sum_k b_k sum 2^(-age/h); 95% \
                 likelihood-ratio interval widened by a block bootstrap",
        train_leads: train.len(),
        validation_leads: valid.len(),
        grid: points,
    })
}

/// `engagement_decayed` for every lead row, from a spec.
pub fn values(prior: &Prior, spec: &DecaySpec) -> crate::traits::binning::Numbers {
    let weights: Vec<f64> = prior
        .types
        .iter()
        .map(|t| spec.type_weights.get(t).copied().unwrap_or(0.0))
        .collect();
    (0..prior.leads())
        .map(|r| Some(decayed(prior.of(r), &weights, spec.half_life_days)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// Leads with activities of three types at random ages, winning with
    /// `logit p = -2.5 + Σ w_type 2^(-age / 10)`: the fit finds the 10 days.
    #[test]
    fn recovers_a_planted_half_life() {
        let truth = 10.0;
        let weights = [1.2, 0.4, 0.0];
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let n = 40_000;
        let mut per_lead = Vec::with_capacity(n);
        let mut won = Vec::with_capacity(n);
        for _ in 0..n {
            let k = rng.random_range(0..8);
            let acts: Vec<(f64, u16)> = (0..k)
                .map(|_| (rng.random_range(0.0..120.0), rng.random_range(0..3u16)))
                .collect();
            let x: f64 = -2.5
                + acts
                    .iter()
                    .map(|&(age, t)| weights[t as usize] * (-age / truth).exp2())
                    .sum::<f64>();
            won.push(rng.random::<f64>() < 1.0 / (1.0 + (-x).exp()));
            per_lead.push(acts);
        }
        let prior = Prior::from_per_lead(
            per_lead,
            vec!["meeting".into(), "email_open".into(), "page_view".into()],
        );
        let population = Population {
            won,
            best: vec![false; n],
            rows: None,
        };
        let split = crate::fit::split::split(
            crate::fit::split::SplitKind::Random,
            0.3,
            1,
            &vec![None; n],
            &(0..n).collect::<Vec<_>>(),
        );
        let fit = fit(&prior, &population, &split).expect("a fit");
        let s = &fit.spec;
        assert!(
            s.half_life_low <= truth && truth <= s.half_life_high,
            "{s:?}"
        );
        assert!((s.half_life_days / truth - 1.0).abs() < 0.3, "{s:?}");
        assert!(
            s.half_life_high / s.half_life_low < 3.0,
            "a usable interval: {s:?}"
        );
        // The type weights come back near theirs, the weightless type near 0.
        assert!((s.type_weights["meeting"] - 1.2).abs() < 0.3, "{s:?}");
        assert!(s.type_weights["page_view"].abs() < 0.2, "{s:?}");
        // decayed() is the weighted sum, rounded to 3 decimals.
        let v = decayed(&[(10.0, 0), (20.0, 1)], &[1.2, 0.4], 10.0);
        assert_eq!(v, ((1.2 * 0.5 + 0.4 * 0.25) * 1000.0f64).round() / 1000.0);
    }
}
