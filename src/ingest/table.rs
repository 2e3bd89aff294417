//! One input table, read row by row into typed polars columns: every row is either pushed whole
//! or rejected with its 1-based row number, the column and the reason. CSV (dialect detected) or
//! Parquet, chosen by the file's extension.

use std::collections::HashMap;

use polars::prelude::{InitHashMaps, PlHashMap};
use std::path::Path;

use crate::columns::TextViews;
use polars::prelude::*;
use sha2::{Digest, Sha256};

use super::Reject;
use super::dialect::{self, Dialect};
use super::values::{self, Millis};
use crate::error::{Error, Location, Result};
use crate::index;

/// `[columns] lead_id = "@row"`: a file without ids (a plain export) uses its row numbers.
pub const ROW_NUMBER_HEADER: &str = "@row";
/// The field index standing for the row number.
const ROW_NUMBER: usize = usize::MAX;

/// How a column's text becomes a value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    Text,
    Timestamp,
    /// A finite number; `non_negative` refuses values below zero.
    Number {
        non_negative: bool,
    },
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
    pub table: &'static str,
    pub columns: Vec<ColumnSpec>,
    /// Keep the file's other columns as text (the leads' traits); otherwise they are ignored.
    pub keep_extra: bool,
    /// Headers of `columns`, by leadtune name (from `[columns]`).
    pub header_for: &'a (dyn Fn(&str) -> String + Sync),
    pub missing: &'a [String],
    pub date_format: Option<&'a str>,
    pub delimiter: Option<u8>,
    pub decimal: Option<u8>,
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
    fn reduce(&self, piece: RawTable) -> Result<RawTable> {
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

/// Reads `path` according to `spec`. `shown` is the path as the config wrote it (for messages).
pub fn read_table(path: &Path, shown: &str, spec: &TableSpec) -> Result<RawTable> {
    let file = FileBytes::open(path)?;
    let bytes: &[u8] = &file;
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let (sha256, result) = rayon::join(
        || format!("{:x}", Sha256::digest(bytes)),
        || match extension.as_str() {
            "parquet" | "pq" => read_parquet(bytes, path, shown, spec),
            _ => read_csv(bytes, path, shown, spec),
        },
    );
    let mut table = result.map_err(|e| e.in_input(path))?;
    spec.observer.step(&format!("ingest: {} read", spec.table));
    table.sha256 = sha256;
    table.bytes = bytes.len() as u64;
    Ok(table)
}

/// A file's bytes: mapped into memory where the system allows it (no copy: the pages are the
/// system's file cache, and are not counted twice beside the tables read from them), else read.
/// A mapped file must not be changed while it is read, as for any program reading it.
enum FileBytes {
    Mapped(memmap2::Mmap),
    Read(Vec<u8>),
}

impl FileBytes {
    fn open(path: &Path) -> Result<Self> {
        let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        let regular = file
            .metadata()
            .map_err(|e| Error::io(path, e))?
            .file_type()
            .is_file();
        if regular {
            // SAFETY: the map is only read, and only while this value lives; leadtune never
            // writes its inputs. Another program truncating the file meanwhile is the caveat
            // stated above (README: "inputs are read in place").
            if let Ok(map) = unsafe { memmap2::Mmap::map(&file) } {
                return Ok(FileBytes::Mapped(map));
            }
        }
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut &file, &mut bytes).map_err(|e| Error::io(path, e))?;
        Ok(FileBytes::Read(bytes))
    }
}

impl std::ops::Deref for FileBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            FileBytes::Mapped(map) => map,
            FileBytes::Read(bytes) => bytes,
        }
    }
}

/// Reads CSV bytes (no file behind them) as `read_table` would: for tests and the fuzz target.
pub fn read_csv_bytes(bytes: &[u8], shown: &str, spec: &TableSpec) -> Result<RawTable> {
    read_csv(bytes, Path::new(shown), shown, spec)
}

/// The fields of one row as text.
trait Fields {
    fn len(&self) -> usize;
    fn get(&self, i: usize) -> &str;
}

struct CsvFields<'a> {
    text: &'a str,
    record: &'a csv::ByteRecord,
}

impl Fields for CsvFields<'_> {
    fn len(&self) -> usize {
        self.record.len()
    }
    fn get(&self, i: usize) -> &str {
        self.record.range(i).map_or("", |r| &self.text[r])
    }
}

impl Fields for Vec<&str> {
    fn len(&self) -> usize {
        Vec::len(self)
    }
    fn get(&self, i: usize) -> &str {
        self[i]
    }
}

fn read_csv(bytes: &[u8], path: &Path, shown: &str, spec: &TableSpec) -> Result<RawTable> {
    read_csv_in_chunks(bytes, path, shown, spec, CHUNK_BYTES)
}

/// [`read_csv`] with chunks of about `chunk` bytes parsed in parallel.
fn read_csv_in_chunks(
    bytes: &[u8],
    path: &Path,
    shown: &str,
    spec: &TableSpec,
    chunk: usize,
) -> Result<RawTable> {
    let (body, bom) = dialect::strip_bom(bytes);
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::input(
            path,
            "the file is empty: expected a header row and data rows",
        ));
    }
    let dialect = dialect::detect(body, bom, spec.delimiter, spec.decimal);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(dialect.delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(body);
    let mut record = csv::ByteRecord::new();
    let csv_error = |e: csv::Error| {
        let row = e.position().map(|p| p.line());
        Error::Input {
            location: Location {
                file: path.to_path_buf(),
                row,
                column: None,
            },
            message: format!("cannot read CSV: {e}"),
        }
    };
    reader.read_byte_record(&mut record).map_err(csv_error)?;
    let headers: Vec<String> = record
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let h = String::from_utf8_lossy(h).trim().to_string();
            if h.is_empty() {
                format!("column_{}", i + 1)
            } else {
                h
            }
        })
        .collect();
    // The rows after the header, cut into chunks at record boundaries and parsed in parallel;
    // a record's line is its chunk's first line plus its line within the chunk.
    let header_end = usize::try_from(reader.position().byte()).unwrap_or(body.len());
    let header_lines = reader.position().line() - 1;
    let rest = &body[header_end.min(body.len())..];
    let cuts = record_starts(rest, dialect.delimiter, chunk);
    let mut first = RowSink::new(path, shown, spec, &headers, dialect.decimal)?;
    first.check_unique = false;
    let progress = spec.observer.progress(
        crate::observe::Work::Bytes(body.len() as u64),
        &format!("reading {shown}"),
    );
    let chunks: Vec<(usize, usize, u64)> = {
        let mut lines = header_lines;
        let mut out = Vec::with_capacity(cuts.len());
        for (i, &lo) in cuts.iter().enumerate() {
            let hi = cuts.get(i + 1).copied().unwrap_or(rest.len());
            out.push((lo, hi, lines));
            lines += memchr::memchr_iter(b'\n', &rest[lo..hi]).count() as u64;
        }
        out
    };
    let parse = |sink: &mut RowSink, (lo, hi, lines_before): (usize, usize, u64)| -> Result<()> {
        let text = &rest[lo..hi];
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(dialect.delimiter)
            .has_headers(false)
            .flexible(true)
            .from_reader(text);
        let mut record = csv::ByteRecord::new();
        let mut n = 0u64;
        let mut reported = 0u64;
        loop {
            match reader.read_byte_record(&mut record) {
                Ok(false) => break,
                Ok(true) => {}
                Err(e) => {
                    let row = e.position().map(|p| p.line() + lines_before);
                    return Err(Error::Input {
                        location: Location {
                            file: path.to_path_buf(),
                            row,
                            column: None,
                        },
                        message: format!("cannot read CSV: {e}"),
                    });
                }
            }
            let line = record.position().map_or(0, |p| p.line()) + lines_before;
            match std::str::from_utf8(record.as_slice()) {
                Ok(text) => sink.push(
                    line,
                    &CsvFields {
                        text,
                        record: &record,
                    },
                ),
                Err(_) => sink.reject_encoding(line, &record),
            }
            n += 1;
            if n.is_multiple_of(65_536) {
                let at = record.position().map_or(0, |p| p.byte());
                progress.inc(at - reported);
                reported = at;
            }
        }
        progress.inc((hi - lo) as u64 - reported);
        Ok(())
    };
    use rayon::prelude::*;
    let mut sinks: Vec<RowSink> = Vec::with_capacity(chunks.len());
    sinks.push(first);
    for _ in 1..chunks.len() {
        let mut sink = RowSink::new(path, shown, spec, &headers, dialect.decimal)?;
        sink.notes.clear();
        sink.check_unique = false;
        sinks.push(sink);
    }
    sinks
        .par_iter_mut()
        .zip(chunks.par_iter())
        .map(|(sink, &chunk)| parse(sink, chunk))
        .collect::<Result<Vec<()>>>()?;
    progress.finish_and_clear();
    merge_chunks(sinks, Some(dialect), "csv")
}

/// Bytes of CSV parsed by one task.
const CHUNK_BYTES: usize = 16 << 20;

/// Offsets in `text` (CSV rows without the header) where chunks of about `chunk` bytes begin:
/// each at the start of a record. Quoting is followed as the csv reader follows it: a quote
/// opens a quoted field only at the start of a field (after a delimiter, a line break or the
/// start), `""` inside one is a quote, and a line break inside one does not end the record.
fn record_starts(text: &[u8], delimiter: u8, chunk: usize) -> Vec<usize> {
    let mut starts = vec![0];
    let mut target = chunk;
    let mut pos = 0;
    let mut quoted = false;
    while target < text.len() && pos < text.len() {
        if quoted {
            match memchr::memchr(b'"', &text[pos..]) {
                None => break,
                Some(q) => {
                    let q = pos + q;
                    if text.get(q + 1) == Some(&b'"') {
                        pos = q + 2;
                    } else {
                        quoted = false;
                        pos = q + 1;
                    }
                }
            }
            continue;
        }
        // Unquoted up to the next quote: any line break before it ends a record.
        let next_quote = memchr::memchr(b'"', &text[pos..]).map_or(text.len(), |q| pos + q);
        while target < next_quote {
            let from = target.max(pos);
            match memchr::memchr(b'\n', &text[from..next_quote]) {
                Some(nl) => {
                    let start = from + nl + 1;
                    if start < text.len() {
                        starts.push(start);
                    }
                    target = start + chunk;
                }
                None => break,
            }
        }
        if next_quote >= text.len() {
            break;
        }
        let field_start = next_quote == 0
            || matches!(text[next_quote - 1], b'\n' | b'\r')
            || text[next_quote - 1] == delimiter;
        quoted = field_start;
        pos = next_quote + 1;
    }
    starts
}

/// The chunks' tables as one, in order. A value of a unique column seen in an earlier row
/// rejects the row, as one reader would have (the first row with the value is kept): the
/// chunks do not check, this does, in row order. Rejects are ordered by row.
fn merge_chunks(
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
fn merge_tables(
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
fn first_seen_sharded(keys: &[&str]) -> Vec<(usize, usize)> {
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

fn read_parquet(bytes: &[u8], path: &Path, shown: &str, spec: &TableSpec) -> Result<RawTable> {
    read_parquet_in_slices(bytes, path, shown, spec, PARQUET_SLICE_ROWS)
}

/// [`read_parquet`], decoding `slice_rows` rows at a time.
fn read_parquet_in_slices(
    bytes: &[u8],
    path: &Path,
    shown: &str,
    spec: &TableSpec,
    slice_rows: usize,
) -> Result<RawTable> {
    let cannot = |e: PolarsError| Error::input(path, format!("cannot read Parquet: {e}"));
    let mut reader = ParquetReader::new(std::io::Cursor::new(bytes));
    let height = reader.num_rows().map_err(cannot)?;
    let headers: Vec<String> = reader
        .schema()
        .map_err(cannot)?
        .iter_names()
        .map(|s| s.to_string())
        .collect();
    let metadata = reader.get_metadata().map_err(cannot)?.clone();
    let decimal = spec.decimal.unwrap_or(b'.');
    let mut first = RowSink::new(path, shown, spec, &headers, decimal)?;
    first.check_unique = false;
    // Only the columns used are decoded (an activity's free-text `value`, say, is not).
    let used = first.used_fields();
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
fn parquet_text(column: &Column) -> PolarsResult<StringChunked> {
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

/// A table's missing-value tokens ([`TableSpec::missing`]) with the lengths they come in: most
/// values are told apart from every token by their length alone.
struct MissingTokens<'a> {
    tokens: &'a [String],
    /// Bit `n` set when a token is `n` bytes long (bit 63: 63 bytes or more).
    lengths: u64,
}

impl<'a> MissingTokens<'a> {
    fn new(tokens: &'a [String]) -> Self {
        let lengths = tokens.iter().fold(0, |bits, t| bits | 1 << t.len().min(63));
        MissingTokens { tokens, lengths }
    }

    /// True when text `v` is kept as it is: not a missing value, nothing to trim. The same as
    /// `!is_missing(v) && v.trim() == v`, with a quick answer for the usual value (printable
    /// ASCII at both ends, and no token as long).
    fn kept_as_is(&self, v: &str) -> bool {
        let bytes = v.as_bytes();
        let (Some(first), Some(last)) = (bytes.first(), bytes.last()) else {
            return false;
        };
        let trimmed =
            (first.is_ascii_graphic() && last.is_ascii_graphic()) || v.trim().len() == v.len();
        // Not empty and trimmed: missing only as one of the tokens, of its length.
        trimmed
            && !(self.has_length(v.len()) && self.tokens.iter().any(|t| t.eq_ignore_ascii_case(v)))
    }

    /// True when a token is `len` bytes long (or, past 62, when one is 63 bytes or longer).
    fn has_length(&self, len: usize) -> bool {
        (self.lengths >> len.min(63)) & 1 == 1
    }

    /// True when every value of `values` is null or kept as it is
    /// ([`MissingTokens::kept_as_is`]). Most values are told from their views alone (length,
    /// first byte in the prefix, last byte), without making a string of each.
    fn all_kept_as_is(&self, values: &TextViews) -> bool {
        crate::columns::all_text(
            values,
            |len, first, last| {
                first.is_ascii_graphic() && last.is_ascii_graphic() && !self.has_length(len)
            },
            |v| self.kept_as_is(v),
        )
    }
}

/// Rows of a Parquet table decoded at a time.
const PARQUET_SLICE_ROWS: usize = 1 << 21;

/// A column of a slice typed: its columns (every row) and the rows that fail, with why.
type Typed = (Vec<Column>, Vec<(usize, String)>);

/// A parsed cell of a spec column.
enum Cell<'a> {
    Null,
    Text(&'a str),
    Timestamp(Millis),
    Number(f64),
    Flag(bool),
    Status(&'static str),
    Period(String, Millis),
}

enum Builder {
    Text(StringChunkedBuilder),
    Timestamp(PrimitiveChunkedBuilder<Int64Type>),
    Number(PrimitiveChunkedBuilder<Float64Type>),
    Flag(BooleanChunkedBuilder),
    Period(StringChunkedBuilder, PrimitiveChunkedBuilder<Int64Type>),
}

impl Builder {
    fn new(name: &str, kind: Kind) -> Self {
        Builder::with_capacity(name, kind, 0)
    }

    fn with_capacity(name: &str, kind: Kind, n: usize) -> Self {
        let name = PlSmallStr::from(name);
        match kind {
            Kind::Text | Kind::Status => Builder::Text(StringChunkedBuilder::new(name, n)),
            Kind::Timestamp => Builder::Timestamp(PrimitiveChunkedBuilder::new(name, n)),
            Kind::Number { .. } => Builder::Number(PrimitiveChunkedBuilder::new(name, n)),
            Kind::Flag => Builder::Flag(BooleanChunkedBuilder::new(name, n)),
            Kind::Period => Builder::Period(
                StringChunkedBuilder::new(name, n),
                PrimitiveChunkedBuilder::new("period_start".into(), n),
            ),
        }
    }

    fn push(&mut self, cell: Cell) {
        match (self, cell) {
            (Builder::Text(b), Cell::Text(t)) => b.append_value(t),
            (Builder::Text(b), Cell::Status(t)) => b.append_value(t),
            (Builder::Text(b), _) => b.append_null(),
            (Builder::Timestamp(b), Cell::Timestamp(v)) => b.append_value(v),
            (Builder::Timestamp(b), _) => b.append_null(),
            (Builder::Number(b), Cell::Number(v)) => b.append_value(v),
            (Builder::Number(b), _) => b.append_null(),
            (Builder::Flag(b), Cell::Flag(v)) => b.append_value(v),
            (Builder::Flag(b), _) => b.append_null(),
            (Builder::Period(b, s), Cell::Period(t, start)) => {
                b.append_value(t);
                s.append_value(start);
            }
            (Builder::Period(b, s), _) => {
                b.append_null();
                s.append_null();
            }
        }
    }

    fn finish(self) -> Result<Vec<Column>> {
        Ok(match self {
            Builder::Text(b) => vec![b.finish().into_column()],
            Builder::Timestamp(b) => vec![
                b.finish()
                    .into_datetime(TimeUnit::Milliseconds, None)
                    .into_column(),
            ],
            Builder::Number(b) => vec![b.finish().into_column()],
            Builder::Flag(b) => vec![b.finish().into_column()],
            Builder::Period(b, s) => vec![
                b.finish().into_column(),
                s.finish()
                    .into_datetime(TimeUnit::Milliseconds, None)
                    .into_column(),
            ],
        })
    }
}

/// What a reject names: the table, the file as shown, the headers and where spec columns are.
struct Describe<'a> {
    spec: &'a TableSpec<'a>,
    shown: String,
    headers: Vec<String>,
    bound: Vec<(usize, usize)>,
}

impl Describe<'_> {
    fn reject(
        &self,
        row: u64,
        column: Option<usize>,
        reason: String,
        value: Option<&str>,
    ) -> Reject {
        let spec_column = column.and_then(|f| {
            self.bound
                .iter()
                .find(|(_, bf)| *bf == f)
                .map(|(s, _)| &self.spec.columns[*s])
        });
        let identity = spec_column.is_some_and(|c| c.identity);
        Reject {
            table: self.spec.table,
            file: self.shown.clone(),
            row,
            column: column
                .map(|f| {
                    self.headers
                        .get(f)
                        .cloned()
                        .unwrap_or_else(|| ROW_NUMBER_HEADER.into())
                })
                .unwrap_or_default(),
            reason,
            value: if identity {
                value.map(|_| "(withheld: identity column)".to_string())
            } else {
                value.map(|v| v.chars().take(100).collect())
            },
        }
    }
}

/// Receives rows, parses the spec columns, and either pushes the whole row or rejects it.
struct RowSink<'a> {
    spec: &'a TableSpec<'a>,
    /// `spec.missing`, by length.
    missing: MissingTokens<'a>,
    shown: String,
    headers: Vec<String>,
    decimal: u8,
    /// (spec index, field index) of the spec columns found.
    bound: Vec<(usize, usize)>,
    builders: Vec<Builder>,
    extra: Vec<(usize, StringChunkedBuilder)>,
    notes: Vec<String>,
    unique_seen: Vec<HashMap<Box<str>, u64>>,
    /// Reject later rows with a unique column's value seen before (off when chunks are
    /// parsed apart and [`merge_chunks`] checks).
    check_unique: bool,
    rows: Vec<u64>,
    rows_read: u64,
    rejects: Vec<Reject>,
}

impl<'a> RowSink<'a> {
    fn new(
        path: &Path,
        shown: &str,
        spec: &'a TableSpec<'a>,
        headers: &[String],
        decimal: u8,
    ) -> Result<Self> {
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (i, h) in headers.iter().enumerate() {
            if let Some(first) = seen.insert(h.as_str(), i) {
                return Err(Error::Input {
                    location: Location {
                        file: path.to_path_buf(),
                        row: Some(1),
                        column: Some(h.clone()),
                    },
                    message: format!(
                        "the header names {h:?} twice (columns {} and {}); rename one",
                        first + 1,
                        i + 1
                    ),
                });
            }
        }
        let find = |header: &str| {
            headers.iter().position(|h| h == header).or_else(|| {
                headers
                    .iter()
                    .position(|h| h.trim().eq_ignore_ascii_case(header.trim()))
            })
        };
        let mut bound = Vec::new();
        let mut notes = Vec::new();
        let mut used_fields = vec![false; headers.len()];
        for (s, column) in spec.columns.iter().enumerate() {
            let header = (spec.header_for)(&column.name);
            if header == ROW_NUMBER_HEADER {
                bound.push((s, ROW_NUMBER));
                continue;
            }
            match find(&header) {
                Some(f) => {
                    bound.push((s, f));
                    used_fields[f] = true;
                }
                None if column.row_number_if_absent && header == column.name => {
                    bound.push((s, ROW_NUMBER));
                    notes.push(format!(
                        "{}: no {} column, so the row number is the id",
                        shown, column.name
                    ));
                }
                None if column.must_exist => {
                    let hint = if header != column.name {
                        format!(" (looked for header {header:?}, set by [columns])")
                    } else if headers.len() == 1 && headers[0].contains([';', '\t', '|', ',']) {
                        " (the header is one field: is the delimiter right? set [input] delimiter)"
                            .to_string()
                    } else {
                        format!(
                            " (if the file calls it something else, map it: [columns] {} = \"...\")",
                            column.name
                        )
                    };
                    return Err(Error::MissingColumn {
                        file: path.to_path_buf(),
                        column: column.name.clone(),
                        hint,
                        found: headers.to_vec(),
                    });
                }
                None => {}
            }
        }
        for &(needed, alternative) in &spec.unless {
            let has = |name: &str| bound.iter().any(|&(s, _)| spec.columns[s].name == name);
            if !has(needed) && !has(alternative) {
                return Err(Error::MissingColumn {
                    file: path.to_path_buf(),
                    column: needed.to_string(),
                    hint: format!(" (it is needed unless the table has {alternative:?})"),
                    found: headers.to_vec(),
                });
            }
        }
        let builders = bound
            .iter()
            .map(|&(s, _)| Builder::new(&spec.columns[s].name, spec.columns[s].kind))
            .collect();
        let extra = if spec.keep_extra {
            (0..headers.len())
                .filter(|&f| !used_fields[f])
                .map(|f| (f, StringChunkedBuilder::new(headers[f].as_str().into(), 0)))
                .collect()
        } else {
            Vec::new()
        };
        Ok(RowSink {
            spec,
            missing: MissingTokens::new(spec.missing),
            shown: shown.to_string(),
            headers: headers.to_vec(),
            decimal,
            unique_seen: vec![HashMap::new(); bound.len()],
            check_unique: true,
            bound,
            builders,
            extra,
            notes,
            rows: Vec::new(),
            rows_read: 0,
            rejects: Vec::new(),
        })
    }

    fn reject(&mut self, row: u64, column: Option<usize>, reason: String, value: Option<&str>) {
        let reject = self.describe().reject(row, column, reason, value);
        self.rejects.push(reject);
    }

    fn describe(&self) -> Describe<'a> {
        Describe {
            spec: self.spec,
            shown: self.shown.clone(),
            headers: self.headers.clone(),
            bound: self.bound.clone(),
        }
    }

    fn reject_encoding(&mut self, row: u64, record: &csv::ByteRecord) {
        self.rows_read += 1;
        let column = record.iter().position(|f| std::str::from_utf8(f).is_err());
        self.reject(
            row,
            column,
            "not valid UTF-8 (the file mixes encodings: save it as UTF-8)".into(),
            None,
        );
    }

    fn parse<'f>(
        &self,
        column: &ColumnSpec,
        text: &'f str,
    ) -> std::result::Result<Cell<'f>, String> {
        let as_is = self.missing.kept_as_is(text);
        if !as_is && values::is_missing(text, self.spec.missing) {
            return if column.non_empty {
                Err(format!("{} is empty", column.name))
            } else {
                Ok(Cell::Null)
            };
        }
        let future = |ms: Millis| {
            if ms > self.spec.now_ms {
                Err(format!(
                    "{} is later than {}",
                    column.name, self.spec.now_label
                ))
            } else {
                Ok(Cell::Timestamp(ms))
            }
        };
        match column.kind {
            Kind::Text => Ok(Cell::Text(if as_is { text } else { text.trim() })),
            Kind::Timestamp => match values::parse_timestamp(text, self.spec.date_format) {
                Some(ms) => future(ms),
                None => Err(format!(
                    "{} is not a date (expected YYYY-MM-DD[THH:MM:SS]{})",
                    column.name,
                    self.spec
                        .date_format
                        .map(|f| format!(" or {f}"))
                        .unwrap_or_default()
                )),
            },
            Kind::Number { non_negative } => match values::parse_number(text, self.decimal) {
                Ok(v) if non_negative && v < 0.0 => Err(format!("{} is negative", column.name)),
                Ok(v) => Ok(Cell::Number(v)),
                Err(why) => Err(format!("{}: {why}", column.name)),
            },
            Kind::Flag => values::parse_bool(text).map(Cell::Flag).ok_or_else(|| {
                format!(
                    "{} is not a yes/no value (1/0, true/false, yes/no)",
                    column.name
                )
            }),
            Kind::Status => values::parse_status(text)
                .map(|s| Cell::Status(s.as_str()))
                .ok_or_else(|| format!("{} is not won, lost or open", column.name)),
            Kind::Period => values::parse_period(text)
                .map(|(t, start)| Cell::Period(t, start))
                .ok_or_else(|| {
                    format!("{} is not a month YYYY-MM or quarter YYYY-Qn", column.name)
                }),
        }
    }

    fn push(&mut self, row: u64, fields: &dyn Fields) {
        self.rows_read += 1;
        let width = self.headers.len();
        if fields.len() != width {
            let only_empty_extra = fields.len() > width
                && (width..fields.len()).all(|i| fields.get(i).trim().is_empty());
            if !only_empty_extra {
                self.reject(
                    row,
                    None,
                    format!("row has {} fields, the header has {width}", fields.len()),
                    None,
                );
                return;
            }
        }
        let row_text = row.to_string();
        let field = |f: usize| {
            if f == ROW_NUMBER {
                row_text.as_str()
            } else {
                fields.get(f)
            }
        };
        let mut cells = Vec::with_capacity(self.bound.len());
        for &(s, f) in &self.bound {
            let column = &self.spec.columns[s];
            let text = field(f);
            match self.parse(column, text) {
                Ok(cell) => cells.push(cell),
                Err(reason) => {
                    let text = text.to_string();
                    self.reject(row, Some(f), reason, Some(&text));
                    return;
                }
            }
        }
        for (b, &(s, f)) in self.bound.iter().enumerate() {
            if !(self.check_unique && self.spec.columns[s].unique) {
                continue;
            }
            let key = field(f).trim();
            if let Some(&first) = self.unique_seen[b].get(key) {
                let name = self.spec.columns[s].name.clone();
                let key = key.to_string();
                self.reject(
                    row,
                    Some(f),
                    format!("duplicate {name} (the first, at row {first}, is kept)"),
                    Some(&key),
                );
                return;
            }
        }
        for (b, &(s, f)) in self.bound.iter().enumerate() {
            if self.check_unique && self.spec.columns[s].unique {
                self.unique_seen[b].insert(field(f).trim().into(), row);
            }
        }
        for (builder, cell) in self.builders.iter_mut().zip(cells) {
            builder.push(cell);
        }
        for (f, builder) in &mut self.extra {
            match values::normalise(fields.get(*f), self.spec.missing) {
                Some(text) => builder.append_value(text),
                None => builder.append_null(),
            }
        }
        self.rows.push(row);
    }

    /// (spec index, field index) of the bound columns whose values must be unique.
    /// The fields read: those bound to spec columns and the extra ones kept, in file order.
    fn used_fields(&self) -> Vec<usize> {
        let mut used: Vec<usize> = self
            .bound
            .iter()
            .map(|&(_, f)| f)
            .filter(|&f| f != ROW_NUMBER)
            .chain(self.extra.iter().map(|(f, _)| *f))
            .collect();
        used.sort_unstable();
        used.dedup();
        used
    }

    fn unique_columns(&self) -> Vec<(usize, usize)> {
        self.bound
            .iter()
            .copied()
            .filter(|&(s, _)| self.spec.columns[s].unique)
            .collect()
    }

    /// Types a slice of `rows` rows held as text columns (`texts[f]` is field `f`, empty for the
    /// fields not used; a missing cell is empty), column by column, with the outcome of [`RowSink::push`] for each row: a row is
    /// rejected for the first bound column (in spec order) that does not parse, and the kept
    /// rows' values are those `push` would give. Text that needs no change (already trimmed, not
    /// a missing-value token) is kept as decoded, without a copy. Uniqueness is not checked
    /// (as for chunks: [`merge_tables`] checks). Row numbers are `offset + i + 1`.
    ///
    /// The failed rows stay in the columns (null where they failed): the table's frame holds
    /// every row of the slice, its `rows` only the kept ones, and the mask of kept rows comes
    /// beside it (none when every row is kept), for the reducer or the merge to drop them as
    /// they copy the rows ([`TableSpec::piece`], [`merge_tables`]).
    fn type_columns(
        mut self,
        texts: &[StringChunked],
        rows: usize,
        offset: usize,
    ) -> Result<(RawTable, Option<Vec<bool>>)> {
        use rayon::prelude::*;
        let row_numbers: Option<StringChunked> =
            self.bound.iter().any(|&(_, f)| f == ROW_NUMBER).then(|| {
                StringChunked::from_iter_values(
                    "row".into(),
                    (0..rows).map(|i| (offset + i + 1).to_string()),
                )
            });
        let text_of = |f: usize| -> &StringChunked {
            if f == ROW_NUMBER {
                row_numbers.as_ref().unwrap_or(&texts[0])
            } else {
                &texts[f]
            }
        };
        let this = &self;
        let bound: Vec<Typed> = self
            .bound
            .par_iter()
            .map(|&(s, f)| this.type_column(&this.spec.columns[s], text_of(f)))
            .collect::<Result<_>>()?;
        let extra: Vec<Column> = self
            .extra
            .par_iter()
            .map(|(f, _)| -> Result<Column> {
                let text = &texts[*f];
                Ok(this
                    .clean_text(text)
                    .with_name(this.headers[*f].as_str().into())
                    .into_column())
            })
            .collect::<Result<_>>()?;
        // The first failing column of each row, in spec order, rejects it.
        let mut failures: Vec<(usize, usize, String)> = Vec::new();
        for (b, (_, fails)) in bound.iter().enumerate() {
            failures.extend(fails.iter().map(|(i, why)| (*i, b, why.clone())));
        }
        failures.sort_by_key(|&(i, b, _)| (i, b));
        failures.dedup_by_key(|f| f.0);
        let mut keep = vec![true; rows];
        for (i, b, why) in failures {
            keep[i] = false;
            let f = self.bound[b].1;
            let value = text_of(f).get(i).unwrap_or("").to_string();
            self.reject((offset + i) as u64 + 1, Some(f), why, Some(&value));
        }
        let mut columns: Vec<Column> = bound.into_iter().flat_map(|(c, _)| c).collect();
        columns.extend(extra);
        let kept: Vec<u64> = (0..rows)
            .filter(|&i| keep[i])
            .map(|i| (offset + i) as u64 + 1)
            .collect();
        let pending = (kept.len() < rows).then_some(keep);
        let present = self
            .bound
            .iter()
            .map(|&(s, _)| self.spec.columns[s].name.clone())
            .collect();
        let extra_names = self
            .extra
            .iter()
            .map(|(f, _)| self.headers[*f].clone())
            .collect();
        let table = RawTable {
            df: DataFrame::new(rows, columns)?,
            rows: kept,
            rows_read: rows as u64,
            rejects: self.rejects,
            dialect: None,
            sha256: String::new(),
            bytes: 0,
            format: "parquet",
            present,
            extra: extra_names,
            notes: self.notes,
        };
        Ok((table, pending))
    }

    /// Text as [`RowSink::push`] keeps it ([`values::normalise`]: missing values null, the rest
    /// trimmed). Without a copy when no value changes.
    fn clean_text(&self, text: &StringChunked) -> StringChunked {
        // Read array by array (a chunked array's own iterator costs a step through its chunks
        // per value).
        let unchanged = TextViews::of(text).all(|values| self.missing.all_kept_as_is(&values));
        if unchanged {
            text.clone()
        } else {
            text.iter()
                .map(|v| v.and_then(|v| values::normalise(v, self.spec.missing)))
                .collect::<StringChunked>()
                .with_name(text.name().clone())
        }
    }

    /// One bound column of a slice typed: its columns (as [`Builder::finish`] gives them, every
    /// row, failed ones null) and the rows that fail with why.
    fn type_column(&self, column: &ColumnSpec, text: &StringChunked) -> Result<Typed> {
        let mut fails = Vec::new();
        if column.kind == Kind::Text {
            if column.non_empty {
                let missing = |v: &str| {
                    !self.missing.kept_as_is(v) && values::is_missing(v, self.spec.missing)
                };
                let mut start = 0;
                for values in TextViews::of(text) {
                    // Most pieces have no empty value: told from their views.
                    if values.null_count() > 0 || !self.missing.all_kept_as_is(&values) {
                        for (i, v) in values.iter().enumerate() {
                            if v.is_none_or(missing) {
                                fails.push((start + i, format!("{} is empty", column.name)));
                            }
                        }
                    }
                    start += values.len();
                }
            }
            let clean = self.clean_text(text).with_name(column.name.as_str().into());
            return Ok((vec![clean.into_column()], fails));
        }
        let mut builder = Builder::with_capacity(&column.name, column.kind, text.len());
        // Array by array (a chunked array's own iterator steps through its chunks per value).
        let mut i = 0;
        for values in text.downcast_iter() {
            for v in values.iter() {
                match self.parse(column, v.unwrap_or("")) {
                    Ok(cell) => builder.push(cell),
                    Err(why) => {
                        fails.push((i, why));
                        builder.push(Cell::Null);
                    }
                }
                i += 1;
            }
        }
        Ok((builder.finish()?, fails))
    }

    fn finish(self, dialect: Option<Dialect>, format: &'static str) -> Result<RawTable> {
        let height = self.rows.len();
        let mut columns = Vec::new();
        for builder in self.builders {
            columns.extend(builder.finish()?);
        }
        let extra: Vec<String> = self
            .extra
            .iter()
            .map(|(f, _)| self.headers[*f].clone())
            .collect();
        for (_, builder) in self.extra {
            columns.push(builder.finish().into_column());
        }
        let present = self
            .bound
            .iter()
            .map(|&(s, _)| self.spec.columns[s].name.clone())
            .collect();
        Ok(RawTable {
            df: DataFrame::new(height, columns)?,
            rows: self.rows,
            rows_read: self.rows_read,
            rejects: self.rejects,
            dialect,
            sha256: String::new(),
            bytes: 0,
            format,
            present,
            extra,
            notes: self.notes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn records(text: &[u8], delimiter: u8) -> Vec<Vec<Vec<u8>>> {
        csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(false)
            .flexible(true)
            .from_reader(text)
            .byte_records()
            .map(|r| r.unwrap().iter().map(<[u8]>::to_vec).collect())
            .collect()
    }

    fn same_header(name: &str) -> String {
        name.to_string()
    }

    /// Leads with a unique `lead_id` and a `created_at`, other columns kept.
    fn leads_spec() -> TableSpec<'static> {
        TableSpec {
            table: "leads",
            columns: vec![
                ColumnSpec::new("lead_id", Kind::Text).required().unique(),
                ColumnSpec::new("created_at", Kind::Timestamp).required(),
            ],
            keep_extra: true,
            header_for: &same_header,
            missing: &[],
            date_format: None,
            delimiter: None,
            decimal: None,
            now_ms: i64::MAX,
            now_label: "now",
            unless: Vec::new(),
            piece: None,
            observer: &crate::observe::Silent,
        }
    }

    /// A file that is not Parquet though named so is the user's to fix: an input error naming
    /// the file (exit 1), not an internal one.
    #[test]
    fn an_unreadable_parquet_file_is_bad_input() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("leads.parquet");
        std::fs::write(&path, b"PAR1 not really a parquet file PAR1").unwrap();
        let Err(err) = read_table(&path, "leads.parquet", &leads_spec()) else {
            panic!("a file that is not Parquet was read");
        };
        assert_eq!(err.exit_code(), 1, "{err}");
        match &err {
            Error::Input { location, .. } => assert_eq!(location.file, path),
            other => panic!("not an input error: {other:?}"),
        }
    }

    /// A table's rejects, each as its debug text (to compare two readings).
    fn rejects(t: &RawTable) -> Vec<String> {
        t.rejects.iter().map(|r| format!("{r:?}")).collect()
    }

    /// Cutting at `record_starts` and reading each piece gives the records of the whole, for
    /// any chunk size: quoted line breaks, doubled quotes, quotes inside unquoted fields,
    /// CRLF and a last line without a break.
    #[test]
    fn chunks_start_at_records() {
        let text = b"a,\"x\ny\",1\r\nb,\"say \"\"hi\"\"\n\",2\nc,5'11\",3\n\"\"\"q\",\"\n\",4\nd,e\"f,5\nz,\"last\"";
        for chunk in 1..text.len() + 2 {
            let starts = record_starts(text, b',', chunk);
            let mut pieces = Vec::new();
            for (i, &lo) in starts.iter().enumerate() {
                let hi = starts.get(i + 1).copied().unwrap_or(text.len());
                pieces.extend(records(&text[lo..hi], b','));
            }
            assert_eq!(pieces, records(text, b','), "chunk {chunk}: {starts:?}");
        }
    }

    /// Read in chunks of a few bytes, a table with duplicates within and across chunks,
    /// unparseable rows and quoted line breaks gives the same rows, rejects and row numbers
    /// as read whole.
    #[test]
    fn chunked_reading_equals_one_reader() {
        let csv = "lead_id,created_at,note\nA,2024-01-01,x\nB,bad,\"multi\nline\"\nB,2024-01-02,y\n\
                   A,2024-01-03,z\nC,2024-01-04,\"q\"\"\"\nB,2024-01-05,w\n,2024-01-06,v\nC,2024-01-07,u\n";
        let spec = leads_spec();
        let path = Path::new("leads.csv");
        let whole = read_csv_in_chunks(csv.as_bytes(), path, "leads.csv", &spec, 1 << 30).unwrap();
        assert_eq!(whole.rows, vec![2, 5, 7]);
        let reasons: Vec<(u64, &str)> = whole
            .rejects
            .iter()
            .map(|r| (r.row, r.reason.as_str()))
            .collect();
        assert_eq!(
            reasons,
            [
                (
                    3,
                    "created_at is not a date (expected YYYY-MM-DD[THH:MM:SS])"
                ),
                (6, "duplicate lead_id (the first, at row 2, is kept)"),
                (8, "duplicate lead_id (the first, at row 5, is kept)"),
                (9, "lead_id is empty"),
                (10, "duplicate lead_id (the first, at row 7, is kept)"),
            ]
        );
        for chunk in 1..csv.len() {
            let parts =
                read_csv_in_chunks(csv.as_bytes(), path, "leads.csv", &spec, chunk).unwrap();
            assert_eq!(parts.rows, whole.rows, "chunk {chunk}");
            assert_eq!(parts.rows_read, whole.rows_read);
            assert!(parts.df.equals_missing(&whole.df), "chunk {chunk}");
            assert_eq!(rejects(&parts), rejects(&whole), "chunk {chunk}");
        }
    }

    /// Parquet decoded a few rows at a time gives what reading it
    /// whole gives: rows, rejects (duplicates across slices included) and row numbers.
    #[test]
    fn parquet_in_slices_equals_whole() {
        let mut df = df!(
            "lead_id" => ["A", "B", "B", "A", "C", "B", "", "C", "D"],
            "created_at" => ["2024-01-01", "bad", "2024-01-02", "2024-01-03", "2024-01-04",
                             "2024-01-05", "2024-01-06", "2024-01-07", "2024-01-08"],
        )
        .unwrap();
        let mut bytes = Vec::new();
        ParquetWriter::new(&mut bytes)
            .with_row_group_size(Some(2))
            .finish(&mut df)
            .unwrap();
        let spec = leads_spec();
        let path = Path::new("leads.parquet");
        let read =
            |slice| read_parquet_in_slices(&bytes, path, "leads.parquet", &spec, slice).unwrap();
        let whole = read(1 << 20);
        assert_eq!(whole.rows, vec![1, 3, 5, 9]);
        assert_eq!(whole.rows_read, 9);
        assert_eq!(whole.rejects.len(), 5);
        for slice in 1..10 {
            let parts = read(slice);
            assert_eq!(parts.rows, whole.rows, "slice {slice}");
            assert_eq!(parts.rows_read, whole.rows_read);
            assert!(parts.df.equals_missing(&whole.df));
            assert_eq!(rejects(&parts), rejects(&whole), "slice {slice}");
        }
    }

    /// A Parquet timestamp with a time zone is the instant it stores: the same as the text of
    /// that instant in UTC, or with the zone's offset. A column with no text form is an input
    /// error that names it, never an internal one.
    #[test]
    fn parquet_zoned_timestamps_are_their_instants() {
        // 2024-01-01T09:30:00Z and 2024-07-01T22:15:00.250Z.
        let instants = [1_704_101_400_000_i64, 1_719_872_100_250];
        let write = |mut df: DataFrame| {
            let mut bytes = Vec::new();
            ParquetWriter::new(&mut bytes).finish(&mut df).unwrap();
            bytes
        };
        let spec = leads_spec();
        let path = Path::new("leads.parquet");
        let read = |bytes: &[u8]| read_parquet_in_slices(bytes, path, "leads.parquet", &spec, 1);
        let as_text = |texts: [&str; 2]| {
            let df = df!("lead_id" => ["A", "B"], "created_at" => texts).unwrap();
            read(&write(df)).unwrap()
        };
        let utc = as_text(["2024-01-01T09:30:00Z", "2024-07-01T22:15:00.250Z"]);
        let offsets = as_text(["2024-01-01T10:30:00+01:00", "2024-07-02T00:15:00.250+02:00"]);
        assert!(utc.df.equals_missing(&offsets.df));
        for unit in [TimeUnit::Milliseconds, TimeUnit::Microseconds] {
            let per_ms = if unit == TimeUnit::Milliseconds {
                1
            } else {
                1000
            };
            let stored =
                Int64Chunked::from_slice("created_at".into(), &instants.map(|ms| ms * per_ms))
                    .into_datetime(unit, Some(TimeZone::UTC));
            let df = DataFrame::new(
                2,
                vec![
                    Column::new("lead_id".into(), ["A", "B"]),
                    stored.into_column(),
                ],
            )
            .unwrap();
            let zoned = read(&write(df)).unwrap();
            assert!(zoned.rejects.is_empty(), "{:?}", rejects(&zoned));
            assert!(zoned.df.equals_missing(&utc.df), "{unit:?}: {:?}", zoned.df);
        }
        // A list has no text form: the error names the file and the column.
        let list = Series::new("created_at".into(), [Series::new("".into(), [1i64, 2])]);
        let df = DataFrame::new(
            1,
            vec![Column::new("lead_id".into(), ["A"]), list.into_column()],
        )
        .unwrap();
        let Err(error) = read(&write(df)) else {
            panic!("a list column was read as text");
        };
        let error = error.to_string();
        assert!(
            error.contains("leads.parquet") && error.contains("\"created_at\""),
            "{error}"
        );
    }

    /// Activities reduced piece by piece (CSV chunks of every size, Parquet slices of every
    /// size) are the same as read whole: lead rows, times, type codes in order of first
    /// appearance, and the unknown leads with their rows; the bad date and the empty cells are
    /// rejected as ever.
    #[test]
    fn activities_reduced_by_piece_equal_the_hand_result() {
        use crate::ingest::activities::Reducer;
        use crate::ingest::{NO_KIND, NO_LEAD, NO_TIME};
        let leads =
            StringChunked::from_iter_values("lead_id".into(), ["L1", "L2", "L3"].into_iter());
        let csv = "lead_id,occurred_at,type\nL2,2024-01-02,email\nX,2024-01-03,call\n\
                   L1,bad,call\nL1,2024-01-04, call\nL3,2024-01-05,\n,2024-01-06,email\n\
                   L2,2024-01-07,visit\n";
        let activities_spec = || TableSpec {
            table: "activities",
            columns: vec![
                ColumnSpec::new("lead_id", Kind::Text).required(),
                ColumnSpec::new("occurred_at", Kind::Timestamp).required(),
                ColumnSpec::new("type", Kind::Text).required(),
            ],
            keep_extra: false,
            ..leads_spec()
        };
        let day = |d: &str| crate::ingest::values::parse_timestamp(d, None).unwrap();
        let expect = |unknown: Vec<(u64, Option<String>)>| {
            let hand = (
                vec![1, NO_LEAD, 0, 1],
                ["2024-01-02", "2024-01-03", "2024-01-04", "2024-01-07"]
                    .map(day)
                    .to_vec(),
                vec![0, 1, 1, 2],
                vec!["email".to_string(), "call".into(), "visit".into()],
                unknown,
            );
            assert!(!hand.1.contains(&NO_TIME) && !hand.2.contains(&NO_KIND));
            hand
        };
        // The table read by `read` with a fresh reducer on each piece, and what it reduced to.
        let read_reduced = |read: &dyn Fn(&TableSpec) -> Result<RawTable>| {
            let index = crate::ingest::activities::LeadIndex::new(&leads);
            let reducer = Reducer::new(&index);
            let reduce = |piece: RawTable, keep: Option<&[bool]>| reducer.reduce(piece, keep);
            let spec = TableSpec {
                piece: Some(&reduce),
                ..activities_spec()
            };
            let mut table = read(&spec).unwrap();
            drop(spec);
            let a = reducer.finish(&mut table).unwrap();
            let reduced = (
                a.lead_rows().to_vec(),
                a.occurred_ms().to_vec(),
                a.kinds().to_vec(),
                a.kind_names().to_vec(),
                a.unknown_leads().to_vec(),
            );
            (table, reduced)
        };
        let path = Path::new("activities.csv");
        for chunk in 1..csv.len() {
            let (table, reduced) = read_reduced(&|spec| {
                read_csv_in_chunks(csv.as_bytes(), path, "activities.csv", spec, chunk)
            });
            assert_eq!(table.rows_read, 7, "chunk {chunk}");
            let rows: Vec<u64> = table.rejects.iter().map(|r| r.row).collect();
            assert_eq!(rows, [4, 6, 7], "chunk {chunk}");
            assert_eq!(
                reduced,
                expect(vec![(3, Some("X".into()))]),
                "chunk {chunk}"
            );
        }
        let mut df = CsvReadOptions::default()
            .with_infer_schema_length(Some(0))
            .into_reader_with_file_handle(std::io::Cursor::new(csv.as_bytes()))
            .finish()
            .unwrap();
        let mut bytes = Vec::new();
        ParquetWriter::new(&mut bytes)
            .with_row_group_size(Some(2))
            .finish(&mut df)
            .unwrap();
        let path = Path::new("activities.parquet");
        for slice in 1..9 {
            let (table, reduced) = read_reduced(&|spec| {
                read_parquet_in_slices(&bytes, path, "activities.parquet", spec, slice)
            });
            assert_eq!(table.rows_read, 7, "slice {slice}");
            let rows: Vec<u64> = table.rejects.iter().map(|r| r.row).collect();
            assert_eq!(rows, [3, 5, 6], "slice {slice}");
            assert_eq!(
                reduced,
                expect(vec![(2, Some("X".into()))]),
                "slice {slice}"
            );
        }
    }

    /// A spec with a column of every kind, the other columns kept, and a missing-value token.
    fn every_kind_spec() -> TableSpec<'static> {
        TableSpec {
            table: "spend",
            columns: vec![
                ColumnSpec::new("id", Kind::Text).required().unique(),
                ColumnSpec::new("at", Kind::Timestamp),
                ColumnSpec::new("cost", Kind::Number { non_negative: true }),
                ColumnSpec::new("flag", Kind::Flag),
                ColumnSpec::new("status", Kind::Status),
                ColumnSpec::new("period", Kind::Period),
                ColumnSpec::new("note", Kind::Text),
            ],
            keep_extra: true,
            header_for: &same_header,
            missing: std::slice::from_ref(&*NA),
            date_format: None,
            delimiter: Some(b','),
            decimal: Some(b'.'),
            now_ms: i64::MAX,
            now_label: "now",
            unless: Vec::new(),
            piece: None,
            observer: &crate::observe::Silent,
        }
    }

    static NA: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| "n/a".to_string());

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        /// Parquet typed column by column gives what CSV typed row by row gives for the same
        /// cells: the same columns, kept rows and rejects (CSV rows count the header line).
        #[test]
        fn parquet_columns_type_as_csv_rows(
            picks in proptest::collection::vec(proptest::collection::vec(0usize..6, 8), 1..40),
            slice in 1usize..8,
        ) {
            const POOL: [[&str; 6]; 8] = [
                ["A", "B", " C", "", "n/a", "D "],
                ["2024-01-01", "bad", "", "2024-02-03T04:05:06", " 2024-03-01", "N/A"],
                ["1.5", "-2", "x", "", "1e999", " 7"],
                ["yes", "0", "maybe", "", "TRUE", " no"],
                ["won", "lost", "open", "closed", "", "WON"],
                ["2024-01", "2024-Q2", "2024-13", "", "2024-q3", "x"],
                ["hello", " padded ", "", "n/a", "N/A", "ok"],
                ["kept", "", " spaced", "NA", "n/a", "z"],
            ];
            let names = ["id", "at", "cost", "flag", "status", "period", "note", "extra"];
            let cell = |r: &Vec<usize>, c: usize| POOL[c][r[c]];
            let mut csv_text = Vec::new();
            {
                let mut w = csv::Writer::from_writer(&mut csv_text);
                w.write_record(names).unwrap();
                for r in &picks {
                    w.write_record((0..8).map(|c| cell(r, c))).unwrap();
                }
            }
            let columns: Vec<Column> = (0..8)
                .map(|c| {
                    Column::new(
                        names[c].into(),
                        picks.iter().map(|r| cell(r, c)).collect::<Vec<_>>(),
                    )
                })
                .collect();
            let mut df = DataFrame::new(picks.len(), columns).unwrap();
            let mut bytes = Vec::new();
            ParquetWriter::new(&mut bytes).finish(&mut df).unwrap();
            let spec = every_kind_spec();
            let csv = read_csv_bytes(&csv_text, "t.csv", &spec).unwrap();
            let pq = read_parquet_in_slices(&bytes, Path::new("t.parquet"), "t.csv", &spec, slice)
                .unwrap();
            prop_assert_eq!(pq.rows.iter().map(|r| r + 1).collect::<Vec<_>>(), csv.rows.clone());
            prop_assert_eq!(pq.rows_read, csv.rows_read);
            prop_assert!(pq.df.equals_missing(&csv.df), "{:?}\n{:?}", pq.df, csv.df);
            let shifted: Vec<String> = pq
                .rejects
                .iter()
                .map(|r| {
                    // A duplicate names the first row, which counts the header in CSV too.
                    let reason = match r.reason.split_once("at row ") {
                        Some((head, tail)) => {
                            let (n, rest) = tail.split_once(',').unwrap();
                            format!("{head}at row {},{rest}", n.parse::<u64>().unwrap() + 1)
                        }
                        None => r.reason.clone(),
                    };
                    format!("{:?}", Reject { row: r.row + 1, reason, ..r.clone() })
                })
                .collect();
            prop_assert_eq!(shifted, rejects(&csv));
        }
    }

    proptest! {
        /// The repeats found shard by shard are those a scan in order finds, also when
        /// different keys share a hash.
        #[test]
        fn first_seen_equals_a_scan_in_order(
            keys in proptest::collection::vec("[abc]{0,3}", 0..200),
            modulus in 1u64..5,
            piece in 1usize..300,
        ) {
            let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
            let mut first: std::collections::HashMap<&str, usize> = Default::default();
            let mut expected = Vec::new();
            for (i, k) in keys.iter().enumerate() {
                match first.get(k) {
                    Some(&f) => expected.push((i, f)),
                    None => {
                        first.insert(k, i);
                    }
                }
            }
            // A hash with few values: keys that differ share hashes and shards.
            let weak = |k: &str| k.bytes().map(u64::from).sum::<u64>() % modulus;
            prop_assert_eq!(first_seen_by_hash(&keys, weak, piece), expected.clone());
            prop_assert_eq!(first_seen_sharded(&keys), expected);
        }

        /// The quick check of a value kept as it is agrees with its definition, for any text
        /// (spaces, tabs, non-ASCII and missing-value tokens at either end).
        #[test]
        fn kept_as_is_is_not_missing_and_trimmed(v in "[ \t\u{a0}\u{3000}aNé-]{0,6}") {
            let missing = [String::from("n/a"), String::from("-")];
            prop_assert_eq!(
                MissingTokens::new(&missing).kept_as_is(&v),
                values::normalise(&v, &missing) == Some(v.as_str())
            );
        }

        /// The views' quick reading of a piece agrees with its values one by one, for values
        /// inline in their views and in buffers, nulls, and a piece sliced.
        #[test]
        fn all_kept_as_is_reads_views_as_values(
            values in proptest::collection::vec(
                proptest::option::weighted(
                    0.9,
                    prop_oneof![8 => "[aN/-]{1,20}", 1 => "[ aNé-]{0,20}"]
                ),
                0..30,
            ),
            tokens in proptest::collection::vec("[aN/-]{0,14}", 0..3),
            skip in 0usize..3,
        ) {
            let skip = skip.min(values.len());
            let text = StringChunked::from_iter_options("v".into(), values.iter().map(|v| v.as_deref()))
                .slice(skip as i64, values.len() - skip);
            let missing = MissingTokens::new(&tokens);
            let expected = values[skip..]
                .iter()
                .all(|v| v.as_deref().is_none_or(|v| missing.kept_as_is(v)));
            let got = TextViews::of(&text).all(|array| missing.all_kept_as_is(&array));
            prop_assert_eq!(got, expected);
        }

        /// The same with tokens of any length, a value often one of them in another case.
        #[test]
        fn kept_as_is_with_tokens_of_any_length(
            tokens in proptest::collection::vec("[aN/é-]{0,70}", 0..4),
            pick in 0usize..8,
            other in "[ aNn/é-]{0,70}",
        ) {
            let v = tokens.get(pick).map_or(other, |t| t.to_ascii_uppercase());
            prop_assert_eq!(
                MissingTokens::new(&tokens).kept_as_is(&v),
                values::normalise(&v, &tokens) == Some(v.as_str())
            );
        }
    }

    proptest! {
        #[test]
        fn chunks_start_at_records_for_any_text(
            cells in proptest::collection::vec("[a-c\"\r\n;,]{0,6}", 1..60),
            chunk in 1usize..40,
        ) {
            // Fields quoted as a CSV writer would, or raw (stray quotes and breaks included).
            let mut text = Vec::new();
            for (i, c) in cells.iter().enumerate() {
                if i % 3 == 0 { text.extend_from_slice(b"\n"); } else { text.push(b';'); }
                if i % 2 == 0 {
                    text.push(b'"');
                    text.extend_from_slice(c.replace('"', "\"\"").as_bytes());
                    text.push(b'"');
                } else {
                    text.extend_from_slice(c.as_bytes());
                }
            }
            let text = &text[1..];
            let starts = record_starts(text, b';', chunk);
            let mut pieces = Vec::new();
            for (i, &lo) in starts.iter().enumerate() {
                let hi = starts.get(i + 1).copied().unwrap_or(text.len());
                pieces.extend(records(&text[lo..hi], b';'));
            }
            prop_assert_eq!(pieces, records(text, b';'));
        }
    }
}
