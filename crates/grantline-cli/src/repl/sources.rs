//! The policy text of a session: the loaded files as read from disk, plus
//! the session file that holds what was typed at the prompt.
//!
//! A statement typed at the prompt replaces the statement of the same kind
//! and name wherever it is. In the session file the old statement's text is
//! removed for good; in a loaded file it is blanked out in the text handed to
//! the compiler (the file on disk is never written), with its line breaks
//! kept so that the other statements of the file keep their line numbers.

use std::collections::{BTreeMap, BTreeSet};

use grantline_syntax::ast::{GrantItem, PolicyFile, Statement};
use grantline_syntax::{parse_file, FileId, SourceMap, Span};

/// The name of the session file in diagnostics and source locations.
pub const SESSION_FILE: &str = "<session>";

/// What a statement defines. A statement with the same key replaces it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Key {
    Timezone,
    Attribute(String),
    Entitlement(String),
    Role(String),
    Rule(String),
    /// The two sides as written (`role x` or an entitlement), sorted: the
    /// order of the sides does not matter.
    Separation(String, String),
    Check(String),
    Test(String),
}

impl Key {
    /// "rule `x`", "separation of `a` and `role b`", ...
    pub fn describe(&self) -> String {
        match self {
            Key::Timezone => "timezone".to_string(),
            Key::Attribute(name) => format!("attribute `{name}`"),
            Key::Entitlement(name) => format!("entitlement `{name}`"),
            Key::Role(name) => format!("role `{name}`"),
            Key::Check(name) => format!("check `{name}`"),
            Key::Rule(name) => format!("rule `{name}`"),
            Key::Separation(left, right) => format!("separation of `{left}` and `{right}`"),
            Key::Test(name) => format!("test \"{name}\""),
        }
    }
}

/// One statement: what it defines and where.
#[derive(Debug, Clone)]
pub struct Definition {
    pub keys: Vec<Key>,
    pub span: Span,
    /// The spans of the names of an `entitlement` statement, which may
    /// declare several: one of them can be replaced alone.
    names: Vec<Span>,
}

fn item_text(item: &GrantItem) -> String {
    match item {
        GrantItem::Entitlement(word) => word.text.clone(),
        GrantItem::Role(name) => format!("role {}", name.text),
    }
}

/// Where the text of a statement really ends: the parser's span of a
/// statement that ends in an optional part also covers the whitespace and
/// comments after it.
fn content_end(text: &str, span: Span) -> usize {
    let Some(covered) = text.get(span.start..span.end) else {
        return span.end;
    };
    let mut end = span.start;
    let mut quoted = false;
    let mut escaped = false;
    let mut comment = false;
    for (i, c) in covered.char_indices() {
        if comment {
            comment = c != '\n';
            continue;
        }
        if quoted {
            quoted = escaped || c != '"';
            escaped = c == '\\' && !escaped;
        } else if c == '#' {
            comment = true;
            continue;
        } else if c == '"' {
            quoted = true;
        }
        if !c.is_whitespace() {
            end = span.start + i + c.len_utf8();
        }
    }
    end
}

/// The definitions of a parsed file, in file order; `text` is the file's.
pub fn definitions(file: &PolicyFile, text: &str) -> Vec<Definition> {
    file.statements
        .iter()
        .map(|statement| {
            let (keys, span, names) = match statement {
                Statement::Timezone(decl) => (vec![Key::Timezone], decl.span, Vec::new()),
                Statement::Attribute(decl) => (
                    vec![Key::Attribute(decl.name.text.clone())],
                    decl.span,
                    Vec::new(),
                ),
                Statement::Entitlement(decl) => (
                    decl.names
                        .iter()
                        .map(|name| Key::Entitlement(name.text.clone()))
                        .collect(),
                    decl.span,
                    decl.names.iter().map(|name| name.span).collect(),
                ),
                Statement::Role(decl) => (
                    vec![Key::Role(decl.name.text.clone())],
                    decl.span,
                    Vec::new(),
                ),
                Statement::Rule(decl) => (
                    vec![Key::Rule(decl.name.text.clone())],
                    decl.span,
                    Vec::new(),
                ),
                Statement::Separate(decl) => {
                    let mut sides = [item_text(&decl.left), item_text(&decl.right)];
                    sides.sort();
                    let [left, right] = sides;
                    (vec![Key::Separation(left, right)], decl.span, Vec::new())
                }
                Statement::Check(decl) => (
                    vec![Key::Check(decl.name.text.clone())],
                    decl.span,
                    Vec::new(),
                ),
                Statement::Test(decl) => (
                    vec![Key::Test(decl.name.text.clone())],
                    decl.span,
                    Vec::new(),
                ),
            };
            let span = Span {
                end: content_end(text, span),
                ..span
            };
            Definition { keys, span, names }
        })
        .collect()
}

/// Parses one text on its own, as file `name`.
pub fn parse(name: &str, text: &str) -> Result<(SourceMap, PolicyFile), grantline::Diagnostic> {
    let mut sources = SourceMap::new();
    let id = sources.add(name, text);
    let parsed = parse_file(&sources, id)?;
    Ok((sources, parsed))
}

/// The text with the statements that define one of `keys` taken out: removed
/// (`keep_lines` false) or blanked with their line breaks kept. From an
/// `entitlement` statement that also declares other names, only the names
/// are taken out.
pub fn without(
    text: &str,
    definitions: &[Definition],
    keys: &BTreeSet<Key>,
    keep_lines: bool,
) -> String {
    let mut edits: Vec<(usize, usize, String)> = Vec::new();
    for definition in definitions {
        let removed = definition
            .keys
            .iter()
            .filter(|key| keys.contains(*key))
            .count();
        if removed == 0 {
            continue;
        }
        let span = definition.span;
        if removed == definition.keys.len() || definition.names.len() != definition.keys.len() {
            let old = text.get(span.start..span.end).unwrap_or("");
            let replacement = if keep_lines {
                old.chars()
                    .map(|c| if c == '\n' { '\n' } else { ' ' })
                    .collect()
            } else {
                String::new()
            };
            edits.push((span.start, span.end, replacement));
            continue;
        }
        // Some names of a list: write the list again without them.
        let (Some(first), Some(last)) = (definition.names.first(), definition.names.last()) else {
            continue;
        };
        let kept: Vec<&str> = definition
            .names
            .iter()
            .zip(&definition.keys)
            .filter(|(_, key)| !keys.contains(*key))
            .filter_map(|(name, _)| text.get(name.start..name.end))
            .collect();
        let old = text.get(first.start..last.end).unwrap_or("");
        let mut replacement = kept.join(", ");
        if keep_lines {
            replacement.extend(old.chars().filter(|c| *c == '\n'));
        }
        edits.push((first.start, last.end, replacement));
    }
    edits.sort_by_key(|(start, _, _)| std::cmp::Reverse(*start));
    let mut result = text.to_string();
    for (start, end, replacement) in edits {
        if result.get(start..end).is_some() {
            result.replace_range(start..end, &replacement);
        }
    }
    if !keep_lines {
        result = without_blank_lines(&result);
    }
    result
}

/// Drops the lines that hold only whitespace (what a removed statement
/// leaves behind), keeping the final line break.
fn without_blank_lines(text: &str) -> String {
    let mut result: String = text
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| format!("{}\n", line.trim_end()))
        .collect();
    if result.trim().is_empty() {
        result.clear();
    }
    result
}

/// The sources handed to the compiler, and where each definition in effect is.
pub struct Build {
    pub sources: SourceMap,
    /// "file:line" of every definition in effect.
    pub index: BTreeMap<Key, String>,
    /// The session file, when it holds anything.
    pub session: Option<FileId>,
}

/// The loaded files, each without the definitions that the session file
/// replaces, followed by the session file. A file that does not parse is
/// passed on as it is, so that the compiler reports its syntax error.
pub fn build(files: &[(String, String)], session: &str) -> Build {
    let mut index = BTreeMap::new();
    let mut overridden = BTreeSet::new();
    if let Ok((map, parsed)) = parse(SESSION_FILE, session) {
        let session_definitions = definitions(&parsed, session);
        for definition in &session_definitions {
            overridden.extend(definition.keys.iter().cloned());
        }
        record(&mut index, &map, &session_definitions, |_| true);
    }
    let mut sources = SourceMap::new();
    for (name, text) in files {
        let text = match parse(name, text) {
            Ok((map, parsed)) => {
                let defined = definitions(&parsed, text);
                record(&mut index, &map, &defined, |key| !overridden.contains(key));
                without(text, &defined, &overridden, true)
            }
            Err(_) => text.clone(),
        };
        sources.add(name.as_str(), text);
    }
    let session = (!session.trim().is_empty()).then(|| sources.add(SESSION_FILE, session));
    Build {
        sources,
        index,
        session,
    }
}

fn record(
    index: &mut BTreeMap<Key, String>,
    map: &SourceMap,
    defined: &[Definition],
    in_effect: impl Fn(&Key) -> bool,
) {
    for definition in defined {
        let place = map.describe(definition.span);
        // "file:line:column" without the column.
        let place = match place.rsplit_once(':') {
            Some((file_line, _)) => file_line.to_string(),
            None => place,
        };
        for key in definition.keys.iter().filter(|key| in_effect(key)) {
            index.entry(key.clone()).or_insert_with(|| place.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(list: &[Key]) -> BTreeSet<Key> {
        list.iter().cloned().collect()
    }

    fn remove(text: &str, list: &[Key], keep_lines: bool) -> String {
        let (_, parsed) = parse("t.grant", text).unwrap();
        without(text, &definitions(&parsed, text), &keys(list), keep_lines)
    }

    #[test]
    fn a_statement_is_blanked_with_its_lines_kept() {
        let text =
            "entitlement slack\nrule a:\n  anyone\n  grants slack\nrule b: anyone grants slack\n";
        let result = remove(text, &[Key::Rule("a".into())], true);
        assert_eq!(result.lines().count(), text.lines().count());
        assert_eq!(result.lines().nth(4), Some("rule b: anyone grants slack"));
        assert!(!result.contains("rule a"));
    }

    #[test]
    fn a_statement_is_removed_from_the_session() {
        let text = "rule a: anyone grants slack\nrule b: anyone grants zoom\n";
        assert_eq!(
            remove(text, &[Key::Rule("a".into())], false),
            "rule b: anyone grants zoom\n"
        );
        assert_eq!(
            remove(text, &[Key::Rule("a".into()), Key::Rule("b".into())], false),
            ""
        );
    }

    #[test]
    fn one_name_of_an_entitlement_list_is_removed_alone() {
        let text = "entitlement a, b,\n    c: sensitive\n";
        let result = remove(text, &[Key::Entitlement("b".into())], true);
        assert_eq!(result, "entitlement a, c\n: sensitive\n");
        let result = remove(
            text,
            &[Key::Entitlement("b".into()), Key::Entitlement("c".into())],
            false,
        );
        assert_eq!(result, "entitlement a: sensitive\n");
    }

    #[test]
    fn a_statement_ends_before_the_comments_after_it() {
        let text =
            "rule a: anyone grants slack # why\n\n# the next rule\nrule b: anyone grants slack";
        let (_, parsed) = parse("t", text).unwrap();
        let defined = definitions(&parsed, text);
        assert_eq!(
            text.get(defined[0].span.start..defined[0].span.end),
            Some("rule a: anyone grants slack")
        );
        let text = "attribute a: \"x # y\" | z # note\n";
        let (_, parsed) = parse("t", text).unwrap();
        let defined = definitions(&parsed, text);
        assert_eq!(defined[0].span.end, text.find(" # note").unwrap());
    }

    #[test]
    fn separations_are_the_same_whatever_the_order_of_their_sides() {
        let (_, one) = parse("t", "separate a from role b").unwrap();
        let (_, two) = parse("t", "separate role b from a").unwrap();
        assert_eq!(
            definitions(&one, "separate a from role b")[0].keys,
            definitions(&two, "separate role b from a")[0].keys
        );
    }

    #[test]
    fn the_session_overrides_the_files() {
        let files = vec![(
            "p/rules.grant".to_string(),
            "entitlement slack\nrule a: anyone grants slack\n".to_string(),
        )];
        let build = build(&files, "rule a: anyone grants slack\n");
        assert_eq!(build.sources.len(), 2);
        let text = build.sources.get(FileId(0)).unwrap().text().to_string();
        assert!(!text.contains("rule a"), "{text}");
        assert_eq!(build.index[&Key::Rule("a".into())], "<session>:1");
        assert_eq!(
            build.index[&Key::Entitlement("slack".into())],
            "p/rules.grant:1"
        );
    }
}
