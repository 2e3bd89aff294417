//! Binning: per trait, the bins the fit uses, and per-bin statistics in optbinning's vocabulary
//! (a [`BinningTable`] with counts, event rate, WoE and IV).
//!
//! - Categorical traits: one bin per value; values held by fewer than `min_bin_share` of the leads
//!   merge into `other`; missing is its own bin, never dropped.
//! - Numeric traits: about 20 quantile pre-bins, then adjacent pre-bins are merged to maximise the
//!   information value subject to a minimum bin share, at most `max_bins` bins and a trend
//!   constraint on the conversion rate (ascending, descending, peak, valley, none, or auto).
//!   The merge is exact: a dynamic programme over the contiguous partitions of the pre-bins.
//!   Missing and configured special values keep their own bins.
//!
//! Every trait also has a `missing` bin (and every categorical trait an `other` bin), possibly
//! empty, so that any new lead falls in exactly one bin. An empty bin has WoE 0 (neutral).

use polars::prelude::{InitHashMaps, PlHashMap};
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::stats;

mod values;
use values::MISSING_CODE;
pub use values::{Coded, CountCoder, Numbers, Population, TraitInput, TraitValues};

/// The trend a numeric trait's conversion rate must follow across its bins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trend {
    /// Monotone (ascending or descending) unless a single peak or valley is clearly better.
    Auto,
    Ascending,
    Descending,
    /// Rises, then falls.
    Peak,
    /// Falls, then rises.
    Valley,
    /// No constraint.
    None,
}

impl Trend {
    pub fn parse(text: &str) -> Option<Trend> {
        Some(match text {
            "auto" => Trend::Auto,
            "ascending" => Trend::Ascending,
            "descending" => Trend::Descending,
            "peak" => Trend::Peak,
            "valley" => Trend::Valley,
            "none" => Trend::None,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Trend::Auto => "auto",
            Trend::Ascending => "ascending",
            Trend::Descending => "descending",
            Trend::Peak => "peak",
            Trend::Valley => "valley",
            Trend::None => "none",
        }
    }
}

/// What decides the bins.
#[derive(Debug, Clone)]
pub struct BinningParams {
    /// Smallest share of leads a categorical value (or numeric bin) may hold alone.
    pub min_bin_share: f64,
    /// Quantile pre-bins of a numeric trait before merging.
    pub prebins: usize,
    /// Most bins of a numeric trait (missing and special values not counted).
    pub max_bins: usize,
    pub trend: Trend,
    pub trend_for: BTreeMap<String, Trend>,
    /// Values of numeric traits that keep their own bin (e.g. `pdays = [-1]`).
    pub special: BTreeMap<String, Vec<f64>>,
}

impl Default for BinningParams {
    fn default() -> Self {
        BinningParams {
            min_bin_share: 0.02,
            prebins: 20,
            max_bins: 8,
            trend: Trend::Auto,
            trend_for: BTreeMap::new(),
            special: BTreeMap::new(),
        }
    }
}

/// Which sub-score a trait belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// Who the lead is (firmographics, source, ...).
    Fit,
    /// What the lead did (activities).
    Engagement,
}

/// Which values fall in a bin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BinRule {
    /// `lo < x <= hi`; an absent bound is open (minus or plus infinity).
    Range { lo: Option<f64>, hi: Option<f64> },
    /// Exactly this value.
    Special { value: f64 },
    /// One category value.
    Value { value: String },
    /// Category values too rare to stand alone, and values never seen: any value no `value`
    /// bin names. Which values were rare is not recorded (a rare value can name a person):
    /// how many there were, and how many training leads each had.
    Other {
        /// Distinct training values merged here (left out when none).
        #[serde(default, skip_serializing_if = "is_zero")]
        distinct_values: u64,
        /// How many of them had each number of training leads, fewest leads first.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        values_by_leads: Vec<ValueFrequency>,
        /// Schema version 1 listed the rare values themselves: read from such a config (and
        /// hashed as written), never written since.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        values: Option<Vec<String>>,
    },
    /// No value.
    Missing,
}

/// `values` distinct category values had `leads` training leads each (the `other` bin's
/// frequencies).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ValueFrequency {
    pub leads: u64,
    pub values: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl BinRule {
    /// The `other` rule of rare values with these training lead counts: their number and
    /// frequencies, never the values.
    pub fn other_of(rare_leads: impl IntoIterator<Item = u64>) -> BinRule {
        let mut by_leads: std::collections::BTreeMap<u64, u64> = Default::default();
        for leads in rare_leads {
            *by_leads.entry(leads).or_default() += 1;
        }
        BinRule::Other {
            distinct_values: by_leads.values().sum(),
            values_by_leads: by_leads
                .into_iter()
                .map(|(leads, values)| ValueFrequency { leads, values })
                .collect(),
            values: None,
        }
    }
}

/// Counts and statistics of one bin (optbinning's BinningTable row).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bin {
    pub label: String,
    pub rule: BinRule,
    pub leads: u64,
    pub wins: u64,
    /// Leads whose won deal is among the best customers.
    pub best: u64,
    pub conversion: f64,
    pub conversion_low: f64,
    pub conversion_high: f64,
    /// Bin conversion / overall conversion.
    pub lift: f64,
    pub woe: f64,
    pub iv: f64,
    /// Share of all best customers that fall in this bin.
    pub best_share: f64,
    /// `best_share` / the bin's share of all leads.
    pub best_lift: f64,
    /// Bin against the rest of the trait's leads.
    pub p_value: f64,
    pub test: String,
    /// Benjamini-Hochberg adjusted across every bin of every trait in the table.
    pub p_adjusted: f64,
}

/// A trait's bins.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraitBins {
    pub name: String,
    pub origin: Origin,
    pub numeric: bool,
    /// The trend the numeric bins follow (absent for categorical traits).
    pub trend: Option<Trend>,
    pub bins: Vec<Bin>,
    pub iv: f64,
    /// Distinct values seen (missing excluded).
    pub distinct: u64,
    pub notes: Vec<String>,
}

impl TraitBins {
    /// The index of the bin a value falls in: always exactly one.
    pub fn numeric_bin(&self, value: Option<f64>) -> usize {
        numeric_bin(self.bins.iter().map(|b| &b.rule), value)
    }

    /// The bin of every value of a trait at `rows`, as [`TraitBins::numeric_bin`] gives it:
    /// for coded values, each level's bin is found once.
    pub fn numeric_bins(&self, values: &Numbers, rows: &[usize]) -> Vec<u16> {
        numeric_bins(self.bins.iter().map(|b| &b.rule), values, rows)
    }

    /// The index of the bin a category falls in: its own, else `other`.
    pub fn category_bin(&self, value: Option<&str>) -> usize {
        category_bin(self.bins.iter().map(|b| &b.rule), value)
    }
}

/// The bin of a numeric value among `rules` (the one assignment code, used by the fit and by
/// scoring alike): a special value's own bin, else the range holding it, else (no value, or
/// not finite) the missing bin.
pub fn numeric_bin<'a>(
    rules: impl Iterator<Item = &'a BinRule> + Clone,
    value: Option<f64>,
) -> usize {
    let missing = missing_index(rules.clone());
    let Some(v) = value.filter(|v| v.is_finite()) else {
        return missing;
    };
    let mut found = missing;
    for (i, rule) in rules.enumerate() {
        match rule {
            BinRule::Special { value } if *value == v => return i,
            BinRule::Range { lo, hi }
                if lo.is_none_or(|lo| v > lo) && hi.is_none_or(|hi| v <= hi) =>
            {
                found = i;
            }
            _ => {}
        }
    }
    found
}

/// [`numeric_bin`] of the values at `rows`. Coded values ([`Numbers::encode`]) look their
/// level's bin up, found once per level.
pub fn numeric_bins<'a>(
    rules: impl Iterator<Item = &'a BinRule> + Clone,
    values: &Numbers,
    rows: &[usize],
) -> Vec<u16> {
    match values.coded() {
        Some((levels, codes)) => {
            let missing = numeric_bin(rules.clone(), None) as u16;
            let by_level: Vec<u16> = levels
                .iter()
                .map(|&v| numeric_bin(rules.clone(), Some(v)) as u16)
                .collect();
            rows.iter()
                .map(|&r| match codes[r] {
                    MISSING_CODE => missing,
                    c => by_level[c as usize],
                })
                .collect()
        }
        None => rows
            .iter()
            .map(|&r| numeric_bin(rules.clone(), values.get(r)) as u16)
            .collect(),
    }
}

/// The bin of a category among `rules`: its own value's bin, else `other`, else missing.
pub fn category_bin<'a>(
    rules: impl Iterator<Item = &'a BinRule> + Clone,
    value: Option<&str>,
) -> usize {
    let missing = missing_index(rules.clone());
    let Some(v) = value else {
        return missing;
    };
    let mut other = missing;
    for (i, rule) in rules.enumerate() {
        match rule {
            BinRule::Value { value } if value == v => return i,
            BinRule::Other { .. } => other = i,
            _ => {}
        }
    }
    other
}

fn missing_index<'a>(rules: impl Iterator<Item = &'a BinRule>) -> usize {
    let mut last = 0;
    for (i, rule) in rules.enumerate() {
        if *rule == BinRule::Missing {
            return i;
        }
        last = i;
    }
    last
}

/// All traits' bins over one population.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BinningTable {
    pub leads: u64,
    pub wins: u64,
    pub best: u64,
    pub traits: Vec<TraitBins>,
}

/// Raw counts of a bin before statistics.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Counts {
    leads: u64,
    wins: u64,
    best: u64,
}

impl Counts {
    fn add(&mut self, won: bool, best: bool) {
        self.leads += 1;
        self.wins += u64::from(won);
        self.best += u64::from(best);
    }
    fn merge(self, other: Counts) -> Counts {
        Counts {
            leads: self.leads + other.leads,
            wins: self.wins + other.wins,
            best: self.best + other.best,
        }
    }
    fn rate(self) -> f64 {
        if self.leads == 0 {
            0.0
        } else {
            self.wins as f64 / self.leads as f64
        }
    }
}

/// Bins every trait over `population` (in parallel) and computes the statistics; the table's
/// traits are in the order of `traits`.
pub fn bin_traits<T: std::borrow::Borrow<TraitInput> + Sync>(
    traits: &[T],
    population: &Population,
    params: &BinningParams,
) -> BinningTable {
    use rayon::prelude::*;
    let totals =
        population
            .won
            .iter()
            .zip(&population.best)
            .fold(Counts::default(), |mut c, (&w, &b)| {
                c.add(w, b);
                c
            });
    let mut binned: Vec<TraitBins> = traits
        .par_iter()
        .map(|t| t.borrow())
        .map(|t| match &t.values {
            TraitValues::Numeric(values) => bin_numeric(t, values, population, params, totals),
            TraitValues::Categorical { codes, labels } => {
                bin_categorical(t, codes, labels, population, params, totals)
            }
        })
        .collect();
    adjust_p_values(&mut binned);
    BinningTable {
        leads: totals.leads,
        wins: totals.wins,
        best: totals.best,
        traits: binned,
    }
}

/// Benjamini-Hochberg across all bins of all traits (bins with no leads are not tested).
fn adjust_p_values(traits: &mut [TraitBins]) {
    let raw: Vec<f64> = traits
        .iter()
        .flat_map(|t| t.bins.iter().map(|b| b.p_value))
        .collect();
    let adjusted = stats::benjamini_hochberg(&raw);
    let mut it = adjusted.into_iter();
    for t in traits.iter_mut() {
        for b in t.bins.iter_mut() {
            b.p_adjusted = it.next().unwrap_or(f64::NAN);
        }
    }
}

fn bin_categorical(
    input: &TraitInput,
    codes: &[Option<u32>],
    labels: &[String],
    population: &Population,
    params: &BinningParams,
    totals: Counts,
) -> TraitBins {
    let mut by_code = vec![Counts::default(); labels.len()];
    let mut missing = Counts::default();
    for i in 0..population.won.len() {
        let (won, best) = (population.won[i], population.best[i]);
        match codes[population.row(i)] {
            Some(c) => by_code[c as usize].add(won, best),
            None => missing.add(won, best),
        }
    }
    let mut ordered: Vec<(&str, Counts)> = labels
        .iter()
        .map(String::as_str)
        .zip(by_code)
        .filter(|(_, c)| c.leads > 0)
        .collect();
    let distinct = ordered.len() as u64;
    ordered.sort_by(|a, b| b.1.leads.cmp(&a.1.leads).then(a.0.cmp(b.0)));
    let min_leads = (params.min_bin_share * totals.leads as f64).ceil() as u64;
    let mut bins = Vec::new();
    let mut other = Counts::default();
    let mut other_values: Vec<u64> = Vec::new();
    for (value, counts) in ordered {
        if counts.leads >= min_leads.max(1) {
            bins.push((
                value.to_string(),
                BinRule::Value {
                    value: value.to_string(),
                },
                counts,
            ));
        } else {
            other = other.merge(counts);
            other_values.push(counts.leads);
        }
    }
    let mut notes = Vec::new();
    if !other_values.is_empty() {
        notes.push(format!(
            "{} rare values (each under {:.1}% of leads) merged into `other`",
            other_values.len(),
            params.min_bin_share * 100.0
        ));
    }
    bins.push(("other".into(), BinRule::other_of(other_values), other));
    bins.push(("missing".into(), BinRule::Missing, missing));
    finish(input, false, None, bins, totals, distinct, notes)
}

fn bin_numeric(
    input: &TraitInput,
    values: &Numbers,
    population: &Population,
    params: &BinningParams,
    totals: Counts,
) -> TraitBins {
    let specials = params.special.get(&input.name).cloned().unwrap_or_default();
    let mut special_counts = vec![Counts::default(); specials.len()];
    let mut missing = Counts::default();
    let runs = match values.coded() {
        // Coded values: counted by level, the levels already distinct and in order.
        Some((levels, codes)) => {
            let mut per_level = vec![Counts::default(); levels.len()];
            for i in 0..population.won.len() {
                let (won, best) = (population.won[i], population.best[i]);
                match codes[population.row(i)] {
                    MISSING_CODE => missing.add(won, best),
                    c => per_level[c as usize].add(won, best),
                }
            }
            let mut runs = Vec::new();
            for (&v, counts) in levels.iter().zip(per_level) {
                if counts.leads == 0 {
                    continue;
                }
                if !v.is_finite() {
                    missing = missing.merge(counts);
                } else if let Some(s) = specials.iter().position(|s| *s == v) {
                    special_counts[s] = special_counts[s].merge(counts);
                } else {
                    // -0 and 0 are one value.
                    runs.push((v + 0.0, counts));
                }
            }
            runs
        }
        None => {
            let regular = |v: Option<f64>| {
                v.filter(|v| v.is_finite() && !specials.contains(v))
                    // -0 and 0 are one value.
                    .map(|v| v + 0.0)
            };
            for i in 0..population.won.len() {
                let (won, best) = (population.won[i], population.best[i]);
                match values.get(population.row(i)).filter(|v| v.is_finite()) {
                    None => missing.add(won, best),
                    Some(v) => {
                        if let Some(s) = specials.iter().position(|s| *s == v) {
                            special_counts[s].add(won, best);
                        }
                    }
                }
            }
            value_runs((0..population.won.len()).filter_map(|i| {
                regular(values.get(population.row(i)))
                    .map(|v| (v, population.won[i], population.best[i]))
            }))
        }
    };
    let distinct = runs.len() as u64 + specials.len() as u64;
    let prebins = prebin(&runs, params.prebins);
    let min_leads = (params.min_bin_share * totals.leads as f64).ceil().max(1.0) as u64;
    let wanted = params
        .trend_for
        .get(&input.name)
        .copied()
        .unwrap_or(params.trend);
    let mut notes = Vec::new();
    let (groups, trend) = choose_groups(&prebins, totals, min_leads, params.max_bins, wanted);
    if !matches!(wanted, Trend::Auto | Trend::None) && prebins.len() > 1 {
        let free = best_partition(&prebins, totals, min_leads, params.max_bins, Trend::None);
        let forced_iv = partition_iv(&prebins, &groups, totals);
        let free_iv = partition_iv(&prebins, &free, totals);
        if groups.len() == 1 && free.len() > 1 || forced_iv < 0.5 * free_iv {
            notes.push(format!(
                "a {} trend does not fit: IV {forced_iv:.3} with it, {free_iv:.3} without",
                wanted.as_str()
            ));
        }
    }
    let mut bins = Vec::new();
    for (g, &(start, end)) in groups.iter().enumerate() {
        let counts = prebins[start..=end]
            .iter()
            .fold(Counts::default(), |acc, p| acc.merge(p.counts));
        let lo = (g > 0).then(|| prebins[start - 1].hi);
        let hi = (g + 1 < groups.len()).then(|| prebins[end].hi);
        bins.push((range_label(lo, hi), BinRule::Range { lo, hi }, counts));
    }
    if bins.is_empty() {
        bins.push((
            range_label(None, None),
            BinRule::Range { lo: None, hi: None },
            Counts::default(),
        ));
    }
    for (value, counts) in specials.iter().zip(special_counts) {
        bins.push((
            format!("= {}", format_number(*value)),
            BinRule::Special { value: *value },
            counts,
        ));
    }
    bins.push(("missing".into(), BinRule::Missing, missing));
    finish(input, true, Some(trend), bins, totals, distinct, notes)
}

/// A pre-bin: the values up to and including `hi`.
#[derive(Debug, Clone, Copy)]
struct Prebin {
    hi: f64,
    counts: Counts,
}

/// Whole numbers below this are counted by index in [`value_runs`].
pub(super) const SMALL_WHOLE: usize = 1 << 12;

/// Distinct values above which [`value_runs`] sorts the values instead of counting them.
const COUNTED_VALUES: usize = 1 << 14;

/// The distinct values in increasing order, each with the counts of its leads. Values with
/// few distinct levels (counts, years, bands) are counted in a hash map and only the distinct
/// values sorted; others are sorted whole.
fn value_runs(values: impl Iterator<Item = (f64, bool, bool)> + Clone) -> Vec<(f64, Counts)> {
    // Small whole numbers (activity counts, ages in years) are counted by index; other values
    // in a hash map.
    let mut small = vec![Counts::default(); SMALL_WHOLE];
    let mut counted: PlHashMap<u64, Counts> = PlHashMap::new();
    let mut few = true;
    for (v, won, best) in values.clone() {
        if (0.0..SMALL_WHOLE as f64).contains(&v) && v.fract() == 0.0 {
            small[v as usize].add(won, best);
            continue;
        }
        counted.entry(v.to_bits()).or_default().add(won, best);
        if counted.len() > COUNTED_VALUES {
            few = false;
            break;
        }
    }
    if few {
        let mut runs: Vec<(f64, Counts)> = counted
            .into_iter()
            .map(|(bits, c)| (f64::from_bits(bits), c))
            .chain(
                small
                    .into_iter()
                    .enumerate()
                    .filter(|(_, c)| c.leads > 0)
                    .map(|(v, c)| (v as f64, c)),
            )
            .collect();
        runs.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
        return runs;
    }
    let mut sorted: Vec<(f64, bool, bool)> = values.collect();
    sorted.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
    let mut runs: Vec<(f64, Counts)> = Vec::new();
    for (v, won, best) in sorted {
        match runs.last_mut() {
            Some((last, c)) if *last == v => c.add(won, best),
            _ => {
                let mut c = Counts::default();
                c.add(won, best);
                runs.push((v, c));
            }
        }
    }
    runs
}

/// Quantile pre-bins over the sorted distinct values (with their counts): cut points at the
/// values at ranks n*k/q, deduplicated, so a heavy value (e.g. many zeros) makes one pre-bin
/// rather than several.
fn prebin(runs: &[(f64, Counts)], q: usize) -> Vec<Prebin> {
    let n: u64 = runs.iter().map(|r| r.1.leads).sum();
    if n == 0 {
        return Vec::new();
    }
    // The value at 0-based rank r: the run whose cumulative count passes r.
    let mut cuts: Vec<f64> = Vec::with_capacity(q);
    let (mut run, mut below) = (0, 0u64);
    for k in 1..q as u64 {
        let rank = (n * k / q as u64).saturating_sub(1).min(n - 1);
        while below + runs[run].1.leads <= rank {
            below += runs[run].1.leads;
            run += 1;
        }
        cuts.push(runs[run].0);
    }
    cuts.push(runs[runs.len() - 1].0);
    cuts.dedup();
    let mut prebins: Vec<Prebin> = cuts
        .iter()
        .map(|&hi| Prebin {
            hi,
            counts: Counts::default(),
        })
        .collect();
    let mut p = 0;
    for &(v, counts) in runs {
        while v > prebins[p].hi {
            p += 1;
        }
        prebins[p].counts = prebins[p].counts.merge(counts);
    }
    prebins.retain(|p| p.counts.leads > 0);
    prebins
}

/// IV of one group of leads against the totals (smoothing as in [`stats::iv_term`], with the
/// number of bins fixed so the objective is additive over groups).
fn group_iv(c: Counts, totals: Counts, k: usize) -> f64 {
    stats::iv_term(
        c.wins as f64,
        (c.leads - c.wins) as f64,
        totals.wins as f64,
        (totals.leads - totals.wins) as f64,
        k,
        stats::WOE_SMOOTHING,
    )
}

fn partition_iv(prebins: &[Prebin], groups: &[(usize, usize)], totals: Counts) -> f64 {
    groups
        .iter()
        .map(|&(s, e)| {
            let c = prebins[s..=e]
                .iter()
                .fold(Counts::default(), |a, p| a.merge(p.counts));
            group_iv(c, totals, prebins.len())
        })
        .sum()
}

/// For `auto`, the best monotone partition unless a peak or valley beats it clearly (by 10% of
/// IV and 0.005 absolute): a single turn must earn its extra complexity.
fn choose_groups(
    prebins: &[Prebin],
    totals: Counts,
    min_leads: u64,
    max_bins: usize,
    wanted: Trend,
) -> (Vec<(usize, usize)>, Trend) {
    let solve = |t| {
        let g = best_partition(prebins, totals, min_leads, max_bins, t);
        let iv = partition_iv(prebins, &g, totals);
        (g, t, iv)
    };
    if wanted != Trend::Auto {
        let (g, t, _) = solve(wanted);
        return (g, t);
    }
    let mono = [solve(Trend::Ascending), solve(Trend::Descending)]
        .into_iter()
        .max_by(|a, b| a.2.total_cmp(&b.2))
        .expect("two candidates");
    let turn = [solve(Trend::Peak), solve(Trend::Valley)]
        .into_iter()
        .max_by(|a, b| a.2.total_cmp(&b.2))
        .expect("two candidates");
    if turn.2 > mono.2 * 1.1 + 0.005 {
        (turn.0, turn.1)
    } else {
        (mono.0, mono.1)
    }
}

/// The contiguous partition of `prebins` into at most `max_bins` groups, each holding at least
/// `min_leads`, whose conversion rates follow `trend`, with the largest total IV. Exact dynamic
/// programme over (last group, number of groups, phase); O(n^3 * max_bins) for n pre-bins.
/// When no partition satisfies the constraints, one group holds everything.
fn best_partition(
    prebins: &[Prebin],
    totals: Counts,
    min_leads: u64,
    max_bins: usize,
    trend: Trend,
) -> Vec<(usize, usize)> {
    let n = prebins.len();
    if n == 0 {
        return Vec::new();
    }
    let k = n;
    let mut prefix = vec![Counts::default(); n + 1];
    for i in 0..n {
        prefix[i + 1] = prefix[i].merge(prebins[i].counts);
    }
    let group = |s: usize, e: usize| Counts {
        leads: prefix[e + 1].leads - prefix[s].leads,
        wins: prefix[e + 1].wins - prefix[s].wins,
        best: prefix[e + 1].best - prefix[s].best,
    };
    let max_bins = max_bins.max(1);
    // state[(s, e, m, phase)] = best IV of prebins 0..=e split into m groups, last = s..=e.
    // phase 0: still on the first leg of the trend; 1: after the turn (peak / valley).
    let idx = |s: usize, e: usize, m: usize, p: usize| ((s * n + e) * (max_bins + 1) + m) * 2 + p;
    let mut best = vec![f64::NEG_INFINITY; n * n * (max_bins + 1) * 2];
    let mut from: Vec<Option<(usize, usize)>> = vec![None; best.len()];
    for e in 0..n {
        let first = group(0, e);
        if first.leads >= min_leads {
            best[idx(0, e, 1, 0)] = group_iv(first, totals, k);
        }
    }
    for e in 0..n {
        for s in 1..=e {
            let g = group(s, e);
            if g.leads < min_leads {
                continue;
            }
            let (rate, iv) = (g.rate(), group_iv(g, totals, k));
            for m in 2..=max_bins {
                for ps in 0..s {
                    let prev = group(ps, s - 1);
                    for pp in 0..2 {
                        let before = best[idx(ps, s - 1, m - 1, pp)];
                        if before == f64::NEG_INFINITY {
                            continue;
                        }
                        let Some(phase) = step(trend, prev.rate(), rate, pp) else {
                            continue;
                        };
                        let i = idx(s, e, m, phase);
                        if before + iv > best[i] {
                            best[i] = before + iv;
                            from[i] = Some((ps, pp));
                        }
                    }
                }
            }
        }
    }
    let mut top: Option<(f64, usize, usize, usize)> = None;
    for s in 0..n {
        for m in 1..=max_bins {
            for p in 0..2 {
                let v = best[idx(s, n - 1, m, p)];
                // Prefer fewer groups on ties (strictly greater to replace).
                if v > f64::NEG_INFINITY && top.is_none_or(|t| v > t.0 + 1e-12) {
                    top = Some((v, s, m, p));
                }
            }
        }
    }
    let Some((_, mut s, mut m, mut p)) = top else {
        return vec![(0, n - 1)];
    };
    let mut e = n - 1;
    let mut groups = vec![(s, e)];
    while m > 1 {
        let Some((ps, pp)) = from[idx(s, e, m, p)] else {
            break;
        };
        e = s - 1;
        s = ps;
        p = pp;
        m -= 1;
        groups.push((s, e));
    }
    groups.reverse();
    groups
}

/// The phase after moving from a group with rate `r1` (in phase `p`) to one with rate `r2`, or
/// None when the trend forbids it.
fn step(trend: Trend, r1: f64, r2: f64, p: usize) -> Option<usize> {
    match trend {
        Trend::None | Trend::Auto => Some(0),
        Trend::Ascending => (r2 >= r1).then_some(0),
        Trend::Descending => (r2 <= r1).then_some(0),
        Trend::Peak => match p {
            0 if r2 >= r1 => Some(0),
            0 => Some(1),
            _ => (r2 <= r1).then_some(1),
        },
        Trend::Valley => match p {
            0 if r2 <= r1 => Some(0),
            0 => Some(1),
            _ => (r2 >= r1).then_some(1),
        },
    }
}

/// Up to 4 significant digits, no trailing zeros: 1234.5678 -> "1235", 0.012345 -> "0.01235".
pub fn format_number(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let digits = (4 - 1 - v.abs().log10().floor() as i32).max(0) as usize;
    let s = format!("{v:.digits$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

fn range_label(lo: Option<f64>, hi: Option<f64>) -> String {
    match (lo, hi) {
        (None, None) => "all values".into(),
        (None, Some(h)) => format!("<= {}", format_number(h)),
        (Some(l), None) => format!("> {}", format_number(l)),
        (Some(l), Some(h)) => format!("({}, {}]", format_number(l), format_number(h)),
    }
}

/// Turns counts into a [`TraitBins`] with every statistic (see [`stats`] for the formulas).
fn finish(
    input: &TraitInput,
    numeric: bool,
    trend: Option<Trend>,
    bins: Vec<(String, BinRule, Counts)>,
    totals: Counts,
    distinct: u64,
    notes: Vec<String>,
) -> TraitBins {
    let k = bins.iter().filter(|b| b.2.leads > 0).count();
    let (w_total, l_total) = (totals.wins as f64, (totals.leads - totals.wins) as f64);
    let overall = totals.rate();
    let bins: Vec<Bin> = bins
        .into_iter()
        .map(|(label, rule, c)| {
            let (w, l) = (c.wins as f64, (c.leads - c.wins) as f64);
            let (low, high) = stats::wilson_interval(w, c.leads as f64, stats::Z95);
            let empty = c.leads == 0;
            let woe = if empty {
                0.0
            } else {
                stats::woe(w, l, w_total, l_total, k, stats::WOE_SMOOTHING)
            };
            let iv = if empty {
                0.0
            } else {
                stats::iv_term(w, l, w_total, l_total, k, stats::WOE_SMOOTHING)
            };
            let lead_share = c.leads as f64 / totals.leads.max(1) as f64;
            let best_share = if totals.best == 0 {
                f64::NAN
            } else {
                c.best as f64 / totals.best as f64
            };
            let (p_value, test) = if empty || c.leads == totals.leads {
                (f64::NAN, "none")
            } else {
                stats::bin_vs_rest_test(
                    c.wins,
                    c.leads - c.wins,
                    totals.wins - c.wins,
                    (totals.leads - totals.wins) - (c.leads - c.wins),
                )
            };
            Bin {
                label,
                rule,
                leads: c.leads,
                wins: c.wins,
                best: c.best,
                conversion: c.rate(),
                conversion_low: low,
                conversion_high: high,
                lift: if overall > 0.0 && !empty {
                    c.rate() / overall
                } else {
                    f64::NAN
                },
                woe,
                iv,
                best_share,
                best_lift: if lead_share > 0.0 {
                    best_share / lead_share
                } else {
                    f64::NAN
                },
                p_value,
                test: test.to_string(),
                p_adjusted: f64::NAN,
            }
        })
        .collect();
    TraitBins {
        name: input.name.clone(),
        origin: input.origin,
        numeric,
        trend,
        iv: bins.iter().map(|b| b.iv).sum(),
        bins,
        distinct,
        notes,
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod properties;
