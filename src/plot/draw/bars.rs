//! Horizontal grouped bars: one row per category, one bar per series, with a legend.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::*;
use crate::plot::data::Bars;
use crate::plot::text::number;

pub(super) struct BarsLayout {
    pub(super) width: u32,
    pub(super) height: u32,
    /// Top of the plotting area (below the title and legend).
    top: u32,
    label_w: u32,
    /// Pixels per category group.
    group_h: u32,
    labels: Vec<String>,
}

impl BarsLayout {
    const BAR_H: u32 = 18;
    const GAP: u32 = 12;
    const BOTTOM: u32 = 64;

    pub(super) fn of(b: &Bars) -> Self {
        let width = 1100;
        // Labels longer than a third of the width are cut with an ellipsis.
        let labels: Vec<String> = b
            .categories
            .iter()
            .map(|c| {
                let mut s = c.clone();
                while text_size(&s, LABEL).0 > width / 3 && s.chars().count() > 4 {
                    let keep = s.chars().count() - 2;
                    s = format!("{}…", s.chars().take(keep).collect::<String>());
                }
                s
            })
            .collect();
        let label_w = labels.iter().map(|l| text_size(l, LABEL).0).max().unwrap_or(0) + 16;
        let n = b.series.len() as u32;
        let group_h = n * Self::BAR_H + Self::GAP;
        let legend = if n > 1 {
            legend_rows(&b.series, width) * 24
        } else {
            0
        };
        let top = 54 + legend;
        let height = (top + b.categories.len() as u32 * group_h + Self::BOTTOM).max(260);
        BarsLayout {
            width,
            height,
            top,
            label_w,
            group_h,
            labels,
        }
    }
}

/// Rows the legend of `series` takes in `width` pixels.
pub(super) fn legend_rows(series: &[(String, Vec<Option<f64>>)], width: u32) -> u32 {
    let mut rows = 1;
    let mut x = 0;
    for (name, _) in series {
        let w = text_size(name, LABEL).0 + 40;
        if x + w > width - 40 && x > 0 {
            rows += 1;
            x = 0;
        }
        x += w;
    }
    rows
}

pub(super) fn draw_legend<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    series: &[(String, Vec<Option<f64>>)],
    top: i32,
) -> Drawn<DB> {
    let width = root.dim_in_pixel().0;
    let (mut x, mut y) = (20i32, top);
    for (i, (name, _)) in series.iter().enumerate() {
        let w = (text_size(name, LABEL).0 + 40) as i32;
        if x + w > width as i32 - 20 && x > 20 {
            x = 20;
            y += 24;
        }
        let colour = PALETTE[i % PALETTE.len()];
        root.draw(&Rectangle::new([(x, y + 3), (x + 14, y + 17)], colour.filled()))?;
        root.draw(&Text::new(
            name.clone(),
            (x + 20, y + 10),
            font(LABEL).pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
        x += w;
    }
    Ok(())
}

pub(super) fn draw_bars<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, b: &Bars) -> Drawn<DB> {
    let l = BarsLayout::of(b);
    if b.series.len() > 1 {
        draw_legend(root, &b.series, 48)?;
    }
    let values = b.series.iter().flat_map(|(_, v)| v.iter().flatten().copied());
    let (lo, hi) = values.fold((0.0f64, 0.0f64), |(l, h), v| (l.min(v), h.max(v)));
    let hi = if hi <= lo { lo + 1.0 } else { hi };
    // Room at the right end for the value labels.
    let span = hi - lo;
    let x_range = lo - if lo < 0.0 { span * 0.05 } else { 0.0 }..hi + span * 0.14;
    let n = b.categories.len() as f64;
    let area = root.margin(l.top, 0, 0, 24);
    let mut chart = ChartBuilder::on(&area)
        .x_label_area_size(BarsLayout::BOTTOM)
        .y_label_area_size(l.label_w)
        .build_cartesian_2d(x_range, 0.0..n)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .max_light_lines(1)
        .y_labels(0)
        .x_labels(8)
        .x_label_formatter(&|v| number(*v))
        .label_style(font(LABEL))
        .axis_desc_style(font(LABEL))
        .x_desc(b.value_name.clone())
        .draw()?;
    let k = b.series.len() as f64;
    let pad = BarsLayout::GAP as f64 / 2.0 / l.group_h as f64;
    let bar = (1.0 - 2.0 * pad) / k;
    for (c, label) in l.labels.iter().enumerate() {
        let top = n - c as f64;
        let (px, py) = chart.backend_coord(&(lo, top - 0.5));
        root.draw(&Text::new(
            label.clone(),
            (px - 8, py),
            font(LABEL).pos(Pos::new(HPos::Right, VPos::Center)),
        ))?;
        for (s, (_, values)) in b.series.iter().enumerate() {
            let Some(v) = values[c] else { continue };
            let y1 = top - pad - s as f64 * bar;
            let y0 = y1 - bar;
            let colour = PALETTE[s % PALETTE.len()];
            chart.draw_series(std::iter::once(Rectangle::new(
                [(0.0, y0), (v, y1)],
                colour.filled(),
            )))?;
            let (vx, vy) = chart.backend_coord(&(v.max(0.0), (y0 + y1) / 2.0));
            root.draw(&Text::new(
                number(v),
                (vx + 4, vy),
                font(SMALL).pos(Pos::new(HPos::Left, VPos::Center)),
            ))?;
        }
    }
    Ok(())
}
