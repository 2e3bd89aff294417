//! Engagement from activity values and the funnel stage reached (issue 26, item 5), end to end
//! on a seeded hand-made history: a planted value effect found, the stage and value traits
//! scored alike by `run` and `score`, and a value trait built from after-outcome activities
//! flagged as leaky. The SQL view's side is in `export_sql.rs`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::common::{csv_rows, json, leadtune_ok, parquet};

/// A history whose page views carry a `value` (seconds on the page) that rises with a lead's
/// hidden interest, which also decides its win; how many page views a lead has does not
/// depend on it. Downloads carry a size (halves: sums exact in any order), email opens no
/// value. Won leads get a `contract` activity with the deal's amount as value at the deal's
/// close, always after the scoring date (7 days): honest traits never see it. MQL and SQL
/// dates are drawn before or after the scoring date, and some leads have a deal created
/// before it. Returns the config's path (`extra` appended to it).
pub fn valued_history(seed: u64, leads_n: usize, dir: &Path, extra: &str) -> PathBuf {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let day = 86_400i64;
    let start = chrono::NaiveDate::from_ymd_opt(2023, 1, 1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc()
        .timestamp();
    let ts = |s: i64| {
        chrono::DateTime::from_timestamp(s, 0)
            .unwrap()
            .format("%Y-%m-%dT%H:%M:%S")
            .to_string()
    };
    let mut leads = String::from("lead_id,created_at,mql_at,sql_at,region\n");
    let mut deals = String::from("deal_id,lead_id,status,created_at,closed_at,amount\n");
    let mut acts = String::from("lead_id,occurred_at,type,value\n");
    let normal = |rng: &mut rand_chacha::ChaCha8Rng| -> f64 {
        // Box-Muller.
        let (u, v): (f64, f64) = (rng.random_range(1e-12..1.0), rng.random());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    };
    for i in 0..leads_n {
        let id = format!("L{i:05}");
        let created = start + rng.random_range(0..500) * day + rng.random_range(0..day);
        let scoring = created + 7 * day;
        let interest = normal(&mut rng);
        let won = rng.random::<f64>() < 1.0 / (1.0 + (-(-1.6 + 1.2 * interest)).exp());
        // Funnel dates: more often early for the interested.
        let early = |rng: &mut rand_chacha::ChaCha8Rng, p: f64| {
            if rng.random::<f64>() < p {
                Some(created + rng.random_range(0..14 * day))
            } else {
                None
            }
        };
        let mql = early(&mut rng, 0.3 + 0.1 * interest.clamp(-2.0, 2.0));
        let sql = mql.and_then(|m| early(&mut rng, 0.5).map(|s| s.max(m + 3600)));
        let region = ["north", "south", "east", "west"][rng.random_range(0..4)];
        leads.push_str(&format!(
            "{id},{},{},{},{region}\n",
            ts(created),
            mql.map(ts).unwrap_or_default(),
            sql.map(ts).unwrap_or_default()
        ));
        // Page views: count independent of interest; seconds on page rise with it.
        let views = rng.random_range(0..6);
        for _ in 0..views {
            let at = scoring - rng.random_range(1..60 * day);
            let seconds = (30.0 * (0.9 * interest + 0.5 * normal(&mut rng)).exp()).round();
            acts.push_str(&format!("{id},{},page_view,{seconds}\n", ts(at)));
        }
        if rng.random_bool(0.3) {
            let at = scoring - rng.random_range(1..30 * day);
            let size = f64::from(rng.random_range(1..40)) / 2.0;
            acts.push_str(&format!("{id},{},download,{size}\n", ts(at)));
        }
        for _ in 0..rng.random_range(0..3) {
            let at = scoring - rng.random_range(0..20 * day);
            acts.push_str(&format!("{id},{},email_open,\n", ts(at)));
        }
        // Now and then a page view exactly at the scoring date, or after it (never counted
        // among values), with a URL for a value now and then.
        if rng.random_bool(0.1) {
            acts.push_str(&format!("{id},{},page_view,/pricing\n", ts(scoring)));
        }
        if rng.random_bool(0.1) {
            let at = scoring + rng.random_range(0..10 * day);
            acts.push_str(&format!("{id},{},page_view,900\n", ts(at)));
        }
        if won {
            let opened = created + rng.random_range(2..40) * day;
            let closed = opened + rng.random_range(10..100) * day;
            let amount = rng.random_range(5..100) * 1000;
            deals.push_str(&format!(
                "D{i:05},{id},won,{},{},{amount}\n",
                ts(opened),
                ts(closed)
            ));
            acts.push_str(&format!("{id},{},contract,{amount}\n", ts(closed)));
        } else if rng.random_bool(0.15) {
            let opened = created + rng.random_range(1..40) * day;
            deals.push_str(&format!(
                "D{i:05},{id},lost,{},{},\n",
                ts(opened),
                ts(opened + 20 * day)
            ));
        }
    }
    std::fs::write(dir.join("leads.csv"), leads).unwrap();
    std::fs::write(dir.join("deals.csv"), deals).unwrap();
    std::fs::write(dir.join("activities.csv"), acts).unwrap();
    let config = dir.join("leadtune.toml");
    std::fs::write(
        &config,
        format!(
            "[input]\nleads = \"leads.csv\"\ndeals = \"deals.csv\"\nactivities = \
             \"activities.csv\"\n\n[outcome]\nas_of = \"2025-06-30\"\n\n[output]\ndir = \
             \"out\"\n{extra}"
        ),
    )
    .unwrap();
    config
}

/// traits.csv's rows of one trait.
fn rows_of<'a>(
    rows: &'a [BTreeMap<String, String>],
    name: &str,
) -> Vec<&'a BTreeMap<String, String>> {
    rows.iter().filter(|r| r["trait"] == name).collect()
}

/// The planted value effect is found: the seconds on page views carry the signal the number
/// of page views does not, the value traits are not flagged, and the model uses one; the
/// contract activities (after the scoring date) give no value trait; `stage_reached` is a
/// trait of the engagement sub-score.
#[test]
fn a_planted_value_effect_is_recovered() {
    let dir = tempfile::tempdir().unwrap();
    let config = valued_history(3, 4000, dir.path(), "");
    leadtune_ok(dir.path(), &["run", "--config", config.to_str().unwrap()]);
    let rows = csv_rows(&dir.path().join("out/traits.csv"));
    let iv = |name: &str| -> f64 {
        let r = rows_of(&rows, name);
        assert!(!r.is_empty(), "{name} not in traits.csv");
        r[0]["trait_iv"].parse().unwrap()
    };
    let value_iv = iv("page_view_value_sum_90d").max(iv("page_view_value_max_90d"));
    let count_iv = iv("page_view_90d");
    assert!(
        value_iv > 0.3 && value_iv > 5.0 * count_iv,
        "value IV {value_iv}, count IV {count_iv}"
    );
    for name in ["page_view_value_sum_90d", "page_view_value_max_90d"] {
        assert_eq!(rows_of(&rows, name)[0]["flag"], "ok", "{name}");
        assert_eq!(rows_of(&rows, name)[0]["origin"], "engagement", "{name}");
    }
    assert!(rows.iter().any(|r| r["trait"] == "download_value_sum_30d"));
    // No value trait from activities after the scoring date, none for valueless types.
    assert!(
        !rows.iter().any(|r| r["trait"].starts_with("contract_value")
            || r["trait"].starts_with("email_open_value")),
    );
    assert!(rows.iter().any(|r| r["trait"] == "days_since_page_view"));
    let stage = rows_of(&rows, "stage_reached");
    assert_eq!(stage[0]["origin"], "engagement");
    let config = json(&dir.path().join("out/scoring-config.json"));
    let names: Vec<&str> = config["traits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(
        names.iter().any(|n| n.starts_with("page_view_value_")),
        "{names:?}"
    );
    assert_eq!(
        config["scoring"]["stages"],
        serde_json::json!(["mql_at", "sql_at", "opportunity"])
    );
}

/// `score` on the training files (leads, activities and deals) gives every lead the score
/// `run` gave it, value and stage traits included; without `--deals` it says what it cannot
/// count.
#[test]
fn score_reproduces_run_with_value_and_stage_traits() {
    let dir = tempfile::tempdir().unwrap();
    let config = valued_history(4, 2500, dir.path(), "");
    leadtune_ok(dir.path(), &["run", "--config", config.to_str().unwrap()]);
    let model = json(&dir.path().join("out/scoring-config.json"));
    let kinds: Vec<(&str, &str)> = model["traits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["name"].as_str().unwrap(), t["kind"].as_str().unwrap()))
        .collect();
    assert!(kinds.contains(&("stage_reached", "stage")), "{kinds:?}");
    assert!(
        kinds.iter().any(|(n, _)| n.contains("_value_")),
        "{kinds:?}"
    );
    leadtune_ok(
        dir.path(),
        &[
            "score",
            "--model",
            "out/scoring-config.json",
            "--leads",
            "leads.csv",
            "--activities",
            "activities.csv",
            "--deals",
            "deals.csv",
            "--out",
            "scored.csv",
        ],
    );
    let scored: BTreeMap<String, i64> = csv_rows(&dir.path().join("scored.csv"))
        .into_iter()
        .map(|r| (r["lead_id"].clone(), r["score"].parse().unwrap()))
        .collect();
    let run = parquet(&dir.path().join("out/scored_leads.parquet"));
    let ids = run.column("lead_id").unwrap().str().unwrap().clone();
    let scores = run.column("score").unwrap().i64().unwrap().clone();
    assert_eq!(run.height(), scored.len());
    for i in 0..run.height() {
        let id = ids.get(i).unwrap();
        assert_eq!(Some(scored[id]), scores.get(i), "lead {id}");
    }
    let out = leadtune_ok(
        dir.path(),
        &[
            "score",
            "--model",
            "out/scoring-config.json",
            "--leads",
            "leads.csv",
            "--activities",
            "activities.csv",
            "--out",
            "scored-no-deals.csv",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("without --deals"), "{stderr}");
}

/// Counted up to a scoring date far after the outcome (`scoring_offset_days = 200`), the
/// contract activities' values (the won deals' amounts, at their close) become a trait that
/// the leakage check flags, as it would any column filled in after the outcome.
#[test]
fn a_value_trait_from_after_the_outcome_is_flagged_leaky() {
    let dir = tempfile::tempdir().unwrap();
    let config = valued_history(
        5,
        2000,
        dir.path(),
        "\n[traits]\nscoring_offset_days = 200\nactivity_windows = [30, 365]\n",
    );
    leadtune_ok(
        dir.path(),
        &["traits", "--config", config.to_str().unwrap()],
    );
    let rows = csv_rows(&dir.path().join("out/traits.csv"));
    let contract = rows_of(&rows, "contract_value_max_365d");
    assert!(!contract.is_empty(), "no contract_value_max_365d");
    assert_eq!(contract[0]["flag"], "leaky", "{:?}", contract[0]);
    assert!(
        contract[0]["reason"].contains("AUC"),
        "{}",
        contract[0]["reason"]
    );
}
