//! Statistics for the leadtune lead-scoring pipeline.
//!
//! Every function here is total: it never panics, whatever the input (empty
//! slices, zero counts, `n = 0`, NaN, overflow). Where a value cannot be
//! computed it returns NaN or a documented value instead.
//!
//! Conventions used throughout:
//! * "events" are **wins** (converted leads) and "non-events" are losses;
//! * weight of evidence is `ln(%wins / %losses)`, so WoE > 0 means a bin
//!   converts better than average (see [`woe`]);
//! * counts are `f64` weights unless the test is exact (Fisher), which takes
//!   integer counts.
//!
//! Distributions (chi-square, hypergeometric) come from `statrs`.

use statrs::distribution::{ChiSquared, ContinuousCDF, Discrete, Hypergeometric};

/// Two-sided 95% normal quantile, `z = Φ⁻¹(0.975) = 1.959963984540054`.
pub const Z95: f64 = 1.959963984540054;

/// Wilson score interval for a binomial proportion (Wilson, E. B. 1927,
/// "Probable inference, the law of succession, and statistical inference",
/// JASA 22:209–212; see also Agresti & Coull 1998, The American Statistician
/// 52:119–126).
///
/// With `p̂ = wins / n`:
///
/// ```text
/// centre = (wins + z²/2) / (n + z²)
/// half   = z / (n + z²) · sqrt( wins·(n − wins)/n + z²/4 )
/// (lo, hi) = (centre − half, centre + half)
/// ```
///
/// which is the usual `(p̂ + z²/2n ± z·sqrt(p̂(1−p̂)/n + z²/4n²)) / (1 + z²/n)`
/// multiplied through by `n`. Use `z = Z95` for a 95% interval.
///
/// Edge cases (never panics):
/// * `n <= 0` (no trials) → `(0.0, 1.0)`, the whole unit interval;
/// * any NaN argument, or infinite `n` → `(NaN, NaN)`;
/// * infinite `z` → `(0.0, 1.0)`; a negative `z` is used as `|z|`;
/// * `wins` is clamped to `[0, n]`;
/// * `wins == 0` gives a lower bound of exactly `0.0` and `wins == n` an
///   upper bound of exactly `1.0` (the formula gives those values
///   mathematically; this removes floating-point residue such as `-3e-17`);
///   bounds are always clamped to `[0, 1]`.
pub fn wilson_interval(wins: f64, n: f64, z: f64) -> (f64, f64) {
    if wins.is_nan() || n.is_nan() || z.is_nan() {
        return (f64::NAN, f64::NAN);
    }
    if n <= 0.0 {
        return (0.0, 1.0);
    }
    if n.is_infinite() {
        return (f64::NAN, f64::NAN);
    }
    if z.is_infinite() {
        return (0.0, 1.0);
    }
    let w = wins.clamp(0.0, n);
    let z2 = z * z;
    let denom = n + z2;
    let centre = (w + z2 / 2.0) / denom;
    let half = z.abs() / denom * (w * (n - w) / n + z2 / 4.0).sqrt();
    let lo = if w <= 0.0 {
        0.0
    } else {
        (centre - half).clamp(0.0, 1.0)
    };
    let hi = if w >= n {
        1.0
    } else {
        (centre + half).clamp(0.0, 1.0)
    };
    (lo, hi)
}

/// Additive smoothing constant used for WoE / IV: 0.5 added to every cell
/// (the Haldane–Anscombe correction: Haldane 1956, Ann. Hum. Genet.
/// 20:309–311; Anscombe 1956, Biometrika 43:461–464).
pub const WOE_SMOOTHING: f64 = 0.5;

/// Smoothed win and loss shares of one bin:
/// `(wins_bin + s) / (wins_total + s·k)` and `(losses_bin + s) / (losses_total + s·k)`.
fn smoothed_shares(
    wins_bin: f64,
    losses_bin: f64,
    wins_total: f64,
    losses_total: f64,
    bins: usize,
    smoothing: f64,
) -> (f64, f64) {
    let sk = smoothing * bins as f64;
    (
        (wins_bin + smoothing) / (wins_total + sk),
        (losses_bin + smoothing) / (losses_total + sk),
    )
}

/// Weight of evidence of one bin (Siddiqi, N. 2006, "Credit Risk Scorecards",
/// Wiley, ch. 6), with additive smoothing `s` per cell:
///
/// ```text
/// WoE = ln( ((wins_bin + s) / (wins_total + s·k)) / ((losses_bin + s) / (losses_total + s·k)) )
/// ```
///
/// where `k = bins` is the number of bins of the trait and `wins_total` /
/// `losses_total` are the totals over **all** bins (including this one). The
/// `s·k` in the denominators makes the smoothed shares of the `k` bins sum
/// to 1. Use `smoothing = WOE_SMOOTHING` (0.5, Haldane–Anscombe).
///
/// **Sign convention: events (wins) in the numerator.** WoE > 0 means the bin
/// converts *better* than average, WoE < 0 worse, WoE = 0 average. This is
/// the opposite of optbinning's default (which, following the credit-risk
/// convention where the event is a default, uses `ln(%non-events / %events)`).
/// Siddiqi's `ln(%good / %bad)` is the same as ours once "good" = win. We
/// use it so that scorecard points (`offset + factor · WoE`, `factor > 0`)
/// rise with WoE: a bin that converts better earns more points.
///
/// Edge cases (never panics): with `smoothing = 0` an empty cell gives
/// `±∞`, and a bin with no wins and no losses gives NaN; NaN inputs give
/// NaN. With `smoothing > 0` and non-negative counts the result is finite.
pub fn woe(
    wins_bin: f64,
    losses_bin: f64,
    wins_total: f64,
    losses_total: f64,
    bins: usize,
    smoothing: f64,
) -> f64 {
    let (ws, ls) = smoothed_shares(
        wins_bin,
        losses_bin,
        wins_total,
        losses_total,
        bins,
        smoothing,
    );
    (ws / ls).ln()
}

/// Information-value term of one bin (Siddiqi 2006, "Credit Risk Scorecards",
/// ch. 6), with the same smoothed shares as [`woe`]:
///
/// ```text
/// IV_bin = (%wins − %losses) · WoE
///        = ( (w_b + s)/(W + s·k) − (l_b + s)/(L + s·k) ) · ln( ((w_b + s)/(W + s·k)) / ((l_b + s)/(L + s·k)) )
/// ```
///
/// The IV of a trait is the sum of the terms over its `k` bins. Each term is
/// `>= 0` (the two factors always have the same sign), so IV >= 0, and the
/// term is independent of the WoE sign convention.
///
/// Edge cases (never panics): when the two shares are equal (including both
/// zero, possible only with `smoothing = 0`) the term is `0.0`; with
/// `smoothing = 0` a bin where exactly one share is zero gives `+∞`; NaN
/// inputs give NaN.
pub fn iv_term(
    wins_bin: f64,
    losses_bin: f64,
    wins_total: f64,
    losses_total: f64,
    bins: usize,
    smoothing: f64,
) -> f64 {
    let (ws, ls) = smoothed_shares(
        wins_bin,
        losses_bin,
        wins_total,
        losses_total,
        bins,
        smoothing,
    );
    if ws == ls {
        return 0.0;
    }
    (ws - ls) * (ws / ls).ln()
}

/// Pearson chi-square test of independence of a 2x2 table `[[a, b], [c, d]]`,
/// 1 degree of freedom, **no** Yates continuity correction (Pearson 1900;
/// Agresti, "Categorical Data Analysis", 3rd ed. 2013, ch. 3). Returns the
/// p-value.
///
/// ```text
/// N  = a + b + c + d
/// X² = N · (a·d − b·c)² / ((a + b)(c + d)(a + c)(b + d))
/// p  = P(χ²₁ > X²)          (chi-square(1) survival function, from statrs)
/// ```
///
/// This equals `sum (O − E)² / E` over the four cells, and matches R's
/// `chisq.test(m, correct = FALSE)`.
///
/// Edge cases (never panics): a degenerate table (any row or column total
/// zero, including an all-zero table) → `1.0`; a negative, NaN or infinite
/// count → NaN.
pub fn chi_square_2x2(a: f64, b: f64, c: f64, d: f64) -> f64 {
    if [a, b, c, d].iter().any(|x| !x.is_finite() || *x < 0.0) {
        return f64::NAN;
    }
    let (r1, r2, c1, c2) = (a + b, c + d, a + c, b + d);
    if r1 <= 0.0 || r2 <= 0.0 || c1 <= 0.0 || c2 <= 0.0 {
        return 1.0;
    }
    let n = r1 + r2;
    let diff = a * d - b * c;
    // Written as a product of ratios to delay overflow on huge counts.
    let stat = n * (diff / (r1 * c1)) * (diff / (r2 * c2));
    if stat.is_nan() {
        return f64::NAN;
    }
    match ChiSquared::new(1.0) {
        Ok(chi2) => chi2.sf(stat).clamp(0.0, 1.0),
        Err(_) => f64::NAN,
    }
}

/// Relative tolerance used by [`fisher_exact_2x2`] to decide that a table is
/// "as likely" as the observed one (R's `fisher.test` uses `1 + 1e-7`).
const FISHER_REL_ERR: f64 = 1e-7;

/// Fisher's exact test of a 2x2 table `[[a, b], [c, d]]`, two-sided
/// (Fisher 1935, "The Design of Experiments" — the lady tasting tea;
/// Agresti, "Categorical Data Analysis", 3rd ed. 2013, ch. 3).
///
/// With the margins fixed, `a` follows the hypergeometric distribution
///
/// ```text
/// P(X = x) = C(a + c, x) · C(b + d, a + b − x) / C(N, a + b),
///            max(0, (a + b) − (b + d)) <= x <= min(a + b, a + c)
/// ```
///
/// and the two-sided p-value is the total probability of the tables that are
/// as likely as or less likely than the observed one:
///
/// ```text
/// p = Σ { P(X = x) : P(X = x) <= P(X = a) · (1 + 1e-7) }
/// ```
///
/// with the relative tolerance `1e-7` of R's `fisher.test` (scipy's
/// `fisher_exact` does the same), so that tables of mathematically equal
/// probability are counted despite rounding. Log-probabilities come from
/// `statrs`'s hypergeometric distribution.
///
/// Cost: the distribution is unimodal, so the two tails are located by
/// binary search and summed outward from their inner edge, stopping once the
/// remaining (geometrically bounded) tail is below `1e-17` of the running
/// sum. The work is roughly proportional to the width of the tails, i.e.
/// `O(sqrt(N))` at worst; [`bin_vs_rest_test`] only calls it for
/// `N <= 100_000`. For very large `N` (beyond ~10⁹) the tie tolerance is
/// limited by the f64 precision of the log-factorials.
///
/// Edge cases (never panics): a table whose margins admit only one table
/// (any row or column total zero, including the all-zero table) → `1.0`;
/// counts whose sum overflows `u64` → NaN. The result is capped at `1.0`.
pub fn fisher_exact_2x2(a: u64, b: u64, c: u64, d: u64) -> f64 {
    let (Some(row1), Some(col1)) = (a.checked_add(b), a.checked_add(c)) else {
        return f64::NAN;
    };
    let Some(n) = row1.checked_add(c).and_then(|x| x.checked_add(d)) else {
        return f64::NAN;
    };
    let col2 = n - col1; // = b + d
    let lo = row1.saturating_sub(col2);
    let hi = row1.min(col1);
    if lo >= hi {
        return 1.0;
    }
    // Exact check (integer ratios of consecutive probabilities,
    // P(a+1)/P(a) = b·c / ((a+1)(d+1)) and P(a)/P(a-1) = (b+1)(c+1) / (a·d)):
    // if the observed table is a mode, every table is as or less likely.
    if is_mode(a, b, c, d) {
        return 1.0;
    }
    let Ok(h) = Hypergeometric::new(n, col1, row1) else {
        return f64::NAN;
    };
    // Only ever called on lo..=hi, where statrs' ln_pmf cannot underflow.
    let lnp = |x: u64| h.ln_pmf(x);
    let threshold = lnp(a) + FISHER_REL_ERR.ln_1p();
    let is_tail = |x: u64| lnp(x) <= threshold;

    // Mode of the hypergeometric: floor((row1 + 1)(col1 + 1) / (N + 2)).
    let mode = ((row1 as u128 + 1) * (col1 as u128 + 1) / (n as u128 + 2)) as u64;
    let mode = mode.clamp(lo, hi);

    // P is non-decreasing on [lo, mode]: the left tail is a prefix.
    let left_edge = if is_tail(lo) {
        let (mut l, mut r) = (lo, mode);
        while l < r {
            let mid = l + (r - l).div_ceil(2);
            if is_tail(mid) {
                l = mid;
            } else {
                r = mid - 1;
            }
        }
        Some(l)
    } else {
        None
    };
    // P is non-increasing on [mode, hi]: the right tail is a suffix.
    let right_edge = if is_tail(hi) {
        let (mut l, mut r) = (mode, hi);
        while l < r {
            let mid = l + (r - l) / 2;
            if is_tail(mid) {
                r = mid;
            } else {
                l = mid + 1;
            }
        }
        Some(l)
    } else {
        None
    };
    if let (Some(le), Some(re)) = (left_edge, right_edge)
        && le >= re
    {
        // The mode itself qualifies, hence every table does.
        return 1.0;
    }
    let left = left_edge.map_or(0.0, |le| sum_outward((lo..=le).rev(), &lnp));
    let right = right_edge.map_or(0.0, |re| sum_outward(re..=hi, &lnp));
    (left + right).clamp(0.0, 1.0)
}

/// Whether `a` is a mode of the hypergeometric with the margins of
/// `[[a, b], [c, d]]`: `P(a+1) <= P(a)` iff `b·c <= (a+1)(d+1)`, and
/// `P(a-1) <= P(a)` iff `a·d <= (b+1)(c+1)`. Exact in `u128`; on overflow
/// answers `false` (the caller then falls back to log-probabilities).
fn is_mode(a: u64, b: u64, c: u64, d: u64) -> bool {
    let (a, b, c, d) = (a as u128, b as u128, c as u128, d as u128);
    let le = |x: Option<u128>, y: Option<u128>| matches!((x, y), (Some(x), Some(y)) if x <= y);
    le(b.checked_mul(c), (a + 1).checked_mul(d + 1))
        && le(a.checked_mul(d), (b + 1).checked_mul(c + 1))
}

/// Sums `exp(lnp(x))` over a tail, walking outward from its inner edge (terms
/// decrease). Because the hypergeometric is log-concave, the ratio `r` of
/// consecutive terms only shrinks outward, so the rest of the tail is at most
/// `term · r / (1 − r)`; stop when that is negligible.
fn sum_outward(xs: impl Iterator<Item = u64>, lnp: &impl Fn(u64) -> f64) -> f64 {
    let mut sum = 0.0;
    let mut prev: Option<f64> = None;
    for x in xs {
        let term = lnp(x).exp();
        if term.is_nan() {
            return f64::NAN;
        }
        sum += term;
        if term == 0.0 {
            break;
        }
        if let Some(p) = prev {
            let r = term / p;
            if r < 1.0 && term * r / (1.0 - r) <= sum * 1e-17 {
                break;
            }
        }
        prev = Some(term);
    }
    sum
}

/// Largest total for which [`bin_vs_rest_test`] will use Fisher's exact test.
pub const FISHER_MAX_TOTAL: u64 = 100_000;

/// Smallest expected cell count for which the chi-square approximation is
/// trusted (Cochran's rule; Agresti, "Categorical Data Analysis", ch. 3).
pub const MIN_EXPECTED_COUNT: f64 = 5.0;

/// Test of "this bin vs the rest of the trait" on the 2x2 table
/// `[[wins_bin, losses_bin], [wins_rest, losses_rest]]`.
///
/// Expected cell counts under independence are `E_ij = row_i · col_j / N`
/// (Agresti, "Categorical Data Analysis", ch. 3); the smallest is
/// `min(row) · min(col) / N`. Rule (Cochran 1954):
///
/// * if some `E_ij < 5` **and** `N <= 100_000` → [`fisher_exact_2x2`],
///   name `"fisher"`;
/// * otherwise → [`chi_square_2x2`] (Pearson, no continuity correction),
///   name `"chi_square"` (above 100_000 the chi-square approximation is used
///   even with a small expected cell, to keep the cost bounded).
///
/// Returns `(p_value, test_name)`. Never panics: a degenerate table (e.g.
/// all zeros, or no wins at all) has a zero margin, so its smallest expected
/// count is 0 and it goes to Fisher, which returns `1.0` (chi-square would
/// too).
pub fn bin_vs_rest_test(
    wins_bin: u64,
    losses_bin: u64,
    wins_rest: u64,
    losses_rest: u64,
) -> (f64, &'static str) {
    let (a, b, c, d) = (
        wins_bin as u128,
        losses_bin as u128,
        wins_rest as u128,
        losses_rest as u128,
    );
    let total = a + b + c + d;
    let min_expected = if total == 0 {
        0.0
    } else {
        ((a + b).min(c + d) as f64) * ((a + c).min(b + d) as f64) / total as f64
    };
    if min_expected < MIN_EXPECTED_COUNT && total <= FISHER_MAX_TOTAL as u128 {
        (
            fisher_exact_2x2(wins_bin, losses_bin, wins_rest, losses_rest),
            "fisher",
        )
    } else {
        (
            chi_square_2x2(
                wins_bin as f64,
                losses_bin as f64,
                wins_rest as f64,
                losses_rest as f64,
            ),
            "chi_square",
        )
    }
}

/// Benjamini–Hochberg adjusted p-values, controlling the false discovery
/// rate (Benjamini, Y. & Hochberg, Y. 1995, "Controlling the false discovery
/// rate", JRSS B 57:289–300). Same as R's `p.adjust(p, "BH")`.
///
/// With the `m` non-NaN p-values sorted ascending, `p(1) <= … <= p(m)`:
///
/// ```text
/// q(i) = min( 1, min_{j >= i} m · p(j) / j )      (step-up, monotone)
/// ```
///
/// Results are returned in the input order. NaN p-values stay NaN and are
/// not counted in `m`. Empty input → empty output. Never panics. (Inputs are
/// expected in `[0, 1]`; larger values are capped at 1 by the formula.)
pub fn benjamini_hochberg(p: &[f64]) -> Vec<f64> {
    let mut out = vec![f64::NAN; p.len()];
    let mut idx: Vec<usize> = (0..p.len()).filter(|&i| !p[i].is_nan()).collect();
    let m = idx.len();
    if m == 0 {
        return out;
    }
    idx.sort_by(|&i, &j| p[i].total_cmp(&p[j]));
    let mut running = 1.0_f64;
    for (rank0, &i) in idx.iter().enumerate().rev() {
        // m/j >= 1, so the correctly rounded product is never below p[i].
        let q = m as f64 / (rank0 + 1) as f64 * p[i];
        running = running.min(q);
        out[i] = running;
    }
    out
}

/// One group of grouped score data: `(score, wins, losses)`.
type Group = (f64, f64, f64);

/// Validates grouped data and merges groups of equal score, sorted by
/// ascending score. Returns `None` on a NaN score or a weight that is
/// negative or not finite. Also returns the total wins and losses.
fn merge_groups(groups: &[Group]) -> Option<(Vec<Group>, f64, f64)> {
    if groups
        .iter()
        .any(|&(s, w, l)| s.is_nan() || !(w.is_finite() && w >= 0.0 && l.is_finite() && l >= 0.0))
    {
        return None;
    }
    let mut sorted = groups.to_vec();
    sorted.sort_by(|x, y| x.0.total_cmp(&y.0));
    let mut merged: Vec<Group> = Vec::with_capacity(sorted.len());
    let (mut wins, mut losses) = (0.0, 0.0);
    for (s, w, l) in sorted {
        wins += w;
        losses += l;
        match merged.last_mut() {
            // `==` also merges -0.0 with 0.0, which total_cmp puts side by side.
            Some(last) if last.0 == s => {
                last.1 += w;
                last.2 += l;
            }
            _ => merged.push((s, w, l)),
        }
    }
    Some((merged, wins, losses))
}

/// Area under the ROC curve from grouped data: the probability that a random
/// win scores above a random loss, ties counting 1/2 — the Mann–Whitney
/// statistic `U / (n₁ n₀)` (Mann & Whitney 1947, Ann. Math. Stat. 18:50–60;
/// Hanley & McNeil 1982, Radiology 143:29–36).
///
/// Each group is `(score, wins, losses)`, with counts as `f64` weights (so
/// weighted patterns work). Groups with equal scores are merged; then, with
/// groups in ascending score order and `L_below(g)` the losses in groups
/// strictly below `g`:
///
/// ```text
/// AUC = Σ_g wins_g · (L_below(g) + losses_g / 2)  /  (W · L)
/// ```
///
/// where `W`, `L` are the total wins and losses. `O(g log g)` (one sort).
///
/// Edge cases (never panics): no wins or no losses (`W == 0` or `L == 0`,
/// including an empty slice) → NaN; a NaN score, or a negative or
/// non-finite weight → NaN. Infinite scores are fine.
pub fn auc_grouped(groups: &[(f64, f64, f64)]) -> f64 {
    let Some((merged, wins, losses)) = merge_groups(groups) else {
        return f64::NAN;
    };
    if wins <= 0.0 || losses <= 0.0 {
        return f64::NAN;
    }
    let mut losses_below = 0.0;
    let mut u = 0.0;
    for &(_, w, l) in &merged {
        u += w * (losses_below + 0.5 * l);
        losses_below += l;
    }
    (u / (wins * losses)).clamp(0.0, 1.0)
}

/// Two-sample Kolmogorov–Smirnov statistic between the score distributions
/// of wins and losses (Smirnov 1939; Kolmogorov 1933; used for scorecards in
/// Siddiqi 2006, "Credit Risk Scorecards", ch. 6), from the same grouped data
/// as [`auc_grouped`]:
///
/// ```text
/// KS = max_t | F_wins(t) − F_losses(t) |,
/// F_wins(t) = (Σ_{score_g <= t} wins_g) / W,   F_losses likewise with L
/// ```
///
/// evaluated at every distinct score (groups with equal scores are merged,
/// so a threshold never splits a tie). `O(g log g)`. Result in `[0, 1]`.
///
/// Edge cases (never panics): no wins or no losses (including an empty
/// slice) → NaN; a NaN score, or a negative or non-finite weight → NaN.
pub fn ks_grouped(groups: &[(f64, f64, f64)]) -> f64 {
    let Some((merged, wins, losses)) = merge_groups(groups) else {
        return f64::NAN;
    };
    if wins <= 0.0 || losses <= 0.0 {
        return f64::NAN;
    }
    let (mut cw, mut cl) = (0.0, 0.0);
    let mut ks = 0.0_f64;
    for &(_, w, l) in &merged {
        cw += w;
        cl += l;
        ks = ks.max((cw / wins - cl / losses).abs());
    }
    ks.clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests;

/// Weights of evidence of a trait's bins shrunk toward the trait's own rate, so that a bin with
/// few leads or few wins gets a small WoE (and small points) instead of an extreme one.
///
/// Each bin's conversion is estimated under a beta prior centred on the trait's overall rate
/// `p = W / N` with strength `m` leads (the m-estimate of Micci-Barreca 2001, "A preprocessing
/// scheme for high-cardinality categorical attributes", the empirical-Bayes posterior mean of a
/// beta-binomial):
///
/// ```text
/// r_b   = (w_b + m·p) / (n_b + m)
/// WoE_b = logit(r_b) − logit(p)
/// ```
///
/// `m` is estimated from the bins themselves by the method of moments (one-way random effects,
/// DerSimonian & Laird 1986; Kleinman 1973 for proportions): with `σ² = p(1−p)`,
///
/// ```text
/// τ² = ( Σ_b n_b (p_b − p)² − (k − 1)·σ² ) / ( N − Σ_b n_b² / N )      (between-bin variance)
/// m  = σ² / τ² − 1                                                     (beta prior variance τ²)
/// ```
///
/// so a trait whose bins differ little beyond chance gets a strong prior (WoE near 0), and a
/// trait with real differences a weak one; `m` is at least [`MIN_PRIOR_LEADS`], and `τ² ≤ 0`
/// (no differences beyond chance) gives every bin WoE 0. With `m → 0` this is the raw WoE
/// `ln(%wins / %losses)` of [`woe`] without smoothing. Empty bins get 0; no wins or no
/// losses at all give 0 everywhere. Never NaN for non-negative counts.
pub fn shrunk_woe(wins: &[f64], leads: &[f64]) -> Vec<f64> {
    let total: f64 = leads.iter().sum();
    let won: f64 = wins.iter().sum();
    let zero = vec![0.0; leads.len()];
    if !(total > 0.0 && won > 0.0 && won < total) {
        return zero;
    }
    let p = won / total;
    let sigma2 = p * (1.0 - p);
    let k = leads.iter().filter(|&&n| n > 0.0).count() as f64;
    let between: f64 = wins
        .iter()
        .zip(leads)
        .filter(|(_, n)| **n > 0.0)
        .map(|(w, n)| n * (w / n - p).powi(2))
        .sum();
    let spread = total - leads.iter().map(|n| n * n).sum::<f64>() / total;
    let tau2 = (between - (k - 1.0) * sigma2) / spread;
    if !(spread > 0.0 && tau2 > 0.0 && tau2.is_finite()) {
        return zero;
    }
    let m = (sigma2 / tau2 - 1.0).max(MIN_PRIOR_LEADS);
    let logit = |r: f64| (r / (1.0 - r)).ln();
    wins.iter()
        .zip(leads)
        .map(|(w, n)| {
            if *n > 0.0 {
                logit((w + m * p) / (n + m)) - logit(p)
            } else {
                0.0
            }
        })
        .collect()
}

/// The least prior strength of [`shrunk_woe`], in leads: even a trait with large differences
/// between its bins does not give a bin without wins an infinite WoE.
pub const MIN_PRIOR_LEADS: f64 = 1.0;
