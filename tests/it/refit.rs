//! The deployed model is refitted on every mature lead after validation (`[model] refit`,
//! on by default). A history with a planted change in its newest quarter: a `partner` channel
//! that only the newest leads come from, converting at 50% against 10% for the others. The
//! validated model (fitted on the older leads) has never seen it; the deployed config must
//! give it points, and say what the validation figures describe.

use std::fmt::Write as _;
use std::path::Path;

use rand::{Rng, SeedableRng};

use crate::common::{json, leadtune_ok};

const LEADS: usize = 6_000;

fn history(dir: &Path, refit: bool) {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let mut leads = String::from("lead_id,created_at,channel,size\n");
    let mut deals = String::from("deal_id,lead_id,status,closed_at,amount\n");
    let day0 = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
    for i in 0..LEADS {
        let created = day0 + chrono::Days::new((i * 365 / LEADS) as u64);
        let newest = i >= LEADS * 3 / 4;
        let channel = match rng.random_range(0..3) {
            0 if newest => "partner",
            0 | 1 => "web",
            _ => "email",
        };
        let large = rng.random::<bool>();
        let p = match (channel, large) {
            ("partner", _) => 0.5,
            (_, true) => 0.18,
            (_, false) => 0.06,
        };
        let size = if large { "large" } else { "small" };
        writeln!(leads, "L{i},{created},{channel},{size}").unwrap();
        let status = if rng.random::<f64>() < p {
            "won"
        } else {
            "lost"
        };
        let closed = created + chrono::Days::new(20);
        writeln!(deals, "D{i},L{i},{status},{closed},1000").unwrap();
    }
    std::fs::write(dir.join("leads.csv"), leads).unwrap();
    std::fs::write(dir.join("deals.csv"), deals).unwrap();
    let model = if refit {
        ""
    } else {
        "[model]\nrefit = false\n"
    };
    std::fs::write(
        dir.join("leadtune.toml"),
        format!("[input]\nleads = \"leads.csv\"\ndeals = \"deals.csv\"\n{model}"),
    )
    .unwrap();
}

fn run(refit: bool) -> (tempfile::TempDir, serde_json::Value, serde_json::Value) {
    let dir = tempfile::tempdir().unwrap();
    history(dir.path(), refit);
    leadtune_ok(
        dir.path(),
        &[
            "run",
            "--config",
            "leadtune.toml",
            "--as-of",
            "2025-12-31",
            "--out",
            "out",
        ],
    );
    let config = json(&dir.path().join("out/scoring-config.json"));
    let evaluation = json(&dir.path().join("out/evaluation.json"));
    (dir, config, evaluation)
}

/// The points of `channel`'s bin whose label names `value`, if any.
fn points_of(config: &serde_json::Value, value: &str) -> Option<i64> {
    config["traits"]
        .as_array()?
        .iter()
        .find(|t| t["name"] == "channel")?["bins"]
        .as_array()?
        .iter()
        .find(|b| b["label"].as_str().is_some_and(|l| l.contains(value)))?["points"]
        .as_i64()
}

#[test]
fn the_deployed_points_learn_from_the_newest_leads() {
    let (_dir, config, evaluation) = run(true);
    let (train, valid) = (&evaluation["train"], &evaluation["validation"]);
    let mature = train["leads"].as_u64().unwrap() + valid["leads"].as_u64().unwrap();
    assert_eq!(mature, LEADS as u64, "every lead is mature");
    // The config describes the refit: every mature lead, training and validation windows.
    let training = &config["training"];
    assert_eq!(training["refit"], true);
    assert_eq!(training["leads"].as_u64(), Some(mature));
    assert_eq!(
        training["wins"].as_u64(),
        Some(train["wins"].as_u64().unwrap() + valid["wins"].as_u64().unwrap())
    );
    // The validation summary stays the validated model's.
    assert_eq!(config["validation"]["auc"], valid["auc"]);
    let deployed = evaluation["deployed"].as_str().unwrap();
    assert!(
        deployed.starts_with("refitted on all 6000 mature leads"),
        "{deployed}"
    );
    // The newest channel, unseen by the validated model, converts best: the most points.
    let partner = points_of(&config, "partner").expect("a partner bin in the deployed config");
    let web = points_of(&config, "web").expect("a web bin");
    assert!(partner > web + 20, "partner {partner} points, web {web}");
    // The tiers' shares are the deployed scores' over every mature lead.
    let shares: f64 = config["tiers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["share_of_leads"].as_f64().unwrap())
        .sum();
    assert!(
        (shares - 1.0).abs() < 1e-9,
        "tier shares add up to {shares}"
    );
}

#[test]
fn refit_false_deploys_the_validated_model() {
    let (_dir, config, evaluation) = run(false);
    let training = &config["training"];
    assert!(training.get("refit").is_none(), "{training}");
    assert_eq!(training["leads"], evaluation["train"]["leads"]);
    assert!(
        points_of(&config, "partner").is_none(),
        "the training window has no partner lead"
    );
    let deployed = evaluation["deployed"].as_str().unwrap();
    assert!(
        deployed.starts_with("the model fitted on the training window"),
        "{deployed}"
    );
}
