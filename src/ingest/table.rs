//! One input table as read ([`RawTable`]): what to read from it ([`TableSpec`], its columns
//! and how each is typed), and its pieces (CSV chunks, Parquet slices, read in parallel) put
//! together in row order, a unique column's repeated values rejected as one reader would.
//! The readers are [`super::csv`] and [`super::parquet`], behind [`super::source`]; the typing
//! of rows is [`super::typing`].

use polars::prelude::*;
use polars::prelude::{InitHashMaps, PlHashMap};

use super::Reject;
use super::dialect::Dialect;
use super::typing::{Describe, RowSink};
use super::values::Millis;
use crate::error::{Error, Result};
use crate::index;

/// `[columns] lead_id = "@row"`: a file without ids (a plain export) uses its row numbers.
pub const ROW_NUMBER_HEADER: &str = "@row";
/// The field index standing for the row number.
pub(super) const ROW_NUMBER: usize = usize::MAX;

/// How a column's text becomes a value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    Text,
    Timestamp,
    /// A finite number; `non_negative` refuses values below zero.
    Number {
        non_negative: bool,
    },
    /// A number when the text reads as one ([`super::values::parse_number`]), else no value:
    /// never rejects a row (an activity's `value`, which may be a URL or a file name).
    Measure,
    Flag,
    Status,
    /// `YYYY-MM` or `YYYY-Qn`; also writes `period_start` (Datetime).
    Period,
}

#[derive(Debug, Clone)]
pub struct ColumnSpec {
    /// leadtune's name for the column (the header is looked up through `[columns]`).
    pub name: String,
    pub kind: Kind,
    /// The header must be present, else the whole table is refused (exit 1).
    pub must_exist: bool,
    /// An empty value rejects the row.
    pub non_empty: bool,
    /// Values must be unique: the first row with a value is kept, later ones are rejected.
    pub unique: bool,
    /// Names or contacts: never shown in `rejected.csv`.
    pub identity: bool,
    /// When the file has no such column, use the row number instead (with a note).
    pub row_number_if_absent: bool,
}

impl ColumnSpec {
    pub fn new(name: &str, kind: Kind) -> Self {
        ColumnSpec {
            name: name.to_string(),
            kind,
            must_exist: false,
            non_empty: false,
            unique: false,
            identity: false,
            row_number_if_absent: false,
        }
    }
    pub fn row_number_if_absent(mut self) -> Self {
        self.row_number_if_absent = true;
        self
    }
    pub fn required(mut self) -> Self {
        self.must_exist = true;
        self.non_empty = true;
        self
    }
    pub fn non_empty(mut self) -> Self {
        self.non_empty = true;
        self
    }
    pub fn unique(mut self) -> Self {
        self.unique = true;
        self
    }
    pub fn identity(mut self) -> Self {
        self.identity = true;
        self
    }
}

/// What to read from one table.
pub struct TableSpec<'a> {
    pub table: super::source::Role,
    pub columns: Vec<ColumnSpec>,
    /// Keep the file's other columns as text (the leads' traits); otherwise they are ignored.
    pub keep_extra: bool,
    /// Headers of `columns`, by leadtune name (from `[columns]`).
    pub header_for: &'a (dyn Fn(&str) -> String + Sync),
    pub missing: &'a [String],
    pub date_format: Option<&'a str>,
    pub delimiter: Option<u8>,
    pub decimal: Option<u8>,
    /// The CSV files' text encoding (`[input] encoding`); detected per file when `None`.
    pub encoding: Option<&'static encoding_rs::Encoding>,
    /// Timestamps later than this are rejected: the as-of date when one is given, else now.
    pub now_ms: Millis,
    /// How to name `now_ms` in a reason ("the as-of date 2025-06-30" or "now").
    pub now_label: &'a str,
    /// `(a, b)`: column `a` must exist unless column `b` does.
    pub unless: Vec<(&'static str, &'static str)>,
    /// Applied to each piece of the table (a CSV chunk, a Parquet slice) as soon as it is
    /// typed, before the pieces are put together: lets a table be reduced to what is used of
    /// it (the activities to lead rows and type codes) without ever holding all its text. Its
    /// result's `rows` may be left empty. Not for a table with unique columns (they are
    /// checked on the merged pieces).
    ///
    /// A piece comes with the mask of its kept rows when its frame still holds its failed
    /// rows (a Parquet slice: [`RowSink::type_columns`]); its `rows` are the kept ones.
    pub piece: Option<&'a Piece<'a>>,
    /// Told of each step of the read, and asked for the reading's progress bar.
    pub observer: &'a dyn crate::observe::Observer,
}

/// See [`TableSpec::piece`].
pub type Piece<'a> = dyn Fn(RawTable, Option<&[bool]>) -> Result<RawTable> + Sync + 'a;

impl TableSpec<'_> {
    /// A piece of the table as [`TableSpec::piece`] makes it.
    pub(super) fn reduce(&self, piece: RawTable) -> Result<RawTable> {
        match self.piece {
            Some(reduce) => reduce(piece, None),
            None => Ok(piece),
        }
    }
}

/// A table as read: typed columns of the rows used, and what was rejected.
pub struct RawTable {
    pub df: DataFrame,
    /// 1-based row numbers (header = row 1 in CSV) of the kept rows, in order.
    pub rows: Vec<u64>,
    pub rows_read: u64,
    pub rejects: Vec<Reject>,
    pub dialect: Option<Dialect>,
    pub sha256: String,
    pub bytes: u64,
    pub format: &'static str,
    /// leadtune names of the spec columns found in the file.
    pub present: Vec<String>,
    /// Headers of the kept extra columns, in file order.
    pub extra: Vec<String>,
    /// Things the reader decided that the user should know.
    pub notes: Vec<String>,
}

/// The chunks' tables as one, in order. A value of a unique column seen in an earlier row
/// rejects the row, as one reader would have (the first row with the value is kept): the
/// chunks do not check, this does, in row order. Rejects are ordered by row.
pub(super) fn merge_chunks(
    sinks: Vec<RowSink>,
    dialect: Option<Dialect>,
    format: &'static str,
) -> Result<RawTable> {
    let unique = sinks[0].unique_columns();
    let describe = sinks[0].describe();
    let spec = describe.spec;
    use rayon::prelude::*;
    let tables: Vec<RawTable> = sinks
        .into_par_iter()
        .map(|sink| spec.reduce(sink.finish(dialect, format)?))
        .collect::<Result<_>>()?;
    let pending = vec![None; tables.len()];
    merge_tables(tables, pending, &describe, &unique)
}

/// [`merge_chunks`] of tables already typed; `unique` as [`RowSink::unique_columns`].
/// `pending[i]`, when some, is the mask of table `i`'s kept rows, its frame holding every row
/// read ([`RowSink::type_columns`] deferred).
pub(super) fn merge_tables(
    mut tables: Vec<RawTable>,
    mut pending: Vec<Option<Vec<bool>>>,
    describe: &Describe,
    unique: &[(usize, usize)],
) -> Result<RawTable> {
    use rayon::prelude::*;
    let mut duplicates: Vec<Reject> = Vec::new();
    pending.resize(tables.len(), None);
    if !unique.is_empty() {
        // Each piece's keys (read in place, chunk by chunk), the pieces in parallel.
        let keys: Vec<Vec<StringChunked>> = tables
            .par_iter()
            .zip(&pending)
            .map(|(table, pending)| {
                let pending = pending
                    .as_ref()
                    .map(|keep| BooleanChunked::from_slice("keep".into(), keep));
                unique
                    .iter()
                    .map(|&(s, _)| -> Result<StringChunked> {
                        let name = describe.spec.columns[s].name.as_str();
                        let mut key = table.df.column(name)?.cast(&DataType::String)?;
                        if let Some(keep) = &pending {
                            key = key.filter(keep)?;
                        }
                        Ok(key.str()?.clone())
                    })
                    .collect::<Result<Vec<_>>>()
            })
            .collect::<Result<_>>()?;
        let rows: Vec<u64> = tables.iter().flat_map(|t| t.rows.iter().copied()).collect();
        // Each unique column's keys, all pieces in row order.
        let flat: Vec<Vec<&str>> = (0..unique.len())
            .map(|u| {
                let pieces: Vec<Vec<&str>> = keys
                    .par_iter()
                    .map(|k| k[u].iter().map(|v| v.unwrap_or("")).collect())
                    .collect();
                pieces.concat()
            })
            .collect();
        // The first row with each key: sharded by key hash when one column is unique (a row's
        // fate then depends on its own key only), else in row order across the columns.
        let repeats: Vec<(usize, usize, u64)> = if unique.len() == 1 {
            first_seen_sharded(&flat[0])
                .into_iter()
                .map(|(i, first)| (i, 0, rows[first]))
                .collect()
        } else {
            let mut seen: Vec<PlHashMap<&str, u64>> =
                vec![PlHashMap::with_capacity(rows.len()); unique.len()];
            let mut repeats = Vec::new();
            for (i, &row) in rows.iter().enumerate() {
                let duplicate = (0..unique.len())
                    .find_map(|u| seen[u].get(flat[u][i]).map(|&first| (i, u, first)));
                match duplicate {
                    Some(d) => repeats.push(d),
                    None => {
                        for (u, seen) in seen.iter_mut().enumerate() {
                            seen.insert(flat[u][i], row);
                        }
                    }
                }
            }
            repeats
        };
        if !repeats.is_empty() {
            let mut keep = vec![true; rows.len()];
            for &(i, u, first) in &repeats {
                keep[i] = false;
                let (s, f) = unique[u];
                let name = &describe.spec.columns[s].name;
                duplicates.push(describe.reject(
                    rows[i],
                    Some(f),
                    format!("duplicate {name} (the first, at row {first}, is kept)"),
                    Some(flat[u][i]),
                ));
            }
            drop(flat);
            drop(keys);
            // Each piece's rows kept; its columns are filtered as they are put in one piece.
            let mut start = 0;
            for (t, pending) in tables.iter_mut().zip(&mut pending) {
                let keep = &keep[start..start + t.rows.len()];
                start += t.rows.len();
                if !keep.iter().all(|k| *k) {
                    t.rows = t
                        .rows
                        .iter()
                        .zip(keep)
                        .filter_map(|(r, &k)| k.then_some(*r))
                        .collect();
                    // The frame's rows: the typed ones (each the next of `keep`), or all.
                    let mut unique_kept = keep.iter();
                    *pending = Some(match pending.take() {
                        Some(typed) => typed
                            .into_iter()
                            .map(|k| k && *unique_kept.next().unwrap_or(&false))
                            .collect(),
                        None => keep.to_vec(),
                    });
                }
            }
        }
    }
    // Identity columns are read once, to match customers, and then let go: their pieces are
    // not put together.
    let pieces: Vec<&str> = describe
        .spec
        .columns
        .iter()
        .filter(|c| c.identity)
        .map(|c| c.name.as_str())
        .collect();
    let mut table = concat_tables(tables, pending, &pieces)?;
    if !duplicates.is_empty() {
        table.rejects.extend(duplicates);
        table.rejects.sort_by_key(|r| r.row);
    }
    Ok(table)
}

/// For each key that repeats an earlier one, (its index, the index of the first), sorted by
/// index: the repeats of the keys as an [`crate::index::Index`] finds them (sharded by hash,
/// on every core), its tables not kept.
pub(super) fn first_seen_sharded(keys: &[&str]) -> Vec<(usize, usize)> {
    as_indexes(index::repeats_of(keys, &index::Foldhash, None))
}

/// [`first_seen_sharded`] with the hash given (a test gives one with many collisions), the
/// keys hashed `piece` at a time.
#[cfg(test)]
fn first_seen_by_hash(
    keys: &[&str],
    hash: impl Fn(&str) -> u64 + Sync,
    piece: usize,
) -> Vec<(usize, usize)> {
    as_indexes(index::repeats_of(keys, &hash, Some(piece)))
}

fn as_indexes(repeats: Vec<(u32, u32)>) -> Vec<(usize, usize)> {
    repeats
        .into_iter()
        .map(|(i, first)| (i as usize, first as usize))
        .collect()
}

/// Tables read in pieces, as one (rows in order): piece `i` keeps the rows of `masks[i]`, or
/// all of them when it has no mask. Column by column, in parallel: a column's pieces and its
/// copy in one piece are held together, never the whole table twice. Each column is put in
/// one chunk, except the text columns named in `chunked`, which keep their pieces as chunks
/// ([`crate::columns::filter_chunks`]): reading a column in chunks costs a step per value in
/// most of polars, so only columns read once, chunk by chunk, are left so.
fn concat_tables(
    tables: Vec<RawTable>,
    masks: Vec<Option<Vec<bool>>>,
    chunked: &[&str],
) -> Result<RawTable> {
    use rayon::prelude::*;
    let mut rest = tables.into_iter();
    let mut table = rest
        .next()
        .ok_or_else(|| Error::Internal("no chunk to merge".into()))?;
    let mut pieces = vec![std::mem::take(&mut table.df).into_columns()];
    for t in rest {
        pieces.push(t.df.into_columns());
        table.rows.extend(t.rows);
        table.rows_read += t.rows_read;
        table.rejects.extend(t.rejects);
    }
    let width = pieces[0].len();
    if pieces.iter().any(|p| p.len() != width) {
        return Err(Error::Internal("pieces of a table differ in width".into()));
    }
    // Column `c` of every piece.
    let mut by_column: Vec<Vec<Column>> = (0..width).map(|_| Vec::new()).collect();
    for piece in pieces {
        for (c, column) in piece.into_iter().enumerate() {
            by_column[c].push(column);
        }
    }
    let masks: Vec<Option<crate::columns::Mask>> = masks
        .into_iter()
        .map(|m| m.map(crate::columns::Mask::new))
        .collect();
    let masks: Vec<Option<&crate::columns::Mask>> = masks.iter().map(Option::as_ref).collect();
    let columns: Vec<Column> = by_column
        .into_par_iter()
        .map(|parts| {
            let piecewise = parts
                .first()
                .is_some_and(|c| chunked.iter().any(|k| c.name().as_str() == *k));
            Ok(if piecewise {
                crate::columns::filter_chunks(parts, &masks)?
            } else {
                crate::columns::filter_concat(parts, &masks)?
            })
        })
        .collect::<Result<_>>()?;
    // A reduced piece keeps its columns but not its rows (`TableSpec::piece`).
    let height = columns.first().map_or(table.rows.len(), Column::len);
    table.df = DataFrame::new(height, columns)?;
    Ok(table)
}

#[cfg(test)]
mod tests;
