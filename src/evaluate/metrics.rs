//! Evaluation metrics for lead scores over **weighted** observations.
//!
//! Leads are grouped into patterns, so every function takes `&[Obs]`, where one
//! [`Obs`] is a group of leads sharing one score: `wins` of them converted and
//! `losses` did not. A single lead is `Obs { score, wins: 1.0, losses: 0.0 }` or
//! `Obs { score, wins: 0.0, losses: 1.0 }`. Weights may be fractional.
//!
//! # Input conventions (shared by every function; nothing here panics)
//!
//! * An `Obs` with `wins + losses == 0` holds no leads and is ignored entirely,
//!   whatever its score (even NaN).
//! * An `Obs` with a NaN score, or a negative / NaN / infinite `wins` or
//!   `losses`, makes the whole input invalid: scalar metrics return NaN
//!   (`ks` returns `(NaN, NaN)`), [`bands`] returns an empty `Vec`, [`psi`]
//!   returns `(NaN, vec![])` and [`isotonic`] returns an empty [`Calibration`].
//!   Invalid data is reported, never silently dropped.
//! * Infinite scores are allowed where only the order of scores matters
//!   ([`auc`], [`gini`], [`ks`], [`bands`], [`isotonic`], [`psi`] values).
//! * The probability metrics ([`brier`], [`log_loss`], [`ece`]) additionally
//!   require every score to lie in `[0, 1]`; otherwise they return NaN.
//! * Equal scores are always treated as one tie group (`-0.0 == 0.0`).

use serde::{Deserialize, Serialize};

/// A group of leads with the same score: `wins` converted, `losses` did not.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Obs {
    pub score: f64,
    pub wins: f64,
    pub losses: f64,
}

/// One row of the lift table returned by [`bands`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Band {
    /// 1 = highest scores; numbered consecutively after empty bands are dropped.
    pub band: usize,
    /// Lowest score in the band.
    pub score_low: f64,
    /// Highest score in the band.
    pub score_high: f64,
    /// Leads (sum of wins + losses) in the band.
    pub leads: f64,
    /// Wins in the band.
    pub wins: f64,
    /// `wins / leads`.
    pub rate: f64,
    /// Lower end of the 95% Wilson interval for `rate`.
    pub rate_low: f64,
    /// Upper end of the 95% Wilson interval for `rate`.
    pub rate_high: f64,
    /// Lead-weighted mean score in the band.
    pub predicted: f64,
    /// `rate / overall rate` (NaN when there are no wins at all).
    pub lift: f64,
    /// Wins in this and all higher bands / all wins (NaN when there are no wins).
    pub cumulative_wins_share: f64,
    /// Win rate of this and all higher bands / overall rate (NaN when no wins).
    pub cumulative_lift: f64,
}

/// A fitted isotonic calibration map: blocks sorted by score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    pub points: Vec<CalibrationPoint>,
}

/// One block of the isotonic step function.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CalibrationPoint {
    /// Lowest observed score in the block.
    pub score_low: f64,
    /// Highest observed score in the block.
    pub score_high: f64,
    /// Smoothed probability of a win for scores in the block, in (0, 1).
    pub probability: f64,
    /// Leads in the block.
    pub leads: f64,
}

// ---------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------

/// Log-loss clipping bound for probabilities.
const LOG_LOSS_EPS: f64 = 1e-15;
/// Floor applied to bin shares inside the PSI sum.
const PSI_FLOOR: f64 = 1e-4;
/// Pseudo-leads of the prior used to smooth calibration probabilities.
const PRIOR_LEADS: f64 = 2.0;

/// A tie group: all leads with one distinct score.
#[derive(Debug, Clone, Copy)]
struct Group {
    score: f64,
    wins: f64,
    leads: f64,
}

fn valid_weight(x: f64) -> bool {
    x.is_finite() && x >= 0.0
}

/// Drops empty observations; `None` if any remaining observation is invalid.
fn clean(obs: &[Obs]) -> Option<Vec<Obs>> {
    let mut out = Vec::with_capacity(obs.len());
    for o in obs {
        if !valid_weight(o.wins) || !valid_weight(o.losses) {
            return None;
        }
        let leads = o.wins + o.losses;
        if leads == 0.0 {
            continue;
        }
        if o.score.is_nan() || !leads.is_finite() {
            return None;
        }
        out.push(*o);
    }
    Some(out)
}

/// Like [`clean`] but also requires every score to be a probability in [0, 1].
fn clean_probabilities(obs: &[Obs]) -> Option<Vec<Obs>> {
    let c = clean(obs)?;
    if c.iter().all(|o| (0.0..=1.0).contains(&o.score)) {
        Some(c)
    } else {
        None
    }
}

/// Valid observations merged into tie groups, sorted by ascending score.
fn sorted_groups(obs: &[Obs]) -> Option<Vec<Group>> {
    let mut c = clean(obs)?;
    c.sort_by(|a, b| a.score.total_cmp(&b.score));
    let mut groups: Vec<Group> = Vec::with_capacity(c.len());
    for o in c {
        match groups.last_mut() {
            // `==` (not total_cmp) so that -0.0 and 0.0 form one group; they
            // are adjacent after a total_cmp sort.
            Some(g) if g.score == o.score => {
                g.wins += o.wins;
                g.leads += o.wins + o.losses;
            }
            _ => groups.push(Group {
                score: o.score,
                wins: o.wins,
                leads: o.wins + o.losses,
            }),
        }
    }
    Some(groups)
}

/// Wilson score interval for `w` successes in `n > 0` trials, clamped to [0, 1].
fn wilson(w: f64, n: f64) -> (f64, f64) {
    // The one Wilson interval (exactly 0 with no wins and 1 with all, where the formula leaves
    // a rounding residue that put a band's lower bound above its rate of 0).
    crate::stats::wilson_interval(w, n, crate::stats::Z95)
}

// ---------------------------------------------------------------------------
// Ranking metrics
// ---------------------------------------------------------------------------

/// Area under the ROC curve, computed as the Mann-Whitney statistic:
///
/// `AUC = P(s_win > s_loss) + 0.5 * P(s_win = s_loss)`
///      `= Σ_g W_g (L_{<g} + 0.5 L_g) / (W L)`
///
/// where `g` runs over distinct scores, `W_g`, `L_g` are the wins and losses at
/// that score, `L_{<g}` the losses at lower scores and `W`, `L` the totals.
/// One sort, then one pass: O(n log n).
///
/// References: Mann & Whitney (1947), *Ann. Math. Statist.* 18(1):50–60;
/// Hanley & McNeil (1982), "The meaning and use of the area under a receiver
/// operating characteristic (ROC) curve", *Radiology* 143:29–36.
///
/// Returns NaN if there are no wins or no losses, or the input is invalid
/// (see the module docs).
pub fn auc(obs: &[Obs]) -> f64 {
    let Some(groups) = sorted_groups(obs) else {
        return f64::NAN;
    };
    let total_wins: f64 = groups.iter().map(|g| g.wins).sum();
    let total_losses: f64 = groups.iter().map(|g| g.leads - g.wins).sum();
    if total_wins <= 0.0 || total_losses <= 0.0 {
        return f64::NAN;
    }
    let mut losses_below = 0.0;
    let mut concordant = 0.0;
    for g in &groups {
        let losses = g.leads - g.wins;
        concordant += g.wins * (losses_below + 0.5 * losses);
        losses_below += losses;
    }
    concordant / (total_wins * total_losses)
}

/// Gini coefficient (accuracy ratio, Somers' D of score vs outcome):
/// `Gini = 2 AUC - 1`.
///
/// References: Somers (1962), *Am. Sociol. Rev.* 27(6):799–811; Engelmann,
/// Hayden & Tasche (2003), "Testing rating accuracy", *Risk* 16(1):82–86
/// (proof that AR = 2 AUC - 1).
///
/// NaN exactly when [`auc`] is NaN.
pub fn gini(obs: &[Obs]) -> f64 {
    2.0 * auc(obs) - 1.0
}

/// Kolmogorov-Smirnov statistic between the score distributions of wins and
/// losses:
///
/// `KS = max_s |F_wins(s) - F_losses(s)|`, `F_x(s) = (weight of x with score <= s) / (total weight of x)`
///
/// Thresholds are taken only between distinct scores, so a tie group is never
/// split. Returns `(ks, s)` where `s` is the **lowest** distinct score at
/// which the maximum is reached, i.e. the best split is `score <= s` vs
/// `score > s`. The comparison is made on `|cw·L - cl·W|` (exact for integer
/// weights) so ties between thresholds are resolved deterministically.
///
/// References: Kolmogorov (1933), *Giorn. Ist. Ital. Attuari* 4:83–91;
/// Smirnov (1948), *Ann. Math. Statist.* 19(2):279–281; for its use in
/// scoring, Thomas, Edelman & Crook (2002), *Credit Scoring and Its
/// Applications*, SIAM, §7.
///
/// Returns `(NaN, NaN)` if there are no wins or no losses, or invalid input.
pub fn ks(obs: &[Obs]) -> (f64, f64) {
    let Some(groups) = sorted_groups(obs) else {
        return (f64::NAN, f64::NAN);
    };
    let total_wins: f64 = groups.iter().map(|g| g.wins).sum();
    let total_losses: f64 = groups.iter().map(|g| g.leads - g.wins).sum();
    if total_wins <= 0.0 || total_losses <= 0.0 {
        return (f64::NAN, f64::NAN);
    }
    let (mut cw, mut cl) = (0.0, 0.0);
    let mut best = -1.0;
    let mut best_score = f64::NAN;
    for g in &groups {
        cw += g.wins;
        cl += g.leads - g.wins;
        let d = (cw * total_losses - cl * total_wins).abs();
        if d > best {
            best = d;
            best_score = g.score;
        }
    }
    ((best / (total_wins * total_losses)).min(1.0), best_score)
}

// ---------------------------------------------------------------------------
// Probability metrics
// ---------------------------------------------------------------------------

/// Brier score: weighted mean squared error of the predicted probability,
///
/// `Brier = Σ_i [W_i (p_i - 1)² + L_i p_i²] / Σ_i (W_i + L_i)`
///
/// where `p_i = obs[i].score`. Lower is better; 0 is perfect.
///
/// Reference: Brier (1950), "Verification of forecasts expressed in terms of
/// probability", *Monthly Weather Review* 78(1):1–3.
///
/// NaN if there are no leads, a score is outside [0, 1], or input is invalid.
pub fn brier(obs: &[Obs]) -> f64 {
    let Some(c) = clean_probabilities(obs) else {
        return f64::NAN;
    };
    let (mut sum, mut n) = (0.0, 0.0);
    for o in &c {
        let p = o.score;
        sum += o.wins * (p - 1.0) * (p - 1.0) + o.losses * p * p;
        n += o.wins + o.losses;
    }
    if n > 0.0 { sum / n } else { f64::NAN }
}

/// Log loss (cross-entropy): weighted mean of `-[y ln p + (1 - y) ln(1 - p)]`,
///
/// `LogLoss = Σ_i [-W_i ln p_i - L_i ln(1 - p_i)] / Σ_i (W_i + L_i)`,
///
/// with `p_i` clipped to `[1e-15, 1 - 1e-15]` so that a confident mistake
/// costs at most `-ln(1e-15) ≈ 34.54` per lead instead of infinity.
///
/// Reference: Good (1952), "Rational decisions", *J. R. Stat. Soc. B*
/// 14(1):107–114.
///
/// NaN if there are no leads, a score is outside [0, 1], or input is invalid.
pub fn log_loss(obs: &[Obs]) -> f64 {
    let Some(c) = clean_probabilities(obs) else {
        return f64::NAN;
    };
    let (mut sum, mut n) = (0.0, 0.0);
    for o in &c {
        // Clipping p to [eps, 1 - eps] is applied as p >= eps in the win term and
        // 1 - p >= eps in the loss term: the same thing, but exact in floating
        // point (1 - (1 - 1e-15) is not 1e-15 in f64).
        // Zero-weight terms are skipped so that 0 * ln(..) never matters.
        if o.wins > 0.0 {
            sum -= o.wins * o.score.max(LOG_LOSS_EPS).ln();
        }
        if o.losses > 0.0 {
            sum -= o.losses * (1.0 - o.score).max(LOG_LOSS_EPS).ln();
        }
        n += o.wins + o.losses;
    }
    if n > 0.0 { sum / n } else { f64::NAN }
}

// ---------------------------------------------------------------------------
// Lift table and calibration error
// ---------------------------------------------------------------------------

/// Lift (gains) table by quantile band of score; band 1 holds the **highest**
/// scores.
///
/// Assignment: tie groups are sorted by descending score; with `N` total
/// leads and `C` leads in higher-scored groups, a group of `n` leads goes to
/// nominal band `floor(q (C + n/2) / N)` (0-based, capped at `q - 1`), i.e.
/// the band that contains the group's middle lead. A tie group is therefore
/// never split, and a band may hold more or fewer than `N/q` leads. Empty
/// bands are dropped and the rest renumbered `1..=k` (`k <= q`), so band 1 is
/// always the top band.
///
/// Per band: `rate = wins / leads`; 95% Wilson interval with
/// `z = 1.959963984540054`:
/// `centre = (w + z²/2) / (n + z²)`,
/// `half = z / (n + z²) · sqrt(w (n - w) / n + z²/4)`,
/// `rate_low/high = centre ∓ half` (clamped to [0, 1]);
/// `predicted = Σ score·leads / Σ leads`; `lift = rate / (W / N)`;
/// `cumulative_wins_share = Σ_{b' <= b} wins / W`;
/// `cumulative_lift = (Σ_{b' <= b} wins / Σ_{b' <= b} leads) / (W / N)`.
/// When there are no wins at all (`W = 0`), `lift`, `cumulative_wins_share`
/// and `cumulative_lift` are NaN.
///
/// References: Wilson (1927), "Probable inference, the law of succession, and
/// statistical inference", *JASA* 22(158):209–212; Ling & Li (1998), "Data
/// mining for direct marketing: problems and solutions", *KDD-98*, 73–79
/// (lift / gains tables).
///
/// Returns an empty `Vec` when `q == 0`, there are no leads, or input is invalid.
pub fn bands(obs: &[Obs], q: usize) -> Vec<Band> {
    if q == 0 {
        return Vec::new();
    }
    let Some(mut groups) = sorted_groups(obs) else {
        return Vec::new();
    };
    groups.reverse(); // highest score first
    let total_leads: f64 = groups.iter().map(|g| g.leads).sum();
    let total_wins: f64 = groups.iter().map(|g| g.wins).sum();
    if groups.is_empty() || total_leads.is_nan() || total_leads <= 0.0 {
        return Vec::new();
    }
    let overall_rate = total_wins / total_leads;
    let qf = q as f64;

    // Nominal band index of every group (non-decreasing along `groups`).
    let mut before = 0.0;
    let mut index = Vec::with_capacity(groups.len());
    for g in &groups {
        let mid = before + g.leads / 2.0;
        let b = (qf * mid / total_leads).floor();
        // `as usize` saturates (NaN -> 0), so this cannot panic.
        index.push((b.max(0.0) as usize).min(q - 1));
        before += g.leads;
    }

    let mut out: Vec<Band> = Vec::new();
    let (mut cum_wins, mut cum_leads) = (0.0, 0.0);
    let mut start = 0;
    while start < groups.len() {
        let mut end = start;
        while end < groups.len() && index[end] == index[start] {
            end += 1;
        }
        let members = &groups[start..end];
        let leads: f64 = members.iter().map(|g| g.leads).sum();
        let wins: f64 = members.iter().map(|g| g.wins).sum();
        let weighted_score: f64 = members.iter().map(|g| g.score * g.leads).sum();
        let rate = wins / leads;
        let (rate_low, rate_high) = wilson(wins, leads);
        cum_wins += wins;
        cum_leads += leads;
        let (lift, cumulative_wins_share, cumulative_lift) = if total_wins > 0.0 {
            (
                rate / overall_rate,
                cum_wins / total_wins,
                (cum_wins / cum_leads) / overall_rate,
            )
        } else {
            (f64::NAN, f64::NAN, f64::NAN)
        };
        out.push(Band {
            band: out.len() + 1,
            // groups are in descending score order
            score_low: members[members.len() - 1].score,
            score_high: members[0].score,
            leads,
            wins,
            rate,
            rate_low,
            rate_high,
            predicted: weighted_score / leads,
            lift,
            cumulative_wins_share,
            cumulative_lift,
        });
        start = end;
    }
    out
}

/// Expected calibration error over the quantile bands of [`bands`]:
///
/// `ECE = Σ_b (n_b / N) · |observed_rate_b - mean_predicted_b|`
///
/// where `n_b` is the band's leads, `observed_rate_b = wins_b / n_b` and
/// `mean_predicted_b` the lead-weighted mean score in the band. Bands are
/// equal-mass (quantile) bins with tie groups kept whole, not equal-width
/// bins. Scores must be probabilities in [0, 1].
///
/// Reference: Naeini, Cooper & Hauskrecht (2015), "Obtaining well calibrated
/// probabilities using Bayesian binning", *AAAI-15*, 2901–2907.
///
/// NaN when `q == 0`, there are no leads, a score is outside [0, 1], or input
/// is invalid. Defined (not NaN) for all-win or all-loss data.
pub fn ece(obs: &[Obs], q: usize) -> f64 {
    let Some(c) = clean_probabilities(obs) else {
        return f64::NAN;
    };
    let rows = bands(&c, q);
    let total: f64 = rows.iter().map(|b| b.leads).sum();
    if rows.is_empty() || total.is_nan() || total <= 0.0 {
        return f64::NAN;
    }
    rows.iter()
        .map(|b| b.leads / total * (b.rate - b.predicted).abs())
        .sum()
}

// ---------------------------------------------------------------------------
// Population stability index
// ---------------------------------------------------------------------------

/// Drops zero-weight pairs; `None` on a NaN value or a negative / non-finite weight.
fn clean_pairs(v: &[(f64, f64)]) -> Option<Vec<(f64, f64)>> {
    let mut out = Vec::with_capacity(v.len());
    for &(x, w) in v {
        if !valid_weight(w) {
            return None;
        }
        if w == 0.0 {
            continue;
        }
        if x.is_nan() {
            return None;
        }
        out.push((x, w));
    }
    Some(out)
}

/// Interior cut points at the weighted deciles of `values` (sorted ascending).
/// Decile `j` is the smallest value whose cumulative weight share is `>= j/10`.
/// Duplicates and cuts at or above the maximum are dropped, so every bin
/// `(c_{i-1}, c_i]` holds some of `values`.
fn decile_cuts(values: &[(f64, f64)]) -> Vec<f64> {
    let total: f64 = values.iter().map(|p| p.1).sum();
    let max = values.last().map_or(f64::NAN, |p| p.0);
    let mut cuts: Vec<f64> = Vec::with_capacity(9);
    let mut cum = 0.0;
    let mut j = 1;
    for &(x, w) in values {
        cum += w;
        // compare cum / total >= j / 10 without dividing
        while j <= 9 && cum * 10.0 >= (j as f64) * total {
            if x < max && cuts.last() != Some(&x) {
                cuts.push(x);
            }
            j += 1;
        }
    }
    cuts
}

/// PSI ([`psi`]) from the weight of each bin in the expected and actual samples (the same
/// bins in both) and their total weights: `sum_i (a_i - e_i) ln(a_i / e_i)` over the shares
/// `e_i = we_i / total_e` and `a_i = wa_i / total_a`, each floored at 1e-4. NaN when either
/// total is not a positive finite number.
pub fn psi_of_bins(we: &[f64], wa: &[f64], total_e: f64, total_a: f64) -> f64 {
    if !(total_e > 0.0 && total_a > 0.0 && total_e.is_finite() && total_a.is_finite()) {
        return f64::NAN;
    }
    let mut value = 0.0;
    for (e, a) in we.iter().zip(wa) {
        let ef = (e / total_e).max(PSI_FLOOR);
        let af = (a / total_a).max(PSI_FLOOR);
        value += (af - ef) * (af / ef).ln();
    }
    value
}

/// Population stability index between an `expected` (training) and an
/// `actual` (validation) score distribution, given as `(value, weight)` pairs:
///
/// `PSI = Σ_i (a_i - e_i) · ln(a_i / e_i)`
///
/// where `e_i`, `a_i` are the weight shares in bin `i`, each **floored at
/// 1e-4** inside the sum (so an empty bin costs a large but finite amount;
/// shares are not renormalised after flooring).
///
/// Bins are right-closed, `(low, high]`:
/// * `edges = Some(e)` with `e` sorted ascending and at least 2 long: bins
///   are `(-inf, e[1]], (e[1], e[2]], …, (e[k-1], +inf)`: the outermost edges
///   `e[0]` and `e[k]` are treated as open so no value is ever lost, and the
///   rows report `-inf` / `+inf` there. Repeated edges are merged.
/// * `edges = None`: cut points at the weighted deciles of `expected`
///   (decile `j` = smallest value whose cumulative share is `>= j/10`),
///   duplicates and cuts at the maximum removed, with the same open ends, so
///   every bin holds some expected weight.
///
/// Returns `(psi, rows)` with one row `(edge_low, edge_high, expected_share,
/// actual_share)` per bin, shares **unfloored**. Rule of thumb: < 0.1 stable,
/// 0.1–0.25 some shift, > 0.25 major shift.
///
/// References: Siddiqi (2006), *Credit Risk Scorecards*, Wiley, ch. 8;
/// Yurdakul (2018), "Statistical properties of population stability index",
/// PhD dissertation, Western Michigan University.
///
/// Returns `(NaN, vec![])` when either side has no weight, a value is NaN, a
/// weight is negative or non-finite, or `edges` has fewer than 2 entries, a
/// NaN, or is not sorted ascending.
pub fn psi(
    expected: &[(f64, f64)],
    actual: &[(f64, f64)],
    edges: Option<&[f64]>,
) -> (f64, Vec<(f64, f64, f64, f64)>) {
    let fail = (f64::NAN, Vec::new());
    let (Some(mut e), Some(a)) = (clean_pairs(expected), clean_pairs(actual)) else {
        return fail;
    };
    let total_e: f64 = e.iter().map(|p| p.1).sum();
    let total_a: f64 = a.iter().map(|p| p.1).sum();
    if !(total_e > 0.0 && total_a > 0.0 && total_e.is_finite() && total_a.is_finite()) {
        return fail;
    }
    let cuts: Vec<f64> = match edges {
        Some(ed) => {
            if ed.len() < 2 || ed.iter().any(|x| x.is_nan()) || ed.windows(2).any(|w| w[0] > w[1]) {
                return fail;
            }
            let mut c = ed[1..ed.len() - 1].to_vec();
            c.dedup();
            c
        }
        None => {
            e.sort_by(|x, y| x.0.total_cmp(&y.0));
            decile_cuts(&e)
        }
    };
    let nbins = cuts.len() + 1;
    let bin_of = |x: f64| cuts.partition_point(|c| *c < x);
    let mut we = vec![0.0; nbins];
    let mut wa = vec![0.0; nbins];
    for &(x, w) in &e {
        we[bin_of(x)] += w;
    }
    for &(x, w) in &a {
        wa[bin_of(x)] += w;
    }
    let value = psi_of_bins(&we, &wa, total_e, total_a);
    let mut rows = Vec::with_capacity(nbins);
    for i in 0..nbins {
        let es = we[i] / total_e;
        let as_ = wa[i] / total_a;
        let low = if i == 0 {
            f64::NEG_INFINITY
        } else {
            cuts[i - 1]
        };
        let high = if i == nbins - 1 {
            f64::INFINITY
        } else {
            cuts[i]
        };
        rows.push((low, high, es, as_));
    }
    (value, rows)
}

// ---------------------------------------------------------------------------
// Isotonic regression (PAV) and calibration
// ---------------------------------------------------------------------------

/// A pooled block: items `first..=last`, total weight `weight`, weighted sum
/// of responses `sum` (for lead data: weight = leads, sum = wins).
#[derive(Debug, Clone, Copy)]
struct Block {
    first: usize,
    last: usize,
    weight: f64,
    sum: f64,
}

impl Block {
    fn mean(&self) -> f64 {
        self.sum / self.weight
    }
    fn merged(self, right: Block) -> Block {
        Block {
            first: self.first,
            last: right.last,
            weight: self.weight + right.weight,
            sum: self.sum + right.sum,
        }
    }
}

/// Stack-based pool-adjacent-violators over `blocks` (in order): adjacent
/// blocks are pooled while `value(left) > value(right)` (or `>=` when
/// `pool_ties`). The result is non-decreasing in `value` for any `value`
/// function, because each pooled block is re-checked against its left
/// neighbour, which was already in order with everything before it.
fn pool_adjacent(blocks: Vec<Block>, value: impl Fn(&Block) -> f64, pool_ties: bool) -> Vec<Block> {
    let mut stack: Vec<Block> = Vec::with_capacity(blocks.len());
    for b in blocks {
        let mut cur = b;
        while let Some(top) = stack.last() {
            let (vt, vc) = (value(top), value(&cur));
            let violates = if pool_ties { vt >= vc } else { vt > vc };
            if !violates {
                break;
            }
            if let Some(top) = stack.pop() {
                cur = top.merged(cur);
            }
        }
        stack.push(cur);
    }
    stack
}

/// Merges blocks with fewer than `min_leads` leads into the neighbour whose
/// rate is closer (equal distance: the lower-score neighbour). One greedy
/// left-to-right pass: a block merged into its right neighbour is re-checked;
/// every block already emitted has at least `min_leads` leads (unless it is
/// the only block). Merging adjacent blocks keeps the rates non-decreasing.
fn merge_small(blocks: Vec<Block>, min_leads: f64) -> Vec<Block> {
    let mut out: Vec<Block> = Vec::with_capacity(blocks.len());
    let mut rest = blocks.into_iter().peekable();
    while let Some(mut cur) = rest.next() {
        while cur.weight < min_leads {
            let rate = cur.mean();
            let left = out.last().map(|l| (l.mean() - rate).abs());
            let right = rest.peek().map(|r| (r.mean() - rate).abs());
            let go_left = match (left, right) {
                (None, None) => break,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (Some(l), Some(r)) => l <= r,
            };
            if go_left {
                if let Some(l) = out.pop() {
                    cur = l.merged(cur);
                }
                break;
            } else if let Some(r) = rest.next() {
                cur = cur.merged(r);
            }
        }
        out.push(cur);
    }
    out
}

/// Weighted isotonic (non-decreasing) regression of `values`, in the given
/// order, by pool-adjacent-violators:
///
/// minimise `Σ_i w_i (f_i - y_i)²` subject to `f_1 <= f_2 <= … <= f_n`;
///
/// solved by pooling adjacent violating blocks into their weighted mean
/// `Σ w_i y_i / Σ w_i` until the sequence is non-decreasing. O(n).
///
/// References: Ayer, Brunk, Ewing, Reid & Silverman (1955), "An empirical
/// distribution function for sampling with incomplete information", *Ann.
/// Math. Statist.* 26(4):641–647; Barlow, Bartholomew, Bremner & Brunk (1972),
/// *Statistical Inference under Order Restrictions*, Wiley.
///
/// Points with weight 0 do not influence the fit; each takes the fitted value
/// of the nearest positive-weight point before it (or, for leading ones, the
/// first positive-weight point), keeping the output non-decreasing.
///
/// Returns an empty `Vec` if the lengths differ, and `vec![NaN; n]` if any
/// value is non-finite, any weight is negative or non-finite, or all weights
/// are zero.
pub fn pav(values: &[f64], weights: &[f64]) -> Vec<f64> {
    let n = values.len();
    if weights.len() != n {
        return Vec::new();
    }
    if n == 0 {
        return Vec::new();
    }
    if values.iter().any(|v| !v.is_finite()) || weights.iter().any(|&w| !valid_weight(w)) {
        return vec![f64::NAN; n];
    }
    let positive: Vec<usize> = (0..n).filter(|&i| weights[i] > 0.0).collect();
    if positive.is_empty() {
        return vec![f64::NAN; n];
    }
    let blocks: Vec<Block> = positive
        .iter()
        .enumerate()
        .map(|(k, &i)| Block {
            first: k,
            last: k,
            weight: weights[i],
            sum: weights[i] * values[i],
        })
        .collect();
    let pooled = pool_adjacent(blocks, Block::mean, true);
    // fitted value of each positive-weight point (indexed by position in `positive`)
    let mut fit_pos = vec![f64::NAN; positive.len()];
    for b in &pooled {
        let m = b.mean();
        for f in &mut fit_pos[b.first..=b.last] {
            *f = m;
        }
    }
    let mut out = vec![f64::NAN; n];
    let mut k = 0; // index into `positive` of the next positive point
    let mut last = fit_pos[0];
    for (i, o) in out.iter_mut().enumerate() {
        if k < positive.len() && positive[k] == i {
            last = fit_pos[k];
            k += 1;
        }
        *o = last;
    }
    out
}

/// Fits a monotone calibration map from score to win probability.
///
/// Steps:
/// 1. Merge observations into tie groups by score (invalid input → empty
///    `Calibration`; see module docs).
/// 2. Pool-adjacent-violators on the group rates `wins / leads` weighted by
///    leads (ties pooled), giving blocks with non-decreasing rates.
/// 3. Blocks with fewer than `min_leads` leads are merged into the adjacent
///    block with the closer raw rate (equal distance: the lower-score one),
///    in one greedy pass from the lowest score. `min_leads <= 0` or NaN
///    disables this.
/// 4. Smoothing with a Beta prior of `m = 2` pseudo-leads centred on the
///    overall rate: each block's probability is
///    `p = (wins + a) / (leads + a + b)`, `a = m·base`, `b = m·(1 - base)`,
///    where `base = (W + 0.5) / (N + 1)` is the overall rate `W / N` itself
///    Jeffreys-smoothed (Beta(½, ½) prior) so that `a, b > 0` and `p` is
///    strictly inside (0, 1) even if every lead is a win (or a loss).
/// 5. Because smoothing pulls small blocks harder than large ones it can
///    reverse the order of two neighbouring blocks; a second PAV pass on the
///    smoothed values pools such blocks (pooling their raw counts and
///    re-applying step 4) until the probabilities are non-decreasing.
///
/// Finally `p` is clamped to `[1e-15, 1 - 1e-15]` as a floating-point guard.
/// An empty `Calibration` is returned for no leads, invalid input, or a total
/// lead count that overflows to infinity.
///
/// References: Ayer et al. (1955), *Ann. Math. Statist.* 26(4):641–647;
/// Barlow et al. (1972), *Statistical Inference under Order Restrictions*;
/// Zadrozny & Elkan (2002), "Transforming classifier scores into accurate
/// multiclass probability estimates", *KDD-02*, 694–699; Jeffreys (1946),
/// *Proc. R. Soc. A* 186:453–461.
pub fn isotonic(obs: &[Obs], min_leads: f64) -> Calibration {
    let empty = Calibration { points: Vec::new() };
    let Some(groups) = sorted_groups(obs) else {
        return empty;
    };
    if groups.is_empty() {
        return empty;
    }
    let total_wins: f64 = groups.iter().map(|g| g.wins).sum();
    let total_leads: f64 = groups.iter().map(|g| g.leads).sum();
    if !total_leads.is_finite() {
        return empty;
    }
    let blocks: Vec<Block> = groups
        .iter()
        .enumerate()
        .map(|(i, g)| Block {
            first: i,
            last: i,
            weight: g.leads,
            sum: g.wins,
        })
        .collect();
    let blocks = pool_adjacent(blocks, Block::mean, true);
    let blocks = merge_small(blocks, min_leads);

    let base = (total_wins + 0.5) / (total_leads + 1.0);
    let a = PRIOR_LEADS * base;
    let smoothed = |b: &Block| (b.sum + a) / (b.weight + PRIOR_LEADS);
    let blocks = pool_adjacent(blocks, smoothed, false);

    let points = blocks
        .iter()
        .map(|b| CalibrationPoint {
            score_low: groups[b.first].score,
            score_high: groups[b.last].score,
            probability: smoothed(b).clamp(LOG_LOSS_EPS, 1.0 - LOG_LOSS_EPS),
            leads: b.weight,
        })
        .collect();
    Calibration { points }
}

impl Calibration {
    /// The calibrated probability for `score`:
    ///
    /// * inside a block (`score_low <= score <= score_high`): that block's
    ///   probability;
    /// * below the first block: the first block's probability; above the last
    ///   block: the last block's;
    /// * in a gap between blocks `i` and `i+1` (no observed score there):
    ///   linear interpolation
    ///   `p_i + (score - high_i) / (low_{i+1} - high_i) · (p_{i+1} - p_i)`.
    ///
    /// This is the usual isotonic-calibration predictor (Zadrozny & Elkan
    /// 2002, *KDD-02*), with interpolation in gaps as in scikit-learn's
    /// `IsotonicRegression`. The result is clamped to `[1e-15, 1 - 1e-15]`, so
    /// it is always in (0, 1); it is NaN only for a NaN `score` or an empty
    /// `Calibration` (e.g. fitted on no data).
    pub fn probability(&self, score: f64) -> f64 {
        let pts = &self.points;
        if pts.is_empty() || score.is_nan() {
            return f64::NAN;
        }
        let guard = |p: f64| p.clamp(LOG_LOSS_EPS, 1.0 - LOG_LOSS_EPS);
        // first block whose upper end reaches `score`
        let i = pts.partition_point(|p| p.score_high < score);
        if i == pts.len() {
            return guard(pts[pts.len() - 1].probability);
        }
        let cur = pts[i];
        if cur.score_low <= score || i == 0 {
            return guard(cur.probability);
        }
        let prev = pts[i - 1];
        let mut t = (score - prev.score_high) / (cur.score_low - prev.score_high);
        if t.is_nan() {
            t = 0.5;
        }
        let t = t.clamp(0.0, 1.0);
        guard(prev.probability + t * (cur.probability - prev.probability))
    }
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

#[cfg(test)]
mod tests;
