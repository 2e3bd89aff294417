//! The pipeline as one call: a checked [`Plan`] in, every output as a value out.
//!
//! [`run`] reads the inputs ([`crate::ingest`]), links outcomes and matches existing customers
//! ([`crate::link`]), accounts for every row ([`crate::manifest`]), discovers and bins the
//! traits ([`crate::traits`]), fits the scorecard, tiers and calibration ([`crate::fit::tune`], one
//! model per queue with [`crate::fit::queues`]), scores every lead ([`crate::scoring`]) and builds the
//! report tables ([`crate::report::tables`]), as far as the plan's [`Stages`] go. It writes no
//! files and prints nothing: progress and step boundaries go to the [`Observer`] passed in, and
//! [`write::write`] turns the [`Outputs`] into the output directory's files.
//!
//! Memory: at 10M leads the inputs, outcomes and per-lead trait values hold gigabytes. Each is
//! owned here and dropped as soon as the last stage that reads it is done; what [`Outputs`]
//! carries is what the files and the console summary need (per-lead values only in the scored
//! leads' frame).

pub mod write;

use std::collections::BTreeMap;
use std::time::Instant;

use polars::prelude::DataFrame;

use crate::config::Settings;
use crate::error::{Error, Result};
use crate::fit::queues::Queues;
use crate::fit::split::SplitPlan;
use crate::fit::tune::{self, FitInputs, Tuned};
use crate::ingest::{self, Inputs, Reject, Role};
use crate::link::{self, LinkParams, LinkSummary, Linked};
use crate::manifest::{self, InputEntry, Used};
use crate::observe::{Observer, Work};
use crate::report::tables::{LeadTiers, ReportTables};
use crate::scoring::export::{self, ScoringConfig};
use crate::scoring::frame::{self, Explain};
use crate::traits::leakage::Flag;
use crate::traits::{self, Discovery};

/// How far a run goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stages {
    /// Ingest, link, match and account for every row; fit nothing (`leadtune validate`).
    Validate,
    /// Then trait discovery (`leadtune traits`).
    Traits,
    /// The whole pipeline (`leadtune run`).
    Run,
}

impl Stages {
    /// The command that runs these stages, as the manifest names it.
    pub fn command(self) -> &'static str {
        match self {
            Stages::Run => "run",
            Stages::Validate => "validate",
            Stages::Traits => "traits",
        }
    }
}

/// What to run: the resolved settings, how far to go, the run's clock and the scoring config in
/// use (read when the plan is made, so a bad `[model] current` stops the run before it starts).
pub struct Plan {
    pub settings: Settings,
    pub stages: Stages,
    /// Milliseconds since the Unix epoch: timestamps later than this (or than the as-of date,
    /// when one is set) are rejected.
    pub now_ms: i64,
    /// `[model] current`, for the back-test (only for [`Stages::Run`]).
    pub current: Option<ScoringConfig>,
}

impl Plan {
    pub fn new(settings: Settings, stages: Stages, now_ms: i64) -> Result<Plan> {
        let current = match (&settings.model.current, stages) {
            (Some(path), Stages::Run) => {
                let loaded = export::read(path, true)?;
                if loaded.edited {
                    return Err(Error::config(
                        &settings.config_path,
                        format!(
                            "[model] current = {:?}: the scoring config was edited after \
                             leadtune wrote it (its content_sha256 does not match); the \
                             back-test compares the config in use as leadtune wrote it",
                            settings
                                .model
                                .current_written
                                .as_deref()
                                .unwrap_or_default()
                        ),
                    ));
                }
                Some(loaded.config)
            }
            _ => None,
        };
        Ok(Plan {
            settings,
            stages,
            now_ms,
            current,
        })
    }
}

/// A lead matched to an existing customer: ids and the rule only, never names or emails.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExistingCustomer {
    pub lead_id: String,
    /// The lead's row in its file (1-based, the header is row 1).
    pub row: u64,
    pub customer_id: String,
    /// `domain`, `email`, `email_domain` or `company`.
    pub rule: String,
}

/// The fit's outputs ([`Stages::Run`]).
pub struct Fit {
    /// The pooled model. Its `scored.bins` (every lead's bin per trait) are not kept: they
    /// made the scored leads' reasons.
    pub tuned: Tuned,
    /// One model per queue, with `[[queues]]`.
    pub queues: Option<Queues>,
    /// `scored_leads.parquet`, the file's bytes (read them with polars' `ParquetReader`):
    /// every lead's scores, tier and top reasons, each by its queue's model (None: nothing to
    /// score). Encoded while the report tables are built; 69 MB for 10M leads, where the
    /// frame held gigabytes.
    pub scored_leads_parquet: Option<Vec<u8>>,
}

/// Everything a run produced, as values.
pub struct Outputs {
    pub stages: Stages,
    /// Per input file, its rows accounted for (read = used + rejected + immature).
    pub inputs: Vec<InputEntry>,
    /// Every row not used, in table order then row order.
    pub rejects: Vec<Reject>,
    /// The outcomes: converted, not converted, immature, existing customers, notes.
    pub outcome: LinkSummary,
    pub existing_customers: Vec<ExistingCustomer>,
    /// Trait discovery ([`Stages::Traits`] and [`Stages::Run`]).
    pub discovery: Option<Discovery>,
    /// The fit ([`Stages::Run`]).
    pub fit: Option<Fit>,
    /// The report tables ([`Stages::Run`]).
    pub reports: Option<ReportTables>,
    /// Wall time of each stage and of its parts, in milliseconds.
    pub timings_ms: BTreeMap<String, u64>,
}

/// Runs the plan's stages; see the module's documentation.
pub fn run(plan: &Plan, observer: &dyn Observer) -> Result<Outputs> {
    let settings = &plan.settings;
    let mut timings = BTreeMap::new();
    let mut clock = Instant::now();
    let mut lap = |timings: &mut BTreeMap<String, u64>, name: &str| {
        timings.insert(name.to_string(), clock.elapsed().as_millis() as u64);
        clock = Instant::now();
    };
    observer.step("start");
    let mut inputs = ingest::ingest(settings, plan.now_ms, observer)?;
    let lead_header: Vec<String> = (inputs.leads.frame().get_column_names().iter())
        .map(|c| c.to_string())
        .collect();
    let lead_columns: Vec<&str> = lead_header.iter().map(String::as_str).collect();
    settings.check_named_columns(&lead_columns, None)?;
    observer.step("ingest");
    lap(&mut timings, "ingest");

    let linked = link::link(
        &inputs,
        &LinkParams {
            horizon_days: settings.outcome.horizon_days,
            as_of_ms: settings.outcome.as_of_ms,
        },
        observer,
    )?;
    lap(&mut timings, "link");
    observer.step("link");

    let mut rejects: Vec<Reject> = std::mem::take(&mut inputs.rejects);
    rejects.extend(linked.rejects.iter().cloned());
    rejects.sort_by_key(|r| (r.table, r.row));
    let entries = manifest::account(&inputs.files, &rejects, &used(&inputs, &linked))?;
    let existing_customers = existing_customers(&linked)?;
    let mut outputs = Outputs {
        stages: plan.stages,
        inputs: entries,
        rejects,
        outcome: linked.summary.clone(),
        existing_customers,
        discovery: None,
        fit: None,
        reports: None,
        timings_ms: BTreeMap::new(),
    };
    if plan.stages == Stages::Validate {
        outputs.timings_ms = timings;
        return Ok(outputs);
    }

    // What only linking reads goes: the activities' unknown leads, the identity columns' values
    // (but for a queue rule naming one).
    if let Some(activities) = inputs.activities.as_mut() {
        activities.keep_for_traits();
    }
    let routed_by: Vec<&str> = settings
        .queues
        .iter()
        .flat_map(|q| q.when.keys().map(String::as_str))
        .collect();
    inputs.leads.drop_identity_values(&routed_by);
    observer.step("rows accounted for; activities and identity columns trimmed");

    let split = SplitPlan::new(settings, inputs.leads.has("created_at"));
    let params = settings.discovery_params(&split);
    let progress = observer.progress(Work::Step, "trait discovery");
    // The lead columns that identify a person or company, by their values: theirs go too.
    let columns = traits::examine(&inputs.leads, &params)?;
    inputs
        .leads
        .add_identities(columns.identities.iter().map(|v| v.name.as_str()));
    inputs.leads.drop_identity_values(&routed_by);
    observer.step("traits: lead columns examined; identity columns trimmed");
    // Takes the activities (counted when linked) and drops them once their traits are derived.
    let mut discovery =
        traits::discover(&mut inputs, columns, &linked.outcomes, &params, observer)?;
    progress.finish_and_clear();
    let trait_names: Vec<&str> = discovery
        .table
        .traits
        .iter()
        .map(|t| t.name.as_str())
        .collect();
    settings.check_named_columns(&lead_columns, Some(&trait_names))?;
    observer.step("traits discovered");
    lap(&mut timings, "traits");
    for (name, ms) in &discovery.timings_ms {
        timings.insert(name.to_string(), *ms);
    }
    if plan.stages == Stages::Traits {
        outputs.discovery = Some(discovery);
        outputs.timings_ms = timings;
        return Ok(outputs);
    }

    let progress = observer.progress(Work::Step, "fitting the scorecard");
    let fit = FitInputs {
        inputs: &inputs,
        linked: &linked,
        discovery: &discovery,
        settings,
        binning: &params.binning,
        split: &split,
    };
    let mut tuned = tune::tune(fit, plan.current.as_ref(), observer)?;
    let queues = if settings.queues.is_empty() {
        None
    } else {
        let q = crate::fit::queues::fit(fit, &tuned, observer)?;
        tuned.config.queues = q.models.clone();
        export::stamp(&mut tuned.config);
        Some(q)
    };
    progress.finish_and_clear();
    // What `score` and `diff` will check when they read it back: a run whose pins or data make
    // an out-of-range config stops here, not at the first `score`.
    export::validate(&tuned.config).map_err(|m| {
        Error::config(
            &settings.config_path,
            format!(
                "the fitted scoring config fails the checks `score` makes ({m}); check [model] \
                 pin, points_to_double_odds and base_score"
            ),
        )
    })?;
    observer.step("fit");
    lap(&mut timings, "fit");
    for (name, ms) in &tuned.timings_ms {
        timings.insert(name.to_string(), *ms);
    }

    // Every lead's trait values are not read again (the scored leads keep their bins): at 10M
    // leads they hold gigabytes.
    discovery.inputs = std::sync::Arc::new(Vec::new());
    let scored_leads = scored_leads(&inputs, &tuned, queues.as_ref(), observer)?;
    // Nor every lead's bins, once they have made the reasons.
    drop(std::mem::take(&mut tuned.scored.bins));
    observer.step("scored leads");
    lap(&mut timings, "fit.scored_leads");
    *timings.entry("fit".to_string()).or_default() += timings["fit.scored_leads"];

    let segments = settings
        .segments
        .clone()
        .unwrap_or_else(|| default_segments(&discovery));
    let lead_tiers = lead_tiers(&tuned, queues.as_ref());
    // The scored leads are encoded on a thread of their own while the tables are built (at
    // 10M leads, seconds of Parquet encoding on one core), and their frame dropped.
    let (scored_leads_parquet, reports) = std::thread::scope(|scope| {
        let encoding = scope.spawn(move || scored_leads.map(frame::parquet).transpose());
        let reports = crate::report::tables::build(
            &inputs,
            &linked,
            Some(&lead_tiers),
            &segments,
            settings.min_cell_leads,
            observer,
        );
        let encoded = encoding
            .join()
            .unwrap_or_else(|_| Err(Error::Internal("the scored leads' encoder stopped".into())));
        (encoded, reports)
    });
    let (scored_leads_parquet, reports) = (scored_leads_parquet?, reports?);
    drop(lead_tiers);
    observer.step("report tables");
    lap(&mut timings, "reports.tables");
    drop((inputs, linked));

    outputs.discovery = Some(discovery);
    outputs.fit = Some(Fit {
        tuned,
        queues,
        scored_leads_parquet,
    });
    outputs.reports = Some(reports);
    outputs.timings_ms = timings;
    Ok(outputs)
}

/// The traits conversion is broken down by when `[output] segments` is not set: categorical
/// lead traits kept for the model, with at most 50 values, other than source and campaign
/// (which have tables of their own).
fn default_segments(d: &Discovery) -> Vec<String> {
    d.table
        .traits
        .iter()
        .zip(&d.verdicts)
        .filter(|(t, v)| {
            !t.numeric
                && v.flag == Flag::Ok
                && t.origin == crate::traits::binning::Origin::Fit
                && t.distinct <= 50
                && !["source", "campaign"].contains(&t.name.as_str())
        })
        .map(|(t, _)| t.name.clone())
        .collect()
}

/// Every lead's scores, each by its queue's model (the pooled one for leads no queue takes),
/// with the top 3 reasons.
fn scored_leads(
    inputs: &Inputs,
    t: &Tuned,
    queues: Option<&Queues>,
    observer: &dyn Observer,
) -> Result<Option<DataFrame>> {
    let ids = inputs.leads.frame().column("lead_id")?.str()?.clone();
    match queues {
        None => {
            let explain = Explain {
                reasons: 3,
                breakdown: false,
            };
            frame::scores_frame(&t.config, &ids, &t.scored, &explain, observer).map(Some)
        }
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
            frame::routed_frame(&sources, &pick, &ids, 3)
        }
    }
}

/// Each lead's tier (from its queue's model) and queue, for the report tables.
fn lead_tiers<'a>(t: &'a Tuned, queues: Option<&Queues>) -> LeadTiers<'a> {
    let Some(q) = queues else {
        return LeadTiers::of(t);
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
    LeadTiers {
        tiers: &t.config.tiers,
        of_lead,
        queue: Some(names),
    }
}

/// Leads matched to an existing customer, in lead order.
fn existing_customers(linked: &Linked) -> Result<Vec<ExistingCustomer>> {
    let df = linked.outcomes.frame();
    let flags = df.column("existing_customer")?.bool()?;
    let rows = df.column("row")?.u64()?;
    let leads = df.column("lead_id")?.str()?;
    let customers = df.column("customer_id")?.str()?;
    let rules = df.column("match_rule")?.str()?;
    Ok((0..df.height())
        .filter(|&i| flags.get(i) == Some(true))
        .map(|i| ExistingCustomer {
            lead_id: leads.get(i).unwrap_or_default().to_string(),
            row: rows.get(i).unwrap_or_default(),
            customer_id: customers.get(i).unwrap_or_default().to_string(),
            rule: rules.get(i).unwrap_or_default().to_string(),
        })
        .collect())
}

/// Rows used per table, for the accounting.
fn used(inputs: &Inputs, linked: &Linked) -> Used {
    let s = &linked.summary;
    let mut per_table = BTreeMap::new();
    per_table.insert(Role::Deals, s.deals_used);
    per_table.insert(Role::Activities, s.activities_used);
    if let Some(spend) = &inputs.spend {
        per_table.insert(Role::Spend, spend.frame().height() as u64);
    }
    if let Some(customers) = &inputs.customers {
        per_table.insert(Role::Customers, customers.frame().height() as u64);
    }
    Used {
        leads: s.leads - s.immature,
        immature: s.immature,
        existing_customers: s.existing_customers,
        per_table,
    }
}

impl Outputs {
    /// The pooled model's tuned fit, when the run fitted one.
    pub fn tuned(&self) -> Option<&Tuned> {
        self.fit.as_ref().map(|f| &f.tuned)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    /// Records every step it is told of.
    #[derive(Default)]
    struct Steps(Mutex<Vec<String>>);

    impl Observer for Steps {
        fn step(&self, label: &str) {
            self.0.lock().unwrap().push(label.to_string());
        }
    }

    /// The shipped sample's plan, with its output directory in a temporary folder.
    fn sample_plan(stages: Stages, out: &std::path::Path) -> Plan {
        let config = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("leadtune.toml");
        let settings = crate::config::load(&config, Some(out), None).unwrap();
        Plan::new(settings, stages, i64::MAX).unwrap()
    }

    /// The whole pipeline as a library call: every lead scored, every row accounted for, the
    /// observer told of each stage, and not one file written.
    #[test]
    fn runs_the_sample_as_values_writing_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let steps = Steps::default();
        let outputs = run(&sample_plan(Stages::Run, &out), &steps).unwrap();
        assert!(
            !out.exists(),
            "the pipeline wrote into its output directory"
        );
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);

        let leads = &outputs.inputs[0];
        assert_eq!(leads.table, Role::Leads);
        assert_eq!(
            leads.rows_read,
            leads.used + leads.rejected + leads.immature.unwrap_or(0)
        );
        let fit = outputs.fit.as_ref().expect("a run fits");
        let parquet = fit.scored_leads_parquet.clone().expect("scored leads");
        use polars::prelude::SerReader;
        let scored = polars::prelude::ParquetReader::new(std::io::Cursor::new(parquet))
            .finish()
            .unwrap();
        // Every lead that was read and not rejected is scored.
        assert_eq!(
            scored.height() as u64,
            leads.rows_read - leads.rejected,
            "scored leads"
        );
        assert!(fit.tuned.scored.bins.is_empty(), "the bins were kept");
        assert!(outputs.reports.is_some() && outputs.discovery.is_some());
        let steps = steps.0.into_inner().unwrap();
        for stage in [
            "ingest",
            "link",
            "traits discovered",
            "fit",
            "report tables",
        ] {
            assert!(
                steps.iter().any(|s| s == stage),
                "no {stage:?} in {steps:?}"
            );
        }
    }

    /// Each command's stages stop where they should.
    #[test]
    fn validate_and_traits_stop_early() {
        let dir = tempfile::tempdir().unwrap();
        let validate = run(&sample_plan(Stages::Validate, dir.path()), &Silent).unwrap();
        assert!(validate.discovery.is_none() && validate.fit.is_none());
        assert!(!validate.rejects.is_empty(), "the sample plants bad rows");
        let traits = run(&sample_plan(Stages::Traits, dir.path()), &Silent).unwrap();
        assert!(traits.discovery.is_some() && traits.fit.is_none() && traits.reports.is_none());
        // The same rows are rejected whatever the stages.
        assert_eq!(validate.rejects.len(), traits.rejects.len());
    }

    use crate::observe::Silent;
}
