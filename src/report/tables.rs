//! The report tables a run writes: conversion by source, campaign, segment, quarter, tier and
//! queue; speed-to-lead; SLA by tier; the funnel; source ROI. Each is one [`Table`], written
//! from its frame in CSV (formula-safe) and, where analysts load them into BI tools, Parquet,
//! and shown from the same frame on the page.

use polars::prelude::{DataType, InitHashMaps, PlHashMap};

use crate::error::Result;
use crate::fit::tune::Tuned;
use crate::ingest::Inputs;
use crate::link::Linked;
use crate::report::conversion::{ALL_SOURCES, ConversionRow, ConversionTable, Of};
use crate::report::roi::{self, FunnelRow, RoiRow};
use crate::report::sla::{self, SlaRow};
use crate::report::table::Table;

/// The report tables of a run, each defined once and written from its frame by
/// [`ReportTables::write`]; the charts draw their rows, `report.html` shows their frames.
pub struct ReportTables {
    /// The conversion tables (by source, campaign, segment, quarter, tier, queue, and queue and
    /// tier, as the run has them), then speed-to-lead; in the order written.
    pub conversion: Vec<ConversionTable>,
    /// SLA by tier (None: no tiers or no response times, and no `sla_by_tier.csv`).
    pub sla: Option<Table<SlaRow>>,
    pub funnel: Table<FunnelRow>,
    pub roi: Table<RoiRow>,
}

impl ReportTables {
    /// One dimension's conversion rows, if the run has that dimension.
    pub fn conversion_by(&self, dimension: &str) -> Option<Vec<&ConversionRow>> {
        self.conversion
            .iter()
            .find(|c| matches!(c.of, Of::Dimension(d) if d == dimension))
            .map(|c| c.rows().collect())
    }

    /// Speed-to-lead, if the run has response times.
    pub fn speed(&self) -> Option<&ConversionTable> {
        self.conversion.iter().find(|c| c.of == Of::Speed)
    }

    /// Writes every table into `dir` (CSV, and Parquet where analysts load it into BI tools);
    /// returns the files written, by name.
    pub fn write(&self, dir: &std::path::Path) -> Result<Vec<String>> {
        let mut written = Vec::new();
        for c in &self.conversion {
            c.table.write(dir, c.stem, true)?;
            written.extend([format!("{}.csv", c.stem), format!("{}.parquet", c.stem)]);
        }
        self.funnel.write(dir, "funnel", false)?;
        self.roi.write(dir, "source_roi", true)?;
        written.extend(["funnel.csv", "source_roi.csv", "source_roi.parquet"].map(String::from));
        if let Some(sla) = &self.sla {
            sla.write(dir, "sla_by_tier", false)?;
            written.push("sla_by_tier.csv".into());
        }
        Ok(written)
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
    let mut conversion: Vec<ConversionTable> = Vec::new();
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
            conversion.push(ConversionTable::new(stem, Of::Dimension(dimension), rows)?);
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
        conversion.push(ConversionTable::new(
            "conversion_by_segment",
            Of::Dimensions("segment"),
            rows,
        )?);
    }
    observer.step("report: by segment");
    if inputs.leads.has("created_at") {
        let (labels, of) = conversion::quarters(&leads.millis("created_at"));
        let quarters: Vec<Option<&str>> = of
            .iter()
            .map(|q| q.map(|q| labels[q as usize].as_str()))
            .collect();
        let rows = table("quarter", &quarters);
        conversion.push(ConversionTable::new(
            "conversion_by_quarter",
            Of::Dimension("quarter"),
            rows,
        )?);
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
        conversion.push(ConversionTable::new(
            "conversion_by_tier",
            Of::Dimension("tier"),
            rows,
        )?);
        if let Some(queues) = &t.queue {
            let of_queue: Vec<Option<&str>> = queues.iter().map(|q| Some(q.as_str())).collect();
            let rows = table("queue", &of_queue);
            conversion.push(ConversionTable::new(
                "conversion_by_queue",
                Of::Dimension("queue"),
                rows,
            )?);
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
            conversion.push(ConversionTable::new(
                "conversion_by_queue_tier",
                Of::Dimensions("queue and tier"),
                rows,
            )?);
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
        rows.extend(all.into_iter().map(|r| (ALL_SOURCES.to_string(), r)));
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
        conversion.push(ConversionTable::new("speed_to_lead", Of::Speed, rows)?);
    }
    observer.step("report: speed to lead");
    let (funnel, roi) = funnel_and_roi(inputs, linked, &leads, min, observer)?;
    observer.step("report: funnel and ROI");
    let sla = match tuned {
        Some(t) if inputs.leads.has("created_at") && inputs.leads.has("first_response_at") => {
            Some(sla::sla_table(sla_rows(t, &leads))?)
        }
        _ => None,
    };
    Ok(ReportTables {
        conversion,
        sla,
        funnel: roi::funnel_table(funnel)?,
        roi: roi::roi_table(roi)?,
    })
}

/// SLA by tier: mature leads' response against their tier's SLA.
fn sla_rows(t: &LeadTiers, leads: &crate::report::conversion::ReportLeads) -> Vec<SlaRow> {
    use crate::report::sla::Response;
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

/// The funnel (mature leads) and source ROI (all leads, wins so far).
fn funnel_and_roi(
    inputs: &Inputs,
    linked: &Linked,
    leads: &crate::report::conversion::ReportLeads,
    min_cell: u64,
    observer: &dyn crate::observe::Observer,
) -> Result<(Vec<FunnelRow>, Vec<RoiRow>)> {
    use crate::report::conversion::quarter;
    use crate::report::roi::LeadPath;
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
        || roi::funnel(ALL_SOURCES, &mature),
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
