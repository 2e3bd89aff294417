//! The point table, one row per trait bin after the base points: `points.csv` as an analyst
//! reads it (with each bin's training counts and WoE), and the page's Points.

use std::path::Path;

use crate::error::Result;
use crate::fit::tune::Tuned;
use crate::report::table::{Align, FrameRow, Show, Table};
use crate::report::traits_table::origin;
use crate::scoring::export::{ConfigBin, ConfigTrait};
use crate::traits::binning::Bin;

/// A row of the point table: the base points (no trait, no bin), or one bin of a trait.
pub struct PointRow<'a> {
    /// The points the row adds to a lead's score.
    points: i64,
    /// The trait, its bin and the bin's training counts; None for the base points.
    bin: Option<(&'a ConfigTrait, &'a ConfigBin, &'a Bin)>,
}

/// The base row's trait.
const BASE: &str = "(base)";

/// The point table of a fit: `trait, sub_score, bin, points, pinned, train_leads, train_wins,
/// train_conversion, woe`; the base row first. The page shows each bin's points.
pub fn table(t: &Tuned) -> Result<Table<PointRow<'_>>> {
    let base = PointRow {
        points: t.config.base_points,
        bin: None,
    };
    let bins = t
        .model
        .traits
        .iter()
        .zip(&t.config.traits)
        .flat_map(|(m, c)| {
            m.bins
                .bins
                .iter()
                .zip(&c.bins)
                .map(move |(bin, cb)| PointRow {
                    points: cb.points,
                    bin: Some((c, cb, bin)),
                })
        });
    let rows = std::iter::once(base).chain(bins).collect();
    Table::new(rows, |t| {
        t.column("trait", |r| r.bin.map_or(BASE, |(c, _, _)| c.name.as_str()))
            .show("Trait", Show::Text)
            .column("sub_score", |r| {
                r.bin.map_or("fit", |(c, _, _)| origin(c.sub_score))
            })
            .column("bin", |r| {
                r.bin.map_or("every lead", |(_, cb, _)| cb.label.as_str())
            })
            .show("Bin", Show::Text)
            .column("points", |r| r.points)
            .show("Points", Show::Signed)
            .column("pinned", |r| match r.bin {
                Some((_, cb, _)) if cb.pinned => "yes",
                _ => "",
            })
            .show("", Show::Row(pinned, Align::Text))
            .column("train_leads", |r| r.bin.map(|(_, _, b)| b.leads))
            .column("train_wins", |r| r.bin.map(|(_, _, b)| b.wins))
            .column("train_conversion", |r| r.bin.map(|(_, _, b)| b.conversion))
            .column("woe", |r| r.bin.map(|(_, _, b)| b.woe))
            .page_rows(|r| Ok(r.text("trait")? != Some(BASE)))
    })
}

/// `pinned` for a bin fixed by the analyst.
fn pinned(r: &FrameRow) -> Result<String> {
    Ok(match r.text("pinned")? {
        Some("yes") => "pinned".into(),
        _ => String::new(),
    })
}

/// Writes `points.csv`.
pub fn write(path: &Path, t: &Tuned) -> Result<()> {
    crate::report::write_tables::write_frame(path, None, &mut table(t)?.frame)
}
