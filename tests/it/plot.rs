//! Charts: `.plot` in the shell (text), `.plot PATH` and `--plot PATH` (SVG / PNG files with
//! the expected size and the data's labels), and clear errors for results of the wrong shape.

use std::path::Path;

use macsql::Engine;
use macsql::{PlotKind, plot_dataframe};
use macsql::{PrintOptions, Session};

use crate::common::macsql;

/// Share of positive labels per attribute and dataset (long form: SERIES, LABEL, VALUE).
const SHARES: &str = "SELECT * FROM (VALUES \
    ('ffhq', 'Male', 0.45), ('ffhq', 'Smiling', 0.52), ('ffhq', 'Wearing_Necktie', 0.07), \
    ('stylegan2', 'Male', 0.38), ('stylegan2', 'Smiling', 0.61), ('stylegan2', 'Wearing_Necktie', 0.03) \
    ) AS t(dataset, attribute, share)";

/// KL divergences between ordered dataset pairs (ATTRIBUTE, P, Q, VALUE).
const KL: &str = "SELECT * FROM (VALUES \
    ('Male', 'ffhq', 'stylegan2', 0.012), ('Male', 'stylegan2', 'ffhq', 0.011), \
    ('Fully_Visible_Forehead', 'ffhq', 'stylegan2', 0.090), ('Fully_Visible_Forehead', 'stylegan2', 'ffhq', 0.140), \
    ('Smiling', 'ffhq', 'stylegan2', 0.030), ('Smiling', 'stylegan2', 'ffhq', 0.027), \
    ('Male', 'ffhq', 'celeba', 0.050), ('Smiling', 'ffhq', 'celeba', 0.002), \
    ('Fully_Visible_Forehead', 'ffhq', 'celeba', 0.210) \
    ) AS t(attribute, p, q, kl)";

async fn plot(sql: &str, kind: PlotKind, path: Option<&Path>) -> macsql::Result<String> {
    let engine = Engine::new();
    let df = engine.sql(sql).await?;
    Ok(plot_dataframe(df, kind, path, None).await?)
}

/// Whether the SVG has a `<text>` element whose content is `label`.
fn has_text(svg: &str, label: &str) -> bool {
    svg.split("<text").skip(1).any(|t| {
        let content = &t[t.find('>').unwrap() + 1..t.find("</text>").unwrap()];
        content.trim() == label
    })
}

/// The `width` and `height` attributes of an SVG's root element.
fn svg_size(svg: &str) -> (u32, u32) {
    let root = &svg[svg.find("<svg").expect("an <svg> element")..];
    let root = &root[..root.find('>').unwrap()];
    let attr = |name: &str| -> u32 {
        let start = root.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
        root[start..].split('"').next().unwrap().parse().unwrap()
    };
    (attr("width"), attr("height"))
}

#[tokio::test]
async fn grouped_bars_svg_has_the_reported_size_and_the_data_labels() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shares.svg");
    let message = plot(SHARES, PlotKind::Auto, Some(&path)).await.unwrap();
    let svg = std::fs::read_to_string(&path).unwrap();
    assert!(svg.trim_start().starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    let (w, h) = svg_size(&svg);
    assert!(message.contains(&format!("{w}x{h}")), "{message}");
    // 3 attributes x 2 datasets: at least one 18-pixel bar each.
    assert!(w >= 800 && h >= 6 * 18, "{w}x{h}");
    for label in [
        "Male",
        "Smiling",
        "Wearing_Necktie",
        "ffhq",
        "stylegan2",
        "0.450",
        "0.610",
        "share",
    ] {
        assert!(has_text(&svg, label), "no text element '{label}' in the SVG");
    }
}

#[tokio::test]
async fn heatmap_png_is_a_png_of_the_reported_size() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kl.png");
    let message = plot(KL, PlotKind::Auto, Some(&path)).await.unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    let img = image::load_from_memory(&bytes).unwrap();
    assert!(
        message.contains(&format!("{}x{}", img.width(), img.height())),
        "{message}"
    );
    // Three attribute rows of 26 pixels under a title and two-line pair labels.
    assert!(
        img.height() >= 3 * 26 + 100 && img.width() >= 500,
        "{}x{}",
        img.width(),
        img.height()
    );
    // Not a blank image: the viridis cells are there.
    let rgb = img.to_rgb8();
    let coloured = rgb
        .pixels()
        .filter(|p| p.0[0] != p.0[1] || p.0[1] != p.0[2])
        .count();
    assert!(coloured > 1000, "only {coloured} coloured pixels");
}

#[tokio::test]
async fn heatmap_svg_labels_ordered_pairs_and_the_colour_scale() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kl.svg");
    plot(KL, PlotKind::Heatmap, Some(&path)).await.unwrap();
    let svg = std::fs::read_to_string(&path).unwrap();
    for label in [
        "Fully_Visible_Forehead",
        "ffhq",
        "‖ stylegan2",
        "‖ celeba",
        "0.210",
        "kl",
    ] {
        assert!(has_text(&svg, label), "no text element '{label}' in the SVG");
    }
}

#[tokio::test]
async fn asymmetry_chart_is_picked_for_one_pair_in_both_orders() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("asym.svg");
    let pair_only = format!("SELECT * FROM ({KL}) WHERE q <> 'celeba'");
    plot(&pair_only, PlotKind::Auto, Some(&path)).await.unwrap();
    let svg = std::fs::read_to_string(&path).unwrap();
    assert_eq!(svg_size(&svg), (960, 860));
    for label in [
        "Male",
        "Smiling",
        "Fully_Visible_Forehead",
        "kl(ffhq‖stylegan2)",
        "kl(stylegan2‖ffhq)",
        "x = y",
    ] {
        assert!(has_text(&svg, label), "no text element '{label}' in the SVG");
    }
    let png = dir.path().join("asym.png");
    plot(&pair_only, PlotKind::Asymmetry, Some(&png)).await.unwrap();
    assert_eq!(image::image_dimensions(&png).unwrap(), (960, 860));
}

#[tokio::test]
async fn results_of_the_wrong_shape_get_a_clear_error() {
    let e = plot("SELECT 1.5 AS x, 2.5 AS y", PlotKind::Auto, None)
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("cannot draw a chart (auto)"), "{e}");
    assert!(
        e.contains("x VALUE (Float64)") && e.contains("LABEL, VALUE"),
        "{e}"
    );

    let e = plot(KL, PlotKind::Asymmetry, None).await.unwrap_err().to_string();
    assert!(
        e.contains("cannot draw a chart (asymmetry)") && e.contains("found 3 ordered pairs"),
        "{e}"
    );

    let e = plot(SHARES, PlotKind::Heatmap, Some(Path::new("x.pdf")))
        .await
        .unwrap_err()
        .to_string();
    assert_eq!(e, "x.pdf: charts are written as .svg or .png");

    let e = plot("SELECT 'a' AS k, 1.0 AS v WHERE false", PlotKind::Auto, None)
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("no rows"), "{e}");

    let dup = "SELECT * FROM (VALUES ('a', 1.0), ('a', 2.0)) AS t(k, v)";
    let e = plot(dup, PlotKind::Bars, None).await.unwrap_err().to_string();
    assert!(e.contains("two rows") && e.contains("'a'"), "{e}");
}

#[tokio::test]
async fn histogram_values_render_compactly_in_plain_text() {
    let sql = "SELECT dataset, map(['1', '0', '-1'], [n_pos, n_undef, n_neg]) AS hist FROM (VALUES \
               ('ffhq', 60, 10, 30), ('stylegan2', 20, 0, 80)) AS t(dataset, n_pos, n_undef, n_neg)";
    let text = plot(sql, PlotKind::Auto, None).await.unwrap();
    assert!(
        text.is_ascii(),
        "plain text expected when not a terminal:\n{text}"
    );
    for needle in ["share of rows", "ffhq", "stylegan2", "0.600", "0.800"] {
        assert!(text.contains(needle), "no '{needle}' in\n{text}");
    }
    // Keys in numeric order: 1, 0, -1.
    let (one, minus) = (text.find("\n1 ").unwrap(), text.find("\n-1 ").unwrap());
    assert!(one < minus, "{text}");
}

#[tokio::test]
async fn dot_plot_draws_the_last_result_in_the_terminal_width() {
    let options = PrintOptions {
        width: Some(60),
        ..PrintOptions::default()
    };
    let mut session = Session::new(Engine::new(), options);
    let mut out = Vec::new();
    let e = session
        .run_input(".plot", &mut out)
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("run a query first"), "{e}");
    session.run_input(SHARES, &mut out).await.unwrap();
    out.clear();
    session.run_input(".plot bars", &mut out).await.unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains('█') && text.contains("Wearing_Necktie"), "{text}");
    for line in text.lines() {
        assert!(line.chars().count() <= 60, "wider than 60: {line:?}");
    }
}

#[test]
fn cli_plot_writes_the_last_statements_chart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shares.png");
    macsql()
        .args(["-q", "-c", "SELECT 1", "-c", SHARES, "--plot"])
        .arg(&path)
        .assert()
        .success();
    let (w, h) = image::image_dimensions(&path).unwrap();
    assert!(w >= 800 && h >= 108, "{w}x{h}");

    let out = macsql()
        .args(["-q", "-c", "SELECT 1.5 AS x", "--plot"])
        .arg(dir.path().join("bad.svg"))
        .assert()
        .failure();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(
        stderr.contains("--plot") && stderr.contains("cannot draw"),
        "{stderr}"
    );
    assert!(!dir.path().join("bad.svg").exists());
}
