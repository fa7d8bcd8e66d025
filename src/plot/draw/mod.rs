//! Charts as SVG or PNG with `plotters`: horizontal grouped bars, a divergence heat map with a
//! colour scale, and an asymmetry scatter with the diagonal.
//!
//! Sizes follow the data (one bar row or heat-map row per label, never squeezed), and text is
//! measured with the bundled DejaVu Sans before anything is placed, so labels do not overlap:
//! bar and row labels get a margin as wide as the longest one, heat-map columns are as wide as
//! their labels, and scatter labels are placed where they collide with nothing (or listed
//! below the chart when the points are too crowded).
//!
//! Shared sizes, fonts and colours are here; each chart kind is drawn in its own file.

use std::sync::Once;

use image::{ExtendedColorType, ImageEncoder};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

mod asymmetry;
mod bars;
mod heatmap;

use super::data::ChartData;
use super::{ImageFormat, PlotError};
use asymmetry::draw_asymmetry;
use bars::{BarsLayout, draw_bars};
use heatmap::{HeatLayout, draw_heatmap};

/// The bundled font, registered as plotters' "sans-serif" (SVG viewers use their own).
static FONT: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");
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
