//! `leadtune run` and `leadtune validate`: ingest, link, account for every row, write
//! `rejected.csv` and `manifest.json`. `run` goes on with every stage built so far.

use std::collections::BTreeMap;
use std::io::Write;
use std::time::Instant;

use crate::cli::RunArgs;
use crate::config::{self, Settings};
use crate::error::Result;
use crate::ingest::{self, Inputs, Reject};
use crate::link::{self, LinkParams, Linked};
use crate::manifest::{self, InputEntry, Manifest, Stage, Used};
use crate::output;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Run,
    Validate,
}

/// Stages of the whole pipeline that later work adds; `run` names them rather than pretend.
const NOT_BUILT: [&str; 4] = [
    "trait discovery (traits.csv)",
    "fit, points and tiers (scoring-config.json, points.csv, evaluation.json)",
    "scoring (scored_leads.parquet)",
    "reports (conversion, source ROI, charts, report.html)",
];

pub fn run(args: &RunArgs, mode: Mode) -> Result<()> {
    let mut timings = BTreeMap::new();
    let started = Instant::now();
    let settings = config::load(&args.config, args.out.as_deref(), args.as_of.as_deref())?;
    let out_dir = output::prepare_dir(&settings.output_dir)?;

    let step = Instant::now();
    let now_ms = chrono::Utc::now().timestamp_millis();
    let inputs = ingest::ingest(&settings, now_ms)?;
    timings.insert("ingest".to_string(), step.elapsed().as_millis() as u64);

    let step = Instant::now();
    let linked = link::link(
        &inputs,
        &LinkParams {
            horizon_days: settings.outcome.horizon_days,
            as_of_ms: settings.outcome.as_of_ms,
        },
    )?;
    timings.insert("link".to_string(), step.elapsed().as_millis() as u64);

    let mut rejects: Vec<Reject> = inputs.rejects.clone();
    rejects.extend(linked.rejects.iter().cloned());
    let order = |t: &str| config::TABLES.iter().position(|x| *x == t).unwrap_or(99);
    rejects.sort_by_key(|r| (order(r.table), r.row));
    let entries = manifest::account(&inputs.files, &rejects, &used(&inputs, &linked))?;

    let rejected_path = out_dir.join("rejected.csv");
    output::write_csv(
        &rejected_path,
        &["table", "file", "row", "column", "reason", "value"],
        rejects.iter().map(|r| {
            [
                r.table.to_string(),
                r.file.clone(),
                r.row.to_string(),
                r.column.clone(),
                r.reason.clone(),
                r.value.clone().unwrap_or_default(),
            ]
        }),
    )?;

    let stages = stages(mode);
    timings.insert("total".to_string(), started.elapsed().as_millis() as u64);
    let manifest = Manifest {
        schema_version: manifest::MANIFEST_SCHEMA_VERSION,
        command: match mode {
            Mode::Run => "run",
            Mode::Validate => "validate",
        },
        inputs: entries.clone(),
        outcome: &linked.summary,
        rejected_rows: rejects.len() as u64,
        stages: stages.clone(),
        versions: manifest::versions(),
        config: &settings,
        timings_ms: timings,
    };
    let manifest_path = out_dir.join("manifest.json");
    output::write_json(&manifest_path, &manifest)?;

    print_summary(&settings, &entries, &linked, mode, &stages);
    Ok(())
}

fn used(inputs: &Inputs, linked: &Linked) -> Used {
    let s = &linked.summary;
    let mut per_table = BTreeMap::new();
    per_table.insert("deals", s.deals_used);
    per_table.insert("activities", s.activities_used);
    if let Some(spend) = &inputs.spend {
        per_table.insert("spend", spend.frame().height() as u64);
    }
    if let Some(customers) = &inputs.customers {
        per_table.insert("customers", customers.frame().height() as u64);
    }
    Used {
        leads: s.leads - s.immature,
        immature: s.immature,
        existing_customers: s.existing_customers,
        per_table,
    }
}

fn stages(mode: Mode) -> Vec<Stage> {
    let mut stages = vec![
        Stage {
            name: "ingest and validation (rejected.csv)",
            status: "done",
        },
        Stage {
            name: "outcome linking, censoring, customer matching (manifest.json)",
            status: "done",
        },
    ];
    for name in NOT_BUILT {
        stages.push(Stage {
            name,
            status: match mode {
                Mode::Run => "not built yet",
                Mode::Validate => "not part of validate",
            },
        });
    }
    stages
}

fn print_summary(
    settings: &Settings,
    entries: &[InputEntry],
    linked: &Linked,
    mode: Mode,
    stages: &[Stage],
) {
    let mut out = std::io::stdout().lock();
    let s = &linked.summary;
    let _ = writeln!(
        out,
        "{:<11} {:>10} {:>10} {:>10} {:>10}",
        "input", "read", "used", "rejected", "immature"
    );
    for e in entries {
        let _ = writeln!(
            out,
            "{:<11} {:>10} {:>10} {:>10} {:>10}",
            e.table,
            e.rows_read,
            e.used,
            e.rejected,
            e.immature.map_or("-".to_string(), |n| n.to_string())
        );
    }
    let _ = writeln!(
        out,
        "\noutcome: {} converted, {} not converted, {} immature (horizon {} days{}{})",
        s.converted,
        s.not_converted,
        s.immature,
        s.horizon_days,
        if s.horizon_applied {
            ""
        } else {
            ", not applied"
        },
        s.as_of
            .as_ref()
            .map(|d| format!(", data end {d}"))
            .unwrap_or_default()
    );
    if s.won_after_horizon > 0 {
        let _ = writeln!(
            out,
            "         {} leads won only after the horizon count as not converted",
            s.won_after_horizon
        );
    }
    let _ = writeln!(
        out,
        "existing customers among the leads: {} (kept out of the new-business model)",
        s.existing_customers
    );
    for note in &s.notes {
        let _ = writeln!(out, "note: {note}");
    }
    let _ = writeln!(
        out,
        "\nwrote {}",
        settings.output_dir.join("rejected.csv").display()
    );
    let _ = writeln!(
        out,
        "wrote {}",
        settings.output_dir.join("manifest.json").display()
    );
    if mode == Mode::Run {
        let _ = writeln!(out, "\nnot built yet (no output written for these stages):");
        for stage in stages.iter().filter(|s| s.status != "done") {
            let _ = writeln!(out, "  - {}", stage.name);
        }
    }
}
