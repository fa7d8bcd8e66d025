//! HTML building blocks of the report: escaping, sortable tables (every number also carries its
//! exact value for sorting), CSV downloads as data URIs, and the page frame with its inline CSS
//! (light and dark schemes, print) and the few lines of JavaScript that sort tables. The page
//! declares a Content-Security-Policy that allows no network request at all.

use std::fmt::Write as _;

/// Escapes text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// One cell of a table: text, or a number shown formatted and sorted by its value.
#[derive(Debug, Clone)]
pub enum Cell {
    /// Text, sorted alphabetically.
    Text(String),
    /// HTML shown as is (already escaped), sorted by `sort`.
    Html {
        /// The markup.
        html: String,
        /// The sort key.
        sort: String,
    },
    /// A number: the shown text and the value (None: missing, sorted last).
    Num(String, Option<f64>),
}

impl Cell {
    /// A number cell shown with `format`.
    pub fn num(v: Option<f64>, format: impl Fn(f64) -> String) -> Cell {
        Cell::Num(v.map_or("-".into(), &format), v)
    }

    /// An integer cell with thousands separators.
    pub fn int(v: i64) -> Cell {
        Cell::Num(thousands(v), Some(v as f64))
    }

    /// A text cell.
    pub fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }

    /// The cell's plain text, as it goes into a CSV file.
    pub fn csv_text(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Html { sort, .. } => sort.clone(),
            Cell::Num(_, Some(v)) => format!("{v}"),
            Cell::Num(_, None) => String::new(),
        }
    }
}

/// `1234567` as `1,234,567`.
pub fn thousands(v: i64) -> String {
    let digits = v.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if v < 0 { format!("-{out}") } else { out }
}

/// A table the reader can sort by clicking a column header.
#[derive(Debug, Clone, Default)]
pub struct Table {
    /// Column headers.
    pub headers: Vec<String>,
    /// Rows of cells, as many as headers.
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    /// A table with these headers and no rows.
    pub fn new(headers: &[&str]) -> Self {
        Table {
            headers: headers.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    /// The table as HTML; `id` names it (for links and tests), `caption` says what it holds.
    pub fn html(&self, id: &str, caption: &str) -> String {
        let mut s = String::new();
        let _ = write!(
            s,
            "<div class=\"scroll\"><table class=\"sortable\" id=\"{}\"><caption>{}</caption><thead><tr>",
            escape(id),
            escape(caption)
        );
        for h in &self.headers {
            let _ = write!(
                s,
                "<th scope=\"col\" aria-sort=\"none\"><button type=\"button\">{}</button></th>",
                escape(h)
            );
        }
        s.push_str("</tr></thead><tbody>");
        for row in &self.rows {
            s.push_str("<tr>");
            for cell in row {
                match cell {
                    Cell::Text(t) => {
                        let _ = write!(s, "<td>{}</td>", escape(t));
                    }
                    Cell::Html { html, sort } => {
                        let _ = write!(s, "<td data-v=\"{}\">{html}</td>", escape(sort));
                    }
                    Cell::Num(text, v) => {
                        let v = v
                            .filter(|v| !v.is_nan())
                            .map_or(String::new(), |v| format!("{v}"));
                        let _ = write!(s, "<td class=\"n\" data-n=\"{v}\">{}</td>", escape(text));
                    }
                }
            }
            s.push_str("</tr>");
        }
        s.push_str("</tbody></table></div>");
        s
    }

    /// The table as CSV (RFC 4180 quoting), headers first.
    pub fn csv(&self) -> String {
        let mut out = String::new();
        let line = |cells: Vec<String>| -> String {
            let quoted: Vec<String> = cells.iter().map(|c| csv_field(c)).collect();
            quoted.join(",") + "\r\n"
        };
        out.push_str(&line(self.headers.clone()));
        for row in &self.rows {
            out.push_str(&line(row.iter().map(Cell::csv_text).collect()));
        }
        out
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// A link that downloads `csv` as the file `name`, from a data URI (no request is made).
pub fn csv_link(name: &str, csv: &str, label: &str) -> String {
    format!(
        "<a class=\"download\" download=\"{}\" href=\"data:text/csv;charset=utf-8,{}\">{}</a>",
        escape(name),
        percent_encode(csv),
        escape(label)
    )
}

/// Percent-encodes what a data URI inside an HTML attribute cannot hold as is (controls, space,
/// quotes, `%`, `#`, `&`, `<`, `>`, non-ASCII); commas and the other URI characters stay, so a
/// CSV grows by a few percent only.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~!$'()*+,;=:@/?[]".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Inline CSS: system fonts, light and dark schemes from the reader's setting, print layout.
const CSS: &str = r#"
:root { color-scheme: light dark; --bg: #ffffff; --fg: #1d2330; --muted: #5b6474; --line: #d9dde5;
  --card: #f5f7fa; --accent: #2f6fb5; --neg: #d1603d; --zero: #b9bec8; --pos: #2f8f6b;
  --k0: #4e79a7; --k1: #f28e2b; --k2: #e15759; --k3: #76b7b2; --k4: #59a14f; --k5: #edc948;
  --warn-bg: #fff3cd; --warn-fg: #6b4e00; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #14171d; --fg: #e4e7ec; --muted: #9aa3b2; --line: #343a46; --card: #1d2129;
    --accent: #79a8e0; --neg: #e27d5f; --zero: #5d6370; --pos: #4fbf93; --warn-bg: #3d3213;
    --warn-fg: #ffd97a; }
}
* { box-sizing: border-box; }
.pairs { display: flex; flex-wrap: wrap; gap: .6rem; }
.pairs figure { margin: 0; padding: .3rem; background: var(--card); border: 1px solid var(--line); }
.pairs figcaption { font-size: 12px; color: var(--muted); text-align: center; }
body { margin: 0 auto; max-width: 1180px; padding: 1.2rem 1.2rem 4rem; background: var(--bg);
  color: var(--fg); font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
h1 { font-size: 1.7rem; margin: 0.2rem 0 0.4rem; }
h2 { font-size: 1.3rem; margin: 2.2rem 0 0.6rem; padding-bottom: 0.2rem; border-bottom: 1px solid var(--line); }
h3 { font-size: 1.05rem; margin: 1.4rem 0 0.4rem; }
p, li { max-width: 60rem; }
a { color: var(--accent); }
.muted { color: var(--muted); }
.simulated { background: var(--warn-bg); color: var(--warn-fg); border: 2px solid currentColor;
  border-radius: 6px; padding: 0.5rem 1rem; }
.simulated strong { display: block; font-size: 2rem; letter-spacing: 0.06em; }
.headline { background: var(--card); border-left: 4px solid var(--accent); padding: 0.6rem 1rem; font-size: 1.08rem; }
nav ol { columns: 2; max-width: 40rem; }
.scroll { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; margin: 0.4rem 0 1rem; font-variant-numeric: tabular-nums; }
caption { text-align: left; color: var(--muted); padding: 0.2rem 0; caption-side: top; }
th, td { border-bottom: 1px solid var(--line); padding: 0.25rem 0.6rem; text-align: left; vertical-align: top; }
td.n { text-align: right; white-space: nowrap; }
th button { all: unset; cursor: pointer; font-weight: 600; }
th[aria-sort="ascending"] button::after { content: " ▲"; }
th[aria-sort="descending"] button::after { content: " ▼"; }
code { overflow-wrap: anywhere; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.9em; }
pre { background: var(--card); padding: 0.5rem 0.8rem; overflow-x: auto; white-space: pre-wrap; word-break: break-all; }
.chart { background: #ffffff; border: 1px solid var(--line); border-radius: 6px; padding: 4px; display: inline-block; max-width: 100%; }
.chart svg { max-width: 100%; height: auto; display: block; }
.chart.wide { max-width: none; margin: 0; }
.chart.wide svg { max-width: none; }
.charts { display: flex; flex-wrap: wrap; gap: 1rem; }
.attr { border: 1px solid var(--line); border-radius: 6px; padding: 0.4rem 0.9rem 0.2rem; margin: 0.8rem 0; }
.attr h3 { margin-top: 0.3rem; }
svg.dist { max-width: 100%; height: auto; }
svg.dist .lbl { fill: var(--fg); font: 12px system-ui, sans-serif; }
.v-neg { fill: var(--neg); } .v-zero { fill: var(--zero); } .v-pos { fill: var(--pos); }
.v-k0 { fill: var(--k0); } .v-k1 { fill: var(--k1); } .v-k2 { fill: var(--k2); }
.v-k3 { fill: var(--k3); } .v-k4 { fill: var(--k4); } .v-k5 { fill: var(--k5); }
.key span { display: inline-block; width: 0.8em; height: 0.8em; margin: 0 0.3em 0 0.8em; vertical-align: -0.05em; }
.key .neg { background: var(--neg); } .key .zero { background: var(--zero); } .key .pos { background: var(--pos); }
.download { display: inline-block; margin: 0.2rem 1rem 0.2rem 0; }
@media (max-width: 640px) { body { padding: 0.6rem; font-size: 14px; } nav ol { columns: 1; } th, td { padding: 0.2rem 0.35rem; } }
@media print { .download, nav { display: none; } body { max-width: none; } .attr { break-inside: avoid; }
  a { color: inherit; text-decoration: none; } .scroll { overflow: visible; } }
"#;

/// Sorting: a click on a header sorts the rows by that column (numbers by value, missing last),
/// a second click reverses the order.
const JS: &str = r#"
document.querySelectorAll("table.sortable").forEach(function (table) {
  var heads = table.tHead.rows[0].cells;
  Array.prototype.forEach.call(heads, function (th, col) {
    th.querySelector("button").addEventListener("click", function () {
      var asc = th.getAttribute("aria-sort") !== "ascending";
      Array.prototype.forEach.call(heads, function (h) { h.setAttribute("aria-sort", "none"); });
      th.setAttribute("aria-sort", asc ? "ascending" : "descending");
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      function key(row) {
        var c = row.cells[col];
        if (c.hasAttribute("data-n")) { var v = c.getAttribute("data-n"); return v === "" ? null : parseFloat(v); }
        return c.hasAttribute("data-v") ? c.getAttribute("data-v") : c.textContent;
      }
      rows.sort(function (a, b) {
        var x = key(a), y = key(b);
        if (x === null && y === null) return 0;
        if (x === null) return 1;
        if (y === null) return -1;
        var r = typeof x === "number" ? x - y : String(x).localeCompare(String(y), undefined, { numeric: true });
        return asc ? r : -r;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
});
"#;

/// The whole page around `body`.
pub fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; \
         script-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'\">\n\
         <meta name=\"generator\" content=\"macsql {}\">\n<title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n{body}\n\
         <script>{JS}</script>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION"),
        escape(title)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_numbers_sort_by_value() {
        let mut t = Table::new(&["name", "kl"]);
        t.rows.push(vec![
            Cell::text("<b>&"),
            Cell::num(Some(0.5), |v| format!("{v:.1}")),
        ]);
        t.rows
            .push(vec![Cell::text("q\"x"), Cell::num(None, |v| format!("{v}"))]);
        let html = t.html("t1", "caption");
        assert!(html.contains("<td>&lt;b&gt;&amp;</td>"));
        assert!(html.contains("<td class=\"n\" data-n=\"0.5\">0.5</td>"));
        assert!(html.contains("<td class=\"n\" data-n=\"\">-</td>"));
        assert_eq!(t.csv(), "name,kl\r\n<b>&,0.5\r\n\"q\"\"x\",\r\n");
    }

    #[test]
    fn csv_links_are_data_uris() {
        let link = csv_link("a.csv", "x,y\r\n1,2\r\n", "download");
        assert!(link.contains("href=\"data:text/csv;charset=utf-8,x,y%0D%0A1,2%0D%0A\""));
        assert_eq!(percent_encode("ä ‖"), "%C3%A4%20%E2%80%96");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(thousands(-12), "-12");
    }

    #[test]
    fn the_page_forbids_every_request() {
        let p = page("T <1>", "<p>x</p>");
        assert!(p.contains("default-src 'none'"));
        assert!(p.contains("<title>T &lt;1&gt;</title>"));
        assert!(!p.contains("http://") && !p.contains("https://"));
    }
}
