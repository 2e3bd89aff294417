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

/// z for a two-sided 95% interval: the 0.975 quantile of the standard normal.
const Z95: f64 = 1.959_963_984_540_054;
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
    let z2 = Z95 * Z95;
    let denom = n + z2;
    let centre = (w + z2 / 2.0) / denom;
    let half = Z95 / denom * ((w * (n - w) / n).max(0.0) + z2 / 4.0).sqrt();
    ((centre - half).max(0.0), (centre + half).min(1.0))
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
mod tests {
    use super::*;
    use approx::assert_relative_eq;
    use proptest::prelude::*;

    fn win(score: f64) -> Obs {
        Obs {
            score,
            wins: 1.0,
            losses: 0.0,
        }
    }
    fn loss(score: f64) -> Obs {
        Obs {
            score,
            wins: 0.0,
            losses: 1.0,
        }
    }
    fn grp(score: f64, wins: f64, losses: f64) -> Obs {
        Obs {
            score,
            wins,
            losses,
        }
    }

    // ---------------- AUC / Gini ----------------

    #[test]
    fn auc_hand_computed() {
        // wins at 0.9, 0.7; losses at 0.8, 0.6. The 4 win-loss pairs:
        // (0.9,0.8) ✓, (0.9,0.6) ✓, (0.7,0.8) ✗, (0.7,0.6) ✓ → 3/4 = 0.75.
        let obs = [win(0.9), loss(0.8), win(0.7), loss(0.6)];
        assert_relative_eq!(auc(&obs), 0.75);
        // Gini = 2·0.75 - 1 = 0.5
        assert_relative_eq!(gini(&obs), 0.5);
    }

    #[test]
    fn auc_with_ties() {
        // wins {0.8, 0.5}, losses {0.5, 0.2}; pairs:
        // (0.8,0.5)=1, (0.8,0.2)=1, (0.5,0.5)=tie=0.5, (0.5,0.2)=1 → 3.5/4 = 0.875.
        let grouped = [grp(0.8, 1.0, 0.0), grp(0.5, 1.0, 1.0), grp(0.2, 0.0, 1.0)];
        assert_relative_eq!(auc(&grouped), 0.875);
        let single = [win(0.8), win(0.5), loss(0.5), loss(0.2)];
        assert_relative_eq!(auc(&single), 0.875);
        // all tied → every pair half → 0.5
        assert_relative_eq!(auc(&[grp(1.0, 3.0, 2.0)]), 0.5);
        // -0.0 and 0.0 are one tie group: 1 win at -0.0, 1 loss at 0.0 → 0.5
        assert_relative_eq!(auc(&[win(-0.0), loss(0.0)]), 0.5);
    }

    #[test]
    fn auc_weighting_equals_copies() {
        // weight 2 at 0.9 vs two copies; both: wins {0.9,0.9,0.3}, losses {0.5, 0.1}
        // pairs: 0.9 beats both (×2 = 4), 0.3 beats 0.1 only (1) → 5/6.
        let weighted = [grp(0.9, 2.0, 0.0), win(0.3), loss(0.5), loss(0.1)];
        let copies = [win(0.9), win(0.9), win(0.3), loss(0.5), loss(0.1)];
        assert_relative_eq!(auc(&weighted), 5.0 / 6.0);
        assert_relative_eq!(auc(&copies), 5.0 / 6.0);
    }

    #[test]
    fn auc_degenerate_inputs() {
        assert!(auc(&[]).is_nan());
        assert!(auc(&[win(0.3), win(0.4)]).is_nan()); // no losses
        assert!(auc(&[loss(0.3)]).is_nan()); // no wins
        assert!(auc(&[win(f64::NAN), loss(0.2)]).is_nan()); // NaN score
        assert!(auc(&[grp(0.1, -1.0, 2.0), win(0.3)]).is_nan()); // negative weight
        assert!(gini(&[]).is_nan());
        // zero-weight obs are ignored, even with a NaN score
        let obs = [win(0.9), loss(0.1), grp(f64::NAN, 0.0, 0.0)];
        assert_relative_eq!(auc(&obs), 1.0);
        // infinite scores rank fine
        assert_relative_eq!(auc(&[win(f64::INFINITY), loss(f64::NEG_INFINITY)]), 1.0);
    }

    fn brute_auc(obs: &[Obs]) -> f64 {
        let mut ws = Vec::new();
        let mut ls = Vec::new();
        for o in obs {
            for _ in 0..(o.wins as usize) {
                ws.push(o.score);
            }
            for _ in 0..(o.losses as usize) {
                ls.push(o.score);
            }
        }
        if ws.is_empty() || ls.is_empty() {
            return f64::NAN;
        }
        let mut s = 0.0;
        for &w in &ws {
            for &l in &ls {
                s += if w > l {
                    1.0
                } else if w == l {
                    0.5
                } else {
                    0.0
                };
            }
        }
        s / (ws.len() * ls.len()) as f64
    }

    fn int_obs() -> impl Strategy<Value = Vec<Obs>> {
        prop::collection::vec((0u8..6, 0u8..4, 0u8..4), 0..25).prop_map(|v| {
            v.into_iter()
                .map(|(s, w, l)| grp(f64::from(s) / 5.0, f64::from(w), f64::from(l)))
                .collect()
        })
    }

    // ---------------- KS ----------------

    #[test]
    fn ks_hand_computed() {
        // score: wins/losses   → cumulative F_wins, F_losses (W = 4, L = 4)
        // 10: 0/2  → 0/4 = 0.00, 2/4 = 0.50, |diff| = 0.50
        // 20: 1/2  → 1/4 = 0.25, 4/4 = 1.00, |diff| = 0.75  ← max
        // 30: 1/0  → 2/4 = 0.50, 1.00,       |diff| = 0.50
        // 40: 2/0  → 1.00,       1.00,       |diff| = 0
        let obs = [
            grp(10.0, 0.0, 2.0),
            grp(20.0, 1.0, 2.0),
            grp(30.0, 1.0, 0.0),
            grp(40.0, 2.0, 0.0),
        ];
        let (k, s) = ks(&obs);
        assert_relative_eq!(k, 0.75);
        assert_eq!(s, 20.0);
        // same as single leads in shuffled order
        let single = [
            win(40.0),
            loss(10.0),
            win(20.0),
            loss(20.0),
            win(30.0),
            loss(10.0),
            loss(20.0),
            win(40.0),
        ];
        assert_eq!(ks(&single), (0.75, 20.0));
    }

    #[test]
    fn ks_ties_stay_together_and_degenerate() {
        // win and loss at the same score: the only threshold is after the tie
        // group (F = 1, 1), plus nothing below → KS = 0.
        let (k, s) = ks(&[grp(1.0, 1.0, 1.0)]);
        assert_eq!(k, 0.0);
        assert_eq!(s, 1.0);
        assert!(ks(&[]).0.is_nan());
        assert!(ks(&[win(1.0)]).1.is_nan());
        assert!(ks(&[win(f64::NAN), loss(0.0)]).0.is_nan());
    }

    // ---------------- Brier / log loss ----------------

    fn prob_case() -> [Obs; 3] {
        // p = 0.8: 1 win, 1 loss; p = 0.3: 2 losses; p = 0.6: 1 win. N = 5.
        [grp(0.8, 1.0, 1.0), grp(0.3, 0.0, 2.0), grp(0.6, 1.0, 0.0)]
    }

    #[test]
    fn brier_hand_computed() {
        // 0.8 win: 0.2² = 0.04; 0.8 loss: 0.8² = 0.64; 0.3 loss ×2: 2·0.09 = 0.18;
        // 0.6 win: 0.4² = 0.16. Sum = 1.02, /5 = 0.204.
        assert_relative_eq!(brier(&prob_case()), 0.204, epsilon = 1e-12);
        assert_relative_eq!(brier(&[win(1.0), loss(0.0)]), 0.0);
    }

    #[test]
    fn log_loss_hand_computed() {
        // -ln 0.8 = 0.2231435513; -ln 0.2 = 1.6094379124; -2 ln 0.7 = 0.7133498879;
        // -ln 0.6 = 0.5108256238. Sum = 3.0567569754, /5 = 0.6113513951.
        assert_relative_eq!(
            log_loss(&prob_case()),
            0.611_351_395_078_353,
            epsilon = 1e-12
        );
        // clipping: p = 1 for a loss costs -ln(1e-15) = 34.538776394910684
        assert_relative_eq!(
            log_loss(&[loss(1.0)]),
            34.538_776_394_910_684,
            epsilon = 1e-6
        );
    }

    #[test]
    fn probability_metrics_degenerate() {
        assert!(brier(&[]).is_nan());
        assert!(log_loss(&[]).is_nan());
        assert!(brier(&[win(1.5)]).is_nan()); // not a probability
        assert!(log_loss(&[win(-0.1)]).is_nan());
        assert!(brier(&[win(f64::NAN)]).is_nan());
        assert!(brier(&[grp(0.5, 0.0, 0.0)]).is_nan()); // zero weight only → no leads
        // all one class is fine: 2 wins at 0.5 → 0.25
        assert_relative_eq!(brier(&[grp(0.5, 2.0, 0.0)]), 0.25);
    }

    // ---------------- bands / ECE ----------------

    #[test]
    fn bands_hand_computed() {
        // scores 10..1, outcomes W W L W L L W L L L; W = 4, N = 10, overall rate 0.4.
        // q = 5: lead i (0-based, descending) has mid i + 0.5 → band floor(5(i+0.5)/10)
        // → {10,9} {8,7} {6,5} {4,3} {2,1}.
        let outcomes = [
            true, true, false, true, false, false, true, false, false, false,
        ];
        let obs: Vec<Obs> = outcomes
            .iter()
            .enumerate()
            .map(|(i, &w)| {
                if w {
                    win(10.0 - i as f64)
                } else {
                    loss(10.0 - i as f64)
                }
            })
            .collect();
        let b = bands(&obs, 5);
        assert_eq!(b.len(), 5);
        // rates 2/2, 1/2, 0/2, 1/2, 0/2; lifts = rate/0.4 = 2.5, 1.25, 0, 1.25, 0
        let rates = [1.0, 0.5, 0.0, 0.5, 0.0];
        let lifts = [2.5, 1.25, 0.0, 1.25, 0.0];
        // cumulative wins 2,3,3,4,4 of 4 → 0.5, 0.75, 0.75, 1, 1
        let cws = [0.5, 0.75, 0.75, 1.0, 1.0];
        // cumulative rates 2/2, 3/4, 3/6, 4/8, 4/10 → /0.4 = 2.5, 1.875, 1.25, 1.25, 1.0
        let clift = [2.5, 1.875, 1.25, 1.25, 1.0];
        for (k, row) in b.iter().enumerate() {
            assert_eq!(row.band, k + 1);
            assert_eq!(row.leads, 2.0);
            assert_relative_eq!(row.rate, rates[k]);
            assert_relative_eq!(row.lift, lifts[k]);
            assert_relative_eq!(row.cumulative_wins_share, cws[k]);
            assert_relative_eq!(row.cumulative_lift, clift[k], epsilon = 1e-12);
        }
        assert_eq!((b[0].score_low, b[0].score_high), (9.0, 10.0));
        assert_eq!((b[4].score_low, b[4].score_high), (1.0, 2.0));
        // predicted = mean score: (10 + 9)/2 = 9.5
        assert_relative_eq!(b[0].predicted, 9.5);
        // Wilson, z² = 3.8414588206941254:
        // band 1 (w = n = 2): centre = (2 + 1.92072941)/(5.84145882) = 0.67119011,
        //   half = 1.95996398/5.84145882 · sqrt(0 + 0.96036471) = 0.32880989
        //   → [0.34238023, 1.0]
        assert_relative_eq!(b[0].rate_low, 0.342_380_227_506_653, epsilon = 1e-12);
        assert_relative_eq!(b[0].rate_high, 1.0, epsilon = 1e-12);
        // band 2 (w = 1, n = 2): centre = 2.92072941/5.84145882 = 0.5,
        //   half = 0.33552941 · sqrt(0.5 + 0.96036471) = 0.40546879 → [0.09453121, 0.90546879]
        assert_relative_eq!(b[1].rate_low, 0.094_531_205_734_230_74, epsilon = 1e-12);
        assert_relative_eq!(b[1].rate_high, 0.905_468_794_265_769_3, epsilon = 1e-12);
        // band 3 (w = 0, n = 2): centre = half = 0.32880989 → [0, 0.65761977]
        assert_relative_eq!(b[2].rate_low, 0.0);
        assert_relative_eq!(b[2].rate_high, 0.657_619_772_493_346_9, epsilon = 1e-12);
    }

    #[test]
    fn bands_keep_ties_and_drop_empty() {
        // N = 6, q = 3. Group at 5 (1 win, 3 losses): mid = 2 → floor(3·2/6) = 1 (nominal
        // band 2). Group at 2 (1 win, 1 loss): mid = 4 + 1 = 5 → floor(2.5) = 2.
        // Nominal band 1 (index 0) is empty → dropped; rows renumbered 1, 2.
        let obs = [grp(5.0, 1.0, 3.0), grp(2.0, 1.0, 1.0)];
        let b = bands(&obs, 3);
        assert_eq!(b.len(), 2);
        assert_eq!(b[0].band, 1);
        assert_eq!(b[0].leads, 4.0);
        assert_eq!((b[0].score_low, b[0].score_high), (5.0, 5.0));
        assert_relative_eq!(b[0].rate, 0.25);
        // overall 2/6; lift = 0.25/(1/3) = 0.75; cumulative share 1/2
        assert_relative_eq!(b[0].lift, 0.75, epsilon = 1e-12);
        assert_relative_eq!(b[0].cumulative_wins_share, 0.5);
        assert_eq!(b[1].band, 2);
        assert_relative_eq!(b[1].cumulative_wins_share, 1.0);
        assert_relative_eq!(b[1].cumulative_lift, 1.0, epsilon = 1e-12);
    }

    #[test]
    fn bands_degenerate() {
        assert!(bands(&[], 10).is_empty());
        assert!(bands(&[win(1.0)], 0).is_empty());
        assert!(bands(&[win(f64::NAN)], 10).is_empty());
        // no wins: rates 0, lifts NaN, no panic
        let b = bands(&[loss(1.0), loss(2.0)], 2);
        assert_eq!(b.len(), 2);
        assert!(b[0].lift.is_nan() && b[0].cumulative_wins_share.is_nan());
        assert_eq!(b[0].rate, 0.0);
        // all wins: lift 1 everywhere
        let b = bands(&[win(1.0), win(2.0)], 2);
        assert_relative_eq!(b[0].lift, 1.0);
    }

    #[test]
    fn ece_hand_computed() {
        // 6 leads, q = 2 → top 3 / bottom 3.
        // top {0.9 W, 0.8 W, 0.6 L}: rate 2/3, mean p = 2.3/3 = 0.76667 → |diff| = 0.1
        // bottom {0.3 W, 0.2 L, 0.1 L}: rate 1/3, mean p = 0.2 → |diff| = 0.13333
        // ECE = 0.5·0.1 + 0.5·0.13333 = 0.11667
        let obs = [
            win(0.9),
            win(0.8),
            loss(0.6),
            win(0.3),
            loss(0.2),
            loss(0.1),
        ];
        assert_relative_eq!(ece(&obs, 2), 0.116_666_666_666_666_65, epsilon = 1e-12);
        // perfectly calibrated single band: p = 0.5, 1 win 1 loss → 0
        assert_relative_eq!(ece(&[grp(0.5, 1.0, 1.0)], 10), 0.0);
        // all losses at p = 0.2 → |0 - 0.2| = 0.2
        assert_relative_eq!(ece(&[grp(0.2, 0.0, 3.0)], 10), 0.2, epsilon = 1e-12);
        assert!(ece(&[], 10).is_nan());
        assert!(ece(&[win(0.5)], 0).is_nan());
        assert!(ece(&[win(2.0)], 10).is_nan());
    }

    // ---------------- PSI ----------------

    #[test]
    fn psi_hand_computed() {
        // expected 1,2,3,4; actual 1 (w 1), 3 (w 2), 4 (w 1); edges [0, 2, 5]
        // → bins (-inf, 2], (2, +inf). e = 0.5, 0.5; a = 1/4, 3/4.
        // PSI = (0.25-0.5) ln(0.5) + (0.75-0.5) ln(1.5)
        //     = 0.1732868 + 0.1013663 = 0.2746531
        let e = [(1.0, 1.0), (2.0, 1.0), (3.0, 1.0), (4.0, 1.0)];
        let a = [(1.0, 1.0), (3.0, 2.0), (4.0, 1.0)];
        let (v, rows) = psi(&e, &a, Some(&[0.0, 2.0, 5.0]));
        assert_relative_eq!(v, 0.274_653_072_167_027_4, epsilon = 1e-12);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0], (f64::NEG_INFINITY, 2.0, 0.5, 0.25));
        assert_eq!(rows[1], (2.0, f64::INFINITY, 0.5, 0.75));
    }

    #[test]
    fn psi_floor() {
        // edges [0, 2, 3, 5] → (-inf,2], (2,3], (3,inf).
        // expected 1,2 | 3 | 4 → 0.5, 0.25, 0.25; actual 1,1,4,4 → 0.5, 0 (floored 1e-4), 0.5
        // PSI = 0 + (1e-4 - 0.25) ln(1e-4/0.25) + (0.5 - 0.25) ln 2
        //     = 1.9552291 + 0.1732868 = 2.1285159
        let e = [(1.0, 1.0), (2.0, 1.0), (3.0, 1.0), (4.0, 1.0)];
        let a = [(1.0, 2.0), (4.0, 2.0)];
        let (v, rows) = psi(&e, &a, Some(&[0.0, 2.0, 3.0, 5.0]));
        assert_relative_eq!(v, 2.128_515_893_252_973_5, epsilon = 1e-12);
        assert_eq!(rows[1].3, 0.0); // rows report the unfloored share
    }

    #[test]
    fn psi_default_deciles() {
        // expected 1..=10 → deciles 1..=9 (cum share j/10 reached at value j; 10 = max
        // is not a cut) → bins (-inf,1], (1,2], …, (9,inf), each expected share 0.1.
        let e: Vec<(f64, f64)> = (1..=10).map(|i| (f64::from(i), 1.0)).collect();
        let (v, rows) = psi(&e, &e, None);
        assert_eq!(rows.len(), 10);
        assert_relative_eq!(v, 0.0);
        // actual 2..=11: (-inf,1] empty → floored 1e-4; (9,inf) holds 10, 11 → 0.2; others 0.1
        // PSI = (1e-4 - 0.1) ln(1e-4/0.1) + (0.2 - 0.1) ln 2 = 0.6900848 + 0.0693147 = 0.7593995
        let a: Vec<(f64, f64)> = (2..=11).map(|i| (f64::from(i), 1.0)).collect();
        let (v, rows) = psi(&e, &a, None);
        assert_relative_eq!(v, 0.759_399_470_426_310_1, epsilon = 1e-12);
        assert_eq!(rows[0].0, f64::NEG_INFINITY);
        assert_eq!(rows[0].1, 1.0);
        assert_eq!(rows[9].1, f64::INFINITY);
    }

    #[test]
    fn psi_degenerate() {
        let e = [(1.0, 1.0)];
        assert!(psi(&[], &e, None).0.is_nan());
        assert!(psi(&e, &[], None).0.is_nan());
        assert!(psi(&[(f64::NAN, 1.0)], &e, None).0.is_nan());
        assert!(psi(&e, &[(1.0, -1.0)], None).0.is_nan());
        assert!(psi(&e, &e, Some(&[1.0])).0.is_nan());
        assert!(psi(&e, &e, Some(&[2.0, 1.0])).0.is_nan());
        assert!(psi(&e, &e, Some(&[f64::NAN, 1.0])).0.is_nan());
        // all expected equal → no cuts → one bin → PSI 0
        let (v, rows) = psi(&[(3.0, 5.0)], &[(7.0, 1.0)], None);
        assert_eq!(v, 0.0);
        assert_eq!(rows.len(), 1);
    }

    // ---------------- PAV / isotonic ----------------

    #[test]
    fn pav_classic_example() {
        // y = 1 3 2 4 3 5, unit weights: pool (3,2) → 2.5 and (4,3) → 3.5.
        let f = pav(&[1.0, 3.0, 2.0, 4.0, 3.0, 5.0], &[1.0; 6]);
        assert_eq!(f, vec![1.0, 2.5, 2.5, 3.5, 3.5, 5.0]);
    }

    #[test]
    fn pav_weighted_and_degenerate() {
        // y = 3, 1 with weights 1, 3 → pooled (3·1 + 1·3)/4 = 1.5
        assert_eq!(pav(&[3.0, 1.0], &[1.0, 3.0]), vec![1.5, 1.5]);
        // zero-weight point takes its predecessor's value; leading ones the first fit
        assert_eq!(
            pav(&[9.0, 2.0, -5.0, 4.0], &[0.0, 1.0, 0.0, 1.0]),
            vec![2.0, 2.0, 2.0, 4.0]
        );
        assert!(pav(&[], &[]).is_empty());
        assert!(pav(&[1.0], &[]).is_empty());
        assert!(
            pav(&[1.0, f64::NAN], &[1.0, 1.0])
                .iter()
                .all(|x| x.is_nan())
        );
        assert!(pav(&[1.0], &[0.0]).iter().all(|x| x.is_nan()));
        assert!(pav(&[1.0], &[-1.0]).iter().all(|x| x.is_nan()));
    }

    #[test]
    fn isotonic_hand_computed() {
        // groups (score: wins/leads): 1: 0/2, 2: 2/2, 3: 1/2, 4: 3/4 → rates 0, 1, .5, .75.
        // PAV: 1 > .5 → pool {2,3} = 3/4 = .75; .75 >= .75 → pool {2,3,4} = 6/8.
        // Blocks: {1}: 0/2, {2..4}: 6/8.
        // base = (6 + .5)/(10 + 1) = 0.5909091; a = 2·base = 1.1818182.
        // p1 = (0 + 1.1818182)/(2 + 2) = 0.2954545; p2 = (6 + 1.1818182)/(8 + 2) = 0.7181818.
        let obs = [
            grp(1.0, 0.0, 2.0),
            grp(2.0, 2.0, 0.0),
            grp(3.0, 1.0, 1.0),
            grp(4.0, 3.0, 1.0),
        ];
        let cal = isotonic(&obs, 0.0);
        assert_eq!(cal.points.len(), 2);
        let (p1, p2) = (0.295_454_545_454_545_47, 0.718_181_818_181_818_1);
        assert_eq!(
            (cal.points[0].score_low, cal.points[0].score_high),
            (1.0, 1.0)
        );
        assert_eq!(
            (cal.points[1].score_low, cal.points[1].score_high),
            (2.0, 4.0)
        );
        assert_relative_eq!(cal.points[0].probability, p1, epsilon = 1e-12);
        assert_relative_eq!(cal.points[1].probability, p2, epsilon = 1e-12);
        assert_eq!(cal.points[1].leads, 8.0);
        // probability(): below → first; in block; above → last;
        // gap (1, 2) at 1.5: t = 0.5 → (0.2954545 + 0.7181818)/2 = 0.5068182
        assert_relative_eq!(cal.probability(-10.0), p1, epsilon = 1e-12);
        assert_relative_eq!(cal.probability(3.0), p2, epsilon = 1e-12);
        assert_relative_eq!(cal.probability(99.0), p2, epsilon = 1e-12);
        assert_relative_eq!(
            cal.probability(1.5),
            0.506_818_181_818_181_8,
            epsilon = 1e-12
        );
        assert!(cal.probability(f64::NAN).is_nan());

        // min_leads = 3: block {1} (2 leads) merges into its only neighbour →
        // one block 6/10: p = (6 + 1.1818182)/(10 + 2) = 0.5984848
        let cal = isotonic(&obs, 3.0);
        assert_eq!(cal.points.len(), 1);
        assert_relative_eq!(
            cal.points[0].probability,
            0.598_484_848_484_848_5,
            epsilon = 1e-12
        );
    }

    #[test]
    fn isotonic_small_block_goes_to_closer_rate() {
        // PAV blocks: 0/10 (rate 0), 1/2 (rate .5), 6/10 (rate .6); min_leads = 5.
        // Middle block: |.5 - 0| = .5 vs |.5 - .6| = .1 → merges right → 7/12.
        let obs = [grp(1.0, 0.0, 10.0), grp(2.0, 1.0, 1.0), grp(3.0, 6.0, 4.0)];
        let cal = isotonic(&obs, 5.0);
        assert_eq!(cal.points.len(), 2);
        assert_eq!(cal.points[1].score_low, 2.0);
        assert_eq!(cal.points[1].leads, 12.0);
        // base = 7.5/23 = 0.3260870, a = 0.6521739; p = (7 + 0.6521739)/14 = 0.5465839
        assert_relative_eq!(
            cal.points[1].probability,
            (7.0 + 2.0 * 7.5 / 23.0) / 14.0,
            epsilon = 1e-12
        );
    }

    #[test]
    fn isotonic_smoothing_keeps_monotone() {
        // raw blocks 0/2, 1/1000, 1000/1000 (already increasing).
        // base = 1001.5/2003 = 0.5 → a = b = 1. Smoothed: 1/4 = .25, 2/1002 = .001996,
        // 1001/1002 = .998. .25 > .001996 → pooled 1/1002 → (1 + 1)/(1002 + 2) = 0.0019920.
        let obs = [
            grp(1.0, 0.0, 2.0),
            grp(2.0, 1.0, 999.0),
            grp(3.0, 1000.0, 0.0),
        ];
        let cal = isotonic(&obs, 0.0);
        assert_eq!(cal.points.len(), 2);
        assert_relative_eq!(cal.points[0].probability, 2.0 / 1004.0, epsilon = 1e-15);
        assert_relative_eq!(cal.points[1].probability, 1001.0 / 1002.0, epsilon = 1e-15);
    }

    #[test]
    fn isotonic_never_certain() {
        // all wins: base = (3 + .5)/(3 + 1) = 0.875, a = 1.75; p = (3 + 1.75)/(3 + 2) = 0.95
        let cal = isotonic(&[win(1.0), win(2.0), win(3.0)], 0.0);
        assert_eq!(cal.points.len(), 1);
        assert_relative_eq!(cal.points[0].probability, 0.95, epsilon = 1e-12);
        // a pure-win block next to a pure-loss block: 0/5 then 5/5.
        // base = 5.5/11 = 0.5, a = 1: p = 1/7 = 0.142857, 6/7 = 0.857143
        let cal = isotonic(&[grp(0.0, 0.0, 5.0), grp(1.0, 5.0, 0.0)], 0.0);
        assert_relative_eq!(cal.points[0].probability, 1.0 / 7.0, epsilon = 1e-12);
        assert_relative_eq!(cal.points[1].probability, 6.0 / 7.0, epsilon = 1e-12);
        for p in &cal.points {
            assert!(p.probability > 0.0 && p.probability < 1.0);
        }
        // huge all-win block still strictly below 1
        let cal = isotonic(&[grp(0.5, 1e300, 0.0)], 0.0);
        assert!(cal.probability(0.5) < 1.0);
        // empty / invalid
        assert!(isotonic(&[], 0.0).points.is_empty());
        assert!(isotonic(&[win(f64::NAN)], 0.0).points.is_empty());
        assert!(isotonic(&[win(1.0)], 0.0).probability(1.0) < 1.0);
        assert!(Calibration { points: vec![] }.probability(0.5).is_nan());
    }

    #[test]
    fn serde_roundtrip_types_compile() {
        // serde derives exist (no serde_json dependency: just check trait bounds)
        fn is_serde<T: Serialize + for<'de> Deserialize<'de>>() {}
        is_serde::<Obs>();
        is_serde::<Band>();
        is_serde::<Calibration>();
        is_serde::<CalibrationPoint>();
    }

    fn any_obs() -> impl Strategy<Value = Vec<Obs>> {
        let f = prop_oneof![
            prop::num::f64::ANY,
            -2.0..2.0f64,
            Just(0.0),
            Just(1.0),
            Just(f64::NAN)
        ];
        prop::collection::vec((f.clone(), f.clone(), f), 0..12)
            .prop_map(|v| v.into_iter().map(|(s, w, l)| grp(s, w, l)).collect())
    }

    proptest! {
        #[test]
        fn prop_auc_matches_brute_force(obs in int_obs()) {
            let (a, b) = (auc(&obs), brute_auc(&obs));
            if b.is_nan() {
                prop_assert!(a.is_nan());
            } else {
                prop_assert!((a - b).abs() < 1e-12, "auc {a} brute {b}");
                prop_assert!((gini(&obs) - (2.0 * b - 1.0)).abs() < 1e-12);
            }
        }

        #[test]
        fn prop_weighting_equals_copies(obs in int_obs()) {
            let mut copies = Vec::new();
            for o in &obs {
                for _ in 0..(o.wins as usize) { copies.push(win(o.score)); }
                for _ in 0..(o.losses as usize) { copies.push(loss(o.score)); }
            }
            let (a, b) = (auc(&obs), auc(&copies));
            prop_assert!(a == b || (a - b).abs() < 1e-12 || (a.is_nan() && b.is_nan()));
            let (k1, s1) = ks(&obs);
            let (k2, s2) = ks(&copies);
            prop_assert!((k1.is_nan() && k2.is_nan()) || ((k1 - k2).abs() < 1e-12 && s1 == s2));
            // Debug strings compare NaN fields (no-win lifts) as equal
            let (b1, b2) = (format!("{:?}", bands(&obs, 4)), format!("{:?}", bands(&copies, 4)));
            prop_assert_eq!(b1, b2);
        }

        #[test]
        fn prop_pav_monotone_and_mean_preserving(
            v in prop::collection::vec((-100.0..100.0f64, 0.0..10.0f64), 1..40)
        ) {
            let (ys, ws): (Vec<f64>, Vec<f64>) = v.into_iter().unzip();
            let f = pav(&ys, &ws);
            if ws.iter().all(|&w| w == 0.0) {
                prop_assert!(f.iter().all(|x| x.is_nan()));
                return Ok(());
            }
            for pair in f.windows(2) {
                prop_assert!(pair[0] <= pair[1]);
            }
            // each maximal run of equal fitted values preserves the weighted sum
            let mut i = 0;
            while i < f.len() {
                let mut j = i;
                while j < f.len() && f[j] == f[i] { j += 1; }
                let sy: f64 = (i..j).map(|k| ws[k] * ys[k]).sum();
                let sf: f64 = (i..j).map(|k| ws[k] * f[k]).sum();
                let scale: f64 = (i..j).map(|k| ws[k] * ys[k].abs()).sum::<f64>() + 1.0;
                prop_assert!((sy - sf).abs() <= 1e-9 * scale, "run {i}..{j}: {sy} vs {sf}");
                i = j;
            }
        }

        #[test]
        fn prop_isotonic_monotone_in_unit_interval(obs in int_obs(), min_leads in 0.0..6.0f64) {
            let cal = isotonic(&obs, min_leads);
            let total: f64 = obs.iter().map(|o| o.wins + o.losses).sum();
            if total == 0.0 {
                prop_assert!(cal.points.is_empty());
                return Ok(());
            }
            let leads: f64 = cal.points.iter().map(|p| p.leads).sum();
            prop_assert!((leads - total).abs() < 1e-9);
            for p in &cal.points {
                prop_assert!(p.probability > 0.0 && p.probability < 1.0);
                if cal.points.len() > 1 { prop_assert!(p.leads >= min_leads); }
            }
            for w in cal.points.windows(2) {
                prop_assert!(w[0].probability <= w[1].probability);
                prop_assert!(w[0].score_high < w[1].score_low);
            }
            let mut prev = 0.0;
            for k in -5..=30 {
                let p = cal.probability(f64::from(k) / 25.0);
                prop_assert!(p > 0.0 && p < 1.0 && p >= prev);
                prev = p;
            }
        }

        #[test]
        fn prop_bands_never_split_ties(obs in int_obs(), q in 1usize..8) {
            let b = bands(&obs, q);
            let total: f64 = obs.iter().map(|o| o.wins + o.losses).sum();
            let wins: f64 = obs.iter().map(|o| o.wins).sum();
            if total == 0.0 {
                prop_assert!(b.is_empty());
                return Ok(());
            }
            prop_assert!(b.len() <= q);
            let leads: f64 = b.iter().map(|r| r.leads).sum();
            prop_assert!((leads - total).abs() < 1e-9);
            for (k, w) in b.windows(2).enumerate() {
                prop_assert_eq!(w[0].band, k + 1);
                // strictly separated score ranges ⇒ no score appears in two bands
                prop_assert!(w[0].score_low > w[1].score_high);
            }
            if let Some(last) = b.last()
                && wins > 0.0
            {
                prop_assert!((last.cumulative_wins_share - 1.0).abs() < 1e-12);
                prop_assert!((last.cumulative_lift - 1.0).abs() < 1e-12);
            }
            for r in &b {
                prop_assert!(r.rate_low <= r.rate + 1e-12 && r.rate <= r.rate_high + 1e-12);
            }
        }

        #[test]
        fn prop_never_panics(obs in any_obs(), q in 0usize..12, m in prop::num::f64::ANY) {
            let _ = auc(&obs);
            let _ = gini(&obs);
            let _ = ks(&obs);
            let _ = brier(&obs);
            let _ = log_loss(&obs);
            let _ = bands(&obs, q);
            let _ = ece(&obs, q);
            let cal = isotonic(&obs, m);
            for o in &obs { let _ = cal.probability(o.score); }
            let pairs: Vec<(f64, f64)> = obs.iter().map(|o| (o.score, o.wins)).collect();
            let other: Vec<(f64, f64)> = obs.iter().map(|o| (o.losses, o.wins)).collect();
            let edges: Vec<f64> = obs.iter().map(|o| o.score).collect();
            let _ = psi(&pairs, &other, None);
            let _ = psi(&pairs, &other, Some(&edges));
            let ys: Vec<f64> = obs.iter().map(|o| o.score).collect();
            let ws: Vec<f64> = obs.iter().map(|o| o.wins).collect();
            let _ = pav(&ys, &ws);
        }
    }
}
