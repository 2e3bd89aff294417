//! `leadtune diff OLD NEW`: what changed between two scoring configs, for people (or `--json`).

use std::collections::BTreeMap;
use std::io::Write;

use serde::Serialize;

use crate::cli::DiffArgs;
use crate::error::Result;
use crate::ingest;
use crate::scoring;
use crate::scoring::export::{self, ScoringConfig, TraitKind};
use crate::traits::binning::TraitValues;

/// One bin whose points changed.
#[derive(Debug, Clone, Serialize)]
pub struct PointChange {
    pub r#trait: String,
    pub bin: String,
    pub old: Option<i64>,
    pub new: Option<i64>,
    pub change: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct TierChange {
    pub tier: String,
    pub old_min_score: Option<i64>,
    pub new_min_score: Option<i64>,
    pub old_sla_hours: Option<f64>,
    pub new_sla_hours: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ConfigDiff {
    /// Each config's `valid_from` and content hash.
    pub valid_from: (Option<String>, Option<String>),
    pub content_sha256: (Option<String>, Option<String>),
    pub base_points: (i64, i64),
    pub traits_added: Vec<String>,
    pub traits_removed: Vec<String>,
    /// Sorted by the size of the change, largest first.
    pub points: Vec<PointChange>,
    pub tiers: Vec<TierChange>,
    /// With `--leads`: old tier -> new tier -> leads.
    pub tier_moves: Option<BTreeMap<String, BTreeMap<String, u64>>>,
    pub leads_changing_tier: Option<u64>,
    /// The configs used although edited after leadtune wrote them (`--allow-edited`): `old`,
    /// `new` or both.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub edited: Vec<String>,
}

/// Compares two configs bin by bin (bins matched by trait and label).
pub fn diff(old: &ScoringConfig, new: &ScoringConfig) -> ConfigDiff {
    let names =
        |c: &ScoringConfig| -> Vec<String> { c.traits.iter().map(|t| t.name.clone()).collect() };
    let (old_names, new_names) = (names(old), names(new));
    let mut points = Vec::new();
    let bins = |c: &ScoringConfig| -> BTreeMap<(String, String), i64> {
        c.traits
            .iter()
            .flat_map(|t| {
                t.bins
                    .iter()
                    .map(move |b| ((t.name.clone(), b.label.clone()), b.points))
            })
            .collect()
    };
    let (old_bins, new_bins) = (bins(old), bins(new));
    let keys: std::collections::BTreeSet<&(String, String)> =
        old_bins.keys().chain(new_bins.keys()).collect();
    for key in keys {
        let (o, n) = (old_bins.get(key).copied(), new_bins.get(key).copied());
        if o != n {
            points.push(PointChange {
                r#trait: key.0.clone(),
                bin: key.1.clone(),
                old: o,
                new: n,
                change: n.unwrap_or(0) - o.unwrap_or(0),
            });
        }
    }
    points.sort_by(|a, b| {
        b.change
            .abs()
            .cmp(&a.change.abs())
            .then(a.r#trait.cmp(&b.r#trait))
            .then(a.bin.cmp(&b.bin))
    });
    // The new config's tier order (hot first), then tiers only the old one has.
    let mut tier_names: Vec<&str> = Vec::new();
    for t in new.tiers.iter().chain(&old.tiers) {
        if !tier_names.contains(&t.name.as_str()) {
            tier_names.push(t.name.as_str());
        }
    }
    let tiers = tier_names
        .into_iter()
        .map(|name| {
            let find = |c: &ScoringConfig| c.tiers.iter().find(|t| t.name == name).cloned();
            let (o, n) = (find(old), find(new));
            TierChange {
                tier: name.to_string(),
                old_min_score: o.as_ref().and_then(|t| t.min_score),
                new_min_score: n.as_ref().and_then(|t| t.min_score),
                old_sla_hours: o.map(|t| t.sla_hours),
                new_sla_hours: n.map(|t| t.sla_hours),
            }
        })
        .collect();
    ConfigDiff {
        valid_from: (old.valid_from.clone(), new.valid_from.clone()),
        content_sha256: (old.content_sha256.clone(), new.content_sha256.clone()),
        base_points: (old.base_points, new.base_points),
        traits_added: new_names
            .iter()
            .filter(|n| !old_names.contains(n))
            .cloned()
            .collect(),
        traits_removed: old_names
            .iter()
            .filter(|n| !new_names.contains(n))
            .cloned()
            .collect(),
        points,
        tiers,
        tier_moves: None,
        leads_changing_tier: None,
        edited: Vec::new(),
    }
}

pub fn run(args: &DiffArgs, observer: &dyn crate::observe::Observer) -> Result<()> {
    let old = export::read(&args.old, args.allow_edited)?;
    let new = export::read(&args.new, args.allow_edited)?;
    let edited: Vec<String> = [("old", &old, &args.old), ("new", &new, &args.new)]
        .iter()
        .filter(|(_, loaded, _)| loaded.edited)
        .map(|(which, _, path)| {
            let _ = writeln!(
                std::io::stderr().lock(),
                "warning: {} was edited after leadtune wrote it (its content_sha256 does not \
                 match); compared because of --allow-edited",
                path.display()
            );
            which.to_string()
        })
        .collect();
    let (old, new) = (old.config, new.config);
    let mut d = diff(&old, &new);
    d.edited = edited;
    if let Some(leads) = &args.leads {
        let categorical: Vec<&str> = old
            .traits
            .iter()
            .chain(&new.traits)
            .filter(|t| t.kind == TraitKind::Categorical)
            .map(|t| t.name.as_str())
            .collect();
        let mut dates = old.stage_columns();
        dates.extend(new.stage_columns());
        dates.sort_unstable();
        dates.dedup();
        let inputs = ingest::read_for_scoring(
            leads,
            args.activities.as_deref(),
            args.deals.as_deref(),
            &new.scoring.missing_tokens,
            new.scoring.date_format.as_deref(),
            &categorical,
            &dates,
            chrono::Utc::now().timestamp_millis(),
            observer,
        )?;
        let rows: Vec<usize> = (0..inputs.leads.len()).collect();
        let scored = |c: &ScoringConfig| -> Result<scoring::Scored> {
            let engagement = scoring::values::Engagement::new(
                &inputs.leads,
                inputs.activities.as_ref(),
                inputs.deals.as_ref(),
                &c.scoring,
            );
            let values = scoring::values::trait_values(c, &engagement)?;
            let refs: Vec<Option<&TraitValues>> = values.iter().map(Option::as_ref).collect();
            Ok(scoring::score(c, &refs, &rows))
        };
        let (a, b) = (scored(&old)?, scored(&new)?);
        let mut moves: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
        let mut changing = 0;
        for i in 0..rows.len() {
            let from = old.tiers[a.tier[i]].name.clone();
            let to = new.tiers[b.tier[i]].name.clone();
            changing += u64::from(from != to);
            *moves.entry(from).or_default().entry(to).or_default() += 1;
        }
        d.tier_moves = Some(moves);
        d.leads_changing_tier = Some(changing);
        if let Some(path) = &args.changes {
            write_changes(path, &inputs.leads, (&old, &a), (&new, &b))?;
        }
    }
    let mut out = std::io::stdout().lock();
    if args.json {
        let _ = serde_json::to_writer_pretty(&mut out, &d);
        let _ = writeln!(out);
        return Ok(());
    }
    let _ = writeln!(
        out,
        "config: valid from {} -> {}, content {} -> {}",
        d.valid_from.0.as_deref().unwrap_or("-"),
        d.valid_from.1.as_deref().unwrap_or("-"),
        d.content_sha256
            .0
            .as_deref()
            .map_or("-", |h| &h[..h.len().min(12)]),
        d.content_sha256
            .1
            .as_deref()
            .map_or("-", |h| &h[..h.len().min(12)]),
    );
    if !d.edited.is_empty() {
        let _ = writeln!(
            out,
            "edited after leadtune wrote it (used with --allow-edited): {}",
            d.edited.join(" and ")
        );
    }
    let _ = writeln!(
        out,
        "base points: {} -> {}",
        d.base_points.0, d.base_points.1
    );
    for t in &d.traits_added {
        let _ = writeln!(out, "trait added:   {t}");
    }
    for t in &d.traits_removed {
        let _ = writeln!(out, "trait removed: {t}");
    }
    let show = |v: Option<i64>| v.map_or("-".to_string(), |v| v.to_string());
    if d.points.is_empty() {
        let _ = writeln!(out, "points: no bin changed");
    } else {
        let _ = writeln!(out, "\npoints changed (largest first):");
        for p in &d.points {
            let _ = writeln!(
                out,
                "  {:<28} {:<28} {:>5} -> {:>5}  ({:+})",
                p.r#trait,
                p.bin,
                show(p.old),
                show(p.new),
                p.change
            );
        }
    }
    let _ = writeln!(out, "\ntiers (lowest score in the tier, SLA hours):");
    for t in &d.tiers {
        let _ = writeln!(
            out,
            "  {:<6} {:>5} -> {:<5}  SLA {} -> {}",
            t.tier,
            show(t.old_min_score),
            show(t.new_min_score),
            t.old_sla_hours.map_or("-".into(), |h| h.to_string()),
            t.new_sla_hours.map_or("-".into(), |h| h.to_string())
        );
    }
    if let (Some(moves), Some(changing)) = (&d.tier_moves, d.leads_changing_tier) {
        let _ = writeln!(out, "\n{changing} leads change tier:");
        for (from, to) in moves {
            for (t, n) in to {
                let _ = writeln!(out, "  {from:<6} -> {t:<6} {n}");
            }
        }
        if let Some(path) = &args.changes {
            let _ = writeln!(
                out,
                "the leads that change tier, with their reasons: {}",
                path.display()
            );
        }
    }
    Ok(())
}

/// The leads whose tier differs between the configs, largest score change first.
fn write_changes(
    path: &std::path::Path,
    leads: &ingest::Leads,
    old: (&ScoringConfig, &scoring::Scored),
    new: (&ScoringConfig, &scoring::Scored),
) -> Result<()> {
    use polars::prelude::*;
    let ids = leads.frame().column("lead_id")?.str()?.clone();
    let (oc, os) = old;
    let (nc, ns) = new;
    let mut rows: Vec<usize> = (0..os.score.len())
        .filter(|&i| oc.tiers[os.tier[i]].name != nc.tiers[ns.tier[i]].name)
        .collect();
    rows.sort_by_key(|&i| (std::cmp::Reverse((ns.score[i] - os.score[i]).abs()), i));
    let text = |f: &dyn Fn(usize) -> String, name: &str| {
        Column::new(name.into(), rows.iter().map(|&i| f(i)).collect::<Vec<_>>())
    };
    let int = |f: &dyn Fn(usize) -> i64, name: &str| {
        Column::new(name.into(), rows.iter().map(|&i| f(i)).collect::<Vec<_>>())
    };
    let df = DataFrame::new(
        rows.len(),
        vec![
            text(&|i| ids.get(i).unwrap_or_default().to_string(), "lead_id"),
            int(&|i| os.score[i], "old_score"),
            text(&|i| oc.tiers[os.tier[i]].name.clone(), "old_tier"),
            int(&|i| ns.score[i], "new_score"),
            text(&|i| nc.tiers[ns.tier[i]].name.clone(), "new_tier"),
            int(&|i| ns.score[i] - os.score[i], "change"),
            text(&|i| ns.reasons(nc, i, 3), "new_reasons"),
            text(&|i| os.reasons(oc, i, 3), "old_reasons"),
        ],
    )?;
    crate::scoring::frame::write_frame(path, df)
}
