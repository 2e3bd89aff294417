//! Tests of reading tables: CSV chunks, Parquet slices, typing, unique keys.

use std::path::Path;

use super::*;
use crate::columns::TextViews;
use crate::ingest::csv::*;
use crate::ingest::parquet::*;
use crate::ingest::source::*;
use crate::ingest::typing::*;
use crate::ingest::values;
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
        table: Role::Leads,
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
        encoding: None,
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
    let source = TableSource::file(Role::Leads, path.clone(), "leads.parquet".into());
    let Err(err) = source.read(&leads_spec()) else {
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
    // Rows as a spreadsheet shows them: B's two-line note is one cell of row 3.
    assert_eq!(whole.rows, vec![2, 4, 6]);
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
            (5, "duplicate lead_id (the first, at row 2, is kept)"),
            (7, "duplicate lead_id (the first, at row 4, is kept)"),
            (8, "lead_id is empty"),
            (9, "duplicate lead_id (the first, at row 6, is kept)"),
        ]
    );
    for chunk in 1..csv.len() {
        let parts = read_csv_in_chunks(csv.as_bytes(), path, "leads.csv", &spec, chunk).unwrap();
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
    let read = |slice| read_parquet_in_slices(&bytes, path, "leads.parquet", &spec, slice).unwrap();
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
        let stored = Int64Chunked::from_slice("created_at".into(), &instants.map(|ms| ms * per_ms))
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
    let leads = StringChunked::from_iter_values("lead_id".into(), ["L1", "L2", "L3"].into_iter());
    let csv = "lead_id,occurred_at,type\nL2,2024-01-02,email\nX,2024-01-03,call\n\
               L1,bad,call\nL1,2024-01-04, call\nL3,2024-01-05,\n,2024-01-06,email\n\
               L2,2024-01-07,visit\n";
    let activities_spec = || TableSpec {
        table: Role::Activities,
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

/// The activities' values put together from pieces of every size (CSV chunks, Parquet
/// slices) are each kept activity's own, in file order: numbers as numbers, text, empty and a
/// missing-value token as none (NaN); a row whose value is text is never rejected for it. A
/// piece without a number holds nothing, and a table without one holds no values at all.
#[test]
fn activity_values_follow_their_rows_through_the_pieces() {
    use crate::ingest::activities::Reducer;
    let leads = StringChunked::from_iter_values("lead_id".into(), ["L1", "L2"].into_iter());
    let csv = "lead_id,occurred_at,type,value\nL1,2024-01-02,page_view,12\n\
               L2,bad,page_view,99\nL1,2024-01-03,page_view,/pricing\nL2,2024-01-04,download,\n\
               L2,2024-01-05,download,\"1,5\"\nL1,2024-01-06,page_view,NA\n\
               L1,2024-01-07,page_view,7.25\nX,2024-01-08,page_view,3\n";
    let spec_of = || TableSpec {
        table: Role::Activities,
        columns: vec![
            ColumnSpec::new("lead_id", Kind::Text).required(),
            ColumnSpec::new("occurred_at", Kind::Timestamp).required(),
            ColumnSpec::new("type", Kind::Text).required(),
            ColumnSpec::new("value", Kind::Measure),
        ],
        keep_extra: false,
        ..leads_spec()
    };
    // `1,5` is no number with the decimal point; the unknown lead's 3 stays in its row.
    let nan = f64::NAN;
    let expected = [12.0, nan, nan, nan, nan, 7.25, 3.0];
    let values_of = |read: &dyn Fn(&TableSpec) -> Result<RawTable>| {
        let index = crate::ingest::activities::LeadIndex::new(&leads);
        let reducer = Reducer::new(&index);
        let reduce = |piece: RawTable, keep: Option<&[bool]>| reducer.reduce(piece, keep);
        let spec = TableSpec {
            piece: Some(&reduce),
            ..spec_of()
        };
        let mut table = read(&spec).unwrap();
        drop(spec);
        let a = reducer.finish(&mut table).unwrap();
        (a.values().map(<[f64]>::to_vec), table.rejects.len())
    };
    let same = |(got, rejects): (Option<Vec<f64>>, usize), at: &str| {
        assert_eq!(rejects, 1, "{at}: only the bad date is rejected");
        let got = got.unwrap_or_else(|| panic!("{at}: no values"));
        assert_eq!(got.len(), expected.len(), "{at}");
        for (g, e) in got.iter().zip(&expected) {
            assert!(g == e || (g.is_nan() && e.is_nan()), "{at}: {got:?}");
        }
    };
    let path = Path::new("activities.csv");
    for chunk in 1..csv.len() {
        same(
            values_of(&|spec| {
                read_csv_in_chunks(csv.as_bytes(), path, "activities.csv", spec, chunk)
            }),
            &format!("chunk {chunk}"),
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
    for slice in 1..9 {
        same(
            values_of(&|spec| {
                read_parquet_in_slices(&bytes, Path::new("a.parquet"), "a.parquet", spec, slice)
            }),
            &format!("slice {slice}"),
        );
    }
    // Values that are all text: nothing held.
    let text = "lead_id,occurred_at,type,value\nL1,2024-01-02,page_view,/pricing\n\
                L2,2024-01-04,download,guide.pdf\n";
    for chunk in 1..text.len() {
        let got = values_of(&|spec| {
            read_csv_in_chunks(text.as_bytes(), path, "activities.csv", spec, chunk)
        });
        assert_eq!(got, (None, 0), "chunk {chunk}");
    }
}

/// A spec with a column of every kind, the other columns kept, and a missing-value token.
fn every_kind_spec() -> TableSpec<'static> {
    TableSpec {
        table: Role::Spend,
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
        encoding: None,
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
        let csv = TableSource::csv(Role::Spend, csv_text.clone(), "t.csv")
            .read(&spec)
            .unwrap();
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
