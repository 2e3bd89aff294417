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
fn invalid_utf8_is_rejected_naming_the_column() {
    let mut bytes =
        b"lead_id,created_at,converted,company\nA,2024-01-01,1,ok\nB,2024-01-01,0,".to_vec();
    bytes.extend_from_slice(b"\xb3\xf3d\xbc\n"); // "łódź" in Windows-1250
    let i = ingest_files(&[("leads", "leads.csv", &bytes)], "").unwrap();
    assert_eq!(
        reasons(&i),
        one(
            3,
            "company",
            "not valid UTF-8 (the file mixes encodings: save it as UTF-8)"
        )
    );
}

#[test]
fn embedded_newlines_keep_row_numbers_true_to_the_file() {
    let text = format!("{HEAD}A,2024-01-01,1\n\"B\nB\",2024-01-01,1\nC,bad,1\n");
    let i = leads_only(&text);
    // C starts on line 5 of the file because B's id spans two lines.
    assert_eq!(reasons(&i)[0].0, 5);
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
