//! `grantline repl`: an interactive shell to write rules and try them on an
//! identity. See `docs/repl.md`.
//!
//! The REPL is a [`Session`] that runs one input at a time and returns what
//! to print; two front ends drive it: the line editor (rustyline) when
//! standard input is a terminal, and a plain reader of standard input
//! otherwise, for scripts.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

use rustyline::error::ReadlineError;
use rustyline::history::DefaultHistory;
use rustyline::{CompletionType, Config, Editor, EventHandler, KeyCode, KeyEvent, Modifiers};

use crate::Failure;

mod helper;
mod input;
mod session;
mod show;
mod sources;
pub(crate) mod suggest;
mod values;

use helper::{ContinuationPrompt, ReplHelper};
use input::{completeness, is_command, strip_continuation, Completeness, PROMPT};
pub use session::{Message, Outcome, Session};

/// Starts the REPL, loading `policies` first if given.
pub fn run(policies: Option<&Path>) -> Result<(), Failure> {
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let mut session = Session::new(color).map_err(Failure::Input)?;
    let mut start = match policies {
        Some(path) => session.load(path),
        None => Outcome::default(),
    };
    if start.failed || policies.is_none() {
        start.messages.push(Message::Out(session.summary()));
    }
    if std::io::stdin().is_terminal() {
        interactive(session, &start)
    } else {
        piped(session, start)
    }
}

/// Prints an outcome: results on standard output, errors on standard error.
fn print(outcome: &Outcome) -> Result<(), Failure> {
    for message in &outcome.messages {
        let result = match message {
            Message::Out(text) => {
                let mut out = std::io::stdout().lock();
                out.write_all(session::with_newline(text).as_bytes())
                    .and_then(|()| out.flush())
            }
            Message::Err(text) => {
                let mut err = std::io::stderr().lock();
                err.write_all(session::with_newline(text).as_bytes())
                    .and_then(|()| err.flush())
            }
        };
        if let Err(error) = result {
            // A closed pipe (`grantline repl < script | head`) ends quietly.
            return Err(if error.kind() == std::io::ErrorKind::BrokenPipe {
                Failure::Reported
            } else {
                Failure::Input(format!("cannot write output: {error}"))
            });
        }
    }
    Ok(())
}

/// Standard input is not a terminal: read commands and statements line by
/// line, no prompts. A statement runs once the parser finds it complete, or
/// at an empty line, a command line or the end of the input. Exit status 1
/// if anything failed.
fn piped(mut session: Session, start: Outcome) -> Result<(), Failure> {
    print(&start)?;
    let mut failed = start.failed;
    let mut pending = String::new();
    let mut lines = std::io::stdin().lock().lines();
    loop {
        let line =
            match lines.next() {
                Some(line) => Some(line.map_err(|error| {
                    Failure::Input(format!("cannot read standard input: {error}"))
                })?),
                None => None,
            };
        let mut inputs = Vec::new();
        match &line {
            None => inputs.push(std::mem::take(&mut pending)),
            Some(line) if is_command(line) => {
                inputs.push(std::mem::take(&mut pending));
                inputs.push(line.clone());
            }
            Some(line) if line.trim().is_empty() => inputs.push(std::mem::take(&mut pending)),
            Some(line) => {
                pending.push_str(line);
                pending.push('\n');
                if completeness(&pending) == Completeness::Complete {
                    inputs.push(std::mem::take(&mut pending));
                }
            }
        }
        for input in inputs.iter().filter(|input| !input.trim().is_empty()) {
            let outcome = session.execute(input);
            failed |= outcome.failed;
            print(&outcome)?;
            if outcome.quit {
                return finish(failed);
            }
        }
        if line.is_none() {
            return finish(failed);
        }
    }
}

fn finish(failed: bool) -> Result<(), Failure> {
    if failed {
        Err(Failure::Reported)
    } else {
        Ok(())
    }
}

/// `dirs::data_dir()/grantline/history.txt`, created if missing; `None`
/// when there is no data directory or it cannot be written.
fn history_file() -> Option<PathBuf> {
    let folder = dirs::data_dir()?.join("grantline");
    std::fs::create_dir_all(&folder).ok()?;
    let path = folder.join("history.txt");
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .ok()?;
    Some(path)
}

/// Standard input is a terminal: the line editor, with completion, history
/// and multi-line statements. No error ends the session.
fn interactive(mut session: Session, start: &Outcome) -> Result<(), Failure> {
    let config = Config::builder()
        .auto_add_history(false)
        .completion_type(CompletionType::List)
        .max_history_size(1000)
        .map_err(|error| Failure::Input(format!("cannot start the line editor: {error}")))?
        .build();
    let mut editor: Editor<ReplHelper, DefaultHistory> = Editor::with_config(config)
        .map_err(|error| Failure::Input(format!("cannot start the line editor: {error}")))?;
    editor.set_helper(Some(ReplHelper::new(session.names())));
    // Enter, and Ctrl-J (a line feed), which editors treat alike.
    for key in [
        KeyEvent(KeyCode::Enter, Modifiers::NONE),
        KeyEvent(KeyCode::Char('J'), Modifiers::CTRL),
    ] {
        editor.bind_sequence(key, EventHandler::Conditional(Box::new(ContinuationPrompt)));
    }
    // Alt-Enter starts a new line even when the statement is complete, to
    // add `until …` or another clause on a line of its own.
    editor.bind_sequence(
        KeyEvent(KeyCode::Enter, Modifiers::ALT),
        EventHandler::Simple(rustyline::Cmd::Insert(
            1,
            format!("\n{}", input::CONTINUATION),
        )),
    );
    let history = history_file();
    if let Some(path) = &history {
        // An empty or unreadable history is no reason not to start.
        let _ = editor.load_history(path);
    }
    // Output errors in the terminal are not worth ending the session for.
    let _ = print(start);
    println!(
        "Type policy statements to add them, :help for the commands, :quit or Ctrl-D to leave."
    );
    loop {
        match editor.readline(PROMPT) {
            Ok(buffer) => {
                if buffer.trim().is_empty() {
                    continue;
                }
                let _ = editor.add_history_entry(buffer.as_str());
                if let Some(path) = &history {
                    let _ = editor.save_history(path);
                }
                let outcome = session.execute(&strip_continuation(&buffer));
                let _ = print(&outcome);
                if let Some(helper) = editor.helper_mut() {
                    helper.names = session.names();
                }
                if outcome.quit {
                    return Ok(());
                }
            }
            // Ctrl-C discards the input being typed.
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => return Ok(()),
            Err(error) => return Err(Failure::Input(format!("cannot read input: {error}"))),
        }
    }
}
