//! Identity decided by values, the header a hint only (issue 26, item 2), end to end: a
//! hand-made export whose measures and flags are named after web sites and emails, whose
//! coded levels look like `2.Medium`, with an account id `001123` and a sales reps' column.

use std::path::Path;

use crate::common::{csv_rows, leadtune, leadtune_ok, parquet, text};

const REPS: [&str; 6] = [
    "Anna Weiß",
    "Jan Kowalski",
    "Emma Jones",
    "Lars Öberg",
    "Sophie Martin",
    "Oliver Smith",
];

/// The account id of lead `i`: six digits, leading zeros, unique.
fn account(i: usize) -> String {
    format!("{:06}", 1000 + i * 7)
}

/// 800 leads: `converted` rises with the minutes on the web site (the honest signal), and
/// with the quality level; the opt-out flag, the rep and the industry are noise.
fn write_history(dir: &Path, config_extra: &str) {
    let mut leads = String::from(
        "lead_id,converted,Minutes on Website,Email Opt Out,Lead Quality,account,\
         account_manager,industry\n",
    );
    let mut seed: u64 = 26;
    let mut next = || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) as f64 / (1u64 << 31) as f64
    };
    for i in 0..800 {
        let minutes = (next() * 60.0).floor() as u32;
        let quality = ["1.High", "2.Medium", "3.Low"][i % 3];
        let p = 0.05 + 0.6 * f64::from(minutes) / 60.0 + if i % 3 == 0 { 0.1 } else { 0.0 };
        let converted = u8::from(next() < p);
        let opt_out = if next() < 0.2 { "Yes" } else { "No" };
        let rep = REPS[(next() * 6.0) as usize % 6];
        let industry = ["Software", "Retail", "Finance", "Manufacturing"][i % 4];
        leads.push_str(&format!(
            "L{i},{converted},{minutes},{opt_out},{quality},{},{rep},{industry}\n",
            account(i)
        ));
    }
    std::fs::write(dir.join("leads.csv"), leads).unwrap();
    std::fs::write(
        dir.join("leadtune.toml"),
        format!("[input]\nleads = \"leads.csv\"\n{config_extra}"),
    )
    .unwrap();
}

/// Every output file below `dir` (the charts as SVG), as (relative path, text): Parquet files
/// as the text of their string cells, the rest as their bytes.
pub(crate) fn output_texts(dir: &Path) -> Vec<(String, String)> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let name = path.strip_prefix(dir).unwrap().display().to_string();
            if name.ends_with(".png") {
                // Pixels (the same charts are in the SVGs, as text).
                continue;
            }
            let body = if name.ends_with(".parquet") {
                let df = parquet(&path);
                let mut cells = String::new();
                for column in df.columns() {
                    cells.push_str(column.name());
                    cells.push('\n');
                    if let Ok(strings) = column.str() {
                        for v in strings.iter().flatten() {
                            cells.push_str(v);
                            cells.push('\n');
                        }
                    }
                }
                cells
            } else {
                String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned()
            };
            files.push((name, body));
        }
    }
    files.sort();
    assert!(files.len() > 10, "{files:?}");
    files
}

/// `value` in `body` as a whole token: not inside a longer number or word.
fn holds(body: &str, value: &str) -> bool {
    body.match_indices(value).any(|(at, _)| {
        let before = body[..at].chars().next_back();
        let after = body[at + value.len()..].chars().next();
        let part = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '.');
        !part(before) && !part(after)
    })
}

/// Trait -> (flag, reason) of `traits.csv`, one per trait (its first row).
fn flags(out: &Path) -> std::collections::BTreeMap<String, (String, String)> {
    let mut flags = std::collections::BTreeMap::new();
    for row in csv_rows(&out.join("traits.csv")) {
        flags
            .entry(row["trait"].clone())
            .or_insert((row["flag"].clone(), row["reason"].clone()));
    }
    flags
}

#[test]
fn values_decide_identity_and_identity_values_reach_no_output() {
    let dir = tempfile::tempdir().unwrap();
    write_history(dir.path(), "");
    let run = leadtune_ok(dir.path(), &["run", "--out", "out"]);
    let console = text(&run.stdout);
    let out = dir.path().join("out");
    let flags = flags(&out);
    // A measure named after the web site, a consent flag named after email, coded levels: traits.
    for name in [
        "Minutes on Website",
        "Email Opt Out",
        "Lead Quality",
        "industry",
    ] {
        assert_eq!(flags[name].0, "ok", "{name}: {:?}", flags[name]);
    }
    // The honest signal is in the model.
    let points = csv_rows(&out.join("points.csv"));
    assert!(
        points.iter().any(|r| r["trait"] == "Minutes on Website"),
        "{points:?}"
    );
    // The ids and the reps: identities, each with its evidence, in traits.csv and the console.
    let (flag, reason) = &flags["account"];
    assert_eq!(flag, "identity");
    assert!(reason.contains("leading zeros"), "{reason}");
    let (flag, reason) = &flags["account_manager"];
    assert_eq!(flag, "identity");
    assert!(reason.contains("given name and a family name"), "{reason}");
    for name in ["account", "account_manager"] {
        let line = console
            .lines()
            .find(|l| l.trim_start().starts_with(name) && l.contains("identity"))
            .unwrap_or_else(|| panic!("no console line for {name}:\n{console}"));
        assert!(line.contains(&flags[name].1), "{line}");
    }
    let rows = csv_rows(&out.join("traits.csv"));
    assert_eq!(rows.iter().filter(|r| r["trait"] == "account").count(), 1);
    // No id and no rep's name in any output, the console included.
    let mut secrets: Vec<String> = REPS.iter().map(|r| r.to_string()).collect();
    secrets.extend(
        REPS.iter()
            .filter_map(|r| r.split(' ').nth(1).map(String::from)),
    );
    secrets.extend((0..800).step_by(3).map(account));
    for (name, body) in output_texts(&out)
        .into_iter()
        .chain([("console".to_string(), console)])
    {
        for secret in &secrets {
            assert!(!holds(&body, secret), "{name} holds {secret:?}");
        }
    }
}

#[test]
fn keep_overrides_a_drop_and_identity_forces_one() {
    let dir = tempfile::tempdir().unwrap();
    write_history(
        dir.path(),
        "[traits]\nkeep = [\"account_manager\"]\nidentity = [\"industry\"]\n",
    );
    let run = leadtune_ok(dir.path(), &["traits", "--out", "out"]);
    let flags = flags(&dir.path().join("out"));
    let (flag, reason) = &flags["account_manager"];
    assert_eq!(flag, "ok");
    assert!(
        reason.starts_with("kept by [traits] keep although")
            && reason.contains("given name and a family name"),
        "{reason}"
    );
    assert!(
        text(&run.stdout).contains("\"account_manager\" is kept as a trait by [traits] keep"),
        "{}",
        text(&run.stdout)
    );
    assert_eq!(
        flags["industry"],
        ("identity".into(), "named in [traits] identity".into())
    );
    assert_eq!(flags["account"].0, "identity");

    // A column the leads do not have is a config error, with a suggestion.
    write_history(dir.path(), "[traits]\nkeep = [\"account_manger\"]\n");
    let refused = leadtune(dir.path(), &["traits", "--out", "out"]);
    assert_eq!(refused.status.code(), Some(1));
    let err = text(&refused.stderr);
    assert!(
        err.contains("[traits] keep names \"account_manger\"")
            && err.contains("did you mean \"account_manager\"?"),
        "{err}"
    );
}
