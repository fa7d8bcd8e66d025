//! Running the engine's work off the GIL: one tokio runtime for the module, and a wait that
//! checks for Ctrl-C (KeyboardInterrupt) every 50 ms and cancels the work when it comes.

use std::future::Future;
use std::sync::OnceLock;
use std::time::Duration;

use pyo3::prelude::*;
use tokio::runtime::Runtime;

/// How often a waiting call looks for a pending signal.
const POLL: Duration = Duration::from_millis(50);

/// The runtime every query runs on (worker threads: one per core).
pub fn runtime() -> &'static Runtime {
    static RT: OnceLock<Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .thread_name("macsql")
            .build()
            .expect("a tokio runtime can be built")
    })
}

/// Runs `work` on the runtime with the GIL released; a KeyboardInterrupt (or any exception a
/// signal handler raises) while it runs cancels it (the task is aborted: a running query stops)
/// and is raised.
pub fn run<T, F>(py: Python<'_>, work: F) -> PyResult<T>
where
    T: Send + 'static,
    F: Future<Output = macsql::Result<T>> + Send + 'static,
{
    let (tx, rx) = crossbeam_channel::bounded(1);
    let task = runtime().spawn(async move {
        let _ = tx.send(work.await);
    });
    loop {
        match py.detach(|| rx.recv_timeout(POLL)) {
            Ok(result) => return result.map_err(crate::errors::to_py),
            Err(crossbeam_channel::RecvTimeoutError::Timeout) => {
                if let Err(e) = py.check_signals() {
                    task.abort();
                    return Err(e);
                }
            }
            Err(crossbeam_channel::RecvTimeoutError::Disconnected) => {
                return Err(crate::errors::Error::new_err(
                    "the query's task ended without a result",
                ));
            }
        }
    }
}

/// Runs blocking `work` on its own thread with the GIL released, looking for signals meanwhile;
/// on one, `cancel` is called (the work must then end soon), its end awaited, and the signal's
/// exception raised.
pub fn run_blocking<T, W>(py: Python<'_>, work: W, cancel: impl Fn()) -> PyResult<T>
where
    T: Send + 'static,
    W: FnOnce() -> macsql::Result<T> + Send + 'static,
{
    let (tx, rx) = crossbeam_channel::bounded(1);
    let thread = std::thread::spawn(move || {
        let _ = tx.send(work());
    });
    let mut interrupted: Option<PyErr> = None;
    loop {
        match py.detach(|| rx.recv_timeout(POLL)) {
            Ok(result) => {
                let _ = thread.join();
                return match interrupted {
                    Some(e) => Err(e),
                    None => result.map_err(crate::errors::to_py),
                };
            }
            Err(crossbeam_channel::RecvTimeoutError::Timeout) => {
                if interrupted.is_none()
                    && let Err(e) = py.check_signals()
                {
                    cancel();
                    interrupted = Some(e);
                }
            }
            Err(crossbeam_channel::RecvTimeoutError::Disconnected) => {
                let _ = thread.join();
                return Err(interrupted.unwrap_or_else(|| {
                    crate::errors::Error::new_err("the work's thread ended without a result")
                }));
            }
        }
    }
}
