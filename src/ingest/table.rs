//! One input table, read row by row into typed polars columns: every row is either pushed whole
//! or rejected with its 1-based row number, the column and the reason. CSV (dialect detected) or
//! Parquet, chosen by the file's extension.

use std::collections::HashMap;
use std::path::Path;

use polars::prelude::*;
use sha2::{Digest, Sha256};

use super::Reject;
use super::dialect::{self, Dialect};
use super::values::{self, Millis};
use crate::error::{Error, Location, Result};

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
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let (sha256, result) = rayon::join(
        || format!("{:x}", Sha256::digest(&bytes)),
        || match extension.as_str() {
            "parquet" | "pq" => read_parquet(&bytes, path, shown, spec),
            _ => read_csv(&bytes, path, shown, spec),
        },
    );
    let mut table = result?;
    table.sha256 = sha256;
    table.bytes = bytes.len() as u64;
    Ok(table)
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
    let mut sink = RowSink::new(path, shown, spec, &headers, dialect.decimal)?;
    let progress = crate::progress::bytes(body.len() as u64, &format!("reading {shown}"));
    let mut n = 0u64;
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(csv_error(e)),
        }
        let line = record.position().map_or(0, |p| p.line());
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
            progress.set_position(record.position().map_or(0, |p| p.byte()));
        }
    }
    progress.finish_and_clear();
    sink.finish(Some(dialect), "csv")
}

fn read_parquet(bytes: &[u8], path: &Path, shown: &str, spec: &TableSpec) -> Result<RawTable> {
    let df = ParquetReader::new(std::io::Cursor::new(bytes))
        .finish()
        .map_err(|e| Error::input(path, format!("cannot read Parquet: {e}")))?;
    let headers: Vec<String> = df
        .get_column_names()
        .iter()
        .map(|s| s.to_string())
        .collect();
    let texts: Vec<StringChunked> = df
        .columns()
        .iter()
        .map(|c| -> Result<StringChunked> {
            Ok(c.as_materialized_series()
                .cast(&DataType::String)?
                .str()?
                .clone())
        })
        .collect::<Result<_>>()?;
    let mut sink = RowSink::new(path, shown, spec, &headers, spec.decimal.unwrap_or(b'.'))?;
    for i in 0..df.height() {
        let fields: Vec<&str> = texts.iter().map(|c| c.get(i).unwrap_or("")).collect();
        sink.push(i as u64 + 1, &fields);
    }
    sink.finish(None, "parquet")
}

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
        let name = PlSmallStr::from(name);
        match kind {
            Kind::Text | Kind::Status => Builder::Text(StringChunkedBuilder::new(name, 0)),
            Kind::Timestamp => Builder::Timestamp(PrimitiveChunkedBuilder::new(name, 0)),
            Kind::Number { .. } => Builder::Number(PrimitiveChunkedBuilder::new(name, 0)),
            Kind::Flag => Builder::Flag(BooleanChunkedBuilder::new(name, 0)),
            Kind::Period => Builder::Period(
                StringChunkedBuilder::new(name, 0),
                PrimitiveChunkedBuilder::new("period_start".into(), 0),
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

/// Receives rows, parses the spec columns, and either pushes the whole row or rejects it.
struct RowSink<'a> {
    spec: &'a TableSpec<'a>,
    shown: String,
    headers: Vec<String>,
    decimal: u8,
    /// (spec index, field index) of the spec columns found.
    bound: Vec<(usize, usize)>,
    builders: Vec<Builder>,
    extra: Vec<(usize, StringChunkedBuilder)>,
    notes: Vec<String>,
    unique_seen: Vec<HashMap<Box<str>, u64>>,
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
            shown: shown.to_string(),
            headers: headers.to_vec(),
            decimal,
            unique_seen: vec![HashMap::new(); bound.len()],
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
        let spec_column = column.and_then(|f| {
            self.bound
                .iter()
                .find(|(_, bf)| *bf == f)
                .map(|(s, _)| &self.spec.columns[*s])
        });
        let identity = spec_column.is_some_and(|c| c.identity);
        self.rejects.push(Reject {
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
        });
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
        if values::is_missing(text, self.spec.missing) {
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
            Kind::Text => Ok(Cell::Text(text.trim())),
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
            if !self.spec.columns[s].unique {
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
            if self.spec.columns[s].unique {
                self.unique_seen[b].insert(field(f).trim().into(), row);
            }
        }
        for (builder, cell) in self.builders.iter_mut().zip(cells) {
            builder.push(cell);
        }
        for (f, builder) in &mut self.extra {
            let text = fields.get(*f);
            if values::is_missing(text, self.spec.missing) {
                builder.append_null();
            } else {
                builder.append_value(text.trim());
            }
        }
        self.rows.push(row);
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
