//! Tests of [`super`]: hand-computed cases and properties.

use super::*;
use approx::assert_relative_eq;
use proptest::prelude::*;

// ---------------------------------------------------------------- Wilson

#[test]
fn wilson_8_of_10_by_hand() {
    // z = 1.96, z² = 3.8416, n + z² = 13.8416
    // centre = (8 + 1.9208) / 13.8416 = 9.9208 / 13.8416 = 0.7167379...
    // 8·2/10 + z²/4 = 1.6 + 0.9604 = 2.5604, sqrt = 1.6001250
    // half = 1.96 · 1.6001250 / 13.8416 = 3.1362450 / 13.8416 = 0.2265811
    // => (0.4901568, 0.9433191)
    let (lo, hi) = wilson_interval(8.0, 10.0, 1.96);
    assert_relative_eq!(lo, 0.716_737_949 - 0.226_581_103, epsilon = 1e-8);
    assert_relative_eq!(hi, 0.716_737_949 + 0.226_581_103, epsilon = 1e-8);
    assert_relative_eq!(lo, 0.490_156_8, epsilon = 1e-6);
    assert_relative_eq!(hi, 0.943_319_1, epsilon = 1e-6);
}

#[test]
fn wilson_zero_and_all_wins() {
    // 0 of 10: centre = half = (z²/2)/(n + z²), so lo = 0 exactly and
    // hi = z²/(n + z²) = 3.8416 / 13.8416 = 0.277540...
    let (lo, hi) = wilson_interval(0.0, 10.0, 1.96);
    assert_eq!(lo, 0.0);
    assert_relative_eq!(hi, 3.8416 / 13.8416, epsilon = 1e-12);
    // 10 of 10 mirrors it: lo = 1 - 0.277540..., hi = 1 exactly.
    let (lo, hi) = wilson_interval(10.0, 10.0, 1.96);
    assert_relative_eq!(lo, 1.0 - 3.8416 / 13.8416, epsilon = 1e-12);
    assert_eq!(hi, 1.0);
}

#[test]
fn wilson_degenerate_inputs() {
    assert_eq!(wilson_interval(0.0, 0.0, Z95), (0.0, 1.0));
    assert_eq!(wilson_interval(3.0, -1.0, Z95), (0.0, 1.0));
    assert!(wilson_interval(f64::NAN, 10.0, Z95).0.is_nan());
    assert!(wilson_interval(1.0, f64::INFINITY, Z95).1.is_nan());
    assert_eq!(wilson_interval(3.0, 10.0, f64::INFINITY), (0.0, 1.0));
    // wins > n is clamped to n.
    assert_eq!(
        wilson_interval(12.0, 10.0, Z95),
        wilson_interval(10.0, 10.0, Z95)
    );
    // z = 0 collapses onto the point estimate.
    assert_eq!(wilson_interval(3.0, 10.0, 0.0), (0.3, 0.3));
}

// ------------------------------------------------------------- WoE / IV

// Two bins, smoothing s = 0.5, k = 2 (so s·k = 1):
//   bin A: 30 wins, 70 losses  (conversion 30%)
//   bin B: 10 wins, 190 losses (conversion 5%)
//   totals W = 40, L = 260      (conversion 40/300 = 13.3%)
// A: %wins = 30.5/41 = 0.7439024, %losses = 70.5/261 = 0.2701149
//    ratio = (30.5·261)/(70.5·41) = 7960.5/2890.5 = 2.7540218
//    WoE = ln 2.7540218 = 1.0130623
//    IV  = (0.7439024 − 0.2701149) · 1.0130623 = 0.4737875 · 1.0130623 = 0.4799763
// B: %wins = 10.5/41 = 0.2560976, %losses = 190.5/261 = 0.7298851
//    ratio = (10.5·261)/(190.5·41) = 2740.5/7810.5 = 0.3508738
//    WoE = ln 0.3508738 = −1.0473286
//    IV  = (0.2560976 − 0.7298851) · (−1.0473286) = 0.4962112
// IV(trait) = 0.4799763 + 0.4962112 = 0.9761874

#[test]
fn woe_two_bin_hand_case() {
    let a = woe(30.0, 70.0, 40.0, 260.0, 2, WOE_SMOOTHING);
    let b = woe(10.0, 190.0, 40.0, 260.0, 2, WOE_SMOOTHING);
    assert_relative_eq!(a, (7960.5_f64 / 2890.5).ln(), epsilon = 1e-12);
    assert_relative_eq!(a, 1.013_062_3, epsilon = 1e-6);
    assert_relative_eq!(b, (2740.5_f64 / 7810.5).ln(), epsilon = 1e-12);
    assert_relative_eq!(b, -1.047_328_6, epsilon = 1e-6);
}

#[test]
fn woe_sign_convention_events_in_numerator() {
    // Bin A converts at 30% > 13.3% overall: WoE > 0 (earns points).
    assert!(woe(30.0, 70.0, 40.0, 260.0, 2, WOE_SMOOTHING) > 0.0);
    // Bin B converts at 5% < 13.3%: WoE < 0.
    assert!(woe(10.0, 190.0, 40.0, 260.0, 2, WOE_SMOOTHING) < 0.0);
    // Unsmoothed, a bin with exactly the average rate has WoE 0:
    // (10/40)/(90/360) = 0.25/0.25 = 1, ln 1 = 0.
    assert_eq!(woe(10.0, 90.0, 40.0, 360.0, 3, 0.0), 0.0);
}

#[test]
fn woe_zero_cells() {
    // Smoothing keeps an empty cell finite: 0 wins, 50 losses,
    // W = 20, L = 100, k = 2: ln((0.5/21)/(50.5/101)) = ln(0.5·101/(21·50.5))
    // = ln(50.5/1060.5) = ln(0.0476190) = −3.0445224
    let w = woe(0.0, 50.0, 20.0, 100.0, 2, WOE_SMOOTHING);
    assert_relative_eq!(w, (50.5_f64 / 1060.5).ln(), epsilon = 1e-12);
    assert_relative_eq!(w, -3.044_522_4, epsilon = 1e-6);
    // Without smoothing the empty cell gives −∞, a fully empty bin NaN.
    assert_eq!(woe(0.0, 50.0, 20.0, 100.0, 2, 0.0), f64::NEG_INFINITY);
    assert!(woe(0.0, 0.0, 20.0, 100.0, 2, 0.0).is_nan());
    assert_eq!(iv_term(0.0, 0.0, 20.0, 100.0, 2, 0.0), 0.0);
    assert_eq!(iv_term(0.0, 50.0, 20.0, 100.0, 2, 0.0), f64::INFINITY);
    // All-zero input with smoothing: both shares 0.5/0.5·k, WoE 0, IV 0.
    assert_eq!(woe(0.0, 0.0, 0.0, 0.0, 2, WOE_SMOOTHING), 0.0);
    assert_eq!(iv_term(0.0, 0.0, 0.0, 0.0, 2, WOE_SMOOTHING), 0.0);
    // k = 0 and s = 0 with zero totals: 0/0 → NaN, no panic.
    assert!(woe(0.0, 0.0, 0.0, 0.0, 0, 0.0).is_nan());
}

#[test]
fn iv_two_bin_hand_case() {
    let a = iv_term(30.0, 70.0, 40.0, 260.0, 2, WOE_SMOOTHING);
    let b = iv_term(10.0, 190.0, 40.0, 260.0, 2, WOE_SMOOTHING);
    let exact_a = (30.5 / 41.0 - 70.5 / 261.0) * (7960.5_f64 / 2890.5).ln();
    let exact_b = (10.5 / 41.0 - 190.5 / 261.0) * (2740.5_f64 / 7810.5).ln();
    assert_relative_eq!(a, exact_a, epsilon = 1e-12);
    assert_relative_eq!(b, exact_b, epsilon = 1e-12);
    assert_relative_eq!(a, 0.479_976_3, epsilon = 1e-6);
    assert_relative_eq!(b, 0.496_211_2, epsilon = 1e-6);
    assert_relative_eq!(a + b, 0.976_187_4, epsilon = 1e-6);
}

// ----------------------------------------------------------- chi-square

#[test]
fn chi_square_hand_cases() {
    // [[6,2],[2,6]]: N = 16, ad − bc = 36 − 4 = 32, margins all 8:
    // X² = 16 · 32² / 8⁴ = 16384 / 4096 = 4.
    // χ²₁ = Z², so p = P(|Z| > 2) = 0.0455002638963584
    // (R: pchisq(4, 1, lower.tail = FALSE)).
    assert_relative_eq!(
        chi_square_2x2(6.0, 2.0, 2.0, 6.0),
        0.045_500_263_896_358_4,
        epsilon = 1e-12
    );
    // [[5,3],[3,5]]: X² = 16 · (25 − 9)² / 8⁴ = 4096 / 4096 = 1,
    // p = P(|Z| > 1) = 0.3173105078629141.
    assert_relative_eq!(
        chi_square_2x2(5.0, 3.0, 3.0, 5.0),
        0.317_310_507_862_914_1,
        epsilon = 1e-12
    );
    // [[10,20],[30,40]]: N = 100, ad − bc = 400 − 600 = −200,
    // X² = 100 · 40000 / (30 · 70 · 40 · 60) = 4e6 / 5.04e6 = 50/63 = 0.7936508,
    // p = erfc(sqrt(X²/2)) since χ²₁ = Z²; Python `math.erfc(math.sqrt(25/63))`
    // = 0.37299848361348714. (statrs' own erfc agrees only to ~1e-10.)
    let x2: f64 = 50.0 / 63.0;
    let p = chi_square_2x2(10.0, 20.0, 30.0, 40.0);
    assert_relative_eq!(p, 0.372_998_483_613_487_14, epsilon = 1e-12);
    assert_relative_eq!(
        p,
        statrs::function::erf::erfc((x2 / 2.0).sqrt()),
        epsilon = 1e-9
    );
    // Independence exactly (ad = bc): X² = 0, p = 1.
    assert_relative_eq!(chi_square_2x2(2.0, 4.0, 3.0, 6.0), 1.0, epsilon = 1e-15);
}

#[test]
fn chi_square_degenerate() {
    assert_eq!(chi_square_2x2(0.0, 0.0, 0.0, 0.0), 1.0);
    assert_eq!(chi_square_2x2(5.0, 0.0, 3.0, 0.0), 1.0); // zero column
    assert_eq!(chi_square_2x2(0.0, 0.0, 3.0, 4.0), 1.0); // zero row
    assert!(chi_square_2x2(-1.0, 2.0, 3.0, 4.0).is_nan());
    assert!(chi_square_2x2(f64::NAN, 2.0, 3.0, 4.0).is_nan());
    assert!(chi_square_2x2(f64::INFINITY, 2.0, 3.0, 4.0).is_nan());
}

// --------------------------------------------------------------- Fisher

#[test]
fn fisher_tea_tasting() {
    // [[3,1],[1,3]]: margins 4,4 / 4,4, N = 8, C(8,4) = 70.
    // P(x) ∝ C(4,x)·C(4,4−x) for x = 0..4: 1, 16, 36, 16, 1.
    // Observed x = 3 (16); tables with weight <= 16: 1 + 16 + 16 + 1 = 34.
    // p = 34/70 = 0.4857142857 (R: fisher.test(matrix(c(3,1,1,3),2))).
    // x = 1 and x = 3 tie exactly: the 1e-7 tolerance must count both.
    assert_relative_eq!(fisher_exact_2x2(3, 1, 1, 3), 34.0 / 70.0, epsilon = 1e-12);
    assert_relative_eq!(
        fisher_exact_2x2(3, 1, 1, 3),
        0.485_714_285_7,
        epsilon = 1e-10
    );
}

#[test]
fn fisher_8_2_1_5() {
    // [[8,2],[1,5]]: rows 10, 6; cols 9, 7; N = 16; C(16,10) = 8008.
    // x = a ranges over 3..=9 with weight C(9,x)·C(7,10−x):
    //   x=3: 84·1 = 84     x=4: 126·7 = 882   x=5: 126·21 = 2646
    //   x=6: 84·35 = 2940  x=7: 36·35 = 1260  x=8: 9·21 = 189   x=9: 1·7 = 7
    //   (sum 8008 ✓). Observed x = 8 (189); <= 189: 84 + 189 + 7 = 280.
    // p = 280/8008 = 35/1001 = 0.034965034965...
    // (scipy.stats.fisher_exact([[8,2],[1,5]]) p = 0.034965...).
    assert_relative_eq!(
        fisher_exact_2x2(8, 2, 1, 5),
        280.0 / 8008.0,
        epsilon = 1e-12
    );
}

#[test]
fn fisher_perfect_separation() {
    // [[10,0],[0,10]]: margins all 10, C(20,10) = 184756. Only x = 0 and
    // x = 10 have weight 1 (the minimum): p = 2/184756 = 1.0825088e-5.
    assert_relative_eq!(
        fisher_exact_2x2(10, 0, 0, 10),
        2.0 / 184_756.0,
        max_relative = 1e-10
    );
}

#[test]
fn fisher_degenerate_and_huge() {
    assert_eq!(fisher_exact_2x2(0, 0, 0, 0), 1.0);
    assert_eq!(fisher_exact_2x2(5, 0, 3, 0), 1.0); // zero column total
    assert_eq!(fisher_exact_2x2(0, 0, 3, 4), 1.0); // zero row total
    assert!(fisher_exact_2x2(u64::MAX, 1, 0, 0).is_nan()); // overflow
    // Observed at the mode: every table qualifies, p = 1, instantly.
    let big = 1_000_000_000;
    assert_eq!(fisher_exact_2x2(big, big, big, big), 1.0);
    // Extreme table with huge counts: probability underflows to 0, quickly.
    assert_eq!(fisher_exact_2x2(1_000_000, 0, 0, 1_000_000), 0.0);
}

#[test]
fn fisher_matches_full_enumeration_on_a_larger_table() {
    // Sum of the pmf over the whole support, without the tail search or
    // early stopping, as an independent check of those shortcuts.
    let (a, b, c, d) = (480_u64, 520, 530, 470);
    let (row1, col1, n) = (a + b, a + c, a + b + c + d);
    let h = Hypergeometric::new(n, col1, row1).unwrap();
    let lo = row1.saturating_sub(b + d);
    let hi = row1.min(col1);
    let cut = h.ln_pmf(a) + FISHER_REL_ERR.ln_1p();
    let full: f64 = (lo..=hi)
        .filter(|&x| h.ln_pmf(x) <= cut)
        .map(|x| h.ln_pmf(x).exp())
        .sum();
    let p = fisher_exact_2x2(a, b, c, d);
    assert!(p > 0.0 && p < 1.0);
    assert_relative_eq!(p, full, max_relative = 1e-9);
}

// ----------------------------------------------------------- bin vs rest

#[test]
fn bin_vs_rest_picks_the_test() {
    // [[8,2],[1,5]]: smallest expected = min(10,6)·min(9,7)/16 = 42/16 = 2.625 < 5
    // → Fisher, p = 280/8008 (see fisher_8_2_1_5).
    let (p, name) = bin_vs_rest_test(8, 2, 1, 5);
    assert_eq!(name, "fisher");
    assert_relative_eq!(p, 280.0 / 8008.0, epsilon = 1e-12);

    // [[100,200],[300,400]]: smallest expected = 300·400/1000 = 120 >= 5
    // → chi-square. X² = 1000·(40000 − 60000)²/(300·700·400·600)
    // = 4e11 / 5.04e10 = 500/63 = 7.9365079, p = erfc(sqrt(X²/2)):
    // Python `math.erfc(math.sqrt(250/63))` = 0.004844723739299837.
    let (p, name) = bin_vs_rest_test(100, 200, 300, 400);
    assert_eq!(name, "chi_square");
    assert_relative_eq!(p, 0.004_844_723_739_299_837, max_relative = 1e-10);
    assert_eq!(p, chi_square_2x2(100.0, 200.0, 300.0, 400.0));

    // Small expected count but N = 120_001 > 100_000 → chi-square.
    let (_, name) = bin_vs_rest_test(1, 0, 60_000, 60_000);
    assert_eq!(name, "chi_square");

    // Degenerate: all zeros, or no wins anywhere → p = 1 without panicking.
    assert_eq!(bin_vs_rest_test(0, 0, 0, 0), (1.0, "fisher"));
    assert_eq!(bin_vs_rest_test(0, 7, 0, 9), (1.0, "fisher"));
    assert_eq!(bin_vs_rest_test(0, 70_000, 0, 90_000), (1.0, "chi_square"));
    // Huge counts do not overflow.
    let (p, name) = bin_vs_rest_test(u64::MAX, u64::MAX, u64::MAX, u64::MAX);
    assert_eq!(name, "chi_square");
    assert!((0.0..=1.0).contains(&p) || p.is_nan());
}

// ---------------------------------------------------- Benjamini-Hochberg

#[test]
fn bh_hand_case() {
    // Input: [0.20, 0.010, 0.90, 0.036, 0.035], m = 5.
    // Sorted:  j=1 0.010 → 5·0.010/1 = 0.05
    //          j=2 0.035 → 5·0.035/2 = 0.0875
    //          j=3 0.036 → 5·0.036/3 = 0.06
    //          j=4 0.20  → 5·0.20/4  = 0.25
    //          j=5 0.90  → 5·0.90/5  = 0.90
    // Step-up (running min from j=5 down): 0.90, 0.25, 0.06, min(0.0875, 0.06) = 0.06, 0.05.
    // Back in input order: [0.25, 0.05, 0.90, 0.06, 0.06].
    let q = benjamini_hochberg(&[0.20, 0.010, 0.90, 0.036, 0.035]);
    let expected = [0.25, 0.05, 0.90, 0.06, 0.06];
    assert_eq!(q.len(), 5);
    for (got, want) in q.iter().zip(expected) {
        assert_relative_eq!(*got, want, epsilon = 1e-12);
    }
}

#[test]
fn bh_nan_and_edge_cases() {
    // NaN is skipped: m = 2 over {0.01, 0.04}: 2·0.01/1 = 0.02, 2·0.04/2 = 0.04.
    let q = benjamini_hochberg(&[0.01, f64::NAN, 0.04]);
    assert_relative_eq!(q[0], 0.02, epsilon = 1e-15);
    assert!(q[1].is_nan());
    assert_relative_eq!(q[2], 0.04, epsilon = 1e-15);
    assert!(benjamini_hochberg(&[]).is_empty());
    assert!(
        benjamini_hochberg(&[f64::NAN, f64::NAN])
            .iter()
            .all(|x| x.is_nan())
    );
    // Ties: [0.03, 0.03], m = 2: 2·0.03/1 = 0.06, 2·0.03/2 = 0.03 → both 0.03.
    assert_eq!(benjamini_hochberg(&[0.03, 0.03]), vec![0.03, 0.03]);
    // Capped at 1 (only reachable with invalid p > 1).
    assert_eq!(benjamini_hochberg(&[3.0]), vec![1.0]);
}

// ------------------------------------------------------------- AUC / KS

// Groups (score, wins, losses), with a score split over two groups:
//   (0.1, 1, 3), (0.5, 2, 1), (0.9, 2, 1), (0.5, 1, 0)
// Merged: 0.1 → w1 l3; 0.5 → w3 l1; 0.9 → w2 l1.   W = 6, L = 5, W·L = 30.
fn hand_groups() -> Vec<(f64, f64, f64)> {
    vec![
        (0.1, 1.0, 3.0),
        (0.5, 2.0, 1.0),
        (0.9, 2.0, 1.0),
        (0.5, 1.0, 0.0),
    ]
}

#[test]
fn auc_hand_case_with_ties() {
    // wins at 0.1: 1 · (0 below + 3/2 tied) = 1.5
    // wins at 0.5: 3 · (3 below + 1/2 tied) = 10.5
    // wins at 0.9: 2 · (4 below + 1/2 tied) = 9
    // U = 21, AUC = 21/30 = 0.7
    assert_relative_eq!(auc_grouped(&hand_groups()), 0.7, epsilon = 1e-15);
    // Perfect separation and its mirror.
    assert_eq!(auc_grouped(&[(1.0, 4.0, 0.0), (0.0, 0.0, 3.0)]), 1.0);
    assert_eq!(auc_grouped(&[(0.0, 4.0, 0.0), (1.0, 0.0, 3.0)]), 0.0);
    // Everything tied: 1/2.
    assert_eq!(auc_grouped(&[(2.0, 4.0, 3.0)]), 0.5);
}

#[test]
fn auc_ks_degenerate() {
    for f in [auc_grouped, ks_grouped] {
        assert!(f(&[]).is_nan());
        assert!(f(&[(1.0, 0.0, 0.0)]).is_nan());
        assert!(f(&[(1.0, 3.0, 0.0), (2.0, 2.0, 0.0)]).is_nan()); // no losses
        assert!(f(&[(1.0, 0.0, 3.0)]).is_nan()); // no wins
        assert!(f(&[(f64::NAN, 1.0, 1.0)]).is_nan());
        assert!(f(&[(1.0, -1.0, 1.0), (2.0, 2.0, 2.0)]).is_nan());
        assert!(f(&[(1.0, f64::INFINITY, 1.0)]).is_nan());
    }
    // Infinite scores are ordinary scores; -0.0 and 0.0 tie.
    assert_eq!(
        auc_grouped(&[(f64::NEG_INFINITY, 0.0, 1.0), (f64::INFINITY, 1.0, 0.0)]),
        1.0
    );
    assert_eq!(auc_grouped(&[(-0.0, 1.0, 0.0), (0.0, 0.0, 1.0)]), 0.5);
}

#[test]
fn ks_hand_case() {
    // Merged groups as above, W = 6, L = 5:
    //   t = 0.1: F_w = 1/6, F_l = 3/5 → |1/6 − 3/5| = |5 − 18|/30 = 13/30
    //   t = 0.5: F_w = 4/6, F_l = 4/5 → |20 − 24|/30 = 4/30
    //   t = 0.9: F_w = 1,   F_l = 1   → 0
    // KS = 13/30 = 0.4333...
    assert_relative_eq!(ks_grouped(&hand_groups()), 13.0 / 30.0, epsilon = 1e-15);
    // Perfect separation: KS = 1; everything tied: KS = 0.
    assert_eq!(ks_grouped(&[(1.0, 4.0, 0.0), (0.0, 0.0, 3.0)]), 1.0);
    assert_eq!(ks_grouped(&[(2.0, 4.0, 3.0)]), 0.0);
}

// ------------------------------------------------------------ properties

/// Exact two-sided Fisher p-value by integer enumeration (u128), as an
/// independent reference for small tables.
fn fisher_brute(a: u64, b: u64, c: u64, d: u64) -> f64 {
    fn choose(n: u64, k: u64) -> u128 {
        if k > n {
            return 0;
        }
        let k = k.min(n - k);
        let mut r: u128 = 1;
        for i in 0..k {
            r = r * (n - i) as u128 / (i + 1) as u128;
        }
        r
    }
    let (row1, col1, col2) = (a + b, a + c, b + d);
    let n = a + b + c + d;
    let weight = |x: u64| choose(col1, x) * choose(col2, row1 - x);
    let lo = row1.saturating_sub(col2);
    let hi = row1.min(col1);
    let obs = weight(a) as f64 * (1.0 + 1e-7);
    let num: u128 = (lo..=hi).map(weight).filter(|&w| w as f64 <= obs).sum();
    num as f64 / choose(n, row1) as f64
}

fn expand(groups: &[(f64, f64, f64)]) -> (Vec<f64>, Vec<f64>) {
    let mut wins = Vec::new();
    let mut losses = Vec::new();
    for &(s, w, l) in groups {
        wins.extend(std::iter::repeat_n(s, w as usize));
        losses.extend(std::iter::repeat_n(s, l as usize));
    }
    (wins, losses)
}

fn groups_strategy() -> impl Strategy<Value = Vec<(f64, f64, f64)>> {
    // Few distinct scores so that ties (within and across groups) are common.
    prop::collection::vec(
        (0_i32..6, 0_u32..5, 0_u32..5).prop_map(|(s, w, l)| (s as f64 * 0.5, w as f64, l as f64)),
        0..10,
    )
}

proptest! {
    #[test]
    fn prop_iv_non_negative(
        cells in prop::collection::vec((0_u32..1000, 0_u32..1000), 1..8),
        smoothing in prop_oneof![Just(WOE_SMOOTHING), 0.01_f64..2.0],
    ) {
        let k = cells.len();
        let wt: f64 = cells.iter().map(|c| c.0 as f64).sum();
        let lt: f64 = cells.iter().map(|c| c.1 as f64).sum();
        let mut iv = 0.0;
        for &(w, l) in &cells {
            let term = iv_term(w as f64, l as f64, wt, lt, k, smoothing);
            prop_assert!(term >= 0.0, "term {term}");
            iv += term;
        }
        prop_assert!(iv >= 0.0 && iv.is_finite());
    }

    #[test]
    fn prop_bh_monotone_and_above_raw(
        p in prop::collection::vec(prop_oneof![9 => 0.0_f64..=1.0, 1 => Just(f64::NAN)], 0..30),
    ) {
        let q = benjamini_hochberg(&p);
        prop_assert_eq!(q.len(), p.len());
        for i in 0..p.len() {
            prop_assert_eq!(p[i].is_nan(), q[i].is_nan());
            if p[i].is_nan() { continue; }
            prop_assert!(q[i] >= p[i] && q[i] <= 1.0);
            for j in 0..p.len() {
                if !p[j].is_nan() && p[i] <= p[j] {
                    prop_assert!(q[i] <= q[j], "p {} <= {} but q {} > {}", p[i], p[j], q[i], q[j]);
                }
            }
        }
    }

    #[test]
    fn prop_auc_matches_pairwise_count(groups in groups_strategy()) {
        let (wins, losses) = expand(&groups);
        let auc = auc_grouped(&groups);
        if wins.is_empty() || losses.is_empty() {
            prop_assert!(auc.is_nan());
        } else {
            let mut u = 0.0;
            for &sw in &wins {
                for &sl in &losses {
                    u += if sw > sl { 1.0 } else if sw == sl { 0.5 } else { 0.0 };
                }
            }
            let brute = u / (wins.len() * losses.len()) as f64;
            prop_assert!((auc - brute).abs() < 1e-12, "auc {auc} brute {brute}");
        }
    }

    #[test]
    fn prop_ks_matches_brute_force(groups in groups_strategy()) {
        let (wins, losses) = expand(&groups);
        let ks = ks_grouped(&groups);
        if wins.is_empty() || losses.is_empty() {
            prop_assert!(ks.is_nan());
        } else {
            let mut brute = 0.0_f64;
            for &t in wins.iter().chain(&losses) {
                let fw = wins.iter().filter(|&&s| s <= t).count() as f64 / wins.len() as f64;
                let fl = losses.iter().filter(|&&s| s <= t).count() as f64 / losses.len() as f64;
                brute = brute.max((fw - fl).abs());
            }
            prop_assert!((ks - brute).abs() < 1e-12, "ks {ks} brute {brute}");
        }
    }

    #[test]
    fn prop_fisher_matches_integer_enumeration(
        a in 0_u64..25, b in 0_u64..25, c in 0_u64..25, d in 0_u64..25,
    ) {
        let p = fisher_exact_2x2(a, b, c, d);
        let brute = fisher_brute(a, b, c, d);
        prop_assert!((0.0..=1.0).contains(&p));
        prop_assert!((p - brute).abs() <= 1e-9 * brute.max(1e-300), "p {p} brute {brute}");
    }

    #[test]
    fn prop_chi_square_and_bin_test_in_unit_interval(
        a in 0_u64..2000, b in 0_u64..2000, c in 0_u64..2000, d in 0_u64..2000,
    ) {
        let p = chi_square_2x2(a as f64, b as f64, c as f64, d as f64);
        prop_assert!((0.0..=1.0).contains(&p));
        let (p, _) = bin_vs_rest_test(a, b, c, d);
        prop_assert!((0.0..=1.0).contains(&p));
    }
}

/// Shrunk WoE by hand: bins of 14 leads (0 wins), 200 (10) and 200 (30). p = 40/414,
/// τ² = (Σ n_b (p_b − p)² − 2 p(1−p)) / (414 − Σ n_b²/414) = 0.0043611, m = p(1−p)/τ² − 1
/// = 19.014, WoE_b = logit((w_b + m p)/(n_b + m)) − logit(p).
#[test]
fn shrunk_woe_by_hand() {
    let woe = shrunk_woe(&[0.0, 10.0, 30.0], &[14.0, 200.0, 200.0]);
    let expected = [-0.596_107_570_9, -0.626_957_162_3, 0.463_954_176_8];
    for (got, want) in woe.iter().zip(expected) {
        assert_relative_eq!(*got, want, epsilon = 1e-9);
    }
    // The small bin without wins is pulled in much further than the smoothed raw WoE
    // (Haldane: -1.165); the large bins hardly move.
    let raw = woe_of(0.0, 14.0, 40.0, 414.0);
    assert!(raw < -1.16 && woe[0] > raw / 1.9, "{raw} vs {}", woe[0]);
    let raw_large = woe_of(10.0, 200.0, 40.0, 414.0);
    assert!(
        (woe[1] - raw_large).abs() < 0.07,
        "{raw_large} vs {}",
        woe[1]
    );
}

fn woe_of(wins: f64, leads: f64, total_wins: f64, total: f64) -> f64 {
    woe(
        wins,
        leads - wins,
        total_wins,
        total - total_wins,
        3,
        WOE_SMOOTHING,
    )
}

/// Bins that differ no more than chance gets them a WoE of 0 each; no wins or no losses at
/// all, or a single bin, too.
#[test]
fn shrunk_woe_without_differences_is_zero() {
    assert_eq!(shrunk_woe(&[10.0, 10.0], &[100.0, 100.0]), vec![0.0, 0.0]);
    assert_eq!(shrunk_woe(&[10.0, 11.0], &[100.0, 100.0]), vec![0.0, 0.0]);
    assert_eq!(shrunk_woe(&[0.0, 0.0], &[100.0, 50.0]), vec![0.0, 0.0]);
    assert_eq!(shrunk_woe(&[5.0], &[50.0]), vec![0.0]);
    assert_eq!(shrunk_woe(&[5.0, 0.0], &[50.0, 0.0]), vec![0.0, 0.0]);
    // Real differences keep their order and sign.
    let woe = shrunk_woe(&[5.0, 50.0, 0.0], &[500.0, 500.0, 0.0]);
    assert!(woe[0] < 0.0 && woe[1] > 0.0 && woe[2] == 0.0, "{woe:?}");
}
