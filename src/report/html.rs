//! `report.html`: one self-contained page for people — the model, its tiers and SLAs, the
//! traits and points, calibration, conversion, the funnel, speed-to-lead, source ROI and data
//! quality. Rendered by minijinja with HTML auto-escaping (every value is escaped), charts
//! inlined as base64 `data:` images, CSS inline, and a Content-Security-Policy that forbids any
//! request: the page works offline and can be mailed as it is.

use std::collections::BTreeMap;
use std::path::Path;

use base64::Engine;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::fit::tune::Tuned;
use crate::ingest::Reject;
use crate::link::LinkSummary;
use crate::manifest::InputEntry;
use crate::output;
use crate::report::conversion::{ConversionTable, Of};
use crate::report::table::{PageTable, Table, fixed, thousands};
use crate::report::tables::ReportTables;
use crate::report::{model_tables, points_table, quality, traits_table};
use crate::traits::Discovery;

const TEMPLATE: &str = include_str!("../../templates/report.html");

/// A chart as the page shows it: the SVG file's bytes, inlined.
pub struct PageChart {
    pub stem: String,
    pub title: String,
    pub svg: String,
}

/// Everything the page is made from.
pub struct PageInputs<'a> {
    pub entries: &'a [InputEntry],
    pub rejects: &'a [Reject],
    pub link: &'a LinkSummary,
    pub discovery: Option<&'a Discovery>,
    pub tuned: Option<&'a Tuned>,
    pub tables: &'a ReportTables,
    pub charts: &'a [PageChart],
    pub min_cell: u64,
    /// What the run could not do, said on the page.
    pub notes: Vec<String>,
}

#[derive(Serialize)]
struct Page {
    as_of: String,
    version: &'static str,
    headline: Vec<(String, String)>,
    model: Option<Model>,
    tiers: PageTable,
    queues: PageTable,
    warnings: Vec<String>,
    notes: Vec<String>,
    charts: BTreeMap<String, Chart>,
    traits: PageTable,
    excluded: PageTable,
    points: PageTable,
    calibration: PageTable,
    conversion: Vec<Section>,
    funnel: PageTable,
    speed: PageTable,
    sla: PageTable,
    sla_assumption: String,
    roi: PageTable,
    inputs: PageTable,
    reasons: PageTable,
    outcome: Vec<(String, String)>,
    min_cell: u64,
}

#[derive(Serialize)]
struct Model {
    description: String,
    decay: String,
    traits: usize,
    auc: String,
    train_auc: String,
    ks: String,
    brier: String,
    split: String,
    window: String,
    validation_leads: String,
}

#[derive(Serialize)]
struct Chart {
    title: String,
    src: String,
}

/// A conversion table on the page.
#[derive(Serialize)]
struct Section {
    title: String,
    table: PageTable,
}

/// A table of the fit's, as the page shows it (nothing without a fit).
fn of_fit<'t, R>(
    tuned: Option<&'t Tuned>,
    table: impl Fn(&'t Tuned) -> Result<Table<R>>,
) -> Result<PageTable> {
    tuned.map_or(Ok(PageTable::default()), |t| table(t)?.page())
}

fn page(p: &PageInputs) -> Result<Page> {
    let link = p.link;
    let mut headline = vec![
        ("leads used".to_string(), thousands(link.leads as f64)),
        ("converted".to_string(), thousands(link.converted as f64)),
        (
            "still maturing".to_string(),
            thousands(link.immature as f64),
        ),
        (
            "existing customers".to_string(),
            thousands(link.existing_customers as f64),
        ),
        (
            "rows rejected".to_string(),
            thousands(p.rejects.len() as f64),
        ),
    ];
    let mut warnings = Vec::new();
    let model = p.tuned.map(|t| {
        let e = &t.evaluation;
        warnings.extend(e.warnings.iter().cloned());
        warnings.extend(t.notes.iter().cloned());
        headline.insert(
            0,
            ("validation AUC".to_string(), fixed(e.validation.auc, 3)),
        );
        let w = &t.config.training;
        let decay =
            p.discovery
                .and_then(|d| d.decay.as_ref())
                .map_or("not fitted".to_string(), |d| {
                    format!(
                        "an activity counts half after {:.1} days (95% interval {:.1} to {:.1})",
                        d.spec.half_life_days, d.spec.half_life_low, d.spec.half_life_high
                    )
                });
        Model {
            decay,
            description: format!(
                "A points scorecard: {} base points plus points per trait bin, {} points double \
                 the odds of winning; a lead's score is the sum and its tier follows from the \
                 score.",
                t.config.base_points, t.config.scaling.points_to_double_odds
            ),
            traits: t.config.traits.len(),
            auc: fixed(e.validation.auc, 3),
            train_auc: fixed(e.train.auc, 3),
            ks: fixed(e.validation.ks, 3),
            brier: fixed(e.validation.brier, 4),
            split: e.split.clone(),
            window: match (&w.from, &w.to) {
                (Some(f), Some(t)) => {
                    format!("{} to {}", &f[..f.len().min(10)], &t[..t.len().min(10)])
                }
                _ => "-".into(),
            },
            validation_leads: format!(
                "{} leads, {} wins",
                thousands(e.validation.leads as f64),
                thousands(e.validation.wins as f64)
            ),
        }
    });
    let conversion = p
        .tables
        .conversion
        .iter()
        .filter_map(|c| match c.of {
            Of::Dimension(d) | Of::Dimensions(d) => Some((d, c)),
            Of::Speed => None,
        })
        .map(|(dimension, c)| {
            Ok(Section {
                title: format!("Conversion by {dimension}"),
                table: c.table.page()?,
            })
        })
        .collect::<Result<_>>()?;
    let speed = match p.tables.speed() {
        Some(s) => s.table.page()?,
        // No response times: the table's columns, no rows.
        None => ConversionTable::new("speed_to_lead", Of::Speed, Vec::new())?
            .table
            .page()?,
    };
    let sla = p.tables.sla.as_ref().map(Table::page).transpose()?;
    let mut outcome = vec![
        (
            "outcome horizon".to_string(),
            format!("{} days", link.horizon_days),
        ),
        (
            "leads still maturing (not counted as lost)".to_string(),
            thousands(link.immature as f64),
        ),
        (
            "young leads already won (kept out of fitting)".to_string(),
            thousands(link.young_converted as f64),
        ),
        (
            "wins after the horizon (counted as not converted)".to_string(),
            thousands(link.won_after_horizon as f64),
        ),
        (
            "existing customers found (kept out of the model)".to_string(),
            thousands(link.existing_customers as f64),
        ),
    ];
    for (rule, n) in &link.existing_customers_by_rule {
        outcome.push((format!("  matched by {rule}"), thousands(*n as f64)));
    }
    let mut notes = p.notes.clone();
    notes.extend(link.notes.iter().cloned());
    let charts = p
        .charts
        .iter()
        .map(|c| {
            let data = base64::engine::general_purpose::STANDARD.encode(c.svg.as_bytes());
            (
                c.stem.clone(),
                Chart {
                    title: c.title.clone(),
                    src: format!("data:image/svg+xml;base64,{data}"),
                },
            )
        })
        .collect();
    Ok(Page {
        as_of: link.as_of.clone().unwrap_or_else(|| "-".into()),
        version: env!("CARGO_PKG_VERSION"),
        headline,
        model,
        tiers: of_fit(p.tuned, model_tables::tiers)?,
        queues: of_fit(p.tuned, model_tables::queues)?,
        warnings,
        notes,
        charts,
        traits: traits_table::kept(p.discovery)?.page()?,
        excluded: traits_table::excluded(p.discovery)?.page()?,
        points: of_fit(p.tuned, points_table::table)?,
        calibration: of_fit(p.tuned, model_tables::calibration)?,
        conversion,
        funnel: p.tables.funnel.page()?,
        speed,
        sla: sla.unwrap_or_default(),
        sla_assumption: "Wins lost assume that breached leads would have converted like those \
                         answered within the SLA: an association, not a causal estimate."
            .into(),
        roi: p.tables.roi.page()?,
        inputs: quality::inputs(p.entries)?.page()?,
        reasons: quality::reasons(p.rejects)?.page()?,
        outcome,
        min_cell: p.min_cell,
    })
}

/// Renders the page as a string.
pub fn render(p: &PageInputs) -> Result<String> {
    let mut env = minijinja::Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::SemiStrict);
    let template = env
        .template_from_named_str("report.html", TEMPLATE)
        .map_err(|e| Error::Internal(format!("report template: {e:#}")))?;
    template
        .render(minijinja::value::Serde(page(p)?))
        .map_err(|e| Error::Internal(format!("report template: {e:#}")))
}

/// Writes the page to `path`.
pub fn write(path: &Path, p: &PageInputs) -> Result<()> {
    let html = render(p)?;
    output::write_atomic(path, |w| w.write_all(html.as_bytes()))
}
