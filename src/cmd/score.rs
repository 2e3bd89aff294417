//! `leadtune score`: a scoring config applied to new leads, through the same scoring code as
//! `run`. Unknown category values score as `other`, missing values as `missing`, with counts.

use std::io::Write;

use crate::cli::ScoreArgs;
use crate::error::{Error, Result};
use crate::ingest;
use crate::scoring::export::{self, ScoringConfig, TraitKind};
use crate::scoring::frame::{self, Explain};
use crate::scoring::values::{Engagement, trait_values};
use crate::scoring::{self, Scored};
use crate::traits::binning::TraitValues;
use crate::traits::stage::StageDate;

pub fn run(args: &ScoreArgs, observer: &dyn crate::observe::Observer) -> Result<()> {
    let mut reads = vec![args.model.as_path(), args.leads.as_path()];
    reads.extend(args.activities.as_deref());
    reads.extend(args.deals.as_deref());
    crate::output::refuse_input_as_output(&args.out, &reads)?;
    let export::Loaded { config, edited } = export::read(&args.model, args.allow_edited)?;
    if edited {
        let _ = writeln!(
            std::io::stderr().lock(),
            "warning: {} was edited after leadtune wrote it (its content_sha256 does not \
             match); scoring with it because of --allow-edited: the output's config_edited \
             column says so",
            args.model.display()
        );
    }
    let now_ms = chrono::Utc::now().timestamp_millis();
    let categorical: Vec<&str> = config
        .traits
        .iter()
        .filter(|t| t.kind == TraitKind::Categorical)
        .map(|t| t.name.as_str())
        .collect();
    let inputs = ingest::read_for_scoring(
        &args.leads,
        args.activities.as_deref(),
        args.deals.as_deref(),
        &config.scoring.missing_tokens,
        config.scoring.date_format.as_deref(),
        &categorical,
        &config.stage_columns(),
        now_ms,
        observer,
    )?;
    let rows: Vec<usize> = (0..inputs.leads.len()).collect();
    // Queues share the config's scoring rules: the activities are derived once for all.
    let engagement = Engagement::new(
        &inputs.leads,
        inputs.activities.as_ref(),
        inputs.deals.as_ref(),
        &config.scoring,
    );
    let score_with = |c: &ScoringConfig| -> Result<Scored> {
        let values = trait_values(c, &engagement)?;
        let refs: Vec<Option<&TraitValues>> = values.iter().map(Option::as_ref).collect();
        Ok(scoring::score(c, &refs, &rows))
    };
    let scored = score_with(&config)?;
    let ids = inputs.leads.frame().column("lead_id")?.str()?.clone();
    if !config.queues.is_empty() {
        // Each lead scored by its queue's model.
        if args.explain {
            return Err(Error::Config {
                path: args.model.clone(),
                message: "--explain is not available for a config with queues yet: the \
                          reasons column names each lead's points"
                    .into(),
            });
        }
        let rules: Vec<_> = config
            .queues
            .iter()
            .map(|q| (q.name.clone(), q.when.clone()))
            .collect();
        let route = export::route(&rules, inputs.leads.frame())?;
        let per_queue: Vec<(ScoringConfig, Scored)> = (0..config.queues.len())
            .map(|k| {
                let c = config.for_queue(k);
                let s = score_with(&c)?;
                Ok((c, s))
            })
            .collect::<Result<_>>()?;
        let mut sources = vec![(&config, &scored, export::NO_QUEUE.to_string())];
        for (k, (c, s)) in per_queue.iter().enumerate() {
            sources.push((c, s, config.queues[k].name.clone()));
        }
        let pick: Vec<usize> = route.iter().map(|r| r.map_or(0, |k| k + 1)).collect();
        if let Some(frame) = frame::routed_frame(&sources, &pick, &ids, args.reasons)? {
            frame::write_frame(&args.out, mark_edited(frame, edited)?)?;
        }
        let _ = writeln!(
            std::io::stderr().lock(),
            "scored {} leads into {}, each by its queue's model",
            rows.len(),
            args.out.display()
        );
        return Ok(());
    }
    let explain = Explain {
        reasons: args.reasons,
        breakdown: args.explain,
    };
    let frame = frame::scores_frame(&config, &ids, &scored, &explain, observer)?;
    frame::write_frame(&args.out, mark_edited(frame, edited)?)?;

    let mut err = std::io::stderr().lock();
    let _ = writeln!(
        err,
        "scored {} leads into {}",
        scored.score.len(),
        args.out.display()
    );
    for c in &scored.counts {
        if c.unseen > 0 || c.missing > 0 {
            let _ = writeln!(
                err,
                "  {:<28} {} leads with a value the config names in no bin (scored as \
                 other), {} missing",
                c.name, c.unseen, c.missing
            );
        }
    }
    if config.traits.iter().any(|t| t.kind == TraitKind::Activity) && inputs.activities.is_none() {
        let _ = writeln!(
            err,
            "note: the model has activity traits; without --activities they score as missing"
        );
    }
    let counts_opportunities = config.scoring.stages.contains(&StageDate::Opportunity);
    if config.traits.iter().any(|t| t.kind == TraitKind::Stage)
        && counts_opportunities
        && inputs.deals.is_none()
    {
        let _ = writeln!(
            err,
            "note: the model's stage_reached counts opportunities; without --deals no lead \
             reaches that stage"
        );
    }
    if !inputs.rejects.is_empty() {
        let path = args.out.with_extension("rejected.csv");
        crate::report::write_rejected(&path, &inputs.rejects)?;
        let _ = writeln!(
            err,
            "{} rows not scored, listed with their reasons in {}",
            inputs.rejects.len(),
            path.display()
        );
    }
    Ok(())
}

/// With an edited config (`--allow-edited`), every scored lead says so in a `config_edited`
/// column; otherwise the frame is as it was.
fn mark_edited(
    mut frame: polars::prelude::DataFrame,
    edited: bool,
) -> Result<polars::prelude::DataFrame> {
    if edited {
        let n = frame.height();
        frame.with_column(polars::prelude::Column::new(
            "config_edited".into(),
            vec![true; n],
        ))?;
    }
    Ok(frame)
}
