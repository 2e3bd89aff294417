//! The traits found: `traits.csv` / `traits.parquet`, one row per trait bin (optbinning's
//! BinningTable columns) plus one row per identity column, each with its flag and the reason;
//! and the page's two lists of them, the traits kept (strongest first, each with its best bin)
//! and the columns left out of the model.

use std::path::Path;

use crate::error::Result;
use crate::report::table::{Align, FrameRow, Show, Table, percent};
use crate::traits::Discovery;
use crate::traits::binning::{Bin, Origin, TraitBins};
use crate::traits::leakage::{Flag, Verdict};

/// A sub-score's name: `fit` or `engagement`.
pub fn origin(o: Origin) -> &'static str {
    match o {
        Origin::Fit => "fit",
        Origin::Engagement => "engagement",
    }
}

/// A row of `traits.csv`: one bin of a trait, or an identity column (no bin).
pub struct BinRow<'a> {
    name: &'a str,
    verdict: &'a Verdict,
    bin: Option<(&'a TraitBins, &'a Bin)>,
}

impl BinRow<'_> {
    /// A number of the bin (None for an identity column, or when not finite).
    fn number(&self, of: fn(&Bin) -> f64) -> Option<f64> {
        self.bin.map(|(_, b)| of(b)).filter(|v| v.is_finite())
    }

    /// A text of the trait (empty for an identity column).
    fn text(&self, of: fn(&TraitBins) -> &str) -> &str {
        self.bin.map_or("", |(t, _)| of(t))
    }
}

/// The traits table: the contract's columns first (`trait, bin, leads, wins, conversion,
/// conversion_low, conversion_high, lift, woe, iv, best_share, best_lift, p_adjusted, flag,
/// reason`), then `origin, kind, trend, trait_iv, p_value, test`.
pub fn table(d: &Discovery) -> Result<Table<BinRow<'_>>> {
    let mut rows = Vec::new();
    for (t, v) in d.table.traits.iter().zip(&d.verdicts) {
        rows.extend(t.bins.iter().map(|b| BinRow {
            name: &t.name,
            verdict: v,
            bin: Some((t, b)),
        }));
    }
    for v in &d.identities {
        debug_assert!(matches!(v.flag, Flag::Identity | Flag::FreeText));
        rows.push(BinRow {
            name: &v.name,
            verdict: v,
            bin: None,
        });
    }
    Table::new(rows, |t| {
        t.column("trait", |r| r.name)
            .column("bin", |r| r.bin.map_or("", |(_, b)| b.label.as_str()))
            .column("leads", |r| r.bin.map(|(_, b)| b.leads))
            .column("wins", |r| r.bin.map(|(_, b)| b.wins))
            .column("conversion", |r| r.number(|b| b.conversion))
            .column("conversion_low", |r| r.number(|b| b.conversion_low))
            .column("conversion_high", |r| r.number(|b| b.conversion_high))
            .column("lift", |r| r.number(|b| b.lift))
            .column("woe", |r| r.number(|b| b.woe))
            .column("iv", |r| r.number(|b| b.iv))
            .column("best_share", |r| r.number(|b| b.best_share))
            .column("best_lift", |r| r.number(|b| b.best_lift))
            .column("p_adjusted", |r| r.number(|b| b.p_adjusted))
            .column("flag", |r| r.verdict.flag.as_str())
            .column("reason", |r| r.verdict.reason.as_str())
            .column("origin", |r| r.text(|t| origin(t.origin)))
            .column("kind", |r| {
                r.text(|t| if t.numeric { "numeric" } else { "categorical" })
            })
            .column("trend", |r| r.text(|t| t.trend.map_or("", |x| x.as_str())))
            .column("trait_iv", |r| {
                r.bin.map(|(t, _)| t.iv).filter(|v| v.is_finite())
            })
            .column("p_value", |r| r.number(|b| b.p_value))
            .column("test", |r| r.bin.map_or("", |(_, b)| b.test.as_str()))
    })
}

/// Writes the traits table as CSV and Parquet (each atomically), both from its one frame.
pub fn write(csv: &Path, parquet: &Path, d: &Discovery) -> Result<()> {
    crate::report::write_tables::write_frame(csv, Some(parquet), &mut table(d)?.frame)
}

/// A trait the model may use, as the page lists it: with its best bin, the one of highest lift
/// among those with leads.
pub struct KeptTrait<'a> {
    bins: &'a TraitBins,
    best: Option<&'a Bin>,
}

/// The traits the leakage checks kept, the strongest (by IV) first.
pub fn kept(d: Option<&Discovery>) -> Result<Table<KeptTrait<'_>>> {
    let mut rows: Vec<KeptTrait> = d
        .iter()
        .flat_map(|d| d.table.traits.iter().zip(&d.verdicts))
        .filter(|(_, v)| v.flag == Flag::Ok)
        .map(|(t, _)| KeptTrait {
            bins: t,
            best: t
                .bins
                .iter()
                .filter(|b| b.leads > 0 && b.lift.is_finite())
                .max_by(|a, b| a.lift.total_cmp(&b.lift)),
        })
        .collect();
    rows.sort_by(|a, b| b.bins.iv.total_cmp(&a.bins.iv));
    Table::new(rows, |t| {
        t.column("trait", |r| r.bins.name.as_str())
            .show("Trait", Show::Text)
            .column("origin", |r| origin(r.bins.origin))
            .show("Origin", Show::Text)
            .column("iv", |r| r.bins.iv)
            .show("IV", Show::Fixed(3))
            .column("bins", |r| r.bins.bins.len() as u64)
            .show("Bins", Show::Whole)
            .column("best_bin", |r| r.best.map(|b| b.label.as_str()))
            .column("best_conversion", |r| r.best.map(|b| b.conversion))
            .column("best_lift", |r| r.best.map(|b| b.lift))
            .show("Best bin (conversion, lift)", Show::Row(best, Align::Text))
    })
}

/// `Software (12.3%, lift 1.85)`; nothing without a best bin.
fn best(r: &FrameRow) -> Result<String> {
    Ok(match (r.text("best_bin")?, r.number("best_lift")?) {
        (Some(label), Some(lift)) => {
            let conversion = percent(r.number("best_conversion")?);
            format!("{label} ({conversion}, lift {lift:.2})")
        }
        _ => String::new(),
    })
}

/// The columns left out of the model: the traits flagged (leaky, constant), then the identity
/// columns; each with its flag and the evidence.
pub fn excluded(d: Option<&Discovery>) -> Result<Table<(&str, &Verdict)>> {
    let rows = d
        .iter()
        .flat_map(|d| {
            let flagged = d.table.traits.iter().zip(&d.verdicts);
            let flagged = flagged.filter(|(_, v)| v.flag != Flag::Ok);
            let flagged = flagged.map(|(t, v)| (t.name.as_str(), v));
            flagged.chain(d.identities.iter().map(|v| (v.name.as_str(), v)))
        })
        .collect();
    Table::new(rows, |t| {
        t.column("column", |(name, _)| *name)
            .show("Column", Show::Text)
            .column("flag", |(_, v)| v.flag.as_str())
            .show("Why", Show::Text)
            .column("reason", |(_, v)| v.reason.as_str())
            .show("Evidence", Show::Text)
    })
}
