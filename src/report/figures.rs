//! The run's charts: what each shows, drawn from the report tables, the trait table and the
//! fit's evaluation, written to `charts/<stem>.png` and `.svg` and inlined into `report.html`.

use std::path::Path;

use crate::error::{Error, Result};
use crate::fit::tune::Tuned;
use crate::report::charts::{Bar, CalPoint, Chart, ChartError, Format, Series, render};
use crate::report::conversion::ConversionRow;
use crate::report::html::PageChart;
use crate::report::table::thousands;
use crate::report::tables::ReportTables;
use crate::traits::Discovery;
use crate::traits::leakage::Flag;

/// A conversion row as a bar with its interval; suppressed rows have no bar.
fn conversion_bar(r: &ConversionRow) -> Option<Bar> {
    let rate = r.conversion?;
    let mut bar =
        Bar::new(r.group.clone(), rate).with_annotation(format!("n={}", thousands(r.leads as f64)));
    if let (Some(lo), Some(hi)) = (r.conversion_low, r.conversion_high) {
        bar = bar.with_interval(lo, hi);
    }
    Some(bar)
}

/// Conversion over all the rows shown: total wins / total leads.
fn overall(rows: &[&ConversionRow]) -> Option<(f64, String)> {
    let leads: u64 = rows.iter().map(|r| r.leads).sum();
    let wins: u64 = rows.iter().map(|r| r.wins).sum();
    (leads > 0).then(|| {
        let rate = wins as f64 / leads as f64;
        (rate, format!("overall {:.1}%", rate * 100.0))
    })
}

/// The charts this run can draw, as (stem, chart).
fn charts(
    tables: &ReportTables,
    discovery: Option<&Discovery>,
    tuned: Option<&Tuned>,
) -> Result<Vec<(&'static str, Chart)>> {
    let mut out = Vec::new();
    if let Some(rows) = tables.conversion_by("source") {
        let mut bars: Vec<Bar> = rows.iter().copied().filter_map(conversion_bar).collect();
        bars.sort_by(|a, b| b.value.total_cmp(&a.value));
        out.push((
            "conversion_by_source",
            Chart::HBar {
                title: "Conversion by lead source".into(),
                subtitle: Some("mature leads; whiskers: 95% Wilson interval".into()),
                x_label: "Conversion rate (%)".into(),
                bars,
                format: Format::Percent,
                reference: overall(&rows),
                muted_note: None,
            },
        ));
    }
    if let Some(rows) = tables.conversion_by("quarter") {
        let points = rows
            .iter()
            .filter_map(|r| conversion_bar(r).map(|b| b.with_muted(!r.cohort_complete)))
            .collect();
        out.push((
            "conversion_by_quarter",
            Chart::Line {
                title: "Conversion by quarter of lead creation".into(),
                subtitle: Some(
                    "hollow points: leads still maturing, the rate may still rise".into(),
                ),
                x_label: "Quarter the lead was created".into(),
                y_label: "Conversion rate (%)".into(),
                points,
                format: Format::Percent,
                muted_note: Some("cohort still maturing".into()),
            },
        ));
    }
    if let Some(rows) = tables.conversion_by("tier") {
        out.push((
            "conversion_by_tier",
            Chart::Columns {
                title: "Conversion by tier".into(),
                subtitle: Some("all mature leads scored by the new model".into()),
                x_label: "Tier".into(),
                y_label: "Conversion rate (%)".into(),
                bars: rows.iter().copied().filter_map(conversion_bar).collect(),
                format: Format::Percent,
                reference: overall(&rows),
                muted_note: None,
            },
        ));
    }
    // Speed-to-lead, the funnel and ROI: the rows the page shows (all sources; whole history).
    let speed: Vec<&ConversionRow> = match tables.speed() {
        Some(s) => s.table.shown()?.into_iter().map(|(_, r)| r).collect(),
        None => Vec::new(),
    };
    if !speed.is_empty() {
        out.push((
            "speed_to_lead",
            Chart::Columns {
                title: "Speed-to-lead: conversion by time to first response".into(),
                subtitle: Some("mature leads, all sources; whiskers: 95% interval".into()),
                x_label: "Time from lead creation to first response".into(),
                y_label: "Conversion rate (%)".into(),
                bars: speed.iter().copied().filter_map(conversion_bar).collect(),
                format: Format::Percent,
                reference: overall(&speed),
                muted_note: None,
            },
        ));
    }
    let funnel: Vec<Bar> = tables
        .funnel
        .shown()?
        .into_iter()
        .map(|r| {
            let bar = Bar::new(r.stage, r.leads as f64);
            match r.stage_conversion {
                Some(c) => bar.with_annotation(format!("{:.0}% of previous", c * 100.0)),
                None => bar,
            }
        })
        .collect();
    if !funnel.is_empty() {
        out.push((
            "funnel",
            Chart::HBar {
                title: "Funnel: leads reaching each stage".into(),
                subtitle: Some("mature leads, all sources; stages as the CRM records them".into()),
                x_label: "Leads".into(),
                bars: funnel,
                format: Format::Count,
                reference: None,
                muted_note: None,
            },
        ));
    }
    let mut roi: Vec<Bar> = tables
        .roi
        .shown()?
        .into_iter()
        .filter_map(|r| {
            let v = r.roi?;
            Some(
                Bar::new(r.source.clone(), v)
                    .with_annotation(format!("cost {}", thousands(r.cost.unwrap_or(0.0)))),
            )
        })
        .collect();
    if !roi.is_empty() {
        roi.sort_by(|a, b| b.value.total_cmp(&a.value));
        out.push((
            "roi_by_source",
            Chart::HBar {
                title: "Return on marketing spend by source".into(),
                subtitle: Some(
                    "ROI = (won revenue - cost) / cost, whole history; sources with spend".into(),
                ),
                x_label: "ROI (%)".into(),
                bars: roi,
                format: Format::Percent,
                reference: Some((0.0, "break-even".into())),
                muted_note: None,
            },
        ));
    }
    if let Some(d) = discovery {
        let mut ivs: Vec<(f64, &str)> = d
            .table
            .traits
            .iter()
            .zip(&d.verdicts)
            .filter(|(_, v)| v.flag == Flag::Ok)
            .map(|(t, _)| (t.iv, t.name.as_str()))
            .collect();
        ivs.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
        let bars = ivs
            .iter()
            .take(20)
            .map(|(iv, name)| Bar::new(*name, *iv))
            .collect();
        out.push((
            "trait_iv",
            Chart::HBar {
                title: "Traits ranked by information value".into(),
                subtitle: Some(format!(
                    "the {} strongest of {} usable traits; below 0.02 a trait does not separate \
                     wins from losses",
                    ivs.len().min(20),
                    ivs.len()
                )),
                x_label: "Information value (IV)".into(),
                bars,
                format: Format::Number(3),
                reference: Some((0.02, "0.02: useless below".into())),
                muted_note: None,
            },
        ));
    }
    if let Some(t) = tuned {
        let e = &t.evaluation;
        out.push((
            "lift_by_decile",
            Chart::Columns {
                title: "Lift by score decile (validation leads)".into(),
                subtitle: Some(
                    "decile 1 = highest scores; lift = decile conversion / average".into(),
                ),
                x_label: "Score decile".into(),
                y_label: "Lift (x average conversion)".into(),
                bars: e
                    .lift_by_decile
                    .iter()
                    .map(|b| {
                        Bar::new(b.band.to_string(), b.lift)
                            .with_annotation(format!("{:.1}%", b.rate * 100.0))
                    })
                    .collect(),
                format: Format::Ratio,
                reference: Some((1.0, "average".into())),
                muted_note: None,
            },
        ));
        out.push((
            "calibration",
            Chart::Calibration {
                title: "Calibration: predicted against observed conversion".into(),
                subtitle: Some(
                    "validation leads in deciles of predicted probability; on the diagonal, \
                     predictions are right"
                        .into(),
                ),
                x_label: "Predicted probability of winning (%)".into(),
                y_label: "Observed conversion (%)".into(),
                points: e
                    .calibration_by_decile
                    .iter()
                    .map(|b| CalPoint {
                        predicted: b.predicted,
                        observed: b.rate,
                        lo: Some(b.rate_low),
                        hi: Some(b.rate_high),
                        n: b.leads as u64,
                    })
                    .collect(),
            },
        ));
        if let Some(chart) = discovery.and_then(|d| score_distribution(t, d)) {
            out.push(("score_distribution", chart));
        }
    }
    Ok(out)
}

/// Validation leads' scores, won against not won, each as shares of its own group.
fn score_distribution(t: &Tuned, d: &Discovery) -> Option<Chart> {
    let population = &d.binned;
    let mut groups: [Vec<i64>; 2] = [Vec::new(), Vec::new()];
    // The validated model's scores: with a refit, the deployed one has seen these leads.
    for (&i, &score) in t.split.validation.iter().zip(&t.validation_scores) {
        let Some(&won) = population.won.get(i) else {
            continue;
        };
        groups[usize::from(won)].push(score);
    }
    let all = groups.iter().flatten();
    let (Some(&lo), Some(&hi)) = (all.clone().min(), all.max()) else {
        return None;
    };
    let bins = 20usize;
    let width = (((hi - lo + 1) as f64) / bins as f64).ceil().max(1.0);
    let edges: Vec<f64> = (0..=bins).map(|k| lo as f64 + width * k as f64).collect();
    let series = [(1, "won"), (0, "not won")]
        .into_iter()
        .map(|(g, name)| {
            let mut values = vec![0.0; bins];
            for &s in &groups[g] {
                let k = (((s - lo) as f64) / width) as usize;
                values[k.min(bins - 1)] += 1.0;
            }
            let n = groups[g].len().max(1) as f64;
            values.iter_mut().for_each(|v| *v /= n);
            Series {
                name: format!("{name} (n={})", thousands(groups[g].len() as f64)),
                values,
            }
        })
        .collect();
    Some(Chart::Histogram {
        title: "Score distribution by outcome (validation leads)".into(),
        subtitle: Some("each outcome as shares of its own leads; apart is better".into()),
        x_label: "Score (points)".into(),
        y_label: "Share of the outcome's leads (%)".into(),
        edges,
        series,
        format: Format::Percent,
        x_format: Format::Number(0),
    })
}

/// Draws every chart into `charts_dir` and returns them for the page.
pub fn write(
    charts_dir: &Path,
    tables: &ReportTables,
    discovery: Option<&Discovery>,
    tuned: Option<&Tuned>,
) -> Result<Vec<PageChart>> {
    let mut page = Vec::new();
    for (stem, chart) in charts(tables, discovery, tuned)? {
        let (_, svg) = render(&chart, charts_dir, stem).map_err(chart_error)?;
        let svg = std::fs::read_to_string(&svg).map_err(|e| Error::io(&svg, e))?;
        page.push(PageChart {
            stem: stem.to_string(),
            title: chart.title().to_string(),
            svg,
        });
    }
    Ok(page)
}

/// A chart that cannot be written (a full disk, no permission) is the user's to fix (exit 1);
/// one that cannot be drawn is ours (exit 3).
fn chart_error(e: ChartError) -> Error {
    match e {
        ChartError::Io { path, source, .. } => Error::io(path, source),
        other => Error::Internal(format!("charts: {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_not_written_is_the_users_and_one_not_drawn_ours() {
        let full = chart_error(ChartError::Io {
            chart: "roc".into(),
            path: "out/charts/.roc.partial.png".into(),
            source: std::io::Error::from_raw_os_error(libc::ENOSPC),
        });
        assert_eq!(full.exit_code(), crate::error::EXIT_USER);
        assert!(full.to_string().contains("roc.partial.png"), "{full}");
        let drawn = chart_error(ChartError::Draw {
            chart: "roc".into(),
            message: "boom".into(),
        });
        assert_eq!(drawn.exit_code(), crate::error::EXIT_INTERNAL);
    }
}
