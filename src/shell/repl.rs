//! The interactive read-eval-print loop (rustyline): history, completion, Ctrl-C cancellation.

use std::sync::{Arc, RwLock};

use rustyline::error::ReadlineError;
use rustyline::history::DefaultHistory;
use rustyline::{CompletionType, Config, EditMode, Editor};

use crate::error::{Error, Result};
use crate::shell::helper::{CompletionWords, ShellHelper};
use crate::shell::session::{Flow, Session, history_path, terminal_width};

fn rl_err(e: ReadlineError) -> Error {
    Error::InvalidArgument(format!("terminal: {e}"))
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
    loop {
        refresh_words(session, &words).await;
        session.options.width = terminal_width();
        match rl.readline("macsql> ") {
            Ok(line) => {
                if line.trim().is_empty() {
                    continue;
                }
                let _ = rl.add_history_entry(line.as_str());
                let mut out = std::io::stdout();
                tokio::select! {
                    r = session.run_input(&line, &mut out) => match r {
                        Ok(Flow::Quit) => break,
                        Ok(Flow::Continue) => {}
                        Err(e) => eprintln!("Error: {e}"),
                    },
                    _ = tokio::signal::ctrl_c() => eprintln!("Query cancelled."),
                }
            }
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break,
            Err(e) => return Err(rl_err(e)),
        }
    }
    if let Some(h) = &history {
        if let Some(dir) = h.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        if let Err(e) = rl.save_history(h) {
            eprintln!("warning: could not save history to {}: {e}", h.display());
        }
    }
    Ok(())
}
