//! The Grantline lint pass: role explosion, over-provisioning, and exact
//! analysis of dead, shadowed and conflicting rules.
//!
//! Rules are organized like Ruff's: one rule per file under `src/rules/`,
//! each with a stable code (`GL101`), a short name, a default level and its
//! documentation in the file's `//!` comment ([`RuleInfo::doc`]). A
//! [`LintConfig`] (`lint.toml` beside the policies) turns rules off or
//! re-levels them; a `# lint: allow CODE` comment on or above a rule
//! silences one finding. Findings of reachability or overlap carry a
//! [`Witness`]: a concrete identity that the evaluator confirms.
//!
//! ```
//! use grantline_lint::{lint, LintConfig, LintInput};
//! use grantline_syntax::SourceMap;
//!
//! let mut sources = SourceMap::new();
//! sources.add(
//!     "policy.grant",
//!     "attribute department: Sales | Finance\n\
//!      entitlement crm: sensitive\n\
//!      rule everyone-crm:\n    anyone grants crm\n",
//! );
//! let compiled = grantline_compiler::compile(&sources);
//! let policy = compiled.policy.expect("compiles");
//! let evaluator = grantline_eval::Evaluator::new(policy.clone()).expect("valid");
//! let config = LintConfig::default();
//! let report = lint(&LintInput {
//!     policy: &policy,
//!     evaluator: &evaluator,
//!     sources: &sources,
//!     config: &config,
//!     at: "2026-12-01T09:00:00Z".parse().expect("instant"),
//!     people: None,
//! });
//! assert!(report.findings.iter().any(|f| f.code == "GL201"));
//! ```

mod config;
mod context;
pub mod population;
mod finding;
mod registry;
pub mod render;
mod rules;
pub mod solver;
mod suppress;

use chrono::{DateTime, Utc};
use grantline_eval::{Evaluator, Identity};
use grantline_ir::PolicySet;
use grantline_syntax::{Severity, SourceMap};

pub use config::{
    ConfigError, Level, LintConfig, Settings, TemporaryWorkers, Termination, CONFIG_FILE,
};
pub use finding::{Finding, Related, Witness};
pub use registry::{rule, rules, Group, RuleInfo};

/// What to lint.
pub struct LintInput<'a> {
    /// The compiled policy set (with source locations).
    pub policy: &'a PolicySet,
    /// An evaluator of the same policy set: it confirms witnesses and
    /// evaluates the population.
    pub evaluator: &'a Evaluator,
    /// The policy files, for suppression comments and source excerpts.
    pub sources: &'a SourceMap,
    pub config: &'a LintConfig,
    /// The instant of time-dependent rules (expired windows, witnesses).
    pub at: DateTime<Utc>,
    /// The people of `--people`, checked against the schema.
    pub people: Option<&'a [Identity]>,
}

/// The findings of a lint run.
#[derive(Debug, Clone)]
pub struct LintReport {
    /// Sorted by file, line, column and code.
    pub findings: Vec<Finding>,
    /// Findings silenced by `# lint: allow` comments.
    pub suppressed: usize,
    /// The codes of the rules that ran.
    pub rules_run: Vec<&'static str>,
}

impl LintReport {
    /// Whether a finding is at error level (the CLI then exits 1).
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }

    /// Findings at `severity`.
    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }
}

/// Runs every enabled rule.
pub fn lint(input: &LintInput<'_>) -> LintReport {
    let config = input.config;
    let enabled: Vec<(&'static dyn registry::Rule, Severity)> = registry::registry()
        .into_iter()
        .filter(|rule| !rule.info().needs_population || input.people.is_some())
        .filter_map(|rule| {
            Some((
                rule,
                config.severity(rule.info().code, rule.info().severity)?,
            ))
        })
        .collect();
    let cx = context::Context::new(
        input.policy,
        input.evaluator,
        &config.settings,
        input.at,
        input.people,
    );
    let mut findings = Vec::new();
    let mut suppressed = 0;
    for (rule, severity) in &enabled {
        let mut out = Vec::new();
        rule.check(&cx, &mut out);
        for mut finding in out {
            let silenced = finding
                .location
                .as_ref()
                .is_some_and(|l| suppress::is_suppressed(input.sources, l, finding.code));
            if silenced {
                suppressed += 1;
                continue;
            }
            finding.severity = *severity;
            findings.push(finding);
        }
    }
    findings.sort_by(|a, b| {
        let key = |f: &Finding| {
            f.location
                .as_ref()
                .map(|l| (l.file.clone(), l.line, l.column))
        };
        key(a).cmp(&key(b)).then(a.code.cmp(b.code))
    });
    LintReport {
        findings,
        suppressed,
        rules_run: enabled.iter().map(|(rule, _)| rule.info().code).collect(),
    }
}
