//! `leadtune run`, `validate` and `traits`: the pipeline as far as the command goes, its
//! outputs written into a staging directory swapped into place at the end, and a summary.

use std::time::Instant;

use crate::cli::RunArgs;
use crate::config;
use crate::error::Result;
use crate::observe::Observer;
use crate::output;
use crate::pipeline::{self, Plan, Stages};

pub fn run(args: &RunArgs, stages: Stages, observer: &dyn Observer) -> Result<()> {
    let started = Instant::now();
    let settings = config::load(&args.config, args.out.as_deref(), args.as_of.as_deref())?;
    let plan = Plan::new(settings, stages, chrono::Utc::now().timestamp_millis())?;
    let staging = output::Staging::new(&plan.settings.output_dir)?;
    let mut outputs = pipeline::run(&plan, observer)?;
    let written = pipeline::write::write(&mut outputs, &plan, staging.path(), started, observer)?;
    staging.commit()?;
    super::summary::print(&plan.settings, &outputs, &written);
    Ok(())
}
