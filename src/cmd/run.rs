//! `leadtune run`, `validate` and `traits`: ingest, link, account for every row, write
//! `rejected.csv` and `manifest.json`; `traits` and `run` go on with trait discovery, and `run`
//! with every further stage built so far.

use std::collections::BTreeMap;
use std::io::Write;
use std::time::Instant;

use crate::binning::BinningParams;
use crate::cli::RunArgs;
use crate::config::{self, Settings};
use crate::engagement::EngagementParams;
use crate::error::Result;
use crate::export;
use crate::ingest::{self, Inputs, Reject};
use crate::leakage::{Flag, LeakParams};
use crate::link::{self, LinkParams, Linked};
use crate::manifest::{self, InputEntry, Manifest, Stage, Used};
use crate::traits::{self, Discovery};
use crate::tune::{self, Tuned};
use crate::{output, report};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Run,
    Validate,
    Traits,
}

pub fn run(args: &RunArgs, mode: Mode) -> Result<()> {
    let mut timings = BTreeMap::new();
    let started = Instant::now();
    let settings = config::load(&args.config, args.out.as_deref(), args.as_of.as_deref())?;
    let staging = output::Staging::new(&settings.output_dir)?;
    let out_dir = staging.path().to_path_buf();

    let step = Instant::now();
    let now_ms = chrono::Utc::now().timestamp_millis();
    crate::progress::lap("start");
    let mut inputs = ingest::ingest(&settings, now_ms)?;
    crate::progress::lap("ingest");
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
    crate::progress::lap("link");

    // The inputs' rejects move here (nothing reads them from the inputs after this).
    let mut rejects: Vec<Reject> = std::mem::take(&mut inputs.rejects);
    rejects.extend(linked.rejects.iter().cloned());
    let order = |t: &str| config::TABLES.iter().position(|x| *x == t).unwrap_or(99);
    rejects.sort_by_key(|r| (order(r.table), r.row));
    let entries = manifest::account(&inputs.files, &rejects, &used(&inputs, &linked))?;

    report::write_rejected(&out_dir.join("rejected.csv"), &rejects)?;
    if mode != Mode::Validate {
        if let Some(activities) = inputs.activities.as_mut() {
            activities.keep_for_traits();
        }
        let routed_by: Vec<&str> = settings
            .queues
            .iter()
            .flat_map(|q| q.when.keys().map(String::as_str))
            .collect();
        inputs.leads.drop_identity_values(&routed_by);
    }
    crate::progress::lap("rejects written; activities and identity columns trimmed");

    write_existing_customers(&out_dir.join("existing_customers.csv"), &linked)?;
    let mut written: Vec<String> = vec!["rejected.csv".into(), "existing_customers.csv".into()];

    let mut discovery = if mode == Mode::Validate {
        None
    } else {
        let step = Instant::now();
        let spinner = crate::progress::spinner("trait discovery");
        // Takes the activities (counted when linked) and drops them once their traits are
        // derived.
        let d = traits::discover(&mut inputs, &linked.outcomes, &discovery_params(&settings))?;
        spinner.finish_and_clear();
        crate::progress::lap("traits discovered");
        report::traits_table::write(&out_dir, &d)?;
        written.extend(["traits.csv".into(), "traits.parquet".into()]);
        if let Some(decay) = &d.decay {
            output::write_json(&out_dir.join("engagement_decay.json"), decay)?;
            written.push("engagement_decay.json".into());
        }
        timings.insert("traits".to_string(), step.elapsed().as_millis() as u64);
        for (name, ms) in &d.timings_ms {
            timings.insert(name.to_string(), *ms);
        }
        Some(d)
    };

    let mut queues = None;
    let mut tuned = match (&discovery, mode) {
        (Some(d), Mode::Run) => {
            let step = Instant::now();
            let spinner = crate::progress::spinner("fitting the scorecard");
            let current = match &settings.model.current {
                Some(path) => Some(export::read(path)?),
                None => None,
            };
            let params = discovery_params(&settings);
            let mut t = tune::tune(
                &inputs,
                &linked,
                d,
                &settings,
                &params.binning,
                current.as_ref(),
            )?;
            if !settings.queues.is_empty() {
                let q = crate::queues::fit(&inputs, &linked, d, &settings, &params.binning, &t)?;
                t.config.queues = q.models.clone();
                export::stamp(&mut t.config);
                queues = Some(q);
            }
            spinner.finish_and_clear();
            crate::progress::lap("fit");
            timings.insert("fit".to_string(), step.elapsed().as_millis() as u64);
            for (name, ms) in &t.timings_ms {
                timings.insert(name.to_string(), *ms);
            }
            Some(t)
        }
        _ => None,
    };
    let mut scored_write = None;
    if let Some(t) = &tuned {
        let step = Instant::now();
        // Every lead's trait values are not read again (the scored leads keep their bins):
        // at 10M leads they hold gigabytes, freed before the scored leads are written.
        if let Some(d) = discovery.as_mut() {
            d.inputs = std::sync::Arc::new(Vec::new());
        }
        scored_write = Some(write_fit(&out_dir, &inputs, t, queues.as_ref())?);
        written.extend(
            [
                "points.csv",
                "evaluation.json",
                "scored_leads.parquet",
                "scoring-config.schema.json",
                "scoring-config.json",
            ]
            .map(String::from),
        );
        let ms = step.elapsed().as_millis() as u64;
        crate::progress::lap("fit written; the scored leads are being written");
        timings.insert("fit.write".to_string(), ms);
        *timings.entry("fit".to_string()).or_default() += ms;
    }
    if mode == Mode::Run {
        let step = Instant::now();
        let segments = settings
            .segments
            .clone()
            .unwrap_or_else(|| default_segments(discovery.as_ref()));
        // The reports do not read every lead's bins either.
        if let Some(t) = tuned.as_mut() {
            t.scored.bins = Vec::new();
        }
        let lead_tiers = tuned.as_ref().map(|t| lead_tiers(t, queues.as_ref()));
        let tables = report::tables::write_all(
            &out_dir,
            &inputs,
            &linked,
            lead_tiers.as_ref(),
            &segments,
            settings.min_cell_leads,
        )?;
        written.extend(tables.written.iter().cloned());
        crate::progress::lap("report tables");
        if let (Some(w), Some(t)) = (scored_write.take(), &tuned) {
            w.finish(t)?;
        }
        timings.insert(
            "reports.tables".to_string(),
            step.elapsed().as_millis() as u64,
        );
        let charts_step = Instant::now();
        let charts = report::figures::write(&out_dir, &tables, discovery.as_ref(), tuned.as_ref())?;
        written.extend(charts.iter().flat_map(|c| {
            [
                format!("charts/{}.png", c.stem),
                format!("charts/{}.svg", c.stem),
            ]
        }));
        timings.insert(
            "reports.charts".to_string(),
            charts_step.elapsed().as_millis() as u64,
        );
        let html_step = Instant::now();
        report::html::write(
            &out_dir,
            &report::html::PageInputs {
                entries: &entries,
                rejects: &rejects,
                link: &linked.summary,
                discovery: discovery.as_ref(),
                tuned: tuned.as_ref(),
                tables: &tables,
                charts: &charts,
                min_cell: settings.min_cell_leads,
                notes: Vec::new(),
            },
        )?;
        written.push("report.html".into());
        timings.insert(
            "reports.html".to_string(),
            html_step.elapsed().as_millis() as u64,
        );
        timings.insert("reports".to_string(), step.elapsed().as_millis() as u64);
    }

    if let (Some(w), Some(t)) = (scored_write.take(), &tuned) {
        w.finish(t)?;
    }
    crate::progress::lap("reports");
    let stages = stages(mode);
    timings.insert("total".to_string(), started.elapsed().as_millis() as u64);
    let manifest = Manifest {
        schema_version: manifest::MANIFEST_SCHEMA_VERSION,
        command: match mode {
            Mode::Run => "run",
            Mode::Validate => "validate",
            Mode::Traits => "traits",
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
    written.push("manifest.json".into());
    staging.commit()?;

    print_summary(&entries, &linked);
    if let Some(d) = &discovery {
        print_traits(d, settings.outcome.best_customers_top_percent);
    }
    if let Some(t) = &tuned {
        print_fit(t);
        print_queues(&t.config.queues);
    }
    print_outputs(&settings, &written);
    Ok(())
}

/// The traits conversion is broken down by when `[output] segments` is not set: categorical
/// lead traits kept for the model, with at most 50 values, other than source and campaign
/// (which have tables of their own).
fn default_segments(discovery: Option<&Discovery>) -> Vec<String> {
    let Some(d) = discovery else {
        return Vec::new();
    };
    d.table
        .traits
        .iter()
        .zip(&d.verdicts)
        .filter(|(t, v)| {
            !t.numeric
                && v.flag == Flag::Ok
                && t.origin == crate::binning::Origin::Fit
                && t.distinct <= 50
                && !["source", "campaign"].contains(&t.name.as_str())
        })
        .map(|(t, _)| t.name.clone())
        .collect()
}

/// Writes the fit's outputs; `scoring-config.json` last, so that a crash never leaves a config
/// without the files that describe it.
/// The scored leads' file, written on its own thread while the report tables are made (at 10M
/// leads, seconds of Parquet encoding on one core); joined by [`ScoredWrite::finish`], which
/// then writes the scoring config. A write that fails fails the run, and the run's staging
/// directory is dropped as for any other error.
struct ScoredWrite {
    /// Taken when joined; a run that stops on an error first joins it as this is dropped, so
    /// nothing is still writing into the staging directory as that is removed.
    writing: Option<std::thread::JoinHandle<Result<()>>>,
    dir: std::path::PathBuf,
}

impl Drop for ScoredWrite {
    fn drop(&mut self) {
        if let Some(writing) = self.writing.take() {
            let _ = writing.join();
        }
    }
}

impl ScoredWrite {
    fn finish(mut self, t: &Tuned) -> Result<()> {
        if let Some(writing) = self.writing.take() {
            writing.join().map_err(|_| {
                crate::error::Error::Internal("the scored leads' writer stopped".into())
            })??;
        }
        crate::progress::lap("scored leads written");
        output::write_json(
            &self.dir.join("scoring-config.schema.json"),
            &export::schema(),
        )?;
        output::write_json(&self.dir.join("scoring-config.json"), &t.config)
    }
}

/// Writes the points table and evaluation, and starts writing the scored leads.
fn write_fit(
    dir: &std::path::Path,
    inputs: &Inputs,
    t: &Tuned,
    queues: Option<&crate::queues::Queues>,
) -> Result<ScoredWrite> {
    report::points_table::write(&dir.join("points.csv"), t)?;
    output::write_json(&dir.join("evaluation.json"), &t.evaluation)?;
    crate::progress::lap("fit written: points and evaluation");
    let ids = inputs.leads.frame().column("lead_id")?.str()?.clone();
    let frame = match queues {
        None => Some(crate::cmd::score::scores_frame(
            &t.config,
            &ids,
            &t.scored,
            &crate::cmd::score::Explain {
                reasons: 3,
                breakdown: false,
            },
        )?),
        Some(q) => {
            // Source 0: the pooled model for leads no queue takes; then one per queue.
            let mut sources = vec![(&t.config, &t.scored, export::NO_QUEUE.to_string())];
            for (k, m) in q.models.iter().enumerate() {
                match &q.fits[k] {
                    Some(f) => sources.push((&f.config, &f.scored, m.name.clone())),
                    None => sources.push((&t.config, &t.scored, m.name.clone())),
                }
            }
            let pick: Vec<usize> = q.route.iter().map(|r| r.map_or(0, |k| k + 1)).collect();
            crate::cmd::score::routed_frame(&sources, &pick, &ids, 3)?
        }
    };
    let path = dir.join("scored_leads.parquet");
    let writing = std::thread::Builder::new()
        .name("scored-leads".into())
        .spawn(move || match frame {
            Some(frame) => crate::cmd::score::write_frame(&path, frame),
            None => Ok(()),
        })
        .map_err(|e| crate::error::Error::io(dir, e))?;
    Ok(ScoredWrite {
        writing: Some(writing),
        dir: dir.to_path_buf(),
    })
}

/// One line per queue: its own model or the pooled one, and why.
fn print_queues(queues: &[crate::export::QueueModel]) {
    if queues.is_empty() {
        return;
    }
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "\nqueues (one model each; leads no queue takes: the pooled model):"
    );
    for q in queues {
        let _ = writeln!(
            out,
            "  {:<16} {:<12} {} training leads, {} wins, validation AUC {}{}",
            q.name,
            if q.own_model {
                "own model"
            } else {
                "pooled model"
            },
            q.training_leads,
            q.training_wins,
            q.validation_auc.map_or("-".into(), |a| format!("{a:.3}")),
            if q.note.is_empty() {
                String::new()
            } else {
                format!(": {}", q.note)
            }
        );
    }
}

/// Each lead's tier (from its queue's model) and queue, for the report tables.
fn lead_tiers<'a>(
    t: &'a Tuned,
    queues: Option<&crate::queues::Queues>,
) -> report::tables::LeadTiers<'a> {
    let Some(q) = queues else {
        return report::tables::LeadTiers::of(t);
    };
    let of_lead = (0..t.scored.tier.len())
        .map(|r| match q.route[r].and_then(|k| q.fits[k].as_ref()) {
            Some(f) => {
                let name = &f.config.tiers[f.scored.tier[r]].name;
                t.config
                    .tiers
                    .iter()
                    .position(|x| &x.name == name)
                    .unwrap_or(t.scored.tier[r])
            }
            None => t.scored.tier[r],
        })
        .collect();
    let names = q
        .route
        .iter()
        .map(|r| r.map_or(export::NO_QUEUE.to_string(), |k| q.models[k].name.clone()))
        .collect();
    report::tables::LeadTiers {
        tiers: &t.config.tiers,
        of_lead,
        queue: Some(names),
    }
}

/// The fit's summary: validation metrics, the tier table, what rounding and pins cost.
fn print_fit(t: &Tuned) {
    let mut out = std::io::stdout().lock();
    let e = &t.evaluation;
    let show = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.3}"));
    let _ = writeln!(
        out,
        "\nfit: {} traits on {} training leads ({}), {} split, {} validation leads",
        t.model.traits.len(),
        t.model.train_rows,
        if t.model.row_level {
            "row by row: the bin patterns did not collapse".to_string()
        } else {
            format!("collapsed into {} bin patterns", t.model.patterns)
        },
        e.split,
        e.validation.leads
    );
    let _ = writeln!(
        out,
        "validation: AUC {}  Gini {}  KS {}  Brier {}  ECE {}   (train AUC {})",
        show(e.validation.auc),
        show(e.validation.gini),
        show(e.validation.ks),
        show(e.validation.brier),
        show(e.validation.ece),
        show(e.train.auc)
    );
    if let Some(cost) = e.costs.rounding_cost {
        let _ = writeln!(
            out,
            "integer points cost {cost:.4} AUC against exact points"
        );
    }
    if let Some(cost) = e.costs.pins_cost {
        let _ = writeln!(
            out,
            "the pins cost {cost:.4} AUC on validation (negative: they gained)"
        );
    }
    let _ = writeln!(
        out,
        "\n{:<6} {:>9} {:>8} {:>12} {:>17} {:>6}",
        "tier", "min score", "share", "conversion", "95% interval", "SLA h"
    );
    for tier in &e.tiers {
        let _ = writeln!(
            out,
            "{:<6} {:>9} {:>7.1}% {:>11.1}% {:>7.1}% - {:>5.1}% {:>6}",
            tier.name,
            tier.min_score.map_or("-".into(), |m| m.to_string()),
            tier.share * 100.0,
            tier.conversion * 100.0,
            tier.conversion_low * 100.0,
            tier.conversion_high * 100.0,
            tier.sla_hours
        );
    }
    if let Some(b) = &e.backtest {
        let _ = writeln!(
            out,
            "\nback-test on the same validation leads: AUC {} (in use) -> {} (new); {} leads change tier",
            show(b.current.auc),
            show(b.new.auc),
            b.leads_changing_tier
        );
    }
    for w in e.warnings.iter().chain(&t.notes) {
        let _ = writeln!(out, "note: {w}");
    }
}

/// Trait-discovery settings from the resolved config.
fn discovery_params(settings: &Settings) -> traits::DiscoveryParams {
    let t = &settings.traits;
    traits::DiscoveryParams {
        binning: BinningParams {
            min_bin_share: settings.model.min_bin_share,
            prebins: 20,
            max_bins: t.max_bins,
            trend: t.trend,
            trend_for: t.trend_for.clone(),
            special: t.special.clone(),
        },
        leak: LeakParams {
            auc: t.leak_auc,
            hinted_auc: t.leak_auc.min(0.75),
            allow: t.allow_leaky.clone(),
        },
        engagement: EngagementParams {
            scoring_offset_days: t.scoring_offset_days,
            windows_days: t.activity_windows.clone(),
        },
        best_top_percent: settings.outcome.best_customers_top_percent,
        engagement_columns: t.engagement.clone(),
        categorical: t.categorical.clone(),
        date_format: settings.dialect.date_format.clone(),
        exclude: t.exclude.clone(),
        split: Some((
            tune::split_kind(settings, true).0,
            settings.model.validation_share,
            settings.model.seed,
        )),
    }
}

/// Leads matched to an existing customer: ids and the rule only, never names or emails.
fn write_existing_customers(path: &std::path::Path, linked: &Linked) -> Result<()> {
    let df = linked.outcomes.frame();
    let flags = df.column("existing_customer")?.bool()?;
    let rows = df.column("row")?.u64()?;
    let leads = df.column("lead_id")?.str()?;
    let customers = df.column("customer_id")?.str()?;
    let rules = df.column("match_rule")?.str()?;
    let matched = (0..df.height())
        .filter(|&i| flags.get(i) == Some(true))
        .map(|i| {
            [
                leads.get(i).unwrap_or_default().to_string(),
                rows.get(i).unwrap_or_default().to_string(),
                customers.get(i).unwrap_or_default().to_string(),
                rules.get(i).unwrap_or_default().to_string(),
            ]
        });
    output::write_csv(
        path,
        &["lead_id", "row", "customer_id", "match_rule"],
        matched,
    )
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
        Stage {
            name: "trait discovery (traits.csv, traits.parquet)",
            status: match mode {
                Mode::Validate => "not part of validate",
                _ => "done",
            },
        },
        Stage {
            name: "conversion by source, campaign, quarter and tier; speed-to-lead; SLA by tier; \
                   funnel; source ROI (conversion_*.csv, speed_to_lead.csv, sla_by_tier.csv, \
                   funnel.csv, source_roi.csv)",
            status: match mode {
                Mode::Run => "done",
                Mode::Validate => "not part of validate",
                Mode::Traits => "not part of traits",
            },
        },
        Stage {
            name: "fit, points, tiers, calibration, evaluation (scoring-config.json, points.csv, \
                   evaluation.json, scored_leads.parquet)",
            status: match mode {
                Mode::Run => "done",
                Mode::Validate => "not part of validate",
                Mode::Traits => "not part of traits",
            },
        },
    ];
    stages.push(Stage {
        name: "charts and the report page (charts/*.png, charts/*.svg, report.html)",
        status: match mode {
            Mode::Run => "done",
            Mode::Validate => "not part of validate",
            Mode::Traits => "not part of traits",
        },
    });
    stages
}

/// The ranked summary of trait discovery: traits by IV with their strongest bins, the best
/// customers' profile, and what was flagged and why.
fn print_traits(d: &Discovery, best_percent: f64) {
    let mut out = std::io::stdout().lock();
    let p = &d.population;
    let _ = writeln!(
        out,
        "\ntrait discovery on {} mature leads ({} won, {:.1}%); left out: {} immature, {} young \
         leads already won (their peers' outcomes are not known yet), {} existing customers",
        p.leads,
        p.wins,
        100.0 * p.wins as f64 / p.leads.max(1) as f64,
        p.excluded_immature,
        p.excluded_young_converted,
        p.excluded_existing_customers
    );
    if let Some(decay) = &d.decay {
        let s = &decay.spec;
        let _ = writeln!(
            out,
            "engagement decay: an activity counts half after {:.1} days (95% interval {:.1} to \
             {:.1}), fitted on {} + {} leads (engagement_decay.json); trait {}",
            s.half_life_days,
            s.half_life_low,
            s.half_life_high,
            decay.train_leads,
            decay.validation_leads,
            crate::decay::TRAIT
        );
    }
    let mut ranked: Vec<_> = d.usable().collect();
    ranked.sort_by(|a, b| b.iv.total_cmp(&a.iv).then(a.name.cmp(&b.name)));
    let _ = writeln!(out, "\ntraits by information value (IV):");
    for t in ranked.iter().take(12) {
        let mut bins: Vec<_> = t.bins.iter().filter(|b| b.leads > 0).collect();
        bins.sort_by(|a, b| b.woe.abs().total_cmp(&a.woe.abs()));
        let strongest: Vec<String> = bins
            .iter()
            .take(2)
            .map(|b| format!("{} {:.1}x", b.label, b.lift))
            .collect();
        let _ = writeln!(
            out,
            "  {:<28} IV {:>6.3}   {}",
            t.name,
            t.iv,
            strongest.join(", ")
        );
    }
    if ranked.len() > 12 {
        let _ = writeln!(out, "  ... {} more in traits.csv", ranked.len() - 12);
    }
    if p.best_customers > 0 {
        let mut profile: Vec<(&str, &crate::binning::Bin)> = d
            .usable()
            .flat_map(|t| t.bins.iter().map(move |b| (t.name.as_str(), b)))
            .filter(|(_, b)| {
                b.best >= 5 && b.best_lift >= 1.5 && b.rule != crate::binning::BinRule::Missing
            })
            .collect();
        profile.sort_by(|a, b| b.1.best_lift.total_cmp(&a.1.best_lift));
        let _ = writeln!(
            out,
            "\nthe best customers (top {best_percent}% of wins by amount, {} leads):",
            p.best_customers
        );
        // One window of an activity count is enough: 7, 30 and 90 days say the same here.
        let mut families = Vec::new();
        profile.retain(|(name, _)| match crate::model::window_family(name) {
            Some(f) if families.contains(&f) => false,
            Some(f) => {
                families.push(f);
                true
            }
            None => true,
        });
        for (name, b) in profile.iter().take(6) {
            let _ = writeln!(
                out,
                "  {name}={} is {:.1}x over-represented among them",
                b.label, b.best_lift
            );
        }
    }
    let flagged: Vec<_> = d
        .verdicts
        .iter()
        .chain(&d.identities)
        .filter(|v| v.flag != Flag::Ok)
        .collect();
    if !flagged.is_empty() {
        let _ = writeln!(out, "\nkept out of the model:");
        for v in flagged {
            let _ = writeln!(out, "  {:<28} {:<9} {}", v.name, v.flag.as_str(), v.reason);
        }
    }
    for note in &d.notes {
        let _ = writeln!(out, "note: {note}");
    }
}

fn print_summary(entries: &[InputEntry], linked: &Linked) {
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
}

/// Where the outputs are; the charts as one line.
fn print_outputs(settings: &Settings, written: &[String]) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "\noutputs in {}:", settings.output_dir.display());
    let charts = written.iter().filter(|f| f.starts_with("charts/")).count();
    for file in written.iter().filter(|f| !f.starts_with("charts/")) {
        let _ = writeln!(out, "  {file}");
    }
    if charts > 0 {
        let _ = writeln!(
            out,
            "  charts/ ({} charts, each as PNG and SVG)",
            charts / 2
        );
    }
    if written.iter().any(|f| f == "report.html") {
        let _ = writeln!(
            out,
            "\nopen {} in a browser for the whole report",
            settings.output_dir.join("report.html").display()
        );
    }
}
