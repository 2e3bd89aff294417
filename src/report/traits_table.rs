//! `traits.csv` / `traits.parquet`: one row per trait bin (optbinning's BinningTable columns),
//! plus one row per identity column, each with its flag and the reason.

use std::path::Path;

use polars::prelude::*;

use crate::error::Result;
use crate::traits::Discovery;
use crate::traits::leakage::Flag;

/// One row of the table: its text columns (trait, bin, flag, reason, origin, kind, trend,
/// test) and its numbers (leads, wins, conversion and its interval, lift, WoE, IV, best share
/// and lift, adjusted p, p, the trait's IV).
struct Row {
    text: [String; 8],
    numbers: [Option<f64>; 13],
}

/// A float for CSV: at most 6 decimals, no trailing zeros; empty when not a number.
pub fn number(v: f64) -> String {
    if !v.is_finite() {
        return String::new();
    }
    let s = format!("{v:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.to_string() }
}

fn rows(d: &Discovery) -> Vec<Row> {
    let mut rows = Vec::new();
    for (t, v) in d.table.traits.iter().zip(&d.verdicts) {
        for b in &t.bins {
            let numbers = [
                Some(b.leads as f64),
                Some(b.wins as f64),
                Some(b.conversion),
                Some(b.conversion_low),
                Some(b.conversion_high),
                Some(b.lift),
                Some(b.woe),
                Some(b.iv),
                Some(b.best_share),
                Some(b.best_lift),
                Some(b.p_adjusted),
                Some(b.p_value),
                Some(t.iv),
            ];
            rows.push(Row {
                text: [
                    t.name.clone(),
                    b.label.clone(),
                    v.flag.as_str().to_string(),
                    v.reason.clone(),
                    match t.origin {
                        crate::traits::binning::Origin::Fit => "fit".into(),
                        crate::traits::binning::Origin::Engagement => "engagement".into(),
                    },
                    if t.numeric { "numeric" } else { "categorical" }.to_string(),
                    t.trend.map(|x| x.as_str().to_string()).unwrap_or_default(),
                    b.test.clone(),
                ],
                numbers,
            });
        }
    }
    for v in &d.identities {
        debug_assert_eq!(v.flag, Flag::Identity);
        let mut text: [String; 8] = Default::default();
        text[0] = v.name.clone();
        text[2] = v.flag.as_str().to_string();
        text[3] = v.reason.clone();
        rows.push(Row {
            text,
            numbers: [None; 13],
        });
    }
    rows
}

/// Writes the traits table as CSV and Parquet (each atomically), both from one frame whose
/// columns are the contract's first (`trait, bin, leads, wins, conversion, conversion_low,
/// conversion_high, lift, woe, iv, best_share, best_lift, p_adjusted, flag, reason`), then
/// `origin, kind, trend, trait_iv, p_value, test`.
pub fn write(csv: &Path, parquet: &Path, d: &Discovery) -> Result<()> {
    let rows = rows(d);
    let text = |name: &str, i: usize| -> Column {
        Column::new(
            name.into(),
            rows.iter().map(|r| r.text[i].as_str()).collect::<Vec<_>>(),
        )
    };
    let num = |name: &str, j: usize| -> Column {
        Column::new(
            name.into(),
            rows.iter()
                .map(|r| r.numbers[j].filter(|v| v.is_finite()))
                .collect::<Vec<_>>(),
        )
    };
    let count = |name: &str, j: usize| -> Column {
        Column::new(
            name.into(),
            rows.iter()
                .map(|r| r.numbers[j].map(|v| v as u64))
                .collect::<Vec<_>>(),
        )
    };
    let mut df = DataFrame::new(
        rows.len(),
        vec![
            text("trait", 0),
            text("bin", 1),
            count("leads", 0),
            count("wins", 1),
            num("conversion", 2),
            num("conversion_low", 3),
            num("conversion_high", 4),
            num("lift", 5),
            num("woe", 6),
            num("iv", 7),
            num("best_share", 8),
            num("best_lift", 9),
            num("p_adjusted", 10),
            text("flag", 2),
            text("reason", 3),
            text("origin", 4),
            text("kind", 5),
            text("trend", 6),
            num("trait_iv", 12),
            num("p_value", 11),
            text("test", 7),
        ],
    )?;
    crate::report::write_tables::write_frame(csv, Some(parquet), &mut df)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_short_and_stable() {
        assert_eq!(number(0.1234567), "0.123457");
        assert_eq!(number(2.0), "2");
        assert_eq!(number(f64::NAN), "");
        assert_eq!(number(-0.0000001), "0");
    }
}
