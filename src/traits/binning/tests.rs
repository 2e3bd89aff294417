//! Tests of [`super`]: hand-computed cases.

use super::values::VIEWS_KEPT;
use super::*;

/// Text coded by views equals text coded value by value: an array whose equal values
/// share views (as a dictionary decodes), one whose equal values do not, nulls, short
/// (inline) and long values, and more distinct values than views kept.
#[test]
fn text_coded_by_views_as_by_values() {
    use polars::prelude::{NewChunkedArray, StringChunked};
    let words = [
        "a",
        "a longer value than twelve",
        "b",
        "another long value here",
    ];
    // First, a value of the view (length, prefix, buffer 0, offset 0) that a word has in
    // the next array: views name texts only within their own array.
    let plain: Vec<Option<String>> = std::iter::once(Some("a longer value than twelvX".into()))
        .chain((0..500).map(|i| (i % 7 != 3).then(|| words[i * 7 % 4].to_string())))
        .collect();
    // Equal values sharing views: each word's view pushed again and again.
    let shared = crate::columns::text_of_distinct(
        "t",
        words,
        (0..500).map(|i| (i % 5 != 0).then_some(((i * 3) % 4) as u32)),
    );
    let many: Vec<String> = (0..2 * VIEWS_KEPT + 7)
        .map(|i| format!("value number {}", i % (VIEWS_KEPT + 100)))
        .collect();
    let mut text = StringChunked::from_iter_options("t".into(), plain.iter().map(|v| v.as_deref()));
    text.append(&shared).unwrap();
    text.append(&StringChunked::from_slice("t".into(), &many))
        .unwrap();
    assert_eq!(text.chunks().len(), 3);
    let by_views = Coded::of_text(&text);
    let by_values = Coded::of(text.iter());
    assert_eq!(by_views.codes, by_values.codes);
    assert_eq!(by_views.labels, by_values.labels);
    assert_eq!(by_views.counts, by_values.counts);
    assert_eq!(by_views.labels.len(), 5 + VIEWS_KEPT + 100);
}

/// Pre-bins from the distinct values (counted or sorted) equal those from every value
/// sorted, the quantile cut at ranks n*k/q computed directly.
#[test]
fn prebins_from_value_runs_match_the_sorted_values() {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
    // Powers (whole numbers and fractions), and whole numbers either side of SMALL_WHOLE.
    for (levels, power) in [(3usize, 1.3), (40, 1.3), (100_000, 1.3), (5_000, 1.0)] {
        let values: Vec<(f64, bool, bool)> = (0..60_000)
            .map(|_| {
                let v = (rng.random_range(0..levels) as f64).powf(power);
                (
                    if v == 0.0 { -0.0 } else { v },
                    rng.random_bool(0.2),
                    rng.random_bool(0.1),
                )
            })
            .collect();
        let mut sorted = values.clone();
        sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
        let n = sorted.len();
        let q = 20;
        let mut cuts: Vec<f64> = (1..q)
            .map(|k| sorted[(n * k / q).saturating_sub(1)].0)
            .collect();
        cuts.push(sorted[n - 1].0);
        cuts.dedup_by(|a, b| a == b);
        let runs = value_runs(values.iter().map(|&(v, w, b)| (v + 0.0, w, b)));
        assert_eq!(
            runs.len() > COUNTED_VALUES,
            levels > COUNTED_VALUES + SMALL_WHOLE,
            "{levels} levels"
        );
        let prebins = prebin(&runs, q);
        assert_eq!(prebins.len(), cuts.len(), "{levels} levels");
        let mut below = 0;
        for (p, &hi) in prebins.iter().zip(&cuts) {
            assert_eq!(p.hi, hi);
            let inside: Vec<_> = sorted[below..].iter().take_while(|v| v.0 <= hi).collect();
            below += inside.len();
            assert_eq!(p.counts.leads, inside.len() as u64);
            assert_eq!(p.counts.wins, inside.iter().filter(|v| v.1).count() as u64);
            assert_eq!(p.counts.best, inside.iter().filter(|v| v.2).count() as u64);
        }
        assert_eq!(below, n);
    }
}

fn population(won: &[bool]) -> Population {
    Population {
        won: won.to_vec(),
        best: vec![false; won.len()],
        rows: None,
    }
}

fn numeric(values: Vec<Option<f64>>) -> TraitInput {
    TraitInput {
        name: "x".into(),
        origin: Origin::Fit,
        values: TraitValues::Numeric(values.into()),
    }
}

#[test]
fn categorical_rare_values_merge_into_other_and_missing_stays() {
    let values = ["a", "a", "a", "b", "b", "b", "c"]
        .iter()
        .map(|s| Some(*s))
        .chain([None, None]);
    let won = [true, false, false, true, true, false, true, false, false];
    let input = TraitInput {
        name: "industry".into(),
        origin: Origin::Fit,
        values: TraitValues::categorical(values),
    };
    let params = BinningParams {
        min_bin_share: 0.2,
        ..Default::default()
    };
    let t = bin_traits(&[input], &population(&won), &params)
        .traits
        .remove(0);
    let labels: Vec<(&str, u64, u64)> = t
        .bins
        .iter()
        .map(|b| (b.label.as_str(), b.leads, b.wins))
        .collect();
    assert_eq!(
        labels,
        vec![("a", 3, 1), ("b", 3, 2), ("other", 1, 1), ("missing", 2, 0)]
    );
    assert_eq!(t.category_bin(Some("zzz")), 2);
    assert_eq!(t.category_bin(None), 3);
    // The rare value is counted, not named (issue 27): its bin says one value of one lead.
    assert_eq!(
        t.bins[2].rule,
        BinRule::Other {
            distinct_values: 1,
            values_by_leads: vec![ValueFrequency {
                leads: 1,
                values: 1
            }],
            values: None,
        }
    );
    let json = serde_json::to_string(&t.bins[2].rule).unwrap();
    assert!(!json.contains("\"c\""), "{json}");
    assert_eq!(
        t.category_bin(Some("c")),
        2,
        "the rare value still scores other"
    );
}

#[test]
fn the_other_rule_counts_rare_values_by_frequency() {
    let rule = BinRule::other_of([1, 3, 1, 2, 1]);
    assert_eq!(
        serde_json::to_value(&rule).unwrap(),
        serde_json::json!({
            "kind": "other",
            "distinct_values": 5,
            "values_by_leads": [
                {"leads": 1, "values": 3},
                {"leads": 2, "values": 1},
                {"leads": 3, "values": 1}
            ]
        })
    );
    // No rare value: the bin holds only values never seen.
    assert_eq!(
        serde_json::to_value(BinRule::other_of([])).unwrap(),
        serde_json::json!({"kind": "other"})
    );
    // Schema 1 listed the values: read, and written back as read (its hash unchanged).
    let v1 = serde_json::json!({"kind": "other", "values": []});
    let read: BinRule = serde_json::from_value(v1.clone()).unwrap();
    assert_eq!(serde_json::to_value(&read).unwrap(), v1);
}

#[test]
fn ascending_effect_gives_ascending_bins() {
    // x in 0..1000, conversion rises with x: deterministic pattern.
    let n = 1000;
    let values: Vec<Option<f64>> = (0..n).map(|i| Some(i as f64)).collect();
    let won: Vec<bool> = (0..n).map(|i| (i * 7919) % 1000 < i / 2).collect();
    let t = bin_traits(
        &[numeric(values)],
        &population(&won),
        &BinningParams::default(),
    )
    .traits
    .remove(0);
    assert_eq!(t.trend, Some(Trend::Ascending));
    let ranges: Vec<&Bin> = t
        .bins
        .iter()
        .filter(|b| matches!(b.rule, BinRule::Range { .. }))
        .collect();
    assert!(ranges.len() >= 3, "{:?}", t.bins);
    for pair in ranges.windows(2) {
        assert!(pair[1].conversion >= pair[0].conversion);
    }
}

#[test]
fn inverted_u_is_found_as_a_peak() {
    let n = 2000;
    let values: Vec<Option<f64>> = (0..n).map(|i| Some(i as f64)).collect();
    // conversion 10% at the ends, 60% in the middle
    let won: Vec<bool> = (0..n)
        .map(|i| {
            let middle = (700..1300).contains(&i);
            let r = (i * 7919) % 100;
            if middle { r < 60 } else { r < 10 }
        })
        .collect();
    let t = bin_traits(
        &[numeric(values)],
        &population(&won),
        &BinningParams::default(),
    )
    .traits
    .remove(0);
    assert_eq!(t.trend, Some(Trend::Peak), "{:?}", t.bins);
}

#[test]
fn every_value_falls_in_exactly_one_bin_and_counts_add_up() {
    let values: Vec<Option<f64>> = (0..500)
        .map(|i| {
            if i % 17 == 0 {
                None
            } else {
                Some(((i * 37) % 101) as f64)
            }
        })
        .collect();
    let won: Vec<bool> = (0..500).map(|i| i % 3 == 0).collect();
    let params = BinningParams {
        special: BTreeMap::from([("x".to_string(), vec![0.0])]),
        ..Default::default()
    };
    let t = bin_traits(&[numeric(values.clone())], &population(&won), &params)
        .traits
        .remove(0);
    let mut counted = vec![0u64; t.bins.len()];
    for v in &values {
        counted[t.numeric_bin(*v)] += 1;
    }
    let leads: Vec<u64> = t.bins.iter().map(|b| b.leads).collect();
    assert_eq!(counted, leads);
    assert_eq!(leads.iter().sum::<u64>(), 500);
    assert!(
        t.bins
            .iter()
            .any(|b| b.rule == BinRule::Special { value: 0.0 })
    );
}

#[test]
fn forced_trend_that_does_not_fit_is_reported() {
    let n = 1000;
    let values: Vec<Option<f64>> = (0..n).map(|i| Some(i as f64)).collect();
    let won: Vec<bool> = (0..n).map(|i| (i * 7919) % 1000 < i / 2).collect();
    let params = BinningParams {
        trend: Trend::Descending,
        ..Default::default()
    };
    let t = bin_traits(&[numeric(values)], &population(&won), &params)
        .traits
        .remove(0);
    assert!(
        t.notes
            .iter()
            .any(|n| n.contains("a descending trend does not fit")),
        "{:?}",
        t.notes
    );
}

#[test]
fn number_labels() {
    assert_eq!(format_number(1234.5678), "1235");
    assert_eq!(format_number(0.012345), "0.01235");
    assert_eq!(format_number(50.0), "50");
    assert_eq!(range_label(Some(1.5), Some(20.0)), "(1.5, 20]");
}
