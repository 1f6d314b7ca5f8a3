//! What a lint rule reports.

use chrono::{DateTime, Utc};
use grantline_ir::SourceLocation;
use grantline_syntax::Severity;
use serde::Serialize;

use crate::registry::RuleInfo;

/// One problem found by a lint rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// The rule's stable code, such as `GL101`.
    pub code: &'static str,
    /// The rule's short name, such as `similar-grants`.
    pub name: &'static str,
    /// The level after the configuration (a rule's default otherwise).
    pub severity: Severity,
    pub message: String,
    /// Where the problem is: the rule, role, entitlement or separation it
    /// is about. `None` for findings about the whole policy set.
    pub location: Option<SourceLocation>,
    /// Other places that take part ("the covering rule"), with a label.
    pub related: Vec<Related>,
    /// How to fix it.
    pub help: Option<String>,
    /// An identity that shows the finding; `grantline eval` confirms it.
    pub witness: Option<Witness>,
}

/// Another place a finding refers to.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Related {
    pub label: String,
    pub location: SourceLocation,
}

/// A concrete identity (attribute values, as in an identity JSON file) and
/// the instant at which it shows a finding.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Witness {
    pub identity: serde_json::Map<String, serde_json::Value>,
    pub at: DateTime<Utc>,
}

impl Witness {
    /// `department=Sales, manager=true`, by attribute name.
    pub fn describe(&self) -> String {
        let mut parts: Vec<String> = Vec::with_capacity(self.identity.len());
        for (name, value) in &self.identity {
            let shown = match value {
                serde_json::Value::String(text) => text.clone(),
                other => other.to_string(),
            };
            parts.push(format!("{name}={shown}"));
        }
        if parts.is_empty() {
            "any identity (no attributes needed)".to_string()
        } else {
            parts.join(", ")
        }
    }
}

impl Finding {
    /// A finding of `rule` at its default level.
    pub fn new(rule: &'static RuleInfo, message: impl Into<String>) -> Finding {
        Finding {
            code: rule.code,
            name: rule.name,
            severity: rule.severity,
            message: message.into(),
            location: None,
            related: Vec::new(),
            help: None,
            witness: None,
        }
    }

    pub fn at(mut self, location: &SourceLocation) -> Finding {
        self.location = Some(location.clone());
        self
    }

    pub fn related(mut self, label: impl Into<String>, location: &SourceLocation) -> Finding {
        self.related.push(Related {
            label: label.into(),
            location: location.clone(),
        });
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Finding {
        self.help = Some(help.into());
        self
    }

    pub fn witness(mut self, witness: Witness) -> Finding {
        self.witness = Some(witness);
        self
    }
}
