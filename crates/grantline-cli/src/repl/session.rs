//! The REPL itself, without a terminal: a [`Session`] takes one input (a
//! command or policy text) and returns what to print. Both front ends, the
//! line editor and piped standard input, drive it; tests drive it directly.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use grantline::{Diagnostic, Engine, PolicySet};
use grantline_ir::AttributeKind;
use serde_json::{Map, Value};

use super::input::is_command;
use super::sources::{self, Key, SESSION_FILE};
use super::suggest::{closest, did_you_mean};
use super::{show, values};
use crate::at::{self, When};

/// One command of the REPL, for `:help` and completion.
pub struct Command {
    pub name: &'static str,
    pub arguments: &'static str,
    pub help: &'static str,
}

pub const COMMANDS: &[Command] = &[
    Command {
        name: ":help",
        arguments: "",
        help: "this list",
    },
    Command {
        name: ":load",
        arguments: "DIR|FILE",
        help: "add a policy folder or file to the session",
    },
    Command {
        name: ":reload",
        arguments: "",
        help: "read the loaded folders and files again; typed statements stay",
    },
    Command {
        name: ":identity",
        arguments: "FILE",
        help: "take the identity from a JSON file holding one object",
    },
    Command {
        name: ":set",
        arguments: "ATTRIBUTE VALUE",
        help: "set one attribute of the identity (lists: a, b, c)",
    },
    Command {
        name: ":unset",
        arguments: "ATTRIBUTE",
        help: "remove one attribute from the identity",
    },
    Command {
        name: ":show",
        arguments: "",
        help: "the identity as JSON, and the instant",
    },
    Command {
        name: ":at",
        arguments: "[DATE|DATETIME|now]",
        help: "the instant to evaluate at, as --at reads it (alone: show it)",
    },
    Command {
        name: ":eval",
        arguments: "",
        help: "every entitlement of the identity at the instant",
    },
    Command {
        name: ":explain",
        arguments: "ENTITLEMENT",
        help: "why the identity has an entitlement or not",
    },
    Command {
        name: ":rules",
        arguments: "[PATTERN]",
        help: "the rules whose name contains PATTERN, in the explicit form",
    },
    Command {
        name: ":ir",
        arguments: "RULE",
        help: "the compiled IR of a rule, as JSON",
    },
    Command {
        name: ":lint",
        arguments: "[CODES]",
        help: "lint the policies in effect (only CODES if given: GL101, GL2, …)",
    },
    Command {
        name: ":quit",
        arguments: "",
        help: "leave the REPL (also Ctrl-D)",
    },
];

/// Where a message goes: standard output for results, standard error for
/// errors and diagnostics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    Out(String),
    Err(String),
}

/// What an input did: the messages to print, in order, whether it failed,
/// and whether the session is over.
#[derive(Debug, Default)]
pub struct Outcome {
    pub messages: Vec<Message>,
    pub failed: bool,
    pub quit: bool,
}

impl Outcome {
    fn out(&mut self, text: impl Into<String>) {
        self.messages.push(Message::Out(text.into()));
    }

    fn err(&mut self, text: impl Into<String>) {
        self.messages.push(Message::Err(text.into()));
    }

    /// An error: `error: …` on standard error, and the input failed.
    fn fail(&mut self, text: impl AsRef<str>) {
        self.err(format!("error: {}", text.as_ref()));
        self.failed = true;
    }

    fn failure(text: impl AsRef<str>) -> Outcome {
        let mut outcome = Outcome::default();
        outcome.fail(text);
        outcome
    }

    #[cfg(test)]
    /// Everything printed on standard output.
    pub fn stdout(&self) -> String {
        self.text(|m| match m {
            Message::Out(text) => Some(text),
            Message::Err(_) => None,
        })
    }

    #[cfg(test)]
    /// Everything printed on standard error.
    pub fn stderr(&self) -> String {
        self.text(|m| match m {
            Message::Err(text) => Some(text),
            Message::Out(_) => None,
        })
    }

    #[cfg(test)]
    fn text(&self, pick: impl Fn(&Message) -> Option<&String>) -> String {
        self.messages
            .iter()
            .filter_map(pick)
            .map(|text| with_newline(text))
            .collect()
    }
}

/// The text ending with a line break.
pub fn with_newline(text: &str) -> String {
    if text.ends_with('\n') {
        text.to_string()
    } else {
        format!("{text}\n")
    }
}

/// The names completion offers, from the policies in effect.
#[derive(Debug, Default, Clone)]
pub struct Names {
    pub attributes: Vec<(String, AttributeKind)>,
    pub entitlements: Vec<String>,
    pub roles: Vec<String>,
    pub rules: Vec<String>,
}

/// A policy set that compiled, ready to become the session's.
struct Compiled {
    engine: Engine,
    index: BTreeMap<Key, String>,
    session_file: Option<grantline_syntax::FileId>,
}

/// A REPL session: the policies in effect, the identity being built and the
/// instant to evaluate at.
pub struct Session {
    /// The folders and files loaded, for `:reload`.
    paths: Vec<PathBuf>,
    /// Their files: name and text as read from disk.
    files: Vec<(String, String)>,
    /// The statements typed at the prompt.
    session: String,
    /// The last policy set that compiled.
    engine: Engine,
    /// Where each definition in effect is, "file:line".
    index: BTreeMap<Key, String>,
    identity: Map<String, Value>,
    at: When,
    /// `:at` as typed.
    at_text: String,
    /// Colour in diagnostics.
    color: bool,
}

impl Session {
    /// An empty session: no policies, an empty identity, evaluated now.
    pub fn new(color: bool) -> Result<Session, String> {
        let engine = Engine::from_ir(PolicySet::empty())
            .map_err(|error| format!("cannot start an empty session: {error}"))?;
        Ok(Session {
            paths: Vec::new(),
            files: Vec::new(),
            session: String::new(),
            engine,
            index: BTreeMap::new(),
            identity: Map::new(),
            at: When::Now,
            at_text: "now".to_string(),
            color,
        })
    }

    /// The one-line summary: files, attributes, entitlements, roles, rules.
    pub fn summary(&self) -> String {
        let policy = self.engine.policy();
        let counts = format!(
            "{}, {}, {}, {}",
            count(policy.attributes.len(), "attribute"),
            count(policy.entitlements.len(), "entitlement"),
            count(policy.roles.len(), "role"),
            count(policy.rules.len(), "rule"),
        );
        if self.paths.is_empty() {
            return format!("no policy files: {counts}");
        }
        let paths: Vec<String> = self.paths.iter().map(|p| p.display().to_string()).collect();
        format!(
            "{}: {}, {counts}",
            paths.join(", "),
            count(self.files.len(), "file")
        )
    }

    #[cfg(test)]
    /// The policies in effect.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    #[cfg(test)]
    /// The identity being built, as JSON.
    pub fn identity(&self) -> &Map<String, Value> {
        &self.identity
    }

    /// The names of the policies in effect, for completion.
    pub fn names(&self) -> Names {
        let policy = self.engine.policy();
        Names {
            attributes: policy
                .attributes
                .iter()
                .map(|a| (a.name.clone(), a.kind.clone()))
                .collect(),
            entitlements: policy.entitlements.iter().map(|e| e.name.clone()).collect(),
            roles: policy.roles.iter().map(|r| r.name.clone()).collect(),
            rules: policy.rules.iter().map(|r| r.name.clone()).collect(),
        }
    }

    /// Runs one input: a command (`:eval`) or policy text.
    pub fn execute(&mut self, input: &str) -> Outcome {
        if input.trim().is_empty() {
            return Outcome::default();
        }
        if is_command(input) {
            self.command(input.trim())
        } else {
            self.define(input)
        }
    }

    fn command(&mut self, line: &str) -> Outcome {
        let (name, argument) = match line.split_once(char::is_whitespace) {
            Some((name, rest)) => (name, rest.trim()),
            None => (line, ""),
        };
        let Some(command) = COMMANDS.iter().find(|c| c.name == name) else {
            let suggestions = closest(name, COMMANDS.iter().map(|c| c.name));
            let hint = match did_you_mean(&suggestions) {
                hint if hint.is_empty() => "; `:help` lists the commands".to_string(),
                hint => hint,
            };
            return Outcome::failure(format!("unknown command `{name}`{hint}"));
        };
        let takes_argument = !command.arguments.is_empty();
        let optional = command.arguments.starts_with('[');
        if !takes_argument && !argument.is_empty() {
            return Outcome::failure(format!("`{name}` takes no argument"));
        }
        if takes_argument && !optional && argument.is_empty() {
            return Outcome::failure(format!("usage: {name} {}", command.arguments));
        }
        match name {
            ":help" => help(),
            ":load" => self.load(Path::new(&values::unquote(argument))),
            ":reload" => self.reload(),
            ":identity" => self.read_identity(Path::new(&values::unquote(argument))),
            ":set" => self.set(argument),
            ":unset" => self.unset(argument),
            ":show" => self.show(),
            ":at" => self.set_at(argument),
            ":eval" => self.eval(),
            ":explain" => self.explain(&values::unquote(argument)),
            ":rules" => self.rules(argument),
            ":ir" => self.ir(argument),
            ":lint" => self.lint(argument),
            ":quit" => Outcome {
                quit: true,
                ..Outcome::default()
            },
            _ => Outcome::failure(format!("`{name}` is not implemented")),
        }
    }

    // ------------------------------------------------------------ policies

    /// Compiles the loaded files and the session file. The caller commits
    /// the result on success; on failure nothing changes.
    fn compile(
        &self,
        files: &[(String, String)],
        session: &str,
    ) -> Result<Compiled, Vec<Diagnostic>> {
        let build = sources::build(files, session);
        match Engine::from_sources(&build.sources) {
            Ok(engine) => Ok(Compiled {
                engine,
                index: build.index,
                session_file: build.session,
            }),
            Err(grantline::Error::Compile(diagnostics)) => Err(diagnostics),
            Err(other) => Err(vec![Diagnostic::error(
                "grantline::internal",
                other.to_string(),
            )]),
        }
    }

    /// Diagnostics as `grantline check` prints them, and a closing line.
    fn report(&self, outcome: &mut Outcome, diagnostics: &[Diagnostic]) {
        outcome.err(grantline::render::diagnostics_human(
            diagnostics,
            self.color,
        ));
        let errors = diagnostics.iter().filter(|d| d.is_error()).count();
        outcome.fail(format!(
            "{}; the session is unchanged",
            count(errors, "error")
        ));
    }

    /// `:load DIR|FILE`: adds its files to the session; a file already loaded
    /// is read again.
    pub fn load(&mut self, path: &Path) -> Outcome {
        let mut outcome = Outcome::default();
        let mut files = self.files.clone();
        if let Err(diagnostic) = read_into(&mut files, path) {
            self.report(&mut outcome, &[diagnostic]);
            return outcome;
        }
        self.replace_files(files, Some(path), &mut outcome);
        outcome
    }

    /// Compiles `files` with the session's own statements; if that works
    /// they become the loaded files (and `added` a loaded path), otherwise
    /// the session stays as it was.
    fn replace_files(
        &mut self,
        files: Vec<(String, String)>,
        added: Option<&Path>,
        outcome: &mut Outcome,
    ) {
        match self.compile(&files, &self.session) {
            Ok(compiled) => {
                self.engine = compiled.engine;
                self.index = compiled.index;
                self.files = files;
                if let Some(path) = added {
                    if !self.paths.iter().any(|p| p == path) {
                        self.paths.push(path.to_path_buf());
                    }
                }
                self.show_warnings(outcome, None);
                outcome.out(self.summary());
            }
            Err(diagnostics) => self.report(outcome, &diagnostics),
        }
    }

    /// `:reload`: reads every loaded folder and file again.
    fn reload(&mut self) -> Outcome {
        let mut outcome = Outcome::default();
        if self.paths.is_empty() {
            outcome.fail("nothing to reload: no policies were loaded; use `:load DIR`");
            return outcome;
        }
        let mut files: Vec<(String, String)> = Vec::new();
        for path in &self.paths {
            if let Err(diagnostic) = read_into(&mut files, path) {
                self.report(&mut outcome, &[diagnostic]);
                return outcome;
            }
        }
        self.replace_files(files, None, &mut outcome);
        outcome
    }

    /// Compiler warnings of the policies in effect; with `from`, only those
    /// in the session file from that offset on (what was just typed).
    fn show_warnings(
        &self,
        outcome: &mut Outcome,
        from: Option<(grantline_syntax::FileId, usize)>,
    ) {
        let warnings: Vec<Diagnostic> = self
            .engine
            .warnings()
            .iter()
            .filter(|d| match (from, &d.primary) {
                (None, _) => true,
                (Some((file, start)), Some(label)) => {
                    label.span.file == file && label.span.start >= start
                }
                (Some(_), None) => false,
            })
            .cloned()
            .collect();
        if !warnings.is_empty() {
            outcome.err(grantline::render::diagnostics_human(&warnings, self.color));
        }
    }

    /// Policy text: its statements join the session, each replacing the
    /// statement of the same kind and name, wherever that is.
    fn define(&mut self, input: &str) -> Outcome {
        let mut outcome = Outcome::default();
        let mut candidate = self.session.clone();
        let start = candidate.len();
        candidate.push_str(input.trim_end());
        candidate.push('\n');
        let (map, parsed) = match sources::parse(SESSION_FILE, &candidate) {
            Ok(parsed) => parsed,
            Err(diagnostic) => {
                self.report(&mut outcome, &[diagnostic]);
                return outcome;
            }
        };
        let (old, new): (Vec<_>, Vec<_>) = sources::definitions(&parsed, &candidate)
            .into_iter()
            .partition(|d| d.span.start < start);
        if let Some(previous) = old.iter().find(|d| d.span.end > start) {
            // `until 2027-06-30` typed after a rule that was complete: in a
            // file it would continue that rule, here it is a mistake.
            self.report(
                &mut outcome,
                &[continues(&map, &candidate, start, previous)],
            );
            return outcome;
        }
        if new.is_empty() {
            // Only comments: nothing to add.
            return outcome;
        }
        let keys: Vec<Key> = new.iter().flat_map(|d| d.keys.iter().cloned()).collect();
        let replaced = keys.iter().cloned().collect();
        let typed = candidate.get(start..).unwrap_or("").to_string();
        let kept = sources::without(candidate.get(..start).unwrap_or(""), &old, &replaced, false);
        let candidate = format!("{kept}{typed}");
        let typed_start = kept.len();
        match self.compile(&self.files, &candidate) {
            Ok(compiled) => {
                for key in &keys {
                    let line = match self.index.get(key) {
                        Some(place) => format!("{} replaced (was {place})", key.describe()),
                        None => format!("{} defined", key.describe()),
                    };
                    outcome.out(line);
                }
                self.engine = compiled.engine;
                self.index = compiled.index;
                self.session = candidate;
                let typed_part = compiled.session_file.map(|file| (file, typed_start));
                self.show_warnings(&mut outcome, typed_part);
            }
            Err(diagnostics) => self.report(&mut outcome, &diagnostics),
        }
        outcome
    }

    // ------------------------------------------------------------ identity

    /// `:identity FILE`: one JSON object, checked against the schema.
    fn read_identity(&mut self, path: &Path) -> Outcome {
        let (records, single) = match crate::records::read(path) {
            Ok(read) => read,
            Err(message) => return Outcome::failure(message),
        };
        let [record] = records.as_slice() else {
            return Outcome::failure(format!(
                "{} holds {} records; `:identity` takes a file with one identity object",
                path.display(),
                records.len()
            ));
        };
        if let Err(error) = self.engine.identity(&record.value) {
            return Outcome::failure(field_errors(&record.label, &error));
        }
        match &record.value {
            Value::Object(map) if single => {
                self.identity = map.clone();
                Outcome::default()
            }
            _ => Outcome::failure(format!("{}: expected one identity object", path.display())),
        }
    }

    fn attribute(&self, name: &str) -> Result<&grantline_ir::Attribute, String> {
        let policy = self.engine.policy();
        policy.attribute(name).ok_or_else(|| {
            let suggestions = closest(name, policy.attributes.iter().map(|a| a.name.as_str()));
            if policy.attributes.is_empty() {
                format!("unknown attribute `{name}`: no attribute is declared yet")
            } else {
                format!("unknown attribute `{name}`{}", did_you_mean(&suggestions))
            }
        })
    }

    /// `:set ATTRIBUTE VALUE`, the value read by the attribute's type.
    fn set(&mut self, argument: &str) -> Outcome {
        let (name, text) = match argument.split_once(char::is_whitespace) {
            Some((name, text)) => (name, text.trim()),
            None => (argument, ""),
        };
        let value = self
            .attribute(name)
            .and_then(|attribute| values::parse(attribute, text));
        match value {
            Ok(value) => {
                self.identity.insert(name.to_string(), value);
                Outcome::default()
            }
            Err(message) => Outcome::failure(message),
        }
    }

    /// `:unset ATTRIBUTE`.
    fn unset(&mut self, name: &str) -> Outcome {
        if self.identity.remove(name).is_some() {
            return Outcome::default();
        }
        match self.attribute(name) {
            Ok(_) => Outcome::default(),
            Err(message) => Outcome::failure(message),
        }
    }

    /// `:show`: the identity and the instant.
    fn show(&self) -> Outcome {
        let mut outcome = Outcome::default();
        let json = serde_json::to_string_pretty(&self.identity).unwrap_or_default();
        outcome.out(json);
        outcome.out(self.instant_text());
        outcome
    }

    fn instant_text(&self) -> String {
        match self.at {
            When::Now => "at now (the current time at each evaluation)".to_string(),
            when => {
                let instant = when.resolve(&self.engine);
                let utc = instant.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
                if utc == self.at_text {
                    format!("at {utc}")
                } else {
                    format!("at {} ({utc})", self.at_text)
                }
            }
        }
    }

    /// `:at WHEN`, or without argument the instant in use.
    fn set_at(&mut self, argument: &str) -> Outcome {
        if argument.is_empty() {
            let mut outcome = Outcome::default();
            outcome.out(self.instant_text());
            return outcome;
        }
        match at::parse(argument) {
            Ok(when) => {
                self.at = when;
                self.at_text = argument.to_string();
                Outcome::default()
            }
            Err(message) => Outcome::failure(message),
        }
    }

    fn checked_identity(&self) -> Result<grantline::Identity, String> {
        self.engine
            .identity(&Value::Object(self.identity.clone()))
            .map_err(|error| field_errors("the identity", &error))
    }

    /// `:eval`: the decision for the identity at the instant.
    fn eval(&self) -> Outcome {
        let identity = match self.checked_identity() {
            Ok(identity) => identity,
            Err(message) => return Outcome::failure(message),
        };
        let decision = self
            .engine
            .evaluate(&identity, self.at.resolve(&self.engine));
        let mut outcome = Outcome::default();
        outcome.out(grantline::render::decision_text(
            &decision,
            self.engine.timezone(),
        ));
        outcome
    }

    /// `:explain ENTITLEMENT`.
    fn explain(&self, entitlement: &str) -> Outcome {
        let identity = match self.checked_identity() {
            Ok(identity) => identity,
            Err(message) => return Outcome::failure(message),
        };
        let at = self.at.resolve(&self.engine);
        match self.engine.explain(&identity, entitlement, at) {
            Ok(explanation) => {
                let mut outcome = Outcome::default();
                outcome.out(grantline::render::explanation_text(
                    &explanation,
                    self.engine.timezone(),
                ));
                outcome
            }
            Err(error) => Outcome::failure(error.to_string()),
        }
    }

    // --------------------------------------------------------------- rules

    /// `:rules [PATTERN]`: name, location, condition and effect.
    fn rules(&self, pattern: &str) -> Outcome {
        let mut outcome = Outcome::default();
        let listed: Vec<String> = self
            .engine
            .policy()
            .rules
            .iter()
            .filter(|rule| rule.name.contains(pattern))
            .map(show::rule)
            .collect();
        if listed.is_empty() {
            outcome.out(if pattern.is_empty() {
                "no rules yet".to_string()
            } else {
                format!("no rule name contains `{pattern}`")
            });
        } else {
            outcome.out(listed.join("\n"));
        }
        outcome
    }

    /// `:ir RULE`: the compiled rule as pretty JSON.
    fn ir(&self, name: &str) -> Outcome {
        let policy = self.engine.policy();
        match policy.rule(name) {
            Some(rule) => {
                let mut outcome = Outcome::default();
                outcome.out(serde_json::to_string_pretty(rule).unwrap_or_default());
                outcome
            }
            None => {
                let suggestions = closest(name, policy.rules.iter().map(|r| r.name.as_str()));
                Outcome::failure(format!(
                    "unknown rule `{name}`{}",
                    did_you_mean(&suggestions)
                ))
            }
        }
    }
}

impl Session {
    // ---------------------------------------------------------------- lint

    /// `:lint [CODES]`: the findings of the lint rules on the policies in
    /// effect, with `lint.toml` of the first loaded folder that has one.
    fn lint(&self, argument: &str) -> Outcome {
        let codes: Vec<String> = argument
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|code| !code.is_empty())
            .map(String::from)
            .collect();
        let select = match crate::lint_command::resolve_codes(&codes) {
            Ok(select) => select,
            Err(message) => return Outcome::failure(message),
        };
        let mut config = grantline_lint::LintConfig::default();
        let folder = self
            .paths
            .iter()
            .find(|path| path.join(grantline_lint::CONFIG_FILE).is_file());
        if let Some(folder) = folder {
            match grantline_lint::LintConfig::load(folder) {
                Ok(loaded) => config = loaded,
                Err(error) => return Outcome::failure(error.to_string()),
            }
        }
        config.select = select;
        let build = sources::build(&self.files, &self.session);
        match crate::lint_command::lint_policy(
            &build.sources,
            self.engine.policy(),
            &config,
            self.at,
        ) {
            Ok(report) => {
                let mut outcome = Outcome::default();
                outcome.out(grantline_lint::render::render_text(
                    &report,
                    &build.sources,
                    self.color,
                ));
                outcome
            }
            Err(message) => Outcome::failure(message),
        }
    }
}

/// Reads a policy folder or file into `files`, replacing a file of the same
/// name.
fn read_into(files: &mut Vec<(String, String)>, path: &Path) -> Result<(), Diagnostic> {
    let mut read = grantline::SourceMap::new();
    grantline_compiler::add_path(&mut read, path).map_err(|error| error.to_diagnostic())?;
    for (_, file) in read.files() {
        let entry = (file.name().to_string(), file.text().to_string());
        match files.iter_mut().find(|(name, _)| *name == entry.0) {
            Some(existing) => *existing = entry,
            None => files.push(entry),
        }
    }
    Ok(())
}

/// The error for text that does not start a statement but would continue
/// the previous one, already complete and in effect.
fn continues(
    map: &grantline::SourceMap,
    text: &str,
    start: usize,
    previous: &sources::Definition,
) -> Diagnostic {
    let typed = text.get(start..).unwrap_or("");
    let offset = start + (typed.len() - typed.trim_start().len());
    let word = text
        .get(offset..)
        .unwrap_or("")
        .split(char::is_whitespace)
        .next()
        .unwrap_or("");
    let span =
        grantline_syntax::Span::new(grantline_syntax::FileId(0), offset, offset + word.len());
    let what = previous
        .keys
        .first()
        .map(Key::describe)
        .unwrap_or_else(|| "the previous statement".to_string());
    Diagnostic::error(
        grantline_syntax::SYNTAX_ERROR,
        format!("`{word}` does not start a statement"),
    )
    .at(map, span, "not the start of a statement")
    .with_help(format!(
        "a statement ends as soon as it is complete: {what} was complete at the end of the \
         line before, and was added then; to add this part, type the statement again with it \
         on the same line (at the prompt, Alt-Enter starts a new line without ending the \
         statement)"
    ))
}

/// "LABEL:" and one indented line per bad field.
fn field_errors(label: &str, error: &grantline::IdentityError) -> String {
    let mut message = format!("{label} does not fit the schema:");
    for field in &error.errors {
        message.push_str(&format!("\n  {field}"));
    }
    message
}

fn count(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

fn help() -> Outcome {
    let mut text = String::from("commands:\n");
    let width = COMMANDS
        .iter()
        .map(|c| c.name.len() + c.arguments.len() + 1)
        .max()
        .unwrap_or(0);
    for command in COMMANDS {
        let usage = format!("{} {}", command.name, command.arguments);
        text.push_str(&format!("  {usage:<width$}  {}\n", command.help));
    }
    text.push_str(
        "\nAnything else is policy text: an attribute, entitlement, role, rule, separate or\n\
         test statement joins the session at once, and replaces the one of the same kind\n\
         and name, also one loaded from a file. A statement may span several lines: the\n\
         prompt stays open (`...`) until it is complete; an empty line ends it anyway.\n",
    );
    let mut outcome = Outcome::default();
    outcome.out(text);
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCHEMA: &str = r#"
attribute department: Sales | Finance | "Human Resources"
attribute manager: flag
attribute level: number
attribute start_date: optional date
attribute groups: list of text
entitlement slack, zoom, salesforce.admin
"#;

    fn session() -> Session {
        let mut session = Session::new(false).unwrap();
        let outcome = session.execute(SCHEMA);
        assert!(!outcome.failed, "{}", outcome.stderr());
        session
    }

    /// A folder of its own under the system's temporary folder.
    fn folder(name: &str) -> PathBuf {
        let path =
            std::env::temp_dir().join(format!("grantline-repl-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        path
    }

    fn run(session: &mut Session, input: &str) -> Outcome {
        let outcome = session.execute(input);
        assert!(!outcome.failed, "{input}: {}", outcome.stderr());
        outcome
    }

    fn granted(session: &mut Session) -> String {
        run(session, ":eval").stdout()
    }

    #[test]
    fn a_typed_rule_is_usable_at_once() {
        let mut session = session();
        let outcome = run(
            &mut session,
            "rule sales:\n    in Sales\n    grants slack\n",
        );
        assert_eq!(outcome.stdout(), "rule `sales` defined\n");
        run(&mut session, ":set department Sales");
        assert!(granted(&mut session).starts_with("slack "));
        assert_eq!(session.engine().policy().rules.len(), 1);
    }

    #[test]
    fn a_redefinition_replaces_the_old_statement() {
        let mut session = session();
        run(&mut session, "rule r: in Sales grants slack");
        let outcome = run(&mut session, "rule r: in Sales grants zoom");
        assert_eq!(outcome.stdout(), "rule `r` replaced (was <session>:7)\n");
        run(&mut session, ":set department Sales");
        let decision = granted(&mut session);
        assert!(decision.starts_with("zoom "), "{decision}");
        assert!(!decision.contains("slack"), "{decision}");
        assert_eq!(session.engine().policy().rules.len(), 1);
        // An attribute too: `level` becomes text, and a rule can say so.
        let outcome = run(&mut session, "attribute level: text");
        assert_eq!(
            outcome.stdout(),
            "attribute `level` replaced (was <session>:3)\n"
        );
        run(
            &mut session,
            "rule r: where level contains \"senior\" grants zoom",
        );
    }

    #[test]
    fn a_redefinition_replaces_a_statement_loaded_from_a_file() {
        let dir = folder("file-redefinition");
        let file = dir.join("policy.grant");
        let text = format!("{SCHEMA}\nrule r:\n    in Sales\n    grants slack\n");
        std::fs::write(&file, &text).unwrap();
        let mut session = Session::new(false).unwrap();
        let outcome = run(&mut session, &format!(":load {}", dir.display()));
        assert!(outcome
            .stdout()
            .contains(": 1 file, 5 attributes, 3 entitlements, 0 roles, 1 rule"));
        let outcome = run(&mut session, "rule r: in Finance grants zoom");
        assert_eq!(
            outcome.stdout(),
            format!("rule `r` replaced (was {}:9)\n", file.display())
        );
        let rules = run(&mut session, ":rules").stdout();
        assert_eq!(
            rules,
            "r (<session>:1)\n    where department is Finance\n    grants zoom\n"
        );
        // One name of an entitlement list.
        let outcome = run(&mut session, "entitlement zoom: sensitive");
        assert!(outcome.stdout().starts_with("entitlement `zoom` replaced"));
        let policy = session.engine().policy();
        assert!(policy.entitlement("zoom").unwrap().sensitive);
        assert!(policy.entitlement("slack").is_some());
        // The file on disk is never written.
        assert_eq!(std::fs::read_to_string(&file).unwrap(), text);
        // `:reload` reads the files again; typed statements stay in effect.
        std::fs::write(
            &file,
            text.replace("grants slack", "grants salesforce.admin"),
        )
        .unwrap();
        run(&mut session, ":reload");
        let rules = run(&mut session, ":rules").stdout();
        assert!(rules.contains("grants zoom"), "{rules}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn failed_input_keeps_the_previous_state() {
        let mut session = session();
        run(&mut session, "rule r: in Sales grants slack");
        // Not in the catalogue: an error with a hint, and nothing changes.
        let outcome = session.execute("rule r: in Sales grants slak");
        assert!(outcome.failed);
        assert_eq!(outcome.stdout(), "");
        let errors = outcome.stderr();
        assert!(
            errors.contains("grantline::unknown-entitlement"),
            "{errors}"
        );
        assert!(errors.contains("did you mean `slack`?"), "{errors}");
        assert!(
            errors.ends_with("error: 1 error; the session is unchanged\n"),
            "{errors}"
        );
        // A syntax error in the middle of the input.
        let outcome = session.execute("rule s: in in grants slack");
        assert!(outcome.failed);
        assert!(outcome.stderr().contains("grantline::syntax"));
        // A new statement that breaks others: `department` in use as a value set.
        let outcome = session.execute("attribute department: number");
        assert!(outcome.failed);
        run(&mut session, ":set department Sales");
        assert!(granted(&mut session).starts_with("slack "));
        assert_eq!(session.engine().policy().rules.len(), 1);
        // Bad commands fail too, and the session goes on.
        assert!(session.execute(":explain slak").failed);
        assert!(session.execute(":load /no/such/folder").failed);
        assert!(!session.execute(":show").failed);
    }

    #[test]
    fn set_reads_the_value_by_the_attribute_type() {
        let mut session = session();
        for (input, error) in [
            (":set level five", "`level` is a number, such as 7 or -2.5, not `five`"),
            (":set department sales", "`sales` is not a value of `department`; did you mean `Sales`?"),
            (":set manager yes", "`manager` is a flag: set it to true or false, not `yes`"),
            (":set start_date 2026-13-01", "`start_date` is a date: write it as YYYY-MM-DD, such as 2026-01-31, not `2026-13-01`"),
            (":set levle 5", "unknown attribute `levle`; did you mean `level`?"),
            (":set level", "`:set level` needs a value (a number); `:unset level` removes it"),
        ] {
            let outcome = session.execute(input);
            assert!(outcome.failed, "{input}");
            assert_eq!(outcome.stderr(), format!("error: {error}\n"), "{input}");
        }
        assert!(session.identity().is_empty());
        for input in [
            ":set level 6",
            ":set department Human Resources",
            ":set manager true",
            ":set start_date 2026-02-01",
            ":set groups oncall, vpn",
        ] {
            run(&mut session, input);
        }
        assert_eq!(
            Value::Object(session.identity().clone()),
            serde_json::json!({
                "level": 6,
                "department": "Human Resources",
                "manager": true,
                "start_date": "2026-02-01",
                "groups": ["oncall", "vpn"],
            })
        );
        run(&mut session, ":unset groups");
        assert!(!session.identity().contains_key("groups"));
    }

    #[test]
    fn unknown_commands_get_the_closest_one() {
        let mut session = session();
        let outcome = session.execute(":evl");
        assert!(outcome.failed);
        assert_eq!(
            outcome.stderr(),
            "error: unknown command `:evl`; did you mean `:eval`?\n"
        );
        assert!(session.execute(":eval now").failed);
        assert!(session.execute(":ir").failed);
        assert!(run(&mut session, ":quit").quit);
    }

    #[test]
    fn at_reads_the_same_forms_as_the_command_line() {
        let mut session = session();
        run(&mut session, ":at 2026-12-01T09:00");
        assert_eq!(
            run(&mut session, ":at").stdout(),
            "at 2026-12-01T09:00 (2026-12-01T09:00:00Z)\n"
        );
        run(&mut session, "timezone \"Europe/Berlin\"");
        assert_eq!(
            run(&mut session, ":at").stdout(),
            "at 2026-12-01T09:00 (2026-12-01T08:00:00Z)\n"
        );
        assert!(session.execute(":at 2026-12-1").failed);
    }

    #[test]
    fn a_clause_after_a_complete_statement_is_an_error() {
        let mut session = session();
        run(&mut session, "rule r: anyone grants slack");
        let outcome = session.execute("    until 2027-06-30");
        assert!(outcome.failed);
        let errors = outcome.stderr();
        assert!(
            errors.contains("`until` does not start a statement"),
            "{errors}"
        );
        assert!(errors.contains("rule `r` was complete"), "{errors}");
        let rule = &session.engine().policy().rules[0];
        assert!(rule.window.until.is_none());
    }

    #[test]
    fn comments_alone_change_nothing() {
        let mut session = session();
        let outcome = run(&mut session, "# just a note");
        assert!(outcome.messages.is_empty());
    }
}
