//! Scoring: a [`ScoringConfig`] applied to leads' trait values. The one scoring code, used by
//! `run` (training, validation and every lead) and by `score` alike.

pub mod export;
pub mod sql;

pub mod frame;
pub mod values;

use polars::prelude::{PlHashMap, PolarsResult, StringChunked, StringChunkedBuilder};
use serde::Serialize;

use crate::traits::binning::{self, BinRule, Origin, TraitValues};
use export::{ScoringConfig, TraitKind};

/// Unknown and missing values met while scoring one trait.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ValueCounts {
    pub name: String,
    /// Leads whose category value no bin of the config names (rare in training, or never
    /// seen), scored as `other`. A schema-1 config listed its rare training values: those
    /// are not counted.
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
    use rayon::prelude::*;
    let n = rows.len();
    // Each trait's bins and value counts, the traits in parallel (one task each).
    let assigned: Vec<Assigned> = config
        .traits
        .par_iter()
        .enumerate()
        .map(|(t, trait_config)| assign_trait(trait_config, values.get(t).copied().flatten(), rows))
        .collect();
    // The lead fields (not activity traits), each with its `missing` bin, for completeness.
    let fields: Vec<(usize, usize)> = (0..config.traits.len())
        .filter(|&t| {
            !matches!(
                config.traits[t].kind,
                TraitKind::Activity | TraitKind::Stage
            )
        })
        .map(|t| (t, assigned[t].missing))
        .collect();
    let (bins, counts): (Vec<Vec<u16>>, Vec<ValueCounts>) =
        assigned.into_iter().map(|a| (a.bins, a.counts)).unzip();
    // Per lead: the sub-scores (trait points in the config's order) and completeness, leads in
    // parallel chunks.
    let mut fit = vec![config.base_points; n];
    let mut engagement = vec![0i64; n];
    let mut completeness = vec![1.0; n];
    const CHUNK: usize = 1 << 16;
    fit.par_chunks_mut(CHUNK)
        .zip(engagement.par_chunks_mut(CHUNK))
        .zip(completeness.par_chunks_mut(CHUNK))
        .enumerate()
        .for_each(|(c, ((fit, engagement), completeness))| {
            let from = c * CHUNK;
            for (t, trait_config) in config.traits.iter().enumerate() {
                let target = match trait_config.sub_score {
                    Origin::Fit => &mut *fit,
                    Origin::Engagement => &mut *engagement,
                };
                let of = &bins[t][from..from + target.len()];
                // A config read from a file was checked (`export::validate`): no sum of its
                // points overflows; saturating keeps any other from wrapping round.
                for (sum, &b) in target.iter_mut().zip(of) {
                    *sum = sum.saturating_add(trait_config.bins[b as usize].points);
                }
            }
            if !fields.is_empty() {
                for (i, share) in completeness.iter_mut().enumerate() {
                    let present = fields
                        .iter()
                        .filter(|&&(t, missing)| bins[t][from + i] as usize != missing)
                        .count();
                    *share = present as f64 / fields.len() as f64;
                }
            }
        });
    let score: Vec<i64> = fit
        .iter()
        .zip(&engagement)
        .map(|(f, e)| f.saturating_add(*e))
        .collect();
    let mut scored = Scored {
        fit,
        engagement,
        score,
        probability: Vec::new(),
        tier: Vec::new(),
        bins,
        counts,
        completeness,
    };
    scored.restamp(config);
    scored
}

/// One trait's bin per lead, its missing and unseen values, and its `missing` bin.
struct Assigned {
    bins: Vec<u16>,
    counts: ValueCounts,
    missing: usize,
}

/// One trait's bin per lead (`rows` of `values`) and its missing and unseen values.
fn assign_trait(
    trait_config: &export::ConfigTrait,
    values: Option<&TraitValues>,
    rows: &[usize],
) -> Assigned {
    let n = rows.len();
    let rules: Vec<&BinRule> = trait_config.bins.iter().map(|b| &b.rule).collect();
    let missing = binning::numeric_bin(rules.iter().copied(), None);
    let mut c = ValueCounts {
        name: trait_config.name.clone(),
        ..Default::default()
    };
    let assigned: Vec<u16> = match values {
        None => {
            c.missing = n as u64;
            vec![missing as u16; n]
        }
        Some(TraitValues::Numeric(v)) => {
            c.missing = rows
                .iter()
                .filter(|&&r| v.get(r).is_none_or(|x| !x.is_finite()))
                .count() as u64;
            binning::numeric_bins(rules.iter().copied(), v, rows)
        }
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
                        // Counted: a value no bin names (a schema-1 config's listed rare
                        // values not: they sit in `other` by design).
                        if unseen[code] && !is_listed_other(&rules, by_code[code], &labels[code]) {
                            c.unseen += 1;
                        }
                        by_code[code] as u16
                    }
                })
                .collect()
        }
    };
    Assigned {
        bins: assigned,
        counts: c,
        missing,
    }
}

impl Scored {
    /// Sets each lead's probability and tier from its score under `config`'s calibration and
    /// tiers (the points are not read again): for a config whose tiers and calibration were
    /// set after these leads were scored with the same points.
    pub fn restamp(&mut self, config: &ScoringConfig) {
        use rayon::prelude::*;
        let calibration = export::calibration(config);
        self.probability = self
            .score
            .par_iter()
            .map(|&s| calibration.probability(s as f64))
            .collect();
        self.tier = self.score.par_iter().map(|&s| tier_of(config, s)).collect();
    }

    /// Lead `i`'s points, trait by trait in the config's order: `(trait index, points)`.
    /// With the config's base points they add up to the lead's score exactly.
    pub fn breakdown<'a>(
        &'a self,
        config: &'a ScoringConfig,
        i: usize,
    ) -> impl Iterator<Item = (usize, i64)> + 'a {
        config
            .traits
            .iter()
            .enumerate()
            .map(move |(t, tr)| (t, tr.bins[self.bins[t][i] as usize].points))
    }

    /// Lead `i`'s top `k` reasons, as `trait=bin (+points)` joined by `; `: the traits that
    /// move its score most, up or down. A trait's points are its bin's difference from an
    /// average lead (a bin with the average conversion scores 0), so the largest in size,
    /// positive (what makes the lead hot) or negative (what holds it back), come first; ties
    /// keep the config's order. Traits at 0 points say nothing and are left out.
    pub fn reasons(&self, config: &ScoringConfig, i: usize, k: usize) -> String {
        let mut parts = Vec::new();
        self.ranked(config, i, k, &mut parts);
        parts
            .iter()
            .map(|&(t, _)| reason_text(&config.traits[t], self.bins[t][i] as usize))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// Lead `i`'s first `k` traits with non-zero points, in [`Scored::reasons`]' order, into
    /// `parts` ([`top_reasons`]).
    fn ranked(&self, config: &ScoringConfig, i: usize, k: usize, parts: &mut Vec<(usize, i64)>) {
        top_reasons(self.breakdown(config, i), k, parts);
    }

    /// Every lead's [`Scored::reasons`] as one text column: each bin's `trait=bin (+points)` is
    /// formatted once, and the leads are done in parallel chunks.
    pub fn reasons_column(
        &self,
        config: &ScoringConfig,
        k: usize,
        name: &str,
    ) -> PolarsResult<StringChunked> {
        use rayon::prelude::*;
        let texts: Vec<Vec<String>> = config
            .traits
            .iter()
            .map(|tr| (0..tr.bins.len()).map(|b| reason_text(tr, b)).collect())
            .collect();
        const CHUNK: usize = 1 << 16;
        let n = self.score.len();
        let chunks: Vec<StringChunked> = (0..n.div_ceil(CHUNK))
            .into_par_iter()
            .map(|c| {
                let (lo, hi) = (c * CHUNK, ((c + 1) * CHUNK).min(n));
                // Lines repeat (they name a few bins each): each one's text is kept once, and
                // its rows' views point at it.
                let mut seen: PlHashMap<String, u32> = PlHashMap::default();
                let mut distinct: Vec<String> = Vec::new();
                let mut which: Vec<u32> = Vec::with_capacity(hi - lo);
                let mut parts: Vec<(usize, i64)> = Vec::new();
                let mut line = String::new();
                for i in lo..hi {
                    self.ranked(config, i, k, &mut parts);
                    line.clear();
                    for (j, &(t, _)) in parts.iter().enumerate() {
                        if j > 0 {
                            line.push_str("; ");
                        }
                        line.push_str(&texts[t][self.bins[t][i] as usize]);
                    }
                    let at = match seen.get(line.as_str()) {
                        Some(&at) => at,
                        None => {
                            let at = seen.len() as u32;
                            distinct.push(line.clone());
                            seen.insert(line.clone(), at);
                            at
                        }
                    };
                    which.push(at);
                }
                crate::columns::text_of_distinct(name, &distinct, which.iter().map(|&at| Some(at)))
            })
            .collect();
        // The chunks are kept as they are (no copy into one piece: at 10M leads, a
        // gigabyte); the Parquet writer cuts row groups from them.
        let mut all = StringChunkedBuilder::new(name.into(), 0).finish();
        for c in chunks {
            all.append_owned(c)?;
        }
        Ok(all)
    }
}

/// The first `k` of `points` ((trait, points) in trait order) with non-zero points, largest
/// in size first and ties in trait order, into `top`: the first `k` of a stable sort by
/// descending size, found in one pass that keeps only `k`.
fn top_reasons(points: impl Iterator<Item = (usize, i64)>, k: usize, top: &mut Vec<(usize, i64)>) {
    top.clear();
    if k == 0 {
        return;
    }
    for (t, p) in points.filter(|&(_, p)| p != 0) {
        // Traits come in order, so a new one goes after every kept one at least as large.
        if top.len() == k && top[k - 1].1.abs() >= p.abs() {
            continue;
        }
        let at = top
            .iter()
            .position(|q| q.1.abs() < p.abs())
            .unwrap_or(top.len());
        top.insert(at, (t, p));
        top.truncate(k);
    }
}

/// One reason: `trait=bin (+points)` for bin `bin` of a config trait.
fn reason_text(tr: &export::ConfigTrait, bin: usize) -> String {
    let b = &tr.bins[bin];
    format!("{}={} ({:+})", tr.name, b.label, b.points)
}

fn is_listed_other(rules: &[&BinRule], bin: usize, value: &str) -> bool {
    matches!(rules.get(bin), Some(BinRule::Other { values: Some(values), .. }) if values.iter().any(|v| v == value))
}

#[cfg(test)]
mod properties {
    use super::*;
    use crate::fit::scorecard::Scaling;
    use crate::scoring::export::{
        CalibrationStep, ConfigBin, ConfigTier, ConfigTrait, ScoringRules, TrainingWindow,
        ValidationSummary,
    };
    use crate::traits::binning::Origin;
    use proptest::prelude::*;

    fn config(
        cuts: Vec<f64>,
        points: Vec<i64>,
        categories: usize,
        tiers: (i64, i64),
    ) -> ScoringConfig {
        let mut cuts = cuts;
        cuts.sort_by(f64::total_cmp);
        cuts.dedup();
        let mut numeric = Vec::new();
        for i in 0..=cuts.len() {
            let lo = (i > 0).then(|| cuts[i - 1]);
            let hi = cuts.get(i).copied();
            numeric.push(ConfigBin {
                label: format!("r{i}"),
                rule: BinRule::Range { lo, hi },
                points: points[i % points.len()],
                pinned: false,
            });
        }
        numeric.push(ConfigBin {
            label: "missing".into(),
            rule: BinRule::Missing,
            points: points[0] - 3,
            pinned: false,
        });
        let mut category = Vec::new();
        for c in 0..categories {
            category.push(ConfigBin {
                label: format!("c{c}"),
                rule: BinRule::Value {
                    value: format!("c{c}"),
                },
                points: points[(c + 1) % points.len()],
                pinned: false,
            });
        }
        category.push(ConfigBin {
            label: "other".into(),
            rule: BinRule::other_of([]),
            points: -1,
            pinned: false,
        });
        category.push(ConfigBin {
            label: "missing".into(),
            rule: BinRule::Missing,
            points: 2,
            pinned: false,
        });
        let (hot, warm) = (tiers.0.max(tiers.1), tiers.0.min(tiers.1));
        let tier = |name: &str, min_score| ConfigTier {
            name: name.into(),
            min_score,
            sla_hours: 4.0,
            escalation: String::new(),
            expected_conversion: 0.1,
            conversion_low: 0.0,
            conversion_high: 1.0,
            share_of_leads: 0.1,
        };
        ScoringConfig {
            schema_version: 1,
            leadtune_version: "test".into(),
            valid_from: None,
            content_sha256: None,
            scaling: Scaling::new(20.0, 50.0, 0.1),
            base_points: 50,
            scoring: ScoringRules {
                missing_tokens: vec![],
                scoring_offset_days: 7.0,
                activity_windows: vec![7],
                date_format: None,
                decay: None,
                stages: Vec::new(),
            },
            traits: vec![
                ConfigTrait {
                    name: "n".into(),
                    kind: TraitKind::Numeric,
                    sub_score: Origin::Fit,
                    bins: numeric,
                },
                ConfigTrait {
                    name: "c".into(),
                    kind: TraitKind::Activity,
                    sub_score: Origin::Engagement,
                    bins: category,
                },
            ],
            tiers: vec![
                tier("hot", Some(hot)),
                tier("warm", Some(warm)),
                tier("cold", None),
            ],
            calibration: vec![
                CalibrationStep {
                    score_low: 0.0,
                    score_high: 40.0,
                    probability: 0.05,
                    leads: 10.0,
                },
                CalibrationStep {
                    score_low: 60.0,
                    score_high: 90.0,
                    probability: 0.4,
                    leads: 10.0,
                },
            ],
            training: TrainingWindow {
                from: None,
                to: None,
                as_of: None,
                horizon_days: 180,
                leads: 0,
                wins: 0,
                split: "time".into(),
                refit: false,
            },
            validation: ValidationSummary {
                leads: 0,
                wins: 0,
                auc: None,
                ks: None,
                brier: None,
                log_loss: None,
                ece: None,
            },
            inputs: vec![],
            queues: vec![],
        }
    }

    #[test]
    fn reasons_by_hand() {
        // Numeric bins r0 (<= 10) -12 and r1 (> 10) +5; categories c0 +5 and c1 -12.
        let config = config(vec![10.0], vec![-12, 5], 2, (80, 60));
        let numeric = TraitValues::Numeric(vec![Some(3.0), Some(30.0)].into());
        let categorical = TraitValues::Categorical {
            codes: vec![Some(1), Some(0)],
            labels: vec!["c0".into(), "c1".into()],
        };
        let s = score(&config, &[Some(&numeric), Some(&categorical)], &[0, 1]);
        assert_eq!(config.traits[1].bins[1].points, -12);
        // Lead 0: n=r0 (-12) and c=c1 (-12); equal in size, so in the config's order.
        assert_eq!(s.reasons(&config, 0, 3), "n=r0 (-12); c=c1 (-12)");
        assert_eq!(s.reasons(&config, 0, 1), "n=r0 (-12)");
        // Lead 1: n=r1 (+5) and c=c0 (+5).
        assert_eq!(s.reasons(&config, 1, 3), "n=r1 (+5); c=c0 (+5)");
        assert_eq!(s.score[1], 50 + 5 + 5);
    }

    proptest! {
        #[test]
        fn top_reasons_are_the_first_of_a_stable_sort_by_size(
            points in prop::collection::vec(-4i64..5, 0..40),
            k in 0usize..6,
        ) {
            let mut sorted: Vec<(usize, i64)> =
                points.iter().copied().enumerate().filter(|p| p.1 != 0).collect();
            sorted.sort_by(|a, b| b.1.abs().cmp(&a.1.abs()).then(a.0.cmp(&b.0)));
            sorted.truncate(k);
            let mut top = vec![(99, 99)];
            top_reasons(points.iter().copied().enumerate(), k, &mut top);
            prop_assert_eq!(top, sorted);
        }

        #[test]
        fn every_lead_gets_one_bin_per_trait_and_the_points_add_up(
            cuts in prop::collection::vec(-100.0f64..100.0, 0..8),
            points in prop::collection::vec(-30i64..30, 1..10),
            categories in 0usize..5,
            tiers in (0i64..120, 0i64..120),
            leads in prop::collection::vec(
                (prop::option::of(-150.0f64..150.0), prop::option::of(0u32..8)), 1..200),
        ) {
            let config = config(cuts, points, categories, tiers);
            let numeric = TraitValues::Numeric(leads.iter().map(|l| l.0).collect());
            let labels: Vec<String> = (0..8).map(|c| format!("c{c}")).collect();
            let categorical = TraitValues::Categorical {
                codes: leads.iter().map(|l| l.1).collect(),
                labels,
            };
            let rows: Vec<usize> = (0..leads.len()).collect();
            let s = score(&config, &[Some(&numeric), Some(&categorical)], &rows);
            for (i, lead) in leads.iter().enumerate() {
                let (nb, cb) = (s.bins[0][i] as usize, s.bins[1][i] as usize);
                let n_bins = &config.traits[0].bins;
                let c_bins = &config.traits[1].bins;
                // The numeric bin holds the value (or is `missing` when there is none).
                match (lead.0, &n_bins[nb].rule) {
                    (None, BinRule::Missing) => {}
                    (Some(v), BinRule::Range { lo, hi }) => {
                        prop_assert!(lo.is_none_or(|lo| v > lo) && hi.is_none_or(|hi| v <= hi));
                    }
                    other => prop_assert!(false, "{other:?}"),
                }
                // The category's own bin, `other` for a value the config never saw, or missing.
                match (lead.1, &c_bins[cb].rule) {
                    (None, BinRule::Missing) => {}
                    (Some(c), BinRule::Value { value }) => prop_assert_eq!(value, &format!("c{c}")),
                    (Some(c), BinRule::Other { .. }) => prop_assert!(c as usize >= categories),
                    other => prop_assert!(false, "{other:?}"),
                }
                prop_assert_eq!(s.fit[i], config.base_points + n_bins[nb].points);
                prop_assert_eq!(s.engagement[i], c_bins[cb].points);
                prop_assert_eq!(s.score[i], s.fit[i] + s.engagement[i]);
                prop_assert!(s.probability[i] > 0.0 && s.probability[i] < 1.0);
                // The breakdown adds up to the score exactly, and every reason is in it with
                // its points, the largest first.
                let parts: Vec<(usize, i64)> = s.breakdown(&config, i).collect();
                prop_assert_eq!(
                    config.base_points + parts.iter().map(|p| p.1).sum::<i64>(),
                    s.score[i]
                );
                let reasons = s.reasons(&config, i, 3);
                let nonzero = parts.iter().filter(|p| p.1 != 0).count();
                let listed: Vec<&str> =
                    reasons.split("; ").filter(|r| !r.is_empty()).collect();
                prop_assert_eq!(listed.len(), nonzero.min(3));
                let mut last = i64::MAX;
                for r in listed {
                    let points: i64 = r
                        .rsplit_once(" (")
                        .and_then(|(_, p)| p.strip_suffix(')'))
                        .and_then(|p| p.parse().ok())
                        .unwrap();
                    prop_assert!(points.abs() <= last);
                    last = points.abs();
                    let (t, _) = r.split_once('=').unwrap();
                    let idx = config.traits.iter().position(|x| x.name == t).unwrap();
                    prop_assert_eq!(parts[idx].1, points);
                }
            }
            // The reasons column (each bin's text formatted once) says what each lead's do.
            let column = s.reasons_column(&config, 3, "reasons").unwrap();
            prop_assert_eq!(column.len(), s.score.len());
            for i in 0..s.score.len() {
                let one = s.reasons(&config, i, 3);
                prop_assert_eq!(column.get(i), Some(one.as_str()));
            }
            // Higher scores never land in a lower tier, nor get a lower probability.
            let mut order: Vec<usize> = rows.clone();
            order.sort_by_key(|&i| s.score[i]);
            for w in order.windows(2) {
                prop_assert!(s.tier[w[1]] <= s.tier[w[0]]);
                prop_assert!(s.probability[w[1]] >= s.probability[w[0]]);
            }
        }
    }
}
