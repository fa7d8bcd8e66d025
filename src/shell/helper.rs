//! The rustyline helper: statement validation (a statement ends at `;`), and completion of SQL
//! keywords, table, column and function names, dot commands and file paths inside quotes.

use std::sync::{Arc, RwLock};

use rustyline::completion::{Completer, FilenameCompleter, Pair};
use rustyline::validate::Validator;
use rustyline::{Context, Helper, Highlighter, Hinter};

use crate::shell::command::COMMANDS;

/// SQL keywords offered by completion.
const KEYWORDS: &[&str] = &[
    "SELECT",
    "FROM",
    "WHERE",
    "GROUP BY",
    "ORDER BY",
    "HAVING",
    "LIMIT",
    "OFFSET",
    "JOIN",
    "LEFT JOIN",
    "INNER JOIN",
    "CROSS JOIN",
    "ON",
    "USING",
    "AS",
    "AND",
    "OR",
    "NOT",
    "IN",
    "IS NULL",
    "IS NOT NULL",
    "LIKE",
    "ILIKE",
    "BETWEEN",
    "CASE",
    "WHEN",
    "THEN",
    "ELSE",
    "END",
    "DISTINCT",
    "UNION ALL",
    "UNION",
    "WITH",
    "VALUES",
    "CREATE",
    "VIEW",
    "TABLE",
    "EXTERNAL",
    "DROP",
    "COPY",
    "TO",
    "DESCRIBE",
    "EXPLAIN",
    "SHOW",
    "TABLES",
    "COLUMNS",
    "CAST",
    "TRUE",
    "FALSE",
    "NULL",
    "ASC",
    "DESC",
    "OVER",
    "PARTITION BY",
    "FILTER",
    "COUNT",
    "SUM",
    "AVG",
    "MIN",
    "MAX",
    "UNNEST",
];

/// Names the completer offers besides keywords; refreshed by the REPL after each statement.
#[derive(Debug, Default, Clone)]
pub struct CompletionWords {
    /// Table and view names.
    pub tables: Vec<String>,
    /// Column names of every table.
    pub columns: Vec<String>,
    /// SQL function names (built-in and macsql's).
    pub functions: Vec<String>,
}

/// The shell's rustyline helper.
#[derive(Helper, Hinter, Highlighter)]
pub struct ShellHelper {
    words: Arc<RwLock<CompletionWords>>,
    files: FilenameCompleter,
}

impl ShellHelper {
    /// A helper completing from `words`.
    pub fn new(words: Arc<RwLock<CompletionWords>>) -> Self {
        ShellHelper {
            words,
            files: FilenameCompleter::new(),
        }
    }
}

/// True when the input is a complete unit: a dot command, or SQL ending with `;` outside
/// quotes and comments.
pub fn input_is_complete(input: &str) -> bool {
    let t = input.trim();
    if t.is_empty() || t.starts_with('.') {
        return true;
    }
    let mut in_single = false;
    let mut in_double = false;
    let mut last_significant: Option<char> = None;
    let mut chars = t.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' if !in_double => in_single = !in_single,
            '"' if !in_single => in_double = !in_double,
            '-' if !in_single && !in_double && chars.peek() == Some(&'-') => {
                // Line comment: skip to the end of the line.
                for n in chars.by_ref() {
                    if n == '\n' {
                        break;
                    }
                }
                continue;
            }
            _ => {}
        }
        if !c.is_whitespace() {
            last_significant = Some(c);
        }
    }
    !in_single && !in_double && last_significant == Some(';')
}

/// True when the cursor at `pos` is inside an unclosed single-quoted string.
fn inside_quote(line: &str) -> bool {
    line.chars().filter(|c| *c == '\'').count() % 2 == 1
}

impl Completer for ShellHelper {
    type Candidate = Pair;

    fn complete(&self, line: &str, pos: usize, _ctx: &Context<'_>) -> rustyline::Result<(usize, Vec<Pair>)> {
        let before = &line[..pos];
        let trimmed = before.trim_start();
        // File paths: inside quotes, or as the argument of a dot command that takes one.
        let takes_path = [".open ", ".read ", ".export "]
            .iter()
            .any(|c| trimmed.starts_with(c));
        if inside_quote(before) || takes_path {
            return self.files.complete_path(line, pos);
        }
        let start = before
            .rfind(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.'))
            .map(|i| i + 1)
            .unwrap_or(0);
        let word = &before[start..];
        if word.is_empty() {
            return Ok((pos, Vec::new()));
        }
        let mut out: Vec<Pair> = Vec::new();
        if word.starts_with('.') && start == before.len() - trimmed.len() {
            for (name, usage, _) in COMMANDS {
                if name.starts_with(word) {
                    out.push(Pair {
                        display: usage.to_string(),
                        replacement: format!("{name} "),
                    });
                }
            }
            return Ok((start, out));
        }
        let lower = word.to_ascii_lowercase();
        let words = self.words.read().expect("completion words lock");
        let mut push = |cand: &str, replacement: String| {
            if cand.to_ascii_lowercase().starts_with(&lower)
                && !out.iter().any(|p| p.replacement == replacement)
            {
                out.push(Pair {
                    display: cand.to_string(),
                    replacement,
                });
            }
        };
        for t in &words.tables {
            push(t, t.clone());
        }
        for c in &words.columns {
            let needs_quotes = c.starts_with(|ch: char| ch.is_ascii_digit())
                || !c.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_');
            push(
                c,
                if needs_quotes {
                    format!("\"{c}\"")
                } else {
                    c.clone()
                },
            );
        }
        for f in &words.functions {
            push(f, format!("{f}("));
        }
        drop(words);
        for k in KEYWORDS {
            // Keep the user's case for keywords.
            let rep = if word.chars().all(|c| !c.is_ascii_uppercase()) {
                k.to_ascii_lowercase()
            } else {
                k.to_string()
            };
            push(k, rep);
        }
        Ok((start, out))
    }
}

/// Every line is accepted as typed: the REPL gathers the lines of a statement itself, so that
/// each line after the first gets the continuation prompt (rustyline's multi-line editing shows
/// none).
impl Validator for ShellHelper {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_end_at_semicolons_outside_quotes() {
        assert!(input_is_complete("SELECT 1;"));
        assert!(input_is_complete("SELECT 1;  -- done"));
        assert!(!input_is_complete("SELECT 1"));
        assert!(!input_is_complete("SELECT ';"));
        assert!(!input_is_complete("SELECT 1 -- ;"));
        assert!(input_is_complete(".tables"));
        assert!(input_is_complete("SELECT\n  Male\nFROM t;"));
    }
}
