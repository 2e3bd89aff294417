//! Parquet: decoded a slice of rows at a time, each column cast to the text a CSV export of it
//! would hold and typed as CSV is.

use std::path::Path;

use polars::prelude::*;

use super::table::{RawTable, TableSpec, merge_tables};
use super::typing::RowSink;
use crate::error::{Error, Result};

/// Reads Parquet `bytes` (of the file at `path`, written `shown`) according to `spec`.
pub(super) fn read_parquet(
    bytes: &[u8],
    path: &Path,
    shown: &str,
    spec: &TableSpec,
) -> Result<RawTable> {
    read_parquet_in_slices(bytes, path, shown, spec, PARQUET_SLICE_ROWS)
}

/// [`read_parquet`], decoding `slice_rows` rows at a time.
pub(super) fn read_parquet_in_slices(
    bytes: &[u8],
    path: &Path,
    shown: &str,
    spec: &TableSpec,
    slice_rows: usize,
) -> Result<RawTable> {
    let cannot = |e: PolarsError| Error::input(path, format!("cannot read Parquet: {e}"));
    let mut reader = ParquetReader::new(std::io::Cursor::new(bytes));
    let height = reader.num_rows().map_err(cannot)?;
    let schema = reader.schema().map_err(cannot)?;
    let headers: Vec<String> = schema.iter_names().map(|s| s.to_string()).collect();
    let metadata = reader.get_metadata().map_err(cannot)?.clone();
    let decimal = spec.decimal.unwrap_or(b'.');
    let mut first = RowSink::new(path, shown, spec, &headers, decimal)?;
    first.check_unique = false;
    // Only the columns used are decoded (an activity's free-text `value`, say, is not).
    let used = first.used_fields();
    for &f in &used {
        if let Some((_, field)) = schema.get_at_index(f)
            && let Some(kind) = without_text_form(&field.dtype)
        {
            return Err(Error::Input {
                location: crate::error::Location {
                    file: path.to_path_buf(),
                    row: None,
                    column: Some(headers[f].clone()),
                },
                message: format!(
                    "it holds {kind}, which have no text form leadtune reads; write the column \
                     as text or as numbers (float32, float64, integers), or leave it out of the \
                     file"
                ),
            });
        }
    }
    // A slice of rows at a time, two at most (so the file's text is never all in memory
    // beside the typed columns), each typed column by column.
    let decode = |offset: usize| -> Result<(Vec<StringChunked>, usize, usize)> {
        let len = slice_rows.max(1).min(height - offset);
        let mut reader = ParquetReader::new(std::io::Cursor::new(bytes))
            .with_slice(Some((offset, len)))
            .with_projection(Some(used.clone()));
        reader.set_metadata(metadata.clone());
        let df = reader.finish().map_err(cannot)?;
        // Field `f`'s text; the fields not used stay empty.
        let mut texts: Vec<StringChunked> =
            vec![
                StringChunked::from_iter_values("".into(), std::iter::empty::<&str>());
                headers.len()
            ];
        // Kept in the chunks they were decoded in (a row group each): they are read array by
        // array, and put in one chunk once, as the slices are merged.
        for (&f, c) in used.iter().zip(df.columns()) {
            texts[f] = parquet_text(c).map_err(|e| {
                Error::input(
                    path,
                    format!(
                        "column {:?} ({}) cannot be read as text: {e}; write it as text, or \
                         leave it out of the file",
                        headers[f],
                        c.dtype()
                    ),
                )
            })?;
        }
        Ok((texts, len, offset))
    };
    // A slice's failed rows are dropped as it is reduced, or as the slices are merged (with
    // the repeated keys, in one copy), never copied out of it first.
    let type_slice = |(texts, len, offset): (Vec<StringChunked>, usize, usize)| {
        let mut sink = RowSink::new(path, shown, spec, &headers, decimal)?;
        sink.notes.clear();
        sink.check_unique = false;
        let (table, pending) = sink.type_columns(&texts, len, offset)?;
        Ok::<_, Error>(match spec.piece {
            Some(reduce) => (reduce(table, pending.as_deref())?, None),
            None => (table, pending),
        })
    };
    // The next slice is decoded while this one is typed: each step alone leaves a core idle
    // at its end (its slowest column).
    let mut tables = Vec::new();
    let mut next = (height > 0).then(|| decode(0)).transpose()?;
    while let Some(slice) = next.take() {
        let following = slice.1 + slice.2;
        let (typed, decoded) = rayon::join(
            || type_slice(slice),
            || (following < height).then(|| decode(following)),
        );
        tables.push(typed?);
        next = decoded.transpose()?;
    }
    spec.observer
        .step(&format!("ingest: {} slices typed", spec.table));
    let describe = first.describe();
    let unique = first.unique_columns();
    let mut all = vec![spec.reduce(first.finish(None, "parquet")?)?];
    let mut pending = vec![None];
    for (table, mask) in tables {
        all.push(table);
        pending.push(mask);
    }
    merge_tables(all, pending, &describe, &unique)
}

/// A Parquet column as the text a CSV export of it would hold, for the same typing as CSV.
/// A timestamp with a time zone stores the UTC instant: it is written without its zone, which
/// reads as UTC (as `2024-03-05T12:22:07Z` or `14:22:07+02:00` does). Every other type is
/// polars' cast to text; one without a text form (a list, a struct) is an error.
pub(super) fn parquet_text(column: &Column) -> PolarsResult<StringChunked> {
    let mut series = column.as_materialized_series().clone();
    if let DataType::Datetime(unit, Some(_)) = series.dtype() {
        let unit = *unit;
        series = series
            .datetime()?
            .physical()
            .clone()
            .into_datetime(unit, None)
            .into_series();
    }
    Ok(series.cast(&DataType::String)?.str()?.clone())
}

/// What a Parquet column of type `dtype` holds when it has no text form a CSV export would
/// hold (polars reads a struct as `{1.0,2.0}` and panics on a half float): `None` for the types
/// leadtune reads.
fn without_text_form(dtype: &ArrowDataType) -> Option<&'static str> {
    match dtype {
        ArrowDataType::Float16 => Some("half-precision floats (float16)"),
        ArrowDataType::Struct(_) => Some("structs"),
        ArrowDataType::List(_) | ArrowDataType::LargeList(_) | ArrowDataType::FixedSizeList(..) => {
            Some("lists")
        }
        ArrowDataType::Map(..) => Some("maps"),
        ArrowDataType::Union(_) => Some("unions"),
        ArrowDataType::Interval(_) => Some("intervals"),
        ArrowDataType::Extension(ext) => without_text_form(&ext.inner),
        ArrowDataType::Dictionary(_, values, _) => without_text_form(values),
        _ => None,
    }
}

/// Rows of a Parquet table decoded at a time.
pub(super) const PARQUET_SLICE_ROWS: usize = 1 << 21;
