//! `macsql report` and `.report`: the page for the demo and for the real FFHQ / StyleFlow
//! tables, its numbers against `compare_attributes`, errors, and the page in headless Chromium
//! (tests/browser/check_report.mjs; required when MACSQL_BROWSER_TEST is set, as in `.ci/run`).

use std::path::{Path, PathBuf};

use predicates::prelude::*;

use crate::common::{macsql, shared_data};

const HEADINGS: [(&str, &str); 9] = [
    ("compared", "What was compared"),
    ("headline", "Headline"),
    ("heatmap", "KL divergence heat map"),
    ("asymmetry", "Asymmetry"),
    ("attributes", "Per attribute"),
    ("ranking", "Attributes ranked by divergence"),
    ("subgroups", "Subgroups"),
    ("agreement", "Classifier agreement"),
    ("numbers", "All numbers"),
];

fn demo_report(dir: &Path, extra: &[&str]) -> (PathBuf, String, String) {
    let out = dir.join("report.html");
    let assert = macsql()
        .args(["report", "--demo", "--scale", "0.01", "-o"])
        .arg(&out)
        .args(extra)
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    let html = std::fs::read_to_string(&out).expect("report written");
    (out, html, stdout)
}

/// Percent-decodes the CSV of the download link `name` in `html`.
fn csv_of(html: &str, name: &str) -> String {
    let start = html
        .find(&format!(
            "download=\"{name}\" href=\"data:text/csv;charset=utf-8,"
        ))
        .unwrap_or_else(|| panic!("no {name} link"));
    let rest = &html[start..];
    let body = &rest[rest.find(',').unwrap() + 1..];
    let body = &body[..body.find('"').unwrap()];
    let bytes = body.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            out.push(u8::from_str_radix(&body[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

#[test]
fn the_demo_report_has_every_section_and_makes_no_request() {
    let dir = tempfile::tempdir().unwrap();
    let (_, html, stdout) = demo_report(
        dir.path(),
        &["--subgroups", "Male,!Young", "--where", "Senior = 1"],
    );
    assert!(
        stdout.contains("Real data explains the synthetic distributions better than the reverse on"),
        "{stdout}"
    );
    for (id, title) in HEADINGS {
        assert!(
            html.contains(&format!("<h2 id=\"{id}\">{title}</h2>")),
            "no section {id}"
        );
    }
    assert!(html.contains("<strong>SIMULATED DATA</strong>"));
    assert!(html.contains("default-src 'none'"));
    // No address the page could fetch: only the SVG namespace names a URL.
    let urls = html.matches("http://").count() + html.matches("https://").count();
    assert_eq!(urls, html.matches("xmlns=\"http://www.w3.org/2000/svg\"").count());
    assert!(!html.contains("src=\"http") && !html.contains("<link"));
    // 47 attributes, one section and one chart each; 3 subgroups.
    assert_eq!(html.matches("<section class=\"attr\">").count(), 47);
    assert_eq!(html.matches("<svg class=\"dist\"").count(), 47);
    for i in 0..3 {
        assert!(html.contains(&format!("<h3 id=\"subgroup-{i}\">")));
    }
    assert!(html.contains("id=\"subgroup-1-rows\"><caption>Rows per dataset</caption>"));
    assert!(html.contains("<code>Senior = 1</code>") && html.contains("<code>&quot;Young&quot; = -1</code>"));
    // Four asymmetry charts (2 real x 2 synthetic datasets), and the heat map of 12 ordered pairs,
    // too wide for the page, at 60% of its size in a scrolling box.
    assert_eq!(html.matches("<figure class=\"chart\">").count(), 4);
    assert!(html.contains("<div class=\"scroll\"><figure class=\"chart wide\"><svg style=\"width: 1438px\""));
    assert!(html.contains("comparisons.csv") && html.contains("subgroups.csv"));
}

#[test]
fn the_pages_numbers_are_compare_attributes_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let (_, html, _) = demo_report(
        dir.path(),
        &["--attributes", "Male,Smiling", "--options", "bootstrap=0"],
    );
    let csv = csv_of(&html, "comparisons.csv");
    let mut lines = csv.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("attribute,dataset_p,dataset_q,kind_p,kind_q,n_p,n_q,kl_pq")
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 2 * 12, "2 attributes x 12 ordered pairs");
    let sql = macsql()
        .args([
            "--demo",
            "--scale",
            "0.01",
            "-q",
            "--format",
            "csv",
            "-c",
            "SELECT attribute, dataset_p, dataset_q, n_p, n_q, kl_pq, kl_qp FROM compare_attributes('demo', \
             'dataset', 'bootstrap=0, min_n=30, alpha=0.5, attributes=Male;Smiling') ORDER BY 1, 2, 3",
        ])
        .assert()
        .success();
    let expected = String::from_utf8_lossy(&sql.get_output().stdout).into_owned();
    let mut page: Vec<(String, String, String, i64, f64)> = rows
        .iter()
        .map(|r| {
            let f: Vec<&str> = r.split(',').collect();
            (
                f[0].into(),
                f[1].into(),
                f[2].into(),
                f[5].parse().unwrap(),
                f[7].parse().unwrap(),
            )
        })
        .collect();
    page.sort_by(|a, b| (&a.0, &a.1, &a.2).cmp(&(&b.0, &b.1, &b.2)));
    for (line, p) in expected.lines().skip(1).zip(&page) {
        let f: Vec<&str> = line.split(',').collect();
        assert_eq!((f[0], f[1], f[2]), (p.0.as_str(), p.1.as_str(), p.2.as_str()));
        assert_eq!(f[3].parse::<i64>().unwrap(), p.3);
        let kl: f64 = f[5].parse().unwrap();
        assert!((kl - p.4).abs() <= 1e-12 * kl.abs().max(1.0), "{line} vs {p:?}");
    }
    assert_eq!(expected.lines().count(), 25);
}

#[test]
fn a_report_on_real_ffhq_and_styleflow_annotations() {
    let dir = tempfile::tempdir().unwrap();
    let ffhq = dir.path().join("ffhq.parquet");
    let styleflow = dir.path().join("styleflow.parquet");
    for (format, csv, name, kind, out) in [
        ("faceapi", "annotations/ffhq_faceapi.csv", "FFHQ", "real", &ffhq),
        (
            "styleflow",
            "annotations/styleflow_stylegan2_faceapi.csv",
            "StyleFlow",
            "synthetic",
            &styleflow,
        ),
    ] {
        macsql()
            .args(["import", "--format", format])
            .arg(shared_data(csv))
            .args(["--dataset", name, "--kind", kind, "-o"])
            .arg(out)
            .assert()
            .success();
    }
    let out = dir.path().join("ffhq_vs_styleflow.html");
    let assert = macsql()
        .args(["report", "--data"])
        .arg(format!("ffhq={}", ffhq.display()))
        .arg(format!("styleflow={}", styleflow.display()))
        .args(["--subgroups", "Male", "-o"])
        .arg(&out)
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    // The Face API attributes both tables have (as queries/ffhq_vs_styleflow.sql compares them).
    assert!(
        stdout.contains("on 1 of 1 real / synthetic pairs (as the seed paper found)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("smaller direction on 9 of 9 attribute comparisons"),
        "{stdout}"
    );
    let html = std::fs::read_to_string(&out).unwrap();
    assert!(!html.contains("SIMULATED DATA"));
    assert!(html.contains("FFHQ (real)") && html.contains("StyleFlow (synthetic)"));
    assert!(html.contains("import:faceapi") && html.contains("import:styleflow"));
    assert!(html.contains("<li><code>Mustache</code>: not a column of styleflow</li>"));
    assert!(html.contains("<h3 id=\"attr-Male\">Male</h3>") && html.contains("<h3 id=\"attr-Eyeglasses\">"));
}

#[test]
fn the_shell_reports_its_tables() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("shell.html");
    macsql()
        .args(["--demo", "--scale", "0.01", "-q", "-c"])
        .arg(format!(
            ".report '{}' --attributes Male,Young --title 'Two attributes'",
            out.display()
        ))
        .assert()
        .success()
        .stdout(predicate::str::contains("wrote").and(predicate::str::contains("4 datasets, 2 attributes")));
    let html = std::fs::read_to_string(&out).unwrap();
    assert!(html.contains("<title>Two attributes</title>"));
    assert_eq!(html.matches("<section class=\"attr\">").count(), 2);
}

#[test]
fn report_mistakes_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let one = dir.path().join("one.csv");
    std::fs::write(&one, "dataset,kind,Male\nffhq,real,1\nffhq,real,-1\n").unwrap();
    let two = dir.path().join("two.csv");
    std::fs::write(&two, "dataset,kind,Male\nffhq,real,1\nsg2,synthetic,-1\n").unwrap();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec!["--data".into(), one.display().to_string()],
            "fewer than two datasets in column 'dataset' (found: ffhq)",
        ),
        (
            vec!["--data".into(), two.display().to_string()],
            "has no Int8 or boolean attribute column that every table shares (labels read from CSV are Int64",
        ),
        (
            vec![
                "--demo".into(),
                "--scale".into(),
                "0.01".into(),
                "--subgroups".into(),
                "Male=yes".into(),
            ],
            "--subgroups: 'Male=yes' is not NAME, !NAME or NAME=VALUE",
        ),
        (
            vec![
                "--demo".into(),
                "--scale".into(),
                "0.01".into(),
                "--attributes".into(),
                "Beard".into(),
            ],
            "--attributes: 'Beard' is not an attribute column of the input",
        ),
        (
            vec![
                "--demo".into(),
                "--scale".into(),
                "0.01".into(),
                "--by".into(),
                "site".into(),
            ],
            "table demo has no column 'site'",
        ),
        (
            vec![
                "--demo".into(),
                "--scale".into(),
                "0.01".into(),
                "--options".into(),
                "bootstrapp=3".into(),
            ],
            "unknown option `bootstrapp`",
        ),
    ];
    for (args, message) in cases {
        macsql()
            .arg("report")
            .args(&args)
            .arg("-o")
            .arg(dir.path().join("r.html"))
            .assert()
            .failure()
            .stderr(predicate::str::contains(message));
    }
    macsql()
        .args(["report", "--demo", "--scale", "0.01", "-o"])
        .arg(dir.path().join("r.pdf"))
        .assert()
        .failure()
        .stderr(predicate::str::contains("r.pdf: the report is written as .html"));
    assert!(
        !dir.path().join("r.html").exists(),
        "no page is left behind by a failed report"
    );
}

/// The browser check: tests/browser/check_report.mjs (playwright-core driving Debian's
/// Chromium with the network cut off). `.ci/run` installs both and sets MACSQL_BROWSER_TEST=1;
/// elsewhere the test runs when they are there and says so when they are not.
#[test]
fn the_report_renders_in_headless_chromium() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let script = root.join("tests/browser/check_report.mjs");
    let ready = root.join("tests/browser/node_modules/playwright-core").is_dir()
        && Path::new("/usr/bin/chromium").exists();
    if !ready {
        assert!(
            std::env::var_os("MACSQL_BROWSER_TEST").is_none(),
            "MACSQL_BROWSER_TEST is set but Chromium or tests/browser/node_modules is missing \
             (run `npm ci --prefix tests/browser` and install Debian's chromium)"
        );
        eprintln!("skipped: no Chromium / playwright-core (see tests/browser/README.md)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (report, _, _) = demo_report(dir.path(), &["--subgroups", "Male"]);
    let output = std::process::Command::new("node")
        .arg(&script)
        .arg(&report)
        .arg(dir.path())
        .output()
        .expect("node");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "browser check failed:\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("\"requests\":0") && stdout.contains("\"consoleErrors\":0"),
        "{stdout}"
    );
    for shot in [
        "report-desktop.png",
        "report-headline.png",
        "report-dark.png",
        "report-phone.png",
        "report.pdf",
    ] {
        assert!(dir.path().join(shot).is_file(), "{shot}");
    }
}

#[test]
fn annotations_by_the_built_in_bundle_get_its_held_out_figures() {
    let dir = tempfile::tempdir().unwrap();
    let mut tables = Vec::new();
    for (folder, dataset, kind) in [
        ("real/ffhq", "ffhq", "real"),
        ("synthetic/stylegan2", "stylegan2", "synthetic"),
    ] {
        let images = dir.path().join(dataset);
        std::fs::create_dir(&images).unwrap();
        let source = shared_data(&format!("images/{folder}"));
        let mut names: Vec<_> = std::fs::read_dir(&source)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .collect();
        names.sort();
        for p in names.iter().take(12) {
            std::fs::copy(p, images.join(p.file_name().unwrap())).unwrap();
        }
        let out = dir.path().join(format!("{dataset}.parquet"));
        macsql()
            .env_remove("MACSQL_MODEL")
            .args(["annotate", "--dataset", dataset, "--kind", kind, "-q", "-o"])
            .arg(&out)
            .arg(&images)
            .assert()
            .success();
        tables.push(out);
    }
    let page = dir.path().join("mac.html");
    macsql()
        .args(["report", "-q", "--options", "min_n=1", "--data"])
        .args(&tables)
        .arg("-o")
        .arg(&page)
        .assert()
        .success();
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("were labelled by the built-in bundle <code>mac-default</code>"));
    assert!(html.contains("<table class=\"sortable\" id=\"agreement-table\">"));
    assert!(html.contains("<td>Eyeglasses</td>") && html.contains("yes (a learned head)"));
    assert!(html.contains("mac:mac-default"));
    // The tables carry face embeddings: the identities section compares them and shows the
    // closest synthetic-to-real pairs as inline thumbnails (at most 8 pairs, a few KB each).
    assert!(html.contains("<table class=\"sortable\" id=\"embedding-table\">"));
    assert!(
        html.contains("<td>ffhq</td><td>stylegan2</td>"),
        "real P against synthetic Q"
    );
    let thumbs = html.matches("<img src=\"data:image/jpeg;base64,").count();
    assert_eq!(thumbs, 16, "8 pairs of two thumbnails");
    assert!(html.len() < 400_000, "{} bytes", html.len());
}
