//! No raw rare value and no free text in any output (issue 27, item 4): a 300-lead history
//! whose `lead_note` column holds people's names and emails ("call Anna Lindqvist at
//! anna.lindqvist@kundbolag.se"), and whose `city` has rare values that name places no
//! output may list.

use std::path::Path;

use crate::common::{csv_rows, json, leadtune_ok, text};
use crate::identity::output_texts;

const GIVEN: [&str; 8] = [
    "Anna", "Jan", "Emma", "Lars", "Sophie", "Oliver", "Ingrid", "Piotr",
];
const FAMILY: [&str; 8] = [
    "Lindqvist",
    "Nowakowski",
    "Bergström",
    "Haraldsen",
    "Wiśniewska",
    "Kowalczyk",
    "Sandqvist",
    "Johansson",
];
const CITIES: [&str; 4] = ["Stockholm", "Warsaw", "Oslo", "Berlin"];

/// The people named in lead `i`'s note, if it names one: (full name, email).
fn person(i: usize) -> Option<(String, String)> {
    i.is_multiple_of(3).then(|| {
        let (g, f) = (GIVEN[i % 8], FAMILY[(i / 8) % 8]);
        let email = format!(
            "{}.{}{}@kundbolag.se",
            g.to_lowercase(),
            f.to_lowercase(),
            i
        );
        (format!("{g} {f}"), email)
    })
}

/// A rare city of lead `i` (one lead each), if it has one.
fn rare_city(i: usize) -> Option<String> {
    (i % 10 == 7).then(|| format!("Hamlet{i}by"))
}

/// 300 leads: `converted` follows the city and a little the industry (the rare cities convert well,
/// so `other` carries points); the note is noise holding names and emails.
pub(crate) fn write_history(dir: &Path) {
    let mut leads = String::from("lead_id,converted,industry,city,employees,lead_note\n");
    let mut seed: u64 = 27;
    let mut next = || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) as f64 / (1u64 << 31) as f64
    };
    for i in 0..300 {
        let industry = ["Software", "Retail", "Finance"][i % 3];
        let city = rare_city(i).unwrap_or_else(|| CITIES[(i / 3) % 4].to_string());
        let p = match rare_city(i) {
            Some(_) => 0.7,
            None => [0.6, 0.12, 0.35, 0.2][(i / 3) % 4] + if i % 3 == 0 { 0.1 } else { 0.0 },
        };
        let converted = u8::from(next() < p);
        let employees = 10 + (next() * 500.0) as u32;
        let note = match person(i) {
            Some((name, email)) => format!("call {name} at {email}"),
            None if i % 3 == 1 => "no answer".to_string(),
            None => String::new(),
        };
        leads.push_str(&format!(
            "L{i},{converted},{industry},{city},{employees},\"{note}\"\n"
        ));
    }
    std::fs::write(dir.join("leads.csv"), leads).unwrap();
    std::fs::write(
        dir.join("leadtune.toml"),
        "[input]\nleads = \"leads.csv\"\n\n[model]\nmin_bin_share = 0.05\n",
    )
    .unwrap();
}

/// Every secret of the history: the names, family names and emails of the notes, and the rare
/// cities.
fn secrets() -> Vec<String> {
    let mut secrets: Vec<String> = FAMILY.iter().map(|f| f.to_string()).collect();
    for i in 0..300 {
        if let Some((name, email)) = person(i) {
            secrets.extend([name, email]);
        }
        secrets.extend(rare_city(i));
    }
    secrets
}

#[test]
fn free_text_and_rare_values_reach_no_output() {
    let dir = tempfile::tempdir().unwrap();
    write_history(dir.path());
    let run = leadtune_ok(dir.path(), &["run", "--out", "out"]);
    let out = dir.path().join("out");
    // The note is flagged free text, with its evidence, in the console and traits.csv.
    let stdout = text(&run.stdout);
    let line = stdout
        .lines()
        .find(|l| l.contains("lead_note"))
        .unwrap_or_else(|| panic!("no lead_note in the summary:\n{stdout}"));
    assert!(
        line.contains("free_text") && line.contains("free text:"),
        "{line}"
    );
    let rows: Vec<_> = csv_rows(&out.join("traits.csv"))
        .into_iter()
        .filter(|r| r["trait"] == "lead_note")
        .collect();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["flag"], "free_text");
    assert_eq!(rows[0]["bin"], "");
    // The city is in the model, its rare values counted in `other`, never named.
    let config = json(&out.join("scoring-config.json"));
    assert_eq!(config["schema_version"], 2);
    let traits = config["traits"].as_array().unwrap();
    assert!(traits.iter().all(|t| t["name"] != "lead_note"), "{config}");
    let city = traits
        .iter()
        .find(|t| t["name"] == "city")
        .unwrap_or_else(|| panic!("city is not in the model: {config}"));
    let other = city["bins"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["rule"]["kind"] == "other")
        .unwrap()
        .clone();
    assert_eq!(other["rule"]["distinct_values"], 30, "{other}");
    assert!(other["rule"].get("values").is_none(), "{other}");
    let by_leads = other["rule"]["values_by_leads"].as_array().unwrap();
    let leads: u64 = by_leads
        .iter()
        .map(|f| f["leads"].as_u64().unwrap() * f["values"].as_u64().unwrap())
        .sum();
    assert!(leads > 0 && leads <= 30, "{other}");
    // `score` on the same leads: its output holds none either.
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
    let files = output_texts(&out);
    assert!(files.iter().any(|(name, _)| name == "scored.csv"));
    assert!(files.iter().any(|(name, _)| name == "report.html"));
    assert!(files.iter().any(|(name, _)| name == "scored_leads.parquet"));
    for (name, body) in &files {
        for secret in secrets() {
            assert!(!body.contains(&secret), "{name} holds {secret:?}");
        }
        assert!(
            !body.contains("kundbolag"),
            "{name} holds an email's domain"
        );
    }
}
