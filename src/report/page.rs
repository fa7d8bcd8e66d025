//! The report page, section by section: what was compared, the headline, the heat map and the
//! asymmetry charts, the attributes ranked by divergence, every attribute's distributions and
//! divergences, subgroups, the classifier's quality where the input carries it, and every
//! number as sortable tables and CSV downloads.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use super::gather::{Gathered, Subgroup};
use super::headline::{PairSummary, nats, overall, sentence, summarise};
use super::html::{Cell, Table, csv_link, escape, page};
use super::svg::distribution_chart;
use super::{Agreement, ReportOptions};
use crate::functions::compare_attributes::Comparison;
use crate::plot::ImageFormat;
use crate::plot::data::{Asymmetry, ChartData, Heatmap};

/// The sections, in page order: (id, heading).
pub const SECTIONS: [(&str, &str); 10] = [
    ("compared", "What was compared"),
    ("headline", "Headline"),
    ("heatmap", "KL divergence heat map"),
    ("asymmetry", "Asymmetry"),
    ("attributes", "Per attribute"),
    ("ranking", "Attributes ranked by divergence"),
    ("subgroups", "Subgroups"),
    ("identities", "Identities and face embeddings"),
    ("agreement", "Classifier agreement"),
    ("numbers", "All numbers"),
];

fn heading(id: &str) -> String {
    let title = SECTIONS.iter().find(|s| s.0 == id).map_or(id, |s| s.1);
    format!("<h2 id=\"{id}\">{}</h2>\n", escape(title))
}

fn pct(v: f64) -> String {
    format!("{:.1}%", v * 100.0)
}

fn finite(v: Option<f64>) -> Option<f64> {
    v.filter(|v| v.is_finite())
}

/// A KL value with its bootstrap interval, e.g. `0.01234 [0.01100, 0.01400]`.
fn kl_cell(v: Option<f64>, ci: Option<(f64, f64)>) -> Cell {
    let text = match (v, ci) {
        (Some(v), Some((lo, hi))) => format!("{} [{}, {}]", nats(v), nats(lo), nats(hi)),
        (Some(v), None) => nats(v),
        (None, _) => "-".into(),
    };
    Cell::Num(text, v)
}

/// Whether the ordered row (P, Q) is the one shown for its unordered pair: real before
/// synthetic, else alphabetical.
fn shown(r: &Comparison, kinds: &BTreeMap<String, String>) -> bool {
    let k = |d: &str| kinds.get(d).map(String::as_str);
    match (k(&r.dataset_p), k(&r.dataset_q)) {
        (Some("real"), Some("synthetic")) => true,
        (Some("synthetic"), Some("real")) => false,
        _ => r.dataset_p < r.dataset_q,
    }
}

/// The per-attribute ranking: mean KL each way over the real / synthetic pairs (or over every
/// pair shown when there are none).
struct Rank {
    attribute: String,
    forward: f64,
    reverse: f64,
    js: f64,
    tvd: f64,
    pairs: usize,
}

fn ranking(g: &Gathered) -> Vec<Rank> {
    let mut out = Vec::new();
    let real_synthetic = |r: &Comparison| {
        g.kinds.get(&r.dataset_p).map(String::as_str) == Some("real")
            && g.kinds.get(&r.dataset_q).map(String::as_str) == Some("synthetic")
    };
    let any_rs = g.comparisons.iter().any(real_synthetic);
    for a in &g.attributes {
        let rows: Vec<&Comparison> = g
            .comparisons
            .iter()
            .filter(|r| &r.attribute == a)
            .filter(|r| {
                if any_rs {
                    real_synthetic(r)
                } else {
                    shown(r, &g.kinds)
                }
            })
            .filter(|r| finite(r.kl_pq).is_some() && finite(r.kl_qp).is_some())
            .collect();
        let n = rows.len() as f64;
        let mean = |f: &dyn Fn(&Comparison) -> Option<f64>| rows.iter().filter_map(|r| f(r)).sum::<f64>() / n;
        out.push(Rank {
            attribute: a.clone(),
            forward: mean(&|r| r.kl_pq),
            reverse: mean(&|r| r.kl_qp),
            js: mean(&|r| r.js),
            tvd: mean(&|r| r.tvd),
            pairs: rows.len(),
        });
    }
    // Largest first; attributes no pair could compare (NaN) last.
    out.sort_by(|a, b| {
        let (x, y) = (a.forward + a.reverse, b.forward + b.reverse);
        x.is_nan()
            .cmp(&y.is_nan())
            .then(y.partial_cmp(&x).unwrap_or(std::cmp::Ordering::Equal))
    });
    out
}

/// Charts wider than this (pixels; 1.3 times the page's content width) scroll instead of shrinking.
const WIDE_CHART: u32 = 1480;

fn chart_svg(chart: &ChartData, title: &str) -> String {
    match crate::plot::draw::render(chart, title, ImageFormat::Svg) {
        Ok((bytes, (width, _))) => {
            let svg = String::from_utf8_lossy(&bytes).into_owned();
            // Drop an XML declaration: the SVG is inline in HTML.
            let svg = match svg.find("<svg") {
                Some(i) => svg[i..].to_string(),
                None => svg,
            };
            // A chart much wider than the page (a heat map of many dataset pairs) is drawn at 60%
            // of its size and scrolls in its own box: shrunk to fit, its labels would be too small
            // to read.
            if width > WIDE_CHART {
                let svg = svg.replacen("<svg ", &format!("<svg style=\"width: {}px\" ", width * 3 / 5), 1);
                format!("<div class=\"scroll\"><figure class=\"chart wide\">{svg}</figure></div>")
            } else {
                format!("<figure class=\"chart\">{svg}</figure>")
            }
        }
        Err(e) => format!(
            "<p class=\"muted\">chart not drawn: {}</p>",
            escape(&e.to_string())
        ),
    }
}

fn compared(g: &Gathered, opts: &ReportOptions, command: &str, out: &mut String) {
    out.push_str(&heading("compared"));
    let rows: i64 = g.datasets.iter().map(|d| d.rows).sum();
    let _ = writeln!(
        out,
        "<p>{} datasets (column <code>{}</code>), {} rows, {} attributes compared with \
         <code>compare_attributes</code> (options <code>{}</code>; KL in nats, bootstrap intervals \
         95%).</p>",
        g.datasets.len(),
        escape(&opts.by),
        super::html::thousands(rows),
        g.attributes.len(),
        escape(&g.options)
    );
    let mut t = Table::new(&["dataset", "kind", "rows", "identities", "images per identity"]);
    for d in &g.datasets {
        t.rows.push(vec![
            Cell::text(&d.dataset),
            Cell::text(d.kind.clone().unwrap_or_else(|| "-".into())),
            Cell::int(d.rows),
            d.identities.map_or(Cell::Num("-".into(), None), Cell::int),
            Cell::num(
                d.identities.filter(|&n| n > 0).map(|n| d.rows as f64 / n as f64),
                |v| format!("{v:.1}"),
            ),
        ]);
    }
    out.push_str(&t.html("datasets", "Datasets"));
    let mut t = Table::new(&[
        "table", "rows", "file", "source", "created", "bundle", "note", "command",
    ]);
    for i in &g.inputs {
        let m = |k: &str| i.metadata.get(k).cloned().unwrap_or_else(|| "-".into());
        t.rows.push(vec![
            Cell::text(&i.table),
            Cell::int(i.rows),
            Cell::text(i.path.as_ref().map_or("-".into(), |p| p.display().to_string())),
            Cell::text(m("macsql.source")),
            Cell::text(m("macsql.created")),
            Cell::text(
                match (
                    i.metadata.get("macsql.bundle"),
                    i.metadata.get("macsql.bundle_hash"),
                ) {
                    (Some(b), Some(h)) => format!("{b} ({})", &h[..h.len().min(12)]),
                    (Some(b), None) => b.clone(),
                    _ => "-".into(),
                },
            ),
            Cell::text(m("macsql.note")),
            Cell::text(m("macsql.command")),
        ]);
    }
    out.push_str(&t.html("inputs", "Inputs and their provenance (macsql metadata)"));
    if !g.left_out.is_empty() {
        out.push_str("<p>Not compared:</p><ul>");
        for (a, why) in &g.left_out {
            let _ = write!(out, "<li><code>{}</code>: {}</li>", escape(a), escape(why));
        }
        out.push_str("</ul>\n");
    }
    let _ = writeln!(out, "<p>Command:</p><pre>{}</pre>", escape(command));
}

fn headline(g: &Gathered, pairs: &[PairSummary], out: &mut String) {
    out.push_str(&heading("headline"));
    if pairs.is_empty() {
        let _ = writeln!(
            out,
            "<p class=\"headline\">No real / synthetic pair to compare: {}.</p>",
            if g.kinds.is_empty() {
                "the input has no kind column (real / synthetic)".to_string()
            } else {
                "every dataset is of the same kind".to_string()
            }
        );
        return;
    }
    let _ = writeln!(
        out,
        "<p class=\"headline\" id=\"headline-sentence\">{}</p>",
        escape(&overall(pairs))
    );
    out.push_str("<ul>");
    for p in pairs {
        let _ = write!(out, "<li>{}</li>", escape(&sentence(p)));
    }
    out.push_str("</ul>\n");
    out.push_str(&pair_table(pairs).html(
        "pairs",
        "Real / synthetic pairs, over the attributes with a finite KL both ways",
    ));
}

fn pair_table(pairs: &[PairSummary]) -> Table {
    let mut t = Table::new(&[
        "real",
        "synthetic",
        "attributes",
        "Σ KL(real‖synthetic)",
        "Σ KL(synthetic‖real)",
        "mean KL(real‖synthetic)",
        "mean KL(synthetic‖real)",
        "real explains synthetic (attributes)",
        "synthetic explains real (attributes)",
        "left out",
    ]);
    for p in pairs {
        t.rows.push(vec![
            Cell::text(&p.real),
            Cell::text(&p.synthetic),
            Cell::int(p.attributes as i64),
            Cell::num(Some(p.kl_rs_sum), nats),
            Cell::num(Some(p.kl_sr_sum), nats),
            Cell::num(Some(p.kl_rs_mean()).filter(|v| v.is_finite()), nats),
            Cell::num(Some(p.kl_sr_mean()).filter(|v| v.is_finite()), nats),
            Cell::int(p.real_explains as i64),
            Cell::int(p.synthetic_explains as i64),
            Cell::int(p.left_out as i64),
        ]);
    }
    t
}

fn heatmap(g: &Gathered, out: &mut String) {
    out.push_str(&heading("heatmap"));
    let kl: HashMap<(&str, &str, &str), f64> = g
        .comparisons
        .iter()
        .filter_map(|r| {
            let key = (r.attribute.as_str(), r.dataset_p.as_str(), r.dataset_q.as_str());
            Some((key, finite(r.kl_pq)?))
        })
        .collect();
    let pairs: Vec<(&str, &str)> = g
        .comparisons
        .iter()
        .map(|r| (r.dataset_p.as_str(), r.dataset_q.as_str()))
        .fold(Vec::new(), |mut v, p| {
            if !v.contains(&p) {
                v.push(p);
            }
            v
        });
    let values = g
        .attributes
        .iter()
        .map(|a| {
            pairs
                .iter()
                .map(|(p, q)| kl.get(&(a.as_str(), *p, *q)).copied())
                .collect()
        })
        .collect();
    let chart = ChartData::Heatmap(Heatmap {
        value_name: "KL(P‖Q), nats".into(),
        rows: g.attributes.clone(),
        columns: pairs.iter().map(|(p, q)| format!("{p}‖{q}")).collect(),
        values,
    });
    out.push_str(
        "<p>KL(P‖Q) of every attribute (rows) for every ordered pair of datasets P‖Q (columns); \
         the values are in the table under <a href=\"#numbers\">All numbers</a>.</p>\n",
    );
    out.push_str(&chart_svg(
        &chart,
        "KL(P‖Q) by attribute and ordered dataset pair",
    ));
}

fn asymmetry(g: &Gathered, pairs: &[PairSummary], out: &mut String) {
    out.push_str(&heading("asymmetry"));
    if pairs.is_empty() {
        out.push_str("<p class=\"muted\">No real / synthetic pair.</p>\n");
        return;
    }
    out.push_str(
        "<p>Each point is an attribute: KL(real‖synthetic) across, KL(synthetic‖real) up. Points \
         below the diagonal are attributes where the real data explains the synthetic data better \
         than the reverse.</p>\n<div class=\"charts\">",
    );
    for p in pairs.iter().take(6) {
        let points: Vec<(String, f64, f64)> = g
            .comparisons
            .iter()
            .filter(|r| r.dataset_p == p.real && r.dataset_q == p.synthetic)
            .filter_map(|r| Some((r.attribute.clone(), finite(r.kl_pq)?, finite(r.kl_qp)?)))
            .collect();
        if points.is_empty() {
            continue;
        }
        let chart = ChartData::Asymmetry(Asymmetry {
            x_name: format!("KL({}‖{})", p.real, p.synthetic),
            y_name: format!("KL({}‖{})", p.synthetic, p.real),
            points,
        });
        out.push_str(&chart_svg(
            &chart,
            &format!("{} (real) vs {} (synthetic)", p.real, p.synthetic),
        ));
    }
    out.push_str("</div>\n");
    if pairs.len() > 6 {
        let _ = writeln!(
            out,
            "<p class=\"muted\">The first 6 of {} pairs are drawn.</p>",
            pairs.len()
        );
    }
}

fn ranked(ranks: &[Rank], rs: bool, out: &mut String) {
    out.push_str(&heading("ranking"));
    let (f, r) = if rs {
        ("mean KL(real‖synthetic)", "mean KL(synthetic‖real)")
    } else {
        ("mean KL(P‖Q)", "mean KL(Q‖P)")
    };
    let mut t = Table::new(&[
        "rank",
        "attribute",
        f,
        r,
        "both ways",
        "mean JS",
        "mean TVD",
        "pairs",
    ]);
    for (i, k) in ranks.iter().enumerate() {
        let v = |x: f64| Some(x).filter(|x| x.is_finite());
        t.rows.push(vec![
            Cell::int(i as i64 + 1),
            Cell::Html {
                html: format!("<a href=\"#attr-{0}\">{0}</a>", escape(&k.attribute)),
                sort: k.attribute.clone(),
            },
            Cell::num(v(k.forward), nats),
            Cell::num(v(k.reverse), nats),
            Cell::num(v(k.forward + k.reverse), nats),
            Cell::num(v(k.js), nats),
            Cell::num(v(k.tvd), |x| format!("{x:.4}")),
            Cell::int(k.pairs as i64),
        ]);
    }
    out.push_str(&t.html(
        "ranking-table",
        if rs {
            "Averaged over the real / synthetic pairs, largest first"
        } else {
            "Averaged over the dataset pairs, largest first"
        },
    ));
}

fn comparison_table(rows: &[&Comparison]) -> Table {
    let mut t = Table::new(&[
        "P",
        "Q",
        "n P",
        "n Q",
        "KL(P‖Q) [95% CI]",
        "KL(Q‖P) [95% CI]",
        "JS",
        "TVD",
        "undefined P",
        "undefined Q",
        "note",
    ]);
    for r in rows {
        t.rows.push(vec![
            Cell::text(&r.dataset_p),
            Cell::text(&r.dataset_q),
            Cell::int(r.n_p),
            Cell::int(r.n_q),
            kl_cell(r.kl_pq, r.kl_pq_ci),
            kl_cell(r.kl_qp, r.kl_qp_ci),
            Cell::num(r.js, nats),
            Cell::num(r.tvd, |v| format!("{v:.4}")),
            Cell::num(r.undefined_p, pct),
            Cell::num(r.undefined_q, pct),
            Cell::text(r.note.clone().unwrap_or_default()),
        ]);
    }
    t
}

/// [`comparison_table`] with the attribute as the first column (tables of several attributes).
fn comparison_table_with_attribute(rows: &[&Comparison]) -> Table {
    let mut t = comparison_table(rows);
    t.headers.insert(0, "attribute".into());
    for (row, r) in t.rows.iter_mut().zip(rows) {
        row.insert(0, Cell::text(&r.attribute));
    }
    t
}

fn per_attribute(g: &Gathered, ranks: &[Rank], out: &mut String) {
    out.push_str(&heading("attributes"));
    out.push_str(
        "<p class=\"key\">Share of each label in each dataset:<span class=\"neg\"></span>-1 \
         (negative)<span class=\"zero\"></span>0 (undefined)<span class=\"pos\"></span>1 (positive). \
         Attributes in ranked order (the <a href=\"#ranking\">ranking</a> follows).</p>\n",
    );
    for k in ranks {
        let a = &k.attribute;
        let _ = write!(
            out,
            "<section class=\"attr\"><h3 id=\"attr-{0}\">{0}</h3>",
            escape(a)
        );
        if let Some(d) = g.distributions.get(a) {
            let rows: Vec<(&str, &[(String, f64)])> =
                d.iter().map(|(n, e)| (n.as_str(), e.as_slice())).collect();
            out.push_str(&distribution_chart(a, &rows, 520));
        }
        let rows: Vec<&Comparison> = g
            .comparisons
            .iter()
            .filter(|r| &r.attribute == a && shown(r, &g.kinds))
            .collect();
        out.push_str(
            &comparison_table(&rows).html(&format!("attr-table-{a}"), &format!("{a}: each pair of datasets")),
        );
        out.push_str("</section>\n");
    }
}

fn subgroups(g: &Gathered, out: &mut String) {
    out.push_str(&heading("subgroups"));
    if g.subgroups.is_empty() {
        out.push_str(
            "<p class=\"muted\">None asked for: <code>--where 'SQL condition'</code> or \
             <code>--subgroups 'Male,Senior,Asian'</code> compare the datasets within subgroups.</p>\n",
        );
        return;
    }
    let min_n = g
        .options
        .rsplit(',')
        .find_map(|p| p.trim().strip_prefix("min_n="))
        .unwrap_or("1");
    let _ = writeln!(
        out,
        "<p>Each subgroup is compared like the whole input (without bootstrap). A pair is compared \
         only when both datasets have at least min_n = {} rows in the subgroup; with fewer, its \
         divergences are left out (the note says so), because a handful of images gives a \
         divergence that is mostly noise.</p>",
        escape(min_n)
    );
    for (i, s) in g.subgroups.iter().enumerate() {
        subgroup(g, i, s, out);
    }
}

fn subgroup(g: &Gathered, i: usize, s: &Subgroup, out: &mut String) {
    let _ = write!(
        out,
        "<h3 id=\"subgroup-{i}\">Subgroup <code>{}</code></h3>",
        escape(&s.condition)
    );
    // Rows per dataset in the subgroup, and its share of the dataset.
    let mut t = Table::new(&["dataset", "kind", "rows in the subgroup", "share of the dataset"]);
    for d in &g.datasets {
        let n = s
            .rows
            .iter()
            .find(|(name, _)| *name == d.dataset)
            .map_or(0, |r| r.1);
        t.rows.push(vec![
            Cell::text(&d.dataset),
            Cell::text(d.kind.clone().unwrap_or_else(|| "-".into())),
            Cell::int(n),
            Cell::num(Some(n as f64 / d.rows as f64).filter(|v| v.is_finite()), pct),
        ]);
    }
    out.push_str(&t.html(&format!("subgroup-{i}-rows"), "Rows per dataset"));
    let pairs = summarise(&s.comparisons, &g.kinds);
    let skipped = s.comparisons.iter().filter(|r| r.kl_pq.is_none()).count();
    if skipped > 0 {
        let _ = write!(
            out,
            "<p class=\"muted\">{skipped} of {} comparisons are left out for too few rows.</p>",
            s.comparisons.len()
        );
    }
    if !pairs.is_empty() {
        out.push_str("<ul>");
        for p in &pairs {
            let _ = write!(out, "<li>{}</li>", escape(&sentence(p)));
        }
        out.push_str("</ul>");
        out.push_str(&pair_table(&pairs).html(
            &format!("subgroup-{i}-pairs"),
            "Real / synthetic pairs in the subgroup",
        ));
    }
    let shown_rows: Vec<&Comparison> = s.comparisons.iter().filter(|r| shown(r, &g.kinds)).collect();
    let t = comparison_table_with_attribute(&shown_rows);
    out.push_str(&t.html(&format!("subgroup-{i}-table"), "Every attribute in the subgroup"));
}

fn identities(g: &Gathered, out: &mut String) {
    out.push_str(&heading("identities"));
    let Some(e) = &g.embeddings else {
        out.push_str(
            "<p class=\"muted\">The tables have no face embeddings (<code>macsql annotate</code> \
             writes them unless <code>--no-embedding</code>), so datasets are compared by their \
             attributes only.</p>\n",
        );
        return;
    };
    let _ = writeln!(
        out,
        "<p>Every labelled face's dlib ResNet descriptor, compared between datasets with \
         <code>compare_embeddings</code> (<code>{}</code>): the Fréchet distance (FD, with a \
         bootstrap interval), precision and density (how much of the synthetic set lies on the \
         real manifold), recall and coverage (how much of the real manifold it covers; Naeem et al. \
         2020, k = 5), and the copy check: the share of synthetic faces whose nearest real face is \
         more similar than the threshold calibrated on real faces of other people (the note says \
         how).</p>",
        escape(super::embeddings::OPTIONS)
    );
    out.push_str(&e.comparisons.html(
        "embedding-table",
        "Real (P) against synthetic (Q) in embedding space",
    ));
    if let Some(t) = &e.identities {
        out.push_str(
            "<p>Identities (<code>identity_stats</code>): how alike one identity's faces are \
             (genuine similarity, DCFace's consistency) and how distinct the identities are \
             (impostor similarity, uniqueness), with verification figures from the pairs (EER, \
             TAR at FAR 1e-3, d').</p>",
        );
        out.push_str(&t.html("identity-table", "Identities per dataset"));
    }
    if !e.pairs.is_empty() {
        out.push_str(
            "<p>The synthetic faces most similar to a real face (cosine similarity of the \
             descriptors): look whether the generator reproduced a real person.</p>\n<div class=\"pairs\">",
        );
        let img = |uri: &Option<String>, alt: &str| match uri {
            Some(u) => format!("<img src=\"{}\" alt=\"{}\" width=\"72\">", escape(u), escape(alt)),
            None => format!("<span class=\"muted\">{}</span>", escape(alt)),
        };
        for p in &e.pairs {
            let _ = write!(
                out,
                "<figure>{}{}<figcaption>{:.3}<br>{} / {}</figcaption></figure>",
                img(&p.thumbnails.0, &p.synthetic.1),
                img(&p.thumbnails.1, &p.real.1),
                p.similarity,
                escape(&p.synthetic.0),
                escape(&p.real.0)
            );
        }
        out.push_str("</div>\n");
    }
}

fn agreement(a: Option<&Agreement>, out: &mut String) {
    out.push_str(&heading("agreement"));
    let Some(a) = a else {
        out.push_str(
            "<p class=\"muted\">No input was labelled by macsql's built-in classifier bundle, so \
             there are no held-out quality figures to show. (Imported labels and the simulated demo \
             carry none.)</p>\n",
        );
        return;
    };
    let _ = writeln!(
        out,
        "<p>{} were labelled by the built-in bundle <code>{}</code>. Its learned heads were \
         measured on labelled images they were not fitted on (5-fold cross-validation, folds by \
         person for the default bundle: models/mac-report.md, models/mac-small-report.md); these \
         are the figures of the attributes compared here:</p>",
        escape(&a.tables.join(", ")),
        escape(&a.bundle)
    );
    out.push_str(&a.table.html(
        "agreement-table",
        "Held-out quality of the classifier's attributes",
    ));
}

fn numbers(g: &Gathered, out: &mut String) {
    out.push_str(&heading("numbers"));
    let rows: Vec<&Comparison> = g.comparisons.iter().collect();
    let t = comparison_table_with_attribute(&rows);
    let mut csv = Table::new(&[
        "attribute",
        "dataset_p",
        "dataset_q",
        "kind_p",
        "kind_q",
        "n_p",
        "n_q",
        "kl_pq",
        "kl_pq_lo",
        "kl_pq_hi",
        "kl_qp",
        "kl_qp_lo",
        "kl_qp_hi",
        "js",
        "tvd",
        "undefined_p",
        "undefined_q",
        "note",
    ]);
    let kind = |d: &str| Cell::text(g.kinds.get(d).cloned().unwrap_or_default());
    for r in &g.comparisons {
        let f = |v: Option<f64>| Cell::Num(String::new(), v);
        csv.rows.push(vec![
            Cell::text(&r.attribute),
            Cell::text(&r.dataset_p),
            Cell::text(&r.dataset_q),
            kind(&r.dataset_p),
            kind(&r.dataset_q),
            Cell::int(r.n_p),
            Cell::int(r.n_q),
            f(r.kl_pq),
            f(r.kl_pq_ci.map(|c| c.0)),
            f(r.kl_pq_ci.map(|c| c.1)),
            f(r.kl_qp),
            f(r.kl_qp_ci.map(|c| c.0)),
            f(r.kl_qp_ci.map(|c| c.1)),
            f(r.js),
            f(r.tvd),
            f(r.undefined_p),
            f(r.undefined_q),
            Cell::text(r.note.clone().unwrap_or_default()),
        ]);
    }
    let mut dist = Table::new(&["attribute", "dataset", "value", "rows", "share"]);
    for a in &g.attributes {
        for (d, entries) in g.distributions.get(a).into_iter().flatten() {
            let total: f64 = entries.iter().map(|e| e.1).sum();
            for (value, count) in entries {
                dist.rows.push(vec![
                    Cell::text(a),
                    Cell::text(d),
                    Cell::text(value),
                    Cell::int(*count as i64),
                    Cell::num(Some(count / total).filter(|v| v.is_finite()), pct),
                ]);
            }
        }
    }
    out.push_str("<p>");
    out.push_str(&csv_link(
        "comparisons.csv",
        &csv.csv(),
        "Download the comparisons (CSV)",
    ));
    out.push_str(&csv_link(
        "distributions.csv",
        &dist.csv(),
        "Download the distributions (CSV)",
    ));
    if !g.subgroups.is_empty() {
        let mut sub = Table::new(&[
            "subgroup",
            "attribute",
            "dataset_p",
            "dataset_q",
            "n_p",
            "n_q",
            "kl_pq",
            "kl_qp",
            "js",
            "tvd",
            "note",
        ]);
        for s in &g.subgroups {
            for r in &s.comparisons {
                let f = |v: Option<f64>| Cell::Num(String::new(), v);
                sub.rows.push(vec![
                    Cell::text(&s.condition),
                    Cell::text(&r.attribute),
                    Cell::text(&r.dataset_p),
                    Cell::text(&r.dataset_q),
                    Cell::int(r.n_p),
                    Cell::int(r.n_q),
                    f(r.kl_pq),
                    f(r.kl_qp),
                    f(r.js),
                    f(r.tvd),
                    Cell::text(r.note.clone().unwrap_or_default()),
                ]);
            }
        }
        out.push_str(&csv_link(
            "subgroups.csv",
            &sub.csv(),
            "Download the subgroup comparisons (CSV)",
        ));
    }
    out.push_str("</p>\n");
    out.push_str(&t.html("comparisons", "Every attribute and ordered pair of datasets"));
    out.push_str(&dist.html("distributions", "Every attribute's distribution in every dataset"));
}

/// The whole page.
pub fn render(
    g: &Gathered,
    opts: &ReportOptions,
    command: &str,
    agreement_figures: Option<&Agreement>,
) -> String {
    let simulated: Vec<&str> = g
        .inputs
        .iter()
        .filter(|i| i.simulated())
        .map(|i| i.table.as_str())
        .collect();
    let title = opts.title.clone().unwrap_or_else(|| {
        let names: Vec<&str> = g.datasets.iter().map(|d| d.dataset.as_str()).collect();
        format!("macsql report: {}", names.join(" vs "))
    });
    let pairs = summarise(&g.comparisons, &g.kinds);
    let ranks = ranking(g);
    let mut body = String::new();
    let _ = writeln!(body, "<header><h1>{}</h1>", escape(&title));
    if !simulated.is_empty() {
        let _ = writeln!(
            body,
            "<p class=\"simulated\" id=\"simulated\"><strong>SIMULATED DATA</strong> <span>{} {} \
             macsql's simulated demo catalog, not annotations of real images; numbers computed from \
             {} illustrate the method only.</span></p>",
            escape(&simulated.join(", ")),
            if simulated.len() == 1 { "is" } else { "are" },
            if simulated.len() == 1 { "it" } else { "them" }
        );
    }
    let _ = writeln!(
        body,
        "<p class=\"muted\">Written by macsql {} on {}.</p></header>",
        env!("CARGO_PKG_VERSION"),
        crate::annotations::created_now()
    );
    body.push_str("<nav><ol>");
    for (id, h) in SECTIONS {
        let _ = write!(body, "<li><a href=\"#{id}\">{}</a></li>", escape(h));
    }
    body.push_str("</ol></nav>\n<main>\n");
    compared(g, opts, command, &mut body);
    headline(g, &pairs, &mut body);
    heatmap(g, &mut body);
    asymmetry(g, &pairs, &mut body);
    per_attribute(g, &ranks, &mut body);
    ranked(&ranks, !pairs.is_empty(), &mut body);
    subgroups(g, &mut body);
    identities(g, &mut body);
    agreement(agreement_figures, &mut body);
    numbers(g, &mut body);
    body.push_str("</main>");
    page(&title, &body)
}
