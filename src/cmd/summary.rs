//! What a run says on the console when it is done: every input row accounted for, the
//! outcome, the traits by information value and the best customers' profile, what was kept
//! out of the model, the fit's validation and tiers, and where the outputs are.

use std::io::Write;

use crate::config::Settings;
use crate::fit::tune::Tuned;
use crate::link::LinkSummary;
use crate::manifest::InputEntry;
use crate::pipeline::Outputs;
use crate::traits::Discovery;
use crate::traits::leakage::Flag;

/// Prints the run's summary to standard output.
pub fn print(settings: &Settings, outputs: &Outputs, written: &[String]) {
    print_widespread(&widespread(outputs));
    print_accounting(&outputs.inputs, &outputs.outcome);
    if let Some(d) = &outputs.discovery {
        print_traits(d, settings.outcome.best_customers_top_percent);
    }
    if let Some(t) = outputs.tuned() {
        print_fit(t);
        print_queues(&t.config.queues);
    }
    print_outputs(settings, written);
}

/// The reasons that rejected more than 5% of a table's rows ([`crate::ingest::widespread`]).
pub fn widespread(outputs: &Outputs) -> Vec<crate::ingest::Widespread> {
    let read: Vec<_> = outputs
        .inputs
        .iter()
        .map(|e| (e.table, e.rows_read))
        .collect();
    crate::ingest::widespread(&read, &outputs.rejects)
}

/// First of all: the reasons that rejected a large share of a table.
fn print_widespread(widespread: &[crate::ingest::Widespread]) {
    let mut out = std::io::stdout().lock();
    for w in widespread {
        let _ = writeln!(out, "WARNING: {w}");
    }
    if !widespread.is_empty() {
        let _ = writeln!(out);
    }
}

/// Every input's rows, and the outcome.
fn print_accounting(entries: &[InputEntry], s: &LinkSummary) {
    let mut out = std::io::stdout().lock();
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
             {:.1}), fitted on {} training leads (engagement_decay.json); trait {}",
            s.half_life_days,
            s.half_life_low,
            s.half_life_high,
            decay.train_leads,
            crate::traits::decay::TRAIT
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
        let mut profile: Vec<(&str, &crate::traits::binning::Bin)> = d
            .usable()
            .flat_map(|t| t.bins.iter().map(move |b| (t.name.as_str(), b)))
            .filter(|(_, b)| {
                b.best >= 5
                    && b.best_lift >= 1.5
                    && b.rule != crate::traits::binning::BinRule::Missing
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
        profile.retain(|(name, _)| match crate::fit::model::window_family(name) {
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
        for v in &flagged {
            let _ = writeln!(out, "  {:<28} {:<9} {}", v.name, v.flag.as_str(), v.reason);
        }
        let leaky: Vec<String> = flagged
            .iter()
            .filter(|v| v.flag == Flag::Leaky)
            .map(|v| format!("{:?}", v.name))
            .collect();
        if !leaky.is_empty() {
            let _ = writeln!(
                out,
                "  why: a column this telling on its own is usually filled in during or after \
                 the sale, so it is not known when a new lead is scored and the model would \
                 promise what it cannot deliver. If it is known before scoring, keep it: \
                 [traits] allow_leaky = [{}]",
                leaky.join(", ")
            );
        }
    }
    for note in &d.notes {
        let _ = writeln!(out, "note: {note}");
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
    for w in &e.warnings {
        let _ = writeln!(out, "warning: {w}");
    }
    for n in &t.notes {
        let _ = writeln!(out, "note: {n}");
    }
}

/// One line per queue: its own model or the pooled one, and why.
fn print_queues(queues: &[crate::scoring::export::QueueModel]) {
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
