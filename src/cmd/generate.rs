//! `leadtune generate`: a synthetic company history with planted truth.

use std::io::Write;

use crate::cli::GenerateArgs;
use crate::error::{Error, Result};
use crate::synth::{self, SynthParams};

pub fn run(args: &GenerateArgs, observer: &dyn crate::observe::Observer) -> Result<()> {
    if args.leads == 0 {
        return Err(Error::config("--leads", "--leads must be at least 1"));
    }
    for (flag, rate) in [
        ("--activity-rate", args.activity_rate),
        ("--lost-deal-rate", args.lost_deal_rate),
    ] {
        if !(rate.is_finite() && rate >= 0.0) {
            return Err(Error::config(
                flag,
                format!("must be a finite number >= 0 (1 is the default shape), got {rate}"),
            ));
        }
    }
    refuse_non_empty(&args.out, args.force)?;
    let summary = synth::generate(
        &SynthParams {
            leads: args.leads,
            seed: args.seed,
            activity_rate: args.activity_rate,
            lost_deal_rate: args.lost_deal_rate,
            format: args.format,
        },
        &args.out,
        observer,
    )
    .map_err(|e| Error::io(&args.out, e))?;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "wrote {} leads, {} deals, {} activities, {} spend rows, {} customers to {}",
        summary.leads,
        summary.deals,
        summary.activities,
        summary.spend_rows,
        summary.customers,
        args.out.display()
    );
    let malformed: u64 = summary.malformed.values().sum();
    let _ = writeln!(
        out,
        "planted: {malformed} malformed rows; the true effects are in {}",
        args.out.join("truth.json").display()
    );
    let _ = writeln!(
        out,
        "next: leadtune run --config {}",
        args.out.join("leadtune.toml").display()
    );
    Ok(())
}

/// Refuses to write into a directory that holds anything, unless `force`: the history's files
/// (`leads.csv`, `leadtune.toml`...) would overwrite the user's own of the same names.
fn refuse_non_empty(dir: &std::path::Path, force: bool) -> Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::io(dir, e)),
    };
    if force {
        return Ok(());
    }
    let mut names: Vec<String> = entries
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    if names.is_empty() {
        return Ok(());
    }
    names.sort();
    let shown = names.len().min(5);
    let more = if names.len() > shown {
        format!(" and {} more", names.len() - shown)
    } else {
        String::new()
    };
    Err(Error::io(
        dir,
        std::io::Error::new(
            std::io::ErrorKind::AlreadyExists,
            format!(
                "the directory is not empty (it holds {}{more}); generate writes leads.csv, \
                 deals.csv, activities.csv, spend.csv, customers.csv, leadtune.toml and \
                 truth.json there, overwriting files of those names. Choose a new or empty \
                 directory, or pass --force to overwrite",
                names[..shown].join(", ")
            ),
        ),
    ))
}
