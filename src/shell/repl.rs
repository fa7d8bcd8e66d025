//! The interactive read-eval-print loop (rustyline): history, completion, Ctrl-C cancellation.

use std::sync::{Arc, RwLock};

use rustyline::error::ReadlineError;
use rustyline::history::DefaultHistory;
use rustyline::{CompletionType, Config, EditMode, Editor};

use crate::error::{Error, Result};
use crate::shell::ShellError;
use crate::shell::helper::{CompletionWords, ShellHelper, input_is_complete};
use crate::shell::session::{Flow, Session, history_path, terminal_width};

fn rl_err(e: ReadlineError) -> Error {
    ShellError::Terminal(e.to_string()).into()
}

/// Refreshes the names completion offers from the engine's catalog.
async fn refresh_words(session: &Session, words: &Arc<RwLock<CompletionWords>>) {
    let tables = session.engine.table_names();
    let mut columns = Vec::new();
    for t in &tables {
        if let Ok(schema) = session.engine.table_schema(t).await {
            columns.extend(schema.fields().iter().map(|f| f.name().to_string()));
        }
    }
    columns.sort();
    columns.dedup();
    let functions = session.engine.function_names();
    let mut w = words.write().expect("completion words lock");
    *w = CompletionWords {
        tables,
        columns,
        functions,
    };
}

/// The prompt of a statement's first line.
const PROMPT: &str = "macsql> ";
/// The prompt of its further lines (same width, so the lines align).
const CONTINUATION: &str = "   ...> ";

/// Runs the interactive shell until `.quit` or Ctrl-D.
pub async fn run(session: &mut Session) -> Result<()> {
    let config = Config::builder()
        .history_ignore_space(true)
        .completion_type(CompletionType::List)
        .edit_mode(EditMode::Emacs)
        .max_history_size(10_000)
        .map_err(rl_err)?
        .build();
    let mut rl: Editor<ShellHelper, DefaultHistory> = Editor::with_config(config).map_err(rl_err)?;
    let words = Arc::new(RwLock::new(CompletionWords::default()));
    rl.set_helper(Some(ShellHelper::new(words.clone())));
    let history = history_path();
    if let Some(h) = &history {
        let _ = rl.load_history(h);
    }
    if !session.options.quiet {
        eprintln!(
            "macsql {}: SQL over face-attribute annotations. .help for commands, Ctrl-D to exit.",
            env!("CARGO_PKG_VERSION")
        );
    }
    // The lines of a statement typed so far (it runs when a line ends it with `;`).
    let mut pending = String::new();
    loop {
        if pending.is_empty() {
            refresh_words(session, &words).await;
            session.options.width = terminal_width();
        }
        let prompt = if pending.is_empty() { PROMPT } else { CONTINUATION };
        match rl.readline(prompt) {
            Ok(line) => {
                if pending.is_empty() && line.trim().is_empty() {
                    continue;
                }
                if !pending.is_empty() {
                    pending.push('\n');
                }
                pending.push_str(&line);
                if !input_is_complete(&pending) {
                    continue;
                }
                let input = std::mem::take(&mut pending);
                let _ = rl.add_history_entry(input.as_str());
                let mut out = std::io::stdout();
                tokio::select! {
                    r = session.run_input(&input, &mut out) => match r {
                        Ok(Flow::Quit) => break,
                        Ok(Flow::Continue) => {}
                        Err(e) => eprintln!("Error: {e}"),
                    },
                    _ = tokio::signal::ctrl_c() => eprintln!("Query cancelled."),
                }
            }
            // Ctrl-C drops the statement being typed, as in psql and DuckDB.
            Err(ReadlineError::Interrupted) => pending.clear(),
            Err(ReadlineError::Eof) => break,
            Err(e) => return Err(rl_err(e)),
        }
    }
    if let Some(h) = &history {
        if let Some(dir) = h.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        if let Err(e) = rl.save_history(h) {
            crate::warnings::warn(format_args!("could not save history to {}: {e}", h.display()));
        }
    }
    Ok(())
}
