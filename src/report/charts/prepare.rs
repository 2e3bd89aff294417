//! Charts prepared for drawing: each kind's layout planned (bars, lines, calibration,
//! histogram), with headers and legends.

use plotters::prelude::*;

use super::*;

#[derive(Debug, Clone, Copy)]
pub(super) enum Swatch {
    Box(RGBAColor),
    Whisker(RGBColor),
    Dashed(RGBColor),
    Marker(RGBColor),
    Hollow(RGBColor),
    /// Text only, no symbol.
    Note,
}

#[derive(Debug, Clone)]
pub(super) struct LegendEntry {
    pub(super) swatch: Swatch,
    pub(super) text: String,
    pub(super) x: i32,
    pub(super) y: i32,
}

#[derive(Debug, Clone)]
pub(super) struct Header {
    pub(super) title: String,
    pub(super) subtitle: String,
    pub(super) legend: Vec<LegendEntry>,
    pub(super) height: i32,
}

pub(super) const SWATCH_W: i32 = 30;

/// Room taken by a legend symbol and the gap after it.
pub(super) fn swatch_space(swatch: Swatch) -> i32 {
    match swatch {
        Swatch::Note => 0,
        _ => SWATCH_W + 8,
    }
}

/// Most categories drawn; more would make images huge or unreadable.
pub(super) const MAX_HBARS: usize = 100;
pub(super) const MAX_COLUMNS: usize = 240;
pub(super) const MAX_SERIES: usize = 6;
pub(super) const MAX_CAL_POINTS: usize = 100;

/// Legend note when only the first `shown` of `total` entries are drawn.
pub(super) fn cap_note(shown: usize, total: usize, what: &str) -> Option<(Swatch, String)> {
    (total > shown).then(|| {
        (
            Swatch::Note,
            format!("first {shown} of {} {what} shown", fixed(total as f64, 0)),
        )
    })
}

impl Header {
    pub(super) fn new(title: &str, subtitle: Option<&str>, legend: Vec<(Swatch, String)>) -> Self {
        let avail = WIDTH - 2 * MARGIN;
        let title = label(title, 200, TITLE, true, avail);
        let subtitle = label(subtitle.unwrap_or(""), 300, SUBTITLE, false, avail);
        let mut y = 18 + 38;
        if !subtitle.is_empty() {
            y += 28;
        }
        let mut entries = Vec::new();
        let mut x = MARGIN;
        let mut row_y = y + 4 + 13;
        for (swatch, text) in legend {
            let text = label(&text, 80, LEGEND, false, avail - SWATCH_W - 8);
            let w = swatch_space(swatch) + text_w(&text, LEGEND, false);
            if x > MARGIN && x + w > WIDTH - MARGIN {
                x = MARGIN;
                row_y += 26;
            }
            entries.push(LegendEntry {
                swatch,
                text,
                x,
                y: row_y,
            });
            x += w + 28;
        }
        if !entries.is_empty() {
            y = row_y + 13;
        }
        Header {
            title,
            subtitle,
            legend: entries,
            height: y + 8,
        }
    }
}

/// A cleaned category.
#[derive(Debug, Clone)]
pub(super) struct Item {
    pub(super) label: String,
    pub(super) value: Option<f64>,
    pub(super) lo: Option<f64>,
    pub(super) hi: Option<f64>,
    pub(super) muted: bool,
    pub(super) annotation: String,
    pub(super) text: String,
}

impl Item {
    /// The far end of the value or its whisker, away from zero.
    pub(super) fn outer(&self) -> Option<f64> {
        let v = self.value?;
        Some(if v >= 0.0 {
            self.hi.map_or(v, |h| h.max(v))
        } else {
            self.lo.map_or(v, |l| l.min(v))
        })
    }
}

pub(super) fn prepare_items(bars: &[Bar], format: Format) -> Vec<Item> {
    let values: Vec<f64> = bars.iter().map(|b| b.value).collect();
    let texts = format_values(format, &values);
    bars.iter()
        .zip(texts)
        .map(|(b, text)| {
            let value = clean(b.value);
            let (mut lo, mut hi) = match value {
                Some(_) => (clean_opt(b.lo), clean_opt(b.hi)),
                None => (None, None),
            };
            if let (Some(l), Some(h)) = (lo, hi)
                && l > h
            {
                (lo, hi) = (Some(h), Some(l));
            }
            Item {
                label: truncate_chars(&clean_text(&b.label), MAX_LABEL_CHARS),
                value,
                lo,
                hi,
                muted: b.muted,
                annotation: truncate_chars(&clean_text(b.annotation.as_deref().unwrap_or("")), 24),
                text,
            }
        })
        .collect()
}

/// Smallest and largest of all values, interval ends and `extra`, and zero.
pub(super) fn extent(items: &[Item], extra: Option<f64>) -> (f64, f64) {
    let mut lo = 0.0f64;
    let mut hi = 0.0f64;
    let all = items
        .iter()
        .flat_map(|i| [i.value, i.lo, i.hi])
        .chain([extra])
        .flatten();
    for v in all {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    (lo, hi)
}

pub(super) fn any_interval(items: &[Item]) -> bool {
    items.iter().any(|i| i.lo.is_some() || i.hi.is_some())
}

pub(super) fn bar_legend(
    items: &[Item],
    reference: Option<(f64, &str)>,
    muted_note: Option<&str>,
    default_note: &str,
) -> Vec<(Swatch, String)> {
    let mut legend = Vec::new();
    if let Some((_, text)) = reference {
        legend.push((Swatch::Dashed(REFERENCE), text.to_string()));
    }
    if any_interval(items) {
        legend.push((Swatch::Whisker(WHISKER), "95% interval".to_string()));
    }
    let muted: Vec<&Item> = items.iter().filter(|i| i.muted).collect();
    if !muted.is_empty() {
        let all_negative = muted.iter().all(|i| i.value.is_some_and(|v| v < 0.0));
        let color = if all_negative { NEG_LIGHT } else { MAIN_LIGHT };
        legend.push((
            Swatch::Box(color.to_rgba()),
            muted_note.unwrap_or(default_note).to_string(),
        ));
    }
    legend
}

#[derive(Debug, Clone)]
pub(super) struct Plan {
    pub(super) width: u32,
    pub(super) height: u32,
    pub(super) header: Header,
    pub(super) body: Body,
}

#[derive(Debug, Clone)]
pub(super) enum Body {
    Empty { message: String },
    HBar(HBarBody),
    Vertical(VerticalBody),
    Calibration(CalBody),
    Histogram(HistBody),
}

#[derive(Debug, Clone)]
pub(super) struct HBarBody {
    pub(super) items: Vec<Item>,
    pub(super) axis: Axis,
    pub(super) left: i32,
    pub(super) right: i32,
    pub(super) top: i32,
    pub(super) bottom: i32,
    pub(super) x_label: String,
    pub(super) reference: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum VKind {
    Columns,
    Line,
}

#[derive(Debug, Clone)]
pub(super) struct VerticalBody {
    pub(super) kind: VKind,
    pub(super) items: Vec<Item>,
    pub(super) axis: Axis,
    pub(super) left: i32,
    pub(super) right: i32,
    pub(super) top: i32,
    pub(super) bottom: i32,
    /// Category labels, empty where skipped to avoid overlap.
    pub(super) categories: Vec<String>,
    pub(super) annotations: Vec<String>,
    pub(super) show_values: bool,
    pub(super) x_label: String,
    pub(super) y_label: String,
    pub(super) reference: Option<f64>,
}

#[derive(Debug, Clone)]
pub(super) struct CalPt {
    pub(super) predicted: f64,
    pub(super) observed: f64,
    pub(super) lo: Option<f64>,
    pub(super) hi: Option<f64>,
    pub(super) n: u64,
}

#[derive(Debug, Clone)]
pub(super) struct CalBody {
    pub(super) points: Vec<CalPt>,
    pub(super) axis: Axis,
    pub(super) left: i32,
    pub(super) top: i32,
    pub(super) size: i32,
    pub(super) x_label: String,
    pub(super) y_label: String,
    pub(super) panel_x: i32,
    pub(super) legend: Vec<(Swatch, String)>,
    pub(super) table: Vec<[String; 3]>,
    pub(super) max_n: u64,
}

#[derive(Debug, Clone)]
pub(super) struct HistBody {
    pub(super) edges: Vec<f64>,
    pub(super) series: Vec<(Vec<Option<f64>>, RGBColor)>,
    pub(super) x_axis: Axis,
    pub(super) y_axis: Axis,
    pub(super) left: i32,
    pub(super) right: i32,
    pub(super) top: i32,
    pub(super) bottom: i32,
    pub(super) x_label: String,
    pub(super) y_label: String,
}

pub(super) fn empty_plan(title: &str, subtitle: Option<&str>, message: &str) -> Plan {
    let header = Header::new(title, subtitle, Vec::new());
    let height = header.height + 150;
    Plan {
        width: WIDTH as u32,
        height: height as u32,
        header,
        body: Body::Empty {
            message: label(message, 120, NOTE, false, WIDTH - 4 * MARGIN),
        },
    }
}

pub(super) fn prepare(chart: &Chart, name: &str) -> Result<Plan, ChartError> {
    if !fonts_ready() {
        return Err(ChartError::Font {
            chart: name.to_string(),
        });
    }
    let plan = guarded(name, || Ok(prepare_plan(chart)))?;
    Ok(plan)
}

pub(super) fn prepare_plan(chart: &Chart) -> Plan {
    match chart {
        Chart::HBar {
            title,
            subtitle,
            x_label,
            bars,
            format,
            reference,
            muted_note,
        } => prepare_hbar(
            title,
            subtitle.as_deref(),
            x_label,
            bars,
            *format,
            reference.as_ref().map(|(v, t)| (*v, t.as_str())),
            muted_note.as_deref(),
        ),
        Chart::Columns {
            title,
            subtitle,
            x_label,
            y_label,
            bars,
            format,
            reference,
            muted_note,
        } => prepare_vertical(VerticalSpec {
            kind: VKind::Columns,
            title,
            subtitle: subtitle.as_deref(),
            x_label,
            y_label,
            bars,
            format: *format,
            reference: reference.as_ref().map(|(v, t)| (*v, t.as_str())),
            muted_note: muted_note.as_deref(),
        }),
        Chart::Line {
            title,
            subtitle,
            x_label,
            y_label,
            points,
            format,
            muted_note,
        } => prepare_vertical(VerticalSpec {
            kind: VKind::Line,
            title,
            subtitle: subtitle.as_deref(),
            x_label,
            y_label,
            bars: points,
            format: *format,
            reference: None,
            muted_note: muted_note.as_deref(),
        }),
        Chart::Calibration {
            title,
            subtitle,
            x_label,
            y_label,
            points,
        } => prepare_calibration(title, subtitle.as_deref(), x_label, y_label, points),
        Chart::Histogram {
            title,
            subtitle,
            x_label,
            y_label,
            edges,
            series,
            format,
            x_format,
        } => prepare_histogram(HistSpec {
            title,
            subtitle: subtitle.as_deref(),
            x_label,
            y_label,
            edges,
            series,
            format: *format,
            x_format: *x_format,
        }),
    }
}

pub(super) fn prepare_hbar(
    title: &str,
    subtitle: Option<&str>,
    x_label: &str,
    bars: &[Bar],
    format: Format,
    reference: Option<(f64, &str)>,
    muted_note: Option<&str>,
) -> Plan {
    let mut items = prepare_items(&bars[..bars.len().min(MAX_HBARS)], format);
    if items.is_empty() {
        return empty_plan(title, subtitle, "No data to display.");
    }
    let reference = reference.and_then(|(v, t)| clean(v).map(|v| (v, t)));
    let mut legend = bar_legend(&items, reference, muted_note, "small sample");
    legend.extend(cap_note(items.len(), bars.len(), "bars"));
    let header = Header::new(title, subtitle, legend);

    for it in &mut items {
        it.label = fit(&it.label, TICK, false, 380);
        it.annotation = fit(&it.annotation, NOTE, false, 220);
    }
    let label_w = items
        .iter()
        .map(|i| text_w(&i.label, TICK, false))
        .max()
        .unwrap_or(0);
    let annot_w = items
        .iter()
        .map(|i| text_w(&i.annotation, NOTE, false))
        .max()
        .unwrap_or(0);
    let left = MARGIN + label_w + 14;
    let right = WIDTH - MARGIN - if annot_w > 0 { annot_w + 18 } else { 12 };
    let top = header.height + 6;
    let bottom = top + HBAR_ROW * items.len() as i32;

    let (a, b) = extent(&items, reference.map(|r| r.0));
    let rooms: Vec<LabelRoom> = items
        .iter()
        .map(|i| {
            let end = i.outer().unwrap_or(0.0);
            LabelRoom {
                end,
                px: (text_w(&i.text, VALUE, false) + 10) as f64,
                up: end >= 0.0,
            }
        })
        .collect();
    let plot_w = (right - left) as f64;
    let (a, b) = widen_for_labels(a, b, plot_w, &rooms);
    let axis = build_axis(a, b, plot_w, format, true);

    let x_label = label(x_label, 120, AXIS_LABEL, false, WIDTH - 2 * MARGIN);
    let mut height = bottom + 34;
    if !x_label.is_empty() {
        height += 30;
    }
    height += MARGIN - 6;
    Plan {
        width: WIDTH as u32,
        height: height as u32,
        header,
        body: Body::HBar(HBarBody {
            items,
            axis,
            left,
            right,
            top,
            bottom,
            x_label,
            reference: reference.map(|r| r.0),
        }),
    }
}

pub(super) struct VerticalSpec<'a> {
    pub(super) kind: VKind,
    pub(super) title: &'a str,
    pub(super) subtitle: Option<&'a str>,
    pub(super) x_label: &'a str,
    pub(super) y_label: &'a str,
    pub(super) bars: &'a [Bar],
    pub(super) format: Format,
    pub(super) reference: Option<(f64, &'a str)>,
    pub(super) muted_note: Option<&'a str>,
}

pub(super) const VERTICAL_HEIGHT: i32 = 620;

pub(super) fn prepare_vertical(spec: VerticalSpec<'_>) -> Plan {
    let items = prepare_items(&spec.bars[..spec.bars.len().min(MAX_COLUMNS)], spec.format);
    if items.is_empty() {
        return empty_plan(spec.title, spec.subtitle, "No data to display.");
    }
    let reference = spec.reference.and_then(|(v, t)| clean(v).map(|v| (v, t)));
    let legend = match spec.kind {
        VKind::Columns => bar_legend(&items, reference, spec.muted_note, "small sample"),
        VKind::Line => {
            let mut legend = Vec::new();
            if any_interval(&items) {
                legend.push((Swatch::Whisker(MAIN), "95% interval".to_string()));
            }
            if items.iter().any(|i| i.muted) {
                legend.push((
                    Swatch::Hollow(MAIN),
                    spec.muted_note
                        .unwrap_or("cohort still maturing")
                        .to_string(),
                ));
            }
            legend
        }
    };
    let what = match spec.kind {
        VKind::Columns => "columns",
        VKind::Line => "points",
    };
    let mut legend = legend;
    legend.extend(cap_note(items.len(), spec.bars.len(), what));
    let header = Header::new(spec.title, spec.subtitle, legend);
    let y_label = label(spec.y_label, 120, AXIS_LABEL, false, WIDTH - 2 * MARGIN);
    let x_label = label(spec.x_label, 120, AXIS_LABEL, false, WIDTH - 2 * MARGIN);
    let has_annotations = items.iter().any(|i| !i.annotation.is_empty());

    let top = header.height + if y_label.is_empty() { 12 } else { 40 };
    let mut bottom = VERTICAL_HEIGHT - MARGIN - 34;
    if !x_label.is_empty() {
        bottom -= 30;
    }
    if has_annotations {
        bottom -= 22;
    }
    let plot_h = (bottom - top).max(80);
    let bottom = top + plot_h;
    let n = items.len();

    // Value labels are shown only when every one fits its slot; the slot
    // width is estimated before the y tick labels are measured.
    let right = WIDTH - MARGIN - 8;
    let est_slot = (right - (MARGIN + 70)) as f64 / n as f64;
    let widest_value = items
        .iter()
        .map(|i| text_w(&i.text, VALUE, false))
        .max()
        .unwrap_or(0);
    let mut show_values = (widest_value + 8) as f64 <= est_slot;

    let (a, b) = extent(&items, reference.map(|r| r.0));
    let rooms: Vec<LabelRoom> = if show_values {
        items
            .iter()
            .map(|i| {
                let end = i.outer().unwrap_or(0.0);
                let up = spec.kind == VKind::Line || end >= 0.0;
                let end = match (spec.kind, i.value) {
                    (VKind::Line, Some(_)) => i.hi.into_iter().chain(i.value).fold(end, f64::max),
                    _ => end,
                };
                LabelRoom {
                    end,
                    px: VALUE + 14.0,
                    up,
                }
            })
            .collect()
    } else {
        Vec::new()
    };
    let (a, b) = widen_for_labels(a, b, plot_h as f64, &rooms);
    let axis = build_axis(a, b, plot_h as f64, spec.format, false);
    let tick_w = axis
        .ticks
        .iter()
        .map(|(_, s)| text_w(s, TICK, false))
        .max()
        .unwrap_or(0);
    let left = MARGIN + tick_w + 10;
    let slot = (right - left) as f64 / n as f64;
    show_values &= (widest_value + 6) as f64 <= slot;

    // Category labels: every `stride`-th one, each fitted into its share.
    let shortest_ok = |s: &str| text_w(&truncate_chars(s, 8), TICK, false);
    let need = items
        .iter()
        .map(|i| shortest_ok(&i.label))
        .max()
        .unwrap_or(0)
        + 10;
    let stride = (1..=n)
        .find(|k| (*k as f64) * slot >= need as f64)
        .unwrap_or(n)
        .max(1);
    let avail = (stride as f64 * slot) as i32 - 10;
    let categories = items
        .iter()
        .enumerate()
        .map(|(i, it)| {
            if i % stride == 0 {
                fit(&it.label, TICK, false, avail)
            } else {
                String::new()
            }
        })
        .collect();
    let annotations = items
        .iter()
        .map(|it| {
            if stride == 1 {
                fit(&it.annotation, NOTE, false, slot as i32 - 8)
            } else {
                String::new()
            }
        })
        .collect();
    Plan {
        width: WIDTH as u32,
        height: VERTICAL_HEIGHT as u32,
        header,
        body: Body::Vertical(VerticalBody {
            kind: spec.kind,
            items,
            axis,
            left,
            right,
            top,
            bottom,
            categories,
            annotations,
            show_values,
            x_label,
            y_label,
            reference: reference.map(|r| r.0),
        }),
    }
}

pub(super) const CAL_HEIGHT: i32 = 780;

pub(super) fn prepare_calibration(
    title: &str,
    subtitle: Option<&str>,
    x_label: &str,
    y_label: &str,
    points: &[CalPoint],
) -> Plan {
    let total = points.len();
    let points: Vec<CalPt> = points
        .iter()
        .take(MAX_CAL_POINTS)
        .filter_map(|p| {
            let (predicted, observed) = (clean(p.predicted)?, clean(p.observed)?);
            let (mut lo, mut hi) = (clean_opt(p.lo), clean_opt(p.hi));
            if let (Some(l), Some(h)) = (lo, hi)
                && l > h
            {
                (lo, hi) = (Some(h), Some(l));
            }
            Some(CalPt {
                predicted,
                observed,
                lo,
                hi,
                n: p.n,
            })
        })
        .collect();
    if points.is_empty() {
        return empty_plan(title, subtitle, "No data to display.");
    }
    let note = cap_note(MAX_CAL_POINTS.min(total), total, "points");
    let header = Header::new(title, subtitle, note.into_iter().collect());
    let y_label = label(y_label, 120, AXIS_LABEL, false, WIDTH - 2 * MARGIN);
    let x_label = label(x_label, 120, AXIS_LABEL, false, 560);

    let mut top_v = 0.0f64;
    let mut low_v = 0.0f64;
    let mut all_unit = true;
    for p in &points {
        top_v = top_v.max(p.predicted * 1.1).max(p.observed * 1.1);
        for v in [Some(p.predicted), Some(p.observed), p.lo, p.hi]
            .into_iter()
            .flatten()
        {
            low_v = low_v.min(v);
            all_unit &= (0.0..=1.0).contains(&v);
        }
        if let Some(h) = p.hi {
            top_v = top_v.max(h * 1.02);
        }
    }
    if all_unit {
        top_v = top_v.min(1.0);
    }
    if top_v <= low_v {
        top_v = low_v + 1.0;
    }
    let top = header.height + 40;
    let size = (CAL_HEIGHT - top - 34 - 30 - MARGIN).clamp(200, 600);
    let axis = build_axis(low_v, top_v, size as f64, Format::Percent, true);
    let tick_w = axis
        .ticks
        .iter()
        .map(|(_, s)| text_w(s, TICK, false))
        .max()
        .unwrap_or(0);
    let left = MARGIN + tick_w + 10;
    let panel_x = left + size + 44;
    let panel_w = WIDTH - MARGIN - panel_x;

    let has_interval = points.iter().any(|p| p.lo.is_some() || p.hi.is_some());
    let mut legend = vec![
        (
            Swatch::Dashed(AXIS),
            "perfect calibration (y = x)".to_string(),
        ),
        (Swatch::Marker(MAIN), "observed rate per bin".to_string()),
    ];
    if has_interval {
        legend.push((Swatch::Whisker(WHISKER), "95% interval".to_string()));
    }
    let legend = legend
        .into_iter()
        .map(|(s, t)| (s, fit(&t, LEGEND, false, panel_w - SWATCH_W - 8)))
        .collect();
    let table = if points.len() <= 16 {
        points
            .iter()
            .map(|p| {
                [
                    format_value(Format::Percent, p.predicted),
                    format_value(Format::Percent, p.observed),
                    format_value(Format::Count, p.n as f64),
                ]
            })
            .collect()
    } else {
        Vec::new()
    };
    let max_n = points.iter().map(|p| p.n).max().unwrap_or(0);
    Plan {
        width: WIDTH as u32,
        height: CAL_HEIGHT as u32,
        header,
        body: Body::Calibration(CalBody {
            points,
            axis,
            left,
            top,
            size,
            x_label,
            y_label,
            panel_x,
            legend,
            table,
            max_n,
        }),
    }
}

pub(super) struct HistSpec<'a> {
    pub(super) title: &'a str,
    pub(super) subtitle: Option<&'a str>,
    pub(super) x_label: &'a str,
    pub(super) y_label: &'a str,
    pub(super) edges: &'a [f64],
    pub(super) series: &'a [Series],
    pub(super) format: Format,
    pub(super) x_format: Format,
}

pub(super) fn prepare_histogram(spec: HistSpec<'_>) -> Plan {
    let edges_ok = spec.edges.len() >= 2
        && spec.edges.iter().all(|e| clean(*e).is_some())
        && spec.edges.windows(2).all(|w| w[0] < w[1]);
    if !edges_ok {
        let msg = if spec.edges.len() < 2 {
            "No data to display."
        } else {
            "No data to display (bin edges must be finite and increasing)."
        };
        return empty_plan(spec.title, spec.subtitle, msg);
    }
    let bins = spec.edges.len() - 1;
    let series: Vec<(String, Vec<Option<f64>>, RGBColor)> = spec
        .series
        .iter()
        .take(MAX_SERIES)
        .enumerate()
        .map(|(k, s)| {
            let values = (0..bins)
                .map(|i| s.values.get(i).copied().and_then(clean))
                .collect();
            (
                truncate_chars(&clean_text(&s.name), 40),
                values,
                PALETTE[k % PALETTE.len()],
            )
        })
        .collect();
    if series.iter().all(|(_, v, _)| v.iter().all(Option::is_none)) {
        return empty_plan(spec.title, spec.subtitle, "No data to display.");
    }
    let mut legend: Vec<(Swatch, String)> = series
        .iter()
        .map(|(name, _, c)| (Swatch::Box(c.mix(0.45)), name.clone()))
        .collect();
    legend.extend(cap_note(series.len(), spec.series.len(), "series"));
    let header = Header::new(spec.title, spec.subtitle, legend);
    let y_label = label(spec.y_label, 120, AXIS_LABEL, false, WIDTH - 2 * MARGIN);
    let x_label = label(spec.x_label, 120, AXIS_LABEL, false, WIDTH - 2 * MARGIN);
    let top = header.height + if y_label.is_empty() { 12 } else { 40 };
    let mut bottom = VERTICAL_HEIGHT - MARGIN - 34;
    if !x_label.is_empty() {
        bottom -= 30;
    }
    let bottom = bottom.max(top + 80);

    let (mut lo, mut hi) = (0.0f64, 0.0f64);
    for v in series.iter().flat_map(|(_, v, _)| v.iter().flatten()) {
        lo = lo.min(*v);
        hi = hi.max(*v);
    }
    let y_axis = build_axis(lo, hi * 1.04, (bottom - top) as f64, spec.format, false);
    let tick_w = y_axis
        .ticks
        .iter()
        .map(|(_, s)| text_w(s, TICK, false))
        .max()
        .unwrap_or(0);
    let left = MARGIN + tick_w + 10;
    let right = WIDTH - MARGIN - 16;
    let x_axis = edge_axis(spec.edges, (right - left) as f64, spec.x_format).unwrap_or_else(|| {
        build_axis(
            spec.edges[0],
            spec.edges[bins],
            (right - left) as f64,
            spec.x_format,
            true,
        )
    });
    Plan {
        width: WIDTH as u32,
        height: VERTICAL_HEIGHT as u32,
        header,
        body: Body::Histogram(HistBody {
            edges: spec.edges.to_vec(),
            series: series.into_iter().map(|(_, v, c)| (v, c)).collect(),
            x_axis,
            y_axis,
            left,
            right,
            top,
            bottom,
            x_label,
            y_label,
        }),
    }
}
