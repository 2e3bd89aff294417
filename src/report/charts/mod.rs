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

use ab_glyph::FontRef;
use plotters::style::{FontStyle, register_font};

mod draw;
mod layout;
mod prepare;

use draw::*;
use layout::*;
use prepare::*;

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

    let png = guarded(stem, || draw_png(&plan))?;
    if let Err(e) = std::fs::write(&tmp_png, png) {
        let _ = std::fs::remove_file(&tmp_png);
        return Err(io_err(&tmp_png)(e));
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

#[cfg(test)]
mod tests;
