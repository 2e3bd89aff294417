//! Report tables written from one frame each: CSV (formula-safe) and Parquet, atomically.

use std::path::Path;

use polars::prelude::*;

use crate::error::Result;
use crate::output;
use crate::report::conversion::ConversionRow;
use crate::report::traits_table::number;

/// The rows of a conversion table as one frame: `dimension, group, leads, wins, conversion,
/// conversion_low, conversion_high, immature, cohort_complete, suppressed` (counts withheld,
/// null, for a suppressed group). `rows` are (dimension, row): e.g. ("source", web row).
pub fn conversion_frame(rows: &[(String, ConversionRow)]) -> Result<DataFrame> {
    Ok(DataFrame::new(
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
    )?)
}

/// Writes a conversion table as `{stem}.csv` and `{stem}.parquet` (see [`conversion_frame`]).
pub fn write(dir: &Path, stem: &str, rows: &[(String, ConversionRow)]) -> Result<()> {
    write_table(dir, stem, &mut conversion_frame(rows)?, true)
}

/// Writes a report table from its one frame: `{stem}.csv` (formula-safe; numbers as
/// [`number`] writes them, whole numbers as integers, true/false, nothing for a null) and,
/// with `parquet`, `{stem}.parquet`; each atomically.
pub fn write_table(dir: &Path, stem: &str, df: &mut DataFrame, parquet: bool) -> Result<()> {
    let parquet = parquet.then(|| dir.join(format!("{stem}.parquet")));
    write_frame(&dir.join(format!("{stem}.csv")), parquet.as_deref(), df)
}

/// [`write_table`] to the paths given.
pub fn write_frame(csv: &Path, parquet: Option<&Path>, df: &mut DataFrame) -> Result<()> {
    let header: Vec<String> = df
        .get_column_names()
        .iter()
        .map(|c| c.to_string())
        .collect();
    let cells: Vec<Vec<String>> = df.columns().iter().map(csv_cells).collect::<Result<_>>()?;
    output::write_csv(
        csv,
        &header.iter().map(String::as_str).collect::<Vec<_>>(),
        (0..df.height()).map(|i| cells.iter().map(|c| c[i].clone()).collect::<Vec<_>>()),
    )?;
    let Some(parquet) = parquet else {
        return Ok(());
    };
    output::write_atomic(parquet, |w| {
        ParquetWriter::new(w)
            .finish(df)
            .map(|_| ())
            .map_err(std::io::Error::other)
    })
}

/// A column's CSV cells.
fn csv_cells(column: &Column) -> Result<Vec<String>> {
    let text = |v: Option<String>| v.unwrap_or_default();
    Ok(match column.dtype() {
        DataType::Float64 => column.f64()?.iter().map(|v| text(v.map(number))).collect(),
        DataType::Boolean => column
            .bool()?
            .iter()
            .map(|v| text(v.map(|b| b.to_string())))
            .collect(),
        DataType::String => column
            .str()?
            .iter()
            .map(|v| text(v.map(String::from)))
            .collect(),
        _ => {
            let whole = column.cast(&DataType::Int64)?;
            whole
                .i64()?
                .iter()
                .map(|v| text(v.map(|v| v.to_string())))
                .collect()
        }
    })
}
