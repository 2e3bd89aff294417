//! Tests of [`super`]: hand-computed cases and properties.

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
