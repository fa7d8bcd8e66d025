//! Result formats for `--format` and `.mode`: table, csv, tsv, json, ndjson, markdown.

use std::fmt;
use std::io::Write;
use std::str::FromStr;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;

use super::OutputError;
use crate::foreign::ForeignError;
use crate::output::{table, text};

type Result<T, E = OutputError> = std::result::Result<T, E>;

/// How query results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum PrintFormat {
    /// A table that fits the terminal width.
    #[default]
    Table,
    /// Comma-separated values: a header row, then rows, nothing else.
    Csv,
    /// Tab-separated values: a header row, then rows.
    Tsv,
    /// One JSON array of objects.
    Json,
    /// One JSON object per line.
    Ndjson,
    /// A Markdown table.
    Markdown,
}

impl PrintFormat {
    /// Every format's name, for help and completion.
    pub const NAMES: &'static [&'static str] = &["table", "csv", "tsv", "json", "ndjson", "markdown"];

    /// True for the formats that show a row limit (`--maxrows`) and row-count footer.
    pub fn is_display(self) -> bool {
        matches!(self, PrintFormat::Table | PrintFormat::Markdown)
    }
}

impl FromStr for PrintFormat {
    type Err = OutputError;
    fn from_str(s: &str) -> Result<Self> {
        <Self as clap::ValueEnum>::from_str(s, true)
            .map_err(|_| OutputError::UnknownFormat { name: s.to_string() })
    }
}

impl fmt::Display for PrintFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = *self as usize;
        f.write_str(Self::NAMES[i])
    }
}

/// Writes batches in a machine-readable format (csv, tsv, json, ndjson) as they arrive.
pub struct StreamPrinter<W: Write> {
    format: PrintFormat,
    out: W,
    rows: usize,
    header_done: bool,
}

impl<W: Write> StreamPrinter<W> {
    /// A printer for `format` (csv, tsv, json or ndjson) writing to `out`.
    pub fn new(format: PrintFormat, out: W) -> Self {
        StreamPrinter {
            format,
            out,
            rows: 0,
            header_done: false,
        }
    }

    /// Writes the header (for csv / tsv) even when no batch arrives.
    pub fn header(&mut self, schema: &SchemaRef) -> Result<()> {
        if self.header_done {
            return Ok(());
        }
        self.header_done = true;
        match self.format {
            PrintFormat::Csv | PrintFormat::Tsv => {
                let sep = if self.format == PrintFormat::Csv {
                    ","
                } else {
                    "\t"
                };
                let names: Vec<String> = schema
                    .fields()
                    .iter()
                    .map(|f| quote_delimited(f.name(), sep))
                    .collect();
                writeln!(self.out, "{}", names.join(sep)).map_err(out_err)?;
            }
            PrintFormat::Json => write!(self.out, "[").map_err(out_err)?,
            _ => {}
        }
        Ok(())
    }

    /// Writes one batch.
    pub fn batch(&mut self, batch: &RecordBatch) -> Result<()> {
        self.header(&batch.schema())?;
        if batch.num_rows() == 0 {
            return Ok(());
        }
        match self.format {
            PrintFormat::Csv | PrintFormat::Tsv => {
                let delimiter = if self.format == PrintFormat::Csv {
                    b','
                } else {
                    b'\t'
                };
                let flat = text::flatten_nested(batch)?;
                // Formatted into memory, then written: arrow's writers turn an I/O error into
                // text, and a closed pipe (`| head`) must stay recognisable as one.
                let mut buf = Vec::new();
                arrow::csv::WriterBuilder::new()
                    .with_header(false)
                    .with_delimiter(delimiter)
                    .build(&mut buf)
                    .write(&flat)?;
                self.out.write_all(&buf).map_err(out_err)?;
            }
            PrintFormat::Ndjson => {
                let mut buf = Vec::new();
                {
                    let mut w = arrow::json::LineDelimitedWriter::new(&mut buf);
                    w.write(batch)?;
                    w.finish()?;
                }
                self.out.write_all(&buf).map_err(out_err)?;
            }
            PrintFormat::Json => {
                let mut buf = Vec::new();
                {
                    let mut w = arrow::json::LineDelimitedWriter::new(&mut buf);
                    w.write(batch)?;
                    w.finish()?;
                }
                for line in buf.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
                    if self.rows > 0 {
                        write!(self.out, ",").map_err(out_err)?;
                    }
                    self.out.write_all(line).map_err(out_err)?;
                    self.rows += 1;
                }
                return Ok(());
            }
            PrintFormat::Table | PrintFormat::Markdown => {
                return Err(OutputError::NotStreamed(self.format));
            }
        }
        self.rows += batch.num_rows();
        Ok(())
    }

    /// Ends the output (closes the JSON array) and flushes.
    pub fn finish(mut self, schema: &SchemaRef) -> Result<usize> {
        self.header(schema)?;
        if self.format == PrintFormat::Json {
            writeln!(self.out, "]").map_err(out_err)?;
        }
        self.out.flush().map_err(out_err)?;
        Ok(self.rows)
    }
}

fn quote_delimited(s: &str, sep: &str) -> String {
    if s.contains(sep) || s.contains('"') || s.contains('\n') {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn out_err(e: std::io::Error) -> ForeignError {
    ForeignError::io("<stdout>", e)
}

/// Renders collected batches as a display format (table or markdown), showing at most
/// `maxrows` rows (0 = all) out of `total_rows`, fitted to `width` columns when given.
pub fn render_display(
    format: PrintFormat,
    schema: &SchemaRef,
    batches: &[RecordBatch],
    total_rows: usize,
    maxrows: usize,
    width: Option<u16>,
) -> Result<String> {
    match format {
        PrintFormat::Markdown => table::render_markdown(schema, batches, maxrows),
        _ => table::render_table(schema, batches, total_rows, maxrows, width),
    }
}
