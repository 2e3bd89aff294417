//! Fonts, colours and sizes; text measured with the real font; axes with nice ticks.

use ab_glyph::{Font as _, GlyphId, PxScale, ScaleFont as _};
use plotters::prelude::*;
use plotters::style::{FontFamily, FontStyle};

use super::*;

pub(super) const WIDTH: i32 = 1000;
pub(super) const MARGIN: i32 = 24;
pub(super) const TITLE: f64 = 28.0;
pub(super) const SUBTITLE: f64 = 19.0;
pub(super) const LEGEND: f64 = 17.0;
pub(super) const TICK: f64 = 18.0;
pub(super) const AXIS_LABEL: f64 = 19.0;
pub(super) const VALUE: f64 = 17.0;
pub(super) const NOTE: f64 = 16.0;
pub(super) const HBAR_ROW: i32 = 32;
/// Longest category label, in characters, before the ellipsis.
pub(super) const MAX_LABEL_CHARS: usize = 30;

pub(super) const INK: RGBColor = RGBColor(33, 37, 41);
pub(super) const SOFT: RGBColor = RGBColor(100, 106, 112);
pub(super) const GRID: RGBColor = RGBColor(228, 230, 233);
pub(super) const AXIS: RGBColor = RGBColor(120, 124, 130);
pub(super) const MAIN: RGBColor = RGBColor(47, 107, 172);
pub(super) const MAIN_LIGHT: RGBColor = RGBColor(170, 198, 228);
pub(super) const NEG: RGBColor = RGBColor(196, 78, 62);
pub(super) const NEG_LIGHT: RGBColor = RGBColor(236, 178, 168);
pub(super) const WHISKER: RGBColor = RGBColor(45, 45, 45);
pub(super) const REFERENCE: RGBColor = RGBColor(222, 120, 20);
pub(super) const PALETTE: [RGBColor; 6] = [
    RGBColor(47, 107, 172),
    RGBColor(230, 126, 34),
    RGBColor(56, 158, 92),
    RGBColor(142, 88, 168),
    RGBColor(196, 78, 62),
    RGBColor(110, 110, 110),
];

pub(super) fn font(size: f64, bold: bool) -> FontDesc<'static> {
    let style = if bold {
        FontStyle::Bold
    } else {
        FontStyle::Normal
    };
    FontDesc::new(FontFamily::Name(FAMILY), size, style)
}

/// Glyphs of `s` with their pen positions (kerning applied) and the total advance.
pub(super) fn layout_glyphs(s: &str, size: f64, bold: bool) -> (Vec<(GlyphId, f32)>, f32) {
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
pub(super) fn text_w(s: &str, size: f64, bold: bool) -> i32 {
    if s.is_empty() {
        return 0;
    }
    layout_glyphs(s, size, bold).1.ceil() as i32
}

/// Baseline offset below the requested centre line, as a fraction of the font
/// size: half the cap height of DejaVu Sans (1493 / (1901 + 483) units).
pub(super) const CAP_CENTER: f32 = 0.313;

/// `s` shortened with an ellipsis until it is at most `max_px` wide.
pub(super) fn fit(s: &str, size: f64, bold: bool, max_px: i32) -> String {
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
pub(super) fn label(s: &str, max_chars: usize, size: f64, bold: bool, max_px: i32) -> String {
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
pub(super) struct Axis {
    pub(super) lo: f64,
    pub(super) hi: f64,
    pub(super) ticks: Vec<(f64, String)>,
}

/// Maps values to pixels: `v0 → p0`, `v1 → p1` (p1 < p0 for vertical axes).
#[derive(Debug, Clone, Copy)]
pub(super) struct Scale {
    pub(super) v0: f64,
    pub(super) v1: f64,
    pub(super) p0: f64,
    pub(super) p1: f64,
}

impl Scale {
    pub(super) fn new(axis: &Axis, p0: i32, p1: i32) -> Self {
        Scale {
            v0: axis.lo,
            v1: axis.hi,
            p0: p0 as f64,
            p1: p1 as f64,
        }
    }

    pub(super) fn px(&self, v: f64) -> i32 {
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
pub(super) fn nice_steps(raw: f64) -> impl Iterator<Item = f64> {
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
pub(super) fn build_axis(a: f64, b: f64, px_len: f64, format: Format, horizontal: bool) -> Axis {
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
pub(super) fn edge_axis(edges: &[f64], px_len: f64, format: Format) -> Option<Axis> {
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
pub(super) struct LabelRoom {
    pub(super) end: f64,
    pub(super) px: f64,
    pub(super) up: bool,
}

/// Widens `a..b` so that every label fits inside the axis.
pub(super) fn widen_for_labels(a: f64, b: f64, px_len: f64, labels: &[LabelRoom]) -> (f64, f64) {
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
