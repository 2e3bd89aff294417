//! Tests of [`super`]: hand-computed cases and properties.

use super::*;
use approx::assert_abs_diff_eq;
use linfa::traits::Fit;
use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;
use std::time::Instant;

fn params(l2: f64) -> ValidLogitParams {
    LogitParams {
        l2,
        ..LogitParams::default()
    }
    .check()
    .expect("valid params")
}

/// Standard normal by Box-Muller.
fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = 1.0 - rng.random::<f64>(); // (0, 1]
    let u2: f64 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

fn true_sigmoid(eta: f64) -> f64 {
    1.0 / (1.0 + (-eta).exp())
}

/// Gaussian features with planted coefficients; Bernoulli 0/1 targets.
fn gaussian_data(n: usize, b0: f64, b: &[f64], seed: u64) -> (Array2<f64>, Vec<f64>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let k = b.len();
    let mut x = Array2::zeros((n, k));
    let mut y = vec![0.0; n];
    for i in 0..n {
        let mut eta = b0;
        for j in 0..k {
            let v = normal(&mut rng);
            x[[i, j]] = v;
            eta += b[j] * v;
        }
        y[i] = if rng.random::<f64>() < true_sigmoid(eta) {
            1.0
        } else {
            0.0
        };
    }
    (x, y)
}

/// Binned (small-integer) features: few distinct patterns.
fn binned_data(n: usize, b0: f64, b: &[f64], levels: u32, seed: u64) -> (Array2<f64>, Vec<f64>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let k = b.len();
    let mut x = Array2::zeros((n, k));
    let mut y = vec![0.0; n];
    for i in 0..n {
        let mut eta = b0;
        for j in 0..k {
            let v = f64::from(rng.random_range(0..levels));
            x[[i, j]] = v;
            eta += b[j] * v;
        }
        y[i] = if rng.random::<f64>() < true_sigmoid(eta) {
            1.0
        } else {
            0.0
        };
    }
    (x, y)
}

/// Collapses rows into unique patterns: (patterns, y = wins / count, w = count).
fn collapse(x: &Array2<f64>, y: &[f64]) -> (Array2<f64>, Vec<f64>, Vec<f64>) {
    let mut groups: BTreeMap<Vec<u64>, (f64, f64)> = BTreeMap::new();
    for (row, &yi) in x.rows().into_iter().zip(y) {
        let key: Vec<u64> = row.iter().map(|v| v.to_bits()).collect();
        let e = groups.entry(key).or_insert((0.0, 0.0));
        e.0 += yi;
        e.1 += 1.0;
    }
    let k = x.ncols();
    let mut xs = Array2::zeros((groups.len(), k));
    let mut ys = Vec::new();
    let mut ws = Vec::new();
    for (g, (key, (wins, count))) in groups.iter().enumerate() {
        for (j, bits) in key.iter().enumerate() {
            xs[[g, j]] = f64::from_bits(*bits);
        }
        ys.push(wins / count);
        ws.push(*count);
    }
    (xs, ys, ws)
}

fn to_bool(y: &[f64]) -> Array1<bool> {
    y.iter().map(|&v| v == 1.0).collect()
}

// ---------------------------------------------------------------- 1. linfa-logistic

/// linfa-logistic 0.8.1 minimises `-sum_i log sigmoid(s_i z_i) + alpha/2 ||params||^2` with
/// labels `s_i` in {-1, +1}: the loss is SUMMED (not averaged), the intercept is NOT
/// penalised (`convert_params` splits it off before the penalty) and dataset weights are
/// ignored. That is exactly our objective with unit weights and `l2 = alpha`, so the
/// comparison uses a nonzero alpha directly. Its "positive" (+1) class is the MORE FREQUENT
/// label (ties: the first one seen), so with a conversion rate under 50% the positive class
/// is `false` and its coefficients and intercept are those of P(false) = our negatives.
/// The solver is L-BFGS stopping on an ABSOLUTE gradient-norm tolerance (default 1e-4) on the
/// summed loss, so a tight tolerance is needed for 1e-6 agreement.
#[test]
fn matches_linfa_logistic() {
    let truth = [0.8, -0.5, 0.3, 0.1];
    // Conversion under 50% (linfa's positive class is `false`, signs flip) and over 50%
    // (positive class `true`, no flip).
    for (b0, more_frequent) in [(-1.2, false), (1.2, true)] {
        let (x, y) = gaussian_data(2_000, b0, &truth, 11);
        let conversion = y.iter().sum::<f64>() / y.len() as f64;
        assert_eq!(conversion > 0.5, more_frequent);
        let w = vec![1.0; y.len()];
        for alpha in [1.0, 0.0, 10.0] {
            let dataset = linfa::Dataset::new(x.clone(), to_bool(&y));
            let theirs = linfa_logistic::LogisticRegression::default()
                .alpha(alpha)
                .gradient_tolerance(1e-9)
                .max_iterations(10_000)
                .fit(&dataset)
                .expect("linfa-logistic fit");
            let labels = theirs.labels();
            assert_eq!(labels.pos.class, more_frequent);
            let sign = if labels.pos.class { 1.0 } else { -1.0 };

            let ours = fit(x.view(), &y, &w, None, &params(alpha)).expect("fit");
            assert!(ours.converged);
            assert_abs_diff_eq!(ours.intercept, sign * theirs.intercept(), epsilon = 1e-6);
            for (a, b) in ours.coefficients.iter().zip(theirs.params()) {
                assert_abs_diff_eq!(*a, sign * b, epsilon = 1e-6);
            }
        }
    }
}

/// The Hessian block update picked for this CPU gives the portable one's result to the bit.
#[test]
fn block_adder_matches_the_portable_update() {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(17);
    for d in [1usize, 2, 5, 22, 31] {
        let block: Vec<f64> = (0..BLOCK * d)
            .map(|_| rng.random_range(-3.0..3.0))
            .collect();
        let s = [0.25, 0.0, 1.5, 0.125];
        let start: Vec<f64> = (0..d * d).map(|_| rng.random_range(-1.0..1.0)).collect();
        let (mut a, mut b) = (start.clone(), start);
        add_block(&mut a, &block, &s, d);
        block_adder()(&mut b, &block, &s, d);
        assert_eq!(
            a.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            b.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            "d = {d}"
        );
    }
}

/// A warm start (the fit without one column, from the fit with it) reaches the same
/// optimum as a cold start in fewer Newton steps; a start of the wrong length is ignored.
#[test]
fn warm_start_reaches_the_same_optimum_sooner() {
    let (x, y) = gaussian_data(5_000, -1.0, &[0.8, -0.5, 0.3, 0.05], 21);
    let w = vec![1.0; y.len()];
    let p = params(1.0);
    let full = fit(x.view(), &y, &w, None, &p).expect("fit");
    let fewer = x.slice(ndarray::s![.., 0..3]).to_owned();
    let cold = fit(fewer.view(), &y, &w, None, &p).expect("cold");
    let mut start = vec![full.intercept];
    start.extend_from_slice(&full.coefficients[0..3]);
    let warm = fit_from(fewer.view(), &y, &w, None, &p, Some(&start)).expect("warm");
    assert!(cold.converged && warm.converged);
    assert!(
        warm.iterations < cold.iterations,
        "warm {} cold {}",
        warm.iterations,
        cold.iterations
    );
    assert_abs_diff_eq!(warm.intercept, cold.intercept, epsilon = 1e-9);
    for (a, b) in warm.coefficients.iter().zip(&cold.coefficients) {
        assert_abs_diff_eq!(*a, *b, epsilon = 1e-9);
    }
    let ignored = fit_from(fewer.view(), &y, &w, None, &p, Some(&start[..2])).expect("fit");
    assert_eq!(ignored, cold);
}

/// Our linfa `Fit` impl: a weighted dataset of patterns equals the expanded rows.
#[test]
fn linfa_fit_trait_uses_weights() {
    let (x, y) = binned_data(3_000, -0.7, &[0.4, -0.3], 4, 5);
    let (xs, ys, ws) = collapse(&x, &y);
    let expanded = params(0.5)
        .fit(&linfa::Dataset::new(x.clone(), to_bool(&y)))
        .expect("fit expanded");
    // Grouped binary targets cannot be fractions in a bool dataset, so split each pattern
    // into a "won" row (weight wins) and a "lost" row (weight count - wins).
    let k = xs.ncols();
    let mut rows = Vec::new();
    let mut targets = Vec::new();
    let mut weights = Vec::new();
    for (g, (&yg, &wg)) in ys.iter().zip(&ws).enumerate() {
        let wins = (yg * wg).round();
        for (t, wt) in [(true, wins), (false, wg - wins)] {
            rows.extend(xs.row(g).iter().copied());
            targets.push(t);
            weights.push(wt as f32);
        }
    }
    let xg = Array2::from_shape_vec((targets.len(), k), rows).expect("shape");
    let grouped = params(0.5)
        .fit(&linfa::Dataset::new(xg, Array1::from(targets)).with_weights(Array1::from(weights)))
        .expect("fit grouped");
    assert_abs_diff_eq!(grouped.intercept, expanded.intercept, epsilon = 1e-9);
    for (a, b) in grouped.coefficients.iter().zip(&expanded.coefficients) {
        assert_abs_diff_eq!(*a, *b, epsilon = 1e-9);
    }
}

// ---------------------------------------------------------------- 2. grouped = expanded

#[test]
fn grouped_equals_expanded() {
    let truth = [0.5, -0.4, 0.25];
    let (x, y) = binned_data(20_000, -1.0, &truth, 5, 3);
    let (xs, ys, ws) = collapse(&x, &y);
    assert!(xs.nrows() <= 125);
    let ones = vec![1.0; y.len()];
    for l2 in [0.0, 1.0, 25.0] {
        let expanded = fit(x.view(), &y, &ones, None, &params(l2)).expect("expanded");
        let grouped = fit(xs.view(), &ys, &ws, None, &params(l2)).expect("grouped");
        assert!(expanded.converged && grouped.converged);
        assert_abs_diff_eq!(grouped.intercept, expanded.intercept, epsilon = 1e-9);
        for (a, b) in grouped.coefficients.iter().zip(&expanded.coefficients) {
            assert_abs_diff_eq!(*a, *b, epsilon = 1e-9);
        }
        let rel = (grouped.objective - expanded.objective).abs() / expanded.objective;
        assert!(rel < 1e-12, "objectives differ: {rel}");
    }
}

// ---------------------------------------------------------------- 3. truth recovery

#[test]
fn recovers_planted_truth() {
    let b0 = -1.5;
    let truth = [0.7, -0.4, 0.2, 0.0];
    let n = 200_000;
    // Two Gaussian features and two binary (dummy) features.
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    let mut x = Array2::zeros((n, 4));
    let mut y = vec![0.0; n];
    for i in 0..n {
        let row = [
            normal(&mut rng),
            normal(&mut rng),
            f64::from(u8::from(rng.random::<f64>() < 0.3)),
            f64::from(u8::from(rng.random::<f64>() < 0.6)),
        ];
        let mut eta = b0;
        for j in 0..4 {
            x[[i, j]] = row[j];
            eta += truth[j] * row[j];
        }
        y[i] = if rng.random::<f64>() < true_sigmoid(eta) {
            1.0
        } else {
            0.0
        };
    }
    let w = vec![1.0; n];
    let m = fit(x.view(), &y, &w, None, &params(0.0)).expect("fit");
    assert!(m.converged);
    // Standard errors from the inverse Fisher information X~' W X~ at the estimate.
    let beta: Vec<f64> = std::iter::once(m.intercept)
        .chain(m.coefficients.iter().copied())
        .collect();
    let xs = x.as_slice().expect("standard layout");
    let problem = Problem::new(xs, n, 4, &y, &w, None).expect("valid");
    let info = problem.newton_sums(&problem.etas(&beta)).hess;
    let d = 5;
    let est = beta.clone();
    let want: Vec<f64> = std::iter::once(b0).chain(truth).collect();
    for j in 0..d {
        let mut e = vec![0.0; d];
        e[j] = 1.0;
        let col = cholesky_solve(&info, &e, d, 0.0).expect("invertible");
        let se = col[j].sqrt();
        let err = (est[j] - want[j]).abs();
        assert!(
            err < 3.0 * se || err < 0.05,
            "param {j}: estimate {} truth {} se {se}",
            est[j],
            want[j]
        );
    }
}

// ---------------------------------------------------------------- 4. offset

#[test]
fn offset_reproduces_full_model() {
    let truth = [0.6, -0.8, 0.35];
    let (x, y) = gaussian_data(5_000, -0.9, &truth, 9);
    let w = vec![1.0; y.len()];
    let full = fit(x.view(), &y, &w, None, &params(0.0)).expect("full");
    assert!(full.converged);
    for j in 0..3 {
        let c = full.coefficients[j];
        let offset: Vec<f64> = x.column(j).iter().map(|v| c * v).collect();
        let keep: Vec<usize> = (0..3).filter(|&t| t != j).collect();
        let reduced_x = x.select(ndarray::Axis(1), &keep);
        let reduced = fit(reduced_x.view(), &y, &w, Some(&offset), &params(0.0)).expect("reduced");
        assert!(reduced.converged);
        assert_abs_diff_eq!(reduced.intercept, full.intercept, epsilon = 1e-6);
        for (r, &t) in reduced.coefficients.iter().zip(&keep) {
            assert_abs_diff_eq!(*r, full.coefficients[t], epsilon = 1e-6);
        }
    }
}

// ---------------------------------------------------------------- 5. hand case

#[test]
fn two_by_two_table_gives_log_odds_ratio() {
    // Reference group x = 0: a wins, b losses; x = 1: c wins, d losses.
    let (a, b, c, d) = (30.0_f64, 70.0_f64, 45.0_f64, 55.0_f64);
    let log_or = ((b * c) / (a * d)).ln(); // odds(x=1) / odds(x=0) = (c/d) / (a/b)
    let ref_log_odds = (a / b).ln();
    // Grouped form: two patterns.
    let x = Array2::from_shape_vec((2, 1), vec![0.0, 1.0]).expect("shape");
    let y = [a / (a + b), c / (c + d)];
    let w = [a + b, c + d];
    let m = fit(x.view(), &y, &w, None, &params(0.0)).expect("fit");
    assert!(m.converged);
    assert_abs_diff_eq!(m.coefficients[0], log_or, epsilon = 1e-10);
    assert_abs_diff_eq!(m.intercept, ref_log_odds, epsilon = 1e-10);
    // Expanded form: 200 rows.
    let mut xe = Vec::new();
    let mut ye = Vec::new();
    for (xv, wins, losses) in [(0.0, a, b), (1.0, c, d)] {
        for r in 0..(wins + losses) as usize {
            xe.push(xv);
            ye.push(if (r as f64) < wins { 1.0 } else { 0.0 });
        }
    }
    let xe = Array2::from_shape_vec((ye.len(), 1), xe).expect("shape");
    let we = vec![1.0; ye.len()];
    let m = fit(xe.view(), &ye, &we, None, &params(0.0)).expect("fit");
    assert_abs_diff_eq!(m.coefficients[0], log_or, epsilon = 1e-10);
    assert_abs_diff_eq!(m.intercept, ref_log_odds, epsilon = 1e-10);
    // The model's probabilities are the observed rates.
    assert_abs_diff_eq!(m.probability(&[0.0]), 0.3, epsilon = 1e-12);
    assert_abs_diff_eq!(m.probability(&[1.0]), 0.45, epsilon = 1e-12);
}

// ---------------------------------------------------------------- 6. errors

fn small() -> (Array2<f64>, Vec<f64>, Vec<f64>) {
    let x = Array2::from_shape_fn((6, 2), |(i, j)| (i * 2 + j) as f64 / 10.0);
    (x, vec![0.0, 1.0, 0.0, 1.0, 1.0, 0.0], vec![1.0; 6])
}

#[test]
fn error_nan_in_x() {
    let (mut x, y, w) = small();
    x[[3, 1]] = f64::NAN;
    let err = fit(x.view(), &y, &w, None, &params(1.0)).unwrap_err();
    assert!(matches!(
        err,
        LogitError::NonFiniteFeature { row: 3, column: 1 }
    ));
    assert_eq!(err.to_string(), "row 3 has a non-finite value in column 1");
    x[[3, 1]] = f64::INFINITY;
    let err = fit(x.view(), &y, &w, None, &params(1.0)).unwrap_err();
    assert!(matches!(
        err,
        LogitError::NonFiniteFeature { row: 3, column: 1 }
    ));
}

#[test]
fn error_names_the_first_non_finite_cell_of_a_large_x() {
    // Checked in parallel slices: the first bad cell in row order is the one named.
    let (n, k) = (40_000, 3);
    let mut x = Array2::from_shape_fn((n, k), |(i, j)| ((i + j) % 7) as f64);
    let y: Vec<f64> = (0..n).map(|i| (i % 2) as f64).collect();
    let w = vec![1.0; n];
    // In different slices of the check, and two in one slice.
    x[[39_000, 0]] = f64::NAN;
    x[[10_001, 2]] = f64::INFINITY;
    x[[10_002, 0]] = f64::NAN;
    x[[30_000, 1]] = f64::NAN;
    let err = fit(x.view(), &y, &w, None, &params(1.0)).unwrap_err();
    assert!(matches!(
        err,
        LogitError::NonFiniteFeature {
            row: 10_001,
            column: 2
        }
    ));
}

#[test]
fn intercept_only_etas_skip_the_features_and_agree() {
    // Zero slopes: `offset + b0` without reading x, the same values as the dot product.
    let (n, k) = (60_000, 2);
    let x: Vec<f64> = (0..n * k).map(|v| (v % 11) as f64 - 5.0).collect();
    let y: Vec<f64> = (0..n).map(|i| (i % 3 == 0) as u8 as f64).collect();
    let w = vec![1.0; n];
    let offset: Vec<f64> = (0..n).map(|i| (i % 5) as f64 * 0.25 - 0.5).collect();
    for off in [None, Some(&offset[..])] {
        let problem = Problem::new(&x, n, k, &y, &w, off).expect("valid");
        let mut got = Vec::new();
        for beta in [[-0.7, 0.0, 0.0], [0.3, 0.5, -0.25]] {
            problem.etas_into(&beta, &mut got);
            let expected: Vec<f64> = (0..n).map(|i| problem.eta(i, &beta)).collect();
            assert_eq!(got, expected);
        }
    }
}

#[test]
fn error_negative_weight() {
    let (x, y, mut w) = small();
    w[2] = -1.0;
    let err = fit(x.view(), &y, &w, None, &params(1.0)).unwrap_err();
    assert!(matches!(err, LogitError::InvalidWeight { row: 2, .. }));
    assert!(err.to_string().contains("row 2"), "{err}");
    w[2] = f64::NAN;
    let err = fit(x.view(), &y, &w, None, &params(1.0)).unwrap_err();
    assert!(matches!(err, LogitError::InvalidWeight { row: 2, .. }));
}

#[test]
fn error_target_out_of_range() {
    let (x, mut y, w) = small();
    y[4] = 1.5;
    let err = fit(x.view(), &y, &w, None, &params(1.0)).unwrap_err();
    assert!(matches!(err, LogitError::TargetOutOfRange { row: 4, .. }));
    assert_eq!(err.to_string(), "targets must be in [0, 1] (row 4: 1.5)");
    y[4] = f64::NAN;
    let err = fit(x.view(), &y, &w, None, &params(1.0)).unwrap_err();
    assert!(matches!(err, LogitError::TargetOutOfRange { row: 4, .. }));
}

#[test]
fn error_empty() {
    let x = Array2::<f64>::zeros((0, 3));
    let err = fit(x.view(), &[], &[], None, &params(1.0)).unwrap_err();
    assert!(matches!(err, LogitError::NoRows));
    assert_eq!(err.to_string(), "no rows");
}

#[test]
fn error_all_weight_zero() {
    let (x, y, _) = small();
    let err = fit(x.view(), &y, &[0.0; 6], None, &params(1.0)).unwrap_err();
    assert!(matches!(err, LogitError::AllWeightZero));
}

#[test]
fn error_shape_mismatch() {
    let (x, y, w) = small();
    let err = fit(x.view(), &y[..5], &w, None, &params(1.0)).unwrap_err();
    assert!(matches!(
        err,
        LogitError::ShapeMismatch {
            what: "y",
            expected: 6,
            found: 5
        }
    ));
    let err = fit(x.view(), &y, &w, Some(&[0.0; 4]), &params(1.0)).unwrap_err();
    assert!(matches!(
        err,
        LogitError::ShapeMismatch { what: "offset", .. }
    ));
    // A linfa dataset whose weights have the wrong length.
    let ds = linfa::Dataset::new(x, to_bool(&y)).with_weights(Array1::from(vec![1.0f32; 3]));
    let err = params(1.0).fit(&ds).unwrap_err();
    assert!(matches!(err, LogitError::ShapeMismatch { what: "w", .. }));
}

#[test]
fn error_non_finite_offset_and_weight_overflow() {
    let (x, y, w) = small();
    let mut off = vec![0.0; 6];
    off[5] = f64::NEG_INFINITY;
    let err = fit(x.view(), &y, &w, Some(&off), &params(1.0)).unwrap_err();
    assert!(matches!(err, LogitError::NonFiniteOffset { row: 5, .. }));
    let err = fit(x.view(), &y, &[f64::MAX; 6], None, &params(1.0)).unwrap_err();
    assert!(matches!(err, LogitError::WeightSumOverflow));
}

#[test]
fn error_invalid_params() {
    let bad = |p: LogitParams| p.check().unwrap_err();
    let d = LogitParams::default();
    assert!(matches!(
        bad(LogitParams {
            l2: -1.0,
            ..d.clone()
        }),
        LogitError::InvalidL2(_)
    ));
    assert!(matches!(
        bad(LogitParams {
            l2: f64::NAN,
            ..d.clone()
        }),
        LogitError::InvalidL2(_)
    ));
    assert!(matches!(
        bad(LogitParams {
            tol: 0.0,
            ..d.clone()
        }),
        LogitError::InvalidTol(_)
    ));
    assert!(matches!(
        bad(LogitParams { max_iter: 0, ..d }),
        LogitError::InvalidMaxIter
    ));
    let v = LogitParams::default().check().expect("default is valid");
    assert_eq!((v.l2(), v.tol(), v.max_iter()), (1.0, 1e-10, 100));
}

#[test]
fn huge_features_give_error_not_nan() {
    let x = Array2::from_shape_vec((4, 1), vec![1e200, -1e200, 2e200, 0.0]).expect("shape");
    let r = fit(
        x.view(),
        &[1.0, 0.0, 1.0, 0.0],
        &[1.0; 4],
        None,
        &params(1.0),
    );
    match r {
        Ok(m) => assert!(m.intercept.is_finite() && m.coefficients[0].is_finite()),
        Err(e) => assert!(matches!(e, LogitError::Numerical { .. }), "{e}"),
    }
}

// ---------------------------------------------------------------- 7. determinism

#[test]
fn bit_identical_across_thread_counts() {
    let truth = [0.3, -0.2, 0.15, 0.05, -0.1];
    let (x, y) = gaussian_data(100_000, -1.0, &truth, 77);
    let mut rng = ChaCha8Rng::seed_from_u64(78);
    let w: Vec<f64> = (0..y.len()).map(|_| rng.random_range(0.5..3.0)).collect();
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool");
        pool.install(|| fit(x.view(), &y, &w, None, &params(1.0)).expect("fit"))
    };
    let one = run(1);
    let two = run(2);
    let three = run(3);
    assert!(one.converged);
    let bits = |m: &LogitModel| {
        std::iter::once(m.intercept)
            .chain(m.coefficients.iter().copied())
            .chain(std::iter::once(m.objective))
            .map(f64::to_bits)
            .collect::<Vec<u64>>()
    };
    assert_eq!(bits(&one), bits(&two));
    assert_eq!(bits(&one), bits(&three));
    assert_eq!(one.iterations, two.iterations);
}

// ---------------------------------------------------------------- edge cases

#[test]
fn separation_without_penalty_is_finite_and_not_converged() {
    let x = Array2::from_shape_vec((6, 1), vec![-3.0, -2.0, -1.0, 1.0, 2.0, 3.0]).expect("shape");
    let y = [0.0, 0.0, 0.0, 1.0, 1.0, 1.0];
    let m = fit(x.view(), &y, &[1.0; 6], None, &params(0.0)).expect("fit");
    assert!(!m.converged);
    assert_eq!(m.iterations, 100);
    assert!(m.coefficients[0].is_finite() && m.coefficients[0] > 10.0);
    assert!(m.intercept.is_finite() && m.objective.is_finite());
    // Many more iterations: probabilities saturate, still no NaN and not converged.
    let long = LogitParams {
        l2: 0.0,
        tol: 1e-10,
        max_iter: 5_000,
    }
    .check()
    .expect("valid");
    let m = fit(x.view(), &y, &[1.0; 6], None, &long).expect("fit");
    assert!(!m.converged);
    assert!(m.coefficients[0].is_finite() && m.intercept.is_finite());
    // With a penalty the optimum is finite and found.
    let m = fit(x.view(), &y, &[1.0; 6], None, &params(1.0)).expect("fit");
    assert!(m.converged);
    assert!(m.coefficients[0].is_finite() && m.coefficients[0] > 0.0);
}

#[test]
fn all_one_class_does_not_converge_but_stays_finite() {
    let (x, _, w) = small();
    let m = fit(x.view(), &[0.0; 6], &w, None, &params(1.0)).expect("fit");
    assert!(!m.converged);
    assert!(m.intercept.is_finite() && m.intercept < -10.0);
}

#[test]
fn intercept_only_and_layouts() {
    // No features: the intercept is the weighted log odds.
    let x = Array2::<f64>::zeros((3, 0));
    let m = fit(
        x.view(),
        &[1.0, 0.0, 0.5],
        &[1.0, 3.0, 2.0],
        None,
        &params(1.0),
    )
    .expect("fit");
    assert!(m.converged && m.coefficients.is_empty());
    assert_abs_diff_eq!(m.intercept, (2.0_f64 / 4.0).ln(), epsilon = 1e-12);
    assert_abs_diff_eq!(m.probability(&[]), 1.0 / 3.0, epsilon = 1e-12);
    assert!(m.linear(&[1.0]).is_nan());
    // A column-major view gives the same fit as the row-major array.
    let (xr, y) = gaussian_data(500, 0.2, &[0.5, -0.5], 1);
    let xc = xr.t().as_standard_layout().to_owned();
    let xc = xc.t();
    assert!(xc.as_slice().is_none());
    let w = vec![1.0; y.len()];
    let a = fit(xr.view(), &y, &w, None, &params(1.0)).expect("fit");
    let b = fit(xc, &y, &w, None, &params(1.0)).expect("fit");
    assert_eq!(a, b);
}

#[test]
fn duplicate_column_without_penalty_is_finite() {
    let (x, y) = gaussian_data(1_000, 0.0, &[0.7], 4);
    let x2 = ndarray::concatenate![ndarray::Axis(1), x, x];
    let w = vec![1.0; y.len()];
    let single = fit(x.view(), &y, &w, None, &params(0.0)).expect("fit");
    let m = fit(x2.view(), &y, &w, None, &params(0.0)).expect("fit");
    assert!(m.coefficients.iter().all(|v| v.is_finite()));
    let sum = m.coefficients[0] + m.coefficients[1];
    assert_abs_diff_eq!(sum, single.coefficients[0], epsilon = 1e-6);
}

#[test]
fn params_and_model_serde_round_trip_fields() {
    let m = LogitModel {
        intercept: -1.0,
        coefficients: vec![0.5, 2.0],
        iterations: 3,
        converged: true,
        objective: 1.0,
    };
    assert_abs_diff_eq!(m.linear(&[2.0, 1.0]), 2.0, epsilon = 1e-15);
    assert_abs_diff_eq!(
        m.probability(&[2.0, 1.0]),
        true_sigmoid(2.0),
        epsilon = 1e-15
    );
    assert_abs_diff_eq!(sigmoid(-800.0), 0.0);
    assert_abs_diff_eq!(sigmoid(800.0), 1.0);
}

// ---------------------------------------------------------------- timings (ignored)

/// `cargo test --release -- --ignored --nocapture timing`
#[test]
#[ignore]
fn timing_one_million_rows_by_30() {
    let (n, k) = (1_000_000, 30);
    let truth: Vec<f64> = (0..k).map(|j| 0.4 * ((j as f64) * 0.7).sin()).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(2024);
    let mut x = Array2::zeros((n, k));
    let mut y = vec![0.0; n];
    for i in 0..n {
        let mut eta = -2.0;
        for j in 0..k {
            let v = f64::from(rng.random_range(0..5u8)) - 2.0;
            x[[i, j]] = v;
            eta += truth[j] * v * 0.3;
        }
        y[i] = if rng.random::<f64>() < true_sigmoid(eta) {
            1.0
        } else {
            0.0
        };
    }
    let w = vec![1.0; n];
    let start = Instant::now();
    let m = fit(x.view(), &y, &w, None, &params(1.0)).expect("fit");
    let t = start.elapsed();
    println!(
        "1M x 30: {:.3} s, {} iterations, converged {} ({} threads)",
        t.as_secs_f64(),
        m.iterations,
        m.converged,
        rayon::current_num_threads()
    );
    assert!(m.converged);
}

#[test]
#[ignore]
fn timing_5000_patterns_by_30() {
    let (n, k) = (5_000, 30);
    let truth: Vec<f64> = (0..k).map(|j| 0.4 * ((j as f64) * 0.7).sin()).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(2025);
    let mut x = Array2::zeros((n, k));
    let mut y = vec![0.0; n];
    let mut w = vec![0.0; n];
    for i in 0..n {
        let mut eta = -2.0;
        for j in 0..k {
            let v = f64::from(rng.random_range(0..5u8)) - 2.0;
            x[[i, j]] = v;
            eta += truth[j] * v * 0.3;
        }
        let count = rng.random_range(1..400u32);
        let p = true_sigmoid(eta);
        let wins = (0..count).filter(|_| rng.random::<f64>() < p).count();
        w[i] = f64::from(count);
        y[i] = wins as f64 / f64::from(count);
    }
    let start = Instant::now();
    let m = fit(x.view(), &y, &w, None, &params(1.0)).expect("fit");
    let t = start.elapsed();
    println!(
        "5000 patterns x 30: {:.3} ms, {} iterations, converged {}",
        t.as_secs_f64() * 1e3,
        m.iterations,
        m.converged
    );
    assert!(m.converged);
}
