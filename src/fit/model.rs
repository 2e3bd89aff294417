//! The fit: bins re-fitted on the training window, the traits and the L2 penalty chosen by
//! time-ordered cross-validation ([`crate::fit::select`]), the design matrix (WoE or indicator
//! encoding) collapsed into distinct bin patterns with counts as weights, and a weighted
//! Newton/IRLS logistic regression with L2 ([`crate::fit::logit`]) on those patterns.
//!
//! Because every trait is binned, leads collapse into far fewer distinct bin patterns than rows;
//! the grouped likelihood (weight = leads, target = wins / leads) is exactly the row likelihood,
//! so the fit is exact and fast. When patterns do not collapse (more than half the rows
//! distinct) the fit runs on the rows themselves, with the same solver.
//!
//! WoE encoding uses each bin's WoE shrunk toward its trait's rate ([`stats::shrunk_woe`]): a
//! bin of a few leads gets small points. A negative coefficient under WoE encoding means a
//! trait's bins work against their own evidence next to the other traits; the same folds
//! decide whether the model is better without it (dropped, and refitted) or with it (kept),
//! and a note says which.

use std::collections::BTreeMap;

use polars::prelude::{InitHashMaps, PlHashMap};

use serde::Serialize;

use rayon::prelude::*;

use crate::config::Encoding;
use crate::error::{Error, Result};
use crate::fit::logit::{self, LogitModel, LogitParams};
use crate::fit::select::{self, Candidate, Folds};
pub use crate::fit::split::{Split, SplitKind};
use crate::stats;
use crate::traits::binning::{
    self, BinningParams, BinningTable, Population, TraitBins, TraitInput, TraitValues,
};

/// What the fit needs.
#[derive(Debug, Clone)]
pub struct FitParams {
    pub encoding: Encoding,
    /// The L2 penalty; `None`: chosen by cross-validation.
    pub l2: Option<f64>,
    /// Traits always in the model (`[model] include`), fitted like the others.
    pub include: Vec<String>,
    /// Cross-validation folds in creation order (`[model] selection_folds = "time"`) instead
    /// of shuffled.
    pub time_folds: bool,
    /// Traits under this information value on the training window are not candidates.
    pub min_iv: f64,
    pub max_traits: usize,
    pub binning: BinningParams,
    /// Analyst-fixed points: `"trait=bin label"` -> points.
    pub pins: BTreeMap<String, f64>,
    /// Points per unit of log-odds (`points_to_double_odds / ln 2`), to turn pins into offsets.
    pub factor: f64,
}

/// One trait in the model: its training bins and the coefficient(s).
#[derive(Debug, Clone, Serialize)]
pub struct ModelTrait {
    pub bins: TraitBins,
    /// WoE encoding: one coefficient; indicator encoding: one per bin (0 for the reference).
    pub coefficients: Vec<f64>,
    /// Pinned points per bin (None where the fit decides).
    pub pins: Vec<Option<f64>>,
}

impl ModelTrait {
    /// The trait's contribution to the log-odds for a lead in bin `b`.
    pub fn logit(&self, b: usize, encoding: Encoding, factor: f64) -> f64 {
        if let Some(points) = self.pins[b] {
            return points / factor;
        }
        match encoding {
            Encoding::Woe => self.coefficients[0] * self.bins.bins[b].woe,
            Encoding::Indicator => self.coefficients[b],
        }
    }
}

/// The fitted model.
#[derive(Debug, Clone, Serialize)]
pub struct FittedModel {
    pub encoding: Encoding,
    pub intercept: f64,
    pub traits: Vec<ModelTrait>,
    /// Training bins of every candidate trait (for PSI and reports).
    #[serde(skip)]
    pub train_table: BinningTable,
    pub patterns: usize,
    pub train_rows: usize,
    pub row_level: bool,
    pub iterations: usize,
    pub converged: bool,
    /// The L2 penalty the model was fitted with.
    pub l2: f64,
    /// What was decided about each candidate trait, and on what evidence.
    pub selection: Vec<select::Decision>,
    pub notes: Vec<String>,
}

/// Bin index per lead for one trait: the one assignment code, through [`TraitBins`].
pub fn assign(bins: &TraitBins, values: &TraitValues, rows: &[usize]) -> Vec<u16> {
    match values {
        TraitValues::Numeric(v) => bins.numeric_bins(v, rows),
        TraitValues::Categorical { codes, labels } => {
            let by_code: Vec<u16> = labels
                .iter()
                .map(|l| bins.category_bin(Some(l)) as u16)
                .collect();
            let missing = bins.category_bin(None) as u16;
            rows.iter()
                .map(|&r| codes[r].map_or(missing, |c| by_code[c as usize]))
                .collect()
        }
    }
}

/// Fits the model on the training leads. `inputs` hold every trait's values over all leads;
/// `population` the binned leads (outcomes and rows); `usable` the names of traits not flagged;
/// `created` each population lead's creation time (for the time-ordered folds).
pub fn fit(
    inputs: &[TraitInput],
    population: &Population,
    usable: &[String],
    train: &[usize],
    created: &[Option<i64>],
    params: &FitParams,
    observer: &dyn crate::observe::Observer,
) -> Result<FittedModel> {
    let mut notes = Vec::new();
    let train_population = Population {
        won: train.iter().map(|&i| population.won[i]).collect(),
        best: train.iter().map(|&i| population.best[i]).collect(),
        rows: Some(train.iter().map(|&i| population.row(i)).collect()),
    };
    // The usable traits' values, borrowed (a copy of every lead's values would cost as much
    // as the fit).
    let candidates: Vec<&TraitInput> = inputs.iter().filter(|t| usable.contains(&t.name)).collect();
    let table = binning::bin_traits(&candidates, &train_population, &params.binning);
    observer.step("fit: training window binned");
    if table.wins == 0 || table.wins == table.leads {
        return Err(Error::input(
            "leads",
            format!(
                "the training window has {} wins among {} leads: a model needs both wins and \
                 losses",
                table.wins, table.leads
            ),
        ));
    }
    check_pins(&params.pins, &table)?;
    let pinned_traits: Vec<&str> = params
        .pins
        .keys()
        .filter_map(|k| k.split_once('=').map(|(t, _)| t))
        .collect();
    if let Some(name) = params
        .include
        .iter()
        .find(|n| !table.traits.iter().any(|t| &t.name == *n))
    {
        let names: Vec<&str> = table.traits.iter().map(|t| t.name.as_str()).collect();
        return Err(Error::config(
            "[model] include",
            format!(
                "{name:?} is not a trait the model may use (flagged, excluded or unknown); the \
                 usable traits: {}",
                names.join(", ")
            ),
        ));
    }
    let always_in: Vec<&str> = pinned_traits
        .into_iter()
        .chain(params.include.iter().map(String::as_str))
        .collect();
    // Candidates by training IV; pinned and included traits always in.
    let mut order: Vec<usize> = (0..table.traits.len()).collect();
    order.sort_by(|&a, &b| {
        table.traits[b]
            .iv
            .total_cmp(&table.traits[a].iv)
            .then(table.traits[a].name.cmp(&table.traits[b].name))
    });
    let weak = order
        .iter()
        .filter(|&&i| {
            table.traits[i].iv < params.min_iv
                && !always_in.contains(&table.traits[i].name.as_str())
        })
        .count();
    if weak > 0 {
        notes.push(format!(
            "{weak} {} not tried: information value under [model] min_iv = {} on the \
                 training window",
            if weak == 1 { "trait" } else { "traits" },
            params.min_iv
        ));
    }
    order.retain(|&i| {
        table.traits[i].iv >= params.min_iv || always_in.contains(&table.traits[i].name.as_str())
    });

    let rows = train_population.rows.clone().unwrap_or_default();
    let won = &train_population.won;
    let train_created: Vec<Option<i64>> = train.iter().map(|&i| created[i]).collect();
    let folds = Folds::new(&train_created, params.time_folds);
    // Each candidate's bins for the leads the folds look at; every training lead's bins only
    // for the traits chosen (at 10M leads a column of bins is a pass over millions of values).
    let sample_rows = folds.sample(&rows);
    let sampled: Vec<Vec<u16>> = order
        .par_iter()
        .map(|&i| {
            // `bin_traits` keeps the order of the traits it is given.
            let input = candidates[i];
            debug_assert_eq!(input.name, table.traits[i].name);
            assign(&table.traits[i], &input.values, &sample_rows)
        })
        .collect();
    observer.step("fit: bins assigned");
    let pin_points = |t: &TraitBins| -> Vec<Option<f64>> {
        t.bins
            .iter()
            .map(|b| params.pins.get(&format!("{}={}", t.name, b.label)).copied())
            .collect()
    };
    let offsets = |t: &TraitBins| -> Vec<Option<f64>> {
        pin_points(t)
            .into_iter()
            .map(|p| p.map(|p| p / params.factor))
            .collect()
    };
    let considered: Vec<Candidate> = order
        .iter()
        .zip(&sampled)
        .map(|(&i, assigned)| {
            let t = &table.traits[i];
            Candidate {
                name: &t.name,
                assigned,
                bins: t.bins.len(),
                reference: reference_bin(t.bins.iter().map(|b| b.leads)),
                offsets: offsets(t),
                forced: always_in.contains(&t.name.as_str()),
            }
        })
        .collect();
    let cross_validated = select::feasible(&folds, won);
    let (mut chosen, l2, mut decisions) = if cross_validated {
        let selection = select::select(
            &considered,
            won,
            &folds,
            params.encoding,
            params.l2,
            params.max_traits,
        )?;
        notes.extend(selection.notes);
        (selection.chosen, selection.l2, selection.decisions)
    } else {
        let floor = params.min_iv.max(FALLBACK_MIN_IV);
        let kept: Vec<usize> = (0..considered.len())
            .filter(|&c| considered[c].forced || table.traits[order[c]].iv >= floor)
            .take(params.max_traits)
            .collect();
        notes.push(format!(
            "too few wins or losses to choose traits by cross-validation: {} traits with \
             information value of at least {floor} kept, L2 penalty {}",
            kept.len(),
            params.l2.unwrap_or(select::SELECTION_L2)
        ));
        let decisions = (0..considered.len())
            .map(|c| {
                let decision = if kept.contains(&c) {
                    "kept"
                } else {
                    "left out: information value under the floor (no cross-validation)"
                };
                select::Decision::new(considered[c].name, decision)
            })
            .collect();
        (kept, params.l2.unwrap_or(select::SELECTION_L2), decisions)
    };
    observer.step("fit: traits chosen");
    let mut full: Vec<Vec<u16>> = chosen
        .par_iter()
        .map(|&c| assign(&table.traits[order[c]], &candidates[order[c]].values, &rows))
        .collect();
    observer.step("fit: chosen traits binned for every lead");
    let mut kept_negative: Vec<usize> = Vec::new();
    // After a trait is dropped, the fit starts from the previous coefficients without it.
    let mut start: Option<Vec<f64>> = None;
    let mut reuse: Option<RowDesign> = None;
    loop {
        let traits: Vec<TraitBins> = chosen
            .iter()
            .map(|&c| {
                let mut t = table.traits[order[c]].clone();
                let wins: Vec<f64> = t.bins.iter().map(|b| b.wins as f64).collect();
                let leads: Vec<f64> = t.bins.iter().map(|b| b.leads as f64).collect();
                for (bin, woe) in t.bins.iter_mut().zip(stats::shrunk_woe(&wins, &leads)) {
                    bin.woe = woe;
                }
                t
            })
            .collect();
        let woe: Vec<Vec<f64>> = traits
            .iter()
            .map(|t| t.bins.iter().map(|b| b.woe).collect())
            .collect();
        let design = Design::new(
            params.encoding,
            &chosen
                .iter()
                .zip(&woe)
                .map(|(&c, woe)| TraitDesign {
                    woe,
                    reference: considered[c].reference,
                    offsets: &considered[c].offsets,
                })
                .collect::<Vec<_>>(),
        );
        let columns: Vec<&[u16]> = full.iter().map(Vec::as_slice).collect();
        let (fitted, patterns, rows_kept) =
            fit_patterns(&design, &columns, won, l2, start.as_deref(), reuse.take())?;
        let row_level = rows_kept.is_some();
        let coefficients = design.split_coefficients(&fitted.coefficients);
        // WoE encoding: the most negative coefficient's trait, decided by the folds.
        if params.encoding == Encoding::Woe {
            let worst = coefficients
                .iter()
                .enumerate()
                .filter(|(k, c)| {
                    c[0] < 0.0
                        && !considered[chosen[*k]].forced
                        && !kept_negative.contains(&chosen[*k])
                })
                .min_by(|a, b| a.1[0].total_cmp(&b.1[0]));
            if let Some((k, c)) = worst {
                let name = &traits[k].name;
                let drop = if cross_validated {
                    let (with, without, worth) = select::worth_keeping(
                        &considered,
                        won,
                        &folds,
                        params.encoding,
                        &chosen,
                        chosen[k],
                        l2,
                    )?;
                    notes.push(if worth {
                        format!(
                            "{name} kept with a negative coefficient ({:.3}): next to the other \
                             traits its bins count against their own evidence, and the held-out \
                             log loss is lower with it by more than a standard error \
                             ({with:.5} against {without:.5} per lead)",
                            c[0]
                        )
                    } else {
                        format!(
                            "{name} dropped and the model refitted: its coefficient came out \
                             negative ({:.3}, it works against its own evidence next to the \
                             other traits) and the held-out log loss is not lower with it by \
                             more than a standard error ({with:.5} with, {without:.5} without, \
                             per lead)",
                            c[0]
                        )
                    });
                    let entry = decisions.iter_mut().find(|d| &d.name == name);
                    if let Some(d) = entry {
                        d.decision = if worth {
                            "kept: negative coefficient".into()
                        } else {
                            "dropped: negative coefficient".into()
                        };
                    }
                    !worth
                } else {
                    notes.push(format!(
                        "{name} dropped: its coefficient came out negative ({:.3}), it works \
                         against its own evidence next to the other traits",
                        c[0]
                    ));
                    true
                };
                if drop {
                    // WoE encoding has one column per trait, in trait order.
                    let mut previous = vec![fitted.intercept];
                    previous.extend(
                        fitted
                            .coefficients
                            .iter()
                            .enumerate()
                            .filter(|&(j, _)| j != design.columns[k])
                            .map(|(_, c)| *c),
                    );
                    start = Some(previous);
                    reuse = rows_kept.map(|r| r.without_column(design.columns[k]));
                    chosen.remove(k);
                    full.remove(k);
                    continue;
                }
                kept_negative.push(chosen[k]);
                start = Some(
                    std::iter::once(fitted.intercept)
                        .chain(fitted.coefficients.iter().copied())
                        .collect(),
                );
                reuse = rows_kept;
                continue;
            }
        }
        if !fitted.converged {
            notes.push(format!(
                "the fit stopped after {} iterations without converging",
                fitted.iterations
            ));
        }
        let model_traits = traits
            .into_iter()
            .zip(coefficients)
            .zip(&chosen)
            .map(|((bins, coefficients), _)| ModelTrait {
                pins: pin_points(&bins),
                bins,
                coefficients,
            })
            .collect();
        return Ok(FittedModel {
            encoding: params.encoding,
            intercept: fitted.intercept,
            traits: model_traits,
            train_table: table.clone(),
            patterns,
            train_rows: rows.len(),
            row_level,
            iterations: fitted.iterations,
            converged: fitted.converged,
            l2,
            selection: decisions,
            notes,
        });
    }
}

/// Without enough wins and losses for cross-validation, traits under this information value
/// stay out (a common rule of thumb, Siddiqi 2006: under 0.02 is "not predictive").
const FALLBACK_MIN_IV: f64 = 0.02;

/// `page_view_30d` -> `page_view`: the count a windowed activity trait belongs to.
pub(crate) fn window_family(name: &str) -> Option<String> {
    let (family, window) = name.rsplit_once('_')?;
    let days = window.strip_suffix('d')?;
    (!days.is_empty() && days.bytes().all(|b| b.is_ascii_digit())).then(|| family.to_string())
}

/// Every pin names an existing trait bin.
fn check_pins(pins: &BTreeMap<String, f64>, table: &BinningTable) -> Result<()> {
    for key in pins.keys() {
        let Some((name, label)) = key.split_once('=') else {
            return Err(Error::config(
                "[model] pin",
                format!("{key:?}: write pins as \"trait=bin\", e.g. \"industry=Software\""),
            ));
        };
        let Some(t) = table.traits.iter().find(|t| t.name == name) else {
            return Err(Error::config(
                "[model] pin",
                format!("{key:?}: no usable trait {name:?}"),
            ));
        };
        if !t.bins.iter().any(|b| b.label == label) {
            let labels: Vec<&str> = t.bins.iter().map(|b| b.label.as_str()).collect();
            return Err(Error::config(
                "[model] pin",
                format!(
                    "{key:?}: {name} has no bin {label:?}; its bins: {}",
                    labels.join(", ")
                ),
            ));
        }
    }
    Ok(())
}

/// Where a bin puts a value in a design row (`(column, value)`, none for a reference or pinned
/// bin) and what it adds to the offset (a pinned bin's log-odds).
type Cell = (Option<(usize, f64)>, f64);

/// One trait's part of a design: its bins' WoE (the values of its one column under WoE
/// encoding), its reference bin (no column under indicator encoding) and its pinned bins'
/// log-odds.
pub(crate) struct TraitDesign<'a> {
    pub woe: &'a [f64],
    pub reference: usize,
    pub offsets: &'a [Option<f64>],
}

/// The reference bin of indicator encoding: the bin with the most leads (the first of equals).
pub(crate) fn reference_bin(leads: impl IntoIterator<Item = u64>) -> usize {
    leads
        .into_iter()
        .enumerate()
        .max_by_key(|&(i, n)| (n, std::cmp::Reverse(i)))
        .map_or(0, |(i, _)| i)
}

/// How bins become columns of the design matrix.
#[derive(Clone)]
pub(crate) struct Design {
    encoding: Encoding,
    /// Per trait: its first column.
    pub columns: Vec<usize>,
    /// Per trait and bin: (column offset in the row, value) entries and the logit offset.
    cells: Vec<Vec<Cell>>,
    pub width: usize,
}

impl Design {
    pub fn new(encoding: Encoding, traits: &[TraitDesign]) -> Self {
        let mut width = 0;
        let mut columns = Vec::new();
        let mut cells = Vec::new();
        for t in traits {
            let start = width;
            let mut per_bin = Vec::new();
            match encoding {
                Encoding::Woe => {
                    width += 1;
                    for (woe, pin) in t.woe.iter().zip(t.offsets) {
                        per_bin.push(match pin {
                            Some(logit) => (None, *logit),
                            None => (Some((start, *woe)), 0.0),
                        });
                    }
                }
                Encoding::Indicator => {
                    let mut next = start;
                    for (b, pin) in t.offsets.iter().enumerate() {
                        per_bin.push(match pin {
                            Some(logit) => (None, *logit),
                            None if b == t.reference => (None, 0.0),
                            None => {
                                next += 1;
                                (Some((next - 1, 1.0)), 0.0)
                            }
                        });
                    }
                    width = next;
                }
            }
            columns.push(start);
            cells.push(per_bin);
        }
        Design {
            encoding,
            columns,
            cells,
            width,
        }
    }

    /// Writes a design row (every one of its `width` cells) for the bins `bin(t)` of each
    /// trait `t`, and returns the row's offset (the pinned bins' log-odds).
    pub fn fill(&self, bin: impl Fn(usize) -> usize, row: &mut [f64]) -> f64 {
        row.fill(0.0);
        let mut offset = 0.0;
        for (t, per_bin) in self.cells.iter().enumerate() {
            let (cell, off) = per_bin[bin(t)];
            if let Some((c, v)) = cell {
                row[c] = v;
            }
            offset += off;
        }
        offset
    }

    /// The fitted coefficients per trait (WoE: one; indicator: one per bin, 0 when pinned or
    /// the reference).
    fn split_coefficients(&self, beta: &[f64]) -> Vec<Vec<f64>> {
        self.cells
            .iter()
            .enumerate()
            .map(|(t, per_bin)| match self.encoding {
                Encoding::Woe => vec![beta[self.columns[t]]],
                Encoding::Indicator => per_bin
                    .iter()
                    .map(|(cell, _)| cell.map_or(0.0, |(c, _)| beta[c]))
                    .collect(),
            })
            .collect()
    }
}

/// Share of the rows above which distinct bin patterns are not worth collapsing into: the fit
/// then runs on the rows themselves (a pattern costs the fit what a row does, and collapsing
/// costs a pass of its own).
const COLLAPSE_LIMIT: f64 = 0.5;
/// Rows looked at first to decide quickly that patterns will not collapse.
const PROBE_ROWS: usize = 20_000;

/// Each row's bins packed into one integer, trait 0 in the highest bits, so that integer order
/// is the order of the bin tuples. `None` when the bins need more than 128 bits.
fn packed_patterns(assigned: &[&[u16]], n: usize) -> Option<Vec<u128>> {
    let widths: Vec<u32> = assigned
        .iter()
        .map(|a| {
            let max = a.iter().copied().max().unwrap_or(0);
            (u16::BITS - max.leading_zeros()).max(1)
        })
        .collect();
    if widths.iter().sum::<u32>() > 128 {
        return None;
    }
    let mut keys = vec![0u128; n];
    for (a, &w) in assigned.iter().zip(&widths) {
        keys.par_iter_mut().zip(a.par_iter()).for_each(|(k, &b)| {
            *k = (*k << w) | u128::from(b);
        });
    }
    Some(keys)
}

/// A distinct bin pattern (each trait's bin) with its (leads, wins).
type Pattern = (Vec<u16>, (f64, f64));

/// The distinct bin patterns of the rows (in bin-tuple order) with their (leads, wins), or
/// `None` when more than [`COLLAPSE_LIMIT`] of the rows are distinct.
fn collapse(assigned: &[&[u16]], won: &[bool]) -> Option<Vec<Pattern>> {
    let n = won.len();
    let limit = ((COLLAPSE_LIMIT * n as f64) as usize).max(1);
    // A first look at rows spread evenly over all of them (the first rows are the oldest
    // leads, often with fewer activities and so fewer patterns): when they are mostly
    // distinct, the rows are fitted as they are. A look that passes wrongly costs a hash pass
    // that stops at the limit; one that fails wrongly costs a fit on rows that would have
    // collapsed to at least half as many.
    let probe = n.min(PROBE_ROWS);
    if probe == PROBE_ROWS {
        let stride = n / probe;
        let mut seen: PlHashMap<Vec<u16>, ()> = PlHashMap::with_capacity(probe);
        for i in (0..probe).map(|k| k * stride) {
            seen.insert(assigned.iter().map(|a| a[i]).collect(), ());
        }
        if seen.len() as f64 > COLLAPSE_LIMIT * probe as f64 {
            return None;
        }
    }
    let pattern = |i: usize| -> Vec<u16> { assigned.iter().map(|a| a[i]).collect() };
    let mut firsts: Vec<(usize, (f64, f64))> = Vec::new();
    match packed_patterns(assigned, n) {
        Some(keys) => {
            let mut seen: PlHashMap<u128, usize> = PlHashMap::with_capacity(limit.min(n) + 1);
            for (i, &key) in keys.iter().enumerate() {
                let slot = *seen.entry(key).or_insert_with(|| {
                    firsts.push((i, (0.0, 0.0)));
                    firsts.len() - 1
                });
                let e = &mut firsts[slot].1;
                e.0 += 1.0;
                e.1 += f64::from(u8::from(won[i]));
                if firsts.len() > limit && i + 1 < n {
                    return None;
                }
            }
            firsts.sort_by_key(|&(i, _)| keys[i]);
        }
        None => {
            let mut seen: PlHashMap<Vec<u16>, usize> = PlHashMap::new();
            for (i, &won) in won.iter().enumerate() {
                let slot = *seen.entry(pattern(i)).or_insert_with(|| {
                    firsts.push((i, (0.0, 0.0)));
                    firsts.len() - 1
                });
                let e = &mut firsts[slot].1;
                e.0 += 1.0;
                e.1 += f64::from(u8::from(won));
                if firsts.len() > limit && i + 1 < n {
                    return None;
                }
            }
            firsts.sort_by_cached_key(|&(i, _)| pattern(i));
        }
    }
    Some(
        firsts
            .into_iter()
            .map(|(i, counts)| (pattern(i), counts))
            .collect(),
    )
}

/// Collapses rows into bin patterns and fits (from `start`, the intercept and slopes of a
/// nearby fit, when given); falls back to rows when patterns do not collapse.
fn fit_patterns(
    design: &Design,
    assigned: &[&[u16]],
    won: &[bool],
    l2: f64,
    start: Option<&[f64]>,
    reuse: Option<RowDesign>,
) -> Result<(LogitModel, usize, Option<RowDesign>)> {
    let n = won.len();
    // A refit whose rows did not collapse with one trait more fits the kept row-level design
    // without that trait's column: dropping one of many traits seldom collapses the rows,
    // and looking costs a pass over them (the optimum is the same either way).
    if let Some(rows) = reuse.filter(|r| r.x.dim() == (n, design.width)) {
        let model = fit_design(&rows, l2, start)?;
        return Ok((model, n, Some(rows)));
    }
    let keys = collapse(assigned, won);
    let row_level = keys.is_none();
    let rows = keys.as_ref().map_or(n, Vec::len);
    // Bin of trait `t` in design row `r`, and the row's (leads, wins).
    let bin = |r: usize, t: usize| -> usize {
        match &keys {
            None => assigned[t][r] as usize,
            Some(keys) => keys[r].0[t] as usize,
        }
    };
    let counts = |r: usize| -> (f64, f64) {
        match &keys {
            None => (1.0, f64::from(u8::from(won[r]))),
            Some(keys) => keys[r].1,
        }
    };
    let k = design.width;
    let mut x = ndarray::Array2::<f64>::zeros((rows, k));
    let mut offset = vec![0.0; rows];
    if let Some(cells) = x.as_slice_mut() {
        if k > 0 {
            cells
                .par_chunks_mut(k)
                .zip(offset.par_iter_mut())
                .enumerate()
                .for_each(|(r, (xr, off))| *off = design.fill(|t| bin(r, t), xr));
        } else {
            offset
                .par_iter_mut()
                .enumerate()
                .for_each(|(r, off)| *off = design.fill(|t| bin(r, t), &mut []));
        }
    }
    let (y, w): (Vec<f64>, Vec<f64>) = (0..rows)
        .into_par_iter()
        .map(|r| {
            let (leads, wins) = counts(r);
            (wins / leads, leads)
        })
        .unzip();
    let built = RowDesign { x, y, w, offset };
    let model = fit_design(&built, l2, start)?;
    Ok((model, rows, row_level.then_some(built)))
}

/// A design matrix with its targets, weights and offsets: kept after a fit on the rows so that
/// the refit without a trait only drops its column.
struct RowDesign {
    x: ndarray::Array2<f64>,
    y: Vec<f64>,
    w: Vec<f64>,
    offset: Vec<f64>,
}

impl RowDesign {
    /// The design without column `c` (a trait without pinned bins, so the offsets stay). The
    /// rows are moved left within the same buffer (each row's new place starts at or before
    /// its old one), so no second matrix is allocated.
    fn without_column(self, c: usize) -> RowDesign {
        let (n, k) = self.x.dim();
        let x = if self.x.is_standard_layout() {
            self.x
        } else {
            self.x.as_standard_layout().into_owned()
        };
        let (mut data, offset) = x.into_raw_vec_and_offset();
        data.drain(..offset.unwrap_or(0).min(data.len()));
        if k > 0 {
            drop_column_in_place(&mut data, n, k, c);
            data.truncate(n * (k - 1));
        }
        RowDesign {
            x: ndarray::Array2::from_shape_vec((n, k.saturating_sub(1)), data)
                .unwrap_or_else(|_| ndarray::Array2::zeros((n, k.saturating_sub(1)))),
            y: self.y,
            w: self.w,
            offset: self.offset,
        }
    }
}

/// Row-major `n x k` values in `data` without column `c`: row `r`'s other values moved to
/// `r (k - 1)`, so that the first `n (k - 1)` values are the narrower matrix. No row's new
/// place starts after its old one.
///
/// The rows go in blocks `a..b`, one block after the other. A block whose new places all end
/// where its first row's old values start (`b (k - 1) <= a k`) has no row writing where
/// another row of it, or a later row, is still to be read: the slice is split there, and its
/// rows move in parallel from one side to the other. Blocks are as long as that allows, about
/// `a / (k - 1)` rows; other rows move one after the other, in order (a row may overlap
/// itself: `copy_within` moves it as `memmove` does).
fn drop_column_in_place(data: &mut [f64], n: usize, k: usize, c: usize) {
    use rayon::prelude::*;
    if k <= 1 || c >= k || data.len() < n * k {
        return;
    }
    const PARALLEL_ROWS: usize = 8192;
    let mut a = 0;
    while a < n {
        let b = (a * k / (k - 1)).max(a + 1).min(n);
        if b - a >= PARALLEL_ROWS && b * (k - 1) <= a * k {
            let (new, old) = data.split_at_mut(a * k);
            new[a * (k - 1)..b * (k - 1)]
                .par_chunks_mut(k - 1)
                .zip(old[..(b - a) * k].par_chunks(k))
                .with_min_len(1024)
                .for_each(|(new, old)| {
                    new[..c].copy_from_slice(&old[..c]);
                    new[c..].copy_from_slice(&old[c + 1..]);
                });
        } else {
            for r in a..b {
                data.copy_within(r * k..r * k + c, r * (k - 1));
                data.copy_within(r * k + c + 1..(r + 1) * k, r * (k - 1) + c);
            }
        }
        a = b;
    }
}

/// Rows above which a fit without a given start first fits an evenly spaced subsample of
/// about [`WARM_START_SAMPLE`] rows, and starts Newton's method on all rows from there.
const WARM_START_ROWS: usize = 200_000;
/// Rows of the warm-start subsample.
const WARM_START_SAMPLE: usize = 50_000;

/// A starting point for a large fit: the fit of every `s`-th row with its weight times `s`
/// (so that the likelihood keeps its scale against the L2 penalty). Its coefficients are
/// within sampling error of the full fit's, where Newton's method converges quadratically, so
/// the fit on all rows needs about half the passes it needs from the intercept. It changes
/// where the fit starts, not where it ends: both stop at the same tolerance. `None` when the
/// subsample's fit fails (the full fit then starts cold).
fn subsample_start(d: &RowDesign, l2: f64) -> Option<Vec<f64>> {
    let (n, k) = d.x.dim();
    let stride = n / WARM_START_SAMPLE;
    if n <= WARM_START_ROWS || stride < 2 {
        return None;
    }
    let rows: Vec<usize> = (0..n).step_by(stride).collect();
    let x = d.x.select(ndarray::Axis(0), &rows);
    let sample = RowDesign {
        x,
        y: rows.iter().map(|&r| d.y[r]).collect(),
        w: rows.iter().map(|&r| d.w[r] * stride as f64).collect(),
        offset: rows.iter().map(|&r| d.offset[r]).collect(),
    };
    debug_assert_eq!(sample.x.dim(), (rows.len(), k));
    let fitted = fit_design_from(&sample, l2, None).ok()?;
    let mut start = vec![fitted.intercept];
    start.extend(&fitted.coefficients);
    start.iter().all(|b| b.is_finite()).then_some(start)
}

/// The weighted, penalised logistic fit of a design: from `start` when given, else (for a
/// large design) from a subsample's fit ([`subsample_start`]).
fn fit_design(d: &RowDesign, l2: f64, start: Option<&[f64]>) -> Result<LogitModel> {
    match start {
        Some(start) => fit_design_from(d, l2, Some(start)),
        None => {
            let warm = subsample_start(d, l2);
            fit_design_from(d, l2, warm.as_deref())
        }
    }
}

/// The weighted, penalised logistic fit of a design (from `start` when given).
fn fit_design_from(d: &RowDesign, l2: f64, start: Option<&[f64]>) -> Result<LogitModel> {
    let params = LogitParams {
        l2,
        ..LogitParams::default()
    }
    .check()
    .map_err(|e| Error::Internal(format!("logit parameters: {e}")))?;
    let has_offset = d.offset.iter().any(|o| *o != 0.0);
    logit::fit_from(
        d.x.view(),
        &d.y,
        &d.w,
        has_offset.then_some(&d.offset[..]),
        &params,
        start,
    )
    .map_err(|e| Error::Internal(format!("logistic fit: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A large fit started from the subsample's fit reaches the cold fit's optimum in fewer
    /// passes over the rows.
    #[test]
    fn the_subsample_start_reaches_the_same_optimum_sooner() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let n = WARM_START_ROWS + 50_000;
        let k = 3;
        let truth = [-1.5, 0.8, -0.6, 0.3];
        let mut x = ndarray::Array2::<f64>::zeros((n, k));
        let mut y = Vec::with_capacity(n);
        for r in 0..n {
            let mut eta = truth[0];
            for j in 0..k {
                // Binned-looking features: a few WoE-like levels each.
                let v = f64::from(rng.random_range(0..5u8)) * 0.5 - 1.0;
                x[[r, j]] = v;
                eta += truth[j + 1] * v;
            }
            let p = 1.0 / (1.0 + (-eta).exp());
            y.push(f64::from(u8::from(rng.random::<f64>() < p)));
        }
        let d = RowDesign {
            x,
            y,
            w: vec![1.0; n],
            offset: vec![0.0; n],
        };
        assert!(subsample_start(&d, 1.0).is_some());
        let warm = fit_design(&d, 1.0, None).unwrap();
        let cold = fit_design_from(&d, 1.0, None).unwrap();
        assert!(warm.converged && cold.converged);
        assert!(
            warm.iterations < cold.iterations,
            "warm {} cold {}",
            warm.iterations,
            cold.iterations
        );
        assert!((warm.intercept - cold.intercept).abs() < 1e-8);
        for (a, b) in warm.coefficients.iter().zip(&cold.coefficients) {
            assert!((a - b).abs() < 1e-8, "{a} vs {b}");
        }
        // And it recovers the planted effects.
        for (c, t) in cold.coefficients.iter().zip(&truth[1..]) {
            assert!((c - t).abs() < 0.05, "{c} vs {t}");
        }
    }

    #[test]
    fn columns_dropped_in_parallel_blocks_equal_a_row_by_row_move() {
        for (n, k) in [
            (0, 3),
            (1, 2),
            (5, 2),
            (300_000, 2),
            (250_000, 3),
            (120_000, 24),
        ] {
            for c in [0, k / 2, k - 1] {
                let mut data: Vec<f64> = (0..n * k).map(|v| v as f64).collect();
                let expected: Vec<f64> = (0..n)
                    .flat_map(|r| {
                        (0..k)
                            .filter(move |&j| j != c)
                            .map(move |j| (r * k + j) as f64)
                    })
                    .collect();
                drop_column_in_place(&mut data, n, k, c);
                assert!(data[..n * (k - 1)] == expected[..], "n {n} k {k} c {c}");
            }
        }
    }

    #[test]
    fn a_column_is_dropped_in_place() {
        let x = ndarray::Array2::from_shape_fn((4, 3), |(r, c)| (10 * r + c) as f64);
        let design = RowDesign {
            x,
            y: vec![0.0, 1.0, 0.0, 1.0],
            w: vec![1.0; 4],
            offset: vec![0.5; 4],
        };
        for (c, kept) in [(0, [1, 2]), (1, [0, 2]), (2, [0, 1])] {
            let d = RowDesign {
                x: design.x.clone(),
                y: design.y.clone(),
                w: design.w.clone(),
                offset: design.offset.clone(),
            }
            .without_column(c);
            assert_eq!(d.x.dim(), (4, 2));
            for r in 0..4 {
                for (j, &old) in kept.iter().enumerate() {
                    assert_eq!(d.x[[r, j]], (10 * r + old) as f64, "column {c}, row {r}");
                }
            }
            assert_eq!(d.y, design.y);
            assert_eq!(d.offset, design.offset);
        }
        // A design with one column keeps its rows and no columns.
        let one = RowDesign {
            x: ndarray::Array2::from_elem((3, 1), 2.0),
            y: vec![0.0; 3],
            w: vec![1.0; 3],
            offset: vec![0.0; 3],
        }
        .without_column(0);
        assert_eq!(one.x.dim(), (3, 0));
    }
}
