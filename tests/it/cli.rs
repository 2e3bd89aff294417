//! The command line end to end: every subcommand on fixtures, generated histories and the
//! bank-marketing data (snapshots: `snapshots/it__cli__*.snap`).

use std::path::Path;
use std::process::Output;

use crate::common::{
    accounted, command, csv_rows, json, leadtune, leadtune_ok, manifest, parquet, root, text,
};

/// Exit code, stdout and stderr, with temp paths filtered out, for snapshots.
fn transcript(output: &Output, temp: &Path) -> String {
    let clean = |s: &[u8]| text(s).replace(&temp.display().to_string(), "[TEMP]");
    format!(
        "exit: {:?}\n--- stdout\n{}--- stderr\n{}",
        output.status.code(),
        clean(&output.stdout),
        clean(&output.stderr)
    )
}

/// Copies a fixture folder into a fresh temp dir.
fn fixture(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(root().join("tests/fixtures").join(name)).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.path().join(entry.file_name())).unwrap();
    }
    dir
}

#[test]
fn help_teaches_the_commands() {
    let dir = tempfile::tempdir().unwrap();
    let out = leadtune(dir.path(), &["--help"]);
    insta::assert_snapshot!("help", transcript(&out, dir.path()));
    let out = leadtune(dir.path(), &["validate", "--help"]);
    insta::assert_snapshot!("validate_help", transcript(&out, dir.path()));
}

#[test]
fn validate_accounts_for_every_row() {
    let dir = fixture("small");
    let out = leadtune(dir.path(), &["validate", "--out", "out"]);
    insta::assert_snapshot!("validate_small", transcript(&out, dir.path()));
    let m = manifest(&dir.path().join("out"));
    assert_eq!(
        accounted(&m),
        vec![
            ("leads".to_string(), [7, 4, 2, 1]),
            ("deals".to_string(), [8, 5, 3, 0]),
            ("customers".to_string(), [2, 2, 0, 0]),
        ]
    );
    assert_eq!(m["outcome"]["existing_customers"], 2);
    // Nordic Steel by company name; Wójcik by the domain of its email.
    assert_eq!(m["outcome"]["existing_customers_by_rule"]["company"], 1);
    assert_eq!(
        m["outcome"]["existing_customers_by_rule"]["email_domain"],
        1
    );
    use sha2::Digest;
    let leads = std::fs::read(dir.path().join("leads.csv")).unwrap();
    assert_eq!(
        m["inputs"][0]["sha256"].as_str().unwrap(),
        format!("{:x}", sha2::Sha256::digest(&leads))
    );
    let rejected = std::fs::read_to_string(dir.path().join("out/rejected.csv")).unwrap();
    insta::assert_snapshot!("rejected_small", rejected);
}

#[test]
fn validate_twice_gives_the_same_bytes_but_for_timings() {
    let dir = fixture("small");
    for out in ["a", "b"] {
        // The fixture rejects more than 5% of its rows for one reason: exit 1, outputs written.
        let run = leadtune(dir.path(), &["validate", "--out", out]);
        assert_eq!(run.status.code(), Some(1), "{}", text(&run.stderr));
    }
    let read = |p: &str| std::fs::read(dir.path().join(p)).unwrap();
    assert_eq!(read("a/rejected.csv"), read("b/rejected.csv"));
    let strip = |p: &str| {
        let mut m = manifest(&dir.path().join(p));
        m.as_object_mut().unwrap().remove("timings_ms");
        m["config"]["output_dir_written"] = serde_json::Value::Null;
        m
    };
    assert_eq!(strip("a"), strip("b"));
}

#[test]
fn missing_created_at_exits_1_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("leads.csv"), "lead_id,industry\nA,Retail\n").unwrap();
    std::fs::write(
        dir.path().join("leadtune.toml"),
        "[input]\nleads = \"leads.csv\"\n",
    )
    .unwrap();
    let out = leadtune(dir.path(), &["validate"]);
    insta::assert_snapshot!("missing_created_at", transcript(&out, dir.path()));
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn unknown_config_key_exits_1_with_a_suggestion() {
    let dir = fixture("small");
    let config = std::fs::read_to_string(dir.path().join("leadtune.toml")).unwrap();
    std::fs::write(
        dir.path().join("leadtune.toml"),
        config.replace("horizon_days", "horizon_dayz"),
    )
    .unwrap();
    let out = leadtune(dir.path(), &["validate"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("did you mean `horizon_days`"), "{err}");
    assert!(err.contains("leadtune.toml"), "{err}");
}

#[test]
fn missing_config_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let out = leadtune(dir.path(), &["run"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("config file not found"));
}

#[test]
fn unwritable_output_exits_1() {
    let dir = fixture("small");
    // A path below a regular file cannot be a directory, even for root.
    let out = leadtune(dir.path(), &["validate", "--out", "leads.csv/out"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("leads.csv/out"));
}

#[test]
fn identity_values_never_reach_the_outputs() {
    let dir = fixture("small");
    // Exit 1 (more than 5% of the rows rejected for one reason), the outputs written.
    let run = leadtune(dir.path(), &["validate", "--out", "out"]);
    assert_eq!(run.status.code(), Some(1), "{}", text(&run.stderr));
    for file in ["out/rejected.csv", "out/manifest.json"] {
        let body = std::fs::read_to_string(dir.path().join(file)).unwrap();
        for secret in [
            "Nordic Steel",
            "anna@nordicsteel.se",
            "Wójcik",
            "calc",
            "Dup Ltd",
        ] {
            assert!(!body.contains(secret), "{file} contains {secret}");
        }
    }
}

const GENERATED: [&str; 7] = [
    "leads.csv",
    "deals.csv",
    "activities.csv",
    "spend.csv",
    "customers.csv",
    "leadtune.toml",
    "truth.json",
];

#[test]
fn generate_is_byte_identical_per_seed_and_the_shipped_sample_is_seed_42() {
    let dir = tempfile::tempdir().unwrap();
    for out in ["a", "b"] {
        leadtune_ok(
            dir.path(),
            &["generate", "--out", out, "--leads", "5000", "--seed", "42"],
        );
    }
    for file in GENERATED {
        let a = std::fs::read(dir.path().join("a").join(file)).unwrap();
        let b = std::fs::read(dir.path().join("b").join(file)).unwrap();
        assert!(a == b, "{file} differs between two runs with one seed");
        let shipped = std::fs::read(root().join("data/sample").join(file)).unwrap();
        assert!(
            a == shipped,
            "data/sample/{file} is not `generate --leads 5000 --seed 42`"
        );
    }
    leadtune_ok(
        dir.path(),
        &["generate", "--out", "c", "--leads", "5000", "--seed", "43"],
    );
    assert_ne!(
        std::fs::read(dir.path().join("a/leads.csv")).unwrap(),
        std::fs::read(dir.path().join("c/leads.csv")).unwrap()
    );
}

#[test]
fn generate_parquet_validates_like_the_csv_of_the_same_seed() {
    let dir = tempfile::tempdir().unwrap();
    let shape = [
        "--leads",
        "3000",
        "--seed",
        "5",
        "--activity-rate",
        "0.6",
        "--lost-deal-rate",
        "0.5",
    ];
    for (out, format) in [("c", "csv"), ("p", "parquet")] {
        let mut args = vec!["generate", "--out", out, "--format", format];
        args.extend(shape);
        leadtune_ok(dir.path(), &args);
        let config = format!("{out}/leadtune.toml");
        leadtune_ok(
            dir.path(),
            &["validate", "--config", &config, "--out", &format!("v{out}")],
        );
    }
    assert!(dir.path().join("p/activities.parquet").exists());
    let (c, p) = (
        manifest(&dir.path().join("vc")),
        manifest(&dir.path().join("vp")),
    );
    assert_eq!(accounted(&c), accounted(&p));
    assert_eq!(c["outcome"], p["outcome"]);
    assert_eq!(c["rejected_rows"], p["rejected_rows"]);
    assert!(
        c["rejected_rows"].as_u64().unwrap() > 100,
        "malformed rows survive"
    );
    let truth = json(&dir.path().join("p/truth.json"));
    assert_eq!(truth, json(&dir.path().join("c/truth.json")));
    assert_eq!(truth["activity_rate"], 0.6);
    let bad = leadtune(
        dir.path(),
        &["generate", "--out", "x", "--activity-rate", "-1"],
    );
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        text(&bad.stderr).contains("--activity-rate"),
        "{}",
        text(&bad.stderr)
    );
    assert!(!dir.path().join("x").exists());
}

#[test]
fn run_on_the_sample_writes_every_output() {
    let dir = tempfile::tempdir().unwrap();
    let out = leadtune_ok(&root(), &["run", "--out", dir.path().to_str().unwrap()]);
    let stdout = text(&out.stdout);
    assert!(!stdout.contains("not built"), "{stdout}");
    assert!(stdout.contains("report.html in a browser"), "{stdout}");
    let charts: Vec<String> = std::fs::read_dir(dir.path().join("charts"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    for ext in [".png", ".svg"] {
        let n = charts.iter().filter(|c| c.ends_with(ext)).count();
        assert!(n >= 8, "{n} {ext} charts: {charts:?}");
    }
    for file in [
        "report.html",
        "sla_by_tier.csv",
        "rejected.csv",
        "manifest.json",
        "traits.csv",
        "traits.parquet",
        "scoring-config.json",
        "conversion_by_source.csv",
        "conversion_by_quarter.parquet",
        "conversion_by_tier.csv",
        "speed_to_lead.csv",
        "funnel.csv",
        "source_roi.csv",
        "source_roi.parquet",
    ] {
        assert!(dir.path().join(file).is_file(), "{file}");
    }
    // Spend without leads and leads without spend are listed, not dropped.
    let roi = std::fs::read_to_string(dir.path().join("source_roi.csv")).unwrap();
    assert!(
        roi.contains("display_ads,(all),(all),0,") && roi.contains("spend but no leads"),
        "{roi}"
    );
    assert!(
        roi.contains("referral,(all),(all),") && roi.contains("no spend recorded"),
        "{roi}"
    );
    // The generator's planted counts are what validation finds.
    let m = manifest(dir.path());
    let truth: serde_json::Value = json(&root().join("data/sample/truth.json"));
    let counts = accounted(&m);
    let malformed = &truth["malformed"];
    let n = |k: &str| malformed[k].as_u64().unwrap();
    assert_eq!(
        counts[0].1[2],
        n("leads_bad_created_at") + n("leads_duplicate_id")
    );
    assert_eq!(
        counts[2].1[2],
        n("activities_bad_occurred_at") + n("activities_unknown_lead")
    );
    assert_eq!(
        m["outcome"]["existing_customers"],
        truth["existing_customers"]["planted"]
    );
    assert_eq!(
        m["outcome"]["won_after_horizon"],
        truth["realised"]["won_after_horizon"]
    );
    // The planted engagement half-life lies inside the fitted decay's 95% interval.
    decay_holds_the_planted_half_life(dir.path(), &truth);
}

#[test]
fn trait_discovery_recovers_the_planted_truth() {
    let dir = tempfile::tempdir().unwrap();
    generate(dir.path(), "g", "20000", "3");
    leadtune_ok(
        dir.path(),
        &["traits", "--config", "g/leadtune.toml", "--out", "out"],
    );
    let rows = csv_rows(&dir.path().join("out/traits.csv"));
    let truth: serde_json::Value = json(&dir.path().join("g/truth.json"));
    let flag = |name: &str| {
        rows.iter()
            .find(|r| r["trait"] == name)
            .map(|r| r["flag"].clone())
            .unwrap_or_else(|| panic!("{name} not in traits.csv"))
    };
    assert_eq!(
        flag(truth["leaky_column"]["column"].as_str().unwrap()),
        "leaky"
    );
    for identity in ["email", "company", "domain", "contact_name"] {
        assert_eq!(flag(identity), "identity", "{identity}");
        assert_eq!(rows.iter().filter(|r| r["trait"] == identity).count(), 1);
    }
    // The no-effect trait: IV near 0, no significant bin after correction.
    let none = truth["no_effect_trait"].as_str().unwrap();
    let bins: Vec<_> = rows.iter().filter(|r| r["trait"] == none).collect();
    let iv: f64 = bins[0]["trait_iv"].parse().unwrap();
    assert!(iv < 0.02, "{none} IV {iv}");
    for b in &bins {
        if let Ok(p) = b["p_adjusted"].parse::<f64>() {
            assert!(p > 0.05, "{none} bin {} p_adjusted {p}", b["bin"]);
        }
    }
    // Planted categorical effects: the bins' WoE orders categories as the truth does, for every
    // pair of categories whose true effects differ by at least 0.3 (and with 300+ leads each).
    // `source` is left to its extremes below: by design the generator ties source to response
    // speed and engagement (web forms answered fast, purchased lists slowly), so its one-trait
    // (marginal) WoE mixes in those effects; the planted values are conditional log-odds.
    let effects = truth["categorical_effects"].as_object().unwrap();
    for (name, per_value) in effects {
        if name == none || name == "source" {
            continue;
        }
        let woe = |value: &str| -> Option<(f64, u64)> {
            let bin = if value == "(missing)" {
                "missing"
            } else {
                value
            };
            rows.iter()
                .find(|r| &r["trait"] == name && r["bin"] == bin)
                .map(|r| (r["woe"].parse().unwrap(), r["leads"].parse().unwrap()))
        };
        let values: Vec<(&String, f64)> = per_value
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k, v.as_f64().unwrap()))
            .collect();
        for (a, ea) in &values {
            for (b, eb) in &values {
                if ea - eb < 0.3 {
                    continue;
                }
                let (Some((wa, na)), Some((wb, nb))) = (woe(a), woe(b)) else {
                    continue;
                };
                if na >= 300 && nb >= 300 {
                    assert!(
                        wa > wb,
                        "{name}: {a} (true {ea}) should beat {b} (true {eb})"
                    );
                }
            }
        }
    }
    let source_woe = |v: &str| -> f64 {
        rows.iter()
            .find(|r| r["trait"] == "source" && r["bin"] == v)
            .unwrap()["woe"]
            .parse()
            .unwrap()
    };
    let sources = [
        "web_form",
        "event",
        "purchased_list",
        "referral",
        "paid_search",
        "partner",
    ];
    let best = sources
        .iter()
        .max_by(|a, b| source_woe(a).total_cmp(&source_woe(b)));
    let worst = sources
        .iter()
        .min_by(|a, b| source_woe(a).total_cmp(&source_woe(b)));
    assert_eq!((best, worst), (Some(&"referral"), Some(&"purchased_list")));
    // Planted numeric shapes: employees ascending, company age an inverted U (a peak in years).
    let trend = |name: &str| rows.iter().find(|r| r["trait"] == name).unwrap()["trend"].clone();
    assert_eq!(trend("employees"), "ascending");
    assert_eq!(
        trend(truth["non_monotonic_trait"].as_str().unwrap()),
        "peak"
    );
    // Traits with planted effects rank above the no-effect one.
    let iv_of = |name: &str| -> f64 {
        rows.iter().find(|r| r["trait"] == name).unwrap()["trait_iv"]
            .parse()
            .unwrap()
    };
    for planted in [
        "source",
        "industry",
        "job_title_level",
        "employees",
        "country",
    ] {
        assert!(iv_of(planted) > 5.0 * iv_of(none), "{planted}");
    }
}

/// Runs `command` on the bank-marketing data shipped in `tests/data/` (its README: `;`-delimited,
/// no id column, outcome `y`, `unknown` for missing) into `out`, with `extra` appended to the
/// config.
fn bank_run(command: &str, extra: &str) -> tempfile::TempDir {
    let bank = root().join("tests/data/bank-marketing/bank-full.csv");
    assert!(bank.is_file(), "{} is missing", bank.display());
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("leadtune.toml"),
        format!(
            "[input]\nleads = {:?}\n[columns]\nlead_id = \"@row\"\nconverted = \"y\"\n\
             [traits]\nmissing = [\"unknown\"]\n{extra}",
            bank.display().to_string()
        ),
    )
    .unwrap();
    leadtune_ok(dir.path(), &[command, "--out", "out"]);
    dir
}

#[test]
fn bank_marketing_duration_is_flagged_leaky_unaided() {
    let dir = bank_run("traits", "");
    let rows = csv_rows(&dir.path().join("out/traits.csv"));
    let flags: std::collections::BTreeMap<&str, &str> = rows
        .iter()
        .map(|r| (r["trait"].as_str(), r["flag"].as_str()))
        .collect();
    assert_eq!(flags["duration"], "leaky");
    let flagged: Vec<&&str> = flags
        .iter()
        .filter(|(_, f)| **f != "ok")
        .map(|(t, _)| t)
        .collect();
    assert_eq!(flagged, vec![&"duration"], "only duration is flagged");
    let m = manifest(&dir.path().join("out"));
    assert_eq!(
        accounted(&m),
        vec![("leads".to_string(), [45211, 45211, 0, 0])]
    );
    assert_eq!(m["outcome"]["converted"], 5289);
}

#[test]
fn a_date_recorded_after_first_response_is_flagged_leaky() {
    let dir = tempfile::tempdir().unwrap();
    let mut leads =
        String::from("lead_id,created_at,first_response_at,converted,last_meeting_on,size\n");
    for i in 0..200 {
        let day = 1 + i % 28;
        let meeting = 1 + (i * 7) % 28;
        leads.push_str(&format!(
            "L{i},2024-03-{day:02},2024-03-{day:02}T10:00:00,{},2024-04-{meeting:02},{}\n",
            i % 4 == 0,
            ["small", "big"][i % 2]
        ));
    }
    std::fs::write(dir.path().join("leads.csv"), leads).unwrap();
    std::fs::write(
        dir.path().join("leadtune.toml"),
        "[input]\nleads = \"leads.csv\"\n",
    )
    .unwrap();
    leadtune_ok(dir.path(), &["traits", "--out", "out"]);
    let rows = csv_rows(&dir.path().join("out/traits.csv"));
    let row = rows
        .iter()
        .find(|r| r["trait"] == "last_meeting_on")
        .unwrap();
    assert_eq!(row["flag"], "leaky");
    assert!(
        row["reason"].contains("after the first response for 100%"),
        "{}",
        row["reason"]
    );
    assert_eq!(row["kind"], "numeric");
    let size = rows.iter().find(|r| r["trait"] == "size").unwrap();
    assert_eq!(size["flag"], "ok");
}

/// `leadtune generate --out OUT --leads N --seed S` in `dir`, which must succeed.
fn generate(dir: &Path, out: &str, leads: &str, seed: &str) {
    leadtune_ok(
        dir,
        &["generate", "--out", out, "--leads", leads, "--seed", seed],
    );
}

/// A generated history with a run's outputs, shared by the fit tests.
fn generated_run(leads: &str, seed: &str, extra_config: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    generate(dir.path(), "g", leads, seed);
    if !extra_config.is_empty() {
        let path = dir.path().join("g/leadtune.toml");
        let config = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, format!("{config}\n{extra_config}")).unwrap();
    }
    leadtune_ok(
        dir.path(),
        &["run", "--config", "g/leadtune.toml", "--out", "out"],
    );
    dir
}

#[test]
fn score_reproduces_run_and_runs_are_byte_identical() {
    let dir = generated_run("4000", "11", "");
    // The same inputs twice: the same scoring config, byte for byte.
    leadtune_ok(
        dir.path(),
        &["run", "--config", "g/leadtune.toml", "--out", "again"],
    );
    for file in [
        "scoring-config.json",
        "points.csv",
        "traits.csv",
        "evaluation.json",
        "scored_leads.parquet",
        "rejected.csv",
    ] {
        assert!(
            std::fs::read(dir.path().join("out").join(file)).unwrap()
                == std::fs::read(dir.path().join("again").join(file)).unwrap(),
            "{file} differs between two runs"
        );
    }
    // `score` on the leads file (with its activities and deals: stage_reached counts an
    // opportunity) gives every lead the score `run` gave it.
    leadtune_ok(
        dir.path(),
        &[
            "score",
            "--model",
            "out/scoring-config.json",
            "--leads",
            "g/leads.csv",
            "--activities",
            "g/activities.csv",
            "--deals",
            "g/deals.csv",
            "--out",
            "scored.csv",
            "--explain",
        ],
    );
    let mut explained = 0;
    let scored: std::collections::BTreeMap<String, (i64, String, String)> =
        csv_rows(&dir.path().join("scored.csv"))
            .into_iter()
            .map(|r| {
                let score: i64 = r["score"].parse().unwrap();
                // The breakdown adds up to the score exactly.
                let parts: i64 = r
                    .iter()
                    .filter(|(k, _)| k.starts_with("points:") || *k == "base_points")
                    .map(|(_, v)| v.parse::<i64>().unwrap())
                    .sum();
                assert_eq!(parts, score, "{r:?}");
                explained += 1;
                (
                    r["lead_id"].clone(),
                    (score, r["tier"].clone(), r["reasons"].clone()),
                )
            })
            .collect();
    assert!(explained > 3000);
    let run = parquet(&dir.path().join("out/scored_leads.parquet"));
    let ids = run.column("lead_id").unwrap().str().unwrap().clone();
    let scores = run.column("score").unwrap().i64().unwrap().clone();
    let tiers = run.column("tier").unwrap().str().unwrap().clone();
    let reasons = run.column("reasons").unwrap().str().unwrap().clone();
    let mut compared = 0;
    for i in 0..run.height() {
        let id = ids.get(i).unwrap();
        if let Some((score, tier, why)) = scored.get(id) {
            assert_eq!(Some(*score), scores.get(i), "lead {id}");
            assert_eq!(Some(tier.as_str()), tiers.get(i), "lead {id}");
            assert_eq!(Some(why.as_str()), reasons.get(i), "lead {id}");
            compared += 1;
        }
    }
    assert!(
        compared as f64 > 0.95 * run.height() as f64,
        "{compared} of {}",
        run.height()
    );
}

#[test]
fn the_schema_validates_the_config() {
    let dir = generated_run("3000", "5", "");
    let read = |f: &str| -> serde_json::Value { json(&dir.path().join("out").join(f)) };
    let (schema, config) = (
        read("scoring-config.schema.json"),
        read("scoring-config.json"),
    );
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&config)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    // And it refuses a config that breaks it.
    let mut broken = config.clone();
    broken["traits"][0]["bins"][0]["points"] = serde_json::json!("many");
    assert!(!validator.is_valid(&broken));
    // A newer schema_version is refused by `score` with a clear error.
    let mut newer = config;
    newer["schema_version"] = serde_json::json!(99);
    std::fs::write(dir.path().join("newer.json"), newer.to_string()).unwrap();
    let s = leadtune(
        dir.path(),
        &[
            "score",
            "--model",
            "newer.json",
            "--leads",
            "g/leads.csv",
            "--out",
            "x.csv",
        ],
    );
    assert_eq!(s.status.code(), Some(1));
    assert!(
        text(&s.stderr).contains("schema_version 99 is newer"),
        "{}",
        text(&s.stderr)
    );
}

#[test]
fn pins_are_honoured_exactly_and_their_cost_reported() {
    let dir = generated_run("4000", "8", "[model]\npin = { \"industry=Retail\" = 25 }\n");
    let p = csv_rows(&dir.path().join("out/points.csv"));
    let retail = p
        .iter()
        .find(|r| r["trait"] == "industry" && r["bin"] == "Retail")
        .expect("industry=Retail in points.csv");
    assert_eq!(retail["points"], "25");
    assert_eq!(retail["pinned"], "yes");
    let e: serde_json::Value = json(&dir.path().join("out/evaluation.json"));
    assert!(e["costs"]["pins_cost"].is_number(), "{}", e["costs"]);
}

#[test]
fn the_fitted_points_recover_the_planted_effects() {
    // `campaign` is nested in `source` (each campaign belongs to one source): with both in the
    // model the source effect splits between them, so this test leaves campaign out.
    let dir = generated_run("20000", "21", "[traits]\nexclude = [\"campaign\"]\n");
    let p = csv_rows(&dir.path().join("out/points.csv"));
    let truth: serde_json::Value = json(&dir.path().join("g/truth.json"));
    let traits: std::collections::BTreeSet<&str> = p.iter().map(|r| r["trait"].as_str()).collect();
    assert!(
        !traits.contains("sales_note_status"),
        "the leaky column is in the model"
    );
    for identity in ["email", "company", "domain", "contact_name"] {
        assert!(!traits.contains(identity));
    }
    let pts = |t: &str, b: &str| -> Option<i64> {
        p.iter()
            .find(|r| r["trait"] == t && r["bin"] == b)
            .map(|r| r["points"].parse().unwrap())
    };
    // Planted categorical effects: for pairs whose true effects differ by 0.5 or more, the
    // fitted points keep the order (signs and relative sizes). `source` is checked by its
    // extremes only: the generator ties it to response speed, which the model rightly cannot
    // use (it is known only after contact), so its fitted effects are marginal over speed.
    for name in ["industry", "job_title_level"] {
        assert!(traits.contains(name), "{name} is not in the model");
        let effects = truth["categorical_effects"][name].as_object().unwrap();
        for (a, ea) in effects {
            for (b, eb) in effects {
                let (ea, eb) = (ea.as_f64().unwrap(), eb.as_f64().unwrap());
                let bin = |v: &str| {
                    if v == "(missing)" {
                        "missing".to_string()
                    } else {
                        v.to_string()
                    }
                };
                if ea - eb >= 0.5
                    && let (Some(pa), Some(pb)) = (pts(name, &bin(a)), pts(name, &bin(b)))
                {
                    assert!(
                        pa > pb,
                        "{name}: {a} ({ea}) has {pa} points, {b} ({eb}) {pb}"
                    );
                }
            }
        }
    }
    assert!(traits.contains("source"));
    let sources = [
        "web_form",
        "event",
        "purchased_list",
        "referral",
        "paid_search",
        "partner",
    ];
    let by_points = |best: bool| {
        sources
            .iter()
            .filter_map(|s| pts("source", s).map(|p| (p, *s)))
            .reduce(|a, b| if (b.0 > a.0) == best { b } else { a })
            .map(|x| x.1)
    };
    assert_eq!(by_points(true), Some("referral"));
    assert_eq!(by_points(false), Some("purchased_list"));
    // The planted speed-to-lead effect shows in speed_to_lead.csv: leads answered within the
    // hour convert better, with an interval clear of the never-answered bucket's.
    let speed = csv_rows(&dir.path().join("out/speed_to_lead.csv"));
    let bucket = |g: &str| {
        speed
            .iter()
            .find(|r| r["dimension"] == "(all sources)" && r["group"] == g)
            .unwrap_or_else(|| panic!("no {g} bucket"))
            .clone()
    };
    let (fast, never) = (bucket("< 1 h"), bucket("never"));
    let f =
        |r: &std::collections::BTreeMap<String, String>, k: &str| -> f64 { r[k].parse().unwrap() };
    assert!(
        f(&fast, "conversion_low") > f(&never, "conversion_high"),
        "{fast:?} {never:?}"
    );
    // Size: 20 points double the odds, so a log-odds gap d is about 20 d / ln 2 points. The
    // referral vs purchased-list gap (true 1.9) must come out within a factor of 2.
    let gap =
        (pts("source", "referral").unwrap() - pts("source", "purchased_list").unwrap()) as f64;
    let expected = 20.0 * 1.9 / std::f64::consts::LN_2;
    assert!(
        gap > expected / 2.0 && gap < expected * 2.0,
        "gap {gap}, expected about {expected}"
    );
}

#[test]
fn bank_marketing_integer_points_match_the_logistic_regression_reference() {
    let dir = bank_run("run", "[model]\nvalidation = \"file_order\"\n");
    let config: serde_json::Value = json(&dir.path().join("out/scoring-config.json"));
    let traits: Vec<&str> = config["traits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(
        !traits.contains(&"duration"),
        "duration must be flagged out: {traits:?}"
    );
    // The README's scikit-learn logistic regression without duration, same split: 0.7392.
    let auc = config["validation"]["auc"].as_f64().unwrap();
    assert!(auc >= 0.7392, "validation AUC {auc}");
    assert_eq!(config["validation"]["leads"], 11303);
}

#[test]
fn backtest_and_diff_compare_a_new_config_with_the_one_in_use() {
    let dir = generated_run("4000", "12", "");
    // Re-weight with a pin and the old config as the one in use.
    std::fs::copy(
        dir.path().join("out/scoring-config.json"),
        dir.path().join("g/current.json"),
    )
    .unwrap();
    let path = dir.path().join("g/leadtune.toml");
    let config = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        format!(
            "{config}\n[model]\ncurrent = \"current.json\"\npin = {{ \"source=referral\" = 60 }}\n"
        ),
    )
    .unwrap();
    let r = leadtune_ok(
        dir.path(),
        &["run", "--config", "g/leadtune.toml", "--out", "new"],
    );
    assert!(text(&r.stdout).contains("back-test on the same validation leads"));
    let e: serde_json::Value = json(&dir.path().join("new/evaluation.json"));
    let b = &e["backtest"];
    assert!(b["current"]["auc"].as_f64().unwrap() > 0.5, "{b}");
    assert!(b["new"]["auc"].as_f64().unwrap() > 0.5, "{b}");
    let moves: u64 = b["tier_moves"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|to| {
            to.as_object()
                .unwrap()
                .values()
                .map(|n| n.as_u64().unwrap())
        })
        .sum();
    assert_eq!(moves, e["validation"]["leads"].as_u64().unwrap());

    let d = leadtune_ok(
        dir.path(),
        &[
            "diff",
            "g/current.json",
            "new/scoring-config.json",
            "--leads",
            "g/leads.csv",
            "--changes",
            "changes.csv",
            "--json",
        ],
    );
    let d: serde_json::Value = serde_json::from_slice(&d.stdout).unwrap();
    // The leads listed as changing tier are exactly as many as counted, each with new reasons.
    let changed = csv_rows(&dir.path().join("changes.csv"));
    assert_eq!(
        changed.len() as u64,
        d["leads_changing_tier"].as_u64().unwrap()
    );
    for c in &changed {
        assert_ne!(c["old_tier"], c["new_tier"], "{c:?}");
        let change: i64 = c["change"].parse().unwrap();
        let (old, new): (i64, i64) = (
            c["old_score"].parse().unwrap(),
            c["new_score"].parse().unwrap(),
        );
        assert_eq!(change, new - old);
    }
    assert!(changed.iter().any(|c| !c["new_reasons"].is_empty()));
    // Each config names its version: content hashes differ, valid_from is the data's end.
    assert_ne!(d["content_sha256"][0], d["content_sha256"][1]);
    assert!(d["valid_from"][1].as_str().is_some_and(|v| v.len() == 10));
    let referral = d["points"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["trait"] == "source" && p["bin"] == "referral")
        .expect("the pinned bin changed");
    assert_eq!(referral["new"], 60);
    // Largest change first.
    let changes: Vec<i64> = d["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["change"].as_i64().unwrap().abs())
        .collect();
    assert!(changes.windows(2).all(|w| w[0] >= w[1]));
    assert!(d["leads_changing_tier"].as_u64().is_some());
    let plain = leadtune(
        dir.path(),
        &["diff", "g/current.json", "new/scoring-config.json"],
    );
    assert!(text(&plain.stdout).contains("points changed (largest first)"));
}

/// Every file of an output directory, as bytes, by name.
fn outputs(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_file())
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

#[test]
fn outputs_are_identical_with_one_thread_or_two_and_hold_no_identities() {
    let dir = tempfile::tempdir().unwrap();
    generate(dir.path(), "g", "3000", "9");
    let run = |threads: &str, out: &str| {
        let o = command(dir.path())
            .args(["run", "--config", "g/leadtune.toml", "--out", out])
            .env("RAYON_NUM_THREADS", threads)
            .env("POLARS_MAX_THREADS", threads)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", text(&o.stderr));
    };
    run("1", "one");
    run("2", "two");
    let (one, two) = (
        outputs(&dir.path().join("one")),
        outputs(&dir.path().join("two")),
    );
    assert_eq!(
        one.keys().collect::<Vec<_>>(),
        two.keys().collect::<Vec<_>>()
    );
    for (name, bytes) in &one {
        if name == "manifest.json" {
            let strip = |b: &[u8]| {
                let mut m: serde_json::Value = serde_json::from_slice(b).unwrap();
                m.as_object_mut().unwrap().remove("timings_ms");
                m["config"]["output_dir_written"] = serde_json::Value::Null;
                m
            };
            assert_eq!(strip(bytes), strip(&two[name]));
        } else {
            assert!(
                *bytes == two[name],
                "{name} differs between 1 and 2 threads"
            );
        }
    }
    // No person's or company's name, email or domain in any output.
    let rows = csv_rows(&dir.path().join("g/leads.csv"));
    let mut secrets: Vec<String> = Vec::new();
    for r in rows.iter().step_by(37).take(60) {
        for column in ["email", "company", "contact_name", "domain"] {
            if r[column].len() > 5 {
                secrets.push(r[column].clone());
            }
        }
    }
    assert!(secrets.len() > 100);
    for (name, bytes) in &one {
        let body = String::from_utf8_lossy(bytes);
        for secret in &secrets {
            assert!(
                !body.contains(secret.as_str()),
                "{name} contains {secret:?}"
            );
        }
    }
}

/// One bad-input case: files to write, the command, and what must happen.
struct Case {
    name: &'static str,
    files: Vec<(&'static str, Vec<u8>)>,
    config: String,
    command: &'static str,
    expect: Expect,
}

enum Expect {
    /// Exit 1 and stderr containing each fragment.
    Refused(Vec<&'static str>),
    /// Success, with (table, rejected rows, a fragment of one reason).
    Rejected(Vec<(&'static str, u64, &'static str)>),
    /// Success, and fragments the given output file must contain.
    Writes(&'static str, Vec<&'static str>),
}

const LEADS_HEAD: &str = "lead_id,created_at,source,industry,employees\n";

fn leads_rows(n: usize) -> String {
    let mut s = String::from(LEADS_HEAD);
    for i in 0..n {
        s.push_str(&format!(
            "L{i},2024-{:02}-{:02},{},{},{}\n",
            1 + i % 12,
            1 + i % 28,
            ["web", "event", "list"][i % 3],
            ["Software", "Retail"][i % 2],
            10 + i % 50
        ));
    }
    s
}

fn deals_for(n: usize) -> String {
    let mut s = String::from("deal_id,lead_id,status,closed_at,amount\n");
    for i in (0..n).step_by(4) {
        s.push_str(&format!(
            "D{i},L{i},{},2024-{:02}-28,1000\n",
            if i % 8 == 0 { "won" } else { "lost" },
            1 + i % 12
        ));
    }
    s
}

fn base_config(extra: &str) -> String {
    format!("[input]\nleads = \"leads.csv\"\ndeals = \"deals.csv\"\n{extra}")
}

fn cases() -> Vec<Case> {
    let good = leads_rows(200).into_bytes();
    let deals = deals_for(200).into_bytes();
    let with =
        |extra_rows: &str| -> Vec<u8> { format!("{}{extra_rows}", leads_rows(200)).into_bytes() };
    let mut latin1 = leads_rows(200).into_bytes();
    latin1.extend_from_slice("LX1,2024-01-01,web,Łódź,5\n".as_bytes()); // valid UTF-8, then:
    latin1.extend_from_slice(b"LX2,2024-01-01,web,\xb3\xf3d\xbc Sp\xf3\xb3ka,5\n"); // Windows-1250
    latin1.extend_from_slice(b"LX3,2024-01-01,web,G\xf6teborg \xe5\xe4,5\n"); // Latin-1 Swedish
    let mut many_levels = String::from("lead_id,converted,ref_code\n");
    for i in 0..100_000 {
        many_levels.push_str(&format!("{i},{},R{i:06}\n", i % 7 == 0));
    }
    let mut constant = String::from("lead_id,converted,plan,mostly_empty\n");
    for i in 0..400 {
        constant.push_str(&format!(
            "{i},{},basic,{}\n",
            i % 5 == 0,
            if i == 3 { "x" } else { "" }
        ));
    }
    let mut formula = String::from("lead_id,converted,segment\n");
    for i in 0..400 {
        let seg = ["=cmd|' /C calc'!A0", "<script>alert(1)</script>", "plain"][i % 3];
        formula.push_str(&format!("{i},{},\"{seg}\"\n", i % 4 == 0));
    }
    let long = "x".repeat(10_000);
    vec![
        Case { name: "empty file", files: vec![("leads.csv", vec![]), ("deals.csv", deals.clone())], config: base_config(""), command: "validate", expect: Expect::Refused(vec!["leads.csv", "the file is empty"]) },
        Case { name: "header only", files: vec![("leads.csv", LEADS_HEAD.into()), ("deals.csv", deals.clone())], config: base_config(""), command: "validate", expect: Expect::Refused(vec!["header but no rows"]) },
        Case { name: "wrong delimiter configured", files: vec![("leads.csv", good.clone()), ("deals.csv", deals.clone())], config: base_config("").replace("[input]\n", "[input]\ndelimiter = \";\"\n"), command: "validate", expect: Expect::Refused(vec!["\"lead_id\"", "is the delimiter right?"]) },
        Case { name: "mixed delimiters", files: vec![("leads.csv", with("LM1;2024-01-01;web;Retail;5\n")), ("deals.csv", deals.clone())], config: base_config(""), command: "validate", expect: Expect::Rejected(vec![("leads", 1, "row has 1 fields, the header has 5")]) },
        Case { name: "byte-order mark", files: vec![("leads.csv", [b"\xEF\xBB\xBF".to_vec(), good.clone()].concat()), ("deals.csv", deals.clone())], config: base_config(""), command: "validate", expect: Expect::Rejected(vec![("leads", 0, "")]) },
        Case { name: "Latin-1 and Windows-1250 bytes in a UTF-8 file", files: vec![("leads.csv", latin1), ("deals.csv", deals.clone())], config: base_config(""), command: "validate", expect: Expect::Rejected(vec![("leads", 2, "not valid UTF-8")]) },
        Case { name: "quoted newlines and delimiters", files: vec![("leads.csv", with("LQ1,2024-01-01,\"web,\nform\",\"Retail; \"\"big\"\"\",5\n")), ("deals.csv", deals.clone())], config: base_config(""), command: "validate", expect: Expect::Rejected(vec![("leads", 0, "")]) },
        Case { name: "ragged rows", files: vec![("leads.csv", with("LR1,2024-01-01,web\nLR2,2024-01-01,web,Retail,5,extra\n")), ("deals.csv", deals.clone())], config: base_config(""), command: "validate", expect: Expect::Rejected(vec![("leads", 2, "fields, the header has 5")]) },
        Case { name: "duplicate lead ids", files: vec![("leads.csv", with("L1,2024-02-01,web,Retail,5\nL2,2024-02-01,web,Retail,5\n")), ("deals.csv", deals.clone())], config: base_config(""), command: "validate", expect: Expect::Rejected(vec![("leads", 2, "duplicate lead_id (the first, at row")]) },
        Case { name: "duplicate header names", files: vec![("leads.csv", b"lead_id,created_at,x,x\nL1,2024-01-01,a,b\n".to_vec()), ("deals.csv", deals.clone())], config: base_config(""), command: "validate", expect: Expect::Refused(vec!["names \"x\" twice"]) },
        Case { name: "three date formats without date_format", files: vec![("leads.csv", with("LD1,2024-03-05T10:00:00,web,Retail,5\nLD2,05.03.2024,web,Retail,5\n")), ("deals.csv", deals.clone())], config: base_config(""), command: "validate", expect: Expect::Rejected(vec![("leads", 1, "created_at is not a date")]) },
        Case { name: "three date formats with date_format", files: vec![("leads.csv", with("LD1,2024-03-05T10:00:00,web,Retail,5\nLD2,05.03.2024,web,Retail,5\n")), ("deals.csv", deals.clone())], config: base_config("").replace("[input]\n", "[input]\ndate_format = \"%d.%m.%Y\"\n"), command: "validate", expect: Expect::Rejected(vec![("leads", 0, "")]) },
        Case { name: "dates in the future", files: vec![("leads.csv", with("LF1,2099-01-01,web,Retail,5\n")), ("deals.csv", deals.clone())], config: base_config(""), command: "validate", expect: Expect::Rejected(vec![("leads", 1, "created_at is later than now")]) },
        Case { name: "deals for unknown leads", files: vec![("leads.csv", good.clone()), ("deals.csv", [deals.clone(), b"DX,NOPE,won,2024-05-01,10\n".to_vec()].concat())], config: base_config(""), command: "validate", expect: Expect::Rejected(vec![("deals", 1, "matches no lead")]) },
        Case { name: "deals closed before the lead was created", files: vec![("leads.csv", good.clone()), ("deals.csv", [deals.clone(), b"DB,L5,won,2020-01-01,10\n".to_vec()].concat())], config: base_config(""), command: "validate", expect: Expect::Rejected(vec![("deals", 1, "before the lead was created")]) },
        Case { name: "negative and non-numeric amounts", files: vec![("leads.csv", good.clone()), ("deals.csv", [deals.clone(), b"DN1,L5,lost,2024-09-01,-10\nDN2,L6,lost,2024-09-01,TBD\n".to_vec()].concat())], config: base_config(""), command: "validate", expect: Expect::Rejected(vec![("deals", 2, "amount")]) },
        Case { name: "thousands separators and currency signs", files: vec![("leads.csv", good.clone()), ("deals.csv", [deals.clone(), b"DT1,L5,won,2024-09-01,\"$12,500.00\"\nDT2,L6,won,2024-09-01,\"EUR 1,250\"\n".to_vec()].concat())], config: base_config(""), command: "validate", expect: Expect::Rejected(vec![("deals", 0, "")]) },
        Case { name: "NaN, inf and 1e308", files: vec![("leads.csv", with("LN1,2024-01-01,web,Retail,NaN\nLN2,2024-01-01,web,Retail,inf\nLN3,2024-01-01,web,Retail,1e308\n")), ("deals.csv", [deals.clone(), b"DI,L5,won,2024-09-01,inf\n".to_vec()].concat())], config: base_config(""), command: "validate", expect: Expect::Rejected(vec![("leads", 0, ""), ("deals", 1, "not a finite number")]) },
        Case { name: "one-class outcome", files: vec![("leads.csv", good.clone()), ("deals.csv", deals_for(200).replace(",won,", ",lost,").into_bytes())], config: base_config(""), command: "run", expect: Expect::Refused(vec!["0 wins", "needs both"]) },
        Case { name: "constant and 99% missing traits", files: vec![("leads.csv", constant.into_bytes())], config: "[input]\nleads = \"leads.csv\"\n".into(), command: "traits", expect: Expect::Writes("traits.csv", vec!["plan,basic,", "constant,100.0% of leads share one bin", "constant,99.8% of leads share one bin"]) },
        Case { name: "a trait with 100,000 levels", files: vec![("leads.csv", many_levels.into_bytes())], config: "[input]\nleads = \"leads.csv\"\n".into(), command: "traits", expect: Expect::Writes("traits.csv", vec!["ref_code,,,,,,,,,,,,,identity,\"id codes: 100% of values are codes of one width (7 characters)"]) },
        Case { name: "formula injection and HTML in values", files: vec![("leads.csv", formula.into_bytes())], config: "[input]\nleads = \"leads.csv\"\n".into(), command: "traits", expect: Expect::Writes("traits.csv", vec!["segment,'=cmd|' /C calc'!A0", "segment,<script>alert(1)</script>"]) },
        Case { name: "a 10,000-character cell", files: vec![("leads.csv", with(&format!("LL1,{long},web,Retail,5\n"))), ("deals.csv", deals.clone())], config: base_config(""), command: "validate", expect: Expect::Rejected(vec![("leads", 1, "created_at is not a date")]) },
        Case { name: "config names a missing column", files: vec![("leads.csv", good.clone()), ("deals.csv", deals.clone())], config: base_config("[traits]\nexclude = [\"industri\"]\n"), command: "validate", expect: Expect::Refused(vec!["industri", "did you mean \"industry\""]) },
        Case { name: "config with an unknown key", files: vec![("leads.csv", good.clone()), ("deals.csv", deals.clone())], config: base_config("[outcome]\nhorizon = 90\n"), command: "validate", expect: Expect::Refused(vec!["unknown field `horizon`", "did you mean `horizon_days`"]) },
        Case { name: "deals without a status column", files: vec![("leads.csv", good.clone()), ("deals.csv", b"deal_id,lead_id,closed_at\nD1,L1,2024-01-01\n".to_vec())], config: base_config(""), command: "validate", expect: Expect::Refused(vec!["deals.csv", "\"status\"", "deal_id, lead_id, closed_at"]) },
        Case { name: "CRLF line endings", files: vec![("leads.csv", leads_rows(200).replace('\n', "\r\n").into_bytes()), ("deals.csv", deals.clone())], config: base_config(""), command: "validate", expect: Expect::Rejected(vec![("leads", 0, "")]) },
        Case { name: "unknown deal status", files: vec![("leads.csv", good.clone()), ("deals.csv", [deals.clone(), b"DS,L5,maybe,2024-09-01,10\n".to_vec()].concat())], config: base_config(""), command: "validate", expect: Expect::Rejected(vec![("deals", 1, "status is not won, lost or open")]) },
    ]
}

/// Config values out of range or naming what is not there (issue 27): exit 1, the key and the
/// allowed range or the missing column named, never a panic, an abort or a silent run.
#[rustfmt::skip]
fn config_cases() -> Vec<Case> {
    let good = leads_rows(200).into_bytes();
    let deals = deals_for(200).into_bytes();
    let files = || vec![("leads.csv", good.clone()), ("deals.csv", deals.clone())];
    vec![
        Case { name: "max_bins of u64::MAX", files: files(), config: base_config("[traits]\nmax_bins = 18446744073709551615\n"), command: "traits", expect: Expect::Refused(vec!["[traits] max_bins = 18446744073709551615", "must be 1 to 20"]) },
        Case { name: "max_bins of 1048576", files: files(), config: base_config("[traits]\nmax_bins = 1048576\n"), command: "traits", expect: Expect::Refused(vec!["[traits] max_bins = 1048576", "must be 1 to 20"]) },
        Case { name: "points_to_double_odds = nan", files: files(), config: base_config("[model]\npoints_to_double_odds = nan\n"), command: "run", expect: Expect::Refused(vec!["[model] points_to_double_odds = NaN", "above 0, at most 1000"]) },
        Case { name: "min_iv = nan", files: files(), config: base_config("[model]\nmin_iv = nan\n"), command: "run", expect: Expect::Refused(vec!["[model] min_iv = NaN", "from 0 to 100"]) },
        Case { name: "a pin of i64::MAX", files: files(), config: base_config("[model]\npin = { \"industry=Software\" = 9223372036854775807 }\n"), command: "run", expect: Expect::Refused(vec!["[model] pin \"industry=Software\"", "from -10000 to 10000"]) },
        Case { name: "hot top_share above warm", files: files(), config: base_config("[tiers]\nhot = { top_share = 0.9 }\nwarm = { top_share = 0.3 }\n"), command: "run", expect: Expect::Refused(vec!["hot.top_share = 0.9 must be below warm.top_share = 0.3"]) },
        Case { name: "a queue on a column not in the leads", files: files(), config: base_config("[[queues]]\nname = \"retail\"\nwhen = { industy = [\"Retail\"] }\n"), command: "validate", expect: Expect::Refused(vec!["[[queues]] \"retail\" when", "column \"industy\" is not in the leads table", "near matches: \"industry\""]) },
        Case { name: "an engagement column not in the leads", files: files(), config: base_config("[traits]\nengagement = [\"webinar_minutes\"]\n"), command: "validate", expect: Expect::Refused(vec!["[traits] engagement", "\"webinar_minutes\"", "the columns are: lead_id, created_at, source, industry, employees"]) },
        Case { name: "a monotonic trait not in the leads", files: files(), config: base_config("[traits]\nmonotonic = { employes = \"ascending\" }\n"), command: "traits", expect: Expect::Refused(vec!["[traits] monotonic", "\"employes\"", "near matches: \"employees\""]) },
        Case { name: "a config that is not TOML", files: files(), config: "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1::/usr/sbin:/usr/sbin/nologin\n".into(), command: "validate", expect: Expect::Refused(vec!["not a leadtune TOML config", "line 1, column"]) },
        Case { name: "scoring_offset_days = inf", files: files(), config: base_config("[traits]\nscoring_offset_days = inf\n"), command: "validate", expect: Expect::Refused(vec!["[traits] scoring_offset_days = inf", "from 0 to 3650"]) },
        Case { name: "sla_hours = -1", files: files(), config: base_config("[tiers]\ncold = { sla_hours = -1 }\n"), command: "validate", expect: Expect::Refused(vec!["[tiers] cold.sla_hours = -1", "above 0, at most 8760"]) },
    ]
}

#[test]
fn bad_input_matrix() {
    let mut cases = cases();
    assert!(cases.len() >= 25);
    cases.extend(config_cases());
    for case in cases {
        let dir = tempfile::tempdir().unwrap();
        for (name, bytes) in &case.files {
            std::fs::write(dir.path().join(name), bytes).unwrap();
        }
        std::fs::write(dir.path().join("leadtune.toml"), &case.config).unwrap();
        let out = leadtune(dir.path(), &[case.command, "--out", "out"]);
        let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
        assert!(!stderr.contains("panicked"), "{}: {stderr}", case.name);
        // No error echoes a config's text (a config path pointing at a system file).
        assert!(!stderr.contains("root:x:0"), "{}: {stderr}", case.name);
        match &case.expect {
            Expect::Refused(fragments) => {
                assert_eq!(
                    out.status.code(),
                    Some(1),
                    "{}: {stdout}{stderr}",
                    case.name
                );
                for f in fragments {
                    assert!(stderr.contains(f), "{}: {f:?} not in {stderr}", case.name);
                }
            }
            Expect::Rejected(expected) => {
                assert!(out.status.success(), "{}: {stderr}", case.name);
                let m = manifest(&dir.path().join("out"));
                accounted(&m);
                let rejected =
                    std::fs::read_to_string(dir.path().join("out/rejected.csv")).unwrap();
                for (table, n, reason) in expected {
                    let input = m["inputs"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .find(|i| i["table"] == *table)
                        .unwrap();
                    assert_eq!(
                        input["rejected"].as_u64(),
                        Some(*n),
                        "{}: {rejected}",
                        case.name
                    );
                    assert!(
                        rejected.contains(reason),
                        "{}: {reason:?} not in {rejected}",
                        case.name
                    );
                    // A value longer than 100 characters is cut in rejected.csv.
                    assert!(rejected.lines().all(|l| l.len() < 400), "{}", case.name);
                }
            }
            Expect::Writes(file, fragments) => {
                assert!(out.status.success(), "{}: {stderr}", case.name);
                accounted(&manifest(&dir.path().join("out")));
                let body = std::fs::read_to_string(dir.path().join("out").join(file)).unwrap();
                for fragment in fragments {
                    assert!(
                        body.contains(fragment),
                        "{}: {fragment:?} not in {file}",
                        case.name
                    );
                }
            }
        }
    }
}

#[test]
fn a_killed_run_leaves_the_old_outputs_or_the_new_ones_never_a_mix() {
    let dir = tempfile::tempdir().unwrap();
    generate(dir.path(), "g", "15000", "4");
    leadtune_ok(
        dir.path(),
        &["run", "--config", "g/leadtune.toml", "--out", "out"],
    );
    // Comparable bytes of an output set: the manifest without its timings and output path.
    let set = |d: &Path| -> std::collections::BTreeMap<String, Vec<u8>> {
        outputs(d)
            .into_iter()
            .map(|(name, bytes)| {
                if name == "manifest.json" {
                    let mut m: serde_json::Value = serde_json::from_slice(&bytes)
                        .unwrap_or_else(|e| panic!("manifest.json is partial: {e}"));
                    m.as_object_mut().unwrap().remove("timings_ms");
                    m["config"]["output_dir_written"] = serde_json::Value::Null;
                    (name, m.to_string().into_bytes())
                } else {
                    (name, bytes)
                }
            })
            .collect()
    };
    let old = set(&dir.path().join("out"));
    // The next runs re-weight (a pin), so the new outputs differ from the old ones.
    let path = dir.path().join("g/leadtune.toml");
    let config = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        format!("{config}\n[model]\npin = {{ \"source=referral\" = 99 }}\n"),
    )
    .unwrap();
    // What a finished new run writes (outputs are deterministic).
    leadtune_ok(
        dir.path(),
        &["run", "--config", "g/leadtune.toml", "--out", "ref"],
    );
    let new = set(&dir.path().join("ref"));
    assert_ne!(old["scoring-config.json"], new["scoring-config.json"]);
    for delay_ms in [150u64, 600, 1200, 2000, 3000, 4500] {
        let mut child = command(dir.path())
            .args(["run", "--config", "g/leadtune.toml", "--out", "out"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL
        child.wait().unwrap();
        let now = set(&dir.path().join("out"));
        assert!(
            now == old || now == new,
            "killed after {delay_ms} ms: the outputs are neither the old set nor the new one"
        );
    }
    // A run to the end leaves the new set, and nothing of the staging behind.
    leadtune_ok(
        dir.path(),
        &["run", "--config", "g/leadtune.toml", "--out", "out"],
    );
    assert!(set(&dir.path().join("out")) == new);
    let hidden: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(hidden.is_empty(), "{hidden:?}");
}

#[test]
fn no_csv_output_holds_a_cell_a_spreadsheet_would_run() {
    let dir = tempfile::tempdir().unwrap();
    let mut leads = String::from("lead_id,created_at,source,industry,plan\n");
    let evil = [
        "=1+1",
        "+cmd|' /C calc'!A0",
        "-2+3",
        "@SUM(A1)",
        "=HYPERLINK(\"http://x\",\"y\")",
    ];
    for i in 0..600 {
        let id = if i < 5 {
            evil[i].to_string()
        } else {
            format!("L{i}")
        };
        leads.push_str(&format!(
            "\"{}\",2024-{:02}-{:02},\"{}\",\"{}\",\"{}\"\n",
            id.replace('"', "\"\""),
            1 + i % 12,
            1 + i % 28,
            evil[i % 5].replace('"', "\"\""),
            ["=A1*2", "Retail", "@x"][i % 3],
            ["-basic", "+pro"][i % 2]
        ));
    }
    let mut deals = String::from("deal_id,lead_id,status,closed_at,amount\n");
    for i in (5..600).step_by(3) {
        deals.push_str(&format!(
            "D{i},L{i},{},2024-{:02}-28,100\n",
            if i % 2 == 0 { "won" } else { "lost" },
            1 + i % 12
        ));
    }
    deals.push_str("\"=D1\",\"@L9\",won,2024-01-01,5\n");
    std::fs::write(dir.path().join("leads.csv"), leads).unwrap();
    std::fs::write(dir.path().join("deals.csv"), deals).unwrap();
    std::fs::write(
        dir.path().join("leadtune.toml"),
        "[input]\nleads = \"leads.csv\"\ndeals = \"deals.csv\"\n",
    )
    .unwrap();
    leadtune_ok(dir.path(), &["run", "--out", "out"]);
    leadtune_ok(
        dir.path(),
        &[
            "score",
            "--model",
            "out/scoring-config.json",
            "--leads",
            "leads.csv",
            "--out",
            "out/scored.csv",
        ],
    );
    let mut checked = 0;
    for (name, bytes) in outputs(&dir.path().join("out")) {
        if !name.ends_with(".csv") {
            continue;
        }
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(&bytes[..]);
        for record in reader.records() {
            for cell in record.unwrap().iter() {
                checked += 1;
                let plain_number = cell.parse::<f64>().is_ok();
                assert!(
                    plain_number || !cell.starts_with(['=', '+', '-', '@']),
                    "{name}: {cell:?}"
                );
            }
        }
    }
    assert!(checked > 1000);
    // The neutralised values are still there for people, behind a quote.
    let scored = std::fs::read_to_string(dir.path().join("out/scored.csv")).unwrap();
    assert!(scored.contains("'=1+1"), "{scored}");
    let traits = std::fs::read_to_string(dir.path().join("out/traits.csv")).unwrap();
    assert!(traits.contains("'@SUM(A1)"));
}

/// The fitted engagement decay of the outputs in `out` against `truth` (truth.json): the planted
/// half-life inside the 95% interval. Returns the spec.
fn decay_holds_the_planted_half_life(out: &Path, truth: &serde_json::Value) -> serde_json::Value {
    let planted = truth["half_life_days"].as_f64().unwrap();
    let spec = json(&out.join("engagement_decay.json"))["spec"].clone();
    let (low, high) = (
        spec["half_life_low"].as_f64().unwrap(),
        spec["half_life_high"].as_f64().unwrap(),
    );
    assert!(low <= planted && planted <= high, "{spec}");
    spec
}

/// The generator plants a 14-day half-life (truth.json): the decay fitted from 60,000 leads'
/// history lands within a factor of 2 of it, with the truth inside its 95% interval, and the
/// type weights keep the planted order.
#[test]
fn engagement_decay_recovers_the_planted_half_life() {
    let dir = tempfile::tempdir().unwrap();
    generate(dir.path(), "g", "60000", "42");
    let out = leadtune_ok(
        dir.path(),
        &["traits", "--config", "g/leadtune.toml", "--out", "out"],
    );
    let truth: serde_json::Value = json(&dir.path().join("g/truth.json"));
    let spec = decay_holds_the_planted_half_life(&dir.path().join("out"), &truth);
    let h = spec["half_life_days"].as_f64().unwrap() / truth["half_life_days"].as_f64().unwrap();
    assert!(h > 0.5 && h < 2.0, "{spec}");
    let w = |t: &str| spec["type_weights"][t].as_f64().unwrap();
    assert!(
        w("meeting") > w("page_view") && w("reply") > w("email_open"),
        "{spec}"
    );
    assert!(text(&out.stdout).contains("engagement decay: an activity counts half after"));
}

/// At 20,000 and 200,000 generated leads (seed 1) the planted half-life lies inside the fitted
/// decay's 95% interval. Minutes in debug: `cargo test --test it -- --ignored decay_at`.
/// `benches/decay.sh` measures the same over many seeds with the release binary.
#[test]
#[ignore = "generates 220,000 leads: minutes in debug"]
fn engagement_decay_at_20k_and_200k_holds_the_planted_half_life() {
    let dir = tempfile::tempdir().unwrap();
    for leads in ["20000", "200000"] {
        let (data, out) = (format!("g{leads}"), format!("out{leads}"));
        generate(dir.path(), &data, leads, "1");
        leadtune_ok(
            dir.path(),
            &[
                "traits",
                "--config",
                &format!("{data}/leadtune.toml"),
                "--out",
                &out,
            ],
        );
        let truth: serde_json::Value = json(&dir.path().join(&data).join("truth.json"));
        decay_holds_the_planted_half_life(&dir.path().join(&out), &truth);
    }
}
