//! One model per queue, on a history with two product lines whose traits matter differently:
//! for hardware a `pro` plan helps (+1.5 log-odds) and the region does nothing; for software a
//! `pro` plan hurts (-1.5) and the south helps (+1.2). A third line is too small for a model of
//! its own. Each queue's points must recover its own effects, and `score`, the run and the SQL
//! export route and score every lead alike.

use std::collections::BTreeMap;
use std::path::Path;

use rand::{Rng, SeedableRng};

use crate::common::{csv_rows, json, leadtune_ok, parquet};

fn history(dir: &Path) {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
    let mut leads = String::from("lead_id,created_at,product_line,plan,region\n");
    let mut deals = String::from("deal_id,lead_id,status,closed_at,amount\n");
    for i in 0..14_060 {
        let line = match i {
            0..7_000 => "hardware",
            7_000..14_000 => "software",
            _ => "services",
        };
        let pro = rng.random::<bool>();
        let south = rng.random::<bool>();
        let x = -1.6
            + match line {
                "hardware" => 1.5 * f64::from(u8::from(pro)),
                "software" => -1.5 * f64::from(u8::from(pro)) + 1.2 * f64::from(u8::from(south)),
                _ => 0.0,
            };
        let won = rng.random::<f64>() < 1.0 / (1.0 + (-x).exp());
        let day = rng.random_range(0..540);
        let created =
            chrono::NaiveDate::from_ymd_opt(2023, 1, 1).unwrap() + chrono::Duration::days(day);
        leads.push_str(&format!(
            "L{i},{created},{line},{},{}\n",
            if pro { "pro" } else { "basic" },
            if south { "south" } else { "north" }
        ));
        if won {
            let closed = created + chrono::Duration::days(30);
            deals.push_str(&format!("D{i},L{i},won,{closed},100\n"));
        }
    }
    std::fs::write(dir.join("leads.csv"), leads).unwrap();
    std::fs::write(dir.join("deals.csv"), deals).unwrap();
    std::fs::write(
        dir.join("leadtune.toml"),
        r#"[input]
leads = "leads.csv"
deals = "deals.csv"

[outcome]
horizon_days = 180

[[queues]]
name = "hardware"
when = { product_line = ["hardware"] }

[[queues]]
name = "software"
when = { product_line = ["software"] }

[[queues]]
name = "services"
when = { product_line = ["services"] }
"#,
    )
    .unwrap();
}

/// A queue's points per bin of a trait, by bin label.
fn points(queue: &serde_json::Value, name: &str) -> BTreeMap<String, i64> {
    queue["traits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == name)
        .map(|t| {
            t["bins"]
                .as_array()
                .unwrap()
                .iter()
                .map(|b| {
                    (
                        b["label"].as_str().unwrap().to_string(),
                        b["points"].as_i64().unwrap(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn each_queue_recovers_its_own_effects() {
    let dir = tempfile::tempdir().unwrap();
    history(dir.path());
    leadtune_ok(
        dir.path(),
        &["run", "--out", "out", "--as-of", "2025-06-30"],
    );
    let config = json(&dir.path().join("out/scoring-config.json"));
    let queues = config["queues"].as_array().unwrap();
    let names: Vec<&str> = queues.iter().map(|q| q["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["hardware", "software", "services"]);
    let (hardware, software, services) = (&queues[0], &queues[1], &queues[2]);
    assert_eq!(hardware["own_model"], true, "{}", hardware["note"]);
    assert_eq!(software["own_model"], true, "{}", software["note"]);
    // 60 leads: the pooled model scores them, and the note says why.
    assert_eq!(services["own_model"], false);
    assert!(services["note"].as_str().unwrap().contains("pooled"));

    // Hardware: pro above basic; software: pro below basic, south above north.
    let plan = points(hardware, "plan");
    assert!(plan["pro"] - plan["basic"] >= 10, "hardware plan: {plan:?}");
    let plan = points(software, "plan");
    assert!(plan["basic"] - plan["pro"] >= 10, "software plan: {plan:?}");
    let region = points(software, "region");
    assert!(
        region["south"] - region["north"] >= 8,
        "software region: {region:?}"
    );
    // Hardware's region has no effect: left out, or worth little next to its plan.
    let region = points(hardware, "region");
    if let (Some(s), Some(n)) = (region.get("south"), region.get("north")) {
        assert!((s - n).abs() <= 4, "hardware region: {region:?}");
    }

    // scored_leads: every lead in its queue, and conversion per queue is reported.
    let scored = parquet(&dir.path().join("out/scored_leads.parquet"));
    let queue = scored.column("queue").unwrap().str().unwrap();
    let ids = scored.column("lead_id").unwrap().str().unwrap();
    for i in 0..scored.height() {
        let n: usize = ids.get(i).unwrap()[1..].parse().unwrap();
        let want = match n {
            0..7_000 => "hardware",
            7_000..14_000 => "software",
            _ => "services",
        };
        assert_eq!(queue.get(i), Some(want));
    }
    let by_queue = std::fs::read_to_string(dir.path().join("out/conversion_by_queue.csv")).unwrap();
    assert!(by_queue.contains("queue,hardware,") && by_queue.contains("queue,software,"));
    assert!(
        dir.path()
            .join("out/conversion_by_queue_tier.csv")
            .is_file()
    );

    // `score` routes the same way and gives the run's scores.
    leadtune_ok(
        dir.path(),
        &[
            "score",
            "--model",
            "out/scoring-config.json",
            "--leads",
            "leads.csv",
            "--out",
            "scored.csv",
        ],
    );
    let by_id: BTreeMap<String, (String, i64)> = csv_rows(&dir.path().join("scored.csv"))
        .into_iter()
        .map(|r| {
            (
                r["lead_id"].clone(),
                (r["queue"].clone(), r["score"].parse().unwrap()),
            )
        })
        .collect();
    let score = scored.column("score").unwrap().i64().unwrap();
    for i in 0..scored.height() {
        let (q, s) = &by_id[ids.get(i).unwrap()];
        assert_eq!(Some(q.as_str()), queue.get(i));
        assert_eq!(Some(*s), score.get(i));
    }
    // The SQL export routes the same way: in SQLite, every lead's queue, score, tier and
    // probability are `score`'s.
    let sql = leadtune_ok(
        dir.path(),
        &[
            "export-sql",
            "--model",
            "out/scoring-config.json",
            "--dialect",
            "sqlite",
        ],
    );
    let db = rusqlite::Connection::open_in_memory().unwrap();
    db.execute_batch("CREATE TABLE leads (lead_id TEXT, created_at TEXT, product_line TEXT, plan TEXT, region TEXT)")
        .unwrap();
    let mut reader = csv::Reader::from_path(dir.path().join("leads.csv")).unwrap();
    let tx = db.unchecked_transaction().unwrap();
    for r in reader.records() {
        let r = r.unwrap();
        tx.execute(
            "INSERT INTO leads VALUES (?, ?, ?, ?, ?)",
            rusqlite::params![&r[0], &r[1], &r[2], &r[3], &r[4]],
        )
        .unwrap();
    }
    tx.commit().unwrap();
    db.execute_batch(&String::from_utf8(sql.stdout).unwrap())
        .unwrap();
    let want: BTreeMap<String, BTreeMap<String, String>> = csv_rows(&dir.path().join("scored.csv"))
        .into_iter()
        .map(|r| (r["lead_id"].clone(), r))
        .collect();
    let mut q = db
        .prepare("SELECT lead_id, score, tier, queue, probability FROM lead_scores")
        .unwrap();
    let got: Vec<(String, i64, String, String, f64)> = q
        .query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(got.len(), want.len());
    for (id, score, tier, queue, p) in got {
        let w = &want[&id];
        assert_eq!(
            (score.to_string(), tier, queue),
            (w["score"].clone(), w["tier"].clone(), w["queue"].clone()),
            "lead {id}"
        );
        assert!((p - w["probability"].parse::<f64>().unwrap()).abs() < 5.1e-7);
    }
}
