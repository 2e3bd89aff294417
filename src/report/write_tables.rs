//! Report tables written from one frame each: CSV (formula-safe) and Parquet, atomically.

use std::path::Path;

use polars::prelude::*;

use crate::error::Result;
use crate::output;
use crate::report::traits_table::number;

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
