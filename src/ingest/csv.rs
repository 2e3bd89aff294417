//! CSV: the dialect detected, the rows cut into chunks at record boundaries and parsed in
//! parallel, each row typed by a [`RowSink`].

use std::path::Path;

use super::dialect;
use super::encoding::{self, How};
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
    let decoded = encoding::decode(bytes, spec.encoding);
    let body: &[u8] = &decoded.text;
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::input(
            path,
            "the file is empty: expected a header row and data rows",
        ));
    }
    let dialect = dialect::Dialect {
        encoding: decoded.encoding.name(),
        encoding_from: match decoded.how {
            How::Configured => "configured",
            How::Bom => "byte-order mark",
            How::Utf8 => "valid UTF-8",
            How::Guessed => "guessed",
            How::Mixed => "mixed",
        },
        ..dialect::detect(body, decoded.bom, spec.delimiter, spec.decimal)
    };
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
    // a record's row is the rows before its chunk plus its row within the chunk (rows as a
    // spreadsheet shows them: [`RowCounter`]).
    let mut header_end = usize::try_from(reader.position().byte()).unwrap_or(body.len());
    if header_end > 0
        && body.get(header_end - 1) == Some(&b'\r')
        && body.get(header_end) == Some(&b'\n')
    {
        header_end += 1;
    }
    let header_end = header_end.min(body.len());
    let rest = &body[header_end..];
    let cuts = record_starts(rest, dialect.delimiter, chunk);
    let mut first = RowSink::new(path, shown, spec, &headers, dialect.decimal)?;
    first.check_unique = false;
    if decoded.how == How::Guessed {
        first.notes.push(format!(
            "{shown}: not UTF-8, read as {} (the code page its text suggests; if its letters look \
             wrong, set [input] encoding, e.g. \"windows-1250\")",
            decoded.encoding.name()
        ));
    }
    let progress = spec.observer.progress(
        crate::observe::Work::Bytes(body.len() as u64),
        &format!("reading {shown}"),
    );
    let chunks: Vec<(usize, usize, Breaks)> = {
        use rayon::prelude::*;
        let spans: Vec<(usize, usize)> = cuts
            .iter()
            .enumerate()
            .map(|(i, &lo)| (lo, cuts.get(i + 1).copied().unwrap_or(rest.len())))
            .collect();
        let counts: Vec<Breaks> = spans
            .par_iter()
            .map(|&(lo, hi)| Breaks::of(&rest[lo..hi], dialect.delimiter))
            .collect();
        let mut before = Breaks::of(&body[..header_end], dialect.delimiter);
        let mut out = Vec::with_capacity(spans.len());
        for ((lo, hi), count) in spans.into_iter().zip(counts) {
            out.push((lo, hi, before));
            before.rows += count.rows;
            before.lines += count.lines;
        }
        out
    };
    let parse = |sink: &mut RowSink, (lo, hi, before): (usize, usize, Breaks)| -> Result<()> {
        let text = &rest[lo..hi];
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(dialect.delimiter)
            .has_headers(false)
            .flexible(true)
            .from_reader(text);
        let mut record = csv::ByteRecord::new();
        let mut rows = RowCounter::new(text, dialect.delimiter, hi == rest.len(), before);
        let mut n = 0u64;
        let mut reported = 0u64;
        loop {
            match reader.read_byte_record(&mut record) {
                Ok(false) => break,
                Ok(true) => {}
                Err(e) => {
                    let row = e.position().map(|p| p.line() + before.lines);
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
            let end = usize::try_from(reader.position().byte()).unwrap_or(text.len());
            let at = rows.record(end, reader.position().line(), &record);
            if let Some(quote) = rows.unclosed_quote(&at, end) {
                return Err(Error::Input {
                    location: Location {
                        file: path.to_path_buf(),
                        row: Some(at.row),
                        column: None,
                    },
                    message: quote,
                });
            }
            match std::str::from_utf8(record.as_slice()) {
                Ok(text) => sink.push(
                    at.row,
                    &CsvFields {
                        text,
                        record: &record,
                    },
                ),
                Err(_) => sink.reject_encoding(at.row, &record),
            }
            if at.quoted_breaks > 0 && swallows_rows(&record, dialect.delimiter, headers.len()) {
                sink.explain_reject(at.row, &at.spanned());
            }
            n += 1;
            if n.is_multiple_of(65_536) {
                let at = end as u64;
                progress.inc(at.saturating_sub(reported));
                reported = at;
            }
        }
        progress.inc(((hi - lo) as u64).saturating_sub(reported));
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
    let mixed = sinks.iter().map(RowSink::encoding_rows).sum::<u64>();
    if mixed > 0 {
        let read = sinks.iter().map(RowSink::rows_read).sum::<u64>();
        let mut columns = std::collections::BTreeSet::new();
        for sink in &sinks {
            columns.extend(sink.encoding_columns().iter().copied());
        }
        let columns: Vec<&str> = columns.iter().map(|&c| headers[c].as_str()).collect();
        sinks[0].notes.push(format!(
            "{shown} mixes encodings: {mixed} of {read} rows ({:.1}%) hold text that is not UTF-8 \
             while the rest of the file is, in column(s) {}; those rows are rejected. Save the \
             whole file in one encoding (UTF-8), or set [input] encoding to read it as another",
            100.0 * mixed as f64 / read.max(1) as f64,
            columns.join(", ")
        ));
    }
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

/// Line breaks in a stretch of CSV that starts outside a quoted cell: `rows`, those outside
/// quoted cells (each ends a row as a spreadsheet shows it: a blank line is a row, a cell's own
/// line breaks are not), and `lines`, all of them (the file's lines). A break is LF, CR LF or a
/// lone CR, as the csv reader ends records. Quoting is followed as in [`record_starts`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Breaks {
    pub rows: u64,
    pub lines: u64,
}

impl Breaks {
    pub(super) fn of(text: &[u8], delimiter: u8) -> Breaks {
        if memchr::memchr2(b'"', b'\r', text).is_none() {
            let n = memchr::memchr_iter(b'\n', text).count() as u64;
            return Breaks { rows: n, lines: n };
        }
        let mut b = Breaks::default();
        let mut pos = 0;
        let mut quoted = false;
        while pos < text.len() {
            if quoted {
                match memchr::memchr(b'"', &text[pos..]) {
                    None => {
                        b.lines += line_breaks(&text[pos..]);
                        break;
                    }
                    Some(q) => {
                        let q = pos + q;
                        b.lines += line_breaks(&text[pos..q]);
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
            let Some(i) = memchr::memchr3(b'"', b'\n', b'\r', &text[pos..]) else {
                break;
            };
            let i = pos + i;
            match text[i] {
                b'\n' => pos = i + 1,
                b'\r' if text.get(i + 1) == Some(&b'\n') => pos = i + 2,
                b'\r' => pos = i + 1,
                _ => {
                    quoted =
                        i == 0 || matches!(text[i - 1], b'\n' | b'\r') || text[i - 1] == delimiter;
                    pos = i + 1;
                    continue;
                }
            }
            b.rows += 1;
            b.lines += 1;
        }
        b
    }
}

/// Line breaks in `text`: LF, CR LF (once) and lone CR.
pub(super) fn line_breaks(text: &[u8]) -> u64 {
    memchr::memchr2_iter(b'\n', b'\r', text)
        .filter(|&i| text[i] == b'\n' || text.get(i + 1) != Some(&b'\n'))
        .count() as u64
}

/// Where each record of a chunk is, as a spreadsheet and as an editor number it: fed each
/// record's end (the reader's position after it) in order.
struct RowCounter<'t> {
    text: &'t [u8],
    delimiter: u8,
    /// The chunk ends the file.
    last: bool,
    before: Breaks,
    /// Breaks in `text[..counted]`, a CR at the end counted once its LF is known.
    counted: usize,
    breaks: u64,
    /// Breaks inside the quoted cells of the records so far.
    quoted: u64,
    /// The chunk has no quote and no CR: every break is a line feed ending a row.
    plain: bool,
}

/// One record's place: its row (as a spreadsheet shows it), the file line it starts on, and
/// the line breaks inside its quoted cells.
#[derive(Debug, Clone, Copy)]
struct At {
    row: u64,
    line: u64,
    quoted_breaks: u64,
}

impl<'t> RowCounter<'t> {
    fn new(text: &'t [u8], delimiter: u8, last: bool, before: Breaks) -> Self {
        RowCounter {
            text,
            delimiter,
            last,
            before,
            counted: 0,
            breaks: 0,
            quoted: 0,
            plain: memchr::memchr2(b'"', b'\r', text).is_none(),
        }
    }

    /// `end` is the reader's byte position after the record and `line` its line (1 + the line
    /// feeds it has read).
    fn record(&mut self, end: usize, line: u64, record: &csv::ByteRecord) -> At {
        let end = end.min(self.text.len());
        if self.plain {
            // The common case, counted by the reader: rows are lines, and lines line feeds.
            self.breaks = line.saturating_sub(1);
            self.counted = end;
            let before_start = self
                .breaks
                .saturating_sub(u64::from(self.text[..end].last() == Some(&b'\n')));
            return At {
                row: self.before.rows + 1 + before_start,
                line: self.before.lines + 1 + before_start,
                quoted_breaks: 0,
            };
        }
        // A CR ending the stretch is counted with the LF after it, in the next stretch.
        let mut upto = end;
        if end > self.counted && self.text[end - 1] == b'\r' && self.text.get(end) == Some(&b'\n') {
            upto = end - 1;
        }
        if upto > self.counted {
            self.breaks += line_breaks(&self.text[self.counted..upto]);
            self.counted = upto;
        }
        let own = line_breaks(record.as_slice());
        let quoted_before = self.quoted;
        self.quoted += own;
        // The record's own terminator, when it is counted in `breaks` already.
        let mut terminator = match end.checked_sub(1).map(|i| self.text[i]) {
            Some(b'\n') => 1,
            Some(b'\r') if self.text.get(end) != Some(&b'\n') => 1,
            _ => 0,
        };
        // The file's last break inside a quote never closed is the cell's, not a terminator.
        if terminator == 1
            && end == self.text.len()
            && matches!(record.as_slice().last(), Some(b'\n' | b'\r'))
            && self.open_quote().is_some()
        {
            terminator = 0;
        }
        let before_start = self.breaks.saturating_sub(own + terminator);
        At {
            row: self.before.rows + 1 + before_start.saturating_sub(quoted_before),
            line: self.before.lines + 1 + before_start,
            quoted_breaks: own,
        }
    }

    /// When `at`, a record ending at `end`, is the last of the file and ends inside a quoted
    /// cell that opened lines before: the message saying where the quote opened and how many
    /// lines it swallowed.
    fn unclosed_quote(&self, at: &At, end: usize) -> Option<String> {
        if !self.last || end < self.text.len() || at.quoted_breaks == 0 {
            return None;
        }
        let open = self.open_quote()?;
        let line = self.before.lines + 1 + line_breaks(&self.text[..open]);
        // The lines after the quote's own: a break ending the file starts none.
        let ends_with_break = matches!(self.text.last(), Some(b'\n' | b'\r'));
        let swallowed = line_breaks(&self.text[open..]) - u64::from(ends_with_break);
        let starts = if at.line == line {
            String::new()
        } else {
            format!(" (of the row that starts on line {})", at.line)
        };
        Some(format!(
            "a quote opened on line {line} is never closed: the {swallowed} line(s) after it, to \
             the end of the file, would be read as one cell{starts}. Close the quote; a quote \
             inside a value is written twice (\"\")"
        ))
    }

    /// Where the quote opened that is still open at the end of the last chunk, if one is: the
    /// chunk's quoting followed from its start.
    fn open_quote(&self) -> Option<usize> {
        let text = self.text;
        if !self.last {
            return None;
        }
        let mut pos = 0;
        let mut open = None;
        while pos < text.len() {
            let Some(q) = memchr::memchr(b'"', &text[pos..]) else {
                break;
            };
            let i = pos + q;
            if open.is_some() {
                if text.get(i + 1) == Some(&b'"') {
                    pos = i + 2;
                    continue;
                }
                open = None;
            } else if i == 0
                || matches!(text[i - 1], b'\n' | b'\r')
                || text[i - 1] == self.delimiter
            {
                open = Some(i);
            }
            pos = i + 1;
        }
        open
    }
}

/// Whether a quoted cell of `record` holds a line that looks like a row of its own (as many
/// delimiters as the header): what a quote left open swallows.
fn swallows_rows(record: &csv::ByteRecord, delimiter: u8, width: usize) -> bool {
    let needed = width.saturating_sub(1).max(1);
    record.iter().any(|cell| {
        cell.split(|&b| b == b'\n' || b == b'\r')
            .skip(1)
            .any(|line| memchr::memchr_iter(delimiter, line).count() >= needed)
    })
}

impl At {
    /// Why a rejected record that spans lines may not be the row it looks like.
    fn spanned(&self) -> String {
        format!(
            "a quoted cell opened on line {} runs over {} more line(s): is a quote left open?",
            self.line, self.quoted_breaks
        )
    }
}
