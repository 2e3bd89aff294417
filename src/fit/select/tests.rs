use super::*;
use rand::{Rng, SeedableRng};

/// `Folds::new`'s `time`: the default shuffled folds.
const SHUFFLED: bool = false;

/// A planted history: `strong` (4 bins, 3% to 30%), `copy` (the same bins relabelled), `mild`
/// (8% against 14%) and `noise` (5 bins, no effect); one lead a day.
struct Planted {
    won: Vec<bool>,
    created: Vec<Option<i64>>,
    columns: Vec<(&'static str, Vec<u16>, usize)>,
}

fn planted(n: usize, seed: u64) -> Planted {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let (mut strong, mut copy, mut mild, mut noise, mut won) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..n {
        let s: u16 = rng.random_range(0..4);
        let m: u16 = rng.random_range(0..2);
        let logit = [-3.5, -2.4, -1.7, -0.85][s as usize] + if m == 1 { 0.6 } else { 0.0 };
        won.push(rng.random::<f64>() < 1.0 / (1.0 + f64::exp(-logit)));
        strong.push(s);
        copy.push(3 - s);
        mild.push(m);
        noise.push(rng.random_range(0..5));
    }
    Planted {
        won,
        created: (0..n).map(|i| Some(i as i64 * 86_400_000)).collect(),
        columns: vec![
            ("strong", strong, 4),
            ("copy", copy, 4),
            ("mild", mild, 2),
            ("noise", noise, 5),
        ],
    }
}

/// Each planted column's bins in the folds' order.
fn sampled(p: &Planted, folds: &Folds) -> Vec<Vec<u16>> {
    p.columns
        .iter()
        .map(|(_, bins, _)| folds.sample(bins))
        .collect()
}

fn candidates<'a>(p: &'a Planted, sampled: &'a [Vec<u16>]) -> Vec<Candidate<'a>> {
    p.columns
        .iter()
        .zip(sampled)
        .map(|((name, _, bins), assigned)| Candidate {
            name,
            assigned,
            bins: *bins,
            reference: 0,
            offsets: vec![None; *bins],
            forced: false,
        })
        .collect()
}

/// The planted effects enter; the copy of `strong` and the noise stay out, and the note
/// names what the copy overlaps.
#[test]
fn planted_traits_enter_copies_and_noise_stay_out() {
    for seed in [1, 2, 3] {
        let p = planted(6_000, seed);
        let folds = Folds::new(&p.created, SHUFFLED);
        let columns = sampled(&p, &folds);
        let c = candidates(&p, &columns);
        assert!(!folds.time_ordered && feasible(&folds, &p.won));
        let s = select(&c, &p.won, &folds, Encoding::Woe, None, 25).unwrap();
        let names: Vec<&str> = s.chosen.iter().map(|&k| c[k].name).collect();
        assert_eq!(names, ["strong", "mild"], "seed {seed}: {:?}", s.notes);
        assert!(s.loss < s.baseline);
        assert!(L2_GRID.contains(&s.l2));
        let notes = s.notes.join("\n");
        assert!(
            notes.contains("copy (") && notes.contains("overlaps strong"),
            "{notes}"
        );
        assert!(notes.contains("noise ("), "{notes}");
    }
}

/// Time-ordered folds select the same planted traits (no drift planted).
#[test]
fn time_ordered_folds_select_the_planted_traits() {
    let p = planted(6_000, 9);
    let folds = Folds::new(&p.created, true);
    let columns = sampled(&p, &folds);
    let c = candidates(&p, &columns);
    assert!(folds.time_ordered);
    let s = select(&c, &p.won, &folds, Encoding::Woe, None, 25).unwrap();
    let names: Vec<&str> = s.chosen.iter().map(|&k| c[k].name).collect();
    assert_eq!(names, ["strong", "mild"], "{:?}", s.notes);
}

/// Indicator encoding selects the same planted traits.
#[test]
fn indicator_encoding_selects_the_planted_traits() {
    let p = planted(6_000, 4);
    let folds = Folds::new(&p.created, SHUFFLED);
    let columns = sampled(&p, &folds);
    let c = candidates(&p, &columns);
    let s = select(&c, &p.won, &folds, Encoding::Indicator, Some(1.0), 25).unwrap();
    let names: Vec<&str> = s.chosen.iter().map(|&k| c[k].name).collect();
    assert_eq!(names, ["strong", "mild"], "{:?}", s.notes);
    assert_eq!(s.l2, 1.0);
    assert!(s.notes[0].contains("set by [model] l2"));
}

/// `max_traits` caps the model and says how many were not tried.
#[test]
fn max_traits_caps_the_selection() {
    let p = planted(3_000, 5);
    let folds = Folds::new(&p.created, SHUFFLED);
    let columns = sampled(&p, &folds);
    let c = candidates(&p, &columns);
    let s = select(&c, &p.won, &folds, Encoding::Woe, Some(1.0), 1).unwrap();
    assert_eq!(s.chosen, vec![0]);
    assert!(
        s.notes.iter().any(|n| n.contains("3 traits not tried")),
        "{:?}",
        s.notes
    );
}

/// Time-ordered folds (`selection_folds = "time"`) fit on older leads only and score the next block; leads come in by
/// date whatever their order in the file.
#[test]
fn time_ordered_folds_fit_on_the_past() {
    // Newest first in the file.
    let created: Vec<Option<i64>> = (0..1_000).rev().map(|d| Some(d as i64)).collect();
    let folds = Folds::new(&created, true);
    assert!(folds.time_ordered);
    assert_eq!(folds.folds.len(), TIME_FOLDS as usize);
    for &(train, eval) in &folds.folds {
        let newest_train = folds
            .rows
            .iter()
            .zip(&folds.block)
            .filter(|(_, b)| train & (1 << **b) != 0)
            .map(|(&r, _)| created[r].unwrap())
            .max()
            .unwrap();
        let oldest_eval = folds
            .rows
            .iter()
            .zip(&folds.block)
            .filter(|(_, b)| **b == eval)
            .map(|(&r, _)| created[r].unwrap())
            .min()
            .unwrap();
        assert!(newest_train < oldest_eval);
    }
    // Without dates, or shuffled: each block held out once, fitted on the others.
    let folds = Folds::new(&vec![None; 1_000], true);
    assert!(!folds.time_ordered);
    assert_eq!(folds.folds.len(), BLOCKS as usize);
    assert!(
        folds
            .folds
            .iter()
            .all(|&(t, e)| t & (1 << e) == 0 && t.count_ones() == 4)
    );
}

/// More training leads than [`MAX_CV_LEADS`]: an evenly spaced sample takes part.
#[test]
fn large_windows_are_sampled() {
    let created: Vec<Option<i64>> = (0..150_000).map(|d| Some(d as i64)).collect();
    let folds = Folds::new(&created, true);
    assert!(folds.rows.len() <= MAX_CV_LEADS && folds.rows.len() >= MAX_CV_LEADS / 2);
    let stride = 150_000usize.div_ceil(MAX_CV_LEADS);
    assert!(folds.rows.windows(2).all(|w| w[1] - w[0] == stride));
}

/// Too few held-out wins: no cross-validation.
#[test]
fn too_few_wins_are_not_feasible() {
    let created: Vec<Option<i64>> = (0..500).map(|d| Some(d as i64)).collect();
    let won: Vec<bool> = (0..500).map(|i| i % 50 == 0).collect();
    assert!(!feasible(&Folds::new(&created, SHUFFLED), &won));
}

/// Cramér's V of a trait with itself relabelled is 1; of independent traits near 0.
#[test]
fn cramers_v_known_cases() {
    let p = planted(4_000, 6);
    let folds = Folds::new(&p.created, SHUFFLED);
    let columns = sampled(&p, &folds);
    let c = candidates(&p, &columns);
    assert!((cramers_v(&c[0], &c[1], &folds) - 1.0).abs() < 1e-12);
    assert!(cramers_v(&c[0], &c[3], &folds) < 0.1);
}

/// The paired differences average to the difference of the two sets' held-out losses.
#[test]
fn paired_differences_add_up_to_the_loss_difference() {
    let p = planted(3_000, 8);
    let folds = Folds::new(&p.created, SHUFFLED);
    let columns = sampled(&p, &folds);
    let c = candidates(&p, &columns);
    let search = Search::new(&c, &p.won, &folds, Encoding::Woe);
    let old_pats = search.patterns(&[0]);
    let old = search.cv(&[0], &old_pats, 1.0, &[]).unwrap();
    let new_pats = old_pats.refine(&folds, c[2].assigned, &p.won);
    let new = search.cv(&[0, 2], &new_pats, 1.0, &[]).unwrap();
    let (mean, _) = search.paired(&new, &old, &new_pats);
    assert!(
        (mean - (new.loss - old.loss)).abs() < 1e-12,
        "{mean} vs {}",
        new.loss - old.loss
    );
}

/// One Newton step from the current fit estimates a candidate's held-out change as the
/// refitted folds measure it (adding `mild`, `noise` or `copy` to `strong`), and removing a
/// trait from `strong + mild` likewise, under both encodings.
#[test]
fn one_newton_step_agrees_with_the_refitted_folds() {
    let p = planted(8_000, 5);
    let folds = Folds::new(&p.created, SHUFFLED);
    let columns = sampled(&p, &folds);
    let c = candidates(&p, &columns);
    for encoding in [Encoding::Woe, Encoding::Indicator] {
        let search = Search::new(&c, &p.won, &folds, encoding);
        let base = search.patterns(&[0]);
        let current = search.cv(&[0], &base, 1.0, &[]).unwrap();
        let locals = search.locals(&current, &base, 1.0);
        for added in [1, 2, 3] {
            let trial = base.refine(&folds, c[added].assigned, &p.won);
            let (step_mean, step_se, starts) = search
                .one_step(added, &trial, &current, &locals, 1.0)
                .unwrap();
            let refit = search.cv(&[0, added], &trial, 1.0, &[]).unwrap();
            let (mean, se) = search.paired(&refit, &current, &trial);
            // A trait whose bins the shrinkage sets to WoE 0 (the noise) changes nothing
            // beyond the folds' convergence tolerance either way.
            let nothing = |m: f64| m.abs() < 1e-8;
            assert!(
                (nothing(step_mean) && nothing(mean))
                    || (step_mean / step_se - mean / se).abs() < 0.25,
                "{encoding:?} + {}: step {step_mean} ± {step_se}, refit {mean} ± {se}",
                c[added].name
            );
            // The stepped coefficients start a refit that ends where one from zeros does.
            let started = search.cv(&[0, added], &trial, 1.0, &starts).unwrap();
            assert!((started.loss - refit.loss).abs() < 1e-9);
        }
        let both = base.refine(&folds, c[2].assigned, &p.won);
        let full = search.cv(&[0, 2], &both, 1.0, &[]).unwrap();
        let locals = search.locals(&full, &both, 1.0);
        for (i, rest) in [(0, vec![2]), (1, vec![0])] {
            let (step_mean, step_se) = search.one_step_without(i, &both, &full, &locals).unwrap();
            let without = search.cv(&rest, &search.patterns(&rest), 1.0, &[]).unwrap();
            let change = without.loss - full.loss;
            assert!(
                (step_mean - change).abs() < 0.1 * step_se.max(change.abs()),
                "{encoding:?} without {}: step {step_mean} ± {step_se}, refit {change}",
                c[[0, 2][i]].name
            );
            assert!(change > 0.0, "both planted traits help");
        }
    }
}

/// One Newton step from the fit at the selection's penalty estimates the held-out loss at
/// other penalties of the grid as refits measure it, and ranks the grid as they do.
#[test]
fn one_newton_step_ranks_the_penalties_as_refits_do() {
    let p = planted(8_000, 9);
    let folds = Folds::new(&p.created, SHUFFLED);
    let columns = sampled(&p, &folds);
    let c = candidates(&p, &columns);
    let search = Search::new(&c, &p.won, &folds, Encoding::Indicator);
    let pats = search.patterns(&[0, 2, 3]);
    let current = search.cv(&[0, 2, 3], &pats, SELECTION_L2, &[]).unwrap();
    let locals = search.locals(&current, &pats, SELECTION_L2);
    let (mut by_step, mut by_refit) = (Vec::new(), Vec::new());
    for g in L2_GRID {
        let step = search
            .one_step_l2(&pats, &current, &locals, SELECTION_L2, g)
            .unwrap();
        let refit = search.cv(&[0, 2, 3], &pats, g, &[]).unwrap().loss;
        // Near the selection's penalty the step lands close to the refit.
        if (0.3..=3.0).contains(&g) {
            assert!(
                (step - refit).abs() < 1e-3 * refit,
                "l2 {g}: step {step}, refit {refit}"
            );
        }
        by_step.push((g, step));
        by_refit.push((g, refit));
    }
    // The refits' best penalty is among the two best by the step (the two the selection
    // refits).
    by_step.sort_by(|a, b| a.1.total_cmp(&b.1));
    let best = by_refit
        .iter()
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap()
        .0;
    assert!(
        by_step[..L2_REFITS].iter().any(|s| s.0 == best),
        "refits' best {best}; by step {by_step:?}; refits {by_refit:?}"
    );
}
