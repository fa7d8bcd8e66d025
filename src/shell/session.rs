//! A shell session: runs SQL and dot commands, prints results, keeps the last result for export.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use datafusion::dataframe::DataFrame;
use datafusion::sql::parser::Statement as DFStatement;
use futures::StreamExt;

use crate::engine::{Engine, read_sql_file};
use crate::error::{Error, Result};
use crate::output::PrintFormat;
use crate::output::format::{StreamPrinter, render_display};
use crate::shell::command::DotCommand;

/// How results are printed.
#[derive(Debug, Clone)]
pub struct PrintOptions {
    /// Output format.
    pub format: PrintFormat,
    /// Rows shown by display formats (0 = all).
    pub maxrows: usize,
    /// Drop timing and banner lines.
    pub quiet: bool,
    /// Print the elapsed time after each statement.
    pub timer: bool,
    /// Fit tables to this width (None: do not wrap).
    pub width: Option<u16>,
}

impl Default for PrintOptions {
    fn default() -> Self {
        PrintOptions {
            format: PrintFormat::Table,
            maxrows: 40,
            quiet: false,
            timer: true,
            width: None,
        }
    }
}

/// What a line of input asked the session to do next.
#[derive(Debug, PartialEq, Eq)]
pub enum Flow {
    /// Keep reading input.
    Continue,
    /// Leave the shell.
    Quit,
}

/// A shell session over an [`Engine`].
pub struct Session {
    /// The engine statements run on.
    pub engine: Engine,
    /// Printing options (`.mode`, `.maxrows`, `.timer`).
    pub options: PrintOptions,
    last_query: Option<DataFrame>,
}

impl Session {
    /// A session over `engine` printing with `options`.
    pub fn new(engine: Engine, options: PrintOptions) -> Self {
        Session {
            engine,
            options,
            last_query: None,
        }
    }

    /// The last query result (re-runnable), for `.export` and `.plot`.
    pub fn last_query(&self) -> Option<&DataFrame> {
        self.last_query.as_ref()
    }

    /// Runs every statement in `sql`, printing each result to `out`. When `export` is given, the
    /// result of the last statement is streamed to that file instead of being printed.
    pub async fn run_sql(&mut self, sql: &str, out: &mut dyn Write, export: Option<&Path>) -> Result<()> {
        let statements = self.engine.parse(sql)?;
        let n = statements.len();
        for (i, statement) in statements.into_iter().enumerate() {
            let is_query = matches!(&statement, DFStatement::Statement(s) if matches!(**s, datafusion::sql::sqlparser::ast::Statement::Query(_)));
            let start = Instant::now();
            let df = self.engine.plan(statement).await?;
            if is_query {
                self.last_query = Some(df.clone());
            }
            if i + 1 == n
                && let Some(path) = export
            {
                let rows = self.engine.export(df, path).await?;
                self.status(&format!("wrote {rows} rows to {}", path.display()), start);
                continue;
            }
            if df.schema().fields().is_empty() {
                // DDL (CREATE VIEW, CREATE TABLE ...): run it, print nothing, like DuckDB.
                df.collect().await?;
                continue;
            }
            self.print(df, out).await?;
            self.elapsed(start);
        }
        Ok(())
    }

    /// Prints a status line on stderr unless quiet.
    fn status(&self, msg: &str, start: Instant) {
        if !self.options.quiet {
            eprintln!("{msg} in {:.3}s", start.elapsed().as_secs_f64());
        }
    }

    fn elapsed(&self, start: Instant) {
        if self.options.timer && !self.options.quiet && self.options.format.is_display() {
            eprintln!("Elapsed {:.3}s", start.elapsed().as_secs_f64());
        }
    }

    /// Runs `df` and prints its result in the session's format.
    pub async fn print(&self, df: DataFrame, out: &mut dyn Write) -> Result<()> {
        let schema: arrow::datatypes::SchemaRef = df.schema().inner().clone();
        let mut stream = df.execute_stream().await?;
        let format = self.options.format;
        if format.is_display() {
            // Keep the first `maxrows` rows, count the rest.
            let maxrows = self.options.maxrows;
            let mut kept = Vec::new();
            let mut kept_rows = 0usize;
            let mut total = 0usize;
            while let Some(batch) = stream.next().await {
                let batch = batch?;
                total += batch.num_rows();
                if maxrows == 0 || kept_rows < maxrows {
                    kept_rows += batch.num_rows();
                    kept.push(batch);
                }
            }
            let text = render_display(format, &schema, &kept, total, maxrows, self.options.width)?;
            out.write_all(text.as_bytes())
                .map_err(|e| Error::io("<stdout>", e))?;
        } else {
            let mut printer = StreamPrinter::new(format, &mut *out);
            printer.header(&schema)?;
            while let Some(batch) = stream.next().await {
                printer.batch(&batch?)?;
            }
            printer.finish(&schema)?;
        }
        out.flush().map_err(|e| Error::io("<stdout>", e))?;
        Ok(())
    }

    /// Runs the `.sql` file at `path`.
    pub async fn run_file(&mut self, path: &Path, out: &mut dyn Write, export: Option<&Path>) -> Result<()> {
        let sql = read_sql_file(path)?;
        self.run_sql(&sql, out, export)
            .await
            .map_err(|e| Error::in_file(path, e))
    }

    /// Runs a dot command line (e.g. `.schema t`).
    pub async fn run_dot(&mut self, line: &str, out: &mut dyn Write) -> Result<Flow> {
        let command: DotCommand = line.parse()?;
        command.execute(self, out).await
    }

    /// Runs one complete input: a dot command or SQL statements.
    pub async fn run_input(&mut self, input: &str, out: &mut dyn Write) -> Result<Flow> {
        let trimmed = input.trim();
        if trimmed.starts_with('.') {
            return self.run_dot(trimmed, out).await;
        }
        if !trimmed.is_empty() {
            self.run_sql(trimmed, out, None).await?;
        }
        Ok(Flow::Continue)
    }

    /// Exports the last query result to `path` (format from the extension).
    pub async fn export_last(&mut self, path: &Path) -> Result<u64> {
        let df = self
            .last_query
            .clone()
            .ok_or(super::ShellError::NoResult("export"))?;
        self.engine.export(df, path).await
    }
}

/// The width of the terminal on stdout, if stdout is one.
pub fn terminal_width() -> Option<u16> {
    if std::io::stdout().is_terminal() {
        // A pseudo-terminal may report no size (0 columns): treat tiny widths as unknown.
        crossterm::terminal::size()
            .ok()
            .map(|(w, _)| w)
            .filter(|w| *w >= 20)
    } else {
        None
    }
}

/// Where the shell keeps its history: `$MACSQL_HISTORY`, else the user's data directory.
pub fn history_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("MACSQL_HISTORY") {
        return Some(PathBuf::from(p));
    }
    dirs::data_dir().map(|d| d.join("macsql").join("history.txt"))
}
