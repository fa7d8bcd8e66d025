//! Dot commands of the shell (`.help`, `.tables`, `.schema`, ...): parsing, help and execution.

use std::io::Write;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Instant;

use crate::error::{Error, Result};
use crate::output::PrintFormat;
use crate::plot::{ImageFormat, PlotKind};
use crate::shell::ShellError;
use crate::shell::session::{Flow, Session};

/// Every dot command: (name, usage, what it does). Drives `.help` and completion.
pub const COMMANDS: &[(&str, &str, &str)] = &[
    (".help", ".help", "show this list"),
    (".tables", ".tables", "list tables and views"),
    (
        ".schema",
        ".schema [TABLE]",
        "show the columns of one table, or of all tables",
    ),
    (
        ".open",
        ".open PATH [AS NAME]",
        "register a file or folder as a table",
    ),
    (
        ".mode",
        ".mode table|csv|tsv|json|ndjson|markdown",
        "set the output format",
    ),
    (
        ".maxrows",
        ".maxrows N",
        "show at most N rows of a result (0 = all)",
    ),
    (".timer", ".timer on|off", "print how long each statement took"),
    (".read", ".read FILE.sql", "run the statements of a file"),
    (
        ".export",
        ".export PATH",
        "write the last result to PATH (csv, tsv, parquet, json, ndjson, arrow)",
    ),
    (
        ".plot",
        ".plot [bars|heatmap|asymmetry] [PATH.svg|PATH.png]",
        "chart the last result in the terminal, or into an SVG / PNG file",
    ),
    (
        ".report",
        ".report PATH.html [--table T] [--by COL] [--attributes A,B] [--where COND] [--subgroups A,B] [--options OPTS] [--title T]",
        "write an HTML report comparing the datasets of the registered tables",
    ),
    (".functions", ".functions", "list macsql's own SQL functions"),
    (".quit", ".quit", "leave the shell (also .exit or Ctrl-D)"),
];

/// A parsed dot command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DotCommand {
    /// `.help`
    Help,
    /// `.tables`
    Tables,
    /// `.schema [TABLE]`
    Schema(Option<String>),
    /// `.open PATH [AS NAME]`
    Open(PathBuf, Option<String>),
    /// `.mode FORMAT`
    Mode(PrintFormat),
    /// `.maxrows N`
    MaxRows(usize),
    /// `.timer on|off`
    Timer(bool),
    /// `.read FILE`
    Read(PathBuf),
    /// `.export PATH`
    Export(PathBuf),
    /// `.plot [KIND] [PATH]`: chart the last result (terminal when no path).
    Plot(PlotKind, Option<PathBuf>),
    /// `.report PATH [options]`
    Report(PathBuf, Box<crate::report::ReportOptions>),
    /// `.functions`
    Functions,
    /// `.quit` / `.exit`
    Quit,
}

fn usage(name: &str) -> Error {
    let usage = COMMANDS
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, u, _)| *u)
        .unwrap_or(".help");
    ShellError::Usage(usage).into()
}

/// Splits a dot command's arguments, honouring single and double quotes.
fn split_args(s: &str) -> Vec<String> {
    let mut args = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut has = false;
    for c in s.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => cur.push(c),
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                has = true;
            }
            None if c.is_whitespace() => {
                if has {
                    args.push(std::mem::take(&mut cur));
                    has = false;
                }
            }
            None => {
                cur.push(c);
                has = true;
            }
        }
    }
    if has {
        args.push(cur);
    }
    args
}

impl FromStr for DotCommand {
    type Err = Error;
    fn from_str(line: &str) -> Result<Self> {
        let line = line.trim().trim_end_matches(';').trim();
        let (name, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        let args = split_args(rest);
        let n = args.len();
        Ok(match name {
            ".help" | ".h" | ".?" => DotCommand::Help,
            ".tables" if n == 0 => DotCommand::Tables,
            ".schema" if n <= 1 => DotCommand::Schema(args.into_iter().next()),
            ".open" if n == 1 => DotCommand::Open(PathBuf::from(&args[0]), None),
            ".open" if n == 3 && args[1].eq_ignore_ascii_case("as") => {
                DotCommand::Open(PathBuf::from(&args[0]), Some(args[2].clone()))
            }
            ".mode" if n == 1 => DotCommand::Mode(args[0].parse().map_err(ShellError::Mode)?),
            ".maxrows" if n == 1 => DotCommand::MaxRows(args[0].parse().map_err(|_| usage(".maxrows"))?),
            ".timer" if n == 1 => match args[0].as_str() {
                "on" => DotCommand::Timer(true),
                "off" => DotCommand::Timer(false),
                _ => return Err(usage(".timer")),
            },
            ".read" if n == 1 => DotCommand::Read(PathBuf::from(&args[0])),
            ".export" if n == 1 => DotCommand::Export(PathBuf::from(&args[0])),
            ".plot" if n <= 2 => parse_plot(&args)?,
            ".report" if n >= 1 => parse_report(&args)?,
            ".functions" if n == 0 => DotCommand::Functions,
            ".quit" | ".exit" | ".q" => DotCommand::Quit,
            known if COMMANDS.iter().any(|(c, _, _)| *c == known) => return Err(usage(known)),
            other => {
                return Err(ShellError::UnknownCommand(other.to_string()).into());
            }
        })
    }
}

/// `.plot [KIND] [PATH]`: a kind name, a .svg / .png path, both (kind first) or neither.
fn parse_plot(args: &[String]) -> Result<DotCommand> {
    let path = |a: &str| -> Result<PathBuf> {
        let p = PathBuf::from(a);
        ImageFormat::from_path(&p)?;
        Ok(p)
    };
    Ok(match args {
        [] => DotCommand::Plot(PlotKind::Auto, None),
        [one] => match one.parse::<PlotKind>() {
            Ok(kind) => DotCommand::Plot(kind, None),
            Err(_) if one.contains('.') => DotCommand::Plot(PlotKind::Auto, Some(path(one)?)),
            Err(e) => return Err(e.into()),
        },
        [kind, file] => DotCommand::Plot(kind.parse()?, Some(path(file)?)),
        _ => return Err(usage(".plot")),
    })
}

/// `.report PATH.html [--key value]...`: the options of `macsql report` that make sense for
/// tables already registered.
fn parse_report(args: &[String]) -> Result<DotCommand> {
    let path = PathBuf::from(&args[0]);
    let mut o = crate::report::ReportOptions {
        command: format!(".report {}", args.join(" ")),
        ..Default::default()
    };
    let list = |v: &str| -> Vec<String> {
        v.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect()
    };
    let mut rest = args[1..].iter();
    while let Some(key) = rest.next() {
        let value = rest.next().ok_or_else(|| usage(".report"))?.clone();
        match key.as_str() {
            "--table" => o.tables.push(value),
            "--by" => o.by = value,
            "--kind-column" => o.kind_column = value,
            "--attributes" => o.attributes = list(&value),
            "--where" => o.where_ = Some(value),
            "--subgroups" => o.subgroups = list(&value),
            "--options" => o.options = value,
            "--title" => o.title = Some(value),
            _ => return Err(usage(".report")),
        }
    }
    Ok(DotCommand::Report(path, Box::new(o)))
}

/// The text of `.help`.
pub fn help_text() -> String {
    let width = COMMANDS.iter().map(|(_, u, _)| u.len()).max().unwrap_or(0);
    let mut s = String::new();
    for (_, usage, what) in COMMANDS {
        s.push_str(&format!("{usage:width$}  {what}\n"));
    }
    s.push_str(
        "\nSQL statements end with ';' and may span lines. Ctrl-C cancels a running query, Ctrl-D exits.\n",
    );
    s
}

impl DotCommand {
    /// Runs the command in `session`, printing to `out`.
    pub async fn execute(self, session: &mut Session, out: &mut dyn Write) -> Result<Flow> {
        let w =
            |out: &mut dyn Write, s: &str| out.write_all(s.as_bytes()).map_err(|e| Error::io("<stdout>", e));
        match self {
            DotCommand::Help => w(out, &help_text())?,
            DotCommand::Quit => return Ok(Flow::Quit),
            DotCommand::Tables => {
                let sql = "SELECT table_name AS name, table_type AS type FROM information_schema.tables \
                           WHERE table_schema = 'public' ORDER BY table_name";
                session.run_sql(sql, out, None).await?;
            }
            DotCommand::Schema(table) => {
                let sql = match table {
                    Some(t) => {
                        if session.engine.table_names().iter().all(|n| *n != t) {
                            return Err(ShellError::NoTable(t).into());
                        }
                        format!(
                            "SELECT column_name AS column, data_type AS type, is_nullable AS nullable \
                             FROM information_schema.columns WHERE table_schema = 'public' AND table_name = '{}' \
                             ORDER BY ordinal_position",
                            t.replace('\'', "''")
                        )
                    }
                    None => "SELECT table_name AS table, column_name AS column, data_type AS type \
                             FROM information_schema.columns WHERE table_schema = 'public' \
                             ORDER BY table_name, ordinal_position"
                        .to_string(),
                };
                // The whole schema, however many columns (an annotation table has over 100):
                // `.maxrows` is for query results.
                let keep = std::mem::replace(&mut session.options.maxrows, 0);
                let shown = session.run_sql(&sql, out, None).await;
                session.options.maxrows = keep;
                shown?;
            }
            DotCommand::Open(path, name) => {
                let name = session.engine.register_path(&path, name.as_deref()).await?;
                w(out, &format!("registered {} as table {name}\n", path.display()))?;
            }
            DotCommand::Mode(format) => session.options.format = format,
            DotCommand::MaxRows(n) => session.options.maxrows = n,
            DotCommand::Timer(on) => session.options.timer = on,
            DotCommand::Read(path) => session.run_file(&path, out, None).await?,
            DotCommand::Export(path) => {
                let start = Instant::now();
                let rows = session.export_last(&path).await?;
                w(
                    out,
                    &format!(
                        "wrote {rows} rows to {} in {:.3}s\n",
                        path.display(),
                        start.elapsed().as_secs_f64()
                    ),
                )?;
            }
            DotCommand::Plot(kind, path) => {
                let df = session
                    .last_query()
                    .cloned()
                    .ok_or(ShellError::NoResult("plot"))?;
                let text =
                    crate::plot::plot_dataframe(df, kind, path.as_deref(), session.options.width).await?;
                w(out, &text)?;
            }
            DotCommand::Report(path, opts) => {
                let s = crate::report::write_report(&session.engine, &opts, &path).await?;
                w(
                    out,
                    &format!(
                        "{}\nwrote {} ({} KiB: {} datasets, {} attributes) in {:.2}s\n",
                        s.headline,
                        path.display(),
                        s.bytes.div_ceil(1024),
                        s.datasets,
                        s.attributes,
                        s.seconds
                    ),
                )?;
            }
            DotCommand::Functions => {
                let names = crate::functions::names();
                w(out, &format!("{}\n", names.join("\n")))?;
            }
        }
        Ok(Flow::Continue)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_commands_and_quoted_paths() {
        assert_eq!(
            ".open 'my data.csv' AS t".parse::<DotCommand>().unwrap(),
            DotCommand::Open(PathBuf::from("my data.csv"), Some("t".into()))
        );
        assert_eq!(
            ".maxrows 5;".parse::<DotCommand>().unwrap(),
            DotCommand::MaxRows(5)
        );
        assert_eq!(
            ".mode CSV".parse::<DotCommand>().unwrap(),
            DotCommand::Mode(PrintFormat::Csv)
        );
        assert_eq!(
            ".plot heatmap 'kl map.png'".parse::<DotCommand>().unwrap(),
            DotCommand::Plot(PlotKind::Heatmap, Some(PathBuf::from("kl map.png")))
        );
        assert_eq!(
            ".plot out.svg".parse::<DotCommand>().unwrap(),
            DotCommand::Plot(PlotKind::Auto, Some(PathBuf::from("out.svg")))
        );
        assert_eq!(
            ".plot".parse::<DotCommand>().unwrap(),
            DotCommand::Plot(PlotKind::Auto, None)
        );
    }

    #[test]
    fn wrong_commands_show_usage() {
        let e = ".maxrows many".parse::<DotCommand>().unwrap_err().to_string();
        assert_eq!(e, "usage: .maxrows N");
        let e = ".timer".parse::<DotCommand>().unwrap_err().to_string();
        assert_eq!(e, "usage: .timer on|off");
        let e = ".plot pie".parse::<DotCommand>().unwrap_err().to_string();
        assert!(e.contains("unknown chart kind 'pie'"), "{e}");
        let e = ".plot chart.pdf".parse::<DotCommand>().unwrap_err().to_string();
        assert!(e.contains("chart.pdf: charts are written as .svg or .png"), "{e}");
        let e = ".frobnicate".parse::<DotCommand>().unwrap_err().to_string();
        assert!(e.contains("unknown command '.frobnicate'"), "{e}");
    }
}
