//! The report's small per-attribute chart: one horizontal bar per dataset, split into the shares
//! of each label value (-1, 0, 1 for MAAD labels), as inline SVG whose colours come from the
//! page's CSS (so it follows the light / dark scheme) and whose segments carry a tooltip.

use std::fmt::Write as _;

use super::html::escape;

/// One dataset's distribution of an attribute: (value, count) in value order.
pub type Shares<'a> = (&'a str, &'a [(String, f64)]);

/// The CSS class of a label value's segment (`v-neg`, `v-zero`, `v-pos`; `v-k0`, `v-k1`, ...
/// by position for other values).
fn class(value: &str, position: usize) -> String {
    match value {
        "-1" | "false" => "v-neg".into(),
        "0" => "v-zero".into(),
        "1" | "true" => "v-pos".into(),
        _ => format!("v-k{}", position % 6),
    }
}

/// A stacked-bar chart of `rows`, `width` pixels wide.
pub fn distribution_chart(attribute: &str, rows: &[Shares<'_>], width: u32) -> String {
    const ROW: u32 = 22;
    const BAR: u32 = 16;
    let label_w = rows
        .iter()
        .map(|(name, _)| name.chars().count() as u32 * 7 + 10)
        .max()
        .unwrap_or(40)
        .clamp(40, width / 2);
    let bar_w = width.saturating_sub(label_w + 8).max(40);
    let height = rows.len() as u32 * ROW + 4;
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg class=\"dist\" role=\"img\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" \
         xmlns=\"http://www.w3.org/2000/svg\"><title>{} by dataset</title>",
        escape(attribute)
    );
    for (i, (name, counts)) in rows.iter().enumerate() {
        let y = i as u32 * ROW + 2;
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" class=\"lbl\">{}</text>",
            label_w - 6,
            y + BAR - 4,
            escape(name)
        );
        let total: f64 = counts.iter().map(|c| c.1).sum();
        if total <= 0.0 {
            let _ = write!(
                svg,
                "<text x=\"{label_w}\" y=\"{}\" class=\"lbl\">no rows</text>",
                y + BAR - 4
            );
            continue;
        }
        let mut x = label_w as f64;
        for (k, (value, count)) in counts.iter().enumerate() {
            let w = count / total * bar_w as f64;
            let _ = write!(
                svg,
                "<rect x=\"{x:.2}\" y=\"{y}\" width=\"{w:.2}\" height=\"{BAR}\" class=\"{}\"><title>{}: {} = {} ({:.1}%)</title></rect>",
                class(value, k),
                escape(name),
                escape(value),
                *count as u64,
                count / total * 100.0
            );
            x += w;
        }
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_are_proportional_and_named() {
        let a = vec![
            ("-1".to_string(), 25.0),
            ("0".to_string(), 25.0),
            ("1".to_string(), 50.0),
        ];
        let b: Vec<(String, f64)> = vec![];
        let svg = distribution_chart("Male", &[("ffhq", &a), ("empty<>", &b)], 400);
        assert!(svg.starts_with("<svg class=\"dist\""));
        assert_eq!(svg.matches("<rect").count(), 3);
        assert!(svg.contains("class=\"v-pos\"><title>ffhq: 1 = 50 (50.0%)</title>"));
        assert!(svg.contains("empty&lt;&gt;"));
        assert!(svg.contains("no rows"));
        // The bar is 400 - label - 8 wide; half of it is the positive share.
        let label_w = 7 * 7 + 10;
        let half = (400 - label_w - 8) as f64 / 2.0;
        assert!(svg.contains(&format!("width=\"{half:.2}\"")), "{svg}");
    }
}
