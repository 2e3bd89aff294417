//! Inputs as Excel and CRMs save them: the same history in UTF-8 and in Windows-1250 with
//! CRLF line ends gives byte-identical points and reports; Windows-1252 and UTF-16 exports
//! lose no row; a file mixing encodings is reported with its share; rows in `rejected.csv` are
//! the rows a spreadsheet shows; an unclosed quote, a directory given as a file and `validate`
//! on a mostly rejected table fail with messages that say why.

use std::path::Path;

use crate::common::*;

/// Polish and Swedish place names: every letter is in Windows-1250 (ą, ł, ó, ż, ź, ś, ń, ö, ä;
/// å is not, which is why Windows-1252 is its own case below).
const CITIES: [&str; 6] = [
    "Łódź",
    "Żyrardów",
    "Kraków",
    "Gdańsk",
    "Świętochłowice",
    "Göteborg",
];

/// `text` in Windows-1250. Characters it lacks become numeric references (`&#229;`), in both
/// twins alike: the UTF-8 twin is this encoding decoded again.
fn windows_1250(text: &str) -> Vec<u8> {
    encoding_rs::WINDOWS_1250.encode(text).0.into_owned()
}

/// A generated history whose leads gain a `city` column, written into `utf8/` (UTF-8, LF)
/// and `cp1250/` (Windows-1250, CRLF: Polish Excel's "CSV"); the other tables are copied.
fn twin_histories(dir: &Path) {
    leadtune_ok(
        dir,
        &["generate", "--out", "g", "--leads", "2500", "--seed", "7"],
    );
    let leads = std::fs::read_to_string(dir.join("g/leads.csv")).unwrap();
    let mut with_city = String::new();
    for (i, line) in leads.lines().enumerate() {
        let city = if i == 0 {
            "city"
        } else {
            CITIES[i * 7 % CITIES.len()]
        };
        with_city.push_str(&format!("{line},{city}\n"));
    }
    // What Windows-1250 can hold, the same in both.
    let encoded = windows_1250(&with_city);
    let same = encoding_rs::WINDOWS_1250.decode(&encoded).0.into_owned();
    assert!(
        !same.contains("\"\n") || !same.contains("\n\""),
        "the generated leads must hold no quoted line break (CRLF would change it)"
    );
    for (sub, bytes) in [
        ("utf8", same.as_bytes().to_vec()),
        ("cp1250", windows_1250(&same.replace('\n', "\r\n"))),
    ] {
        let out = dir.join(sub);
        std::fs::create_dir_all(&out).unwrap();
        std::fs::write(out.join("leads.csv"), bytes).unwrap();
        for file in ["deals.csv", "activities.csv", "spend.csv", "customers.csv"] {
            std::fs::copy(dir.join("g").join(file), out.join(file)).unwrap();
        }
        // The city in the model, so that its points (names with ł, ż, ó, ö) are compared.
        let config = std::fs::read_to_string(dir.join("g/leadtune.toml")).unwrap();
        std::fs::write(
            out.join("leadtune.toml"),
            format!("{config}\n[model]\ninclude = [\"city\"]\n"),
        )
        .unwrap();
    }
}

#[test]
fn a_history_in_windows_1250_gives_the_points_and_reports_of_its_utf8_twin() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    twin_histories(d);
    for sub in ["utf8", "cp1250"] {
        leadtune_ok(
            d,
            &[
                "run",
                "--config",
                &format!("{sub}/leadtune.toml"),
                "--out",
                &format!("{sub}/out"),
            ],
        );
    }
    let manifest_of = |sub: &str| manifest(&d.join(sub).join("out"));
    let (m8, m1250) = (manifest_of("utf8"), manifest_of("cp1250"));
    assert_eq!(m8["inputs"][0]["dialect"]["encoding"], "UTF-8");
    assert_eq!(m1250["inputs"][0]["dialect"]["encoding"], "windows-1250");
    assert_eq!(m1250["inputs"][0]["dialect"]["encoding_from"], "guessed");
    assert_eq!(accounted(&m8), accounted(&m1250));
    // The city is a trait of the model with its letters intact.
    let points = std::fs::read_to_string(d.join("cp1250/out/points.csv")).unwrap();
    assert!(
        points.contains("Świętochłowice") && points.contains("Łódź"),
        "{points}"
    );
    let mut compared = 0;
    for entry in std::fs::read_dir(d.join("utf8/out")).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        let path = |sub: &str| d.join(sub).join("out").join(&name);
        if !path("utf8").is_file() || name == "manifest.json" {
            continue;
        }
        let (a, b) = (
            std::fs::read(path("utf8")).unwrap(),
            std::fs::read(path("cp1250")).unwrap(),
        );
        if name == "scoring-config.json" {
            // The input fingerprints name the files' bytes, which differ; the rest must not.
            let strip = |bytes: &[u8]| {
                let mut v: serde_json::Value = serde_json::from_slice(bytes).unwrap();
                let object = v.as_object_mut().unwrap();
                object.remove("inputs");
                object.remove("content_sha256");
                v
            };
            assert_eq!(strip(&a), strip(&b), "{name}");
        } else if name == "report.html" {
            // The page names each input's fingerprint and says how the leads were decoded;
            // with those taken out it is the same page.
            let note = "<p class=\"note\">leads.csv: not UTF-8, read as windows-1250";
            let page = |bytes: &[u8], m: &serde_json::Value| {
                let mut page = String::from_utf8(bytes.to_vec()).unwrap();
                let sha = m["inputs"][0]["sha256"].as_str().unwrap();
                assert!(page.contains(sha), "the page names the leads' fingerprint");
                page = page.replace(sha, "SHA");
                if let Some(at) = page.find(note) {
                    let end = at + page[at..].find("</p>").unwrap() + 4;
                    page.replace_range(at..end, "");
                }
                page
            };
            assert!(String::from_utf8_lossy(&b).contains(note));
            assert!(page(&a, &m8) == page(&b, &m1250), "report.html differs");
        } else {
            assert!(
                a == b,
                "{name} differs between the UTF-8 and the Windows-1250 history"
            );
        }
        compared += 1;
    }
    assert!(compared >= 10, "only {compared} outputs compared");
    // Rows rejected by their CRLF rows are the LF file's rows.
    let rejected = std::fs::read(d.join("cp1250/out/rejected.csv")).unwrap();
    assert!(
        rejected.iter().filter(|&&b| b == b'\n').count() > 1,
        "the history plants bad rows"
    );
}

/// Leads in a Swedish export, saved as Excel saves "CSV" in Sweden (Windows-1252) and as
/// "Unicode text" (UTF-16 LE with a byte-order mark, tabs).
#[test]
fn windows_1252_and_utf16_exports_lose_no_rows() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("Lead ID;Skapad;Konverterad;Företag;Ort\r\n");
    let towns = ["Umeå", "Åre", "Västerås", "Malmö", "Jönköping", "Luleå"];
    for i in 0..300 {
        text.push_str(&format!(
            "S{i};2024-{:02}-{:02};{};Företag {} AB;{}\r\n",
            1 + i % 12,
            1 + i % 28,
            i % 3 == 0,
            i % 17,
            towns[i % towns.len()]
        ));
    }
    let config = "[input]\nleads = \"leads.csv\"\n[columns]\nlead_id = \"Lead ID\"\n\
                  created_at = \"Skapad\"\nconverted = \"Konverterad\"\n";
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(
        text.replace(';', "\t")
            .encode_utf16()
            .flat_map(u16::to_le_bytes),
    );
    for (name, bytes, encoding) in [
        (
            "1252",
            encoding_rs::WINDOWS_1252.encode(&text).0.into_owned(),
            "windows-1252",
        ),
        ("utf16", utf16, "UTF-16LE"),
    ] {
        let d = dir.path().join(name);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("leads.csv"), bytes).unwrap();
        std::fs::write(d.join("leadtune.toml"), config).unwrap();
        leadtune_ok(&d, &["validate", "--out", "out"]);
        let m = manifest(&d.join("out"));
        assert_eq!(
            accounted(&m),
            vec![("leads".to_string(), [300, 300, 0, 0])],
            "{name}"
        );
        assert_eq!(m["inputs"][0]["dialect"]["encoding"], encoding, "{name}");
    }
}

/// A UTF-8 export with rows pasted in from a Windows-1252 one: the rows that are not UTF-8
/// are rejected, the share and columns said, and above 5% `validate` fails.
#[test]
fn a_file_mixing_encodings_is_reported_with_its_share_and_validate_fails() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = b"lead_id,created_at,converted,company,city\n".to_vec();
    for i in 0..90 {
        bytes.extend(format!("U{i},2024-01-05,{},Åkerlund AB,Umeå\n", i % 2).into_bytes());
    }
    for i in 0..10 {
        bytes.extend(format!("W{i},2024-01-05,1,Sjöberg AB,").into_bytes());
        bytes.extend(encoding_rs::WINDOWS_1252.encode("Malmö\n").0.into_owned());
    }
    std::fs::write(dir.path().join("leads.csv"), bytes).unwrap();
    std::fs::write(
        dir.path().join("leadtune.toml"),
        "[input]\nleads = \"leads.csv\"\n",
    )
    .unwrap();
    let out = leadtune(dir.path(), &["validate", "--out", "out"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.starts_with("WARNING: leads: 10 of 100 rows (10.0%) rejected"),
        "{stdout}"
    );
    assert!(
        stdout.contains("leads.csv mixes encodings: 10 of 100 rows (10.0%)")
            && stdout.contains("in column(s) city"),
        "{stdout}"
    );
    assert!(text(&out.stderr).contains("validation failed: more than 5% of the leads rows"));
    let rejected = csv_rows(&dir.path().join("out/rejected.csv"));
    assert_eq!(rejected.len(), 10);
    assert_eq!(rejected[0]["row"], "92");
    assert_eq!(rejected[0]["column"], "city");
}

/// `rejected.csv` rows for an Excel-style CRLF export with a blank line and a multi-line
/// note: the rows a spreadsheet shows.
#[test]
fn rejected_rows_are_the_rows_a_spreadsheet_shows() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("lead_id,created_at,converted,note\r\n");
    let mut bad = Vec::new();
    let mut row = 1;
    for i in 0..60 {
        row += 1;
        if i % 10 == 4 {
            text.push_str("\r\n");
            row += 1;
        }
        let note = if i % 10 == 7 {
            "\"call back\r\nnext week\""
        } else {
            "-"
        };
        let date = if i % 10 == 3 {
            bad.push(row.to_string());
            "soon"
        } else {
            "2024-02-01"
        };
        text.push_str(&format!("L{i},{date},{},{note}\r\n", i % 2));
    }
    for (name, ends) in [("crlf", "\r\n"), ("lf", "\n"), ("cr", "\r")] {
        let d = dir.path().join(name);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("leads.csv"), text.replace("\r\n", ends)).unwrap();
        std::fs::write(d.join("leadtune.toml"), "[input]\nleads = \"leads.csv\"\n").unwrap();
        leadtune(&d, &["validate", "--out", "out"]);
        let rows: Vec<String> = csv_rows(&d.join("out/rejected.csv"))
            .iter()
            .map(|r| r["row"].clone())
            .collect();
        assert_eq!(rows, bad, "{name}");
    }
}

#[test]
fn an_unclosed_quote_is_an_error_saying_where_it_opened() {
    let dir = tempfile::tempdir().unwrap();
    let mut leads = String::from("lead_id,created_at,converted,note\n");
    for i in 0..99 {
        leads.push_str(&format!("L{i},2024-01-01,1,ok\n"));
    }
    leads.push_str("L99,2024-01-01,1,\"big screen\n");
    for i in 100..121 {
        leads.push_str(&format!("L{i},2024-01-01,0,ok\n"));
    }
    std::fs::write(dir.path().join("leads.csv"), leads).unwrap();
    std::fs::write(
        dir.path().join("leadtune.toml"),
        "[input]\nleads = \"leads.csv\"\n",
    )
    .unwrap();
    let out = leadtune(dir.path(), &["validate", "--out", "out"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("leads.csv, row 101: a quote opened on line 101 is never closed: the 21 line(s) after it"),
        "{err}"
    );
}

#[test]
fn a_directory_given_as_the_leads_says_it_is_a_directory() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("export")).unwrap();
    std::fs::write(
        dir.path().join("leadtune.toml"),
        "[input]\nleads = \"export\"\n",
    )
    .unwrap();
    let out = leadtune(dir.path(), &["validate"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("[input] leads = \"export\" is a directory, not a file"),
        "{}",
        text(&out.stderr)
    );
}
