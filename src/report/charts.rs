//! Static report charts rendered to PNG and SVG with `plotters`.
//!
//! The module knows nothing about the data it draws: callers hand over a
//! [`Chart`] (labels, values, optional 95% intervals, a [`Format`] for the
//! numbers) and get back files ([`render`]) or an SVG string for inlining into
//! an HTML page ([`render_svg_string`]).
//!
//! Design notes:
//! * The font (DejaVu Sans, see `assets/fonts/LICENSE`) is compiled in and
//!   registered once with plotters' `ab_glyph` backend; no system fonts are
//!   looked up, so output is byte-identical across machines and runs.
//! * Layout is computed by hand (label columns measured with the real font,
//!   "nice" ticks whose labels are checked for overlap, value labels that get
//!   room by widening the axis) and plotters is only used to draw primitives.
//! * PNG text is rasterised here with `ab_glyph` (plotters' own ab_glyph text
//!   drops glyph side bearings, giving uneven letter spacing); SVG text is
//!   plain `<text>` with `font-family="DejaVu Sans, sans-serif"`.
//! * PNG encoding dominates debug-build render time; optimising the
//!   compression crates in the dev profile (see the scratch crate's
//!   Cargo.toml) makes a chart ~40 ms instead of ~300 ms.
//! * Every string from the caller is cleaned (control and bidi characters
//!   removed) and truncated with an ellipsis; plotters' SVG backend escapes
//!   `<`, `>`, `&`, `"` and `'` itself, so text is passed to it unescaped.
//! * Non-finite values, and values beyond ±1e15, are treated as missing.
//!   Rendering never panics: a panic inside plotters is caught and reported as
//!   a [`ChartError`].

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use ab_glyph::{Font as _, FontRef, GlyphId, PxScale, ScaleFont as _};
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{FontFamily, FontStyle, register_font};

static FONT_REGULAR: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/assets/fonts/DejaVuSans.ttf"
));
static FONT_BOLD: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/assets/fonts/DejaVuSans-Bold.ttf"
));

/// Registers the bundled fonts with plotters exactly once (used for SVG text
/// styles) and parses them for our own measuring and PNG text rasterising.
fn fonts_ready() -> bool {
    static READY: OnceLock<bool> = OnceLock::new();
    *READY.get_or_init(|| {
        [FAMILY, "sans-serif"].iter().all(|name| {
            register_font(name, FontStyle::Normal, FONT_REGULAR).is_ok()
                && register_font(name, FontStyle::Bold, FONT_BOLD).is_ok()
        }) && faces().is_some()
    })
}

/// Font family of SVG text: a CSS fallback list, so a browser that has DejaVu
/// Sans lays text out exactly as measured, and others use their sans-serif.
/// plotters writes this name verbatim into `font-family`.
const FAMILY: &str = "DejaVu Sans, sans-serif";

/// plotters' SVG backend writes `font-size` as size / 1.24, while ab_glyph
/// sizes are the ascent-to-descent height (1.164 em for DejaVu Sans). Scaling
/// SVG sizes by this factor gives the same em size as the PNG.
const SVG_SIZE_FIX: f64 = 1.24 * 2048.0 / 2384.0;

struct Faces {
    regular: FontRef<'static>,
    bold: FontRef<'static>,
}

fn faces() -> Option<&'static Faces> {
    static FACES: OnceLock<Option<Faces>> = OnceLock::new();
    FACES
        .get_or_init(|| {
            Some(Faces {
                regular: FontRef::try_from_slice(FONT_REGULAR).ok()?,
                bold: FontRef::try_from_slice(FONT_BOLD).ok()?,
            })
        })
        .as_ref()
}

fn face(bold: bool) -> Option<&'static FontRef<'static>> {
    faces().map(|f| if bold { &f.bold } else { &f.regular })
}

// ---------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------

/// How numbers are written in value labels and on axes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A fraction shown as a percentage: `0.123` → `12.3%`, `1.25` → `125%`.
    /// Use this for rates and for ROI given as a fraction (−1.0 = −100%).
    Percent,
    /// An amount: labels `12,346` (two decimals below 100), axes `12.3k`, `1.2M`.
    /// Put the currency in the axis label.
    Money,
    /// A multiplier: `1.25` → `1.25x` (lift, revenue/cost multiples).
    Ratio,
    /// A whole number with thousands separators: `1,234`; axes `12k` from 10,000 up.
    Count,
    /// A plain number with the given number of decimals (capped at 9).
    Number(usize),
}

/// One category of a bar, column or line chart.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Bar {
    pub label: String,
    pub value: f64,
    /// Lower end of the 95% interval, drawn as a whisker.
    pub lo: Option<f64>,
    /// Upper end of the 95% interval, drawn as a whisker.
    pub hi: Option<f64>,
    /// Drawn in a lighter colour (bars) or hollow and dashed (lines), e.g. an
    /// immature cohort or a small sample. Explained by the chart's `muted_note`.
    pub muted: bool,
    /// Short text drawn beside the bar (right-hand column in [`Chart::HBar`],
    /// under the category label in [`Chart::Columns`] and [`Chart::Line`]), e.g. `n=1,234`.
    pub annotation: Option<String>,
}

impl Bar {
    pub fn new(label: impl Into<String>, value: f64) -> Self {
        Bar {
            label: label.into(),
            value,
            ..Bar::default()
        }
    }

    pub fn with_interval(mut self, lo: f64, hi: f64) -> Self {
        self.lo = Some(lo);
        self.hi = Some(hi);
        self
    }

    pub fn with_muted(mut self, muted: bool) -> Self {
        self.muted = muted;
        self
    }

    pub fn with_annotation(mut self, annotation: impl Into<String>) -> Self {
        self.annotation = Some(annotation.into());
        self
    }
}

/// One bin of a calibration chart: mean predicted probability against the
/// observed rate, with an optional 95% interval for the observed rate.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CalPoint {
    pub predicted: f64,
    pub observed: f64,
    pub lo: Option<f64>,
    pub hi: Option<f64>,
    /// Number of observations in the bin (marker area grows with it).
    pub n: u64,
}

/// One series of a histogram: one value per bin (shares or counts).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Series {
    pub name: String,
    pub values: Vec<f64>,
}

/// A chart description. Axis labels should carry their unit ("Conversion rate (%)").
#[derive(Debug, Clone, PartialEq)]
pub enum Chart {
    /// Horizontal bars, first bar at the top. Height grows with the number of
    /// bars. `reference` draws a dashed vertical line with its text in the legend.
    HBar {
        title: String,
        subtitle: Option<String>,
        x_label: String,
        bars: Vec<Bar>,
        format: Format,
        reference: Option<(f64, String)>,
        /// Legend text for muted bars (default "small sample").
        muted_note: Option<String>,
    },
    /// Vertical bars on a categorical x axis. `reference` draws a dashed
    /// horizontal line.
    Columns {
        title: String,
        subtitle: Option<String>,
        x_label: String,
        y_label: String,
        bars: Vec<Bar>,
        format: Format,
        reference: Option<(f64, String)>,
        /// Legend text for muted bars (default "small sample").
        muted_note: Option<String>,
    },
    /// A line with markers over categorical x values, with interval whiskers.
    /// Muted points are hollow and joined by dashed segments.
    Line {
        title: String,
        subtitle: Option<String>,
        x_label: String,
        y_label: String,
        points: Vec<Bar>,
        format: Format,
        /// Legend text for muted points (default "cohort still maturing").
        muted_note: Option<String>,
    },
    /// Predicted against observed probability with the y = x diagonal.
    Calibration {
        title: String,
        subtitle: Option<String>,
        x_label: String,
        y_label: String,
        points: Vec<CalPoint>,
    },
    /// Overlaid histograms over shared bin `edges` (one more edge than values).
    Histogram {
        title: String,
        subtitle: Option<String>,
        x_label: String,
        y_label: String,
        edges: Vec<f64>,
        series: Vec<Series>,
        /// Format of the bin values (y axis).
        format: Format,
        /// Format of the bin edges (x axis).
        x_format: Format,
    },
}

impl Chart {
    /// The chart's title.
    pub fn title(&self) -> &str {
        match self {
            Chart::HBar { title, .. }
            | Chart::Columns { title, .. }
            | Chart::Line { title, .. }
            | Chart::Calibration { title, .. }
            | Chart::Histogram { title, .. } => title,
        }
    }
}

/// Why a chart could not be rendered. Every variant names the chart (the file
/// stem, or the title for [`render_svg_string`]).
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    #[error("chart `{chart}`: invalid file stem ({reason})")]
    InvalidStem { chart: String, reason: &'static str },
    #[error("chart `{chart}`: the bundled font could not be loaded")]
    Font { chart: String },
    #[error("chart `{chart}`: cannot write {}: {source}", path.display())]
    Io {
        chart: String,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("chart `{chart}`: drawing failed: {message}")]
    Draw { chart: String, message: String },
}

/// Writes `dir/stem.png` and `dir/stem.svg` (creating `dir` if needed) and
/// returns their paths, PNG first. The PNG is written to a temporary name and
/// renamed, so a failed render leaves no partial file under the final name.
pub fn render(chart: &Chart, dir: &Path, stem: &str) -> Result<(PathBuf, PathBuf), ChartError> {
    check_stem(stem)?;
    let io_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ChartError::Io {
            chart: stem.to_string(),
            path,
            source,
        }
    };
    std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    let plan = prepare(chart, stem)?;
    let png_path = dir.join(format!("{stem}.png"));
    let svg_path = dir.join(format!("{stem}.svg"));
    // The extension must stay `.png`: the bitmap backend picks the encoder from it.
    let tmp_png = dir.join(format!(".{stem}.partial.png"));

    let drawn = guarded(stem, || draw_png(&plan, &tmp_png));
    if let Err(e) = drawn {
        let _ = std::fs::remove_file(&tmp_png);
        return Err(e);
    }
    std::fs::rename(&tmp_png, &png_path).map_err(io_err(&png_path))?;

    let svg = guarded(stem, || draw_svg(&plan))?;
    std::fs::write(&svg_path, svg).map_err(io_err(&svg_path))?;
    Ok((png_path, svg_path))
}

/// Renders the chart as a standalone `<svg>` element (no XML declaration),
/// suitable for inlining into HTML. Errors name the chart by its title.
pub fn render_svg_string(chart: &Chart) -> Result<String, ChartError> {
    let name = truncate_chars(&clean_text(chart.title()), 60);
    let plan = prepare(chart, &name)?;
    guarded(&name, || draw_svg(&plan))
}

/// Formats one value the way value labels do (useful for tables next to
/// charts). Missing (non-finite) values give `"n/a"`.
pub fn format_value(format: Format, v: f64) -> String {
    format_values(format, &[v]).swap_remove(0)
}

/// Formats values with shared decimals, as the labels of one chart are: a
/// chart never mixes `125%` with `64.0%`. Missing values give `"n/a"`.
pub fn format_values(format: Format, values: &[f64]) -> Vec<String> {
    let usable: Vec<f64> = values.iter().copied().filter_map(clean).collect();
    let max_abs = usable.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let all_whole = usable.iter().all(|v| v.fract() == 0.0);
    let decimals = match format {
        Format::Percent if max_abs * 100.0 >= 99.95 => 0,
        Format::Percent => 1,
        Format::Money if all_whole || max_abs >= 100.0 => 0,
        Format::Money => 2,
        Format::Ratio if max_abs < 10.0 => 2,
        Format::Ratio if max_abs < 100.0 => 1,
        Format::Ratio | Format::Count => 0,
        Format::Number(d) => d.min(9),
    };
    values
        .iter()
        .map(|&v| match clean(v) {
            None => "n/a".to_string(),
            Some(v) => match format {
                Format::Percent => format!("{}%", fixed(v * 100.0, decimals)),
                Format::Ratio => format!("{}x", fixed(v, decimals)),
                Format::Count => fixed(v.round(), 0),
                Format::Money | Format::Number(_) => fixed(v, decimals),
            },
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Error plumbing
// ---------------------------------------------------------------------------

fn check_stem(stem: &str) -> Result<(), ChartError> {
    let reason = if stem.is_empty() {
        Some("empty")
    } else if stem.chars().count() > 200 {
        Some("longer than 200 characters")
    } else if stem.starts_with('.') {
        Some("starts with a dot")
    } else if stem
        .chars()
        .any(|c| c == '/' || c == '\\' || c.is_control())
    {
        Some("contains a path separator or control character")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(ChartError::InvalidStem {
            chart: stem.chars().filter(|c| !c.is_control()).collect(),
            reason,
        }),
        None => Ok(()),
    }
}

/// Runs a drawing step, turning both errors and panics into [`ChartError::Draw`].
fn guarded<T>(name: &str, f: impl FnOnce() -> Result<T, String>) -> Result<T, ChartError> {
    let draw_err = |message: String| ChartError::Draw {
        chart: name.to_string(),
        message,
    };
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r.map_err(draw_err),
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            Err(draw_err(format!("panic in the drawing library: {what}")))
        }
    }
}

// ---------------------------------------------------------------------------
// Text and number helpers
// ---------------------------------------------------------------------------

/// A usable value: finite and within ±1e15 (beyond that axes lose precision).
fn clean(v: f64) -> Option<f64> {
    (v.is_finite() && v.abs() <= 1e15).then_some(v)
}

fn clean_opt(v: Option<f64>) -> Option<f64> {
    v.and_then(clean)
}

/// Removes control characters, bidi/zero-width format characters and
/// XML-forbidden noncharacters; collapses whitespace.
fn clean_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    for c in s.chars() {
        let invisible = matches!(c,
            '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}'
            | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}' | '\u{FDD0}'..='\u{FDEF}'
            | '\u{FFFE}' | '\u{FFFF}');
        if invisible {
            continue;
        }
        if c.is_control() || c.is_whitespace() {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.push(c);
    }
    out
}

fn truncate_chars(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
    t.truncate(t.trim_end().len());
    t.push('…');
    t
}

/// `v` with `d` decimals and comma thousands separators; never `-0`.
fn fixed(v: f64, d: usize) -> String {
    let s = format!("{:.*}", d, v.abs());
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s.as_str(), None),
    };
    let mut out = String::with_capacity(s.len() + 8);
    let is_zero = s.chars().all(|c| c == '0' || c == '.');
    if v < 0.0 && !is_zero {
        out.push('-');
    }
    let digits = int.len();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (digits - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    out
}

/// Fewest decimals (up to 6) that show `x` exactly.
fn decimals_for(x: f64) -> usize {
    for d in 0..=6 {
        let y = x * 10f64.powi(d as i32);
        if (y - y.round()).abs() < 1e-6 * y.abs().max(1.0) {
            return d;
        }
    }
    6
}

/// Axis tick label: decimals follow the tick step; big amounts are compacted.
fn format_tick(format: Format, v: f64, step: f64, max_abs: f64) -> String {
    let compact = |v: f64| {
        if v == 0.0 {
            return "0".to_string();
        }
        let (unit, suffix) = if max_abs >= 1e6 {
            (1e6, "M")
        } else if max_abs >= 1e3 {
            (1e3, "k")
        } else {
            (1.0, "")
        };
        format!("{}{suffix}", fixed(v / unit, decimals_for(step / unit)))
    };
    match format {
        Format::Percent => format!("{}%", fixed(v * 100.0, decimals_for(step * 100.0))),
        Format::Money => compact(v),
        Format::Count if max_abs >= 1e4 => compact(v),
        Format::Count | Format::Number(_) => fixed(v, decimals_for(step)),
        Format::Ratio => format!("{}x", fixed(v, decimals_for(step))),
    }
}

// ---------------------------------------------------------------------------
// Fonts, colours and sizes
// ---------------------------------------------------------------------------

const WIDTH: i32 = 1000;
const MARGIN: i32 = 24;
const TITLE: f64 = 28.0;
const SUBTITLE: f64 = 19.0;
const LEGEND: f64 = 17.0;
const TICK: f64 = 18.0;
const AXIS_LABEL: f64 = 19.0;
const VALUE: f64 = 17.0;
const NOTE: f64 = 16.0;
const HBAR_ROW: i32 = 32;
/// Longest category label, in characters, before the ellipsis.
const MAX_LABEL_CHARS: usize = 30;

const INK: RGBColor = RGBColor(33, 37, 41);
const SOFT: RGBColor = RGBColor(100, 106, 112);
const GRID: RGBColor = RGBColor(228, 230, 233);
const AXIS: RGBColor = RGBColor(120, 124, 130);
const MAIN: RGBColor = RGBColor(47, 107, 172);
const MAIN_LIGHT: RGBColor = RGBColor(170, 198, 228);
const NEG: RGBColor = RGBColor(196, 78, 62);
const NEG_LIGHT: RGBColor = RGBColor(236, 178, 168);
const WHISKER: RGBColor = RGBColor(45, 45, 45);
const REFERENCE: RGBColor = RGBColor(222, 120, 20);
const PALETTE: [RGBColor; 6] = [
    RGBColor(47, 107, 172),
    RGBColor(230, 126, 34),
    RGBColor(56, 158, 92),
    RGBColor(142, 88, 168),
    RGBColor(196, 78, 62),
    RGBColor(110, 110, 110),
];

fn font(size: f64, bold: bool) -> FontDesc<'static> {
    let style = if bold {
        FontStyle::Bold
    } else {
        FontStyle::Normal
    };
    FontDesc::new(FontFamily::Name(FAMILY), size, style)
}

/// Glyphs of `s` with their pen positions (kerning applied) and the total advance.
fn layout_glyphs(s: &str, size: f64, bold: bool) -> (Vec<(GlyphId, f32)>, f32) {
    let Some(f) = face(bold) else {
        return (Vec::new(), s.chars().count() as f32 * size as f32 * 0.62);
    };
    let sf = f.as_scaled(PxScale::from(size as f32));
    let mut out = Vec::with_capacity(s.len());
    let mut x = 0.0f32;
    let mut prev: Option<GlyphId> = None;
    for c in s.chars() {
        let id = sf.glyph_id(c);
        if let Some(p) = prev {
            x += sf.kern(p, id);
        }
        out.push((id, x));
        x += sf.h_advance(id);
        prev = Some(id);
    }
    (out, x)
}

/// Width in pixels of `s` in the bundled font.
fn text_w(s: &str, size: f64, bold: bool) -> i32 {
    if s.is_empty() {
        return 0;
    }
    layout_glyphs(s, size, bold).1.ceil() as i32
}

/// Baseline offset below the requested centre line, as a fraction of the font
/// size: half the cap height of DejaVu Sans (1493 / (1901 + 483) units).
const CAP_CENTER: f32 = 0.313;

/// `s` shortened with an ellipsis until it is at most `max_px` wide.
fn fit(s: &str, size: f64, bold: bool, max_px: i32) -> String {
    if text_w(s, size, bold) <= max_px {
        return s.to_string();
    }
    let chars: Vec<char> = s.chars().collect();
    let candidate = |k: usize| {
        let mut t: String = chars[..k].iter().collect();
        t.truncate(t.trim_end().len());
        t.push('…');
        t
    };
    let (mut lo, mut hi) = (0usize, chars.len());
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if text_w(&candidate(mid), size, bold) <= max_px {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    if lo == 0 {
        if text_w("…", size, bold) <= max_px {
            "…".to_string()
        } else {
            String::new()
        }
    } else {
        candidate(lo)
    }
}

/// Cleans, caps at `max_chars` and fits into `max_px`.
fn label(s: &str, max_chars: usize, size: f64, bold: bool, max_px: i32) -> String {
    fit(
        &truncate_chars(&clean_text(s), max_chars),
        size,
        bold,
        max_px,
    )
}

// ---------------------------------------------------------------------------
// Axes
// ---------------------------------------------------------------------------

/// A numeric axis: range snapped to the tick step, with formatted tick labels.
#[derive(Debug, Clone)]
struct Axis {
    lo: f64,
    hi: f64,
    ticks: Vec<(f64, String)>,
}

/// Maps values to pixels: `v0 → p0`, `v1 → p1` (p1 < p0 for vertical axes).
#[derive(Debug, Clone, Copy)]
struct Scale {
    v0: f64,
    v1: f64,
    p0: f64,
    p1: f64,
}

impl Scale {
    fn new(axis: &Axis, p0: i32, p1: i32) -> Self {
        Scale {
            v0: axis.lo,
            v1: axis.hi,
            p0: p0 as f64,
            p1: p1 as f64,
        }
    }

    fn px(&self, v: f64) -> i32 {
        let span = self.v1 - self.v0;
        let t = if span > 0.0 {
            (v - self.v0) / span
        } else {
            0.0
        };
        let p = self.p0 + t * (self.p1 - self.p0);
        if p.is_finite() {
            p.round().clamp(-100_000.0, 100_000.0) as i32
        } else {
            self.p0 as i32
        }
    }
}

/// Candidate tick steps 1, 2, 2.5, 5 × 10^k, ascending from `raw`.
fn nice_steps(raw: f64) -> impl Iterator<Item = f64> {
    let e = if raw > 0.0 && raw.is_finite() {
        raw.log10().floor() as i32
    } else {
        0
    };
    (e - 1..e + 6)
        .flat_map(|k| [1.0, 2.0, 2.5, 5.0].map(|m| m * 10f64.powi(k)))
        .filter(move |s| *s >= raw * (1.0 - 1e-9))
}

/// Builds an axis covering `a..b` over `px_len` pixels whose tick labels do
/// not collide (checked with the measured label widths when horizontal).
fn build_axis(a: f64, b: f64, px_len: f64, format: Format, horizontal: bool) -> Axis {
    let (mut a, mut b) = if a <= b { (a, b) } else { (b, a) };
    if !(a.is_finite() && b.is_finite() && (b - a).is_finite()) {
        (a, b) = (0.0, 1.0);
    }
    if b - a <= f64::EPSILON * a.abs().max(b.abs()).max(1e-300) {
        if a == 0.0 {
            b = 1.0;
        } else {
            let pad = a.abs() * 0.1;
            a -= pad;
            b += pad;
        }
    }
    let px_len = px_len.max(40.0);
    let target_px = if horizontal { 110.0 } else { 60.0 };
    let raw = (b - a) / (px_len / target_px).max(1.0);
    let integer_only = matches!(format, Format::Count);
    for step in nice_steps(raw).take(40) {
        if integer_only && (step < 1.0 || step.fract() != 0.0) {
            continue;
        }
        let i0 = (a / step + 1e-6).floor();
        let i1 = (b / step - 1e-6).ceil();
        let count = i1 - i0;
        if !(1.0..=100.0).contains(&count) {
            continue;
        }
        let (lo, hi) = (i0 * step, i1 * step);
        let max_abs = lo.abs().max(hi.abs());
        let ticks: Vec<(f64, String)> = (0..=count as i64)
            .map(|i| {
                let v = (i0 + i as f64) * step;
                (v, format_tick(format, v, step, max_abs))
            })
            .collect();
        let step_px = px_len / count;
        let fits = if horizontal {
            let widest = ticks.iter().map(|(_, s)| text_w(s, TICK, false)).max();
            (widest.unwrap_or(0) + 16) as f64 <= step_px
        } else {
            TICK + 12.0 <= step_px
        };
        if fits {
            return Axis { lo, hi, ticks };
        }
    }
    let max_abs = a.abs().max(b.abs());
    Axis {
        lo: a,
        hi: b,
        ticks: vec![
            (a, format_tick(format, a, b - a, max_abs)),
            (b, format_tick(format, b, b - a, max_abs)),
        ],
    }
}

/// Ticks at histogram bin edges (every k-th edge, so labels do not collide).
/// `None` when there are too many edges; a nice-number axis is used then.
fn edge_axis(edges: &[f64], px_len: f64, format: Format) -> Option<Axis> {
    let (&first, &last) = (edges.first()?, edges.last()?);
    if edges.len() > 41 || last <= first {
        return None;
    }
    let decimals = edges.iter().map(|e| decimals_for(*e)).max().unwrap_or(0);
    let step = 10f64.powi(-(decimals.min(6) as i32));
    let max_abs = first.abs().max(last.abs());
    let labels: Vec<(f64, String, i32)> = edges
        .iter()
        .map(|&e| {
            let s = format_tick(format, e, step, max_abs);
            let w = text_w(&s, TICK, false);
            (e, s, w)
        })
        .collect();
    let px = |v: f64| (v - first) / (last - first) * px_len;
    (1..edges.len()).find_map(|k| {
        let picked: Vec<&(f64, String, i32)> = labels.iter().step_by(k).collect();
        let fits = picked
            .windows(2)
            .all(|w| px(w[1].0) - px(w[0].0) >= ((w[0].2 + w[1].2) / 2 + 14) as f64);
        fits.then(|| Axis {
            lo: first,
            hi: last,
            ticks: picked.iter().map(|(v, s, _)| (*v, s.clone())).collect(),
        })
    })
}

/// A value label that needs `px` pixels beyond `end`, towards the high end of
/// the axis (`up`) or the low end.
struct LabelRoom {
    end: f64,
    px: f64,
    up: bool,
}

/// Widens `a..b` so that every label fits inside the axis.
fn widen_for_labels(a: f64, b: f64, px_len: f64, labels: &[LabelRoom]) -> (f64, f64) {
    let (mut lo, mut hi) = (a, b);
    if hi.is_nan() || lo.is_nan() || hi <= lo || px_len <= 0.0 {
        return (lo, hi);
    }
    for _ in 0..12 {
        let per_px = (hi - lo) / px_len;
        let (mut nlo, mut nhi) = (a, b);
        for l in labels {
            let need = l.px.min(px_len * 0.45) * per_px;
            if l.up {
                nhi = nhi.max(l.end + need);
            } else {
                nlo = nlo.min(l.end - need);
            }
        }
        let done = (nlo - lo).abs() + (nhi - hi).abs() <= (hi - lo) * 1e-9;
        (lo, hi) = (nlo, nhi);
        if done {
            break;
        }
    }
    (lo, hi)
}

// ---------------------------------------------------------------------------
// Prepared charts
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy)]
enum Swatch {
    Box(RGBAColor),
    Whisker(RGBColor),
    Dashed(RGBColor),
    Marker(RGBColor),
    Hollow(RGBColor),
    /// Text only, no symbol.
    Note,
}

#[derive(Debug, Clone)]
struct LegendEntry {
    swatch: Swatch,
    text: String,
    x: i32,
    y: i32,
}

#[derive(Debug, Clone)]
struct Header {
    title: String,
    subtitle: String,
    legend: Vec<LegendEntry>,
    height: i32,
}

const SWATCH_W: i32 = 30;

/// Room taken by a legend symbol and the gap after it.
fn swatch_space(swatch: Swatch) -> i32 {
    match swatch {
        Swatch::Note => 0,
        _ => SWATCH_W + 8,
    }
}

/// Most categories drawn; more would make images huge or unreadable.
const MAX_HBARS: usize = 100;
const MAX_COLUMNS: usize = 240;
const MAX_SERIES: usize = 6;
const MAX_CAL_POINTS: usize = 100;

/// Legend note when only the first `shown` of `total` entries are drawn.
fn cap_note(shown: usize, total: usize, what: &str) -> Option<(Swatch, String)> {
    (total > shown).then(|| {
        (
            Swatch::Note,
            format!("first {shown} of {} {what} shown", fixed(total as f64, 0)),
        )
    })
}

impl Header {
    fn new(title: &str, subtitle: Option<&str>, legend: Vec<(Swatch, String)>) -> Self {
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
struct Item {
    label: String,
    value: Option<f64>,
    lo: Option<f64>,
    hi: Option<f64>,
    muted: bool,
    annotation: String,
    text: String,
}

impl Item {
    /// The far end of the value or its whisker, away from zero.
    fn outer(&self) -> Option<f64> {
        let v = self.value?;
        Some(if v >= 0.0 {
            self.hi.map_or(v, |h| h.max(v))
        } else {
            self.lo.map_or(v, |l| l.min(v))
        })
    }
}

fn prepare_items(bars: &[Bar], format: Format) -> Vec<Item> {
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
fn extent(items: &[Item], extra: Option<f64>) -> (f64, f64) {
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

fn any_interval(items: &[Item]) -> bool {
    items.iter().any(|i| i.lo.is_some() || i.hi.is_some())
}

fn bar_legend(
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
struct Plan {
    width: u32,
    height: u32,
    header: Header,
    body: Body,
}

#[derive(Debug, Clone)]
enum Body {
    Empty { message: String },
    HBar(HBarBody),
    Vertical(VerticalBody),
    Calibration(CalBody),
    Histogram(HistBody),
}

#[derive(Debug, Clone)]
struct HBarBody {
    items: Vec<Item>,
    axis: Axis,
    left: i32,
    right: i32,
    top: i32,
    bottom: i32,
    x_label: String,
    reference: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum VKind {
    Columns,
    Line,
}

#[derive(Debug, Clone)]
struct VerticalBody {
    kind: VKind,
    items: Vec<Item>,
    axis: Axis,
    left: i32,
    right: i32,
    top: i32,
    bottom: i32,
    /// Category labels, empty where skipped to avoid overlap.
    categories: Vec<String>,
    annotations: Vec<String>,
    show_values: bool,
    x_label: String,
    y_label: String,
    reference: Option<f64>,
}

#[derive(Debug, Clone)]
struct CalPt {
    predicted: f64,
    observed: f64,
    lo: Option<f64>,
    hi: Option<f64>,
    n: u64,
}

#[derive(Debug, Clone)]
struct CalBody {
    points: Vec<CalPt>,
    axis: Axis,
    left: i32,
    top: i32,
    size: i32,
    x_label: String,
    y_label: String,
    panel_x: i32,
    legend: Vec<(Swatch, String)>,
    table: Vec<[String; 3]>,
    max_n: u64,
}

#[derive(Debug, Clone)]
struct HistBody {
    edges: Vec<f64>,
    series: Vec<(Vec<Option<f64>>, RGBColor)>,
    x_axis: Axis,
    y_axis: Axis,
    left: i32,
    right: i32,
    top: i32,
    bottom: i32,
    x_label: String,
    y_label: String,
}

fn empty_plan(title: &str, subtitle: Option<&str>, message: &str) -> Plan {
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

fn prepare(chart: &Chart, name: &str) -> Result<Plan, ChartError> {
    if !fonts_ready() {
        return Err(ChartError::Font {
            chart: name.to_string(),
        });
    }
    let plan = guarded(name, || Ok(prepare_plan(chart)))?;
    Ok(plan)
}

fn prepare_plan(chart: &Chart) -> Plan {
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

fn prepare_hbar(
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

struct VerticalSpec<'a> {
    kind: VKind,
    title: &'a str,
    subtitle: Option<&'a str>,
    x_label: &'a str,
    y_label: &'a str,
    bars: &'a [Bar],
    format: Format,
    reference: Option<(f64, &'a str)>,
    muted_note: Option<&'a str>,
}

const VERTICAL_HEIGHT: i32 = 620;

fn prepare_vertical(spec: VerticalSpec<'_>) -> Plan {
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

const CAL_HEIGHT: i32 = 780;

fn prepare_calibration(
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

struct HistSpec<'a> {
    title: &'a str,
    subtitle: Option<&'a str>,
    x_label: &'a str,
    y_label: &'a str,
    edges: &'a [f64],
    series: &'a [Series],
    format: Format,
    x_format: Format,
}

fn prepare_histogram(spec: HistSpec<'_>) -> Plan {
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

// ---------------------------------------------------------------------------
// Drawing
// ---------------------------------------------------------------------------

type DrawResult = Result<(), String>;

#[derive(Clone, Copy)]
struct TextSpec {
    size: f64,
    bold: bool,
    color: RGBColor,
    h: HPos,
}

const fn ts(size: f64, color: RGBColor, h: HPos) -> TextSpec {
    TextSpec {
        size,
        bold: false,
        color,
        h,
    }
}

/// Thin wrapper over a drawing area in pixel coordinates.
struct Canvas<'a, DB: DrawingBackend> {
    area: &'a DrawingArea<DB, Shift>,
    /// Rasterise text ourselves (PNG). plotters' own ab_glyph text drops each
    /// glyph's left-side bearing and rounds pen positions, which gives uneven
    /// letter spacing; the SVG backend writes `<text>` elements instead.
    raster_text: bool,
    /// Fraction of the font size added to y in SVG so that text is visually
    /// centred on the given y.
    text_shift: f64,
}

impl<DB: DrawingBackend> Canvas<'_, DB> {
    /// Draws `s` vertically centred on `y`, anchored at `x` per `t.h`.
    fn text(&self, s: &str, (x, y): (i32, i32), t: TextSpec) -> DrawResult {
        if s.is_empty() {
            return Ok(());
        }
        if self.raster_text {
            return self.rasterise(s, (x, y), t);
        }
        let style = font(t.size * SVG_SIZE_FIX, t.bold)
            .color(&t.color)
            .pos(Pos::new(t.h, VPos::Center));
        let y = y + (t.size * self.text_shift).round() as i32;
        self.area
            .draw(&Text::new(s.to_string(), (x, y), style))
            .map_err(|e| e.to_string())
    }

    fn rasterise(&self, s: &str, (x, y): (i32, i32), t: TextSpec) -> DrawResult {
        let f = face(t.bold).ok_or("bundled font unavailable")?;
        let scale = PxScale::from(t.size as f32);
        let (glyphs, width) = layout_glyphs(s, t.size, t.bold);
        let x0 = match t.h {
            HPos::Left => x as f32,
            HPos::Center => x as f32 - width / 2.0,
            HPos::Right => x as f32 - width,
        }
        .round();
        let baseline = (y as f32 + CAP_CENTER * t.size as f32).round();
        let mut pixels = Vec::new();
        for (id, gx) in glyphs {
            let glyph = id.with_scale_and_position(scale, ab_glyph::point(x0 + gx, baseline));
            if let Some(outline) = f.outline_glyph(glyph) {
                let b = outline.px_bounds();
                let (bx, by) = (b.min.x as i32, b.min.y as i32);
                outline.draw(|px, py, cov| {
                    if cov > 0.004 {
                        pixels.push((bx + px as i32, by + py as i32, cov.min(1.0)));
                    }
                });
            }
        }
        for (px, py, cov) in pixels {
            self.area
                .draw_pixel((px, py), &t.color.mix(cov as f64))
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    /// A white backing box for a label, so lines behind it do not cross it.
    fn halo(&self, s: &str, (x, y): (i32, i32), t: TextSpec) -> DrawResult {
        if s.is_empty() {
            return Ok(());
        }
        let w = text_w(s, t.size, t.bold);
        let x0 = match t.h {
            HPos::Left => x,
            HPos::Center => x - w / 2,
            HPos::Right => x - w,
        };
        let h = (t.size * 0.42).round() as i32;
        self.fill((x0 - 3, y - h), (x0 + w + 3, y + h), WHITE.mix(0.9))
    }

    fn fill(&self, a: (i32, i32), b: (i32, i32), color: RGBAColor) -> DrawResult {
        let (a, b) = ((a.0.min(b.0), a.1.min(b.1)), (a.0.max(b.0), a.1.max(b.1)));
        self.area
            .draw(&Rectangle::new([a, b], color.filled()))
            .map_err(|e| e.to_string())
    }

    fn frame(&self, a: (i32, i32), b: (i32, i32), color: RGBAColor) -> DrawResult {
        self.area
            .draw(&Rectangle::new([a, b], color.stroke_width(1)))
            .map_err(|e| e.to_string())
    }

    fn line(&self, pts: Vec<(i32, i32)>, color: RGBAColor, width: u32) -> DrawResult {
        self.area
            .draw(&PathElement::new(pts, color.stroke_width(width)))
            .map_err(|e| e.to_string())
    }

    fn dashed(&self, pts: Vec<(i32, i32)>, color: RGBAColor, width: u32) -> DrawResult {
        self.area
            .draw(&DashedPathElement::new(
                pts,
                8,
                6,
                color.stroke_width(width),
            ))
            .map_err(|e| e.to_string())
    }

    fn circle(&self, c: (i32, i32), r: i32, color: RGBAColor, filled: bool) -> DrawResult {
        let style = if filled {
            color.filled()
        } else {
            color.stroke_width(2)
        };
        self.area
            .draw(&Circle::new(c, r, style))
            .map_err(|e| e.to_string())
    }

    /// An interval whisker between two pixel positions along one axis, with
    /// caps only at ends that are real interval bounds.
    fn whisker(&self, w: Whisker, color: RGBColor) -> DrawResult {
        let c = color.to_rgba();
        let Whisker {
            across,
            from,
            to,
            cap,
            caps,
            vertical,
        } = w;
        let pt = |along: i32, off: i32| {
            if vertical {
                (across + off, along)
            } else {
                (along, across + off)
            }
        };
        self.line(vec![pt(from, 0), pt(to, 0)], c, 2)?;
        if caps.0 {
            self.line(vec![pt(from, -cap), pt(from, cap)], c, 2)?;
        }
        if caps.1 {
            self.line(vec![pt(to, -cap), pt(to, cap)], c, 2)?;
        }
        Ok(())
    }

    fn swatch(&self, swatch: Swatch, (x, y): (i32, i32)) -> DrawResult {
        match swatch {
            Swatch::Box(c) => {
                self.fill((x + 3, y - 8), (x + SWATCH_W - 3, y + 8), c)?;
                self.frame(
                    (x + 3, y - 8),
                    (x + SWATCH_W - 3, y + 8),
                    RGBAColor(c.0, c.1, c.2, 1.0),
                )
            }
            Swatch::Whisker(color) => self.whisker(
                Whisker {
                    across: y,
                    from: x + 3,
                    to: x + SWATCH_W - 3,
                    cap: 7,
                    caps: (true, true),
                    vertical: false,
                },
                color,
            ),
            Swatch::Dashed(c) => self.dashed(vec![(x, y), (x + SWATCH_W, y)], c.to_rgba(), 2),
            Swatch::Marker(c) => self.circle((x + SWATCH_W / 2, y), 6, c.to_rgba(), true),
            Swatch::Hollow(c) => {
                self.dashed(vec![(x, y), (x + SWATCH_W, y)], c.to_rgba(), 2)?;
                self.circle((x + SWATCH_W / 2, y), 6, WHITE.to_rgba(), true)?;
                self.circle((x + SWATCH_W / 2, y), 6, c.to_rgba(), false)
            }
            Swatch::Note => Ok(()),
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Whisker {
    across: i32,
    from: i32,
    to: i32,
    cap: i32,
    caps: (bool, bool),
    vertical: bool,
}

/// Fills the background, draws the plan and flushes the backend.
fn paint<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    plan: &Plan,
    raster: bool,
) -> DrawResult {
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let canvas = Canvas {
        area: root,
        raster_text: raster,
        text_shift: if raster { 0.0 } else { 0.08 },
    };
    draw_plan(&canvas, plan)?;
    root.present().map_err(|e| e.to_string())
}

fn draw_png(plan: &Plan, path: &Path) -> DrawResult {
    let root = BitMapBackend::new(path, (plan.width, plan.height)).into_drawing_area();
    paint(&root, plan, true)
}

fn draw_svg(plan: &Plan) -> Result<String, String> {
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, (plan.width, plan.height)).into_drawing_area();
        paint(&root, plan, false)?;
    }
    Ok(buf)
}

fn draw_plan<DB: DrawingBackend>(cv: &Canvas<'_, DB>, plan: &Plan) -> DrawResult {
    draw_header(cv, &plan.header)?;
    match &plan.body {
        Body::Empty { message } => {
            let top = plan.header.height + 10;
            let bottom = plan.height as i32 - MARGIN;
            cv.fill(
                (MARGIN, top),
                (WIDTH - MARGIN, bottom),
                RGBColor(246, 247, 248).to_rgba(),
            )?;
            cv.frame((MARGIN, top), (WIDTH - MARGIN, bottom), GRID.to_rgba())?;
            cv.text(
                message,
                (WIDTH / 2, (top + bottom) / 2),
                ts(AXIS_LABEL, SOFT, HPos::Center),
            )
        }
        Body::HBar(b) => draw_hbar(cv, b),
        Body::Vertical(b) => draw_vertical(cv, b),
        Body::Calibration(b) => draw_calibration(cv, b),
        Body::Histogram(b) => draw_histogram(cv, b),
    }
}

fn draw_header<DB: DrawingBackend>(cv: &Canvas<'_, DB>, h: &Header) -> DrawResult {
    cv.text(
        &h.title,
        (MARGIN, 18 + 17),
        TextSpec {
            bold: true,
            ..ts(TITLE, INK, HPos::Left)
        },
    )?;
    cv.text(
        &h.subtitle,
        (MARGIN, 18 + 38 + 12),
        ts(SUBTITLE, SOFT, HPos::Left),
    )?;
    for e in &h.legend {
        cv.swatch(e.swatch, (e.x, e.y))?;
        let color = if matches!(e.swatch, Swatch::Note) {
            SOFT
        } else {
            INK
        };
        cv.text(
            &e.text,
            (e.x + swatch_space(e.swatch), e.y),
            ts(LEGEND, color, HPos::Left),
        )?;
    }
    Ok(())
}

fn bar_color(value: f64, muted: bool) -> RGBColor {
    match (value < 0.0, muted) {
        (false, false) => MAIN,
        (false, true) => MAIN_LIGHT,
        (true, false) => NEG,
        (true, true) => NEG_LIGHT,
    }
}

fn draw_hbar<DB: DrawingBackend>(cv: &Canvas<'_, DB>, b: &HBarBody) -> DrawResult {
    let x = Scale::new(&b.axis, b.left, b.right);
    for (v, _) in &b.axis.ticks {
        cv.line(
            vec![(x.px(*v), b.top), (x.px(*v), b.bottom)],
            GRID.to_rgba(),
            1,
        )?;
    }
    let zero = x.px(0.0);
    if b.axis.lo < 0.0 && b.axis.hi > 0.0 {
        cv.line(vec![(zero, b.top), (zero, b.bottom)], AXIS.to_rgba(), 1)?;
    }
    let bar_h = (HBAR_ROW as f64 * 0.62).round() as i32;
    for (i, it) in b.items.iter().enumerate() {
        let cy = b.top + HBAR_ROW * i as i32 + HBAR_ROW / 2;
        if let Some(v) = it.value {
            let end = x.px(v);
            if end != zero {
                cv.fill(
                    (zero, cy - bar_h / 2),
                    (end, cy + bar_h / 2),
                    bar_color(v, it.muted).to_rgba(),
                )?;
            }
            if it.lo.is_some() || it.hi.is_some() {
                cv.whisker(
                    Whisker {
                        across: cy,
                        from: x.px(it.lo.unwrap_or(v)),
                        to: x.px(it.hi.unwrap_or(v)),
                        cap: 6,
                        caps: (it.lo.is_some(), it.hi.is_some()),
                        vertical: false,
                    },
                    WHISKER,
                )?;
            }
        }
    }
    if let Some(r) = b.reference {
        cv.dashed(
            vec![(x.px(r), b.top - 4), (x.px(r), b.bottom)],
            REFERENCE.to_rgba(),
            2,
        )?;
    }
    for (i, it) in b.items.iter().enumerate() {
        let cy = b.top + HBAR_ROW * i as i32 + HBAR_ROW / 2;
        cv.text(&it.label, (b.left - 12, cy), ts(TICK, INK, HPos::Right))?;
        cv.text(
            &it.annotation,
            (b.right + 18, cy),
            ts(NOTE, SOFT, HPos::Left),
        )?;
        let end = it.outer().unwrap_or(0.0);
        let (pos, h) = if end >= 0.0 {
            (x.px(end) + 6, HPos::Left)
        } else {
            (x.px(end) - 6, HPos::Right)
        };
        let color = if it.value.is_some() { INK } else { SOFT };
        cv.halo(&it.text, (pos, cy), ts(VALUE, color, h))?;
        cv.text(&it.text, (pos, cy), ts(VALUE, color, h))?;
    }
    cv.line(
        vec![(b.left, b.bottom), (b.right, b.bottom)],
        AXIS.to_rgba(),
        1,
    )?;
    draw_x_axis(cv, &b.axis, &x, (b.left, b.right, b.bottom), &b.x_label)
}

/// Horizontal grid lines, y tick labels and the y axis title.
/// Tick marks and labels under a numeric x axis, and the axis title below them.
fn draw_x_axis<DB: DrawingBackend>(
    cv: &Canvas<'_, DB>,
    axis: &Axis,
    x: &Scale,
    (left, right, bottom): (i32, i32, i32),
    x_label: &str,
) -> DrawResult {
    for (v, s) in &axis.ticks {
        let px = x.px(*v);
        cv.line(vec![(px, bottom), (px, bottom + 5)], AXIS.to_rgba(), 1)?;
        cv.text(s, (px, bottom + 19), ts(TICK, SOFT, HPos::Center))?;
    }
    cv.text(
        x_label,
        ((left + right) / 2, bottom + 54),
        ts(AXIS_LABEL, INK, HPos::Center),
    )
}

fn draw_y_axis<DB: DrawingBackend>(
    cv: &Canvas<'_, DB>,
    axis: &Axis,
    y: &Scale,
    (left, right, top): (i32, i32, i32),
    y_label: &str,
) -> DrawResult {
    for (v, s) in &axis.ticks {
        let py = y.px(*v);
        cv.line(vec![(left, py), (right, py)], GRID.to_rgba(), 1)?;
        cv.text(s, (left - 8, py), ts(TICK, SOFT, HPos::Right))?;
    }
    if axis.lo < 0.0 && axis.hi > 0.0 {
        let z = y.px(0.0);
        cv.line(vec![(left, z), (right, z)], AXIS.to_rgba(), 1)?;
    }
    cv.text(y_label, (MARGIN, top - 26), ts(AXIS_LABEL, INK, HPos::Left))
}

fn draw_vertical<DB: DrawingBackend>(cv: &Canvas<'_, DB>, b: &VerticalBody) -> DrawResult {
    let y = Scale::new(&b.axis, b.bottom, b.top);
    draw_y_axis(cv, &b.axis, &y, (b.left, b.right, b.top), &b.y_label)?;
    let n = b.items.len().max(1);
    let slot = (b.right - b.left) as f64 / n as f64;
    let cx = |i: usize| (b.left as f64 + (i as f64 + 0.5) * slot).round() as i32;
    let zero = y.px(0.0);

    match b.kind {
        VKind::Columns => {
            let bar_w = (slot * 0.62).clamp(2.0, 90.0) as i32;
            let cap = (bar_w / 5).clamp(4, 10);
            for (i, it) in b.items.iter().enumerate() {
                let Some(v) = it.value else { continue };
                let end = y.px(v);
                if end != zero {
                    cv.fill(
                        (cx(i) - bar_w / 2, zero),
                        (cx(i) + bar_w / 2, end),
                        bar_color(v, it.muted).to_rgba(),
                    )?;
                }
                if it.lo.is_some() || it.hi.is_some() {
                    cv.whisker(
                        Whisker {
                            across: cx(i),
                            from: y.px(it.lo.unwrap_or(v)),
                            to: y.px(it.hi.unwrap_or(v)),
                            cap,
                            caps: (it.lo.is_some(), it.hi.is_some()),
                            vertical: true,
                        },
                        WHISKER,
                    )?;
                }
            }
        }
        VKind::Line => {
            let pts: Vec<Option<(i32, i32)>> = b
                .items
                .iter()
                .enumerate()
                .map(|(i, it)| it.value.map(|v| (cx(i), y.px(v))))
                .collect();
            for i in 1..pts.len() {
                if let (Some(p), Some(q)) = (pts[i - 1], pts[i]) {
                    if b.items[i - 1].muted || b.items[i].muted {
                        cv.dashed(vec![p, q], MAIN.to_rgba(), 3)?;
                    } else {
                        cv.line(vec![p, q], MAIN.to_rgba(), 3)?;
                    }
                }
            }
            for (i, it) in b.items.iter().enumerate() {
                let Some(v) = it.value else { continue };
                if it.lo.is_some() || it.hi.is_some() {
                    let color = if it.muted { MAIN_LIGHT } else { MAIN };
                    cv.whisker(
                        Whisker {
                            across: cx(i),
                            from: y.px(it.lo.unwrap_or(v)),
                            to: y.px(it.hi.unwrap_or(v)),
                            cap: 7,
                            caps: (it.lo.is_some(), it.hi.is_some()),
                            vertical: true,
                        },
                        color,
                    )?;
                }
            }
            for (i, p) in pts.iter().enumerate() {
                let Some(p) = *p else { continue };
                if b.items[i].muted {
                    cv.circle(p, 7, WHITE.to_rgba(), true)?;
                    cv.circle(p, 7, MAIN.to_rgba(), false)?;
                } else {
                    cv.circle(p, 7, MAIN.to_rgba(), true)?;
                }
            }
        }
    }
    if let Some(r) = b.reference {
        let py = y.px(r);
        cv.dashed(vec![(b.left, py), (b.right, py)], REFERENCE.to_rgba(), 2)?;
    }
    if b.show_values {
        for (i, it) in b.items.iter().enumerate() {
            let (end, up) = match (b.kind, it.value) {
                (VKind::Line, Some(v)) => (it.hi.map_or(v, |h| h.max(v)), true),
                _ => {
                    let e = it.outer().unwrap_or(0.0);
                    (e, e >= 0.0)
                }
            };
            let py = if up {
                y.px(end) - (VALUE * 0.5) as i32 - 8
            } else {
                y.px(end) + (VALUE * 0.5) as i32 + 8
            };
            let color = if it.value.is_some() { INK } else { SOFT };
            cv.halo(&it.text, (cx(i), py), ts(VALUE, color, HPos::Center))?;
            cv.text(&it.text, (cx(i), py), ts(VALUE, color, HPos::Center))?;
        }
    }
    cv.line(
        vec![(b.left, b.bottom), (b.right, b.bottom)],
        AXIS.to_rgba(),
        1,
    )?;
    for (i, (cat, note)) in b.categories.iter().zip(&b.annotations).enumerate() {
        if !cat.is_empty() {
            cv.line(
                vec![(cx(i), b.bottom), (cx(i), b.bottom + 5)],
                AXIS.to_rgba(),
                1,
            )?;
        }
        cv.text(cat, (cx(i), b.bottom + 19), ts(TICK, INK, HPos::Center))?;
        cv.text(note, (cx(i), b.bottom + 42), ts(NOTE, SOFT, HPos::Center))?;
    }
    let has_notes = b.annotations.iter().any(|a| !a.is_empty());
    let label_y = b.bottom + if has_notes { 76 } else { 54 };
    cv.text(
        &b.x_label,
        ((b.left + b.right) / 2, label_y),
        ts(AXIS_LABEL, INK, HPos::Center),
    )
}

fn draw_calibration<DB: DrawingBackend>(cv: &Canvas<'_, DB>, b: &CalBody) -> DrawResult {
    let (left, top, right, bottom) = (b.left, b.top, b.left + b.size, b.top + b.size);
    let x = Scale::new(&b.axis, left, right);
    let y = Scale::new(&b.axis, bottom, top);
    draw_y_axis(cv, &b.axis, &y, (left, right, top), &b.y_label)?;
    for (v, _) in &b.axis.ticks {
        cv.line(vec![(x.px(*v), top), (x.px(*v), bottom)], GRID.to_rgba(), 1)?;
    }
    cv.frame((left, top), (right, bottom), AXIS.to_rgba())?;
    let (d0, d1) = (b.axis.lo.max(0.0), b.axis.hi);
    cv.dashed(
        vec![(x.px(d0), y.px(d0)), (x.px(d1), y.px(d1))],
        AXIS.to_rgba(),
        2,
    )?;
    for p in &b.points {
        if p.lo.is_some() || p.hi.is_some() {
            cv.whisker(
                Whisker {
                    across: x.px(p.predicted),
                    from: y.px(p.lo.unwrap_or(p.observed)),
                    to: y.px(p.hi.unwrap_or(p.observed)),
                    cap: 5,
                    caps: (p.lo.is_some(), p.hi.is_some()),
                    vertical: true,
                },
                WHISKER,
            )?;
        }
    }
    for p in &b.points {
        let share = if b.max_n > 0 {
            (p.n as f64 / b.max_n as f64).sqrt()
        } else {
            1.0
        };
        let r = (4.0 + 5.0 * share).round() as i32;
        let c = (x.px(p.predicted), y.px(p.observed));
        cv.circle(c, r, MAIN.to_rgba(), true)?;
        cv.circle(c, r, WHITE.to_rgba(), false)?;
    }
    draw_x_axis(cv, &b.axis, &x, (left, right, bottom), &b.x_label)?;

    // Side panel: legend, then a small table of the bins.
    let mut py = top + 10;
    for (swatch, text) in &b.legend {
        cv.swatch(*swatch, (b.panel_x, py))?;
        cv.text(
            text,
            (b.panel_x + SWATCH_W + 8, py),
            ts(LEGEND, INK, HPos::Left),
        )?;
        py += 28;
    }
    cv.text(
        "marker area grows with n",
        (b.panel_x, py),
        ts(NOTE, SOFT, HPos::Left),
    )?;
    py += 44;
    if !b.table.is_empty() {
        let head = ["Predicted", "Observed", "n"];
        let col_w = |k: usize| {
            b.table
                .iter()
                .map(|r| text_w(&r[k], NOTE, false))
                .chain([text_w(head[k], NOTE, true)])
                .max()
                .unwrap_or(0)
        };
        let (w0, w1, w2) = (col_w(0), col_w(1), col_w(2));
        let xs = [
            b.panel_x + w0,
            b.panel_x + w0 + 20 + w1,
            b.panel_x + w0 + 20 + w1 + 20 + w2,
        ];
        for (k, h) in head.iter().enumerate() {
            cv.text(
                h,
                (xs[k], py),
                TextSpec {
                    bold: true,
                    ..ts(NOTE, INK, HPos::Right)
                },
            )?;
        }
        cv.line(
            vec![(b.panel_x, py + 13), (xs[2], py + 13)],
            GRID.to_rgba(),
            1,
        )?;
        py += 26;
        for row in &b.table {
            for (k, cell) in row.iter().enumerate() {
                cv.text(cell, (xs[k], py), ts(NOTE, INK, HPos::Right))?;
            }
            py += 22;
        }
    }
    Ok(())
}

fn draw_histogram<DB: DrawingBackend>(cv: &Canvas<'_, DB>, b: &HistBody) -> DrawResult {
    let x = Scale::new(&b.x_axis, b.left, b.right);
    let y = Scale::new(&b.y_axis, b.bottom, b.top);
    draw_y_axis(cv, &b.y_axis, &y, (b.left, b.right, b.top), &b.y_label)?;
    let base = y.px(0.0);
    for (values, color) in &b.series {
        for (i, v) in values.iter().enumerate() {
            if let Some(v) = v {
                cv.fill(
                    (x.px(b.edges[i]), base),
                    (x.px(b.edges[i + 1]), y.px(*v)),
                    color.mix(0.28),
                )?;
            }
        }
    }
    for (values, color) in &b.series {
        let mut pts = vec![(x.px(b.edges[0]), base)];
        for (i, v) in values.iter().enumerate() {
            let py = y.px(v.unwrap_or(0.0));
            pts.push((x.px(b.edges[i]), py));
            pts.push((x.px(b.edges[i + 1]), py));
        }
        pts.push((x.px(b.edges[b.edges.len() - 1]), base));
        cv.line(pts, color.to_rgba(), 2)?;
    }
    cv.line(
        vec![(b.left, b.bottom), (b.right, b.bottom)],
        AXIS.to_rgba(),
        1,
    )?;
    draw_x_axis(cv, &b.x_axis, &x, (b.left, b.right, b.bottom), &b.x_label)
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    /// Renders the PNG pixels into memory (no encoding, which is slow in
    /// debug builds) and the SVG string.
    fn render_in_memory(chart: &Chart) -> Result<(Vec<u8>, String), ChartError> {
        let plan = prepare(chart, "in-memory")?;
        let pixels = guarded("in-memory", || {
            let mut buf = vec![0u8; plan.width as usize * plan.height as usize * 3];
            {
                let root = BitMapBackend::with_buffer(&mut buf, (plan.width, plan.height))
                    .into_drawing_area();
                paint(&root, &plan, true)?;
            }
            Ok(buf)
        })?;
        Ok((pixels, render_svg_string(chart)?))
    }

    fn scratch_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("leadtune-charts-{}-{name}", std::process::id()));
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
}
