//! Which traits the model takes, and how strongly it is penalised, decided by cross-validation
//! on the training window instead of fixed cut-offs.
//!
//! **Folds** (`[model] selection_folds`). By default the training leads are shuffled (seeded)
//! into [`BLOCKS`] blocks and each block is held out once (K-fold): a trait must help on leads
//! it was not fitted on, from the same period. With `"time"` the blocks are cut in creation
//! order and each of the last three is scored by a fit on every block before it (forward
//! chaining, as scikit-learn's `TimeSeriesSplit`; Bergmeir & Benítez 2012): a trait must also
//! help on newer leads than those it was fitted on. Shuffled folds are the default because the
//! time-ordered ones punish a trait whose values first appear late in the window (a campaign
//! month, a previous-campaign outcome that only exists once earlier campaigns ran): on the bank
//! telemarketing history they left out month, contact and poutcome and the test AUC fell from
//! 0.745 to 0.644 (`benches/accuracy/README.md`). Leads are scored independently of each
//! other, so the shuffled folds are valid for them (Bergmeir, Hyndman & Koo 2018); drift is
//! the time-ordered validation's to show, and [`crate::evaluate::doubts`] says so. At most
//! [`MAX_CV_LEADS`] leads, evenly spaced in the fold order, take part.
//!
//! **Drift in the base rate.** Each fold's held-out loss is measured after the fold's
//! intercept is refitted to its held-out block ([`base_rate_shift`]), so that a base rate that
//! moves between blocks does not decide which traits the model takes.
//!
//! **What a fold refits.** The bins stay the training window's; each fold recomputes every
//! trait's WoE from its own training blocks ([`stats::shrunk_woe`], shrunk toward the trait's
//! rate) and fits the logistic regression on its training blocks' bin patterns. The score is
//! the held-out log loss, summed over the held-out leads of all folds.
//!
//! **Forward selection** in order of information value: a trait enters when it lowers the
//! held-out log loss by more than one standard error of the paired per-lead differences (the
//! one-standard-error rule of Breiman et al. 1984, ESL sec. 7.10, applied to each step: a
//! difference the held-out leads cannot tell from chance does not buy a trait). A trait left
//! out is named with the trait in the model it overlaps most (Cramér's V of their bins), so
//! two traits that say the same thing (employees and an employee band, a source and its
//! campaigns) are seen to be one. A **backward pass** then drops any trait whose removal does
//! not raise the held-out log loss (a later trait may say all it said).
//!
//! **One Newton step first.** Refitting every fold for every candidate is what the selection
//! costs, so each candidate is first added by one Newton step of each fold's fit from its
//! current coefficients (the Hessian bordered by the candidate's columns: the step of Rao's
//! score test, first-order efficient from a consistent start, Lehmann & Casella 1998,
//! sec. 6.4). A candidate whose step does not lower the held-out loss by half a standard error
//! is left out without a refit (`evaluation.json` marks its figures `one_step`); the others are
//! refitted from the step's coefficients and decided by the refit. The backward pass likewise
//! keeps, without a refit, a trait whose removal by one constrained step raises the held-out
//! loss by more than half a standard error. On the real histories of `benches/accuracy/` the
//! step's change is within a few tenths of a standard error of the refit's (removals within a
//! few percent), so the margin leaves every decision as the refits alone made it there; the
//! 1M-lead generated history gives a byte-identical scoring config.
//!
//! **The L2 penalty** is chosen from [`L2_GRID`] by the same folds (the smallest held-out log
//! loss; the stronger penalty of equals) unless `[model] l2` sets it: every grid value by one
//! Newton step from the selection's fit, then the [`L2_REFITS`] best of them refitted and
//! decided by their refits (on `benches/accuracy/` the steps rank the grid as refits do).

use hashbrown::HashMap;
use rayon::prelude::*;
use serde::Serialize;

use crate::config::Encoding;
use crate::error::{Error, Result};
use crate::fit::logit::{self, LogitParams};
use crate::fit::model::{Design, TraitDesign};
use crate::stats;

/// Blocks the training window is cut into.
pub const BLOCKS: u8 = 5;
/// Blocks held out in turn under time order (the last ones), each fitted on all before it.
const TIME_FOLDS: u8 = 3;
/// Training leads that take part in the cross-validation at most (evenly spaced in time).
pub const MAX_CV_LEADS: usize = 40_000;
/// L2 penalties tried when `[model] l2` is not set.
pub const L2_GRID: [f64; 7] = [0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0];
/// The folds' fits stop when a Newton step moves no coefficient by more than this (the
/// model's own fit goes to 1e-10): a coefficient off by 1e-6 moves a held-out loss per lead by
/// about 1e-12, far below the standard errors the selection compares.
const CV_TOL: f64 = 1e-6;
/// Grid penalties refitted: the best by one Newton step from the selection's fit.
const L2_REFITS: usize = 2;
/// The penalty used while traits are selected, before the grid chooses one.
pub const SELECTION_L2: f64 = 1.0;
/// Standard errors of the paired differences a trait must lower the held-out loss by.
const STANDARD_ERRORS: f64 = 1.0;
/// Standard errors a candidate's one Newton step must lower the held-out loss by for the
/// folds to be refitted with it (half the entry rule: a margin for the step's error).
const SCREEN_STANDARD_ERRORS: f64 = 0.5;
/// Fewer held-out leads, or fewer wins or losses in them, than this: no cross-validation.
const MIN_HELD_OUT: f64 = 20.0;
/// Left-out traits the console names (the strongest first); `evaluation.json` lists all.
const SHOWN_LEFT_OUT: usize = 15;
/// Cramér's V above which a left-out trait is said to overlap a trait in the model.
const OVERLAP_V: f64 = 0.5;

/// A candidate trait as the selection sees it.
pub struct Candidate<'a> {
    pub name: &'a str,
    /// Its bin per taking-part lead, in the folds' order ([`Folds::sample`]).
    pub assigned: &'a [u16],
    pub bins: usize,
    /// The reference bin (indicator encoding).
    pub reference: usize,
    /// Pinned bins' log-odds.
    pub offsets: Vec<Option<f64>>,
    /// Always in the model: a trait with pinned points, or one `[model] include` names.
    pub forced: bool,
}

/// The folds over the training leads.
pub struct Folds {
    /// The training leads (indices into the training arrays) that take part.
    rows: Vec<usize>,
    /// Each taking-part lead's block.
    block: Vec<u8>,
    /// Per fold: the blocks it fits on (bit `b` for block `b`) and the block it is scored on.
    folds: Vec<(u32, u8)>,
    pub time_ordered: bool,
}

impl Folds {
    /// Folds over training leads with these creation dates (by training index): time-ordered
    /// when `time` is asked for and most leads have a date, else a seeded shuffle.
    pub fn new(created: &[Option<i64>], time: bool) -> Folds {
        let n = created.len();
        let dated = created.iter().filter(|c| c.is_some()).count();
        let time_ordered = time && dated * 2 > n;
        let mut order: Vec<usize> = (0..n).collect();
        if time_ordered {
            order.sort_by_key(|&i| (created[i].is_none(), created[i], i));
        } else {
            order.sort_by_key(|&i| (splitmix(i as u64), i));
        }
        let stride = n.div_ceil(MAX_CV_LEADS).max(1);
        let rows: Vec<usize> = order.into_iter().step_by(stride).collect();
        let m = rows.len().max(1);
        let block = (0..rows.len())
            .map(|i| (i * BLOCKS as usize / m) as u8)
            .collect();
        let folds = if time_ordered {
            (BLOCKS - TIME_FOLDS..BLOCKS)
                .map(|e| ((1u32 << e) - 1, e))
                .collect()
        } else {
            let all = (1u32 << BLOCKS) - 1;
            (0..BLOCKS).map(|e| (all & !(1 << e), e)).collect()
        };
        Folds {
            rows,
            block,
            folds,
            time_ordered,
        }
    }

    /// Per taking-part lead, in the folds' order, its value in `by_training_index`: what a
    /// [`Candidate`]'s bins are given as (the folds never look at the other leads).
    pub fn sample<T: Copy>(&self, by_training_index: &[T]) -> Vec<T> {
        self.rows.iter().map(|&r| by_training_index[r]).collect()
    }

    /// The taking-part leads (training indices) that some fold is scored on.
    fn held_out(&self) -> impl Iterator<Item = usize> + '_ {
        self.rows
            .iter()
            .zip(&self.block)
            .filter(|(_, b)| self.folds.iter().any(|&(_, e)| e == **b))
            .map(|(&r, _)| r)
    }

    /// A few words on the folds, for notes.
    pub fn describe(&self) -> String {
        if self.time_ordered {
            format!(
                "{} time-ordered folds over {} training leads (each fitted on older leads, \
                 scored on the next {}th)",
                self.folds.len(),
                self.rows.len(),
                BLOCKS
            )
        } else {
            format!(
                "{}-fold cross-validation over {} training leads (shuffled)",
                self.folds.len(),
                self.rows.len()
            )
        }
    }
}

/// A fixed pseudo-random shuffle key (splitmix64, Steele, Lea & Flood 2014).
fn splitmix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The distinct (block, bins of the set's traits) patterns of the taking-part leads with
/// their leads and wins.
#[derive(Clone)]
struct Patterns {
    /// Per taking-part lead: its pattern.
    id: Vec<u32>,
    /// Per pattern: the pattern it refines (of the patterns one trait narrower).
    parent: Vec<u32>,
    block: Vec<u8>,
    /// Per pattern: its bins, `width` per pattern, in the set's order.
    bins: Vec<u16>,
    width: usize,
    leads: Vec<f64>,
    wins: Vec<f64>,
}

impl Patterns {
    fn blocks(folds: &Folds, won: &[bool]) -> Patterns {
        let mut p = Patterns {
            id: folds.block.iter().map(|&b| u32::from(b)).collect(),
            parent: Vec::new(),
            block: (0..BLOCKS).collect(),
            bins: Vec::new(),
            width: 0,
            leads: vec![0.0; BLOCKS as usize],
            wins: vec![0.0; BLOCKS as usize],
        };
        for (k, &r) in folds.rows.iter().enumerate() {
            let b = folds.block[k] as usize;
            p.leads[b] += 1.0;
            p.wins[b] += f64::from(u8::from(won[r]));
        }
        p
    }

    /// The patterns with one more trait's bins.
    fn refine(&self, folds: &Folds, assigned: &[u16], won: &[bool]) -> Patterns {
        let mut seen: HashMap<u64, u32> = HashMap::with_capacity(self.leads.len() * 2);
        let mut next = Patterns {
            id: Vec::with_capacity(self.id.len()),
            parent: Vec::new(),
            block: Vec::new(),
            bins: Vec::new(),
            width: self.width + 1,
            leads: Vec::new(),
            wins: Vec::new(),
        };
        for (k, &r) in folds.rows.iter().enumerate() {
            let old = self.id[k] as usize;
            let bin = assigned[k];
            let key = (old as u64) << 16 | u64::from(bin);
            let id = *seen.entry(key).or_insert_with(|| {
                next.parent.push(old as u32);
                next.block.push(self.block[old]);
                next.bins
                    .extend_from_slice(&self.bins[old * self.width..(old + 1) * self.width]);
                next.bins.push(bin);
                next.leads.push(0.0);
                next.wins.push(0.0);
                (next.leads.len() - 1) as u32
            });
            next.id.push(id);
            next.leads[id as usize] += 1.0;
            next.wins[id as usize] += f64::from(u8::from(won[r]));
        }
        next
    }

    fn bin(&self, p: usize, t: usize) -> usize {
        self.bins[p * self.width + t] as usize
    }
}

/// One fold's fit: its design (with the fold's WoE) and coefficients (intercept first), and
/// the shift of its intercept that fits the held-out block's base rate.
#[derive(Clone)]
struct FoldFit {
    design: Design,
    beta: Vec<f64>,
    shift: f64,
}

impl FoldFit {
    /// The linear predictor of pattern `p` (whose first traits are this fit's).
    fn eta(&self, patterns: &Patterns, p: usize, row: &mut Vec<f64>) -> f64 {
        row.resize(self.design.width, 0.0);
        let offset = self.design.fill(|t| patterns.bin(p, t), row);
        self.beta[0]
            + self.shift
            + offset
            + row
                .iter()
                .zip(&self.beta[1..])
                .map(|(x, b)| x * b)
                .sum::<f64>()
    }
}

/// A set's cross-validation: its held-out loss and each fold's fit (None for a fold whose
/// training blocks have no wins or no losses).
#[derive(Clone)]
struct Cv {
    loss: f64,
    fits: Vec<Option<FoldFit>>,
}

/// The shift of the linear predictors `eta` of held-out (eta, wins, leads) that makes their
/// predicted wins add up to their wins: the held-out log loss's own intercept, found by
/// Newton's method (calibration-in-the-large, Steyerberg 2019, *Clinical Prediction Models*,
/// ch. 15). The held-out loss is measured after it, so that the base rate drifting from one
/// block to the next (seasons, a market, a changed lead mix) does not decide which traits the
/// model takes: every candidate gets the same one-parameter correction, and what is compared
/// is how well each ranks and spreads the leads. 0 when the block has no wins or no losses.
fn base_rate_shift(held: &[(f64, f64, f64)]) -> f64 {
    let wins: f64 = held.iter().map(|h| h.1).sum();
    let leads: f64 = held.iter().map(|h| h.2).sum();
    if !(wins > 0.0 && wins < leads) {
        return 0.0;
    }
    let sigmoid = |z: f64| 1.0 / (1.0 + (-z).exp());
    let mut shift = 0.0;
    for _ in 0..50 {
        let (mut g, mut h) = (0.0, 0.0);
        for &(eta, w, n) in held {
            let p = sigmoid(eta + shift);
            g += n * p - w;
            h += n * p * (1.0 - p);
        }
        if h <= 0.0 {
            break;
        }
        let step = (g / h).clamp(-5.0, 5.0);
        shift -= step;
        if step.abs() < 1e-10 {
            break;
        }
    }
    if shift.is_finite() { shift } else { 0.0 }
}

/// Per fold: starting coefficients for a fit, when known.
type Starts = Vec<Option<Vec<f64>>>;

/// A fold's fit as a Newton step from it sees it: per pattern of the set's patterns, the
/// design row (intercept first, `d` cells) and the linear predictor (without the held-out
/// shift); over the fold's training patterns, the penalised Hessian (`d x d`) and score.
struct Local {
    d: usize,
    x: Vec<f64>,
    eta: Vec<f64>,
    hess: Vec<f64>,
    grad: Vec<f64>,
}

/// The logistic function.
fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// A held-out pattern as [`Differences::held_out`] reads it: (stepped linear predictor,
/// current linear predictor, wins, leads).
type Held = (f64, f64, f64, f64);

/// Per-lead differences of held-out log loss between two fits, summed as they come: their
/// mean and the standard error of the mean (paired differences, one per lead).
#[derive(Clone, Copy, Default)]
struct Differences {
    leads: f64,
    sum: f64,
    sum2: f64,
}

impl Differences {
    /// A pattern's `wins` of `leads` with linear predictors `new` and `old`.
    fn add(&mut self, new: f64, old: f64, wins: f64, leads: f64) {
        // A win's loss is softplus(-eta), a loss's softplus(eta) = softplus(-eta) + eta.
        let dw = log_loss(new, 1.0, 1.0) - log_loss(old, 1.0, 1.0);
        let dl = dw + new - old;
        let l = leads - wins;
        self.leads += leads;
        self.sum += wins * dw + l * dl;
        self.sum2 += wins * dw * dw + l * dl * dl;
    }

    /// A fold's held-out patterns after one Newton step: each pattern's stepped linear
    /// predictor (before the fold's held-out shift is refitted to it), the current fit's (with
    /// its shift), wins and leads.
    fn held_out(held: &[Held]) -> Differences {
        let shift = base_rate_shift(
            &held
                .iter()
                .map(|&(new, _, wins, leads)| (new, wins, leads))
                .collect::<Vec<_>>(),
        );
        let mut differences = Differences::default();
        for &(new, old, wins, leads) in held {
            differences.add(new + shift, old, wins, leads);
        }
        differences
    }

    fn merge(&mut self, other: Differences) {
        self.leads += other.leads;
        self.sum += other.sum;
        self.sum2 += other.sum2;
    }

    /// (mean, standard error); (0, infinity) with fewer than two leads.
    fn mean_se(&self) -> (f64, f64) {
        let n = self.leads;
        if n < 2.0 {
            return (0.0, f64::INFINITY);
        }
        let mean = self.sum / n;
        let var = ((self.sum2 - n * mean * mean) / (n - 1.0)).max(0.0);
        (mean, (var / n).sqrt())
    }
}

/// Each bin's (wins, leads) over the blocks a fold trains on (bit `b` of `train` for block
/// `b`), from per-block counts; and the bins' WoE shrunk toward the trait's rate.
fn fold_woe(per_block: &[Vec<(f64, f64)>], train: u32) -> Vec<f64> {
    let bins = per_block.first().map_or(0, Vec::len);
    let mut wins = vec![0.0; bins];
    let mut leads = vec![0.0; bins];
    for (b, cells) in per_block.iter().enumerate() {
        if train & (1 << b) != 0 {
            for (k, (w, n)) in cells.iter().enumerate() {
                wins[k] += w;
                leads[k] += n;
            }
        }
    }
    stats::shrunk_woe(&wins, &leads)
}

/// Held-out log loss of a lead with probability `p` of winning from the linear predictor.
fn log_loss(eta: f64, wins: f64, leads: f64) -> f64 {
    // -ln sigmoid(eta) = ln(1 + e^-eta), computed without overflow.
    let softplus = |z: f64| z.max(0.0) + (-z.abs()).exp().ln_1p();
    wins * softplus(-eta) + (leads - wins) * softplus(eta)
}

/// The cross-validation's working state over the candidates.
struct Search<'a> {
    candidates: &'a [Candidate<'a>],
    won: &'a [bool],
    folds: &'a Folds,
    encoding: Encoding,
    held_out: f64,
}

impl<'a> Search<'a> {
    fn new(
        candidates: &'a [Candidate<'a>],
        won: &'a [bool],
        folds: &'a Folds,
        encoding: Encoding,
    ) -> Search<'a> {
        let held_out = folds.held_out().count() as f64;
        Search {
            candidates,
            won,
            folds,
            encoding,
            held_out,
        }
    }

    fn patterns(&self, set: &[usize]) -> Patterns {
        let mut p = Patterns::blocks(self.folds, self.won);
        for &c in set {
            p = p.refine(self.folds, self.candidates[c].assigned, self.won);
        }
        p
    }

    /// Fits every fold for the set (its patterns `pats`) and sums the held-out loss. `starts`
    /// are per fold starting coefficients of the right width, when known.
    fn cv(
        &self,
        set: &[usize],
        pats: &Patterns,
        l2: f64,
        starts: &[Option<Vec<f64>>],
    ) -> Result<Cv> {
        let params = LogitParams {
            l2,
            tol: CV_TOL,
            ..LogitParams::default()
        }
        .check()
        .map_err(|e| Error::Internal(format!("logit parameters: {e}")))?;
        // Per trait, block and bin: (wins, leads), for each fold's WoE.
        let mut counts: Vec<Vec<Vec<(f64, f64)>>> = set
            .iter()
            .map(|&c| vec![vec![(0.0, 0.0); self.candidates[c].bins]; BLOCKS as usize])
            .collect();
        for p in 0..pats.leads.len() {
            for (t, per_block) in counts.iter_mut().enumerate() {
                let cell = &mut per_block[pats.block[p] as usize][pats.bin(p, t)];
                cell.0 += pats.wins[p];
                cell.1 += pats.leads[p];
            }
        }
        // The folds fit in parallel; their losses are added in fold order.
        let per_fold: Vec<(f64, Option<FoldFit>)> = self
            .folds
            .folds
            .par_iter()
            .enumerate()
            .map(|(f, &(train, eval))| -> Result<(f64, Option<FoldFit>)> {
                let in_train = |p: usize| train & (1 << pats.block[p]) != 0;
                // Each trait's WoE from this fold's training leads.
                let woe: Vec<Vec<f64>> = counts
                    .iter()
                    .map(|per_block| fold_woe(per_block, train))
                    .collect();
                let traits: Vec<TraitDesign> = set
                    .iter()
                    .zip(&woe)
                    .map(|(&c, woe)| TraitDesign {
                        woe,
                        reference: self.candidates[c].reference,
                        offsets: &self.candidates[c].offsets,
                    })
                    .collect();
                let design = Design::new(self.encoding, &traits);
                let train_rows: Vec<usize> =
                    (0..pats.leads.len()).filter(|&p| in_train(p)).collect();
                let train_wins: f64 = train_rows.iter().map(|&p| pats.wins[p]).sum();
                let train_leads: f64 = train_rows.iter().map(|&p| pats.leads[p]).sum();
                if train_wins == 0.0 || train_wins == train_leads {
                    return Ok((0.0, None));
                }
                let k = design.width;
                let mut x = ndarray::Array2::<f64>::zeros((train_rows.len(), k));
                let mut offset = vec![0.0; train_rows.len()];
                for (i, &p) in train_rows.iter().enumerate() {
                    let mut row = x.row_mut(i);
                    let cells = row.as_slice_mut().unwrap_or_default();
                    offset[i] = design.fill(|t| pats.bin(p, t), cells);
                }
                let y: Vec<f64> = train_rows
                    .iter()
                    .map(|&p| pats.wins[p] / pats.leads[p])
                    .collect();
                let w: Vec<f64> = train_rows.iter().map(|&p| pats.leads[p]).collect();
                let has_offset = offset.iter().any(|o| *o != 0.0);
                let start = starts.get(f).and_then(|s| s.as_deref());
                let model = logit::fit_from(
                    x.view(),
                    &y,
                    &w,
                    has_offset.then_some(&offset[..]),
                    &params,
                    start,
                )
                .map_err(|e| Error::Internal(format!("cross-validation fit: {e}")))?;
                let mut beta = vec![model.intercept];
                beta.extend(model.coefficients);
                let mut fit = FoldFit {
                    design,
                    beta,
                    shift: 0.0,
                };
                let mut row = Vec::new();
                let held: Vec<(f64, f64, f64)> = (0..pats.leads.len())
                    .filter(|&p| pats.block[p] == eval)
                    .map(|p| (fit.eta(pats, p, &mut row), pats.wins[p], pats.leads[p]))
                    .collect();
                fit.shift = base_rate_shift(&held);
                let loss = held
                    .iter()
                    .map(|&(eta, wins, leads)| log_loss(eta + fit.shift, wins, leads))
                    .sum::<f64>();
                Ok((loss, Some(fit)))
            })
            .collect::<Result<_>>()?;
        let total: f64 = per_fold.iter().map(|(loss, _)| loss).sum();
        let fits = per_fold.into_iter().map(|(_, fit)| fit).collect();
        Ok(Cv {
            loss: total / self.held_out,
            fits,
        })
    }

    /// Each fold's fit as a Newton step from it sees it ([`Local`]), over the patterns `pats`
    /// the fit `cv` was made on.
    fn locals(&self, cv: &Cv, pats: &Patterns, l2: f64) -> Vec<Option<Local>> {
        self.folds
            .folds
            .par_iter()
            .zip(&cv.fits)
            .map(|(&(train, _), fit)| {
                let fit = fit.as_ref()?;
                let d = fit.design.width + 1;
                let n = pats.leads.len();
                let mut x = vec![0.0; n * d];
                let mut eta = vec![0.0; n];
                let mut hess = vec![0.0; d * d];
                let mut grad = vec![0.0; d];
                let mut row = Vec::new();
                for p in 0..n {
                    eta[p] = fit.eta(pats, p, &mut row) - fit.shift;
                    let xp = &mut x[p * d..(p + 1) * d];
                    xp[0] = 1.0;
                    xp[1..].copy_from_slice(&row);
                    if train & (1 << pats.block[p]) == 0 {
                        continue;
                    }
                    let s = sigmoid(eta[p]);
                    let w = pats.leads[p] * s * (1.0 - s);
                    let r = pats.wins[p] - pats.leads[p] * s;
                    for j in 0..d {
                        grad[j] += r * xp[j];
                        let wj = w * xp[j];
                        if wj != 0.0 {
                            for k in j..d {
                                hess[j * d + k] += wj * xp[k];
                            }
                        }
                    }
                }
                for j in 1..d {
                    hess[j * d + j] += l2;
                    grad[j] -= l2 * fit.beta[j];
                }
                for j in 0..d {
                    for k in 0..j {
                        hess[j * d + k] = hess[k * d + j];
                    }
                }
                Some(Local {
                    d,
                    x,
                    eta,
                    hess,
                    grad,
                })
            })
            .collect()
    }

    /// Candidate `c` added to the current set by one Newton step of every fold's fit from
    /// its current coefficients (the new trait's at 0): the step solves the penalised
    /// Hessian system bordered by the new columns (Rao's score test's step; one Newton step
    /// from a consistent start is first-order efficient, Lehmann & Casella 1998, sec. 6.4).
    /// `trial`: the current patterns refined by `c`; `locals`: [`Search::locals`] of the
    /// current fit. Returns the held-out paired change per lead and its standard error, as
    /// [`Search::paired`] does for a full refit, and each fold's coefficients after the step
    /// (a start for the refit); `None` when a fold's step cannot be solved.
    fn one_step(
        &self,
        c: usize,
        trial: &Patterns,
        current: &Cv,
        locals: &[Option<Local>],
        l2: f64,
    ) -> Option<(f64, f64, Starts)> {
        let cand = &self.candidates[c];
        if cand.offsets.iter().any(Option::is_some) {
            return None;
        }
        let t = trial.width - 1;
        let mut counts = vec![vec![(0.0, 0.0); cand.bins]; BLOCKS as usize];
        for p in 0..trial.leads.len() {
            let cell = &mut counts[trial.block[p] as usize][trial.bin(p, t)];
            cell.0 += trial.wins[p];
            cell.1 += trial.leads[p];
        }
        type Fold = Option<(Differences, Vec<f64>)>;
        let per_fold: Vec<Option<Fold>> = self
            .folds
            .folds
            .par_iter()
            .zip(&current.fits)
            .zip(locals)
            .map(|((&(train, eval), fit), local)| {
                let (Some(fit), Some(local)) = (fit, local) else {
                    return Some(None);
                };
                let woe = fold_woe(&counts, train);
                let design = Design::new(
                    self.encoding,
                    &[TraitDesign {
                        woe: &woe,
                        reference: cand.reference,
                        offsets: &cand.offsets,
                    }],
                );
                let (d, m) = (local.d, design.width);
                let big = d + m;
                let mut hess = vec![0.0; big * big];
                let mut grad = vec![0.0; big];
                for j in 0..d {
                    hess[j * big..j * big + d].copy_from_slice(&local.hess[j * d..(j + 1) * d]);
                    grad[j] = local.grad[j];
                }
                let mut xn = vec![0.0; m];
                let n = trial.leads.len();
                for p in 0..n {
                    if train & (1 << trial.block[p]) == 0 {
                        continue;
                    }
                    let q = trial.parent[p] as usize;
                    design.fill(|_| trial.bin(p, t), &mut xn);
                    let s = sigmoid(local.eta[q]);
                    let w = trial.leads[p] * s * (1.0 - s);
                    let r = trial.wins[p] - trial.leads[p] * s;
                    let xq = &local.x[q * d..(q + 1) * d];
                    for (a, &xa) in xn.iter().enumerate() {
                        if xa == 0.0 {
                            continue;
                        }
                        let wa = w * xa;
                        grad[d + a] += r * xa;
                        for (j, &xj) in xq.iter().enumerate() {
                            hess[j * big + d + a] += wa * xj;
                        }
                        for (b, &xb) in xn.iter().enumerate() {
                            hess[(d + a) * big + d + b] += wa * xb;
                        }
                    }
                }
                for a in 0..m {
                    hess[(d + a) * big + d + a] += l2;
                    for j in 0..d {
                        hess[(d + a) * big + j] = hess[j * big + d + a];
                    }
                }
                let step = logit::solve_symmetric(&hess, &grad, big)?;
                let held: Vec<Held> = (0..n)
                    .filter(|&p| trial.block[p] == eval)
                    .map(|p| {
                        let q = trial.parent[p] as usize;
                        design.fill(|_| trial.bin(p, t), &mut xn);
                        let xq = &local.x[q * d..(q + 1) * d];
                        let e = local.eta[q]
                            + xq.iter().zip(&step[..d]).map(|(x, s)| x * s).sum::<f64>()
                            + xn.iter().zip(&step[d..]).map(|(x, s)| x * s).sum::<f64>();
                        let old = local.eta[q] + fit.shift;
                        (e, old, trial.wins[p], trial.leads[p])
                    })
                    .collect();
                let differences = Differences::held_out(&held);
                let mut beta = fit.beta.clone();
                beta.resize(big, 0.0);
                for (b, s) in beta.iter_mut().zip(&step) {
                    *b += s;
                }
                Some(Some((differences, beta)))
            })
            .collect();
        let mut differences = Differences::default();
        let mut starts = Vec::new();
        for fold in per_fold {
            match fold? {
                Some((d, beta)) => {
                    differences.merge(d);
                    starts.push(Some(beta));
                }
                None => starts.push(None),
            }
        }
        let (mean, se) = differences.mean_se();
        Some((mean, se, starts))
    }

    /// The set without its `i`th trait by one constrained Newton step of every fold's fit:
    /// the trait's coefficients set to 0, the others moved by the penalised Hessian system on
    /// the remaining coordinates (the quadratic model's minimum under the constraint).
    /// Returns the held-out paired change per lead of removing it (positive: it helps) and its
    /// standard error; `None` when a fold's step cannot be solved.
    fn one_step_without(
        &self,
        i: usize,
        pats: &Patterns,
        current: &Cv,
        locals: &[Option<Local>],
    ) -> Option<(f64, f64)> {
        let per_fold: Vec<Option<Option<Differences>>> = self
            .folds
            .folds
            .par_iter()
            .zip(&current.fits)
            .zip(locals)
            .map(|((&(_, eval), fit), local)| {
                let (Some(fit), Some(local)) = (fit, local) else {
                    return Some(None);
                };
                let d = local.d;
                let columns = &fit.design.columns;
                // Design column `j` is coordinate `j + 1`, after the intercept.
                let end = columns.get(i + 1).copied().unwrap_or(fit.design.width);
                let fixed = |j: usize| (columns[i] + 1..end + 1).contains(&j);
                let free: Vec<usize> = (0..d).filter(|&j| !fixed(j)).collect();
                let mut step = vec![0.0; d];
                for j in (0..d).filter(|&j| fixed(j)) {
                    step[j] = -fit.beta[j];
                }
                let f = free.len();
                let mut hess = vec![0.0; f * f];
                let mut rhs = vec![0.0; f];
                for (a, &ja) in free.iter().enumerate() {
                    rhs[a] = local.grad[ja]
                        - (0..d)
                            .filter(|&k| fixed(k))
                            .map(|k| local.hess[ja * d + k] * step[k])
                            .sum::<f64>();
                    for (b, &jb) in free.iter().enumerate() {
                        hess[a * f + b] = local.hess[ja * d + jb];
                    }
                }
                let moved = logit::solve_symmetric(&hess, &rhs, f)?;
                for (a, &ja) in free.iter().enumerate() {
                    step[ja] = moved[a];
                }
                let held: Vec<Held> = (0..pats.leads.len())
                    .filter(|&p| pats.block[p] == eval)
                    .map(|p| {
                        let xp = &local.x[p * d..(p + 1) * d];
                        let e =
                            local.eta[p] + xp.iter().zip(&step).map(|(x, s)| x * s).sum::<f64>();
                        (e, local.eta[p] + fit.shift, pats.wins[p], pats.leads[p])
                    })
                    .collect();
                Some(Some(Differences::held_out(&held)))
            })
            .collect();
        let mut differences = Differences::default();
        for fold in per_fold {
            differences.merge(fold?.unwrap_or_default());
        }
        Some(differences.mean_se())
    }

    /// The held-out log loss per lead of the current set at penalty `to` instead of `from`
    /// (the penalty `locals` were taken at), by one Newton step of every fold's fit; `None`
    /// when a fold's step cannot be solved.
    fn one_step_l2(
        &self,
        pats: &Patterns,
        current: &Cv,
        locals: &[Option<Local>],
        from: f64,
        to: f64,
    ) -> Option<f64> {
        let per_fold: Vec<Option<f64>> = self
            .folds
            .folds
            .par_iter()
            .zip(&current.fits)
            .zip(locals)
            .map(|((&(_, eval), fit), local)| {
                let (Some(fit), Some(local)) = (fit, local) else {
                    return Some(0.0);
                };
                let d = local.d;
                let mut hess = local.hess.clone();
                let mut grad = local.grad.clone();
                for j in 1..d {
                    hess[j * d + j] += to - from;
                    grad[j] -= (to - from) * fit.beta[j];
                }
                let step = logit::solve_symmetric(&hess, &grad, d)?;
                let held: Vec<(f64, f64, f64)> = (0..pats.leads.len())
                    .filter(|&p| pats.block[p] == eval)
                    .map(|p| {
                        let xp = &local.x[p * d..(p + 1) * d];
                        let e =
                            local.eta[p] + xp.iter().zip(&step).map(|(x, s)| x * s).sum::<f64>();
                        (e, pats.wins[p], pats.leads[p])
                    })
                    .collect();
                let shift = base_rate_shift(&held);
                Some(
                    held.iter()
                        .map(|&(e, w, n)| log_loss(e + shift, w, n))
                        .sum::<f64>(),
                )
            })
            .collect();
        let mut total = 0.0;
        for loss in per_fold {
            total += loss?;
        }
        Some(total / self.held_out)
    }

    /// The held-out per-lead loss differences of `new` (fitted on `pats`) against `old`
    /// (fitted on the first traits of the same patterns): their mean and standard error.
    fn paired(&self, new: &Cv, old: &Cv, pats: &Patterns) -> (f64, f64) {
        let mut differences = Differences::default();
        let mut row = Vec::new();
        for ((&(_, eval), a), b) in self.folds.folds.iter().zip(&new.fits).zip(&old.fits) {
            let (Some(a), Some(b)) = (a, b) else { continue };
            for p in (0..pats.leads.len()).filter(|&p| pats.block[p] == eval) {
                let (ea, eb) = (a.eta(pats, p, &mut row), b.eta(pats, p, &mut row));
                differences.add(ea, eb, pats.wins[p], pats.leads[p]);
            }
        }
        differences.mean_se()
    }
}

/// Starting coefficients for a set one trait larger: each fold's fit with zeros appended.
fn widened(cv: &Cv, extra: usize) -> Starts {
    cv.fits
        .iter()
        .map(|f| {
            f.as_ref().map(|f| {
                let mut b = f.beta.clone();
                b.extend(std::iter::repeat_n(0.0, extra));
                b
            })
        })
        .collect()
}

/// Starting coefficients for the set without its `i`th trait: each fold's fit without that
/// trait's columns.
fn narrowed(cv: &Cv, i: usize) -> Starts {
    cv.fits
        .iter()
        .map(|f| {
            f.as_ref().map(|f| {
                let columns = &f.design.columns;
                let end = columns.get(i + 1).copied().unwrap_or(f.design.width);
                // Coefficient `j` of the design is beta[j + 1], after the intercept.
                f.beta
                    .iter()
                    .enumerate()
                    .filter(|&(j, _)| j == 0 || !(columns[i] + 1..end + 1).contains(&j))
                    .map(|(_, b)| *b)
                    .collect()
            })
        })
        .collect()
}

/// Each fold's coefficients, as starts for a refit of the same set.
fn same(cv: &Cv) -> Starts {
    cv.fits
        .iter()
        .map(|f| f.as_ref().map(|f| f.beta.clone()))
        .collect()
}

/// What the selection decided about one candidate (`evaluation.json`'s `selection`).
#[derive(Debug, Clone, Serialize)]
pub struct Decision {
    #[serde(rename = "trait")]
    pub name: String,
    /// `kept`, `always in`, `left out`, `dropped after others entered`, `not tried`, and (from
    /// the fit) `dropped: negative coefficient` or `kept: negative coefficient`.
    pub decision: String,
    /// The held-out log loss per lead with the trait minus without it, when measured.
    pub held_out_change: Option<f64>,
    /// Its standard error (paired per-lead differences), when measured.
    pub standard_error: Option<f64>,
    /// Whether the change is one Newton step's estimate (a trait left out without a refit)
    /// rather than the refitted folds'.
    pub one_step: bool,
    /// The model trait it overlaps most (Cramér's V at least 0.5), for a trait left out.
    pub overlaps: Option<String>,
    pub cramers_v: Option<f64>,
}

impl Decision {
    pub fn new(name: &str, decision: &str) -> Decision {
        Decision {
            name: name.to_string(),
            decision: decision.to_string(),
            held_out_change: None,
            standard_error: None,
            one_step: false,
            overlaps: None,
            cramers_v: None,
        }
    }
}

/// What the selection decided.
#[derive(Debug, Clone)]
pub struct Selection {
    /// Candidates in the model, in the order they entered.
    pub chosen: Vec<usize>,
    /// What was decided about each candidate, and on what evidence.
    pub decisions: Vec<Decision>,
    pub l2: f64,
    /// The held-out log loss per lead of the chosen set at the chosen penalty, and of the
    /// intercept alone.
    pub loss: f64,
    pub baseline: f64,
    pub notes: Vec<String>,
}

/// Whether the folds can score anything: enough held-out leads, wins and losses.
pub fn feasible(folds: &Folds, won: &[bool]) -> bool {
    let (mut leads, mut wins) = (0.0, 0.0);
    for r in folds.held_out() {
        leads += 1.0;
        wins += f64::from(u8::from(won[r]));
    }
    wins >= MIN_HELD_OUT && leads - wins >= MIN_HELD_OUT
}

/// Selects traits among `candidates` (in order of preference: information value) and the L2
/// penalty (`l2` when set) by cross-validation on `folds`; `won` by training index.
pub fn select(
    candidates: &[Candidate],
    won: &[bool],
    folds: &Folds,
    encoding: Encoding,
    l2: Option<f64>,
    max_traits: usize,
) -> Result<Selection> {
    let search = Search::new(candidates, won, folds, encoding);
    let selection_l2 = l2.unwrap_or(SELECTION_L2);
    let mut notes = Vec::new();
    let mut set: Vec<usize> = (0..candidates.len())
        .filter(|&c| candidates[c].forced)
        .collect();
    let mut pats = search.patterns(&set);
    let baseline = search
        .cv(&[], &search.patterns(&[]), selection_l2, &[])?
        .loss;
    let mut current = search.cv(&set, &pats, selection_l2, &[])?;
    let mut locals = search.locals(&current, &pats, selection_l2);
    // Left out: (candidate, held-out change per lead, its standard error, whether by the one
    // Newton step alone).
    let mut left_out: Vec<(usize, f64, f64, bool)> = Vec::new();
    // Entered: the same, for the traits that got in.
    let mut entered: Vec<(usize, f64, f64)> = Vec::new();
    let mut beyond_max = Vec::new();
    for c in (0..candidates.len()).filter(|&c| !candidates[c].forced) {
        if candidates[c].bins < 2 {
            continue;
        }
        if set.len() >= max_traits {
            beyond_max.push(c);
            continue;
        }
        let trial = pats.refine(folds, candidates[c].assigned, won);
        let mut with = set.clone();
        with.push(c);
        let extra = Design::new(
            encoding,
            &[TraitDesign {
                woe: &vec![0.0; candidates[c].bins],
                reference: candidates[c].reference,
                offsets: &candidates[c].offsets,
            }],
        )
        .width;
        // A trait whose one Newton step does not lower the held-out loss by half a standard
        // error is left out without a refit (the step's estimate is within a few tenths of a
        // standard error of the refit's on the real histories in benches/accuracy/).
        let starts = match search.one_step(c, &trial, &current, &locals, selection_l2) {
            Some((mean, se, _)) if mean >= -SCREEN_STANDARD_ERRORS * se => {
                left_out.push((c, mean, se, true));
                continue;
            }
            Some((_, _, starts)) => starts,
            None => widened(&current, extra),
        };
        let cv = search.cv(&with, &trial, selection_l2, &starts)?;
        let (mean, se) = search.paired(&cv, &current, &trial);
        if mean < -STANDARD_ERRORS * se && cv.loss < current.loss {
            set = with;
            pats = trial;
            current = cv;
            locals = search.locals(&current, &pats, selection_l2);
            entered.push((c, mean, se));
        } else {
            left_out.push((c, mean, se, false));
        }
    }
    // Backward: a trait whose removal does not raise the held-out loss goes.
    let mut dropped_back = Vec::new();
    for i in (0..set.len()).rev() {
        let c = set[i];
        if candidates[c].forced || set.len() == 1 {
            continue;
        }
        // A trait whose removal raises the held-out loss by more than half a standard error
        // after one Newton step stays without a refit.
        if let Some((mean, se)) = search.one_step_without(i, &pats, &current, &locals)
            && mean > SCREEN_STANDARD_ERRORS * se
        {
            continue;
        }
        let without: Vec<usize> = set.iter().copied().filter(|&d| d != c).collect();
        let trial = search.patterns(&without);
        let cv = search.cv(&without, &trial, selection_l2, &narrowed(&current, i))?;
        if cv.loss <= current.loss {
            dropped_back.push((c, cv.loss - current.loss));
            set = without;
            pats = trial;
            current = cv;
            locals = search.locals(&current, &pats, selection_l2);
        }
    }
    // The penalty: every grid value by one Newton step from the selection's fit, the two
    // best of them refitted and decided by their refits.
    let mut chosen_l2 = selection_l2;
    if l2.is_none() {
        let mut stepped: Vec<(f64, f64)> = L2_GRID
            .iter()
            .filter(|&&g| g != selection_l2)
            .map(|&g| {
                let loss = search
                    .one_step_l2(&pats, &current, &locals, selection_l2, g)
                    .unwrap_or(f64::NEG_INFINITY);
                (g, loss)
            })
            .collect();
        // A step that could not be solved sorts first: it is refitted.
        stepped.sort_by(|a, b| a.1.total_cmp(&b.1));
        let mut refitted: Vec<f64> = stepped.iter().take(L2_REFITS).map(|s| s.0).collect();
        // Of refits that tie, the stronger penalty wins (they run from strong to weak).
        refitted.sort_by(|a, b| b.total_cmp(a));
        let mut best = current.clone();
        for g in refitted {
            let cv = search.cv(&set, &pats, g, &same(&current))?;
            if cv.loss < best.loss - 1e-12 {
                best = cv;
                chosen_l2 = g;
            }
        }
        current = best;
    }

    let name = |c: usize| candidates[c].name;
    let kept: Vec<&str> = set.iter().map(|&c| name(c)).collect();
    notes.push(format!(
        "traits chosen by {}: {} of {} candidates kept ({}); held-out log loss {:.4} per lead \
         against {:.4} for the base rate alone; L2 penalty {}{}",
        folds.describe(),
        set.len(),
        candidates.len(),
        kept.join(", "),
        current.loss,
        baseline,
        chosen_l2,
        if l2.is_some() {
            " (set by [model] l2)"
        } else {
            " (chosen by the same folds)"
        }
    ));
    let mut decisions: Vec<Decision> = Vec::new();
    for &c in &set {
        let mut d = Decision::new(
            name(c),
            if candidates[c].forced {
                "always in"
            } else {
                "kept"
            },
        );
        if let Some(&(_, mean, se)) = entered.iter().find(|e| e.0 == c) {
            d.held_out_change = Some(mean);
            d.standard_error = se.is_finite().then_some(se);
        }
        decisions.push(d);
    }
    for &(c, change) in &dropped_back {
        let mut d = Decision::new(name(c), "dropped after others entered");
        d.held_out_change = Some(-change);
        decisions.push(d);
    }
    for &(c, mean, se, screened) in &left_out {
        let mut d = Decision::new(name(c), "left out");
        d.held_out_change = Some(mean);
        d.one_step = screened;
        d.standard_error = se.is_finite().then_some(se);
        if let Some((k, v)) = set
            .iter()
            .map(|&k| (k, cramers_v(&candidates[c], &candidates[k], folds)))
            .filter(|(_, v)| *v >= OVERLAP_V)
            .max_by(|a, b| a.1.total_cmp(&b.1))
        {
            d.overlaps = Some(name(k).to_string());
            d.cramers_v = Some(v);
        }
        decisions.push(d);
    }
    for &c in &beyond_max {
        decisions.push(Decision::new(name(c), "not tried"));
    }
    let described: Vec<String> = decisions
        .iter()
        .filter(|d| d.decision == "left out")
        .map(|d| {
            let change = match (d.held_out_change, d.standard_error) {
                (Some(mean), Some(se)) => format!("{mean:+.5} ± {se:.5}"),
                _ => "no held-out leads".to_string(),
            };
            match (&d.overlaps, d.cramers_v) {
                (Some(k), Some(v)) => {
                    format!("{} ({change}; overlaps {k}, Cramér's V {v:.2})", d.name)
                }
                _ => format!("{} ({change})", d.name),
            }
        })
        .collect();
    if !described.is_empty() {
        let shown = described.len().min(SHOWN_LEFT_OUT);
        let more = if described.len() > shown {
            format!(
                "; {} more in evaluation.json's selection",
                described.len() - shown
            )
        } else {
            String::new()
        };
        notes.push(format!(
            "{} {} left out: {} did not lower the held-out log loss by more than a standard \
             error (change per lead ± standard error): {}{more}",
            described.len(),
            if described.len() == 1 {
                "trait"
            } else {
                "traits"
            },
            if described.len() == 1 { "it" } else { "they" },
            described[..shown].join(", ")
        ));
    }
    for (c, change) in &dropped_back {
        notes.push(format!(
            "{} dropped after the others entered: the held-out log loss is no worse without it \
             ({change:+.5} per lead)",
            name(*c)
        ));
    }
    if !beyond_max.is_empty() {
        notes.push(format!(
            "{} traits not tried: the model holds [model] max_traits = {max_traits}",
            beyond_max.len()
        ));
    }
    Ok(Selection {
        chosen: set,
        decisions,
        l2: chosen_l2,
        loss: current.loss,
        baseline,
        notes,
    })
}

/// The set with `trait_` against the set without it, held out: (loss per lead with it,
/// without it, and whether it lowers the loss by more than a standard error of the paired
/// differences, the rule a trait enters by). For a trait whose coefficient came out negative.
pub fn worth_keeping(
    candidates: &[Candidate],
    won: &[bool],
    folds: &Folds,
    encoding: Encoding,
    set: &[usize],
    trait_: usize,
    l2: f64,
) -> Result<(f64, f64, bool)> {
    let search = Search::new(candidates, won, folds, encoding);
    let rest: Vec<usize> = set.iter().copied().filter(|&c| c != trait_).collect();
    let rest_patterns = search.patterns(&rest);
    let without = search.cv(&rest, &rest_patterns, l2, &[])?;
    let mut with_set = rest.clone();
    with_set.push(trait_);
    let with_patterns = rest_patterns.refine(folds, candidates[trait_].assigned, won);
    let with = search.cv(&with_set, &with_patterns, l2, &[])?;
    let (mean, se) = search.paired(&with, &without, &with_patterns);
    Ok((
        with.loss,
        without.loss,
        mean < -STANDARD_ERRORS * se && with.loss < without.loss,
    ))
}

/// Cramér's V between two traits' bins over the taking-part leads (Cramér 1946):
/// `V = sqrt( χ² / (n · (min(r, c) − 1)) )`.
fn cramers_v(a: &Candidate, b: &Candidate, folds: &Folds) -> f64 {
    let (r, c) = (a.bins, b.bins);
    if r < 2 || c < 2 {
        return 0.0;
    }
    let mut table = vec![0.0; r * c];
    for k in 0..folds.rows.len() {
        table[a.assigned[k] as usize * c + b.assigned[k] as usize] += 1.0;
    }
    let n: f64 = table.iter().sum();
    let rows: Vec<f64> = (0..r)
        .map(|i| table[i * c..(i + 1) * c].iter().sum())
        .collect();
    let cols: Vec<f64> = (0..c)
        .map(|j| (0..r).map(|i| table[i * c + j]).sum())
        .collect();
    let mut chi2 = 0.0;
    for i in 0..r {
        for j in 0..c {
            let e = rows[i] * cols[j] / n;
            if e > 0.0 {
                chi2 += (table[i * c + j] - e).powi(2) / e;
            }
        }
    }
    let used = |v: &[f64]| v.iter().filter(|x| **x > 0.0).count();
    let k = used(&rows).min(used(&cols));
    if k < 2 || n == 0.0 {
        return 0.0;
    }
    (chi2 / (n * (k - 1) as f64)).sqrt()
}

#[cfg(test)]
mod tests;
