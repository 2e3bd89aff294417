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
