//! `leadtune export-sql` against real engines: the sample's leads, activities and deals are
//! loaded into SQLite (bundled, through rusqlite) and into a throwaway PostgreSQL cluster
//! (through `psql`; scripts/postgres.sh installs and starts it), typed as leadtune reads them,
//! and the view's scores are compared with `leadtune score` lead by lead.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use polars::prelude::*;

use crate::common::{csv_rows, json, leadtune_ok, parquet, root};

/// What `leadtune score` gave each lead: (fit, engagement, score, probability, tier).
type Scores = BTreeMap<String, (i64, i64, i64, f64, String)>;

/// A fitted model on the sample, its scores from `leadtune score`, and the typed tables.
struct Fixture {
    dir: tempfile::TempDir,
    config: PathBuf,
    expected: Scores,
    leads: DataFrame,
    activities: DataFrame,
    deals: Option<DataFrame>,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    leadtune_ok(&root(), &["run", "--out", out.to_str().unwrap()]);
    fixture_of(dir, &out, &root().join("data/sample"))
}

/// The fixture of a run (its outputs in `out`) on the files in `data`.
fn fixture_of(dir: tempfile::TempDir, out: &Path, data: &Path) -> Fixture {
    let config = out.join("scoring-config.json");
    let leads = data.join("leads.csv");
    let activities = data.join("activities.csv");
    let deals = data.join("deals.csv");
    let expected = score_cli(&config, &leads, Some(&activities), Some(&deals), dir.path());
    let (leads, activities, deals) = typed_tables(&config, &leads, &activities, Some(&deals));
    Fixture {
        dir,
        config,
        expected,
        leads,
        activities,
        deals,
    }
}

/// What `leadtune score` gives each lead (of `leads`, with `activities` and `deals` when
/// given).
fn score_cli(
    config: &Path,
    leads: &Path,
    activities: Option<&Path>,
    deals: Option<&Path>,
    dir: &Path,
) -> Scores {
    let scored = dir.join("scored.csv");
    let mut args = vec![
        "score",
        "--model",
        config.to_str().unwrap(),
        "--leads",
        leads.to_str().unwrap(),
    ];
    if let Some(activities) = activities {
        args.extend(["--activities", activities.to_str().unwrap()]);
    }
    if let Some(deals) = deals {
        args.extend(["--deals", deals.to_str().unwrap()]);
    }
    args.extend(["--out", scored.to_str().unwrap()]);
    leadtune_ok(&root(), &args);
    csv_rows(&scored)
        .into_iter()
        .map(|r| {
            (
                r["lead_id"].clone(),
                (
                    r["fit"].parse().unwrap(),
                    r["engagement"].parse().unwrap(),
                    r["score"].parse().unwrap(),
                    r["probability"].parse().unwrap(),
                    r["tier"].clone(),
                ),
            )
        })
        .collect()
}

/// The tables as leadtune types them: what a warehouse would hold.
fn typed_tables(
    config: &Path,
    leads: &Path,
    activities: &Path,
    deals: Option<&Path>,
) -> (DataFrame, DataFrame, Option<DataFrame>) {
    let model = leadtune::scoring::export::read(config, false)
        .unwrap()
        .config;
    let categorical: Vec<&str> = model
        .traits
        .iter()
        .filter(|t| t.kind == leadtune::scoring::export::TraitKind::Categorical)
        .map(|t| t.name.as_str())
        .collect();
    let inputs = leadtune::ingest::read_for_scoring(
        leads,
        Some(activities),
        deals,
        &model.scoring.missing_tokens,
        model.scoring.date_format.as_deref(),
        &categorical,
        &model.stage_columns(),
        i64::MAX,
        &leadtune::observe::Silent,
    )
    .unwrap();
    let activities = inputs.activities.unwrap().frame(&inputs.leads).unwrap();
    let deals = inputs.deals.map(|d| d.frame().clone());
    (inputs.leads.frame().clone(), activities, deals)
}

/// The tables to load: leads, activities and, when given, deals.
fn tables<'a>(
    leads: &'a DataFrame,
    activities: &'a DataFrame,
    deals: Option<&'a DataFrame>,
) -> Vec<(&'static str, &'a DataFrame)> {
    let mut tables = vec![("leads", leads), ("activities", activities)];
    tables.extend(deals.map(|d| ("deals", d)));
    tables
}

/// The view's scores in SQLite, the tables loaded as typed.
fn sqlite_scores(
    config: &Path,
    leads: &DataFrame,
    activities: &DataFrame,
    deals: Option<&DataFrame>,
) -> Scores {
    let db = rusqlite::Connection::open_in_memory().unwrap();
    // SQLite's math functions (power) are in most builds (the sqlite3 shell, Python's), but
    // not in rusqlite's bundled one: the same C pow() is added here.
    if db
        .query_row("SELECT power(2.0, 3.0)", [], |r| r.get::<_, f64>(0))
        .is_err()
    {
        db.create_scalar_function(
            "power",
            2,
            rusqlite::functions::FunctionFlags::SQLITE_DETERMINISTIC,
            |ctx| Ok(ctx.get::<f64>(0)?.powf(ctx.get::<f64>(1)?)),
        )
        .unwrap();
    }
    for (name, frame) in tables(leads, activities, deals) {
        let (columns, defs) = columns_and_defs(frame, |t| match t {
            Typed::Real(_) => "REAL",
            _ => "TEXT",
        });
        db.execute(&format!("CREATE TABLE {name} ({})", defs.join(", ")), [])
            .unwrap();
        let marks = vec!["?"; columns.len()].join(", ");
        let tx = db.unchecked_transaction().unwrap();
        {
            let mut insert = tx
                .prepare(&format!("INSERT INTO {name} VALUES ({marks})"))
                .unwrap();
            for i in 0..frame.height() {
                let row: Vec<rusqlite::types::Value> = columns
                    .iter()
                    .map(|(_, t)| match t {
                        Typed::Real(v) => v[i].map_or(rusqlite::types::Value::Null, |x| {
                            rusqlite::types::Value::Real(x)
                        }),
                        Typed::Text(v) | Typed::Timestamp(v) => v[i]
                            .clone()
                            .map_or(rusqlite::types::Value::Null, rusqlite::types::Value::Text),
                    })
                    .collect();
                insert.execute(rusqlite::params_from_iter(row)).unwrap();
            }
        }
        tx.commit().unwrap();
    }
    let out = leadtune_ok(
        &root(),
        &[
            "export-sql",
            "--model",
            config.to_str().unwrap(),
            "--dialect",
            "sqlite",
        ],
    );
    let sql = String::from_utf8(out.stdout).unwrap();
    db.execute_batch(&sql).unwrap();
    let mut query = db
        .prepare("SELECT lead_id, fit, engagement, score, probability, tier FROM lead_scores")
        .unwrap();
    let got: Scores = query
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                (r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?),
            ))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    // Nothing in the SQL dropped or changed a table.
    let tables: i64 = db
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('leads', 'activities')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(tables, 2);
    got
}

/// A column's SQL type and its values as SQL-ready text (None: NULL).
enum Typed {
    Real(Vec<Option<f64>>),
    Text(Vec<Option<String>>),
    Timestamp(Vec<Option<String>>),
}

fn typed(c: &Column) -> Typed {
    match c.dtype() {
        DataType::Datetime(_, _) | DataType::Date => {
            let ms = c.cast(&DataType::Int64).unwrap();
            Typed::Timestamp(
                ms.i64()
                    .unwrap()
                    .iter()
                    .map(|v| {
                        v.map(|ms| {
                            chrono::DateTime::from_timestamp_millis(ms)
                                .unwrap()
                                .format("%Y-%m-%d %H:%M:%S")
                                .to_string()
                        })
                    })
                    .collect(),
            )
        }
        d if d.is_primitive_numeric() || d.is_bool() => {
            let f = c.cast(&DataType::Float64).unwrap();
            Typed::Real(f.f64().unwrap().iter().collect())
        }
        _ => {
            let s = c.cast(&DataType::String).unwrap();
            Typed::Text(
                s.str()
                    .unwrap()
                    .iter()
                    .map(|v| v.map(String::from))
                    .collect(),
            )
        }
    }
}

/// A frame's columns, typed, and their SQL definitions (`"name" TYPE`).
fn columns_and_defs(
    frame: &DataFrame,
    sql_type: impl Fn(&Typed) -> &'static str,
) -> (Vec<(String, Typed)>, Vec<String>) {
    let columns: Vec<(String, Typed)> = frame
        .columns()
        .iter()
        .map(|c| (c.name().to_string(), typed(c)))
        .collect();
    let defs = columns
        .iter()
        .map(|(n, t)| format!("{} {}", leadtune::scoring::sql::ident(n), sql_type(t)))
        .collect();
    (columns, defs)
}

fn check(expected: &Scores, got: &Scores, engine: &str) {
    assert_eq!(
        got.len(),
        expected.len(),
        "{engine}: {} leads scored, leadtune score scored {}",
        got.len(),
        expected.len()
    );
    for (id, e) in expected {
        let g = got
            .get(id)
            .unwrap_or_else(|| panic!("{engine}: lead {id} missing"));
        assert_eq!(
            (g.0, g.1, g.2, &g.4),
            (e.0, e.1, e.2, &e.4),
            "{engine}: lead {id}"
        );
        // score writes probabilities to 6 decimals.
        assert!(
            (g.3 - e.3).abs() < 5.1e-7,
            "{engine}: lead {id} probability {} vs {}",
            g.3,
            e.3
        );
    }
}

#[test]
fn sqlite_scores_equal_leadtune_score_lead_by_lead() {
    let f = fixture();
    let got = sqlite_scores(&f.config, &f.leads, &f.activities, f.deals.as_ref());
    check(&f.expected, &got, "sqlite");
}

/// A category value with quotes and SQL in it is one value, not code.
#[test]
fn a_category_value_cannot_break_out_of_its_literal() {
    let dir = tempfile::tempdir().unwrap();
    let evil = "O'Brien\"; DROP TABLE leads; --";
    let mut config = json(&root().join("tests/fixtures/scoring-config-v1.json"));
    // The first categorical trait: its first value's bin becomes the evil value.
    let t = config["traits"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|t| t["kind"] == "categorical")
        .unwrap();
    let name = t["name"].as_str().unwrap().to_string();
    let bin = t["bins"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|b| b["rule"].get("value").is_some())
        .unwrap();
    bin["rule"]["value"] = serde_json::json!(evil);
    bin["points"] = serde_json::json!(77);
    let path = dir.path().join("evil.json");
    std::fs::write(&path, serde_json::to_vec(&config).unwrap()).unwrap();
    // Stamped again, as `run` would have written it: an edit is refused without the new hash.
    let mut stamped = leadtune::scoring::export::read(&path, true).unwrap().config;
    leadtune::scoring::export::stamp(&mut stamped);
    std::fs::write(&path, serde_json::to_vec(&stamped).unwrap()).unwrap();
    // Every lead trait is a column (the SQL reads them all), empty but for the evil one.
    let others: Vec<String> = config["traits"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["kind"] != "activity" && t["name"] != name.as_str())
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect();
    let quoted = format!("\"{}\"", evil.replace('"', "\"\""));
    let empty = ",".repeat(others.len());
    std::fs::write(
        dir.path().join("leads.csv"),
        format!(
            "lead_id,created_at,{name},{}\nA,2024-03-01,{quoted}{empty}\nB,2024-03-01,plain{empty}\n",
            others.join(",")
        ),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("activities.csv"),
        "lead_id,occurred_at,type\nB,2024-03-02,page_view\n",
    )
    .unwrap();
    let (leads, acts) = (
        dir.path().join("leads.csv"),
        dir.path().join("activities.csv"),
    );
    let expected = score_cli(&path, &leads, Some(&acts), None, dir.path());
    let (l, a, _) = typed_tables(&path, &leads, &acts, None);
    let got = sqlite_scores(&path, &l, &a, None);
    check(&expected, &got, "sqlite");
    // Lead A got the evil value's 77 points: B (same but for that value) scores differently.
    assert_ne!(got["A"].2, got["B"].2);
}

/// Literals: every double the SQL may hold reads back in SQLite to the same bits.
#[test]
fn sqlite_reads_every_literal_back_exactly() {
    use rand::{Rng, SeedableRng};
    let db = rusqlite::Connection::open_in_memory().unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    for i in 0..20_000 {
        let v: f64 = match i % 4 {
            0 => rng.random_range(-1e6..1e6),
            1 => rng.random::<f64>(),
            2 => f64::from_bits(rng.random::<u64>() >> 2),
            _ => (rng.random_range(0..100_000) as f64) / 86_400.0,
        };
        if !v.is_finite() {
            continue;
        }
        let back: f64 = db
            .query_row(&format!("SELECT {v:?}"), [], |r| r.get(0))
            .unwrap();
        assert_eq!(back.to_bits(), v.to_bits(), "{v:?} read back as {back:?}");
    }
}

#[test]
fn postgres_scores_equal_leadtune_score_lead_by_lead() {
    let f = fixture();
    let deals = f.deals.as_ref();
    if let Some(got) = postgres_scores(&f.config, &f.leads, &f.activities, deals, f.dir.path()) {
        check(&f.expected, &got, "postgres");
    }
}

/// A history whose activities carry numbers as values and whose leads reach funnel stages
/// before and after their scoring dates (`crate::engagement::valued_history`): the view's
/// value sums, maxima, recency per type and `stage_reached` score every lead as `leadtune
/// score` does, in SQLite and in PostgreSQL.
#[test]
fn value_and_stage_traits_score_alike_in_sqlite_and_postgres() {
    let dir = tempfile::tempdir().unwrap();
    // Every kind of trait in the model, whatever the selection says ([model] include).
    let config = crate::engagement::valued_history(
        4,
        2500,
        dir.path(),
        "\n[model]\ninclude = [\"stage_reached\", \"page_view_value_sum_30d\", \
         \"page_view_value_max_90d\", \"days_since_page_view\", \"days_since_download\"]\n",
    );
    leadtune_ok(dir.path(), &["run", "--config", config.to_str().unwrap()]);
    let (out, data) = (dir.path().join("out"), dir.path().to_path_buf());
    let model = json(&out.join("scoring-config.json"));
    let names: Vec<String> = model["traits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect();
    for wanted in ["stage_reached", "_value_", "days_since_"] {
        assert!(
            names.iter().any(|n| n.contains(wanted)),
            "{wanted}: {names:?}"
        );
    }
    let f = fixture_of(dir, &out, &data);
    let got = sqlite_scores(&f.config, &f.leads, &f.activities, f.deals.as_ref());
    check(&f.expected, &got, "sqlite");
    let deals = f.deals.as_ref();
    if let Some(got) = postgres_scores(&f.config, &f.leads, &f.activities, deals, f.dir.path()) {
        check(&f.expected, &got, "postgres");
    }
}

/// The padded histories' values in PostgreSQL: as `run` scores them (see
/// `padded_values_score_alike_in_run_score_and_sqlite`).
#[test]
fn postgres_scores_padded_values_as_leadtune_does() {
    let dir = tempfile::tempdir().unwrap();
    let config = padded_history(5, dir.path());
    leadtune_ok(dir.path(), &["run", "--config", config.to_str().unwrap()]);
    let model = dir.path().join("out/scoring-config.json");
    let ran = run_scores(&dir.path().join("out/scored_leads.parquet"));
    let leads = raw_leads(&dir.path().join("leads.csv"));
    if let Some(got) = postgres_scores(&model, &leads, &no_activities(), None, dir.path()) {
        check(&ran, &got, "postgres against run");
    }
}

/// The view's scores in a throwaway PostgreSQL cluster (under `dir`), the tables loaded as
/// given. None where PostgreSQL cannot run and `LEADTUNE_SKIP_POSTGRES` says to skip (loudly);
/// without it, that fails the test.
fn postgres_scores(
    config: &Path,
    leads: &DataFrame,
    activities: &DataFrame,
    deals: Option<&DataFrame>,
    dir: &Path,
) -> Option<Scores> {
    let script = root().join("scripts/postgres.sh");
    // Where PostgreSQL cannot run, the test fails unless told to skip, and then says so.
    let skip = std::env::var_os("LEADTUNE_SKIP_POSTGRES").is_some();
    let unavailable = |why: String| {
        if skip {
            eprintln!(
                "\n!!! SKIPPED (LEADTUNE_SKIP_POSTGRES): the export-sql comparison in \
                 PostgreSQL did not run: {why} !!!\n"
            );
            None
        } else {
            panic!(
                "{why}\nThe PostgreSQL test needs Debian's postgresql (scripts/postgres.sh \
                 installs it as root or with sudo); set LEADTUNE_SKIP_POSTGRES=1 to skip it."
            );
        }
    };
    let install = Command::new(&script).arg("install").output();
    match install {
        Ok(o) if o.status.success() => {}
        Ok(o) => {
            return unavailable(format!(
                "scripts/postgres.sh install failed: {}",
                String::from_utf8_lossy(&o.stderr)
            ));
        }
        Err(e) => return unavailable(format!("cannot run scripts/postgres.sh: {e}")),
    }
    let cluster = dir.join("pg");
    let started = Command::new(&script)
        .arg("start")
        .arg(&cluster)
        .output()
        .unwrap();
    if !started.status.success() {
        return unavailable(format!(
            "a PostgreSQL cluster could not be started: {}",
            String::from_utf8_lossy(&started.stderr)
        ));
    }
    let conninfo = String::from_utf8(started.stdout)
        .unwrap()
        .trim()
        .to_string();
    let stop = Stop(script.clone(), cluster.clone());
    let psql = |file: &Path| {
        let out = Command::new("psql")
            .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", &conninfo, "-f"])
            .arg(file)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "psql {}: {}",
            file.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let mut load = String::new();
    for (name, frame) in tables(leads, activities, deals) {
        let (columns, defs) = columns_and_defs(frame, |t| match t {
            Typed::Real(_) => "double precision",
            Typed::Text(_) => "text",
            Typed::Timestamp(_) => "timestamp",
        });
        let path = dir.join(format!("{name}.pg.csv"));
        // NULL is an unquoted empty field, text is always quoted (so an empty text stays one).
        let mut text = columns
            .iter()
            .map(|(n, _)| n.clone())
            .collect::<Vec<_>>()
            .join(",");
        text.push('\n');
        for i in 0..frame.height() {
            let cells: Vec<String> = columns
                .iter()
                .map(|(_, t)| match t {
                    Typed::Real(v) => v[i].map(|x| format!("{x:?}")).unwrap_or_default(),
                    Typed::Text(v) | Typed::Timestamp(v) => v[i]
                        .as_ref()
                        .map(|s| format!("\"{}\"", s.replace('"', "\"\"")))
                        .unwrap_or_default(),
                })
                .collect();
            text.push_str(&cells.join(","));
            text.push('\n');
        }
        std::fs::write(&path, text).unwrap();
        load.push_str(&format!(
            "CREATE TABLE {name} ({});\n\\copy {name} FROM '{}' WITH (FORMAT csv, HEADER true)\n",
            defs.join(", "),
            path.display()
        ));
    }
    let load_file = dir.join("load.sql");
    std::fs::write(&load_file, load).unwrap();
    psql(&load_file);
    let view = dir.join("view.sql");
    leadtune_ok(
        &root(),
        &[
            "export-sql",
            "--model",
            config.to_str().unwrap(),
            "--dialect",
            "postgres",
            "--out",
            view.to_str().unwrap(),
        ],
    );
    psql(&view);
    let result = dir.join("result.csv");
    let read = dir.join("read.sql");
    std::fs::write(
        &read,
        format!(
            "\\copy (SELECT lead_id, fit, engagement, score, probability, tier FROM lead_scores) \
             TO '{}' WITH (FORMAT csv, HEADER true)\n",
            result.display()
        ),
    )
    .unwrap();
    psql(&read);
    let mut reader = csv::Reader::from_path(&result).unwrap();
    let got: Scores = reader
        .deserialize::<(String, i64, i64, i64, f64, String)>()
        .map(|r| {
            let r = r.unwrap();
            (r.0, (r.1, r.2, r.3, r.4, r.5))
        })
        .collect();
    drop(stop);
    Some(got)
}

/// Stops the cluster when the test ends, pass or fail.
struct Stop(PathBuf, PathBuf);

impl Drop for Stop {
    fn drop(&mut self) {
        let _ = Command::new(&self.0).arg("stop").arg(&self.1).status();
    }
}

/// A history whose category values come as exports write them: padded with spaces, tabs, the
/// no-break space of Excel and the ideographic space; missing as `NA`, `n/a`, `Null`, ` none `
/// or empty; now and then in another case (a category of its own, everywhere) or with commas
/// and quotes. Written with the seed's own random draws; returns the config's path.
fn padded_history(seed: u64, dir: &Path) -> PathBuf {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let industries = [
        ("Software", 1.2),
        ("Retail", -0.4),
        ("Health", 0.5),
        ("Non-profit, NGO", -0.8),
        ("Café \"Bistro\" & Co", 0.2),
        ("Manufacturing", 0.0),
    ];
    let regions = [
        ("North", 0.3),
        ("South", -0.3),
        ("East", 0.0),
        ("West", 0.1),
    ];
    let pads = [" ", "  ", "\t", "\u{a0}", "\u{3000}", " \u{a0}", "\u{2003}"];
    let missing = ["NA", "n/a", "Null", "", " none ", "N/A", "nan"];
    let dress = |rng: &mut rand_chacha::ChaCha8Rng, value: &str| -> String {
        let roll: f64 = rng.random();
        if roll < 0.06 {
            return missing[rng.random_range(0..missing.len())].to_string();
        }
        let mut v = value.to_string();
        if roll < 0.09 {
            v = v.to_lowercase();
        }
        if rng.random_bool(0.35) {
            v = format!("{}{v}", pads[rng.random_range(0..pads.len())]);
        }
        if rng.random_bool(0.35) {
            v = format!("{v}{}", pads[rng.random_range(0..pads.len())]);
        }
        v
    };
    let mut leads = csv::Writer::from_path(dir.join("leads.csv")).unwrap();
    leads
        .write_record([
            "lead_id",
            "created_at",
            "converted",
            "industry",
            "region",
            "employees",
        ])
        .unwrap();
    for i in 0..900 {
        let (industry, a) = industries[rng.random_range(0..industries.len())];
        let (region, b) = regions[rng.random_range(0..regions.len())];
        let employees: f64 = (rng.random::<f64>() * 7.0).exp().round();
        let z = -1.6 + a + b + 0.25 * employees.ln();
        let won = rng.random::<f64>() < 1.0 / (1.0 + (-z).exp());
        let day = rng.random_range(0..540);
        let created =
            chrono::NaiveDate::from_ymd_opt(2023, 1, 1).unwrap() + chrono::Duration::days(day);
        let employees = if rng.random_bool(0.05) {
            missing[rng.random_range(0..missing.len())].to_string()
        } else {
            format!(
                "{}{employees}{}",
                pads[rng.random_range(0..2)],
                pads[rng.random_range(0..2)]
            )
        };
        let record = [
            format!("L{i:04}"),
            created.to_string(),
            if won { "yes" } else { "no" }.to_string(),
            dress(&mut rng, industry),
            dress(&mut rng, region),
            employees,
        ];
        leads.write_record(&record).unwrap();
    }
    leads.flush().unwrap();
    let config = dir.join("leadtune.toml");
    std::fs::write(
        &config,
        "[input]\nleads = \"leads.csv\"\n\n[traits]\ncategorical = [\"industry\", \"region\"]\n\n\
         [output]\ndir = \"out\"\n",
    )
    .unwrap();
    config
}

/// The leads as a warehouse holds them: category values as the file wrote them (padding and
/// missing-value tokens included), numbers as numbers (NULL when missing).
fn raw_leads(path: &Path) -> DataFrame {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let headers: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    let tokens: Vec<String> = ["", "na", "n/a", "null", "none", "nan"]
        .map(String::from)
        .to_vec();
    let columns: Vec<Column> = headers
        .iter()
        .enumerate()
        .map(|(j, name)| {
            if name == "employees" {
                let values: Vec<Option<f64>> = rows
                    .iter()
                    .map(|r| {
                        leadtune::ingest::values::normalise(&r[j], &tokens)
                            .and_then(|v| leadtune::ingest::values::parse_number(v, b'.').ok())
                    })
                    .collect();
                Column::new(name.into(), values)
            } else {
                let values: Vec<&str> = rows.iter().map(|r| r[j].as_str()).collect();
                Column::new(name.into(), values)
            }
        })
        .collect();
    DataFrame::new(rows.len(), columns).unwrap()
}

/// What the run's `scored_leads.parquet` gave each lead.
fn run_scores(path: &Path) -> Scores {
    let df = parquet(path);
    let ids = df.column("lead_id").unwrap().str().unwrap().clone();
    let int = |name: &str| df.column(name).unwrap().i64().unwrap().clone();
    let (fit, engagement, score) = (int("fit"), int("engagement"), int("score"));
    let probability = df.column("probability").unwrap().f64().unwrap().clone();
    let tier = df.column("tier").unwrap().str().unwrap().clone();
    (0..df.height())
        .map(|i| {
            (
                ids.get(i).unwrap().to_string(),
                (
                    fit.get(i).unwrap(),
                    engagement.get(i).unwrap(),
                    score.get(i).unwrap(),
                    probability.get(i).unwrap(),
                    tier.get(i).unwrap().to_string(),
                ),
            )
        })
        .collect()
}

/// Padded, cased and odd values score alike in `run`, in `score` and in the SQL view: the
/// value a trait reads is derived by one rule everywhere (a padded `Software` is `Software`,
/// `NA` is missing). Over several seeded histories, in SQLite; in PostgreSQL by
/// `postgres_scores_padded_values_as_leadtune_does`.
#[test]
fn padded_values_score_alike_in_run_score_and_sqlite() {
    for seed in 1..=4 {
        let dir = tempfile::tempdir().unwrap();
        let config = padded_history(seed, dir.path());
        leadtune_ok(dir.path(), &["run", "--config", config.to_str().unwrap()]);
        let model = dir.path().join("out/scoring-config.json");
        let leads = dir.path().join("leads.csv");
        let ran = run_scores(&dir.path().join("out/scored_leads.parquet"));
        let scored = score_cli(&model, &leads, None, None, dir.path());
        check(&ran, &scored, &format!("seed {seed}: score against run"));
        let got = sqlite_scores(&model, &raw_leads(&leads), &no_activities(), None);
        check(&ran, &got, &format!("seed {seed}: sqlite against run"));
    }
}

/// An activities table with no rows (the padded histories have none).
fn no_activities() -> DataFrame {
    DataFrame::new(
        0,
        vec![
            Column::new("lead_id".into(), Vec::<&str>::new()),
            Column::new("occurred_at".into(), Vec::<&str>::new()),
            Column::new("type".into(), Vec::<&str>::new()),
        ],
    )
    .unwrap()
}
