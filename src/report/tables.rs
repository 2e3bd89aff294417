//! The report tables a run writes: conversion by source, campaign, quarter and tier;
//! speed-to-lead; SLA by tier; the funnel; source ROI. Each in CSV (formula-safe) and, where
//! analysts load them into BI tools, Parquet.

use polars::prelude::{Column, DataFrame, DataType, InitHashMaps, PlHashMap};

use crate::error::Result;
use crate::fit::tune::Tuned;
use crate::ingest::Inputs;
use crate::link::Linked;
use crate::output;
use crate::report::conversion::ConversionRow;
use crate::report::roi::{FunnelRow, RoiRow};
use crate::report::sla::SlaRow;

/// The report tables of a run: written by [`ReportTables::write`], shown by the charts and
/// `report.html`.
#[derive(Debug, Default)]
pub struct ReportTables {
    /// Per dimension (`source`, `campaign`, `quarter`, `tier`), its conversion rows.
    pub conversion: Vec<(&'static str, Vec<ConversionRow>)>,
    /// The conversion tables' files: per file stem (`conversion_by_source`, `speed_to_lead`),
    /// its rows as (dimension, row).
    pub conversion_files: Vec<(&'static str, Vec<(String, ConversionRow)>)>,
    /// Speed-to-lead rows: `(all sources)` first, then per source.
    pub speed: Vec<(String, ConversionRow)>,
    /// SLA by tier (None: no tiers or no response times, and no `sla_by_tier.csv`).
    pub sla: Option<Vec<SlaRow>>,
    pub funnel: Vec<FunnelRow>,
    pub roi: Vec<RoiRow>,
}

impl ReportTables {
    /// One dimension's conversion rows, if the run has that dimension.
    pub fn conversion_by(&self, dimension: &str) -> Option<&[ConversionRow]> {
        self.conversion
            .iter()
            .find(|(d, _)| *d == dimension)
            .map(|(_, rows)| rows.as_slice())
    }
}

/// Each lead's tier (and queue, with `[[queues]]`), from the fit.
pub struct LeadTiers<'a> {
    /// The tiers, in order (names and SLAs are the same in every queue).
    pub tiers: &'a [crate::scoring::export::ConfigTier],
    /// Per lead row, an index into `tiers`.
    pub of_lead: Vec<usize>,
    /// Per lead row, its queue's name (None: no queues configured).
    pub queue: Option<Vec<String>>,
}

impl<'a> LeadTiers<'a> {
    /// The pooled fit's tiers.
    pub fn of(t: &'a Tuned) -> Self {
        LeadTiers {
            tiers: &t.config.tiers,
            of_lead: t.scored.tier.clone(),
            queue: None,
        }
    }
}

impl ReportTables {
    /// Writes every table into `dir` (CSV, and Parquet where analysts load it into BI tools);
    /// returns the files written, by name.
    pub fn write(&self, dir: &std::path::Path) -> Result<Vec<String>> {
        let mut written = Vec::new();
        for (stem, rows) in &self.conversion_files {
            crate::report::write_tables::write(dir, stem, rows)?;
            written.extend([format!("{stem}.csv"), format!("{stem}.parquet")]);
        }
        write_funnel(dir, &self.funnel)?;
        write_roi(dir, &self.roi)?;
        written.extend(["funnel.csv", "source_roi.csv", "source_roi.parquet"].map(String::from));
        if let Some(sla) = &self.sla {
            write_sla(dir, sla)?;
            written.push("sla_by_tier.csv".into());
        }
        Ok(written)
    }
}

/// The conversion tables (by source, campaign, quarter and tier), speed-to-lead, SLA by tier,
/// the funnel and source ROI. A lead's outcome counts only once its whole horizon is observed;
/// before that it is immature.
pub fn build(
    inputs: &Inputs,
    linked: &Linked,
    tuned: Option<&LeadTiers>,
    segments: &[String],
    min: u64,
    observer: &dyn crate::observe::Observer,
) -> Result<ReportTables> {
    use crate::report::conversion::{self, ReportLeads};
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
    let mut files: Vec<(&'static str, Vec<(String, ConversionRow)>)> = Vec::new();
    let mut kept = ReportTables::default();
    let mut keep = |dimension: &'static str, rows: &[(String, ConversionRow)]| {
        kept.conversion
            .push((dimension, rows.iter().map(|(_, r)| r.clone()).collect()));
    };
    let table = |dimension: &str, groups: &[Option<&str>]| {
        leads
            .conversion(|i| groups[i], min)
            .into_iter()
            .map(|r| (dimension.to_string(), r))
            .collect::<Vec<_>>()
    };
    for (dimension, stem) in [
        ("source", "conversion_by_source"),
        ("campaign", "conversion_by_campaign"),
    ] {
        if inputs.leads.has(dimension) {
            let rows = table(dimension, &leads.text(dimension));
            keep(dimension, &rows);
            files.push((stem, rows));
        }
    }
    observer.step("report: by source and campaign");
    // Segments: one table, one dimension per trait (the traits counted in parallel).
    let rows: Vec<(String, ConversionRow)> = {
        use rayon::prelude::*;
        let named: Vec<&String> = segments.iter().filter(|n| inputs.leads.has(n)).collect();
        named
            .par_iter()
            .map(|name| {
                let values = leads.text_of(name);
                let values: Vec<Option<&str>> = values.iter().collect();
                leads
                    .conversion(|i| values[i], min)
                    .into_iter()
                    .map(|r| ((*name).clone(), r))
                    .collect::<Vec<_>>()
            })
            .collect::<Vec<_>>()
            .into_iter()
            .flatten()
            .collect()
    };
    if !rows.is_empty() {
        // For the page, each group says which trait it is a value of.
        keep("segment", &named_groups(&rows));
        files.push(("conversion_by_segment", rows));
    }
    observer.step("report: by segment");
    if inputs.leads.has("created_at") {
        let (labels, of) = conversion::quarters(&leads.millis("created_at"));
        let quarters: Vec<Option<&str>> = of
            .iter()
            .map(|q| q.map(|q| labels[q as usize].as_str()))
            .collect();
        let rows = table("quarter", &quarters);
        keep("quarter", &rows);
        files.push(("conversion_by_quarter", rows));
    }
    observer.step("report: by quarter");
    if let Some(t) = tuned {
        let tiers: Vec<Option<&str>> = t
            .of_lead
            .iter()
            .map(|&k| t.tiers.get(k).map(|x| x.name.as_str()))
            .collect();
        let rank = |g: &str| t.tiers.iter().position(|x| x.name == g).unwrap_or(99);
        let mut rows = table("tier", &tiers);
        rows.sort_by_key(|r| rank(&r.1.group));
        keep("tier", &rows);
        files.push(("conversion_by_tier", rows));
        if let Some(queues) = &t.queue {
            let of_queue: Vec<Option<&str>> = queues.iter().map(|q| Some(q.as_str())).collect();
            let rows = table("queue", &of_queue);
            keep("queue", &rows);
            files.push(("conversion_by_queue", rows));
            // Tiers within each queue: dimension = the queue.
            let mut names: Vec<&String> = queues.iter().collect();
            names.sort();
            names.dedup();
            let mut rows = Vec::new();
            for name in names {
                let mut per = leads.conversion(|i| tiers[i].filter(|_| &queues[i] == name), min);
                per.retain(|r| r.group != "(missing)");
                per.sort_by_key(|r| rank(&r.group));
                rows.extend(per.into_iter().map(|r| (name.clone(), r)));
            }
            keep("queue and tier", &named_groups(&rows));
            files.push(("conversion_by_queue_tier", rows));
        }
    }
    observer.step("report: by tier");
    if inputs.leads.has("created_at") && inputs.leads.has("first_response_at") {
        let (created, answered) = rayon::join(
            || leads.millis("created_at"),
            || leads.millis("first_response_at"),
        );
        let buckets: Vec<Option<&str>> = created
            .iter()
            .zip(&answered)
            .map(|(c, a)| {
                let hours = a.zip(*c).map(|(a, c)| (a - c) as f64 / 3_600_000.0);
                c.map(|_| conversion::speed_bucket(hours))
            })
            .collect();
        let sources = leads.text("source");
        let mut rows = Vec::new();
        let mut all = leads.conversion(|i| buckets[i], min);
        conversion::order_speed(&mut all);
        rows.extend(all.into_iter().map(|r| ("(all sources)".to_string(), r)));
        // Each source's leads, found in one pass.
        let mut by_source: PlHashMap<&str, Vec<usize>> = PlHashMap::new();
        for (i, s) in sources.iter().enumerate() {
            if let Some(s) = s {
                by_source.entry(s).or_default().push(i);
            }
        }
        // In name order (hashed per lead, sorted once: a tree compared names per lead).
        let mut by_source: Vec<(&str, Vec<usize>)> = by_source.into_iter().collect();
        by_source.sort_unstable_by(|a, b| a.0.cmp(b.0));
        // The sources in parallel, their rows in name order.
        use rayon::prelude::*;
        let per_source: Vec<Vec<(String, ConversionRow)>> = by_source
            .into_par_iter()
            .map(|(name, of)| {
                let facts: Vec<_> = leads
                    .facts_of(of.into_iter(), |i| buckets[i])
                    .into_iter()
                    .filter(|f| f.group.is_some())
                    .collect();
                let mut per = conversion::conversion_table(&facts, min);
                conversion::order_speed(&mut per);
                per.into_iter().map(|r| (name.to_string(), r)).collect()
            })
            .collect();
        rows.extend(per_source.into_iter().flatten());
        kept.speed = rows.clone();
        files.push(("speed_to_lead", rows));
    }
    observer.step("report: speed to lead");
    (kept.funnel, kept.roi) = funnel_and_roi(inputs, linked, &leads, min, observer)?;
    observer.step("report: funnel and ROI");
    if let Some(t) = tuned
        && inputs.leads.has("created_at")
        && inputs.leads.has("first_response_at")
    {
        kept.sla = Some(sla(t, &leads));
    }
    kept.conversion_files = files;
    Ok(kept)
}

/// SLA by tier: mature leads' response against their tier's SLA.
fn sla(t: &LeadTiers, leads: &crate::report::conversion::ReportLeads) -> Vec<SlaRow> {
    use crate::report::sla::{self, Response};
    let (created, answered) = rayon::join(
        || leads.millis("created_at"),
        || leads.millis("first_response_at"),
    );
    let responses: Vec<Response> = (0..leads.outcome.len())
        .filter(|&i| !leads.existing[i])
        .filter_map(|i| {
            let won = leads.outcome[i]?;
            created[i]?;
            Some(Response {
                tier: t.of_lead[i],
                hours: answered[i]
                    .zip(created[i])
                    .map(|(a, c)| (a - c) as f64 / 3_600_000.0),
                won,
            })
        })
        .collect();
    let tiers: Vec<(String, f64)> = t
        .tiers
        .iter()
        .map(|x| (x.name.clone(), x.sla_hours))
        .collect();
    sla::sla_by_tier(&tiers, &responses)
}

/// `sla_by_tier.csv`.
fn write_sla(dir: &std::path::Path, rows: &[SlaRow]) -> Result<()> {
    let n = |v: Option<f64>| {
        v.map(crate::report::traits_table::number)
            .unwrap_or_default()
    };
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
                crate::report::traits_table::number(r.sla_hours),
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

/// Rows whose group names its dimension (`"industry: Software"`), for tables that hold several
/// dimensions in one.
fn named_groups(rows: &[(String, ConversionRow)]) -> Vec<(String, ConversionRow)> {
    rows.iter()
        .map(|(dimension, r)| {
            let mut r = r.clone();
            r.group = format!("{dimension}: {}", r.group);
            (dimension.clone(), r)
        })
        .collect()
}

/// The funnel (mature leads) and source ROI (all leads, wins so far).
fn funnel_and_roi(
    inputs: &Inputs,
    linked: &Linked,
    leads: &crate::report::conversion::ReportLeads,
    min_cell: u64,
    observer: &dyn crate::observe::Observer,
) -> Result<(Vec<FunnelRow>, Vec<RoiRow>)> {
    use crate::report::conversion::quarter;
    use crate::report::roi::{self, LeadPath};
    use std::collections::BTreeMap;
    let o = linked.outcomes.frame();
    let converted = o.column("converted")?.bool()?;
    let amounts = o.column("won_amount")?.f64()?;
    let days_to_win = o.column("days_to_win")?.f64()?;
    // First deal per lead (any status): the opportunity stage. Per lead row: None, no deal;
    // Some(created), the earliest deal's creation (None when no deal of the lead has one).
    let first_deals = || -> Result<Vec<Option<Option<i64>>>> {
        let mut first_deal: Vec<Option<Option<i64>>> = Vec::new();
        if let Some(d) = &inputs.deals {
            first_deal = vec![None; o.height()];
            let f = d.frame();
            let at: Vec<Option<i64>> = match f.column("created_at") {
                Ok(c) => c.cast(&DataType::Int64)?.i64()?.iter().collect(),
                Err(_) => vec![None; f.height()],
            };
            for (&r, t) in d.lead_rows().iter().zip(at) {
                if r == crate::ingest::NO_LEAD {
                    continue;
                }
                let e = &mut first_deal[r as usize];
                *e = Some(match (*e, t) {
                    (None, t) => t,
                    (Some(Some(a)), Some(b)) => Some(a.min(b)),
                    (Some(a), b) => a.or(b),
                });
            }
        }
        Ok(first_deal)
    };
    // The columns read at once (each a pass over every lead on one core).
    let ((created, (quarter_labels, quarters)), (((mql, sql), (sources, campaigns)), first_deal)) =
        rayon::join(
            || {
                let created = leads.millis("created_at");
                let quarters = crate::report::conversion::quarters(&created);
                (created, quarters)
            },
            || {
                rayon::join(
                    || {
                        rayon::join(
                            || (leads.millis("mql_at"), leads.millis("sql_at")),
                            || (leads.text("source"), leads.text("campaign")),
                        )
                    },
                    first_deals,
                )
            },
        );
    let first_deal = first_deal?;
    observer.step("report: funnel columns and first deals");
    let day = |from: Option<i64>, to: Option<i64>| -> Option<f64> {
        Some((to? - from?) as f64 / 86_400_000.0)
    };
    // Each lead's path, in parallel chunks of leads (each chunk's paths in their own list:
    // one list for 10M leads would be a gigabyte written twice, once to zero it on one core).
    // Columns are read by iteration over a chunk's slice (a `get(i)` per lead searches the
    // chunks each time).
    use rayon::prelude::*;
    const CHUNK: usize = 1 << 16;
    let height = o.height();
    let chunk_range = |c: usize| (c * CHUNK, ((c + 1) * CHUNK).min(height));
    // Per chunk: its leads' paths (existing customers left out), and which are mature.
    let chunks: Vec<(Vec<LeadPath>, Vec<bool>)> = (0..height.div_ceil(CHUNK))
        .into_par_iter()
        .map(|c| {
            let (lo, hi) = chunk_range(c);
            let (offset, len) = (lo as i64, hi - lo);
            let (converted, amounts, days_to_win) = (
                converted.slice(offset, len),
                amounts.slice(offset, len),
                days_to_win.slice(offset, len),
            );
            let outcome_columns = converted.iter().zip(amounts.iter()).zip(days_to_win.iter());
            let mut paths = Vec::with_capacity(len);
            let mut mature = Vec::with_capacity(len);
            for (j, ((converted, amount), days_to_win)) in outcome_columns.enumerate() {
                let i = lo + j;
                if leads.existing[i] {
                    continue;
                }
                let deal = first_deal.get(i).copied().flatten();
                mature.push(leads.outcome[i].is_some());
                paths.push(LeadPath {
                    source: sources[i],
                    campaign: campaigns[i],
                    quarter: quarters[i].map(|q| quarter_labels[q as usize].as_str()),
                    mql_days: day(created[i], mql[i]),
                    sql_days: day(created[i], sql[i]),
                    reached_mql: mql[i].is_some(),
                    reached_sql: sql[i].is_some(),
                    opportunity: deal.is_some(),
                    opportunity_days: day(created[i], deal.flatten()),
                    won: converted == Some(true),
                    won_days: days_to_win,
                    won_amount: amount.unwrap_or(0.0),
                });
            }
            (paths, mature)
        })
        .collect();
    let paths = || chunks.iter().flat_map(|(paths, _)| paths);
    observer.step("report: lead paths");
    // The funnel: mature leads, overall and by source (the sources in parallel).
    let mature: Vec<&LeadPath> = chunks
        .iter()
        .flat_map(|(paths, mature)| paths.iter().zip(mature))
        .filter(|(_, m)| **m)
        .map(|(p, _)| p)
        .collect();
    let mut by_source: PlHashMap<&str, Vec<&LeadPath>> = PlHashMap::new();
    for p in &mature {
        if let Some(s) = p.source {
            by_source.entry(s).or_default().push(p);
        }
    }
    let mut by_source: Vec<(&str, Vec<&LeadPath>)> = by_source.into_iter().collect();
    by_source.sort_unstable_by(|a, b| a.0.cmp(b.0));
    by_source.retain(|(_, of)| (of.len() as u64) >= min_cell);
    let (mut rows, per_source) = rayon::join(
        || roi::funnel("(all sources)", &mature),
        || {
            by_source
                .par_iter()
                .map(|(name, of)| roi::funnel(name, of))
                .collect::<Vec<_>>()
        },
    );
    rows.extend(per_source.into_iter().flatten());
    observer.step("report: funnel");
    // Source ROI: every lead, every spend row.
    let mut spend: BTreeMap<roi::SpendKey, f64> = BTreeMap::new();
    if let Some(s) = &inputs.spend {
        let f = s.frame();
        let source = f.column("source")?.str()?;
        let campaign = match f.column("campaign") {
            Ok(c) => Some(c.str()?.clone()),
            Err(_) => None,
        };
        let start = f.column("period_start")?.cast(&DataType::Int64)?;
        let start = start.i64()?;
        let cost = f.column("cost")?.f64()?;
        for i in 0..f.height() {
            if let (Some(s), Some(q), Some(c)) =
                (source.get(i), start.get(i).and_then(quarter), cost.get(i))
            {
                let key = roi::SpendKey {
                    source: s.to_string(),
                    campaign: campaign.as_ref().and_then(|c| c.get(i)).map(String::from),
                    quarter: q,
                };
                *spend.entry(key).or_default() += c;
            }
        }
    }
    drop(mature);
    let roi_rows = roi::source_roi(paths(), &spend, min_cell);
    Ok((rows, roi_rows))
}

/// `funnel.csv`.
fn write_funnel(dir: &std::path::Path, rows: &[FunnelRow]) -> Result<()> {
    let n = |v: Option<f64>| {
        v.map(crate::report::traits_table::number)
            .unwrap_or_default()
    };
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
    )
}

/// Source ROI as one frame: `source, campaign, period, leads, wins, revenue, cost,
/// cost_per_lead, cost_per_win, roi, average_deal, median_days_to_win, note`.
fn roi_frame(roi_rows: &[RoiRow]) -> Result<DataFrame> {
    let text = |f: &dyn Fn(&RoiRow) -> String, name: &str| {
        Column::new(name.into(), roi_rows.iter().map(f).collect::<Vec<String>>())
    };
    let num = |f: &dyn Fn(&RoiRow) -> Option<f64>, name: &str| {
        Column::new(
            name.into(),
            roi_rows.iter().map(f).collect::<Vec<Option<f64>>>(),
        )
    };
    Ok(DataFrame::new(
        roi_rows.len(),
        vec![
            text(&|r| r.source.clone(), "source"),
            text(&|r| r.campaign.clone(), "campaign"),
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
    )?)
}

/// `source_roi.csv` and `source_roi.parquet`, from [`roi_frame`].
fn write_roi(dir: &std::path::Path, roi_rows: &[RoiRow]) -> Result<()> {
    crate::report::write_tables::write_table(dir, "source_roi", &mut roi_frame(roi_rows)?, true)
}
