//! A run's [`Outputs`] written into its output directory, each file atomically. The files'
//! names are defined here, once.
//!
//! `scoring-config.json` is written last but for the manifest, so that a crash never leaves a
//! config without the files that describe it.

use std::path::Path;
use std::time::Instant;

use crate::error::Result;
use crate::manifest::{self, Manifest, Stage};
use crate::observe::Observer;
use crate::pipeline::{ExistingCustomer, Outputs, Plan, Stages};
use crate::{output, report, scoring::export};

pub const REJECTED: &str = "rejected.csv";
pub const EXISTING_CUSTOMERS: &str = "existing_customers.csv";
pub const TRAITS_CSV: &str = "traits.csv";
pub const TRAITS_PARQUET: &str = "traits.parquet";
pub const ENGAGEMENT_DECAY: &str = "engagement_decay.json";
pub const POINTS: &str = "points.csv";
pub const EVALUATION: &str = "evaluation.json";
pub const SCORED_LEADS: &str = "scored_leads.parquet";
pub const SCORING_CONFIG_SCHEMA: &str = "scoring-config.schema.json";
pub const SCORING_CONFIG: &str = "scoring-config.json";
pub const REPORT: &str = "report.html";
pub const CHARTS: &str = "charts";
pub const MANIFEST: &str = "manifest.json";

/// Whether `name` (an entry at the top of an output directory) is one leadtune writes: an
/// earlier command's outputs of these names are never carried over beside a new command's
/// (the directory holds one command's outputs, and the files leadtune never writes).
pub fn is_own_output(name: &str) -> bool {
    const OWN: [&str; 18] = [
        REJECTED,
        EXISTING_CUSTOMERS,
        TRAITS_CSV,
        TRAITS_PARQUET,
        ENGAGEMENT_DECAY,
        POINTS,
        EVALUATION,
        SCORED_LEADS,
        SCORING_CONFIG_SCHEMA,
        SCORING_CONFIG,
        REPORT,
        CHARTS,
        MANIFEST,
        "funnel.csv",
        "source_roi.csv",
        "source_roi.parquet",
        "sla_by_tier.csv",
        "speed_to_lead.csv",
    ];
    let table = |stem: &str| {
        name.strip_suffix(".csv")
            .or_else(|| name.strip_suffix(".parquet"))
            .is_some_and(|s| s == stem || stem.ends_with('_') && s.starts_with(stem))
    };
    OWN.contains(&name) || table("speed_to_lead") || table("conversion_by_")
}

/// Writes every output into `dir` and the manifest last; returns the files written, by name,
/// in the order written (the charts as `charts/<stem>.png` and `.svg`). `started`: when the
/// run started, for the manifest's total time; the outputs' timings gain the writing's.
pub fn write(
    outputs: &mut Outputs,
    plan: &Plan,
    dir: &Path,
    started: Instant,
    observer: &dyn Observer,
) -> Result<Vec<String>> {
    let mut timings = std::mem::take(&mut outputs.timings_ms);
    let clock = Instant::now();
    report::write_rejected(&dir.join(REJECTED), &outputs.rejects)?;
    write_existing_customers(&dir.join(EXISTING_CUSTOMERS), &outputs.existing_customers)?;
    let mut written: Vec<String> = vec![REJECTED.into(), EXISTING_CUSTOMERS.into()];
    if let Some(d) = &outputs.discovery {
        report::traits_table::write(&dir.join(TRAITS_CSV), &dir.join(TRAITS_PARQUET), d)?;
        written.extend([TRAITS_CSV.into(), TRAITS_PARQUET.into()]);
        if let Some(decay) = &d.decay {
            output::write_json(&dir.join(ENGAGEMENT_DECAY), decay)?;
            written.push(ENGAGEMENT_DECAY.into());
        }
    }
    if let Some(fit) = &outputs.fit {
        report::points_table::write(&dir.join(POINTS), &fit.tuned)?;
        output::write_json(&dir.join(EVALUATION), &fit.tuned.evaluation)?;
        if let Some(bytes) = &fit.scored_leads_parquet {
            output::write_atomic(&dir.join(SCORED_LEADS), |w| w.write_all(bytes))?;
        }
        observer.step("fit written: points, evaluation, scored leads");
        written.extend(
            [
                POINTS,
                EVALUATION,
                SCORED_LEADS,
                SCORING_CONFIG_SCHEMA,
                SCORING_CONFIG,
            ]
            .map(String::from),
        );
    }
    timings.insert("write.fit".to_string(), clock.elapsed().as_millis() as u64);
    if let Some(tables) = &outputs.reports {
        let clock = Instant::now();
        written.extend(tables.write(dir)?);
        observer.step("report tables written");
        timings.insert(
            "write.tables".to_string(),
            clock.elapsed().as_millis() as u64,
        );
        let clock = Instant::now();
        let tuned = outputs.fit.as_ref().map(|f| &f.tuned);
        let charts =
            report::figures::write(&dir.join(CHARTS), tables, outputs.discovery.as_ref(), tuned)?;
        written.extend(charts.iter().flat_map(|c| {
            [
                format!("{CHARTS}/{}.png", c.stem),
                format!("{CHARTS}/{}.svg", c.stem),
            ]
        }));
        timings.insert(
            "reports.charts".to_string(),
            clock.elapsed().as_millis() as u64,
        );
        let clock = Instant::now();
        report::html::write(
            &dir.join(REPORT),
            &report::html::PageInputs {
                entries: &outputs.inputs,
                rejects: &outputs.rejects,
                link: &outputs.outcome,
                discovery: outputs.discovery.as_ref(),
                tuned,
                tables,
                charts: &charts,
                min_cell: plan.settings.min_cell_leads,
                notes: Vec::new(),
            },
        )?;
        written.push(REPORT.into());
        timings.insert(
            "reports.html".to_string(),
            clock.elapsed().as_millis() as u64,
        );
    }
    if let Some(fit) = &outputs.fit {
        output::write_json(&dir.join(SCORING_CONFIG_SCHEMA), &export::schema())?;
        output::write_json(&dir.join(SCORING_CONFIG), &fit.tuned.config)?;
    }
    observer.step("reports");
    timings.insert("total".to_string(), started.elapsed().as_millis() as u64);
    let manifest = Manifest {
        schema_version: manifest::MANIFEST_SCHEMA_VERSION,
        command: outputs.stages.command(),
        inputs: outputs.inputs.clone(),
        outcome: &outputs.outcome,
        rejected_rows: outputs.rejects.len() as u64,
        stages: stages(outputs.stages),
        versions: manifest::versions(),
        config: &plan.settings,
        timings_ms: timings.clone(),
    };
    output::write_json(&dir.join(MANIFEST), &manifest)?;
    written.push(MANIFEST.into());
    outputs.timings_ms = timings;
    Ok(written)
}

/// `existing_customers.csv`.
fn write_existing_customers(path: &Path, matched: &[ExistingCustomer]) -> Result<()> {
    output::write_csv(
        path,
        &["lead_id", "row", "customer_id", "match_rule"],
        matched.iter().map(|m| {
            [
                m.lead_id.clone(),
                m.row.to_string(),
                m.customer_id.clone(),
                m.rule.clone(),
            ]
        }),
    )
}

/// The stages as the manifest lists them, each done or not part of the command.
fn stages(stages: Stages) -> Vec<Stage> {
    let not_part = match stages {
        Stages::Run => "done",
        Stages::Validate => "not part of validate",
        Stages::Traits => "not part of traits",
    };
    vec![
        Stage {
            name: "ingest and validation (rejected.csv)",
            status: "done",
        },
        Stage {
            name: "outcome linking, censoring, customer matching (manifest.json)",
            status: "done",
        },
        Stage {
            name: "trait discovery (traits.csv, traits.parquet)",
            status: match stages {
                Stages::Validate => "not part of validate",
                _ => "done",
            },
        },
        Stage {
            name: "conversion by source, campaign, quarter and tier; speed-to-lead; SLA by tier; \
                   funnel; source ROI (conversion_*.csv, speed_to_lead.csv, sla_by_tier.csv, \
                   funnel.csv, source_roi.csv)",
            status: not_part,
        },
        Stage {
            name: "fit, points, tiers, calibration, evaluation (scoring-config.json, points.csv, \
                   evaluation.json, scored_leads.parquet)",
            status: not_part,
        },
        Stage {
            name: "charts and the report page (charts/*.png, charts/*.svg, report.html)",
            status: not_part,
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leadtune_s_own_outputs_are_told_from_an_analyst_s_files() {
        for own in [
            SCORING_CONFIG,
            REPORT,
            CHARTS,
            MANIFEST,
            "conversion_by_source.csv",
            "conversion_by_queue_tier.parquet",
            "speed_to_lead.parquet",
            "sla_by_tier.csv",
        ] {
            assert!(is_own_output(own), "{own}");
        }
        for mine in [
            "my-notes.txt",
            "scoring-config.json.bak",
            "conversion_by_source.xlsx",
            "speed_to_lead_notes.csv",
            "charts-old",
        ] {
            assert!(!is_own_output(mine), "{mine}");
        }
    }
}
