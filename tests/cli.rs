//! Integration tests: the real binary in a temp dir (STYLE.md examples 8 and 9).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Runs leadtune with `args` in `cwd`.
fn leadtune(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_leadtune"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .output()
        .expect("leadtune runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

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
    for entry in std::fs::read_dir(fixtures().join(name)).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.path().join(entry.file_name())).unwrap();
    }
    dir
}

fn manifest(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap()
}

/// Checks `read = used + rejected + immature` for every input and returns (table, counts).
fn accounted(m: &serde_json::Value) -> Vec<(String, [u64; 4])> {
    m["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let n = |k: &str| i[k].as_u64().unwrap_or(0);
            let counts = [n("rows_read"), n("used"), n("rejected"), n("immature")];
            assert_eq!(counts[0], counts[1] + counts[2] + counts[3], "{i}");
            (i["table"].as_str().unwrap().to_string(), counts)
        })
        .collect()
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
        assert!(
            leadtune(dir.path(), &["validate", "--out", out])
                .status
                .success()
        );
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
    assert!(
        leadtune(dir.path(), &["validate", "--out", "out"])
            .status
            .success()
    );
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
