//! A divergence heat map: attributes by ordered dataset pair, with a viridis colour scale.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::*;
use crate::plot::data::Heatmap;
use crate::plot::text::number;

pub(super) struct HeatLayout {
    pub(super) width: u32,
    pub(super) height: u32,
    label_w: u32,
    cell_w: u32,
    header_h: u32,
    /// Column labels, one or two lines each (`P` over `‖ Q` for ordered pairs).
    headers: Vec<Vec<String>>,
}

impl HeatLayout {
    const TOP: u32 = 56;
    const CELL_H: u32 = 26;
    const LEGEND_W: u32 = 150;

    pub(super) fn of(h: &Heatmap) -> Self {
        let headers: Vec<Vec<String>> = h
            .columns
            .iter()
            .map(|c| match c.split_once('‖') {
                Some((p, q)) => vec![shorten(p, 28), format!("‖ {}", shorten(q, 26))],
                None => vec![shorten(c, 28)],
            })
            .collect();
        let lines = headers.iter().map(|h| h.len()).max().unwrap_or(1) as u32;
        let header_h = lines * 18 + 12;
        let widest = headers
            .iter()
            .flatten()
            .map(|s| text_size(s, LABEL).0)
            .max()
            .unwrap_or(0);
        let cell_w = (widest + 16).max(72);
        let label_w = h
            .rows
            .iter()
            .map(|r| text_size(&shorten(r, 40), LABEL).0)
            .max()
            .unwrap_or(0)
            + 24;
        let width = (20 + label_w + h.columns.len() as u32 * cell_w + Self::LEGEND_W).max(520);
        let grid_h = (h.rows.len() as u32 * Self::CELL_H).max(120);
        let height = Self::TOP + header_h + grid_h + 30;
        HeatLayout {
            width,
            height: height.max(300),
            label_w,
            cell_w,
            header_h,
            headers,
        }
    }
}

/// Viridis, by linear interpolation between eight of its stops (t in 0..=1).
pub(super) fn viridis(t: f64) -> RGBColor {
    const STOPS: [(u8, u8, u8); 8] = [
        (68, 1, 84),
        (70, 50, 126),
        (54, 92, 141),
        (39, 127, 142),
        (31, 161, 135),
        (74, 193, 109),
        (160, 218, 57),
        (253, 231, 37),
    ];
    let t = if t.is_finite() { t.clamp(0.0, 1.0) } else { 0.0 };
    let x = t * (STOPS.len() - 1) as f64;
    let i = (x.floor() as usize).min(STOPS.len() - 2);
    let f = x - i as f64;
    let mix = |a: u8, b: u8| (a as f64 + (b as f64 - a as f64) * f).round() as u8;
    let (a, b) = (STOPS[i], STOPS[i + 1]);
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

pub(super) fn draw_heatmap<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, h: &Heatmap) -> Drawn<DB> {
    let l = HeatLayout::of(h);
    let values: Vec<f64> = h.values.iter().flatten().flatten().copied().collect();
    let lo = values.iter().copied().fold(0.0f64, f64::min);
    let hi = values.iter().copied().fold(lo, f64::max);
    let scale = |v: f64| if hi > lo { (v - lo) / (hi - lo) } else { 0.0 };
    let x0 = 20 + l.label_w as i32;
    let y0 = (HeatLayout::TOP + l.header_h) as i32;
    let (cw, ch) = (l.cell_w as i32, HeatLayout::CELL_H as i32);
    for (j, lines) in l.headers.iter().enumerate() {
        let cx = x0 + j as i32 * cw + cw / 2;
        for (k, line) in lines.iter().enumerate() {
            let y = y0 - 8 - (lines.len() - 1 - k) as i32 * 18;
            root.draw(&Text::new(
                line.clone(),
                (cx, y),
                font(LABEL).pos(Pos::new(HPos::Center, VPos::Bottom)),
            ))?;
        }
    }
    for (i, row) in h.rows.iter().enumerate() {
        let y = y0 + i as i32 * ch;
        root.draw(&Text::new(
            shorten(row, 40),
            (x0 - 10, y + ch / 2),
            font(LABEL).pos(Pos::new(HPos::Right, VPos::Center)),
        ))?;
        for (j, v) in h.values[i].iter().enumerate() {
            let x = x0 + j as i32 * cw;
            let (fill, text, ink) = match v {
                Some(v) => {
                    let t = scale(*v);
                    (viridis(t), number(*v), if t > 0.6 { BLACK } else { WHITE })
                }
                None => (RGBColor(230, 230, 230), "–".to_string(), BLACK),
            };
            root.draw(&Rectangle::new([(x, y), (x + cw - 1, y + ch - 1)], fill.filled()))?;
            root.draw(&Text::new(
                text,
                (x + cw / 2, y + ch / 2),
                (FAMILY, SMALL)
                    .into_font()
                    .color(&ink)
                    .pos(Pos::new(HPos::Center, VPos::Center)),
            ))?;
        }
    }
    // Colour scale: a vertical gradient with five ticks, titled with the value's name.
    let lx = x0 + h.columns.len() as i32 * cw + 30;
    let bar_h = (h.rows.len() as i32 * ch).clamp(120, 400);
    root.draw(&Text::new(
        shorten(&h.value_name, 18),
        (lx, y0 - 8),
        font(LABEL).pos(Pos::new(HPos::Left, VPos::Bottom)),
    ))?;
    for p in 0..bar_h {
        let t = 1.0 - p as f64 / (bar_h - 1).max(1) as f64;
        root.draw(&Rectangle::new(
            [(lx, y0 + p), (lx + 18, y0 + p + 1)],
            viridis(t).filled(),
        ))?;
    }
    root.draw(&Rectangle::new(
        [(lx, y0), (lx + 18, y0 + bar_h)],
        BLACK.stroke_width(1),
    ))?;
    for k in 0..=4 {
        let t = k as f64 / 4.0;
        let y = y0 + ((1.0 - t) * (bar_h - 1) as f64) as i32;
        root.draw(&PathElement::new(vec![(lx + 18, y), (lx + 23, y)], BLACK))?;
        root.draw(&Text::new(
            number(lo + t * (hi - lo)),
            (lx + 27, y),
            font(SMALL).pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn viridis_runs_dark_to_yellow() {
        assert_eq!(viridis(0.0), RGBColor(68, 1, 84));
        assert_eq!(viridis(1.0), RGBColor(253, 231, 37));
    }
}
