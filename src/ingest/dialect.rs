//! CSV dialect detection: byte-order mark, delimiter and decimal mark, from a sample of the file.
//! Swedish and Polish Excel write `;` with decimal commas; most CRMs write `,` with points.

/// The dialect a CSV file is read with, and whether each part was detected or configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Dialect {
    #[serde(serialize_with = "as_char")]
    pub delimiter: u8,
    #[serde(serialize_with = "as_char")]
    pub decimal: u8,
    pub bom: bool,
    /// The text encoding the file was read in (`UTF-8`, `windows-1252`, `UTF-16LE`, ...).
    pub encoding: &'static str,
    /// Why: `configured`, `byte-order mark`, `valid UTF-8`, `guessed` (a legacy code page,
    /// from the text), `mixed` (read as UTF-8, the rows in another encoding rejected).
    pub encoding_from: &'static str,
}

fn as_char<S: serde::Serializer>(b: &u8, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(match b {
        b'\t' => "tab",
        other => std::str::from_utf8(std::slice::from_ref(other)).unwrap_or("?"),
    })
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";
const CANDIDATES: [u8; 4] = [b',', b';', b'\t', b'|'];
const SAMPLE_BYTES: usize = 64 * 1024;
const SAMPLE_RECORDS: usize = 200;

/// Strips a UTF-8 byte-order mark; returns the rest and whether there was one.
pub fn strip_bom(bytes: &[u8]) -> (&[u8], bool) {
    match bytes.strip_prefix(UTF8_BOM) {
        Some(rest) => (rest, true),
        None => (bytes, false),
    }
}

/// Detects delimiter and decimal mark from the start of `bytes` (BOM already stripped);
/// `delimiter` / `decimal` given by the config are kept as they are.
pub fn detect(bytes: &[u8], bom: bool, delimiter: Option<u8>, decimal: Option<u8>) -> Dialect {
    let mut sample = &bytes[..bytes.len().min(SAMPLE_BYTES)];
    if sample.len() < bytes.len()
        && let Some(end) = sample.iter().rposition(|&b| b == b'\n')
    {
        sample = &sample[..end + 1];
    }
    let delimiter = delimiter.unwrap_or_else(|| detect_delimiter(sample));
    let decimal = decimal.unwrap_or_else(|| detect_decimal(sample, delimiter));
    Dialect {
        delimiter,
        decimal,
        bom,
        encoding: "UTF-8",
        encoding_from: "valid UTF-8",
    }
}

/// Field counts of the first records when split by `delimiter`.
fn field_counts(sample: &[u8], delimiter: u8) -> Vec<usize> {
    csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(sample)
        .byte_records()
        .take(SAMPLE_RECORDS)
        .map_while(Result::ok)
        .map(|r| r.len())
        .collect()
}

/// The delimiter that splits the header into the most fields while the rows agree with it.
/// Score: header fields x share of rows with the header's field count; ties go to the earlier
/// candidate (`,` before `;` before tab before `|`).
fn detect_delimiter(sample: &[u8]) -> u8 {
    let mut best = (0.0, b',');
    for d in CANDIDATES {
        let counts = field_counts(sample, d);
        let Some(&header) = counts.first() else {
            continue;
        };
        if header < 2 {
            continue;
        }
        let rows = &counts[1..];
        let agree = if rows.is_empty() {
            1.0
        } else {
            rows.iter().filter(|&&c| c == header).count() as f64 / rows.len() as f64
        };
        let score = header as f64 * agree;
        if score > best.0 {
            best = (score, d);
        }
    }
    best.1
}

/// Votes over numeric-looking fields: `12,5` votes for a decimal comma, `12.5` for a point;
/// `1,234` and `1.234` (three digits after the only mark) are ambiguous and do not vote; with
/// both marks, the last one is the decimal mark. No votes: `.`.
fn detect_decimal(sample: &[u8], delimiter: u8) -> u8 {
    let (mut comma, mut point) = (0usize, 0usize);
    let reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(true)
        .flexible(true)
        .from_reader(sample);
    for record in reader
        .into_byte_records()
        .take(SAMPLE_RECORDS)
        .map_while(Result::ok)
    {
        for field in record.iter() {
            match decimal_vote(field) {
                Some(b',') => comma += 1,
                Some(_) => point += 1,
                None => {}
            }
        }
    }
    if comma > point { b',' } else { b'.' }
}

fn decimal_vote(field: &[u8]) -> Option<u8> {
    let f = field.trim_ascii();
    let f = f.strip_prefix(b"-").unwrap_or(f);
    if f.is_empty()
        || !f
            .iter()
            .all(|b| b.is_ascii_digit() || *b == b',' || *b == b'.')
    {
        return None;
    }
    let last = f.iter().rposition(|b| !b.is_ascii_digit())?;
    let marks = f.iter().filter(|b| !b.is_ascii_digit()).count();
    let mark = f[last];
    if marks == 1 && f.len() - last - 1 == 3 {
        return None;
    }
    if last == 0 || last == f.len() - 1 {
        return None;
    }
    Some(mark)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swedish_excel_semicolon_and_decimal_comma() {
        let text = "lead_id;created_at;annual_revenue;employees\n\
                    L1;2024-01-05;1234,50;12\n\
                    L2;2024-01-06;99,9;7\n\
                    L3;2024-01-07;;40\n";
        let d = detect(text.as_bytes(), false, None, None);
        assert_eq!((d.delimiter, d.decimal), (b';', b','));
    }

    #[test]
    fn polish_export_with_thousands_points_and_bom() {
        let bytes = "\u{feff}id;kwota\nA;1.234,50\nB;12,00\n".as_bytes();
        let (rest, bom) = strip_bom(bytes);
        assert!(bom);
        let d = detect(rest, bom, None, None);
        assert_eq!((d.delimiter, d.decimal, d.bom), (b';', b',', true));
    }

    #[test]
    fn comma_file_with_points_and_quoted_thousands() {
        let text = "lead_id,amount,note\nL1,\"1,234\",a\nL2,12.5,\"x; y\"\nL3,7.25,b\n";
        let d = detect(text.as_bytes(), false, None, None);
        assert_eq!((d.delimiter, d.decimal), (b',', b'.'));
    }

    #[test]
    fn tab_separated() {
        let text = "lead_id\tcreated_at\tsource\nL1\t2024-01-01\tweb, form\n";
        assert_eq!(detect(text.as_bytes(), false, None, None).delimiter, b'\t');
    }

    #[test]
    fn configured_values_win() {
        let text = "a;b\n1,5;2\n";
        let d = detect(text.as_bytes(), false, Some(b','), Some(b'.'));
        assert_eq!((d.delimiter, d.decimal), (b',', b'.'));
    }
}
