//! Drawing a prepared chart on a plotters backend (PNG and SVG alike).

use ab_glyph::{Font as _, PxScale};
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::*;

pub(super) type DrawResult = Result<(), String>;

#[derive(Clone, Copy)]
pub(super) struct TextSpec {
    pub(super) size: f64,
    pub(super) bold: bool,
    pub(super) color: RGBColor,
    pub(super) h: HPos,
}

pub(super) const fn ts(size: f64, color: RGBColor, h: HPos) -> TextSpec {
    TextSpec {
        size,
        bold: false,
        color,
        h,
    }
}

/// Thin wrapper over a drawing area in pixel coordinates.
pub(super) struct Canvas<'a, DB: DrawingBackend> {
    pub(super) area: &'a DrawingArea<DB, Shift>,
    /// Rasterise text ourselves (PNG). plotters' own ab_glyph text drops each
    /// glyph's left-side bearing and rounds pen positions, which gives uneven
    /// letter spacing; the SVG backend writes `<text>` elements instead.
    pub(super) raster_text: bool,
    /// Fraction of the font size added to y in SVG so that text is visually
    /// centred on the given y.
    pub(super) text_shift: f64,
}

impl<DB: DrawingBackend> Canvas<'_, DB> {
    /// Draws `s` vertically centred on `y`, anchored at `x` per `t.h`.
    pub(super) fn text(&self, s: &str, (x, y): (i32, i32), t: TextSpec) -> DrawResult {
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

    pub(super) fn rasterise(&self, s: &str, (x, y): (i32, i32), t: TextSpec) -> DrawResult {
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
    pub(super) fn halo(&self, s: &str, (x, y): (i32, i32), t: TextSpec) -> DrawResult {
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

    pub(super) fn fill(&self, a: (i32, i32), b: (i32, i32), color: RGBAColor) -> DrawResult {
        let (a, b) = ((a.0.min(b.0), a.1.min(b.1)), (a.0.max(b.0), a.1.max(b.1)));
        self.area
            .draw(&Rectangle::new([a, b], color.filled()))
            .map_err(|e| e.to_string())
    }

    pub(super) fn frame(&self, a: (i32, i32), b: (i32, i32), color: RGBAColor) -> DrawResult {
        self.area
            .draw(&Rectangle::new([a, b], color.stroke_width(1)))
            .map_err(|e| e.to_string())
    }

    pub(super) fn line(&self, pts: Vec<(i32, i32)>, color: RGBAColor, width: u32) -> DrawResult {
        self.area
            .draw(&PathElement::new(pts, color.stroke_width(width)))
            .map_err(|e| e.to_string())
    }

    pub(super) fn dashed(&self, pts: Vec<(i32, i32)>, color: RGBAColor, width: u32) -> DrawResult {
        self.area
            .draw(&DashedPathElement::new(
                pts,
                8,
                6,
                color.stroke_width(width),
            ))
            .map_err(|e| e.to_string())
    }

    pub(super) fn circle(
        &self,
        c: (i32, i32),
        r: i32,
        color: RGBAColor,
        filled: bool,
    ) -> DrawResult {
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
    pub(super) fn whisker(&self, w: Whisker, color: RGBColor) -> DrawResult {
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

    pub(super) fn swatch(&self, swatch: Swatch, (x, y): (i32, i32)) -> DrawResult {
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
pub(super) struct Whisker {
    pub(super) across: i32,
    pub(super) from: i32,
    pub(super) to: i32,
    pub(super) cap: i32,
    pub(super) caps: (bool, bool),
    pub(super) vertical: bool,
}

/// Fills the background, draws the plan and flushes the backend.
pub(super) fn paint<DB: DrawingBackend>(
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

/// The chart as PNG bytes. Drawn in memory and encoded as plotters would encode it to a file
/// (the same bytes), so that writing the file is the caller's, with its `io::Error` kept: a
/// full disk is the user's to fix, not a drawing failure.
pub(super) fn draw_png(plan: &Plan) -> Result<Vec<u8>, String> {
    use image::ImageEncoder as _;
    let (w, h) = (plan.width, plan.height);
    let mut pixels = vec![0u8; w as usize * h as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (w, h)).into_drawing_area();
        paint(&root, plan, true)?;
    }
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png)
        .write_image(&pixels, w, h, image::ColorType::Rgb8)
        .map_err(|e| e.to_string())?;
    Ok(png)
}

pub(super) fn draw_svg(plan: &Plan) -> Result<String, String> {
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, (plan.width, plan.height)).into_drawing_area();
        paint(&root, plan, false)?;
    }
    Ok(buf)
}

pub(super) fn draw_plan<DB: DrawingBackend>(cv: &Canvas<'_, DB>, plan: &Plan) -> DrawResult {
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

pub(super) fn draw_header<DB: DrawingBackend>(cv: &Canvas<'_, DB>, h: &Header) -> DrawResult {
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

pub(super) fn bar_color(value: f64, muted: bool) -> RGBColor {
    match (value < 0.0, muted) {
        (false, false) => MAIN,
        (false, true) => MAIN_LIGHT,
        (true, false) => NEG,
        (true, true) => NEG_LIGHT,
    }
}

pub(super) fn draw_hbar<DB: DrawingBackend>(cv: &Canvas<'_, DB>, b: &HBarBody) -> DrawResult {
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
pub(super) fn draw_x_axis<DB: DrawingBackend>(
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

pub(super) fn draw_y_axis<DB: DrawingBackend>(
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

pub(super) fn draw_vertical<DB: DrawingBackend>(
    cv: &Canvas<'_, DB>,
    b: &VerticalBody,
) -> DrawResult {
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

pub(super) fn draw_calibration<DB: DrawingBackend>(cv: &Canvas<'_, DB>, b: &CalBody) -> DrawResult {
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

pub(super) fn draw_histogram<DB: DrawingBackend>(cv: &Canvas<'_, DB>, b: &HistBody) -> DrawResult {
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
