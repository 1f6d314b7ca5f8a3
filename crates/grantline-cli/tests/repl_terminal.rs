//! `grantline repl` in a pseudo-terminal, driven as a person would type:
//! the line editor, its continuation prompt, tab completion and history.
#![cfg(unix)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::process::Command;

use rexpect::session::{spawn_command, PtySession};

const PROMPT: &str = "grantline> ";
/// Generous: a debug build on a busy machine.
const TIMEOUT_MS: u64 = 10_000;

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// An empty data folder of this test's own, for the history file.
fn data_folder(test: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!(
        "grantline-repl-terminal-{}-{test}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&path);
    std::fs::create_dir_all(&path).unwrap();
    path
}

/// Starts `grantline repl policies` and waits for its first prompt.
fn start(data: &Path) -> PtySession {
    let mut command = Command::new(env!("CARGO_BIN_EXE_grantline"));
    command
        .args(["repl", "policies"])
        .current_dir(root())
        .env("NO_COLOR", "1")
        .env("TERM", "xterm")
        .env("HOME", data)
        .env("XDG_DATA_HOME", data);
    let mut repl = spawn_command(command, Some(TIMEOUT_MS)).unwrap();
    repl.exp_string("rules").unwrap();
    repl.exp_string(":help").unwrap();
    repl.exp_string(PROMPT).unwrap();
    repl
}

/// Types a line and presses Enter, as a terminal sends it (`\r`).
fn enter(repl: &mut PtySession, line: &str) {
    repl.send(line).unwrap();
    repl.send("\r").unwrap();
    repl.flush().unwrap();
}

/// Leaves with Ctrl-D and waits for the end.
fn quit(mut repl: PtySession) {
    repl.send_control('d').unwrap();
    repl.exp_eof().unwrap();
}

#[test]
fn a_statement_spans_several_lines_behind_a_continuation_prompt() {
    let data = data_folder("multi-line");
    let mut repl = start(&data);
    enter(&mut repl, "rule repl-test:");
    // The statement is not finished: the prompt stays open.
    repl.exp_string("... ").unwrap();
    enter(&mut repl, "    anyone");
    repl.exp_string("... ").unwrap();
    enter(&mut repl, "    grants slack");
    repl.exp_string("rule `repl-test` defined").unwrap();
    repl.exp_string(PROMPT).unwrap();
    enter(&mut repl, ":rules repl-test");
    repl.exp_string("repl-test (<session>:1)").unwrap();
    repl.exp_string("grants slack").unwrap();
    repl.exp_string(PROMPT).unwrap();
    quit(repl);
    // The whole statement is one entry of the history file.
    let history = std::fs::read_to_string(data.join("grantline/history.txt")).unwrap();
    assert!(history.contains("rule repl-test:"), "{history}");
    assert!(history.contains(":rules repl-test"), "{history}");
    let _ = std::fs::remove_dir_all(&data);
}

#[test]
fn tab_completes_commands_and_names() {
    let data = data_folder("completion");
    let mut repl = start(&data);
    repl.send(":exp\t").unwrap();
    repl.flush().unwrap();
    repl.exp_string(":explain ").unwrap();
    // A unique entitlement name: `netsuite.appr` + Tab.
    repl.send("netsuite.appr\t").unwrap();
    repl.flush().unwrap();
    repl.exp_string("netsuite.approver").unwrap();
    repl.send("\r").unwrap();
    repl.flush().unwrap();
    repl.exp_string("netsuite.approver not granted").unwrap();
    repl.exp_string(PROMPT).unwrap();
    quit(repl);
    let _ = std::fs::remove_dir_all(&data);
}

#[test]
fn an_error_does_not_end_the_session() {
    let data = data_folder("recovery");
    let mut repl = start(&data);
    enter(&mut repl, "rule broken: anyone grants slak");
    repl.exp_string("grantline::unknown-entitlement").unwrap();
    repl.exp_string("the session is unchanged").unwrap();
    repl.exp_string(PROMPT).unwrap();
    enter(&mut repl, ":evl");
    repl.exp_string("did you mean `:eval`?").unwrap();
    repl.exp_string(PROMPT).unwrap();
    enter(&mut repl, ":set department Sales");
    repl.exp_string(PROMPT).unwrap();
    enter(&mut repl, ":eval");
    repl.exp_string("warnings:").unwrap();
    repl.exp_string(PROMPT).unwrap();
    quit(repl);
    let _ = std::fs::remove_dir_all(&data);
}

#[test]
fn alt_enter_puts_a_clause_on_a_line_of_its_own() {
    let data = data_folder("alt-enter");
    let mut repl = start(&data);
    // Complete after `grants slack`, but Alt-Enter (Esc, Enter) goes on.
    repl.send("rule repl-window: anyone grants slack\x1b\r")
        .unwrap();
    repl.flush().unwrap();
    repl.exp_string("... ").unwrap();
    enter(&mut repl, "    until 2027-06-30");
    repl.exp_string("rule `repl-window` defined").unwrap();
    repl.exp_string(PROMPT).unwrap();
    enter(&mut repl, ":rules repl-window");
    repl.exp_string("until 2027-06-30").unwrap();
    repl.exp_string(PROMPT).unwrap();
    quit(repl);
    let _ = std::fs::remove_dir_all(&data);
}

#[test]
fn history_is_kept_across_sessions() {
    let data = data_folder("history");
    let mut first = start(&data);
    enter(&mut first, ":at 2031-01-02");
    first.exp_string(PROMPT).unwrap();
    quit(first);
    let mut second = start(&data);
    // The up arrow brings back the last input of the session before.
    second.send("\x1b[A").unwrap();
    second.flush().unwrap();
    second.exp_string(":at 2031-01-02").unwrap();
    second.send("\r").unwrap();
    second.flush().unwrap();
    second.exp_string(PROMPT).unwrap();
    enter(&mut second, ":at");
    second
        .exp_string("at 2031-01-02 (2031-01-02T00:00:00Z)")
        .unwrap();
    second.exp_string(PROMPT).unwrap();
    quit(second);
    let _ = std::fs::remove_dir_all(&data);
}
