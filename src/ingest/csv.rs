//! CSV: the dialect detected, the rows cut into chunks at record boundaries and parsed in
//! parallel, each row typed by a [`RowSink`].

use std::path::Path;

use super::dialect;
use super::table::{RawTable, TableSpec, merge_chunks};
use super::typing::{Fields, RowSink};
use crate::error::{Error, Location, Result};

/// One CSV record's fields, as the text of the record.
pub(super) struct CsvFields<'a> {
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

/// Reads CSV `bytes` (of the file at `path`, written `shown`) according to `spec`.
pub(super) fn read_csv(
    bytes: &[u8],
    path: &Path,
    shown: &str,
    spec: &TableSpec,
) -> Result<RawTable> {
    read_csv_in_chunks(bytes, path, shown, spec, CHUNK_BYTES)
}

/// [`read_csv`] with chunks of about `chunk` bytes parsed in parallel.
pub(super) fn read_csv_in_chunks(
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
pub(super) const CHUNK_BYTES: usize = 16 << 20;

/// Offsets in `text` (CSV rows without the header) where chunks of about `chunk` bytes begin:
/// each at the start of a record. Quoting is followed as the csv reader follows it: a quote
/// opens a quoted field only at the start of a field (after a delimiter, a line break or the
/// start), `""` inside one is a quote, and a line break inside one does not end the record.
pub(super) fn record_starts(text: &[u8], delimiter: u8, chunk: usize) -> Vec<usize> {
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
