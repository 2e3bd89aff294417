//! Fuzzes the run config: TOML text to checked settings (`config::check_text`: parsing with
//! unknown keys refused, then every value against its documented range; no file is read).
//! Whatever the text, the answer is settings or an error, never a panic; settings that pass
//! hold only values within the documented limits.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

use leadtune::config::{self, limits};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(settings) = config::check_text(text, Path::new("fuzz/leadtune.toml")) else {
        return;
    };
    let t = &settings.traits;
    assert!((1..=limits::max_bins()).contains(&t.max_bins));
    assert!(t.scoring_offset_days.is_finite() && t.scoring_offset_days >= 0.0);
    let m = &settings.model;
    assert!(m.points_to_double_odds > 0.0 && m.points_to_double_odds <= limits::MAX_PDO);
    assert!(m.min_iv.is_finite() && m.min_iv >= 0.0);
    assert!(m.base_score.is_finite());
    assert!(m.pin.values().all(|p| p.abs() <= limits::MAX_PIN));
    if let (Some(hot), Some(warm)) = (settings.tiers[0].top_share, settings.tiers[1].top_share) {
        assert!(hot < warm);
    }
});
