//! Warnings from library code (an image `mac_annotate()` could not read, ...), all through one
//! place: by default each is printed on stderr as `warning: ...`, which is what the shell and
//! batch mode show; a program embedding macsql can take them instead with [`set_handler`].

use std::fmt::Display;
use std::sync::RwLock;

/// Where warnings go instead of stderr.
pub type Handler = Box<dyn Fn(&str) + Send + Sync>;

static HANDLER: RwLock<Option<Handler>> = RwLock::new(None);

/// Sends `message` to the handler, or prints it on stderr as `warning: {message}`.
pub fn warn(message: impl Display) {
    let text = message.to_string();
    let handler = HANDLER.read().unwrap_or_else(|p| p.into_inner());
    match handler.as_ref() {
        Some(h) => h(&text),
        None => eprintln!("warning: {text}"),
    }
}

/// Sends every later warning to `handler` (`None`: back to stderr).
pub fn set_handler(handler: Option<Handler>) {
    *HANDLER.write().unwrap_or_else(|p| p.into_inner()) = handler;
}
