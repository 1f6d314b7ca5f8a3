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
    let checked = run_rules(&cx, &enabled);
    let suppressions = suppress::Suppressions::new(input.sources);
    let mut findings = Vec::new();
    let mut suppressed = 0;
    for ((_, severity), out) in enabled.iter().zip(checked) {
        for mut finding in out {
            let silenced = finding
                .location
                .as_ref()
                .is_some_and(|l| suppressions.covers(l, finding.code));
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

/// The findings of each rule, in the order of `enabled`: the rules run on
/// every core, each taking the next rule not yet taken.
fn run_rules(
    cx: &context::Context<'_>,
    enabled: &[(&'static dyn registry::Rule, Severity)],
) -> Vec<Vec<Finding>> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let next = AtomicUsize::new(0);
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(enabled.len())
        .max(1);
    let work = || {
        let mut done: Vec<(usize, Vec<Finding>)> = Vec::new();
        loop {
            let index = next.fetch_add(1, Ordering::Relaxed);
            let Some((rule, _)) = enabled.get(index) else {
                return done;
            };
            let mut out = Vec::new();
            rule.check(cx, &mut out);
            done.push((index, out));
        }
    };
    let mut results: Vec<Vec<Finding>> = vec![Vec::new(); enabled.len()];
    std::thread::scope(|scope| {
        let handles: Vec<_> = (1..workers).map(|_| scope.spawn(work)).collect();
        let mut all = work();
        for handle in handles {
            match handle.join() {
                Ok(done) => all.extend(done),
                // A rule that panicked is a bug: report it as the panic it
                // is rather than return a report without its findings.
                Err(payload) => std::panic::resume_unwind(payload),
            }
        }
        for (index, out) in all {
            if let Some(slot) = results.get_mut(index) {
                *slot = out;
            }
        }
    });
    results
}
