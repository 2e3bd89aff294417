//! Report tables written from one frame each: CSV (formula-safe) and Parquet, atomically.

use std::path::Path;

use polars::prelude::*;

use crate::error::Result;
use crate::output;

/// A float for CSV: at most 6 decimals, no trailing zeros; empty when not a number.
pub fn number(v: f64) -> String {
    if !v.is_finite() {
        return String::new();
    }
    let s = format!("{v:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.to_string() }
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
