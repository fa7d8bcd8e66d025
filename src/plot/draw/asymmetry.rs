//! The asymmetry scatter: D(P‖Q) against D(Q‖P) per attribute, the diagonal, and labels placed
//! where they collide with nothing.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::*;
use crate::plot::data::Asymmetry;
use crate::plot::text::number;

/// An axis-aligned box in pixels: (x0, y0, x1, y1).
type Boxed = (i32, i32, i32, i32);

pub(super) fn overlaps(a: Boxed, b: Boxed) -> bool {
    a.0 < b.2 && b.0 < a.2 && a.1 < b.3 && b.1 < a.3
}

pub(super) fn draw_asymmetry<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, a: &Asymmetry) -> Drawn<DB> {
    let m = a.points.iter().fold(0.0f64, |m, p| m.max(p.1).max(p.2));
    let m = if m > 0.0 { m * 1.08 } else { 1.0 };
    let area = root.margin(56, 70, 20, 30);
    let mut chart = ChartBuilder::on(&area)
        .x_label_area_size(60)
        .y_label_area_size(80)
        .build_cartesian_2d(0.0..m, 0.0..m)?;
    chart
        .configure_mesh()
        .x_labels(8)
        .y_labels(8)
        .x_label_formatter(&|v| number(*v))
        .y_label_formatter(&|v| number(*v))
        .label_style(font(LABEL))
        .axis_desc_style(font(LABEL))
        .x_desc(a.x_name.clone())
        .y_desc(a.y_name.clone())
        .max_light_lines(1)
        .light_line_style(RGBColor(240, 240, 240))
        .draw()?;
    let grey = RGBColor(130, 130, 130);
    chart.draw_series(DashedLineSeries::new(
        vec![(0.0, 0.0), (m, m)],
        8,
        6,
        grey.stroke_width(2),
    ))?;
    // Above-left of the line, clear of it.
    let (dx, dy) = chart.backend_coord(&(m * 0.93, m * 0.93));
    root.draw(&Text::new(
        "x = y",
        (dx - 10, dy - 10),
        (FAMILY, SMALL)
            .into_font()
            .color(&grey)
            .pos(Pos::new(HPos::Right, VPos::Bottom)),
    ))?;

    let pixels: Vec<(i32, i32)> = a
        .points
        .iter()
        .map(|p| chart.backend_coord(&(p.1, p.2)))
        .collect();
    for (i, p) in a.points.iter().enumerate() {
        let colour = if p.2 > p.1 { PALETTE[2] } else { PALETTE[0] };
        root.draw(&Circle::new(pixels[i], 5, colour.filled()))?;
    }
    // Place labels most asymmetric first: those are the points a reader looks for.
    let mut order: Vec<usize> = (0..a.points.len()).collect();
    order.sort_by(|&i, &j| {
        let d = |k: usize| (a.points[k].1 - a.points[k].2).abs();
        d(j).total_cmp(&d(i))
    });
    let (px0, py0) = chart.backend_coord(&(0.0, m));
    let (px1, py1) = chart.backend_coord(&(m, 0.0));
    let mut taken: Vec<Boxed> = pixels
        .iter()
        .map(|&(x, y)| (x - 6, y - 6, x + 6, y + 6))
        .collect();
    let mut unlabelled = Vec::new();
    for i in order {
        let name = shorten(&a.points[i].0, 32);
        let (w, h) = text_size(&name, SMALL);
        let (w, h) = (w as i32 + 2, h as i32 + 2);
        let (x, y) = pixels[i];
        let mut placed = None;
        'search: for r in [8, 16, 28, 44] {
            for (ox, oy) in [
                (r, -h / 2),
                (-r - w, -h / 2),
                (-w / 2, -r - h),
                (-w / 2, r),
                (r, -r - h / 2),
                (r, r - h / 2),
                (-r - w, -r - h / 2),
                (-r - w, r - h / 2),
            ] {
                let b = (x + ox, y + oy, x + ox + w, y + oy + h);
                let inside = b.0 >= px0 && b.2 <= px1 && b.1 >= py0 && b.3 <= py1;
                if inside && !taken.iter().any(|t| overlaps(*t, b)) {
                    placed = Some((b, r > 8));
                    break 'search;
                }
            }
        }
        match placed {
            Some((b, leader)) => {
                if leader {
                    root.draw(&PathElement::new(vec![(x, y), nearest_edge(b, (x, y))], grey))?;
                }
                root.draw(&Text::new(
                    name,
                    (b.0 + 1, b.1 + 1),
                    font(SMALL).pos(Pos::new(HPos::Left, VPos::Top)),
                ))?;
                taken.push(b);
            }
            None => unlabelled.push(name),
        }
    }
    let (_, height) = root.dim_in_pixel();
    let note = if unlabelled.is_empty() {
        "red: reverse divergence larger; blue: forward larger".to_string()
    } else {
        shorten(&format!("too crowded to label: {}", unlabelled.join(", ")), 130)
    };
    root.draw(&Text::new(
        note,
        (20, height as i32 - 12),
        font(SMALL).pos(Pos::new(HPos::Left, VPos::Bottom)),
    ))?;
    Ok(())
}

/// The point of box `b`'s edge closest to `p` (where a leader line from `p` should end).
pub(super) fn nearest_edge(b: Boxed, p: (i32, i32)) -> (i32, i32) {
    (p.0.clamp(b.0, b.2), p.1.clamp(b.1, b.3))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boxes_overlap_only_when_they_share_area() {
        assert!(overlaps((0, 0, 10, 10), (5, 5, 15, 15)));
        assert!(!overlaps((0, 0, 10, 10), (10, 0, 20, 10)));
    }
}
