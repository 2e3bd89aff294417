//! Weighted, L2-penalised logistic regression fitted by Newton-Raphson (IRLS).
//!
//! Scorecard traits are binned, so leads collapse into few distinct bin patterns. The fit runs on
//! those patterns with the lead counts as weights and the win fraction as the target, which keeps
//! the binomial likelihood exact for grouped data: a pattern with `n` leads and `s` wins
//! contributes `n * [-(s/n) log p - (1 - s/n) log(1 - p)]`, the same as its `n` expanded rows.
//!
//! # Model and objective
//!
//! `P(y = 1 | x) = sigmoid(offset_i + b0 + x_i · b)`, fitted by minimising
//!
//! ```text
//! f(b0, b) = sum_i w_i * [ -y_i log p_i - (1 - y_i) log(1 - p_i) ] + (l2 / 2) * ||b||^2
//! ```
//!
//! The intercept `b0` is not penalised. `y_i` may be any fraction in `[0, 1]`. The optional
//! per-row offset enters the linear predictor with a fixed coefficient of one; leadtune uses it
//! for analyst-pinned points (the pinned part of the score is held fixed while the rest is fit).
//!
//! # Method
//!
//! Newton-Raphson on the penalised log-likelihood, which for the logistic (canonical-link)
//! model is the same as iteratively reweighted least squares: Hastie, Tibshirani & Friedman,
//! *The Elements of Statistical Learning* (2nd ed., 2009), sec. 4.4.1; McCullagh & Nelder,
//! *Generalized Linear Models* (2nd ed., 1989), sec. 2.5 and 4.4. With `X~ = [1, X]`,
//! `W = diag(w p (1 - p))` and `Lambda = diag(0, l2, ..., l2)` each step solves
//!
//! ```text
//! (X~' W X~ + Lambda) delta = X~' w (y - p) - Lambda b
//! ```
//!
//! by a small dense Cholesky factorisation (with a tiny ridge, `1e-10 * trace / dim`, added when
//! the matrix is not numerically positive definite), followed by step halving on the objective.
//! Iteration stops when `max |delta| < tol`, when two successive full steps in the quadratic
//! regime of Newton's method (`|delta_k| < 0.1 |delta_{k-1}|`) predict the next one below `tol`
//! (`|delta_{k+1}| ~ |delta_k|^3 / |delta_{k-1}|^2`, Nocedal & Wright, *Numerical
//! Optimization*, 2nd ed., thm. 3.5), when the relative objective change falls below `1e-14`,
//! or after `max_iter` steps.
//!
//! Under perfect separation with `l2 = 0` the maximum-likelihood estimate is at infinity: the
//! fit then runs to `max_iter` and returns finite coefficients with `converged == false`
//! (it never produces NaN). With `l2 > 0` the penalty keeps the slope coefficients finite.
//!
//! # Determinism
//!
//! Every pass over the rows is cut into fixed chunks of [`CHUNK_ROWS`] rows; each chunk is summed
//! on its own and the chunk results are added up in chunk order. With more than
//! [`PARALLEL_MIN_ROWS`] rows the chunks are computed in parallel with rayon, otherwise one after
//! another; the arithmetic is the same either way, so results are bit-identical run to run
//! whatever the number of threads.

use ndarray::{Array1, ArrayBase, ArrayView2, Data, Ix2};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::ops::Range;

/// Rows per chunk in every pass over the data (fixed, so sums are reduced in a fixed order).
pub const CHUNK_ROWS: usize = 4096;
/// Above this many rows the chunks of a pass are computed in parallel with rayon.
pub const PARALLEL_MIN_ROWS: usize = 50_000;
/// Relative objective change below which the fit is considered converged.
const REL_OBJECTIVE_TOL: f64 = 1e-14;
/// Maximum number of step halvings in one line search.
const MAX_HALVINGS: usize = 60;
/// A trial step is accepted when it does not raise the objective by more than this fraction of
/// it: near the optimum a full Newton step changes the objective by less than its rounding
/// noise, and must still be taken so the coefficients reach full precision.
const LINE_SEARCH_SLACK: f64 = 1e-12;
/// A Cholesky pivot smaller than this fraction of its diagonal entry counts as not positive.
const REL_PIVOT_TOL: f64 = 1e-14;
/// Ridge factors (times `trace / dim`) tried in turn when the Newton matrix is not positive
/// definite.
const RIDGE_FACTORS: [f64; 4] = [1e-10, 1e-8, 1e-6, 1e-4];

/// Hyper-parameters of [`fit`]. Check them with [`LogitParams::check`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogitParams {
    /// L2 penalty `lambda` on the slope coefficients (not the intercept); `>= 0` and finite.
    pub l2: f64,
    /// Convergence tolerance on `max |delta|` of a Newton step; `> 0` and finite.
    pub tol: f64,
    /// Maximum number of Newton steps; `>= 1`.
    pub max_iter: usize,
}

impl Default for LogitParams {
    fn default() -> Self {
        LogitParams {
            l2: 1.0,
            tol: 1e-10,
            max_iter: 100,
        }
    }
}

impl LogitParams {
    /// Validates the parameters: `l2` finite and `>= 0`, `tol` finite and `> 0`,
    /// `max_iter >= 1`.
    pub fn check(self) -> Result<ValidLogitParams, LogitError> {
        if !(self.l2.is_finite() && self.l2 >= 0.0) {
            return Err(LogitError::InvalidL2(self.l2));
        }
        if !(self.tol.is_finite() && self.tol > 0.0) {
            return Err(LogitError::InvalidTol(self.tol));
        }
        if self.max_iter == 0 {
            return Err(LogitError::InvalidMaxIter);
        }
        Ok(ValidLogitParams(self))
    }
}

/// Parameters that passed [`LogitParams::check`].
#[derive(Debug, Clone, PartialEq)]
pub struct ValidLogitParams(LogitParams);

impl ValidLogitParams {
    /// The L2 penalty on the slope coefficients.
    pub fn l2(&self) -> f64 {
        self.0.l2
    }
    /// The convergence tolerance on `max |delta|`.
    pub fn tol(&self) -> f64 {
        self.0.tol
    }
    /// The maximum number of Newton steps.
    pub fn max_iter(&self) -> usize {
        self.0.max_iter
    }
    /// The validated parameters.
    pub fn params(&self) -> &LogitParams {
        &self.0
    }
}

/// A fitted logistic regression.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogitModel {
    /// The (unpenalised) intercept `b0`.
    pub intercept: f64,
    /// The slope coefficients `b`, one per feature column.
    pub coefficients: Vec<f64>,
    /// Number of Newton steps taken.
    pub iterations: usize,
    /// Whether a convergence criterion was met (`false` after `max_iter` steps, a stalled line
    /// search, or when the likelihood saturated under perfect separation).
    pub converged: bool,
    /// The penalised objective (weighted negative log-likelihood plus `l2/2 ||b||^2`) at the
    /// returned coefficients.
    pub objective: f64,
}

impl LogitModel {
    /// The linear predictor `b0 + x · b` (without any offset: add it yourself).
    ///
    /// Returns NaN when `x.len()` differs from the number of coefficients.
    pub fn linear(&self, x: &[f64]) -> f64 {
        if x.len() != self.coefficients.len() {
            return f64::NAN;
        }
        self.intercept + dot(x, &self.coefficients)
    }

    /// `sigmoid(b0 + x · b)`, computed without overflow (without any offset).
    ///
    /// Returns NaN when `x.len()` differs from the number of coefficients.
    pub fn probability(&self, x: &[f64]) -> f64 {
        sigmoid(self.linear(x))
    }
}

/// Everything that can go wrong in [`fit`]. Row and column numbers are 0-based.
#[derive(Debug, thiserror::Error)]
pub enum LogitError {
    /// `x` has no rows.
    #[error("no rows")]
    NoRows,
    /// A per-row input does not have one entry per row of `x`.
    #[error("shape mismatch: {what} has length {found} but x has {expected} rows")]
    ShapeMismatch {
        /// Which input: "y", "w" or "offset".
        what: &'static str,
        /// The number of rows of `x`.
        expected: usize,
        /// The length found.
        found: usize,
    },
    /// A feature value is NaN or infinite.
    #[error("row {row} has a non-finite value in column {column}")]
    NonFiniteFeature {
        /// The row.
        row: usize,
        /// The column.
        column: usize,
    },
    /// A target is NaN or outside `[0, 1]`.
    #[error("targets must be in [0, 1] (row {row}: {value})")]
    TargetOutOfRange {
        /// The row.
        row: usize,
        /// The offending target.
        value: f64,
    },
    /// A weight is negative, NaN or infinite.
    #[error("weights must be non-negative and finite (row {row}: {value})")]
    InvalidWeight {
        /// The row.
        row: usize,
        /// The offending weight.
        value: f64,
    },
    /// An offset is NaN or infinite.
    #[error("offsets must be finite (row {row}: {value})")]
    NonFiniteOffset {
        /// The row.
        row: usize,
        /// The offending offset.
        value: f64,
    },
    /// Every weight is zero.
    #[error("all weight is zero")]
    AllWeightZero,
    /// The weights are finite but their sum overflows.
    #[error("the sum of the weights is not finite")]
    WeightSumOverflow,
    /// `l2` is negative, NaN or infinite.
    #[error("invalid params: l2 must be finite and >= 0 (got {0})")]
    InvalidL2(f64),
    /// `tol` is not a positive finite number.
    #[error("invalid params: tol must be finite and > 0 (got {0})")]
    InvalidTol(f64),
    /// `max_iter` is zero.
    #[error("invalid params: max_iter must be >= 1")]
    InvalidMaxIter,
    /// The arithmetic overflowed (e.g. features so large that `X' W X` is infinite).
    #[error("numerical failure at iteration {iteration}: {reason}")]
    Numerical {
        /// The Newton step at which it happened (0 = before the first step).
        iteration: usize,
        /// What was not finite or could not be solved.
        reason: &'static str,
    },
    /// An error from linfa (needed for linfa's `Fit` trait bound).
    #[error(transparent)]
    Linfa(#[from] linfa::Error),
}

/// Fits a weighted, L2-penalised logistic regression by Newton-Raphson / IRLS
/// (Hastie, Tibshirani & Friedman, ESL sec. 4.4.1; McCullagh & Nelder 1989).
///
/// The data: row-major features `x` (`n x k`, any memory layout), targets `y` in `[0, 1]`
/// (fractions allowed, e.g. wins / leads of a pattern), weights `w >= 0` (e.g. leads per
/// pattern) and optional offsets added to the linear predictor with coefficient one.
/// `k` may be zero (intercept-only model). Never panics: invalid input gives an error.
pub fn fit(
    x: ArrayView2<f64>,
    y: &[f64],
    w: &[f64],
    offset: Option<&[f64]>,
    params: &ValidLogitParams,
) -> Result<LogitModel, LogitError> {
    fit_from(x, y, w, offset, params, None)
}

/// [`fit`] from a starting point: `start` holds the intercept then the `k` slopes (of a nearby
/// fit, e.g. before a column was dropped). The optimum is the same (the objective is convex);
/// Newton's method gets there in fewer steps from nearby. A start of the wrong length or with
/// a value that is not finite is ignored.
pub fn fit_from(
    x: ArrayView2<f64>,
    y: &[f64],
    w: &[f64],
    offset: Option<&[f64]>,
    params: &ValidLogitParams,
    start: Option<&[f64]>,
) -> Result<LogitModel, LogitError> {
    let (n, k) = x.dim();
    if n == 0 {
        return Err(LogitError::NoRows);
    }
    let owned;
    let xs: &[f64] = match x.as_slice() {
        Some(s) => s,
        None => {
            owned = x.iter().copied().collect::<Vec<f64>>();
            &owned
        }
    };
    let data = Problem::new(xs, n, k, y, w, offset)?;
    let start = start.filter(|s| s.len() == k + 1 && s.iter().all(|v| v.is_finite()));
    data.solve(params, start)
}

impl<D: Data<Elem = f64>> linfa::traits::Fit<ArrayBase<D, Ix2>, Array1<bool>, LogitError>
    for ValidLogitParams
{
    type Object = LogitModel;

    /// Fits on a linfa dataset: `true` targets are the positive class (y = 1), and the
    /// dataset's weights (`Dataset::with_weights`) are used when present, else 1 per row.
    fn fit(
        &self,
        dataset: &linfa::DatasetBase<ArrayBase<D, Ix2>, Array1<bool>>,
    ) -> Result<LogitModel, LogitError> {
        let x = dataset.records().view();
        let y: Vec<f64> = dataset
            .targets()
            .iter()
            .map(|&t| if t { 1.0 } else { 0.0 })
            .collect();
        let w: Vec<f64> = match dataset.weights() {
            Some(ws) => ws.iter().map(|&v| f64::from(v)).collect(),
            None => vec![1.0; x.nrows()],
        };
        self::fit(x, &y, &w, None, self)
    }
}

/// The validated data of one fit.
struct Problem<'a> {
    x: &'a [f64],
    n: usize,
    k: usize,
    y: &'a [f64],
    w: &'a [f64],
    offset: Option<&'a [f64]>,
}

/// Per-chunk sums of one Newton pass: score `X~' w (y - p)` and the upper triangle of
/// `X~' W X~` (row-major, `dim x dim`).
struct NewtonSums {
    score: Vec<f64>,
    hess: Vec<f64>,
}

impl<'a> Problem<'a> {
    fn new(
        x: &'a [f64],
        n: usize,
        k: usize,
        y: &'a [f64],
        w: &'a [f64],
        offset: Option<&'a [f64]>,
    ) -> Result<Self, LogitError> {
        let shape = |what, found: usize| {
            if found == n {
                Ok(())
            } else {
                Err(LogitError::ShapeMismatch {
                    what,
                    expected: n,
                    found,
                })
            }
        };
        shape("y", y.len())?;
        shape("w", w.len())?;
        if let Some(o) = offset {
            shape("offset", o.len())?;
        }
        if x.len() != n.saturating_mul(k) {
            return Err(LogitError::ShapeMismatch {
                what: "x (values)",
                expected: n.saturating_mul(k),
                found: x.len(),
            });
        }
        // The first value that is not finite, looked for in parallel slices (in order).
        const SLICE: usize = 1 << 16;
        let first = |(c, part): (usize, &[f64])| {
            part.iter()
                .position(|v| !v.is_finite())
                .map(|j| c * SLICE + j)
        };
        let bad = if x.len() > PARALLEL_MIN_ROWS {
            x.par_chunks(SLICE).enumerate().find_map_first(first)
        } else {
            x.chunks(SLICE).enumerate().find_map(first)
        };
        if let Some(idx) = bad {
            // x is non-empty here, so k >= 1.
            return Err(LogitError::NonFiniteFeature {
                row: idx / k,
                column: idx % k,
            });
        }
        if let Some((row, &value)) = y
            .iter()
            .enumerate()
            .find(|(_, v)| !(**v >= 0.0 && **v <= 1.0))
        {
            return Err(LogitError::TargetOutOfRange { row, value });
        }
        if let Some((row, &value)) = w
            .iter()
            .enumerate()
            .find(|(_, v)| !(v.is_finite() && **v >= 0.0))
        {
            return Err(LogitError::InvalidWeight { row, value });
        }
        if let Some(o) = offset
            && let Some((row, &value)) = o.iter().enumerate().find(|(_, v)| !v.is_finite())
        {
            return Err(LogitError::NonFiniteOffset { row, value });
        }
        let total: f64 = w.iter().sum();
        if !total.is_finite() {
            return Err(LogitError::WeightSumOverflow);
        }
        if total <= 0.0 {
            return Err(LogitError::AllWeightZero);
        }
        Ok(Problem {
            x,
            n,
            k,
            y,
            w,
            offset,
        })
    }

    fn dim(&self) -> usize {
        self.k + 1
    }

    /// Features of row `i`.
    fn row(&self, i: usize) -> &[f64] {
        &self.x[i * self.k..(i + 1) * self.k]
    }

    /// Linear predictor `offset_i + b0 + x_i · b` for `beta = [b0, b...]`.
    fn eta(&self, i: usize, beta: &[f64]) -> f64 {
        let off = self.offset.map_or(0.0, |o| o[i]);
        off + beta[0] + dot(self.row(i), &beta[1..])
    }

    /// Applies `f` to fixed chunks of rows, in parallel above [`PARALLEL_MIN_ROWS`] rows;
    /// the results come back in chunk order either way.
    fn map_chunks<T, F>(&self, f: F) -> Vec<T>
    where
        T: Send,
        F: Fn(Range<usize>) -> T + Sync + Send,
    {
        let n = self.n;
        let chunks = n.div_ceil(CHUNK_ROWS);
        let range = |c: usize| c * CHUNK_ROWS..n.min((c + 1) * CHUNK_ROWS);
        if n > PARALLEL_MIN_ROWS {
            (0..chunks).into_par_iter().map(|c| f(range(c))).collect()
        } else {
            (0..chunks).map(|c| f(range(c))).collect()
        }
    }

    /// Weighted negative log-likelihood (the unpenalised part of the objective) at the point
    /// whose linear predictors are `eta`.
    fn loss(&self, eta: &[f64]) -> f64 {
        let parts = self.map_chunks(|rows| {
            let mut s = 0.0;
            for i in rows {
                let wi = self.w[i];
                if wi == 0.0 {
                    continue;
                }
                s += wi * nll(eta[i], self.y[i]);
            }
            s
        });
        parts.iter().sum()
    }

    /// Every row's linear predictor at `beta` (computed once per `beta`: the objective and the
    /// Newton sums at the same point share it).
    #[cfg(test)]
    fn etas(&self, beta: &[f64]) -> Vec<f64> {
        let mut eta = Vec::new();
        self.etas_into(beta, &mut eta);
        eta
    }

    /// [`Problem::etas`] written into `out` (its memory reused from one point to the next:
    /// at millions of rows a fresh vector per point is a fresh mapping to fault in). When
    /// every slope is zero (the intercept-only start) the features are not read: `eta` is
    /// `offset + b0`, as the dot product of finite features with zeros adds a zero.
    fn etas_into(&self, beta: &[f64], out: &mut Vec<f64>) {
        // Every slot is written below: no pass clearing it first (only new slots are zeroed).
        out.resize(self.n, 0.0);
        let slopes = beta[1..].iter().any(|&b| b != 0.0);
        let fill = |(c, part): (usize, &mut [f64])| {
            let lo = c * CHUNK_ROWS;
            for (j, e) in part.iter_mut().enumerate() {
                let i = lo + j;
                *e = if slopes {
                    self.eta(i, beta)
                } else {
                    self.offset.map_or(0.0, |o| o[i]) + beta[0]
                };
            }
        };
        if self.n > PARALLEL_MIN_ROWS {
            out.par_chunks_mut(CHUNK_ROWS).enumerate().for_each(fill);
        } else {
            out.chunks_mut(CHUNK_ROWS).enumerate().for_each(fill);
        }
    }

    /// Score `X~' w (y - p)` and upper triangle of `X~' W X~` at the point whose linear
    /// predictors are `eta`.
    fn newton_sums(&self, eta: &[f64]) -> NewtonSums {
        let d = self.dim();
        let add_block = block_adder();
        let parts = self.map_chunks(|rows| {
            let mut score = vec![0.0; d];
            let mut hess = vec![0.0; d * d];
            // Rows are added to the Hessian four at a time (a rank-4 update), which reads and
            // writes each Hessian entry once per four rows instead of once per row. The
            // block holds X~ rows; `s` their weights w p (1 - p) (0 for unused slots).
            let mut block = vec![0.0; BLOCK * d];
            let mut s = [0.0; BLOCK];
            let mut filled = 0;
            for i in rows {
                let wi = self.w[i];
                if wi == 0.0 {
                    continue;
                }
                let xt = &mut block[filled * d..(filled + 1) * d];
                xt[0] = 1.0;
                xt[1..].copy_from_slice(self.row(i));
                let (p, one_minus_p, v) = prob_parts(eta[i]);
                // y - p = y (1 - p) - (1 - y) p, accurate when p rounds to 0 or 1.
                let yi = self.y[i];
                let r = wi * (yi * one_minus_p - (1.0 - yi) * p);
                for (g, &xa) in score.iter_mut().zip(xt.iter()) {
                    *g += r * xa;
                }
                s[filled] = wi * v;
                filled += 1;
                if filled == BLOCK {
                    add_block(&mut hess, &block, &s, d);
                    filled = 0;
                }
            }
            if filled > 0 {
                s[filled..].fill(0.0);
                block[filled * d..].fill(0.0);
                add_block(&mut hess, &block, &s, d);
            }
            NewtonSums { score, hess }
        });
        let mut total = NewtonSums {
            score: vec![0.0; d],
            hess: vec![0.0; d * d],
        };
        for part in &parts {
            for (t, p) in total.score.iter_mut().zip(&part.score) {
                *t += p;
            }
            for (t, p) in total.hess.iter_mut().zip(&part.hess) {
                *t += p;
            }
        }
        // Mirror the upper triangle into the lower one.
        for a in 0..d {
            for b in 0..a {
                total.hess[a * d + b] = total.hess[b * d + a];
            }
        }
        total
    }

    /// Penalised objective and its likelihood part at `beta`, its linear predictors left in
    /// `eta`.
    fn objective(&self, beta: &[f64], l2: f64, eta: &mut Vec<f64>) -> (f64, f64) {
        self.etas_into(beta, eta);
        let loss = self.loss(eta);
        let penalty = 0.5 * l2 * dot(&beta[1..], &beta[1..]);
        (loss + penalty, loss)
    }

    /// Weighted mean of the targets.
    fn mean_target(&self) -> f64 {
        let (mut sy, mut sw) = (0.0, 0.0);
        for (&yi, &wi) in self.y.iter().zip(self.w) {
            sy += wi * yi;
            sw += wi;
        }
        sy / sw
    }

    fn solve(
        &self,
        params: &ValidLogitParams,
        start: Option<&[f64]>,
    ) -> Result<LogitModel, LogitError> {
        let (l2, tol, max_iter) = (params.l2(), params.tol(), params.max_iter());
        let d = self.dim();
        let mut beta = vec![0.0; d];
        // Start from the intercept-only fit (ignoring offsets) when it is finite.
        let ybar = self.mean_target();
        if ybar > 0.0 && ybar < 1.0 {
            beta[0] = (ybar / (1.0 - ybar)).ln();
        }
        // The linear predictors at `beta`, and at the point being tried.
        let (mut eta, mut other) = (Vec::new(), Vec::new());
        let (mut f, mut loss) = self.objective(&beta, l2, &mut eta);
        // A given start is taken when it is at least as good.
        if let Some(start) = start {
            let (fs, ls) = self.objective(start, l2, &mut other);
            if fs.is_finite() && fs <= f {
                beta = start.to_vec();
                (f, loss) = (fs, ls);
                std::mem::swap(&mut eta, &mut other);
            }
        }
        if !f.is_finite() {
            beta[0] = 0.0;
            (f, loss) = self.objective(&beta, l2, &mut eta);
        }
        if !f.is_finite() {
            return Err(LogitError::Numerical {
                iteration: 0,
                reason: "objective at the starting point is not finite",
            });
        }
        let mut iterations = 0;
        let mut converged = false;
        let mut last_full_step: Option<f64> = None;
        while iterations < max_iter {
            let NewtonSums {
                mut score,
                hess: mut h,
            } = self.newton_sums(&eta);
            for j in 1..d {
                h[j * d + j] += l2;
                score[j] -= l2 * beta[j];
            }
            if !(h.iter().all(|v| v.is_finite()) && score.iter().all(|v| v.is_finite())) {
                return Err(LogitError::Numerical {
                    iteration: iterations,
                    reason: "gradient or Hessian is not finite",
                });
            }
            let delta = match solve_spd(&h, &score, d) {
                Solve::Ok(delta) => delta,
                // Every w p (1 - p) underflowed and there is no penalty: the likelihood is
                // saturated (perfect separation); the estimate is at infinity.
                Solve::Saturated => break,
                Solve::Failed => {
                    return Err(LogitError::Numerical {
                        iteration: iterations,
                        reason: "Newton system could not be solved",
                    });
                }
            };
            iterations += 1;
            let max_delta = delta.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
            if !max_delta.is_finite() {
                return Err(LogitError::Numerical {
                    iteration: iterations,
                    reason: "Newton step is not finite",
                });
            }
            // Step halving on the objective.
            let mut t = 1.0;
            let mut accepted = None;
            for _ in 0..MAX_HALVINGS {
                let trial: Vec<f64> = beta.iter().zip(&delta).map(|(b, s)| b + t * s).collect();
                let (ft, lt) = self.objective(&trial, l2, &mut other);
                if ft.is_finite() && ft <= f + LINE_SEARCH_SLACK * f.abs() {
                    accepted = Some((trial, ft, lt));
                    break;
                }
                t *= 0.5;
            }
            // No step lowers the objective: the fit has stalled at rounding level.
            let Some((trial, ft, lt)) = accepted else {
                break;
            };
            let rel_change = (f - ft).abs() / f.abs().max(f64::MIN_POSITIVE);
            beta = trial;
            f = ft;
            loss = lt;
            std::mem::swap(&mut eta, &mut other);
            if max_delta < tol {
                converged = true;
                break;
            }
            // Two full Newton steps in the quadratic regime predict the next one:
            // |delta_{k+1}| ~ (|delta_k| / |delta_{k-1}|^2) |delta_k|^2. When that is below
            // `tol`, the step just taken already left the iterate within `tol` of the optimum,
            // and a further pass over the rows would only confirm it.
            if t == 1.0
                && let Some(previous) = last_full_step
            {
                let predicted = max_delta / (previous * previous) * max_delta * max_delta;
                if max_delta < 0.1 * previous && predicted < tol {
                    converged = true;
                    break;
                }
            }
            last_full_step = (t == 1.0).then_some(max_delta);
            if rel_change < REL_OBJECTIVE_TOL {
                // Only a full Newton step counts; a tiny halved step that changes nothing
                // means the fit stalled.
                converged = t == 1.0;
                break;
            }
        }
        // A likelihood part that has underflowed (zero or subnormal, with positive weight)
        // means every fitted probability saturated at 0 or 1: perfect separation, the
        // estimate is at infinity. No fit with a finite optimum gets there (it would need
        // every row to have |eta| > ~708 on the side of its target).
        if loss < f64::MIN_POSITIVE {
            converged = false;
        }
        if !(beta.iter().all(|v| v.is_finite()) && f.is_finite()) {
            return Err(LogitError::Numerical {
                iteration: iterations,
                reason: "coefficients are not finite",
            });
        }
        Ok(LogitModel {
            intercept: beta[0],
            coefficients: beta[1..].to_vec(),
            iterations,
            converged,
            objective: f,
        })
    }
}

/// Rows per rank-`BLOCK` Hessian update in [`add_block`].
const BLOCK: usize = 4;

/// [`add_block`] for this CPU: compiled for AVX2 when the CPU has it (wider vectors, the same
/// operations in the same order per entry, so the same result to the bit), else portable.
fn block_adder() -> fn(&mut [f64], &[f64], &[f64; BLOCK], usize) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        return |hess, block, s, d| {
            // SAFETY: the CPU supports AVX2, checked just above.
            unsafe { add_block_avx2(hess, block, s, d) }
        };
    }
    add_block
}

/// [`add_block`] compiled with AVX2 enabled.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn add_block_avx2(hess: &mut [f64], block: &[f64], s: &[f64; BLOCK], d: usize) {
    add_block(hess, block, s, d)
}

/// Adds `sum_r s[r] * x_r x_r'` (upper triangle) to `hess` for the [`BLOCK`] rows `x_r` of
/// `block` (row-major, `BLOCK x d`).
#[inline(always)]
fn add_block(hess: &mut [f64], block: &[f64], s: &[f64; BLOCK], d: usize) {
    let (x0, rest) = block.split_at(d);
    let (x1, rest) = rest.split_at(d);
    let (x2, x3) = rest.split_at(d);
    for a in 0..d {
        let (c0, c1, c2, c3) = (s[0] * x0[a], s[1] * x1[a], s[2] * x2[a], s[3] * x3[a]);
        if c0 == 0.0 && c1 == 0.0 && c2 == 0.0 && c3 == 0.0 {
            continue;
        }
        let hrow = &mut hess[a * d + a..(a + 1) * d];
        let cols = hrow
            .iter_mut()
            .zip(&x0[a..])
            .zip(&x1[a..])
            .zip(&x2[a..])
            .zip(&x3[a..]);
        for ((((h, &v0), &v1), &v2), &v3) in cols {
            *h += c0 * v0 + c1 * v1 + c2 * v2 + c3 * v3;
        }
    }
}

/// `a · b` summed left to right.
fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).fold(0.0, |s, (x, y)| s + x * y)
}

/// Logistic function without overflow.
fn sigmoid(eta: f64) -> f64 {
    prob_and_var(eta).0
}

/// `(p, p (1 - p))` for `p = sigmoid(eta)`, both computed without cancellation.
fn prob_and_var(eta: f64) -> (f64, f64) {
    let (p, _, v) = prob_parts(eta);
    (p, v)
}

/// `(p, 1 - p, p (1 - p))` for `p = sigmoid(eta)`: `1 - p` is computed directly (not by
/// subtraction), so it stays accurate when `p` rounds to 1.
fn prob_parts(eta: f64) -> (f64, f64, f64) {
    let e = (-eta.abs()).exp();
    let q = 1.0 / (1.0 + e);
    let (p, one_minus_p) = if eta >= 0.0 { (q, e * q) } else { (e * q, q) };
    (p, one_minus_p, e * q * q)
}

/// `-y log p - (1 - y) log(1 - p)` for `p = sigmoid(eta)`, computed stably:
/// `-log p = softplus(-eta)` and `-log(1 - p) = softplus(eta)`.
fn nll(eta: f64, y: f64) -> f64 {
    let l = (-eta.abs()).exp().ln_1p();
    let neg_log_p = (-eta).max(0.0) + l;
    let neg_log_q = eta.max(0.0) + l;
    if y == 0.0 {
        neg_log_q
    } else if y == 1.0 {
        neg_log_p
    } else {
        y * neg_log_p + (1.0 - y) * neg_log_q
    }
}

/// Result of solving the symmetric positive (semi-)definite Newton system.
enum Solve {
    Ok(Vec<f64>),
    /// The matrix is entirely zero (trace 0).
    Saturated,
    /// Not positive definite even with the largest ridge.
    Failed,
}

/// Solves `a x = b` for a symmetric `d x d` matrix `a` (row-major) by Cholesky; when `a` is not
/// numerically positive definite, retries with a ridge `factor * trace / d` added to the
/// diagonal, `factor` = 1e-10 first.
fn solve_spd(a: &[f64], b: &[f64], d: usize) -> Solve {
    if let Some(x) = cholesky_solve(a, b, d, 0.0) {
        return Solve::Ok(x);
    }
    let trace: f64 = (0..d).map(|j| a[j * d + j]).sum();
    if !trace.is_finite() {
        return Solve::Failed;
    }
    if trace <= 0.0 {
        return Solve::Saturated;
    }
    for factor in RIDGE_FACTORS {
        if let Some(x) = cholesky_solve(a, b, d, factor * trace / d as f64) {
            return Solve::Ok(x);
        }
    }
    Solve::Failed
}

/// Solves `a x = b` for a symmetric positive definite `d x d` matrix `a` (row-major), with the
/// same Cholesky and ridge fallback as the Newton steps; `None` when even that fails.
pub fn solve_symmetric(a: &[f64], b: &[f64], d: usize) -> Option<Vec<f64>> {
    match solve_spd(a, b, d) {
        Solve::Ok(x) => Some(x),
        Solve::Saturated | Solve::Failed => None,
    }
}

/// Dense Cholesky `a + ridge I = L L'` then forward / back substitution. `None` when a pivot is
/// not positive (relative to its diagonal entry) or not finite.
fn cholesky_solve(a: &[f64], b: &[f64], d: usize, ridge: f64) -> Option<Vec<f64>> {
    let mut l = vec![0.0; d * d];
    for j in 0..d {
        let diag = a[j * d + j] + ridge;
        let s = diag - dot(&l[j * d..j * d + j], &l[j * d..j * d + j]);
        if !(s > 0.0 && s > REL_PIVOT_TOL * diag && s.is_finite()) {
            return None;
        }
        let ljj = s.sqrt();
        l[j * d + j] = ljj;
        for i in j + 1..d {
            let s = a[i * d + j] - dot(&l[i * d..i * d + j], &l[j * d..j * d + j]);
            l[i * d + j] = s / ljj;
        }
    }
    // L z = b
    let mut z = vec![0.0; d];
    for i in 0..d {
        z[i] = (b[i] - dot(&l[i * d..i * d + i], &z[..i])) / l[i * d + i];
    }
    // L' x = z
    let mut x = vec![0.0; d];
    for i in (0..d).rev() {
        let mut s = z[i];
        for r in i + 1..d {
            s -= l[r * d + i] * x[r];
        }
        x[i] = s / l[i * d + i];
    }
    x.iter().all(|v| v.is_finite()).then_some(x)
}

#[cfg(test)]
mod tests;
