//! Writes the conversion tables as CSV (formula-safe) and Parquet, both atomically.

use std::path::Path;

use polars::prelude::*;

use crate::error::Result;
use crate::output;
use crate::report::conversion::ConversionRow;
use crate::report::traits_table::number;

const HEADER: [&str; 10] = [
    "dimension",
    "group",
    "leads",
    "wins",
    "conversion",
    "conversion_low",
    "conversion_high",
    "immature",
    "cohort_complete",
    "suppressed",
];

/// `rows` are (dimension, row): e.g. ("source", web row), ("(all)", ...).
pub fn write(dir: &Path, stem: &str, rows: &[(String, ConversionRow)]) -> Result<()> {
    let n = |v: Option<f64>| v.map(number).unwrap_or_default();
    output::write_csv(
        &dir.join(format!("{stem}.csv")),
        &HEADER,
        rows.iter().map(|(d, r)| {
            [
                d.clone(),
                r.group.clone(),
                if r.suppressed {
                    String::new()
                } else {
                    r.leads.to_string()
                },
                if r.suppressed {
                    String::new()
                } else {
                    r.wins.to_string()
                },
                n(r.conversion),
                n(r.conversion_low),
                n(r.conversion_high),
                if r.suppressed {
                    String::new()
                } else {
                    r.immature.to_string()
                },
                r.cohort_complete.to_string(),
                r.suppressed.to_string(),
            ]
        }),
    )?;
    let mut df = DataFrame::new(
        rows.len(),
        vec![
            Column::new(
                "dimension".into(),
                rows.iter().map(|r| r.0.as_str()).collect::<Vec<_>>(),
            ),
            Column::new(
                "group".into(),
                rows.iter().map(|r| r.1.group.as_str()).collect::<Vec<_>>(),
            ),
            Column::new(
                "leads".into(),
                rows.iter()
                    .map(|r| (!r.1.suppressed).then_some(r.1.leads))
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "wins".into(),
                rows.iter()
                    .map(|r| (!r.1.suppressed).then_some(r.1.wins))
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "conversion".into(),
                rows.iter().map(|r| r.1.conversion).collect::<Vec<_>>(),
            ),
            Column::new(
                "conversion_low".into(),
                rows.iter().map(|r| r.1.conversion_low).collect::<Vec<_>>(),
            ),
            Column::new(
                "conversion_high".into(),
                rows.iter().map(|r| r.1.conversion_high).collect::<Vec<_>>(),
            ),
            Column::new(
                "immature".into(),
                rows.iter()
                    .map(|r| (!r.1.suppressed).then_some(r.1.immature))
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "cohort_complete".into(),
                rows.iter().map(|r| r.1.cohort_complete).collect::<Vec<_>>(),
            ),
            Column::new(
                "suppressed".into(),
                rows.iter().map(|r| r.1.suppressed).collect::<Vec<_>>(),
            ),
        ],
    )?;
    output::write_atomic(&dir.join(format!("{stem}.parquet")), |w| {
        ParquetWriter::new(w)
            .finish(&mut df)
            .map(|_| ())
            .map_err(std::io::Error::other)
    })
}
