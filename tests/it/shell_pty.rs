//! The interactive shell driven through a real pseudo-terminal: multi-line input, tab
//! completion, Ctrl-C cancelling a query without leaving the shell, errors that keep the session.

use std::process::Command;

use crate::common::{annotate_with_default_bundle, shared_data};

/// The shell over table `data`, its history in `history`.
fn spawn_shell(data: &std::path::Path, history: &std::path::Path) -> rexpect::session::PtySession {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_macsql"));
    cmd.arg("--data")
        .arg(data)
        .env("MACSQL_HISTORY", history)
        .env("TERM", "xterm");
    rexpect::session::spawn_command(cmd, Some(60_000)).expect("spawn macsql in a pty")
}

#[test]
fn shell_handles_multiline_completion_ctrl_c_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("history.txt");
    let mut p = spawn_shell(
        &shared_data("annotations/styleflow_stylegan2_faceapi.csv"),
        &history,
    );
    p.exp_string("macsql> ").unwrap();

    // A statement over several lines runs when the `;` arrives; the lines after the first get
    // the continuation prompt.
    p.send_line("SELECT 20 +").unwrap();
    p.exp_string("   ...> ").unwrap();
    p.send_line("22 AS answer;").unwrap();
    p.exp_string("42").unwrap();
    p.exp_string("1 row").unwrap();
    p.exp_string("macsql> ").unwrap();

    // Tab completes a table name.
    p.send("SELECT count(*) AS n FROM styleflow_sty").unwrap();
    p.send("\t").unwrap();
    p.flush().unwrap();
    p.exp_string("stylegan2_faceapi").unwrap();
    p.send_line(";").unwrap();
    p.exp_string("1000").unwrap();
    p.exp_string("macsql> ").unwrap();

    // Ctrl-C on a continuation line drops the unfinished statement.
    p.send_line("SELECT 'dropped'").unwrap();
    p.exp_string("   ...> ").unwrap();
    p.send_control('c').unwrap();
    p.exp_string("macsql> ").unwrap();
    p.send_line("SELECT 'kept' AS k;").unwrap();
    p.exp_string("kept").unwrap();
    p.exp_string("1 row").unwrap();
    p.exp_string("macsql> ").unwrap();

    // A wrong dot command shows its usage and the shell goes on.
    p.send_line(".maxrows lots").unwrap();
    p.exp_string("usage: .maxrows N").unwrap();
    p.exp_string("macsql> ").unwrap();

    // An SQL error is printed and the shell goes on.
    p.send_line("SELECT * FROM missing_table;").unwrap();
    p.exp_string("missing_table").unwrap();
    p.exp_string("macsql> ").unwrap();

    // Ctrl-C cancels a long query and keeps the shell.
    p.send_line("SELECT count(*) FROM generate_series(1, 100000000000) a(x) WHERE x % 7 = 3;")
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    p.send_control('c').unwrap();
    p.exp_string("Query cancelled.").unwrap();
    p.send_line("SELECT 'still here' AS s;").unwrap();
    p.exp_string("still here").unwrap();
    // Wait for the prompt: a Ctrl-D typed before the line editor is back in raw mode is lost.
    p.exp_string("macsql> ").unwrap();

    // Ctrl-D leaves, and the history was written to the file we chose.
    p.send_control('d').unwrap();
    p.exp_eof().unwrap();
    let saved = std::fs::read_to_string(&history).unwrap();
    assert!(saved.contains("still here"), "history: {saved}");
}

/// The learned attributes of the default bundle reach the shell: `.schema` lists them and tab
/// completes their names, like any other column of an annotation table.
#[test]
fn shell_schema_and_completion_show_the_learned_attributes() {
    let dir = tempfile::tempdir().unwrap();
    let images = shared_data("images/real/ffhq");
    let list = dir.path().join("two.csv");
    let paths = ["00000.jpg", "00001.jpg"].map(|f| images.join(f).display().to_string());
    std::fs::write(&list, format!("path\n{}\n", paths.join("\n"))).unwrap();
    let out = dir.path().join("ffhq.parquet");
    annotate_with_default_bundle(&list, &out);
    let mut p = spawn_shell(&out, &dir.path().join("history.txt"));
    p.exp_string("macsql> ").unwrap();
    p.send_line(".schema ffhq").unwrap();
    // In MAAD order, every one of its columns (not cut at .maxrows).
    for column in ["Blond_Hair", "Goatee", "Heavy_Makeup_p", "Eyeglasses_p", "age"] {
        p.exp_string(column).unwrap();
    }
    p.exp_string("macsql> ").unwrap();
    p.send("SELECT avg(Blond_Hair_").unwrap();
    p.send("\t").unwrap();
    p.flush().unwrap();
    p.exp_string("Blond_Hair_p").unwrap();
    p.send_line(") AS grey FROM ffhq;").unwrap();
    p.exp_string("grey").unwrap();
    p.exp_string("1 row").unwrap();
    p.exp_string("macsql> ").unwrap();
    p.send_control('d').unwrap();
    p.exp_eof().unwrap();
}
