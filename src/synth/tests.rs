//! End-to-end tests of [`generate`]: determinism, the planted directions, malformed
//! counts, the shape knobs and the formats. [`TempDir`] is shared with the unit tests
//! beside the code.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use polars::prelude::{DataFrame, DataType};

use super::calendar::{END, HOUR, START};
use super::lead::LEAD_HEADER;
use super::spec::{
    ACTIVITIES, COUNTRIES, INDUSTRIES, MALFORMED_MIN, NOTES_WON_CLOSED, NOTES_WON_OPEN, PLATFORMS,
    SPEND_ONLY_SOURCE,
};
use super::writers::LEADTUNE_TOML;
use super::{OutputFormat, SynthParams, SynthSummary, generate};

const FILES: [&str; 7] = [
    "leads.csv",
    "deals.csv",
    "activities.csv",
    "spend.csv",
    "customers.csv",
    "leadtune.toml",
    "truth.json",
];

/// A unique directory under the system temp dir, removed on drop.
pub(super) struct TempDir(pub(super) PathBuf);

impl TempDir {
    pub(super) fn new(tag: &str) -> Self {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let pid = std::process::id();
        TempDir(std::env::temp_dir().join(format!("leadtune-synth-{tag}-{pid}-{nanos}-{n}")))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn run(leads: usize, seed: u64, dir: &TempDir) -> SynthSummary {
    generate(
        &SynthParams::new(leads, seed),
        &dir.0,
        &crate::observe::Silent,
    )
    .expect("generate")
}

fn parse_ts(s: &str) -> Option<i64> {
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S")
        .ok()
        .map(|t| t.and_utc().timestamp())
}

fn read_csv(path: &Path) -> (HashMap<String, usize>, Vec<csv::StringRecord>) {
    let mut rdr = csv::Reader::from_path(path).expect("open csv");
    let header = rdr
        .headers()
        .expect("header")
        .iter()
        .enumerate()
        .map(|(i, h)| (h.to_string(), i))
        .collect();
    let rows = rdr.records().map(|r| r.expect("csv row")).collect();
    (header, rows)
}

/// Clean leads (first row per id, valid created_at) and which of them have a won deal.
struct Parsed {
    col: HashMap<String, usize>,
    leads: Vec<csv::StringRecord>,
    won: HashSet<String>,
}

impl Parsed {
    fn get<'a>(&self, row: &'a csv::StringRecord, col: &str) -> &'a str {
        &row[self.col[col]]
    }

    /// (leads, won) per value of `key(row)`.
    fn rates<K: Ord>(&self, key: impl Fn(&csv::StringRecord) -> K) -> BTreeMap<K, (u64, u64)> {
        let mut out = BTreeMap::new();
        for row in &self.leads {
            let e = out.entry(key(row)).or_insert((0, 0));
            e.0 += 1;
            e.1 += u64::from(self.won.contains(&row[0]));
        }
        out
    }
}

fn rate(c: (u64, u64)) -> f64 {
    c.1 as f64 / c.0 as f64
}

fn parse_dir(dir: &Path) -> Parsed {
    let (col, rows) = read_csv(&dir.join("leads.csv"));
    let mut seen = HashSet::new();
    let leads = rows
        .into_iter()
        .filter(|r| parse_ts(&r[col["created_at"]]).is_some() && seen.insert(r[0].to_string()))
        .collect();
    let (dcol, deals) = read_csv(&dir.join("deals.csv"));
    let won = deals
        .iter()
        .filter(|d| &d[dcol["status"]] == "won")
        .map(|d| d[dcol["lead_id"]].to_string())
        .collect();
    Parsed { col, leads, won }
}

/// 20,000 leads (seed 2024), generated once and parsed for the direction checks.
fn dataset_20k() -> &'static Parsed {
    static DATA: OnceLock<Parsed> = OnceLock::new();
    DATA.get_or_init(|| {
        let dir = TempDir::new("20k");
        run(20_000, 2024, &dir);
        parse_dir(&dir.0)
    })
}

#[test]
fn same_seed_gives_byte_identical_files() {
    let (a, b) = (TempDir::new("same-a"), TempDir::new("same-b"));
    let sa = run(3_000, 11, &a);
    let sb = run(3_000, 11, &b);
    for f in FILES {
        let fa = fs::read(a.0.join(f)).expect("read a");
        let fb = fs::read(b.0.join(f)).expect("read b");
        assert!(!fa.is_empty(), "{f} is empty");
        assert!(fa == fb, "{f} differs between runs with the same seed");
    }
    assert_eq!(sa.leads, sb.leads);
    assert_eq!(sa.activities, sb.activities);
    let mut names: Vec<String> = fs::read_dir(&a.0)
        .expect("list")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut expected: Vec<String> = FILES.iter().map(|f| f.to_string()).collect();
    expected.sort();
    assert_eq!(names, expected, "no temporary files may be left behind");
}

#[test]
fn different_seed_gives_different_leads() {
    let (a, b) = (TempDir::new("seed-a"), TempDir::new("seed-b"));
    run(500, 1, &a);
    run(500, 2, &b);
    let fa = fs::read(a.0.join("leads.csv")).expect("read a");
    let fb = fs::read(b.0.join("leads.csv")).expect("read b");
    assert_ne!(fa, fb);
}

#[test]
fn planted_conversion_rate_is_in_range() {
    let data = dataset_20k();
    assert_eq!(
        data.leads.len(),
        20_000,
        "truth population excludes bad rows"
    );
    let won = data
        .leads
        .iter()
        .filter(|r| data.won.contains(&r[0]))
        .count();
    let conv = won as f64 / data.leads.len() as f64;
    assert!((0.06..0.12).contains(&conv), "conversion {conv}");
}

#[test]
fn industry_with_largest_effect_converts_more_than_smallest() {
    let data = dataset_20k();
    let by = |f: fn(&f64, &f64) -> bool| {
        INDUSTRIES
            .iter()
            .reduce(|a, b| if f(&a.2, &b.2) { a } else { b })
            .expect("industries")
            .0
    };
    let (best, worst) = (by(|a, b| a > b), by(|a, b| a < b));
    let rates = data.rates(|r| data.get(r, "industry").to_string());
    assert!(
        rate(rates[best]) > rate(rates[worst]) + 0.03,
        "{best} {:?} vs {worst} {:?}",
        rates[best],
        rates[worst]
    );
}

#[test]
fn c_level_converts_more_than_individual_contributors() {
    let data = dataset_20k();
    let rates = data.rates(|r| data.get(r, "job_title_level").to_string());
    let (c, ic) = (rates["C-level"], rates["Individual Contributor"]);
    assert!(rate(c) > rate(ic) + 0.03, "C-level {c:?} vs IC {ic:?}");
}

#[test]
fn website_platform_rates_are_within_noise() {
    let data = dataset_20k();
    let rates = data.rates(|r| data.get(r, "website_platform").to_string());
    let total = rates.values().fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    let pooled = rate(total);
    assert_eq!(rates.len(), PLATFORMS.len());
    for (platform, counts) in &rates {
        let se = (pooled * (1.0 - pooled) / counts.0 as f64).sqrt();
        let z = (rate(*counts) - pooled) / se;
        assert!(
            z.abs() < 4.0,
            "{platform}: {counts:?} vs pooled {pooled} (z = {z:.2})"
        );
    }
}

#[test]
fn leads_answered_within_an_hour_convert_more_than_never_answered() {
    let data = dataset_20k();
    let rates = data.rates(|r| {
        let created = parse_ts(data.get(r, "created_at")).expect("created");
        match parse_ts(data.get(r, "first_response_at")) {
            None => "never",
            Some(t) if t - created < HOUR => "<1h",
            Some(_) => "later",
        }
    });
    let (fast, never) = (rates["<1h"], rates["never"]);
    assert!(
        rate(fast) > 2.0 * rate(never),
        "<1h {fast:?} vs never {never:?}"
    );
}

#[test]
fn employees_effect_is_monotone_and_revenue_missingness_hurts() {
    let data = dataset_20k();
    let bands = data.rates(|r| data.get(r, "employee_band").to_string());
    assert!(rate(bands["1001-5000"]) > rate(bands["11-50"]));
    assert!(rate(bands["11-50"]) > rate(bands["1-10"]) - 0.005);
    let revenue = data.rates(|r| data.get(r, "annual_revenue").is_empty());
    assert!(rate(revenue[&false]) > rate(revenue[&true]));
}

#[test]
fn sales_note_status_predicts_the_outcome() {
    let data = dataset_20k();
    let won_like: HashSet<&str> = NOTES_WON_CLOSED
        .iter()
        .chain(&NOTES_WON_OPEN)
        .copied()
        .collect();
    let (mut correct, mut tp, mut won) = (0u64, 0u64, 0u64);
    for row in &data.leads {
        let predicted = won_like.contains(data.get(row, "sales_note_status"));
        let actual = data.won.contains(&row[0]);
        correct += u64::from(predicted == actual);
        won += u64::from(actual);
        tp += u64::from(predicted && actual);
    }
    let accuracy = correct as f64 / data.leads.len() as f64;
    let recall = tp as f64 / won as f64;
    assert!(accuracy > 0.9, "accuracy {accuracy}");
    assert!(recall > 0.9, "recall {recall}");
}

#[test]
fn malformed_counts_match_the_files() {
    let dir = TempDir::new("malformed");
    let summary = run(5_000, 42, &dir);
    let mut found: BTreeMap<String, u64> = BTreeMap::new();
    let mut bump = |k: &str| *found.entry(k.to_string()).or_default() += 1;

    let (lcol, leads) = read_csv(&dir.0.join("leads.csv"));
    let mut ids = HashSet::new();
    let mut clean = 0;
    for r in &leads {
        if parse_ts(&r[lcol["created_at"]]).is_none() {
            bump("leads_bad_created_at");
        } else if ids.contains(&r[0]) {
            bump("leads_duplicate_id");
        } else {
            clean += 1;
        }
        ids.insert(r[0].to_string());
    }
    assert_eq!(clean, 5_000);

    let (dcol, deals) = read_csv(&dir.0.join("deals.csv"));
    for d in &deals {
        let amount = &d[dcol["amount"]];
        if !ids.contains(&d[dcol["lead_id"]]) {
            bump("deals_unknown_lead");
        } else if amount.parse::<f64>().is_err() {
            bump("deals_non_numeric_amount");
        } else if amount.starts_with('-') {
            bump("deals_negative_amount");
        }
    }
    let (acol, acts) = read_csv(&dir.0.join("activities.csv"));
    for a in &acts {
        if !ids.contains(&a[0]) {
            bump("activities_unknown_lead");
        } else if parse_ts(&a[acol["occurred_at"]]).is_none() {
            bump("activities_bad_occurred_at");
        }
    }
    assert_eq!(found, summary.malformed);
    let total: u64 = summary.malformed.values().sum();
    assert!(
        (150..600).contains(&total),
        "a few hundred malformed rows, got {total}"
    );
    assert!(summary.malformed.values().all(|&v| v >= MALFORMED_MIN));

    let truth: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.0.join("truth.json")).expect("truth")).expect("json");
    let truth_malformed: BTreeMap<String, u64> =
        serde_json::from_value(truth["malformed"].clone()).expect("malformed map");
    assert_eq!(truth_malformed, summary.malformed);
    assert_eq!(summary.leads, leads.len() as u64);
    assert_eq!(summary.deals, deals.len() as u64);
    assert_eq!(summary.activities, acts.len() as u64);
    assert_eq!(truth["realised"]["leads_written"], 5_000);
    assert_eq!(
        truth["realised"]["deals_clean"]
            .as_u64()
            .expect("deals_clean")
            + summary.malformed["deals_unknown_lead"]
            + summary.malformed["deals_negative_amount"]
            + summary.malformed["deals_non_numeric_amount"],
        summary.deals
    );
}

/// Normalised company name as truth.json describes it.
fn norm_company(s: &str) -> String {
    let mut s = s.trim().to_lowercase();
    let suffixes: Vec<String> = COUNTRIES
        .iter()
        .flat_map(|c| c.suffixes.iter().chain(c.alt_suffixes))
        .map(|x| x.to_lowercase())
        .collect();
    while let Some(x) = suffixes
        .iter()
        .filter(|x| s.ends_with(&format!(" {x}")))
        .max_by_key(|x| x.len())
    {
        s.truncate(s.len() - x.len());
        s = s.trim_end_matches([' ', ',']).to_string();
    }
    s
}

fn norm_domain(s: &str) -> String {
    let s = s.trim().to_lowercase();
    let s = s
        .trim_start_matches("https://")
        .trim_start_matches("http://");
    let s = s.trim_start_matches("www.");
    s.split('/').next().unwrap_or("").to_string()
}

#[test]
fn existing_customers_match_by_their_planted_rule_only() {
    let dir = TempDir::new("customers");
    let summary = run(8_000, 5, &dir);
    assert_eq!(summary.customers, 400);
    let (ccol, customers) = read_csv(&dir.0.join("customers.csv"));
    let domains: HashSet<String> = customers
        .iter()
        .map(|c| norm_domain(&c[ccol["domain"]]))
        .collect();
    let companies: HashSet<String> = customers
        .iter()
        .map(|c| norm_company(&c[ccol["company"]]))
        .collect();
    assert_eq!(domains.len(), customers.len());
    assert_eq!(companies.len(), customers.len());
    // Every lead row except repeated ids, so malformed extra rows are checked too.
    let (lcol, leads) = read_csv(&dir.0.join("leads.csv"));
    let mut seen = HashSet::new();
    let mut found: BTreeMap<String, u64> = BTreeMap::new();
    for r in leads.iter().filter(|r| seen.insert(r[0].to_string())) {
        let domain = &r[lcol["domain"]];
        let email_domain = r[lcol["email"]].rsplit('@').next().unwrap_or("");
        let rule = if !domain.is_empty() && domains.contains(&norm_domain(domain)) {
            "domain"
        } else if domains.contains(&norm_domain(email_domain)) {
            "email"
        } else if companies.contains(&norm_company(&r[lcol["company"]])) {
            "company"
        } else {
            continue;
        };
        *found.entry(rule.to_string()).or_default() += 1;
    }
    let truth: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.0.join("truth.json")).expect("truth")).expect("json");
    let planted: BTreeMap<String, u64> =
        serde_json::from_value(truth["existing_customers"]["planted_by_rule"].clone())
            .expect("map");
    assert_eq!(found, planted);
    let total: u64 = planted.values().sum();
    assert_eq!(truth["existing_customers"]["planted"].as_u64(), Some(total));
    assert!(total > 150 && total < 350, "~3% of 8000, got {total}");
}

#[test]
fn timestamps_respect_end_date_and_funnel_order() {
    let dir = TempDir::new("order");
    run(6_000, 9, &dir);
    let data = parse_dir(&dir.0);
    let mut created_of = HashMap::new();
    for r in &data.leads {
        let created = parse_ts(data.get(r, "created_at")).expect("created");
        assert!((START..=END).contains(&created));
        let mut last = created;
        for col in ["mql_at", "sql_at"] {
            if let Some(t) = parse_ts(data.get(r, col)) {
                assert!(t > last && t <= END, "{col} out of order for {}", &r[0]);
                last = t;
            }
        }
        if let Some(t) = parse_ts(data.get(r, "first_response_at")) {
            assert!(t > created && t <= END);
        }
        if data.get(r, "first_response_at").is_empty() {
            assert!(data.get(r, "sales_note_status").is_empty());
        }
        created_of.insert(r[0].to_string(), created);
    }
    let (dcol, deals) = read_csv(&dir.0.join("deals.csv"));
    for d in &deals {
        let Some(&lead_created) = created_of.get(&d[dcol["lead_id"]]) else {
            continue;
        };
        let created = parse_ts(&d[dcol["created_at"]]).expect("deal created");
        assert!(created >= lead_created && created <= END);
        match (&d[dcol["status"]], parse_ts(&d[dcol["closed_at"]])) {
            ("open", None) => {}
            ("won" | "lost", Some(closed)) => assert!(closed >= created && closed <= END),
            other => panic!("bad status/closed_at {other:?}"),
        }
        assert!(d[0].starts_with('D') && d[0].len() == 8);
    }
    let (acol, acts) = read_csv(&dir.0.join("activities.csv"));
    let types: HashSet<&str> = ACTIVITIES.iter().map(|a| a.name).collect();
    for a in &acts {
        assert!(types.contains(&a[acol["type"]]));
        if let Some(t) = parse_ts(&a[acol["occurred_at"]]) {
            assert!((START..=END).contains(&t));
        }
    }
    let per_lead = acts.len() as f64 / 6_000.0;
    assert!(
        (6.0..10.0).contains(&per_lead),
        "{per_lead} activities per lead"
    );
}

#[test]
fn spend_and_config_files_have_the_expected_shape() {
    let dir = TempDir::new("spend");
    run(2_000, 3, &dir);
    let (scol, spend) = read_csv(&dir.0.join("spend.csv"));
    let sources: HashSet<&str> = spend.iter().map(|r| &r[scol["source"]]).collect();
    assert!(sources.contains(SPEND_ONLY_SOURCE));
    assert!(!sources.contains("referral"));
    for r in &spend {
        let period = &r[scol["period"]];
        assert!(("2023-01"..="2025-06").contains(&period) && period.len() == 7);
        let cost = &r[scol["cost"]];
        assert!(cost.parse::<f64>().expect("cost") >= 0.0);
        assert_eq!(cost.split('.').nth(1).map(str::len), Some(2));
    }
    let toml = fs::read_to_string(dir.0.join("leadtune.toml")).expect("toml");
    assert_eq!(toml, LEADTUNE_TOML);
    let truth: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.0.join("truth.json")).expect("truth")).expect("json");
    assert_eq!(truth["leaky_column"]["column"], "sales_note_status");
    assert_eq!(truth["no_effect_trait"], "website_platform");
    assert_eq!(truth["non_monotonic_trait"], "company_founded_year");
    assert_eq!(truth["scoring_offset_days"], 7);
    assert_eq!(truth["end_date"], "2025-06-30T23:59:59");
}

fn truth_of(dir: &TempDir) -> serde_json::Value {
    serde_json::from_slice(&fs::read(dir.0.join("truth.json")).expect("truth")).expect("json")
}

#[test]
fn activity_rate_scales_the_activities() {
    let (a, b) = (TempDir::new("act-1"), TempDir::new("act-half"));
    run(4_000, 13, &a);
    let half = SynthParams {
        activity_rate: 0.5,
        ..SynthParams::new(4_000, 13)
    };
    let summary = generate(&half, &b.0, &crate::observe::Silent).expect("generate");
    // Activities drawn from intent (leakage activities follow wins, not the rate).
    let drawn = |t: &serde_json::Value| {
        let r = &t["realised"];
        (r["activities_clean"].as_u64().expect("clean")
            - r["leakage_activities"].as_u64().expect("leakage")) as f64
    };
    let (ta, tb) = (truth_of(&a), truth_of(&b));
    let ratio = drawn(&tb) / drawn(&ta);
    assert!((0.45..0.55).contains(&ratio), "ratio {ratio}");
    assert_eq!(tb["activity_rate"], 0.5);
    assert_eq!(tb["lost_deal_rate"], 1.0);
    assert!(
        ta.get("activity_rate").is_none(),
        "defaults leave truth.json as it was"
    );
    // Malformed activity rows do not follow the rate.
    let (_, acts) = read_csv(&b.0.join("activities.csv"));
    assert_eq!(acts.len() as u64, summary.activities);
    assert!(summary.malformed["activities_unknown_lead"] >= 60);
}

#[test]
fn lost_deal_rate_zero_leaves_only_malformed_lost_deals() {
    let dir = TempDir::new("no-lost");
    let params = SynthParams {
        lost_deal_rate: 0.0,
        ..SynthParams::new(4_000, 17)
    };
    let summary = generate(&params, &dir.0, &crate::observe::Silent).expect("generate");
    let (lcol, leads) = read_csv(&dir.0.join("leads.csv"));
    let ids: HashSet<&str> = leads
        .iter()
        .filter(|r| parse_ts(&r[lcol["created_at"]]).is_some())
        .map(|r| &r[0])
        .collect();
    let (dcol, deals) = read_csv(&dir.0.join("deals.csv"));
    let mut lost = 0;
    for d in deals.iter().filter(|d| &d[dcol["status"]] == "lost") {
        let amount = d[dcol["amount"]].parse::<f64>();
        let malformed = !ids.contains(&d[dcol["lead_id"]]) || !matches!(amount, Ok(a) if a >= 0.0);
        assert!(malformed, "a planted lost deal: {d:?}");
        lost += 1;
    }
    let extra =
        summary.malformed["deals_negative_amount"] + summary.malformed["deals_non_numeric_amount"];
    assert!(
        lost >= extra && extra > 0,
        "{lost} lost rows, {extra} malformed"
    );
    let truth = truth_of(&dir);
    assert_eq!(truth["realised"]["lost_deals"], 0);
    assert_eq!(truth["realised"]["lost_open_at_end"], 0);
    assert!(truth["realised"]["deals_clean"].as_u64().expect("deals") > 200);
    assert_eq!(truth["lost_deal_rate"], 0.0);
}

#[test]
fn shape_rates_must_be_finite_and_not_negative() {
    let dir = TempDir::new("bad-rate");
    for (activity_rate, lost_deal_rate) in [(-0.1, 1.0), (f64::NAN, 1.0), (1.0, f64::INFINITY)] {
        let params = SynthParams {
            activity_rate,
            lost_deal_rate,
            ..SynthParams::new(10, 1)
        };
        let err = generate(&params, &dir.0, &crate::observe::Silent).expect_err("bad rate");
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    }
    assert!(!dir.0.exists(), "nothing written");
}

/// Every table of a directory read with polars, all columns as text (CSV: no type
/// inference, so the frame holds exactly the text of the file; empty fields are null).
fn read_tables(dir: &Path, ext: &str) -> Vec<DataFrame> {
    use polars::prelude::{CsvReadOptions, ParquetReader, SerReader};
    ["leads", "deals", "activities", "spend", "customers"]
        .iter()
        .map(|t| {
            let path = dir.join(format!("{t}.{ext}"));
            if ext == "csv" {
                CsvReadOptions::default()
                    .with_infer_schema_length(Some(0))
                    .try_into_reader_with_file_path(Some(path))
                    .expect("csv reader")
                    .finish()
                    .expect("read csv")
            } else {
                ParquetReader::new(File::open(path).expect("open parquet"))
                    .finish()
                    .expect("read parquet")
            }
        })
        .collect()
}

#[test]
fn parquet_output_holds_the_same_rows_as_csv() {
    let (c, p, p2) = (
        TempDir::new("fmt-csv"),
        TempDir::new("fmt-pq"),
        TempDir::new("fmt-pq2"),
    );
    let csv = run(3_000, 23, &c);
    let params = SynthParams {
        format: OutputFormat::Parquet,
        ..SynthParams::new(3_000, 23)
    };
    let parquet = generate(&params, &p.0, &crate::observe::Silent).expect("generate parquet");
    generate(&params, &p2.0, &crate::observe::Silent).expect("generate parquet again");
    assert_eq!(
        (
            csv.leads,
            csv.deals,
            csv.activities,
            csv.spend_rows,
            csv.customers
        ),
        (
            parquet.leads,
            parquet.deals,
            parquet.activities,
            parquet.spend_rows,
            parquet.customers
        )
    );
    for (a, b) in read_tables(&c.0, "csv")
        .iter()
        .zip(read_tables(&p.0, "parquet"))
    {
        assert!(b.dtypes().iter().all(|d| *d == DataType::String));
        assert_eq!(a.get_column_names(), b.get_column_names());
        assert_eq!(a.height(), b.height());
        assert!(a.equals_missing(&b), "{a}\n{b}");
    }
    let read = |d: &TempDir, f: &str| fs::read(d.0.join(f)).expect("read");
    assert_eq!(read(&c, "truth.json"), read(&p, "truth.json"));
    let toml = String::from_utf8(read(&p, "leadtune.toml")).expect("utf-8");
    assert_eq!(toml, LEADTUNE_TOML.replace(".csv", ".parquet"));
    let mut names: Vec<String> = fs::read_dir(&p.0)
        .expect("list")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "activities.parquet",
            "customers.parquet",
            "deals.parquet",
            "leads.parquet",
            "leadtune.toml",
            "spend.parquet",
            "truth.json"
        ]
    );
    for name in &names {
        assert!(
            read(&p, name) == read(&p2, name),
            "{name} differs between runs"
        );
    }
}

#[test]
fn tiny_and_empty_populations_work() {
    let dir = TempDir::new("tiny");
    let s = run(0, 1, &dir);
    assert_eq!(s.leads, 0);
    assert!(s.malformed.values().all(|&v| v == 0));
    let dir = TempDir::new("tiny3");
    let s = run(3, 1, &dir);
    assert_eq!(s.malformed["leads_duplicate_id"], MALFORMED_MIN);
    assert_eq!(s.leads, 3 + 2 * MALFORMED_MIN);
    for leads in [0, 3] {
        let dir = TempDir::new("tiny-pq");
        let params = SynthParams {
            format: OutputFormat::Parquet,
            ..SynthParams::new(leads, 1)
        };
        let s = generate(&params, &dir.0, &crate::observe::Silent).expect("generate");
        let tables = read_tables(&dir.0, "parquet");
        assert_eq!(tables[0].height() as u64, s.leads);
        assert_eq!(tables[0].width(), LEAD_HEADER.len());
    }
}

/// `cargo test --release -- --ignored --nocapture` times 1M leads.
#[test]
#[ignore]
fn time_one_million_leads() {
    let dir = TempDir::new("1m");
    let start = std::time::Instant::now();
    let summary = run(1_000_000, 42, &dir);
    let elapsed = start.elapsed();
    println!("1M leads: {elapsed:.2?} {summary:?}");
    for f in FILES {
        let len = fs::metadata(dir.0.join(f)).expect("meta").len();
        println!("  {f}: {len} bytes");
    }
}
