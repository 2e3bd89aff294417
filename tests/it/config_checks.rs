//! Configs from outside (issue 27): scoring configs validated completely by `score`, `diff` and
//! `export-sql`, with `content_sha256` recomputed and `--allow-edited` recorded in the output;
//! the exit codes as documented; a config path that is not a leadtune config.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::common::{csv_rows, json as read_json, leadtune, leadtune_ok, root, text};

/// The scoring config `run` wrote on the sample (the unit tests check it is as written).
fn fixture() -> Value {
    read_json(&root().join("tests/fixtures/scoring-config-v1.json"))
}

fn write(dir: &Path, name: &str, config: &Value) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_vec_pretty(config).unwrap()).unwrap();
    path
}

fn leads() -> String {
    root().join("data/sample/leads.csv").display().to_string()
}

/// `score` with `config`: exit code and stderr.
fn score(dir: &Path, config: &Path, extra: &[&str]) -> (Option<i32>, String) {
    let leads = leads();
    let mut args = vec![
        "score",
        "--model",
        config.to_str().unwrap(),
        "--leads",
        &leads,
        "--out",
        "scores.csv",
    ];
    args.extend(extra);
    let out = leadtune(dir, &args);
    (out.status.code(), text(&out.stderr))
}

/// The first bin of the first trait whose rule is a range with both bounds.
fn bounded_range(config: &mut Value) -> &mut Value {
    config["traits"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .flat_map(|t| t["bins"].as_array_mut().unwrap().iter_mut())
        .find(|b| {
            b["rule"]["kind"] == "range"
                && b["rule"]["lo"].is_number()
                && b["rule"]["hi"].is_number()
        })
        .unwrap()
}

/// Each reproduction of issue 27 item 2, and more rules of the same kind: refused with exit 1
/// and a message naming what is wrong, by `score` and by `diff`, before any lead is read.
#[test]
fn a_bad_scoring_config_is_refused_naming_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    type Edit = fn(&mut Value);
    let cases: Vec<(&str, Edit, &str)> = vec![
        (
            "points of i64::MAX",
            |c| c["traits"][0]["bins"][0]["points"] = json!(i64::MAX),
            "points = 9223372036854775807: must be from -1000000 to 1000000",
        ),
        (
            "base points of i64::MIN",
            |c| c["base_points"] = json!(i64::MIN),
            "base_points = -9223372036854775808",
        ),
        (
            "an empty calibration",
            |c| c["calibration"] = json!([]),
            "calibration is empty",
        ),
        (
            "schema_version 0",
            |c| c["schema_version"] = json!(0),
            "schema_version = 0: must be ",
        ),
        (
            "a string schema_version",
            |c| c["schema_version"] = json!("1"),
            "schema_version = \"1\": must be ",
        ),
        (
            "no schema_version",
            |c| {
                c.as_object_mut().unwrap().remove("schema_version");
            },
            "no schema_version",
        ),
        (
            "a newer schema_version",
            |c| c["schema_version"] = json!(leadtune::scoring::export::SCHEMA_VERSION + 1),
            "newer than this leadtune understands",
        ),
        (
            "tiers out of order",
            |c| {
                c["tiers"][0]["min_score"] = json!(10);
                c["tiers"][1]["min_score"] = json!(60);
            },
            "min_score 60 is above tier \"hot\"'s 10",
        ),
        (
            "a duplicate trait",
            |c| {
                let t = c["traits"][1].clone();
                c["traits"].as_array_mut().unwrap().push(t);
            },
            "the trait is listed twice",
        ),
        (
            "a bin with lo above hi",
            |c| {
                let b = bounded_range(c);
                let (lo, hi) = (b["rule"]["lo"].clone(), b["rule"]["hi"].clone());
                b["rule"]["lo"] = hi;
                b["rule"]["hi"] = lo;
            },
            "is above its hi",
        ),
        (
            "a falling calibration",
            |c| {
                let n = c["calibration"].as_array().unwrap().len();
                c["calibration"][n - 1]["probability"] = json!(0.0);
            },
            "must not fall as the score rises",
        ),
        (
            "a probability above 1",
            |c| c["calibration"][0]["probability"] = json!(1.5),
            "probability = 1.5: must be from 0 to 1",
        ),
        (
            "a tier without a min_score first",
            |c| c["tiers"][0]["min_score"] = Value::Null,
            "only the last tier may have no min_score",
        ),
        ("no tiers", |c| c["tiers"] = json!([]), "has no tiers"),
        (
            "a category rule on a numeric trait",
            |c| {
                let b = bounded_range(c);
                b["rule"] = json!({"kind": "value", "value": "x"});
            },
            "a value rule does not fit",
        ),
        (
            "a zero points_to_double_odds",
            |c| c["scaling"]["points_to_double_odds"] = json!(0.0),
            "must be above 0",
        ),
        ("not JSON", |c| *c = json!(null), "not an object"),
    ];
    let good = write(dir.path(), "good.json", &fixture());
    for (name, edit, expected) in cases {
        let mut config = fixture();
        edit(&mut config);
        let path = write(dir.path(), "bad.json", &config);
        // Refused whether or not edits are allowed: these are not edits, they are wrong.
        let (code, stderr) = score(dir.path(), &path, &["--allow-edited"]);
        assert_eq!(code, Some(1), "{name}: {stderr}");
        assert!(
            stderr.contains(expected),
            "{name}: {expected:?} not in {stderr}"
        );
        assert!(
            stderr.contains("bad.json"),
            "{name}: the file is named: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{name}: {stderr}");
        let out = leadtune(
            dir.path(),
            &[
                "diff",
                good.to_str().unwrap(),
                path.to_str().unwrap(),
                "--allow-edited",
            ],
        );
        assert_eq!(
            out.status.code(),
            Some(1),
            "{name}: diff: {}",
            text(&out.stderr)
        );
        assert!(
            text(&out.stderr).contains(expected),
            "{name}: diff: {}",
            text(&out.stderr)
        );
    }
}

/// Points edited while `content_sha256` still names the old content: refused by `score`,
/// `diff` and `export-sql`; with `--allow-edited` used, and the output records it.
#[test]
fn an_edited_scoring_config_needs_allow_edited_which_the_output_records() {
    let dir = tempfile::tempdir().unwrap();
    let good = write(dir.path(), "good.json", &fixture());
    let mut config = fixture();
    let points = config["traits"][0]["bins"][0]["points"].as_i64().unwrap();
    config["traits"][0]["bins"][0]["points"] = json!(points + 5);
    let edited = write(dir.path(), "edited.json", &config);
    let mut unhashed = fixture();
    unhashed.as_object_mut().unwrap().remove("content_sha256");
    let unhashed = write(dir.path(), "unhashed.json", &unhashed);

    // The config as written scores, with no edit recorded.
    let (code, stderr) = score(dir.path(), &good, &[]);
    assert_eq!(code, Some(0), "{stderr}");
    let rows = csv_rows(&dir.path().join("scores.csv"));
    assert!(!rows[0].contains_key("config_edited"));

    for (path, why) in [
        (&edited, "does not match its content"),
        (&unhashed, "has no content_sha256"),
    ] {
        let (code, stderr) = score(dir.path(), path, &[]);
        assert_eq!(code, Some(1), "{stderr}");
        assert!(stderr.contains(why), "{stderr}");
        assert!(stderr.contains("--allow-edited"), "{stderr}");
    }
    let (code, stderr) = score(dir.path(), &edited, &["--allow-edited"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("was edited after leadtune wrote it"),
        "{stderr}"
    );
    let rows = csv_rows(&dir.path().join("scores.csv"));
    assert_eq!(rows.len(), 5013);
    assert!(rows.iter().all(|r| r["config_edited"] == "true"));

    let (g, e) = (good.to_str().unwrap(), edited.to_str().unwrap());
    let refused = leadtune(dir.path(), &["diff", g, e]);
    assert_eq!(refused.status.code(), Some(1));
    let out = leadtune_ok(dir.path(), &["diff", g, e, "--allow-edited", "--json"]);
    let d: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(d["edited"], json!(["new"]));
    assert_eq!(d["points"][0]["change"], 5);
    let plain = leadtune_ok(dir.path(), &["diff", g, e, "--allow-edited"]);
    assert!(
        text(&plain.stdout)
            .contains("edited after leadtune wrote it (used with --allow-edited): new")
    );
    let unedited = leadtune_ok(dir.path(), &["diff", g, g, "--json"]);
    let d: Value = serde_json::from_slice(&unedited.stdout).unwrap();
    assert!(d.get("edited").is_none(), "{d}");

    let sql = ["export-sql", "--model", e, "--dialect", "sqlite"];
    assert_eq!(leadtune(dir.path(), &sql).status.code(), Some(1));
    let out = leadtune_ok(dir.path(), &[&sql[..], &["--allow-edited"]].concat());
    assert!(
        text(&out.stdout).starts_with("-- EDITED"),
        "{}",
        text(&out.stdout)
    );
    let out = leadtune_ok(
        dir.path(),
        &["export-sql", "--model", g, "--dialect", "sqlite"],
    );
    assert!(!text(&out.stdout).contains("EDITED"));
}

/// Exit codes as the README and `--help` say: 2 is a usage error (clap's), and `--help` states
/// all four.
#[test]
fn exit_codes_are_documented_and_a_usage_error_is_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = leadtune(dir.path(), &["run", "--no-such-option"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let out = leadtune(dir.path(), &["score"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a missing argument: {}",
        text(&out.stderr)
    );
    let help = text(&leadtune_ok(dir.path(), &["--help"]).stdout);
    let flat = help.split_whitespace().collect::<Vec<_>>().join(" ");
    for said in [
        "0 success",
        "1 the input, config or environment",
        "2 a command-line usage error",
        "3 an internal error",
    ] {
        assert!(flat.contains(said), "{said:?} not in --help: {help}");
    }
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    for said in [
        "| `2` | a command-line usage error",
        "| `3` | an internal error",
    ] {
        assert!(readme.contains(said), "{said:?} not in the README");
    }
    // The user's own mistakes stay 1: a missing config file.
    let out = leadtune(dir.path(), &["validate", "--config", "nope.toml"]);
    assert_eq!(out.status.code(), Some(1));
}

/// A config path pointing at a file that is not a leadtune config: the error says so, with
/// where parsing failed, and never echoes the file's text; a binary file and a directory too.
#[test]
fn a_config_path_at_another_file_is_named_not_echoed() {
    let dir = tempfile::tempdir().unwrap();
    let secret = "root:x:0:0:root:/root:/bin/bash\nsecret-token = hunter2 \"\n";
    std::fs::write(dir.path().join("passwd"), secret).unwrap();
    std::fs::write(
        dir.path().join("binary"),
        b"\x7fELF\x02\x01\x01\x00\xff\xfe",
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("folder")).unwrap();
    for (path, said) in [
        (
            "passwd",
            "not a leadtune TOML config: the file is not TOML (parsing failed at line 1, column",
        ),
        (
            "binary",
            "not a leadtune TOML config: the file is not UTF-8 text",
        ),
        ("folder", "is a directory, not a config file"),
    ] {
        let out = leadtune(dir.path(), &["validate", "--config", path]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{path}: {stderr}");
        assert!(stderr.contains(said), "{path}: {said:?} not in {stderr}");
        assert!(!stderr.contains("root:x"), "{path}: {stderr}");
        assert!(!stderr.contains("hunter2"), "{path}: {stderr}");
    }
}

/// `run` back-tests `[model] current` as leadtune wrote it: an edited one is refused before the
/// run starts, naming the key (run has no --allow-edited).
#[test]
fn run_refuses_an_edited_current_config() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = fixture();
    config["traits"][0]["bins"][0]["points"] = json!(99);
    write(dir.path(), "current.json", &config);
    std::fs::write(
        dir.path().join("leads.csv"),
        "lead_id,created_at\nL1,2024-01-01\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("leadtune.toml"),
        "[input]\nleads = \"leads.csv\"\n[model]\ncurrent = \"current.json\"\n",
    )
    .unwrap();
    let out = leadtune(dir.path(), &["run", "--out", "out"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("[model] current = \"current.json\": the scoring config was edited"),
        "{stderr}"
    );
    assert!(!dir.path().join("out").exists(), "nothing written");
}
