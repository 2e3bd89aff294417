//! Tests of [`super`]: reading a run's inputs, one test per rejection reason.

use super::*;

/// Writes tables (name, file name, bytes) and a config; returns the ingest result.
fn ingest_files(files: &[(&str, &str, &[u8])], extra_toml: &str) -> Result<Inputs> {
    let dir = tempfile::tempdir().unwrap();
    let mut toml = String::from("[input]\n");
    for (table, name, bytes) in files {
        std::fs::write(dir.path().join(name), bytes).unwrap();
        toml.push_str(&format!("{table} = \"{name}\"\n"));
    }
    toml.push_str(extra_toml);
    let path = dir.path().join("leadtune.toml");
    std::fs::write(&path, toml).unwrap();
    let settings = crate::config::load(&path, None, None)?;
    let now = values::parse_timestamp("2026-01-01", None).unwrap();
    ingest(&settings, now, &crate::observe::Silent)
}

fn leads_only(text: &str) -> Inputs {
    ingest_files(&[("leads", "leads.csv", text.as_bytes())], "").unwrap()
}

/// (row, column, reason) of each reject.
fn reasons(inputs: &Inputs) -> Vec<(u64, String, String)> {
    inputs
        .rejects
        .iter()
        .map(|r| (r.row, r.column.clone(), r.reason.clone()))
        .collect()
}

fn one(row: u64, column: &str, reason: &str) -> Vec<(u64, String, String)> {
    vec![(row, column.to_string(), reason.to_string())]
}

const HEAD: &str = "lead_id,created_at,converted\n";

#[test]
fn ragged_row() {
    let i = leads_only(&format!("{HEAD}A,2024-01-01,1\nB,2024-01-01\n"));
    assert_eq!(
        reasons(&i),
        one(3, "", "row has 2 fields, the header has 3")
    );
    assert_eq!(i.leads.len(), 1);
}

#[test]
fn trailing_empty_fields_are_not_ragged() {
    let i = leads_only(&format!("{HEAD}A,2024-01-01,1,,\n"));
    assert!(i.rejects.is_empty());
}

#[test]
fn empty_id() {
    let i = leads_only(&format!("{HEAD} ,2024-01-01,1\nB,2024-01-01,0\n"));
    assert_eq!(reasons(&i), one(2, "lead_id", "lead_id is empty"));
}

#[test]
fn unparseable_date() {
    let i = leads_only(&format!("{HEAD}A,2024-13-45,1\n"));
    assert_eq!(
        reasons(&i),
        one(
            2,
            "created_at",
            "created_at is not a date (expected YYYY-MM-DD[THH:MM:SS])"
        )
    );
    assert_eq!(i.rejects[0].value.as_deref(), Some("2024-13-45"));
}

#[test]
fn date_in_the_future() {
    let i = leads_only(&format!("{HEAD}A,2099-01-01,1\n"));
    assert_eq!(
        reasons(&i),
        one(
            2,
            "created_at",
            "created_at is later than now (a date in the future)"
        )
    );
}

#[test]
fn duplicate_id_keeps_the_first() {
    let i = leads_only(&format!("{HEAD}A,2024-01-01,1\nA,2024-02-01,0\n"));
    assert_eq!(
        reasons(&i),
        one(
            3,
            "lead_id",
            "duplicate lead_id (the first, at row 2, is kept)"
        )
    );
}

#[test]
fn bad_flag() {
    let i = leads_only(&format!("{HEAD}A,2024-01-01,maybe\n"));
    assert_eq!(
        reasons(&i),
        one(
            2,
            "converted",
            "converted is not a yes/no value (1/0, true/false, yes/no)"
        )
    );
}

#[test]
fn a_file_mixing_encodings_reports_the_share_and_the_columns() {
    // UTF-8 rows (the first), then rows saved in Windows-1250: "łódź" and "Kraków".
    let mut bytes = "lead_id,created_at,converted,company,city\nA,2024-01-01,1,Åre AB,Umeå\n"
        .as_bytes()
        .to_vec();
    for i in 0..3 {
        bytes.extend_from_slice(format!("B{i},2024-01-01,0,ok,").as_bytes());
        bytes.extend_from_slice(b"\xb3\xf3d\xbc\n");
    }
    bytes.extend_from_slice(b"C,2024-01-01,0,Krak\xf3w,x\n");
    let i = ingest_files(&[("leads", "leads.csv", &bytes)], "").unwrap();
    let reason = "not valid UTF-8 while the rest of the file is: the file mixes encodings \
                  (save it in one encoding, or set [input] encoding)";
    assert_eq!(
        reasons(&i),
        [
            (3, "city".to_string(), reason.to_string()),
            (4, "city".to_string(), reason.to_string()),
            (5, "city".to_string(), reason.to_string()),
            (6, "company".to_string(), reason.to_string()),
        ]
    );
    let note = i
        .notes
        .iter()
        .find(|n| n.contains("mixes encodings"))
        .unwrap();
    assert!(
        note.contains("4 of 5 rows (80.0%)") && note.contains("in column(s) company, city"),
        "{note}"
    );
    let dialect = i.files[0].dialect.unwrap();
    assert_eq!(
        (dialect.encoding, dialect.encoding_from),
        ("UTF-8", "mixed")
    );
}

/// Excel's "CSV" in Sweden (Windows-1252) and Poland (Windows-1250), and Unicode text
/// (UTF-16 LE with its byte-order mark): every row read, the text as written.
#[test]
fn windows_code_pages_and_utf16_lose_no_rows() {
    let text = "lead_id;created_at;converted;företag;ort\n\
                L1;2024-01-01;ja;Åkerlunds Bröd AB;Göteborg\n\
                L2;2024-01-02;nej;Öresunds Färjor;Malmö\n\
                L3;2024-01-03;ja;Västerås Stål;Västerås\n"
        .replace("ja", "1")
        .replace("nej", "0");
    let polish = "lead_id;created_at;converted;firma\nL1;2024-01-01;1;Łódź Żabka\n\
                  L2;2024-01-02;0;Gdańsk Świętokrzyskie\nL3;2024-01-02;0;Poznań Północ\n";
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let cases: [(&str, Vec<u8>, &str, &str); 4] = [
        (
            "windows-1252",
            encoding_rs::WINDOWS_1252.encode(&text).0.into_owned(),
            "guessed",
            "Göteborg",
        ),
        (
            "windows-1250",
            encoding_rs::WINDOWS_1250.encode(polish).0.into_owned(),
            "guessed",
            "Łódź Żabka",
        ),
        ("UTF-16LE", utf16, "byte-order mark", "Göteborg"),
        ("UTF-8", text.as_bytes().to_vec(), "valid UTF-8", "Göteborg"),
    ];
    for (encoding, bytes, from, first) in cases {
        let i = ingest_files(&[("leads", "leads.csv", &bytes)], "").unwrap();
        assert!(i.rejects.is_empty(), "{encoding}: {:?}", i.rejects);
        assert_eq!(i.leads.len(), 3, "{encoding}");
        let d = i.files[0].dialect.unwrap();
        assert_eq!((d.encoding, d.encoding_from), (encoding, from));
        let trait_column = if encoding == "windows-1250" {
            "firma"
        } else {
            "ort"
        };
        let values = i
            .leads
            .df
            .column(trait_column)
            .unwrap()
            .str()
            .unwrap()
            .clone();
        let expected = if encoding == "windows-1250" {
            first
        } else {
            "Göteborg"
        };
        assert_eq!(values.get(0), Some(expected), "{encoding}");
    }
}

#[test]
fn configured_encoding_overrides_detection_and_unknown_labels_are_refused() {
    // Latin-1 bytes read as Windows-1250 on purpose: 0xF3 is "ó" in both, 0xE5 "ĺ" in 1250.
    let bytes = b"lead_id,created_at,converted,city\nA,2024-01-01,1,Krak\xf3w \xe5\n";
    let i = ingest_files(
        &[("leads", "leads.csv", bytes)],
        "encoding = \"windows-1250\"\n",
    )
    .unwrap();
    let d = i.files[0].dialect.unwrap();
    assert_eq!(
        (d.encoding, d.encoding_from),
        ("windows-1250", "configured")
    );
    let city = i
        .leads
        .df
        .column("city")
        .unwrap()
        .str()
        .unwrap()
        .get(0)
        .map(str::to_string);
    assert_eq!(city.as_deref(), Some("Kraków ĺ"));
    let err = ingest_files(&[("leads", "leads.csv", bytes)], "encoding = \"klingon\"\n")
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("[input] encoding = \"klingon\" is not an encoding")
            && err.contains("\"windows-1250\""),
        "{err}"
    );
}

#[test]
fn embedded_newlines_keep_row_numbers_as_a_spreadsheet_shows_them() {
    let text = format!("{HEAD}A,2024-01-01,1\n\"B\nB\",2024-01-01,1\nC,bad,1\n");
    let i = leads_only(&text);
    // C is on line 5 of the file, but B's two-line id is one cell of row 3: C is row 4.
    assert_eq!(reasons(&i)[0].0, 4);
}

/// Rows as a spreadsheet shows them (the README's `rejected.csv`), whatever ends the lines:
/// the header is row 1, a blank line is a row, a quoted cell's own line breaks are not.
#[test]
fn row_numbers_are_the_spreadsheet_s_for_lf_crlf_and_cr() {
    let rows = [
        "A,2024-01-01,1",
        "B,bad,1",
        "",
        "C,bad,0",
        "D,2024-01-02,\"x\ny\"",
        "",
        "",
        "E,bad,1",
        "F,2024-01-02,\"1\"",
        "G,bad,1",
    ];
    for eol in ["\n", "\r\n", "\r"] {
        let text = format!("{}{eol}", HEAD.trim_end()) + &rows.join(eol) + eol;
        let text = text.replace("x\ny", &format!("x{eol}y"));
        let i = leads_only(&text);
        let got: Vec<u64> = i.rejects.iter().map(|r| r.row).collect();
        // Header 1, A 2, B 3, blank 4, C 5, D 6 (two lines), blanks 7 and 8, E 9, F 10, G 11.
        assert_eq!(got, [3, 5, 6, 9, 11], "line ends {eol:?}");
        assert_eq!(i.leads.len(), 2, "line ends {eol:?}");
    }
}

#[test]
fn row_numbers_hold_across_parallel_chunks() {
    // CRLF with quoted line breaks, and plain LF (no quote, no CR: the fast count).
    for (eol, quoted) in [("\r\n", true), ("\n", false), ("\n", true)] {
        let mut text = format!("lead_id,created_at,converted{eol}");
        for i in 0..400 {
            if i % 7 == 0 {
                text.push_str(eol);
            }
            let note = if quoted && i % 5 == 0 {
                format!("\"a{eol}b\"")
            } else if i % 5 == 0 {
                "x".to_string()
            } else {
                "1".to_string()
            };
            let date = if i % 3 == 0 { "bad" } else { "2024-01-01" };
            text.push_str(&format!("L{i},{date},{note}{eol}"));
        }
        // Expected rows counted the slow way: the header is row 1, a blank line is a row.
        let mut expected = Vec::new();
        let mut row = 2u64;
        for i in 0..400 {
            if i % 7 == 0 {
                row += 1;
            }
            if i % 3 == 0 || i % 5 == 0 {
                expected.push(row);
            }
            row += 1;
        }
        for chunk in [64, 1000, 1 << 20] {
            let got = rows_in_chunks(text.as_bytes(), chunk);
            assert_eq!(
                got, expected,
                "{eol:?}, quoted {quoted}, chunks of {chunk} bytes"
            );
        }
    }
}

/// The rejected rows of leads read from `bytes` in chunks of about `chunk` bytes.
fn rows_in_chunks(bytes: &[u8], chunk: usize) -> Vec<u64> {
    let silent = crate::observe::Silent;
    let missing: Vec<String> = Vec::new();
    let spec = table::TableSpec {
        table: Role::Leads,
        columns: vec![
            ColumnSpec::new("lead_id", Kind::Text).required(),
            ColumnSpec::new("created_at", Kind::Timestamp),
            ColumnSpec::new("converted", Kind::Flag),
        ],
        keep_extra: false,
        header_for: &|n: &str| n.to_string(),
        missing: &missing,
        date_format: None,
        delimiter: None,
        decimal: None,
        encoding: None,
        now_ms: i64::MAX,
        now_label: "now",
        unless: Vec::new(),
        piece: None,
        observer: &silent,
    };
    let path = std::path::Path::new("leads.csv");
    let raw = super::csv::read_csv_in_chunks(bytes, path, "leads.csv", &spec, chunk).unwrap();
    let mut rows: Vec<u64> = raw.rejects.iter().map(|r| r.row).collect();
    rows.sort_unstable();
    rows
}

#[test]
fn an_unclosed_quote_says_where_it_opened_and_what_it_swallowed() {
    let mut text = String::from(HEAD);
    for i in 0..100 {
        text.push_str(&format!("L{i},2024-01-01,1\n"));
    }
    text.push_str("M,2024-01-01,\"1\n");
    for i in 0..21 {
        text.push_str(&format!("N{i},2024-01-01,1\n"));
    }
    let err = ingest_files(&[("leads", "leads.csv", text.as_bytes())], "")
        .err()
        .expect("an unclosed quote is an error")
        .to_string();
    assert!(
        err.contains("a quote opened on line 102 is never closed: the 21 line(s) after it"),
        "{err}"
    );
    assert!(err.contains("row 102"), "{err}");
}

#[test]
fn a_stray_quote_closed_lines_later_names_the_lines_in_the_ragged_row() {
    let text =
        format!("{HEAD}A,2024-01-01,\"1\nB,2024-01-01,1\nC,2024-01-01,1\"\nD,2024-01-01,1\n");
    let i = leads_only(&text);
    assert_eq!(i.rejects.len(), 1);
    assert_eq!(i.rejects[0].row, 2);
    assert!(
        i.rejects[0].reason.contains(
            "a quoted cell opened on line 2 runs over 2 more line(s): is a quote left open?"
        ),
        "{}",
        i.rejects[0].reason
    );
    assert_eq!(i.rejects.len() + i.leads.len(), 2);
}

fn deals_with(row: &str) -> Inputs {
    let leads = format!("{HEAD}A,2024-01-01,1\n");
    let deals = format!("deal_id,lead_id,status,closed_at,amount\n{row}\n");
    ingest_files(
        &[
            ("leads", "leads.csv", leads.as_bytes()),
            ("deals", "deals.csv", deals.as_bytes()),
        ],
        "",
    )
    .unwrap()
}

#[test]
fn negative_amount() {
    let i = deals_with("D1,A,won,2024-02-01,-5");
    assert_eq!(reasons(&i), one(2, "amount", "amount is negative"));
}

#[test]
fn amounts_too_large_to_add_up_are_rejected() {
    let i = deals_with("D1,A,won,2024-02-01,1e308");
    assert_eq!(
        reasons(&i),
        one(
            2,
            "amount",
            "amount is above 1e15, the largest amount leadtune adds up (sums of larger ones \
             overflow): a placeholder or a typo?"
        )
    );
    let i = deals_with("D1,A,won,2024-02-01,999999999999999");
    assert!(i.rejects.is_empty(), "{:?}", i.rejects);
}

#[test]
fn non_numeric_amount() {
    let i = deals_with("D1,A,won,2024-02-01,TBD");
    assert_eq!(reasons(&i), one(2, "amount", "amount: not a number"));
}

#[test]
fn amounts_with_currency_and_thousands_are_used() {
    let i = deals_with("D1,A,won,2024-02-01,\"$12,500.00\"");
    assert!(i.rejects.is_empty());
    let amount = i
        .deals
        .unwrap()
        .frame()
        .column("amount")
        .unwrap()
        .f64()
        .unwrap()
        .get(0);
    assert_eq!(amount, Some(12_500.0));
}

#[test]
fn unknown_status() {
    let i = deals_with("D1,A,stalled,2024-02-01,5");
    assert_eq!(
        reasons(&i),
        one(2, "status", "status is not won, lost or open")
    );
}

#[test]
fn bad_spend_period_and_cost() {
    let leads = format!("{HEAD}A,2024-01-01,1\n");
    let spend = "source,period,cost\nweb,2024-13,5\nweb,2024-Q1,abc\nweb,2024-Q1,100\n";
    let i = ingest_files(
        &[
            ("leads", "leads.csv", leads.as_bytes()),
            ("spend", "spend.csv", spend.as_bytes()),
        ],
        "",
    )
    .unwrap();
    assert_eq!(
        reasons(&i),
        vec![
            (
                2,
                "period".into(),
                "period is not a month YYYY-MM or quarter YYYY-Qn".into()
            ),
            (3, "cost".into(), "cost: not a number".into()),
        ]
    );
}

#[test]
fn missing_created_at_without_converted_names_the_column() {
    let err = ingest_files(&[("leads", "leads.csv", b"lead_id,industry\nA,x\n")], "")
        .err()
        .unwrap();
    let message = err.to_string();
    assert!(message.contains("\"created_at\""), "{message}");
    assert!(message.contains("lead_id, industry"), "{message}");
    assert_eq!(err.exit_code(), 1);
}

#[test]
fn duplicate_header_is_refused() {
    let err = ingest_files(
        &[("leads", "leads.csv", b"lead_id,converted,x,x\nA,1,a,b\n")],
        "",
    )
    .err()
    .unwrap();
    assert!(
        err.to_string()
            .contains("names \"x\" twice (columns 3 and 4)"),
        "{err}"
    );
}

#[test]
fn empty_and_header_only_files_are_refused() {
    let empty = ingest_files(&[("leads", "leads.csv", b"")], "")
        .err()
        .unwrap();
    assert!(empty.to_string().contains("the file is empty"), "{empty}");
    let header = ingest_files(&[("leads", "leads.csv", HEAD.as_bytes())], "")
        .err()
        .unwrap();
    assert!(
        header.to_string().contains("header but no rows"),
        "{header}"
    );
}

#[test]
fn config_naming_a_missing_trait_is_refused_with_a_suggestion() {
    let err = ingest_files(
        &[("leads", "leads.csv", b"lead_id,converted,industry\nA,1,x\n")],
        "[traits]\nexclude = [\"industy\"]\n",
    )
    .err()
    .unwrap();
    assert!(
        err.to_string().contains("did you mean \"industry\""),
        "{err}"
    );
}

#[test]
fn traits_are_typed_and_only_leadtune_s_identity_columns_kept_apart() {
    // Which other columns identify someone their values decide, in trait discovery: here
    // they are candidates, typed, the numbers with how they were written.
    let text = "lead_id;converted;email;employees;industry;contact_name;phone;account\n\
                    A;1;a@x.se;12;Software;Åsa Öberg;+46 70 123 45 67;001123\n\
                    B;0;b@y.pl;1 200;Retail;Jan Kowalski;;001124\n\
                    C;0;;NA;Retail;X;;010000\n";
    let i = leads_only(text);
    let text_of = |leading_zeros, min_width, max_width, phone_like| {
        Some(NumberText {
            leading_zeros,
            min_width,
            max_width,
            phone_like,
        })
    };
    let candidate = |name: &str, numeric, text| Trait {
        name: name.into(),
        numeric,
        text,
    };
    assert_eq!(
        i.leads.traits,
        vec![
            candidate("employees", true, text_of(0, 2, 5, 0)),
            candidate("industry", false, None),
            candidate("contact_name", false, None),
            // Spaces group digits in numbers too: a phone number reads as one, and says so.
            candidate("phone", true, text_of(0, 16, 16, 1)),
            candidate("account", true, text_of(3, 6, 6, 0)),
        ]
    );
    assert_eq!(i.leads.identity, vec!["email".to_string()]);
    let employees: Vec<Option<f64>> = i
        .leads
        .frame()
        .column("employees")
        .unwrap()
        .f64()
        .unwrap()
        .iter()
        .collect();
    assert_eq!(employees, vec![Some(12.0), Some(1200.0), None]);
}

/// The config error of `[traits]` lines on a small leads table.
fn traits_config_error(traits: &str) -> String {
    let leads = b"lead_id,converted,email,source,industry,rep\nA,1,a@x.se,web,x,Anna Berg\n";
    ingest_files(
        &[("leads", "leads.csv", leads)],
        &format!("[traits]\n{traits}\n"),
    )
    .err()
    .expect("a config error")
    .to_string()
}

#[test]
fn keep_and_identity_name_columns_of_the_leads() {
    let err = traits_config_error("keep = [\"reps\"]");
    assert!(err.contains("[traits] keep names \"reps\""), "{err}");
    assert!(err.contains("did you mean \"rep\""), "{err}");
    let err = traits_config_error("identity = [\"industri\"]");
    assert!(
        err.contains("[traits] identity names \"industri\""),
        "{err}"
    );
    let err = traits_config_error("keep = [\"rep\"]\nidentity = [\"rep\"]");
    assert!(err.contains("both name \"rep\""), "{err}");
    let err = traits_config_error("keep = [\"rep\"]\nexclude = [\"rep\"]");
    assert!(err.contains("[traits] keep and [traits] exclude"), "{err}");
    let err = traits_config_error("keep = [\"email\"]");
    assert!(err.contains("matching existing customers only"), "{err}");
    let err = traits_config_error("identity = [\"lead_id\"]");
    assert!(err.contains("one of leadtune's own columns"), "{err}");
    // What may be named: candidate traits (source included), and identity on `email`.
    let leads = b"lead_id,converted,email,source,industry,rep\nA,1,a@x.se,web,x,Anna Berg\n";
    let ok = "[traits]\nkeep = [\"rep\", \"source\"]\nidentity = [\"industry\", \"email\"]\n";
    assert!(ingest_files(&[("leads", "leads.csv", leads)], ok).is_ok());
}

#[test]
fn swedish_excel_export_with_bom_reads_the_same_as_plain_csv() {
    let swedish = "\u{feff}lead_id;converted;revenue\nA;1;1234,5\nB;0;99,9\n";
    let plain = "lead_id,converted,revenue\nA,1,1234.5\nB,0,99.9\n";
    let (s, p) = (leads_only(swedish), leads_only(plain));
    let values = |i: &Inputs| -> Vec<Option<f64>> {
        i.leads
            .frame()
            .column("revenue")
            .unwrap()
            .f64()
            .unwrap()
            .iter()
            .collect()
    };
    assert_eq!(values(&s), values(&p));
    assert!(s.files[0].dialect.unwrap().bom);
}

/// Typed Parquet columns as a warehouse writes them (decimals, small and unsigned
/// integers, floats, dictionaries) are read as the text of their values: the same leads as
/// the file with that text.
#[test]
fn typed_parquet_columns_read_as_their_text() {
    let write = |mut df: DataFrame| {
        let mut bytes = Vec::new();
        ParquetWriter::new(&mut bytes).finish(&mut df).unwrap();
        bytes
    };
    let ids = ["A", "B", "C"];
    let created = ["2024-01-01", "2024-01-02", "2024-01-03"];
    let text = df!(
        "lead_id" => ids,
        "created_at" => created,
        "revenue" => [Some("12.50"), None, Some("-3.25")],
        "seats" => [Some("7"), Some("-300"), None],
        "tier" => ["1", "2", "255"],
        "score" => ["0.5", "2", "1e-07"],
        "industry" => ["Retail", "Retail", "Software"],
    )
    .unwrap();
    let typed = df!(
        "lead_id" => ids,
        "created_at" => created,
        "revenue" => Series::new("revenue".into(), [Some(12.5), None, Some(-3.25)])
            .cast(&DataType::Decimal(18, 2))
            .unwrap(),
        "seats" => Series::new("seats".into(), [Some(7i16), Some(-300), None]),
        "tier" => Series::new("tier".into(), [1u8, 2, 255]),
        "score" => [0.5f64, 2.0, 1e-7],
        "industry" => Series::new("industry".into(), ["Retail", "Retail", "Software"])
            .cast(&DataType::from_categories(Categories::global()))
            .unwrap(),
    )
    .unwrap();
    let read = |df| ingest_files(&[("leads", "leads.parquet", &write(df))], "").unwrap();
    let (as_text, as_typed) = (read(text), read(typed));
    assert!(as_typed.rejects.is_empty(), "{:?}", reasons(&as_typed));
    assert!(
        as_text.leads.frame().equals_missing(as_typed.leads.frame()),
        "{:?}\n{:?}",
        as_text.leads.frame(),
        as_typed.leads.frame()
    );
}

#[test]
fn parquet_input_is_read_like_csv() {
    let dir = tempfile::tempdir().unwrap();
    let mut df = df!(
        "lead_id" => ["A", "B", "B"],
        "converted" => [Some(true), Some(false), None],
        "industry" => ["x", "y", "z"],
    )
    .unwrap();
    let path = dir.path().join("leads.parquet");
    ParquetWriter::new(std::fs::File::create(&path).unwrap())
        .finish(&mut df)
        .unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let i = ingest_files(&[("leads", "leads.parquet", &bytes)], "").unwrap();
    // Parquet rows are numbered from 1 (no header row).
    assert_eq!(i.leads.len(), 2);
    assert_eq!(reasons(&i), one(3, "converted", "converted is empty"));
}

#[test]
fn widespread_reasons_are_grouped_by_their_words_and_counted_against_the_table() {
    let reject = |table, row, column: &str, reason: &str| Reject {
        table,
        file: "f.csv".into(),
        row,
        column: column.into(),
        reason: reason.into(),
        value: None,
    };
    let rejects = vec![
        reject(Role::Leads, 3, "", "row has 2 fields, the header has 5"),
        reject(Role::Leads, 9, "", "row has 7 fields, the header has 5"),
        reject(Role::Leads, 12, "created_at", "created_at is not a date"),
        reject(Role::Deals, 4, "amount", "amount is negative"),
    ];
    // Leads: 2 ragged rows of 30 (6.7%) are widespread, 1 bad date (3.3%) is not; deals: 1
    // of 20 (5%) is not (more than 5% is).
    let got = widespread(&[(Role::Leads, 30), (Role::Deals, 20)], &rejects);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(
        (got[0].table, got[0].rows, got[0].of, got[0].example_row),
        (Role::Leads, 2, 30, 3)
    );
    assert!(
        got[0]
            .to_string()
            .starts_with("leads: 2 of 30 rows (6.7%) rejected")
    );
    assert_eq!(
        widespread(&[(Role::Leads, 40), (Role::Deals, 19)], &rejects).len(),
        1
    );
}

#[test]
fn parquet_columns_without_a_text_form_are_errors_naming_the_column() {
    for (file, bytes, column, kind) in [
        (
            "float16.parquet",
            &include_bytes!("../../tests/fixtures/parquet/float16.parquet")[..],
            "score_f16",
            "half-precision floats (float16)",
        ),
        (
            "struct.parquet",
            &include_bytes!("../../tests/fixtures/parquet/struct.parquet")[..],
            "position",
            "structs",
        ),
    ] {
        let err = ingest_files(&[("leads", file, bytes)], "").err().unwrap();
        assert_eq!(err.exit_code(), 1);
        let err = err.to_string();
        assert!(
            err.contains(&format!("{file}, column \"{column}\": it holds {kind}")),
            "{err}"
        );
    }
}

#[test]
fn a_directory_given_as_an_input_says_it_is_one() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("exports")).unwrap();
    let path = dir.path().join("leadtune.toml");
    std::fs::write(&path, "[input]\nleads = \"exports\"\n").unwrap();
    let err = crate::config::load(&path, None, None)
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("[input] leads = \"exports\" is a directory, not a file"),
        "{err}"
    );
    // `leadtune score --leads DIR` reads through the same file opening.
    let err = source::FileBytes::open(&dir.path().join("exports"))
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("this is a directory, not a file"), "{err}");
}
