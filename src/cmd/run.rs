//! `leadtune run`, `validate` and `traits`: the pipeline as far as the command goes, its
//! outputs written into a staging directory swapped into place at the end, and a summary.

use std::path::PathBuf;
use std::time::Instant;

use crate::cli::RunArgs;
use crate::config;
use crate::error::{Error, Result};
use crate::ingest::source::Origin;
use crate::observe::Observer;
use crate::output;
use crate::pipeline::{self, Plan, Stages};

pub fn run(args: &RunArgs, stages: Stages, observer: &dyn Observer) -> Result<()> {
    let started = Instant::now();
    let settings = config::load(&args.config, args.out.as_deref(), args.as_of.as_deref())?;
    let plan = Plan::new(settings, stages, chrono::Utc::now().timestamp_millis())?;
    // The output directory must not hold what the run reads: it is replaced as a whole.
    let mut reads: Vec<PathBuf> = plan
        .settings
        .input
        .all()
        .into_iter()
        .filter_map(|t| match &t.origin {
            Origin::File(path) => Some(path.clone()),
            Origin::Csv(_) => None,
        })
        .collect();
    reads.push(plan.settings.config_path.clone());
    let staging = output::Staging::new(&plan.settings.output_dir, &reads)?;
    let mut outputs = pipeline::run(&plan, observer)?;
    let written = pipeline::write::write(&mut outputs, &plan, staging.path(), started, observer)?;
    for warning in staging.commit(pipeline::write::is_own_output)? {
        eprintln!("warning: {warning}");
    }
    super::summary::print(&plan.settings, &outputs, &written);
    let widespread = super::summary::widespread(&outputs);
    if let (Stages::Validate, Some(first)) = (stages, widespread.first()) {
        let file = outputs
            .inputs
            .iter()
            .find(|e| e.table == first.table)
            .map_or_else(|| first.table.to_string(), |e| e.path.clone());
        return Err(Error::input(
            file,
            format!(
                "validation failed: more than {:.0}% of the {} rows were rejected for one reason \
                 ({}, first at row {}); fix the file or the config that reads it ([input] \
                 date_format, encoding, delimiter, [columns]) and validate again",
                100.0 * crate::ingest::WIDESPREAD_SHARE,
                first.table,
                first.reason,
                first.example_row
            ),
        ));
    }
    Ok(())
}
