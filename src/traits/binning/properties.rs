//! Properties of [`super`] over random inputs.

use super::values::ENCODE_PROBE;
use super::*;
use proptest::prelude::*;

fn leads() -> impl Strategy<Value = Vec<(Option<i32>, bool)>> {
    prop::collection::vec(
        (prop::option::weighted(0.9, -50i32..50), any::<bool>()),
        1..400,
    )
}

/// Values for the coded form: whole numbers (some beyond the small range), fractions,
/// -0, infinities and missing values.
fn mixed_values() -> impl Strategy<Value = Vec<Option<f64>>> {
    prop::collection::vec(
        prop::option::weighted(
            0.85,
            prop_oneof![
                (-5i32..12).prop_map(f64::from),
                (0u32..6).prop_map(|k| f64::from(k) * 2500.0),
                (0u32..8).prop_map(|k| f64::from(k) / 4.0),
                Just(-0.0),
                Just(f64::INFINITY),
                Just(f64::NEG_INFINITY),
            ],
        ),
        1..300,
    )
}

/// Past the first look's size, a column of distinct values stays plain and one of few
/// levels is coded; both read back the same.
#[test]
fn long_columns_are_coded_by_their_first_values() {
    let n = 4 * ENCODE_PROBE + 1;
    let distinct: Vec<Option<f64>> = (0..n).map(|i| Some(i as f64 * 0.5)).collect();
    let few: Vec<Option<f64>> = (0..n)
        .map(|i| (i % 7 != 0).then_some((i % 100) as f64 + 0.25))
        .collect();
    for (values, coded) in [(distinct, false), (few, true)] {
        let mut numbers: Numbers = values.clone().into();
        numbers.encode();
        assert_eq!(numbers.coded().is_some(), coded);
        for (i, v) in values.iter().enumerate().step_by(997) {
            assert_eq!(numbers.get(i), *v);
        }
    }
}

/// Counts coded straight from `u32`s are the counts as values, encoded: short and long,
/// few levels and many (coded, and plain by the first look or by the limit).
#[test]
fn counts_code_as_their_values_encode() {
    let n = 4 * ENCODE_PROBE + 1;
    let cases: Vec<Vec<u32>> = vec![
        vec![],
        vec![0, 3, 3, 1, 0, 7],
        (0..40).collect(),
        (0..n as u32).map(|i| (i * 7919) % 13).collect(),
        (0..n as u32).collect(),
        (0..n as u32)
            .map(|i| if i < 70_000 { i % 9 } else { i })
            .collect(),
        (0..1000u32).map(|i| i * 1000).collect(),
        (0..5000u32).map(|i| (i % 40) * 700).collect(),
    ];
    for counts in cases {
        let mut values: Numbers = counts.iter().map(|&c| Some(f64::from(c))).collect();
        values.encode();
        let direct = Numbers::from_counts(counts.iter().copied());
        assert_eq!(format!("{direct:?}"), format!("{values:?}"));
    }
}

/// Coders fed side by side, one value of each column in turn (as the engagement table is
/// read), give each column's [`Numbers::from_counts`]: a coded one, and one that gives up
/// at the limit of levels and comes out plain.
#[test]
fn coders_fed_side_by_side_code_each_column_alone() {
    let n = 5000;
    let few: Vec<u32> = (0..n).map(|i| (i * 31) % 17).collect();
    let many: Vec<u32> = (0..n).map(|i| i * 3).collect();
    let mut coders = [CountCoder::new(n as usize), CountCoder::new(n as usize)];
    for (a, b) in few.iter().zip(&many) {
        coders[0].push(*a);
        coders[1].push(*b);
    }
    let [a, b] = coders;
    let (a, b) = (
        a.finish(few.iter().copied()),
        b.finish(many.iter().copied()),
    );
    assert!(a.coded().is_some() && b.coded().is_none());
    let alone = |c: &[u32]| format!("{:?}", Numbers::from_counts(c.iter().copied()));
    assert_eq!(format!("{a:?}"), alone(&few));
    assert_eq!(format!("{b:?}"), alone(&many));
}

proptest! {
    /// The coded form gives back every value (a -0 as 0), and when there are more
    /// distinct values than a quarter of the values, it is not chosen.
    #[test]
    fn coded_numbers_keep_their_values(values in mixed_values()) {
        let plain: Numbers = values.clone().into();
        let mut coded = plain.clone();
        coded.encode();
        let distinct: std::collections::BTreeSet<u64> = values
            .iter()
            .flatten()
            .map(|v| (v + 0.0).to_bits())
            .collect();
        prop_assert_eq!(coded.coded().is_some(), distinct.len() <= (values.len() / 4).max(16));
        prop_assert_eq!(coded.len(), values.len());
        for (i, v) in values.iter().enumerate() {
            prop_assert_eq!(coded.get(i), v.map(|v| v + 0.0));
        }
        if let Some((levels, _)) = coded.coded() {
            prop_assert!(levels.windows(2).all(|w| w[0] < w[1]));
        }
    }

    /// Binning, re-binning on a subset of rows and bin assignment give the same bins,
    /// statistics and assignments for coded values as for the plain ones.
    #[test]
    fn coded_numbers_bin_as_the_plain_ones(
        values in mixed_values(),
        seed in any::<u64>(),
        special in prop::bool::ANY,
    ) {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        // Each value four times: never more distinct values than a quarter of them, so
        // the coded form is always chosen.
        let values: Vec<Option<f64>> = values.iter().cycle().take(values.len() * 4).copied().collect();
        let n = values.len();
        let won: Vec<bool> = (0..n).map(|_| rng.random_bool(0.3)).collect();
        let best: Vec<bool> = won.iter().map(|&w| w && rng.random_bool(0.5)).collect();
        let subset: Vec<usize> = (0..n).filter(|_| rng.random_bool(0.6)).collect();
        let params = BinningParams {
            min_bin_share: 0.02,
            special: if special {
                BTreeMap::from([("x".to_string(), vec![0.0, 2500.0])])
            } else {
                BTreeMap::new()
            },
            ..Default::default()
        };
        let plain = TraitInput {
            name: "x".into(),
            origin: Origin::Fit,
            values: TraitValues::Numeric(values.clone().into()),
        };
        let mut coded = plain.clone();
        if let TraitValues::Numeric(v) = &mut coded.values {
            v.encode();
            prop_assert!(v.coded().is_some());
        }
        let whole = Population { won: won.clone(), best: best.clone(), rows: None };
        let part = Population {
            won: subset.iter().map(|&i| won[i]).collect(),
            best: subset.iter().map(|&i| best[i]).collect(),
            rows: Some(subset.clone()),
        };
        for population in [&whole, &part] {
            let a = bin_traits(&[&plain], population, &params);
            let b = bin_traits(&[&coded], population, &params);
            prop_assert_eq!(format!("{:?}", a.traits), format!("{:?}", b.traits));
            let (TraitValues::Numeric(pv), TraitValues::Numeric(cv)) =
                (&plain.values, &coded.values)
            else {
                unreachable!()
            };
            let rows: Vec<usize> = (0..population.won.len()).map(|i| population.row(i)).collect();
            let t = &a.traits[0];
            let expected: Vec<u16> = rows.iter().map(|&r| t.numeric_bin(pv.get(r)) as u16).collect();
            prop_assert_eq!(t.numeric_bins(pv, &rows), expected.clone());
            prop_assert_eq!(t.numeric_bins(cv, &rows), expected);
        }
    }

    #[test]
    fn numeric_bins_partition_the_leads(
        data in leads(),
        trend in prop::sample::select(vec![
            Trend::Auto, Trend::Ascending, Trend::Descending, Trend::Peak, Trend::Valley,
            Trend::None,
        ]),
        min_share in 0.0f64..0.3,
        special in prop::bool::ANY,
    ) {
        let values: Vec<Option<f64>> = data.iter().map(|(v, _)| v.map(f64::from)).collect();
        let won: Vec<bool> = data.iter().map(|(_, w)| *w).collect();
        let params = BinningParams {
            min_bin_share: min_share,
            trend,
            special: if special {
                BTreeMap::from([("x".to_string(), vec![0.0])])
            } else {
                BTreeMap::new()
            },
            ..Default::default()
        };
        let input = TraitInput {
            name: "x".into(),
            origin: Origin::Fit,
            values: TraitValues::Numeric(values.clone().into()),
        };
        let population = Population { won: won.clone(), best: vec![false; won.len()], rows: None };
        let table = bin_traits(&[input], &population, &params);
        let t = &table.traits[0];
        // Merging never loses counts.
        prop_assert_eq!(t.bins.iter().map(|b| b.leads).sum::<u64>(), data.len() as u64);
        prop_assert_eq!(
            t.bins.iter().map(|b| b.wins).sum::<u64>(),
            won.iter().filter(|w| **w).count() as u64
        );
        // Every lead falls in exactly one bin, the one that counted it.
        let mut counted = vec![0u64; t.bins.len()];
        let mut wins = vec![0u64; t.bins.len()];
        for (v, w) in values.iter().zip(&won) {
            let b = t.numeric_bin(*v);
            counted[b] += 1;
            wins[b] += u64::from(*w);
        }
        prop_assert_eq!(counted, t.bins.iter().map(|b| b.leads).collect::<Vec<_>>());
        prop_assert_eq!(wins, t.bins.iter().map(|b| b.wins).collect::<Vec<_>>());
        // The ranges cover the line: open at both ends, each starting where the last ended.
        let ranges: Vec<(Option<f64>, Option<f64>)> = t.bins.iter().filter_map(|b| match b.rule {
            BinRule::Range { lo, hi } => Some((lo, hi)),
            _ => None,
        }).collect();
        prop_assert!(ranges.first().is_some_and(|r| r.0.is_none()));
        prop_assert!(ranges.last().is_some_and(|r| r.1.is_none()));
        for pair in ranges.windows(2) {
            prop_assert_eq!(pair[0].1, pair[1].0);
        }
        prop_assert!(ranges.len() <= params.max_bins);
        // A forced monotone trend holds across the ranges.
        let rates: Vec<f64> = t.bins.iter()
            .filter(|b| matches!(b.rule, BinRule::Range { .. }))
            .map(|b| b.conversion)
            .collect();
        if trend == Trend::Ascending && ranges.len() > 1 {
            prop_assert!(rates.windows(2).all(|w| w[1] >= w[0]));
        }
        if trend == Trend::Descending && ranges.len() > 1 {
            prop_assert!(rates.windows(2).all(|w| w[1] <= w[0]));
        }
        prop_assert!(t.iv >= 0.0);
    }

    #[test]
    fn categorical_bins_partition_the_leads(
        data in prop::collection::vec(
            (prop::option::weighted(0.9, 0u8..12), any::<bool>()), 1..400),
        min_share in 0.0f64..0.3,
    ) {
        let labels: Vec<Option<String>> =
            data.iter().map(|(v, _)| v.map(|v| format!("v{v}"))).collect();
        let won: Vec<bool> = data.iter().map(|(_, w)| *w).collect();
        let input = TraitInput {
            name: "c".into(),
            origin: Origin::Fit,
            values: TraitValues::categorical(labels.iter().map(|v| v.as_deref())),
        };
        let population = Population { won: won.clone(), best: vec![false; won.len()], rows: None };
        let params = BinningParams { min_bin_share: min_share, ..Default::default() };
        let t = &bin_traits(&[input], &population, &params).traits[0];
        let mut counted = vec![0u64; t.bins.len()];
        for v in &labels {
            counted[t.category_bin(v.as_deref())] += 1;
        }
        prop_assert_eq!(counted, t.bins.iter().map(|b| b.leads).collect::<Vec<_>>());
        prop_assert_eq!(t.bins.iter().map(|b| b.wins).sum::<u64>(),
            won.iter().filter(|w| **w).count() as u64);
    }
}
