//! Rows of text into typed columns: each row is either pushed whole or rejected with its
//! 1-based row number, the column and the reason ([`RowSink`]).

use std::collections::HashMap;
use std::path::Path;

use polars::prelude::*;

use super::Reject;
use super::dialect::Dialect;
use super::table::{ColumnSpec, Kind, ROW_NUMBER, ROW_NUMBER_HEADER, RawTable, TableSpec};
use super::values::{self, Millis};
use crate::columns::TextViews;
use crate::error::{Error, Location, Result};

/// The fields of one row as text.
pub(super) trait Fields {
    fn len(&self) -> usize;
    fn get(&self, i: usize) -> &str;
}

impl Fields for Vec<&str> {
    fn len(&self) -> usize {
        Vec::len(self)
    }
    fn get(&self, i: usize) -> &str {
        self[i]
    }
}

/// A table's missing-value tokens ([`TableSpec::missing`]) with the lengths they come in: most
/// values are told apart from every token by their length alone.
pub(super) struct MissingTokens<'a> {
    tokens: &'a [String],
    /// Bit `n` set when a token is `n` bytes long (bit 63: 63 bytes or more).
    lengths: u64,
}

impl<'a> MissingTokens<'a> {
    pub(super) fn new(tokens: &'a [String]) -> Self {
        let lengths = tokens.iter().fold(0, |bits, t| bits | 1 << t.len().min(63));
        MissingTokens { tokens, lengths }
    }

    /// True when text `v` is kept as it is: not a missing value, nothing to trim. The same as
    /// `!is_missing(v) && v.trim() == v`, with a quick answer for the usual value (printable
    /// ASCII at both ends, and no token as long).
    pub(super) fn kept_as_is(&self, v: &str) -> bool {
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
    pub(super) fn has_length(&self, len: usize) -> bool {
        (self.lengths >> len.min(63)) & 1 == 1
    }

    /// True when every value of `values` is null or kept as it is
    /// ([`MissingTokens::kept_as_is`]). Most values are told from their views alone (length,
    /// first byte in the prefix, last byte), without making a string of each.
    pub(super) fn all_kept_as_is(&self, values: &TextViews) -> bool {
        crate::columns::all_text(
            values,
            |len, first, last| {
                first.is_ascii_graphic() && last.is_ascii_graphic() && !self.has_length(len)
            },
            |v| self.kept_as_is(v),
        )
    }
}

/// A column of a slice typed: its columns (every row) and the rows that fail, with why.
pub(super) type Typed = (Vec<Column>, Vec<(usize, String)>);

/// A parsed cell of a spec column.
pub(super) enum Cell<'a> {
    Null,
    Text(&'a str),
    Timestamp(Millis),
    Number(f64),
    Flag(bool),
    Status(&'static str),
    Period(String, Millis),
}

pub(super) enum Builder {
    Text(StringChunkedBuilder),
    Timestamp(PrimitiveChunkedBuilder<Int64Type>),
    Number(PrimitiveChunkedBuilder<Float64Type>),
    Flag(BooleanChunkedBuilder),
    Period(StringChunkedBuilder, PrimitiveChunkedBuilder<Int64Type>),
}

impl Builder {
    pub(super) fn new(name: &str, kind: Kind) -> Self {
        Builder::with_capacity(name, kind, 0)
    }

    pub(super) fn with_capacity(name: &str, kind: Kind, n: usize) -> Self {
        let name = PlSmallStr::from(name);
        match kind {
            Kind::Text | Kind::Status => Builder::Text(StringChunkedBuilder::new(name, n)),
            Kind::Timestamp => Builder::Timestamp(PrimitiveChunkedBuilder::new(name, n)),
            Kind::Number { .. } | Kind::Measure => {
                Builder::Number(PrimitiveChunkedBuilder::new(name, n))
            }
            Kind::Flag => Builder::Flag(BooleanChunkedBuilder::new(name, n)),
            Kind::Period => Builder::Period(
                StringChunkedBuilder::new(name, n),
                PrimitiveChunkedBuilder::new("period_start".into(), n),
            ),
        }
    }

    pub(super) fn push(&mut self, cell: Cell) {
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

    pub(super) fn finish(self) -> Result<Vec<Column>> {
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
pub(super) struct Describe<'a> {
    pub(super) spec: &'a TableSpec<'a>,
    shown: String,
    headers: Vec<String>,
    bound: Vec<(usize, usize)>,
}

impl Describe<'_> {
    pub(super) fn reject(
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

/// The largest amount or cost read (a thousand trillion): ten million of them add up to 1e22,
/// far from overflowing (1e308 sums to infinity, which no report can show), and no deal or
/// campaign comes near it.
pub const MAX_AMOUNT: f64 = 1e15;

/// Receives rows, parses the spec columns, and either pushes the whole row or rejects it.
pub(super) struct RowSink<'a> {
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
    pub(super) notes: Vec<String>,
    unique_seen: Vec<HashMap<Box<str>, u64>>,
    /// Reject later rows with a unique column's value seen before (off when chunks are
    /// parsed apart and [`merge_chunks`] checks).
    pub(super) check_unique: bool,
    rows: Vec<u64>,
    rows_read: u64,
    rejects: Vec<Reject>,
    /// Rows rejected for text that is not UTF-8, and the fields that held it.
    encoding_rows: u64,
    encoding_columns: std::collections::BTreeSet<usize>,
}

impl<'a> RowSink<'a> {
    pub(super) fn new(
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
            encoding_rows: 0,
            encoding_columns: std::collections::BTreeSet::new(),
        })
    }

    pub(super) fn reject(
        &mut self,
        row: u64,
        column: Option<usize>,
        reason: String,
        value: Option<&str>,
    ) {
        let reject = self.describe().reject(row, column, reason, value);
        self.rejects.push(reject);
    }

    pub(super) fn describe(&self) -> Describe<'a> {
        Describe {
            spec: self.spec,
            shown: self.shown.clone(),
            headers: self.headers.clone(),
            bound: self.bound.clone(),
        }
    }

    /// Adds `hint` to the reason of row `row` when it was just rejected.
    pub(super) fn explain_reject(&mut self, row: u64, hint: &str) {
        if let Some(last) = self.rejects.last_mut()
            && last.row == row
        {
            last.reason = format!("{} ({hint})", last.reason);
        }
    }

    pub(super) fn reject_encoding(&mut self, row: u64, record: &csv::ByteRecord) {
        self.rows_read += 1;
        self.encoding_rows += 1;
        let bad: Vec<usize> = record
            .iter()
            .enumerate()
            .filter(|(_, f)| std::str::from_utf8(f).is_err())
            .map(|(i, _)| i)
            .collect();
        self.encoding_columns
            .extend(bad.iter().copied().filter(|&i| i < self.headers.len()));
        self.reject(
            row,
            bad.first().copied().filter(|&i| i < self.headers.len()),
            "not valid UTF-8 while the rest of the file is: the file mixes encodings (save it \
             in one encoding, or set [input] encoding)"
                .into(),
            None,
        );
    }

    /// Rows rejected for text that is not UTF-8.
    pub(super) fn encoding_rows(&self) -> u64 {
        self.encoding_rows
    }

    /// The fields that held text that is not UTF-8.
    pub(super) fn encoding_columns(&self) -> &std::collections::BTreeSet<usize> {
        &self.encoding_columns
    }

    /// Rows received so far.
    pub(super) fn rows_read(&self) -> u64 {
        self.rows_read
    }

    pub(super) fn parse<'f>(
        &self,
        column: &ColumnSpec,
        text: &'f str,
    ) -> std::result::Result<Cell<'f>, String> {
        // Every number has a digit: a measure without one (empty, a URL, a file name) is no
        // value at once, before the missing-value tokens are looked at.
        if column.kind == Kind::Measure && !text.bytes().any(|b| b.is_ascii_digit()) {
            return Ok(Cell::Null);
        }
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
                Ok(v) if non_negative && v > MAX_AMOUNT => Err(format!(
                    "{} is above {MAX_AMOUNT:e}, the largest amount leadtune adds up (sums of \
                     larger ones overflow): a placeholder or a typo?",
                    column.name
                )),
                Ok(v) => Ok(Cell::Number(v)),
                Err(why) => Err(format!("{}: {why}", column.name)),
            },
            Kind::Measure => {
                Ok(values::parse_number(text, self.decimal).map_or(Cell::Null, Cell::Number))
            }
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

    pub(super) fn push(&mut self, row: u64, fields: &dyn Fields) {
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
    pub(super) fn used_fields(&self) -> Vec<usize> {
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

    pub(super) fn unique_columns(&self) -> Vec<(usize, usize)> {
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
    pub(super) fn type_columns(
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
    pub(super) fn clean_text(&self, text: &StringChunked) -> StringChunked {
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
    pub(super) fn type_column(&self, column: &ColumnSpec, text: &StringChunked) -> Result<Typed> {
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

    pub(super) fn finish(self, dialect: Option<Dialect>, format: &'static str) -> Result<RawTable> {
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
