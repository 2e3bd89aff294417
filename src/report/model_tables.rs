//! The fitted model's tables on the page: its tiers with their SLAs, its queues, and its
//! calibration by decile (each also in `scoring-config.json` or `evaluation.json`).

use crate::error::Result;
use crate::evaluate::TierResult;
use crate::evaluate::metrics::Band;
use crate::fit::tune::Tuned;
use crate::report::table::{Align, FrameRow, Show, Table};
use crate::scoring::export::{ConfigTier, QueueModel};

/// The tiers: score, share of leads, expected conversion, lift and SLA.
pub fn tiers(t: &Tuned) -> Result<Table<(&ConfigTier, &TierResult)>> {
    let rows = t.config.tiers.iter().zip(&t.evaluation.tiers).collect();
    Table::new(rows, |t| {
        t.column("tier", |(c, _)| c.name.as_str())
            .show("Tier", Show::Text)
            .column("min_score", |(c, _)| c.min_score)
            .show("Score", Show::Row(at_least, Align::Number))
            .column("share_cut_for", |(c, _)| c.share_of_leads)
            .show("Cut for", Show::Percent)
            .column("share", |(_, r)| r.share)
            .show("Validation leads", Show::Percent)
            .column("expected_conversion", |(c, _)| c.expected_conversion)
            .show("Expected conversion", Show::Percent)
            .column("conversion_low", |(c, _)| c.conversion_low)
            .show("95% interval", Show::Interval("conversion_high"))
            .column("conversion_high", |(c, _)| c.conversion_high)
            .column("lift", |(_, r)| r.lift)
            .show("Lift", Show::Fixed(2))
            .column("sla_hours", |(c, _)| c.sla_hours)
            .show("SLA", Show::Hours)
            .column("escalation", |(c, _)| c.escalation.as_str())
            .show("When the SLA is missed", Show::Text)
    })
}

/// `≥ 40`; the last tier takes the rest.
fn at_least(r: &FrameRow) -> Result<String> {
    Ok(r.whole("min_score")?
        .map_or("(the rest)".into(), |s| format!("≥ {s}")))
}

/// The queues: which leads each takes, its model, training leads and validation AUC.
pub fn queues(t: &Tuned) -> Result<Table<&QueueModel>> {
    Table::new(t.config.queues.iter().collect(), |t| {
        t.column("queue", |q| q.name.as_str())
            .show("Queue", Show::Text)
            .column("rule", |q| {
                q.when
                    .iter()
                    .map(|(c, v)| format!("{c} in ({})", v.join(", ")))
                    .collect::<Vec<_>>()
                    .join(" and ")
            })
            .show("Leads it takes", Show::Text)
            .column("own_model", |q| q.own_model)
            .show("Model", Show::Flag("its own", "the pooled one"))
            .column("training_leads", |q| q.training_leads)
            .show("Training leads", Show::Thousands("-"))
            .column("training_wins", |q| q.training_wins)
            .show("Wins", Show::Thousands("-"))
            .column("validation_auc", |q| q.validation_auc)
            .show("Validation AUC", Show::Fixed(3))
            .column("note", |q| q.note.as_str())
            .show("Note", Show::Text)
    })
}

/// Calibration by decile of the validation leads: predicted and observed conversion.
pub fn calibration(t: &Tuned) -> Result<Table<&Band>> {
    Table::new(t.evaluation.calibration_by_decile.iter().collect(), |t| {
        t.column("band", |b| b.band as u64)
            .show("Decile", Show::Whole)
            .column("predicted", |b| b.predicted)
            .show("Predicted", Show::Percent)
            .column("rate", |b| b.rate)
            .show("Observed", Show::Percent)
            .column("rate_low", |b| b.rate_low)
            .show("95% interval", Show::Interval("rate_high"))
            .column("rate_high", |b| b.rate_high)
            .column("leads", |b| b.leads)
            .show("Leads", Show::Thousands("-"))
    })
}
