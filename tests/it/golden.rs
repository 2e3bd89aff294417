//! Golden tests: the report tables of a small hand-made history (tests/fixtures/golden: 40 leads,
//! 17 deals, 4 spend rows) where every figure was worked out by hand, as the comments say.
//!
//! The history: `web` has 20 leads (campaign w1: 10 created 2024-01-10, 3 won for 1,000, 2,000
//! and 3,000; w2: 10 created 2024-04-10, 1 won for 4,000) and `referral` 20 (10 created
//! 2024-02-10 of which 8 won, 10 created 2024-05-10 of which 2 won, each for 500). Every win
//! closes 30 days after creation; deals open 10 days after creation; 3 more deals are lost.
//! Spend: web/w1 1,000 in 2024-01, web/w2 500 in 2024-04, referral (no campaign) 300 in
//! 2024-02, display/d1 200 in 2024-01 (a source without leads). With `--as-of 2025-06-30` and a
//! 180-day horizon every lead is mature.

use std::collections::BTreeMap;

use crate::common::{csv_rows, leadtune_ok, root};

fn run() -> tempfile::TempDir {
    let out = tempfile::tempdir().unwrap();
    leadtune_ok(
        &root(),
        &[
            "run",
            "--config",
            "tests/fixtures/golden/leadtune.toml",
            "--as-of",
            "2025-06-30",
            "--out",
            out.path().to_str().unwrap(),
        ],
    );
    out
}

/// The 95% Wilson score interval, written out independently of the crate:
/// (p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n).
fn wilson(wins: f64, n: f64) -> (f64, f64) {
    let z = 1.959_963_984_540_054_f64;
    let p = wins / n;
    let centre = p + z * z / (2.0 * n);
    let half = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt();
    let d = 1.0 + z * z / n;
    ((centre - half) / d, (centre + half) / d)
}

fn num(row: &BTreeMap<String, String>, column: &str) -> f64 {
    row[column]
        .parse()
        .unwrap_or_else(|_| panic!("{column}: {:?} in {row:?}", row[column]))
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6
}

/// Checks (group, leads, wins) rows and their rate and interval.
fn check_conversion(rows: &[BTreeMap<String, String>], key: &str, want: &[(&str, u64, u64)]) {
    let got: Vec<(String, u64, u64)> = rows
        .iter()
        .map(|r| {
            (
                r[key].clone(),
                num(r, "leads") as u64,
                num(r, "wins") as u64,
            )
        })
        .collect();
    let want_owned: Vec<(String, u64, u64)> = want
        .iter()
        .map(|(g, l, w)| (g.to_string(), *l, *w))
        .collect();
    assert_eq!(got, want_owned);
    for r in rows {
        let (n, w) = (num(r, "leads"), num(r, "wins"));
        let (lo, hi) = wilson(w, n);
        assert!(close(num(r, "conversion"), w / n), "{r:?}");
        assert!(close(num(r, "conversion_low"), lo), "{r:?} vs {lo}");
        assert!(close(num(r, "conversion_high"), hi), "{r:?} vs {hi}");
        assert_eq!(r["immature"], "0");
        assert_eq!(r["suppressed"], "false");
    }
}

#[test]
fn every_report_figure_of_a_hand_made_history() {
    let out = run();
    let dir = out.path();

    // Conversion: referral 10 of 20, web 3 + 1 of 20.
    check_conversion(
        &csv_rows(&dir.join("conversion_by_source.csv")),
        "group",
        &[("referral", 20, 10), ("web", 20, 4)],
    );
    check_conversion(
        &csv_rows(&dir.join("conversion_by_campaign.csv")),
        "group",
        &[("r1", 20, 10), ("w1", 10, 3), ("w2", 10, 1)],
    );
    // Segments: plan is "basic" for odd lead numbers, "pro" for even; the wins are L01, L03,
    // L11, L21, L23, L25, L27, L31 (basic, 8) and L02, L22, L24, L26, L28, L32 (pro, 6).
    let segments = csv_rows(&dir.join("conversion_by_segment.csv"));
    assert!(
        segments.iter().all(|r| r["dimension"] == "plan"),
        "{segments:?}"
    );
    check_conversion(&segments, "group", &[("basic", 20, 8), ("pro", 20, 6)]);
    // Q1: web/w1 (3 wins of 10) and referral's first 10 (8 wins); Q2: w2 (1) and the rest (2).
    check_conversion(
        &csv_rows(&dir.join("conversion_by_quarter.csv")),
        "group",
        &[("2024-Q1", 20, 11), ("2024-Q2", 20, 3)],
    );

    // Speed-to-lead: < 1 h is L01-L05 (3 wins) and L21-L30 (8); 1-4 h L06-L10 (none);
    // 4-24 h L11-L15 (L11); 1-3 d L31-L35 (L31, L32); 3-7 d L36-L40; never L16-L20.
    let speed: Vec<_> = csv_rows(&dir.join("speed_to_lead.csv"))
        .into_iter()
        .filter(|r| r["dimension"] == "(all sources)")
        .collect();
    check_conversion(
        &speed,
        "group",
        &[
            ("< 1 h", 15, 11),
            ("1-4 h", 5, 0),
            ("4-24 h", 5, 1),
            ("1-3 d", 5, 2),
            ("3-7 d", 5, 0),
            ("never", 5, 0),
        ],
    );

    // Funnel: 40 leads; MQL: web's w1 (day 1) and all of referral (day 2) = 30, median 2 days;
    // SQL: the 17 leads with a deal (day 5), of whom L11 never was an MQL: 17 / 30;
    // opportunity: the same 17 (day 10): 17 / 17; won 14 (day 30): 14 / 17.
    let funnel: Vec<(String, u64, String, f64, f64)> = csv_rows(&dir.join("funnel.csv"))
        .into_iter()
        .filter(|r| r["source"] == "(all sources)")
        .map(|r| {
            (
                r["stage"].clone(),
                num(&r, "leads") as u64,
                r["stage_conversion"].clone(),
                num(&r, "share_of_leads"),
                num(&r, "median_days_from_creation"),
            )
        })
        .collect();
    let stages = [
        ("lead", 40, "", 1.0, 0.0),
        ("mql", 30, "0.75", 0.75, 2.0),
        ("sql", 17, "0.566667", 17.0 / 40.0, 5.0),
        ("opportunity", 17, "1", 17.0 / 40.0, 10.0),
        ("won", 14, "0.823529", 14.0 / 40.0, 30.0),
    ];
    assert_eq!(funnel.len(), stages.len());
    for (got, want) in funnel.iter().zip(stages) {
        assert_eq!(
            (got.0.as_str(), got.1, got.2.as_str()),
            (want.0, want.1, want.2)
        );
        assert!(close(got.3, want.3) && close(got.4, want.4), "{got:?}");
    }

    // Source ROI.
    let roi = csv_rows(&dir.join("source_roi.csv"));
    let find = |s: &str, c: &str, p: &str| {
        roi.iter()
            .find(|r| r["source"] == s && r["campaign"] == c && r["period"] == p)
            .unwrap_or_else(|| panic!("no row {s} {c} {p}"))
            .clone()
    };
    // web: revenue 10,000 on cost 1,500: per lead 75, per win 375, ROI 8,500 / 1,500.
    let web = find("web", "(all)", "(all)");
    for (column, want) in [
        ("leads", 20.0),
        ("wins", 4.0),
        ("revenue", 10_000.0),
        ("cost", 1_500.0),
        ("cost_per_lead", 75.0),
        ("cost_per_win", 375.0),
        ("roi", 8_500.0 / 1_500.0),
        ("average_deal", 2_500.0),
        ("median_days_to_win", 30.0),
    ] {
        assert!(close(num(&web, column), want), "web {column}: {web:?}");
    }
    // referral: revenue 5,000 on 300: ROI 4,700 / 300; its spend names no campaign, so the
    // campaign row r1 has no cost, and 2024-Q2 (no spend that quarter) neither.
    let referral = find("referral", "(all)", "(all)");
    assert!(close(num(&referral, "roi"), 4_700.0 / 300.0));
    assert!(close(num(&referral, "cost_per_win"), 30.0));
    assert_eq!(find("referral", "r1", "(all)")["cost"], "");
    assert!(find("referral", "r1", "(all)")["note"].contains("no spend recorded"));
    assert_eq!(find("referral", "(all)", "2024-Q2")["cost"], "");
    // Campaigns: w1 6,000 on 1,000 (ROI 5), w2 4,000 on 500 (ROI 7).
    let w1 = find("web", "w1", "(all)");
    assert!(close(num(&w1, "roi"), 5.0) && close(num(&w1, "revenue"), 6_000.0));
    let w2 = find("web", "w2", "2024-Q2");
    assert!(close(num(&w2, "roi"), 7.0) && close(num(&w2, "cost_per_lead"), 50.0));
    // display: spend, no leads, listed.
    let display = find("display", "(all)", "(all)");
    assert_eq!(
        (display["leads"].as_str(), display["cost"].as_str()),
        ("0", "200")
    );
    assert!(display["note"].contains("spend but no leads"));
    assert_eq!(
        roi.iter().filter(|r| r["period"] == "(all)").count(),
        7,
        "display, display/d1, referral, referral/r1, web, web/w1 and web/w2: {roi:?}"
    );
}
