//! Fuzzes scoring-config loading (`scoring::export::parse`: JSON text to a validated config,
//! as `score`, `diff` and `export-sql` read one). Whatever the text, the answer is a config or
//! an error, never a panic; a config that passes scores a lead without overflow and has a
//! probability within 0..1 for every score.
#![no_main]

use libfuzzer_sys::fuzz_target;

use leadtune::scoring::export;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(loaded) = export::parse(text) else {
        return;
    };
    let config = &loaded.config;
    // Every lead in the highest (and lowest) bin of every trait: no sum overflows.
    for pick in [Iterator::max, Iterator::min] as [fn(std::vec::IntoIter<i64>) -> Option<i64>; 2] {
        let mut score = config.base_points;
        for t in &config.traits {
            let points: Vec<i64> = t.bins.iter().map(|b| b.points).collect();
            score = score
                .checked_add(pick(points.into_iter()).unwrap())
                .expect("a validated config cannot overflow");
        }
        let p = export::calibration(config).probability(score as f64);
        assert!(
            (0.0..=1.0).contains(&p),
            "probability {p} for score {score}"
        );
        let tier = leadtune::scoring::tier_of(config, score);
        assert!(tier < config.tiers.len());
    }
    for q in 0..config.queues.len() {
        let c = config.for_queue(q);
        assert!(!c.calibration.is_empty() && !c.tiers.is_empty());
    }
});
