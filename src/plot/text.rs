//! Charts as text: horizontal unicode bars sized to the terminal, or plain ASCII when the
//! output is not a terminal (pipes, files), so `.plot` output stays readable everywhere.

use super::data::{Asymmetry, Bars, ChartData, Heatmap};

/// Renders `chart` in `width` columns; `unicode` picks block characters over ASCII.
pub fn render(chart: &ChartData, width: usize, unicode: bool) -> String {
    let width = width.max(40);
    match chart {
        ChartData::Bars(b) => bars(b, width, unicode),
        ChartData::Heatmap(h) => heatmap(h, width, unicode),
        ChartData::Asymmetry(a) => asymmetry(a, width, unicode),
    }
}

/// Characters wide, counting each `char` as one column.
fn cols(s: &str) -> usize {
    s.chars().count()
}

/// `s` cut to `n` columns (with an ellipsis when cut) and padded to exactly `n`.
fn fit(s: &str, n: usize, unicode: bool) -> String {
    let mut out: String = if cols(s) <= n {
        s.to_string()
    } else if n == 0 {
        String::new()
    } else {
        let keep = n.saturating_sub(1);
        let mut t: String = s.chars().take(keep).collect();
        t.push(if unicode { '…' } else { '~' });
        t
    };
    let pad = n.saturating_sub(cols(&out));
    out.extend(std::iter::repeat_n(' ', pad));
    out
}

/// A bar of `fraction` (0..=1) of `n` columns, with eighth blocks in unicode.
fn bar(fraction: f64, n: usize, unicode: bool) -> String {
    let fraction = if fraction.is_finite() {
        fraction.clamp(0.0, 1.0)
    } else {
        0.0
    };
    if !unicode {
        let full = (fraction * n as f64).round() as usize;
        return "#".repeat(full);
    }
    let eighths = (fraction * n as f64 * 8.0).round() as usize;
    let mut s = "█".repeat(eighths / 8);
    const PARTS: [&str; 8] = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];
    s.push_str(PARTS[eighths % 8]);
    s
}

/// A number in at most about 9 columns.
pub(crate) fn number(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 {
        "0".into()
    } else if !(1e-3..1e6).contains(&a) {
        format!("{v:.2e}")
    } else if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

fn bars(b: &Bars, width: usize, unicode: bool) -> String {
    let grouped = b.series.len() > 1;
    let max = b
        .series
        .iter()
        .flat_map(|(_, v)| v.iter().flatten())
        .fold(0.0f64, |m, v| m.max(*v));
    let label_w = b
        .categories
        .iter()
        .map(|c| cols(c))
        .max()
        .unwrap_or(0)
        .min(width / 3)
        .max(1);
    let series_w = if grouped {
        b.series
            .iter()
            .map(|(s, _)| cols(s))
            .max()
            .unwrap_or(0)
            .min(width / 4)
            .max(1)
            + 1
    } else {
        0
    };
    let value_w = b
        .series
        .iter()
        .flat_map(|(_, v)| v.iter().flatten())
        .map(|v| cols(&number(*v)))
        .max()
        .unwrap_or(1);
    let bar_w = width.saturating_sub(label_w + series_w + value_w + 3).max(5);
    let mut out = format!("{} (bar = {} / {})\n", b.value_name, b.value_name, number(max));
    let sep = if unicode { '│' } else { '|' };
    for (c, cat) in b.categories.iter().enumerate() {
        for (s, (name, values)) in b.series.iter().enumerate() {
            let label = if s == 0 {
                fit(cat, label_w, unicode)
            } else {
                " ".repeat(label_w)
            };
            let series = if grouped {
                format!("{} ", fit(name, series_w - 1, unicode))
            } else {
                String::new()
            };
            let line = match values[c] {
                Some(v) => {
                    let fraction = if max > 0.0 { v / max } else { 0.0 };
                    format!(
                        "{label} {series}{sep}{} {}",
                        bar(fraction, bar_w, unicode),
                        number(v)
                    )
                }
                None => format!("{label} {series}{sep}"),
            };
            out.push_str(line.trim_end());
            out.push('\n');
        }
        if grouped && c + 1 < b.categories.len() {
            out.push('\n');
        }
    }
    out
}

fn heatmap(h: &Heatmap, width: usize, unicode: bool) -> String {
    let values: Vec<f64> = h.values.iter().flatten().flatten().copied().collect();
    let (lo, hi) = values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, u), v| {
            (l.min(*v), u.max(*v))
        });
    let label_w = h
        .rows
        .iter()
        .map(|r| cols(r))
        .max()
        .unwrap_or(1)
        .min(width / 3)
        .max(1);
    let n = h.columns.len().max(1);
    let cell_w = (width.saturating_sub(label_w) / n).clamp(8, 24);
    const SHADES: [&str; 5] = [" ", "░", "▒", "▓", "█"];
    let mut out = String::new();
    // Column labels: numbered when they do not fit their cells, with a key underneath.
    let numbered = h.columns.iter().any(|c| cols(c) > cell_w - 1);
    out.push_str(&" ".repeat(label_w + 1));
    for (j, c) in h.columns.iter().enumerate() {
        let name = if numbered {
            format!("[{}]", j + 1)
        } else {
            c.clone()
        };
        out.push_str(&format!(
            "{:>w$}",
            fit(&name, cell_w - 1, unicode).trim_end(),
            w = cell_w
        ));
    }
    out = out.trim_end().to_string();
    out.push('\n');
    for (i, row) in h.rows.iter().enumerate() {
        let mut line = fit(row, label_w, unicode);
        line.push(' ');
        for v in &h.values[i] {
            let cell = match v {
                Some(v) if unicode => {
                    let t = if hi > lo { (v - lo) / (hi - lo) } else { 1.0 };
                    let shade = SHADES[((t * 4.0).round() as usize).min(4)];
                    format!("{} {shade}", number(*v))
                }
                Some(v) => number(*v),
                None => "-".into(),
            };
            line.push_str(&format!("{:>w$}", cell, w = cell_w));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    if numbered {
        for (j, c) in h.columns.iter().enumerate() {
            out.push_str(&format!("[{}] {c}\n", j + 1));
        }
    }
    if unicode && lo.is_finite() {
        out.push_str(&format!(
            "{}: {} {} … {} {}\n",
            h.value_name,
            SHADES[0].replace(' ', "·"),
            number(lo),
            number(hi),
            SHADES[4]
        ));
    }
    out
}

fn asymmetry(a: &Asymmetry, width: usize, unicode: bool) -> String {
    // Two bars per attribute (forward and reverse) show the asymmetry at a glance.
    let bars_data = Bars {
        value_name: "divergence".into(),
        categories: a.points.iter().map(|(n, _, _)| n.clone()).collect(),
        series: vec![
            (a.x_name.clone(), a.points.iter().map(|p| Some(p.1)).collect()),
            (a.y_name.clone(), a.points.iter().map(|p| Some(p.2)).collect()),
        ],
    };
    bars(&bars_data, width, unicode)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> ChartData {
        ChartData::Bars(Bars {
            value_name: "n".into(),
            categories: vec!["Male".into(), "A_very_long_attribute_name_that_goes_on".into()],
            series: vec![
                ("ffhq".into(), vec![Some(10.0), Some(5.0)]),
                ("synth".into(), vec![Some(2.5), None]),
            ],
        })
    }

    #[test]
    fn lines_fit_the_width() {
        for width in [40, 60, 100] {
            let s = render(&sample(), width, true);
            for line in s.lines() {
                assert!(cols(line) <= width, "{width}: {line:?}");
            }
        }
    }

    #[test]
    fn plain_text_has_no_unicode_blocks_and_keeps_values() {
        let s = render(&sample(), 60, false);
        assert!(s.is_ascii(), "{s}");
        assert!(
            s.contains("##########") && s.contains(" 10.00") && s.contains("2.50"),
            "{s}"
        );
    }

    #[test]
    fn bar_lengths_are_proportional() {
        assert_eq!(bar(1.0, 4, true), "████");
        assert_eq!(bar(0.5, 4, true), "██");
        assert_eq!(bar(1.0 / 32.0, 4, true), "▏");
        assert_eq!(bar(0.5, 10, false), "#####");
    }
}
