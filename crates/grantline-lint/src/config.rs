//! The lint configuration: `lint.toml` beside the policies.
//!
//! ```toml
//! [rules]
//! GL106 = "off"       # or "error", "warning", "info"
//!
//! [settings]
//! max-grantors = 8
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use grantline_syntax::Severity;
use serde::Deserialize;

use crate::registry;

/// The name of the configuration file looked for in the policy folder.
pub const CONFIG_FILE: &str = "lint.toml";

/// A rule's level in the configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Off,
    Info,
    Warning,
    Error,
}

impl Level {
    pub fn severity(self) -> Option<Severity> {
        match self {
            Level::Off => None,
            Level::Info => Some(Severity::Info),
            Level::Warning => Some(Severity::Warning),
            Level::Error => Some(Severity::Error),
        }
    }
}

/// People who are with the company for a fixed period.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemporaryWorkers {
    /// The value-set attribute that says so, e.g. `employment`.
    pub attribute: String,
    /// Its values for temporary workers, e.g. `contractor`, `intern`.
    pub values: Vec<String>,
}

/// How the HR data marks someone who has left.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Termination {
    pub attribute: String,
    pub value: String,
}

/// Thresholds and the meaning of attributes, for the rules that need them.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct Settings {
    /// GL106: an entitlement granted by more rules than this.
    pub max_grantors: usize,
    /// GL107: a rule that matches fewer people than this (and at least one
    /// rule per person is expected to match someone). 1 reports only rules
    /// that match no one.
    pub min_matches: usize,
    /// GL206: an entitlement held by more than this share of people.
    pub wide_share: f64,
    /// GL206: a sensitive entitlement held by more than this share.
    pub sensitive_wide_share: f64,
    /// GL201: the attributes that scope access to a part of the company.
    pub scope_attributes: Vec<String>,
    /// GL204: temporary workers, whose grants must end at their end date.
    pub temporary_workers: Option<TemporaryWorkers>,
    /// GL204: the date attribute holding the last working day.
    pub end_date: String,
    /// GL205: how a terminated person is recognized.
    pub termination: Option<Termination>,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            max_grantors: 10,
            min_matches: 1,
            wide_share: 0.9,
            sensitive_wide_share: 0.2,
            scope_attributes: vec![
                "department".to_string(),
                "team".to_string(),
                "role".to_string(),
            ],
            temporary_workers: Some(TemporaryWorkers {
                attribute: "employment".to_string(),
                values: vec!["contractor".to_string(), "intern".to_string()],
            }),
            end_date: "end_date".to_string(),
            termination: Some(Termination {
                attribute: "status".to_string(),
                value: "terminated".to_string(),
            }),
        }
    }
}

/// The whole configuration.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LintConfig {
    /// Levels by rule code.
    #[serde(default)]
    pub rules: BTreeMap<String, Level>,
    #[serde(default)]
    pub settings: Settings,
    /// Only these codes (`--select`); empty: every rule.
    #[serde(skip)]
    pub select: Vec<String>,
    /// Not these codes (`--ignore`).
    #[serde(skip)]
    pub ignore: Vec<String>,
}

/// A configuration that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}{}: {message}", position.map(|(l, c)| format!(":{l}:{c}")).unwrap_or_default())]
pub struct ConfigError {
    pub file: String,
    /// Line and column (1-based), when the error has a place.
    pub position: Option<(usize, usize)>,
    pub message: String,
}

impl LintConfig {
    /// Reads `text` (the content of `file`), checking rule codes.
    pub fn parse(file: &str, text: &str) -> Result<LintConfig, ConfigError> {
        let mut config: LintConfig = toml::from_str(text).map_err(|error| ConfigError {
            file: file.to_string(),
            position: error.span().map(|span| line_column(text, span.start)),
            message: error.message().trim().to_string(),
        })?;
        let error = |key: &str, message: String| ConfigError {
            file: file.to_string(),
            position: key_position(text, key),
            message,
        };
        // Rules may be named by code or name; they are kept by code.
        let mut rules = BTreeMap::new();
        for (key, level) in std::mem::take(&mut config.rules) {
            let Some(info) = registry::rule(&key) else {
                return Err(error(
                    &key,
                    format!("no lint rule `{key}`; `grantline lint --list` shows every rule"),
                ));
            };
            rules.insert(info.code.to_string(), level);
        }
        config.rules = rules;
        for (key, share) in [
            ("wide-share", config.settings.wide_share),
            ("sensitive-wide-share", config.settings.sensitive_wide_share),
        ] {
            if !(0.0..=1.0).contains(&share) {
                return Err(error(
                    key,
                    format!("`{key}` is a share of people between 0 and 1, not {share}"),
                ));
            }
        }
        Ok(config)
    }

    /// Reads `lint.toml` from `folder` if there is one.
    pub fn load(folder: &Path) -> Result<LintConfig, ConfigError> {
        let path = folder.join(CONFIG_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => LintConfig::parse(&path.display().to_string(), &text),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(LintConfig::default()),
            Err(error) => Err(ConfigError {
                file: path.display().to_string(),
                position: None,
                message: error.to_string(),
            }),
        }
    }

    /// The level of the rule `code` with `default`; `None`: not run.
    pub fn severity(&self, code: &str, default: Severity) -> Option<Severity> {
        let matches = |list: &[String]| {
            list.iter()
                .any(|item| code.starts_with(item.to_ascii_uppercase().as_str()))
        };
        if !self.select.is_empty() && !matches(&self.select) {
            return None;
        }
        if matches(&self.ignore) {
            return None;
        }
        match self
            .rules
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(code))
        {
            Some((_, level)) => level.severity(),
            None => Some(default),
        }
    }
}

/// Where `key` is written as a key (at the start of a line), if it is.
fn key_position(text: &str, key: &str) -> Option<(usize, usize)> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let bare = trimmed.strip_prefix('"').unwrap_or(trimmed);
        if bare.starts_with(key) {
            return Some(line_column(text, offset + (line.len() - trimmed.len())));
        }
        offset += line.len();
    }
    None
}

fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rfind('\n').map_or(before.chars().count(), |nl| {
        before.get(nl + 1..).map_or(0, |rest| rest.chars().count())
    }) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_settings_and_selection() {
        let mut config = LintConfig::parse(
            "lint.toml",
            "[rules]\nGL106 = \"off\"\ngl203 = \"error\"\n\n[settings]\nmax-grantors = 3\n",
        )
        .unwrap_or_default();
        assert_eq!(config.settings.max_grantors, 3);
        assert_eq!(config.severity("GL106", Severity::Warning), None);
        assert_eq!(
            config.severity("GL203", Severity::Warning),
            Some(Severity::Error)
        );
        assert_eq!(
            config.severity("GL101", Severity::Warning),
            Some(Severity::Warning)
        );
        config.select = vec!["GL2".to_string()];
        config.ignore = vec!["GL203".to_string()];
        assert_eq!(config.severity("GL101", Severity::Warning), None);
        assert_eq!(config.severity("GL203", Severity::Warning), None);
        assert_eq!(
            config.severity("GL201", Severity::Error),
            Some(Severity::Error)
        );
    }

    #[test]
    fn errors_point_at_the_line() {
        let error = LintConfig::parse("lint.toml", "[settings]\nmax-grantors = \"many\"\n")
            .err()
            .map(|e| (e.position, e.to_string()));
        let Some((position, text)) = error else {
            panic!("a string for a number is an error");
        };
        assert_eq!(position.map(|(line, _)| line), Some(2));
        assert!(text.starts_with("lint.toml:2:"), "{text}");

        let error = LintConfig::parse("lint.toml", "[settings]\nmax-grantor = 3\n");
        assert!(error.is_err(), "unknown settings are errors");

        let error = LintConfig::parse("lint.toml", "# GL999 = \"on\"\n[rules]\nGL999 = \"off\"\n");
        assert!(
            error.is_err_and(|e| e.position == Some((3, 1)) && e.message.contains("GL999")),
            "unknown codes are errors, at their key"
        );

        let error = LintConfig::parse("lint.toml", "[settings]\nwide-share = 1.5\n");
        assert!(
            error.is_err_and(|e| e.position == Some((2, 1))),
            "shares are in 0..=1"
        );

        let config = LintConfig::parse("lint.toml", "[rules]\nsensitive-broad-grant = \"off\"\n");
        assert_eq!(
            config
                .ok()
                .and_then(|c| c.severity("GL201", Severity::Error)),
            None,
            "a rule named by its name is turned off"
        );
    }
}
