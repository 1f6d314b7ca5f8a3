//! Every lint rule, its code, name, default level and documentation.
//!
//! Each rule lives in its own file under `src/rules/<group>/`; the file's
//! `//!` comment is the rule's documentation (sections *What it catches*,
//! *Why it matters*, *Example*, *How to fix*), shown by
//! `grantline lint --explain CODE` and written to `docs/lint/CODE.md`.

use grantline_syntax::Severity;
use serde::Serialize;

use crate::context::Context;
use crate::finding::Finding;

/// The families of rules, each with its range of codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Group {
    /// GL1xx: rules and roles multiplying instead of generalizing.
    RoleExplosion,
    /// GL2xx: more access than least privilege allows.
    OverProvisioning,
    /// GL3xx: exact analysis of conditions, windows and denies.
    Analysis,
}

impl Group {
    pub fn title(self) -> &'static str {
        match self {
            Group::RoleExplosion => "Role explosion",
            Group::OverProvisioning => "Over-provisioning",
            Group::Analysis => "Analysis",
        }
    }
}

/// The description of one rule.
#[derive(Debug, Serialize)]
pub struct RuleInfo {
    /// Stable code: never reused, never renumbered.
    pub code: &'static str,
    /// Short kebab-case name.
    pub name: &'static str,
    pub group: Group,
    /// The level when the configuration does not change it.
    pub severity: Severity,
    /// Whether the rule only runs with a population (`--people`).
    pub needs_population: bool,
    /// The rule's source file, whose `//!` comment is its documentation.
    #[serde(skip)]
    pub source: &'static str,
}

impl RuleInfo {
    /// The documentation: the `//!` lines of the rule's file, Markdown.
    pub fn doc(&self) -> String {
        let mut doc = String::new();
        for line in self.source.lines() {
            let Some(text) = line.strip_prefix("//!") else {
                if line.trim().is_empty() && doc.is_empty() {
                    continue;
                }
                break;
            };
            doc.push_str(text.strip_prefix(' ').unwrap_or(text));
            doc.push('\n');
        }
        doc
    }

    /// The first sentence of *What it catches*, for listings and SARIF.
    pub fn summary(&self) -> String {
        let doc = self.doc();
        let mut lines = doc
            .lines()
            .skip_while(|l| !l.starts_with("## What it catches"));
        lines.next();
        let paragraph: Vec<&str> = lines
            .skip_while(|l| l.trim().is_empty())
            .take_while(|l| !l.trim().is_empty())
            .collect();
        let text = paragraph.join(" ");
        match text.find(". ") {
            Some(end) => text.get(..=end).unwrap_or(&text).to_string(),
            None => text,
        }
    }
}

/// A lint rule.
pub(crate) trait Rule: Sync {
    fn info(&self) -> &'static RuleInfo;
    /// Appends the rule's findings (at the rule's default level; the
    /// configuration is applied afterwards).
    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>);
}

/// Every rule, by code.
pub(crate) fn registry() -> Vec<&'static dyn Rule> {
    let mut rules = crate::rules::all();
    rules.sort_by_key(|rule| rule.info().code);
    rules
}

/// The description of every rule, by code.
pub fn rules() -> Vec<&'static RuleInfo> {
    registry().into_iter().map(|rule| rule.info()).collect()
}

/// The rule with this code (case-insensitive) or name.
pub fn rule(code_or_name: &str) -> Option<&'static RuleInfo> {
    rules()
        .into_iter()
        .find(|info| info.code.eq_ignore_ascii_case(code_or_name) || info.name == code_or_name)
}
