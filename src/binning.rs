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

/// Numeric values with NaN standing for a missing one: 8 bytes a value where `Option<f64>`
/// takes 16 (a 10M-lead run holds some 30 such traits). A missing value and a value that is
/// not a number were already one (binning and scoring put both in the missing bin).
///
/// [`Numbers::encode`] stores values with few distinct levels (activity counts, ages, bands)
/// as a 4-byte code per value into their sorted distinct levels: half the memory, and binning,
/// re-binning on a subset and bin assignment then count and look up by code instead of
/// hashing, sorting or searching every value.
#[derive(Debug, Clone)]
pub struct Numbers(Repr);

#[derive(Debug, Clone)]
enum Repr {
    Plain(Vec<f64>),
    /// `levels[codes[i]]`; [`MISSING_CODE`] for a missing value. The levels are distinct,
    /// never NaN, and in increasing order.
    Coded {
        levels: Vec<f64>,
        codes: Vec<u32>,
    },
}

/// The code of a missing value in [`Numbers`]' coded form.
const MISSING_CODE: u32 = u32::MAX;

/// Values [`Numbers::encode`] looks at first.
const ENCODE_PROBE: usize = 1 << 16;

impl Default for Numbers {
    fn default() -> Self {
        Numbers(Repr::Plain(Vec::new()))
    }
}

impl PartialEq for Numbers {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Numbers {
    /// Value `i`, `None` when missing.
    pub fn get(&self, i: usize) -> Option<f64> {
        match &self.0 {
            Repr::Plain(values) => {
                let v = values[i];
                (!v.is_nan()).then_some(v)
            }
            Repr::Coded { levels, codes } => levels.get(codes[i] as usize).copied(),
        }
    }
    pub fn len(&self) -> usize {
        match &self.0 {
            Repr::Plain(values) => values.len(),
            Repr::Coded { codes, .. } => codes.len(),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn iter(&self) -> impl Iterator<Item = Option<f64>> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }

    /// The coded form, when [`Numbers::encode`] chose it: the sorted distinct levels and each
    /// value's code into them ([`MISSING_CODE`] for a missing value).
    fn coded(&self) -> Option<(&[f64], &[u32])> {
        match &self.0 {
            Repr::Plain(_) => None,
            Repr::Coded { levels, codes } => Some((levels, codes)),
        }
    }

    /// Stores the values as codes into their sorted distinct levels when there are at most a
    /// quarter as many levels as values (else they stay as they are: codes and levels would
    /// take more memory than the values). `-0` is stored as `0` (binning and scoring already
    /// took them as one value). Values are unchanged otherwise: [`Numbers::get`] returns the
    /// same number. A long column whose first [`ENCODE_PROBE`] values already have more
    /// levels than a quarter of them stays as it is, without a look at the rest.
    pub fn encode(&mut self) {
        let Repr::Plain(values) = &self.0 else {
            return;
        };
        let limit = (values.len() / 4).max(16);
        // Small whole numbers by index, other values in a hash map; each value's provisional
        // code is its level's order of first appearance.
        let mut small = vec![MISSING_CODE; SMALL_WHOLE];
        let mut other: PlHashMap<u64, u32> = PlHashMap::new();
        let mut firsts: Vec<f64> = Vec::new();
        let mut codes: Vec<u32> = Vec::with_capacity(values.len());
        let long = values.len() > 4 * ENCODE_PROBE;
        for (i, &v) in values.iter().enumerate() {
            // A first look: a long column whose first values already have more levels than a
            // quarter of them is taken as continuous, without a pass through the rest (plain
            // or coded, every value reads the same: only memory differs).
            if long && i == ENCODE_PROBE && firsts.len() > ENCODE_PROBE / 4 {
                return;
            }
            let code = if v.is_nan() {
                MISSING_CODE
            } else if (0.0..SMALL_WHOLE as f64).contains(&v) && (v as usize) as f64 == v {
                // Whole (in this range the cast drops just the fraction; `fract` is a call).
                let slot = &mut small[v as usize];
                if *slot == MISSING_CODE {
                    *slot = firsts.len() as u32;
                    firsts.push(v + 0.0);
                }
                *slot
            } else {
                *other.entry(v.to_bits()).or_insert_with(|| {
                    firsts.push(v);
                    (firsts.len() - 1) as u32
                })
            };
            if firsts.len() > limit {
                return;
            }
            codes.push(code);
        }
        self.0 = ranked(firsts, codes);
    }

    /// Whole counts (none missing) as [`Numbers::encode`] leaves them once they are values:
    /// coded from the counts as they are read, without a column of 8-byte values first.
    pub fn from_counts(counts: impl ExactSizeIterator<Item = u32> + Clone) -> Self {
        let mut coder = CountCoder::new(counts.len());
        for c in counts.clone() {
            coder.push(c);
        }
        coder.finish(counts)
    }
}

/// [`Numbers::from_counts`] fed one count at a time, so that many columns can be coded in one
/// pass over a table that holds them side by side (a pass per column would read the whole
/// table once per column).
pub struct CountCoder {
    len: usize,
    /// Counts pushed so far.
    read: usize,
    limit: usize,
    long: bool,
    small: Vec<u32>,
    other: PlHashMap<u64, u32>,
    firsts: Vec<f64>,
    codes: Vec<u32>,
    /// Too many levels: the column stays plain (its codes are dropped).
    plain: bool,
}

impl CountCoder {
    /// A coder of a column of `len` counts.
    pub fn new(len: usize) -> Self {
        CountCoder {
            len,
            read: 0,
            limit: (len / 4).max(16),
            long: len > 4 * ENCODE_PROBE,
            small: vec![MISSING_CODE; SMALL_WHOLE],
            other: PlHashMap::new(),
            firsts: Vec::new(),
            codes: Vec::with_capacity(len),
            plain: false,
        }
    }

    /// The next count of the column.
    #[inline]
    pub fn push(&mut self, c: u32) {
        if self.plain {
            return;
        }
        let i = self.read;
        self.read += 1;
        // The same first look and limit as `encode`.
        if self.long && i == ENCODE_PROBE && self.firsts.len() > ENCODE_PROBE / 4 {
            self.give_up();
            return;
        }
        let v = f64::from(c);
        let code = if (c as usize) < SMALL_WHOLE {
            let slot = &mut self.small[c as usize];
            if *slot == MISSING_CODE {
                *slot = self.firsts.len() as u32;
                self.firsts.push(v);
            }
            *slot
        } else {
            let firsts = &mut self.firsts;
            *self.other.entry(v.to_bits()).or_insert_with(|| {
                firsts.push(v);
                (firsts.len() - 1) as u32
            })
        };
        if self.firsts.len() > self.limit {
            self.give_up();
            return;
        }
        self.codes.push(code);
    }

    fn give_up(&mut self) {
        self.plain = true;
        self.codes = Vec::new();
        self.other = PlHashMap::new();
    }

    /// The column coded, or plain when it has too many levels: then `again` gives its counts
    /// a second time (every count pushed, in order).
    pub fn finish(self, again: impl Iterator<Item = u32>) -> Numbers {
        if self.plain {
            return Numbers(Repr::Plain(again.map(f64::from).collect()));
        }
        debug_assert_eq!(self.read, self.len);
        Numbers(ranked(self.firsts, self.codes))
    }
}

/// The coded form of values given as their distinct levels in order of first appearance and
/// each value's index into them: the levels sorted, and each code made its level's rank.
fn ranked(firsts: Vec<f64>, mut codes: Vec<u32>) -> Repr {
    // Levels in increasing order, and each provisional code's rank among them.
    let mut order: Vec<u32> = (0..firsts.len() as u32).collect();
    order.sort_unstable_by(|&a, &b| firsts[a as usize].total_cmp(&firsts[b as usize]));
    let mut rank = vec![0u32; firsts.len()];
    for (r, &c) in order.iter().enumerate() {
        rank[c as usize] = r as u32;
    }
    let levels: Vec<f64> = order.iter().map(|&c| firsts[c as usize]).collect();
    for code in &mut codes {
        if *code != MISSING_CODE {
            *code = rank[*code as usize];
        }
    }
    Repr::Coded { levels, codes }
}

impl FromIterator<Option<f64>> for Numbers {
    fn from_iter<I: IntoIterator<Item = Option<f64>>>(values: I) -> Self {
        Numbers(Repr::Plain(
            values.into_iter().map(|v| v.unwrap_or(f64::NAN)).collect(),
        ))
    }
}

impl From<Vec<Option<f64>>> for Numbers {
    fn from(values: Vec<Option<f64>>) -> Self {
        values.into_iter().collect()
    }
}

/// The values of one trait over the population, in population order.
#[derive(Debug, Clone)]
pub enum TraitValues {
    Numeric(Numbers),
    /// Category codes into `labels` (missing = None).
    Categorical {
        codes: Vec<Option<u32>>,
        labels: Vec<String>,
    },
}

impl TraitValues {
    /// Encodes text values as category codes (labels in order of first appearance).
    pub fn categorical<'a>(values: impl Iterator<Item = Option<&'a str>>) -> TraitValues {
        Coded::of(values).into_values()
    }
}

/// Text values coded in order of first appearance, each code's label borrowed, with how often
/// each occurs.
#[derive(Default)]
pub struct Coded<'a> {
    pub codes: Vec<Option<u32>>,
    pub labels: Vec<&'a str>,
    pub counts: Vec<usize>,
}

impl<'a> Coded<'a> {
    pub fn of(values: impl Iterator<Item = Option<&'a str>>) -> Self {
        let mut index: PlHashMap<&'a str, u32> = PlHashMap::new();
        let mut coded = Coded::default();
        coded.codes = values
            .map(|v| {
                v.map(|v| {
                    let code = coded.code_of(&mut index, v);
                    coded.counts[code as usize] += 1;
                    code
                })
            })
            .collect();
        coded
    }

    /// The code of text `v` (its label's position, a new label for a text not seen before).
    fn code_of(&mut self, index: &mut PlHashMap<&'a str, u32>, v: &'a str) -> u32 {
        *index.entry(v).or_insert_with(|| {
            self.labels.push(v);
            self.counts.push(0);
            (self.labels.len() - 1) as u32
        })
    }

    /// [`Coded::of`] a text column, told apart by their views where it can: within one array,
    /// two values with the same view (the same inline bytes, or the same place in the same
    /// buffer, as a Parquet dictionary's values are decoded) are the same text, so a value
    /// whose view was seen is coded without hashing its text. At most [`VIEWS_KEPT`] views are
    /// kept per array (a column of mostly distinct values gains nothing from them).
    pub fn of_text(text: &'a polars::prelude::StringChunked) -> Self {
        use polars_arrow::array::Array;
        let mut index: PlHashMap<&'a str, u32> = PlHashMap::new();
        let mut by_view: PlHashMap<u128, u32> = PlHashMap::new();
        let mut coded = Coded {
            codes: Vec::with_capacity(text.len()),
            ..Coded::default()
        };
        for values in text.downcast_iter() {
            // A view's buffer index names a buffer of its own array.
            by_view.clear();
            for (i, view) in values.views().iter().enumerate() {
                if values.is_null(i) {
                    coded.codes.push(None);
                    continue;
                }
                let code = match by_view.get(&view.as_u128()) {
                    Some(&code) => code,
                    None => {
                        let code = coded.code_of(&mut index, values.value(i));
                        if by_view.len() < VIEWS_KEPT {
                            by_view.insert(view.as_u128(), code);
                        }
                        code
                    }
                };
                coded.counts[code as usize] += 1;
                coded.codes.push(Some(code));
            }
        }
        coded
    }

    /// The values as a categorical trait.
    pub fn into_values(self) -> TraitValues {
        TraitValues::Categorical {
            codes: self.codes,
            labels: self.labels.iter().map(|l| l.to_string()).collect(),
        }
    }
}

/// Views kept per array by [`Coded::of_text`].
const VIEWS_KEPT: usize = 1 << 12;

/// One trait to bin.
#[derive(Debug, Clone)]
pub struct TraitInput {
    pub name: String,
    pub origin: Origin,
    pub values: TraitValues,
}

/// The leads a binning is computed on: outcome and "best customer" flag per lead.
#[derive(Debug, Clone)]
pub struct Population {
    pub won: Vec<bool>,
    /// The lead's won deal is among the top `best_customers_top_percent` by amount.
    pub best: Vec<bool>,
    /// Lead `i` of the population is value `rows[i]` of each [`TraitInput`]; `None`: the same
    /// index (the trait values hold just the population).
    pub rows: Option<Vec<usize>>,
}

impl Population {
    /// The index into the trait values of population lead `i`.
    pub fn row(&self, i: usize) -> usize {
        self.rows.as_ref().map_or(i, |r| r[i])
    }
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
    /// Category values too rare to stand alone, and values never seen.
    Other { values: Vec<String> },
    /// No value.
    Missing,
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
    let mut other_values = Vec::new();
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
            other_values.push(value.to_string());
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
    other_values.sort();
    other_values.truncate(1000);
    bins.push((
        "other".into(),
        BinRule::Other {
            values: other_values,
        },
        other,
    ));
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
const SMALL_WHOLE: usize = 1 << 12;

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
mod tests {
    use super::*;

    /// Text coded by views equals text coded value by value: an array whose equal values
    /// share views (as a dictionary decodes), one whose equal values do not, nulls, short
    /// (inline) and long values, and more distinct values than views kept.
    #[test]
    fn text_coded_by_views_as_by_values() {
        use polars::prelude::{NewChunkedArray, StringChunked};
        use polars_arrow::array::{MutableBinaryViewArray, Utf8ViewArray};
        let words = [
            "a",
            "a longer value than twelve",
            "b",
            "another long value here",
        ];
        // First, a value of the view (length, prefix, buffer 0, offset 0) that a word has in
        // the next array: views name texts only within their own array.
        let plain: Vec<Option<String>> = std::iter::once(Some("a longer value than twelvX".into()))
            .chain((0..500).map(|i| (i % 7 != 3).then(|| words[i * 7 % 4].to_string())))
            .collect();
        // Equal values sharing views: each word's view pushed again and again.
        let dictionary = Utf8ViewArray::from_slice_values(words);
        let mut shared = MutableBinaryViewArray::<str>::new();
        for i in 0..500 {
            if i % 5 == 0 {
                shared.push_null();
            } else {
                let at = (i * 3) % 4;
                shared.push_view(dictionary.views()[at], dictionary.data_buffers());
            }
        }
        let many: Vec<String> = (0..2 * VIEWS_KEPT + 7)
            .map(|i| format!("value number {}", i % (VIEWS_KEPT + 100)))
            .collect();
        let mut text =
            StringChunked::from_iter_options("t".into(), plain.iter().map(|v| v.as_deref()));
        text.append(&StringChunked::with_chunk("t".into(), shared.freeze()))
            .unwrap();
        text.append(&StringChunked::from_slice("t".into(), &many))
            .unwrap();
        assert_eq!(text.chunks().len(), 3);
        let by_views = Coded::of_text(&text);
        let by_values = Coded::of(text.iter());
        assert_eq!(by_views.codes, by_values.codes);
        assert_eq!(by_views.labels, by_values.labels);
        assert_eq!(by_views.counts, by_values.counts);
        assert_eq!(by_views.labels.len(), 5 + VIEWS_KEPT + 100);
    }

    /// Pre-bins from the distinct values (counted or sorted) equal those from every value
    /// sorted, the quantile cut at ranks n*k/q computed directly.
    #[test]
    fn prebins_from_value_runs_match_the_sorted_values() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
        // Powers (whole numbers and fractions), and whole numbers either side of SMALL_WHOLE.
        for (levels, power) in [(3usize, 1.3), (40, 1.3), (100_000, 1.3), (5_000, 1.0)] {
            let values: Vec<(f64, bool, bool)> = (0..60_000)
                .map(|_| {
                    let v = (rng.random_range(0..levels) as f64).powf(power);
                    (
                        if v == 0.0 { -0.0 } else { v },
                        rng.random_bool(0.2),
                        rng.random_bool(0.1),
                    )
                })
                .collect();
            let mut sorted = values.clone();
            sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
            let n = sorted.len();
            let q = 20;
            let mut cuts: Vec<f64> = (1..q)
                .map(|k| sorted[(n * k / q).saturating_sub(1)].0)
                .collect();
            cuts.push(sorted[n - 1].0);
            cuts.dedup_by(|a, b| a == b);
            let runs = value_runs(values.iter().map(|&(v, w, b)| (v + 0.0, w, b)));
            assert_eq!(
                runs.len() > COUNTED_VALUES,
                levels > COUNTED_VALUES + SMALL_WHOLE,
                "{levels} levels"
            );
            let prebins = prebin(&runs, q);
            assert_eq!(prebins.len(), cuts.len(), "{levels} levels");
            let mut below = 0;
            for (p, &hi) in prebins.iter().zip(&cuts) {
                assert_eq!(p.hi, hi);
                let inside: Vec<_> = sorted[below..].iter().take_while(|v| v.0 <= hi).collect();
                below += inside.len();
                assert_eq!(p.counts.leads, inside.len() as u64);
                assert_eq!(p.counts.wins, inside.iter().filter(|v| v.1).count() as u64);
                assert_eq!(p.counts.best, inside.iter().filter(|v| v.2).count() as u64);
            }
            assert_eq!(below, n);
        }
    }

    fn population(won: &[bool]) -> Population {
        Population {
            won: won.to_vec(),
            best: vec![false; won.len()],
            rows: None,
        }
    }

    fn numeric(values: Vec<Option<f64>>) -> TraitInput {
        TraitInput {
            name: "x".into(),
            origin: Origin::Fit,
            values: TraitValues::Numeric(values.into()),
        }
    }

    #[test]
    fn categorical_rare_values_merge_into_other_and_missing_stays() {
        let values = ["a", "a", "a", "b", "b", "b", "c"]
            .iter()
            .map(|s| Some(*s))
            .chain([None, None]);
        let won = [true, false, false, true, true, false, true, false, false];
        let input = TraitInput {
            name: "industry".into(),
            origin: Origin::Fit,
            values: TraitValues::categorical(values),
        };
        let params = BinningParams {
            min_bin_share: 0.2,
            ..Default::default()
        };
        let t = bin_traits(&[input], &population(&won), &params)
            .traits
            .remove(0);
        let labels: Vec<(&str, u64, u64)> = t
            .bins
            .iter()
            .map(|b| (b.label.as_str(), b.leads, b.wins))
            .collect();
        assert_eq!(
            labels,
            vec![("a", 3, 1), ("b", 3, 2), ("other", 1, 1), ("missing", 2, 0)]
        );
        assert_eq!(t.category_bin(Some("zzz")), 2);
        assert_eq!(t.category_bin(None), 3);
    }

    #[test]
    fn ascending_effect_gives_ascending_bins() {
        // x in 0..1000, conversion rises with x: deterministic pattern.
        let n = 1000;
        let values: Vec<Option<f64>> = (0..n).map(|i| Some(i as f64)).collect();
        let won: Vec<bool> = (0..n).map(|i| (i * 7919) % 1000 < i / 2).collect();
        let t = bin_traits(
            &[numeric(values)],
            &population(&won),
            &BinningParams::default(),
        )
        .traits
        .remove(0);
        assert_eq!(t.trend, Some(Trend::Ascending));
        let ranges: Vec<&Bin> = t
            .bins
            .iter()
            .filter(|b| matches!(b.rule, BinRule::Range { .. }))
            .collect();
        assert!(ranges.len() >= 3, "{:?}", t.bins);
        for pair in ranges.windows(2) {
            assert!(pair[1].conversion >= pair[0].conversion);
        }
    }

    #[test]
    fn inverted_u_is_found_as_a_peak() {
        let n = 2000;
        let values: Vec<Option<f64>> = (0..n).map(|i| Some(i as f64)).collect();
        // conversion 10% at the ends, 60% in the middle
        let won: Vec<bool> = (0..n)
            .map(|i| {
                let middle = (700..1300).contains(&i);
                let r = (i * 7919) % 100;
                if middle { r < 60 } else { r < 10 }
            })
            .collect();
        let t = bin_traits(
            &[numeric(values)],
            &population(&won),
            &BinningParams::default(),
        )
        .traits
        .remove(0);
        assert_eq!(t.trend, Some(Trend::Peak), "{:?}", t.bins);
    }

    #[test]
    fn every_value_falls_in_exactly_one_bin_and_counts_add_up() {
        let values: Vec<Option<f64>> = (0..500)
            .map(|i| {
                if i % 17 == 0 {
                    None
                } else {
                    Some(((i * 37) % 101) as f64)
                }
            })
            .collect();
        let won: Vec<bool> = (0..500).map(|i| i % 3 == 0).collect();
        let params = BinningParams {
            special: BTreeMap::from([("x".to_string(), vec![0.0])]),
            ..Default::default()
        };
        let t = bin_traits(&[numeric(values.clone())], &population(&won), &params)
            .traits
            .remove(0);
        let mut counted = vec![0u64; t.bins.len()];
        for v in &values {
            counted[t.numeric_bin(*v)] += 1;
        }
        let leads: Vec<u64> = t.bins.iter().map(|b| b.leads).collect();
        assert_eq!(counted, leads);
        assert_eq!(leads.iter().sum::<u64>(), 500);
        assert!(
            t.bins
                .iter()
                .any(|b| b.rule == BinRule::Special { value: 0.0 })
        );
    }

    #[test]
    fn forced_trend_that_does_not_fit_is_reported() {
        let n = 1000;
        let values: Vec<Option<f64>> = (0..n).map(|i| Some(i as f64)).collect();
        let won: Vec<bool> = (0..n).map(|i| (i * 7919) % 1000 < i / 2).collect();
        let params = BinningParams {
            trend: Trend::Descending,
            ..Default::default()
        };
        let t = bin_traits(&[numeric(values)], &population(&won), &params)
            .traits
            .remove(0);
        assert!(
            t.notes
                .iter()
                .any(|n| n.contains("a descending trend does not fit")),
            "{:?}",
            t.notes
        );
    }

    #[test]
    fn number_labels() {
        assert_eq!(format_number(1234.5678), "1235");
        assert_eq!(format_number(0.012345), "0.01235");
        assert_eq!(format_number(50.0), "50");
        assert_eq!(range_label(Some(1.5), Some(20.0)), "(1.5, 20]");
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    fn leads() -> impl Strategy<Value = Vec<(Option<i32>, bool)>> {
        prop::collection::vec(
            (prop::option::weighted(0.9, -50i32..50), any::<bool>()),
            1..400,
        )
    }

    /// Values for the coded form: whole numbers (some beyond the small range), fractions,
    /// -0, infinities and missing values.
    fn mixed_values() -> impl Strategy<Value = Vec<Option<f64>>> {
        prop::collection::vec(
            prop::option::weighted(
                0.85,
                prop_oneof![
                    (-5i32..12).prop_map(f64::from),
                    (0u32..6).prop_map(|k| f64::from(k) * 2500.0),
                    (0u32..8).prop_map(|k| f64::from(k) / 4.0),
                    Just(-0.0),
                    Just(f64::INFINITY),
                    Just(f64::NEG_INFINITY),
                ],
            ),
            1..300,
        )
    }

    /// Past the first look's size, a column of distinct values stays plain and one of few
    /// levels is coded; both read back the same.
    #[test]
    fn long_columns_are_coded_by_their_first_values() {
        let n = 4 * ENCODE_PROBE + 1;
        let distinct: Vec<Option<f64>> = (0..n).map(|i| Some(i as f64 * 0.5)).collect();
        let few: Vec<Option<f64>> = (0..n)
            .map(|i| (i % 7 != 0).then_some((i % 100) as f64 + 0.25))
            .collect();
        for (values, coded) in [(distinct, false), (few, true)] {
            let mut numbers: Numbers = values.clone().into();
            numbers.encode();
            assert_eq!(numbers.coded().is_some(), coded);
            for (i, v) in values.iter().enumerate().step_by(997) {
                assert_eq!(numbers.get(i), *v);
            }
        }
    }

    /// Counts coded straight from `u32`s are the counts as values, encoded: short and long,
    /// few levels and many (coded, and plain by the first look or by the limit).
    #[test]
    fn counts_code_as_their_values_encode() {
        let n = 4 * ENCODE_PROBE + 1;
        let cases: Vec<Vec<u32>> = vec![
            vec![],
            vec![0, 3, 3, 1, 0, 7],
            (0..40).collect(),
            (0..n as u32).map(|i| (i * 7919) % 13).collect(),
            (0..n as u32).collect(),
            (0..n as u32)
                .map(|i| if i < 70_000 { i % 9 } else { i })
                .collect(),
            (0..1000u32).map(|i| i * 1000).collect(),
            (0..5000u32).map(|i| (i % 40) * 700).collect(),
        ];
        for counts in cases {
            let mut values: Numbers = counts.iter().map(|&c| Some(f64::from(c))).collect();
            values.encode();
            let direct = Numbers::from_counts(counts.iter().copied());
            assert_eq!(format!("{direct:?}"), format!("{values:?}"));
        }
    }

    /// Coders fed side by side, one value of each column in turn (as the engagement table is
    /// read), give each column's [`Numbers::from_counts`]: a coded one, and one that gives up
    /// at the limit of levels and comes out plain.
    #[test]
    fn coders_fed_side_by_side_code_each_column_alone() {
        let n = 5000;
        let few: Vec<u32> = (0..n).map(|i| (i * 31) % 17).collect();
        let many: Vec<u32> = (0..n).map(|i| i * 3).collect();
        let mut coders = [CountCoder::new(n as usize), CountCoder::new(n as usize)];
        for (a, b) in few.iter().zip(&many) {
            coders[0].push(*a);
            coders[1].push(*b);
        }
        let [a, b] = coders;
        let (a, b) = (
            a.finish(few.iter().copied()),
            b.finish(many.iter().copied()),
        );
        assert!(a.coded().is_some() && b.coded().is_none());
        let alone = |c: &[u32]| format!("{:?}", Numbers::from_counts(c.iter().copied()));
        assert_eq!(format!("{a:?}"), alone(&few));
        assert_eq!(format!("{b:?}"), alone(&many));
    }

    proptest! {
        /// The coded form gives back every value (a -0 as 0), and when there are more
        /// distinct values than a quarter of the values, it is not chosen.
        #[test]
        fn coded_numbers_keep_their_values(values in mixed_values()) {
            let plain: Numbers = values.clone().into();
            let mut coded = plain.clone();
            coded.encode();
            let distinct: std::collections::BTreeSet<u64> = values
                .iter()
                .flatten()
                .map(|v| (v + 0.0).to_bits())
                .collect();
            prop_assert_eq!(coded.coded().is_some(), distinct.len() <= (values.len() / 4).max(16));
            prop_assert_eq!(coded.len(), values.len());
            for (i, v) in values.iter().enumerate() {
                prop_assert_eq!(coded.get(i), v.map(|v| v + 0.0));
            }
            if let Some((levels, _)) = coded.coded() {
                prop_assert!(levels.windows(2).all(|w| w[0] < w[1]));
            }
        }

        /// Binning, re-binning on a subset of rows and bin assignment give the same bins,
        /// statistics and assignments for coded values as for the plain ones.
        #[test]
        fn coded_numbers_bin_as_the_plain_ones(
            values in mixed_values(),
            seed in any::<u64>(),
            special in prop::bool::ANY,
        ) {
            use rand::{Rng, SeedableRng};
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
            // Each value four times: never more distinct values than a quarter of them, so
            // the coded form is always chosen.
            let values: Vec<Option<f64>> = values.iter().cycle().take(values.len() * 4).copied().collect();
            let n = values.len();
            let won: Vec<bool> = (0..n).map(|_| rng.random_bool(0.3)).collect();
            let best: Vec<bool> = won.iter().map(|&w| w && rng.random_bool(0.5)).collect();
            let subset: Vec<usize> = (0..n).filter(|_| rng.random_bool(0.6)).collect();
            let params = BinningParams {
                min_bin_share: 0.02,
                special: if special {
                    BTreeMap::from([("x".to_string(), vec![0.0, 2500.0])])
                } else {
                    BTreeMap::new()
                },
                ..Default::default()
            };
            let plain = TraitInput {
                name: "x".into(),
                origin: Origin::Fit,
                values: TraitValues::Numeric(values.clone().into()),
            };
            let mut coded = plain.clone();
            if let TraitValues::Numeric(v) = &mut coded.values {
                v.encode();
                prop_assert!(v.coded().is_some());
            }
            let whole = Population { won: won.clone(), best: best.clone(), rows: None };
            let part = Population {
                won: subset.iter().map(|&i| won[i]).collect(),
                best: subset.iter().map(|&i| best[i]).collect(),
                rows: Some(subset.clone()),
            };
            for population in [&whole, &part] {
                let a = bin_traits(&[&plain], population, &params);
                let b = bin_traits(&[&coded], population, &params);
                prop_assert_eq!(format!("{:?}", a.traits), format!("{:?}", b.traits));
                let (TraitValues::Numeric(pv), TraitValues::Numeric(cv)) =
                    (&plain.values, &coded.values)
                else {
                    unreachable!()
                };
                let rows: Vec<usize> = (0..population.won.len()).map(|i| population.row(i)).collect();
                let t = &a.traits[0];
                let expected: Vec<u16> = rows.iter().map(|&r| t.numeric_bin(pv.get(r)) as u16).collect();
                prop_assert_eq!(t.numeric_bins(pv, &rows), expected.clone());
                prop_assert_eq!(t.numeric_bins(cv, &rows), expected);
            }
        }

        #[test]
        fn numeric_bins_partition_the_leads(
            data in leads(),
            trend in prop::sample::select(vec![
                Trend::Auto, Trend::Ascending, Trend::Descending, Trend::Peak, Trend::Valley,
                Trend::None,
            ]),
            min_share in 0.0f64..0.3,
            special in prop::bool::ANY,
        ) {
            let values: Vec<Option<f64>> = data.iter().map(|(v, _)| v.map(f64::from)).collect();
            let won: Vec<bool> = data.iter().map(|(_, w)| *w).collect();
            let params = BinningParams {
                min_bin_share: min_share,
                trend,
                special: if special {
                    BTreeMap::from([("x".to_string(), vec![0.0])])
                } else {
                    BTreeMap::new()
                },
                ..Default::default()
            };
            let input = TraitInput {
                name: "x".into(),
                origin: Origin::Fit,
                values: TraitValues::Numeric(values.clone().into()),
            };
            let population = Population { won: won.clone(), best: vec![false; won.len()], rows: None };
            let table = bin_traits(&[input], &population, &params);
            let t = &table.traits[0];
            // Merging never loses counts.
            prop_assert_eq!(t.bins.iter().map(|b| b.leads).sum::<u64>(), data.len() as u64);
            prop_assert_eq!(
                t.bins.iter().map(|b| b.wins).sum::<u64>(),
                won.iter().filter(|w| **w).count() as u64
            );
            // Every lead falls in exactly one bin, the one that counted it.
            let mut counted = vec![0u64; t.bins.len()];
            let mut wins = vec![0u64; t.bins.len()];
            for (v, w) in values.iter().zip(&won) {
                let b = t.numeric_bin(*v);
                counted[b] += 1;
                wins[b] += u64::from(*w);
            }
            prop_assert_eq!(counted, t.bins.iter().map(|b| b.leads).collect::<Vec<_>>());
            prop_assert_eq!(wins, t.bins.iter().map(|b| b.wins).collect::<Vec<_>>());
            // The ranges cover the line: open at both ends, each starting where the last ended.
            let ranges: Vec<(Option<f64>, Option<f64>)> = t.bins.iter().filter_map(|b| match b.rule {
                BinRule::Range { lo, hi } => Some((lo, hi)),
                _ => None,
            }).collect();
            prop_assert!(ranges.first().is_some_and(|r| r.0.is_none()));
            prop_assert!(ranges.last().is_some_and(|r| r.1.is_none()));
            for pair in ranges.windows(2) {
                prop_assert_eq!(pair[0].1, pair[1].0);
            }
            prop_assert!(ranges.len() <= params.max_bins);
            // A forced monotone trend holds across the ranges.
            let rates: Vec<f64> = t.bins.iter()
                .filter(|b| matches!(b.rule, BinRule::Range { .. }))
                .map(|b| b.conversion)
                .collect();
            if trend == Trend::Ascending && ranges.len() > 1 {
                prop_assert!(rates.windows(2).all(|w| w[1] >= w[0]));
            }
            if trend == Trend::Descending && ranges.len() > 1 {
                prop_assert!(rates.windows(2).all(|w| w[1] <= w[0]));
            }
            prop_assert!(t.iv >= 0.0);
        }

        #[test]
        fn categorical_bins_partition_the_leads(
            data in prop::collection::vec(
                (prop::option::weighted(0.9, 0u8..12), any::<bool>()), 1..400),
            min_share in 0.0f64..0.3,
        ) {
            let labels: Vec<Option<String>> =
                data.iter().map(|(v, _)| v.map(|v| format!("v{v}"))).collect();
            let won: Vec<bool> = data.iter().map(|(_, w)| *w).collect();
            let input = TraitInput {
                name: "c".into(),
                origin: Origin::Fit,
                values: TraitValues::categorical(labels.iter().map(|v| v.as_deref())),
            };
            let population = Population { won: won.clone(), best: vec![false; won.len()], rows: None };
            let params = BinningParams { min_bin_share: min_share, ..Default::default() };
            let t = &bin_traits(&[input], &population, &params).traits[0];
            let mut counted = vec![0u64; t.bins.len()];
            for v in &labels {
                counted[t.category_bin(v.as_deref())] += 1;
            }
            prop_assert_eq!(counted, t.bins.iter().map(|b| b.leads).collect::<Vec<_>>());
            prop_assert_eq!(t.bins.iter().map(|b| b.wins).sum::<u64>(),
                won.iter().filter(|w| **w).count() as u64);
        }
    }
}
