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
use polars::prelude::{Column, DataFrame, DataType, ParquetWriter};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Run,
    Validate,
    Traits,
}

/// Stages of the whole pipeline that later work adds; `run` names them rather than pretend.
const NOT_BUILT: [&str; 1] = ["reports: SLA breaches by tier, charts, report.html, notebooks"];

pub fn run(args: &RunArgs, mode: Mode) -> Result<()> {
    let mut timings = BTreeMap::new();
    let started = Instant::now();
    let settings = config::load(&args.config, args.out.as_deref(), args.as_of.as_deref())?;
    let staging = output::Staging::new(&settings.output_dir)?;
    let out_dir = staging.path().to_path_buf();

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

    report::write_rejected(&out_dir.join("rejected.csv"), &rejects)?;

    write_existing_customers(&out_dir.join("existing_customers.csv"), &linked)?;
    let mut written: Vec<String> = vec!["rejected.csv".into(), "existing_customers.csv".into()];

    let discovery = if mode == Mode::Validate {
        None
    } else {
        let step = Instant::now();
        let spinner = crate::progress::spinner("trait discovery");
        let d = traits::discover(&inputs, &linked.outcomes, &discovery_params(&settings))?;
        spinner.finish_and_clear();
        report::traits_table::write(&out_dir, &d)?;
        written.extend(["traits.csv".into(), "traits.parquet".into()]);
        timings.insert("traits".to_string(), step.elapsed().as_millis() as u64);
        for (name, ms) in &d.timings_ms {
            timings.insert(name.to_string(), *ms);
        }
        Some(d)
    };

    let tuned = match (&discovery, mode) {
        (Some(d), Mode::Run) => {
            let step = Instant::now();
            let spinner = crate::progress::spinner("fitting the scorecard");
            let current = match &settings.model.current {
                Some(path) => Some(export::read(path)?),
                None => None,
            };
            let params = discovery_params(&settings);
            let t = tune::tune(
                &inputs,
                &linked,
                d,
                &settings,
                &params.binning,
                current.as_ref(),
            )?;
            spinner.finish_and_clear();
            write_fit(&out_dir, &inputs, &t)?;
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
            timings.insert("fit".to_string(), step.elapsed().as_millis() as u64);
            for (name, ms) in &t.timings_ms {
                timings.insert(name.to_string(), *ms);
            }
            Some(t)
        }
        _ => None,
    };
    if mode == Mode::Run {
        let step = Instant::now();
        written.extend(write_reports(
            &out_dir,
            &inputs,
            &linked,
            tuned.as_ref(),
            &settings,
        )?);
        timings.insert("reports".to_string(), step.elapsed().as_millis() as u64);
    }

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
    }
    print_outputs(&settings, &written, mode, &stages);
    Ok(())
}

/// The conversion tables (by source, campaign, quarter and tier) and speed-to-lead. A lead's
/// outcome counts only once its whole horizon is observed; before that it is immature.
fn write_reports(
    dir: &std::path::Path,
    inputs: &Inputs,
    linked: &Linked,
    tuned: Option<&Tuned>,
    settings: &Settings,
) -> Result<Vec<String>> {
    use report::conversion::{self, ReportLeads};
    let o = linked.outcomes.frame();
    let converted = o.column("converted")?.bool()?;
    let complete = o.column("window_complete")?.bool()?;
    let existing = o.column("existing_customer")?.bool()?;
    let leads = ReportLeads {
        outcome: (0..o.height())
            .map(|i| converted.get(i).filter(|_| complete.get(i) == Some(true)))
            .collect(),
        existing: (0..o.height())
            .map(|i| existing.get(i) == Some(true))
            .collect(),
        leads: inputs.leads.frame(),
    };
    let min = settings.min_cell_leads;
    let mut stems: Vec<&str> = Vec::new();
    let table = |dimension: &str, groups: Vec<Option<String>>| {
        conversion::conversion_table(&leads.facts(|i| groups[i].clone()), min)
            .into_iter()
            .map(|r| (dimension.to_string(), r))
            .collect::<Vec<_>>()
    };
    for (dimension, stem) in [
        ("source", "conversion_by_source"),
        ("campaign", "conversion_by_campaign"),
    ] {
        if inputs.leads.has(dimension) {
            report::write_tables::write(dir, stem, &table(dimension, leads.text(dimension)))?;
            stems.push(stem);
        }
    }
    if inputs.leads.has("created_at") {
        let quarters = leads
            .millis("created_at")
            .into_iter()
            .map(|m| m.and_then(conversion::quarter))
            .collect();
        report::write_tables::write(dir, "conversion_by_quarter", &table("quarter", quarters))?;
        stems.push("conversion_by_quarter");
    }
    if let Some(t) = tuned {
        let tiers = t
            .scored
            .tier
            .iter()
            .map(|&k| t.config.tiers.get(k).map(|x| x.name.clone()))
            .collect();
        let mut rows = table("tier", tiers);
        let rank = |g: &str| {
            t.config
                .tiers
                .iter()
                .position(|x| x.name == g)
                .unwrap_or(99)
        };
        rows.sort_by_key(|r| rank(&r.1.group));
        report::write_tables::write(dir, "conversion_by_tier", &rows)?;
        stems.push("conversion_by_tier");
    }
    if inputs.leads.has("created_at") && inputs.leads.has("first_response_at") {
        let created = leads.millis("created_at");
        let answered = leads.millis("first_response_at");
        let buckets: Vec<Option<String>> = created
            .iter()
            .zip(&answered)
            .map(|(c, a)| {
                let hours = a.zip(*c).map(|(a, c)| (a - c) as f64 / 3_600_000.0);
                c.map(|_| conversion::speed_bucket(hours).to_string())
            })
            .collect();
        let sources = leads.text("source");
        let mut rows = Vec::new();
        let mut all = conversion::conversion_table(&leads.facts(|i| buckets[i].clone()), min);
        conversion::order_speed(&mut all);
        rows.extend(all.into_iter().map(|r| ("(all sources)".to_string(), r)));
        let mut names: Vec<String> = sources.iter().flatten().cloned().collect();
        names.sort();
        names.dedup();
        for name in names {
            let facts: Vec<_> = leads
                .facts(|i| {
                    buckets[i]
                        .clone()
                        .filter(|_| sources[i].as_deref() == Some(&name))
                })
                .into_iter()
                .filter(|f| f.group.is_some())
                .collect();
            let mut per = conversion::conversion_table(&facts, min);
            conversion::order_speed(&mut per);
            rows.extend(per.into_iter().map(|r| (name.clone(), r)));
        }
        report::write_tables::write(dir, "speed_to_lead", &rows)?;
        stems.push("speed_to_lead");
    }
    let mut written: Vec<String> = stems
        .iter()
        .flat_map(|s| [format!("{s}.csv"), format!("{s}.parquet")])
        .collect();
    write_funnel_and_roi(dir, inputs, linked, &leads, min)?;
    written.extend(["funnel.csv", "source_roi.csv", "source_roi.parquet"].map(String::from));
    if let Some(t) = tuned
        && inputs.leads.has("created_at")
        && inputs.leads.has("first_response_at")
    {
        write_sla(dir, t, &leads)?;
        written.push("sla_by_tier.csv".into());
    }
    Ok(written)
}

/// `sla_by_tier.csv`: mature leads' response against their tier's SLA.
fn write_sla(
    dir: &std::path::Path,
    t: &Tuned,
    leads: &report::conversion::ReportLeads,
) -> Result<()> {
    use report::sla::{self, Response};
    let created = leads.millis("created_at");
    let answered = leads.millis("first_response_at");
    let responses: Vec<Response> = (0..leads.outcome.len())
        .filter(|&i| !leads.existing[i])
        .filter_map(|i| {
            let won = leads.outcome[i]?;
            created[i]?;
            Some(Response {
                tier: t.scored.tier[i],
                hours: answered[i]
                    .zip(created[i])
                    .map(|(a, c)| (a - c) as f64 / 3_600_000.0),
                won,
            })
        })
        .collect();
    let tiers: Vec<(String, f64)> = t
        .config
        .tiers
        .iter()
        .map(|x| (x.name.clone(), x.sla_hours))
        .collect();
    let rows = sla::sla_by_tier(&tiers, &responses);
    let n = |v: Option<f64>| v.map(report::traits_table::number).unwrap_or_default();
    output::write_csv(
        &dir.join("sla_by_tier.csv"),
        &[
            "tier",
            "sla_hours",
            "leads",
            "breached",
            "breach_rate",
            "conversion_met",
            "conversion_met_low",
            "conversion_met_high",
            "conversion_breached",
            "conversion_breached_low",
            "conversion_breached_high",
            "estimated_wins_lost",
            "assumption",
        ],
        rows.iter().map(|r| {
            [
                r.tier.clone(),
                report::traits_table::number(r.sla_hours),
                r.leads.to_string(),
                r.breached.to_string(),
                n(r.breach_rate),
                n(r.conversion_met),
                n(r.conversion_met_low),
                n(r.conversion_met_high),
                n(r.conversion_breached),
                n(r.conversion_breached_low),
                n(r.conversion_breached_high),
                n(r.estimated_wins_lost),
                "breached leads would have converted like those answered within the SLA \
                 (an association, not a causal estimate)"
                    .to_string(),
            ]
        }),
    )
}

/// `funnel.csv` (mature leads) and `source_roi.csv` / `.parquet` (all leads, wins so far).
fn write_funnel_and_roi(
    dir: &std::path::Path,
    inputs: &Inputs,
    linked: &Linked,
    leads: &report::conversion::ReportLeads,
    min_cell: u64,
) -> Result<()> {
    use report::conversion::quarter;
    use report::roi::{self, LeadPath};
    use std::collections::{BTreeMap, HashMap};
    let o = linked.outcomes.frame();
    let converted = o.column("converted")?.bool()?;
    let amounts = o.column("won_amount")?.f64()?;
    let days_to_win = o.column("days_to_win")?.f64()?;
    let ids = inputs.leads.frame().column("lead_id")?.str()?;
    let created = leads.millis("created_at");
    let (mql, sql) = (leads.millis("mql_at"), leads.millis("sql_at"));
    let sources = leads.text("source");
    // First deal per lead (any status): the opportunity stage.
    let mut first_deal: HashMap<String, Option<i64>> = HashMap::new();
    if let Some(d) = &inputs.deals {
        let f = d.frame();
        let lead = f.column("lead_id")?.str()?;
        let at: Vec<Option<i64>> = match f.column("created_at") {
            Ok(c) => c.cast(&DataType::Int64)?.i64()?.iter().collect(),
            Err(_) => vec![None; f.height()],
        };
        for (l, t) in lead.iter().zip(at) {
            if let Some(l) = l {
                let e = first_deal.entry(l.to_string()).or_insert(t);
                *e = match (*e, t) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
            }
        }
    }
    let day = |from: Option<i64>, to: Option<i64>| -> Option<f64> {
        Some((to? - from?) as f64 / 86_400_000.0)
    };
    let paths: Vec<(LeadPath, bool)> = (0..o.height())
        .filter(|&i| !leads.existing[i])
        .map(|i| {
            let deal = ids.get(i).and_then(|id| first_deal.get(id).copied());
            let path = LeadPath {
                source: sources[i].clone(),
                quarter: created[i].and_then(quarter),
                mql_days: day(created[i], mql[i]),
                sql_days: day(created[i], sql[i]),
                reached_mql: mql[i].is_some(),
                reached_sql: sql[i].is_some(),
                opportunity: deal.is_some(),
                opportunity_days: day(created[i], deal.flatten()),
                won: converted.get(i) == Some(true),
                won_days: days_to_win.get(i),
                won_amount: amounts.get(i).unwrap_or(0.0),
            };
            (path, leads.outcome[i].is_some())
        })
        .collect();
    // The funnel: mature leads, overall and by source.
    let mature: Vec<&LeadPath> = paths.iter().filter(|(_, m)| *m).map(|(p, _)| p).collect();
    let mut rows = roi::funnel("(all sources)", &mature);
    let mut names: Vec<String> = mature.iter().filter_map(|p| p.source.clone()).collect();
    names.sort();
    names.dedup();
    for name in names {
        let of: Vec<&LeadPath> = mature
            .iter()
            .copied()
            .filter(|p| p.source.as_deref() == Some(name.as_str()))
            .collect();
        if (of.len() as u64) >= min_cell {
            rows.extend(roi::funnel(&name, &of));
        }
    }
    let n = |v: Option<f64>| v.map(report::traits_table::number).unwrap_or_default();
    output::write_csv(
        &dir.join("funnel.csv"),
        &[
            "source",
            "stage",
            "leads",
            "stage_conversion",
            "share_of_leads",
            "median_days_from_creation",
        ],
        rows.iter().map(|r| {
            [
                r.source.clone(),
                r.stage.to_string(),
                r.leads.to_string(),
                n(r.stage_conversion),
                n(r.share_of_leads),
                n(r.median_days_from_creation),
            ]
        }),
    )?;
    // Source ROI: every lead, every spend row.
    let mut spend: BTreeMap<(String, String), f64> = BTreeMap::new();
    if let Some(s) = &inputs.spend {
        let f = s.frame();
        let source = f.column("source")?.str()?;
        let start = f.column("period_start")?.cast(&DataType::Int64)?;
        let start = start.i64()?;
        let cost = f.column("cost")?.f64()?;
        for i in 0..f.height() {
            if let (Some(s), Some(q), Some(c)) =
                (source.get(i), start.get(i).and_then(quarter), cost.get(i))
            {
                *spend.entry((s.to_string(), q)).or_default() += c;
            }
        }
    }
    let all: Vec<LeadPath> = paths.into_iter().map(|(p, _)| p).collect();
    let roi_rows = roi::source_roi(&all, &spend, min_cell);
    let header = [
        "source",
        "period",
        "leads",
        "wins",
        "revenue",
        "cost",
        "cost_per_lead",
        "cost_per_win",
        "roi",
        "average_deal",
        "median_days_to_win",
        "note",
    ];
    output::write_csv(
        &dir.join("source_roi.csv"),
        &header,
        roi_rows.iter().map(|r| {
            [
                r.source.clone(),
                r.period.clone(),
                r.leads.to_string(),
                r.wins.map(|w| w.to_string()).unwrap_or_default(),
                n(r.revenue),
                n(r.cost),
                n(r.cost_per_lead),
                n(r.cost_per_win),
                n(r.roi),
                n(r.average_deal),
                n(r.median_days_to_win),
                r.note.clone(),
            ]
        }),
    )?;
    let text = |f: &dyn Fn(&roi::RoiRow) -> String, name: &str| {
        Column::new(name.into(), roi_rows.iter().map(f).collect::<Vec<String>>())
    };
    let num = |f: &dyn Fn(&roi::RoiRow) -> Option<f64>, name: &str| {
        Column::new(
            name.into(),
            roi_rows.iter().map(f).collect::<Vec<Option<f64>>>(),
        )
    };
    let mut df = DataFrame::new(
        roi_rows.len(),
        vec![
            text(&|r| r.source.clone(), "source"),
            text(&|r| r.period.clone(), "period"),
            Column::new(
                "leads".into(),
                roi_rows.iter().map(|r| r.leads).collect::<Vec<_>>(),
            ),
            Column::new(
                "wins".into(),
                roi_rows.iter().map(|r| r.wins).collect::<Vec<_>>(),
            ),
            num(&|r| r.revenue, "revenue"),
            num(&|r| r.cost, "cost"),
            num(&|r| r.cost_per_lead, "cost_per_lead"),
            num(&|r| r.cost_per_win, "cost_per_win"),
            num(&|r| r.roi, "roi"),
            num(&|r| r.average_deal, "average_deal"),
            num(&|r| r.median_days_to_win, "median_days_to_win"),
            text(&|r| r.note.clone(), "note"),
        ],
    )?;
    output::write_atomic(&dir.join("source_roi.parquet"), |w| {
        ParquetWriter::new(w)
            .finish(&mut df)
            .map(|_| ())
            .map_err(std::io::Error::other)
    })
}

/// Writes the fit's outputs; `scoring-config.json` last, so that a crash never leaves a config
/// without the files that describe it.
fn write_fit(dir: &std::path::Path, inputs: &Inputs, t: &Tuned) -> Result<()> {
    report::points_table::write(&dir.join("points.csv"), t)?;
    output::write_json(&dir.join("evaluation.json"), &t.evaluation)?;
    let ids = inputs.leads.frame().column("lead_id")?.str()?.clone();
    crate::cmd::score::write_scores(
        &dir.join("scored_leads.parquet"),
        &t.config,
        &ids,
        &t.scored,
    )?;
    output::write_json(&dir.join("scoring-config.schema.json"), &export::schema())?;
    output::write_json(&dir.join("scoring-config.json"), &t.config)
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
    for name in NOT_BUILT {
        stages.push(Stage {
            name,
            status: match mode {
                Mode::Run => "not built yet",
                Mode::Validate => "not part of validate",
                Mode::Traits => "not part of traits",
            },
        });
    }
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

/// Where the outputs are, and which stages are not built yet.
fn print_outputs(settings: &Settings, written: &[String], mode: Mode, stages: &[Stage]) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "\noutputs in {}:", settings.output_dir.display());
    for file in written {
        let _ = writeln!(out, "  {file}");
    }
    if mode == Mode::Run {
        let _ = writeln!(out, "\nnot built yet (no output written for these stages):");
        for stage in stages.iter().filter(|s| s.status != "done") {
            let _ = writeln!(out, "  - {}", stage.name);
        }
    }
}
