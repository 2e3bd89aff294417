//! A trait's values over the leads, as binning and scoring read them: numbers (compact, coded
//! when they have few levels), category codes into their labels, and the binned population.

use polars::prelude::{InitHashMaps, PlHashMap};

use super::{Origin, SMALL_WHOLE};

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
pub(super) const MISSING_CODE: u32 = u32::MAX;

/// Values [`Numbers::encode`] looks at first.
pub(super) const ENCODE_PROBE: usize = 1 << 16;

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
    pub(super) fn coded(&self) -> Option<(&[f64], &[u32])> {
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

    /// [`Coded::of`] a text column, told apart by their views where it can
    /// ([`crate::columns::TextViews`]: within one array, equal views are equal text), so a
    /// value whose view was seen is coded without hashing its text. At most [`VIEWS_KEPT`]
    /// views are kept per array (a column of mostly distinct values gains nothing from them).
    pub fn of_text(text: &'a polars::prelude::StringChunked) -> Self {
        let mut index: PlHashMap<&'a str, u32> = PlHashMap::new();
        let mut by_view: PlHashMap<u128, u32> = PlHashMap::new();
        let mut coded = Coded {
            codes: Vec::with_capacity(text.len()),
            ..Coded::default()
        };
        for values in crate::columns::TextViews::of(text) {
            by_view.clear();
            for i in 0..values.len() {
                let Some(view) = values.view(i) else {
                    coded.codes.push(None);
                    continue;
                };
                let code = match by_view.get(&view) {
                    Some(&code) => code,
                    None => {
                        let code = coded.code_of(&mut index, values.value(i));
                        if by_view.len() < VIEWS_KEPT {
                            by_view.insert(view, code);
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
pub(super) const VIEWS_KEPT: usize = 1 << 12;

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
