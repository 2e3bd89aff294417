//! Tests of [`super`]: rendered charts checked pixel by pixel and as SVG.

use plotters::prelude::*;

use super::*;

/// Renders the PNG pixels into memory (no encoding, which is slow in
/// debug builds) and the SVG string.
fn render_in_memory(chart: &Chart) -> Result<(Vec<u8>, String), ChartError> {
    let plan = prepare(chart, "in-memory")?;
    let pixels = guarded("in-memory", || {
        let mut buf = vec![0u8; plan.width as usize * plan.height as usize * 3];
        {
            let root =
                BitMapBackend::with_buffer(&mut buf, (plan.width, plan.height)).into_drawing_area();
            paint(&root, &plan, true)?;
        }
        Ok(buf)
    })?;
    Ok((pixels, render_svg_string(chart)?))
}

fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("leadtune-charts-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn bars(n: usize) -> Vec<Bar> {
    (0..n)
        .map(|i| {
            let v = 0.02 + 0.01 * i as f64;
            Bar::new(format!("Source {i}"), v)
                .with_interval(v - 0.01, v + 0.012)
                .with_muted(i % 4 == 3)
                .with_annotation(format!("n={}", fixed(100.0 * (i + 1) as f64, 0)))
        })
        .collect()
}

fn hbar(bars: Vec<Bar>, format: Format) -> Chart {
    Chart::HBar {
        title: "Conversion by source".into(),
        subtitle: Some("Leads created 2024".into()),
        x_label: "Conversion rate (%)".into(),
        bars,
        format,
        reference: Some((0.05, "overall 5.0%".into())),
        muted_note: None,
    }
}

fn columns(bars: Vec<Bar>, format: Format) -> Chart {
    Chart::Columns {
        title: "Lift by decile".into(),
        subtitle: None,
        x_label: "Score decile".into(),
        y_label: "Lift".into(),
        bars,
        format,
        reference: Some((1.0, "baseline".into())),
        muted_note: Some("fewer than 30 leads".into()),
    }
}

fn line(points: Vec<Bar>) -> Chart {
    Chart::Line {
        title: "Quarterly conversion".into(),
        subtitle: None,
        x_label: "Quarter created".into(),
        y_label: "Conversion rate (%)".into(),
        points,
        format: Format::Percent,
        muted_note: None,
    }
}

fn calibration(points: Vec<CalPoint>) -> Chart {
    Chart::Calibration {
        title: "Calibration".into(),
        subtitle: None,
        x_label: "Predicted probability".into(),
        y_label: "Observed rate".into(),
        points,
    }
}

fn histogram(edges: Vec<f64>, series: Vec<Series>) -> Chart {
    Chart::Histogram {
        title: "Score distribution".into(),
        subtitle: None,
        x_label: "Score".into(),
        y_label: "Share of leads".into(),
        edges,
        series,
        format: Format::Percent,
        x_format: Format::Number(1),
    }
}

fn cal_points() -> Vec<CalPoint> {
    (0..8)
        .map(|i| {
            let p = 0.05 + 0.1 * i as f64;
            CalPoint {
                predicted: p,
                observed: p * 0.9,
                lo: Some(p * 0.8),
                hi: Some(p),
                n: 100 * (i + 1),
            }
        })
        .collect()
}

fn all_kinds() -> Vec<(&'static str, Chart)> {
    let edges: Vec<f64> = (0..=10).map(|i| i as f64 / 10.0).collect();
    vec![
        ("hbar", hbar(bars(6), Format::Percent)),
        ("columns", columns(bars(10), Format::Ratio)),
        ("line", line(bars(8))),
        ("calibration", calibration(cal_points())),
        (
            "histogram",
            histogram(
                edges,
                vec![
                    Series {
                        name: "won".into(),
                        values: vec![0.01, 0.02, 0.04, 0.06, 0.1, 0.12, 0.15, 0.2, 0.18, 0.12],
                    },
                    Series {
                        name: "not won".into(),
                        values: vec![0.2, 0.18, 0.15, 0.12, 0.1, 0.08, 0.07, 0.05, 0.03, 0.02],
                    },
                ],
            ),
        ),
    ]
}

/// Minimal XML well-formedness check: balanced tags, quoted attributes,
/// valid entities, no raw `<` in text or attributes, only XML chars.
fn check_xml(doc: &str) -> Result<(), String> {
    fn entity_ok(rest: &str) -> bool {
        let Some(end) = rest.find(';') else {
            return false;
        };
        let name = &rest[1..end];
        matches!(name, "amp" | "lt" | "gt" | "quot" | "apos")
            || name
                .strip_prefix("#x")
                .is_some_and(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_hexdigit()))
            || name
                .strip_prefix('#')
                .is_some_and(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()))
    }
    for c in doc.chars() {
        let ok = matches!(c, '\t' | '\n' | '\r')
            || (!c.is_control() && c != '\u{FFFE}' && c != '\u{FFFF}');
        if !ok {
            return Err(format!("forbidden character U+{:04X}", c as u32));
        }
    }
    let mut stack: Vec<String> = Vec::new();
    let mut rest = doc;
    let mut roots = 0;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("<?") {
            let end = after.find("?>").ok_or("unterminated declaration")?;
            rest = &after[end + 2..];
        } else if let Some(after) = rest.strip_prefix("<!--") {
            let end = after.find("-->").ok_or("unterminated comment")?;
            rest = &after[end + 3..];
        } else if let Some(after) = rest.strip_prefix("</") {
            let end = after.find('>').ok_or("unterminated end tag")?;
            let name = after[..end].trim();
            match stack.pop() {
                Some(open) if open == name => {}
                other => return Err(format!("</{name}> closes {other:?}")),
            }
            rest = &after[end + 1..];
        } else if let Some(after) = rest.strip_prefix('<') {
            let name_end = after
                .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
                .ok_or("unterminated tag")?;
            let name = &after[..name_end];
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '-' || c == ':')
            {
                return Err(format!("bad tag name {name:?}"));
            }
            let mut t = &after[name_end..];
            loop {
                t = t.trim_start();
                if let Some(r) = t.strip_prefix("/>") {
                    if stack.is_empty() {
                        roots += 1;
                    }
                    t = r;
                    break;
                }
                if let Some(r) = t.strip_prefix('>') {
                    if stack.is_empty() {
                        roots += 1;
                    }
                    stack.push(name.to_string());
                    t = r;
                    break;
                }
                let eq = t.find('=').ok_or("attribute without value")?;
                let attr = t[..eq].trim();
                if attr.is_empty()
                    || !attr
                        .chars()
                        .all(|c| c.is_alphanumeric() || c == '-' || c == ':')
                {
                    return Err(format!("bad attribute name {attr:?}"));
                }
                let v = t[eq + 1..].trim_start();
                let q = v.chars().next().ok_or("missing attribute value")?;
                if q != '"' && q != '\'' {
                    return Err("unquoted attribute".into());
                }
                let close = v[1..].find(q).ok_or("unterminated attribute")?;
                let value = &v[1..1 + close];
                if value.contains('<') {
                    return Err("raw < in attribute".into());
                }
                for (i, _) in value.match_indices('&') {
                    if !entity_ok(&value[i..]) {
                        return Err("bad entity in attribute".into());
                    }
                }
                t = &v[close + 2..];
            }
            rest = t;
        } else {
            let end = rest.find('<').unwrap_or(rest.len());
            let text = &rest[..end];
            if stack.is_empty() && !text.trim().is_empty() {
                return Err("text outside the root element".into());
            }
            for (i, _) in text.match_indices('&') {
                if !entity_ok(&text[i..]) {
                    return Err(format!(
                        "bad entity near {:?}",
                        &text[i..(i + 12).min(text.len())]
                    ));
                }
            }
            rest = &rest[end..];
        }
    }
    if !stack.is_empty() {
        return Err(format!("unclosed elements {stack:?}"));
    }
    if roots != 1 {
        return Err(format!("{roots} root elements"));
    }
    Ok(())
}

#[test]
fn xml_checker_rejects_bad_documents() {
    assert!(check_xml("<svg><text>a &amp; b</text></svg>").is_ok());
    assert!(check_xml("<svg><text>a & b</text></svg>").is_err());
    assert!(check_xml("<svg><text>a <script> b</text></svg>").is_err());
    assert!(check_xml("<svg a=\"<\"/>").is_err());
    assert!(check_xml("<svg><g></svg>").is_err());
    assert!(check_xml("<svg>\u{1b}</svg>").is_err());
}

#[test]
fn every_kind_writes_png_and_svg() {
    let dir = scratch_dir("kinds");
    for (stem, chart) in all_kinds() {
        let (png, svg) = render(&chart, &dir, stem).unwrap();
        let png_bytes = std::fs::read(&png).unwrap();
        assert!(png_bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "{stem}");
        assert!(png_bytes.len() > 5_000, "{stem}: {} bytes", png_bytes.len());
        let svg_text = std::fs::read_to_string(&svg).unwrap();
        check_xml(&svg_text).unwrap_or_else(|e| panic!("{stem}: {e}"));
        assert!(svg_text.contains("<text"), "{stem}");
    }
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains("partial"))
        .collect();
    assert!(leftovers.is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn output_is_deterministic() {
    for (stem, chart) in all_kinds() {
        let first = render_in_memory(&chart).unwrap();
        assert!(first == render_in_memory(&chart).unwrap(), "{stem}");
    }
    let (a, b) = (scratch_dir("det-a"), scratch_dir("det-b"));
    for (stem, chart) in all_kinds().into_iter().take(2) {
        let (pa, sa) = render(&chart, &a, stem).unwrap();
        let (pb, sb) = render(&chart, &b, stem).unwrap();
        assert!(
            std::fs::read(pa).unwrap() == std::fs::read(pb).unwrap(),
            "{stem}"
        );
        assert_eq!(std::fs::read(sa).unwrap(), std::fs::read(sb).unwrap());
    }
    let _ = std::fs::remove_dir_all(&a);
    let _ = std::fs::remove_dir_all(&b);
}

#[test]
fn hostile_labels_are_escaped_and_cleaned() {
    let nasty = [
        "<script>alert(1)</script>",
        "A & B \"q\" 'x'",
        "bell\u{7}esc\u{1b}[31m nul\u{0} del\u{7f}",
        "rtl\u{202E}gnp.exe",
        "]]><!-- -->&amp;",
        "multi\nline\ttab\r",
        "\u{FFFE}\u{FFFF}non-chars",
    ];
    let bars: Vec<Bar> = nasty
        .iter()
        .map(|s| Bar::new(*s, 0.1).with_annotation(*s))
        .collect();
    let charts = vec![
        Chart::HBar {
            title: nasty[0].into(),
            subtitle: Some(nasty[1].into()),
            x_label: nasty[2].into(),
            bars: bars.clone(),
            format: Format::Percent,
            reference: Some((0.1, nasty[0].into())),
            muted_note: Some(nasty[3].into()),
        },
        Chart::Columns {
            title: nasty[4].into(),
            subtitle: Some(nasty[5].into()),
            x_label: nasty[0].into(),
            y_label: nasty[1].into(),
            bars: bars.clone(),
            format: Format::Count,
            reference: Some((0.0, nasty[6].into())),
            muted_note: None,
        },
        Chart::Line {
            title: nasty[0].into(),
            subtitle: None,
            x_label: nasty[1].into(),
            y_label: nasty[2].into(),
            points: bars.clone(),
            format: Format::Money,
            muted_note: Some(nasty[0].into()),
        },
        calibration(cal_points()),
        Chart::Histogram {
            title: nasty[0].into(),
            subtitle: Some(nasty[4].into()),
            x_label: nasty[0].into(),
            y_label: nasty[1].into(),
            edges: vec![0.0, 1.0, 2.0],
            series: nasty
                .iter()
                .map(|s| Series {
                    name: s.to_string(),
                    values: vec![1.0, 2.0],
                })
                .collect(),
            format: Format::Count,
            x_format: Format::Number(0),
        },
    ];
    for chart in &charts {
        let svg = render_svg_string(chart).unwrap();
        assert!(!svg.to_lowercase().contains("<script"), "{svg}");
        assert!(!svg.contains("<!--"));
        assert!(svg.contains("&lt;script&gt;") || !chart.title().contains("script"));
        check_xml(&svg).unwrap_or_else(|e| panic!("{e}\n{svg}"));
        for bad in ['\u{7}', '\u{1b}', '\u{0}', '\u{7f}', '\u{202E}', '\u{FFFE}'] {
            assert!(!svg.contains(bad), "{:?} survived", bad);
        }
    }
    assert!(
        render_svg_string(&charts[0])
            .unwrap()
            .contains("A &amp; B &quot;q&quot;")
    );
}

#[test]
fn edge_cases_never_fail() {
    let dir = scratch_dir("edges");
    let weird = vec![
        Bar::new("nan", f64::NAN).with_interval(f64::NAN, 1.0),
        Bar::new("inf", f64::INFINITY),
        Bar::new("-inf", f64::NEG_INFINITY).with_annotation("n=0"),
        Bar::new("huge", 1e300),
        Bar::new("ok", 0.5).with_interval(f64::INFINITY, 0.7),
        Bar::new("swapped", 0.4).with_interval(0.6, 0.2),
        Bar::new("", 0.3),
    ];
    let long = "An extremely long marketing source name that goes on and on forever";
    let cases: Vec<Chart> = vec![
        hbar(vec![], Format::Percent),
        hbar(vec![Bar::new("only", 0.1)], Format::Percent),
        hbar(
            vec![Bar::new("zero", 0.0), Bar::new("z2", 0.0)],
            Format::Count,
        ),
        hbar(weird.clone(), Format::Percent),
        hbar(
            vec![
                Bar::new("a", -1.0).with_interval(-1.0, -0.8),
                Bar::new(long, -0.35).with_interval(-0.6, -0.1),
            ],
            Format::Percent,
        ),
        hbar(
            vec![
                Bar::new("nan only", f64::NAN),
                Bar::new("inf", f64::INFINITY),
            ],
            Format::Money,
        ),
        hbar(
            (0..60)
                .map(|i| Bar::new(format!("s{i}"), i as f64))
                .collect(),
            Format::Count,
        ),
        columns(vec![], Format::Ratio),
        columns(vec![Bar::new("1", 0.0)], Format::Ratio),
        columns(weird.clone(), Format::Number(3)),
        columns(
            (0..60)
                .map(|i| Bar::new(format!("{long} {i}"), -(i as f64)))
                .collect(),
            Format::Money,
        ),
        line(vec![]),
        line(vec![Bar::new("2024-Q1", 0.1).with_muted(true)]),
        line(weird.clone()),
        line(vec![
            Bar::new("a", f64::NAN),
            Bar::new("b", 0.2),
            Bar::new("c", f64::NAN),
        ]),
        calibration(vec![]),
        calibration(vec![CalPoint {
            predicted: f64::NAN,
            observed: 0.1,
            ..CalPoint::default()
        }]),
        calibration(vec![CalPoint::default(), CalPoint::default()]),
        calibration(vec![CalPoint {
            predicted: 2.0,
            observed: -1.0,
            lo: Some(f64::INFINITY),
            hi: Some(-3.0),
            n: u64::MAX,
        }]),
        histogram(vec![], vec![]),
        histogram(vec![0.0, 1.0], vec![]),
        histogram(
            vec![1.0, 0.0, 2.0],
            vec![Series {
                name: "x".into(),
                values: vec![1.0, 1.0],
            }],
        ),
        histogram(
            vec![0.0, f64::NAN],
            vec![Series {
                name: "x".into(),
                values: vec![1.0],
            }],
        ),
        histogram(
            vec![0.0, 1.0, 2.0, 3.0],
            vec![Series {
                name: "short".into(),
                values: vec![f64::NAN, 5.0],
            }],
        ),
        histogram(
            vec![0.0, 1.0],
            vec![Series {
                name: "zeros".into(),
                values: vec![0.0],
            }],
        ),
    ];
    for (i, chart) in cases.iter().enumerate() {
        let (pixels, svg) = render_in_memory(chart).unwrap_or_else(|e| panic!("case {i}: {e}"));
        assert!(pixels.iter().any(|p| *p < 128), "case {i}: blank image");
        check_xml(&svg).unwrap_or_else(|e| panic!("case {i}: {e}"));
    }
    // One awkward case through the file path as well.
    render(&cases[3], &dir, "edge-files").unwrap();
    let empty = render_svg_string(&hbar(vec![], Format::Percent)).unwrap();
    assert!(empty.contains("No data"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn huge_inputs_are_capped() {
    let many: Vec<Bar> = (0..5_000).map(|i| Bar::new(format!("s{i}"), 1.0)).collect();
    let plan = prepare(&hbar(many.clone(), Format::Count), "big").unwrap();
    assert!(plan.height < 4_000, "{}", plan.height);
    let svg = render_svg_string(&hbar(many.clone(), Format::Count)).unwrap();
    assert!(svg.contains("first 100 of 5,000 bars shown"));
    let svg = render_svg_string(&columns(many, Format::Count)).unwrap();
    assert!(svg.contains("first 240 of 5,000 columns shown"));
    let series: Vec<Series> = (0..50)
        .map(|i| Series {
            name: format!("series {i}"),
            values: vec![1.0],
        })
        .collect();
    let plan = prepare(&histogram(vec![0.0, 1.0], series), "hist").unwrap();
    assert!(plan.header.legend.len() <= MAX_SERIES + 1);
}

#[test]
fn long_labels_are_truncated() {
    let long = "An extremely long marketing source name that goes on and on forever";
    let svg = render_svg_string(&hbar(vec![Bar::new(long, 0.2)], Format::Percent)).unwrap();
    assert!(!svg.contains(long));
    assert!(svg.contains("An extremely long marketing s…"), "{svg}");
}

#[test]
fn bad_stems_are_errors_naming_the_stem() {
    let dir = scratch_dir("stems");
    let chart = hbar(bars(2), Format::Percent);
    for stem in ["", "../evil", "a/b", ".hidden", "bell\u{7}"] {
        let err = render(&chart, &dir, stem).unwrap_err();
        assert!(matches!(err, ChartError::InvalidStem { .. }), "{stem:?}");
    }
    let err = render(&chart, &dir, "x/y").unwrap_err();
    assert!(err.to_string().contains("`x/y`"), "{err}");
    // A file where the directory should be gives an I/O error naming the stem.
    let _ = std::fs::create_dir_all(&dir);
    let blocker = dir.join("not-a-dir");
    std::fs::write(&blocker, b"x").unwrap();
    let err = render(&chart, &blocker, "conv").unwrap_err();
    assert!(err.to_string().starts_with("chart `conv`"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn number_formats() {
    assert_eq!(format_value(Format::Percent, 0.123), "12.3%");
    assert_eq!(format_value(Format::Percent, 1.25), "125%");
    assert_eq!(format_value(Format::Percent, -0.4), "-40.0%");
    assert_eq!(format_value(Format::Percent, -0.0001), "0.0%");
    assert_eq!(format_value(Format::Money, 12345.6), "12,346");
    assert_eq!(format_value(Format::Money, 45.678), "45.68");
    assert_eq!(format_value(Format::Money, -1_234_567.0), "-1,234,567");
    assert_eq!(format_value(Format::Ratio, 1.25), "1.25x");
    assert_eq!(format_value(Format::Count, 1234.0), "1,234");
    assert_eq!(format_value(Format::Number(2), 1.23456), "1.23");
    assert_eq!(format_value(Format::Count, f64::NAN), "n/a");
    assert_eq!(
        format_values(Format::Percent, &[4.35, 0.64, f64::NAN]),
        ["435%", "64%", "n/a"]
    );
    assert_eq!(
        format_values(Format::Money, &[12.6, 1200.0]),
        ["13", "1,200"]
    );
    assert_eq!(
        format_tick(Format::Money, 12_300.0, 100.0, 20_000.0),
        "12.3k"
    );
    assert_eq!(
        format_tick(Format::Money, 1_200_000.0, 100_000.0, 2e6),
        "1.2M"
    );
    assert_eq!(format_tick(Format::Percent, 0.025, 0.025, 0.1), "2.5%");
    assert_eq!(format_tick(Format::Percent, 0.05, 0.05, 0.1), "5%");
    assert_eq!(format_tick(Format::Ratio, 1.5, 0.5, 2.0), "1.5x");
    assert_eq!(
        format_tick(Format::Count, 20_000.0, 5_000.0, 20_000.0),
        "20k"
    );
    assert_eq!(format_tick(Format::Money, 0.0, 500.0, 3_000.0), "0");
    let edges = [0.0, 0.25, 0.5, 0.75, 1.0];
    let e = edge_axis(&edges, 800.0, Format::Number(2)).unwrap();
    let labels: Vec<&str> = e.ticks.iter().map(|(_, s)| s.as_str()).collect();
    assert_eq!(labels, ["0.00", "0.25", "0.50", "0.75", "1.00"]);
    let pct: Vec<f64> = (0..=20).map(|i| i as f64 * 0.05).collect();
    let e = edge_axis(&pct, 300.0, Format::Percent).unwrap();
    assert!(
        e.ticks.len() < pct.len() && e.ticks[0].1 == "0%" && e.ticks[1].1.ends_with("0%"),
        "{:?}",
        e.ticks
    );
}

#[test]
fn axis_ticks_are_nice_and_cover_the_range() {
    let a = build_axis(0.0, 0.137, 800.0, Format::Percent, true);
    assert!(a.lo <= 0.0 && a.hi >= 0.137);
    assert!(a.ticks.len() >= 3 && a.ticks.len() <= 12, "{:?}", a.ticks);
    let c = build_axis(0.0, 3.0, 400.0, Format::Count, false);
    assert!(
        c.ticks.iter().all(|(v, _)| v.fract() == 0.0),
        "{:?}",
        c.ticks
    );
    let d = build_axis(-1.0, 5.0, 700.0, Format::Percent, true);
    assert!(d.ticks.iter().any(|(v, _)| *v == 0.0));
}

/// A full disk while the PNG is written is an I/O error naming the file (the user's to fix,
/// exit 1), not a drawing failure (ours): `/dev/full` stands in for the full disk.
#[test]
fn a_full_disk_is_an_io_error_not_a_drawing_failure() {
    if !Path::new("/dev/full").exists() {
        eprintln!("skipped: no /dev/full on this system");
        return;
    }
    let dir = scratch_dir("full-disk");
    std::fs::create_dir_all(&dir).unwrap();
    std::os::unix::fs::symlink("/dev/full", dir.join(".conv.partial.png")).unwrap();
    let chart = hbar(bars(3), Format::Percent);
    let err = render(&chart, &dir, "conv").unwrap_err();
    match &err {
        ChartError::Io { source, .. } => {
            assert_eq!(source.raw_os_error(), Some(libc::ENOSPC), "{err}")
        }
        other => panic!("expected an I/O error, got {other}"),
    }
    assert!(
        !dir.join("conv.png").exists(),
        "no partial chart under the final name"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
