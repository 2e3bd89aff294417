//! The fit: bins re-fitted on the training window, the design matrix
//! (WoE or indicator encoding) collapsed into distinct bin patterns with counts as weights, and a
//! weighted Newton/IRLS logistic regression with L2 ([`crate::fit::logit`]) on those patterns.
//!
//! Because every trait is binned, leads collapse into far fewer distinct bin patterns than rows;
//! the grouped likelihood (weight = leads, target = wins / leads) is exactly the row likelihood,
//! so the fit is exact and fast. When patterns do not collapse (more than 20% of rows distinct)
//! the fit runs on the rows themselves, with the same solver.
//!
//! Regularisation: a fixed L2 penalty (`[model] l2`, default 1.0) on the coefficients, not the
//! intercept: with WoE encoding a coefficient's natural value is about 1, so this is a mild
//! prior that keeps collinear traits finite (a cheap rule, not cross-validation).
//! With WoE encoding a negative coefficient means a trait's bins work against their own
//! evidence (collinearity with another trait): such traits are dropped one at a time, the most
//! negative first, and the model re-fitted, with a note each time.

use std::collections::BTreeMap;

use polars::prelude::{InitHashMaps, PlHashMap};

use serde::Serialize;

use rayon::prelude::*;

use crate::config::Encoding;
use crate::error::{Error, Result};
use crate::fit::logit::{self, LogitModel, LogitParams};
pub use crate::fit::split::{Split, SplitKind};
use crate::traits::binning::{
    self, BinningParams, BinningTable, Population, TraitBins, TraitInput, TraitValues,
};

/// What the fit needs.
#[derive(Debug, Clone)]
pub struct FitParams {
    pub encoding: Encoding,
    pub l2: f64,
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
/// `population` the binned leads (outcomes and rows); `usable` the names of traits not flagged.
pub fn fit(
    inputs: &[TraitInput],
    population: &Population,
    usable: &[String],
    train: &[usize],
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
    // Candidates by training IV, pinned traits always in.
    let pinned_traits: Vec<&str> = params
        .pins
        .keys()
        .filter_map(|k| k.split_once('=').map(|(t, _)| t))
        .collect();
    let mut order: Vec<usize> = (0..table.traits.len()).collect();
    order.sort_by(|&a, &b| {
        table.traits[b]
            .iv
            .total_cmp(&table.traits[a].iv)
            .then(table.traits[a].name.cmp(&table.traits[b].name))
    });
    // One window per activity count: `page_view_7d`, `_30d` and `_90d` say nearly the same
    // thing, so only the strongest of them competes for a place.
    let mut chosen: Vec<usize> = Vec::new();
    let mut families: Vec<String> = Vec::new();
    let mut windows_left_out = 0;
    for i in order {
        let t = &table.traits[i];
        let pinned = pinned_traits.contains(&t.name.as_str());
        let family = (t.origin == binning::Origin::Engagement)
            .then(|| window_family(&t.name))
            .flatten();
        if !pinned && family.as_ref().is_some_and(|f| families.contains(f)) {
            windows_left_out += 1;
            continue;
        }
        if pinned || (t.iv >= params.min_iv && chosen.len() < params.max_traits) {
            chosen.push(i);
            families.extend(family);
        }
    }
    let weak = table.traits.len() - chosen.len() - windows_left_out;
    if weak > 0 {
        notes.push(format!(
            "{weak} {} left out: information value under {} on the training window, or \
             beyond the {} strongest",
            if weak == 1 { "trait" } else { "traits" },
            params.min_iv,
            params.max_traits
        ));
    }
    if windows_left_out > 0 {
        notes.push(format!(
            "{windows_left_out} activity counts left out: another window of the same count is \
             stronger"
        ));
    }
    check_pins(&params.pins, &table)?;

    let rows = train_population.rows.clone().unwrap_or_default();
    let won = &train_population.won;
    // Each chosen trait's bins, assigned once; a trait dropped below leaves with its column.
    let mut assigned: Vec<Vec<u16>> = chosen
        .par_iter()
        .map(|&i| {
            // `bin_traits` keeps the order of the traits it is given.
            let input = candidates[i];
            debug_assert_eq!(input.name, table.traits[i].name);
            assign(&table.traits[i], &input.values, &rows)
        })
        .collect();
    observer.step("fit: bins assigned");
    // After a trait is dropped, the fit starts from the previous coefficients without it.
    let mut start: Option<Vec<f64>> = None;
    let mut reuse: Option<RowDesign> = None;
    loop {
        let traits: Vec<&TraitBins> = chosen.iter().map(|&i| &table.traits[i]).collect();
        let pins: Vec<Vec<Option<f64>>> = traits
            .iter()
            .map(|t| {
                t.bins
                    .iter()
                    .map(|b| params.pins.get(&format!("{}={}", t.name, b.label)).copied())
                    .collect()
            })
            .collect();
        let design = Design::new(params.encoding, &traits, &pins, params.factor);
        let (fitted, patterns, rows_kept) = fit_patterns(
            &design,
            &assigned,
            won,
            params.l2,
            start.as_deref(),
            reuse.take(),
        )?;
        let row_level = rows_kept.is_some();
        let coefficients = design.split_coefficients(&fitted.coefficients);
        // WoE encoding: drop the most negative coefficient's trait and refit.
        if params.encoding == Encoding::Woe {
            let worst = coefficients
                .iter()
                .enumerate()
                .filter(|(k, c)| c[0] < 0.0 && !pins[*k].iter().any(Option::is_some))
                .min_by(|a, b| a.1[0].total_cmp(&b.1[0]));
            if let Some((k, c)) = worst {
                notes.push(format!(
                    "{} dropped: its coefficient came out negative ({:.3}), it works against \
                     its own evidence next to the other traits",
                    traits[k].name, c[0]
                ));
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
                assigned.remove(k);
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
            .iter()
            .zip(coefficients)
            .zip(pins)
            .map(|((t, coefficients), pins)| ModelTrait {
                bins: (*t).clone(),
                coefficients,
                pins,
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
            notes,
        });
    }
}

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

/// How bins become columns of the design matrix.
struct Design {
    encoding: Encoding,
    /// Per trait: per bin, the column value(s): WoE encoding one column, indicator one per
    /// non-reference bin.
    columns: Vec<usize>,
    /// Per trait and bin: (column offset in the row, value) entries and the logit offset.
    cells: Vec<Vec<Cell>>,
    width: usize,
}

impl Design {
    fn new(
        encoding: Encoding,
        traits: &[&TraitBins],
        pins: &[Vec<Option<f64>>],
        factor: f64,
    ) -> Self {
        let mut width = 0;
        let mut columns = Vec::new();
        let mut cells = Vec::new();
        for (t, pins) in traits.iter().zip(pins) {
            let reference = t
                .bins
                .iter()
                .enumerate()
                .max_by_key(|(i, b)| (b.leads, std::cmp::Reverse(*i)))
                .map_or(0, |(i, _)| i);
            let start = width;
            let mut per_bin = Vec::new();
            match encoding {
                Encoding::Woe => {
                    width += 1;
                    for (b, bin) in t.bins.iter().enumerate() {
                        per_bin.push(match pins[b] {
                            Some(points) => (None, points / factor),
                            None => (Some((start, bin.woe)), 0.0),
                        });
                    }
                }
                Encoding::Indicator => {
                    let mut next = start;
                    for (b, _) in t.bins.iter().enumerate() {
                        per_bin.push(match pins[b] {
                            Some(points) => (None, points / factor),
                            None if b == reference => (None, 0.0),
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
fn packed_patterns(assigned: &[Vec<u16>], n: usize) -> Option<Vec<u128>> {
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
fn collapse(assigned: &[Vec<u16>], won: &[bool]) -> Option<Vec<Pattern>> {
    let n = won.len();
    let limit = ((COLLAPSE_LIMIT * n as f64) as usize).max(1);
    // A first look: when the first rows are already mostly distinct, so are all of them (the
    // distinct share only falls as rows are added).
    let probe = n.min(PROBE_ROWS);
    if probe == PROBE_ROWS {
        let mut seen: PlHashMap<Vec<u16>, ()> = PlHashMap::with_capacity(probe);
        for i in 0..probe {
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
    assigned: &[Vec<u16>],
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
    // Each row written whole (zeros, then its cells) by the parallel fill: no zeroing pass of
    // its own over the matrix first (at 10M rows a gigabyte, on one core).
    let mut x = ndarray::Array2::<f64>::uninit((rows, k));
    let Some(cells) = x.as_slice_mut() else {
        return Err(Error::Internal(
            "a new design matrix is not contiguous".into(),
        ));
    };
    if k > 0 {
        cells.par_chunks_mut(k).enumerate().for_each(|(r, xr)| {
            for cell in xr.iter_mut() {
                cell.write(0.0);
            }
            for (t, per_bin) in design.cells.iter().enumerate() {
                if let (Some((c, v)), _) = per_bin[bin(r, t)] {
                    xr[c].write(v);
                }
            }
        });
    }
    // SAFETY: the fill above wrote every cell of every row (`rows * k` cells, in rows of `k`;
    // none when `k` is 0).
    let x = unsafe { x.assume_init() };
    let (y, (w, offset)): (Vec<f64>, (Vec<f64>, Vec<f64>)) = (0..rows)
        .into_par_iter()
        .map(|r| {
            let off: f64 = (0..assigned.len())
                .map(|t| design.cells[t][bin(r, t)].1)
                .sum();
            let (leads, wins) = counts(r);
            (wins / leads, (leads, off))
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
