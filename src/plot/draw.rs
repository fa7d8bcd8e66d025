//! Charts as SVG or PNG with `plotters`: horizontal grouped bars, a divergence heat map with a
//! colour scale, and an asymmetry scatter with the diagonal.
//!
//! Sizes follow the data (one bar row or heat-map row per label, never squeezed), and text is
//! measured with the bundled DejaVu Sans before anything is placed, so labels do not overlap:
//! bar and row labels get a margin as wide as the longest one, heat-map columns are as wide as
//! their labels, and scatter labels are placed where they collide with nothing (or listed
//! below the chart when the points are too crowded).

use std::sync::Once;

use image::{ExtendedColorType, ImageEncoder};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::data::{Asymmetry, Bars, ChartData, Heatmap};
use super::text::number;
use super::{ImageFormat, PlotError};

/// The bundled font, registered as plotters' "sans-serif" (SVG viewers use their own).
static FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
const FAMILY: &str = "sans-serif";
const TITLE: u32 = 26;
const LABEL: u32 = 17;
const SMALL: u32 = 15;
/// Tableau 10: distinct, colour-blind-friendly series colours.
const PALETTE: [RGBColor; 10] = [
    RGBColor(78, 121, 167),
    RGBColor(242, 142, 43),
    RGBColor(225, 87, 89),
    RGBColor(118, 183, 178),
    RGBColor(89, 161, 79),
    RGBColor(237, 201, 72),
    RGBColor(176, 122, 161),
    RGBColor(255, 157, 167),
    RGBColor(156, 117, 95),
    RGBColor(186, 176, 172),
];

fn ensure_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // A bundled, known-good file: failure would only mean text is not drawn.
        let _ = plotters::style::register_font(FAMILY, FontStyle::Normal, FONT);
    });
}

/// Width and height of `text` at `size` pixels (an estimate when the font cannot measure it).
fn text_size(text: &str, size: u32) -> (u32, u32) {
    (FAMILY, size)
        .into_font()
        .box_size(text)
        .unwrap_or(((text.chars().count() as u32) * size * 6 / 10, size))
}

fn font(size: u32) -> TextStyle<'static> {
    (FAMILY, size).into_font().color(&BLACK)
}

/// A title for the chart.
pub fn title(chart: &ChartData) -> String {
    let t = match chart {
        ChartData::Bars(b) if b.series.len() > 1 => {
            let names: Vec<&str> = b.series.iter().map(|(n, _)| n.as_str()).collect();
            format!("{} — {}", b.value_name, names.join(" vs "))
        }
        ChartData::Bars(b) => b.value_name.clone(),
        ChartData::Heatmap(h) => format!("{} by attribute and dataset pair", h.value_name),
        ChartData::Asymmetry(a) => format!("Asymmetry: {} against {}", a.y_name, a.x_name),
    };
    shorten(&t, 110)
}

fn shorten(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('…');
        t
    }
}

/// Renders `chart` as an SVG or PNG file's bytes, and returns them with the size in pixels.
pub fn render(
    chart: &ChartData,
    title: &str,
    format: ImageFormat,
) -> Result<(Vec<u8>, (u32, u32)), PlotError> {
    ensure_font();
    let size = size_of(chart);
    let err = |e: String| PlotError::Draw(e);
    match format {
        ImageFormat::Svg => {
            let mut svg = String::new();
            {
                let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
                draw(&root, chart, title).map_err(|e| err(e.to_string()))?;
                root.present().map_err(|e| err(e.to_string()))?;
            }
            Ok((svg.into_bytes(), size))
        }
        ImageFormat::Png => {
            let mut rgb = vec![255u8; size.0 as usize * size.1 as usize * 3];
            {
                let root = BitMapBackend::with_buffer(&mut rgb, size).into_drawing_area();
                draw(&root, chart, title).map_err(|e| err(e.to_string()))?;
                root.present().map_err(|e| err(e.to_string()))?;
            }
            let mut png = Vec::new();
            image::codecs::png::PngEncoder::new(&mut png)
                .write_image(&rgb, size.0, size.1, ExtendedColorType::Rgb8)
                .map_err(|e| err(e.to_string()))?;
            Ok((png, size))
        }
    }
}

type Drawn<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, chart: &ChartData, title: &str) -> Drawn<DB> {
    root.fill(&WHITE)?;
    // Long dataset names can make the title wider than the image: cut it to the measured width.
    let max_width = root.dim_in_pixel().0.saturating_sub(24);
    let style = font(TITLE);
    let mut title = title.to_string();
    while title.chars().count() > 12
        && root
            .estimate_text_size(&title, &style)
            .is_ok_and(|(w, _)| w > max_width)
    {
        title = shorten(&title, title.chars().count() - 4);
    }
    root.draw(&Text::new(
        title,
        (root.dim_in_pixel().0 as i32 / 2, 14),
        style.pos(Pos::new(HPos::Center, VPos::Top)),
    ))?;
    match chart {
        ChartData::Bars(b) => draw_bars(root, b),
        ChartData::Heatmap(h) => draw_heatmap(root, h),
        ChartData::Asymmetry(a) => draw_asymmetry(root, a),
    }
}

/// The chart's size in pixels: fixed widths, heights that grow with the number of labels.
pub fn size_of(chart: &ChartData) -> (u32, u32) {
    match chart {
        ChartData::Bars(b) => {
            let l = BarsLayout::of(b);
            (l.width, l.height)
        }
        ChartData::Heatmap(h) => {
            let l = HeatLayout::of(h);
            (l.width, l.height)
        }
        ChartData::Asymmetry(_) => (960, 860),
    }
}

// ---------------------------------------------------------------- bars

struct BarsLayout {
    width: u32,
    height: u32,
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

    fn of(b: &Bars) -> Self {
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
fn legend_rows(series: &[(String, Vec<Option<f64>>)], width: u32) -> u32 {
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

fn draw_legend<DB: DrawingBackend>(
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

fn draw_bars<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, b: &Bars) -> Drawn<DB> {
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

// ---------------------------------------------------------------- heat map

struct HeatLayout {
    width: u32,
    height: u32,
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

    fn of(h: &Heatmap) -> Self {
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
fn viridis(t: f64) -> RGBColor {
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

fn draw_heatmap<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, h: &Heatmap) -> Drawn<DB> {
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

// ---------------------------------------------------------------- asymmetry

/// An axis-aligned box in pixels: (x0, y0, x1, y1).
type Boxed = (i32, i32, i32, i32);

fn overlaps(a: Boxed, b: Boxed) -> bool {
    a.0 < b.2 && b.0 < a.2 && a.1 < b.3 && b.1 < a.3
}

fn draw_asymmetry<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, a: &Asymmetry) -> Drawn<DB> {
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
fn nearest_edge(b: Boxed, p: (i32, i32)) -> (i32, i32) {
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

    #[test]
    fn viridis_runs_dark_to_yellow() {
        assert_eq!(viridis(0.0), RGBColor(68, 1, 84));
        assert_eq!(viridis(1.0), RGBColor(253, 231, 37));
    }
}
